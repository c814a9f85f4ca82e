/*
 * status - is routing in step with the directory? (splitsync status)
 *
 * DESCRIPTION
 *	The verdict, as monitoring plugins give it: 0 all is well; 1 the
 *	last build refused values or found conflicts (mail flows, someone
 *	should clean the directory), or the tables were edited by hand on
 *	the branch (the next commit undoes it); 2 a change is held for a
 *	person, or the service has not heard from the directory for longer
 *	than status_max_silence seconds (or never, though it writes
 *	metrics). The branch is "in step" with the directory only when no
 *	change is held, no proposal waits and no hand edit is on top.
 *
 *	It names the branch head, not what is deployed: what the mail
 *	hosts run is their deploy step's to say.
 *
 * DIAGNOSTICS
 *	A repository that cannot be opened is an error (logged); a missing
 *	branch or metrics file is reported in the text, as is a metrics
 *	file that is not one (a link, a FIFO, a device, too large), which
 *	is refused unread.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "handedit.h"
#include "listing.h"
#include "message.h"
#include "metrics.h"
#include "routes.h"
#include "status.h"

/* first_line - print the first line of a message */
static void
first_line(FILE *out, const char *label, const char *oid, const char *msg)
{
	fprintf(out, "%s %.12s: %.*s\n", label, oid, (int)strcspn(msg, "\n"),
	    msg);
}

/* hand_edit - the tables changed by hand since splitsync's last
 * commit, one line (the next commit undoes it) */
static void
hand_edit(FILE *out, const struct config *cfg, const struct handedit *h)
{
	size_t i;

	fprintf(out, "HAND EDIT on %s: %zu commit%s since splitsync's %.12s "
	    "changed", cfg->branch, h->commits, h->commits == 1 ? "" : "s",
	    h->own);
	for (i = 0; i < h->ntables; i++)
		fprintf(out, "%s %s (+%zu -%zu lines)", i ? "," : "",
		    h->tables[i].name, h->tables[i].added,
		    h->tables[i].removed);
	fprintf(out, "\n  the next commit replaces them with what the "
	    "directory gives\n");
}

/* head_routes - the head's listing, either form, without owners */
static int
head_routes(struct git_sink *sink, struct routes *out, struct diag *d)
{
	struct listing_head *h = NULL;
	int rc;

	out->rows = NULL;
	out->count = 0;
	rc = listing_head_open(sink, NULL, &h, d);
	rc = rc ? rc : listing_head_all(h, 1, out, d);
	listing_head_close(h);
	return rc;
}

/* status_report - the report and the verdict */
int
status_report(const struct config *cfg, const struct log *log, FILE *out,
    enum status_verdict *verdict)
{
	struct git_sink *sink = NULL;
	struct routes routes = { NULL, 0 };
	struct handedit hand;
	struct message_trailers trailers;
	struct metrics met;
	struct diag d, quiet;
	char head[41], side[41], *msg = NULL;
	const char *why_not = NULL;
	size_t rejected = 0, conflicts = 0;
	time_t now = time(NULL);
	int rc, held = 0, proposed = 0;

