/* test-simulate.c: the simulation of shaping/lib/simulate.c on synthetic traces: every message byte
 * leaves in data records, cover fills the rest, the measured overhead matches the analytic
 * expectation, delays are what the schedule implies, a full queue refuses and counts, the shaped
 * pcap holds frames of exactly the records' sizes (read back with libciot's own reader), and the
 * original library's header makes data and cover records differ in size.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ciot/addr.h"
#include "ciot/shape-score.h"

static char err[CIOT_ERRBUF_SIZE];

static void options(struct ciot_sim_options *o, const char *interval, const char *size, size_t limit)
{
	memset(o, 0, sizeof *o);
	for (int k = 0; k < 2; k++) {
		ciot_shape_dist_parse(&o->params[k].interval, interval, err);
		ciot_shape_dist_parse(&o->params[k].size, size, err);
		o->params[k].queue_limit = limit;
	}
	o->seed = 5;
	ciot_addr_parse("192.0.2.1", o->server);
}

static void free_options(struct ciot_sim_options *o)
{
	for (int k = 0; k < 2; k++) {
		ciot_shape_dist_free(&o->params[k].interval);
		ciot_shape_dist_free(&o->params[k].size);
	}
}

/* A device that sends `n` messages of `size` payload bytes every `gap` seconds from t = 100 s. */
static void device_trace(struct ciot_trace *t, int n, uint32_t size, double gap)
{
	memset(t, 0, sizeof *t);
	ciot_addr_parse("10.0.0.2", t->device);
	for (int i = 0; i < n; i++) {
		struct ciot_trace_packet p = { (int64_t)((100 + gap * i) * 1e9), size, size + 54, CIOT_TRACE_FROM_DEVICE,
					       CIOT_TRACE_ORIGINAL };
		ciot_trace_append(t, &p, err);
	}
	ciot_trace_add_span(t, 100000000000, (int64_t)((100 + gap * n) * 1e9), err);
}

static void test_conservation(void)
{
	struct ciot_trace t;
	device_trace(&t, 1000, 300, 1.0);
	struct ciot_sim_options o;
	options(&o, "uniform:0.05,0.15", "uniform:100,400", 1 << 20);
	struct ciot_sim_result r;
	CHECK_EQ_INT(ciot_shape_simulate(&t, &o, NULL, &r, err), CIOT_OK);
	uint64_t records[2] = { 0, 0 };
	for (size_t i = 0; i < r.shaped.n; i++) {
		const struct ciot_trace_packet *p = &r.shaped.p[i];
		CHECK(p->payload >= 100 && p->payload <= 400);
		CHECK_EQ_INT(p->wire, p->payload + 66);
		records[p->dir]++;
		if (i)
			CHECK(p->ts_ns >= r.shaped.p[i - 1].ts_ns);
	}
	CHECK_EQ_INT(r.dir[0].messages, 1000);
	/* every message is listed once, sent after it was queued, with its size */
	CHECK_EQ_INT(r.nmessages, 1000);
	uint64_t bytes = 0;
	for (size_t i = 0; i < r.nmessages; i++) {
		CHECK(r.messages[i].sent_ns > r.messages[i].queued_ns);
		CHECK_EQ_INT(r.messages[i].dir, CIOT_TRACE_FROM_DEVICE);
		bytes += r.messages[i].bytes;
	}
	CHECK_EQ_INT(bytes, 300000);
	CHECK_EQ_INT(r.dir[0].rejected, 0);
	CHECK_EQ_INT(r.dir[1].messages, 0);
	CHECK_EQ_INT(records[0], r.dir[0].records);
	CHECK_EQ_INT(records[1], r.dir[1].records);
	CHECK(r.dir[1].cover_records == r.dir[1].records); /* nothing to send to the device: all cover */
	/* about 1000 s / 0.1 s records each way; every message needs at most 2 of them */
	CHECK(r.dir[0].records > 9500 && r.dir[0].records < 10600);
	CHECK(r.dir[0].records - r.dir[0].cover_records >= 1000);
	/* the overhead against its expectation, within 2% over 1000 s */
	CHECK(fabs(r.overhead_bps / r.expected_overhead_bps - 1) < 0.02);
	CHECK(fabs(r.observed_s - 1000) < 1e-6);
	CHECK(fabs(r.original_bps - 354.0) < 1e-6);
	/* a message waits for the next slot or two: never more than a few intervals */
	CHECK(r.dir[0].delay_ms[0] > 0 && r.dir[0].delay_ms[3] < 600);
	CHECK(r.dir[0].delay_ms[0] <= r.dir[0].delay_ms[1] && r.dir[0].delay_ms[1] <= r.dir[0].delay_ms[2]);
	ciot_sim_result_free(&r);
	/* the same seed, the same trace */
	struct ciot_sim_result again;
	CHECK_EQ_INT(ciot_shape_simulate(&t, &o, NULL, &again, err), CIOT_OK);
	CHECK_EQ_INT(again.dir[0].records, records[0]);
	ciot_sim_result_free(&again);
	free_options(&o);
	ciot_trace_free(&t);
}

