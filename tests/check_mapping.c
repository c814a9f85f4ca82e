/*
 * check_mapping - mapping files: loading, refusal, classification,
 * domain and mailbox extraction
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "errors.h"
#include "filter.h"
#include "groups.h"
#include "ldif.h"
#include "mapping.h"
#include "testlib.h"

#define DATA "tests/data/mapping/"
#define BASE ",ou=people,dc=example,dc=com"

/* One attribute value; len 0 means strlen(value). */
struct kv {
	const char *name;
	const char *value;
	size_t len;
};

/* has_item - whether d holds an item at where whose text has fragment */
static int
has_item(const struct diag *d, const char *where, const char *fragment)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		if ((where == NULL || strcmp(d->items[i].where, where) == 0) &&
		    strstr(d->items[i].what, fragment) != NULL)
			return 1;
	return 0;
}

/* dump - print d (shown when an assertion fails) */
static void
dump(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		fprintf(stderr, "  diag: %s: %s\n", d->items[i].where,
		    d->items[i].what);
}

/* make_entry - an entry with the given values (name NULL ends) */
static struct entry *
make_entry(const char *dn, const struct kv *kv)
{
	struct entry *e = NULL;

	ck_assert_int_eq(entry_new(&e, dn, NULL), 0);
	for (; kv->name != NULL; kv++)
		ck_assert_int_eq(entry_add_value(e, kv->name, kv->value,
		    kv->len ? kv->len : strlen(kv->value)), 0);
	return e;
}

/* load_ok - load a mapping that must be valid */
static struct mapping *
load_ok(const char *path)
{
	struct mapping *m = NULL;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = mapping_load(path, &m, &d);
	if (rc != 0 || d.count != 0)
		dump(&d);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(d.count, 0);
	diag_free(&d);
	return m;
}

/* joined - strings joined with single spaces (static buffer) */
static const char *
joined(char *const *v, size_t n)
{
	static char out[1024];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		ck_assert_uint_lt(strlen(out) + strlen(v[i]) + 2, sizeof out);
		strcat(out, v[i]);
	}
	return out;
}

START_TEST(test_full_mapping)
{
	static const char *const want[] = {
		"objectClass", "entryUUID", "associatedDomain",
		"splitsyncAliasDomain", "splitsyncRelay",
		"splitsyncForwardUnknown", "splitsyncLocalNexthop", "member",
		"uniqueMember", "memberUid", "memberOf", "uid", "mail",
		"mailLocalAddress", "proxyAddresses", "mailHost",
		"splitsyncDisabled", "description", "departmentNumber",
		"employeeType", "title", "splitsyncExternalAddress"
	};
	struct mapping *m = load_ok(DATA "full.xml");
	const char *const *attrs = mapping_attributes(m);
	const struct domain_spec *ds;
	struct filter *f = NULL;
	char err[128];
	size_t i, j, n;

	ck_assert_str_eq(mapping_filter(m),
	    "(|(objectClass=splitsyncDomain)"
	    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)"
	    "(objectClass=posixGroup))"
	    "(&(objectClass=inetOrgPerson)(mail=*)))");
	ck_assert_int_eq(filter_parse(mapping_filter(m), &f, err, sizeof err),
	    0);
	filter_free(f);

	for (n = 0; attrs[n] != NULL; n++)
		for (j = 0; j < n; j++)
			ck_assert_msg(strcasecmp(attrs[n], attrs[j]) != 0,
			    "%s listed twice", attrs[n]);
	for (i = 0; i < sizeof want / sizeof *want; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(attrs[j], want[i]) == 0)
				break;
		ck_assert_msg(j < n, "attribute %s missing", want[i]);
	}
	ck_assert_uint_eq(n, sizeof want / sizeof *want);

	ck_assert_uint_eq(mapping_domain_count(m), 2);
	ds = mapping_domain_at(m, 0);
	ck_assert_str_eq(ds->name, "example.com");
	ck_assert_str_eq(joined(ds->aliases, ds->naliases),
	    "example.net example.org");
	ck_assert_str_eq(ds->relay, "smtp:[legacy.example.com]:25");
	ck_assert_int_eq(ds->forward_unknown, 1);
	ck_assert_str_eq(ds->local, "lmtp:core.example.com:2400");
	/* libxml2 numbers an element by the line its start tag ends on. */
	ck_assert_str_eq(ds->origin, "full.xml:5");
	ds = mapping_domain_at(m, 1);
	ck_assert_str_eq(ds->name, "static.example");
	ck_assert_uint_eq(ds->naliases, 0);
	ck_assert_ptr_null(ds->relay);
	ck_assert_ptr_null(ds->local);
	ck_assert_int_eq(ds->forward_unknown, 0);
	ck_assert_ptr_null(mapping_domain_at(m, 2));
	mapping_free(m);
}
END_TEST

START_TEST(test_minimal_mapping)
{
	struct mapping *m = load_ok(DATA "minimal.xml");
	const char *const *attrs = mapping_attributes(m);

	/* One filter: no (| ...); parentheses added, spaces dropped. */
	ck_assert_str_eq(mapping_filter(m), "(mail=*)");
	ck_assert_str_eq(attrs[0], "objectClass");
	ck_assert_str_eq(attrs[1], "entryUUID");
	ck_assert_str_eq(attrs[2], "mail");
	ck_assert_ptr_null(attrs[3]);
	mapping_free(m);
}
END_TEST

