/*
 * check_git_pack - the objects of a commit: loose for a few, one pack
 * and its index for many, each checked by git (fsck --full,
 * verify-pack, and index-pack, whose index must be ours byte for byte);
 * a pack no commit came to use is removed, an interrupted or failed
 * write leaves nothing but what the cleaner takes, memory stays at the
 * object at hand.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR GITCMD_AUTHOR
#define EMAIL GITCMD_EMAIL
#define NPACKED 300             /* files enough for a pack */

/* many - n files t.d/X/Y/N of "WHAT N\n" (texts in *store, free()) */
static struct git_sink_file *
many(size_t n, const char *what, char **store)
{
	struct git_sink_file *f = calloc(n, sizeof *f);
	char *p = malloc(n * 64);
	size_t i, at = 0;
	int w;

	ck_assert(f && p);
	for (i = 0; i < n; i++) {
		f[i].path = p + at;
		w = snprintf(p + at, 64, "t.d/%zx/%zx/%zu", i % 16, i / 16 % 16,
		    i);
		at += (size_t)w + 1;
		f[i].data = p + at;
		w = snprintf(p + at, 32, "%s %zu\n", what, i);
		f[i].len = (size_t)w;
		at += (size_t)w + 1;
	}
	*store = p;
	return f;
}

/* pack_dir_is - assert what objects/pack holds, names sorted and joined
 * by spaces, pack names shortened to "pack" and "idx" */
static void
pack_dir_is(const char *repo, const char *want)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "cd '%s/objects/pack' && ls | sed "
	    "'s/^pack-[0-9a-f]*\\.//' | sort | tr '\\n' ' '", repo);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strcmp(out, want) == 0, "objects/pack: [%s], want [%s]",
	    out, want);
	free(out);
}

