/*
 * check_render - the Postfix tables of each layout
 *
 * One model covers every situation the layouts distinguish: a master
 * domain with alias domains, a domain forwarding unknown recipients to
 * its relay (with an alias domain too), a domain without relay or local
 * nexthop; internal, external and partly external mailboxes; aliases;
 * an address listed explicitly in an alias domain; a mailbox nexthop
 * override; external without relay. Its tables are compared byte for
 * byte with the golden files in tests/data/render/<layout>/<table>,
 * written by hand from the semantics in agent/render_<layout>.c. The
 * same model with hostile entries added, or with its specs in another
 * order, must give the same bytes; every table must load with postmap
 * and answer as Postfix is expected to.
 *
 * The tables of each layout are those of the layout definition
 * (layouts/postfix.tables), every golden row has a shape the definition
 * allows, and a renderer that adds a row of any other shape (a fan-out,
 * a foreign domain, a catch-all where the layout has none, a transport
 * not allowed) gets ERR_BUG and no table at all.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "layout.h"
#include "model.h"
#include "render.h"
#include "shard.h"
#include "testlib.h"

#define DATA "tests/data/render"

#define R1 "smtp:[relay.example.com]:25"
#define L1 "lmtp:[core.example.com]:2400"
#define R2 "smtp:[old.split.test]:25"
#define N4 "lmtp:[core2.example.com]:2400"
#define N5 "smtp:[mx.partner.example]:25"

#define MAXADDR 8

static const char *const transports[] = { "smtp", "lmtp" };

struct dom_def {
	const char *name;
	const char *aliases[3];
	const char *relay;
	int fu;
	const char *local;
	const char *origin;
};

struct mb_def {
	const char *id;
	const char *dn;
	enum route_kind route;
	const char *nexthop;
	const char *ext;        /* "010": per address 1 = external; NULL */
	const char *addrs[MAXADDR];
};

/* MB - a mailbox definition; the addresses come last */
#define MB(id, dn, route, nexthop, ext, ...) \
	{ id, dn, route, nexthop, ext, { __VA_ARGS__ } }

#define INT ROUTE_INTERNAL
#define EXT ROUTE_EXTERNAL
#define PEOPLE ",ou=people,dc=example,dc=com"

static const struct dom_def domains[] = {
	/* master: unknown recipients rejected, two alias domains */
	{ "example.com", { "example.org", "example.net" }, R1, 0, L1,
	    "mapping.xml:3" },
	/* forward unknown recipients to the old server */
	{ "split.test", { "split.example" }, R2, 1, NULL,
	    "cn=split.test,ou=domains,dc=example,dc=com" },
	/* nothing but the name */
	{ "plain.example", { NULL }, NULL, 0, NULL, "mapping.xml:20" },
};
#define NDOMAINS (sizeof domains / sizeof domains[0])

static const struct mb_def mailboxes[] = {
	/* internal, with an alias */
	MB("uuid-alice", "uid=alice" PEOPLE, INT, NULL, NULL,
	    "alice@example.com", "alice.smith@example.com"),
	/* external, with an alias in an alias domain */
	MB("uuid-bob", "uid=bob" PEOPLE, EXT, NULL, NULL,
	    "bob@example.com", "bob@example.org"),
	/* partly external: its address in the alias domain is external,
	 * so it is listed explicitly there */
	MB("uuid-carol", "uid=carol" PEOPLE, INT, NULL, "010",
	    "carol@example.com", "carol@example.net", "c.jones@example.com"),
	/* its own nexthop for the addresses that stay internal */
	MB("uuid-dave", "uid=dave" PEOPLE, INT, N4, "01",
	    "dave@example.com", "dave.ext@example.com"),
	/* external through its own nexthop, which its internal address
	 * does not follow */
	MB("uuid-erin", "uid=erin" PEOPLE, EXT, N5, "10", "erin@example.com",
	    "erin.local@example.com"),
	/* internal without local nexthop in a forward-unknown domain; no
	 * entryUUID */
	MB("uid=frank,ou=people,dc=split,dc=test",
	    "uid=frank,ou=people,dc=split,dc=test", INT, NULL, NULL,
	    "frank@split.test", "f@split.test", "frank@split.example"),
	MB("uuid-grace", "uid=grace,ou=people,dc=split,dc=test", EXT, NULL,
	    NULL, "grace@split.test"),
	MB("uuid-henry", "uid=henry" PEOPLE, INT, NULL, NULL,
	    "henry@plain.example"),
	/* external, but the domain has no relay: internal */
	MB("uuid-ivan", "uid=ivan" PEOPLE, EXT, NULL, NULL,
	    "ivan@plain.example"),
};
#define NMAILBOXES (sizeof mailboxes / sizeof mailboxes[0])

