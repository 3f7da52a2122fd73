/* flow.c: the flow table. A chained hash table over a slab of preallocated flows, and one doubly
 * linked least-recently-active list per timeout class. Per packet: one hash, one chain walk, O(1)
 * list moves, and a look at each list's head for expiry; no allocation unless the slab grows.
 */
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define SLAB_FLOWS 4096

static const char *const end_names[CIOT_FLOW_END_NREASONS] = {
	[CIOT_FLOW_END_IDLE] = "idle",
	[CIOT_FLOW_END_CLOSED] = "closed",
	[CIOT_FLOW_END_REUSED] = "reused",
	[CIOT_FLOW_END_TABLE_FULL] = "table_full",
	[CIOT_FLOW_END_PHASE] = "phase_end",
	[CIOT_FLOW_END_CAPTURE] = "capture_end",
};

const char *ciot_flow_end_name(enum ciot_flow_end reason)
{
	return (unsigned)reason < CIOT_FLOW_END_NREASONS ? end_names[reason] : "invalid";
}

struct lru {
	struct ciot_flow *head, *tail;
};

/* SLAB_FLOWS flows of the table's stride: the flow, then the slots of its owner's state. */
struct slab {
	struct slab *next;
	_Alignas(CIOT_FLOW_SLOT_ALIGN) unsigned char flows[];
};

struct ciot_flow_table {
	struct ciot_flow **buckets;
	uint32_t mask;
	uint32_t active, max;
	struct lru lru[CIOT_FLOW_NCLASSES];
	int64_t timeout[CIOT_FLOW_NCLASSES];
	struct ciot_flow *free_list;
	struct slab *slabs;
	size_t stride;
	ciot_flow_end_fn on_end;
	void *ctx;
	bool managed; /* flows end only through ciot_flow_table_end */
};

struct ciot_flow_table *ciot_flow_table_new(uint32_t max_flows, const struct ciot_flow_timeouts *timeouts,
					    size_t slot_bytes, ciot_flow_end_fn on_end, void *ctx)
{
	struct ciot_flow_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->stride = CIOT_FLOW_SLOTS_OFFSET +
		    (slot_bytes + CIOT_FLOW_SLOT_ALIGN - 1) / CIOT_FLOW_SLOT_ALIGN * CIOT_FLOW_SLOT_ALIGN;
	uint32_t nbuckets = 1024;
	while (nbuckets < max_flows && nbuckets < (1u << 30))
		nbuckets <<= 1;
	t->buckets = calloc(nbuckets, sizeof *t->buckets);
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = nbuckets - 1;
	t->max = max_flows ? max_flows : CIOT_FLOW_DEFAULT_MAX;
	t->timeout[CIOT_FLOW_CLASS_TCP] = timeouts ? timeouts->tcp_idle_us : CIOT_FLOW_TCP_IDLE_US;
	t->timeout[CIOT_FLOW_CLASS_TCP_CLOSED] = timeouts ? timeouts->tcp_closed_us : CIOT_FLOW_TCP_CLOSED_US;
	t->timeout[CIOT_FLOW_CLASS_UDP] = timeouts ? timeouts->udp_idle_us : CIOT_FLOW_UDP_IDLE_US;
	t->timeout[CIOT_FLOW_CLASS_OTHER] = timeouts ? timeouts->other_idle_us : CIOT_FLOW_OTHER_IDLE_US;
	t->on_end = on_end;
	t->ctx = ctx;
	return t;
}

void ciot_flow_table_free(struct ciot_flow_table *t)
{
	if (!t)
		return;
	struct slab *s = t->slabs;
	while (s) {
		struct slab *next = s->next;
		free(s);
		s = next;
	}
	free(t->buckets);
	free(t);
}

uint32_t ciot_flow_table_active(const struct ciot_flow_table *t)
{
	return t->active;
}

