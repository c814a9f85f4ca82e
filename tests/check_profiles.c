/*
 * check_profiles - the shipped mapping profiles, end to end
 *
 * DESCRIPTION
 *	Each profile in mappings/ has, under tests/data/profiles/<name>/,
 *	a directory export covering every routing situation of that kind
 *	of directory (hostile values included), a configuration reading it
 *	through the shipped mapping file itself, the report check must
 *	give (check.out) and the tables render must write (expected/),
 *	both written by hand from the profile's semantics.
 *
 *	For every profile: the mapping opens with a comment telling what
 *	it expects and what to adapt; check exits 65 with exactly the
 *	expected report (compared line by line, in any order: entries are
 *	visited in the order the agent keeps them, not the file's); render
 *	writes exactly the expected tables, byte for byte; the same
 *	entries in the reverse order give the same bytes; and every table
 *	loads with postmap and reads back row for row.
 *
 * DIAGNOSTICS
 *	A failed assertion names the profile and the table or line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define DATA "tests/data/profiles"
#define MAXNAMES 32

struct profile {
	const char *name;
	int check_status;       /* hostile values: 65, the data has problems */
};

static const struct profile profiles[] = {
	{ "bluemind", 65 },
	{ "inetlocalmailrecipient", 65 },
	{ "zimbra", 65 },
};
#define NPROFILES ((int)(sizeof profiles / sizeof profiles[0]))

struct lines {
	char **v;               /* point into text */
	size_t n;
	char *text;             /* owned */
};

/* read_data - a whole file under the profile's data directory */
static char *
read_data(const struct profile *p, const char *rest, size_t *len)
{
	char path[512];
	char *text;

	snprintf(path, sizeof path, DATA "/%s/%s", p->name, rest);
	text = testlib_read(path, len);
	ck_assert_msg(text != NULL, "%s: cannot read %s", p->name, path);
	return text;
}

/* str_cmp - qsort comparator for strings */
static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* lines_split - the lines of text (taken over), sorted */
static void
lines_split(struct lines *l, char *text)
{
	char *p, *nl;
	size_t cap = 16;

	l->text = text;
	l->n = 0;
	l->v = malloc(cap * sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	for (p = text; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (l->n == cap) {
			cap *= 2;
			l->v = realloc(l->v, cap * sizeof *l->v);
			ck_assert_ptr_nonnull(l->v);
		}
		l->v[l->n++] = p;
	}
	qsort(l->v, l->n, sizeof *l->v, str_cmp);
}

/* lines_free - release a split text */
static void
lines_free(struct lines *l)
{
	free(l->v);
	free(l->text);
}

/* same_lines - got and want hold the same lines, counting repeats */
static void
same_lines(const char *what, char *got, char *want)
{
	struct lines g, w;
	size_t i;

	lines_split(&g, got);
	lines_split(&w, want);
	for (i = 0; i < g.n && i < w.n; i++)
		ck_assert_msg(strcmp(g.v[i], w.v[i]) == 0,
		    "%s: got line \"%s\", expected \"%s\"", what, g.v[i],
		    w.v[i]);
	ck_assert_msg(g.n == w.n, "%s: %zu lines, expected %zu", what, g.n,
	    w.n);
	lines_free(&g);
	lines_free(&w);
}

/* list_dir - every name in dir (hidden ones too), sorted */
static size_t
list_dir(const char *dir, char **names)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_uint_lt(n, MAXNAMES);
		names[n] = strdup(de->d_name);
		ck_assert_ptr_nonnull(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, str_cmp);
	return n;
}

/* free_names - release a list_dir result */
static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
}

/* render_to - render the profile with conf into dir/out; 0 or fail */
static void
render_to(const struct profile *p, const char *conf, const char *dir)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "'%s' render -c '%s' -o '%s/out'", testlib_bin(),
	    conf, dir);
	ck_assert_msg(rc == 0, "%s: render exited %d: %s", p->name, rc,
	    out ? out : "");
	ck_assert_msg(out && strstr(out, "wrote "), "%s: render said: %s",
	    p->name, out ? out : "");
	free(out);
}

