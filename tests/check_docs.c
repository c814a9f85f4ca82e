/*
 * check_docs - the manuals and the systemd units agree with the program
 *
 * DESCRIPTION
 *	Each manual renders without a single warning from groff -ww (and
 *	from mandoc -T lint) and through man -l,
 *	within 80 columns. Every command, option and exit status that
 *	splitsync --help lists is described in splitsync(8). Every setting
 *	of the table in docs/configuration.md is described in
 *	splitsync.conf(5) and accepted by the binary, with its documented
 *	default or a value from tests/data/docs/values.conf. The worked
 *	example of splitsync-mapping(5), run through the binary, gives the
 *	routes the manual shows. The systemd units pass systemd-analyze
 *	verify (skipped, with a note, when systemd-analyze is absent) and
 *	run commands the binary knows.
 *
 *	Each lint check is first shown a file with a known mistake, so a
 *	tool that stays silent for the wrong reason fails the test.
 *
 * DIAGNOSTICS
 *	Failures name the manual or unit, the missing item, and the tool's
 *	output.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define DATA "tests/data/docs"
#define MAN8 "docs/splitsync.8"
#define CONF5 "docs/splitsync.conf.5"
#define MAPPING5 "docs/splitsync-mapping.5"
#define CONFIG_MD "docs/configuration.md"
#define UNITS "examples/systemd"
#define WIDE 250                /* columns: no tag line is wrapped */

static const char *const manuals[] = { MAN8, CONF5, MAPPING5 };
#define NMANUALS (sizeof manuals / sizeof manuals[0])

/* A growing list of strings, each malloc'd. */
struct words {
	char **v;
	size_t n;
};

/* words_take - append s, which the list now owns */
static void
words_take(struct words *w, char *s)
{
	char **v;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_lt(w->n, SIZE_MAX / sizeof *v - 1);
	v = realloc(w->v, (w->n + 1) * sizeof *v);
	ck_assert_ptr_nonnull(v);
	w->v = v;
	w->v[w->n++] = s;
}

/* words_add - append a copy of len bytes of s */
static void
words_add(struct words *w, const char *s, size_t len)
{
	words_take(w, strndup(s, len));
}

/* words_free - release the list */
static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

/* have_tool - whether a command is on PATH */
static int
have_tool(const char *name)
{
	return testlib_sh(NULL, "command -v '%s' >/dev/null", name) == 0;
}

/* render - a manual as man -l prints it, plain ASCII, width columns;
 * anything man writes on stderr fails the test */
static char *
render(const char *manual, int width)
{
	char *dir = testlib_tmpdir(), *path = NULL, *out, *err = NULL;
	int rc;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_ge(asprintf(&path, "%s/page", dir), 0);
	rc = testlib_sh(&err, "LC_ALL=C MANWIDTH=%d MANPAGER=cat PAGER=cat "
	    "man -l '%s' 2>&1 >'%s'", width, manual, path);
	ck_assert_msg(rc == 0 && (err == NULL || *err == '\0'),
	    "man -l %s: status %d: %s", manual, rc, err ? err : "");
	out = testlib_read(path, NULL);
	ck_assert_msg(out != NULL && *out, "man -l %s: no output", manual);
	free(err);
	free(path);
	testlib_rmrf(dir);
	free(dir);
	return out;
}

/* first_token_is - whether the line (up to its end) starts, after
 * blanks, with word followed by a blank, a comma or the end */
static int
first_token_is(const char *line, const char *word)
{
	size_t n = strlen(word);

	while (*line == ' ' || *line == '\t')
		line++;
	return strncmp(line, word, n) == 0 && (line[n] == ' ' ||
	    line[n] == '\t' || line[n] == ',' || line[n] == '\n' ||
	    line[n] == '\0');
}

