/*
 * job - the one-shot jobs: resync, render, check
 *
 * DESCRIPTION
 *	Every job reads the whole source once, each entry handed to the
 *	build as a view and forgotten (build.h): no copy of the
 *	directory is kept, only the records the mapping makes of it.
 *
 *	resync hands the finished build to publish_run, which settles
 *	its conflicts against the deploy head, renders, commits (or
 *	proposes, or holds) and pushes; confirm accepts a held change
 *	(rollout_confirm).
 *
 *	render writes the set of tables with file_write_set: all of them
 *	or none, so Postfix never loads a transport table of this run
 *	beside a virtual_alias table of the last.
 *
 * DIAGNOSTICS
 *	Every failure is logged as "job: object: what: why" before the
 *	error code is returned. Data problems (refused values, conflicts)
 *	are logged once each at the end of the run, a few per entry at
 *	most (report.h); check prints every one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "build.h"
#include "diag.h"
#include "errors.h"
#include "file.h"
#include "git_sink.h"
#include "job.h"
#include "mapping.h"
#include "metrics.h"
#include "model.h"
#include "publish.h"
#include "render.h"
#include "report.h"
#include "rollout.h"
#include "routes.h"
#include "source.h"

/* What one pass over the source fills. */
struct fetch {
	struct build *build;
	const struct attrset *set;
	struct diag *d;
	size_t seen;            /* entries read */
	int tty;                /* stderr is a terminal: show progress */
	double start, shown;    /* seconds */
};

/* seconds - monotonic clock */
static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* progress - a line on the terminal, rewritten about once a second */
static void
progress(struct fetch *f, int last)
{
	double now = seconds();

	if (!f->tty || (!last && now - f->shown < 1.0))
		return;
	f->shown = now;
	fprintf(stderr, "\rsplitsync: %zu entries read, %.0f/s%s", f->seen,
	    now > f->start ? (double)f->seen / (now - f->start) : 0.0,
	    last ? "\n" : "");
}

/* fetch_one - one entry into the build, as the source reads it */
static int
fetch_one(const struct entry_view *v, void *ctx)
{
	struct fetch *f = ctx;

	/* The clock only now and then: it is not free per entry. */
	if (++f->seen % 1024 == 0)
		progress(f, 0);
	return build_entry(f->build, v, f->d);
}

/* fetch_all - one pass over the source into a new build, finished */
static int
fetch_all(const struct config *cfg, struct source *src,
    const struct mapping *map, struct build **out, struct diag *d)
{
	struct fetch f;
	int rc;

	*out = NULL;
	memset(&f, 0, sizeof f);
	f.set = mapping_attrset(map);
	f.d = d;
	f.tty = isatty(STDERR_FILENO);
	f.start = f.shown = seconds();
	rc = build_new(cfg, map, &f.build);
	rc = rc ? rc : source_each_view(src, mapping_filter(map), f.set,
	    fetch_one, &f, d);
	if (f.seen >= 1024)
		progress(&f, 1);
	if (rc == 0)
		diag_log(d, LOG_LEVEL_INFO, "job: source: %zu entries read in "
		    "%.2f s, %zu of them for the mapping", f.seen,
		    seconds() - f.start, build_used(f.build));
	rc = rc ? rc : build_finish(f.build, d);
	if (rc < 0) {
		build_free(f.build);
		return rc;
	}
	*out = f.build;
	return 0;
}

/* prepare - configuration checks, mapping and source shared by jobs */
static int
prepare(const struct config *cfg, struct mapping **map, struct source *src,
    struct diag *d)
{
	int rc;

	*map = NULL;
	src->ldap = NULL;
	if (!render_layout_known(config_layout_name(cfg->layout))) {
		diag_error(d, cfg->path, "unknown layout \"%s\"",
		    config_layout_name(cfg->layout));
		return ERR_CONFIG;
	}
	rc = mapping_load(cfg->mapping, map, d);
	if (rc < 0)
		return rc;
	rc = source_open(src, cfg, d);
	if (rc < 0) {
		mapping_free(*map);
		*map = NULL;
	}
	return rc;
}

/* read_all - the whole source into a finished build; *src stays open
 * for the trailer's name */
static int
read_all(const struct config *cfg, struct source *src, struct mapping **map,
    struct build **build, struct diag *d)
{
	int rc;

