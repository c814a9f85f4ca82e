/*
 * mta - a private Postfix and its peer servers, for the Check suites
 *
 * DESCRIPTION
 *	Everything lives in one temp directory DIR:
 *
 *	DIR/conf	main.cf and master.cf (postfix -c DIR/conf)
 *	DIR/queue	queue_directory; DIR/data is data_directory
 *	DIR/tables	the tables under test, postmapped ($mta_tables)
 *	DIR/maillog	Postfix's log (maillog_file, through postlogd)
 *	DIR/sink-NAME	one file per transaction a listener accepted
 *	DIR/NAME.log	a listener's own output
 *	DIR/watcher.log	what the watcher did, if it had to act
 *
 *	The listeners are smtp-sink(1) (-L for LMTP, -d for the files),
 *	forked from the process that calls mta_init. Postfix is started
 *	and stopped with postfix(1) -c; its master daemonizes. Ports are
 *	drawn at random in 20000..31999, below the usual ephemeral range,
 *	and drawn again when taken.
 *
 *	The watcher is a child in a session of its own (so that Check's
 *	kill of a timed-out test's process group does not reach it): once
 *	its parent is gone it stops Postfix and the listeners.
 *
 * DIAGNOSTICS
 *	Functions return -1 with what went wrong in m->output; they never
 *	abort the test themselves.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mta.h"
#include "testlib.h"

/* Postfix's programs live in sbin directories a user's PATH may lack. */
#define SBIN_PATH ":/usr/sbin:/usr/local/sbin"
#define SH_PATH "PATH=\"$PATH" SBIN_PATH "\"; export PATH; "

#define MAIL_OWNER "postfix"
#define SETGID_GROUP "postdrop"
#define MYHOSTNAME "mx.splitsync.test"
#define SENDER "tester@sender.test"
#define TAG_HEADER "X-Test-Tag: "

#define PORT_TRIES 10           /* port draws before giving up */
#define START_TRIES 5           /* postfix start attempts */
#define SINK_WAIT_MS 5000       /* a listener must answer by then */
#define STOP_WAIT_MS 3000       /* a listener must exit by then */
#define SMTP_WAIT_MS 10000      /* one SMTP reply */
#define LINE_MAX_LEN 2048       /* longest SMTP reply line accepted */
#define WATCH_MS 200            /* the watcher's look at its parent */

static const struct {
	const char *name;
	int lmtp;
} sinks[MTA_NSINKS] = {
	[MTA_LOCAL] = { "local", 1 },
	[MTA_LEGACY] = { "legacy", 0 },
	[MTA_OTHER] = { "other", 0 },
	[MTA_UNROUTED] = { "unrouted", 0 },
};

/* text - a growing string for transcripts and messages */
struct text {
	char *s;
	size_t len;
	int failed;
};

/* text_add - append formatted text; remembers a failed allocation */
__attribute__((format(printf, 2, 3)))
static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *piece = NULL, *grown;
	int n;
	size_t plen;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = 1;
		return;
	}
	plen = (size_t)n;
	if (t->len > SIZE_MAX - plen - 1) {
		t->failed = 1;
		free(piece);
		return;
	}
	grown = realloc(t->s, t->len + plen + 1);
	if (grown == NULL) {
		t->failed = 1;
		free(piece);
		return;
	}
	memcpy(grown + t->len, piece, plen + 1);
	t->s = grown;
	t->len += plen;
	free(piece);
}

/* set_output - m->output becomes the text (taken), or a fallback */
static void
set_output(struct mta *m, struct text *t)
{
	free(m->output);
	if (t->failed || t->s == NULL) {
		free(t->s);
		m->output = strdup(t->failed ? "mta: out of memory" : "");
	} else {
		m->output = t->s;
	}
	t->s = NULL;
	t->len = 0;
	t->failed = 0;
}

/* errorf - m->output becomes the formatted message; returns -1 */
__attribute__((format(printf, 2, 3)))
static int
errorf(struct mta *m, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(m->output);
	m->output = msg ? msg : strdup("mta: out of memory");
	return -1;
}

/* nap - sleep ms milliseconds */
static void
nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* now_ms - a monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* random_port - a port in 20000..31999 */
static int
random_port(void)
{
	unsigned short n = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &n, sizeof n) != (ssize_t)sizeof n)
		n = (unsigned short)((unsigned)getpid() * 31u +
		    (unsigned)now_ms());
	if (fd >= 0)
		close(fd);
	return 20000 + n % 12000;
}

