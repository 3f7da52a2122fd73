/* test-flow.c: the flow table (flow.h) fed with hand-made packets. Both directions of a TCP
 * connection land in one flow with exact per-direction packets, bytes, payload and flags, whichever
 * end's address sorts lower; the initiator is the SYN's sender even when the SYN-ACK is seen first,
 * else the first packet's sender. Flows end exactly once with the right reason: idle (UDP after its
 * timeout, other protocols after theirs, an open TCP connection only after the long TCP one; a flow
 * is ended by a later packet of any flow whose time passes its timeout, not at the timeout itself),
 * closed (FIN both ways, or RST, then quiet for the closed timeout), reused (a new SYN on a closed
 * connection's port pair, which starts a new flow), table_full (the least recently active flow of
 * any class makes room) and flush with the given reason. Default and custom timeouts, and the
 * names of the end reasons.
 */
#include <stdlib.h>

#include "addr.h"
#include "check.h"
#include "flow.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define S(x) ((int64_t)(x) * 1000000)

struct ended {
	struct ciot_flow flow;
	enum ciot_flow_end reason;
};

struct log {
	struct ended e[32];
	size_t n;
};

static void on_end(void *ctx, struct ciot_flow *f, enum ciot_flow_end reason)
{
	struct log *l = ctx;
	if (l->n < sizeof l->e / sizeof l->e[0]) {
		l->e[l->n].flow = *f;
		l->e[l->n].reason = reason;
	}
	l->n++;
}

static struct ciot_packet packet(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
				 uint8_t flags, int64_t ts, uint32_t wirelen, uint32_t payload_len)
{
	struct ciot_packet p;
	memset(&p, 0, sizeof p);
	if (!ciot_addr_parse(src, p.src) || !ciot_addr_parse(dst, p.dst)) {
		fprintf(stderr, "bad address in the test: %s or %s\n", src, dst);
		exit(2);
	}
	p.ip_version = ciot_addr_is_v4(p.src) ? 4 : 6;
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ts_us = ts;
	p.wirelen = wirelen;
	p.payload_len = payload_len;
	return p;
}

static bool addr_is(const uint8_t a[16], const char *text)
{
	char s[CIOT_ADDR_STRLEN];
	ciot_addr_format(a, s);
	return CHECK_EQ_STR(s, text);
}

static const struct ciot_flow_timeouts custom = { S(600), S(30), S(5), S(2) };

/* ---- one connection, both directions ---------------------------------------------------------- */

struct step {
	bool from_client;
	uint8_t flags;
	int64_t ts;
	uint32_t wire, payload;
};

