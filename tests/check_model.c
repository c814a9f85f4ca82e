/*
 * check_model - the routing model: domains, mailboxes, conflicts
 *
 * Table-driven: each case lists the domain or mailbox specs added and
 * the final view expected, field by field, with the problems that must
 * be reported (how many, of which kind, with which DN as where).
 * Expected routes follow the semantics of include/model.h and the
 * "What must hold" section of the design notes: a hostile value never
 * reaches the view, an address has one owner, and the view does not
 * depend on the order specs were added in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "log.h"
#include "model.h"
#include "testlib.h"

#define R1 "smtp:[relay.example.com]:25"
#define L1 "lmtp:[core.example.com]:2400"
#define R2 "smtp:[old.split.test]:25"
#define N4 "lmtp:[core2.example.com]:2400"
#define N5 "smtp:[mx.partner.example]:25"

#define MAXADDR 8

static const char *const transports[] = { "smtp", "lmtp" };

struct dom_def {
	const char *name;
	const char *aliases[4];
	const char *relay;
	int fu;
	const char *local;
	const char *origin;
};

struct mb_def {
	const char *id;
	const char *dn;
	const char *addrs[MAXADDR];
	enum route_kind route;
	const char *nexthop;
	const char *ext;        /* "0110": per address 1 = external; NULL */
};

/* MB - a mailbox definition; the addresses come last */
#define MB(id, dn, route, nexthop, ext, ...) \
	{ id, dn, { __VA_ARGS__ }, route, nexthop, ext }

struct want {
	const char *address;
	enum route_kind route;
	const char *nexthop;
	const char *alias_of;
	const char *id;
};

/* The domains most cases run against. */
static const struct dom_def base_domains[] = {
	{ "example.com", { "example.net" }, R1, 0, L1, "mapping.xml:3" },
	{ "split.test", { NULL }, R2, 1, NULL, "mapping.xml:9" },
	{ "plain.example", { NULL }, NULL, 0, NULL, "mapping.xml:14" },
};
#define NBASE (sizeof base_domains / sizeof base_domains[0])

/* xstrdup - strdup that cannot fail silently */
static char *
xstrdup(const char *s)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* str_same - two strings equal, NULL only equal to NULL */
static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* show - printable form of a possibly NULL string */
static const char *
show(const char *s)
{
	return s ? s : "(null)";
}

/* addr_at - slot i of m (model_address_at into one of a few buffers,
 * so that two can be compared), or NULL out of range */
static const struct model_address *
addr_at(const struct model *m, size_t i)
{
	static struct model_address ring[4];
	static size_t next;
	struct model_address *a = &ring[next++ % 4];

	return model_address_at(m, i, a) == 0 ? a : NULL;
}

/* add_dom - build a spec from def, add it, release the spec */
static int
add_dom(struct model *m, const struct dom_def *def, struct diag *d)
{
	struct domain_spec s;
	size_t i, n = 0;
	int rc;

	memset(&s, 0, sizeof s);
	while (n < 4 && def->aliases[n])
		n++;
	s.name = xstrdup(def->name);
	if (n) {
		s.aliases = calloc(n, sizeof *s.aliases);
		ck_assert_ptr_nonnull(s.aliases);
		for (i = 0; i < n; i++)
			s.aliases[i] = xstrdup(def->aliases[i]);
		s.naliases = n;
	}
	s.relay = xstrdup(def->relay);
	s.forward_unknown = def->fu;
	s.local = xstrdup(def->local);
	s.origin = xstrdup(def->origin);
	rc = model_add_domain(m, &s, d);
	domain_spec_clear(&s);
	return rc;
}

/* add_mb - build a spec from def, add it, release the spec (so the
 * model must have copied what it keeps) */
static int
add_mb(struct model *m, const struct mb_def *def, struct diag *d)
{
	struct mailbox_spec s;
	size_t i, n = 0;
	int rc;

	memset(&s, 0, sizeof s);
	while (n < MAXADDR && def->addrs[n])
		n++;
	s.id = xstrdup(def->id);
	s.dn = xstrdup(def->dn);
	s.addresses = calloc(n ? n : 1, sizeof *s.addresses);
	ck_assert_ptr_nonnull(s.addresses);
	for (i = 0; i < n; i++)
		s.addresses[i] = xstrdup(def->addrs[i]);
	s.naddresses = n;
	s.route = def->route;
	s.nexthop = xstrdup(def->nexthop);
	if (def->ext) {
		ck_assert_uint_eq(strlen(def->ext), n);
		s.external = calloc(n, 1);
		ck_assert_ptr_nonnull(s.external);
		for (i = 0; i < n; i++)
			s.external[i] = def->ext[i] == '1';
	}
	rc = model_add_mailbox(m, &s, d);
	mailbox_spec_clear(&s);
	return rc;
}

/* new_model - an empty model with the test transports */
static struct model *
new_model(void)
{
	struct model *m = NULL;

	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* base_model - a model with the base domains, no report expected */
static struct model *
base_model(struct diag *d)
{
	struct model *m = new_model();
	size_t i;

	for (i = 0; i < NBASE; i++)
		ck_assert_int_eq(add_dom(m, &base_domains[i], d), 0);
	ck_assert_uint_eq(d->count, 0);
	return m;
}

/* check_view - the address view is exactly wants (in order) */
static void
check_view(const char *label, const struct model *m, const struct want *w,
    size_t n)
{
	size_t i;

	ck_assert_msg(model_address_count(m) == n,
	    "%s: %zu addresses, expected %zu", label, model_address_count(m),
	    n);
	for (i = 0; i < n; i++) {
		const struct model_address *a = addr_at(m, i);
		const char *at = strchr(w[i].address, '@');
		const struct model_domain *dm;

		ck_assert_ptr_nonnull(a);
		ck_assert_msg(str_same(a->address, w[i].address),
		    "%s: address %zu is %s, expected %s", label, i,
		    show(a->address), w[i].address);
		ck_assert_msg(a->route == w[i].route,
		    "%s: %s route %d, expected %d", label, a->address,
		    (int)a->route, (int)w[i].route);
		ck_assert_msg(str_same(a->nexthop, w[i].nexthop),
		    "%s: %s nexthop %s, expected %s", label, a->address,
		    show(a->nexthop), show(w[i].nexthop));
		ck_assert_msg(str_same(a->alias_of, w[i].alias_of),
		    "%s: %s alias_of %s, expected %s", label, a->address,
		    show(a->alias_of), show(w[i].alias_of));
		ck_assert_msg(str_same(a->id, w[i].id),
		    "%s: %s id %s, expected %s", label, a->address,
		    show(a->id), show(w[i].id));
		/* the managing domain is the primary name of the domain
		 * that manages the address's domain part */
		dm = model_domain_find(m, at + 1);
		ck_assert_ptr_nonnull(dm);
		ck_assert_msg(str_same(a->domain, dm->name),
		    "%s: %s domain %s, expected %s", label, a->address,
		    show(a->domain), dm->name);
	}
	ck_assert_ptr_null(addr_at(m, n));
}

/* find_item - index of the first item of kind with where and a text
 * holding both needles (NULL: any), or -1 */
static long
find_item(const struct diag *d, enum diag_kind kind, const char *where,
    const char *needle1, const char *needle2)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		const struct diag_item *it = &d->items[i];

		if (it->kind != kind)
			continue;
		if (where && strcmp(it->where, where) != 0)
			continue;
		if (needle1 && strstr(it->what, needle1) == NULL)
			continue;
		if (needle2 && strstr(it->what, needle2) == NULL)
			continue;
		return (long)i;
	}
	return -1;
}

/* escaped - s as diag stores it (control bytes as \xHH); free() */
static char *
escaped(const char *s)
{
	struct buf b = BUF_INIT;
	char *r;

	ck_assert_int_eq(log_escape(&b, s), 0);
	ck_assert_int_eq(buf_grow(&b, 0), 0);
	r = buf_steal(&b);
	ck_assert_ptr_nonnull(r);
	return r;
}

/*
 * Domains
 */

struct dcase {
	const char *label;
	struct dom_def def;
	int rc;                 /* of model_add_domain */
	size_t nreports;        /* items added to the diag */
	int managed;            /* def.name is managed afterwards */
	const char *relay;      /* expected view, when managed */
	int fu;
	const char *local;
};

#define ORIG "mapping.xml:40"

