/*
 * check_mail - real mail through the committed tables
 *
 * For each example configuration (the quickstart, the bluemind and
 * inetlocalmailrecipient profiles: one test case each), a private
 * Postfix (tests/mta.h) on loopback routes real messages with the
 * tables `splitsync resync` committed, configured as the README says
 * for the layout, and listeners stand for the mail systems of the
 * split domain: an LMTP server for the local mailboxes, an SMTP server
 * for the legacy system (the domains' relay), another SMTP server for
 * a mailbox's own mail host. The examples' nexthops name hosts this
 * machine cannot reach, so the test renders from a copy of the example
 * whose nexthops are rewritten (struct rewrite) to point at the
 * listeners: lmtp:[127.0.0.1]:LOCAL_PORT, smtp:[127.0.0.1]:LEGACY_PORT,
 * smtp:[127.0.0.1]:OTHER_PORT. Nothing else of the example changes,
 * and every nexthop of the committed tables must be one of these.
 *
 * Each row of a profile's table is one message: the reply Postfix's
 * smtpd gives to each RCPT TO (accepted, or rejected with 5xx), then,
 * once the queue is empty, which listener received which recipient
 * (the final one, after virtual aliases, with the original recipient
 * Postfix passes along) and nothing else anywhere. What no table
 * routes goes to one more listener and fails the row.
 *
 * The test case "harness" checks that a test dying without its
 * teardown leaves neither Postfix nor a listener running.
 *
 * DIAGNOSTICS
 *	Check's summary. A failed row names the message, the SMTP
 *	transcript or what each listener received, and the end of
 *	Postfix's log. Postfix needs root: the suite fails without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mta.h"
#include "testlib.h"

#define QUICKSTART "examples/quickstart"

#define PROFILES "tests/data/profiles"
#define MAPPINGS "mappings"

#define LOCAL_PORT "@LOCAL_PORT@"
#define LEGACY_PORT "@LEGACY_PORT@"
#define OTHER_PORT "@OTHER_PORT@"
#define LOCAL_NEXTHOP "lmtp:[127.0.0.1]:" LOCAL_PORT
#define LEGACY_NEXTHOP "smtp:[127.0.0.1]:" LEGACY_PORT
#define OTHER_NEXTHOP "smtp:[127.0.0.1]:" OTHER_PORT

#define SETTLE_MS 15000         /* every delivery done by then */
#define MAXRCPT 4

enum input { MAPPING, LDIF };

/* One rewrite of an example's input: every occurrence of from becomes
 * to, where LOCAL_PORT, LEGACY_PORT and OTHER_PORT stand for the
 * listeners' ports.
 * A rewrite that finds nothing fails: the example changed. */
struct rewrite {
	enum input file;
	const char *from;
	const char *to;
};

/* Where a recipient must end: a listener, or refused at RCPT TO. */
enum where {
	LOCAL = MTA_LOCAL,      /* the local mailbox server */
	LEGACY = MTA_LEGACY,    /* the domain's relay */
	OTHER = MTA_OTHER,      /* a mailbox's own mail host */
	REJECTED = -1           /* a 5xx reply to RCPT TO */
};

struct delivery {
	const char *to;         /* RCPT TO */
	enum where where;
	const char *final;      /* what the listener sees; NULL: to */
};

struct row {
	const char *what;
	struct delivery d[MAXRCPT];
};

struct profile {
	const char *name;
	const char *conf;       /* its splitsync.conf */
	const char *mapping;
	const char *ldif;
	const struct rewrite *rewrites;         /* ends with from NULL */
	const char *maps;                       /* main.cf for its layout */
	const char *const *tables;
	const struct row *rows;
	size_t nrows;
};

static const char *const bluemind_tables[] = {
	"virtual_domains", "virtual_mailbox", "virtual_alias", "transport",
	"master_relay_transport", NULL
};

