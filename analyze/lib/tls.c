/* tls.c: reads the clear-text parts of TLS and DTLS handshakes that an audit needs (the hellos, the
 * Certificate message, SSLv2's ClientHello) and names versions, alerts and cipher suites.
 *
 * Wire formats: TLS 1.3 (RFC 8446: sections 4.1.2 ClientHello, 4.1.3 ServerHello and the
 * HelloRetryRequest random, 4.2 extensions, 4.4.2 Certificate, 6 alerts), TLS 1.2/1.1/1.0 (RFC 5246,
 * 4346, 2246: the same hellos without supported_versions, Certificate without context and entry
 * extensions), SSL 3.0 (RFC 6101), the SSLv2-compatible ClientHello (RFC 5246 appendix E.2, RFC
 * 6101 appendix E), DTLS 1.2 and 1.3 (RFC 6347 section 4.2.2 and RFC 9147 section 5.2: a 12-byte
 * handshake header with fragments, a cookie in the ClientHello). Extensions: server_name (RFC
 * 6066), ALPN (RFC 7301), session_ticket (RFC 5077), supported_versions and pre_shared_key (RFC
 * 8446), GREASE (RFC 8701). Names: IANA's "TLS Cipher Suites", "TLS Alerts" registries.
 *
 * Every byte comes from the network, so every read goes through cursor.h: a length field can only
 * narrow the window it is read from (ciot_cursor_sub), never widen it, and a short read sets the
 * cursor's sticky error instead of reading on. Nothing here allocates; everything kept is copied
 * into the caller's fixed-size structures, bounded by the constants in tls.h.
 *
 * The parsers fill their output as they go: when a message turns out to be malformed, what was read
 * before the damage is still there (a ClientHello cut inside its extensions still has its cipher
 * suites), and the result says CIOT_TLS_MALFORMED. A message body is what ciot_tls_handshake_next
 * returned, so its length is authoritative: a field running past its end is MALFORMED, not
 * TRUNCATED. Only the framing functions (handshake_next, the SSLv2 record) answer TRUNCATED.
 */
#include <stdio.h>
#include <string.h>

#include "ciot/cursor.h"
#include "tls.h"

#define TLS_RANDOM_LEN 32
#define TLS_SESSION_ID_MAX 32

#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_SESSION_TICKET 35
#define EXT_PRE_SHARED_KEY 41
#define EXT_SUPPORTED_VERSIONS 43
#define SNI_HOST_NAME 0

#define SSLV2_CLIENT_HELLO 1
#define SSLV2_CHALLENGE_MIN 16
#define SSLV2_CHALLENGE_MAX 32

_Static_assert(sizeof(((struct ciot_tls_client_hello *)0)->session_id_bytes) == TLS_SESSION_ID_MAX,
	       "a session id is at most 32 bytes");

/* ---- framing ---------------------------------------------------------------------------------- */

bool ciot_tls_record_header_read(const uint8_t *p, size_t n, struct ciot_tls_record_header *h)
{
	struct ciot_cursor c = ciot_cursor_make(p, p ? n : 0);
	h->type = ciot_cursor_u8(&c);
	h->version = ciot_cursor_be16(&c);
	h->length = ciot_cursor_be16(&c);
	return !c.err;
}

bool ciot_tls_record_header_plausible(const uint8_t *p, size_t n)
{
	struct ciot_tls_record_header h;
	if (!ciot_tls_record_header_read(p, n, &h))
		return false;
	return h.type >= CIOT_TLS_CHANGE_CIPHER_SPEC && h.type <= CIOT_TLS_HEARTBEAT && h.version >> 8 == 3 &&
	       (h.version & 0xff) <= 4 && h.length > 0 && h.length <= CIOT_TLS_MAX_RECORD;
}

bool ciot_dtls_record_header_plausible(const uint8_t *p, size_t n)
{
	struct ciot_cursor c = ciot_cursor_make(p, p ? n : 0);
	uint8_t type = ciot_cursor_u8(&c);
	uint16_t version = ciot_cursor_be16(&c);
	if (!ciot_cursor_skip(&c, CIOT_DTLS_RECORD_HEADER - 3) || type < CIOT_TLS_CHANGE_CIPHER_SPEC ||
	    type > CIOT_TLS_HEARTBEAT)
		return false;
	return version == 0xfeff || version == 0xfefd || version == 0xfefc || version == 0x0100;
}

#define DTLS_UNIFIED_MASK 0xe0
#define DTLS_UNIFIED_BITS 0x20
#define DTLS_UNIFIED_CID 0x10    /* a connection ID follows */
#define DTLS_UNIFIED_SEQ16 0x08  /* the sequence number is 16 bits, not 8 */
#define DTLS_UNIFIED_LENGTH 0x04 /* a length follows */
#define DTLS_UNIFIED_EPOCH 0x03

bool ciot_dtls_next_record(const uint8_t *p, size_t n, size_t *pos, struct ciot_dtls_record *r)
{
	if (!p || *pos >= n)
		return false;
	struct ciot_cursor c = ciot_cursor_make(p + *pos, n - *pos);
	memset(r, 0, sizeof *r);
	uint8_t first = ciot_cursor_u8(&c);
	size_t length;
	if ((first & DTLS_UNIFIED_MASK) == DTLS_UNIFIED_BITS) {
		bool cid = first & DTLS_UNIFIED_CID, has_length = (first & DTLS_UNIFIED_LENGTH) && !cid;
		ciot_cursor_skip(&c, (first & DTLS_UNIFIED_SEQ16) ? 2 : 1);
		length = has_length ? ciot_cursor_be16(&c) : ciot_cursor_left(&c);
		if (c.err)
			return false;
		r->unified = true;
		r->type = CIOT_TLS_APPLICATION_DATA;
		r->epoch = first & DTLS_UNIFIED_EPOCH;
	} else {
		if (!ciot_dtls_record_header_plausible(p + *pos, n - *pos))
			return false;
		r->type = first;
		ciot_cursor_skip(&c, 2); /* the version */
		r->epoch = ciot_cursor_be16(&c);
		ciot_cursor_skip(&c, 6); /* the sequence number */
		length = ciot_cursor_be16(&c);
	}
	size_t left = ciot_cursor_left(&c);
	r->cut = length > left;
	r->length = r->cut ? left : length;
	r->body = ciot_cursor_take(&c, r->length);
	*pos += c.off;
	return true;
}

