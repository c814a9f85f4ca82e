/*
 * job - the one-shot jobs: resync, render, check
 *
 * Each job reads the whole directory through the configured source,
 * maps it with the mapping file, and builds the routing model; then
 * resync commits the rendered tables to git, render writes them to a
 * directory, check reports every problem. Problems are logged through
 * the log given; results go to out (stdout for the CLI).
 *
 * Nothing is written unless the whole read succeeded: a malformed LDIF
 * file, a truncated search or a refused bind leave the repository and
 * the output directory as they were.
 */
#ifndef SPLITSYNC_JOB_H
#define SPLITSYNC_JOB_H

#include <stdio.h>
#include "config.h"
#include "log.h"

struct job_options {
	int dry_run;            /* resync: show the changes, commit nothing */
	int force;              /* resync: accept a change the guard holds */
	const char *out_dir;    /* render: where the tables go */
};

/* job_resync - read, map, render, commit (or propose, in review
 * rollout). A repository that does not exist yet is made under a
 * temporary name and put in place with the first branch: a run that
 * fails leaves none behind. A dry run writes nothing (an absent
 * repository is diffed against in a throwaway copy) and answers as the
 * real run would: ERR_HELD when the guard would hold the change. Except in a
 * dry run, metrics_file is updated when one is configured (when the
 * directory answered, the commit made, a failed contact, the problems,
 * the hold; the service's counters carried on).
 * 0 when committed, proposed or nothing changed; ERR_CONFIG,
 * ERR_DATA, ERR_UNAVAIL, ERR_AUTH, ERR_IO, ERR_HELD (the guard holds
 * the change on the hold branch: confirm or force), ERR_MOVED,
 * ERR_NOMEM, each logged. */
int job_resync(const struct config *cfg, const struct job_options *o,
    const struct log *log, FILE *out);
/* job_render - write the tables into o->out_dir: every table to a temp
 * name and fsynced, then all renamed; on failure every table is as it
 * was and no temp file is left. Errors as job_resync. */
int job_render(const struct config *cfg, const struct job_options *o,
    const struct log *log, FILE *out);
/* job_confirm - accept the change the deletion guard holds: a commit on
 * it records who confirmed (the login name, else SUDO_USER, else the
 * real user; @ the host name) and when, and the deploy branch
 * fast-forwards to it; metrics_file, when configured, counts the commit
 * and shows nothing held. ERR_NOTFOUND when nothing is held, ERR_MOVED
 * when it was computed on another deploy head, ERR_IO. */
int job_confirm(const struct config *cfg, const struct log *log, FILE *out);
/* job_check - validate the mapping, read the directory, report every
 * rejected value and conflict with its DN and a summary per domain.
 * 0 when clean, ERR_DATA when the data has problems, other errors as
 * job_resync. */
int job_check(const struct config *cfg, const struct log *log, FILE *out);

#endif
