/* trace.c: a device's packets from capture files (ciot/shape-score.h), read with libciot's own
 * reader and decoder, so that a simulation sees the same packets an analysis does.
 */
#include <stdlib.h>
#include <string.h>

#include "ciot/addr.h"
#include "ciot/capture-file.h"
#include "ciot/decode.h"
#include "ciot/shape-score.h"
#include "grow.h"

enum ciot_rc ciot_trace_append(struct ciot_trace *t, const struct ciot_trace_packet *p, char *errbuf)
{
	struct ciot_trace_packet *grown = ciot_shape_grow(t->p, &t->cap, t->n + 1, sizeof *grown, 4096);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	t->p = grown;
	t->p[t->n++] = *p;
	return CIOT_OK;
}

enum ciot_rc ciot_trace_add_span(struct ciot_trace *t, int64_t start_ns, int64_t end_ns, char *errbuf)
{
	struct ciot_trace_span *grown = realloc(t->spans, (t->nspans + 1) * sizeof *grown);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	t->spans = grown;
	t->spans[t->nspans++] = (struct ciot_trace_span){ start_ns, end_ns };
	return CIOT_OK;
}

static int by_time(const void *a, const void *b)
{
	const struct ciot_trace_packet *x = a, *y = b;
	return (x->ts_ns > y->ts_ns) - (x->ts_ns < y->ts_ns);
}

void ciot_trace_sort(struct ciot_trace *t)
{
	/* qsort is not stable; packets at the same nanosecond keep no order a capture could promise */
	if (t->n > 1)
		qsort(t->p, t->n, sizeof *t->p, by_time);
}

void ciot_trace_free(struct ciot_trace *t)
{
	free(t->p);
	free(t->spans);
	memset(t, 0, sizeof *t);
}

/* Walks a capture's decoded packets: fn gets each IP packet with its frame. */
typedef enum ciot_rc (*packet_fn)(void *ctx, const struct ciot_frame *fr, const struct ciot_packet *pkt,
				  char *errbuf);

static enum ciot_rc walk(const char *path, packet_fn fn, void *ctx, uint64_t *frames, uint64_t *not_ip,
			 struct ciot_trace_span *span, char *errbuf)
{
	bool first = true;
	struct ciot_capture_file *f;
	char detail[CIOT_ERRBUF_SIZE];
	enum ciot_rc rc = ciot_capture_open(&f, path, detail);
	if (rc)
		return ciot_fail(errbuf, rc, "%s: %s", path, detail);
	for (;;) {
		struct ciot_frame fr;
		bool eof;
		if ((rc = ciot_capture_next(f, &fr, &eof, detail))) {
			ciot_fail(errbuf, rc, "%s: %s", path, detail);
			break;
		}
		if (eof)
			break;
		(*frames)++;
		int64_t ts = fr.ts_us * 1000 + fr.ts_extra_ns;
		if (first || ts < span->start_ns)
			span->start_ns = ts;
		if (first || ts > span->end_ns)
			span->end_ns = ts;
		first = false;
		struct ciot_packet pkt;
		if (ciot_decode(&fr, &pkt) != CIOT_DECODE_OK) {
			(*not_ip)++;
			continue;
		}
		if ((rc = fn(ctx, &fr, &pkt, errbuf)))
			break;
	}
	ciot_capture_close(f);
	return rc;
}

struct tally {
	struct host {
		uint8_t addr[16];
		uint64_t count;
	} *host;
	size_t n, cap;
	uint64_t packets;
};

static enum ciot_rc count_addr(struct tally *t, const uint8_t a[16], char *errbuf)
{
	if (!ciot_addr_is_private(a) || ciot_addr_is_group(a))
		return CIOT_OK;
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->host[i].addr, a, 16)) {
			t->host[i].count++;
			return CIOT_OK;
		}
	struct host *grown = ciot_shape_grow(t->host, &t->cap, t->n + 1, sizeof *grown, 64);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	t->host = grown;
	memcpy(t->host[t->n].addr, a, 16);
	t->host[t->n++].count = 1;
	return CIOT_OK;
}

static enum ciot_rc tally_packet(void *ctx, const struct ciot_frame *fr, const struct ciot_packet *pkt, char *errbuf)
{
	(void)fr;
	struct tally *t = ctx;
	t->packets++;
	enum ciot_rc rc = count_addr(t, pkt->src, errbuf);
	return rc ? rc : count_addr(t, pkt->dst, errbuf);
}

enum ciot_rc ciot_trace_guess_device(const char *const *paths, size_t n, uint8_t device[16], double *share,
				     char *errbuf)
{
	struct tally t = { 0 };
	uint64_t frames = 0, not_ip = 0;
	enum ciot_rc rc = CIOT_OK;
	struct ciot_trace_span span;
	for (size_t i = 0; i < n && !rc; i++)
		rc = walk(paths[i], tally_packet, &t, &frames, &not_ip, &span, errbuf);
	size_t best = 0;
	for (size_t i = 1; i < t.n; i++)
		if (t.host[i].count > t.host[best].count)
			best = i;
	if (!rc && t.n == 0)
		rc = ciot_fail(errbuf, CIOT_ERR_DEVICE, "no private unicast address in the captures: name the device");
	if (!rc) {
		memcpy(device, t.host[best].addr, 16);
		*share = t.packets ? (double)t.host[best].count / (double)t.packets : 0;
	}
	free(t.host);
	return rc;
}

static enum ciot_rc add_packet(void *ctx, const struct ciot_frame *fr, const struct ciot_packet *pkt, char *errbuf)
{
	struct ciot_trace *t = ctx;
	int64_t ts = fr->ts_us * 1000 + fr->ts_extra_ns;
	bool from = !memcmp(pkt->src, t->device, 16), to = !memcmp(pkt->dst, t->device, 16);
	if (from == to) {
		t->other_hosts++;
		return CIOT_OK;
	}
	struct ciot_trace_packet p = { ts, pkt->payload_len, fr->wirelen, from ? CIOT_TRACE_FROM_DEVICE : CIOT_TRACE_TO_DEVICE,
				       CIOT_TRACE_ORIGINAL };
	return ciot_trace_append(t, &p, errbuf);
}

enum ciot_rc ciot_trace_read(struct ciot_trace *t, const char *path, char *errbuf)
{
	struct ciot_trace_span span = { 0, 0 };
	uint64_t before = t->frames;
	enum ciot_rc rc = walk(path, add_packet, t, &t->frames, &t->not_ip, &span, errbuf);
	if (!rc && t->frames > before)
		rc = ciot_trace_add_span(t, span.start_ns, span.end_ns + 1, errbuf);
	ciot_trace_sort(t);
	return rc;
}
