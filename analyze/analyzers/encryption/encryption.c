/* encryption.c: the per-packet classes of encryption.h. TLS records (RFC 8446 section 5, RFC 5246
 * section 6.2), DTLS records (RFC 9147 section 4, RFC 6347 section 4.1), HTTP/1.x messages (RFC
 * 9112; RTSP, RFC 2326, shares their syntax), MQTT control packets (MQTT 3.1.1 and 5.0 section 2)
 * and SSH's binary packets (RFC 4253) are read with explicit bounds from the captured bytes only.
 *
 * TCP directions are followed by sequence number: a retransmitted or duplicated segment takes the
 * class of what was already seen there and moves no state; a gap (lost capture) is skipped over
 * (an HTTP body's count goes on, TLS waits for a segment that starts with a record header). */
#include <string.h>

#include "ciot/cursor.h"
#include "dns.h"
#include "encryption.h"
#include "tls.h"

/* What a direction carries, as far as the protocol rules know. */
enum stream_mode {
	MODE_NONE,         /* nothing recognized yet, or between HTTP or RTSP messages */
	MODE_TLS,          /* TLS records */
	MODE_HTTP_HEADERS, /* inside an HTTP header block that continues in the next segment */
	MODE_HTTP_BODY,    /* an HTTP body (or RTSP interleaved frame) of known length (body_left) */
	MODE_HTTP_CHUNKED, /* a chunked HTTP body: body_left bytes of the current chunk and its CRLF */
	MODE_HTTP_OPEN,    /* an HTTP body that runs to the end of the connection */
	MODE_MQTT_REST     /* the rest (body_left bytes) of an MQTT control packet */
};

/* hdr_flags: what the HTTP header block being read said */
#define HDR_FIRST_LINE 0x01 /* the request or status line was read */
#define HDR_RESPONSE 0x02
#define HDR_INTERIM 0x04    /* a 1xx response: another one follows */
#define HDR_NO_BODY 0x08    /* 204, 304, or the response to a HEAD or CONNECT */
#define HDR_LENGTH 0x10
#define HDR_CHUNKED 0x20
#define HDR_COMPRESSED 0x40
#define HDR_RTSP 0x80       /* RTSP: no Content-Length means no body (RFC 2326 section 12.14) */

/* hdr_line: where a header block's lines stand at a segment's end */
enum { LINE_START, LINE_MIDDLE, LINE_CR };

#define SSH_MSG_NEWKEYS 21

#define PROTO_ICMP 1
#define PROTO_ICMPV6 58
#define QUIC_PORT 443
#define QUIC_SHORT_MIN 21 /* 1 + a DCID of 0 + a 4-byte packet number sample + a 16-byte tag */

/* The lifecycle paper's SSL rule (section 4.1: "For SSL protocol, if the payload entropy is greater
 * than 0.8, it is classified as encrypted"; Mon(IoT)r's step 1 the same): in paper mode a TLS
 * segment whose payload's entropy is above it is encrypted, clear handshake records included; below
 * it the records keep their classes (a handshake in clear is text). The default mode keeps the
 * record rules alone: a certificate is public, not encrypted. */
#define PAPER_TLS_ENCRYPTED_ABOVE 0.8
/* Wireshark, whose protocol names the paper's rules are written in, dissects every TCP segment to
 * or from port 443 as TLS: one that no record header starts is "continuation data", still "SSL
 * protocol" to the paper. In paper mode the SSL rule therefore applies to such a segment too (a
 * proprietary protocol on port 443, like the lifecycle authors' camera's); the default mode gives
 * no rule to a protocol known only by its port. */
#define WIRESHARK_TLS_PORT 443

#define RTSP_FRAME_HEADER 4
#define DNS_PORT 53
#define MDNS_PORT 5353
#define LLMNR_PORT 5355

const char *ciot_class_step_name(enum ciot_class_step s)
{
	static const char *const names[] = { "protocol", "magic", "entropy", "length" };
	return (unsigned)s < CIOT_NSTEPS ? names[s] : "?";
}

bool ciot_family_is_encrypted(enum ciot_dpi_family family)
{
	return family == CIOT_FAMILY_TLS || family == CIOT_FAMILY_DTLS || family == CIOT_FAMILY_QUIC ||
	       family == CIOT_FAMILY_SSH || family == CIOT_FAMILY_OTHER_ENCRYPTED;
}

/* Bytes of a packet per class, to settle a packet that mixes classes; and, when the caller asks,
 * the packet's spans: which part of the message each run of bytes is. */
struct tally {
	size_t bytes[CIOT_CONTENT_NCLASSES];
	const uint8_t *base;              /* the payload: spans are offsets from it */
	struct ciot_payload_spans *spans; /* NULL when not asked for */
};

/* Records a span; the same role and class right after the last span extends it. When the spans
 * are all used, the last one grows over the rest of the packet as bytes of no known role. */
static void span(struct tally *t, enum ciot_content_class c, enum ciot_span_role role, const uint8_t *p, size_t n)
{
	struct ciot_payload_spans *sp = t->spans;
	if (!sp || !n)
		return;
	uint32_t offset = (uint32_t)(p - t->base);
	struct ciot_payload_span *last = sp->n ? &sp->span[sp->n - 1] : NULL;
	if (last && last->role == role && last->cls == c && last->offset + last->len == offset) {
		last->len += (uint32_t)n;
		return;
	}
	if (sp->n == CIOT_MAX_SPANS) {
		sp->overflow = true;
		last->role = CIOT_SPAN_OTHER;
		last->cls = CIOT_CONTENT_UNKNOWN;
		last->len = offset + (uint32_t)n - last->offset;
		return;
	}
	sp->span[sp->n++] = (struct ciot_payload_span){ offset, (uint32_t)n, (uint8_t)role, (uint8_t)c };
}

static void count(struct tally *t, enum ciot_content_class c, enum ciot_span_role role, const uint8_t *p, size_t n)
{
	t->bytes[c] += n;
	span(t, c, role, p, n);
}

