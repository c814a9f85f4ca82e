/*
 * publish - from the directory copy to a commit
 *
 * DESCRIPTION
 *	The orchestration of one commit; each decision on the way has its
 *	own module: the model (build.h), the files of the commit
 *	(layout.h), the message (message.h), the guard (guard.h), where
 *	the change goes and the remotes (rollout.h), the service's live
 *	state (live.h).
 *
 *	An attempt first tries the live state (only the shards the noted
 *	changes touch are written); whatever it does not handle, and
 *	whenever the guard would have a say, is built in full.
 *
 *	A full build writes every file of the commit into a tree (a dry
 *	run's computes ids only): whether a table changed is told by the
 *	ids of its file or shard directory against the head's, nothing is
 *	read back. A one-shot job writes the listing in its second form
 *	(listing.h), only once a table is known to change, and reads of
 *	the head's listing only the shards of contested addresses, and,
 *	when a table changed, the routes shards whose ids differ
 *	(changes.h). The service, whose live state keeps
 *	the first form, reads the head's listing whole and compares it.
 *
 *	publish_run commits only when a table changed: a change of the
 *	route listing or of the service state alone (a renamed entry, an
 *	attribute the routes do not depend on) is not a routing change. The
 *	state committed with the tables is always the one that matches the
 *	cookie in the same commit, so a restart from any commit resumes
 *	consistently. One exception: when the deploy head carries no
 *	cookie (a resync's commit, one made by hand), the service's state
 *	is committed alone, so that its next start resumes instead of
 *	loading the whole directory again.
 *
 *	Before a commit replaces the head's tables, a head that is not
 *	splitsync's own is compared with the last commit that is
 *	(handedit.h): the lines changed by hand that this commit undoes
 *	are logged and listed in its message, with a trailer naming the
 *	edited head.
 *
 * DIAGNOSTICS
 *	Data problems go to the problems diag; failures are recorded in d
 *	and returned.
 */
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "changes.h"
#include "errors.h"
#include "guard.h"
#include "handedit.h"
#include "layout.h"
#include "listing.h"
#include "live.h"
#include "message.h"
#include "publish.h"
#include "render.h"
#include "rollout.h"
#include "routes.h"
#include "snapshot.h"

/* One publish_run: what every attempt works on. */
struct run {
	const struct config *cfg;
	struct git_sink *sink;
	const struct mapping *map;
	const struct mirror *mir;
	const struct publish_request *req;
	struct diag *problems;
	struct diag_mark start;         /* problems before the first attempt */
	FILE *out;
	struct publish_result *res;
	struct diag *d;
};

/* What a full build makes. A one-shot job writes the listing's second
 * form and finds its route changes from the listing shards that differ
 * (changes.h); the service, whose live state keeps the first form,
 * compares its listing whole. */
struct full {
	int second;                     /* the second form (listing.h) */
	struct listing_head *head;      /* the deploy head's listing */
	struct routes prev;             /* first form: the head's listing */
	struct routes next;             /* ... the listing of the model */
	struct route_change *ch;        /* ... prev to next */
	size_t nch;
	struct listing *listing;        /* second form: the model's */
	struct listing_shard *gens;
	struct changes changes;         /* ... found when asked */
	int found;
	const struct model *m;
	struct model *owned;            /* m, when built here */
	struct build_scan scan;         /* for the live state */
	struct tables tables;
	struct buf listing_text;        /* first form, as committed */
	struct layout_files files;      /* the whole commit */
	struct git_sink_tree *tree;     /* files, finished */
	int tables_changed;
};

/* trailers_of - what every message of the run carries: the source, the
 * layout, the counts of problems (NULL: none), base when the change
 * goes to a side branch, the hand edit it restores, the cookie */
static void
trailers_of(const struct run *r, const struct diag *problems,
    const char *base, const struct handedit *hand,
    struct message_trailers *t)
{
	message_trailers_init(t);
	t->source = r->req->source;
	t->layout = config_layout_name(r->cfg->layout);
	t->rejected = problems ? problems->nrejected : 0;
	t->conflicts = problems ? problems->nconflicts : 0;
	t->base = base;
	t->hand_edit = hand && hand->total ? hand->head : NULL;
	t->cookie = r->req->cookie;
	t->cookie_len = r->req->cookie ? r->req->cookie_len : 0;
}