/* Entries that must change nothing: bad values, conflicts lost, route
 * none. */
static const struct mb_def noise[] = {
	MB("uuid-mallory", "uid=mallory" PEOPLE, EXT,
	    "smtp:[evil.example]:25\n@example.com smtp:[evil.example]:25",
	    NULL, "@example.com", "example.com", ".example.com", "*",
	    "x\n@example.com smtp:[evil.example]", "x y@example.com",
	    "x#y@example.com", "Alice@example.com"),
	MB("uuid-zz-trudy", "uid=trudy" PEOPLE, EXT, N5, NULL,
	    "alice@example.com", "x\001@example.com", "t@evil.example",
	    "grace@split.test", "@split.test", "split.test",
	    "h\xc3\xa9@plain.example", "\xff@example.com"),
	MB("uuid-none", "uid=none" PEOPLE, ROUTE_NONE, N5, NULL,
	    "bob@example.com", "none@example.com"),
};
#define NNOISE (sizeof noise / sizeof noise[0])

static const char *const bluemind_names[] = {
	"master_relay_transport", "transport", "virtual_alias",
	"virtual_domains", "virtual_mailbox", NULL
};
static const char *const gateway_names[] = {
	"relay_domains", "relay_recipients", "transport", NULL
};

/* the tables each layout must have, written out by hand */
struct golden_layout {
	const char *name;
	const char *const *tables;
};

static const struct golden_layout layouts[] = {
	{ "bluemind", bluemind_names },
	{ "gateway", gateway_names },
};
#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

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

/* add_dom - build a spec, add it, release it */
static void
add_dom(struct model *m, const struct dom_def *def, struct diag *d)
{
	struct domain_spec s;
	size_t i, n = 0;

	memset(&s, 0, sizeof s);
	while (n < 3 && def->aliases[n])
		n++;
	s.name = xstrdup(def->name);
	s.aliases = calloc(n ? n : 1, sizeof *s.aliases);
	ck_assert_ptr_nonnull(s.aliases);
	for (i = 0; i < n; i++)
		s.aliases[i] = xstrdup(def->aliases[i]);
	s.naliases = n;
	s.relay = xstrdup(def->relay);
	s.forward_unknown = def->fu;
	s.local = xstrdup(def->local);
	s.origin = xstrdup(def->origin);
	ck_assert_int_eq(model_add_domain(m, &s, d), 0);
	domain_spec_clear(&s);
}

/* add_mb - build a spec, add it, release it */
static void
add_mb(struct model *m, const struct mb_def *def, struct diag *d)
{
	struct mailbox_spec s;
	size_t i, n = 0;

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
	ck_assert_int_eq(model_add_mailbox(m, &s, d), 0);
	mailbox_spec_clear(&s);
}

/* shuffle - a permutation of 0..n-1 from seed (a fixed LCG) */
static void
shuffle(size_t *v, size_t n, unsigned long seed)
{
	size_t i, j, t;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n; i > 1 && seed; i--) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		j = (size_t)((seed >> 33) % i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* golden_model - the model of the golden files; seed 0 adds the specs
 * in the order listed, another seed in another order; with_noise adds
 * the hostile entries (mixed in) */
static struct model *
golden_model(unsigned long seed, int with_noise, struct diag *d)
{
	const struct mb_def *all[NMAILBOXES + NNOISE];
	size_t dorder[NDOMAINS], morder[NMAILBOXES + NNOISE], n = 0, i;
	struct model *m = NULL;

	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	shuffle(dorder, NDOMAINS, seed);
	for (i = 0; i < NDOMAINS; i++)
		add_dom(m, &domains[dorder[i]], d);
	for (i = 0; i < NMAILBOXES; i++)
		all[n++] = &mailboxes[i];
	for (i = 0; with_noise && i < NNOISE; i++)
		all[n++] = &noise[i];
	shuffle(morder, n, seed);
	for (i = 0; i < n; i++)
		add_mb(m, all[morder[i]], d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, d), 0);
	return m;
}

/* first_diff - line number (1-based) where a and b differ */
static size_t
first_diff(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, line = 1;

	for (i = 0; i < alen && i < blen && a[i] == b[i]; i++)
		if (a[i] == '\n')
			line++;
	return line;
}