/* Each invalid file is refused, reported at the line of the problem. */
static const struct bad_case {
	const char *file;
	int line;
	const char *what;
} bad_cases[] = {
	{ "unknown-element.xml", 8, "unknown element <bogus>" },
	{ "missing-attribute.xml", 8, "element <present> needs attribute "
	  "\"attribute\"" },
	{ "unknown-attribute.xml", 3, "element <domain> has no attribute "
	  "\"relai\"" },
	{ "bad-value.xml", 6, "element <routing>: default=\"sideways\" must "
	  "be \"internal\", \"external\" or \"none\"" },
	{ "bad-filter.xml", 5, "mailboxes filter: " },
	{ "bad-regex.xml", 10, "matches regex \"^(local\": " },
	{ "bad-group-dn.xml", 9, "member-of group \"the split group\": not "
	  "a valid DN" },
	{ "member-of-without-groups.xml", 11, "member-of via=\"member\" "
	  "needs a <groups> element" },
	{ "billion-laughs.xml", 2, "DTDs are not allowed in mapping files" },
	{ "external-entity.xml", 2, "DTDs are not allowed" },
	{ "external-dtd.xml", 2, "DTDs are not allowed" },
	{ "xinclude.xml", 5, "element <include> is not in namespace "
	  "urn:splitsync:mapping:1" },
	{ "undefined-entity.xml", 5, "Entity 'mail' not defined" },
	{ "malformed.xml", 6, "Opening and ending tag mismatch" },
	{ "no-namespace.xml", 2, "element <mapping> is not in namespace" },
	{ "bad-port.xml", 6, "Invalid attribute port for element nexthop" },
	{ "no-mailboxes.xml", 2, "mailboxes" },
	{ "groups-fragment.xml", 2, "Expecting element mapping, got groups" },
	{ "several-errors.xml", 3, "domains filter: " },
	{ "several-errors.xml", 10, "matches regex \"a{2,1}\": " },
	{ "several-errors.xml", 11, "member-of group \"cn=a,,\"" },
	{ "bad-id-encoding.xml", 5, "element <mailboxes>: "
	  "id-encoding=\"base64\" must be \"hex\" or \"text\"" },
};

START_TEST(test_invalid)
{
	const struct bad_case *t = &bad_cases[_i];
	struct mapping *m = (struct mapping *)&m;   /* must be cleared */
	char path[256], where[300];
	struct diag d;
	int rc;

	snprintf(path, sizeof path, DATA "%s", t->file);
	snprintf(where, sizeof where, "%s:%d", path, t->line);
	diag_init(&d, NULL);
	rc = mapping_load(path, &m, &d);
	if (!has_item(&d, where, t->what))
		dump(&d);
	ck_assert_int_eq(rc, ERR_CONFIG);
	ck_assert_ptr_null(m);
	ck_assert_uint_ge(d.nerrors, 1);
	ck_assert_msg(has_item(&d, where, t->what), "%s: no \"%s\" at %s",
	    t->file, t->what, where);
	ck_assert(!has_item(&d, NULL, "SECRET-MARKER"));
	diag_free(&d);
}
END_TEST

START_TEST(test_memberof_only)
{
	struct mapping *m = load_ok(DATA "memberof-only.xml");
	const char *const *attrs = mapping_attributes(m);
	size_t n;
	int memberof = 0, member = 0, guid = 0;

	/* memberOf is read from the user; nothing is read from groups. */
	ck_assert_str_eq(mapping_filter(m), "(objectClass=person)");
	for (n = 0; attrs[n] != NULL; n++) {
		memberof |= strcmp(attrs[n], "memberOf") == 0;
		member |= strcmp(attrs[n], "member") == 0;
		guid |= strcmp(attrs[n], "objectGUID") == 0;
	}
	ck_assert(memberof && guid && !member);
	mapping_free(m);
}
END_TEST

START_TEST(test_size_limits)
{
	struct mapping *m = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), *big, path[512];
	const size_t size = 4 * 1024 * 1024 + 1;

	ck_assert_ptr_nonnull(dir);
	diag_init(&d, NULL);
	/* An empty file is not a mapping. */
	snprintf(path, sizeof path, "%s/empty.xml", dir);
	ck_assert_int_eq(testlib_write(path, ""), 0);
	ck_assert_int_eq(mapping_load(path, &m, &d), ERR_CONFIG);
	ck_assert_uint_ge(d.nerrors, 1);
	diag_free(&d);
	/* A file over the limit is refused unread, not cut short. */
	big = malloc(size + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', size);
	big[size] = '\0';
	snprintf(path, sizeof path, "%s/big.xml", dir);
	ck_assert_int_eq(testlib_write(path, big), 0);
	ck_assert_int_eq(mapping_load(path, &m, &d), ERR_CONFIG);
	ck_assert(has_item(&d, path, "larger than"));
	ck_assert_ptr_null(m);
	diag_free(&d);
	/* A directory is not a file. */
	ck_assert_int_eq(mapping_load(dir, &m, &d), ERR_CONFIG);
	ck_assert(has_item(&d, dir, "is a directory"));
	diag_free(&d);
	free(big);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_refusals_are_prompt)
{
	struct mapping *m = NULL;
	struct diag d;

	/* Stopped at the DOCTYPE: one error, no entity ever expanded. */
	diag_init(&d, NULL);
	ck_assert_int_eq(mapping_load(DATA "billion-laughs.xml", &m, &d),
	    ERR_CONFIG);
	ck_assert_uint_eq(d.nerrors, 1);
	diag_free(&d);
	/* Every compile problem of a file is reported, not just the first. */
	ck_assert_int_eq(mapping_load(DATA "several-errors.xml", &m, &d),
	    ERR_CONFIG);
	ck_assert_uint_eq(d.nerrors, 3);
	diag_free(&d);
	/* A missing file is a missing input, named. */
	ck_assert_int_eq(mapping_load(DATA "does-not-exist.xml", &m, &d),
	    ERR_NOINPUT);
	ck_assert(has_item(&d, DATA "does-not-exist.xml", "cannot open"));
	ck_assert_ptr_null(m);
	diag_free(&d);
}
END_TEST