static void test_connection(void)
{
	static const struct {
		const char *name, *client, *server;
		bool client_is_lo;
	} variants[] = {
		{ "client-higher", "192.168.1.20", "93.184.216.34", false },
		{ "client-lower", "192.168.1.20", "203.0.113.5", true },
		{ "ipv6", "2001:db8::20", "2001:db8::1", false },
		{ "same-address", "10.0.0.1", "10.0.0.1", false }, /* 50000 > 443: the server's end is lower */
	};
	static const struct step steps[] = {
		{ true, SYN, 1000, 74, 0 },         { false, SYN | ACK, 1100, 74, 0 },
		{ true, ACK, 1200, 66, 0 },         { true, PSH | ACK, 1300, 166, 100 },
		{ false, ACK, 1400, 66, 0 },        { false, PSH | ACK, 1500, 366, 300 },
	};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		unsigned before = check_failures;
		struct log log = { .n = 0 };
		struct ciot_flow_table *t = ciot_flow_table_new(0, NULL, 0, on_end, &log);
		const char *client = variants[v].client, *server = variants[v].server;
		struct ciot_flow *flow = NULL;
		for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
			const struct step *s = &steps[i];
			struct ciot_packet p = s->from_client
				? packet(client, 50000, server, 443, 6, s->flags, s->ts, s->wire, s->payload)
				: packet(server, 443, client, 50000, 6, s->flags, s->ts, s->wire, s->payload);
			int dir = -1;
			bool created = false;
			struct ciot_flow *f = ciot_flow_table_packet(t, &p, &dir, &created);
			CHECK(f != NULL);
			CHECK_EQ_INT(created, i == 0);
			CHECK_EQ_INT(dir, s->from_client ? 0 : 1);
			if (i == 0)
				flow = f;
			CHECK(f == flow);
		}
		CHECK_EQ_INT(ciot_flow_table_active(t), 1);
		CHECK_EQ_INT(log.n, 0);
		CHECK_EQ_INT(flow->initiator_is_lo, variants[v].client_is_lo);
		addr_is(ciot_flow_addr(flow, 0), client);
		addr_is(ciot_flow_addr(flow, 1), server);
		CHECK_EQ_INT(ciot_flow_port(flow, 0), 50000);
		CHECK_EQ_INT(ciot_flow_port(flow, 1), 443);
		CHECK_EQ_INT(flow->key.proto, 6);
		CHECK_EQ_INT(flow->ip_version, strchr(client, ':') ? 6 : 4);
		CHECK_EQ_INT(flow->first_ts, 1000);
		CHECK_EQ_INT(flow->last_ts, 1500);
		CHECK_EQ_INT(flow->dir[0].packets, 3);
		CHECK_EQ_INT(flow->dir[0].bytes, 74 + 66 + 166);
		CHECK_EQ_INT(flow->dir[0].payload, 100);
		CHECK_EQ_INT(flow->dir[0].tcp_flags, SYN | ACK | PSH);
		CHECK_EQ_INT(flow->dir[1].packets, 3);
		CHECK_EQ_INT(flow->dir[1].bytes, 74 + 66 + 366);
		CHECK_EQ_INT(flow->dir[1].payload, 300);
		CHECK_EQ_INT(flow->dir[1].tcp_flags, SYN | ACK | PSH);
		ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
		CHECK_EQ_INT(log.n, 1);
		CHECK_EQ_INT(log.e[0].reason, CIOT_FLOW_END_CAPTURE);
		CHECK_EQ_INT(log.e[0].flow.dir[0].packets, 3);
		CHECK_EQ_INT(log.e[0].flow.dir[1].bytes, 506);
		CHECK_EQ_INT(ciot_flow_table_active(t), 0);
		ciot_flow_table_free(t);
		check_case(before, variants[v].name);
	}
}

/* The initiator is the SYN's sender even when the SYN-ACK is seen first (the SYN was lost or sent
 * before the capture started), and else whoever sent the first packet. */