/* check_golden - every table of layout equals its golden file */
static void
check_golden(const struct golden_layout *lay, const struct tables *t,
    const char *what)
{
	size_t i, n = 0, len;
	char path[256], *want;

	while (lay->tables[n])
		n++;
	ck_assert_msg(t->count == n, "%s %s: %zu tables, expected %zu",
	    what, lay->name, t->count, n);
	for (i = 0; i < n; i++) {
		const struct table *tb = &t->items[i];

		ck_assert_str_eq(tb->name, lay->tables[i]);
		snprintf(path, sizeof path, DATA "/%s/%s", lay->name, tb->name);
		want = testlib_read(path, &len);
		ck_assert_msg(want != NULL, "cannot read %s", path);
		ck_assert_msg(tb->text.len == len && (len == 0 ||
		    memcmp(tb->text.data, want, len) == 0),
		    "%s: %s differs from %s at line %zu:\n%s", what, tb->name,
		    path, first_diff(tb->text.data ? tb->text.data : "",
		    tb->text.len, want, len),
		    tb->text.data ? tb->text.data : "");
		free(want);
	}
}

START_TEST(test_golden)
{
	const struct golden_layout *lay = &layouts[_i];
	struct tables t;
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = golden_model(0, 0, &d);
	/* the model is the one the golden files were written for */
	ck_assert_uint_eq(model_address_count(m), 17);
	ck_assert_uint_eq(model_mailbox_count(m), NMAILBOXES);
	ck_assert_uint_eq(d.nconflicts, 0);
	ck_assert_uint_eq(d.nrejected, 1);     /* ivan: no relay */
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	check_golden(lay, &t, "golden");
	render_tables_free(&t);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.items);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_golden_with_noise)
{
	/* hostile values, lost conflicts and route none change nothing */
	const struct golden_layout *lay = &layouts[_i];
	struct tables t;
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = golden_model(0, 1, &d);
	ck_assert_uint_eq(model_address_count(m), 17);
	ck_assert_uint_eq(d.nconflicts, 2);    /* alice@, grace@ */
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	check_golden(lay, &t, "noise");
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_order)
{
	/* the same specs in other orders: the same bytes */
	const struct golden_layout *lay = &layouts[_i / 12];
	unsigned long seed = (unsigned long)(_i % 12) + 1;
	struct tables t;
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = golden_model(seed, seed & 1, &d);
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	check_golden(lay, &t, "permutation");
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_twice)
{
	const struct golden_layout *lay = &layouts[_i];
	struct tables a, b;
	struct diag d;
	struct model *m;
	size_t i;

	diag_init(&d, NULL);
	m = golden_model(0, 1, &d);
	ck_assert_int_eq(render_tables(lay->name, m, &a), 0);
	ck_assert_int_eq(render_tables(lay->name, m, &b), 0);
	ck_assert_uint_eq(a.count, b.count);
	for (i = 0; i < a.count; i++) {
		ck_assert_str_eq(a.items[i].name, b.items[i].name);
		ck_assert_uint_eq(a.items[i].text.len, b.items[i].text.len);
		ck_assert(memcmp(a.items[i].text.data, b.items[i].text.data,
		    a.items[i].text.len) == 0);
	}
	render_tables_free(&a);
	render_tables_free(&b);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* check_shape - one table: "key value\n" lines, keys lowercase and
 * printable, sorted in byte order (LC_ALL=C), no key twice */
static void
check_shape(const char *layout, const struct table *tb)
{
	const char *p = tb->text.data, *end = p + tb->text.len, *nl, *sp;
	const char *prev = NULL;
	size_t prevlen = 0, line = 0, klen, i;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strlen(p), tb->text.len);
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		ck_assert_msg(nl != NULL, "%s/%s:%zu: no newline", layout,
		    tb->name, line);
		sp = memchr(p, ' ', (size_t)(nl - p));
		ck_assert_msg(sp != NULL && sp > p && sp + 1 < nl,
		    "%s/%s:%zu: not \"key value\"", layout, tb->name, line);
		ck_assert_msg(!memchr(sp + 1, ' ', (size_t)(nl - sp - 1)),
		    "%s/%s:%zu: more than two fields", layout, tb->name, line);
		klen = (size_t)(sp - p);
		for (i = 0; p + i < nl; i++) {
			unsigned char c = (unsigned char)p[i];

			ck_assert_msg(c > ' ' || p + i == sp, "%s/%s:%zu: "
			    "control byte", layout, tb->name, line);
			ck_assert_msg(c < 0x7f, "%s/%s:%zu: byte %02x", layout,
			    tb->name, line, c);
			ck_assert_msg(p + i >= sp || !isupper(c),
			    "%s/%s:%zu: uppercase key", layout, tb->name, line);
			ck_assert_msg(c != '#', "%s/%s:%zu: '#'", layout,
			    tb->name, line);
		}
		ck_assert_msg(strncmp(p, "*", klen) != 0 || klen != 1,
		    "%s/%s:%zu: key \"*\"", layout, tb->name, line);
		if (prev) {
			size_t common = prevlen < klen ? prevlen : klen;
			int c = memcmp(prev, p, common);

			if (c == 0)
				c = prevlen < klen ? -1 :
				    prevlen > klen ? 1 : 0;
			ck_assert_msg(c < 0, "%s/%s:%zu: key %.*s after %.*s "
			    "(unsorted or twice)", layout, tb->name, line,
			    (int)klen, p, (int)prevlen, prev);
		}
		prev = p;
		prevlen = klen;
		p = nl + 1;
	}
}