static void lru_unlink(struct lru *l, struct ciot_flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

/* Into its class's list in order of last activity (last_ts; among equals, the order they got
 * there), so that the head is always the flow idle longest, also when packets come out of time
 * order (captures merged, or written by several interfaces): expiry looks at heads only, and a
 * flow idle past its timeout must not wait behind a more recent one (it would be held, and end as
 * capture_end, long after it ended). In time order the flow goes to the tail at once; out of
 * order, the walk passes the flows more recent than it (LRU_WALK_MAX at most, then it stays at the
 * tail: a capture whose clock jumps back by more than that many flows' worth costs no more). */
#define LRU_WALK_MAX 256
static void lru_insert(struct lru *l, struct ciot_flow *f)
{
	struct ciot_flow *after = l->tail;
	for (int i = 0; i < LRU_WALK_MAX && after && after->last_ts > f->last_ts; i++)
		after = after->lru_prev;
	if (after && after->last_ts > f->last_ts)
		after = l->tail; /* too far back: the tail, as before */
	f->lru_prev = after;
	f->lru_next = after ? after->lru_next : l->head;
	if (f->lru_next)
		f->lru_next->lru_prev = f;
	else
		l->tail = f;
	if (after)
		after->lru_next = f;
	else
		l->head = f;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t key_hash(const struct ciot_flow_key *k)
{
	/* the key's words through multiply-xorshift rounds; the key is canonical, so both directions
	 * hash alike (its bucket only: the chain compares whole keys) */
	uint64_t h = (uint64_t)k->lo_port << 24 ^ (uint64_t)k->hi_port << 8 ^ k->proto;
	const uint64_t w[4] = { load64(k->lo), load64(k->lo + 8), load64(k->hi), load64(k->hi + 8) };
	for (int i = 0; i < 4; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15u;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9u;
	return (uint32_t)(h >> 32);
}

static bool key_equal(const struct ciot_flow_key *a, const struct ciot_flow_key *b)
{
	return a->lo_port == b->lo_port && a->hi_port == b->hi_port && a->proto == b->proto &&
	       !memcmp(a->lo, b->lo, 16) && !memcmp(a->hi, b->hi, 16);
}

/* Builds the canonical key; returns true when the packet's source is the key's lower end. */
static bool make_key(const struct ciot_packet *pkt, struct ciot_flow_key *k)
{
	int c = memcmp(pkt->src, pkt->dst, 16);
	bool src_is_lo = c < 0 || (c == 0 && pkt->sport <= pkt->dport);
	memcpy(k->lo, src_is_lo ? pkt->src : pkt->dst, 16);
	memcpy(k->hi, src_is_lo ? pkt->dst : pkt->src, 16);
	k->lo_port = src_is_lo ? pkt->sport : pkt->dport;
	k->hi_port = src_is_lo ? pkt->dport : pkt->sport;
	k->proto = pkt->proto;
	return src_is_lo;
}

static void unlink_hash(struct ciot_flow_table *t, struct ciot_flow *f)
{
	struct ciot_flow **pp = &t->buckets[f->hash & t->mask];
	while (*pp && *pp != f)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = f->hash_next;
}

static void end_flow(struct ciot_flow_table *t, struct ciot_flow *f, enum ciot_flow_end reason)
{
	unlink_hash(t, f);
	lru_unlink(&t->lru[f->timeout_class], f);
	t->active--;
	t->on_end(t->ctx, f, reason);
	f->hash_next = t->free_list;
	t->free_list = f;
}

static void expire(struct ciot_flow_table *t, int64_t now)
{
	for (int c = 0; c < CIOT_FLOW_NCLASSES; c++) {
		struct ciot_flow *f;
		while ((f = t->lru[c].head) && now - f->last_ts > t->timeout[c])
			end_flow(t, f, c == CIOT_FLOW_CLASS_TCP_CLOSED ? CIOT_FLOW_END_CLOSED : CIOT_FLOW_END_IDLE);
	}
}

void ciot_flow_table_set_managed(struct ciot_flow_table *t, bool managed)
{
	t->managed = managed;
}

void ciot_flow_table_end(struct ciot_flow_table *t, struct ciot_flow *f, enum ciot_flow_end reason)
{
	end_flow(t, f, reason);
}

struct ciot_flow *ciot_flow_table_find(struct ciot_flow_table *t, const struct ciot_flow_key *key)
{
	uint32_t h = key_hash(key);
	struct ciot_flow *f = t->buckets[h & t->mask];
	while (f && !(f->hash == h && key_equal(&f->key, key)))
		f = f->hash_next;
	return f;
}

static struct ciot_flow *alloc_flow(struct ciot_flow_table *t)
{
	if (t->active >= t->max && !t->managed) {
		/* make room: the least recently active flow of any class */
		struct ciot_flow *oldest = NULL;
		for (int c = 0; c < CIOT_FLOW_NCLASSES; c++) {
			struct ciot_flow *h = t->lru[c].head;
			if (h && (!oldest || h->last_ts < oldest->last_ts))
				oldest = h;
		}
		if (oldest)
			end_flow(t, oldest, CIOT_FLOW_END_TABLE_FULL);
	}
	if (!t->free_list) {
		struct slab *s = malloc(sizeof *s + SLAB_FLOWS * t->stride);
		if (!s)
			return NULL;
		s->next = t->slabs;
		t->slabs = s;
		for (int i = SLAB_FLOWS - 1; i >= 0; i--) {
			struct ciot_flow *f = (struct ciot_flow *)(void *)(s->flows + (size_t)i * t->stride);
			f->hash_next = t->free_list;
			t->free_list = f;
		}
	}
	struct ciot_flow *f = t->free_list;
	t->free_list = f->hash_next;
	return f;
}

static int timeout_class(const struct ciot_flow *f)
{
	if (f->key.proto == CIOT_PROTO_TCP)
		return (f->fin_seen == 3 || f->rst_seen) ? CIOT_FLOW_CLASS_TCP_CLOSED : CIOT_FLOW_CLASS_TCP;
	return f->key.proto == CIOT_PROTO_UDP ? CIOT_FLOW_CLASS_UDP : CIOT_FLOW_CLASS_OTHER;
}

struct ciot_flow *ciot_flow_table_packet(struct ciot_flow_table *t, const struct ciot_packet *pkt,
					 int *dir, bool *created)
{
	if (!t->managed)
		expire(t, pkt->ts_us);
	struct ciot_flow_key key;
	bool src_is_lo = make_key(pkt, &key);
	uint32_t h = key_hash(&key);
	struct ciot_flow *f = t->buckets[h & t->mask];
	while (f && !(f->hash == h && key_equal(&f->key, &key)))
		f = f->hash_next;
	bool syn_only = pkt->proto == CIOT_PROTO_TCP && (pkt->tcp_flags & (CIOT_TCP_SYN | CIOT_TCP_ACK)) == CIOT_TCP_SYN;
	if (f && syn_only && f->timeout_class == CIOT_FLOW_CLASS_TCP_CLOSED && !t->managed) {
		end_flow(t, f, CIOT_FLOW_END_REUSED);
		f = NULL;
	}
	*created = f == NULL;
	if (!f) {
		f = alloc_flow(t);
		if (!f)
			return NULL;
		memset(f, 0, t->stride);
		f->key = key;
		f->hash = h;
		f->ip_version = pkt->ip_version;
		/* a SYN-ACK seen first means the other end initiated */
		bool synack = pkt->proto == CIOT_PROTO_TCP && (pkt->tcp_flags & (CIOT_TCP_SYN | CIOT_TCP_ACK)) == (CIOT_TCP_SYN | CIOT_TCP_ACK);
		f->initiator_is_lo = synack ? !src_is_lo : src_is_lo;
		f->first_ts = f->last_ts = pkt->ts_us;
		f->hash_next = t->buckets[h & t->mask];
		t->buckets[h & t->mask] = f;
		f->timeout_class = (uint8_t)timeout_class(f);
		lru_insert(&t->lru[f->timeout_class], f);
		t->active++;
	}
	int d = src_is_lo == f->initiator_is_lo ? 0 : 1;
	*dir = d;
	struct ciot_flow_counters *c = &f->dir[d];
	c->packets++;
	c->bytes += pkt->wirelen;
	c->payload += pkt->payload_len;
	c->tcp_flags |= pkt->tcp_flags;
	if (pkt->ts_us > f->last_ts)
		f->last_ts = pkt->ts_us;
	if (pkt->ts_us < f->first_ts)
		f->first_ts = pkt->ts_us;
	if (pkt->proto == CIOT_PROTO_TCP) {
		if (pkt->tcp_flags & CIOT_TCP_FIN)
			f->fin_seen |= (uint8_t)(1u << d);
		if (pkt->tcp_flags & CIOT_TCP_RST)
			f->rst_seen = true;
	}
	int cls = timeout_class(f);
	lru_unlink(&t->lru[f->timeout_class], f);
	f->timeout_class = (uint8_t)cls;
	lru_insert(&t->lru[cls], f);
	return f;
}

void ciot_flow_table_flush(struct ciot_flow_table *t, enum ciot_flow_end reason)
{
	for (int c = 0; c < CIOT_FLOW_NCLASSES; c++)
		while (t->lru[c].head)
			end_flow(t, t->lru[c].head, reason);
}
