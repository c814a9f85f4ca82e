/*
 * hash - the hashes of the whole tree
 *
 * SHA-1 is what git names objects and closes pack files with (and
 * names the problems a report has logged); it comes from nettle, the
 * library GnuTLS and libldap already bring, which uses the CPU's SHA
 * instructions where there are some. Nothing here is used for
 * security.
 *
 * hash64 is for hash maps and for the compact membership sets: 64 bits
 * of FNV-1a, finished with a 64-bit mixer so that the low bits a map
 * uses depend on every byte. At a million keys the chance that two
 * distinct keys share a value is about 3e-8.
 */
#ifndef SPLITSYNC_HASH_H
#define SPLITSYNC_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha1.h>

#define HASH_SHA1_LEN SHA1_DIGEST_SIZE

typedef struct sha1_ctx hash_sha1_ctx;

/* hash_sha1_init, hash_sha1_update, hash_sha1_final - the usual three
 * steps; final writes HASH_SHA1_LEN bytes to out and leaves the
 * context ready for a new hash. They cannot fail. */
void hash_sha1_init(hash_sha1_ctx *c);
void hash_sha1_update(hash_sha1_ctx *c, const void *data, size_t len);
void hash_sha1_final(hash_sha1_ctx *c, unsigned char out[HASH_SHA1_LEN]);

/* hash64 - the 64-bit hash of len bytes */
uint64_t hash64(const void *data, size_t len);
/* hash64_lower - the same of the bytes lowercased (ASCII) */
uint64_t hash64_lower(const void *data, size_t len);

#endif
