/*
 * ldap_source - the LDAP directory source
 *
 * DESCRIPTION
 *	ldap_source_open tries the configured URIs in order. Each gets its
 *	own handle: LDAPv3, referrals off, the network timeout for connect,
 *	the operation timeout for every synchronous call, and, when TLS is
 *	used (ldaps://, or StartTLS on ldap://), certificate verification
 *	(demand unless tls_verify is 0) and ca_file set on the handle with
 *	a new TLS context so they take effect. StartTLS, when asked, is
 *	required: a failure never falls back to clear text. The bind is
 *	simple (password file), SASL EXTERNAL, or anonymous; an explicit
 *	bind is always sent, so open fails when the server is down.
 *
 *	The searches are ldap_search.c's, the decoding of their entries
 *	ldap_entry.c's (ldap_source_int.h).
 *
 * DIAGNOSTICS
 *	Messages read "ldap_source: object: what failed: why".
 *	ERR_CONFIG: the settings cannot work (no URI, a bad URI, an unsafe
 *	password file, a CA file that is not a regular file or that TLS
 *	cannot load). ERR_NOINPUT: the password or CA file is missing or
 *	unreadable (file.h checks both before any connection).
 *	ERR_AUTH: the server refused the credentials; not retried on other
 *	URIs. ERR_UNAVAIL: no URI could be reached ("URI: cannot connect"
 *	for each; "TLS: server certificate refused: why" when tls_check
 *	finds the certificate at fault).
 *	When a later URI works, the earlier failures are warnings.
 *	The password is never part of a message and is wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "file.h"
#include "ldap_source.h"
#include "ldap_source_int.h"
#include "tls_check.h"

#define DEFAULT_NETWORK_TIMEOUT 10      /* seconds */
#define DEFAULT_TIMEOUT 60              /* seconds, per operation */
#define DEFAULT_PAGE_SIZE 500
#define PASSWORD_MAX 1024               /* longest first line accepted */
#define READAHEAD_SIZE 65536            /* bytes a read asks at most */

/* ldap_source_describe - "error text (server's message)" for rc on ld */
void
ldap_source_describe(LDAP *ld, int rc, char *out, size_t size)
{
	char *msg = NULL;

	if (ld != NULL &&
	    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) !=
	    LDAP_OPT_SUCCESS)
		msg = NULL;
	if (msg != NULL && *msg != '\0')
		snprintf(out, size, "%s (%s)", ldap_err2string(rc), msg);
	else
		snprintf(out, size, "%s", ldap_err2string(rc));
	if (msg != NULL)
		ldap_memfree(msg);
}

/* read_password - first line of the password file into buf, checked
 * on the open descriptor (file_open_named, FILE_SECRET): no link, a
 * regular file owned by root or by us that group and others cannot
 * access, in a directory they cannot write. buf holds PASSWORD_MAX + 2
 * bytes. */
