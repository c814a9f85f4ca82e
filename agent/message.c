/*
 * message - the commit messages splitsync writes, and their trailers
 *
 * DESCRIPTION
 *	message_compose writes the body (summary, changes, conflicts, the
 *	hand edit restored) and the trailers in one fixed order; the
 *	confirm and the state-alone messages are built on it, so every
 *	message splitsync writes comes from here.
 *
 *	message_parse hands the message to git_message_trailers, which
 *	reads the last paragraph as git does. Its parser takes the line
 *	after an empty value for that value ("Key: " then a newline):
 *	such a value is read as empty and the lines it swallowed are
 *	parsed again, so an empty Splitsync-Source never hides the
 *	trailers that follow it.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM only: nothing in a message is an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "errors.h"
#include "log.h"
#include "message.h"

#define HELD_PREFIX "splitsync: held: "

/* The trailers, in the order they are written. */
enum key {
	K_SOURCE, K_LAYOUT, K_REJECTED, K_CONFLICTS, K_BASE, K_HAND_EDIT,
	K_COOKIE, K_HELD, K_CONFIRMED_BY, K_CONFIRMED_AT, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"Splitsync-Source", "Splitsync-Layout", "Splitsync-Rejected",
	"Splitsync-Conflicts", "Splitsync-Base", "Splitsync-Hand-Edit",
	"Splitsync-Cookie", "Splitsync-Held", "Splitsync-Confirmed-By",
	"Splitsync-Confirmed-At"
};

/* message_trailers_init - nothing present */
void
message_trailers_init(struct message_trailers *t)
{
	memset(t, 0, sizeof *t);
}

/* message_trailers_clear - what message_parse allocated */
void
message_trailers_clear(struct message_trailers *t)
{
	free(t->owned_);
	message_trailers_init(t);
}

/* put_cookie - bytes outside printable ASCII and '%' percent-encoded
 * so any cookie survives a commit message */
static int
put_cookie(struct buf *out, const char *cookie, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < len; i++) {
		unsigned char c = (unsigned char)cookie[i];

		if (c <= 0x20 || c >= 0x7f || c == '%') {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = buf_append(out, esc, 3);
		} else {
			rc = buf_putc(out, (char)c);
		}
	}
	return rc;
}

/* put_trailers - every trailer t has, one line each, in key order */
static int
put_trailers(struct buf *out, const struct message_trailers *t)
{
	int rc = 0;

	if (t->layout) {
		rc = buf_printf(out, "%s: ", key_names[K_SOURCE]);
		rc = rc ? rc : log_escape(out, t->source ? t->source : "");
		rc = rc ? rc : buf_printf(out, "\n%s: %s\n%s: %zu\n%s: %zu\n",
		    key_names[K_LAYOUT], t->layout, key_names[K_REJECTED],
		    t->rejected, key_names[K_CONFLICTS], t->conflicts);
	}
	if (rc == 0 && t->base && *t->base)
		rc = buf_printf(out, "%s: %s\n", key_names[K_BASE], t->base);
	if (rc == 0 && t->hand_edit)
		rc = buf_printf(out, "%s: %s\n", key_names[K_HAND_EDIT],
		    t->hand_edit);
	if (rc == 0 && t->cookie) {
		rc = buf_printf(out, "%s: ", key_names[K_COOKIE]);
		rc = rc ? rc : put_cookie(out, t->cookie, t->cookie_len);
		rc = rc ? rc : buf_putc(out, '\n');
	}
	if (rc == 0 && t->held)
		rc = buf_printf(out, "%s: %s\n", key_names[K_HELD], t->held);
	if (rc == 0 && t->confirmed_by)
		rc = buf_printf(out, "%s: %s\n", key_names[K_CONFIRMED_BY],
		    t->confirmed_by);
	if (rc == 0 && t->confirmed_at)
		rc = buf_printf(out, "%s: %s\n", key_names[K_CONFIRMED_AT],
		    t->confirmed_at);
	return rc;
}

/* put_conflicts - the conflicts found, at most as many as route
 * changes are listed */
