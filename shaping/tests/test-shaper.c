/* test-shaper.c: the shaper (shaping/lib/shaper.c) in virtual time: slots on absolute deadlines
 * that do not drift when the caller is late, missed slots skipped rather than sent in a burst,
 * every record exactly its sampled size with the fixed header, fragmentation of a long message,
 * cover when nothing waits, the bounded queue, and close draining then stopping at a slot.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ciot/shape.h"

static struct ciot_shape_virtual *v;
static const struct ciot_shape_env *env;
static char err[CIOT_ERRBUF_SIZE];

static struct ciot_shaper *make(const char *interval, const char *size, size_t limit)
{
	struct ciot_shape_params p = { .queue_limit = limit };
	if (ciot_shape_dist_parse(&p.interval, interval, err) || ciot_shape_dist_parse(&p.size, size, err))
		return NULL;
	struct ciot_shaper *s;
	enum ciot_rc rc = ciot_shaper_new(&s, &p, env, 1000000000, err);
	ciot_shape_dist_free(&p.interval);
	ciot_shape_dist_free(&p.size);
	return rc ? NULL : s;
}

static unsigned header_size(const uint8_t *r)
{
	return (unsigned)(r[2] << 8 | r[3]);
}

static unsigned header_payload(const uint8_t *r)
{
	return (unsigned)(r[4] << 8 | r[5]);
}

static void test_schedule(void)
{
	struct ciot_shaper *s = make("constant:0.05", "constant:120", 1 << 20);
	CHECK(s != NULL);
	if (!s)
		return;
	static uint8_t rec[CIOT_SHAPE_RECORD_MAX];
	struct ciot_shape_record r;
	CHECK_EQ_INT(ciot_shaper_deadline(s), 1050000000);
	CHECK(!ciot_shaper_slot(s, 1049999999, rec, &r)); /* not yet */
	/* served 30 ms late every time: the deadlines stay on the 50 ms grid */
	for (int k = 1; k <= 100; k++) {
		int64_t due = 1000000000 + k * 50000000LL;
		CHECK_EQ_INT(ciot_shaper_deadline(s), due);
		CHECK(ciot_shaper_slot(s, due + 30000000, rec, &r));
		CHECK_EQ_INT(r.slot_ns, due);
		CHECK(r.cover);
		CHECK_EQ_INT(r.size, 120);
		CHECK_EQ_INT(rec[0], CIOT_SHAPE_VERSION);
		CHECK_EQ_INT(rec[1], 0);
		CHECK_EQ_INT(header_size(rec), 120);
		CHECK_EQ_INT(header_payload(rec), 0);
	}
	/* 260 ms late: the five slots that passed are skipped, not sent at once */
	int64_t due = ciot_shaper_deadline(s);
	CHECK(ciot_shaper_slot(s, due + 260000000, rec, &r));
	CHECK(!ciot_shaper_slot(s, due + 260000000, rec, &r));
	CHECK_EQ_INT(ciot_shaper_deadline(s), due + 300000000);
	struct ciot_shape_stats st;
	ciot_shaper_stats(s, &st);
	CHECK_EQ_INT(st.missed_slots, 5);
	CHECK_EQ_INT(st.records, 101);
	CHECK_EQ_INT(st.cover_records, 101);
	ciot_shaper_free(s);
}