static const char *const gateway_tables[] = {
	"relay_domains", "relay_recipients", "transport", NULL
};

/* The quickstart: example.com in master mode (mapping), example.net its
 * alias domain, example.org in slave mode (a directory entry whose
 * relay host is splitsyncRelay, built with port 25). */
static const struct rewrite quickstart_rewrites[] = {
	{ MAPPING, "lmtp:core.example.com:2400", LOCAL_NEXTHOP },
	{ MAPPING, "smtp:[legacy.example.com]:25", LEGACY_NEXTHOP },
	{ MAPPING, "transport=\"smtp\" port=\"25\"",
	  "transport=\"smtp\" port=\"" LEGACY_PORT "\"" },
	{ LDIF, "\nsplitsyncRelay: legacy.example.com\n",
	  "\nsplitsyncRelay: 127.0.0.1\n" },
	{ MAPPING, NULL, NULL }
};

static const struct row quickstart_rows[] = {
	{ "migrated user, master domain",
	  { { "alice@example.com", LOCAL, NULL } } },
	{ "address case does not matter",
	  { { "ALICE@Example.COM", LOCAL, NULL } } },
	{ "user not migrated (member of the split group)",
	  { { "bob@example.com", LEGACY, NULL } } },
	{ "user not migrated through a nested group",
	  { { "erin@example.com", LEGACY, NULL } } },
	{ "partly external mailbox: each address to its side",
	  { { "carol@example.com", LOCAL, NULL },
	    { "sales@example.com", LEGACY, NULL } } },
	{ "alias of a local mailbox",
	  { { "alice.martin@example.com", LOCAL, "alice@example.com" } } },
	{ "alias of an external mailbox",
	  { { "robert@example.com", LEGACY, "bob@example.com" } } },
	{ "address in the alias domain",
	  { { "alice@example.net", LOCAL, "alice@example.com" } } },
	{ "alias domain: each address's twin to its mailbox",
	  { { "bob@example.net", LEGACY, "bob@example.com" },
	    { "robert@example.net", LEGACY, "bob@example.com" } } },
	{ "master mode: unknown address rejected at RCPT",
	  { { "nobody@example.com", REJECTED, NULL } } },
	{ "master mode: unknown address in the alias domain rejected too",
	  { { "nobody@example.net", REJECTED, NULL } } },
	{ "master mode: a disabled mailbox (routing none) is unknown",
	  { { "frank@example.com", REJECTED, NULL } } },
	{ "refused directory values route nothing",
	  { { "mallory@elsewhere.test", REJECTED, NULL },
	    { "mallory@example.com", LOCAL, NULL } } },
	{ "slave domain: local user",
	  { { "dave@example.org", LOCAL, NULL } } },
	{ "slave mode: unknown address relayed to legacy",
	  { { "nobody@example.org", LEGACY, NULL } } },
	{ "one message, every kind of recipient",
	  { { "alice.martin@example.com", LOCAL, "alice@example.com" },
	    { "nobody@example.com", REJECTED, NULL },
	    { "sales@example.com", LEGACY, NULL },
	    { "someone@example.org", LEGACY, NULL } } },
};

/* mappings/bluemind.xml: example.com master with the alias domain
 * example.net, example.org slave, example.info not split; relays
 * written as BlueMind writes them (smtp:HOST:25, an MX lookup). */
static const struct rewrite bluemind_rewrites[] = {
	{ MAPPING, "lmtp:core.example.com:2400", LOCAL_NEXTHOP },
	{ MAPPING, "smtp:legacy.example.com:25", LEGACY_NEXTHOP },
	{ MAPPING, NULL, NULL }
};

