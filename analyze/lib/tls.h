/* tls.h: TLS and DTLS handshake messages (RFC 8446, 5246, 4346, 2246, 6101, 9147, 6347), SSLv2's
 * ClientHello, alerts, and the names of versions, cipher suites and alerts (IANA registries, as
 * tables).
 *
 * The caller reassembles a direction's handshake bytes (records of type 22 in clear, in order)
 * and hands whole messages here; everything is bounds-checked through cursor.h and capped by the
 * named constants below, since every byte comes from the network.
 */
#ifndef CIOT_TLS_H
#define CIOT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIOT_TLS_MAX_CIPHERS 256  /* cipher suites kept from a ClientHello (more set ciphers_truncated) */
#define CIOT_TLS_MAX_VERSIONS 16  /* supported_versions entries kept */
#define CIOT_TLS_NAME_MAX 256     /* SNI (a DNS name is at most 253 characters) */
#define CIOT_TLS_ALPN_MAX 128     /* ALPN protocols, comma-separated */

/* Record layer (RFC 8446 section 5, RFC 5246 section 6.2). */
#define CIOT_TLS_RECORD_HEADER 5
#define CIOT_TLS_MAX_RECORD (16384 + 2048) /* the largest TLSCiphertext of any version */
enum ciot_tls_content_type {
	CIOT_TLS_CHANGE_CIPHER_SPEC = 20,
	CIOT_TLS_ALERT = 21,
	CIOT_TLS_HANDSHAKE = 22,
	CIOT_TLS_APPLICATION_DATA = 23,
	CIOT_TLS_HEARTBEAT = 24
};
/* A TLS record header's fields. */
struct ciot_tls_record_header {
	uint8_t type;
	uint16_t version;
	uint16_t length;   /* of the body that follows the header */
};
/* Reads the record header at the start of [p, p+n); false when fewer than 5 bytes are there. */
bool ciot_tls_record_header_read(const uint8_t *p, size_t n, struct ciot_tls_record_header *h);
/* Whether [p, p+n) starts with a record header a TLS or SSLv3 peer could send: a known content
 * type, version 3.0 to 3.4, and a length from 1 to CIOT_TLS_MAX_RECORD. */
bool ciot_tls_record_header_plausible(const uint8_t *p, size_t n);
/* The same for a DTLS record header (RFC 6347 section 4.1: 13 bytes): a known content type and
 * version DTLS 1.0, 1.2 or 1.3 (0xfeff, 0xfefd, 0xfefc), or 0x0100, OpenSSL's DTLS from before the
 * RFC (DTLS1_BAD_VER), which Cisco AnyConnect still speaks. */
#define CIOT_DTLS_RECORD_HEADER 13
bool ciot_dtls_record_header_plausible(const uint8_t *p, size_t n);

/* One record of a DTLS datagram: a plaintext header (RFC 6347 section 4.1, RFC 9147 section 4) or
 * DTLS 1.3's unified header, which only protected records have (RFC 9147 section 4). */
struct ciot_dtls_record {
	bool unified;          /* DTLS 1.3's unified header: protected, epoch above 0 */
	uint8_t type;          /* the content type; application data for a unified header */
	uint16_t epoch;        /* for a unified header, the epoch's low two bits */
	const uint8_t *body;
	size_t length;         /* body bytes in the datagram */
	bool cut;              /* the header's length runs past the captured datagram: `length` is
				* what is there */
};
/* The one walker over a datagram's records: reads the record at *pos of [p, p+n) and moves *pos
 * past it. False, *pos unmoved, when the bytes there are no record header (or too few for one).
 * A unified header without a length, or with a connection ID (whose length only the handshake
 * told), runs to the datagram's end. */
bool ciot_dtls_next_record(const uint8_t *p, size_t n, size_t *pos, struct ciot_dtls_record *r);

enum ciot_tls_handshake_type {
	CIOT_TLS_CLIENT_HELLO = 1,
	CIOT_TLS_SERVER_HELLO = 2,
	CIOT_TLS_NEW_SESSION_TICKET = 4,
	CIOT_TLS_CERTIFICATE = 11,
	CIOT_TLS_SERVER_KEY_EXCHANGE = 12,
	CIOT_TLS_CERTIFICATE_REQUEST = 13,
	CIOT_TLS_SERVER_HELLO_DONE = 14,
	CIOT_TLS_CLIENT_KEY_EXCHANGE = 16,
	CIOT_TLS_FINISHED = 20
};

enum ciot_tls_result { CIOT_TLS_OK, CIOT_TLS_TRUNCATED, CIOT_TLS_MALFORMED };

struct ciot_tls_client_hello {
	uint16_t legacy_version;                      /* client_version */
	uint16_t versions[CIOT_TLS_MAX_VERSIONS];     /* supported_versions, GREASE values left out */
	unsigned nversions;
	uint16_t ciphers[CIOT_TLS_MAX_CIPHERS];       /* GREASE values left out */
	unsigned nciphers;
	bool ciphers_truncated;                       /* more than CIOT_TLS_MAX_CIPHERS */
	char sni[CIOT_TLS_NAME_MAX];                  /* host_name of server_name, "" when absent */
	char alpn[CIOT_TLS_ALPN_MAX];                 /* "h2,http/1.1", "" when absent */
	bool session_id;                              /* a non-empty legacy_session_id */
	uint8_t session_id_bytes[32];
	uint8_t session_id_len;
	bool session_ticket;                          /* session_ticket extension with a ticket (resumption) */
	bool psk;                                     /* pre_shared_key extension (TLS 1.3 resumption or PSK) */
	bool sslv2;                                   /* sent as an SSLv2 ClientHello */
};

