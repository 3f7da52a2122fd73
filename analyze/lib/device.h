/* device.h: which end of each flow is the device.
 *
 * Three ways, in order of trust: the device's MAC addresses (its IP addresses are learned from
 * frames it sent or received), its IP addresses, or, with neither, automatically: the single host
 * that every flow between two unicast hosts involves at a private address. A host is its MAC when
 * frames carry MACs, so a device that took a new DHCP lease mid-capture (a reset, a reboot: every
 * setup and deletion step) is still one host, and every address it used is its own, as with --mac;
 * without MACs (raw IP, Linux cooked captures) a host is its address. The tracker sees each new
 * flow's first packet and decides at the end of the capture, so one pass over the packets suffices.
 *
 * A capture without a single IP packet of the device (the device sent nothing during a lifecycle
 * step) is a result, not an error: it resolves with no flow of the device, and the pipeline's
 * caller says so.
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
/* Automatic mode: (MAC, address) pairs remembered until one host is left. Before the first unicast
 * flow every host of a multicast or broadcast flow is remembered (a device announces itself by
 * mDNS or SSDP before it talks to anyone); after it, only the two hosts still in the running. */
#define CIOT_DEVICE_MAX_PAIRS 256

struct ciot_device_pair {
	uint8_t mac[6];
	uint8_t addr[16];
};

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
	bool any_flow;
	/* automatic mode by MAC: hosts present at a private address in every unicast flow so far, and
	 * the addresses seen with each host's MAC */
	uint8_t mac_candidates[2][6];
	unsigned nmac_candidates;
	struct ciot_device_pair pairs[CIOT_DEVICE_MAX_PAIRS];
	unsigned npairs;
	bool pairs_overflow;
	/* set by resolve in automatic mode when the host was found by its MAC */
	bool found_by_mac;
	uint8_t mac[6];
};

void ciot_device_tracker_init(struct ciot_device_tracker *t, const struct ciot_device *device, bool all_flows);
/* Called with the first packet of every new flow. */
void ciot_device_observe(struct ciot_device_tracker *t, const struct ciot_packet *pkt);
/* Settles the device's addresses; fails in automatic mode when no single host qualifies. A capture
 * with no IP packet of the device (by MAC: none to or from its MACs; automatic: no IP flow at all)
 * resolves with no address. */
enum ciot_rc ciot_device_resolve(struct ciot_device_tracker *t, char *errbuf);
bool ciot_device_has_addr(const struct ciot_device_tracker *t, const uint8_t addr[16]);
/* Which end of a flow is the device: 0 the initiator, 1 the responder, -1 neither. */
int ciot_device_end(const struct ciot_device_tracker *t, const uint8_t initiator[16], const uint8_t responder[16]);
const char *ciot_device_method_name(enum ciot_device_method m);

#endif
