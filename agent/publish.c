/*
 * publish - from the directory copy to a commit
 *
 * DESCRIPTION
 *	publish_model makes two passes over the mirror: domains and groups
 *	first (a mailbox's route may depend on any group), then mailboxes.
 *	Directory domains are added in DN order after the mapping's own,
 *	so the model never depends on the order entries arrived in.
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
 *	Where the change goes: the deploy branch (rollout direct), or the
 *	proposal branch, the deploy head plus one commit (rollout review).
 *	A change that would remove more routes than the guard allows, or
 *	an empty directory facing a branch that routes mail, goes to the
 *	hold branch instead: a broken source far more often than a real
 *	change. When the directory agrees with the deploy head again, both
 *	side branches are deleted. Side commits carry the deploy head they
 *	were computed on (Splitsync-Base), so a confirm never applies a
 *	held change to a head it was not computed for.
 *
 *	With remotes, every attempt starts from the first remote's branch
 *	and ends with a push; a push refused as non-fast-forward means
 *	another agent got there first: fetch, recompute (usually: nothing
 *	left to commit), push again.
 *
 * DIAGNOSTICS
 *	Data problems go to the diag given to publish_model; failures are
 *	recorded in d and returned.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "groups.h"
#include "handedit.h"
#include "live.h"
#include "publish.h"
#include "render.h"
#include "shard.h"
#include "snapshot.h"

#define MESSAGE_MAX_CHANGES 1000
#define PUBLISH_BASE_TRAILER "Splitsync-Base"

/* What the passes over the mirror accumulate. */
struct build {
	const struct mapping *map;
	struct groups *groups;
	struct model *model;
	struct domain_spec *domains;    /* from the directory */
	size_t ndomains, capdomains;
	struct diag *d;
};

/* first_pass - domains and groups */
static int
first_pass(const struct entry *e, void *ctx)
{
	struct build *b = ctx;
	unsigned cls = mapping_classify(b->map, e);
	int rc;

	if (cls & MAPPING_GROUP) {
		rc = groups_add(b->groups, e);
		if (rc < 0)
			return rc;
	}
	if (cls & MAPPING_DOMAIN) {
		if (b->ndomains == b->capdomains) {
			size_t cap = b->capdomains ? b->capdomains * 2 : 8;
			struct domain_spec *p = realloc(b->domains,
			    cap * sizeof *p);

			if (p == NULL)
				return ERR_NOMEM;
			b->domains = p;
			b->capdomains = cap;
		}
		memset(&b->domains[b->ndomains], 0, sizeof *b->domains);
		rc = mapping_domain_from_entry(b->map, e,
		    &b->domains[b->ndomains], b->d);
		if (rc == 0)
			b->ndomains++;
		else if (rc != ERR_DATA)
			return rc;
	}
	return 0;
}

/* origin_cmp - directory domains in DN order */
static int
origin_cmp(const void *a, const void *b)
{
	const struct domain_spec *x = a, *y = b;
	int c = strcmp(x->origin ? x->origin : "", y->origin ? y->origin : "");

	return c ? c : strcmp(x->name, y->name);
}

/* publish_scan_clear - groups and domains of a scan */
void
publish_scan_clear(struct publish_scan *s)
{
	size_t i;

	for (i = 0; i < s->ndomains; i++)
		domain_spec_clear(&s->domains[i]);
	free(s->domains);
	groups_free(s->groups);
	memset(s, 0, sizeof *s);
}

/* second_pass - mailboxes */
static int
second_pass(const struct entry *e, void *ctx)
{
	struct build *b = ctx;
	struct mailbox_spec spec;
	int rc;

	if (!(mapping_classify(b->map, e) & MAPPING_MAILBOX))
		return 0;
	memset(&spec, 0, sizeof spec);
	rc = mapping_mailbox_from_entry(b->map, e, b->groups, &spec, b->d);
	if (rc == 0)
		rc = model_add_mailbox(b->model, &spec, b->d);
	mailbox_spec_clear(&spec);
	return rc == ERR_DATA ? 0 : rc;
}

/* warn_gateway - a gateway cannot hand internal mail on by MX: it is
 * the MX */
static void
warn_gateway(const struct config *cfg, const struct model *m,
    struct diag *d)
{
	size_t i;

	if (strcmp(cfg->layout, "gateway") != 0)
		return;
	for (i = 0; i < model_domain_count(m); i++)
		if (model_domain_at(m, i)->local == NULL)
			diag_warn(d, model_domain_at(m, i)->origin,
			    "domain %s has no local nexthop: the gateway layout "
			    "routes its internal recipients by MX",
			    model_domain_at(m, i)->name);
}

/* build_model - two passes over the mirror into a finished model; the
 * first pass's groups and domains go to keep when given (the service's
 * live state takes them), else they are released */