static void test_initiator(void)
{
	static const struct {
		const char *name, *first_src, *first_dst;
		uint16_t first_sport, first_dport;
		uint8_t proto, flags;
		const char *initiator;
		uint16_t initiator_port;
		int first_dir;
	} cases[] = {
		{ "synack-first-client-higher", "93.184.216.34", "192.168.1.20", 443, 50000, 6, SYN | ACK,
		  "192.168.1.20", 50000, 1 },
		{ "synack-first-client-lower", "203.0.113.5", "192.168.1.20", 443, 50000, 6, SYN | ACK,
		  "192.168.1.20", 50000, 1 },
		{ "synack-first-ipv6", "2001:db8::1", "2001:db8::20", 443, 50000, 6, SYN | ACK, "2001:db8::20", 50000, 1 },
		{ "mid-stream-ack", "93.184.216.34", "192.168.1.20", 443, 50000, 6, ACK, "93.184.216.34", 443, 0 },
		{ "syn", "93.184.216.34", "192.168.1.20", 443, 50000, 6, SYN, "93.184.216.34", 443, 0 },
		{ "udp-from-higher", "192.168.1.20", "192.168.1.1", 5353, 53, 17, 0, "192.168.1.20", 5353, 0 },
		{ "udp-from-lower", "192.168.1.1", "192.168.1.20", 53, 5353, 17, 0, "192.168.1.1", 53, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		struct log log = { .n = 0 };
		struct ciot_flow_table *t = ciot_flow_table_new(16, &custom, 0, on_end, &log);
		struct ciot_packet p = packet(cases[i].first_src, cases[i].first_sport, cases[i].first_dst,
					      cases[i].first_dport, cases[i].proto, cases[i].flags, 1000, 60, 0);
		int dir = -1;
		bool created = false;
		struct ciot_flow *f = ciot_flow_table_packet(t, &p, &dir, &created);
		CHECK(created);
		CHECK_EQ_INT(dir, cases[i].first_dir);
		addr_is(ciot_flow_addr(f, 0), cases[i].initiator);
		CHECK_EQ_INT(ciot_flow_port(f, 0), cases[i].initiator_port);
		CHECK_EQ_INT(f->dir[cases[i].first_dir].packets, 1);
		CHECK_EQ_INT(f->dir[1 - cases[i].first_dir].packets, 0);
		/* the reply goes the other way and lands in the same flow */
		struct ciot_packet reply = packet(cases[i].first_dst, cases[i].first_dport, cases[i].first_src,
						  cases[i].first_sport, cases[i].proto, cases[i].proto == 6 ? ACK : 0, 1100,
						  60, 0);
		struct ciot_flow *g = ciot_flow_table_packet(t, &reply, &dir, &created);
		CHECK(g == f);
		CHECK(!created);
		CHECK_EQ_INT(dir, 1 - cases[i].first_dir);
		CHECK_EQ_INT(ciot_flow_table_active(t), 1);
		ciot_flow_table_free(t);
		check_case(before, cases[i].name);
	}
}

/* ---- idle timeouts ---------------------------------------------------------------------------- */

static size_t count_port(const struct log *l, uint16_t port)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n && i < sizeof l->e / sizeof l->e[0]; i++)
		n += ciot_flow_port(&l->e[i].flow, 0) == port;
	return n;
}

/* The index of the first ended flow whose initiator used `port`, or -1. */
static int find_port(const struct log *l, uint16_t port)
{
	for (size_t i = 0; i < l->n && i < sizeof l->e / sizeof l->e[0]; i++)
		if (ciot_flow_port(&l->e[i].flow, 0) == port)
			return (int)i;
	return -1;
}

