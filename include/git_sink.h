/*
 * git_sink - commit generated files to a git repository (libgit2)
 *
 * The sink owns an open repository and one branch. A commit replaces the
 * whole tree with the given files; it is made only when the tree
 * differs from the branch head. Objects are written first and the ref
 * moves last, by compare-and-swap against the head that was read, so a
 * crash at any point leaves the repository valid and the branch either
 * at the old or at the new commit (fsync of the git directory is on).
 *
 * The sink remembers the branch head it read (at git_sink_open, at
 * git_sink_refresh, or the commit it made last); git_sink_read,
 * git_sink_diff and git_sink_commit work against that head. When another
 * process moves the branch, git_sink_commit fails with ERR_MOVED and
 * git_sink_refresh picks up the new head.
 *
 * In a repository with a work tree whose HEAD is the deploy branch, the
 * index and the work tree follow every move of the branch (a file
 * changed there by hand is left as it is, with a warning in d; the move
 * itself never fails for it).
 *
 * Other branches (a proposal for review, a change held by the deletion
 * guard) are one commit on a given parent, made by git_sink_commit_on
 * and removed by git_sink_branch_delete. The deploy branch is never
 * moved by force: git_sink_commit, git_sink_fast_forward and
 * git_sink_reset_to all compare-and-swap against the head read.
 *
 * A commit's tree can also be written path by path (git_sink_tree_*),
 * for callers that produce files one at a time: each file is hashed
 * first and compressed only when the head does not hold it at its
 * path, so an unchanged file costs a hash and nothing is read back.
 * git_sink_commit and git_sink_update are made that way.
 *
 * Remotes are named by URL only, used as given (nothing is written to
 * the repository's configuration, url.*.insteadOf is not applied;
 * no credential is offered yet, so a remote asking for one is
 * ERR_AUTH). A push sends the objects, then the remote updates
 * each ref atomically; branches pushed together are not atomic as a
 * set. A remote that moved on (another agent pushed first) refuses a
 * push that is not forced with ERR_MOVED; the caller then fetches
 * (git_sink_fetch), moves the deploy branch to the fetched head
 * (git_sink_reset_to), recomputes its files on top, commits (when the
 * tree is identical nothing is committed) and pushes again. A local
 * remote (file:// URL or a directory) must be a bare repository; it is
 * locked with flock(2) on its directory while a push reads and updates
 * its refs, because libgit2 writes a local remote's refs without
 * comparing them (pushers that are not splitsync do not take the lock).
 *
 * Paths are relative, '/'-separated, without empty, "." , ".." or ".git"
 * components and without control characters; anything else is ERR_INVAL.
 * Branch names are short names (as for git_sink_open); commit ids are
 * 40 hex digits, and an id that names no commit here is ERR_INVAL.
 * Every error leaves a message in d reading
 * "git_sink: PATH: what failed: why" (PATH is the URL for a remote).
 */
#ifndef SPLITSYNC_GIT_SINK_H
#define SPLITSYNC_GIT_SINK_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"

struct git_sink_file {
	const char *path;       /* "transport", ".splitsync/routes" */
	const char *data;       /* borrowed; may be NULL when len is 0 */
	size_t len;
	int remove;             /* git_sink_update only: delete path (the
	                           other calls ignore it) */
};

struct git_sink;

/* What git_sink_open_ext does when there is no repository at path yet:
 * path absent, an empty directory, or the skeleton an interrupted
 * creation leaves (a git directory without HEAD, objects or refs; it is
 * made anew, a notice says so). A directory holding anything else is
 * left as it is (ERR_IO naming what it holds). A new repository is made
 * under a temporary name beside path (".NAME.splitsync-new-XXXXXX") and
 * renamed into place, so a crash never leaves half a repository at
 * path; temporary directories of processes that died are removed by the
 * next writer. */
enum git_sink_mode {
	GIT_SINK_CREATE,        /* create it now (git_sink_open) */
	GIT_SINK_STAGE,         /* create it under the temporary name and
	                           work there: git_sink_keep puts it in
	                           place, git_sink_close removes it when it
	                           was not kept (a run that failed, or had
	                           nothing to commit, leaves nothing) */
	GIT_SINK_SCRATCH,       /* a throwaway repository under $TMPDIR
	                           instead (a dry run), removed by
	                           git_sink_close */
	GIT_SINK_READ           /* no creation: ERR_NOTFOUND, nothing
	                           recorded. A repository of another user
	                           is opened too: the caller only reads */
};