START_TEST(t_pack)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char (*path)[32] = calloc(NPACKED, sizeof *path);
	char (*text)[32] = calloc(NPACKED, sizeof *text);
	struct git_sink_file *f = calloc(NPACKED, sizeof *f);
	struct git_sink *s;
	char hex[41], side[41], *got, *objects;
	size_t i, len;
	long loose;
	struct diag d;

	ck_assert(path && text && f);
	diag_init(&d, NULL);
	for (i = 0; i < NPACKED; i++) {
		snprintf(path[i], sizeof path[i], "t.d/%zx/%zx/%zu", i % 16,
		    i / 16 % 16, i);
		snprintf(text[i], sizeof text[i], "file %zu\n", i);
		f[i] = gitcmd_file(path[i], text[i]);
	}
	/* a first commit of many new objects: one pack, nothing loose */
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, f, NPACKED, "full", hex), 1);
	ck_assert_int_eq(gitcmd_count(repo, "count"), 0);
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 1);
	/* blobs, 16 + 1 trees and up to 256 below them, the commit */
	ck_assert_int_gt(gitcmd_count(repo, "in-pack"), NPACKED + 17);
	gitcmd_git_is(repo, "show main:t.d/3/0/3", "file 3\n");
	gitcmd_fsck(repo);
	/* the sink reads it back at once */
	ck_assert_int_eq(git_sink_read(s, "t.d/5/1/21", &got, &len, &d), 0);
	ck_assert_str_eq(got, "file 21\n");
	free(got);

	/* the same files: nothing written at all */
	objects = gitcmd_git(repo, "count-objects -v");
	ck_assert_int_eq(gitcmd_commit(s, f, NPACKED, "same", hex), 0);
	gitcmd_git_is(repo, "count-objects -v", objects);
	free(objects);

	/* a few changes among many files are loose objects, as before */
	snprintf(text[7], sizeof text[7], "changed\n");
	f[7] = gitcmd_file(path[7], text[7]);
	ck_assert_int_eq(gitcmd_commit(s, f, NPACKED, "one", hex), 1);
	loose = gitcmd_count(repo, "count");
	ck_assert_int_ge(loose, 5);     /* blob, 3 trees, commit */
	ck_assert_int_lt(loose, 10);
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 1);
	gitcmd_git_is(repo, "show main:t.d/7/0/7", "changed\n");

	/* many changes in an update: a second pack */
	for (i = 0; i < NPACKED; i++) {
		snprintf(text[i], sizeof text[i], "update %zu\n", i);
		f[i] = i % 3 ? gitcmd_file(path[i], text[i]) :
		    gitcmd_gone(path[i]);
	}
	ck_assert_int_eq(gitcmd_update(s, f, NPACKED, "many", hex), 1);
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 2);
	ck_assert_int_eq(gitcmd_count(repo, "count"), loose);
	gitcmd_git_is(repo, "show main:t.d/1/0/1", "update 1\n");
	ck_assert_int_eq(git_sink_read(s, "t.d/0/0/0", &got, &len, &d),
	    ERR_NOTFOUND);

	/* and on another branch: a third */
	for (i = 0; i < NPACKED; i++) {
		snprintf(text[i], sizeof text[i], "side %zu\n", i);
		f[i] = gitcmd_file(path[i], text[i]);
	}
	gitcmd_commit_on(s, "side", hex, f, NPACKED, "side", 0, side);
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 3);
	ck_assert_int_eq(gitcmd_count(repo, "count"), loose);
	gitcmd_git_is(repo, "show side:t.d/2/0/2", "side 2\n");
	git_sink_close(s);
	gitcmd_fsck(repo);
	gitcmd_git_is(repo, "rev-list --count main", "3\n");

	/* a new sink reads the packs and commits on top */
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("t.d/0/0/0", "back\n");
	ck_assert_int_eq(gitcmd_update(s, f, 1, "back", hex), 1);
	gitcmd_git_is(repo, "show main:t.d/0/0/0", "back\n");
	gitcmd_git_is(repo, "show main:t.d/4/0/4", "update 4\n");
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(path);
	free(text);
	free(f);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_index_as_git_makes_it)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file *f;
	struct git_sink *s;
	char hex[41], *store, *out = NULL, *want;
	int rc;

	f = many(2000, "indexed", &store);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, f, 2000, "full", hex), 1);
	git_sink_close(s);
	pack_dir_is(repo, "idx pack ");
	/* git's own indexer makes the same index from the pack */
	rc = testlib_sh(&out, "cd '%s/objects/pack' && p=$(ls pack-*.pack) && "
	    "git index-pack -o '%s/git.idx' \"$p\" > /dev/null && "
	    "cmp \"${p%%.pack}.idx\" '%s/git.idx' && echo same", repo, dir,
	    dir);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_str_eq(out, "same\n");
	free(out);
	/* and verify-pack checks every object of it: the blobs, t.d and
	 * its 16 + 256 directories, the root, the commit */
	ck_assert_int_ge(asprintf(&want, "%d\n", 2000 + 1 + 16 + 256 + 1 + 1),
	    0);
	gitcmd_is(repo, want, "verify-pack -v '%s'/objects/pack/pack-*.idx | "
	    "grep -c -E '^[0-9a-f]{40} (blob|tree|commit) '", repo);
	free(want);
	free(gitcmd_out(repo, "verify-pack '%s'/objects/pack/pack-*.idx",
	    repo));
	free(gitcmd_out(repo, "fsck --full --strict --no-progress"));
	free(store);
	free(f);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* gen_blob - the content of file i: "blob I\n", one piece */
static int
gen_blob(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	const size_t *i = ctx;
	char text[32];
	int n = snprintf(text, sizeof text, "blob %zu\n", *i);

	return emit(ectx, text, (size_t)n);
}

#define NBIG 50000