START_TEST(test_silent)
{
	static const char *const files[] = {
		"malformed.xml", "billion-laughs.xml", "missing-attribute.xml",
		"undefined-entity.xml", "no-mailboxes.xml"
	};
	struct mapping *m = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[512], *text, path2[256];
	size_t i, len = 0;
	int fd, saved;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	diag_init(&d, NULL);
	for (i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path2, sizeof path2, DATA "%s", files[i]);
		mapping_load(path2, &m, &d);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	/* libxml2 printed nothing: everything went into the diag. */
	text = testlib_read(path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(len == 0, "printed: %s", text);
	ck_assert_uint_ge(d.nerrors, sizeof files / sizeof *files);
	free(text);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_classify)
{
	static const struct {
		const char *dn;
		struct kv attrs[4];
		unsigned want;
	} cases[] = {
		{ "dc=example,dc=org", {
			{ "objectClass", "domain", 0 },
			{ "objectClass", "splitsyncDomain", 0 } },
		  MAPPING_DOMAIN },
		{ "cn=staff,dc=example,dc=com", {
			{ "objectClass", "posixGroup", 0 } }, MAPPING_GROUP },
		{ "uid=a" BASE, {
			{ "objectClass", "inetOrgPerson", 0 },
			{ "mail", "a@example.com", 0 } }, MAPPING_MAILBOX },
		{ "uid=b" BASE, {
			{ "objectClass", "inetOrgPerson", 0 } }, 0 },
		{ "uid=c" BASE, {
			{ "objectClass", "INETORGPERSON", 0 },
			{ "objectClass", "splitsyncDomain", 0 },
			{ "mail", "c@example.com", 0 } },
		  MAPPING_MAILBOX | MAPPING_DOMAIN },
		{ "cn=x,dc=example,dc=com", {
			{ "objectClass", "device", 0 } }, 0 },
	};
	struct mapping *m = load_ok(DATA "full.xml");
	struct entry *e;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		e = make_entry(cases[i].dn, cases[i].attrs);
		ck_assert_msg(mapping_classify(m, e) == cases[i].want,
		    "%s: got %u", cases[i].dn, mapping_classify(m, e));
		entry_free(e);
	}
	mapping_free(m);
}
END_TEST

static const struct domain_case {
	const char *name;
	struct kv attrs[10];
	int rc;
	const char *domain;
	const char *aliases;
	const char *relay;
	int forward_unknown;
	const char *local;
	size_t rejected;
} domain_cases[] = {
	{ "everything", {
		{ "associatedDomain", "Example.ORG", 0 },
		{ "associatedDomain", "example.info", 0 },
		{ "splitsyncAliasDomain", "EXAMPLE.biz", 0 },
		{ "splitsyncAliasDomain", "Example.Info", 0 },
		{ "splitsyncRelay", "Legacy.Example.org", 0 },
		{ "splitsyncForwardUnknown", "YES", 0 },
		{ "splitsyncLocalNexthop", "core2.example.org", 0 } },
	  0, "example.org", "example.info example.biz",
	  "smtp:[legacy.example.org]:25", 1, "lmtp:[core2.example.org]:2400",
	  0 },
	{ "name only: defaults", {
		{ "associatedDomain", "example.net", 0 } },
	  0, "example.net", "", NULL, 0, "lmtp:core.example.com:2400", 0 },
	{ "false flag, IPv4 relay", {
		{ "associatedDomain", "example.net", 0 },
		{ "splitsyncRelay", "192.0.2.1", 0 },
		{ "splitsyncForwardUnknown", "no", 0 } },
	  0, "example.net", "", "smtp:[192.0.2.1]:25", 0,
	  "lmtp:core.example.com:2400", 0 },
	{ "flag 1, IPv6 relay", {
		{ "associatedDomain", "example.net", 0 },
		{ "splitsyncRelay", "2001:DB8::1", 0 },
		{ "splitsyncForwardUnknown", "1", 0 } },
	  0, "example.net", "", "smtp:[ipv6:2001:db8::1]:25", 1,
	  "lmtp:core.example.com:2400", 0 },
	{ "NUL in the first name", {
		{ "associatedDomain", "bad\0.example", 12 },
		{ "associatedDomain", "good.example", 0 },
		{ "splitsyncForwardUnknown", "True", 0 } },
	  0, "good.example", "", NULL, 1, "lmtp:core.example.com:2400", 1 },
	{ "no name", {
		{ "splitsyncRelay", "relay.example", 0 } },
	  ERR_DATA, NULL, NULL, NULL, 0, NULL, 1 },
};

START_TEST(test_domain_from_entry)
{
	const struct domain_case *t = &domain_cases[_i];
	static const char dn[] = "cn=Example,ou=Domains,dc=example,dc=com";
	struct mapping *m = load_ok(DATA "full.xml");
	struct domain_spec ds;
	struct entry *e = make_entry(dn, t->attrs);
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = mapping_domain_from_entry(m, e, &ds, &d);
	ck_assert_msg(rc == t->rc, "%s: rc %d", t->name, rc);
	ck_assert_uint_eq(d.nrejected, t->rejected);
	if (t->rejected)
		ck_assert(has_item(&d, dn, ""));
	if (rc == 0) {
		ck_assert_str_eq(ds.name, t->domain);
		ck_assert_str_eq(joined(ds.aliases, ds.naliases), t->aliases);
		if (t->relay)
			ck_assert_str_eq(ds.relay, t->relay);
		else
			ck_assert_ptr_null(ds.relay);
		ck_assert_int_eq(ds.forward_unknown, t->forward_unknown);
		ck_assert_str_eq(ds.local, t->local);
		ck_assert_str_eq(ds.origin, dn);
	} else {
		ck_assert_ptr_null(ds.name);
		ck_assert(has_item(&d, dn, "no associatedDomain value"));
	}
	domain_spec_clear(&ds);
	diag_free(&d);
	entry_free(e);
	mapping_free(m);
}
END_TEST