	*verdict = STATUS_OK;
	diag_init(&d, log);
	diag_init(&quiet, NULL);
	handedit_init(&hand);
	/* read only: nothing is created, another user's repository is
	 * read as it is */
	rc = git_sink_open_ext(cfg->repository, cfg->bare, cfg->branch,
	    GIT_SINK_READ, &sink, &d);
	if (rc == ERR_NOTFOUND) {
		fprintf(out, "branch head: nothing yet on %s (no repository at "
		    "%s)\n", cfg->branch, cfg->repository);
		*verdict = STATUS_CRITICAL;
		rc = 0;
	} else if (rc < 0) {
		goto cleanup;
	} else if (git_sink_head(sink, head) < 0) {
		/* splitsync cannot know what the mail hosts run: it names
		 * the branch they deploy. */
		fprintf(out, "branch head: nothing yet on %s\n", cfg->branch);
		*verdict = STATUS_CRITICAL;
	} else if (git_sink_message_at(sink, head, &msg, &quiet) == 0) {
		first_line(out, "branch head", head, msg);
		/* The counts of splitsync's own last commit, not of a hand
		 * edit on top of it. */
		if (handedit_find(sink, NULL, &hand, &quiet) == 0 &&
		    hand.head[0]) {
			free(msg);
			msg = NULL;
			(void)git_sink_message_at(sink, hand.own, &msg, &quiet);
		}
		if (msg && message_parse(msg, &trailers) == 0) {
			rejected = trailers.rejected;
			conflicts = trailers.conflicts;
			message_trailers_clear(&trailers);
		}
		free(msg);
		msg = NULL;
		if (head_routes(sink, &routes, &quiet) == 0)
			(void)routes_print_domains(out, &routes);
	}
	fprintf(out, "refused values: %zu, conflicts: %zu (at the last "
	    "commit; splitsync check lists them)\n", rejected, conflicts);
	if (rejected || conflicts)
		*verdict = STATUS_WARNING;
	if (hand.head[0]) {
		hand_edit(out, cfg, &hand);
		if (*verdict < STATUS_WARNING)
			*verdict = STATUS_WARNING;
		why_not = "the branch was edited by hand";
	}
	if (sink &&
	    git_sink_branch_head(sink, cfg->proposal_branch, side) == 0 &&
	    git_sink_message_at(sink, side, &msg, &quiet) == 0) {
		first_line(out, "proposed", side, msg);
		free(msg);
		msg = NULL;
		proposed = 1;
	}
	if (sink && git_sink_branch_head(sink, cfg->hold_branch, side) == 0 &&
	    git_sink_message_at(sink, side, &msg, &quiet) == 0) {
		first_line(out, "HELD", side, msg);
		fprintf(out, "  accept with: splitsync confirm -c %s\n",
		    cfg->path);
		free(msg);
		msg = NULL;
		*verdict = STATUS_CRITICAL;
		held = 1;
	}
	if (held)
		why_not = "a change is held";
	else if (proposed && why_not == NULL)
		why_not = "a proposal waits for review";
	if (cfg->metrics_file == NULL) {
		fprintf(out, "service: no metrics_file configured\n");
	} else if (metrics_read(cfg->metrics_file, &met, &quiet) < 0) {
		fprintf(out, "service: no metrics in %s: %s\n",
		    cfg->metrics_file, diag_last_error(&quiet));
		*verdict = STATUS_CRITICAL;
	} else {
		if (met.last_commit)
			fprintf(out, "last change applied: %ld s ago\n",
			    (long)(now - met.last_commit));
		if (met.last_sync == 0 || now - met.last_sync >
		    cfg->status_max_silence) {
			fprintf(out, "directory: NO CONTACT for %s (limit %d s)"
			    "\n", met.last_sync ? "too long" : "ever",
			    cfg->status_max_silence);
			*verdict = STATUS_CRITICAL;
		} else if (why_not) {
			fprintf(out, "directory: last answer %ld s ago; not in "
			    "step: %s\n", (long)(now - met.last_sync), why_not);
		} else {
			fprintf(out, "directory: in step, last answer %ld s "
			    "ago\n", (long)(now - met.last_sync));
		}
		fprintf(out, "service: %llu changes applied, %llu commits, "
		    "%llu reconnects\n", (unsigned long long)met.changes_applied,
		    (unsigned long long)met.commits,
		    (unsigned long long)met.reconnects);
	}
	fprintf(out, "verdict: %s\n", *verdict == STATUS_OK ? "ok" :
	    *verdict == STATUS_WARNING ? "warning" : "CRITICAL");
cleanup:
	handedit_clear(&hand);
	routes_clear(&routes);
	git_sink_close(sink);
	diag_free(&quiet);
	diag_free(&d);
	return rc;
}
