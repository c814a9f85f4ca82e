/*
 * scenario - a scratch area for the end-to-end suites: a temp
 * directory with a configuration, copies of the inputs, the repository
 * the binary commits to, and the tables read back from it and loaded
 * with Postfix's postmap
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

void
scenario_free(struct scenario *s)
{
	testlib_rmrf(s->dir);
	free(s->dir);
	free(s->conf);
	free(s->repo);
	free(s->tables);
	memset(s, 0, sizeof *s);
}

/* scenario_new - temp dir with mapping and LDIF copied in and a config
 * whose extra lines are appended (source, layout...) */
void
scenario_new(struct scenario *s, const char *mapping, const char *ldif,
    const char *extra)
{
	char *conf_text, *out = NULL;
	int rc;

	memset(s, 0, sizeof *s);
	s->dir = testlib_tmpdir();
	ck_assert_ptr_nonnull(s->dir);
	ck_assert_int_ne(asprintf(&s->conf, "%s/splitsync.conf", s->dir), -1);
	ck_assert_int_ne(asprintf(&s->repo, "%s/routing.git", s->dir), -1);
	ck_assert_int_ne(asprintf(&s->tables, "%s/tables", s->dir), -1);
	rc = testlib_sh(&out, "cp '%s' '%s/mapping.xml' && mkdir '%s' && "
	    "touch '%s/main.cf'%s%s%s%s", mapping, s->dir, s->tables, s->tables,
	    ldif ? " && cp '" : "", ldif ? ldif : "", ldif ? "' " : "",
	    ldif ? s->dir : "");
	ck_assert_msg(rc == 0, "setup: %s", out);
	free(out);
	if (ldif)
		ck_assert_int_ne(asprintf(&conf_text, "source = ldif\n"
		    "ldif = %s\nmapping = mapping.xml\nrepository = "
		    "routing.git\n%s", strrchr(ldif, '/') + 1, extra ? extra :
		    ""), -1);
	else
		ck_assert_int_ne(asprintf(&conf_text, "mapping = mapping.xml\n"
		    "repository = routing.git\n%s", extra ? extra : ""), -1);
	ck_assert_int_eq(testlib_write(s->conf, conf_text), 0);
	free(conf_text);
}

/* scenario_run - the binary with arguments; returns the exit status */
int
scenario_run(char **out, const char *args)
{
	return testlib_sh(out, "'%s' %s", testlib_bin(), args);
}

/* scenario_head - the branch head's commit id, or "" (free()) */
char *
scenario_head(const struct scenario *s)
{
	char *out = NULL;

	if (testlib_sh(&out, "git --git-dir='%s' rev-parse --verify -q "
	    "refs/heads/main", s->repo) != 0) {
		free(out);
		return strdup("");
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* scenario_commits - number of commits on main */
int
scenario_commits(const struct scenario *s)
{
	char *out = NULL;
	int n = 0;

	if (testlib_sh(&out, "git --git-dir='%s' rev-list --count main",
	    s->repo) == 0)
		n = atoi(out);
	free(out);
	return n;
}

/* scenario_extract - every table of the head into s->tables, postmapped */
void
scenario_extract(const struct scenario *s, const char *const *tables)
{
	char *out = NULL;
	int rc;

	for (; *tables; tables++) {
		rc = testlib_sh(&out, "git --git-dir='%s' show 'main:%s' > "
		    "'%s/%s' && postmap -c '%s' 'hash:%s/%s'", s->repo, *tables,
		    s->tables, *tables, s->tables, s->tables, *tables);
		ck_assert_msg(rc == 0, "table %s: %s", *tables, out);
		free(out);
		out = NULL;
	}
}

/* scenario_lookup - what Postfix answers for key in table: the value, or NULL
 * when the key is not found (free()) */
char *
scenario_lookup(const struct scenario *s, const char *table, const char *key)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "postmap -c '%s' -q '%s' 'hash:%s/%s'",
	    s->tables, key, s->tables, table);
	if (rc == 1) {
		free(out);
		return NULL;
	}
	ck_assert_msg(rc == 0, "postmap -q %s %s: %s", key, table, out);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* scenario_expect - assert that table answers value for key (NULL: not found) */
void
scenario_expect(const struct scenario *s, const char *table, const char *key,
    const char *value)
{
	char *got = scenario_lookup(s, table, key);

	if (value == NULL)
		ck_assert_msg(got == NULL, "%s: %s: expected no entry, got %s",
		    table, key, got);
	else
		ck_assert_msg(got && strcmp(got, value) == 0,
		    "%s: %s: expected %s, got %s", table, key, value,
		    got ? got : "(not found)");
	free(got);
}


/* scenario_without_base - an LDIF file minus the entries base.ldif has */
void
scenario_without_base(const char *in, const char *out)
{
	char *text = NULL;
	int rc;

	rc = testlib_sh(&text, "awk -v RS= -v ORS='\\n\\n' '!/(^|\\n)dn: "
	    "(dc=example|ou=people,dc=example|ou=groups,dc=example),dc=com"
	    "(\\n|$)/' '%s' > '%s'", in, out);
	ck_assert_msg(rc == 0, "%s", text);
	free(text);
}
