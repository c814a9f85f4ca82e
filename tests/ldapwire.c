/*
 * ldapwire - the LDAP protocol seen from a scripted server: decoding
 * requests, encoding answers (lber); a relay that holds up or cuts a
 * real server's answers
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldap.h>

#include "ldapwire.h"
#include "testlib.h"

/* ldapwire_listen - bind to 127.0.0.1, any port */
int
ldapwire_listen(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	int lfd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return lfd;
}

/* ldapwire_accept - one client, no Nagle delay */
int
ldapwire_accept(int lfd)
{
	int cfd = accept(lfd, NULL, NULL), one = 1;

	if (cfd >= 0)
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return cfd;
}

/* read_full - exactly n bytes: 1, 0 at end of file, -1 on error */
static int
read_full(int fd, unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

/* fake_read - one whole LDAP message into buf: its length, 0 at the
 * end of the connection, -1 when it is not one */
ssize_t
ldapwire_read(int fd, unsigned char *buf, size_t cap)
{
	size_t len, hdr = 2, i, n;
	int r;

	r = read_full(fd, buf, 2);
	if (r <= 0)
		return r;
	if (buf[0] != 0x30)
		return -1;
	len = buf[1];
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 3 || read_full(fd, buf + 2, n) <= 0)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | buf[2 + i];
		hdr += n;
	}
	if (hdr + len > cap || read_full(fd, buf + hdr, len) <= 0)
		return -1;
	return (ssize_t)(hdr + len);
}

/* copy_bv - bv into out as a string; -1 when it does not fit */
static int
copy_bv(const struct berval *bv, char *out, size_t size)
{
	if (bv->bv_len >= size)
		return -1;
	memcpy(out, bv->bv_val, bv->bv_len);
	out[bv->bv_len] = '\0';
	return 0;
}

/* page_control - the size and cookie of a paged results control value */
static int
page_control(struct berval *val, struct ldapwire_req *r)
{
	BerElement *ber = ber_init(val);
	struct berval ck;
	int rc = -1;

	if (ber != NULL && ber_scanf(ber, "{im}", &r->size, &ck) !=
	    LBER_ERROR && copy_bv(&ck, r->cookie, sizeof r->cookie) == 0) {
		r->paged = 1;
		rc = 0;
	}
	ber_free(ber, 1);
	return rc;
}

/* fake_decode - what the client asked: operation, and for a search its
 * base, scope, attributes and paged results control */
int
ldapwire_decode(unsigned char *buf, ssize_t n, struct ldapwire_req *r)
{
	struct berval bv = { (ber_len_t)n, (char *)buf }, b, type, val;
	BerElement *ber = ber_init(&bv);
	ber_int_t deref, sl, tl, only, crit;
	ber_tag_t tag;
	ber_len_t len;
	char *last;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (ber == NULL || ber_scanf(ber, "{i", &r->id) == LBER_ERROR)
		goto out;
	r->op = ber_peek_tag(ber, &len);
	if (r->op != LDAP_REQ_SEARCH) {
		rc = 0;
		goto out;
	}
	if (ber_scanf(ber, "{meeiibx", &b, &r->scope, &deref, &sl, &tl,
	    &only) == LBER_ERROR || copy_bv(&b, r->base, sizeof r->base) < 0)
		goto out;
	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
	    tag = ber_next_element(ber, &len, last)) {
		if (r->nattrs == LDAPWIRE_ATTRS ||
		    ber_scanf(ber, "m", &b) == LBER_ERROR ||
		    copy_bv(&b, r->attrs[r->nattrs++], sizeof r->attrs[0]) < 0)
			goto out;
	}
	if (ber_peek_tag(ber, &len) == LDAP_TAG_CONTROLS) {
		for (tag = ber_first_element(ber, &len, &last);
		    tag != LBER_DEFAULT;
		    tag = ber_next_element(ber, &len, last)) {
			val.bv_len = 0;
			val.bv_val = NULL;
			if (ber_scanf(ber, "{m", &type) == LBER_ERROR)
				goto out;
			if (ber_peek_tag(ber, &len) == LBER_BOOLEAN &&
			    ber_scanf(ber, "b", &crit) == LBER_ERROR)
				goto out;
			if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
			    ber_scanf(ber, "m", &val) == LBER_ERROR)
				goto out;
			if (ber_scanf(ber, "}") == LBER_ERROR)
				goto out;
			if (type.bv_len == strlen(LDAP_CONTROL_PAGEDRESULTS) &&
			    memcmp(type.bv_val, LDAP_CONTROL_PAGEDRESULTS,
			    type.bv_len) == 0 && page_control(&val, r) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	ber_free(ber, 1);
	return rc;
}

/* fake_send - send ber as it is and free it; 0 or -1 */
int
ldapwire_send(int fd, BerElement *ber)
{
	struct berval bv;
	const char *p;
	size_t n;
	ssize_t w;
	int rc = -1;

	if (ber_flatten2(ber, &bv, 0) == 0) {
		for (p = bv.bv_val, n = bv.bv_len; n > 0; p += w, n -= w) {
			w = write(fd, p, n);
			if (w <= 0)
				break;
		}
		rc = n == 0 ? 0 : -1;
	}
	ber_free(ber, 1);
	return rc;
}

/* fake_bind - a successful bind response */
int
ldapwire_bind(int fd, ber_int_t id)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL || ber_printf(ber, "{it{ess}}", id, LDAP_RES_BIND,
	    (ber_int_t)0, "", "") < 0)
		return -1;
	return ldapwire_send(fd, ber);
}