static enum ciot_content_class tally_winner(const struct tally *t)
{
	enum ciot_content_class best = CIOT_CONTENT_NCLASSES;
	size_t most = 0;
	for (int c = 0; c < CIOT_CONTENT_NCLASSES; c++)
		if (t->bytes[c] > most) {
			most = t->bytes[c];
			best = (enum ciot_content_class)c;
		}
	return best;
}

/* ---- TLS ------------------------------------------------------------------------------------- */

/* Whether n bytes (fewer than a header) can begin a record header. */
static bool tls_header_prefix(const uint8_t *p, size_t n)
{
	return n > 0 && p[0] >= CIOT_TLS_CHANGE_CIPHER_SPEC && p[0] <= CIOT_TLS_HEARTBEAT && (n < 2 || p[1] == 3) &&
	       (n < 3 || p[2] <= 4);
}

static enum ciot_content_class tls_record_class(const struct ciot_stream *s, uint8_t type)
{
	if (type == CIOT_TLS_APPLICATION_DATA)
		return CIOT_CONTENT_ENCRYPTED;
	/* before ChangeCipherSpec, handshake messages, alerts and the CCS itself are in clear */
	return s->keys_changed && type != CIOT_TLS_CHANGE_CIPHER_SPEC ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT;
}

/* Bytes whose record is not known (boundaries lost): after ChangeCipherSpec everything is. */
static enum ciot_content_class tls_lost_class(const struct ciot_stream *s)
{
	return s->keys_changed ? CIOT_CONTENT_ENCRYPTED : tls_record_class(s, s->tls_type);
}

/* A record header read: the record's class for its bytes, and where the next header is. Returns
 * the record's length, header included (0 when fewer than a header's bytes are there). */
static size_t tls_record(struct ciot_stream *s, const uint8_t *p, size_t n, uint32_t header_seq)
{
	struct ciot_tls_record_header h;
	if (!ciot_tls_record_header_read(p, n, &h))
		return 0;
	if (h.type == CIOT_TLS_CHANGE_CIPHER_SPEC)
		s->keys_changed = true;
	s->tls_type = h.type;
	s->tls_next = header_seq + CIOT_TLS_RECORD_HEADER + h.length;
	return CIOT_TLS_RECORD_HEADER + (size_t)h.length;
}

/* A record header a resynchronisation may trust: a type of TLS 1.0 to 1.3 other than heartbeat,
 * a version from SSL 3.0 to TLS 1.3 and a plausible length. */
static bool tls_resync_header(const uint8_t *p, size_t n, size_t *record)
{
	if (n < CIOT_TLS_RECORD_HEADER || p[0] < CIOT_TLS_CHANGE_CIPHER_SPEC || p[0] > CIOT_TLS_APPLICATION_DATA ||
	    p[1] != 3 || p[2] > 4 || !ciot_tls_record_header_plausible(p, n))
		return false;
	*record = CIOT_TLS_RECORD_HEADER + (size_t)ciot_be16_at(p, n, 3);
	return true;
}

/* Where in a segment whose start is inside a record (a connection that began before the capture,
 * or the bytes after a gap) the record headers can be picked up again: the first offset holding a
 * header whose record ends exactly at the segment's end or exactly on another such header. A
 * header's first three bytes match about 4 * 5 / 2^24 of random positions, and the chain's second
 * condition about 1 in 16,000 more (the end) or 1 in 800,000 (another header): about 1 in 10^11
 * positions of ciphertext would resynchronise falsely. A header whose record runs on past the
 * segment cannot be checked, so it is not trusted; a later segment will show a chain. Returns n when
 * there is none. */
static size_t tls_resync_point(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + CIOT_TLS_RECORD_HEADER <= n; i++) {
		size_t record, next;
		if (p[i] < CIOT_TLS_CHANGE_CIPHER_SPEC || p[i] > CIOT_TLS_APPLICATION_DATA || !tls_resync_header(p + i, n - i, &record))
			continue;
		if (record == n - i || (record < n - i && tls_resync_header(p + i + record, n - i - record, &next)))
			return i;
	}
	return n;
}

/* One TCP segment of a TLS direction: counts its bytes by the record they belong to. Record
 * headers are found by sequence number, so retransmissions and segments of any size are fine, and a
 * header cut by a segment's end is finished from the next segment. A gap, or a header that is not
 * one, loses the boundaries until a segment starts with a plausible header again; meanwhile bytes
 * take the current record's class (after ChangeCipherSpec: encrypted). */
static void tls_segment(struct ciot_stream *s, uint32_t seq, const uint8_t *p, size_t n, struct tally *t)
{
	size_t pos = 0;
	if (s->tls_partial) {
		size_t have = s->tls_partial, need = CIOT_TLS_RECORD_HEADER - have;
		s->tls_partial = 0;
		if (!s->tls_lost && seq == s->tls_next + (uint32_t)have && n >= need) {
			uint8_t h[CIOT_TLS_RECORD_HEADER];
			memcpy(h, s->tls_header, have);
			memcpy(h + have, p, need);
			if (ciot_tls_record_header_plausible(h, CIOT_TLS_RECORD_HEADER)) {
				tls_record(s, h, sizeof h, s->tls_next);
				t->bytes[tls_record_class(s, h[0])] += need;
				pos = need;
			} else {
				s->tls_lost = true;
			}
		} else {
			s->tls_lost = true;
		}
	}
	int32_t off = (int32_t)(s->tls_next - (seq + (uint32_t)pos));
	if (s->tls_lost || off < 0) {
		size_t at = 0;
		if (pos || !ciot_tls_record_header_plausible(p, n)) {
			/* a header chain inside the segment: the bytes before it end a record whose
			 * start was lost */
			at = tls_resync_point(p + pos, n - pos) + pos;
			if (at == n) {
				s->tls_lost = true;
				t->bytes[tls_lost_class(s)] += n - pos;
				return;
			}
			t->bytes[tls_lost_class(s)] += at - pos;
			pos = at;
		}
		s->tls_lost = false;
		s->tls_next = seq + (uint32_t)at;
		off = 0;
	}
	/* the rest of the current record, then whole headers and records */
	size_t body = (size_t)off < n - pos ? (size_t)off : n - pos;
	t->bytes[tls_record_class(s, s->tls_type)] += body;
	pos += body;
	while (pos < n) {
		if (n - pos < CIOT_TLS_RECORD_HEADER && tls_header_prefix(p + pos, n - pos)) {
			memcpy(s->tls_header, p + pos, n - pos);
			s->tls_partial = (uint8_t)(n - pos);
			t->bytes[tls_record_class(s, p[pos])] += n - pos;
			return;
		}
		if (!ciot_tls_record_header_plausible(p + pos, n - pos)) {
			/* no header where one should be: lost, until a chain further on */
			s->tls_lost = true;
			size_t at = tls_resync_point(p + pos + 1, n - pos - 1) + pos + 1;
			t->bytes[tls_lost_class(s)] += at - pos;
			if (at == n)
				return;
			s->tls_lost = false;
			pos = at;
			continue;
		}
		size_t len = tls_record(s, p + pos, n - pos, seq + (uint32_t)pos);
		size_t here = len <= n - pos ? len : n - pos;
		t->bytes[tls_record_class(s, p[pos])] += here;
		pos += here;
	}
}