static const struct row bluemind_rows[] = {
	{ "internal user, master domain",
	  { { "alice@example.com", LOCAL, NULL } } },
	{ "alias of an internal user, written in capitals",
	  { { "Alice.Martin@Example.COM", LOCAL, "alice@example.com" } } },
	{ "internal user's address in the alias domain",
	  { { "alice@example.net", LOCAL, "alice@example.com" } } },
	{ "direct member of the split domain group",
	  { { "bob@example.com", LEGACY, NULL } } },
	{ "alias of an external user, and through the alias domain",
	  { { "robert@example.com", LEGACY, "bob@example.com" },
	    { "bob@example.net", LEGACY, "bob@example.com" } } },
	{ "members found through memberOf, memberUid, uniqueMember",
	  { { "carol@example.com", LEGACY, NULL },
	    { "frank@example.com", LEGACY, NULL },
	    { "grace@example.com", LEGACY, NULL } } },
	{ "external user: his address in the domain without relay stays",
	  { { "henry@example.com", LEGACY, NULL },
	    { "henry@example.info", LOCAL, NULL } } },
	{ "slave domain: internal and external users",
	  { { "dave@example.org", LOCAL, NULL },
	    { "erin@example.org", LEGACY, NULL } } },
	{ "master mode: unknown address in the alias domain rejected",
	  { { "nobody@example.net", REJECTED, NULL } } },
	{ "slave mode: unknown address relayed to legacy",
	  { { "nobody@example.org", LEGACY, NULL } } },
	{ "master mode: unknown address rejected at RCPT",
	  { { "nobody@example.com", REJECTED, NULL } } },
	{ "domain not split: its user here, unknown rejected",
	  { { "ivan@example.info", LOCAL, NULL },
	    { "nobody@example.info", REJECTED, NULL } } },
	{ "an address outside the managed domains",
	  { { "judy@partner.example", REJECTED, NULL } } },
	{ "hostile values route nothing; her own address is routed",
	  { { "mallory@example.com", LOCAL, NULL },
	    { "evil@example.com", REJECTED, NULL },
	    { "mallory@elsewhere.test", REJECTED, NULL } } },
};

/* mappings/inetlocalmailrecipient.xml, gateway layout: example.com
 * master, example.org slave; a mailHost other than this server gets
 * the mailbox its own nexthop (the listener "other"); the domains'
 * relay is the legacy listener. Each form of mailHost (a name, one in
 * brackets, an IP address) becomes the other listener's address; the
 * hostile value (a space and more) stays as it is, refused. */
static const struct rewrite inetlocal_rewrites[] = {
	{ MAPPING, "lmtp:[127.0.0.1]:24", LOCAL_NEXTHOP },
	{ MAPPING, "smtp:[legacy.example.com]:25", LEGACY_NEXTHOP },
	{ MAPPING, "transport=\"smtp\" port=\"25\" mx=\"true\"",
	  "transport=\"smtp\" port=\"" OTHER_PORT "\" mx=\"true\"" },
	{ LDIF, "\nmailHost: mbox2.example.com\n", "\nmailHost: 127.0.0.1\n" },
	{ LDIF, "\nmailHost: [mbox3.example.com]\n",
	  "\nmailHost: [127.0.0.1]\n" },
	{ LDIF, "\nmailHost: 192.0.2.10\n", "\nmailHost: 127.0.0.1\n" },
	{ MAPPING, NULL, NULL }
};

