/*
 * check_ldap_source - the LDAP source against a real slapd
 *
 * DESCRIPTION
 *	Each test case starts its own slapd with tests/slapd/slapd-ctl in
 *	an unchecked fixture (once per case, stopped in its teardown) and
 *	loads tests/slapd/base.ldif and tests/data/ldap_source/people.ldif.
 *	A missing slapd fails the case: it is never skipped.
 *
 * DIAGNOSTICS
 *	Check's summary line; the exit status is non-zero on any failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_source.h"
#include "slapd.h"
#include "testlib.h"

#define PEOPLE_LDIF "tests/data/ldap_source/people.ldif"
#define PEOPLE_BASE "ou=people,dc=example,dc=com"
#define PEOPLE_FILTER "(objectClass=inetOrgPerson)"
#define NPEOPLE 7
#define ALICE "uid=alice,ou=people,dc=example,dc=com"

/* the server of the running test case, set up by its fixture */
static struct slapd sd;

/* start_server - start slapd with options and load the test tree */
static void
start_server(const char *options)
{
	static char why[8192];
	int failed;

	failed = slapd_start(&sd, options) != 0 ||
	    slapd_load(&sd, SLAPD_BASE_LDIF) != 0 ||
	    slapd_load(&sd, PEOPLE_LDIF) != 0;
	if (!failed)
		return;
	snprintf(why, sizeof why, "%s", sd.output ? sd.output : "?");
	slapd_cleanup(&sd);
	ck_abort_msg("slapd: %s", why);
}

/* setup_plain - the usual server */
static void
setup_plain(void)
{
	start_server(NULL);
}

/* setup_sizelimit - a server that returns at most 3 entries a search */
static void
setup_sizelimit(void)
{
	start_server("--sizelimit 3");
}

/* teardown - stop the case's server, remove its directory */
static void
teardown(void)
{
	slapd_cleanup(&sd);
}

/* a test's working state: configuration, password file, results */
struct fixture {
	struct config_ldap cfg;
	char *uris[3];
	char *dir;              /* temp dir for password files */
	char *pwfile;
	struct diag d;
	struct entry **got;     /* entries collected by collect() */
	size_t ngot;
	size_t calls;
	int stop_with;          /* collect() returns this when non-zero */
	int kill_server;        /* collect() stops slapd at the first entry */
};

/* fx_init - anonymous search of the test base over uri */
static void
fx_init(struct fixture *f, const char *uri)
{
	memset(f, 0, sizeof *f);
	diag_init(&f->d, NULL);
	f->uris[0] = (char *)uri;
	f->cfg.uris = f->uris;
	f->cfg.nuris = 1;
	f->cfg.base = sd.base;
	f->cfg.tls_verify = 1;
	f->cfg.network_timeout = 3;
	f->cfg.timeout = 10;
	f->dir = testlib_tmpdir();
	ck_assert_ptr_nonnull(f->dir);
}

/* fx_password - simple bind as dn with password text in a mode file */
static void
fx_password(struct fixture *f, const char *dn, const char *text,
    mode_t mode)
{
	free(f->pwfile);
	ck_assert_int_ge(asprintf(&f->pwfile, "%s/password", f->dir), 0);
	unlink(f->pwfile);
	ck_assert_int_eq(testlib_write(f->pwfile, text), 0);
	ck_assert_int_eq(chmod(f->pwfile, mode), 0);
	f->cfg.bind_dn = (char *)dn;
	f->cfg.password_file = f->pwfile;
}

/* fx_reset - forget collected entries and messages */
static void
fx_reset(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->ngot; i++)
		entry_free(f->got[i]);
	free(f->got);
	f->got = NULL;
	f->ngot = 0;
	f->calls = 0;
	diag_free(&f->d);
}

/* fx_free - release everything the fixture holds */
static void
fx_free(struct fixture *f)
{
	fx_reset(f);
	testlib_rmrf(f->dir);
	free(f->dir);
	free(f->pwfile);
}

/* collect - entry_source_fn keeping a deep copy of every entry */
static int
collect(const struct entry *e, void *ctx)
{
	struct fixture *f = ctx;
	struct entry *copy, **v;
	size_t i, j;

	f->calls++;
	if (f->stop_with)
		return f->stop_with;
	if (f->kill_server && f->calls == 1)
		ck_assert_msg(slapd_stop(&sd) == 0, "%s", sd.output);
	ck_assert_int_eq(entry_new(&copy, e->dn, NULL), 0);
	for (i = 0; i < e->count; i++)
		for (j = 0; j < e->attrs[i].count; j++)
			ck_assert_int_eq(entry_add_value(copy,
			    e->attrs[i].name, e->attrs[i].values[j].data,
			    e->attrs[i].values[j].len), 0);
	v = realloc(f->got, (f->ngot + 1) * sizeof *v);
	ck_assert_ptr_nonnull(v);
	f->got = v;
	f->got[f->ngot++] = copy;
	return 0;
}