static const struct mailbox_case {
	const char *name;
	const char *dn;
	struct kv attrs[8];
	const char *id;                 /* NULL: the DN */
	const char *addresses;
	enum route_kind route;
	const char *nexthop;
	const char *external;           /* "0110", or NULL */
	size_t rejected;
	const char *mapping;            /* NULL: routing.xml */
} mailbox_cases[] = {
	{ "mail is the default address", "uid=a" BASE, {
		{ "mailAlternateAddress", "alice.b@example.com", 0 },
		{ "mail", "Alice@Example.COM", 0 },
		{ "mailAlternateAddress", "ALICE@example.com", 0 } },
	  NULL, "alice@example.com alice.b@example.com", ROUTE_INTERNAL,
	  NULL, NULL, 0, NULL },
	{ "no mail: the next attribute", "uid=b" BASE, {
		{ "entryUUID", "6a9c0b8e-1f2d-4c3b-9a8e-7d6c5b4a3f21", 0 },
		{ "mailAlternateAddress", "b1@example.com", 0 },
		{ "mailAlternateAddress", "b2@example.com", 0 } },
	  "6a9c0b8e-1f2d-4c3b-9a8e-7d6c5b4a3f21",
	  "b1@example.com b2@example.com", ROUTE_INTERNAL, NULL, NULL, 0,
	  NULL },
	{ "primary proxy address first, other prefixes ignored",
	  "uid=p" BASE, {
		{ "mail", "m@example.com", 0 },
		{ "proxyAddresses", "smtp:p1@example.com", 0 },
		{ "proxyAddresses", "SMTP:Prim@Example.com", 0 },
		{ "proxyAddresses", "X500:/o=Org/ou=Exchange/cn=p", 0 },
		{ "proxyAddresses", "sip:p@example.com", 0 },
		{ "proxyAddresses", "Smtp:p2@example.com", 0 } },
	  NULL, "prim@example.com m@example.com p1@example.com "
	  "p2@example.com", ROUTE_INTERNAL, NULL, NULL, 0, NULL },
	{ "duplicates dropped, a duplicate primary moves first",
	  "uid=d" BASE, {
		{ "mail", "d@example.com", 0 },
		{ "mailAlternateAddress", "D@EXAMPLE.COM", 0 },
		{ "mailAlternateAddress", "e@example.com", 0 },
		{ "proxyAddresses", "smtp:E@example.com", 0 },
		{ "proxyAddresses", "SMTP:e@Example.com", 0 } },
	  NULL, "e@example.com d@example.com", ROUTE_INTERNAL, NULL, NULL,
	  0, NULL },
	{ "a value with NUL is refused", "uid=n" BASE, {
		{ "mail", "bad\0x@example.com", 17 },
		{ "mail", "ok@example.com", 0 } },
	  NULL, "ok@example.com", ROUTE_INTERNAL, NULL, NULL, 1, NULL },
	{ "an id with a NUL byte: the DN is the id", "uid=h" BASE, {
		{ "entryUUID", "\x01\x00\xff", 3 },
		{ "mail", "h@example.com", 0 } },
	  NULL, "h@example.com", ROUTE_INTERNAL, NULL, NULL, 1, NULL },
	{ "a text id is taken as it is", "uid=t" BASE, {
		{ "entryUUID", "caf\xc3\xa9 1", 0 },
		{ "mail", "t@example.com", 0 } },
	  "caf\xc3\xa9 1", "t@example.com", ROUTE_INTERNAL, NULL, NULL, 0,
	  NULL },
	{ "options: an attribute with options first", "uid=o1" BASE, {
		{ "mail;lang-de", "O1.DE@example.com", 0 },
		{ "mail", "o1@example.com", 0 } },
	  NULL, "o1.de@example.com o1@example.com", ROUTE_INTERNAL, NULL,
	  NULL, 0, NULL },
	{ "options: an attribute with options after", "uid=o2" BASE, {
		{ "mail", "o2@example.com", 0 },
		{ "mail;lang-de", "o2.de@example.com", 0 },
		{ "mailAlternateAddress", "o2.alt@example.com", 0 },
		{ "mailAlternateAddress;x-old", "o2.old@example.com", 0 } },
	  NULL, "o2@example.com o2.de@example.com o2.alt@example.com "
	  "o2.old@example.com", ROUTE_INTERNAL, NULL, NULL, 0, NULL },
	{ "options: a condition and the nexthop read every attribute",
	  "uid=o3" BASE, {
		{ "mail", "o3@example.com", 0 },
		{ "description", "nothing", 0 },
		{ "description;lang-en", "the legacy box", 0 },
		{ "mailHost", "", 0 },
		{ "mailHost;x-new", "other.example.com", 0 } },
	  NULL, "o3@example.com", ROUTE_EXTERNAL, "smtp:other.example.com:25",
	  NULL, 0, NULL },
	{ "options: external addresses from every attribute", "uid=o4" BASE, {
		{ "mail", "a@example.com", 0 },
		{ "mailAlternateAddress", "b@example.com", 0 },
		{ "splitsyncExternalAddress", "zz@example.com", 0 },
		{ "splitsyncExternalAddress;x-moved", "b@example.com", 0 } },
	  NULL, "a@example.com b@example.com", ROUTE_INTERNAL, NULL, "01",
	  1, NULL },
	{ "present: none, no nexthop, no flags", "uid=off" BASE, {
		{ "mail", "off@example.com", 0 },
		{ "splitsyncDisabled", "TRUE", 0 },
		{ "mailHost", "legacy.example.com", 0 },
		{ "splitsyncExternalAddress", "off@example.com", 0 } },
	  NULL, "off@example.com", ROUTE_NONE, NULL, NULL, 0, NULL },
	{ "member of the split group", "uid=direct" BASE, {
		{ "mail", "direct@example.com", 0 } },
	  NULL, "direct@example.com", ROUTE_EXTERNAL, NULL, NULL, 0, NULL },
	{ "member of a nested group", "uid=nested" BASE, {
		{ "mail", "nested@example.com", 0 } },
	  NULL, "nested@example.com", ROUTE_EXTERNAL, NULL, NULL, 0, NULL },
	{ "memberOf names the group", "uid=mo" BASE, {
		{ "mail", "mo@example.com", 0 },
		{ "memberOf", "CN=Legacy,OU=Groups,DC=Example,DC=Com", 0 } },
	  NULL, "mo@example.com", ROUTE_EXTERNAL, NULL, NULL, 0, NULL },
	{ "equals ignores case; MX nexthop", "uid=eq" BASE, {
		{ "mail", "eq@example.com", 0 },
		{ "mailHost", "LEGACY.Example.com", 0 } },
	  NULL, "eq@example.com", ROUTE_EXTERNAL,
	  "smtp:legacy.example.com:25", NULL, 0, NULL },
	{ "first matching route wins; nexthop only for external",
	  "uid=first" BASE, {
		{ "mail", "first@example.com", 0 },
		{ "description", "Local user, legacy box", 0 },
		{ "mailHost", "other.example.com", 0 } },
	  NULL, "first@example.com", ROUTE_INTERNAL, NULL, NULL, 0, NULL },
	{ "a later route", "uid=later" BASE, {
		{ "mail", "later@example.com", 0 },
		{ "description", "the LEGACY box", 0 },
		{ "mailHost", "other.example.com", 0 } },
	  NULL, "later@example.com", ROUTE_EXTERNAL,
	  "smtp:other.example.com:25", NULL, 0, NULL },
	{ "IPv6 nexthop", "uid=v6" BASE, {
		{ "mail", "v6@example.com", 0 },
		{ "description", "legacy", 0 },
		{ "mailHost", "2001:DB8::25", 0 } },
	  NULL, "v6@example.com", ROUTE_EXTERNAL,
	  "smtp:[ipv6:2001:db8::25]:25", NULL, 0, NULL },
	{ "IPv4 nexthop is bracketed even with mx", "uid=v4" BASE, {
		{ "mail", "v4@example.com", 0 },
		{ "description", "legacy", 0 },
		{ "mailHost", "192.0.2.25", 0 } },
	  NULL, "v4@example.com", ROUTE_EXTERNAL, "smtp:[192.0.2.25]:25",
	  NULL, 0, NULL },
	{ "NUL nexthop value skipped", "uid=nh" BASE, {
		{ "mail", "nh@example.com", 0 },
		{ "description", "legacy", 0 },
		{ "mailHost", "bad\0host", 8 },
		{ "mailHost", "good.example.com", 0 } },
	  NULL, "nh@example.com", ROUTE_EXTERNAL,
	  "smtp:good.example.com:25", NULL, 1, NULL },
	{ "not + any: a contractor", "uid=ct" BASE, {
		{ "mail", "ct@example.com", 0 },
		{ "employeeType", "Contractor", 0 } },
	  NULL, "ct@example.com", ROUTE_EXTERNAL, NULL, NULL, 0, NULL },
	{ "all: an old title", "uid=old" BASE, {
		{ "mail", "old@example.com", 0 },
		{ "title", "Old timer", 0 } },
	  NULL, "old@example.com", ROUTE_EXTERNAL, NULL, NULL, 0, NULL },
	{ "all: another title", "uid=sr" BASE, {
		{ "mail", "sr@example.com", 0 },
		{ "title", "Senior", 0 } },
	  NULL, "sr@example.com", ROUTE_INTERNAL, NULL, NULL, 0, NULL },
	{ "not: a department", "uid=dep" BASE, {
		{ "mail", "dep@example.com", 0 },
		{ "employeeType", "contractor", 0 },
		{ "departmentNumber", "42", 0 } },
	  NULL, "dep@example.com", ROUTE_INTERNAL, NULL, NULL, 0, NULL },
	{ "partly external", "uid=part" BASE, {
		{ "mail", "a@example.com", 0 },
		{ "mailAlternateAddress", "b@example.com", 0 },
		{ "mailAlternateAddress", "c@example.com", 0 },
		{ "splitsyncExternalAddress", "B@Example.com", 0 } },
	  NULL, "a@example.com b@example.com c@example.com", ROUTE_INTERNAL,
	  NULL, "010", 0, NULL },
	{ "partly external on an external mailbox", "uid=part2" BASE, {
		{ "mail", "a@example.com", 0 },
		{ "mailAlternateAddress", "b@example.com", 0 },
		{ "mailHost", "legacy.example.com", 0 },
		{ "splitsyncExternalAddress", "a@example.com", 0 } },
	  NULL, "a@example.com b@example.com", ROUTE_EXTERNAL,
	  "smtp:legacy.example.com:25", "10", 0, NULL },
	{ "unknown external address reported", "uid=unk" BASE, {
		{ "mail", "a@example.com", 0 },
		{ "mailAlternateAddress", "b@example.com", 0 },
		{ "splitsyncExternalAddress", "zz@example.com", 0 },
		{ "splitsyncExternalAddress", "b@example.com", 0 } },
	  NULL, "a@example.com b@example.com", ROUTE_INTERNAL, NULL, "01",
	  1, NULL },
	{ "only unknown external addresses: ignored", "uid=unk2" BASE, {
		{ "mail", "a@example.com", 0 },
		{ "splitsyncExternalAddress", "zz@example.com", 0 } },
	  NULL, "a@example.com", ROUTE_INTERNAL, NULL, NULL, 1, NULL },
	/* one encoding per id attribute: a binary one in hex whatever its
	 * bytes happen to be, a text one as it is */
	{ "objectGUID, binary", "cn=g1" BASE, {
		{ "objectGUID", "\x0a\xb6\x37\xd8\xfc\xd2\xc6\xda\x63\x59"
		  "\xe6\x96\x31\x13\xa1\x17", 16 },
		{ "mail", "g1@example.com", 0 } },
	  "0ab637d8fcd2c6da6359e6963113a117", "g1@example.com",
	  ROUTE_INTERNAL, NULL, NULL, 0, "ids.xml" },
	{ "objectGUID whose bytes are printable", "cn=g2" BASE, {
		{ "objectGUID", "Printable-GUID:)", 16 },
		{ "mail", "g2@example.com", 0 } },
	  "5072696e7461626c652d475549443a29", "g2@example.com",
	  ROUTE_INTERNAL, NULL, NULL, 0, "ids.xml" },
	{ "objectGUID with a NUL byte", "cn=g3" BASE, {
		{ "objectGUID", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"
		  "\x0a\x0b\x0c\x0d\x0e\x0f", 16 },
		{ "mail", "g3@example.com", 0 } },
	  "000102030405060708090a0b0c0d0e0f", "g3@example.com",
	  ROUTE_INTERNAL, NULL, NULL, 0, "ids.xml" },
	{ "objectGUID under another case", "cn=g4" BASE, {
		{ "OBJECTGUID", "ABCDEFGHIJKLMNOP", 16 },
		{ "mail", "g4@example.com", 0 } },
	  "4142434445464748494a4b4c4d4e4f50", "g4@example.com",
	  ROUTE_INTERNAL, NULL, NULL, 0, "ids.xml" },
	{ "no objectGUID: the DN", "cn=g5" BASE, {
		{ "mail", "g5@example.com", 0 } },
	  NULL, "g5@example.com", ROUTE_INTERNAL, NULL, NULL, 0, "ids.xml" },
	{ "id-encoding=\"hex\" for an attribute of its own", "cn=g6" BASE, {
		{ "GUID", "abc", 0 }, { "mail", "g6@example.com", 0 } },
	  "616263", "g6@example.com", ROUTE_INTERNAL, NULL, NULL, 0,
	  "ids-hex.xml" },
	{ "a text id keeps its spaces and UTF-8", "cn=t1" BASE, {
		{ "uid", "\xc3\xa9mile zola", 0 },
		{ "mail", "t1@example.com", 0 } },
	  "\xc3\xa9mile zola", "t1@example.com", ROUTE_INTERNAL, NULL, NULL,
	  0, "ids-text.xml" },
	{ "a text id that looks like hex stays text", "cn=t2" BASE, {
		{ "uid", "0a0b", 0 }, { "mail", "t2@example.com", 0 } },
	  "0a0b", "t2@example.com", ROUTE_INTERNAL, NULL, NULL, 0,
	  "ids-text.xml" },
	{ "a text id with a NUL byte: reported, the DN", "cn=t3" BASE, {
		{ "uid", "a\0b", 3 }, { "mail", "t3@example.com", 0 } },
	  NULL, "t3@example.com", ROUTE_INTERNAL, NULL, NULL, 1,
	  "ids-text.xml" },
};

