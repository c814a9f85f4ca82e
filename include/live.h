/*
 * live - the committed routing state kept in memory, updated change by
 * change
 *
 * The service commits one directory change at a time. Rebuilding the
 * whole model for each would cost time in proportion to the directory;
 * live keeps what the last commit holds (table rows and route listing,
 * cut into the shards of table_shards; conflict losers; group entries;
 * directory domains) and recomputes only the addresses a change can
 * touch: the addresses the changed entries claim before and after, in
 * every domain of their family (alias domains), and every other entry
 * that claims one of them, to a closure. Those entries go through the
 * ordinary mapping, model and renderer, so the rows are the ones a full
 * build gives; only the rows of those addresses are replaced.
 *
 * What it does not do incrementally, it hands back (LIVE_FULL): a
 * change of a domain or group entry, a batch or closure larger than a
 * few thousand entries, a state that was not captured or belongs to
 * another commit. The caller then builds everything and captures again.
 *
 * Ownership: a live owns copies of everything it keeps; entries and
 * mirrors given to it are borrowed for the call only.
 */
#ifndef SPLITSYNC_LIVE_H
#define SPLITSYNC_LIVE_H

#include <stddef.h>
#include "build.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "layout.h"
#include "mapping.h"
#include "mirror.h"
#include "model.h"
#include "render.h"
#include "routes.h"

#define LIVE_FULL 1     /* not handled here: build everything */

struct live;

/* Where the state stands after live_apply, against the last commit
 * (batches that changed no table are not committed, so their route
 * changes add up). Rows are borrowed from the live until its next
 * change. */
struct live_update {
	struct route_change *changes;   /* since the last commit, by key */
	size_t nchanges;
	int tables_changed;             /* some table row differs from the
	                                   last commit */
	size_t naddresses;              /* routed addresses now, and */
	size_t naddresses_before;       /* at the last commit */
	size_t ndomains;
};

/* live_new - an empty live, not ready. ERR_NOMEM */
int live_new(struct live **out);
/* live_free - release everything; l may be NULL */
void live_free(struct live *l);
/* live_invalidate - forget the state: the next publish builds in full */
void live_invalidate(struct live *l);
/* live_ready - 1 when the state is that of commit head (hex) */
int live_ready(const struct live *l, const char *head);

/* live_note - id is about to change in the mirror; old is its entry
 * now (NULL: absent; copied). Ignored while not ready. ERR_NOMEM */
int live_note(struct live *l, const char *id, const struct entry *old);

/* What a full build hands the live state. Borrowed for the call,
 * except scan. */
struct live_build {
	struct build_scan *scan;        /* its first pass, taken over (left
	                                   empty) */
	const struct model *model;      /* finished */
	const struct tables *tables;
	const struct routes *listing;
	const struct diag *problems;    /* the diagnostics of the build */
	const struct route_change *changes;     /* from the head's listing
	                                           to listing */
	size_t nchanges;
};

/* live_serves - 1 when the live state can make cfg's commits: sharded
 * tables, rollout direct, the state committed with them (state: the
 * caller commits it) */
int live_serves(const struct config *cfg, int state);

/* live_capture - take the state of build b for cfg, as it stands at
 * commit head: committed says the listing and the state are head's
 * too; else they are written with the next commit, b->changes being
 * what is pending. Nothing is kept unless live_serves. The live is not
 * ready on failure. ERR_NOMEM. */
int live_capture(struct live *l, const struct config *cfg,
    const struct live_build *b, const char *head, int committed);

/* live_apply - apply the noted changes of mir to the state, into *up
 * (clear with live_update_clear). problems receives the diagnostics of
 * the entries recomputed; its nrejected and nconflicts are set to the
 * totals of the whole directory. 0, LIVE_FULL (nothing changed, notes
 * forgotten), or ERR_NOMEM (the live is then not ready). */
int live_apply(struct live *l, const struct config *cfg,
    const struct mapping *map, const struct mirror *mir,
    struct live_update *up, struct diag *problems);
void live_update_clear(struct live_update *up);

/* live_files - the shards changed since the last commit, mir's for the
 * state, into *out, an update set (layout.h) the caller initializes
 * and clears. ERR_NOMEM */
int live_files(struct live *l, const struct mirror *mir,
    struct layout_files *out);
/* live_committed - the files of live_files are in commit head now */
void live_committed(struct live *l, const char *head);

#endif