/* A TLS handshake header is msg_type and length<3> (RFC 8446 section 4); DTLS adds message_seq<2>,
 * fragment_offset<3> and fragment_length<3> (RFC 6347 section 4.2.2, RFC 9147 section 5.2).
 *
 * On CIOT_TLS_TRUNCATED for a DTLS fragment that is all there but is not the whole message, the
 * outputs describe the fragment itself (its type, its bytes, and how far to skip past it), so that
 * the caller can put fragments together; on a TRUNCATED because bytes are missing they are zero. */
enum ciot_tls_result ciot_tls_handshake_next(const uint8_t *p, size_t len, bool dtls, uint8_t *type,
					     const uint8_t **body, size_t *body_len, size_t *consumed)
{
	*type = 0;
	*body = NULL;
	*body_len = 0;
	*consumed = 0;
	if (p == NULL)
		return CIOT_TLS_TRUNCATED;
	if (dtls) {
		struct ciot_dtls_fragment f;
		enum ciot_tls_result r = ciot_dtls_fragment_read(p, len, &f, consumed);
		if (r == CIOT_TLS_MALFORMED || !f.body)
			return r;
		*type = f.type;
		*body = f.body;
		*body_len = f.length;
		return f.offset == 0 && f.length == f.total ? CIOT_TLS_OK : CIOT_TLS_TRUNCATED;
	}
	struct ciot_cursor c = ciot_cursor_make(p, len);
	uint8_t t = ciot_cursor_u8(&c);
	uint32_t length = ciot_cursor_be24(&c);
	const uint8_t *b = ciot_cursor_take(&c, length);
	if (b == NULL)
		return CIOT_TLS_TRUNCATED;
	*type = t;
	*body = b;
	*body_len = length;
	*consumed = c.off;
	return CIOT_TLS_OK;
}

enum ciot_tls_result ciot_dtls_fragment_read(const uint8_t *p, size_t n, struct ciot_dtls_fragment *f,
					     size_t *consumed)
{
	memset(f, 0, sizeof *f);
	*consumed = 0;
	struct ciot_cursor c = ciot_cursor_make(p, p ? n : 0);
	uint8_t type = ciot_cursor_u8(&c);
	uint32_t total = ciot_cursor_be24(&c);
	uint16_t seq = ciot_cursor_be16(&c);
	uint32_t offset = ciot_cursor_be24(&c), length = ciot_cursor_be24(&c);
	if (c.err)
		return CIOT_TLS_TRUNCATED;
	/* A fragment reaching past its message's end can never be completed. */
	if (offset > total || length > total - offset)
		return CIOT_TLS_MALFORMED;
	const uint8_t *b = ciot_cursor_take(&c, length);
	if (b == NULL)
		return CIOT_TLS_TRUNCATED;
	f->type = type;
	f->seq = seq;
	f->total = total;
	f->offset = offset;
	f->length = length;
	f->body = b;
	*consumed = c.off;
	return CIOT_TLS_OK;
}

/* ---- pieces shared by the hellos -------------------------------------------------------------- */

