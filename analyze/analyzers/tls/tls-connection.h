/* tls-connection.h: one TLS, DTLS or QUIC connection followed through its flow's packets, for the
 * TLS audit (docs/tls.md): what each side offered and chose, the certificates each side presented,
 * whether the handshake completed and application data flowed each way, every alert, and who ended
 * the connection and how.
 *
 * TCP: each direction's byte stream is put back together by sequence number (retransmissions,
 * overlaps and out-of-order segments), holding at most CIOT_TLS_STREAM_MAX bytes while waiting for
 * a hole to fill. Only what the audit reads is kept: the clear-text handshake, alert and
 * ChangeCipherSpec records; of every other record only its header is read and its body is skipped
 * without copying. Handshake messages are put together across records (a certificate chain of tens
 * of kilobytes) up to CIOT_TLS_HANDSHAKE_MAX bytes. DTLS: records in datagrams, handshake fragments
 * put together by message sequence and offset. QUIC: the version of its long header (its handshake
 * is encrypted).
 *
 * A flow is looked at when its first payload arrives; a flow that does not start like TLS, DTLS or
 * QUIC costs nothing afterwards. Memory is taken once per TLS flow (the connection) and grown as
 * the handshake needs, never per packet, and released when the flow ends.
 */
#ifndef CIOT_TLS_CONNECTION_H
#define CIOT_TLS_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/decode.h"
#include "tls.h"

#define CIOT_TLS_STREAM_MAX (64u * 1024)     /* bytes of one direction held while a hole is open */
#define CIOT_TLS_HANDSHAKE_MAX (64u * 1024)  /* the largest handshake message read */
#define CIOT_TLS_CHAIN_BYTES (64u * 1024)    /* DER bytes kept of one side's certificate chain */
#define CIOT_TLS_MAX_ALERTS 4                /* alerts kept per side (more are counted) */
/* In TLS 1.3 the Finished message and the application data hide in records of type
 * application_data, and so do alerts; an alert is 2 bytes + 1 byte of inner type + an AEAD tag of 16
 * (8 for the CCM_8 suites): 19 bytes, 11 with CCM_8. A Finished is at least 4 + 32 + 1 + 8 = 45.
 * So an encrypted record of at most this many bytes is taken for an alert, a longer one for a
 * handshake message or data. */
#define CIOT_TLS13_ALERT_RECORD_MAX 24

enum ciot_tls_protocol { CIOT_TLS_PROTO_TLS = 1, CIOT_TLS_PROTO_DTLS, CIOT_TLS_PROTO_QUIC };
const char *ciot_tls_protocol_name(enum ciot_tls_protocol p); /* "tls", "dtls", "quic" */

struct ciot_tls_alert {
	uint8_t level;        /* 1 warning, 2 fatal; 0 when encrypted */
	uint8_t description;  /* when not encrypted */
	bool encrypted;       /* after ChangeCipherSpec, or a TLS 1.3 record that can only be an alert */
};

enum ciot_tls_close { CIOT_TLS_OPEN, CIOT_TLS_CLOSED_FIN, CIOT_TLS_CLOSED_RST };

/* What one side (the client or the server) did. */
struct ciot_tls_side {
	bool hello;                 /* its ClientHello or ServerHello was read */
	bool change_cipher_spec;
	bool finished;              /* its Finished went out: TLS 1.2 and before, the first handshake
				       record after ChangeCipherSpec; TLS 1.3, the client's first
				       encrypted record longer than an alert (the server's Finished
				       cannot be told apart from the rest of its encrypted flight) */
	uint32_t app_records;       /* application data records (TLS 1.3: see docs/tls.md) */
	uint64_t app_bytes;         /* their record lengths */
	struct ciot_tls_alert alerts[CIOT_TLS_MAX_ALERTS];
	unsigned nalerts;           /* kept, at most CIOT_TLS_MAX_ALERTS */
	uint32_t alerts_total;      /* all of them */
	enum ciot_tls_close close;  /* its first FIN or RST */
	int64_t close_ts;
	uint32_t close_packet;      /* the connection's packets up to it: orders the two sides' closings */
	uint32_t gaps;              /* holes in its byte stream given up on (data never captured) */
	bool handshake_truncated;   /* a handshake message larger than CIOT_TLS_HANDSHAKE_MAX, skipped */
	bool handshake_malformed;   /* a handshake message that did not parse; later ones are not read */
	/* its certificate chain as sent (0 = its own certificate), DER, concatenated */
	uint8_t *chain;
	size_t chain_offset[CIOT_TLS_MAX_CHAIN], chain_len[CIOT_TLS_MAX_CHAIN];
	unsigned nchain;
	bool chain_truncated;       /* more than CIOT_TLS_MAX_CHAIN certificates or CIOT_TLS_CHAIN_BYTES */
	bool certificate_message;   /* a Certificate message was read (possibly empty) */
};

