/*
 * git_idx - a pack closed: its checksum, its index, its place
 *
 * DESCRIPTION
 *	The object writer (git_pack) streams a pack to a temporary file
 *	without knowing how many objects it will hold, while git's pack
 *	header, which the checksum covers, starts with that count. So the
 *	count is written last and the pack read back once to be hashed (it
 *	is in the page cache: SHA-1 runs at more than 1 GB/s).
 *
 *	The index (version 2) is made from what the writer knows of each
 *	object, its id, its offset and the CRC-32 of its bytes, instead of
 *	by libgit2's indexer, which would inflate and hash the whole pack
 *	again: the fan-out table, the sorted ids, their CRC-32s, their
 *	offsets (past 2 GiB in a table of 8-byte offsets), the pack's
 *	checksum and its own. git index-pack makes the same bytes from the
 *	same pack.
 *
 *	Both files are fsynced and renamed, the pack first (a reader that
 *	finds an index finds its pack), to pack-SUM.pack and pack-SUM.idx,
 *	SUM being the pack's checksum as git names them; then the
 *	directory is synced.
 *
 * DIAGNOSTICS
 *	"git_sink: FILE: what failed: why" with the system's reason. On
 *	failure the index's temporary and a pack already renamed are
 *	removed; the pack's temporary is the caller's.
 */
#define _GNU_SOURCE     /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "hash.h"

#define READ_SIZE (1u << 20)    /* a chunk of the pack read back */
#define BIG_OFFSET 0x80000000u  /* offsets from here on take 8 bytes */

/* cmp_entry - order entries by id */
static int
cmp_entry(const void *a, const void *b)
{
	const struct git_idx_entry *x = a, *y = b;

	return git_oid_cmp(&x->id, &y->id);
}

/* put32 - a big-endian 32-bit number */
static int
put32(struct buf *b, uint32_t x)
{
	unsigned char c[4];

	c[0] = (unsigned char)(x >> 24);
	c[1] = (unsigned char)(x >> 16);
	c[2] = (unsigned char)(x >> 8);
	c[3] = (unsigned char)x;
	return buf_append(b, c, sizeof c);
}

/* make_index - the index of the entries v (sorted by id), closed by the
 * pack's checksum and its own; ERR_NOMEM */
static int
make_index(const struct git_idx_entry *v, size_t n,
    const unsigned char sum[HASH_SHA1_LEN], struct buf *idx)
{
	static const unsigned char head[8] = {
		0xff, 't', 'O', 'c', 0, 0, 0, 2
	};
	unsigned char own[HASH_SHA1_LEN];
	hash_sha1_ctx c;
	size_t i, k = 0;
	uint32_t big = 0;
	int b;

	if (buf_append(idx, head, sizeof head) < 0)
		return ERR_NOMEM;
	for (b = 0; b < 256; b++) {
		while (k < n && v[k].id.id[0] == b)
			k++;
		if (put32(idx, (uint32_t)k) < 0)
			return ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		if (buf_append(idx, v[i].id.id, GIT_OID_RAWSZ) < 0)
			return ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (put32(idx, v[i].crc) < 0)
			return ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (put32(idx, v[i].offset < BIG_OFFSET ?
		    (uint32_t)v[i].offset : BIG_OFFSET | big++) < 0)
			return ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (v[i].offset >= BIG_OFFSET &&
		    (put32(idx, (uint32_t)(v[i].offset >> 32)) < 0 ||
		    put32(idx, (uint32_t)v[i].offset) < 0))
			return ERR_NOMEM;
	if (buf_append(idx, sum, HASH_SHA1_LEN) < 0)
		return ERR_NOMEM;
	hash_sha1_init(&c);
	hash_sha1_update(&c, idx->data, idx->len);
	hash_sha1_final(&c, own);
	return buf_append(idx, own, sizeof own) < 0 ? ERR_NOMEM : 0;
}

/* full_write - n bytes at offset at of fd; ERR_IO */
static int
full_write(int fd, const void *data, size_t n, off_t at, const char *path,
    struct diag *d)
{
	const char *p = data;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return git_sink__sys_fail(d, path, "cannot write");
		}
		p += w;
		n -= (size_t)w;
		at += w;
	}
	return 0;
}

/* close_pack - the count into the pack's header, then its checksum:
 * the SHA-1 of its size bytes, read back, appended */
