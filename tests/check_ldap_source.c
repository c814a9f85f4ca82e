/*
 * check_ldap_source - the LDAP source against a real slapd
 *
 * DESCRIPTION
 *	Each test case starts its own slapd with tests/slapd/slapd-ctl in
 *	an unchecked fixture (once per case, stopped in its teardown) and
 *	loads tests/slapd/base.ldif and tests/data/ldap_source/people.ldif.
 *	A missing slapd fails the case: it is never skipped.
 *
 *	The views case adds entries made for views (option variants, a
 *	value with a NUL byte, binary values, an entry of 20 000 values
 *	and one of a 1 MiB value) and reads them both ways: as views over
 *	a set of every name they hold, and as entries, which must agree.
 *	Where the network has to misbehave (answers held up in the middle
 *	of a page, a connection cut in the middle of an entry), the source
 *	talks to the same slapd through ldapwire_relay in a child.
 *
 * DIAGNOSTICS
 *	Check's summary line; the exit status is non-zero on any failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attrset.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_source.h"
#include "ldapwire.h"
#include "log.h"
#include "slapd.h"
#include "source.h"
#include "testlib.h"
#include "viewcopy.h"

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
	int release_fd;         /* >= 0: collect() writes a byte to it at
	                           the first entry (ldapwire_relay's hold) */
	unsigned nap_ms;        /* collect() sleeps this long per entry */
	const struct attrset *set;      /* the views' set */
	struct entry **views;   /* copies of the views (viewcopy) */
	size_t nviews;
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
	f->release_fd = -1;
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
	for (i = 0; i < f->nviews; i++)
		entry_free(f->views[i]);
	free(f->views);
	f->views = NULL;
	f->nviews = 0;
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
	if (f->release_fd >= 0 && f->calls == 1)
		ck_assert_int_eq(write(f->release_fd, "x", 1), 1);
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

/* collect_view - entry_view_fn keeping a copy of every view, acting
 * as collect does on the way */
