/*
 * dfx - a Postfix host for splitsync-deploy, for the Check suites
 *
 * DESCRIPTION
 *	dfx_init_dir makes a temp directory with a Postfix configuration
 *	directory conf/ (an empty main.cf); dfx_init adds a bare
 *	"upstream" repository up.git and a work tree work/, both on
 *	branch main. Data sets of tests/data/deploy are staged into the
 *	work tree (dfx_stage, dfx_put) and committed onto upstream main
 *	(dfx_commit); dfx_deploy runs the script with -r up.git, -d tables,
 *	-s state and -c conf. Every command runs in the test directory with
 *	git isolated from the host's configuration, and with
 *	SPLITSYNC_DEPLOY_RELOAD set to a command that appends a line to the
 *	file reloads, so that reloads are counted (dfx_reloads). Deployed
 *	tables are read back with Postfix's own postmap -q.
 *
 *	The splitsync helpers commit with the binary under test: dfx_source
 *	copies the data set tests/data/deploy/splitsync to src/ with
 *	DFX_NUSERS generated users; dfx_splitsync runs a command on it.
 *
 * DIAGNOSTICS
 *	Setup failures and failed expectations are Check assertions naming
 *	the command, its exit status and output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfx.h"
#include "testlib.h"

/* dfx_sh - run a command in the test directory, with git isolated from
 * the host's configuration and the reload counted; exit status */
int
dfx_sh(const struct dfx *f, char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof cmd, "command too long");
	return testlib_sh(out, "cd '%s' && PATH=\"$PATH:/usr/sbin:/sbin\" && "
	    "export PATH HOME='%s' GIT_CONFIG_NOSYSTEM=1 "
	    "GIT_AUTHOR_NAME=splitsync GIT_AUTHOR_EMAIL=splitsync@example.com "
	    "GIT_COMMITTER_NAME=splitsync "
	    "GIT_COMMITTER_EMAIL=splitsync@example.com "
	    "SPLITSYNC_DEPLOY_RELOAD=\"echo reload >> '%s/reloads'\" && %s",
	    f->dir, f->dir, f->dir, cmd);
}

/* dfx_ok - run a setup command that must succeed */
void
dfx_ok(const struct dfx *f, const char *cmd)
{
	char *out = NULL;
	int rc = dfx_sh(f, &out, "%s", cmd);

	ck_assert_msg(rc == 0, "%s: exit %d: %s", cmd, rc, out ? out : "");
	free(out);
}

/* dfx_init_dir - temp dir and a Postfix config dir with an empty main.cf */
void
dfx_init_dir(struct dfx *f)
{
	char cwd[4096], *out = NULL;
	int rc;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	f->top = strdup(cwd);
	f->dir = testlib_tmpdir();
	ck_assert_ptr_nonnull(f->top);
	ck_assert_ptr_nonnull(f->dir);
	rc = dfx_sh(f, &out, "command -v postmap && mkdir conf && "
	    ": > conf/main.cf");
	ck_assert_msg(rc == 0, "postmap not found (install Postfix), or "
	    "no config dir: %s", out ? out : "");
	free(out);
}

/* dfx_init - dfx_init_dir, plus the upstream and work repositories */
void
dfx_init(struct dfx *f)
{
	dfx_init_dir(f);
	dfx_ok(f, "git init -q --bare up.git && "
	    "git -C up.git symbolic-ref HEAD refs/heads/main && "
	    "git init -q work && "
	    "git -C work symbolic-ref HEAD refs/heads/main");
}

/* dfx_free - remove the temp dir */
void
dfx_free(struct dfx *f)
{
	testlib_rmrf(f->dir);
	free(f->dir);
	free(f->top);
}

/* dfx_stage - make the work tree exactly the data sets named, applied
 * in order (later sets overlay earlier ones) */
void
dfx_stage(const struct dfx *f, const char *sets)
{
	char *out = NULL;
	int rc;

	rc = dfx_sh(f, &out, "cd work && git rm -rqf --ignore-unmatch . && "
	    "for s in %s; do cp -R '%s/" DFX_DATA "'/$s/. . || exit 1; done",
	    sets, f->top);
	ck_assert_msg(rc == 0, "stage %s: %s", sets, out ? out : "");
	free(out);
}

