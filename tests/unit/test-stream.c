/* test-stream.c: the TCP stream layer (analyze/lib/stream.c). The follower: in-order segments,
 * retransmissions and overlaps, gaps, a SYN's sequence number, segments cut by the capture, the
 * wrap of sequence numbers. The window: bytes in order, segments out of order held until the hole
 * fills, segments behind the base and past the bound, consuming past what is held, the range list
 * when it is full, giving the buffer back.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stream.h"

static struct ciot_packet segment(uint32_t seq, uint32_t len, uint8_t flags)
{
	struct ciot_packet pkt;
	memset(&pkt, 0, sizeof pkt);
	pkt.proto = CIOT_PROTO_TCP;
	pkt.tcp_seq = seq;
	pkt.tcp_flags = flags;
	pkt.payload_len = pkt.payload_caplen = len;
	return pkt;
}

static struct ciot_tcp_position follow(struct ciot_tcp_follower *f, uint32_t seq, uint32_t len)
{
	struct ciot_packet pkt = segment(seq, len, CIOT_TCP_ACK);
	return ciot_tcp_follow(f, &pkt);
}

static void test_follower(void)
{
	struct ciot_tcp_follower f = { 0, false };
	struct ciot_tcp_position at = follow(&f, 1000, 100);
	CHECK_EQ_INT(at.repeated, 0);
	CHECK_EQ_INT(at.lost, 0);
	at = follow(&f, 1100, 50); /* in order */
	CHECK_EQ_INT(at.repeated, 0);
	CHECK_EQ_INT(at.lost, 0);
	at = follow(&f, 1100, 50); /* a retransmission */
	CHECK_EQ_INT(at.repeated, 50);
	at = follow(&f, 1120, 60); /* overlaps the last 30 bytes seen */
	CHECK_EQ_INT(at.repeated, 30);
	CHECK_EQ_INT(f.next, 1180);
	at = follow(&f, 1280, 20); /* 100 bytes lost before it */
	CHECK_EQ_INT(at.repeated, 0);
	CHECK_EQ_INT(at.lost, 100);
	at = follow(&f, 1180, 100); /* the lost segment, late: all of it is below the highest seen */
	CHECK_EQ_INT(at.repeated, 100);
	CHECK_EQ_INT(at.lost, 0);
	CHECK_EQ_INT(f.next, 1300);
	/* a segment without payload moves nothing, whatever its sequence number (a RST) */
	at = follow(&f, 90000, 0);
	CHECK_EQ_INT(f.next, 1300);
	/* sequence numbers wrap */
	struct ciot_tcp_follower w = { 0, false };
	follow(&w, 0xffffffc0u, 0x40);
	CHECK_EQ_INT(w.next, 0);
	at = follow(&w, 0, 16);
	CHECK_EQ_INT(at.repeated, 0);
	CHECK_EQ_INT(at.lost, 0);
	at = follow(&w, 0xfffffff0u, 32); /* 16 bytes before the wrap, 16 after: all seen */
	CHECK_EQ_INT(at.repeated, 32);
	/* the payload length on the wire counts, also what the capture cut off */
	struct ciot_tcp_follower c = { 0, false };
	struct ciot_packet cut = segment(500, 1400, CIOT_TCP_ACK);
	cut.payload_caplen = 96;
	ciot_tcp_follow(&c, &cut);
	CHECK_EQ_INT(c.next, 1900);
	/* a SYN's data (TCP Fast Open) starts one after its sequence number */
	struct ciot_tcp_follower s = { 0, false };
	struct ciot_packet syn = segment(7000, 10, CIOT_TCP_SYN);
	CHECK_EQ_INT(ciot_tcp_payload_seq(&syn), 7001);
	ciot_tcp_follow(&s, &syn);
	at = follow(&s, 7011, 5);
	CHECK_EQ_INT(at.lost, 0);
	CHECK_EQ_INT(at.repeated, 0);
	/* UDP is not followed */
	struct ciot_packet udp = segment(1, 10, 0);
	udp.proto = CIOT_PROTO_UDP;
	struct ciot_tcp_follower u = { 0, false };
	ciot_tcp_follow(&u, &udp);
	CHECK(!u.valid);
}

/* Places and stores a segment of bytes, as a consumer of the window does. */
static enum ciot_tcp_place put(struct ciot_tcp_window *w, uint32_t seq, const uint8_t *p, size_t n)
{
	uint32_t off;
	enum ciot_tcp_place place = ciot_tcp_window_place(w, &seq, &p, &n, &off);
	if (place == CIOT_TCP_INSIDE)
		CHECK(ciot_tcp_window_store(w, off, p, n));
	return place;
}