/* A DTLS datagram: its records, each with its own header. Epoch 0 is in clear; from epoch 1 on
 * every record is encrypted. */
static bool dtls_datagram(const uint8_t *p, size_t n, struct tally *t)
{
	size_t pos = 0;
	while (n - pos >= CIOT_DTLS_RECORD_HEADER) {
		size_t at = pos;
		struct ciot_dtls_record r;
		if (!ciot_dtls_next_record(p, n, &pos, &r))
			break;
		if (r.unified) {
			/* protected, and what follows in the datagram is taken to be too */
			t->bytes[CIOT_CONTENT_ENCRYPTED] += n - at;
			return true;
		}
		bool encrypted = r.type == CIOT_TLS_APPLICATION_DATA || r.epoch > 0;
		t->bytes[encrypted ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT] += pos - at;
	}
	return pos > 0;
}

/* ---- shared by the application protocols ---------------------------------------------------- */

static bool starts_with(const uint8_t *p, size_t n, const char *s)
{
	size_t m = strlen(s);
	return n >= m && memcmp(p, s, m) == 0;
}

static bool http_message_start(const uint8_t *p, size_t n)
{
	/* HTTP/1.x, and the protocols that share its message syntax: RTSP, SSDP, GENA */
	static const struct {
		const char *text;
		size_t len;
	} starts[] = {
#define START(s) { s, sizeof s - 1 }
		START("GET "),      START("POST "),     START("PUT "),      START("HEAD "),     START("DELETE "),
		START("OPTIONS "),  START("PATCH "),    START("CONNECT "),  START("TRACE "),    START("HTTP/1."),
		START("RTSP/1."),   START("DESCRIBE "), START("SETUP "),    START("PLAY "),     START("PAUSE "),
		START("TEARDOWN "), START("ANNOUNCE "), START("RECORD "),   START("GET_PARAMETER "),
		START("SET_PARAMETER "), START("NOTIFY "), START("M-SEARCH "), START("SUBSCRIBE "), { NULL, 0 },
#undef START
	};
	/* every method and version starts with a capital letter: most payloads stop here */
	if (n < 4 || p[0] < 'A' || p[0] > 'Z')
		return false;
	for (size_t i = 0; starts[i].text; i++)
		if (n >= starts[i].len && p[0] == (uint8_t)starts[i].text[0] &&
		    memcmp(p, starts[i].text, starts[i].len) == 0)
			return true;
	return false;
}

static char lower_ascii(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* Whether [p, p+n) begins, ignoring ASCII case, with s. */
static bool starts_with_nocase(const uint8_t *p, size_t n, const char *s)
{
	size_t m = strlen(s);
	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++)
		if (lower_ascii(p[i]) != s[i])
			return false;
	return true;
}

/* The class a Content-Type gives a body; CIOT_CONTENT_NCLASSES when its bytes must decide. */
static enum ciot_content_class content_type_class(const uint8_t *v, size_t n)
{
	static const struct {
		const char *prefix;
		enum ciot_content_class cls;
	} types[] = {
		{ "text/", CIOT_CONTENT_TEXT },
		{ "application/json", CIOT_CONTENT_TEXT },
		{ "application/xml", CIOT_CONTENT_TEXT },
		{ "application/javascript", CIOT_CONTENT_TEXT },
		{ "application/x-www-form-urlencoded", CIOT_CONTENT_TEXT },
		{ "application/soap+xml", CIOT_CONTENT_TEXT },
		{ "image/", CIOT_CONTENT_MEDIA },
		{ "video/", CIOT_CONTENT_MEDIA },
		{ "audio/", CIOT_CONTENT_MEDIA },
		{ "application/gzip", CIOT_CONTENT_COMPRESSED },
		{ "application/x-gzip", CIOT_CONTENT_COMPRESSED },
		{ "application/zip", CIOT_CONTENT_COMPRESSED },
		{ "application/x-bzip2", CIOT_CONTENT_COMPRESSED },
		{ "application/x-xz", CIOT_CONTENT_COMPRESSED },
		{ "application/zstd", CIOT_CONTENT_COMPRESSED },
		{ NULL, CIOT_CONTENT_NCLASSES },
	};
	for (size_t i = 0; types[i].prefix; i++)
		if (starts_with_nocase(v, n, types[i].prefix))
			return types[i].cls;
	/* structured syntax suffixes (RFC 6839): application/vnd.foo+json */
	size_t end = 0;
	while (end < n && v[end] != ';' && v[end] != ' ' && v[end] != '\r')
		end++;
	if ((end >= 5 && starts_with_nocase(v + end - 5, 5, "+json")) ||
	    (end >= 4 && starts_with_nocase(v + end - 4, 4, "+xml")))
		return CIOT_CONTENT_TEXT;
	return CIOT_CONTENT_NCLASSES;
}