static const struct row inetlocal_rows[] = {
	{ "mailHost is this server: both addresses here",
	  { { "alice@example.com", LOCAL, NULL },
	    { "Alice.Smith@example.com", LOCAL, NULL } } },
	{ "mailHost is this server, written in another case",
	  { { "carol@example.org", LOCAL, NULL } } },
	{ "no mailHost, no mailRoutingAddress: delivered here",
	  { { "frank@example.com", LOCAL, NULL } } },
	{ "mailHost elsewhere: relayed to it, not to the domain's relay",
	  { { "bob@example.com", OTHER, NULL },
	    { "dave@example.org", OTHER, NULL },
	    { "erin@example.com", OTHER, NULL } } },
	{ "mailRoutingAddress: not routed, rejected in the master domain",
	  { { "grace@example.com", REJECTED, NULL } } },
	{ "mailRoutingAddress in the slave domain: to the relay",
	  { { "henry@example.org", LEGACY, NULL } } },
	{ "master mode: unknown address rejected at RCPT",
	  { { "nobody@example.com", REJECTED, NULL } } },
	{ "slave mode: unknown address relayed to legacy",
	  { { "nobody@example.org", LEGACY, NULL } } },
	{ "an address in a domain not managed here",
	  { { "ivan@example.com", OTHER, NULL },
	    { "ivan@example.net", REJECTED, NULL } } },
	{ "hostile mailHost refused: the domain's relay is used",
	  { { "mallory@example.com", LEGACY, NULL },
	    { "evil@example.com", REJECTED, NULL } } },
};

#define ROWS(r) r, sizeof r / sizeof r[0]

enum { QUICKSTART_P, BLUEMIND_P, INETLOCAL_P };

static const struct profile profiles[] = {
	[QUICKSTART_P] = { "quickstart", QUICKSTART "/splitsync.conf",
	  QUICKSTART "/mapping.xml", QUICKSTART "/directory.ldif",
	  quickstart_rewrites, MTA_MAPS_BLUEMIND, bluemind_tables,
	  ROWS(quickstart_rows) },
	[BLUEMIND_P] = { "bluemind", PROFILES "/bluemind/splitsync.conf",
	  MAPPINGS "/bluemind.xml", PROFILES "/bluemind/directory.ldif",
	  bluemind_rewrites, MTA_MAPS_BLUEMIND, bluemind_tables,
	  ROWS(bluemind_rows) },
	[INETLOCAL_P] = { "inetlocalmailrecipient",
	  PROFILES "/inetlocalmailrecipient/splitsync.conf",
	  MAPPINGS "/inetlocalmailrecipient.xml",
	  PROFILES "/inetlocalmailrecipient/directory.ldif",
	  inetlocal_rewrites, MTA_MAPS_GATEWAY, gateway_tables,
	  ROWS(inetlocal_rows) },
};

/* The instance of the test case running: started by its unchecked
 * fixture in the runner, used by the forked tests. */
static struct mta mta;
static const struct profile *current;

/* replace_all - text with every from replaced by to (free()); *count
 * gets the number of replacements */
static char *
replace_all(const char *text, const char *from, const char *to,
    size_t *count)
{
	size_t flen = strlen(from), tlen = strlen(to), n = 0, len;
	const char *p, *q;
	char *out, *o;

	for (p = text; (q = strstr(p, from)) != NULL; p = q + flen)
		n++;
	if (count)
		*count = n;
	len = strlen(text);
	if (tlen > flen && n > (SIZE_MAX - len - 1) / (tlen - flen))
		return NULL;
	out = malloc(len - n * flen + n * tlen + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (p = text; (q = strstr(p, from)) != NULL; p = q + flen) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tlen);
		o += tlen;
	}
	strcpy(o, p);
	return out;
}

/* port_text - the ports of the listeners put into a rewrite's text */
static char *
port_text(const char *to)
{
	static const struct {
		const char *mark;
		enum mta_sink_id sink;
	} ports[] = {
		{ LOCAL_PORT, MTA_LOCAL }, { LEGACY_PORT, MTA_LEGACY },
		{ OTHER_PORT, MTA_OTHER },
	};
	char num[16], *text, *next;
	size_t i;

	text = strdup(to);
	for (i = 0; text && i < sizeof ports / sizeof ports[0]; i++) {
		snprintf(num, sizeof num, "%d", mta.sink[ports[i].sink].port);
		next = replace_all(text, ports[i].mark, num, NULL);
		free(text);
		text = next;
	}
	return text;
}

