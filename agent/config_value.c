/*
 * config_value - the checks of single setting values
 *
 * DESCRIPTION
 *	Each check says whether one value is acceptable for its setting
 *	and, when not, why in *why (a constant string); config.c's
 *	settings table names the check of each setting.
 *
 * DIAGNOSTICS
 *	ERR_INVAL with *why set; nothing is recorded here.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <git2.h>
#include <ldap.h>

#include "config_int.h"
#include "errors.h"

/* config_has_prefix_ci - s starts with prefix, ASCII case ignored */
int
config_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* config_all_digits - non-empty, 0..9 only */
int
config_all_digits(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* config_check_dn - RFC 4514 syntax, as libldap parses it */
int
config_check_dn(const char *value, const char **why)
{
	LDAPDN dn = NULL;
	int rc;

	rc = ldap_str2dn(value, &dn, LDAP_DN_FORMAT_LDAPV3);
	if (dn)
		ldap_dnfree(dn);
	if (rc != LDAP_SUCCESS) {
		*why = "invalid DN syntax";
		return ERR_INVAL;
	}
	return 0;
}

/* check_port - decimal 1..65535 */
static int
check_port(const char *s, size_t len)
{
	char digits[8];
	long v;

	if (!config_all_digits(s, len) || len > 5)
		return ERR_INVAL;
	memcpy(digits, s, len);
	digits[len] = '\0';
	v = strtol(digits, NULL, 10);
	return v >= 1 && v <= 65535 ? 0 : ERR_INVAL;
}

/* config_check_uri - ldap://, ldaps:// or ldapi:// naming a server,
 * nothing more */
int
config_check_uri(const char *value, const char **why)
{
	LDAPURLDesc *lud = NULL;
	const char *rest, *end, *rb, *colon;
	size_t len, i;
	int ldapi = 0, rc;

	if (config_has_prefix_ci(value, "ldap://"))
		rest = value + 7;
	else if (config_has_prefix_ci(value, "ldaps://"))
		rest = value + 8;
	else if (config_has_prefix_ci(value, "ldapi://")) {
		rest = value + 8;
		ldapi = 1;
	} else {
		*why = "URI scheme must be ldap://, ldaps:// or ldapi://";
		return ERR_INVAL;
	}
	end = strchr(rest, '/');
	if (end && end[1] != '\0') {
		*why = "URI must name a server only (no DN, attributes or filter)";
		return ERR_INVAL;
	}
	len = end ? (size_t)(end - rest) : strlen(rest);
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_~%:[]", rest[i]) == NULL) {
			*why = "invalid character in URI";
			return ERR_INVAL;
		}
	if (!ldapi) {
		/* [ipv6]:port or host:port; libldap takes any port number */
		rb = memchr(rest, ']', len);
		colon = NULL;
		for (i = len; i > (rb ? (size_t)(rb - rest) : 0); i--)
			if (rest[i - 1] == ':') {
				colon = rest + i - 1;
				break;
			}
		if (colon && check_port(colon + 1,
		    len - (size_t)(colon + 1 - rest)) < 0) {
			*why = "URI port must be a number 1..65535";
			return ERR_INVAL;
		}
	}
	rc = ldap_url_parse(value, &lud);
	if (lud)
		ldap_free_urldesc(lud);
	if (rc != LDAP_URL_SUCCESS) {
		*why = "invalid LDAP URI";
		return ERR_INVAL;
	}
	return 0;
}

/* config_check_branch - a short branch name, by libgit2's own rule
 * (that of git check-ref-format --branch); "refs/..." would name
 * another ref */
int
config_check_branch(const char *value, const char **why)
{
	int valid = 0;

	if (strcmp(value, "HEAD") == 0) {
		*why = "\"HEAD\" is not a branch name (it names what is "
		    "checked out)";
		return ERR_INVAL;
	}
	/* "@" is HEAD to git, though a valid ref name */
	if (strcmp(value, "@") == 0 ||
	    git_branch_name_is_valid(&valid, value) < 0 || !valid) {
		*why = "invalid branch name";
		return ERR_INVAL;
	}
	if (strncmp(value, "refs/", 5) == 0) {
		*why = "a short name is expected, without \"refs/\" "
		    "(\"main\", not \"refs/heads/main\")";
		return ERR_INVAL;
	}
	return 0;
}

/* config_check_author_name - git refuses angle brackets in a signature */
int
config_check_author_name(const char *value, const char **why)
{
	if (strpbrk(value, "<>") != NULL) {
		*why = "must not contain '<' or '>'";
		return ERR_INVAL;
	}
	return 0;
}

/* config_check_author_email - local@domain, no white space or angle
 * brackets */
int
config_check_author_email(const char *value, const char **why)
{
	const char *at = strchr(value, '@');

	if (strpbrk(value, "<> \t") != NULL) {
		*why = "must not contain white space, '<' or '>'";
		return ERR_INVAL;
	}
	if (at == NULL || at == value || at[1] == '\0'
	    || strchr(at + 1, '@') != NULL) {
		*why = "must be local@domain";
		return ERR_INVAL;
	}
	return 0;
}

/* config_check_transport - a master.cf service name fit for a table */
int
config_check_transport(const char *value, const char **why)
{
	size_t i;
	char c;

	for (i = 0; (c = value[i]) != '\0'; i++)
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		    || (i > 0 && (c == '-' || c == '_' || c == '.')))) {
			*why = "transport names are lowercase letters, digits, "
			    "'-', '_' and '.'";
			return ERR_INVAL;
		}
	return 0;
}

/* config_check_remote - a git remote URL: file://, ssh://, http(s)://,
 * git://, an absolute path, or scp-like user@host:path */
int
config_check_remote(const char *value, const char **why)
{
	static const char *const schemes[] = {
		"file://", "ssh://", "https://", "http://", "git://", "/", NULL
	};
	const char *at, *colon;
	size_t i;

	for (i = 0; value[i]; i++)
		if ((unsigned char)value[i] <= 0x20 || value[i] == 0x7f) {
			*why = "a remote URL has no white space or control "
			    "characters";
			return ERR_INVAL;
		}
	/* as git_sink reads it: file://localhost/path or file:///path */
	if (strncmp(value, "file://", 7) == 0 && value[7] != '/' &&
	    strncmp(value + 7, "localhost/", 10) != 0) {
		*why = "a file:// URL needs an absolute path";
		return ERR_INVAL;
	}
	for (i = 0; schemes[i]; i++)
		if (strncmp(value, schemes[i], strlen(schemes[i])) == 0)
			return 0;
	at = strchr(value, '@');
	colon = strchr(value, ':');
	if (at && colon && at < colon && at > value && colon[1] != '\0')
		return 0;
	*why = "expected file://, ssh://, https://, git://, an absolute path "
	    "or user@host:path";
	return ERR_INVAL;
}