static size_t parse_decimal(const uint8_t *v, size_t n, bool *ok)
{
	size_t value = 0, i = 0;
	while (i < n && v[i] == ' ')
		i++;
	size_t digits = 0;
	for (; i < n && v[i] >= '0' && v[i] <= '9' && digits < 10; i++, digits++)
		value = value * 10 + (size_t)(v[i] - '0');
	*ok = digits > 0 && digits < 10;
	return value;
}

/* Whether application data inside a protocol we parse (an HTTP body of unknown type, an MQTT
 * payload) is visibly text: printable ASCII and whitespace only, and not only the base64 alphabet
 * (base64 may carry ciphertext, so it is left to entropy). Random bytes pass with probability
 * (98/256)^n: never, in practice, beyond a few bytes. Short JSON, which entropy cannot tell from
 * noise below 128 bytes, is text this way. */
static bool textual(const uint8_t *p, size_t n)
{
	bool beyond_base64 = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c > 0x7e)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '/' || c == '=' || c == '-' || c == '_' || c == '\r' || c == '\n'))
			beyond_base64 = true;
	}
	return beyond_base64;
}

/* Application data inside a parsed protocol: text when visibly so, else by its bytes. */
static enum ciot_content_class data_class(const struct ciot_entropy_options *o, const uint8_t *p, size_t n,
					  bool *by_content)
{
	if (textual(p, n))
		return CIOT_CONTENT_TEXT;
	*by_content = true;
	return ciot_content_classify(o, p, n);
}

/* ---- HTTP and RTSP --------------------------------------------------------------------------- */

/* One complete line of a header block (without its line end). */
static void http_header_line(struct ciot_stream *s, struct ciot_stream *peer, const uint8_t *line, size_t n)
{
	if (!(s->hdr_flags & HDR_FIRST_LINE)) {
		s->hdr_flags = HDR_FIRST_LINE;
		s->hdr_type = CIOT_CONTENT_NCLASSES;
		s->hdr_length = 0;
		bool http = starts_with(line, n, "HTTP/1."), rtsp = starts_with(line, n, "RTSP/1.");
		if (http || rtsp) {
			s->hdr_flags |= HDR_RESPONSE | (rtsp ? HDR_RTSP : 0);
			uint8_t c0 = n > 9 ? line[9] : 0, c1 = n > 10 ? line[10] : 0, c2 = n > 11 ? line[11] : 0;
			if (c0 == '1') {
				s->hdr_flags |= HDR_INTERIM; /* 1xx: the real response follows */
			} else {
				if ((c0 == '2' && c1 == '0' && c2 == '4') || (c0 == '3' && c1 == '0' && c2 == '4'))
					s->hdr_flags |= HDR_NO_BODY;
				if (s->head_pending) {
					s->hdr_flags |= HDR_NO_BODY; /* the response to a HEAD or CONNECT */
					s->head_pending--;
				}
			}
			return;
		}
		if ((starts_with(line, n, "HEAD ") || starts_with(line, n, "CONNECT ")) && peer->head_pending < 255)
			peer->head_pending++;
		for (size_t i = 0; i + 7 <= n; i++)
			if (line[i] == ' ' && starts_with(line + i + 1, n - i - 1, "RTSP/1.")) {
				s->hdr_flags |= HDR_RTSP;
				break;
			}
		return;
	}
	const uint8_t *colon = memchr(line, ':', n);
	if (!colon)
		return;
	size_t name = (size_t)(colon - line), vlen = n - name - 1;
	const uint8_t *v = colon + 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	if (name == 12 && starts_with_nocase(line, 12, "content-type")) {
		s->hdr_type = (uint8_t)content_type_class(v, vlen);
	} else if (name == 16 && starts_with_nocase(line, 16, "content-encoding")) {
		if (!starts_with_nocase(v, vlen, "identity"))
			s->hdr_flags |= HDR_COMPRESSED;
	} else if (name == 14 && starts_with_nocase(line, 14, "content-length")) {
		bool ok;
		size_t len = parse_decimal(v, vlen, &ok);
		if (ok) {
			s->hdr_flags |= HDR_LENGTH;
			s->hdr_length = (uint32_t)len;
		}
	} else if (name == 17 && starts_with_nocase(line, 17, "transfer-encoding")) {
		for (size_t i = 0; i + 7 <= vlen; i++)
			if (starts_with_nocase(v + i, vlen - i, "chunked"))
				s->hdr_flags |= HDR_CHUNKED;
	}
}

/* The header block is complete: how its body is framed. */
static void http_header_end(struct ciot_stream *s)
{
	uint8_t f = s->hdr_flags;
	s->body_class = f & HDR_COMPRESSED ? CIOT_CONTENT_COMPRESSED : s->hdr_type;
	s->body_start = true;
	if (f & (HDR_INTERIM | HDR_NO_BODY) || ((f & HDR_LENGTH) && !s->hdr_length && !(f & HDR_CHUNKED)))
		s->mode = MODE_NONE;
	else if (f & HDR_CHUNKED) {
		s->mode = MODE_HTTP_CHUNKED;
		s->body_left = 0;
	} else if (f & HDR_LENGTH) {
		s->mode = MODE_HTTP_BODY;
		s->body_left = s->hdr_length;
	} else if (!(f & HDR_RESPONSE) || (f & HDR_RTSP))
		s->mode = MODE_NONE; /* requests and RTSP messages without a length have no body */
	else
		s->mode = MODE_HTTP_OPEN;
	s->hdr_flags = 0;
}

/* Header bytes [p, p+n), lines possibly cut by segment ends: reads each complete line and returns
 * how many bytes belong to the header block (all n when it goes on); *done when it ended. */
