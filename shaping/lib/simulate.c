/* simulate.c: a trace replayed through the shaper in virtual time (ciot/shape-score.h).
 *
 * Each direction has its own shaper and its own stream of random bytes (both from the seed). Every
 * packet with payload becomes a message queued at its capture time; between packets the shapers'
 * slots run at their deadlines, exactly, since virtual time waits for nobody. After the last packet
 * both shapers are closed: they drain with cover going on and stop at a slot, which ends the
 * shaped trace. The shaped records go into a trace (marked data or cover, for the separability
 * test) and, when asked, a pcap of Ethernet/IP/TCP frames whose sizes are what the wire would carry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciot/addr.h"
#include "ciot/decode.h"
#include "ciot/shape-score.h"
#include "grow.h"
#include "pcap-writer.h"

#define LINKTYPE_ETHERNET 1
#define PCAP_SNAPLEN 65535u
#define SHAPED_PORT_DEVICE 50000
#define SHAPED_PORT_SERVER 443

/* One direction of the simulation. */
struct side {
	struct ciot_shape_virtual *v;
	struct ciot_shaper *s;
	struct queued {
		int64_t at;
		uint32_t bytes;
	} *queued;               /* by message id */
	size_t nqueued, cap;
	int64_t last_packet_ns, last_done_ns;
	uint32_t seq;            /* TCP sequence number of the next record */
	struct ciot_sim_direction *out;
	uint8_t rec[CIOT_SHAPE_RECORD_MAX + CIOT_SIM_TLS13_OVERHEAD + 8]; /* the record, and what the wire adds */
};

/* The pcap, when asked for. */
struct writer {
	struct ciot_pcap_writer *w;
	uint8_t frame[CIOT_SIM_FRAME_OVERHEAD_V6 + CIOT_SHAPE_RECORD_MAX + CIOT_SIM_TLS13_OVERHEAD + 8];
	uint8_t device[16], server[16];
	bool v4;
};

static unsigned frame_overhead(bool v4)
{
	return v4 ? CIOT_SIM_FRAME_OVERHEAD_V4 : CIOT_SIM_FRAME_OVERHEAD_V6;
}

/* The original library's header: two flag characters, the length in decimal, ';' (4 to 7 bytes),
 * after a payload of the sampled size; the length is the real data's for a message's last piece
 * and the sampled size for cover, so the two differ in size by the difference in digits. */
