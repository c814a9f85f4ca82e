/*
 * syncrepl - the directory's change feed (RFC 4533 content sync)
 *
 * A syncrepl runs one content synchronization search (OpenLDAP's
 * syncprov overlay) under the source's base, on the source's
 * connection, in refreshOnly or refreshAndPersist mode. It never waits
 * for the server: the caller polls the descriptor and calls
 * syncrepl_process, which hands every message already received to the
 * handler, in the order the server sent them.
 *
 * Event loop. libldap reads ahead (TLS records, several messages in
 * one read), so a message can be waiting inside the library while the
 * socket is not readable. syncrepl_process therefore drains the
 * library until it has nothing left, or until it has handled
 * SYNCREPL_BUDGET messages in one call so a large refresh cannot hold
 * the loop; syncrepl_pending then says that more is waiting. So:
 *
 *	struct pollfd p = { syncrepl_fd(s), POLLIN, 0 };
 *	for (;;) {
 *		n = poll(&p, 1, syncrepl_pending(s) ? 0 : timeout);
 *		if (n > 0 || syncrepl_pending(s))
 *			rc = syncrepl_process(s, d);    (0, 1 or < 0)
 *	}
 *
 * Any event on the descriptor (POLLIN, POLLHUP, POLLERR) means "call
 * syncrepl_process". The handle belongs to the syncrepl from start to
 * stop: another operation on it could queue the feed's messages where
 * poll() cannot see them. The descriptor is non-blocking meanwhile, so
 * a message cut short by the network never holds the loop (syncrepl_stop
 * restores it), and gets TCP keepalive. The caller ignores SIGPIPE (the
 * abandon request of syncrepl_stop may meet a server that just left).
 *
 * Callbacks (all optional: NULL skips the call) run only inside
 * syncrepl_process, in message order; a negative return stops
 * processing, is returned by syncrepl_process and ends the syncrepl
 * (every later call returns it again; only syncrepl_stop is left).
 * Ids are entryUUIDs in their string form, lowercase, 8-4-4-4-12.
 *
 *	refresh_begin	a refresh starts: first thing at the first
 *			syncrepl_process, and again when the server made
 *			the cookie useless and the search restarts from
 *			nothing (see below). The caller starts a new set of
 *			"seen" ids.
 *	entry		an entry was added or modified, or came into the
 *			filter or the scope: e is the whole entry (all the
 *			requested attributes, entryUUID included), also
 *			after a rename (new DN, same id). Borrowed for the
 *			call.
 *	present		refresh only: the entry is unchanged since the
 *			cookie (a present state entry, or a syncIdSet with
 *			refreshDeletes FALSE). Present ids that arrive
 *			after the refresh mean nothing and are not passed.
 *	remove		the entry was deleted, or left the filter or the
 *			scope (a delete state entry, or a syncIdSet with
 *			refreshDeletes TRUE). The id may be one the caller
 *			never held: syncprov reports an entry changed
 *			outside the filter as removed.
 *	refresh_done	the refresh is complete. sweep is 1 when every id
 *			the caller holds that was neither given to entry
 *			nor to present since refresh_begin is gone (the
 *			refresh had a present phase, or the search was
 *			sent without a cookie, so everything that exists
 *			was sent); 0 when the server sent explicit removes
 *			and the other ids stand.
 *	cookie		the cookie that now covers everything delivered
 *			(opaque bytes, len > 0, borrowed): the caller
 *			saves it with the state it has applied. During a
 *			refresh the server's cookies are held back (a
 *			state saved half-way through a refresh is not
 *			one the server can resume from): the last one is
 *			passed right after refresh_done, or the start
 *			cookie again when the server sent none (nothing
 *			changed). After the refresh each new cookie is
 *			passed after the callbacks of its message. No
 *			cookie is passed when none is known (an empty
 *			directory the server keeps no state for).
 *
 * A refresh cut short (the syncrepl ends before refresh_done) has
 * delivered true changes but no sweep and no cookie: the state built
 * from it is not one to publish; the next start resumes from the last
 * cookie passed.
 *
 * Cookies. The start cookie is one a syncrepl passed to cookie(), byte
 * for byte (no added newline). One syncprov would not understand (no
 * rid=NNN and csn=<CSN>) is not sent:
 * syncprov answers such a cookie with a complete refresh marked as a
 * delete phase, which would keep ids deleted meanwhile. The search
 * then starts without a cookie (a full refresh, swept), with a warning
 * in d. When the server refuses a cookie, the search restarts by
 * itself without one, after calling refresh_begin: on
 * e-syncRefreshRequired (4096, a cookie older than the server's log),
 * and on unwillingToPerform or protocolError for a search sent with a
 * cookie (syncprov's "consumer state is newer than provider", e.g. a
 * directory restored from a backup). A refusal of a search without a
 * cookie ends the syncrepl with ERR_UNAVAIL.
 */
