/*
 * git_int - what the files of the git sink share (private)
 *
 * The sink is one module (include/git_sink.h) in several files, one
 * seam each: opening and the head (git_sink.c), new objects written
 * loose or as one pack (git_pack.c) and the pack's index (git_idx.c),
 * the tree writer (git_tree.c), commits and refs (git_refs.c), reading
 * and diffs (git_read.c), remotes (git_remote.c). This header is theirs
 * alone.
 *
 * Helpers named git_sink__* record their failure in d the way every
 * sink call does ("git_sink: PATH: what failed: why") and return the
 * code; the caller propagates it.
 */
#ifndef SPLITSYNC_GIT_INT_H
#define SPLITSYNC_GIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>
#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "git_repo.h"
#include "git_sink.h"

#define GIT_SINK_REF_PREFIX "refs/heads/"
#define GIT_SINK_PATH_MAX 4096  /* longer paths are refused */

struct git_sink {
	git_repository *repo;
	git_odb *odb;
	char *path;             /* repository path as given, for messages */
	char *branch;           /* "main" */
	char *refname;          /* "refs/heads/main" */
	char *objects;          /* the object store, ending in '/' */
	git_oid head;           /* valid when has_head */
	int has_head;
	enum git_sink_mode mode;
	int bare;
	struct git_repo_new fresh;      /* made here, not yet in place */
	z_stream zs;            /* one deflate stream for every object */
	int zs_ready;
};

/* git_sink__lib_fail - a libgit2 failure on what (path names it) */
int git_sink__lib_fail(struct diag *d, const char *path, const char *what);
/* git_sink__inval - a refused argument: ERR_INVAL */
int git_sink__inval(struct diag *d, const char *path, const char *what);
/* git_sink__nomem - ERR_NOMEM */
int git_sink__nomem(struct diag *d, const char *path);
/* git_sink__sys_fail - a failed system call (errno) on path: ERR_IO,
 * or ERR_NOMEM for ENOMEM */
int git_sink__sys_fail(struct diag *d, const char *path, const char *what);
/* git_sink__path_problem - why path cannot be a file in a tree, or
 * NULL (git_sink.h says what a path may be) */
const char *git_sink__path_problem(const char *path);
/* git_sink__sorted_files - check files and return them sorted by path
 * in *out (free()); a path may not repeat nor be both a file and a
 * directory; ERR_INVAL, ERR_NOMEM */
int git_sink__sorted_files(const struct git_sink_file *files, size_t n,
    const struct git_sink_file ***out, struct diag *d);
/* git_sink__read_head - (re)read the branch head into s; ERR_IO */
int git_sink__read_head(struct git_sink *s, struct diag *d);
/* git_sink__load_head - the head commit and its tree (both NULL on an
 * unborn branch), the caller's; ERR_IO, ERR_NOMEM */
int git_sink__load_head(struct git_sink *s, git_commit **commit,
    git_tree **tree, struct diag *d);
/* git_sink__lookup_commit - the commit named by 40 hex digits (the
 * caller's); ERR_INVAL for a malformed id or one naming no commit */
int git_sink__lookup_commit(struct git_sink *s, const char *hex,
    git_commit **out, struct diag *d);
/* git_sink__branch_ref - "refs/heads/BRANCH" into ref, for a valid
 * branch name; the deploy branch only with deploy_ok; ERR_INVAL */
int git_sink__branch_ref(struct git_sink *s, const char *branch,
    int deploy_ok, struct buf *ref, struct diag *d);

/* What a new commit needs, checked before any object is written:
 * git_sink__draft_start fills it, git_sink__draft_end releases it
 * whatever draft_start returned. */
struct git_sink_draft {
	git_signature *sig;
	struct buf msg;         /* the message with its final newline */
	const char *message;    /* msg.data, or the caller's when it had one */
};

/* git_sink__draft_start - check the message (not empty) and the author;
 * ERR_INVAL, ERR_NOMEM */
int git_sink__draft_start(struct git_sink *s, const char *message,
    const char *name, const char *email, struct git_sink_draft *dr,
    struct diag *d);
void git_sink__draft_end(struct git_sink_draft *dr);

/* The new objects of a commit in progress (git_pack.c). Objects are
 * named by their id, computed first (git_pack_hash); a pack holds what
 * it was given until git_pack_flush makes it durable and visible:
 * fewer than a hundred objects as loose files and one syncfs, more as
 * one pack and its index. Objects no commit used are dropped by
 * git_pack_free: what was not written yet, and a pack no ref came to
 * name (git_pack_used records that one did). */
struct git_pack;

/* git_pack_new - an empty set of new objects for s; ERR_NOMEM */
int git_pack_new(struct git_sink *s, struct git_pack **out,
    struct diag *d);
/* git_pack_hash - the id of the object of type and len bytes gen
 * produces (gen is called once); ERR_INVAL (named after path) when gen
 * produces another number of bytes, or gen's negative return */