static int
collect_view(const struct entry_view *v, void *ctx)
{
	struct fixture *f = ctx;
	struct entry **p;

	f->calls++;
	ck_assert_ptr_eq(v->set, f->set);
	ck_assert_ptr_null(v->origin);
	if (f->stop_with)
		return f->stop_with;
	if (f->kill_server && f->calls == 1)
		ck_assert_msg(slapd_stop(&sd) == 0, "%s", sd.output);
	if (f->release_fd >= 0 && f->calls == 1)
		ck_assert_int_eq(write(f->release_fd, "x", 1), 1);
	if (f->nap_ms > 0)
		ck_assert_int_eq(usleep(f->nap_ms * 1000), 0);
	p = realloc(f->views, (f->nviews + 1) * sizeof *p);
	ck_assert_ptr_nonnull(p);
	f->views = p;
	f->views[f->nviews++] = viewcopy_entry(v);
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

/* run_view - open and search views over set; the first error code */
static int
run_view(struct fixture *f, const char *filter, const struct attrset *set)
{
	struct ldap_source *s = NULL;
	int rc;

	f->set = set;
	rc = ldap_source_open(&f->cfg, &s, &f->d);
	if (rc == 0) {
		rc = ldap_source_search_view(s, filter, set, collect_view, f,
		    &f->d);
		ldap_source_close(s);
	}
	no_secret(&f->d);
	return rc;
}

/* set_of - a new set of these names (attrset_free) */
static struct attrset *
set_of(const char *const *names)
{
	struct attrset *set;
	size_t i;

	ck_assert_int_eq(attrset_new(&set), 0);
	for (i = 0; names[i] != NULL; i++)
		ck_assert_int_eq(attrset_add(set, names[i], strlen(names[i]),
		    NULL), 0);
	return set;
}

/* same_views - the views read what the entries of the same search
 * hold, entry by entry in the server's order */
static void
same_views(const struct fixture *f, const char *what)
{
	size_t i;

	ck_assert_msg(f->nviews == f->ngot, "%s: %zu views, %zu entries",
	    what, f->nviews, f->ngot);
	for (i = 0; i < f->ngot; i++)
		viewcopy_same(f->got[i], f->views[i], f->set, what);
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

START_TEST(views_server_gone)
{
	static const char *const names[] = { "uid", NULL };
	struct attrset *set = set_of(names);
	struct fixture f;

	fx_init(&f, sd.ldap_uri);
	f.cfg.page_size = 2;
	f.kill_server = 1;
	ck_assert_int_eq(run_view(&f, PEOPLE_FILTER, set), ERR_UNAVAIL);
	ck_assert_uint_eq(f.calls, 2);
	ck_assert(messages_have(&f.d, "search under"));
	attrset_free(set);
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

/*
 * Views
 */

#define VIEWS_BASE "ou=views,dc=example,dc=com"
#define VIEWS_FILTER "(|(cn=variants)(cn=huge)(cn=big value)(uid=alice))"
#define UID_FILTER "(&(objectClass=inetOrgPerson)(uid=*))"
#define NHUGE 20000             /* members of cn=huge */
#define BIG_VALUE (1 << 20)     /* bytes of cn=big value's audio */

/* big_byte - byte i of the 1 MiB value */
static unsigned char
big_byte(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

/* views_ldif - the entries made for views, as ldapmodify add records */
static char *
views_ldif(void)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char b[3];
	size_t cap = (size_t)NHUGE * 64 + BIG_VALUE * 2 + 4096, len = 0, i, k;
	char *t = malloc(cap);

	ck_assert_ptr_nonnull(t);
	len += (size_t)snprintf(t + len, cap - len,
	    "dn: " VIEWS_BASE "\nchangetype: add\nobjectClass: "
	    "organizationalUnit\nou: views\n\n"
	    "dn: cn=variants," VIEWS_BASE "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: variants\ncn;lang-de: Variante\n"
	    "cn;lang-fr: Variante une\ncn;lang-fr: Variante deux\n"
	    "cn: Variants Too\nsn: Variants\ndescription;lang-en: first\n"
	    "description: second\nmail: variants@example.com\n"
	    "audio:: AAEC/w==\naudio:: YQBi\n"
	    "jpegPhoto:: /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP8=\n\n"
	    "dn: cn=huge," VIEWS_BASE "\nchangetype: add\n"
	    "objectClass: groupOfNames\ncn: huge\n");
	for (i = 0; i < NHUGE; i++)
		len += (size_t)snprintf(t + len, cap - len, "member: "
		    "uid=m%05zu,ou=people,dc=example,dc=com\n", i);
	len += (size_t)snprintf(t + len, cap - len, "\n"
	    "dn: cn=big value," VIEWS_BASE "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: big value\nsn: Big\naudio:: ");
	for (i = 0; i < BIG_VALUE; i += 3) {
		for (k = 0; k < 3; k++)
			b[k] = i + k < BIG_VALUE ? big_byte(i + k) : 0;
		t[len++] = tab[b[0] >> 2];
		t[len++] = tab[(b[0] & 3) << 4 | b[1] >> 4];
		t[len++] = i + 1 < BIG_VALUE ?
		    tab[(b[1] & 15) << 2 | b[2] >> 6] : '=';
		t[len++] = i + 2 < BIG_VALUE ? tab[b[2] & 63] : '=';
	}
	len += (size_t)snprintf(t + len, cap - len, "\n");
	ck_assert_uint_lt(len, cap);
	return t;
}

/* setup_views - the usual server, and the entries made for views */
static void
setup_views(void)
{
	char *ldif;
	int rc;

	start_server(NULL);
	ldif = views_ldif();
	rc = slapd_modify(&sd, ldif);
	free(ldif);
	if (rc != 0) {
		static char why[8192];

		snprintf(why, sizeof why, "%s", sd.output ? sd.output : "?");
		slapd_cleanup(&sd);
		ck_abort_msg("slapd: %s", why);
	}
}

/* exact - the attribute of a view's copy named exactly name */
static const struct entry_attr *
exact(const struct entry *copy, const char *name)
{
	size_t i;

	for (i = 0; i < copy->count; i++)
		if (strcmp(copy->attrs[i].name, name) == 0)
			return &copy->attrs[i];
	return NULL;
}

/* view_named - the copy of the view with this DN */
static const struct entry *
view_named(const struct fixture *f, const char *dn)
{
	size_t i;

	for (i = 0; i < f->nviews; i++)
		if (strcasecmp(f->views[i]->dn, dn) == 0)
			return f->views[i];
	ck_abort_msg("no view of %s", dn);
	return NULL;
}

/* Every value of every option variant, in order, binary values and a
 * NUL byte, an entry of 20 000 values and a value of 1 MiB: the views
 * read what the entries hold. */
START_TEST(views_read_every_value)
{
	static const char *const cn[] = {
		"variants", "Variants Too", "Variante", "Variante une",
		"Variante deux"
	};
	struct fixture f;
	struct attrset *set;
	const struct entry *v;
	const struct entry_attr *a;
	char dn[128];
	size_t i, j, found;

	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	ck_assert_int_eq(run(&f, VIEWS_FILTER, NULL), 0);
	ck_assert_uint_eq(f.ngot, 4);
	set = viewcopy_set(f.got, f.ngot);
	ck_assert_int_eq(run_view(&f, VIEWS_FILTER, set), 0);
	ck_assert_uint_eq(f.d.nerrors, 0);
	same_views(&f, "views");

	v = view_named(&f, "cn=variants," VIEWS_BASE);
	ck_assert_ptr_nonnull(a = exact(v, "cn"));
	ck_assert_uint_eq(a->count, 5);
	/* each variant's values in order; the server orders variants */
	for (i = 0; i < 5; i++) {
		for (found = 0, j = 0; j < a->count; j++)
			found += strcmp(a->values[j].data, cn[i]) == 0;
		ck_assert_msg(found == 1, "cn %s: %zu times", cn[i], found);
	}
	for (i = 0; i + 1 < a->count; i++)
		if (strcmp(a->values[i].data, "Variante une") == 0)
			ck_assert_str_eq(a->values[i + 1].data,
			    "Variante deux");
	ck_assert_ptr_nonnull(a = exact(v, "description"));
	ck_assert_uint_eq(a->count, 2);
	ck_assert_ptr_nonnull(a = exact(v, "audio"));
	ck_assert_uint_eq(a->count, 2);
	ck_assert_uint_eq(a->values[0].len, 4);
	ck_assert_mem_eq(a->values[0].data, "\x00\x01\x02\xff", 4);
	ck_assert_uint_eq(a->values[1].len, 3);
	ck_assert_mem_eq(a->values[1].data, "a\0b", 3);
	ck_assert_ptr_nonnull(a = exact(v, "jpegphoto"));
	ck_assert_uint_eq(a->values[0].len, 26);
	ck_assert_ptr_nonnull(a = exact(v, "entryuuid"));
	ck_assert_uint_eq(a->values[0].len, 36);
	ck_assert_ptr_null(exact(v, "absent"));

	v = view_named(&f, "cn=huge," VIEWS_BASE);
	ck_assert_ptr_nonnull(a = exact(v, "member"));
	ck_assert_uint_eq(a->count, NHUGE);
	for (i = 0; i < NHUGE; i++) {
		snprintf(dn, sizeof dn, "uid=m%05zu,ou=people,dc=example,"
		    "dc=com", i);
		ck_assert_str_eq(a->values[i].data, dn);
	}
	v = view_named(&f, "cn=big value," VIEWS_BASE);
	ck_assert_ptr_nonnull(a = exact(v, "audio"));
	ck_assert_uint_eq(a->values[0].len, BIG_VALUE);
	for (i = 0; i < BIG_VALUE; i++)
		if ((unsigned char)a->values[0].data[i] != big_byte(i))
			ck_abort_msg("byte %zu of the big value differs", i);
	attrset_free(set);
	fx_free(&f);
}
END_TEST

/* Only the names of the set are asked for and read; a name no entry
 * holds gives no value. */
START_TEST(views_read_the_set)
{
	static const char *const names[] = {
		"MAIL", "memberOf", "absent", NULL
	};
	struct fixture f;
	struct attrset *set = set_of(names);
	const struct entry *v;
	const struct entry_attr *a;

	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	ck_assert_int_eq(run_view(&f, "(|(uid=alice)(uid=carol))", set), 0);
	ck_assert_uint_eq(f.nviews, 2);
	v = view_named(&f, ALICE);
	ck_assert_uint_eq(v->count, 2);
	ck_assert_ptr_nonnull(a = exact(v, "mail"));
	ck_assert_str_eq(a->values[0].data, "alice@example.com");
	ck_assert_ptr_nonnull(a = exact(v, "memberof"));
	ck_assert_str_eq(a->values[0].data,
	    "cn=migrated,ou=groups,dc=example,dc=com");
	v = view_named(&f, "uid=carol," PEOPLE_BASE);
	ck_assert_uint_eq(v->count, 1);
	/* the same through the source of a configuration */
	{
		struct config cfg;
		struct source src;

		fx_reset(&f);
		memset(&cfg, 0, sizeof cfg);
		cfg.source = CONFIG_SOURCE_LDAP;
		cfg.ldap = f.cfg;
		ck_assert_int_eq(source_open(&src, &cfg, &f.d), 0);
		ck_assert_int_eq(source_each_view(&src, UID_FILTER, set,
		    collect_view, &f, &f.d), 0);
		ck_assert_uint_eq(f.nviews, NPEOPLE);
		source_close(&src);
	}
	attrset_free(set);
	fx_free(&f);
}
END_TEST

START_TEST(views_page_by_page)
{
	static const char filter[] = "(&(objectClass=inetOrgPerson)(cn=*))";
	static const char *const names[] = { "uid", "mail", NULL };
	struct fixture f;
	struct attrset *set = set_of(names);
	size_t before, i, j;

	before = count_in_log(filter);
	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	f.cfg.page_size = 2;
	ck_assert_int_eq(run(&f, filter, (const char *const[]){ "uid",
	    "mail", NULL }), 0);
	ck_assert_int_eq(run_view(&f, filter, set), 0);
	/* 7 people and the two inetOrgPersons of the views */
	ck_assert_uint_eq(f.nviews, NPEOPLE + 2);
	same_views(&f, "pages");
	for (i = 0; i < f.nviews; i++)
		for (j = i + 1; j < f.nviews; j++)
			ck_assert_str_ne(f.views[i]->dn, f.views[j]->dn);
	/* 9 entries by 2, twice: five requests each time */
	ck_assert_uint_eq(count_in_log(filter) - before, 2 * 5);
	attrset_free(set);
	fx_free(&f);
}
END_TEST

START_TEST(views_callback_stops)
{
	static const char *const names[] = { "uid", NULL };
	struct attrset *set = set_of(names);
	struct ldap_source *s = NULL;
	struct fixture f;

	fx_init(&f, sd.ldap_uri);
	f.cfg.page_size = 2;
	f.set = set;
	ck_assert_int_eq(ldap_source_open(&f.cfg, &s, &f.d), 0);
	f.stop_with = -42;
	ck_assert_int_eq(ldap_source_search_view(s, UID_FILTER, set,
	    collect_view, &f, &f.d), -42);
	ck_assert_uint_eq(f.calls, 1);
	f.stop_with = ERR_STOP;
	ck_assert_int_eq(ldap_source_search_view(s, UID_FILTER, set,
	    collect_view, &f, &f.d), ERR_STOP);
	ck_assert_uint_eq(f.calls, 2);
	/* the session is still usable, for views and for entries */
	f.stop_with = 0;
	ck_assert_int_eq(ldap_source_search_view(s, UID_FILTER, set,
	    collect_view, &f, &f.d), 0);
	ck_assert_uint_eq(f.nviews, NPEOPLE);
	ck_assert_int_eq(ldap_source_search(s, UID_FILTER, NULL, collect,
	    &f, &f.d), 0);
	ck_assert_uint_eq(f.ngot, NPEOPLE);
	ck_assert_uint_eq(f.d.nerrors, 0);
	ldap_source_close(s);
	attrset_free(set);
	fx_free(&f);
}
END_TEST

/* The log says what was asked, in the case the set's names were
 * written in, and how the pages went. */
START_TEST(views_log)
{
	static const char *const names[] = {
		"objectClass", "entryUUID", "mail", NULL
	};
	struct attrset *set = set_of(names);
	struct fixture f;
	struct log log;
	char *dir = testlib_tmpdir(), path[512], *text, *want;
	int fd, saved;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fx_init(&f, sd.ldap_uri);
	f.cfg.page_size = 3;
	diag_free(&f.d);
	log_open(&log, "t", LOG_LEVEL_DEBUG, 0);
	diag_init(&f.d, &log);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	ck_assert_int_eq(run_view(&f, UID_FILTER, set), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = testlib_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_ge(asprintf(&want, "ldap_source: %s: searching under "
	    "%s (subtree), filter " UID_FILTER ", attributes objectClass "
	    "entryUUID mail, pages of 3\n", sd.ldap_uri, sd.base), 0);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(want);
	ck_assert_msg(strstr(text, ": page 1: 3 entries\n") &&
	    strstr(text, ": page 2: 3 entries\n") &&
	    strstr(text, ": page 3: 1 entries\n"), "%s", text);
	ck_assert_int_ge(asprintf(&want, "ldap_source: %s: search under %s "
	    "done: 7 entries in 3 pages, ", sd.ldap_uri, sd.base), 0);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(want);
	free(text);
	log_close(&log);
	testlib_rmrf(dir);
	free(dir);
	attrset_free(set);
	fx_free(&f);
}
END_TEST

/* A relay between the source and the case's slapd, in a child */
struct relay {
	pid_t pid;
	char uri[64];
};

/* relay_start - a child relaying one connection to slapd as planned;
 * the child closes mine (>= 0), the test's end of the hold pipe */
static void
relay_start(struct relay *r, const struct ldapwire_plan *plan, int mine)
{
	unsigned port;
	int lfd, cfd, sfd, rc;

	signal(SIGPIPE, SIG_IGN);
	lfd = ldapwire_listen(&port);
	snprintf(r->uri, sizeof r->uri, "ldap://127.0.0.1:%u", port);
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		alarm(60);
		if (mine >= 0)
			close(mine);
		cfd = ldapwire_accept(lfd);
		if (cfd < 0)
			_exit(1);
		sfd = ldapwire_connect((unsigned)sd.port);
		rc = ldapwire_relay(cfd, sfd, plan);
		close(cfd);
		close(sfd);
		_exit(rc == 0 ? 0 : 2);
	}
	close(lfd);
}

/* relay_end - the child ended as planned */
static void
relay_end(struct relay *r)
{
	int status;

	ck_assert_int_eq(waitpid(r->pid, &status, 0), r->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "relay: status %d", status);
}

/* Each entry is handed on as it arrives: the rest of the page is held
 * up until the first entry reached the callback, which it never would
 * if the page were waited for whole. Views, then entries. */
START_TEST(views_stream)
{
	static const char *const names[] = { "uid", "mail", NULL };
	struct attrset *set = set_of(names);
	struct ldapwire_plan plan = { 1, -1, 0 };
	struct relay r;
	struct fixture f;
	int pipefd[2], rc, views;

	for (views = 1; views >= 0; views--) {
		ck_assert_int_eq(pipe(pipefd), 0);
		plan.hold_fd = pipefd[0];
		relay_start(&r, &plan, pipefd[1]);
		close(pipefd[0]);
		fx_init(&f, r.uri);
		f.cfg.timeout = 5;
		f.release_fd = pipefd[1];
		rc = views ? run_view(&f, UID_FILTER, set) :
		    run(&f, UID_FILTER, NULL);
		ck_assert_msg(rc == 0, "%s: %s (%s)", views ? "views" :
		    "entries", err_str(rc), diag_last_error(&f.d));
		ck_assert_uint_eq(views ? f.nviews : f.ngot, NPEOPLE);
		close(pipefd[1]);
		relay_end(&r);
		fx_free(&f);
	}
	attrset_free(set);
}
END_TEST

/* A page whose messages stop coming is given up after the timeout:
 * ERR_UNAVAIL, the search abandoned; the entry before was handed on.
 * The time the consumer takes does not count against it: seven entries
 * of 0.4 s each within a timeout of 2 s. */
START_TEST(views_page_timeout)
{
	static const char *const names[] = { "uid", NULL };
	struct attrset *set = set_of(names);
	struct ldapwire_plan plan = { 1, -1, 0 };
	struct relay r;
	struct fixture f;
	int pipefd[2];
	time_t t0;

	ck_assert_int_eq(pipe(pipefd), 0);
	plan.hold_fd = pipefd[0];
	relay_start(&r, &plan, pipefd[1]);
	close(pipefd[0]);
	fx_init(&f, r.uri);
	f.cfg.timeout = 2;
	t0 = time(NULL);
	ck_assert_int_eq(run_view(&f, UID_FILTER, set), ERR_UNAVAIL);
	ck_assert_int_le(time(NULL) - t0, 4);
	ck_assert_uint_eq(f.nviews, 1);
	ck_assert_msg(strstr(diag_last_error(&f.d), "search under") &&
	    strstr(diag_last_error(&f.d), "Timed out"), "%s",
	    diag_last_error(&f.d));
	/* the relay goes on once its hold ends: the end of the pipe */
	close(pipefd[1]);
	relay_end(&r);
	fx_free(&f);

	fx_init(&f, sd.ldap_uri);
	f.cfg.timeout = 2;
	f.nap_ms = 400;
	ck_assert_int_eq(run_view(&f, UID_FILTER, set), 0);
	ck_assert_uint_eq(f.nviews, NPEOPLE);
	fx_free(&f);
	attrset_free(set);
}
END_TEST

/* The connection goes in the middle of an entry of the second page:
 * ERR_UNAVAIL, and the entries handed on before are whole; the cut one
 * is never handed on. Views, then entries. */
START_TEST(views_connection_lost_mid_page)
{
	static const char *const names[] = { "uid", "mail", "cn", NULL };
	struct attrset *set = set_of(names);
	struct ldapwire_plan plan = { 3, -1, 1 };
	struct fixture all, f;
	struct relay r;
	int rc, views;
	size_t i;

	fx_init(&all, sd.ldap_uri);
	all.cfg.page_size = 2;
	ck_assert_int_eq(run(&all, UID_FILTER, NULL), 0);
	for (views = 1; views >= 0; views--) {
		relay_start(&r, &plan, -1);
		fx_init(&f, r.uri);
		f.cfg.page_size = 2;
		rc = views ? run_view(&f, UID_FILTER, set) :
		    run(&f, UID_FILTER, NULL);
		ck_assert_msg(rc == ERR_UNAVAIL, "got %s", err_str(rc));
		ck_assert_uint_eq(f.calls, 3);
		ck_assert_msg(messages_have(&f.d, "search under"), "%s",
		    diag_last_error(&f.d));
		for (i = 0; i < 3; i++) {
			if (views)
				viewcopy_same(all.got[i], f.views[i], set,
				    "cut");
			else
				ck_assert(entry_equal(all.got[i], f.got[i]));
		}
		relay_end(&r);
		fx_free(&f);
	}
	fx_free(&all);
	attrset_free(set);
}
END_TEST

/* The limit strikes in the middle of the search: ERR_UNAVAIL, and each
 * view handed on before is whole. */
START_TEST(views_size_limit)
{
	static const char *const names[] = { "uid", "mail", "cn", NULL };
	struct attrset *set = set_of(names);
	struct fixture f, one;
	const struct entry_attr *a;
	char filter[128];
	size_t i;

	fx_init(&f, sd.ldap_uri);
	fx_password(&f, sd.reader_dn, "reader-secret\n", 0600);
	f.cfg.page_size = 2;
	ck_assert_int_eq(run_view(&f, PEOPLE_FILTER, set), ERR_UNAVAIL);
	ck_assert_msg(strstr(diag_last_error(&f.d), "Size limit exceeded"),
	    "%s", diag_last_error(&f.d));
	ck_assert_uint_le(f.nviews, 3);
	for (i = 0; i < f.nviews; i++) {
		a = exact(f.views[i], "uid");
		ck_assert_ptr_nonnull(a);
		fx_init(&one, sd.ldap_uri);
		snprintf(filter, sizeof filter, "(uid=%s)", a->values[0].data);
		ck_assert_int_eq(run(&one, filter, (const char *const[]){
		    "uid", "mail", "cn", NULL }), 0);
		ck_assert_uint_eq(one.ngot, 1);
		viewcopy_same(one.got[0], f.views[i], set, "limit");
		fx_free(&one);
	}
	attrset_free(set);
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

/* ldap_source_suite - six cases, each with its own server */
static Suite *
ldap_source_suite(void)
{
	Suite *s = suite_create("ldap_source");
	TCase *tc = tcase_create("server");
	TCase *lim = tcase_create("sizelimit");
	TCase *gone = tcase_create("outage");
	TCase *ref = tcase_create("refusals");
	TCase *views = tcase_create("views");
	TCase *vgone = tcase_create("views outage");

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
	tcase_add_test(lim, views_size_limit);
	suite_add_tcase(s, lim);

	tcase_add_unchecked_fixture(ref, setup_refusals, teardown);
	tcase_set_timeout(ref, 30);
	tcase_add_test(ref, certificate_for_another_name);
	tcase_add_test(ref, base_hidden_by_access_control);
	suite_add_tcase(s, ref);

	tcase_add_unchecked_fixture(views, setup_views, teardown);
	tcase_set_timeout(views, 60);
	tcase_add_test(views, views_read_every_value);
	tcase_add_test(views, views_read_the_set);
	tcase_add_test(views, views_page_by_page);
	tcase_add_test(views, views_callback_stops);
	tcase_add_test(views, views_log);
	tcase_add_test(views, views_stream);
	tcase_add_test(views, views_page_timeout);
	tcase_add_test(views, views_connection_lost_mid_page);
	suite_add_tcase(s, views);

	tcase_add_unchecked_fixture(vgone, setup_plain, teardown);
	tcase_set_timeout(vgone, 30);
	tcase_add_test(vgone, views_server_gone);
	suite_add_tcase(s, vgone);

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