bool ciot_tls_is_grease(uint16_t value)
{
	/* RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa: both bytes equal, low nibble 0xa. */
	return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

/* legacy_session_id<0..32>: a longer one is malformed, whatever the version. */
static bool read_session_id(struct ciot_cursor *c, uint8_t out[TLS_SESSION_ID_MAX], uint8_t *out_len)
{
	uint8_t n = ciot_cursor_u8(c);
	const uint8_t *id = ciot_cursor_take(c, n);
	if (id == NULL || n > TLS_SESSION_ID_MAX)
		return false;
	memcpy(out, id, n);
	*out_len = n;
	return true;
}

/* Whether the cursor was read without error and to its very end: a length-prefixed structure must
 * be exactly as long as its length says. */
static bool used_up(const struct ciot_cursor *c)
{
	return !c->err && c->off == c->len;
}

typedef bool (*extension_fn)(void *ctx, uint16_t type, struct ciot_cursor *data);

/* The extensions block that ends both hellos (RFC 8446 section 4.2, RFC 5246 section 7.4.1.2): a
 * hello may end before it (SSL 3.0 and early TLS clients send none), but when it is there it must
 * be the rest of the message, and no extension type may appear twice (RFC 8446 section 4.2: "There
 * MUST NOT be more than one extension of the same type"; two server_name or supported_versions
 * extensions would otherwise make it ambiguous which one counts). fn sees each extension's data
 * and answers whether it was well formed. */
static enum ciot_tls_result read_extensions(struct ciot_cursor *c, extension_fn fn, void *ctx)
{
	if (c->err)
		return CIOT_TLS_MALFORMED;
	if (ciot_cursor_left(c) == 0)
		return CIOT_TLS_OK;
	uint16_t n = ciot_cursor_be16(c);
	struct ciot_cursor list = ciot_cursor_sub(c, n);
	if (!used_up(c))
		return CIOT_TLS_MALFORMED;
	/* one bit per type: 8 KB of stack, where a search of the types seen so far would be quadratic
	 * in a hostile hello's 16,000 empty extensions */
	uint8_t seen[65536 / 8];
	memset(seen, 0, sizeof seen);
	while (ciot_cursor_left(&list) > 0) {
		uint16_t type = ciot_cursor_be16(&list);
		uint16_t len = ciot_cursor_be16(&list);
		struct ciot_cursor data = ciot_cursor_sub(&list, len);
		if (list.err || (seen[type >> 3] & (1u << (type & 7))))
			return CIOT_TLS_MALFORMED;
		seen[type >> 3] |= (uint8_t)(1u << (type & 7));
		if (!fn(ctx, type, &data))
			return CIOT_TLS_MALFORMED;
	}
	return CIOT_TLS_OK;
}

/* ---- ClientHello ------------------------------------------------------------------------------ */

/* server_name (RFC 6066 section 3): ServerNameList<1..2^16-1> of (name_type, opaque<1..2^16-1>).
 * The first host_name is kept; other name types (none is defined) are skipped by their length. A
 * host name is a DNS name, at most 253 characters (254 with a final dot), so one that does not fit
 * CIOT_TLS_NAME_MAX (255 and the NUL) cannot be one and is malformed rather than cut; a NUL inside
 * one would make the C string say something other than what was sent (the classic
 * "good.com\0.evil.com" trick), so it is malformed too. Other bytes are kept as sent: whoever prints
 * the name escapes it. */
static bool read_server_name(struct ciot_cursor *d, char sni[CIOT_TLS_NAME_MAX])
{
	uint16_t n = ciot_cursor_be16(d);
	struct ciot_cursor list = ciot_cursor_sub(d, n);
	if (!used_up(d) || n == 0)
		return false;
	while (ciot_cursor_left(&list) > 0) {
		uint8_t name_type = ciot_cursor_u8(&list);
		uint16_t len = ciot_cursor_be16(&list);
		const uint8_t *name = ciot_cursor_take(&list, len);
		if (name == NULL || len == 0)
			return false;
		if (name_type != SNI_HOST_NAME || sni[0] != '\0')
			continue;
		if (len >= CIOT_TLS_NAME_MAX || memchr(name, 0, len) != NULL)
			return false;
		memcpy(sni, name, len);
		sni[len] = '\0';
	}
	return true;
}

/* ALPN (RFC 7301 section 3.1): ProtocolNameList<2..2^16-1> of opaque<1..2^8-1>, joined with ','.
 * Whole names only, in order, as many as fit CIOT_TLS_ALPN_MAX (the rest are still checked); a
 * byte that is not printable ASCII, or a ',' (which would split a name in two), becomes '?'. */
static bool read_alpn(struct ciot_cursor *d, char alpn[CIOT_TLS_ALPN_MAX])
{
	uint16_t n = ciot_cursor_be16(d);
	struct ciot_cursor list = ciot_cursor_sub(d, n);
	if (!used_up(d) || n < 2)
		return false;
	size_t o = 0;
	bool full = false;
	while (ciot_cursor_left(&list) > 0) {
		uint8_t len = ciot_cursor_u8(&list);
		const uint8_t *name = ciot_cursor_take(&list, len);
		if (name == NULL || len == 0)
			return false;
		if (full || o + (o ? 1u : 0u) + len >= CIOT_TLS_ALPN_MAX) {
			full = true;
			continue;
		}
		if (o)
			alpn[o++] = ',';
		for (size_t i = 0; i < len; i++)
			alpn[o++] = name[i] > ' ' && name[i] <= '~' && name[i] != ',' ? (char)name[i] : '?';
		alpn[o] = '\0'; /* after each name: a damaged list still leaves a string */
	}
	return true;
}

/* supported_versions in a ClientHello (RFC 8446 section 4.2.1): ProtocolVersion versions<2..254>. */
static bool read_client_versions(struct ciot_cursor *d, struct ciot_tls_client_hello *out)
{
	uint8_t n = ciot_cursor_u8(d);
	struct ciot_cursor list = ciot_cursor_sub(d, n);
	if (!used_up(d) || n < 2 || n % 2 != 0)
		return false;
	while (ciot_cursor_left(&list) > 0) {
		uint16_t v = ciot_cursor_be16(&list);
		if (!ciot_tls_is_grease(v) && out->nversions < CIOT_TLS_MAX_VERSIONS)
			out->versions[out->nversions++] = v;
	}
	return true;
}

/* pre_shared_key in a ClientHello (RFC 8446 section 4.2.11): identities<7..2^16-1> of
 * (opaque identity<1..2^16-1>, uint32 obfuscated_ticket_age), then binders<33..2^16-1> of
 * opaque<32..255>. Only its presence is kept, but its shape is checked so that garbage does not
 * count as a resumption. */
static bool read_offered_psks(struct ciot_cursor *d)
{
	uint16_t n = ciot_cursor_be16(d);
	struct ciot_cursor ids = ciot_cursor_sub(d, n);
	if (ids.err || n < 7)
		return false;
	while (ciot_cursor_left(&ids) > 0) {
		uint16_t len = ciot_cursor_be16(&ids);
		ciot_cursor_skip(&ids, len);
		ciot_cursor_skip(&ids, 4);
		if (ids.err || len == 0)
			return false;
	}
	n = ciot_cursor_be16(d);
	struct ciot_cursor binders = ciot_cursor_sub(d, n);
	if (!used_up(d) || n < 33)
		return false;
	while (ciot_cursor_left(&binders) > 0) {
		uint8_t len = ciot_cursor_u8(&binders);
		if (!ciot_cursor_skip(&binders, len) || len < 32)
			return false;
	}
	return true;
}

static bool client_extension(void *ctx, uint16_t type, struct ciot_cursor *d)
{
	struct ciot_tls_client_hello *out = ctx;
	switch (type) {
	case EXT_SERVER_NAME:
		return read_server_name(d, out->sni);
	case EXT_ALPN:
		return read_alpn(d, out->alpn);
	case EXT_SUPPORTED_VERSIONS:
		return read_client_versions(d, out);
	case EXT_SESSION_TICKET:
		/* RFC 5077 section 3.2: empty asks for a ticket, a ticket inside resumes with it. */
		out->session_ticket = ciot_cursor_left(d) > 0;
		return true;
	case EXT_PRE_SHARED_KEY:
		out->psk = read_offered_psks(d);
		return out->psk;
	default:
		return true;
	}
}

enum ciot_tls_result ciot_tls_parse_client_hello(const uint8_t *body, size_t len, bool dtls,
						 struct ciot_tls_client_hello *out)
{
	memset(out, 0, sizeof *out);
	struct ciot_cursor c = ciot_cursor_make(body, len);
	out->legacy_version = ciot_cursor_be16(&c);
	ciot_cursor_skip(&c, TLS_RANDOM_LEN);
	if (!read_session_id(&c, out->session_id_bytes, &out->session_id_len))
		return CIOT_TLS_MALFORMED;
	out->session_id = out->session_id_len > 0;
	if (dtls) {
		/* DTLS's cookie<0..2^8-1> (RFC 6347 section 4.2.1; RFC 9147 keeps it, empty). */
		uint8_t cookie = ciot_cursor_u8(&c);
		ciot_cursor_skip(&c, cookie);
	}
	/* cipher_suites<2..2^16-2>: whole two-byte values, at least one. Past CIOT_TLS_MAX_CIPHERS they
	 * are read but not kept, and ciphers_truncated says so: nciphers never passes the cap, so a
	 * loop over it cannot run off the array. */
	uint16_t n = ciot_cursor_be16(&c);
	struct ciot_cursor suites = ciot_cursor_sub(&c, n);
	if (c.err || n < 2 || n % 2 != 0)
		return CIOT_TLS_MALFORMED;
	while (ciot_cursor_left(&suites) > 0) {
		uint16_t suite = ciot_cursor_be16(&suites);
		if (ciot_tls_is_grease(suite))
			continue;
		if (out->nciphers < CIOT_TLS_MAX_CIPHERS)
			out->ciphers[out->nciphers++] = suite;
		else
			out->ciphers_truncated = true;
	}
	/* legacy_compression_methods<1..2^8-1> */
	uint8_t methods = ciot_cursor_u8(&c);
	if (!ciot_cursor_skip(&c, methods) || methods == 0)
		return CIOT_TLS_MALFORMED;
	return read_extensions(&c, client_extension, out);
}

/* ---- ServerHello ------------------------------------------------------------------------------ */

/* RFC 8446 section 4.1.3: a HelloRetryRequest is a ServerHello with this random, SHA-256 of
 * "HelloRetryRequest". */
static const uint8_t hello_retry_random[TLS_RANDOM_LEN] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static bool server_extension(void *ctx, uint16_t type, struct ciot_cursor *d)
{
	struct ciot_tls_server_hello *out = ctx;
	switch (type) {
	case EXT_SUPPORTED_VERSIONS:
		/* the selected_version alone (RFC 8446 section 4.2.1) */
		out->selected_version = ciot_cursor_be16(d);
		return used_up(d);
	case EXT_PRE_SHARED_KEY:
		/* selected_identity (RFC 8446 section 4.2.11): the server resumed or used a PSK */
		ciot_cursor_be16(d);
		out->psk = used_up(d);
		return out->psk;
	default:
		return true;
	}
}

/* DTLS's ServerHello has the same layout as TLS's (no cookie), so `dtls` changes nothing here; it
 * is in the signature so that callers treat both hellos alike. */
enum ciot_tls_result ciot_tls_parse_server_hello(const uint8_t *body, size_t len, bool dtls,
						 struct ciot_tls_server_hello *out)
{
	(void)dtls;
	memset(out, 0, sizeof *out);
	struct ciot_cursor c = ciot_cursor_make(body, len);
	out->legacy_version = ciot_cursor_be16(&c);
	const uint8_t *random = ciot_cursor_take(&c, TLS_RANDOM_LEN);
	if (random == NULL)
		return CIOT_TLS_MALFORMED;
	out->hello_retry_request = memcmp(random, hello_retry_random, TLS_RANDOM_LEN) == 0;
	if (!read_session_id(&c, out->session_id_bytes, &out->session_id_len))
		return CIOT_TLS_MALFORMED;
	out->cipher = ciot_cursor_be16(&c);
	ciot_cursor_skip(&c, 1); /* legacy_compression_method */
	return read_extensions(&c, server_extension, out);
}

/* ---- SSLv2 ClientHello ------------------------------------------------------------------------ */

/* RFC 6101 appendix E.1 and RFC 5246 appendix E.2. The record header is two bytes with the high
 * bit set (length in the low 15 bits) or, rarely, three (high bit clear, length in the low 14 bits,
 * then a padding count, which a clear-text hello cannot need). The message: msg_type (1), version,
 * cipher_spec_length, session_id_length, challenge_length, then the three fields. */
static enum ciot_tls_result sslv2_record(struct ciot_cursor *c, struct ciot_cursor *msg)
{
	uint8_t b0 = ciot_cursor_u8(c);
	uint8_t b1 = ciot_cursor_u8(c);
	size_t length;
	if (b0 & 0x80) {
		length = (size_t)(b0 & 0x7f) << 8 | b1;
	} else {
		length = (size_t)(b0 & 0x3f) << 8 | b1;
		uint8_t padding = ciot_cursor_u8(c);
		if (!c->err && padding != 0)
			return CIOT_TLS_MALFORMED;
	}
	*msg = ciot_cursor_sub(c, length);
	return c->err ? CIOT_TLS_TRUNCATED : CIOT_TLS_OK;
}

/* Only the two-byte header is recognised: it is what every SSLv2-compatible hello uses (RFC 5246
 * appendix E.2 requires it), and a three-byte one cannot be told from the start of a TLS record.
 * Five bytes are needed, to see the message type and the version's first byte: 0x00 (SSL 2.0's
 * 0x0002) or 0x03 (a TLS client's compatible hello). */
bool ciot_tls_is_sslv2_client_hello(const uint8_t *p, size_t len)
{
	if (p == NULL)
		return false;
	struct ciot_cursor c = ciot_cursor_make(p, len);
	uint16_t header = ciot_cursor_be16(&c);
	uint8_t type = ciot_cursor_u8(&c);
	uint16_t version = ciot_cursor_be16(&c);
	return !c.err && (header & 0x8000) && (header & 0x7fff) >= 9 && type == SSLV2_CLIENT_HELLO &&
	       (version == 0x0002 || version >> 8 == 0x03);
}

enum ciot_tls_result ciot_tls_parse_sslv2_client_hello(const uint8_t *p, size_t len,
						       struct ciot_tls_client_hello *out)
{
	memset(out, 0, sizeof *out);
	out->sslv2 = true;
	if (p == NULL)
		return CIOT_TLS_TRUNCATED;
	struct ciot_cursor c = ciot_cursor_make(p, len), m;
	enum ciot_tls_result r = sslv2_record(&c, &m);
	if (r != CIOT_TLS_OK)
		return r;
	uint8_t type = ciot_cursor_u8(&m);
	uint16_t version = ciot_cursor_be16(&m);
	uint16_t specs_len = ciot_cursor_be16(&m);
	uint16_t session_id_len = ciot_cursor_be16(&m);
	uint16_t challenge_len = ciot_cursor_be16(&m);
	struct ciot_cursor specs = ciot_cursor_sub(&m, specs_len);
	const uint8_t *session_id = ciot_cursor_take(&m, session_id_len);
	ciot_cursor_skip(&m, challenge_len);
	/* The lengths must add up to the record exactly; SSL 2.0 session ids are 16 bytes (0 when
	 * not resuming), but anything that fits a TLS one is accepted. */
	if (!used_up(&m) || type != SSLV2_CLIENT_HELLO || specs_len == 0 || specs_len % 3 != 0 ||
	    session_id_len > TLS_SESSION_ID_MAX || challenge_len < SSLV2_CHALLENGE_MIN ||
	    challenge_len > SSLV2_CHALLENGE_MAX)
		return CIOT_TLS_MALFORMED;
	out->legacy_version = version;
	memcpy(out->session_id_bytes, session_id, session_id_len);
	out->session_id_len = (uint8_t)session_id_len;
	out->session_id = session_id_len > 0;
	/* Three-byte cipher specs: those starting with 0 are TLS cipher suites (RFC 5246 appendix
	 * E.2); the others are SSL 2.0's own kinds, which no TLS server can choose. */
	while (ciot_cursor_left(&specs) > 0) {
		uint8_t kind = ciot_cursor_u8(&specs);
		uint16_t suite = ciot_cursor_be16(&specs);
		if (kind != 0 || ciot_tls_is_grease(suite))
			continue;
		if (out->nciphers < CIOT_TLS_MAX_CIPHERS)
			out->ciphers[out->nciphers++] = suite;
		else
			out->ciphers_truncated = true;
	}
	return CIOT_TLS_OK;
}

/* ---- Certificate ------------------------------------------------------------------------------ */

/* TLS 1.2 and before (RFC 5246 section 7.4.2): certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
 * TLS 1.3 (RFC 8446 section 4.4.2): certificate_request_context<0..2^8-1> first, and each entry's
 * cert_data followed by extensions<0..2^16-1>. Entries are reported as they are read, so the leaf
 * of a chain damaged further on is still reported; entries past CIOT_TLS_MAX_CHAIN are still
 * checked and counted but not reported. */
enum ciot_tls_result ciot_tls_parse_certificate(const uint8_t *body, size_t len, bool tls13,
						ciot_tls_certificate_fn fn, void *ctx, unsigned *entries)
{
	unsigned index = 0;
	if (entries)
		*entries = 0;
	struct ciot_cursor c = ciot_cursor_make(body, len);
	if (tls13) {
		uint8_t context = ciot_cursor_u8(&c);
		ciot_cursor_skip(&c, context);
	}
	uint32_t n = ciot_cursor_be24(&c);
	struct ciot_cursor list = ciot_cursor_sub(&c, n);
	if (!used_up(&c))
		return CIOT_TLS_MALFORMED;
	while (ciot_cursor_left(&list) > 0) {
		uint32_t der_len = ciot_cursor_be24(&list);
		const uint8_t *der = ciot_cursor_take(&list, der_len);
		if (tls13) {
			uint16_t ext_len = ciot_cursor_be16(&list);
			ciot_cursor_skip(&list, ext_len);
		}
		if (list.err || der_len == 0)
			return CIOT_TLS_MALFORMED;
		if (index < CIOT_TLS_MAX_CHAIN && fn)
			fn(ctx, index, der, der_len);
		index++;
		if (entries)
			*entries = index;
	}
	return CIOT_TLS_OK;
}

/* ---- names ------------------------------------------------------------------------------------ */

struct value_name {
	uint16_t value;
	const char *name;
};

/* ProtocolVersion values; SSL 2.0 is 0x0002 as in IANA's registry and in an SSLv2 hello's version
 * field; DTLS versions are the one's complement of (1, minor) (RFC 6347 section 4.1). */
static const struct value_name version_names[] = {
	{ 0x0002, "SSLv2" },   { 0x0300, "SSLv3" },   { 0x0301, "TLS1.0" },  { 0x0302, "TLS1.1" },
	{ 0x0303, "TLS1.2" },  { 0x0304, "TLS1.3" },  { 0xfeff, "DTLS1.0" }, { 0xfefd, "DTLS1.2" },
	{ 0xfefc, "DTLS1.3" }, { 0, NULL },
};

const char *ciot_tls_version_name(uint16_t version, char *buf, size_t buflen)
{
	for (const struct value_name *v = version_names; v->name; v++)
		if (v->value == version)
			return v->name;
	if (buf == NULL || buflen == 0)
		return "unknown";
	snprintf(buf, buflen, "0x%04x", version);
	return buf;
}

/* How new a version is, for comparing: TLS and SSL by value; a TLS 1.3 draft (0x7fNN, draft NN)
 * between 1.2 and 1.3; DTLS by the complement of its value, which counts up (DTLS 1.0 < 1.2 < 1.3)
 * and stays below every TLS version, since a list never mixes the two. */
static uint32_t version_rank(uint16_t v)
{
	if (v >> 8 == 0x7f)
		return (uint32_t)0x0303 << 8 | (v & 0xff);
	if (v >> 8 == 0xfe)
		return (uint32_t)(uint16_t)~v << 8;
	return (uint32_t)v << 8;
}

uint16_t ciot_tls_highest_version(const uint16_t *versions, unsigned n)
{
	uint16_t best = 0;
	for (unsigned i = 0; i < n; i++)
		if (!ciot_tls_is_grease(versions[i]) && versions[i] != 0 &&
		    (best == 0 || version_rank(versions[i]) > version_rank(best)))
			best = versions[i];
	return best;
}

/* IANA's "TLS Alerts" registry: RFC 8446 section 6 and the values it retired, which older peers
 * still send (decryption_failed and export_restriction from TLS 1.0, no_certificate from SSL 3.0,
 * the RFC 6066 certificate-status ones), plus general_error and ech_required, both in IANA's
 * registry. */
static const struct value_name alert_names[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 21, "decryption_failed" },
	{ 22, "record_overflow" },
	{ 30, "decompression_failure" },
	{ 40, "handshake_failure" },
	{ 41, "no_certificate" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 60, "export_restriction" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 111, "certificate_unobtainable" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 114, "bad_certificate_hash_value" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 117, "general_error" },
	{ 120, "no_application_protocol" },
	{ 121, "ech_required" },
	{ 0, NULL },
};

