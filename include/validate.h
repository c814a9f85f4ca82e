/*
 * validate - syntax checks for everything that reaches a table
 *
 * Pure functions: each returns 0 when the value is acceptable, or
 * ERR_INVAL with a short reason in why (why may be NULL).
 */
#ifndef SPLITSYNC_VALIDATE_H
#define SPLITSYNC_VALIDATE_H

#include <stddef.h>

/* validate_domain - a DNS host name: LDH labels of 1..63 bytes, at least
 * two labels, 253 bytes at most, lowercase only */
int validate_domain(const char *s, size_t len, const char **why);
/* validate_address - local@domain, lowercase: a dot-atom local part of
 * at most 64 bytes (quoted local parts are refused: no table can key
 * them safely) and a valid domain */
int validate_address(const char *s, size_t len, const char **why);
/* validate_nexthop - "transport:host[:port]" where transport is one of
 * the allowed ones, host is a domain name, "[name]", "[ipv4]" or
 * "[ipv6:addr]" and port a number 1..65535 */
int validate_nexthop(const char *s, const char *const *transports,
    size_t ntransports, const char **why);

#endif