/* find - the collected entry with this DN, or NULL */
static const struct entry *
find(const struct fixture *f, const char *dn)
{
	size_t i;

	for (i = 0; i < f->ngot; i++)
		if (strcasecmp(f->got[i]->dn, dn) == 0)
			return f->got[i];
	return NULL;
}

/* values_are - attribute name of e holds exactly these values, in order
 * (slapd keeps the order they were added in) */
static void
values_are(const struct entry *e, const char *name, const char *const *want)
{
	const struct entry_attr *a = entry_attr_get(e, name);
	size_t n = 0, i;

	while (want[n] != NULL)
		n++;
	ck_assert_msg(a != NULL, "%s: no %s", e->dn, name);
	ck_assert_uint_eq(a->count, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(a->values[i].len, strlen(want[i]));
		ck_assert_mem_eq(a->values[i].data, want[i], strlen(want[i]));
	}
}

/* messages_have - some kept message contains needle (this module puts
 * everything in the text; where stays empty) */
static int
messages_have(const struct diag *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		if (strstr(d->items[i].what, needle) != NULL)
			return 1;
	return 0;
}

/* no_secret - no message shows a test password */
static void
no_secret(const struct diag *d)
{
	ck_assert_msg(!messages_have(d, "reader-secret"), "password leaked");
	ck_assert_msg(!messages_have(d, "not-the-password"),
	    "password leaked");
}

/* run - open and search; the first error code, messages in f->d */
static int
run(struct fixture *f, const char *filter, const char *const *attrs)
{
	struct ldap_source *s = NULL;
	int rc;

	rc = ldap_source_open(&f->cfg, &s, &f->d);
	if (rc == 0) {
		rc = ldap_source_search(s, filter, attrs, collect, f, &f->d);
		ldap_source_close(s);
	}
	no_secret(&f->d);
	return rc;
}

/* count_in_log - occurrences of needle in slapd's log */
static size_t
count_in_log(const char *needle)
{
	char *log = testlib_read(sd.log_file, NULL);
	const char *p;
	size_t n = 0;

	ck_assert_ptr_nonnull(log);
	for (p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* closed_port_uri - ldap:// on a loopback port nothing listens on */
static char *
closed_port_uri(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	char *uri;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);      /* never listened: connections are refused */
	ck_assert_int_ge(asprintf(&uri, "ldap://127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port)), 0);
	return uri;
}

START_TEST(simple_bind_search)
{
	static const char *const alt[] = {
		"a.liddell@example.com", "alice@example.org", NULL
	};
	static const char *const mail[] = { "alice@example.com", NULL };
	static const char *const people[NPEOPLE] = {
		"alice", "bob", "carol", "dave", "erin", "frank", "grace"
	};
	struct fixture f;
	const struct entry *e;
	const struct entry_attr *a;
	char dn[128];
	size_t i;

	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), 0);
	ck_assert_uint_eq(f.d.nerrors, 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	for (i = 0; i < NPEOPLE; i++) {
		snprintf(dn, sizeof dn, "uid=%s,%s", people[i], PEOPLE_BASE);
		e = find(&f, dn);
		ck_assert_msg(e != NULL, "%s missing", dn);
		values_are(e, "uid", (const char *const[]){ people[i], NULL });
	}
	e = find(&f, ALICE);
	values_are(e, "mail", mail);
	values_are(e, "mailAlternateAddress", alt);
	/* binary values keep every byte, NUL included */
	a = entry_attr_get(e, "audio");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->count, 1);
	ck_assert_uint_eq(a->values[0].len, 4);
	ck_assert_mem_eq(a->values[0].data, "\x00\x01\x02\xff", 4);
	/* attrs NULL: user attributes plus entryUUID, no other operational */
	a = entry_attr_get(e, "entryUUID");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->count, 1);
	ck_assert_uint_eq(a->values[0].len, 36);
	ck_assert_ptr_null(entry_attr_get(e, "memberOf"));
	ck_assert_ptr_null(entry_attr_get(e, "entryCSN"));
	ck_assert_int_eq(entry_has_value(e, "objectClass", "inetOrgPerson",
	    13), 1);

	/* named attributes only, operational ones included when named */
	fx_reset(&f);
	ck_assert_int_eq(run(&f, "(|(uid=alice)(uid=carol))",
	    (const char *const[]){ "mail", "memberOf", NULL }), 0);
	ck_assert_uint_eq(f.ngot, 2);
	e = find(&f, ALICE);
	ck_assert_ptr_nonnull(e);
	values_are(e, "memberOf", (const char *const[]){
	    "cn=migrated,ou=groups,dc=example,dc=com", NULL });
	ck_assert_ptr_null(entry_attr_get(e, "entryUUID"));
	ck_assert_ptr_null(entry_attr_get(e, "cn"));
	e = find(&f, "uid=carol," PEOPLE_BASE);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(entry_attr_get(e, "memberOf"));
	fx_free(&f);
}
END_TEST

