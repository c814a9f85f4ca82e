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
};

/* diag_init - empty collection; log may be NULL */
void diag_init(struct diag *d, const struct log *log);
void diag_free(struct diag *d);
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
/* shorthands for the common cases */
#define diag_error(d, where, ...) \
	diag_add((d), DIAG_ERROR, DIAG_GENERAL, (where), __VA_ARGS__)
#define diag_warn(d, where, ...) \
	diag_add((d), DIAG_WARNING, DIAG_GENERAL, (where), __VA_ARGS__)
/* diag_last_error - text of the last error kept, or "" */
const char *diag_last_error(const struct diag *d);

#endif
