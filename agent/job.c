/*
 * job - the one-shot jobs: resync, render, check
 *
 * DESCRIPTION
 *	Every job builds the model the same way, in two passes over the
 *	source: first domains and groups (a mailbox's route may depend on
 *	any group, wherever it sits in the directory), then mailboxes.
 *	Directory domains are added in DN order after the mapping's own,
 *	so the model never depends on the order the server returned.
 *
 *	resync then reads the route listing of the branch head (who owns
 *	what, for conflicts and for the commit message), renders, and
 *	commits when a table changed. An empty directory facing a branch
 *	that routes mail is held: that is a broken source far more often
 *	than a real change.
 *
 * DIAGNOSTICS
 *	Every failure is logged as "job: object: what: why" before the
 *	error code is returned; data problems are logged as they are found.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "groups.h"
#include "job.h"
#include "ldap_source.h"
#include "ldif.h"
#include "mapping.h"
#include "model.h"
#include "render.h"
#include "routes.h"

#define MESSAGE_MAX_CHANGES 1000

/* The source, whichever kind the configuration names. */
struct source {
	const struct config *cfg;
	struct ldap_source *ldap;
};

/* What the passes over the source accumulate. */
struct build {
	const struct mapping *map;
	struct groups *groups;
	struct model *model;
	struct domain_spec *domains;    /* from the directory */
	size_t ndomains, capdomains;
	size_t nentries;
	struct diag *d;
};

/* source_open - connect when the source is a server */
static int
source_open(struct source *s, const struct config *cfg, struct diag *d)
{
	s->cfg = cfg;
	s->ldap = NULL;
	if (cfg->source == CONFIG_SOURCE_LDAP)
		return ldap_source_open(&cfg->ldap, &s->ldap, d);
	return 0;
}

/* source_close - release the connection */
static void
source_close(struct source *s)
{
	if (s->ldap)
		ldap_source_close(s->ldap);
	s->ldap = NULL;
}

/* source_each - one full pass over the directory */
static int
source_each(struct source *s, const struct mapping *map, entry_source_fn fn,
    void *ctx, struct diag *d)
{
	if (s->ldap)
		return ldap_source_search(s->ldap, mapping_filter(map),
		    mapping_attributes(map), fn, ctx, d);
	return ldif_read_file(s->cfg->ldif, fn, ctx, d);
}

/* source_name - how the commit trailer names the source */
static int
source_name(const struct source *s, struct buf *out)
{
	if (s->ldap)
		return buf_printf(out, "%s %s", ldap_source_uri(s->ldap),
		    s->cfg->ldap.base);
	return buf_printf(out, "ldif %s", s->cfg->ldif);
}

/* first_pass - domains and groups */
static int
first_pass(const struct entry *e, void *ctx)
{
	struct build *b = ctx;
	unsigned cls = mapping_classify(b->map, e);
	int rc;

	b->nentries++;
	if (cls & MAPPING_GROUP) {
		rc = groups_add(b->groups, e);
		if (rc < 0)
			return rc;
	}
	if (cls & MAPPING_DOMAIN) {
		if (b->ndomains == b->capdomains) {
			size_t cap = b->capdomains ? b->capdomains * 2 : 8;
			struct domain_spec *p = realloc(b->domains,
			    cap * sizeof *p);

			if (p == NULL)
				return ERR_NOMEM;
			b->domains = p;
			b->capdomains = cap;
		}
		memset(&b->domains[b->ndomains], 0, sizeof *b->domains);
		rc = mapping_domain_from_entry(b->map, e,
		    &b->domains[b->ndomains], b->d);
		if (rc == 0)
			b->ndomains++;
		else if (rc != ERR_DATA)
			return rc;
	}
	return 0;
}

/* second_pass - mailboxes */
static int
second_pass(const struct entry *e, void *ctx)
{
	struct build *b = ctx;
	struct mailbox_spec spec;
	int rc;

	if (!(mapping_classify(b->map, e) & MAPPING_MAILBOX))
		return 0;
	memset(&spec, 0, sizeof spec);
	rc = mapping_mailbox_from_entry(b->map, e, b->groups, &spec, b->d);
	if (rc == 0)
		rc = model_add_mailbox(b->model, &spec, b->d);
	mailbox_spec_clear(&spec);
	return rc == ERR_DATA ? 0 : rc;
}

/* origin_cmp - directory domains in DN order */
static int
origin_cmp(const void *a, const void *b)
{
	const struct domain_spec *x = a, *y = b;
	int c = strcmp(x->origin ? x->origin : "", y->origin ? y->origin : "");

	return c ? c : strcmp(x->name, y->name);
}

