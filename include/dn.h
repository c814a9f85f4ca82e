/*
 * dn - distinguished names in the one form they are compared in
 *
 * Directories spell one DN many ways ("UID=Bob, OU=People,DC=Example"
 * and "uid=bob,ou=people,dc=example"); membership compares them in a
 * canonical form: RFC 4514 syntax as libldap writes it, attribute types
 * and values lowercased (ASCII). The DNs directories actually hold
 * (attribute=value pairs joined by ',', no escapes, quotes, '+', '#'
 * values or bytes outside printable ASCII) are normalised here
 * directly; anything else goes through libldap's parser. Both give the
 * same bytes for the same DN.
 *
 * A DN that does not parse names nothing: it has no normal form
 * (ERR_INVAL) and its hash is DN_HASH_NONE, which no valid DN has, so
 * it matches nothing. The empty DN (the root) names nothing either.
 */
#ifndef SPLITSYNC_DN_H
#define SPLITSYNC_DN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DN_HASH_NONE 0

/* dn_normalize - the normal form of the len bytes at dn into out (its
 * old contents replaced; NUL-terminated). ERR_INVAL when they are not a
 * DN (a NUL byte included), out empty then; ERR_NOMEM. */
int dn_normalize(const char *dn, size_t len, struct buf *out);
/* dn_normalize_plain - the same, for a plain DN only: ERR_NOTFOUND
 * (out empty) when dn is not one and needs libldap's parser */
int dn_normalize_plain(const char *dn, size_t len, struct buf *out);
/* dn_hash - *out = hash64 of the normal form of dn. ERR_INVAL, *out
 * DN_HASH_NONE, when dn is not a DN or is the empty DN; ERR_NOMEM. */
int dn_hash(const char *dn, size_t len, uint64_t *out);
/* dn_strip_uid - the length of a uniqueMember value without its
 * optional unescaped "#'0101'B" suffix (RFC 4517 NameAndOptionalUID) */
size_t dn_strip_uid(const char *s, size_t len);

#endif
