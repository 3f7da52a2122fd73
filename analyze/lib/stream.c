/* stream.c: the TCP stream layer of stream.h: the follower, the bounded window, growing buffers. */
#include <stdlib.h>
#include <string.h>

#include "stream.h"

#define WINDOW_INITIAL 4096u

/* Bytes of [seq, seq + n) that lie before ref, in sequence arithmetic. */
static uint32_t before(uint32_t ref, uint32_t seq, size_t n)
{
	int32_t d = (int32_t)(seq - ref);
	if (d >= 0)
		return 0;
	uint32_t behind = (uint32_t)-(int64_t)d;
	return n < behind ? (uint32_t)n : behind;
}

uint32_t ciot_tcp_payload_seq(const struct ciot_packet *pkt)
{
	return pkt->tcp_seq + ((pkt->tcp_flags & CIOT_TCP_SYN) ? 1u : 0u);
}

struct ciot_tcp_position ciot_tcp_follow(struct ciot_tcp_follower *f, const struct ciot_packet *pkt)
{
	struct ciot_tcp_position at = { 0, 0 };
	if (pkt->proto != CIOT_PROTO_TCP || pkt->payload_len == 0)
		return at;
	/* sequence space counts the payload on the wire, also what the capture cut off */
	uint32_t seq = ciot_tcp_payload_seq(pkt), end = seq + pkt->payload_len;
	if (f->valid) {
		at.repeated = before(f->next, seq, pkt->payload_len);
		int32_t d = (int32_t)(seq - f->next);
		if (d > 0)
			at.lost = (uint32_t)d;
	}
	if (!f->valid || (int32_t)(end - f->next) > 0)
		f->next = end;
	f->valid = true;
	return at;
}

bool ciot_bytes_grow(uint8_t **buf, uint32_t *cap, uint32_t need, uint32_t initial, uint32_t max)
{
	if (need <= *cap)
		return true;
	if (need > max)
		return false;
	uint32_t n = *cap ? *cap : initial < max ? initial : max;
	while (n < need)
		n = n > max / 2 ? max : n * 2;
	uint8_t *b = realloc(*buf, n);
	if (!b)
		return false;
	*buf = b;
	*cap = n;
	return true;
}

void ciot_tcp_window_init(struct ciot_tcp_window *w, uint32_t max, uint32_t base)
{
	memset(w, 0, sizeof *w);
	w->max = max;
	w->base = base;
}

void ciot_tcp_window_reset(struct ciot_tcp_window *w, uint32_t base)
{
	w->base = base;
	w->nranges = 0;
}

enum ciot_tcp_place ciot_tcp_window_place(const struct ciot_tcp_window *w, uint32_t *seq, const uint8_t **p,
					  size_t *n, uint32_t *offset)
{
	uint32_t behind = before(w->base, *seq, *n);
	if (behind == *n && (int32_t)(*seq - w->base) < 0)
		return CIOT_TCP_BEHIND;
	*seq += behind;
	*p += behind;
	*n -= behind;
	*offset = *seq - w->base;
	return *offset >= w->max ? CIOT_TCP_BEYOND : CIOT_TCP_INSIDE;
}

/* Records [start, end) as received, merging with the ranges it touches. When the list is full, the
 * range furthest out is dropped (its bytes come again with the retransmission that fills the hole). */
static void add_range(struct ciot_tcp_window *w, uint32_t start, uint32_t end)
{
	unsigned i = 0;
	while (i < w->nranges && w->ranges[i][1] < start)
		i++;
	unsigned j = i;
	while (j < w->nranges && w->ranges[j][0] <= end) {
		if (w->ranges[j][0] < start)
			start = w->ranges[j][0];
		if (w->ranges[j][1] > end)
			end = w->ranges[j][1];
		j++;
	}
	/* ranges i..j-1 merge into one */
	if (j == i) {
		if (w->nranges == CIOT_TCP_WINDOW_RANGES) {
			if (i == CIOT_TCP_WINDOW_RANGES)
				return;
			w->nranges--;
		}
		memmove(&w->ranges[i + 1], &w->ranges[i], (w->nranges - i) * sizeof w->ranges[0]);
		w->nranges++;
	} else if (j > i + 1) {
		memmove(&w->ranges[i + 1], &w->ranges[j], (w->nranges - j) * sizeof w->ranges[0]);
		w->nranges -= j - i - 1;
	}
	w->ranges[i][0] = start;
	w->ranges[i][1] = end;
}

bool ciot_tcp_window_store(struct ciot_tcp_window *w, uint32_t offset, const uint8_t *p, size_t n)
{
	if (offset >= w->max)
		return true;
	uint32_t k = n < w->max - offset ? (uint32_t)n : w->max - offset;
	if (!ciot_bytes_grow(&w->buf, &w->cap, offset + k, WINDOW_INITIAL, w->max))
		return false;
	memcpy(w->buf + offset, p, k);
	add_range(w, offset, offset + k);
	return true;
}

void ciot_tcp_window_consume(struct ciot_tcp_window *w, uint32_t n)
{
	uint32_t held = w->nranges ? w->ranges[w->nranges - 1][1] : 0;
	w->base += n;
	if (n >= held) {
		w->nranges = 0;
		return;
	}
	memmove(w->buf, w->buf + n, held - n);
	unsigned k = 0;
	for (unsigned i = 0; i < w->nranges; i++) {
		if (w->ranges[i][1] <= n)
			continue;
		w->ranges[k][0] = w->ranges[i][0] > n ? w->ranges[i][0] - n : 0;
		w->ranges[k][1] = w->ranges[i][1] - n;
		k++;
	}
	w->nranges = k;
}

void ciot_tcp_window_release(struct ciot_tcp_window *w)
{
	if (w->nranges)
		return;
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
}

void ciot_tcp_window_free(struct ciot_tcp_window *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	w->nranges = 0;
}
