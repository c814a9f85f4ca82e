/*
 * check_run - splitsync run, the service, against a real slapd with
 * syncprov: each kind of directory change reaches the branch, restarts
 * and outages lose nothing, and after a storm of random changes the
 * branch holds exactly what a fresh resync of the final directory
 * renders. Every scenario runs twice: feed = persist (syncrepl) and
 * feed = poll. The guards are off here (check_rollout tests them): on
 * a directory this small any deletion is more than 10 %, and a few
 * additions double it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "scenario.h"
#include "slapd.h"

#define QUICKSTART "examples/quickstart"
#define LOCAL "lmtp:core.example.com:2400"
#define LEGACY "smtp:[legacy.example.com]:25"
#define PEOPLE "ou=people,dc=example,dc=com"
#define WAIT_MS 30000           /* bound on every "reaches the branch" */

static struct slapd sd;
static char quickstart_ldif[512];

static const char *const tables[] = {
	"virtual_domains", "virtual_mailbox", "virtual_alias", "transport",
	"master_relay_transport", NULL
};

/* sleep_ms - nap */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* now_ms - monotonic milliseconds */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
setup(void)
{
	memset(&sd, 0, sizeof sd);
	ck_assert_msg(slapd_start(&sd, NULL) == 0, "slapd: %s", sd.output);
	ck_assert_msg(slapd_load(&sd, SLAPD_BASE_LDIF) == 0, "%s", sd.output);
	snprintf(quickstart_ldif, sizeof quickstart_ldif, "%s/quickstart.ldif",
	    sd.dir);
	scenario_without_base(QUICKSTART "/directory.ldif", quickstart_ldif);
	ck_assert_msg(slapd_load(&sd, quickstart_ldif) == 0, "%s", sd.output);
}

static void
teardown(void)
{
	slapd_cleanup(&sd);
}

/* The agent under test, and where its log goes. */
struct agent {
	pid_t pid;
	char *log;
};

/* config_shards - a scenario reading sd over ldapi with the given feed,
 * its tables in shards */
static void
config_shards(struct scenario *s, const char *feed, int debounce_ms,
    int shards)
{
	char *extra;

	ck_assert_int_ne(asprintf(&extra, "source = ldap\nldap_uri = %s\n"
	    "ldap_base = %s\nldap_sasl_mech = EXTERNAL\n"
	    "ldap_network_timeout = 2\nldap_timeout = 20\nfeed = %s\n"
	    "poll_interval = 1\ndebounce = %d\nreconnect_min = 1\n"
	    "reconnect_max = 2\nguard_max_delete_percent = 0\n"
	    "guard_max_delete_count = 0\nguard_max_add_percent = 0\n"
	    "table_shards = %d\n", sd.ldapi_uri,
	    sd.base, feed, debounce_ms, shards),
	    -1);
	scenario_new(s, QUICKSTART "/mapping.xml", NULL, extra);
	free(extra);
}

/* config - the same with one file per table */
static void
config(struct scenario *s, const char *feed, int debounce_ms)
{
	config_shards(s, feed, debounce_ms, 0);
}

/* Shell: the table $T at main of the repository $R, joined again from
 * its shards when it has them (what the deploy step does). */
#define TABLE_TEXT "if git --git-dir=\"$R\" cat-file -e \"main:$T.d\" " \
	"2>/dev/null; then git --git-dir=\"$R\" ls-tree -r --name-only main " \
	"\"$T.d\" | while read -r p; do git --git-dir=\"$R\" cat-file blob " \
	"\"main:$p\"; done | LC_ALL=C sort; else git --git-dir=\"$R\" show " \
	"\"main:$T\"; fi"

/* set_debounce - rewrite the debounce line of the configuration */
static void
set_debounce(struct scenario *s, int debounce_ms)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "sed -i 's/^debounce = .*/debounce "
	    "= %d/' '%s'", debounce_ms, s->conf), 0);
	free(out);
}

/* agent_start - splitsync run in the background */
static void
agent_start(struct agent *a, const struct scenario *s)
{
	char *out = NULL;

	if (a->log == NULL)
		ck_assert_int_ne(asprintf(&a->log, "%s/agent.log", s->dir), -1);
	ck_assert_int_eq(testlib_sh(&out, "'%s' -v run -c '%s' >> '%s' 2>&1 & "
	    "echo $!", testlib_bin(), s->conf, a->log), 0);
	a->pid = (pid_t)atol(out);
	free(out);
	ck_assert_int_gt(a->pid, 0);
}

/* agent_log - the agent's log, for failure messages (free()) */
static char *
agent_log(const struct agent *a)
{
	char *text = testlib_read(a->log, NULL);

	return text ? text : strdup("(no log)");
}

/* agent_stop - SIGTERM, and it must exit 0 in time */
static void
agent_stop(struct agent *a)
{
	int status = 0, i;
	char *log;

	if (a->pid <= 0)
		return;
	kill(a->pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(a->pid, &status, WNOHANG) == a->pid)
			break;
		/* Started through a shell: not our child; wait it out. */
		if (kill(a->pid, 0) < 0)
			break;
		sleep_ms(50);
	}
	log = agent_log(a);
	ck_assert_msg(kill(a->pid, 0) < 0, "agent ignored SIGTERM:\n%s", log);
	ck_assert_msg(strstr(log, "stopped:") == NULL, "agent failed:\n%s", log);
	free(log);
	a->pid = 0;
}

