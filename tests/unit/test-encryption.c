/* test-encryption.c: the protocol rules of the encryption classes (analyze/lib/encryption.c) on
 * hand-built payloads: TLS records across segments, retransmissions and capture gaps, the classes
 * before and after ChangeCipherSpec; DTLS epochs; HTTP headers and bodies by Content-Type and
 * Content-Encoding over several packets, chunked and pipelined; DNS with and without DNSSEC
 * records; QUIC, SSH and RTP by family; later IP fragments; what falls through to magic numbers and
 * entropy; the per-flow counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "check.h"
#include "encryption.h"

static struct ciot_entropy_options opts;

/* A flow as the pipeline holds it for this analyzer: its state, and the followers of its two TCP
 * directions (stream.h) that place every payload. */
struct flow {
	struct ciot_encryption_flow enc;
	struct ciot_tcp_follower tcp[2];
};

/* The spans of the last packet classified. */
static struct ciot_payload_spans spans;

/* Classifies with spans, and checks that they cover the captured payload exactly, in order. */
static enum ciot_content_class classify_spans(struct flow *f, int dir, enum ciot_dpi_family family,
					      const struct ciot_packet *pkt, enum ciot_class_step *step)
{
	struct ciot_tcp_position place = { 0, 0 };
	if (!pkt->later_fragment)
		place = ciot_tcp_follow(&f->tcp[dir], pkt);
	enum ciot_content_class c = ciot_encryption_packet(&opts, &f->enc, dir, family, pkt, place, step, &spans);
	if (c == CIOT_CONTENT_NCLASSES || pkt->later_fragment || !pkt->payload_caplen) {
		CHECK_EQ_INT(spans.n, 0);
		return c;
	}
	uint32_t at = 0;
	for (unsigned i = 0; i < spans.n; i++) {
		CHECK_EQ_INT(spans.span[i].offset, at);
		CHECK(spans.span[i].len > 0);
		at += spans.span[i].len;
	}
	CHECK_EQ_INT(at, pkt->payload_caplen);
	return c;
}

/* A packet of `n` payload bytes from `p`, TCP or UDP, with a sequence number. */
static struct ciot_packet packet(uint8_t proto, uint16_t sport, uint16_t dport, uint32_t seq, const uint8_t *p, size_t n)
{
	struct ciot_packet pkt;
	memset(&pkt, 0, sizeof pkt);
	pkt.proto = proto;
	pkt.sport = sport;
	pkt.dport = dport;
	pkt.tcp_seq = seq;
	pkt.payload = p;
	pkt.payload_caplen = pkt.payload_len = (uint32_t)n;
	pkt.wirelen = (uint32_t)n + 54;
	return pkt;
}

static enum ciot_content_class classify(struct flow *f, int dir, enum ciot_dpi_family family,
					uint8_t proto, uint32_t seq, const uint8_t *p, size_t n, enum ciot_class_step *step)
{
	struct ciot_packet pkt = packet(proto, 40000, proto == 6 ? 443 : 4433, seq, p, n);
	return classify_spans(f, dir, family, &pkt, step);
}

#define CHECK_CLASS(got, want) CHECK_EQ_STR(ciot_content_class_name(got), ciot_content_class_name(want))

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* A TLS record: header + body of `len` bytes (random for application data, else a pattern). */
static size_t tls_record(uint8_t *out, uint8_t type, size_t len)
{
	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	if (type == 23)
		fill_random(out + 5, len, (uint32_t)len);
	else
		memset(out + 5, type == 22 ? 0x01 : 0x02, len);
	return 5 + len;
}

