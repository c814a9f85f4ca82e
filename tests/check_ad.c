/*
 * check_ad - Active Directory: its search limits and the Exchange profile
 *
 * DESCRIPTION
 *	The "fake" cases talk to a scripted server in a child process, on
 *	loopback, that answers the way Active Directory does: pages of at
 *	most MaxPageSize entries whatever the client asks, with a cookie
 *	(and one empty page in the middle, which AD may send too), and
 *	multi-valued attributes beyond MaxValRange values as
 *	"member;range=0-2", the rest on base-scope searches asking for
 *	"member;range=3-*". The caller of ldap_source_search must get every
 *	entry and every value under the plain name; a server whose ranges
 *	do not add up, or never end, must make the search ERR_UNAVAIL
 *	without handing over the entry.
 *
 *	The "profile" case renders tests/data/ad/directory.ldif (AD-shaped
 *	entries: binary objectGUID, mixed-case proxyAddresses, a remote
 *	mailbox, disabled accounts, a nested group) with
 *	mappings/active-directory.xml through the splitsync binary
 *	(SPLITSYNC_BIN), compares each table byte for byte with
 *	tests/data/ad/gateway/, and loads each with Postfix's postmap.
 *
 * DIAGNOSTICS
 *	Check's summary line; the exit status is non-zero on any failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>

#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_source.h"
#include "testlib.h"

#define DATA "tests/data/ad"
#define PROFILE "mappings/active-directory.xml"

#define BASE "DC=example,DC=com"
#define PEOPLE ",OU=People," BASE
#define BIG "CN=Big,OU=Groups," BASE
#define HUGE "CN=Huge,OU=Groups," BASE
#define MAXPAGE 1000            /* AD's MaxPageSize */
#define MAXVAL 3                /* MaxValRange, small to need ranges */
#define ASKED 5000              /* the client's ldap_page_size */
#define NUSERS 2345             /* pages of 1000, 0, 1000, 347 */
#define NBIG 5                  /* member;range=0-2, then 3-* */
#define NHUGE 8                 /* 0-2, 3-5, then 6-* */
#define NMEMBEROF 4             /* user 0: memberOf;range=0-2, 3-* */

/* how the server gets a ranged "member" wrong */
enum flaw {
	F_NONE,
	F_FIRST,        /* the entry's values start at 1 */
	F_TWICE,        /* the entry has member and member;range=0-2 */
	F_GAP,          /* the answer starts one value later than asked */
	F_COUNT,        /* the answer names more values than it holds */
	F_GARBLED,      /* the answer's range is not low-high */
	F_MISSING,      /* the answer holds no member at all */
	F_NOSUCH,       /* the entry is gone on the follow-up */
	F_ENDLESS       /* every answer ends at its low: never "*" */
};

/* one request, decoded */
struct req {
	ber_int_t id;
	ber_tag_t op;
	char base[128];
	ber_int_t scope;
	char attrs[8][64];
	int nattrs;
	int paged;
	ber_int_t size;
	char cookie[32];
};

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
static ssize_t
fake_read(int fd, unsigned char *buf, size_t cap)
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
page_control(struct berval *val, struct req *r)
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
static int
fake_decode(unsigned char *buf, ssize_t n, struct req *r)
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
		if (r->nattrs == 8 || ber_scanf(ber, "m", &b) == LBER_ERROR ||
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
static int
fake_send(int fd, BerElement *ber)
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
static int
fake_bind(int fd, ber_int_t id)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL || ber_printf(ber, "{it{ess}}", id, LDAP_RES_BIND,
	    (ber_int_t)0, "", "") < 0)
		return -1;
	return fake_send(fd, ber);
}

/* fake_whoami - the answer to WhoAmI (RFC 4532), as AD gives it */
static int
fake_whoami(int fd, ber_int_t id)
{
	static const char who[] = "u:EXAMPLE\\splitsync";
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL || ber_printf(ber, "{it{essto}}", id,
	    LDAP_RES_EXTENDED, (ber_int_t)0, "", "", LDAP_TAG_EXOP_RES_VALUE,
	    who, (ber_len_t)(sizeof who - 1)) < 0)
		return -1;
	return fake_send(fd, ber);
}