/* password files: how they are written and what open must answer */
enum pwshape {
	PW_FILE,        /* the text in a file of that mode */
	PW_NONE,        /* no file at all */
	PW_DIR,         /* a directory of that mode instead */
	PW_LINK,        /* a symbolic link to such a file beside it */
	PW_FIFO,        /* a FIFO of that mode: never waited on */
	PW_LINKED_DIR   /* the file, in a directory reached by a link */
};

static const struct pwcase {
	const char *name;
	const char *text;
	mode_t mode;
	enum pwshape shape;
	size_t repeat;          /* > 0: text repeated that many times */
	int chown_other;        /* 1: owned by someone else (needs root) */
	mode_t dirmode;         /* the directory's mode; 0: 0700 */
	int dir_other;          /* 1: the directory owned by someone else */
	int want;
	const char *says;       /* in the message when it fails */
} pwcases[] = {
	{ "0600", "reader-secret\n", 0600, PW_FILE, 0, 0, 0, 0, 0, NULL },
	{ "0400 no newline", "reader-secret", 0400, PW_FILE, 0, 0, 0, 0, 0,
	  NULL },
	{ "crlf and more lines", "reader-secret\r\nnext\n", 0600, PW_FILE,
	  0, 0, 0, 0, 0, NULL },
	{ "0644", "reader-secret\n", 0644, PW_FILE, 0, 0, 0, 0, ERR_CONFIG,
	  "0644" },
	{ "0640", "reader-secret\n", 0640, PW_FILE, 0, 0, 0, 0, ERR_CONFIG,
	  "0640" },
	{ "0604", "reader-secret\n", 0604, PW_FILE, 0, 0, 0, 0, ERR_CONFIG,
	  "0604" },
	{ "0620", "reader-secret\n", 0620, PW_FILE, 0, 0, 0, 0, ERR_CONFIG,
	  "0620" },
	{ "empty", "", 0600, PW_FILE, 0, 0, 0, 0, ERR_CONFIG, "empty" },
	{ "empty line", "\nreader-secret\n", 0600, PW_FILE, 0, 0, 0, 0,
	  ERR_CONFIG, "empty" },
	{ "missing", "", 0600, PW_NONE, 0, 0, 0, 0, ERR_NOINPUT,
	  "cannot open" },
	{ "directory", "", 0700, PW_DIR, 0, 0, 0, 0, ERR_CONFIG,
	  "is a directory, not a regular file" },
	{ "too long", "x", 0600, PW_FILE, 1025, 0, 0, 0, ERR_CONFIG,
	  "longer than" },
	{ "other owner", "reader-secret\n", 0600, PW_FILE, 0, 1, 0, 0,
	  ERR_CONFIG, "owned by" },
	{ "symbolic link", "reader-secret\n", 0600, PW_LINK, 0, 0, 0, 0,
	  ERR_CONFIG, "is a symbolic link" },
	{ "fifo", "", 0600, PW_FIFO, 0, 0, 0, 0, ERR_CONFIG,
	  "is a FIFO, not a regular file" },
	{ "group-writable directory", "reader-secret\n", 0600, PW_FILE, 0, 0,
	  0770, 0, ERR_CONFIG, "group-writable" },
	{ "world-writable directory", "reader-secret\n", 0600, PW_FILE, 0, 0,
	  01777, 0, ERR_CONFIG, "world-writable" },
	{ "readable directory", "reader-secret\n", 0600, PW_FILE, 0, 0, 0755,
	  0, 0, NULL },
	{ "directory of another owner", "reader-secret\n", 0600, PW_FILE, 0,
	  0, 0, 1, ERR_CONFIG, "owned by" },
	{ "directory reached by a link", "reader-secret\n", 0600,
	  PW_LINKED_DIR, 0, 0, 0, 0, 0, NULL },
};

/* names - whether the failure names the file, where or in the text */
static int
names(const struct diag *d, const char *path)
{
	size_t i;

	for (i = d->count; i > 0; i--)
		if (d->items[i - 1].level == DIAG_ERROR)
			return strstr(d->items[i - 1].where, path) != NULL ||
			    strstr(d->items[i - 1].what, path) != NULL;
	return 0;
}

