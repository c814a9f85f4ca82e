/*
 * git_refs - commits, and the branches that name them
 *
 * DESCRIPTION
 *	The deploy branch only moves by compare-and-swap against the head
 *	the sink read, never by force: a commit, a fast-forward to a
 *	confirmed change, a reset to a fetched head. Besides it the sink
 *	writes short-lived branches (a proposal for review, a change held
 *	by the guard), each one commit on top of a given parent.
 *
 *	git_sink_commit and git_sink_update are the tree writer
 *	(git_tree.c) fed from an array of files: the whole tree, or the
 *	changes to the head's. The tree writer checks each path; a refused
 *	one stops the commit before anything is written, since a commit's
 *	objects are held until it is made (but for files too large to be
 *	held, which may then be left unreferenced).
 *
 *	Commit objects are written here, in git's format, into the
 *	commit's objects (git_pack): the tree they name may not be in the
 *	object database yet, so libgit2's commit writer, which reads it,
 *	cannot be used.
 *
 * DIAGNOSTICS
 *	"git_sink: PATH: cannot move branch B: why". A ref whose lock file
 *	another process holds is ERR_BUSY, with the name of the lock file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "git_sink.h"
#include "git_worktree.h"

/* git_sink__reflog_text - "what: subject of message" into log */
int
git_sink__reflog_text(struct buf *log, const char *what,
    const char *message)
{
	if (buf_puts(log, what) < 0 || buf_puts(log, ": ") < 0 ||
	    buf_append(log, message, strcspn(message, "\n")) < 0)
		return ERR_NOMEM;
	return 0;
}

/* ref_locked - a ref write that met the ref's lock file: a git
 * process at work, or one that died; ERR_BUSY (try again) */
static int
ref_locked(struct git_sink *s, const char *what, const char *branch,
    const char *refname, struct diag *d)
{
	diag_error(d, NULL, "git_sink: %s: cannot %s branch %s: another "
	    "process holds the lock (%s.lock; if no git process runs, it is "
	    "stale: remove it)", s->path, what, branch, refname);
	return ERR_BUSY;
}

/* moved - the compare-and-swap found the branch elsewhere */
static int
moved(struct git_sink *s, struct diag *d)
{
	diag_error(d, NULL, "git_sink: %s: cannot move branch %s: it moved "
	    "since it was read", s->path, s->branch);
	return ERR_MOVED;
}

/* git_sink__head_moved - whether the deploy branch left the head read */
int
git_sink__head_moved(struct git_sink *s, struct diag *d)
{
	git_oid id;
	int rc;

	rc = git_reference_name_to_id(&id, s->repo, s->refname);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return git_sink__lib_fail(d, s->path, "cannot read branch");
	if (rc == GIT_ENOTFOUND ? s->has_head :
	    !s->has_head || !git_oid_equal(&id, &s->head)) {
		moved(s, d);
		return 1;
	}
	return 0;
}

/* git_sink__swap_head - compare-and-swap the deploy branch to id; the
 * sink's head follows on success */
int
git_sink__swap_head(struct git_sink *s, const git_oid *id, const char *log,
    struct diag *d)
{
	git_reference *ref = NULL;
	int rc;

	if (s->has_head)
		rc = git_reference_create_matching(&ref, s->repo, s->refname,
		    id, 1, &s->head, log);
	else
		rc = git_reference_create(&ref, s->repo, s->refname, id, 0,
		    log);
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS ||
	    (rc == GIT_ENOTFOUND && s->has_head))
		return moved(s, d);
	if (rc == GIT_ELOCKED)
		return ref_locked(s, "move", s->branch, s->refname, d);
	if (rc < 0)
		return git_sink__lib_fail(d, s->path, "cannot move branch");
	s->head = *id;
	s->has_head = 1;
	/* a work tree shows the branch, not what it was */
	git_worktree_follow(s->repo, s->refname, s->path, d);
	return 0;
}

