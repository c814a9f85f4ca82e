/*
 * ldap_search - the paged subtree search of the LDAP source
 *
 * SYNOPSIS
 *	#include "ldap_source.h"
 *
 *	int ldap_source_search(s, filter, attrs, fn, ctx, d)
 *	int ldap_source_search_view(s, filter, set, fn, ctx, d)
 *	int ldap_source_entry(ld, msg, out)
 *
 * DESCRIPTION
 *	One subtree search under the base with the paged results control
 *	(RFC 2696, non-critical: a server without it answers in one go),
 *	page after page until the server returns an empty cookie. Each
 *	page is asked with ldap_search_ext and its messages are taken one
 *	at a time as they arrive (ldap_result, LDAP_MSG_ONE): an entry is
 *	decoded and handed on at once, freed, and the next one read, so
 *	the consumer works while the server is still sending, and memory
 *	holds one message, not one page. The next page is asked as soon as
 *	the result of the current one, with its cookie, has arrived.
 *
 *	The configured page size is what is asked; a page may hold fewer
 *	entries, none at all, or fewer than the rest: only the cookie says
 *	whether more follow. Active Directory caps every page at its
 *	MaxPageSize (1000 by default) and answers a larger request with
 *	full pages of that size and a cookie, so a larger ldap_page_size
 *	costs nothing and is in effect lowered to what the server sends.
 *	Continuation references are ignored (referrals are off; Active
 *	Directory returns some for every search of a domain root).
 *
 *	The operation timeout bounds each page twice: the server is asked
 *	to spend at most that long on it (its time limit), and the waits
 *	for its messages add up to at most that long (the time the
 *	consumer and the follow-ups of ranged attributes take does not
 *	count). A search given up half-way (a timeout, the consumer's
 *	stop, an entry that cannot be read) is abandoned, so the session
 *	stays usable.
 *
 *	Entries go out as a struct entry (ldap_source_search: ranged
 *	attributes read whole and renamed, ldap_range_resolve) or as a
 *	view over an attrset (ldap_source_search_view: the set's names are
 *	what is asked, as attrset_spelling gives them; ldap_entry.c).
 *
 *	The result code of a page is known only after its entries: a page
 *	that ends in a size or time limit has handed on what came before
 *	the limit. Such a search returns ERR_UNAVAIL, and what was handed
 *	on is whole, entry by entry, but not the directory: the caller
 *	keeps nothing of a read that did not return 0.
 *
 * DIAGNOSTICS
 *	Messages read "ldap_source: URI: search under BASE ...".
 *	ERR_UNAVAIL: the search did not complete (size, time or admin
 *	limit, server busy, unavailable or gone, the connection lost, a
 *	page that did not come within the timeout, an invalid paged
 *	results response, a base that does not exist or that access
 *	control hides from the bind identity, which the message names), an
 *	entry that cannot be decoded, or a ranged attribute that cannot be
 *	read whole (see ldap_range). ERR_INVAL: the filter is invalid.
 *	ERR_NOMEM. A negative return of the consumer is returned as it is,
 *	without a message of ours.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>

#include "attrset.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_range.h"
#include "ldap_source.h"
#include "ldap_source_int.h"

/* One search: where its entries go, and how far it got. */
struct search {
	struct ldap_source *s;
	const char *filter;
	char **attrs;                   /* asked */
	entry_source_fn efn;            /* entries, or */
	entry_view_fn vfn;              /* views */
	struct ldap_source__viewer viewer;
	void *ctx;
	struct diag *d;
	size_t entries;                 /* handed on */
	size_t pages;
};

/* seconds - monotonic clock */
static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* next_cookie - the cookie of a page's response control: 1 with the
 * cookie in *cookie (ber_memfree), 0 when the search is over, or an
 * error code */