static int
put_conflicts(struct buf *out, const struct diag *problems)
{
	size_t i, shown = 0, kept = 0, more;
	int rc = 0;

	for (i = 0; rc == 0 && problems && i < problems->count; i++) {
		const struct diag_item *it = &problems->items[i];

		if (it->kind != DIAG_CONFLICT)
			continue;
		kept += it->count;
		if (shown == MESSAGE_MAX_CHANGES)
			continue;
		if (shown == 0)
			rc = buf_puts(out, "\nConflicts (existing routes "
			    "kept):\n");
		shown++;
		rc = rc ? rc : buf_printf(out, "! %s: %s\n", it->where,
		    it->what);
	}
	/* a whole build also counts the conflicts diag could not keep */
	more = kept - shown;
	if (problems && !problems->partial && problems->nconflicts > kept)
		more += problems->nconflicts - kept;
	if (rc == 0 && shown > 0 && more > 0)
		rc = buf_printf(out, "... and %zu more conflicts\n", more);
	return rc;
}

/* message_compose - summary (or why it is held), one line per change,
 * conflicts, hand edit, trailers */
int
message_compose(struct buf *out, const struct message_body *b,
    const struct message_trailers *t)
{
	const struct handedit *hand = b->hand;
	size_t i, add = b->added, del = b->removed, mod = b->changed, total,
	    listed = b->nchanges < MESSAGE_MAX_CHANGES ? b->nchanges :
	    MESSAGE_MAX_CHANGES;
	int rc = 0;

	for (i = 0; !b->counted && i < b->nchanges; i++) {
		if (b->changes[i].op == '+')
			add++;
		else if (b->changes[i].op == '-')
			del++;
		else
			mod++;
	}
	total = b->counted ? add + del + mod : b->nchanges;
	if (b->held)
		rc = buf_printf(out, HELD_PREFIX "%s\n\nConfirm with splitsync "
		    "confirm, or resync --force.\n\n", b->held);
	rc = rc ? rc : buf_printf(out, "splitsync: %zu added, %zu changed, "
	    "%zu removed", add, mod, del);
	if (rc == 0 && hand && hand->total)
		rc = buf_printf(out, ", %zu line%s edited by hand restored",
		    hand->total, hand->total == 1 ? "" : "s");
	rc = rc ? rc : buf_printf(out, " (%zu addresses, %zu domains)\n\n",
	    b->naddresses, b->ndomains);
	for (i = 0; rc == 0 && i < listed; i++) {
		rc = routes_describe(&b->changes[i], out);
		rc = rc ? rc : buf_putc(out, '\n');
	}
	if (rc == 0 && total > listed)
		rc = buf_printf(out, "... and %zu more changes\n",
		    total - listed);
	rc = rc ? rc : put_conflicts(out, b->problems);
	if (rc == 0 && hand)
		rc = handedit_describe(hand, b->branch ? b->branch : "", out);
	rc = rc ? rc : buf_putc(out, '\n');
	return rc ? rc : put_trailers(out, t);
}

/* message_state_saved - the state alone, then the usual message */
int
message_state_saved(struct buf *out, const struct message_body *b,
    const struct message_trailers *t)
{
	int rc;

	rc = buf_puts(out, "splitsync: service state saved (no table "
	    "changed)\n\nThe service's copy of the directory and its cookie, "
	    "so that its next start resumes from here.\n\n");
	return rc ? rc : message_compose(out, b, t);
}

/* message_confirm - "splitsync: confirmed: WHY", who and when, the held
 * change's own summary, lines and trailers, then the confirmation's */
int
message_confirm(struct buf *out, const char *held_msg,
    const struct message_trailers *t, const char *hold_branch,
    const char *branch)
{
	const char *why = held_msg, *rest;
	size_t n;
	int rc;

	if (strncmp(why, HELD_PREFIX, sizeof HELD_PREFIX - 1) == 0)
		why += sizeof HELD_PREFIX - 1;
	n = strcspn(why, "\n");
	/* The held message's second paragraph says how to confirm: the
	 * summary and the changes follow it. */
	rest = strstr(held_msg, "\n\n");
	if (rest && strncmp(held_msg, HELD_PREFIX, sizeof HELD_PREFIX - 1) ==
	    0)
		rest = strstr(rest + 2, "\n\n");
	rest = rest ? rest + 2 : "";
	rc = buf_printf(out, "splitsync: confirmed: %.*s\n\nConfirmed by %s "
	    "at %s: the change held on %s (%.12s) goes onto %s.\n\n", (int)n,
	    why, t->confirmed_by ? t->confirmed_by : "", t->confirmed_at ?
	    t->confirmed_at : "", hold_branch, t->held ? t->held : "", branch);
	rc = rc ? rc : buf_puts(out, rest);
	if (rc == 0 && out->len && out->data[out->len - 1] != '\n')
		rc = buf_putc(out, '\n');
	return rc ? rc : put_trailers(out, t);
}

