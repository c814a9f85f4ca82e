/*
 * check_layout - the layout definition, layouts/postfix.tables
 *
 * DESCRIPTION
 *	One file says which tables each layout has and which shapes their
 *	rows take; splitsync has it compiled in (layouts/definition.awk
 *	writes it as C), splitsync-deploy reads it on the Postfix hosts
 *	with the same awk, and checks rows with layouts/rows.awk. Here:
 *
 *	- layout_row_check, row by row, for every shape of key and value
 *	  and the ways a row misses them;
 *	- the build and the deploy script read a definition the same way
 *	  (layouts/definition.awk): a broken one gets the same
 *	  "file:line: why" from both, a good one passes both;
 *	- every layout of the definition is a layout splitsync.conf(5)
 *	  accepts;
 *	- splitsync(8) and the deploy README list exactly the rows of
 *	  the definition;
 *	- the paths of a commit's files, and which files a commit holds
 *	  (layout_files), whole or as an update.
 *
 * DIAGNOSTICS
 *	Check's summary; failures name the row, the file and line, or
 *	the command and its output.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "errors.h"
#include "layout.h"
#include "model.h"
#include "render.h"
#include "shard.h"
#include "testlib.h"

#define DEFINITION "layouts/postfix.tables"
#define DEFINITION_AWK "layouts/definition.awk"
#define ROWS_AWK "layouts/rows.awk"
#define SCRIPT "examples/postfix-deploy/splitsync-deploy"
#define MAN8 "docs/splitsync.8"
#define DEPLOY_README "examples/postfix-deploy/README.md"

static const char *const transports[] = { "smtp", "lmtp" };

/* small_model - example.com (alias example.net) and split.test */
static struct model *
small_model(void)
{
	char name1[] = "example.com", alias[] = "example.net";
	char name2[] = "split.test", origin[] = "test";
	char *aliases[] = { alias };
	struct domain_spec d1 = { name1, aliases, 1, NULL, 0, NULL, origin };
	struct domain_spec d2 = { name2, NULL, 0, NULL, 0, NULL, origin };
	struct model *m = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(model_new(&m, transports, 2), 0);
	ck_assert_int_eq(model_add_domain(m, &d1, &d), 0);
	ck_assert_int_eq(model_add_domain(m, &d2, &d), 0);
	ck_assert_int_eq(model_finish(m, NULL, NULL, &d), 0);
	diag_free(&d);
	return m;
}

struct row_case {
	const char *layout;
	const char *table;
	const char *key;
	const char *value;
	int fits;
};

static const struct row_case row_cases[] = {
	{ "bluemind", "virtual_domains", "example.com", "OK", 1 },
	{ "bluemind", "virtual_domains", "example.net", "OK", 1 },
	{ "bluemind", "virtual_domains", "evil.test", "OK", 0 },
	{ "bluemind", "virtual_domains", "example.com", "ok", 0 },
	{ "bluemind", "virtual_domains", "@example.com", "OK", 0 },
	{ "bluemind", "virtual_mailbox", "a@example.com", "OK", 1 },
	{ "bluemind", "virtual_mailbox", "@split.test", "OK", 1 },
	{ "bluemind", "virtual_mailbox", "a@split.test.evil", "OK", 0 },
	{ "bluemind", "virtual_mailbox", "a@example.com", "a@example.com", 0 },
	{ "bluemind", "virtual_mailbox", "example.com", "OK", 0 },
	{ "bluemind", "virtual_mailbox", "A@example.com", "OK", 0 },
	{ "bluemind", "virtual_alias", "a@example.net", "a@example.com", 1 },
	{ "bluemind", "virtual_alias", "@example.net", "@example.com", 1 },
	{ "bluemind", "virtual_alias", "a@example.com", "a@example.com,"
	    "b@example.com", 0 },
	{ "bluemind", "virtual_alias", "a@example.com", "spy@evil.test", 0 },
	{ "bluemind", "virtual_alias", "@example.com", "a@example.com", 0 },
	{ "bluemind", "virtual_alias", "a@example.com", "@example.net", 0 },
	{ "bluemind", "virtual_alias", "\"a\"@example.com", "a@example.com",
	    0 },
	{ "bluemind", "transport", "a@example.com",
	    "smtp:[relay.example.com]:25", 1 },
	{ "bluemind", "transport", "a@example.com", "lmtp:[10.0.0.1]:24", 1 },
	{ "bluemind", "transport", "a@example.com",
	    "smtp:[ipv6:2001:db8::1]", 1 },
	{ "bluemind", "transport", "a@example.com", "smtp:mx.example.com", 1 },
	{ "bluemind", "transport", "a@example.com", ":", 1 },
	{ "bluemind", "transport", "a@example.com", "relay:[r.example]:25", 0 },
	{ "bluemind", "transport", "a@example.com", "smtp:[2001:db8::1]", 0 },
	{ "bluemind", "transport", "a@example.com", "smtp:[a.example]:0", 0 },
	{ "bluemind", "transport", "a@example.com", "error:5.1.1 no", 0 },
	{ "bluemind", "transport", "example.com", "smtp:[r.example]:25", 0 },
	{ "bluemind", "transport", "*", "smtp:[r.example]:25", 0 },
	{ "bluemind", "transport", ".example.com", "smtp:[r.example]:25", 0 },
	{ "bluemind", "master_relay_transport", "split.test",
	    "smtp:[old.split.test]:25", 1 },
	{ "bluemind", "master_relay_transport", "split.test", ":", 0 },
	{ "bluemind", "relay_domains", "example.com", "OK", 0 },
	{ "gateway", "relay_domains", "example.com", "OK", 1 },
	{ "gateway", "relay_recipients", "@example.net", "OK", 1 },
	{ "gateway", "relay_recipients", "example.net", "OK", 0 },
	{ "gateway", "transport", "example.net", "lmtp:[c.example]:2400", 1 },
	{ "gateway", "transport", "a@example.net", ":", 1 },
	{ "gateway", "transport", "example.net", ":", 0 },
	{ "gateway", "transport", "@example.net", "smtp:[r.example]:25", 0 },
	{ "gateway", "virtual_alias", "a@example.com", "a@example.com", 0 },
};
#define NROW_CASES (sizeof row_cases / sizeof row_cases[0])

