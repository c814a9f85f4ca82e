/*
 * daemon - splitsync run: the background sync service
 *
 * DESCRIPTION
 *	One thread, one poll() loop over a signalfd and the syncrepl
 *	socket; every wait is bounded by the nearest deadline (debounce,
 *	next poll, next reconnect, next write of the metrics file).
 *
 *	cur is the directory as last known in full. In persist mode a
 *	refresh is staged: entries sent or presented go to a new mirror,
 *	deletes are listed, and only when the server says the refresh is
 *	done does the stage replace (present phase) or update (delete
 *	phase) cur, and its cookie become the current one. A refresh that
 *	fails midway is thrown away whole. Changes of the persist phase
 *	are applied to cur as they come, each one complete.
 *
 *	An id presented that cur does not hold is not lost at once:
 *	syncprov, when its session log does not reach back to the cookie,
 *	presents every id, those it also sends in full included, in any
 *	order. Only an id no entry message of the refresh brought means
 *	that the copy and the cookie disagree (a full reload then).
 *
 *	A commit carries cur's shards and the cookie that matches them,
 *	so the branch head is always a consistent point to resume from;
 *	a change that was applied but not committed when the process died
 *	is simply sent again by the server.
 *
 * DIAGNOSTICS
 *	Log lines "daemon: object: what happened: why". Bad credentials
 *	and a configuration that cannot be loaded at start end the
 *	service; a server that is down is retried with exponential
 *	backoff and jitter; a failed commit is retried, except at SIGTERM:
 *	then what is pending is logged and the failure is returned.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "live.h"
#include "mapping.h"
#include "metrics.h"
#include "mirror.h"
#include "publish.h"
#include "report.h"
#include "source.h"
#include "syncrepl.h"

#define METRICS_INTERVAL_MS 30000       /* an idle service's metrics */
#define RETRY_PUBLISH_MS 5000           /* after a failed commit */

struct daemon {
	const struct log *log;
	const char *config_path;
	const char *repo;
	struct config *cfg;
	struct mapping *map;
	struct git_sink *sink;
	struct mirror *cur;
	struct live *live;              /* cur as last committed, kept to
	                                   commit one change at a time */
	char *cookie;                   /* matches cur; NULL: none */
	size_t cookie_len;
	int persist;                    /* feed = persist */
	/* the refresh being staged (persist) */
	int refreshing;
	struct mirror *stage;
	char **removed;
	size_t nremoved, capremoved;
	char **unheld;                  /* presented but not held: lost unless
	                                   an entry message brings them */
	size_t nunheld, capunheld;
	size_t staged_changes;          /* entries the refresh changes */
	char *pending_cookie;
	size_t pending_len;
	/* the connection */
	struct source src;
	int connected;
	struct syncrepl *sync;
	int failures;                   /* in a row, for the backoff */
	int64_t outage_since;           /* ms: the first failure of a row */
	int64_t refresh_since;          /* ms: the refresh began */
	int64_t reconnect_at;           /* ms, monotonic */
	int64_t next_poll;
	int full_requested;             /* SIGUSR1: reload without cookie */
	/* what waits to be committed */
	int dirty;
	size_t pending;                 /* directory changes not committed */
	int published;                  /* cur was rendered at least once */
	int64_t dirty_since;
	int64_t retry_publish_at;
	uint64_t rng;
	int sigfd;
	int stop;
	struct metrics metrics;
	int64_t metrics_at;             /* next periodic write */
	struct report *report;          /* the data problems logged */
};

/* now_ms - monotonic clock in milliseconds */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* jitter - a factor in [0.75, 1.25) from the daemon's own generator */
static double
jitter(struct daemon *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return 0.75 + (double)(d->rng % 1000) / 2000.0;
}

/* metrics_interval - milliseconds between two writes of an idle
 * service: METRICS_INTERVAL_MS, or half of status_max_silence when that
 * is shorter, so that status never takes an idle service for one that
 * lost the directory */
static int64_t
metrics_interval(const struct config *cfg)
{
	int64_t half = (int64_t)cfg->status_max_silence * 500;

	return half < METRICS_INTERVAL_MS ? half : METRICS_INTERVAL_MS;
}

