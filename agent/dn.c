/*
 * dn - distinguished names in the one form they are compared in
 *
 * SYNOPSIS
 *	#include "dn.h"
 *
 * DESCRIPTION
 *	dn_normalize() first tries the plain form: optional spaces, an
 *	attribute type (a letter, then letters, digits and '-'), '=' with
 *	optional spaces around it, a value of printable ASCII other than
 *	'"' '+' ';' '<' '>' '\' '=' that does not start with '#', spaces
 *	after it, and ',' before the next pair. libldap parses such a DN
 *	into exactly those types and values (the spaces around '=' and ','
 *	are not part of them) and writes them back unescaped, so the
 *	normal form is the pairs lowercased and joined by ',' and nothing
 *	needs to be allocated. Anything else (escapes, quotes, several
 *	values in one RDN, hex values, OIDs as types, UTF-8, control
 *	characters, empty values) is parsed and written by
 *	ldap_dn_normalize() as LDAPv3 DNs, then lowercased; that is the
 *	definition the plain form follows.
 *
 *	dn_hash() hashes the normal form with hash64; a valid DN whose
 *	hash would be DN_HASH_NONE gets 1 instead.
 *
 * DIAGNOSTICS
 *	ERR_INVAL when the bytes are not a DN; ERR_NOMEM. Nothing is
 *	logged: a DN that does not parse is no error of the caller's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "buf.h"
#include "dn.h"
#include "errors.h"
#include "hash.h"

/* Normal forms of at most this many bytes are hashed from the stack. */
#define DN_STACK 512

/* lower - ASCII lowercase */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* type_char - a letter, a digit or '-' */
static int
type_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* value_char - a byte of a plain value (spaces are handled apart) */
static int
value_char(char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '+' && c != ';' &&
	    c != '<' && c != '>' && c != '\\' && c != '=' && c != ',';
}

/* plain - the normal form of a plain DN into out (room for len + 1
 * bytes: it is never longer); its length, or -1 when dn is not plain */
static long
plain(const char *dn, size_t len, char *out)
{
	size_t i = 0, o = 0, end;

	while (i < len && dn[i] == ' ')
		i++;
	if (i == len)
		return len == 0 ? 0 : -1;
	for (;;) {
		if (!((dn[i] >= 'a' && dn[i] <= 'z') ||
		    (dn[i] >= 'A' && dn[i] <= 'Z')))
			return -1;
		while (i < len && type_char(dn[i]))
			out[o++] = lower(dn[i++]);
		while (i < len && dn[i] == ' ')
			i++;
		if (i == len || dn[i] != '=')
			return -1;
		out[o++] = '=';
		i++;
		while (i < len && dn[i] == ' ')
			i++;
		if (i == len || dn[i] == '#' || !value_char(dn[i]))
			return -1;
		end = o;
		while (i < len && dn[i] != ',') {
			if (dn[i] != ' ' && !value_char(dn[i]))
				return -1;
			out[o++] = lower(dn[i]);
			if (dn[i++] != ' ')
				end = o;
		}
		o = end;        /* trailing spaces are not part of it */
		if (i == len)
			break;
		out[o++] = ',';
		i++;
		while (i < len && dn[i] == ' ')
			i++;
		if (i == len)
			return -1;
	}
	out[o] = '\0';
	return (long)o;
}

/* by_libldap - the normal form as libldap writes it, into out */
static int
by_libldap(const char *dn, size_t len, struct buf *out)
{
	char *norm = NULL;
	size_t i;
	int rc;

	buf_reset(out);
	if (memchr(dn, '\0', len) != NULL)
		return ERR_INVAL;
	/* libldap wants a C string: the copy in out serves as one. */
	if (buf_append(out, dn, len) < 0)
		return ERR_NOMEM;
	rc = ldap_dn_normalize(out->data, LDAP_DN_FORMAT_LDAPV3, &norm,
	    LDAP_DN_FORMAT_LDAPV3);
	buf_reset(out);
	if (rc != LDAP_SUCCESS)
		return rc == LDAP_NO_MEMORY ? ERR_NOMEM : ERR_INVAL;
	rc = norm ? buf_puts(out, norm) : buf_puts(out, "");
	ldap_memfree(norm);
	if (rc < 0) {
		buf_reset(out);
		return ERR_NOMEM;
	}
	for (i = 0; i < out->len; i++)
		out->data[i] = lower(out->data[i]);
	return 0;
}

/* dn_normalize_plain - the plain form only */
int
dn_normalize_plain(const char *dn, size_t len, struct buf *out)
{
	long n;

	buf_reset(out);
	if (len == SIZE_MAX || buf_grow(out, len + 1) < 0)
		return ERR_NOMEM;
	n = plain(dn, len, out->data);
	if (n < 0) {
		out->data[0] = '\0';
		return ERR_NOTFOUND;
	}
	out->len = (size_t)n;
	return 0;
}

/* dn_normalize - plain form, else libldap */
int
dn_normalize(const char *dn, size_t len, struct buf *out)
{
	int rc = dn_normalize_plain(dn, len, out);

	return rc == ERR_NOTFOUND ? by_libldap(dn, len, out) : rc;
}

/* dn_hash - hash64 of the normal form */
int
dn_hash(const char *dn, size_t len, uint64_t *out)
{
	char stack[DN_STACK + 1];
	struct buf b = BUF_INIT;
	long n = -1;
	int rc = 0;

	*out = DN_HASH_NONE;
	if (len <= DN_STACK)
		n = plain(dn, len, stack);
	if (n < 0) {
		rc = dn_normalize(dn, len, &b);
		if (rc == 0 && b.len == 0)
			rc = ERR_INVAL;
		if (rc == 0)
			*out = hash64(b.data, b.len);
	} else if (n == 0) {
		rc = ERR_INVAL;
	} else {
		*out = hash64(stack, (size_t)n);
	}
	if (rc == 0 && *out == DN_HASH_NONE)
		*out = 1;
	buf_free(&b);
	return rc;
}

/* dn_strip_uid - without a trailing unescaped "#'<bits>'B" */
size_t
dn_strip_uid(const char *s, size_t len)
{
	size_t i, hash, bs;

	if (len < 4 || s[len - 1] != 'B' || s[len - 2] != '\'')
		return len;
	for (i = len - 2; i > 0 && (s[i - 1] == '0' || s[i - 1] == '1'); i--)
		;
	if (i < 2 || s[i - 1] != '\'' || s[i - 2] != '#')
		return len;
	hash = i - 2;
	for (bs = 0; bs < hash && s[hash - 1 - bs] == '\\'; bs++)
		;
	return bs % 2 ? len : hash;
}