static void test_idle(void)
{
	static const struct {
		const char *name;
		const struct ciot_flow_timeouts *timeouts;
		uint8_t proto;
		int64_t idle;
	} cases[] = {
		{ "udp-default", NULL, 17, CIOT_FLOW_UDP_IDLE_US },
		{ "udp-custom", &custom, 17, S(5) },
		{ "icmp-default", NULL, 1, CIOT_FLOW_OTHER_IDLE_US },
		{ "icmp-custom", &custom, 1, S(2) },
		{ "tcp-open-default", NULL, 6, CIOT_FLOW_TCP_IDLE_US },
		{ "tcp-open-custom", &custom, 6, S(600) },
	};
	CHECK_EQ_INT(CIOT_FLOW_UDP_IDLE_US, S(180));
	CHECK_EQ_INT(CIOT_FLOW_OTHER_IDLE_US, S(60));
	CHECK_EQ_INT(CIOT_FLOW_TCP_IDLE_US, S(600));
	CHECK_EQ_INT(CIOT_FLOW_TCP_CLOSED_US, S(30));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		struct log log = { .n = 0 };
		struct ciot_flow_table *t = ciot_flow_table_new(0, cases[i].timeouts, 0, on_end, &log);
		const int64_t t0 = S(1713252489);
		uint8_t proto = cases[i].proto;
		uint16_t port = proto == 1 ? 0 : 5000;
		int dir;
		bool created;
		struct ciot_packet p = packet("192.168.1.20", port, "8.8.8.8", proto == 1 ? 0 : 53, proto,
					      proto == 6 ? SYN : 0, t0, 80, 10);
		ciot_flow_table_packet(t, &p, &dir, &created);
		p = packet("8.8.8.8", proto == 1 ? 0 : 53, "192.168.1.20", port, proto, proto == 6 ? SYN | ACK : 0,
			   t0 + 100, 90, 20);
		ciot_flow_table_packet(t, &p, &dir, &created);
		/* another host's UDP flow: its packets move the clock */
		struct ciot_packet tick = packet("192.168.1.30", 6000, "1.1.1.1", 123, 17, 0, t0 + 100 + cases[i].idle, 90, 48);
		ciot_flow_table_packet(t, &tick, &dir, &created);
		CHECK_EQ_INT(log.n, 0); /* exactly the timeout: not yet */
		CHECK_EQ_INT(ciot_flow_table_active(t), 2);
		tick.ts_us = t0 + 100 + cases[i].idle + 1;
		ciot_flow_table_packet(t, &tick, &dir, &created);
		CHECK(!created);
		if (CHECK_EQ_INT(log.n, 1)) {
			CHECK_EQ_STR(ciot_flow_end_name(log.e[0].reason), "idle");
			addr_is(ciot_flow_addr(&log.e[0].flow, 0), "192.168.1.20");
			CHECK_EQ_INT(ciot_flow_port(&log.e[0].flow, 0), port);
			CHECK_EQ_INT(log.e[0].flow.dir[0].packets, 1);
			CHECK_EQ_INT(log.e[0].flow.dir[1].packets, 1);
			CHECK_EQ_INT(log.e[0].flow.dir[1].payload, 20);
			CHECK_EQ_INT(log.e[0].flow.last_ts, t0 + 100);
		}
		CHECK_EQ_INT(ciot_flow_table_active(t), 1);
		/* much later: the ticking flow ends too, the first one is not ended again */
		tick = packet("192.168.1.40", 7000, "1.1.1.1", 123, 17, 0, t0 + 100 + 10 * cases[i].idle, 90, 48);
		ciot_flow_table_packet(t, &tick, &dir, &created);
		CHECK_EQ_INT(log.n, 2);
		CHECK_EQ_INT(count_port(&log, port), 1);
		CHECK_EQ_INT(count_port(&log, 6000), 1);
		/* the same 5-tuple after its flow timed out starts a new flow */
		p.ts_us = t0 + 100 + 20 * cases[i].idle;
		ciot_flow_table_packet(t, &p, &dir, &created);
		CHECK(created);
		CHECK_EQ_INT(log.n, 3); /* and the 7000 flow timed out meanwhile */
		ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
		CHECK_EQ_INT(log.n, 4);
		CHECK_EQ_INT(log.e[3].reason, CIOT_FLOW_END_CAPTURE);
		ciot_flow_table_free(t);
		check_case(before, cases[i].name);
	}
}

/* ---- TCP closing ------------------------------------------------------------------------------ */

/* Feeds a connection's packets; returns its flow. */
static struct ciot_flow *feed(struct ciot_flow_table *t, const struct step *steps, size_t n, uint16_t cport)
{
	struct ciot_flow *f = NULL;
	for (size_t i = 0; i < n; i++) {
		struct ciot_packet p = steps[i].from_client
			? packet("192.168.1.20", cport, "93.184.216.34", 443, 6, steps[i].flags, steps[i].ts, steps[i].wire, steps[i].payload)
			: packet("93.184.216.34", 443, "192.168.1.20", cport, 6, steps[i].flags, steps[i].ts, steps[i].wire, steps[i].payload);
		int dir;
		bool created;
		f = ciot_flow_table_packet(t, &p, &dir, &created);
	}
	return f;
}

static const struct step closed_both[] = {
	{ true, SYN, S(1), 74, 0 },           { false, SYN | ACK, S(1) + 100, 74, 0 },
	{ true, ACK, S(1) + 200, 66, 0 },     { true, FIN | ACK, S(2), 66, 0 },
	{ false, FIN | ACK, S(2) + 100, 66, 0 }, { true, ACK, S(2) + 200, 66, 0 },
};
static const struct step closed_rst[] = {
	{ true, SYN, S(1), 74, 0 }, { false, RST | ACK, S(2) + 200, 60, 0 },
};
static const struct step half_closed[] = {
	{ true, SYN, S(1), 74, 0 },           { false, SYN | ACK, S(1) + 100, 74, 0 },
	{ true, FIN | ACK, S(2), 66, 0 },     { false, ACK, S(2) + 200, 66, 0 },
};