/* write_metrics - the metrics file, when one is configured */
static void
write_metrics(struct daemon *d)
{
	struct diag diag;

	if (d->cfg == NULL || d->cfg->metrics_file == NULL)
		return;
	diag_init(&diag, d->log);
	(void)metrics_write(d->cfg->metrics_file, &d->metrics, &diag);
	diag_free(&diag);
	d->metrics_at = now_ms() + metrics_interval(d->cfg);
}

/* schedule_reconnect - exponential backoff with jitter, bounded */
static void
schedule_reconnect(struct daemon *d)
{
	double delay = d->cfg->reconnect_min;
	int i;

	for (i = 0; i < d->failures && delay < d->cfg->reconnect_max; i++)
		delay *= 2;
	if (delay > d->cfg->reconnect_max)
		delay = d->cfg->reconnect_max;
	delay *= jitter(d);
	if (d->failures == 0)
		d->outage_since = now_ms();
	d->failures++;
	d->metrics.reconnects++;
	d->reconnect_at = now_ms() + (int64_t)(delay * 1000);
	write_metrics(d);
	log_msg(d->log, LOG_LEVEL_WARNING, "daemon: source: retrying in "
	    "%.1f s", delay);
}

/* mark_dirty - something to commit once the debounce window closes */
static void
mark_dirty(struct daemon *d)
{
	if (!d->dirty)
		d->dirty_since = now_ms();
	d->dirty = 1;
}

/* set_bytes - replace *dst with a copy of len bytes (NUL added) */
static int
set_bytes(char **dst, size_t *dlen, const char *src, size_t len)
{
	char *c = NULL;

	if (src) {
		c = malloc(len + 1);
		if (c == NULL)
			return ERR_NOMEM;
		memcpy(c, src, len);
		c[len] = '\0';
	}
	free(*dst);
	*dst = c;
	*dlen = src ? len : 0;
	return 0;
}

/* stage_clear - forget a refresh in progress */
static void
stage_clear(struct daemon *d)
{
	size_t i;

	mirror_free(d->stage);
	d->stage = NULL;
	for (i = 0; i < d->nremoved; i++)
		free(d->removed[i]);
	d->nremoved = 0;
	for (i = 0; i < d->nunheld; i++)
		free(d->unheld[i]);
	d->nunheld = 0;
	d->staged_changes = 0;
	free(d->pending_cookie);
	d->pending_cookie = NULL;
	d->pending_len = 0;
	d->refreshing = 0;
}

/* push_id - append a copy of id to a list of ids */
static int
push_id(char ***v, size_t *n, size_t *cap, const char *id)
{
	char *copy;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		char **p = realloc(*v, ncap * sizeof *p);

		if (p == NULL)
			return ERR_NOMEM;
		*v = p;
		*cap = ncap;
	}
	if ((copy = strdup(id)) == NULL)
		return ERR_NOMEM;
	(*v)[(*n)++] = copy;
	return 0;
}

/* --- syncrepl callbacks ------------------------------------------- */

/* on_refresh_begin - start staging */
static int
on_refresh_begin(void *ctx)
{
	struct daemon *d = ctx;

	stage_clear(d);
	d->refreshing = 1;
	d->refresh_since = now_ms();
	log_msg(d->log, LOG_LEVEL_INFO, "daemon: syncrepl: refresh started");
	return mirror_new(&d->stage);
}

/* on_entry - an entry added or modified (the whole entry) */
static int
on_entry(void *ctx, const char *id, const struct entry *e)
{
	struct daemon *d = ctx;
	int rc;

	if (d->refreshing) {
		const struct entry *old = mirror_get(d->cur, id);

		d->staged_changes += old == NULL || !entry_equal(old, e);
		return mirror_put(d->stage, id, e) < 0 ? ERR_NOMEM : 0;
	}
	if ((rc = live_note(d->live, id, mirror_get(d->cur, id))) < 0)
		return rc;
	if (mapping_classify(d->map, e))
		rc = mirror_put(d->cur, id, e);
	else
		rc = mirror_remove(d->cur, id);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		d->metrics.changes_applied++;
		d->pending++;
		mark_dirty(d);
	}
	return 0;
}

/* on_present - unchanged since the cookie: keep what we have. syncprov
 * also presents ids it sends in full in the same refresh (when its
 * session log does not reach back to the cookie, every id is
 * presented, those added since included): whether an id we do not
 * hold is lost is decided when the refresh is done. */