START_TEST(test_shape)
{
	const struct golden_layout *lay = &layouts[_i];
	struct tables t;
	struct diag d;
	struct model *m;
	size_t i;

	diag_init(&d, NULL);
	m = golden_model(5, 1, &d);
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	for (i = 0; i < t.count; i++) {
		check_shape(lay->name, &t.items[i]);
		if (i)
			ck_assert_str_lt(t.items[i - 1].name, t.items[i].name);
	}
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_unknown_layout)
{
	static const char *const bad[] = {
		"", "BlueMind", "bluemind ", "bluemind\n", "postfix", "gate",
		"../bluemind", "gateway/", "exchange", "zimbra"
	};
	struct tables t;
	struct diag d;
	struct model *m;
	size_t i;

	diag_init(&d, NULL);
	m = golden_model(0, 0, &d);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t.items = (struct table *)&t;
		t.count = 42;
		ck_assert_int_eq(render_layout_known(bad[i]), 0);
		ck_assert_int_eq(render_tables(bad[i], m, &t), ERR_INVAL);
		/* nothing to free, and freeing is harmless */
		ck_assert_uint_eq(t.count, 0);
		ck_assert_ptr_null(t.items);
		render_tables_free(&t);
	}
	for (i = 0; i < NLAYOUTS; i++)
		ck_assert_int_eq(render_layout_known(layouts[i].name), 1);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* postmap_all - write every table into dir (with an empty main.cf)
 * and load each with postmap; postmap must say nothing */
static void
postmap_all(const char *dir, const struct tables *t)
{
	char path[512], *out = NULL;
	size_t i;
	int rc;

	snprintf(path, sizeof path, "%s/main.cf", dir);
	ck_assert_int_eq(testlib_write(path, ""), 0);
	for (i = 0; i < t->count; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, t->items[i].name);
		ck_assert_int_eq(testlib_write(path, t->items[i].text.data ?
		    t->items[i].text.data : ""), 0);
		rc = testlib_sh(&out, "postmap -c '%s' 'hash:%s'", dir, path);
		ck_assert_msg(rc == 0, "postmap %s: %d: %s", t->items[i].name,
		    rc, out ? out : "");
		ck_assert_msg(out == NULL || *out == '\0', "postmap %s: %s",
		    t->items[i].name, out);
		free(out);
		out = NULL;
	}
}

struct query {
	const char *layout;
	const char *table;
	const char *key;
	const char *value;      /* NULL: not found */
};

