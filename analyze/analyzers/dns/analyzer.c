/* analyzer.c: the DNS analyzer. The answers the device received (A, AAAA and the CNAME chains
 * above them, dns.h) are what names most of its destinations (stages/destinations), so each is
 * kept with its time, its client and server, and stored in dns_answers; each capture step also
 * counts the DNS responses it read and those cut short or invalid.
 *
 * DNS is not reassembled over TCP: a segment is read only when it holds whole messages and
 * nothing else (each behind its 2-byte length), which a segment carrying the middle or end of a
 * split message (or a mix) almost never does by chance; such a segment counts as one malformed
 * response.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dns.h"
#include "pipeline.h"
#include "registry.h"

#define DNS_PORT 53
#define DNS_INITIAL 256u

/* An address a DNS response gave a client: the names it hangs off are in the names pool. */
struct dns_record {
	int64_t ts;
	uint64_t frame;   /* the response's frame in its file: a sharded capture's merge order */
	uint8_t client[16], server[16], addr[16];
	uint32_t query;   /* the question's name */
	uint32_t cnames;  /* the CNAME chain after the question, space-separated; 0 when none */
	uint32_t ttl;
};

struct dns_segment {
	struct dns_record *records;
	size_t n, cap;
	uint64_t responses, malformed; /* DNS responses read, and those cut short or invalid */
};

/* The capture's answers, per step. */
struct dns_capture {
	struct dns_segment *segments;
	size_t nsegments;
};

enum capture_column { CAP_DNS_RESPONSES, CAP_DNS_MALFORMED };
static const struct ciot_column capture_columns[] = {
	[CAP_DNS_RESPONSES] = { "dns_responses", "INTEGER NOT NULL", false },
	[CAP_DNS_MALFORMED] = { "dns_malformed", "INTEGER NOT NULL", false },
};

enum answer_column { ANS_CAPTURE_ID, ANS_TS, ANS_CLIENT, ANS_SERVER, ANS_QUERY, ANS_CNAMES, ANS_ADDRESS, ANS_TTL };
static const struct ciot_column answer_columns[] = {
	[ANS_CAPTURE_ID] = { "capture_id", "INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE", false },
	[ANS_TS] = { "ts_us", "INTEGER NOT NULL", false },
	[ANS_CLIENT] = { "client_ip", "TEXT NOT NULL", false },
	[ANS_SERVER] = { "server_ip", "TEXT NOT NULL", false },
	[ANS_QUERY] = { "query", "TEXT NOT NULL", false },
	[ANS_CNAMES] = { "cnames", "TEXT", false },
	[ANS_ADDRESS] = { "address", "TEXT NOT NULL", false },
	[ANS_TTL] = { "ttl", "INTEGER NOT NULL", false },
};
static const struct ciot_table answers_table = { "dns_answers", CIOT_COLUMNS(answer_columns), NULL, NULL };
static const struct ciot_table *const tables[] = { &answers_table, NULL };