/* dfx_put - write len bytes as work/name (NUL and CR included) */
void
dfx_put(const struct dfx *f, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *fp;
	int n;

	n = snprintf(path, sizeof path, "%s/work/%s", f->dir, name);
	ck_assert(n > 0 && (size_t)n < sizeof path);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* dfx_commit - commit the work tree and force it onto upstream main;
 * the commit id into id */
void
dfx_commit(const struct dfx *f, const char *msg, char id[static 65])
{
	char *out = NULL, *nl;
	int rc;

	rc = dfx_sh(f, &out, "cd work && git add -A && git commit -qm '%s' && "
	    "git push -qf ../up.git HEAD:refs/heads/main && git rev-parse HEAD",
	    msg);
	ck_assert_msg(rc == 0, "commit %s: %s", msg, out ? out : "");
	ck_assert_ptr_nonnull(out);
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	ck_assert_msg(strlen(out) == 40 || strlen(out) == 64, "id: %s", out);
	strcpy(id, out);
	free(out);
}

/* dfx_deploy_from - run the script with repository repo, table dir
 * tables and state dir state (names in the test dir); env is put before
 * the command (assignments, a wrapper), args after */
int
dfx_deploy_from(const struct dfx *f, char **out, const char *env,
    const char *repo, const char *tables, const char *state,
    const char *args)
{
	return dfx_sh(f, out, "%s sh '%s/" DFX_SCRIPT "' -r '%s/%s' "
	    "-d '%s/%s' -s '%s/%s' -c '%s/conf' %s", env, f->top,
	    f->dir, repo, f->dir, tables, f->dir, state, f->dir, args);
}

/* dfx_deploy - run the script on this host's directories */
int
dfx_deploy(const struct dfx *f, char **out, const char *env, const char *args)
{
	return dfx_deploy_from(f, out, env, "up.git", "tables", "state", args);
}

/* dfx_deploy_ok - a run that must succeed */
void
dfx_deploy_ok(const struct dfx *f, const char *args)
{
	char *out = NULL;
	int rc = dfx_deploy(f, &out, "", args);

	ck_assert_msg(rc == 0, "deploy %s: exit %d: %s", args, rc,
	    out ? out : "");
	free(out);
}

/* dfx_text - a file of the test dir without its last newline, or NULL */
char *
dfx_text(const struct dfx *f, const char *rel)
{
	char path[4096], *s;
	size_t len = 0;
	int n;

	n = snprintf(path, sizeof path, "%s/%s", f->dir, rel);
	ck_assert(n > 0 && (size_t)n < sizeof path);
	s = testlib_read(path, &len);
	if (s && len && s[len - 1] == '\n')
		s[len - 1] = '\0';
	return s;
}

/* dfx_exists - 0/1: the path exists in the test dir */
int
dfx_exists(const struct dfx *f, const char *rel)
{
	char path[4096];
	int n;

	n = snprintf(path, sizeof path, "%s/%s", f->dir, rel);
	ck_assert(n > 0 && (size_t)n < sizeof path);
	return access(path, F_OK) == 0;
}

/* dfx_reloads - how many times the reload command ran */
int
dfx_reloads(const struct dfx *f)
{
	char *s = dfx_text(f, "reloads"), *p;
	int n = 0;

	if (s == NULL)
		return 0;
	n = *s != '\0';
	for (p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* dfx_expect_deployed - STATE_DIR/deployed holds id (NULL: no such file) */
void
dfx_expect_deployed(const struct dfx *f, const char *id)
{
	char *s = dfx_text(f, "state/deployed");

	if (id == NULL)
		ck_assert_msg(s == NULL, "deployed: %s", s);
	else
		ck_assert_msg(s && strcmp(s, id) == 0, "deployed: %s, not %s",
		    s ? s : "(none)", id);
	free(s);
}

/* dfx_expect_query - postmap -q key on the deployed table answers want
 * (NULL: not found) */
void
dfx_expect_query(const struct dfx *f, const char *table, const char *key,
    const char *want)
{
	char *out = NULL, *nl;
	int rc;

	rc = dfx_sh(f, &out, "postmap -c conf -q '%s' 'hash:tables/%s'", key,
	    table);
	if (want == NULL) {
		ck_assert_msg(rc == 1, "%s %s: exit %d: %s", table, key, rc,
		    out ? out : "");
	} else {
		ck_assert_msg(rc == 0, "%s %s: exit %d: %s", table, key, rc,
		    out ? out : "");
		ck_assert_ptr_nonnull(out);
		if ((nl = strchr(out, '\n')) != NULL)
			*nl = '\0';
		ck_assert_msg(strcmp(out, want) == 0, "%s %s: %s, expected %s",
		    table, key, out, want);
	}
	free(out);
}

/* dfx_expect_no_temp - no temp file left in the table or state dir */
void
dfx_expect_no_temp(const struct dfx *f)
{
	char *out = NULL;

	dfx_sh(f, &out, "ls -A tables state 2>/dev/null");
	ck_assert_msg(out == NULL || strstr(out, DFX_TMP_MARK) == NULL,
	    "temp file left: %s", out);
	free(out);
}

/* dfx_expect_has - out contains every string of the NULL-terminated list */
void
dfx_expect_has(const char *out, const char *const *want)
{
	for (; *want; want++)
		ck_assert_msg(out && strstr(out, *want), "no \"%s\" in: %s",
		    *want, out ? out : "(nothing)");
}

/* dfx_deploy_c1_c2 - commits 1 and 2 upstream, each deployed */
void
dfx_deploy_c1_c2(const struct dfx *f, char c1[static 65], char c2[static 65])
{
	dfx_stage(f, "c1");
	dfx_commit(f, "c1", c1);
	dfx_deploy_ok(f, "");
	dfx_stage(f, "c1 c2");
	dfx_commit(f, "c2", c2);
	dfx_deploy_ok(f, "");
}

/* dfx_bin - the binary under test as an absolute path into out */
void
dfx_bin(const struct dfx *f, char *out, size_t len)
{
	const char *b = testlib_bin();
	int n;

	if (b[0] == '/')
		n = snprintf(out, len, "%s", b);
	else
		n = snprintf(out, len, "%s/%s", f->top, b);
	ck_assert(n > 0 && (size_t)n < len);
}

/* dfx_set_shards - table_shards = shards in src/splitsync.conf */
void
dfx_set_shards(const struct dfx *f, int shards)
{
	char cmd[512];
	int n;

	n = snprintf(cmd, sizeof cmd, "grep -v '^table_shards' "
	    "src/splitsync.conf > src/conf.tmp && "
	    "mv src/conf.tmp src/splitsync.conf && "
	    "echo 'table_shards = %d' >> src/splitsync.conf", shards);
	ck_assert(n > 0 && (size_t)n < sizeof cmd);
	dfx_ok(f, cmd);
}

/* dfx_source - src/: the configuration, mapping and directory of the
 * data set, DFX_NUSERS generated users more (uNNN@example.com, alias
 * user.NNN@example.com, all migrated), table_shards = shards */
void
dfx_source(const struct dfx *f, int shards)
{
	char cmd[2048];
	int n;

	n = snprintf(cmd, sizeof cmd, "mkdir src && cp '%s/" DFX_SRC "'/* src/ "
	    "&& i=0 && while [ $i -lt %d ]; do "
	    "printf '\\ndn: uid=u%%03d,ou=people,dc=example,dc=com\\n"
	    "objectClass: inetOrgPerson\\nuid: u%%03d\\ncn: U\\nsn: U\\n"
	    "mail: u%%03d@example.com\\n"
	    "mailAlternateAddress: user.%%03d@example.com\\n' "
	    "$i $i $i $i || exit 1; i=$((i + 1)); "
	    "done >> src/directory.ldif", f->top, DFX_NUSERS);
	ck_assert(n > 0 && (size_t)n < sizeof cmd);
	dfx_ok(f, cmd);
	dfx_set_shards(f, shards);
}

/* dfx_edit_source - run a command on src/directory.ldif (as $l) */
void
dfx_edit_source(const struct dfx *f, const char *cmd)
{
	char *out = NULL;
	int rc;

	rc = dfx_sh(f, &out, "l=src/directory.ldif && %s > src/l.tmp && "
	    "! cmp -s src/l.tmp $l && mv src/l.tmp $l", cmd);
	ck_assert_msg(rc == 0, "%s: exit %d (no change?): %s", cmd, rc,
	    out ? out : "");
	free(out);
}

/* dfx_splitsync - splitsync -q COMMAND -c src/splitsync.conf ARGS */
void
dfx_splitsync(const struct dfx *f, const char *command, const char *args)
{
	char bin[4096], *out = NULL;
	int rc;

	dfx_bin(f, bin, sizeof bin);
	rc = dfx_sh(f, &out, "'%s' -q %s -c src/splitsync.conf %s", bin,
	    command, args);
	ck_assert_msg(rc == 0, "splitsync %s %s: exit %d: %s", command, args,
	    rc, out ? out : "");
	free(out);
}

/* dfx_head - the commit id of main in repo */
void
dfx_head(const struct dfx *f, const char *repo, char id[static 65])
{
	char *out = NULL;
	int rc;

	rc = dfx_sh(f, &out, "git --git-dir='%s' rev-parse main", repo);
	ck_assert_msg(rc == 0 && out, "rev-parse %s: %s", repo,
	    out ? out : "");
	out[strcspn(out, "\n")] = '\0';
	ck_assert_msg(strlen(out) == 40 || strlen(out) == 64, "id: %s", out);
	strcpy(id, out);
	free(out);
}

