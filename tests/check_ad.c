/*
 * check_ad - Active Directory: its search limits and the Exchange profile
 *
 * DESCRIPTION
 *	The "fake" cases talk to a scripted server in a child process, on
 *	loopback (the protocol in ldapwire.c), that answers the way Active
 *	Directory does: pages of at most MaxPageSize entries whatever the
 *	client asks, with a cookie (and one empty page in the middle, which
 *	AD may send too), and multi-valued attributes beyond MaxValRange
 *	values as "member;range=0-2", the rest on base-scope searches
 *	asking for "member;range=3-*". The caller of ldap_source_search
 *	must get every entry and every value under the plain name; a
 *	server whose ranges do not add up, or never end, must make the
 *	search ERR_UNAVAIL without handing over the entry. The same holds
 *	for the views of ldap_source_search_view, whose ranged attributes
 *	are read whole when the set names them, and not at all otherwise.
 *
 *	The "profile" case renders tests/data/ad/directory.ldif (AD-shaped
 *	entries: binary objectGUID, mixed-case proxyAddresses, a remote
 *	mailbox, disabled accounts, a nested group) with
 *	mappings/active-directory.xml through the splitsync binary
 *	(SPLITSYNC_BIN), compares each table byte for byte with
 *	tests/data/ad/gateway/, and loads each with Postfix's postmap. The
 *	ids case runs the binary against a scripted server serving binary
 *	objectGUIDs, one of them printable: every id is hex, and a listing
 *	that holds the printable one as text keeps its routes.
 *
 * DIAGNOSTICS
 *	Check's summary line; the exit status is non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>

#include "attrset.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_source.h"
#include "ldapwire.h"
#include "testlib.h"
#include "viewcopy.h"

#define DATA "tests/data/ad"
#define PROFILE "mappings/active-directory.xml"
#define FIRST_FORM "tests/data/upgrade/first-form.awk"

#define BASE "DC=example,DC=com"
#define PEOPLE ",OU=People," BASE
#define BIG "CN=Big,OU=Groups," BASE
#define HUGE "CN=Huge,OU=Groups," BASE
#define MAXPAGE 1000            /* AD's MaxPageSize */
#define MAXVAL 3                /* MaxValRange, small to need ranges */
#define ASKED 5000              /* the client's ldap_page_size */
#define WHO "u:EXAMPLE\\splitsync"   /* the WhoAmI answer */
#define NUSERS 2345             /* pages of 1000, 0, 1000, 347 */
#define NBIG 5                  /* member;range=0-2, then 3-* */
#define NHUGE 8                 /* 0-2, 3-5, then 6-* */
#define NMEMBEROF 4             /* user 0: memberOf;range=0-2, 3-* */

/* how the server gets a ranged "member" wrong */
enum flaw {
	F_NONE,
	F_FIRST,        /* the entry's values start at 1 */
	F_TWICE,        /* the entry has member and member;range=0-2 */
	F_GAP,          /* the answer starts one value later than asked */
	F_COUNT,        /* the answer names more values than it holds */
	F_GARBLED,      /* the answer's range is not low-high */
	F_MISSING,      /* the answer holds no member at all */
	F_NOSUCH,       /* the entry is gone on the follow-up */
	F_ENDLESS       /* every answer ends at its low: never "*" */
};

/* dn_of - the DN of fake entry k: users, then the two groups */
static void
dn_of(size_t k, size_t nusers, char *out, size_t size)
{
	if (k < nusers)
		snprintf(out, size, "CN=User %04zu" PEOPLE, k);
	else
		snprintf(out, size, "%s", k == nusers ? BIG : HUGE);
}

/* index_of - the fake entry with this DN, or (size_t)-1 */
static size_t
index_of(const char *dn, size_t nusers)
{
	char buf[128];
	size_t k;

	for (k = 0; k < nusers + 2; k++) {
		dn_of(k, nusers, buf, sizeof buf);
		if (strcasecmp(buf, dn) == 0)
			return k;
	}
	return (size_t)-1;
}

/* nvalues - how many values entry k has in attribute attr */
static size_t
nvalues(size_t k, size_t nusers, const char *attr)
{
	if (strcasecmp(attr, "member") == 0)
		return k == nusers ? NBIG : k == nusers + 1 ? NHUGE : 0;
	if (strcasecmp(attr, "memberOf") == 0)
		return k == 0 ? NMEMBEROF : 0;
	return 0;
}

/* value_of - value i of attr (the same for every entry) */
static void
value_of(const char *attr, size_t i, char *out, size_t size)
{
	if (strcasecmp(attr, "member") == 0)
		snprintf(out, size, "CN=User %04zu" PEOPLE, i);
	else
		snprintf(out, size, "CN=Group %zu,OU=Groups," BASE, i);
}

/* put_attr - one attribute with values [from, to) of attr under name */
static int
put_attr(BerElement *ber, const char *name, const char *attr, size_t from,
    size_t to)
{
	char v[128];
	size_t i;

	if (ber_printf(ber, "{s[", name) < 0)
		return -1;
	for (i = from; i < to; i++) {
		value_of(attr, i, v, sizeof v);
		if (ber_printf(ber, "s", v) < 0)
			return -1;
	}
	return ber_printf(ber, "]}") < 0 ? -1 : 0;
}