static void test_closed(void)
{
	static const struct {
		const char *name;
		const struct step *steps;
		size_t n;
		bool closed;
	} cases[] = {
		{ "fin-both-ways", closed_both, 6, true },
		{ "rst", closed_rst, 2, true },
		{ "fin-one-way", half_closed, 4, false },
	};
	const int64_t last = S(2) + 200;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		struct log log = { .n = 0 };
		struct ciot_flow_table *t = ciot_flow_table_new(0, NULL, 0, on_end, &log);
		struct ciot_flow *f = feed(t, cases[i].steps, cases[i].n, 50000);
		CHECK_EQ_INT(f->timeout_class, cases[i].closed ? CIOT_FLOW_CLASS_TCP_CLOSED : CIOT_FLOW_CLASS_TCP);
		int dir;
		bool created;
		struct ciot_packet tick = packet("192.168.1.30", 6000, "1.1.1.1", 123, 17, 0, last + CIOT_FLOW_TCP_CLOSED_US, 90, 48);
		ciot_flow_table_packet(t, &tick, &dir, &created);
		CHECK_EQ_INT(log.n, 0);
		tick.ts_us = last + CIOT_FLOW_TCP_CLOSED_US + 1;
		ciot_flow_table_packet(t, &tick, &dir, &created);
		if (cases[i].closed) {
			if (CHECK_EQ_INT(log.n, 1)) {
				CHECK_EQ_STR(ciot_flow_end_name(log.e[0].reason), "closed");
				CHECK_EQ_INT(ciot_flow_port(&log.e[0].flow, 0), 50000);
				CHECK_EQ_INT(log.e[0].flow.dir[0].packets + log.e[0].flow.dir[1].packets, cases[i].n);
			}
		} else {
			/* half closed: still an open connection, under the long TCP timeout */
			CHECK_EQ_INT(log.n, 0);
			tick.ts_us = last + CIOT_FLOW_TCP_IDLE_US + 1;
			ciot_flow_table_packet(t, &tick, &dir, &created);
			/* the connection and the ticking UDP flow (quiet since its last tick) both end idle */
			CHECK_EQ_INT(log.n, 2);
			int at = find_port(&log, 50000);
			if (CHECK(at >= 0))
				CHECK_EQ_STR(ciot_flow_end_name(log.e[at].reason), "idle");
		}
		ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
		CHECK_EQ_INT(count_port(&log, 50000), 1);
		ciot_flow_table_free(t);
		check_case(before, cases[i].name);
	}
}

/* A new SYN on a closed connection's port pair ends it ("reused") and starts a new flow; a SYN on
 * an open connection (a retransmission) and a SYN-ACK on a closed one do not. */