static void test_queue_limit(void)
{
	/* 10 KB every 0.1 s against 500 B/s of room: the queue fills and refuses, and counts */
	struct ciot_trace t;
	device_trace(&t, 100, 10000, 0.1);
	struct ciot_sim_options o;
	options(&o, "constant:0.1", "constant:56", 50000);
	struct ciot_sim_result r;
	CHECK_EQ_INT(ciot_shape_simulate(&t, &o, NULL, &r, err), CIOT_OK);
	CHECK_EQ_INT(r.dir[0].messages + r.dir[0].rejected, 100);
	CHECK(r.dir[0].rejected > 80);
	CHECK(r.dir[0].queue_peak_bytes <= 50000);
	CHECK(r.dir[0].drain_s > 50);
	ciot_sim_result_free(&r);
	free_options(&o);
	ciot_trace_free(&t);
}

static void test_pcap(void)
{
	struct ciot_trace t;
	device_trace(&t, 50, 200, 0.5);
	struct ciot_sim_options o;
	options(&o, "uniform:0.01,0.2", "uniform:60,900", 1 << 20);
	o.tls_overhead = CIOT_SIM_TLS13_OVERHEAD;
	char dir[] = "/tmp/ciot-sim-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[64];
	snprintf(path, sizeof path, "%s/shaped.pcap", dir);
	struct ciot_sim_result r;
	CHECK_EQ_INT(ciot_shape_simulate(&t, &o, path, &r, err), CIOT_OK);
	struct ciot_trace back = { 0 };
	memcpy(back.device, t.device, 16);
	CHECK_EQ_INT(ciot_trace_read(&back, path, err), CIOT_OK);
	CHECK_EQ_INT(back.n, r.shaped.n);
	bool same = back.n == r.shaped.n;
	for (size_t i = 0; same && i < back.n; i++)
		same = back.p[i].wire == r.shaped.p[i].wire && back.p[i].payload == r.shaped.p[i].payload &&
		       back.p[i].dir == r.shaped.p[i].dir && back.p[i].ts_ns / 1000 == r.shaped.p[i].ts_ns / 1000;
	CHECK(same);
	CHECK_EQ_INT(back.not_ip, 0);
	/* an existing file is never overwritten */
	struct ciot_sim_result again;
	CHECK_EQ_INT(ciot_shape_simulate(&t, &o, path, &again, err), CIOT_ERR_IO);
	unlink(path);
	rmdir(dir);
	ciot_trace_free(&back);
	ciot_sim_result_free(&r);
	/* the legacy header: data records' sizes follow their payload's digits, cover's the sample's */
	free_options(&o);
	options(&o, "constant:0.1", "constant:120", 1 << 20);
	o.legacy_header = true;
	CHECK_EQ_INT(ciot_shape_simulate(&t, &o, NULL, &r, err), CIOT_OK);
	size_t cover_other = 0, last_fragments = 0;
	for (size_t i = 0; i < r.shaped.n; i++) {
		const struct ciot_trace_packet *p = &r.shaped.p[i];
		if (p->kind == CIOT_TRACE_COVER)
			cover_other += p->payload != 120 + 6;
		else
			last_fragments += p->payload == 120 + 5; /* 114 payload bytes after the 6 of ciot's
								   * header: 3 digits; 86 left: 2 digits */
	}
	CHECK_EQ_INT(cover_other, 0);
	CHECK_EQ_INT(last_fragments, 50);
	ciot_sim_result_free(&r);
	free_options(&o);
	ciot_trace_free(&t);
}

int main(void)
{
	test_conservation();
	test_queue_limit();
	test_pcap();
	return check_summary("shape-simulate");
}
