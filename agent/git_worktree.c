/*
 * git_worktree - keep a repository's work tree in step with its branch
 *
 * DESCRIPTION
 *	The update is git checkout's safe mode from what was last checked
 *	out (the index, not the branch's previous commit: an index that
 *	was never written, as older versions left it, gets every file) to
 *	the branch's new tree: files nobody touched follow, files the
 *	branch removes go, missing files come back.
 *
 *	The commit has already been made from the directory, so a hand
 *	edit in the work tree cannot stop it; nor is it overwritten: a
 *	file changed by hand, or an untracked file where the branch now
 *	has one, is left as it is and named in a warning. Its index entry
 *	is set to the branch's version all the same, so that git status
 *	shows exactly the hand edit and git checkout -- FILE undoes it. A
 *	file left alone whose content is already the branch's is no edit:
 *	it is only indexed.
 *
 * DIAGNOSTICS
 *	Warnings only, "git_sink: PATH: work tree: ...", at most
 *	HELD_SHOWN of them for files left alone, then a count.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "git_worktree.h"

#define HELD_SHOWN 10           /* files named one by one, then counted */

/* the paths the checkout left alone */
struct held {
	char **paths;
	size_t n;
	size_t cap;
	int nomem;
};

/* warn_lib - a libgit2 failure as a warning */
static void
warn_lib(struct diag *d, const char *path, const char *what)
{
	const git_error *e = git_error_last();

	diag_warn(d, NULL, "git_sink: %s: work tree: %s: %s", path, what,
	    e && e->message ? e->message : "unknown error");
}

/* on_conflict - checkout's notice of a path it will not touch */
static int
on_conflict(git_checkout_notify_t why, const char *path,
    const git_diff_file *baseline, const git_diff_file *target,
    const git_diff_file *workdir, void *payload)
{
	struct held *h = payload;
	char **grown;

	(void)why;
	(void)baseline;
	(void)target;
	(void)workdir;
	if (h->n == h->cap) {
		grown = realloc(h->paths, (h->cap ? h->cap * 2 : 8) *
		    sizeof *grown);
		if (grown == NULL) {
			h->nomem = 1;
			return 0;
		}
		h->paths = grown;
		h->cap = h->cap ? h->cap * 2 : 8;
	}
	if ((h->paths[h->n] = strdup(path)) == NULL)
		h->nomem = 1;
	else
		h->n++;
	return 0;
}

/* same_as - the work tree file at rel holds exactly blob id */
static int
same_as(git_repository *repo, const char *rel, const git_oid *id)
{
	struct buf full = BUF_INIT;
	git_oid got;
	int same;

	same = buf_printf(&full, "%s%s", git_repository_workdir(repo),
	    rel) == 0 && git_odb_hashfile(&got, full.data,
	    GIT_OBJECT_BLOB) == 0 && git_oid_equal(&got, id);
	buf_free(&full);
	return same;
}

/* settle - index entries of the paths left alone follow the branch;
 * the ones that differ from it are hand edits, reported */
static void
settle(git_repository *repo, git_index *index, const git_tree *tree,
    const struct held *h, const char *path, struct diag *d)
{
	git_tree_entry *te;
	git_index_entry e;
	size_t i, shown = 0;
	int rc;

	for (i = 0; i < h->n; i++) {
		te = NULL;
		rc = git_tree_entry_bypath(&te, tree, h->paths[i]);
		if (rc == 0 && same_as(repo, h->paths[i],
		    git_tree_entry_id(te))) {
			rc = git_index_add_bypath(index, h->paths[i]);
			git_tree_entry_free(te);
			if (rc < 0)
				warn_lib(d, path, "cannot index a file");
			continue;
		}
		if (rc == 0) {
			memset(&e, 0, sizeof e);
			e.mode = git_tree_entry_filemode(te);
			e.id = *git_tree_entry_id(te);
			e.path = h->paths[i];
			rc = git_index_add(index, &e);
		} else {
			rc = git_index_remove_bypath(index, h->paths[i]);
		}
		if (rc < 0)
			warn_lib(d, path, "cannot index a file");
		if (shown++ < HELD_SHOWN)
			diag_warn(d, NULL, "git_sink: %s: work tree: %s: "
			    "changed here by hand, left as it is (the branch "
			    "%s it; git checkout -- %s takes the branch's)",
			    path, h->paths[i], te ? "has a new version of" :
			    "no longer has", h->paths[i]);
		git_tree_entry_free(te);
	}
	if (shown > HELD_SHOWN)
		diag_warn(d, NULL, "git_sink: %s: work tree: %zu more files "
		    "changed here by hand, left as they are", path,
		    shown - HELD_SHOWN);
}

/* checked_out - HEAD is the symbolic ref refname */
static int
checked_out(git_repository *repo, const char *refname)
{
	git_reference *head = NULL;
	int yes;

	if (git_reference_lookup(&head, repo, "HEAD") < 0)
		return 0;
	yes = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    strcmp(git_reference_symbolic_target(head), refname) == 0;
	git_reference_free(head);
	return yes;
}

/* git_worktree_follow - index and work tree to the branch's commit */
void
git_worktree_follow(git_repository *repo, const char *refname,
    const char *path, struct diag *d)
{
	git_checkout_options o;
	git_commit *commit = NULL;
	git_tree *tree = NULL, *base = NULL;
	git_index *index = NULL;
	struct held h = { NULL, 0, 0, 0 };
	git_oid id, base_id;
	size_t i;

	if (git_repository_is_bare(repo) || !checked_out(repo, refname))
		return;
	if (git_reference_name_to_id(&id, repo, refname) < 0 ||
	    git_commit_lookup(&commit, repo, &id) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		warn_lib(d, path, "cannot read the new commit");
		goto cleanup;
	}
	/* the baseline: what was last checked out */
	if (git_repository_index(&index, repo) < 0 ||
	    git_index_read(index, 0) < 0 ||
	    git_index_write_tree(&base_id, index) < 0 ||
	    git_tree_lookup(&base, repo, &base_id) < 0) {
		warn_lib(d, path, "cannot read the index");
		goto cleanup;
	}
	if (git_checkout_options_init(&o, GIT_CHECKOUT_OPTIONS_VERSION) < 0) {
		warn_lib(d, path, "cannot update");
		goto cleanup;
	}
	o.checkout_strategy = GIT_CHECKOUT_SAFE |
	    GIT_CHECKOUT_RECREATE_MISSING | GIT_CHECKOUT_ALLOW_CONFLICTS;
	o.baseline = base;
	o.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
	o.notify_cb = on_conflict;
	o.notify_payload = &h;
	if (git_checkout_tree(repo, (const git_object *)tree, &o) < 0) {
		warn_lib(d, path, "cannot update");
		goto cleanup;
	}
	if (h.nomem)
		diag_warn(d, NULL, "git_sink: %s: work tree: out of memory "
		    "listing the files changed by hand", path);
	if (h.n > 0) {
		settle(repo, index, tree, &h, path, d);
		if (git_index_write(index) < 0)
			warn_lib(d, path, "cannot write the index");
	}
cleanup:
	for (i = 0; i < h.n; i++)
		free(h.paths[i]);
	free(h.paths);
	git_index_free(index);
	git_tree_free(base);
	git_tree_free(tree);
	git_commit_free(commit);
}
