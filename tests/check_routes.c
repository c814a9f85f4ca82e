/*
 * check_routes - the route listing: from the model, text form, changes
 *
 * The listing's rows are checked field by field against what the
 * model holds; the text form is checked byte for byte (hostile DNs
 * included) and read back; malformed listings are refused with
 * "name:line"; changes and their one-line descriptions are compared
 * with exact strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "model.h"
#include "listing.h"
#include "routes.h"
#include "shard.h"
#include "testlib.h"
#include "vec.h"

#define R1 "smtp:[relay.example.com]:25"
#define L1 "lmtp:[core.example.com]:2400"
#define R2 "smtp:[old.split.test]:25"
#define N4 "lmtp:[core2.example.com]:2400"
#define N5 "smtp:[mx.partner.example]:25"

#define DA "uid=alice,ou=people,dc=example,dc=com"
#define DB "uid=bob,ou=people,dc=example,dc=com"
#define DF "uid=frank,ou=people,dc=split,dc=test"
#define DSPLIT "cn=split.test,ou=domains,dc=example,dc=com"

static const char *const transports[] = { "smtp", "lmtp" };

/* Plain row values for tables of expected rows. */
struct row {
	const char *key, *kind, *nexthop, *id, *dn;
};

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

/* add_dom - one domain spec */
static void
add_dom(struct model *m, const char *name, const char *a1, const char *a2,
    const char *relay, int fu, const char *local, const char *origin,
    struct diag *d)
{
	struct domain_spec s;

	memset(&s, 0, sizeof s);
	s.name = xstrdup(name);
	s.aliases = calloc(2, sizeof *s.aliases);
	ck_assert_ptr_nonnull(s.aliases);
	if (a1)
		s.aliases[s.naliases++] = xstrdup(a1);
	if (a2)
		s.aliases[s.naliases++] = xstrdup(a2);
	s.relay = xstrdup(relay);
	s.forward_unknown = fu;
	s.local = xstrdup(local);
	s.origin = xstrdup(origin);
	ck_assert_int_eq(model_add_domain(m, &s, d), 0);
	domain_spec_clear(&s);
}

/* add_mb - one mailbox spec with up to three addresses */
static void
add_mb(struct model *m, const char *id, const char *dn,
    enum route_kind route, const char *nexthop, const char *a1,
    const char *a2, const char *a3, struct diag *d)
{
	struct mailbox_spec s;

	memset(&s, 0, sizeof s);
	s.id = xstrdup(id);
	s.dn = xstrdup(dn);
	s.addresses = calloc(3, sizeof *s.addresses);
	ck_assert_ptr_nonnull(s.addresses);
	if (a1)
		s.addresses[s.naddresses++] = xstrdup(a1);
	if (a2)
		s.addresses[s.naddresses++] = xstrdup(a2);
	if (a3)
		s.addresses[s.naddresses++] = xstrdup(a3);
	s.route = route;
	s.nexthop = xstrdup(nexthop);
	ck_assert_int_eq(model_add_mailbox(m, &s, d), 0);
	mailbox_spec_clear(&s);
}

/* make_routes - a listing holding copies of rows (in the order given) */
static void
make_routes(struct routes *r, const struct row *rows, size_t n)
{
	size_t i;

	r->rows = calloc(n ? n : 1, sizeof *r->rows);
	ck_assert_ptr_nonnull(r->rows);
	for (i = 0; i < n; i++) {
		r->rows[i].key = xstrdup(rows[i].key);
		r->rows[i].kind = xstrdup(rows[i].kind);
		r->rows[i].nexthop = xstrdup(rows[i].nexthop);
		r->rows[i].id = xstrdup(rows[i].id);
		r->rows[i].dn = xstrdup(rows[i].dn);
	}
	r->count = n;
}

/* check_rows - r holds exactly rows, in order */
static void
check_rows(const struct routes *r, const struct row *rows, size_t n)
{
	size_t i;

	ck_assert_uint_eq(r->count, n);
	for (i = 0; i < n; i++) {
		const struct route_row *g = &r->rows[i];

		ck_assert_msg(strcmp(g->key, rows[i].key) == 0,
		    "row %zu: key %s, expected %s", i, g->key, rows[i].key);
		ck_assert_msg(strcmp(g->kind, rows[i].kind) == 0,
		    "%s: kind %s, expected %s", g->key, g->kind, rows[i].kind);
		ck_assert_msg(strcmp(g->nexthop, rows[i].nexthop) == 0,
		    "%s: nexthop %s, expected %s", g->key, g->nexthop,
		    rows[i].nexthop);
		ck_assert_msg(strcmp(g->id, rows[i].id) == 0,
		    "%s: id %s, expected %s", g->key, g->id, rows[i].id);
		ck_assert_msg(strcmp(g->dn, rows[i].dn) == 0,
		    "%s: dn %s, expected %s", g->key, g->dn, rows[i].dn);
	}
}

/* copy_row - a deep copy of a row */
static void
copy_row(struct route_row *to, const struct route_row *from)
{
	to->key = xstrdup(from->key);
	to->kind = xstrdup(from->kind);
	to->nexthop = xstrdup(from->nexthop);
	to->id = xstrdup(from->id);
	to->dn = xstrdup(from->dn);
}

/* row_key_cmp - rows by key */
static int
row_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct route_row *)a)->key,
	    ((const struct route_row *)b)->key);
}

