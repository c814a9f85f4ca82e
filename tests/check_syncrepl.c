/*
 * check_syncrepl - the change feed against a real slapd and a fake one
 *
 * DESCRIPTION
 *	The "slapd" cases each start their own slapd (syncprov with a
 *	session log, see tests/slapd/slapd-ctl) in a checked fixture and
 *	load tests/slapd/base.ldif and tests/data/syncrepl/people.ldif.
 *	A missing slapd fails the case: it is never skipped. The feed
 *	drives a small mirror (a set of ids with the sweep rule of
 *	refresh_done) whose content is compared with a plain search of the
 *	directory: what the callbacks say must converge to what is there.
 *	Every wait is bounded and runs the loop the header prescribes
 *	(poll on syncrepl_fd, syncrepl_process, syncrepl_pending).
 *
 *	The "fake" cases talk to a scripted server in a child process, for
 *	what syncprov does not send with this configuration: a refresh
 *	required result, present and delete phases in one refresh, present
 *	id sets, malformed messages.
 *
 * DIAGNOSTICS
 *	Check's summary line; the exit status is non-zero on any failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>

#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_source.h"
#include "ldapwire.h"
#include "slapd.h"
#include "syncrepl.h"
#include "testlib.h"

#define PEOPLE_LDIF "tests/data/syncrepl/people.ldif"
#define PEOPLE ",ou=people,dc=example,dc=com"
#define STAFF "cn=staff,ou=groups,dc=example,dc=com"
#define FILTER "(|(&(objectClass=inetOrgPerson)(mail=*))" \
	"(objectClass=groupOfNames))"
#define NMATCH 7                /* alice..frank and the group */
#define WAIT_MS 10000           /* bound on any one wait */
#define PUMP_TIMEOUT 100        /* pump: time ran out */
#define NBULK 40
#define NBIG 300                /* more than SYNCREPL_BUDGET */

/* the server of the running test case, set up by its fixture */
static struct slapd sd;

/* setup - a new server with the test tree */
static void
setup(void)
{
	static char why[8192];
	int failed;

	signal(SIGPIPE, SIG_IGN);
	failed = slapd_start(&sd, NULL) != 0 ||
	    slapd_load(&sd, SLAPD_BASE_LDIF) != 0 ||
	    slapd_load(&sd, PEOPLE_LDIF) != 0;
	if (!failed)
		return;
	snprintf(why, sizeof why, "%s", sd.output ? sd.output : "?");
	slapd_cleanup(&sd);
	ck_abort_msg("slapd: %s", why);
}

/* teardown - stop the case's server, remove its directory */
static void
teardown(void)
{
	slapd_cleanup(&sd);
}

/* one callback, as the mirror saw it */
struct event {
	int kind;               /* 'E'ntry, 'P'resent, 'R'emove */
	char id[SYNCREPL_ID_LEN + 1];
	char *dn;               /* entries only */
	struct entry *e;        /* entries only: a copy */
};

struct item {
	char *id;
	char *dn;
	int seen;               /* given to entry or present this refresh */
};

/* feed - the mirror and everything the handler was told */
struct feed {
	struct item *items;
	size_t nitems;
	struct event *ev;
	size_t nev;
	int begins, dones, sweep;
	char *cookie;
	size_t cookie_len;
	int ncookies;
	int stop_at;            /* entry returns ERR_STOP at this call */
	int nentry;
	char trace[1024];       /* fake cases: one token per callback */
	struct diag d;
};

/* feed_init - empty mirror */
static void
feed_init(struct feed *f)
{
	memset(f, 0, sizeof *f);
	diag_init(&f->d, NULL);
}

/* feed_forget - drop the recorded events and counters, keep the
 * mirror and the cookie */
static void
feed_forget(struct feed *f)
{
	size_t i;

	for (i = 0; i < f->nev; i++) {
		free(f->ev[i].dn);
		entry_free(f->ev[i].e);
	}
	free(f->ev);
	f->ev = NULL;
	f->nev = 0;
	f->begins = f->dones = f->ncookies = f->nentry = 0;
	f->sweep = -1;
	f->trace[0] = '\0';
	diag_free(&f->d);
	diag_init(&f->d, NULL);
}

/* feed_free - everything */
static void
feed_free(struct feed *f)
{
	size_t i;

	feed_forget(f);
	for (i = 0; i < f->nitems; i++) {
		free(f->items[i].id);
		free(f->items[i].dn);
	}
	free(f->items);
	free(f->cookie);
	diag_free(&f->d);
}

/* find_id - the mirror item with this id, or NULL */
static struct item *
find_id(struct feed *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->nitems; i++)
		if (strcmp(f->items[i].id, id) == 0)
			return &f->items[i];
	return NULL;
}

/* id_of - the id the mirror holds for dn (a copy), or NULL */
static char *
id_of(struct feed *f, const char *dn)
{
	size_t i;

	for (i = 0; i < f->nitems; i++)
		if (strcasecmp(f->items[i].dn, dn) == 0)
			return strdup(f->items[i].id);
	return NULL;
}

/* drop - remove item i from the mirror */
static void
drop(struct feed *f, size_t i)
{
	free(f->items[i].id);
	free(f->items[i].dn);
	f->items[i] = f->items[--f->nitems];
}

/* put - the mirror holds id with dn, seen */
static void
put(struct feed *f, const char *id, const char *dn)
{
	struct item *it = find_id(f, id), *v;

	if (it == NULL) {
		v = realloc(f->items, (f->nitems + 1) * sizeof *v);
		ck_assert_ptr_nonnull(v);
		f->items = v;
		it = &f->items[f->nitems++];
		it->id = strdup(id);
		it->dn = NULL;
		ck_assert_ptr_nonnull(it->id);
	}
	free(it->dn);
	it->dn = strdup(dn ? dn : "");
	ck_assert_ptr_nonnull(it->dn);
	it->seen = 1;
}

/* trace - append a token for the fake cases: tok, then the last byte
 * of the id if any */
static void
trace(struct feed *f, const char *tok, const char *id)
{
	size_t n = strlen(f->trace);

	snprintf(f->trace + n, sizeof f->trace - n, "%s%s ", tok,
	    id ? id + SYNCREPL_ID_LEN - 2 : "");
}

/* record - one event (e copied when given) */
static void
record(struct feed *f, int kind, const char *id, const struct entry *e)
{
	struct event *v;
	size_t i, j;

	v = realloc(f->ev, (f->nev + 1) * sizeof *v);
	ck_assert_ptr_nonnull(v);
	f->ev = v;
	v = &f->ev[f->nev++];
	memset(v, 0, sizeof *v);
	v->kind = kind;
	snprintf(v->id, sizeof v->id, "%s", id);
	if (e == NULL)
		return;
	v->dn = strdup(e->dn);
	ck_assert_ptr_nonnull(v->dn);
	ck_assert_int_eq(entry_new(&v->e, e->dn, NULL), 0);
	for (i = 0; i < e->count; i++)
		for (j = 0; j < e->attrs[i].count; j++)
			ck_assert_int_eq(entry_add_value(v->e,
			    e->attrs[i].name, e->attrs[i].values[j].data,
			    e->attrs[i].values[j].len), 0);
}

