/*
 * git_pack - the new objects of a commit, written loose or as one pack
 *
 * DESCRIPTION
 *	A commit of a few changes makes a few objects: they are written as
 *	loose files without a fsync each, and one syncfs(2) makes them
 *	durable before the branch moves (two fsyncs per object took half
 *	a minute for a sharded first commit). A first commit or a resync
 *	of a sharded tree makes tens of thousands: they go into one pack,
 *	streamed to a temporary file in objects/pack as they come (memory
 *	holds the object at hand, not the pack), each object whole (a
 *	delta search, as libgit2's pack builder does, took five times as
 *	long), all through the sink's one deflate stream at level 1. The
 *	offset and CRC-32 of each object are kept for its index, which
 *	git_idx writes (libgit2's indexer would inflate and hash the whole
 *	pack again); then the object database is refreshed once. Nothing
 *	goes through git_odb_write, which rescans the pack directory for
 *	every object it does not find.
 *
 *	Which of the two it is to be is known at the hundredth object, so
 *	the first ones are kept in memory until then, as long as they fit
 *	in PENDING_MAX bytes; an object that does not is written loose at
 *	once (the large tables of an unsharded layout).
 *
 *	Object ids are SHA-1 from nettle (hash.h). The writer does not ask
 *	the object database whether it holds an object already: a pack it
 *	removes (one no commit came to use) is then one no other writer
 *	relied on. An object given twice is written once.
 *
 *	The pack is written under the shared lock of the pack writers
 *	(git_tidy), which keeps the cleaner of interrupted writes away from
 *	its temporary files (tmp_pack_*, tmp_idx_* in objects/pack; loose
 *	objects go through objects/tmp_obj_*).
 *
 * DIAGNOSTICS
 *	"git_sink: PATH: what failed: why". A failed write (a full disk)
 *	spoils the writer: every later call fails, and git_pack_free
 *	removes what it left, so the branch stays where it was. Content
 *	that differs between the two calls of a generator is refused
 *	(ERR_INVAL) and nothing of it is kept.
 */
#define _GNU_SOURCE     /* syncfs, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "git_tidy.h"
#include "hash.h"
#include "hmap.h"
#include "vec.h"

#define PACK_MIN 100            /* fewer new objects are written loose */
#define PENDING_MAX (4u << 20)  /* bytes kept until the choice is made */
#define OUT_SIZE (256u << 10)   /* write buffer of a pack or loose file */
#define OBJ_HEAD_MAX 32         /* "commit 18446744073709551615" + NUL */

/* where an object is */
enum where {
	HELD,                   /* in memory (p->held), until the flush */
	LOOSE,                  /* a loose file */
	PACKED                  /* in the pack being written or made */
};

struct obj {
	git_oid id;
	uint64_t offset;        /* PACKED: where it starts in the pack */
	uint32_t crc;           /* PACKED: CRC-32 of its bytes there */
	uint8_t type;           /* git_object_t */
	uint8_t where;
	size_t at, len;         /* HELD: its bytes in p->held */
};

/* a file written in order through a buffer, with the CRC-32 of what
 * was written since crc was last zeroed */
struct out {
	int fd;
	unsigned char *buf;     /* OUT_SIZE bytes */
	size_t len;             /* buffered */
	uint64_t done;          /* written to fd */
	uint32_t crc;
	const char *path;       /* for messages */
};

struct git_pack {
	struct git_sink *s;
	struct obj *v;
	size_t n, cap;
	size_t first;           /* v[first..n) are not flushed yet */
	struct hmap ids;        /* id -> index in v */
	struct buf held;        /* the bytes of the HELD objects */
	int loose_unsynced;     /* loose files written since the last sync */
	int spoilt;             /* a write failed */
	/* the pack being written: fd -1 when none */
	struct out pack;
	char *tmp;              /* objects/pack/tmp_pack_XXXXXX */
	int lock;               /* the pack writers' lock, while pack.fd */
	size_t pack_first;      /* v[pack_first..n) may be in it */
	struct out loose;       /* the loose file being written */
	/* the packs put in place: their .idx and .pack paths */
	char **made;
	size_t nmade, capmade;
	int used;
};