static int
on_present(void *ctx, const char *id)
{
	struct daemon *d = ctx;
	const struct entry *e;

	if (!d->refreshing || mirror_get(d->stage, id) != NULL)
		return 0;       /* an entry message of this refresh wins */
	e = mirror_get(d->cur, id);
	if (e == NULL)
		return push_id(&d->unheld, &d->nunheld, &d->capunheld, id);
	return mirror_put(d->stage, id, e) < 0 ? ERR_NOMEM : 0;
}

/* on_remove - deleted, or out of the search scope or filter */
static int
on_remove(void *ctx, const char *id)
{
	struct daemon *d = ctx;

	if (!d->refreshing) {
		if (live_note(d->live, id, mirror_get(d->cur, id)) < 0)
			return ERR_NOMEM;
		if (mirror_remove(d->cur, id) > 0) {
			d->metrics.changes_applied++;
			d->pending++;
			mark_dirty(d);
		}
		return 0;
	}
	mirror_remove(d->stage, id);
	d->staged_changes += mirror_get(d->cur, id) != NULL;
	return push_id(&d->removed, &d->nremoved, &d->capremoved, id);
}

struct apply_ctx {
	struct mirror *dst;
	int rc;
};

/* apply_one - copy one staged entry onto cur */
static int
apply_one(const char *id, const struct entry *e, void *ctx)
{
	struct apply_ctx *a = ctx;
	int rc = mirror_put(a->dst, id, e);

	return rc < 0 ? rc : 0;
}

struct gone_ctx {
	const struct mirror *stage;
	size_t n;
};

/* gone_one - one id of cur the swept stage lacks */
static int
gone_one(const char *id, const struct entry *e, void *ctx)
{
	struct gone_ctx *g = ctx;

	(void)e;
	g->n += mirror_get(g->stage, id) == NULL;
	return 0;
}

/* count_gone - ids of cur a swept refresh removes */
static size_t
count_gone(const struct mirror *cur, const struct mirror *stage)
{
	struct gone_ctx g = { stage, 0 };

	(void)mirror_each_id(cur, gone_one, &g);
	return g.n;
}

/* on_refresh_done - the stage becomes the directory */
static int
on_refresh_done(void *ctx, int sweep)
{
	struct daemon *d = ctx;
	struct apply_ctx a;
	size_t i;
	int rc;

	for (i = 0; i < d->nunheld; i++)
		if (mirror_get(d->stage, d->unheld[i]) == NULL)
			break;
	if (i < d->nunheld) {
		/* The server thinks we hold an entry no message brought:
		 * our copy and the cookie disagree. Start again from
		 * nothing rather than guess. */
		log_msg(d->log, LOG_LEVEL_WARNING, "daemon: syncrepl: the "
		    "server presented entries this copy does not hold; "
		    "reloading in full");
		stage_clear(d);
		d->full_requested = 1;
		return 0;
	}
	/* A refresh may change any number of entries. */
	live_invalidate(d->live);
	if (sweep)
		d->staged_changes += count_gone(d->cur, d->stage);
	d->metrics.changes_applied += d->staged_changes;
	d->pending += d->staged_changes;
	if (sweep) {
		mirror_free(d->cur);
		d->cur = d->stage;
		d->stage = NULL;
	} else {
		a.dst = d->cur;
		a.rc = 0;
		rc = mirror_each_id(d->stage, apply_one, &a);
		if (rc < 0)
			return rc;
		for (i = 0; i < d->nremoved; i++)
			mirror_remove(d->cur, d->removed[i]);
	}
	if (d->pending_cookie) {
		free(d->cookie);
		d->cookie = d->pending_cookie;
		d->cookie_len = d->pending_len;
		d->pending_cookie = NULL;
	}
	stage_clear(d);
	log_msg(d->log, LOG_LEVEL_INFO, "daemon: syncrepl: refresh done: %zu "
	    "entries in %.2f s", mirror_count(d->cur),
	    (double)(now_ms() - d->refresh_since) / 1000.0);
	d->metrics.last_sync = time(NULL);
	mark_dirty(d);
	return 0;
}

/* on_cookie - the cookie covering what was delivered so far */
static int
on_cookie(void *ctx, const char *cookie, size_t len)
{
	struct daemon *d = ctx;

	if (d->refreshing)
		return set_bytes(&d->pending_cookie, &d->pending_len, cookie,
		    len);
	return set_bytes(&d->cookie, &d->cookie_len, cookie, len);
}