/* publish_live - one attempt on the live state. LIVE_FULL when the
 * full path must run (also whenever the guard would have a say: it
 * holds in full). */
static int
publish_live(const struct run *r)
{
	const struct publish_request *req = r->req;
	struct live_update up;
	struct layout_files files;
	struct guard_counts counts;
	struct message_body body;
	struct message_trailers t;
	struct buf msg = BUF_INIT;
	char head[41], why[256];
	int rc;

	if (req->live == NULL || req->dry_run || req->force ||
	    git_sink_head(r->sink, head) < 0 || !live_ready(req->live, head))
		return LIVE_FULL;
	rc = live_apply(req->live, r->cfg, r->map, r->mir, &up, r->problems);
	if (rc != 0)
		return rc;
	layout_files_init(&files, 1);
	memcpy(r->res->oid, head, sizeof head);
	r->res->changes = up.nchanges;
	r->res->incremental = 1;
	if (!up.tables_changed)
		goto cleanup;   /* listing and state wait for a table change */
	/* The live path does not count mailboxes: the guard then holds
	 * at least what it holds in full. */
	counts.routed_before = up.naddresses_before;
	counts.routed_after = up.naddresses;
	counts.mailboxes = GUARD_UNKNOWN;
	guard_count_changes(&counts, up.changes, up.nchanges);
	if (guard_holds(r->cfg, &counts, why, sizeof why)) {
		rc = LIVE_FULL;
		goto cleanup;
	}
	memset(&body, 0, sizeof body);
	body.changes = up.changes;
	body.nchanges = up.nchanges;
	body.naddresses = up.naddresses;
	body.ndomains = up.ndomains;
	body.problems = r->problems;
	body.branch = r->cfg->branch;
	trailers_of(r, r->problems, NULL, NULL, &t);
	rc = message_compose(&msg, &body, &t);
	rc = rc ? rc : live_files(req->live, r->mir, &files);
	rc = rc ? rc : git_sink_update(r->sink, files.files, files.count,
	    msg.data, r->cfg->author_name, r->cfg->author_email,
	    &r->res->committed, r->res->oid, r->d);
	if (rc == 0)
		live_committed(req->live, r->res->oid);
cleanup:
	if (rc != 0)
		live_invalidate(req->live);
	layout_files_clear(&files);
	live_update_clear(&up);
	buf_free(&msg);
	return rc;
}

/* full_clear - release a full build */
static void
full_clear(struct full *f)
{
	git_sink_tree_free(f->tree);
	layout_files_clear(&f->files);
	free(f->ch);
	free(f->gens);
	changes_clear(&f->changes);
	listing_free(f->listing);
	listing_head_close(f->head);
	buf_free(&f->listing_text);
	routes_clear(&f->prev);
	routes_clear(&f->next);
	render_tables_free(&f->tables);
	build_scan_clear(&f->scan);
	model_free(f->owned);
}

/* add_state - the service's state, in the shards the layout says */
static int
add_state(const struct config *cfg, const struct mirror *state,
    struct layout_files *files)
{
	size_t n = layout_state_shards(cfg->table_shards);
	struct buf *shards = NULL;
	int rc;

	rc = mirror_shards(state, n, &shards);
	rc = rc ? rc : layout_files_state(files, shards, n);
	free(shards);
	return rc;
}

/* resolve - the model, its conflicts settled against the head's
 * listing */
static int
resolve(const struct run *r, struct full *f)
{
	const struct config *cfg = r->cfg;
	model_owner_fn owner = f->second ? listing_head_owner :
	    build_listing_owner;
	void *ctx = f->second ? (void *)f->head : (void *)&f->prev;
	int rc;

	if (r->req->build) {
		rc = build_resolve(r->req->build, owner, ctx, r->problems);
		f->m = build_model_of(r->req->build);
	} else {
		rc = build_model(cfg, r->map, r->mir, owner, ctx, &f->owned,
		    r->req->live ? &f->scan : NULL, r->problems);
		f->m = f->owned;
	}
	if (rc == 0 && f->second && listing_head_error(f->head) < 0)
		rc = listing_head_error(f->head);
	return rc;
}