static void test_records(void)
{
	struct ciot_shaper *s = make("uniform:0.01,0.02", "uniform:50,200", 100000);
	CHECK(s != NULL);
	if (!s)
		return;
	uint8_t msg[5000];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7);
	CHECK_EQ_INT(ciot_shaper_send(s, msg, sizeof msg, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shaper_send(s, msg, 10, err), CIOT_OK);
	static uint8_t rec[CIOT_SHAPE_RECORD_MAX];
	struct ciot_shape_record r;
	size_t got = 0, records = 0;
	int ended = 0;
	uint64_t size_sum = 0;
	int64_t prev = 0;
	while (ended < 2) {
		int64_t t = ciot_shaper_deadline(s);
		CHECK(t - prev >= 10000000 || prev == 0);
		prev = t;
		CHECK(ciot_shaper_slot(s, t, rec, &r));
		records++;
		CHECK(r.size >= 50 && r.size <= 200);
		CHECK_EQ_INT(header_size(rec), r.size);
		CHECK_EQ_INT(header_payload(rec), r.payload);
		CHECK(!r.cover);
		CHECK_EQ_INT(rec[1] & CIOT_SHAPE_FLAG_DATA, CIOT_SHAPE_FLAG_DATA);
		size_sum += r.size;
		if (ended == 0) {
			CHECK(memcmp(rec + CIOT_SHAPE_HEADER, msg + got, r.payload) == 0);
			got += r.payload;
			/* a fragment fills its record unless it is the message's last */
			if (!r.message_end)
				CHECK_EQ_INT(r.payload, r.size - CIOT_SHAPE_HEADER);
		} else {
			CHECK_EQ_INT(r.payload, 10);
		}
		if (r.message_end) {
			CHECK_EQ_INT(r.message, (uint64_t)ended);
			CHECK_EQ_INT(rec[1], CIOT_SHAPE_FLAG_DATA | CIOT_SHAPE_FLAG_END);
			ended++;
		}
	}
	CHECK_EQ_INT(got, sizeof msg);
	/* then cover: the same sizes, padding not zeros */
	int64_t t = ciot_shaper_deadline(s);
	CHECK(ciot_shaper_slot(s, t, rec, &r));
	CHECK(r.cover);
	size_t zeros = 0;
	for (size_t i = CIOT_SHAPE_HEADER; i < r.size; i++)
		zeros += rec[i] == 0;
	CHECK(zeros < (r.size - CIOT_SHAPE_HEADER) / 8);
	struct ciot_shape_stats st;
	ciot_shaper_stats(s, &st);
	CHECK_EQ_INT(st.records, records + 1);
	CHECK_EQ_INT(st.payload_bytes, sizeof msg + 10);
	CHECK_EQ_INT(st.record_bytes, size_sum + r.size); /* the data records and the cover one */
	CHECK_EQ_INT(st.messages_done, 2);
	CHECK_EQ_INT(st.queued_bytes, 0);
	CHECK_EQ_INT(st.queue_peak_bytes, sizeof msg + 10);
	ciot_shaper_free(s);
}

static void test_queue_and_close(void)
{
	struct ciot_shaper *s = make("constant:1", "constant:1006", 2500);
	CHECK(s != NULL);
	if (!s)
		return;
	uint8_t msg[2000] = { 0 };
	CHECK_EQ_INT(ciot_shaper_send(s, msg, 2000, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shaper_send(s, msg, 501, err), CIOT_ERR_NOSPACE); /* never dropped silently */
	CHECK_EQ_INT(ciot_shaper_send(s, msg, 500, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shaper_send(s, msg, 0, err), CIOT_ERR_ARG);
	ciot_shaper_close(s);
	CHECK_EQ_INT(ciot_shaper_send(s, msg, 1, err), CIOT_ERR_ARG);
	static uint8_t rec[CIOT_SHAPE_RECORD_MAX];
	struct ciot_shape_record r;
	/* 2000 bytes in 1000-byte payloads, then 500: three slots, then the first slot with nothing
	 * queued stops the shaper, at a slot */
	int records = 0;
	while (!ciot_shaper_stopped(s)) {
		int64_t t = ciot_shaper_deadline(s);
		if (ciot_shaper_slot(s, t, rec, &r)) {
			records++;
			CHECK(!r.cover);
		}
	}
	CHECK_EQ_INT(records, 3);
	CHECK_EQ_INT(ciot_shaper_deadline(s), INT64_MAX);
	ciot_shaper_free(s);
	/* bounds that leave nothing */
	struct ciot_shape_params p = { .queue_limit = 10 };
	ciot_shape_dist_parse(&p.interval, "constant:1", err);
	ciot_shape_dist_parse(&p.size, "constant:100", err);
	p.size.max = 5;
	CHECK_EQ_INT(ciot_shaper_new(&s, &p, env, 0, err), CIOT_ERR_ARG);
}

int main(void)
{
	if (ciot_shape_virtual_new(&v, 1, err))
		return 1;
	env = ciot_shape_virtual_env(v);
	test_schedule();
	test_records();
	test_queue_and_close();
	ciot_shape_virtual_free(v);
	return check_summary("shape-shaper");
}