START_TEST(password_files)
{
	const struct pwcase *c = &pwcases[_i];
	struct fixture f;
	char *text = NULL, *real = NULL, *linkdir = NULL, *out = NULL;
	size_t i, n;
	int rc;

	fx_init(&f, sd.ldap_uri);
	if ((c->chown_other || c->dir_other) && geteuid() != 0) {
		/* only root can give a file away; nothing to check */
		fx_free(&f);
		return;
	}
	if (c->repeat > 0) {
		n = strlen(c->text);
		text = calloc(c->repeat * n + 2, 1);
		ck_assert_ptr_nonnull(text);
		for (i = 0; i < c->repeat; i++)
			memcpy(text + i * n, c->text, n);
		text[c->repeat * n] = '\n';
	}
	fx_password(&f, sd.reader_dn, text ? text : c->text, c->mode);
	switch (c->shape) {
	case PW_FILE:
		break;
	case PW_NONE:
		ck_assert_int_eq(unlink(f.pwfile), 0);
		break;
	case PW_DIR:
		ck_assert_int_eq(unlink(f.pwfile), 0);
		ck_assert_int_eq(mkdir(f.pwfile, c->mode), 0);
		break;
	case PW_LINK:
		ck_assert_int_ge(asprintf(&real, "%s/real", f.dir), 0);
		ck_assert_int_eq(rename(f.pwfile, real), 0);
		ck_assert_int_eq(symlink("real", f.pwfile), 0);
		break;
	case PW_FIFO:
		ck_assert_int_eq(unlink(f.pwfile), 0);
		ck_assert_int_eq(mkfifo(f.pwfile, c->mode), 0);
		break;
	case PW_LINKED_DIR:
		ck_assert_int_ge(asprintf(&linkdir, "%s.link", f.dir), 0);
		ck_assert_int_eq(symlink(f.dir, linkdir), 0);
		free(f.pwfile);
		ck_assert_int_ge(asprintf(&f.pwfile, "%s/password", linkdir),
		    0);
		f.cfg.password_file = f.pwfile;
		break;
	}
	if (c->chown_other)
		ck_assert_int_eq(chown(f.pwfile, 65534, 65534), 0);
	if (c->dirmode)
		ck_assert_int_eq(chmod(f.dir, c->dirmode), 0);
	if (c->dir_other)
		ck_assert_int_eq(chown(f.dir, 65534, 65534), 0);
	rc = run(&f, "(uid=alice)", NULL);
	ck_assert_msg(rc == c->want, "%s: got %s, want %s (%s)", c->name,
	    err_str(rc), err_str(c->want), diag_last_error(&f.d));
	if (c->want == 0) {
		ck_assert_uint_eq(f.ngot, 1);
	} else {
		ck_assert_uint_eq(f.ngot, 0);
		ck_assert_msg(names(&f.d, f.pwfile), "%s: file not named: %s",
		    c->name, diag_last_error(&f.d));
		ck_assert_msg(strstr(diag_last_error(&f.d), c->says) != NULL,
		    "%s: reason missing: %s", c->name, diag_last_error(&f.d));
	}
	if (c->dirmode || c->dir_other)
		ck_assert_int_eq(testlib_sh(&out, "chown 0:0 '%s' 2>/dev/null; "
		    "chmod 0700 '%s'", f.dir, f.dir), 0);
	free(out);
	if (c->shape == PW_DIR)
		rmdir(f.pwfile);
	if (linkdir)
		unlink(linkdir);
	free(linkdir);
	free(real);
	free(text);
	fx_free(&f);
}
END_TEST

/* A CA file is checked before libldap is given it: a FIFO would hang
 * the TLS setup, a missing file is named. */
START_TEST(ca_file_is_checked_first)
{
	struct fixture f;
	char *fifo = NULL, *missing = NULL;
	int rc;

	fx_init(&f, sd.ldaps_uri);
	ck_assert_int_ge(asprintf(&fifo, "%s/ca.pem", f.dir), 0);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	f.cfg.ca_file = fifo;
	rc = run(&f, "(uid=alice)", NULL);
	ck_assert_msg(rc == ERR_CONFIG, "fifo: %s (%s)", err_str(rc),
	    diag_last_error(&f.d));
	ck_assert_msg(names(&f.d, fifo), "%s", diag_last_error(&f.d));
	ck_assert_ptr_nonnull(strstr(diag_last_error(&f.d), "is a FIFO"));
	fx_reset(&f);
	ck_assert_int_ge(asprintf(&missing, "%s/none.pem", f.dir), 0);
	f.cfg.ca_file = missing;
	rc = run(&f, "(uid=alice)", NULL);
	ck_assert_msg(rc == ERR_NOINPUT, "missing: %s (%s)", err_str(rc),
	    diag_last_error(&f.d));
	ck_assert_msg(names(&f.d, missing), "%s", diag_last_error(&f.d));
	/* the test CA, a regular file: the search works */
	fx_reset(&f);
	f.cfg.ca_file = sd.ca_file;
	rc = run(&f, "(uid=alice)", NULL);
	ck_assert_msg(rc == 0, "%s", diag_last_error(&f.d));
	ck_assert_uint_eq(f.ngot, 1);
	free(fifo);
	free(missing);
	fx_free(&f);
}
END_TEST