START_TEST(test_row_check)
{
	const struct row_case *c = &row_cases[_i];
	const struct layout_def *lay = layout_find(c->layout);
	struct model *m = small_model();
	const char *why = "unset";
	int rc;

	ck_assert_ptr_nonnull(lay);
	rc = layout_row_check(lay, c->table, m, c->key, c->value, &why);
	if (c->fits) {
		ck_assert_msg(rc == 0, "%s %s \"%s %s\": refused: %s",
		    c->layout, c->table, c->key, c->value, why);
		ck_assert_ptr_null(why);
	} else {
		ck_assert_msg(rc == ERR_BUG, "%s %s \"%s %s\": accepted",
		    c->layout, c->table, c->key, c->value);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(layout_row_check(lay, c->table, m, c->key, c->value,
	    NULL), rc);
	model_free(m);
}
END_TEST

struct def_case {
	const char *text;
	const char *want;       /* one line both must say, after "FILE:" */
};

static const struct def_case def_cases[] = {
	{ "layout bluemind virtual_domains\n", "1: layout bluemind: no row "
	    "for virtual_domains" },
	{ "# comment\n\nrow bluemind transport address nexthop\n",
	    "3: row of an undeclared layout bluemind" },
	{ "layout b d\nrow b d domain OK\nrow b t address maybe\n",
	    "3: unknown value shape maybe" },
	{ "layout b d\nrow b d domain OK\nrow b t nexthop OK\n",
	    "3: unknown key shape nexthop" },
	{ "layout b d\nrow b d domain OK\nrow b d address OK\n",
	    "3: row b d: the domain table holds only \"domain OK\" rows" },
	{ "layout b d\nrow b d domain OK\nrow b t.d address OK\n",
	    "3: row b t.d: not a table name" },
	{ "layout b d\nrow b d domain OK\nrow b ../t address OK\n",
	    "3: row b ../t: not a table name" },
	{ "layout b d\nrow b d domain OK\nrow b d domain OK\n",
	    "3: row b d domain OK: listed twice" },
	{ "layout b d\nlayout b e\nrow b d domain OK\n",
	    "2: layout b: declared twice" },
	{ "layout B d\n", "1: layout B: not a layout name" },
	{ "layout b d extra\n", "1: layout NAME DOMAIN_TABLE: 3 words" },
	{ "layout b d\nrow b d domain OK x\n",
	    "2: row LAYOUT TABLE KEY VALUE: 5 words" },
	{ "tables b d\n", "1: unknown line: tables" },
	{ "# nothing\n", "0: no layout" },
};
#define NDEF_CASES (sizeof def_cases / sizeof def_cases[0])

/* errors_of - the lines of out that start with path: (free()) */
static char *
errors_of(const char *out, const char *path)
{
	size_t plen = strlen(path), n = 0, len;
	const char *p = out, *nl;
	char *e = calloc(1, strlen(out ? out : "") + 1);

	ck_assert_ptr_nonnull(e);
	while (p && *p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "splitsync-deploy: ", 18) == 0 &&
		    strncmp(p + 18, path, plen) == 0) {
			p += 18;
			len -= 18;
		}
		if (strncmp(p, path, plen) == 0 && p[plen] == ':' &&
		    isdigit((unsigned char)p[plen + 1])) {
			memcpy(e + n, p, len);
			n += len;
			e[n++] = '\n';
		}
		p = nl ? nl + 1 : NULL;
	}
	return e;
}