#ifndef SPLITSYNC_SYNCREPL_H
#define SPLITSYNC_SYNCREPL_H

#include <stddef.h>

#include "diag.h"
#include "entry.h"
#include "ldap_source.h"

#define SYNCREPL_ID_LEN 36      /* 8-4-4-4-12 */
#define SYNCREPL_BUDGET 256     /* messages handled by one process call */
/* TCP keepalive set on the connection so a server that vanished
 * without closing it (host down, network cut) is noticed: the first
 * probe after this idle time, then every interval, given up after
 * count probes (about 60 s in all) */
#define SYNCREPL_KEEPIDLE 30
#define SYNCREPL_KEEPINTVL 10
#define SYNCREPL_KEEPCNT 3

struct syncrepl;

struct syncrepl_handler {
	int (*refresh_begin)(void *ctx);
	int (*entry)(void *ctx, const char *id, const struct entry *e);
	int (*present)(void *ctx, const char *id);
	int (*remove)(void *ctx, const char *id);
	int (*refresh_done)(void *ctx, int sweep);
	int (*cookie)(void *ctx, const char *cookie, size_t len);
};

/* syncrepl_start - send the search: subtree under the source's base,
 * filter (NULL: "(objectClass=*)"), attrs (NULL-terminated; NULL for
 * all user attributes; entryUUID is always added), from cookie (NULL
 * or cookie_len 0: a full refresh), persist 1 for refreshAndPersist,
 * 0 for refreshOnly. h and ctx are borrowed until syncrepl_stop; src
 * must stay open until then. Nothing is called back before the first
 * syncrepl_process. Returns 0 with *out (caller ends it with
 * syncrepl_stop); ERR_INVAL for a filter libldap rejects; ERR_UNAVAIL
 * when the source's connection is gone or the request cannot be sent
 * (the caller opens a new source: libldap would reconnect without
 * binding); ERR_NOMEM. */
int syncrepl_start(struct ldap_source *src, const char *filter,
    const char *const *attrs, const char *cookie, size_t cookie_len,
    int persist, const struct syncrepl_handler *h, void *ctx,
    struct syncrepl **out, struct diag *d);
/* syncrepl_fd - the socket to poll for POLLIN */
int syncrepl_fd(const struct syncrepl *s);
/* syncrepl_process - handle the messages already received, without
 * waiting for more (at most SYNCREPL_BUDGET of them). Returns 0 while
 * the search runs; 1 when a refreshOnly search ended normally (the
 * refresh_done and cookie callbacks have run); ERR_UNAVAIL when the
 * connection is lost or the server ended the search (an error, or any
 * end of a refreshAndPersist search): the caller reconnects and starts
 * again from the last cookie it was given; ERR_CONFIG when the server
 * does not offer content synchronization on this base (no syncprov:
 * retrying will not help); ERR_NOMEM; or a callback's negative return.
 * Once it returned something other than 0, it returns that again. */
int syncrepl_process(struct syncrepl *s, struct diag *d);
/* syncrepl_pending - 1 when syncrepl_process stopped at its budget
 * with messages still waiting in the library: call it again without
 * waiting for the descriptor; else 0 */
int syncrepl_pending(const struct syncrepl *s);
/* syncrepl_refreshing - 1 until the refresh phase is complete */
int syncrepl_refreshing(const struct syncrepl *s);
/* syncrepl_stop - abandon the search if it still runs and free s (NULL
 * is allowed); the source stays open, usable for other operations */
void syncrepl_stop(struct syncrepl *s);

#endif