static const struct query queries[] = {
	{ "bluemind", "transport", "alice@example.com", L1 },
	/* Postfix folds the key */
	{ "bluemind", "transport", "Alice@Example.COM", L1 },
	{ "bluemind", "transport", "frank@split.test", ":" },
	{ "bluemind", "transport", "grace@split.test", R2 },
	{ "bluemind", "transport", "dave@example.com", N4 },
	{ "bluemind", "transport", "dave.ext@example.com", R1 },
	{ "bluemind", "transport", "erin@example.com", N5 },
	{ "bluemind", "transport", "erin.local@example.com", L1 },
	{ "bluemind", "transport", "henry@plain.example", NULL },
	{ "bluemind", "transport", "alice.smith@example.com", NULL },
	{ "bluemind", "transport", "example.com", NULL },
	{ "bluemind", "master_relay_transport", "split.test", R2 },
	{ "bluemind", "master_relay_transport", "split.example", NULL },
	{ "bluemind", "master_relay_transport", "example.com", NULL },
	/* master mode: no catch-all, so unknown recipients of an alias
	 * domain are rejected; every known address has its twin */
	{ "bluemind", "virtual_alias", "@example.net", NULL },
	{ "bluemind", "virtual_alias", "nobody@example.net", NULL },
	{ "bluemind", "virtual_alias", "alice@example.net",
	    "alice@example.com" },
	{ "bluemind", "virtual_alias", "@split.example", "@split.test" },
	{ "bluemind", "virtual_alias", "carol@example.net", NULL },
	{ "bluemind", "virtual_alias", "c.jones@example.com",
	    "carol@example.com" },
	{ "bluemind", "virtual_alias", "alice@example.com", NULL },
	{ "bluemind", "virtual_mailbox", "@split.test", "OK" },
	{ "bluemind", "virtual_mailbox", "frank@split.test", NULL },
	{ "bluemind", "virtual_mailbox", "dave@example.com", "OK" },
	{ "bluemind", "virtual_mailbox", "@example.com", NULL },
	{ "bluemind", "virtual_mailbox", "nobody@example.com", NULL },
	{ "bluemind", "virtual_domains", "split.example", "OK" },
	{ "bluemind", "virtual_domains", "evil.example", NULL },
	{ "gateway", "transport", "carol@example.org", L1 },
	{ "gateway", "transport", "carol@example.net", R1 },
	{ "gateway", "transport", "grace@split.example", R2 },
	{ "gateway", "transport", "f@split.example", ":" },
	{ "gateway", "transport", "split.example", R2 },
	{ "gateway", "transport", "example.org", L1 },
	{ "gateway", "transport", "plain.example", NULL },
	{ "gateway", "relay_recipients", "@split.example", "OK" },
	{ "gateway", "relay_recipients", "erin@example.org", "OK" },
	{ "gateway", "relay_recipients", "nobody@example.com", NULL },
	{ "gateway", "relay_recipients", "@example.com", NULL },
	{ "gateway", "relay_recipients", "frank@split.test", NULL },
	{ "gateway", "relay_domains", "example.org", "OK" },
	{ "gateway", "relay_domains", "sub.example.org", NULL },
};
#define NQUERIES (sizeof queries / sizeof queries[0])

