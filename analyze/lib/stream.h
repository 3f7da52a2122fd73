/* stream.h: the one TCP stream layer. Every analyzer that reads a TCP direction's bytes in order
 * stands on it; none follows sequence numbers itself.
 *
 * Two views of a direction, both in 32-bit sequence arithmetic (RFC 9293 section 3.4: a number is
 * "before" another when their difference, as a signed 32-bit value, is negative):
 *
 *   - The follower sees segments as they arrive. For each it says how many of its first bytes
 *     repeat what was already seen (a retransmission, an overlap) and how many bytes are missing
 *     just before it (a gap: the capture lost them, or they come later, out of order). The pipeline
 *     keeps one follower per flow direction and hands every analyzer the packet's position
 *     (struct ciot_packet_context), so an analyzer that reads bytes as they come (the encryption
 *     classes, the PII search) never counts a retransmission twice and knows where bytes are lost.
 *
 *   - The window puts a direction's bytes in sequence order from a base on, for an analyzer that
 *     must read structures across segments (TLS records, handshake messages). Segments out of order
 *     are held at their offset, the received parts kept as a short list of ranges, until the hole
 *     before them fills; the consumer takes bytes at the front. It is bounded: a hole that would
 *     need more than `max` bytes held is reported, never grown into.
 *
 * Nothing here reads a payload byte: the layer deals in sequence numbers and copies.
 */
#ifndef CIOT_STREAM_H
#define CIOT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/decode.h"

/* ---- the follower --------------------------------------------------------------------------- */

struct ciot_tcp_follower {
	uint32_t next;  /* just after the highest byte seen */
	bool valid;     /* a segment with payload was seen */
};

/* Where a segment's payload falls in its direction. */
struct ciot_tcp_position {
	uint32_t repeated; /* its first bytes that were seen before (at most its payload_len) */
	uint32_t lost;     /* bytes missing between the highest seen and its first byte */
};

/* The sequence number of a TCP packet's first payload byte: a SYN takes one number, so data it
 * carries (TCP Fast Open, RFC 7413) comes after it. */
uint32_t ciot_tcp_payload_seq(const struct ciot_packet *pkt);

/* Moves the follower past a TCP segment (nothing for one without payload) and says where it fell. */
struct ciot_tcp_position ciot_tcp_follow(struct ciot_tcp_follower *f, const struct ciot_packet *pkt);

/* ---- the window ----------------------------------------------------------------------------- */

#define CIOT_TCP_WINDOW_RANGES 16 /* disjoint received ranges kept while waiting for a hole */

struct ciot_tcp_window {
	uint8_t *buf;
	uint32_t cap;
	uint32_t max;                                  /* bytes held at most */
	uint32_t base;                                 /* sequence number of buf[0] */
	uint32_t ranges[CIOT_TCP_WINDOW_RANGES][2];    /* received [start, end) offsets: sorted, disjoint */
	unsigned nranges;
};

/* Where a segment falls against the window (ciot_tcp_window_place). */
enum ciot_tcp_place {
	CIOT_TCP_BEHIND, /* all of it is before the base: already taken (or skipped over) */
	CIOT_TCP_INSIDE, /* it starts at *offset from the base, inside the bound */
	CIOT_TCP_BEYOND  /* it starts past the bound: the hole before it will not fill */
};

/* A window holding at most max bytes, empty, from sequence number base on. Nothing is allocated
 * until a segment has to be held. */
void ciot_tcp_window_init(struct ciot_tcp_window *w, uint32_t max, uint32_t base);

/* Forgets what is held and starts again at base (a resynchronisation after a gap). */
void ciot_tcp_window_reset(struct ciot_tcp_window *w, uint32_t base);

/* Trims a segment [*seq, *seq + *n) of what lies before the base (moving *seq, *p and *n) and says
 * where the rest starts. */
enum ciot_tcp_place ciot_tcp_window_place(const struct ciot_tcp_window *w, uint32_t *seq, const uint8_t **p,
					  size_t *n, uint32_t *offset);

/* Holds n bytes at offset from the base (cut at the bound). False when memory ran out. */
bool ciot_tcp_window_store(struct ciot_tcp_window *w, uint32_t offset, const uint8_t *p, size_t n);

/* Something is held (bytes past a hole, or an unfinished structure at the front). */
static inline bool ciot_tcp_window_holds(const struct ciot_tcp_window *w)
{
	return w->nranges > 0;
}

/* The bytes at the front that are all there: buf[0, front). */
static inline uint32_t ciot_tcp_window_front(const struct ciot_tcp_window *w)
{
	return w->nranges && w->ranges[0][0] == 0 ? w->ranges[0][1] : 0;
}

/* Moves the base n bytes on, dropping them; n may reach past what is held (a skipped body). */
void ciot_tcp_window_consume(struct ciot_tcp_window *w, uint32_t n);

/* Gives the buffer back when nothing is held (a direction past the part that needs it). */
void ciot_tcp_window_release(struct ciot_tcp_window *w);

void ciot_tcp_window_free(struct ciot_tcp_window *w);

/* ---- growing buffers ------------------------------------------------------------------------ */

/* Grows *buf to hold at least `need` bytes, doubling from `initial`, never past `max`. False when
 * need is past max or memory ran out (*buf is then unchanged). */
bool ciot_bytes_grow(uint8_t **buf, uint32_t *cap, uint32_t need, uint32_t initial, uint32_t max);

#endif