/* put_first - the values of attr an AD search entry carries: all of
 * them under the plain name, or the first MAXVAL under a range */
static int
put_first(BerElement *ber, size_t k, size_t nusers, const char *attr,
    enum flaw flaw)
{
	size_t n = nvalues(k, nusers, attr);
	int member = strcasecmp(attr, "member") == 0;
	char name[64];

	if (n == 0)
		return 0;
	if (n <= MAXVAL)
		return put_attr(ber, attr, attr, 0, n);
	if (member && flaw == F_TWICE && put_attr(ber, attr, attr, 0, 1) < 0)
		return -1;
	if (member && flaw == F_FIRST) {
		snprintf(name, sizeof name, "%s;range=1-%d", attr, MAXVAL);
		return put_attr(ber, name, attr, 1, MAXVAL + 1);
	}
	snprintf(name, sizeof name, "%s;range=0-%d", attr, MAXVAL - 1);
	return put_attr(ber, name, attr, 0, MAXVAL);
}

/* fake_entry - entry k as a paged search returns it */
static int
fake_entry(int fd, ber_int_t id, size_t k, size_t nusers, enum flaw flaw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	char dn[128];

	dn_of(k, nusers, dn, sizeof dn);
	if (ber == NULL || ber_printf(ber, "{it{s{", id,
	    LDAP_RES_SEARCH_ENTRY, dn) < 0 ||
	    ber_printf(ber, "{s[s]}", "objectClass", k < nusers ? "user" :
	    "group") < 0 ||
	    put_first(ber, k, nusers, "member", flaw) < 0 ||
	    put_first(ber, k, nusers, "memberOf", flaw) < 0 ||
	    ber_printf(ber, "}}}") < 0) {
		ber_free(ber, 1);
		return -1;
	}
	return ldapwire_send(fd, ber);
}

/* fake_page - one page of the paged search: at most MAXPAGE entries
 * whatever was asked, none at all on the second page; the cookie
 * "p<page>o<offset>" says where the next one starts */
static int
fake_page(int fd, const struct ldapwire_req *r, size_t nusers, enum flaw flaw)
{
	unsigned long page = 0, off = 0;
	size_t total = nusers + 2, n, k;
	char next[32];

	if (r->cookie[0] != '\0' &&
	    sscanf(r->cookie, "p%luo%lu", &page, &off) != 2)
		return -1;
	if (off > total)
		return -1;
	n = page == 1 ? 0 : total - off;
	if (n > MAXPAGE)
		n = MAXPAGE;
	if (n > (size_t)r->size)
		n = (size_t)r->size;
	for (k = off; k < off + n; k++)
		if (fake_entry(fd, r->id, k, nusers, flaw) < 0)
			return -1;
	if (off + n == total)
		return ldapwire_result(fd, r->id, LDAP_SUCCESS, "");
	snprintf(next, sizeof next, "p%luo%zu", page + 1, off + n);
	return ldapwire_result(fd, r->id, LDAP_SUCCESS, next);
}

/* fake_range - answer a base search for "attr;range=low-*" of entry k,
 * as AD does (at most MAXVAL values, "*" on the last) or with a flaw */
static int
fake_range(int fd, ber_int_t id, size_t k, size_t nusers, const char *attr,
    size_t low, enum flaw flaw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	size_t n = nvalues(k, nusers, attr), high;
	char dn[128], name[96], ghost[64];
	int rc = -1;

	if (strcasecmp(attr, "member") != 0)
		flaw = F_NONE;
	if (ber == NULL)
		goto out;
	if (flaw == F_NOSUCH) {
		ber_free(ber, 1);
		return ldapwire_result(fd, id, LDAP_NO_SUCH_OBJECT, NULL);
	}
	dn_of(k, nusers, dn, sizeof dn);
	if (ber_printf(ber, "{it{s{", id, LDAP_RES_SEARCH_ENTRY, dn) < 0)
		goto out;
	high = low + MAXVAL - 1;
	switch (flaw) {
	case F_GAP:
		snprintf(name, sizeof name, "%s;range=%zu-*", attr, low + 1);
		rc = put_attr(ber, name, attr, low + 1, n);
		break;
	case F_COUNT:
		snprintf(name, sizeof name, "%s;range=%zu-%zu", attr, low,
		    low + 4);
		rc = put_attr(ber, name, attr, low, n);
		break;
	case F_GARBLED:
		snprintf(name, sizeof name, "%s;range=%zu-x", attr, low);
		rc = put_attr(ber, name, attr, low, n);
		break;
	case F_MISSING:
		rc = 0;
		break;
	case F_ENDLESS:
		snprintf(name, sizeof name, "%s;range=%zu-%zu", attr, low,
		    low);
		snprintf(ghost, sizeof ghost, "CN=Ghost %zu", low);
		rc = ber_printf(ber, "{s[s]}", name, ghost) < 0 ? -1 : 0;
		break;
	default:
		if (low >= n)
			goto out;
		if (high + 1 >= n) {
			snprintf(name, sizeof name, "%s;range=%zu-*", attr,
			    low);
			rc = put_attr(ber, name, attr, low, n);
		} else {
			snprintf(name, sizeof name, "%s;range=%zu-%zu", attr,
			    low, high);
			rc = put_attr(ber, name, attr, low, high + 1);
		}
		break;
	}
	if (rc < 0 || ber_printf(ber, "}}}") < 0) {
		rc = -1;
		goto out;
	}
	rc = ldapwire_send(fd, ber);
	ber = NULL;
	if (rc == 0)
		rc = ldapwire_result(fd, id, LDAP_SUCCESS, NULL);
out:
	ber_free(ber, 1);
	return rc;
}

