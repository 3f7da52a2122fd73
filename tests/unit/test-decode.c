/* test-decode.c: the frame decoder (decode.h) on frames built byte by byte. A table of frames, each
 * with the result and, when it decodes, every field expected: Ethernet IPv4 TCP (ports, flags,
 * options, link padding, a short snaplen), 802.1Q, QinQ and eight tags, PPPoE, MPLS, Linux cooked
 * v1 and v2 (source MAC from the header), BSD NULL loopback in both byte orders with AF_INET and
 * every AF_INET6 value (10, 24, 28, 30), LOOP, raw IP under link types 12, 14, 101, 228 and 229,
 * IPv4 with options, first and later IPv4 and IPv6 fragments, IPv6 hop-by-hop, routing, fragment,
 * destination-options and AH headers, UDP, ICMP and ICMPv6; and one frame for every way a frame
 * can be malformed or not IP, with a check that the table reaches every result of enum
 * ciot_decode_result that ciot_decode returns. Then the result names and classes, the fragment
 * table (a later fragment gets its first fragment's ports; unmatched ones are reported), and every
 * truncation of every decodable frame, each in a heap block of exactly its captured length so that
 * the sanitizer build catches any read outside it.
 */
#include <stdlib.h>

#include "addr.h"
#include "bytes.h"
#include "check.h"
#include "ciot/decode.h"