/* git_sink_open_ext - open the repository at path (bare when created
 * with bare set; HEAD pointing at branch), creating it as mode says; an
 * existing repository is opened as it is. branch is a short name
 * ("main"); the branch need not exist yet.
 *
 * Every mode but GIT_SINK_READ may write: a repository whose git
 * directory or work tree belongs to another user than the one running
 * is refused (ERR_IO; the message names the owner and the fix: run as
 * that user, or chown), since files written here would belong to the
 * wrong user. An open with GIT_SINK_CREATE or GIT_SINK_STAGE also
 * removes what interrupted writes left in the object store
 * (objects/pack/pack_git2_*, tmp_pack_*, tmp_idx_*,
 * objects/tmp_object_git2_*, objects/tmp_obj_*) untouched for a minute,
 * unless a splitsync process holds the lock file splitsync-pack.lock of
 * the git directory, which every pack write holds shared (a notice
 * counts what went), and the temporary directories of creations whose
 * process died.
 *
 * ERR_INVAL for an invalid branch name, ERR_NOTFOUND (GIT_SINK_READ),
 * ERR_IO with the reason in d, ERR_NOMEM. */
int git_sink_open_ext(const char *path, int bare, const char *branch,
    enum git_sink_mode mode, struct git_sink **out, struct diag *d);
/* git_sink_open - git_sink_open_ext with GIT_SINK_CREATE */
int git_sink_open(const char *path, int bare, const char *branch,
    struct git_sink **out, struct diag *d);
/* git_sink_keep - a sink opened with GIT_SINK_STAGE that made a new
 * repository: when it now holds a branch, move it into place (durably)
 * and go on working there; when it holds none, nothing is done and
 * git_sink_close removes it. Nothing to do for a repository that
 * existed. ERR_MOVED when another process made the repository at path
 * meanwhile (this one is dropped: run again), ERR_IO, ERR_INVAL for a
 * GIT_SINK_SCRATCH sink. */
int git_sink_keep(struct git_sink *s, struct diag *d);
/* git_sink_close - release the sink (and remove a repository made under
 * a temporary name and not kept); s may be NULL */
void git_sink_close(struct git_sink *s);
/* git_sink_refresh - re-read the branch head (another process may have
 * moved it); ERR_IO */
int git_sink_refresh(struct git_sink *s, struct diag *d);
/* git_sink_head - the head commit id (hex) into oid_hex; ERR_NOTFOUND
 * when the branch does not exist yet */
int git_sink_head(struct git_sink *s, char oid_hex[41]);
/* git_sink_head_message - the message of the head commit into *out
 * (free()). ERR_NOTFOUND on an unborn branch, ERR_IO, ERR_NOMEM. */
int git_sink_head_message(struct git_sink *s, char **out, struct diag *d);
/* git_sink_read - the content of path at the branch head into *out
 * (free(); NUL-terminated, len excludes it). ERR_NOTFOUND (nothing
 * recorded in d) when the branch or the file does not exist; ERR_INVAL,
 * ERR_IO, ERR_NOMEM. */
int git_sink_read(struct git_sink *s, const char *path, char **out,
    size_t *len, struct diag *d);
/* git_sink_commit - make the branch's tree exactly files (paths may have
 * directories; a file not given is removed). When the tree equals the
 * head's, nothing is written and *committed is 0. Otherwise a commit
 * with message (a final newline is added when missing) by author, as
 * author and committer at the current time, is created on top of the
 * head, *committed is 1 and the commit id (hex) is stored in oid_hex;
 * that commit becomes the head; when nothing is committed oid_hex holds
 * the head unchanged. ERR_INVAL (bad or duplicate path, a
 * path that is both a file and a directory, empty message, bad name or
 * email), ERR_MOVED when the branch moved since it was read (the branch
 * is left as it is), ERR_BUSY when another process holds the branch's
 * lock file (try again), ERR_IO, ERR_NOMEM. */
