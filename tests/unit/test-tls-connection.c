/* test-tls-connection.c: one TLS, DTLS or QUIC connection followed through its flow's packets
 * (analyze/lib/tls-connection.c), on handshakes built byte by byte and delivered as TCP segments or
 * UDP datagrams (each payload in a heap block of exactly its length, so the sanitizer build catches
 * a read past a segment). Cases:
 *  - a TLS 1.2 full handshake after SYN/SYN-ACK (sequence numbers that wrap): SNI, ALPN, cipher,
 *    version, a three-certificate chain (a real DER certificate made with `openssl req -x509` and
 *    two blobs) byte for byte with its offsets, Finished on both sides, application data per side,
 *    the FINs, their order and time, the outcome; the ClientHello from the responder (client_dir);
 *  - the same flight out of order, duplicated and retransmitted with other segment boundaries
 *    (seeded), and a 40 KB Certificate message over three records and ~30 segments, byte-identical;
 *  - Certificate messages at and past CIOT_TLS_HANDSHAKE_MAX (65,536 kept; 65,537 and 70,000
 *    skipped, with the CertificateRequest, Finished and data after them still read, and a skipped
 *    Certificate not taken for a ticket resumption);
 *  - capture gaps: a lost segment in application data (the window given up after 64 KiB, the
 *    records after resynchronisation and the final alert still read), a hole at the front of a
 *    direction that never fills, bytes that are not a record header;
 *  - alerts: clear ones by name, encrypted ones after ChangeCipherSpec, a 3-byte alert record, more
 *    than CIOT_TLS_MAX_ALERTS, unknown levels and descriptions, a short output buffer;
 *  - TLS 1.3: a full connection with close_notify on each side, a client refusing the server's
 *    flight with one encrypted alert, 19-byte MQTT-like records that are data, a HelloRetryRequest
 *    with a second ClientHello after the client's ChangeCipherSpec, PSK resumption;
 *  - TLS 1.2 resumption by session id and by session ticket, and three handshakes that are not one;
 *  - SSLv2: a compatible ClientHello answered in TLS 1.0 (without SYNs), an SSLv2 SERVER-HELLO;
 *  - DTLS 1.2: HelloVerifyRequest and cookie, a Certificate in fragments over several datagrams
 *    with one beyond a hole and one retransmitted, epoch 1 Finished and data;
 *  - QUIC long headers (size and direction rules) and the version names;
 *  - flows that are not TLS (the verdict sticks), later IP fragments, a mid-stream join;
 *  - every outcome;
 *  - a TCP Fast Open SYN carrying the ClientHello, and a chain of more than CIOT_TLS_MAX_CHAIN
 *    certificates (chain_truncated);
 *  - 3,000 seeded random and mutated packet sequences in a child process (no crash, sane summaries,
 *    and with the sanitizer build no leak: LeakSanitizer is asked in the child, and the parent's own
 *    check runs at exit).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "check.h"
#include "tls-connection.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_LSAN 1
#endif
#endif
#ifdef TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define TCP 6
#define UDP 17
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define CT_CCS CIOT_TLS_CHANGE_CIPHER_SPEC
#define CT_ALERT CIOT_TLS_ALERT
#define CT_HS CIOT_TLS_HANDSHAKE
#define CT_APP CIOT_TLS_APPLICATION_DATA

#define CLIENT CIOT_TLS_CLIENT
#define SERVER CIOT_TLS_SERVER

/* ---- bytes ------------------------------------------------------------------------------------ */