/* add_group - remember a group entry in g */
static void
add_group(struct groups *g, const char *dn, const struct kv *kv)
{
	struct entry *e = make_entry(dn, kv);

	ck_assert_int_eq(groups_add(g, e), 0);
	entry_free(e);
}

/* split_groups - the groups routing.xml asks about */
static struct groups *
split_groups(void)
{
	static const struct kv split[] = {
		{ "objectClass", "groupOfNames", 0 },
		{ "member", "uid=direct" BASE, 0 },
		{ "member", "cn=inner,ou=groups,dc=example,dc=com", 0 },
		{ NULL, NULL, 0 }
	};
	static const struct kv inner[] = {
		{ "objectClass", "groupOfNames", 0 },
		{ "member", "UID=nested" BASE, 0 },
		{ NULL, NULL, 0 }
	};
	struct groups *g = NULL;

	ck_assert_int_eq(groups_new(&g), 0);
	add_group(g, "cn=split,ou=groups,dc=example,dc=com", split);
	add_group(g, "cn=inner,ou=groups,dc=example,dc=com", inner);
	return g;
}

START_TEST(test_mailbox_from_entry)
{
	const struct mailbox_case *t = &mailbox_cases[_i];
	char path[256];
	struct mapping *m;
	struct groups *g = split_groups();
	struct entry *e = make_entry(t->dn, t->attrs);
	struct mailbox_spec ms;
	struct diag d;
	size_t i;

	snprintf(path, sizeof path, DATA "%s", t->mapping ? t->mapping :
	    "routing.xml");
	m = load_ok(path);
	diag_init(&d, NULL);
	ck_assert_int_eq(mapping_mailbox_from_entry(m, e, g, &ms, &d), 0);
	if (d.nrejected != t->rejected)
		dump(&d);
	ck_assert_msg(d.nrejected == t->rejected, "%s: %zu rejected",
	    t->name, d.nrejected);
	for (i = 0; i < d.count; i++)
		ck_assert_str_eq(d.items[i].where, t->dn);
	ck_assert_str_eq(ms.id, t->id ? t->id : t->dn);
	ck_assert_str_eq(ms.dn, t->dn);
	ck_assert_msg(strcmp(joined(ms.addresses, ms.naddresses),
	    t->addresses) == 0, "%s: addresses %s", t->name,
	    joined(ms.addresses, ms.naddresses));
	ck_assert_msg(ms.route == t->route, "%s: route %d", t->name,
	    ms.route);
	if (t->nexthop)
		ck_assert_str_eq(ms.nexthop, t->nexthop);
	else
		ck_assert_ptr_null(ms.nexthop);
	if (t->external) {
		ck_assert_ptr_nonnull(ms.external);
		ck_assert_uint_eq(strlen(t->external), ms.naddresses);
		for (i = 0; i < ms.naddresses; i++)
			ck_assert_int_eq(ms.external[i], t->external[i] - '0');
	} else {
		ck_assert_ptr_null(ms.external);
	}
	mailbox_spec_clear(&ms);
	diag_free(&d);
	entry_free(e);
	groups_free(g);
	mapping_free(m);
}
END_TEST

