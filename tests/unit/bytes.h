/* bytes.h: a growable byte buffer for building capture files and frames in the unit tests, field
 * by field in either byte order, so each test shows exactly which bytes the parser is given.
 */
#ifndef CIOT_TEST_BYTES_H
#define CIOT_TEST_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bytes {
	uint8_t *d;
	size_t n, cap;
	bool be; /* byte order of bytes_u16/u32/u64 */
};

static inline void bytes_put(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n)
			cap *= 2;
		uint8_t *d = realloc(b->d, cap);
		if (!d) {
			perror("realloc");
			exit(2);
		}
		b->d = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->d + b->n, p, n);
	b->n += n;
}

static inline void bytes_u8(struct bytes *b, uint8_t v)
{
	bytes_put(b, &v, 1);
}

static inline void bytes_fill(struct bytes *b, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bytes_u8(b, v);
}

static inline void bytes_u16(struct bytes *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	if (!b->be) {
		x[0] = (uint8_t)v;
		x[1] = (uint8_t)(v >> 8);
	}
	bytes_put(b, x, 2);
}

static inline void bytes_u32(struct bytes *b, uint32_t v)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[b->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	bytes_put(b, x, 4);
}

static inline void bytes_u64(struct bytes *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[b->be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
	bytes_put(b, x, 8);
}

/* Overwrites a 32-bit field written earlier at offset `at`. */
static inline void bytes_set_u32(struct bytes *b, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->d[at + (size_t)(b->be ? 3 - i : i)] = (uint8_t)(v >> (8 * i));
}

static inline void bytes_set_u16(struct bytes *b, size_t at, uint16_t v)
{
	b->d[at + (b->be ? 0u : 1u)] = (uint8_t)(v >> 8);
	b->d[at + (b->be ? 1u : 0u)] = (uint8_t)v;
}

static inline void bytes_free(struct bytes *b)
{
	free(b->d);
	memset(b, 0, sizeof *b);
}

#endif
