/* test-unshaper.c: the receiving side (shaping/lib/unshaper.c): the shaper's records fed back with
 * random read boundaries give every message intact and in order, cover dropped; records that break
 * the format are refused, and the stream stays refused; a message past the limit is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ciot/shape.h"

static char err[CIOT_ERRBUF_SIZE];

static void test_round_trip(void)
{
	struct ciot_shape_virtual *v;
	ciot_shape_virtual_new(&v, 99, err);
	const struct ciot_shape_env *env = ciot_shape_virtual_env(v);
	struct ciot_shape_params p = { .queue_limit = 1 << 20 };
	ciot_shape_dist_parse(&p.interval, "uniform:0.001,0.01", err);
	ciot_shape_dist_parse(&p.size, "normal:300,200", err);
	struct ciot_shaper *s;
	struct ciot_unshaper *u;
	CHECK_EQ_INT(ciot_shaper_new(&s, &p, env, 0, err), CIOT_OK);
	CHECK_EQ_INT(ciot_unshaper_new(&u, 1 << 20, err), CIOT_OK);
	/* the stream, whole, then fed in random pieces */
	size_t cap = 1 << 24, len = 0;
	uint8_t *stream = malloc(cap);
	enum { MESSAGES = 3000 };
	static size_t sizes[MESSAGES];
	uint8_t buf[4000];
	static uint8_t rec[CIOT_SHAPE_RECORD_MAX];
	struct ciot_shape_record r;
	unsigned seed = 5;
	for (int i = 0; i < MESSAGES; i++) {
		sizes[i] = 1 + (size_t)(rand_r(&seed) % (i % 10 == 0 ? 4000 : 300));
		for (size_t k = 0; k < sizes[i]; k++)
			buf[k] = (uint8_t)(i + k);
		CHECK_EQ_INT(ciot_shaper_send(s, buf, sizes[i], err), CIOT_OK);
		/* a few slots between sends, some of them cover */
		for (int k = rand_r(&seed) % 4; k >= 0; k--) {
			ciot_shaper_slot(s, ciot_shaper_deadline(s), rec, &r);
			memcpy(stream + len, rec, r.size);
			len += r.size;
		}
	}
	ciot_shaper_close(s);
	while (!ciot_shaper_stopped(s))
		if (ciot_shaper_slot(s, ciot_shaper_deadline(s), rec, &r)) {
			memcpy(stream + len, rec, r.size);
			len += r.size;
		}
	struct ciot_shape_stats ss;
	ciot_shaper_stats(s, &ss);
	CHECK(ss.cover_records > 100);
	int next = 0;
	bool intact = true;
	for (size_t at = 0; at < len;) {
		size_t n = 1 + (size_t)(rand_r(&seed) % 700);
		if (n > len - at)
			n = len - at;
		CHECK_EQ_INT(ciot_unshaper_feed(u, stream + at, n, err), CIOT_OK);
		at += n;
		const uint8_t *m;
		size_t mlen;
		while (ciot_unshaper_next(u, &m, &mlen)) {
			bool ok = next < MESSAGES && mlen == sizes[next];
			for (size_t k = 0; ok && k < mlen; k++)
				ok = m[k] == (uint8_t)(next + k);
			intact = intact && ok;
			next++;
		}
	}
	CHECK(intact);
	CHECK_EQ_INT(next, MESSAGES);
	struct ciot_unshape_stats us;
	ciot_unshaper_stats(u, &us);
	CHECK_EQ_INT(us.records, ss.records);
	CHECK_EQ_INT(us.cover_records, ss.cover_records);
	CHECK_EQ_INT(us.bytes, len);
	CHECK_EQ_INT(us.messages, MESSAGES);
	free(stream);
	ciot_shaper_free(s);
	ciot_unshaper_free(u);
	ciot_shape_dist_free(&p.interval);
	ciot_shape_dist_free(&p.size);
	ciot_shape_virtual_free(v);
}

static enum ciot_rc feed_one(const uint8_t *rec, size_t n, size_t max_message)
{
	struct ciot_unshaper *u;
	ciot_unshaper_new(&u, max_message, err);
	enum ciot_rc rc = ciot_unshaper_feed(u, rec, n, err);
	if (rc) {
		/* refused for good: the next bytes cannot be placed */
		static const uint8_t cover[] = { 1, 0, 0, 7, 0, 0, 9 };
		CHECK_EQ_INT(ciot_unshaper_feed(u, cover, sizeof cover, err), CIOT_ERR_FORMAT);
	}
	ciot_unshaper_free(u);
	return rc;
}