/* collect_one - keep a copy of the last entry read */
static int
collect_one(const struct entry *e, void *ctx)
{
	struct entry **out = ctx;

	entry_free(*out);
	return entry_dup(e, out);
}

/* Read from LDIF: attribute options are kept on the names, and every
 * attribute of a base name gives its values. */
START_TEST(test_options_from_ldif)
{
	static const char ldif[] =
	    "dn: uid=zoe,ou=people,dc=example,dc=com\n"
	    "objectClass: inetOrgPerson\n"
	    "mail;lang-de: zoe.de@example.com\n"
	    "mail: zoe@example.com\n"
	    "memberOf: cn=Other,ou=Groups,dc=example,dc=com\n"
	    "memberOf;x-mirror: cn=Legacy,ou=Groups,dc=example,dc=com\n"
	    "mail;lang-fr: zoe.fr@example.com\n";
	struct mapping *m = load_ok(DATA "routing.xml");
	struct entry *e = NULL;
	struct mailbox_spec ms;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_buffer("zoe.ldif", ldif, sizeof ldif - 1,
	    collect_one, &e, &d), 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(mapping_mailbox_from_entry(m, e, NULL, &ms, &d), 0);
	ck_assert_str_eq(joined(ms.addresses, ms.naddresses),
	    "zoe.de@example.com zoe@example.com zoe.fr@example.com");
	/* memberOf with an option names the group as well */
	ck_assert_int_eq(ms.route, ROUTE_EXTERNAL);
	ck_assert_uint_eq(d.count, 0);
	mailbox_spec_clear(&ms);
	diag_free(&d);
	entry_free(e);
	mapping_free(m);
}
END_TEST