/* what the emit callbacks carry: the second pass over an object */
struct emit2 {
	struct git_pack *p;
	struct out *o;          /* compressed into o; NULL: into p->held */
	hash_sha1_ctx h;
	size_t len, got;
	int rc;                 /* the first failure of an emit */
	struct diag *d;
};

/* what the first pass carries */
struct emit1 {
	hash_sha1_ctx h;
	size_t len, got;
	int over;
};

/* a file from memory, as a generator */
struct mem_src {
	const void *data;
	size_t len;
};

/* mem_gen - hand the whole buffer over */
static int
mem_gen(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	const struct mem_src *m = ctx;

	return m->len ? emit(ectx, m->data, m->len) : 0;
}

/* obj_head - "type len" and a NUL, git's object header; its length
 * (by hand: printf's cost showed, once per object and pass) */
static size_t
obj_head(char out[OBJ_HEAD_MAX], git_object_t type, size_t len)
{
	const char *name = git_object_type2string(type);
	char digits[24];
	size_t n = strlen(name), k = 0;

	memcpy(out, name, n);
	out[n++] = ' ';
	do
		digits[k++] = (char)('0' + len % 10);
	while ((len /= 10) > 0);
	while (k > 0)
		out[n++] = digits[--k];
	out[n++] = '\0';
	return n;
}

/* id_hash - the map key of an object id: its first 8 bytes */
static uint64_t
id_hash(const git_oid *id)
{
	uint64_t h;

	memcpy(&h, id->id, sizeof h);
	return h;
}

/* id_eq - hmap equality: v[val] is the id key */
static int
id_eq(uint32_t val, const void *key, void *ctx)
{
	const struct git_pack *p = ctx;

	return git_oid_equal(&p->v[val].id, key);
}

/* spoilt - the answer of a writer whose write failed earlier */
static int
spoilt(struct git_pack *p, struct diag *d)
{
	diag_error(d, NULL, "git_sink: %s: cannot write objects: an earlier "
	    "write failed", p->s->path);
	return ERR_IO;
}

/* emit1 - the first pass: hash and count */
static int
emit1(void *ectx, const void *data, size_t n)
{
	struct emit1 *x = ectx;

	if (n > x->len - x->got) {
		x->over = 1;
		return ERR_INVAL;
	}
	x->got += n;
	hash_sha1_update(&x->h, data, n);
	return 0;
}

/* git_pack_hash - an object's id from a first pass over its bytes */
int
git_pack_hash(git_object_t type, size_t len, git_sink_gen_fn gen,
    void *ctx, const char *path, git_oid *id, struct diag *d)
{
	struct emit1 x;
	char head[OBJ_HEAD_MAX];
	int rc;

	hash_sha1_init(&x.h);
	hash_sha1_update(&x.h, head, obj_head(head, type, len));
	x.len = len;
	x.got = 0;
	x.over = 0;
	rc = gen(ctx, emit1, &x);
	if (x.over || (rc == 0 && x.got != len)) {
		diag_error(d, NULL, "git_sink: %s: the file has %s than "
		    "the %zu bytes announced", path, x.over ? "more" :
		    "fewer", len);
		return ERR_INVAL;
	}
	if (rc < 0)
		return rc;
	hash_sha1_final(&x.h, id->id);
	return 0;
}

/* git_pack_id - an object's id from memory */
void
git_pack_id(git_object_t type, const void *data, size_t len, git_oid *id)
{
	char head[OBJ_HEAD_MAX];
	hash_sha1_ctx c;

	hash_sha1_init(&c);
	hash_sha1_update(&c, head, obj_head(head, type, len));
	hash_sha1_update(&c, data, len);
	hash_sha1_final(&c, id->id);
}

/* git_pack_has - whether the object was given to p */
int
git_pack_has(const struct git_pack *p, const git_oid *id)
{
	return hmap_find(&p->ids, id_hash(id), id_eq, id, (void *)p) !=
	    HMAP_NONE;
}