/* id_ok - 8-4-4-4-12 lowercase hex */
static int
id_ok(const char *id)
{
	size_t i;

	if (strlen(id) != SYNCREPL_ID_LEN)
		return 0;
	for (i = 0; i < SYNCREPL_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (id[i] != '-')
				return 0;
		} else if (strchr("0123456789abcdef", id[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

/* on_begin - a refresh starts: nothing is seen yet */
static int
on_begin(void *ctx)
{
	struct feed *f = ctx;
	size_t i;

	f->begins++;
	for (i = 0; i < f->nitems; i++)
		f->items[i].seen = 0;
	trace(f, "B", NULL);
	return 0;
}

/* on_entry - store the entry under its id */
static int
on_entry(void *ctx, const char *id, const struct entry *e)
{
	struct feed *f = ctx;
	const struct entry_attr *a;

	ck_assert_msg(id_ok(id), "bad id %s", id);
	if (f->stop_at > 0 && ++f->nentry == f->stop_at)
		return ERR_STOP;
	/* a real server's entries carry the requested entryUUID */
	a = entry_attr_get(e, "entryUUID");
	if (a != NULL) {
		ck_assert_uint_eq(a->count, 1);
		ck_assert_str_eq(a->values[0].data, id);
	}
	record(f, 'E', id, e);
	put(f, id, e->dn);
	trace(f, "E", id);
	return 0;
}

/* on_present - id is unchanged */
static int
on_present(void *ctx, const char *id)
{
	struct feed *f = ctx;
	struct item *it = find_id(f, id);

	ck_assert_msg(id_ok(id), "bad id %s", id);
	record(f, 'P', id, NULL);
	if (it != NULL)
		it->seen = 1;
	else
		put(f, id, NULL);
	trace(f, "P", id);
	return 0;
}

/* on_remove - forget id */
static int
on_remove(void *ctx, const char *id)
{
	struct feed *f = ctx;
	size_t i;

	ck_assert_msg(id_ok(id), "bad id %s", id);
	record(f, 'R', id, NULL);
	for (i = 0; i < f->nitems; i++)
		if (strcmp(f->items[i].id, id) == 0) {
			drop(f, i);
			break;
		}
	trace(f, "R", id);
	return 0;
}

/* on_done - the sweep rule */
static int
on_done(void *ctx, int sweep)
{
	struct feed *f = ctx;
	size_t i;

	f->dones++;
	f->sweep = sweep;
	if (sweep)
		for (i = f->nitems; i-- > 0;)
			if (!f->items[i].seen)
				drop(f, i);
	trace(f, sweep ? "D1" : "D0", NULL);
	return 0;
}

/* on_cookie - keep the last cookie */
static int
on_cookie(void *ctx, const char *cookie, size_t len)
{
	struct feed *f = ctx;
	size_t n = strlen(f->trace);

	ck_assert_uint_gt(len, 0);
	free(f->cookie);
	f->cookie = malloc(len + 1);
	ck_assert_ptr_nonnull(f->cookie);
	memcpy(f->cookie, cookie, len);
	f->cookie[len] = '\0';
	f->cookie_len = len;
	f->ncookies++;
	snprintf(f->trace + n, sizeof f->trace - n, "C%s ", f->cookie);
	return 0;
}

static const struct syncrepl_handler handler = {
	on_begin, on_entry, on_present, on_remove, on_done, on_cookie
};

/* now_ms - a monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef int (*pred_fn)(struct feed *f, struct syncrepl *s, const void *arg);

/* pump - the event loop of the header until pred holds (0), the
 * syncrepl ends (what process returned) or ms run out (PUMP_TIMEOUT) */
static int
pump(struct feed *f, struct syncrepl *s, pred_fn pred, const void *arg,
    int ms)
{
	long long deadline = now_ms() + ms, left;
	struct pollfd p;
	int n, rc;

	for (;;) {
		if (pred != NULL && pred(f, s, arg))
			return 0;
		left = deadline - now_ms();
		if (left <= 0)
			return PUMP_TIMEOUT;
		p.fd = syncrepl_fd(s);
		p.events = POLLIN;
		p.revents = 0;
		n = poll(&p, 1, syncrepl_pending(s) ? 0 : (int)left);
		ck_assert_msg(n >= 0 || errno == EINTR, "poll: %s",
		    strerror(errno));
		if (n > 0 || syncrepl_pending(s)) {
			rc = syncrepl_process(s, &f->d);
			if (rc != 0)
				return rc;
		}
	}
}

/* refreshed - the refresh is over */
static int
refreshed(struct feed *f, struct syncrepl *s, const void *arg)
{
	(void)arg;
	return f->dones > 0 && !syncrepl_refreshing(s);
}

/* what an event wait looks for */
struct want {
	size_t from;            /* events before this index do not count */
	int kind;
	const char *id;         /* NULL: any */
	const char *dn;         /* NULL: any */
	size_t count;           /* how many such events (0 means 1) */
};

/* seen - enough matching events arrived */
static int
seen(struct feed *f, struct syncrepl *s, const void *arg)
{
	const struct want *w = arg;
	size_t i, n = 0;

	(void)s;
	for (i = w->from; i < f->nev; i++)
		if (f->ev[i].kind == w->kind &&
		    (w->id == NULL || strcmp(f->ev[i].id, w->id) == 0) &&
		    (w->dn == NULL || (f->ev[i].dn != NULL &&
		    strcasecmp(f->ev[i].dn, w->dn) == 0)))
			n++;
	return n >= (w->count ? w->count : 1);
}

/* source - open a source on uri (anonymous; TLS with the test CA) */
static struct ldap_source *
source(const char *uri)
{
	struct config_ldap cfg;
	struct ldap_source *src = NULL;
	char *uris[1];
	struct diag d;
	int rc;

	memset(&cfg, 0, sizeof cfg);
	uris[0] = (char *)uri;
	cfg.uris = uris;
	cfg.nuris = 1;
	cfg.base = (char *)"dc=example,dc=com";
	cfg.tls_verify = 1;
	cfg.ca_file = sd.ca_file;
	cfg.network_timeout = 3;
	cfg.timeout = 10;
	diag_init(&d, NULL);
	rc = ldap_source_open(&cfg, &src, &d);
	ck_assert_msg(rc == 0, "open %s: %s", uri, diag_last_error(&d));
	diag_free(&d);
	return src;
}

/* the directory as a plain search sees it */
struct truth {
	char **id;
	char **dn;
	size_t n;
};

/* collect_truth - entry_source_fn keeping entryUUID and DN */
static int
collect_truth(const struct entry *e, void *ctx)
{
	struct truth *t = ctx;
	const struct entry_attr *a = entry_attr_get(e, "entryUUID");

	ck_assert_ptr_nonnull(a);
	t->id = realloc(t->id, (t->n + 1) * sizeof *t->id);
	t->dn = realloc(t->dn, (t->n + 1) * sizeof *t->dn);
	ck_assert(t->id != NULL && t->dn != NULL);
	t->id[t->n] = strdup(a->values[0].data);
	t->dn[t->n] = strdup(e->dn);
	ck_assert(t->id[t->n] != NULL && t->dn[t->n] != NULL);
	t->n++;
	return 0;
}

/* converged - the mirror holds exactly the entries the filter matches
 * now, under the same DNs */
static void
converged(struct feed *f, const char *when)
{
	static const char *const attrs[] = { "entryUUID", NULL };
	struct ldap_source *src = source(sd.ldapi_uri);
	struct truth t = { NULL, NULL, 0 };
	struct diag d;
	struct item *it;
	size_t i;

	diag_init(&d, NULL);
	ck_assert_int_eq(ldap_source_search(src, FILTER, attrs,
	    collect_truth, &t, &d), 0);
	ldap_source_close(src);
	diag_free(&d);
	ck_assert_msg(f->nitems == t.n, "%s: mirror has %zu ids, the "
	    "directory %zu", when, f->nitems, t.n);
	for (i = 0; i < t.n; i++) {
		it = find_id(f, t.id[i]);
		ck_assert_msg(it != NULL, "%s: %s (%s) missing", when,
		    t.dn[i], t.id[i]);
		ck_assert_msg(strcasecmp(it->dn, t.dn[i]) == 0,
		    "%s: %s is %s in the mirror", when, t.dn[i], it->dn);
		free(t.id[i]);
		free(t.dn[i]);
	}
	free(t.id);
	free(t.dn);
}

/* modify - apply LDIF change records to the running server */
static void
modify(const char *ldif)
{
	ck_assert_msg(slapd_modify(&sd, ldif) == 0, "%s", sd.output);
}

/* start - a syncrepl on src from the feed's cookie (or none) */
static struct syncrepl *
start(struct feed *f, struct ldap_source *src, const char *cookie,
    int persist)
{
	struct syncrepl *s = NULL;
	int rc;

	rc = syncrepl_start(src, FILTER, NULL, cookie,
	    cookie ? strlen(cookie) : 0, persist, &handler, f, &s, &f->d);
	ck_assert_msg(rc == 0, "start: %s: %s", err_str(rc),
	    diag_last_error(&f->d));
	return s;
}

/* value_is - e has attribute name with this value */
static int
value_is(const struct entry *e, const char *name, const char *value)
{
	return entry_has_value(e, name, value, strlen(value));
}

START_TEST(full_refresh)
{
	struct ldap_source *src = source(sd.ldap_uri);
	struct syncrepl *s;
	struct feed f;
	const struct entry *e = NULL;
	size_t i;

	feed_init(&f);
	s = start(&f, src, NULL, 1);
	ck_assert_int_ge(syncrepl_fd(s), 0);
	ck_assert_int_eq(syncrepl_refreshing(s), 1);
	ck_assert_int_eq(f.begins, 0);  /* nothing before process */
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	ck_assert_int_eq(f.begins, 1);
	ck_assert_int_eq(f.dones, 1);
	ck_assert_int_eq(f.sweep, 1);   /* no cookie: everything was sent */
	ck_assert_uint_eq(f.nev, NMATCH);
	for (i = 0; i < f.nev; i++) {
		ck_assert_int_eq(f.ev[i].kind, 'E');
		if (strcasecmp(f.ev[i].dn, "uid=alice" PEOPLE) == 0)
			e = f.ev[i].e;
	}
	/* the whole entry, entryUUID included, no other operational */
	ck_assert_ptr_nonnull(e);
	ck_assert(value_is(e, "cn", "Alice Liddell"));
	ck_assert(value_is(e, "mail", "alice@example.com"));
	ck_assert(value_is(e, "objectClass", "inetOrgPerson"));
	ck_assert_ptr_nonnull(entry_attr_get(e, "entryUUID"));
	ck_assert_ptr_null(entry_attr_get(e, "entryCSN"));
	ck_assert_int_eq(f.ncookies, 1);
	ck_assert_msg(strncmp(f.cookie, "rid=", 4) == 0 &&
	    strstr(f.cookie, "csn=") != NULL, "cookie %s", f.cookie);
	converged(&f, "after the refresh");
	/* nothing more: the loop stays quiet, the search still runs */
	ck_assert_int_eq(pump(&f, s, NULL, NULL, 300), PUMP_TIMEOUT);
	ck_assert_uint_eq(f.nev, NMATCH);
	ck_assert_uint_eq(f.d.nerrors, 0);
	syncrepl_stop(s);
	ldap_source_close(src);
	feed_free(&f);
}
END_TEST

/* persist: one change, what must arrive, and what it must look like */
static const struct change {
	const char *name;
	const char *ldif;
	int kind;
	const char *dn;         /* the entry's DN when it arrives */
	const char *was;        /* the same id as this DN had before */
	const char *attr, *value;
} changes[] = {
	{ "add", "dn: uid=henry" PEOPLE "\nchangetype: add\n"
	  "objectClass: inetOrgPerson\nuid: henry\ncn: Henry Jekyll\n"
	  "sn: Jekyll\nmail: henry@example.com\n",
	  'E', "uid=henry" PEOPLE, NULL, "mail", "henry@example.com" },
	{ "modify", "dn: uid=carol" PEOPLE "\nchangetype: modify\n"
	  "replace: mail\nmail: danvers@example.com\n",
	  'E', "uid=carol" PEOPLE, "uid=carol" PEOPLE, "mail",
	  "danvers@example.com" },
	{ "delete", "dn: uid=dave" PEOPLE "\nchangetype: delete\n",
	  'R', NULL, "uid=dave" PEOPLE, NULL, NULL },
	{ "modrdn", "dn: uid=erin" PEOPLE "\nchangetype: modrdn\n"
	  "newrdn: uid=erin.b\ndeleteoldrdn: 1\n",
	  'E', "uid=erin.b" PEOPLE, "uid=erin" PEOPLE, "uid", "erin.b" },
	{ "leaves the filter", "dn: uid=frank" PEOPLE "\n"
	  "changetype: modify\ndelete: mail\n",
	  'R', NULL, "uid=frank" PEOPLE, NULL, NULL },
	{ "enters the filter", "dn: uid=grace" PEOPLE "\n"
	  "changetype: modify\nadd: mail\nmail: grace@example.com\n",
	  'E', "uid=grace" PEOPLE, NULL, "sn", "Hopper" },
	{ "group member", "dn: " STAFF "\nchangetype: modify\n"
	  "add: member\nmember: uid=bob" PEOPLE "\n",
	  'E', STAFF, STAFF, "member", "uid=bob" PEOPLE },
};

START_TEST(persist_changes)
{
	struct ldap_source *src = source(sd.ldaps_uri);
	const struct change *c;
	struct syncrepl *s;
	struct feed f;
	struct want w;
	char *was, ldif[NBULK * 160], *p;
	long long t0;
	int ncookies, rc;
	size_t i, k;

	feed_init(&f);
	s = start(&f, src, NULL, 1);
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	ck_assert_uint_eq(f.nitems, NMATCH);
	ncookies = f.ncookies;
	for (i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		c = &changes[i];
		was = c->was ? id_of(&f, c->was) : NULL;
		ck_assert_msg(c->was == NULL || was != NULL, "%s: no id for %s",
		    c->name, c->was);
		memset(&w, 0, sizeof w);
		w.from = f.nev;
		w.kind = c->kind;
		w.id = was;
		w.dn = c->dn;
		t0 = now_ms();
		modify(c->ldif);
		rc = pump(&f, s, seen, &w, WAIT_MS);
		ck_assert_msg(rc == 0, "%s: nothing within %d ms (%s: %s)",
		    c->name, WAIT_MS, err_str(rc), diag_last_error(&f.d));
		ck_assert_msg(now_ms() - t0 < WAIT_MS, "%s: too slow", c->name);
		if (c->kind == 'E') {
			/* the last such event is the one for this change */
			for (k = f.nev; k-- > w.from;)
				if (f.ev[k].kind == 'E' &&
				    strcasecmp(f.ev[k].dn, c->dn) == 0)
					break;
			ck_assert_msg(value_is(f.ev[k].e, c->attr, c->value),
			    "%s: %s: %s missing", c->name, c->dn, c->attr);
			/* the whole entry, not only what changed */
			ck_assert_ptr_nonnull(entry_attr_get(f.ev[k].e, "cn"));
			ck_assert_ptr_nonnull(entry_attr_get(f.ev[k].e,
			    "objectClass"));
		} else {
			ck_assert_ptr_null(find_id(&f, was));
		}
		free(was);
		converged(&f, c->name);
	}
	ck_assert_int_gt(f.ncookies, ncookies);
	ck_assert_int_eq(f.dones, 1);

	/* a burst: everything the library already holds is handled by one
	 * call, without waiting for the socket to say so */
	p = ldif;
	for (i = 0; i < NBULK; i++)
		p += sprintf(p, "dn: uid=bulk%02zu" PEOPLE "\nchangetype: add\n"
		    "objectClass: inetOrgPerson\nuid: bulk%02zu\ncn: B\n"
		    "sn: B\nmail: bulk%02zu@example.com\n\n", i, i, i);
	memset(&w, 0, sizeof w);
	w.from = f.nev;
	w.kind = 'E';
	w.count = NBULK;
	modify(ldif);
	rc = pump(&f, s, seen, &w, WAIT_MS);
	ck_assert_msg(rc == 0, "burst: %s", err_str(rc));
	converged(&f, "after the burst");
	ck_assert_uint_eq(f.d.nerrors, 0);
	syncrepl_stop(s);
	ldap_source_close(src);
	feed_free(&f);
}
END_TEST

/* settle - wait until the server has stopped sending: the bytes
 * queued on fd stay the same for a while (at most WAIT_MS in all) */
static void
settle(int fd)
{
	long long deadline = now_ms() + WAIT_MS;
	int n = -1, prev;

	do {
		prev = n;
		usleep(300 * 1000);
		ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	} while ((n != prev || n == 0) && now_ms() < deadline);
}

START_TEST(drain_in_one_call)
{
	struct ldap_source *src = source(sd.ldaps_uri);
	struct syncrepl *s;
	struct feed f;
	struct want w;
	static char big[NBIG * 100];
	char ldif[NBULK * 100], *p;
	size_t i;

	feed_init(&f);
	s = start(&f, src, NULL, 1);
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	p = ldif;
	for (i = 0; i < NBULK; i++)
		p += sprintf(p, "dn: uid=alice" PEOPLE "\nchangetype: modify\n"
		    "replace: description\ndescription: %zu\n\n", i);
	modify(ldif);
	/* once the server has sent it all, one poll and one call must
	 * take every message: none may stay inside the library */
	settle(syncrepl_fd(s));
	memset(&w, 0, sizeof w);
	w.from = f.nev;
	w.kind = 'E';
	w.count = NBULK;
	ck_assert_int_eq(poll(&(struct pollfd){ syncrepl_fd(s), POLLIN, 0 },
	    1, 0), 1);
	ck_assert_int_eq(syncrepl_process(s, &f.d), 0);
	ck_assert_msg(seen(&f, s, &w), "one call handled %zu of %d changes",
	    f.nev - w.from, NBULK);
	ck_assert_int_eq(syncrepl_pending(s), 0);
	ck_assert(value_is(f.ev[f.nev - 1].e, "description", "39"));

	/* more than one call may take: it stops at its budget and says
	 * more is waiting; the loop then gets the rest */
	p = big;
	for (i = 0; i < NBIG; i++)
		p += sprintf(p, "dn: uid=bob" PEOPLE "\nchangetype: modify\n"
		    "replace: description\ndescription: %zu\n\n", i);
	modify(big);
	settle(syncrepl_fd(s));
	memset(&w, 0, sizeof w);
	w.from = f.nev;
	w.kind = 'E';
	w.count = NBIG;
	ck_assert_int_eq(syncrepl_process(s, &f.d), 0);
	ck_assert_int_eq(syncrepl_pending(s), 1);
	ck_assert_uint_le(f.nev - w.from, SYNCREPL_BUDGET);
	ck_assert_uint_gt(f.nev - w.from, 0);
	ck_assert_int_eq(pump(&f, s, seen, &w, WAIT_MS), 0);
	ck_assert(value_is(f.ev[f.nev - 1].e, "description", "299"));
	syncrepl_stop(s);
	ldap_source_close(src);
	feed_free(&f);
}
END_TEST

/* made while no syncrepl runs */
static const char offline_changes[] =
	"dn: uid=henry" PEOPLE "\nchangetype: add\n"
	"objectClass: inetOrgPerson\nuid: henry\ncn: Henry Jekyll\n"
	"sn: Jekyll\nmail: henry@example.com\n\n"
	"dn: uid=carol" PEOPLE "\nchangetype: modify\n"
	"replace: mail\nmail: danvers@example.com\n\n"
	"dn: uid=dave" PEOPLE "\nchangetype: delete\n\n"
	"dn: uid=frank" PEOPLE "\nchangetype: modify\ndelete: mail\n\n"
	"dn: uid=grace" PEOPLE "\nchangetype: modify\n"
	"replace: cn\ncn: Grace B. Hopper\n";

/* only_changed - entry events name henry and carol, once each, and
 * nothing else; no remove names an entry that did not change (a remove
 * of an id the mirror never had, such as grace's, changed outside the
 * filter, is the server's choice and harmless) */
static void
only_changed(struct feed *f, char *const *unchanged, size_t n)
{
	int henry = 0, carol = 0;
	size_t i, j;

	for (i = 0; i < f->nev; i++) {
		if (f->ev[i].kind == 'E') {
			henry += strcasecmp(f->ev[i].dn, "uid=henry" PEOPLE) == 0;
			carol += strcasecmp(f->ev[i].dn, "uid=carol" PEOPLE) == 0;
			ck_assert_msg(strcasecmp(f->ev[i].dn, "uid=henry" PEOPLE)
			    == 0 || strcasecmp(f->ev[i].dn, "uid=carol" PEOPLE)
			    == 0, "unchanged %s sent", f->ev[i].dn);
		} else if (f->ev[i].kind == 'R') {
			for (j = 0; j < n; j++)
				ck_assert_msg(strcmp(f->ev[i].id, unchanged[j])
				    != 0, "unchanged %s removed", f->ev[i].id);
		}
	}
	ck_assert_int_eq(henry, 1);
	ck_assert_int_eq(carol, 1);
}

START_TEST(resume_from_cookie)
{
	struct ldap_source *src = source(sd.ldap_uri);
	struct syncrepl *s;
	struct feed f;
	static const char *const keep[] = {
		"uid=alice" PEOPLE, "uid=bob" PEOPLE, "uid=erin" PEOPLE, STAFF
	};
	char *unchanged[4], *cookie;
	size_t i;

	feed_init(&f);
	s = start(&f, src, NULL, 0);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), 1);
	syncrepl_stop(s);
	ck_assert_uint_eq(f.nitems, NMATCH);
	ck_assert_int_eq(f.ncookies, 1);
	for (i = 0; i < 4; i++) {
		unchanged[i] = id_of(&f, keep[i]);
		ck_assert_ptr_nonnull(unchanged[i]);
	}

	/* refreshAndPersist from the cookie after changes made meanwhile */
	modify(offline_changes);
	feed_forget(&f);
	cookie = strdup(f.cookie);
	s = start(&f, src, cookie, 1);
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	ck_assert_int_eq(f.begins, 1);
	ck_assert_int_eq(f.dones, 1);
	only_changed(&f, unchanged, 4);
	ck_assert_int_eq(f.ncookies, 1);
	ck_assert_str_ne(f.cookie, cookie);
	converged(&f, "resumed");
	syncrepl_stop(s);

	/* and again with nothing changed: no entry, the same cookie */
	free(cookie);
	cookie = strdup(f.cookie);
	feed_forget(&f);
	s = start(&f, src, cookie, 0);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), 1);
	ck_assert_uint_eq(f.nev, 0);
	ck_assert_int_eq(f.dones, 1);
	ck_assert_int_eq(f.sweep, 0);
	ck_assert_int_eq(f.ncookies, 1);
	ck_assert_str_eq(f.cookie, cookie);
	converged(&f, "unchanged");
	ck_assert_uint_eq(f.d.nerrors, 0);
	syncrepl_stop(s);
	ldap_source_close(src);
	free(cookie);
	for (i = 0; i < 4; i++)
		free(unchanged[i]);
	feed_free(&f);
}
END_TEST

