/*
 * vec - the growable arrays of the whole tree
 *
 * An array is a pointer, a count and a capacity kept by the caller;
 * vec_grow makes room for one more element, vec_reserve for a given
 * number. Capacities double (from 16), every size computation is
 * checked for overflow, and a failure leaves the array as it was.
 */
#ifndef SPLITSYNC_VEC_H
#define SPLITSYNC_VEC_H

#include <stddef.h>

/* vec_grow - room for one more element of size bytes in *v, holding n
 * of its *cap; ERR_NOMEM (nothing changed) */
int vec_grow(void **v, size_t *cap, size_t n, size_t size);
/* vec_reserve - room for at least want elements in all; ERR_NOMEM */
int vec_reserve(void **v, size_t *cap, size_t want, size_t size);

#endif