/* ldapwire_whoami - the answer to WhoAmI (RFC 4532) */
int
ldapwire_whoami(int fd, ber_int_t id, const char *who)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL || ber_printf(ber, "{it{essto}}", id,
	    LDAP_RES_EXTENDED, (ber_int_t)0, "", "", LDAP_TAG_EXOP_RES_VALUE,
	    who, (ber_len_t)strlen(who)) < 0) {
		ber_free(ber, 1);
		return -1;
	}
	return ldapwire_send(fd, ber);
}

/* ldapwire_next - the next request the test answers itself */
int
ldapwire_next(int fd, unsigned char *buf, size_t cap,
    struct ldapwire_req *r, const char *who)
{
	ssize_t n;

	for (;;) {
		n = ldapwire_read(fd, buf, cap);
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if (ldapwire_decode(buf, n, r) < 0)
			return -1;
		if (r->op == LDAP_REQ_UNBIND)
			continue;
		if (r->op != LDAP_REQ_EXTENDED)
			return 1;
		if (ldapwire_whoami(fd, r->id, who) < 0)
			return -1;
	}
}

/* ldapwire_result - a search result; with a paged results control when
 * cookie is not NULL ("" ends the search) */
int
ldapwire_result(int fd, ber_int_t id, int code, const char *cookie)
{
	BerElement *v = ber_alloc_t(LBER_USE_DER), *ber = NULL;
	struct berval val, ck;
	int rc = -1;

	ck.bv_val = (char *)(cookie ? cookie : "");
	ck.bv_len = strlen(ck.bv_val);
	if (v == NULL || ber_printf(v, "{iO}", (ber_int_t)0, &ck) < 0 ||
	    ber_flatten2(v, &val, 0) < 0)
		goto out;
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL || ber_printf(ber, "{it{ess}", id,
	    LDAP_RES_SEARCH_RESULT, (ber_int_t)code, "", "") < 0 ||
	    (cookie != NULL && ber_printf(ber, "t{{sO}}", LDAP_TAG_CONTROLS,
	    LDAP_CONTROL_PAGEDRESULTS, &val) < 0) ||
	    ber_printf(ber, "}") < 0)
		goto out;
	rc = ldapwire_send(fd, ber);
	ber = NULL;
out:
	ber_free(v, 1);
	ber_free(ber, 1);
	return rc;
}


/* ldapwire_connect - a client connection to a loopback port */
int
ldapwire_connect(unsigned port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* write_full - all n bytes; 0 or -1 */
static int
write_full(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* message_op - the protocol operation of a whole message: the tag
 * after its SEQUENCE header and message id, or -1 */
static int
message_op(const unsigned char *buf, size_t n)
{
	size_t at = 2;

	if (n < 2 || buf[0] != 0x30)
		return -1;
	if (buf[1] & 0x80)
		at += buf[1] & 0x7f;
	if (at + 2 > n || buf[at] != 0x02)
		return -1;
	at += 2 + buf[at + 1];
	return at < n ? buf[at] : -1;
}

/* hold - wait until hold_fd has a byte or its end (20 s at most) */
static void
hold(int hold_fd)
{
	struct pollfd p = { hold_fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, 20000) > 0 && read(hold_fd, &c, 1) < 0)
		return;
}

/* ldapwire_relay - both ways, message by message, as planned */
int
ldapwire_relay(int cfd, int sfd, const struct ldapwire_plan *plan)
{
	const size_t cap = (size_t)16 << 20;
	unsigned char *buf = malloc(cap);
	struct pollfd p[2];
	size_t seen = 0;
	ssize_t n;
	int rc = -1, from;

	if (buf == NULL)
		return -1;
	for (;;) {
		p[0].fd = cfd;
		p[1].fd = sfd;
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		from = p[0].revents ? 0 : 1;
		n = ldapwire_read(p[from].fd, buf, cap);
		if (n <= 0) {
			rc = n == 0 ? 0 : -1;
			goto out;
		}
		if (from == 1 && plan->cut && seen == plan->entries) {
			rc = write_full(cfd, buf, (size_t)n / 2);
			goto out;
		}
		if (write_full(p[1 - from].fd, buf, (size_t)n) < 0)
			goto out;
		if (from == 1 && message_op(buf, (size_t)n) ==
		    LDAP_RES_SEARCH_ENTRY && ++seen == plan->entries &&
		    plan->hold_fd >= 0)
			hold(plan->hold_fd);
	}
out:
	free(buf);
	return rc;
}
