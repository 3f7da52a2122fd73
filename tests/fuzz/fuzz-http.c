/* fuzz-http.c: libFuzzer target for the HTTP framing of the encryption stage (analyze/analyzers/
 * encryption/encryption.c: request and status lines, header lines across segments, Content-Length,
 * chunked bodies, Content-Type and Content-Encoding): the input is cut into the segments of one HTTP
 * flow over TCP, both directions, with sequence jumps, so that the framing meets hostile lengths,
 * chunk sizes and gaps. fuzz-encryption reaches it under one family of eleven; this target only.
 * The spans must cover each segment's captured payload exactly. Build and run: tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "encryption.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ciot_entropy_options o;
	ciot_entropy_default_options(&o, data[0] & 1 ? CIOT_ENTROPY_PAPER : CIOT_ENTROPY_LENGTH_AWARE);
	struct ciot_encryption_flow f;
	memset(&f, 0, sizeof f);
	struct ciot_tcp_follower follow[2];
	memset(follow, 0, sizeof follow);
	uint32_t seq[2] = { 1000, 0x7ffff000u };
	size_t pos = 1;
	/* segments: a control byte (direction, a sequence jump, a cut), a length byte, the bytes; the
	 * segments are long so that a header and a body fit one */
	while (pos + 2 <= size) {
		uint8_t ctl = data[pos], len = data[pos + 1];
		pos += 2;
		size_t want = (size_t)len * 4 + (ctl >> 6);
		size_t n = want < size - pos ? want : size - pos;
		int dir = ctl & 1;
		if (ctl & 2)
			seq[dir] += (uint32_t)((ctl >> 2) & 7) * 300u - 900u;
		struct ciot_packet pkt;
		memset(&pkt, 0, sizeof pkt);
		pkt.proto = 6;
		pkt.sport = dir ? 80 : 40000;
		pkt.dport = dir ? 40000 : 80;
		pkt.tcp_seq = seq[dir];
		pkt.payload = n ? data + pos : NULL;
		pkt.payload_caplen = (uint32_t)n;
		pkt.payload_len = (uint32_t)n + (ctl & 0x20 ? 100 : 0);
		pkt.wirelen = (uint32_t)n + 54;
		enum ciot_class_step step;
		static struct ciot_payload_spans spans;
		struct ciot_tcp_position at = ciot_tcp_follow(&follow[dir], &pkt);
		enum ciot_content_class c = ciot_encryption_packet(&o, &f, dir, CIOT_FAMILY_HTTP, &pkt, at, &step, &spans);
		uint32_t covered = 0;
		for (unsigned i = 0; i < spans.n; i++) {
			if (spans.span[i].offset != covered || !spans.span[i].len)
				__builtin_trap();
			covered += spans.span[i].len;
		}
		if (c != CIOT_CONTENT_NCLASSES && n && covered != n)
			__builtin_trap();
		seq[dir] += (uint32_t)n;
		pos += n;
	}
	return 0;
}