/* form="nexthop": the value is the nexthop, lowercased, unbuilt */
START_TEST(test_nexthop_form)
{
	static const struct kv away[] = {
		{ "objectClass", "zimbraAccount", 0 },
		{ "zimbraMailDeliveryAddress", "z@example.com", 0 },
		{ "zimbraMailTransport", "SMTP:Legacy2.example.com:2525", 0 },
		{ NULL, NULL, 0 }
	};
	static const struct kv home[] = {
		{ "objectClass", "zimbraAccount", 0 },
		{ "zimbraMailDeliveryAddress", "h@example.com", 0 },
		{ "zimbraMailTransport", "lmtp:mbox1.example.com:7025", 0 },
		{ NULL, NULL, 0 }
	};
	struct mapping *m = load_ok(DATA "nexthop-form.xml");
	struct entry *e = make_entry("uid=z" BASE, away);
	struct entry *f = make_entry("uid=h" BASE, home);
	struct mailbox_spec ms;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(mapping_mailbox_from_entry(m, e, NULL, &ms, &d), 0);
	ck_assert_int_eq(ms.route, ROUTE_EXTERNAL);
	ck_assert_str_eq(ms.nexthop, "smtp:legacy2.example.com:2525");
	mailbox_spec_clear(&ms);
	/* Internal: applies-to="external" keeps the override off. */
	ck_assert_int_eq(mapping_mailbox_from_entry(m, f, NULL, &ms, &d), 0);
	ck_assert_int_eq(ms.route, ROUTE_INTERNAL);
	ck_assert_ptr_null(ms.nexthop);
	mailbox_spec_clear(&ms);
	diag_free(&d);
	entry_free(e);
	entry_free(f);
	mapping_free(m);
}
END_TEST

START_TEST(test_member_of_without_group_entries)
{
	static const struct kv direct[] = {
		{ "mail", "direct@example.com", 0 }, { NULL, NULL, 0 }
	};
	static const struct kv mo[] = {
		{ "mail", "mo@example.com", 0 },
		{ "memberOf", "cn=Legacy, ou=Groups, dc=Example, dc=com", 0 },
		{ NULL, NULL, 0 }
	};
	struct mapping *m = load_ok(DATA "routing.xml");
	struct mailbox_spec ms;
	struct entry *e;
	struct diag d;

	diag_init(&d, NULL);
	/* No group entries known: member= cannot hold, memberOf still does. */
	e = make_entry("uid=direct" BASE, direct);
	ck_assert_int_eq(mapping_mailbox_from_entry(m, e, NULL, &ms, &d), 0);
	ck_assert_int_eq(ms.route, ROUTE_INTERNAL);
	mailbox_spec_clear(&ms);
	entry_free(e);
	e = make_entry("uid=mo" BASE, mo);
	ck_assert_int_eq(mapping_mailbox_from_entry(m, e, NULL, &ms, &d), 0);
	ck_assert_int_eq(ms.route, ROUTE_EXTERNAL);
	mailbox_spec_clear(&ms);
	entry_free(e);
	ck_assert_uint_eq(d.count, 0);
	diag_free(&d);
	mapping_free(m);
}
END_TEST

/* What the worked example's passes over the directory need. */
struct example {
	const struct mapping *m;
	struct groups *g;
	struct model *model;
	struct diag *d;
	int pass;
};