START_TEST(test_generator_and_script_agree)
{
	/* a broken definition: the build stops, the script refuses to
	 * run (exit 70), and both say the same lines */
	const struct def_case *c = &def_cases[_i];
	char *dir = testlib_tmpdir(), *path = NULL, *out = NULL, *gen, *dep;
	char want[512];
	int rc;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_ge(asprintf(&path, "%s/postfix.tables", dir), 0);
	ck_assert_int_eq(testlib_write(path, c->text), 0);
	rc = testlib_sh(&out, "cp " DEFINITION_AWK " " ROWS_AWK " '%s'/ && "
	    "LC_ALL=C awk -v out=c -f " DEFINITION_AWK " '%s' >/dev/null",
	    dir, path);
	ck_assert_msg(rc == 1, "generator: exit %d: %s", rc, out ? out : "");
	gen = errors_of(out, path);
	free(out);
	rc = testlib_sh(&out, "sh " SCRIPT " -r x -d '%s/t' -s '%s/s' "
	    "-c '%s' -L '%s'", dir, dir, dir, dir);
	ck_assert_msg(rc == 70, "script: exit %d: %s", rc, out ? out : "");
	dep = errors_of(out, path);
	free(out);
	snprintf(want, sizeof want, "%s:%s", path, c->want);
	ck_assert_msg(strstr(gen, want) != NULL, "generator said:\n%s"
	    "not: %s", gen, want);
	ck_assert_msg(strcmp(gen, dep) == 0, "generator said:\n%s"
	    "script said:\n%s", gen, dep);
	free(gen);
	free(dep);
	free(path);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_definition_is_valid)
{
	/* the shipped definition: the build writes C from it, the script
	 * takes each layout of it */
	char *out = NULL;
	size_t i;
	int rc;

	rc = testlib_sh(&out, "LC_ALL=C awk -v out=c -f " DEFINITION_AWK " "
	    DEFINITION " >/dev/null");
	ck_assert_msg(rc == 0, "generator: %s", out ? out : "");
	free(out);
	for (i = 0; i < layout_ndefs; i++) {
		/* an unknown table named: the layout itself was taken */
		rc = testlib_sh(&out, "sh " SCRIPT " -r x -d /nonexistent/t "
		    "-s /nonexistent/s -c /nonexistent -L layouts -l %s "
		    "-t nosuch", layout_defs[i].name);
		ck_assert_msg(rc == 64 && out && strstr(out, "-t nosuch: not a "
		    "table of the"), "%s: exit %d: %s", layout_defs[i].name,
		    rc, out ? out : "");
		free(out);
	}
}
END_TEST

START_TEST(test_layouts_are_configurable)
{
	/* every layout of the definition is one splitsync.conf takes */
	char *dir = testlib_tmpdir(), *path = NULL, *text = NULL;
	struct config *cfg = NULL;
	struct diag d;
	size_t i;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_ge(asprintf(&path, "%s/splitsync.conf", dir), 0);
	for (i = 0; i < layout_ndefs; i++) {
		diag_init(&d, NULL);
		ck_assert_int_ge(asprintf(&text, "source = ldif\n"
		    "ldif = d.ldif\nmapping = m.xml\nrepository = r\n"
		    "layout = %s\n", layout_defs[i].name), 0);
		ck_assert_int_eq(testlib_write(path, text), 0);
		ck_assert_msg(config_load(path, &cfg, &d) == 0, "layout %s: %s",
		    layout_defs[i].name, diag_last_error(&d));
		ck_assert_str_eq(config_layout_name(cfg->layout),
		    layout_defs[i].name);
		config_free(cfg);
		cfg = NULL;
		free(text);
		diag_free(&d);
	}
	free(path);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* shape_name - a shape as the definition spells it */
static const char *
shape_name(enum layout_shape s)
{
	switch (s) {
	case LAYOUT_DOMAIN: return "domain";
	case LAYOUT_ADDRESS: return "address";
	case LAYOUT_AT_DOMAIN: return "@domain";
	case LAYOUT_OK: return "OK";
	case LAYOUT_NEXTHOP: return "nexthop";
	case LAYOUT_DEFAULT: return ":";
	}
	return "?";
}

/* is_layout - word (len bytes) is the name of a layout */
static int
is_layout(const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < layout_ndefs; i++)
		if (strlen(layout_defs[i].name) == len &&
		    strncmp(layout_defs[i].name, word, len) == 0)
			return 1;
	return 0;
}

