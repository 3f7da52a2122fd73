/* grow.h: the growing arrays of libciot-shape (traces, windows, messages, labels, values), grown one
 * way: doubling from a first size, so that appending n elements costs O(n) copies in all. */
#ifndef CIOT_SHAPE_GROW_H
#define CIOT_SHAPE_GROW_H

#include <stdlib.h>

/* Room for `need` elements of `size` bytes in p (holding *cap): p itself, or p reallocated with
 * *cap raised; NULL when memory ran out (p and *cap unchanged, p still the caller's). */
static inline void *ciot_shape_grow(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : first;
	while (n < need)
		n *= 2;
	void *grown = realloc(p, n * size);
	if (grown)
		*cap = n;
	return grown;
}

#endif