static void test_tls(void)
{
	static uint8_t stream[40000];
	size_t n = 0;
	n += tls_record(stream + n, 22, 300);  /* ServerHello etc., in clear */
	size_t hello_end = n;
	n += tls_record(stream + n, 20, 1);    /* ChangeCipherSpec */
	n += tls_record(stream + n, 22, 40);   /* Finished: encrypted after CCS */
	size_t finished_end = n;
	n += tls_record(stream + n, 23, 3000); /* application data, across 3 segments */
	n += tls_record(stream + n, 21, 2);    /* an alert after CCS: encrypted */
	struct flow f;
	memset(&f, 0, sizeof f);
	enum ciot_class_step step;
	uint32_t isn = 0xfffffff0u; /* the sequence numbers wrap inside the stream */
	/* the handshake in clear, in one segment */
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_TLS, 6, isn, stream, hello_end, &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	/* CCS + Finished: 6 bytes of text, 45 encrypted: encrypted */
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_TLS, 6, isn + (uint32_t)hello_end, stream + hello_end,
			     finished_end - hello_end, &step),
		    CIOT_CONTENT_ENCRYPTED);
	/* application data in 1460-byte segments, one of them retransmitted */
	size_t at = finished_end;
	unsigned encrypted = 0, segments = 0;
	while (at < n) {
		size_t len = n - at < 1460 ? n - at : 1460;
		encrypted += classify(&f, 1, CIOT_FAMILY_TLS, 6, isn + (uint32_t)at, stream + at, len, &step) ==
			     CIOT_CONTENT_ENCRYPTED;
		segments++;
		if (segments == 1)
			encrypted += classify(&f, 1, CIOT_FAMILY_TLS, 6, isn + (uint32_t)at, stream + at, len, &step) ==
				     CIOT_CONTENT_ENCRYPTED;
		at += len;
	}
	CHECK_EQ_INT(encrypted, segments + 1);
	CHECK(!f.enc.dir[1].tls_lost);
	CHECK_EQ_INT(f.enc.dir[1].tls_next, isn + (uint32_t)n);
	/* counts: 1 text packet, the rest encrypted, none by entropy */
	CHECK_EQ_INT(f.enc.counts.packets[CIOT_CONTENT_TEXT], 1);
	CHECK_EQ_INT(f.enc.counts.packets[CIOT_CONTENT_ENCRYPTED], segments + 2);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0);
	CHECK_EQ_INT(f.enc.counts.bytes[CIOT_CONTENT_TEXT], hello_end + 54);

	/* a capture gap: bytes take the current record's class until a segment starts with a header */
	memset(&f, 0, sizeof f);
	n = tls_record(stream, 23, 5000);
	size_t second = n;
	n += tls_record(stream + n, 21, 2);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 1000, stream, 1000, &step), CIOT_CONTENT_ENCRYPTED);
	/* 1000..3000 lost; 3000.. arrives: inside the record, still encrypted */
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 4000, stream + 3000, 1000, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 1000 + (uint32_t)second, stream + second, n - second, &step),
		    CIOT_CONTENT_TEXT); /* an alert before any CCS: in clear */
	CHECK(!f.enc.dir[0].tls_lost);
	/* a jump past the expected header: lost, then resynchronized by a segment starting with one */
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 90000, stream + 10, 500, &step), CIOT_CONTENT_TEXT);
	CHECK(f.enc.dir[0].tls_lost);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 95000, stream, 1200, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK(!f.enc.dir[0].tls_lost);
	CHECK_EQ_INT(f.enc.dir[0].tls_next, 95000 + 5005);

	/* a TLS stream nDPI has not named yet is still recognized by its record header */
	memset(&f, 0, sizeof f);
	n = tls_record(stream, 23, 200);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 6, 7, stream, n, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
}

static void test_dtls(void)
{
	uint8_t d[200];
	memset(d, 0x11, sizeof d);
	/* epoch 0 handshake: text; epoch 1 handshake (Finished): encrypted; application data: encrypted */
	const uint8_t hello[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 20 };
	const uint8_t finished[] = { 22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 40 };
	const uint8_t appdata[] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 5, 0, 100 };
	struct flow f;
	memset(&f, 0, sizeof f);
	enum ciot_class_step step;
	memcpy(d, hello, sizeof hello);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_DTLS, 17, 0, d, 13 + 20, &step), CIOT_CONTENT_TEXT);
	memcpy(d, finished, sizeof finished);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_DTLS, 17, 0, d, 13 + 40, &step), CIOT_CONTENT_ENCRYPTED);
	memcpy(d, appdata, sizeof appdata);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 17, 0, d, 13 + 100, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
}

/* TCP segments in order, each direction with its own sequence numbers. */
static uint32_t seqs[2];

static void reset(struct flow *f)
{
	memset(f, 0, sizeof *f);
	seqs[0] = 1000;
	seqs[1] = 0xfffffe00u; /* wraps around */
}

static enum ciot_content_class tcp_send(struct flow *f, int dir, enum ciot_dpi_family family,
					const void *p, size_t n, enum ciot_class_step *step)
{
	struct ciot_packet pkt = packet(6, dir ? 80 : 40000, dir ? 40000 : 80, seqs[dir], p, n);
	seqs[dir] += (uint32_t)n;
	return classify_spans(f, dir, family, &pkt, step);
}

static enum ciot_content_class http(struct flow *f, int dir, const char *text, enum ciot_class_step *step)
{
	return tcp_send(f, dir, CIOT_FAMILY_HTTP, text, strlen(text), step);
}

/* A segment that repeats the end of a finished request and goes on with bytes that start no
 * message: the new bytes are judged by their content and have a span (fuzz-encryption found them
 * without one, so the PII search never saw them). */
static void test_repeat_then_no_message(void)
{
	struct flow f;
	reset(&f);
	enum ciot_class_step step;
	const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_CLASS(http(&f, 0, req, &step), CIOT_CONTENT_TEXT);
	uint8_t seg[5 + 300];
	memcpy(seg, req + strlen(req) - 5, 5);
	for (size_t i = 5; i < sizeof seg; i++)
		seg[i] = (uint8_t)(i * 131 + 7);
	struct ciot_packet pkt = packet(6, 40000, 80, seqs[0] - 5, seg, sizeof seg);
	seqs[0] += sizeof seg - 5;
	classify_spans(&f, 0, CIOT_FAMILY_HTTP, &pkt, &step); /* checks that the spans cover it all */
	CHECK_EQ_INT(spans.n, 2);
	CHECK_EQ_INT(spans.span[0].role, CIOT_SPAN_REPEATED);
	CHECK_EQ_INT(spans.span[1].len, 300);
	CHECK_EQ_INT(spans.span[1].role, CIOT_SPAN_OTHER);
}