/* fake_result - a search result; with a paged results control when
 * cookie is not NULL ("" ends the search) */
static int
fake_result(int fd, ber_int_t id, int code, const char *cookie)
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
	rc = fake_send(fd, ber);
	ber = NULL;
out:
	ber_free(v, 1);
	ber_free(ber, 1);
	return rc;
}

/* dn_of - the DN of fake entry k: users, then the two groups */
static void
dn_of(size_t k, size_t nusers, char *out, size_t size)
{
	if (k < nusers)
		snprintf(out, size, "CN=User %04zu" PEOPLE, k);
	else
		snprintf(out, size, "%s", k == nusers ? BIG : HUGE);
}

/* index_of - the fake entry with this DN, or (size_t)-1 */
static size_t
index_of(const char *dn, size_t nusers)
{
	char buf[128];
	size_t k;

	for (k = 0; k < nusers + 2; k++) {
		dn_of(k, nusers, buf, sizeof buf);
		if (strcasecmp(buf, dn) == 0)
			return k;
	}
	return (size_t)-1;
}

/* nvalues - how many values entry k has in attribute attr */
static size_t
nvalues(size_t k, size_t nusers, const char *attr)
{
	if (strcasecmp(attr, "member") == 0)
		return k == nusers ? NBIG : k == nusers + 1 ? NHUGE : 0;
	if (strcasecmp(attr, "memberOf") == 0)
		return k == 0 ? NMEMBEROF : 0;
	return 0;
}

/* value_of - value i of attr (the same for every entry) */
static void
value_of(const char *attr, size_t i, char *out, size_t size)
{
	if (strcasecmp(attr, "member") == 0)
		snprintf(out, size, "CN=User %04zu" PEOPLE, i);
	else
		snprintf(out, size, "CN=Group %zu,OU=Groups," BASE, i);
}

/* put_attr - one attribute with values [from, to) of attr under name */
static int
put_attr(BerElement *ber, const char *name, const char *attr, size_t from,
    size_t to)
{
	char v[128];
	size_t i;

	if (ber_printf(ber, "{s[", name) < 0)
		return -1;
	for (i = from; i < to; i++) {
		value_of(attr, i, v, sizeof v);
		if (ber_printf(ber, "s", v) < 0)
			return -1;
	}
	return ber_printf(ber, "]}") < 0 ? -1 : 0;
}

/* put_first - the values of attr an AD search entry carries: all of
 * them under the plain name, or the first MAXVAL under a range */
static int
put_first(BerElement *ber, size_t k, size_t nusers, const char *attr,
    enum flaw flaw)
{
	size_t n = nvalues(k, nusers, attr);
	int member = strcasecmp(attr, "member") == 0;
	char name[64];

	if (n == 0)
		return 0;
	if (n <= MAXVAL)
		return put_attr(ber, attr, attr, 0, n);
	if (member && flaw == F_TWICE && put_attr(ber, attr, attr, 0, 1) < 0)
		return -1;
	if (member && flaw == F_FIRST) {
		snprintf(name, sizeof name, "%s;range=1-%d", attr, MAXVAL);
		return put_attr(ber, name, attr, 1, MAXVAL + 1);
	}
	snprintf(name, sizeof name, "%s;range=0-%d", attr, MAXVAL - 1);
	return put_attr(ber, name, attr, 0, MAXVAL);
}

/* fake_entry - entry k as a paged search returns it */
static int
fake_entry(int fd, ber_int_t id, size_t k, size_t nusers, enum flaw flaw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	char dn[128];

	dn_of(k, nusers, dn, sizeof dn);
	if (ber == NULL || ber_printf(ber, "{it{s{", id,
	    LDAP_RES_SEARCH_ENTRY, dn) < 0 ||
	    ber_printf(ber, "{s[s]}", "objectClass", k < nusers ? "user" :
	    "group") < 0 ||
	    put_first(ber, k, nusers, "member", flaw) < 0 ||
	    put_first(ber, k, nusers, "memberOf", flaw) < 0 ||
	    ber_printf(ber, "}}}") < 0) {
		ber_free(ber, 1);
		return -1;
	}
	return fake_send(fd, ber);
}