static void test_malformed(void)
{
	static const uint8_t ok[] = { 1, 3, 0, 8, 0, 2, 'h', 'i' };
	CHECK_EQ_INT(feed_one(ok, sizeof ok, 100), CIOT_OK);
	static const uint8_t version[] = { 2, 3, 0, 8, 0, 2, 'h', 'i' };
	CHECK_EQ_INT(feed_one(version, sizeof version, 100), CIOT_ERR_FORMAT);
	static const uint8_t flags[] = { 1, 7, 0, 8, 0, 2, 'h', 'i' };
	CHECK_EQ_INT(feed_one(flags, sizeof flags, 100), CIOT_ERR_FORMAT);
	static const uint8_t small[] = { 1, 0, 0, 5, 0, 0 };
	CHECK_EQ_INT(feed_one(small, sizeof small, 100), CIOT_ERR_FORMAT);
	static const uint8_t big[] = { 1, 0, 0x40, 1, 0, 0 };
	CHECK_EQ_INT(feed_one(big, sizeof big, 100), CIOT_ERR_FORMAT);
	static const uint8_t payload_past[] = { 1, 3, 0, 8, 0, 3, 'h', 'i' };
	CHECK_EQ_INT(feed_one(payload_past, sizeof payload_past, 100), CIOT_ERR_FORMAT);
	static const uint8_t cover_with_payload[] = { 1, 0, 0, 8, 0, 1, 'h', 'i' };
	CHECK_EQ_INT(feed_one(cover_with_payload, sizeof cover_with_payload, 100), CIOT_ERR_FORMAT);
	static const uint8_t cover_end[] = { 1, 2, 0, 8, 0, 0, 'h', 'i' };
	CHECK_EQ_INT(feed_one(cover_end, sizeof cover_end, 100), CIOT_ERR_FORMAT);
	static const uint8_t empty_data[] = { 1, 1, 0, 8, 0, 0, 'h', 'i' };
	CHECK_EQ_INT(feed_one(empty_data, sizeof empty_data, 100), CIOT_ERR_FORMAT);
	/* a message over the limit, even in fragments that each fit */
	static const uint8_t two[] = { 1, 1, 0, 8, 0, 2, 'h', 'i', 1, 3, 0, 8, 0, 2, 'h', 'i' };
	CHECK_EQ_INT(feed_one(two, sizeof two, 4), CIOT_OK);
	CHECK_EQ_INT(feed_one(two, sizeof two, 3), CIOT_ERR_FORMAT);
	/* a record cut short waits for its rest */
	struct ciot_unshaper *u;
	ciot_unshaper_new(&u, 100, err);
	const uint8_t *m;
	size_t mlen;
	CHECK_EQ_INT(ciot_unshaper_end(u, err), CIOT_OK);
	CHECK_EQ_INT(ciot_unshaper_feed(u, ok, 3, err), CIOT_OK);
	CHECK_EQ_INT(ciot_unshaper_end(u, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "inside a record header (3 of 6");
	CHECK(!ciot_unshaper_next(u, &m, &mlen));
	CHECK_EQ_INT(ciot_unshaper_feed(u, ok + 3, 4, err), CIOT_OK);
	CHECK_EQ_INT(ciot_unshaper_end(u, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "inside a record (1 bytes missing)");
	CHECK(!ciot_unshaper_next(u, &m, &mlen));
	CHECK_EQ_INT(ciot_unshaper_feed(u, ok + 7, 1, err), CIOT_OK);
	CHECK(ciot_unshaper_next(u, &m, &mlen));
	CHECK_EQ_INT(mlen, 2);
	CHECK(memcmp(m, "hi", 2) == 0);
	CHECK_EQ_INT(ciot_unshaper_end(u, err), CIOT_OK);
	/* a first fragment without its last: the end is cut inside a message */
	static const uint8_t first[] = { 1, 1, 0, 8, 0, 2, 'h', 'i' };
	CHECK_EQ_INT(ciot_unshaper_feed(u, first, sizeof first, err), CIOT_OK);
	CHECK_EQ_INT(ciot_unshaper_end(u, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "inside a message");
	ciot_unshaper_free(u);
}

int main(void)
{
	test_round_trip();
	test_malformed();
	return check_summary("shape-unshaper");
}