static void test_http(void)
{
	struct flow f;
	reset(&f);
	enum ciot_class_step step;
	/* a JSON POST whose body follows in the next packet */
	CHECK_CLASS(http(&f, 0, "POST /api HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n",
			 &step),
		    CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(f.enc.dir[0].body_left, 20);
	CHECK_CLASS(http(&f, 0, "{\"on\":true,\"t\":21.5}", &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(f.enc.dir[0].mode, 0);
	/* a JPEG response body over three packets: media for each, whatever its bytes */
	static uint8_t body[3000];
	fill_random(body, sizeof body, 9);
	CHECK_CLASS(http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 3000\r\n\r\n", &step),
		    CIOT_CONTENT_TEXT);
	for (int i = 0; i < 3; i++) {
		CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_HTTP, body + i * 1000, 1000, &step), CIOT_CONTENT_MEDIA);
		CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	}
	/* gzip content encoding beats the text type; headers and a big body in one packet: the body wins */
	static char both[2000];
	int h = snprintf(both, sizeof both,
			 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: 1500\r\n\r\n");
	memset(both + h, 'z', 1500);
	both[h + 1500] = 0;
	CHECK_CLASS(http(&f, 1, both, &step), CIOT_CONTENT_COMPRESSED);
	/* chunked: the body runs until the next message */
	CHECK_CLASS(http(&f, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: video/mp4\r\n\r\n", &step),
		    CIOT_CONTENT_TEXT);
	CHECK_CLASS(http(&f, 1, "5\r\nabcde\r\n", &step), CIOT_CONTENT_MEDIA);
	CHECK_CLASS(http(&f, 1, "0\r\n\r\n", &step), CIOT_CONTENT_MEDIA);
	CHECK_EQ_INT(f.enc.dir[1].mode, 0);
	CHECK_CLASS(http(&f, 1, "HTTP/1.1 204 No Content\r\n\r\n", &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(f.enc.dir[1].mode, 0);
	/* an octet-stream body is judged by its bytes: random bytes are encrypted, by entropy */
	CHECK_CLASS(http(&f, 0, "POST /up HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n",
			 &step),
		    CIOT_CONTENT_TEXT);
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_HTTP, body, 1000, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 1);
	/* headers split over two packets */
	reset(&f);
	CHECK_CLASS(http(&f, 0, "GET /x HTTP/1.1\r\nHost: example", &step), CIOT_CONTENT_TEXT);
	CHECK_CLASS(http(&f, 0, ".com\r\nAccept: */*\r\n\r\n", &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(f.enc.dir[0].mode, 0);
	/* two pipelined requests in one packet */
	CHECK_CLASS(http(&f, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", &step), CIOT_CONTENT_TEXT);
	/* a vendor +json type */
	CHECK_CLASS(http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.acme+json; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
			 &step),
		    CIOT_CONTENT_TEXT);
}

static void test_dns(void)
{
	struct bytes b = { .be = true };
	/* a response with one DNSKEY answer */
	bytes_u16(&b, 1);
	bytes_u16(&b, 0x8180);
	bytes_u16(&b, 1);
	bytes_u16(&b, 1);
	bytes_u16(&b, 0);
	bytes_u16(&b, 0);
	const uint8_t qname[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	bytes_put(&b, qname, sizeof qname);
	bytes_u16(&b, 48);
	bytes_u16(&b, 1);
	bytes_u16(&b, 0xc00c);
	bytes_u16(&b, 48);
	bytes_u16(&b, 1);
	bytes_u32(&b, 300);
	bytes_u16(&b, 36);
	bytes_u16(&b, 257);
	bytes_u8(&b, 3);
	bytes_u8(&b, 13);
	bytes_fill(&b, 0xab, 32);
	struct flow f;
	memset(&f, 0, sizeof f);
	enum ciot_class_step step;
	struct ciot_packet pkt = packet(17, 53, 40000, 0, b.d, b.n);
	CHECK_CLASS(classify_spans(&f, 1, CIOT_FAMILY_DNS, &pkt, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	/* the same message with an A record instead: text, also without nDPI's help (port 53) */
	size_t type_at = 12 + sizeof qname + 4 + 2;
	b.d[type_at] = 0;
	b.d[type_at + 1] = 1;
	pkt = packet(17, 53, 40000, 0, b.d, b.n);
	CHECK_CLASS(classify_spans(&f, 1, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_TEXT);
	/* a query: text */
	pkt = packet(17, 40000, 53, 0, b.d, 12 + sizeof qname + 4);
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_DNS, &pkt, &step), CIOT_CONTENT_TEXT);
	bytes_free(&b);
}

static void test_families_and_fragments(void)
{
	static uint8_t text[400];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (uint8_t)"the quick brown fox jumps over the lazy dog "[i % 44];
	struct flow f;
	memset(&f, 0, sizeof f);
	enum ciot_class_step step;
	/* QUIC is encrypted whatever its bytes look like */
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_QUIC, 17, 0, text, sizeof text, &step), CIOT_CONTENT_ENCRYPTED);
	/* a later fragment takes the class of its datagram's first fragment */
	struct ciot_packet pkt = packet(17, 40000, 4433, 0, text, 300);
	pkt.later_fragment = true;
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_QUIC, &pkt, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(f.enc.counts.packets[CIOT_CONTENT_ENCRYPTED], 2);
	/* a later fragment with nothing before it: unknown */
	CHECK_CLASS(classify_spans(&f, 1, CIOT_FAMILY_QUIC, &pkt, &step), CIOT_CONTENT_UNKNOWN);
	/* SSH: the banner in clear, then encrypted */
	memset(&f, 0, sizeof f);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_SSH, 6, 0, (const uint8_t *)"SSH-2.0-OpenSSH_9.2\r\n", 21, &step),
		    CIOT_CONTENT_TEXT);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_SSH, 6, 21, text, 100, &step), CIOT_CONTENT_ENCRYPTED);
	/* RTP: media */
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_RTP, 17, 0, text, 172, &step), CIOT_CONTENT_MEDIA);
	/* no rule: a gzip stream by its magic number, then text by entropy, then a short leftover */
	memset(&f, 0, sizeof f);
	static uint8_t gz[300] = { 0x1f, 0x8b, 0x08 };
	fill_random(gz + 3, sizeof gz - 3, 4);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 17, 0, gz, sizeof gz, &step), CIOT_CONTENT_COMPRESSED);
	CHECK_EQ_INT(step, CIOT_STEP_MAGIC);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 17, 0, text, sizeof text, &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 17, 0, (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12, &step),
		    CIOT_CONTENT_OMITTED);
	CHECK_EQ_INT(step, CIOT_STEP_LENGTH);
	/* random bytes on a protocol nDPI does not know: encrypted by entropy, and counted as such */
	static uint8_t random[500];
	fill_random(random, sizeof random, 77);
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_OTHER, 17, 0, random, sizeof random, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 1);
	/* no payload: not counted */
	struct ciot_packet empty = packet(6, 1, 2, 0, NULL, 0);
	CHECK_EQ_INT(classify_spans(&f, 0, CIOT_FAMILY_OTHER, &empty, &step), CIOT_CONTENT_NCLASSES);
	/* a payload the capture cut away entirely: omitted */
	struct ciot_packet cut = packet(17, 1, 2, 0, random, 0);
	cut.payload_len = 400;
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_OTHER, &cut, &step), CIOT_CONTENT_OMITTED);
	CHECK(ciot_family_is_encrypted(CIOT_FAMILY_QUIC) && !ciot_family_is_encrypted(CIOT_FAMILY_HTTP));
}

