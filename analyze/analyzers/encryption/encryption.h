/* encryption.h: the encryption class of every packet that carries an application payload, by the
 * method of Ren et al. (Mon(IoT)r) that the lifecycle paper adapts, in its order
 * (docs/encryption.md):
 *
 *   1. protocol rules: TLS and DTLS records (application data, and everything after
 *      ChangeCipherSpec: encrypted; handshake and alerts in clear: text), QUIC and SSH after its
 *      banner (encrypted), HTTP (headers: text; the body by Content-Encoding and Content-Type,
 *      for every packet of the body), DNS (text; DNSSEC keys and signatures: encrypted), RTP
 *      (media), RTSP (text, its interleaved RTP: media), MQTT (control packets and topics: text;
 *      a PUBLISH payload by its bytes), IPsec, WireGuard, OpenVPN, Tor, Signal (encrypted);
 *   2. a magic number at the start of the payload (compressed or media);
 *   3. byte entropy (entropy.h);
 *   4. what is still unknown and short is omitted.
 *
 * TLS records and HTTP messages span packets, so each direction of a flow keeps a little state:
 * where the next TLS record header is (by TCP sequence number) and which type the current record
 * has, or how much of an HTTP body is still to come and its class. A packet that mixes classes
 * (the end of one record and the start of the next) takes the class of most of its bytes.
 */
#ifndef CIOT_ENCRYPTION_H
#define CIOT_ENCRYPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/decode.h"
#include "dpi.h"
#include "entropy.h"
#include "stream.h"

/* Which step of the method decided a packet's class. */
enum ciot_class_step { CIOT_STEP_PROTOCOL, CIOT_STEP_MAGIC, CIOT_STEP_ENTROPY, CIOT_STEP_LENGTH, CIOT_NSTEPS };
const char *ciot_class_step_name(enum ciot_class_step s); /* "protocol", "magic", "entropy", "length" */

/* One direction of a flow: where it is in the protocol's framing. */
struct ciot_stream {
	uint32_t tls_next;    /* TCP sequence number of the next TLS record header */
	uint32_t body_left;   /* bytes still to come of the current body, chunk, frame or MQTT packet */
	uint32_t hdr_length;  /* HTTP: the Content-Length of the header block being read */
	uint8_t mode;         /* what the direction is in the middle of: see encryption.c */
	uint8_t tls_type;     /* content type of the TLS record being read */
	uint8_t tls_partial;  /* bytes of a TLS record header cut by the segment's end, in tls_header */
	uint8_t tls_header[4];
	uint8_t body_class;   /* the class of the body being read; CIOT_CONTENT_NCLASSES: by its bytes */
	uint8_t last_class;   /* the last packet's class + 1 (0: none yet), for fragments and repeats */
	uint8_t hdr_flags;    /* HTTP: what the header block being read said so far */
	uint8_t hdr_type;     /* HTTP: its Content-Type's class */
	uint8_t hdr_line;     /* HTTP: where the last segment left the header block's lines */
	uint8_t head_pending; /* requests of the peer whose responses have no body (HEAD, CONNECT) */
	bool keys_changed;    /* TLS ChangeCipherSpec, SSH NEWKEYS sent: later records are encrypted */
	bool tls_lost;        /* record boundaries lost (a capture gap): wait for a header to resync */
	bool body_start;      /* the next body byte is the body's first (a magic number may be there) */
};

struct ciot_encryption_counts {
	uint32_t packets[CIOT_CONTENT_NCLASSES];
	uint64_t bytes[CIOT_CONTENT_NCLASSES];   /* frame bytes of those packets */
	uint64_t payload_bytes[CIOT_CONTENT_NCLASSES]; /* their transport payload bytes (the lifecycle
							* authors' measure: headers weigh nothing) */
	uint32_t entropy_encrypted;              /* packets called encrypted by their entropy alone */
	bool tls_records;                        /* a direction was read as TLS records (so the
						  * entropy-encrypted packets before it were TLS) */
};

struct ciot_encryption_flow {
	struct ciot_stream dir[2];
	struct ciot_encryption_counts counts;
};

/* What part of a message a run of payload bytes is, as the protocol rules read it: the PII search
 * (pii-flow.h) decides by it what to search and says where a match was. */
enum ciot_span_role {
	CIOT_SPAN_OTHER,       /* no protocol rule applied: judged by the bytes alone */
	CIOT_SPAN_HTTP_HEADER, /* an HTTP, RTSP or SSDP start line and header lines */
	CIOT_SPAN_HTTP_BODY,   /* a body, chunk lines included */
	CIOT_SPAN_MQTT_TOPIC,  /* a PUBLISH topic, a SUBSCRIBE or UNSUBSCRIBE's topic filters */
	CIOT_SPAN_MQTT_BODY,   /* the rest of an MQTT packet: headers, CONNECT's fields, a payload */
	CIOT_SPAN_DNS,         /* a DNS message (over TCP, with its length prefix) */
	CIOT_SPAN_PROTECTED,   /* TLS, DTLS, QUIC, SSH and VPN protocols, clear handshakes included */
	CIOT_SPAN_MEDIA,       /* RTP, RTSP's interleaved frames */
	CIOT_SPAN_REPEATED,    /* a TCP retransmission of bytes already seen */
	CIOT_SPAN_NROLES
};

#define CIOT_MAX_SPANS 128

struct ciot_payload_span {
	uint32_t offset, len; /* within the packet's captured payload */
	uint8_t role;         /* enum ciot_span_role */
	uint8_t cls;          /* enum ciot_content_class of these bytes */
};

/* A packet's payload as consecutive spans. A packet with more parts than CIOT_MAX_SPANS (a burst of
 * small MQTT packets) has its last span cover the rest as CIOT_SPAN_OTHER of unknown class, and
 * `overflow` set. */
struct ciot_payload_spans {
	struct ciot_payload_span span[CIOT_MAX_SPANS];
	unsigned n;
	bool overflow;
};

/* Classifies a packet of the flow (sent in direction `dir`; `family` is nDPI's view of the flow
 * so far; `at`, for TCP, where its payload falls in the direction's stream) and counts it. Returns its class, and the step in *step; CIOT_CONTENT_NCLASSES (not
 * counted) when the packet has no application payload. When `spans` is not NULL it is filled with
 * the payload's spans (none for a packet without captured payload or a later IP fragment). */
enum ciot_content_class ciot_encryption_packet(const struct ciot_entropy_options *o, struct ciot_encryption_flow *f,
					       int dir, enum ciot_dpi_family family, const struct ciot_packet *pkt,
					       struct ciot_tcp_position at, enum ciot_class_step *step,
					       struct ciot_payload_spans *spans);

/* Whether a flow's family is an encrypted protocol, so that entropy-encrypted packets of any other
 * flow mean proprietary encryption (the paper's "Other protocols"). */
bool ciot_family_is_encrypted(enum ciot_dpi_family family);

#endif