/* agent_kill - SIGKILL: no chance to commit anything */
static void
agent_kill(struct agent *a)
{
	kill(a->pid, SIGKILL);
	while (kill(a->pid, 0) == 0)
		sleep_ms(20);
	a->pid = 0;
}

static void
agent_free(struct agent *a)
{
	if (a->pid > 0)
		agent_kill(a);
	free(a->log);
	a->log = NULL;
}

/* table_value - the value of key in a table at the head, or NULL */
static char *
table_value(const struct scenario *s, const char *table, const char *key)
{
	char *out = NULL, *line, *val = NULL;
	size_t klen = strlen(key);

	if (testlib_sh(&out, "R='%s' T='%s'; { " TABLE_TEXT "; } 2>/dev/null",
	    s->repo, table) != 0) {
		free(out);
		return NULL;
	}
	for (line = out; line && *line; line = strchr(line, '\n') ?
	    strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			val = strndup(line + klen + 1,
			    strcspn(line + klen + 1, "\n"));
			break;
		}
	}
	free(out);
	return val;
}

/* wait_value - until table answers value for key (NULL: absent) */
static void
wait_value(const struct scenario *s, const struct agent *a,
    const char *table, const char *key, const char *value)
{
	long deadline = now_ms() + WAIT_MS;
	char *got = NULL, *log;

	for (;;) {
		free(got);
		got = table_value(s, table, key);
		if (value == NULL ? got == NULL : got && strcmp(got, value) == 0)
			break;
		if (now_ms() > deadline) {
			log = agent_log(a);
			ck_abort_msg("%s: %s: expected %s, still %s after %d ms; "
			    "agent log:\n%s", table, key, value ? value : "none",
			    got ? got : "none", WAIT_MS, log);
		}
		sleep_ms(50);
	}
	free(got);
}

/* modify - apply LDIF change records */
static void
modify(const char *ldif)
{
	ck_assert_msg(slapd_modify(&sd, ldif) == 0, "%s", sd.output);
}

/* Each kind of change, one after the other, each to the branch. */
static void
changes_reach_the_branch(const char *feed, int shards)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *msg = NULL, *log;

	config_shards(&s, feed, 100, shards);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);

	/* add */
	modify("dn: uid=zoe," PEOPLE "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: splitsyncMailUser\nuid: zoe\ncn: Zoe\n"
	    "sn: Z\nmail: zoe@example.com\n");
	wait_value(&s, &a, "transport", "zoe@example.com", LOCAL);
	/* modify: a new alternate address */
	modify("dn: uid=zoe," PEOPLE "\nchangetype: modify\nadd: "
	    "mailAlternateAddress\nmailAlternateAddress: z@example.com\n");
	wait_value(&s, &a, "virtual_alias", "z@example.com", "zoe@example.com");
	/* group membership: zoe is not migrated after all */
	modify("dn: cn=legacy-users,ou=groups,dc=example,dc=com\nchangetype: "
	    "modify\nadd: member\nmember: uid=zoe," PEOPLE "\n");
	wait_value(&s, &a, "transport", "zoe@example.com", LEGACY);
	/* nested: erin leaves legacy-sales (a group needs a member) */
	modify("dn: cn=legacy-sales,ou=groups,dc=example,dc=com\nchangetype: "
	    "modify\nreplace: member\nmember: uid=nobody," PEOPLE "\n");
	wait_value(&s, &a, "transport", "erin@example.com", LOCAL);
	/* modrdn: same mailbox, new DN */
	modify("dn: uid=dave," PEOPLE "\nchangetype: modrdn\nnewrdn: "
	    "uid=david\ndeleteoldrdn: 1\n");
	modify("dn: uid=david," PEOPLE "\nchangetype: modify\nreplace: mail\n"
	    "mail: david@example.org\n");
	wait_value(&s, &a, "transport", "david@example.org", LOCAL);
	wait_value(&s, &a, "transport", "dave@example.org", NULL);
	/* delete */
	modify("dn: uid=carol," PEOPLE "\nchangetype: delete\n");
	wait_value(&s, &a, "transport", "sales@example.com", NULL);
	wait_value(&s, &a, "transport", "carol@example.com", NULL);
	/* a domain entry: example.org stops forwarding unknown recipients */
	modify("dn: associatedDomain=example.org,ou=domains,dc=example,dc=com\n"
	    "changetype: modify\nreplace: splitsyncForwardUnknown\n"
	    "splitsyncForwardUnknown: FALSE\n");
	wait_value(&s, &a, "master_relay_transport", "example.org", NULL);
	wait_value(&s, &a, "virtual_mailbox", "david@example.org", "OK");

	/* The last commit says what changed and from which entry. */
	ck_assert_int_eq(testlib_sh(&msg, "git --git-dir='%s' log --format=%%B "
	    "main", s.repo), 0);
	ck_assert_msg(strstr(msg, "- carol@example.com: internal " LOCAL
	    " (uid=carol," PEOPLE ")") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "+ zoe@example.com: internal") != NULL,
	    "%s", msg);
	if (strcmp(feed, "persist") == 0)
		ck_assert_msg(strstr(msg, "Splitsync-Cookie: rid=") != NULL,
		    "%s", msg);
	free(msg);
	if (shards && strcmp(feed, "persist") == 0) {
		/* Sharded, the service commits a change from its live state
		 * instead of building everything again. */
		log = agent_log(&a);
		ck_assert_msg(strstr(log, "(incremental)") != NULL, "%s", log);
		free(log);
	}
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}