	*build = NULL;
	rc = prepare(cfg, map, src, d);
	return rc ? rc : fetch_all(cfg, src, *map, build, d);
}

/* build - read the whole source and map it, no previous owner: the
 * model of check and render */
static int
build(const struct config *cfg, struct source *src, struct mapping **map,
    struct build **b, struct diag *d)
{
	int rc;

	rc = read_all(cfg, src, map, b, d);
	return rc ? rc : build_resolve(*b, NULL, NULL, d);
}

/* read_metrics - what metrics_file holds now: the service or an
 * earlier run wrote it (zeros when there is nothing to read) */
static void
read_metrics(const struct config *cfg, struct metrics *m)
{
	struct diag quiet;

	diag_init(&quiet, NULL);
	if (metrics_read(cfg->metrics_file, m, &quiet) < 0)
		memset(m, 0, sizeof *m);
	diag_free(&quiet);
}

/* write_metrics - back to metrics_file; a failure is logged only */
static void
write_metrics(const struct config *cfg, const struct metrics *m,
    const struct log *log)
{
	struct diag d;

	diag_init(&d, log);
	(void)metrics_write(cfg->metrics_file, m, &d);
	diag_free(&d);
}

/* record_resync - what a resync did, counters carried on: when the
 * directory last answered, the commit made (hold and proposal
 * included), a failed contact, the problems and the hold */
static void
record_resync(const struct config *cfg, int read_ok, int rc,
    const struct publish_result *res, const struct diag *problems,
    const struct log *log)
{
	struct metrics m;
	time_t now = time(NULL);

	if (cfg->metrics_file == NULL)
		return;
	read_metrics(cfg, &m);
	if (read_ok) {
		m.last_sync = now;
		m.rejected = problems->nrejected;
		m.conflicts = problems->nconflicts;
	} else if (rc == ERR_UNAVAIL) {
		m.reconnects++;
	}
	if (rc == 0 || rc == ERR_HELD)
		m.held = rc == ERR_HELD;
	if (res->committed || res->proposed || res->held_commit) {
		m.commits++;
		m.last_commit = now;
	}
	write_metrics(cfg, &m, log);
}

/* record_confirm - the confirm commit, and nothing held any more (an
 * alert on the hold ends now, not at the next run) */
static void
record_confirm(const struct config *cfg, const struct log *log)
{
	struct metrics m;

	if (cfg->metrics_file == NULL)
		return;
	read_metrics(cfg, &m);
	m.commits++;
	m.last_commit = time(NULL);
	m.held = 0;
	write_metrics(cfg, &m, log);
}

/* log_problems - the refused values and conflicts of a run, each once,
 * a few lines per entry at most */
static void
log_problems(const struct diag *problems, const struct log *log)
{
	struct report *r = NULL;

	if (report_new(&r) < 0) {
		log_msg(log, LOG_LEVEL_ERROR, "job: %zu refused values, %zu "
		    "conflicts not logged: out of memory",
		    problems->nrejected, problems->nconflicts);
		return;
	}
	report_log(r, problems, log, NULL);
	report_free(r);
}

