/* test-link-wire.c: what the link puts on the wire, read from a capture of the loopback interface
 * (libpcap, a BPF filter on the test's ports), not from the library's counters.
 *
 * Two links over TCP on 127.0.0.1, one in clear and one inside TLS, each shaped both ways with
 * sizes uniform on [64, 1400] bytes and intervals uniform on [2, 6] ms (time enough between
 * records for TCP_NODELAY to send each alone), each end logging the records its shaper produced
 * through the on_record hook, while application threads send messages in bursts with idle times
 * between them. From the capture, per direction: the TCP stream is followed by sequence number
 * from the SYN to the FIN (so no segment is missing, duplicates counted), and every segment that
 * carries payload must be exactly one record: in clear, one whole record whose header length is the
 * segment's payload length, its size and cover flag the ones the hook logged, in order; inside TLS,
 * after the handshake, one TLS application-data record of the logged size plus 22 bytes, and the
 * close_notify last. In clear the captured stream is also unshaped and must give every message.
 * Segments carrying two records (merged) or part of one (split) are counted and reported, and fail
 * the test. How late each record left its slot is reported.
 *
 * Capturing needs root. Without it the test fails loudly, unless CIOT_SKIP_CAPTURE=1 says to skip
 * it (exit 77, which ctest shows as skipped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "check.h"
#include "ciot/cursor.h"
#include "link-test.h"

#define SIZE_LOW 64
#define SIZE_HIGH 1400
#define SEND_SECONDS 3
#define TLS_OVERHEAD 22   /* TLS 1.3 AEAD: 5-byte header, inner content type, 16-byte tag */
#define CLOSE_NOTIFY_LEN 19 /* its record's length field: alert (2) + content type + tag */

static char err[CIOT_ERRBUF_SIZE];

/* ---- the capture ------------------------------------------------------------------------------ */

struct segment {
	int64_t ts_ns;
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags;
	uint32_t len;
	uint8_t *payload;
};

struct capture {
	pcap_t *p;
	int linktype;
	struct segment *segs;
	size_t n, cap;
	size_t truncated, not_ipv4;
	atomic_bool stop;
	pthread_t thread;
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;
	size_t off;
	switch (c->linktype) {
	case DLT_EN10MB:
		off = 14;
		break;
	case DLT_LINUX_SLL:
		off = 16;
		break;
	case DLT_NULL:
		off = 4;
		break;
	default:
		off = 0;
	}
	struct ciot_cursor cur = ciot_cursor_make(bytes, h->caplen);
	ciot_cursor_skip(&cur, off);
	struct ciot_cursor ip = cur;
	uint8_t vihl = ciot_cursor_u8(&ip);
	ciot_cursor_skip(&ip, 1);
	uint16_t total = ciot_cursor_be16(&ip);
	ciot_cursor_skip(&ip, 5);
	uint8_t proto = ciot_cursor_u8(&ip);
	if (ip.err || vihl >> 4 != 4 || proto != 6) {
		c->not_ipv4++;
		return;
	}
	size_t ihl = (size_t)(vihl & 15) * 4;
	struct ciot_cursor tcp = cur;
	ciot_cursor_skip(&tcp, ihl);
	struct segment s = { .ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec };
	s.sport = ciot_cursor_be16(&tcp);
	s.dport = ciot_cursor_be16(&tcp);
	s.seq = ciot_cursor_be32(&tcp);
	ciot_cursor_skip(&tcp, 4);
	uint8_t doff = ciot_cursor_u8(&tcp);
	s.flags = ciot_cursor_u8(&tcp);
	size_t thl = (size_t)(doff >> 4) * 4;
	if (tcp.err || total < ihl + thl || off + total > h->caplen) {
		c->truncated++;
		return;
	}
	s.len = (uint32_t)(total - ihl - thl);
	if (s.len) {
		s.payload = malloc(s.len);
		memcpy(s.payload, bytes + off + ihl + thl, s.len);
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->segs = realloc(c->segs, c->cap * sizeof *c->segs);
	}
	c->segs[c->n++] = s;
}

static void *capture_run(void *arg)
{
	struct capture *c = arg;
	struct pollfd p = { .fd = pcap_get_selectable_fd(c->p), .events = POLLIN };
	while (!atomic_load(&c->stop)) {
		poll(&p, 1, 20);
		if (pcap_dispatch(c->p, -1, on_packet, (u_char *)c) < 0)
			break;
	}
	while (pcap_dispatch(c->p, -1, on_packet, (u_char *)c) > 0)
		;
	return NULL;
}