/* doc_rows - the rows a document lists: each line that is, once '|'
 * and '`' are blanks, four words, the first a layout, as
 * "layout table key value\n" (free()) */
static char *
doc_rows(const char *path)
{
	char *text = testlib_read(path, NULL), *rows, *line, *save = NULL;
	char *w[5], *p;
	size_t n = 0, k;

	ck_assert_msg(text != NULL, "cannot read %s", path);
	rows = calloc(1, strlen(text) + 1);
	ck_assert_ptr_nonnull(rows);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		for (p = line; *p; p++)
			if (*p == '|' || *p == '`' || *p == '\t')
				*p = ' ';
		for (k = 0, p = line; k < 5; k++) {
			while (*p == ' ')
				p++;
			if (*p == '\0')
				break;
			w[k] = p;
			while (*p && *p != ' ')
				p++;
			if (*p)
				*p++ = '\0';
		}
		while (*p == ' ')
			p++;
		if (k != 4 || *p != '\0' || !is_layout(w[0], strlen(w[0])))
			continue;
		n += (size_t)sprintf(rows + n, "%s %s %s %s\n", w[0], w[1],
		    w[2], w[3]);
	}
	free(text);
	return rows;
}

static const char *const documents[] = { MAN8, DEPLOY_README };

START_TEST(test_docs_list_the_rows)
{
	/* the rows of the document, in order, are those of the
	 * definition: none missing, none extra */
	char *rows = doc_rows(documents[_i]), want[4096], *p = want;
	size_t i, j;

	*p = '\0';
	for (i = 0; i < layout_ndefs; i++)
		for (j = 0; j < layout_defs[i].nrows; j++) {
			const struct layout_row *r = &layout_defs[i].rows[j];

			p += snprintf(p, sizeof want - (size_t)(p - want),
			    "%s %s %s %s\n", layout_defs[i].name, r->table,
			    shape_name(r->key), shape_name(r->value));
			ck_assert_uint_lt((size_t)(p - want), sizeof want);
		}
	ck_assert_msg(strcmp(rows, want) == 0, "%s lists:\n%s\n"
	    DEFINITION " has:\n%s", documents[_i], rows, want);
	free(rows);
}
END_TEST

/* --- the files of a commit ---------------------------------------- */

