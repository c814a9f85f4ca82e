/*
 * message - the commit messages splitsync writes, and their trailers
 *
 * A commit message says what changed, address by address, and ends
 * with trailers ("Key: value" lines in its last paragraph, as git
 * interpret-trailers reads them) that carry what the next run needs:
 *
 *	Splitsync-Source        where the directory was read (escaped)
 *	Splitsync-Layout        the layout; a commit that has it is
 *	                        splitsync's own (handedit.h)
 *	Splitsync-Rejected      values refused at that commit
 *	Splitsync-Conflicts     addresses in conflict at that commit
 *	Splitsync-Base          the deploy head a side commit (proposal,
 *	                        hold) was computed on
 *	Splitsync-Hand-Edit     the head edited by hand the commit restores
 *	Splitsync-Cookie        the service's syncrepl cookie, bytes
 *	                        outside printable ASCII and '%'
 *	                        percent-encoded
 *	Splitsync-Held          the held commit a confirm accepts
 *	Splitsync-Confirmed-By  who confirmed (user@host)
 *	Splitsync-Confirmed-At  when (RFC 3339)
 *
 * Messages are composed here and nowhere else, and parsed here once,
 * with libgit2's git_message_trailers: a trailer-like line anywhere but
 * in the last paragraph is not a trailer.
 */
#ifndef SPLITSYNC_MESSAGE_H
#define SPLITSYNC_MESSAGE_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"
#include "handedit.h"
#include "routes.h"

#define MESSAGE_MAX_CHANGES 1000        /* route changes (and conflicts)
	                                   a message lists */

/* The trailers of one message. Composing, the strings are the
 * caller's; after message_parse, they belong to the struct (release
 * with message_trailers_clear). NULL: the trailer is absent. */
struct message_trailers {
	const char *source;     /* composing: escaped when written; parsed:
	                           as written */
	const char *layout;     /* NULL: none of source, layout, rejected
	                           and conflicts is written (they go
	                           together) */
	size_t rejected;
	size_t conflicts;
	const char *base;       /* a commit id */
	const char *hand_edit;  /* a commit id */
	const char *cookie;     /* decoded; may hold any byte */
	size_t cookie_len;
	const char *held;       /* a commit id */
	const char *confirmed_by;
	const char *confirmed_at;
	char *owned_;           /* what message_parse allocated */
};

/* What the body of a commit message says. Everything borrowed. */
struct message_body {
	const char *held;       /* why the guard holds it; NULL: not held */
	const struct route_change *changes;
	size_t nchanges;
	int counted;            /* 1: the totals below count every change,
	                           changes lists the first ones by key;
	                           0: changes is every change */
	size_t added, changed, removed;
	size_t naddresses;      /* routed addresses, for the summary */
	size_t ndomains;
	const struct diag *problems;    /* its conflicts are listed; NULL:
	                                   none */
	const struct handedit *hand;    /* lines restored; NULL: none */
	const char *branch;     /* the deploy branch, for the hand edit */
};

/* message_trailers_init - every trailer absent */
void message_trailers_init(struct message_trailers *t);
/* message_trailers_clear - release what message_parse allocated; t is
 * then empty again */
void message_trailers_clear(struct message_trailers *t);

/* message_compose - the message of a table change, appended to out:
 * "splitsync: held: WHY" and how to confirm when b->held, the summary
 * ("splitsync: N added, N changed, N removed", the lines restored from
 * a hand edit, the addresses and domains), one line per route change
 * (at most MESSAGE_MAX_CHANGES, then how many more), the conflicts of
 * b->problems (as
 * many), the hand edit restored, then the trailers of t. ERR_NOMEM */
int message_compose(struct buf *out, const struct message_body *b,
    const struct message_trailers *t);

/* message_state_saved - the message of a commit of the service's
 * state alone (no table changed): a paragraph that says so, then what
 * message_compose writes. ERR_NOMEM */
int message_state_saved(struct buf *out, const struct message_body *b,
    const struct message_trailers *t);

/* message_confirm - the message of a confirm, appended to out:
 * "splitsync: confirmed: WHY" (WHY from held_msg, the held commit's
 * message), who and when, the held change's own summary, lines and
 * trailers, then the trailers of t (held, confirmed_by,
 * confirmed_at); hold_branch and branch name the branches. ERR_NOMEM */
int message_confirm(struct buf *out, const char *held_msg,
    const struct message_trailers *t, const char *hold_branch,
    const char *branch);

/* message_parse - the trailers of msg into *out (initialized here; the
 * last of a repeated trailer wins; a count that is not a number is 0).
 * ERR_NOMEM */
int message_parse(const char *msg, struct message_trailers *out);

#endif
