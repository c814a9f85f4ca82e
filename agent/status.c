/*
 * status - is routing in step with the directory? (splitsync status)
 *
 * DESCRIPTION
 *	The verdict, as monitoring plugins give it: 0 all is well; 1 the
 *	last build refused values or found conflicts (mail flows, someone
 *	should clean the directory); 2 a change is held for a person, or
 *	the service has not heard from the directory for longer than
 *	status_max_silence seconds (or never, though it writes metrics).
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
#include "metrics.h"
#include "publish.h"
#include "routes.h"
#include "status.h"

/* trailer - the numeric value of "Name: N" in a commit message */
static unsigned long
trailer(const char *msg, const char *name)
{
	const char *p = msg;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == msg || p[-1] == '\n') && p[n] == ':')
			return strtoul(p + n + 1, NULL, 10);
		p += n;
	}
	return 0;
}

/* first_line - print the first line of a message */
static void
first_line(FILE *out, const char *label, const char *oid, const char *msg)
{
	fprintf(out, "%s %.12s: %.*s\n", label, oid, (int)strcspn(msg, "\n"),
	    msg);
}

/* domain_counts - internal and external addresses per domain */
static void
domain_counts(FILE *out, const struct routes *r)
{
	size_t i, j, in, ex;
	const char *dom;

	for (i = 0; i < r->count; i++) {
		if (r->rows[i].key[0] != '@' ||
		    strcmp(r->rows[i].kind, "alias-domain") == 0)
			continue;
		dom = r->rows[i].key + 1;
		in = ex = 0;
		for (j = 0; j < r->count; j++) {
			const char *at = strchr(r->rows[j].key, '@');

			if (r->rows[j].key[0] == '@' || at == NULL ||
			    strcmp(at + 1, dom) != 0)
				continue;
			if (strcmp(r->rows[j].kind, "external") == 0)
				ex++;
			else
				in++;
		}
		fprintf(out, "domain %s: %zu internal, %zu external, unknown "
		    "recipients %s\n", dom, in, ex, strcmp(r->rows[i].kind,
		    "unknown-relay") == 0 ? "relayed" : "rejected");
	}
}

/* status_report - the report and the verdict */
int
status_report(const struct config *cfg, const struct log *log, FILE *out,
    enum status_verdict *verdict)
{
	struct git_sink *sink = NULL;
	struct routes routes = { NULL, 0 };
	struct metrics met;
	struct diag d, quiet;
	char head[41], side[41], *msg = NULL;
	unsigned long rejected = 0, conflicts = 0;
	time_t now = time(NULL);
	int rc;

	*verdict = STATUS_OK;
	diag_init(&d, log);
	diag_init(&quiet, NULL);
	/* read only: nothing is created, another user's repository is
	 * read as it is */
	rc = git_sink_open_ext(cfg->repository, cfg->bare, cfg->branch,
	    GIT_SINK_READ, &sink, &d);
	if (rc == ERR_NOTFOUND) {
		fprintf(out, "deployed: nothing yet on %s (no repository at "
		    "%s)\n", cfg->branch, cfg->repository);
		*verdict = STATUS_CRITICAL;
		rc = 0;
	} else if (rc < 0) {
		goto cleanup;
	} else if (git_sink_head(sink, head) < 0) {
		fprintf(out, "deployed: nothing yet on %s\n", cfg->branch);
		*verdict = STATUS_CRITICAL;
	} else if (git_sink_message_at(sink, head, &msg, &quiet) == 0) {
		first_line(out, "deployed", head, msg);
		rejected = trailer(msg, "Splitsync-Rejected");
		conflicts = trailer(msg, "Splitsync-Conflicts");
		free(msg);
		msg = NULL;
		if (publish_read_routes(sink, cfg->table_shards, &routes,
		    &quiet) == 0)
			domain_counts(out, &routes);
	}
	fprintf(out, "refused values: %lu, conflicts: %lu (at the last "
	    "commit; splitsync check lists them)\n", rejected, conflicts);
	if (rejected || conflicts)
		*verdict = STATUS_WARNING;
	if (sink &&
	    git_sink_branch_head(sink, cfg->proposal_branch, side) == 0 &&
	    git_sink_message_at(sink, side, &msg, &quiet) == 0) {
		first_line(out, "proposed", side, msg);
		free(msg);
		msg = NULL;
	}
	if (sink && git_sink_branch_head(sink, cfg->hold_branch, side) == 0 &&
	    git_sink_message_at(sink, side, &msg, &quiet) == 0) {
		first_line(out, "HELD", side, msg);
		fprintf(out, "  accept with: splitsync confirm -c %s\n",
		    cfg->path);
		free(msg);
		msg = NULL;
		*verdict = STATUS_CRITICAL;
	}
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
	routes_clear(&routes);
	git_sink_close(sink);
	diag_free(&quiet);
	diag_free(&d);
	return rc;
}