static int
close_pack(int fd, const char *tmp, uint64_t size, uint32_t count,
    unsigned char sum[HASH_SHA1_LEN], struct diag *d)
{
	unsigned char c4[4], *chunk = NULL;
	hash_sha1_ctx c;
	uint64_t at = 0;
	ssize_t r;
	int rc;

	c4[0] = (unsigned char)(count >> 24);
	c4[1] = (unsigned char)(count >> 16);
	c4[2] = (unsigned char)(count >> 8);
	c4[3] = (unsigned char)count;
	if ((rc = full_write(fd, c4, sizeof c4, 8, tmp, d)) < 0)
		return rc;
	if ((chunk = malloc(READ_SIZE)) == NULL)
		return git_sink__nomem(d, tmp);
	hash_sha1_init(&c);
	while (at < size) {
		r = pread(fd, chunk, READ_SIZE, (off_t)at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			rc = git_sink__sys_fail(d, tmp, "cannot read");
			goto cleanup;
		}
		hash_sha1_update(&c, chunk, (size_t)r);
		at += (uint64_t)r;
	}
	hash_sha1_final(&c, sum);
	if ((rc = full_write(fd, sum, HASH_SHA1_LEN, (off_t)size, tmp,
	    d)) == 0 && (fchmod(fd, 0444) < 0 || fsync(fd) < 0))
		rc = git_sink__sys_fail(d, tmp, "cannot sync");
cleanup:
	free(chunk);
	return rc;
}

/* write_new - a new file of mode 0444 holding b, fsynced */
static int
write_new(const char *path, const struct buf *b, struct diag *d)
{
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return git_sink__sys_fail(d, path, "cannot create");
	rc = full_write(fd, b->data, b->len, 0, path, d);
	if (rc == 0 && fsync(fd) < 0)
		rc = git_sink__sys_fail(d, path, "cannot sync");
	close(fd);
	if (rc < 0)
		(void)unlink(path);
	return rc;
}

/* sync_dir - make the names in directory dir durable */
static int
sync_dir(const char *dir, struct diag *d)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = git_sink__sys_fail(d, dir, "cannot sync");
	if (fd >= 0)
		close(fd);
	return rc;
}

/* git_idx_close - the pack closed, indexed and put in place */
int
git_idx_close(struct git_sink *s, int fd, const char *tmp, uint64_t size,
    struct git_idx_entry *v, size_t n, char **pack, char **idx,
    struct diag *d)
{
	unsigned char sum[HASH_SHA1_LEN];
	char hex[2 * HASH_SHA1_LEN + 1];
	struct buf index = BUF_INIT, dir = BUF_INIT;
	char *tmp_idx = NULL;
	size_t i;
	int rc;

	*pack = *idx = NULL;
	if (n > UINT32_MAX)
		return git_sink__inval(d, tmp, "too many objects for a pack");
	qsort(v, n, sizeof *v, cmp_entry);
	if ((rc = close_pack(fd, tmp, size, (uint32_t)n, sum, d)) < 0)
		return rc;
	for (i = 0; i < HASH_SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	if (make_index(v, n, sum, &index) < 0 ||
	    buf_printf(&dir, "%spack", s->objects) < 0 ||
	    asprintf(&tmp_idx, "%s/tmp_idx_%s", dir.data, hex) < 0 ||
	    asprintf(pack, "%s/pack-%s.pack", dir.data, hex) < 0 ||
	    asprintf(idx, "%s/pack-%s.idx", dir.data, hex) < 0) {
		tmp_idx = NULL;
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	if (access(*idx, F_OK) == 0) {
		/* the very same pack is there already (the same objects in
		 * the same order): someone's, and this one is not needed */
		(void)unlink(tmp);
		free(*pack);
		free(*idx);
		*pack = *idx = NULL;
		goto cleanup;
	}
	(void)unlink(tmp_idx);  /* left by this very pack, interrupted */
	if ((rc = write_new(tmp_idx, &index, d)) < 0)
		goto cleanup;
	if (rename(tmp, *pack) < 0) {
		rc = git_sink__sys_fail(d, *pack, "cannot put pack in place");
		(void)unlink(tmp_idx);
		goto cleanup;
	}
	if (rename(tmp_idx, *idx) < 0) {
		rc = git_sink__sys_fail(d, *idx, "cannot put index in place");
		(void)unlink(tmp_idx);
		(void)unlink(*pack);
		goto cleanup;
	}
	if ((rc = sync_dir(dir.data, d)) < 0) {
		(void)unlink(*idx);
		(void)unlink(*pack);
	}
cleanup:
	if (rc < 0) {
		free(*pack);
		free(*idx);
		*pack = *idx = NULL;
	}
	free(tmp_idx);
	buf_free(&index);
	buf_free(&dir);
	return rc;
}