int git_sink_commit(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d);
/* git_sink_update - a commit on the head that changes only the paths
 * given: a file adds or replaces its path (a file whose remove is set
 * deletes it; directories left empty go too; removing a path that does
 * not exist is not an error). The rest of the head's tree is reused
 * without being read, so the cost follows the number of paths given,
 * not the size of the tree. Otherwise as git_sink_commit: nothing is
 * committed when the tree does not change, the branch moves by
 * compare-and-swap, the same errors; also ERR_NOTFOUND (recorded in d)
 * on an unborn branch, where git_sink_commit makes the first tree. */
int git_sink_update(struct git_sink *s, const struct git_sink_file *changes,
    size_t nchanges, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d);
/* git_sink_diff - append to out the unified diff ("a/PATH", "b/PATH",
 * sorted by path) from the branch head to files, for every path added,
 * changed or removed; nothing when they are equal. Paths under the
 * directory skip (NULL: none) are left out on both sides. ERR_INVAL (as
 * for git_sink_commit), ERR_IO, ERR_NOMEM. */
int git_sink_diff(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *skip, struct buf *out, struct diag *d);

/* The tree writer. A tree is started empty (every path of the commit
 * is then given) or from the head's tree (only the paths that change
 * are given: put adds or replaces a file, remove deletes one), takes
 * paths in any order, and is finished once: its directories are
 * computed bottom up and only new ones written. A finished tree is
 * committed on the deploy branch, on a side branch, or both (the hold
 * branch gets the tree the deploy branch was refused). Objects a tree
 * made that no commit came to use are dropped by git_sink_tree_free.
 *
 * A tree is tied to its sink and to the head the sink had when it was
 * started: the sink must outlive it, and git_sink_keep must not be
 * called while one is open. Paths are checked as for git_sink_commit
 * (and a path may be given once: put or remove). Errors are recorded
 * in d as the other calls' are; a tree whose put or remove failed
 * stays usable for other paths, a tree whose object write failed
 * (ERR_IO) fails every later call. */
struct git_sink_tree;

/* git_sink_emit_fn - take the next n bytes of a file (data borrowed for
 * the call); 0, or a negative error gen must return */
typedef int (*git_sink_emit_fn)(void *ectx, const void *data, size_t n);
/* git_sink_gen_fn - produce a file: call emit(ectx, bytes, n) for each
 * piece, in order, then return 0, or a negative error (which the sink
 * returns). It must produce the same bytes each time it is called. */
typedef int (*git_sink_gen_fn)(void *ctx, git_sink_emit_fn emit,
    void *ectx);

/* git_sink_tree_new - start a tree on the head the sink read: empty
 * (from_head 0: every path of the commit is then given), or from the
 * head's tree (from_head 1: only changed paths are given; on an unborn
 * branch it starts empty). *out is the caller's (git_sink_tree_free).
 * ERR_IO (the head cannot be read), ERR_NOMEM. */
int git_sink_tree_new(struct git_sink *s, int from_head,
    struct git_sink_tree **out, struct diag *d);
/* git_sink_tree_new_dry - an empty tree as git_sink_tree_new makes
 * one, that only computes ids: nothing is compressed or written, so
 * what differs from the head is known without a trace (a dry run); it
 * cannot be committed (ERR_INVAL). Errors as git_sink_tree_new. */
int git_sink_tree_new_dry(struct git_sink *s, struct git_sink_tree **out,
    struct diag *d);
/* git_sink_tree_put_gen - the file at path: len bytes (known
 * beforehand: git's object header holds it) produced by gen. The sink
 * calls gen once to compute the blob's id and, only when the head does
 * not hold that blob at that path (nor this tree already another path
 * of the same content), once more to compress it into the commit's
 * objects. Returns 1 when the path's content differs from the head's
 * (new, changed, or not a regular file there), 0 when the head holds
 * the same blob there, or a negative error: ERR_INVAL (a bad path, one
 * given before, a path under one given as a file or the other way
 * round, gen producing other than len bytes or other bytes the second
 * time; for a tree from the head also a path where the head has a
 * directory or a submodule link, or under a file of the head), ERR_IO,
 * ERR_NOMEM, or gen's error. Nothing is kept of a path that failed. */
