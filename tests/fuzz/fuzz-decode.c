/* fuzz-decode.c: libFuzzer target for the packet decoder (analyze/lib/decode.c) and the fragment
 * table: the first byte picks the link type (every one ciot decodes, and one it does not), the rest
 * is the frame, as captured; the frame's wire length is sometimes longer than what was captured.
 * Whatever the decoder hands out (the IP header, the payload, the MACs) must lie inside the frame.
 * Build and run: tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ciot/capture-file.h"
#include "ciot/decode.h"

static const uint16_t linktypes[] = { CIOT_LINKTYPE_ETHERNET, CIOT_LINKTYPE_LINUX_SLL, CIOT_LINKTYPE_LINUX_SLL2,
				      CIOT_LINKTYPE_NULL,     CIOT_LINKTYPE_LOOP,      CIOT_LINKTYPE_RAW,
				      CIOT_LINKTYPE_RAW_OLD,  CIOT_LINKTYPE_RAW_OPENBSD, CIOT_LINKTYPE_IPV4,
				      CIOT_LINKTYPE_IPV6,     147 /* a user link type: unsupported */ };

static void inside(const uint8_t *p, size_t n, const uint8_t *frame, size_t len)
{
	if (p && (p < frame || p + n > frame + len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ciot_fragment_table fragments;
	if (size < 1)
		return 0;
	struct ciot_frame frame = {
		.ts_us = 1700000000000000LL,
		.data = data + 1,
		.caplen = (uint32_t)(size - 1),
		.wirelen = (uint32_t)(size - 1) + (data[0] & 0x80 ? 1000 : 0),
		.linktype = linktypes[(data[0] & 0x7f) % (sizeof linktypes / sizeof linktypes[0])],
	};
	struct ciot_packet pkt;
	memset(&pkt, 0, sizeof pkt);
	enum ciot_decode_result r = ciot_decode(&frame, &pkt);
	(void)ciot_decode_result_name(r);
	if (r != CIOT_DECODE_OK)
		return 0;
	inside(pkt.l3, pkt.l3_len, frame.data, frame.caplen);
	inside(pkt.payload, pkt.payload_caplen, frame.data, frame.caplen);
	inside(pkt.mac_src, 6, frame.data, frame.caplen);
	inside(pkt.mac_dst, 6, frame.data, frame.caplen);
	if (pkt.payload_caplen > pkt.payload_len || (pkt.ip_version != 4 && pkt.ip_version != 6))
		__builtin_trap();
	if (pkt.fragment)
		(void)ciot_fragment_resolve(&fragments, &pkt);
	return 0;
}