/* build_model - two passes over the source into a finished model */
static int
build_model(const struct config *cfg, const struct mapping *map,
    struct source *src, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct diag *d)
{
	struct build b;
	size_t i;
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof b);
	b.map = map;
	b.d = d;
	rc = groups_new(&b.groups);
	if (rc == 0)
		rc = model_new(&b.model, (const char *const *)cfg->transports,
		    cfg->ntransports);
	if (rc < 0)
		goto cleanup;
	rc = source_each(src, map, first_pass, &b, d);
	if (rc < 0)
		goto cleanup;
	for (i = 0; i < mapping_domain_count(map); i++) {
		rc = model_add_domain(b.model, mapping_domain_at(map, i), d);
		if (rc < 0 && rc != ERR_DATA)
			goto cleanup;
	}
	if (b.ndomains)
		qsort(b.domains, b.ndomains, sizeof *b.domains, origin_cmp);
	for (i = 0; i < b.ndomains; i++) {
		rc = model_add_domain(b.model, &b.domains[i], d);
		if (rc < 0 && rc != ERR_DATA)
			goto cleanup;
	}
	b.nentries = 0;
	rc = source_each(src, map, second_pass, &b, d);
	if (rc < 0)
		goto cleanup;
	rc = model_finish(b.model, owner, owner_ctx, d);
	if (rc < 0)
		goto cleanup;
	/* A gateway cannot hand internal mail on by MX: it is the MX. */
	for (i = 0; strcmp(cfg->layout, "gateway") == 0 &&
	    i < model_domain_count(b.model); i++)
		if (model_domain_at(b.model, i)->local == NULL)
			diag_warn(d, model_domain_at(b.model, i)->origin,
			    "domain %s has no local nexthop: the gateway layout "
			    "routes its internal recipients by MX",
			    model_domain_at(b.model, i)->name);
	*out = b.model;
	b.model = NULL;
cleanup:
	for (i = 0; i < b.ndomains; i++)
		domain_spec_clear(&b.domains[i]);
	free(b.domains);
	groups_free(b.groups);
	model_free(b.model);
	return rc;
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

/* previous_owner - model_owner_fn over the head's route listing */
static const char *
previous_owner(const char *address, void *ctx)
{
	const struct route_row *row = routes_find(ctx, address);

	if (row == NULL)
		return NULL;
	return *row->id ? row->id : row->dn;
}

/* routed_rows - how many rows of a listing route an address */
static size_t
routed_rows(const struct routes *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->count; i++)
		if (r->rows[i].key[0] != '@')
			n++;
	return n;
}

/* read_previous - the head's route listing; empty when there is none */
static int
read_previous(struct git_sink *sink, struct routes *prev, struct diag *d)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	prev->rows = NULL;
	prev->count = 0;
	rc = git_sink_read(sink, ROUTES_PATH, &data, &len, d);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc == 0)
		rc = routes_parse(ROUTES_PATH, data, len, prev, d);
	free(data);
	return rc;
}

/* tables_changed - 1 when some table differs from the head's */
static int
tables_changed(struct git_sink *sink, const struct tables *t,
    struct diag *d)
{
	struct diag quiet;
	size_t i, len;
	char *data;
	int rc, changed = 0;

	diag_init(&quiet, NULL);
	for (i = 0; !changed && i < t->count; i++) {
		data = NULL;
		rc = git_sink_read(sink, t->items[i].name, &data, &len, &quiet);
		if (rc == ERR_NOTFOUND)
			changed = 1;
		else if (rc < 0) {
			diag_error(d, t->items[i].name, "%s",
			    diag_last_error(&quiet));
			changed = rc;
		} else if (len != t->items[i].text.len ||
		    memcmp(data, t->items[i].text.data, len) != 0)
			changed = 1;
		free(data);
	}
	diag_free(&quiet);
	return changed;
}

/* append_conflicts - the conflicts found, for the commit message */
static int
append_conflicts(struct buf *msg, const struct diag *d)
{
	size_t i;
	int rc = 0, first = 1;

	for (i = 0; rc == 0 && i < d->count; i++) {
		if (d->items[i].kind != DIAG_CONFLICT)
			continue;
		if (first)
			rc = buf_puts(msg, "\nConflicts (existing routes kept):\n");
		first = 0;
		rc = rc ? rc : buf_printf(msg, "! %s: %s\n", d->items[i].where,
		    d->items[i].what);
	}
	return rc;
}

