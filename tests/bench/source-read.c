/*
 * source-read - how fast the LDAP source reads a directory, doing
 * nothing with it
 *
 * SYNOPSIS
 *	source-read MAPPING URI BASE MODE ROUNDS
 *
 * DESCRIPTION
 *	Loads MAPPING for its filter and attributes, opens URI (SASL
 *	EXTERNAL, pages of 500 as splitsync asks by default) and runs
 *	ROUNDS full searches under BASE with a callback that only counts
 *	what it is given. MODE "entry" reads entries (ldap_source_search,
 *	a struct entry per entry), "view" reads views over the mapping's
 *	attrset (ldap_source_search_view), as the data path does; the
 *	time of each round is printed as "MODE: N entries, V values, S s"
 *	(one line each).
 *
 * DIAGNOSTICS
 *	Exit status 0, or 1 with the source's message on stderr, 2 on a
 *	usage error.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attrset.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_source.h"
#include "mapping.h"

/* What a do-nothing reader keeps: counts. */
struct count {
	size_t entries;
	size_t values;
};

/* now_s - a monotonic clock in seconds */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* count_entry - entry_source_fn: counts the entry and its values */
static int
count_entry(const struct entry *e, void *ctx)
{
	struct count *c = ctx;
	size_t i;

	c->entries++;
	for (i = 0; i < e->count; i++)
		c->values += e->attrs[i].count;
	return 0;
}

/* count_view - entry_view_fn: counts the view and its values */
static int
count_view(const struct entry_view *v, void *ctx)
{
	struct count *c = ctx;
	size_t i, n = attrset_count(v->set);

	c->entries++;
	for (i = 0; i < n; i++)
		c->values += v->attrs[i].n;
	return 0;
}

/* one_round - one full search in mode; 0 or an error code */
static int
one_round(struct ldap_source *src, const struct mapping *map,
    const char *mode, struct diag *d)
{
	struct count c = { 0, 0 };
	double t0 = now_s();
	int rc;

	if (strcmp(mode, "view") == 0)
		rc = ldap_source_search_view(src, mapping_filter(map),
		    mapping_attrset(map), count_view, &c, d);
	else
		rc = ldap_source_search(src, mapping_filter(map),
		    mapping_attributes(map), count_entry, &c, d);
	if (rc == 0)
		printf("%s: %zu entries, %zu values, %.3f s\n", mode,
		    c.entries, c.values, now_s() - t0);
	return rc;
}

int
main(int argc, char **argv)
{
	struct config_ldap cfg;
	struct ldap_source *src = NULL;
	struct mapping *map = NULL;
	struct diag d;
	char *uris[1];
	long rounds, i;
	int rc;

	if (argc != 6 || (rounds = strtol(argv[5], NULL, 10)) <= 0 ||
	    (strcmp(argv[4], "entry") != 0 && strcmp(argv[4], "view") != 0)) {
		fprintf(stderr, "usage: source-read MAPPING URI BASE MODE "
		    "ROUNDS\n");
		return 2;
	}
	diag_init(&d, NULL);
	memset(&cfg, 0, sizeof cfg);
	uris[0] = argv[2];
	cfg.uris = uris;
	cfg.nuris = 1;
	cfg.base = argv[3];
	cfg.sasl_mech = (char *)"EXTERNAL";
	cfg.timeout = 3600;
	rc = mapping_load(argv[1], &map, &d);
	if (rc == 0)
		rc = ldap_source_open(&cfg, &src, &d);
	for (i = 0; rc == 0 && i < rounds; i++)
		rc = one_round(src, map, argv[4], &d);
	if (rc < 0)
		fprintf(stderr, "source-read: %s: %s\n", err_str(rc),
		    diag_last_error(&d));
	ldap_source_close(src);
	mapping_free(map);
	diag_free(&d);
	return rc < 0;
}