static void test_mqtt(void)
{
	struct flow f;
	reset(&f);
	enum ciot_class_step step;
	/* CONNECT: text */
	const uint8_t connect[] = { 0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 4, 'c', 'a', 'm', '1' };
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_MQTT, connect, sizeof connect, &step), CIOT_CONTENT_TEXT);
	/* PUBLISH with a short JSON payload: text (entropy alone could not say, at 40 bytes) */
	uint8_t pub[128];
	const char *topic = "dev/cam1/state", *json = "{\"on\":true,\"t\":21.5,\"rssi\":-61,\"fw\":\"1.2\"}";
	size_t tl = strlen(topic), jl = strlen(json);
	pub[0] = 0x30;
	pub[1] = (uint8_t)(2 + tl + jl);
	pub[2] = 0;
	pub[3] = (uint8_t)tl;
	memcpy(pub + 4, topic, tl);
	memcpy(pub + 4 + tl, json, jl);
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_MQTT, pub, 4 + tl + jl, &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	/* PUBLISH with 300 random bytes: the payload wins, encrypted by entropy (proprietary encryption) */
	uint8_t enc[400];
	enc[0] = 0x32; /* QoS 1: a packet id follows the topic */
	enc[1] = (uint8_t)(0x80 | ((2 + tl + 2 + 300) & 0x7f));
	enc[2] = (uint8_t)((2 + tl + 2 + 300) >> 7);
	enc[3] = 0;
	enc[4] = (uint8_t)tl;
	memcpy(enc + 5, topic, tl);
	enc[5 + tl] = 0;
	enc[6 + tl] = 7;
	fill_random(enc + 7 + tl, 300, 5);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_MQTT, enc, 7 + tl + 300, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	/* base64 is left to entropy, not called text */
	reset(&f);
	CHECK_CLASS(http(&f, 0, "POST /b HTTP/1.1\r\nContent-Length: 64\r\n\r\n", &step), CIOT_CONTENT_TEXT);
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t raw[64];
	char b64[65];
	fill_random(raw, sizeof raw, 11);
	for (size_t i = 0; i < 64; i++)
		b64[i] = alphabet[raw[i] & 63];
	b64[64] = 0;
	CHECK_CLASS(http(&f, 0, b64, &step), CIOT_CONTENT_UNKNOWN);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
}

