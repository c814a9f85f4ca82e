/*
 * config - the agent configuration file
 *
 * The syntax is that of Postfix main.cf without continuation lines or
 * $name expansion: one "name = value" per line, '#' as the first
 * non-blank character makes a comment line, blank lines are ignored,
 * white space around names and values is trimmed. A '#' after a value
 * is part of the value, as in main.cf.
 *
 * Every setting is one entry of the settings[] table (name, type, field,
 * default, range or choices, requirement); parsing, defaults, required
 * checks and config_free() are driven by that table, so adding a setting
 * is one table entry plus its field in config.h. Relations between
 * settings (a bind DN needs a password file, ...) are in cross_check();
 * the three branches (deploy, proposal, hold) must be names libgit2
 * accepts as branches and refs git can keep side by side
 * (check_branches()).
 *
 * Relative paths are joined to the directory part of the file name as
 * given; nothing is opened here but the configuration file itself.
 * DIAGNOSTICS
 *	config_load() records every problem with diag_error(): "file:line"
 *	for a line, "file" for a missing setting. It reads the whole file
 *	before it gives up, so one run shows every mistake, then returns
 *	ERR_CONFIG. What file_open_named() returns when the file cannot be
 *	opened (file.h); ERR_IO when a read fails, ERR_NOMEM.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "errors.h"
#include "file.h"
#include "config_int.h"

#define CONFIG_LINE_MAX	4096	/* bytes per line, newline excluded */

enum type {
	T_STRING,	/* char *, optionally checked */
	T_PATH,		/* char *, relative to the file's directory */
	T_INT,		/* int in [min, max], decimal */
	T_BOOL,		/* int, "yes" (1) or "no" (0) */
	T_CHOICE,	/* char *, one of choices */
	T_ENUM,		/* an enum, the index of one of choices */
	T_LIST		/* char ** plus size_t count, white space separated */
};

/* who needs a setting */
#define REQ_ALWAYS	1u
#define REQ_LDIF	2u	/* when source = ldif */
#define REQ_LDAP	4u	/* when source = ldap */

/* a value check: 0 or ERR_INVAL with a short static reason */
typedef int check_fn(const char *value, const char **why);

struct setting {
	const char *name;
	enum type type;
	size_t off;			/* the field in struct config */
	size_t count_off;		/* T_LIST: its size_t count */
	const char *def;		/* default as text, NULL: none */
	long min, max;			/* T_INT range */
	const char *const *choices;	/* T_CHOICE, T_ENUM */
	check_fn *check;		/* T_STRING, each T_LIST item */
	unsigned required;		/* REQ_* */
};

/* in the order of their enums */
static const char *const sources[] = { "ldif", "ldap", NULL };
static const char *const layouts[] = { "bluemind", "gateway", NULL };
static const char *const feeds[] = { "poll", "persist", NULL };
static const char *const rollouts[] = { "direct", "review", NULL };
static const char *const sasl_mechs[] = { "EXTERNAL", NULL };

/* T_ENUM stores an int: every enum of the settings must be one. */
_Static_assert(sizeof(enum config_source) == sizeof(int) &&
    sizeof(enum config_layout) == sizeof(int) &&
    sizeof(enum config_rollout) == sizeof(int) &&
    sizeof(enum config_feed) == sizeof(int), "enums are ints");

#define F(field) offsetof(struct config, field)
#define S_ENUM(n, f, def, ch, req) \
	{ n, T_ENUM, F(f), 0, def, 0, 0, ch, NULL, req }
#define S_STRING(n, f, def, chk, req) \
	{ n, T_STRING, F(f), 0, def, 0, 0, NULL, chk, req }
#define S_PATH(n, f, req) \
	{ n, T_PATH, F(f), 0, NULL, 0, 0, NULL, NULL, req }
#define S_INT(n, f, def, lo, hi) \
	{ n, T_INT, F(f), 0, def, lo, hi, NULL, NULL, 0 }
#define S_BOOL(n, f, def) \
	{ n, T_BOOL, F(f), 0, def, 0, 0, NULL, NULL, 0 }
#define S_CHOICE(n, f, def, ch) \
	{ n, T_CHOICE, F(f), 0, def, 0, 0, ch, NULL, 0 }
#define S_LIST(n, f, cnt, def, chk, req) \
	{ n, T_LIST, F(f), F(cnt), def, 0, 0, NULL, chk, req }