static size_t http_header_feed(struct ciot_stream *s, struct ciot_stream *peer, const uint8_t *p, size_t n,
			       bool *done)
{
	size_t pos = 0;
	*done = false;
	if (s->hdr_line == LINE_CR) {
		s->hdr_line = LINE_MIDDLE;
		if (n && p[0] == '\n') { /* a blank line cut between its CR and LF */
			*done = true;
			s->hdr_line = LINE_START;
			return 1;
		}
	}
	if (s->hdr_line == LINE_MIDDLE) { /* the end of a line whose start was in the last segment */
		const uint8_t *nl = memchr(p, '\n', n);
		if (!nl)
			return n;
		pos = (size_t)(nl - p) + 1;
		s->hdr_line = LINE_START;
	}
	while (pos < n) {
		const uint8_t *line = p + pos;
		const uint8_t *nl = memchr(line, '\n', n - pos);
		if (!nl) {
			s->hdr_line = n - pos == 1 && line[0] == '\r' ? LINE_CR : LINE_MIDDLE;
			return n;
		}
		size_t len = (size_t)(nl - line), content = len && line[len - 1] == '\r' ? len - 1 : len;
		pos += len + 1;
		if (content == 0 && (s->hdr_flags & HDR_FIRST_LINE)) {
			*done = true;
			return pos;
		}
		if (content)
			http_header_line(s, peer, line, content);
	}
	return n;
}

/* Body bytes: by the message's class; else by their own: a magic number at the body's start
 * names the format of the whole body, otherwise each packet's bytes decide for themselves. */
static void http_body(const struct ciot_entropy_options *o, struct ciot_stream *s, const uint8_t *p, size_t n,
		      enum ciot_span_role role, struct tally *t, bool *by_content)
{
	if (!n)
		return;
	bool at_start = s->body_start;
	s->body_start = false;
	if (s->body_class < CIOT_CONTENT_NCLASSES) {
		count(t, (enum ciot_content_class)s->body_class, role, p, n);
		return;
	}
	enum ciot_content_class magic;
	const char *format;
	if (at_start && ciot_magic_match(p, n, &magic, &format)) {
		s->body_class = (uint8_t)magic;
		count(t, magic, role, p, n);
		return;
	}
	count(t, data_class(o, p, n, by_content), role, p, n);
}

/* A chunk-size line "1a;ext\r\n" at p: its size and length; false when it is not one or is cut. */
static bool chunk_size_line(const uint8_t *p, size_t n, uint32_t *size, size_t *len)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < n && i < 8; i++) {
		uint8_t c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			break;
		v = v * 16 + (uint64_t)d;
	}
	if (i == 0)
		return false;
	const uint8_t *nl = memchr(p + i, '\n', n - i);
	if (!nl || v > UINT32_MAX - 2)
		return false;
	*size = (uint32_t)v;
	*len = (size_t)(nl - p) + 1;
	return true;
}

/* One TCP segment of an HTTP or RTSP direction, in order. Returns false when it is not HTTP after
 * all (nothing was counted). */
static bool http_segment(const struct ciot_entropy_options *o, struct ciot_stream *s, struct ciot_stream *peer,
			 enum ciot_dpi_family family, const uint8_t *p, size_t n, struct tally *t, bool *by_content)
{
	size_t pos = 0;
	while (pos < n) {
		const uint8_t *q = p + pos;
		size_t left = n - pos;
		switch (s->mode) {
		case MODE_HTTP_BODY:
		case MODE_MQTT_REST: {
			size_t take = s->body_left < left ? s->body_left : left;
			http_body(o, s, q, take, s->mode == MODE_MQTT_REST ? CIOT_SPAN_MQTT_BODY : CIOT_SPAN_HTTP_BODY, t,
				  by_content);
			s->body_left -= (uint32_t)take;
			if (!s->body_left)
				s->mode = MODE_NONE;
			pos += take;
			continue;
		}
		case MODE_HTTP_CHUNKED: {
			if (s->body_left) {
				size_t take = s->body_left < left ? s->body_left : left;
				http_body(o, s, q, take, CIOT_SPAN_HTTP_BODY, t, by_content);
				s->body_left -= (uint32_t)take;
				pos += take;
				continue;
			}
			uint32_t size;
			size_t len;
			if (!chunk_size_line(q, left, &size, &len)) {
				s->mode = MODE_HTTP_OPEN; /* lost the chunking (a size line cut by the segment) */
				continue;
			}
			/* the size line: the body's class when it has one, text otherwise (it is hex digits) */
			count(t, s->body_class < CIOT_CONTENT_NCLASSES ? (enum ciot_content_class)s->body_class : CIOT_CONTENT_TEXT,
			      CIOT_SPAN_HTTP_BODY, q, len);
			pos += len;
			if (size == 0) {
				/* the last chunk: its CRLF (an empty trailer) ends the message */
				s->mode = MODE_NONE;
				if (n - pos >= 2 && p[pos] == '\r' && p[pos + 1] == '\n') {
					count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_HTTP_BODY, p + pos, 2);
					pos += 2;
				}
			} else {
				s->body_left = size + 2;
			}
			continue;
		}
		case MODE_HTTP_OPEN:
			/* a body that runs to the end, or whose chunking was lost: a segment that starts
			 * a new message ends it */
			if (!http_message_start(q, left)) {
				http_body(o, s, q, left, CIOT_SPAN_HTTP_BODY, t, by_content);
				return true;
			}
			s->mode = MODE_NONE;
			break;
		case MODE_HTTP_HEADERS: {
			bool done;
			size_t used = http_header_feed(s, peer, q, left, &done);
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_HTTP_HEADER, q, used);
			pos += used;
			if (done) {
				http_header_end(s);
				if (s->mode == MODE_HTTP_BODY || s->mode == MODE_HTTP_OPEN) {
					/* the first bytes of the body: a magic number names its format */
					size_t take = s->mode == MODE_HTTP_BODY && s->body_left < n - pos ? s->body_left : n - pos;
					http_body(o, s, p + pos, take, CIOT_SPAN_HTTP_BODY, t, by_content);
					if (s->mode == MODE_HTTP_BODY) {
						s->body_left -= (uint32_t)take;
						if (!s->body_left)
							s->mode = MODE_NONE;
					}
					pos += take;
				}
			}
			continue;
		}
		default:
			break;
		}
		/* between messages: RTSP interleaved media, a new message, or something else */
		if (family == CIOT_FAMILY_RTSP && q[0] == '$' && left >= RTSP_FRAME_HEADER) {
			size_t frame = RTSP_FRAME_HEADER + (size_t)ciot_be16_at(q, left, 2);
			size_t take = frame < left ? frame : left;
			count(t, CIOT_CONTENT_MEDIA, CIOT_SPAN_MEDIA, q, take);
			pos += take;
			if (take < frame) {
				s->mode = MODE_HTTP_BODY;
				s->body_class = CIOT_CONTENT_MEDIA;
				s->body_left = (uint32_t)(frame - take);
			}
			continue;
		}
		if (http_message_start(q, left)) {
			s->mode = MODE_HTTP_HEADERS;
			s->hdr_flags = 0;
			s->hdr_line = LINE_START;
			continue;
		}
		if (pos == 0)
			return false;
		/* after a message, bytes of another protocol (a WebSocket after 101): by their content */
		count(t, ciot_content_classify(o, q, left), CIOT_SPAN_OTHER, q, left);
		*by_content = true;
		return true;
	}
	return true;
}