/* cookies a resume cannot use, and what must happen */
static const struct badcookie {
	const char *name;
	const char *cookie;
	int begins;             /* 2: the server refused, the search restarted */
	const char *says;       /* in a warning */
} badcookies[] = {
	{ "garbage", "garbage", 1, "not one the server can resume" },
	{ "bad csn", "rid=000,csn=garbage", 1,
	  "not one the server can resume" },
	{ "no rid", "csn=20200101000000.000000Z#000000#000#000000", 1,
	  "not one the server can resume" },
	{ "too old", "rid=000,csn=20000101000000.000000Z#000000#000#000000",
	  1, NULL },
	{ "newer than the server",
	  "rid=000,csn=29000101000000.000000Z#000000#000#000000", 2,
	  "refused the cookie" },
};

START_TEST(bad_cookie)
{
	const struct badcookie *c = &badcookies[_i];
	struct ldap_source *src = source(sd.ldap_uri);
	struct syncrepl *s;
	struct feed f;
	size_t i;

	feed_init(&f);
	s = start(&f, src, NULL, 0);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), 1);
	syncrepl_stop(s);
	/* the mirror also holds an id the directory never had */
	put(&f, "ffffffff-ffff-ffff-ffff-ffffffffffff", "uid=ghost" PEOPLE);
	modify(offline_changes);
	feed_forget(&f);
	s = start(&f, src, c->cookie, 0);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), 1);
	ck_assert_msg(f.begins == c->begins, "%s: %d refresh_begin", c->name,
	    f.begins);
	ck_assert_int_eq(f.dones, 1);
	ck_assert_int_eq(f.sweep, 1);
	ck_assert_int_eq(f.ncookies, 1);
	ck_assert_str_ne(f.cookie, c->cookie);
	if (c->says != NULL) {
		for (i = 0; i < f.d.count; i++)
			if (strstr(f.d.items[i].what, c->says) != NULL)
				break;
		ck_assert_msg(i < f.d.count, "%s: no warning", c->name);
	}
	ck_assert_uint_eq(f.d.nerrors, 0);
	converged(&f, c->name);
	syncrepl_stop(s);
	ldap_source_close(src);
	feed_free(&f);
}
END_TEST