/* fake_page - one page of the paged search: at most MAXPAGE entries
 * whatever was asked, none at all on the second page; the cookie
 * "p<page>o<offset>" says where the next one starts */
static int
fake_page(int fd, const struct req *r, size_t nusers, enum flaw flaw)
{
	unsigned long page = 0, off = 0;
	size_t total = nusers + 2, n, k;
	char next[32];

	if (r->cookie[0] != '\0' &&
	    sscanf(r->cookie, "p%luo%lu", &page, &off) != 2)
		return -1;
	if (off > total)
		return -1;
	n = page == 1 ? 0 : total - off;
	if (n > MAXPAGE)
		n = MAXPAGE;
	if (n > (size_t)r->size)
		n = (size_t)r->size;
	for (k = off; k < off + n; k++)
		if (fake_entry(fd, r->id, k, nusers, flaw) < 0)
			return -1;
	if (off + n == total)
		return fake_result(fd, r->id, LDAP_SUCCESS, "");
	snprintf(next, sizeof next, "p%luo%zu", page + 1, off + n);
	return fake_result(fd, r->id, LDAP_SUCCESS, next);
}

/* fake_range - answer a base search for "attr;range=low-*" of entry k,
 * as AD does (at most MAXVAL values, "*" on the last) or with a flaw */
static int
fake_range(int fd, ber_int_t id, size_t k, size_t nusers, const char *attr,
    size_t low, enum flaw flaw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	size_t n = nvalues(k, nusers, attr), high;
	char dn[128], name[96], ghost[64];
	int rc = -1;

	if (strcasecmp(attr, "member") != 0)
		flaw = F_NONE;
	if (ber == NULL)
		goto out;
	if (flaw == F_NOSUCH) {
		ber_free(ber, 1);
		return fake_result(fd, id, LDAP_NO_SUCH_OBJECT, NULL);
	}
	dn_of(k, nusers, dn, sizeof dn);
	if (ber_printf(ber, "{it{s{", id, LDAP_RES_SEARCH_ENTRY, dn) < 0)
		goto out;
	high = low + MAXVAL - 1;
	switch (flaw) {
	case F_GAP:
		snprintf(name, sizeof name, "%s;range=%zu-*", attr, low + 1);
		rc = put_attr(ber, name, attr, low + 1, n);
		break;
	case F_COUNT:
		snprintf(name, sizeof name, "%s;range=%zu-%zu", attr, low,
		    low + 4);
		rc = put_attr(ber, name, attr, low, n);
		break;
	case F_GARBLED:
		snprintf(name, sizeof name, "%s;range=%zu-x", attr, low);
		rc = put_attr(ber, name, attr, low, n);
		break;
	case F_MISSING:
		rc = 0;
		break;
	case F_ENDLESS:
		snprintf(name, sizeof name, "%s;range=%zu-%zu", attr, low,
		    low);
		snprintf(ghost, sizeof ghost, "CN=Ghost %zu", low);
		rc = ber_printf(ber, "{s[s]}", name, ghost) < 0 ? -1 : 0;
		break;
	default:
		if (low >= n)
			goto out;
		if (high + 1 >= n) {
			snprintf(name, sizeof name, "%s;range=%zu-*", attr,
			    low);
			rc = put_attr(ber, name, attr, low, n);
		} else {
			snprintf(name, sizeof name, "%s;range=%zu-%zu", attr,
			    low, high);
			rc = put_attr(ber, name, attr, low, high + 1);
		}
		break;
	}
	if (rc < 0 || ber_printf(ber, "}}}") < 0) {
		rc = -1;
		goto out;
	}
	rc = fake_send(fd, ber);
	ber = NULL;
	if (rc == 0)
		rc = fake_result(fd, id, LDAP_SUCCESS, NULL);
out:
	ber_free(ber, 1);
	return rc;
}