/* tables_differ - whether a table is not the head's, from the ids of
 * the tables alone (nothing written): *differ */
static int
tables_differ(const struct run *r, struct full *f, int *differ)
{
	struct git_sink_tree *probe = NULL;
	int rc, same;

	rc = git_sink_tree_new_dry(r->sink, &probe, r->d);
	rc = rc ? rc : layout_files_write_part(&f->files, probe,
	    LAYOUT_PART_TABLE, r->d);
	rc = rc < 0 ? rc : git_sink_tree_finish(probe, &same, r->d);
	rc = rc < 0 ? rc : layout_tables_same(probe, NULL, &f->tables, r->d);
	git_sink_tree_free(probe);
	if (rc < 0)
		return rc;
	*differ = !rc;
	return 0;
}

/* write_tree - the files into a tree started empty (ids only for a dry
 * run), and whether a table is not the head's. A one-shot job asks the
 * tables first: when none changed there is nothing to commit, and its
 * listing is neither made nor hashed. */
static int
write_tree(const struct run *r, struct full *f)
{
	size_t shards = r->cfg->table_shards > 0 ?
	    (size_t)r->cfg->table_shards : 0;
	int rc = 0, same;

	if (f->second && !r->req->dry_run && *r->res->oid &&
	    ((rc = tables_differ(r, f, &f->tables_changed)) < 0 ||
	    !f->tables_changed))
		return rc;
	if (f->second) {
		rc = listing_new(f->m, shards, &f->listing);
		rc = rc ? rc : listing_files(f->listing, &f->files, &f->gens);
	}
	rc = rc ? rc : r->req->dry_run ? git_sink_tree_new_dry(r->sink,
	    &f->tree, r->d) : git_sink_tree_new(r->sink, 0, &f->tree, r->d);
	rc = rc ? rc : layout_files_write(&f->files, f->tree, r->d);
	rc = rc < 0 ? rc : git_sink_tree_finish(f->tree, &same, r->d);
	if (rc < 0)
		return rc;
	if (*r->res->oid == '\0')
		f->tables_changed = 1;  /* an unborn branch takes them all */
	else if ((rc = layout_tables_same(f->tree, NULL, &f->tables,
	    r->d)) >= 0)
		f->tables_changed = !rc;
	return rc < 0 ? rc : 0;
}

/* full_build - the model against the head's listing, its tables,
 * listing, and the files of the whole commit in a tree */
static int
full_build(const struct run *r, struct full *f)
{
	const struct config *cfg = r->cfg;
	int rc;

	f->second = r->req->live == NULL && r->req->state == NULL;
	rc = listing_head_open(r->sink, NULL, &f->head, r->d);
	if (rc == 0 && !f->second)
		rc = listing_head_all(f->head, 0, &f->prev, r->d);
	rc = rc ? rc : resolve(r, f);
	rc = rc ? rc : render_tables(config_layout_name(cfg->layout), f->m,
	    &f->tables);
	if (rc == 0 && f->second) {
		/* the listing follows once a table is known to change */
		rc = layout_files_tables(&f->files, cfg->table_shards,
		    &f->tables, NULL);
	} else if (rc == 0) {
		rc = routes_from_model(f->m, &f->next);
		rc = rc ? rc : routes_format(&f->next, &f->listing_text);
		rc = rc ? rc : buf_grow(&f->listing_text, 0);
		rc = rc ? rc : routes_diff(&f->prev, &f->next, &f->ch,
		    &f->nch);
		rc = rc ? rc : layout_files_tables(&f->files,
		    cfg->table_shards, &f->tables, &f->listing_text);
	}
	if (rc == 0 && r->req->state)
		rc = add_state(cfg, r->req->state, &f->files);
	return rc ? rc : write_tree(r, f);
}

/* find_changes - the second form's route changes, from the routes
 * shards the tree found not the head's (limit listed) */
