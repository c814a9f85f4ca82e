/*
 * metrics - what the service has done, in Prometheus text format
 *
 * DIAGNOSTICS
 *	Writing: ERR_IO with "FILE: what failed: why". Reading: what
 *	file_read_named() returns (file.h), ERR_DATA for a file that is
 *	not ours.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "file.h"
#include "metrics.h"

/* One line per metric: name, help, type, value. */
struct metric_def {
	const char *name;
	const char *help;
	const char *type;
};

static const struct metric_def defs[] = {
	{ "splitsync_changes_applied_total",
	    "Directory entries added, changed or removed.", "counter" },
	{ "splitsync_commits_total",
	    "Commits made (deploy, proposal and hold branches).", "counter" },
	{ "splitsync_reconnects_total",
	    "Failed contacts with the directory, each followed by a retry.",
	    "counter" },
	{ "splitsync_last_sync_timestamp_seconds",
	    "When the directory last answered in full.", "gauge" },
	{ "splitsync_last_commit_timestamp_seconds",
	    "When the last commit was made.", "gauge" },
	{ "splitsync_rejected_values",
	    "Directory values refused at the last build.", "gauge" },
	{ "splitsync_conflicts",
	    "Addresses claimed by two entries at the last build.", "gauge" },
	{ "splitsync_held_changes",
	    "1 when a change waits on the hold branch for a person.", "gauge" },
};

#define NDEFS (sizeof defs / sizeof defs[0])

/* values - the struct in the order of defs */
static void
values(const struct metrics *m, uint64_t v[NDEFS])
{
	v[0] = m->changes_applied;
	v[1] = m->commits;
	v[2] = m->reconnects;
	v[3] = (uint64_t)(m->last_sync > 0 ? m->last_sync : 0);
	v[4] = (uint64_t)(m->last_commit > 0 ? m->last_commit : 0);
	v[5] = m->rejected;
	v[6] = m->conflicts;
	v[7] = m->held ? 1 : 0;
}

/* metrics_write - the whole file, atomically */
int
metrics_write(const char *path, const struct metrics *m, struct diag *d)
{
	struct buf text = BUF_INIT;
	uint64_t v[NDEFS];
	size_t i;
	int rc = 0;

	values(m, v);
	for (i = 0; rc == 0 && i < NDEFS; i++)
		rc = buf_printf(&text, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64
		    "\n", defs[i].name, defs[i].help, defs[i].name,
		    defs[i].type, defs[i].name, v[i]);
	rc = rc ? rc : file_write_atomic(path, text.data, text.len, 0644, d);
	buf_free(&text);
	return rc;
}

/* metrics_read - the values back from a file we wrote */
int
metrics_read(const char *path, struct metrics *m, struct diag *d)
{
	uint64_t v[NDEFS] = { 0 };
	char name[128], *text = NULL, *line, *next;
	unsigned long long val;
	size_t i, len, seen = 0;
	int rc;

	memset(m, 0, sizeof *m);
	/* Ours is renamed into place, never a link: one is someone
	 * else's, and may lead to a FIFO or a device. */
	rc = file_read_named(path, "metrics file", FILE_MAX_METRICS,
	    FILE_NOFOLLOW, &text, &len, d);
	if (rc < 0)
		return rc;
	for (line = text; line < text + len; line = next) {
		next = memchr(line, '\n', (size_t)(text + len - line));
		next = next ? next + 1 : text + len;
		if (next[-1] == '\n')
			next[-1] = '\0';
		if (line[0] == '#' || sscanf(line, "%127s %llu", name, &val) != 2)
			continue;
		for (i = 0; i < NDEFS; i++)
			if (strcmp(name, defs[i].name) == 0) {
				v[i] = val;
				seen++;
			}
	}
	free(text);
	if (seen == 0) {
		diag_error(d, path, "metrics: not a splitsync metrics file");
		return ERR_DATA;
	}
	m->changes_applied = v[0];
	m->commits = v[1];
	m->reconnects = v[2];
	m->last_sync = (time_t)v[3];
	m->last_commit = (time_t)v[4];
	m->rejected = v[5];
	m->conflicts = v[6];
	m->held = v[7] != 0;
	return 0;
}