/* fake_base - a base search of one entry: "attr;range=low-*" is a
 * follow-up; a plain attribute gets the entry as the paged search
 * would send it */
static int
fake_base(int fd, const struct ldapwire_req *r, size_t nusers, enum flaw flaw)
{
	size_t k = index_of(r->base, nusers);
	char attr[64], *p, *end;
	unsigned long low;

	if (k == (size_t)-1 || r->nattrs != 1 || r->paged)
		return -1;
	snprintf(attr, sizeof attr, "%s", r->attrs[0]);
	p = strstr(attr, ";range=");
	if (p == NULL) {
		return fake_entry(fd, r->id, k, nusers, flaw) < 0 ? -1 :
		    ldapwire_result(fd, r->id, LDAP_SUCCESS, NULL);
	}
	*p = '\0';
	p += strlen(";range=");
	errno = 0;
	low = strtoul(p, &end, 10);
	if (errno != 0 || end == p || strcmp(end, "-*") != 0)
		return -1;
	return fake_range(fd, r->id, k, nusers, attr, low, flaw);
}

/* fake_serve - the server side: a bind, then searches until the client
 * goes. The exit status says whether each request was what a client
 * of AD should send: 0 yes, else the step that went wrong. */
static int
fake_serve(int fd, size_t nusers, enum flaw flaw)
{
	static unsigned char buf[65536];
	struct ldapwire_req r;
	ssize_t n;

	n = ldapwire_read(fd, buf, sizeof buf);
	if (n <= 0 || ldapwire_decode(buf, n, &r) < 0 ||
	    r.op != LDAP_REQ_BIND || ldapwire_bind(fd, r.id) < 0)
		return 2;
	while ((n = ldapwire_next(fd, buf, sizeof buf, &r, WHO)) > 0) {
		if (r.op != LDAP_REQ_SEARCH)
			return 4;
		if (r.scope == LDAP_SCOPE_SUBTREE) {
			/* the client keeps asking its own page size */
			if (!r.paged || r.size != ASKED ||
			    strcasecmp(r.base, BASE) != 0)
				return 5;
			if (fake_page(fd, &r, nusers, flaw) < 0)
				return 6;
		} else if (r.scope == LDAP_SCOPE_BASE) {
			if (fake_base(fd, &r, nusers, flaw) < 0)
				return 7;
		} else {
			return 8;
		}
	}
	return n == 0 ? 0 : 3;
}

/* what the caller of the search was given */
struct got {
	struct entry **e;
	size_t n;
};

/* collect - keep a copy of each entry */
static int
collect(const struct entry *e, void *ctx)
{
	struct got *g = ctx;
	struct entry **v;

	v = realloc(g->e, (g->n + 1) * sizeof *v);
	ck_assert_ptr_nonnull(v);
	g->e = v;
	ck_assert_int_eq(entry_dup(e, &g->e[g->n]), 0);
	g->n++;
	return 0;
}

/* got_free - the copies */
static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		entry_free(g->e[i]);
	free(g->e);
}

/* a fake server in a child, and a source connected to it */
struct fake {
	pid_t pid;
	struct ldap_source *src;
	struct diag d;
};

/* fake_start - listen on loopback, fork the server, open a source */
static void
fake_start(struct fake *f, size_t nusers, enum flaw flaw)
{
	struct config_ldap cfg;
	char uri[64], *uris[1];
	unsigned port;
	int lfd, cfd, rc;

	signal(SIGPIPE, SIG_IGN);
	diag_init(&f->d, NULL);
	lfd = ldapwire_listen(&port);
	snprintf(uri, sizeof uri, "ldap://127.0.0.1:%u", port);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		alarm(30);
		cfd = ldapwire_accept(lfd);
		_exit(cfd < 0 ? 1 : fake_serve(cfd, nusers, flaw));
	}
	close(lfd);
	memset(&cfg, 0, sizeof cfg);
	uris[0] = uri;
	cfg.uris = uris;
	cfg.nuris = 1;
	cfg.base = (char *)BASE;
	cfg.network_timeout = 3;
	cfg.timeout = 10;
	cfg.page_size = ASKED;
	rc = ldap_source_open(&cfg, &f->src, &f->d);
	ck_assert_msg(rc == 0, "open: %s", diag_last_error(&f->d));
}

/* fake_search - the search a mapping would run */
static int
fake_search(struct fake *f, struct got *g)
{
	static const char *const attrs[] = {
		"objectClass", "member", "memberOf", NULL
	};

	memset(g, 0, sizeof *g);
	return ldap_source_search(f->src, "(objectClass=*)", attrs, collect,
	    g, &f->d);
}