/* The cases a review found, each once wrong. */
static void test_review_cases(void)
{
	struct flow f;
	enum ciot_class_step step;
	static uint8_t gz[4000];
	fill_random(gz, sizeof gz, 21);
	gz[0] = 0x1f, gz[1] = 0x8b, gz[2] = 0x08, gz[3] = 0;
	/* an octet-stream body whose first bytes are gzip's: compressed in every packet, no
	 * proprietary encryption */
	reset(&f);
	http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 4000\r\n\r\n", &step);
	for (int i = 0; i < 4; i++)
		CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_HTTP, gz + i * 1000, 1000, &step), CIOT_CONTENT_COMPRESSED);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0);

	/* RTSP: a PLAY response without Content-Length has no body; interleaved frames are media, one of
	 * them cut across segments */
	reset(&f);
	tcp_send(&f, 1, CIOT_FAMILY_RTSP, "RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 12\r\n\r\n", 41, &step);
	CHECK_EQ_INT(f.enc.dir[1].mode, 0);
	static uint8_t frames[1300];
	fill_random(frames, sizeof frames, 3);
	frames[0] = '$', frames[1] = 0, frames[2] = 0x04, frames[3] = 0x00; /* 1024 bytes of RTP */
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_RTSP, frames, 700, &step), CIOT_CONTENT_MEDIA);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_RTSP, frames + 700, 600, &step), CIOT_CONTENT_MEDIA);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0);

	/* an MQTT PUBLISH of 3000 random bytes over three segments: encrypted in each */
	reset(&f);
	static uint8_t pub[3100];
	fill_random(pub, sizeof pub, 8);
	size_t len = 2 + 5 + 3000;
	pub[0] = 0x30, pub[1] = (uint8_t)(0x80 | (len & 0x7f)), pub[2] = (uint8_t)(len >> 7);
	pub[3] = 0, pub[4] = 5;
	memcpy(pub + 5, "a/b/c", 5);
	for (int i = 0; i < 3; i++)
		CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_MQTT, pub + i * 1003, i < 2 ? 1003 : 3 + len - 2006, &step),
			    CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(f.enc.dir[0].mode, 0);

	/* a header block cut inside its blank line, with its fields in the first segment: the body
	 * still gets the type */
	reset(&f);
	http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 2000\r\n", &step);
	http(&f, 1, "\r\n", &step);
	CHECK_EQ_INT(f.enc.dir[1].mode, 3); /* MODE_HTTP_BODY */
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_HTTP, gz + 100, 1000, &step), CIOT_CONTENT_MEDIA);
	/* a retransmission of that segment: the same class, and the body count does not move */
	seqs[1] -= 1000;
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_HTTP, gz + 100, 1000, &step), CIOT_CONTENT_MEDIA);
	CHECK_EQ_INT(f.enc.dir[1].body_left, 1000);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_HTTP, gz + 1100, 1000, &step), CIOT_CONTENT_MEDIA);
	CHECK_EQ_INT(f.enc.dir[1].mode, 0);
	/* the same split as CR | LF */
	reset(&f);
	http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10\r\n\r", &step);
	http(&f, 1, "\n0123456789", &step);
	CHECK_EQ_INT(f.enc.dir[1].mode, 0);

	/* HEAD: its response's Content-Length announces no body; the next response is read */
	reset(&f);
	http(&f, 0, "HEAD /fw.bin HTTP/1.1\r\nHost: a\r\n\r\n", &step);
	http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\nContent-Type: application/octet-stream\r\n\r\n", &step);
	CHECK_EQ_INT(f.enc.dir[1].mode, 0);
	http(&f, 0, "GET /a.json HTTP/1.1\r\n\r\n", &step);
	CHECK_CLASS(http(&f, 1, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", &step),
		    CIOT_CONTENT_TEXT);

	/* a chunked body's end and the next response in one segment */
	reset(&f);
	http(&f, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: image/jpeg\r\n\r\n", &step);
	http(&f, 1, "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n", &step);
	CHECK_EQ_INT(f.enc.dir[1].mode, 3);
	CHECK_EQ_INT(f.enc.dir[1].body_class, CIOT_CONTENT_TEXT);

	/* 101 Switching Protocols, then WebSocket frames: by their content */
	reset(&f);
	static uint8_t ws[600];
	fill_random(ws, sizeof ws, 12);
	static char up[800];
	int h = snprintf(up, sizeof up, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
	(void)h;
	http(&f, 1, up, &step);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_HTTP, ws, sizeof ws, &step), CIOT_CONTENT_ENCRYPTED);

	/* a TLS record header cut between segments after ChangeCipherSpec: encrypted */
	reset(&f);
	static uint8_t tls[3000];
	size_t n = tls_record(tls, 22, 80);
	n += tls_record(tls + n, 20, 1);
	size_t cut = n + 2;
	n += tls_record(tls + n, 23, 2000);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_TLS, tls, cut, &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(f.enc.dir[1].tls_partial, 2);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_TLS, tls + cut, n - cut, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK(!f.enc.dir[1].tls_lost);
	CHECK_EQ_INT(f.enc.dir[1].tls_next, seqs[1]);

	/* SSH: banner and key exchange in clear, then encrypted; a capture that starts later: encrypted */
	reset(&f);
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_SSH, "SSH-2.0-dropbear\r\n", 18, &step), CIOT_CONTENT_TEXT);
	uint8_t kex[200] = { 0, 0, 0, 196, 10, 20 };
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_SSH, kex, sizeof kex, &step), CIOT_CONTENT_TEXT);
	uint8_t newkeys[16] = { 0, 0, 0, 12, 10, 21 };
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_SSH, newkeys, sizeof newkeys, &step), CIOT_CONTENT_TEXT);
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_SSH, kex, sizeof kex, &step), CIOT_CONTENT_ENCRYPTED);
	reset(&f);
	CHECK_CLASS(tcp_send(&f, 1, CIOT_FAMILY_SSH, ws, 100, &step), CIOT_CONTENT_ENCRYPTED);

	/* DTLS 1.3's unified header; SSDP over UDP */
	reset(&f);
	uint8_t d13[60];
	fill_random(d13, sizeof d13, 2);
	d13[0] = 0x2c;
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 17, 0, d13, sizeof d13, &step), CIOT_CONTENT_ENCRYPTED);
	const char *ssdp = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n\r\n";
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 17, 0, (const uint8_t *)ssdp, strlen(ssdp), &step),
		    CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
}