static int
build_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct publish_scan *keep, struct diag *d)
{
	struct build b;
	struct publish_scan scan;
	size_t i;
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof b);
	b.map = map;
	b.d = d;
	rc = groups_new(&b.groups);
	if (rc == 0)
		rc = model_new(&b.model, (const char *const *)cfg->transports,
		    cfg->ntransports);
	if (rc == 0)
		model_set_max_addresses(b.model, (size_t)cfg->max_addresses);
	rc = rc ? rc : mirror_each(m, first_pass, &b);
	if (rc < 0)
		goto cleanup;
	/* Directory domains in DN order: the order entries arrived in
	 * does not matter. */
	if (b.ndomains)
		qsort(b.domains, b.ndomains, sizeof *b.domains, origin_cmp);
	for (i = 0; i < mapping_domain_count(map); i++) {
		rc = model_add_domain(b.model, mapping_domain_at(map, i), d);
		if (rc < 0 && rc != ERR_DATA)
			goto cleanup;
	}
	for (i = 0; i < b.ndomains; i++) {
		rc = model_add_domain(b.model, &b.domains[i], d);
		if (rc < 0 && rc != ERR_DATA)
			goto cleanup;
	}
	rc = mirror_each(m, second_pass, &b);
	rc = rc ? rc : model_finish(b.model, owner, owner_ctx, d);
	if (rc < 0)
		goto cleanup;
	warn_gateway(cfg, b.model, d);
	*out = b.model;
	b.model = NULL;
cleanup:
	scan.groups = b.groups;
	scan.domains = b.domains;
	scan.ndomains = b.ndomains;
	if (rc == 0 && keep) {
		publish_scan_clear(keep);
		*keep = scan;
	} else {
		publish_scan_clear(&scan);
	}
	model_free(b.model);
	return rc;
}

/* publish_model - two passes over the mirror into a finished model */
int
publish_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct diag *d)
{
	return build_model(cfg, map, m, owner, owner_ctx, out, NULL, d);
}

/* publish_previous_owner - who owned address in a listing */
const char *
publish_previous_owner(const char *address, void *routes)
{
	const struct route_row *row = routes_find(routes, address);

	if (row == NULL)
		return NULL;
	return *row->id ? row->id : row->dn;
}

/* publish_read_routes - the head's listing; empty when there is none */
int
publish_read_routes(struct git_sink *sink, int table_shards,
    struct routes *out, struct diag *d)
{
	struct buf text = BUF_INIT;
	int rc = 0, found = 0, i;

	out->rows = NULL;
	out->count = 0;
	/* The configured form first; the other one when table_shards has
	 * changed since the last commit. */
	for (i = 0; rc == 0 && !found && i < 2; i++) {
		if ((i == 0) == (table_shards != 0))
			rc = snapshot_read_sharded(sink, NULL, ROUTES_PATH
			    SHARD_DIR_SUFFIX, 0, &text, &found, NULL, d);
		else
			rc = snapshot_read_file(sink, NULL, ROUTES_PATH, &text,
			    &found, d);
	}
	if (rc == 0 && found)
		rc = routes_parse(ROUTES_PATH, text.data ? text.data : "",
		    text.len, out, d);
	buf_free(&text);
	return rc;
}

/* routed_rows - how many rows of a listing route an address */
static size_t
routed_rows(const struct routes *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->count; i++)
		if (r->rows[i].key[0] != '@')
			n++;
	return n;
}

/* append_conflicts - the conflicts found, for the commit message, at
 * most as many as route changes are listed */
static int
append_conflicts(struct buf *msg, const struct diag *problems)
{
	size_t i, shown = 0, kept = 0, more;
	int rc = 0;

	for (i = 0; rc == 0 && problems && i < problems->count; i++) {
		const struct diag_item *it = &problems->items[i];

		if (it->kind != DIAG_CONFLICT)
			continue;
		kept += it->count;
		if (shown == MESSAGE_MAX_CHANGES)
			continue;
		if (shown == 0)
			rc = buf_puts(msg, "\nConflicts (existing routes kept):\n");
		shown++;
		rc = rc ? rc : buf_printf(msg, "! %s: %s\n", it->where, it->what);
	}
	/* a whole build also counts the conflicts diag could not keep */
	more = kept - shown;
	if (problems && !problems->partial && problems->nconflicts > kept)
		more += problems->nconflicts - kept;
	if (rc == 0 && shown > 0 && more > 0)
		rc = buf_printf(msg, "... and %zu more conflicts\n", more);
	return rc;
}

/* append_cookie - the trailer, bytes outside printable ASCII and '%'
 * percent-encoded so any cookie survives a commit message */
static int
append_cookie(struct buf *msg, const char *cookie, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int rc;

	rc = buf_puts(msg, PUBLISH_COOKIE_TRAILER ": ");
	for (i = 0; rc == 0 && i < len; i++) {
		unsigned char c = (unsigned char)cookie[i];

		if (c <= 0x20 || c >= 0x7f || c == '%') {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = buf_append(msg, esc, 3);
		} else {
			rc = buf_putc(msg, (char)c);
		}
	}
	return rc ? rc : buf_putc(msg, '\n');
}

/* compose_message - summary (or why it is held), one line per change,
 * conflicts, trailers */