/*
 * routes_from_model
 */

START_TEST(test_from_model)
{
	/* every address, every domain's unknown recipients, every alias
	 * domain; the id left empty when it is the DN */
	static const struct row want[] = {
		{ "@example.com", "unknown-reject", "", "", "mapping.xml:12" },
		{ "@example.net", "alias-domain", "example.com", "",
		    "mapping.xml:12" },
		{ "@example.org", "alias-domain", "example.com", "",
		    "mapping.xml:12" },
		{ "@plain.example", "unknown-reject", "", "", "" },
		{ "@split.example", "alias-domain", "split.test", "", DSPLIT },
		{ "@split.test", "unknown-relay", R2, "", DSPLIT },
		{ "alice.smith@example.com", "internal", L1, "uuid-alice", DA },
		{ "alice@example.com", "internal", L1, "uuid-alice", DA },
		{ "alice@example.net", "internal", L1, "uuid-alice", DA },
		{ "bob@example.com", "external", N5, "uuid-bob", DB },
		{ "frank@plain.example", "internal", "", "", DF },
		{ "frank@split.test", "internal", "", "", DF },
	};
	struct routes r;
	struct diag d;
	struct model *m = NULL;

	diag_init(&d, NULL);
	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	/* aliases given unsorted; a relay that is not used for unknown
	 * recipients does not show */
	add_dom(m, "example.com", "example.org", "example.net", R1, 0, L1,
	    "mapping.xml:12", &d);
	add_dom(m, "split.test", "split.example", NULL, R2, 1, NULL, DSPLIT,
	    &d);
	add_dom(m, "plain.example", NULL, NULL, NULL, 0, NULL, NULL, &d);
	add_mb(m, DF, DF, ROUTE_INTERNAL, NULL, "frank@split.test",
	    "frank@plain.example", NULL, &d);
	add_mb(m, "uuid-bob", DB, ROUTE_EXTERNAL, N5, "bob@example.com",
	    "alice@example.net", NULL, &d);
	add_mb(m, "uuid-alice", DA, ROUTE_INTERNAL, NULL, "alice@example.com",
	    "alice.smith@example.com", "alice@example.net", &d);
	/* uuid-alice < uuid-bob: alice keeps alice@example.net */
	add_mb(m, "uuid-zed", "uid=zed,dc=example,dc=com", ROUTE_NONE, NULL,
	    "zed@example.com", NULL, NULL, &d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_uint_eq(d.nconflicts, 1);

	ck_assert_int_eq(routes_from_model(m, &r), 0);
	/* the conflict went to the smallest id */
	ck_assert_ptr_nonnull(routes_find(&r, "alice@example.net"));
	ck_assert_str_eq(routes_find(&r, "alice@example.net")->id,
	    "uuid-alice");
	check_rows(&r, want, sizeof want / sizeof want[0]);
	ck_assert_ptr_null(routes_find(&r, "zed@example.com"));
	ck_assert_ptr_null(routes_find(&r, "example.com"));
	ck_assert_ptr_null(routes_find(&r, ""));
	ck_assert_str_eq(routes_find(&r, "@split.test")->kind, "unknown-relay");
	ck_assert_str_eq(routes_find(&r, "frank@split.test")->key,
	    "frank@split.test");
	routes_clear(&r);
	ck_assert_uint_eq(r.count, 0);
	ck_assert_ptr_null(r.rows);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_from_empty_model)
{
	struct routes r;
	struct buf b = BUF_INIT;
	struct diag d;
	struct model *m = NULL;

	diag_init(&d, NULL);
	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	add_dom(m, "example.com", NULL, NULL, NULL, 0, NULL, "f:1", &d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_int_eq(routes_from_model(m, &r), 0);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(routes_format(&r, &b), 0);
	ck_assert_str_eq(b.data, "@example.com\tunknown-reject\t\t\tf:1\n");
	buf_free(&b);
	routes_clear(&r);
	model_free(m);
	diag_free(&d);
}
END_TEST

/*
 * Text form
 */

static const struct row hostile_rows[] = {
	{ "@example.com", "unknown-reject", "", "", "mapping.xml:3" },
	{ "a@example.com", "internal", L1, "",
	    "cn=tab\there,dc=example,dc=com" },
	{ "b@example.com", "external", R1, "uuid-b",
	    "cn=line\nbreak,dc=example,dc=com" },
	{ "c@example.com", "internal", "", "100%",
	    "cn=100%,dc=example,dc=com" },
	{ "d@example.com", "internal", "", "",
	    "cn=\001\037\177\033[1m,dc=example,dc=com" },
	{ "e@example.com", "internal", "", "",
	    "cn=caf\xc3\xa9 \\2C x,dc=example,dc=com" },
	{ "f@example.com", "internal", "", "%25",
	    "cn=cr\r\nlf%0A,dc=example,dc=com" },
};
#define NHOSTILE (sizeof hostile_rows / sizeof hostile_rows[0])

static const char hostile_text[] =
    "@example.com\tunknown-reject\t\t\tmapping.xml:3\n"
    "a@example.com\tinternal\t" L1 "\t\tcn=tab%09here,dc=example,dc=com\n"
    "b@example.com\texternal\t" R1 "\tuuid-b\t"
    "cn=line%0Abreak,dc=example,dc=com\n"
    "c@example.com\tinternal\t\t100%25\tcn=100%25,dc=example,dc=com\n"
    "d@example.com\tinternal\t\t\tcn=%01%1F%7F%1B[1m,dc=example,dc=com\n"
    "e@example.com\tinternal\t\t\tcn=caf\xc3\xa9 \\2C x,dc=example,dc=com\n"
    "f@example.com\tinternal\t\t%2525\tcn=cr%0D%0Alf%250A,dc=example,dc=com\n";

START_TEST(test_format)
{
	struct routes r;
	struct buf b = BUF_INIT;

	make_routes(&r, hostile_rows, NHOSTILE);
	ck_assert_int_eq(routes_format(&r, &b), 0);
	ck_assert_uint_eq(b.len, sizeof hostile_text - 1);
	ck_assert_str_eq(b.data, hostile_text);
	buf_free(&b);
	routes_clear(&r);
}
END_TEST

START_TEST(test_round_trip)
{
	struct routes r, back;
	struct buf b = BUF_INIT, b2 = BUF_INIT;
	struct diag d;

	diag_init(&d, NULL);
	make_routes(&r, hostile_rows, NHOSTILE);
	ck_assert_int_eq(routes_format(&r, &b), 0);
	ck_assert_int_eq(routes_parse("routes", b.data, b.len, &back, &d), 0);
	ck_assert_uint_eq(d.count, 0);
	check_rows(&back, hostile_rows, NHOSTILE);
	/* and the text is stable */
	ck_assert_int_eq(routes_format(&back, &b2), 0);
	ck_assert_uint_eq(b2.len, b.len);
	ck_assert(memcmp(b.data, b2.data, b.len) == 0);
	ck_assert_ptr_nonnull(routes_find(&back, "c@example.com"));
	ck_assert_str_eq(routes_find(&back, "c@example.com")->dn,
	    "cn=100%,dc=example,dc=com");
	buf_free(&b);
	buf_free(&b2);
	routes_clear(&r);
	routes_clear(&back);
	diag_free(&d);
}
END_TEST

START_TEST(test_round_trip_model)
{
	/* a model with a DN full of odd bytes goes through the listing
	 * unchanged */
	static const char *dn = "cn=a\tb\nc%d\001e,dc=example,dc=com";
	struct routes r, back;
	struct buf b = BUF_INIT;
	struct diag d;
	struct model *m = NULL;

	diag_init(&d, NULL);
	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	add_dom(m, "example.com", "example.net", NULL, R1, 1, NULL,
	    "f\t%:1", &d);
	add_mb(m, dn, dn, ROUTE_EXTERNAL, NULL, "a@example.com", NULL, NULL,
	    &d);
	add_mb(m, "uuid%b", dn, ROUTE_INTERNAL, L1, "b@example.net", NULL,
	    NULL, &d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	ck_assert_int_eq(routes_from_model(m, &r), 0);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(routes_format(&r, &b), 0);
	ck_assert_str_eq(b.data,
	    "@example.com\tunknown-relay\t" R1 "\t\tf%09%25:1\n"
	    "@example.net\talias-domain\texample.com\t\tf%09%25:1\n"
	    "a@example.com\texternal\t" R1 "\t\t"
	    "cn=a%09b%0Ac%25d%01e,dc=example,dc=com\n"
	    "b@example.net\tinternal\t" L1 "\tuuid%25b\t"
	    "cn=a%09b%0Ac%25d%01e,dc=example,dc=com\n");
	ck_assert_int_eq(routes_parse("routes", b.data, b.len, &back, &d), 0);
	ck_assert_uint_eq(back.count, r.count);
	ck_assert_str_eq(back.rows[2].dn, dn);
	ck_assert_str_eq(back.rows[2].id, "");
	ck_assert_str_eq(back.rows[3].id, "uuid%b");
	ck_assert_str_eq(back.rows[0].dn, "f\t%:1");
	buf_free(&b);
	routes_clear(&r);
	routes_clear(&back);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_parse_forms)
{
	/* lowercase hex is read too; an empty listing is no rows */
	static const char text[] =
	    "a@example.com\tinternal\t\t\tcn=x%0ay%7fz\n"
	    "b@example.com\texternal\tsmtp:[r.example.com]:25\tid\t\n";
	struct routes r;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(routes_parse("routes", text, sizeof text - 1, &r, &d),
	    0);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_str_eq(r.rows[0].dn, "cn=x\ny\177z");
	ck_assert_str_eq(r.rows[1].nexthop, "smtp:[r.example.com]:25");
	ck_assert_str_eq(r.rows[1].dn, "");
	routes_clear(&r);
	ck_assert_int_eq(routes_parse("routes", "", 0, &r, &d), 0);
	ck_assert_uint_eq(r.count, 0);
	routes_clear(&r);
	ck_assert_uint_eq(d.count, 0);
	diag_free(&d);
}
END_TEST

struct pcase {
	const char *label;
	const char *data;
	size_t len;             /* 0: strlen */
	size_t line;            /* expected in "name:line:" */
};

#define GOOD1 "a@example.com\tinternal\t\t\tcn=a\n"
#define GOOD2 "b@example.com\tinternal\t\t\tcn=b\n"
/* a NUL byte as such, not escaped: nothing may be cut short */
#define RAWNUL1 "a@example.com\tinternal\t\t\tcn=a\0b\n"
#define RAWNUL2 GOOD1 "b@example.com\0x\tinternal\t\t\tcn=b\n"

static const struct pcase pcases[] = {
	{ "missing newline", "a@example.com\tinternal\t\t\tcn=a", 0, 1 },
	{ "missing newline, second line", GOOD1 "b@example.com\tinternal\t\t\t",
	    0, 2 },
	{ "four fields", "a@example.com\tinternal\t\tcn=a\n", 0, 1 },
	{ "six fields", "a@example.com\tinternal\t\t\tcn=a\textra\n", 0, 1 },
	{ "one field", "a@example.com\n", 0, 1 },
	{ "empty line", GOOD1 "\n" GOOD2, 0, 2 },
	{ "wrong count, third line", GOOD1 GOOD2 "c@example.com\tx\n", 0, 3 },
	{ "percent at end", "a@example.com\tinternal\t\t\tcn=a%\n", 0, 1 },
	{ "short escape", "a@example.com\tinternal\t\t\tcn=a%4\n", 0, 1 },
	{ "short escape before tab", "a@example.com%4\tinternal\t\t\tcn=a\n",
	    0, 1 },
	{ "not hex", GOOD1 "b@example.com\tinternal\t\t\tcn=%zz\n", 0, 2 },
	{ "half hex", "a@example.com\tinternal\t\t\tcn=%0g\n", 0, 1 },
	{ "escaped NUL", "a@example.com\tinternal\t\t%00\tcn=a\n", 0, 1 },
	{ "escaped NUL in key", "a%00@example.com\tinternal\t\t\tcn=a\n", 0,
	    1 },
	{ "keys out of order", GOOD2 GOOD1, 0, 2 },
	{ "duplicate key", GOOD1 GOOD1, 0, 2 },
	{ "out of order later", GOOD1 GOOD2 GOOD1, 0, 3 },
	{ "raw NUL byte", RAWNUL1, sizeof RAWNUL1 - 1, 1 },
	{ "raw NUL in key", RAWNUL2, sizeof RAWNUL2 - 1, 2 },
};

START_TEST(test_parse_errors)
{
	const struct pcase *t = &pcases[_i];
	size_t len = t->len ? t->len : strlen(t->data);
	struct routes r = { (struct route_row *)1, 99 };
	struct diag d;
	char prefix[64];
	int rc;

	diag_init(&d, NULL);
	rc = routes_parse("listing", t->data, len, &r, &d);
	ck_assert_msg(rc == ERR_DATA, "%s: rc %d", t->label, rc);
	/* nothing half-read is handed back */
	ck_assert_uint_eq(r.count, 0);
	ck_assert_ptr_null(r.rows);
	ck_assert_uint_eq(d.nerrors, 1);
	snprintf(prefix, sizeof prefix, "listing:%zu: ", t->line);
	ck_assert_msg(strncmp(diag_last_error(&d), prefix,
	    strlen(prefix)) == 0, "%s: \"%s\" does not start with \"%s\"",
	    t->label, diag_last_error(&d), prefix);
	diag_free(&d);
}
END_TEST

/*
 * Changes
 */

struct chg {
	char op;
	const char *key;
};

START_TEST(test_domains)
{
	/* An address in an alias domain counts for the domain it is an
	 * alias of; one outside every managed domain for none. */
	static const char text[] =
	    "@alias.test\talias-domain\texample.com\t\tm:1\n"
	    "@example.com\tunknown-reject\t\t\tm:1\n"
	    "@split.test\tunknown-relay\t" R2 "\t\tm:2\n"
	    "a@alias.test\tinternal\t\t\t" DA "\n"
	    "a@example.com\tinternal\t\t\t" DA "\n"
	    "b@example.com\texternal\t" R1 "\t\t" DB "\n"
	    "f@split.test\tinternal\t\t\t" DF "\n"
	    "x@elsewhere.test\tinternal\t\t\t" DF "\n";
	struct routes r;
	struct routes_domain *v;
	struct diag d;
	size_t n;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	diag_init(&d, NULL);
	ck_assert_int_eq(routes_parse("routes", text, sizeof text - 1, &r, &d),
	    0);
	ck_assert_int_eq(routes_domains(&r, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].name, "example.com");
	ck_assert_uint_eq(v[0].internal, 2);
	ck_assert_uint_eq(v[0].external, 1);
	ck_assert_int_eq(v[0].relayed, 0);
	ck_assert_str_eq(v[1].name, "split.test");
	ck_assert_uint_eq(v[1].internal, 1);
	ck_assert_int_eq(v[1].relayed, 1);
	free(v);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(routes_print_domains(f, &r), 0);
	fclose(f);
	ck_assert_str_eq(out, "domain example.com: 2 internal, 1 external, "
	    "unknown recipients rejected\ndomain split.test: 1 internal, 0 "
	    "external, unknown recipients relayed\n");
	free(out);
	routes_clear(&r);
	/* No listing: no domain. */
	ck_assert_int_eq(routes_domains(&r, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	diag_free(&d);
}
END_TEST

START_TEST(test_diff)
{
	static const struct row old_rows[] = {
		{ "@example.com", "unknown-reject", "", "", "f:1" },
		{ "a@example.com", "internal", L1, "", "uid=a" },
		{ "b@example.com", "internal", L1, "idb", "uid=b" },
		{ "c@example.com", "external", R1, "idc", "uid=c" },
		{ "d@example.com", "internal", L1, "idd", "uid=d" },
		{ "e@example.com", "internal", L1, "ide", "uid=e" },
		{ "g@example.com", "internal", L1, "idg", "uid=g" },
		{ "h@example.com", "internal", L1, "idh", "uid=h" },
	};
	static const struct row new_rows[] = {
		{ "@example.com", "unknown-relay", R1, "", "f:1" },
		{ "a@example.com", "internal", L1, "", "uid=a" },
		{ "b@example.com", "external", R1, "idb", "uid=b" },
		{ "bb@example.com", "internal", "", "", "uid=bb" },
		{ "d@example.com", "internal", N4, "idd", "uid=d" },
		{ "e@example.com", "internal", L1, "ide", "ou=moved,uid=e" },
		{ "g@example.com", "internal", L1, "idz", "uid=z" },
		{ "z@example.com", "external", R1, "idz", "uid=z" },
	};
	static const struct chg want[] = {
		{ '~', "@example.com" },   /* kind and nexthop */
		{ '~', "b@example.com" },  /* internal -> external */
		{ '+', "bb@example.com" },
		{ '-', "c@example.com" },
		{ '~', "d@example.com" },  /* nexthop */
		{ '~', "g@example.com" },  /* another owner */
		{ '-', "h@example.com" },
		{ '+', "z@example.com" },
	};
	struct routes o, n;
	struct route_change *ch = NULL;
	size_t nch = 99, i;

	make_routes(&o, old_rows, sizeof old_rows / sizeof old_rows[0]);
	make_routes(&n, new_rows, sizeof new_rows / sizeof new_rows[0]);
	ck_assert_int_eq(routes_diff(&o, &n, &ch, &nch), 0);
	ck_assert_uint_eq(nch, sizeof want / sizeof want[0]);
	for (i = 0; i < nch; i++) {
		const struct route_change *c = &ch[i];

		ck_assert_msg(c->op == want[i].op, "change %zu: op %c, "
		    "expected %c", i, c->op, want[i].op);
		switch (c->op) {
		case '+':
			ck_assert_ptr_null(c->old);
			ck_assert_ptr_nonnull(c->new);
			ck_assert_str_eq(c->new->key, want[i].key);
			ck_assert_ptr_eq(c->new, routes_find(&n, want[i].key));
			break;
		case '-':
			ck_assert_ptr_nonnull(c->old);
			ck_assert_ptr_null(c->new);
			ck_assert_str_eq(c->old->key, want[i].key);
			ck_assert_ptr_eq(c->old, routes_find(&o, want[i].key));
			break;
		default:
			ck_assert_ptr_nonnull(c->old);
			ck_assert_ptr_nonnull(c->new);
			ck_assert_str_eq(c->old->key, want[i].key);
			ck_assert_str_eq(c->new->key, want[i].key);
			ck_assert_ptr_eq(c->old, routes_find(&o, want[i].key));
			ck_assert_ptr_eq(c->new, routes_find(&n, want[i].key));
			break;
		}
	}
	free(ch);

	/* no change at all; and from or to an empty listing */
	ck_assert_int_eq(routes_diff(&o, &o, &ch, &nch), 0);
	ck_assert_uint_eq(nch, 0);
	free(ch);
	{
		struct routes empty = { NULL, 0 };

		ck_assert_int_eq(routes_diff(&empty, &n, &ch, &nch), 0);
		ck_assert_uint_eq(nch, n.count);
		for (i = 0; i < nch; i++)
			ck_assert_int_eq(ch[i].op, '+');
		free(ch);
		ck_assert_int_eq(routes_diff(&o, &empty, &ch, &nch), 0);
		ck_assert_uint_eq(nch, o.count);
		for (i = 0; i < nch; i++) {
			ck_assert_int_eq(ch[i].op, '-');
			ck_assert_ptr_eq(ch[i].old, &o.rows[i]);
		}
		free(ch);
		ck_assert_int_eq(routes_diff(&empty, &empty, &ch, &nch), 0);
		ck_assert_uint_eq(nch, 0);
		free(ch);
	}
	routes_clear(&o);
	routes_clear(&n);
}
END_TEST

START_TEST(test_diff_owner_without_uuid)
{
	/* Without entryUUID the DN is the id (and the id field is left
	 * empty): another DN taking the address is another owner, as
	 * another id would be. */
	static const struct row old_rows[] = {
		{ "a@example.com", "internal", L1, "",
		    "uid=a,dc=example,dc=com" },
	};
	static const struct row new_rows[] = {
		{ "a@example.com", "internal", L1, "",
		    "uid=mallory,dc=example,dc=com" },
	};
	struct routes o, n;
	struct route_change *ch = NULL;
	size_t nch = 99;

	make_routes(&o, old_rows, 1);
	make_routes(&n, new_rows, 1);
	ck_assert_int_eq(routes_diff(&o, &n, &ch, &nch), 0);
	ck_assert_msg(nch == 1, "owner change without entryUUID not listed");
	ck_assert_int_eq(ch[0].op, '~');
	free(ch);
	routes_clear(&o);
	routes_clear(&n);
}
END_TEST

struct dcase {
	char op;
	struct row old, new;
	const char *text;
};

#define NOROW { NULL, NULL, NULL, NULL, NULL }

static const struct dcase dcases[] = {
	{ '+', NOROW, { "a@example.com", "internal", L1, "", "uid=a,dc=x" },
	    "+ a@example.com: internal " L1 " (uid=a,dc=x)" },
	{ '-', { "b@example.com", "external", R1, "idb", "uid=b,dc=x" }, NOROW,
	    "- b@example.com: external " R1 " (uid=b,dc=x)" },
	{ '~', { "c@example.com", "internal", L1, "idc", "uid=c,dc=x" },
	    { "c@example.com", "external", R1, "idc", "uid=c2,dc=x" },
	    "~ c@example.com: internal " L1 " -> external " R1
	    " (uid=c2,dc=x)" },
	{ '~', { "d@example.com", "internal", "", "", "uid=d,dc=x" },
	    { "d@example.com", "external", R2, "", "uid=d,dc=x" },
	    "~ d@example.com: internal -> external " R2 " (uid=d,dc=x)" },
	{ '~', { "e@example.com", "external", R2, "", "uid=e,dc=x" },
	    { "e@example.com", "internal", "", "", "uid=e,dc=x" },
	    "~ e@example.com: external " R2 " -> internal (uid=e,dc=x)" },
	{ '+', NOROW, { "f@example.com", "internal", "", "", "uid=f,dc=x" },
	    "+ f@example.com: internal (uid=f,dc=x)" },
	{ '+', NOROW, { "@split.test", "unknown-relay", R2, "", "f.xml:3" },
	    "+ @split.test: unknown-relay " R2 " (f.xml:3)" },
	{ '+', NOROW, { "@example.net", "alias-domain", "example.com", "",
	    "f.xml:3" }, "+ @example.net: alias-domain example.com (f.xml:3)" },
	{ '-', { "@plain.example", "unknown-reject", "", "", "" }, NOROW,
	    "- @plain.example: unknown-reject" },
	{ '+', NOROW, { "g@example.com", "internal", "", "",
	    "cn=g\nh\tI\033,dc=x" },
	    "+ g@example.com: internal (cn=g\\x0ah\\x09I\\x1b,dc=x)" },
	{ '+', NOROW, { "h@example.com", "internal", "", "", "cn=caf\xc3\xa9" },
	    "+ h@example.com: internal (cn=caf\xc3\xa9)" },
};

START_TEST(test_describe)
{
	const struct dcase *t = &dcases[_i];
	struct route_row o, n;
	struct route_change c;
	struct buf b = BUF_INIT;

	o.key = (char *)t->old.key;
	o.kind = (char *)t->old.kind;
	o.nexthop = (char *)t->old.nexthop;
	o.id = (char *)t->old.id;
	o.dn = (char *)t->old.dn;
	n.key = (char *)t->new.key;
	n.kind = (char *)t->new.kind;
	n.nexthop = (char *)t->new.nexthop;
	n.id = (char *)t->new.id;
	n.dn = (char *)t->new.dn;
	c.op = t->op;
	c.old = t->old.key ? &o : NULL;
	c.new = t->new.key ? &n : NULL;
	ck_assert_int_eq(routes_describe(&c, &b), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, t->text);
	/* it appends */
	ck_assert_int_eq(routes_describe(&c, &b), 0);
	ck_assert_uint_eq(b.len, 2 * strlen(t->text));
	ck_assert(strncmp(b.data + strlen(t->text), t->text,
	    strlen(t->text)) == 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_describe_diff)
{
	/* the descriptions of a real diff, end to end */
	static const struct row old_rows[] = {
		{ "a@example.com", "internal", L1, "ida", "uid=a" },
		{ "b@example.com", "internal", L1, "idb", "uid=b" },
	};
	static const struct row new_rows[] = {
		{ "a@example.com", "external", R1, "ida", "uid=a" },
		{ "c@example.com", "internal", "", "idc", "uid=c" },
	};
	static const char *const want[] = {
		"~ a@example.com: internal " L1 " -> external " R1 " (uid=a)",
		"- b@example.com: internal " L1 " (uid=b)",
		"+ c@example.com: internal (uid=c)",
	};
	struct routes o, n;
	struct route_change *ch = NULL;
	size_t nch, i;

	make_routes(&o, old_rows, 2);
	make_routes(&n, new_rows, 2);
	ck_assert_int_eq(routes_diff(&o, &n, &ch, &nch), 0);
	ck_assert_uint_eq(nch, 3);
	for (i = 0; i < nch; i++) {
		struct buf b = BUF_INIT;

		ck_assert_int_eq(routes_describe(&ch[i], &b), 0);
		ck_assert_str_eq(b.data, want[i]);
		buf_free(&b);
	}
	free(ch);
	routes_clear(&o);
	routes_clear(&n);
}
END_TEST

/*
 * The second form (listing.h)
 */

/* sample_model - the model of test_from_model */
static struct model *
sample_model(struct diag *d)
{
	struct model *m = NULL;

	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	add_dom(m, "example.com", "example.org", "example.net", R1, 0, L1,
	    "mapping.xml:12", d);
	add_dom(m, "split.test", "split.example", NULL, R2, 1, NULL, DSPLIT,
	    d);
	add_dom(m, "plain.example", NULL, NULL, NULL, 0, NULL, NULL, d);
	add_mb(m, DF, DF, ROUTE_INTERNAL, NULL, "frank@split.test",
	    "frank@plain.example", NULL, d);
	add_mb(m, "uuid-bob", DB, ROUTE_EXTERNAL, N5, "bob@example.com",
	    "alice@example.net", NULL, d);
	add_mb(m, "uuid-alice", DA, ROUTE_INTERNAL, NULL, "alice@example.com",
	    "alice.smith@example.com", "alice@example.net", d);
	add_mb(m, "uuid-carol", "uid=carol,dc=example,dc=com",
	    ROUTE_EXTERNAL, NULL, "carol@example.com", NULL, NULL, d);
	ck_assert_int_eq(model_finish(m, NULL, NULL, d), 0);
	return m;
}

/* read_back - the listing of l parsed as a commit's would be, as the
 * first form's rows (domains included, owners filled in), sorted */
static void
read_back(const struct listing *l, struct routes *out)
{
	struct listing_domains ds;
	struct buf text = BUF_INIT;
	struct diag d;
	size_t s, i, cap = 0;

	diag_init(&d, NULL);
	ck_assert_int_eq(listing_domains_text(l, &text), 0);
	ck_assert_int_eq(listing_parse_domains("domains", text.data, text.len,
	    &ds, &d), 0);
	ck_assert_uint_eq(ds.nshards, listing_shards(l) > 1 ?
	    listing_shards(l) : 0);
	out->rows = NULL;
	out->count = 0;
	for (i = 0; i < ds.n; i++) {
		ck_assert_int_eq(vec_grow((void **)&out->rows, &cap, out->count,
		    sizeof *out->rows), 0);
		copy_row(&out->rows[out->count++], &ds.v[i].row);
	}
	for (s = 0; s < listing_shards(l); s++) {
		struct listing_rows rows;
		struct listing_owners own;

		buf_reset(&text);
		ck_assert_int_eq(listing_text(l, LISTING_ROUTES, s, &text), 0);
		ck_assert_uint_eq(text.len, listing_len(l, LISTING_ROUTES, s));
		ck_assert_int_eq(listing_parse_routes("routes", text.data ?
		    text.data : "", text.len, &ds, &rows, &d), 0);
		for (i = 0; i < rows.n; i++) {
			char want[LISTING_REF_LEN + 1];
			size_t os = shard_of(rows.v[i].ref, LISTING_REF_LEN,
			    listing_shards(l));
			const struct listing_owner *o;

			/* an owner lives in the shard of its reference */
			buf_reset(&text);
			ck_assert_int_eq(listing_text(l, LISTING_OWNERS, os,
			    &text), 0);
			ck_assert_uint_eq(text.len,
			    listing_len(l, LISTING_OWNERS, os));
			ck_assert_int_eq(listing_parse_owners("owners",
			    text.data ? text.data : "", text.len, &own, &d), 0);
			o = listing_owner_find(&own, rows.v[i].ref);
			ck_assert_msg(o != NULL, "%s: owner %s not in shard %zu",
			    rows.v[i].row.key, rows.v[i].ref, os);
			listing_ref_of(*o->id ? o->id : o->dn, want);
			ck_assert_str_eq(want, rows.v[i].ref);
			free(rows.v[i].row.id);
			free(rows.v[i].row.dn);
			rows.v[i].row.id = xstrdup(o->id);
			rows.v[i].row.dn = xstrdup(o->dn);
			listing_owners_clear(&own);
			ck_assert_int_eq(vec_grow((void **)&out->rows, &cap,
			    out->count, sizeof *out->rows), 0);
			copy_row(&out->rows[out->count++], &rows.v[i].row);
		}
		listing_rows_clear(&rows);
	}
	qsort(out->rows, out->count, sizeof *out->rows, row_key_cmp);
	listing_domains_clear(&ds);
	buf_free(&text);
	diag_free(&d);
}

START_TEST(test_second_form_round_trip)
{
	/* in one file and in shards: the same rows as the first form */
	static const size_t counts[] = { 0, 16, 256 };
	struct routes first, back;
	struct listing *l = NULL;
	struct model *m;
	struct diag d;
	size_t i, k;

	diag_init(&d, NULL);
	m = sample_model(&d);
	ck_assert_int_eq(routes_from_model(m, &first), 0);
	for (k = 0; k < sizeof counts / sizeof counts[0]; k++) {
		ck_assert_int_eq(listing_new(m, counts[k], &l), 0);
		read_back(l, &back);
		ck_assert_uint_eq(back.count, first.count);
		for (i = 0; i < first.count; i++)
			ck_assert_msg(routes_row_same(&back.rows[i],
			    &first.rows[i]) && strcmp(back.rows[i].key,
			    first.rows[i].key) == 0, "%zu shards: %s (%s %s %s "
			    "%s) read back as %s (%s %s %s %s)", counts[k],
			    first.rows[i].key, first.rows[i].kind,
			    first.rows[i].nexthop, first.rows[i].id,
			    first.rows[i].dn, back.rows[i].key,
			    back.rows[i].kind, back.rows[i].nexthop,
			    back.rows[i].id, back.rows[i].dn);
		routes_clear(&back);
		listing_free(l);
	}
	routes_clear(&first);
	model_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_second_form_text)
{
	/* a nexthop only where it is not the domain's default, an owner
	 * once, by the reference of its id (its DN without one) */
	struct listing *l = NULL;
	struct buf text = BUF_INIT, want = BUF_INIT;
	char bob[LISTING_REF_LEN + 1], frank[LISTING_REF_LEN + 1];
	struct model *m;
	struct diag d;

	diag_init(&d, NULL);
	m = sample_model(&d);
	ck_assert_int_eq(listing_new(m, 0, &l), 0);
	listing_ref_of("uuid-bob", bob);
	listing_ref_of(DF, frank);
	ck_assert_uint_eq(strlen(bob), LISTING_REF_LEN);
	ck_assert_int_eq(listing_text(l, LISTING_ROUTES, 0, &text), 0);
	ck_assert_int_eq(buf_printf(&want, "bob@example.com\te\t%s\t%s\n", N5,
	    bob), 0);
	ck_assert_msg(strstr(text.data, want.data) != NULL, "%s", text.data);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want, "\ncarol@example.com\te\t\t"), 0);
	ck_assert_msg(strstr(text.data, want.data) != NULL, "%s", text.data);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want, "frank@split.test\ti\t\t%s\n",
	    frank), 0);
	ck_assert_msg(strstr(text.data, want.data) != NULL, "%s", text.data);
	buf_reset(&text);
	ck_assert_int_eq(listing_text(l, LISTING_OWNERS, 0, &text), 0);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want, "%s\t\t%s\n", frank, DF), 0);
	ck_assert_msg(strstr(text.data, want.data) != NULL, "%s", text.data);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want, "%s\tuuid-bob\t%s\n", bob, DB), 0);
	ck_assert_msg(strstr(text.data, want.data) != NULL, "%s", text.data);
	buf_reset(&text);
	ck_assert_int_eq(listing_domains_text(l, &text), 0);
	ck_assert_msg(strncmp(text.data, LISTING_VERSION_LINE "\n# shards 0\n"
	    "@example.com\tunknown-reject\t\tmapping.xml:12\t" L1 "\t" R1
	    "\n", 60) == 0, "%s", text.data);
	buf_free(&text);
	buf_free(&want);
	listing_free(l);
	model_free(m);
	diag_free(&d);
}
END_TEST