int git_sink_tree_put_gen(struct git_sink_tree *t, const char *path,
    size_t len, git_sink_gen_fn gen, void *ctx, struct diag *d);
/* git_sink_tree_put - the same from memory (data borrowed for the
 * call; NULL when len is 0) */
int git_sink_tree_put(struct git_sink_tree *t, const char *path,
    const void *data, size_t len, struct diag *d);
/* git_sink_tree_remove - a tree from the head: delete the file or
 * submodule link at path (directories left empty go too); a path the
 * head does not have is no error. In an empty tree it only marks path
 * as given. ERR_INVAL (bad path, given before, a directory of the
 * head), ERR_NOMEM. */
int git_sink_tree_remove(struct git_sink_tree *t, const char *path,
    struct diag *d);
/* git_sink_tree_finish - compute and write the directories; *same is 1
 * when the whole tree equals the head's (never on an unborn branch),
 * else 0. No put or remove afterwards; finishing twice is ERR_INVAL.
 * ERR_IO, ERR_NOMEM. */
int git_sink_tree_finish(struct git_sink_tree *t, int *same,
    struct diag *d);
/* git_sink_tree_entry_same - after finish: 1 when the top-level name
 * ("transport.d", "virtual_alias") has the same id and mode in this
 * tree as in the head's (absent from both counts as the same), else 0
 * (also before finish) */
int git_sink_tree_entry_same(const struct git_sink_tree *t,
    const char *name);
/* git_sink_tree_entry_same_in - after finish: 1 when the top-level
 * name has the same id and mode in this tree as in commit commit_hex's
 * (absent from both counts as the same), else 0 (also before finish);
 * ERR_INVAL (a bad commit id), ERR_IO */
int git_sink_tree_entry_same_in(const struct git_sink_tree *t,
    const char *commit_hex, const char *name, struct diag *d);
/* git_sink_tree_commit - commit the finished tree on the deploy branch
 * as git_sink_commit does: nothing when it equals the head's tree
 * (*committed 0, oid_hex the head), else a commit on the head the tree
 * started from, the branch moved by compare-and-swap (*committed 1,
 * oid_hex the commit, which becomes the head). ERR_MOVED also when the
 * sink's head is no longer the one the tree started from (after a
 * git_sink_refresh or another commit); ERR_INVAL (not finished, bad
 * message or author), ERR_BUSY, ERR_IO, ERR_NOMEM. */
int git_sink_tree_commit(struct git_sink_tree *t, const char *message,
    const char *author_name, const char *author_email, int *committed,
    char oid_hex[41], struct diag *d);
/* git_sink_tree_commit_on - commit the finished tree on parent_hex
 * (NULL: a root commit) and point refs/heads/<branch> at it, as
 * git_sink_commit_on does (a commit even when the tree equals the
 * parent's; force set moves the branch wherever it was, force 0 only
 * creates it). The commit id into oid_hex. Errors as for
 * git_sink_commit_on, and ERR_INVAL for a tree not finished. */
int git_sink_tree_commit_on(struct git_sink_tree *t, const char *branch,
    const char *parent_hex, const char *message, const char *author_name,
    const char *author_email, int force, char oid_hex[41],
    struct diag *d);
/* git_sink_tree_free - release the tree; the objects it made that no
 * commit used are dropped: those not written yet, and a pack no ref
 * names (a file of more than a few MiB, written loose at once, stays
 * unreferenced, for git gc). NULL is allowed. */
void git_sink_tree_free(struct git_sink_tree *t);

/* git_sink_trailer_fn - one trailer: key and value, borrowed for the
 * call; a negative return stops the walk and is returned */
typedef int (*git_sink_trailer_fn)(const char *key, const char *value,
    void *ctx);
/* git_sink_trailers - fn for each trailer of message, in order: the
 * "Key: value" lines of its last paragraph, as git interpret-trailers
 * reads them (libgit2's git_message_trailers). Nothing for a message
 * without trailers. ERR_NOMEM, ERR_IO, or fn's negative return. */
int git_sink_trailers(const char *message, git_sink_trailer_fn fn,
    void *ctx, struct diag *d);

