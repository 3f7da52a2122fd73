/* encryption.c: the per-packet classes of encryption.h. TLS records (RFC 8446 section 5, RFC 5246
 * section 6.2), DTLS records (RFC 9147 section 4, RFC 6347 section 4.1), HTTP/1.x headers (RFC 9112)
 * are read with explicit bounds from the captured bytes only. */
#include <string.h>

#include "dns.h"
#include "encryption.h"

/* What a direction carries, as far as the protocol rules know. */
enum stream_mode {
	MODE_NONE,         /* nothing recognized yet, or between HTTP messages */
	MODE_TLS,          /* TLS records */
	MODE_HTTP_HEADERS, /* inside an HTTP header block that continues in the next packet */
	MODE_HTTP_BODY,    /* an HTTP body of known length (body_left) */
	MODE_HTTP_OPEN     /* an HTTP body that runs to the next message or the end (chunked, close) */
};

#define TLS_HEADER 5
#define TLS_MAX_RECORD (16384 + 2048) /* the largest TLSCiphertext (RFC 8446 section 5.2) */
#define TLS_CHANGE_CIPHER_SPEC 20
#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_APPLICATION_DATA 23
#define TLS_HEARTBEAT 24
#define DTLS_HEADER 13
#define DNS_PORT 53
#define MDNS_PORT 5353
#define LLMNR_PORT 5355
#define PROTO_TCP 6
#define PROTO_UDP 17

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

/* Bytes of a packet per class, to settle a packet that mixes classes. */
struct tally {
	size_t bytes[CIOT_CONTENT_NCLASSES];
};

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

static bool tls_header_plausible(const uint8_t *p, size_t n)
{
	if (n < TLS_HEADER)
		return false;
	uint16_t len = (uint16_t)(p[3] << 8 | p[4]);
	return p[0] >= TLS_CHANGE_CIPHER_SPEC && p[0] <= TLS_HEARTBEAT && p[1] == 3 && p[2] <= 4 && len > 0 &&
	       len <= TLS_MAX_RECORD;
}

static enum ciot_content_class tls_record_class(const struct ciot_stream *s, uint8_t type)
{
	if (type == TLS_APPLICATION_DATA)
		return CIOT_CONTENT_ENCRYPTED;
	/* before ChangeCipherSpec, handshake messages, alerts and the CCS itself are in clear */
	return s->tls_ccs && type != TLS_CHANGE_CIPHER_SPEC ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT;
}

/* One TCP segment of a TLS direction: counts its bytes by the record they belong to. Record
 * headers are found by sequence number, so retransmissions and segments of any size are fine; a
 * gap (lost capture) or a header cut between segments loses the boundaries until a segment starts
 * with a plausible header again, and meanwhile bytes take the current record's class. */
static void tls_segment(struct ciot_stream *s, uint32_t seq, const uint8_t *p, size_t n, struct tally *t)
{
	int32_t off = (int32_t)(s->tls_next - seq);
	if (s->tls_lost || off < 0) {
		if (!tls_header_plausible(p, n)) {
			s->tls_lost = true;
			t->bytes[tls_record_class(s, s->tls_type)] += n;
			return;
		}
		s->tls_lost = false;
		s->tls_next = seq;
		off = 0;
	}
	size_t pos = (size_t)off < n ? (size_t)off : n;
	t->bytes[tls_record_class(s, s->tls_type)] += pos;
	while (pos < n) {
		if (!tls_header_plausible(p + pos, n - pos)) {
			/* a header cut by the segment's end, or not a header: boundaries lost */
			s->tls_lost = true;
			t->bytes[tls_record_class(s, s->tls_type)] += n - pos;
			return;
		}
		uint8_t type = p[pos];
		size_t len = (size_t)(p[pos + 3] << 8 | p[pos + 4]);
		if (type == TLS_CHANGE_CIPHER_SPEC)
			s->tls_ccs = true;
		s->tls_type = type;
		size_t here = TLS_HEADER + len <= n - pos ? TLS_HEADER + len : n - pos;
		t->bytes[tls_record_class(s, type)] += here;
		s->tls_next = seq + (uint32_t)(pos + TLS_HEADER + len);
		pos += here;
	}
}