/* same_tables - dir/out holds exactly the golden tables, byte for byte */
static void
same_tables(const struct profile *p, const char *dir)
{
	char want_dir[512], got_dir[512], path[1024];
	char *want[MAXNAMES], *got[MAXNAMES];
	char *a, *b;
	size_t nw, ng, i, la, lb;

	snprintf(want_dir, sizeof want_dir, DATA "/%s/expected", p->name);
	snprintf(got_dir, sizeof got_dir, "%s/out", dir);
	nw = list_dir(want_dir, want);
	ng = list_dir(got_dir, got);
	ck_assert_msg(nw > 0, "%s: no golden tables", p->name);
	for (i = 0; i < nw && i < ng; i++)
		ck_assert_msg(strcmp(want[i], got[i]) == 0,
		    "%s: table %s written, %s expected", p->name, got[i],
		    want[i]);
	ck_assert_msg(nw == ng, "%s: %zu files written, %zu expected",
	    p->name, ng, nw);
	for (i = 0; i < nw; i++) {
		snprintf(path, sizeof path, "%s/%s", want_dir, want[i]);
		a = testlib_read(path, &la);
		snprintf(path, sizeof path, "%s/%s", got_dir, got[i]);
		b = testlib_read(path, &lb);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_msg(la == lb && memcmp(a, b, la) == 0,
		    "%s: table %s differs:\n--- written\n%s--- expected\n%s",
		    p->name, want[i], b, a);
		free(a);
		free(b);
	}
	free_names(want, nw);
	free_names(got, ng);
}

/* The mapping file opens with a comment for the administrator. */
START_TEST(test_opening_comment)
{
	const struct profile *p = &profiles[_i];
	char path[512], *text, *open, *close, *root;
	size_t len;

	snprintf(path, sizeof path, "mappings/%s.xml", p->name);
	text = testlib_read(path, &len);
	ck_assert_msg(text != NULL, "%s: cannot read %s", p->name, path);
	open = strstr(text, "?>");
	ck_assert_ptr_nonnull(open);
	open += 2;
	open += strspn(open, " \t\r\n");
	ck_assert_msg(strncmp(open, "<!--", 4) == 0,
	    "%s: no comment after the XML declaration", p->name);
	close = strstr(open, "-->");
	root = strstr(text, "<mapping ");
	ck_assert_ptr_nonnull(close);
	ck_assert_ptr_nonnull(root);
	ck_assert_msg(close < root, "%s: comment is not first", p->name);
	*close = '\0';
	ck_assert_msg(strstr(open, "What it expects") != NULL,
	    "%s: comment does not say what it expects", p->name);
	ck_assert_msg(strstr(open, "What to adapt") != NULL,
	    "%s: comment does not say what to adapt", p->name);
	free(text);
}
END_TEST

/* check reports every hostile value, and nothing else. */
START_TEST(test_check)
{
	const struct profile *p = &profiles[_i];
	char conf[512], what[64], *out = NULL;
	size_t len;
	int rc;

	snprintf(conf, sizeof conf, DATA "/%s/splitsync.conf", p->name);
	rc = testlib_sh(&out, "'%s' check -c '%s'", testlib_bin(), conf);
	ck_assert_msg(rc == p->check_status, "%s: check exited %d: %s",
	    p->name, rc, out ? out : "");
	ck_assert_ptr_nonnull(out);
	snprintf(what, sizeof what, "%s: check", p->name);
	same_lines(what, out, read_data(p, "check.out", &len));
}
END_TEST

