/* device.c: see device.h. */
#include <string.h>

#include "addr.h"
#include "device.h"

const char *ciot_device_method_name(enum ciot_device_method m)
{
	static const char *const names[] = { "mac", "ip", "auto", "none" };
	return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "invalid";
}

static void add_addr(struct ciot_device_tracker *t, const uint8_t a[16])
{
	if (ciot_device_has_addr(t, a))
		return;
	if (t->naddrs >= CIOT_DEVICE_MAX_LEARNED) {
		t->addrs_overflow = true;
		return;
	}
	memcpy(t->addrs[t->naddrs++], a, 16);
}

void ciot_device_tracker_init(struct ciot_device_tracker *t, const struct ciot_device *device, bool all_flows)
{
	memset(t, 0, sizeof *t);
	t->device = device;
	t->method = all_flows      ? CIOT_DEVICE_NONE
		    : device->nmacs ? CIOT_DEVICE_BY_MAC
		    : device->nips  ? CIOT_DEVICE_BY_IP
				    : CIOT_DEVICE_AUTO;
	for (size_t i = 0; i < device->nips; i++)
		add_addr(t, device->ips[i]);
}

bool ciot_device_has_addr(const struct ciot_device_tracker *t, const uint8_t addr[16])
{
	for (unsigned i = 0; i < t->naddrs; i++)
		if (!memcmp(t->addrs[i], addr, 16))
			return true;
	return false;
}

static bool is_device_mac(const struct ciot_device *d, const uint8_t *mac)
{
	if (!mac)
		return false;
	for (size_t i = 0; i < d->nmacs; i++)
		if (!memcmp(d->macs[i], mac, 6))
			return true;
	return false;
}

static bool same_mac(const uint8_t *a, const uint8_t *b)
{
	return a && b && !memcmp(a, b, 6);
}

/* Remembers that the host with this MAC used this address; a full table is said, not hidden. */
static void add_pair(struct ciot_device_tracker *t, const uint8_t *mac, const uint8_t addr[16])
{
	if (!mac || ciot_addr_is_group(addr))
		return;
	for (unsigned i = 0; i < t->npairs; i++)
		if (!memcmp(t->pairs[i].mac, mac, 6) && !memcmp(t->pairs[i].addr, addr, 16))
			return;
	if (t->npairs >= CIOT_DEVICE_MAX_PAIRS) {
		t->pairs_overflow = true;
		return;
	}
	memcpy(t->pairs[t->npairs].mac, mac, 6);
	memcpy(t->pairs[t->npairs].addr, addr, 16);
	t->npairs++;
}

static bool is_mac_candidate(const struct ciot_device_tracker *t, const uint8_t *mac)
{
	for (unsigned i = 0; i < t->nmac_candidates; i++)
		if (same_mac(t->mac_candidates[i], mac))
			return true;
	return false;
}

/* The host of a MAC is in a unicast flow when the MAC is at an end whose address is private: the
 * gateway's MAC is at every Internet flow's far end too, but with the server's address. */
static bool mac_at_private_end(const struct ciot_packet *pkt, const uint8_t mac[6])
{
	return (same_mac(pkt->mac_src, mac) && ciot_addr_is_private(pkt->src)) ||
	       (same_mac(pkt->mac_dst, mac) && ciot_addr_is_private(pkt->dst));
}

/* Automatic mode by MAC: every flow's hosts' addresses are remembered, and a unicast flow narrows
 * the hosts in the running to those it involves at a private address. */
static void observe_macs(struct ciot_device_tracker *t, const struct ciot_packet *pkt, bool unicast)
{
	if (unicast) {
		if (!t->any_unicast_flow) {
			if (pkt->mac_src && ciot_addr_is_private(pkt->src))
				memcpy(t->mac_candidates[t->nmac_candidates++], pkt->mac_src, 6);
			if (pkt->mac_dst && ciot_addr_is_private(pkt->dst) && !same_mac(pkt->mac_src, pkt->mac_dst))
				memcpy(t->mac_candidates[t->nmac_candidates++], pkt->mac_dst, 6);
		} else {
			unsigned kept = 0;
			for (unsigned i = 0; i < t->nmac_candidates; i++)
				if (mac_at_private_end(pkt, t->mac_candidates[i]))
					memmove(t->mac_candidates[kept++], t->mac_candidates[i], 6);
			t->nmac_candidates = kept;
		}
		/* the pairs of hosts out of the running are of no more use */
		unsigned kept = 0;
		for (unsigned i = 0; i < t->npairs; i++)
			if (is_mac_candidate(t, t->pairs[i].mac))
				t->pairs[kept++] = t->pairs[i];
		t->npairs = kept;
	}
	if (!unicast && t->any_unicast_flow && !t->nmac_candidates)
		return;
	if (!t->any_unicast_flow && !unicast) {
		add_pair(t, pkt->mac_src, pkt->src);
		add_pair(t, pkt->mac_dst, pkt->dst);
		return;
	}
	if (is_mac_candidate(t, pkt->mac_src))
		add_pair(t, pkt->mac_src, pkt->src);
	if (is_mac_candidate(t, pkt->mac_dst))
		add_pair(t, pkt->mac_dst, pkt->dst);
}