/* compose_message - summary, one line per change, conflicts, trailers */
static int
compose_message(struct buf *msg, const struct route_change *ch, size_t n,
    const struct model *m, const struct config *cfg, const char *source,
    const struct diag *d)
{
	size_t i, add = 0, del = 0, mod = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (ch[i].op == '+')
			add++;
		else if (ch[i].op == '-')
			del++;
		else
			mod++;
	}
	rc = buf_printf(msg, "splitsync: %zu added, %zu changed, %zu removed "
	    "(%zu addresses, %zu domains)\n\n", add, mod, del,
	    model_address_count(m), model_domain_count(m));
	for (i = 0; rc == 0 && i < n && i < MESSAGE_MAX_CHANGES; i++) {
		rc = routes_describe(&ch[i], msg);
		rc = rc ? rc : buf_putc(msg, '\n');
	}
	if (rc == 0 && n > MESSAGE_MAX_CHANGES)
		rc = buf_printf(msg, "... and %zu more changes\n",
		    n - MESSAGE_MAX_CHANGES);
	rc = rc ? rc : append_conflicts(msg, d);
	rc = rc ? rc : buf_printf(msg, "\nSplitsync-Source: %s\n"
	    "Splitsync-Layout: %s\nSplitsync-Rejected: %zu\n"
	    "Splitsync-Conflicts: %zu\n", source, cfg->layout, d->nrejected,
	    d->nconflicts);
	return rc;
}

/* collect_files - tables plus the route listing, as sink files */
static int
collect_files(const struct tables *t, const struct buf *listing,
    struct git_sink_file **out, size_t *n)
{
	struct git_sink_file *f;
	size_t i;

	f = calloc(t->count + 1, sizeof *f);
	if (f == NULL)
		return ERR_NOMEM;
	for (i = 0; i < t->count; i++) {
		f[i].path = t->items[i].name;
		f[i].data = t->items[i].text.data;
		f[i].len = t->items[i].text.len;
	}
	f[i].path = ROUTES_PATH;
	f[i].data = listing->data ? listing->data : "";
	f[i].len = listing->len;
	*out = f;
	*n = t->count + 1;
	return 0;
}

/* print_changes - the route changes, for --dry-run */
static int
print_changes(FILE *out, const struct route_change *ch, size_t n)
{
	struct buf line = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		buf_reset(&line);
		rc = routes_describe(&ch[i], &line);
		if (rc == 0)
			fprintf(out, "%s\n", line.data);
	}
	if (n == 0)
		fprintf(out, "no route changes\n");
	buf_free(&line);
	return rc;
}

/* job_resync - read, map, render, commit */
int
job_resync(const struct config *cfg, const struct job_options *o,
    const struct log *log, FILE *out)
{
	struct diag d;
	struct source src = { cfg, NULL };
	struct mapping *map = NULL;
	struct git_sink *sink = NULL;
	struct model *model = NULL;
	struct routes prev = { NULL, 0 }, next = { NULL, 0 };
	struct route_change *ch = NULL;
	struct tables tables = { NULL, 0 };
	struct git_sink_file *files = NULL;
	struct buf listing = BUF_INIT, msg = BUF_INIT, name = BUF_INIT;
	struct buf diff = BUF_INIT;
	size_t nch = 0, nfiles = 0;
	char oid[41] = "";
	int rc, committed = 0, changed;

	diag_init(&d, log);
	rc = prepare(cfg, &map, &src, &d);
	if (rc < 0)
		goto cleanup;
	rc = git_sink_open(cfg->repository, cfg->bare, cfg->branch, &sink, &d);
	if (rc < 0)
		goto cleanup;
	rc = read_previous(sink, &prev, &d);
	if (rc < 0)
		goto cleanup;
	rc = build_model(cfg, map, &src, previous_owner, &prev, &model, &d);
	if (rc < 0)
		goto cleanup;
	if (model_mailbox_count(model) == 0 && routed_rows(&prev) > 0 &&
	    !o->force) {
		log_msg(log, LOG_LEVEL_ERROR, "job: resync: the directory "
		    "yields no mailbox but branch %s routes %zu addresses: "
		    "held; run resync --force to accept", cfg->branch,
		    routed_rows(&prev));
		rc = ERR_HELD;
		goto cleanup;
	}
	rc = render_tables(cfg->layout, model, &tables);
	rc = rc ? rc : routes_from_model(model, &next);
	rc = rc ? rc : routes_format(&next, &listing);
	rc = rc ? rc : routes_diff(&prev, &next, &ch, &nch);
	rc = rc ? rc : collect_files(&tables, &listing, &files, &nfiles);
	if (rc < 0)
		goto cleanup;
	if (o->dry_run) {
		rc = print_changes(out, ch, nch);
		/* The listing is state, not a table: show only tables. */
		rc = rc ? rc : git_sink_diff(sink, files, nfiles, ROUTES_STATE_DIR,
		    &diff, &d);
		if (rc == 0 && diff.len)
			fwrite(diff.data, 1, diff.len, out);
		goto cleanup;
	}
	changed = tables_changed(sink, &tables, &d);
	if (changed < 0) {
		rc = changed;
		goto cleanup;
	}
	if (!changed) {
		fprintf(out, "no change: branch %s is up to date\n", cfg->branch);
		goto cleanup;
	}
	rc = source_name(&src, &name);
	rc = rc ? rc : compose_message(&msg, ch, nch, model, cfg, name.data, &d);
	rc = rc ? rc : git_sink_commit(sink, files, nfiles, msg.data,
	    cfg->author_name, cfg->author_email, &committed, oid, &d);
	if (rc == 0 && committed)
		fprintf(out, "committed %s on %s: %zu route changes\n", oid,
		    cfg->branch, nch);
	else if (rc == 0)
		fprintf(out, "no change: branch %s is up to date\n", cfg->branch);
cleanup:
	if (rc < 0 && rc != ERR_HELD)
		log_msg(log, LOG_LEVEL_ERROR, "job: resync: %s: %s", err_str(rc),
		    "nothing committed; the branch is as it was");
	free(files);
	free(ch);
	buf_free(&listing);
	buf_free(&msg);
	buf_free(&name);
	buf_free(&diff);
	routes_clear(&prev);
	routes_clear(&next);
	render_tables_free(&tables);
	model_free(model);
	git_sink_close(sink);
	source_close(&src);
	mapping_free(map);
	diag_free(&d);
	return rc;
}