/* out_init - an out on fd, its buffer allocated; ERR_NOMEM */
static int
out_init(struct out *o, int fd, const char *path)
{
	if (o->buf == NULL && (o->buf = malloc(OUT_SIZE)) == NULL)
		return ERR_NOMEM;
	o->fd = fd;
	o->len = 0;
	o->done = 0;
	o->crc = 0;
	o->path = path;
	return 0;
}

/* out_flush - write the buffer out */
static int
out_flush(struct out *o, struct diag *d)
{
	size_t at = 0;
	ssize_t w;

	while (at < o->len) {
		w = pwrite(o->fd, o->buf + at, o->len - at,
		    (off_t)(o->done + at));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return git_sink__sys_fail(d, o->path, "cannot write");
		}
		at += (size_t)w;
	}
	o->done += o->len;
	o->len = 0;
	return 0;
}

/* out_put - n bytes more, into the CRC as well */
static int
out_put(struct out *o, const void *data, size_t n, struct diag *d)
{
	const unsigned char *p = data;
	size_t k;
	int rc;

	o->crc = (uint32_t)crc32_z(o->crc, p, n);
	while (n > 0) {
		if (o->len == OUT_SIZE && (rc = out_flush(o, d)) < 0)
			return rc;
		k = OUT_SIZE - o->len < n ? OUT_SIZE - o->len : n;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* out_at - the offset the next byte goes to */
static uint64_t
out_at(const struct out *o)
{
	return o->done + o->len;
}

/* out_back - drop what was written from offset at on (an object that
 * failed half way) */
static int
out_back(struct out *o, uint64_t at, struct diag *d)
{
	if (at >= o->done) {
		o->len = (size_t)(at - o->done);
		return 0;
	}
	if (ftruncate(o->fd, (off_t)at) < 0)
		return git_sink__sys_fail(d, o->path, "cannot truncate");
	o->done = at;
	o->len = 0;
	return 0;
}

/* z_begin - the sink's deflate stream, ready for a new object */
static int
z_begin(struct git_pack *p, struct diag *d)
{
	struct git_sink *s = p->s;
	int r;

	if (s->zs_ready)
		r = deflateReset(&s->zs);
	else {
		memset(&s->zs, 0, sizeof s->zs);
		/* fast compression: written once, read rarely. A small hash
		 * table (memLevel 4: 4 KiB), since deflateReset clears it for
		 * every object: the default's 64 KiB cost more than the
		 * compression of a shard, for 1 % less output */
		r = deflateInit2(&s->zs, Z_BEST_SPEED, Z_DEFLATED, 15, 4,
		    Z_DEFAULT_STRATEGY);
		s->zs_ready = r == Z_OK;
	}
	if (r != Z_OK) {
		diag_error(d, NULL, "git_sink: %s: cannot start "
		    "compression: %s", s->path, r == Z_MEM_ERROR ?
		    "out of memory" : "zlib error");
		return r == Z_MEM_ERROR ? ERR_NOMEM : ERR_IO;
	}
	return 0;
}

/* z_feed - compress n bytes into o (finish: the last ones) */
static int
z_feed(struct git_pack *p, struct out *o, const void *data, size_t n,
    int finish, struct diag *d)
{
	z_stream *z = &p->s->zs;
	unsigned char *start;
	int r, rc;

	z->next_in = (Bytef *)(uintptr_t)data;
	z->avail_in = (uInt)n;          /* emit2 hands at most UINT_MAX */
	for (;;) {
		if (o->len == OUT_SIZE && (rc = out_flush(o, d)) < 0)
			return rc;
		start = o->buf + o->len;
		z->next_out = start;
		z->avail_out = (uInt)(OUT_SIZE - o->len);
		r = deflate(z, finish ? Z_FINISH : Z_NO_FLUSH);
		if (r == Z_STREAM_ERROR) {
			diag_error(d, NULL, "git_sink: %s: compression failed",
			    p->s->path);
			return ERR_BUG;
		}
		o->crc = (uint32_t)crc32_z(o->crc, start,
		    (size_t)(z->next_out - start));
		o->len += (size_t)(z->next_out - start);
		if (finish ? r == Z_STREAM_END :
		    z->avail_in == 0 && z->avail_out > 0)
			return 0;
	}
}

/* emit2 - the second pass: check, then compress or copy */
static int
emit2(void *ectx, const void *data, size_t n)
{
	struct emit2 *x = ectx;
	const unsigned char *b = data;
	size_t k;

	if (x->rc)
		return x->rc;
	if (n > x->len - x->got)
		return x->rc = ERR_INVAL;
	x->got += n;
	hash_sha1_update(&x->h, data, n);
	if (x->o == NULL) {
		if (buf_append(&x->p->held, data, n) < 0)
			x->rc = git_sink__nomem(x->d, x->p->s->path);
		return x->rc;
	}
	while (n > 0 && x->rc == 0) {
		k = n > UINT32_MAX ? UINT32_MAX : n;
		x->rc = z_feed(x->p, x->o, b, k, 0, x->d);
		b += k;
		n -= k;
	}
	return x->rc;
}

/* second_pass - run gen into x (already set up: o, len, the header
 * hashed), finish, and check it gave the bytes whose id is id */
static int
second_pass(struct emit2 *x, const git_oid *id, git_sink_gen_fn gen,
    void *ctx, const char *path, struct diag *d)
{
	unsigned char sum[HASH_SHA1_LEN];
	int rc;

	rc = gen(ctx, emit2, x);
	if (x->rc < 0 && x->rc != ERR_INVAL)
		return x->rc;           /* a write failed: already recorded */
	if (x->rc == 0 && rc < 0)
		return rc;
	if (x->rc == 0 && x->o && (rc = z_feed(x->p, x->o, NULL, 0, 1,
	    d)) < 0)
		return rc;
	hash_sha1_final(&x->h, sum);
	if (x->rc == ERR_INVAL || x->got != x->len ||
	    memcmp(sum, id->id, sizeof sum) != 0) {
		diag_error(d, NULL, "git_sink: %s: the file's bytes changed "
		    "between the two passes over it", path);
		return ERR_INVAL;
	}
	return 0;
}

/* pack_entry - one object into the open pack: git's type and size
 * prefix (4 bits of size, then 7 a byte), then its zlib stream */
static int
pack_entry(struct git_pack *p, struct obj *ob, git_sink_gen_fn gen,
    void *ctx, const char *path, struct diag *d)
{
	struct emit2 x;
	char head[OBJ_HEAD_MAX];
	unsigned char h[16];
	size_t n = 0, size = ob->len;
	uint64_t at = out_at(&p->pack);
	unsigned char c = (unsigned char)(((unsigned)ob->type << 4) |
	    (size & 15));
	int rc;

	for (size >>= 4; size; size >>= 7) {
		h[n++] = c | 0x80;
		c = size & 0x7f;
	}
	h[n++] = c;
	p->pack.crc = 0;
	if ((rc = out_put(&p->pack, h, n, d)) < 0 ||
	    (rc = z_begin(p, d)) < 0)
		goto cleanup;
	memset(&x, 0, sizeof x);
	x.p = p;
	x.o = &p->pack;
	x.len = ob->len;
	x.d = d;
	hash_sha1_init(&x.h);
	hash_sha1_update(&x.h, head, obj_head(head, (git_object_t)ob->type,
	    ob->len));
	rc = second_pass(&x, &ob->id, gen, ctx, path, d);
cleanup:
	if (rc == 0) {
		ob->offset = at;
		ob->crc = p->pack.crc;
		ob->where = PACKED;
	} else if (rc != ERR_IO && rc != ERR_BUG && out_back(&p->pack, at,
	    d) < 0)
		p->spoilt = 1;
	if (rc == ERR_IO || rc == ERR_BUG)
		p->spoilt = 1;
	return rc;
}

/* loose_path - objects/xx/yyyy... of id into out */
static int
loose_path(const struct git_pack *p, const git_oid *id, struct buf *out)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof hex, id);
	buf_reset(out);
	return buf_printf(out, "%s%.2s/%s", p->s->objects, hex, hex + 2);
}

