/*
 * diag - problems found while reading configuration and data
 *
 * DIAGNOSTICS
 *	Never fails: an item that cannot be stored is still counted (and
 *	logged when a log is attached).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vec.h"
#include "diag.h"
#include "errors.h"

/* diag_init - empty collection */
void
diag_init(struct diag *d, const struct log *log)
{
	memset(d, 0, sizeof *d);
	d->log = log;
}

/* diag_free - release every item and cover */
void
diag_free(struct diag *d)
{
	int quiet = d->quiet_data;
	size_t i;

	for (i = 0; i < d->count; i++) {
		free(d->items[i].where);
		free(d->items[i].what);
	}
	free(d->items);
	for (i = 0; i < d->ncovered; i++)
		free(d->covered[i]);
	free(d->covered);
	diag_init(d, d->log);
	d->quiet_data = quiet;
}

/* diag_mark - where d stands now */
void
diag_mark(const struct diag *d, struct diag_mark *m)
{
	m->count = d->count;
	m->nerrors = d->nerrors;
	m->nwarnings = d->nwarnings;
	m->nrejected = d->nrejected;
	m->nconflicts = d->nconflicts;
	m->ncovered = d->ncovered;
	m->partial = d->partial;
}

/* diag_rewind - back to m: what came since is released */
void
diag_rewind(struct diag *d, const struct diag_mark *m)
{
	while (d->count > m->count) {
		d->count--;
		free(d->items[d->count].where);
		free(d->items[d->count].what);
	}
	while (d->ncovered > m->ncovered)
		free(d->covered[--d->ncovered]);
	d->nerrors = m->nerrors;
	d->nwarnings = m->nwarnings;
	d->nrejected = m->nrejected;
	d->nconflicts = m->nconflicts;
	d->partial = m->partial;
}

/* diag_cover - d's items are all there is at where */
int
diag_cover(struct diag *d, const char *where)
{
	char *c;

	if (vec_grow((void **)&d->covered, &d->capcovered, d->ncovered,
	    sizeof *d->covered) < 0 || (c = strdup(where)) == NULL)
		return ERR_NOMEM;
	d->covered[d->ncovered++] = c;
	d->partial = 1;
	return 0;
}

/* escaped_copy - a copy with control characters escaped, or NULL */
static char *
escaped_copy(const char *s)
{
	struct buf b = BUF_INIT;

	if (log_escape(&b, s) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* store - keep one item when there is room; ownership of texts taken */
static void
store(struct diag *d, enum diag_level level, enum diag_kind kind,
    char *where, char *what, size_t count)
{
	struct diag_item *items;
	size_t cap;

	if (where == NULL || what == NULL || d->count >= DIAG_KEEP)
		goto drop;
	if (d->count == d->cap) {
		cap = d->cap ? d->cap * 2 : 16;
		items = realloc(d->items, cap * sizeof *items);
		if (items == NULL)
			goto drop;
		d->items = items;
		d->cap = cap;
	}
	d->items[d->count].level = level;
	d->items[d->count].kind = kind;
	d->items[d->count].where = where;
	d->items[d->count].what = what;
	d->items[d->count].count = count;
	d->count++;
	return;
drop:
	free(where);
	free(what);
}

/* vadd - record, count and possibly log one item standing for count */
static void
vadd(struct diag *d, enum diag_level level, enum diag_kind kind,
    const char *where, size_t count, const char *fmt, va_list ap)
{
	static const enum log_level to_log[] = {
		LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_NOTICE
	};
	char text[2048];
	char *w, *t;

	vsnprintf(text, sizeof text, fmt, ap);
	if (level == DIAG_ERROR)
		d->nerrors++;
	else if (level == DIAG_WARNING)
		d->nwarnings++;
	if (kind == DIAG_REJECTED)
		d->nrejected += count;
	else if (kind == DIAG_CONFLICT)
		d->nconflicts += count;
	w = escaped_copy(where ? where : "");
	t = escaped_copy(text);
	if (d->log && !(d->quiet_data && (kind == DIAG_REJECTED ||
	    kind == DIAG_CONFLICT))) {
		if (w && *w)
			log_msg(d->log, to_log[level], "%s: %s", w, t ? t : text);
		else
			log_msg(d->log, to_log[level], "%s", t ? t : text);
	}
	store(d, level, kind, w, t, count);
}

/* diag_add - record, count and possibly log one problem */
void
diag_add(struct diag *d, enum diag_level level, enum diag_kind kind,
    const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, level, kind, where, 1, fmt, ap);
	va_end(ap);
}

/* diag_add_count - one item for count problems */
void
diag_add_count(struct diag *d, enum diag_level level, enum diag_kind kind,
    const char *where, size_t count, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, level, kind, where, count, fmt, ap);
	va_end(ap);
}

/* diag_log - forward one line to the attached log */
void
diag_log(const struct diag *d, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (d->log == NULL || level > d->log->level)
		return;
	va_start(ap, fmt);
	log_vmsg(d->log, level, fmt, ap);
	va_end(ap);
}

/* diag_last_error - text of the last error kept */
const char *
diag_last_error(const struct diag *d)
{
	size_t i;

	for (i = d->count; i > 0; i--)
		if (d->items[i - 1].level == DIAG_ERROR)
			return d->items[i - 1].what;
	return "";
}