/* job_resync - read, map, render, commit */
int
job_resync(const struct config *cfg, const struct job_options *o,
    const struct log *log, FILE *out)
{
	struct diag d, problems;
	struct source src = { cfg, NULL };
	struct mapping *map = NULL;
	struct git_sink *sink = NULL;
	struct build *b = NULL;
	struct publish_request req;
	struct publish_result res;
	struct buf name = BUF_INIT;
	int rc, read_ok = 0;

	diag_init(&d, log);
	diag_init(&problems, log);
	/* refused values and conflicts: once each, by the report below */
	problems.quiet_data = 1;
	memset(&req, 0, sizeof req);
	memset(&res, 0, sizeof res);
	/* A new repository appears with its first branch, not before: a
	 * run that fails leaves none; a dry run makes a throwaway one. */
	rc = git_sink_open_ext(cfg->repository, cfg->bare, cfg->branch,
	    o->dry_run ? GIT_SINK_SCRATCH : GIT_SINK_STAGE, &sink, &d);
	if (rc < 0)
		goto cleanup;
	rc = read_all(cfg, &src, &map, &b, &problems);
	read_ok = rc == 0;
	rc = rc ? rc : source_name(&src, &name);
	if (rc < 0)
		goto cleanup;
	req.source = name.data;
	req.dry_run = o->dry_run;
	req.force = o->force;
	req.build = b;
	rc = publish_run(cfg, sink, map, NULL, &req, &problems, out, &res,
	    &d);
	if (!o->dry_run && (rc == 0 || rc == ERR_HELD)) {
		int kept = git_sink_keep(sink, &d);

		rc = kept < 0 ? kept : rc;
	}
	if (rc == ERR_HELD && o->dry_run)
		;       /* publish_run said what would be held */
	else if (rc == ERR_HELD)
		fprintf(out, "held on %s: %s stays where it was; accept with "
		    "splitsync confirm or resync --force\n", cfg->hold_branch,
		    cfg->branch);
	else if (rc == 0 && res.committed)
		fprintf(out, "committed %s on %s: %zu route changes\n", res.oid,
		    cfg->branch, res.changes);
	else if (rc == 0 && res.proposed)
		fprintf(out, "proposed %s on %s: %zu route changes\n", res.oid,
		    cfg->proposal_branch, res.changes);
	else if (rc == 0 && !o->dry_run)
		fprintf(out, "no change: branch %s is up to date\n", cfg->branch);
cleanup:
	log_problems(&problems, log);
	if (rc < 0 && rc != ERR_HELD)
		log_msg(log, LOG_LEVEL_ERROR, "job: resync: %s: nothing "
		    "committed; the branch is as it was", err_str(rc));
	if (sink && !o->dry_run)
		record_resync(cfg, read_ok, rc, &res, &problems, log);
	buf_free(&name);
	build_free(b);
	git_sink_close(sink);
	source_close(&src);
	mapping_free(map);
	diag_free(&problems);
	diag_free(&d);
	return rc;
}

/* safe_append - text with every byte outside [A-Za-z0-9._-] as '_':
 * a name for a trailer, whatever the system gave */
static int
safe_append(struct buf *out, const char *text)
{
	int rc = 0;

	for (; rc == 0 && *text; text++)
		rc = buf_putc(out, (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *text) != NULL) ?
		    *text : '_');
	return rc;
}

/* confirmer - who confirms, as user@host: the person logged in, who
 * often runs confirm as the service's account (runuser, sudo -u), else
 * the user who ran sudo, else the real user */
static int
confirmer(struct buf *out)
{
	const struct passwd *pw;
	const char *user = getlogin();
	char host[256];
	int rc;

	if (user == NULL || *user == '\0')
		user = getenv("SUDO_USER");
	if (user == NULL || *user == '\0') {
		pw = getpwuid(getuid());
		user = pw && pw->pw_name ? pw->pw_name : NULL;
	}
	if (user)
		rc = safe_append(out, user);
	else
		rc = buf_printf(out, "uid%lu", (unsigned long)getuid());
	if (gethostname(host, sizeof host) < 0 || *host == '\0')
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	rc = rc ? rc : buf_putc(out, '@');
	return rc ? rc : safe_append(out, host);
}

/* job_confirm - accept the change the guard holds */
int
job_confirm(const struct config *cfg, const struct log *log, FILE *out)
{
	struct git_sink *sink = NULL;
	struct diag d;
	struct buf by = BUF_INIT;
	struct tm tm;
	time_t now = time(NULL);
	char oid[41], at[32];
	int rc;

	diag_init(&d, log);
	/* RFC 3339, in UTC. */
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(at, "1970-01-01T00:00:00Z");
	rc = confirmer(&by);
	/* nothing is held in a repository that does not exist: none is
	 * left behind */
	rc = rc ? rc : git_sink_open_ext(cfg->repository, cfg->bare,
	    cfg->branch, GIT_SINK_STAGE, &sink, &d);
	rc = rc ? rc : rollout_confirm(cfg, sink, by.data, at, oid, &d);
	if (rc == 0)
		fprintf(out, "confirmed: %s is now at %s\n", cfg->branch, oid);
	if (rc == 0)
		record_confirm(cfg, log);
	buf_free(&by);
	git_sink_close(sink);
	diag_free(&d);
	return rc;
}