#define CHECK_SPAN(i, off, length, r)                                                                  \
	do {                                                                                           \
		CHECK_EQ_INT(spans.span[i].offset, off);                                                \
		CHECK_EQ_INT(spans.span[i].len, length);                                                \
		CHECK_EQ_INT(spans.span[i].role, r);                                                    \
	} while (0)

/* The roles of the spans: what the PII search is told about each part of a message. */
static void test_spans(void)
{
	struct flow f;
	enum ciot_class_step step;
	reset(&f);
	/* a request with its header block and JSON body in one segment, then a response cut in two */
	const char *req = "POST /r?mac=aa HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n"
			  "{\"a\":\"b\"}";
	size_t head = strlen(req) - 9;
	CHECK_CLASS(tcp_send(&f, 0, CIOT_FAMILY_HTTP, req, strlen(req), &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(spans.n, 2);
	CHECK_SPAN(0, 0, head, CIOT_SPAN_HTTP_HEADER);
	CHECK_SPAN(1, head, 9, CIOT_SPAN_HTTP_BODY);
	CHECK_EQ_INT(spans.span[1].cls, CIOT_CONTENT_TEXT);
	const char *resp1 = "HTTP/1.1 200 OK\r\nContent-Le", *resp2 = "ngth: 4\r\n\r\nabcd";
	tcp_send(&f, 1, CIOT_FAMILY_HTTP, resp1, strlen(resp1), &step);
	CHECK_EQ_INT(spans.n, 1);
	CHECK_SPAN(0, 0, strlen(resp1), CIOT_SPAN_HTTP_HEADER);
	tcp_send(&f, 1, CIOT_FAMILY_HTTP, resp2, strlen(resp2), &step);
	CHECK_EQ_INT(spans.n, 2);
	CHECK_SPAN(0, 0, strlen(resp2) - 4, CIOT_SPAN_HTTP_HEADER);
	CHECK_SPAN(1, strlen(resp2) - 4, 4, CIOT_SPAN_HTTP_BODY);
	/* a retransmission of the request: repeated bytes */
	seqs[0] -= (uint32_t)strlen(req);
	tcp_send(&f, 0, CIOT_FAMILY_HTTP, req, strlen(req), &step);
	CHECK_EQ_INT(spans.n, 1);
	CHECK_SPAN(0, 0, strlen(req), CIOT_SPAN_REPEATED);

	/* MQTT: PUBLISH (QoS 1) header, topic, packet id and payload; SUBSCRIBE's filters are topics */
	reset(&f);
	const uint8_t pub[] = { 0x32, 13, 0, 5, 'a', '/', 'b', '/', 'c', 0, 9, 'o', 'n', '=', '1' };
	tcp_send(&f, 0, CIOT_FAMILY_MQTT, pub, sizeof pub, &step);
	/* the packet id is text; the 4-byte payload, too short to judge, is a span of its own class */
	CHECK_EQ_INT(spans.n, 4);
	CHECK_SPAN(0, 0, 4, CIOT_SPAN_MQTT_BODY);
	CHECK_SPAN(1, 4, 5, CIOT_SPAN_MQTT_TOPIC);
	CHECK_SPAN(2, 9, 2, CIOT_SPAN_MQTT_BODY);
	CHECK_SPAN(3, 11, 4, CIOT_SPAN_MQTT_BODY);
	CHECK(spans.span[3].cls != CIOT_CONTENT_TEXT);
	const uint8_t sub[] = { 0x82, 8, 0, 1, 0, 3, 'x', '/', '#', 0 };
	tcp_send(&f, 0, CIOT_FAMILY_MQTT, sub, sizeof sub, &step);
	CHECK_EQ_INT(spans.n, 2);
	CHECK_SPAN(0, 0, 2, CIOT_SPAN_MQTT_BODY);
	CHECK_SPAN(1, 2, 8, CIOT_SPAN_MQTT_TOPIC);
	/* a burst of more packets than spans: the last span covers the rest */
	uint8_t burst[9 * 100];
	for (size_t i = 0; i < 100; i++)
		memcpy(burst + 9 * i, (const uint8_t[]){ 0x30, 7, 0, 1, 't', 'v', 'v', 'v', 'v' }, 9);
	tcp_send(&f, 0, CIOT_FAMILY_MQTT, burst, sizeof burst, &step);
	CHECK(spans.overflow);
	CHECK_EQ_INT(spans.n, CIOT_MAX_SPANS);
	CHECK_EQ_INT(spans.span[CIOT_MAX_SPANS - 1].role, CIOT_SPAN_OTHER);

	/* DNS, TLS and a payload no rule knows */
	reset(&f);
	const uint8_t tls[] = { 22, 3, 1, 0, 2, 1, 0 };
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 1, tls, sizeof tls, &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(spans.n, 1);
	CHECK_SPAN(0, 0, sizeof tls, CIOT_SPAN_PROTECTED);
	const char *plain = "hello there, a device that speaks its own protocol in clear text";
	struct ciot_packet pkt = packet(17, 40000, 9999, 0, (const uint8_t *)plain, strlen(plain));
	reset(&f);
	classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step);
	CHECK_EQ_INT(spans.n, 1);
	CHECK_SPAN(0, 0, strlen(plain), CIOT_SPAN_OTHER);
	const uint8_t query[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1 };
	pkt = packet(17, 40000, 53, 0, query, sizeof query);
	classify_spans(&f, 0, CIOT_FAMILY_DNS, &pkt, &step);
	CHECK_EQ_INT(spans.n, 1);
	CHECK_SPAN(0, 0, sizeof query, CIOT_SPAN_DNS);
}

/* ICMP is never encrypted: the Linux ping payload (an 8-byte timestamp, then the counter 08 09 ..
 * 37), the Windows one (the alphabet a..w, repeated) and random padding; structured payloads are
 * text, random ones unknown; no packet counts towards proprietary encryption. */
static void test_icmp(void)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	enum ciot_class_step step;
	uint8_t linux_ping[56], windows_ping[32], pad[200];
	fill_random(linux_ping, 8, 5);
	for (size_t i = 8; i < sizeof linux_ping; i++)
		linux_ping[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof windows_ping; i++)
		windows_ping[i] = (uint8_t)('a' + i % 23);
	fill_random(pad, sizeof pad, 6);
	/* the counter alone: its byte entropy is that of random bytes */
	CHECK_CLASS(ciot_content_classify(&opts, linux_ping, sizeof linux_ping), CIOT_CONTENT_TEXT);
	struct ciot_packet pkt = packet(1, 0, 0, 0, linux_ping, sizeof linux_ping);
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_TEXT);
	pkt = packet(1, 0, 0, 0, windows_ping, sizeof windows_ping);
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_TEXT);
	pkt = packet(58, 0, 0, 0, pad, sizeof pad);
	CHECK_CLASS(classify_spans(&f, 1, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_UNKNOWN);
	/* the same random bytes over UDP are encrypted */
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_OTHER, 17, 0, pad, sizeof pad, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 1);
	/* a counter over UDP is not encrypted either */
	memset(&f, 0, sizeof f);
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_OTHER, 17, 0, linux_ping, sizeof linux_ping, &step), CIOT_CONTENT_TEXT);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0);
	/* in the paper mode too: the 56-byte counter is below 0.9 anyway, a 1000-byte one is not */
	static uint8_t counter[1000];
	for (size_t i = 0; i < sizeof counter; i++)
		counter[i] = (uint8_t)(i * 7 + 3);
	struct ciot_entropy_options paper;
	ciot_entropy_default_options(&paper, CIOT_ENTROPY_PAPER);
	CHECK(ciot_entropy256(counter, sizeof counter) > 0.9);
	CHECK_CLASS(ciot_content_classify(&paper, counter, sizeof counter), CIOT_CONTENT_TEXT);
	CHECK_CLASS(ciot_content_classify(&opts, counter, sizeof counter), CIOT_CONTENT_TEXT);
}