START_TEST(wrong_password)
{
	struct fixture f;
	char *dead = closed_port_uri();
	size_t before = count_in_log("ACCEPT from PATH=");

	fx_init(&f, dead);
	fx_password(&f, sd.reader_dn, "not-the-password\n", 0600);
	/* the dead URI is passed, the live one refuses, and the last one
	 * would refuse the same: it is not tried */
	f.uris[1] = sd.ldap_uri;
	f.uris[2] = sd.ldapi_uri;
	f.cfg.nuris = 3;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_AUTH);
	ck_assert_uint_eq(f.d.nerrors, 1);
	ck_assert_uint_eq(f.d.nwarnings, 1);
	ck_assert_msg(strstr(diag_last_error(&f.d), "Invalid credentials"),
	    "%s", diag_last_error(&f.d));
	ck_assert_msg(strstr(diag_last_error(&f.d), sd.ldap_uri),
	    "%s", diag_last_error(&f.d));
	ck_assert_uint_eq(count_in_log("ACCEPT from PATH="), before);
	fx_free(&f);
	free(dead);
}
END_TEST

START_TEST(unreachable)
{
	struct fixture f;
	char *dead = closed_port_uri();
	time_t t0 = time(NULL);

	fx_init(&f, dead);
	f.cfg.network_timeout = 2;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	ck_assert_int_le(time(NULL) - t0, 3);
	ck_assert_uint_eq(f.d.nerrors, 1);
	ck_assert_msg(strstr(diag_last_error(&f.d), dead) &&
	    strstr(diag_last_error(&f.d), "cannot connect"), "%s",
	    diag_last_error(&f.d));
	fx_free(&f);
	free(dead);
}
END_TEST