static const struct syncrepl_handler handler = {
	on_refresh_begin, on_entry, on_present, on_remove, on_refresh_done,
	on_cookie
};

/* --- the feed ----------------------------------------------------- */

/* disconnect - drop the connection and whatever was half received */
static void
disconnect(struct daemon *d)
{
	if (d->sync)
		syncrepl_stop(d->sync);
	d->sync = NULL;
	source_close(&d->src);
	d->connected = 0;
	stage_clear(d);
}

struct poll_ctx {
	const struct mapping *map;
	const struct mirror *cur;
	struct mirror *stage;
	int differs;            /* some entry is new or changed */
	size_t changed;         /* how many */
};

/* poll_one - one entry of a full poll */
static int
poll_one(const struct entry *e, void *ctx)
{
	struct poll_ctx *p = ctx;
	char *id = NULL;
	int rc;

	if (!mapping_classify(p->map, e))
		return 0;
	rc = mirror_entry_id(e, &id);
	if (rc == 0 && !p->differs) {
		const struct entry *old = mirror_get(p->cur, id);

		p->differs = old == NULL || !entry_equal(old, e);
	}
	if (rc == 0 && p->differs) {
		const struct entry *old = mirror_get(p->cur, id);

		p->changed += old == NULL || !entry_equal(old, e);
	}
	rc = rc ? rc : mirror_put(p->stage, id, e);
	free(id);
	return rc < 0 ? rc : 0;
}

/* full_poll - read everything; swap it in only when complete */
static int
full_poll(struct daemon *d)
{
	struct poll_ctx p = { d->map, d->cur, NULL, 0, 0 };
	struct diag diag;
	int rc;

	diag_init(&diag, d->log);
	rc = mirror_new(&p.stage);
	rc = rc ? rc : source_each(&d->src, mapping_filter(d->map),
	    mapping_attributes(d->map), poll_one, &p, &diag);
	/* Nothing new and nothing gone: no need to render again. */
	if (rc == 0) {
		d->metrics.last_sync = time(NULL);
		log_msg(d->log, LOG_LEVEL_INFO, "daemon: poll: %zu entries "
		    "(%zu before), %zu new or changed", mirror_count(p.stage),
		    mirror_count(d->cur), p.changed);
	}
	if (rc == 0 && (p.differs || mirror_count(p.stage) !=
	    mirror_count(d->cur) || !d->published)) {
		d->metrics.changes_applied += p.changed;
		d->pending += p.changed;
		live_invalidate(d->live);
		mirror_free(d->cur);
		d->cur = p.stage;
		p.stage = NULL;
		mark_dirty(d);
	}
	mirror_free(p.stage);
	diag_free(&diag);
	d->next_poll = now_ms() + (int64_t)d->cfg->poll_interval * 1000;
	return rc;
}

/* connect_feed - open the source and start the feed */
static int
connect_feed(struct daemon *d)
{
	struct diag diag;
	int rc;

	diag_init(&diag, d->log);
	rc = source_open(&d->src, d->cfg, &diag);
	if (rc == 0 && d->persist) {
		if (d->full_requested) {
			free(d->cookie);
			d->cookie = NULL;
			d->cookie_len = 0;
			d->full_requested = 0;
		}
		rc = syncrepl_start(d->src.ldap, mapping_filter(d->map),
		    mapping_attributes(d->map), d->cookie, d->cookie_len, 1,
		    &handler, d, &d->sync, &diag);
	}
	if (rc == 0) {
		d->connected = 1;
		if (!d->persist)
			rc = full_poll(d);
	}
	diag_free(&diag);
	if (rc == 0) {
		if (d->failures > 0)
			log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: source: %s: "
			    "reconnected after %.0f s (%d attempts)",
			    d->src.ldap ? ldap_source_uri(d->src.ldap) :
			    d->cfg->ldif, (double)(now_ms() - d->outage_since) /
			    1000.0, d->failures + 1);
		d->failures = 0;
		return 0;
	}
	disconnect(d);
	if (rc == ERR_AUTH || rc == ERR_CONFIG || rc == ERR_NOMEM)
		return rc;
	schedule_reconnect(d);
	return 0;
}

/* --- committing --------------------------------------------------- */

/* publish - commit cur when the tables changed. A failure worth a
 * retry is retried later, unless final (the service is stopping): then
 * it is returned. */