START_TEST(test_postmap)
{
	const struct golden_layout *lay = &layouts[_i];
	struct tables t;
	struct diag d;
	struct model *m;
	char *dir = testlib_tmpdir(), *out = NULL, want[256];
	size_t i;
	int rc;

	ck_assert_ptr_nonnull(dir);
	diag_init(&d, NULL);
	m = golden_model(0, 1, &d);
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	postmap_all(dir, &t);
	for (i = 0; i < NQUERIES; i++) {
		const struct query *q = &queries[i];

		if (strcmp(q->layout, lay->name) != 0)
			continue;
		rc = testlib_sh(&out, "postmap -c '%s' -q '%s' 'hash:%s/%s'",
		    dir, q->key, dir, q->table);
		if (q->value == NULL) {
			ck_assert_msg(rc == 1, "%s %s: found: %s", q->table,
			    q->key, out ? out : "");
		} else {
			snprintf(want, sizeof want, "%s\n", q->value);
			ck_assert_msg(rc == 0, "%s %s: rc %d: %s", q->table,
			    q->key, rc, out ? out : "");
			ck_assert_msg(out && strcmp(out, want) == 0,
			    "%s %s: %s, expected %s", q->table, q->key,
			    out ? out : "", q->value);
		}
		free(out);
		out = NULL;
	}
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_empty_model)
{
	/* no domain, no mailbox: every table, each an empty file */
	const struct golden_layout *lay = &layouts[_i];
	struct tables t;
	struct diag d;
	struct model *m = NULL;
	char *dir = testlib_tmpdir();
	size_t i, n = 0;

	ck_assert_ptr_nonnull(dir);
	diag_init(&d, NULL);
	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(d.count, 0);
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	while (lay->tables[n])
		n++;
	ck_assert_uint_eq(t.count, n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(t.items[i].name, lay->tables[i]);
		ck_assert_uint_eq(t.items[i].text.len, 0);
		ck_assert_ptr_nonnull(t.items[i].text.data);
		ck_assert_str_eq(t.items[i].text.data, "");
	}
	postmap_all(dir, &t);
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_domains_only)
{
	/* domains without mailboxes: only domain-wide rows */
	const struct golden_layout *lay = &layouts[_i];
	struct tables t;
	struct diag d;
	struct model *m = NULL;
	size_t i, lines = 0, j;

	diag_init(&d, NULL);
	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	for (i = 0; i < NDOMAINS; i++)
		add_dom(m, &domains[i], &d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	for (i = 0; i < t.count; i++) {
		check_shape(lay->name, &t.items[i]);
		for (j = 0; j < t.items[i].text.len; j++)
			lines += t.items[i].text.data[j] == '\n';
		/* no key holds a local part */
		for (j = 0; j < t.items[i].text.len; j++) {
			const char *k = t.items[i].text.data + j, *sp, *at;

			if (j && k[-1] != '\n')
				continue;
			sp = strchr(k, ' ');
			ck_assert_ptr_nonnull(sp);
			at = memchr(k, '@', (size_t)(sp - k));
			ck_assert_msg(at == NULL || at == k,
			    "%s/%s: address key: %.*s", lay->name,
			    t.items[i].name, (int)(sp - k), k);
		}
	}
	/* bluemind: 6 virtual_domains, @split.test, master relay, 1
	 * alias rewrite (only the forward-unknown domain has a catch-all);
	 * gateway: 6 relay_domains, 2 "@" recipients, 5 domain transports
	 * (plain.example has none) */
	ck_assert_uint_eq(lines, strcmp(lay->name, "bluemind") == 0 ? 9 : 13);
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_tables_of_definition)
{
	/* the layouts and tables rendered are those of the definition */
	struct tables t;
	struct diag d;
	struct model *m;
	size_t i, j;

	diag_init(&d, NULL);
	m = golden_model(0, 0, &d);
	ck_assert_uint_eq(layout_ndefs, NLAYOUTS);
	for (i = 0; i < layout_ndefs; i++) {
		const struct layout_def *def = &layout_defs[i];

		ck_assert_ptr_eq(layout_find(def->name), def);
		ck_assert_int_eq(render_layout_known(def->name), 1);
		ck_assert_int_eq(render_tables(def->name, m, &t), 0);
		for (j = 0; def->tables[j]; j++) {
			ck_assert_uint_lt(j, t.count);
			ck_assert_str_eq(t.items[j].name, def->tables[j]);
			/* static: still valid once the tables are freed */
			ck_assert_ptr_eq(t.items[j].name, def->tables[j]);
		}
		ck_assert_uint_eq(j, t.count);
		render_tables_free(&t);
	}
	for (i = 0; i < NLAYOUTS; i++)
		ck_assert_ptr_nonnull(layout_find(layouts[i].name));
	ck_assert_ptr_null(layout_find("nosuch"));
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_golden_rows_fit)
{
	/* every row of every golden table has a shape of its table */
	const struct layout_def *lay = layout_find(layouts[_i].name);
	struct diag d;
	struct model *m;
	char path[256], *text, *line, *save = NULL, *sp;
	const char *why;
	size_t i, n;

	ck_assert_ptr_nonnull(lay);
	diag_init(&d, NULL);
	m = golden_model(0, 0, &d);
	for (i = 0; lay->tables[i]; i++) {
		snprintf(path, sizeof path, DATA "/%s/%s", lay->name,
		    lay->tables[i]);
		text = testlib_read(path, NULL);
		ck_assert_msg(text != NULL, "cannot read %s", path);
		n = 0;
		for (line = strtok_r(text, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			n++;
			sp = strchr(line, ' ');
			ck_assert_ptr_nonnull(sp);
			*sp = '\0';
			why = "";
			ck_assert_msg(layout_row_check(lay, lay->tables[i], m,
			    line, sp + 1, &why) == 0, "%s:%zu: %s %s: %s", path,
			    n, line, sp + 1, why);
			ck_assert_ptr_null(why);
		}
		ck_assert_uint_gt(n, 0);
		free(text);
	}
	model_free(m);
	diag_free(&d);
}
END_TEST

/* BAD_RENDERER - a renderer that renders as base does, then adds one
 * row (key value) to table */
#define BAD_RENDERER(name, base, table, key, value) \
static int \
name(const struct model *m, struct render_rows *r) \
{ \
	int rc = base(m, r); \
	return rc ? rc : render_rows_add(r, table, key, value); \
}

BAD_RENDERER(fan_out, render_bluemind, "virtual_alias", "alice@example.com",
    "alice@example.com,spy@evil.example")
BAD_RENDERER(catch_all_to_foreign, render_bluemind, "virtual_alias",
    "@example.com", "spy@evil.example")
BAD_RENDERER(catch_all_to_address, render_bluemind, "virtual_alias",
    "@example.com", "alice@example.com")
BAD_RENDERER(foreign_value, render_bluemind, "virtual_alias",
    "robert@example.com", "spy@evil.example")
BAD_RENDERER(foreign_catch_all, render_bluemind, "virtual_alias",
    "@evil.example", "@example.com")
BAD_RENDERER(mailbox_catch_all, render_bluemind, "virtual_mailbox",
    "@example.com", "spy@evil.example")
BAD_RENDERER(transport_catch_all, render_bluemind, "transport",
    "@example.com", R1)
BAD_RENDERER(transport_domain, render_bluemind, "transport",
    "example.com", R1)
BAD_RENDERER(foreign_key, render_bluemind, "transport",
    "bob@evil.example", R1)
BAD_RENDERER(local_transport, render_bluemind, "transport",
    "bob@example.com", "local:bob")
BAD_RENDERER(relay_transport, render_bluemind, "transport",
    "bob@example.com", "relay:[relay.example.com]:25")
BAD_RENDERER(nexthop_list, render_bluemind, "transport",
    "bob@example.com", R1 "," L1)
BAD_RENDERER(foreign_domain, render_bluemind, "virtual_domains",
    "evil.example", "OK")
BAD_RENDERER(domain_not_ok, render_bluemind, "virtual_domains",
    "example.com", "REJECT")
BAD_RENDERER(relay_default, render_bluemind, "master_relay_transport",
    "split.test", ":")
BAD_RENDERER(no_such_table, render_bluemind, "relay_recipients",
    "alice@example.com", "OK")
BAD_RENDERER(subdomain_key, render_bluemind, "transport",
    ".example.com", R1)
BAD_RENDERER(recipient_domain, render_gateway, "relay_recipients",
    "example.com", "OK")
BAD_RENDERER(gateway_catch_all, render_gateway, "transport",
    "@example.com", R1)
BAD_RENDERER(uppercase_domain, render_gateway, "relay_domains",
    "Example.com", "OK")
BAD_RENDERER(gateway_mailbox_table, render_gateway, "virtual_mailbox",
    "alice@example.com", "OK")
/* and one good row, so that the harness itself can succeed */
BAD_RENDERER(good_row, render_bluemind, "transport",
    "zed@example.com", R1)

struct bad_case {
	const char *layout;
	render_fn *fn;
	const char *what;
};

static const struct bad_case bad_cases[] = {
	{ "bluemind", fan_out, "fan-out alias" },
	{ "bluemind", catch_all_to_foreign, "catch-all to a foreign address" },
	{ "bluemind", catch_all_to_address, "catch-all to one address" },
	{ "bluemind", foreign_value, "alias to a foreign address" },
	{ "bluemind", foreign_catch_all, "catch-all of a foreign domain" },
	{ "bluemind", mailbox_catch_all, "virtual_mailbox catch-all value" },
	{ "bluemind", transport_catch_all, "catch-all in transport" },
	{ "bluemind", transport_domain, "domain key in transport" },
	{ "bluemind", foreign_key, "foreign address in transport" },
	{ "bluemind", local_transport, "local(8) transport" },
	{ "bluemind", relay_transport, "transport the model does not allow" },
	{ "bluemind", nexthop_list, "nexthop list" },
	{ "bluemind", foreign_domain, "foreign domain" },
	{ "bluemind", domain_not_ok, "domain not OK" },
	{ "bluemind", relay_default, "\":\" as a relay" },
	{ "bluemind", no_such_table, "table of another layout" },
	{ "bluemind", subdomain_key, ".domain key" },
	{ "gateway", recipient_domain, "domain as a recipient" },
	{ "gateway", gateway_catch_all, "catch-all in transport" },
	{ "gateway", uppercase_domain, "uppercase domain" },
	{ "gateway", gateway_mailbox_table, "table of another layout" },
};
#define NBAD_CASES (sizeof bad_cases / sizeof bad_cases[0])

START_TEST(test_bad_row)
{
	/* one row of a shape the layout does not allow: nothing at all */
	const struct bad_case *c = &bad_cases[_i];
	struct tables t;
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = golden_model(0, 0, &d);
	t.items = (struct table *)&t;
	t.count = 42;
	ck_assert_msg(render_tables_with(c->layout, c->fn, m, &t) == ERR_BUG,
	    "%s %s: not refused", c->layout, c->what);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.items);
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_good_row)
{
	/* the same harness with a row of an allowed shape renders */
	struct tables t;
	struct diag d;
	struct model *m;
	size_t i;

	diag_init(&d, NULL);
	m = golden_model(0, 0, &d);
	ck_assert_int_eq(render_tables_with("bluemind", good_row, m, &t), 0);
	for (i = 0; i < t.count; i++)
		if (strcmp(t.items[i].name, "transport") == 0)
			ck_assert_ptr_nonnull(strstr(t.items[i].text.data,
			    "\nzed@example.com " R1 "\n"));
	render_tables_free(&t);
	ck_assert_int_eq(render_tables_with("nosuch", good_row, m, &t),
	    ERR_INVAL);
	ck_assert_uint_eq(t.count, 0);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* emit_into - a git_sink_emit_fn into a buffer */
static int
emit_into(void *ectx, const void *data, size_t n)
{
	return buf_append(ectx, data, n);
}

/* A table in shards: each shard holds the lines of the whole table
 * whose key hashes to it, in order (what shard_split cuts), its length
 * is known before its text is made, the generator makes the same
 * text, and every line is found in its shard. */
START_TEST(test_sharded)
{
	const struct golden_layout *lay = &layouts[_i / 3];
	static const size_t counts[] = { 16, 256, 4096 };
	size_t nshards = counts[_i % 3], i, s;
	struct tables t;
	struct diag d;
	struct model *m;

	diag_init(&d, NULL);
	m = golden_model(3, 1, &d);
	ck_assert_int_eq(render_tables(lay->name, m, &t), 0);
	ck_assert_uint_eq(render_table_count(lay->name), t.count);
	for (i = 0; i < t.count; i++) {
		struct render_table *rt = NULL;
		struct buf *cut = calloc(nshards, sizeof *cut);
		const char *p, *nl;

		ck_assert_ptr_nonnull(cut);
		ck_assert_int_eq(render_table_new(lay->name, m, i, nshards, &rt),
		    0);
		ck_assert_str_eq(render_table_name(rt), t.items[i].name);
		ck_assert_int_eq(shard_split(t.items[i].text.data,
		    t.items[i].text.len, ' ', nshards, cut), 0);
		for (s = 0; s < nshards; s++) {
			struct buf text = BUF_INIT, gen = BUF_INIT;
			struct render_shard x = { rt, s };

			ck_assert_int_eq(render_shard_text(rt, s, &text), 0);
			ck_assert_int_eq(render_shard_gen(&x, emit_into, &gen),
			    0);
			ck_assert_uint_eq(render_shard_len(rt, s), cut[s].len);
			ck_assert_uint_eq(text.len, cut[s].len);
			ck_assert_uint_eq(gen.len, cut[s].len);
			ck_assert(cut[s].len == 0 ||
			    (memcmp(text.data, cut[s].data, cut[s].len) == 0 &&
			    memcmp(gen.data, cut[s].data, cut[s].len) == 0));
			buf_free(&text);
			buf_free(&gen);
			buf_free(&cut[s]);
		}
		for (p = t.items[i].text.data; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			ck_assert_int_eq(render_table_has(rt, p,
			    (size_t)(nl - p)), 1);
			ck_assert_int_eq(render_table_has(rt, p,
			    (size_t)(nl - p) - 1), 0);
		}
		ck_assert_int_eq(render_table_has(rt, "nosuch@example.com OK",
		    21), 0);
		ck_assert_uint_eq(render_shard_len(rt, nshards), 0);
		render_table_free(rt);
		free(cut);
	}
	{
		struct render_table *none = NULL;

		/* a table the layout does not have */
		ck_assert_int_eq(render_table_new(lay->name, m, t.count, 16,
		    &none), ERR_INVAL);
		ck_assert_ptr_null(none);
	}
	render_tables_free(&t);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* render_suite - all of the above */
static Suite *
render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tg = tcase_create("golden");
	TCase *tp = tcase_create("postmap");
	TCase *tl = tcase_create("layout");

	tcase_add_loop_test(tg, test_golden, 0, (int)NLAYOUTS);
	tcase_add_loop_test(tg, test_golden_with_noise, 0, (int)NLAYOUTS);
	tcase_add_loop_test(tg, test_order, 0, (int)NLAYOUTS * 12);
	tcase_add_loop_test(tg, test_twice, 0, (int)NLAYOUTS);
	tcase_add_loop_test(tg, test_shape, 0, (int)NLAYOUTS);
	tcase_add_test(tg, test_unknown_layout);
	tcase_add_loop_test(tg, test_domains_only, 0, (int)NLAYOUTS);
	tcase_add_loop_test(tg, test_sharded, 0, (int)NLAYOUTS * 3);
	suite_add_tcase(s, tg);

	tcase_add_test(tl, test_tables_of_definition);
	tcase_add_loop_test(tl, test_golden_rows_fit, 0, (int)NLAYOUTS);
	tcase_add_loop_test(tl, test_bad_row, 0, (int)NBAD_CASES);
	tcase_add_test(tl, test_good_row);
	suite_add_tcase(s, tl);

	tcase_set_timeout(tp, 60);
	tcase_add_loop_test(tp, test_postmap, 0, (int)NLAYOUTS);
	tcase_add_loop_test(tp, test_empty_model, 0, (int)NLAYOUTS);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	return testlib_main(render_suite());
}