/* git_sink_commit_on - write the tree of files exactly as
 * git_sink_commit does, make a commit on parent_hex (NULL: a root
 * commit) even when its tree equals the parent's, and point
 * refs/heads/<branch> at it: force set moves the branch wherever it
 * was, force 0 only creates it (ERR_MOVED when it exists; nothing is
 * written then). The commit id is stored in oid_hex. The
 * sink's head is not touched. ERR_INVAL as for git_sink_commit, also
 * for an invalid branch name, the deploy branch, or a parent that
 * names no commit; ERR_MOVED, ERR_BUSY (the branch's lock file is
 * held by another process), ERR_IO, ERR_NOMEM. */
int git_sink_commit_on(struct git_sink *s, const char *branch,
    const char *parent_hex, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int force, char oid_hex[41],
    struct diag *d);
/* git_sink_commit_child - a commit on parent_hex with the very tree of
 * parent_hex and message, by author (as author and committer, now); no
 * branch moves (git_sink_fast_forward then takes the deploy branch to
 * it). Its id into oid_hex. ERR_INVAL (bad parent, message or author),
 * ERR_IO, ERR_NOMEM. */
int git_sink_commit_child(struct git_sink *s, const char *parent_hex,
    const char *message, const char *author_name, const char *author_email,
    char oid_hex[41], struct diag *d);
/* git_sink_branch_head - the commit id (hex) refs/heads/<branch> points
 * at now (read from the repository, not remembered; the deploy branch
 * is allowed) into oid_hex. Like git_sink_head it records nothing:
 * ERR_NOTFOUND when the branch does not exist, ERR_INVAL for an
 * invalid name, ERR_IO when the ref cannot be read. */
int git_sink_branch_head(struct git_sink *s, const char *branch,
    char oid_hex[41]);
/* git_sink_branch_delete - remove refs/heads/<branch> (and its reflog);
 * an absent branch is not an error. ERR_INVAL (invalid name, the deploy
 * branch), ERR_MOVED when it moved between reading and deleting,
 * ERR_BUSY (its lock file is held), ERR_IO, ERR_NOMEM. */
int git_sink_branch_delete(struct git_sink *s, const char *branch,
    struct diag *d);
/* git_sink_each_file_fn - one file: its path, its bytes (borrowed for
 * the call), ctx; a negative return stops the walk and is returned */
typedef int (*git_sink_each_file_fn)(const char *path, const char *data,
    size_t len, void *ctx);
/* git_sink_each_file - fn for every file under directory dir (at any
 * depth, in path order) at commit_hex (NULL: the head). Nothing when the
 * branch, the commit's dir or dir itself does not exist. ERR_INVAL (bad
 * path, bad commit id), ERR_IO, or fn's negative return. */
int git_sink_each_file(struct git_sink *s, const char *commit_hex,
    const char *dir, git_sink_each_file_fn fn, void *ctx, struct diag *d);
/* git_sink_read_at - git_sink_read at the commit commit_hex instead of
 * the head. ERR_NOTFOUND (nothing recorded) when the file is absent;
 * ERR_INVAL (bad path or commit), ERR_IO, ERR_NOMEM. */
int git_sink_read_at(struct git_sink *s, const char *commit_hex,
    const char *path, char **out, size_t *len, struct diag *d);
/* git_sink_message_at - the message of commit commit_hex into *out
 * (free()). ERR_INVAL, ERR_IO, ERR_NOMEM. */
int git_sink_message_at(struct git_sink *s, const char *commit_hex,
    char **out, struct diag *d);
/* What git_sink_commit_info tells of a commit. Owned; release with
 * git_sink_info_clear. */
struct git_sink_info {
	char parent[41];        /* first parent (hex); "" for a root commit */
	char *author_email;
	char *committer_email;
	char *message;
};

/* git_sink_commit_info - first parent, author's and committer's email
 * and message of commit commit_hex into *info. ERR_INVAL (bad commit),
 * ERR_IO, ERR_NOMEM; *info is empty on failure. */
int git_sink_commit_info(struct git_sink *s, const char *commit_hex,
    struct git_sink_info *info, struct diag *d);
