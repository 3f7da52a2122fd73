/* fuzz-tls-connection.c: a libFuzzer target for the TLS/DTLS/QUIC connection tracker
 * (analyze/analyzers/tls/tls-connection.h). The input is one flow: a first byte choosing TCP or UDP, then
 * packets in both directions, each a 5-byte header (direction, SYN/FIN/RST, a move of that
 * direction's sequence number forwards or backwards, small or past the reassembly window, the
 * captured length, bytes the capture cut off, a later IP fragment) and its payload, handed to
 * ciot_tls_packet in a heap block of exactly its captured length (so that ASan sees a read past a
 * payload, or a pointer into one kept after the call). Then the flow ends (ciot_tls_finish) and
 * the summary is read whole: every byte of every certificate kept, the outcome, the alerts as
 * text in a large buffer and in a small one, the QUIC version's name. Besides the sanitizers' own
 * checks it traps when tls-connection.h's promises break: counts past their arrays, chain entries
 * outside the concatenated chain or past CIOT_TLS_CHAIN_BYTES, strings not terminated, a client
 * direction or an outcome out of range, a protocol that does not match the transport, state kept
 * after the flow ended; and when a counter holds more records than the input has bytes (it went
 * below zero). How to build and run it (with libFuzzer, or with driver.c as ctest
 * does): README.md beside this file.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls-connection.h"

#define REQUIRE(cond)                    \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define PACKET_HEADER 5

/* Reads every byte, so that ASan sees a buffer shorter than its length says. */
static void touch(const uint8_t *p, size_t n)
{
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	(void)sum;
}

static void check_side(const struct ciot_tls_side *side, bool tcp, uint64_t input_bytes)
{
	REQUIRE(side->nchain <= CIOT_TLS_MAX_CHAIN);
	size_t total = 0;
	for (unsigned i = 0; i < side->nchain; i++) {
		/* concatenated: each certificate starts where the one before ends */
		REQUIRE(side->chain_offset[i] == total);
		REQUIRE(side->chain_len[i] <= CIOT_TLS_CHAIN_BYTES - total);
		total += side->chain_len[i];
	}
	REQUIRE(total <= CIOT_TLS_CHAIN_BYTES);
	if (total > 0) {
		REQUIRE(side->chain != NULL);
		touch(side->chain, total);
	}
	REQUIRE(side->nalerts <= CIOT_TLS_MAX_ALERTS);
	REQUIRE(side->nalerts <= side->alerts_total);
	for (unsigned i = 0; i < side->nalerts; i++)
		if (side->alerts[i].encrypted)
			REQUIRE(side->alerts[i].level == 0 && side->alerts[i].description == 0);
	REQUIRE(side->close == CIOT_TLS_OPEN || side->close == CIOT_TLS_CLOSED_FIN ||
		side->close == CIOT_TLS_CLOSED_RST);
	REQUIRE(tcp || side->close == CIOT_TLS_OPEN);
	/* every record counted had at least 2 bytes of header among the bytes given (a counter that
	 * went below zero is far above); settle adds at most one alert per direction */
	REQUIRE(side->app_records <= input_bytes);
	REQUIRE(side->app_bytes <= (uint64_t)side->app_records * 0xffff);
	REQUIRE(side->alerts_total <= input_bytes + 2);
}

/* The length of a string in n bytes, n when it is not terminated there (strnlen is not C11). */
static size_t bounded_len(const char *p, size_t n)
{
	const char *end = memchr(p, 0, n);
	return end ? (size_t)(end - p) : n;
}

/* The alert list in a buffer of exactly `small` bytes: the large one's text, cut. */
static void check_alerts_text(const struct ciot_tls_side *side, size_t small)
{
	char full[512];
	ciot_tls_alerts_text(side, full, sizeof full);
	size_t len = bounded_len(full, sizeof full);
	REQUIRE(len < sizeof full - 1); /* 4 alerts fit with room to spare */
	REQUIRE((len == 0) == (side->nalerts == 0));
	char *cut = malloc(small);
	if (!cut)
		return;
	ciot_tls_alerts_text(side, cut, small);
	size_t cut_len = bounded_len(cut, small);
	REQUIRE(cut_len < small);
	REQUIRE(cut_len == (len < small - 1 ? len : small - 1));
	REQUIRE(memcmp(cut, full, cut_len) == 0);
	free(cut);
}