static int
find_changes(const struct run *r, struct full *f, size_t limit)
{
	size_t i, n;
	unsigned char *differs;
	int rc;

	if (!f->second || f->found)
		return 0;
	n = listing_shards(f->listing);
	if ((differs = calloc(n, 1)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < f->files.count; i++)
		if (f->files.gens[i].part == LAYOUT_PART_LISTING &&
		    f->files.gens[i].shard < n && f->files.gens[i].differs)
			differs[f->files.gens[i].shard] = 1;
	rc = changes_find(f->head, f->listing, differs, limit, &f->changes,
	    r->d);
	free(differs);
	f->found = rc == 0;
	return rc;
}

/* change_count - every route change */
static size_t
change_count(const struct full *f)
{
	return f->second ? changes_total(&f->changes) : f->nch;
}

/* full_counts - what the guard weighs of a full build */
static void
full_counts(const struct full *f, struct guard_counts *c)
{
	size_t now = model_address_count(f->m);

	c->mailboxes = model_mailbox_count(f->m);
	if (!f->second) {
		c->routed_before = guard_routed(&f->prev);
		c->routed_after = guard_routed(&f->next);
		guard_count_changes(c, f->ch, f->nch);
		return;
	}
	/* nothing of the head counted but what changed */
	c->added = f->changes.routes_added;
	c->removed = f->changes.routes_removed;
	c->routed_after = now;
	c->routed_before = now - c->added + c->removed;
}

/* body_of - the message body of a full build */
static void
body_of(const struct run *r, const struct full *f, struct message_body *b)
{
	memset(b, 0, sizeof *b);
	b->changes = f->second ? f->changes.list : f->ch;
	b->nchanges = f->second ? f->changes.nlist : f->nch;
	if (f->second) {
		b->counted = 1;
		b->added = f->changes.added;
		b->changed = f->changes.changed;
		b->removed = f->changes.removed;
	}
	b->naddresses = model_address_count(f->m);
	b->ndomains = model_domain_count(f->m);
	b->problems = r->problems;
	b->branch = r->cfg->branch;
}

/* print_changes - the route changes, for a dry run */
static int
print_changes(FILE *out, const struct route_change *ch, size_t n)
{
	struct buf line = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		buf_reset(&line);
		rc = routes_describe(&ch[i], &line);
		if (rc == 0)
			fprintf(out, "%s\n", line.data);
	}
	if (n == 0)
		fprintf(out, "no route changes\n");
	buf_free(&line);
	return rc;
}

/* table_diff - the diff of the tables from the head's, when they
 * differ (the listing, made by generators, is not given) */