static int
read_password(const char *path, char *buf, size_t *len, struct diag *d)
{
	const size_t size = PASSWORD_MAX + 2;
	size_t have = 0, line, filesize;
	ssize_t n;
	char *nl = NULL;
	int fd, rc;

	rc = file_open_named(path, "password file", FILE_MAX_SECRET,
	    FILE_SECRET, &fd, &filesize, d);
	if (rc < 0)
		goto out;
	rc = ERR_CONFIG;
	while (have < size - 1 && nl == NULL) {
		n = read(fd, buf + have, size - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_error(d, NULL, "ldap_source: %s: cannot read the "
			    "password file: %s", path, strerror(errno));
			rc = ERR_NOINPUT;
			goto out;
		}
		if (n == 0)
			break;
		nl = memchr(buf + have, '\n', (size_t)n);
		have += (size_t)n;
	}
	line = nl ? (size_t)(nl - buf) : have;
	if (line > PASSWORD_MAX) {
		diag_error(d, NULL, "ldap_source: %s: password is longer than "
		    "%d bytes", path, PASSWORD_MAX);
		goto out;
	}
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	if (line == 0) {
		/* an empty simple bind password is an anonymous bind */
		diag_error(d, NULL, "ldap_source: %s: password file is empty",
		    path);
		goto out;
	}
	if (memchr(buf, '\0', line) != NULL) {
		diag_error(d, NULL, "ldap_source: %s: password holds a NUL "
		    "byte", path);
		goto out;
	}
	*len = line;
	rc = 0;
out:
	/* only the password itself is kept, and only on success */
	if (rc == 0)
		explicit_bzero(buf + *len, size - *len);
	else
		explicit_bzero(buf, size);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* check_config - what open needs, before any connection is tried */
static int
check_config(const struct config_ldap *cfg, struct diag *d)
{
	size_t i;

	if (cfg->uris == NULL || cfg->nuris == 0) {
		diag_error(d, NULL, "ldap_source: no URI configured");
		return ERR_CONFIG;
	}
	for (i = 0; i < cfg->nuris; i++) {
		/* libldap would read a list here: one URI per entry */
		if (cfg->uris[i] == NULL || *cfg->uris[i] == '\0' ||
		    strpbrk(cfg->uris[i], " \t\r\n,") != NULL) {
			diag_error(d, NULL, "ldap_source: URI %zu is empty or "
			    "holds a separator", i + 1);
			return ERR_CONFIG;
		}
	}
	if (cfg->base == NULL) {
		diag_error(d, NULL, "ldap_source: no search base configured");
		return ERR_CONFIG;
	}
	if (cfg->sasl_mech != NULL &&
	    strcasecmp(cfg->sasl_mech, "EXTERNAL") != 0) {
		diag_error(d, NULL, "ldap_source: SASL mechanism %s is not "
		    "supported (only EXTERNAL)", cfg->sasl_mech);
		return ERR_CONFIG;
	}
	if (cfg->sasl_mech != NULL && cfg->bind_dn != NULL) {
		diag_error(d, NULL, "ldap_source: bind_dn and sasl_mech "
		    "exclude each other");
		return ERR_CONFIG;
	}
	if ((cfg->bind_dn == NULL) != (cfg->password_file == NULL)) {
		diag_error(d, NULL, "ldap_source: bind_dn and password_file "
		    "go together");
		return ERR_CONFIG;
	}
	if (cfg->network_timeout < 0 || cfg->timeout < 0 ||
	    cfg->page_size < 0) {
		diag_error(d, NULL, "ldap_source: negative timeout or page "
		    "size");
		return ERR_CONFIG;
	}
	/* libldap reads the CA file late and blocking: a FIFO would hang
	 * the TLS setup. Only a regular file is handed on. */
	if (cfg->ca_file != NULL) {
		int fd, rc;
		size_t size;

		rc = file_open_named(cfg->ca_file, "CA file", FILE_MAX_CA, 0,
		    &fd, &size, d);
		if (rc < 0)
			return rc;
		close(fd);
	}
	return 0;
}

/* set_options - protocol, timeouts, referrals and TLS on one handle */
static int
set_options(LDAP *ld, const struct config_ldap *cfg, int use_tls,
    const char *uri, struct diag *d)
{
	struct timeval ntv = { cfg->network_timeout, 0 };
	struct timeval otv = { cfg->timeout, 0 };
	int version = LDAP_VERSION3, require, zero = 0, lrc;
	char why[512];

	if (ntv.tv_sec == 0)
		ntv.tv_sec = DEFAULT_NETWORK_TIMEOUT;
	if (otv.tv_sec == 0)
		otv.tv_sec = DEFAULT_TIMEOUT;
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &ntv) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &otv) !=
	    LDAP_OPT_SUCCESS) {
		diag_error(d, NULL, "ldap_source: %s: cannot set connection "
		    "options", uri);
		return ERR_CONFIG;
	}
	if (!use_tls)
		return 0;
	require = cfg->tls_verify ? LDAP_OPT_X_TLS_DEMAND :
	    LDAP_OPT_X_TLS_NEVER;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) !=
	    LDAP_OPT_SUCCESS ||
	    (cfg->ca_file != NULL &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file) !=
	    LDAP_OPT_SUCCESS)) {
		diag_error(d, NULL, "ldap_source: %s: cannot set TLS options",
		    uri);
		return ERR_CONFIG;
	}
	/* the options above apply only to a context made after them */
	lrc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (lrc != LDAP_OPT_SUCCESS) {
		ldap_source_describe(ld, lrc, why, sizeof why);
		diag_error(d, NULL, "ldap_source: %s: cannot set up TLS%s%s: "
		    "%s", uri, cfg->ca_file ? " with CA file " : "",
		    cfg->ca_file ? cfg->ca_file : "", why);
		return ERR_CONFIG;
	}
	return 0;
}