/* example_entry - pass 1: groups and domains; pass 2: mailboxes */
static int
example_entry(const struct entry *e, void *ctx)
{
	struct example *x = ctx;
	unsigned what = mapping_classify(x->m, e);
	struct domain_spec ds;
	struct mailbox_spec ms;
	int rc = 0;

	if (x->pass == 1 && (what & MAPPING_GROUP))
		rc = groups_add(x->g, e);
	if (rc == 0 && x->pass == 1 && (what & MAPPING_DOMAIN)) {
		rc = mapping_domain_from_entry(x->m, e, &ds, x->d);
		if (rc == 0)
			rc = model_add_domain(x->model, &ds, x->d);
		domain_spec_clear(&ds);
	}
	if (rc == 0 && x->pass == 2 && (what & MAPPING_MAILBOX)) {
		rc = mapping_mailbox_from_entry(x->m, e, x->g, &ms, x->d);
		if (rc == 0)
			rc = model_add_mailbox(x->model, &ms, x->d);
		mailbox_spec_clear(&ms);
	}
	return rc;
}

/* The table docs/mapping.md shows for its worked example. */
static const struct {
	const char *address;
	enum route_kind route;
	const char *nexthop;
} example_routes[] = {
	{ "a.smith@example.com", ROUTE_INTERNAL, "lmtp:core.example.com:2400" },
	{ "alice@example.com", ROUTE_INTERNAL, "lmtp:core.example.com:2400" },
	{ "bob@example.com", ROUTE_EXTERNAL,
	  "smtp:[mx1.legacy.example.com]:25" },
	{ "c.jones@example.com", ROUTE_EXTERNAL,
	  "smtp:[legacy.example.com]:25" },
	{ "carol.jones@example.com", ROUTE_EXTERNAL,
	  "smtp:[legacy.example.com]:25" },
	{ "carol@example.org", ROUTE_EXTERNAL, "smtp:[legacy.example.org]:25" },
	{ "dave@example.com", ROUTE_INTERNAL, "lmtp:core.example.com:2400" },
	{ "dave@example.org", ROUTE_EXTERNAL, "smtp:[legacy.example.org]:25" },
	{ "frank@example.com", ROUTE_INTERNAL, "lmtp:core.example.com:2400" },
};

START_TEST(test_worked_example)
{
	static const char *const transports[] = { "smtp", "lmtp" };
	struct mapping *m = load_ok(DATA "example.xml");
	const struct model_domain *md;
	const struct model_address *a;
	struct model_address abuf;
	struct example x;
	struct diag d;
	size_t i;

	diag_init(&d, NULL);
	memset(&x, 0, sizeof x);
	x.m = m;
	x.d = &d;
	ck_assert_int_eq(groups_new(&x.g), 0);
	ck_assert_int_eq(model_new(&x.model, transports, 2), 0);
	for (i = 0; i < mapping_domain_count(m); i++)
		ck_assert_int_eq(model_add_domain(x.model,
		    mapping_domain_at(m, i), &d), 0);
	for (x.pass = 1; x.pass <= 2; x.pass++)
		ck_assert_int_eq(ldif_read_file(DATA "example.ldif",
		    example_entry, &x, &d), 0);
	ck_assert_int_eq(model_finish(x.model, NULL, NULL, &d), 0);

	md = model_domain_find(x.model, "example.info");
	ck_assert_ptr_nonnull(md);
	ck_assert_str_eq(md->name, "example.org");
	ck_assert_int_eq(md->forward_unknown, 1);
	ck_assert_str_eq(md->relay, "smtp:[legacy.example.org]:25");
	/* Erin is routed nowhere; frank@other.example is not managed. */
	if (model_address_count(x.model) != sizeof example_routes /
	    sizeof *example_routes)
		dump(&d);
	ck_assert_uint_eq(model_address_count(x.model),
	    sizeof example_routes / sizeof *example_routes);
	for (i = 0; i < model_address_count(x.model); i++) {
		ck_assert_int_eq(model_address_at(x.model, i, &abuf), 0);
		a = &abuf;
		ck_assert_str_eq(a->address, example_routes[i].address);
		ck_assert_msg(a->route == example_routes[i].route,
		    "%s: route %d", a->address, a->route);
		ck_assert_str_eq(a->nexthop, example_routes[i].nexthop);
	}
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_uint_eq(d.nrejected, 1);
	ck_assert(has_item(&d, "uid=frank,ou=people,dc=example,dc=com",
	    "frank@other.example"));
	model_free(x.model);
	groups_free(x.g);
	diag_free(&d);
	mapping_free(m);
}
END_TEST

/* mapping_suite - every test above */
static Suite *
mapping_suite(void)
{
	Suite *s = suite_create("mapping");
	TCase *tc = tcase_create("mapping");

	tcase_add_test(tc, test_full_mapping);
	tcase_add_test(tc, test_minimal_mapping);
	tcase_add_loop_test(tc, test_invalid, 0,
	    sizeof bad_cases / sizeof *bad_cases);
	tcase_add_test(tc, test_memberof_only);
	tcase_add_test(tc, test_size_limits);
	tcase_add_test(tc, test_refusals_are_prompt);
	tcase_add_test(tc, test_silent);
	tcase_add_test(tc, test_classify);
	tcase_add_loop_test(tc, test_domain_from_entry, 0,
	    sizeof domain_cases / sizeof *domain_cases);
	tcase_add_loop_test(tc, test_mailbox_from_entry, 0,
	    sizeof mailbox_cases / sizeof *mailbox_cases);
	tcase_add_test(tc, test_member_of_without_group_entries);
	tcase_add_test(tc, test_nexthop_form);
	tcase_add_test(tc, test_options_from_ldif);
	tcase_add_test(tc, test_worked_example);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(mapping_suite()); }