START_TEST(server_stops)
{
	struct ldap_source *src = source(sd.ldap_uri);
	struct syncrepl *s;
	struct feed f;
	long long t0;

	feed_init(&f);
	s = start(&f, src, NULL, 1);
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	ck_assert_msg(slapd_stop(&sd) == 0, "%s", sd.output);
	t0 = now_ms();
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), ERR_UNAVAIL);
	ck_assert_int_lt(now_ms() - t0, WAIT_MS);
	ck_assert_uint_ge(f.d.nerrors, 1);
	ck_assert_msg(strstr(diag_last_error(&f.d), sd.ldap_uri) != NULL,
	    "%s", diag_last_error(&f.d));
	/* it stays ended */
	ck_assert_int_eq(syncrepl_process(s, &f.d), ERR_UNAVAIL);
	syncrepl_stop(s);
	/* the source's connection is gone: no new search on it */
	s = NULL;
	ck_assert_int_eq(syncrepl_start(src, FILTER, NULL, NULL, 0, 1,
	    &handler, &f, &s, &f.d), ERR_UNAVAIL);
	ck_assert_ptr_null(s);
	ldap_source_close(src);
	feed_free(&f);
}
END_TEST

START_TEST(resume_after_restart)
{
	struct ldap_source *src = source(sd.ldap_uri);
	struct syncrepl *s;
	struct feed f;
	struct want w;
	char *cookie;

	/* what the service does: feed, lose the server, reconnect with a
	 * new source from the last cookie; the server's session log did
	 * not survive its restart */
	feed_init(&f);
	s = start(&f, src, NULL, 1);
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	modify(offline_changes);
	ck_assert_msg(slapd_stop(&sd) == 0, "%s", sd.output);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), ERR_UNAVAIL);
	syncrepl_stop(s);
	ldap_source_close(src);
	ck_assert_msg(slapd_restart(&sd) == 0, "%s", sd.output);
	modify("dn: uid=bob" PEOPLE "\nchangetype: delete\n");

	cookie = strdup(f.cookie);
	feed_forget(&f);
	src = source(sd.ldap_uri);
	s = start(&f, src, cookie, 1);
	ck_assert_int_eq(pump(&f, s, refreshed, NULL, WAIT_MS), 0);
	ck_assert_int_eq(f.dones, 1);
	converged(&f, "after the restart");
	memset(&w, 0, sizeof w);
	w.from = f.nev;
	w.kind = 'E';
	w.dn = "uid=grace" PEOPLE;
	modify("dn: uid=grace" PEOPLE "\nchangetype: modify\n"
	    "add: mail\nmail: grace@example.com\n");
	ck_assert_int_eq(pump(&f, s, seen, &w, WAIT_MS), 0);
	converged(&f, "live after the restart");
	syncrepl_stop(s);
	ldap_source_close(src);
	free(cookie);
	feed_free(&f);
}
END_TEST

