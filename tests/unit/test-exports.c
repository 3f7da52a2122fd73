/* test-exports.c: the destination exports' formulas (countries, sankey, parties, organizations,
 * destinations) on a small hand-made database, against values computed by hand below.
 *
 * The database is written through the store's schema, then filled with SQL: devices, captures and
 * flows with their destinations rows, so the numbers are exactly the ones the comments work out.
 *
 * The dataset (bytes are flow bytes, both directions added):
 *   cam_big (camera)    setup: CN 900000, US 100000                  N = 1000000
 *   cam_small (camera)  setup: CN 1000, DE 1000                      N = 2000
 *                       idle:  HK 500, CN 500                        N = 1000
 *                       and a LAN flow of 7777 bytes, never counted
 *   plug_lan (plug)     setup: a LAN flow only: no external traffic, so no share at all
 *   spk_v6 (speaker)    interaction: JP 300 (to an IPv6 server), CN 700 (IPv4), and an IPv6
 *                       link-local flow of 50 bytes, never counted  N = 1000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "export.h"
#include "store.h"
#include "testdb.h"
#include "testfs.h"

static sqlite3 *db;

static void exec(const char *sql)
{
	testdb_exec(db, sql);
}

static int device(const char *name, const char *category, const char *brand)
{
	return (int)testdb_device(db, name, category, brand, NULL);
}

static int capture(int device_id, const char *phase)
{
	return (int)testdb_capture(db, device_id, phase);
}

/* A flow of `bytes` (split 60/40 out/in, to check both directions count) and its destination. */
static void flow(int capture_id, const char *remote, long long bytes, const char *country, const char *domain,
		 const char *organization, const char *party)
{
	static long long ts = 1700000000000000LL;
	char sql[2048];
	long long out = bytes * 6 / 10, in = bytes - out;
	snprintf(sql, sizeof sql,
		 "INSERT INTO flows (capture_id, transport, ip_version, device_ip, device_port, remote_ip, remote_port,"
		 " remote_scope, initiator, first_us, last_us, packets_out, bytes_out, payload_out, packets_in, bytes_in,"
		 " payload_in, tcp_flags_out, tcp_flags_in, app_proto, ndpi_category, ndpi_guessed, end_reason,"
		 " entropy_encrypted_packets, proprietary_encryption) VALUES"
		 " (%d, 'tcp', %d, '10.0.0.2', 40000, '%s', 443, '%s', 'device', %lld, %lld, 3, %lld, 0, 2, %lld, 0, 0,"
		 " 0, 'TLS', 'Web', 0, 'closed', 0, 0)",
		 capture_id, strchr(remote, ':') ? 6 : 4, remote, strcmp(country, "local") ? "internet" : "local", ts,
		 ts + 1000, out, in);
	ts += 1000000;
	exec(sql);
	long long flow_id = sqlite3_last_insert_rowid(db);
	char dom[300], org[300];
	snprintf(dom, sizeof dom, domain ? "'%s'" : "NULL", domain);
	snprintf(org, sizeof org, organization ? "'%s'" : "NULL", organization);
	snprintf(sql, sizeof sql,
		 "INSERT INTO destinations (flow_id, name, name_source, domain, country, organization, party, party_rule)"
		 " VALUES (%lld, %s, %s, %s, '%s', %s, '%s', 'test')",
		 flow_id, domain ? dom : "NULL", domain ? "'dns'" : "NULL", dom, country, org, party);
	exec(sql);
}

static char *export_csv(const char *table, const struct ciot_export_params *params)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = ciot_export(db, table, CIOT_EXPORT_CSV, params, out, errbuf);
	fclose(out);
	if (!CHECK_EQ_INT(rc, CIOT_OK))
		fprintf(stderr, "  %s: %s\n", table, errbuf);
	return text;
}

/* Whether the CSV has exactly this line. */
static bool has_line(const char *csv, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = csv; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == 0))
			return true;
	return false;
}

#define CHECK_LINE(csv, line)                                                                                      \
	do {                                                                                                       \
		if (!CHECK(has_line((csv), (line))))                                                               \
			fprintf(stderr, "  missing line: %s\n", (line));                                           \
	} while (0)

