/*
 * daemon - splitsync run: the background sync service
 *
 * Keeps the committed tables equal to what resync would produce from
 * the directory at that moment, in the foreground (systemd style: logs
 * to stderr or syslog, no forking). The change feed is syncrepl
 * refreshAndPersist (feed = persist) or periodic full searches
 * (feed = poll). Changes that arrive within the debounce window make
 * one commit. The mirror of the directory and the syncrepl cookie are
 * committed with the tables, so a restart resumes from the branch head
 * (and once on their own when the head has no cookie, e.g. after a
 * resync). The metrics file, when configured, is written after every
 * commit and failure and at least every 30 seconds (or half of
 * status_max_silence when that is shorter).
 *
 * Signals: SIGHUP reloads the configuration and the mapping (a bad new
 * one is reported, the old one kept); SIGTERM and SIGINT commit what is
 * pending and exit; SIGUSR1 forces a full resync.
 */
#ifndef SPLITSYNC_DAEMON_H
#define SPLITSYNC_DAEMON_H

#include "log.h"

/* daemon_run - run until SIGTERM or SIGINT (0), or until a failure
 * that retrying cannot fix: ERR_CONFIG (bad configuration at start),
 * ERR_AUTH (credentials refused), ERR_IO (the repository cannot be
 * opened), ERR_NOMEM. At SIGTERM or SIGINT, when the commit of what is
 * pending fails, that failure (ERR_IO, ERR_MOVED, ERR_BUSY, ERR_DATA,
 * ERR_UNAVAIL) is returned and what was not committed is logged. repo,
 * when not NULL, overrides the configured repository. A source that is
 * down is retried with backoff, never returned. */
int daemon_run(const char *config_path, const char *repo,
    const struct log *log);

#endif