/* has_tag_line - whether some line of text begins with word */
static int
has_tag_line(const char *text, const char *word)
{
	const char *p = text;

	while (p && *p) {
		if (first_token_is(p, word))
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* is_token_char - a character that can be part of an option name */
static int
is_token_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* has_token - whether tok occurs in text, not as part of a longer name */
static int
has_token(const char *text, const char *tok)
{
	const char *p = text;
	size_t n = strlen(tok);

	while ((p = strstr(p, tok)) != NULL) {
		if ((p == text || !is_token_char(p[-1])) && !is_token_char(p[n]))
			return 1;
		p++;
	}
	return 0;
}

/* has_option_tag - whether opt is named on a line that starts with an
 * option: the tag of an entry in a list of options */
static int
has_option_tag(const char *text, const char *opt)
{
	const char *p = text, *end;
	char *line;
	int found = 0;

	while (!found && p && *p) {
		end = strchr(p, '\n');
		end = end ? end : p + strlen(p);
		line = strndup(p, (size_t)(end - p));
		ck_assert_ptr_nonnull(line);
		found = line[strspn(line, " ")] == '-' && has_token(line, opt);
		free(line);
		p = *end ? end + 1 : end;
	}
	return found;
}

/* section - copy of the rendered section whose heading is title, up to
 * the next heading (a line that starts in column 0), or NULL */
static char *
section(const char *text, const char *title)
{
	const char *p = text, *start = NULL, *end;
	size_t n = strlen(title);

	while (p && *p) {
		if (strncmp(p, title, n) == 0 && p[n] == '\n') {
			start = p + n + 1;
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (start == NULL)
		return NULL;
	for (end = start; *end; ) {
		if (*end != ' ' && *end != '\n')
			break;
		end = strchr(end, '\n');
		if (end == NULL) {
			end = start + strlen(start);
			break;
		}
		end++;
	}
	return strndup(start, (size_t)(end - start));
}

/* read_file - a file of the source tree, which must exist */
static char *
read_file(const char *path)
{
	char *s = testlib_read(path, NULL);

	ck_assert_msg(s != NULL, "%s: cannot read", path);
	return s;
}

/* unroff - the text of a literal display: \e is a backslash, \& is
 * nothing; other escapes are not used in the displays read here */
static char *
unroff(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	ck_assert_ptr_nonnull(out);
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'e') {
			*o++ = '\\';
			i++;
		} else if (s[i] == '\\' && i + 1 < len && s[i + 1] == '&') {
			i++;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* literal_displays - the literal displays (.Bd -literal ... .Ed) of a
 * manual's source after the line that starts with after */
static void
literal_displays(const char *src, const char *after, struct words *out)
{
	const char *p = strstr(src, after), *body, *end;

	ck_assert_msg(p != NULL, "no \"%s\" in the manual", after);
	while ((p = strstr(p, "\n.Bd -literal")) != NULL) {
		body = strchr(p + 1, '\n');
		ck_assert_ptr_nonnull(body);
		body++;
		end = strstr(body, "\n.Ed\n");
		ck_assert_msg(end != NULL, "unterminated .Bd");
		words_take(out, unroff(body, (size_t)(end - body) + 1));
		p = end + 1;
	}
}

/* copy_data - copy files of tests/data/docs into dir */
static void
copy_data(const char *dir, const char *files)
{
	int rc = testlib_sh(NULL, "cd '" DATA "' && cp %s '%s'/", files, dir);

	ck_assert_int_eq(rc, 0);
}

/* Linting ----------------------------------------------------------- */

/* groff_warnings - what groff -ww says about a manual (NULL: nothing) */
static char *
groff_warnings(const char *manual)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "groff -ww -z -mandoc '%s'", manual);
	ck_assert_msg(rc == 0 || (out && *out), "groff %s: status %d",
	    manual, rc);
	if (out && *out == '\0') {
		free(out);
		out = NULL;
	}
	return out;
}

/* mandoc_warnings - what mandoc -T lint says at level warning or worse */
static char *
mandoc_warnings(const char *manual)
{
	char *out = NULL;

	(void)testlib_sh(&out, "mandoc -T lint -W warning '%s'", manual);
	if (out && *out == '\0') {
		free(out);
		out = NULL;
	}
	return out;
}

START_TEST(groff_reports_a_known_mistake)
{
	char *out;

	ck_assert_msg(have_tool("groff"), "groff is missing (Debian: "
	    "groff-base)");
	out = groff_warnings(DATA "/bad.8");
	ck_assert_msg(out != NULL && strstr(out, "warning"),
	    "groff -ww said nothing about " DATA "/bad.8");
	free(out);
}
END_TEST

START_TEST(manual_renders_without_groff_warning)
{
	const char *manual = manuals[_i];
	char *out;

	ck_assert_msg(have_tool("groff"), "groff is missing (Debian: "
	    "groff-base)");
	out = groff_warnings(manual);
	ck_assert_msg(out == NULL, "groff -ww %s:\n%s", manual, out);
}
END_TEST

START_TEST(manual_passes_mandoc_lint)
{
	const char *manual = manuals[_i];
	char *out;

	ck_assert_msg(have_tool("mandoc"), "mandoc is missing (Debian: "
	    "mandoc)");
	out = mandoc_warnings(DATA "/bad.8");
	ck_assert_msg(out != NULL, "mandoc said nothing about "
	    DATA "/bad.8");
	free(out);
	out = mandoc_warnings(manual);
	ck_assert_msg(out == NULL, "mandoc -T lint %s:\n%s", manual, out);
}
END_TEST

START_TEST(manual_reads_with_man_in_80_columns)
{
	const char *manual = manuals[_i];
	char *text, *name, *line, *save = NULL;
	const char *slash = strrchr(manual, '/');
	size_t stem;

	ck_assert_msg(have_tool("man"), "man is missing (Debian: man-db)");
	text = render(manual, 80);
	ck_assert_msg(strstr(text, "\nNAME\n") != NULL, "%s: no NAME", manual);
	/* NAME starts with the page's own name: the file name less the
	 * section number */
	slash = slash ? slash + 1 : manual;
	stem = (size_t)(strrchr(slash, '.') - slash);
	name = strndup(slash, stem);
	ck_assert_ptr_nonnull(name);
	ck_assert_msg(first_token_is(strstr(text, "\nNAME\n") + 6, name),
	    "%s: NAME does not start with %s", manual, name);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(strlen(line) <= 80, "%s: line wider than 80 "
		    "columns:\n%s", manual, line);
	free(name);
	free(text);
}
END_TEST

/* splitsync(8) against --help -------------------------------------- */

/* Items of the --help text. */
struct help {
	struct words commands;
	struct words options;
	struct words statuses;
};

/* parse_help - commands, options and exit statuses that --help lists */
static void
parse_help(struct help *h)
{
	enum { NONE, COMMANDS, OPTIONS, STATUS } part = NONE;
	char *out = NULL, *line, *save = NULL, *p;
	size_t n;
	int rc;

	memset(h, 0, sizeof *h);
	rc = testlib_sh(&out, "'%s' --help", testlib_bin());
	ck_assert_msg(rc == 0 && out, "%s --help: status %d", testlib_bin(),
	    rc);
	for (line = strtok_r(out, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "commands:") == 0) {
			part = COMMANDS;
			continue;
		}
		if (strcmp(line, "options:") == 0) {
			part = OPTIONS;
			continue;
		}
		if (strncmp(line, "exit status:", 12) == 0) {
			part = STATUS;
			line += 12;
		}
		if (part == COMMANDS && strncmp(line, "  ", 2) == 0 &&
		    islower((unsigned char)line[2])) {
			n = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz");
			words_add(&h->commands, line + 2, n);
		} else if (part == OPTIONS && strncmp(line, "  ", 2) == 0) {
			/* "  -c, --config FILE   text": the option names */
			for (p = line; *p == ' '; p++)
				continue;
			while (*p == '-') {
				n = strspn(p, "-abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
				words_add(&h->options, p, n);
				p += n;
				if (*p == ',')
					p++;
				p += strspn(p, " ");
				if (*p != '-')
					break;
			}
		} else if (part == STATUS) {
			for (p = line; *p; p++)
				if (isdigit((unsigned char)*p) && (p == line ||
				    !isalnum((unsigned char)p[-1]))) {
					n = strspn(p, "0123456789");
					words_add(&h->statuses, p, n);
					p += n - 1;
				}
		}
	}
	free(out);
	ck_assert_msg(h->commands.n > 0, "no command found in --help");
	ck_assert_msg(h->options.n > 0, "no option found in --help");
	ck_assert_msg(h->statuses.n > 0, "no exit status found in --help");
}

/* help_free - release what parse_help found */
static void
help_free(struct help *h)
{
	words_free(&h->commands);
	words_free(&h->options);
	words_free(&h->statuses);
}

START_TEST(every_command_of_help_is_in_the_manual)
{
	struct help h;
	char *text, *synopsis, *commands;
	size_t i;

	parse_help(&h);
	text = render(MAN8, WIDE);
	synopsis = section(text, "SYNOPSIS");
	commands = section(text, "DESCRIPTION");
	ck_assert_msg(synopsis && commands, MAN8 ": no SYNOPSIS or "
	    "DESCRIPTION");
	for (i = 0; i < h.commands.n; i++) {
		ck_assert_msg(has_token(synopsis, h.commands.v[i]),
		    MAN8 ": command %s is not in the SYNOPSIS",
		    h.commands.v[i]);
		ck_assert_msg(has_tag_line(commands, h.commands.v[i]),
		    MAN8 ": command %s is not described", h.commands.v[i]);
	}
	free(synopsis);
	free(commands);
	free(text);
	help_free(&h);
}
END_TEST

START_TEST(every_option_of_help_is_in_the_manual)
{
	struct help h;
	char *text, *desc;
	size_t i;

	parse_help(&h);
	text = render(MAN8, WIDE);
	desc = section(text, "DESCRIPTION");
	ck_assert_msg(desc != NULL, MAN8 ": no DESCRIPTION");
	for (i = 0; i < h.options.n; i++)
		ck_assert_msg(has_option_tag(desc, h.options.v[i]),
		    MAN8 ": option %s is not described", h.options.v[i]);
	free(desc);
	free(text);
	help_free(&h);
}
END_TEST

START_TEST(every_exit_status_of_help_is_in_the_manual)
{
	struct help h;
	char *text, *status;
	size_t i;

	parse_help(&h);
	text = render(MAN8, WIDE);
	status = section(text, "EXIT STATUS");
	ck_assert_msg(status != NULL, MAN8 ": no EXIT STATUS");
	for (i = 0; i < h.statuses.n; i++)
		ck_assert_msg(has_tag_line(status, h.statuses.v[i]),
		    MAN8 ": exit status %s is not described",
		    h.statuses.v[i]);
	free(status);
	free(text);
	help_free(&h);
}
END_TEST

/* splitsync.conf(5) against the settings table and the binary ------- */

/* One row of the settings table. */
struct setting {
	char *name;
	char *literal;          /* the default when it is one literal */
};

/* cell_literal - the text of a table cell that is exactly `text`, or
 * NULL */
static char *
cell_literal(const char *cell, size_t len)
{
	while (len && *cell == ' ')
		cell++, len--;
	while (len && cell[len - 1] == ' ')
		len--;
	if (len < 3 || cell[0] != '`' || cell[len - 1] != '`' ||
	    memchr(cell + 1, '`', len - 2) != NULL)
		return NULL;
	return strndup(cell + 1, len - 2);
}

/* parse_settings - the rows of the table under "## Settings" */
static size_t
parse_settings(struct setting **out)
{
	char *md = read_file(CONFIG_MD), *p, *end, *bar;
	struct setting *v = NULL, *nv;
	size_t n = 0;

	p = strstr(md, "\n## Settings\n");
	ck_assert_msg(p != NULL, CONFIG_MD ": no \"## Settings\"");
	p = strstr(p, "\n| ");
	ck_assert_msg(p != NULL, CONFIG_MD ": no settings table");
	for (p++; *p == '|'; p = end + 1) {
		end = strchr(p, '\n');
		ck_assert_ptr_nonnull(end);
		/* "| `name` | default | allowed |"; skip the head and rule */
		if (strncmp(p, "| `", 3) != 0)
			continue;
		bar = strchr(p + 1, '|');
		ck_assert_msg(bar && bar < end, CONFIG_MD ": bad row");
		nv = realloc(v, (n + 1) * sizeof *v);
		ck_assert_ptr_nonnull(nv);
		v = nv;
		v[n].name = cell_literal(p + 1, (size_t)(bar - p - 1));
		ck_assert_msg(v[n].name != NULL, CONFIG_MD ": bad name cell");
		p = bar;
		bar = strchr(p + 1, '|');
		ck_assert_msg(bar && bar < end, CONFIG_MD ": bad row");
		v[n].literal = cell_literal(p + 1, (size_t)(bar - p - 1));
		n++;
	}
	free(md);
	ck_assert_msg(n > 0, CONFIG_MD ": empty settings table");
	*out = v;
	return n;
}

/* settings_free - release the rows */
static void
settings_free(struct setting *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].literal);
	}
	free(v);
}