START_TEST(t_pack_of_50000)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char path[64], text[32], hex[41], *want;
	struct git_sink_tree *t;
	struct git_sink *s;
	struct diag d;
	size_t i;
	int same, committed;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(git_sink_tree_new(s, 0, &t, &d), 0);
	/* in no particular order: the tree writer sorts */
	for (i = 0; i < NBIG; i++) {
		size_t k = (i * 7919) % NBIG;

		snprintf(path, sizeof path, "b.d/%zx/%zx/%zx/%zu", k >> 12 & 15,
		    k >> 8 & 15, k >> 4 & 15, k);
		ck_assert_int_eq(git_sink_tree_put_gen(t, path,
		    (size_t)snprintf(text, sizeof text, "blob %zu\n", k),
		    gen_blob, &k, &d), 1);
	}
	ck_assert_int_eq(git_sink_tree_finish(t, &same, &d), 0);
	ck_assert_int_eq(same, 0);
	ck_assert_int_eq(git_sink_tree_commit(t, "fifty thousand", AUTHOR,
	    EMAIL, &committed, hex, &d), 0);
	ck_assert_int_eq(committed, 1);
	git_sink_tree_free(t);
	git_sink_close(s);
	ck_assert_uint_eq(d.nerrors, 0);
	pack_dir_is(repo, "idx pack ");
	ck_assert_int_eq(gitcmd_count(repo, "count"), 0);
	/* every blob, one commit */
	ck_assert_int_ge(asprintf(&want, "%d\n", NBIG), 0);
	gitcmd_is(repo, want, "verify-pack -v '%s'/objects/pack/pack-*.idx | "
	    "grep -c -E '^[0-9a-f]{40} blob '", repo);
	free(want);
	gitcmd_is(repo, "1\n", "verify-pack -v '%s'/objects/pack/pack-*.idx | "
	    "grep -c -E '^[0-9a-f]{40} commit '", repo);
	free(gitcmd_out(repo, "fsck --full --strict --no-progress"));
	gitcmd_git_is(repo, "show main:b.d/c/3/3/49973", "blob 49973\n");
	gitcmd_git_is(repo, "ls-tree -r main | wc -l", "50000\n");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* lock_ref - a lock file on the deploy branch, as a git process that
 * is writing it holds; its path (free()) */
static char *
lock_ref(const char *repo)
{
	char *lock = gitcmd_join(repo, "refs/heads/main.lock");

	ck_assert_int_eq(testlib_write(lock, "busy\n"), 0);
	return lock;
}

START_TEST(t_refused_leaves_no_pack)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file *f, *g, one;
	struct git_sink *s;
	struct diag d;
	char hex[41], base[41], *store, *store2, *lock;
	int committed;

	diag_init(&d, NULL);
	f = many(NPACKED, "first", &store);
	g = many(NPACKED, "second", &store2);
	s = gitcmd_open(repo, 1, "main");
	one = gitcmd_file("transport", "t\n");
	ck_assert_int_eq(gitcmd_commit(s, &one, 1, "base", base), 1);
	ck_assert_int_eq(gitcmd_count(repo, "count"), 3);

	/* the branch cannot move: the pack written for it goes */
	lock = lock_ref(repo);
	ck_assert_int_eq(git_sink_commit(s, f, NPACKED, "refused", AUTHOR,
	    EMAIL, &committed, hex, &d), ERR_BUSY);
	ck_assert_int_eq(committed, 0);
	pack_dir_is(repo, "");
	ck_assert_int_eq(gitcmd_count(repo, "count"), 3);
	ck_assert_int_eq(unlink(lock), 0);

	/* a side branch that exists already: nothing is written */
	gitcmd_commit_on(s, "hold", base, &one, 1, "held", 0, hex);
	ck_assert_int_eq(gitcmd_count(repo, "count"), 4);
	ck_assert_int_eq(git_sink_commit_on(s, "hold", base, g, NPACKED,
	    "again", AUTHOR, EMAIL, 0, hex, &d), ERR_MOVED);
	pack_dir_is(repo, "");
	ck_assert_int_eq(gitcmd_count(repo, "count"), 4);

	/* once the lock is gone the same commit goes through */
	ck_assert_int_eq(gitcmd_commit(s, f, NPACKED, "accepted", hex), 1);
	pack_dir_is(repo, "idx pack ");
	git_sink_close(s);
	gitcmd_fsck(repo);
	ck_assert_uint_eq(d.nerrors, 2);
	diag_free(&d);
	free(lock);
	free(store);
	free(store2);
	free(f);
	free(g);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* a generator that stops its process half way through a pack */
struct stopper {
	size_t i;
	int fd;                 /* -1: kill; else write a byte, then wait */
};

/* gen_stop - file 150 is never produced: the process is killed, or
 * waits for ever (its parent kills it) */
