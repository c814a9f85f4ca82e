/*
 * syncrepl - the directory's change feed (RFC 4533 content sync)
 *
 * DESCRIPTION
 *	One content synchronization search on the source's connection.
 *	libldap's ldap_sync_* API is not used: ldap_sync_init waits for
 *	the whole refresh phase before it returns, and ldap_sync_poll
 *	takes a whole chain of received messages but parses only its
 *	first one. The messages are read here one at a time with
 *	ldap_result(LDAP_MSG_ONE) and a zero timeout, which returns what
 *	the library already holds before it looks at the socket, and
 *	decoded with liblber. The request control is critical and carries
 *	no reloadHint (FALSE, the default).
 *
 *	What each message does (syncprov's choices in brackets):
 *	  entry, state add or modify	entry(id, whole entry)
 *	  entry, state present		present(id) during the refresh
 *	  entry, state delete		remove(id)
 *	  syncIdSet, refreshDeletes	remove(id) for each id [session
 *	  TRUE				log replay, one id per message]
 *	  syncIdSet, refreshDeletes	present(id) for each id during the
 *	  FALSE				refresh [cookie older than the log]
 *	  refreshPresent		a present phase happened; with
 *					refreshDone TRUE (the default) the
 *					refresh ends, swept
 *	  refreshDelete		with refreshDone TRUE the refresh
 *					ends, swept only if a present phase
 *					came first or no cookie was sent
 *	  newCookie			cookie
 *	  searchResultDone, success	refreshOnly: its syncDone control
 *					ends the refresh (refreshDeletes
 *					FALSE, the default, means swept)
 *					and the search: 1. refreshAndPersist:
 *					the server ended it: ERR_UNAVAIL
 *	  searchResultDone, 4096	restart without a cookie
 *	  unwillingToPerform,		restart without a cookie when one
 *	  protocolError			was sent, else ERR_UNAVAIL
 *	  unavailableCriticalExtension	ERR_CONFIG (no syncprov)
 *	  any other result		ERR_UNAVAIL
 *	A cookie in any of them is taken after its callbacks. References
 *	and other intermediate responses are ignored.
 *
 * DIAGNOSTICS
 *	Messages read "syncrepl: URI: what failed: why". A lost
 *	connection, an error result or a message that cannot be decoded
 *	is ERR_UNAVAIL (a search still open on the server, as after a bad
 *	message or a callback's error, is abandoned by syncrepl_stop). A
 *	start cookie syncprov would not understand, and a cookie the
 *	server refused, are warnings: the refresh starts from nothing.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <lber.h>
#include <ldap.h>

#include "diag.h"
#include "entry.h"
#include "buf.h"
#include "errors.h"
#include "ldap_source.h"
#include "syncrepl.h"

#define UUID_BYTES 16
#define CSN_LEN 40              /* YYYYmmddHHMMSS.uuuuuuZ#cccccc#sss#mmmmmm */

struct syncrepl {
	struct ldap_source *src;        /* borrowed */
	LDAP *ld;                       /* borrowed from src */
	const char *uri;                /* borrowed from src */
	char *filter;
	char **attrs;
	int mode;                       /* LDAP_SYNC_REFRESH_ONLY, ..._AND_PERSIST */
	const struct syncrepl_handler *h;
	void *ctx;
	int msgid;
	int fd;
	int fd_flags;                   /* as found, restored by stop */
	int running;                    /* the server still runs the search */
	int result;                     /* 0 while going, else what process says */
	int begin_due;                  /* refresh_begin not called yet */
	int refreshing;
	int full;                       /* this search was sent without a cookie */
	int saw_present;                /* a present phase in this refresh */
	int pending;
	char *cookie;                   /* the last cookie known, or NULL */
	size_t cookie_len;
};