static void test_reuse(void)
{
	struct log log = { .n = 0 };
	struct ciot_flow_table *t = ciot_flow_table_new(0, NULL, 0, on_end, &log);
	struct ciot_flow *old = feed(t, closed_both, 6, 50000);
	CHECK_EQ_INT(old->timeout_class, CIOT_FLOW_CLASS_TCP_CLOSED);
	int dir;
	bool created;
	struct ciot_packet synack = packet("93.184.216.34", 443, "192.168.1.20", 50000, 6, SYN | ACK, S(3), 74, 0);
	CHECK(ciot_flow_table_packet(t, &synack, &dir, &created) == old);
	CHECK(!created);
	CHECK_EQ_INT(log.n, 0);
	struct ciot_packet syn = packet("192.168.1.20", 50000, "93.184.216.34", 443, 6, SYN, S(4), 74, 0);
	struct ciot_flow *f = ciot_flow_table_packet(t, &syn, &dir, &created);
	CHECK(created);
	CHECK_EQ_INT(dir, 0);
	if (CHECK_EQ_INT(log.n, 1)) {
		CHECK_EQ_STR(ciot_flow_end_name(log.e[0].reason), "reused");
		CHECK_EQ_INT(log.e[0].flow.dir[0].packets, 4);
		CHECK_EQ_INT(log.e[0].flow.dir[1].packets, 3);
		CHECK_EQ_INT(log.e[0].flow.first_ts, S(1));
	}
	CHECK_EQ_INT(ciot_flow_table_active(t), 1);
	CHECK_EQ_INT(f->dir[0].packets, 1);
	CHECK_EQ_INT(f->dir[1].packets, 0);
	CHECK_EQ_INT(f->first_ts, S(4));
	CHECK_EQ_INT(f->timeout_class, CIOT_FLOW_CLASS_TCP);
	addr_is(ciot_flow_addr(f, 0), "192.168.1.20");
	/* a retransmitted SYN on the open connection stays in it */
	syn.ts_us = S(5);
	CHECK(ciot_flow_table_packet(t, &syn, &dir, &created) == f);
	CHECK(!created);
	CHECK_EQ_INT(f->dir[0].packets, 2);
	CHECK_EQ_INT(log.n, 1);
	ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
	CHECK_EQ_INT(log.n, 2);
	ciot_flow_table_free(t);
}

/* ---- full table and flush --------------------------------------------------------------------- */

static void test_table_full(void)
{
	struct log log = { .n = 0 };
	struct ciot_flow_table *t = ciot_flow_table_new(2, NULL, 0, on_end, &log);
	int dir;
	bool created;
	struct ciot_packet a = packet("192.168.1.20", 1001, "8.8.8.8", 53, 17, 0, S(1), 80, 10);
	struct ciot_packet b = packet("192.168.1.20", 1002, "8.8.8.8", 53, 17, 0, S(2), 80, 10);
	struct ciot_packet c = packet("192.168.1.20", 1003, "8.8.8.8", 53, 17, 0, S(4), 80, 10);
	struct ciot_packet d = packet("192.168.1.20", 1004, "93.184.216.34", 443, 6, SYN, S(5), 74, 0);
	ciot_flow_table_packet(t, &a, &dir, &created);
	ciot_flow_table_packet(t, &b, &dir, &created);
	a.ts_us = S(3);
	ciot_flow_table_packet(t, &a, &dir, &created); /* a is now more recent than b */
	CHECK_EQ_INT(ciot_flow_table_active(t), 2);
	CHECK_EQ_INT(log.n, 0);
	ciot_flow_table_packet(t, &c, &dir, &created);
	CHECK(created);
	CHECK_EQ_INT(ciot_flow_table_active(t), 2);
	if (CHECK_EQ_INT(log.n, 1)) {
		CHECK_EQ_STR(ciot_flow_end_name(log.e[0].reason), "table_full");
		CHECK_EQ_INT(ciot_flow_port(&log.e[0].flow, 0), 1002);
	}
	/* a TCP flow: the least recently active of every class makes room, here UDP flow a */
	ciot_flow_table_packet(t, &d, &dir, &created);
	CHECK_EQ_INT(ciot_flow_table_active(t), 2);
	if (CHECK_EQ_INT(log.n, 2)) {
		CHECK_EQ_STR(ciot_flow_end_name(log.e[1].reason), "table_full");
		CHECK_EQ_INT(ciot_flow_port(&log.e[1].flow, 0), 1001);
		CHECK_EQ_INT(log.e[1].flow.dir[0].packets, 2);
	}
	/* packets of the flows still in the table do not end anything */
	c.ts_us = S(6);
	ciot_flow_table_packet(t, &c, &dir, &created);
	CHECK(!created);
	CHECK_EQ_INT(log.n, 2);
	ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
	CHECK_EQ_INT(log.n, 4);
	CHECK_EQ_INT(count_port(&log, 1003), 1);
	CHECK_EQ_INT(count_port(&log, 1004), 1);
	ciot_flow_table_free(t);
}