/* ---- MQTT ------------------------------------------------------------------------------------- */

#define MQTT_PUBLISH 3
#define MQTT_SUBSCRIBE 8
#define MQTT_UNSUBSCRIBE 10

/* MQTT control packets in one TCP segment, in order: headers, topics and properties are text; a
 * PUBLISH payload is application data, judged by its bytes (visibly text, else magic number and
 * entropy), and a packet that runs on into later segments keeps its payload's class there. */
static void mqtt_segment(const struct ciot_entropy_options *o, struct ciot_stream *s, const uint8_t *p, size_t n,
			 struct tally *t, bool *by_content)
{
	size_t pos = 0;
	if (s->mode == MODE_MQTT_REST) {
		size_t take = s->body_left < n ? s->body_left : n;
		http_body(o, s, p, take, CIOT_SPAN_MQTT_BODY, t, by_content);
		s->body_left -= (uint32_t)take;
		if (!s->body_left)
			s->mode = MODE_NONE;
		pos = take;
	}
	while (pos < n) {
		if (n - pos < 2) {
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_MQTT_BODY, p + pos, n - pos);
			return;
		}
		/* the fixed header: type and flags, then the remaining length in 1 to 4 bytes */
		struct ciot_cursor fixed = ciot_cursor_make(p + pos, n - pos);
		uint8_t first = ciot_cursor_u8(&fixed);
		uint8_t type = first >> 4, qos = (first >> 1) & 3;
		size_t len = 0;
		bool complete = false;
		for (unsigned shift = 0; shift <= 21 && ciot_cursor_left(&fixed); shift += 7) {
			uint8_t b = ciot_cursor_u8(&fixed);
			len |= (size_t)(b & 0x7f) << shift;
			if (!(b & 0x80)) {
				complete = true;
				break;
			}
		}
		size_t at = pos + fixed.off;
		if (type == 0 || !complete) {
			/* not MQTT framing, or a cut length: as is */
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_MQTT_BODY, p + pos, n - pos);
			return;
		}
		size_t total = at - pos + len, end = at + len < n ? at + len : n;
		size_t text_end = end;
		if (type == MQTT_PUBLISH && at + 2 <= end) {
			size_t topic = ciot_be16_at(p, end, at);
			text_end = at + 2 + topic + (qos ? 2 : 0);
			if (text_end > end)
				text_end = end;
		}
		if (type == MQTT_PUBLISH && at + 2 <= text_end) {
			/* the topic between the fixed header with its length and the packet identifier */
			size_t topic_end = at + 2 + (size_t)ciot_be16_at(p, text_end, at);
			if (topic_end > text_end)
				topic_end = text_end;
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_MQTT_BODY, p + pos, at + 2 - pos);
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_MQTT_TOPIC, p + at + 2, topic_end - at - 2);
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_MQTT_BODY, p + topic_end, text_end - topic_end);
		} else {
			/* SUBSCRIBE and UNSUBSCRIBE carry topic filters */
			bool topics = type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE;
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_MQTT_BODY, p + pos, at - pos);
			count(t, CIOT_CONTENT_TEXT, topics ? CIOT_SPAN_MQTT_TOPIC : CIOT_SPAN_MQTT_BODY, p + at, text_end - at);
		}
		s->body_class = CIOT_CONTENT_TEXT;
		if (type == MQTT_PUBLISH && text_end < at + len) {
			/* the payload: its class, for this segment and the packet's rest in the next */
			s->body_class = CIOT_CONTENT_NCLASSES;
			if (end > text_end) {
				enum ciot_content_class c = data_class(o, p + text_end, end - text_end, by_content);
				count(t, c, CIOT_SPAN_MQTT_BODY, p + text_end, end - text_end);
				s->body_class = (uint8_t)c;
			}
		}
		if (pos + total > n) {
			s->mode = MODE_MQTT_REST;
			s->body_left = (uint32_t)(pos + total - n);
			return;
		}
		pos = end;
	}
}

/* ---- SSH -------------------------------------------------------------------------------------- */

/* SSH: the version line and the key exchange (binary packets in clear, message numbers 1 to 49, up
 * to NEWKEYS) are text; everything after NEWKEYS is encrypted. A segment that does not parse as a
 * packet in clear (a capture that starts after the key exchange) is encrypted. */
static enum ciot_content_class ssh_segment(struct ciot_stream *s, const uint8_t *p, size_t n)
{
	if (starts_with(p, n, "SSH-"))
		return CIOT_CONTENT_TEXT;
	struct ciot_cursor c = ciot_cursor_make(p, n);
	uint32_t len = ciot_cursor_be32(&c);
	uint8_t padding = ciot_cursor_u8(&c), code = ciot_cursor_u8(&c);
	if (s->keys_changed || c.err)
		return CIOT_CONTENT_ENCRYPTED;
	bool clear = len >= 12 && len <= 35000 && padding >= 4 && padding < len && code >= 1 && code <= 49;
	if (!clear)
		return CIOT_CONTENT_ENCRYPTED;
	if (code == SSH_MSG_NEWKEYS)
		s->keys_changed = true;
	return CIOT_CONTENT_TEXT;
}

