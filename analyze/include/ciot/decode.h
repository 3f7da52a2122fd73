/* ciot/decode.h: turns a captured frame into the fields the flow table, the analyzers and the
 * shaping simulator need; public because libciot-shape reads captures through it.
 *
 * Decoding never allocates and never reads outside the frame. A frame ciot cannot use is counted
 * under one reason and skipped: either it is not IP traffic at all (ARP, STP, an unsupported link
 * type) or it is IP traffic that is truncated or malformed. The reasons are a table so that the
 * database and reports name them the same way.
 */
#ifndef CIOT_DECODE_H
#define CIOT_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/capture-file.h"

/* LINKTYPE_* values from the tcpdump.org registry */
#define CIOT_LINKTYPE_NULL 0
#define CIOT_LINKTYPE_ETHERNET 1
#define CIOT_LINKTYPE_RAW_OLD 12   /* DLT_RAW on most BSDs, as written in some old files */
#define CIOT_LINKTYPE_RAW_OPENBSD 14
#define CIOT_LINKTYPE_RAW 101
#define CIOT_LINKTYPE_LOOP 108
#define CIOT_LINKTYPE_LINUX_SLL 113
#define CIOT_LINKTYPE_IPV4 228
#define CIOT_LINKTYPE_IPV6 229
#define CIOT_LINKTYPE_LINUX_SLL2 276

/* IP protocol numbers (IANA) and TCP flags (RFC 9293 section 3.1) that decoded packets carry. */
#define CIOT_PROTO_TCP 6
#define CIOT_PROTO_UDP 17
#define CIOT_TCP_FIN 0x01
#define CIOT_TCP_SYN 0x02
#define CIOT_TCP_RST 0x04
#define CIOT_TCP_ACK 0x10

/* More VLAN tags or IPv6 extension headers than this are treated as malformed. */
#define CIOT_DECODE_MAX_VLAN_TAGS 8
#define CIOT_DECODE_MAX_IPV6_EXTENSIONS 16

enum ciot_decode_result {
	CIOT_DECODE_OK = 0,
	/* not IP: skipped, not an error */
	CIOT_DECODE_NOT_IP,
	CIOT_DECODE_UNSUPPORTED_LINKTYPE,
	/* malformed or truncated IP traffic */
	CIOT_DECODE_LINK_TRUNCATED,
	CIOT_DECODE_VLAN_TOO_DEEP,
	CIOT_DECODE_IP_TRUNCATED,
	CIOT_DECODE_IP_BAD_VERSION,
	CIOT_DECODE_IP_BAD_HEADER_LENGTH,
	CIOT_DECODE_IP_BAD_TOTAL_LENGTH,
	CIOT_DECODE_IPV6_EXTENSIONS_MALFORMED,
	CIOT_DECODE_TCP_TRUNCATED,
	CIOT_DECODE_TCP_BAD_OFFSET,
	CIOT_DECODE_UDP_TRUNCATED,
	CIOT_DECODE_UDP_BAD_LENGTH,
	CIOT_DECODE_ICMP_TRUNCATED,
	CIOT_DECODE_FRAGMENT_UNMATCHED, /* a later fragment whose first fragment was not seen */
	CIOT_DECODE_NRESULTS
};

/* Name of a result as stored in the database ("ip_truncated"), and whether it means malformed. */
const char *ciot_decode_result_name(enum ciot_decode_result r);
bool ciot_decode_result_is_malformed(enum ciot_decode_result r);

struct ciot_packet {
	int64_t ts_us;
	uint32_t wirelen;          /* frame bytes on the wire */
	const uint8_t *mac_src;    /* 6 bytes, or NULL when the link has no source MAC */
	const uint8_t *mac_dst;    /* 6 bytes, or NULL */
	const uint8_t *l3;         /* the IP header, for nDPI */
	uint32_t l3_len;           /* captured bytes of the IP packet (after trimming link padding) */
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t proto;             /* IPPROTO_* of the transport (after IPv6 extension headers) */
	uint8_t src[16], dst[16];  /* IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d) */
	uint16_t sport, dport;     /* 0 for transports without ports */
	uint8_t tcp_flags;
	uint32_t tcp_seq;          /* TCP sequence number (0 for other transports) */
	bool fragment;             /* part of a fragmented datagram */
	bool later_fragment;       /* not the first fragment: ports come from the fragment table */
	uint32_t frag_id;          /* IPv4 identification or IPv6 fragment identification */
	const uint8_t *payload;    /* transport payload, captured part */
	uint32_t payload_caplen;
	uint32_t payload_len;      /* transport payload length from the headers (may exceed captured) */
};

/* Decodes one frame. On CIOT_DECODE_OK every field is set; later fragments have no ports yet. */
enum ciot_decode_result ciot_decode(const struct ciot_frame *frame, struct ciot_packet *pkt);

/* IP fragments: remembers the ports of first fragments so later fragments land in the same flow.
 * A small direct-mapped table: an old entry is overwritten by a new datagram, never grown. */
#define CIOT_FRAGMENT_SLOTS 1024
struct ciot_fragment_slot {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto;
	bool used;
	uint16_t sport, dport;
};
struct ciot_fragment_table {
	struct ciot_fragment_slot slot[CIOT_FRAGMENT_SLOTS];
};

/* Fills in ports for fragments: remembers a first fragment's, looks up a later one's.
 * Returns false for a later fragment whose first fragment is not in the table. */
bool ciot_fragment_resolve(struct ciot_fragment_table *t, struct ciot_packet *pkt);

#endif
