/*
 * check_config - the agent configuration file
 *
 * Good files from tests/data/config/ (every field checked), defaults,
 * and one row per error case: the file text, the line the error must
 * name (0: the file alone) and the exact message. Files with bytes a
 * string literal cannot hold (NUL, very long lines) are made here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "diag.h"
#include "errors.h"
#include "testlib.h"

#define DATA "tests/data/config/"

/* a valid LDIF configuration: lines 1-4 */
#define BASE "source = ldif\nldif = d.ldif\nmapping = m.xml\nrepository = r\n"

/* has_item - d holds an error at where with exactly what */
static int
has_item(const struct diag *d, const char *where, const char *what)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		if (d->items[i].level == DIAG_ERROR
		    && strcmp(d->items[i].where, where) == 0
		    && strcmp(d->items[i].what, what) == 0)
			return 1;
	return 0;
}

/* dump - the items, for failure messages */
static const char *
dump(const struct diag *d)
{
	static char text[4096];
	size_t i, n = 0;

	text[0] = '\0';
	for (i = 0; i < d->count && n < sizeof text; i++) {
		int w = snprintf(text + n, sizeof text - n, "[%s: %s] ",
		    d->items[i].where, d->items[i].what);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return text;
}

/* where_of - "path:line", or path for line 0 (static buffer) */
static const char *
where_of(const char *path, unsigned line)
{
	static char where[1024 + sizeof ":4294967295"];

	if (line == 0)
		snprintf(where, sizeof where, "%s", path);
	else
		snprintf(where, sizeof where, "%s:%u", path, line);
	return where;
}

/* write_bytes - a file with exactly these bytes */
static void
write_bytes(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_full)
{
	struct config *c = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_msg(config_load(DATA "full.cf", &c, &d) == 0, "%s",
	    dump(&d));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_str_eq(c->path, DATA "full.cf");
	ck_assert_int_eq(c->source, CONFIG_SOURCE_LDAP);
	ck_assert_str_eq(c->ldif, DATA "directory.ldif");
	ck_assert_uint_eq(c->ldap.nuris, 2);
	ck_assert_str_eq(c->ldap.uris[0], "ldaps://ldap1.example.com");
	ck_assert_str_eq(c->ldap.uris[1], "ldaps://ldap2.example.com:1636");
	ck_assert_str_eq(c->ldap.base, "ou=people,dc=example,dc=com");
	ck_assert_str_eq(c->ldap.bind_dn,
	    "cn=splitsync,ou=services,dc=example,dc=com");
	ck_assert_str_eq(c->ldap.password_file, DATA "secret/bind.pw");
	ck_assert_ptr_null(c->ldap.sasl_mech);
	ck_assert_int_eq(c->ldap.starttls, 0);
	ck_assert_int_eq(c->ldap.tls_verify, 0);
	ck_assert_str_eq(c->ldap.ca_file, "/etc/ssl/certs/example-ca.pem");
	ck_assert_int_eq(c->ldap.network_timeout, 5);
	ck_assert_int_eq(c->ldap.timeout, 120);
	ck_assert_int_eq(c->ldap.page_size, 1000);
	ck_assert_str_eq(c->mapping, DATA "maps/bluemind.xml");
	ck_assert_int_eq(c->layout, CONFIG_LAYOUT_GATEWAY);
	ck_assert_str_eq(config_layout_name(c->layout), "gateway");
	ck_assert_str_eq(c->repository, "/var/lib/splitsync/routes.git");
	ck_assert_str_eq(c->branch, "deploy/prod");
	ck_assert_int_eq(c->bare, 0);
	ck_assert_str_eq(c->author_name, "Split Sync");
	ck_assert_str_eq(c->author_email, "routing@example.com");
	ck_assert_uint_eq(c->ntransports, 3);
	ck_assert_str_eq(c->transports[0], "smtp");
	ck_assert_str_eq(c->transports[1], "lmtp");
	ck_assert_str_eq(c->transports[2], "relay-out");
	config_free(c);
	diag_free(&d);
}
END_TEST

START_TEST(test_sasl)
{
	struct config *c = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_msg(config_load(DATA "sasl.cf", &c, &d) == 0, "%s",
	    dump(&d));
	ck_assert_int_eq(c->source, CONFIG_SOURCE_LDAP);
	ck_assert_uint_eq(c->ldap.nuris, 2);
	ck_assert_str_eq(c->ldap.uris[0], "ldapi://%2Frun%2Fslapd%2Fldapi");
	ck_assert_str_eq(c->ldap.uris[1], "ldap://ldap.example.com:389");
	ck_assert_str_eq(c->ldap.base, "dc=example,dc=com");
	ck_assert_ptr_null(c->ldap.bind_dn);
	ck_assert_ptr_null(c->ldap.password_file);
	ck_assert_str_eq(c->ldap.sasl_mech, "EXTERNAL");
	ck_assert_int_eq(c->ldap.starttls, 1);
	ck_assert_int_eq(c->ldap.tls_verify, 1);
	ck_assert_str_eq(c->ldap.ca_file, DATA "ca.pem");
	ck_assert_ptr_null(c->ldif);
	ck_assert_str_eq(c->mapping, "/etc/splitsync/mapping.xml");
	ck_assert_str_eq(c->repository, DATA "routes");
	config_free(c);
	diag_free(&d);
}
END_TEST

START_TEST(test_defaults)
{
	struct config *c = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_msg(config_load(DATA "minimal.cf", &c, &d) == 0, "%s",
	    dump(&d));
	ck_assert_uint_eq(d.count, 0);
	ck_assert_int_eq(c->source, CONFIG_SOURCE_LDIF);
	ck_assert_str_eq(c->ldif, DATA "people.ldif");
	ck_assert_str_eq(c->mapping, DATA "mapping.xml");
	ck_assert_str_eq(c->repository, DATA "../repo");
	ck_assert_uint_eq(c->ldap.nuris, 0);
	ck_assert_ptr_null(c->ldap.uris);
	ck_assert_ptr_null(c->ldap.base);
	ck_assert_ptr_null(c->ldap.bind_dn);
	ck_assert_ptr_null(c->ldap.password_file);
	ck_assert_ptr_null(c->ldap.sasl_mech);
	ck_assert_ptr_null(c->ldap.ca_file);
	ck_assert_int_eq(c->ldap.starttls, 0);
	ck_assert_int_eq(c->ldap.tls_verify, 1);
	ck_assert_int_eq(c->ldap.network_timeout, 10);
	ck_assert_int_eq(c->ldap.timeout, 60);
	ck_assert_int_eq(c->ldap.page_size, 500);
	ck_assert_int_eq(c->layout, CONFIG_LAYOUT_BLUEMIND);
	ck_assert_str_eq(config_layout_name(c->layout), "bluemind");
	ck_assert_int_eq(c->rollout, CONFIG_ROLLOUT_DIRECT);
	ck_assert_str_eq(config_rollout_name(c->rollout), "direct");
	ck_assert_int_eq(c->feed, CONFIG_FEED_POLL);
	ck_assert_str_eq(config_feed_name(c->feed), "poll");
	ck_assert_str_eq(c->branch, "main");
	ck_assert_int_eq(c->bare, 1);
	ck_assert_str_eq(c->author_name, "splitsync");
	ck_assert_str_eq(c->author_email, "splitsync@localhost");
	ck_assert_uint_eq(c->ntransports, 3);
	ck_assert_str_eq(c->transports[0], "smtp");
	ck_assert_str_eq(c->transports[1], "lmtp");
	ck_assert_str_eq(c->transports[2], "relay");

	/* --repo: taken as given, not joined to the file's directory */
	ck_assert_int_eq(config_set_repository(c, "elsewhere/repo"), 0);
	ck_assert_str_eq(c->repository, "elsewhere/repo");
	ck_assert_int_eq(config_set_repository(c, ""), ERR_INVAL);
	ck_assert_str_eq(c->repository, "elsewhere/repo");
	config_free(c);
	config_free(NULL);
	diag_free(&d);
}
END_TEST

/* Layout, rollout and feed are parsed once into their enums; each
 * has its name back for messages. */
START_TEST(test_choices)
{
	static const struct {
		const char *text;
		enum config_layout layout;
		enum config_rollout rollout;
		enum config_feed feed;
		const char *names;
	} v[] = {
		{ BASE "layout = gateway\nrollout = review\n",
		    CONFIG_LAYOUT_GATEWAY, CONFIG_ROLLOUT_REVIEW,
		    CONFIG_FEED_POLL, "gateway review poll" },
		{ "source = ldap\nldap_uri = ldap://l\nldap_base = dc=x\n"
		    "mapping = m.xml\nrepository = r\nfeed = persist\n"
		    "rollout = direct\nlayout = bluemind\n",
		    CONFIG_LAYOUT_BLUEMIND, CONFIG_ROLLOUT_DIRECT,
		    CONFIG_FEED_PERSIST, "bluemind direct persist" },
	};
	struct config *c;
	struct diag d;
	char *dir = testlib_tmpdir(), path[4096], names[64];
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		snprintf(path, sizeof path, "%s/c%zu.cf", dir, i);
		ck_assert_int_eq(testlib_write(path, v[i].text), 0);
		c = NULL;
		diag_init(&d, NULL);
		ck_assert_msg(config_load(path, &c, &d) == 0, "%s", dump(&d));
		ck_assert_int_eq(c->layout, v[i].layout);
		ck_assert_int_eq(c->rollout, v[i].rollout);
		ck_assert_int_eq(c->feed, v[i].feed);
		snprintf(names, sizeof names, "%s %s %s",
		    config_layout_name(c->layout),
		    config_rollout_name(c->rollout), config_feed_name(c->feed));
		ck_assert_str_eq(names, v[i].names);
		config_free(c);
		diag_free(&d);
	}
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* one bad file: its text, the line named (0: the file), the message */
struct bad {
	const char *text;
	unsigned line;
	const char *what;
};

static const struct bad bad_files[] = {
	/* syntax */
	{ BASE "bogus = 1\n", 5, "unknown setting \"bogus\"" },
	{ BASE "Source = ldif\n", 5, "unknown setting \"Source\"" },
	{ BASE "just some words\n", 5, "expected \"name = value\"" },
	{ BASE "= value\n", 5, "missing name before '='" },
	{ BASE "ldif = other.ldif\n", 5, "ldif: repeated (first set at line 2)" },
	{ BASE "\n\n# c\nmapping = m2.xml\n", 8,
	    "mapping: repeated (first set at line 3)" },
	{ BASE "ldap_timeout =\n", 5,
	    "ldap_timeout: empty value (remove the line to use the default)" },
	{ BASE "ldap_timeout =    \t\n", 5,
	    "ldap_timeout: empty value (remove the line to use the default)" },
	{ BASE "author_name = a\001b\n", 5, "control character in line" },
	{ BASE "author_name = a\rb\n", 5, "control character in line" },
	/* choices and booleans */
	{ "source = file\nmapping = m\nrepository = r\n", 1,
	    "source: \"file\" is not one of ldif|ldap" },
	{ "source = LDIF\nmapping = m\nrepository = r\n", 1,
	    "source: \"LDIF\" is not one of ldif|ldap" },
	{ BASE "layout = postfix\n", 5,
	    "layout: \"postfix\" is not one of bluemind|gateway" },
	{ BASE "ldap_sasl_mech = GSSAPI\n", 5,
	    "ldap_sasl_mech: \"GSSAPI\" is not one of EXTERNAL" },
	{ BASE "ldap_sasl_mech = external\n", 5,
	    "ldap_sasl_mech: \"external\" is not one of EXTERNAL" },
	{ BASE "ldap_starttls = maybe\n", 5,
	    "ldap_starttls: \"maybe\" is not yes or no" },
	{ BASE "ldap_tls_verify = Yes\n", 5,
	    "ldap_tls_verify: \"Yes\" is not yes or no" },
	{ BASE "repository_bare = 1\n", 5,
	    "repository_bare: \"1\" is not yes or no" },
	/* numbers */
	{ BASE "ldap_network_timeout = 0\n", 5,
	    "ldap_network_timeout: \"0\" is not a number from 1 to 3600" },
	{ BASE "ldap_network_timeout = 3601\n", 5,
	    "ldap_network_timeout: \"3601\" is not a number from 1 to 3600" },
	{ BASE "ldap_timeout = 86401\n", 5,
	    "ldap_timeout: \"86401\" is not a number from 1 to 86400" },
	{ BASE "ldap_page_size = 100001\n", 5,
	    "ldap_page_size: \"100001\" is not a number from 1 to 100000" },
	{ BASE "ldap_page_size = 10x\n", 5,
	    "ldap_page_size: \"10x\" is not a number from 1 to 100000" },
	{ BASE "ldap_page_size = -5\n", 5,
	    "ldap_page_size: \"-5\" is not a number from 1 to 100000" },
	{ BASE "ldap_page_size = +5\n", 5,
	    "ldap_page_size: \"+5\" is not a number from 1 to 100000" },
	{ BASE "ldap_page_size = 0x10\n", 5,
	    "ldap_page_size: \"0x10\" is not a number from 1 to 100000" },
	{ BASE "ldap_page_size = 5 5\n", 5,
	    "ldap_page_size: \"5 5\" is not a number from 1 to 100000" },
	{ BASE "ldap_page_size = 99999999999999999999999\n", 5,
	    "ldap_page_size: \"99999999999999999999999\" is not a number "
	    "from 1 to 100000" },
	/* values */
	{ BASE "ldap_uri = http://ldap.example.com\n", 5,
	    "ldap_uri: \"http://ldap.example.com\": URI scheme must be "
	    "ldap://, ldaps:// or ldapi://" },
	{ BASE "ldap_uri = ldap.example.com\n", 5,
	    "ldap_uri: \"ldap.example.com\": URI scheme must be "
	    "ldap://, ldaps:// or ldapi://" },
	{ BASE "ldap_uri = ldap://h/dc=example,dc=com\n", 5,
	    "ldap_uri: \"ldap://h/dc=example,dc=com\": URI must name a "
	    "server only (no DN, attributes or filter)" },
	{ BASE "ldap_uri = ldap://h:99999\n", 5,
	    "ldap_uri: \"ldap://h:99999\": URI port must be a number 1..65535" },
	{ BASE "ldap_uri = ldap://h:0\n", 5,
	    "ldap_uri: \"ldap://h:0\": URI port must be a number 1..65535" },
	{ BASE "ldap_uri = ldap://h?x\n", 5,
	    "ldap_uri: \"ldap://h?x\": invalid character in URI" },
	{ BASE "ldap_uri = ldap://a ldap://a\n", 5,
	    "ldap_uri: \"ldap://a\" is listed twice" },
	{ BASE "ldap_base = not a dn\n", 5, "ldap_base: invalid DN syntax" },
	{ BASE "ldap_base = dc=example,\n", 5, "ldap_base: invalid DN syntax" },
	{ BASE "branch = a..b\n", 5, "branch: invalid branch name" },
	{ BASE "branch = x.lock\n", 5, "branch: invalid branch name" },
	{ BASE "branch = -x\n", 5, "branch: invalid branch name" },
	{ BASE "branch = a b\n", 5, "branch: invalid branch name" },
	{ BASE "branch = refs/heads/\n", 5, "branch: invalid branch name" },
	{ BASE "branch = @\n", 5, "branch: invalid branch name" },
	{ BASE "branch = HEAD\n", 5,
	    "branch: \"HEAD\" is not a branch name (it names what is "
	    "checked out)" },
	{ BASE "hold_branch = HEAD\n", 5,
	    "hold_branch: \"HEAD\" is not a branch name (it names what is "
	    "checked out)" },
	{ BASE "branch = refs/heads/x\n", 5,
	    "branch: a short name is expected, without \"refs/\" "
	    "(\"main\", not \"refs/heads/main\")" },
	{ BASE "proposal_branch = refs/x\n", 5,
	    "proposal_branch: a short name is expected, without \"refs/\" "
	    "(\"main\", not \"refs/heads/main\")" },
	{ BASE "hold_branch = main\n", 5,
	    "hold_branch: \"main\" is also branch (its default); branch, "
	    "proposal_branch and hold_branch must differ" },
	{ BASE "branch = prod\nproposal_branch = prod\n", 6,
	    "proposal_branch: \"prod\" is also branch (line 5); branch, "
	    "proposal_branch and hold_branch must differ" },
	{ BASE "hold_branch = main-proposed\n", 5,
	    "hold_branch: \"main-proposed\" is also proposal_branch (its "
	    "default); branch, proposal_branch and hold_branch must differ" },
	{ BASE "proposal_branch = main-held\n", 5,
	    "proposal_branch: \"main-held\" is also hold_branch (its "
	    "default); branch, proposal_branch and hold_branch must differ" },
	{ BASE "hold_branch = x\nproposal_branch = x\n", 6,
	    "proposal_branch: \"x\" is also hold_branch (line 5); branch, "
	    "proposal_branch and hold_branch must differ" },
	{ BASE "hold_branch = main/held\n", 5,
	    "hold_branch: \"main/held\" cannot exist beside branch "
	    "\"main\" (git would need one as a directory of the other)" },
	{ BASE "branch = a\nhold_branch = a/b\n", 6,
	    "hold_branch: \"a/b\" cannot exist beside branch \"a\" "
	    "(git would need one as a directory of the other)" },
	{ BASE "author_name = A <b@example.com>\n", 5,
	    "author_name: must not contain '<' or '>'" },
	{ BASE "author_email = nobody\n", 5,
	    "author_email: must be local@domain" },
	{ BASE "author_email = a b@example.com\n", 5,
	    "author_email: must not contain white space, '<' or '>'" },
	{ BASE "transports = smtp Relay\n", 5,
	    "transports: \"Relay\": transport names are lowercase letters, "
	    "digits, '-', '_' and '.'" },
	{ BASE "transports = smtp smtp:\n", 5,
	    "transports: \"smtp:\": transport names are lowercase letters, "
	    "digits, '-', '_' and '.'" },
	{ BASE "transports = smtp lmtp smtp\n", 5,
	    "transports: \"smtp\" is listed twice" },
	{ BASE "remotes = file://routing.git\n", 5,
	    "remotes: \"file://routing.git\": a file:// URL needs an absolute "
	    "path" },
	/* contradictions */
	{ BASE "ldap_bind_dn = cn=x,dc=example,dc=com\n", 5,
	    "ldap_bind_dn needs ldap_bind_password_file" },
	{ BASE "ldap_bind_password_file = pw\n", 5,
	    "ldap_bind_password_file needs ldap_bind_dn" },
	{ BASE "ldap_bind_dn = cn=x,dc=example,dc=com\n"
	    "ldap_bind_password_file = pw\nldap_sasl_mech = EXTERNAL\n", 7,
	    "ldap_sasl_mech cannot be combined with ldap_bind_dn (line 5)" },
	{ BASE "ldap_starttls = yes\n"
	    "ldap_uri = ldap://a.example.com LDAPS://b.example.com\n", 5,
	    "ldap_starttls = yes cannot be used with an ldaps:// URI "
	    "(line 6)" },
	/* missing settings: the file alone is named */
	{ "source = ldif\nmapping = m\nrepository = r\n", 0,
	    "missing required setting \"ldif\" (source = ldif)" },
	{ "source = ldif\nldif = d\nrepository = r\n", 0,
	    "missing required setting \"mapping\"" },
	{ "source = ldif\nldif = d\nmapping = m\n", 0,
	    "missing required setting \"repository\"" },
	{ "ldif = d\nmapping = m\nrepository = r\n", 0,
	    "missing required setting \"source\"" },
	{ "source = ldap\nldap_base = dc=x\nmapping = m\nrepository = r\n", 0,
	    "missing required setting \"ldap_uri\" (source = ldap)" },
	{ "source = ldap\nldap_uri = ldapi://\nmapping = m\nrepository = r\n",
	    0, "missing required setting \"ldap_base\" (source = ldap)" },
};

START_TEST(test_bad)
{
	const struct bad *t = &bad_files[_i];
	static struct config sentinel;
	struct config *c = &sentinel;	/* config_load must reset it */
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/t.cf", dir);
	ck_assert_int_eq(testlib_write(path, t->text), 0);
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(path, &c, &d), ERR_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_msg(has_item(&d, where_of(path, t->line), t->what),
	    "want [%s: %s], got %s", where_of(path, t->line), t->what,
	    dump(&d));
	/* one mistake, one message: no cascade */
	ck_assert_msg(d.nerrors == 1, "%zu errors: %s", d.nerrors, dump(&d));
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_several_errors)
{
	static const char text[] =
	    "# several mistakes, all reported\n"	/* 1 */
	    "source = ldif\n"				/* 2 */
	    "ldif = d.ldif\n"				/* 3 */
	    "ldap_timeout = never\n"			/* 4 */
	    "colour = blue\n"				/* 5 */
	    "ldif = again.ldif\n"			/* 6 */
	    "\n"					/* 7 */
	    "layout = qmail\n"				/* 8 */
	    "ldap_bind_dn = cn=x,dc=example,dc=com\n";	/* 9 */
	struct config *c = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024], where[1100];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/several.cf", dir);
	ck_assert_int_eq(testlib_write(path, text), 0);
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(path, &c, &d), ERR_CONFIG);
	ck_assert_ptr_null(c);
	snprintf(where, sizeof where, "%s:4", path);
	ck_assert(has_item(&d, where,
	    "ldap_timeout: \"never\" is not a number from 1 to 86400"));
	snprintf(where, sizeof where, "%s:5", path);
	ck_assert(has_item(&d, where, "unknown setting \"colour\""));
	snprintf(where, sizeof where, "%s:6", path);
	ck_assert(has_item(&d, where, "ldif: repeated (first set at line 3)"));
	snprintf(where, sizeof where, "%s:8", path);
	ck_assert(has_item(&d, where,
	    "layout: \"qmail\" is not one of bluemind|gateway"));
	snprintf(where, sizeof where, "%s:9", path);
	ck_assert(has_item(&d, where,
	    "ldap_bind_dn needs ldap_bind_password_file"));
	ck_assert(has_item(&d, path, "missing required setting \"mapping\""));
	ck_assert(has_item(&d, path,
	    "missing required setting \"repository\""));
	ck_assert_msg(d.nerrors == 7, "%zu errors: %s", d.nerrors, dump(&d));
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_empty_file)
{
	struct config *c = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/empty.cf", dir);
	ck_assert_int_eq(testlib_write(path, "# nothing\n\n   \n"), 0);
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(path, &c, &d), ERR_CONFIG);
	ck_assert(has_item(&d, path, "missing required setting \"source\""));
	ck_assert(has_item(&d, path, "missing required setting \"mapping\""));
	ck_assert(has_item(&d, path,
	    "missing required setting \"repository\""));
	/* without a source, neither ldif nor ldap_uri is asked for */
	ck_assert_uint_eq(d.nerrors, 3);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_overlong_line)
{
	struct config *c = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024], where[1100];
	char *text, *p;
	size_t vlen;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/long.cf", dir);
	text = malloc(16384);
	ck_assert_ptr_nonnull(text);

	/* exactly 4096 bytes: accepted whole */
	p = text + sprintf(text, BASE "author_name = ");
	vlen = 4096 - strlen("author_name = ");
	memset(p, 'n', vlen);
	strcpy(p + vlen, "\n");
	ck_assert_int_eq(testlib_write(path, text), 0);
	diag_init(&d, NULL);
	ck_assert_msg(config_load(path, &c, &d) == 0, "%s", dump(&d));
	ck_assert_uint_eq(strlen(c->author_name), vlen);
	config_free(c);
	diag_free(&d);

	/* 4097 bytes: an error, not a shorter value; the next line is
	 * still read and numbered right */
	p = text + sprintf(text, BASE "author_name = ");
	memset(p, 'n', vlen + 1);
	strcpy(p + vlen + 1, "\nbogus = 1\n");
	ck_assert_int_eq(testlib_write(path, text), 0);
	diag_init(&d, NULL);
	c = NULL;
	ck_assert_int_eq(config_load(path, &c, &d), ERR_CONFIG);
	ck_assert_ptr_null(c);
	snprintf(where, sizeof where, "%s:5", path);
	ck_assert_msg(has_item(&d, where, "line longer than 4096 bytes"),
	    "%s", dump(&d));
	snprintf(where, sizeof where, "%s:6", path);
	ck_assert(has_item(&d, where, "unknown setting \"bogus\""));
	ck_assert_uint_eq(d.nerrors, 2);
	diag_free(&d);
	free(text);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char bytes[] =
	    "source = ldif\nldif = d\0evil.ldif\nmapping = m\nrepository = r\n";
	struct config *c = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024], where[1100];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/nul.cf", dir);
	write_bytes(path, bytes, sizeof bytes - 1);
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(path, &c, &d), ERR_CONFIG);
	ck_assert_ptr_null(c);
	snprintf(where, sizeof where, "%s:2", path);
	ck_assert_msg(has_item(&d, where, "NUL byte in line"), "%s",
	    dump(&d));
	/* the line is refused whole: no "ldif = d" sneaks through, so
	 * the setting is missing too */
	ck_assert(has_item(&d, path,
	    "missing required setting \"ldif\" (source = ldif)"));
	ck_assert_uint_eq(d.nerrors, 2);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_layout_of_lines)
{
	/* CRLF, tabs, comments, no final newline, '=' and '#' in values */
	static const char text[] =
	    "# comment\r\n"
	    "   # indented comment\r\n"
	    "\t\r\n"
	    "source\t=\tldif\r\n"
	    "ldif=d.ldif\r\n"
	    "ldap_base = cn=a\\=b,dc=example,dc=com\r\n"
	    "mapping =m.xml\n"
	    "author_name = Split Sync # not a comment\n"
	    "repository = /srv/routes";
	struct config *c = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024], want[1100];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/layout.cf", dir);
	ck_assert_int_eq(testlib_write(path, text), 0);
	diag_init(&d, NULL);
	ck_assert_msg(config_load(path, &c, &d) == 0, "%s", dump(&d));
	snprintf(want, sizeof want, "%s/d.ldif", dir);
	ck_assert_str_eq(c->ldif, want);
	snprintf(want, sizeof want, "%s/m.xml", dir);
	ck_assert_str_eq(c->mapping, want);
	ck_assert_str_eq(c->ldap.base, "cn=a\\=b,dc=example,dc=com");
	ck_assert_str_eq(c->author_name, "Split Sync # not a comment");
	ck_assert_str_eq(c->repository, "/srv/routes");
	config_free(c);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_relative_paths)
{
	static const char text[] =
	    "source = ldap\n"
	    "ldap_uri = ldap://ldap.example.com\n"
	    "ldap_base = dc=example,dc=com\n"
	    "ldap_bind_dn = cn=sync,dc=example,dc=com\n"
	    "ldap_bind_password_file = secret/pw\n"
	    "ldap_ca_file = ../ca.pem\n"
	    "ldif = ./x.ldif\n"
	    "mapping = /abs/mapping.xml\n"
	    "repository = repo.git\n";
	struct config *c = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024], want[1100], *cwd;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/rel.cf", dir);
	ck_assert_int_eq(testlib_write(path, text), 0);
	diag_init(&d, NULL);
	ck_assert_msg(config_load(path, &c, &d) == 0, "%s", dump(&d));
	snprintf(want, sizeof want, "%s/secret/pw", dir);
	ck_assert_str_eq(c->ldap.password_file, want);
	snprintf(want, sizeof want, "%s/../ca.pem", dir);
	ck_assert_str_eq(c->ldap.ca_file, want);
	snprintf(want, sizeof want, "%s/./x.ldif", dir);
	ck_assert_str_eq(c->ldif, want);
	ck_assert_str_eq(c->mapping, "/abs/mapping.xml");
	snprintf(want, sizeof want, "%s/repo.git", dir);
	ck_assert_str_eq(c->repository, want);
	config_free(c);

	/* a file named without a directory: paths stay as written */
	cwd = getcwd(NULL, 0);
	ck_assert_ptr_nonnull(cwd);
	ck_assert_int_eq(chdir(dir), 0);
	c = NULL;
	ck_assert_int_eq(config_load("rel.cf", &c, &d), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_str_eq(c->path, "rel.cf");
	ck_assert_str_eq(c->ldap.password_file, "secret/pw");
	ck_assert_str_eq(c->repository, "repo.git");
	config_free(c);
	free(cwd);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_unreadable)
{
	static struct config sentinel;
	struct config *c = &sentinel;	/* config_load must reset it */
	struct diag d;
	char *dir = testlib_tmpdir(), path[1024];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/absent.cf", dir);
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(path, &c, &d), ERR_NOINPUT);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.nerrors, 1);
	ck_assert_str_eq(d.items[0].where, path);
	ck_assert_ptr_nonnull(strstr(d.items[0].what, "cannot open"));
	diag_free(&d);

	/* a directory is not a configuration file */
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(dir, &c, &d), ERR_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.nerrors, 1);
	ck_assert_ptr_nonnull(strstr(d.items[0].what, "is a directory"));
	diag_free(&d);

	/* nor a FIFO, which is never waited on */
	snprintf(path, sizeof path, "%s/fifo.cf", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	diag_init(&d, NULL);
	ck_assert_int_eq(config_load(path, &c, &d), ERR_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(d.items[0].where, path);
	ck_assert_ptr_nonnull(strstr(d.items[0].what, "is a FIFO"));
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* config_suite - all of the above */
static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_sasl);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_choices);
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof bad_files / sizeof bad_files[0]));
	tcase_add_test(tc, test_several_errors);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_overlong_line);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_layout_of_lines);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(config_suite()); }