static uint32_t rng_state = 1;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void seed_rng(uint32_t seed)
{
	rng_state = seed * 2654435761u + 0x9e3779b9u;
	if (rng_state == 0)
		rng_state = 1;
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 0x6d2b79f5u;
	if (x == 0)
		x = 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static void put8(struct bytes *b, uint32_t v)
{
	bytes_u8(b, (uint8_t)v);
}

static void put16(struct bytes *b, uint32_t v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put24(struct bytes *b, uint32_t v)
{
	put8(b, v >> 16);
	put16(b, v);
}

static void put32(struct bytes *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v);
}

static void put_random(struct bytes *b, size_t n, uint32_t seed)
{
	size_t at = b->n;
	bytes_fill(b, 0, n);
	fill_random(b->d + at, n, seed);
}

/* A length field of `width` bytes, filled in by close_len once what it covers is written. */
static size_t open_len(struct bytes *b, unsigned width)
{
	size_t at = b->n;
	bytes_fill(b, 0, width);
	return at;
}

static void close_len(struct bytes *b, size_t at, unsigned width)
{
	size_t v = b->n - at - width;
	for (unsigned i = 0; i < width; i++)
		b->d[at + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static void append(struct bytes *b, const struct bytes *src)
{
	bytes_put(b, src->d, src->n);
}

static void hex_decode(const char *hex, uint8_t *out, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		unsigned v;
		sscanf(hex + i, "%2x", &v);
		out[k++] = (uint8_t)v;
	}
	*n = k;
}

/* ---- certificates ----------------------------------------------------------------------------- */

/* A real certificate: `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
 * -subj /CN=device.example.com -outform DER` (403 bytes; P-256, self-signed). */
static const char leaf_hex[] =
	"3082018f30820135a00302010202141e6711ef5081e23852eebccbd6a0d003a5be13b5300a06082a8648ce3d04030230"
	"1d311b301906035504030c126465766963652e6578616d706c652e636f6d301e170d3236313132323130353332315a17"
	"0d3336313131393130353332315a301d311b301906035504030c126465766963652e6578616d706c652e636f6d305930"
	"1306072a8648ce3d020106082a8648ce3d03010703420004e5d864e5ab9cd76e3c64cd3741bbc1dd79755a3805a5688c"
	"d3a8c9a426118acaab09d31479b34fc00f323d3785d58d2aec405fdc60ffacd00e60b2ffa50b53e6a3533051301d0603"
	"551d0e041604149e10b902a1ab6b23db365db3b66fba6badc05478301f0603551d230418301680149e10b902a1ab6b23"
	"db365db3b66fba6badc05478300f0603551d130101ff040530030101ff300a06082a8648ce3d04030203480030450221"
	"00ea5e880517d42e8af91fa290cb1b10a51a2216f6a2f5ff624092008665ec933002204600902bbd2209c883380f9861"
	"cb6d5a87d6fc2775bfb4b651ab66ccc25be0ce";
static uint8_t leaf[512];
static size_t leaf_len;

#define MAX_TEST_CHAIN 20
struct chain {
	const uint8_t *der[MAX_TEST_CHAIN];
	size_t len[MAX_TEST_CHAIN];
	unsigned n;
};

/* Blobs standing in for certificates (tls-connection only copies DER bytes): a SEQUENCE header and
 * seeded bytes, so that every certificate differs from every other. Freed at the end. */
static uint8_t *blobs[256];
static unsigned nblobs;

static const uint8_t *blob(size_t len, uint32_t seed)
{
	uint8_t *b = nblobs < sizeof blobs / sizeof blobs[0] ? malloc(len) : NULL;
	if (!b) {
		perror("malloc");
		exit(2);
	}
	fill_random(b, len, seed);
	b[0] = 0x30;
	if (len >= 4) {
		b[1] = 0x82;
		b[2] = (uint8_t)((len - 4) >> 8);
		b[3] = (uint8_t)(len - 4);
	}
	blobs[nblobs++] = b;
	return b;
}

static void chain_add(struct chain *c, const uint8_t *der, size_t len)
{
	c->der[c->n] = der;
	c->len[c->n] = len;
	c->n++;
}

static size_t chain_bytes(const struct chain *c)
{
	size_t n = 0;
	for (unsigned i = 0; i < c->n; i++)
		n += c->len[i];
	return n;
}

/* Checks that a side kept exactly this chain, in order, concatenated. */
static void check_chain(const struct ciot_tls_side *side, const struct chain *c)
{
	CHECK(side->certificate_message);
	CHECK_EQ_INT(side->nchain, c->n);
	CHECK(!side->chain_truncated);
	size_t off = 0;
	bool offsets = true, lengths = true, same = side->chain != NULL;
	for (unsigned i = 0; i < c->n && i < side->nchain; i++) {
		offsets &= side->chain_offset[i] == off;
		lengths &= side->chain_len[i] == c->len[i];
		if (same && lengths && offsets)
			same = memcmp(side->chain + off, c->der[i], c->len[i]) == 0;
		off += c->len[i];
	}
	CHECK(offsets);
	CHECK(lengths);
	CHECK(same);
}

/* ---- handshake messages ----------------------------------------------------------------------- */

/* The fields of a ClientHello or ServerHello. */
struct hello {
	uint16_t version;         /* legacy_version */
	const char *sni;          /* ClientHello: server_name */
	const char *alpn;         /* ClientHello: comma-separated */
	const uint16_t *versions; /* ClientHello: supported_versions, 0-terminated */
	const uint16_t *ciphers;  /* ClientHello: 0-terminated */
	const uint8_t *sid;       /* legacy_session_id */
	uint8_t sid_len;
	int ticket;               /* ClientHello: session_ticket: -1 absent, 0 empty, else a ticket of this size */
	bool psk;                 /* pre_shared_key: offered (ClientHello), selected (ServerHello) */
	uint8_t cookie_len;       /* DTLS ClientHello */
	bool dtls;
	uint16_t cipher;          /* ServerHello */
	uint16_t selected;        /* ServerHello: supported_versions */
	bool hrr;                 /* ServerHello: the HelloRetryRequest random */
};

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};
static const uint16_t ciphers12[] = { 0xc02f, 0xc02b, 0x009c, 0 };
static const uint16_t ciphers13[] = { 0x1301, 0x1302, 0xc02f, 0 };
static const uint16_t versions13[] = { 0x0304, 0x0303, 0 };
static uint8_t sid_client[32], sid_server[32];

static void client_hello_body(struct bytes *b, const struct hello *h)
{
	put16(b, h->version);
	put_random(b, 32, 0xc1);
	put8(b, h->sid_len);
	bytes_put(b, h->sid, h->sid_len);
	if (h->dtls) {
		put8(b, h->cookie_len);
		put_random(b, h->cookie_len, 0xc0);
	}
	size_t at = open_len(b, 2);
	for (const uint16_t *c = h->ciphers ? h->ciphers : ciphers12; *c; c++)
		put16(b, *c);
	close_len(b, at, 2);
	put8(b, 1);
	put8(b, 0);
	size_t exts = open_len(b, 2);
	if (h->sni) {
		put16(b, 0);
		size_t e = open_len(b, 2), list = open_len(b, 2);
		put8(b, 0);
		put16(b, (uint32_t)strlen(h->sni));
		bytes_put(b, h->sni, strlen(h->sni));
		close_len(b, list, 2);
		close_len(b, e, 2);
	}
	if (h->alpn) {
		put16(b, 16);
		size_t e = open_len(b, 2), list = open_len(b, 2);
		for (const char *p = h->alpn; *p;) {
			size_t len = strcspn(p, ",");
			put8(b, (uint32_t)len);
			bytes_put(b, p, len);
			p += len + (p[len] == ',');
		}
		close_len(b, list, 2);
		close_len(b, e, 2);
	}
	if (h->versions) {
		put16(b, 43);
		size_t e = open_len(b, 2), list = open_len(b, 1);
		for (const uint16_t *v = h->versions; *v; v++)
			put16(b, *v);
		close_len(b, list, 1);
		close_len(b, e, 2);
	}
	if (h->ticket >= 0) {
		put16(b, 35);
		size_t e = open_len(b, 2);
		put_random(b, (size_t)h->ticket, 0x71);
		close_len(b, e, 2);
	}
	if (h->psk) {
		put16(b, 41);
		size_t e = open_len(b, 2), ids = open_len(b, 2);
		put16(b, 8);
		bytes_put(b, "identity", 8);
		put32(b, 12345);
		close_len(b, ids, 2);
		size_t binders = open_len(b, 2);
		put8(b, 32);
		put_random(b, 32, 0xb1);
		close_len(b, binders, 2);
		close_len(b, e, 2);
	}
	close_len(b, exts, 2);
}

static void server_hello_body(struct bytes *b, const struct hello *h)
{
	put16(b, h->version);
	if (h->hrr)
		bytes_put(b, hrr_random, sizeof hrr_random);
	else
		put_random(b, 32, 0x5e);
	put8(b, h->sid_len);
	bytes_put(b, h->sid, h->sid_len);
	put16(b, h->cipher);
	put8(b, 0);
	if (h->selected || h->psk) {
		size_t exts = open_len(b, 2);
		if (h->selected) {
			put16(b, 43);
			put16(b, 2);
			put16(b, h->selected);
		}
		if (h->psk) {
			put16(b, 41);
			put16(b, 2);
			put16(b, 0);
		}
		close_len(b, exts, 2);
	}
}

/* TLS 1.2's Certificate body: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
static void certificate_body(struct bytes *b, const struct chain *c)
{
	size_t list = open_len(b, 3);
	for (unsigned i = 0; i < c->n; i++) {
		put24(b, (uint32_t)c->len[i]);
		bytes_put(b, c->der[i], c->len[i]);
	}
	close_len(b, list, 3);
}

/* A TLS handshake message: msg_type, length<3>, body. */
static void handshake(struct bytes *out, uint8_t type, const struct bytes *body)
{
	put8(out, type);
	put24(out, (uint32_t)body->n);
	append(out, body);
}

static void handshake_random(struct bytes *out, uint8_t type, size_t n, uint32_t seed)
{
	put8(out, type);
	put24(out, (uint32_t)n);
	put_random(out, n, seed);
}

static void record(struct bytes *out, uint8_t type, uint16_t version, const uint8_t *p, size_t n)
{
	put8(out, type);
	put16(out, version);
	put16(out, (uint32_t)n);
	bytes_put(out, p, n);
}

/* The bytes p[0..n) as records of at most maxfrag bytes. */
static void records(struct bytes *out, uint8_t type, uint16_t version, const uint8_t *p, size_t n, size_t maxfrag)
{
	for (size_t off = 0; off < n; off += maxfrag)
		record(out, type, version, p + off, n - off < maxfrag ? n - off : maxfrag);
}

/* A record whose body is opaque (encrypted): seeded bytes. */
static void opaque_record(struct bytes *out, uint8_t type, size_t n, uint32_t seed)
{
	put8(out, type);
	put16(out, 0x0303);
	put16(out, (uint32_t)n);
	put_random(out, n, seed);
}

static void ccs_record(struct bytes *out)
{
	static const uint8_t one = 1;
	record(out, CT_CCS, 0x0303, &one, 1);
}

static void alert_record(struct bytes *out, uint8_t level, uint8_t description)
{
	uint8_t a[2] = { level, description };
	record(out, CT_ALERT, 0x0303, a, 2);
}

/* ---- packets ---------------------------------------------------------------------------------- */

struct conn {
	struct ciot_tls_flow t;
	uint8_t proto;      /* TCP unless set */
	uint32_t next[2];   /* each direction's next sequence number */
	int64_t ts;         /* of the last packet */
	unsigned packets;
};

/* One packet; the payload is copied to a heap block of exactly its size. */
static void packet_at(struct conn *c, int dir, uint8_t flags, uint32_t seq, const uint8_t *p, size_t n)
{
	uint8_t *copy = NULL;
	if (n) {
		copy = malloc(n);
		if (!copy) {
			perror("malloc");
			exit(2);
		}
		memcpy(copy, p, n);
	}
	struct ciot_packet pkt;
	memset(&pkt, 0, sizeof pkt);
	pkt.proto = c->proto ? c->proto : TCP;
	pkt.ip_version = 4;
	pkt.tcp_flags = c->proto == UDP ? 0 : flags;
	pkt.tcp_seq = c->proto == UDP ? 0 : seq;
	pkt.payload = copy;
	pkt.payload_caplen = pkt.payload_len = (uint32_t)n;
	pkt.wirelen = (uint32_t)n + 54;
	c->ts += 1000;
	pkt.ts_us = c->ts;
	c->packets++;
	ciot_tls_packet(&c->t, dir, &pkt);
	free(copy);
}

static void conn_syn(struct conn *c, uint32_t isn0, uint32_t isn1)
{
	c->ts = 1700000000000000;
	packet_at(c, 0, F_SYN, isn0, NULL, 0);
	packet_at(c, 1, F_SYN | F_ACK, isn1, NULL, 0);
	packet_at(c, 0, F_ACK, isn0 + 1, NULL, 0);
	c->next[0] = isn0 + 1;
	c->next[1] = isn1 + 1;
}

/* A connection whose SYNs the capture did not see. */
static void conn_joined(struct conn *c, uint32_t seq0, uint32_t seq1)
{
	c->ts = 1700000000000000;
	c->next[0] = seq0;
	c->next[1] = seq1;
}

static void send_mss(struct conn *c, int dir, const uint8_t *p, size_t n, size_t mss)
{
	for (size_t off = 0; off < n; off += mss) {
		size_t len = n - off < mss ? n - off : mss;
		packet_at(c, dir, F_ACK | F_PSH, c->next[dir], p + off, len);
		c->next[dir] += (uint32_t)len;
	}
}

static void send_bytes(struct conn *c, int dir, const struct bytes *b)
{
	send_mss(c, dir, b->d, b->n, 1460);
}

static void ack(struct conn *c, int dir)
{
	packet_at(c, dir, F_ACK, c->next[dir], NULL, 0);
}

/* A FIN (or RST) without data; returns its time. */
static int64_t conn_close(struct conn *c, int dir, uint8_t flag)
{
	packet_at(c, dir, flag | F_ACK, c->next[dir], NULL, 0);
	if (flag == F_FIN)
		c->next[dir]++;
	return c->ts;
}

static void datagram(struct conn *c, int dir, const struct bytes *b)
{
	packet_at(c, dir, 0, 0, b->d, b->n);
}

/* Sends p[0..n) as segments of `mss` delivered out of order (blocks of 1 to 4 reversed, and for odd
 * seeds the last one first), with duplicates and retransmissions cut at other boundaries, all
 * seeded. Every byte arrives at least once; no more than a handful of holes is open at a time. */
static void send_shuffled(struct conn *c, int dir, const uint8_t *p, size_t n, size_t mss, uint32_t seed)
{
	uint32_t base = c->next[dir];
	size_t k = (n + mss - 1) / mss;
	size_t *order = calloc(k + 1, sizeof *order);
	if (!order)
		exit(2);
	size_t m = 0;
	uint32_t saved = rng_state;
	seed_rng(seed);
	if (seed % 2 && k > 2)
		order[m++] = k - 1;
	for (size_t i = 0; i < k;) {
		size_t block = 1 + rnd() % 4;
		if (i + block > k)
			block = k - i;
		for (size_t j = block; j-- > 0;)
			if (!(seed % 2 && k > 2 && i + j == k - 1))
				order[m++] = i + j;
		i += block;
	}
	for (size_t i = 0; i < m; i++) {
		size_t s = order[i], off = s * mss, len = n - off < mss ? n - off : mss;
		packet_at(c, dir, F_ACK | F_PSH, base + (uint32_t)off, p + off, len);
		size_t again = order[rnd() % (i + 1)];
		switch (rnd() % 6) {
		case 0: /* a duplicate of a segment already sent */
			off = again * mss;
			len = n - off < mss ? n - off : mss;
			packet_at(c, dir, F_ACK | F_PSH, base + (uint32_t)off, p + off, len);
			break;
		case 1: /* a retransmission from the middle of one segment into the next */
			off = again * mss + mss / 2;
			if (off < n) {
				len = n - off < mss ? n - off : mss;
				packet_at(c, dir, F_ACK | F_PSH, base + (uint32_t)off, p + off, len);
			}
			break;
		default:
			break;
		}
	}
	rng_state = saved;
	free(order);
	c->next[dir] = base + (uint32_t)n;
}

static const char *alerts_of(const struct ciot_tls_side *side)
{
	static char buf[4][256];
	static unsigned next;
	char *out = buf[next++ % 4];
	ciot_tls_alerts_text(side, out, sizeof buf[0]);
	return out;
}

static const char *outcome(const struct ciot_tls_summary *s)
{
	return s ? ciot_tls_outcome_name(ciot_tls_outcome_of(s)) : "(not TLS)";
}

/* Whether a summary is NULL (freeing it when it is not, so that a failed check leaks nothing). */
static bool is_null(struct ciot_tls_summary *s)
{
	ciot_tls_summary_free(s);
	return s == NULL;
}

/* ---- TLS 1.2 ---------------------------------------------------------------------------------- */

struct tls12 {
	struct bytes ch;      /* the ClientHello record */
	struct bytes server1; /* ServerHello, Certificate, [CertificateRequest], ServerHelloDone */
	struct bytes client2; /* ClientKeyExchange, ChangeCipherSpec, Finished (encrypted) */
	struct bytes server2; /* ChangeCipherSpec, Finished (encrypted) */
};

static struct hello default_ch12(void)
{
	return (struct hello){ .version = 0x0303, .sni = "device.example.com", .alpn = "h2,http/1.1",
			       .ciphers = ciphers12, .sid = sid_client, .sid_len = 32, .ticket = 0 };
}

static struct hello default_sh12(void)
{
	return (struct hello){ .version = 0x0303, .cipher = 0xc02f, .sid = sid_server, .sid_len = 32 };
}

/* The server's first flight: its handshake messages in records of at most maxfrag bytes. */
static void build_tls12(struct tls12 *f, const struct hello *ch, const struct hello *sh, const struct chain *chain,
			bool cert_request, size_t maxfrag)
{
	memset(f, 0, sizeof *f);
	struct bytes body = { 0 }, msgs = { 0 };
	client_hello_body(&body, ch);
	handshake(&msgs, CIOT_TLS_CLIENT_HELLO, &body);
	record(&f->ch, CT_HS, 0x0301, msgs.d, msgs.n);
	body.n = msgs.n = 0;
	server_hello_body(&body, sh);
	handshake(&msgs, CIOT_TLS_SERVER_HELLO, &body);
	if (chain) {
		body.n = 0;
		certificate_body(&body, chain);
		handshake(&msgs, CIOT_TLS_CERTIFICATE, &body);
	}
	if (cert_request) {
		body.n = 0;
		put8(&body, 1);
		put8(&body, 1);  /* rsa_sign */
		put16(&body, 2);
		put16(&body, 0x0401);
		put16(&body, 0); /* no CA names */
		handshake(&msgs, CIOT_TLS_CERTIFICATE_REQUEST, &body);
	}
	handshake_random(&msgs, CIOT_TLS_SERVER_HELLO_DONE, 0, 0);
	records(&f->server1, CT_HS, 0x0303, msgs.d, msgs.n, maxfrag);
	msgs.n = 0;
	handshake_random(&msgs, CIOT_TLS_CLIENT_KEY_EXCHANGE, 33, 0xce);
	record(&f->client2, CT_HS, 0x0303, msgs.d, msgs.n);
	ccs_record(&f->client2);
	opaque_record(&f->client2, CT_HS, 40, 0xf1);
	ccs_record(&f->server2);
	opaque_record(&f->server2, CT_HS, 40, 0xf2);
	bytes_free(&body);
	bytes_free(&msgs);
}

static void free_tls12(struct tls12 *f)
{
	bytes_free(&f->ch);
	bytes_free(&f->server1);
	bytes_free(&f->client2);
	bytes_free(&f->server2);
}

struct closes {
	int64_t client_ts, server_ts;
};

/* The connection of case 1: SYN, SYN-ACK (sequence numbers about to wrap), the ClientHello, the
 * server's flight in 3 segments (or shuffled when seed != 0, in segments of mss), the client's
 * ClientKeyExchange+CCS+Finished, the server's CCS+Finished, data (client 100+200 in one segment,
 * server one 3,000-byte record over 3 segments, client 300), the client's FIN then the server's,
 * then a RST from the client and the server's FIN again. */
static struct ciot_tls_summary *run_tls12(const struct tls12 *f, uint32_t seed, size_t mss, struct closes *closes)
{
	struct conn c = { 0 };
	conn_syn(&c, 0xfffffe00u, 0x7ffffff0u);
	send_bytes(&c, 0, &f->ch);
	if (seed == 0)
		send_mss(&c, 1, f->server1.d, f->server1.n, (f->server1.n + 2) / 3);
	else
		send_shuffled(&c, 1, f->server1.d, f->server1.n, mss, seed);
	ack(&c, 0);
	send_bytes(&c, 0, &f->client2);
	send_bytes(&c, 1, &f->server2);
	struct bytes app = { 0 };
	opaque_record(&app, CT_APP, 100, 1);
	opaque_record(&app, CT_APP, 200, 2);
	send_bytes(&c, 0, &app);
	app.n = 0;
	opaque_record(&app, CT_APP, 3000, 3);
	if (seed == 0)
		send_mss(&c, 1, app.d, app.n, 1460);
	else
		send_shuffled(&c, 1, app.d, app.n, 1000, seed + 1);
	app.n = 0;
	opaque_record(&app, CT_APP, 300, 4);
	send_bytes(&c, 0, &app);
	if (seed) {
		/* the whole server flight once more, cut differently: all of it already read */
		uint32_t end = c.next[1];
		c.next[1] = 0x7ffffff0u + 1;
		send_mss(&c, 1, f->server1.d, f->server1.n, 999);
		c.next[1] = end;
	}
	closes->client_ts = conn_close(&c, 0, F_FIN);
	ack(&c, 1);
	closes->server_ts = conn_close(&c, 1, F_FIN);
	ack(&c, 0);
	conn_close(&c, 0, F_RST); /* only a side's first FIN or RST counts */
	conn_close(&c, 1, F_FIN);
	bytes_free(&app);
	return ciot_tls_finish(&c.t);
}

/* What case 1's connection must give, whatever the delivery order. */
static void check_tls12_full(const struct ciot_tls_summary *s, const struct chain *chain, const struct closes *closes)
{
	CHECK(s != NULL);
	if (!s)
		return;
	const struct ciot_tls_side *cl = &s->side[CLIENT], *sv = &s->side[SERVER];
	CHECK_EQ_INT(s->protocol, CIOT_TLS_PROTO_TLS);
	CHECK_EQ_STR(ciot_tls_protocol_name(s->protocol), "tls");
	CHECK_EQ_INT(s->client_dir, 0);
	CHECK(cl->hello);
	CHECK(sv->hello);
	CHECK_EQ_INT(s->ch.legacy_version, 0x0303);
	CHECK_EQ_STR(s->ch.sni, "device.example.com");
	CHECK_EQ_STR(s->ch.alpn, "h2,http/1.1");
	CHECK_EQ_INT(s->ch.nciphers, 3);
	CHECK_EQ_INT(s->sh.cipher, 0xc02f);
	CHECK_EQ_INT(s->version, 0x0303);
	CHECK(!s->resumed);
	CHECK(!s->hello_retry);
	CHECK(!s->sslv2_server);
	CHECK(!s->certificate_request);
	check_chain(sv, chain);
	CHECK(!cl->certificate_message);
	CHECK_EQ_INT(cl->nchain, 0);
	CHECK(cl->change_cipher_spec);
	CHECK(sv->change_cipher_spec);
	CHECK(cl->finished);
	CHECK(sv->finished);
	CHECK(s->established);
	CHECK_EQ_INT(cl->app_records, 3);
	CHECK_EQ_INT(cl->app_bytes, 600);
	CHECK_EQ_INT(sv->app_records, 1);
	CHECK_EQ_INT(sv->app_bytes, 3000);
	CHECK_EQ_INT(cl->alerts_total, 0);
	CHECK_EQ_INT(sv->alerts_total, 0);
	CHECK_EQ_STR(alerts_of(cl), "");
	CHECK_EQ_INT(cl->gaps, 0);
	CHECK_EQ_INT(sv->gaps, 0);
	CHECK(!cl->handshake_truncated && !sv->handshake_truncated);
	CHECK(!cl->handshake_malformed && !sv->handshake_malformed);
	CHECK_EQ_INT(cl->close, CIOT_TLS_CLOSED_FIN);
	CHECK_EQ_INT(sv->close, CIOT_TLS_CLOSED_FIN);
	CHECK(cl->close_packet > 0 && cl->close_packet < sv->close_packet);
	CHECK_EQ_INT(cl->close_ts, closes->client_ts);
	CHECK_EQ_INT(sv->close_ts, closes->server_ts);
	CHECK_EQ_STR(outcome(s), "communicates");
}

static void make_small_chain(struct chain *c)
{
	memset(c, 0, sizeof *c);
	chain_add(c, leaf, leaf_len);
	chain_add(c, blob(1100, 11), 1100);
	chain_add(c, blob(870, 12), 870);
}

/* Case 1. */
static void test_tls12_full(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	/* one record for ServerHello, Certificate and ServerHelloDone */
	CHECK_EQ_INT(f.server1.d[0], CT_HS);
	CHECK_EQ_INT((size_t)(f.server1.d[3] << 8 | f.server1.d[4]) + 5, f.server1.n);
	struct closes closes;
	struct ciot_tls_summary *s = run_tls12(&f, 0, 0, &closes);
	check_tls12_full(s, &chain, &closes);
	if (s) {
		/* the chain's offsets: the leaf first, each certificate right after the one before */
		CHECK_EQ_INT(s->side[SERVER].chain_offset[0], 0);
		CHECK_EQ_INT(s->side[SERVER].chain_len[0], 403);
		CHECK_EQ_INT(s->side[SERVER].chain_offset[1], 403);
		CHECK_EQ_INT(s->side[SERVER].chain_offset[2], 403 + 1100);
		CHECK_EQ_INT(s->side[SERVER].chain_len[2], 870);
		CHECK_EQ_INT(s->side[SERVER].chain[0], 0x30);
		CHECK_EQ_INT(s->ch.session_id_len, 32);
		CHECK(!s->ch.session_ticket); /* an empty session_ticket asks for one */
	}
	ciot_tls_summary_free(s);
	free_tls12(&f);

	/* every handshake message cut across records of 100 bytes (the Certificate over 25 of them),
	 * the records across segments */
	build_tls12(&f, &ch, &sh, &chain, false, 100);
	unsigned nrecords = 0;
	for (size_t at = 0; at + 5 <= f.server1.n; at += 5 + (size_t)(f.server1.d[at + 3] << 8 | f.server1.d[at + 4]))
		nrecords++;
	CHECK(nrecords >= 24); /* the chain alone is 2,373 bytes */
	s = run_tls12(&f, 0, 0, &closes);
	check_tls12_full(s, &chain, &closes);
	ciot_tls_summary_free(s);
	free_tls12(&f);

	/* the same, the ClientHello sent by the responder (a flow whose start the capture missed, so
	 * that the flow table took the server for the initiator) */
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	struct conn c = { 0 };
	conn_joined(&c, 5000, 9000);
	send_bytes(&c, 1, &f.ch);
	send_bytes(&c, 0, &f.server1);
	send_bytes(&c, 1, &f.client2);
	send_bytes(&c, 0, &f.server2);
	struct bytes app = { 0 };
	opaque_record(&app, CT_APP, 77, 5);
	send_bytes(&c, 1, &app);
	app.n = 0;
	opaque_record(&app, CT_APP, 500, 6);
	opaque_record(&app, CT_APP, 50, 7);
	send_bytes(&c, 0, &app);
	conn_close(&c, 0, F_RST);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->client_dir, 1);
		check_chain(&s->side[SERVER], &chain);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 1);
		CHECK_EQ_INT(s->side[CLIENT].app_bytes, 77);
		CHECK_EQ_INT(s->side[SERVER].app_records, 2);
		CHECK_EQ_INT(s->side[SERVER].app_bytes, 550);
		CHECK_EQ_INT(s->side[SERVER].close, CIOT_TLS_CLOSED_RST);
		CHECK_EQ_INT(s->side[CLIENT].close, CIOT_TLS_OPEN);
		CHECK(s->established);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	/* finishing again, and finishing a flow that never had a payload: nothing */
	CHECK(is_null(ciot_tls_finish(&c.t)));
	struct ciot_tls_flow empty = { 0 };
	CHECK(is_null(ciot_tls_finish(&empty)));
	bytes_free(&app);
	free_tls12(&f);
	check_case(before, "TLS 1.2 full handshake");
}

