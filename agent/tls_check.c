/*
 * tls_check - why a server certificate was refused, in words
 *
 * DESCRIPTION
 *	The probe is a new handle on the same URI with certificate
 *	verification set to "allow" (libldap then neither fails the
 *	handshake on the certificate nor checks the host name), so the
 *	handshake completes and LDAP_OPT_X_TLS_PEERCERT hands over the
 *	server's certificate. GnuTLS then checks what libldap checks: the
 *	host name (or IP address) of the URI against the certificate's
 *	subject alternative names (its common name when it has none), and
 *	the certificate against the trusted CAs.
 *
 *	Only the server's own certificate is available, not the
 *	intermediates it may send: a certificate signed by an intermediate
 *	CA can look untrusted here when libldap refused it for another
 *	reason. The host name is checked first, so a wrong name is
 *	reported whatever the chain.
 *
 * DIAGNOSTICS
 *	None of its own: the reason goes to the caller's buffer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ldap.h>

#include "buf.h"
#include "errors.h"
#include "tls_check.h"

#define NAMES_MAX 8             /* names listed in a message */

/* peer_certificate - the DER certificate the server at uri sends, read
 * with verification off; 0 with *der (ber_memfree) or -1 */
static int
peer_certificate(const char *uri, int starttls, int network_timeout,
    struct berval *der)
{
	struct timeval tv = { network_timeout > 0 ? network_timeout : 10, 0 };
	int version = LDAP_VERSION3, allow = LDAP_OPT_X_TLS_ALLOW, zero = 0;
	int rc = -1;
	LDAP *ld = NULL;

	der->bv_val = NULL;
	der->bv_len = 0;
	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		return -1;
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &allow) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) !=
	    LDAP_OPT_SUCCESS)
		goto out;
	if ((starttls ? ldap_start_tls_s(ld, NULL, NULL) : ldap_connect(ld)) !=
	    LDAP_SUCCESS)
		goto out;
	if (ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, der) !=
	    LDAP_OPT_SUCCESS || der->bv_val == NULL)
		goto out;
	rc = 0;
out:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* list_names - the DNS names and addresses the certificate is issued
 * for, comma separated, into out; its common name when it has none */
static int
list_names(gnutls_x509_crt_t crt, struct buf *out)
{
	char name[256], ip[INET6_ADDRSTRLEN];
	unsigned seq;
	size_t size;
	int type, rc = 0, n = 0;

	for (seq = 0; rc == 0 && n < NAMES_MAX; seq++) {
		size = sizeof name - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name,
		    &size, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			name[size] = '\0';
			rc = buf_printf(out, "%s%s", n++ ? ", " : "", name);
		} else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 ||
		    size == 16) && inet_ntop(size == 4 ? AF_INET : AF_INET6,
		    name, ip, sizeof ip) != NULL) {
			rc = buf_printf(out, "%s%s", n++ ? ", " : "", ip);
		}
	}
	if (rc == 0 && n == 0) {
		size = sizeof name;
		if (gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size) == 0)
			rc = buf_puts(out, name);
		else
			rc = buf_puts(out, "no name");
	}
	return rc;
}

/* name_matches - whether the certificate is issued for host (a name,
 * or an IPv4 or IPv6 address, with or without brackets) */
static int
name_matches(gnutls_x509_crt_t crt, const char *host)
{
	unsigned char addr[16];
	char plain[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']' &&
	    len - 2 < sizeof plain) {
		memcpy(plain, host + 1, len - 2);
		plain[len - 2] = '\0';
		host = plain;
	}
	if (inet_pton(AF_INET, host, addr) == 1)
		return gnutls_x509_crt_check_ip(crt, addr, 4, 0) != 0;
	if (inet_pton(AF_INET6, host, addr) == 1)
		return gnutls_x509_crt_check_ip(crt, addr, 16, 0) != 0;
	return gnutls_x509_crt_check_hostname2(crt, host, 0) != 0;
}

/* trust_status - verify crt against the CAs; 0 with *status (0: trusted)
 * or a GnuTLS error (the CAs cannot be loaded) */
static int
trust_status(gnutls_x509_crt_t crt, const char *ca_file, unsigned *status)
{
	gnutls_x509_trust_list_t tl = NULL;
	int rc;

	*status = 0;
	rc = gnutls_x509_trust_list_init(&tl, 0);
	if (rc < 0)
		return rc;
	if (ca_file != NULL)
		rc = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
	else
		rc = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (rc >= 0)
		rc = gnutls_x509_trust_list_verify_crt2(tl, &crt, 1, NULL, 0,
		    0, status, NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
	return rc < 0 ? rc : 0;
}

/* tls_check_refusal - judge the server's certificate */
int
tls_check_refusal(const char *uri, int starttls, const char *ca_file,
    int network_timeout, char *why, size_t size)
{
	struct berval der = { 0, NULL };
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dat, text = { NULL, 0 };
	LDAPURLDesc *lud = NULL;
	struct buf names = BUF_INIT;
	const char *host;
	unsigned status = 0;
	int rc = 0;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		goto out;
	host = lud->lud_host && *lud->lud_host ? lud->lud_host : "localhost";
	if (peer_certificate(uri, starttls, network_timeout, &der) < 0)
		goto out;
	dat.data = (unsigned char *)der.bv_val;
	dat.size = (unsigned)der.bv_len;
	if (gnutls_x509_crt_init(&crt) < 0) {
		crt = NULL;
		rc = ERR_NOMEM;
		goto out;
	}
	if (gnutls_x509_crt_import(crt, &dat, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	if (!name_matches(crt, host)) {
		rc = list_names(crt, &names);
		if (rc < 0)
			goto out;
		snprintf(why, size, "it is not issued for %s (it names %s)",
		    host, names.data ? names.data : "nothing");
		rc = 1;
		goto out;
	}
	if (trust_status(crt, ca_file, &status) < 0) {
		snprintf(why, size, "it cannot be checked against %s%s",
		    ca_file ? "CA file " : "the system CA store",
		    ca_file ? ca_file : "");
		rc = 1;
		goto out;
	}
	if (status == 0)
		goto out;
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &text, 0) < 0)
		text.data = NULL;
	snprintf(why, size, "it is not trusted by %s%s: %s",
	    ca_file ? "CA file " : "the system CA store",
	    ca_file ? ca_file : "", text.data ? (char *)text.data :
	    "verification failed");
	rc = 1;
out:
	if (text.data != NULL)
		gnutls_free(text.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (der.bv_val != NULL)
		ber_memfree(der.bv_val);
	if (lud != NULL)
		ldap_free_urldesc(lud);
	buf_free(&names);
	return rc;
}
