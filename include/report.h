/*
 * report - the data problems of a build, to the log, each once
 *
 * A directory with one bad entry must not flood the log: refused values
 * and conflicts (the DIAG_REJECTED and DIAG_CONFLICT items of a diag)
 * are logged here, not as they are found. Each problem is logged once:
 * the one-shot jobs log every problem of their run once (a fresh
 * report); the service keeps its report across commits and logs a
 * problem when it first appears, not again while the directory keeps
 * it, again once the directory changed it. One entry writes at most
 * REPORT_PER_ENTRY lines of each kind; the rest of its problems make
 * one line with their number. The service ends each report with one
 * line of totals.
 *
 * Ownership: a report is the caller's; the diags given are borrowed.
 */
#ifndef SPLITSYNC_REPORT_H
#define SPLITSYNC_REPORT_H

#include <stddef.h>
#include "diag.h"
#include "log.h"

#define REPORT_PER_ENTRY 5

struct report;

/* report_new - an empty report: nothing reported yet. ERR_NOMEM */
int report_new(struct report **out);
void report_free(struct report *r);

/* What one report_log call did. */
struct report_counts {
	size_t logged;          /* problem lines written */
	size_t fresh;           /* problems not reported before */
	size_t before;          /* problems (values) reported before */
	size_t held_back;       /* problems of an entry past its lines */
};

/* report_log - log the problems of d that r has not reported, and
 * remember every problem of d as reported. When d covers only some
 * places (diag_cover: the service recomputed a few entries), the
 * problems r remembers elsewhere stay; at those places, d's are the
 * whole truth. counts may be NULL. Never fails: out of memory, a
 * problem is logged again later rather than lost. */
void report_log(struct report *r, const struct diag *d,
    const struct log *log, struct report_counts *counts);

#endif
