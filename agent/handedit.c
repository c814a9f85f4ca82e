/*
 * handedit - tables changed on the branch outside splitsync
 *
 * DESCRIPTION
 *	Walks first parents from the head to splitsync's last own commit,
 *	then compares the two trees file by file (git_sink_each_difference)
 *	and each differing file line by line, as sets: tables are sorted
 *	and their lines unique, and a line is a route whatever its place.
 *	The lines of the next tables are looked up the same way, one set
 *	per table, built once.
 *
 * DIAGNOSTICS
 *	Repository failures are recorded in d by git_sink and returned.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "handedit.h"
#include "layout.h"
#include "log.h"
#include "message.h"

/* One line of a text: borrowed bytes. */
struct span {
	const char *p;
	size_t n;
};

/* The lines of a text, sorted. */
struct lineset {
	struct span *v;
	size_t n;
};

/* A table of the next commit and its lines, built when first needed. */
struct next_table {
	const char *name;
	struct lineset lines;
	int built;
};

struct walk {
	struct handedit *h;
	const struct tables *next;
	struct next_table *cache;       /* one per table of next */
};

/* handedit_init - nothing found */
void
handedit_init(struct handedit *h)
{
	memset(h, 0, sizeof *h);
}

/* handedit_clear - release lines and tables */
void
handedit_clear(struct handedit *h)
{
	size_t i;

	for (i = 0; i < h->nlines; i++)
		free(h->lines[i].line);
	for (i = 0; i < h->ntables; i++)
		free(h->tables[i].name);
	free(h->lines);
	free(h->tables);
	handedit_init(h);
}

/* handedit_is_own - the trailer, and one signature for both roles; a
 * message that cannot be read for lack of memory is not ours */
int
handedit_is_own(const struct git_sink_info *info)
{
	struct message_trailers t;
	int own;

	if (info->message == NULL || info->author_email == NULL ||
	    info->committer_email == NULL ||
	    strcmp(info->author_email, info->committer_email) != 0)
		return 0;
	own = message_parse(info->message, &t) == 0 && t.layout != NULL;
	message_trailers_clear(&t);
	return own;
}

/* span_cmp - bytewise, a prefix first */
static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* lineset_make - the non-empty lines of text, sorted (text must outlive
 * the set); ERR_NOMEM */
static int
lineset_make(const char *text, size_t len, struct lineset *out)
{
	const char *p = text, *end = text + len, *nl;
	size_t n = 0, i = 0;

	out->v = NULL;
	out->n = 0;
	for (p = text; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n += nl > p;
	}
	if (n == 0)
		return 0;
	if ((out->v = malloc(n * sizeof *out->v)) == NULL)
		return ERR_NOMEM;
	for (p = text; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p) {
			out->v[i].p = p;
			out->v[i++].n = (size_t)(nl - p);
		}
	}
	out->n = n;
	qsort(out->v, n, sizeof *out->v, span_cmp);
	return 0;
}

/* lineset_has - whether the set holds the line */
static int
lineset_has(const struct lineset *s, const struct span *line)
{
	return s->n && bsearch(line, s->v, s->n, sizeof *s->v, span_cmp) !=
	    NULL;
}