static int
publish(struct daemon *d, int final)
{
	struct publish_request req;
	struct publish_result res;
	struct report_counts counts;
	struct diag problems, diag;
	struct buf name = BUF_INIT;
	int rc;

	diag_init(&problems, NULL);
	diag_init(&diag, d->log);
	memset(&req, 0, sizeof req);
	memset(&res, 0, sizeof res);
	if (d->connected)
		rc = source_name(&d->src, &name);
	else
		rc = buf_puts(&name, "(disconnected)");
	req.source = name.data;
	if (d->persist) {
		req.cookie = d->cookie;
		req.cookie_len = d->cookie_len;
		req.state = d->cur;
		req.live = d->live;
	}
	rc = rc ? rc : publish_run(d->cfg, d->sink, d->map, d->cur, &req,
	    &problems, stdout, &res, &diag);
	d->metrics.rejected = problems.nrejected;
	d->metrics.conflicts = problems.nconflicts;
	d->metrics.held = rc == ERR_HELD;
	if ((rc == 0 && (res.committed || res.proposed)) ||
	    (rc == ERR_HELD && res.held_commit)) {
		d->metrics.commits++;
		d->metrics.last_commit = time(NULL);
	}
	if (rc == 0 && res.state_saved) {
		/* Not a change applied: last_commit stays. */
		d->metrics.commits++;
		log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: %s: saved the state "
		    "to resume from in %s (no table changed)", d->cfg->branch,
		    res.oid);
	}
	if (rc == 0 && res.committed)
		log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: %s: committed %s: "
		    "%zu route changes%s", d->cfg->branch, res.oid, res.changes,
		    res.incremental ? " (incremental)" : "");
	else if (rc == 0 && res.proposed)
		log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: %s: proposed %s: "
		    "%zu route changes", d->cfg->proposal_branch, res.oid,
		    res.changes);
	/* a problem once, when it appears; then only the totals */
	report_log(d->report, &problems, d->log, &counts);
	if (counts.fresh > 0)
		log_msg(d->log, LOG_LEVEL_WARNING, "daemon: directory: %zu "
		    "rejected values, %zu conflicts, %zu of them new "
		    "(splitsync check lists them)", problems.nrejected,
		    problems.nconflicts, counts.fresh);
	else if (problems.nrejected || problems.nconflicts)
		log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: directory: %zu "
		    "rejected values, %zu conflicts, all reported before "
		    "(splitsync check lists them)", problems.nrejected,
		    problems.nconflicts);
	if (rc == 0 || rc == ERR_HELD) {
		/* Held: it stays held until confirmed or the directory
		 * changes again. */
		d->dirty = 0;
		d->pending = 0;
		d->published = 1;
		rc = 0;
	} else if (final) {
		log_msg(d->log, LOG_LEVEL_ERROR, "daemon: %s: commit failed: "
		    "%s", d->cfg->branch, err_str(rc));
	} else if (rc == ERR_IO || rc == ERR_MOVED || rc == ERR_DATA ||
	    rc == ERR_UNAVAIL || rc == ERR_BUSY) {
		log_msg(d->log, LOG_LEVEL_ERROR, "daemon: %s: commit failed: "
		    "%s; retrying", d->cfg->branch, err_str(rc));
		d->retry_publish_at = now_ms() + RETRY_PUBLISH_MS;
		rc = 0;
	}
	write_metrics(d);
	buf_free(&name);
	diag_free(&problems);
	diag_free(&diag);
	return rc;
}

/* --- configuration ------------------------------------------------ */

/* load - configuration, mapping and repository; all or nothing */
static int
load(struct daemon *d, struct config **cfg, struct mapping **map,
    struct git_sink **sink)
{
	struct diag diag;
	int rc;

	*cfg = NULL;
	*map = NULL;
	*sink = NULL;
	diag_init(&diag, d->log);
	rc = config_load(d->config_path, cfg, &diag);
	if (rc == 0 && d->repo)
		rc = config_set_repository(*cfg, d->repo);
	rc = rc ? rc : mapping_load((*cfg)->mapping, map, &diag);
	rc = rc ? rc : git_sink_open((*cfg)->repository, (*cfg)->bare,
	    (*cfg)->branch, sink, &diag);
	if (rc < 0) {
		config_free(*cfg);
		mapping_free(*map);
		*cfg = NULL;
		*map = NULL;
	}
	diag_free(&diag);
	return rc;
}

