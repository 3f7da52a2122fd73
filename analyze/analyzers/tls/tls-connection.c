/* tls-connection.c: follows the connections of tls-connection.h. TLS records (RFC 8446 section 5,
 * RFC 5246 section 6.2), the SSLv2-compatible ClientHello and SSLv2's SERVER-HELLO (RFC 6101
 * appendix E), DTLS records and handshake fragments (RFC 6347 sections 4.1 and 4.2.2, RFC 9147
 * sections 4 and 5.2), QUIC's long header (RFC 9000 section 17.2, RFC 8999).
 *
 * The TCP stream of a direction lives in a window (stream.h) whose base is the sequence number of
 * the next record header. A segment that starts at the base with nothing waiting is read where it
 * is; otherwise the window holds it at its offset and whole records are taken from its front. A
 * record the audit does not read (application data) moves the base past its end at once, so its
 * body is never copied and a segment wholly inside it costs a comparison. When the front stays
 * missing (a segment the capture lost) and data beyond the window arrives, or the bytes at the
 * front are not a record header, the direction waits for a segment that starts with a header and
 * starts again there (a gap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ciot/cursor.h"
#include "stream.h"
#include "tls-connection.h"


#define HANDSHAKE_HEADER 4
#define SSLV2_SERVER_HELLO 4
#define ALERT_LEVEL_WARNING 1
#define ALERT_LEVEL_FATAL 2
/* A client's first QUIC datagram is padded to at least this (RFC 9000 section 14.1; gQUIC pads
 * further), which keeps a UDP flow that merely starts with a high bit (half of all DNS queries)
 * from being taken for QUIC. */
#define QUIC_MIN_INITIAL 1200

enum verdict { VERDICT_UNDECIDED, VERDICT_FOLLOWED, VERDICT_NOT_TLS };

/* Handshake messages of one direction, put together across records. */
struct handshake {
	uint8_t *buf;
	uint32_t len, cap;
	uint32_t skip;                        /* bytes still to pass of a message too large to read */
};

/* DTLS: the one handshake message being put together from fragments. */
struct dtls_message {
	uint8_t *buf;
	uint32_t cap, total, filled;          /* filled: bytes from offset 0 on that are there */
	uint16_t seq;
	uint8_t type;
	bool active;
};

struct direction {
	struct ciot_tcp_window stream;        /* TCP: the bytes from the next record header on */
	bool stream_started;
	bool stream_lost;                     /* waiting for a segment that starts with a record header */
	struct handshake hs;
	struct dtls_message dtls;
	bool keys_changed;                    /* ChangeCipherSpec sent (or DTLS epoch > 0) */
	bool first_record_read;               /* the SSLv2 forms are looked for only in the first */
	bool dead;                            /* nothing more is read in this direction */
	uint8_t last_type;                    /* the last record's content type, 0 before any */
	uint32_t last_len;
	bool last_counted_as_data;            /* the last record was counted as application data */
};

struct ciot_tls_connection {
	struct ciot_tls_summary *s;
	struct direction dir[2];              /* by flow direction */
	uint32_t packets;                     /* so far: orders the closings */
};

const char *ciot_tls_protocol_name(enum ciot_tls_protocol p)
{
	switch (p) {
	case CIOT_TLS_PROTO_TLS: return "tls";
	case CIOT_TLS_PROTO_DTLS: return "dtls";
	case CIOT_TLS_PROTO_QUIC: return "quic";
	}
	return "?";
}

static int role_of(const struct ciot_tls_connection *c, int dir)
{
	return dir == c->s->client_dir ? CIOT_TLS_CLIENT : CIOT_TLS_SERVER;
}

static bool is_tls13(uint16_t version)
{
	return version == 0x0304 || version == 0xfefc;
}

/* TLS 1.3's record rules apply once its ServerHello, or a HelloRetryRequest (which only TLS 1.3
 * has), was read. */
static bool tls13_rules(const struct ciot_tls_summary *s)
{
	return is_tls13(s->version) || s->hello_retry;
}

/* ---- memory ----------------------------------------------------------------------------------- */

static void fail(struct ciot_tls_flow *t)
{
	t->failed = true;
}

/* ---- what the records say --------------------------------------------------------------------- */

static void add_alert(struct ciot_tls_side *side, uint8_t level, uint8_t description, bool encrypted)
{
	side->alerts_total++;
	if (side->nalerts < CIOT_TLS_MAX_ALERTS)
		side->alerts[side->nalerts++] =
			(struct ciot_tls_alert){ .level = level, .description = description, .encrypted = encrypted };
}