void git_sink_info_clear(struct git_sink_info *info);
/* git_sink_difference_fn - one path two commits disagree on: its bytes
 * in the first (a, NULL when absent there) and in the second (b, NULL
 * when absent), borrowed for the call; a negative return stops the walk
 * and is returned */
typedef int (*git_sink_difference_fn)(const char *path, const char *a,
    size_t alen, const char *b, size_t blen, void *ctx);
/* git_sink_each_difference - fn for every file (path order) that differs
 * between commits a_hex and b_hex in content or mode, or exists in only
 * one of them; paths under the directory skip_dir (NULL: none) left out.
 * Nothing when the trees are the same. ERR_INVAL (bad commit or
 * skip_dir), ERR_IO, ERR_NOMEM, or fn's negative return. */
int git_sink_each_difference(struct git_sink *s, const char *a_hex,
    const char *b_hex, const char *skip_dir, git_sink_difference_fn fn,
    void *ctx, struct diag *d);
/* git_sink_tree_equal - *equal is 1 when the two commits hold the same
 * files (path, mode and content), paths under the directory skip_dir
 * (NULL: none; e.g. ".splitsync") left out on both sides, else 0.
 * ERR_INVAL (bad commit or skip_dir), ERR_IO, ERR_NOMEM. */
int git_sink_tree_equal(struct git_sink *s, const char *a_hex,
    const char *b_hex, const char *skip_dir, int *equal, struct diag *d);
/* git_sink_fast_forward - move the deploy branch to commit_hex when it
 * descends from the head read (nothing to do when it is the head; an
 * unborn branch is created); the sink's head follows. ERR_MOVED when
 * commit_hex does not descend from the head, or when the branch moved
 * since it was read (the branch is left as it is); ERR_BUSY when its
 * lock file is held; ERR_INVAL, ERR_IO, ERR_NOMEM. */
int git_sink_fast_forward(struct git_sink *s, const char *commit_hex,
    struct diag *d);
/* git_sink_reset_to - as git_sink_fast_forward, but with force set any
 * commit is taken (e.g. a remote head fetched after a refused push:
 * local commits not on it are dropped from the branch); still refused
 * with ERR_MOVED when the branch moved since it was read. */
int git_sink_reset_to(struct git_sink *s, const char *commit_hex,
    int force, struct diag *d);
/* git_sink_push - push each refs/heads/<branches[i]> (which must exist
 * here: ERR_NOTFOUND) to the same name at remote_url; force (NULL:
 * none) says per branch whether the remote ref may be overwritten
 * whatever it holds. n 0 does nothing. ERR_MOVED when a ref not forced
 * was refused because the remote moved (non-fast-forward, or changed
 * during the push); ERR_UNAVAIL when the remote cannot be reached or
 * opened (a missing local path included) or stays locked; ERR_AUTH
 * when credentials or the certificate are refused; ERR_IO for any
 * other failure or refusal (also a non-bare local remote); ERR_INVAL
 * (bad URL or branch name), ERR_NOMEM. Refusals are recorded one per
 * ref with the remote's reason; when refs are refused for both kinds
 * of reason, ERR_IO wins. */
int git_sink_push(struct git_sink *s, const char *remote_url,
    const char *const *branches, size_t n, const unsigned char *force,
    struct diag *d);
/* git_sink_push_delete - delete refs/heads/<branch> on remote_url (a
 * branch the remote does not have is no error and sends nothing; the
 * deploy branch is ERR_INVAL). Errors as for git_sink_push. */
int git_sink_push_delete(struct git_sink *s, const char *remote_url,
    const char *branch, struct diag *d);
/* git_sink_fetch - fetch refs/heads/<branch> of remote_url into the
 * tracking ref refs/splitsync/remotes/<id>/<branch> (id: 16 hex digits
 * of the URL's hash, the same for the same URL string), objects first,
 * and store its commit id in oid_hex. Local branches and the sink's
 * head are not touched. ERR_NOTFOUND (nothing recorded) when the remote
 * lacks the branch, whose stale tracking ref is then removed;
 * ERR_UNAVAIL, ERR_AUTH, ERR_IO, ERR_INVAL, ERR_NOMEM as for a push. */
int git_sink_fetch(struct git_sink *s, const char *remote_url,
    const char *branch, char oid_hex[41], struct diag *d);

#endif