START_TEST(persist_changes_reach_the_branch)
{
	changes_reach_the_branch("persist", 0);
}
END_TEST

START_TEST(persist_changes_reach_sharded_tables)
{
	changes_reach_the_branch("persist", 16);
}
END_TEST

START_TEST(poll_changes_reach_the_branch)
{
	changes_reach_the_branch("poll", 0);
}
END_TEST

/* slapd goes away and comes back while the agent runs. */
static void
survives_server_restart(const char *feed)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *head, *log, *p, *end;
	long secs;
	int n;

	config(&s, feed, 100);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	n = scenario_commits(&s);
	head = scenario_head(&s);
	ck_assert_int_eq(slapd_stop(&sd), 0);
	sleep_ms(2500);
	/* Nothing committed while the server is away. */
	ck_assert_int_eq(scenario_commits(&s), n);
	ck_assert_msg(kill(a.pid, 0) == 0, "agent died with the server");
	ck_assert_msg(slapd_restart(&sd) == 0, "%s", sd.output);
	modify("dn: uid=alice," PEOPLE "\nchangetype: modify\nadd: "
	    "mailAlternateAddress\nmailAlternateAddress: ali@example.com\n");
	wait_value(&s, &a, "virtual_alias", "ali@example.com",
	    "alice@example.com");
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	/* The outage and its end are in the log, once. */
	log = agent_log(&a);
	ck_assert_msg(strstr(log, "retrying in ") != NULL, "%s", log);
	p = strstr(log, "notice: daemon: source: ");
	ck_assert_msg(p != NULL && strstr(p, ": reconnected after ") != NULL,
	    "no reconnection line:\n%s", log);
	p = strstr(p, ": reconnected after ") + 20;
	secs = strtol(p, &end, 10);
	ck_assert_msg(end > p && strncmp(end, " s (", 4) == 0 && secs >= 2 &&
	    secs < 60, "%s", log);
	ck_assert_msg(strstr(end, ": reconnected after ") == NULL,
	    "reconnected twice:\n%s", log);
	free(log);
	free(head);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}

START_TEST(persist_survives_server_restart)
{
	survives_server_restart("persist");
}
END_TEST

START_TEST(poll_survives_server_restart)
{
	survives_server_restart("poll");
}
END_TEST

/* SIGKILL between a change and its commit: the restarted agent
 * commits it once. */
static void
killed_before_commit(const char *feed)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *v;
	int n;

	config(&s, feed, 100);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	agent_stop(&a);
	/* A long debounce: the change is received, never committed. */
	set_debounce(&s, 60000);
	agent_start(&a, &s);
	sleep_ms(1500);
	n = scenario_commits(&s);
	modify("dn: cn=legacy-users,ou=groups,dc=example,dc=com\nchangetype: "
	    "modify\ndelete: member\nmember: uid=bob," PEOPLE "\n");
	sleep_ms(2500);
	agent_kill(&a);
	ck_assert_int_eq(scenario_commits(&s), n);
	v = table_value(&s, "transport", "bob@example.com");
	ck_assert_str_eq(v, LEGACY);
	free(v);
	set_debounce(&s, 100);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LOCAL);
	sleep_ms(2500);
	ck_assert_int_eq(scenario_commits(&s), n + 1);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}

START_TEST(persist_killed_before_commit)
{
	killed_before_commit("persist");
}
END_TEST

START_TEST(poll_killed_before_commit)
{
	killed_before_commit("poll");
}
END_TEST

/* --- convergence under random changes ------------------------------ */

#define USERS 40

struct world {
	unsigned long rng;
	int exists[USERS];
	int renamed[USERS];     /* times renamed: part of the uid */
	int member[USERS];      /* in cn=legacy-users */
};

/* rnd - a small deterministic generator: the run can be replayed */
static unsigned
rnd(struct world *w, unsigned n)
{
	w->rng = w->rng * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((w->rng >> 33) % n);
}

/* uid - the current RDN value of user i */
static void
uid(const struct world *w, int i, char *out, size_t len)
{
	snprintf(out, len, "u%dr%d", i, w->renamed[i]);
}