/* copy_rewritten - src into dst with the rewrites of one input */
static int
copy_rewritten(const struct profile *p, enum input file, const char *src,
    const char *dst, char *why, size_t wsize)
{
	const struct rewrite *r;
	char *text, *to, *next;
	size_t n;
	int rc = -1;

	text = testlib_read(src, NULL);
	if (text == NULL) {
		snprintf(why, wsize, "cannot read %s", src);
		return -1;
	}
	for (r = p->rewrites; r->from; r++) {
		if (r->file != file)
			continue;
		to = port_text(r->to);
		next = to ? replace_all(text, r->from, to, &n) : NULL;
		free(to);
		if (next == NULL) {
			snprintf(why, wsize, "out of memory");
			goto out;
		}
		free(text);
		text = next;
		if (n == 0) {
			snprintf(why, wsize, "%s: \"%s\" not found: the "
			    "example changed, update the test's rewrites", src,
			    r->from);
			goto out;
		}
	}
	if (testlib_write(dst, text) < 0) {
		snprintf(why, wsize, "cannot write %s", dst);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

/* conf_key_is - whether a configuration line sets key */
static int
conf_key_is(const char *line, const char *key)
{
	size_t n = strlen(key);

	line += strspn(line, " \t");
	return strncmp(line, key, n) == 0 && strchr(" \t=", line[n]) &&
	    line[n] != '\0';
}

/* write_conf - the example's configuration, its inputs and repository
 * replaced by the copies in work */
static int
write_conf(const struct profile *p, const char *work, char *why,
    size_t wsize)
{
	static const char *const replaced[] = {
		"mapping", "ldif", "repository", "branch"
	};
	char *text, *line, *next, *path = NULL;
	FILE *f = NULL;
	size_t i;
	int keep, rc = -1;

	text = testlib_read(p->conf, NULL);
	if (text == NULL) {
		snprintf(why, wsize, "cannot read %s", p->conf);
		return -1;
	}
	if (asprintf(&path, "%s/splitsync.conf", work) < 0) {
		path = NULL;
		goto out;
	}
	f = fopen(path, "w");
	if (f == NULL) {
		snprintf(why, wsize, "cannot write %s", path);
		goto out;
	}
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		keep = 1;
		for (i = 0; i < sizeof replaced / sizeof replaced[0]; i++)
			if (conf_key_is(line, replaced[i]))
				keep = 0;
		if (keep)
			fprintf(f, "%s\n", line);
	}
	fprintf(f, "mapping = mapping.xml\nldif = directory.ldif\n"
	    "repository = routing.git\nbranch = main\n");
	if (fclose(f) != 0) {
		f = NULL;
		snprintf(why, wsize, "cannot write %s", path);
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f)
		fclose(f);
	free(path);
	free(text);
	return rc;
}

/* check_nexthops - every nexthop of the transport tables is one of the
 * listeners' (else a rewrite is missing and mail would go nowhere); the
 * local and legacy listeners get something */
static int
check_nexthops(const struct profile *p, char *why, size_t wsize)
{
	static const char *const marks[] = {
		LOCAL_NEXTHOP, LEGACY_NEXTHOP, OTHER_NEXTHOP
	};
	char *hops[3] = { NULL, NULL, NULL };
	int seen[3] = { 0, 0, 0 };
	const char *const *t;
	char *path, *text, *line, *next, *value;
	int rc = -1, k, match;

	for (k = 0; k < 3; k++)
		if ((hops[k] = port_text(marks[k])) == NULL)
			goto out;
	for (t = p->tables; *t; t++) {
		if (strstr(*t, "transport") == NULL)
			continue;
		if (asprintf(&path, "%s/%s", mta.tables, *t) < 0)
			goto out;
		text = testlib_read(path, NULL);
		free(path);
		if (text == NULL) {
			snprintf(why, wsize, "cannot read table %s", *t);
			goto out;
		}
		for (line = text; *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			else
				next = line + strlen(line);
			value = strpbrk(line, " \t");
			if (value == NULL || *line == '#')
				continue;
			value += strspn(value, " \t");
			match = -1;
			for (k = 0; k < 3; k++)
				if (strcmp(value, hops[k]) == 0)
					match = k;
			if (match < 0) {
				snprintf(why, wsize, "table %s: \"%s\" points "
				    "at no listener (%s, %s, %s): a rewrite is "
				    "missing", *t, line, hops[0], hops[1],
				    hops[2]);
				free(text);
				goto out;
			}
			seen[match] = 1;
		}
		free(text);
	}
	if (!seen[0] || !seen[1]) {
		snprintf(why, wsize, "the tables route nothing to the %s "
		    "listener", seen[0] ? "legacy" : "local");
		goto out;
	}
	rc = 0;
out:
	for (k = 0; k < 3; k++)
		free(hops[k]);
	return rc;
}

/* prepare - listeners, tables committed by resync, Postfix */
static int
prepare(const struct profile *p, char *why, size_t wsize)
{
	char *work = NULL, *src = NULL, *out = NULL;
	int rc = -1, status;

	if (mta_init(&mta) < 0) {
		snprintf(why, wsize, "%s", mta.output);
		return -1;
	}
	if (asprintf(&work, "%s/routing", mta.dir) < 0) {
		work = NULL;
		goto out;
	}
	if (mkdir(work, 0700) < 0) {
		snprintf(why, wsize, "mkdir %s: %s", work, strerror(errno));
		goto out;
	}
	if (asprintf(&src, "%s/mapping.xml", work) < 0) {
		src = NULL;
		goto out;
	}
	if (copy_rewritten(p, MAPPING, p->mapping, src, why, wsize) < 0)
		goto out;
	free(src);
	if (asprintf(&src, "%s/directory.ldif", work) < 0) {
		src = NULL;
		goto out;
	}
	if (copy_rewritten(p, LDIF, p->ldif, src, why, wsize) < 0 ||
	    write_conf(p, work, why, wsize) < 0)
		goto out;
	status = testlib_sh(&out, "'%s' resync -c '%s/splitsync.conf'",
	    testlib_bin(), work);
	if (status != 0) {
		snprintf(why, wsize, "splitsync resync exited with %d:\n%s",
		    status, out ? out : "");
		goto out;
	}
	free(src);
	if (asprintf(&src, "%s/routing.git", work) < 0) {
		src = NULL;
		goto out;
	}
	if (mta_load_tables(&mta, src, "main", p->tables) < 0) {
		snprintf(why, wsize, "%s", mta.output);
		goto out;
	}
	if (check_nexthops(p, why, wsize) < 0)
		goto out;
	if (mta_start(&mta, p->maps) < 0) {
		snprintf(why, wsize, "%s", mta.output);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && why[0] == '\0')
		snprintf(why, wsize, "out of memory");
	free(work);
	free(src);
	free(out);
	return rc;
}

/* start_profile - the unchecked setup of one profile's test case */
static void
start_profile(const struct profile *p)
{
	char why[8192] = "";

	current = p;
	if (prepare(p, why, sizeof why) < 0) {
		/* teardown does not run after a failed setup */
		mta_cleanup(&mta);
		ck_abort_msg("%s: %s", p->name, why);
	}
}

/* stop_profile - the unchecked teardown: nothing stays running */
static void
stop_profile(void)
{
	mta_cleanup(&mta);
	current = NULL;
}

static void
setup_quickstart(void)
{
	start_profile(&profiles[QUICKSTART_P]);
}

static void
setup_bluemind(void)
{
	start_profile(&profiles[BLUEMIND_P]);
}

static void
setup_inetlocal(void)
{
	start_profile(&profiles[INETLOCAL_P]);
}

/* describe - what the listeners received, for a failure message */
static char *
describe(const struct mta_arrival *a, size_t n)
{
	char *s = strdup(""), *t;
	size_t i;

	for (i = 0; s && i < n; i++) {
		if (asprintf(&t, "%s\n  %s listener: <%s> (original "
		    "recipient %s)", s, mta_sink_name(a[i].sink), a[i].rcpt,
		    a[i].orcpt[0] ? a[i].orcpt : "not given") < 0)
			t = NULL;
		free(s);
		s = t;
	}
	if (s && n == 0) {
		free(s);
		s = strdup(" nothing");
	}
	return s;
}

/* Each row: one message, its RCPT replies, where each copy arrived. */
START_TEST(route_row)
{
	const struct row *r;
	const char *rcpts[MAXRCPT];
	int codes[MAXRCPT], used[MAXRCPT * 4] = { 0 };
	struct mta_arrival *arr = NULL;
	size_t n = 0, na = 0, want = 0, i, j;
	char tag[64], *seen, *log;
	int found;

	ck_assert_ptr_nonnull(current);
	r = &current->rows[_i];
	snprintf(tag, sizeof tag, "%s-%d", current->name, _i);
	for (n = 0; n < MAXRCPT && r->d[n].to; n++)
		rcpts[n] = r->d[n].to;
	ck_assert_msg(mta_send(&mta, tag, rcpts, n, codes) == 0, "%s: %s",
	    r->what, mta.output);
	for (i = 0; i < n; i++) {
		if (r->d[i].where == REJECTED)
			ck_assert_msg(codes[i] / 100 == 5, "%s: RCPT TO:<%s>: "
			    "expected a 5xx reply, got %d\n%s", r->what,
			    rcpts[i], codes[i], mta.output);
		else {
			ck_assert_msg(codes[i] / 100 == 2, "%s: RCPT TO:<%s>: "
			    "expected 2xx, got %d\n%s", r->what, rcpts[i],
			    codes[i], mta.output);
			want++;
		}
	}
	ck_assert_msg(mta_settle(&mta, SETTLE_MS) == 0, "%s: %s", r->what,
	    mta.output);
	ck_assert_msg(mta_arrivals(&mta, tag, &arr, &na) == 0, "%s: %s",
	    r->what, mta.output);
	seen = describe(arr, na);
	log = mta_log_tail(&mta, 20);
	ck_assert_msg(na <= MAXRCPT * 4, "%s: too many arrivals:%s", r->what,
	    seen);
	for (i = 0; i < n; i++) {
		const char *final = r->d[i].final ? r->d[i].final : rcpts[i];

		if (r->d[i].where == REJECTED)
			continue;
		found = 0;
		for (j = 0; j < na && !found; j++) {
			if (used[j] || strcmp(arr[j].rcpt, final) != 0)
				continue;
			/* the original recipient tells which copy it is */
			if (arr[j].orcpt[0] &&
			    strcasecmp(arr[j].orcpt, rcpts[i]) != 0)
				continue;
			used[j] = 1;
			found = 1;
			ck_assert_msg(arr[j].sink == (enum mta_sink_id)
			    r->d[i].where, "%s: <%s> reached the %s listener, "
			    "expected the %s one; received:%s\n%s", r->what,
			    rcpts[i], mta_sink_name(arr[j].sink),
			    mta_sink_name((enum mta_sink_id)r->d[i].where),
			    seen, log);
		}
		ck_assert_msg(found, "%s: <%s> did not reach the %s listener "
		    "as <%s>; received:%s\n%s", r->what, rcpts[i],
		    mta_sink_name((enum mta_sink_id)r->d[i].where), final,
		    seen, log);
	}
	ck_assert_msg(na == want, "%s: %zu deliveries expected, %zu made; "
	    "received:%s\n%s", r->what, want, na, seen, log);
	free(seen);
	free(log);
	mta_arrivals_free(arr, na);
}
END_TEST

/* alive - pid runs (a zombie counts as gone) */
static int
alive(long pid)
{
	char path[64], *stat, *paren;
	int running;

	if (pid <= 0 || kill((pid_t)pid, 0) < 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	stat = testlib_read(path, NULL);
	if (stat == NULL)
		return 1;
	paren = strrchr(stat, ')');
	running = !(paren && paren[1] == ' ' && paren[2] == 'Z');
	free(stat);
	return running;
}

/* A test that dies without its teardown leaves nothing running: the
 * watcher stops Postfix and the listeners. */
START_TEST(crashed_test_leaves_nothing_running)
{
	int fds[2], status, i, gone;
	long pids[MTA_NSINKS + 1];
	char *report = NULL, *pidfile = NULL, *text, *end;
	char buf[4096];
	size_t len = 0;
	ssize_t r;
	pid_t child;

	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct mta m;

		memset(&m, 0, sizeof m);
		close(fds[0]);
		if (mta_init(&m) == 0 && mta_start(&m, "") == 0) {
			dprintf(fds[1], "%s", m.dir);
			for (i = 0; i < MTA_NSINKS; i++)
				dprintf(fds[1], " %d", (int)m.sink[i].pid);
			dprintf(fds[1], "\n");
		} else
			dprintf(fds[1], "error: %s\n", m.output);
		/* dies as a crashed test would: no cleanup */
		_exit(1);
	}
	close(fds[1]);
	while (len < sizeof buf - 1 &&
	    (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(buf[0] == '/', "%s", buf);
	report = strdup(buf);
	ck_assert_ptr_nonnull(report);
	end = strchr(report, ' ');
	ck_assert_ptr_nonnull(end);
	*end++ = '\0';
	for (i = 0; i < MTA_NSINKS; i++) {
		pids[i] = strtol(end, &end, 10);
		ck_assert_msg(pids[i] > 0, "%s", buf);
	}
	ck_assert_int_ne(asprintf(&pidfile, "%s/queue/pid/master.pid",
	    report), -1);
	text = testlib_read(pidfile, NULL);
	ck_assert_msg(text != NULL, "no %s", pidfile);
	pids[MTA_NSINKS] = strtol(text, NULL, 10);
	free(text);
	ck_assert_msg(pids[MTA_NSINKS] > 0, "%s: no pid", pidfile);
	/* the watcher looks every 200 ms; postfix stop takes a moment */
	for (i = 0, gone = 0; i < 100 && !gone; i++) {
		int k;

		gone = 1;
		for (k = 0; k <= MTA_NSINKS; k++)
			gone &= !alive(pids[k]);
		if (!gone)
			usleep(100000);
	}
	for (i = 0; i <= MTA_NSINKS; i++)
		if (alive(pids[i]))
			kill((pid_t)pids[i], SIGKILL);
	ck_assert_msg(gone, "still running 10 s after its owner died: "
	    "master %ld or a listener (%s)", pids[MTA_NSINKS], buf);
	free(pidfile);
	testlib_rmrf(report);
	free(report);
}
END_TEST

static Suite *
mail_suite(void)
{
	static const struct {
		int profile;
		void (*setup)(void);
	} cases[] = {
		{ QUICKSTART_P, setup_quickstart },
		{ BLUEMIND_P, setup_bluemind },
		{ INETLOCAL_P, setup_inetlocal },
	};
	Suite *s = suite_create("mail");
	TCase *tc;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* one Postfix per profile, every row a test against it */
		tc = tcase_create(profiles[cases[i].profile].name);
		tcase_set_timeout(tc, 60);
		tcase_add_unchecked_fixture(tc, cases[i].setup, stop_profile);
		tcase_add_loop_test(tc, route_row, 0,
		    (int)profiles[cases[i].profile].nrows);
		suite_add_tcase(s, tc);
	}

	tc = tcase_create("harness");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, crashed_test_leaves_nothing_running);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(mail_suite());
}
