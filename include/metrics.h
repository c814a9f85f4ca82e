/*
 * metrics - what the service has done, for monitoring
 *
 * The service counts its work in a struct metrics and writes it, after
 * each event worth knowing, in the Prometheus text format to the file
 * named by metrics_file (for node_exporter's textfile collector):
 * written to a temp name in the same directory, fsynced, renamed, so a
 * reader never sees half a file. resync updates the same file (read
 * back, counters carried on). splitsync status reads it back.
 */
#ifndef SPLITSYNC_METRICS_H
#define SPLITSYNC_METRICS_H

#include <stdint.h>
#include <time.h>
#include "diag.h"

struct metrics {
	uint64_t changes_applied;       /* entries added, changed, removed */
	uint64_t commits;               /* commits, proposals and holds */
	uint64_t reconnects;            /* failed contacts with the source */
	time_t last_sync;               /* last time the source answered in
	                                   full (0: never) */
	time_t last_commit;             /* 0: none yet */
	uint64_t rejected;              /* values refused at the last build */
	uint64_t conflicts;             /* conflicts at the last build */
	int held;                       /* a change is held */
};

/* metrics_write - the file, atomically; ERR_IO (reason in d) */
int metrics_write(const char *path, const struct metrics *m, struct diag *d);
/* metrics_read - parse a file metrics_write wrote. A symbolic link,
 * a FIFO, a device or a file over FILE_MAX_METRICS is refused unread
 * (file_read_named, file.h: ERR_CONFIG); ERR_NOINPUT when it is missing
 * or unreadable, ERR_DATA when it is not ours. */
int metrics_read(const char *path, struct metrics *m, struct diag *d);

#endif
