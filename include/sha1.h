/*
 * sha1 - SHA-1 (FIPS 180-4) of a byte stream
 *
 * For the checksum that closes a git pack file, which the pack format
 * fixes as SHA-1, and to name the problems a report has logged
 * (report.h); nothing here is used for security.
 */
#ifndef SPLITSYNC_SHA1_H
#define SPLITSYNC_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN 20

struct sha1 {
	uint32_t h[5];
	uint64_t total;         /* bytes so far */
	unsigned char block[64];
	size_t used;            /* bytes waiting in block */
};

/* sha1_init, sha1_update, sha1_final - the usual three steps; final
 * writes SHA1_LEN bytes to out. They cannot fail. */
void sha1_init(struct sha1 *c);
void sha1_update(struct sha1 *c, const void *data, size_t len);
void sha1_final(struct sha1 *c, unsigned char out[SHA1_LEN]);

#endif