static const uint8_t MAC_DST[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t MAC_SRC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t V4_SRC[4] = { 192, 168, 1, 20 }, V4_DST[4] = { 93, 184, 216, 34 };
static const uint8_t V6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6_DST[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_ICMPV6 58
#define PROTO_DSTOPTS 60

/* ---- layers ----------------------------------------------------------------------------------- */

static void eth(struct bytes *b, uint16_t type)
{
	bytes_put(b, MAC_DST, 6);
	bytes_put(b, MAC_SRC, 6);
	bytes_u16(b, type);
}

static void tag(struct bytes *b, uint16_t tci, uint16_t next_type)
{
	bytes_u16(b, tci);
	bytes_u16(b, next_type);
}

static void ipv4x(struct bytes *b, uint8_t proto, uint16_t total, uint8_t ihl_words, uint16_t frag, uint16_t id)
{
	bytes_u8(b, (uint8_t)(0x40 | ihl_words));
	bytes_u8(b, 0);
	bytes_u16(b, total);
	bytes_u16(b, id);
	bytes_u16(b, frag);
	bytes_u8(b, 64);
	bytes_u8(b, proto);
	bytes_u16(b, 0);
	bytes_put(b, V4_SRC, 4);
	bytes_put(b, V4_DST, 4);
	for (int i = 20; i < ihl_words * 4; i++)
		bytes_u8(b, 1); /* NOP options */
}

/* An IPv4 header without options for `l4len` bytes of transport. */
static void ipv4(struct bytes *b, uint8_t proto, uint16_t l4len)
{
	ipv4x(b, proto, (uint16_t)(20 + l4len), 5, 0, 0x1234);
}

static void ipv6(struct bytes *b, uint8_t next, uint16_t plen)
{
	bytes_u32(b, 0x60000000);
	bytes_u16(b, plen);
	bytes_u8(b, next);
	bytes_u8(b, 64);
	bytes_put(b, V6_SRC, 16);
	bytes_put(b, V6_DST, 16);
}

/* Hop-by-hop, routing, destination options: (len8 + 1) * 8 bytes. */
static void ext(struct bytes *b, uint8_t next, uint8_t len8)
{
	bytes_u8(b, next);
	bytes_u8(b, len8);
	bytes_fill(b, 0, (len8 + 1u) * 8 - 2);
}

static void frag6(struct bytes *b, uint8_t next, uint16_t offset8, bool more, uint32_t id)
{
	bytes_u8(b, next);
	bytes_u8(b, 0);
	bytes_u16(b, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	bytes_u32(b, id);
}

/* Authentication header: (len + 2) * 4 bytes. */
static void ah(struct bytes *b, uint8_t next, uint8_t len)
{
	bytes_u8(b, next);
	bytes_u8(b, len);
	bytes_fill(b, 0, (len + 2u) * 4 - 2);
}

static void tcp(struct bytes *b, uint16_t sport, uint16_t dport, uint8_t flags, uint8_t doff_words)
{
	bytes_u16(b, sport);
	bytes_u16(b, dport);
	bytes_u32(b, 0xfedc1000u); /* the sequence number: the top bit set checks it is read unsigned */
	bytes_u32(b, 0);
	bytes_u8(b, (uint8_t)(doff_words << 4));
	bytes_u8(b, flags);
	bytes_u16(b, 65535);
	bytes_u16(b, 0);
	bytes_u16(b, 0);
	for (int i = 20; i < doff_words * 4; i++)
		bytes_u8(b, 1);
}

static void udp(struct bytes *b, uint16_t sport, uint16_t dport, uint16_t len)
{
	bytes_u16(b, sport);
	bytes_u16(b, dport);
	bytes_u16(b, len);
	bytes_u16(b, 0);
}

static void icmp(struct bytes *b, uint8_t type)
{
	bytes_u8(b, type);
	bytes_u8(b, 0);
	bytes_u16(b, 0);
	bytes_u16(b, 7);
	bytes_u16(b, 1);
}

static void payload(struct bytes *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bytes_u8(b, (uint8_t)('a' + i % 26));
}

/* The usual transport of the table: TCP 50000 -> 443, PSH|ACK, 10 bytes of payload. */
static void tcp10(struct bytes *b)
{
	tcp(b, 50000, 443, 0x18, 5);
	payload(b, 10);
}

static void ipv4_tcp10(struct bytes *b)
{
	ipv4(b, PROTO_TCP, 30);
	tcp10(b);
}

static void ipv6_tcp10(struct bytes *b)
{
	ipv6(b, PROTO_TCP, 30);
	tcp10(b);
}

static void null_family(struct bytes *b, uint32_t family, bool be)
{
	bool saved = b->be;
	b->be = be;
	bytes_u32(b, family);
	b->be = saved;
}

/* ---- frames ----------------------------------------------------------------------------------- */

#define FRAME(name) static void name(struct bytes *b)

FRAME(f_eth_ipv4_tcp) { eth(b, 0x0800); ipv4_tcp10(b); }
FRAME(f_eth_ipv4_tcp_options) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 42); tcp(b, 50000, 443, 0x02, 8); payload(b, 10); }
FRAME(f_eth_ipv4_tcp_padded) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 20); tcp(b, 50000, 443, 0x10, 5); bytes_fill(b, 0, 6); }
FRAME(f_eth_ipv4_tcp_100) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 120); tcp(b, 50000, 443, 0x18, 5); payload(b, 100); }
FRAME(f_vlan) { eth(b, 0x8100); tag(b, 100, 0x0800); ipv4_tcp10(b); }
FRAME(f_qinq) { eth(b, 0x88a8); tag(b, 100, 0x8100); tag(b, 200, 0x0800); ipv4_tcp10(b); }
FRAME(f_vlan8)
{
	eth(b, 0x9100);
	for (int i = 0; i < 7; i++)
		tag(b, (uint16_t)i, 0x8100);
	tag(b, 7, 0x0800);
	ipv4_tcp10(b);
}
FRAME(f_vlan9)
{
	eth(b, 0x8100);
	for (int i = 0; i < 8; i++)
		tag(b, (uint16_t)i, 0x8100);
	tag(b, 8, 0x0800);
	ipv4_tcp10(b);
}
FRAME(f_pppoe_ipv4_udp)
{
	eth(b, 0x8864);
	bytes_u8(b, 0x11);
	bytes_u8(b, 0);
	bytes_u16(b, 0x0001);
	bytes_u16(b, 2 + 20 + 20);
	bytes_u16(b, 0x0021);
	ipv4(b, PROTO_UDP, 20);
	udp(b, 5353, 5353, 20);
	payload(b, 12);
}
FRAME(f_pppoe_ipv6_tcp)
{
	eth(b, 0x8864);
	bytes_u8(b, 0x11);
	bytes_u8(b, 0);
	bytes_u16(b, 0x0001);
	bytes_u16(b, 2 + 40 + 30);
	bytes_u16(b, 0x0057);
	ipv6_tcp10(b);
}
FRAME(f_pppoe_lcp)
{
	eth(b, 0x8864);
	bytes_u8(b, 0x11);
	bytes_u8(b, 0);
	bytes_u16(b, 0x0001);
	bytes_u16(b, 6);
	bytes_u16(b, 0xc021);
	bytes_fill(b, 0, 4);
}
FRAME(f_pppoe_short) { eth(b, 0x8864); bytes_u8(b, 0x11); bytes_u8(b, 0); bytes_u16(b, 1); }
FRAME(f_mpls) { eth(b, 0x8847); bytes_u32(b, 100u << 12 | 0x100 | 64); ipv4_tcp10(b); }
FRAME(f_mpls_no_bottom)
{
	eth(b, 0x8847);
	for (int i = 0; i < 9; i++)
		bytes_u32(b, 100u << 12 | 64);
	ipv4_tcp10(b);
}
FRAME(f_mpls_short) { eth(b, 0x8847); bytes_u16(b, 100); }
FRAME(f_sll_ipv4_tcp)
{
	bytes_u16(b, 0);      /* to us */
	bytes_u16(b, 1);      /* ARPHRD_ETHER */
	bytes_u16(b, 6);
	bytes_put(b, MAC_SRC, 6);
	bytes_fill(b, 0, 2);
	bytes_u16(b, 0x0800);
	ipv4_tcp10(b);
}
FRAME(f_sll_loopback)
{
	bytes_u16(b, 0);
	bytes_u16(b, 772);    /* ARPHRD_LOOPBACK */
	bytes_u16(b, 6);
	bytes_fill(b, 0, 8);
	bytes_u16(b, 0x0800);
	ipv4_tcp10(b);
}
FRAME(f_sll2_ipv6_udp)
{
	bytes_u16(b, 0x86dd);
	bytes_u16(b, 0);
	bytes_u32(b, 2);      /* interface index */
	bytes_u16(b, 1);      /* ARPHRD_ETHER */
	bytes_u8(b, 4);       /* outgoing */
	bytes_u8(b, 6);
	bytes_put(b, MAC_SRC, 6);
	bytes_fill(b, 0, 2);
	ipv6(b, PROTO_UDP, 20);
	udp(b, 5353, 5353, 20);
	payload(b, 12);
}
FRAME(f_sll_short) { bytes_fill(b, 0, 15); }
FRAME(f_sll2_short) { bytes_fill(b, 0, 19); }
FRAME(f_null_le_2) { null_family(b, 2, false); ipv4_tcp10(b); }
FRAME(f_null_be_2) { null_family(b, 2, true); ipv4_tcp10(b); }
FRAME(f_null_le_30) { null_family(b, 30, false); ipv6_tcp10(b); }
FRAME(f_null_be_30) { null_family(b, 30, true); ipv6_tcp10(b); }
FRAME(f_null_le_24) { null_family(b, 24, false); ipv6_tcp10(b); }
FRAME(f_null_be_24) { null_family(b, 24, true); ipv6_tcp10(b); }
FRAME(f_null_le_28) { null_family(b, 28, false); ipv6_tcp10(b); }
FRAME(f_null_be_28) { null_family(b, 28, true); ipv6_tcp10(b); }
FRAME(f_null_le_10) { null_family(b, 10, false); ipv6_tcp10(b); }
FRAME(f_null_be_10) { null_family(b, 10, true); ipv6_tcp10(b); }
FRAME(f_null_le_7) { null_family(b, 7, false); ipv4_tcp10(b); }
FRAME(f_null_short) { bytes_fill(b, 2, 3); }
FRAME(f_loop_2) { null_family(b, 2, true); ipv4_tcp10(b); }
FRAME(f_loop_24) { null_family(b, 24, true); ipv6_tcp10(b); }
FRAME(f_loop_le_2) { null_family(b, 2, false); ipv4_tcp10(b); }
FRAME(f_raw_ipv4) { ipv4_tcp10(b); }
FRAME(f_raw_ipv6) { ipv6_tcp10(b); }
FRAME(f_raw_version7) { ipv4_tcp10(b); b->d[0] = 0x75; }
FRAME(f_raw_empty) { (void)b; }
FRAME(f_ipv4_options) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 24 + 30, 6, 0, 0x1234); tcp10(b); }
FRAME(f_ipv4_frag_first_tcp) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 20 + 30, 5, 0x2000, 0x4242); tcp10(b); }
/* the first fragment of a 1000-byte UDP datagram: the UDP length is the whole datagram's */
FRAME(f_ipv4_frag_first_udp)
{
	eth(b, 0x0800);
	ipv4x(b, PROTO_UDP, 20 + 8 + 24, 5, 0x2000, 0x4343);
	udp(b, 5353, 53, 8 + 1000);
	payload(b, 24);
}
FRAME(f_ipv4_frag_later) { eth(b, 0x0800); ipv4x(b, PROTO_UDP, 20 + 24, 5, 185, 0x4343); payload(b, 24); }
FRAME(f_ipv4_frag_middle) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 20 + 24, 5, 0x2000 | 3, 0x4242); payload(b, 24); }
FRAME(f_ipv6_ext_frag_first)
{
	eth(b, 0x86dd);
	ipv6(b, PROTO_HOPOPTS, 8 + 24 + 8 + 30);
	ext(b, PROTO_ROUTING, 0);
	ext(b, PROTO_FRAGMENT, 2);
	frag6(b, PROTO_TCP, 0, true, 0x12345678);
	tcp10(b);
}
FRAME(f_ipv6_frag_later)
{
	eth(b, 0x86dd);
	ipv6(b, PROTO_FRAGMENT, 8 + 16);
	frag6(b, PROTO_TCP, 100, false, 0x12345678);
	payload(b, 16);
}
FRAME(f_ipv6_frag_first_udp)
{
	eth(b, 0x86dd);
	ipv6(b, PROTO_FRAGMENT, 8 + 8 + 24);
	frag6(b, PROTO_UDP, 0, true, 0x0badcafe);
	udp(b, 5353, 53, 8 + 1000);
	payload(b, 24);
}
FRAME(f_ipv6_dstopts_ah_udp)
{
	eth(b, 0x86dd);
	ipv6(b, PROTO_DSTOPTS, 8 + 24 + 20);
	ext(b, PROTO_AH, 0);
	ah(b, PROTO_UDP, 4);
	udp(b, 4500, 4500, 20);
	payload(b, 12);
}
static void ipv6_n_ext(struct bytes *b, int n)
{
	eth(b, 0x86dd);
	ipv6(b, PROTO_DSTOPTS, (uint16_t)(8 * n + 30));
	for (int i = 0; i < n; i++)
		ext(b, i + 1 < n ? PROTO_DSTOPTS : PROTO_TCP, 0);
	tcp10(b);
}
FRAME(f_ipv6_16_ext) { ipv6_n_ext(b, 16); }
FRAME(f_ipv6_17_ext) { ipv6_n_ext(b, 17); }
FRAME(f_ipv6_ext_overrun) { eth(b, 0x86dd); ipv6(b, PROTO_HOPOPTS, 30); ext(b, PROTO_TCP, 0); b->d[b->n - 7] = 10; payload(b, 22); }
FRAME(f_udp) { eth(b, 0x0800); ipv4(b, PROTO_UDP, 24); udp(b, 5353, 5353, 20); payload(b, 12); bytes_fill(b, 0xee, 4); }
FRAME(f_udp_len0) { eth(b, 0x0800); ipv4(b, PROTO_UDP, 20); udp(b, 5353, 5353, 0); payload(b, 12); }
FRAME(f_icmp) { eth(b, 0x0800); ipv4(b, PROTO_ICMP, 24); icmp(b, 8); payload(b, 16); }
FRAME(f_icmpv6) { eth(b, 0x86dd); ipv6(b, PROTO_ICMPV6, 24); icmp(b, 128); payload(b, 16); }
FRAME(f_ipv4_total0) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 0, 5, 0, 1); tcp10(b); }
FRAME(f_ipv6_plen0) { eth(b, 0x86dd); ipv6(b, PROTO_TCP, 0); tcp10(b); }
FRAME(f_gre) { eth(b, 0x0800); ipv4(b, 47, 12); payload(b, 12); }
/* malformed and not IP */
FRAME(f_eth_short) { bytes_put(b, MAC_DST, 6); bytes_put(b, MAC_SRC, 6); bytes_u8(b, 0x08); }
FRAME(f_vlan_short) { eth(b, 0x8100); bytes_u16(b, 100); }
FRAME(f_ipv4_19) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 0); b->n--; }
FRAME(f_ipv4_version5) { eth(b, 0x0800); ipv4_tcp10(b); b->d[14] = 0x55; }
FRAME(f_ipv6_version4) { eth(b, 0x86dd); ipv4(b, PROTO_TCP, 30); tcp10(b); }
FRAME(f_ipv4_ihl4) { eth(b, 0x0800); ipv4_tcp10(b); b->d[14] = 0x44; }
FRAME(f_ipv4_ihl15_short) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 40, 5, 0, 1); tcp(b, 1, 2, 0x10, 5); b->d[14] = 0x4f; }
FRAME(f_ipv4_total_over) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 100, 5, 0, 1); tcp10(b); }
FRAME(f_ipv4_total_below_ihl) { eth(b, 0x0800); ipv4x(b, PROTO_TCP, 10, 5, 0, 1); tcp10(b); }
FRAME(f_ipv6_plen_over) { eth(b, 0x86dd); ipv6(b, PROTO_TCP, 31); tcp10(b); }
FRAME(f_tcp_19) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 19); tcp(b, 1, 2, 0x10, 5); b->n--; }
FRAME(f_tcp_doff4) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 30); tcp(b, 50000, 443, 0x18, 4); payload(b, 10); }
FRAME(f_tcp_doff15) { eth(b, 0x0800); ipv4(b, PROTO_TCP, 20); tcp(b, 50000, 443, 0x18, 5); b->d[b->n - 8] = 0xf0; }
FRAME(f_udp_7) { eth(b, 0x0800); ipv4(b, PROTO_UDP, 7); udp(b, 1, 2, 8); b->n--; }
FRAME(f_udp_len7) { eth(b, 0x0800); ipv4(b, PROTO_UDP, 20); udp(b, 1, 2, 7); payload(b, 12); }
FRAME(f_udp_len_over) { eth(b, 0x0800); ipv4(b, PROTO_UDP, 20); udp(b, 1, 2, 100); payload(b, 12); }
FRAME(f_icmp_3) { eth(b, 0x0800); ipv4(b, PROTO_ICMP, 3); bytes_fill(b, 8, 3); }
FRAME(f_icmpv6_3) { eth(b, 0x86dd); ipv6(b, PROTO_ICMPV6, 3); bytes_fill(b, 128, 3); }
FRAME(f_arp) { eth(b, 0x0806); bytes_fill(b, 0, 28); }
FRAME(f_llc) { eth(b, 0x0026); bytes_fill(b, 0x42, 38); }
FRAME(f_lldp) { eth(b, 0x88cc); bytes_fill(b, 0, 32); }