/* fake_end - close the source, check how the server saw the client */
static void
fake_end(struct fake *f, const char *name)
{
	int status;

	ldap_source_close(f->src);
	ck_assert_int_eq(waitpid(f->pid, &status, 0), f->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the server saw a wrong request (step %d)", name,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	diag_free(&f->d);
}

/* expect_values - e has attr under its plain name only, with the n
 * values value_of gives, in order */
static void
expect_values(const struct entry *e, const char *attr, size_t n)
{
	const struct entry_attr *a = entry_attr_get(e, attr);
	char want[128];
	size_t i;

	ck_assert_msg(a != NULL, "%s: no %s", e->dn, attr);
	ck_assert_str_eq(a->name, attr);
	ck_assert_msg(a->count == n, "%s: %s has %zu values, want %zu",
	    e->dn, attr, a->count, n);
	for (i = 0; i < n; i++) {
		value_of(attr, i, want, sizeof want);
		ck_assert_str_eq(a->values[i].data, want);
		ck_assert_uint_eq(a->values[i].len, strlen(want));
	}
}

START_TEST(ad_pages_and_ranges)
{
	struct fake f;
	struct got g;
	char dn[128];
	size_t i, j;
	int rc;

	fake_start(&f, NUSERS, F_NONE);
	rc = fake_search(&f, &g);
	ck_assert_msg(rc == 0, "search: %s (%s)", err_str(rc),
	    diag_last_error(&f.d));
	ck_assert_uint_eq(f.d.nerrors, 0);
	/* every entry once, in the server's order, over short pages */
	ck_assert_uint_eq(g.n, NUSERS + 2);
	for (i = 0; i < g.n; i++) {
		dn_of(i, NUSERS, dn, sizeof dn);
		ck_assert_str_eq(g.e[i]->dn, dn);
		/* no attribute keeps a range option */
		for (j = 0; j < g.e[i]->count; j++)
			ck_assert_msg(strchr(g.e[i]->attrs[j].name, ';') ==
			    NULL, "%s: %s", dn, g.e[i]->attrs[j].name);
	}
	/* one follow-up, two follow-ups, and not only member */
	expect_values(g.e[NUSERS], "member", NBIG);
	expect_values(g.e[NUSERS + 1], "member", NHUGE);
	expect_values(g.e[0], "memberOf", NMEMBEROF);
	ck_assert_ptr_null(entry_attr_get(g.e[1], "memberOf"));
	got_free(&g);
	fake_end(&f, "pages and ranges");
}
END_TEST

START_TEST(ad_entry_refuses_ranges)
{
	static char *attrs[] = { (char *)"member", NULL };
	LDAPMessage *res = NULL;
	struct entry *e = NULL;
	struct fake f;
	LDAP *ld;
	int lrc;

	/* ldap_source_entry cannot ask for the rest: a ranged entry is
	 * refused, never passed on with part of its members */
	fake_start(&f, 1, F_NONE);
	ld = ldap_source_ldap(f.src);
	lrc = ldap_search_ext_s(ld, BIG, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, LDAP_NO_LIMIT, &res);
	ck_assert_int_eq(lrc, LDAP_SUCCESS);
	ck_assert_int_eq(ldap_count_entries(ld, res), 1);
	ck_assert_int_eq(ldap_source_entry(ld, ldap_first_entry(ld, res), &e),
	    ERR_UNAVAIL);
	ck_assert_ptr_null(e);
	ldap_msgfree(res);
	fake_end(&f, "entry refuses ranges");
}
END_TEST

/* a server that gets a ranged member wrong */
static const struct flaw_case {
	const char *name;
	enum flaw flaw;
	const char *says;
} flaws[] = {
	{ "first range not at 0", F_FIRST, "values start at value 1" },
	{ "plain and ranged", F_TWICE, "holds it twice" },
	{ "gap", F_GAP, "starts at value 4" },
	{ "count", F_COUNT, "names range 3-7 but holds 2 values" },
	{ "garbled", F_GARBLED, "malformed range \"3-x\"" },
	{ "missing", F_MISSING, "holds no range of it" },
	{ "entry gone", F_NOSUCH, "No such object" },
	{ "never ends", F_ENDLESS, "no end after 1024 further searches" },
};

START_TEST(ad_bad_ranges)
{
	const struct flaw_case *c = &flaws[_i];
	const struct diag_item *it = NULL;
	struct fake f;
	struct got g;
	size_t i;
	int rc;

	fake_start(&f, 3, c->flaw);
	rc = fake_search(&f, &g);
	ck_assert_msg(rc == ERR_UNAVAIL, "%s: got %s (%s)", c->name,
	    err_str(rc), diag_last_error(&f.d));
	for (i = 0; i < f.d.count; i++)
		if (strstr(f.d.items[i].what, c->says) != NULL)
			it = &f.d.items[i];
	ck_assert_msg(it != NULL, "%s: no message with \"%s\" (%s)", c->name,
	    c->says, diag_last_error(&f.d));
	ck_assert_int_eq(it->level, DIAG_ERROR);
	ck_assert_str_eq(it->where, BIG);
	ck_assert_msg(strstr(it->what, "incomplete attribute member: ") !=
	    NULL && strstr(it->what, ": the result would be truncated") !=
	    NULL, "%s: %s", c->name, it->what);
	/* the users came before; the group never reached the caller */
	ck_assert_uint_eq(g.n, 3);
	for (i = 0; i < g.n; i++)
		ck_assert_str_ne(g.e[i]->dn, BIG);
	got_free(&g);
	fake_end(&f, c->name);
}
END_TEST

/*
 * The same server, read as views.
 */

/* collect_view - keep a copy of each view */
static int
collect_view(const struct entry_view *v, void *ctx)
{
	struct got *g = ctx;
	struct entry **p;

	p = realloc(g->e, (g->n + 1) * sizeof *p);
	ck_assert_ptr_nonnull(p);
	g->e = p;
	g->e[g->n++] = viewcopy_entry(v);
	return 0;
}

/* fake_search_view - the search a mapping would run, as views over
 * names */
static int
fake_search_view(struct fake *f, const char *const *names, struct got *g,
    struct attrset **set)
{
	size_t i;

	memset(g, 0, sizeof *g);
	ck_assert_int_eq(attrset_new(set), 0);
	for (i = 0; names[i] != NULL; i++)
		ck_assert_int_eq(attrset_add(*set, names[i], strlen(names[i]),
		    NULL), 0);
	return ldap_source_search_view(f->src, "(objectClass=*)", *set,
	    collect_view, g, &f->d);
}

/* expect_view_values - the copy of a view holds n values of attr (its
 * lowercased name) as value_of gives them, in order */
static void
expect_view_values(const struct entry *e, const char *attr, size_t n)
{
	const struct entry_attr *a = entry_attr_get(e, attr);
	char want[128];
	size_t i;

	ck_assert_msg(a != NULL, "%s: no %s", e->dn, attr);
	ck_assert_msg(a->count == n, "%s: %s has %zu values, want %zu",
	    e->dn, attr, a->count, n);
	for (i = 0; i < n; i++) {
		value_of(attr, i, want, sizeof want);
		ck_assert_str_eq(a->values[i].data, want);
	}
}

static const char *const view_names[] = {
	"objectClass", "member", "memberOf", NULL
};

START_TEST(ad_views_pages_and_ranges)
{
	struct attrset *set;
	struct fake f;
	struct got g;
	char dn[128];
	size_t i;
	int rc;

	fake_start(&f, NUSERS, F_NONE);
	rc = fake_search_view(&f, view_names, &g, &set);
	ck_assert_msg(rc == 0, "search: %s (%s)", err_str(rc),
	    diag_last_error(&f.d));
	ck_assert_uint_eq(f.d.nerrors, 0);
	ck_assert_uint_eq(g.n, NUSERS + 2);
	for (i = 0; i < g.n; i++) {
		dn_of(i, NUSERS, dn, sizeof dn);
		ck_assert_str_eq(g.e[i]->dn, dn);
	}
	expect_view_values(g.e[NUSERS], "member", NBIG);
	expect_view_values(g.e[NUSERS + 1], "member", NHUGE);
	expect_view_values(g.e[0], "memberOf", NMEMBEROF);
	ck_assert_ptr_null(entry_attr_get(g.e[1], "memberOf"));
	ck_assert_ptr_null(entry_attr_get(g.e[1], "member"));
	got_free(&g);
	attrset_free(set);
	fake_end(&f, "views: pages and ranges");
}
END_TEST

START_TEST(ad_views_bad_ranges)
{
	const struct flaw_case *c = &flaws[_i];
	const struct diag_item *it = NULL;
	struct attrset *set;
	struct fake f;
	struct got g;
	size_t i;
	int rc;

	fake_start(&f, 3, c->flaw);
	rc = fake_search_view(&f, view_names, &g, &set);
	ck_assert_msg(rc == ERR_UNAVAIL, "%s: got %s (%s)", c->name,
	    err_str(rc), diag_last_error(&f.d));
	for (i = 0; i < f.d.count; i++)
		if (strstr(f.d.items[i].what, c->says) != NULL)
			it = &f.d.items[i];
	ck_assert_msg(it != NULL, "%s: no message with \"%s\" (%s)", c->name,
	    c->says, diag_last_error(&f.d));
	ck_assert_int_eq(it->level, DIAG_ERROR);
	ck_assert_str_eq(it->where, BIG);
	ck_assert_msg(strstr(it->what, "incomplete attribute member: ") !=
	    NULL && strstr(it->what, ": the result would be truncated") !=
	    NULL, "%s: %s", c->name, it->what);
	/* the users came before; the group never reached the caller */
	ck_assert_uint_eq(g.n, 3);
	for (i = 0; i < g.n; i++)
		ck_assert_str_ne(g.e[i]->dn, BIG);
	got_free(&g);
	attrset_free(set);
	fake_end(&f, c->name);
}
END_TEST

/* A ranged attribute the set does not name is not read at all: not
 * even a server whose ranges never end holds the search up. */
START_TEST(ad_views_unread_ranges)
{
	static const char *const names[] = { "objectClass", NULL };
	struct attrset *set;
	struct fake f;
	struct got g;
	size_t i;
	int rc;

	fake_start(&f, 3, F_ENDLESS);
	rc = fake_search_view(&f, names, &g, &set);
	ck_assert_msg(rc == 0, "search: %s (%s)", err_str(rc),
	    diag_last_error(&f.d));
	ck_assert_uint_eq(g.n, 5);
	for (i = 0; i < g.n; i++) {
		ck_assert_uint_eq(g.e[i]->count, 1);
		ck_assert_ptr_nonnull(entry_attr_get(g.e[i], "objectClass"));
	}
	got_free(&g);
	attrset_free(set);
	fake_end(&f, "views: unread ranges");
}
END_TEST

static const char *const tables[] = {
	"relay_domains", "relay_recipients", "transport"
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* what Postfix answers for a recipient, from the rendered tables */
static const struct query {
	const char *table;
	const char *key;
	const char *value;      /* NULL: not found */
} queries[] = {
	{ "transport", "Alice.Martin@example.com",
	  "smtp:[exchange.example.com]:25" },
	{ "transport", "bob.stone@example.com",
	  "smtp:[example-com.mail.protection.outlook.com]:25" },
	{ "transport", "helpdesk@example.com",
	  "smtp:[example-com.mail.protection.outlook.com]:25" },
	{ "transport", "dave@example.com",
	  "smtp:[example-com.mail.protection.outlook.com]:25" },
	{ "transport", "sales@example.org", "smtp:[exchange.example.com]:25" },
	{ "relay_recipients", "carol.diaz@example.com", NULL },
	{ "relay_recipients", "erin.cole@example.com", NULL },
	{ "relay_recipients", "frank.moss@example.com", NULL },
	{ "relay_recipients", "grace@other.example", NULL },
	{ "relay_recipients", "boardroom@example.com", "OK" },
	{ "relay_domains", "example.mail.onmicrosoft.com", "OK" },
};

START_TEST(ad_profile_renders)
{
	char *dir = testlib_tmpdir(), *out = NULL, *want, *have, path[512];
	size_t wlen, hlen, i;
	int rc;

	ck_assert_ptr_nonnull(dir);
	rc = testlib_sh(&out, "cp '%s/directory.ldif' '%s' '%s/'", DATA,
	    PROFILE, dir);
	ck_assert_msg(rc == 0, "cp: %s", out ? out : "");
	free(out);
	snprintf(path, sizeof path, "%s/splitsync.conf", dir);
	ck_assert_int_eq(testlib_write(path, "source = ldif\n"
	    "ldif = directory.ldif\n"
	    "mapping = active-directory.xml\n"
	    "layout = gateway\n"
	    "repository = repo\n"), 0);
	rc = testlib_sh(&out, "'%s' render -c '%s/splitsync.conf' -o "
	    "'%s/out'", testlib_bin(), dir, dir);
	ck_assert_msg(rc == 0, "render: %d: %s", rc, out ? out : "");
	/* data problems are reported with the entry's DN */
	ck_assert_msg(strstr(out, "CN=Grace Hall,OU=People," BASE ": address "
	    "\"grace@other.example\" refused") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "CN=Alice Martin,OU=People," BASE ": "
	    "address helpdesk@example.com is already routed for CN=Bob "
	    "Stone,OU=People," BASE) != NULL, "%s", out);
	free(out);
	rc = testlib_sh(&out, "ls '%s/out'", dir);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "relay_domains\nrelay_recipients\ntransport\n");
	free(out);

	snprintf(path, sizeof path, "%s/out/main.cf", dir);
	ck_assert_int_eq(testlib_write(path, ""), 0);
	for (i = 0; i < NTABLES; i++) {
		snprintf(path, sizeof path, "%s/gateway/%s", DATA, tables[i]);
		want = testlib_read(path, &wlen);
		ck_assert_msg(want != NULL, "cannot read %s", path);
		snprintf(path, sizeof path, "%s/out/%s", dir, tables[i]);
		have = testlib_read(path, &hlen);
		ck_assert_msg(have != NULL, "cannot read %s", path);
		ck_assert_msg(wlen == hlen && memcmp(want, have, wlen) == 0,
		    "%s differs from the golden file:\n%s", tables[i], have);
		free(want);
		free(have);
		rc = testlib_sh(&out, "postmap -c '%s/out' 'hash:%s'", dir,
		    path);
		ck_assert_msg(rc == 0 && (out == NULL || *out == '\0'),
		    "postmap %s: %d: %s", tables[i], rc, out ? out : "");
		free(out);
		out = NULL;
	}
	for (i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		const struct query *q = &queries[i];

		rc = testlib_sh(&out, "postmap -c '%s/out' -q '%s' "
		    "'hash:%s/out/%s'", dir, q->key, dir, q->table);
		if (q->value == NULL) {
			ck_assert_msg(rc == 1, "%s %s: %d %s", q->table,
			    q->key, rc, out ? out : "");
		} else {
			ck_assert_msg(rc == 0 && out != NULL, "%s %s: %d",
			    q->table, q->key, rc);
			out[strcspn(out, "\n")] = '\0';
			ck_assert_msg(strcmp(out, q->value) == 0,
			    "%s %s: %s, want %s", q->table, q->key, out,
			    q->value);
		}
		free(out);
		out = NULL;
	}
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/*
 * Ids: objectGUID in one encoding, whatever its bytes, read from a
 * fake server by the binary; a repository whose listing holds a
 * printable objectGUID as text (as earlier versions wrote it) keeps
 * every route.
 */

#define PRINTABLE_GUID "Printable-GUID:)"
#define PRINTABLE_HEX "5072696e7461626c652d475549443a29"
#define BINARY_GUID "\x0a\xb6\x37\xd8\xfc\xd2\xc6\xda\x63\x59\xe6\x96" \
	"\x31\x13\xa1\x17"

/* one attribute of a served entry: values of 16 bytes for objectGUID,
 * text otherwise */
struct rec_attr {
	const char *name;
	const char *v[4];
};

struct rec {
	const char *dn;
	struct rec_attr a[6];
};

/* rec_send - one record as a search entry */
static int
rec_send(int fd, ber_int_t id, const struct rec *r)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	size_t i, j, len;

	if (ber == NULL || ber_printf(ber, "{it{s{", id,
	    LDAP_RES_SEARCH_ENTRY, r->dn) < 0)
		goto fail;
	for (i = 0; i < 6 && r->a[i].name; i++) {
		if (ber_printf(ber, "{s[", r->a[i].name) < 0)
			goto fail;
		for (j = 0; j < 4 && r->a[i].v[j]; j++) {
			len = strcasecmp(r->a[i].name, "objectGUID") == 0 ? 16 :
			    strlen(r->a[i].v[j]);
			if (ber_printf(ber, "o", r->a[i].v[j], (ber_len_t)len) <
			    0)
				goto fail;
		}
		if (ber_printf(ber, "]}") < 0)
			goto fail;
	}
	if (ber_printf(ber, "}}}") < 0)
		goto fail;
	return ldapwire_send(fd, ber);
fail:
	ber_free(ber, 1);
	return -1;
}