/* loopback - the address 127.0.0.1:port */
static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* port_free - true when nothing is bound to 127.0.0.1:port */
static int
port_free(int port)
{
	struct sockaddr_in sa = loopback(port);
	int fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* free_port - a random port nothing is bound to, or 0 */
static int
free_port(const struct mta *m)
{
	int i, port, j, taken;

	for (i = 0; i < PORT_TRIES * 10; i++) {
		port = random_port();
		taken = port == m->port;
		for (j = 0; j < MTA_NSINKS; j++)
			taken |= port == m->sink[j].port;
		if (!taken && port_free(port))
			return port;
	}
	return 0;
}

/* dial - a connected socket to 127.0.0.1:port, or -1 */
static int
dial(int port)
{
	struct sockaddr_in sa = loopback(port);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* reap - wait for child pid for at most ms, then kill it; 0 once gone */
static int
reap(pid_t pid, int ms)
{
	long long until = now_ms() + ms;
	pid_t r;
	int status;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		if (now_ms() >= until)
			break;
		nap(20);
	}
	kill(pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid ? 0 : -1;
}

/* file_text - a file's contents, or "" (free()) */
static char *
file_text(const char *path)
{
	char *t = path ? testlib_read(path, NULL) : NULL;

	return t ? t : strdup("");
}

/* tail - the last n lines of text, as a new string */
static char *
tail(const char *text, int n)
{
	const char *p = text + strlen(text);

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text && n > 0) {
		p--;
		if (*p == '\n')
			n--;
	}
	if (*p == '\n')
		p++;
	return strdup(p);
}

/* mta_log_tail - the last lines of Postfix's log */
char *
mta_log_tail(const struct mta *m, int lines)
{
	char *all = file_text(m->log_file), *t;

	if (all == NULL)
		return NULL;
	t = tail(all, lines);
	free(all);
	return t;
}

/* mta_sink_name - a listener's name */
const char *
mta_sink_name(enum mta_sink_id id)
{
	return (unsigned)id < MTA_NSINKS ? sinks[id].name : "?";
}

/* postfix - run postfix(1) -c conf_dir with a command; its status */
static int
postfix(const struct mta *m, const char *command, char **out)
{
	return testlib_sh(out, SH_PATH "postfix -c '%s' %s < /dev/null",
	    m->conf_dir, command);
}

/* exec_sink - in the child: become smtp-sink for listener id */
static void
exec_sink(const struct mta *m, int id, int port)
{
	const struct mta_sink *s = &m->sink[id];
	char portarg[32], host[64];
	const char *argv[16];
	const char *path = getenv("PATH");
	char *newpath = NULL;
	int argc = 0, fd;

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
	fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	/* relative dump names: no parent directory has to be searchable by
	 * the user smtp-sink runs as */
	if (chdir(s->dump) < 0)
		_exit(126);
	if (asprintf(&newpath, "%s" SBIN_PATH, path ? path : "/bin") >= 0)
		setenv("PATH", newpath, 1);
	snprintf(portarg, sizeof portarg, "127.0.0.1:%d", port);
	snprintf(host, sizeof host, "%s.sink.test", sinks[id].name);
	argv[argc++] = "smtp-sink";
	argv[argc++] = "-4";
	if (s->lmtp)
		argv[argc++] = "-L";
	if (geteuid() == 0) {
		/* required as root: the listener drops to this user */
		argv[argc++] = "-u";
		argv[argc++] = MAIL_OWNER;
	}
	argv[argc++] = "-h";
	argv[argc++] = host;
	argv[argc++] = "-d";
	argv[argc++] = "msg.";
	argv[argc++] = portarg;
	argv[argc++] = "16";
	argv[argc] = NULL;
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "mta: cannot run smtp-sink: %s\n", strerror(errno));
	_exit(127);
}

