/*
 * dfx - a Postfix host for splitsync-deploy, for the Check suites
 *
 * Each test makes its own struct dfx with dfx_init (or dfx_init_dir)
 * and releases it with dfx_free, which removes the temp directory. The
 * strings in it are the fixture's. Paths given to the functions below
 * are relative to the test directory. Every function that runs a
 * command returns its exit status, with stdout and stderr together in
 * *out (the caller frees it; out may be NULL); the others fail the test
 * with a Check assertion when setup goes wrong.
 */
#ifndef SPLITSYNC_TESTS_DFX_H
#define SPLITSYNC_TESTS_DFX_H

#include <stddef.h>

#define DFX_SCRIPT "examples/postfix-deploy/splitsync-deploy"
#define DFX_DATA "tests/data/deploy"
#define DFX_SRC DFX_DATA "/splitsync"
#define DFX_TMP_MARK "splitsync-deploy-tmp"
#define DFX_NUSERS 300          /* generated users: shards of every size */
/* the two nexthops of the data sets */
#define DFX_LEGACY "smtp:[legacy.example.com]:25"
#define DFX_CORE "lmtp:core.example.com:2400"

/* the exit statuses of the script */
enum dfx_status {
	DFX_USAGE = 64, DFX_REFUSED = 65, DFX_UNAVAIL = 69, DFX_INTERNAL = 70,
	DFX_CANTWRITE = 73, DFX_LOCKED = 75
};

struct dfx {
	char *top;      /* the source tree: tests run from its top */
	char *dir;      /* this test's temp directory */
};

/* dfx_sh - run a command in the test directory, with git isolated from
 * the host's configuration and the reload counted; exit status */
int dfx_sh(const struct dfx *f, char **out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* dfx_ok - run a setup command that must succeed */
void dfx_ok(const struct dfx *f, const char *cmd);
/* dfx_init_dir - temp dir and a Postfix config dir with an empty
 * main.cf; a host without postmap fails the test */
void dfx_init_dir(struct dfx *f);
/* dfx_init - dfx_init_dir, plus the upstream and work repositories */
void dfx_init(struct dfx *f);
/* dfx_free - remove the temp dir, release f */
void dfx_free(struct dfx *f);
/* dfx_stage - make the work tree exactly the data sets named, applied
 * in order (later sets overlay earlier ones) */
void dfx_stage(const struct dfx *f, const char *sets);
/* dfx_put - write len bytes as work/name (NUL and CR included) */
void dfx_put(const struct dfx *f, const char *name, const char *data,
    size_t len);
/* dfx_commit - commit the work tree and force it onto upstream main;
 * the commit id into id */
void dfx_commit(const struct dfx *f, const char *msg, char id[static 65]);
/* dfx_deploy_from - run the script with repository repo, table dir
 * tables and state dir state (names in the test dir); env is put before
 * the command (assignments, a wrapper), args after */
int dfx_deploy_from(const struct dfx *f, char **out, const char *env,
    const char *repo, const char *tables, const char *state,
    const char *args);
/* dfx_deploy - run the script on this host's directories (up.git,
 * tables, state) */
int dfx_deploy(const struct dfx *f, char **out, const char *env,
    const char *args);
/* dfx_deploy_ok - a run that must succeed */
void dfx_deploy_ok(const struct dfx *f, const char *args);
/* dfx_text - a file of the test dir without its last newline (free()),
 * or NULL */
char *dfx_text(const struct dfx *f, const char *rel);
/* dfx_exists - 0/1: the path exists in the test dir */
int dfx_exists(const struct dfx *f, const char *rel);
/* dfx_reloads - how many times the reload command ran */
int dfx_reloads(const struct dfx *f);
/* dfx_expect_deployed - STATE_DIR/deployed holds id (NULL: no such
 * file) */
void dfx_expect_deployed(const struct dfx *f, const char *id);
/* dfx_expect_query - postmap -q key on the deployed table answers want
 * (NULL: not found) */
void dfx_expect_query(const struct dfx *f, const char *table,
    const char *key, const char *want);
/* dfx_expect_no_temp - no temp file left in the table or state dir */
void dfx_expect_no_temp(const struct dfx *f);
/* dfx_expect_has - out contains every string of the NULL-terminated
 * list */
void dfx_expect_has(const char *out, const char *const *want);
/* dfx_deploy_c1_c2 - commits 1 and 2 of the data sets upstream, each
 * deployed */
void dfx_deploy_c1_c2(const struct dfx *f, char c1[static 65],
    char c2[static 65]);

/* dfx_bin - the binary under test as an absolute path into out */
void dfx_bin(const struct dfx *f, char *out, size_t len);
/* dfx_set_shards - table_shards = shards in src/splitsync.conf */
void dfx_set_shards(const struct dfx *f, int shards);
/* dfx_source - src/: the configuration, mapping and directory of the
 * data set, DFX_NUSERS generated users more (uNNN@example.com, alias
 * user.NNN@example.com, all migrated), table_shards = shards */
void dfx_source(const struct dfx *f, int shards);
/* dfx_edit_source - run a command on src/directory.ldif (as $l), which
 * must change it */
void dfx_edit_source(const struct dfx *f, const char *cmd);
/* dfx_splitsync - splitsync -q COMMAND -c src/splitsync.conf ARGS, which
 * must succeed */
void dfx_splitsync(const struct dfx *f, const char *command,
    const char *args);
/* dfx_head - the commit id of main in repo */
void dfx_head(const struct dfx *f, const char *repo, char id[static 65]);

#endif