START_TEST(test_paths)
{
	static const struct {
		enum layout_part part;
		const char *table;
		size_t i, n;
		const char *path;
	} v[] = {
		{ LAYOUT_PART_TABLE, "transport", 0, 0, "transport" },
		{ LAYOUT_PART_TABLE, "transport", 0x3, 16, "transport.d/3" },
		{ LAYOUT_PART_TABLE, "virtual_alias", 0x3fa, 4096,
		    "virtual_alias.d/3/f/a" },
		{ LAYOUT_PART_LISTING, NULL, 0, 0, ".splitsync/routes" },
		{ LAYOUT_PART_LISTING, NULL, 0xf0, 256,
		    ".splitsync/routes.d/f/0" },
		{ LAYOUT_PART_LISTING, NULL, 0x3fa1, 65536,
		    ".splitsync/routes.d/3/f/a/1" },
		/* 256 state shards keep the flat names of repositories
		 * written before sharding */
		{ LAYOUT_PART_STATE, NULL, 0xab, LAYOUT_MIRROR_SHARDS,
		    ".splitsync/mirror/ab" },
		{ LAYOUT_PART_STATE, NULL, 0x3fa, 4096,
		    ".splitsync/mirror/3/f/a" },
		{ LAYOUT_PART_STATE, NULL, 0x3fa1, 65536,
		    ".splitsync/mirror/3/f/a/1" },
	};
	char out[SHARD_PATH_MAX], name[300];
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		ck_assert_int_eq(layout_path(out, sizeof out, v[i].part,
		    v[i].table, v[i].i, v[i].n), 0);
		ck_assert_str_eq(out, v[i].path);
	}
	ck_assert_int_eq(layout_dir(out, sizeof out, LAYOUT_PART_TABLE,
	    "transport"), 0);
	ck_assert_str_eq(out, "transport.d");
	ck_assert_int_eq(layout_dir(out, sizeof out, LAYOUT_PART_LISTING,
	    NULL), 0);
	ck_assert_str_eq(out, ".splitsync/routes.d");
	ck_assert_int_eq(layout_dir(out, sizeof out, LAYOUT_PART_STATE, NULL),
	    0);
	ck_assert_str_eq(out, ".splitsync/mirror");
	/* Too long for a path: refused, never cut short. */
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ck_assert_int_eq(layout_path(out, sizeof out, LAYOUT_PART_TABLE,
	    name, 0, 0), ERR_INVAL);
	ck_assert_int_eq(layout_path(out, sizeof out, LAYOUT_PART_TABLE,
	    name, 1, 16), ERR_INVAL);
	ck_assert_int_eq(layout_path(out, 14, LAYOUT_PART_TABLE, "transport",
	    1, 4096), ERR_INVAL);
	ck_assert_uint_eq(layout_state_shards(0), LAYOUT_MIRROR_SHARDS);
	ck_assert_uint_eq(layout_state_shards(16), 256);
	ck_assert_uint_eq(layout_state_shards(4096), 65536);
	ck_assert_uint_eq(layout_state_shards(65536), 65536);
}
END_TEST

START_TEST(test_table_of)
{
	static const char *const v[][2] = {
		{ "transport", "transport" },
		{ "transport.d/3", "transport" },
		{ "virtual_alias.d/3/f/a", "virtual_alias" },
		{ "main.cf", "main.cf" },
		{ "x.d", "x.d" },
		{ ".d/3", ".d/3" },
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		ck_assert_int_eq(layout_table_of(v[i][0], &out), 0);
		ck_assert_str_eq(out.data, v[i][1]);
	}
	buf_free(&out);
}
END_TEST

/* file_at - the file of f at path, or NULL */
static const struct git_sink_file *
file_at(const struct layout_files *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		if (strcmp(f->files[i].path, path) == 0)
			return &f->files[i];
	return NULL;
}

/* Two tables (one of them empty) and a listing of one route. */
START_TEST(test_whole_commit)
{
	char name1[] = "transport", name2[] = "virtual_alias";
	struct table items[2];
	struct tables t = { items, 2 };
	struct buf listing = BUF_INIT, state[16];
	struct layout_files f;
	const struct git_sink_file *g;
	char path[SHARD_PATH_MAX];
	size_t i, s, n;

	memset(items, 0, sizeof items);
	items[0].name = name1;
	items[1].name = name2;
	ck_assert_int_eq(buf_puts(&items[0].text, "a@example.com smtp:[r]:25\n"
	    "b@example.com smtp:[r]:25\n"), 0);
	ck_assert_int_eq(buf_puts(&listing, "a@example.com\texternal\t\t"
	    "\tuid=a\n"), 0);
	/* In one file each: borrowed, an empty table still a file. */
	layout_files_init(&f, 0);
	ck_assert_int_eq(layout_files_tables(&f, 0, &t, &listing), 0);
	ck_assert_uint_eq(f.count, 3);
	ck_assert_ptr_eq(file_at(&f, "transport")->data, items[0].text.data);
	ck_assert_uint_eq(file_at(&f, "virtual_alias")->len, 0);
	ck_assert_ptr_nonnull(file_at(&f, ".splitsync/routes"));
	layout_files_clear(&f);
	/* In 16 shards: each line in its key's shard, shard 0 always. */
	layout_files_init(&f, 0);
	ck_assert_int_eq(layout_files_tables(&f, 16, &t, &listing), 0);
	for (i = 0; i < f.count; i++)
		ck_assert_msg(f.files[i].len > 0 ||
		    strcmp(strrchr(f.files[i].path, '/'), "/0") == 0,
		    "%s: empty", f.files[i].path);
	s = shard_of("a@example.com", 13, 16);
	ck_assert_int_eq(layout_path(path, sizeof path, LAYOUT_PART_TABLE,
	    "transport", s, 16), 0);
	g = file_at(&f, path);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(strncmp(g->data, "a@example.com ", 14), 0);
	ck_assert_ptr_nonnull(file_at(&f, "virtual_alias.d/0"));
	ck_assert_ptr_nonnull(file_at(&f, ".splitsync/routes.d/0"));
	ck_assert_int_eq(layout_path(path, sizeof path, LAYOUT_PART_LISTING,
	    NULL, s, 16), 0);
	ck_assert_ptr_nonnull(file_at(&f, path));
	n = f.count;
	/* The state: never an empty shard. */
	for (i = 0; i < 16; i++)
		buf_init(&state[i]);
	ck_assert_int_eq(buf_puts(&state[5], "dn: uid=a\n\n"), 0);
	ck_assert_int_eq(layout_files_state(&f, state, 16), 0);
	ck_assert_uint_eq(f.count, n + 1);
	ck_assert_ptr_nonnull(file_at(&f, ".splitsync/mirror/5"));
	ck_assert_ptr_null(state[5].data);
	layout_files_clear(&f);
	buf_free(&listing);
	buf_free(&items[0].text);
}
END_TEST

