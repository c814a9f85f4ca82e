/*
 * config - the agent configuration file
 *
 * Format: one "name = value" per line, '#' starts a comment line, blank
 * lines ignored; list values are separated by white space. Unknown names,
 * repeated names and bad values are errors reported as "file:line: what";
 * all errors are collected and a file with any error is refused whole.
 * Relative paths are resolved against the directory of the file. The
 * deploy, proposal and hold branches are short names valid by libgit2's
 * rule (not "HEAD", not "refs/..."), three different refs none of which
 * is a directory of another. A struct config is immutable once loaded
 * and passed down as const.
 */
#ifndef SPLITSYNC_CONFIG_H
#define SPLITSYNC_CONFIG_H

#include <stddef.h>
#include "diag.h"

enum config_source { CONFIG_SOURCE_LDIF, CONFIG_SOURCE_LDAP };
/* Each choice is parsed once, at load; config_*_name gives its name
 * back (static) for messages and trailers. */
enum config_layout { CONFIG_LAYOUT_BLUEMIND, CONFIG_LAYOUT_GATEWAY };
enum config_rollout { CONFIG_ROLLOUT_DIRECT, CONFIG_ROLLOUT_REVIEW };
enum config_feed { CONFIG_FEED_POLL, CONFIG_FEED_PERSIST };

struct config_ldap {
	char **uris;            /* tried in turn */
	size_t nuris;
	char *base;             /* search base */
	char *bind_dn;          /* simple bind; NULL: anonymous or SASL */
	char *password_file;    /* simple bind password, first line */
	char *sasl_mech;        /* "EXTERNAL" or NULL */
	int starttls;           /* 1: StartTLS on ldap:// (required) */
	int tls_verify;         /* 1 (default): verify server certificate */
	char *ca_file;          /* CA certificates, NULL: system default */
	int network_timeout;    /* seconds, connect */
	int timeout;            /* seconds, each operation */
	int page_size;          /* RFC 2696 page size */
};

struct config {
	char *path;             /* the file as given */
	enum config_source source;
	char *ldif;             /* LDIF file (source = ldif) */
	struct config_ldap ldap;
	char *mapping;          /* mapping file */
	enum config_layout layout;
	int table_shards;       /* 0: one file per table; else tables and
	                           listing split into this many files */
	char *repository;       /* git repository directory */
	char *branch;           /* deploy branch, default "main" */
	int bare;               /* create the repository bare (default 1) */
	char *author_name;
	char *author_email;
	char **transports;      /* nexthop transports allowed in tables */
	size_t ntransports;
	/* rollout */
	enum config_rollout rollout;
	char *proposal_branch;  /* review: deploy head + the proposed change */
	char *hold_branch;      /* a change the guard holds */
	int guard_percent;      /* hold when more than this share of routes
	                           would go (0: no limit) */
	int guard_count;        /* ... or more than this many (0: no limit) */
	int guard_add_percent;  /* hold when the routes would grow by more
	                           than this share (0: no limit) */
	int guard_add_count;    /* ... or by more than this many */
	int max_addresses;      /* addresses one entry may route (0: no
	                           limit); the rest are refused */
	char **remotes;         /* pushed after each commit; the first one is
	                           fetched before each commit */
	size_t nremotes;
	/* the service (splitsync run) */
	enum config_feed feed;  /* persist: syncrepl */
	int poll_interval;      /* seconds between full polls */
	int debounce;           /* milliseconds: changes within make one commit */
	int reconnect_min;      /* seconds: first retry after a failure */
	int reconnect_max;      /* seconds: longest wait between retries */
	/* monitoring */
	char *metrics_file;     /* Prometheus text file; NULL: none */
	int status_max_silence; /* seconds without the directory before
	                           status calls for a person */
};

/* config_load - read path into *out (caller frees with config_free).
 * ERR_NOINPUT when it is missing or cannot be opened, ERR_CONFIG when
 * it is not a regular file of at most FILE_MAX_CONFIG bytes (file.h),
 * ERR_IO when a read fails, ERR_CONFIG when invalid (every problem
 * recorded in d as file:line), ERR_NOMEM. */
int config_load(const char *path, struct config **out, struct diag *d);
void config_free(struct config *c);
/* config_layout_name - "bluemind", "gateway" */
const char *config_layout_name(enum config_layout l);
/* config_rollout_name - "direct", "review" */
const char *config_rollout_name(enum config_rollout r);
/* config_feed_name - "poll", "persist" */
const char *config_feed_name(enum config_feed f);
/* config_set_repository - replace the repository (--repo); the value is
 * taken as given (relative to the working directory); ERR_NOMEM */
int config_set_repository(struct config *c, const char *dir);

#endif
