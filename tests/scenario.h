/*
 * scenario - a scratch area for the end-to-end suites
 *
 * scenario_new makes a temp directory holding mapping.xml (a copy),
 * the LDIF file (a copy, when given), an empty main.cf for postmap, and
 * splitsync.conf naming them, with a repository routing.git beside it;
 * extra configuration lines are appended. Every helper asserts (Check)
 * on what must not fail; scenario_free removes everything.
 */
#ifndef SPLITSYNC_TESTS_SCENARIO_H
#define SPLITSYNC_TESTS_SCENARIO_H

#include "testlib.h"

struct scenario {
	char *dir;
	char *conf;
	char *repo;
	char *tables;   /* tables extracted from the branch, postmapped */
};

void scenario_new(struct scenario *s, const char *mapping, const char *ldif,
    const char *extra);
void scenario_free(struct scenario *s);
/* scenario_run - the binary with arguments; its exit status */
int scenario_run(char **out, const char *args);
/* scenario_head - the branch head's commit id, "" when none (free()) */
char *scenario_head(const struct scenario *s);
/* scenario_commits - number of commits on main */
int scenario_commits(const struct scenario *s);
/* scenario_extract - tables (NULL-terminated names) of the head into
 * s->tables, each postmapped */
void scenario_extract(const struct scenario *s, const char *const *tables);
/* scenario_lookup - what postmap answers for key, NULL: not found */
char *scenario_lookup(const struct scenario *s, const char *table,
    const char *key);
/* scenario_expect - assert postmap's answer (value NULL: not found) */
void scenario_expect(const struct scenario *s, const char *table,
    const char *key, const char *value);

/* scenario_without_base - copy an LDIF file without the entries of
 * tests/slapd/base.ldif (dc=example,dc=com, ou=people, ou=groups) */
void scenario_without_base(const char *in, const char *out);

#endif