static int
table_diff(const struct run *r, const struct full *f, struct buf *diff)
{
	struct git_sink_file *v;
	size_t i, n = 0, skip = strlen(LAYOUT_STATE_DIR);
	int rc;

	if (!f->tables_changed)
		return 0;
	if ((v = calloc(f->files.count + 1, sizeof *v)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < f->files.count; i++) {
		const char *path = f->files.files[i].path;

		if (strncmp(path, LAYOUT_STATE_DIR, skip) != 0 ||
		    path[skip] != '/')
			v[n++] = f->files.files[i];
	}
	rc = git_sink_diff(r->sink, v, n, LAYOUT_STATE_DIR, diff, r->d);
	free(v);
	return rc;
}

/* dry_run - what the real run would do, told instead of done: the
 * route changes, the diff of the tables, and the guard's verdict:
 * ERR_HELD when it would hold the change, the real run's answer */
static int
dry_run(const struct run *r, struct full *f)
{
	struct guard_counts counts;
	struct buf diff = BUF_INIT;
	char why[256];
	int rc;

	rc = find_changes(r, f, CHANGES_ALL);
	r->res->changes = change_count(f);
	rc = rc ? rc : print_changes(r->out, f->second ? f->changes.list :
	    f->ch, f->second ? f->changes.nlist : f->nch);
	/* The listing and the state are not tables: left out. */
	rc = rc ? rc : table_diff(r, f, &diff);
	if (rc == 0 && diff.len)
		fwrite(diff.data, 1, diff.len, r->out);
	full_counts(f, &counts);
	if (rc == 0 && f->tables_changed && guard_holds(r->cfg, &counts, why,
	    sizeof why)) {
		if (r->req->force) {
			fprintf(r->out, "held without --force: %s\n", why);
		} else {
			fprintf(r->out, "would be held: %s\n", why);
			r->res->held = 1;
			rc = ERR_HELD;
		}
	}
	buf_free(&diff);
	return rc;
}

/* wants_state - whether the service's state must be committed though
 * no table changed: the head carries no cookie (a resync's commit, or
 * one made by hand), so every start would load the whole directory
 * until the next table change. Only when changes go to the deploy
 * branch: in review it belongs to people. */
static int
wants_state(const struct run *r, const char *base)
{
	const struct publish_request *req = r->req;
	struct message_trailers t;
	struct diag quiet;
	char *msg = NULL;
	int want;

	if (req->state == NULL || req->cookie == NULL || req->dry_run ||
	    *base == '\0' || rollout_target_of(r->cfg, 0) != ROLLOUT_DEPLOY)
		return 0;
	message_trailers_init(&t);
	diag_init(&quiet, NULL);
	want = git_sink_message_at(r->sink, base, &msg, &quiet) == 0 &&
	    message_parse(msg, &t) == 0 && t.cookie == NULL;
	message_trailers_clear(&t);
	free(msg);
	diag_free(&quiet);
	return want;
}

/* save_state - commit the tables as they are with the listing, the
 * state and the cookie, so that the next start resumes from here */
static int
save_state(const struct run *r, const struct full *f)
{
	struct message_body body;
	struct message_trailers t;
	struct buf msg = BUF_INIT;
	int rc;

	body_of(r, f, &body);
	trailers_of(r, r->problems, NULL, NULL, &t);
	rc = message_state_saved(&msg, &body, &t);
	rc = rc ? rc : git_sink_tree_commit(f->tree, msg.data,
	    r->cfg->author_name, r->cfg->author_email, &r->res->state_saved,
	    r->res->oid, r->d);
	buf_free(&msg);
	return rc;
}

/* report_hand_edit - log what the commit to come undoes */
static void
report_hand_edit(const struct config *cfg, const struct handedit *h,
    struct diag *d)
{
	struct buf text = BUF_INIT;

	diag_warn(d, NULL, "publish: hand edit detected on %s: %s",
	    cfg->branch, handedit_summary(h, &text) == 0 ? text.data :
	    "(out of memory)");
	buf_free(&text);
}

/* keep_live - hand the full build to the service's live state, as it
 * stands at head (committed: with its listing and state) */
static void
keep_live(const struct run *r, struct full *f, const char *head,
    int committed)
{
	struct live_build b;

	if (r->req->live == NULL || !live_serves(r->cfg, r->req->state != NULL))
		return;
	b.scan = &f->scan;
	b.model = f->m;
	b.tables = &f->tables;
	b.listing = &f->next;
	b.problems = r->problems;
	b.changes = committed ? NULL : f->ch;
	b.nchanges = committed ? 0 : f->nch;
	/* a failure leaves it unready, which is safe */
	(void)live_capture(r->req->live, r->cfg, &b, head, committed);
}

/* moved_flag - the result's flag for the branch a target moves */
static int *
moved_flag(struct publish_result *res, enum rollout_target target)
{
	switch (target) {
	case ROLLOUT_HOLD:
		return &res->held_commit;
	case ROLLOUT_PROPOSAL:
		return &res->proposed;
	case ROLLOUT_DEPLOY:
		break;
	}
	return &res->committed;
}

/* publish_change - the tables changed: the hand edit it undoes, the
 * guard's verdict, the message, the commit where the rollout says */
static int
publish_change(const struct run *r, struct full *f, const char *base)
{
	const struct config *cfg = r->cfg;
	struct guard_counts counts;
	struct message_body body;
	struct message_trailers t;
	struct handedit hand;
	struct buf msg = BUF_INIT;
	enum rollout_target target;
	char why[256];
	int rc, held;

	handedit_init(&hand);
	rc = find_changes(r, f, MESSAGE_MAX_CHANGES);
	r->res->changes = change_count(f);
	rc = rc ? rc : handedit_find(r->sink, &f->tables, &hand, r->d);
	if (rc < 0)
		goto cleanup;
	if (hand.total)
		report_hand_edit(cfg, &hand, r->d);
	full_counts(f, &counts);
	held = !r->req->force && guard_holds(cfg, &counts, why, sizeof why);
	if (held)
		diag_error(r->d, cfg->branch, "change held: %s; accept it with "
		    "splitsync confirm (or resync --force)", why);
	target = rollout_target_of(cfg, held);
	body_of(r, f, &body);
	body.held = held ? why : NULL;
	body.hand = &hand;
	trailers_of(r, r->problems, target == ROLLOUT_DEPLOY ? NULL : base,
	    &hand, &t);
	rc = message_compose(&msg, &body, &t);
	rc = rc ? rc : rollout_commit(cfg, r->sink, target, base, &f->tables,
	    f->tree, msg.data, r->res->oid, moved_flag(r->res, target), r->d);
	if (held) {
		r->res->held = 1;
		rc = rc ? rc : ERR_HELD;
	} else if (rc == 0 && target == ROLLOUT_DEPLOY) {
		keep_live(r, f, r->res->oid, 1);
	}
cleanup:
	handedit_clear(&hand);
	buf_free(&msg);
	return rc;
}

/* publish_once - one attempt in full: build, render, decide, commit */
static int
publish_once(const struct run *r)
{
	struct full f;
	char base[41] = "";
	int rc;

	/* Whatever happens below, only a capture makes it ready again. */
	live_invalidate(r->req->live);
	memset(&f, 0, sizeof f);
	layout_files_init(&f.files, 0);
	if (git_sink_head(r->sink, base) < 0)
		base[0] = '\0';
	memcpy(r->res->oid, base, sizeof base);
	rc = full_build(r, &f);
	if (rc < 0)
		goto cleanup;
	r->res->changes = f.nch;
	if (r->req->dry_run) {
		rc = dry_run(r, &f);
		goto cleanup;
	}
	if (f.tables_changed) {
		rc = publish_change(r, &f, base);
	} else {
		/* The directory agrees with what is deployed. */
		rc = rollout_settle(r->cfg, r->sink, r->d);
		if (rc == 0 && wants_state(r, base))
			rc = save_state(r, &f);
		if (rc == 0 && r->res->state_saved)
			keep_live(r, &f, r->res->oid, 1);
		else if (rc == 0)
			keep_live(r, &f, base, 0);
	}
cleanup:
	full_clear(&f);
	return rc;
}

/* reset - before an attempt: nothing found yet */
static void
reset(void *ctx)
{
	struct run *r = ctx;

	memset(r->res, 0, sizeof *r->res);
	diag_rewind(r->problems, &r->start);
}

/* attempt - the live state when it can, else in full */
static int
attempt(void *ctx)
{
	struct run *r = ctx;
	int rc = publish_live(r);

	if (rc == LIVE_FULL) {
		reset(r);
		rc = publish_once(r);
	}
	return rc;
}

/* publish_run - every attempt the rollout makes */
int
publish_run(const struct config *cfg, struct git_sink *sink,
    const struct mapping *map, const struct mirror *m,
    const struct publish_request *req, struct diag *problems, FILE *out,
    struct publish_result *res, struct diag *d)
{
	struct run r;
	struct rollout_job job = { reset, attempt, &r, req->dry_run };

	memset(&r, 0, sizeof r);
	r.cfg = cfg;
	r.sink = sink;
	r.map = map;
	r.mir = m;
	r.req = req;
	r.problems = problems;
	r.out = out;
	r.res = res;
	r.d = d;
	diag_mark(problems, &r.start);
	return rollout_run(cfg, sink, &job, d);
}

/* publish_load_state - mirror shards and cookie of the last commit */
int
publish_load_state(const struct config *cfg, struct git_sink *sink,
    struct mirror *m, char **cookie, size_t *cookie_len, struct diag *d)
{
	struct message_trailers t;
	char at[41], *msg = NULL;
	int rc;

	*cookie = NULL;
	*cookie_len = 0;
	if (rollout_resume_point(cfg, sink, at) < 0)
		return 0;
	message_trailers_init(&t);
	rc = snapshot_read_state(sink, at, m, d);
	rc = rc ? rc : git_sink_message_at(sink, at, &msg, d);
	rc = rc ? rc : message_parse(msg, &t);
	if (rc == 0 && t.cookie) {
		if ((*cookie = malloc(t.cookie_len + 1)) == NULL) {
			rc = ERR_NOMEM;
		} else {
			memcpy(*cookie, t.cookie, t.cookie_len);
			(*cookie)[t.cookie_len] = '\0';
			*cookie_len = t.cookie_len;
		}
	}
	message_trailers_clear(&t);
	free(msg);
	return rc;
}
