/*
 * hash - SHA-1 (nettle) and a 64-bit hash for maps
 *
 * DIAGNOSTICS
 *	None: nothing can fail.
 */
#include "hash.h"

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

/* hash_sha1_init - a new SHA-1 */
void
hash_sha1_init(hash_sha1_ctx *c)
{
	sha1_init(c);
}

/* hash_sha1_update - more bytes */
void
hash_sha1_update(hash_sha1_ctx *c, const void *data, size_t len)
{
	sha1_update(c, len, data);
}

/* hash_sha1_final - the digest */
void
hash_sha1_final(hash_sha1_ctx *c, unsigned char out[HASH_SHA1_LEN])
{
	sha1_digest(c, HASH_SHA1_LEN, out);
}

/* mix - spread every bit of h over all bits (murmur3's finalizer) */
static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* hash64 - FNV-1a 64, mixed */
uint64_t
hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = FNV64_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return mix(h);
}

/* hash64_lower - FNV-1a 64 of the lowercased bytes, mixed */
uint64_t
hash64_lower(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = FNV64_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		h ^= c >= 'A' && c <= 'Z' ? c + 32 : c;
		h *= FNV64_PRIME;
	}
	return mix(h);
}