/* fake_base - a base search of one entry: "attr;range=low-*" is a
 * follow-up; a plain attribute gets the entry as the paged search
 * would send it */
static int
fake_base(int fd, const struct req *r, size_t nusers, enum flaw flaw)
{
	size_t k = index_of(r->base, nusers);
	char attr[64], *p, *end;
	unsigned long low;

	if (k == (size_t)-1 || r->nattrs != 1 || r->paged)
		return -1;
	snprintf(attr, sizeof attr, "%s", r->attrs[0]);
	p = strstr(attr, ";range=");
	if (p == NULL) {
		return fake_entry(fd, r->id, k, nusers, flaw) < 0 ? -1 :
		    fake_result(fd, r->id, LDAP_SUCCESS, NULL);
	}
	*p = '\0';
	p += strlen(";range=");
	errno = 0;
	low = strtoul(p, &end, 10);
	if (errno != 0 || end == p || strcmp(end, "-*") != 0)
		return -1;
	return fake_range(fd, r->id, k, nusers, attr, low, flaw);
}

/* fake_serve - the server side: a bind, then searches until the client
 * goes. The exit status says whether each request was what a client
 * of AD should send: 0 yes, else the step that went wrong. */
static int
fake_serve(int fd, size_t nusers, enum flaw flaw)
{
	static unsigned char buf[65536];
	struct req r;
	ssize_t n;

	n = fake_read(fd, buf, sizeof buf);
	if (n <= 0 || fake_decode(buf, n, &r) < 0 ||
	    r.op != LDAP_REQ_BIND || fake_bind(fd, r.id) < 0)
		return 2;
	while ((n = fake_read(fd, buf, sizeof buf)) > 0) {
		if (fake_decode(buf, n, &r) < 0)
			return 3;
		if (r.op == LDAP_REQ_UNBIND)
			continue;
		/* the client asks who it is bound as */
		if (r.op == LDAP_REQ_EXTENDED) {
			if (fake_whoami(fd, r.id) < 0)
				return 10;
			continue;
		}
		if (r.op != LDAP_REQ_SEARCH)
			return 4;
		if (r.scope == LDAP_SCOPE_SUBTREE) {
			/* the client keeps asking its own page size */
			if (!r.paged || r.size != ASKED ||
			    strcasecmp(r.base, BASE) != 0)
				return 5;
			if (fake_page(fd, &r, nusers, flaw) < 0)
				return 6;
		} else if (r.scope == LDAP_SCOPE_BASE) {
			if (fake_base(fd, &r, nusers, flaw) < 0)
				return 7;
		} else {
			return 8;
		}
	}
	return n == 0 ? 0 : 9;
}

/* what the caller of the search was given */
struct got {
	struct entry **e;
	size_t n;
};

/* collect - keep a copy of each entry */
static int
collect(const struct entry *e, void *ctx)
{
	struct got *g = ctx;
	struct entry **v;

	v = realloc(g->e, (g->n + 1) * sizeof *v);
	ck_assert_ptr_nonnull(v);
	g->e = v;
	ck_assert_int_eq(entry_dup(e, &g->e[g->n]), 0);
	g->n++;
	return 0;
}

/* got_free - the copies */
static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		entry_free(g->e[i]);
	free(g->e);
}

/* a fake server in a child, and a source connected to it */
struct fake {
	pid_t pid;
	struct ldap_source *src;
	struct diag d;
};

