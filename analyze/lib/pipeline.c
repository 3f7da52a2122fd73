/* analysis.c: the pipeline of analysis.h, and the worker threads that run it over a dataset. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "pipeline.h"
#include "dns.h"
#include "dpi.h"
#include "hash.h"
#include "store.h"

/* How often (in frames) a worker publishes progress and looks at the stop flag. */
#define PROGRESS_EVERY 4096u
#define FLOWS_INITIAL 1024u
#define DNS_INITIAL 256u
#define DNS_PORT 53

struct ciot_worker {
	struct ciot_dpi *dpi;
	struct ciot_flow_table *flows;
	struct ciot_fragment_table fragments;
	struct ciot_capture_result *result; /* the capture being read */
	struct ciot_segment_result *segment;
	bool all_flows;
	struct ciot_entropy_options entropy;
	const struct ciot_x509_trust *trust;
	struct ciot_pii_search *pii; /* NULL when PII is not searched */
	struct ciot_payload_spans spans;
};

void ciot_analysis_default_options(struct ciot_analysis_options *o)
{
	memset(o, 0, sizeof *o);
	o->max_flows = CIOT_FLOW_DEFAULT_MAX;
	o->timeouts.tcp_idle_us = CIOT_FLOW_TCP_IDLE_US;
	o->timeouts.tcp_closed_us = CIOT_FLOW_TCP_CLOSED_US;
	o->timeouts.udp_idle_us = CIOT_FLOW_UDP_IDLE_US;
	o->timeouts.other_idle_us = CIOT_FLOW_OTHER_IDLE_US;
	o->jobs = 1;
	ciot_entropy_default_options(&o->entropy, CIOT_ENTROPY_LENGTH_AWARE);
}

static enum ciot_rc certificate_index(struct ciot_capture_result *r, const uint8_t *der, size_t len, uint32_t *index,
				      char *errbuf);
static void tls_record_free(struct ciot_tls_record *t);

/* The flow's TLS connection, if it had one; QUIC only when nDPI agrees (a long header alone is
 * weak evidence). */
static struct ciot_tls_record *tls_ended(struct ciot_worker *w, struct ciot_flow *f)
{
	struct ciot_tls_summary *summary = ciot_tls_finish(&f->tls);
	if (f->tls.failed)
		w->result->out_of_memory = true;
	if (!summary)
		return NULL;
	if (summary->protocol == CIOT_TLS_PROTO_QUIC && ciot_dpi_family(&f->dpi) != CIOT_FAMILY_QUIC) {
		ciot_tls_summary_free(summary);
		return NULL;
	}
	struct ciot_tls_record *t = calloc(1, sizeof *t);
	if (!t) {
		ciot_tls_summary_free(summary);
		w->result->out_of_memory = true;
		return NULL;
	}
	t->summary = summary;
	/* the chains into the capture's certificate table now, so that their bytes are held once */
	for (int role = 0; role < 2; role++) {
		struct ciot_tls_side *side = &summary->side[role];
		for (unsigned c = 0; c < side->nchain; c++) {
			char errbuf[CIOT_ERRBUF_SIZE];
			if (certificate_index(w->result, side->chain + side->chain_offset[c], side->chain_len[c],
					      &t->chain[role][c], errbuf)) {
				w->result->out_of_memory = true;
				tls_record_free(t);
				return NULL;
			}
		}
		free(side->chain);
		side->chain = NULL;
	}
	return t;
}

static void tls_record_free(struct ciot_tls_record *t)
{
	if (!t)
		return;
	ciot_tls_summary_free(t->summary);
	free(t);
}