static void test_flush(void)
{
	struct log log = { .n = 0 };
	struct ciot_flow_table *t = ciot_flow_table_new(0, &custom, 0, on_end, &log);
	int dir;
	bool created;
	struct ciot_packet p[] = {
		packet("192.168.1.20", 1001, "93.184.216.34", 443, 6, SYN, S(1), 74, 0),
		packet("192.168.1.20", 1002, "8.8.8.8", 53, 17, 0, S(1), 80, 10),
		packet("192.168.1.20", 0, "8.8.8.8", 0, 1, 0, S(1), 98, 56),
		packet("fe80::1", 5353, "ff02::fb", 5353, 17, 0, S(1), 98, 56),
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		ciot_flow_table_packet(t, &p[i], &dir, &created);
	CHECK_EQ_INT(ciot_flow_table_active(t), 4);
	ciot_flow_table_flush(t, CIOT_FLOW_END_PHASE);
	CHECK_EQ_INT(log.n, 4);
	for (size_t i = 0; i < log.n && i < 4; i++)
		CHECK_EQ_STR(ciot_flow_end_name(log.e[i].reason), "phase_end");
	CHECK_EQ_INT(ciot_flow_table_active(t), 0);
	/* flushing an empty table ends nothing; the table is usable after a flush */
	ciot_flow_table_flush(t, CIOT_FLOW_END_PHASE);
	CHECK_EQ_INT(log.n, 4);
	CHECK(ciot_flow_table_packet(t, &p[0], &dir, &created) != NULL);
	CHECK(created);
	CHECK_EQ_INT(ciot_flow_table_active(t), 1);
	ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
	CHECK_EQ_INT(log.n, 5);
	CHECK_EQ_STR(ciot_flow_end_name(log.e[4].reason), "capture_end");
	ciot_flow_table_free(t);
}

/* More flows than one slab holds, then all of them back: every one found again, ended once. */
static void test_many(void)
{
	struct log log = { .n = 0 };
	struct ciot_flow_table *t = ciot_flow_table_new(0, NULL, 0, on_end, &log);
	int dir;
	bool created;
	unsigned wrong = 0;
	for (int round = 0; round < 2; round++)
		for (unsigned i = 0; i < 5000; i++) {
			char dst[32];
			snprintf(dst, sizeof dst, "10.%u.%u.1", i / 250, i % 250);
			struct ciot_packet p = round == 0
				? packet("192.168.1.20", (uint16_t)(1024 + i), dst, 443, 17, 0, S(1) + i, 80, 10)
				: packet(dst, 443, "192.168.1.20", (uint16_t)(1024 + i), 17, 0, S(2) + i, 80, 10);
			struct ciot_flow *f = ciot_flow_table_packet(t, &p, &dir, &created);
			wrong += !f || created != (round == 0) || dir != round;
		}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(ciot_flow_table_active(t), 5000);
	ciot_flow_table_flush(t, CIOT_FLOW_END_CAPTURE);
	CHECK_EQ_INT(log.n, 5000);
	CHECK_EQ_INT(ciot_flow_table_active(t), 0);
	ciot_flow_table_free(t);
}

static void test_names(void)
{
	static const struct {
		enum ciot_flow_end reason;
		const char *name;
	} names[] = {
		{ CIOT_FLOW_END_IDLE, "idle" },           { CIOT_FLOW_END_CLOSED, "closed" },
		{ CIOT_FLOW_END_REUSED, "reused" },       { CIOT_FLOW_END_TABLE_FULL, "table_full" },
		{ CIOT_FLOW_END_PHASE, "phase_end" },     { CIOT_FLOW_END_CAPTURE, "capture_end" },
		{ CIOT_FLOW_END_NREASONS, "invalid" },    { (enum ciot_flow_end)99, "invalid" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK_EQ_STR(ciot_flow_end_name(names[i].reason), names[i].name);
}

int main(void)
{
	test_connection();
	test_initiator();
	test_idle();
	test_closed();
	test_reuse();
	test_table_full();
	test_flush();
	test_many();
	test_names();
	return check_summary("test-flow");
}