const char *ciot_tls_alert_name(uint8_t description)
{
	for (const struct value_name *a = alert_names; a->name; a++)
		if (a->value == description)
			return a->name;
	return NULL;
}

/* ---- cipher suites ---------------------------------------------------------------------------- */

#define INSECURE CIOT_CIPHER_INSECURE
#define NO_ENC CIOT_CIPHER_NO_ENCRYPTION
#define NO_AUTH CIOT_CIPHER_NO_AUTH
#define FS CIOT_CIPHER_FORWARD_SECRET
#define PSK CIOT_CIPHER_PSK

/* IANA's "TLS Cipher Suites" registry (tls-parameters-4.csv, 2024), every assigned value, sorted by
 * value for the binary search; names as IANA spells them (TLS_PSK_DHE_WITH_AES_128_CCM_8 included;
 * 0x1306 is TLS_AEGIS_256_SHA512, its current name). Besides, two ranges IANA reserves "to avoid
 * conflicts with widely deployed implementations", named as those implementations (OpenSSL 0.9.x,
 * Netscape) did, because old embedded stacks still offer them and they are insecure: 0x0060-0x0066
 * (the EXPORT1024 drafts and DHE_DSS RC4) and 0xFEFE-0xFEFF (Netscape's FIPS DES and 3DES). The
 * GREASE values (RFC 8701) are reserved, not suites, and left out; so are the ranges reserved for
 * SSLv3 FORTEZZA and private use.
 *
 * Flags, as IoTLS classifies (and as the test checks against the names):
 * - INSECURE: RC4, DES (single DES, DES40) and 3DES, EXPORT. IDEA does not count, as in IoTLS: its
 *   64-bit block is weak in the way 3DES's is (Sweet32), but IoTLS lists only RC4, DES, 3DES and
 *   EXPORT, and the paper's numbers are what ciot reproduces. GOST 28147 is not counted either.
 * - NO_ENC: NULL bulk encryption, including RFC 9150's integrity-only TLS_SHA256_SHA256 and
 *   TLS_SHA384_SHA384.
 * - NO_AUTH: anonymous key exchange (DH_anon, ECDH_anon, and TLS_NULL_WITH_NULL_NULL's none).
 *   DH_anon is ephemeral, but its forward secrecy is worth nothing without authentication, so it
 *   is not marked FS.
 * - FS: DHE and ECDHE key exchange (DHE_PSK and ECDHE_PSK too), and every TLS 1.3 suite (1.3's
 *   key exchange is (EC)DHE unless both sides settle for psk_ke, which the suite cannot show):
 *   0x1301-0x1307, SM4 (RFC 8998), the integrity-only ones and GOST's MGM (RFC 9367). Static DH
 *   and ECDH, RSA, Kerberos, SRP and ECCPWD are not marked.
 * - PSK: any pre-shared-key exchange (PSK, DHE_PSK, ECDHE_PSK, RSA_PSK).
 * The two signalling values (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV) have no flags. */
