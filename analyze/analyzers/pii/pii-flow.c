/* pii-flow.c: the per-flow PII search of pii-flow.h: which spans are searched, the carry of a TCP
 * direction, DNS messages, "url" versus "header", and the hits of a flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "dns.h"
#include "pii-flow.h"

/* A captured payload is at most this long (pcap's largest snapshot length). */
#define PAYLOAD_MAX 262144
/* Bytes of a key file read to make the key. */
#define KEY_FILE_MAX 4096
#define KEY_FILE_MIN 16

const char *ciot_pii_where_name(enum ciot_pii_where w)
{
	static const char *const names[CIOT_PII_NWHERE] = { "url", "header", "body", "topic", "dns", "payload" };
	return (unsigned)w < CIOT_PII_NWHERE ? names[w] : "?";
}

/* ---- the setup --------------------------------------------------------------------------------- */

static enum ciot_rc read_key(const char *path, uint8_t key[CIOT_PII_KEY_LEN], char *origin, size_t origin_len,
			     char *errbuf)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: cannot open the PII key file", path);
	uint8_t bytes[KEY_FILE_MAX];
	size_t n = fread(bytes, 1, sizeof bytes, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: cannot read the PII key file", path);
	if (n < KEY_FILE_MIN)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: a PII key file needs at least %d bytes, it has %zu", path,
				 KEY_FILE_MIN, n);
	unsigned len = 0;
	if (!EVP_Digest(bytes, n, key, &len, EVP_sha256(), NULL) || len != CIOT_PII_KEY_LEN)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: cannot hash the PII key file", path);
	/* an identifier of the key that does not reveal it, so two databases can be seen to share it */
	char id[CIOT_PII_HASH_HEX], hint[CIOT_PII_HINT_MAX];
	ciot_pii_redact(key, "ciot key id", 11, id, hint);
	snprintf(origin, origin_len, "key file, id %.16s", id);
	return CIOT_OK;
}

enum ciot_rc ciot_pii_setup_new(struct ciot_pii_setup **out, const struct ciot_dataset *ds, const char *key_file,
				bool keep_values, char *errbuf)
{
	*out = NULL;
	struct ciot_pii_setup *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->keep_values = keep_values;
	enum ciot_rc rc = CIOT_OK;
	if (key_file) {
		rc = read_key(key_file, s->key, s->key_origin, sizeof s->key_origin, errbuf);
	} else if (RAND_bytes(s->key, CIOT_PII_KEY_LEN) != 1) {
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "no random bytes for the PII key");
	} else {
		snprintf(s->key_origin, sizeof s->key_origin, "random, this run only");
	}
	if (!rc)
		rc = ciot_pii_patterns_new(&s->patterns, errbuf);
	if (!rc && !(s->seeds = calloc(ds->ndevices ? ds->ndevices : 1, sizeof *s->seeds)))
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	for (size_t d = 0; !rc && d < ds->ndevices; d++) {
		const struct ciot_device *dev = &ds->devices[d];
		struct ciot_pii_seed seeds[CIOT_PII_MAX_SEEDS];
		size_t n = 0;
		for (size_t i = 0; i < dev->nseeds && n < CIOT_PII_MAX_SEEDS; i++) {
			if (!ciot_pii_seed_field(dev->seeds[i].field, &seeds[n].kind)) {
				rc = ciot_fail(errbuf, CIOT_ERR_ARG, "device %s: unknown pii_seeds field \"%s\"", dev->id,
					       dev->seeds[i].field);
				break;
			}
			seeds[n++].value = dev->seeds[i].value;
		}
		if (!rc && (rc = ciot_pii_seeds_new(&s->seeds[d], seeds, n, (const uint8_t(*)[6])dev->macs, dev->nmacs,
						    errbuf))) {
			char why[CIOT_ERRBUF_SIZE];
			snprintf(why, sizeof why, "%s", errbuf ? errbuf : "");
			rc = ciot_fail(errbuf, rc, "device %s: %s", dev->id, why);
		}
		s->ndevices = d + 1;
	}
	if (rc) {
		ciot_pii_setup_free(s);
		return rc;
	}
	*out = s;
	return CIOT_OK;
}

void ciot_pii_setup_free(struct ciot_pii_setup *s)
{
	if (!s)
		return;
	for (size_t d = 0; d < s->ndevices; d++)
		ciot_pii_seeds_free(s->seeds[d]);
	free(s->seeds);
	ciot_pii_patterns_free(s->patterns);
	free(s);
}

