/* test-device.c: telling the device's end of each flow (device.h). By MAC: the tracker learns the
 * IPv4 and IPv6 addresses of frames sent from or to the device's MACs (not group addresses such as
 * a DHCP discover's 0.0.0.0 source, not other hosts' frames) and fails when the device sent no IP
 * traffic. By IP: the manifest's addresses are the device's from the start. Automatic: the one
 * private address present in every unicast flow is the device's, multicast and broadcast flows are
 * ignored, and it fails with CIOT_ERR_DEVICE when two hosts qualify, when none does, and when there
 * are only multicast or broadcast flows; a capture without any IP flow resolves with no address (a
 * silent step). On frames with MACs a host is its MAC: a device that changed address is found with
 * every address it used, the same as --mac finds. With all flows kept (no device), nothing is resolved and every flow is
 * oriented from its initiator. Which end of a flow is the device, and the method names.
 */
#include <stdlib.h>

#include "addr.h"
#include "check.h"
#include "device.h"

static const uint8_t DEV_MAC[6] = { 0x38, 0x1f, 0x8d, 0x45, 0x1e, 0xb5 };
static const uint8_t DEV_MAC2[6] = { 0x38, 0x1f, 0x8d, 0x45, 0x1e, 0xb6 };
static const uint8_t ROUTER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t BCAST_MAC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void parse(const char *text, uint8_t out[16])
{
	if (!ciot_addr_parse(text, out)) {
		fprintf(stderr, "bad address in the test: %s\n", text);
		exit(2);
	}
}

static struct ciot_packet packet(const uint8_t *mac_src, const char *src, const uint8_t *mac_dst, const char *dst)
{
	struct ciot_packet p;
	memset(&p, 0, sizeof p);
	p.mac_src = mac_src;
	p.mac_dst = mac_dst;
	parse(src, p.src);
	parse(dst, p.dst);
	p.ip_version = ciot_addr_is_v4(p.src) ? 4 : 6;
	p.proto = 17;
	return p;
}

static bool has(const struct ciot_device_tracker *t, const char *text)
{
	uint8_t a[16];
	parse(text, a);
	return ciot_device_has_addr(t, a);
}

static void test_by_mac(void)
{
	struct ciot_device dev;
	memset(&dev, 0, sizeof dev);
	memcpy(dev.macs[0], DEV_MAC, 6);
	memcpy(dev.macs[1], DEV_MAC2, 6);
	dev.nmacs = 2;
	struct ciot_device_tracker t;
	ciot_device_tracker_init(&t, &dev, false);
	CHECK_EQ_INT(t.method, CIOT_DEVICE_BY_MAC);
	CHECK_EQ_INT(t.naddrs, 0);
	struct ciot_packet flows[] = {
		/* DHCP discover from the device: its source is not an address */
		packet(DEV_MAC, "0.0.0.0", BCAST_MAC, "255.255.255.255"),
		/* sent by the device */
		packet(DEV_MAC, "192.168.1.20", ROUTER_MAC, "8.8.8.8"),
		/* received by the device on its second MAC, over IPv6 */
		packet(ROUTER_MAC, "2606:4700::1111", DEV_MAC2, "2001:db8::20"),
		packet(ROUTER_MAC, "fe80::1", DEV_MAC, "fe80::3a1f:8dff:fe45:1eb5"),
		/* mDNS from the device: its address, not the group's */
		packet(DEV_MAC, "192.168.1.20", BCAST_MAC, "224.0.0.251"),
		/* other hosts' traffic, and a frame without MACs */
		packet(OTHER_MAC, "192.168.1.30", ROUTER_MAC, "1.1.1.1"),
		packet(ROUTER_MAC, "1.1.1.1", OTHER_MAC, "192.168.1.30"),
		packet(NULL, "192.168.1.40", NULL, "192.168.1.20"),
	};
	for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++)
		ciot_device_observe(&t, &flows[i]);
	char err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
	CHECK_EQ_INT(t.naddrs, 3);
	CHECK(has(&t, "192.168.1.20"));
	CHECK(has(&t, "2001:db8::20"));
	CHECK(has(&t, "fe80::3a1f:8dff:fe45:1eb5"));
	CHECK(!has(&t, "0.0.0.0"));
	CHECK(!has(&t, "255.255.255.255"));
	CHECK(!has(&t, "224.0.0.251"));
	CHECK(!has(&t, "8.8.8.8"));
	CHECK(!has(&t, "192.168.1.30"));
	CHECK(!has(&t, "192.168.1.40"));
	CHECK(!t.addrs_overflow);

	/* a device whose MAC sent no IP traffic: a silent step, resolved with no address (stored with
	 * zero traffic, and said by the pipeline's caller) */
	ciot_device_tracker_init(&t, &dev, false);
	ciot_device_observe(&t, &flows[5]);
	ciot_device_observe(&t, &flows[0]);
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
	CHECK_EQ_INT(t.naddrs, 0);
	CHECK_EQ_INT(ciot_device_end(&t, flows[5].src, flows[5].dst), -1);

	/* more addresses than the tracker holds: it says so */
	ciot_device_tracker_init(&t, &dev, false);
	for (unsigned i = 0; i < CIOT_DEVICE_MAX_LEARNED + 2; i++) {
		char src[32];
		snprintf(src, sizeof src, "10.0.%u.%u", i / 200, i % 200 + 1);
		struct ciot_packet p = packet(DEV_MAC, src, ROUTER_MAC, "8.8.8.8");
		ciot_device_observe(&t, &p);
	}
	CHECK_EQ_INT(t.naddrs, CIOT_DEVICE_MAX_LEARNED);
	CHECK(t.addrs_overflow);
}

