/*
 * sha1 - SHA-1 (FIPS 180-4) of a byte stream
 *
 * DESCRIPTION
 *	A plain block-at-a-time implementation: the pack trailer it serves
 *	is computed once per large commit, over data that was just
 *	compressed, so speed beyond this does not show.
 *
 * DIAGNOSTICS
 *	None: nothing can fail.
 */
#include <string.h>

#include "sha1.h"

/* rol - rotate left */
static uint32_t
rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* block - one 64-byte block into the state */
static void
block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999u;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1u;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6u;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* sha1_init - the initial state */
void
sha1_init(struct sha1 *c)
{
	c->h[0] = 0x67452301u;
	c->h[1] = 0xefcdab89u;
	c->h[2] = 0x98badcfeu;
	c->h[3] = 0x10325476u;
	c->h[4] = 0xc3d2e1f0u;
	c->total = 0;
	c->used = 0;
}

/* sha1_update - more bytes */
void
sha1_update(struct sha1 *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;

	c->total += len;
	while (len > 0) {
		if (c->used == 0 && len >= 64) {
			block(c->h, p);
			p += 64;
			len -= 64;
			continue;
		}
		take = 64 - c->used < len ? 64 - c->used : len;
		memcpy(c->block + c->used, p, take);
		c->used += take;
		p += take;
		len -= take;
		if (c->used == 64) {
			block(c->h, c->block);
			c->used = 0;
		}
	}
}

/* sha1_final - padding, length, digest */
void
sha1_final(struct sha1 *c, unsigned char out[SHA1_LEN])
{
	static const unsigned char pad[64] = { 0x80 };
	unsigned char len[8];
	uint64_t bits = c->total * 8;
	unsigned i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(c, pad, c->used < 56 ? 56 - c->used : 120 - c->used);
	sha1_update(c, len, 8);
	for (i = 0; i < SHA1_LEN; i++)
		out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}