/* reload - SIGHUP: swap in a new configuration, or keep the old */
static void
reload(struct daemon *d)
{
	struct config *cfg;
	struct mapping *map;
	struct git_sink *sink;
	int rc;

	rc = load(d, &cfg, &map, &sink);
	if (rc < 0) {
		log_msg(d->log, LOG_LEVEL_ERROR, "daemon: %s: reload refused "
		    "(%s); the running configuration is kept", d->config_path,
		    err_str(rc));
		return;
	}
	disconnect(d);
	live_invalidate(d->live);
	git_sink_close(d->sink);
	mapping_free(d->map);
	config_free(d->cfg);
	d->cfg = cfg;
	d->map = map;
	d->sink = sink;
	d->persist = cfg->feed == CONFIG_FEED_PERSIST;
	/* The filter or the attributes may differ: reload in full. */
	d->full_requested = 1;
	d->reconnect_at = 0;
	d->failures = 0;
	log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: %s: configuration "
	    "reloaded", d->config_path);
	mark_dirty(d);
}

/* --- the loop ----------------------------------------------------- */

/* open_signals - the signals we handle, through a signalfd */
static int
open_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return ERR_IO;
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sigfd < 0 ? ERR_IO : 0;
}

/* read_signals - act on every signal received */
static void
read_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: signal %u: "
			    "stopping", si.ssi_signo);
			d->stop = 1;
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			log_msg(d->log, LOG_LEVEL_NOTICE, "daemon: SIGUSR1: full "
			    "resync");
			d->full_requested = 1;
			disconnect(d);
			d->reconnect_at = 0;
			break;
		}
	}
}