/* one_change - append one random change record for the world */
static void
one_change(struct world *w, struct buf *b)
{
	int i = (int)rnd(w, USERS);
	char id[32], nid[32];

	uid(w, i, id, sizeof id);
	if (!w->exists[i]) {
		buf_printf(b, "dn: uid=%s," PEOPLE "\nchangetype: add\n"
		    "objectClass: inetOrgPerson\nobjectClass: splitsyncMailUser\n"
		    "uid: %s\ncn: %s\nsn: %s\nmail: %s@example.com\n"
		    "mailAlternateAddress: alt%u.%d@example.com\n\n", id, id, id,
		    id, id, rnd(w, 5), i);
		w->exists[i] = 1;
		return;
	}
	switch (rnd(w, 5)) {
	case 0:
		buf_printf(b, "dn: uid=%s," PEOPLE "\nchangetype: delete\n\n",
		    id);
		if (w->member[i])
			buf_printf(b, "dn: cn=legacy-users,ou=groups,dc=example,"
			    "dc=com\nchangetype: modify\ndelete: member\n"
			    "member: uid=%s," PEOPLE "\n\n", id);
		w->exists[i] = 0;
		w->member[i] = 0;
		break;
	case 1:
		/* Addresses stay unique to their user: with a conflict, the
		 * agent keeps the earlier owner, which a fresh resync
		 * cannot know (that rule is tested in check_model). */
		buf_printf(b, "dn: uid=%s," PEOPLE "\nchangetype: modify\n"
		    "replace: mailAlternateAddress\nmailAlternateAddress: "
		    "alt%u.%d@example.com\n\n", id, rnd(w, 5), i);
		break;
	case 2:
		w->renamed[i]++;
		uid(w, i, nid, sizeof nid);
		buf_printf(b, "dn: uid=%s," PEOPLE "\nchangetype: modrdn\n"
		    "newrdn: uid=%s\ndeleteoldrdn: 1\n\n", id, nid);
		if (w->member[i])
			buf_printf(b, "dn: cn=legacy-users,ou=groups,dc=example,"
			    "dc=com\nchangetype: modify\ndelete: member\n"
			    "member: uid=%s," PEOPLE "\n-\nadd: member\n"
			    "member: uid=%s," PEOPLE "\n\n", id, nid);
		break;
	default:
		buf_printf(b, "dn: cn=legacy-users,ou=groups,dc=example,dc=com\n"
		    "changetype: modify\n%s: member\nmember: uid=%s," PEOPLE
		    "\n\n", w->member[i] ? "delete" : "add", id);
		w->member[i] = !w->member[i];
		break;
	}
}

/* same_tables - 1 when both repositories hold the same tables */
static int
same_tables(const struct scenario *a, const struct scenario *b)
{
	char *out = NULL;
	int rc = 0;
	size_t i;

	for (i = 0; tables[i]; i++) {
		rc = testlib_sh(&out, "T='%s'; R='%s'; { " TABLE_TEXT "; } > "
		    "'%s/a' && R='%s'; { " TABLE_TEXT "; } > '%s/b' && "
		    "cmp -s '%s/a' '%s/b'", tables[i], a->repo, b->dir, b->repo,
		    b->dir, b->dir, b->dir);
		free(out);
		out = NULL;
		if (rc != 0)
			return 0;
	}
	return 1;
}

static void
converges(const char *feed, int shards)
{
	struct scenario s, fresh;
	struct agent a = { 0, NULL };
	struct world w;
	struct buf batch = BUF_INIT;
	char *out = NULL, *log;
	long deadline;
	int round, k;

	memset(&w, 0, sizeof w);
	w.rng = 20261126;
	config_shards(&s, feed, 200, shards);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	for (round = 0; round < 30; round++) {
		buf_reset(&batch);
		for (k = 0; k < 10; k++)
			one_change(&w, &batch);
		modify(batch.data);
		sleep_ms(rnd(&w, 300));
	}
	buf_free(&batch);
	/* The reference: resync of the final directory, elsewhere. */
	config(&fresh, feed, 0);
	deadline = now_ms() + WAIT_MS;
	for (;;) {
		ck_assert_int_eq(testlib_sh(&out, "rm -rf '%s' && '%s' -q resync "
		    "-c '%s'", fresh.repo, testlib_bin(), fresh.conf), 0);
		free(out);
		if (same_tables(&s, &fresh))
			break;
		if (now_ms() > deadline) {
			log = agent_log(&a);
			testlib_sh(&out, "cd '%s' && for t in transport "
			    "virtual_alias virtual_mailbox; do git --git-dir='%s' "
			    "show main:$t > a; git --git-dir='%s' show main:$t > b;"
			    " diff a b; done", fresh.dir, s.repo, fresh.repo);
			ck_abort_msg("%s: tables differ from a fresh resync:\n%s\n"
			    "agent log:\n%s", feed, out, log);
		}
		sleep_ms(300);
	}
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&fresh);
	scenario_free(&s);
}

START_TEST(persist_sharded_converges_under_random_changes)
{
	converges("persist", 256);
}
END_TEST

START_TEST(persist_converges_under_random_changes)
{
	converges("persist", 0);
}
END_TEST

START_TEST(poll_converges_under_random_changes)
{
	converges("poll", 0);
}
END_TEST

/* --- faults and signals ------------------------------------------- */