/* ---- the table -------------------------------------------------------------------------------- */

enum mac { MAC_NONE, MAC_SRC_ONLY, MAC_BOTH };

struct dcase {
	const char *name;
	uint16_t linktype;
	void (*build)(struct bytes *);
	uint32_t cut; /* >0: captured length cut to this, the wire length stays the frame's */
	enum ciot_decode_result result;
	/* the rest is checked when result is CIOT_DECODE_OK */
	uint8_t ipv, proto;
	bool v6addrs;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t payload_len, payload_caplen, payload_at;
	uint32_t l3_at, l3_len;
	enum mac mac;
	uint32_t mac_src_at; /* where mac_src points, for the cooked link types */
	bool fragment, later;
	uint32_t frag_id;
};

/* A case starts from TCP4()/TCP6() and overrides the fields that differ. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define OK CIOT_DECODE_OK
/* the common expectations: IPv4 / IPv6 TCP 50000 -> 443 PSH|ACK with 10 bytes of payload, IP at l3 */
#define TCP4(l3) .result = OK, .ipv = 4, .proto = PROTO_TCP, .sport = 50000, .dport = 443, .flags = 0x18, \
		 .payload_len = 10, .payload_caplen = 10, .payload_at = (l3) + 40, .l3_at = (l3), .l3_len = 50