static void check_quic_version_name(uint32_t version)
{
	char *buf = malloc(16);
	if (!buf)
		return;
	const char *name = ciot_quic_version_name(version, buf, 16);
	REQUIRE(name != NULL);
	if (name == buf)
		REQUIRE(memchr(buf, 0, 16) != NULL);
	REQUIRE(name[0] != '\0');
	free(buf);
}

static void check_summary(const struct ciot_tls_summary *s, bool tcp, uint64_t input_bytes, size_t small)
{
	REQUIRE(s->protocol == CIOT_TLS_PROTO_TLS || s->protocol == CIOT_TLS_PROTO_DTLS ||
		s->protocol == CIOT_TLS_PROTO_QUIC);
	REQUIRE(tcp == (s->protocol == CIOT_TLS_PROTO_TLS));
	REQUIRE(strcmp(ciot_tls_protocol_name(s->protocol), "?") != 0);
	REQUIRE(s->client_dir == 0 || s->client_dir == 1);

	const struct ciot_tls_client_hello *ch = &s->ch;
	REQUIRE(memchr(ch->sni, 0, sizeof ch->sni) != NULL);
	REQUIRE(memchr(ch->alpn, 0, sizeof ch->alpn) != NULL);
	REQUIRE(ch->nciphers <= CIOT_TLS_MAX_CIPHERS);
	REQUIRE(ch->nversions <= CIOT_TLS_MAX_VERSIONS);
	REQUIRE(ch->session_id_len <= sizeof ch->session_id_bytes);
	REQUIRE(s->sh.session_id_len <= sizeof s->sh.session_id_bytes);

	for (int i = 0; i < 2; i++) {
		check_side(&s->side[i], tcp, input_bytes);
		check_alerts_text(&s->side[i], small);
	}

	enum ciot_tls_outcome o = ciot_tls_outcome_of(s);
	REQUIRE((unsigned)o < CIOT_TLS_NOUTCOMES);
	const char *name = ciot_tls_outcome_name(o);
	REQUIRE(name != NULL && strcmp(name, "?") != 0);
	REQUIRE(strcmp(ciot_tls_outcome_name(CIOT_TLS_NOUTCOMES), "?") == 0);

	check_quic_version_name(s->quic_version);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: byte 0: bit 0 UDP (else TCP); bits 1 and 2 start direction 0's and direction 1's sequence
 * numbers just below 2^32 (so that they wrap); bits 3-7 the size of the small alerts_text buffer
 * (1 to 32). Then packets, each 5 bytes and the payload:
 *   h[0]  bit 0 the direction; bits 1-3 SYN, FIN, RST; bits 4-6 how the sequence number moves
 *         (below); bit 7 a timestamp jump of 1000 s
 *   h[1]  the amount of the move
 *   h[2-3] captured payload length, big-endian (cut to the input left)
 *   h[4]  bits 0-6: 16-byte units the capture cut off (payload_len = caplen + 16 * n); bit 7 a
 *         later IP fragment
 * The moves, from `next` (the byte after the direction's previous segment):
 *   0 next (in order), 1 next + a (a hole), 2 next - a (an overlap), 3 next + a * 4096 (past the
 *   window), 4 next - a * 4096, 5 the previous segment's start + a (a retransmission), 6 the
 *   stream's first byte + a (replayed from the start), 7 next + a << 24 (anywhere). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool tcp = !(data[0] & 1);
	size_t small = 1 + (data[0] >> 3);
	uint32_t next[2], prev[2], origin[2];
	next[0] = data[0] & 2 ? 0xffffff00u : 1000u;
	next[1] = data[0] & 4 ? 0xfffffff0u : 0x40000000u;
	for (int d = 0; d < 2; d++)
		prev[d] = origin[d] = next[d];

	struct ciot_tls_flow t;
	memset(&t, 0, sizeof t);
	int64_t ts = 1700000000000000;
	uint64_t input_bytes = 0;
	bool followed = false;
	size_t pos = 1;
	while (pos + PACKET_HEADER <= size) {
		const uint8_t *h = data + pos;
		pos += PACKET_HEADER;
		int dir = h[0] & 1;
		uint8_t flags = (uint8_t)((h[0] & 2 ? TCP_SYN : 0) | (h[0] & 4 ? TCP_FIN : 0) | (h[0] & 8 ? TCP_RST : 0));
		uint32_t a = h[1];
		uint32_t seq;
		switch ((h[0] >> 4) & 7) {
		case 0: seq = next[dir]; break;
		case 1: seq = next[dir] + a; break;
		case 2: seq = next[dir] - a; break;
		case 3: seq = next[dir] + a * 4096u; break;
		case 4: seq = next[dir] - a * 4096u; break;
		case 5: seq = prev[dir] + a; break;
		case 6: seq = origin[dir] + a; break;
		default: seq = next[dir] + (a << 24); break;
		}
		size_t caplen = (size_t)(h[2] << 8 | h[3]);
		if (caplen > size - pos)
			caplen = size - pos;
		uint32_t cut = (uint32_t)(h[4] & 0x7f) * 16u;
		ts += h[0] & 0x80 ? 1000000000 : 1000;

		/* the payload in a block of its own, freed after the call */
		uint8_t *payload = malloc(caplen);
		if (!payload && caplen)
			return 0;
		if (caplen)
			memcpy(payload, data + pos, caplen);
		pos += caplen;
		input_bytes += caplen;

		struct ciot_packet pkt;
		memset(&pkt, 0, sizeof pkt);
		pkt.ts_us = ts;
		pkt.ip_version = 4;
		pkt.proto = tcp ? 6 : 17;
		pkt.src[10] = pkt.src[11] = pkt.dst[10] = pkt.dst[11] = 0xff;
		pkt.src[12] = 192, pkt.src[13] = 168, pkt.src[15] = (uint8_t)(dir ? 1 : 23);
		pkt.dst[12] = 192, pkt.dst[13] = 168, pkt.dst[15] = (uint8_t)(dir ? 23 : 1);
		pkt.sport = dir ? 443 : 40000;
		pkt.dport = dir ? 40000 : 443;
		pkt.tcp_flags = tcp ? flags : 0;
		pkt.tcp_seq = tcp ? seq : 0;
		pkt.later_fragment = (h[4] & 0x80) != 0;
		pkt.fragment = pkt.later_fragment;
		pkt.payload = payload;
		pkt.payload_caplen = (uint32_t)caplen;
		pkt.payload_len = (uint32_t)caplen + cut;
		pkt.wirelen = pkt.payload_len + (tcp ? 54 : 42);

		ciot_tls_packet(&t, dir, &pkt);
		free(payload);

		/* tls-connection.h: conn is there exactly while the flow is followed */
		REQUIRE(t.verdict <= 2);
		REQUIRE((t.verdict == 1) == (t.conn != NULL));
		if (t.conn)
			followed = true;

		if (tcp && (flags & TCP_SYN))
			origin[dir] = seq + 1;
		prev[dir] = seq;
		next[dir] = seq + (tcp && (flags & TCP_SYN) ? 1 : 0) + pkt.payload_len;
	}

	struct ciot_tls_summary *s = ciot_tls_finish(&t);
	REQUIRE(t.conn == NULL);
	if (!s) {
		REQUIRE(!followed || t.failed);
	} else {
		REQUIRE(followed);
		check_summary(s, tcp, input_bytes, small);
		ciot_tls_summary_free(s);
	}
	/* the flow is done: finishing it again finds nothing */
	REQUIRE(ciot_tls_finish(&t) == NULL);

	if (size >= 5)
		check_quic_version_name((uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 |
					data[4]);
	return 0;
}