/* Case 2. */
static void test_tls12_reordered(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	struct closes closes;
	for (uint32_t seed = 1; seed <= 12; seed++) {
		struct ciot_tls_summary *s = run_tls12(&f, seed, 200 + 37 * seed, &closes);
		check_tls12_full(s, &chain, &closes);
		ciot_tls_summary_free(s);
	}
	free_tls12(&f);
	check_case(before, "TLS 1.2 out of order");

	/* a 40 KB Certificate message: three records of 16 KiB, ~30 segments */
	before = check_failures;
	struct chain big = { 0 };
	chain_add(&big, leaf, leaf_len);
	chain_add(&big, blob(38000, 21), 38000);
	chain_add(&big, blob(1597, 22), 1597);
	build_tls12(&f, &ch, &sh, &big, false, 16384);
	CHECK(f.server1.n > 40000);
	unsigned nrecords = 0;
	for (size_t at = 0; at + 5 <= f.server1.n; at += 5 + (size_t)(f.server1.d[at + 3] << 8 | f.server1.d[at + 4]))
		nrecords++;
	CHECK_EQ_INT(nrecords, 3);
	struct ciot_tls_summary *s = run_tls12(&f, 0, 0, &closes);
	check_tls12_full(s, &big, &closes);
	ciot_tls_summary_free(s);
	for (uint32_t seed = 101; seed <= 124; seed++) {
		s = run_tls12(&f, seed, 1400, &closes);
		check_tls12_full(s, &big, &closes);
		ciot_tls_summary_free(s);
	}
	check_case(before, "TLS 1.2 40 KB chain out of order");

	/* more holes than the stream keeps ranges for: every other segment of 1,000 bytes first (20
	 * separate ranges; those past the 16th are dropped), then the others, then the whole flight
	 * again: the chain still comes out whole */
	before = check_failures;
	struct conn c = { 0 };
	conn_syn(&c, 0xffffff00u, 0xfffff000u);
	send_bytes(&c, 0, &f.ch);
	uint32_t base = c.next[1];
	size_t k = (f.server1.n + 999) / 1000;
	CHECK(k > 2 * 16);
	for (int pass = 1; pass >= 0; pass--)
		for (size_t i = (size_t)pass; i < k; i += 2) {
			size_t len = f.server1.n - i * 1000 < 1000 ? f.server1.n - i * 1000 : 1000;
			packet_at(&c, 1, F_ACK, base + (uint32_t)(i * 1000), f.server1.d + i * 1000, len);
		}
	send_mss(&c, 1, f.server1.d, f.server1.n, 1400);
	send_bytes(&c, 0, &f.client2);
	send_bytes(&c, 1, &f.server2);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		check_chain(&s->side[SERVER], &big);
		CHECK(s->established);
		CHECK_EQ_INT(s->side[SERVER].gaps, 0);
	}
	ciot_tls_summary_free(s);
	free_tls12(&f);
	check_case(before, "more holes than ranges");
}

/* Case 3: a Certificate message at and past CIOT_TLS_HANDSHAKE_MAX, followed by a
 * CertificateRequest and ServerHelloDone, the rest of the handshake and data. */
static void run_big_certificate(size_t body_len, bool shuffled, bool ticket_offered)
{
	unsigned before = check_failures;
	/* body = list length (3) + 2 * (3 + DER) */
	struct chain chain = { 0 };
	size_t l2 = body_len - 9 - 40000;
	chain_add(&chain, blob(40000, 31), 40000);
	chain_add(&chain, blob(l2, 32), l2);
	struct hello ch = default_ch12(), sh = default_sh12();
	if (ticket_offered)
		ch.ticket = 180;
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, true, 16384);
	struct conn c = { 0 };
	conn_syn(&c, 1000, 2000);
	send_bytes(&c, 0, &f.ch);
	if (shuffled)
		send_shuffled(&c, 1, f.server1.d, f.server1.n, 1448, (uint32_t)body_len);
	else
		send_bytes(&c, 1, &f.server1);
	send_bytes(&c, 0, &f.client2);
	send_bytes(&c, 1, &f.server2);
	struct bytes app = { 0 };
	opaque_record(&app, CT_APP, 64, 8);
	send_bytes(&c, 0, &app);
	send_bytes(&c, 1, &app);
	send_bytes(&c, 1, &app);
	bytes_free(&app);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *sv = &s->side[SERVER];
		bool fits = body_len <= CIOT_TLS_HANDSHAKE_MAX;
		CHECK_EQ_INT(sv->handshake_truncated, !fits);
		CHECK(!sv->handshake_malformed);
		if (fits) {
			check_chain(sv, &chain);
		} else {
			CHECK_EQ_INT(sv->nchain, 0);
			CHECK(sv->chain == NULL);
			/* handshake_truncated says what happened; a full handshake is not a resumption */
			CHECK(!s->resumed);
		}
		/* what came after the large message was still read */
		CHECK(s->certificate_request);
		CHECK(sv->finished);
		CHECK(s->side[CLIENT].finished);
		CHECK(s->established);
		CHECK_EQ_INT(s->version, 0x0303);
		CHECK_EQ_INT(sv->app_records, 2);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 1);
		CHECK_EQ_INT(sv->gaps, 0);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	free_tls12(&f);
	char name[96];
	snprintf(name, sizeof name, "Certificate body of %zu bytes%s%s", body_len, shuffled ? ", out of order" : "",
		 ticket_offered ? ", ticket offered" : "");
	check_case(before, name);
}

static void test_big_certificates(void)
{
	run_big_certificate(CIOT_TLS_HANDSHAKE_MAX, false, false);
	run_big_certificate(CIOT_TLS_HANDSHAKE_MAX, true, false);
	run_big_certificate(CIOT_TLS_HANDSHAKE_MAX + 1, false, false);
	run_big_certificate(70000, false, false);
	run_big_certificate(70000, true, false);
	run_big_certificate(70000, false, true);
}

/* A short TLS 1.2 handshake on c (ClientHello .. server's Finished), data to follow. */
static void handshake12(struct conn *c, const struct chain *chain)
{
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, chain, false, 16384);
	send_bytes(c, 0, &f.ch);
	send_bytes(c, 1, &f.server1);
	send_bytes(c, 0, &f.client2);
	send_bytes(c, 1, &f.server2);
	free_tls12(&f);
}