/* write_loose - an object as a loose file (zlib of header and bytes),
 * unless one is there already (its time is then renewed, so that a
 * prune does not take it); not synced */
static int
write_loose(struct git_pack *p, struct obj *ob, git_sink_gen_fn gen,
    void *ctx, const char *path, struct diag *d)
{
	struct buf final = BUF_INIT, tmp = BUF_INIT;
	char head[OBJ_HEAD_MAX];
	struct emit2 x;
	struct stat st;
	size_t hl;
	int fd = -1, rc;

	if (loose_path(p, &ob->id, &final) < 0 ||
	    buf_printf(&tmp, "%stmp_obj_XXXXXX", p->s->objects) < 0) {
		rc = git_sink__nomem(d, p->s->path);
		goto cleanup;
	}
	if (stat(final.data, &st) == 0) {
		(void)utimensat(AT_FDCWD, final.data, NULL, 0);
		ob->where = LOOSE;
		/* another writer's, perhaps not synced yet: synced here too */
		p->loose_unsynced = 1;
		rc = 0;
		goto cleanup;
	}
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
		rc = git_sink__sys_fail(d, tmp.data, "cannot create object");
		goto cleanup;
	}
	if ((rc = out_init(&p->loose, fd, tmp.data)) < 0) {
		rc = git_sink__nomem(d, p->s->path);
		goto cleanup;
	}
	if ((rc = z_begin(p, d)) < 0)
		goto cleanup;
	memset(&x, 0, sizeof x);
	x.p = p;
	x.o = &p->loose;
	x.len = ob->len;
	x.d = d;
	hash_sha1_init(&x.h);
	hl = obj_head(head, (git_object_t)ob->type, ob->len);
	hash_sha1_update(&x.h, head, hl);
	if ((rc = z_feed(p, &p->loose, head, hl, 0, d)) < 0 ||
	    (rc = second_pass(&x, &ob->id, gen, ctx, path, d)) < 0 ||
	    (rc = out_flush(&p->loose, d)) < 0)
		goto cleanup;
	if (fchmod(fd, 0444) < 0) {
		rc = git_sink__sys_fail(d, tmp.data, "cannot set mode");
		goto cleanup;
	}
	final.data[final.len - GIT_OID_HEXSZ + 1] = '\0';
	if (mkdir(final.data, 0777) < 0 && errno != EEXIST) {
		rc = git_sink__sys_fail(d, final.data, "cannot make directory");
		goto cleanup;
	}
	final.data[final.len - GIT_OID_HEXSZ + 1] = '/';
	if (rename(tmp.data, final.data) < 0) {
		rc = git_sink__sys_fail(d, final.data, "cannot write object");
		goto cleanup;
	}
	ob->where = LOOSE;
	p->loose_unsynced = 1;