/* digits - value of n decimal digits at p, or -1 */
static int
digits(const char *p, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* csn_valid - p[0..len) is one CSN as syncprov writes it */
static int
csn_valid(const char *p, size_t len)
{
	static const struct {
		size_t off, n;
		int lo, hi;
	} f[] = {
		{ 4, 2, 1, 12 }, { 6, 2, 1, 31 }, { 8, 2, 0, 23 },
		{ 10, 2, 0, 59 }, { 12, 2, 0, 60 }, { 15, 6, 0, 999999 },
	};
	static const size_t hex_at[] = { 23, 30, 34 }, hex_n[] = { 6, 3, 6 };
	size_t i, j;
	int v;

	if (len != CSN_LEN || digits(p, 4) < 0 || p[14] != '.' ||
	    p[21] != 'Z' || p[22] != '#' || p[29] != '#' || p[33] != '#')
		return 0;
	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		v = digits(p + f[i].off, f[i].n);
		if (v < f[i].lo || v > f[i].hi)
			return 0;
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < hex_n[i]; j++)
			if (buf_hexval((unsigned char)p[hex_at[i] + j]) < 0)
				return 0;
	return 1;
}

/* cookie_usable - the cookie has what syncprov needs to resume: a
 * rid=NNN field and a csn= field of valid CSNs (';' between them) */
static int
cookie_usable(const char *c, size_t len)
{
	const char *f = c, *end = c + len, *comma, *semi;
	int rid = 0, csn = 0;

	if (memchr(c, '\0', len) != NULL)
		return 0;
	while (f < end) {
		comma = memchr(f, ',', (size_t)(end - f));
		if (comma == NULL)
			comma = end;
		if ((size_t)(comma - f) > 4 && strncmp(f, "rid=", 4) == 0) {
			if (comma - f - 4 > 3 || digits(f + 4,
			    (size_t)(comma - f - 4)) < 0)
				return 0;
			rid = 1;
		} else if ((size_t)(comma - f) > 4 &&
		    strncmp(f, "csn=", 4) == 0) {
			for (f += 4; f < comma; f = semi + 1) {
				semi = memchr(f, ';', (size_t)(comma - f));
				if (semi == NULL)
					semi = comma;
				if (!csn_valid(f, (size_t)(semi - f)))
					return 0;
				csn = 1;
			}
		}
		f = comma + 1;
	}
	return rid && csn;
}

/* format_uuid - 16 bytes as 8-4-4-4-12 lowercase hex; -1 when bv is
 * not 16 bytes long */