/* Case 4. */
static void test_gaps(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);
	/* 120 application data records of 1,005 bytes, one per segment; the capture lost the 11th.
	 * The 65 records after it fit the 64 KiB window (65 x 1,005 = 65,325) and wait for it; the
	 * 66th lies past the window: the hole is given up (one gap) and reading starts again there.
	 * Then an alert (encrypted: after ChangeCipherSpec) and the FIN. */
	struct conn c = { 0 };
	conn_syn(&c, 0x80000000u, 42);
	handshake12(&c, &chain);
	struct bytes rec = { 0 };
	const unsigned total = 120, lost = 10;
	for (unsigned i = 0; i < total; i++) {
		rec.n = 0;
		opaque_record(&rec, CT_APP, 1000, 100 + i);
		if (i == lost)
			c.next[0] += (uint32_t)rec.n;
		else
			send_bytes(&c, 0, &rec);
		if (i % 10 == 0)
			ack(&c, 1);
	}
	rec.n = 0;
	opaque_record(&rec, CT_ALERT, 26, 9);
	send_bytes(&c, 0, &rec);
	conn_close(&c, 0, F_FIN);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *cl = &s->side[CLIENT];
		unsigned window = CIOT_TLS_STREAM_MAX / 1005 + 1; /* records given up with the hole */
		CHECK_EQ_INT(window, 66);
		CHECK_EQ_INT(cl->gaps, 1);
		CHECK_EQ_INT(cl->app_records, lost + (total - lost - 1 - (window - 1)));
		CHECK_EQ_INT(cl->app_bytes, 1000u * (lost + (total - lost - 1 - (window - 1))));
		CHECK_EQ_INT(cl->alerts_total, 1);
		CHECK_EQ_STR(alerts_of(cl), "encrypted");
		CHECK(cl->finished);
		CHECK_EQ_INT(s->side[SERVER].gaps, 0);
		check_chain(&s->side[SERVER], &chain);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	check_case(before, "a segment lost in application data");

	/* The server's first segment is lost (its SYN-ACK gave the stream's start): the hole at the
	 * front never fills; the rest of its flight and 80 records wait in the window until one lies
	 * 64 KiB past the hole, which starts it again. A clear close_notify at the end is read. */
	before = check_failures;
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	memset(&c, 0, sizeof c);
	conn_syn(&c, 7, 0xffff0000u);
	send_bytes(&c, 0, &f.ch);
	size_t flight = f.server1.n;
	c.next[1] += 1000; /* the first 1,000 bytes never arrive */
	send_mss(&c, 1, f.server1.d + 1000, flight - 1000, 1000);
	unsigned resync = 0;
	for (unsigned i = 0; i < 80; i++) {
		rec.n = 0;
		opaque_record(&rec, CT_APP, 1000, 300 + i);
		if (!resync && flight + i * 1005u >= CIOT_TLS_STREAM_MAX)
			resync = i;
		send_bytes(&c, 1, &rec);
	}
	rec.n = 0;
	alert_record(&rec, 1, 0);
	send_bytes(&c, 1, &rec);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *sv = &s->side[SERVER];
		CHECK(resync > 0);
		CHECK_EQ_INT(sv->gaps, 1);
		CHECK(!sv->hello);
		CHECK(!sv->certificate_message);
		CHECK_EQ_INT(sv->app_records, 80 - resync);
		CHECK_EQ_INT(sv->alerts_total, 1);
		CHECK_EQ_STR(alerts_of(sv), "warning:close_notify");
		CHECK(s->side[CLIENT].hello);
		CHECK_EQ_STR(s->ch.sni, "device.example.com");
		CHECK_EQ_STR(outcome(s), "server-failure");
	}
	ciot_tls_summary_free(s);
	free_tls12(&f);
	check_case(before, "a hole at the front that never fills");

	/* Bytes that are not a record header where one is due: a gap at once; the next segment that
	 * starts with a header is read. */
	before = check_failures;
	memset(&c, 0, sizeof c);
	conn_syn(&c, 100, 200);
	handshake12(&c, &chain);
	static const char junk[] = "this is no TLS record at all, just text";
	send_mss(&c, 0, (const uint8_t *)junk, sizeof junk - 1, 20); /* the second piece starts no record either */
	rec.n = 0;
	opaque_record(&rec, CT_APP, 500, 10);
	opaque_record(&rec, CT_APP, 50, 11);
	send_bytes(&c, 0, &rec);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->side[CLIENT].gaps, 1);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 2);
		CHECK_EQ_INT(s->side[CLIENT].app_bytes, 550);
	}
	ciot_tls_summary_free(s);
	bytes_free(&rec);
	check_case(before, "not a record header");
}

/* ---- alerts ----------------------------------------------------------------------------------- */

/* A ClientHello and the server's first flight (ServerHello, Certificate, ServerHelloDone). */
static void hello12(struct conn *c, const struct chain *chain, bool server_flight)
{
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, chain, false, 16384);
	conn_syn(c, 31337, 4242);
	send_bytes(c, 0, &f.ch);
	if (server_flight)
		send_bytes(c, 1, &f.server1);
	free_tls12(&f);
}

/* Case 5. */
static void test_alerts(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);
	struct bytes rec = { 0 };

	/* the client refuses the certificate: a clear fatal unknown_ca, then its FIN */
	struct conn c = { 0 };
	hello12(&c, &chain, true);
	alert_record(&rec, 2, 48);
	send_bytes(&c, 0, &rec);
	conn_close(&c, 0, F_FIN);
	conn_close(&c, 1, F_FIN);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *cl = &s->side[CLIENT];
		CHECK_EQ_INT(cl->nalerts, 1);
		CHECK_EQ_INT(cl->alerts[0].level, 2);
		CHECK_EQ_INT(cl->alerts[0].description, 48);
		CHECK(!cl->alerts[0].encrypted);
		CHECK_EQ_STR(alerts_of(cl), "fatal:unknown_ca");
		CHECK_EQ_STR(alerts_of(&s->side[SERVER]), "");
		check_chain(&s->side[SERVER], &chain);
		CHECK(!s->established);
		CHECK(!cl->finished);
		CHECK_EQ_STR(outcome(s), "client-alert");
	}
	ciot_tls_summary_free(s);

	/* both sides send an alert: the client's decides */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, true);
	rec.n = 0;
	alert_record(&rec, 2, 42);
	send_bytes(&c, 0, &rec);
	rec.n = 0;
	alert_record(&rec, 1, 0);
	send_bytes(&c, 1, &rec);
	conn_close(&c, 1, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_STR(alerts_of(&s->side[CLIENT]), "fatal:bad_certificate");
		CHECK_EQ_STR(alerts_of(&s->side[SERVER]), "warning:close_notify");
		CHECK_EQ_STR(outcome(s), "client-alert");
	}
	ciot_tls_summary_free(s);

	/* the server refuses the ClientHello: handshake_failure */
	memset(&c, 0, sizeof c);
	hello12(&c, NULL, false);
	rec.n = 0;
	alert_record(&rec, 2, 40);
	send_bytes(&c, 1, &rec);
	conn_close(&c, 1, F_FIN);
	conn_close(&c, 0, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_STR(alerts_of(&s->side[SERVER]), "fatal:handshake_failure");
		CHECK(!s->side[SERVER].hello);
		CHECK_EQ_STR(outcome(s), "server-failure");
	}
	ciot_tls_summary_free(s);

	/* after ChangeCipherSpec an alert is encrypted; a close_notify after data */
	memset(&c, 0, sizeof c);
	conn_syn(&c, 1, 2);
	handshake12(&c, &chain);
	rec.n = 0;
	opaque_record(&rec, CT_APP, 120, 12);
	send_bytes(&c, 0, &rec);
	send_bytes(&c, 1, &rec);
	rec.n = 0;
	opaque_record(&rec, CT_ALERT, 26, 13);
	send_bytes(&c, 0, &rec);
	conn_close(&c, 0, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *cl = &s->side[CLIENT];
		CHECK_EQ_INT(cl->nalerts, 1);
		CHECK(cl->alerts[0].encrypted);
		CHECK_EQ_INT(cl->alerts[0].level, 0);
		CHECK_EQ_STR(alerts_of(cl), "encrypted");
		CHECK_EQ_INT(cl->app_records, 1); /* the alert is not data */
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);

	/* an alert record that is not 2 bytes long cannot be read: encrypted */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, true);
	static const uint8_t three[3] = { 2, 48, 0 };
	rec.n = 0;
	record(&rec, CT_ALERT, 0x0303, three, 3);
	send_bytes(&c, 0, &rec);
	conn_close(&c, 0, F_RST);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_STR(alerts_of(&s->side[CLIENT]), "encrypted");
		CHECK_EQ_INT(s->side[CLIENT].close, CIOT_TLS_CLOSED_RST);
		CHECK_EQ_STR(outcome(s), "client-alert");
	}
	ciot_tls_summary_free(s);

	/* more alerts than are kept, unknown levels and descriptions, a short buffer */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, true);
	rec.n = 0;
	alert_record(&rec, 1, 0);    /* warning:close_notify */
	alert_record(&rec, 2, 201);  /* no such description */
	alert_record(&rec, 3, 42);   /* no such level */
	alert_record(&rec, 2, 116);  /* certificate_required */
	alert_record(&rec, 2, 80);   /* counted, not kept */
	send_mss(&c, 0, rec.d, rec.n, 9); /* records across segments */
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *cl = &s->side[CLIENT];
		CHECK_EQ_INT(cl->nalerts, CIOT_TLS_MAX_ALERTS);
		CHECK_EQ_INT(cl->alerts_total, 5);
		CHECK_EQ_STR(alerts_of(cl), "warning:close_notify,fatal:201,level3:bad_certificate,fatal:certificate_required");
		char small[12];
		memset(small, 'x', sizeof small);
		ciot_tls_alerts_text(cl, small, 10);
		CHECK_EQ_STR(small, "warning:c");
		CHECK_EQ_INT(small[10], 'x');
		char one[1] = { 'x' };
		ciot_tls_alerts_text(cl, one, 1);
		CHECK_EQ_INT(one[0], 0);
	}
	ciot_tls_summary_free(s);
	bytes_free(&rec);
	check_case(before, "alerts");
}

/* ---- TLS 1.3 ---------------------------------------------------------------------------------- */

static struct hello default_ch13(void)
{
	return (struct hello){ .version = 0x0303, .sni = "mqtt.example.net", .alpn = "mqtt", .versions = versions13,
			       .ciphers = ciphers13, .sid = sid_client, .sid_len = 32, .ticket = -1 };
}

static struct hello default_sh13(void)
{
	return (struct hello){ .version = 0x0303, .cipher = 0x1301, .sid = sid_client, .sid_len = 32, .selected = 0x0304 };
}

static void hello_record(struct bytes *out, uint8_t type, const struct hello *h)
{
	struct bytes body = { 0 }, msg = { 0 };
	if (type == CIOT_TLS_CLIENT_HELLO)
		client_hello_body(&body, h);
	else
		server_hello_body(&body, h);
	handshake(&msg, type, &body);
	record(out, CT_HS, type == CIOT_TLS_CLIENT_HELLO ? 0x0301 : 0x0303, msg.d, msg.n);
	bytes_free(&body);
	bytes_free(&msg);
}

/* ClientHello; ServerHello, CCS and the encrypted flight (2,400 + 100 + 53 bytes). */
static void hello13(struct conn *c, const struct hello *ch, const struct hello *sh)
{
	struct bytes b = { 0 };
	hello_record(&b, CIOT_TLS_CLIENT_HELLO, ch);
	send_bytes(c, 0, &b);
	b.n = 0;
	hello_record(&b, CIOT_TLS_SERVER_HELLO, sh);
	ccs_record(&b);
	opaque_record(&b, CT_APP, 2400, 20);
	opaque_record(&b, CT_APP, 100, 21);
	opaque_record(&b, CT_APP, 53, 22);
	send_bytes(c, 1, &b);
	bytes_free(&b);
}

static void app_records(struct conn *c, int dir, unsigned n, size_t len, uint32_t seed)
{
	struct bytes b = { 0 };
	for (unsigned i = 0; i < n; i++)
		opaque_record(&b, CT_APP, len, seed + i);
	send_bytes(c, dir, &b);
	bytes_free(&b);
}

/* The client's CCS and Finished (one 53-byte record). */
static void client_finished13(struct conn *c)
{
	struct bytes b = { 0 };
	ccs_record(&b);
	opaque_record(&b, CT_APP, 53, 23);
	send_bytes(c, 0, &b);
	bytes_free(&b);
}

