/* test-cursor.c: the bounds-checked byte cursor of cursor.h, through which every parser in ciot
 * reads untrusted bytes. Checks the big- and little-endian readers' values on a fixed buffer, that
 * reads exactly at the end succeed and one byte past fails, that the error flag is sticky (a later
 * read that would fit still fails and returns zero, and ciot_cursor_left reports 0), that take and
 * skip reserve bytes or fail without moving, and that a sub-cursor is bounded by its length field's
 * extent and fails on both sides when the parent is too short. Each buffer is allocated with its
 * exact size, so the sanitizer build catches any read outside it.
 */
#include <stdlib.h>

#include "check.h"
#include "ciot/cursor.h"

static const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x80, 0xff, 0xfe, 0x7f };

/* A copy of `bytes`' first n bytes in a heap block of exactly n bytes. */
static uint8_t *exact_copy(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	if (n)
		memcpy(p, bytes, n);
	return p;
}

enum op { U8, BE16, BE24, BE32, LE16, LE32 };

static uint32_t read_op(struct ciot_cursor *c, enum op op)
{
	switch (op) {
	case U8: return ciot_cursor_u8(c);
	case BE16: return ciot_cursor_be16(c);
	case BE24: return ciot_cursor_be24(c);
	case BE32: return ciot_cursor_be32(c);
	case LE16: return ciot_cursor_le16(c);
	case LE32: return ciot_cursor_le32(c);
	}
	return 0;
}

static size_t op_size(enum op op)
{
	return op == U8 ? 1 : op == BE16 || op == LE16 ? 2 : op == BE24 ? 3 : 4;
}

static void test_values(void)
{
	static const struct {
		enum op op;
		size_t offset;
		uint32_t expected;
	} cases[] = {
		{ U8, 0, 0x01 },          { U8, 9, 0xff },          { BE16, 0, 0x0102 },
		{ BE16, 8, 0x80ff },      { BE16, 10, 0xfe7f },     { LE16, 0, 0x0201 },
		{ LE16, 8, 0xff80 },      { BE24, 0, 0x010203 },    { BE24, 7, 0x0880ff },
		{ BE24, 9, 0xfffe7f },    { BE32, 0, 0x01020304 },  { BE32, 8, 0x80fffe7f },
		{ LE32, 0, 0x04030201 },  { LE32, 8, 0x7ffeff80 },  { LE32, 4, 0x08070605 },
		{ BE32, 5, 0x06070880 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *buf = exact_copy(sizeof bytes);
		struct ciot_cursor c = ciot_cursor_make(buf, sizeof bytes);
		CHECK(ciot_cursor_skip(&c, cases[i].offset));
		CHECK_EQ_INT(read_op(&c, cases[i].op), cases[i].expected);
		CHECK(!c.err);
		CHECK_EQ_INT(c.off, cases[i].offset + op_size(cases[i].op));
		CHECK_EQ_INT(ciot_cursor_left(&c), sizeof bytes - cases[i].offset - op_size(cases[i].op));
		free(buf);
	}
}

/* Every reader on every buffer length: it succeeds exactly when its bytes fit, and a failure is
 * sticky, returns zero and leaves nothing to read. */
static void test_bounds(void)
{
	static const enum op ops[] = { U8, BE16, BE24, BE32, LE16, LE32 };
	for (size_t len = 0; len <= 5; len++)
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
			uint8_t *buf = exact_copy(len);
			struct ciot_cursor c = ciot_cursor_make(buf, len);
			uint32_t v = read_op(&c, ops[k]);
			bool fits = op_size(ops[k]) <= len;
			CHECK_EQ_INT(c.err, !fits);
			if (fits) {
				CHECK_EQ_INT(c.off, op_size(ops[k]));
			} else {
				CHECK_EQ_INT(v, 0);
				CHECK_EQ_INT(c.off, 0);
				CHECK_EQ_INT(ciot_cursor_left(&c), 0);
				/* sticky: even a read that would have fit fails now */
				CHECK_EQ_INT(ciot_cursor_u8(&c), 0);
				CHECK(c.err);
				CHECK(ciot_cursor_take(&c, 0) == NULL);
				CHECK(!ciot_cursor_skip(&c, 0));
			}
			free(buf);
		}
}