static void test_by_ip(void)
{
	struct ciot_device dev;
	memset(&dev, 0, sizeof dev);
	parse("192.168.1.20", dev.ips[0]);
	parse("fe80::20", dev.ips[1]);
	parse("192.168.1.20", dev.ips[2]); /* a duplicate is kept once */
	dev.nips = 3;
	struct ciot_device_tracker t;
	ciot_device_tracker_init(&t, &dev, false);
	CHECK_EQ_INT(t.method, CIOT_DEVICE_BY_IP);
	CHECK_EQ_INT(t.naddrs, 2);
	struct ciot_packet p = packet(OTHER_MAC, "192.168.1.30", ROUTER_MAC, "8.8.8.8");
	ciot_device_observe(&t, &p); /* learns nothing */
	char err[CIOT_ERRBUF_SIZE];
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
	CHECK_EQ_INT(t.naddrs, 2);
	CHECK(has(&t, "192.168.1.20"));
	CHECK(has(&t, "fe80::20"));
	CHECK(!has(&t, "192.168.1.30"));

	/* MACs win over IPs when both are given */
	memcpy(dev.macs[0], DEV_MAC, 6);
	dev.nmacs = 1;
	ciot_device_tracker_init(&t, &dev, false);
	CHECK_EQ_INT(t.method, CIOT_DEVICE_BY_MAC);
	CHECK(has(&t, "192.168.1.20"));
}

/* Automatic mode: the first packets of a capture's flows, and the address that should be chosen
 * (NULL: resolve must fail with CIOT_ERR_DEVICE). */