/* Case 6. */
static void test_tls13(void)
{
	unsigned before = check_failures;
	struct hello ch = default_ch13(), sh = default_sh13();

	/* a whole connection: request, NewSessionTicket and response, close_notify each way */
	struct conn c = { 0 };
	conn_syn(&c, 0x12345678u, 0x9abcdef0u);
	hello13(&c, &ch, &sh);
	client_finished13(&c);
	app_records(&c, 0, 1, 120, 30);
	app_records(&c, 1, 1, 250, 31);
	app_records(&c, 1, 1, 800, 32);
	app_records(&c, 0, 1, 19, 33);
	conn_close(&c, 0, F_FIN);
	app_records(&c, 1, 1, 19, 34);
	conn_close(&c, 1, F_FIN);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *cl = &s->side[CLIENT], *sv = &s->side[SERVER];
		CHECK_EQ_INT(s->version, 0x0304);
		CHECK_EQ_INT(s->sh.legacy_version, 0x0303);
		CHECK_EQ_INT(s->ch.nversions, 2);
		CHECK_EQ_STR(s->ch.sni, "mqtt.example.net");
		CHECK_EQ_STR(s->ch.alpn, "mqtt");
		CHECK(cl->finished);
		CHECK(sv->finished);
		CHECK(s->established);
		CHECK(!s->resumed);  /* the echoed session id of TLS 1.3's compatibility mode is not resumption */
		CHECK(!s->hello_retry);
		CHECK_EQ_INT(cl->app_records, 1);
		CHECK_EQ_INT(cl->app_bytes, 120);
		CHECK_EQ_INT(sv->app_records, 2);
		CHECK_EQ_INT(sv->app_bytes, 1050);
		CHECK_EQ_STR(alerts_of(cl), "encrypted");
		CHECK_EQ_STR(alerts_of(sv), "encrypted");
		CHECK_EQ_INT(sv->nchain, 0);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	check_case(before, "TLS 1.3 connection");

	/* the client refuses the server's flight: one 19-byte record (its encrypted alert), FIN */
	before = check_failures;
	memset(&c, 0, sizeof c);
	conn_syn(&c, 5, 6);
	hello13(&c, &ch, &sh);
	struct bytes b = { 0 };
	ccs_record(&b);
	opaque_record(&b, CT_APP, 19, 40);
	send_bytes(&c, 0, &b);
	bytes_free(&b);
	conn_close(&c, 0, F_FIN);
	conn_close(&c, 1, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		const struct ciot_tls_side *cl = &s->side[CLIENT];
		CHECK_EQ_STR(alerts_of(cl), "encrypted");
		CHECK_EQ_INT(cl->alerts_total, 1);
		CHECK(!cl->finished);
		CHECK(!s->established);
		CHECK_EQ_INT(cl->app_records, 0);
		CHECK_EQ_INT(s->side[SERVER].app_records, 0);
		CHECK_EQ_STR(alerts_of(&s->side[SERVER]), "");
		CHECK_EQ_STR(outcome(s), "client-alert");
	}
	ciot_tls_summary_free(s);
	/* the same record without a close: nothing can be said of it */
	memset(&c, 0, sizeof c);
	conn_syn(&c, 5, 6);
	hello13(&c, &ch, &sh);
	app_records(&c, 0, 1, 19, 41);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->side[CLIENT].alerts_total, 0);
		CHECK(!s->side[CLIENT].finished);
		CHECK_EQ_STR(outcome(s), "incomplete");
	}
	ciot_tls_summary_free(s);
	check_case(before, "TLS 1.3 refusal");

	/* MQTT keep-alives: 19-byte records after the handshake are data; no close, no alert */
	before = check_failures;
	memset(&c, 0, sizeof c);
	conn_syn(&c, 50, 60);
	hello13(&c, &ch, &sh);
	client_finished13(&c);
	for (unsigned i = 0; i < 5; i++) {
		app_records(&c, 0, 1, 19, 50 + i);
		app_records(&c, 1, 1, 19, 60 + i);
	}
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->side[CLIENT].app_records, 5);
		CHECK_EQ_INT(s->side[CLIENT].app_bytes, 95);
		CHECK_EQ_INT(s->side[SERVER].app_records, 5);
		CHECK_EQ_INT(s->side[SERVER].app_bytes, 95);
		CHECK_EQ_INT(s->side[CLIENT].alerts_total + s->side[SERVER].alerts_total, 0);
		CHECK(s->established);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	/* the client finishes and closes without data: handshake-only, and its Finished is no alert */
	memset(&c, 0, sizeof c);
	conn_syn(&c, 50, 60);
	hello13(&c, &ch, &sh);
	client_finished13(&c);
	conn_close(&c, 0, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->side[CLIENT].alerts_total, 0);
		CHECK_EQ_STR(outcome(s), "handshake-only");
	}
	ciot_tls_summary_free(s);
	check_case(before, "TLS 1.3 short records");

	/* HelloRetryRequest: HRR + CCS; the client's CCS and second ClientHello (another ALPN, so that
	 * which one was kept shows); the real ServerHello and flight; the client's Finished and data */
	before = check_failures;
	struct hello hrr = sh;
	hrr.hrr = true;
	struct hello ch2 = ch;
	ch2.alpn = "second";
	for (int full = 0; full < 2; full++) {
		memset(&c, 0, sizeof c);
		conn_syn(&c, 70, 80);
		b = (struct bytes){ 0 };
		hello_record(&b, CIOT_TLS_CLIENT_HELLO, &ch);
		send_bytes(&c, 0, &b);
		b.n = 0;
		hello_record(&b, CIOT_TLS_SERVER_HELLO, &hrr);
		ccs_record(&b);
		send_bytes(&c, 1, &b);
		b.n = 0;
		ccs_record(&b);
		hello_record(&b, CIOT_TLS_CLIENT_HELLO, &ch2);
		send_bytes(&c, 0, &b);
		if (full) {
			b.n = 0;
			hello_record(&b, CIOT_TLS_SERVER_HELLO, &sh);
			opaque_record(&b, CT_APP, 2000, 70);
			send_bytes(&c, 1, &b);
			b.n = 0;
			opaque_record(&b, CT_APP, 53, 71);
			opaque_record(&b, CT_APP, 100, 72);
			send_bytes(&c, 0, &b);
		}
		bytes_free(&b);
		s = ciot_tls_finish(&c.t);
		CHECK(s != NULL);
		if (s) {
			CHECK(s->hello_retry);
			CHECK_EQ_STR(s->ch.alpn, "mqtt"); /* the first ClientHello */
			CHECK(s->side[CLIENT].change_cipher_spec);
			CHECK(!s->side[CLIENT].handshake_malformed);
			if (full) {
				CHECK_EQ_INT(s->version, 0x0304);
				CHECK(s->side[SERVER].hello);
				CHECK(s->side[CLIENT].finished);
				CHECK(s->established);
				CHECK_EQ_INT(s->side[CLIENT].app_records, 1);
				CHECK_EQ_INT(s->side[CLIENT].app_bytes, 100);
				CHECK_EQ_STR(outcome(s), "communicates");
			} else {
				CHECK(!s->side[CLIENT].finished);
				CHECK(!s->established);
				CHECK_EQ_INT(s->side[CLIENT].app_records, 0);
			}
		}
		ciot_tls_summary_free(s);
	}
	check_case(before, "TLS 1.3 HelloRetryRequest");

	/* resumption: pre_shared_key offered and selected */
	before = check_failures;
	struct hello chp = ch, shp = sh;
	chp.psk = true;
	shp.psk = true;
	memset(&c, 0, sizeof c);
	conn_syn(&c, 90, 91);
	hello13(&c, &chp, &shp);
	client_finished13(&c);
	app_records(&c, 0, 1, 40, 90);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->ch.psk);
		CHECK(s->sh.psk);
		CHECK(s->resumed);
		CHECK(s->established);
	}
	ciot_tls_summary_free(s);
	check_case(before, "TLS 1.3 PSK");
}

/* ---- TLS 1.2 resumption ----------------------------------------------------------------------- */

/* ClientHello; ServerHello [+ Certificate + ServerHelloDone]; when abbreviated, the server's CCS and
 * Finished follow its ServerHello, then the client's; data each way. */
static struct ciot_tls_summary *run_resumption(const struct hello *ch, const struct hello *sh, const struct chain *chain)
{
	struct conn c = { 0 };
	conn_syn(&c, 123, 456);
	struct bytes b = { 0 };
	hello_record(&b, CIOT_TLS_CLIENT_HELLO, ch);
	send_bytes(&c, 0, &b);
	b.n = 0;
	if (chain) {
		struct hello h = *ch;
		struct tls12 f;
		build_tls12(&f, &h, sh, chain, false, 16384);
		send_bytes(&c, 1, &f.server1);
		send_bytes(&c, 0, &f.client2);
		send_bytes(&c, 1, &f.server2);
		free_tls12(&f);
	} else {
		hello_record(&b, CIOT_TLS_SERVER_HELLO, sh);
		ccs_record(&b);
		opaque_record(&b, CT_HS, 40, 80);
		send_bytes(&c, 1, &b);
		b.n = 0;
		ccs_record(&b);
		opaque_record(&b, CT_HS, 40, 81);
		send_bytes(&c, 0, &b);
	}
	bytes_free(&b);
	app_records(&c, 0, 1, 100, 82);
	app_records(&c, 1, 1, 100, 83);
	return ciot_tls_finish(&c.t);
}

/* Case 7. */
static void test_resumption(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);
	/* the session id echoed */
	struct hello ch = default_ch12(), sh = default_sh12();
	sh.sid = sid_client;
	struct ciot_tls_summary *s = run_resumption(&ch, &sh, NULL);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->resumed);
		CHECK(s->established);
		CHECK(!s->side[SERVER].certificate_message);
		CHECK(s->side[SERVER].finished && s->side[CLIENT].finished);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	/* a ticket: no session id, the server's CCS right after its ServerHello */
	ch = default_ch12();
	ch.sid_len = 0;
	ch.ticket = 160;
	sh = default_sh12();
	sh.sid_len = 0;
	s = run_resumption(&ch, &sh, NULL);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->ch.session_ticket);
		CHECK(s->resumed);
		CHECK(s->established);
	}
	ciot_tls_summary_free(s);
	/* a ticket offered and declined: a full handshake with a Certificate */
	s = run_resumption(&ch, &sh, &chain);
	CHECK(s != NULL);
	if (s) {
		CHECK(!s->resumed);
		CHECK(s->established);
		check_chain(&s->side[SERVER], &chain);
	}
	ciot_tls_summary_free(s);
	/* a ticket offered, a PSK suite chosen: no Certificate, but no resumption either */
	sh.cipher = 0x00a8;
	s = run_resumption(&ch, &sh, NULL);
	CHECK(s != NULL);
	if (s)
		CHECK(!s->resumed);
	ciot_tls_summary_free(s);
	/* the same session id length but other bytes: a new session */
	ch = default_ch12();
	sh = default_sh12();
	s = run_resumption(&ch, &sh, &chain);
	CHECK(s != NULL);
	if (s)
		CHECK(!s->resumed);
	ciot_tls_summary_free(s);
	check_case(before, "TLS 1.2 resumption");
}

/* ---- SSLv2 ------------------------------------------------------------------------------------ */

/* An SSLv2-format ClientHello (two-byte header): version, cipher specs (3 bytes each), no session
 * id, a 16-byte challenge. */
static void sslv2_client_hello(struct bytes *b, uint16_t version, const uint8_t *specs, size_t nspecs)
{
	size_t at = b->n;
	put16(b, 0);
	put8(b, 1);
	put16(b, version);
	put16(b, (uint32_t)(3 * nspecs));
	put16(b, 0);
	put16(b, 16);
	bytes_put(b, specs, 3 * nspecs);
	put_random(b, 16, 0x2c);
	size_t len = b->n - at - 2;
	b->d[at] = (uint8_t)(0x80 | len >> 8);
	b->d[at + 1] = (uint8_t)len;
}

/* Case 8. */
static void test_sslv2(void)
{
	unsigned before = check_failures;
	/* answered by a TLS 1.0 server; the capture missed the SYNs */
	static const uint8_t specs[] = { 0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x01, 0x00, 0x80, 0x00, 0x00, 0x0a };
	struct bytes b = { 0 };
	sslv2_client_hello(&b, 0x0301, specs, 4);
	struct conn c = { 0 };
	conn_joined(&c, 1000, 2000);
	send_mss(&c, 0, b.d, b.n, 7); /* in pieces: the first is enough to see what it is */
	struct chain chain = { 0 };
	chain_add(&chain, leaf, leaf_len);
	struct hello ch = default_ch12(), sh = default_sh12();
	sh.version = 0x0301;
	sh.cipher = 0x002f;
	sh.sid_len = 0;
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	for (size_t i = 1; i < f.server1.n; i += 5 + (size_t)(f.server1.d[i + 2] << 8 | f.server1.d[i + 3]))
		f.server1.d[i + 1] = 1; /* record version 3.1 */
	send_bytes(&c, 1, &f.server1);
	send_bytes(&c, 0, &f.client2);
	send_bytes(&c, 1, &f.server2);
	app_records(&c, 0, 2, 64, 5);
	app_records(&c, 1, 1, 64, 6);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->ch.sslv2);
		CHECK(s->side[CLIENT].hello);
		CHECK(!s->side[CLIENT].handshake_malformed);
		CHECK_EQ_INT(s->ch.legacy_version, 0x0301);
		CHECK_EQ_INT(s->ch.nciphers, 3);
		CHECK_EQ_INT(s->ch.ciphers[0], 0x002f);
		CHECK_EQ_INT(s->ch.ciphers[2], 0x000a);
		CHECK_EQ_INT(s->version, 0x0301);
		CHECK(!s->sslv2_server);
		check_chain(&s->side[SERVER], &chain);
		CHECK(s->established);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 2);
		CHECK_EQ_INT(s->side[CLIENT].gaps, 0);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	free_tls12(&f);

	/* an SSL 2.0 client answered by an SSL 2.0 SERVER-HELLO; what follows is not read */
	static const uint8_t specs2[] = { 0x01, 0x00, 0x80, 0x07, 0x00, 0xc0 };
	b.n = 0;
	sslv2_client_hello(&b, 0x0002, specs2, 2);
	memset(&c, 0, sizeof c);
	conn_syn(&c, 77, 88);
	send_bytes(&c, 0, &b);
	b.n = 0;
	size_t at = b.n;
	put16(&b, 0);
	put8(&b, 4);        /* SERVER-HELLO */
	put8(&b, 0);        /* session_id_hit */
	put8(&b, 1);        /* X.509 */
	put16(&b, 0x0002);  /* server_version */
	put16(&b, (uint32_t)leaf_len);
	put16(&b, 3);
	put16(&b, 16);
	bytes_put(&b, leaf, leaf_len);
	bytes_put(&b, specs2, 3);
	put_random(&b, 16, 0x1d);
	b.d[at] = (uint8_t)(0x80 | (b.n - at - 2) >> 8);
	b.d[at + 1] = (uint8_t)(b.n - at - 2);
	send_bytes(&c, 1, &b);
	b.n = 0;
	put_random(&b, 300, 0x1e); /* SSLv2 records: neither TLS nor gaps */
	send_bytes(&c, 0, &b);
	send_bytes(&c, 1, &b);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->ch.sslv2);
		CHECK_EQ_INT(s->ch.legacy_version, 0x0002);
		CHECK_EQ_INT(s->ch.nciphers, 0);
		CHECK(s->sslv2_server);
		CHECK(s->side[SERVER].hello);
		CHECK_EQ_INT(s->version, 0x0002);
		CHECK(!s->resumed);
		CHECK_EQ_INT(s->side[CLIENT].gaps + s->side[SERVER].gaps, 0);
		CHECK_EQ_INT(s->side[CLIENT].app_records + s->side[SERVER].app_records, 0);
	}
	ciot_tls_summary_free(s);
	bytes_free(&b);
	check_case(before, "SSLv2");
}