int git_pack_hash(git_object_t type, size_t len, git_sink_gen_fn gen,
    void *ctx, const char *path, git_oid *id, struct diag *d);
/* git_pack_id - the id of len bytes of data as an object of type */
void git_pack_id(git_object_t type, const void *data, size_t len,
    git_oid *id);
/* git_pack_has - whether p was given the object id already */
int git_pack_has(const struct git_pack *p, const git_oid *id);
/* git_pack_put - add the object id of type and len bytes, produced by
 * gen (called once, and checked against id: ERR_INVAL when it gives
 * other bytes than it did for git_pack_hash); nothing when p has it.
 * ERR_IO (the write failed: p is then spoilt, every later call fails),
 * ERR_NOMEM, gen's error. */
int git_pack_put(struct git_pack *p, git_object_t type, const git_oid *id,
    size_t len, git_sink_gen_fn gen, void *ctx, const char *path,
    struct diag *d);
/* git_pack_put_mem - hash and add len bytes of data as type; the id
 * into *id. As git_pack_put. */
int git_pack_put_mem(struct git_pack *p, git_object_t type,
    const void *data, size_t len, git_oid *id, struct diag *d);
/* git_pack_flush - make every object given so far durable and
 * readable through the repository (its pack renamed into place and the
 * object database refreshed); more may be added afterwards. ERR_IO,
 * ERR_NOMEM */
int git_pack_flush(struct git_pack *p, struct diag *d);
/* git_pack_used - a ref names objects of p: its packs stay */
void git_pack_used(struct git_pack *p);
/* git_pack_free - release p; what was not flushed is dropped, and the
 * packs it wrote are removed unless git_pack_used was called. NULL is
 * allowed. */
void git_pack_free(struct git_pack *p);

/* What the index of a pack holds of each object (git_idx.c). */
struct git_idx_entry {
	git_oid id;
	uint64_t offset;        /* where the object starts in the pack */
	uint32_t crc;           /* CRC-32 of its bytes there */
};

/* git_idx_close - finish the pack written to fd (its temporary name
 * tmp, size bytes so far, the 12-byte header's count still to come) of
 * the n objects v (any order; sorted here): count and checksum in,
 * its index beside it, both fsynced and renamed to pack-SUM.pack and
 * .idx in objects/pack, the directory synced. Their paths into *pack
 * and *idx (free()); both NULL when that very pack was there already
 * (tmp is removed then). fd stays open. ERR_IO, ERR_NOMEM; on failure
 * nothing of it is in place (tmp may remain: the caller's). */
int git_idx_close(struct git_sink *s, int fd, const char *tmp,
    uint64_t size, struct git_idx_entry *v, size_t n, char **pack,
    char **idx, struct diag *d);

/* git_sink__write_commit - the commit object of tree on parent (NULL:
 * a root commit) into p, by dr's author as author and committer; its
 * id into *id. ERR_NOMEM, ERR_IO */
int git_sink__write_commit(struct git_sink *s, struct git_pack *p,
    const struct git_sink_draft *dr, const git_oid *tree,
    const git_oid *parent, git_oid *id, struct diag *d);
/* git_sink__head_moved - the deploy branch is no longer where s read
 * it (recorded in d as git_sink_commit's ERR_MOVED; 1), or it is (0);
 * ERR_IO */
int git_sink__head_moved(struct git_sink *s, struct diag *d);
/* git_sink__swap_head - compare-and-swap the deploy branch from the
 * head read to id (log for the reflog); the head of s and the work
 * tree follow. ERR_MOVED, ERR_BUSY, ERR_IO */
int git_sink__swap_head(struct git_sink *s, const git_oid *id,
    const char *log, struct diag *d);
/* git_sink__set_ref - point the side branch ref (full name; branch
 * for messages) at id, creating it, or moving it with force; ERR_MOVED
 * when it exists and force is 0, ERR_BUSY, ERR_IO */
int git_sink__set_ref(struct git_sink *s, const char *ref,
    const char *branch, const git_oid *id, int force, const char *log,
    struct diag *d);
/* git_sink__reflog_text - "what: subject of message" into log */
int git_sink__reflog_text(struct buf *log, const char *what,
    const char *message);

/* The tree writer's own entry points for the wrappers of git_refs.c:
 * a tree on any base commit (NULL: none), and its commits with a draft
 * checked beforehand. */
int git_sink__tree_start(struct git_sink *s, const git_commit *base,
    int from_base, struct git_sink_tree **out, struct diag *d);
int git_sink__tree_commit(struct git_sink_tree *t,
    const struct git_sink_draft *dr, int *committed, char oid_hex[41],
    struct diag *d);
int git_sink__tree_commit_on(struct git_sink_tree *t, const char *ref,
    const char *branch, const git_commit *parent,
    const struct git_sink_draft *dr, int force, char oid_hex[41],
    struct diag *d);

#endif