/* refused - bind results that another URI or a later try won't change */
static int
refused(int lrc)
{
	switch (lrc) {
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_AUTH_METHOD_NOT_SUPPORTED:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_SASL_BIND_IN_PROGRESS:
		return 1;
	}
	return 0;
}

/* do_bind - simple, SASL EXTERNAL or anonymous bind */
static int
do_bind(LDAP *ld, const struct config_ldap *cfg, const char *uri,
    const struct berval *pw, char *why, size_t size, struct diag *d)
{
	struct berval empty = { 0, (char *)"" };
	const char *how;
	int lrc;

	if (cfg->sasl_mech != NULL) {
		/* an empty initial response (no authzid) completes the
		 * exchange in one step; none at all would ask for a second */
		how = "SASL EXTERNAL bind";
		lrc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL,
		    NULL, NULL);
	} else if (cfg->bind_dn != NULL) {
		how = "simple bind";
		lrc = ldap_sasl_bind_s(ld, cfg->bind_dn, LDAP_SASL_SIMPLE,
		    (struct berval *)pw, NULL, NULL, NULL);
	} else {
		how = "anonymous bind";
		lrc = ldap_sasl_bind_s(ld, "", LDAP_SASL_SIMPLE, &empty, NULL,
		    NULL, NULL);
	}
	if (lrc == LDAP_SUCCESS)
		return 0;
	ldap_source_describe(ld, lrc, why, size);
	if (lrc == LDAP_NO_MEMORY)
		return ERR_NOMEM;
	if (refused(lrc)) {
		diag_error(d, NULL, "ldap_source: %s: %s%s%s refused: %s", uri,
		    how, cfg->bind_dn ? " as " : "",
		    cfg->bind_dn ? cfg->bind_dn : "", why);
		return ERR_AUTH;
	}
	return ERR_UNAVAIL;
}

/* explain_tls - when the TLS layer failed the handshake (libldap then
 * leaves a diagnostic; a refused or timed out connection leaves none)
 * with verification on, ask tls_check whether the certificate was the
 * reason and say so in why, with libldap's own words in detail */
static void
explain_tls(LDAP *ld, const struct config_ldap *cfg, const char *uri,
    int starttls, const char *detail, char *why, size_t size)
{
	char reason[384], *msg = NULL;
	int code = 0, tls_failed;

	if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) !=
	    LDAP_OPT_SUCCESS)
		msg = NULL;
	tls_failed = msg != NULL && *msg != '\0' &&
	    (code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR);
	if (msg != NULL)
		ldap_memfree(msg);
	if (!tls_failed)
		return;
	if (cfg->tls_verify && tls_check_refusal(uri, starttls, cfg->ca_file,
	    cfg->network_timeout, reason, sizeof reason) == 1)
		snprintf(why, size, "TLS: server certificate refused: %s "
		    "(libldap: %s)", reason, detail);
	else
		snprintf(why, size, "TLS handshake failed: %s", detail);
}

/* connect_uri - one URI: handle, options, StartTLS, bind. ERR_UNAVAIL
 * leaves the reason in why for the caller; other errors are recorded. */
static int
connect_uri(const struct config_ldap *cfg, const char *uri,
    const struct berval *pw, LDAP **out, char *why, size_t size,
    struct diag *d)
{
	LDAP *ld = NULL;
	int lrc, rc, ldaps, starttls;