/* line_name_is - whether a "name = value" line sets name */
static int
line_name_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncmp(line, name, n) == 0 &&
	    (line[n] == ' ' || line[n] == '=');
}

/* value_block - the lines values.conf gives for a setting, or NULL */
static char *
value_block(const char *values, const char *name)
{
	const char *p = values, *end;

	while (*p) {
		end = strstr(p, "\n\n");
		end = end ? end + 1 : p + strlen(p);
		if (*p != '#' && line_name_is(p, (size_t)(end - p), name))
			return strndup(p, (size_t)(end - p));
		p = end;
		while (*p == '\n')
			p++;
	}
	return NULL;
}

/* config_with - base.conf without the lines that set a name the block
 * sets, then the block */
static char *
config_with(const char *base, const char *block)
{
	const char *p, *end, *b, *bend;
	char *out = NULL;
	size_t cap = strlen(base) + strlen(block) + 1, n = 0, len;
	int drop;

	out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	for (p = base; *p; p = end) {
		end = strchr(p, '\n');
		end = end ? end + 1 : p + strlen(p);
		len = (size_t)(end - p);
		drop = 0;
		for (b = block; *b && !drop; b = bend) {
			size_t nl = strcspn(b, " =");
			char *name = strndup(b, nl);

			ck_assert_ptr_nonnull(name);
			drop = line_name_is(p, len, name);
			free(name);
			bend = strchr(b, '\n');
			bend = bend ? bend + 1 : b + strlen(b);
		}
		if (!drop) {
			memcpy(out + n, p, len);
			n += len;
		}
	}
	len = strlen(block);
	memcpy(out + n, block, len);
	out[n + len] = '\0';
	return out;
}