#define TCP6(l3) .result = OK, .ipv = 6, .proto = PROTO_TCP, .v6addrs = true, .sport = 50000, .dport = 443, \
		 .flags = 0x18, .payload_len = 10, .payload_caplen = 10, .payload_at = (l3) + 60, .l3_at = (l3), \
		 .l3_len = 70

static const struct dcase cases[] = {
	{ "eth-ipv4-tcp", 1, f_eth_ipv4_tcp, 0, TCP4(14), .mac = MAC_BOTH },
	{ "eth-ipv4-tcp-options", 1, f_eth_ipv4_tcp_options, 0, TCP4(14), .flags = 0x02, .payload_at = 66,
	  .l3_len = 62, .mac = MAC_BOTH },
	{ "eth-ipv4-tcp-padded", 1, f_eth_ipv4_tcp_padded, 0, TCP4(14), .flags = 0x10, .payload_len = 0,
	  .payload_caplen = 0, .l3_len = 40, .mac = MAC_BOTH },
	{ "eth-ipv4-tcp-snaplen", 1, f_eth_ipv4_tcp_100, 74, TCP4(14), .payload_len = 100, .payload_caplen = 20,
	  .l3_len = 60, .mac = MAC_BOTH },
	{ "vlan", 1, f_vlan, 0, TCP4(18), .mac = MAC_BOTH },
	{ "qinq", 1, f_qinq, 0, TCP4(22), .mac = MAC_BOTH },
	{ "vlan-8-tags", 1, f_vlan8, 0, TCP4(46), .mac = MAC_BOTH },
	{ "vlan-9-tags", 1, f_vlan9, 0, .result = CIOT_DECODE_VLAN_TOO_DEEP },
	{ "pppoe-ipv4-udp", 1, f_pppoe_ipv4_udp, 0, .result = OK, .ipv = 4, .proto = PROTO_UDP, .sport = 5353,
	  .dport = 5353, .payload_len = 12, .payload_caplen = 12, .payload_at = 50, .l3_at = 22, .l3_len = 40,
	  .mac = MAC_BOTH },
	{ "pppoe-ipv6-tcp", 1, f_pppoe_ipv6_tcp, 0, TCP6(22), .mac = MAC_BOTH },
	{ "pppoe-lcp", 1, f_pppoe_lcp, 0, .result = CIOT_DECODE_NOT_IP },
	{ "pppoe-short", 1, f_pppoe_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "mpls", 1, f_mpls, 0, TCP4(18), .mac = MAC_BOTH },
	{ "mpls-9-labels", 1, f_mpls_no_bottom, 0, .result = CIOT_DECODE_VLAN_TOO_DEEP },
	{ "mpls-short", 1, f_mpls_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "sll-ipv4-tcp", 113, f_sll_ipv4_tcp, 0, TCP4(16), .mac = MAC_SRC_ONLY, .mac_src_at = 6 },
	{ "sll-loopback", 113, f_sll_loopback, 0, TCP4(16), .mac = MAC_NONE },
	{ "sll2-ipv6-udp", 276, f_sll2_ipv6_udp, 0, .result = OK, .ipv = 6, .proto = PROTO_UDP, .v6addrs = true,
	  .sport = 5353, .dport = 5353, .payload_len = 12, .payload_caplen = 12, .payload_at = 68, .l3_at = 20,
	  .l3_len = 60, .mac = MAC_SRC_ONLY, .mac_src_at = 12 },
	{ "sll-short", 113, f_sll_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "sll2-short", 276, f_sll2_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "null-le-af2", 0, f_null_le_2, 0, TCP4(4) },
	{ "null-be-af2", 0, f_null_be_2, 0, TCP4(4) },
	{ "null-le-af30", 0, f_null_le_30, 0, TCP6(4) },
	{ "null-be-af30", 0, f_null_be_30, 0, TCP6(4) },
	{ "null-le-af24", 0, f_null_le_24, 0, TCP6(4) },
	{ "null-be-af24", 0, f_null_be_24, 0, TCP6(4) },
	{ "null-le-af28", 0, f_null_le_28, 0, TCP6(4) },
	{ "null-be-af28", 0, f_null_be_28, 0, TCP6(4) },
	{ "null-le-af10", 0, f_null_le_10, 0, TCP6(4) },
	{ "null-be-af10", 0, f_null_be_10, 0, TCP6(4) },
	{ "null-af7", 0, f_null_le_7, 0, .result = CIOT_DECODE_NOT_IP },
	{ "null-short", 0, f_null_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "loop-af2", 108, f_loop_2, 0, TCP4(4) },
	{ "loop-af24", 108, f_loop_24, 0, TCP6(4) },
	{ "loop-host-order", 108, f_loop_le_2, 0, .result = CIOT_DECODE_NOT_IP }, /* LOOP is always network order */
	{ "raw101-ipv4", 101, f_raw_ipv4, 0, TCP4(0) },
	{ "raw101-ipv6", 101, f_raw_ipv6, 0, TCP6(0) },
	{ "raw12-ipv4", 12, f_raw_ipv4, 0, TCP4(0) },
	{ "raw14-ipv6", 14, f_raw_ipv6, 0, TCP6(0) },
	{ "ipv4-228", 228, f_raw_ipv4, 0, TCP4(0) },
	{ "ipv6-229", 229, f_raw_ipv6, 0, TCP6(0) },
	{ "ipv4-228-given-ipv6", 228, f_raw_ipv6, 0, .result = CIOT_DECODE_IP_BAD_VERSION },
	{ "ipv6-229-given-ipv4", 229, f_eth_ipv4_tcp /* 64 bytes, version nibble 0 */, 0, .result = CIOT_DECODE_IP_BAD_VERSION },
	{ "raw-version7", 101, f_raw_version7, 0, .result = CIOT_DECODE_IP_BAD_VERSION },
	{ "raw-empty", 101, f_raw_empty, 0, .result = CIOT_DECODE_IP_TRUNCATED },
	{ "ipv4-options", 1, f_ipv4_options, 0, TCP4(14), .payload_at = 58, .l3_len = 54, .mac = MAC_BOTH },
	{ "ipv4-frag-first-tcp", 1, f_ipv4_frag_first_tcp, 0, TCP4(14), .mac = MAC_BOTH, .fragment = true,
	  .frag_id = 0x4242 },
	{ "ipv4-frag-first-udp", 1, f_ipv4_frag_first_udp, 0, .result = OK, .ipv = 4, .proto = PROTO_UDP,
	  .sport = 5353, .dport = 53, .payload_len = 24, .payload_caplen = 24, .payload_at = 42, .l3_at = 14,
	  .l3_len = 52, .mac = MAC_BOTH, .fragment = true, .frag_id = 0x4343 },
	{ "ipv4-frag-later", 1, f_ipv4_frag_later, 0, .result = OK, .ipv = 4, .proto = PROTO_UDP,
	  .payload_len = 24, .payload_caplen = 24, .payload_at = 34, .l3_at = 14, .l3_len = 44, .mac = MAC_BOTH,
	  .fragment = true, .later = true, .frag_id = 0x4343 },
	{ "ipv4-frag-middle", 1, f_ipv4_frag_middle, 0, .result = OK, .ipv = 4, .proto = PROTO_TCP,
	  .payload_len = 24, .payload_caplen = 24, .payload_at = 34, .l3_at = 14, .l3_len = 44, .mac = MAC_BOTH,
	  .fragment = true, .later = true, .frag_id = 0x4242 },
	{ "ipv6-hbh-routing-frag-tcp", 1, f_ipv6_ext_frag_first, 0, TCP6(14), .payload_at = 14 + 40 + 40 + 20,
	  .l3_len = 110, .mac = MAC_BOTH, .fragment = true, .frag_id = 0x12345678 },
	{ "ipv6-frag-later", 1, f_ipv6_frag_later, 0, .result = OK, .ipv = 6, .proto = PROTO_TCP, .v6addrs = true,
	  .payload_len = 16, .payload_caplen = 16, .payload_at = 62, .l3_at = 14, .l3_len = 64, .mac = MAC_BOTH,
	  .fragment = true, .later = true, .frag_id = 0x12345678 },
	{ "ipv6-frag-first-udp", 1, f_ipv6_frag_first_udp, 0, .result = OK, .ipv = 6, .proto = PROTO_UDP,
	  .v6addrs = true, .sport = 5353, .dport = 53, .payload_len = 24, .payload_caplen = 24, .payload_at = 70,
	  .l3_at = 14, .l3_len = 80, .mac = MAC_BOTH, .fragment = true, .frag_id = 0x0badcafe },
	{ "ipv6-dstopts-ah-udp", 1, f_ipv6_dstopts_ah_udp, 0, .result = OK, .ipv = 6, .proto = PROTO_UDP,
	  .v6addrs = true, .sport = 4500, .dport = 4500, .payload_len = 12, .payload_caplen = 12,
	  .payload_at = 14 + 40 + 32 + 8, .l3_at = 14, .l3_len = 92, .mac = MAC_BOTH },
	{ "ipv6-16-extensions", 1, f_ipv6_16_ext, 0, TCP6(14), .payload_at = 14 + 40 + 128 + 20, .l3_len = 198,
	  .mac = MAC_BOTH },
	{ "ipv6-17-extensions", 1, f_ipv6_17_ext, 0, .result = CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED },
	{ "ipv6-extension-overrun", 1, f_ipv6_ext_overrun, 0, .result = CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED },
	{ "udp-trailer", 1, f_udp, 0, .result = OK, .ipv = 4, .proto = PROTO_UDP, .sport = 5353, .dport = 5353,
	  .payload_len = 12, .payload_caplen = 12, .payload_at = 42, .l3_at = 14, .l3_len = 44, .mac = MAC_BOTH },
	{ "udp-length-0", 1, f_udp_len0, 0, .result = OK, .ipv = 4, .proto = PROTO_UDP, .sport = 5353,
	  .dport = 5353, .payload_len = 12, .payload_caplen = 12, .payload_at = 42, .l3_at = 14, .l3_len = 40,
	  .mac = MAC_BOTH },
	{ "icmp-echo", 1, f_icmp, 0, .result = OK, .ipv = 4, .proto = PROTO_ICMP, .payload_len = 16,
	  .payload_caplen = 16, .payload_at = 42, .l3_at = 14, .l3_len = 44, .mac = MAC_BOTH },
	{ "icmpv6-echo", 1, f_icmpv6, 0, .result = OK, .ipv = 6, .proto = PROTO_ICMPV6, .v6addrs = true,
	  .payload_len = 16, .payload_caplen = 16, .payload_at = 62, .l3_at = 14, .l3_len = 64, .mac = MAC_BOTH },
	{ "ipv4-total-length-0", 1, f_ipv4_total0, 0, TCP4(14), .mac = MAC_BOTH },
	{ "ipv6-payload-length-0", 1, f_ipv6_plen0, 0, TCP6(14), .mac = MAC_BOTH },
	{ "gre", 1, f_gre, 0, .result = OK, .ipv = 4, .proto = 47, .payload_len = 12, .payload_caplen = 12,
	  .payload_at = 34, .l3_at = 14, .l3_len = 32, .mac = MAC_BOTH },
	{ "eth-13-bytes", 1, f_eth_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "vlan-short", 1, f_vlan_short, 0, .result = CIOT_DECODE_LINK_TRUNCATED },
	{ "ipv4-19-bytes", 1, f_ipv4_19, 0, .result = CIOT_DECODE_IP_TRUNCATED },
	{ "ipv4-version5", 1, f_ipv4_version5, 0, .result = CIOT_DECODE_IP_BAD_VERSION },
	{ "ethertype-ipv6-version4", 1, f_ipv6_version4, 0, .result = CIOT_DECODE_IP_BAD_VERSION },
	{ "ipv4-ihl4", 1, f_ipv4_ihl4, 0, .result = CIOT_DECODE_IP_BAD_HEADER_LENGTH },
	{ "ipv4-ihl15-40-bytes", 1, f_ipv4_ihl15_short, 0, .result = CIOT_DECODE_IP_TRUNCATED },
	{ "ipv4-total-over-frame", 1, f_ipv4_total_over, 0, .result = CIOT_DECODE_IP_BAD_TOTAL_LENGTH },
	{ "ipv4-total-below-ihl", 1, f_ipv4_total_below_ihl, 0, .result = CIOT_DECODE_IP_BAD_TOTAL_LENGTH },
	{ "ipv6-payload-over-frame", 1, f_ipv6_plen_over, 0, .result = CIOT_DECODE_IP_BAD_TOTAL_LENGTH },
	{ "tcp-19-bytes", 1, f_tcp_19, 0, .result = CIOT_DECODE_TCP_TRUNCATED },
	{ "tcp-offset-4", 1, f_tcp_doff4, 0, .result = CIOT_DECODE_TCP_BAD_OFFSET },
	{ "tcp-offset-past-ip", 1, f_tcp_doff15, 0, .result = CIOT_DECODE_TCP_BAD_OFFSET },
	{ "udp-7-bytes", 1, f_udp_7, 0, .result = CIOT_DECODE_UDP_TRUNCATED },
	{ "udp-length-7", 1, f_udp_len7, 0, .result = CIOT_DECODE_UDP_BAD_LENGTH },
	{ "udp-length-past-ip", 1, f_udp_len_over, 0, .result = CIOT_DECODE_UDP_BAD_LENGTH },
	{ "icmp-3-bytes", 1, f_icmp_3, 0, .result = CIOT_DECODE_ICMP_TRUNCATED },
	{ "icmpv6-3-bytes", 1, f_icmpv6_3, 0, .result = CIOT_DECODE_ICMP_TRUNCATED },
	{ "arp", 1, f_arp, 0, .result = CIOT_DECODE_NOT_IP },
	{ "802.3-llc", 1, f_llc, 0, .result = CIOT_DECODE_NOT_IP },
	{ "lldp", 1, f_lldp, 0, .result = CIOT_DECODE_NOT_IP },
	{ "linktype-802.11", 105, f_eth_ipv4_tcp, 0, .result = CIOT_DECODE_UNSUPPORTED_LINKTYPE },
	{ "linktype-radiotap", 127, f_eth_ipv4_tcp, 0, .result = CIOT_DECODE_UNSUPPORTED_LINKTYPE },
};

