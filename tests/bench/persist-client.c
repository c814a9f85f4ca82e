/*
 * persist-client - time LDAP modifies until their commit on a branch
 *
 * SYNOPSIS
 *	persist-client LDAPI_URI REF_FILE CHANGES TIMEOUT_MS OUT [BUDGET_MS]
 *
 * DESCRIPTION
 *	Binds once over LDAPI_URI with SASL EXTERNAL, then for each line
 *	of CHANGES (tab-separated: kind, DN, replace|add|delete, attribute,
 *	values...) sends that modify and waits, watching REF_FILE's
 *	directory with inotify, until REF_FILE holds another commit than
 *	before the modify. One line per change goes to OUT: the kind, the
 *	modify's round trip and the time from sending the modify to the
 *	new commit, both in microseconds (CLOCK_MONOTONIC). Changes are
 *	sent one at a time, so each commit is the one of its change. With
 *	BUDGET_MS, no change is sent once that much time has passed.
 *
 * DIAGNOSTICS
 *	Exit status 0 when every change sent was committed; 1 on a usage or
 *	LDAP error; 2 when a commit did not come within TIMEOUT_MS (the
 *	lines of the changes before it are in OUT). Messages on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#define MAX_VALUES 16
#define REF_MAX 128

/* now_us - monotonic clock in microseconds */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* read_ref - the content of the ref file into buf ("" when missing) */
static void
read_ref(const char *path, char *buf, size_t len)
{
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/* bind_external - connect and bind with SASL EXTERNAL; NULL on error */
static LDAP *
bind_external(const char *uri)
{
	LDAP *ld = NULL;
	int version = LDAP_VERSION3, rc, round = 0;
	struct berval empty = { 0, (char *)"" }, *scred = NULL;

	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "persist-client: %s: %s\n", uri,
		    ldap_err2string(rc));
		return NULL;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	/* slapd answers the first step with an empty challenge. */
	do {
		ber_bvfree(scred);
		scred = NULL;
		rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL,
		    &scred);
	} while (rc == LDAP_SASL_BIND_IN_PROGRESS && ++round < 3);
	ber_bvfree(scred);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "persist-client: bind: %s\n",
		    ldap_err2string(rc));
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

/* modify - send the change of one line (fields cut in place) */
static int
modify(LDAP *ld, char **f, int nf)
{
	LDAPMod mod, *mods[2];
	char *values[MAX_VALUES + 1];
	int i, rc;

	memset(&mod, 0, sizeof mod);
	if (strcmp(f[2], "replace") == 0)
		mod.mod_op = LDAP_MOD_REPLACE;
	else if (strcmp(f[2], "add") == 0)
		mod.mod_op = LDAP_MOD_ADD;
	else if (strcmp(f[2], "delete") == 0)
		mod.mod_op = LDAP_MOD_DELETE;
	else {
		fprintf(stderr, "persist-client: unknown operation %s\n", f[2]);
		return -1;
	}
	mod.mod_type = f[3];
	for (i = 4; i < nf; i++)
		values[i - 4] = f[i];
	values[nf - 4] = NULL;
	mod.mod_values = values;
	mods[0] = &mod;
	mods[1] = NULL;
	rc = ldap_modify_ext_s(ld, f[1], mods, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "persist-client: modify %s: %s\n", f[1],
		    ldap_err2string(rc));
		return -1;
	}
	return 0;
}

/* wait_ref - wait until the ref differs from before; 0, or -1 on
 * timeout */
static int
wait_ref(int ifd, const char *ref, const char *before, int64_t deadline)
{
	char cur[REF_MAX], ev[4096];
	struct pollfd p;
	int64_t left;

	for (;;) {
		read_ref(ref, cur, sizeof cur);
		if (cur[0] != '\0' && strcmp(cur, before) != 0)
			return 0;
		left = deadline - now_us();
		if (left <= 0)
			return -1;
		p.fd = ifd;
		p.events = POLLIN;
		p.revents = 0;
		/* At most 50 ms asleep, in case an event was missed. */
		if (poll(&p, 1, left > 50000 ? 50 : (int)(left / 1000) + 1) > 0)
			while (read(ifd, ev, sizeof ev) > 0)
				;
	}
}

/* split_line - cut a line at tabs; the number of fields */
static int
split_line(char *line, char **f, int max)
{
	int n = 0;
	char *s = line, *t;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = s;
		t = strchr(s, '\t');
		if (t == NULL)
			break;
		*t = '\0';
		s = t + 1;
	}
	return n;
}

/* parse_ms - a positive number of milliseconds; -1 when invalid */
static long
parse_ms(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > LONG_MAX / 1000)
		return -1;
	return v;
}

/* main - bind, then one change at a time until its commit */
int
main(int argc, char **argv)
{
	FILE *in = NULL, *out = NULL;
	LDAP *ld = NULL;
	char line[8192], before[REF_MAX], dir[PATH_MAX], *f[MAX_VALUES + 4];
	char *slash;
	int64_t t0, t1, t2, start = now_us();
	long timeout_ms, budget_ms = 0;
	int ifd = -1, nf, status = 1;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: persist-client LDAPI_URI REF_FILE "
		    "CHANGES TIMEOUT_MS OUT [BUDGET_MS]\n");
		return 1;
	}
	timeout_ms = parse_ms(argv[4]);
	if (argc == 7)
		budget_ms = parse_ms(argv[6]);
	if (timeout_ms < 0 || budget_ms < 0 || strlen(argv[2]) >= sizeof dir) {
		fprintf(stderr, "persist-client: bad timeout, budget or ref "
		    "path\n");
		return 1;
	}
	strcpy(dir, argv[2]);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		fprintf(stderr, "persist-client: REF_FILE must have a directory\n");
		return 1;
	}
	*slash = '\0';
	in = fopen(argv[3], "r");
	out = fopen(argv[5], "w");
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in == NULL || out == NULL || ifd < 0 || inotify_add_watch(ifd, dir,
	    IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
		perror("persist-client");
		goto out;
	}
	ld = bind_external(argv[1]);
	if (ld == NULL)
		goto out;
	while (fgets(line, sizeof line, in) != NULL) {
		if (budget_ms > 0 && now_us() - start >= budget_ms * 1000)
			break;
		nf = split_line(line, f, MAX_VALUES + 4);
		if (nf < 4) {
			fprintf(stderr, "persist-client: short line\n");
			goto out;
		}
		read_ref(argv[2], before, sizeof before);
		t0 = now_us();
		if (modify(ld, f, nf) < 0)
			goto out;
		t1 = now_us();
		if (wait_ref(ifd, argv[2], before, t0 + timeout_ms * 1000) < 0) {
			fprintf(stderr, "persist-client: no commit within %ld ms "
			    "after modifying %s\n", timeout_ms, f[1]);
			status = 2;
			goto out;
		}
		t2 = now_us();
		fprintf(out, "%s %lld %lld\n", f[0], (long long)(t1 - t0),
		    (long long)(t2 - t0));
		fflush(out);
	}
	status = 0;
out:
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	if (ifd >= 0)
		close(ifd);
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		status = 1;
	return status;
}