static unsigned legacy_header_bytes(const struct ciot_shape_record *rec)
{
	unsigned len = rec->cover ? rec->size : rec->payload, digits = 1;
	while (len >= 10) {
		len /= 10;
		digits++;
	}
	return 3 + digits;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An Ethernet/IP/TCP frame around `payload` bytes from the device (dir 0) or to it. */
static size_t build_frame(struct writer *w, int dir, uint32_t seq, const uint8_t *payload, size_t n)
{
	uint8_t *f = w->frame;
	static const uint8_t mac_device[6] = { 0x02, 0, 0, 0, 0, 1 }, mac_server[6] = { 0x02, 0, 0, 0, 0, 2 };
	memcpy(f, dir ? mac_device : mac_server, 6);
	memcpy(f + 6, dir ? mac_server : mac_device, 6);
	const uint8_t *src = dir ? w->server : w->device, *dst = dir ? w->device : w->server;
	size_t ip = 14, tcp;
	if (w->v4) {
		put16(f + 12, 0x0800);
		memset(f + ip, 0, 20);
		f[ip] = 0x45;
		put16(f + ip + 2, (unsigned)(20 + 32 + n));
		f[ip + 8] = 64;
		f[ip + 9] = CIOT_PROTO_TCP;
		memcpy(f + ip + 12, src + 12, 4);
		memcpy(f + ip + 16, dst + 12, 4);
		put16(f + ip + 10, ip_checksum(f + ip, 20));
		tcp = ip + 20;
	} else {
		put16(f + 12, 0x86dd);
		memset(f + ip, 0, 40);
		f[ip] = 0x60;
		put16(f + ip + 4, (unsigned)(32 + n));
		f[ip + 6] = CIOT_PROTO_TCP;
		f[ip + 7] = 64;
		memcpy(f + ip + 8, src, 16);
		memcpy(f + ip + 24, dst, 16);
		tcp = ip + 40;
	}
	memset(f + tcp, 0, 32);
	put16(f + tcp, dir ? SHAPED_PORT_SERVER : SHAPED_PORT_DEVICE);
	put16(f + tcp + 2, dir ? SHAPED_PORT_DEVICE : SHAPED_PORT_SERVER);
	put32(f + tcp + 4, seq);
	f[tcp + 12] = 8 << 4;                   /* 32-byte header: 12 bytes of options */
	f[tcp + 13] = CIOT_TCP_ACK | 0x08;      /* PSH */
	put16(f + tcp + 14, 65535);
	f[tcp + 20] = 1;                        /* NOP, NOP, timestamps (kind 8, length 10) */
	f[tcp + 21] = 1;
	f[tcp + 22] = 8;
	f[tcp + 23] = 10;
	memcpy(f + tcp + 32, payload, n);
	return tcp + 32 + n;
}

static enum ciot_rc side_open(struct side *sd, const struct ciot_shape_params *p, uint64_t seed, int64_t start,
			      struct ciot_sim_direction *out, char *errbuf)
{
	memset(sd, 0, sizeof *sd);
	sd->out = out;
	enum ciot_rc rc = ciot_shape_virtual_new(&sd->v, seed, errbuf);
	if (!rc) {
		ciot_shape_virtual_set(sd->v, start);
		rc = ciot_shaper_new(&sd->s, p, ciot_shape_virtual_env(sd->v), start, errbuf);
	}
	return rc;
}

static void side_close(struct side *sd)
{
	ciot_shaper_free(sd->s);
	ciot_shape_virtual_free(sd->v);
	free(sd->queued);
}

static enum ciot_rc queue_packet(struct side *sd, const struct ciot_trace_packet *p, char *errbuf)
{
	sd->out->original_wire_bytes += p->wire;
	sd->last_packet_ns = p->ts_ns;
	if (p->payload == 0)
		return CIOT_OK;
	/* the payload's bytes themselves do not matter to the schedule: zeros stand in for them */
	static const uint8_t zeros[65536];
	uint8_t *big = NULL;
	const uint8_t *msg = zeros;
	if (p->payload > sizeof zeros && !(msg = big = calloc(1, p->payload)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	char detail[CIOT_ERRBUF_SIZE];
	enum ciot_rc rc = ciot_shaper_send(sd->s, msg, p->payload, detail);
	free(big);
	if (rc == CIOT_ERR_NOSPACE) {
		sd->out->rejected++;
		return CIOT_OK;
	}
	if (rc)
		return ciot_fail(errbuf, rc, "%s", detail);
	struct queued *grown = ciot_shape_grow(sd->queued, &sd->cap, sd->nqueued + 1, sizeof *grown, 1024);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	sd->queued = grown;
	sd->queued[sd->nqueued++] = (struct queued){ p->ts_ns, p->payload };
	sd->out->messages++;
	return CIOT_OK;
}

/* The slot due now on one side: its record into the shaped trace and the pcap. */
static enum ciot_rc add_message(struct ciot_sim_result *r, const struct ciot_sim_message *m, char *errbuf)
{
	struct ciot_sim_message *grown =
		ciot_shape_grow(r->messages, &r->messages_cap, r->nmessages + 1, sizeof *grown, 1024);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	r->messages = grown;
	r->messages[r->nmessages++] = *m;
	return CIOT_OK;
}

static enum ciot_rc run_slot(struct side *sd, int dir, const struct ciot_sim_options *o, struct writer *w,
			     struct ciot_sim_result *result, char *errbuf)
{
	struct ciot_trace *shaped = &result->shaped;
	uint8_t *rec = sd->rec;
	int64_t t = ciot_shaper_deadline(sd->s);
	ciot_shape_virtual_set(sd->v, t);
	struct ciot_shape_record r;
	if (!ciot_shaper_slot(sd->s, t, rec, &r))
		return CIOT_OK; /* the closing slot that found the queue empty: nothing sent */
	if (r.message_end && r.message < sd->nqueued) {
		sd->last_done_ns = r.slot_ns;
		struct ciot_sim_message m = { sd->queued[r.message].at, r.slot_ns, sd->queued[r.message].bytes, (uint8_t)dir };
		enum ciot_rc rc = add_message(result, &m, errbuf);
		if (rc)
			return rc;
	}
	/* what the wire carries: the record, TLS's bytes around it or the legacy header after it */
	size_t extra = o->legacy_header ? legacy_header_bytes(&r) : o->tls_overhead;
	const struct ciot_shape_env *env = ciot_shape_virtual_env(sd->v);
	env->random_bytes(env->ctx, rec + r.size, extra);
	size_t payload = r.size + extra;
	unsigned wire = (unsigned)payload + frame_overhead(ciot_addr_is_v4(o->server) && ciot_addr_is_v4(shaped->device));
	sd->out->records++;
	sd->out->cover_records += r.cover;
	sd->out->record_bytes += r.size;
	sd->out->wire_bytes += wire;
	struct ciot_trace_packet p = { r.slot_ns, (uint32_t)payload, wire, (uint8_t)dir,
				       r.cover ? CIOT_TRACE_COVER : CIOT_TRACE_DATA };
	enum ciot_rc rc = ciot_trace_append(shaped, &p, errbuf);
	if (!rc && w->w) {
		size_t n = build_frame(w, dir, sd->seq, rec, payload);
		char detail[CIOT_ERRBUF_SIZE];
		if ((rc = ciot_pcap_writer_add(w->w, r.slot_ns, w->frame, (uint32_t)n, (uint32_t)n, detail)))
			ciot_fail(errbuf, rc, "%s", detail);
	}
	sd->seq += (uint32_t)payload;
	return rc;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentiles of direction dir's delays, from the messages the run sent. */
static enum ciot_rc delay_stats(const struct ciot_sim_result *r, int dir, double out[4], char *errbuf)
{
	double *delays = malloc((r->nmessages + 1) * sizeof *delays);
	if (!delays)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < r->nmessages; i++)
		if (r->messages[i].dir == dir)
			delays[n++] = (double)(r->messages[i].sent_ns - r->messages[i].queued_ns) / 1e6;
	if (n) {
		qsort(delays, n, sizeof *delays, by_value);
		static const double q[3] = { 0.50, 0.95, 0.99 };
		for (int i = 0; i < 3; i++) {
			size_t rank = (size_t)ceil(q[i] * (double)n);
			out[i] = delays[rank ? rank - 1 : 0];
		}
		out[3] = delays[n - 1];
	}
	free(delays);
	return CIOT_OK;
}

/* Runs every slot due before `until` on both sides, in time order. */
static enum ciot_rc run_until(struct side sd[2], int64_t until, const struct ciot_sim_options *o, struct writer *w,
			      struct ciot_sim_result *result, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	for (;;) {
		int64_t t0 = ciot_shaper_deadline(sd[0].s), t1 = ciot_shaper_deadline(sd[1].s);
		int k = t1 < t0 ? 1 : 0;
		int64_t t = k ? t1 : t0;
		if (t == INT64_MAX || t >= until)
			return CIOT_OK;
		if ((rc = run_slot(&sd[k], k, o, w, result, errbuf)))
			return rc;
	}
}

static enum ciot_rc simulate(const struct ciot_trace *in, const struct ciot_sim_options *o, struct side sd[2],
			     struct writer *w, struct ciot_sim_result *r, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; i < in->n && !rc; i++) {
		const struct ciot_trace_packet *p = &in->p[i];
		/* slots due before the packet first: a message waits at least until the next slot */
		if (!(rc = run_until(sd, p->ts_ns + 1, o, w, r, errbuf)))
			rc = queue_packet(&sd[p->dir ? 1 : 0], p, errbuf);
	}
	ciot_shaper_close(sd[0].s);
	ciot_shaper_close(sd[1].s);
	if (!rc)
		rc = run_until(sd, INT64_MAX, o, w, r, errbuf);
	return rc;
}

static int by_start(const void *a, const void *b)
{
	const struct ciot_trace_span *x = a, *y = b;
	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* The seconds the captures saw (their spans merged), and the shaped bytes sent within them: rates
 * are measured while the device was observed, not over the gaps between captures, where the
 * original trace has no traffic because nobody captured it. A trace without spans counts from its
 * first packet to its last. */
static double observed(const struct ciot_trace *in, const struct ciot_trace *shaped, double shaped_bytes[2])
{
	size_t n = in->nspans;
	struct ciot_trace_span whole = { in->p[0].ts_ns, in->p[in->n - 1].ts_ns + 1 };
	struct ciot_trace_span *sp = n ? malloc(n * sizeof *sp) : NULL;
	if (!sp) {
		sp = &whole;
		n = 1;
	} else {
		memcpy(sp, in->spans, n * sizeof *sp);
		qsort(sp, n, sizeof *sp, by_start);
	}
	double seconds = 0;
	shaped_bytes[0] = shaped_bytes[1] = 0;
	size_t j = 0;
	int64_t covered_to = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		int64_t from = sp[i].start_ns > covered_to ? sp[i].start_ns : covered_to, to = sp[i].end_ns;
		if (to <= from)
			continue;
		seconds += (double)(to - from) / 1e9;
		covered_to = to;
		while (j < shaped->n && shaped->p[j].ts_ns < from)
			j++;
		for (; j < shaped->n && shaped->p[j].ts_ns < to; j++)
			shaped_bytes[shaped->p[j].dir ? 1 : 0] += shaped->p[j].wire;
	}
	if (sp != &whole)
		free(sp);
	return seconds;
}

static enum ciot_rc summarize(const struct ciot_trace *in, const struct ciot_sim_options *o, struct side sd[2],
			      struct ciot_sim_result *r, char *errbuf)
{
	r->start_ns = in->p[0].ts_ns;
	r->end_ns = r->start_ns;
	if (r->shaped.n)
		r->end_ns = r->shaped.p[r->shaped.n - 1].ts_ns;
	if (in->p[in->n - 1].ts_ns > r->end_ns)
		r->end_ns = in->p[in->n - 1].ts_ns;
	unsigned overhead = frame_overhead(ciot_addr_is_v4(o->server) && ciot_addr_is_v4(in->device));
	double shaped[2];
	r->observed_s = observed(in, &r->shaped, shaped);
	double seconds = r->observed_s > 0 ? r->observed_s : 1;
	for (int k = 0; k < 2; k++) {
		struct ciot_sim_direction *d = &r->dir[k];
		struct ciot_shape_params p = o->params[k];
		/* the dists as the shaper clamps them */
		p.size.min = fmax(p.size.min, CIOT_SHAPE_RECORD_MIN);
		p.size.max = fmin(p.size.max, CIOT_SHAPE_RECORD_MAX);
		p.interval.min = fmax(p.interval.min, 1e-6);
		double extra = o->legacy_header ? 6.0 : (double)o->tls_overhead; /* legacy: about 6 bytes */
		double original = (double)d->original_wire_bytes / seconds;
		d->overhead_bps = shaped[k] / seconds - original;
		d->expected_overhead_bps = (ciot_shape_dist_mean(&p.size) + extra + overhead) / ciot_shape_dist_mean(&p.interval) - original;
		r->original_bps += original;
		r->shaped_bps += shaped[k] / seconds;
		r->expected_overhead_bps += d->expected_overhead_bps;
		enum ciot_rc rc = delay_stats(r, k, d->delay_ms, errbuf);
		if (rc)
			return rc;
		d->drain_s = sd[k].last_done_ns > sd[k].last_packet_ns ? (double)(sd[k].last_done_ns - sd[k].last_packet_ns) / 1e9 : 0;
		struct ciot_shape_stats st;
		ciot_shaper_stats(sd[k].s, &st);
		d->queue_peak_bytes = st.queue_peak_bytes;
	}
	r->overhead_bps = r->shaped_bps - r->original_bps;
	return CIOT_OK;
}

enum ciot_rc ciot_shape_simulate(const struct ciot_trace *in, const struct ciot_sim_options *o, const char *pcap_path,
				 struct ciot_sim_result *r, char *errbuf)
{
	memset(r, 0, sizeof *r);
	if (in->n == 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "the trace has no packets of the device");
	enum ciot_rc rc0;
	memcpy(r->shaped.device, in->device, 16);
	/* the shaped trace is scored where the original was captured (ciot_shape_windows) */
	for (size_t i = 0; i < in->nspans; i++)
		if ((rc0 = ciot_trace_add_span(&r->shaped, in->spans[i].start_ns, in->spans[i].end_ns, errbuf))) {
			ciot_sim_result_free(r);
			return rc0;
		}
	struct side sd[2];
	memset(sd, 0, sizeof sd);
	struct writer w = { .v4 = ciot_addr_is_v4(in->device) && ciot_addr_is_v4(o->server) };
	memcpy(w.device, in->device, 16);
	memcpy(w.server, o->server, 16);
	int64_t start = in->p[0].ts_ns;
	enum ciot_rc rc = side_open(&sd[0], &o->params[0], o->seed * 2 + 1, start, &r->dir[0], errbuf);
	enum ciot_rc rc1 = side_open(&sd[1], &o->params[1], o->seed * 2 + 2, start, &r->dir[1], errbuf);
	if (!rc)
		rc = rc1;
	char detail[CIOT_ERRBUF_SIZE];
	if (!rc && pcap_path && (rc = ciot_pcap_writer_open(&w.w, pcap_path, LINKTYPE_ETHERNET, PCAP_SNAPLEN, true, detail)))
		ciot_fail(errbuf, rc, "%s", detail);
	if (!rc)
		rc = simulate(in, o, sd, &w, r, errbuf);
	if (!rc)
		rc = summarize(in, o, sd, r, errbuf);
	if (w.w) {
		enum ciot_rc close_rc = ciot_pcap_writer_close(w.w, detail);
		if (!rc && close_rc)
			rc = ciot_fail(errbuf, close_rc, "%s: %s", pcap_path, detail);
		if (rc)
			unlink(pcap_path); /* never a half-written trace */
	}
	side_close(&sd[0]);
	side_close(&sd[1]);
	if (rc)
		ciot_sim_result_free(r);
	return rc;
}

void ciot_sim_result_free(struct ciot_sim_result *r)
{
	ciot_trace_free(&r->shaped);
	free(r->messages);
	r->messages = NULL;
	r->nmessages = r->messages_cap = 0;
}