/* The flow table's end callback: settle nDPI and append the flow to the current segment. */
static void flow_ended(void *ctx, struct ciot_flow *f, enum ciot_flow_end reason)
{
	struct ciot_worker *w = ctx;
	ciot_dpi_finish(w->dpi, &f->dpi, &w->result->names);
	struct ciot_tls_record *tls = tls_ended(w, f);
	struct ciot_pii_hits pii = { 0 };
	if (w->pii)
		ciot_pii_flow_finish(w->pii, &f->pii, &pii);
	struct ciot_segment_result *s = w->segment;
	if (s->nflows == s->flows_cap) {
		size_t cap = s->flows_cap ? s->flows_cap * 2 : FLOWS_INITIAL;
		struct ciot_flow_record *grown = realloc(s->flows, cap * sizeof *grown);
		if (!grown) {
			w->result->out_of_memory = true;
			tls_record_free(tls);
			ciot_pii_hits_free(&pii);
			return;
		}
		s->flows = grown;
		s->flows_cap = cap;
	}
	struct ciot_flow_record *r = &s->flows[s->nflows++];
	r->tls = tls;
	r->pii = pii;
	for (int end = 0; end < 2; end++) {
		memcpy(r->addr[end], ciot_flow_addr(f, end), 16);
		r->port[end] = ciot_flow_port(f, end);
		r->dir[end] = f->dir[end];
	}
	r->proto = f->key.proto;
	r->ip_version = f->ip_version;
	r->end_reason = (uint8_t)reason;
	r->dpi_guessed = f->dpi.guessed;
	r->master_proto = f->dpi.master_proto;
	r->app_proto = f->dpi.app_proto;
	r->category = f->dpi.category;
	r->server_name = f->dpi.server_name;
	r->server_name_source = f->dpi.server_name_source;
	r->family = (uint8_t)ciot_dpi_family(&f->dpi);
	r->classes = f->enc.counts;
	r->first_ts = f->first_ts;
	r->last_ts = f->last_ts;
}