static int
gen_stop(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	struct stopper *st = ctx;
	char text[32];
	int n;

	if (st->i == 150) {
		if (st->fd < 0)
			raise(SIGKILL);
		if (write(st->fd, "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	n = snprintf(text, sizeof text, "stopped %zu\n", st->i);
	return emit(ectx, text, (size_t)n);
}

/* stopped_writer - a child that writes a pack into repo and stops at
 * its 150th file (fd: as struct stopper says); its pid */
static pid_t
stopped_writer(const char *repo, int fd)
{
	struct git_sink_tree *t = NULL;
	struct git_sink *s = NULL;
	struct stopper st = { 0, fd };
	char path[64];
	struct diag d;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0)
		return pid;
	diag_init(&d, NULL);
	if (git_sink_open(repo, 1, "main", &s, &d) < 0 ||
	    git_sink_tree_new(s, 1, &t, &d) < 0)
		_exit(1);
	for (st.i = 0; st.i < 300; st.i++) {
		snprintf(path, sizeof path, "s/%zu", st.i);
		if (git_sink_tree_put_gen(t, path, 10 + (st.i >= 10) +
		    (st.i >= 100), gen_stop, &st, &d) < 0)
			_exit(1);
	}
	_exit(1);
}

/* count_in - how many files of dir match glob */
static int
count_in(const char *dir, const char *glob)
{
	char *out = NULL;
	int n;

	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && ls -d %s 2> /dev/null | "
	    "wc -l", dir, glob), 0);
	n = atoi(out);
	free(out);
	return n;
}

/* backdate_all - set the times of dir's files matching glob ten
 * minutes into the past */
static void
backdate_all(const char *dir, const char *glob)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && touch -d '-10 minutes' "
	    "%s", dir, glob), 0);
	free(out);
}

START_TEST(t_interrupted_pack)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *packdir = gitcmd_join(repo, "objects/pack");
	char *lockpath = gitcmd_join(repo, "splitsync-pack.lock");
	struct git_sink_file one = gitcmd_file("transport", "t\n");
	struct git_sink *s;
	char hex[41], c;
	pid_t pid;
	int status, fds[2], lock;

	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &one, 1, "base", hex), 1);
	git_sink_close(s);

	/* while a pack is written, its writer holds the lock shared */
	ck_assert_int_eq(pipe(fds), 0);
	pid = stopped_writer(repo, fds[1]);
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	lock = open(lockpath, O_RDWR);
	ck_assert_int_ge(lock, 0);
	ck_assert_int_ne(flock(lock, LOCK_EX | LOCK_NB), 0);
	ck_assert_int_eq(flock(lock, LOCK_SH | LOCK_NB), 0);
	close(lock);
	ck_assert_int_eq(count_in(packdir, "tmp_pack_*"), 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);

	/* killed: its temporary stays until it is a minute old, then the
	 * next writer takes it away; the branch never moved */
	pid = stopped_writer(repo, -1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	s = gitcmd_open(repo, 1, "main");
	git_sink_close(s);
	ck_assert_int_eq(count_in(packdir, "tmp_pack_*"), 2);
	gitcmd_id_is(repo, "rev-parse main", hex);
	backdate_all(packdir, "tmp_pack_*");
	s = gitcmd_open(repo, 1, "main");
	pack_dir_is(repo, "");
	ck_assert_int_eq(gitcmd_commit(s, &one, 1, "same", hex), 0);
	git_sink_close(s);
	gitcmd_fsck(repo);
	free(lockpath);
	free(packdir);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* a file of random text, made on the fly */
struct big {
	size_t i;               /* which: the seed */
	size_t len;
};

/* gen_big - len bytes of file i: hex of a xorshift stream (not much
 * for deflate to take away), in pieces of at most 64 KiB */
static int
gen_big(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	static const char hexd[] = "0123456789abcdef";
	const struct big *b = ctx;
	uint64_t x = 0x9e3779b97f4a7c15ull ^ (b->i + 1);
	char piece[65536];
	size_t i, k, n;
	int rc;

	for (k = 0; k < b->len; k += n) {
		n = b->len - k < sizeof piece ? b->len - k : sizeof piece;
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			piece[i] = hexd[x & 15];
		}
		if ((rc = emit(ectx, piece, n)) < 0)
			return rc;
	}
	return 0;
}