/* table_entry - the handedit's entry for name, added when new */
static struct handedit_table *
table_entry(struct handedit *h, const char *name)
{
	struct handedit_table *t;

	/* Few tables: a scan will do (paths come in order, so a table's
	 * shards come one after the other). */
	for (t = h->tables; t < h->tables + h->ntables; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	t = realloc(h->tables, (h->ntables + 1) * sizeof *t);
	if (t == NULL)
		return NULL;
	h->tables = t;
	t = &h->tables[h->ntables];
	if ((t->name = strdup(name)) == NULL)
		return NULL;
	t->added = t->removed = 0;
	h->ntables++;
	return t;
}

/* next_lines - the lines of the next commit's table name (NULL: the
 * file goes away); built once */
static int
next_lines(struct walk *w, const char *name, const struct lineset **out)
{
	size_t i;
	int rc;

	*out = NULL;
	if (w->next == NULL)
		return 0;
	for (i = 0; i < w->next->count; i++) {
		if (strcmp(w->next->items[i].name, name) != 0)
			continue;
		if (!w->cache[i].built) {
			rc = lineset_make(w->next->items[i].text.data ?
			    w->next->items[i].text.data : "",
			    w->next->items[i].text.len, &w->cache[i].lines);
			if (rc < 0)
				return rc;
			w->cache[i].built = 1;
		}
		*out = &w->cache[i].lines;
		return 0;
	}
	return 0;
}

/* note_line - count one line edited by hand; keep the first ones */
static int
note_line(struct handedit *h, struct handedit_table *t,
    const struct span *line, int added)
{
	struct handedit_line *v;

	if (added)
		t->added++;
	else
		t->removed++;
	if (h->total++ >= HANDEDIT_KEEP)
		return 0;
	if (h->nlines == 0) {
		h->lines = malloc(HANDEDIT_KEEP * sizeof *h->lines);
		if (h->lines == NULL)
			return ERR_NOMEM;
	}
	v = &h->lines[h->nlines];
	if ((v->line = strndup(line->p, line->n)) == NULL)
		return ERR_NOMEM;
	v->table = t->name;
	v->added = added;
	h->nlines++;
	return 0;
}

/* one_side - lines of a that b lacks; counted when the next commit
 * undoes them (added: next lacks the line; removed: next holds it) */
static int
one_side(struct walk *w, struct handedit_table *t, const struct lineset *a,
    const struct lineset *b, const struct lineset *next, int added)
{
	size_t i, j = 0;
	int c, rc = 0, has;

	for (i = 0; rc == 0 && i < a->n; i++) {
		c = 1;
		while (j < b->n && (c = span_cmp(&b->v[j], &a->v[i])) < 0)
			j++;
		if (j < b->n && c == 0)
			continue;
		if (w->next) {
			has = next && lineset_has(next, &a->v[i]);
			if (has == added)
				continue;
		}
		rc = note_line(w->h, t, &a->v[i], added);
	}
	return rc;
}

/* one_file - a file own and head disagree on */
static int
one_file(const char *path, const char *own, size_t olen, const char *head,
    size_t hlen, void *ctx)
{
	struct walk *w = ctx;
	struct lineset so = { NULL, 0 }, sh = { NULL, 0 };
	const struct lineset *next = NULL;
	struct handedit_table *t;
	struct buf name = BUF_INIT;
	int rc;

	rc = layout_table_of(path, &name);
	rc = rc ? rc : lineset_make(own ? own : "", olen, &so);
	rc = rc ? rc : lineset_make(head ? head : "", hlen, &sh);
	rc = rc ? rc : next_lines(w, name.data, &next);
	if (rc == 0 && (t = table_entry(w->h, name.data)) == NULL)
		rc = ERR_NOMEM;
	rc = rc ? rc : one_side(w, t, &sh, &so, next, 1);
	rc = rc ? rc : one_side(w, t, &so, &sh, next, 0);
	free(so.v);
	free(sh.v);
	buf_free(&name);
	return rc;
}

/* find_own - the last own commit below head into own ("" when none
 * within reach, or when history stops short: a shallow clone); *commits
 * counts those on top of it */
static int
find_own(struct git_sink *sink, const char *head, char own[41],
    size_t *commits, struct diag *d)
{
	struct git_sink_info info;
	struct diag quiet;
	char at[41];
	size_t n;
	int rc = 0, mine = 0;

	own[0] = '\0';
	diag_init(&quiet, NULL);
	memcpy(at, head, sizeof at);
	for (n = 0; !mine && *at && n <= HANDEDIT_DEPTH; n++) {
		if ((rc = git_sink_commit_info(sink, at, &info, &quiet)) < 0)
			break;
		mine = handedit_is_own(&info);
		if (mine) {
			memcpy(own, at, 41);
			*commits = n;
		} else {
			memcpy(at, info.parent, sizeof at);
		}
		git_sink_info_clear(&info);
	}
	if (rc == ERR_INVAL)
		rc = 0;         /* a parent this repository lacks */
	else if (rc < 0)
		diag_error(d, head, "%s", diag_last_error(&quiet));
	diag_free(&quiet);
	return rc;
}

/* handedit_find - own commit, then the files and lines in between */
int
handedit_find(struct git_sink *sink, const struct tables *next,
    struct handedit *h, struct diag *d)
{
	struct walk w;
	char head[41];
	size_t i;
	int rc;

	handedit_init(h);
	if (git_sink_head(sink, head) < 0)
		return 0;
	rc = find_own(sink, head, h->own, &h->commits, d);
	if (rc < 0 || h->own[0] == '\0' || h->commits == 0)
		goto cleanup;
	memset(&w, 0, sizeof w);
	w.h = h;
	w.next = next;
	if (next && next->count &&
	    (w.cache = calloc(next->count, sizeof *w.cache)) == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	rc = git_sink_each_difference(sink, h->own, head, LAYOUT_STATE_DIR,
	    one_file, &w, d);
	if (rc == 0 && h->ntables)
		memcpy(h->head, head, sizeof head);
	for (i = 0; w.cache && i < next->count; i++)
		free(w.cache[i].lines.v);
	free(w.cache);
cleanup:
	if (rc < 0 || h->head[0] == '\0')
		handedit_clear(h);
	return rc;
}

/* handedit_describe - the paragraph of a commit message */
int
handedit_describe(const struct handedit *h, const char *branch,
    struct buf *out)
{
	size_t i;
	int rc;

	if (h->total == 0)
		return 0;
	rc = buf_printf(out, "\nHand edit detected: %zu commit%s on %s since "
	    "splitsync's %.12s changed the tables; restored from the "
	    "directory:\n", h->commits, h->commits == 1 ? "" : "s", branch,
	    h->own);
	for (i = 0; rc == 0 && i < h->nlines; i++) {
		rc = buf_printf(out, "%s: %s: ", h->lines[i].table,
		    h->lines[i].added ? "added by hand, removed" :
		    "removed by hand, restored");
		rc = rc ? rc : log_escape(out, h->lines[i].line);
		rc = rc ? rc : buf_putc(out, '\n');
	}
	if (rc == 0 && h->total > h->nlines)
		rc = buf_printf(out, "... and %zu more lines\n",
		    h->total - h->nlines);
	return rc;
}

/* handedit_summary - one line for the log */
int
handedit_summary(const struct handedit *h, struct buf *out)
{
	size_t i;
	int rc;

	rc = buf_printf(out, "%zu line%s changed outside splitsync since "
	    "%.12s, restored from the directory:", h->total, h->total == 1 ?
	    "" : "s", h->own);
	for (i = 0; rc == 0 && i < h->nlines && i < HANDEDIT_LOG_LINES; i++)
		rc = buf_printf(out, "%s %s: %s: %s", i ? ";" : "",
		    h->lines[i].table, h->lines[i].added ? "added by hand, "
		    "removed" : "removed by hand, restored", h->lines[i].line);
	if (rc == 0 && h->total > i)
		rc = buf_printf(out, "; and %zu more", h->total - i);
	return rc;
}