/* write_file_atomic - dir/name holds data, or nothing changed */
static int
write_file_atomic(const char *dir, const char *name, const char *data,
    size_t len, struct diag *d)
{
	struct buf tmp = BUF_INIT, dst = BUF_INIT;
	size_t off = 0;
	ssize_t n;
	int fd = -1, rc;

	rc = buf_printf(&tmp, "%s/.%s.XXXXXX", dir, name);
	rc = rc ? rc : buf_printf(&dst, "%s/%s", dir, name);
	if (rc < 0)
		goto cleanup;
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		diag_error(d, dst.data, "cannot create: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			diag_error(d, dst.data, "cannot write: %s",
			    strerror(n < 0 ? errno : ENOSPC));
			rc = ERR_IO;
			goto cleanup;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		diag_error(d, dst.data, "cannot sync: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	if (close(fd) < 0) {
		fd = -1;
		diag_error(d, dst.data, "cannot close: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp.data, dst.data) < 0) {
		diag_error(d, dst.data, "cannot rename: %s", strerror(errno));
		rc = ERR_IO;
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.data)
		unlink(tmp.data);
	buf_free(&tmp);
	buf_free(&dst);
	return rc;
}

/* sync_dir - make the renames in dir durable */
static int
sync_dir(const char *dir, struct diag *d)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), rc = 0;

	if (fd < 0 || fsync(fd) < 0) {
		diag_error(d, dir, "cannot sync directory: %s", strerror(errno));
		rc = ERR_IO;
	}
	if (fd >= 0)
		close(fd);
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
	size_t i;
	int rc;

	diag_init(&d, log);
	if (mkdir(o->out_dir, 0755) < 0 && errno != EEXIST) {
		diag_error(&d, o->out_dir, "cannot create directory: %s",
		    strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	rc = prepare(cfg, &map, &src, &d);
	rc = rc ? rc : build_model(cfg, map, &src, NULL, NULL, &model, &d);
	rc = rc ? rc : render_tables(cfg->layout, model, &tables);
	for (i = 0; rc == 0 && i < tables.count; i++)
		rc = write_file_atomic(o->out_dir, tables.items[i].name,
		    tables.items[i].text.data, tables.items[i].text.len, &d);
	rc = rc ? rc : sync_dir(o->out_dir, &d);
	if (rc == 0)
		fprintf(out, "wrote %zu tables to %s (%zu addresses)\n",
		    tables.count, o->out_dir, model_address_count(model));
cleanup:
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
	rc = prepare(cfg, &map, &src, &d);
	rc = rc ? rc : build_model(cfg, map, &src, NULL, NULL, &model, &d);
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