static size_t count_lines_with(const char *csv, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	for (const char *p = csv; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

static void build(void)
{
	int cam_big = device("cam_big", "camera", "acme"), cam_small = device("cam_small", "camera", "acme");
	int plug = device("plug_lan", "plug", "acme"), spk = device("spk_v6", "speaker", "acme");
	int c = capture(cam_big, "setup");
	flow(c, "47.1.1.1", 400000, "CN", "vendor.com", "Acme", "first");
	flow(c, "47.1.1.2", 500000, "CN", "vendor.com", "Acme", "first");
	flow(c, "120.1.1.1", 0, "CN", "aliyuncs.com", "Alibaba Cloud", "support");
	flow(c, "8.8.8.8", 100000, "US", NULL, "Google", "third");
	c = capture(cam_small, "setup");
	flow(c, "47.1.1.1", 1000, "CN", "vendor.com", "Acme", "first");
	flow(c, "5.1.1.1", 1000, "DE", "pool.ntp.org", NULL, "third");
	c = capture(cam_small, "idle");
	flow(c, "43.1.1.1", 500, "HK", "vendor.com", "Acme", "first");
	flow(c, "47.1.1.1", 500, "CN", "vendor.com", "Acme", "first");
	flow(c, "192.168.1.1", 7777, "local", NULL, NULL, "local");
	c = capture(plug, "setup");
	flow(c, "192.168.1.1", 4242, "local", NULL, NULL, "local");
	c = capture(spk, "interaction");
	flow(c, "2001:db8::1", 300, "JP", "music.example.jp", "Example KK", "third");
	flow(c, "47.1.1.3", 700, "CN", "vendor.com", "Acme", "first");
	flow(c, "fe80::1", 50, "local", NULL, NULL, "local");
}

static void test_countries(void)
{
	char *csv = export_csv("countries", NULL);
	/* camera, setup. Byte-weighted: CN (900000 + 1000) / 1002000 = 0.899202, US 100000 / 1002000 =
	 * 0.099800, DE 1000 / 1002000 = 0.000998. Normalized: CN (0.9 + 0.5) / 2 = 0.7, US (0.1 + 0) / 2 =
	 * 0.05, DE (0 + 0.5) / 2 = 0.25: the small camera weighs as much as the big one. */
	CHECK_LINE(csv, "category,camera,setup,CN,0,901000,0.899202,0.700000,2");
	CHECK_LINE(csv, "category,camera,setup,US,1,100000,0.099800,0.050000,2");
	CHECK_LINE(csv, "category,camera,setup,DE,1,1000,0.000998,0.250000,2");
	/* camera, idle: only cam_small has idle traffic, so the category is that one device */
	CHECK_LINE(csv, "category,camera,idle,CN,0,500,0.500000,0.500000,1");
	CHECK_LINE(csv, "category,camera,idle,HK,1,500,0.500000,0.500000,1");
	/* camera, all phases: cam_big N = 1000000 (CN 0.9, US 0.1), cam_small N = 3000 (CN 1500 = 0.5,
	 * DE 1000 = 1/3, HK 500 = 1/6). CN normalized (0.9 + 0.5) / 2 = 0.7; byte-weighted 901500 / 1003000 */
	CHECK_LINE(csv, "category,camera,all,CN,0,901500,0.898804,0.700000,2");
	CHECK_LINE(csv, "category,camera,all,DE,1,1000,0.000997,0.166667,2");
	CHECK_LINE(csv, "category,camera,all,HK,1,500,0.000499,0.083333,2");
	/* the plug has no external traffic: no share of anything, and it does not dilute the others */
	CHECK_EQ_INT(count_lines_with(csv, "category,plug,"), 0);
	CHECK_EQ_INT(count_lines_with(csv, "device,plug_lan,"), 0);
	/* IPv6 destinations count like any other: spk_v6 JP 300 / 1000 (the link-local flow is left out) */
	CHECK_LINE(csv, "device,spk_v6,interaction,JP,1,300,0.300000,0.300000,1");
	CHECK_LINE(csv, "device,spk_v6,all,CN,0,700,0.700000,0.700000,1");
	/* all devices, all phases: 3 devices with external traffic. Normalized CN = (0.9 + 0.5 + 0.7) / 3
	 * = 0.7; JP 0.3 / 3 = 0.1; US 0.1 / 3; byte-weighted CN (900000 + 1500 + 700) / 1004000 */
	CHECK_LINE(csv, "all,all,all,CN,0,902200,0.898606,0.700000,3");
	CHECK_LINE(csv, "all,all,all,JP,1,300,0.000299,0.100000,3");
	CHECK_LINE(csv, "all,all,all,US,1,100000,0.099602,0.033333,3");
	/* per phase overall: idle has only cam_small */
	CHECK_LINE(csv, "all,all,idle,HK,1,500,0.500000,0.500000,1");
	/* local is never a country of the shares */
	CHECK(!strstr(csv, ",local,"));
	free(csv);

	/* HK folded into CN, and another home country */
	struct ciot_export_params fold = { .fold_greater_china = true };
	csv = export_csv("countries", &fold);
	CHECK_LINE(csv, "category,camera,idle,CN,0,1000,1.000000,1.000000,1");
	CHECK_EQ_INT(count_lines_with(csv, "category,camera,idle,HK"), 0);
	free(csv);
	struct ciot_export_params us = { .home_country = "US" };
	csv = export_csv("countries", &us);
	CHECK_LINE(csv, "category,camera,setup,US,0,100000,0.099800,0.050000,2");
	CHECK_LINE(csv, "category,camera,setup,CN,1,901000,0.899202,0.700000,2");
	free(csv);
}

static void test_sankey(void)
{
	char *csv = export_csv("sankey", NULL);
	/* value = sum of the category's devices' shares / 3 devices, so all edges add up to 1:
	 * camera -> CN (0.9 + 0.5) / 3, camera -> DE (1/3) / 3, speaker -> JP 0.3 / 3 */
	CHECK_LINE(csv, "camera,CN,0,0.466667,901500,2");
	CHECK_LINE(csv, "camera,DE,1,0.111111,1000,1");
	CHECK_LINE(csv, "camera,HK,1,0.055556,500,1");
	CHECK_LINE(csv, "camera,US,1,0.033333,100000,1");
	CHECK_LINE(csv, "speaker,CN,0,0.233333,700,1");
	CHECK_LINE(csv, "speaker,JP,1,0.100000,300,1");
	free(csv);
}

static void test_parties(void)
{
	char *csv = export_csv("parties", NULL);
	/* camera setup, 2 devices: first = vendor.com (cam_big; two addresses, one domain) + vendor.com
	 * (cam_small) = 2 servers, 1.0 per device; support = aliyuncs.com, 0.5; third = 8.8.8.8 (no
	 * name: the address is the server) + pool.ntp.org = 2, 1.0 */
	CHECK_LINE(csv, "camera,setup,first,2,2,1.000");
	CHECK_LINE(csv, "camera,setup,support,2,1,0.500");
	CHECK_LINE(csv, "camera,setup,third,2,2,1.000");
	/* camera idle: only cam_small was captured idle; its first party is vendor.com once */
	CHECK_LINE(csv, "camera,idle,first,1,1,1.000");
	CHECK_LINE(csv, "camera,idle,third,1,0,0.000");
	/* all phases: a server seen in two phases counts once per device */
	CHECK_LINE(csv, "camera,all,first,2,2,1.000");
	/* the plug was captured, talks to nobody outside: zero servers over one device */
	CHECK_LINE(csv, "plug,setup,first,1,0,0.000");
	CHECK_LINE(csv, "speaker,interaction,third,1,1,1.000");
	free(csv);
}

static void test_organizations(void)
{
	char *csv = export_csv("organizations", NULL);
	/* Acme: cam_big, cam_small, spk_v6 */
	CHECK(has_line(csv, "Acme,3,6,902700,vendor.com"));
	CHECK(has_line(csv, "Alibaba Cloud,1,1,0,aliyuncs.com"));
	CHECK(has_line(csv, "Google,1,1,100000,"));
	/* the first data line is the organization most devices contact */
	CHECK(!strncmp(strchr(csv, '\n') + 1, "Acme,", 5));
	free(csv);
}

static void test_destinations(void)
{
	char *csv = export_csv("destinations", NULL);
	/* one row per (device, phase, address, domain, organization, party) */
	CHECK(strstr(csv, "cam_big,camera,setup,47.1.1.2,vendor.com (dns),vendor.com,CN,,,Acme,first,test,1,500000,5,") !=
	      NULL);
	CHECK(strstr(csv, "spk_v6,speaker,interaction,2001:db8::1,music.example.jp (dns),music.example.jp,JP,,,Example KK,"
			  "third,test,1,300,5,") != NULL);
	CHECK(strstr(csv, "plug_lan,plug,setup,192.168.1.1,,,local,,,,local,test,1,4242,5,") != NULL);
	free(csv);
}

/* Encryption classes, on the same devices:
 *   cam_big setup (flow to 47.1.1.1): encrypted 90 packets 90000 bytes, text 10 packets 10000 bytes
 *   cam_small setup (flow to 47.1.1.1, firmware pre): encrypted 1 packet 100 bytes, unknown 1 packet
 *     300 bytes
 *   cam_small idle (flow to 43.1.1.1, firmware post): media 2 packets 200 bytes, text 2 packets 600
 * The other flows have no classified packets (no payload). */
static void build_classes(void)
{
	exec("UPDATE flows SET encrypted_packets = 90, encrypted_bytes = 90000, text_packets = 10, text_bytes = 10000"
	     " WHERE remote_ip = '47.1.1.1' AND capture_id = (SELECT c.id FROM captures c JOIN devices d ON"
	     " d.id = c.device_id WHERE d.name = 'cam_big' AND c.phase = 'setup')");
	exec("UPDATE flows SET encrypted_packets = 1, encrypted_bytes = 100, unknown_packets = 1, unknown_bytes = 300"
	     " WHERE remote_ip = '47.1.1.1' AND capture_id = (SELECT c.id FROM captures c JOIN devices d ON"
	     " d.id = c.device_id WHERE d.name = 'cam_small' AND c.phase = 'setup')");
	exec("UPDATE flows SET media_packets = 2, media_bytes = 200, text_packets = 2, text_bytes = 600"
	     " WHERE remote_ip = '43.1.1.1'");
	exec("UPDATE captures SET firmware = CASE phase WHEN 'setup' THEN 'pre' ELSE 'post' END"
	     " WHERE device_id = (SELECT id FROM devices WHERE name = 'cam_small')");
}

static void test_encryption(void)
{
	char *csv = export_csv("encryption", NULL);
	/* per device: cam_big setup 0.9 / 0.1 of bytes and packets */
	CHECK_LINE(csv, "device,cam_big,camera,setup,encrypted,encrypted,90,90000,0.900000,0.900000,1");
	CHECK_LINE(csv, "device,cam_big,camera,setup,text,unencrypted,10,10000,0.100000,0.100000,1");
	/* cam_small setup: bytes 100 / 400 = 0.25 encrypted, packets 1 / 2 */
	CHECK_LINE(csv, "device,cam_small,camera,setup,encrypted,encrypted,1,100,0.250000,0.500000,1");
	CHECK_LINE(csv, "device,cam_small,camera,setup,unknown,unknown,1,300,0.750000,0.500000,1");
	/* all phases of cam_small: 100 + 300 + 200 + 600 = 1200 bytes, 6 packets: media 200 / 1200,
	 * text 600 / 1200 */
	CHECK_LINE(csv, "device,cam_small,camera,all,media,unencrypted,2,200,0.166667,0.333333,1");
	CHECK_LINE(csv, "device,cam_small,camera,all,text,unencrypted,2,600,0.500000,0.333333,1");
	/* camera setup: the average of the two devices' shares, not the byte-weighted share:
	 * encrypted (0.9 + 0.25) / 2 = 0.575 of bytes, (0.9 + 0.5) / 2 = 0.7 of packets */
	CHECK_LINE(csv, "category,camera,camera,setup,encrypted,encrypted,91,90100,0.575000,0.700000,2");
	CHECK_LINE(csv, "category,camera,camera,setup,text,unencrypted,10,10000,0.050000,0.050000,2");
	CHECK_LINE(csv, "category,camera,camera,setup,unknown,unknown,1,300,0.375000,0.250000,2");
	/* camera idle: cam_small alone */
	CHECK_LINE(csv, "category,camera,camera,idle,text,unencrypted,2,600,0.750000,0.500000,1");
	/* devices without classified packets have no rows */
	CHECK_EQ_INT(count_lines_with(csv, "device,plug_lan,"), 0);
	free(csv);

	csv = export_csv("encryption-heatmap", NULL);
	CHECK_LINE(csv, "camera,setup,encrypted,0.575000,0.700000,2");
	CHECK_LINE(csv, "camera,setup,unencrypted,0.050000,0.050000,2");
	CHECK_LINE(csv, "camera,setup,unknown,0.375000,0.250000,2");
	CHECK_LINE(csv, "camera,setup,omitted,0.000000,0.000000,2");
	/* idle: media and text are both unencrypted: 800 / 800 */
	CHECK_LINE(csv, "camera,idle,unencrypted,1.000000,1.000000,1");
	CHECK_LINE(csv, "camera,idle,encrypted,0.000000,0.000000,1");
	free(csv);

	csv = export_csv("encryption-firmware", NULL);
	CHECK_LINE(csv, "cam_small,camera,pre,encrypted,1,100,0.250000,0.500000");
	CHECK_LINE(csv, "cam_small,camera,pre,unknown,1,300,0.750000,0.500000");
	CHECK_LINE(csv, "cam_small,camera,post,unencrypted,4,800,1.000000,1.000000");
	CHECK_EQ_INT(count_lines_with(csv, "cam_big,"), 0);
	free(csv);
}

int main(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	testfs_mkdtemp(dir, "exports");
	testfs_path(path, dir, "t.db");
	struct ciot_store *store;
	char errbuf[CIOT_ERRBUF_SIZE];
	if (ciot_store_open(&store, path, errbuf)) {
		fprintf(stderr, "test-exports: %s\n", errbuf);
		return 1;
	}
	db = ciot_store_db(store);
	build();
	test_countries();
	test_sankey();
	test_parties();
	test_organizations();
	test_destinations();
	build_classes();
	test_encryption();
	ciot_store_close(store);
	testfs_rmtree(dir);
	return check_summary("exports");
}