cleanup:
	if (fd >= 0) {
		close(fd);
		if (rc < 0)
			unlink(tmp.data);
	}
	if (rc == ERR_IO || rc == ERR_BUG)
		p->spoilt = 1;
	buf_free(&tmp);
	buf_free(&final);
	return rc;
}

/* held_put - a HELD object into the pack (packed) or a loose file */
static int
held_put(struct git_pack *p, struct obj *ob, int packed, struct diag *d)
{
	struct mem_src m;

	/* p->held does not move while it is read: nothing is added */
	m.data = p->held.data + ob->at;
	m.len = ob->len;
	return packed ? pack_entry(p, ob, mem_gen, &m, p->s->path, d) :
	    write_loose(p, ob, mem_gen, &m, p->s->path, d);
}

/* pack_open - start the pack, and put the objects held into it */
static int
pack_open(struct git_pack *p, struct diag *d)
{
	static const unsigned char head[12] = {
		'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0
	};
	struct git_sink *s = p->s;
	size_t i;
	int fd, rc;

	free(p->tmp);
	p->tmp = NULL;
	if ((rc = git_tidy_pack_lock(s->repo, s->path, &p->lock, d)) < 0)
		return rc;
	if (asprintf(&p->tmp, "%spack/tmp_pack_XXXXXX", s->objects) < 0) {
		p->tmp = NULL;
		return git_sink__nomem(d, s->path);
	}
	if ((fd = mkostemp(p->tmp, O_CLOEXEC)) < 0)
		return git_sink__sys_fail(d, p->tmp, "cannot create pack");
	if ((rc = out_init(&p->pack, fd, p->tmp)) < 0) {
		close(fd);
		unlink(p->tmp);
		return git_sink__nomem(d, s->path);
	}
	p->pack_first = p->first;
	/* the count is written when the pack is finished */
	if ((rc = out_put(&p->pack, head, sizeof head, d)) < 0)
		return rc;
	for (i = p->first; rc == 0 && i < p->n; i++)
		if (p->v[i].where == HELD)
			rc = held_put(p, &p->v[i], 1, d);
	buf_reset(&p->held);
	return rc;
}