/* start_sink - run listener id on a free port, wait until it answers */
static int
start_sink(struct mta *m, int id)
{
	struct mta_sink *s = &m->sink[id];
	int try, port, fd, status;
	long long until;
	pid_t pid;

	for (try = 0; try < PORT_TRIES; try++) {
		port = free_port(m);
		if (port == 0)
			return errorf(m, "mta: no free port on 127.0.0.1");
		pid = fork();
		if (pid < 0)
			return errorf(m, "mta: fork: %s", strerror(errno));
		if (pid == 0)
			exec_sink(m, id, port);
		until = now_ms() + SINK_WAIT_MS;
		for (;;) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = 0;
				break;
			}
			fd = dial(port);
			if (fd >= 0) {
				close(fd);
				s->pid = pid;
				s->port = port;
				return 0;
			}
			if (now_ms() >= until)
				break;
			nap(20);
		}
		if (pid > 0) {
			kill(pid, SIGKILL);
			reap(pid, 0);
			return errorf(m, "mta: smtp-sink (%s) does not answer on "
			    "port %d", sinks[id].name, port);
		}
		/* it exited: a port taken meanwhile is drawn again */
		{
			char *log = file_text(s->log);

			if (log && strstr(log, "in use") != NULL) {
				free(log);
				continue;
			}
			errorf(m, "mta: smtp-sink (%s) exited on port %d:\n%s",
			    sinks[id].name, port, log ? log : "");
			free(log);
			return -1;
		}
	}
	return errorf(m, "mta: smtp-sink (%s): no port could be bound",
	    sinks[id].name);
}

/* stop_sinks - terminate the listeners and wait for them */
static void
stop_sinks(struct mta *m)
{
	int i;

	for (i = 0; i < MTA_NSINKS; i++)
		if (m->sink[i].pid > 0)
			kill(m->sink[i].pid, SIGTERM);
	for (i = 0; i < MTA_NSINKS; i++)
		if (m->sink[i].pid > 0) {
			reap(m->sink[i].pid, STOP_WAIT_MS);
			m->sink[i].pid = 0;
		}
}