/* wait_log - until the agent's log holds text */
static void
wait_log(const struct agent *a, const char *text)
{
	long deadline = now_ms() + WAIT_MS;
	char *log;

	for (;;) {
		log = agent_log(a);
		if (strstr(log, text) != NULL)
			break;
		ck_assert_msg(now_ms() < deadline, "no \"%s\" in the agent log:"
		    "\n%s", text, log);
		free(log);
		sleep_ms(50);
	}
	free(log);
}

START_TEST(bad_credentials_stop_the_service)
{
	struct scenario s;
	char *extra, *out = NULL;
	int rc;

	ck_assert_int_ne(asprintf(&extra, "source = ldap\nldap_uri = %s\n"
	    "ldap_base = %s\nldap_bind_dn = %s\nldap_bind_password_file = "
	    "password\nfeed = persist\n", sd.ldap_uri, sd.base, sd.root_dn),
	    -1);
	scenario_new(&s, QUICKSTART "/mapping.xml", NULL, extra);
	free(extra);
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && umask 077 && echo wrong "
	    "> password", s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "timeout 20 '%s' run -c '%s'", testlib_bin(),
	    s.conf);
	ck_assert_msg(rc == 77, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "wrong") == NULL, "password logged: %s", out);
	free(out);
	ck_assert_int_eq(scenario_commits(&s), 0);
	scenario_free(&s);
}
END_TEST

START_TEST(server_down_at_start)
{
	struct scenario s;
	struct agent a = { 0, NULL };

	config(&s, "persist", 100);
	ck_assert_int_eq(slapd_stop(&sd), 0);
	agent_start(&a, &s);
	wait_log(&a, "retrying in");
	ck_assert_int_eq(scenario_commits(&s), 0);
	ck_assert_msg(slapd_restart(&sd) == 0, "%s", sd.output);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

START_TEST(sigusr1_reloads_in_full)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *log;
	int n;

	config(&s, "persist", 100);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	n = scenario_commits(&s);
	kill(a.pid, SIGUSR1);
	wait_log(&a, "SIGUSR1: full resync");
	/* A full reload of an unchanged directory: no commit. */
	sleep_ms(3000);
	log = agent_log(&a);
	ck_assert_msg(strstr(strstr(log, "SIGUSR1"), "refresh done") != NULL,
	    "%s", log);
	free(log);
	ck_assert_int_eq(scenario_commits(&s), n);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

/* occurrences - how often needle is in the agent's log */
static size_t
occurrences(const struct agent *a, const char *needle)
{
	char *log = agent_log(a);
	const char *p = log;
	size_t n = 0;

	for (; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* wait_count - until needle is n times in the agent's log */
static void
wait_count(const struct agent *a, const char *needle, size_t n)
{
	long deadline = now_ms() + WAIT_MS;
	char *log;

	while (occurrences(a, needle) < n) {
		if (now_ms() > deadline) {
			log = agent_log(a);
			ck_abort_msg("\"%s\" not %zu times in %d ms; agent log:"
			    "\n%s", needle, n, WAIT_MS, log);
		}
		sleep_ms(50);
	}
}

/* How a test changes the directory of the scenario. */
enum edit { ADD_USER, ADD_BAD, DROP_BAD };
typedef void edit_fn(const struct scenario *s, enum edit what);

#define BAD_VALUE "mallory@nowhere.test"
#define BAD_LINE "uid=mallory,ou=people,dc=example,dc=com: address \"" \
	BAD_VALUE "\" refused"
#define OLD_LINE "uid=mallory,ou=people,dc=example,dc=com: address \"" \
	"mallory@elsewhere.test\" refused"
#define CONFLICT_LINE "address alice@example.com is already routed for"

/* problems_once - the service logs each problem of the directory once:
 * when it appears, not while it stays (a line of totals instead), and
 * again after the directory took it away and brought it back */
static void
problems_once(struct scenario *s, edit_fn *edit)
{
	struct agent a = { 0, NULL };

	agent_start(&a, s);
	wait_value(s, &a, "transport", "bob@example.com", LEGACY);
	wait_count(&a, OLD_LINE, 1);
	ck_assert_uint_eq(occurrences(&a, CONFLICT_LINE), 1);
	/* another entry changes: mallory's problems are not logged again */
	edit(s, ADD_USER);
	wait_value(s, &a, "transport", "newbie@example.com", LOCAL);
	wait_count(&a, "conflicts, all reported before", 1);
	ck_assert_uint_eq(occurrences(&a, OLD_LINE), 1);
	ck_assert_uint_eq(occurrences(&a, CONFLICT_LINE), 1);
	/* a new problem: it alone is logged */
	edit(s, ADD_BAD);
	wait_count(&a, BAD_LINE, 1);
	wait_count(&a, "conflicts, 1 of them new", 1);
	ck_assert_uint_eq(occurrences(&a, OLD_LINE), 1);
	ck_assert_uint_eq(occurrences(&a, CONFLICT_LINE), 1);
	/* gone, then back: logged again */
	edit(s, DROP_BAD);
	wait_count(&a, "conflicts, all reported before", 2);
	edit(s, ADD_BAD);
	wait_count(&a, BAD_LINE, 2);
	ck_assert_uint_eq(occurrences(&a, OLD_LINE), 1);
	ck_assert_uint_eq(occurrences(&a, CONFLICT_LINE), 1);
	agent_stop(&a);
	agent_free(&a);
}

/* edit_ldap - the change through the server */
static void
edit_ldap(const struct scenario *s, enum edit what)
{
	(void)s;
	if (what == ADD_USER)
		modify("dn: uid=newbie," PEOPLE "\nchangetype: add\n"
		    "objectClass: inetOrgPerson\nobjectClass: "
		    "splitsyncMailUser\nuid: newbie\ncn: N\nsn: N\nmail: "
		    "newbie@example.com\n");
	else if (what == ADD_BAD)
		modify("dn: uid=mallory," PEOPLE "\nchangetype: modify\nadd: "
		    "mailAlternateAddress\nmailAlternateAddress: " BAD_VALUE
		    "\n");
	else
		modify("dn: uid=mallory," PEOPLE "\nchangetype: modify\n"
		    "delete: mailAlternateAddress\nmailAlternateAddress: "
		    BAD_VALUE "\n");
}

START_TEST(persist_logs_each_problem_once)
{
	struct scenario s;

	/* sharded: the changes take the live path, one entry at a time */
	config_shards(&s, "persist", 100, 16);
	problems_once(&s, edit_ldap);
	scenario_free(&s);
}
END_TEST

START_TEST(poll_logs_each_problem_once)
{
	struct scenario s;

	config(&s, "poll", 100);
	problems_once(&s, edit_ldap);
	scenario_free(&s);
}
END_TEST

/* An LDIF source polled: quick scenarios without a server. */
static void
ldif_config(struct scenario *s)
{
	scenario_new(s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "feed = poll\npoll_interval = 1\n"
	    "debounce = 100\nguard_max_delete_percent = 0\n");
}

START_TEST(sighup_keeps_old_config_on_error)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *out = NULL;

	ldif_config(&s);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "alice@example.com", LOCAL);
	/* A broken mapping: refused, the old one stays. */
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && cp mapping.xml good.xml "
	    "&& echo '<mapping' > mapping.xml", s.dir), 0);
	free(out);
	kill(a.pid, SIGHUP);
	wait_log(&a, "reload refused");
	ck_assert_int_eq(kill(a.pid, 0), 0);
	/* A good new mapping: the local nexthop moves. */
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && sed "
	    "'s/core.example.com:2400/core2.example.com:24/g' good.xml > "
	    "mapping.xml", s.dir), 0);
	free(out);
	kill(a.pid, SIGHUP);
	wait_value(&s, &a, "transport", "alice@example.com",
	    "lmtp:core2.example.com:24");
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