struct ciot_tls_server_hello {
	uint16_t legacy_version;    /* server_version */
	uint16_t selected_version;  /* supported_versions (TLS 1.3), 0 when absent */
	uint16_t cipher;
	uint8_t session_id_bytes[32];
	uint8_t session_id_len;
	bool psk;                   /* pre_shared_key accepted */
	bool hello_retry_request;   /* the TLS 1.3 HelloRetryRequest random */
};

/* A DTLS handshake fragment (RFC 6347 section 4.2.2, RFC 9147 section 5.2): its 12-byte header and
 * its bytes. CIOT_TLS_TRUNCATED when fewer bytes than the header and the fragment are there,
 * CIOT_TLS_MALFORMED when the fragment reaches past its message's end (it could never complete). */
#define CIOT_DTLS_HANDSHAKE_HEADER 12
struct ciot_dtls_fragment {
	uint8_t type;
	uint16_t seq;           /* message_seq */
	uint32_t total;         /* the whole message's length */
	uint32_t offset, length;
	const uint8_t *body;
};
enum ciot_tls_result ciot_dtls_fragment_read(const uint8_t *p, size_t n, struct ciot_dtls_fragment *f,
					     size_t *consumed);

/* The next whole handshake message in [p, p+len): its type, body and total length (header
 * included). CIOT_TLS_TRUNCATED when the message is not all there yet. `dtls` reads DTLS's 12-byte
 * header (a fragment that is not the whole message is CIOT_TLS_TRUNCATED, with the outputs still
 * describing the fragment when all of its bytes are there, so that the caller can keep fragments
 * together). The body parsers below return only OK or MALFORMED and fill their output as they go:
 * a damaged message still yields what came before the damage. Names (SNI) are kept as sent:
 * whoever prints them escapes them. */
enum ciot_tls_result ciot_tls_handshake_next(const uint8_t *p, size_t len, bool dtls, uint8_t *type,
					     const uint8_t **body, size_t *body_len, size_t *consumed);

enum ciot_tls_result ciot_tls_parse_client_hello(const uint8_t *body, size_t len, bool dtls,
						 struct ciot_tls_client_hello *out);
enum ciot_tls_result ciot_tls_parse_server_hello(const uint8_t *body, size_t len, bool dtls,
						 struct ciot_tls_server_hello *out);
/* An SSLv2 ClientHello record (its 2- or 3-byte record header included). */
enum ciot_tls_result ciot_tls_parse_sslv2_client_hello(const uint8_t *p, size_t len, struct ciot_tls_client_hello *out);
/* Whether [p, p+len) starts an SSLv2 ClientHello record. */
bool ciot_tls_is_sslv2_client_hello(const uint8_t *p, size_t len);

/* A Certificate message: fn is called with each DER certificate in order (0 = leaf), for the first
 * CIOT_TLS_MAX_CHAIN of them. `tls13` reads TLS 1.3's format (a context and per-entry extensions).
 * *entries (may be NULL) counts every entry read, also those past the cap and those before damage. */
#define CIOT_TLS_MAX_CHAIN 16
typedef void (*ciot_tls_certificate_fn)(void *ctx, unsigned index, const uint8_t *der, size_t len);
enum ciot_tls_result ciot_tls_parse_certificate(const uint8_t *body, size_t len, bool tls13, ciot_tls_certificate_fn fn,
						void *ctx, unsigned *entries);

/* Names. Versions exactly "SSLv2", "SSLv3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "DTLS1.0",
 * "DTLS1.2", "DTLS1.3"; an unknown value as "0x%04x" into buf (at least 8 bytes). */
const char *ciot_tls_version_name(uint16_t version, char *buf, size_t buflen);
/* The highest non-GREASE version of a list, 0 for none. */
uint16_t ciot_tls_highest_version(const uint16_t *versions, unsigned n);
/* Alert descriptions: "close_notify", "unknown_ca", ...; NULL for an unknown value. */
const char *ciot_tls_alert_name(uint8_t description);
bool ciot_tls_is_grease(uint16_t value);

/* Cipher suites from the IANA registry. */
enum ciot_tls_cipher_flags {
	CIOT_CIPHER_INSECURE = 1 << 0,      /* RC4, DES, 3DES, EXPORT */
	CIOT_CIPHER_NO_ENCRYPTION = 1 << 1, /* NULL encryption */
	CIOT_CIPHER_NO_AUTH = 1 << 2,       /* anonymous key exchange */
	CIOT_CIPHER_FORWARD_SECRET = 1 << 3,/* (EC)DHE, and every TLS 1.3 suite */
	CIOT_CIPHER_PSK = 1 << 4            /* PSK key exchange */
};
struct ciot_tls_cipher {
	uint16_t id;
	const char *name; /* "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	unsigned flags;
};
/* NULL when the registry has no such suite. */
const struct ciot_tls_cipher *ciot_tls_cipher_lookup(uint16_t id);
/* IoTLS's classes, the worst that applies: "insecure", "no-encryption", "anonymous", "psk",
 * "forward-secret", "other" (RSA key transport and the like), "unknown" (not in the registry, and
 * the two signalling values, TLS_EMPTY_RENEGOTIATION_INFO_SCSV and TLS_FALLBACK_SCSV). The table
 * holds every value IANA assigned plus the 9 it reserves for deployed pre-standard suites. */
const char *ciot_tls_cipher_class(uint16_t id);

#endif