/* Opens lo for the filter; NULL with the reason in why. */
static pcap_t *open_lo(const char *filter, char *why, size_t cap)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create("lo", eb);
	if (!p) {
		snprintf(why, cap, "pcap_create(lo): %s", eb);
		return NULL;
	}
	pcap_set_snaplen(p, 262144);
	pcap_set_promisc(p, 0);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, 32 << 20);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	int r = pcap_activate(p);
	if (r < 0) {
		snprintf(why, cap, "pcap_activate(lo): %s (%s)", pcap_statustostr(r), pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	struct bpf_program prog;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
		snprintf(why, cap, "filter \"%s\": %s", filter, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(p, 1, eb) != 0) {
		snprintf(why, cap, "pcap_setnonblock: %s", eb);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* ---- the links and the application ----------------------------------------------------------- */

struct logged {
	uint32_t size;
	bool cover;
	int64_t slot_ns, written_ns;
};

struct side {
	const char *name;
	struct ciot_shape_link *l;
	uint64_t out_stream, in_stream;
	uint16_t port; /* its local TCP port */
	struct logged *log;
	size_t nlog, caplog;
	int sent, received, bad;
	uint64_t sent_bytes;
	enum ciot_rc rc;
	char why[CIOT_ERRBUF_SIZE];
};

static void on_record(void *ctx, const struct ciot_shape_record *rec)
{
	struct side *s = ctx;
	if (s->nlog == s->caplog) {
		s->caplog = s->caplog ? 2 * s->caplog : 1024;
		s->log = realloc(s->log, s->caplog * sizeof *s->log);
	}
	s->log[s->nlog++] = (struct logged){ rec->size, rec->cover, rec->slot_ns, lt_now_ns() };
}

static void *sender(void *arg)
{
	struct side *s = arg;
	uint8_t *buf = malloc(LT_MESSAGE_MAX);
	int64_t until = lt_now_ns() + SEND_SECONDS * 1000000000LL;
	while (lt_now_ns() < until) {
		size_t len = lt_message_len(s->out_stream, (uint64_t)s->sent);
		lt_message(s->out_stream, (uint64_t)s->sent, buf, len);
		enum ciot_rc rc = ciot_shape_link_send(s->l, buf, len, s->why);
		if (rc == CIOT_ERR_NOSPACE) {
			usleep(1000);
			continue;
		}
		if (rc) {
			s->rc = rc;
			break;
		}
		s->sent_bytes += len;
		s->sent++;
		/* a device's pace: below the link's rate on average, with idle times, so that the wire
		 * carries both data and cover */
		int64_t pause = lt_pause_after(s->out_stream, (uint64_t)s->sent);
		usleep((useconds_t)(pause / 1000 + 3000 + lt_mix(s->out_stream + (uint64_t)s->sent) % 12000));
	}
	if (!s->rc)
		s->rc = ciot_shape_link_close(s->l, 60000, s->why);
	free(buf);
	return NULL;
}

static void *receiver(void *arg)
{
	struct side *s = arg;
	uint8_t *buf = malloc(LT_MESSAGE_MAX);
	int64_t give_up = lt_now_ns() + 60 * 1000000000LL;
	while (!ciot_shape_link_peer_done(s->l) && lt_now_ns() < give_up) {
		size_t len;
		bool got;
		char why[CIOT_ERRBUF_SIZE];
		enum ciot_rc rc = ciot_shape_link_recv(s->l, buf, LT_MESSAGE_MAX, &len, &got, 200, why);
		if (rc) {
			fprintf(stderr, "%s: recv: %s\n", s->name, why);
			s->bad++;
			break;
		}
		if (got) {
			s->bad += !lt_message_ok(s->in_stream, (uint64_t)s->received, buf, len);
			s->received++;
		}
	}
	free(buf);
	return NULL;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* ---- what the capture shows ------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One direction's bytes as TCP carried them: the stream from the SYN to the FIN, followed by
 * sequence number (duplicates dropped), and where each segment with payload starts in it. */
struct stream {
	uint8_t *bytes;
	size_t len;
	size_t *seg_at, *seg_len;
	int64_t *seg_ts;
	size_t nseg;
};

static bool reassemble(struct capture *c, uint16_t sport, struct stream *st, long *dups)
{
	bool syn = false, fin = false, hole = false;
	uint32_t next = 0;
	memset(st, 0, sizeof *st);
	size_t total = 0;
	for (size_t i = 0; i < c->n; i++)
		total += c->segs[i].sport == sport ? c->segs[i].len : 0;
	st->bytes = malloc(total + 1);
	st->seg_at = malloc((c->n + 1) * sizeof *st->seg_at);
	st->seg_len = malloc((c->n + 1) * sizeof *st->seg_len);
	st->seg_ts = malloc((c->n + 1) * sizeof *st->seg_ts);
	for (size_t i = 0; i < c->n; i++) {
		const struct segment *s = &c->segs[i];
		if (s->sport != sport)
			continue;
		if (s->flags & TCP_SYN) {
			syn = true;
			next = s->seq + 1;
			continue;
		}
		if (!syn)
			continue;
		if (s->len && s->seq == next) {
			memcpy(st->bytes + st->len, s->payload, s->len);
			st->seg_at[st->nseg] = st->len;
			st->seg_len[st->nseg] = s->len;
			st->seg_ts[st->nseg++] = s->ts_ns;
			st->len += s->len;
			next += s->len;
		} else if (s->len && (int32_t)(s->seq + s->len - next) <= 0) {
			(*dups)++;
		} else if (s->len) {
			hole = true;
		}
		if ((s->flags & TCP_FIN) && s->seq + s->len == next)
			fin = true;
	}
	if (!syn || !fin || hole)
		fprintf(stderr, "port %u: %s%s%s\n", sport, syn ? "" : "no SYN captured; ",
			fin ? "" : "no FIN at the stream's end; ", hole ? "a hole in the stream" : "");
	return syn && fin && !hole;
}

static void stream_free(struct stream *st)
{
	free(st->bytes);
	free(st->seg_at);
	free(st->seg_len);
	free(st->seg_ts);
}

/* A record found in the stream: the link's own, or (with TLS) a TLS record. */
struct wire_record {
	size_t at, len;
	bool shaped;      /* one the shaper made (not the TLS handshake or close_notify) */
	size_t segment;   /* the segment it is alone in, or SIZE_MAX */
};

struct wire_totals {
	long segments, records, cover, merged, split, duplicates, other_segments;
	long late_p50_us, late_p99_us, late_max_us;
};

/* Each payload segment against the records: one record, several (merged), or a boundary inside a
 * record (split); segments holding no shaped record (the TLS handshake) are counted apart. */
static void classify(const char *name, const struct stream *st, struct wire_record *r, size_t nr,
		     struct wire_totals *t)
{
	size_t k = 0;
	for (size_t j = 0; j < st->nseg; j++) {
		size_t s = st->seg_at[j], e = s + st->seg_len[j];
		t->segments++;
		while (k < nr && r[k].at + r[k].len <= s)
			k++;
		bool starts = k < nr && r[k].at == s, shaped = false;
		size_t count = 0, end = s, q = k;
		for (; q < nr && r[q].at < e; q++, count++) {
			shaped = shaped || r[q].shaped;
			end = r[q].at + r[q].len;
		}
		if (!shaped) {
			t->other_segments++;
			continue;
		}
		if (!starts || end != e) {
			t->split++;
			fprintf(stderr, "%s: segment %zu (%zu bytes) cuts a record\n", name, j, e - s);
		} else if (count > 1) {
			t->merged++;
			fprintf(stderr, "%s: segment %zu (%zu bytes) carries %zu records\n", name, j, e - s, count);
		} else {
			r[k].segment = j;
		}
	}
}

/* How late each shaped record left its slot: capture time minus slot time, less the smallest such
 * offset (the two clocks differ), in microseconds; over the records alone in their segment. */
static void lateness(const struct stream *st, const struct wire_record *shaped, const struct logged *log, size_t n,
		     struct wire_totals *t)
{
	int64_t *d = malloc((n + 1) * sizeof *d);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (shaped[i].segment != SIZE_MAX)
			d[m++] = st->seg_ts[shaped[i].segment] - log[i].slot_ns;
	if (m) {
		qsort(d, m, sizeof *d, cmp_i64);
		long p50 = (long)((d[m / 2] - d[0]) / 1000), p99 = (long)((d[m * 99 / 100] - d[0]) / 1000),
		     max = (long)((d[m - 1] - d[0]) / 1000);
		t->late_p50_us = p50 > t->late_p50_us ? p50 : t->late_p50_us;
		t->late_p99_us = p99 > t->late_p99_us ? p99 : t->late_p99_us;
		t->late_max_us = max > t->late_max_us ? max : t->late_max_us;
	}
	free(d);
}

/* The sizes the shaper logged are the uniform distribution's, not one value. */
static void check_sizes(const struct side *s)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	double sum = 0;
	for (size_t i = 0; i < s->nlog; i++) {
		lo = s->log[i].size < lo ? s->log[i].size : lo;
		hi = s->log[i].size > hi ? s->log[i].size : hi;
		sum += s->log[i].size;
	}
	CHECK(s->nlog >= 100);
	CHECK(lo >= SIZE_LOW && hi <= SIZE_HIGH);
	CHECK(hi - lo > (SIZE_HIGH - SIZE_LOW) * 9 / 10);
	CHECK(fabs(sum / (double)s->nlog - (SIZE_LOW + SIZE_HIGH) / 2.0) < (SIZE_HIGH - SIZE_LOW) / 10.0);
}

/* In clear: the stream is the link's records, exactly the logged ones (size, cover), each alone in
 * its segment; unshaped, it gives every message sent. */
static void check_clear(const char *name, struct capture *c, const struct side *s, struct wire_totals *t)
{
	struct stream st;
	CHECK(reassemble(c, s->port, &st, &t->duplicates));
	struct wire_record *r = malloc((st.len / CIOT_SHAPE_HEADER + 1) * sizeof *r);
	size_t nr = 0, at = 0;
	while (at + CIOT_SHAPE_HEADER <= st.len) {
		size_t size = ciot_be16_at(st.bytes, st.len, at + 2);
		if (size < CIOT_SHAPE_HEADER || at + size > st.len)
			break;
		bool cover = !(st.bytes[at + 1] & CIOT_SHAPE_FLAG_DATA);
		if (nr >= s->nlog || s->log[nr].size != size || s->log[nr].cover != cover) {
			fprintf(stderr, "%s: record %zu on the wire: %zu bytes%s; logged: %u bytes%s\n", name, nr, size,
				cover ? " cover" : "", nr < s->nlog ? s->log[nr].size : 0,
				nr < s->nlog && s->log[nr].cover ? " cover" : "");
			CHECK(false);
		}
		t->cover += cover;
		r[nr++] = (struct wire_record){ .at = at, .len = size, .shaped = true, .segment = SIZE_MAX };
		at += size;
	}
	CHECK_EQ_INT(at, st.len); /* nothing but whole records */
	CHECK_EQ_INT(nr, s->nlog);
	t->records += (long)nr;
	classify(name, &st, r, nr, t);
	struct ciot_unshaper *u;
	ciot_unshaper_new(&u, LT_MESSAGE_MAX, err);
	CHECK_EQ_INT(ciot_unshaper_feed(u, st.bytes, st.len, err), CIOT_OK);
	int messages = 0, bad = 0;
	const uint8_t *m;
	size_t mlen;
	while (ciot_unshaper_next(u, &m, &mlen)) {
		bad += !lt_message_ok(s->out_stream, (uint64_t)messages, m, mlen);
		messages++;
	}
	CHECK_EQ_INT(messages, s->sent);
	CHECK_EQ_INT(bad, 0);
	ciot_unshaper_free(u);
	check_sizes(s);
	if (nr == s->nlog)
		lateness(&st, r, s->log, nr, t);
	free(r);
	stream_free(&st);
}

/* Inside TLS: the handshake's records, then one application-data record for each logged record,
 * of its size + 22 bytes and each alone in its segment, then close_notify. */
static void check_tls(const char *name, struct capture *c, const struct side *s, struct wire_totals *t)
{
	struct stream st;
	CHECK(reassemble(c, s->port, &st, &t->duplicates));
	struct wire_record *r = malloc((st.len / 5 + 1) * sizeof *r);
	uint8_t *type = malloc(st.len / 5 + 1);
	size_t nr = 0, at = 0;
	while (at + 5 <= st.len) {
		size_t len = ciot_be16_at(st.bytes, st.len, at + 3);
		if (at + 5 + len > st.len)
			break;
		type[nr] = st.bytes[at];
		r[nr++] = (struct wire_record){ .at = at, .len = 5 + len, .segment = SIZE_MAX };
		at += 5 + len;
	}
	CHECK_EQ_INT(at, st.len); /* nothing but whole TLS records */
	/* from the end: close_notify, the shaped records, the handshake before them */
	bool close_notify = nr > 0 && type[nr - 1] == 23 && r[nr - 1].len == 5 + CLOSE_NOTIFY_LEN;
	CHECK(close_notify);
	size_t first = nr - (close_notify ? 1 : 0) >= s->nlog ? nr - (close_notify ? 1 : 0) - s->nlog : 0;
	size_t handshake = first;
	CHECK(handshake >= 1 && handshake <= 6 && type[0] == 22);
	for (size_t i = 0; i < s->nlog && first + i < nr; i++) {
		struct wire_record *w = &r[first + i];
		w->shaped = true;
		if (type[first + i] != 23 || w->len != s->log[i].size + TLS_OVERHEAD) {
			fprintf(stderr, "%s: TLS record %zu: %zu bytes of type %u on the wire, logged %u + %d\n", name, i,
				w->len, type[first + i], s->log[i].size, TLS_OVERHEAD);
			CHECK(false);
		}
	}
	t->records += (long)s->nlog;
	classify(name, &st, r, nr, t);
	check_sizes(s);
	lateness(&st, r + first, s->log, s->nlog, t);
	free(type);
	free(r);
	stream_free(&st);
}

int main(void)
{
	int64_t start = lt_now_ns();
	struct lt_pki pki;
	char port_plain[8], port_tls[8], filter[128], why[512];
	int ls_plain = lt_listen(port_plain), ls_tls = lt_listen(port_tls);
	if (ls_plain < 0 || ls_tls < 0)
		return 1;
	snprintf(filter, sizeof filter, "tcp and (port %s or port %s)", port_plain, port_tls);
	struct capture cap = { 0 };
	cap.p = open_lo(filter, why, sizeof why);
	if (!cap.p) {
		const char *skip = getenv("CIOT_SKIP_CAPTURE");
		if (skip && strcmp(skip, "1") == 0) {
			printf("shape-wire: SKIPPED as CIOT_SKIP_CAPTURE=1 asks: cannot capture: %s\n", why);
			return 77;
		}
		fprintf(stderr,
			"shape-wire: FAILED: cannot capture the loopback interface: %s\n"
			"  this test reads the link's records from a live capture and needs root (CI runs as root);\n"
			"  set CIOT_SKIP_CAPTURE=1 to skip it explicitly\n",
			why);
		return 1;
	}
	cap.linktype = pcap_datalink(cap.p);
	if (!lt_pki_make(&pki))
		return 1;
	pthread_create(&cap.thread, NULL, capture_run, &cap);

	/* two links, each shaped both ways; a = the client, b = the server */
	struct side sides[4] = {
		{ .name = "clear, client to server", .out_stream = 11, .in_stream = 12 },
		{ .name = "clear, server to client", .out_stream = 12, .in_stream = 11 },
		{ .name = "TLS, client to server", .out_stream = 21, .in_stream = 22 },
		{ .name = "TLS, server to client", .out_stream = 22, .in_stream = 21 },
	};
	struct ciot_shape_tls client = { .ca_file = pki.ca, .server_name = "device.test" };
	struct ciot_shape_tls server = { .server = true, .cert_file = pki.cert, .key_file = pki.key };
	bool made = true;
	for (int i = 0; i < 4 && made; i++) {
		struct ciot_shape_link_config c;
		char size[64];
		snprintf(size, sizeof size, "uniform:%d,%d", SIZE_LOW, SIZE_HIGH);
		made = lt_config(&c, "uniform:0.002,0.006", size, 1 << 16, LT_MESSAGE_MAX, 0);
		c.on_record = on_record;
		c.on_record_ctx = &sides[i];
		bool tls = i >= 2, is_client = i % 2 == 0;
		if (tls)
			c.tls = is_client ? &client : &server;
		int ls = tls ? ls_tls : ls_plain;
		if (is_client) {
			made = made && !ciot_shape_link_connect(&sides[i].l, "127.0.0.1", tls ? port_tls : port_plain, &c, err);
		} else {
			int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			made = made && !ciot_shape_link_open(&sides[i].l, fd, &c, err);
		}
		if (made)
			sides[i].port = local_port(ciot_shape_link_fd(sides[i].l));
		lt_config_free(&c);
	}
	CHECK(made);
	if (!made) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	close(ls_plain);
	close(ls_tls);
	pthread_t threads[8];
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(ciot_shape_link_start_thread(sides[i].l, err), CIOT_OK);
	for (int i = 0; i < 4; i++) {
		pthread_create(&threads[2 * i], NULL, sender, &sides[i]);
		pthread_create(&threads[2 * i + 1], NULL, receiver, &sides[i]);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(threads[i], NULL);
	long messages = 0;
	uint64_t bytes = 0;
	for (int i = 0; i < 4; i++) {
		struct side *s = &sides[i], *peer = &sides[i ^ 1];
		unsigned before = check_failures;
		CHECK_EQ_INT(s->rc, CIOT_OK);
		CHECK_EQ_INT(peer->received, s->sent);
		CHECK_EQ_INT(peer->bad, 0);
		struct ciot_shape_stats st;
		struct ciot_unshape_stats us;
		ciot_shape_link_stats(s->l, &st, &us);
		CHECK_EQ_INT(st.records, s->nlog); /* the hook saw every record the shaper made */
		CHECK(st.cover_records > 0 && st.cover_records < st.records);
		if (check_failures != before)
			fprintf(stderr, "  ^ %s: sent %d, records %" PRIu64 ", cover %" PRIu64 " %s\n", s->name, s->sent, st.records, st.cover_records, s->rc ? s->why : "");
		messages += s->sent;
		bytes += s->sent_bytes;
	}
	for (int i = 0; i < 4; i++)
		ciot_shape_link_free(sides[i].l);
	usleep(100000); /* the last segments and FINs reach the capture */
	atomic_store(&cap.stop, true);
	pthread_join(cap.thread, NULL);
	struct pcap_stat ps = { 0 };
	pcap_stats(cap.p, &ps);
	CHECK_EQ_INT(ps.ps_drop, 0);
	CHECK_EQ_INT(cap.truncated, 0);

	struct wire_totals clear = { 0 }, tls = { 0 };
	check_clear(sides[0].name, &cap, &sides[0], &clear);
	check_clear(sides[1].name, &cap, &sides[1], &clear);
	check_tls(sides[2].name, &cap, &sides[2], &tls);
	check_tls(sides[3].name, &cap, &sides[3], &tls);
	CHECK_EQ_INT(clear.merged + clear.split + tls.merged + tls.split, 0);
	printf("shape-wire: %zu packets captured on lo (%u dropped); %ld messages (%" PRIu64 " bytes) sent over 2 links "
	       "both ways\n",
	       cap.n, ps.ps_drop, messages, bytes);
	printf("  in clear: %ld payload segments, %ld records (%ld cover) checked on the wire against the shaper's "
	       "log, %ld merged, %ld split, %ld duplicates; records left their slots p50 %ld us, p99 %ld us, max "
	       "%ld us later than the earliest\n",
	       clear.segments, clear.records, clear.cover, clear.merged, clear.split, clear.duplicates,
	       clear.late_p50_us, clear.late_p99_us, clear.late_max_us);
	printf("  in TLS: %ld payload segments (%ld of the handshake and close_notify), %ld records checked (size + "
	       "%d each), %ld merged, %ld split, %ld duplicates; p50 %ld us, p99 %ld us, max %ld us\n",
	       tls.segments, tls.other_segments, tls.records, TLS_OVERHEAD, tls.merged, tls.split, tls.duplicates,
	       tls.late_p50_us, tls.late_p99_us, tls.late_max_us);
	printf("  %.1f s\n", (double)(lt_now_ns() - start) / 1e9);
	for (size_t i = 0; i < cap.n; i++)
		free(cap.segs[i].payload);
	free(cap.segs);
	for (int i = 0; i < 4; i++)
		free(sides[i].log);
	pcap_close(cap.p);
	lt_pki_remove(&pki);
	return check_summary("shape-wire");
}