static enum ciot_rc capture_begin(void *worker, struct ciot_capture_result *r, void **out, char *errbuf)
{
	(void)worker;
	struct dns_capture *c = calloc(1, sizeof *c);
	if (c)
		c->segments = calloc(r->nsegments, sizeof *c->segments);
	if (!c || !c->segments) {
		free(c);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	c->nsegments = r->nsegments;
	*out = c;
	return CIOT_OK;
}

static void capture_result_free(void *p)
{
	struct dns_capture *c = p;
	for (size_t i = 0; i < c->nsegments; i++)
		free(c->segments[i].records);
	free(c->segments);
	free(c);
}

struct answer_context {
	struct ciot_capture_result *r;
	struct dns_segment *s;
	const struct ciot_packet *pkt;
	uint64_t frame;
};

static void dns_address(void *ctx, const struct ciot_dns_address *a)
{
	struct answer_context *c = ctx;
	struct dns_segment *s = c->s;
	struct ciot_strpool *names = &c->r->names;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : DNS_INITIAL;
		struct dns_record *grown = realloc(s->records, cap * sizeof *grown);
		if (!grown) {
			c->r->out_of_memory = true;
			return;
		}
		s->records = grown;
		s->cap = cap;
	}
	struct dns_record *d = &s->records[s->n];
	d->ts = c->pkt->ts_us;
	d->frame = c->frame;
	memcpy(d->client, c->pkt->dst, 16);
	memcpy(d->server, c->pkt->src, 16);
	memcpy(d->addr, a->addr, 16);
	d->ttl = a->ttl;
	d->query = ciot_strpool_intern(names, a->names[0], strlen(a->names[0]));
	d->cnames = 0;
	if (!d->query)
		return; /* the pool is full; its refusals are reported */
	if (a->nnames > 1) {
		char chain[(CIOT_DNS_MAX_CHAIN + 1) * 256];
		size_t used = 0;
		for (unsigned i = 1; i < a->nnames; i++) {
			size_t n = strlen(a->names[i]);
			if (used + n + 2 > sizeof chain)
				break;
			if (used)
				chain[used++] = ' ';
			memcpy(chain + used, a->names[i], n);
			used += n;
		}
		d->cnames = ciot_strpool_intern(names, chain, used);
	}
	s->n++;
}

/* Counts one parsed message; a query (or another opcode) from port 53 is not a response. */
static void count(struct dns_segment *s, enum ciot_dns_result r, bool cut)
{
	if (r == CIOT_DNS_NOT_RESPONSE)
		return;
	s->responses++;
	if (r == CIOT_DNS_MALFORMED || (r == CIOT_DNS_OK && cut))
		s->malformed++;
}

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct answer_context *c = ctx;
	count(c->s, ciot_dns_parse_response(msg, len, dns_address, c), false);
}

/* A packet from port 53: one DNS response over UDP, or DNS-over-TCP messages. */
static void packet(void *worker, void *state, void *capture_result, struct ciot_packet_context *pc)
{
	(void)worker;
	(void)state;
	const struct ciot_packet *pkt = pc->pkt;
	if (pkt->later_fragment || pkt->sport != DNS_PORT || !pkt->payload_caplen || (pkt->proto != 17 && pkt->proto != 6))
		return;
	struct dns_capture *dc = capture_result;
	struct answer_context c = { .r = pc->capture, .s = &dc->segments[pc->segment], .pkt = pkt, .frame = pc->frame };
	if (pkt->proto == 17) {
		count(c.s, ciot_dns_parse_response(pkt->payload, pkt->payload_caplen, dns_address, &c),
		      pkt->payload_caplen < pkt->payload_len);
		return;
	}
	if (pkt->payload_caplen < pkt->payload_len ||
	    !ciot_dns_tcp_messages(pkt->payload, pkt->payload_caplen, NULL, NULL)) {
		c.s->responses++;
		c.s->malformed++;
		return;
	}
	ciot_dns_tcp_messages(pkt->payload, pkt->payload_caplen, on_message, &c);
}

/* A sharded capture: each step's answers from every shard, in frame order (each frame is one
 * shard's, and a shard's answers are in frame order already), their names in the capture's pool. */