static int
next_cookie(LDAP *ld, LDAPControl **ctrls, struct berval *cookie)
{
	LDAPControl *c;
	ber_int_t estimate;

	c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	/* no control: the server ignored paging and sent everything */
	if (c == NULL)
		return 0;
	if (c->ldctl_value.bv_len == 0 ||
	    ldap_parse_pageresponse_control(ld, c, &estimate, cookie) !=
	    LDAP_SUCCESS)
		return ERR_UNAVAIL;
	return cookie->bv_len > 0 ? 1 : 0;
}

/* deliver - one entry message to the consumer, as an entry or a view */
static int
deliver(struct search *q, LDAPMessage *msg)
{
	struct ldap_source *s = q->s;
	const struct ldap_range_conn c = { s->ld, s->uri, s->timeout };
	const struct entry_view *v;
	struct entry *e = NULL;
	int rc;

	if (q->vfn != NULL) {
		rc = ldap_source__view(&c, msg, &q->viewer, &v, q->d);
		return rc < 0 ? rc : q->vfn(v, q->ctx);
	}
	rc = ldap_source__convert(s->ld, msg, &e);
	if (rc == ERR_UNAVAIL)
		diag_error(q->d, NULL, "ldap_source: %s: cannot decode an "
		    "entry", s->uri);
	if (rc == 0)
		rc = ldap_range_resolve(s->ld, s->uri, s->timeout, e, q->d);
	if (rc == 0)
		rc = q->efn(e, q->ctx);
	entry_free(e);
	return rc;
}

/* ask - send the request for the page after cookie into *msgid */
static int
ask(struct search *q, const struct berval *cookie, int *msgid)
{
	struct ldap_source *s = q->s;
	struct timeval tv = { s->timeout, 0 };
	LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL };
	char why[512];
	int lrc;

	lrc = ldap_create_page_control(s->ld, s->page_size,
	    (struct berval *)cookie, 0, &page);
	if (lrc != LDAP_SUCCESS)
		return ERR_NOMEM;
	sctrls[0] = page;
	/* tv is the server's time limit here; the waits are ours */
	lrc = ldap_search_ext(s->ld, s->base, LDAP_SCOPE_SUBTREE, q->filter,
	    q->attrs, 0, sctrls, NULL, &tv, LDAP_NO_LIMIT, msgid);
	ldap_control_free(page);
	if (lrc == LDAP_SUCCESS)
		return 0;
	if (lrc == LDAP_FILTER_ERROR) {
		diag_error(q->d, NULL, "ldap_source: invalid filter %s",
		    q->filter);
		return ERR_INVAL;
	}
	if (lrc == LDAP_NO_MEMORY)
		return ERR_NOMEM;
	ldap_source_describe(s->ld, lrc, why, sizeof why);
	diag_error(q->d, NULL, "ldap_source: %s: search under %s failed: %s",
	    s->uri, s->base, why);
	return ERR_UNAVAIL;
}

/* lost - nothing more comes for the page: the connection failed or the
 * wait ran out (lrc LDAP_TIMEOUT) */
static int
lost(struct search *q, int lrc)
{
	struct ldap_source *s = q->s;
	char why[512];

	if (lrc != LDAP_TIMEOUT && ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE,
	    &lrc) != LDAP_OPT_SUCCESS)
		lrc = LDAP_SERVER_DOWN;
	if (lrc == LDAP_NO_MEMORY)
		return ERR_NOMEM;
	ldap_source_describe(s->ld, lrc, why, sizeof why);
	diag_error(q->d, NULL, "ldap_source: %s: search under %s failed: %s",
	    s->uri, s->base, why);
	return ERR_UNAVAIL;
}