START_TEST(refresh_only)
{
	static const char *const mail[] = { "mail", NULL };
	struct ldap_source *src = source(sd.ldapi_uri);
	struct syncrepl *s = NULL;
	struct feed f;
	struct truth t = { NULL, NULL, 0 };
	size_t i;

	feed_init(&f);
	ck_assert_int_eq(syncrepl_start(src, FILTER, mail, NULL, 0, 0,
	    &handler, &f, &s, &f.d), 0);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), 1);
	ck_assert_int_eq(syncrepl_refreshing(s), 0);
	ck_assert_int_eq(syncrepl_pending(s), 0);
	ck_assert_int_eq(f.dones, 1);
	ck_assert_int_eq(f.sweep, 1);
	ck_assert_int_eq(f.ncookies, 1);
	ck_assert_uint_eq(f.nev, NMATCH);
	/* named attributes, plus entryUUID */
	for (i = 0; i < f.nev; i++) {
		ck_assert_ptr_nonnull(entry_attr_get(f.ev[i].e, "entryUUID"));
		ck_assert_ptr_null(entry_attr_get(f.ev[i].e, "cn"));
	}
	converged(&f, "refreshOnly");
	/* ended: it says so again, and calls nothing */
	ck_assert_int_eq(syncrepl_process(s, &f.d), 1);
	ck_assert_int_eq(f.dones, 1);
	syncrepl_stop(s);

	/* a filter libldap rejects */
	s = NULL;
	ck_assert_int_eq(syncrepl_start(src, "(((", NULL, NULL, 0, 1,
	    &handler, &f, &s, &f.d), ERR_INVAL);
	ck_assert_ptr_null(s);

	/* a callback that stops: returned, and again; the source survives
	 * the abandoned search */
	feed_free(&f);
	feed_init(&f);
	f.stop_at = 2;
	s = start(&f, src, NULL, 1);
	ck_assert_int_eq(pump(&f, s, NULL, NULL, WAIT_MS), ERR_STOP);
	ck_assert_int_eq(syncrepl_process(s, &f.d), ERR_STOP);
	ck_assert_int_eq(f.nentry, 2);
	syncrepl_stop(s);
	ck_assert_int_eq(ldap_source_search(src, FILTER,
	    (const char *const[]){ "entryUUID", NULL }, collect_truth, &t,
	    &f.d), 0);
	ck_assert_uint_eq(t.n, NMATCH);
	for (i = 0; i < t.n; i++) {
		free(t.id[i]);
		free(t.dn[i]);
	}
	free(t.id);
	free(t.dn);
	ldap_source_close(src);
	feed_free(&f);
}
END_TEST