/* ---- hits ---------------------------------------------------------------------------------------- */

void ciot_pii_hits_free(struct ciot_pii_hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->hit[i].value);
	free(h->hit);
	memset(h, 0, sizeof *h);
}

/* One TCP direction's bytes carried to the next span. */
struct stream {
	uint32_t carry_seq;  /* just after the carried bytes: where a continuing span starts */
	bool carry_valid;
	bool from_start;     /* the carried bytes start where their run of spans started */
	bool request_line;   /* the line the carried bytes end in is a request line */
	uint8_t role;        /* enum ciot_span_role of the carried bytes */
	uint16_t carried;
	int64_t carry_ts;    /* of the packet the carried bytes ended in */
	uint8_t carry[CIOT_PII_CARRY];
};

struct ciot_pii_state {
	struct stream stream[2];
	struct ciot_pii_hits hits;
	bool failed;
};

struct ciot_pii_search {
	const struct ciot_pii_setup *setup;
	const struct ciot_pii_seeds *seeds;
	struct ciot_pii_scanner *scanner;
	uint8_t *scratch; /* carry + a span */
	/* what the match callback needs to know about the buffer being searched */
	struct ciot_pii_state *state;
	const uint8_t *buf;
	size_t carried;
	enum ciot_pii_where where;
	bool header, request_line;
	int dir;
	int64_t ts;       /* of the packet being searched */
	int64_t carry_ts; /* of the packet the carried bytes ended in: a match within them was whole then */
};