static const struct dcase dcases[] = {
	{ "plain", { "example.org", { NULL }, NULL, 0, NULL, ORIG },
	    0, 0, 1, NULL, 0, NULL },
	{ "full", { "example.org", { "example.info", "example.biz" },
	    "smtp:[relay.example.org]:25", 1, "lmtp:[core.example.org]:2400",
	    ORIG }, 0, 0, 1, "smtp:[relay.example.org]:25", 1,
	    "lmtp:[core.example.org]:2400" },
	{ "relay host name", { "example.org", { NULL },
	    "smtp:relay.example.org", 1, NULL, ORIG }, 0, 0, 1,
	    "smtp:relay.example.org", 1, NULL },
	{ "uppercase name", { "Example.org", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "star name", { "*", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "dot name", { ".example.org", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "at name", { "@example.org", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "one label", { "example", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "space in name", { "exa mple.org", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "newline in name", { "example.org\nevil.example", { NULL }, NULL, 0,
	    NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "empty name", { "", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "duplicate name", { "example.com", { NULL }, NULL, 0, NULL, ORIG },
	    ERR_DATA, 1, 1, R1, 0, L1 },
	{ "name is an existing alias", { "example.net", { NULL }, NULL, 0,
	    NULL, ORIG }, ERR_DATA, 1, 1, R1, 0, L1 },
	{ "alias is an existing name", { "example.org", { "example.com" },
	    NULL, 0, NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "alias is an existing alias", { "example.org", { "example.net" },
	    NULL, 0, NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "alias is the name", { "example.org", { "example.org" },
	    NULL, 0, NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "alias twice", { "example.org", { "example.info", "example.info" },
	    NULL, 0, NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "invalid alias", { "example.org", { "bad_alias.example" },
	    NULL, 0, NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "wildcard alias", { "example.org", { "*.example.org" },
	    NULL, 0, NULL, ORIG }, ERR_DATA, 1, 0, NULL, 0, NULL },
	{ "bad relay host", { "example.org", { NULL }, "smtp:relay", 0,
	    NULL, ORIG }, 0, 1, 1, NULL, 0, NULL },
	{ "relay without transport", { "example.org", { NULL },
	    "relay.example.org", 0, NULL, ORIG }, 0, 1, 1, NULL, 0, NULL },
	{ "relay transport not allowed", { "example.org", { NULL },
	    "esmtp:[relay.example.org]:25", 0, NULL, ORIG }, 0, 1, 1, NULL,
	    0, NULL },
	{ "relay with a second line", { "example.org", { NULL },
	    "smtp:[relay.example.org]\nx@example.org smtp:[evil.example]", 0,
	    NULL, ORIG }, 0, 1, 1, NULL, 0, NULL },
	{ "relay list", { "example.org", { NULL },
	    "smtp:[a.example.org], smtp:[b.example.org]", 0, NULL, ORIG },
	    0, 1, 1, NULL, 0, NULL },
	{ "forward unknown without relay", { "example.org", { NULL }, NULL, 1,
	    NULL, ORIG }, 0, 1, 1, NULL, 0, NULL },
	{ "forward unknown with a bad relay", { "example.org", { NULL },
	    "local:relay.example.org", 1, NULL, ORIG }, 0, 2, 1, NULL, 0,
	    NULL },
	{ "local transport not allowed", { "example.org", { NULL }, NULL, 0,
	    "virtual:core.example.org", ORIG }, ERR_DATA, 1, 0, NULL, 0,
	    NULL },
	{ "local hostile", { "example.org", { NULL }, NULL, 0,
	    "lmtp:[core.example.org]:2400 #x", ORIG }, ERR_DATA, 1, 0, NULL,
	    0, NULL },
};

START_TEST(test_domain)
{
	const struct dcase *t = &dcases[_i];
	static const struct dom_def first = {
		"example.com", { "example.net" }, R1, 0, L1, "mapping.xml:3"
	};
	const struct model_domain *dm;
	struct diag d;
	struct model *m = new_model();
	size_t i, n = 0;
	int rc;

	diag_init(&d, NULL);
	ck_assert_int_eq(add_dom(m, &first, &d), 0);
	rc = add_dom(m, &t->def, &d);
	ck_assert_msg(rc == t->rc, "%s: rc %d, expected %d", t->label, rc,
	    t->rc);
	ck_assert_msg(d.count == t->nreports, "%s: %zu reports, expected %zu",
	    t->label, d.count, t->nreports);
	for (i = 0; i < d.count; i++) {
		/* every report names where the domain came from */
		ck_assert_str_eq(d.items[i].where, ORIG);
		ck_assert_int_ne(d.items[i].level, DIAG_NOTICE);
	}
	if (t->rc < 0)
		ck_assert_uint_ge(d.nerrors + d.nwarnings, 1);
	/* the views are built by model_finish */
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(d.count, t->nreports);
	/* the domain added first is untouched */
	dm = model_domain_find(m, "example.com");
	ck_assert_ptr_nonnull(dm);
	ck_assert_str_eq(dm->name, "example.com");
	ck_assert_str_eq(dm->relay, R1);
	ck_assert_ptr_nonnull(model_domain_find(m, "example.net"));
	ck_assert_str_eq(model_domain_find(m, "example.net")->name,
	    "example.com");

	dm = model_domain_find(m, t->def.name);
	if (!t->managed) {
		ck_assert_msg(dm == NULL, "%s: %s is managed", t->label,
		    t->def.name);
		ck_assert_uint_eq(model_domain_count(m), 1);
		/* a refused spec leaves none of its aliases behind */
		for (i = 0; i < 4 && t->def.aliases[i]; i++)
			if (strcmp(t->def.aliases[i], "example.com") &&
			    strcmp(t->def.aliases[i], "example.net"))
				ck_assert_msg(model_domain_find(m,
				    t->def.aliases[i]) == NULL,
				    "%s: alias %s is managed", t->label,
				    t->def.aliases[i]);
		goto out;
	}
	ck_assert_ptr_nonnull(dm);
	if (t->rc < 0) {
		/* a duplicate: the view is the first domain's */
		ck_assert_str_eq(dm->name, "example.com");
		ck_assert_uint_eq(model_domain_count(m), 1);
		goto out;
	}
	ck_assert_uint_eq(model_domain_count(m), 2);
	ck_assert_str_eq(dm->name, t->def.name);
	ck_assert_msg(str_same(dm->relay, t->relay), "%s: relay %s", t->label,
	    show(dm->relay));
	ck_assert_int_eq(dm->forward_unknown, t->fu);
	ck_assert_msg(str_same(dm->local, t->local), "%s: local %s", t->label,
	    show(dm->local));
	ck_assert_str_eq(dm->origin, ORIG);
	while (n < 4 && t->def.aliases[n])
		n++;
	ck_assert_uint_eq(dm->naliases, n);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(model_domain_find(m, t->def.aliases[i]), dm);
		/* sorted */
		if (i)
			ck_assert_str_lt(dm->aliases[i - 1], dm->aliases[i]);
	}
out:
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_domain_after_mailbox)
{
	static const struct mb_def mb = {
		"u1", "uid=a,dc=example,dc=com", { "a@example.com" },
		ROUTE_INTERNAL, NULL, NULL
	};
	static const struct dom_def late = {
		"example.org", { NULL }, NULL, 0, NULL, ORIG
	};
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = base_model(&d);
	ck_assert_int_eq(add_mb(m, &mb, &d), 0);
	/* entries come in any order: a domain may follow a mailbox */
	ck_assert_int_eq(add_dom(m, &late, &d), 0);
	ck_assert_ptr_nonnull(model_domain_find(m, "example.org"));
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_int_eq(add_dom(m, &late, &d), ERR_INVAL);
	/* a second finish and a late mailbox are refused */
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), ERR_INVAL);
	ck_assert_int_eq(add_mb(m, &mb, &d), ERR_INVAL);
	ck_assert_uint_eq(model_address_count(m), 1);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_domain_after_dropped_mailbox)
{
	/* "Must precede every mailbox": a mailbox that was dropped (no
	 * usable address) or had route none still came first */
	static const struct mb_def dropped = {
		"u1", "uid=a,dc=example,dc=com", { "a@elsewhere.example" },
		ROUTE_INTERNAL, NULL, NULL
	};
	static const struct dom_def a = {
		"b.example", { NULL }, NULL, 0, NULL, ORIG
	};
	static const struct dom_def late = {
		"a.example", { "b.example" }, NULL, 0, NULL, ORIG
	};
	struct diag d;
	struct model *m = new_model();
	int rc;

	diag_init(&d, NULL);
	ck_assert_int_eq(add_dom(m, &a, &d), 0);
	ck_assert_int_eq(add_mb(m, &dropped, &d), 0);
	rc = add_dom(m, &late, &d);
	ck_assert_msg(rc == ERR_INVAL || rc == ERR_DATA,
	    "domain after a mailbox accepted (rc %d)", rc);
	/* whatever the reason, b.example still has a single owner */
	ck_assert_ptr_nonnull(model_domain_find(m, "b.example"));
	ck_assert_str_eq(model_domain_find(m, "b.example")->name, "b.example");
	ck_assert_uint_eq(model_domain_count(m), 1);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_domain_view_before_finish)
{
	/* an accessor called before model_finish must not hand out a
	 * view that is not built yet: NULL, or the right one */
	static const struct dom_def def = {
		"example.com", { "example.net" }, R1, 0, L1, ORIG
	};
	const struct model_domain *dm;
	struct diag d;
	struct model *m = new_model();

	diag_init(&d, NULL);
	ck_assert_int_eq(add_dom(m, &def, &d), 0);
	dm = model_domain_find(m, "example.net");
	if (dm != NULL) {
		ck_assert_ptr_nonnull(dm->name);
		ck_assert_str_eq(dm->name, "example.com");
		ck_assert_str_eq(dm->relay, R1);
	}
	dm = model_domain_at(m, 0);
	if (dm != NULL) {
		ck_assert_ptr_nonnull(dm->name);
		ck_assert_str_eq(dm->name, "example.com");
	}
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_domain_null_name)
{
	struct domain_spec s;
	struct diag d;
	struct model *m = new_model();

	diag_init(&d, NULL);
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(model_add_domain(m, &s, &d), ERR_INVAL);
	ck_assert_uint_eq(model_domain_count(m), 0);
	/* the model still works */
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(model_address_count(m), 0);
	ck_assert_uint_eq(model_mailbox_count(m), 0);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* Domain views: sorted by name and the same whatever the order the
 * specs came in (include/model.h: "sorted, stable views"). */
START_TEST(test_domain_order)
{
	static const struct dom_def defs[] = {
		{ "split.test", { NULL }, R2, 1, NULL, "b" },
		{ "example.com", { "example.org", "example.net" }, R1, 0, L1,
		    "a" },
		{ "plain.example", { NULL }, NULL, 0, NULL, "c" },
	};
	static const size_t orders[][3] = {
		{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 0, 2 }, { 2, 0, 1 },
	};
	size_t o, i;

	for (o = 0; o < sizeof orders / sizeof orders[0]; o++) {
		struct diag d;
		struct model *m = new_model();

		diag_init(&d, NULL);
		for (i = 0; i < 3; i++)
			ck_assert_int_eq(add_dom(m, &defs[orders[o][i]], &d),
			    0);
		ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
		ck_assert_uint_eq(model_domain_count(m), 3);
		ck_assert_msg(strcmp(model_domain_at(m, 0)->name,
		    "example.com") == 0 && strcmp(model_domain_at(m, 1)->name,
		    "plain.example") == 0 && strcmp(model_domain_at(m, 2)->name,
		    "split.test") == 0,
		    "order %zu: domains not sorted: %s %s %s", o,
		    model_domain_at(m, 0)->name, model_domain_at(m, 1)->name,
		    model_domain_at(m, 2)->name);
		ck_assert_ptr_null(model_domain_at(m, 3));
		model_free(m);
		diag_free(&d);
	}
}
END_TEST

/*
 * Mailboxes: routes, nexthops, aliases, conflicts
 */

struct owner_def {
	const char *address;
	const char *id;
};

struct conflict_def {
	const char *address;
	const char *loser_dn;
	const char *winner_dn;
};

struct mcase {
	const char *label;
	struct mb_def mb[4];            /* id NULL ends */
	struct owner_def owners[4];     /* address NULL ends */
	struct want want[10];           /* address NULL ends */
	size_t nrejected;
	struct conflict_def conflicts[3]; /* address NULL ends */
	size_t nmailboxes;              /* model_mailbox_count */
};

#define DA "uid=a,dc=example,dc=com"
#define DB "uid=b,dc=example,dc=com"
#define DC "uid=c,dc=example,dc=com"
#define INT ROUTE_INTERNAL
#define EXT ROUTE_EXTERNAL

static const struct mcase mcases[] = {
	{ "internal with alias",
	    { MB("ida", DA, INT, NULL, NULL, "a@example.com",
	        "a.b@example.com") },
	    { { NULL } },
	    { { "a.b@example.com", INT, L1, "a@example.com", "ida" },
	      { "a@example.com", INT, L1, NULL, "ida" } }, 0, { { NULL } }, 1 },
	{ "external, alias in alias domain",
	    { MB("ida", DA, EXT, NULL, NULL, "a@example.com",
	        "a@example.net") },
	    { { NULL } },
	    { { "a@example.com", EXT, R1, NULL, "ida" },
	      { "a@example.net", EXT, R1, "a@example.com", "ida" } },
	    0, { { NULL } }, 1 },
	{ "default address in alias domain",
	    { MB("ida", DA, INT, NULL, NULL, "a@example.net",
	        "a@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, L1, "a@example.net", "ida" },
	      { "a@example.net", INT, L1, NULL, "ida" } }, 0, { { NULL } }, 1 },
	{ "route none contributes nothing",
	    { MB("ida", DA, ROUTE_NONE, N4, "10", "a@example.com",
	        "b@example.com") },
	    { { NULL } }, { { NULL } }, 0, { { NULL } }, 0 },
	{ "route none does not conflict",
	    { MB("ida", DA, ROUTE_NONE, NULL, NULL, "a@example.com"),
	      MB("idb", DB, INT, NULL, NULL, "a@example.com") },
	    { { "a@example.com", "ida" } },
	    { { "a@example.com", INT, L1, NULL, "idb" } }, 0, { { NULL } }, 1 },
	{ "internal override",
	    { MB("ida", DA, INT, N4, NULL, "a@example.com", "b@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, N4, NULL, "ida" },
	      { "b@example.com", INT, N4, "a@example.com", "ida" } },
	    0, { { NULL } }, 1 },
	{ "external override",
	    { MB("ida", DA, EXT, N5, NULL, "a@example.com") },
	    { { NULL } },
	    { { "a@example.com", EXT, N5, NULL, "ida" } }, 0, { { NULL } }, 1 },
	{ "internal override, partly external",
	    { MB("ida", DA, INT, N4, "01", "a@example.com", "b@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, N4, NULL, "ida" },
	      { "b@example.com", EXT, R1, NULL, "ida" } }, 0, { { NULL } }, 1 },
	{ "external override, partly external",
	    { MB("ida", DA, EXT, N5, "101", "a@example.com", "b@example.com",
	        "c@example.com") },
	    { { NULL } },
	    { { "a@example.com", EXT, N5, NULL, "ida" },
	      { "b@example.com", INT, L1, NULL, "ida" },
	      { "c@example.com", EXT, N5, "a@example.com", "ida" } },
	    0, { { NULL } }, 1 },
	{ "internal mailbox, every address external",
	    { MB("ida", DA, INT, NULL, "11", "a@example.com",
	        "b@example.com") },
	    { { NULL } },
	    { { "a@example.com", EXT, R1, NULL, "ida" },
	      { "b@example.com", EXT, R1, "a@example.com", "ida" } },
	    0, { { NULL } }, 1 },
	{ "partly external, default external",
	    { MB("ida", DA, INT, NULL, "100", "a@example.com", "b@example.com",
	        "c@example.com") },
	    { { NULL } },
	    { { "a@example.com", EXT, R1, NULL, "ida" },
	      { "b@example.com", INT, L1, NULL, "ida" },
	      { "c@example.com", INT, L1, NULL, "ida" } }, 0, { { NULL } }, 1 },
	{ "flags stay with their address past a refused one",
	    { MB("ida", DA, INT, NULL, "0110", "a@example.com", "A@example.com",
	        "c@example.com",
	        "d@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, L1, NULL, "ida" },
	      { "c@example.com", EXT, R1, NULL, "ida" },
	      { "d@example.com", INT, L1, "a@example.com", "ida" } },
	    1, { { NULL } }, 1 },
	{ "external without relay falls back to internal",
	    { MB("ida", DA, EXT, NULL, NULL, "a@plain.example",
	        "b@plain.example") },
	    { { NULL } },
	    { { "a@plain.example", INT, NULL, NULL, "ida" },
	      { "b@plain.example", INT, NULL, "a@plain.example", "ida" } },
	    2, { { NULL } }, 1 },
	{ "external with its own nexthop, domain without relay",
	    { MB("ida", DA, EXT, N5, NULL, "a@plain.example") },
	    { { NULL } },
	    { { "a@plain.example", EXT, N5, NULL, "ida" } }, 0, { { NULL } },
	    1 },
	{ "forward unknown domain",
	    { MB("ida", DA, INT, NULL, "01", "a@split.test", "b@split.test"),
	      MB("idb", DB, EXT, NULL, NULL, "x@split.test") },
	    { { NULL } },
	    { { "a@split.test", INT, NULL, NULL, "ida" },
	      { "b@split.test", EXT, R2, NULL, "ida" },
	      { "x@split.test", EXT, R2, NULL, "idb" } }, 0, { { NULL } }, 2 },
	{ "two domains, different nexthops: no alias",
	    { MB("ida", DA, INT, NULL, NULL, "a@example.com",
	        "a@plain.example") },
	    { { NULL } },
	    { { "a@example.com", INT, L1, NULL, "ida" },
	      { "a@plain.example", INT, NULL, NULL, "ida" } },
	    0, { { NULL } }, 1 },
	{ "two domains, one override: alias",
	    { MB("ida", DA, INT, N4, NULL, "a@plain.example",
	        "a@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, N4, "a@plain.example", "ida" },
	      { "a@plain.example", INT, N4, NULL, "ida" } },
	    0, { { NULL } }, 1 },
	{ "external relay domains differ: no alias",
	    { MB("ida", DA, EXT, NULL, NULL, "a@example.com", "a@split.test") },
	    { { NULL } },
	    { { "a@example.com", EXT, R1, NULL, "ida" },
	      { "a@split.test", EXT, R2, NULL, "ida" } }, 0, { { NULL } }, 1 },
	{ "bad mailbox nexthop ignored",
	    { MB("ida", DA, INT,
	        "lmtp:[core.example.com]:2400\nb@example.com smtp:evil.example",
	        NULL, "a@example.com"),
	      MB("idb", DB, EXT, "virtual:x.example.com", NULL,
	          "b@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, L1, NULL, "ida" },
	      { "b@example.com", EXT, R1, NULL, "idb" } }, 2, { { NULL } }, 2 },
	{ "no usable address: dropped",
	    { MB("ida", DA, INT, NULL, NULL, "a@elsewhere.example",
	        "Bad@example.com"),
	      MB("idb", DB, INT, NULL, NULL, "b@example.com") },
	    { { NULL } },
	    { { "b@example.com", INT, L1, NULL, "idb" } }, 3, { { NULL } }, 1 },
	{ "no address at all: dropped",
	    { MB("ida", DA, INT, NULL, NULL, NULL) },
	    { { NULL } }, { { NULL } }, 1, { { NULL } }, 0 },
	/* conflicts */
	{ "smallest id wins",
	    { MB("idb", DB, EXT, NULL, NULL, "x@example.com"),
	      MB("ida", DA, INT, NULL, NULL, "x@example.com") },
	    { { NULL } },
	    { { "x@example.com", INT, L1, NULL, "ida" } }, 0,
	    { { "x@example.com", DB, DA } }, 1 },
	{ "previous owner wins with a larger id",
	    { MB("ida", DA, INT, NULL, NULL, "x@example.com"),
	      MB("idb", DB, EXT, NULL, NULL, "x@example.com") },
	    { { "x@example.com", "idb" } },
	    { { "x@example.com", EXT, R1, NULL, "idb" } }, 0,
	    { { "x@example.com", DA, DB } }, 1 },
	{ "previous owner gone: smallest id wins",
	    { MB("idc", DC, EXT, NULL, NULL, "x@example.com"),
	      MB("idb", DB, INT, NULL, NULL, "x@example.com") },
	    { { "x@example.com", "ida" } },
	    { { "x@example.com", INT, L1, NULL, "idb" } }, 0,
	    { { "x@example.com", DC, DB } }, 1 },
	/* a listing written when ids had two encodings: a binary id whose
	 * bytes were printable was kept as text, a text id that was not
	 * printable ASCII was written in hex */
	{ "previous owner listed by the text of its binary id",
	    { MB("5052494e54", DB, EXT, NULL, NULL, "x@example.com"),
	      MB("0a", DA, INT, NULL, NULL, "x@example.com") },
	    { { "x@example.com", "PRINT" } },
	    { { "x@example.com", EXT, R1, NULL, "5052494e54" } }, 0,
	    { { "x@example.com", DA, DB } }, 1 },
	{ "previous owner listed in hex, its id text now",
	    { MB("a b", DB, EXT, NULL, NULL, "x@example.com"),
	      MB("0", DA, INT, NULL, NULL, "x@example.com") },
	    { { "x@example.com", "612062" } },
	    { { "x@example.com", EXT, R1, NULL, "a b" } }, 0,
	    { { "x@example.com", DA, DB } }, 1 },
	{ "an exact id beats one in the other encoding",
	    { MB("41", DB, EXT, NULL, NULL, "x@example.com"),
	      MB("3431", DA, INT, NULL, NULL, "x@example.com") },
	    { { "x@example.com", "41" } },
	    { { "x@example.com", EXT, R1, NULL, "41" } }, 0,
	    { { "x@example.com", DA, DB } }, 1 },
	{ "three claimants",
	    { MB("idc", DC, INT, NULL, NULL, "x@example.com"),
	      MB("ida", DA, EXT, NULL, NULL, "x@example.com"),
	      MB("idb", DB, INT, N4, NULL, "x@example.com") },
	    { { NULL } },
	    { { "x@example.com", EXT, R1, NULL, "ida" } }, 0,
	    { { "x@example.com", DB, DA }, { "x@example.com", DC, DA } }, 1 },
	{ "three claimants, previous owner in the middle",
	    { MB("idc", DC, INT, NULL, NULL, "x@example.com"),
	      MB("ida", DA, EXT, NULL, NULL, "x@example.com"),
	      MB("idb", DB, INT, N4, NULL, "x@example.com") },
	    { { "x@example.com", "idb" } },
	    { { "x@example.com", INT, N4, NULL, "idb" } }, 0,
	    { { "x@example.com", DA, DB }, { "x@example.com", DC, DB } }, 1 },
	{ "loser keeps its other addresses, next default",
	    { MB("idb", DB, INT, NULL, NULL, "x@example.com", "b@example.com",
	        "b2@example.com"),
	      MB("ida", DA, INT, NULL, NULL, "a@example.com",
	          "x@example.com") },
	    { { NULL } },
	    { { "a@example.com", INT, L1, NULL, "ida" },
	      { "b2@example.com", INT, L1, "b@example.com", "idb" },
	      { "b@example.com", INT, L1, NULL, "idb" },
	      { "x@example.com", INT, L1, "a@example.com", "ida" } }, 0,
	    { { "x@example.com", DB, DA } }, 2 },
	{ "loser of its default, partly external",
	    { MB("ida", DA, INT, NULL, "001", "x@example.com", "a@example.com",
	        "a2@example.com"),
	      MB("id0", DB, EXT, NULL, NULL, "x@example.com") },
	    { { NULL } },
	    { { "a2@example.com", EXT, R1, NULL, "ida" },
	      { "a@example.com", INT, L1, NULL, "ida" },
	      { "x@example.com", EXT, R1, NULL, "id0" } }, 0,
	    { { "x@example.com", DA, DB } }, 2 },
	{ "loser of every address is not counted",
	    { MB("idb", DB, INT, NULL, NULL, "x@example.com", "y@example.com"),
	      MB("ida", DA, EXT, NULL, NULL, "y@example.com",
	          "x@example.com") },
	    { { NULL } },
	    { { "x@example.com", EXT, R1, "y@example.com", "ida" },
	      { "y@example.com", EXT, R1, NULL, "ida" } }, 0,
	    { { "x@example.com", DB, DA }, { "y@example.com", DB, DA } }, 1 },
	{ "owner per address",
	    { MB("idb", DB, INT, NULL, NULL, "x@example.com", "y@example.com"),
	      MB("ida", DA, EXT, NULL, NULL, "y@example.com",
	          "x@example.com") },
	    { { "x@example.com", "idb" }, { "y@example.com", "idb" } },
	    { { "x@example.com", INT, L1, NULL, "idb" },
	      { "y@example.com", INT, L1, "x@example.com", "idb" } }, 0,
	    { { "x@example.com", DA, DB }, { "y@example.com", DA, DB } }, 1 },
	{ "id equal to the DN",
	    { MB(DB, DB, INT, NULL, NULL, "x@example.com"),
	      MB(DA, DA, EXT, NULL, NULL, "x@example.com") },
	    { { NULL } },
	    { { "x@example.com", EXT, R1, NULL, DA } }, 0,
	    { { "x@example.com", DB, DA } }, 1 },
};

/* owner_lookup - model_owner_fn over a case's owner table */
static const char *
owner_lookup(const char *address, void *ctx)
{
	const struct owner_def *o = ctx;

	for (; o->address; o++)
		if (strcmp(o->address, address) == 0)
			return o->id;
	return NULL;
}

/* run_mcase - add a case's mailboxes in the given order and finish */
static struct model *
run_mcase(const struct mcase *t, const size_t *order, struct diag *d)
{
	struct model *m = base_model(d);
	size_t i, n = 0;

	while (n < 4 && t->mb[n].id)
		n++;
	for (i = 0; i < n; i++)
		ck_assert_int_eq(add_mb(m, &t->mb[order ? order[i] : i], d), 0);
	ck_assert_int_eq(model_finish(m, t->owners[0].address ? owner_lookup :
	    NULL, (void *)t->owners, d), 0);
	return m;
}

START_TEST(test_mailbox)
{
	const struct mcase *t = &mcases[_i];
	static const size_t reverse[][4] = {
		{ 0 }, { 1, 0 }, { 2, 1, 0 }, { 3, 2, 1, 0 }
	};
	size_t nw = 0, nc = 0, nmb = 0, pass, i, j;

	while (nw < 10 && t->want[nw].address)
		nw++;
	while (nc < 3 && t->conflicts[nc].address)
		nc++;
	while (nmb < 4 && t->mb[nmb].id)
		nmb++;
	/* as listed, then in reverse: same result */
	for (pass = 0; pass < 2; pass++) {
		struct diag d;
		struct model *m;

		diag_init(&d, NULL);
		m = run_mcase(t, pass && nmb ? reverse[nmb - 1] : NULL, &d);
		check_view(t->label, m, t->want, nw);
		ck_assert_msg(model_mailbox_count(m) == t->nmailboxes,
		    "%s: %zu mailboxes, expected %zu", t->label,
		    model_mailbox_count(m), t->nmailboxes);
		ck_assert_msg(d.nrejected == t->nrejected,
		    "%s: %zu rejected, expected %zu", t->label, d.nrejected,
		    t->nrejected);
		ck_assert_msg(d.nconflicts == nc,
		    "%s: %zu conflicts, expected %zu", t->label, d.nconflicts,
		    nc);
		ck_assert_uint_eq(d.count, t->nrejected + nc);
		for (i = 0; i < d.count; i++) {
			/* every report names one of the case's entries */
			for (j = 0; j < nmb; j++)
				if (strcmp(d.items[i].where, t->mb[j].dn) == 0)
					break;
			ck_assert_msg(j < nmb, "%s: report \"%s: %s\" names "
			    "no entry", t->label, d.items[i].where,
			    d.items[i].what);
		}
		for (i = 0; i < nc; i++) {
			const struct conflict_def *c = &t->conflicts[i];

			ck_assert_msg(find_item(&d, DIAG_CONFLICT, c->loser_dn,
			    c->address, c->winner_dn) >= 0,
			    "%s: no conflict for %s naming %s and %s", t->label,
			    c->address, c->loser_dn, c->winner_dn);
		}
		model_free(m);
		diag_free(&d);
	}
}
END_TEST

/*
 * Hostile addresses: each one is refused, reported with the DN, and
 * the good addresses of the same mailbox are kept.
 */

static const char *const hostile[] = {
	"a\nb@example.com",
	"a@example.com\n",
	"a@example.com\r\nrcpt@example.com",
	"a@example.com\rx",
	"a b@example.com",
	" a@example.com",
	"a@example.com smtp:[evil.example]",
	"a\tb@example.com",
	"a#b@example.com",
	"a@example.com#x",
	"#a@example.com",
	"a\001b@example.com",
	"a\033[1m@example.com",
	"a\177@example.com",
	"\xff\xfe@example.com",
	"a\xc3@example.com",
	"j\xc3\xb6hn@example.com",
	"a@ex\xe4mple.com",
	"Alice@example.com",
	"alice@Example.com",
	"ALICE@EXAMPLE.COM",
	"@example.com",
	"@example.net",
	"@split.test",
	"example.com",
	"example.net",
	".example.com",
	"*",
	"@",
	"",
	"a@",
	"a@*",
	"a@.example.com",
	"a@example.com.",
	"a@b@example.com",
	"\"a b\"@example.com",
	"\"a\"@example.com",
	"a,b@example.com",
	"a@example.com,b@example.com",
	"a:b@example.com",
	"a@[192.0.2.1]",
	"a@sub.example.com",
	"a@other.example",
	"a@example.comx",
	"a@com",
	"a@example",
	"a.@example.com",
	"a..b@example.com",
	"a(b)@example.com",
	"a<b>@example.com",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

START_TEST(test_hostile_address)
{
	static const char *dn = "uid=h,ou=people,dc=example,dc=com";
	static const struct want want[] = {
		{ "good2@example.com", INT, L1, "good@example.com", "idh" },
		{ "good@example.com", INT, L1, NULL, "idh" },
	};
	const char *bad = hostile[_i];
	struct mb_def def = MB("idh", NULL, INT, NULL, NULL, NULL);
	size_t pos;
	char *esc = escaped(bad), label[64];

	def.dn = dn;
	/* in the middle, then as the default address */
	for (pos = 0; pos < 2; pos++) {
		struct diag d;
		struct model *m;

		def.addrs[pos ? 0 : 1] = bad;
		def.addrs[pos ? 1 : 0] = "good@example.com";
		def.addrs[2] = "good2@example.com";
		diag_init(&d, NULL);
		m = base_model(&d);
		ck_assert_int_eq(add_mb(m, &def, &d), 0);
		ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
		snprintf(label, sizeof label, "hostile %zu", (size_t)_i);
		check_view(label, m, want, 2);
		ck_assert_uint_eq(model_mailbox_count(m), 1);
		ck_assert_msg(d.count == 1 && d.nrejected == 1,
		    "\"%s\": %zu reports, %zu rejected", esc, d.count,
		    d.nrejected);
		ck_assert_int_eq(d.items[0].kind, DIAG_REJECTED);
		ck_assert_str_eq(d.items[0].where, dn);
		ck_assert_msg(strstr(d.items[0].what, esc) != NULL,
		    "report \"%s\" does not name \"%s\"", d.items[0].what, esc);
		model_free(m);
		diag_free(&d);
	}
	free(esc);
}
END_TEST

START_TEST(test_hostile_only)
{
	/* a mailbox made of nothing but bad values adds nothing */
	static const char *dn = "uid=evil,dc=example,dc=com";
	struct mb_def def = MB("ide", NULL, EXT,
	    "smtp:[evil.example]:25\n@example.com smtp:[evil.example]", NULL,
	    NULL);
	struct diag d;
	struct model *m;
	size_t i;

	def.dn = dn;
	for (i = 0; i + 1 < MAXADDR && i < NHOSTILE; i++)
		def.addrs[i] = hostile[i];
	diag_init(&d, NULL);
	m = base_model(&d);
	ck_assert_int_eq(add_mb(m, &def, &d), 0);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(model_address_count(m), 0);
	ck_assert_uint_eq(model_mailbox_count(m), 0);
	/* the nexthop, each address, and the mailbox itself */
	ck_assert_uint_ge(d.nrejected, i + 1);
	for (i = 0; i < d.count; i++)
		ck_assert_str_eq(d.items[i].where, dn);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_same_address_twice)
{
	/* one entry listing an address twice is not a conflict with
	 * itself; the first listing decides the route */
	static const struct mb_def def = {
		"ida", DA,
		{ "a@example.com", "b@example.com", "a@example.com" },
		INT, NULL, "010"
	};
	static const struct want want[] = {
		{ "a@example.com", INT, L1, NULL, "ida" },
		{ "b@example.com", EXT, R1, NULL, "ida" },
	};
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = base_model(&d);
	ck_assert_int_eq(add_mb(m, &def, &d), 0);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	check_view("same address twice", m, want, 2);
	ck_assert_msg(d.nconflicts == 0, "conflict with itself reported: %s",
	    d.count ? d.items[0].what : "");
	model_free(m);
	diag_free(&d);
}
END_TEST

/* routed - whether address is in the model's view */
static int
routed(const struct model *m, const char *address)
{
	size_t i;

	for (i = 0; i < model_address_count(m); i++)
		if (strcmp(addr_at(m, i)->address, address) == 0)
			return 1;
	return 0;
}

/* big_spec - a mailbox with n addresses a0@example.com.. (a0 first) */
static void
big_spec(struct mailbox_spec *s, const char *dn, size_t n)
{
	char addr[64];
	size_t i;

	memset(s, 0, sizeof *s);
	s->id = xstrdup(dn);
	s->dn = xstrdup(dn);
	s->route = INT;
	s->addresses = calloc(n, sizeof *s->addresses);
	ck_assert_ptr_nonnull(s->addresses);
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof addr, "a%zu@example.com", i);
		s->addresses[i] = xstrdup(addr);
	}
	s->naddresses = n;
}

START_TEST(test_address_cap)
{
	/* 50 000 addresses on one entry: the first 1000 route, the rest
	 * are refused in one report that counts them all */
	static const char *dn = "uid=many,dc=example,dc=com";
	struct mailbox_spec s;
	struct diag d;
	struct model *m;
	long at;

	diag_init(&d, NULL);
	m = base_model(&d);
	model_set_max_addresses(m, 1000);
	big_spec(&s, dn, 50000);
	ck_assert_int_eq(model_add_mailbox(m, &s, &d), 0);
	mailbox_spec_clear(&s);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(model_address_count(m), 1000);
	ck_assert_uint_eq(model_mailbox_count(m), 1);
	ck_assert_uint_eq(d.count, 1);
	ck_assert_uint_eq(d.nrejected, 49000);
	at = find_item(&d, DIAG_REJECTED, dn, "49000 of its 50000 addresses "
	    "refused (from \"a1000@example.com\" on)",
	    "max_addresses_per_entry = 1000");
	ck_assert_msg(at == 0, "%s", d.count ? d.items[0].what : "");
	ck_assert_uint_eq(d.items[0].count, 49000);
	/* the default address and the last one kept still route */
	ck_assert_str_eq(addr_at(m, 0)->address, "a0@example.com");
	ck_assert_int_eq(routed(m, "a999@example.com"), 1);
	ck_assert_int_eq(routed(m, "a1000@example.com"), 0);
	model_free(m);
	diag_free(&d);

	/* no limit: everything routes, nothing is reported */
	diag_init(&d, NULL);
	m = base_model(&d);
	model_set_max_addresses(m, 0);
	big_spec(&s, dn, 3000);
	ck_assert_int_eq(model_add_mailbox(m, &s, &d), 0);
	mailbox_spec_clear(&s);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(model_address_count(m), 3000);
	ck_assert_uint_eq(d.count, 0);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_owner_called_for_conflicts)
{
	/* the owner function sees the contested address */
	static const struct owner_def owners[] = {
		{ "x@example.com", "idz" }, { NULL, NULL }
	};
	static const struct mb_def a = MB("idz", DB, INT, NULL, NULL,
	    "x@example.com");
	static const struct mb_def b = MB("ida", DA, EXT, NULL, NULL,
	    "x@example.com");
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = base_model(&d);
	ck_assert_int_eq(add_mb(m, &a, &d), 0);
	ck_assert_int_eq(add_mb(m, &b, &d), 0);
	ck_assert_int_eq(model_finish(m, owner_lookup, (void *)owners, &d), 0);
	ck_assert_uint_eq(model_address_count(m), 1);
	ck_assert_str_eq(addr_at(m, 0)->id, "idz");
	ck_assert_str_eq(addr_at(m, 0)->dn, DB);
	ck_assert_uint_eq(d.nconflicts, 1);
	ck_assert_int_ge(find_item(&d, DIAG_CONFLICT, DA, "x@example.com", DB),
	    0);
	model_free(m);
	diag_free(&d);
}
END_TEST

/*
 * Order independence: one set of specs, added in many orders, gives
 * the same view field by field and the same reports.
 */

static const struct mb_def order_set[] = {
	MB("m1", "uid=m1,dc=example,dc=com", INT, NULL, NULL, "one@example.com",
	    "one@example.net", "shared@example.com"),
	MB("m7", "uid=m7,dc=example,dc=com", EXT, NULL, NULL,
	    "shared@example.com",
	    "seven@example.com", "seven@split.test"),
	MB("m3", "uid=m3,dc=example,dc=com", INT, N4, "0010",
	    "three@example.com",
	    "Three@example.com", "kept@example.com", "t@plain.example"),
	MB("m9", "uid=m9,dc=example,dc=com", EXT, N5, NULL, "kept@example.com",
	    "nine@split.test"),
	MB("uid=m4,dc=example,dc=com", "uid=m4,dc=example,dc=com", INT, NULL,
	    NULL, "four@split.test", "four@elsewhere.example", "4@split.test"),
	MB("m5", "uid=m5,dc=example,dc=com", EXT, NULL, NULL,
	    "five@plain.example"),
	MB("m6", "uid=m6,dc=example,dc=com", ROUTE_NONE, NULL, NULL,
	    "one@example.com"),
	MB("m2", "uid=m2,dc=example,dc=com", EXT, NULL, "010",
	    "two@example.com",
	    "two@example.net", "seven@split.test"),
};
#define NORDER (sizeof order_set / sizeof order_set[0])

static const struct owner_def order_owners[] = {
	{ "kept@example.com", "m9" }, { "seven@split.test", "m7" },
	{ NULL, NULL }
};

/* build_order - the order set added in the order given */
static struct model *
build_order(const size_t *order, const size_t *dorder, struct diag *d)
{
	struct model *m = new_model();
	size_t i;

	for (i = 0; i < NBASE; i++)
		ck_assert_int_eq(add_dom(m, &base_domains[dorder[i]], d), 0);
	for (i = 0; i < NORDER; i++)
		ck_assert_int_eq(add_mb(m, &order_set[order[i]], d), 0);
	ck_assert_int_eq(model_finish(m, owner_lookup, (void *)order_owners,
	    d), 0);
	return m;
}

/* report_lines - the reports as sorted "kind|where|what" lines */
static char *
report_lines(const struct diag *d)
{
	struct buf b = BUF_INIT;
	char **lines = calloc(d->count ? d->count : 1, sizeof *lines);
	size_t i, j;
	char *r;

	ck_assert_ptr_nonnull(lines);
	for (i = 0; i < d->count; i++) {
		struct buf one = BUF_INIT;

		ck_assert_int_eq(buf_printf(&one, "%d|%s|%s\n",
		    (int)d->items[i].kind, d->items[i].where, d->items[i].what),
		    0);
		lines[i] = buf_steal(&one);
		ck_assert_ptr_nonnull(lines[i]);
	}
	for (i = 1; i < d->count; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	ck_assert_int_eq(buf_grow(&b, 0), 0);
	for (i = 0; i < d->count; i++) {
		ck_assert_int_eq(buf_puts(&b, lines[i]), 0);
		free(lines[i]);
	}
	free(lines);
	r = buf_steal(&b);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* shuffle - a permutation of 0..n-1 from seed (a fixed LCG: the test
 * is the same on every run) */
static void
shuffle(size_t *v, size_t n, unsigned long seed)
{
	size_t i, j, t;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n; i > 1; i--) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		j = (size_t)((seed >> 33) % i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

#define NPERM 40

START_TEST(test_order_independence)
{
	size_t ref_order[NORDER], ref_dorder[NBASE], order[NORDER],
	    dorder[NBASE], p, i;
	struct diag rd;
	struct model *ref;
	char *ref_reports;

	for (i = 0; i < NORDER; i++)
		ref_order[i] = i;
	for (i = 0; i < NBASE; i++)
		ref_dorder[i] = i;
	diag_init(&rd, NULL);
	ref = build_order(ref_order, ref_dorder, &rd);
	ref_reports = report_lines(&rd);
	/* the reference itself is what the semantics say */
	ck_assert_uint_eq(model_address_count(ref), 14);
	ck_assert_uint_eq(rd.nconflicts, 3);
	ck_assert_str_eq(addr_at(ref, 0)->address, "4@split.test");

	for (p = 0; p < NPERM; p++) {
		struct diag d;
		struct model *m;
		char *reports;

		if (p == 0) {
			for (i = 0; i < NORDER; i++)
				order[i] = NORDER - 1 - i;
			for (i = 0; i < NBASE; i++)
				dorder[i] = NBASE - 1 - i;
		} else {
			shuffle(order, NORDER, p);
			shuffle(dorder, NBASE, p * 7919);
		}
		diag_init(&d, NULL);
		m = build_order(order, dorder, &d);
		ck_assert_uint_eq(model_address_count(m),
		    model_address_count(ref));
		ck_assert_uint_eq(model_mailbox_count(m),
		    model_mailbox_count(ref));
		ck_assert_uint_eq(model_domain_count(m),
		    model_domain_count(ref));
		for (i = 0; i < model_address_count(ref); i++) {
			const struct model_address *a = addr_at(m, i);
			const struct model_address *b;

			b = addr_at(ref, i);

			ck_assert_msg(str_same(a->address, b->address) &&
			    str_same(a->domain, b->domain) &&
			    a->route == b->route &&
			    str_same(a->nexthop, b->nexthop) &&
			    str_same(a->alias_of, b->alias_of) &&
			    str_same(a->id, b->id) && str_same(a->dn, b->dn),
			    "permutation %zu, slot %zu: %s %s %d %s %s %s, "
			    "expected %s %s %d %s %s %s", p, i, a->address,
			    a->domain, (int)a->route, show(a->nexthop),
			    show(a->alias_of), a->id, b->address, b->domain,
			    (int)b->route, show(b->nexthop), show(b->alias_of),
			    b->id);
		}
		for (i = 0; i < NBASE; i++) {
			const struct model_domain *a, *b;
			size_t k;

			b = model_domain_find(ref, base_domains[i].name);
			a = model_domain_find(m, base_domains[i].name);
			ck_assert_ptr_nonnull(a);
			ck_assert_str_eq(a->name, b->name);
			ck_assert(str_same(a->relay, b->relay));
			ck_assert(str_same(a->local, b->local));
			ck_assert_int_eq(a->forward_unknown,
			    b->forward_unknown);
			ck_assert_str_eq(a->origin, b->origin);
			ck_assert_uint_eq(a->naliases, b->naliases);
			for (k = 0; k < a->naliases; k++)
				ck_assert_str_eq(a->aliases[k], b->aliases[k]);
		}
		reports = report_lines(&d);
		ck_assert_msg(strcmp(reports, ref_reports) == 0,
		    "permutation %zu reports:\n%s\nexpected:\n%s", p, reports,
		    ref_reports);
		free(reports);
		model_free(m);
		diag_free(&d);
	}
	free(ref_reports);
	model_free(ref);
	diag_free(&rd);
}
END_TEST

START_TEST(test_order_reference)
{
	/* the reference view of the order set, by hand */
	static const struct want want[] = {
		{ "4@split.test", INT, NULL, "four@split.test",
		    "uid=m4,dc=example,dc=com" },
		{ "five@plain.example", INT, NULL, NULL, "m5" },
		{ "four@split.test", INT, NULL, NULL,
		    "uid=m4,dc=example,dc=com" },
		{ "kept@example.com", EXT, N5, NULL, "m9" },
		{ "nine@split.test", EXT, N5, "kept@example.com", "m9" },
		{ "one@example.com", INT, L1, NULL, "m1" },
		{ "one@example.net", INT, L1, "one@example.com", "m1" },
		{ "seven@example.com", EXT, R1, NULL, "m7" },
		{ "seven@split.test", EXT, R2, NULL, "m7" },
		{ "shared@example.com", INT, L1, "one@example.com", "m1" },
		{ "t@plain.example", INT, N4, "three@example.com", "m3" },
		{ "three@example.com", INT, N4, NULL, "m3" },
		{ "two@example.com", INT, L1, NULL, "m2" },
		{ "two@example.net", EXT, R1, NULL, "m2" },
	};
	size_t order[NORDER], dorder[NBASE], i;
	struct diag d;
	struct model *m;

	for (i = 0; i < NORDER; i++)
		order[i] = i;
	for (i = 0; i < NBASE; i++)
		dorder[i] = i;
	diag_init(&d, NULL);
	m = build_order(order, dorder, &d);
	check_view("order reference", m, want, sizeof want / sizeof want[0]);
	/* m6 (none) claims nothing, m3 lost kept@ to the previous owner,
	 * m1 won shared@ (smallest id), m2 lost seven@split.test */
	ck_assert_uint_eq(model_mailbox_count(m), 7);
	ck_assert_uint_eq(d.nconflicts, 3);
	ck_assert_int_ge(find_item(&d, DIAG_CONFLICT,
	    "uid=m3,dc=example,dc=com",
	    "kept@example.com", "uid=m9,dc=example,dc=com"), 0);
	ck_assert_int_ge(find_item(&d, DIAG_CONFLICT,
	    "uid=m7,dc=example,dc=com",
	    "shared@example.com", "uid=m1,dc=example,dc=com"), 0);
	ck_assert_int_ge(find_item(&d, DIAG_CONFLICT,
	    "uid=m2,dc=example,dc=com",
	    "seven@split.test", "uid=m7,dc=example,dc=com"), 0);
	/* Three@ (uppercase), four@elsewhere (unmanaged), five@ (external
	 * without relay) */
	ck_assert_uint_eq(d.nrejected, 3);
	model_free(m);
	diag_free(&d);
}
END_TEST

/*
 * Pending routes: decided at build by the decider, with the notes that
 * apply to the route decided and the nexthop only where it applies.
 */

/* What the test decider does: bit 0 of the leaves routes external,
 * bit 1 none, else internal; the nexthop applies to external routes;
 * a note with when 1 applies to routed mailboxes, 2 to external ones.
 * It counts its calls. */
struct tdec {
	size_t calls;
	uint64_t last_dn;
};

static int
tdec_route(void *ctx, uint64_t leaves, const struct groups_keys *k)
{
	struct tdec *t = ctx;

	t->calls++;
	t->last_dn = k->dn;
	if (leaves & 2)
		return ROUTE_NONE;
	return leaves & 1 ? ROUTE_EXTERNAL : ROUTE_INTERNAL;
}

static int
tdec_nexthop(void *ctx, int route)
{
	(void)ctx;
	return route == ROUTE_EXTERNAL;
}

static int
tdec_note(void *ctx, const struct model_note *n, int route)
{
	(void)ctx;
	if (n->when == 2)
		return route == ROUTE_EXTERNAL;
	return route != ROUTE_NONE;
}

/* add_pending - a pending mailbox with one address, a nexthop value
 * and two notes */
static void
add_pending(struct model *m, const char *id, const char *dn,
    const char *address, uint64_t leaves, const char *nexthop,
    struct diag *d)
{
	static const struct model_note notes[] = {
		{ 1, DIAG_WARNING, DIAG_REJECTED, "routed note" },
		{ 2, DIAG_WARNING, DIAG_REJECTED, "external note" },
	};
	struct groups_keys k;
	struct model_mailbox in;

	memset(&k, 0, sizeof k);
	k.dn = 42;
	memset(&in, 0, sizeof in);
	in.id = id;
	in.idlen = strlen(id);
	in.dn = dn;
	in.addresses = &address;
	in.naddresses = 1;
	in.route = MODEL_ROUTE_PENDING;
	in.nexthop = nexthop;
	in.leaves = leaves;
	in.keys = &k;
	in.notes = notes;
	in.nnotes = 2;
	ck_assert_int_eq(model_add(m, &in, d), 0);
}

START_TEST(test_pending_routes)
{
	struct model_decider dec = { tdec_route, tdec_nexthop, tdec_note,
	    NULL };
	struct tdec t = { 0, 0 };
	struct diag d;
	struct model *m;

	dec.ctx = &t;
	diag_init(&d, NULL);
	m = new_model();
	model_set_decider(m, &dec);
	/* before the domains: checked at build */
	add_pending(m, "p1", DA, "a@example.com", 1, N5, &d);
	add_pending(m, "p2", DB, "b@example.com", 0, N5, &d);
	add_pending(m, "p3", DC, "c@example.com", 2, "bad nexthop", &d);
	add_pending(m, "p4", "uid=d,dc=example,dc=com", "d@example.com", 1,
	    "bad nexthop", &d);
	ck_assert_uint_eq(d.count, 0);
	ck_assert_uint_eq(t.calls, 0);
	ck_assert_int_eq(add_dom(m, &base_domains[0], &d), 0);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(t.calls, 4);
	ck_assert_uint_eq(t.last_dn, 42);
	ck_assert_uint_eq(model_address_count(m), 3);
	/* external: its nexthop; internal: the domain's (the value does
	 * not apply); none: nothing, not even its bad nexthop reported */
	ck_assert_str_eq(addr_at(m, 0)->address, "a@example.com");
	ck_assert_int_eq(addr_at(m, 0)->route, EXT);
	ck_assert_str_eq(addr_at(m, 0)->nexthop, N5);
	ck_assert_str_eq(addr_at(m, 1)->address, "b@example.com");
	ck_assert_int_eq(addr_at(m, 1)->route, INT);
	ck_assert_str_eq(addr_at(m, 1)->nexthop, L1);
	ck_assert_str_eq(addr_at(m, 2)->address, "d@example.com");
	ck_assert_str_eq(addr_at(m, 2)->nexthop, R1);
	/* the notes that apply, each mailbox's together, in the order
	 * they were added: a: 2 notes; b: 1; c: none; d: 2 and its
	 * refused nexthop */
	ck_assert_uint_eq(d.count, 6);
	ck_assert_str_eq(d.items[0].where, DA);
	ck_assert_str_eq(d.items[0].what, "routed note");
	ck_assert_str_eq(d.items[1].what, "external note");
	ck_assert_str_eq(d.items[2].where, DB);
	ck_assert_str_eq(d.items[2].what, "routed note");
	ck_assert_str_eq(d.items[5].where, "uid=d,dc=example,dc=com");
	ck_assert_ptr_nonnull(strstr(d.items[5].what,
	    "mailbox nexthop \"bad nexthop\" refused"));
	model_free(m);
	diag_free(&d);

	/* a pending route without a decider is a bug */
	diag_init(&d, NULL);
	m = base_model(&d);
	add_pending(m, "p1", DA, "a@example.com", 1, NULL, &d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), ERR_BUG);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* Ids kept as their bytes (UUID, 32 hex digits) sort and compare as
 * their texts do, against each other and against text ids. */
START_TEST(test_binary_ids)
{
	static const char *const ids[] = {
		"00000000-0000-0000-0000-00000000000a",
		"00000000-0000-0000-0000-000000000009",
		"0000000000000000000000000000000b",
		"00000000-0000-0000-0000-00000000000A",
		"00000000-0000-0000-0000-0000000000",
		"00000000-0000-0000-0000-0000000000-",
		"uid=z,dc=example,dc=com",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
		"fffffffffffffffffffffffffffffffe",
	};
	const size_t n = sizeof ids / sizeof ids[0];
	size_t order[sizeof ids / sizeof ids[0]], p, i, j, best;
	char dns[sizeof ids / sizeof ids[0]][64];

	for (i = 0; i < n; i++)
		snprintf(dns[i], sizeof dns[i], "%s", strncmp(ids[i], "uid=",
		    4) == 0 ? ids[i] : "uid=m0,dc=example,dc=com");
	for (i = 0; i < n; i++)
		if (strncmp(ids[i], "uid=", 4) != 0)
			dns[i][5] = (char)('a' + i);
	/* the smallest text wins */
	for (best = 0, i = 1; i < n; i++)
		if (strcmp(ids[i], ids[best]) < 0)
			best = i;
	for (p = 0; p < 20; p++) {
		struct diag d;
		struct model *m;
		const char *prev = NULL;

		shuffle(order, n, p + 1);
		diag_init(&d, NULL);
		m = base_model(&d);
		for (i = 0; i < n; i++) {
			struct mb_def def = MB(ids[order[i]], dns[order[i]],
			    INT, NULL, NULL, "x@example.com");

			ck_assert_int_eq(add_mb(m, &def, &d), 0);
		}
		ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
		ck_assert_uint_eq(model_address_count(m), 1);
		ck_assert_str_eq(addr_at(m, 0)->id, ids[best]);
		ck_assert_uint_eq(d.nconflicts, n - 1);
		/* the losers are reported in the order of their ids */
		for (i = 0; i < d.count; i++) {
			for (j = 0; j < n; j++)
				if (strcmp(d.items[i].where, dns[j]) == 0)
					break;
			ck_assert_uint_lt(j, n);
			if (prev)
				ck_assert_msg(strcmp(prev, ids[j]) < 0,
				    "%s reported before %s", prev, ids[j]);
			prev = ids[j];
		}
		/* each id reads back as it was given */
		for (i = 0; i < model_mailbox_total(m); i++) {
			char buf[MODEL_ID_MAX];

			ck_assert_str_eq(model_mailbox_id(m, (uint32_t)i, buf),
			    ids[order[i]]);
		}
		model_free(m);
		diag_free(&d);
	}
}
END_TEST

/* owner_a, owner_b - two previous commits */
static const char *
owner_a(const char *address, void *ctx)
{
	size_t *calls = ctx;

	(*calls)++;
	return strcmp(address, "x@example.com") == 0 ? "idb" : NULL;
}

static const char *
owner_b(const char *address, void *ctx)
{
	size_t *calls = ctx;

	(*calls)++;
	return strcmp(address, "x@example.com") == 0 ? "idc" : NULL;
}

/* Resolved again against another previous commit, the model starts
 * over: the other owner, the other conflicts, the same addresses. */
START_TEST(test_resolve_again)
{
	static const struct mb_def mbs[] = {
		MB("ida", DA, INT, NULL, NULL, "a@example.com", "x@example.com"),
		MB("idb", DB, EXT, NULL, NULL, "x@example.com", "b@example.com"),
		MB("idc", DC, INT, N4, NULL, "x@example.com"),
	};
	struct diag d, d2;
	struct model *m;
	size_t i, calls = 0;

	diag_init(&d, NULL);
	m = base_model(&d);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(add_mb(m, &mbs[i], &d), 0);
	ck_assert_int_eq(model_resolve(m, NULL, NULL, &d), ERR_INVAL);
	ck_assert_int_eq(model_build(m, &d), 0);
	ck_assert_int_eq(model_resolve(m, owner_a, &calls, &d), 0);
	/* asked about the contested address only */
	ck_assert_uint_eq(calls, 1);
	ck_assert_uint_eq(model_address_count(m), 3);
	ck_assert_str_eq(addr_at(m, 2)->address, "x@example.com");
	ck_assert_str_eq(addr_at(m, 2)->id, "idb");
	/* idb's first address is its default */
	ck_assert_ptr_null(addr_at(m, 2)->alias_of);
	ck_assert_str_eq(addr_at(m, 1)->alias_of, "x@example.com");
	ck_assert_uint_eq(model_mailbox_count(m), 2);
	ck_assert_uint_eq(d.nconflicts, 2);
	diag_init(&d2, NULL);
	ck_assert_int_eq(model_resolve(m, owner_b, &calls, &d2), 0);
	ck_assert_uint_eq(calls, 2);
	ck_assert_str_eq(addr_at(m, 2)->id, "idc");
	ck_assert_str_eq(addr_at(m, 2)->nexthop, N4);
	ck_assert_ptr_null(addr_at(m, 2)->alias_of);
	/* b@ is idb's default now */
	ck_assert_str_eq(addr_at(m, 1)->address, "b@example.com");
	ck_assert_ptr_null(addr_at(m, 1)->alias_of);
	ck_assert_uint_eq(model_mailbox_count(m), 3);
	ck_assert_uint_eq(d2.nconflicts, 2);
	ck_assert_int_ge(find_item(&d2, DIAG_CONFLICT, DB, "x@example.com",
	    DC), 0);
	/* found by their hash */
	ck_assert_uint_eq(model_find(m, "x@example.com", 13), 2);
	ck_assert_uint_eq(model_find(m, "x@example.co", 12), MODEL_NONE);
	ck_assert_uint_eq(model_find(m, "zz@example.com", 14), MODEL_NONE);
	model_free(m);
	diag_free(&d);
	diag_free(&d2);
}
END_TEST

/* model_suite - all of the above */
static Suite *
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("domains");
	TCase *tm = tcase_create("mailboxes");
	TCase *to = tcase_create("order");

	tcase_add_loop_test(tc, test_domain, 0,
	    (int)(sizeof dcases / sizeof dcases[0]));
	tcase_add_test(tc, test_domain_after_mailbox);
	tcase_add_test(tc, test_domain_after_dropped_mailbox);
	tcase_add_test(tc, test_domain_null_name);
	tcase_add_test(tc, test_domain_view_before_finish);
	tcase_add_test(tc, test_domain_order);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(tm, test_mailbox, 0,
	    (int)(sizeof mcases / sizeof mcases[0]));
	tcase_add_loop_test(tm, test_hostile_address, 0, (int)NHOSTILE);
	tcase_add_test(tm, test_hostile_only);
	tcase_add_test(tm, test_same_address_twice);
	tcase_add_test(tm, test_address_cap);
	tcase_add_test(tm, test_owner_called_for_conflicts);
	tcase_add_test(tm, test_pending_routes);
	tcase_add_test(tm, test_binary_ids);
	tcase_add_test(tm, test_resolve_again);
	suite_add_tcase(s, tm);

	tcase_add_test(to, test_order_reference);
	tcase_add_test(to, test_order_independence);
	suite_add_tcase(s, to);
	return s;
}

int
main(void)
{
	return testlib_main(model_suite());
}