/* job_render - tables into a directory */
int
job_render(const struct config *cfg, const struct job_options *o,
    const struct log *log, FILE *out)
{
	struct diag d;
	struct source src = { cfg, NULL };
	struct mapping *map = NULL;
	struct build *b = NULL;
	const struct model *model = NULL;
	struct tables tables = { NULL, 0 };
	struct file_data *files = NULL;
	char **paths = NULL;
	size_t i;
	int rc;

	diag_init(&d, log);
	d.quiet_data = 1;
	if (mkdir(o->out_dir, 0755) < 0 && errno != EEXIST) {
		diag_error(&d, o->out_dir, "cannot create directory: %s",
		    strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	rc = build(cfg, &src, &map, &b, &d);
	log_problems(&d, log);
	if (rc == 0)
		model = build_model_of(b);
	rc = rc ? rc : render_tables(config_layout_name(cfg->layout), model,
	    &tables);
	if (rc < 0)
		goto cleanup;
	/* All or nothing: a reader never sees some tables new, some old. */
	files = calloc(tables.count ? tables.count : 1, sizeof *files);
	paths = calloc(tables.count ? tables.count : 1, sizeof *paths);
	if (files == NULL || paths == NULL)
		rc = ERR_NOMEM;
	for (i = 0; rc == 0 && i < tables.count; i++) {
		struct buf path = BUF_INIT;

		rc = buf_printf(&path, "%s/%s", o->out_dir,
		    tables.items[i].name);
		paths[i] = buf_steal(&path);
		files[i].path = paths[i];
		files[i].data = tables.items[i].text.data ?
		    tables.items[i].text.data : "";
		files[i].len = tables.items[i].text.len;
	}
	rc = rc ? rc : file_write_set(files, tables.count, 0644, &d);
	if (rc == 0)
		fprintf(out, "wrote %zu tables to %s (%zu addresses)\n",
		    tables.count, o->out_dir, model_address_count(model));
	else if (rc == ERR_IO)
		log_msg(log, LOG_LEVEL_ERROR, "job: render: %s: no table "
		    "written; the directory is as it was", o->out_dir);
cleanup:
	for (i = 0; paths && i < tables.count; i++)
		free(paths[i]);
	free(paths);
	free(files);
	render_tables_free(&tables);
	build_free(b);
	source_close(&src);
	mapping_free(map);
	diag_free(&d);
	return rc;
}

/* print_summary - per domain counts, for check: from the listing of
 * the model, as status counts them from a commit's listing */
static int
print_summary(FILE *out, const struct model *m)
{
	struct routes r = { NULL, 0 };
	int rc;

	rc = routes_from_model(m, &r);
	rc = rc ? rc : routes_print_domains(out, &r);
	routes_clear(&r);
	return rc;
}

/* job_check - report everything wrong with configuration and data */
int
job_check(const struct config *cfg, const struct log *log, FILE *out)
{
	static const char *const kinds[] = { "warning", "rejected", "conflict" };
	struct diag d;
	struct source src = { cfg, NULL };
	struct mapping *map = NULL;
	struct build *b = NULL;
	const struct model *model = NULL;
	size_t i;
	int rc;

	/* Problems are the report here: printed below, not logged. */
	(void)log;
	diag_init(&d, NULL);
	rc = build(cfg, &src, &map, &b, &d);
	if (rc == 0)
		model = build_model_of(b);
	for (i = 0; i < d.count; i++) {
		const struct diag_item *it = &d.items[i];

		fprintf(out, "%s: %s%s%s\n", it->level == DIAG_ERROR ? "error" :
		    kinds[it->kind], it->where, *it->where ? ": " : "",
		    it->what);
	}
	if (rc < 0)
		goto cleanup;
	rc = print_summary(out, model);
	if (rc < 0)
		goto cleanup;
	fprintf(out, "%zu mailboxes, %zu addresses, %zu rejected values, "
	    "%zu conflicts\n", model_mailbox_count(model),
	    model_address_count(model), d.nrejected, d.nconflicts);
	if (d.nerrors || d.nwarnings || d.nrejected || d.nconflicts)
		rc = ERR_DATA;
cleanup:
	build_free(b);
	source_close(&src);
	mapping_free(map);
	diag_free(&d);
	return rc;
}