/* A frame in a heap block of exactly its captured length. */
struct built {
	uint8_t *data;
	struct ciot_frame frame;
};

static struct built build(const struct dcase *c)
{
	struct bytes b = { .be = true };
	c->build(&b);
	uint32_t caplen = (uint32_t)b.n;
	if (c->cut && c->cut < caplen)
		caplen = c->cut;
	struct built out;
	out.data = malloc(caplen ? caplen : 1);
	if (caplen)
		memcpy(out.data, b.d, caplen);
	out.frame = (struct ciot_frame){ .ts_us = 1713252489123456LL, .data = out.data, .caplen = caplen,
					 .wirelen = (uint32_t)b.n, .linktype = c->linktype };
	bytes_free(&b);
	return out;
}

static void addr_text(const uint8_t a[16], char out[CIOT_ADDR_STRLEN])
{
	ciot_addr_format(a, out);
}

static void check_decoded(const struct dcase *c, const struct ciot_packet *p, const uint8_t *data)
{
	char src[CIOT_ADDR_STRLEN], dst[CIOT_ADDR_STRLEN];
	addr_text(p->src, src);
	addr_text(p->dst, dst);
	CHECK_EQ_INT(p->ts_us, 1713252489123456LL);
	CHECK_EQ_INT(p->ip_version, c->ipv);
	CHECK_EQ_INT(p->proto, c->proto);
	CHECK_EQ_STR(src, c->v6addrs ? "2001:db8::1" : "192.168.1.20");
	CHECK_EQ_STR(dst, c->v6addrs ? "2001:db8::2" : "93.184.216.34");
	CHECK_EQ_INT(p->sport, c->sport);
	CHECK_EQ_INT(p->dport, c->dport);
	CHECK_EQ_INT(p->tcp_flags, c->flags);
	CHECK_EQ_INT(p->tcp_seq, c->proto == PROTO_TCP && !c->later ? 0xfedc1000u : 0);
	CHECK_EQ_INT(p->payload_len, c->payload_len);
	CHECK_EQ_INT(p->payload_caplen, c->payload_caplen);
	CHECK(p->payload == data + c->payload_at);
	CHECK(p->l3 == data + c->l3_at);
	CHECK_EQ_INT(p->l3_len, c->l3_len);
	CHECK_EQ_INT(p->fragment, c->fragment);
	CHECK_EQ_INT(p->later_fragment, c->later);
	if (c->fragment)
		CHECK_EQ_INT(p->frag_id, c->frag_id);
	switch (c->mac) {
	case MAC_BOTH:
		CHECK(p->mac_dst == data);
		CHECK(p->mac_src == data + 6);
		break;
	case MAC_SRC_ONLY:
		CHECK(p->mac_dst == NULL);
		CHECK(p->mac_src == data + c->mac_src_at);
		CHECK_EQ_MEM(p->mac_src, MAC_SRC, 6);
		break;
	case MAC_NONE:
		CHECK(p->mac_dst == NULL);
		CHECK(p->mac_src == NULL);
		break;
	}
}

