/*
 * ldif - the LDIF file source (RFC 2849 content records)
 *
 * Reads attrval records: comments, folded lines, base64 values ("::"),
 * the optional "version: 1" line. A URL value ("attr:< file:...") and
 * change records ("changetype:") are refused: splitsync reads a
 * directory, it does not apply changes. The whole file is parsed before
 * any entry is handed out, so a malformed file delivers nothing.
 * Errors name file:line. Entries are handed out as struct entry or as
 * views over an attrset (entry.h), built in a scratch the reader
 * reuses from entry to entry.
 */
#ifndef SPLITSYNC_LDIF_H
#define SPLITSYNC_LDIF_H

#include <stddef.h>
#include "attrset.h"
#include "buf.h"
#include "diag.h"
#include "entry.h"

/* ldif_read_file - parse path and call fn for each entry in file order.
 * ERR_NOINPUT when the file is missing or unreadable, ERR_CONFIG when
 * it is not a regular file of at most FILE_MAX_LDIF bytes, ERR_UNAVAIL
 * when it changed while read (file.h), ERR_DATA when it is malformed
 * (the reason is in d), ERR_NOMEM, or what fn returned if negative. */
int ldif_read_file(const char *path, entry_source_fn fn, void *ctx,
    struct diag *d);
/* ldif_read_buffer - the same on bytes in memory; name is used in
 * messages ("name:line") */
int ldif_read_buffer(const char *name, const char *data, size_t len,
    entry_source_fn fn, void *ctx, struct diag *d);

/* ldif_read_file_view - the same as ldif_read_file, each entry handed
 * to fn as a view over set (its origin "path:line"), borrowed for the
 * call; the same errors */
int ldif_read_file_view(const char *path, const struct attrset *set,
    entry_view_fn fn, void *ctx, struct diag *d);
/* ldif_read_buffer_view - the same on bytes in memory */
int ldif_read_buffer_view(const char *name, const char *data, size_t len,
    const struct attrset *set, entry_view_fn fn, void *ctx,
    struct diag *d);

/* ldif_write_entry - append e to out as one LDIF content record (values
 * that are not SAFE-STRINGs base64-encoded, a blank line after), the
 * attributes in their order; ERR_NOMEM */
int ldif_write_entry(struct buf *out, const struct entry *e);

#endif