/* ---- DTLS ------------------------------------------------------------------------------------- */

static void dtls_record(struct bytes *out, uint8_t type, uint16_t epoch, uint64_t seq, const uint8_t *p, size_t n)
{
	put8(out, type);
	put16(out, 0xfefd);
	put16(out, epoch);
	put16(out, (uint32_t)(seq >> 32));
	put32(out, (uint32_t)seq);
	put16(out, (uint32_t)n);
	bytes_put(out, p, n);
}

/* A record holding one handshake fragment: body[off, off+len) of a message of body->n bytes. */
static void dtls_fragment(struct bytes *out, uint8_t type, uint16_t msg_seq, const struct bytes *body, size_t off,
			  size_t len, uint64_t rec_seq)
{
	struct bytes f = { 0 };
	put8(&f, type);
	put24(&f, (uint32_t)body->n);
	put16(&f, msg_seq);
	put24(&f, (uint32_t)off);
	put24(&f, (uint32_t)len);
	bytes_put(&f, body->d + off, len);
	dtls_record(out, CT_HS, 0, rec_seq, f.d, f.n);
	bytes_free(&f);
}

static void dtls_opaque(struct bytes *out, uint8_t type, uint16_t epoch, uint64_t seq, size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n);
	if (!p)
		exit(2);
	fill_random(p, n, seed);
	dtls_record(out, type, epoch, seq, p, n);
	free(p);
}

/* Case 9. */
static void test_dtls(void)
{
	unsigned before = check_failures;
	struct chain chain = { 0 };
	chain_add(&chain, leaf, leaf_len);
	chain_add(&chain, blob(1200, 41), 1200);
	chain_add(&chain, blob(999, 42), 999);
	struct conn c = { .proto = UDP };
	c.ts = 1700000000000000;
	struct bytes d = { 0 }, body = { 0 };
	struct hello ch = { .version = 0xfefd, .sni = "cam.example.org", .ciphers = ciphers12, .ticket = -1, .dtls = true };
	/* ClientHello, HelloVerifyRequest, ClientHello with the cookie */
	client_hello_body(&body, &ch);
	dtls_fragment(&d, CIOT_TLS_CLIENT_HELLO, 0, &body, 0, body.n, 0);
	datagram(&c, 0, &d);
	d.n = body.n = 0;
	put16(&body, 0xfefd);
	put8(&body, 20);
	put_random(&body, 20, 0xc0);
	dtls_fragment(&d, 3, 0, &body, 0, body.n, 0);
	datagram(&c, 1, &d);
	struct hello ch2 = ch;
	ch2.cookie_len = 20;
	ch2.sni = "second.example.org";
	d.n = body.n = 0;
	client_hello_body(&body, &ch2);
	dtls_fragment(&d, CIOT_TLS_CLIENT_HELLO, 1, &body, 0, body.n, 1);
	datagram(&c, 0, &d);
	/* ServerHello and the Certificate's first fragment; the third fragment (beyond a hole) with
	 * ServerHelloDone; the second; the first again; the third again */
	struct hello sh = { .version = 0xfefd, .cipher = 0xc02f, .sid = sid_server, .sid_len = 32 };
	d.n = body.n = 0;
	server_hello_body(&body, &sh);
	dtls_fragment(&d, CIOT_TLS_SERVER_HELLO, 1, &body, 0, body.n, 1);
	struct bytes cert = { 0 };
	certificate_body(&cert, &chain);
	size_t a = 1000, z = 2000;
	dtls_fragment(&d, CIOT_TLS_CERTIFICATE, 2, &cert, 0, a, 2);
	datagram(&c, 1, &d);
	d.n = 0;
	dtls_fragment(&d, CIOT_TLS_CERTIFICATE, 2, &cert, z, cert.n - z, 4);
	body.n = 0;
	dtls_fragment(&d, CIOT_TLS_SERVER_HELLO_DONE, 3, &body, 0, 0, 5);
	datagram(&c, 1, &d);
	d.n = 0;
	dtls_fragment(&d, CIOT_TLS_CERTIFICATE, 2, &cert, a, z - a, 3);
	datagram(&c, 1, &d);
	d.n = 0;
	dtls_fragment(&d, CIOT_TLS_CERTIFICATE, 2, &cert, 0, a, 6);
	datagram(&c, 1, &d);
	d.n = 0;
	dtls_fragment(&d, CIOT_TLS_CERTIFICATE, 2, &cert, z, cert.n - z, 7);
	datagram(&c, 1, &d);
	/* the server's whole flight again (its retransmission timer ran out), in one datagram */
	d.n = body.n = 0;
	server_hello_body(&body, &sh);
	dtls_fragment(&d, CIOT_TLS_SERVER_HELLO, 1, &body, 0, body.n, 8);
	dtls_fragment(&d, CIOT_TLS_CERTIFICATE, 2, &cert, 0, cert.n, 9);
	datagram(&c, 1, &d);
	/* ClientKeyExchange, CCS, Finished in epoch 1; the server's CCS and Finished */
	d.n = body.n = 0;
	put8(&body, 32);
	put_random(&body, 32, 0xce);
	dtls_fragment(&d, CIOT_TLS_CLIENT_KEY_EXCHANGE, 2, &body, 0, body.n, 2);
	static const uint8_t one = 1;
	dtls_record(&d, CT_CCS, 0, 3, &one, 1);
	dtls_opaque(&d, CT_HS, 1, 0, 48, 0xd1);
	datagram(&c, 0, &d);
	d.n = 0;
	dtls_record(&d, CT_CCS, 0, 10, &one, 1);
	dtls_opaque(&d, CT_HS, 1, 0, 48, 0xd2);
	datagram(&c, 1, &d);
	/* data: two records in one datagram from the client, one from the server */
	d.n = 0;
	dtls_opaque(&d, CT_APP, 1, 1, 100, 0xd3);
	dtls_opaque(&d, CT_APP, 1, 2, 50, 0xd4);
	datagram(&c, 0, &d);
	d.n = 0;
	dtls_opaque(&d, CT_APP, 1, 1, 200, 0xd5);
	datagram(&c, 1, &d);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->protocol, CIOT_TLS_PROTO_DTLS);
		CHECK_EQ_STR(ciot_tls_protocol_name(s->protocol), "dtls");
		CHECK_EQ_INT(s->client_dir, 0);
		CHECK_EQ_STR(s->ch.sni, "cam.example.org"); /* the first ClientHello */
		CHECK_EQ_INT(s->ch.legacy_version, 0xfefd);
		CHECK_EQ_INT(s->version, 0xfefd);
		CHECK_EQ_INT(s->sh.cipher, 0xc02f);
		check_chain(&s->side[SERVER], &chain);
		CHECK(!s->side[SERVER].handshake_malformed && !s->side[CLIENT].handshake_malformed);
		CHECK(s->side[CLIENT].change_cipher_spec && s->side[SERVER].change_cipher_spec);
		CHECK(s->side[CLIENT].finished && s->side[SERVER].finished);
		CHECK(s->established);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 2);
		CHECK_EQ_INT(s->side[CLIENT].app_bytes, 150);
		CHECK_EQ_INT(s->side[SERVER].app_records, 1);
		CHECK_EQ_INT(s->side[SERVER].app_bytes, 200);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	bytes_free(&d);
	bytes_free(&body);
	bytes_free(&cert);
	check_case(before, "DTLS 1.2");
}

/* ---- QUIC ------------------------------------------------------------------------------------- */

static struct ciot_tls_summary *quic_flow(uint32_t version, size_t len, int dir)
{
	struct conn c = { .proto = UDP };
	uint8_t *p = calloc(1, len);
	if (!p)
		exit(2);
	fill_random(p, len, version);
	p[0] = 0xc3;
	p[1] = (uint8_t)(version >> 24);
	p[2] = (uint8_t)(version >> 16);
	p[3] = (uint8_t)(version >> 8);
	p[4] = (uint8_t)version;
	packet_at(&c, dir, 0, 0, p, len);
	p[0] = 0x41; /* a short header afterwards */
	packet_at(&c, 1 - dir, 0, 0, p, len < 100 ? len : 100);
	free(p);
	return ciot_tls_finish(&c.t);
}

/* Case 10. */
static void test_quic(void)
{
	unsigned before = check_failures;
	struct ciot_tls_summary *s = quic_flow(0x00000001, 1200, 0);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->protocol, CIOT_TLS_PROTO_QUIC);
		CHECK_EQ_STR(ciot_tls_protocol_name(s->protocol), "quic");
		CHECK_EQ_INT(s->quic_version, 1);
		CHECK(!s->side[CLIENT].hello);
		CHECK_EQ_STR(outcome(s), "no-client-hello");
	}
	ciot_tls_summary_free(s);
	s = quic_flow(0x6b3343cf, 1350, 0);
	CHECK(s != NULL && s->quic_version == 0x6b3343cf);
	CHECK(s != NULL && s->protocol == CIOT_TLS_PROTO_QUIC);
	ciot_tls_summary_free(s);
	CHECK(is_null(quic_flow(0x00000001, 100, 0)));  /* too short for a client's Initial */
	CHECK(is_null(quic_flow(0x00000001, 1199, 0)));
	CHECK(is_null(quic_flow(0x00000001, 1200, 1))); /* from the responder */
	CHECK(is_null(quic_flow(0x00000000, 1200, 0))); /* version negotiation */
	char buf[32];
	CHECK_EQ_STR(ciot_quic_version_name(0x00000001, buf, sizeof buf), "QUICv1");
	CHECK_EQ_STR(ciot_quic_version_name(0x6b3343cf, buf, sizeof buf), "QUICv2");
	CHECK_EQ_STR(ciot_quic_version_name(0xff00001d, buf, sizeof buf), "QUIC-draft-29");
	CHECK_EQ_STR(ciot_quic_version_name(0x51303530, buf, sizeof buf), "gQUIC-Q050");
	CHECK_EQ_STR(ciot_quic_version_name(0x54303531, buf, sizeof buf), "gQUIC-T051");
	CHECK_EQ_STR(ciot_quic_version_name(0x12345678, buf, sizeof buf), "0x12345678");
	CHECK_EQ_STR(ciot_quic_version_name(0x5130354a, buf, sizeof buf), "0x5130354a");
	check_case(before, "QUIC");
}

/* ---- not TLS ---------------------------------------------------------------------------------- */

