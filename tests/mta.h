/*
 * mta - a private Postfix and its peer servers, for the Check suites
 *
 * mta_init makes a new directory with testlib_tmpdir() and starts four
 * listeners on 127.0.0.1, each on a random free port and each Postfix's
 * smtp-sink writing every mail transaction it accepts into a directory
 * of its own:
 *
 *	MTA_LOCAL	LMTP: the local mailbox server
 *	MTA_LEGACY	SMTP: the other system of the split domain (the
 *			domain's relay)
 *	MTA_OTHER	SMTP: one more mail host, for mailboxes that carry
 *			their own nexthop (mailHost)
 *	MTA_UNROUTED	SMTP: where Postfix sends what no table routed
 *			(virtual_transport, relay_transport)
 *
 * Their ports are known from then on, so a test can render tables whose
 * nexthops point at them (lmtp:[127.0.0.1]:PORT, smtp:[127.0.0.1]:PORT),
 * load them with mta_load_tables (git show, postmap) and start Postfix
 * with mta_start: its own configuration, queue and data directories in
 * DIR, smtpd on 127.0.0.1 only, no local delivery (mydestination is
 * empty), no relaying for anybody, no DNS, a queue that retries every
 * second. The layout's lookup tables are main.cf lines given to
 * mta_start (MTA_MAPS_BLUEMIND, MTA_MAPS_GATEWAY); in them
 * $mta_tables is the directory the tables were loaded into.
 *
 * mta_send is an SMTP client: it offers one message to Postfix and
 * keeps the reply code of every RCPT TO. Its message carries the header
 * "X-Test-Tag: TAG". mta_settle waits until Postfix's queue is empty,
 * so that every delivery has been made; mta_arrivals then reads back,
 * from the listeners' files, which recipients of the message with a
 * given tag reached which listener.
 *
 * Postfix needs root to start (the postfix user and the postdrop group
 * must exist, as the postfix package makes them); mta_start fails
 * otherwise and says so. Tests run from the top of the source tree.
 *
 * Ownership: a struct mta is the caller's (usually a static in the test
 * file); every string in it is owned by it and valid until mta_cleanup.
 * Start from a zeroed struct; mta_cleanup stops Postfix and the
 * listeners, removes the directory, frees everything and zeroes the
 * struct again, and is safe on a zeroed or half-started struct; call it
 * in the process that called mta_init (a forked test that inherited the
 * struct only uses it). Calls that can fail return 0 or -1 and leave
 * what went wrong (the command's output, the SMTP transcript, the end
 * of Postfix's log) in output.
 *
 * A fixture whose teardown calls mta_cleanup stops everything after a
 * failed assertion too. As a last resort, a watcher process started by
 * mta_init stops Postfix and the listeners once the process that
 * called mta_init is gone, so a crashed test leaves nothing running
 * (its directory stays, with the watcher's log in DIR/watcher.log).
 */
#ifndef SPLITSYNC_TESTS_MTA_H
#define SPLITSYNC_TESTS_MTA_H

#include <stddef.h>
#include <sys/types.h>

enum mta_sink_id {
	MTA_LOCAL,
	MTA_LEGACY,
	MTA_OTHER,
	MTA_UNROUTED,
	MTA_NSINKS
};

struct mta_sink {
	int port;               /* on 127.0.0.1 */
	int lmtp;               /* speaks LMTP, not SMTP */
	char *dump;             /* one file per transaction it accepted */
	char *log;              /* its stdout and stderr */
	pid_t pid;
};

struct mta {
	char *dir;              /* everything lives here (DIR) */
	char *conf_dir;         /* main.cf, master.cf: postfix -c conf_dir */
	char *queue_dir;
	char *tables;           /* $mta_tables: loaded tables, postmapped */
	char *log_file;         /* Postfix's log (maillog_file) */
	int port;               /* smtpd, on 127.0.0.1; 0 until started */
	struct mta_sink sink[MTA_NSINKS];
	pid_t owner;            /* the process that called mta_init */
	pid_t watcher;
	char *output;           /* what the last failing call left */
	int running;            /* Postfix was started */
};

/* One recipient seen by a listener: the RCPT TO address and the
 * original recipient Postfix passed along (ORCPT), "" when none. */
struct mta_arrival {
	enum mta_sink_id sink;
	char *rcpt;
	char *orcpt;
};

/* The BlueMind layout, as the README tells to configure it. */
#define MTA_MAPS_BLUEMIND \
	"virtual_mailbox_domains = hash:$mta_tables/virtual_domains\n" \
	"virtual_mailbox_maps = hash:$mta_tables/virtual_mailbox\n" \
	"virtual_alias_maps = hash:$mta_tables/virtual_alias\n" \
	"transport_maps = hash:$mta_tables/transport, " \
	"hash:$mta_tables/master_relay_transport\n"

/* The gateway layout: an MX in front of both systems. */
#define MTA_MAPS_GATEWAY \
	"relay_domains = hash:$mta_tables/relay_domains\n" \
	"relay_recipient_maps = hash:$mta_tables/relay_recipients\n" \
	"transport_maps = hash:$mta_tables/transport\n"

/* mta_init - new directory, the three listeners, the watcher */
int mta_init(struct mta *m);
/* mta_load_tables - each table (NULL-terminated names) of branch in the
 * git repository repo into m->tables, then postmap */
int mta_load_tables(struct mta *m, const char *repo, const char *branch,
    const char *const *names);
/* mta_start - write main.cf (with the layout's lines maps) and
 * master.cf, start Postfix; its smtpd port is in m->port */
int mta_start(struct mta *m, const char *maps);
/* mta_send - one message from tester@sender.test to n recipients,
 * tagged tag; codes[i] gets the RCPT TO reply code of rcpts[i]. The
 * message is sent when one recipient at least is accepted. The SMTP
 * transcript is left in m->output either way; -1 on a connection or
 * protocol failure. */
int mta_send(struct mta *m, const char *tag, const char *const *rcpts,
    size_t n, int *codes);
/* mta_settle - wait until the queue is empty, at most timeout_ms */
int mta_settle(struct mta *m, int timeout_ms);
/* mta_arrivals - what the listeners received of the message tagged tag
 * (*out is the caller's: mta_arrivals_free) */
int mta_arrivals(struct mta *m, const char *tag, struct mta_arrival **out,
    size_t *n);
void mta_arrivals_free(struct mta_arrival *a, size_t n);
/* mta_sink_name - "local", "legacy", "other", "unrouted" */
const char *mta_sink_name(enum mta_sink_id id);
/* mta_log_tail - the last lines of Postfix's log (free()) */
char *mta_log_tail(const struct mta *m, int lines);
/* mta_stop - stop Postfix (the listeners keep running) */
int mta_stop(struct mta *m);
/* mta_cleanup - stop everything, remove the directory, free, zero */
void mta_cleanup(struct mta *m);

#endif