/*
 * The fake server: a child that accepts one connection and plays one
 * script. Its exit status says whether the client behaved: 0 yes,
 * else the number of the step that went wrong.
 */
#define FAKE_COOKIE "rid=000,csn=20200101000000.000000Z#000000#000#000000"
#define FAKE_BASE ",dc=example,dc=com"
#define FAKE_WHO "dn:cn=splitsync" FAKE_BASE       /* the WhoAmI answer */

enum fake_script {
	S_REQUIRED, S_PHASES, S_UNWILLING, S_NOSYNCPROV, S_NOSTATE,
	S_FULL4096, S_SHORTUUID, S_NOBASE
};

/* fake_op - message id and operation of a request */
static ber_tag_t
fake_op(unsigned char *buf, ssize_t n, ber_int_t *msgid)
{
	struct berval bv = { (ber_len_t)n, (char *)buf };
	BerElement *ber = ber_init(&bv);
	ber_tag_t tag = LBER_ERROR;
	ber_len_t len;

	if (ber == NULL)
		return LBER_ERROR;
	if (ber_scanf(ber, "{i", msgid) != LBER_ERROR)
		tag = ber_peek_tag(ber, &len);
	ber_free(ber, 1);
	return tag;
}

/* uuid - the 16 bytes of fake entry k, len cut short when asked */
static struct berval *
uuid(int k, size_t len, unsigned char buf[16], struct berval *bv)
{
	static const unsigned char head[15] = {
		0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
		0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43
	};

	memcpy(buf, head, sizeof head);
	buf[15] = (unsigned char)k;
	bv->bv_val = (char *)buf;
	bv->bv_len = len;
	return bv;
}

/* fake_entry - an entry with a sync state control (ctrl 0: none) */
static int
fake_entry(int fd, ber_int_t id, const char *dn, int state, int k,
    size_t uuid_len, const char *cookie, int ctrl)
{
	BerElement *v = ber_alloc_t(LBER_USE_DER), *ber = NULL;
	unsigned char ub[16];
	struct berval ubv, val;
	int rc = -1;

	if (v == NULL || ber_printf(v, "{eO", (ber_int_t)state,
	    uuid(k, uuid_len, ub, &ubv)) < 0 ||
	    (cookie != NULL && ber_printf(v, "s", cookie) < 0) ||
	    ber_printf(v, "}") < 0 || ber_flatten2(v, &val, 0) < 0)
		goto out;
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL || ber_printf(ber, "{it{s{{s[s]}}}", id,
	    LDAP_RES_SEARCH_ENTRY, dn, "cn", "x") < 0 ||
	    (ctrl && ber_printf(ber, "t{{sO}}", LDAP_TAG_CONTROLS,
	    LDAP_CONTROL_SYNC_STATE, &val) < 0) ||
	    ber_printf(ber, "}") < 0)
		goto out;
	rc = ldapwire_send(fd, ber);
	ber = NULL;