/* A damaged file of the second form, and where it is named. */
static const struct {
	int part;               /* 0 domains, 1 routes, 2 owners */
	const char *text;
	const char *where;
} lcases[] = {
	{ 0, "# splitsync routes 3\n# shards 0\n", "domains:1" },
	{ 0, LISTING_VERSION_LINE "\n# shards 17\n", "domains:2" },
	{ 0, LISTING_VERSION_LINE "\n# shards 0\n@b\tunknown-reject\t\t\t\t\n"
	    "@a\tunknown-reject\t\t\t\t\n", "domains:4" },
	{ 1, "a@example.com\ti\t\tAAAAAAAAAAAAAAAA\nb@example.com\tx\t\t"
	    "AAAAAAAAAAAAAAAA\n", "routes:2" },
	{ 1, "a@example.com\ti\t\tAAAA\n", "routes:1" },
	{ 1, "a@example.com\ti\t\tAAAAAAAAAAAAAAAA", "routes:1" },
	{ 2, "AAAAAAAAAAAAAAAA\tid\tdn\nAAAAAAAAAAAAAAAA\tid\n", "owners:2" },
};

START_TEST(test_second_form_damaged)
{
	struct listing_domains ds;
	struct listing_rows rows;
	struct listing_owners own;
	const char *t = lcases[_i].text;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	memset(&ds, 0, sizeof ds);
	if (lcases[_i].part == 0)
		rc = listing_parse_domains("domains", t, strlen(t), &ds, &d);
	else if (lcases[_i].part == 1)
		rc = listing_parse_routes("routes", t, strlen(t), &ds, &rows,
		    &d);
	else
		rc = listing_parse_owners("owners", t, strlen(t), &own, &d);
	ck_assert_int_eq(rc, ERR_DATA);
	ck_assert_msg(strstr(diag_last_error(&d), lcases[_i].where) != NULL,
	    "%s: %s", lcases[_i].where, diag_last_error(&d));
	listing_domains_clear(&ds);
	diag_free(&d);
}
END_TEST