START_TEST(dead_then_live)
{
	struct fixture f;
	struct ldap_source *s = NULL;
	char *dead = closed_port_uri();

	fx_init(&f, dead);
	f.uris[1] = sd.ldap_uri;
	f.cfg.nuris = 2;
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	ck_assert_int_eq(ldap_source_open(&f.cfg, &s, &f.d), 0);
	ck_assert_str_eq(ldap_source_uri(s), sd.ldap_uri);
	/* the dead one is reported, as a warning since another worked */
	ck_assert_uint_eq(f.d.nerrors, 0);
	ck_assert_uint_eq(f.d.nwarnings, 1);
	ck_assert(messages_have(&f.d, dead));
	ck_assert_int_eq(ldap_source_search(s, PEOPLE_FILTER, NULL, collect,
	    &f, &f.d), 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	ldap_source_close(s);
	fx_free(&f);
	free(dead);
}
END_TEST

START_TEST(all_dead)
{
	struct fixture f;
	char *dead1 = closed_port_uri(), *dead2 = closed_port_uri();

	fx_init(&f, dead1);
	f.uris[1] = dead2;
	f.cfg.nuris = 2;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	/* one "cannot connect" error per URI */
	ck_assert_uint_eq(f.d.nerrors, 2);
	ck_assert(messages_have(&f.d, dead1));
	ck_assert(messages_have(&f.d, dead2));
	fx_free(&f);
	free(dead1);
	free(dead2);
}
END_TEST

START_TEST(sasl_external)
{
	struct fixture f;
	const struct entry *e;

	fx_init(&f, sd.ldapi_uri);
	f.cfg.sasl_mech = (char *)"EXTERNAL";
	/* only the EXTERNAL identity (manage) may read the password */
	ck_assert_int_eq(run(&f, "(cn=reader)", (const char *const[]){
	    "userPassword", NULL }), 0);
	ck_assert_uint_eq(f.ngot, 1);
	e = find(&f, sd.reader_dn);
	ck_assert_ptr_nonnull(e);
	values_are(e, "userPassword", (const char *const[]){
	    sd.reader_pw, NULL });
	fx_free(&f);
}
END_TEST

START_TEST(anonymous)
{
	struct fixture f;
	const struct entry *e;

	fx_init(&f, sd.ldap_uri);
	ck_assert_int_eq(run(&f, "(cn=reader)", NULL), 0);
	ck_assert_uint_eq(f.ngot, 1);
	e = find(&f, sd.reader_dn);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(entry_attr_get(e, "cn"));
	ck_assert_ptr_null(entry_attr_get(e, "userPassword"));
	fx_free(&f);
}
END_TEST

/* TLS variants: URI kind, StartTLS, CA file, verification, outcome */
static const struct tlscase {
	const char *name;
	int ldaps;              /* 1: ldaps://, 0: ldap:// */
	int starttls;
	int with_ca;
	int verify;
	int want;
} tlscases[] = {
	{ "ldaps with CA", 1, 0, 1, 1, 0 },
	{ "ldaps without CA", 1, 0, 0, 1, ERR_UNAVAIL },
	{ "ldaps without CA, verify off", 1, 0, 0, 0, 0 },
	{ "StartTLS with CA", 0, 1, 1, 1, 0 },
	{ "StartTLS without CA", 0, 1, 0, 1, ERR_UNAVAIL },
};

START_TEST(tls)
{
	const struct tlscase *c = &tlscases[_i];
	struct fixture f;
	size_t before = count_in_log("oid=1.3.6.1.4.1.1466.20037");
	int rc;

	fx_init(&f, c->ldaps ? sd.ldaps_uri : sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	f.cfg.starttls = c->starttls;
	f.cfg.tls_verify = c->verify;
	f.cfg.ca_file = c->with_ca ? sd.ca_file : NULL;
	rc = run(&f, PEOPLE_FILTER, NULL);
	ck_assert_msg(rc == c->want, "%s: got %s, want %s (%s)", c->name,
	    err_str(rc), err_str(c->want), diag_last_error(&f.d));
	ck_assert_uint_eq(f.ngot, c->want == 0 ? NPEOPLE : 0);
	if (c->starttls) {
		/* the StartTLS request was sent, and nothing in clear text
		 * when it failed; a refused certificate is fetched once
		 * more, to say why */
		ck_assert_uint_eq(count_in_log("oid=1.3.6.1.4.1.1466.20037"),
		    before + (c->want != 0 ? 2 : 1));
	}
	if (c->want != 0)
		ck_assert(messages_have(&f.d, "cannot connect"));
	fx_free(&f);
}
END_TEST

START_TEST(missing_ca_file)
{
	struct fixture f;
	char *ca;

	fx_init(&f, sd.ldaps_uri);
	ck_assert_int_ge(asprintf(&ca, "%s/no-such-ca.pem", f.dir), 0);
	f.cfg.ca_file = ca;
	/* a file the configuration names that is not there */
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_NOINPUT);
	ck_assert(names(&f.d, ca));
	free(ca);
	fx_free(&f);
}
END_TEST

/* other_ca - a CA of its own in dir, which signed nothing the server
 * holds (free()) */
static char *
other_ca(const char *dir)
{
	char *out = NULL, *path;

	ck_assert_int_ge(asprintf(&path, "%s/other-ca.pem", dir), 0);
	ck_assert_msg(testlib_sh(&out, "cd '%s' && openssl req -x509 -new "
	    "-nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "
	    "other-ca.key -out other-ca.pem -days 30 -subj '/CN=another CA'",
	    dir) == 0, "%s", out);
	free(out);
	return path;
}

/* refused_as - open over uri fails, the message naming the refusal,
 * libldap's own words and each needle */
static void
refused_as(struct fixture *f, const char *what, const char *n1,
    const char *n2)
{
	const char *msg;

	ck_assert_int_eq(run(f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	ck_assert_uint_eq(f->ngot, 0);
	msg = diag_last_error(&f->d);
	ck_assert_msg(strstr(msg, "cannot connect: TLS: server certificate "
	    "refused: ") != NULL, "%s: %s", what, msg);
	ck_assert_msg(strstr(msg, "(libldap: Can't contact LDAP server") ||
	    strstr(msg, "(libldap: Connect error"), "%s: %s", what, msg);
	ck_assert_msg(strstr(msg, n1) != NULL, "%s: no \"%s\" in %s", what,
	    n1, msg);
	ck_assert_msg(n2 == NULL || strstr(msg, n2) != NULL, "%s: no \"%s\" "
	    "in %s", what, n2, msg);
}

START_TEST(untrusted_certificate)
{
	struct fixture f;
	char *ca, *trusted;
	int i;

	for (i = 0; i < 2; i++) {
		fx_init(&f, i ? sd.ldap_uri : sd.ldaps_uri);
		f.cfg.starttls = i;
		ca = other_ca(f.dir);
		f.cfg.ca_file = ca;
		ck_assert_int_ge(asprintf(&trusted, "not trusted by CA file "
		    "%s", ca), 0);
		refused_as(&f, i ? "StartTLS" : "ldaps", trusted,
		    "issuer is unknown");
		free(trusted);
		free(ca);
		fx_free(&f);
	}
}
END_TEST

START_TEST(paging)
{
	static const char filter[] = "(&(objectClass=inetOrgPerson)(sn=*))";
	struct fixture f;
	size_t before, i, j;

	before = count_in_log(filter);
	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	f.cfg.page_size = 2;
	ck_assert_int_eq(run(&f, filter, NULL), 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	for (i = 0; i < f.ngot; i++)
		for (j = i + 1; j < f.ngot; j++)
			ck_assert_str_ne(f.got[i]->dn, f.got[j]->dn);
	/* 7 entries by 2: four requests reached the server */
	ck_assert_uint_eq(count_in_log(filter) - before,
	    (NPEOPLE + 1) / 2);
	fx_free(&f);
}
END_TEST

START_TEST(wrong_base)
{
	static const char *const bases[] = {
		"ou=nowhere,dc=example,dc=com", "dc=example,dc=org"
	};
	struct fixture f;
	size_t i;

	for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		fx_init(&f, sd.ldap_uri);
		f.cfg.base = (char *)bases[i];
		ck_assert_int_eq(run(&f, "(objectClass=*)", NULL),
		    ERR_UNAVAIL);
		ck_assert_uint_eq(f.ngot, 0);
		ck_assert_msg(strstr(diag_last_error(&f.d), bases[i]) &&
		    strstr(diag_last_error(&f.d), "does not exist"), "%s",
		    diag_last_error(&f.d));
		fx_free(&f);
	}
}
END_TEST

START_TEST(callback_stops)
{
	struct fixture f;
	struct ldap_source *s = NULL;

	fx_init(&f, sd.ldap_uri);
	f.cfg.page_size = 2;
	ck_assert_int_eq(ldap_source_open(&f.cfg, &s, &f.d), 0);
	f.stop_with = -42;
	ck_assert_int_eq(ldap_source_search(s, PEOPLE_FILTER, NULL, collect,
	    &f, &f.d), -42);
	ck_assert_uint_eq(f.calls, 1);
	f.stop_with = ERR_STOP;
	ck_assert_int_eq(ldap_source_search(s, PEOPLE_FILTER, NULL, collect,
	    &f, &f.d), ERR_STOP);
	ck_assert_uint_eq(f.calls, 2);
	/* the session is still usable */
	f.stop_with = 0;
	ck_assert_int_eq(ldap_source_search(s, PEOPLE_FILTER, NULL, collect,
	    &f, &f.d), 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	ck_assert_uint_eq(f.d.nerrors, 0);
	ldap_source_close(s);
	fx_free(&f);
}
END_TEST

START_TEST(bad_settings)
{
	struct fixture f;

	fx_init(&f, sd.ldap_uri);
	f.cfg.sasl_mech = (char *)"GSSAPI";
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_CONFIG);
	f.cfg.sasl_mech = NULL;
	f.cfg.bind_dn = sd.reader_dn;   /* without a password file */
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_CONFIG);
	f.cfg.bind_dn = NULL;
	f.uris[0] = (char *)"ldap://127.0.0.1:1 ldap://127.0.0.1:2";
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_CONFIG);
	f.uris[0] = (char *)"nonsense://x";
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_CONFIG);
	f.cfg.nuris = 0;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_CONFIG);
	ck_assert_uint_eq(f.d.nerrors, 5);
	fx_free(&f);
}
END_TEST