static int
compose_message(struct buf *msg, const char *held, const char *base,
    const struct route_change *ch, size_t n, size_t naddresses,
    size_t ndomains, const struct config *cfg,
    const struct publish_request *req, const struct diag *problems,
    const struct handedit *hand)
{
	size_t i, add = 0, del = 0, mod = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (ch[i].op == '+')
			add++;
		else if (ch[i].op == '-')
			del++;
		else
			mod++;
	}
	if (held)
		rc = buf_printf(msg, "splitsync: held: %s\n\nConfirm with "
		    "splitsync confirm, or resync --force.\n\n", held);
	rc = rc ? rc : buf_printf(msg, "splitsync: %zu added, %zu changed, "
	    "%zu removed", add, mod, del);
	if (rc == 0 && hand && hand->total)
		rc = buf_printf(msg, ", %zu line%s edited by hand restored",
		    hand->total, hand->total == 1 ? "" : "s");
	rc = rc ? rc : buf_printf(msg, " (%zu addresses, %zu domains)\n\n",
	    naddresses, ndomains);
	for (i = 0; rc == 0 && i < n && i < MESSAGE_MAX_CHANGES; i++) {
		rc = routes_describe(&ch[i], msg);
		rc = rc ? rc : buf_putc(msg, '\n');
	}
	if (rc == 0 && n > MESSAGE_MAX_CHANGES)
		rc = buf_printf(msg, "... and %zu more changes\n",
		    n - MESSAGE_MAX_CHANGES);
	rc = rc ? rc : append_conflicts(msg, problems);
	if (rc == 0 && hand)
		rc = handedit_describe(hand, cfg->branch, msg);
	rc = rc ? rc : buf_puts(msg, "\nSplitsync-Source: ");
	rc = rc ? rc : log_escape(msg, req->source ? req->source : "");
	rc = rc ? rc : buf_printf(msg, "\nSplitsync-Layout: %s\n"
	    "Splitsync-Rejected: %zu\nSplitsync-Conflicts: %zu\n", cfg->layout,
	    problems ? problems->nrejected : 0,
	    problems ? problems->nconflicts : 0);
	if (rc == 0 && base && *base)
		rc = buf_printf(msg, PUBLISH_BASE_TRAILER ": %s\n", base);
	if (rc == 0 && hand && hand->total)
		rc = buf_printf(msg, HANDEDIT_TRAILER ": %s\n", hand->head);
	if (rc == 0 && req->cookie)
		rc = append_cookie(msg, req->cookie, req->cookie_len);
	return rc;
}

/* The files of one commit and the buffers behind them. */
struct fileset {
	struct git_sink_file *files;
	size_t count, cap;
	struct buf *bufs;               /* the shards cut here */
	size_t nbufs;
	char **names;                   /* paths made here, one per file */
};

/* fileset_free - release the buffers and paths */
static void
fileset_free(struct fileset *f)
{
	size_t i;

	for (i = 0; i < f->nbufs; i++)
		buf_free(&f->bufs[i]);
	for (i = 0; f->names && i < f->count; i++)
		free(f->names[i]);
	free(f->bufs);
	free(f->names);
	free(f->files);
	memset(f, 0, sizeof *f);
}

/* fileset_add - one file; path copied, data borrowed */
static int
fileset_add(struct fileset *f, const char *path, const char *data,
    size_t len)
{
	if (f->count == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct git_sink_file *nf;
		char **nn;

		nf = realloc(f->files, cap * sizeof *nf);
		if (nf == NULL)
			return ERR_NOMEM;
		f->files = nf;
		nn = realloc(f->names, cap * sizeof *nn);
		if (nn == NULL)
			return ERR_NOMEM;
		f->names = nn;
		f->cap = cap;
	}
	if ((f->names[f->count] = strdup(path)) == NULL)
		return ERR_NOMEM;
	memset(&f->files[f->count], 0, sizeof *f->files);
	f->files[f->count].path = f->names[f->count];
	f->files[f->count].data = data;
	f->files[f->count++].len = len;
	return 0;
}

/* fileset_shards - the n shards of bufs as dir/x/y; empty shards are
 * not committed (fewer objects), except shard 0 of a table or listing:
 * its directory then exists whatever it holds, and an empty table is
 * still a table to deploy */
static int
fileset_shards(struct fileset *f, const struct buf *bufs, size_t n,
    const char *dir, int mirror)
{
	char path[SHARD_PATH_MAX];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		if (bufs[i].len == 0 && (mirror || i > 0))
			continue;
		if (mirror)
			mirror_shard_name(i, n, path, sizeof path);
		else
			rc = shard_path(path, sizeof path, dir, i, n);
		rc = rc ? rc : fileset_add(f, path, bufs[i].data, bufs[i].len);
	}
	return rc;
}

/* fileset_cut - n new buffers holding text cut by key */
static int
fileset_cut(struct fileset *f, const struct buf *text, char sep,
    size_t n, struct buf **out)
{
	struct buf *nb;
	size_t i;

	nb = realloc(f->bufs, (f->nbufs + n) * sizeof *nb);
	if (nb == NULL)
		return ERR_NOMEM;
	f->bufs = nb;
	for (i = 0; i < n; i++)
		buf_init(&f->bufs[f->nbufs + i]);
	*out = &f->bufs[f->nbufs];
	f->nbufs += n;
	return shard_split(text->data ? text->data : "", text->len, sep, n,
	    *out);
}

/* fileset_make - tables, route listing, and the state when given; in
 * shards when the configuration says so */