/* Case 11. */
static void test_not_tls(void)
{
	unsigned before = check_failures;
	struct conn c = { 0 };
	conn_syn(&c, 10, 20);
	static const char get[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	send_mss(&c, 0, (const uint8_t *)get, sizeof get - 1, 1460);
	CHECK(c.t.conn == NULL);
	/* a ClientHello later in the flow changes nothing */
	struct hello ch = default_ch12();
	struct bytes b = { 0 };
	hello_record(&b, CIOT_TLS_CLIENT_HELLO, &ch);
	send_bytes(&c, 0, &b);
	send_bytes(&c, 1, &b);
	CHECK(c.t.conn == NULL);
	CHECK(is_null(ciot_tls_finish(&c.t)));
	CHECK(!c.t.failed);

	/* a UDP flow of DNS: not DTLS, not QUIC */
	memset(&c, 0, sizeof c);
	c.proto = UDP;
	static const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				       0x01, 'a',  0x00, 0x00, 0x01, 0x00, 0x01 };
	/* a later IP fragment that looks like DTLS is not looked at */
	b.n = 0;
	dtls_opaque(&b, CT_HS, 0, 0, 40, 1);
	struct ciot_packet frag;
	memset(&frag, 0, sizeof frag);
	frag.proto = UDP;
	frag.later_fragment = true;
	frag.payload = b.d;
	frag.payload_caplen = frag.payload_len = (uint32_t)b.n;
	ciot_tls_packet(&c.t, 0, &frag);
	CHECK(c.t.conn == NULL);
	packet_at(&c, 0, 0, 0, dns, sizeof dns);
	datagram(&c, 1, &b);
	CHECK(is_null(ciot_tls_finish(&c.t)));

	/* a later fragment of a TLS flow changes nothing either */
	memset(&c, 0, sizeof c);
	conn_syn(&c, 10, 20);
	b.n = 0;
	hello_record(&b, CIOT_TLS_CLIENT_HELLO, &ch);
	send_bytes(&c, 0, &b);
	frag.proto = TCP;
	frag.tcp_flags = F_RST;
	frag.payload = b.d;
	frag.payload_caplen = frag.payload_len = (uint32_t)b.n;
	ciot_tls_packet(&c.t, 1, &frag);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL && s->side[SERVER].close == CIOT_TLS_OPEN);
	ciot_tls_summary_free(s);

	/* joined in the middle: application data first, no handshake seen */
	memset(&c, 0, sizeof c);
	conn_joined(&c, 0xfffffff0u, 1);
	app_records(&c, 0, 2, 700, 3);
	app_records(&c, 1, 1, 5000, 4);
	app_records(&c, 0, 1, 30, 5);
	s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->protocol, CIOT_TLS_PROTO_TLS);
		CHECK(!s->side[CLIENT].hello && !s->side[SERVER].hello);
		CHECK_EQ_INT(s->version, 0);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 3);
		CHECK_EQ_INT(s->side[CLIENT].app_bytes, 1430);
		CHECK_EQ_INT(s->side[SERVER].app_records, 1);
		CHECK(s->established); /* application data each way */
		CHECK(!s->side[CLIENT].finished);
		CHECK_EQ_STR(outcome(s), "no-client-hello");
	}
	ciot_tls_summary_free(s);
	bytes_free(&b);
	check_case(before, "not TLS");
}

/* ---- outcomes --------------------------------------------------------------------------------- */

/* Case 12. */
static void test_outcomes(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);

	/* a ClientHello no one answers; the client gives up */
	struct conn c = { 0 };
	hello12(&c, &chain, false);
	conn_close(&c, 0, F_FIN);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK_EQ_STR(outcome(s), "no-server-hello");
	ciot_tls_summary_free(s);
	/* ... or nothing more is seen */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, false);
	s = ciot_tls_finish(&c.t);
	CHECK_EQ_STR(outcome(s), "no-server-hello");
	ciot_tls_summary_free(s);

	/* the server closes right after the ClientHello (FIN, or RST) */
	for (int rst = 0; rst < 2; rst++) {
		memset(&c, 0, sizeof c);
		hello12(&c, &chain, false);
		conn_close(&c, 1, rst ? F_RST : F_FIN);
		conn_close(&c, 0, F_FIN);
		s = ciot_tls_finish(&c.t);
		CHECK_EQ_STR(outcome(s), "server-failure");
		if (s)
			CHECK_EQ_INT(s->side[SERVER].close, rst ? CIOT_TLS_CLOSED_RST : CIOT_TLS_CLOSED_FIN);
		ciot_tls_summary_free(s);
	}

	/* a ServerHello, then nothing and no close */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, true);
	s = ciot_tls_finish(&c.t);
	CHECK_EQ_STR(outcome(s), "incomplete");
	ciot_tls_summary_free(s);

	/* the client closes after the Certificate, without an alert; then the server */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, true);
	conn_close(&c, 0, F_FIN);
	conn_close(&c, 1, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK_EQ_STR(outcome(s), "client-closed");
	ciot_tls_summary_free(s);
	/* the server closes first after its Certificate */
	memset(&c, 0, sizeof c);
	hello12(&c, &chain, true);
	conn_close(&c, 1, F_FIN);
	conn_close(&c, 0, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK_EQ_STR(outcome(s), "server-failure");
	ciot_tls_summary_free(s);

	/* both Finished, no data: handshake-only */
	memset(&c, 0, sizeof c);
	conn_syn(&c, 3, 4);
	handshake12(&c, &chain);
	conn_close(&c, 0, F_FIN);
	conn_close(&c, 1, F_FIN);
	s = ciot_tls_finish(&c.t);
	CHECK_EQ_STR(outcome(s), "handshake-only");
	if (s) {
		CHECK(s->established);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 0);
	}
	ciot_tls_summary_free(s);

	/* the names */
	static const char *const names[] = { "communicates", "handshake-only", "client-alert", "client-closed",
					     "server-failure", "no-server-hello", "incomplete", "no-client-hello" };
	for (int o = 0; o < CIOT_TLS_NOUTCOMES; o++)
		CHECK_EQ_STR(ciot_tls_outcome_name((enum ciot_tls_outcome)o), names[o]);
	CHECK_EQ_STR(ciot_tls_outcome_name(CIOT_TLS_NOUTCOMES), "?");
	check_case(before, "outcomes");
}

/* ---- found wanting ---------------------------------------------------------------------------- */

/* TCP Fast Open: the SYN carries the ClientHello. The SYN takes sequence number ISN; its data starts
 * at ISN + 1 (RFC 793 section 3.3, RFC 7413). */
static void test_fast_open(void)
{
	unsigned before = check_failures;
	struct chain chain;
	make_small_chain(&chain);
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	struct conn c = { 0 };
	c.ts = 1700000000000000;
	const uint32_t isn0 = 5555, isn1 = 7777;
	packet_at(&c, 0, F_SYN, isn0, f.ch.d, f.ch.n);
	packet_at(&c, 1, F_SYN | F_ACK, isn1, NULL, 0);
	c.next[0] = isn0 + 1 + (uint32_t)f.ch.n;
	c.next[1] = isn1 + 1;
	send_bytes(&c, 1, &f.server1);
	send_bytes(&c, 0, &f.client2);
	send_bytes(&c, 1, &f.server2);
	app_records(&c, 0, 1, 100, 1);
	app_records(&c, 1, 1, 100, 2);
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->side[CLIENT].hello);
		CHECK_EQ_STR(s->ch.sni, "device.example.com");
		CHECK_EQ_INT(s->side[CLIENT].gaps, 0);
		CHECK(s->side[CLIENT].finished);
		CHECK_EQ_INT(s->side[CLIENT].app_records, 1);
		CHECK_EQ_STR(outcome(s), "communicates");
	}
	ciot_tls_summary_free(s);
	free_tls12(&f);
	check_case(before, "TCP Fast Open: a ClientHello in the SYN");
}

/* More certificates than CIOT_TLS_MAX_CHAIN: the first 16 kept, chain_truncated set
 * (tls-connection.h: "more than CIOT_TLS_MAX_CHAIN certificates or CIOT_TLS_CHAIN_BYTES"). */
static void test_long_chain(void)
{
	unsigned before = check_failures;
	struct chain chain = { 0 }, first16 = { 0 };
	for (unsigned i = 0; i < CIOT_TLS_MAX_CHAIN + 1; i++) {
		size_t len = 100 + i;
		const uint8_t *der = blob(len, 500 + i);
		chain_add(&chain, der, len);
		if (i < CIOT_TLS_MAX_CHAIN)
			chain_add(&first16, der, len);
	}
	for (int over = 0; over < 2; over++) {
		struct hello ch = default_ch12(), sh = default_sh12();
		struct tls12 f;
		build_tls12(&f, &ch, &sh, over ? &chain : &first16, false, 16384);
		struct conn c = { 0 };
		conn_syn(&c, 1, 2);
		send_bytes(&c, 0, &f.ch);
		send_bytes(&c, 1, &f.server1);
		struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
		CHECK(s != NULL);
		if (s) {
			const struct ciot_tls_side *sv = &s->side[SERVER];
			CHECK_EQ_INT(sv->nchain, CIOT_TLS_MAX_CHAIN);
			CHECK(sv->chain != NULL && memcmp(sv->chain, first16.der[0], first16.len[0]) == 0);
			CHECK_EQ_INT(sv->chain_offset[15] + sv->chain_len[15], chain_bytes(&first16));
			CHECK_EQ_INT(sv->chain_truncated, over);
		}
		ciot_tls_summary_free(s);
		free_tls12(&f);
	}
	check_case(before, "a chain of 17 certificates");
}

/* ---- robustness ------------------------------------------------------------------------------- */

struct stream_template {
	struct bytes dir[2];
};

#define NTEMPLATES 6
static struct stream_template templates[NTEMPLATES];
static struct bytes dtls_datagrams[16];
static unsigned ndtls;

static void build_templates(void)
{
	struct chain small, big = { 0 };
	make_small_chain(&small);
	chain_add(&big, leaf, leaf_len);
	chain_add(&big, blob(30000, 61), 30000);
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	for (int t = 0; t < 2; t++) {
		build_tls12(&f, &ch, &sh, t ? &big : &small, t == 1, 16384);
		struct stream_template *T = &templates[t];
		append(&T->dir[0], &f.ch);
		append(&T->dir[0], &f.client2);
		append(&T->dir[1], &f.server1);
		append(&T->dir[1], &f.server2);
		opaque_record(&T->dir[0], CT_APP, 300, 1);
		opaque_record(&T->dir[1], CT_APP, 2000, 2);
		alert_record(&T->dir[0], 1, 0);
		free_tls12(&f);
	}
	/* TLS 1.3 */
	struct hello ch13 = default_ch13(), sh13 = default_sh13();
	struct stream_template *T = &templates[2];
	hello_record(&T->dir[0], CIOT_TLS_CLIENT_HELLO, &ch13);
	ccs_record(&T->dir[0]);
	opaque_record(&T->dir[0], CT_APP, 53, 3);
	opaque_record(&T->dir[0], CT_APP, 19, 4);
	hello_record(&T->dir[1], CIOT_TLS_SERVER_HELLO, &sh13);
	ccs_record(&T->dir[1]);
	opaque_record(&T->dir[1], CT_APP, 1500, 5);
	opaque_record(&T->dir[1], CT_APP, 19, 6);
	/* SSLv2 */
	static const uint8_t specs[] = { 0x00, 0x00, 0x2f, 0x01, 0x00, 0x80 };
	T = &templates[3];
	sslv2_client_hello(&T->dir[0], 0x0301, specs, 2);
	build_tls12(&f, &ch, &sh, &small, false, 16384);
	append(&T->dir[1], &f.server1);
	free_tls12(&f);
	/* a valid header and random bytes after it, each way */
	T = &templates[4];
	for (int d = 0; d < 2; d++) {
		put8(&T->dir[d], CT_HS);
		put16(&T->dir[d], 0x0303);
		put16(&T->dir[d], 3000);
		put_random(&T->dir[d], 4000, 7 + (uint32_t)d);
	}
	/* many small handshake records: messages across records */
	T = &templates[5];
	build_tls12(&f, &ch, &sh, &small, false, 7);
	append(&T->dir[0], &f.ch);
	append(&T->dir[1], &f.server1);
	append(&T->dir[1], &f.server2);
	free_tls12(&f);
	/* DTLS datagrams */
	struct bytes body = { 0 }, cert = { 0 };
	struct hello dch = { .version = 0xfefd, .sni = "x.example", .ciphers = ciphers12, .ticket = -1, .dtls = true };
	client_hello_body(&body, &dch);
	dtls_fragment(&dtls_datagrams[ndtls++], CIOT_TLS_CLIENT_HELLO, 0, &body, 0, body.n, 0);
	struct hello dsh = { .version = 0xfefd, .cipher = 0xc02f };
	body.n = 0;
	server_hello_body(&body, &dsh);
	dtls_fragment(&dtls_datagrams[ndtls++], CIOT_TLS_SERVER_HELLO, 1, &body, 0, body.n, 1);
	certificate_body(&cert, &small);
	for (size_t off = 0; off < cert.n; off += 700)
		dtls_fragment(&dtls_datagrams[ndtls++], CIOT_TLS_CERTIFICATE, 2, &cert, off,
			      cert.n - off < 700 ? cert.n - off : 700, 2 + off / 700);
	static const uint8_t one = 1;
	dtls_record(&dtls_datagrams[ndtls], CT_CCS, 0, 9, &one, 1);
	dtls_opaque(&dtls_datagrams[ndtls++], CT_HS, 1, 0, 48, 9);
	dtls_opaque(&dtls_datagrams[ndtls++], CT_APP, 1, 1, 100, 10);
	/* DTLS 1.3 unified headers */
	put8(&dtls_datagrams[ndtls], 0x2c);
	put16(&dtls_datagrams[ndtls], 0x0001);
	put16(&dtls_datagrams[ndtls], 40);
	put_random(&dtls_datagrams[ndtls], 40, 11);
	put8(&dtls_datagrams[ndtls], 0x20);
	put8(&dtls_datagrams[ndtls], 0x02);
	put_random(&dtls_datagrams[ndtls++], 30, 12);
	bytes_free(&body);
	bytes_free(&cert);
}