/* Keep in step with docs/configuration.md. */
static const struct setting settings[] = {
	S_ENUM("source", source, NULL, sources, REQ_ALWAYS),
	S_PATH("ldif", ldif, REQ_LDIF),
	S_LIST("ldap_uri", ldap.uris, ldap.nuris, NULL, config_check_uri,
	    REQ_LDAP),
	S_STRING("ldap_base", ldap.base, NULL, config_check_dn, REQ_LDAP),
	S_STRING("ldap_bind_dn", ldap.bind_dn, NULL, config_check_dn, 0),
	S_PATH("ldap_bind_password_file", ldap.password_file, 0),
	S_CHOICE("ldap_sasl_mech", ldap.sasl_mech, NULL, sasl_mechs),
	S_BOOL("ldap_starttls", ldap.starttls, "no"),
	S_BOOL("ldap_tls_verify", ldap.tls_verify, "yes"),
	S_PATH("ldap_ca_file", ldap.ca_file, 0),
	S_INT("ldap_network_timeout", ldap.network_timeout, "10", 1, 3600),
	S_INT("ldap_timeout", ldap.timeout, "60", 1, 86400),
	S_INT("ldap_page_size", ldap.page_size, "500", 1, 100000),
	S_PATH("mapping", mapping, REQ_ALWAYS),
	S_ENUM("layout", layout, "bluemind", layouts, 0),
	S_INT("table_shards", table_shards, "0", 0, 65536),
	S_PATH("repository", repository, REQ_ALWAYS),
	S_STRING("branch", branch, "main", config_check_branch, 0),
	S_BOOL("repository_bare", bare, "yes"),
	S_STRING("author_name", author_name, "splitsync", config_check_author_name,
	    0),
	S_STRING("author_email", author_email, "splitsync@localhost",
	    config_check_author_email, 0),
	S_LIST("transports", transports, ntransports, "smtp lmtp relay",
	    config_check_transport, 0),
	S_ENUM("rollout", rollout, "direct", rollouts, 0),
	S_STRING("proposal_branch", proposal_branch, NULL, config_check_branch, 0),
	S_STRING("hold_branch", hold_branch, NULL, config_check_branch, 0),
	S_INT("guard_max_delete_percent", guard_percent, "10", 0, 100),
	S_INT("guard_max_delete_count", guard_count, "500", 0, 100000000),
	S_INT("guard_max_add_percent", guard_add_percent, "100", 0, 1000000),
	S_INT("guard_max_add_count", guard_add_count, "1000", 0, 100000000),
	S_INT("max_addresses_per_entry", max_addresses, "1000", 0, 100000000),
	S_LIST("remotes", remotes, nremotes, NULL, config_check_remote, 0),
	S_ENUM("feed", feed, "poll", feeds, 0),
	S_INT("poll_interval", poll_interval, "300", 1, 86400),
	S_INT("debounce", debounce, "1000", 0, 600000),
	S_INT("reconnect_min", reconnect_min, "1", 1, 3600),
	S_INT("reconnect_max", reconnect_max, "300", 1, 86400),
	S_PATH("metrics_file", metrics_file, 0),
	S_INT("status_max_silence", status_max_silence, "3600", 1, 31536000),
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

/* the state of one config_load() */
struct load {
	const char *path;		/* as given */
	size_t dirlen;			/* path[0..dirlen) is "dir/" or "" */
	struct config *c;
	struct diag *d;
	unsigned lines[NSETTINGS];	/* where each was set, 0: not set */
	unsigned char bad[NSETTINGS];	/* set, but the value was refused */
	size_t nerrors;
};

/* field - address of a setting's field */
static void *
field(struct config *c, size_t off)
{
	return (char *)c + off;
}

/* report - record one problem at path:line (path alone for line 0) */
__attribute__((format(printf, 3, 4)))
static void
report(struct load *st, unsigned line, const char *fmt, ...)
{
	struct buf where = BUF_INIT;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (line == 0 || buf_printf(&where, "%s:%u", st->path, line) < 0)
		diag_error(st->d, st->path, "%s", text);
	else
		diag_error(st->d, where.data, "%s", text);
	buf_free(&where);
	st->nerrors++;
}

/* find - index of a setting by name, or -1 */
static int
find(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* is_blank - the white space trimmed around names and values */
static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* trim - strip white space at both ends, in place */
static char *
trim(char *s)
{
	size_t n;

	while (is_blank((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* derive_branches - the review and hold branches default to the deploy
 * branch's name with a suffix */
static int
derive_branches(struct config *c)
{
	size_t n = strlen(c->branch) + sizeof "-proposed";

	if (c->proposal_branch == NULL) {
		c->proposal_branch = malloc(n);
		if (c->proposal_branch == NULL)
			return ERR_NOMEM;
		snprintf(c->proposal_branch, n, "%s-proposed", c->branch);
	}
	if (c->hold_branch == NULL) {
		c->hold_branch = malloc(n);
		if (c->hold_branch == NULL)
			return ERR_NOMEM;
		snprintf(c->hold_branch, n, "%s-held", c->branch);
	}
	return 0;
}

/* nests - git cannot hold both refs: a is a directory of b */
static int
nests(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && b[n] == '/';
}

/* choice_index - position of value in a NULL-terminated list, or -1 */
static int
choice_index(const char *const *choices, const char *value)
{
	int i;

	for (i = 0; choices[i]; i++)
		if (strcmp(choices[i], value) == 0)
			return i;
	return -1;
}

/* report_choices - "name: "value" is not one of a|b|c" */
static void
report_choices(struct load *st, unsigned line, const struct setting *s,
    const char *value)
{
	struct buf list = BUF_INIT;
	size_t i;

	for (i = 0; s->choices[i]; i++)
		if (buf_printf(&list, "%s%s", i ? "|" : "", s->choices[i]) < 0)
			break;
	report(st, line, "%s: \"%s\" is not one of %s", s->name, value,
	    list.data ? list.data : "");
	buf_free(&list);
}

/* parse_int - decimal in [min, max]; no sign, no white space */
static int
parse_int(const char *value, long min, long max, int *out)
{
	char *end;
	long v;

	if (!config_all_digits(value, strlen(value)))
		return ERR_INVAL;
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min || v > max)
		return ERR_INVAL;
	*out = (int)v;
	return 0;
}

/* join_path - a relative path joined to the file's directory */
static char *
join_path(const struct load *st, const char *value)
{
	struct buf b = BUF_INIT;

	if (value[0] == '/' || st->dirlen == 0)
		return strdup(value);
	if (buf_append(&b, st->path, st->dirlen) < 0
	    || buf_puts(&b, value) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* free_list - release a string array */
static void
free_list(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* set_list - split value on white space, check and store each item */
static int
set_list(struct load *st, const struct setting *s, char *value,
    unsigned line)
{
	char **items = NULL, **grown, *p, *item;
	size_t n = 0, i;
	const char *why;
	int rc = 0;

	for (p = value; *p; ) {
		while (is_blank((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		item = p;
		while (*p && !is_blank((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
		why = NULL;
		if (s->check && s->check(item, &why) < 0) {
			report(st, line, "%s: \"%s\": %s", s->name, item, why);
			rc = ERR_INVAL;
			continue;
		}
		for (i = 0; i < n; i++)
			if (strcmp(items[i], item) == 0)
				break;
		if (i < n) {
			report(st, line, "%s: \"%s\" is listed twice", s->name,
			    item);
			rc = ERR_INVAL;
			continue;
		}
		if (n + 1 > SIZE_MAX / sizeof *items) {
			rc = ERR_NOMEM;
			goto out;
		}
		grown = realloc(items, (n + 1) * sizeof *items);
		if (grown == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		items = grown;
		if ((items[n] = strdup(item)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		n++;
	}
	if (rc == 0 && n == 0) {
		report(st, line, "%s: empty list", s->name);
		rc = ERR_INVAL;
	}
out:
	if (rc < 0) {
		free_list(items, n);
		return rc;
	}
	*(char ***)field(st->c, s->off) = items;
	*(size_t *)field(st->c, s->count_off) = n;
	return 0;
}

/* set_string - store a new string (NULL: allocation failed) */
static int
set_string(struct config *c, const struct setting *s, char *copy)
{
	if (copy == NULL)
		return ERR_NOMEM;
	free(*(char **)field(c, s->off));
	*(char **)field(c, s->off) = copy;
	return 0;
}

/* apply - parse value into the setting's field; ERR_INVAL (reported),
 * ERR_NOMEM */
static int
apply(struct load *st, const struct setting *s, char *value, unsigned line)
{
	const char *why = NULL;
	int idx, n;

	switch (s->type) {
	case T_STRING:
		if (s->check && s->check(value, &why) < 0) {
			report(st, line, "%s: %s", s->name, why);
			return ERR_INVAL;
		}
		return set_string(st->c, s, strdup(value));
	case T_CHOICE:
		if (choice_index(s->choices, value) < 0) {
			report_choices(st, line, s, value);
			return ERR_INVAL;
		}
		return set_string(st->c, s, strdup(value));
	case T_PATH:
		return set_string(st->c, s, join_path(st, value));
	case T_INT:
		if (parse_int(value, s->min, s->max, &n) < 0) {
			report(st, line, "%s: \"%s\" is not a number from %ld "
			    "to %ld", s->name, value, s->min, s->max);
			return ERR_INVAL;
		}
		*(int *)field(st->c, s->off) = n;
		return 0;
	case T_BOOL:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			report(st, line, "%s: \"%s\" is not yes or no",
			    s->name, value);
			return ERR_INVAL;
		}
		*(int *)field(st->c, s->off) = strcmp(value, "yes") == 0;
		return 0;
	case T_ENUM:
		if ((idx = choice_index(s->choices, value)) < 0) {
			report_choices(st, line, s, value);
			return ERR_INVAL;
		}
		*(int *)field(st->c, s->off) = idx;
		return 0;
	case T_LIST:
		return set_list(st, s, value, line);
	}
	return ERR_INVAL;
}

/* has_control - a byte below 0x20 other than tab, or DEL */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 1;
	return 0;
}

/* parse_line - one line of the file; ERR_NOMEM only, all else reported */
static int
parse_line(struct load *st, char *raw, size_t len, unsigned line)
{
	const struct setting *s;
	char *text, *eq, *name, *value;
	int i, rc;

	if (memchr(raw, '\0', len) != NULL) {
		report(st, line, "NUL byte in line");
		return 0;
	}
	text = trim(raw);
	if (*text == '\0' || *text == '#')
		return 0;
	if (has_control(text)) {
		report(st, line, "control character in line");
		return 0;
	}
	if ((eq = strchr(text, '=')) == NULL) {
		report(st, line, "expected \"name = value\"");
		return 0;
	}
	*eq = '\0';
	name = trim(text);
	value = trim(eq + 1);
	if (*name == '\0') {
		report(st, line, "missing name before '='");
		return 0;
	}
	if ((i = find(name)) < 0) {
		report(st, line, "unknown setting \"%.100s\"", name);
		return 0;
	}
	s = &settings[i];
	if (st->lines[i] != 0) {
		report(st, line, "%s: repeated (first set at line %u)",
		    s->name, st->lines[i]);
		return 0;
	}
	st->lines[i] = line;
	if (*value == '\0') {
		report(st, line, "%s: empty value (remove the line to use "
		    "the default)", s->name);
		st->bad[i] = 1;
		return 0;
	}
	rc = apply(st, s, value, line);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0)
		st->bad[i] = 1;
	return 0;
}

/* read_line - next line into buf (NUL-terminated, newline dropped);
 * 1: a line, 0: end of file; *overlong when it had more than
 * CONFIG_LINE_MAX bytes (the rest is skipped) */
static int
read_line(FILE *fp, char *buf, size_t *len, int *overlong)
{
	size_t n = 0;
	int ch;

	*overlong = 0;
	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (n < CONFIG_LINE_MAX)
			buf[n++] = (char)ch;
		else
			*overlong = 1;
	}
	buf[n] = '\0';
	*len = n;
	return ch != EOF || n > 0;
}

/* setting_ok - set, and its value was accepted */
static int
setting_ok(const struct load *st, const char *name)
{
	int i = find(name);

	return i >= 0 && st->lines[i] != 0 && !st->bad[i];
}

/* line_of - where a setting was set, 0 when not */
static unsigned
line_of(const struct load *st, const char *name)
{
	int i = find(name);

	return i >= 0 ? st->lines[i] : 0;
}

/* shards_valid - 0 (one file per table) or a power of 16: one
 * directory level per hex digit of the shard number */
static int
shards_valid(int n)
{
	return n == 0 || n == 16 || n == 256 || n == 4096 || n == 65536;
}

/* cross_check - settings that contradict each other */
static void
cross_check(struct load *st)
{
	const struct config *c = st->c;
	unsigned bind = line_of(st, "ldap_bind_dn");
	unsigned pass = line_of(st, "ldap_bind_password_file");
	unsigned sasl = line_of(st, "ldap_sasl_mech");
	unsigned tls = line_of(st, "ldap_starttls");
	size_t i;

	if (bind && !pass)
		report(st, bind, "ldap_bind_dn needs ldap_bind_password_file");
	if (pass && !bind)
		report(st, pass, "ldap_bind_password_file needs ldap_bind_dn");
	if (sasl && bind)
		report(st, sasl, "ldap_sasl_mech cannot be combined with "
		    "ldap_bind_dn (line %u)", bind);
	if (setting_ok(st, "feed") && setting_ok(st, "source") &&
	    c->feed == CONFIG_FEED_PERSIST && c->source != CONFIG_SOURCE_LDAP)
		report(st, line_of(st, "feed"), "feed = persist needs "
		    "source = ldap (syncrepl)");
	if (setting_ok(st, "table_shards") && !shards_valid(c->table_shards))
		report(st, line_of(st, "table_shards"), "table_shards must be "
		    "0, 16, 256, 4096 or 65536");
	if (setting_ok(st, "reconnect_min") && setting_ok(st, "reconnect_max")
	    && c->reconnect_min > c->reconnect_max)
		report(st, line_of(st, "reconnect_min"), "reconnect_min is "
		    "larger than reconnect_max");
	if (setting_ok(st, "ldap_starttls") && c->ldap.starttls
	    && setting_ok(st, "ldap_uri"))
		for (i = 0; i < c->ldap.nuris; i++)
			if (config_has_prefix_ci(c->ldap.uris[i], "ldaps://")) {
				report(st, tls, "ldap_starttls = yes cannot be "
				    "used with an ldaps:// URI (line %u)",
				    line_of(st, "ldap_uri"));
				break;
			}
}

/* branch_label - how a message names a branch setting: "branch (line
 * 5)", or "branch (its default)" when it was not set */
static void
branch_label(const struct load *st, const char *name, char *out, size_t len)
{
	unsigned line = line_of(st, name);

	if (line)
		snprintf(out, len, "%s (line %u)", name, line);
	else
		snprintf(out, len, "%s (its default)", name);
}

/* check_branches - the deploy, proposal and hold branches must be three
 * refs git can hold side by side: a side branch equal to the deploy
 * branch would move or delete it */
static void
check_branches(struct load *st)
{
	static const char *const names[] = {
		"branch", "proposal_branch", "hold_branch"
	};
	const char *values[3];
	unsigned lines[3];
	char other[64];
	size_t i, j, at, by;
	int k;

	values[0] = st->c->branch;
	values[1] = st->c->proposal_branch;
	values[2] = st->c->hold_branch;
	for (i = 0; i < 3; i++) {
		if ((k = find(names[i])) < 0 || st->bad[k] || values[i] == NULL)
			return;         /* already reported */
		lines[i] = st->lines[k];
	}
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++) {
			/* the one set later in the file is the mistake */
			at = lines[j] >= lines[i] ? j : i;
			by = at == j ? i : j;
			if (strcmp(values[i], values[j]) == 0) {
				branch_label(st, names[by], other, sizeof other);
				report(st, lines[at], "%s: \"%s\" is also %s; "
				    "branch, proposal_branch and hold_branch "
				    "must differ", names[at], values[at], other);
			} else if (nests(values[i], values[j]) ||
			    nests(values[j], values[i]))
				report(st, lines[at], "%s: \"%s\" cannot exist "
				    "beside %s \"%s\" (git would need one as a "
				    "directory of the other)", names[at],
				    values[at], names[by], values[by]);
		}
}

/* finish - defaults for what was not set, then missing settings */
static int
finish(struct load *st)
{
	const struct setting *s;
	char *def;
	size_t i;
	int rc, source_known = setting_ok(st, "source");

	for (i = 0; i < NSETTINGS; i++) {
		s = &settings[i];
		if (st->lines[i] != 0)
			continue;
		if (s->def) {
			/* defaults are parsed like values: one code path */
			if ((def = strdup(s->def)) == NULL)
				return ERR_NOMEM;
			rc = apply(st, s, def, 0);
			free(def);
			if (rc == ERR_NOMEM)
				return rc;
			continue;
		}
		if ((s->required & REQ_ALWAYS)
		    || (source_known && (s->required & REQ_LDIF)
			&& st->c->source == CONFIG_SOURCE_LDIF)
		    || (source_known && (s->required & REQ_LDAP)
			&& st->c->source == CONFIG_SOURCE_LDAP))
			report(st, 0, "missing required setting \"%s\"%s",
			    s->name, (s->required & REQ_ALWAYS) ? ""
			    : st->c->source == CONFIG_SOURCE_LDIF
			    ? " (source = ldif)" : " (source = ldap)");
	}
	return 0;
}

/* config_load - read and check the configuration file */
int
config_load(const char *path, struct config **out, struct diag *d)
{
	struct load st;
	FILE *fp = NULL;
	char *line = NULL;
	const char *slash;
	size_t len, size;
	unsigned lineno = 0;
	int overlong, fd, libgit2 = 0, rc = 0;

	*out = NULL;
	memset(&st, 0, sizeof st);
	st.path = path;
	st.d = d;
	slash = strrchr(path, '/');
	st.dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	if ((st.c = calloc(1, sizeof *st.c)) == NULL
	    || (st.c->path = strdup(path)) == NULL
	    || (line = malloc(CONFIG_LINE_MAX + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((rc = file_open_named(path, "configuration file", FILE_MAX_CONFIG,
	    0, &fd, &size, d)) < 0)
		goto out;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		rc = ERR_NOMEM;
		goto out;
	}
	/* branch names are checked by libgit2's rule */
	if (git_libgit2_init() < 0) {
		diag_error(d, path, "cannot initialize libgit2");
		rc = ERR_IO;
		goto out;
	}
	libgit2 = 1;
	while (read_line(fp, line, &len, &overlong)) {
		if (lineno == UINT_MAX) {
			report(&st, 0, "too many lines");
			break;
		}
		lineno++;
		if (overlong) {
			report(&st, lineno, "line longer than %d bytes",
			    CONFIG_LINE_MAX);
			continue;
		}
		if ((rc = parse_line(&st, line, len, lineno)) < 0)
			goto out;
	}
	if (ferror(fp)) {
		diag_error(d, path, "read error: %s", strerror(errno));
		rc = ERR_IO;
		goto out;
	}
	if ((rc = finish(&st)) < 0)
		goto out;
	if (st.c->branch && (rc = derive_branches(st.c)) < 0)
		goto out;
	cross_check(&st);
	check_branches(&st);
	if (st.nerrors > 0)
		rc = ERR_CONFIG;
out:
	if (libgit2)
		git_libgit2_shutdown();
	if (fp)
		fclose(fp);
	free(line);
	if (rc == ERR_NOMEM)
		diag_error(d, path, "out of memory");
	if (rc < 0) {
		config_free(st.c);
		return rc;
	}
	*out = st.c;
	return 0;
}

/* config_free - release everything the table says the config owns */
void
config_free(struct config *c)
{
	const struct setting *s;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NSETTINGS; i++) {
		s = &settings[i];
		switch (s->type) {
		case T_STRING:
		case T_PATH:
		case T_CHOICE:
			free(*(char **)field(c, s->off));
			break;
		case T_LIST:
			free_list(*(char ***)field(c, s->off),
			    *(size_t *)field(c, s->count_off));
			break;
		case T_INT:
		case T_BOOL:
		case T_ENUM:
			break;
		}
	}
	free(c->path);
	free(c);
}

/* config_layout_name - the name the configuration gives it */
const char *
config_layout_name(enum config_layout l)
{
	return layouts[l];
}

/* config_rollout_name - the name the configuration gives it */
const char *
config_rollout_name(enum config_rollout r)
{
	return rollouts[r];
}

/* config_feed_name - the name the configuration gives it */
const char *
config_feed_name(enum config_feed f)
{
	return feeds[f];
}

/* config_set_repository - replace the repository, value as given */
int
config_set_repository(struct config *c, const char *dir)
{
	char *copy;

	if (c == NULL || dir == NULL || *dir == '\0')
		return ERR_INVAL;
	if ((copy = strdup(dir)) == NULL)
		return ERR_NOMEM;
	free(c->repository);
	c->repository = copy;
	return 0;
}