	*out = NULL;
	ldaps = strncasecmp(uri, "ldaps://", 8) == 0;
	starttls = cfg->starttls && strncasecmp(uri, "ldap://", 7) == 0;
	lrc = ldap_initialize(&ld, uri);
	if (lrc != LDAP_SUCCESS) {
		diag_error(d, NULL, "ldap_source: %s: invalid URI: %s", uri,
		    ldap_err2string(lrc));
		rc = lrc == LDAP_NO_MEMORY ? ERR_NOMEM : ERR_CONFIG;
		goto out;
	}
	rc = set_options(ld, cfg, ldaps || starttls, uri, d);
	if (rc < 0)
		goto out;
	if (starttls) {
		lrc = ldap_start_tls_s(ld, NULL, NULL);
		if (lrc != LDAP_SUCCESS) {
			char detail[384];

			ldap_source_describe(ld, lrc, detail, sizeof detail);
			snprintf(why, size, "StartTLS failed: %s", detail);
			rc = lrc == LDAP_NO_MEMORY ? ERR_NOMEM : ERR_UNAVAIL;
			if (rc == ERR_UNAVAIL)
				explain_tls(ld, cfg, uri, 1, detail, why, size);
			goto out;
		}
	}
	rc = do_bind(ld, cfg, uri, pw, why, size, d);
	if (rc == ERR_UNAVAIL && ldaps) {
		char detail[512];

		/* the handshake of ldaps:// happens with the bind */
		snprintf(detail, sizeof detail, "%s", why);
		explain_tls(ld, cfg, uri, 0, detail, why, size);
	}
	if (rc < 0)
		goto out;
	*out = ld;
	ld = NULL;
out:
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* bound_identity - who the server takes us for (WhoAmI, RFC 4532),
 * else what the configuration says; malloc'd, NULL on ENOMEM */
static char *
bound_identity(LDAP *ld, const struct config_ldap *cfg)
{
	struct berval *authzid = NULL;
	char *id = NULL;

	if (ldap_whoami_s(ld, &authzid, NULL, NULL) == LDAP_SUCCESS &&
	    authzid != NULL) {
		if (authzid->bv_len == 0)
			id = strdup("anonymous");
		else if (authzid->bv_len > 3 &&
		    strncmp(authzid->bv_val, "dn:", 3) == 0)
			id = strndup(authzid->bv_val + 3, authzid->bv_len - 3);
		else
			id = strndup(authzid->bv_val, authzid->bv_len);
	} else if (cfg->bind_dn != NULL) {
		id = strdup(cfg->bind_dn);
	} else {
		id = strdup(cfg->sasl_mech ? "the SASL EXTERNAL identity" :
		    "anonymous");
	}
	if (authzid != NULL)
		ber_bvfree(authzid);
	return id;
}

/* how_bound - the bind and the protection of a connection, for the log */
static void
how_bound(const struct config_ldap *cfg, const char *uri, char *out,
    size_t size)
{
	const char *tls = "no TLS";

	if (strncasecmp(uri, "ldaps://", 8) == 0)
		tls = "TLS";
	else if (strncasecmp(uri, "ldapi://", 8) == 0)
		tls = "local socket";
	else if (cfg->starttls)
		tls = "StartTLS";
	snprintf(out, size, "%s, %s", cfg->sasl_mech ? "SASL EXTERNAL" :
	    cfg->bind_dn ? "simple bind" : "anonymous bind", tls);
}

/* read_ahead - read the connection in large chunks (liblber's own
 * readahead layer, which libldap uses for UDP): without it every
 * message costs a read of its header, one of its body and a poll; a
 * failure leaves reads as they were */
static void
read_ahead(LDAP *ld)
{
	Sockbuf *sb = NULL;
	int size = READAHEAD_SIZE;

	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) == LDAP_OPT_SUCCESS &&
	    sb != NULL)
		(void)ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead,
		    LBER_SBIOD_LEVEL_PROVIDER, &size);
}

/* ldap_source_open - connect and bind to the first URI that answers */
int
ldap_source_open(const struct config_ldap *cfg, struct ldap_source **out,
    struct diag *d)
{
	char pwbuf[PASSWORD_MAX + 2];
	struct berval pw = { 0, pwbuf };
	struct ldap_source *s = NULL;
	char **why = NULL;
	size_t i, tried = 0, pwlen = 0;
	LDAP *ld = NULL;
	int rc;

