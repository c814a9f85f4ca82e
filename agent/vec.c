/*
 * vec - the growable arrays of the whole tree
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out or a size would overflow.
 */
#include <stdint.h>
#include <stdlib.h>

#include "errors.h"
#include "vec.h"

/* vec_reserve - at least want slots */
int
vec_reserve(void **v, size_t *cap, size_t want, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (want <= *cap)
		return 0;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return ERR_NOMEM;
		ncap *= 2;
	}
	if (size == 0 || ncap > SIZE_MAX / size)
		return ERR_NOMEM;
	p = realloc(*v, ncap * size);
	if (p == NULL)
		return ERR_NOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

/* vec_grow - one more slot */
int
vec_grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	if (n == SIZE_MAX)
		return ERR_NOMEM;
	return vec_reserve(v, cap, n + 1, size);
}