static int
fileset_make(struct fileset *f, const struct config *cfg,
    const struct tables *t, const struct buf *listing,
    const struct mirror *state)
{
	size_t i, n = (size_t)cfg->table_shards, ns;
	struct buf *cut, *mshards = NULL;
	char dir[SHARD_PATH_MAX];
	int rc = 0;

	memset(f, 0, sizeof *f);
	for (i = 0; rc == 0 && i < t->count; i++) {
		if (n == 0) {
			rc = fileset_add(f, t->items[i].name,
			    t->items[i].text.data, t->items[i].text.len);
			continue;
		}
		snprintf(dir, sizeof dir, "%s%s", t->items[i].name,
		    SHARD_DIR_SUFFIX);
		rc = fileset_cut(f, &t->items[i].text, ' ', n, &cut);
		rc = rc ? rc : fileset_shards(f, cut, n, dir, 0);
	}
	if (rc == 0 && n == 0)
		rc = fileset_add(f, ROUTES_PATH, listing->data, listing->len);
	else if (rc == 0) {
		rc = fileset_cut(f, listing, '\t', n, &cut);
		rc = rc ? rc : fileset_shards(f, cut, n,
		    ROUTES_PATH SHARD_DIR_SUFFIX, 0);
	}
	if (rc == 0 && state) {
		ns = mirror_state_shards(cfg->table_shards);
		rc = mirror_shards(state, ns, &mshards);
		if (rc == 0) {
			/* Adopt the shards so fileset_free releases them. */
			struct buf *nb = realloc(f->bufs,
			    (f->nbufs + ns) * sizeof *nb);

			if (nb == NULL) {
				for (i = 0; i < ns; i++)
					buf_free(&mshards[i]);
				rc = ERR_NOMEM;
			} else {
				f->bufs = nb;
				memcpy(&f->bufs[f->nbufs], mshards,
				    ns * sizeof *nb);
				f->nbufs += ns;
				rc = fileset_shards(f, &f->bufs[f->nbufs - ns],
				    ns, MIRROR_DIR, 1);
			}
			free(mshards);
		}
	}
	if (rc < 0)
		fileset_free(f);
	return rc;
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

/* count_removed - routes a change list takes away */
static size_t
count_removed(const struct route_change *ch, size_t n)
{
	size_t i, removed = 0;

	for (i = 0; i < n; i++)
		if (ch[i].op == '-' && ch[i].old->key[0] != '@')
			removed++;
	return removed;
}

/* count_added - routes a change list adds */
static size_t
count_added(const struct route_change *ch, size_t n)
{
	size_t i, added = 0;

	for (i = 0; i < n; i++)
		if (ch[i].op == '+' && ch[i].new->key[0] != '@')
			added++;
	return added;
}

/* too_many_added - the addition guard, shared by both paths: a branch
 * that routes nothing yet takes its first load whole */
static int
too_many_added(const struct config *cfg, size_t routed, size_t added)
{
	if (routed == 0)
		return 0;
	if (cfg->guard_add_count > 0 && added > (size_t)cfg->guard_add_count)
		return 1;
	return cfg->guard_add_percent > 0 &&
	    added * 100 > (size_t)cfg->guard_add_percent * routed;
}

/* guard - why this change must wait for a person, into why; 0 when it
 * may go */
static int
guard(const struct config *cfg, const struct model *m,
    const struct routes *prev, const struct route_change *ch, size_t n,
    char *why, size_t len)
{
	size_t routed = routed_rows(prev), removed = count_removed(ch, n);
	size_t added = count_added(ch, n);

	if (routed > 0 && model_mailbox_count(m) == 0) {
		snprintf(why, len, "the directory yields no mailbox but the "
		    "branch routes %zu addresses", routed);
		return 1;
	}
	if (cfg->guard_count > 0 && removed > (size_t)cfg->guard_count) {
		snprintf(why, len, "%zu routes would be removed, more than "
		    "guard_max_delete_count = %d", removed, cfg->guard_count);
		return 1;
	}
	if (cfg->guard_percent > 0 && routed > 0 &&
	    removed * 100 > (size_t)cfg->guard_percent * routed) {
		snprintf(why, len, "%zu of %zu routes would be removed, more "
		    "than guard_max_delete_percent = %d%%", removed, routed,
		    cfg->guard_percent);
		return 1;
	}
	if (!too_many_added(cfg, routed, added))
		return 0;
	if (cfg->guard_add_count > 0 && added > (size_t)cfg->guard_add_count)
		snprintf(why, len, "%zu routes would be added, more than "
		    "guard_max_add_count = %d", added, cfg->guard_add_count);
	else
		snprintf(why, len, "%zu routes would be added to %zu, more "
		    "than guard_max_add_percent = %d%%", added, routed,
		    cfg->guard_add_percent);
	return 1;
}

/* push_all - push branches to every remote; deletions for the ones
 * that no longer exist here */
static int
push_all(const struct config *cfg, struct git_sink *sink, struct diag *d)
{
	const char *branches[3];
	unsigned char force[3] = { 0, 1, 1 };
	char oid[41];
	size_t i, j;
	int rc = 0;

	branches[0] = cfg->branch;
	branches[1] = cfg->proposal_branch;
	branches[2] = cfg->hold_branch;
	for (i = 0; rc == 0 && i < cfg->nremotes; i++) {
		for (j = 0; rc == 0 && j < 3; j++) {
			if (git_sink_branch_head(sink, branches[j], oid) == 0)
				rc = git_sink_push(sink, cfg->remotes[i],
				    &branches[j], 1, &force[j], d);
			else if (j > 0)
				rc = git_sink_push_delete(sink, cfg->remotes[i],
				    branches[j], d);
		}
	}
	return rc;
}

/* sync_remote - start from the first remote's branch: another agent or
 * a person may have moved it */
static int
sync_remote(const struct config *cfg, struct git_sink *sink,
    struct diag *d)
{
	char remote[41];
	int rc;

	if (cfg->nremotes == 0)
		return 0;
	rc = git_sink_fetch(sink, cfg->remotes[0], cfg->branch, remote, d);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	/* Local commits the remote lacks are recomputed anyway: the
	 * tables are a function of the directory. */
	return git_sink_reset_to(sink, remote, 1, d);
}

/* delete_side_branches - the proposal and hold branches, when the
 * directory agrees with the deploy head again */
static int
delete_side_branches(const struct config *cfg, struct git_sink *sink,
    struct diag *d)
{
	int rc = git_sink_branch_delete(sink, cfg->proposal_branch, d);

	return rc ? rc : git_sink_branch_delete(sink, cfg->hold_branch, d);
}

/* side_commit - the proposal or hold branch: deploy head plus one
 * commit, moved only when its tables would change */
static int
side_commit(const struct config *cfg, struct git_sink *sink,
    const char *branch, const char *base, const struct tables *t,
    const struct fileset *fs, const char *msg, char oid[41], int *moved,
    struct diag *d)
{
	char cur[41], *old = NULL;
	int rc, differ;

	*moved = 0;
	if (git_sink_branch_head(sink, branch, cur) == 0) {
		/* Same tables on the same base: leave it as it is. */
		rc = git_sink_message_at(sink, cur, &old, d);
		if (rc < 0)
			return rc;
		differ = snapshot_tables_differ(sink, cur, t, cfg->table_shards,
		    d);
		if (differ < 0) {
			free(old);
			return differ;
		}
		if (!differ && base && strstr(old, base) != NULL) {
			free(old);
			memcpy(oid, cur, 41);
			return 0;
		}
		free(old);
	}
	rc = git_sink_commit_on(sink, branch, *base ? base : NULL, fs->files,
	    fs->count, msg, cfg->author_name, cfg->author_email, 1, oid, d);
	if (rc == 0)
		*moved = 1;
	return rc;
}

/* keep_live - hand a full build to the service's live state: only for
 * direct rollout with the state committed, the case the live path
 * serves (a failure leaves it unready, which is safe) */
static void
keep_live(const struct config *cfg, const struct publish_request *req,
    struct publish_scan *scan, const struct model *m, const struct tables *t,
    const struct routes *next, const struct diag *problems,
    const char *head, int committed, const struct route_change *ch,
    size_t nch)
{
	if (req->live == NULL || req->state == NULL || cfg->table_shards == 0 ||
	    strcmp(cfg->rollout, "direct") != 0)
		return;
	(void)live_capture(req->live, cfg, scan, m, t, next, problems, head,
	    committed, ch, nch);
}

/* live_guard - the guard of the full path, on the live counts */
static int
live_guard(const struct config *cfg, const struct live_update *up)
{
	size_t removed = count_removed(up->changes, up->nchanges);
	size_t routed = up->naddresses_before;

	if (routed > 0 && up->naddresses == 0)
		return 1;
	if (cfg->guard_count > 0 && removed > (size_t)cfg->guard_count)
		return 1;
	if (cfg->guard_percent > 0 && routed > 0 &&
	    removed * 100 > (size_t)cfg->guard_percent * routed)
		return 1;
	return too_many_added(cfg, routed,
	    count_added(up->changes, up->nchanges));
}

/* publish_live - one attempt on the live state: only the shards the
 * noted changes touch are written. LIVE_FULL when the full path must
 * run (also whenever the guard would have a say: it holds in full). */
static int
publish_live(const struct config *cfg, struct git_sink *sink,
    const struct mapping *map, const struct mirror *mir,
    const struct publish_request *req, struct diag *problems,
    struct publish_result *res, struct diag *d)
{
	struct live_update up;
	struct live_files files;
	struct buf msg = BUF_INIT;
	char head[41];
	int rc;

	memset(&files, 0, sizeof files);
	if (req->live == NULL || req->dry_run || req->force ||
	    git_sink_head(sink, head) < 0 || !live_ready(req->live, head))
		return LIVE_FULL;
	rc = live_apply(req->live, cfg, map, mir, &up, problems);
	if (rc != 0)
		return rc;
	memcpy(res->oid, head, sizeof head);
	res->changes = up.nchanges;
	res->incremental = 1;
	if (!up.tables_changed)
		goto cleanup;   /* listing and state wait for a table change */
	if (live_guard(cfg, &up)) {
		rc = LIVE_FULL;
		goto cleanup;
	}
	rc = compose_message(&msg, NULL, NULL, up.changes, up.nchanges,
	    up.naddresses, up.ndomains, cfg, req, problems, NULL);
	rc = rc ? rc : live_files(req->live, mir, &files);
	rc = rc ? rc : git_sink_update(sink, files.files, files.count,
	    msg.data, cfg->author_name, cfg->author_email, &res->committed,
	    res->oid, d);
	if (rc == 0)
		live_committed(req->live, res->oid);
cleanup:
	if (rc != 0)
		live_invalidate(req->live);
	live_files_clear(&files);
	live_update_clear(&up);
	buf_free(&msg);
	return rc;
}

/* dry_run - what the real run would do, told instead of done: the
 * route changes, the diff of the tables, and the guard's verdict:
 * ERR_HELD when it would hold the change, the real run's answer */
static int
dry_run(const struct config *cfg, struct git_sink *sink,
    const struct model *m, const struct routes *prev,
    const struct route_change *ch, size_t nch, const struct tables *tables,
    const struct fileset *fs, const struct publish_request *req, FILE *out,
    struct publish_result *res, struct diag *d)
{
	struct buf diff = BUF_INIT;
	char why[256];
	int rc, changed;

	rc = print_changes(out, ch, nch);
	/* The listing and the state are not tables: left out. */
	rc = rc ? rc : git_sink_diff(sink, fs->files, fs->count,
	    ROUTES_STATE_DIR, &diff, d);
	if (rc == 0 && diff.len)
		fwrite(diff.data, 1, diff.len, out);
	changed = rc ? rc : snapshot_tables_differ(sink, NULL, tables,
	    cfg->table_shards, d);
	if (changed < 0)
		rc = changed;
	else if (changed && guard(cfg, m, prev, ch, nch, why, sizeof why)) {
		if (req->force) {
			fprintf(out, "held without --force: %s\n", why);
		} else {
			fprintf(out, "would be held: %s\n", why);
			res->held = 1;
			rc = ERR_HELD;
		}
	}
	buf_free(&diff);
	return rc;
}

/* wants_state - whether the service's state must be committed though
 * no table changed: the head carries no cookie (a resync's commit, or
 * one made by hand), so every start would load the whole directory
 * until the next table change. Only with direct rollout: in review
 * the deploy branch belongs to people. */
static int
wants_state(const struct config *cfg, struct git_sink *sink,
    const struct publish_request *req, const char *base)
{
	struct diag quiet;
	char *msg = NULL;
	int want;

	if (req->state == NULL || req->cookie == NULL || req->dry_run ||
	    *base == '\0' || strcmp(cfg->rollout, "direct") != 0)
		return 0;
	diag_init(&quiet, NULL);
	want = git_sink_message_at(sink, base, &msg, &quiet) == 0 &&
	    strstr(msg, "\n" PUBLISH_COOKIE_TRAILER ": ") == NULL;
	free(msg);
	diag_free(&quiet);
	return want;
}

/* save_state - commit the tables as they are with the listing, the
 * state and the cookie, so that the next start resumes from here */
static int
save_state(const struct config *cfg, struct git_sink *sink,
    const struct fileset *fs, const struct route_change *ch, size_t nch,
    const struct model *m, const struct publish_request *req,
    const struct diag *problems, struct publish_result *res,
    struct diag *d)
{
	struct buf msg = BUF_INIT;
	int rc;

	rc = buf_puts(&msg, "splitsync: service state saved (no table "
	    "changed)\n\nThe service's copy of the directory and its cookie, "
	    "so that its next start resumes from here.\n\n");
	rc = rc ? rc : compose_message(&msg, NULL, NULL, ch, nch,
	    model_address_count(m), model_domain_count(m), cfg, req,
	    problems, NULL);
	rc = rc ? rc : git_sink_commit(sink, fs->files, fs->count, msg.data,
	    cfg->author_name, cfg->author_email, &res->state_saved, res->oid,
	    d);
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

/* publish_once - one attempt: build, render, decide, commit */
static int
publish_once(const struct config *cfg, struct git_sink *sink,
    const struct mapping *map, const struct mirror *mir,
    const struct publish_request *req, struct diag *problems, FILE *out,
    struct publish_result *res, struct diag *d)
{
	struct routes prev = { NULL, 0 }, next = { NULL, 0 };
	struct route_change *ch = NULL;
	struct tables tables = { NULL, 0 };
	struct model *m = NULL;
	struct publish_scan scan = { NULL, NULL, 0 };
	struct fileset fs;
	struct buf listing = BUF_INIT, msg = BUF_INIT;
	struct handedit hand;
	char base[41] = "", why[256];
	size_t nch = 0;
	int rc, changed;

	/* Whatever happens below, only a capture makes it ready again. */
	live_invalidate(req->live);
	memset(&fs, 0, sizeof fs);
	handedit_init(&hand);
	if (git_sink_head(sink, base) < 0)
		base[0] = '\0';
	memcpy(res->oid, base, sizeof base);
	rc = publish_read_routes(sink, cfg->table_shards, &prev, d);
	rc = rc ? rc : build_model(cfg, map, mir, publish_previous_owner,
	    &prev, &m, req->live ? &scan : NULL, problems);
	rc = rc ? rc : render_tables(cfg->layout, m, &tables);
	rc = rc ? rc : routes_from_model(m, &next);
	rc = rc ? rc : routes_format(&next, &listing);
	rc = rc ? rc : buf_grow(&listing, 0);
	rc = rc ? rc : routes_diff(&prev, &next, &ch, &nch);
	rc = rc ? rc : fileset_make(&fs, cfg, &tables, &listing, req->state);
	if (rc < 0)
		goto cleanup;
	res->changes = nch;
	if (req->dry_run) {
		rc = dry_run(cfg, sink, m, &prev, ch, nch, &tables, &fs, req,
		    out, res, d);
		goto cleanup;
	}
	changed = snapshot_tables_differ(sink, NULL, &tables, cfg->table_shards,
	    d);
	if (changed < 0) {
		rc = changed;
		goto cleanup;
	}
	if (!changed) {
		/* The directory agrees with what is deployed. */
		rc = delete_side_branches(cfg, sink, d);
		if (rc == 0 && wants_state(cfg, sink, req, base))
			rc = save_state(cfg, sink, &fs, ch, nch, m, req,
			    problems, res, d);
		if (rc == 0 && res->state_saved)
			keep_live(cfg, req, &scan, m, &tables, &next,
			    problems, res->oid, 1, NULL, 0);
		else if (rc == 0)
			keep_live(cfg, req, &scan, m, &tables, &next,
			    problems, base, 0, ch, nch);
		goto cleanup;
	}
	rc = handedit_find(sink, &tables, &hand, d);
	if (rc < 0)
		goto cleanup;
	if (hand.total)
		report_hand_edit(cfg, &hand, d);
	if (!req->force && guard(cfg, m, &prev, ch, nch, why, sizeof why)) {
		diag_error(d, cfg->branch, "change held: %s; accept it with "
		    "splitsync confirm (or resync --force)", why);
		rc = compose_message(&msg, why, base, ch, nch,
		    model_address_count(m), model_domain_count(m), cfg, req,
		    problems, &hand);
		rc = rc ? rc : side_commit(cfg, sink, cfg->hold_branch, base,
		    &tables, &fs, msg.data, res->oid, &res->held_commit, d);
		rc = rc ? rc : git_sink_branch_delete(sink,
		    cfg->proposal_branch, d);
		res->held = 1;
		rc = rc ? rc : ERR_HELD;
		goto cleanup;
	}
	rc = compose_message(&msg, NULL, strcmp(cfg->rollout, "review") == 0 ?
	    base : NULL, ch, nch, model_address_count(m),
	    model_domain_count(m), cfg, req, problems, &hand);
	if (rc < 0)
		goto cleanup;
	if (strcmp(cfg->rollout, "review") == 0) {
		rc = side_commit(cfg, sink, cfg->proposal_branch, base, &tables,
		    &fs, msg.data, res->oid, &res->proposed, d);
		rc = rc ? rc : git_sink_branch_delete(sink, cfg->hold_branch, d);
	} else {
		rc = git_sink_commit(sink, fs.files, fs.count, msg.data,
		    cfg->author_name, cfg->author_email, &res->committed,
		    res->oid, d);
		rc = rc ? rc : delete_side_branches(cfg, sink, d);
		if (rc == 0)
			keep_live(cfg, req, &scan, m, &tables, &next,
			    problems, res->oid, 1, NULL, 0);
	}
cleanup:
	handedit_clear(&hand);
	fileset_free(&fs);
	free(ch);
	buf_free(&listing);
	buf_free(&msg);
	routes_clear(&prev);
	routes_clear(&next);
	render_tables_free(&tables);
	publish_scan_clear(&scan);
	model_free(m);
	return rc;
}

#define PUBLISH_ATTEMPTS 3

/* publish_run - fetch, build, commit, push; again when pushed aside */
int
publish_run(const struct config *cfg, struct git_sink *sink,
    const struct mapping *map, const struct mirror *m,
    const struct publish_request *req, struct diag *problems, FILE *out,
    struct publish_result *res, struct diag *d)
{
	int rc = 0, pushed, attempt;

	for (attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
		memset(res, 0, sizeof *res);
		diag_free(problems);
		rc = git_sink_refresh(sink, d);
		rc = rc ? rc : sync_remote(cfg, sink, d);
		if (rc == 0) {
			rc = publish_live(cfg, sink, map, m, req, problems, res,
			    d);
			if (rc == LIVE_FULL) {
				diag_free(problems);
				memset(res, 0, sizeof *res);
				rc = publish_once(cfg, sink, map, m, req,
				    problems, out, res, d);
			}
		}
		if (req->dry_run || (rc < 0 && rc != ERR_HELD))
			break;
		/* Held changes are pushed too: reviewers see the hold. */
		pushed = push_all(cfg, sink, d);
		if (pushed == ERR_MOVED)
			continue;
		if (pushed < 0)
			rc = pushed;
		break;
	}
	return rc;
}

#define HELD_PREFIX "splitsync: held: "

/* confirm_message - "splitsync: confirmed: WHY", who and when, the held
 * change's own summary, lines and trailers, then the confirmation's */
static int
confirm_message(struct buf *out, const char *held_msg, const char *held,
    const char *hold_branch, const char *branch, const char *by,
    const char *at)
{
	const char *why = held_msg, *rest;
	size_t n;
	int rc;

	if (strncmp(why, HELD_PREFIX, sizeof HELD_PREFIX - 1) == 0)
		why += sizeof HELD_PREFIX - 1;
	n = strcspn(why, "\n");
	/* The held message's second paragraph says how to confirm: the
	 * summary and the changes follow it. */
	rest = strstr(held_msg, "\n\n");
	if (rest && strncmp(held_msg, HELD_PREFIX, sizeof HELD_PREFIX - 1) ==
	    0)
		rest = strstr(rest + 2, "\n\n");
	rest = rest ? rest + 2 : "";
	rc = buf_printf(out, "splitsync: confirmed: %.*s\n\nConfirmed by %s "
	    "at %s: the change held on %s (%.12s) goes onto %s.\n\n", (int)n,
	    why, by, at, hold_branch, held, branch);
	rc = rc ? rc : buf_puts(out, rest);
	if (rc == 0 && out->len && out->data[out->len - 1] != '\n')
		rc = buf_putc(out, '\n');
	rc = rc ? rc : buf_printf(out, PUBLISH_HELD_TRAILER ": %s\n"
	    PUBLISH_CONFIRMED_BY_TRAILER ": %s\n"
	    PUBLISH_CONFIRMED_AT_TRAILER ": %s\n", held, by, at);
	return rc;
}

/* publish_confirm - accept the held change: a commit on it records who
 * and when, and the deploy branch fast-forwards to that */
int
publish_confirm(const struct config *cfg, struct git_sink *sink,
    const char *by, const char *at, char oid_hex[41], struct diag *d)
{
	char held[41], head[41] = "", oid[41], *msg = NULL, *base;
	struct buf text = BUF_INIT;
	int rc;

	rc = git_sink_refresh(sink, d);
	rc = rc ? rc : sync_remote(cfg, sink, d);
	if (rc < 0)
		return rc;
	if (git_sink_branch_head(sink, cfg->hold_branch, held) < 0) {
		diag_error(d, cfg->hold_branch, "no change is held");
		return ERR_NOTFOUND;
	}
	if (git_sink_head(sink, head) < 0)
		head[0] = '\0';
	rc = git_sink_message_at(sink, held, &msg, d);
	if (rc < 0)
		return rc;
	base = strstr(msg, "\n" PUBLISH_BASE_TRAILER ": ");
	if (*head && (base == NULL || strncmp(base + sizeof
	    PUBLISH_BASE_TRAILER + 2, head, 40) != 0)) {
		diag_error(d, cfg->hold_branch, "the held change was computed "
		    "on another head of %s; run resync again", cfg->branch);
		rc = ERR_MOVED;
		goto cleanup;
	}
	rc = confirm_message(&text, msg, held, cfg->hold_branch, cfg->branch,
	    by, at);
	rc = rc ? rc : git_sink_commit_child(sink, held, text.data,
	    cfg->author_name, cfg->author_email, oid, d);
	rc = rc ? rc : git_sink_fast_forward(sink, oid, d);
	rc = rc ? rc : git_sink_branch_delete(sink, cfg->hold_branch, d);
	rc = rc ? rc : push_all(cfg, sink, d);
	if (rc == 0)
		memcpy(oid_hex, oid, 41);
cleanup:
	buf_free(&text);
	free(msg);
	return rc;
}

/* parse_cookie - the cookie trailer of a commit message, decoded */
static int
parse_cookie(const char *msg, char **cookie, size_t *len)
{
	static const char key[] = "\n" PUBLISH_COOKIE_TRAILER ": ";
	const char *p = strstr(msg, key), *q, *end;
	char *out;
	size_t n = 0;
	int hi, lo;

	*cookie = NULL;
	*len = 0;
	if (p == NULL)
		return 0;
	p += sizeof key - 1;
	end = p + strcspn(p, "\n");
	out = malloc((size_t)(end - p) + 1);
	if (out == NULL)
		return ERR_NOMEM;
	for (q = p; q < end; q++) {
		if (*q == '%' && end - q > 2 && (hi = buf_hexval(q[1])) >= 0 &&
		    (lo = buf_hexval(q[2])) >= 0) {
			out[n++] = (char)(hi * 16 + lo);
			q += 2;
		} else {
			out[n++] = *q;
		}
	}
	out[n] = '\0';
	*cookie = out;
	*len = n;
	return 0;
}

struct load_state {
	struct mirror *m;
	struct diag *d;
};

/* load_one_shard - one committed shard of the state, whatever the
 * shard count it was written with */
static int
load_one_shard(const char *path, const char *data, size_t len, void *ctx)
{
	struct load_state *ls = ctx;

	return mirror_load(ls->m, path, data, len, ls->d);
}

/* publish_load_state - mirror shards and cookie of the last commit */
int
publish_load_state(const struct config *cfg, struct git_sink *sink,
    struct mirror *m, char **cookie, size_t *cookie_len, struct diag *d)
{
	struct load_state ls = { m, d };
	char at[41], *msg = NULL;
	int rc;

	*cookie = NULL;
	*cookie_len = 0;
	if (strcmp(cfg->rollout, "review") != 0 ||
	    git_sink_branch_head(sink, cfg->proposal_branch, at) < 0)
		if (git_sink_head(sink, at) < 0)
			return 0;
	/* Every shard under the directory: the state loads whatever
	 * table_shards wrote it, so changing the setting keeps the state
	 * that goes with the cookie. */
	rc = git_sink_each_file(sink, at, MIRROR_DIR, load_one_shard, &ls, d);
	if (rc == 0) {
		rc = git_sink_message_at(sink, at, &msg, d);
		if (rc == 0)
			rc = parse_cookie(msg, cookie, cookie_len);
	}
	free(msg);
	return rc;
}