static void test_auto(void)
{
	static const struct {
		const char *name;
		const char *flows[8][2];
		const char *device;
		const char *error_needle;
	} cases[] = {
		{ "one-device",
		  { { "192.168.1.20", "8.8.8.8" },
		    { "93.184.216.34", "192.168.1.20" },
		    { "192.168.1.20", "192.168.1.1" },
		    { "192.168.1.1", "224.0.0.251" },        /* multicast: ignored */
		    { "192.168.1.30", "255.255.255.255" },   /* broadcast: ignored */
		    { "0.0.0.0", "255.255.255.255" } },      /* DHCP discover: ignored */
		  "192.168.1.20", NULL },
		{ "router-first",
		  { { "192.168.1.1", "192.168.1.20" }, { "192.168.1.20", "1.1.1.1" } },
		  "192.168.1.20", NULL },
		{ "ipv6",
		  { { "fd00::20", "2606:4700::1111" }, { "ff02::fb", "fd00::20" }, { "2001:db8::1", "fd00::20" } },
		  "fd00::20", NULL },
		{ "link-local",
		  { { "169.254.10.20", "8.8.8.8" }, { "8.8.4.4", "169.254.10.20" } },
		  "169.254.10.20", NULL },
		{ "multicast-first",
		  { { "192.168.1.20", "239.255.255.250" }, { "192.168.1.30", "224.0.0.251" },
		    { "192.168.1.20", "8.8.8.8" } },
		  "192.168.1.20", NULL },
		{ "two-hosts-both-in-every-flow",
		  { { "192.168.1.20", "192.168.1.1" }, { "192.168.1.1", "192.168.1.20" } },
		  NULL, "both" },
		{ "two-hosts-to-the-internet",
		  { { "192.168.1.20", "8.8.8.8" }, { "192.168.1.30", "8.8.8.8" } },
		  NULL, "no private host" },
		{ "public-only",
		  { { "203.0.113.5", "8.8.8.8" }, { "203.0.113.5", "1.1.1.1" } },
		  NULL, "no private host" },
		{ "group-only",
		  { { "192.168.1.20", "224.0.0.251" }, { "192.168.1.20", "255.255.255.255" }, { "fe80::1", "ff02::1" } },
		  NULL, "no flow between two unicast hosts" },
		/* nothing at all: a silent step, stored with zero traffic */
		{ "no-flows", { { NULL, NULL } }, "", NULL },
	};
	struct ciot_device dev;
	memset(&dev, 0, sizeof dev);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		struct ciot_device_tracker t;
		ciot_device_tracker_init(&t, &dev, false);
		CHECK_EQ_INT(t.method, CIOT_DEVICE_AUTO);
		for (size_t k = 0; k < 8 && cases[i].flows[k][0]; k++) {
			/* frames without MACs (raw IP): a host is its address */
			struct ciot_packet p = packet(NULL, cases[i].flows[k][0], NULL, cases[i].flows[k][1]);
			ciot_device_observe(&t, &p);
		}
		char err[CIOT_ERRBUF_SIZE] = "";
		enum ciot_rc rc = ciot_device_resolve(&t, err);
		CHECK(!t.found_by_mac);
		if (cases[i].device && !cases[i].device[0]) {
			CHECK_EQ_INT(rc, CIOT_OK);
			CHECK_EQ_INT(t.naddrs, 0);
		} else if (cases[i].device) {
			CHECK_EQ_INT(rc, CIOT_OK);
			CHECK_EQ_INT(t.naddrs, 1);
			CHECK(has(&t, cases[i].device));
		} else {
			CHECK_EQ_INT(rc, CIOT_ERR_DEVICE);
			CHECK_EQ_INT(t.naddrs, 0);
			CHECK_CONTAINS(err, cases[i].error_needle);
		}
		check_case(before, cases[i].name);
	}
}

/* Automatic mode on frames with MACs: a host is its MAC. The device of a real lab (the NKU camera,
 * 78:df:72:24:69:4d behind the gateway c8:bf:4c:77:a0:3a) takes a new DHCP lease mid-capture:
 * found by its MAC, with both addresses and its IPv6 link-local one, exactly the addresses --mac
 * learns from the same flows; the gateway, at every Internet flow's far end, is not a candidate. */
static const uint8_t CAM_MAC[6] = { 0x78, 0xdf, 0x72, 0x24, 0x69, 0x4d };
static const uint8_t GW_MAC[6] = { 0xc8, 0xbf, 0x4c, 0x77, 0xa0, 0x3a };
static const uint8_t PHONE_MAC[6] = { 0x02, 0, 0, 0, 0, 0x42 };