static void test_sequence(void)
{
	uint8_t *buf = exact_copy(sizeof bytes);
	struct ciot_cursor c = ciot_cursor_make(buf, sizeof bytes);
	CHECK_EQ_INT(ciot_cursor_left(&c), 12);
	CHECK_EQ_INT(ciot_cursor_be16(&c), 0x0102);
	CHECK_EQ_INT(ciot_cursor_le16(&c), 0x0403);
	CHECK(ciot_cursor_ptr(&c) == buf + 4);
	const uint8_t *t = ciot_cursor_take(&c, 4);
	CHECK(t == buf + 4);
	CHECK_EQ_INT(ciot_cursor_left(&c), 4);
	CHECK_EQ_INT(ciot_cursor_be32(&c), 0x80fffe7f);
	CHECK_EQ_INT(ciot_cursor_left(&c), 0);
	CHECK(!c.err);
	/* a zero-length take at the very end is in bounds */
	CHECK(ciot_cursor_take(&c, 0) == buf + 12);
	CHECK(!c.err);
	/* one byte past the end */
	CHECK_EQ_INT(ciot_cursor_u8(&c), 0);
	CHECK(c.err);
	CHECK_EQ_INT(c.off, 12);
	free(buf);

	/* a take larger than what is left does not move the cursor, and nothing after it succeeds */
	buf = exact_copy(sizeof bytes);
	c = ciot_cursor_make(buf, sizeof bytes);
	CHECK(ciot_cursor_skip(&c, 10));
	CHECK(!ciot_cursor_skip(&c, 3));
	CHECK(c.err);
	CHECK_EQ_INT(c.off, 10);
	CHECK_EQ_INT(ciot_cursor_be16(&c), 0);
	CHECK_EQ_INT(ciot_cursor_left(&c), 0);
	/* a huge length must not wrap around the bounds check */
	c = ciot_cursor_make(buf, sizeof bytes);
	CHECK(ciot_cursor_skip(&c, 1));
	CHECK(ciot_cursor_take(&c, SIZE_MAX) == NULL);
	CHECK(c.err);
	free(buf);
}

static void test_sub(void)
{
	uint8_t *buf = exact_copy(sizeof bytes);
	struct ciot_cursor c = ciot_cursor_make(buf, sizeof bytes);
	ciot_cursor_skip(&c, 2);
	struct ciot_cursor s = ciot_cursor_sub(&c, 4);
	CHECK(!s.err);
	CHECK(!c.err);
	CHECK(s.p == buf + 2);
	CHECK_EQ_INT(s.len, 4);
	CHECK_EQ_INT(s.off, 0);
	CHECK_EQ_INT(c.off, 6); /* the parent skipped the sub-cursor's bytes */
	CHECK_EQ_INT(ciot_cursor_be32(&s), 0x03040506);
	CHECK_EQ_INT(ciot_cursor_left(&s), 0);
	/* the sub-cursor ends at its own length even though the parent has more */
	CHECK_EQ_INT(ciot_cursor_u8(&s), 0);
	CHECK(s.err);
	CHECK(!c.err);
	CHECK_EQ_INT(ciot_cursor_u8(&c), 0x07);

	/* a nested sub-cursor inside a sub-cursor */
	c = ciot_cursor_make(buf, sizeof bytes);
	s = ciot_cursor_sub(&c, 8);
	struct ciot_cursor inner = ciot_cursor_sub(&s, 3);
	CHECK_EQ_INT(ciot_cursor_be24(&inner), 0x010203);
	CHECK(!ciot_cursor_skip(&inner, 1));
	struct ciot_cursor too_long = ciot_cursor_sub(&s, 6); /* 5 left in s */
	CHECK(too_long.err);
	CHECK(s.err);
	CHECK_EQ_INT(too_long.len, 0);
	CHECK(too_long.p == NULL);
	CHECK_EQ_INT(ciot_cursor_left(&too_long), 0);
	CHECK_EQ_INT(ciot_cursor_u8(&too_long), 0);
	CHECK(!c.err); /* the outer cursor is not affected by its child's child */
	CHECK_EQ_INT(ciot_cursor_left(&c), 4);

	/* a sub-cursor longer than the parent fails on both */
	c = ciot_cursor_make(buf, sizeof bytes);
	s = ciot_cursor_sub(&c, sizeof bytes + 1);
	CHECK(s.err);
	CHECK(c.err);
	CHECK_EQ_INT(ciot_cursor_left(&c), 0);
	/* a sub-cursor of exactly what is left, and an empty one */
	c = ciot_cursor_make(buf, sizeof bytes);
	s = ciot_cursor_sub(&c, sizeof bytes);
	CHECK(!s.err);
	CHECK_EQ_INT(ciot_cursor_left(&s), sizeof bytes);
	CHECK_EQ_INT(ciot_cursor_left(&c), 0);
	s = ciot_cursor_sub(&c, 0);
	CHECK(!s.err);
	CHECK_EQ_INT(ciot_cursor_left(&s), 0);
	CHECK(!ciot_cursor_skip(&s, 1));
	free(buf);
}

int main(void)
{
	test_values();
	test_bounds();
	test_sequence();
	test_sub();
	return check_summary("test-cursor");
}