/* A connection when its flow ends. Sides are indexed by role, not by flow direction. */
enum { CIOT_TLS_CLIENT = 0, CIOT_TLS_SERVER = 1 };
struct ciot_tls_summary {
	enum ciot_tls_protocol protocol;
	int client_dir;                       /* the flow direction (0 initiator, 1 responder) of the client */
	struct ciot_tls_client_hello ch;      /* valid when side[CLIENT].hello */
	struct ciot_tls_server_hello sh;      /* valid when side[SERVER].hello */
	uint16_t version;                     /* negotiated: ServerHello's supported_versions, else its
						 version; 0 when no ServerHello was read */
	bool sslv2_server;                    /* the server answered in SSLv2 (version is then 0x0002) */
	bool hello_retry;                     /* a HelloRetryRequest came first */
	bool certificate_request;             /* the server asked for a client certificate (TLS <= 1.2) */
	bool resumed;                         /* an abbreviated handshake: the session id echoed, a
						 ticket accepted (ChangeCipherSpec with no Certificate), or
						 TLS 1.3's pre_shared_key accepted */
	bool established;                     /* TLS <= 1.2: both Finished, or application data each way;
						 TLS 1.3: the client's Finished */
	uint32_t quic_version;                /* QUIC: the version of the first long header */
	struct ciot_tls_side side[2];
};

/* The per-flow part, embedded in the flow (zeroed with it). */
struct ciot_tls_flow {
	struct ciot_tls_connection *conn; /* NULL until the flow looks like TLS, DTLS or QUIC */
	uint32_t isn[2];                  /* each direction's SYN sequence number */
	uint8_t isn_known;                /* bit per direction */
	uint8_t verdict;                  /* 0 undecided, 1 followed, 2 not TLS (never looked at again) */
	bool failed;                      /* memory ran out: the connection was dropped */
};

/* Follows one packet of the flow, sent in direction `dir` (0: from the initiator). */
void ciot_tls_packet(struct ciot_tls_flow *t, int dir, const struct ciot_packet *pkt);

/* The flow has ended: NULL when it was not TLS, DTLS or QUIC (or memory ran out: t->failed), else
 * its summary, which the caller frees with ciot_tls_summary_free. Releases the flow's state either
 * way, so it must be called for every flow that ends. */
struct ciot_tls_summary *ciot_tls_finish(struct ciot_tls_flow *t);
void ciot_tls_summary_free(struct ciot_tls_summary *s);

/* What the client made of the server, for certificate-validation tests (the paper's Table 5), in
 * the order they are decided (docs/tls.md): */
enum ciot_tls_outcome {
	CIOT_TLS_COMMUNICATES,     /* the client finished its handshake and sent application data */
	CIOT_TLS_HANDSHAKE_ONLY,   /* the client finished its handshake but sent no data */
	CIOT_TLS_CLIENT_ALERT,     /* the client sent an alert before finishing */
	CIOT_TLS_CLIENT_CLOSED,    /* the client closed (FIN or RST) first, without an alert */
	CIOT_TLS_SERVER_FAILURE,   /* the server sent an alert or closed first */
	CIOT_TLS_NO_SERVER_HELLO,  /* a ClientHello no one answered */
	CIOT_TLS_INCOMPLETE,       /* the capture ended in the middle of the handshake */
	CIOT_TLS_NO_CLIENT_HELLO,  /* the connection started before the capture: no handshake seen */
	CIOT_TLS_NOUTCOMES
};
enum ciot_tls_outcome ciot_tls_outcome_of(const struct ciot_tls_summary *s);
/* "communicates", "handshake-only", "client-alert", "client-closed", "server-failure",
 * "no-server-hello", "incomplete", "no-client-hello" */
const char *ciot_tls_outcome_name(enum ciot_tls_outcome o);

/* The alert list as stored: "fatal:unknown_ca,warning:close_notify,encrypted", "" for none; an
 * unknown description as its number ("fatal:201"). */
void ciot_tls_alerts_text(const struct ciot_tls_side *side, char *out, size_t outlen);

/* "QUICv1", "QUICv2", "QUIC-draft-29", "gQUIC-Q050", or "0x%08x" into buf (at least 16 bytes). */
const char *ciot_quic_version_name(uint32_t version, char *buf, size_t buflen);

#endif