static void test_table(void)
{
	bool seen[CIOT_DECODE_NRESULTS] = { false };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct dcase *c = &cases[i];
		unsigned before = check_failures;
		struct built f = build(c);
		struct ciot_packet p;
		memset(&p, 0xaa, sizeof p); /* every field must be set by the decoder */
		enum ciot_decode_result r = ciot_decode(&f.frame, &p);
		seen[c->result] = true;
		if (CHECK_EQ_STR(ciot_decode_result_name(r), ciot_decode_result_name(c->result)) && r == OK) {
			CHECK_EQ_INT(p.wirelen, f.frame.wirelen);
			check_decoded(c, &p, f.data);
		}
		check_case(before, c->name);
		free(f.data);
	}
	/* every result ciot_decode can return has a frame above; FRAGMENT_UNMATCHED comes from the
	 * fragment table instead */
	for (int r = 0; r < CIOT_DECODE_NRESULTS; r++)
		if (r != CIOT_DECODE_FRAGMENT_UNMATCHED && !CHECK(seen[r]))
			fprintf(stderr, "  no frame in the table for %s\n", ciot_decode_result_name((enum ciot_decode_result)r));
}

static void test_names(void)
{
	static const struct {
		enum ciot_decode_result r;
		const char *name;
		bool malformed;
	} names[] = {
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
	CHECK_EQ_INT(sizeof names / sizeof names[0], CIOT_DECODE_NRESULTS);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		CHECK_EQ_STR(ciot_decode_result_name(names[i].r), names[i].name);
		CHECK_EQ_INT(ciot_decode_result_is_malformed(names[i].r), names[i].malformed);
	}
	for (int a = 0; a < CIOT_DECODE_NRESULTS; a++)
		for (int b = a + 1; b < CIOT_DECODE_NRESULTS; b++)
			if (!CHECK(strcmp(ciot_decode_result_name((enum ciot_decode_result)a),
					  ciot_decode_result_name((enum ciot_decode_result)b)) != 0))
				fprintf(stderr, "  results %d and %d share a name\n", a, b);
	CHECK_EQ_STR(ciot_decode_result_name(CIOT_DECODE_NRESULTS), "invalid");
	CHECK_EQ_STR(ciot_decode_result_name((enum ciot_decode_result)1000), "invalid");
	CHECK(!ciot_decode_result_is_malformed(CIOT_DECODE_NRESULTS));
}