/* ---- the method ----------------------------------------------------------------------------- */

/* Bytes the capture lost before a segment (stream.h): an HTTP body's or an MQTT packet's count moves
 * past them; a chunked body's chunk lines are lost with them, so it is read to the end of the
 * connection; a header block goes on mid-line. */
static void tcp_gap(struct ciot_stream *s, uint32_t lost)
{
	if (!lost)
		return;
	if (s->mode == MODE_HTTP_BODY || s->mode == MODE_MQTT_REST) {
		uint32_t skip = lost < s->body_left ? lost : s->body_left;
		s->body_left -= skip;
		if (!s->body_left)
			s->mode = MODE_NONE;
	} else if (s->mode == MODE_HTTP_CHUNKED) {
		s->mode = MODE_HTTP_OPEN;
	} else if (s->mode == MODE_HTTP_HEADERS) {
		s->hdr_line = LINE_MIDDLE;
	}
}

static bool is_dns_port(const struct ciot_packet *pkt)
{
	uint16_t a = pkt->sport, b = pkt->dport;
	return a == DNS_PORT || b == DNS_PORT || a == MDNS_PORT || b == MDNS_PORT || a == LLMNR_PORT ||
	       b == LLMNR_PORT;
}

/* QUIC (RFC 9000 section 17, RFC 9369) on UDP port 443 in a flow nDPI did not name: a connection
 * whose handshake (the long-header packets nDPI recognizes) fell before the capture started sends
 * only short-header packets. A short header has the form bit 0 and the fixed bit 1 (RFC 9000
 * section 17.3.1) and holds at least a packet number and an AEAD tag; a long header has the form
 * and fixed bits set and a known version. The port is part of the rule: on other ports a quarter
 * of random datagrams would pass the short form. */
static bool quic_shaped(const struct ciot_packet *pkt, const uint8_t *p, size_t n)
{
	if ((pkt->sport != QUIC_PORT && pkt->dport != QUIC_PORT) || n < QUIC_SHORT_MIN)
		return false;
	if ((p[0] & 0xc0) == 0x40)
		return true;
	if ((p[0] & 0xc0) != 0xc0)
		return false;
	uint32_t version = ciot_be32_at(p, n, 1);
	return (version == 1 || version == 0x6b3343cfu || (version & 0xffffff00u) == 0xff000000u) && p[5] <= 20;
}

/* ICMP is never an encryption protocol. Echo payloads are whatever the sender chose: a counter
 * (Linux and Windows ping), padding, a timestamp; errors quote the packet that caused them. A
 * structured payload (entropy.c: a counter, a repeated pattern) is text whatever its entropy; the
 * rest is judged by its bytes, but what its entropy alone would call encrypted is unknown:
 * random-looking padding is no ciphertext anyone uses. */
static enum ciot_content_class icmp_class(const struct ciot_entropy_options *o, const uint8_t *p, size_t n)
{
	if (n >= o->omit_below && ciot_structured(p, n))
		return CIOT_CONTENT_TEXT; /* a ping's pattern, also where its entropy says unknown */
	enum ciot_content_class c = ciot_content_classify(o, p, n);
	return c == CIOT_CONTENT_ENCRYPTED ? CIOT_CONTENT_UNKNOWN : c;
}

/* Step 1 for one packet; false when no rule applies. Sets *by_content when some bytes were left to
 * the other steps (an HTTP body of unknown type, an MQTT payload). */
