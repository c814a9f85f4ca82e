/*
 * config_int - what config.c and config_value.c share: the checks of
 * single values (ERR_INVAL with a constant reason in *why)
 */
#ifndef SPLITSYNC_CONFIG_INT_H
#define SPLITSYNC_CONFIG_INT_H

#include <stddef.h>

/* config_has_prefix_ci - s starts with prefix, ASCII case ignored */
int config_has_prefix_ci(const char *s, const char *prefix);
/* config_all_digits - non-empty, 0..9 only */
int config_all_digits(const char *s, size_t len);
/* config_check_dn - RFC 4514 syntax, as libldap parses it */
int config_check_dn(const char *value, const char **why);
/* config_check_uri - ldap://, ldaps:// or ldapi:// naming a server,
 * nothing more */
int config_check_uri(const char *value, const char **why);
/* config_check_branch - a short branch name, by libgit2's own rule
 * (that of git check-ref-format --branch); "refs/..." would name
 * another ref */
int config_check_branch(const char *value, const char **why);
/* config_check_author_name - git refuses angle brackets in a signature */
int config_check_author_name(const char *value, const char **why);
/* config_check_author_email - local@domain, no white space or angle
 * brackets */
int config_check_author_email(const char *value, const char **why);
/* config_check_transport - a master.cf service name fit for a table */
int config_check_transport(const char *value, const char **why);
/* config_check_remote - a git remote URL: file://, ssh://, http(s)://,
 * git://, an absolute path, or scp-like user@host:path */
int config_check_remote(const char *value, const char **why);

#endif