static int
format_uuid(const struct berval *bv, char out[SYNCREPL_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)bv->bv_val;
	size_t i, o = 0;

	if (bv->bv_len != UUID_BYTES || u == NULL)
		return -1;
	for (i = 0; i < UUID_BYTES; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* fail - end the syncrepl with rc (the search is over on the server
 * when over is 1); returns rc */
static int
fail(struct syncrepl *s, int rc, int over)
{
	if (over)
		s->running = 0;
	s->result = rc;
	s->pending = 0;
	return rc;
}

/* protocol_error - a message that cannot be decoded ends the search */
static int
protocol_error(struct syncrepl *s, const char *what, struct diag *d)
{
	diag_error(d, NULL, "syncrepl: %s: invalid %s from the server",
	    s->uri, what);
	return fail(s, ERR_UNAVAIL, 0);
}

/* copy_cookie - a malloc'd copy of a received cookie into *out; an
 * empty one is no cookie */
static int
copy_cookie(const struct berval *bv, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (bv->bv_len == 0 || bv->bv_val == NULL)
		return 0;
	*out = malloc(bv->bv_len + 1);
	if (*out == NULL)
		return ERR_NOMEM;
	memcpy(*out, bv->bv_val, bv->bv_len);
	(*out)[bv->bv_len] = '\0';
	*len = bv->bv_len;
	return 0;
}

/* take_cookie - a cookie that came with a message whose callbacks have
 * run (owned: freed here). During the refresh it is kept for
 * refresh_done; after it, a new one is passed on at once. */
static int
take_cookie(struct syncrepl *s, char *c, size_t len)
{
	if (c == NULL)
		return 0;
	if (s->cookie != NULL && s->cookie_len == len &&
	    memcmp(s->cookie, c, len) == 0) {
		free(c);
		return 0;
	}
	free(s->cookie);
	s->cookie = c;
	s->cookie_len = len;
	if (s->refreshing || s->h->cookie == NULL)
		return 0;
	return s->h->cookie(s->ctx, s->cookie, s->cookie_len);
}

/* finish_refresh - refresh_done, then the cookie that covers it */
static int
finish_refresh(struct syncrepl *s, int present_phase)
{
	int rc = 0;

	if (!s->refreshing)
		return 0;
	s->refreshing = 0;
	if (s->h->refresh_done != NULL)
		rc = s->h->refresh_done(s->ctx,
		    present_phase || s->saw_present || s->full);
	if (rc >= 0 && s->cookie != NULL && s->h->cookie != NULL)
		rc = s->h->cookie(s->ctx, s->cookie, s->cookie_len);
	return rc;
}

/* set_keepalive - TCP keepalive on the connection, so a server that
 * vanished is noticed; other socket families are left alone */
static void
set_keepalive(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int on = 1, idle = SYNCREPL_KEEPIDLE, intvl = SYNCREPL_KEEPINTVL,
	    cnt = SYNCREPL_KEEPCNT;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	/* best effort: a socket that refuses keeps working without */
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof intvl);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

/* sync_control - the sync request control (mode, cookie) in *out
 * (ldap_control_free); cookie NULL for none */
static int
sync_control(int mode, const char *cookie, size_t len, LDAPControl **out)
{
	struct berval value = { 0, NULL }, ck;
	BerElement *ber;
	int rc = ERR_NOMEM, lrc;

	*out = NULL;
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL)
		return ERR_NOMEM;
	ck.bv_len = len;
	ck.bv_val = (char *)cookie;
	/* reloadHint FALSE is the default, so DER leaves it out */
	if (cookie != NULL)
		lrc = ber_printf(ber, "{eO}", (ber_int_t)mode, &ck);
	else
		lrc = ber_printf(ber, "{e}", (ber_int_t)mode);
	if (lrc < 0 || ber_flatten2(ber, &value, 0) < 0)
		goto out;
	if (ldap_control_create(LDAP_CONTROL_SYNC, 1, &value, 1, out) !=
	    LDAP_SUCCESS) {
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	ber_free(ber, 1);
	return rc;
}

/* send_search - send the sync search, with the cookie unless full */
static int
send_search(struct syncrepl *s, struct diag *d)
{
	LDAPControl *ctrl = NULL, *sctrls[2] = { NULL, NULL };
	int deref = LDAP_DEREF_NEVER, old_deref = LDAP_DEREF_NEVER;
	int nolimit = 0, old_limit = 0, lrc, rc;
	char why[256];

	rc = sync_control(s->mode, s->full ? NULL : s->cookie,
	    s->full ? 0 : s->cookie_len, &ctrl);
	if (rc < 0)
		return rc;
	sctrls[0] = ctrl;
	/* syncprov refuses to dereference aliases, and a time limit would
	 * end a persistent search: neither may come from ldap.conf */
	(void)ldap_get_option(s->ld, LDAP_OPT_DEREF, &old_deref);
	(void)ldap_get_option(s->ld, LDAP_OPT_TIMELIMIT, &old_limit);
	(void)ldap_set_option(s->ld, LDAP_OPT_DEREF, &deref);
	(void)ldap_set_option(s->ld, LDAP_OPT_TIMELIMIT, &nolimit);
	lrc = ldap_search_ext(s->ld, ldap_source_base(s->src),
	    LDAP_SCOPE_SUBTREE, s->filter, s->attrs, 0, sctrls, NULL, NULL,
	    LDAP_NO_LIMIT, &s->msgid);
	(void)ldap_set_option(s->ld, LDAP_OPT_DEREF, &old_deref);
	(void)ldap_set_option(s->ld, LDAP_OPT_TIMELIMIT, &old_limit);
	ldap_control_free(ctrl);
	if (lrc == LDAP_SUCCESS) {
		s->running = 1;
		s->refreshing = 1;
		s->saw_present = 0;
		return 0;
	}
	snprintf(why, sizeof why, "%s", ldap_err2string(lrc));
	if (lrc == LDAP_FILTER_ERROR) {
		diag_error(d, NULL, "syncrepl: invalid filter %s", s->filter);
		return ERR_INVAL;
	}
	if (lrc == LDAP_NO_MEMORY)
		return ERR_NOMEM;
	diag_error(d, NULL, "syncrepl: %s: cannot send the sync search: %s",
	    s->uri, why);
	return ERR_UNAVAIL;
}

/* restart_full - the server refused the cookie: search again from
 * nothing, after telling the handler a new refresh begins */
static int
restart_full(struct syncrepl *s, const char *why, struct diag *d)
{
	int rc;

	diag_warn(d, NULL, "syncrepl: %s: %s: full refresh", s->uri, why);
	s->running = 0;
	s->full = 1;
	free(s->cookie);
	s->cookie = NULL;
	s->cookie_len = 0;
	rc = send_search(s, d);
	if (rc < 0)
		return fail(s, rc, 1);
	if (s->h->refresh_begin != NULL) {
		rc = s->h->refresh_begin(s->ctx);
		if (rc < 0)
			return fail(s, rc, 0);
	}
	return 0;
}

/* copy_attrs - attrs plus entryUUID when missing (NULL: all user
 * attributes and entryUUID), NULL-terminated, malloc throughout */
static int
copy_attrs(const char *const *attrs, char ***out)
{
	static const char *const all[] = { "*", NULL };
	size_t n = 0, i, k = 0;
	int has_uuid = 0;
	char **v;

	*out = NULL;
	if (attrs == NULL)
		attrs = all;
	while (attrs[n] != NULL) {
		if (strcasecmp(attrs[n], "entryUUID") == 0)
			has_uuid = 1;
		n++;
	}
	if (n > ((size_t)-1) / sizeof *v - 2)
		return ERR_NOMEM;
	v = calloc(n + 2, sizeof *v);
	if (v == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		v[k] = strdup(attrs[i]);
		if (v[k++] == NULL)
			goto nomem;
	}
	if (!has_uuid) {
		v[k] = strdup("entryUUID");
		if (v[k++] == NULL)
			goto nomem;
	}
	*out = v;
	return 0;
nomem:
	for (i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return ERR_NOMEM;
}

/* free_attrs - what copy_attrs made */
static void
free_attrs(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* syncrepl_start - send the sync search */
int
syncrepl_start(struct ldap_source *src, const char *filter,
    const char *const *attrs, const char *cookie, size_t cookie_len,
    int persist, const struct syncrepl_handler *h, void *ctx,
    struct syncrepl **out, struct diag *d)
{
	struct syncrepl *s;
	int rc, flags;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return ERR_NOMEM;
	s->src = src;
	s->ld = ldap_source_ldap(src);
	s->uri = ldap_source_uri(src);
	s->mode = persist ? LDAP_SYNC_REFRESH_AND_PERSIST :
	    LDAP_SYNC_REFRESH_ONLY;
	s->h = h;
	s->ctx = ctx;
	s->fd = -1;
	s->fd_flags = -1;
	s->begin_due = 1;
	s->filter = strdup(filter ? filter : "(objectClass=*)");
	rc = s->filter ? copy_attrs(attrs, &s->attrs) : ERR_NOMEM;
	if (rc < 0)
		goto out;
	s->full = 1;
	if (cookie != NULL && cookie_len > 0) {
		if (cookie_usable(cookie, cookie_len)) {
			s->cookie = malloc(cookie_len + 1);
			if (s->cookie == NULL) {
				rc = ERR_NOMEM;
				goto out;
			}
			memcpy(s->cookie, cookie, cookie_len);
			s->cookie[cookie_len] = '\0';
			s->cookie_len = cookie_len;
			s->full = 0;
		} else {
			diag_warn(d, NULL, "syncrepl: %s: the saved cookie is "
			    "not one the server can resume from: full refresh",
			    s->uri);
		}
	}
	/* without a connection libldap would open a new one, unbound */
	if (ldap_get_option(s->ld, LDAP_OPT_DESC, &s->fd) !=
	    LDAP_OPT_SUCCESS || s->fd < 0) {
		s->fd = -1;
		diag_error(d, NULL, "syncrepl: %s: the connection is lost",
		    s->uri);
		rc = ERR_UNAVAIL;
		goto out;
	}
	if (d->log != NULL && d->log->level >= LOG_LEVEL_INFO) {
		char list[512];

		ldap_source_attr_list((const char *const *)s->attrs, list,
		    sizeof list);
		diag_log(d, LOG_LEVEL_INFO, "syncrepl: %s: sync search under "
		    "%s (subtree), filter %s, attributes %s, %s, %s", s->uri,
		    ldap_source_base(src), s->filter, list[0] ? list : "all",
		    persist ? "refresh and persist" : "refresh only",
		    s->full ? "full refresh" : "resuming from the cookie");
	}
	rc = send_search(s, d);
	if (rc < 0)
		goto out;
	set_keepalive(s->fd);
	flags = fcntl(s->fd, F_GETFL);
	if (flags >= 0 && (flags & O_NONBLOCK) == 0 &&
	    fcntl(s->fd, F_SETFL, flags | O_NONBLOCK) == 0)
		s->fd_flags = flags;
	*out = s;
	s = NULL;
	rc = 0;
out:
	syncrepl_stop(s);
	return rc;
}

/* syncrepl_fd - the socket to poll */
int
syncrepl_fd(const struct syncrepl *s)
{
	return s->fd;
}

/* syncrepl_pending - messages left waiting by the budget */
int
syncrepl_pending(const struct syncrepl *s)
{
	return s->pending;
}

/* syncrepl_refreshing - 1 until the refresh phase is complete */
int
syncrepl_refreshing(const struct syncrepl *s)
{
	return s->refreshing;
}

/* parse_state - the sync state control of an entry: state, id, and
 * the cookie when there is one (malloc'd into *cookie) */
static int
parse_state(struct syncrepl *s, LDAPMessage *msg, int *state,
    char id[SYNCREPL_ID_LEN + 1], char **cookie, size_t *cookie_len,
    struct diag *d)
{
	LDAPControl **ctrls = NULL, *c;
	BerElement *ber = NULL;
	struct berval uuid, ck = { 0, NULL };
	ber_int_t st;
	ber_len_t len;
	int rc;

	*cookie = NULL;
	*cookie_len = 0;
	if (ldap_get_entry_controls(s->ld, msg, &ctrls) != LDAP_SUCCESS)
		ctrls = NULL;
	c = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL);
	if (c == NULL) {
		rc = protocol_error(s, "entry (no sync state control)", d);
		goto out;
	}
	ber = ber_init(&c->ldctl_value);
	if (ber == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (ber_scanf(ber, "{em", &st, &uuid) == LBER_ERROR ||
	    format_uuid(&uuid, id) < 0) {
		rc = protocol_error(s, "sync state control", d);
		goto out;
	}
	if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
	    ber_scanf(ber, "m", &ck) == LBER_ERROR) {
		rc = protocol_error(s, "sync state cookie", d);
		goto out;
	}
	*state = (int)st;
	rc = copy_cookie(&ck, cookie, cookie_len);
out:
	if (ber != NULL)
		ber_free(ber, 1);
	if (ctrls != NULL)
		ldap_controls_free(ctrls);
	return rc;
}

/* handle_entry - a search entry with its sync state */
static int
handle_entry(struct syncrepl *s, LDAPMessage *msg, struct diag *d)
{
	char id[SYNCREPL_ID_LEN + 1], *cookie = NULL;
	struct entry *e = NULL;
	size_t cookie_len;
	int state, rc;

	rc = parse_state(s, msg, &state, id, &cookie, &cookie_len, d);
	if (rc < 0)
		goto out;
	switch (state) {
	case LDAP_SYNC_ADD:
	case LDAP_SYNC_MODIFY:
		rc = ldap_source_entry(s->ld, msg, &e);
		if (rc == ERR_UNAVAIL) {
			rc = protocol_error(s, "entry", d);
			goto out;
		}
		if (rc == 0 && s->h->entry != NULL)
			rc = s->h->entry(s->ctx, id, e);
		break;
	case LDAP_SYNC_PRESENT:
		if (s->refreshing) {
			s->saw_present = 1;
			if (s->h->present != NULL)
				rc = s->h->present(s->ctx, id);
		}
		break;
	case LDAP_SYNC_DELETE:
		if (s->h->remove != NULL)
			rc = s->h->remove(s->ctx, id);
		break;
	default:
		rc = protocol_error(s, "sync state", d);
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = take_cookie(s, cookie, cookie_len);
	cookie = NULL;
out:
	free(cookie);
	entry_free(e);
	return rc;
}

/* id_set - the ids of a syncIdSet: removed or present */
static int
id_set(struct syncrepl *s, BerElement *ber, int deletes, struct diag *d)
{
	char id[SYNCREPL_ID_LEN + 1];
	struct berval uuid;
	ber_len_t len;
	ber_tag_t tag;
	char *last;
	int rc = 0;

	if (!deletes && s->refreshing)
		s->saw_present = 1;
	for (tag = ber_first_element(ber, &len, &last);
	    tag != LBER_DEFAULT && rc >= 0;
	    tag = ber_next_element(ber, &len, last)) {
		if (ber_scanf(ber, "m", &uuid) == LBER_ERROR ||
		    format_uuid(&uuid, id) < 0)
			return protocol_error(s, "syncIdSet", d);
		if (deletes && s->h->remove != NULL)
			rc = s->h->remove(s->ctx, id);
		else if (!deletes && s->refreshing && s->h->present != NULL)
			rc = s->h->present(s->ctx, id);
	}
	return rc;
}

/* handle_info - a syncInfo intermediate response */
static int
handle_info(struct syncrepl *s, LDAPMessage *msg, struct diag *d)
{
	struct berval *data = NULL, ck = { 0, NULL };
	BerElement *ber = NULL;
	char *oid = NULL, *cookie = NULL;
	size_t cookie_len = 0;
	ber_tag_t tag;
	ber_len_t len;
	ber_int_t flag = 0;
	int rc, done, has_flag = 0;

	if (ldap_parse_intermediate(s->ld, msg, &oid, &data, NULL, 0) !=
	    LDAP_SUCCESS) {
		rc = protocol_error(s, "intermediate response", d);
		goto out;
	}
	rc = 0;
	if (oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0 || data == NULL)
		goto out;
	ber = ber_init(data);
	if (ber == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	tag = ber_peek_tag(ber, &len);
	if (tag == LDAP_TAG_SYNC_NEW_COOKIE) {
		if (ber_scanf(ber, "m", &ck) == LBER_ERROR) {
			rc = protocol_error(s, "syncInfo newCookie", d);
			goto out;
		}
		rc = copy_cookie(&ck, &cookie, &cookie_len);
		if (rc == 0)
			rc = take_cookie(s, cookie, cookie_len);
		cookie = NULL;
		goto out;
	}
	if (tag != LDAP_TAG_SYNC_REFRESH_DELETE &&
	    tag != LDAP_TAG_SYNC_REFRESH_PRESENT &&
	    tag != LDAP_TAG_SYNC_ID_SET) {
		rc = protocol_error(s, "syncInfo", d);
		goto out;
	}
	if (ber_scanf(ber, "{") == LBER_ERROR ||
	    (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
	    ber_scanf(ber, "m", &ck) == LBER_ERROR)) {
		rc = protocol_error(s, "syncInfo", d);
		goto out;
	}
	/* refreshDone (default TRUE) or refreshDeletes (default FALSE) */
	if (ber_peek_tag(ber, &len) == LBER_BOOLEAN) {
		if (ber_scanf(ber, "b", &flag) == LBER_ERROR) {
			rc = protocol_error(s, "syncInfo", d);
			goto out;
		}
		has_flag = 1;
	}
	rc = copy_cookie(&ck, &cookie, &cookie_len);
	if (rc < 0)
		goto out;
	if (tag == LDAP_TAG_SYNC_ID_SET) {
		rc = id_set(s, ber, has_flag && flag != 0, d);
		if (rc >= 0)
			rc = take_cookie(s, cookie, cookie_len);
		cookie = NULL;
		goto out;
	}
	done = !has_flag || flag != 0;
	if (tag == LDAP_TAG_SYNC_REFRESH_PRESENT && s->refreshing)
		s->saw_present = 1;
	rc = take_cookie(s, cookie, cookie_len);
	cookie = NULL;
	if (rc >= 0 && done)
		rc = finish_refresh(s, tag == LDAP_TAG_SYNC_REFRESH_PRESENT);
out:
	free(cookie);
	if (ber != NULL)
		ber_free(ber, 1);
	if (oid != NULL)
		ldap_memfree(oid);
	if (data != NULL)
		ber_bvfree(data);
	return rc;
}

/* sync_done - the syncDone control of a successful result: cookie,
 * and whether it ends a present phase (refreshDeletes FALSE). 0, or
 * ERR_UNAVAIL when it is missing or malformed. */
static int
sync_done(LDAPControl **ctrls, char **cookie, size_t *cookie_len,
    int *present)
{
	struct berval ck = { 0, NULL };
	BerElement *ber = NULL;
	LDAPControl *c;
	ber_int_t deletes = 0;
	ber_len_t len;
	int rc = ERR_UNAVAIL;

	*cookie = NULL;
	*cookie_len = 0;
	c = ldap_control_find(LDAP_CONTROL_SYNC_DONE, ctrls, NULL);
	if (c == NULL)
		return ERR_UNAVAIL;
	ber = ber_init(&c->ldctl_value);
	if (ber == NULL)
		return ERR_NOMEM;
	if (ber_scanf(ber, "{") == LBER_ERROR ||
	    (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
	    ber_scanf(ber, "m", &ck) == LBER_ERROR) ||
	    (ber_peek_tag(ber, &len) == LBER_BOOLEAN &&
	    ber_scanf(ber, "b", &deletes) == LBER_ERROR))
		goto out;
	*present = deletes == 0;
	rc = copy_cookie(&ck, cookie, cookie_len);
out:
	ber_free(ber, 1);
	return rc;
}

/* handle_result - the end of the search */
static int
handle_result(struct syncrepl *s, LDAPMessage *msg, struct diag *d)
{
	LDAPControl **ctrls = NULL;
	char *matched = NULL, *text = NULL, *cookie = NULL;
	size_t cookie_len = 0;
	int err, rc, present = 0;

	s->running = 0;
	if (ldap_parse_result(s->ld, msg, &err, &matched, &text, NULL,
	    &ctrls, 0) != LDAP_SUCCESS) {
		rc = protocol_error(s, "search result", d);
		goto out;
	}
	/* a refusal of the cookie; not of a search sent without one (the
	 * same answer again would loop) */
	if ((err == LDAP_SYNC_REFRESH_REQUIRED &&
	    !(s->full && s->refreshing)) ||
	    ((err == LDAP_UNWILLING_TO_PERFORM ||
	    err == LDAP_PROTOCOL_ERROR) && !s->full && s->refreshing)) {
		char why[512];

		snprintf(why, sizeof why, "the server refused the cookie "
		    "(%s%s%s)", ldap_err2string(err), text && *text ? ": " :
		    "", text && *text ? text : "");
		rc = restart_full(s, why, d);
		goto out;
	}
	if (err == LDAP_UNAVAILABLE_CRITICAL_EXTENSION) {
		diag_error(d, NULL, "syncrepl: %s: the server does not offer "
		    "content synchronization under %s (no syncprov overlay?)",
		    s->uri, ldap_source_base(s->src));
		rc = fail(s, ERR_CONFIG, 1);
		goto out;
	}
	if (err == LDAP_NO_SUCH_OBJECT) {
		/* also what access control answers for a hidden base */
		diag_error(d, NULL, "syncrepl: %s: search base %s does not "
		    "exist, or access control hides it from %s", s->uri,
		    ldap_source_base(s->src), ldap_source_identity(s->src));
		rc = fail(s, ERR_UNAVAIL, 1);
		goto out;
	}
	if (err != LDAP_SUCCESS) {
		diag_error(d, NULL, "syncrepl: %s: the server ended the sync "
		    "search: %s%s%s", s->uri, ldap_err2string(err),
		    text && *text ? ": " : "", text && *text ? text : "");
		rc = fail(s, err == LDAP_NO_MEMORY ? ERR_NOMEM : ERR_UNAVAIL,
		    1);
		goto out;
	}
	rc = sync_done(ctrls, &cookie, &cookie_len, &present);
	if (rc == ERR_UNAVAIL) {
		rc = protocol_error(s, "search result (no sync done control)",
		    d);
		goto out;
	}
	if (rc < 0)
		goto out;
	/* kept when the refresh ends here, passed on by finish_refresh */
	rc = take_cookie(s, cookie, cookie_len);
	cookie = NULL;
	if (rc >= 0)
		rc = finish_refresh(s, present);
	if (rc < 0) {
		fail(s, rc, 1);
		goto out;
	}
	if (s->mode == LDAP_SYNC_REFRESH_ONLY) {
		rc = fail(s, 1, 1);
		goto out;
	}
	diag_error(d, NULL, "syncrepl: %s: the server ended the persistent "
	    "search", s->uri);
	rc = fail(s, ERR_UNAVAIL, 1);
out:
	free(cookie);
	if (ctrls != NULL)
		ldap_controls_free(ctrls);
	if (matched != NULL)
		ldap_memfree(matched);
	if (text != NULL)
		ldap_memfree(text);
	return rc;
}

/* handle - one message of the search */
static int
handle(struct syncrepl *s, LDAPMessage *msg, struct diag *d)
{
	switch (ldap_msgtype(msg)) {
	case LDAP_RES_SEARCH_ENTRY:
		return handle_entry(s, msg, d);
	case LDAP_RES_INTERMEDIATE:
		return handle_info(s, msg, d);
	case LDAP_RES_SEARCH_RESULT:
		return handle_result(s, msg, d);
	default:
		/* references: referrals are off, there is nothing to chase */
		return 0;
	}
}

/* syncrepl_process - handle the messages already received */
int
syncrepl_process(struct syncrepl *s, struct diag *d)
{
	struct timeval zero = { 0, 0 };
	LDAPMessage *msg = NULL;
	int n, rc, lerr = LDAP_OTHER;

	if (s->result != 0)
		return s->result;
	s->pending = 0;
	if (s->begin_due) {
		s->begin_due = 0;
		if (s->h->refresh_begin != NULL) {
			rc = s->h->refresh_begin(s->ctx);
			if (rc < 0)
				return fail(s, rc, 0);
		}
	}
	for (n = 0; n < SYNCREPL_BUDGET; n++) {
		rc = ldap_result(s->ld, s->msgid, LDAP_MSG_ONE, &zero, &msg);
		if (rc == 0)
			return 0;
		if (rc < 0 || msg == NULL) {
			(void)ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE,
			    &lerr);
			diag_error(d, NULL, "syncrepl: %s: connection lost: %s",
			    s->uri, ldap_err2string(lerr));
			return fail(s, lerr == LDAP_NO_MEMORY ? ERR_NOMEM :
			    ERR_UNAVAIL, 1);
		}
		rc = handle(s, msg, d);
		ldap_msgfree(msg);
		msg = NULL;
		if (rc < 0)
			return fail(s, rc, 0);
		if (s->result != 0)
			return s->result;
	}
	s->pending = 1;
	return 0;
}

/* syncrepl_stop - abandon the search if it runs, restore, free */
void
syncrepl_stop(struct syncrepl *s)
{
	int fd = -1;

	if (s == NULL)
		return;
	/* the descriptor is still ours only while the connection lives */
	if (s->fd >= 0 &&
	    ldap_get_option(s->ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS &&
	    fd == s->fd) {
		if (s->fd_flags >= 0)
			(void)fcntl(s->fd, F_SETFL, s->fd_flags);
		if (s->running)
			(void)ldap_abandon_ext(s->ld, s->msgid, NULL, NULL);
	}
	free(s->filter);
	free_attrs(s->attrs);
	free(s->cookie);
	free(s);
}