/* git_sink__set_ref - point a side branch at id */
int
git_sink__set_ref(struct git_sink *s, const char *ref, const char *branch,
    const git_oid *id, int force, const char *log, struct diag *d)
{
	git_reference *r = NULL;
	int rc;

	rc = git_reference_create(&r, s->repo, ref, id, force ? 1 : 0, log);
	git_reference_free(r);
	if (rc == GIT_EEXISTS) {
		diag_error(d, NULL, "git_sink: %s: cannot create branch %s: "
		    "it already exists", s->path, branch);
		return ERR_MOVED;
	}
	if (rc == GIT_ELOCKED)
		return ref_locked(s, "move", branch, ref, d);
	if (rc < 0)
		return git_sink__lib_fail(d, s->path, "cannot move branch");
	return 0;
}

/* git_sink__draft_start - check the message and the author */
int
git_sink__draft_start(struct git_sink *s, const char *message,
    const char *name, const char *email, struct git_sink_draft *dr,
    struct diag *d)
{
	size_t n;
	int rc;

	dr->sig = NULL;
	buf_init(&dr->msg);
	dr->message = message;
	if (message == NULL || *message == '\0')
		return git_sink__inval(d, s->path, "empty commit message");
	if (git_signature_now(&dr->sig, name ? name : "",
	    email ? email : "") < 0) {
		rc = git_sink__lib_fail(d, s->path, "invalid author");
		return rc == ERR_IO ? ERR_INVAL : rc;
	}
	n = strlen(message);
	if (message[n - 1] != '\n') {
		if (buf_append(&dr->msg, message, n) < 0 ||
		    buf_putc(&dr->msg, '\n') < 0)
			return git_sink__nomem(d, s->path);
		dr->message = dr->msg.data;
	}
	return 0;
}

/* git_sink__draft_end - release what draft_start acquired */
void
git_sink__draft_end(struct git_sink_draft *dr)
{
	git_signature_free(dr->sig);
	buf_free(&dr->msg);
}

/* sig_line - "what NAME <EMAIL> SECONDS +HHMM", as git writes it */
static int
sig_line(struct buf *b, const char *what, const git_signature *sig)
{
	int off = sig->when.offset;
	int neg = off < 0 || sig->when.sign == '-';

	if (off < 0)
		off = -off;
	return buf_printf(b, "%s %s <%s> %lld %c%02d%02d\n", what, sig->name,
	    sig->email, (long long)sig->when.time, neg ? '-' : '+', off / 60,
	    off % 60);
}

/* git_sink__write_commit - a commit object into p */
int
git_sink__write_commit(struct git_sink *s, struct git_pack *p,
    const struct git_sink_draft *dr, const git_oid *tree,
    const git_oid *parent, git_oid *id, struct diag *d)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct buf b = BUF_INIT;
	int rc;

	git_oid_tostr(hex, sizeof hex, tree);
	if (buf_printf(&b, "tree %s\n", hex) < 0)
		goto nomem;
	if (parent) {
		git_oid_tostr(hex, sizeof hex, parent);
		if (buf_printf(&b, "parent %s\n", hex) < 0)
			goto nomem;
	}
	if (sig_line(&b, "author", dr->sig) < 0 ||
	    sig_line(&b, "committer", dr->sig) < 0 ||
	    buf_putc(&b, '\n') < 0 || buf_puts(&b, dr->message) < 0)
		goto nomem;
	rc = git_pack_put_mem(p, GIT_OBJECT_COMMIT, b.data, b.len, id, d);
	buf_free(&b);
	return rc;
nomem:
	buf_free(&b);
	return git_sink__nomem(d, s->path);
}

/* fill_tree - the files into t (removals too when with_removals); the
 * tree writer checks them (paths, repeats, a file that is also a
 * directory) */
static int
fill_tree(struct git_sink_tree *t, const struct git_sink_file *v,
    size_t n, int with_removals, struct diag *d)
{
	size_t i;
	int rc = 0;

	if (n > 0 && v == NULL)
		return git_sink__inval(d, "(files)", "no file array");
	for (i = 0; rc >= 0 && i < n; i++)
		if (with_removals && v[i].remove)
			rc = git_sink_tree_remove(t, v[i].path, d);
		else
			rc = git_sink_tree_put(t, v[i].path, v[i].data,
			    v[i].len, d);
	return rc < 0 ? rc : 0;
}

/* commit_head - commit on the deploy branch's head: files are the
 * whole tree, or with update set the changes to the head's tree */