enum ciot_rc ciot_pii_search_new(struct ciot_pii_search **out, const struct ciot_pii_setup *setup, char *errbuf)
{
	*out = NULL;
	struct ciot_pii_search *s = calloc(1, sizeof *s);
	if (!s || !(s->scratch = malloc(CIOT_PII_CARRY + PAYLOAD_MAX))) {
		free(s);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	s->setup = setup;
	enum ciot_rc rc = ciot_pii_scanner_new(&s->scanner, setup->patterns, errbuf);
	if (rc) {
		ciot_pii_search_free(s);
		return rc;
	}
	s->seeds = setup->ndevices ? setup->seeds[0] : NULL;
	*out = s;
	return CIOT_OK;
}

void ciot_pii_search_free(struct ciot_pii_search *s)
{
	if (!s)
		return;
	ciot_pii_scanner_free(s->scanner);
	free(s->scratch);
	free(s);
}

void ciot_pii_search_device(struct ciot_pii_search *s, size_t device)
{
	s->seeds = device < s->setup->ndevices ? s->setup->seeds[device] : NULL;
}

/* A request line starts with a method: capital letters (and '-', '_') then a space; a status line
 * starts with the protocol's name and '/'. */
static bool request_line_at(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < 20 && ((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-' || p[i] == '_'))
		i++;
	return i >= 3 && (i == n || p[i] == ' ');
}

static enum ciot_pii_where header_where(const struct ciot_pii_search *s, size_t start)
{
	for (size_t i = start; i > 0; i--)
		if (s->buf[i - 1] == '\n')
			return request_line_at(s->buf + i, start - i) ? CIOT_PII_IN_URL : CIOT_PII_IN_HEADER;
	/* the line began before this buffer: what the last buffer said of it */
	if (s->carried)
		return s->request_line ? CIOT_PII_IN_URL : CIOT_PII_IN_HEADER;
	return request_line_at(s->buf, start) ? CIOT_PII_IN_URL : CIOT_PII_IN_HEADER;
}

static void on_match(void *ctx, const struct ciot_pii_match *m)
{
	struct ciot_pii_search *s = ctx;
	struct ciot_pii_hits *h = &s->state->hits;
	enum ciot_pii_where where = s->header ? header_where(s, m->start) : s->where;
	char hash[CIOT_PII_HASH_HEX], hint[CIOT_PII_HINT_MAX];
	ciot_pii_redact(s->setup->key, m->value, m->value_len, hash, hint);
	for (size_t i = 0; i < h->n; i++) {
		struct ciot_pii_hit *x = &h->hit[i];
		if (x->kind == m->kind && x->method == m->method && x->encoding == m->encoding && x->where == where &&
		    x->dir == s->dir && !strcmp(x->hash, hash)) {
			if (x->count < UINT32_MAX)
				x->count++;
			return;
		}
	}
	if (h->n == CIOT_PII_MAX_HITS) {
		h->dropped++;
		return;
	}
	if (h->n % 8 == 0) {
		struct ciot_pii_hit *grown = realloc(h->hit, (h->n + 8) * sizeof *grown);
		if (!grown) {
			s->state->failed = true;
			return;
		}
		h->hit = grown;
	}
	struct ciot_pii_hit *x = &h->hit[h->n];
	memset(x, 0, sizeof *x);
	x->kind = (uint8_t)m->kind;
	x->method = (uint8_t)m->method;
	x->encoding = (uint8_t)m->encoding;
	x->where = (uint8_t)where;
	x->dir = (uint8_t)s->dir;
	x->count = 1;
	x->first_ts = m->end <= s->carried ? s->carry_ts : s->ts;
	memcpy(x->hash, hash, sizeof hash);
	memcpy(x->hint, hint, sizeof hint);
	if (s->setup->keep_values && !(x->value = strndup(m->value, m->value_len))) {
		s->state->failed = true;
		return;
	}
	h->n++;
}

static void search(struct ciot_pii_search *s, const uint8_t *buf, size_t n, size_t carried, bool from_start, bool more)
{
	s->buf = buf;
	s->carried = carried;
	s->state->hits.dropped += ciot_pii_scan(s->scanner, s->seeds, buf, n, carried, from_start, more, on_match, s);
}

static enum ciot_pii_where where_of(enum ciot_span_role role)
{
	switch (role) {
	case CIOT_SPAN_HTTP_BODY:
	case CIOT_SPAN_MQTT_BODY:
		return CIOT_PII_IN_BODY;
	case CIOT_SPAN_MQTT_TOPIC:
		return CIOT_PII_IN_TOPIC;
	case CIOT_SPAN_DNS:
		return CIOT_PII_IN_DNS;
	case CIOT_SPAN_HTTP_HEADER:
		return CIOT_PII_IN_HEADER;
	default:
		return CIOT_PII_IN_PAYLOAD;
	}
}

/* Whether a span's bytes are searched as text. */
static bool searchable(const struct ciot_payload_span *sp)
{
	switch (sp->role) {
	case CIOT_SPAN_HTTP_HEADER:
	case CIOT_SPAN_MQTT_TOPIC:
		return true; /* clear by protocol */
	case CIOT_SPAN_HTTP_BODY:
	case CIOT_SPAN_MQTT_BODY:
	case CIOT_SPAN_OTHER:
		return sp->cls == CIOT_CONTENT_TEXT || sp->cls == CIOT_CONTENT_UNKNOWN || sp->cls == CIOT_CONTENT_OMITTED;
	default:
		return false; /* DNS is read as messages; the rest is protected, media or repeated */
	}
}

static void set_context(struct ciot_pii_search *s, enum ciot_span_role role, bool request_line)
{
	s->where = where_of(role);
	s->header = role == CIOT_SPAN_HTTP_HEADER;
	s->request_line = request_line;
}

/* Ends a direction's run of spans: a match held back at the carry's end is reported now. */
static void flush(struct ciot_pii_search *s, struct stream *st)
{
	if (!st->carry_valid)
		return;
	st->carry_valid = false;
	s->carry_ts = st->carry_ts; /* s->ts stays the current packet's, for the spans after this one */
	set_context(s, (enum ciot_span_role)st->role, st->request_line);
	search(s, st->carry, st->carried, st->carried, st->from_start, false);
}

static void dns_text(void *ctx, enum ciot_dns_text_kind kind, const uint8_t *text, size_t len)
{
	(void)kind;
	search(ctx, text, len, 0, true, false);
}

static void dns_message(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ciot_dns_walk_text(msg, len, dns_text, ctx);
}

/* A DNS span: a UDP message, or TCP messages each after its 2-byte length (only whole ones). */
static void dns_span(struct ciot_pii_search *s, const uint8_t *p, size_t n, bool tcp)
{
	set_context(s, CIOT_SPAN_DNS, false);
	s->state->hits.searched += n;
	if (!tcp) {
		(void)ciot_dns_walk_text(p, n, dns_text, s);
		return;
	}
	(void)ciot_dns_tcp_messages(p, n, dns_message, s);
}

/* Whether the last line of buf[0, n) is a request line; `before` when buf has no line end. A line
 * of capital letters only may be a method still being written. */
static bool ends_in_request_line(const uint8_t *buf, size_t n, bool before)
{
	for (size_t i = n; i > 0; i--)
		if (buf[i - 1] == '\n') {
			size_t k = i;
			while (k < n && buf[k] >= 'A' && buf[k] <= 'Z')
				k++;
			return (k == n && n > i) || request_line_at(buf + i, n - i);
		}
	return before;
}

/* A TCP span [p, p+n) at sequence number seq, followed by more spans in this packet or not. */
static void tcp_span(struct ciot_pii_search *s, struct stream *st, const struct ciot_payload_span *sp, const uint8_t *p,
		     size_t n, uint32_t seq, bool last_in_packet)
{
	bool continues = st->carry_valid && st->role == sp->role && st->carry_seq == seq;
	if (!continues)
		flush(s, st);
	const uint8_t *buf = p;
	size_t carried = 0, total = n;
	bool from_start = true, request = false;
	if (continues) {
		memcpy(s->scratch, st->carry, st->carried);
		memcpy(s->scratch + st->carried, p, n);
		buf = s->scratch;
		carried = st->carried;
		total = carried + n;
		from_start = st->from_start;
		request = st->request_line;
		s->carry_ts = st->carry_ts;
	} else if (sp->role == CIOT_SPAN_HTTP_HEADER) {
		request = request_line_at(p, n);
	}
	/* a span followed by another one in the packet ended its run: nothing is held back */
	bool more = last_in_packet;
	set_context(s, (enum ciot_span_role)sp->role, request);
	search(s, buf, total, carried, from_start, more);
	st->carry_valid = false;
	if (!more)
		return;
	size_t keep = total < CIOT_PII_CARRY ? total : CIOT_PII_CARRY;
	memmove(st->carry, buf + total - keep, keep);
	st->carried = (uint16_t)keep;
	st->from_start = from_start && total <= CIOT_PII_CARRY;
	st->request_line = sp->role == CIOT_SPAN_HTTP_HEADER && ends_in_request_line(buf, total, request);
	st->role = sp->role;
	st->carry_seq = seq + (uint32_t)n;
	st->carry_ts = s->ts;
	st->carry_valid = true;
}

static bool anything_to_search(const struct ciot_payload_spans *spans)
{
	for (unsigned i = 0; i < spans->n; i++)
		if (searchable(&spans->span[i]) || spans->span[i].role == CIOT_SPAN_DNS)
			return true;
	return false;
}

bool ciot_pii_packet(struct ciot_pii_search *s, struct ciot_pii_flow *f, int dir, const struct ciot_packet *pkt,
		     struct ciot_tcp_position at, const struct ciot_payload_spans *spans)
{
	if (!spans->n || (!f->state && !anything_to_search(spans)))
		return true;
	if (!f->state && !(f->state = calloc(1, sizeof *f->state)))
		return false;
	struct ciot_pii_state *state = f->state;
	if (state->failed)
		return false;
	s->state = state;
	s->dir = dir;
	s->ts = pkt->ts_us;
	bool tcp = pkt->proto == CIOT_PROTO_TCP;
	struct stream *st = &state->stream[dir];
	/* bytes below the highest seen were searched before (or skipped over as a gap) */
	size_t skip = tcp ? at.repeated : 0;
	uint32_t seq = tcp ? ciot_tcp_payload_seq(pkt) : 0;
	for (unsigned i = 0; i < spans->n; i++) {
		const struct ciot_payload_span *sp = &spans->span[i];
		size_t off = sp->offset, n = sp->len;
		if (off + n <= skip)
			continue;
		if (off < skip) {
			n -= skip - off;
			off = skip;
		}
		const uint8_t *p = pkt->payload + off;
		if (sp->role == CIOT_SPAN_DNS) {
			if (tcp)
				flush(s, st);
			dns_span(s, p, n, tcp);
			continue;
		}
		if (!searchable(sp)) {
			if (tcp)
				flush(s, st);
			continue;
		}
		state->hits.searched += n;
		if (tcp) {
			tcp_span(s, st, sp, p, n, seq + (uint32_t)off, i + 1 == spans->n);
		} else {
			set_context(s, (enum ciot_span_role)sp->role, sp->role == CIOT_SPAN_HTTP_HEADER && request_line_at(p, n));
			search(s, p, n, 0, true, false);
		}
	}
	return !state->failed;
}

void ciot_pii_flow_finish(struct ciot_pii_search *s, struct ciot_pii_flow *f, struct ciot_pii_hits *out)
{
	memset(out, 0, sizeof *out);
	struct ciot_pii_state *state = f->state;
	if (!state)
		return;
	s->state = state;
	for (int dir = 0; dir < 2; dir++) {
		s->dir = dir;
		flush(s, &state->stream[dir]);
	}
	*out = state->hits;
	free(state);
	f->state = NULL;
}
