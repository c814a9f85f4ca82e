/*
 * status - is routing in step with the directory? (splitsync status)
 *
 * Reads the repository (deploy head, hold and proposal branches, the
 * route listing and the trailers of splitsync's last commit, a hand
 * edit on top of it) and, when metrics_file is set, what the service
 * last wrote there, and prints a report a person can read at a glance.
 * The result is also a monitoring check's verdict.
 */
#ifndef SPLITSYNC_STATUS_H
#define SPLITSYNC_STATUS_H

#include <stdio.h>
#include "config.h"
#include "log.h"

enum status_verdict {
	STATUS_OK = 0,          /* nothing to do */
	STATUS_WARNING = 1,     /* conflicts or refused values to look at,
	                           or tables edited by hand on the branch */
	STATUS_CRITICAL = 2     /* a held change, or no contact with the
	                           directory for longer than allowed */
};

/* status_report - print the report to out and set *verdict; 0, or
 * ERR_IO when the repository cannot be read (logged) */
int status_report(const struct config *cfg, const struct log *log,
    FILE *out, enum status_verdict *verdict);

#endif