START_TEST(empty_directory_is_held_by_the_service)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *out = NULL, *v;
	int n;

	ldif_config(&s);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "alice@example.com", LOCAL);
	n = scenario_commits(&s);
	ck_assert_int_eq(testlib_sh(&out, "cp tests/data/resync/empty.ldif "
	    "'%s/directory.ldif'", s.dir), 0);
	free(out);
	wait_log(&a, "held");
	sleep_ms(2500);
	ck_assert_int_eq(scenario_commits(&s), n);
	v = table_value(&s, "transport", "alice@example.com");
	ck_assert_str_eq(v, LOCAL);
	free(v);
	ck_assert_int_eq(kill(a.pid, 0), 0);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

/* --- the service's own bookkeeping -------------------------------- */

/* agent_spawn - splitsync run as a child of the test, so that its exit
 * status can be read (agent_exit) */
static void
agent_spawn(struct agent *a, const struct scenario *s)
{
	pid_t pid;

	if (a->log == NULL)
		ck_assert_int_ne(asprintf(&a->log, "%s/agent.log", s->dir), -1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (freopen(a->log, "a", stdout) == NULL ||
		    dup2(fileno(stdout), STDERR_FILENO) < 0)
			_exit(126);
		execl(testlib_bin(), "splitsync", "-v", "run", "-c", s->conf,
		    (char *)NULL);
		_exit(127);
	}
	a->pid = pid;
}

/* agent_exit - SIGTERM a spawned agent; its exit status (-1: killed by
 * a signal, or not gone in time) */
static int
agent_exit(struct agent *a)
{
	int status = 0, i;

	kill(a->pid, SIGTERM);
	for (i = 0; i < 400; i++) {
		if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
			a->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		sleep_ms(50);
	}
	return -1;
}

/* count - occurrences of text in s */
static int
count(const char *s, const char *text)
{
	int n = 0;

	while ((s = strstr(s, text)) != NULL) {
		n++;
		s += strlen(text);
	}
	return n;
}

/* since_start - the part of a log written by the last start (free()) */
static char *
since_start(const struct agent *a)
{
	char *log = agent_log(a), *p = log, *last = NULL, *part;

	while ((p = strstr(p, "daemon: started:")) != NULL)
		last = p++;
	part = strdup(last ? last : log);
	free(log);
	return part;
}

/* wait_log_count - until the agent's log holds text n times */
static void
wait_log_count(const struct agent *a, const char *text, int n)
{
	long deadline = now_ms() + WAIT_MS;
	char *log;

	for (;;) {
		log = agent_log(a);
		if (count(log, text) >= n)
			break;
		ck_assert_msg(now_ms() < deadline, "\"%s\" not %d times in the "
		    "agent log:\n%s", text, n, log);
		free(log);
		sleep_ms(50);
	}
	free(log);
}