static void test_window(void)
{
	uint8_t bytes[256];
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)i;
	struct ciot_tcp_window w;
	ciot_tcp_window_init(&w, 128, 5000);
	CHECK(!ciot_tcp_window_holds(&w));
	CHECK(w.buf == NULL);
	/* out of order: [10, 20) before [0, 10) */
	CHECK_EQ_INT(put(&w, 5010, bytes + 10, 10), CIOT_TCP_INSIDE);
	CHECK(ciot_tcp_window_holds(&w));
	CHECK_EQ_INT(ciot_tcp_window_front(&w), 0);
	CHECK_EQ_INT(put(&w, 5000, bytes, 10), CIOT_TCP_INSIDE);
	CHECK_EQ_INT(ciot_tcp_window_front(&w), 20);
	CHECK(memcmp(w.buf, bytes, 20) == 0);
	/* an overlapping retransmission changes nothing */
	CHECK_EQ_INT(put(&w, 5005, bytes + 5, 10), CIOT_TCP_INSIDE);
	CHECK_EQ_INT(ciot_tcp_window_front(&w), 20);
	CHECK_EQ_INT(w.nranges, 1);
	/* consume part: the base moves, the rest stays at the front */
	ciot_tcp_window_consume(&w, 8);
	CHECK_EQ_INT(w.base, 5008);
	CHECK_EQ_INT(ciot_tcp_window_front(&w), 12);
	CHECK_EQ_INT(w.buf[0], 8);
	/* a segment wholly behind the base; one partly behind is trimmed */
	CHECK_EQ_INT(put(&w, 5000, bytes, 8), CIOT_TCP_BEHIND);
	const uint8_t *p = bytes + 4;
	size_t n = 20;
	uint32_t seq = 5004, off = 99;
	CHECK_EQ_INT(ciot_tcp_window_place(&w, &seq, &p, &n, &off), CIOT_TCP_INSIDE);
	CHECK_EQ_INT(seq, 5008);
	CHECK_EQ_INT(n, 16);
	CHECK_EQ_INT(off, 0);
	CHECK(p == bytes + 8);
	/* consume past what is held: a record body skipped without being copied */
	ciot_tcp_window_consume(&w, 100);
	CHECK_EQ_INT(w.base, 5108);
	CHECK(!ciot_tcp_window_holds(&w));
	/* past the bound */
	CHECK_EQ_INT(put(&w, 5108 + 128, bytes, 4), CIOT_TCP_BEYOND);
	/* a store that reaches past the bound is cut there */
	CHECK_EQ_INT(put(&w, 5108 + 120, bytes, 64), CIOT_TCP_INSIDE);
	CHECK_EQ_INT(w.ranges[0][0], 120);
	CHECK_EQ_INT(w.ranges[0][1], 128);
	CHECK(w.cap <= 128);
	/* the range list full: the range furthest out is dropped, never the one at the front */
	ciot_tcp_window_reset(&w, 0);
	for (unsigned i = 0; i < CIOT_TCP_WINDOW_RANGES + 3; i++)
		put(&w, 2 + 4 * i, bytes, 1);
	CHECK_EQ_INT(w.nranges, CIOT_TCP_WINDOW_RANGES);
	CHECK_EQ_INT(w.ranges[0][0], 2);
	put(&w, 0, bytes, 2);
	CHECK_EQ_INT(ciot_tcp_window_front(&w), 3);
	/* the buffer goes back only when nothing is held */
	ciot_tcp_window_release(&w);
	CHECK(w.buf != NULL);
	ciot_tcp_window_reset(&w, 0);
	ciot_tcp_window_release(&w);
	CHECK(w.buf == NULL);
	ciot_tcp_window_free(&w);
}

static void test_grow(void)
{
	uint8_t *buf = NULL;
	uint32_t cap = 0;
	CHECK(ciot_bytes_grow(&buf, &cap, 10, 16, 100));
	CHECK_EQ_INT(cap, 16);
	CHECK(ciot_bytes_grow(&buf, &cap, 70, 16, 100));
	CHECK_EQ_INT(cap, 100); /* doubling stops at the bound */
	CHECK(!ciot_bytes_grow(&buf, &cap, 101, 16, 100));
	CHECK_EQ_INT(cap, 100);
	free(buf);
}

int main(void)
{
	test_follower();
	test_window();
	test_grow();
	return check_summary("stream");
}