/* run_check - splitsync check on a configuration text; its status */
static int
run_check(const char *dir, const char *conf, char **output)
{
	char *path = NULL;
	int rc;

	ck_assert_int_ge(asprintf(&path, "%s/splitsync.conf", dir), 0);
	ck_assert_int_eq(testlib_write(path, conf), 0);
	rc = testlib_sh(output, "'%s' check -c '%s'", testlib_bin(), path);
	free(path);
	return rc;
}

START_TEST(an_unknown_setting_is_reported_as_unknown)
{
	char *dir = testlib_tmpdir(), *base, *conf, *out = NULL;
	int rc;

	ck_assert_ptr_nonnull(dir);
	copy_data(dir, "directory.ldif mapping.xml");
	base = read_file(DATA "/base.conf");
	/* the base alone is accepted: failures below are the setting's */
	rc = run_check(dir, base, &out);
	ck_assert_msg(rc == 0, "base.conf: status %d:\n%s", rc, out);
	free(out);
	conf = config_with(base, "no_such_setting = 1\n");
	rc = run_check(dir, conf, &out);
	ck_assert_int_eq(rc, 78);
	ck_assert_msg(out && strstr(out, "unknown setting \"no_such_setting\""),
	    "check does not say unknown:\n%s", out ? out : "");
	free(out);
	free(conf);
	free(base);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* check_accepts - splitsync check passes with base.conf and block */
static void
check_accepts(const char *dir, const char *base, const char *block)
{
	char *conf = config_with(base, block), *out = NULL;
	int rc = run_check(dir, conf, &out);

	ck_assert_msg(rc == 0, "check: status %d with\n%s:\n%s", rc, block,
	    out ? out : "");
	free(out);
	free(conf);
}

/* check_knows - splitsync check does not call the setting unknown */
static void
check_knows(const char *dir, const char *base, const char *name)
{
	char *block = NULL, *conf, *out = NULL, *unknown = NULL;

	ck_assert_int_ge(asprintf(&block, "%s = x\n", name), 0);
	ck_assert_int_ge(asprintf(&unknown, "unknown setting \"%s\"", name),
	    0);
	conf = config_with(base, block);
	(void)run_check(dir, conf, &out);
	ck_assert_msg(out == NULL || !strstr(out, unknown),
	    "%s is not accepted:\n%s", name, out);
	free(out);
	free(conf);
	free(unknown);
	free(block);
}

START_TEST(every_setting_is_in_the_manual_and_accepted)
{
	struct setting *v;
	size_t n = parse_settings(&v), i;
	char *dir = testlib_tmpdir(), *base, *values, *text, *block, *conf;
	char *out = NULL, *all = NULL, *t;
	int rc;

	ck_assert_ptr_nonnull(dir);
	copy_data(dir, "directory.ldif mapping.xml");
	base = read_file(DATA "/base.conf");
	values = read_file(DATA "/values.conf");
	text = render(CONF5, WIDE);
	for (i = 0; i < n; i++) {
		ck_assert_msg(has_tag_line(text, v[i].name),
		    CONF5 ": setting %s is not described", v[i].name);
		if (v[i].literal) {
			/* every documented default at once (one run) */
			t = all;
			all = NULL;
			ck_assert_int_ge(asprintf(&all, "%s%s = %s\n",
			    t ? t : "", v[i].name, v[i].literal), 0);
			free(t);
		} else if ((block = value_block(values, v[i].name)) != NULL) {
			check_accepts(dir, base, block);
			free(block);
		} else {
			printf("check_docs: %s: no value in " DATA
			    "/values.conf: only the name is checked\n",
			    v[i].name);
			check_knows(dir, base, v[i].name);
		}
	}
	if (all) {
		conf = config_with(base, all);
		rc = run_check(dir, conf, &out);
		free(conf);
		free(out);
		/* on failure, name the setting */
		for (i = 0; rc != 0 && i < n; i++)
			if (v[i].literal) {
				ck_assert_int_ge(asprintf(&block, "%s = %s\n",
				    v[i].name, v[i].literal), 0);
				check_accepts(dir, base, block);
				free(block);
			}
		ck_assert_msg(rc == 0, "check: status %d with\n%s", rc, all);
	}
	free(all);
	free(text);
	free(values);
	free(base);
	settings_free(v, n);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* splitsync-mapping(5): the worked example --------------------------- */

/* route_lines - "address route nexthop" lines, sorted: from the
 * manual's listing or from the lines of a commit message (fields
 * separated by blanks; domain-wide "@" rows left out) */
static void
route_lines(const char *text, struct words *out)
{
	const char *p = text, *end;
	char *line, *f[3], *save = NULL, *triple;
	size_t i, j;

	for (; *p; p = end) {
		end = strchr(p, '\n');
		end = end ? end + 1 : p + strlen(p);
		if (*p == '@' || *p == '\n')
			continue;
		line = strndup(p, (size_t)(end - p));
		ck_assert_ptr_nonnull(line);
		f[0] = strtok_r(line, " \t\n", &save);
		f[1] = f[0] ? strtok_r(NULL, " \t\n", &save) : NULL;
		f[2] = f[1] ? strtok_r(NULL, " \t\n", &save) : NULL;
		ck_assert_msg(f[2] != NULL, "short route line: %.*s",
		    (int)(end - p), p);
		ck_assert_int_ge(asprintf(&triple, "%s %s %s", f[0], f[1],
		    f[2]), 0);
		words_take(out, triple);
		free(line);
	}
	for (i = 1; i < out->n; i++)
		for (j = i; j > 0 && strcmp(out->v[j - 1], out->v[j]) > 0;
		    j--) {
			char *t = out->v[j];

			out->v[j] = out->v[j - 1];
			out->v[j - 1] = t;
		}
}

START_TEST(mapping_example_gives_the_routes_shown)
{
	struct words disp = { NULL, 0 }, want = { NULL, 0 },
	    got = { NULL, 0 };
	char *src = read_file(MAPPING5), *dir = testlib_tmpdir();
	char *path = NULL, *out = NULL;
	size_t i;
	int rc;

	ck_assert_ptr_nonnull(dir);
	/* the directory, the mapping, the routes */
	literal_displays(src, "\n.Sh EXAMPLES\n", &disp);
	ck_assert_uint_ge(disp.n, 3);
	ck_assert_int_ge(asprintf(&path, "%s/directory.ldif", dir), 0);
	ck_assert_int_eq(testlib_write(path, disp.v[0]), 0);
	free(path);
	ck_assert_int_ge(asprintf(&path, "%s/mapping.xml", dir), 0);
	ck_assert_int_eq(testlib_write(path, disp.v[1]), 0);
	free(path);
	ck_assert_int_ge(asprintf(&path, "%s/splitsync.conf", dir), 0);
	ck_assert_int_eq(testlib_write(path, "source = ldif\n"
	    "ldif = directory.ldif\nmapping = mapping.xml\n"
	    "repository = routing.git\nbranch = main\n"), 0);
	rc = testlib_sh(&out, "'%s' -q resync -c '%s'", testlib_bin(), path);
	ck_assert_msg(rc == 0, "resync of the example: status %d:\n%s", rc,
	    out ? out : "");
	free(out);
	/* the routes the first commit adds, as its message lists them */
	rc = testlib_sh(&out, "git --git-dir='%s/routing.git' log -1 "
	    "--format=%%B main | sed -n 's/^+ \\([^@][^:]*\\): /\\1 /p'",
	    dir);
	ck_assert_msg(rc == 0 && out && *out, "no routes: %s", out ? out :
	    "");
	route_lines(disp.v[2], &want);
	route_lines(out, &got);
	ck_assert_uint_gt(want.n, 0);
	for (i = 0; i < want.n && i < got.n; i++)
		ck_assert_msg(strcmp(want.v[i], got.v[i]) == 0,
		    MAPPING5 ": shows \"%s\", the program gives \"%s\"",
		    want.v[i], got.v[i]);
	ck_assert_msg(want.n == got.n, MAPPING5 ": shows %zu routes, the "
	    "program gives %zu", want.n, got.n);
	free(out);
	free(path);
	words_free(&disp);
	words_free(&want);
	words_free(&got);
	free(src);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* The systemd units -------------------------------------------------- */

/* unit_paths - the unit files shipped in examples/systemd */
static void
unit_paths(struct words *out)
{
	static const char *const patterns[] = {
		UNITS "/*.service", UNITS "/*.timer"
	};
	glob_t g;
	size_t i, j;

	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		memset(&g, 0, sizeof g);
		ck_assert_int_eq(glob(patterns[i], 0, NULL, &g), 0);
		for (j = 0; j < g.gl_pathc; j++)
			words_add(out, g.gl_pathv[j], strlen(g.gl_pathv[j]));
		globfree(&g);
	}
	ck_assert_uint_ge(out->n, 2);
}

/* unit_value - the value of the last "key=" line of a unit, or NULL */
static char *
unit_value(const char *unit, const char *key)
{
	const char *p = unit, *found = NULL;
	size_t n = strlen(key);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			found = p + n + 1;
	return found ? strndup(found, strcspn(found, "\n")) : NULL;
}

/* verify_output - what systemd-analyze verify says about units in dir */
static char *
verify_output(const char *dir, const char *files)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "cd '%s' && systemd-analyze verify --man=no %s",
	    dir, files);
	if (rc != 0 && (out == NULL || *out == '\0')) {
		free(out);
		ck_assert_int_ge(asprintf(&out, "status %d", rc), 0);
	}
	if (out && *out == '\0') {
		free(out);
		out = NULL;
	}
	return out;
}