/* refused - the page's result says the search did not complete */
static int
refused(struct search *q, int err, const char *matched, const char *errmsg)
{
	struct ldap_source *s = q->s;

	if (err == LDAP_NO_SUCH_OBJECT) {
		/* A server answers so for a base its access control hides
		 * too: say who may not see it. */
		diag_error(q->d, NULL, "ldap_source: %s: search base %s does "
		    "not exist, or access control hides it from %s "
		    "(noSuchObject%s%s)", s->uri, s->base, s->identity,
		    matched && *matched ? ", closest entry " : "",
		    matched && *matched ? matched : "");
		return ERR_UNAVAIL;
	}
	diag_error(q->d, NULL, "ldap_source: %s: search under %s incomplete: "
	    "%s%s%s%s", s->uri, s->base, ldap_err2string(err),
	    errmsg && *errmsg ? " (" : "", errmsg && *errmsg ? errmsg : "",
	    errmsg && *errmsg ? ")" : "");
	return err == LDAP_NO_MEMORY ? ERR_NOMEM : ERR_UNAVAIL;
}

/* finish - the result message of a page: 1 with the next cookie in
 * *cookie, 0 when the search is complete, or an error code */
static int
finish(struct search *q, LDAPMessage *res, struct berval *cookie)
{
	struct ldap_source *s = q->s;
	LDAPControl **rctrls = NULL;
	char *matched = NULL, *errmsg = NULL;
	int lrc, err, rc;

	lrc = ldap_parse_result(s->ld, res, &err, &matched, &errmsg, NULL,
	    &rctrls, 0);
	if (lrc != LDAP_SUCCESS)
		err = lrc;
	if (err != LDAP_SUCCESS) {
		rc = refused(q, err, matched, errmsg);
		goto out;
	}
	rc = next_cookie(s->ld, rctrls, cookie);
	if (rc < 0)
		diag_error(q->d, NULL, "ldap_source: %s: search under %s: "
		    "invalid paged results response", s->uri, s->base);
out:
	/* older libldap versions assert on NULL: test each */
	if (rctrls != NULL)
		ldap_controls_free(rctrls);
	if (matched != NULL)
		ldap_memfree(matched);
	if (errmsg != NULL)
		ldap_memfree(errmsg);
	return rc;
}

/* one_page - the messages of the page asked as msgid, each entry handed
 * on as it comes; 1 with the next cookie in *cookie, 0 when the search
 * is complete, or an error code (the request then abandoned) */
static int
one_page(struct search *q, int msgid, struct berval *cookie)
{
	struct ldap_source *s = q->s;
	struct timeval tv;
	LDAPMessage *res = NULL;
	double waited = 0, left, t0;
	size_t entries = 0;
	int type, rc = 0, over = 0;  /* over: nothing left to abandon */

	while (!over) {
		left = (double)s->timeout - waited;
		tv.tv_sec = left > 0 ? (time_t)left : 0;
		tv.tv_usec = left > 0 ?
		    (suseconds_t)((left - (double)tv.tv_sec) * 1e6) : 0;
		t0 = seconds();
		type = left > 0 ?
		    ldap_result(s->ld, msgid, LDAP_MSG_ONE, &tv, &res) : 0;
		waited += seconds() - t0;
		if (type <= 0) {
			rc = lost(q, type == 0 ? LDAP_TIMEOUT : LDAP_SUCCESS);
			/* a connection that is gone has nothing to drop */
			over = type < 0;
			break;
		}
		switch (type) {
		case LDAP_RES_SEARCH_ENTRY:
			rc = deliver(q, res);
			entries++;
			q->entries++;
			break;
		case LDAP_RES_SEARCH_RESULT:
			rc = finish(q, res, cookie);
			over = 1;
			break;
		default:
			/* references, intermediate responses: not ours */
			break;
		}
		ldap_msgfree(res);
		res = NULL;
		if (rc < 0)
			break;
	}
	/* once its result came, a request is over; else it is dropped,
	 * so that what the server still sends for it is thrown away */
	if (!over)
		ldap_abandon_ext(s->ld, msgid, NULL, NULL);
	if (rc >= 0) {
		q->pages++;
		diag_log(q->d, LOG_LEVEL_DEBUG, "ldap_source: %s: page %zu: "
		    "%zu entries", s->uri, q->pages, entries);
	}
	return rc;
}