START_TEST(harness_modify)
{
	static const char add[] =
	    "dn: cn=migrated,ou=groups,dc=example,dc=com\n"
	    "changetype: modify\n"
	    "add: member\n"
	    "member: uid=carol,ou=people,dc=example,dc=com\n";
	static const char del[] =
	    "dn: cn=migrated,ou=groups,dc=example,dc=com\n"
	    "changetype: modify\n"
	    "delete: member\n"
	    "member: uid=carol,ou=people,dc=example,dc=com\n";
	static const char *const member_of[] = { "memberOf", NULL };
	struct fixture f;
	const struct entry *e;

	ck_assert_msg(slapd_modify(&sd, add) == 0, "%s", sd.output);
	fx_init(&f, sd.ldap_uri);
	ck_assert_int_eq(run(&f, "(uid=carol)", member_of), 0);
	ck_assert_uint_eq(f.ngot, 1);
	e = find(&f, "uid=carol," PEOPLE_BASE);
	ck_assert_ptr_nonnull(e);
	values_are(e, "memberOf", (const char *const[]){
	    "cn=migrated,ou=groups,dc=example,dc=com", NULL });
	/* back as it was, and a bad change is reported */
	ck_assert_msg(slapd_modify(&sd, del) == 0, "%s", sd.output);
	ck_assert_int_ne(slapd_modify(&sd, del), 0);
	ck_assert_ptr_nonnull(strstr(sd.output, "No such attribute"));
	fx_reset(&f);
	ck_assert_int_eq(run(&f, "(uid=carol)", member_of), 0);
	ck_assert_uint_eq(f.ngot, 1);
	ck_assert_ptr_null(entry_attr_get(f.got[0], "memberOf"));
	fx_free(&f);
}
END_TEST

START_TEST(server_gone)
{
	struct fixture f;

	/* slapd stops while the first page is delivered: the next page
	 * cannot come, and the search must not look complete */
	fx_init(&f, sd.ldap_uri);
	f.cfg.page_size = 2;
	f.kill_server = 1;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	ck_assert_uint_eq(f.calls, 2);
	ck_assert(messages_have(&f.d, "search under"));
	/* and a new session finds no server */
	fx_reset(&f);
	f.kill_server = 0;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	ck_assert(messages_have(&f.d, "cannot connect"));
	fx_free(&f);
}
END_TEST