static const struct ciot_tls_cipher cipher_suites[] = {
	{ 0x0000, "TLS_NULL_WITH_NULL_NULL", NO_ENC | NO_AUTH },
	{ 0x0001, "TLS_RSA_WITH_NULL_MD5", NO_ENC },
	{ 0x0002, "TLS_RSA_WITH_NULL_SHA", NO_ENC },
	{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", INSECURE },
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5", INSECURE },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA", INSECURE },
	{ 0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", INSECURE },
	{ 0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", 0 },
	{ 0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", INSECURE },
	{ 0x0009, "TLS_RSA_WITH_DES_CBC_SHA", INSECURE },
	{ 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", INSECURE },
	{ 0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA", INSECURE },
	{ 0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", INSECURE },
	{ 0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA", INSECURE },
	{ 0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", INSECURE | FS },
	{ 0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", INSECURE | FS },
	{ 0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", INSECURE | FS },
	{ 0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", INSECURE | FS },
	{ 0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", INSECURE | FS },
	{ 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", INSECURE | FS },
	{ 0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", INSECURE | NO_AUTH },
	{ 0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", INSECURE | NO_AUTH },
	{ 0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", INSECURE | NO_AUTH },
	{ 0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", INSECURE | NO_AUTH },
	{ 0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", INSECURE | NO_AUTH },
	{ 0x001E, "TLS_KRB5_WITH_DES_CBC_SHA", INSECURE },
	{ 0x001F, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0x0020, "TLS_KRB5_WITH_RC4_128_SHA", INSECURE },
	{ 0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA", 0 },
	{ 0x0022, "TLS_KRB5_WITH_DES_CBC_MD5", INSECURE },
	{ 0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5", INSECURE },
	{ 0x0024, "TLS_KRB5_WITH_RC4_128_MD5", INSECURE },
	{ 0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5", 0 },
	{ 0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", INSECURE },
	{ 0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA", INSECURE },
	{ 0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA", INSECURE },
	{ 0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5", INSECURE },
	{ 0x002A, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5", INSECURE },
	{ 0x002B, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5", INSECURE },
	{ 0x002C, "TLS_PSK_WITH_NULL_SHA", NO_ENC | PSK },
	{ 0x002D, "TLS_DHE_PSK_WITH_NULL_SHA", NO_ENC | FS | PSK },
	{ 0x002E, "TLS_RSA_PSK_WITH_NULL_SHA", NO_ENC | PSK },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 0 },
	{ 0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", 0 },
	{ 0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", 0 },
	{ 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", FS },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", FS },
	{ 0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", NO_AUTH },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 0 },
	{ 0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", 0 },
	{ 0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", 0 },
	{ 0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", FS },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", FS },
	{ 0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", NO_AUTH },
	{ 0x003B, "TLS_RSA_WITH_NULL_SHA256", NO_ENC },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 0 },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 0 },
	{ 0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", 0 },
	{ 0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", 0 },
	{ 0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", FS },
	{ 0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", 0 },
	{ 0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA", 0 },
	{ 0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA", 0 },
	{ 0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", FS },
	{ 0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", FS },
	{ 0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", NO_AUTH },
	{ 0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5", INSECURE },
	{ 0x0061, "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5", INSECURE },
	{ 0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA", INSECURE },
	{ 0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA", INSECURE | FS },
	{ 0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA", INSECURE },
	{ 0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA", INSECURE | FS },
	{ 0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA", INSECURE | FS },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", FS },
	{ 0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", 0 },
	{ 0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", 0 },
	{ 0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", FS },
	{ 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", FS },
	{ 0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", NO_AUTH },
	{ 0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", NO_AUTH },
	{ 0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", 0 },
	{ 0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA", 0 },
	{ 0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA", 0 },
	{ 0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", FS },
	{ 0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", FS },
	{ 0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", NO_AUTH },
	{ 0x008A, "TLS_PSK_WITH_RC4_128_SHA", INSECURE | PSK },
	{ 0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", INSECURE | PSK },
	{ 0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", PSK },
	{ 0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", PSK },
	{ 0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA", INSECURE | FS | PSK },
	{ 0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", INSECURE | FS | PSK },
	{ 0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", FS | PSK },
	{ 0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", FS | PSK },
	{ 0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", INSECURE | PSK },
	{ 0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", INSECURE | PSK },
	{ 0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", PSK },
	{ 0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", PSK },
	{ 0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", 0 },
	{ 0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA", 0 },
	{ 0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA", 0 },
	{ 0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", FS },
	{ 0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", FS },
	{ 0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA", NO_AUTH },
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", 0 },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", 0 },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", FS },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", FS },
	{ 0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", 0 },
	{ 0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", 0 },
	{ 0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", FS },
	{ 0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", FS },
	{ 0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", 0 },
	{ 0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", 0 },
	{ 0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", NO_AUTH },
	{ 0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", NO_AUTH },
	{ 0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", PSK },
	{ 0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", PSK },
	{ 0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", FS | PSK },
	{ 0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", FS | PSK },
	{ 0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", PSK },
	{ 0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", PSK },
	{ 0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", PSK },
	{ 0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", PSK },
	{ 0x00B0, "TLS_PSK_WITH_NULL_SHA256", NO_ENC | PSK },
	{ 0x00B1, "TLS_PSK_WITH_NULL_SHA384", NO_ENC | PSK },
	{ 0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", FS | PSK },
	{ 0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", FS | PSK },
	{ 0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256", NO_ENC | FS | PSK },
	{ 0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384", NO_ENC | FS | PSK },
	{ 0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", PSK },
	{ 0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", PSK },
	{ 0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256", NO_ENC | PSK },
	{ 0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384", NO_ENC | PSK },
	{ 0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", 0 },
	{ 0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256", 0 },
	{ 0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256", 0 },
	{ 0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", FS },
	{ 0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", FS },
	{ 0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", NO_AUTH },
	{ 0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", 0 },
	{ 0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256", 0 },
	{ 0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256", 0 },
	{ 0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", FS },
	{ 0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", FS },
	{ 0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", NO_AUTH },
	{ 0x00C6, "TLS_SM4_GCM_SM3", FS },
	{ 0x00C7, "TLS_SM4_CCM_SM3", FS },
	{ 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", 0 },
	{ 0x1301, "TLS_AES_128_GCM_SHA256", FS },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", FS },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", FS },
	{ 0x1304, "TLS_AES_128_CCM_SHA256", FS },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256", FS },
	{ 0x1306, "TLS_AEGIS_256_SHA512", FS },
	{ 0x1307, "TLS_AEGIS_128L_SHA256", FS },
	{ 0x5600, "TLS_FALLBACK_SCSV", 0 },
	{ 0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", NO_ENC },
	{ 0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", INSECURE },
	{ 0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", 0 },
	{ 0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", 0 },
	{ 0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", NO_ENC | FS },
	{ 0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", INSECURE | FS },
	{ 0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", INSECURE | FS },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", FS },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", FS },
	{ 0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA", NO_ENC },
	{ 0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", INSECURE },
	{ 0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", 0 },
	{ 0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", 0 },
	{ 0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", NO_ENC | FS },
	{ 0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", INSECURE | FS },
	{ 0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", INSECURE | FS },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", FS },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", FS },
	{ 0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", NO_ENC | NO_AUTH },
	{ 0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", INSECURE | NO_AUTH },
	{ 0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", INSECURE | NO_AUTH },
	{ 0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", NO_AUTH },
	{ 0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", NO_AUTH },
	{ 0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA", INSECURE },
	{ 0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA", 0 },
	{ 0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", 0 },
	{ 0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", 0 },
	{ 0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA", 0 },
	{ 0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", 0 },
	{ 0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", 0 },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", FS },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", FS },
	{ 0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", 0 },
	{ 0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", 0 },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", FS },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", FS },
	{ 0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", 0 },
	{ 0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", 0 },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", FS },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", FS },
	{ 0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", 0 },
	{ 0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", 0 },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", FS },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", FS },
	{ 0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", 0 },
	{ 0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", 0 },
	{ 0xC033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA", INSECURE | FS | PSK },
	{ 0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", INSECURE | FS | PSK },
	{ 0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", FS | PSK },
	{ 0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", FS | PSK },
	{ 0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", FS | PSK },
	{ 0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", FS | PSK },
	{ 0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA", NO_ENC | FS | PSK },
	{ 0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256", NO_ENC | FS | PSK },
	{ 0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384", NO_ENC | FS | PSK },
	{ 0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", 0 },
	{ 0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", 0 },
	{ 0xC03E, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256", 0 },
	{ 0xC03F, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384", 0 },
	{ 0xC040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256", 0 },
	{ 0xC041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384", 0 },
	{ 0xC042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256", FS },
	{ 0xC043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384", FS },
	{ 0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256", FS },
	{ 0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384", FS },
	{ 0xC046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256", NO_AUTH },
	{ 0xC047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384", NO_AUTH },
	{ 0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256", FS },
	{ 0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384", FS },
	{ 0xC04A, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256", 0 },
	{ 0xC04B, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384", 0 },
	{ 0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256", FS },
	{ 0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384", FS },
	{ 0xC04E, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256", 0 },
	{ 0xC04F, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384", 0 },
	{ 0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", 0 },
	{ 0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", 0 },
	{ 0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", FS },
	{ 0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", FS },
	{ 0xC054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256", 0 },
	{ 0xC055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384", 0 },
	{ 0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", FS },
	{ 0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", FS },
	{ 0xC058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256", 0 },
	{ 0xC059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384", 0 },
	{ 0xC05A, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256", NO_AUTH },
	{ 0xC05B, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384", NO_AUTH },
	{ 0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", FS },
	{ 0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", FS },
	{ 0xC05E, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256", 0 },
	{ 0xC05F, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384", 0 },
	{ 0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", FS },
	{ 0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", FS },
	{ 0xC062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256", 0 },
	{ 0xC063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384", 0 },
	{ 0xC064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256", PSK },
	{ 0xC065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384", PSK },
	{ 0xC066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256", FS | PSK },
	{ 0xC067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384", FS | PSK },
	{ 0xC068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256", PSK },
	{ 0xC069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384", PSK },
	{ 0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256", PSK },
	{ 0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384", PSK },
	{ 0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256", FS | PSK },
	{ 0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384", FS | PSK },
	{ 0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256", PSK },
	{ 0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384", PSK },
	{ 0xC070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256", FS | PSK },
	{ 0xC071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384", FS | PSK },
	{ 0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", FS },
	{ 0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", FS },
	{ 0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", 0 },
	{ 0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", 0 },
	{ 0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", FS },
	{ 0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", FS },
	{ 0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256", 0 },
	{ 0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384", 0 },
	{ 0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", 0 },
	{ 0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", 0 },
	{ 0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", FS },
	{ 0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", FS },
	{ 0xC07E, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256", 0 },
	{ 0xC07F, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384", 0 },
	{ 0xC080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256", FS },
	{ 0xC081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384", FS },
	{ 0xC082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256", 0 },
	{ 0xC083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384", 0 },
	{ 0xC084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256", NO_AUTH },
	{ 0xC085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384", NO_AUTH },
	{ 0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", FS },
	{ 0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", FS },
	{ 0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", 0 },
	{ 0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", 0 },
	{ 0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", FS },
	{ 0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", FS },
	{ 0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256", 0 },
	{ 0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384", 0 },
	{ 0xC08E, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256", PSK },
	{ 0xC08F, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384", PSK },
	{ 0xC090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256", FS | PSK },
	{ 0xC091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384", FS | PSK },
	{ 0xC092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256", PSK },
	{ 0xC093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384", PSK },
	{ 0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256", PSK },
	{ 0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384", PSK },
	{ 0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", FS | PSK },
	{ 0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", FS | PSK },
	{ 0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256", PSK },
	{ 0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384", PSK },
	{ 0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", FS | PSK },
	{ 0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", FS | PSK },
	{ 0xC09C, "TLS_RSA_WITH_AES_128_CCM", 0 },
	{ 0xC09D, "TLS_RSA_WITH_AES_256_CCM", 0 },
	{ 0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", FS },
	{ 0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", FS },
	{ 0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", 0 },
	{ 0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", 0 },
	{ 0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", FS },
	{ 0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", FS },
	{ 0xC0A4, "TLS_PSK_WITH_AES_128_CCM", PSK },
	{ 0xC0A5, "TLS_PSK_WITH_AES_256_CCM", PSK },
	{ 0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM", FS | PSK },
	{ 0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM", FS | PSK },
	{ 0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", PSK },
	{ 0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", PSK },
	{ 0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", FS | PSK },
	{ 0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8", FS | PSK },
	{ 0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", FS },
	{ 0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", FS },
	{ 0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", FS },
	{ 0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", FS },
	{ 0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", 0 },
	{ 0xC0B1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384", 0 },
	{ 0xC0B2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256", 0 },
	{ 0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384", 0 },
	{ 0xC0B4, "TLS_SHA256_SHA256", NO_ENC | FS },
	{ 0xC0B5, "TLS_SHA384_SHA384", NO_ENC | FS },
	{ 0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", 0 },
	{ 0xC101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC", 0 },
	{ 0xC102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT", 0 },
	{ 0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L", FS },
	{ 0xC104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L", FS },
	{ 0xC105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S", FS },
	{ 0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S", FS },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", FS },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", FS },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", FS },
	{ 0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", PSK },
	{ 0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", FS | PSK },
	{ 0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", FS | PSK },
	{ 0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", PSK },
	{ 0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", FS | PSK },
	{ 0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", FS | PSK },
	{ 0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", FS | PSK },
	{ 0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", FS | PSK },
	{ 0xFEFE, "SSL_RSA_FIPS_WITH_DES_CBC_SHA", INSECURE },
	{ 0xFEFF, "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA", INSECURE },
};

#undef INSECURE
#undef NO_ENC
#undef NO_AUTH
#undef FS
#undef PSK

const struct ciot_tls_cipher *ciot_tls_cipher_lookup(uint16_t id)
{
	size_t lo = 0, hi = sizeof cipher_suites / sizeof cipher_suites[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cipher_suites[mid].id == id)
			return &cipher_suites[mid];
		if (cipher_suites[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The signalling values are in the registry but are not suites a connection can use: a server
 * "choosing" one has sent nonsense, which "unknown" says better than "other". */
#define SCSV_EMPTY_RENEGOTIATION_INFO 0x00ff
#define SCSV_FALLBACK 0x5600

const char *ciot_tls_cipher_class(uint16_t id)
{
	const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(id);
	if (c == NULL || id == SCSV_EMPTY_RENEGOTIATION_INFO || id == SCSV_FALLBACK)
		return "unknown";
	/* the worst that applies, in IoTLS's order */
	if (c->flags & CIOT_CIPHER_INSECURE)
		return "insecure";
	if (c->flags & CIOT_CIPHER_NO_ENCRYPTION)
		return "no-encryption";
	if (c->flags & CIOT_CIPHER_NO_AUTH)
		return "anonymous";
	if (c->flags & CIOT_CIPHER_PSK)
		return "psk";
	if (c->flags & CIOT_CIPHER_FORWARD_SECRET)
		return "forward-secret";
	return "other";
}