/* table_serve - a bind, then one subtree search answered with recs in
 * one page; 0 when the client asked what it should */
static int
table_serve(int fd, const struct rec *recs, size_t n)
{
	static unsigned char buf[65536];
	struct ldapwire_req r;
	ssize_t got;
	size_t i;

	got = ldapwire_read(fd, buf, sizeof buf);
	if (got <= 0 || ldapwire_decode(buf, got, &r) < 0 ||
	    r.op != LDAP_REQ_BIND || ldapwire_bind(fd, r.id) < 0)
		return 2;
	while ((got = ldapwire_next(fd, buf, sizeof buf, &r, WHO)) > 0) {
		if (r.op != LDAP_REQ_SEARCH || r.scope != LDAP_SCOPE_SUBTREE ||
		    !r.paged || strcasecmp(r.base, BASE) != 0)
			return 4;
		for (i = 0; i < n; i++)
			if (rec_send(fd, r.id, &recs[i]) < 0)
				return 5;
		if (ldapwire_result(fd, r.id, LDAP_SUCCESS, "") < 0)
			return 6;
	}
	return got == 0 ? 0 : 3;
}

/* table_resync - splitsync resync -c conf against a fake server that
 * serves recs, the configuration pointed at it; its exit status */
static int
table_resync(const char *dir, const struct rec *recs, size_t n,
    char **out)
{
	char path[512], text[512];
	int lfd, cfd, rc, status;
	unsigned port;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	lfd = ldapwire_listen(&port);
	snprintf(path, sizeof path, "%s/splitsync.conf", dir);
	snprintf(text, sizeof text, "source = ldap\n"
	    "ldap_uri = ldap://127.0.0.1:%u\n"
	    "ldap_base = " BASE "\n"
	    "ldap_network_timeout = 3\n"
	    "ldap_timeout = 10\n"
	    "mapping = active-directory.xml\n"
	    "layout = gateway\n"
	    "repository = repo\n", port);
	ck_assert_int_eq(testlib_write(path, text), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(30);
		cfd = ldapwire_accept(lfd);
		_exit(cfd < 0 ? 1 : table_serve(cfd, recs, n));
	}
	close(lfd);
	rc = testlib_sh(out, "'%s' resync -c '%s'", testlib_bin(), path);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the server saw a wrong request (step %d): %s",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1, *out);
	return rc;
}