static void test_auto_by_mac(void)
{
	struct ciot_packet flows[] = {
		/* mDNS before any unicast flow: its address must not be lost */
		packet(CAM_MAC, "fe80::7adf:72ff:fe24:694d", BCAST_MAC, "ff02::fb"),
		packet(PHONE_MAC, "192.168.1.50", BCAST_MAC, "224.0.0.251"),
		packet(CAM_MAC, "0.0.0.0", BCAST_MAC, "255.255.255.255"), /* DHCP discover */
		packet(CAM_MAC, "192.168.1.165", GW_MAC, "120.92.65.240"),
		packet(GW_MAC, "60.29.153.35", CAM_MAC, "192.168.1.165"),
		packet(CAM_MAC, "192.168.1.165", GW_MAC, "192.168.1.1"),  /* DNS at the gateway */
		/* reset: a new lease */
		packet(CAM_MAC, "0.0.0.0", BCAST_MAC, "255.255.255.255"),
		packet(CAM_MAC, "192.168.1.201", GW_MAC, "120.92.65.240"),
		packet(GW_MAC, "110.43.68.240", CAM_MAC, "192.168.1.201"),
		packet(CAM_MAC, "192.168.1.201", BCAST_MAC, "239.255.255.250"), /* SSDP after the change */
	};
	size_t n = sizeof flows / sizeof flows[0];
	struct ciot_device none;
	memset(&none, 0, sizeof none);
	struct ciot_device_tracker t;
	ciot_device_tracker_init(&t, &none, false);
	for (size_t i = 0; i < n; i++)
		ciot_device_observe(&t, &flows[i]);
	char err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
	CHECK(t.found_by_mac);
	CHECK(!memcmp(t.mac, CAM_MAC, 6));
	CHECK_EQ_INT(t.naddrs, 3);
	CHECK(has(&t, "192.168.1.165"));
	CHECK(has(&t, "192.168.1.201"));
	CHECK(has(&t, "fe80::7adf:72ff:fe24:694d"));
	CHECK(!has(&t, "192.168.1.1"));
	CHECK(!has(&t, "192.168.1.50"));

	/* the same flows with --mac: the same addresses, so the same flows are the device's */
	struct ciot_device cam;
	memset(&cam, 0, sizeof cam);
	memcpy(cam.macs[0], CAM_MAC, 6);
	cam.nmacs = 1;
	struct ciot_device_tracker m;
	ciot_device_tracker_init(&m, &cam, false);
	for (size_t i = 0; i < n; i++)
		ciot_device_observe(&m, &flows[i]);
	CHECK_EQ_INT(ciot_device_resolve(&m, err), CIOT_OK);
	CHECK_EQ_INT(m.naddrs, t.naddrs);
	for (unsigned i = 0; i < m.naddrs; i++)
		CHECK(ciot_device_has_addr(&t, m.addrs[i]));
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(ciot_device_end(&t, flows[i].src, flows[i].dst), ciot_device_end(&m, flows[i].src, flows[i].dst));

	/* every flow between the camera and the gateway's own address: two hosts qualify, named by MAC */
	ciot_device_tracker_init(&t, &none, false);
	ciot_device_observe(&t, &flows[5]);
	struct ciot_packet back = packet(GW_MAC, "192.168.1.1", CAM_MAC, "192.168.1.201");
	ciot_device_observe(&t, &back);
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_ERR_DEVICE);
	CHECK_CONTAINS(err, "78:df:72:24:69:4d");
	CHECK_CONTAINS(err, "c8:bf:4c:77:a0:3a");

	/* a second device talking to the Internet: nobody is in every flow */
	ciot_device_tracker_init(&t, &none, false);
	ciot_device_observe(&t, &flows[3]);
	struct ciot_packet phone = packet(PHONE_MAC, "192.168.1.50", GW_MAC, "8.8.8.8");
	ciot_device_observe(&t, &phone);
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_ERR_DEVICE);
	CHECK_CONTAINS(err, "no private host");

	/* more hosts announce themselves before the first unicast flow than the tracker remembers: it
	 * still finds the device, and says that some addresses may be missing */
	ciot_device_tracker_init(&t, &none, false);
	for (unsigned i = 0; i < CIOT_DEVICE_MAX_PAIRS + 10; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
		char src[32];
		snprintf(src, sizeof src, "10.1.%u.%u", i / 200, i % 200 + 1);
		struct ciot_packet p = packet(mac, src, BCAST_MAC, "224.0.0.251");
		ciot_device_observe(&t, &p);
	}
	ciot_device_observe(&t, &flows[3]);
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
	CHECK(t.found_by_mac);
	CHECK(t.pairs_overflow);
	CHECK(has(&t, "192.168.1.165"));
}

