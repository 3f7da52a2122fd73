/* pii-flow.h: the PII search over a flow's payloads, as the lifecycle paper's section 4.4 asks:
 * personal data in unencrypted traffic.
 *
 * What is searched is decided by the encryption stage's spans (encryption.h): HTTP start lines and
 * headers, MQTT topics and DNS names always (they are clear text by protocol); HTTP bodies, MQTT
 * payloads and payloads no protocol rule knows only when their class is text, unknown or too short
 * to say (never encrypted, compressed or media bytes); TLS, DTLS, QUIC, SSH and VPN flows not at
 * all, their clear handshakes included. DNS messages are read with dns.h and each name and TXT
 * string is searched on its own.
 *
 * A TCP direction is followed by sequence number: retransmitted bytes are not searched twice, and
 * a value cut by a segment boundary is found because the last CIOT_PII_CARRY bytes of a span are
 * carried in front of the next one of the same role (pii.h). Nothing is allocated per packet: a
 * flow gets its search state the first time it has something to search.
 *
 * A match is kept per flow as one hit per (kind, method, encoding, where, direction, value), with
 * a count; the value itself is kept only as a keyed hash and a hint (pii.h), unless the setup says
 * to keep values.
 */
#ifndef CIOT_PII_FLOW_H
#define CIOT_PII_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "dataset.h"
#include "ciot/decode.h"
#include "encryption.h"
#include "pii.h"

/* Where in the message a value was found. */
enum ciot_pii_where {
	CIOT_PII_IN_URL,     /* an HTTP (or RTSP, SSDP) request line */
	CIOT_PII_IN_HEADER,  /* other header lines, and status lines */
	CIOT_PII_IN_BODY,    /* an HTTP body; an MQTT packet's fields and payload */
	CIOT_PII_IN_TOPIC,   /* an MQTT topic or topic filter */
	CIOT_PII_IN_DNS,     /* a name or TXT string of a DNS, mDNS or LLMNR message */
	CIOT_PII_IN_PAYLOAD, /* a payload of a protocol ciot does not frame */
	CIOT_PII_NWHERE
};
const char *ciot_pii_where_name(enum ciot_pii_where w); /* "url", "header", ... */

/* What every worker shares: the compiled patterns, each device's seeds and the hashing key. */
struct ciot_pii_setup {
	struct ciot_pii_patterns *patterns;
	struct ciot_pii_seeds **seeds; /* one per device of the dataset */
	size_t ndevices;
	uint8_t key[CIOT_PII_KEY_LEN];
	bool keep_values;          /* store the values themselves, not only hash and hint */
	char key_origin[96];       /* how the key was made, for the database's meta table */
};

/* Builds the setup for a dataset: each device's pii_seeds and manifest MACs. The key is read from
 * key_file (its first 32 bytes; it must have at least 16) or, when key_file is NULL, drawn at
 * random, so that hashes can be compared only within one run. */
enum ciot_rc ciot_pii_setup_new(struct ciot_pii_setup **out, const struct ciot_dataset *ds, const char *key_file,
				bool keep_values, char *errbuf);
void ciot_pii_setup_free(struct ciot_pii_setup *s);

/* One value found in a flow, and how often. */
struct ciot_pii_hit {
	uint8_t kind, method, encoding, where; /* enum ciot_pii_kind, _method, _encoding, _where */
	uint8_t dir;                           /* 0: sent by the flow's initiator */
	uint32_t count;
	int64_t first_ts;
	char hash[CIOT_PII_HASH_HEX];
	char hint[CIOT_PII_HINT_MAX];
	char *value; /* NULL unless the setup keeps values */
};

/* Distinct hits one flow keeps; more are counted in `dropped`. */
#define CIOT_PII_MAX_HITS 1024

struct ciot_pii_hits {
	struct ciot_pii_hit *hit;
	size_t n;
	uint64_t searched; /* payload bytes searched (carried bytes not counted twice) */
	uint64_t dropped;  /* matches not kept: beyond CIOT_PII_MAX_HITS, or past a scan's limits */
};
void ciot_pii_hits_free(struct ciot_pii_hits *h);

/* A flow's search state: NULL until the flow has something to search. */
struct ciot_pii_flow {
	struct ciot_pii_state *state;
};

/* One worker's search: its scanner and scratch space. */
struct ciot_pii_search;
enum ciot_rc ciot_pii_search_new(struct ciot_pii_search **out, const struct ciot_pii_setup *setup, char *errbuf);
void ciot_pii_search_free(struct ciot_pii_search *s);
/* The device whose captures come next: its seeds are searched for. */
void ciot_pii_search_device(struct ciot_pii_search *s, size_t device);

/* One packet of the flow, sent in direction `dir`, with its place in the TCP stream (stream.h) and the
 * spans the encryption stage gave it.
 * Returns false when memory ran out (the flow's search stops). */
bool ciot_pii_packet(struct ciot_pii_search *s, struct ciot_pii_flow *f, int dir, const struct ciot_packet *pkt,
		     struct ciot_tcp_position at, const struct ciot_payload_spans *spans);

/* The flow ended: what was held back is settled, the hits are moved to *out (zeroed when the flow
 * had nothing searched) and the state is freed. */
void ciot_pii_flow_finish(struct ciot_pii_search *s, struct ciot_pii_flow *f, struct ciot_pii_hits *out);

#endif