/* A DTLS datagram: its records, each with its own header. Epoch 0 is in clear; from epoch 1 on
 * every record is encrypted. */
static bool dtls_datagram(const uint8_t *p, size_t n, struct tally *t)
{
	size_t pos = 0;
	while (n - pos >= DTLS_HEADER) {
		const uint8_t *h = p + pos;
		if (h[0] < TLS_CHANGE_CIPHER_SPEC || h[0] > TLS_HEARTBEAT || h[1] != 0xfe)
			break;
		uint16_t epoch = (uint16_t)(h[3] << 8 | h[4]);
		size_t len = (size_t)(h[11] << 8 | h[12]);
		size_t here = DTLS_HEADER + len <= n - pos ? DTLS_HEADER + len : n - pos;
		bool encrypted = h[0] == TLS_APPLICATION_DATA || epoch > 0;
		t->bytes[encrypted ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT] += here;
		pos += here;
	}
	return pos > 0;
}

/* ---- HTTP ------------------------------------------------------------------------------------- */

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

/* One HTTP header block [p, p+n) (without the blank line): sets the direction's body state. */
static void http_headers(struct ciot_stream *s, const uint8_t *p, size_t n)
{
	enum ciot_content_class type_class = CIOT_CONTENT_NCLASSES;
	bool compressed = false, chunked = false, has_length = false;
	bool response = starts_with(p, n, "HTTP/1.") || starts_with(p, n, "RTSP/1.");
	bool no_body = false;
	size_t length = 0;
	if (response && n >= 12) {
		/* 1xx, 204 and 304 responses have no body (RFC 9112 section 6.3) */
		no_body = p[9] == '1' || (p[9] == '2' && p[10] == '0' && p[11] == '4') ||
			  (p[9] == '3' && p[10] == '0' && p[11] == '4');
	}
	size_t pos = 0;
	while (pos < n) {
		const uint8_t *line = p + pos;
		const uint8_t *eol = memchr(line, '\n', n - pos);
		size_t len = eol ? (size_t)(eol - line) : n - pos;
		pos += len + 1;
		const uint8_t *colon = memchr(line, ':', len);
		if (!colon)
			continue;
		size_t name_len = (size_t)(colon - line), vlen = len - name_len - 1;
		const uint8_t *v = colon + 1;
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		if (name_len == 12 && starts_with_nocase(line, 12, "content-type"))
			type_class = content_type_class(v, vlen);
		else if (name_len == 16 && starts_with_nocase(line, 16, "content-encoding"))
			compressed = !starts_with_nocase(v, vlen, "identity");
		else if (name_len == 14 && starts_with_nocase(line, 14, "content-length"))
			length = parse_decimal(v, vlen, &has_length);
		else if (name_len == 17 && starts_with_nocase(line, 17, "transfer-encoding"))
			chunked = true;
	}
	s->body_class = (uint8_t)(compressed ? CIOT_CONTENT_COMPRESSED : type_class);
	if (no_body || (has_length && length == 0) || (!response && !has_length && !chunked)) {
		s->mode = MODE_NONE;
	} else if (has_length && !chunked) {
		s->mode = MODE_HTTP_BODY;
		s->body_left = length > UINT32_MAX ? UINT32_MAX : (uint32_t)length;
	} else {
		s->mode = MODE_HTTP_OPEN;
	}
}