/* ---- fragments -------------------------------------------------------------------------------- */

static enum ciot_decode_result decode_built(void (*fn)(struct bytes *), struct ciot_packet *p, uint8_t **keep)
{
	struct dcase c = { .name = "fragment", .linktype = 1, .build = fn };
	struct built f = build(&c);
	*keep = f.data;
	return ciot_decode(&f.frame, p);
}

static void test_fragments(void)
{
	struct ciot_fragment_table *t = calloc(1, sizeof *t);
	struct ciot_packet first, middle, plain, v6first, v6later;
	uint8_t *keep[8];

	/* IPv4 TCP: the first fragment's ports go to the later ones */
	CHECK_EQ_INT(decode_built(f_ipv4_frag_first_tcp, &first, &keep[0]), OK);
	CHECK_EQ_INT(decode_built(f_ipv4_frag_middle, &middle, &keep[1]), OK);
	CHECK_EQ_INT(middle.sport, 0);
	CHECK(ciot_fragment_resolve(t, &first));
	CHECK_EQ_INT(first.sport, 50000);
	CHECK_EQ_INT(first.dport, 443);
	CHECK(ciot_fragment_resolve(t, &middle));
	CHECK_EQ_INT(middle.sport, 50000);
	CHECK_EQ_INT(middle.dport, 443);

	/* unmatched: another datagram id, another source, another protocol */
	struct ciot_packet other = middle;
	other.sport = other.dport = 0;
	other.frag_id = 0x4243;
	CHECK(!ciot_fragment_resolve(t, &other));
	CHECK_EQ_INT(other.sport, 0);
	other = middle;
	other.sport = other.dport = 0;
	other.src[15] ^= 1;
	CHECK(!ciot_fragment_resolve(t, &other));
	other = middle;
	other.sport = other.dport = 0;
	other.proto = PROTO_UDP;
	CHECK(!ciot_fragment_resolve(t, &other));
	/* source and destination are not interchangeable */
	other = middle;
	other.sport = other.dport = 0;
	memcpy(other.src, middle.dst, 16);
	memcpy(other.dst, middle.src, 16);
	CHECK(!ciot_fragment_resolve(t, &other));

	/* a packet that is not a fragment passes untouched */
	CHECK_EQ_INT(decode_built(f_eth_ipv4_tcp, &plain, &keep[2]), OK);
	CHECK(ciot_fragment_resolve(t, &plain));
	CHECK_EQ_INT(plain.sport, 50000);

	/* IPv6 */
	CHECK_EQ_INT(decode_built(f_ipv6_ext_frag_first, &v6first, &keep[3]), OK);
	CHECK_EQ_INT(decode_built(f_ipv6_frag_later, &v6later, &keep[4]), OK);
	CHECK(!ciot_fragment_resolve(t, &v6later)); /* before its first fragment */
	CHECK(ciot_fragment_resolve(t, &v6first));
	CHECK(ciot_fragment_resolve(t, &v6later));
	CHECK_EQ_INT(v6later.sport, 50000);
	CHECK_EQ_INT(v6later.dport, 443);
	CHECK_EQ_INT(v6later.proto, PROTO_TCP);

	/* IPv4 UDP: the first fragment carries the UDP header whose length is the whole datagram's */
	struct ciot_packet ufirst, ulater;
	memset(&ufirst, 0, sizeof ufirst);
	enum ciot_decode_result r = decode_built(f_ipv4_frag_first_udp, &ufirst, &keep[5]);
	CHECK_EQ_STR(ciot_decode_result_name(r), "ok");
	CHECK_EQ_INT(decode_built(f_ipv4_frag_later, &ulater, &keep[6]), OK);
	if (r == OK)
		CHECK(ciot_fragment_resolve(t, &ufirst));
	if (CHECK(ciot_fragment_resolve(t, &ulater))) {
		CHECK_EQ_INT(ulater.sport, 5353);
		CHECK_EQ_INT(ulater.dport, 53);
	}
	for (int i = 0; i < 7; i++)
		free(keep[i]);
	free(t);
}

