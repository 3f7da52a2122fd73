/* flow.h: bidirectional flows keyed on the 5-tuple, with bounded memory.
 *
 * A flow is found from either direction's packet: its key is the 5-tuple with the lower
 * (address, port) end first. Direction 0 is from the initiator (the sender of a SYN without ACK,
 * else of the first packet seen) to the responder. Which end is the device is decided only when the
 * capture ends (see device.h), because in automatic mode that is known only then.
 *
 * Flows end when idle longer than their class's timeout, when a TCP connection is closed and quiet,
 * when a closed TCP connection's port pair is reused by a new SYN, when the table is full (the least
 * recently active flow makes room), or when the capture or a lifecycle phase ends. Each ending calls
 * the table's end callback once, with the reason; the flow's memory is then reused.
 */
#ifndef CIOT_FLOW_H
#define CIOT_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "ciot/decode.h"

/* Default idle timeouts, microseconds. IoT devices keep long, mostly silent TCP connections to
 * their clouds (MQTT keep-alives of minutes), hence the long TCP timeout. */
#define CIOT_FLOW_TCP_IDLE_US (600LL * 1000000)
#define CIOT_FLOW_TCP_CLOSED_US (30LL * 1000000)
#define CIOT_FLOW_UDP_IDLE_US (180LL * 1000000)
#define CIOT_FLOW_OTHER_IDLE_US (60LL * 1000000)
/* Active flows held at most; beyond it the least recently active flow is ended. */
#define CIOT_FLOW_DEFAULT_MAX 131072u

enum ciot_flow_end {
	CIOT_FLOW_END_IDLE,
	CIOT_FLOW_END_CLOSED,
	CIOT_FLOW_END_REUSED,
	CIOT_FLOW_END_TABLE_FULL,
	CIOT_FLOW_END_PHASE,
	CIOT_FLOW_END_CAPTURE,
	CIOT_FLOW_END_NREASONS
};
const char *ciot_flow_end_name(enum ciot_flow_end reason);

struct ciot_flow_key {
	uint8_t lo[16], hi[16];
	uint16_t lo_port, hi_port;
	uint8_t proto;
};

struct ciot_flow_counters {
	uint64_t packets;
	uint64_t bytes;   /* frame bytes on the wire */
	uint64_t payload; /* transport payload bytes, from the headers */
	uint8_t tcp_flags;
};

/* Timeout classes; each has its own least-recently-active list, so its head is its oldest. */
enum { CIOT_FLOW_CLASS_TCP, CIOT_FLOW_CLASS_TCP_CLOSED, CIOT_FLOW_CLASS_UDP, CIOT_FLOW_CLASS_OTHER,
       CIOT_FLOW_NCLASSES };

struct ciot_flow {
	struct ciot_flow_key key;
	uint8_t ip_version;
	bool initiator_is_lo;
	uint8_t timeout_class;
	uint8_t fin_seen;        /* bit per direction */
	bool rst_seen;
	uint32_t hash;
	int64_t first_ts, last_ts;
	struct ciot_flow_counters dir[2]; /* [0] initiator -> responder, [1] back */
	struct ciot_flow *hash_next, *lru_prev, *lru_next;
	/* then the table owner's per-flow state (ciot_flow_slots), zeroed with the flow */
};

/* The owner's state of a flow: slot_bytes (ciot_flow_table_new) at this offset, so aligned. */
#define CIOT_FLOW_SLOT_ALIGN 16u
#define CIOT_FLOW_SLOTS_OFFSET \
	((sizeof(struct ciot_flow) + CIOT_FLOW_SLOT_ALIGN - 1) / CIOT_FLOW_SLOT_ALIGN * CIOT_FLOW_SLOT_ALIGN)
static inline void *ciot_flow_slots(struct ciot_flow *f)
{
	return (unsigned char *)f + CIOT_FLOW_SLOTS_OFFSET;
}

/* The initiator's and responder's address and port. */
static inline const uint8_t *ciot_flow_addr(const struct ciot_flow *f, int end)
{
	return (end == 0) == f->initiator_is_lo ? f->key.lo : f->key.hi;
}
static inline uint16_t ciot_flow_port(const struct ciot_flow *f, int end)
{
	return (end == 0) == f->initiator_is_lo ? f->key.lo_port : f->key.hi_port;
}

typedef void (*ciot_flow_end_fn)(void *ctx, struct ciot_flow *flow, enum ciot_flow_end reason);

struct ciot_flow_timeouts {
	int64_t tcp_idle_us, tcp_closed_us, udp_idle_us, other_idle_us;
};

struct ciot_flow_table;

/* slot_bytes: the owner's state per flow (the pipeline's and its analyzers'), which the table
 * holds after each flow and zeroes with it, knowing nothing of what it is. */
struct ciot_flow_table *ciot_flow_table_new(uint32_t max_flows, const struct ciot_flow_timeouts *timeouts,
					    size_t slot_bytes, ciot_flow_end_fn on_end, void *ctx);
void ciot_flow_table_free(struct ciot_flow_table *t);

/* Finds or creates the packet's flow, ends the flows that timed out by the packet's time, and
 * counts the packet. *dir is the packet's direction, *created whether the flow is new. NULL only
 * when memory runs out. */
struct ciot_flow *ciot_flow_table_packet(struct ciot_flow_table *t, const struct ciot_packet *pkt,
					 int *dir, bool *created);

/* A table whose flows end only when told (ciot_flow_table_end): no expiry, no reuse of a closed
 * connection's ports, no eviction. A sharded capture's workers keep theirs so (shard.c): the
 * reading thread's table, which sees every packet, decides when each flow ends. */
void ciot_flow_table_set_managed(struct ciot_flow_table *t, bool managed);
/* The active flow of a canonical key (as ciot_flow_table_key makes it), or NULL. */
struct ciot_flow *ciot_flow_table_find(struct ciot_flow_table *t, const struct ciot_flow_key *key);
void ciot_flow_table_end(struct ciot_flow_table *t, struct ciot_flow *f, enum ciot_flow_end reason);

/* Ends every active flow with the given reason. */
void ciot_flow_table_flush(struct ciot_flow_table *t, enum ciot_flow_end reason);
uint32_t ciot_flow_table_active(const struct ciot_flow_table *t);

#endif