/* run - the whole search, page after page; 0 only when complete */
static int
run(struct search *q)
{
	struct ldap_source *s = q->s;
	struct berval cookie = { 0, NULL };
	double start = seconds();
	int rc, msgid, fd = -1;

	if (q->d->log != NULL && q->d->log->level >= LOG_LEVEL_INFO) {
		char list[512];

		ldap_source_attr_list((const char *const *)q->attrs, list,
		    sizeof list);
		diag_log(q->d, LOG_LEVEL_INFO, "ldap_source: %s: searching "
		    "under %s (subtree), filter %s, attributes %s, pages of %d",
		    s->uri, s->base, q->filter, list, s->page_size);
	}
	/* After a lost connection libldap would reconnect without binding:
	 * a search then would be anonymous, and could look complete. */
	if (ldap_get_option(s->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS ||
	    fd < 0) {
		diag_error(q->d, s->uri, "ldap_source: %s: connection lost",
		    s->uri);
		return ERR_UNAVAIL;
	}
	do {
		rc = ask(q, &cookie, &msgid);
		if (cookie.bv_val != NULL)
			ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (rc == 0)
			rc = one_page(q, msgid, &cookie);
	} while (rc == 1);
	if (rc == 0)
		diag_log(q->d, LOG_LEVEL_INFO, "ldap_source: %s: search under "
		    "%s done: %zu entries in %zu pages, %.2f s", s->uri,
		    s->base, q->entries, q->pages, seconds() - start);
	if (cookie.bv_val != NULL)
		ber_memfree(cookie.bv_val);
	return rc;
}

/* ldap_source_search - paged subtree search, entries as struct entry */
int
ldap_source_search(struct ldap_source *s, const char *filter,
    const char *const *attrs, entry_source_fn fn, void *ctx,
    struct diag *d)
{
	static const char *const all[] = { "*", "entryUUID", NULL };
	struct search q;

	memset(&q, 0, sizeof q);
	q.s = s;
	q.filter = filter;
	q.attrs = (char **)(attrs != NULL ? attrs : all);
	q.efn = fn;
	q.ctx = ctx;
	q.d = d;
	return run(&q);
}

/* ldap_source_search_view - paged subtree search, entries as views */
int
ldap_source_search_view(struct ldap_source *s, const char *filter,
    const struct attrset *set, entry_view_fn fn, void *ctx, struct diag *d)
{
	static const char *const none[] = { LDAP_NO_ATTRS, NULL };
	size_t i, n = attrset_count(set);
	struct search q;
	int rc;

	memset(&q, 0, sizeof q);
	q.s = s;
	q.filter = filter;
	q.vfn = fn;
	q.ctx = ctx;
	q.d = d;
	/* an empty list would ask for every attribute */
	if (n == 0) {
		q.attrs = (char **)none;
	} else {
		if (n > SIZE_MAX / sizeof *q.attrs - 1 ||
		    (q.attrs = calloc(n + 1, sizeof *q.attrs)) == NULL)
			return ERR_NOMEM;
		for (i = 0; i < n; i++)
			q.attrs[i] = (char *)attrset_spelling(set, i);
	}
	ldap_source__viewer_init(&q.viewer, set);
	rc = run(&q);
	ldap_source__viewer_free(&q.viewer);
	if (n > 0)
		free(q.attrs);
	return rc;
}

/* ldap_source_entry - one search entry as a struct entry; an entry
 * with a ranged attribute is refused: the rest cannot be asked here */
int
ldap_source_entry(LDAP *ld, LDAPMessage *msg, struct entry **out)
{
	int rc;

	rc = ldap_source__convert(ld, msg, out);
	if (rc == 0 && ldap_range_in(*out)) {
		entry_free(*out);
		*out = NULL;
		rc = ERR_UNAVAIL;
	}
	return rc;
}
