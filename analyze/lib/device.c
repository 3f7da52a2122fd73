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

void ciot_device_observe(struct ciot_device_tracker *t, const struct ciot_packet *pkt)
{
	if (t->method == CIOT_DEVICE_BY_MAC) {
		if (is_device_mac(t->device, pkt->mac_src) && !ciot_addr_is_group(pkt->src))
			add_addr(t, pkt->src);
		if (is_device_mac(t->device, pkt->mac_dst) && !ciot_addr_is_group(pkt->dst))
			add_addr(t, pkt->dst);
		return;
	}
	if (t->method != CIOT_DEVICE_AUTO || ciot_addr_is_group(pkt->src) || ciot_addr_is_group(pkt->dst))
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
	case CIOT_DEVICE_BY_MAC:
		if (!t->naddrs) {
			char mac[18];
			ciot_mac_format(t->device->macs[0], mac);
			return ciot_fail(errbuf, CIOT_ERR_DEVICE, "no IP traffic to or from the device's MAC %s%s", mac,
					 t->device->nmacs > 1 ? " (or its other MACs)" : "");
		}
		return CIOT_OK;
	case CIOT_DEVICE_BY_IP:
	case CIOT_DEVICE_NONE:
		return CIOT_OK;
	case CIOT_DEVICE_AUTO:
		break;
	}
	if (!t->any_unicast_flow)
		return ciot_fail(errbuf, CIOT_ERR_DEVICE,
				 "no flow between two unicast hosts, so no device address to pick; give its MAC or IP");
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
			 "no private address appears in every flow (several hosts?); give the device's MAC or IP");
}

int ciot_device_end(const struct ciot_device_tracker *t, const uint8_t initiator[16], const uint8_t responder[16])
{
	if (t->method == CIOT_DEVICE_NONE || ciot_device_has_addr(t, initiator))
		return 0;
	return ciot_device_has_addr(t, responder) ? 1 : -1;
}