/* ---- truncations ------------------------------------------------------------------------------ */

/* Every captured length 0..N of the Ethernet IPv4 TCP frame, with the wire length kept (a short
 * snaplen) and with the wire length cut too (a frame that claims more than it had). */
static void test_truncations_exact(void)
{
	struct bytes b = { .be = true };
	f_eth_ipv4_tcp(&b);
	uint32_t n = (uint32_t)b.n;
	CHECK_EQ_INT(n, 64);
	unsigned bad = 0;
	for (uint32_t k = 0; k <= n; k++)
		for (int cut_wire = 0; cut_wire < 2; cut_wire++) {
			uint8_t *data = malloc(k ? k : 1);
			if (k)
				memcpy(data, b.d, k);
			struct ciot_frame fr = { .ts_us = 1, .data = data, .caplen = k, .wirelen = cut_wire ? k : n,
						 .linktype = 1 };
			struct ciot_packet p;
			enum ciot_decode_result r = ciot_decode(&fr, &p), want;
			if (k < 14)
				want = CIOT_DECODE_LINK_TRUNCATED;
			else if (k < 34)
				want = CIOT_DECODE_IP_TRUNCATED;
			else if (cut_wire)
				want = k < n ? CIOT_DECODE_IP_BAD_TOTAL_LENGTH : OK;
			else
				want = k < 54 ? CIOT_DECODE_TCP_TRUNCATED : OK;
			if (r != want) {
				bad++;
				fprintf(stderr, "  caplen %u wirelen %u: %s, expected %s\n", k, fr.wirelen,
					ciot_decode_result_name(r), ciot_decode_result_name(want));
			} else if (r == OK) {
				bool fields = p.sport == 50000 && p.dport == 443 && p.payload_len == 10 &&
					      p.payload_caplen == k - 54 && p.payload == data + 54 && p.l3_len == k - 14;
				if (!fields) {
					bad++;
					fprintf(stderr, "  caplen %u: fields wrong (payload_caplen %u, l3_len %u)\n", k,
						p.payload_caplen, p.l3_len);
				}
			}
			free(data);
		}
	CHECK_EQ_INT(bad, 0);
	bytes_free(&b);
}

/* Every truncation of every frame of the table that decodes: the result is OK or a malformed one,
 * once OK always OK for longer captures, and the decoded pointers stay inside the captured bytes. */
static void test_truncations_all(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct dcase *c = &cases[i];
		struct built full = build(c);
		struct ciot_packet p;
		bool decodes = ciot_decode(&full.frame, &p) == OK;
		free(full.data);
		if (!decodes)
			continue;
		struct bytes b = { .be = true };
		c->build(&b);
		unsigned bad = 0;
		bool was_ok = false;
		for (uint32_t k = 0; k <= b.n; k++) {
			uint8_t *data = malloc(k ? k : 1);
			if (k)
				memcpy(data, b.d, k);
			struct ciot_frame fr = { .ts_us = 1, .data = data, .caplen = k, .wirelen = (uint32_t)b.n,
						 .linktype = c->linktype };
			enum ciot_decode_result r = ciot_decode(&fr, &p);
			if (r == OK) {
				bad += p.l3 < data || p.l3 + p.l3_len > data + k;
				bad += p.payload < data || p.payload + p.payload_caplen > data + k;
				bad += p.payload_caplen > p.payload_len;
				bad += p.mac_src && p.mac_src + 6 > data + k;
				bad += p.mac_dst && p.mac_dst + 6 > data + k;
				was_ok = true;
			} else {
				bad += !ciot_decode_result_is_malformed(r) || was_ok;
			}
			free(data);
		}
		if (!CHECK_EQ_INT(bad, 0))
			fprintf(stderr, "  ^ in truncations of \"%s\"\n", c->name);
		bytes_free(&b);
	}
}

int main(void)
{
	test_table();
	test_names();
	test_fragments();
	test_truncations_exact();
	test_truncations_all();
	return check_summary("test-decode");
}