static enum ciot_rc capture_merge(struct ciot_capture_result *r, struct ciot_capture_result *const *shards,
				  size_t nshards, size_t self, char *errbuf)
{
	struct dns_capture *to = r->results[self];
	size_t at[64] = { 0 };
	if (nshards > sizeof at / sizeof at[0])
		return ciot_fail(errbuf, CIOT_ERR_ARG, "too many shards");
	for (size_t si = 0; si < to->nsegments; si++) {
		struct dns_segment *s = &to->segments[si];
		size_t total = 0;
		for (size_t i = 0; i < nshards; i++) {
			const struct dns_segment *from = &((struct dns_capture *)shards[i]->results[self])->segments[si];
			total += from->n;
			s->responses += from->responses;
			s->malformed += from->malformed;
			at[i] = 0;
		}
		if (!total)
			continue;
		s->records = malloc(total * sizeof *s->records);
		if (!s->records)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		s->cap = total;
		for (s->n = 0; s->n < total; s->n++) {
			size_t best = nshards;
			const struct dns_segment *bs = NULL;
			for (size_t i = 0; i < nshards; i++) {
				const struct dns_segment *from =
					&((struct dns_capture *)shards[i]->results[self])->segments[si];
				if (at[i] < from->n && (!bs || from->records[at[i]].frame < bs->records[at[best]].frame)) {
					best = i;
					bs = from;
				}
			}
			struct dns_record *d = &s->records[s->n];
			*d = bs->records[at[best]++];
			const char *query = ciot_strpool_get(&shards[best]->names, d->query);
			const char *cnames = ciot_strpool_get(&shards[best]->names, d->cnames);
			d->query = query ? ciot_strpool_intern(&r->names, query, strlen(query)) : 0;
			d->cnames = cnames ? ciot_strpool_intern(&r->names, cnames, strlen(cnames)) : 0;
		}
	}
	return CIOT_OK;
}

static void bind_capture(const struct ciot_core_row *row)
{
	const struct dns_capture *c = row->result;
	const struct dns_segment *s = c ? &c->segments[row->segment] : NULL;
	ciot_row_int(&row->row, CAP_DNS_RESPONSES, s ? (int64_t)s->responses : 0);
	ciot_row_int(&row->row, CAP_DNS_MALFORMED, s ? (int64_t)s->malformed : 0);
}

static enum ciot_rc store_open(void **out, sqlite3 *db, char *errbuf)
{
	return ciot_insert_new(db, &answers_table, (struct ciot_insert **)out, errbuf);
}

/* The device's own lookups only: the answers it received. */
static enum ciot_rc after_capture(void *store, void *capture_result, const struct ciot_core_row *row, char *errbuf)
{
	struct ciot_insert *ins = store;
	const struct dns_capture *c = capture_result;
	const struct dns_segment *s = &c->segments[row->segment];
	const struct ciot_capture_result *r = row->capture;
	for (size_t k = 0; k < s->n; k++) {
		const struct dns_record *d = &s->records[k];
		if (!d->query || ciot_device_end(&r->tracker, d->client, d->server) != 0)
			continue;
		char client[CIOT_ADDR_STRLEN], server[CIOT_ADDR_STRLEN], addr[CIOT_ADDR_STRLEN];
		ciot_addr_format(d->client, client);
		ciot_addr_format(d->server, server);
		ciot_addr_format(d->addr, addr);
		struct ciot_row a = ciot_insert_row(ins, 0);
		ciot_row_int(&a, ANS_CAPTURE_ID, row->capture_id);
		ciot_row_int(&a, ANS_TS, d->ts);
		ciot_row_text(&a, ANS_CLIENT, client);
		ciot_row_text(&a, ANS_SERVER, server);
		ciot_row_static(&a, ANS_QUERY, ciot_strpool_get(&r->names, d->query));
		ciot_row_static(&a, ANS_CNAMES, ciot_strpool_get(&r->names, d->cnames));
		ciot_row_text(&a, ANS_ADDRESS, addr);
		ciot_row_int(&a, ANS_TTL, d->ttl);
		enum ciot_rc rc = ciot_insert_run(ins, "dns_answers", errbuf);
		if (rc)
			return rc;
	}
	return CIOT_OK;
}

const struct ciot_analyzer ciot_analyzer_dns = {
	.name = "dns",
	.capture_begin = capture_begin,
	.packet = packet,
	.capture_merge = capture_merge,
	.capture_result_free = capture_result_free,
	.tables = tables,
	.schema_after = "CREATE INDEX IF NOT EXISTS dns_answers_capture ON dns_answers(capture_id);\n",
	.capture_columns = CIOT_COLUMNS(capture_columns),
	.store_open = store_open,
	.store_close = ciot_insert_free,
	.bind_capture = bind_capture,
	.after_capture = after_capture,
};