	*out = NULL;
	explicit_bzero(pwbuf, sizeof pwbuf);
	rc = check_config(cfg, d);
	if (rc < 0)
		goto out;
	if (cfg->bind_dn != NULL) {
		rc = read_password(cfg->password_file, pwbuf, &pwlen, d);
		if (rc < 0)
			goto out;
		pw.bv_len = pwlen;
	}
	why = calloc(cfg->nuris, sizeof *why);
	if (why == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = ERR_UNAVAIL;
	for (i = 0; i < cfg->nuris && rc == ERR_UNAVAIL; i++) {
		char reason[512] = "";

		diag_log(d, LOG_LEVEL_DEBUG, "ldap_source: %s: connecting "
		    "(network timeout %d s)", cfg->uris[i],
		    cfg->network_timeout ? cfg->network_timeout :
		    DEFAULT_NETWORK_TIMEOUT);
		rc = connect_uri(cfg, cfg->uris[i], &pw, &ld, reason,
		    sizeof reason, d);
		if (rc == ERR_UNAVAIL) {
			why[tried] = strdup(reason);
			if (why[tried++] == NULL)
				rc = ERR_NOMEM;
		}
	}
	/* unreachable URIs are the error only when that is the outcome;
	 * otherwise they are warnings and the real error stays the last */
	for (i = 0; i < tried && rc != ERR_NOMEM; i++)
		diag_add(d, rc == ERR_UNAVAIL ? DIAG_ERROR : DIAG_WARNING,
		    DIAG_GENERAL, NULL, "ldap_source: %s: cannot connect: %s",
		    cfg->uris[i], why[i]);
	if (rc < 0)
		goto out;
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	s->ld = ld;
	ld = NULL;
	s->uri = strdup(cfg->uris[tried]);
	s->base = strdup(cfg->base);
	s->identity = bound_identity(s->ld, cfg);
	read_ahead(s->ld);
	s->timeout = cfg->timeout ? cfg->timeout : DEFAULT_TIMEOUT;
	s->page_size = cfg->page_size ? cfg->page_size : DEFAULT_PAGE_SIZE;
	if (s->uri == NULL || s->base == NULL || s->identity == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	{
		char how[128];

		/* the identity as the server sees it; never the password */
		how_bound(cfg, s->uri, how, sizeof how);
		diag_log(d, LOG_LEVEL_INFO, "ldap_source: %s: connected, bound "
		    "as %s (%s)", s->uri, s->identity, how);
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	explicit_bzero(pwbuf, sizeof pwbuf);
	if (why != NULL)
		for (i = 0; i < tried; i++)
			free(why[i]);
	free(why);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	ldap_source_close(s);
	return rc;
}

/* ldap_source_close - unbind and free */
void
ldap_source_close(struct ldap_source *s)
{
	if (s == NULL)
		return;
	if (s->ld != NULL)
		ldap_unbind_ext_s(s->ld, NULL, NULL);
	free(s->uri);
	free(s->base);
	free(s->identity);
	free(s);
}

/* ldap_source_uri - the URI of the current connection */
const char *
ldap_source_uri(const struct ldap_source *s)
{
	return s->uri;
}

/* ldap_source_identity - who the connection is bound as */
const char *
ldap_source_identity(const struct ldap_source *s)
{
	return s->identity;
}

/* ldap_source_base - the configured search base */
const char *
ldap_source_base(const struct ldap_source *s)
{
	return s->base;
}

/* ldap_source_ldap - the connection's handle, borrowed */
LDAP *
ldap_source_ldap(struct ldap_source *s)
{
	return s->ld;
}

/* ldap_source_attr_list - the attributes asked, for the log */
void
ldap_source_attr_list(const char *const *attrs, char *out, size_t size)
{
	size_t i, len = 0;
	int n;

	out[0] = '\0';
	for (i = 0; attrs != NULL && attrs[i] != NULL && len < size; i++) {
		n = snprintf(out + len, size - len, "%s%s", i ? " " : "",
		    attrs[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}
