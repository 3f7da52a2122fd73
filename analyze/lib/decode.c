/* decode.c: link layer (Ethernet with 802.1Q/802.1ad/QinQ, PPPoE and MPLS; Linux cooked v1 and
 * v2; BSD loopback; raw IP), IPv4 (options, fragments; RFC 791), IPv6 (extension headers and
 * fragments; RFC 8200), and the TCP, UDP and ICMP headers (RFC 9293, 768, 792, 4443).
 *
 * Every field is read through a cursor over the captured bytes; lengths from the headers are
 * checked against the frame's wire length (a header that claims more than the frame carried is
 * malformed) and against the captured length (a short snaplen loses payload, not the packet).
 */
#include <string.h>

#include "ciot/cursor.h"
#include "ciot/decode.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_PPPOE_SESSION 0x8864
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MULTICAST 0x8848
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define ARPHRD_ETHER 1
#define MPLS_MAX_LABELS 8

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60
#define PROTO_MOBILITY 135

static const struct {
	enum ciot_decode_result result;
	const char *name;
	bool malformed;
} result_table[] = {
	{ CIOT_DECODE_OK, "ok", false },
	{ CIOT_DECODE_NOT_IP, "not_ip", false },
	{ CIOT_DECODE_UNSUPPORTED_LINKTYPE, "unsupported_linktype", false },
	{ CIOT_DECODE_LINK_TRUNCATED, "link_truncated", true },
	{ CIOT_DECODE_VLAN_TOO_DEEP, "vlan_too_deep", true },
	{ CIOT_DECODE_IP_TRUNCATED, "ip_truncated", true },
	{ CIOT_DECODE_IP_BAD_VERSION, "ip_bad_version", true },
	{ CIOT_DECODE_IP_BAD_HEADER_LENGTH, "ip_bad_header_length", true },
	{ CIOT_DECODE_IP_BAD_TOTAL_LENGTH, "ip_bad_total_length", true },
	{ CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED, "ipv6_extensions_malformed", true },
	{ CIOT_DECODE_TCP_TRUNCATED, "tcp_truncated", true },
	{ CIOT_DECODE_TCP_BAD_OFFSET, "tcp_bad_offset", true },
	{ CIOT_DECODE_UDP_TRUNCATED, "udp_truncated", true },
	{ CIOT_DECODE_UDP_BAD_LENGTH, "udp_bad_length", true },
	{ CIOT_DECODE_ICMP_TRUNCATED, "icmp_truncated", true },
	{ CIOT_DECODE_FRAGMENT_UNMATCHED, "fragment_unmatched", false },
};

const char *ciot_decode_result_name(enum ciot_decode_result r)
{
	return (unsigned)r < CIOT_DECODE_NRESULTS ? result_table[r].name : "invalid";
}

bool ciot_decode_result_is_malformed(enum ciot_decode_result r)
{
	return (unsigned)r < CIOT_DECODE_NRESULTS && result_table[r].malformed;
}

static void map_ipv4(uint8_t out[16], const uint8_t *v4)
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

/* Transport headers. `c` spans the captured transport bytes; `wire_len` is the transport length
 * the IP header claims. */