struct chain_context {
	struct ciot_tls_side *side;
	bool failed;
};

static void keep_certificate(void *ctx, unsigned index, const uint8_t *der, size_t len)
{
	struct chain_context *cc = ctx;
	struct ciot_tls_side *side = cc->side;
	(void)index;
	size_t used = side->nchain ? side->chain_offset[side->nchain - 1] + side->chain_len[side->nchain - 1] : 0;
	if (len > CIOT_TLS_CHAIN_BYTES - used) {
		side->chain_truncated = true;
		return;
	}
	uint8_t *grown = realloc(side->chain, used + len);
	if (!grown) {
		cc->failed = true;
		return;
	}
	side->chain = grown;
	memcpy(side->chain + used, der, len);
	side->chain_offset[side->nchain] = used;
	side->chain_len[side->nchain] = len;
	side->nchain++;
}

/* The first hello says which direction is the client's. What was counted before it (under the
 * guess that the initiator is the client) moves with its direction. */
static void set_client_dir(struct ciot_tls_summary *s, int d)
{
	if (s->client_dir == d)
		return;
	struct ciot_tls_side tmp = s->side[0];
	s->side[0] = s->side[1];
	s->side[1] = tmp;
	s->client_dir = d;
}

/* A whole handshake message in clear from flow direction d. */
static void handshake_message(struct ciot_tls_flow *t, int d, uint8_t type, const uint8_t *body, size_t len)
{
	struct ciot_tls_connection *c = t->conn;
	struct ciot_tls_summary *s = c->s;
	bool dtls = s->protocol == CIOT_TLS_PROTO_DTLS;
	switch (type) {
	case CIOT_TLS_CLIENT_HELLO:
		/* the first ClientHello (a second answers a HelloRetryRequest or a DTLS cookie) */
		if (s->side[CIOT_TLS_CLIENT].hello || s->side[CIOT_TLS_SERVER].hello)
			return;
		set_client_dir(s, d);
		s->side[CIOT_TLS_CLIENT].hello = true;
		if (ciot_tls_parse_client_hello(body, len, dtls, &s->ch) != CIOT_TLS_OK)
			s->side[CIOT_TLS_CLIENT].handshake_malformed = true;
		return;
	case CIOT_TLS_SERVER_HELLO: {
		/* without a ClientHello (the capture began after it), the ServerHello names the client */
		if (!s->side[CIOT_TLS_CLIENT].hello && !s->side[CIOT_TLS_SERVER].hello)
			set_client_dir(s, !d);
		struct ciot_tls_server_hello sh;
		enum ciot_tls_result r = ciot_tls_parse_server_hello(body, len, dtls, &sh);
		struct ciot_tls_side *server = &s->side[role_of(c, d)];
		if (r != CIOT_TLS_OK)
			server->handshake_malformed = true;
		if (sh.hello_retry_request) {
			s->hello_retry = true;
			return;
		}
		if (server->hello)
			return;
		server->hello = true;
		s->sh = sh;
		s->version = sh.selected_version ? sh.selected_version : sh.legacy_version;
		return;
	}
	case CIOT_TLS_CERTIFICATE: {
		struct ciot_tls_side *side = &s->side[role_of(c, d)];
		if (side->certificate_message)
			return;
		side->certificate_message = true;
		struct chain_context cc = { .side = side };
		unsigned entries;
		if (ciot_tls_parse_certificate(body, len, is_tls13(s->version), keep_certificate, &cc, &entries) !=
		    CIOT_TLS_OK)
			side->handshake_malformed = true;
		if (entries > side->nchain)
			side->chain_truncated = true;
		if (cc.failed)
			fail(t);
		return;
	}
	case CIOT_TLS_CERTIFICATE_REQUEST:
		if (role_of(c, d) == CIOT_TLS_SERVER)
			s->certificate_request = true;
		return;
	default:
		return;
	}
}

