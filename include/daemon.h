/*
 * daemon - splitsync run: the background sync service
 *
 * Keeps the committed tables equal to what resync would produce from
 * the directory at that moment, in the foreground (systemd style: logs
 * to stderr or syslog, no forking). The change feed is syncrepl
 * refreshAndPersist (feed = persist) or periodic full searches
 * (feed = poll). Changes that arrive within the debounce window make
 * one commit. The mirror of the directory and the syncrepl cookie are
 * committed with the tables, so a restart resumes from the branch head.
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
 * opened), ERR_NOMEM. repo, when not NULL, overrides the configured
 * repository. A source that is down is retried with backoff, never
 * returned. */
int daemon_run(const char *config_path, const char *repo,
    const struct log *log);

#endif
