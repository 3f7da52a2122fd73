/* fuzz-encryption.c: libFuzzer target for the encryption classes' protocol rules and content steps
 * (analyze/analyzers/encryption/encryption.c, entropy.c): the input is cut into packets of one flow, both
 * directions, over TCP and UDP, under every protocol family, so the TLS, DTLS, HTTP, MQTT, SSH,
 * DNS and RTSP state machines all see hostile bytes and hostile sequence numbers. Build and run:
 * tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "encryption.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* the first byte picks the family and the transport, the second the entropy mode */
	enum ciot_dpi_family family = (enum ciot_dpi_family)(data[0] % (CIOT_FAMILY_OTHER_ENCRYPTED + 1));
	uint8_t proto = data[0] & 0x80 ? 17 : 6;
	struct ciot_entropy_options o;
	ciot_entropy_default_options(&o, data[1] & 1 ? CIOT_ENTROPY_PAPER : CIOT_ENTROPY_LENGTH_AWARE);
	struct ciot_encryption_flow f;
	memset(&f, 0, sizeof f);
	struct ciot_tcp_follower follow[2];
	memset(follow, 0, sizeof follow);
	uint32_t seq[2] = { 1000, 0xfffff000u };
	size_t pos = 2;
	/* packets: a control byte (direction, a sequence jump, a fragment flag, length bits), then
	 * up to 255 bytes of payload */
	while (pos + 2 <= size) {
		uint8_t ctl = data[pos], len = data[pos + 1];
		pos += 2;
		size_t n = len < size - pos ? len : size - pos;
		int dir = ctl & 1;
		if (ctl & 2)
			seq[dir] += (uint32_t)(ctl >> 2) * 977u - 30000u; /* jumps forward and back */
		struct ciot_packet pkt;
		memset(&pkt, 0, sizeof pkt);
		pkt.proto = proto;
		pkt.sport = dir ? 443 : 40000;
		pkt.dport = dir ? 40000 : 443;
		pkt.tcp_seq = seq[dir];
		pkt.payload = n ? data + pos : NULL;
		pkt.payload_caplen = (uint32_t)n;
		pkt.payload_len = (uint32_t)n + (ctl & 0x40 ? 100 : 0); /* sometimes cut by the capture */
		pkt.later_fragment = (ctl & 0x80) != 0;
		pkt.wirelen = (uint32_t)n + 54;
		enum ciot_class_step step;
		static struct ciot_payload_spans spans;
		struct ciot_tcp_position at = { 0, 0 };
		if (!pkt.later_fragment)
			at = ciot_tcp_follow(&follow[dir], &pkt);
		enum ciot_content_class c = ciot_encryption_packet(&o, &f, dir, family, &pkt, at, &step, &spans);
		/* the spans cover the captured payload exactly, in order */
		uint32_t covered = 0;
		for (unsigned i = 0; i < spans.n; i++) {
			if (spans.span[i].offset != covered || !spans.span[i].len)
				__builtin_trap();
			covered += spans.span[i].len;
		}
		if (c != CIOT_CONTENT_NCLASSES && !pkt.later_fragment && n && covered != n)
			__builtin_trap();
		seq[dir] += (uint32_t)n;
		pos += n;
	}
	return 0;
}