static enum ciot_decode_result decode_transport(struct ciot_cursor *c, uint32_t wire_len,
						struct ciot_packet *pkt)
{
	uint32_t header_len;
	switch (pkt->proto) {
	case CIOT_PROTO_TCP: {
		if (ciot_cursor_left(c) < 20 || wire_len < 20)
			return CIOT_DECODE_TCP_TRUNCATED;
		pkt->sport = ciot_cursor_be16(c);
		pkt->dport = ciot_cursor_be16(c);
		pkt->tcp_seq = ciot_cursor_be32(c);
		ciot_cursor_skip(c, 4);
		header_len = (uint32_t)(ciot_cursor_u8(c) >> 4) * 4;
		pkt->tcp_flags = ciot_cursor_u8(c);
		if (header_len < 20 || header_len > wire_len)
			return CIOT_DECODE_TCP_BAD_OFFSET;
		break;
	}
	case CIOT_PROTO_UDP: {
		if (ciot_cursor_left(c) < 8 || wire_len < 8)
			return CIOT_DECODE_UDP_TRUNCATED;
		pkt->sport = ciot_cursor_be16(c);
		pkt->dport = ciot_cursor_be16(c);
		uint16_t udp_len = ciot_cursor_be16(c);
		/* a zero length is legal only for IPv6 jumbograms: fall back to the IP length. The first
		 * fragment of a datagram carries the whole datagram's length but only part of it. */
		if (udp_len != 0 && !pkt->fragment) {
			if (udp_len < 8 || udp_len > wire_len)
				return CIOT_DECODE_UDP_BAD_LENGTH;
			wire_len = udp_len;
		}
		header_len = 8;
		break;
	}
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		if (ciot_cursor_left(c) < 4 || wire_len < 4)
			return CIOT_DECODE_ICMP_TRUNCATED;
		header_len = wire_len < 8 ? wire_len : 8;
		break;
	default:
		header_len = 0; /* GRE, ESP, SCTP, tunnels: the whole IP payload counts as payload */
		break;
	}
	pkt->payload_len = wire_len - header_len;
	size_t captured = c->len > header_len ? c->len - header_len : 0;
	if (captured > pkt->payload_len)
		captured = pkt->payload_len;
	pkt->payload = c->p + (c->len > header_len ? header_len : c->len);
	pkt->payload_caplen = (uint32_t)captured;
	return CIOT_DECODE_OK;
}

/* What follows the IP headers (`header_len` bytes from `start`, `total` the IP packet's length):
 * a transport header, or for a later fragment only payload, whose ports the fragment table knows. */
static enum ciot_decode_result decode_ip_payload(const uint8_t *start, uint32_t header_len, uint32_t total,
						 struct ciot_packet *pkt)
{
	struct ciot_cursor t = ciot_cursor_make(start + header_len, pkt->l3_len - header_len);
	if (pkt->later_fragment) {
		pkt->payload = t.p;
		pkt->payload_caplen = (uint32_t)t.len;
		pkt->payload_len = total - header_len;
		return CIOT_DECODE_OK;
	}
	return decode_transport(&t, total - header_len, pkt);
}

