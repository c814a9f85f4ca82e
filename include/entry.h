/*
 * entry - one directory entry as read from LDIF or LDAP
 *
 * An entry owns copies of its DN, attribute names and values (malloc).
 * Values are byte strings that may hold anything, NUL included: len is
 * authoritative; a terminating NUL is added after the bytes for
 * convenience only. Attribute names are compared case-insensitively and
 * without options: "member;range=0-1499" is found as "member", and the
 * values of an attribute are those of every attribute of its base name.
 *
 * An entry view is the form an entry travels in from a source to the
 * mapping: borrowed, built in a source's reusable scratch (a viewbuf),
 * its values grouped by the index an attrset gives their attribute's
 * base name, so no value is looked up by name and nothing is allocated
 * per value. struct entry, the owning by-name form, serves tests, the
 * LDIF writer and code that has not moved to views
 * (viewbuf_from_entry).
 */
#ifndef SPLITSYNC_ENTRY_H
#define SPLITSYNC_ENTRY_H

#include <stddef.h>

struct entry_value {
	char *data;     /* len bytes, then a NUL */
	size_t len;
};

struct entry_attr {
	char *name;     /* as received, options included */
	struct entry_value *values;
	size_t count;
	size_t cap;
};

struct entry {
	char *dn;
	char *origin;   /* "file:line" for LDIF entries, else NULL */
	struct entry_attr *attrs;
	size_t count;
	size_t cap;
};

struct attrset;

/* Every value of one attribute base name, in the order they came. */
struct entry_vals {
	const struct entry_value *v;
	size_t n;
};

/* One entry as a source hands it on; everything is borrowed from the
 * viewbuf that built it (and the entry it was made from), valid until
 * the viewbuf is used again. Values are NUL-terminated after their
 * len bytes; a value may hold a NUL byte itself. */
struct entry_view {
	const char *dn;                 /* NUL-terminated */
	size_t dnlen;
	const char *origin;             /* "file:line", or NULL */
	const struct attrset *set;
	const struct entry_vals *attrs; /* attrset_count(set) slots, by
	                                   index; n 0 when absent */
};

/* A source's scratch for building views, one at a time. The fields are
 * its own; the scratch grows to the largest entry and is reused. */
struct viewbuf {
	const struct attrset *set;
	struct entry_view view;
	struct entry_vals *slots;       /* one per name of set */
	size_t *at;                     /* per slot, while arranging */
	size_t capslots;
	struct viewbuf_value *pend;     /* values in arrival order */
	size_t npend, cappend;
	struct entry_value *vals;       /* the same, grouped by slot */
	size_t capvals;
	char *bytes;                    /* DN, origin and values copied */
	size_t len, cap;
	size_t dnoff, originoff;        /* SIZE_MAX: origin NULL */
	const char *dn;                 /* not copied (viewbuf_from_entry) */
};

/* viewbuf_init - an empty scratch for views over set (may be NULL
 * until viewbuf_from_entry names one); nothing allocated yet */
void viewbuf_init(struct viewbuf *vb, const struct attrset *set);
/* viewbuf_free - release the scratch; views it gave are gone */
void viewbuf_free(struct viewbuf *vb);
/* viewbuf_begin - start a new view of the entry named by the dnlen
 * bytes at dn (copied, NUL added), origin copied too (may be NULL);
 * the previous view is gone. ERR_NOMEM */
int viewbuf_begin(struct viewbuf *vb, const char *dn, size_t dnlen,
    const char *origin);
/* viewbuf_add - one value of attribute name (namelen bytes, options
 * allowed), copied into the scratch with a NUL after it; a name the set
 * does not hold is skipped. ERR_NOMEM (the view as it was) */
int viewbuf_add(struct viewbuf *vb, const char *name, size_t namelen,
    const void *value, size_t len);
/* viewbuf_add_slot - one value of the attribute set numbers slot
 * (ATTRSET_NONE: skipped), copied as viewbuf_add copies; for a source
 * that resolved an attribute's name once for all its values. ERR_NOMEM
 * (the view as it was) */
int viewbuf_add_slot(struct viewbuf *vb, size_t slot, const void *value,
    size_t len);
/* viewbuf_view - the view begun, values grouped by index in the order
 * added; borrowed until the next viewbuf_begin, viewbuf_add or
 * viewbuf_from_entry. Cannot fail. */
const struct entry_view *viewbuf_view(struct viewbuf *vb);
/* viewbuf_from_entry - a view of e over set, ready for viewbuf_view;
 * its DN and values are e's own (e must outlive the view): nothing is
 * copied, the values come attribute by attribute in e's order.
 * ERR_NOMEM */
int viewbuf_from_entry(struct viewbuf *vb, const struct attrset *set,
    const struct entry *e);

/* entry_source_fn - called once per entry by a source; the entry is
 * borrowed for the duration of the call. A negative return stops the
 * source, which returns that value. */
typedef int (*entry_source_fn)(const struct entry *e, void *ctx);
/* entry_view_fn - the same for a source of views: the view and all it
 * points to are borrowed for the duration of the call */
typedef int (*entry_view_fn)(const struct entry_view *v, void *ctx);

/* entry_new - empty entry with a copy of dn; ERR_NOMEM */
int entry_new(struct entry **out, const char *dn, const char *origin);
void entry_free(struct entry *e);
/* entry_dup - deep copy of e into *out (caller frees); ERR_NOMEM */
int entry_dup(const struct entry *e, struct entry **out);
/* entry_equal - 1 when a and b have the same DN and the same attributes
 * with the same values in the same order, else 0 */
int entry_equal(const struct entry *a, const struct entry *b);
/* entry_add_value - append a copy of one value to attribute name
 * (created on first use); ERR_NOMEM */
int entry_add_value(struct entry *e, const char *name, const void *data,
    size_t len);
/* entry_attr_get - first attribute whose base name (before ';') equals
 * name, case-insensitively, as stored (its name keeps its options);
 * borrowed, or NULL. Only the first: an entry may hold "mail" and
 * "mail;lang-de" side by side, so values are read with
 * entry_value_first, which sees them all. */
const struct entry_attr *entry_attr_get(const struct entry *e,
    const char *name);

/* Where entry_value_next goes on from; the caller's, no cleanup. */
struct entry_iter {
	const struct entry *e;
	const char *name;
	size_t attr;            /* the attribute being read */
	size_t value;           /* its next value */
};

/* entry_value_first - the first value of the attributes whose base name
 * equals name (options ignored, case-insensitively; NULL matches none),
 * it set up for entry_value_next; borrowed, or NULL when there is none.
 * The values come attribute by attribute in the entry's order, each
 * attribute's in its order:
 *
 *	for (v = entry_value_first(e, "mail", &it); v;
 *	    v = entry_value_next(&it))
 */
const struct entry_value *entry_value_first(const struct entry *e,
    const char *name, struct entry_iter *it);
/* entry_value_next - the value after the last one given, or NULL */
const struct entry_value *entry_value_next(struct entry_iter *it);
/* entry_attr_name_eq - base-name comparison used by entry_attr_get */
int entry_attr_name_eq(const char *attr, const char *name);
/* entry_has_value - 1 when attribute name has a value equal to data,
 * compared ASCII-case-insensitively, else 0 */
int entry_has_value(const struct entry *e, const char *name,
    const char *data, size_t len);
/* entry_dn_normalize - the normal form of a DN for comparison (dn.h:
 * RFC 4514 syntax, attribute types and values lowercased) into *out
 * (free()); ERR_INVAL when dn is not a valid DN, ERR_NOMEM */
int entry_dn_normalize(const char *dn, char **out);

#endif