/* git_pack_put - add one object, produced by gen */
int
git_pack_put(struct git_pack *p, git_object_t type, const git_oid *id,
    size_t len, git_sink_gen_fn gen, void *ctx, const char *path,
    struct diag *d)
{
	struct obj *ob;
	struct emit2 x;
	char head[OBJ_HEAD_MAX];
	size_t mark = p->held.len;
	int rc;

	if (p->spoilt)
		return spoilt(p, d);
	if (git_pack_has(p, id))
		return 0;
	if (p->n >= UINT32_MAX - 1 || vec_grow((void **)&p->v, &p->cap, p->n,
	    sizeof *p->v) < 0 || hmap_reserve(&p->ids, p->ids.count + 1) < 0)
		return git_sink__nomem(d, p->s->path);
	ob = &p->v[p->n];
	memset(ob, 0, sizeof *ob);
	git_oid_cpy(&ob->id, id);
	ob->type = (uint8_t)type;
	ob->len = len;
	if (p->pack.fd < 0 && p->n + 1 - p->first >= PACK_MIN &&
	    (rc = pack_open(p, d)) < 0) {
		p->spoilt = 1;
		return rc;
	}
	if (p->pack.fd >= 0)
		rc = pack_entry(p, ob, gen, ctx, path, d);
	else if (len <= PENDING_MAX - p->held.len) {
		memset(&x, 0, sizeof x);
		x.p = p;
		x.len = len;
		x.d = d;
		hash_sha1_init(&x.h);
		hash_sha1_update(&x.h, head, obj_head(head, type, len));
		ob->at = p->held.len;
		ob->where = HELD;
		if ((rc = second_pass(&x, id, gen, ctx, path, d)) < 0)
			p->held.len = mark;
	} else
		rc = write_loose(p, ob, gen, ctx, path, d);
	if (rc < 0)
		return rc;
	/* reserved above: cannot fail */
	(void)hmap_put(&p->ids, id_hash(id), (uint32_t)p->n);
	p->n++;
	return 0;
}

/* git_pack_put_mem - add an object from memory */
int
git_pack_put_mem(struct git_pack *p, git_object_t type, const void *data,
    size_t len, git_oid *id, struct diag *d)
{
	struct mem_src m = { data, len };

	git_pack_id(type, data, len, id);
	return git_pack_put(p, type, id, len, mem_gen, &m, p->s->path, d);
}

/* add_made - remember a pack put in place (its .idx, then .pack) */
static int
add_made(struct git_pack *p, char *idx, char *pack)
{
	if (vec_reserve((void **)&p->made, &p->capmade, p->nmade + 2,
	    sizeof *p->made) < 0)
		return ERR_NOMEM;
	p->made[p->nmade++] = idx;
	p->made[p->nmade++] = pack;
	return 0;
}