START_TEST(size_limit)
{
	static const int pages[] = { 0, 2, 3 };
	struct fixture f;
	size_t i;

	for (i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		fx_init(&f, sd.ldap_uri);
		fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
		f.cfg.page_size = pages[i];
		ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
		ck_assert_msg(strstr(diag_last_error(&f.d),
		    "Size limit exceeded"), "%s", diag_last_error(&f.d));
		/* within the limit the same settings work */
		fx_reset(&f);
		ck_assert_int_eq(run(&f, "(|(uid=alice)(uid=bob))", NULL), 0);
		ck_assert_uint_eq(f.ngot, 2);
		fx_free(&f);
	}
}
END_TEST

START_TEST(certificate_for_another_name)
{
	struct fixture f;
	int i;

	/* the CA is the right one; the name is not */
	for (i = 0; i < 2; i++) {
		fx_init(&f, i ? sd.ldap_uri : sd.ldaps_uri);
		f.cfg.starttls = i;
		f.cfg.ca_file = sd.ca_file;
		refused_as(&f, i ? "StartTLS" : "ldaps", "it is not issued for "
		    "127.0.0.1 (it names ldap.example.com)", NULL);
		fx_free(&f);
	}
	/* verification off: the same server answers */
	fx_init(&f, sd.ldaps_uri);
	f.cfg.tls_verify = 0;
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	fx_free(&f);
}
END_TEST

START_TEST(base_hidden_by_access_control)
{
	struct fixture f;
	const char *msg;
	char *who;

	/* the reader binds, but the tree is hidden from it */
	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	ck_assert_uint_eq(f.ngot, 0);
	msg = diag_last_error(&f.d);
	ck_assert_msg(strstr(msg, "search base dc=example,dc=com does not "
	    "exist, or access control hides it from "
	    "cn=reader,dc=example,dc=com") != NULL, "%s", msg);
	fx_free(&f);
	/* the identity is the server's, also when the client names none */
	fx_init(&f, sd.ldapi_uri);
	f.cfg.sasl_mech = (char *)"EXTERNAL";
	f.cfg.base = (char *)"ou=hidden,dc=example,dc=com";
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), ERR_UNAVAIL);
	ck_assert_int_ge(asprintf(&who, "hides it from %s (noSuchObject, "
	    "closest entry dc=example,dc=com)", sd.external_dn), 0);
	ck_assert_msg(strstr(diag_last_error(&f.d), who) != NULL, "%s",
	    diag_last_error(&f.d));
	free(who);
	fx_free(&f);
	/* anonymous still sees everything */
	fx_init(&f, sd.ldap_uri);
	ck_assert_int_eq(run(&f, PEOPLE_FILTER, NULL), 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	fx_free(&f);
}
END_TEST

/* setup_refusals - a server whose certificate names another host and
 * whose tree the reader may not see */
static void
setup_refusals(void)
{
	start_server("--cert-name ldap.example.com --hide-from "
	    "cn=reader,dc=example,dc=com");
}

/* ldap_source_suite - four cases, each with its own server */
static Suite *
ldap_source_suite(void)
{
	Suite *s = suite_create("ldap_source");
	TCase *tc = tcase_create("server");
	TCase *lim = tcase_create("sizelimit");
	TCase *gone = tcase_create("outage");
	TCase *ref = tcase_create("refusals");

	tcase_add_unchecked_fixture(tc, setup_plain, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, simple_bind_search);
	tcase_add_loop_test(tc, password_files, 0,
	    sizeof pwcases / sizeof pwcases[0]);
	tcase_add_test(tc, wrong_password);
	tcase_add_test(tc, ca_file_is_checked_first);
	tcase_add_test(tc, unreachable);
	tcase_add_test(tc, dead_then_live);
	tcase_add_test(tc, all_dead);
	tcase_add_test(tc, sasl_external);
	tcase_add_test(tc, anonymous);
	tcase_add_loop_test(tc, tls, 0, sizeof tlscases / sizeof tlscases[0]);
	tcase_add_test(tc, missing_ca_file);
	tcase_add_test(tc, untrusted_certificate);
	tcase_add_test(tc, paging);
	tcase_add_test(tc, wrong_base);
	tcase_add_test(tc, callback_stops);
	tcase_add_test(tc, bad_settings);
	tcase_add_test(tc, harness_modify);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(lim, setup_sizelimit, teardown);
	tcase_set_timeout(lim, 30);
	tcase_add_test(lim, size_limit);
	suite_add_tcase(s, lim);

	tcase_add_unchecked_fixture(ref, setup_refusals, teardown);
	tcase_set_timeout(ref, 30);
	tcase_add_test(ref, certificate_for_another_name);
	tcase_add_test(ref, base_hidden_by_access_control);
	suite_add_tcase(s, ref);

	/* last: it stops its server */
	tcase_add_unchecked_fixture(gone, setup_plain, teardown);
	tcase_set_timeout(gone, 30);
	tcase_add_test(gone, server_gone);
	suite_add_tcase(s, gone);
	return s;
}

int
main(void)
{
	return testlib_main(ldap_source_suite());
}