static bool protocol_rules(const struct ciot_entropy_options *o, struct ciot_stream *s, struct ciot_stream *peer,
			   enum ciot_dpi_family family, const struct ciot_packet *pkt, struct ciot_tcp_position at,
			   struct tally *t, bool *by_content)
{
	const uint8_t *p = pkt->payload;
	size_t n = pkt->payload_caplen;
	if (pkt->proto == CIOT_PROTO_TCP) {
		size_t resync = n;
		if (s->mode == MODE_TLS ||
		    (s->mode == MODE_NONE && (family == CIOT_FAMILY_TLS || family == CIOT_FAMILY_OTHER) &&
		     (ciot_tls_record_header_plausible(p, n) || (resync = tls_resync_point(p, n)) < n))) {
			if (s->mode != MODE_TLS) {
				s->mode = MODE_TLS;
				s->tls_next = pkt->tcp_seq;
				if (resync < n) {
					/* a connection that began before the capture: its first segment
					 * ends a record. Application data is sent only after the keys
					 * changed, so a chain of it means the bytes before are encrypted. */
					s->tls_lost = true;
					s->keys_changed = p[resync] == CIOT_TLS_APPLICATION_DATA;
				}
			}
			tls_segment(s, pkt->tcp_seq, p, n, t);
			if (o->mode == CIOT_ENTROPY_PAPER && t->bytes[CIOT_CONTENT_TEXT] &&
			    ciot_entropy256(p, n) > PAPER_TLS_ENCRYPTED_ABOVE) {
				/* the lifecycle paper's SSL rule: clear records in a payload of high
				 * entropy (certificates, key shares) count as encrypted */
				t->bytes[CIOT_CONTENT_ENCRYPTED] += t->bytes[CIOT_CONTENT_TEXT];
				t->bytes[CIOT_CONTENT_TEXT] = 0;
			}
			span(t, CIOT_CONTENT_ENCRYPTED, CIOT_SPAN_PROTECTED, p, n);
			return true;
		}
		bool http = s->mode != MODE_NONE || family == CIOT_FAMILY_HTTP || family == CIOT_FAMILY_RTSP ||
			    http_message_start(p, n);
		if (http || family == CIOT_FAMILY_MQTT) {
			/* in TCP order: a repeated segment takes the class of what it repeats */
			tcp_gap(s, at.lost);
			size_t repeated = at.repeated;
			if (repeated > n)
				repeated = n;
			if (repeated) {
				count(t, s->last_class ? (enum ciot_content_class)(s->last_class - 1) : CIOT_CONTENT_TEXT,
				      CIOT_SPAN_REPEATED, p, repeated);
				p += repeated;
				n -= repeated;
				if (!n)
					return true;
			}
			if (family == CIOT_FAMILY_MQTT && s->mode != MODE_HTTP_HEADERS && s->mode != MODE_HTTP_BODY &&
			    s->mode != MODE_HTTP_CHUNKED && s->mode != MODE_HTTP_OPEN) {
				mqtt_segment(o, s, p, n, t, by_content);
				return true;
			}
			if (http_segment(o, s, peer, family, p, n, t, by_content))
				return true;
			if (repeated) {
				/* new bytes after a repeated prefix that start no message: judged by their
				 * content, as a packet no rule reads would be (found by fuzz-encryption) */
				count(t, ciot_content_classify(o, p, n), CIOT_SPAN_OTHER, p, n);
				return true;
			}
		}
		if (o->mode == CIOT_ENTROPY_PAPER && (pkt->sport == WIRESHARK_TLS_PORT || pkt->dport == WIRESHARK_TLS_PORT) &&
		    ciot_entropy256(p, n) > PAPER_TLS_ENCRYPTED_ABOVE) {
			count(t, CIOT_CONTENT_ENCRYPTED, CIOT_SPAN_OTHER, p, n);
			*by_content = true;
			return true;
		}
		if (family == CIOT_FAMILY_SSH) {
			count(t, ssh_segment(s, p, n), CIOT_SPAN_PROTECTED, p, n);
			return true;
		}
		if (family == CIOT_FAMILY_DNS || pkt->sport == DNS_PORT || pkt->dport == DNS_PORT) {
			bool keys = n > 2 && ciot_dns_has_dnssec(p + 2, n - 2);
			count(t, keys ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT, CIOT_SPAN_DNS, p, n);
			return true;
		}
	} else if (pkt->proto == CIOT_PROTO_UDP) {
		if (family == CIOT_FAMILY_QUIC || (family == CIOT_FAMILY_OTHER && quic_shaped(pkt, p, n))) {
			count(t, CIOT_CONTENT_ENCRYPTED, CIOT_SPAN_PROTECTED, p, n);
			return true;
		}
		if ((family == CIOT_FAMILY_DTLS || family == CIOT_FAMILY_OTHER) && dtls_datagram(p, n, t)) {
			span(t, CIOT_CONTENT_ENCRYPTED, CIOT_SPAN_PROTECTED, p, n);
			return true;
		}
		if (family == CIOT_FAMILY_DNS || is_dns_port(pkt)) {
			count(t, ciot_dns_has_dnssec(p, n) ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT, CIOT_SPAN_DNS, p, n);
			return true;
		}
		if (family == CIOT_FAMILY_RTP) {
			count(t, CIOT_CONTENT_MEDIA, CIOT_SPAN_MEDIA, p, n);
			return true;
		}
		if (http_message_start(p, n)) { /* SSDP, GENA over UDP */
			count(t, CIOT_CONTENT_TEXT, CIOT_SPAN_HTTP_HEADER, p, n);
			return true;
		}
	}
	if (pkt->proto == PROTO_ICMP || pkt->proto == PROTO_ICMPV6) {
		count(t, icmp_class(o, p, n), CIOT_SPAN_OTHER, p, n);
		*by_content = true;
		return true;
	}
	if (family == CIOT_FAMILY_OTHER_ENCRYPTED) {
		count(t, CIOT_CONTENT_ENCRYPTED, CIOT_SPAN_PROTECTED, p, n);
		return true;
	}
	return false;
}

enum ciot_content_class ciot_encryption_packet(const struct ciot_entropy_options *o, struct ciot_encryption_flow *f,
					       int dir, enum ciot_dpi_family family, const struct ciot_packet *pkt,
					       struct ciot_tcp_position at, enum ciot_class_step *step,
					       struct ciot_payload_spans *spans)
{
	if (spans) {
		spans->n = 0;
		spans->overflow = false;
	}
	if (pkt->payload_len == 0 && !pkt->later_fragment)
		return CIOT_CONTENT_NCLASSES;
	struct ciot_stream *s = &f->dir[dir];
	enum ciot_content_class cls;
	*step = CIOT_STEP_PROTOCOL;
	if (pkt->later_fragment) {
		/* the rest of a datagram whose first fragment was classified: its class */
		cls = s->last_class ? (enum ciot_content_class)(s->last_class - 1) : CIOT_CONTENT_UNKNOWN;
	} else if (pkt->payload_caplen == 0) {
		/* the capture kept none of the payload (a short snaplen): nothing to judge by */
		cls = CIOT_CONTENT_OMITTED;
		*step = CIOT_STEP_LENGTH;
	} else {
		struct tally t = { { 0 }, pkt->payload, spans };
		bool by_content = false;
		if (protocol_rules(o, s, &f->dir[1 - dir], family, pkt, at, &t, &by_content) &&
		    (cls = tally_winner(&t)) < CIOT_CONTENT_NCLASSES) {
			if (by_content && cls != CIOT_CONTENT_TEXT)
				*step = CIOT_STEP_ENTROPY;
		} else {
			/* steps 2 to 4 at once: only a magic number yields compressed or media */
			cls = ciot_content_classify(o, pkt->payload, pkt->payload_caplen);
			if (spans)
				spans->n = 0;
			span(&t, cls, CIOT_SPAN_OTHER, pkt->payload, pkt->payload_caplen);
			*step = cls == CIOT_CONTENT_COMPRESSED || cls == CIOT_CONTENT_MEDIA ? CIOT_STEP_MAGIC
				: cls == CIOT_CONTENT_OMITTED				  ? CIOT_STEP_LENGTH
											  : CIOT_STEP_ENTROPY;
		}
	}
	s->last_class = (uint8_t)(cls + 1);
	if (s->mode == MODE_TLS)
		f->counts.tls_records = true;
	f->counts.packets[cls]++;
	f->counts.bytes[cls] += pkt->wirelen;
	f->counts.payload_bytes[cls] += pkt->payload_len;
	if (cls == CIOT_CONTENT_ENCRYPTED && *step == CIOT_STEP_ENTROPY)
		f->counts.entropy_encrypted++;
	return cls;
}
