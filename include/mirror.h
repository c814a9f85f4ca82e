/*
 * mirror - the agent's copy of the directory entries the mapping uses
 *
 * The service keeps every entry the change feed delivered, keyed by a
 * stable id (entryUUID where the server has it, else the DN), so a
 * group change or a domain change can re-route mailboxes without asking
 * the server again, and the model is rebuilt from exactly what resync
 * would read. The mirror is committed with the tables, in shards (LDIF
 * sorted by id; where they live is layout.h's), together with the
 * cookie that it matches, so a restart resumes from the branch head.
 *
 * A mirror owns copies of its entries. Borrowed pointers returned by
 * mirror_get stay valid until that id is put or removed.
 */
#ifndef SPLITSYNC_MIRROR_H
#define SPLITSYNC_MIRROR_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"
#include "entry.h"

struct mirror;

int mirror_new(struct mirror **out);
void mirror_free(struct mirror *m);
size_t mirror_count(const struct mirror *m);
/* mirror_entry_id - the id of a source entry: its entryUUID value
 * (lowercased), else its DN, into *out (free()); ERR_NOMEM */
int mirror_entry_id(const struct entry *e, char **out);
/* mirror_put - store a copy of e under id, replacing what was there.
 * Returns 1 when the mirror changed, 0 when e equals the stored entry,
 * ERR_NOMEM. */
int mirror_put(struct mirror *m, const char *id, const struct entry *e);
/* mirror_remove - forget id; 1 when it was there, else 0 */
int mirror_remove(struct mirror *m, const char *id);
/* mirror_get - the entry stored under id, or NULL; borrowed */
const struct entry *mirror_get(const struct mirror *m, const char *id);
/* mirror_each - fn for every entry, in no particular order; stops at a
 * negative return of fn and returns it */
int mirror_each(const struct mirror *m, entry_source_fn fn, void *ctx);
/* mirror_each_id - the same with the id; fn must not change the mirror */
int mirror_each_id(const struct mirror *m,
    int (*fn)(const char *id, const struct entry *e, void *ctx), void *ctx);
/* mirror_shards - the committed form: n texts (n a power of 16, at
 * least 16), shard i holding the entries whose id hashes to i (FNV-1a
 * of the id, see shard.h), sorted by id; *out is an array of n buffers
 * (caller frees each and the array). Same mirror, same bytes. ERR_NOMEM */
int mirror_shards(const struct mirror *m, size_t n, struct buf **out);
/* mirror_shard_of - the shard of id among n */
size_t mirror_shard_of(const char *id, size_t n);
/* mirror_shard_text - the committed form of shard i of n alone, into
 * out (appended); costs a pass over the whole mirror. ERR_NOMEM */
int mirror_shard_text(const struct mirror *m, size_t i, size_t n,
    struct buf *out);
/* mirror_load - add the entries of one committed shard; ERR_DATA (with
 * name:line in d) when it is damaged, ERR_NOMEM */
int mirror_load(struct mirror *m, const char *name, const char *data,
    size_t len, struct diag *d);

#endif