/* Finds the end of a header block: the offset just past "\r\n\r\n" (or "\n\n"), else 0. */
static size_t header_end(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
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

/* The bytes of an HTTP body: by the message's class, else by their own content. */
static void http_body(const struct ciot_entropy_options *o, const struct ciot_stream *s, const uint8_t *p, size_t n,
		      struct tally *t, bool *by_content)
{
	if (!n)
		return;
	if (s->body_class < CIOT_CONTENT_NCLASSES) {
		t->bytes[s->body_class] += n;
		return;
	}
	t->bytes[data_class(o, p, n, by_content)] += n;
}

/* One TCP segment of an HTTP direction. Returns false when it is not HTTP after all. */
static bool http_segment(const struct ciot_entropy_options *o, struct ciot_stream *s, const uint8_t *p, size_t n,
			 struct tally *t, bool *by_content)
{
	size_t pos = 0;
	while (pos < n) {
		const uint8_t *q = p + pos;
		size_t left = n - pos;
		if (s->mode == MODE_HTTP_BODY) {
			size_t take = s->body_left < left ? s->body_left : left;
			http_body(o, s, q, take, t, by_content);
			s->body_left -= (uint32_t)take;
			if (!s->body_left)
				s->mode = MODE_NONE;
			pos += take;
			continue;
		}
		if (s->mode == MODE_HTTP_OPEN && !http_message_start(q, left)) {
			http_body(o, s, q, left, t, by_content);
			return true;
		}
		if (s->mode != MODE_HTTP_HEADERS && !http_message_start(q, left))
			return pos > 0; /* not (or no longer) HTTP: the rest is for the other steps */
		size_t end = header_end(q, left);
		if (!end) {
			s->mode = MODE_HTTP_HEADERS;
			t->bytes[CIOT_CONTENT_TEXT] += left;
			return true;
		}
		t->bytes[CIOT_CONTENT_TEXT] += end;
		http_headers(s, q, end);
		pos += end;
	}
	return true;
}

/* ---- MQTT ------------------------------------------------------------------------------------- */

#define MQTT_PUBLISH 3

/* MQTT control packets (MQTT 3.1.1 and 5.0, section 2) in one TCP segment: their headers, topics
 * and properties are text; a PUBLISH payload is application data, judged by its bytes like an
 * HTTP body of unknown type. A packet cut by the segment's end is judged as far as it goes; the
 * next segment is read from its start again (MQTT is not reassembled). */
static void mqtt_segment(const struct ciot_entropy_options *o, const uint8_t *p, size_t n, struct tally *t,
			 bool *by_content)
{
	size_t pos = 0;
	while (pos + 2 <= n) {
		uint8_t type = p[pos] >> 4, qos = (p[pos] >> 1) & 3;
		size_t len = 0, at = pos + 1;
		unsigned shift = 0;
		for (; at < n && shift <= 21; shift += 7) {
			len |= (size_t)(p[at] & 0x7f) << shift;
			if (!(p[at++] & 0x80))
				break;
		}
		if (type == 0 || shift > 21 || at > n) {
			t->bytes[CIOT_CONTENT_TEXT] += n - pos; /* not MQTT framing: count as is */
			return;
		}
		size_t end = at + len < n ? at + len : n;
		size_t text_end = end;
		if (type == MQTT_PUBLISH && at + 2 <= end) {
			size_t topic = (size_t)(p[at] << 8 | p[at + 1]);
			text_end = at + 2 + topic + (qos ? 2 : 0);
			if (text_end > end)
				text_end = end;
		}
		t->bytes[CIOT_CONTENT_TEXT] += text_end - pos;
		if (end > text_end)
			t->bytes[data_class(o, p + text_end, end - text_end, by_content)] += end - text_end;
		pos = end;
	}
	t->bytes[CIOT_CONTENT_TEXT] += n - pos;
}

/* ---- the method ----------------------------------------------------------------------------- */

static bool is_dns_port(const struct ciot_packet *pkt)
{
	uint16_t a = pkt->sport, b = pkt->dport;
	return a == DNS_PORT || b == DNS_PORT || a == MDNS_PORT || b == MDNS_PORT || a == LLMNR_PORT ||
	       b == LLMNR_PORT;
}

/* Step 1 for one packet; false when no rule applies. Sets *by_content when some bytes were left to
 * the other steps (an HTTP body of unknown type). */
static bool protocol_rules(const struct ciot_entropy_options *o, struct ciot_stream *s, enum ciot_dpi_family family,
			   const struct ciot_packet *pkt, struct tally *t, bool *by_content)
{
	const uint8_t *p = pkt->payload;
	size_t n = pkt->payload_caplen;
	if (pkt->proto == PROTO_TCP) {
		if (s->mode == MODE_TLS || (s->mode == MODE_NONE && (family == CIOT_FAMILY_TLS || family == CIOT_FAMILY_OTHER) &&
					    tls_header_plausible(p, n))) {
			if (s->mode != MODE_TLS) {
				s->mode = MODE_TLS;
				s->tls_next = pkt->tcp_seq;
			}
			tls_segment(s, pkt->tcp_seq, p, n, t);
			return true;
		}
		if (s->mode != MODE_NONE || family == CIOT_FAMILY_HTTP || family == CIOT_FAMILY_RTSP ||
		    http_message_start(p, n)) {
			if (family == CIOT_FAMILY_RTSP && s->mode == MODE_NONE && p[0] == '$') {
				t->bytes[CIOT_CONTENT_MEDIA] += n; /* interleaved RTP (RFC 2326 section 10.12) */
				return true;
			}
			if (http_segment(o, s, p, n, t, by_content))
				return true;
		}
		if (family == CIOT_FAMILY_MQTT) {
			mqtt_segment(o, p, n, t, by_content);
			return true;
		}
		if (family == CIOT_FAMILY_SSH) {
			t->bytes[starts_with(p, n, "SSH-") ? CIOT_CONTENT_TEXT : CIOT_CONTENT_ENCRYPTED] += n;
			return true;
		}
		if (family == CIOT_FAMILY_DNS || pkt->sport == DNS_PORT || pkt->dport == DNS_PORT) {
			bool keys = n > 2 && ciot_dns_has_dnssec(p + 2, n - 2);
			t->bytes[keys ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT] += n;
			return true;
		}
	} else if (pkt->proto == PROTO_UDP) {
		if (family == CIOT_FAMILY_QUIC) {
			t->bytes[CIOT_CONTENT_ENCRYPTED] += n;
			return true;
		}
		if ((family == CIOT_FAMILY_DTLS || family == CIOT_FAMILY_OTHER) && dtls_datagram(p, n, t))
			return true;
		if (family == CIOT_FAMILY_DNS || is_dns_port(pkt)) {
			t->bytes[ciot_dns_has_dnssec(p, n) ? CIOT_CONTENT_ENCRYPTED : CIOT_CONTENT_TEXT] += n;
			return true;
		}
		if (family == CIOT_FAMILY_RTP) {
			t->bytes[CIOT_CONTENT_MEDIA] += n;
			return true;
		}
	}
	if (family == CIOT_FAMILY_OTHER_ENCRYPTED) {
		t->bytes[CIOT_CONTENT_ENCRYPTED] += n;
		return true;
	}
	return false;
}

enum ciot_content_class ciot_encryption_packet(const struct ciot_entropy_options *o, struct ciot_encryption_flow *f,
					       int dir, enum ciot_dpi_family family, const struct ciot_packet *pkt,
					       enum ciot_class_step *step)
{
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
		struct tally t = { { 0 } };
		bool by_content = false;
		if (protocol_rules(o, s, family, pkt, &t, &by_content) && (cls = tally_winner(&t)) < CIOT_CONTENT_NCLASSES) {
			if (by_content && cls != CIOT_CONTENT_TEXT)
				*step = CIOT_STEP_ENTROPY;
		} else {
			/* steps 2 to 4 at once: only a magic number yields compressed or media */
			cls = ciot_content_classify(o, pkt->payload, pkt->payload_caplen);
			*step = cls == CIOT_CONTENT_COMPRESSED || cls == CIOT_CONTENT_MEDIA ? CIOT_STEP_MAGIC
				: cls == CIOT_CONTENT_OMITTED				  ? CIOT_STEP_LENGTH
											  : CIOT_STEP_ENTROPY;
		}
	}
	s->last_class = (uint8_t)(cls + 1);
	f->counts.packets[cls]++;
	f->counts.bytes[cls] += pkt->wirelen;
	if (cls == CIOT_CONTENT_ENCRYPTED && *step == CIOT_STEP_ENTROPY)
		f->counts.entropy_encrypted++;
	return cls;
}
