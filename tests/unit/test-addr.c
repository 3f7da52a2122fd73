/* test-addr.c: address classes and text forms (addr.h). A table of IPv4 and IPv6 addresses, with
 * the edges of every private range (10/8, 172.16/12 against 172.15 and 172.32, 192.168/16,
 * 100.64/10, 169.254/16, 127/8, fc00::/7, fe80::/10, ::1) and of the group ones (224/4,
 * 255.255.255.255, 0.0.0.0, ff00::/8, ::), each checked for family, private, group and local;
 * parse and format round trips to the canonical text, and text that must not parse; MAC addresses
 * in colon, dash and bare-hex spelling in either case, formatted back in lower-case colon form, and
 * the spellings that must be rejected (wrong length, mixed or unknown separators, non-hex digits).
 */
#include "addr.h"
#include "check.h"

static void test_classes(void)
{
	static const struct {
		const char *text;
		bool v4, private_, group;
	} cases[] = {
		/* 10/8 */
		{ "10.0.0.0", true, true, false },
		{ "10.255.255.255", true, true, false },
		{ "9.255.255.255", true, false, false },
		{ "11.0.0.0", true, false, false },
		/* 172.16/12 */
		{ "172.16.0.0", true, true, false },
		{ "172.31.255.255", true, true, false },
		{ "172.15.255.255", true, false, false },
		{ "172.32.0.0", true, false, false },
		/* 192.168/16 */
		{ "192.168.0.0", true, true, false },
		{ "192.168.255.255", true, true, false },
		{ "192.167.255.255", true, false, false },
		{ "192.169.0.0", true, false, false },
		/* 100.64/10, shared address space */
		{ "100.64.0.0", true, true, false },
		{ "100.127.255.255", true, true, false },
		{ "100.63.255.255", true, false, false },
		{ "100.128.0.0", true, false, false },
		/* 169.254/16 link-local */
		{ "169.254.0.1", true, true, false },
		{ "169.254.255.255", true, true, false },
		{ "169.253.255.255", true, false, false },
		{ "169.255.0.0", true, false, false },
		/* 127/8 */
		{ "127.0.0.1", true, true, false },
		{ "127.255.255.254", true, true, false },
		{ "126.255.255.255", true, false, false },
		{ "128.0.0.0", true, false, false },
		/* 224/4 multicast, broadcast, unspecified */
		{ "224.0.0.0", true, false, true },
		{ "224.0.0.251", true, false, true },
		{ "239.255.255.250", true, false, true },
		{ "223.255.255.255", true, false, false },
		{ "255.255.255.255", true, false, true },
		{ "0.0.0.0", true, false, true },
		/* public */
		{ "8.8.8.8", true, false, false },
		{ "93.184.216.34", true, false, false },
		{ "192.0.2.1", true, false, false },
		/* IPv6 unique local fc00::/7 */
		{ "fc00::", false, true, false },
		{ "fd12:3456:789a::1", false, true, false },
		{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false, true, false },
		{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false, false, false },
		{ "fe00::", false, false, false },
		/* link-local fe80::/10 */
		{ "fe80::1", false, true, false },
		{ "febf:ffff::1", false, true, false },
		{ "fe7f:ffff::1", false, false, false },
		{ "fec0::1", false, false, false },
		/* multicast, loopback, unspecified */
		{ "ff02::1", false, false, true },
		{ "ff02::fb", false, false, true },
		{ "ff05::1:3", false, false, true },
		{ "::1", false, true, false },
		{ "::", false, false, true },
		{ "::2", false, false, false },
		/* public */
		{ "2001:db8::1", false, false, false },
		{ "2606:4700::1111", false, false, false },
		/* IPv4-mapped text is IPv4 */
		{ "::ffff:10.1.2.3", true, true, false },
		{ "::ffff:8.8.4.4", true, false, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		uint8_t a[16];
		if (CHECK(ciot_addr_parse(cases[i].text, a))) {
			CHECK_EQ_INT(ciot_addr_is_v4(a), cases[i].v4);
			CHECK_EQ_INT(ciot_addr_is_private(a), cases[i].private_);
			CHECK_EQ_INT(ciot_addr_is_group(a), cases[i].group);
			CHECK_EQ_INT(ciot_addr_is_local(a), cases[i].private_ || cases[i].group);
		}
		check_case(before, cases[i].text);
	}
}

static void test_text(void)
{
	static const struct {
		const char *in, *out;
		uint8_t bytes[16];
	} ok[] = {
		{ "192.168.1.20", "192.168.1.20", { [10] = 0xff, [11] = 0xff, 192, 168, 1, 20 } },
		{ "0.0.0.0", "0.0.0.0", { [10] = 0xff, [11] = 0xff } },
		{ "255.255.255.255", "255.255.255.255", { [10] = 0xff, [11] = 0xff, 255, 255, 255, 255 } },
		{ "::ffff:192.0.2.128", "192.0.2.128", { [10] = 0xff, [11] = 0xff, 192, 0, 2, 128 } },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1", { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
		{ "fe80::1", "fe80::1", { 0xfe, 0x80, [15] = 1 } },
		{ "::", "::", { 0 } },
		{ "::1", "::1", { [15] = 1 } },
		{ "ff02::fb", "ff02::fb", { 0xff, 0x02, [15] = 0xfb } },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 } },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		unsigned before = check_failures;
		uint8_t a[16];
		char text[CIOT_ADDR_STRLEN];
		if (CHECK(ciot_addr_parse(ok[i].in, a))) {
			CHECK_EQ_MEM(a, ok[i].bytes, 16);
			ciot_addr_format(a, text);
			CHECK_EQ_STR(text, ok[i].out);
			/* and the canonical text parses to the same bytes */
			uint8_t again[16];
			CHECK(ciot_addr_parse(text, again));
			CHECK_EQ_MEM(again, a, 16);
		}
		check_case(before, ok[i].in);
	}
	/* an address with no zero group: the longest IPv6 text */
	uint8_t a[16];
	char text[CIOT_ADDR_STRLEN];
	memset(a, 0xff, sizeof a);
	a[10] = 0xfe;
	ciot_addr_format(a, text);
	CHECK_EQ_STR(text, "ffff:ffff:ffff:ffff:ffff:feff:ffff:ffff");

	static const char *const bad[] = {
		"", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4 ", " 1.2.3.4", "hello", "::g", "1::2::3",
		"2001:db8::1/64", "192.168.1.20:80", "12345::",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!CHECK(!ciot_addr_parse(bad[i], a)))
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
}