void ciot_device_observe(struct ciot_device_tracker *t, const struct ciot_packet *pkt)
{
	if (t->method == CIOT_DEVICE_BY_MAC) {
		if (is_device_mac(t->device, pkt->mac_src) && !ciot_addr_is_group(pkt->src))
			add_addr(t, pkt->src);
		if (is_device_mac(t->device, pkt->mac_dst) && !ciot_addr_is_group(pkt->dst))
			add_addr(t, pkt->dst);
		return;
	}
	if (t->method != CIOT_DEVICE_AUTO)
		return;
	t->any_flow = true;
	bool unicast = !ciot_addr_is_group(pkt->src) && !ciot_addr_is_group(pkt->dst);
	observe_macs(t, pkt, unicast);
	if (!unicast)
		return;
	if (!t->any_unicast_flow) {
		t->any_unicast_flow = true;
		if (ciot_addr_is_private(pkt->src))
			memcpy(t->candidates[t->ncandidates++], pkt->src, 16);
		if (ciot_addr_is_private(pkt->dst) && memcmp(pkt->src, pkt->dst, 16))
			memcpy(t->candidates[t->ncandidates++], pkt->dst, 16);
		return;
	}
	unsigned kept = 0;
	for (unsigned i = 0; i < t->ncandidates; i++)
		if (!memcmp(t->candidates[i], pkt->src, 16) || !memcmp(t->candidates[i], pkt->dst, 16))
			memmove(t->candidates[kept++], t->candidates[i], 16);
	t->ncandidates = kept;
}

enum ciot_rc ciot_device_resolve(struct ciot_device_tracker *t, char *errbuf)
{
	char a[CIOT_ADDR_STRLEN], b[CIOT_ADDR_STRLEN];
	switch (t->method) {
	case CIOT_DEVICE_BY_MAC: /* no address learned: the device was silent, which is a result */
	case CIOT_DEVICE_BY_IP:
	case CIOT_DEVICE_NONE:
		return CIOT_OK;
	case CIOT_DEVICE_AUTO:
		break;
	}
	if (!t->any_flow)
		return CIOT_OK; /* no IP traffic at all: nobody's, so nothing of the device's either */
	if (!t->any_unicast_flow)
		return ciot_fail(errbuf, CIOT_ERR_DEVICE,
				 "no flow between two unicast hosts, so no device address to pick; give its MAC or IP");
	/* a host by its MAC first: it keeps every address the device used, as --mac would */
	if (t->nmac_candidates == 1) {
		t->found_by_mac = true;
		memcpy(t->mac, t->mac_candidates[0], 6);
		for (unsigned i = 0; i < t->npairs; i++)
			if (!memcmp(t->pairs[i].mac, t->mac, 6))
				add_addr(t, t->pairs[i].addr);
		return CIOT_OK;
	}
	/* two hosts by MAC: one address of theirs may still be in every flow (the gateway's, when the
	 * device changed address), so the address rule would pick the wrong host */
	if (t->nmac_candidates == 2) {
		ciot_mac_format(t->mac_candidates[0], a);
		ciot_mac_format(t->mac_candidates[1], b);
		return ciot_fail(errbuf, CIOT_ERR_DEVICE,
				 "the hosts with MACs %s and %s both appear in every flow; give the device's MAC or IP", a,
				 b);
	}
	/* frames without both MACs (raw IP, Linux cooked captures): a host by its address */
	if (t->ncandidates == 1) {
		add_addr(t, t->candidates[0]);
		return CIOT_OK;
	}
	if (t->ncandidates == 2) {
		ciot_addr_format(t->candidates[0], a);
		ciot_addr_format(t->candidates[1], b);
		return ciot_fail(errbuf, CIOT_ERR_DEVICE, "both %s and %s appear in every flow; give the device's MAC or IP",
				 a, b);
	}
	return ciot_fail(errbuf, CIOT_ERR_DEVICE,
			 "no private host appears in every flow, by MAC or by address (several hosts?); give the "
			 "device's MAC or IP");
}

int ciot_device_end(const struct ciot_device_tracker *t, const uint8_t initiator[16], const uint8_t responder[16])
{
	if (t->method == CIOT_DEVICE_NONE || ciot_device_has_addr(t, initiator))
		return 0;
	return ciot_device_has_addr(t, responder) ? 1 : -1;
}