static int
commit_head(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, int update, const char *message,
    const char *author_name, const char *author_email, int *committed,
    char oid_hex[41], struct diag *d)
{
	struct git_sink_draft dr;
	struct git_sink_tree *t = NULL;
	git_commit *head = NULL;
	git_tree *old = NULL;
	int rc, same;

	*committed = 0;
	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = git_sink__draft_start(s, message, author_name, author_email,
	    &dr, d)) < 0)
		goto cleanup;
	if ((rc = git_sink__load_head(s, &head, &old, d)) < 0)
		goto cleanup;
	if (update && head == NULL) {
		diag_error(d, NULL, "git_sink: %s: cannot update branch %s: "
		    "it has no commit yet", s->path, s->branch);
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	if ((rc = git_sink__tree_start(s, head, update, &t, d)) < 0 ||
	    (rc = fill_tree(t, files, nfiles, update, d)) < 0 ||
	    (rc = git_sink_tree_finish(t, &same, d)) < 0)
		goto cleanup;
	rc = git_sink__tree_commit(t, &dr, committed, oid_hex, d);
cleanup:
	git_sink_tree_free(t);
	git_sink__draft_end(&dr);
	git_tree_free(old);
	git_commit_free(head);
	return rc;
}

/* git_sink_commit - write the whole tree, the commit, move the branch */
int
git_sink_commit(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d)
{
	return commit_head(s, files, nfiles, 0, message, author_name,
	    author_email, committed, oid_hex, d);
}

/* git_sink_update - write only the changed paths, commit, move */
int
git_sink_update(struct git_sink *s, const struct git_sink_file *changes,
    size_t nchanges, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d)
{
	return commit_head(s, changes, nchanges, 1, message, author_name,
	    author_email, committed, oid_hex, d);
}

/* git_sink_commit_on - one commit on a given parent, on another branch */
int
git_sink_commit_on(struct git_sink *s, const char *branch,
    const char *parent_hex, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int force, char oid_hex[41], struct diag *d)
{
	struct git_sink_draft dr;
	struct git_sink_tree *t = NULL;
	struct buf ref = BUF_INIT;
	git_commit *parent = NULL;
	git_oid id;
	int rc, same;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = git_sink__draft_start(s, message, author_name, author_email,
	    &dr, d)) < 0)
		goto cleanup;
	if ((rc = git_sink__branch_ref(s, branch, 0, &ref, d)) < 0)
		goto cleanup;
	if (parent_hex && (rc = git_sink__lookup_commit(s, parent_hex,
	    &parent, d)) < 0)
		goto cleanup;
	/* a branch that exists already costs no work */
	if (!force && git_reference_name_to_id(&id, s->repo, ref.data) == 0) {
		diag_error(d, NULL, "git_sink: %s: cannot create branch %s: "
		    "it already exists", s->path, branch);
		rc = ERR_MOVED;
		goto cleanup;
	}
	/* the parent's tree: what it holds already is not written */
	if ((rc = git_sink__tree_start(s, parent, 0, &t, d)) < 0 ||
	    (rc = fill_tree(t, files, nfiles, 0, d)) < 0 ||
	    (rc = git_sink_tree_finish(t, &same, d)) < 0)
		goto cleanup;
	rc = git_sink__tree_commit_on(t, ref.data, branch, parent, &dr, force,
	    oid_hex, d);
cleanup:
	git_sink_tree_free(t);
	buf_free(&ref);
	git_sink__draft_end(&dr);
	git_commit_free(parent);
	return rc;
}

/* git_sink_commit_child - a commit on parent with the parent's tree */
int
git_sink_commit_child(struct git_sink *s, const char *parent_hex,
    const char *message, const char *author_name, const char *author_email,
    char oid_hex[41], struct diag *d)
{
	struct git_sink_draft dr;
	struct git_pack *p = NULL;
	git_commit *parent = NULL;
	git_oid id;
	int rc;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = git_sink__draft_start(s, message, author_name, author_email,
	    &dr, d)) < 0)
		goto cleanup;
	if ((rc = git_sink__lookup_commit(s, parent_hex, &parent, d)) < 0)
		goto cleanup;
	/* The tree exists already: only the commit object is new. */
	if ((rc = git_pack_new(s, &p, d)) < 0 ||
	    (rc = git_sink__write_commit(s, p, &dr,
	    git_commit_tree_id(parent), git_commit_id(parent), &id, d)) < 0 ||
	    (rc = git_pack_flush(p, d)) < 0)
		goto cleanup;
	/* no ref names it yet: the caller's next move will */
	git_pack_used(p);
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	git_pack_free(p);
	git_sink__draft_end(&dr);
	git_commit_free(parent);
	return rc;
}