/* copy_out - an emit that copies into the buffer at *ectx, moving on */
static int
copy_out(void *ectx, const void *data, size_t n)
{
	char **at = ectx;

	memcpy(*at, data, n);
	*at += n;
	return 0;
}

/* max_rss - the process's peak resident size in KiB */
static long
max_rss(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

#define NSTREAM 3200             /* files of 32 KiB: 100 MiB of text */

START_TEST(t_streamed)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_tree *t;
	struct git_sink *s;
	struct big b = { 0, 32 << 10 };
	struct diag d;
	char path[32], hex[41], *out = NULL;
	long before, grown;
	int same, committed;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(git_sink_tree_new(s, 0, &t, &d), 0);
	before = max_rss();
	for (b.i = 0; b.i < NSTREAM; b.i++) {
		snprintf(path, sizeof path, "big/%zx/%zu", b.i % 64, b.i);
		ck_assert_int_eq(git_sink_tree_put_gen(t, path, b.len, gen_big,
		    &b, &d), 1);
	}
	ck_assert_int_eq(git_sink_tree_finish(t, &same, &d), 0);
	ck_assert_int_eq(git_sink_tree_commit(t, "big", AUTHOR, EMAIL,
	    &committed, hex, &d), 0);
	grown = max_rss() - before;
	git_sink_tree_free(t);
	git_sink_close(s);
	/* the pack is far larger than what the writer kept in memory */
	ck_assert_int_eq(gitcmd_count(repo, "count"), 0);
	ck_assert_int_eq(testlib_sh(&out, "du -k '%s'/objects/pack/*.pack | "
	    "cut -f1", repo), 0);
	ck_assert_msg(strtol(out, NULL, 10) > 40 * 1024, "pack of %s KiB",
	    out);
	free(out);
	ck_assert_msg(grown < 24 * 1024, "memory grew by %ld KiB", grown);
	free(gitcmd_out(repo, "verify-pack '%s'/objects/pack/pack-*.idx",
	    repo));
	gitcmd_git_is(repo, "cat-file -s main:big/3f/3199", "32768\n");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_commit_memory)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file *f = calloc(NSTREAM, sizeof *f);
	char (*path)[32] = calloc(NSTREAM, sizeof *path), *text, *w, hex[41];
	struct git_sink *s;
	struct big b = { 0, 32 << 10 };
	size_t at;
	long before, grown;

	ck_assert(f && path);
	/* 100 MiB of files in the caller's memory, made before measuring */
	text = malloc(NSTREAM * b.len);
	ck_assert_ptr_nonnull(text);
	for (b.i = 0; b.i < NSTREAM; b.i++) {
		at = b.i * b.len;
		w = text + at;
		ck_assert_int_eq(gen_big(&b, copy_out, &w), 0);
		snprintf(path[b.i], sizeof path[b.i], "big/%zx/%zu", b.i % 64,
		    b.i);
		f[b.i].path = path[b.i];
		f[b.i].data = text + at;
		f[b.i].len = b.len;
	}
	s = gitcmd_open(repo, 1, "main");
	before = max_rss();
	ck_assert_int_eq(gitcmd_commit(s, f, NSTREAM, "big", hex), 1);
	grown = max_rss() - before;
	git_sink_close(s);
	/* the commit holds neither a copy of the files nor its pack */
	ck_assert_msg(grown < 24 * 1024, "memory grew by %ld KiB", grown);
	ck_assert_int_eq(gitcmd_count(repo, "count"), 0);
	gitcmd_git_is(repo, "cat-file -s main:big/3f/3199", "32768\n");
	free(text);
	free(path);
	free(f);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* a small file system to fill, mounted around the test case by the
 * parent process, so that it is unmounted even when a test fails */
static char *small;
static char *small_why;         /* why it could not be mounted */

/* small_fs_setup - a tmpfs of 1 MiB at small (root only) */
static void
small_fs_setup(void)
{
	small = testlib_tmpdir();
	if (small == NULL || testlib_sh(&small_why, "mount -t tmpfs -o "
	    "size=1m splitsync-test '%s'", small) != 0)
		return;
	free(small_why);
	small_why = NULL;
}