/* An update removes an empty shard, except shard 0 of a table or the
 * listing. */
START_TEST(test_update)
{
	struct layout_files f;
	struct buf text = BUF_INIT;
	const struct git_sink_file *g;

	layout_files_init(&f, 1);
	ck_assert_int_eq(layout_files_take(&f, LAYOUT_PART_TABLE, "transport",
	    0, 16, &text), 0);
	ck_assert_int_eq(layout_files_take(&f, LAYOUT_PART_TABLE, "transport",
	    3, 16, &text), 0);
	ck_assert_int_eq(layout_files_take(&f, LAYOUT_PART_LISTING, NULL, 0,
	    16, &text), 0);
	ck_assert_int_eq(layout_files_take(&f, LAYOUT_PART_STATE, NULL, 0,
	    256, &text), 0);
	ck_assert_int_eq(buf_puts(&text, "a@example.com OK\n"), 0);
	ck_assert_int_eq(layout_files_take(&f, LAYOUT_PART_TABLE,
	    "virtual_mailbox", 7, 16, &text), 0);
	ck_assert_ptr_null(text.data);
	ck_assert_uint_eq(f.count, 5);
	ck_assert_int_eq(file_at(&f, "transport.d/0")->remove, 0);
	ck_assert_int_eq(file_at(&f, "transport.d/3")->remove, 1);
	ck_assert_int_eq(file_at(&f, ".splitsync/routes.d/0")->remove, 0);
	ck_assert_int_eq(file_at(&f, ".splitsync/mirror/00")->remove, 1);
	g = file_at(&f, "virtual_mailbox.d/7");
	ck_assert_int_eq(g->remove, 0);
	ck_assert_uint_eq(g->len, 17);
	ck_assert_int_eq(memcmp(g->data, "a@example.com OK\n", 17), 0);
	layout_files_clear(&f);
	ck_assert_uint_eq(f.count, 0);
	ck_assert_int_eq(layout_keeps_empty(LAYOUT_PART_TABLE, 0), 1);
	ck_assert_int_eq(layout_keeps_empty(LAYOUT_PART_TABLE, 1), 0);
	ck_assert_int_eq(layout_keeps_empty(LAYOUT_PART_LISTING, 0), 1);
	ck_assert_int_eq(layout_keeps_empty(LAYOUT_PART_STATE, 0), 0);
}
END_TEST

/* layout_suite - all of the above */
static Suite *
layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *tr = tcase_create("rows");
	TCase *td = tcase_create("definition");
	TCase *tf = tcase_create("files");

	tcase_add_loop_test(tr, test_row_check, 0, (int)NROW_CASES);
	suite_add_tcase(s, tr);

	tcase_set_timeout(td, 60);
	tcase_add_loop_test(td, test_generator_and_script_agree, 0,
	    (int)NDEF_CASES);
	tcase_add_test(td, test_definition_is_valid);
	tcase_add_test(td, test_layouts_are_configurable);
	tcase_add_loop_test(td, test_docs_list_the_rows, 0,
	    (int)(sizeof documents / sizeof documents[0]));
	suite_add_tcase(s, td);

	tcase_add_test(tf, test_paths);
	tcase_add_test(tf, test_table_of);
	tcase_add_test(tf, test_whole_commit);
	tcase_add_test(tf, test_update);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	return testlib_main(layout_suite());
}
