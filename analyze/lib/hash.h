/* hash.h: the one byte hash of the library (FNV-1a, 32 bits), for tables that compare the bytes
 * themselves on a match: interned names, certificates. */
#ifndef CIOT_HASH_H
#define CIOT_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t ciot_fnv1a(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