/* start_watcher - a child that stops everything once its parent dies */
static int
start_watcher(struct mta *m)
{
	char *log = NULL, *cmd = NULL;
	pid_t owner = getpid(), pid;
	int i, fd;

	if (asprintf(&log, "%s/watcher.log", m->dir) < 0)
		log = NULL;
	if (asprintf(&cmd, SH_PATH "postfix -c '%s' stop", m->conf_dir) < 0)
		cmd = NULL;
	if (log == NULL || cmd == NULL) {
		free(log);
		free(cmd);
		return errorf(m, "mta: out of memory");
	}
	pid = fork();
	if (pid < 0) {
		free(log);
		free(cmd);
		return errorf(m, "mta: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* out of the test's process group: a timeout kills that */
		setsid();
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		while (getppid() == owner)
			nap(WATCH_MS);
		dprintf(1, "mta: process %ld is gone: stopping Postfix and "
		    "the listeners\n", (long)owner);
		for (i = 0; i < MTA_NSINKS; i++)
			if (m->sink[i].pid > 0)
				kill(m->sink[i].pid, SIGKILL);
		if (system(cmd) != 0)
			dprintf(1, "mta: postfix stop failed (not running?)\n");
		_exit(0);
	}
	free(log);
	free(cmd);
	m->watcher = pid;
	return 0;
}

/* make_dir - mkdir with a mode, owned by the mail owner when asked */
static int
make_dir(struct mta *m, char **out, const char *name, mode_t mode,
    int mail_owned)
{
	struct passwd *pw;

	if (asprintf(out, "%s/%s", m->dir, name) < 0) {
		*out = NULL;
		return errorf(m, "mta: out of memory");
	}
	if (mkdir(*out, mode) < 0 || chmod(*out, mode) < 0)
		return errorf(m, "mta: mkdir %s: %s", *out, strerror(errno));
	if (mail_owned && geteuid() == 0) {
		pw = getpwnam(MAIL_OWNER);
		if (pw == NULL)
			return errorf(m, "mta: no user %s (install the postfix "
			    "package)", MAIL_OWNER);
		if (chown(*out, pw->pw_uid, pw->pw_gid) < 0)
			return errorf(m, "mta: chown %s: %s", *out,
			    strerror(errno));
	}
	return 0;
}

/* mta_init - new directory, the three listeners, the watcher */
int
mta_init(struct mta *m)
{
	char *path = NULL;
	int i;

	if (m->dir != NULL)
		return errorf(m, "mta: struct mta already in use");
	m->owner = getpid();
	m->dir = testlib_tmpdir();
	if (m->dir == NULL)
		return errorf(m, "mta: cannot make a temp directory");
	if (strchr(m->dir, '\'') != NULL)
		return errorf(m, "mta: temp directory name has a quote");
	/* Postfix's daemons run as the mail owner and look in here */
	if (chmod(m->dir, 0755) < 0)
		return errorf(m, "mta: chmod %s: %s", m->dir, strerror(errno));
	if (make_dir(m, &m->conf_dir, "conf", 0755, 0) < 0 ||
	    make_dir(m, &m->queue_dir, "queue", 0755, 0) < 0 ||
	    make_dir(m, &m->tables, "tables", 0755, 0) < 0)
		return -1;
	if (asprintf(&m->log_file, "%s/maillog", m->dir) < 0) {
		m->log_file = NULL;
		return errorf(m, "mta: out of memory");
	}
	/* postmap -c reads main.cf; mta_start writes the real one */
	if (asprintf(&path, "%s/main.cf", m->conf_dir) < 0)
		return errorf(m, "mta: out of memory");
	if (testlib_write(path, "") < 0 || chmod(path, 0644) < 0) {
		errorf(m, "mta: cannot write %s", path);
		free(path);
		return -1;
	}
	free(path);
	for (i = 0; i < MTA_NSINKS; i++) {
		char *name = NULL;

		m->sink[i].lmtp = sinks[i].lmtp;
		if (asprintf(&name, "sink-%s", sinks[i].name) < 0)
			return errorf(m, "mta: out of memory");
		if (make_dir(m, &m->sink[i].dump, name, 0700, 1) < 0) {
			free(name);
			return -1;
		}
		free(name);
		if (asprintf(&m->sink[i].log, "%s/%s.log", m->dir,
		    sinks[i].name) < 0) {
			m->sink[i].log = NULL;
			return errorf(m, "mta: out of memory");
		}
		if (start_sink(m, i) < 0)
			return -1;
	}
	return start_watcher(m);
}

/* mta_load_tables - tables of a branch into m->tables, postmapped (one
 * shell for all: each process costs on a busy machine) */
int
mta_load_tables(struct mta *m, const char *repo, const char *branch,
    const char *const *names)
{
	struct text cmd = { 0 };
	char *out = NULL;
	int rc;

	if (m->dir == NULL)
		return errorf(m, "mta: not initialized");
	text_add(&cmd, SH_PATH "set -e; ");
	for (; *names; names++)
		text_add(&cmd, "echo '%s:'; git --git-dir='%s' show '%s:%s' > "
		    "'%s/%s'; postmap -c '%s' 'hash:%s/%s'; ", *names, repo,
		    branch, *names, m->tables, *names, m->conf_dir, m->tables,
		    *names);
	if (cmd.failed)
		return errorf(m, "mta: out of memory");
	rc = testlib_sh(&out, "%s", cmd.s);
	free(cmd.s);
	if (rc != 0) {
		errorf(m, "mta: tables of %s (%s): exit %d:\n%s", repo,
		    branch, rc, out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* write_config - main.cf and master.cf for smtpd on port */
static int
write_config(struct mta *m, const char *maps, int port)
{
	struct text t = { 0 };
	char *path = NULL;
	int rc = -1;

	text_add(&t, "# one test run's Postfix: loopback only, no local "
	    "delivery, no DNS\n"
	    "compatibility_level = 3.6\n"
	    "queue_directory = %s\n"
	    "data_directory = %s/data\n"
	    "mail_owner = " MAIL_OWNER "\n"
	    "setgid_group = " SETGID_GROUP "\n"
	    "myhostname = " MYHOSTNAME "\n"
	    "mydomain = splitsync.test\n"
	    "myorigin = $myhostname\n"
	    "mydestination =\n"
	    "inet_interfaces = 127.0.0.1\n"
	    "inet_protocols = ipv4\n"
	    "mynetworks =\n"
	    "smtpd_relay_restrictions = reject_unauth_destination\n"
	    "relayhost =\n"
	    "alias_maps =\n"
	    "alias_database =\n"
	    "maillog_file = %s\n"
	    "maillog_file_prefixes = %s\n"
	    "smtpd_peername_lookup = no\n"
	    "smtp_dns_support_level = disabled\n"
	    "lmtp_dns_support_level = disabled\n"
	    "smtp_host_lookup = native\n"
	    "lmtp_host_lookup = native\n"
	    "default_transport = error:5.1.2 not a destination of this test\n"
	    "virtual_transport = smtp:[127.0.0.1]:%d\n"
	    "relay_transport = smtp:[127.0.0.1]:%d\n"
	    "queue_run_delay = 1s\n"
	    "minimal_backoff_time = 1s\n"
	    "maximal_backoff_time = 2s\n"
	    "delay_warning_time = 0\n"
	    "mta_tables = %s\n"
	    "%s",
	    m->queue_dir, m->dir, m->log_file, m->dir,
	    m->sink[MTA_UNROUTED].port, m->sink[MTA_UNROUTED].port,
	    m->tables, maps);
	if (t.failed || asprintf(&path, "%s/main.cf", m->conf_dir) < 0) {
		path = NULL;
		errorf(m, "mta: out of memory");
		goto out;
	}
	if (testlib_write(path, t.s) < 0 || chmod(path, 0644) < 0) {
		errorf(m, "mta: cannot write %s", path);
		goto out;
	}
	free(t.s);
	t.s = NULL;
	t.len = 0;
	/* chroot off everywhere: nothing to copy into a jail */
	text_add(&t, "127.0.0.1:%d inet n - n - - smtpd\n", port);
	text_add(&t, "%s",
	    "pickup unix n - n 60 1 pickup\n"
	    "cleanup unix n - n - 0 cleanup\n"
	    "qmgr unix n - n 300 1 qmgr\n"
	    "rewrite unix - - n - - trivial-rewrite\n"
	    "bounce unix - - n - 0 bounce\n"
	    "defer unix - - n - 0 bounce\n"
	    "trace unix - - n - 0 bounce\n"
	    "verify unix - - n - 1 verify\n"
	    "flush unix n - n 1000? 0 flush\n"
	    "proxymap unix - - n - - proxymap\n"
	    "showq unix n - n - - showq\n"
	    "smtp unix - - n - - smtp\n"
	    "relay unix - - n - - smtp\n"
	    "lmtp unix - - n - - lmtp\n"
	    "error unix - - n - - error\n"
	    "retry unix - - n - - error\n"
	    "discard unix - - n - - discard\n"
	    "anvil unix - - n - 1 anvil\n"
	    "scache unix - - n - 1 scache\n"
	    "postlog unix-dgram n - n - 1 postlogd\n");
	free(path);
	if (t.failed || asprintf(&path, "%s/master.cf", m->conf_dir) < 0) {
		path = NULL;
		errorf(m, "mta: out of memory");
		goto out;
	}
	if (testlib_write(path, t.s) < 0 || chmod(path, 0644) < 0) {
		errorf(m, "mta: cannot write %s", path);
		goto out;
	}
	rc = 0;
out:
	free(t.s);
	free(path);
	return rc;
}

/* make_queue - the queue and data directories as post-install makes
 * them, and the quick-start mark: postfix start then skips its
 * integrity checks, which take seconds (create-missing runs postconf
 * dozens of times). A layout Postfix does not like fails the start,
 * and the next try runs the full checks. */
static int
make_queue(struct mta *m)
{
	static const struct {
		const char *name;
		mode_t mode;
		int owner;      /* 0: root, 1: the mail owner */
		int postdrop;   /* group postdrop, else root */
	} dirs[] = {
		{ "active", 0700, 1, 0 }, { "bounce", 0700, 1, 0 },
		{ "corrupt", 0700, 1, 0 }, { "defer", 0700, 1, 0 },
		{ "deferred", 0700, 1, 0 }, { "flush", 0700, 1, 0 },
		{ "hold", 0700, 1, 0 }, { "incoming", 0700, 1, 0 },
		{ "private", 0700, 1, 0 }, { "saved", 0700, 1, 0 },
		{ "trace", 0700, 1, 0 }, { "maildrop", 0730, 1, 1 },
		{ "public", 0710, 1, 1 }, { "pid", 0755, 0, 0 },
		{ "../data", 0700, 1, 0 },
	};
	struct passwd *pw = getpwnam(MAIL_OWNER);
	struct group *gr = getgrnam(SETGID_GROUP);
	char *path = NULL;
	size_t i;
	int rc = -1;

	if (pw == NULL || gr == NULL)
		return errorf(m, "mta: no user " MAIL_OWNER " or group "
		    SETGID_GROUP " (install the postfix package)");
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (asprintf(&path, "%s/%s", m->queue_dir, dirs[i].name) < 0) {
			path = NULL;
			errorf(m, "mta: out of memory");
			goto out;
		}
		if ((mkdir(path, dirs[i].mode) < 0 && errno != EEXIST) ||
		    chmod(path, dirs[i].mode) < 0 ||
		    chown(path, dirs[i].owner ? pw->pw_uid : 0,
		    dirs[i].postdrop ? gr->gr_gid : 0) < 0) {
			errorf(m, "mta: %s: %s", path, strerror(errno));
			goto out;
		}
		free(path);
		path = NULL;
	}
	if (asprintf(&path, "%s/quick-start", m->queue_dir) < 0) {
		path = NULL;
		errorf(m, "mta: out of memory");
		goto out;
	}
	if (testlib_write(path, "") < 0) {
		errorf(m, "mta: cannot write %s", path);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

/* mta_start - configure and start Postfix, retrying on a taken port */
int
mta_start(struct mta *m, const char *maps)
{
	char *out = NULL, *log = NULL;
	int try, port, rc, fd, in_use, quick = 1;

	if (m->dir == NULL || m->watcher <= 0)
		return errorf(m, "mta: not initialized");
	if (m->running)
		return errorf(m, "mta: Postfix is already running");
	if (geteuid() != 0)
		return errorf(m, "mta: Postfix needs root to start (its master "
		    "runs as root, its daemons as " MAIL_OWNER ")");
	if (make_queue(m) < 0)
		return -1;
	for (try = 0; try < START_TRIES; try++) {
		port = free_port(m);
		if (port == 0)
			return errorf(m, "mta: no free port on 127.0.0.1");
		if (write_config(m, maps, port) < 0)
			return -1;
		/* from here on, cleanup stops whatever did start */
		m->running = 1;
		rc = postfix(m, "start", &out);
		if (rc == 0) {
			free(out);
			m->port = port;
			fd = dial(port);
			if (fd < 0) {
				log = mta_log_tail(m, 30);
				errorf(m, "mta: Postfix started but smtpd does not "
				    "answer on port %d:\n%s", port,
				    log ? log : "");
				free(log);
				return -1;
			}
			close(fd);
			return 0;
		}
		log = mta_log_tail(m, 30);
		in_use = (out && strstr(out, "in use")) ||
		    (log && strstr(log, "in use"));
		errorf(m, "mta: postfix start exited with %d:\n%s\n"
		    "-- end of %s:\n%s", rc, out ? out : "", m->log_file,
		    log ? log : "");
		free(out);
		free(log);
		out = NULL;
		(void)mta_stop(m);
		/* postfix start removed the mark: a try that failed for
		 * another reason than the port runs the full checks next */
		if (!in_use && !quick)
			return -1;
		quick = in_use;
		if (quick && make_queue(m) < 0)
			return -1;
	}
	return -1;
}

/* mta_stop - stop Postfix */
int
mta_stop(struct mta *m)
{
	char *out = NULL;
	int rc;

	if (!m->running)
		return 0;
	rc = postfix(m, "stop", &out);
	m->running = 0;
	m->port = 0;
	if (rc != 0) {
		/* not running any more is what was asked */
		if (out && strstr(out, "not running") != NULL) {
			free(out);
			return 0;
		}
		errorf(m, "mta: postfix stop exited with %d:\n%s", rc,
		    out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* mta_cleanup - stop everything, remove the directory, free, zero */
void
mta_cleanup(struct mta *m)
{
	int i;

	if (m->watcher > 0) {
		kill(m->watcher, SIGKILL);
		reap(m->watcher, STOP_WAIT_MS);
	}
	if (m->conf_dir != NULL)
		(void)mta_stop(m);
	stop_sinks(m);
	if (m->dir != NULL)
		testlib_rmrf(m->dir);
	free(m->dir);
	free(m->conf_dir);
	free(m->queue_dir);
	free(m->tables);
	free(m->log_file);
	for (i = 0; i < MTA_NSINKS; i++) {
		free(m->sink[i].dump);
		free(m->sink[i].log);
	}
	free(m->output);
	memset(m, 0, sizeof *m);
}

/* The SMTP client: one connection, a read buffer, a transcript. */
struct conn {
	int fd;
	char buf[4096];
	size_t len;
	struct text log;
};

/* conn_line - one reply line without CRLF into line; 0 or -1 */
static int
conn_line(struct conn *c, char *line, size_t size)
{
	struct pollfd pfd;
	char *nl;
	size_t n;
	ssize_t r;

	for (;;) {
		nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			n = (size_t)(nl - c->buf);
			if (n >= size)
				return -1;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			if (n > 0 && line[n - 1] == '\r')
				line[n - 1] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return 0;
		}
		if (c->len == sizeof c->buf)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, SMTP_WAIT_MS) <= 0) {
			text_add(&c->log, "(no reply in %d ms)\n", SMTP_WAIT_MS);
			return -1;
		}
		r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		if (r <= 0) {
			text_add(&c->log, "(connection closed)\n");
			return -1;
		}
		c->len += (size_t)r;
	}
}

/* conn_reply - a whole (multi-line) reply; its code, or -1 */
static int
conn_reply(struct conn *c)
{
	char line[LINE_MAX_LEN];

	for (;;) {
		if (conn_line(c, line, sizeof line) < 0)
			return -1;
		text_add(&c->log, "<- %s\n", line);
		if (!isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
			return -1;
		if (line[3] != '-')
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			    (line[2] - '0');
	}
}

/* conn_send - write text and CRLF; a DATA body is logged once */
static int
conn_send(struct conn *c, const char *text, int quiet)
{
	size_t n = strlen(text), off = 0;
	ssize_t w;
	char crlf[] = "\r\n";

	if (!quiet)
		text_add(&c->log, "-> %s\n", text);
	while (off < n) {
		w = write(c->fd, text + off, n - off);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return write(c->fd, crlf, 2) == 2 ? 0 : -1;
}

/* command - send a command line, return the reply code or -1 */
__attribute__((format(printf, 2, 3)))
static int
command(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		return -1;
	rc = conn_send(c, line, 0);
	free(line);
	return rc < 0 ? -1 : conn_reply(c);
}

/* safe_word - no CR, LF, space or NUL that would break a command */
static int
safe_word(const char *s)
{
	return *s && strpbrk(s, "\r\n \t<>") == NULL;
}

/* mta_send - one tagged message to n recipients; RCPT codes in codes */
int
mta_send(struct mta *m, const char *tag, const char *const *rcpts, size_t n,
    int *codes)
{
	struct conn c;
	size_t i, accepted = 0;
	int code, rc = -1;
	char *body = NULL;

	memset(&c, 0, sizeof c);
	c.fd = -1;
	if (!m->running || m->port == 0)
		return errorf(m, "mta: Postfix is not running");
	if (!safe_word(tag))
		return errorf(m, "mta: bad tag");
	for (i = 0; i < n; i++) {
		codes[i] = 0;
		if (!safe_word(rcpts[i]))
			return errorf(m, "mta: bad recipient \"%s\"", rcpts[i]);
	}
	c.fd = dial(m->port);
	if (c.fd < 0) {
		text_add(&c.log, "(cannot connect to 127.0.0.1:%d: %s)\n",
		    m->port, strerror(errno));
		goto out;
	}
	text_add(&c.log, "(connected to 127.0.0.1:%d)\n", m->port);
	if (conn_reply(&c) != 220 ||
	    command(&c, "EHLO client.sender.test") != 250 ||
	    command(&c, "MAIL FROM:<" SENDER ">") != 250)
		goto out;
	for (i = 0; i < n; i++) {
		code = command(&c, "RCPT TO:<%s>", rcpts[i]);
		if (code < 0)
			goto out;
		codes[i] = code;
		if (code / 100 == 2)
			accepted++;
	}
	if (accepted > 0) {
		if (command(&c, "DATA") != 354)
			goto out;
		if (asprintf(&body, "From: <" SENDER ">\r\n"
		    "To: undisclosed-recipients:;\r\n"
		    "Subject: routing test %s\r\n"
		    "Message-ID: <%s@sender.test>\r\n"
		    TAG_HEADER "%s\r\n"
		    "\r\n"
		    "A message to see where it is delivered.\r\n"
		    ".", tag, tag, tag) < 0) {
			body = NULL;
			goto out;
		}
		text_add(&c.log, "-> (message tagged %s)\n", tag);
		if (conn_send(&c, body, 1) < 0 || conn_reply(&c) != 250)
			goto out;
	}
	if (command(&c, "QUIT") != 221)
		goto out;
	rc = 0;
out:
	/* the transcript stays in m->output, for the caller's messages */
	set_output(m, &c.log);
	if (c.fd >= 0)
		close(c.fd);
	free(body);
	return rc;
}

/* count_files - regular files under dir, recursively; -1 when unreadable */
static int
count_files(const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char *path;
	int n = 0, sub;

	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			n = -1;
			break;
		}
		if (lstat(path, &st) == 0) {
			if (S_ISREG(st.st_mode))
				n++;
			else if (S_ISDIR(st.st_mode) && depth < 4) {
				sub = count_files(path, depth + 1);
				if (sub < 0) {
					free(path);
					n = -1;
					break;
				}
				n += sub;
			}
		}
		free(path);
	}
	closedir(d);
	return n;
}

/* queued - messages in the queue: -1 when it cannot be read */
static int
queued(const struct mta *m)
{
	static const char *const dirs[] = {
		"maildrop", "incoming", "active", "deferred", "hold"
	};
	char *path;
	size_t i;
	int n = 0, k;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (asprintf(&path, "%s/%s", m->queue_dir, dirs[i]) < 0)
			return -1;
		k = count_files(path, 0);
		free(path);
		if (k < 0)
			return -1;
		n += k;
	}
	return n;
}

/* mta_settle - wait until the queue is empty */
int
mta_settle(struct mta *m, int timeout_ms)
{
	long long until = now_ms() + timeout_ms;
	char *log;
	int n;

	if (!m->running)
		return errorf(m, "mta: Postfix is not running");
	for (;;) {
		n = queued(m);
		if (n < 0)
			return errorf(m, "mta: cannot read the queue in %s",
			    m->queue_dir);
		if (n == 0)
			return 0;
		if (now_ms() >= until)
			break;
		nap(25);
	}
	log = mta_log_tail(m, 30);
	errorf(m, "mta: %d message(s) still queued after %d ms; end of %s:\n%s",
	    n, timeout_ms, m->log_file, log ? log : "");
	free(log);
	return -1;
}

/* xtext_decode - RFC 3461 xtext (+XX escapes) into a new string */
static char *
xtext_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), hex[3] = { 0 };
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+' && i + 2 < n &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			out[o++] = (char)strtoul(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* add_arrival - parse one X-Rcpt-Args value into the list */
static int
add_arrival(struct mta_arrival **list, size_t *n, size_t *cap,
    enum mta_sink_id id, const char *args)
{
	const char *lt, *gt, *orcpt, *end;
	struct mta_arrival *a, *grown;

	lt = strchr(args, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (gt == NULL)
		return -1;
	if (*n == *cap) {
		if (*cap > SIZE_MAX / 2 / sizeof **list)
			return -1;
		grown = realloc(*list, (*cap ? *cap * 2 : 8) * sizeof **list);
		if (grown == NULL)
			return -1;
		*list = grown;
		*cap = *cap ? *cap * 2 : 8;
	}
	a = &(*list)[*n];
	a->sink = id;
	a->rcpt = strndup(lt + 1, (size_t)(gt - lt - 1));
	orcpt = strstr(gt, "ORCPT=");
	if (orcpt != NULL) {
		orcpt += strlen("ORCPT=");
		if (strncasecmp(orcpt, "rfc822;", 7) == 0)
			orcpt += 7;
		end = orcpt + strcspn(orcpt, " \t\r\n");
		a->orcpt = xtext_decode(orcpt, (size_t)(end - orcpt));
	} else {
		a->orcpt = strdup("");
	}
	if (a->rcpt == NULL || a->orcpt == NULL) {
		free(a->rcpt);
		free(a->orcpt);
		return -1;
	}
	(*n)++;
	return 0;
}

/* scan_dump - the recipients of one dump file, when it carries tag */
static int
scan_dump(const char *path, const char *tag, enum mta_sink_id id,
    struct mta_arrival **list, size_t *n, size_t *cap)
{
	char *text = testlib_read(path, NULL), *want = NULL, *line, *next;
	int rc = -1;

	if (text == NULL)
		return -1;
	if (asprintf(&want, "\n" TAG_HEADER "%s\n", tag) < 0) {
		want = NULL;
		goto out;
	}
	rc = 0;
	if (strstr(text, want) == NULL)
		goto out;
	/* the listener's own records come first, up to its Received: */
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strncmp(line, "Received:", 9) == 0)
			break;
		if (strncmp(line, "X-Rcpt-Args:", 12) == 0 &&
		    add_arrival(list, n, cap, id, line + 12) < 0) {
			rc = -1;
			break;
		}
	}
out:
	free(want);
	free(text);
	return rc;
}

/* mta_arrivals - the recipients of the tagged message, listener by
 * listener */
int
mta_arrivals(struct mta *m, const char *tag, struct mta_arrival **out,
    size_t *n)
{
	struct mta_arrival *list = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	char *path;
	int i, rc = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < MTA_NSINKS && rc == 0; i++) {
		d = opendir(m->sink[i].dump);
		if (d == NULL) {
			rc = errorf(m, "mta: opendir %s: %s", m->sink[i].dump,
			    strerror(errno));
			break;
		}
		while (rc == 0 && (e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "msg.", 4) != 0)
				continue;
			if (asprintf(&path, "%s/%s", m->sink[i].dump,
			    e->d_name) < 0) {
				rc = errorf(m, "mta: out of memory");
				break;
			}
			if (scan_dump(path, tag, i, &list, &count, &cap) < 0)
				rc = errorf(m, "mta: cannot read %s", path);
			free(path);
		}
		closedir(d);
	}
	if (rc < 0) {
		mta_arrivals_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

/* mta_arrivals_free - free a list from mta_arrivals */
void
mta_arrivals_free(struct mta_arrival *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].rcpt);
		free(a[i].orcpt);
	}
	free(a);
}
