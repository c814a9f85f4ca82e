/*
 * job - the one-shot jobs: resync, render, check
 *
 * DESCRIPTION
 *	Every job reads the whole source once into a mirror (only the
 *	entries the mapping uses) and builds the model from it with
 *	publish_model, the same path the service takes.
 *
 *	resync hands the mirror to publish_run, which builds the model
 *	against the deploy head, renders, commits (or proposes, or holds)
 *	and pushes; confirm accepts a held change.
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "file.h"
#include "git_sink.h"
#include "job.h"
#include "mapping.h"
#include "mirror.h"
#include "model.h"
#include "publish.h"
#include "render.h"
#include "report.h"
#include "source.h"

/* What one pass over the source fills. */
struct fetch {
	const struct mapping *map;
	struct mirror *mirror;
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

/* fetch_one - copy a source entry the mapping uses into the mirror */
static int
fetch_one(const struct entry *e, void *ctx)
{
	struct fetch *f = ctx;
	char *id = NULL;
	int rc;

	/* The clock only now and then: it is not free per entry. */
	if (++f->seen % 1024 == 0)
		progress(f, 0);
	if (!mapping_classify(f->map, e))
		return 0;
	rc = mirror_entry_id(e, &id);
	rc = rc ? rc : mirror_put(f->mirror, id, e);
	free(id);
	return rc < 0 ? rc : 0;
}

/* fetch_all - one pass over the source into a new mirror */
static int
fetch_all(struct source *src, const struct mapping *map,
    struct mirror **out, struct diag *d)
{
	struct fetch f = { map, NULL, 0, 0, 0, 0 };
	int rc;

	*out = NULL;
	f.tty = isatty(STDERR_FILENO);
	f.start = f.shown = seconds();
	rc = mirror_new(&f.mirror);
	rc = rc ? rc : source_each(src, mapping_filter(map),
	    mapping_attributes(map), fetch_one, &f, d);
	if (f.seen >= 1024)
		progress(&f, 1);
	if (rc < 0) {
		mirror_free(f.mirror);
		return rc;
	}
	diag_log(d, LOG_LEVEL_INFO, "job: source: %zu entries read in %.2f s, "
	    "%zu of them for the mapping", f.seen, seconds() - f.start,
	    mirror_count(f.mirror));
	*out = f.mirror;
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
	if (!render_layout_known(cfg->layout)) {
		diag_error(d, cfg->path, "unknown layout \"%s\"", cfg->layout);
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

/* read_all - the whole source into a mirror; *src stays open for the
 * trailer's name */
static int
read_all(const struct config *cfg, struct source *src, struct mapping **map,
    struct mirror **mirror, struct diag *d)
{
	int rc;

	*mirror = NULL;
	rc = prepare(cfg, map, src, d);
	return rc ? rc : fetch_all(src, *map, mirror, d);
}

/* build - read the whole source and map it */
static int
build(const struct config *cfg, struct source *src, struct mapping **map,
    struct model **model, struct diag *d)
{
	struct mirror *mirror = NULL;
	int rc;

	*model = NULL;
	rc = read_all(cfg, src, map, &mirror, d);
	rc = rc ? rc : publish_model(cfg, *map, mirror, NULL, NULL, model, d);
	mirror_free(mirror);
	return rc;
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
	struct mirror *mirror = NULL;
	struct publish_request req;
	struct publish_result res;
	struct buf name = BUF_INIT;
	int rc;

	diag_init(&d, log);
	diag_init(&problems, log);
	/* refused values and conflicts: once each, by the report below */
	problems.quiet_data = 1;
	memset(&req, 0, sizeof req);
	memset(&res, 0, sizeof res);
	rc = git_sink_open(cfg->repository, cfg->bare, cfg->branch, &sink, &d);
	rc = rc ? rc : read_all(cfg, &src, &map, &mirror, &problems);
	rc = rc ? rc : source_name(&src, &name);
	if (rc < 0)
		goto cleanup;
	req.source = name.data;
	req.dry_run = o->dry_run;
	req.force = o->force;
	rc = publish_run(cfg, sink, map, mirror, &req, &problems, out, &res,
	    &d);
	if (rc == ERR_HELD)
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
	buf_free(&name);
	mirror_free(mirror);
	git_sink_close(sink);
	source_close(&src);
	mapping_free(map);
	diag_free(&problems);
	diag_free(&d);
	return rc;
}

/* job_confirm - accept the change the guard holds */
int
job_confirm(const struct config *cfg, const struct log *log, FILE *out)
{
	struct git_sink *sink = NULL;
	struct diag d;
	char oid[41];
	int rc;

	diag_init(&d, log);
	rc = git_sink_open(cfg->repository, cfg->bare, cfg->branch, &sink, &d);
	rc = rc ? rc : publish_confirm(cfg, sink, oid, &d);
	if (rc == 0)
		fprintf(out, "confirmed: %s is now at %s\n", cfg->branch, oid);
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
	struct model *model = NULL;
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
	rc = build(cfg, &src, &map, &model, &d);
	log_problems(&d, log);
	rc = rc ? rc : render_tables(cfg->layout, model, &tables);
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
	model_free(model);
	source_close(&src);
	mapping_free(map);
	diag_free(&d);
	return rc;
}

/* print_summary - per domain counts, for check */
static int
print_summary(FILE *out, const struct model *m)
{
	size_t i, j, n = model_domain_count(m);
	size_t *in = calloc(n ? n : 1, sizeof *in);
	size_t *ex = calloc(n ? n : 1, sizeof *ex);
	int rc = 0;

	if (in == NULL || ex == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	/* Few domains, many addresses: one pass, a short scan each. */
	for (j = 0; j < model_address_count(m); j++) {
		const struct model_address *a = model_address_at(m, j);

		for (i = 0; i < n; i++) {
			if (model_domain_at(m, i)->name != a->domain &&
			    strcmp(model_domain_at(m, i)->name, a->domain) != 0)
				continue;
			if (a->route == ROUTE_EXTERNAL)
				ex[i]++;
			else
				in[i]++;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		const struct model_domain *dm = model_domain_at(m, i);

		fprintf(out, "domain %s: %zu internal, %zu external, unknown "
		    "recipients %s\n", dm->name, in[i], ex[i],
		    dm->forward_unknown ? "relayed" : "rejected");
	}
cleanup:
	free(in);
	free(ex);
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
	struct model *model = NULL;
	size_t i;
	int rc;

	/* Problems are the report here: printed below, not logged. */
	(void)log;
	diag_init(&d, NULL);
	rc = build(cfg, &src, &map, &model, &d);
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
	model_free(model);
	source_close(&src);
	mapping_free(map);
	diag_free(&d);
	return rc;
}
