/*
 * shard - where a key lives when a file is split into shards
 *
 * A sharded file "transport" becomes the directory "transport.d" holding
 * up to N files (N a power of 16), one directory level per hex digit of
 * the shard number: shard 0x3fa of 4096 is "transport.d/3/f/a". A line
 * goes to the shard of its key (the bytes before the first separator),
 * by FNV-1a 32-bit of the key, modulo N. Shards keep the order of the
 * lines they were cut from, so the shards of a sorted file are sorted;
 * the whole file is their concatenation sorted again (LC_ALL=C sort).
 * Keys never hold a byte below 0x21, so sorting lines sorts keys.
 */
#ifndef SPLITSYNC_SHARD_H
#define SPLITSYNC_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define SHARD_DIR_SUFFIX ".d"
#define SHARD_PATH_MAX 256

/* shard_hash - FNV-1a 32-bit of len bytes of key */
uint32_t shard_hash(const char *key, size_t len);
/* shard_of - the shard of key among n (n a power of 16, at least 16) */
size_t shard_of(const char *key, size_t len, size_t n);
/* shard_path - "dir/3/f/a" for shard i of n into out (at least
 * SHARD_PATH_MAX bytes); ERR_INVAL when it does not fit */
int shard_path(char *out, size_t len, const char *dir, size_t i, size_t n);
/* shard_split - append each line of text (sorted or not; the last line
 * may lack its newline, which is then added) to shards[shard of its key],
 * the key ending at the first sep; shards has n buffers. ERR_NOMEM */
int shard_split(const char *text, size_t len, char sep, size_t n,
    struct buf *shards);
/* shard_join_sorted - the lines of the n buffers, sorted bytewise, into
 * out (appended); the inverse of shard_split for a sorted file with
 * unique keys. ERR_NOMEM */
int shard_join_sorted(const struct buf *parts, size_t n, struct buf *out);

#endif