/* pack_close - close the pack being written and release the lock */
static void
pack_close(struct git_pack *p)
{
	if (p->pack.fd >= 0)
		close(p->pack.fd);
	p->pack.fd = -1;
	git_tidy_pack_unlock(p->lock);
	p->lock = -1;
}

/* pack_finish - close the pack (git_idx: its checksum, its index,
 * both in place), and let libgit2 see it */
static int
pack_finish(struct git_pack *p, struct diag *d)
{
	struct git_sink *s = p->s;
	struct git_idx_entry *v = NULL;
	char *pack = NULL, *idx = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = out_flush(&p->pack, d)) < 0)
		goto cleanup;
	if ((v = calloc(p->n - p->pack_first + 1, sizeof *v)) == NULL) {
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	for (i = p->pack_first; i < p->n; i++)
		if (p->v[i].where == PACKED) {
			git_oid_cpy(&v[n].id, &p->v[i].id);
			v[n].offset = p->v[i].offset;
			v[n++].crc = p->v[i].crc;
		}
	if ((rc = git_idx_close(s, p->pack.fd, p->tmp, p->pack.done, v, n,
	    &pack, &idx, d)) < 0)
		goto cleanup;
	if (pack && add_made(p, idx, pack) < 0) {
		/* in place already: it stays, as if used */
		free(idx);
		free(pack);
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	if (git_odb_refresh(s->odb) < 0)
		rc = git_sink__lib_fail(d, s->path, "cannot read new pack");
cleanup:
	pack_close(p);
	if (rc < 0)
		(void)unlink(p->tmp);   /* gone already when it was renamed */
	free(p->tmp);
	p->tmp = NULL;
	free(v);
	return rc;
}

/* objects_sync - make every object file written since the last sync
 * durable, and the directories naming them: one syncfs(2) of the file
 * system holding the objects instead of two fsyncs per object */
static int
objects_sync(struct git_pack *p, struct diag *d)
{
	int fd, rc = 0;

	fd = open(p->s->objects, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0)
		rc = git_sink__sys_fail(d, p->s->path, "cannot sync objects");
	if (fd >= 0)
		close(fd);
	return rc;
}

/* git_pack_flush - everything given so far durable and readable */
int
git_pack_flush(struct git_pack *p, struct diag *d)
{
	size_t i;
	int rc = 0;

	if (p->spoilt)
		return spoilt(p, d);
	if (p->pack.fd >= 0)
		rc = pack_finish(p, d);
	for (i = p->first; rc == 0 && i < p->n; i++)
		if (p->v[i].where == HELD)
			rc = held_put(p, &p->v[i], 0, d);
	if (rc == 0 && p->loose_unsynced && (rc = objects_sync(p, d)) == 0)
		p->loose_unsynced = 0;
	if (rc < 0) {
		p->spoilt = 1;
		return rc;
	}
	buf_reset(&p->held);
	p->first = p->n;
	return 0;
}

/* git_pack_new - an empty writer */
int
git_pack_new(struct git_sink *s, struct git_pack **out, struct diag *d)
{
	struct git_pack *p;

	if ((*out = p = calloc(1, sizeof *p)) == NULL)
		return git_sink__nomem(d, s->path);
	p->s = s;
	p->pack.fd = -1;
	p->loose.fd = -1;
	p->lock = -1;
	hmap_init(&p->ids);
	buf_init(&p->held);
	return 0;
}

/* git_pack_used - the packs are a commit's now */
void
git_pack_used(struct git_pack *p)
{
	p->used = 1;
}

/* git_pack_free - drop what no commit used */
void
git_pack_free(struct git_pack *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->pack.fd >= 0) {
		pack_close(p);
		(void)unlink(p->tmp);
	}
	for (i = 0; i < p->nmade; i++) {
		if (!p->used)
			(void)unlink(p->made[i]);
		free(p->made[i]);
	}
	git_tidy_pack_unlock(p->lock);
	free(p->made);
	free(p->tmp);
	free(p->pack.buf);
	free(p->loose.buf);
	free(p->v);
	hmap_free(&p->ids);
	buf_free(&p->held);
	free(p);
}
