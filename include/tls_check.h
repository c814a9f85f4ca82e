/*
 * tls_check - why a server certificate was refused, in words
 *
 * libldap says little when a TLS handshake fails on the certificate
 * (built with GnuTLS: "Can't contact LDAP server", "(unknown error
 * code)"). After such a failure, tls_check_refusal connects once more
 * without verification, takes the certificate the server sends and
 * judges it the way verification does: is it issued for the host of
 * the URI, and is it signed by a CA of the configured file (or of the
 * system store)? GnuTLS does the judging, whichever TLS library libldap
 * was built with.
 */
#ifndef SPLITSYNC_TLS_CHECK_H
#define SPLITSYNC_TLS_CHECK_H

#include <stddef.h>

/* tls_check_refusal - the certificate of the server at uri (StartTLS
 * first when starttls), judged against ca_file (NULL: the system
 * store). 1 with the reason in why ("not issued for 127.0.0.1 (it
 * names ldap.example.com)", "not trusted by CA file F: The certificate
 * issuer is unknown."); 0 when the certificate is not the reason, or
 * the server cannot be reached even without verification (why
 * untouched); ERR_NOMEM. network_timeout in seconds bounds the probe.
 * The connection made is anonymous: nothing is bound, nothing sent but
 * the StartTLS request. */
int tls_check_refusal(const char *uri, int starttls, const char *ca_file,
    int network_timeout, char *why, size_t size);

#endif
