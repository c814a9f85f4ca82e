/*
 * diag - problems found while reading configuration and data
 *
 * Every module reports what went wrong here instead of printing it: a
 * configuration error as "file:line: what", a data problem with the
 * entry's DN. The caller decides what to show (logs, check, commit
 * message). All problems are counted; at most DIAG_KEEP items are kept in
 * memory so a directory full of bad values cannot exhaust memory.
 * Texts are stored with control characters escaped.
 */
#ifndef SPLITSYNC_DIAG_H
#define SPLITSYNC_DIAG_H

#include <stddef.h>
#include "log.h"

#define DIAG_KEEP 10000

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTICE };

enum diag_kind {
	DIAG_GENERAL,   /* configuration, I/O, server */
	DIAG_REJECTED,  /* a directory value was refused */
	DIAG_CONFLICT   /* two entries claim one address */
};

struct diag_item {
	enum diag_level level;
	enum diag_kind kind;
	char *where;    /* "file:line", a DN, or "" */
	char *what;
	size_t count;   /* values it stands for: 1, more for one item
	                   that sums up many (diag_add_count) */
};

struct diag {
	struct diag_item *items;
	size_t count;           /* items kept */
	size_t cap;
	size_t nerrors;         /* all errors, kept or not */
	size_t nwarnings;
	size_t nrejected;       /* values refused, kept or not */
	size_t nconflicts;      /* addresses in conflict, kept or not */
	const struct log *log;  /* borrowed; when set, items are logged as added */
	int quiet_data;         /* refused values and conflicts are not
	                           logged as added: a report logs them */
	int partial;            /* the items cover only the places named
	                           by diag_cover (the rest is unchanged) */
	char **covered;         /* escaped as where is */
	size_t ncovered, capcovered;
};

/* diag_init - empty collection; log may be NULL */
void diag_init(struct diag *d, const struct log *log);
/* diag_free - release every item and cover; log and quiet_data stay, so
 * d can be used again */
void diag_free(struct diag *d);
/* What a diag held at one moment, to come back to (diag_rewind). */
struct diag_mark {
	size_t count, nerrors, nwarnings, nrejected, nconflicts, ncovered;
	int partial;
};

/* diag_mark - where d stands now into *m */
void diag_mark(const struct diag *d, struct diag_mark *m);
/* diag_rewind - forget everything added to d since m was taken (items,
 * counts, covers): a computation that starts over reports again */
void diag_rewind(struct diag *d, const struct diag_mark *m);
/* diag_cover - the items of d cover where (a DN, escaped as items
 * are): what d holds there is all there is; a d with covers covers
 * nothing else. ERR_NOMEM */
int diag_cover(struct diag *d, const char *where);
/* diag_add - record one problem; never fails (an item that cannot be
 * stored is still counted). where may be NULL. */
void diag_add(struct diag *d, enum diag_level level, enum diag_kind kind,
    const char *where, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* diag_add_count - one item standing for count problems of its kind
 * (e.g. "49000 addresses refused"): counted count times, stored and
 * logged once */
void diag_add_count(struct diag *d, enum diag_level level,
    enum diag_kind kind, const char *where, size_t count, const char *fmt,
    ...)
	__attribute__((format(printf, 6, 7)));
/* diag_log - a line for the attached log only (what happened, not a
 * problem: a connection, a search and its size): nothing is stored or
 * counted, and without a log nothing happens */
void diag_log(const struct diag *d, enum log_level level, const char *fmt,
    ...)
	__attribute__((format(printf, 3, 4)));
/* shorthands for the common cases */
#define diag_error(d, where, ...) \
	diag_add((d), DIAG_ERROR, DIAG_GENERAL, (where), __VA_ARGS__)
#define diag_warn(d, where, ...) \
	diag_add((d), DIAG_WARNING, DIAG_GENERAL, (where), __VA_ARGS__)
/* diag_last_error - text of the last error kept, or "" */
const char *diag_last_error(const struct diag *d);

#endif
