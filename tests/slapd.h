/*
 * slapd - a private slapd for the Check suites (tests/slapd/slapd-ctl)
 *
 * slapd_start makes a new directory with testlib_tmpdir() and runs
 * slapd there: an empty mdb database for dc=example,dc=com with the
 * schemas, overlays and listeners that tests/slapd/slapd-ctl describes.
 * Load SLAPD_BASE_LDIF for the usual tree. Tests run from the top of
 * the source tree.
 *
 * Ownership: a struct slapd is the caller's (usually a static in the
 * test file); every string in it is owned by it and valid until
 * slapd_cleanup. Start from a zeroed struct; slapd_cleanup stops the
 * server, removes the directory, frees the strings and zeroes the
 * struct again, and is safe on a zeroed or failed struct. Every call
 * that can fail returns 0 or -1 and keeps the output of the command it
 * ran (slapd's log included when start fails) in output, for the
 * failure message:
 *
 *	static struct slapd sd;
 *	ck_assert_msg(slapd_start(&sd, NULL) == 0, "%s", sd.output);
 *	...
 *	slapd_cleanup(&sd);
 *
 * A server is never left running by a start that failed; one that
 * started is stopped by slapd_stop or slapd_cleanup, so use a fixture
 * (checked or unchecked) whose teardown calls slapd_cleanup. As a last
 * resort it stops by itself when the process that started it exits
 * (slapd-ctl --owner), so a crashed test leaves no server behind (its
 * directory stays).
 */
#ifndef SPLITSYNC_TESTS_SLAPD_H
#define SPLITSYNC_TESTS_SLAPD_H

#define SLAPD_CTL "tests/slapd/slapd-ctl"
#define SLAPD_BASE_LDIF "tests/slapd/base.ldif"

struct slapd {
	char *dir;              /* the server's directory (DIR) */
	char *ldapi_uri;        /* ldapi://, SASL EXTERNAL is allowed */
	char *ldap_uri;         /* ldap://127.0.0.1:port, StartTLS works */
	char *ldaps_uri;        /* ldaps://127.0.0.1:tls_port */
	int port;
	int tls_port;
	char *ca_file;          /* the test CA that signed the server's cert */
	char *base;             /* dc=example,dc=com */
	char *root_dn;          /* rootdn, no limits, no access control */
	char *root_pw;
	char *reader_dn;        /* in SLAPD_BASE_LDIF, reads all but passwords */
	char *reader_pw;
	char *external_dn;      /* the SASL EXTERNAL identity over ldapi */
	char *log_file;         /* slapd's log (-d stats) */
	char *output;           /* output of the last slapd-ctl command */
	int running;
};

/* slapd_start - new directory, start slapd, read DIR/env back. options
 * are slapd-ctl start options ("--sizelimit 3") or NULL; they are passed
 * to the shell as they are. */
int slapd_start(struct slapd *s, const char *options);
/* slapd_load - add the entries of an LDIF file (ldapadd, EXTERNAL) */
int slapd_load(struct slapd *s, const char *ldif_path);
/* slapd_modify - apply LDIF change records given as text (ldapmodify:
 * each record names its changetype) */
int slapd_modify(struct slapd *s, const char *ldif_text);
/* slapd_stop - stop the server, keep the directory (its log stays) */
int slapd_stop(struct slapd *s);
/* slapd_restart - start a stopped server again on its database (same
 * ldapi URI; the TCP ports and their URIs change) */
int slapd_restart(struct slapd *s);
/* slapd_cleanup - stop if running, remove the directory, free, zero */
void slapd_cleanup(struct slapd *s);

#endif