/* A resync, then the service: it saves the state it loaded (the
 * resync's commit has none), so the next start resumes from its cookie
 * instead of loading the whole directory again, and commits nothing. */
START_TEST(run_after_resync_resumes_from_the_cookie)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *out = NULL, *log, *msg;
	long deadline;
	int n;

	config(&s, "persist", 100);
	ck_assert_int_eq(testlib_sh(&out, "'%s' -q resync -c '%s'",
	    testlib_bin(), s.conf), 0);
	free(out);
	ck_assert_int_eq(scenario_commits(&s), 1);
	agent_start(&a, &s);
	wait_log(&a, "refresh done");
	deadline = now_ms() + WAIT_MS;
	while (scenario_commits(&s) < 2) {
		log = agent_log(&a);
		ck_assert_msg(now_ms() < deadline, "no state commit:\n%s", log);
		free(log);
		sleep_ms(50);
	}
	agent_stop(&a);
	n = scenario_commits(&s);
	ck_assert_int_eq(n, 2);
	/* The state commit changes no table and says so. */
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s' diff --stat "
	    "main^ main -- . ':!.splitsync'", s.repo), 0);
	ck_assert_msg(out[0] == '\0', "tables changed: %s", out);
	free(out);
	ck_assert_int_eq(testlib_sh(&msg, "git --git-dir='%s' log -1 "
	    "--format=%%B main", s.repo), 0);
	ck_assert_msg(strstr(msg, "no table changed") != NULL &&
	    strstr(msg, "Splitsync-Cookie: rid=") != NULL, "%s", msg);
	free(msg);
	agent_start(&a, &s);
	wait_log_count(&a, "daemon: started:", 2);
	sleep_ms(2500);
	agent_stop(&a);
	log = since_start(&a);
	ck_assert_msg(strstr(log, "resuming from the committed cookie") !=
	    NULL && strstr(log, "full load") == NULL, "%s", log);
	free(log);
	ck_assert_int_eq(scenario_commits(&s), n);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

/* resync_run - a one-shot resync of s; its output (free()) */
static char *
resync_run(const struct scenario *s)
{
	char *out = NULL;

	ck_assert_msg(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s->conf) == 0, "resync: %s", out);
	return out;
}

/* A resync writes the listing's second form, the service the first;
 * each reads what the other wrote, and a head never holds both. */
START_TEST(resync_and_run_take_turns)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *out;

	config_shards(&s, "persist", 100, 16);
	free(resync_run(&s));
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s' cat-file -e "
	    "main:.splitsync/domains", s.repo), 0);
	free(out);
	agent_start(&a, &s);
	modify("dn: uid=zoe," PEOPLE "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: splitsyncMailUser\nuid: zoe\ncn: Zoe\n"
	    "sn: Z\nmail: zoe@example.com\n");
	wait_value(&s, &a, "transport", "zoe@example.com", LOCAL);
	agent_stop(&a);
	agent_free(&a);
	ck_assert_int_ne(testlib_sh(&out, "git --git-dir='%s' ls-tree -r "
	    "--name-only main .splitsync | grep -E '^.splitsync/(domains|"
	    "owners)'", s.repo), 0);
	free(out);
	out = resync_run(&s);
	ck_assert_msg(strstr(out, "no change") != NULL, "%s", out);
	free(out);
	modify("dn: uid=zoe," PEOPLE "\nchangetype: delete\n");
	out = resync_run(&s);
	ck_assert_msg(strstr(out, "committed ") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s' log -1 "
	    "--format=%%B main", s.repo), 0);
	ck_assert_msg(strstr(out, "splitsync: 0 added, 0 changed, 1 removed") &&
	    strstr(out, "\n- zoe@example.com: internal " LOCAL " (uid=zoe,"
	    PEOPLE ")\n") != NULL, "%s", out);
	free(out);
	scenario_free(&s);
}
END_TEST

/* An entry added while the service is stopped, and slapd restarted (its
 * session log is gone): syncprov then presents every id, the new one
 * included, and sends the new entry in full. One refresh, no reload. */
START_TEST(one_refresh_after_a_restart_of_both)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *log;

	config(&s, "persist", 100);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	agent_stop(&a);
	modify("dn: uid=zoe," PEOPLE "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: splitsyncMailUser\nuid: zoe\ncn: Zoe\n"
	    "sn: Z\nmail: zoe@example.com\n");
	ck_assert_int_eq(slapd_stop(&sd), 0);
	ck_assert_msg(slapd_restart(&sd) == 0, "%s", sd.output);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "zoe@example.com", LOCAL);
	sleep_ms(1500);
	agent_stop(&a);
	log = since_start(&a);
	ck_assert_msg(strstr(log, "resuming from the committed cookie") != NULL,
	    "%s", log);
	ck_assert_msg(count(log, "refresh started") == 1 &&
	    strstr(log, "reloading in full") == NULL, "%s", log);
	free(log);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