START_TEST(units_pass_systemd_analyze_verify)
{
	struct words units = { NULL, 0 };
	char *dir, *bin = NULL, *text, *exec, *copy = NULL, *path = NULL;
	char *names = NULL, *t, *out;
	const char *base;
	size_t i;

	if (!have_tool("systemd-analyze")) {
		printf("check_docs: systemd-analyze not installed: "
		    "systemd-analyze verify skipped\n");
		return;
	}
	dir = testlib_tmpdir();
	ck_assert_ptr_nonnull(dir);
	bin = realpath(testlib_bin(), NULL);
	ck_assert_msg(bin != NULL, "%s: not found", testlib_bin());
	copy_data(dir, "bad.service");
	out = verify_output(dir, "./bad.service");
	ck_assert_msg(out != NULL, "systemd-analyze verify said nothing "
	    "about " DATA "/bad.service");
	free(out);
	unit_paths(&units);
	for (i = 0; i < units.n; i++) {
		/* The binary is not installed here: ExecStart= names the
		 * one under test, which verify requires to exist. */
		text = read_file(units.v[i]);
		exec = strstr(text, "\nExecStart=");
		if (exec) {
			exec += 11;
			ck_assert_int_ge(asprintf(&copy, "%.*s%s%s",
			    (int)(exec - text), text, bin,
			    exec + strcspn(exec, " \n")), 0);
		} else {
			copy = strdup(text);
			ck_assert_ptr_nonnull(copy);
		}
		base = strrchr(units.v[i], '/') + 1;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, base), 0);
		ck_assert_int_eq(testlib_write(path, copy), 0);
		t = names;
		names = NULL;
		ck_assert_int_ge(asprintf(&names, "%s ./%s", t ? t : "",
		    base), 0);
		free(t);
		free(path);
		free(copy);
		free(text);
	}
	out = verify_output(dir, names);
	ck_assert_msg(out == NULL, "systemd-analyze verify:\n%s", out);
	free(names);
	free(bin);
	words_free(&units);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(units_run_commands_the_binary_knows)
{
	struct words units = { NULL, 0 };
	struct help h;
	char *text, *exec, *cmd, *restart, *user;
	size_t i, j, services = 0;
	int known;

	parse_help(&h);
	unit_paths(&units);
	for (i = 0; i < units.n; i++) {
		text = read_file(units.v[i]);
		exec = unit_value(text, "ExecStart");
		if (exec == NULL) {
			ck_assert_msg(strstr(units.v[i], ".service") == NULL,
			    "%s: no ExecStart=", units.v[i]);
			free(text);
			continue;
		}
		services++;
		/* "/path/splitsync COMMAND -c FILE" */
		cmd = strchr(exec, ' ');
		ck_assert_msg(cmd != NULL, "%s: no command", units.v[i]);
		cmd++;
		for (known = 0, j = 0; j < h.commands.n; j++)
			known |= first_token_is(cmd, h.commands.v[j]);
		ck_assert_msg(known, "%s: %s is not a command of --help",
		    units.v[i], cmd);
		ck_assert_msg(strstr(cmd, " -c /") != NULL, "%s: no absolute "
		    "-c FILE", units.v[i]);
		user = unit_value(text, "User");
		ck_assert_msg(user && strcmp(user, "root") != 0 &&
		    strcmp(user, "0") != 0, "%s: runs as root", units.v[i]);
		/* a service that restarts must not restart when a person is
		 * needed: credentials refused, configuration invalid */
		restart = unit_value(text, "Restart");
		if (restart && strcmp(restart, "no") != 0) {
			char *prevent = unit_value(text,
			    "RestartPreventExitStatus");

			ck_assert_msg(prevent && has_token(prevent, "77") &&
			    has_token(prevent, "78"), "%s: restarts on 77 or 78",
			    units.v[i]);
			free(prevent);
		}
		free(restart);
		free(user);
		free(exec);
		free(text);
	}
	ck_assert_uint_ge(services, 2);
	words_free(&units);
	help_free(&h);
}
END_TEST