static void free_templates(void)
{
	for (int t = 0; t < NTEMPLATES; t++)
		for (int d = 0; d < 2; d++)
			bytes_free(&templates[t].dir[d]);
	for (unsigned i = 0; i < ndtls; i++)
		bytes_free(&dtls_datagrams[i]);
}

static void mutate(uint8_t *p, size_t *n, size_t cap)
{
	unsigned edits = rnd() % 6;
	for (unsigned e = 0; e < edits && *n > 0; e++) {
		size_t at = rnd() % *n;
		switch (rnd() % 6) {
		case 0: p[at] = (uint8_t)rnd(); break;
		case 1: p[at] ^= (uint8_t)(1u << rnd() % 8); break;
		case 2: p[at] = (uint8_t)(rnd() % 4); break;
		case 3: p[at] = (uint8_t)(0xf0 | rnd() % 16); break;
		case 4: *n = at + 1; break;
		case 5: /* a plausible record header with a random length */
			if (at + 5 <= *n) {
				p[at] = (uint8_t)(CT_CCS + rnd() % 5);
				p[at + 1] = 3;
				p[at + 2] = (uint8_t)(rnd() % 5);
				p[at + 3] = (uint8_t)(rnd() % 0x49);
				p[at + 4] = (uint8_t)rnd();
			}
			break;
		}
	}
	(void)cap;
}

struct fuzz_stats {
	unsigned flows, summaries, insane;
};

/* Invariants every summary must keep, whatever it was fed. */
static bool sane(const struct ciot_tls_summary *s)
{
	bool ok = s->protocol >= CIOT_TLS_PROTO_TLS && s->protocol <= CIOT_TLS_PROTO_QUIC;
	ok &= s->client_dir == 0 || s->client_dir == 1;
	ok &= ciot_tls_outcome_of(s) < CIOT_TLS_NOUTCOMES;
	for (int r = 0; r < 2; r++) {
		const struct ciot_tls_side *side = &s->side[r];
		ok &= side->nalerts <= CIOT_TLS_MAX_ALERTS && side->nalerts <= side->alerts_total;
		ok &= side->nchain <= CIOT_TLS_MAX_CHAIN;
		ok &= side->nchain == 0 || side->chain != NULL;
		size_t off = 0;
		for (unsigned i = 0; i < side->nchain && i < CIOT_TLS_MAX_CHAIN; i++) {
			ok &= side->chain_offset[i] == off && side->chain_len[i] > 0;
			off += side->chain_len[i];
		}
		ok &= off <= CIOT_TLS_CHAIN_BYTES;
		unsigned sum = 0; /* every kept byte is readable (the sanitizer build checks) */
		for (size_t i = 0; i < off; i++)
			sum += side->chain[i];
		ok &= sum <= 255u * off;
		char text[64], tiny[5];
		ciot_tls_alerts_text(side, text, sizeof text);
		ciot_tls_alerts_text(side, tiny, sizeof tiny);
		ok &= strlen(text) < sizeof text && strlen(tiny) < sizeof tiny;
	}
	return ok;
}

static void fuzz_tcp(struct fuzz_stats *st, uint32_t seed)
{
	static uint8_t buf[2][80000];
	seed_rng(seed);
	const struct stream_template *T = &templates[rnd() % 100 < 4 ? 1 : (rnd() % NTEMPLATES)];
	size_t n[2];
	for (int d = 0; d < 2; d++) {
		n[d] = T->dir[d].n;
		memcpy(buf[d], T->dir[d].d, n[d]);
		mutate(buf[d], &n[d], sizeof buf[d]);
	}
	struct conn c = { 0 };
	uint32_t base[2];
	if (rnd() % 2) {
		conn_syn(&c, rnd(), rnd());
		base[0] = c.next[0];
		base[1] = c.next[1];
	} else {
		base[0] = rnd();
		base[1] = rnd();
	}
	size_t at[2] = { 0, 0 };
	unsigned small = rnd() % 4 == 0;
	for (unsigned k = 0; k < 400 && (at[0] < n[0] || at[1] < n[1]); k++) {
		int d = at[0] >= n[0] ? 1 : at[1] >= n[1] ? 0 : (int)(rnd() % 2);
		if (k == 0)
			d = 0;
		size_t len = small ? 1 + rnd() % 40 : 1 + rnd() % 1460;
		size_t off = at[d];
		bool advance = true;
		switch (rnd() % 10) {
		case 0: /* a retransmission, possibly of other boundaries */
			off = off > 0 ? rnd() % off : 0;
			advance = false;
			break;
		case 1: /* ahead of the stream */
			off += rnd() % 5000;
			advance = false;
			break;
		default:
			break;
		}
		uint8_t flags = F_ACK;
		if (rnd() % 50 == 0)
			flags |= (uint8_t)(rnd() % 2 ? F_FIN : F_RST);
		if (rnd() % 100 == 0)
			flags |= F_SYN;
		if (rnd() % 40 == 0) {
			/* a random segment at a random sequence number */
			uint8_t junk[300];
			size_t jn = 1 + rnd() % sizeof junk;
			fill_random(junk, jn, rnd());
			if (rnd() % 2 && jn >= 5) {
				junk[0] = (uint8_t)(CT_CCS + rnd() % 5);
				junk[1] = 3;
				junk[2] = 3;
			}
			packet_at(&c, d, flags, rnd() % 2 ? rnd() : base[d] + (uint32_t)(rnd() % 70000), junk, jn);
			continue;
		}
		if (off >= n[d]) {
			packet_at(&c, d, flags, base[d] + (uint32_t)off, NULL, 0);
			continue;
		}
		if (len > n[d] - off)
			len = n[d] - off;
		packet_at(&c, d, flags, base[d] + (uint32_t)off, buf[d] + off, len);
		if (advance)
			at[d] = off + len;
	}
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	st->flows++;
	if (s) {
		st->summaries++;
		st->insane += !sane(s);
	}
	ciot_tls_summary_free(s);
}

static void fuzz_udp(struct fuzz_stats *st, uint32_t seed)
{
	static uint8_t buf[4096];
	seed_rng(seed);
	struct conn c = { .proto = UDP };
	unsigned count = 1 + rnd() % 24;
	bool quic = rnd() % 5 == 0;
	for (unsigned k = 0; k < count; k++) {
		int d = k == 0 ? 0 : (int)(rnd() % 2);
		size_t n;
		if (quic) {
			n = k == 0 ? 1200 + rnd() % 200 : 1 + rnd() % 1400;
			fill_random(buf, n, rnd());
			if (k == 0)
				buf[0] |= 0x80;
		} else {
			const struct bytes *b = &dtls_datagrams[k == 0 ? 0 : rnd() % ndtls];
			n = b->n;
			memcpy(buf, b->d, n);
			if (rnd() % 3 == 0) { /* two records in one datagram */
				const struct bytes *b2 = &dtls_datagrams[rnd() % ndtls];
				if (n + b2->n <= sizeof buf) {
					memcpy(buf + n, b2->d, b2->n);
					n += b2->n;
				}
			}
			mutate(buf, &n, sizeof buf);
		}
		packet_at(&c, d, 0, 0, buf, n);
	}
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	st->flows++;
	if (s) {
		st->summaries++;
		st->insane += !sane(s);
	}
	ciot_tls_summary_free(s);
}

#define FUZZ_FLOWS 3000

static void fuzz_all(void *arg)
{
	(void)arg;
	struct fuzz_stats st = { 0 };
	for (uint32_t i = 0; i < FUZZ_FLOWS; i++) {
		if (i % 4 == 3)
			fuzz_udp(&st, i + 1);
		else
			fuzz_tcp(&st, i + 1);
	}
	CHECK_EQ_INT(st.flows, FUZZ_FLOWS);
	CHECK(st.summaries > FUZZ_FLOWS / 2); /* most mutations still reach the parser */
	CHECK_EQ_INT(st.insane, 0);
#ifdef TEST_LSAN
	/* everything ciot_tls_finish and ciot_tls_summary_free were given back is freed */
	CHECK_EQ_INT(__lsan_do_recoverable_leak_check(), 0);
#endif
}

/* Case 13. */
static void test_robustness(void)
{
	build_templates();
	CHECK_SURVIVES(fuzz_all, NULL);
	free_templates();
}

/* Regressions found against tshark (tests/integration/tls.sh): a capture that begins with the
 * server's flight, sent by the flow's initiator as the capture sees it, names the client from the
 * ServerHello; and OpenSSL's pre-standard DTLS (version 0x0100, Cisco AnyConnect) is followed. */
static void test_server_first(void)
{
	unsigned before = check_failures;
	struct chain chain = { 0 };
	make_small_chain(&chain);
	struct hello ch = default_ch12(), sh = default_sh12();
	struct tls12 f;
	build_tls12(&f, &ch, &sh, &chain, false, 16384);
	struct conn c = { 0 };
	conn_joined(&c, 5000, 9000);
	send_bytes(&c, 0, &f.server1); /* the server's flight, from the flow's initiator */
	struct ciot_tls_summary *s = ciot_tls_finish(&c.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->client_dir, 1);
		CHECK(!s->side[CIOT_TLS_CLIENT].hello);
		CHECK(s->side[CIOT_TLS_SERVER].hello);
		CHECK_EQ_INT(s->version, 0x0303);
		check_chain(&s->side[CIOT_TLS_SERVER], &chain);
		CHECK_EQ_INT(s->side[CIOT_TLS_CLIENT].nchain, 0);
		ciot_tls_summary_free(s);
	}
	free_tls12(&f);

	/* a DTLS record of version 0x0100 starts a DTLS connection */
	struct conn u = { .proto = UDP };
	u.ts = 1700000000000000;
	struct bytes body = { 0 }, d = { 0 };
	struct hello dch = { .version = 0x0100, .sni = "vpn.example.org", .ciphers = ciphers12, .ticket = -1,
			     .dtls = true };
	client_hello_body(&body, &dch);
	put8(&d, CT_HS);
	put16(&d, 0x0100);
	put16(&d, 0);
	put16(&d, 0);
	put32(&d, 0);
	put16(&d, (uint32_t)(body.n + 12));
	put8(&d, CIOT_TLS_CLIENT_HELLO);
	put24(&d, (uint32_t)body.n);
	put16(&d, 0);
	put24(&d, 0);
	put24(&d, (uint32_t)body.n);
	bytes_put(&d, body.d, body.n);
	datagram(&u, 0, &d);
	s = ciot_tls_finish(&u.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->protocol, CIOT_TLS_PROTO_DTLS);
		CHECK(s->side[CIOT_TLS_CLIENT].hello);
		CHECK_EQ_STR(s->ch.sni, "vpn.example.org");
		CHECK_EQ_INT(s->ch.legacy_version, 0x0100);
		ciot_tls_summary_free(s);
	}
	bytes_free(&body);
	bytes_free(&d);

	/* a record counted before the ServerHello named the client moves with its direction: the
	 * initiator's 19-byte record and FIN are the server's alert, not a client record taken back
	 * from the server's count (found by fuzz-tls-connection: the count wrapped below zero) */
	struct conn w = { 0 };
	conn_joined(&w, 7000, 3000);
	struct bytes shr = { 0 };
	struct hello sh13 = default_sh13();
	app_records(&w, 0, 1, 19, 77);
	hello_record(&shr, CIOT_TLS_SERVER_HELLO, &sh13);
	send_bytes(&w, 0, &shr);
	app_records(&w, 0, 1, 19, 78);
	conn_close(&w, 0, F_FIN);
	s = ciot_tls_finish(&w.t);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->client_dir, 1);
		CHECK_EQ_INT(s->version, 0x0304);
		CHECK_EQ_INT(s->side[CIOT_TLS_CLIENT].app_records, 0);
		CHECK(s->side[CIOT_TLS_SERVER].app_records <= 1);
		CHECK_EQ_INT(s->side[CIOT_TLS_CLIENT].close, CIOT_TLS_OPEN);
		CHECK_EQ_INT(s->side[CIOT_TLS_SERVER].close, CIOT_TLS_CLOSED_FIN);
		CHECK_EQ_STR(alerts_of(&s->side[CIOT_TLS_SERVER]), "encrypted");
		ciot_tls_summary_free(s);
	}
	bytes_free(&shr);
	check_case(before, "server first, pre-standard DTLS");
}

int main(void)
{
	hex_decode(leaf_hex, leaf, &leaf_len);
	fill_random(sid_client, sizeof sid_client, 0xa1);
	fill_random(sid_server, sizeof sid_server, 0xa2);
	test_tls12_full();
	test_tls12_reordered();
	test_big_certificates();
	test_gaps();
	test_alerts();
	test_tls13();
	test_resumption();
	test_sslv2();
	test_dtls();
	test_server_first();
	test_quic();
	test_not_tls();
	test_outcomes();
	test_fast_open();
	test_long_chain();
	test_robustness();
	for (unsigned i = 0; i < nblobs; i++)
		free(blobs[i]);
	return check_summary("test-tls-connection");
}