/* fake_start - listen on loopback, fork the server, open a source */
static void
fake_start(struct fake *f, size_t nusers, enum flaw flaw)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	struct config_ldap cfg;
	char uri[64], *uris[1];
	int lfd, cfd, rc, one = 1;

	signal(SIGPIPE, SIG_IGN);
	diag_init(&f->d, NULL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(uri, sizeof uri, "ldap://127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port));
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		alarm(30);
		cfd = accept(lfd, NULL, NULL);
		/* an entry and its result go in two writes: no Nagle delay */
		if (cfd >= 0)
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof one);
		_exit(cfd < 0 ? 1 : fake_serve(cfd, nusers, flaw));
	}
	close(lfd);
	memset(&cfg, 0, sizeof cfg);
	uris[0] = uri;
	cfg.uris = uris;
	cfg.nuris = 1;
	cfg.base = (char *)BASE;
	cfg.network_timeout = 3;
	cfg.timeout = 10;
	cfg.page_size = ASKED;
	rc = ldap_source_open(&cfg, &f->src, &f->d);
	ck_assert_msg(rc == 0, "open: %s", diag_last_error(&f->d));
}

/* fake_search - the search a mapping would run */
static int
fake_search(struct fake *f, struct got *g)
{
	static const char *const attrs[] = {
		"objectClass", "member", "memberOf", NULL
	};

	memset(g, 0, sizeof *g);
	return ldap_source_search(f->src, "(objectClass=*)", attrs, collect,
	    g, &f->d);
}

