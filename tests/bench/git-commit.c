/*
 * git-commit - how long the git sink takes to commit many files
 *
 * SYNOPSIS
 *	git-commit DIR SHARDS BLOBS
 *
 * DESCRIPTION
 *	Builds, in memory, the files of a sharded commit: six tables of
 *	SHARDS shards each (table/X/Y/Z), about 700 bytes a shard, the
 *	size of the tables of 100 000 users at 4096 shards; then BLOBS
 *	small files of about 170 bytes under three levels of hex
 *	directories. Each set is committed with git_sink_commit into a
 *	new repository under DIR, then committed again unchanged, then
 *	once more with one file changed, and the wall-clock time of each
 *	step is printed as "name: N ms" (one line each). DIR is left as
 *	it is (git fsck it, or remove it).
 *
 * DIAGNOSTICS
 *	Exit status 0, or 1 with the sink's message on stderr.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "errors.h"
#include "git_sink.h"

static const char *const tables[] = {
	"transport.d", "virtual_alias.d", "virtual_mailbox.d",
	"virtual_domains.d", "master_relay_transport.d",
	".splitsync/routes.d"
};

/* now_ms - a monotonic clock in milliseconds */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* make_files - n files: paths under dir-like prefixes, text of about
 * size bytes of address lines, all different */
static struct git_sink_file *
make_files(size_t n, size_t per_table, size_t size, char **store)
{
	struct git_sink_file *f = calloc(n, sizeof *f);
	size_t i, k, at = 0, cap = n * (size + 160);
	char *p = malloc(cap);
	int w;

	if (f == NULL || p == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		f[i].path = p + at;
		if (per_table)
			w = snprintf(p + at, cap - at, "%s/%zx/%zx/%zx",
			    tables[i / per_table % 6], i % per_table >> 8 & 15,
			    i % per_table >> 4 & 15, i % per_table & 15);
		else
			w = snprintf(p + at, cap - at, "b.d/%zx/%zx/%zx/%zu",
			    i >> 12 & 15, i >> 8 & 15, i >> 4 & 15, i);
		at += (size_t)w + 1;
		f[i].data = p + at;
		for (k = 0; k * 56 < size; k++) {
			w = snprintf(p + at, cap - at, "user%zu.%zu@example."
			    "com smtp:[relay.example.com]:25\n", i, k);
			at += (size_t)w;
		}
		f[i].len = (size_t)(p + at - f[i].data);
		at++;
	}
	*store = p;
	return f;
}

/* step - one commit, timed; 0 or 1 */
static int
step(struct git_sink *s, const char *name, struct git_sink_file *f,
    size_t n)
{
	struct diag d;
	char hex[41];
	double t0;
	int committed, rc;

	diag_init(&d, NULL);
	t0 = now_ms();
	rc = git_sink_commit(s, f, n, name, "bench", "bench@example.com",
	    &committed, hex, &d);
	printf("%s: %.0f ms (%s)\n", name, now_ms() - t0,
	    committed ? "committed" : "nothing to commit");
	if (rc < 0)
		fprintf(stderr, "git-commit: %s: %s\n", err_str(rc),
		    diag_last_error(&d));
	diag_free(&d);
	return rc < 0;
}

/* run - the three steps on a new repository dir/name */
static int
run(const char *dir, const char *name, struct git_sink_file *f, size_t n)
{
	struct git_sink *s = NULL;
	struct diag d;
	char *repo = NULL, label[64];
	const char *keep;
	int bad = 1;

	diag_init(&d, NULL);
	if (asprintf(&repo, "%s/%s.git", dir, name) < 0)
		return 1;
	if (git_sink_open(repo, 1, "main", &s, &d) < 0) {
		fprintf(stderr, "git-commit: %s\n", diag_last_error(&d));
		goto out;
	}
	snprintf(label, sizeof label, "%s, new repository", name);
	if (step(s, label, f, n))
		goto out;
	snprintf(label, sizeof label, "%s, nothing changed", name);
	if (step(s, label, f, n))
		goto out;
	keep = f[n / 2].data;
	f[n / 2].data = "changed\n";
	f[n / 2].len = 8;
	snprintf(label, sizeof label, "%s, one file changed", name);
	bad = step(s, label, f, n);
	f[n / 2].data = keep;
out:
	git_sink_close(s);
	diag_free(&d);
	free(repo);
	return bad;
}

int
main(int argc, char **argv)
{
	struct git_sink_file *f;
	char *store;
	size_t shards, blobs;
	int bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: git-commit DIR SHARDS BLOBS\n");
		return 2;
	}
	shards = strtoul(argv[2], NULL, 10);
	blobs = strtoul(argv[3], NULL, 10);
	if (shards) {
		if ((f = make_files(6 * shards, shards, 700, &store)) == NULL)
			return 1;
		bad |= run(argv[1], "shards", f, 6 * shards);
		free(store);
		free(f);
	}
	if (blobs) {
		if ((f = make_files(blobs, 0, 170, &store)) == NULL)
			return 1;
		bad |= run(argv[1], "blobs", f, blobs);
		free(store);
		free(f);
	}
	return bad;
}