/* `c` starts at the IP header; `wire_avail` is how many bytes the frame carried from there. */
static enum ciot_decode_result decode_ipv4(struct ciot_cursor *c, uint32_t wire_avail,
					   struct ciot_packet *pkt)
{
	const uint8_t *start = ciot_cursor_ptr(c);
	size_t captured = ciot_cursor_left(c);
	if (captured < 20)
		return CIOT_DECODE_IP_TRUNCATED;
	uint8_t vihl = ciot_cursor_u8(c);
	if (vihl >> 4 != 4)
		return CIOT_DECODE_IP_BAD_VERSION;
	uint32_t ihl = (uint32_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return CIOT_DECODE_IP_BAD_HEADER_LENGTH;
	if (captured < ihl)
		return CIOT_DECODE_IP_TRUNCATED;
	ciot_cursor_skip(c, 1);
	uint32_t total = ciot_cursor_be16(c);
	uint16_t id = ciot_cursor_be16(c);
	uint16_t frag = ciot_cursor_be16(c);
	ciot_cursor_skip(c, 1);
	pkt->proto = ciot_cursor_u8(c);
	ciot_cursor_skip(c, 2);
	map_ipv4(pkt->src, ciot_cursor_take(c, 4));
	map_ipv4(pkt->dst, ciot_cursor_take(c, 4));
	/* a zero total length comes from TCP segmentation offload on the capturing host */
	if (total == 0)
		total = wire_avail;
	if (total < ihl || total > wire_avail)
		return CIOT_DECODE_IP_BAD_TOTAL_LENGTH;
	pkt->ip_version = 4;
	pkt->l3 = start;
	pkt->l3_len = (uint32_t)(captured < total ? captured : total);
	pkt->frag_id = id;
	uint32_t frag_offset = (uint32_t)(frag & 0x1fff) * 8;
	pkt->fragment = (frag & 0x2000) || frag_offset;
	pkt->later_fragment = frag_offset != 0;
	return decode_ip_payload(start, ihl, total, pkt);
}

static enum ciot_decode_result decode_ipv6(struct ciot_cursor *c, uint32_t wire_avail,
					   struct ciot_packet *pkt)
{
	const uint8_t *start = ciot_cursor_ptr(c);
	size_t captured = ciot_cursor_left(c);
	if (captured < 40)
		return CIOT_DECODE_IP_TRUNCATED;
	if (ciot_cursor_u8(c) >> 4 != 6)
		return CIOT_DECODE_IP_BAD_VERSION;
	ciot_cursor_skip(c, 3);
	uint32_t total = 40u + ciot_cursor_be16(c);
	uint8_t next = ciot_cursor_u8(c);
	ciot_cursor_skip(c, 1);
	memcpy(pkt->src, ciot_cursor_take(c, 16), 16);
	memcpy(pkt->dst, ciot_cursor_take(c, 16), 16);
	if (total == 40 && wire_avail > 40 && next != PROTO_NONE)
		total = wire_avail; /* jumbogram or offload: trust the frame */
	if (total > wire_avail)
		return CIOT_DECODE_IP_BAD_TOTAL_LENGTH;
	pkt->ip_version = 6;
	pkt->l3 = start;
	pkt->l3_len = (uint32_t)(captured < total ? captured : total);
	struct ciot_cursor ext = ciot_cursor_make(start, pkt->l3_len);
	ciot_cursor_skip(&ext, 40);
	uint32_t header_len = 40;
	for (int n = 0;; n++) {
		if (n > CIOT_DECODE_MAX_IPV6_EXTENSIONS)
			return CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED;
		uint32_t len;
		if (next == PROTO_HOPOPTS || next == PROTO_ROUTING || next == PROTO_DSTOPTS ||
		    next == PROTO_MOBILITY) {
			uint8_t following = ciot_cursor_u8(&ext);
			len = ((uint32_t)ciot_cursor_u8(&ext) + 1) * 8;
			if (ext.err || !ciot_cursor_skip(&ext, len - 2))
				return CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED;
			next = following;
		} else if (next == PROTO_AH) {
			uint8_t following = ciot_cursor_u8(&ext);
			len = ((uint32_t)ciot_cursor_u8(&ext) + 2) * 4;
			if (ext.err || len < 8 || !ciot_cursor_skip(&ext, len - 2))
				return CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED;
			next = following;
		} else if (next == PROTO_FRAGMENT) {
			uint8_t following = ciot_cursor_u8(&ext);
			ciot_cursor_skip(&ext, 1);
			uint16_t off_flags = ciot_cursor_be16(&ext);
			pkt->frag_id = ciot_cursor_be32(&ext);
			if (ext.err)
				return CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED;
			len = 8;
			pkt->fragment = true;
			pkt->later_fragment = (off_flags & 0xfff8) != 0;
			next = following;
		} else {
			break;
		}
		header_len += len;
		if (header_len > total)
			return CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED;
	}
	pkt->proto = next;
	return decode_ip_payload(start, header_len, total, pkt);
}

/* Dispatches on the IP version nibble, for links that carry IP without saying which. */
static enum ciot_decode_result decode_ip(struct ciot_cursor *c, uint32_t wire_avail, struct ciot_packet *pkt)
{
	if (ciot_cursor_left(c) < 1)
		return CIOT_DECODE_IP_TRUNCATED;
	uint8_t version = *ciot_cursor_ptr(c) >> 4;
	if (version == 4)
		return decode_ipv4(c, wire_avail, pkt);
	if (version == 6)
		return decode_ipv6(c, wire_avail, pkt);
	return CIOT_DECODE_IP_BAD_VERSION;
}

/* The bytes the wire carried from the cursor's position on. */
static uint32_t wire_from(const struct ciot_frame *frame, const struct ciot_cursor *c)
{
	return frame->wirelen > c->off ? frame->wirelen - (uint32_t)c->off : 0;
}

/* Follows an EtherType through VLAN tags, PPPoE and MPLS to IP. */
static enum ciot_decode_result decode_ethertype(const struct ciot_frame *frame, struct ciot_cursor *c,
						uint16_t type, struct ciot_packet *pkt)
{
	for (int tags = 0;; tags++) {
		if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
			if (tags >= CIOT_DECODE_MAX_VLAN_TAGS)
				return CIOT_DECODE_VLAN_TOO_DEEP;
			ciot_cursor_skip(c, 2);
			type = ciot_cursor_be16(c);
			if (c->err)
				return CIOT_DECODE_LINK_TRUNCATED;
			continue;
		}
		break;
	}
	switch (type) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(c, wire_from(frame, c), pkt);
	case ETHERTYPE_IPV6:
		return decode_ipv6(c, wire_from(frame, c), pkt);
	case ETHERTYPE_PPPOE_SESSION: {
		ciot_cursor_skip(c, 6);
		uint16_t ppp = ciot_cursor_be16(c);
		if (c->err)
			return CIOT_DECODE_LINK_TRUNCATED;
		if (ppp == PPP_IPV4)
			return decode_ipv4(c, wire_from(frame, c), pkt);
		if (ppp == PPP_IPV6)
			return decode_ipv6(c, wire_from(frame, c), pkt);
		return CIOT_DECODE_NOT_IP;
	}
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MULTICAST:
		for (int n = 0; n < MPLS_MAX_LABELS; n++) {
			uint32_t label = ciot_cursor_be32(c);
			if (c->err)
				return CIOT_DECODE_LINK_TRUNCATED;
			if (label & 0x100) /* bottom of stack */
				return decode_ip(c, wire_from(frame, c), pkt);
		}
		return CIOT_DECODE_VLAN_TOO_DEEP;
	default:
		return CIOT_DECODE_NOT_IP;
	}
}