/* render writes exactly the golden tables. */
START_TEST(test_render)
{
	const struct profile *p = &profiles[_i];
	char conf[512], *dir = testlib_tmpdir();

	ck_assert_ptr_nonnull(dir);
	snprintf(conf, sizeof conf, DATA "/%s/splitsync.conf", p->name);
	render_to(p, conf, dir);
	same_tables(p, dir);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* reverse_records - the LDIF with its records in the reverse order; the
 * leading block without a dn (comments, version) stays first */
static char *
reverse_records(const char *text)
{
	char *copy = strdup(text), *recs[256], *p, *sep, *res;
	size_t n = 0, i, total = strlen(text) + 8, first = 0;

	ck_assert_ptr_nonnull(copy);
	for (p = copy; p && *p; p = sep) {
		sep = strstr(p, "\n\n");
		if (sep) {
			sep[1] = '\0';
			sep += 2;
			sep += strspn(sep, "\n");
		}
		ck_assert_uint_lt(n, sizeof recs / sizeof recs[0]);
		recs[n++] = p;
	}
	res = calloc(1, total);
	ck_assert_ptr_nonnull(res);
	if (n > 0 && strncmp(recs[0], "dn:", 3) != 0 &&
	    strstr(recs[0], "\ndn:") == NULL) {
		strcat(res, recs[0]);
		first = 1;
	}
	for (i = n; i > first; i--) {
		if (*res)
			strcat(res, "\n");
		strcat(res, recs[i - 1]);
	}
	free(copy);
	return res;
}

/* The order the entries come in changes nothing. */
START_TEST(test_order)
{
	const struct profile *p = &profiles[_i];
	char path[1024], cwd[512], *dir = testlib_tmpdir();
	char *ldif, *rev, *conf, *line, *nl, *text = NULL;
	FILE *f;
	size_t len, tlen = 0;

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ldif = read_data(p, "directory.ldif", &len);
	rev = reverse_records(ldif);
	ck_assert_msg(strcmp(rev, ldif) != 0, "%s: nothing reversed",
	    p->name);
	snprintf(path, sizeof path, "%s/directory.ldif", dir);
	ck_assert_int_eq(testlib_write(path, rev), 0);
	/* The same configuration, its mapping taken from the tree. */
	conf = read_data(p, "splitsync.conf", &len);
	f = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(f);
	for (line = conf; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "mapping = ", 10) == 0 && line[10] != '/')
			fprintf(f, "mapping = %s/" DATA "/%s/%s\n", cwd,
			    p->name, line + 10);
		else
			fprintf(f, "%s\n", line);
	}
	ck_assert_int_eq(fclose(f), 0);
	snprintf(path, sizeof path, "%s/splitsync.conf", dir);
	ck_assert_int_eq(testlib_write(path, text), 0);
	render_to(p, path, dir);
	same_tables(p, dir);
	free(text);
	free(conf);
	free(rev);
	free(ldif);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* dump_as_postmap - golden rows "key value" as postmap -s prints them:
 * the first space of each line becomes a tab */
static char *
dump_as_postmap(char *text)
{
	char *line, *nl, *sp;

	for (line = text; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		sp = strchr(line, ' ');
		if (sp && (nl == NULL || sp < nl))
			*sp = '\t';
	}
	return text;
}

/* Every table loads with postmap and reads back row for row. */
START_TEST(test_postmap)
{
	const struct profile *p = &profiles[_i];
	char conf[512], path[1024], what[128], *names[MAXNAMES];
	char *dir = testlib_tmpdir(), *out = NULL, *golden;
	size_t n, i, len;
	int rc;

	ck_assert_ptr_nonnull(dir);
	rc = testlib_sh(&out, "command -v postmap");
	ck_assert_msg(rc == 0, "postmap not found: install Postfix");
	free(out);
	snprintf(conf, sizeof conf, DATA "/%s/splitsync.conf", p->name);
	render_to(p, conf, dir);
	snprintf(path, sizeof path, "%s/main.cf", dir);
	ck_assert_int_eq(testlib_write(path, ""), 0);
	snprintf(path, sizeof path, "%s/out", dir);
	n = list_dir(path, names);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		rc = testlib_sh(&out, "postmap -c '%s' 'hash:%s/out/%s'", dir,
		    dir, names[i]);
		ck_assert_msg(rc == 0 && out && *out == '\0',
		    "%s: postmap %s: %d: %s", p->name, names[i], rc,
		    out ? out : "");
		free(out);
		rc = testlib_sh(&out, "postmap -c '%s' -s 'hash:%s/out/%s'",
		    dir, dir, names[i]);
		ck_assert_msg(rc == 0, "%s: postmap -s %s: %d: %s", p->name,
		    names[i], rc, out ? out : "");
		snprintf(path, sizeof path, "expected/%s", names[i]);
		golden = dump_as_postmap(read_data(p, path, &len));
		snprintf(what, sizeof what, "%s: postmap -s %s", p->name,
		    names[i]);
		same_lines(what, out, golden);
	}
	free_names(names, n);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* profiles_suite - one loop test per concern, one iteration a profile */
static Suite *
profiles_suite(void)
{
	Suite *s = suite_create("profiles");
	TCase *tc = tcase_create("profiles");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_opening_comment, 0, NPROFILES);
	tcase_add_loop_test(tc, test_check, 0, NPROFILES);
	tcase_add_loop_test(tc, test_render, 0, NPROFILES);
	tcase_add_loop_test(tc, test_order, 0, NPROFILES);
	tcase_add_loop_test(tc, test_postmap, 0, NPROFILES);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(profiles_suite()); }