/* timeout - milliseconds until the nearest deadline (-1: none) */
static int
timeout(const struct daemon *d)
{
	int64_t now = now_ms(), next = INT64_MAX;

	if (!d->connected)
		next = d->reconnect_at;
	else if (!d->persist)
		next = d->next_poll;
	if (d->cfg->metrics_file && d->metrics_at < next)
		next = d->metrics_at;
	if (d->dirty && !d->refreshing) {
		int64_t due = d->dirty_since + d->cfg->debounce;

		if (due < d->retry_publish_at)
			due = d->retry_publish_at;
		if (due < next)
			next = due;
	}
	if (next == INT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > 60000 ? 60000 : (int)(next - now);
}

/* step - one turn of the loop; a negative return ends the service */
static int
step(struct daemon *d)
{
	struct pollfd fds[2];
	struct diag diag;
	int64_t now = now_ms();
	int nfds = 1, rc = 0;

	if (!d->connected && now >= d->reconnect_at) {
		rc = connect_feed(d);
		if (rc < 0)
			return rc;
	}
	if (d->connected && !d->persist && now >= d->next_poll) {
		rc = full_poll(d);
		if (rc == ERR_AUTH || rc == ERR_NOMEM)
			return rc;
		if (rc < 0) {
			disconnect(d);
			schedule_reconnect(d);
		}
	}
	now = now_ms();
	/* A live feed past its refresh is in step, changes or not (TCP
	 * keepalive ends a feed whose server vanished). */
	if (d->sync && !d->refreshing)
		d->metrics.last_sync = time(NULL);
	if (now >= d->metrics_at)
		write_metrics(d);
	if (d->dirty && !d->refreshing && now >= d->dirty_since +
	    d->cfg->debounce && now >= d->retry_publish_at) {
		rc = publish(d, 0);
		if (rc < 0)
			return rc;
	}
	fds[0].fd = d->sigfd;
	fds[0].events = POLLIN;
	if (d->sync) {
		fds[1].fd = syncrepl_fd(d->sync);
		fds[1].events = POLLIN;
		nfds = 2;
	}
	fds[1].revents = 0;
	if (poll(fds, (nfds_t)nfds, d->sync && syncrepl_pending(d->sync) ? 0 :
	    timeout(d)) < 0 && errno != EINTR)
		return ERR_IO;
	if (fds[0].revents)
		read_signals(d);
	if (d->sync && !d->stop && (fds[1].revents ||
	    syncrepl_pending(d->sync))) {
		diag_init(&diag, d->log);
		rc = syncrepl_process(d->sync, &diag);
		diag_free(&diag);
		if (rc == ERR_NOMEM || rc == ERR_CONFIG)
			return rc;
		if (rc < 0 || rc == 1) {
			log_msg(d->log, LOG_LEVEL_WARNING, "daemon: syncrepl: "
			    "feed ended: %s", rc < 0 ? err_str(rc) : "done");
			disconnect(d);
			schedule_reconnect(d);
		} else if (d->full_requested && !d->refreshing) {
			disconnect(d);
			d->reconnect_at = 0;
		}
	}
	return 0;
}

/* log_pending - the last commit failed at exit: nothing is lost (the
 * branch still holds the last good commit, and what is missing comes
 * back at the next start), but the exit must not say done */
static void
log_pending(const struct daemon *d)
{
	if (d->pending == 0) {
		log_msg(d->log, LOG_LEVEL_ERROR, "daemon: %s: pending: the "
		    "tables were not checked against the branch; the next "
		    "start does it", d->cfg->branch);
		return;
	}
	log_msg(d->log, LOG_LEVEL_ERROR, "daemon: %s: pending: %zu change%s "
	    "not committed; the next start %s %s %s", d->cfg->branch,
	    d->pending, d->pending == 1 ? "" : "s", d->persist ? "replays" :
	    "reads", d->pending == 1 ? "it" : "them", d->persist ?
	    "from the cookie" : "again from the directory");
}

/* daemon_run - the service */
int
daemon_run(const char *config_path, const char *repo, const struct log *log)
{
	struct daemon d;
	struct diag diag;
	int rc;

	memset(&d, 0, sizeof d);
	d.log = log;
	d.config_path = config_path;
	d.repo = repo;
	d.sigfd = -1;
	d.rng = (uint64_t)now_ms() * 2654435761u ^ (uint64_t)getpid();
	if (d.rng == 0)
		d.rng = 1;
	diag_init(&diag, log);
	rc = load(&d, &d.cfg, &d.map, &d.sink);
	if (rc < 0)
		goto cleanup;
	d.persist = d.cfg->feed == CONFIG_FEED_PERSIST;
	rc = mirror_new(&d.cur);
	rc = rc ? rc : live_new(&d.live);
	rc = rc ? rc : report_new(&d.report);
	if (rc == 0 && d.persist)
		rc = publish_load_state(d.cfg, d.sink, d.cur, &d.cookie,
		    &d.cookie_len, &diag);
	if (rc == ERR_DATA) {
		/* A damaged state is not fatal: reload in full. */
		log_msg(log, LOG_LEVEL_WARNING, "daemon: %s: committed state "
		    "unusable; reloading in full", d.cfg->branch);
		mirror_free(d.cur);
		d.cur = NULL;
		free(d.cookie);
		d.cookie = NULL;
		rc = mirror_new(&d.cur);
	}
	rc = rc ? rc : open_signals(&d);
	if (rc < 0)
		goto cleanup;
	log_msg(log, LOG_LEVEL_NOTICE, "daemon: started: feed %s, branch %s, "
	    "%s", config_feed_name(d.cfg->feed), d.cfg->branch, d.cookie ?
	    "resuming from the committed cookie" : "full load");
	while (!d.stop && rc == 0)
		rc = step(&d);
	if (rc == 0 && d.dirty && !d.refreshing) {
		if ((rc = publish(&d, 1)) < 0)
			log_pending(&d);
	} else if (rc == 0 && d.dirty && d.pending) {
		/* Not a failure: cur may not be committed before the
		 * refresh under way completes it (after SIGHUP it may lack
		 * attributes the new mapping reads). */
		log_msg(log, LOG_LEVEL_NOTICE, "daemon: %s: stopped during a "
		    "refresh: %zu change%s not committed; the next start "
		    "replays %s from the cookie", d.cfg->branch, d.pending,
		    d.pending == 1 ? "" : "s", d.pending == 1 ? "it" : "them");
	}
	write_metrics(&d);
cleanup:
	if (rc < 0)
		log_msg(log, LOG_LEVEL_ERROR, "daemon: stopped: %s",
		    err_str(rc));
	disconnect(&d);
	stage_clear(&d);
	free(d.removed);
	free(d.unheld);
	free(d.cookie);
	live_free(d.live);
	report_free(d.report);
	mirror_free(d.cur);
	git_sink_close(d.sink);
	mapping_free(d.map);
	config_free(d.cfg);
	if (d.sigfd >= 0)
		close(d.sigfd);
	diag_free(&diag);
	return rc;
}