/* QUIC seen after its handshake: short-header packets on UDP 443 in a flow nDPI did not name are
 * QUIC (encrypted by the protocol rule, not by entropy); the same bytes on another port, or with
 * the form bits of no QUIC packet, are not. */
static void test_quic_midstream(void)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	enum ciot_class_step step;
	uint8_t p[60];
	fill_random(p, sizeof p, 8);
	p[0] = 0x43; /* short header, packet number length 4 */
	struct ciot_packet pkt = packet(17, 40000, 443, 0, p, sizeof p);
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	pkt = packet(17, 443, 40000, 0, p, sizeof p);
	CHECK_CLASS(classify_spans(&f, 1, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	/* a long header of QUIC v1 */
	uint8_t lh[60];
	fill_random(lh, sizeof lh, 9);
	memcpy(lh, "\xc3\x00\x00\x00\x01\x08", 6);
	pkt = packet(17, 40000, 443, 0, lh, sizeof lh);
	CHECK_CLASS(classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0);
	/* not QUIC: another port, the form bits 00, an unknown version, too short */
	pkt = packet(17, 40000, 4443, 0, p, sizeof p);
	classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	p[0] = 0x03;
	pkt = packet(17, 40000, 443, 0, p, sizeof p);
	classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	lh[4] = 0x07;
	pkt = packet(17, 40000, 443, 0, lh, sizeof lh);
	classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	p[0] = 0x43;
	pkt = packet(17, 40000, 443, 0, p, 20);
	classify_spans(&f, 0, CIOT_FAMILY_OTHER, &pkt, &step);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 4);
}

/* TLS picked up inside a segment: a connection that began before the capture (its first segment
 * ends a record, then a header chain), and a direction that lost its record boundaries. A header
 * whose record runs past the segment is not trusted; random bytes never resynchronize. */