out:
	ber_free(v, 1);
	ber_free(ber, 1);
	return rc;
}

/* fake_result - the search result, with a syncDone control when done
 * (deletes -1 leaves refreshDeletes out) */
static int
fake_result(int fd, ber_int_t id, int code, const char *text, int done,
    const char *cookie, int deletes)
{
	BerElement *v = ber_alloc_t(LBER_USE_DER), *ber = NULL;
	struct berval val;
	int rc = -1;

	if (v == NULL || ber_printf(v, "{") < 0 ||
	    (cookie != NULL && ber_printf(v, "s", cookie) < 0) ||
	    (deletes >= 0 && ber_printf(v, "b", (ber_int_t)deletes) < 0) ||
	    ber_printf(v, "}") < 0 || ber_flatten2(v, &val, 0) < 0)
		goto out;
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL || ber_printf(ber, "{it{ess}", id,
	    LDAP_RES_SEARCH_RESULT, (ber_int_t)code, "", text) < 0 ||
	    (done && ber_printf(ber, "t{{sO}}", LDAP_TAG_CONTROLS,
	    LDAP_CONTROL_SYNC_DONE, &val) < 0) ||
	    ber_printf(ber, "}") < 0)
		goto out;
	rc = ldapwire_send(fd, ber);
	ber = NULL;
out:
	ber_free(v, 1);
	ber_free(ber, 1);
	return rc;
}

/* fake_info - a syncInfo message: newCookie (tag 0x80), refreshDelete
 * or refreshPresent (flag: refreshDone), syncIdSet (flag:
 * refreshDeletes, ids k[0..n)); flag -1 leaves it out */
static int
fake_info(int fd, ber_int_t id, ber_tag_t tag, const char *cookie,
    int flag, const int *k, size_t n)
{
	BerElement *v = ber_alloc_t(LBER_USE_DER), *ber = NULL;
	unsigned char ub[16];
	struct berval val, ubv;
	size_t i;
	int rc = -1;

	if (v == NULL)
		goto out;
	if (tag == LDAP_TAG_SYNC_NEW_COOKIE) {
		if (ber_printf(v, "ts", tag, cookie) < 0)
			goto out;
	} else {
		if (ber_printf(v, "t{", tag) < 0 ||
		    (cookie != NULL && ber_printf(v, "s", cookie) < 0) ||
		    (flag >= 0 && ber_printf(v, "b", (ber_int_t)flag) < 0))
			goto out;
		if (tag == LDAP_TAG_SYNC_ID_SET) {
			if (ber_printf(v, "[") < 0)
				goto out;
			for (i = 0; i < n; i++)
				if (ber_printf(v, "O", uuid(k[i], 16, ub,
				    &ubv)) < 0)
					goto out;
			if (ber_printf(v, "]") < 0)
				goto out;
		}
		if (ber_printf(v, "}") < 0)
			goto out;
	}
	if (ber_flatten2(v, &val, 0) < 0)
		goto out;
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL || ber_printf(ber, "{it{tstO}}", id,
	    LDAP_RES_INTERMEDIATE, LDAP_TAG_IM_RES_OID, LDAP_SYNC_INFO,
	    LDAP_TAG_IM_RES_VALUE, &val) < 0)
		goto out;
	rc = ldapwire_send(fd, ber);
	ber = NULL;
out:
	ber_free(v, 1);
	ber_free(ber, 1);
	return rc;
}

/* fake_search - read the next search request: 1 with a cookie, 0
 * without, -1 when it is something else */
static int
fake_search(int fd, ber_int_t *id)
{
	static unsigned char buf[65536];
	ssize_t n = ldapwire_read(fd, buf, sizeof buf);

	if (n <= 0 || fake_op(buf, n, id) != LDAP_REQ_SEARCH)
		return -1;
	return memmem(buf, (size_t)n, FAKE_COOKIE,
	    strlen(FAKE_COOKIE)) != NULL;
}

/* fake_phases - a refresh with every kind of message, then persist */
static int
fake_phases(int fd, ber_int_t id)
{
	static const int present[] = { 1, 2 }, gone[] = { 5 }, two[] = { 2 };

	return fake_info(fd, id, LDAP_TAG_SYNC_ID_SET, NULL, -1, present,
	    2) < 0 ||
	    fake_info(fd, id, LDAP_TAG_SYNC_REFRESH_PRESENT, NULL, 0, NULL,
	    0) < 0 ||
	    fake_entry(fd, id, "uid=three" FAKE_BASE, LDAP_SYNC_ADD, 3, 16,
	    NULL, 1) < 0 ||
	    fake_entry(fd, id, "uid=four" FAKE_BASE, LDAP_SYNC_PRESENT, 4,
	    16, NULL, 1) < 0 ||
	    fake_info(fd, id, LDAP_TAG_SYNC_ID_SET, "c1", 1, gone, 1) < 0 ||
	    fake_info(fd, id, LDAP_TAG_SYNC_REFRESH_DELETE, "c2", -1, NULL,
	    0) < 0 ||
	    fake_info(fd, id, LDAP_TAG_SYNC_NEW_COOKIE, "c3", -1, NULL,
	    0) < 0 ||
	    fake_entry(fd, id, "uid=tres" FAKE_BASE, LDAP_SYNC_MODIFY, 3, 16,
	    "c4", 1) < 0 ||
	    fake_entry(fd, id, "uid=one" FAKE_BASE, LDAP_SYNC_DELETE, 1, 16,
	    "c5", 1) < 0 ||
	    fake_info(fd, id, LDAP_TAG_SYNC_ID_SET, NULL, 0, two, 1) < 0 ||
	    fake_result(fd, id, LDAP_SUCCESS, "", 1, "c6", -1) < 0 ? -1 : 0;
}