/* All flows (no device): chosen explicitly even when MACs are known; nothing to resolve, and every
 * flow is oriented from its initiator. */
static void test_none(void)
{
	struct ciot_device dev;
	memset(&dev, 0, sizeof dev);
	memcpy(dev.macs[0], DEV_MAC, 6);
	dev.nmacs = 1;
	struct ciot_device_tracker t;
	ciot_device_tracker_init(&t, &dev, true);
	CHECK_EQ_INT(t.method, CIOT_DEVICE_NONE);
	struct ciot_packet p = packet(DEV_MAC, "192.168.1.20", ROUTER_MAC, "8.8.8.8");
	ciot_device_observe(&t, &p);
	char err[CIOT_ERRBUF_SIZE];
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
	CHECK_EQ_INT(ciot_device_end(&t, p.dst, p.src), 0);
	CHECK_EQ_INT(ciot_device_end(&t, p.src, p.dst), 0);
	/* no device at all, no flows: still fine */
	struct ciot_device none;
	memset(&none, 0, sizeof none);
	ciot_device_tracker_init(&t, &none, true);
	CHECK_EQ_INT(t.method, CIOT_DEVICE_NONE);
	CHECK_EQ_INT(ciot_device_resolve(&t, err), CIOT_OK);
}

/* Which end of a flow is the device, once resolved. */
static void test_end(void)
{
	static const struct {
		const char *initiator, *responder;
		int end;
	} cases[] = {
		{ "192.168.1.20", "8.8.8.8", 0 },
		{ "8.8.8.8", "192.168.1.20", 1 },
		{ "fe80::20", "ff02::fb", 0 },
		{ "192.168.1.30", "8.8.8.8", -1 },
		{ "192.168.1.20", "fe80::20", 0 }, /* both the device's: the initiator */
	};
	struct ciot_device dev;
	memset(&dev, 0, sizeof dev);
	parse("192.168.1.20", dev.ips[0]);
	parse("fe80::20", dev.ips[1]);
	dev.nips = 2;
	struct ciot_device_tracker t;
	ciot_device_tracker_init(&t, &dev, false);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t a[16], b[16];
		parse(cases[i].initiator, a);
		parse(cases[i].responder, b);
		if (!CHECK_EQ_INT(ciot_device_end(&t, a, b), cases[i].end))
			fprintf(stderr, "  ^ for %s -> %s\n", cases[i].initiator, cases[i].responder);
	}
}

static void test_names(void)
{
	CHECK_EQ_STR(ciot_device_method_name(CIOT_DEVICE_BY_MAC), "mac");
	CHECK_EQ_STR(ciot_device_method_name(CIOT_DEVICE_BY_IP), "ip");
	CHECK_EQ_STR(ciot_device_method_name(CIOT_DEVICE_AUTO), "auto");
	CHECK_EQ_STR(ciot_device_method_name(CIOT_DEVICE_NONE), "none");
	CHECK_EQ_STR(ciot_device_method_name((enum ciot_device_method)42), "invalid");
}

int main(void)
{
	test_by_mac();
	test_by_ip();
	test_auto();
	test_auto_by_mac();
	test_none();
	test_end();
	test_names();
	return check_summary("test-device");
}
