/* ciot/cursor.h: the one way ciot reads untrusted bytes, in every library (analysis, capture,
 * shaping).
 *
 * A cursor is a window (pointer, length, offset) over bytes that came from outside: a packet, a
 * file header, later a TLS record or a certificate. Every read checks the window first; a read past
 * the end sets a sticky error flag and returns zero, so a parser can read a whole header and test
 * `c.err` once instead of after every field. Sub-cursors narrow the window to a length field's
 * extent, so a nested structure can never read outside its parent. Nothing here allocates.
 */
#ifndef CIOT_CURSOR_H
#define CIOT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ciot_cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

static inline struct ciot_cursor ciot_cursor_make(const uint8_t *p, size_t len)
{
	struct ciot_cursor c = { p, len, 0, false };
	return c;
}

static inline size_t ciot_cursor_left(const struct ciot_cursor *c)
{
	return c->err ? 0 : c->len - c->off;
}

static inline const uint8_t *ciot_cursor_ptr(const struct ciot_cursor *c)
{
	return c->p + c->off;
}

/* Reserves n bytes and returns where they start, or NULL (and sets err) when fewer are left. */
static inline const uint8_t *ciot_cursor_take(struct ciot_cursor *c, size_t n)
{
	if (c->err || n > c->len - c->off) {
		c->err = true;
		return NULL;
	}
	const uint8_t *at = c->p + c->off;
	c->off += n;
	return at;
}

static inline bool ciot_cursor_skip(struct ciot_cursor *c, size_t n)
{
	return ciot_cursor_take(c, n) != NULL;
}

static inline uint8_t ciot_cursor_u8(struct ciot_cursor *c)
{
	const uint8_t *b = ciot_cursor_take(c, 1);
	return b ? b[0] : 0;
}

static inline uint16_t ciot_cursor_be16(struct ciot_cursor *c)
{
	const uint8_t *b = ciot_cursor_take(c, 2);
	return b ? (uint16_t)(b[0] << 8 | b[1]) : 0;
}

static inline uint32_t ciot_cursor_be24(struct ciot_cursor *c)
{
	const uint8_t *b = ciot_cursor_take(c, 3);
	return b ? (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2] : 0;
}

static inline uint32_t ciot_cursor_be32(struct ciot_cursor *c)
{
	const uint8_t *b = ciot_cursor_take(c, 4);
	return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] : 0;
}

static inline uint16_t ciot_cursor_le16(struct ciot_cursor *c)
{
	const uint8_t *b = ciot_cursor_take(c, 2);
	return b ? (uint16_t)(b[1] << 8 | b[0]) : 0;
}

static inline uint32_t ciot_cursor_le32(struct ciot_cursor *c)
{
	const uint8_t *b = ciot_cursor_take(c, 4);
	return b ? (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0] : 0;
}

/* One field at offset `at` of [p, p+n), for a parser that walks its structure by offsets (a
 * record header, a magic number): the same bounds check, 0 when the field is not all there. */
static inline uint16_t ciot_be16_at(const uint8_t *p, size_t n, size_t at)
{
	struct ciot_cursor c = ciot_cursor_make(p, n);
	ciot_cursor_skip(&c, at);
	return ciot_cursor_be16(&c);
}

static inline uint32_t ciot_be24_at(const uint8_t *p, size_t n, size_t at)
{
	struct ciot_cursor c = ciot_cursor_make(p, n);
	ciot_cursor_skip(&c, at);
	return ciot_cursor_be24(&c);
}

static inline uint32_t ciot_be32_at(const uint8_t *p, size_t n, size_t at)
{
	struct ciot_cursor c = ciot_cursor_make(p, n);
	ciot_cursor_skip(&c, at);
	return ciot_cursor_be32(&c);
}

static inline uint32_t ciot_le32_at(const uint8_t *p, size_t n, size_t at)
{
	struct ciot_cursor c = ciot_cursor_make(p, n);
	ciot_cursor_skip(&c, at);
	return ciot_cursor_le32(&c);
}

/* A cursor over the next n bytes, which the parent skips; err on both when fewer are left. */
static inline struct ciot_cursor ciot_cursor_sub(struct ciot_cursor *c, size_t n)
{
	const uint8_t *at = ciot_cursor_take(c, n);
	struct ciot_cursor s = { at, at ? n : 0, 0, at == NULL };
	return s;
}

#endif