/* git_out - output of a git command on the scratch repository */
static char *
git_out(const char *dir, const char *args)
{
	char *out = NULL;

	ck_assert_msg(testlib_sh(&out, "git --git-dir='%s/repo' %s", dir,
	    args) == 0, "git %s: %s", args, out ? out : "");
	return out;
}

/* first_form - the head's route listing as 0.1.0 wrote it (free()) */
static char *
first_form(const char *dir)
{
	char *out = NULL, cwd[4096];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_msg(testlib_sh(&out, "cd '%s' && for f in domains owners "
	    "routes; do git --git-dir=repo show main:.splitsync/$f > $f.part "
	    "|| exit 1; done && awk -f '%s/" FIRST_FORM "' domains.part "
	    "owners.part routes.part | LC_ALL=C sort && rm -f *.part", dir,
	    cwd) == 0, "the listing: %s", out ? out : "");
	return out;
}

#define ADA "CN=Ada Print" PEOPLE
#define BEN "CN=Ben Binary" PEOPLE
#define CY "CN=Cy New" PEOPLE
#define HELPDESK_LOCAL "helpdesk@example.com smtp:[exchange.example.com]:25\n"

START_TEST(ad_guid_ids_one_encoding)
{
	/* Ada (on-premises, printable objectGUID) has helpdesk first;
	 * then Ben (Exchange Online, a smaller objectGUID) claims it too */
	struct rec recs[3] = {
		{ ADA, { { "objectClass", { "top", "user" } },
		    { "objectGUID", { PRINTABLE_GUID } },
		    { "msExchRecipientTypeDetails", { "1" } },
		    { "userAccountControl", { "512" } },
		    { "proxyAddresses", { "SMTP:ada@example.com",
		      "smtp:helpdesk@example.com" } } } },
		{ BEN, { { "objectClass", { "top", "user" } },
		    { "objectGUID", { BINARY_GUID } },
		    { "msExchRecipientTypeDetails", { "2147483648" } },
		    { "userAccountControl", { "512" } },
		    { "proxyAddresses", { "SMTP:ben@example.com" } } } },
		{ CY, { { "objectClass", { "top", "user" } },
		    { "objectGUID", { "\x01\x02\x03\x04\x05\x06\x07\x08"
		      "\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10" } },
		    { "msExchRecipientTypeDetails", { "1" } },
		    { "userAccountControl", { "512" } },
		    { "proxyAddresses", { "SMTP:cy@example.com" } } } },
	};
	char *dir = testlib_tmpdir(), *out = NULL, *listing, *head, *now;
	int rc;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(testlib_sh(&out, "cp '%s' '%s/'", PROFILE, dir), 0);
	free(out);
	rc = table_resync(dir, recs, 2, &out);
	ck_assert_msg(rc == 0, "first resync: %d: %s", rc, out);
	free(out);
	/* the printable objectGUID is written in hex like any other */
	listing = first_form(dir);
	ck_assert_msg(strstr(listing, "\t" PRINTABLE_HEX "\t" ADA "\n") !=
	    NULL, "%s", listing);
	ck_assert_msg(strstr(listing, "\t0ab637d8fcd2c6da6359e6963113a117\t"
	    BEN "\n") != NULL, "%s", listing);
	ck_assert_ptr_null(strstr(listing, PRINTABLE_GUID));
	free(listing);

	/* The same repository as an earlier version left it: the
	 * listing in its first form, the printable objectGUID as text. */
	listing = first_form(dir);
	ck_assert_int_ne(asprintf(&out, "%s/first.part", dir), -1);
	ck_assert_int_eq(testlib_write(out, listing), 0);
	free(out);
	free(listing);
	rc = testlib_sh(&out, "cd '%s' && git clone -q repo work && cd work && git rm -q .splitsync/domains "
	    ".splitsync/owners && sed 's/" PRINTABLE_HEX "/" PRINTABLE_GUID
	    "/' ../first.part > .splitsync/routes && git -c user.name=old -c "
	    "user.email=old@example.com commit -qam 'as written before' && "
	    "git push -q origin HEAD:main && grep -c '" PRINTABLE_GUID "' "
	    ".splitsync/routes", dir);
	ck_assert_msg(rc == 0 && atoi(out) == 2, "%s", out);
	free(out);
	head = git_out(dir, "rev-parse main");

	/* Ben claims helpdesk: Ada keeps it, no route changes, nothing
	 * to commit; the conflict names both. */
	recs[1].a[4].v[1] = "smtp:helpdesk@example.com";
	rc = table_resync(dir, recs, 2, &out);
	ck_assert_msg(rc == 0, "second resync: %d: %s", rc, out);
	ck_assert_msg(strstr(out, BEN ": address helpdesk@example.com is "
	    "already routed for " ADA) != NULL, "%s", out);
	free(out);
	now = git_out(dir, "rev-parse main");
	ck_assert_str_eq(head, now);
	free(now);

	/* A real change commits, the listing converges to hex, and
	 * helpdesk stays Ada's. */
	rc = table_resync(dir, recs, 3, &out);
	ck_assert_msg(rc == 0, "third resync: %d: %s", rc, out);
	free(out);
	now = git_out(dir, "rev-parse main");
	ck_assert_str_ne(head, now);
	free(now);
	listing = first_form(dir);
	ck_assert_msg(strstr(listing, "helpdesk@example.com\tinternal\t"
	    "smtp:[exchange.example.com]:25\t" PRINTABLE_HEX "\t" ADA "\n") !=
	    NULL, "%s", listing);
	ck_assert_ptr_null(strstr(listing, PRINTABLE_GUID));
	free(listing);
	out = git_out(dir, "show main:transport");
	ck_assert_msg(strstr(out, HELPDESK_LOCAL) != NULL, "%s", out);
	free(out);

	/* And from the converged listing, the same. */
	free(head);
	head = git_out(dir, "rev-parse main");
	rc = table_resync(dir, recs, 3, &out);
	ck_assert_msg(rc == 0 && strstr(out, "already routed for " ADA),
	    "fourth resync: %d: %s", rc, out);
	free(out);
	now = git_out(dir, "rev-parse main");
	ck_assert_str_eq(head, now);
	free(now);
	free(head);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* ad_suite - the fake server cases and the profile */
static Suite *
ad_suite(void)
{
	Suite *s = suite_create("ad");
	TCase *fake = tcase_create("fake");
	TCase *profile = tcase_create("profile");

	tcase_set_timeout(fake, 60);
	tcase_add_test(fake, ad_pages_and_ranges);
	tcase_add_test(fake, ad_entry_refuses_ranges);
	tcase_add_loop_test(fake, ad_bad_ranges, 0,
	    sizeof flaws / sizeof flaws[0]);
	tcase_add_test(fake, ad_views_pages_and_ranges);
	tcase_add_loop_test(fake, ad_views_bad_ranges, 0,
	    sizeof flaws / sizeof flaws[0]);
	tcase_add_test(fake, ad_views_unread_ranges);
	suite_add_tcase(s, fake);

	tcase_set_timeout(profile, 60);
	tcase_add_test(profile, ad_profile_renders);
	tcase_add_test(profile, ad_guid_ids_one_encoding);
	suite_add_tcase(s, profile);
	return s;
}

int
main(void)
{
	return testlib_main(ad_suite());
}