/* small_fs_teardown - unmount and remove it */
static void
small_fs_teardown(void)
{
	char *out = NULL;

	if (small_why == NULL)
		testlib_sh(&out, "umount '%s'", small);
	free(out);
	free(small_why);
	small_why = NULL;
	if (small)
		testlib_rmrf(small);
	free(small);
	small = NULL;
}

/* big_tree - a tree on s's head of n random files big/I of len bytes;
 * the first failure of put, finish or commit (0: committed) */
static int
big_tree(struct git_sink *s, size_t n, size_t len, struct diag *d)
{
	struct git_sink_tree *t;
	struct big b = { 0, len };
	char path[32], hex[41];
	int rc, same, committed;

	ck_assert_int_eq(git_sink_tree_new(s, 1, &t, d), 0);
	for (rc = 0; rc >= 0 && b.i < n; b.i++) {
		snprintf(path, sizeof path, "big/%zu", b.i);
		rc = git_sink_tree_put_gen(t, path, len, gen_big, &b, d);
	}
	if (rc >= 0)
		rc = git_sink_tree_finish(t, &same, d);
	if (rc >= 0)
		rc = git_sink_tree_commit(t, "big", AUTHOR, EMAIL, &committed,
		    hex, d);
	if (rc == ERR_IO) {
		ck_assert_msg(strstr(diag_last_error(d), "No space left") !=
		    NULL, "%s", diag_last_error(d));
		/* a spoilt tree refuses what comes next */
		ck_assert_int_eq(git_sink_tree_put(t, "x", "x\n", 2, d),
		    ERR_IO);
	}
	git_sink_tree_free(t);
	return rc;
}

/* left_behind - assert that a failed write left no temporary file and
 * no pack, and the branch at base */
static void
left_behind(const char *repo, struct git_sink *s, const char *base)
{
	char *out = NULL, hex[41];

	ck_assert_int_eq(testlib_sh(&out, "cd '%s/objects' && find . -name "
	    "'tmp_*' | wc -l", repo), 0);
	ck_assert_str_eq(out, "0\n");
	free(out);
	pack_dir_is(repo, "");
	gitcmd_id_is(repo, "rev-parse main", base);
	ck_assert_int_eq(git_sink_head(s, hex), 0);
	ck_assert_str_eq(hex, base);
}

START_TEST(t_full_disk)
{
	char *repo;
	struct git_sink_file one = gitcmd_file("transport", "t\n");
	struct git_sink *s;
	struct diag d;
	char hex[41], base[41];

	ck_assert_msg(small && small_why == NULL, "a full disk is a small "
	    "tmpfs, which needs root to mount: %s", small_why ? small_why :
	    "no directory");
	repo = gitcmd_join(small, "r.git");
	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &one, 1, "base", base), 1);
	/* a pack of 3 MiB of random text does not fit in 1 MiB */
	ck_assert_int_eq(big_tree(s, 200, 16 << 10, &d), ERR_IO);
	left_behind(repo, s, base);
	/* nor do three loose objects of 1 MiB */
	ck_assert_int_eq(big_tree(s, 3, 1 << 20, &d), ERR_IO);
	left_behind(repo, s, base);
	/* a small change still fits */
	one = gitcmd_file("transport", "u\n");
	ck_assert_int_eq(gitcmd_commit(s, &one, 1, "small", hex), 1);
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(repo);
}
END_TEST

/* git_pack_suite - every test above */
static Suite *
git_pack_suite(void)
{
	Suite *s = suite_create("git_pack");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_pack);
	tcase_add_test(tc, t_index_as_git_makes_it);
	tcase_add_test(tc, t_refused_leaves_no_pack);
	tcase_add_test(tc, t_interrupted_pack);
	suite_add_tcase(s, tc);
	/* many objects, large ones: slow under the sanitizers */
	tc = tcase_create("large");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_pack_of_50000);
	tcase_add_test(tc, t_streamed);
	tcase_add_test(tc, t_commit_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("full disk");
	tcase_add_unchecked_fixture(tc, small_fs_setup, small_fs_teardown);
	tcase_add_test(tc, t_full_disk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_pack_suite()); }