/* What one parse collects: for each key, the value's place in text. */
struct found {
	struct buf text;        /* the values, each NUL-terminated */
	size_t at[K_COUNT];
	size_t len[K_COUNT];
	int has[K_COUNT];
};

/* decode_cookie - the percent-encoding undone, appended to out */
static int
decode_cookie(struct buf *out, const char *p)
{
	int rc = 0, hi, lo;

	for (; rc == 0 && *p; p++) {
		if (*p == '%' && p[1] && p[2] &&
		    (hi = buf_hexval(p[1])) >= 0 &&
		    (lo = buf_hexval(p[2])) >= 0) {
			rc = buf_putc(out, (char)(hi * 16 + lo));
			p += 2;
		} else {
			rc = buf_putc(out, *p);
		}
	}
	return rc;
}

/* keep - one trailer's value, when the key is splitsync's */
static int
keep(struct found *f, const char *key, const char *value)
{
	size_t k, start;
	int rc;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == K_COUNT)
		return 0;
	start = f->text.len;
	if (k == K_COOKIE)
		rc = decode_cookie(&f->text, value);
	else
		rc = buf_puts(&f->text, value);
	rc = rc ? rc : buf_append(&f->text, "", 1);
	if (rc < 0)
		return rc;
	f->at[k] = start;
	f->len[k] = f->text.len - 1 - start;
	f->has[k] = 1;
	return 0;
}

/* collect - the trailers git finds in msg; depth bounds the reparse of
 * what an empty value swallowed (one line per level at least) */
static int
collect(struct found *f, const char *msg, size_t depth)
{
	git_message_trailer_array arr;
	struct buf again = BUF_INIT;
	size_t i;
	int rc = 0;

	memset(&arr, 0, sizeof arr);
	if (git_message_trailers(&arr, msg) < 0)
		return ERR_NOMEM;
	for (i = 0; rc == 0 && i < arr.count; i++) {
		const char *v = arr.trailers[i].value;

		if (v[0] != '\n') {
			rc = keep(f, arr.trailers[i].key, v);
			continue;
		}
		/* An empty value: the lines after it are trailers of their
		 * own, in a message of their own (a title, then them). */
		rc = keep(f, arr.trailers[i].key, "");
		if (rc == 0 && v[1] && depth > 0) {
			buf_reset(&again);
			rc = buf_printf(&again, "-\n\n%s", v + 1);
			rc = rc ? rc : collect(f, again.data, depth - 1);
		}
	}
	buf_free(&again);
	git_message_trailer_array_free(&arr);
	return rc;
}

/* count_of - a count as status read it: the leading digits, else 0 */
static size_t
count_of(const char *s)
{
	size_t n = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (SIZE_MAX - 9) / 10)
			return SIZE_MAX;
		n = n * 10 + (size_t)(*s - '0');
	}
	return n;
}

/* message_parse - the trailers, once */
int
message_parse(const char *msg, struct message_trailers *out)
{
	const char **fields[K_COUNT] = { NULL };
	struct found f;
	size_t k;
	int rc;

	message_trailers_init(out);
	memset(&f, 0, sizeof f);
	buf_init(&f.text);
	/* libgit2 counts its users: with a repository open this is a
	 * count going up and down */
	if (git_libgit2_init() < 0)
		return ERR_NOMEM;
	rc = collect(&f, msg, K_COUNT * 4);
	git_libgit2_shutdown();
	if (rc < 0 || f.text.len == 0) {
		buf_free(&f.text);
		return rc;
	}
	out->owned_ = buf_steal(&f.text);
	fields[K_SOURCE] = &out->source;
	fields[K_LAYOUT] = &out->layout;
	fields[K_BASE] = &out->base;
	fields[K_HAND_EDIT] = &out->hand_edit;
	fields[K_COOKIE] = &out->cookie;
	fields[K_HELD] = &out->held;
	fields[K_CONFIRMED_BY] = &out->confirmed_by;
	fields[K_CONFIRMED_AT] = &out->confirmed_at;
	for (k = 0; k < K_COUNT; k++) {
		const char *v = out->owned_ + f.at[k];

		if (!f.has[k])
			continue;
		if (k == K_REJECTED)
			out->rejected = count_of(v);
		else if (k == K_CONFLICTS)
			out->conflicts = count_of(v);
		else
			*fields[k] = v;
	}
	out->cookie_len = f.has[K_COOKIE] ? f.len[K_COOKIE] : 0;
	return 0;
}