/* routes_suite - all of the above */
static Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tm = tcase_create("model");
	TCase *tt = tcase_create("text");
	TCase *tc = tcase_create("changes");
	TCase *tl = tcase_create("second form");

	tcase_add_test(tm, test_from_model);
	tcase_add_test(tm, test_from_empty_model);
	suite_add_tcase(s, tm);

	tcase_add_test(tt, test_format);
	tcase_add_test(tt, test_round_trip);
	tcase_add_test(tt, test_round_trip_model);
	tcase_add_test(tt, test_parse_forms);
	tcase_add_loop_test(tt, test_parse_errors, 0,
	    (int)(sizeof pcases / sizeof pcases[0]));
	suite_add_tcase(s, tt);

	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_diff);
	tcase_add_test(tc, test_diff_owner_without_uuid);
	tcase_add_loop_test(tc, test_describe, 0,
	    (int)(sizeof dcases / sizeof dcases[0]));
	tcase_add_test(tc, test_describe_diff);
	suite_add_tcase(s, tc);

	tcase_add_test(tl, test_second_form_round_trip);
	tcase_add_test(tl, test_second_form_text);
	tcase_add_loop_test(tl, test_second_form_damaged, 0,
	    (int)(sizeof lcases / sizeof lcases[0]));
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	return testlib_main(routes_suite());
}