/* docs_suite - the Check suite */
static Suite *
docs_suite(void)
{
	Suite *s = suite_create("docs");
	TCase *lint = tcase_create("lint");
	TCase *man8 = tcase_create("splitsync.8");
	TCase *conf = tcase_create("splitsync.conf.5");
	TCase *map = tcase_create("splitsync-mapping.5");
	TCase *units = tcase_create("systemd");

	/* Each test runs man, groff or the binary several times. */
	tcase_set_timeout(lint, 60);
	tcase_set_timeout(man8, 60);
	tcase_set_timeout(conf, 60);
	tcase_set_timeout(map, 60);
	tcase_set_timeout(units, 60);
	tcase_add_test(lint, groff_reports_a_known_mistake);
	tcase_add_loop_test(lint, manual_renders_without_groff_warning, 0,
	    NMANUALS);
	tcase_add_loop_test(lint, manual_passes_mandoc_lint, 0, NMANUALS);
	tcase_add_loop_test(lint, manual_reads_with_man_in_80_columns, 0,
	    NMANUALS);
	suite_add_tcase(s, lint);
	tcase_add_test(man8, every_command_of_help_is_in_the_manual);
	tcase_add_test(man8, every_option_of_help_is_in_the_manual);
	tcase_add_test(man8, every_exit_status_of_help_is_in_the_manual);
	suite_add_tcase(s, man8);
	tcase_add_test(conf, an_unknown_setting_is_reported_as_unknown);
	tcase_add_test(conf, every_setting_is_in_the_manual_and_accepted);
	suite_add_tcase(s, conf);
	tcase_add_test(map, mapping_example_gives_the_routes_shown);
	suite_add_tcase(s, map);
	tcase_add_test(units, units_pass_systemd_analyze_verify);
	tcase_add_test(units, units_run_commands_the_binary_knows);
	suite_add_tcase(s, units);
	return s;
}

int main(void) { return testlib_main(docs_suite()); }