/* Clear handshake bytes of a TLS record from direction d: messages are taken whole from the front. */
static void handshake_bytes(struct ciot_tls_flow *t, int d, const uint8_t *p, size_t n)
{
	struct direction *dir = &t->conn->dir[d];
	struct handshake *hs = &dir->hs;
	struct ciot_tls_side *side = &t->conn->s->side[role_of(t->conn, d)];
	if (side->handshake_malformed)
		return;
	while (n > 0) {
		if (hs->skip) {
			size_t k = n < hs->skip ? n : hs->skip;
			hs->skip -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		/* take what fits; the loop below always frees room or starts a skip */
		uint32_t room = CIOT_TLS_HANDSHAKE_MAX + HANDSHAKE_HEADER - hs->len;
		size_t k = n < room ? n : room;
		if (!ciot_bytes_grow(&hs->buf, &hs->cap, hs->len + (uint32_t)k, 1024, CIOT_TLS_HANDSHAKE_MAX + HANDSHAKE_HEADER)) {
			fail(t);
			return;
		}
		memcpy(hs->buf + hs->len, p, k);
		hs->len += (uint32_t)k;
		p += k;
		n -= k;
		while (hs->len >= HANDSHAKE_HEADER) {
			uint32_t total = HANDSHAKE_HEADER + ciot_be24_at(hs->buf, hs->len, 1);
			if (total > CIOT_TLS_HANDSHAKE_MAX + HANDSHAKE_HEADER) {
				side->handshake_truncated = true;
				if (hs->buf[0] == CIOT_TLS_CERTIFICATE) {
					/* sent, but not read: not the ticket resumption its absence means */
					side->certificate_message = true;
					side->chain_truncated = true;
				}
				hs->skip = total - hs->len;
				hs->len = 0;
				break;
			}
			if (hs->len < total)
				break;
			uint8_t type;
			const uint8_t *body;
			size_t body_len, consumed;
			if (ciot_tls_handshake_next(hs->buf, hs->len, false, &type, &body, &body_len, &consumed) !=
			    CIOT_TLS_OK) {
				side->handshake_malformed = true;
				hs->len = 0;
				return;
			}
			handshake_message(t, d, type, body, body_len);
			if (t->failed)
				return;
			memmove(hs->buf, hs->buf + consumed, hs->len - consumed);
			hs->len -= (uint32_t)consumed;
		}
	}
}

/* The last record a direction sent, for TLS 1.3's trailing alert (settle). */
static void note_record(struct direction *dir, uint8_t type, size_t len)
{
	dir->last_type = type;
	dir->last_len = (uint32_t)len;
	dir->last_counted_as_data = false;
}

/* An encrypted record, or an application data record, of `len` bytes from direction d. */
static void protected_record(struct ciot_tls_connection *c, int d, uint8_t type, size_t len)
{
	struct ciot_tls_summary *s = c->s;
	int role = role_of(c, d);
	struct ciot_tls_side *side = &s->side[role];
	struct direction *dir = &c->dir[d];
	note_record(dir, type, len);
	if (type == CIOT_TLS_ALERT) {
		add_alert(side, 0, 0, true);
		return;
	}
	if (type == CIOT_TLS_HANDSHAKE) {
		side->finished = true; /* the first encrypted handshake message is Finished */
		return;
	}
	if (type != CIOT_TLS_APPLICATION_DATA)
		return;
	if (tls13_rules(s)) {
		/* the handshake's second half travels in application_data records too */
		if (len <= CIOT_TLS13_ALERT_RECORD_MAX && !side->finished && role == CIOT_TLS_CLIENT)
			return; /* an alert, if anything: decided when the connection ends */
		if (role == CIOT_TLS_CLIENT && !side->finished) {
			side->finished = true;
			return;
		}
		if (role == CIOT_TLS_SERVER && !s->side[CIOT_TLS_CLIENT].finished) {
			if (len > CIOT_TLS13_ALERT_RECORD_MAX)
				side->finished = true; /* its encrypted flight, which ends with Finished */
			return;
		}
	}
	side->app_records++;
	side->app_bytes += len;
	dir->last_counted_as_data = true;
}

/* A whole TLS (or DTLS epoch-0) record from direction d; `body` holds `len` bytes for the types in
 * clear, NULL for the others. */
static void tls_record(struct ciot_tls_flow *t, int d, uint8_t type, const uint8_t *body, size_t len)
{
	struct ciot_tls_connection *c = t->conn;
	struct direction *dir = &c->dir[d];
	struct ciot_tls_side *side = &c->s->side[role_of(c, d)];
	note_record(dir, type, len);
	if (type == CIOT_TLS_CHANGE_CIPHER_SPEC) {
		dir->keys_changed = true;
		side->change_cipher_spec = true;
		return;
	}
	/* TLS 1.3's compatibility ChangeCipherSpec changes nothing: its later records are
	 * application_data anyway, and an alert of 2 bytes is still in clear */
	bool encrypted = dir->keys_changed && !tls13_rules(c->s);
	if (type == CIOT_TLS_ALERT && !encrypted && len == 2 && body) {
		add_alert(side, body[0], body[1], false);
		return;
	}
	if (type == CIOT_TLS_HANDSHAKE && !encrypted && body) {
		handshake_bytes(t, d, body, len);
		return;
	}
	protected_record(c, d, type, len);
}

/* ---- TCP -------------------------------------------------------------------------------------- */

/* SSLv2's SERVER-HELLO (RFC 6101 appendix E): a 2-byte record header, msg_type 4, session_id_hit,
 * certificate_type, server_version 0x0002. */
static bool is_sslv2_server_hello(const uint8_t *p, size_t n)
{
	return n >= 7 && (p[0] & 0x80) && p[2] == SSLV2_SERVER_HELLO && p[5] == 0 && p[6] == 2;
}

/* Whether a direction's stream can start with these bytes. */
static bool starts_tls(const uint8_t *p, size_t n)
{
	return ciot_tls_record_header_plausible(p, n) || ciot_tls_is_sslv2_client_hello(p, n) ||
	       is_sslv2_server_hello(p, n);
}

/* The first record of a direction may be an SSLv2 ClientHello or SERVER-HELLO. */
enum sslv2_first { SSLV2_NO, SSLV2_TOOK, SSLV2_WAIT };
static enum sslv2_first sslv2_first_record(struct ciot_tls_flow *t, int d, const uint8_t *p, uint32_t avail,
					   uint32_t *took)
{
	struct ciot_tls_connection *c = t->conn;
	struct ciot_tls_summary *s = c->s;
	*took = 0;
	if (avail < 2 || !(p[0] & 0x80))
		return SSLV2_NO;
	uint32_t total = 2 + (ciot_be16_at(p, avail, 0) & 0x7fffu);
	if (ciot_tls_is_sslv2_client_hello(p, avail) && !s->side[CIOT_TLS_CLIENT].hello) {
		if (avail < total)
			return SSLV2_WAIT;
		set_client_dir(s, d);
		s->side[CIOT_TLS_CLIENT].hello = true;
		if (ciot_tls_parse_sslv2_client_hello(p, total, &s->ch) != CIOT_TLS_OK)
			s->side[CIOT_TLS_CLIENT].handshake_malformed = true;
		*took = total;
		return SSLV2_TOOK;
	}
	if (is_sslv2_server_hello(p, avail) && s->side[CIOT_TLS_CLIENT].hello && d != s->client_dir) {
		s->side[CIOT_TLS_SERVER].hello = true;
		s->sslv2_server = true;
		s->version = 0x0002;
		/* the rest of the connection is SSLv2's own record layer, which this audit does not read */
		c->dir[0].dead = c->dir[1].dead = true;
		return SSLV2_TOOK;
	}
	return SSLV2_NO;
}

/* Takes the whole records at the start of [p, p+avail), the bytes from the window's base on, and
 * returns how many bytes they spanned: past `avail` when the last one is a record whose body is
 * skipped. Stops at a record the audit reads that is not all there yet. */
static uint32_t take_records(struct ciot_tls_flow *t, int d, const uint8_t *p, uint32_t avail)
{
	struct direction *dir = &t->conn->dir[d];
	uint32_t used = 0;
	while (used < avail && !dir->dead && !dir->stream_lost && !t->failed) {
		const uint8_t *r = p + used;
		uint32_t left = avail - used;
		if (!dir->first_record_read) {
			uint32_t took;
			enum sslv2_first v = sslv2_first_record(t, d, r, left, &took);
			if (v == SSLV2_WAIT)
				break;
			if (v == SSLV2_TOOK) {
				dir->first_record_read = true;
				used += took;
				continue;
			}
		}
		if (left < CIOT_TLS_RECORD_HEADER)
			break;
		if (!ciot_tls_record_header_plausible(r, left)) {
			/* not a record header: the boundaries are lost */
			dir->stream_lost = true;
			t->conn->s->side[role_of(t->conn, d)].gaps++;
			break;
		}
		dir->first_record_read = true;
		struct ciot_tls_record_header h;
		ciot_tls_record_header_read(r, left, &h);
		uint8_t type = h.type;
		uint32_t len = h.length;
		bool clear = type == CIOT_TLS_CHANGE_CIPHER_SPEC || type == CIOT_TLS_ALERT || type == CIOT_TLS_HANDSHAKE;
		if (clear) {
			if (left < CIOT_TLS_RECORD_HEADER + len)
				break;
			tls_record(t, d, type, r + CIOT_TLS_RECORD_HEADER, len);
		} else {
			tls_record(t, d, type, NULL, len);
		}
		used += CIOT_TLS_RECORD_HEADER + len;
	}
	return used;
}

/* Takes the whole records at the front of direction d's window. */
static void stream_records(struct ciot_tls_flow *t, int d)
{
	struct direction *dir = &t->conn->dir[d];
	for (;;) {
		uint32_t used = take_records(t, d, dir->stream.buf, ciot_tcp_window_front(&dir->stream));
		if (dir->stream_lost) {
			ciot_tcp_window_reset(&dir->stream, dir->stream.base);
			return;
		}
		if (!used)
			return;
		ciot_tcp_window_consume(&dir->stream, used);
	}
}

/* Once a direction sends application data its clear-text handshake is over: what it held for
 * putting records and messages together goes back, and comes again only for a record header cut
 * by a segment's end or a segment out of order. */
static void stream_trim(struct direction *dir)
{
	if (dir->last_type != CIOT_TLS_APPLICATION_DATA || ciot_tcp_window_holds(&dir->stream))
		return;
	ciot_tcp_window_release(&dir->stream);
	if (dir->hs.len == 0 && !dir->hs.skip) {
		free(dir->hs.buf);
		dir->hs.buf = NULL;
		dir->hs.cap = 0;
	}
}

/* Starts direction d's records again at seq: the first segment, or one after a gap. */
static void stream_restart(struct direction *dir, uint32_t seq)
{
	ciot_tcp_window_reset(&dir->stream, seq);
	dir->stream_lost = false;
}

static void tcp_segment(struct ciot_tls_flow *t, int d, uint32_t seq, const uint8_t *p, size_t n)
{
	struct direction *dir = &t->conn->dir[d];
	struct ciot_tcp_window *w = &dir->stream;
	if (dir->dead || n == 0)
		return;
	if (dir->stream_lost) {
		if (!ciot_tls_record_header_plausible(p, n))
			return;
		stream_restart(dir, seq);
	}
	if (!dir->stream_started) {
		if (t->isn_known & (1u << d))
			ciot_tcp_window_init(w, CIOT_TLS_STREAM_MAX, t->isn[d] + 1);
		else if (starts_tls(p, n))
			ciot_tcp_window_init(w, CIOT_TLS_STREAM_MAX, seq);
		else
			return;
		dir->stream_started = true;
	}
	uint32_t off;
	enum ciot_tcp_place place = ciot_tcp_window_place(w, &seq, &p, &n, &off);
	if (place == CIOT_TCP_BEHIND)
		return; /* all of it is behind: retransmitted, or inside a skipped record */
	if (place == CIOT_TCP_BEYOND) {
		/* a hole that does not fill: start again at a segment that starts a record */
		dir->stream_lost = true;
		ciot_tcp_window_reset(w, w->base);
		t->conn->s->side[role_of(t->conn, d)].gaps++;
		if (!ciot_tls_record_header_plausible(p, n))
			return;
		stream_restart(dir, seq);
		off = 0;
	}
	if (off == 0 && !ciot_tcp_window_holds(w)) {
		/* in order with nothing waiting (nearly always): records are read in the packet, and
		 * only an unfinished one is kept */
		uint32_t used = take_records(t, d, p, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
		ciot_tcp_window_consume(w, used);
		if (used >= n || dir->dead || dir->stream_lost || t->failed) {
			stream_trim(dir);
			return;
		}
		p += used;
		n -= used;
	}
	if (!ciot_tcp_window_store(w, off, p, n)) {
		fail(t);
		return;
	}
	stream_records(t, d);
	stream_trim(dir);
}

/* ---- DTLS and QUIC ---------------------------------------------------------------------------- */

/* QUIC's long header (RFC 8999 section 5.1): the form bit, and a version that is not 0 (a version
 * negotiation packet). The fixed bit of QUIC v1 is not required: gQUIC and v2 differ. */
static bool starts_quic(const uint8_t *p, size_t n)
{
	return n >= 7 && (p[0] & 0x80) && (p[1] | p[2] | p[3] | p[4]) != 0;
}

/* A DTLS handshake fragment from direction d. */
static void dtls_fragment(struct ciot_tls_flow *t, int d, uint8_t type, uint32_t total, uint16_t seq,
			  uint32_t frag_off, const uint8_t *data, uint32_t frag_len)
{
	struct direction *dir = &t->conn->dir[d];
	struct ciot_tls_side *side = &t->conn->s->side[role_of(t->conn, d)];
	if (total > CIOT_TLS_HANDSHAKE_MAX) {
		side->handshake_truncated = true;
		if (type == CIOT_TLS_CERTIFICATE) {
			side->certificate_message = true;
			side->chain_truncated = true;
		}
		return;
	}
	if (frag_off == 0 && frag_len == total) {
		handshake_message(t, d, type, data, frag_len);
		return;
	}
	struct dtls_message *m = &dir->dtls;
	if (!m->active || m->seq != seq || m->type != type || m->total != total) {
		if (!ciot_bytes_grow(&m->buf, &m->cap, total, 1024, CIOT_TLS_HANDSHAKE_MAX)) {
			fail(t);
			return;
		}
		m->active = true;
		m->seq = seq;
		m->type = type;
		m->total = total;
		m->filled = 0;
	}
	/* fragments are taken in order; one beyond a hole waits for its retransmission */
	if (frag_off > m->filled || frag_off + frag_len <= m->filled)
		return;
	memcpy(m->buf + frag_off, data, frag_len);
	m->filled = frag_off + frag_len;
	if (m->filled == m->total) {
		m->active = false;
		handshake_message(t, d, type, m->buf, m->total);
	}
}

static void dtls_datagram(struct ciot_tls_flow *t, int d, const uint8_t *p, size_t n)
{
	struct ciot_tls_connection *c = t->conn;
	struct direction *dir = &c->dir[d];
	size_t pos = 0;
	struct ciot_dtls_record r;
	while (pos < n && !t->failed && ciot_dtls_next_record(p, n, &pos, &r)) {
		if (r.unified) {
			/* DTLS 1.3's unified header: a protected record, cut short or not */
			protected_record(c, d, CIOT_TLS_APPLICATION_DATA, r.length);
			continue;
		}
		if (r.cut)
			return; /* cut short by the capture */
		if (r.epoch > 0) {
			protected_record(c, d, r.type, r.length);
			continue;
		}
		if (r.type != CIOT_TLS_HANDSHAKE) {
			tls_record(t, d, r.type, r.body, r.length);
			continue;
		}
		note_record(dir, r.type, r.length);
		for (size_t at = 0; r.length - at >= CIOT_DTLS_HANDSHAKE_HEADER;) {
			struct ciot_dtls_fragment f;
			size_t used;
			if (ciot_dtls_fragment_read(r.body + at, r.length - at, &f, &used) != CIOT_TLS_OK) {
				c->s->side[role_of(c, d)].handshake_malformed = true;
				break;
			}
			dtls_fragment(t, d, f.type, f.total, f.seq, f.offset, f.body, f.length);
			at += used;
		}
	}
}

/* ---- the flow --------------------------------------------------------------------------------- */

static bool start(struct ciot_tls_flow *t, enum ciot_tls_protocol protocol)
{
	t->conn = calloc(1, sizeof *t->conn);
	struct ciot_tls_summary *s = t->conn ? calloc(1, sizeof *s) : NULL;
	if (!s) {
		free(t->conn);
		t->conn = NULL;
		t->failed = true;
		t->verdict = VERDICT_NOT_TLS;
		return false;
	}
	s->protocol = protocol;
	t->conn->s = s;
	t->verdict = VERDICT_FOLLOWED;
	return true;
}

void ciot_tls_summary_free(struct ciot_tls_summary *s);

static void release(struct ciot_tls_flow *t)
{
	struct ciot_tls_connection *c = t->conn;
	if (!c)
		return;
	ciot_tls_summary_free(c->s); /* NULL once ciot_tls_finish took it */
	for (int d = 0; d < 2; d++) {
		ciot_tcp_window_free(&c->dir[d].stream);
		free(c->dir[d].hs.buf);
		free(c->dir[d].dtls.buf);
	}
	free(c);
	t->conn = NULL;
}

void ciot_tls_summary_free(struct ciot_tls_summary *s)
{
	if (!s)
		return;
	free(s->side[0].chain);
	free(s->side[1].chain);
	free(s);
}

void ciot_tls_packet(struct ciot_tls_flow *t, int dir, const struct ciot_packet *pkt)
{
	if (t->verdict == VERDICT_NOT_TLS || pkt->later_fragment)
		return;
	if (pkt->proto == CIOT_PROTO_TCP && (pkt->tcp_flags & CIOT_TCP_SYN)) {
		t->isn[dir] = pkt->tcp_seq;
		t->isn_known |= (uint8_t)(1u << dir);
	}
	const uint8_t *p = pkt->payload;
	size_t n = pkt->payload_caplen;
	if (t->verdict == VERDICT_UNDECIDED) {
		if (n == 0)
			return;
		if (pkt->proto == CIOT_PROTO_TCP && starts_tls(p, n)) {
			if (!start(t, CIOT_TLS_PROTO_TLS))
				return;
		} else if (pkt->proto == CIOT_PROTO_UDP && ciot_dtls_record_header_plausible(p, n)) {
			if (!start(t, CIOT_TLS_PROTO_DTLS))
				return;
		} else if (pkt->proto == CIOT_PROTO_UDP && dir == 0 && pkt->payload_len >= QUIC_MIN_INITIAL &&
			   starts_quic(p, n)) {
			if (!start(t, CIOT_TLS_PROTO_QUIC))
				return;
			t->conn->s->quic_version = ciot_be32_at(p, n, 1);
		} else {
			t->verdict = VERDICT_NOT_TLS;
			return;
		}
	}
	struct ciot_tls_connection *c = t->conn;
	c->packets++;
	if (c->s->protocol == CIOT_TLS_PROTO_TLS)
		tcp_segment(t, dir, ciot_tcp_payload_seq(pkt), p, n);
	else if (c->s->protocol == CIOT_TLS_PROTO_DTLS && n > 0)
		dtls_datagram(t, dir, p, n);
	if (t->failed) {
		release(t);
		t->verdict = VERDICT_NOT_TLS;
		return;
	}
	if (pkt->proto == CIOT_PROTO_TCP && (pkt->tcp_flags & (CIOT_TCP_FIN | CIOT_TCP_RST))) {
		struct ciot_tls_side *side = &c->s->side[role_of(c, dir)];
		if (side->close == CIOT_TLS_OPEN) {
			side->close = (pkt->tcp_flags & CIOT_TCP_RST) ? CIOT_TLS_CLOSED_RST : CIOT_TLS_CLOSED_FIN;
			side->close_ts = pkt->ts_us;
			side->close_packet = c->packets;
		}
	}
}

/* What can only be decided at the end: TLS 1.3's trailing alerts, resumption, establishment. */
static void settle(struct ciot_tls_connection *c)
{
	struct ciot_tls_summary *s = c->s;
	struct ciot_tls_side *client = &s->side[CIOT_TLS_CLIENT], *server = &s->side[CIOT_TLS_SERVER];
	if (tls13_rules(s)) {
		/* a short encrypted record right before the side closed the connection is an alert
		 * (close_notify after data, or a refusal in the handshake) */
		for (int d = 0; d < 2; d++) {
			struct direction *dir = &c->dir[d];
			struct ciot_tls_side *side = &s->side[role_of(c, d)];
			if (dir->last_type != CIOT_TLS_APPLICATION_DATA || dir->last_len > CIOT_TLS13_ALERT_RECORD_MAX ||
			    side->close == CIOT_TLS_OPEN)
				continue;
			if (dir->last_counted_as_data) {
				side->app_records--;
				side->app_bytes -= dir->last_len;
			}
			add_alert(side, 0, 0, true);
		}
		s->resumed = s->sh.psk;
		s->established = client->finished;
		return;
	}
	bool session_echoed = s->sh.session_id_len > 0 && s->sh.session_id_len == s->ch.session_id_len &&
			      memcmp(s->sh.session_id_bytes, s->ch.session_id_bytes, s->sh.session_id_len) == 0;
	/* a ticket accepted: the server's ChangeCipherSpec follows its ServerHello directly; PSK and
	 * anonymous suites never send a Certificate either */
	unsigned flags = 0;
	const struct ciot_tls_cipher *cipher = ciot_tls_cipher_lookup(s->sh.cipher);
	if (cipher)
		flags = cipher->flags;
	bool ticket = s->ch.session_ticket && server->change_cipher_spec && !server->certificate_message &&
		      !server->handshake_malformed && !(flags & (CIOT_CIPHER_PSK | CIOT_CIPHER_NO_AUTH));
	s->resumed = server->hello && !s->sslv2_server && (session_echoed || ticket);
	s->established = (client->finished && server->finished) || (client->app_records && server->app_records);
}

struct ciot_tls_summary *ciot_tls_finish(struct ciot_tls_flow *t)
{
	struct ciot_tls_summary *s = NULL;
	if (t->conn) {
		settle(t->conn);
		s = t->conn->s;
		t->conn->s = NULL;
	}
	release(t);
	t->verdict = VERDICT_NOT_TLS;
	return s;
}

enum ciot_tls_outcome ciot_tls_outcome_of(const struct ciot_tls_summary *s)
{
	const struct ciot_tls_side *client = &s->side[CIOT_TLS_CLIENT], *server = &s->side[CIOT_TLS_SERVER];
	if (!client->hello && !server->hello)
		return CIOT_TLS_NO_CLIENT_HELLO;
	if (client->finished || s->established)
		return client->app_records ? CIOT_TLS_COMMUNICATES : CIOT_TLS_HANDSHAKE_ONLY;
	if (client->alerts_total)
		return CIOT_TLS_CLIENT_ALERT;
	if (server->alerts_total)
		return CIOT_TLS_SERVER_FAILURE;
	bool client_closed = client->close != CIOT_TLS_OPEN, server_closed = server->close != CIOT_TLS_OPEN;
	bool client_first = client_closed && (!server_closed || client->close_packet < server->close_packet);
	if (!server->hello && !s->hello_retry)
		return server_closed && !client_first ? CIOT_TLS_SERVER_FAILURE : CIOT_TLS_NO_SERVER_HELLO;
	if (client_first)
		return CIOT_TLS_CLIENT_CLOSED;
	if (server_closed)
		return CIOT_TLS_SERVER_FAILURE;
	return CIOT_TLS_INCOMPLETE;
}

const char *ciot_tls_outcome_name(enum ciot_tls_outcome o)
{
	static const char *const names[] = { "communicates", "handshake-only", "client-alert", "client-closed",
					     "server-failure", "no-server-hello", "incomplete", "no-client-hello" };
	return (unsigned)o < CIOT_TLS_NOUTCOMES ? names[o] : "?";
}

void ciot_tls_alerts_text(const struct ciot_tls_side *side, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = 0;
	for (unsigned i = 0; i < side->nalerts && used < outlen; i++) {
		const struct ciot_tls_alert *a = &side->alerts[i];
		const char *sep = i ? "," : "";
		if (a->encrypted) {
			used += (size_t)snprintf(out + used, outlen - used, "%sencrypted", sep);
			continue;
		}
		char level[16];
		if (a->level == ALERT_LEVEL_WARNING || a->level == ALERT_LEVEL_FATAL)
			snprintf(level, sizeof level, "%s", a->level == ALERT_LEVEL_FATAL ? "fatal" : "warning");
		else
			snprintf(level, sizeof level, "level%u", a->level);
		const char *name = ciot_tls_alert_name(a->description);
		if (name)
			used += (size_t)snprintf(out + used, outlen - used, "%s%s:%s", sep, level, name);
		else
			used += (size_t)snprintf(out + used, outlen - used, "%s%s:%u", sep, level, a->description);
	}
}

const char *ciot_quic_version_name(uint32_t version, char *buf, size_t buflen)
{
	if (version == 0x00000001)
		return "QUICv1";
	if (version == 0x6b3343cf)
		return "QUICv2";
	if ((version >> 8) == 0xff0000) {
		snprintf(buf, buflen, "QUIC-draft-%u", version & 0xff);
		return buf;
	}
	uint8_t b[4] = { (uint8_t)(version >> 24), (uint8_t)(version >> 16), (uint8_t)(version >> 8), (uint8_t)version };
	/* Google QUIC: "Q046", "Q050", "T051" */
	if ((b[0] == 'Q' || b[0] == 'T') && b[1] >= '0' && b[1] <= '9' && b[2] >= '0' && b[2] <= '9' && b[3] >= '0' &&
	    b[3] <= '9') {
		snprintf(buf, buflen, "gQUIC-%c%c%c%c", b[0], b[1], b[2], b[3]);
		return buf;
	}
	snprintf(buf, buflen, "0x%08x", version);
	return buf;
}