/* git_sink_branch_head - the commit a branch points at, read now; like
 * git_sink_head it answers without a diag */
int
git_sink_branch_head(struct git_sink *s, const char *branch,
    char oid_hex[41])
{
	struct buf ref = BUF_INIT;
	struct diag quiet;
	git_oid id;
	int rc;

	oid_hex[0] = '\0';
	diag_init(&quiet, NULL);
	if ((rc = git_sink__branch_ref(s, branch, 1, &ref, &quiet)) < 0)
		goto cleanup;
	rc = git_reference_name_to_id(&id, s->repo, ref.data);
	if (rc == GIT_ENOTFOUND)
		rc = ERR_NOTFOUND;
	else if (rc < 0)
		rc = ERR_IO;
	else
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	diag_free(&quiet);
	buf_free(&ref);
	return rc;
}

/* git_sink_branch_delete - remove another branch; absent is done */
int
git_sink_branch_delete(struct git_sink *s, const char *branch,
    struct diag *d)
{
	struct buf ref = BUF_INIT;
	git_reference *r = NULL;
	int rc;

	git_error_clear();
	if ((rc = git_sink__branch_ref(s, branch, 0, &ref, d)) < 0)
		goto cleanup;
	rc = git_reference_lookup(&r, s->repo, ref.data);
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
		goto cleanup;
	}
	if (rc < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot read branch");
		goto cleanup;
	}
	/* deleted only if still where it was just read */
	rc = git_reference_delete(r);
	if (rc == GIT_EMODIFIED) {
		diag_error(d, NULL, "git_sink: %s: cannot delete branch %s: "
		    "it moved since it was read", s->path, branch);
		rc = ERR_MOVED;
	} else if (rc == GIT_ELOCKED) {
		rc = ref_locked(s, "delete", branch, ref.data, d);
	} else if (rc < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot delete branch");
	}
cleanup:
	git_reference_free(r);
	buf_free(&ref);
	return rc;
}

/* move_deploy - move the deploy branch to a commit that descends from
 * its head, or to any commit when force is set; compare-and-swap */
static int
move_deploy(struct git_sink *s, const char *hex, int force,
    const char *what, struct diag *d)
{
	git_commit *target = NULL;
	struct buf log = BUF_INIT;
	const git_oid *id;
	int rc;

	git_error_clear();
	if ((rc = git_sink__lookup_commit(s, hex, &target, d)) < 0)
		goto cleanup;
	id = git_commit_id(target);
	if (s->has_head && git_oid_equal(id, &s->head))
		goto cleanup;
	if (s->has_head && !force) {
		rc = git_graph_descendant_of(s->repo, id, &s->head);
		if (rc < 0) {
			rc = git_sink__lib_fail(d, hex,
			    "cannot compare with the head");
			goto cleanup;
		}
		if (rc == 0) {
			diag_error(d, NULL, "git_sink: %s: cannot move branch "
			    "%s to %s: not a descendant of its head", s->path,
			    s->branch, hex);
			rc = ERR_MOVED;
			goto cleanup;
		}
	}
	if (buf_printf(&log, "%s: %s", what, hex) < 0) {
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	rc = git_sink__swap_head(s, id, log.data, d);
cleanup:
	buf_free(&log);
	git_commit_free(target);
	return rc;
}

/* git_sink_fast_forward - move the deploy branch forward only */
int
git_sink_fast_forward(struct git_sink *s, const char *commit_hex,
    struct diag *d)
{
	return move_deploy(s, commit_hex, 0, "fast-forward", d);
}

/* git_sink_reset_to - move the deploy branch to a fetched commit */
int
git_sink_reset_to(struct git_sink *s, const char *commit_hex, int force,
    struct diag *d)
{
	return move_deploy(s, commit_hex, force,
	    force ? "reset (forced)" : "reset", d);
}