/* SIGTERM while the final commit cannot be made: the change is not
 * lost (the next start replays it from the cookie), but the exit says
 * it is pending. */
START_TEST(sigterm_with_a_commit_failing_exits_nonzero)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *out = NULL, *log;
	int rc;

	config(&s, "persist", 60000);
	agent_spawn(&a, &s);
	wait_log(&a, "refresh done");
	/* A long debounce: the first commit waits; make it now. */
	rc = agent_exit(&a);
	ck_assert_msg(rc == 0, "exit %d", rc);
	ck_assert_int_eq(scenario_commits(&s), 1);
	agent_spawn(&a, &s);
	wait_log_count(&a, "refresh done", 2);
	modify("dn: uid=zoe," PEOPLE "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: splitsyncMailUser\nuid: zoe\ncn: Zoe\n"
	    "sn: Z\nmail: zoe@example.com\n");
	sleep_ms(1500);
	/* Another writer holds the branch's lock. */
	ck_assert_int_eq(testlib_sh(&out, "touch '%s/refs/heads/main.lock'",
	    s.repo), 0);
	free(out);
	rc = agent_exit(&a);
	log = since_start(&a);
	ck_assert_msg(rc > 0, "exit %d:\n%s", rc, log);
	ck_assert_msg(strstr(log, "pending: 1 change not committed; the next "
	    "start replays it from the cookie") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "retrying") == NULL, "%s", log);
	free(log);
	ck_assert_int_eq(scenario_commits(&s), 1);
	/* The lock gone, the next start commits the change. */
	ck_assert_int_eq(testlib_sh(&out, "rm '%s/refs/heads/main.lock'",
	    s.repo), 0);
	free(out);
	set_debounce(&s, 100);
	free(a.log);
	ck_assert_int_ne(asprintf(&a.log, "%s/agent-again.log", s.dir), -1);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "zoe@example.com", LOCAL);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

/* An idle service keeps the metrics file fresh: the directory stays in
 * contact as far as status can tell. */
START_TEST(idle_service_keeps_writing_metrics)
{
	struct scenario s;
	struct agent a = { 0, NULL };
	char *out = NULL, *log;
	int rc;

	config(&s, "persist", 100);
	ck_assert_int_eq(testlib_sh(&out, "printf 'metrics_file = "
	    "metrics.prom\\nstatus_max_silence = 4\\n' >> '%s'", s.conf), 0);
	free(out);
	agent_start(&a, &s);
	wait_value(&s, &a, "transport", "bob@example.com", LEGACY);
	/* Idle for longer than status_max_silence. */
	sleep_ms(6500);
	rc = testlib_sh(&out, "'%s' status -c '%s'", testlib_bin(), s.conf);
	log = agent_log(&a);
	/* 1: the quickstart's refused values and conflict. */
	ck_assert_msg(rc == 1 && strstr(out, "directory: in step") != NULL,
	    "status %d:\n%s\nagent log:\n%s", rc, out, log);
	free(log);
	free(out);
	agent_stop(&a);
	agent_free(&a);
	scenario_free(&s);
}
END_TEST

static Suite *
run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tp = tcase_create("persist");
	TCase *tl = tcase_create("poll");
	TCase *tf = tcase_create("faults");
	TCase *tx = tcase_create("ldif");
	TCase *ts = tcase_create("service");

	tcase_set_timeout(tp, 180);
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, persist_changes_reach_the_branch);
	tcase_add_test(tp, persist_survives_server_restart);
	tcase_add_test(tp, persist_killed_before_commit);
	tcase_add_test(tp, persist_converges_under_random_changes);
	tcase_add_test(tp, persist_changes_reach_sharded_tables);
	tcase_add_test(tp, persist_sharded_converges_under_random_changes);
	tcase_add_test(tp, persist_logs_each_problem_once);
	suite_add_tcase(s, tp);

	tcase_set_timeout(tl, 180);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, poll_changes_reach_the_branch);
	tcase_add_test(tl, poll_survives_server_restart);
	tcase_add_test(tl, poll_killed_before_commit);
	tcase_add_test(tl, poll_converges_under_random_changes);
	tcase_add_test(tl, poll_logs_each_problem_once);
	suite_add_tcase(s, tl);

	tcase_set_timeout(tf, 180);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, bad_credentials_stop_the_service);
	tcase_add_test(tf, server_down_at_start);
	tcase_add_test(tf, sigusr1_reloads_in_full);
	suite_add_tcase(s, tf);

	tcase_set_timeout(ts, 180);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, run_after_resync_resumes_from_the_cookie);
	tcase_add_test(ts, resync_and_run_take_turns);
	tcase_add_test(ts, one_refresh_after_a_restart_of_both);
	tcase_add_test(ts, sigterm_with_a_commit_failing_exits_nonzero);
	tcase_add_test(ts, idle_service_keeps_writing_metrics);
	suite_add_tcase(s, ts);

	tcase_set_timeout(tx, 120);
	tcase_add_test(tx, sighup_keeps_old_config_on_error);
	tcase_add_test(tx, empty_directory_is_held_by_the_service);
	suite_add_tcase(s, tx);
	return s;
}

int
main(void)
{
	return testlib_main(run_suite());
}