/* BSD loopback's address family: host byte order of the capturing machine, so try both. */
static enum ciot_decode_result decode_null(const struct ciot_frame *frame, struct ciot_cursor *c,
					   bool network_order, struct ciot_packet *pkt)
{
	uint32_t family = network_order ? ciot_cursor_be32(c) : ciot_cursor_le32(c);
	if (c->err)
		return CIOT_DECODE_LINK_TRUNCATED;
	if (!network_order && family > 0xffff)
		family = __builtin_bswap32(family);
	switch (family) {
	case 2: /* AF_INET everywhere */
		return decode_ipv4(c, wire_from(frame, c), pkt);
	case 10: /* AF_INET6: Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		return decode_ipv6(c, wire_from(frame, c), pkt);
	default:
		return CIOT_DECODE_NOT_IP;
	}
}

enum ciot_decode_result ciot_decode(const struct ciot_frame *frame, struct ciot_packet *pkt)
{
	memset(pkt, 0, offsetof(struct ciot_packet, src));
	pkt->ts_us = frame->ts_us;
	pkt->wirelen = frame->wirelen;
	pkt->sport = pkt->dport = 0;
	pkt->tcp_flags = 0;
	pkt->tcp_seq = 0;
	pkt->fragment = pkt->later_fragment = false;
	pkt->frag_id = 0;
	pkt->payload = NULL;
	pkt->payload_caplen = pkt->payload_len = 0;
	struct ciot_cursor c = ciot_cursor_make(frame->data, frame->caplen);
	switch (frame->linktype) {
	case CIOT_LINKTYPE_ETHERNET: {
		pkt->mac_dst = ciot_cursor_take(&c, 6);
		pkt->mac_src = ciot_cursor_take(&c, 6);
		uint16_t type = ciot_cursor_be16(&c);
		if (c.err)
			return CIOT_DECODE_LINK_TRUNCATED;
		if (type < 0x0600) /* an 802.3 length: LLC frames (STP, CDP) are never IP here */
			return CIOT_DECODE_NOT_IP;
		return decode_ethertype(frame, &c, type, pkt);
	}
	case CIOT_LINKTYPE_LINUX_SLL: {
		ciot_cursor_skip(&c, 2);
		uint16_t hatype = ciot_cursor_be16(&c);
		uint16_t addr_len = ciot_cursor_be16(&c);
		const uint8_t *addr = ciot_cursor_take(&c, 8);
		uint16_t type = ciot_cursor_be16(&c);
		if (c.err)
			return CIOT_DECODE_LINK_TRUNCATED;
		if (hatype == ARPHRD_ETHER && addr_len == 6)
			pkt->mac_src = addr;
		return decode_ethertype(frame, &c, type, pkt);
	}
	case CIOT_LINKTYPE_LINUX_SLL2: {
		uint16_t type = ciot_cursor_be16(&c);
		ciot_cursor_skip(&c, 6);
		uint16_t hatype = ciot_cursor_be16(&c);
		ciot_cursor_skip(&c, 1);
		uint8_t addr_len = ciot_cursor_u8(&c);
		const uint8_t *addr = ciot_cursor_take(&c, 8);
		if (c.err)
			return CIOT_DECODE_LINK_TRUNCATED;
		if (hatype == ARPHRD_ETHER && addr_len == 6)
			pkt->mac_src = addr;
		return decode_ethertype(frame, &c, type, pkt);
	}
	case CIOT_LINKTYPE_NULL:
		return decode_null(frame, &c, false, pkt);
	case CIOT_LINKTYPE_LOOP:
		return decode_null(frame, &c, true, pkt);
	case CIOT_LINKTYPE_RAW:
	case CIOT_LINKTYPE_RAW_OLD:
	case CIOT_LINKTYPE_RAW_OPENBSD:
		return decode_ip(&c, frame->wirelen, pkt);
	case CIOT_LINKTYPE_IPV4:
		return decode_ipv4(&c, frame->wirelen, pkt);
	case CIOT_LINKTYPE_IPV6:
		return decode_ipv6(&c, frame->wirelen, pkt);
	default:
		return CIOT_DECODE_UNSUPPORTED_LINKTYPE;
	}
}

static uint32_t fragment_hash(const struct ciot_packet *pkt)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ pkt->src[i] ^ (uint32_t)pkt->dst[i] << 8) * 16777619u;
	h = (h ^ pkt->frag_id) * 16777619u;
	return (h ^ pkt->proto) * 16777619u;
}

bool ciot_fragment_resolve(struct ciot_fragment_table *t, struct ciot_packet *pkt)
{
	if (!pkt->fragment)
		return true;
	struct ciot_fragment_slot *s = &t->slot[fragment_hash(pkt) % CIOT_FRAGMENT_SLOTS];
	if (!pkt->later_fragment) {
		memcpy(s->src, pkt->src, 16);
		memcpy(s->dst, pkt->dst, 16);
		s->id = pkt->frag_id;
		s->proto = pkt->proto;
		s->sport = pkt->sport;
		s->dport = pkt->dport;
		s->used = true;
		return true;
	}
	if (s->used && s->id == pkt->frag_id && s->proto == pkt->proto && !memcmp(s->src, pkt->src, 16) &&
	    !memcmp(s->dst, pkt->dst, 16)) {
		pkt->sport = s->sport;
		pkt->dport = s->dport;
		return true;
	}
	return false;
}