static void test_tls_resync(void)
{
	static uint8_t stream[8000];
	struct flow f;
	enum ciot_class_step step;
	/* the end of an application-data record (300 bytes seen), then a 200-byte record that ends
	 * with the segment: picked up, the 300 bytes before it encrypted (application data is sent
	 * after the keys changed), the flow's packets all by the TLS rule */
	memset(&f, 0, sizeof f);
	fill_random(stream, 300, 11);
	size_t n = 300 + tls_record(stream + 300, 23, 200);
	size_t next = n;
	n += tls_record(stream + n, 23, 1000);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 6, 5000, stream, next, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
	CHECK(!f.enc.dir[0].tls_lost);
	CHECK(f.enc.dir[0].keys_changed);
	CHECK_EQ_INT(f.enc.dir[0].tls_next, 5000 + next);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 6, 5000 + (uint32_t)next, stream + next, n - next, &step),
		    CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0);
	CHECK(f.enc.counts.tls_records);

	/* the chain as two headers inside the segment, the second record running on into the next */
	memset(&f, 0, sizeof f);
	fill_random(stream, 100, 12);
	n = 100 + tls_record(stream + 100, 23, 50);
	n += tls_record(stream + n, 23, 3000);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 1, stream, 1400, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK(!f.enc.dir[0].tls_lost);
	CHECK_EQ_INT(f.enc.dir[0].tls_next, 1 + n);

	/* one header whose record runs past the segment: not trusted, the segment is judged by its
	 * bytes, and no TLS state is taken */
	memset(&f, 0, sizeof f);
	fill_random(stream, 1400, 13);
	tls_record(stream + 300, 23, 5000);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_OTHER, 6, 1, stream, 1400, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK_EQ_INT(step, CIOT_STEP_ENTROPY);
	CHECK_EQ_INT(f.enc.dir[0].mode, 0);

	/* random segments of a flow nDPI does not name: never TLS (2000 segments, 2.8 MB) */
	memset(&f, 0, sizeof f);
	unsigned tls = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		fill_random(stream, 1400, 100 + i);
		classify(&f, 0, CIOT_FAMILY_OTHER, 6, 1 + 1400 * i, stream, 1400, &step);
		tls += step == CIOT_STEP_PROTOCOL;
	}
	CHECK_EQ_INT(tls, 0);
	CHECK(!f.enc.counts.tls_records);

	/* a gap before any ChangeCipherSpec: the lost bytes keep the handshake's class (text), and a
	 * handshake record found inside the next segment is read from its header on */
	memset(&f, 0, sizeof f);
	n = tls_record(stream, 22, 100);
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_TLS, 6, 0, stream, n, &step), CIOT_CONTENT_TEXT);
	memset(stream, 0x01, 40); /* the end of a handshake record whose start was lost */
	size_t m = 40 + tls_record(stream + 40, 22, 60);
	m += tls_record(stream + m, 20, 1);
	m += tls_record(stream + m, 22, 40);
	CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_TLS, 6, 2000, stream, m, &step), CIOT_CONTENT_TEXT);
	CHECK(!f.enc.dir[1].tls_lost);
	CHECK(f.enc.dir[1].keys_changed);
	CHECK_EQ_INT(f.enc.dir[1].tls_next, 2000 + m);

	/* a header missing where the stream says one is: resynchronized on a chain further on */
	memset(&f, 0, sizeof f);
	n = tls_record(stream, 23, 100);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, 0, stream, n, &step), CIOT_CONTENT_ENCRYPTED);
	fill_random(stream, 30, 14); /* 30 bytes that are no header */
	m = 30 + tls_record(stream + 30, 23, 70);
	CHECK_CLASS(classify(&f, 0, CIOT_FAMILY_TLS, 6, (uint32_t)n, stream, m, &step), CIOT_CONTENT_ENCRYPTED);
	CHECK(!f.enc.dir[0].tls_lost);
	CHECK_EQ_INT(f.enc.dir[0].tls_next, n + m);
}

/* The paper mode's SSL rule (the lifecycle paper, section 4.1): a TLS segment whose payload's
 * entropy is above 0.8 is encrypted, clear handshake records included (a certificate); a clear
 * handshake of lower entropy stays text, and the default mode keeps the record rules alone. */
static void test_paper_ssl_rule(void)
{
	static uint8_t hello[1005], cert[1005];
	size_t n = tls_record(hello, 22, 1000); /* a pattern: entropy 0 */
	tls_record(cert, 22, 1000);
	fill_random(cert + 5, 1000, 7); /* a certificate's bytes score like random ones */
	CHECK(ciot_entropy256(cert, n) > 0.8);
	struct ciot_entropy_options aware = opts;
	enum ciot_class_step step;
	for (int mode = 0; mode < 2; mode++) {
		ciot_entropy_default_options(&opts, mode ? CIOT_ENTROPY_PAPER : CIOT_ENTROPY_LENGTH_AWARE);
		struct flow f;
		memset(&f, 0, sizeof f);
		CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_TLS, 6, 1000, hello, n, &step), CIOT_CONTENT_TEXT);
		CHECK_CLASS(classify(&f, 1, CIOT_FAMILY_TLS, 6, 1000 + (uint32_t)n, cert, n, &step),
			    mode ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT);
		CHECK_EQ_INT(step, CIOT_STEP_PROTOCOL);
		CHECK_EQ_INT(f.enc.counts.entropy_encrypted, 0); /* a protocol rule, not proprietary */
	}
	opts = aware;
}

int main(void)
{
	ciot_entropy_default_options(&opts, CIOT_ENTROPY_LENGTH_AWARE);
	test_spans();
	test_tls();
	test_dtls();
	test_http();
	test_repeat_then_no_message();
	test_dns();
	test_families_and_fragments();
	test_mqtt();
	test_review_cases();
	test_icmp();
	test_quic_midstream();
	test_tls_resync();
	test_paper_ssl_rule();
	return check_summary("encryption");
}