/* fake_script - the server side of one case */
static int
fake_script(int fd, enum fake_script script)
{
	static unsigned char buf[65536];
	ber_int_t id;
	ber_tag_t tag;
	ssize_t n;
	int with;

	n = ldapwire_read(fd, buf, sizeof buf);
	if (n <= 0 || fake_op(buf, n, &id) != LDAP_REQ_BIND ||
	    ldapwire_bind(fd, id) < 0)
		return 2;
	/* the client asks who it is bound as */
	n = ldapwire_read(fd, buf, sizeof buf);
	if (n <= 0 || fake_op(buf, n, &id) != LDAP_REQ_EXTENDED ||
	    ldapwire_whoami(fd, id, FAKE_WHO) < 0)
		return 6;
	with = fake_search(fd, &id);
	if (with < 0)
		return 3;
	switch (script) {
	case S_REQUIRED:
		if (with != 1 || fake_result(fd, id,
		    LDAP_SYNC_REFRESH_REQUIRED, "stale", 0, NULL, -1) < 0)
			return 10;
		if (fake_search(fd, &id) != 0)
			return 11;
		if (fake_entry(fd, id, "uid=one" FAKE_BASE, LDAP_SYNC_ADD, 1,
		    16, NULL, 1) < 0 ||
		    fake_result(fd, id, LDAP_SUCCESS, "", 1, "c9", -1) < 0)
			return 12;
		break;
	case S_PHASES:
		if (with != 1 || fake_phases(fd, id) < 0)
			return 20;
		break;
	case S_UNWILLING:
		if (with != 1 || fake_result(fd, id,
		    LDAP_UNWILLING_TO_PERFORM, "consumer state is newer than "
		    "provider!", 0, NULL, -1) < 0)
			return 30;
		if (fake_search(fd, &id) != 0 || fake_result(fd, id,
		    LDAP_UNWILLING_TO_PERFORM, "consumer state is newer than "
		    "provider!", 0, NULL, -1) < 0)
			return 31;
		break;
	case S_NOSYNCPROV:
		if (fake_result(fd, id, LDAP_UNAVAILABLE_CRITICAL_EXTENSION,
		    "critical extension is unavailable", 0, NULL, -1) < 0)
			return 40;
		break;
	case S_NOSTATE:
		if (fake_entry(fd, id, "uid=one" FAKE_BASE, LDAP_SYNC_ADD, 1,
		    16, NULL, 0) < 0)
			return 50;
		break;
	case S_FULL4096:
		if (with != 0 || fake_result(fd, id,
		    LDAP_SYNC_REFRESH_REQUIRED, "stale", 0, NULL, -1) < 0)
			return 60;
		break;
	case S_SHORTUUID:
		if (fake_entry(fd, id, "uid=one" FAKE_BASE, LDAP_SYNC_ADD, 1,
		    15, NULL, 1) < 0)
			return 70;
		break;
	case S_NOBASE:
		/* what slapd answers for a base access control hides */
		if (fake_result(fd, id, LDAP_NO_SUCH_OBJECT, "", 0, NULL,
		    -1) < 0)
			return 80;
		break;
	}
	/* then only an abandon and the unbind, until the connection ends */
	while ((n = ldapwire_read(fd, buf, sizeof buf)) > 0) {
		tag = fake_op(buf, n, &id);
		if (tag != LDAP_REQ_ABANDON && tag != LDAP_REQ_UNBIND)
			return 4;
	}
	return n == 0 ? 0 : 5;
}

/* what the client must make of each script */
static const struct fake_case {
	const char *name;
	enum fake_script script;
	int persist;
	const char *cookie;     /* start cookie */
	int want;               /* what process ends with */
	const char *trace;      /* the callbacks, in order */
	const char *says;       /* in a message */
} fakes[] = {
	{ "refresh required", S_REQUIRED, 0, FAKE_COOKIE, 1,
	  "B B E01 D1 Cc9 ", "refused the cookie" },
	{ "every phase", S_PHASES, 1, FAKE_COOKIE, ERR_UNAVAIL,
	  "B P01 P02 E03 P04 R05 D1 Cc2 Cc3 E03 Cc4 R01 Cc5 Cc6 ",
	  "ended the persistent search" },
	{ "unwilling twice", S_UNWILLING, 0, FAKE_COOKIE, ERR_UNAVAIL,
	  "B B ", "consumer state is newer" },
	{ "no syncprov", S_NOSYNCPROV, 1, NULL, ERR_CONFIG, "B ",
	  "no syncprov" },
	{ "no state control", S_NOSTATE, 1, NULL, ERR_UNAVAIL, "B ",
	  "no sync state control" },
	{ "refresh required without cookie", S_FULL4096, 1, NULL,
	  ERR_UNAVAIL, "B ", "ended the sync search" },
	{ "short uuid", S_SHORTUUID, 1, NULL, ERR_UNAVAIL, "B ",
	  "invalid sync state control" },
	{ "base hidden", S_NOBASE, 1, NULL, ERR_UNAVAIL, "B ",
	  "does not exist, or access control hides it from "
	  "cn=splitsync" FAKE_BASE },
};

START_TEST(fake_server)
{
	const struct fake_case *c = &fakes[_i];
	struct ldap_source *src;
	struct syncrepl *s;
	struct item *it;
	struct feed f;
	char uri[64];
	int lfd, cfd, status, rc;
	unsigned port;
	size_t i;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	lfd = ldapwire_listen(&port);
	snprintf(uri, sizeof uri, "ldap://127.0.0.1:%u", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(20);
		cfd = ldapwire_accept(lfd);
		_exit(cfd < 0 ? 1 : fake_script(cfd, c->script));
	}
	close(lfd);

	src = source(uri);
	feed_init(&f);
	s = start(&f, src, c->cookie, c->persist);
	rc = pump(&f, s, NULL, NULL, WAIT_MS);
	ck_assert_msg(rc == c->want, "%s: got %s, want %s (%s)", c->name,
	    err_str(rc), err_str(c->want), diag_last_error(&f.d));
	ck_assert_msg(strcmp(f.trace, c->trace) == 0, "%s: trace \"%s\", "
	    "want \"%s\"", c->name, f.trace, c->trace);
	for (i = 0; i < f.d.count; i++)
		if (strstr(f.d.items[i].what, c->says) != NULL)
			break;
	ck_assert_msg(i < f.d.count, "%s: no message with \"%s\" (%s)",
	    c->name, c->says, diag_last_error(&f.d));
	if (c->script == S_PHASES) {
		/* the id is the UUID in text; a rename keeps it */
		it = find_id(&f, "12345678-9abc-def0-0fed-cba987654303");
		ck_assert_ptr_nonnull(it);
		ck_assert_str_eq(it->dn, "uid=tres" FAKE_BASE);
		ck_assert_int_eq(syncrepl_refreshing(s), 0);
	}
	syncrepl_stop(s);
	ldap_source_close(src);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the server saw a wrong request (step %d)", c->name,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	feed_free(&f);
}
END_TEST

/* syncrepl_suite - the slapd cases, one server each, and the fake ones */
static Suite *
syncrepl_suite(void)
{
	Suite *s = suite_create("syncrepl");
	TCase *tc = tcase_create("slapd");
	TCase *fake = tcase_create("fake");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, full_refresh);
	tcase_add_test(tc, persist_changes);
	tcase_add_test(tc, drain_in_one_call);
	tcase_add_test(tc, resume_from_cookie);
	tcase_add_loop_test(tc, bad_cookie, 0,
	    sizeof badcookies / sizeof badcookies[0]);
	tcase_add_test(tc, server_stops);
	tcase_add_test(tc, resume_after_restart);
	tcase_add_test(tc, refresh_only);
	suite_add_tcase(s, tc);

	tcase_set_timeout(fake, 30);
	tcase_add_loop_test(fake, fake_server, 0,
	    sizeof fakes / sizeof fakes[0]);
	suite_add_tcase(s, fake);
	return s;
}

int
main(void)
{
	return testlib_main(syncrepl_suite());
}