enum ciot_rc ciot_worker_new(struct ciot_worker **out, const struct ciot_analysis_options *o, char *errbuf)
{
	*out = NULL;
	struct ciot_worker *w = calloc(1, sizeof *w);
	if (!w)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = ciot_dpi_new(&w->dpi, errbuf);
	if (rc) {
		free(w);
		return rc;
	}
	w->all_flows = o->all_flows;
	w->entropy = o->entropy;
	w->trust = o->trust;
	w->flows = ciot_flow_table_new(o->max_flows, &o->timeouts, flow_ended, w);
	if (!w->flows) {
		ciot_worker_free(w);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	if (o->pii && (rc = ciot_pii_search_new(&w->pii, o->pii, errbuf))) {
		ciot_worker_free(w);
		return rc;
	}
	*out = w;
	return CIOT_OK;
}

void ciot_worker_free(struct ciot_worker *w)
{
	if (!w)
		return;
	ciot_flow_table_free(w->flows);
	ciot_pii_search_free(w->pii);
	ciot_dpi_free(w->dpi);
	free(w);
}

struct ciot_dpi *ciot_worker_dpi(struct ciot_worker *w)
{
	return w->dpi;
}

void ciot_capture_result_free(struct ciot_capture_result *r)
{
	for (size_t i = 0; i < r->nsegments; i++) {
		for (size_t k = 0; k < r->segments[i].nflows; k++) {
			tls_record_free(r->segments[i].flows[k].tls);
			ciot_pii_hits_free(&r->segments[i].flows[k].pii);
		}
		free(r->segments[i].flows);
		free(r->segments[i].dns);
	}
	free(r->segments);
	for (size_t i = 0; i < r->ncerts; i++) {
		free(r->certs[i].der);
		ciot_x509_cert_free(r->certs[i].handle);
	}
	free(r->certs);
	ciot_strpool_free(&r->names);
	memset(r, 0, sizeof *r);
}

static enum ciot_rc make_segments(const struct ciot_capture *c, struct ciot_capture_result *r, char *errbuf)
{
	r->nsegments = c->nwindows ? c->nwindows : 1;
	r->segments = calloc(r->nsegments, sizeof *r->segments);
	if (!r->segments)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (!c->nwindows) {
		r->segments[0].phase = c->phase;
		r->segments[0].subphase = c->subphase;
		return CIOT_OK;
	}
	for (size_t i = 0; i < c->nwindows; i++) {
		struct ciot_segment_result *s = &r->segments[i];
		s->phase = c->windows[i].phase;
		s->subphase = c->windows[i].subphase;
		s->windowed = true;
		s->window_start = c->windows[i].start_us;
		s->window_end = c->windows[i].end_us;
	}
	return CIOT_OK;
}

/* ---- DNS answers: which names the addresses the device contacts were looked up by ----------- */

struct dns_context {
	struct ciot_worker *w;
	struct ciot_segment_result *s;
	const struct ciot_packet *pkt;
};

static void dns_address(void *ctx, const struct ciot_dns_address *a)
{
	struct dns_context *c = ctx;
	struct ciot_segment_result *s = c->s;
	struct ciot_strpool *names = &c->w->result->names;
	if (s->ndns == s->dns_cap) {
		size_t cap = s->dns_cap ? s->dns_cap * 2 : DNS_INITIAL;
		struct ciot_dns_record *grown = realloc(s->dns, cap * sizeof *grown);
		if (!grown) {
			c->w->result->out_of_memory = true;
			return;
		}
		s->dns = grown;
		s->dns_cap = cap;
	}
	struct ciot_dns_record *d = &s->dns[s->ndns];
	d->ts = c->pkt->ts_us;
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
	s->ndns++;
}

/* Counts one parsed message; a query (or another opcode) from port 53 is not a response. */
static void dns_count(struct ciot_segment_result *s, enum ciot_dns_result r, bool cut)
{
	if (r == CIOT_DNS_NOT_RESPONSE)
		return;
	s->dns_responses++;
	if (r == CIOT_DNS_MALFORMED || (r == CIOT_DNS_OK && cut))
		s->dns_malformed++;
}

/* A packet from port 53: one DNS response over UDP, or DNS-over-TCP messages (each behind a 2-byte
 * length). DNS is not reassembled: a TCP segment is read only when it holds whole messages and
 * nothing else, which a segment carrying the middle or end of a split message (or a mix) almost
 * never does by chance; such a segment counts as one malformed response. */
static void dns_packet(struct ciot_worker *w, struct ciot_segment_result *s, const struct ciot_packet *pkt)
{
	struct dns_context c = { .w = w, .s = s, .pkt = pkt };
	const uint8_t *p = pkt->payload;
	size_t len = pkt->payload_caplen;
	if (pkt->proto == 17) {
		dns_count(s, ciot_dns_parse_response(p, len, dns_address, &c), pkt->payload_caplen < pkt->payload_len);
		return;
	}
	size_t at = 0;
	while (len - at >= 2) {
		size_t n = (size_t)p[at] << 8 | p[at + 1];
		if (n == 0 || n > len - at - 2)
			break;
		at += 2 + n;
	}
	if (at != len || pkt->payload_caplen < pkt->payload_len) {
		s->dns_responses++;
		s->dns_malformed++;
		return;
	}
	for (at = 0; at < len;) {
		size_t n = (size_t)p[at] << 8 | p[at + 1];
		dns_count(s, ciot_dns_parse_response(p + at + 2, n, dns_address, &c), false);
		at += 2 + n;
	}
}

/* ---- certificates: each parsed once per capture, each chain judged at its connection's time ---- */

#define CERTS_INITIAL 16u

/* The index of the certificate in the capture's table, added (and parsed) when new. */
static enum ciot_rc certificate_index(struct ciot_capture_result *r, const uint8_t *der, size_t len, uint32_t *index,
				      char *errbuf)
{
	uint32_t quick = ciot_fnv1a(der, len); /* a certificate already there is found without SHA-256 */
	for (size_t i = 0; i < r->ncerts; i++)
		if (r->certs[i].quick == quick && r->certs[i].len == len && memcmp(r->certs[i].der, der, len) == 0) {
			*index = (uint32_t)i;
			return CIOT_OK;
		}
	if (r->ncerts == r->certs_cap) {
		size_t cap = r->certs_cap ? r->certs_cap * 2 : CERTS_INITIAL;
		struct ciot_certificate *grown = realloc(r->certs, cap * sizeof *grown);
		if (!grown)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		r->certs = grown;
		r->certs_cap = cap;
	}
	struct ciot_certificate *c = &r->certs[r->ncerts];
	memset(c, 0, sizeof *c);
	enum ciot_rc rc = ciot_x509_sha256(der, len, c->sha256, errbuf);
	if (rc)
		return rc;
	c->der = malloc(len);
	c->handle = ciot_x509_cert_new(der, len);
	if (!c->der || !c->handle) {
		free(c->der);
		ciot_x509_cert_free(c->handle);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory parsing a certificate");
	}
	memcpy(c->der, der, len);
	c->len = len;
	c->quick = quick;
	rc = ciot_x509_cert_info(c->handle, der, len, &c->info, c->error);
	if (rc == CIOT_ERR_NOMEM) {
		free(c->der);
		ciot_x509_cert_free(c->handle);
		return ciot_fail(errbuf, rc, "%s", c->error);
	}
	c->parsed = rc == CIOT_OK;
	*index = (uint32_t)r->ncerts++;
	return CIOT_OK;
}

/* A chain's verdict, kept for the capture's later connections that present the same chain for the
 * same name at a time in (lo, hi): no certificate of the chain or of the trust store starts or ends
 * its validity in between, so OpenSSL would say the same (x509.h, ciot_x509_trust_stable). */
#define VERDICTS_MAX 256u
struct verdict {
	uint32_t chain[CIOT_TLS_MAX_CHAIN];
	unsigned n;
	const char *host;
	int64_t lo, hi;
	unsigned findings;
	char why[sizeof ((struct ciot_tls_record *)0)->chain_error];
};

/* Narrows (lo, hi) to the chain's own validity boundaries; false when `at` is on one. */
static bool chain_stable(const struct ciot_capture_result *r, const uint32_t *chain, unsigned n, int64_t at,
			 int64_t *lo, int64_t *hi)
{
	for (unsigned i = 0; i < n; i++) {
		const struct ciot_certificate *c = &r->certs[chain[i]];
		if (!c->parsed)
			continue; /* judged without its dates: an unparsed leaf is untrusted at any time */
		int64_t b[2] = { c->info.not_before, c->info.not_after };
		for (int k = 0; k < 2; k++) {
			if (b[k] == at)
				return false;
			if (b[k] < at && b[k] > *lo)
				*lo = b[k];
			if (b[k] > at && b[k] < *hi)
				*hi = b[k];
		}
	}
	return true;
}

static bool same_host(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

/* The device's TLS connections: the server's chain judged against the trust store at the time the
 * connection began, for the name the client asked for. Done once the device is known, so that
 * other hosts' connections cost nothing. */
static void audit_certificates(struct ciot_worker *w, struct ciot_capture_result *r)
{
	struct verdict *verdicts = calloc(VERDICTS_MAX, sizeof *verdicts);
	size_t nverdicts = 0;
	for (size_t i = 0; i < r->nsegments; i++) {
		struct ciot_segment_result *seg = &r->segments[i];
		for (size_t k = 0; k < seg->nflows; k++) {
			struct ciot_flow_record *f = &seg->flows[k];
			struct ciot_tls_record *t = f->tls;
			if (!t || ciot_device_end(&r->tracker, f->addr[0], f->addr[1]) < 0)
				continue;
			const struct ciot_tls_summary *s = t->summary;
			const struct ciot_tls_side *server = &s->side[CIOT_TLS_SERVER];
			t->audited = true;
			if (!server->nchain)
				continue;
			const uint32_t *chain = t->chain[CIOT_TLS_SERVER];
			unsigned n = server->nchain;
			const char *host = s->side[CIOT_TLS_CLIENT].hello ? s->ch.sni : NULL;
			int64_t at = f->first_ts / 1000000;
			const struct verdict *hit = NULL;
			for (size_t v = 0; v < nverdicts && !hit; v++)
				if (verdicts[v].n == n && memcmp(verdicts[v].chain, chain, n * sizeof *chain) == 0 &&
				    same_host(verdicts[v].host, host) && verdicts[v].lo < at && at < verdicts[v].hi)
					hit = &verdicts[v];
			if (hit) {
				t->chain_findings = hit->findings;
				memcpy(t->chain_error, hit->why, sizeof t->chain_error);
				continue;
			}
			struct ciot_x509_cert *certs[CIOT_TLS_MAX_CHAIN];
			for (unsigned c = 0; c < n; c++)
				certs[c] = r->certs[chain[c]].handle;
			t->chain_findings = ciot_x509_judge_certs(w->trust, certs, n, at, host, t->chain_error,
								  sizeof t->chain_error);
			int64_t lo, hi;
			if (verdicts && nverdicts < VERDICTS_MAX && ciot_x509_trust_stable(w->trust, at, &lo, &hi) &&
			    chain_stable(r, chain, n, at, &lo, &hi)) {
				struct verdict *v = &verdicts[nverdicts++];
				memcpy(v->chain, chain, n * sizeof *chain);
				v->n = n;
				v->host = host;
				v->lo = lo;
				v->hi = hi;
				v->findings = t->chain_findings;
				memcpy(v->why, t->chain_error, sizeof v->why);
			}
		}
	}
	free(verdicts);
}

/* Flushes the flows of the current segment when a frame is past its window and finds the frame's
 * segment; NULL when the frame falls between windows (or after the last). Windows are sorted and
 * frames come in time order, so this is a forward walk. */
static struct ciot_segment_result *segment_for(struct ciot_worker *w, size_t *cur, int64_t ts)
{
	struct ciot_capture_result *r = w->result;
	struct ciot_segment_result *s = &r->segments[*cur];
	if (!s->windowed)
		return s;
	while (ts >= s->window_end && *cur + 1 < r->nsegments) {
		ciot_flow_table_flush(w->flows, CIOT_FLOW_END_PHASE);
		s = &r->segments[++*cur];
		w->segment = s;
	}
	if (ts < s->window_start || ts >= s->window_end)
		return NULL;
	return s;
}

enum ciot_rc ciot_analyze_capture(struct ciot_worker *w, const struct ciot_dataset *ds, const struct ciot_capture *c,
				  struct ciot_capture_result *r, struct ciot_progress *progress,
				  volatile sig_atomic_t *stop, char *errbuf)
{
	memset(r, 0, sizeof *r);
	r->capture = c;
	r->device = &ds->devices[c->device];
	ciot_device_tracker_init(&r->tracker, r->device, w->all_flows);
	memset(&w->fragments, 0, sizeof w->fragments);
	struct ciot_capture_file *file = NULL;
	enum ciot_rc rc = make_segments(c, r, errbuf);
	if (rc)
		return rc;
	if ((rc = ciot_capture_open(&file, c->path, errbuf)))
		return rc;
	r->format = ciot_capture_format_of(file);
	if (w->pii)
		ciot_pii_search_device(w->pii, c->device);
	r->file_size = ciot_capture_size(file);
	w->result = r;
	w->segment = &r->segments[0];
	size_t cur = 0;
	uint64_t since_progress = 0, reported_bytes = 0;
	for (;;) {
		struct ciot_frame frame;
		bool eof;
		if ((rc = ciot_capture_next(file, &frame, &eof, errbuf)) || eof)
			break;
		if (++since_progress == PROGRESS_EVERY) {
			if (progress) {
				uint64_t done = ciot_capture_bytes_read(file);
				atomic_fetch_add(&progress->bytes_done, done - reported_bytes);
				atomic_fetch_add(&progress->frames, since_progress);
				reported_bytes = done;
			}
			since_progress = 0;
			if (stop && *stop) {
				rc = ciot_fail(errbuf, CIOT_ERR_INTERRUPTED, "interrupted");
				break;
			}
		}
		struct ciot_segment_result *s = segment_for(w, &cur, frame.ts_us);
		if (!s) {
			r->frames_outside_windows++;
			continue;
		}
		s->frames++;
		s->frame_bytes += frame.wirelen;
		if (s->frames == 1 || frame.ts_us < s->first_ts)
			s->first_ts = frame.ts_us;
		if (s->frames == 1 || frame.ts_us > s->last_ts)
			s->last_ts = frame.ts_us;
		struct ciot_packet pkt;
		enum ciot_decode_result d = ciot_decode(&frame, &pkt);
		if (d == CIOT_DECODE_OK && !ciot_fragment_resolve(&w->fragments, &pkt))
			d = CIOT_DECODE_FRAGMENT_UNMATCHED;
		s->decode_counts[d]++;
		if (d != CIOT_DECODE_OK)
			continue;
		int dir;
		bool created;
		struct ciot_flow *f = ciot_flow_table_packet(w->flows, &pkt, &dir, &created);
		if (!f) {
			r->out_of_memory = true;
			continue;
		}
		if (created)
			ciot_device_observe(&r->tracker, &pkt);
		if (!pkt.later_fragment && !f->dpi.done)
			ciot_dpi_packet(w->dpi, &f->dpi, &pkt, &r->names);
		enum ciot_class_step step;
		ciot_encryption_packet(&w->entropy, &f->enc, dir, ciot_dpi_family(&f->dpi), &pkt, &step,
				       w->pii ? &w->spans : NULL);
		if (w->pii && !ciot_pii_packet(w->pii, &f->pii, dir, &pkt, &w->spans))
			r->out_of_memory = true;
		ciot_tls_packet(&f->tls, dir, &pkt);
		if (pkt.later_fragment)
			continue;
		if (pkt.sport == DNS_PORT && pkt.payload_caplen && (pkt.proto == 17 || pkt.proto == 6))
			dns_packet(w, s, &pkt);
	}
	ciot_flow_table_flush(w->flows, CIOT_FLOW_END_CAPTURE);
	if (progress) {
		atomic_fetch_add(&progress->bytes_done, ciot_capture_bytes_read(file) - reported_bytes);
		atomic_fetch_add(&progress->frames, since_progress);
	}
	r->truncated = ciot_capture_truncated(file);
	ciot_capture_close(file);
	w->result = NULL;
	w->segment = NULL;
	if (!rc && r->out_of_memory)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory while tracking flows");
	if (!rc)
		rc = ciot_device_resolve(&r->tracker, errbuf);
	if (!rc)
		audit_certificates(w, r);
	return rc;
}

/* ---- workers over a dataset ---------------------------------------------------------------- */

struct shared {
	struct ciot_store *store;
	const struct ciot_dataset *ds;
	const struct ciot_analysis_options *o;
	struct ciot_progress *progress;
	volatile sig_atomic_t *stop;
	ciot_analysis_report_fn report;
	void *ctx;
	pthread_mutex_t lock; /* the store and the report callback */
	atomic_size_t next;
	size_t failed;
	enum ciot_rc first_error;
	char first_errbuf[CIOT_ERRBUF_SIZE];
};

static void finish_capture(struct shared *sh, const struct ciot_capture *c, enum ciot_rc rc, const char *msg)
{
	/* called with the lock held */
	if (rc) {
		sh->failed++;
		if (!sh->first_error || sh->first_error == CIOT_ERR_INTERRUPTED) {
			sh->first_error = rc;
			snprintf(sh->first_errbuf, sizeof sh->first_errbuf, "%s: %s", c->path, msg);
		}
	}
	if (sh->report)
		sh->report(sh->ctx, c, rc, msg);
	if (sh->progress)
		atomic_fetch_add(&sh->progress->files_done, 1);
}

/* What a researcher must know about a stored capture: how the device was found when it was
 * guessed, any loss (truncation, frames outside the timetable, traffic of other hosts), and where
 * the file disagrees with what ciot-capture recorded of it. */
static void describe_success(const struct ciot_capture *c, const struct ciot_capture_result *r, char *msg,
			     size_t len)
{
	size_t used = 0;
	msg[0] = 0;
	uint64_t frames = r->frames_outside_windows;
	for (size_t i = 0; i < r->nsegments; i++)
		frames += r->segments[i].frames;
	if (c->expected_packets >= 0 && (uint64_t)c->expected_packets != frames)
		used += (size_t)snprintf(msg + used, len - used,
					 "warning: the manifest says %lld packets, the file holds %llu",
					 (long long)c->expected_packets, (unsigned long long)frames);
	if (c->ended && !strcmp(c->ended, "running") && used < len)
		used += (size_t)snprintf(msg + used, len - used,
					 "%swarning: the capture tool stopped before it could close this step (\"ended\": "
					 "\"running\"); the file holds what reached the disk", used ? "; " : "");
	else if (c->ended && strcmp(c->ended, "operator") && strcmp(c->ended, "timer") && strcmp(c->ended, "split") &&
		 used < len)
		used += (size_t)snprintf(msg + used, len - used, "%snote: the step ended early (%s)", used ? "; " : "",
					 c->ended);
	if (r->tracker.method == CIOT_DEVICE_AUTO) {
		char a[CIOT_ADDR_STRLEN];
		ciot_addr_format(r->tracker.addrs[0], a);
		used += (size_t)snprintf(msg + used, len - used,
					 "note: device address %s picked automatically (the one private address in every "
					 "flow)", a);
	}
	if (r->truncated && used < len)
		used += (size_t)snprintf(msg + used, len - used, "%swarning: the file ends inside a packet record "
					 "(truncated); the packets before it were analyzed", used ? "; " : "");
	if (r->frames_outside_windows && used < len)
		used += (size_t)snprintf(msg + used, len - used, "%snote: %llu frames outside the timetable's steps "
					 "were left out", used ? "; " : "", (unsigned long long)r->frames_outside_windows);
	if (r->tracker.addrs_overflow && used < len)
		snprintf(msg + used, len - used, "%swarning: the device used more than %d addresses; flows of the "
			 "others are not counted as the device's", used ? "; " : "", CIOT_DEVICE_MAX_LEARNED);
}

static void *worker_main(void *arg)
{
	struct shared *sh = arg;
	struct ciot_worker *w = NULL;
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc wrc = ciot_worker_new(&w, sh->o, errbuf);
	for (;;) {
		size_t i = atomic_fetch_add(&sh->next, 1);
		if (i >= sh->ds->ncaptures)
			break;
		const struct ciot_capture *c = &sh->ds->captures[i];
		if (wrc) {
			pthread_mutex_lock(&sh->lock);
			finish_capture(sh, c, wrc, errbuf);
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		if (sh->stop && *sh->stop) {
			pthread_mutex_lock(&sh->lock);
			finish_capture(sh, c, CIOT_ERR_INTERRUPTED, "interrupted before it was read");
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		struct ciot_capture_result r;
		errbuf[0] = 0;
		enum ciot_rc rc = ciot_analyze_capture(w, sh->ds, c, &r, sh->progress, sh->stop, errbuf);
		pthread_mutex_lock(&sh->lock);
		if (!rc)
			rc = ciot_store_capture(sh->store, &r, w->dpi, errbuf);
		char msg[CIOT_ERRBUF_SIZE];
		if (rc)
			snprintf(msg, sizeof msg, "%s", errbuf[0] ? errbuf : ciot_strerror(rc));
		else
			describe_success(c, &r, msg, sizeof msg);
		finish_capture(sh, c, rc, msg);
		pthread_mutex_unlock(&sh->lock);
		ciot_capture_result_free(&r);
	}
	ciot_worker_free(w);
	return NULL;
}

enum ciot_rc ciot_analyze(struct ciot_store *store, const struct ciot_dataset *ds,
			  const struct ciot_analysis_options *o, struct ciot_progress *progress,
			  volatile sig_atomic_t *stop, ciot_analysis_report_fn report, void *ctx, size_t *failed,
			  char *errbuf)
{
	struct shared sh = { .store = store, .ds = ds, .o = o, .progress = progress, .stop = stop,
			     .report = report, .ctx = ctx };
	pthread_mutex_init(&sh.lock, NULL);
	atomic_init(&sh.next, 0);
	unsigned jobs = o->jobs ? o->jobs : 1;
	if (jobs > ds->ncaptures)
		jobs = ds->ncaptures ? (unsigned)ds->ncaptures : 1;
	pthread_t *threads = calloc(jobs, sizeof *threads);
	if (!threads)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	unsigned started = 0;
	if (jobs == 1) {
		worker_main(&sh);
	} else {
		for (; started < jobs; started++)
			if (pthread_create(&threads[started], NULL, worker_main, &sh))
				break;
		if (started == 0)
			worker_main(&sh);
		for (unsigned i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
	}
	free(threads);
	pthread_mutex_destroy(&sh.lock);
	*failed = sh.failed;
	if (stop && *stop)
		return ciot_fail(errbuf, CIOT_ERR_INTERRUPTED, "interrupted");
	if (sh.first_error)
		snprintf(errbuf, CIOT_ERRBUF_SIZE, "%s", sh.first_errbuf);
	return sh.first_error;
}