/* fake_end - close the source, check how the server saw the client */
static void
fake_end(struct fake *f, const char *name)
{
	int status;

	ldap_source_close(f->src);
	ck_assert_int_eq(waitpid(f->pid, &status, 0), f->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the server saw a wrong request (step %d)", name,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	diag_free(&f->d);
}

/* expect_values - e has attr under its plain name only, with the n
 * values value_of gives, in order */
static void
expect_values(const struct entry *e, const char *attr, size_t n)
{
	const struct entry_attr *a = entry_attr_get(e, attr);
	char want[128];
	size_t i;

	ck_assert_msg(a != NULL, "%s: no %s", e->dn, attr);
	ck_assert_str_eq(a->name, attr);
	ck_assert_msg(a->count == n, "%s: %s has %zu values, want %zu",
	    e->dn, attr, a->count, n);
	for (i = 0; i < n; i++) {
		value_of(attr, i, want, sizeof want);
		ck_assert_str_eq(a->values[i].data, want);
		ck_assert_uint_eq(a->values[i].len, strlen(want));
	}
}

START_TEST(ad_pages_and_ranges)
{
	struct fake f;
	struct got g;
	char dn[128];
	size_t i, j;
	int rc;

	fake_start(&f, NUSERS, F_NONE);
	rc = fake_search(&f, &g);
	ck_assert_msg(rc == 0, "search: %s (%s)", err_str(rc),
	    diag_last_error(&f.d));
	ck_assert_uint_eq(f.d.nerrors, 0);
	/* every entry once, in the server's order, over short pages */
	ck_assert_uint_eq(g.n, NUSERS + 2);
	for (i = 0; i < g.n; i++) {
		dn_of(i, NUSERS, dn, sizeof dn);
		ck_assert_str_eq(g.e[i]->dn, dn);
		/* no attribute keeps a range option */
		for (j = 0; j < g.e[i]->count; j++)
			ck_assert_msg(strchr(g.e[i]->attrs[j].name, ';') ==
			    NULL, "%s: %s", dn, g.e[i]->attrs[j].name);
	}
	/* one follow-up, two follow-ups, and not only member */
	expect_values(g.e[NUSERS], "member", NBIG);
	expect_values(g.e[NUSERS + 1], "member", NHUGE);
	expect_values(g.e[0], "memberOf", NMEMBEROF);
	ck_assert_ptr_null(entry_attr_get(g.e[1], "memberOf"));
	got_free(&g);
	fake_end(&f, "pages and ranges");
}
END_TEST

START_TEST(ad_entry_refuses_ranges)
{
	static char *attrs[] = { (char *)"member", NULL };
	LDAPMessage *res = NULL;
	struct entry *e = NULL;
	struct fake f;
	LDAP *ld;
	int lrc;

	/* ldap_source_entry cannot ask for the rest: a ranged entry is
	 * refused, never passed on with part of its members */
	fake_start(&f, 1, F_NONE);
	ld = ldap_source_ldap(f.src);
	lrc = ldap_search_ext_s(ld, BIG, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, LDAP_NO_LIMIT, &res);
	ck_assert_int_eq(lrc, LDAP_SUCCESS);
	ck_assert_int_eq(ldap_count_entries(ld, res), 1);
	ck_assert_int_eq(ldap_source_entry(ld, ldap_first_entry(ld, res), &e),
	    ERR_UNAVAIL);
	ck_assert_ptr_null(e);
	ldap_msgfree(res);
	fake_end(&f, "entry refuses ranges");
}
END_TEST

/* a server that gets a ranged member wrong */
static const struct flaw_case {
	const char *name;
	enum flaw flaw;
	const char *says;
} flaws[] = {
	{ "first range not at 0", F_FIRST, "values start at value 1" },
	{ "plain and ranged", F_TWICE, "holds it twice" },
	{ "gap", F_GAP, "starts at value 4" },
	{ "count", F_COUNT, "names range 3-7 but holds 2 values" },
	{ "garbled", F_GARBLED, "malformed range \"3-x\"" },
	{ "missing", F_MISSING, "holds no range of it" },
	{ "entry gone", F_NOSUCH, "No such object" },
	{ "never ends", F_ENDLESS, "no end after 1024 further searches" },
};

START_TEST(ad_bad_ranges)
{
	const struct flaw_case *c = &flaws[_i];
	const struct diag_item *it = NULL;
	struct fake f;
	struct got g;
	size_t i;
	int rc;

	fake_start(&f, 3, c->flaw);
	rc = fake_search(&f, &g);
	ck_assert_msg(rc == ERR_UNAVAIL, "%s: got %s (%s)", c->name,
	    err_str(rc), diag_last_error(&f.d));
	for (i = 0; i < f.d.count; i++)
		if (strstr(f.d.items[i].what, c->says) != NULL)
			it = &f.d.items[i];
	ck_assert_msg(it != NULL, "%s: no message with \"%s\" (%s)", c->name,
	    c->says, diag_last_error(&f.d));
	ck_assert_int_eq(it->level, DIAG_ERROR);
	ck_assert_str_eq(it->where, BIG);
	ck_assert_msg(strstr(it->what, "incomplete attribute member: ") !=
	    NULL && strstr(it->what, ": the result would be truncated") !=
	    NULL, "%s: %s", c->name, it->what);
	/* the users came before; the group never reached the caller */
	ck_assert_uint_eq(g.n, 3);
	for (i = 0; i < g.n; i++)
		ck_assert_str_ne(g.e[i]->dn, BIG);
	got_free(&g);
	fake_end(&f, c->name);
}
END_TEST

static const char *const tables[] = {
	"relay_domains", "relay_recipients", "transport"
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* what Postfix answers for a recipient, from the rendered tables */
static const struct query {
	const char *table;
	const char *key;
	const char *value;      /* NULL: not found */
} queries[] = {
	{ "transport", "Alice.Martin@example.com",
	  "smtp:[exchange.example.com]:25" },
	{ "transport", "bob.stone@example.com",
	  "smtp:[example-com.mail.protection.outlook.com]:25" },
	{ "transport", "helpdesk@example.com",
	  "smtp:[example-com.mail.protection.outlook.com]:25" },
	{ "transport", "dave@example.com",
	  "smtp:[example-com.mail.protection.outlook.com]:25" },
	{ "transport", "sales@example.org", "smtp:[exchange.example.com]:25" },
	{ "relay_recipients", "carol.diaz@example.com", NULL },
	{ "relay_recipients", "erin.cole@example.com", NULL },
	{ "relay_recipients", "frank.moss@example.com", NULL },
	{ "relay_recipients", "grace@other.example", NULL },
	{ "relay_recipients", "boardroom@example.com", "OK" },
	{ "relay_domains", "example.mail.onmicrosoft.com", "OK" },
};

START_TEST(ad_profile_renders)
{
	char *dir = testlib_tmpdir(), *out = NULL, *want, *have, path[512];
	size_t wlen, hlen, i;
	int rc;

	ck_assert_ptr_nonnull(dir);
	rc = testlib_sh(&out, "cp '%s/directory.ldif' '%s' '%s/'", DATA,
	    PROFILE, dir);
	ck_assert_msg(rc == 0, "cp: %s", out ? out : "");
	free(out);
	snprintf(path, sizeof path, "%s/splitsync.conf", dir);
	ck_assert_int_eq(testlib_write(path, "source = ldif\n"
	    "ldif = directory.ldif\n"
	    "mapping = active-directory.xml\n"
	    "layout = gateway\n"
	    "repository = repo\n"), 0);
	rc = testlib_sh(&out, "'%s' render -c '%s/splitsync.conf' -o "
	    "'%s/out'", testlib_bin(), dir, dir);
	ck_assert_msg(rc == 0, "render: %d: %s", rc, out ? out : "");
	/* data problems are reported with the entry's DN */
	ck_assert_msg(strstr(out, "CN=Grace Hall,OU=People," BASE ": address "
	    "\"grace@other.example\" refused") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "CN=Alice Martin,OU=People," BASE ": "
	    "address helpdesk@example.com is already routed for CN=Bob "
	    "Stone,OU=People," BASE) != NULL, "%s", out);
	free(out);
	rc = testlib_sh(&out, "ls '%s/out'", dir);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "relay_domains\nrelay_recipients\ntransport\n");
	free(out);

	snprintf(path, sizeof path, "%s/out/main.cf", dir);
	ck_assert_int_eq(testlib_write(path, ""), 0);
	for (i = 0; i < NTABLES; i++) {
		snprintf(path, sizeof path, "%s/gateway/%s", DATA, tables[i]);
		want = testlib_read(path, &wlen);
		ck_assert_msg(want != NULL, "cannot read %s", path);
		snprintf(path, sizeof path, "%s/out/%s", dir, tables[i]);
		have = testlib_read(path, &hlen);
		ck_assert_msg(have != NULL, "cannot read %s", path);
		ck_assert_msg(wlen == hlen && memcmp(want, have, wlen) == 0,
		    "%s differs from the golden file:\n%s", tables[i], have);
		free(want);
		free(have);
		rc = testlib_sh(&out, "postmap -c '%s/out' 'hash:%s'", dir,
		    path);
		ck_assert_msg(rc == 0 && (out == NULL || *out == '\0'),
		    "postmap %s: %d: %s", tables[i], rc, out ? out : "");
		free(out);
		out = NULL;
	}
	for (i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		const struct query *q = &queries[i];

		rc = testlib_sh(&out, "postmap -c '%s/out' -q '%s' "
		    "'hash:%s/out/%s'", dir, q->key, dir, q->table);
		if (q->value == NULL) {
			ck_assert_msg(rc == 1, "%s %s: %d %s", q->table,
			    q->key, rc, out ? out : "");
		} else {
			ck_assert_msg(rc == 0 && out != NULL, "%s %s: %d",
			    q->table, q->key, rc);
			out[strcspn(out, "\n")] = '\0';
			ck_assert_msg(strcmp(out, q->value) == 0,
			    "%s %s: %s, want %s", q->table, q->key, out,
			    q->value);
		}
		free(out);
		out = NULL;
	}
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* ad_suite - the fake server cases and the profile */
static Suite *
ad_suite(void)
{
	Suite *s = suite_create("ad");
	TCase *fake = tcase_create("fake");
	TCase *profile = tcase_create("profile");

	tcase_set_timeout(fake, 60);
	tcase_add_test(fake, ad_pages_and_ranges);
	tcase_add_test(fake, ad_entry_refuses_ranges);
	tcase_add_loop_test(fake, ad_bad_ranges, 0,
	    sizeof flaws / sizeof flaws[0]);
	suite_add_tcase(s, fake);

	tcase_set_timeout(profile, 60);
	tcase_add_test(profile, ad_profile_renders);
	suite_add_tcase(s, profile);
	return s;
}

int
main(void)
{
	return testlib_main(ad_suite());
}