static void test_mac(void)
{
	static const uint8_t mac[6] = { 0xaa, 0xbb, 0x0c, 0xdd, 0xe0, 0x1f };
	static const char *const ok[] = {
		"aa:bb:0c:dd:e0:1f", "AA:BB:0C:DD:E0:1F", "Aa:bB:0c:Dd:E0:1f", "aa-bb-0c-dd-e0-1f",
		"AA-BB-0C-DD-E0-1F", "aabb0cdde01f", "AABB0CDDE01F", "aAbB0CdDe01F",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint8_t out[6];
		char text[18];
		unsigned before = check_failures;
		if (CHECK(ciot_mac_parse(ok[i], out))) {
			CHECK_EQ_MEM(out, mac, 6);
			ciot_mac_format(out, text);
			CHECK_EQ_STR(text, "aa:bb:0c:dd:e0:1f");
		}
		check_case(before, ok[i]);
	}
	static const uint8_t edges[][6] = { { 0, 0, 0, 0, 0, 0 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const char *const edge_text[] = { "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff" };
	for (size_t i = 0; i < 2; i++) {
		uint8_t out[6];
		char text[18];
		CHECK(ciot_mac_parse(edge_text[i], out));
		CHECK_EQ_MEM(out, edges[i], 6);
		ciot_mac_format(edges[i], text);
		CHECK_EQ_STR(text, edge_text[i]);
	}
	static const char *const bad[] = {
		"",                     /* empty */
		"aa:bb:0c:dd:e0",       /* five bytes */
		"aa:bb:0c:dd:e0:1f:00", /* seven */
		"aa:bb:0c:dd:e0:1",     /* 16 characters */
		"aabb0cdde01",          /* 11 hex digits */
		"aabb0cdde01f0",        /* 13 */
		"aa:bb-0c:dd:e0:1f",    /* mixed separators */
		"aa-bb-0c-dd-e0:1f",
		"aa.bb.0c.dd.e0.1f",    /* unknown separator */
		"aa bb 0c dd e0 1f",
		"aa::bb:0c:dd:e01f",    /* separators in the wrong places */
		"aab:b0:cdd:e0:1f:0",
		"gg:bb:0c:dd:e0:1f",    /* not hex */
		"aa:bb:0c:dd:e0:1g",
		"aabb0cdde01z",
		"0xbb0cdde01f",
		" aabb0cdde01",
		"aabb0cdde01\n",
		"+a:bb:0c:dd:e0:1f",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t out[6];
		if (!CHECK(!ciot_mac_parse(bad[i], out)))
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
	}
}

int main(void)
{
	test_classes();
	test_text();
	test_mac();
	return check_summary("test-addr");
}
