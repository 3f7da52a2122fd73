/* device.h: which end of each flow is the device.
 *
 * Three ways, in order of trust: the device's MAC addresses (its IP addresses are learned from
 * frames it sent or received), its IP addresses, or, with neither, automatically: the single
 * private address that appears in every flow between two unicast hosts. The tracker sees each new
 * flow's first packet and decides at the end of the capture, so one pass over the packets suffices.
 */
#ifndef CIOT_DEVICE_H
#define CIOT_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "dataset.h"
#include "ciot/decode.h"

/* Addresses a device may be seen with (IPv4, IPv6 link-local, global, temporary). */
#define CIOT_DEVICE_MAX_LEARNED 64

/* CIOT_DEVICE_NONE: the capture is not one device's (a whole network, a benchmark): every flow is
 * kept and oriented from its initiator. Chosen explicitly, never guessed. */
enum ciot_device_method { CIOT_DEVICE_BY_MAC, CIOT_DEVICE_BY_IP, CIOT_DEVICE_AUTO, CIOT_DEVICE_NONE };

struct ciot_device_tracker {
	const struct ciot_device *device;
	enum ciot_device_method method;
	uint8_t addrs[CIOT_DEVICE_MAX_LEARNED][16];
	unsigned naddrs;
	bool addrs_overflow;
	/* automatic mode: addresses present in every unicast flow so far */
	uint8_t candidates[2][16];
	unsigned ncandidates;
	bool any_unicast_flow;
};

void ciot_device_tracker_init(struct ciot_device_tracker *t, const struct ciot_device *device, bool all_flows);
/* Called with the first packet of every new flow. */
void ciot_device_observe(struct ciot_device_tracker *t, const struct ciot_packet *pkt);
/* Settles the device's addresses; fails in automatic mode when no single address qualifies. */
enum ciot_rc ciot_device_resolve(struct ciot_device_tracker *t, char *errbuf);
bool ciot_device_has_addr(const struct ciot_device_tracker *t, const uint8_t addr[16]);
/* Which end of a flow is the device: 0 the initiator, 1 the responder, -1 neither. */
int ciot_device_end(const struct ciot_device_tracker *t, const uint8_t initiator[16], const uint8_t responder[16]);
const char *ciot_device_method_name(enum ciot_device_method m);

#endif
