/* test-exports.c: the destination exports' formulas (countries, sankey, parties, organizations,
 * destinations) and the encryption exports on a small hand-made database, and the TLS exports
 * (validation, validation-pairs, protocols, cert-issues, tls, certificates) on one database each,
 * against values computed by hand below. And the registry of exports itself: every column of every
 * export has a doc, every query returns the columns it documents and binds the parameters it
 * declares, docs/exports.md is `ciot-report --columns`'s output, and JSON streamed row by row is
 * one valid array.
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

#include <jansson.h>
#include <sqlite3.h>

#include "check.h"
#include "ciot/report.h"
#include "render.h"
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

static char *export_as(const char *table, enum ciot_export_format format, const struct ciot_export_params *params)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = ciot_export(db, table, format, params, out, errbuf);
	fclose(out);
	if (!CHECK_EQ_INT(rc, CIOT_OK))
		fprintf(stderr, "  %s: %s\n", table, errbuf);
	return text;
}

static char *export_csv(const char *table, const struct ciot_export_params *params)
{
	return export_as(table, CIOT_EXPORT_CSV, params);
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

/* On a missing line, the lines that start with the same first field (what came instead). */
static void show_instead(const char *csv, const char *line)
{
	size_t n = strcspn(line, ",");
	for (const char *p = csv; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n + 1))
			fprintf(stderr, "  got:          %.*s\n", (int)strcspn(p, "\n"), p);
}

#define CHECK_LINE(csv, line)                                                                                      \
	do {                                                                                                       \
		if (!CHECK(has_line((csv), (line)))) {                                                             \
			fprintf(stderr, "  missing line: %s\n", (line));                                           \
			show_instead((csv), (line));                                                               \
		}                                                                                                  \
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
	/* the lab's own resolver on a public address: big, in another country, with an organization;
	 * it must change no share, party count or organization below */
	flow(c, "203.0.113.53", 999999, "US", "lab.example", "Example University", "lab");
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
	CHECK(strstr(csv, "cam_big,camera,setup,47.1.1.2,vendor.com (dns),vendor.com,CN,,,Acme,first,test,,,1,500000,5,") !=
	      NULL);
	CHECK(strstr(csv, "spk_v6,speaker,interaction,2001:db8::1,music.example.jp (dns),music.example.jp,JP,,,Example KK,"
			  "third,test,,,1,300,5,") != NULL);
	CHECK(strstr(csv, "plug_lan,plug,setup,192.168.1.1,,,local,,,,local,test,,,1,4242,5,") != NULL);
	free(csv);
}

/* The lab's hosts: listed on their own, absent from organizations (the countries and parties tests
 * above pass with the lab resolver's 999999 bytes in cam_big's setup). */
static void test_lab_hosts(void)
{
	char *csv = export_csv("lab-hosts", NULL);
	CHECK_LINE(csv, "cam_big,203.0.113.53,lab.example,US,,test,1,999999,5");
	CHECK_EQ_INT(count_lines_with(csv, "cam_"), 1);
	free(csv);
	csv = export_csv("organizations", NULL);
	CHECK(!strstr(csv, "Example University"));
	free(csv);
}

/* Coverage: the stage's table as exported, the share of servers decided by nothing. */
static void test_coverage(void)
{
	exec("INSERT INTO attribution_coverage SELECT id, 4, 2, 1, 1, 1, NULL FROM devices WHERE name = 'cam_big'");
	exec("INSERT INTO attribution_coverage SELECT id, 0, 0, 0, 0, 0, 'has no brand' FROM devices WHERE name = 'plug_lan'");
	char *csv = export_csv("coverage", NULL);
	CHECK_LINE(csv, "cam_big,camera,acme,4,2,1,1,0.250000,1,");
	CHECK_LINE(csv, "plug_lan,plug,acme,0,0,0,0,,0,has no brand");
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
	exec("UPDATE flows SET encrypted_packets = 90, encrypted_bytes = 90000, text_packets = 10, text_bytes = 10000,"
	     " encrypted_payload_bytes = 86400, text_payload_bytes = 9600"
	     " WHERE remote_ip = '47.1.1.1' AND capture_id = (SELECT c.id FROM captures c JOIN devices d ON"
	     " d.id = c.device_id WHERE d.name = 'cam_big' AND c.phase = 'setup')");
	exec("UPDATE flows SET encrypted_packets = 1, encrypted_bytes = 100, unknown_packets = 1, unknown_bytes = 300,"
	     " encrypted_payload_bytes = 60, unknown_payload_bytes = 260"
	     " WHERE remote_ip = '47.1.1.1' AND capture_id = (SELECT c.id FROM captures c JOIN devices d ON"
	     " d.id = c.device_id WHERE d.name = 'cam_small' AND c.phase = 'setup')");
	exec("UPDATE flows SET media_packets = 2, media_bytes = 200, text_packets = 2, text_bytes = 600,"
	     " media_payload_bytes = 120, text_payload_bytes = 520"
	     " WHERE remote_ip = '43.1.1.1'");
	exec("UPDATE captures SET firmware = CASE phase WHEN 'setup' THEN 'pre' ELSE 'post' END"
	     " WHERE device_id = (SELECT id FROM devices WHERE name = 'cam_small')");
}

/* The firmware exports: cam_small is tagged pre (setup) and post (idle).
 *   servers: pre vendor.com (first, 1000 B) and pool.ntp.org (third, DE, 1000 B); post vendor.com
 *            (first: HK 500 B, CN 500 B; the LAN flow has no party): pool.ntp.org removed, none added
 *   overseas: pre DE 1000 / 2000 = 0.5, post HK 500 / 1000 = 0.5 (0 with HK folded into CN)
 *   classes: pre encrypted 100 / 400 = 0.25, unknown 0.75; post media 200 + text 600: unencrypted 1 */
static void test_firmware(void)
{
	char *csv = export_csv("firmware", NULL);
	CHECK_LINE(csv, "cam_small,camera,1,1,2,1,0,1,1,1,0,0,1,0,0.500000,0.500000,0.250000,0.000000,-0.250000,"
			"0.000000,1.000000,1.000000,0.750000,0.000000,\"\",\"\",\"\",\"\"");
	/* only devices with both tags */
	CHECK_EQ_INT(count_lines_with(csv, "cam_big,"), 0);
	free(csv);
	struct ciot_export_params fold = { .fold_greater_china = true };
	csv = export_csv("firmware", &fold);
	CHECK(csv && strstr(csv, "\ncam_small,camera,1,1,2,1,0,1,1,1,0,0,1,0,0.500000,0.000000,"));
	free(csv);
	csv = export_csv("firmware-destinations", NULL);
	CHECK_LINE(csv, "cam_small,camera,pool.ntp.org,removed,third,,,DE,1,0,1000,0");
	CHECK(csv && strstr(csv, "\ncam_small,camera,vendor.com,kept,first,first,Acme,") &&
	      strstr(csv, ",1,2,1000,1000\n"));
	/* removed before kept */
	CHECK(csv && strstr(csv, "pool.ntp.org,removed") < strstr(csv, "vendor.com,kept"));
	CHECK_EQ_INT(count_lines_with(csv, "cam_small,"), 2);
	free(csv);
}

static void test_encryption(void)
{
	char *csv = export_csv("encryption", NULL);
	/* per device: cam_big setup 0.9 / 0.1 of bytes and packets */
	CHECK_LINE(csv, "device,cam_big,camera,setup,encrypted,encrypted,90,90000,0.900000,0.900000,1,86400,0.900000");
	CHECK_LINE(csv, "device,cam_big,camera,setup,text,unencrypted,10,10000,0.100000,0.100000,1,9600,0.100000");
	/* cam_small setup: bytes 100 / 400 = 0.25 encrypted, packets 1 / 2, payload bytes 60 / 320 */
	CHECK_LINE(csv, "device,cam_small,camera,setup,encrypted,encrypted,1,100,0.250000,0.500000,1,60,0.187500");
	CHECK_LINE(csv, "device,cam_small,camera,setup,unknown,unknown,1,300,0.750000,0.500000,1,260,0.812500");
	/* all phases of cam_small: 100 + 300 + 200 + 600 = 1200 bytes, 6 packets: media 200 / 1200,
	 * text 600 / 1200 */
	CHECK_LINE(csv, "device,cam_small,camera,all,media,unencrypted,2,200,0.166667,0.333333,1,120,0.125000");
	CHECK_LINE(csv, "device,cam_small,camera,all,text,unencrypted,2,600,0.500000,0.333333,1,520,0.541667");
	/* camera setup: the average of the two devices' shares, not the byte-weighted share:
	 * encrypted (0.9 + 0.25) / 2 = 0.575 of bytes, (0.9 + 0.5) / 2 = 0.7 of packets,
	 * (0.9 + 0.1875) / 2 = 0.54375 of payload bytes */
	CHECK_LINE(csv, "category,camera,camera,setup,encrypted,encrypted,91,90100,0.575000,0.700000,2,86460,0.543750");
	CHECK_LINE(csv, "category,camera,camera,setup,text,unencrypted,10,10000,0.050000,0.050000,2,9600,0.050000");
	CHECK_LINE(csv, "category,camera,camera,setup,unknown,unknown,1,300,0.375000,0.250000,2,260,0.406250");
	/* camera idle: cam_small alone */
	CHECK_LINE(csv, "category,camera,camera,idle,text,unencrypted,2,600,0.750000,0.500000,1,520,0.812500");
	/* devices without classified packets have no rows */
	CHECK_EQ_INT(count_lines_with(csv, "device,plug_lan,"), 0);
	free(csv);

	csv = export_csv("encryption-heatmap", NULL);
	CHECK_LINE(csv, "camera,setup,encrypted,0.575000,0.700000,2,2,0.543750");
	CHECK_LINE(csv, "camera,setup,unencrypted,0.050000,0.050000,2,2,0.050000");
	CHECK_LINE(csv, "camera,setup,unknown,0.375000,0.250000,2,2,0.406250");
	CHECK_LINE(csv, "camera,setup,omitted,0.000000,0.000000,2,2,0.000000");
	/* idle: media and text are both unencrypted: 800 / 800 */
	CHECK_LINE(csv, "camera,idle,unencrypted,1.000000,1.000000,1,1,1.000000");
	CHECK_LINE(csv, "camera,idle,encrypted,0.000000,0.000000,1,1,0.000000");
	free(csv);

	csv = export_csv("encryption-firmware", NULL);
	CHECK_LINE(csv, "cam_small,camera,pre,encrypted,1,100,0.250000,0.500000");
	CHECK_LINE(csv, "cam_small,camera,pre,unknown,1,300,0.750000,0.500000");
	CHECK_LINE(csv, "cam_small,camera,post,unencrypted,4,800,1.000000,1.000000");
	CHECK_EQ_INT(count_lines_with(csv, "cam_big,"), 0);
	free(csv);
}

/* A lifecycle step in which the device sent nothing is stored as a capture without flows (the
 * pipeline no longer rejects it). Averages of counts over a phase's devices count it: a doorbell
 * whose only step was silent, and cam_big silent while idle. Averages of a device's own traffic
 * shares cannot (it has no share), but the heatmap keeps the cell and says how many devices were
 * captured. */
static void test_silent_steps(void)
{
	int door = device("door_silent", "doorbell", "acme");
	capture(door, "setup");
	sqlite3_stmt *st;
	int cam_big = 0;
	if (sqlite3_prepare_v2(db, "SELECT id FROM devices WHERE name = 'cam_big'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		cam_big = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	capture(cam_big, "idle");
	char *csv = export_csv("parties", NULL);
	CHECK_LINE(csv, "doorbell,setup,first,1,0,0.000");
	CHECK_LINE(csv, "doorbell,all,third,1,0,0.000");
	/* camera idle: cam_small's vendor.com over both cameras now */
	CHECK_LINE(csv, "camera,idle,first,2,1,0.500");
	free(csv);
	csv = export_csv("encryption-heatmap", NULL);
	CHECK_LINE(csv, "doorbell,setup,encrypted,,,0,1,");
	CHECK_LINE(csv, "doorbell,all,omitted,,,0,1,");
	CHECK_LINE(csv, "camera,idle,unencrypted,1.000000,1.000000,1,2,1.000000");
	free(csv);
	csv = export_csv("pii-kinds", NULL);
	free(csv);
	csv = export_csv("summary", NULL);
	/* the silent steps are captures of the dataset */
	CHECK(count_lines_with(csv, "category,doorbell,1,1,1,1,") == 1);
	free(csv);
}

/* ---- the TLS exports (docs/tls.md), each on a database of its own ----
 *
 * Every TLS test opens a fresh database through the store, so that its rows are the only ones the
 * export sees and the numbers below can be worked out from the rows of that test alone. Rows are
 * written as the analyzer writes them: alerts "" for none, chain_findings "" for a chain with no
 * findings and NULL without a server chain, outcome NULL for QUIC. */

#define TLS_T0 1700000000000000LL

static struct ciot_store *store;

static bool open_db(const char *dir, const char *name)
{
	char path[PATH_MAX], errbuf[CIOT_ERRBUF_SIZE];
	testfs_path(path, dir, name);
	if (ciot_store_open(&store, path, errbuf)) {
		fprintf(stderr, "test-exports: %s\n", errbuf);
		return false;
	}
	db = ciot_store_db(store);
	return true;
}

static void close_db(void)
{
	ciot_store_close(store);
	store = NULL;
	db = NULL;
}

/* A string as an SQL literal ('...' or NULL); a few at a time can be alive (ring of buffers). */
static const char *sq(const char *s)
{
	static char ring[48][256];
	static unsigned k;
	if (!s)
		return "NULL";
	char *b = ring[k++ % 48];
	snprintf(b, sizeof ring[0], "'%s'", s);
	return b;
}

/* A capture with its firmware and interception tags (NULL for none). */
static int tls_capture(int device_id, const char *phase, const char *firmware, const char *interception)
{
	int c = capture(device_id, phase);
	char sql[512];
	snprintf(sql, sizeof sql, "UPDATE captures SET firmware = %s, interception = %s WHERE id = %d", sq(firmware),
		 sq(interception), c);
	exec(sql);
	return c;
}

/* A flow starting `at` seconds after TLS_T0; `proprietary` sets proprietary_encryption. */
static long long tls_flow(int capture_id, const char *transport, const char *remote_ip, int device_port,
			  int remote_port, const char *initiator, int at, int proprietary)
{
	char sql[2048];
	long long first = TLS_T0 + at * 1000000LL;
	snprintf(sql, sizeof sql,
		 "INSERT INTO flows (capture_id, transport, ip_version, device_ip, device_port, remote_ip, remote_port,"
		 " remote_scope, initiator, first_us, last_us, packets_out, bytes_out, payload_out, packets_in, bytes_in,"
		 " payload_in, tcp_flags_out, tcp_flags_in, app_proto, ndpi_category, ndpi_guessed, end_reason,"
		 " entropy_encrypted_packets, proprietary_encryption) VALUES"
		 " (%d, '%s', 4, '10.0.0.2', %d, '%s', %d, '%s', '%s', %lld, %lld, 5, 1000, 500, 5, 2000, 1500, 0, 0,"
		 " 'TLS', 'Web', 0, 'closed', 0, %d)",
		 capture_id, transport, device_port, remote_ip, remote_port,
		 strncmp(remote_ip, "192.168.", 8) ? "internet" : "local", initiator, first, first + 500000, proprietary);
	exec(sql);
	return sqlite3_last_insert_rowid(db);
}

struct cert_row {
	const char *sha256, *subject, *issuer, *not_before, *not_after;
	int validity_days;
	const char *sig_alg, *key_type;
	int key_bits, self_signed, ca;
	const char *findings, *sans, *parse_error; /* findings "" when NULL */
};

static void tls_cert(const struct cert_row *c)
{
	char sql[2048], days[24], bits[24], ss[8], ca[8];
	bool parsed = !c->parse_error;
	snprintf(days, sizeof days, parsed ? "%d" : "NULL", c->validity_days);
	snprintf(bits, sizeof bits, parsed ? "%d" : "NULL", c->key_bits);
	snprintf(ss, sizeof ss, parsed ? "%d" : "NULL", c->self_signed);
	snprintf(ca, sizeof ca, parsed ? "%d" : "NULL", c->ca);
	snprintf(sql, sizeof sql,
		 "INSERT INTO certificates (sha256, subject, issuer, serial, sans, not_before, not_after, validity_days,"
		 " sig_alg, key_type, key_bits, curve, ca, self_signed, findings, parse_error, der) VALUES"
		 " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, X'3000')",
		 sq(c->sha256), sq(c->subject), sq(c->issuer), sq(parsed ? "01" : NULL), sq(c->sans), sq(c->not_before),
		 sq(c->not_after), days, sq(c->sig_alg), sq(c->key_type), bits, ca, ss,
		 sq(parsed ? (c->findings ? c->findings : "") : NULL), sq(c->parse_error));
	exec(sql);
}

/* One connection; what is left 0 or NULL takes the default in the comment. */
struct tls_row {
	int capture, at;              /* first_us = TLS_T0 + at seconds */
	const char *protocol;         /* "tls" */
	const char *client;           /* "device" */
	const char *remote_ip;        /* "203.0.113.1" */
	int device_port, remote_port; /* 40000, 443 */
	const char *sni, *offered, *highest, *version, *quic_version, *cipher, *cipher_class;
	int no_client_hello, established, resumed, psk;
	const char *chain[4];         /* the server's chain, leaf first */
	const char *chain_findings;   /* "" with a chain, NULL without */
	const char *client_alerts, *server_alerts; /* "" */
	const char *outcome;
	const char *intercepted;      /* "1", "0" or NULL */
};

static long long tls_conn(const struct tls_row *r)
{
	const char *protocol = r->protocol ? r->protocol : "tls";
	const char *client = r->client ? r->client : "device";
	long long flow = tls_flow(r->capture, strcmp(protocol, "tls") ? "udp" : "tcp",
				  r->remote_ip ? r->remote_ip : "203.0.113.1", r->device_port ? r->device_port : 40000,
				  r->remote_port ? r->remote_port : 443, client, r->at, 0);
	int ncerts = 0;
	while (ncerts < 4 && r->chain[ncerts])
		ncerts++;
	const char *findings = r->chain_findings ? r->chain_findings : ncerts ? "" : NULL;
	char sql[4096];
	snprintf(sql, sizeof sql,
		 "INSERT INTO tls_connections (flow_id, protocol, client, client_hello, server_hello, sslv2_hello,"
		 " client_version, offered_versions, highest_offered, version, quic_version, cipher, cipher_id,"
		 " cipher_class, offered_ciphers, offered_cipher_classes, sni, alpn, session_ticket, psk_offered,"
		 " resumed, psk, hello_retry, certificate_request, server_certificates, client_certificates,"
		 " leaf_sha256, chain_findings, chain_error, established, client_finished, server_finished,"
		 " client_app_records, client_app_bytes, server_app_records, server_app_bytes, client_alerts,"
		 " server_alerts, closed_by, close, outcome, reassembly_gaps, handshake_truncated,"
		 " handshake_malformed, intercepted) VALUES (%lld, '%s', '%s', %d, %d, 0, %s, %s, %s, %s, %s, %s, NULL,"
		 " %s, NULL, NULL, %s, NULL, 0, 0, %d, %d, 0, 0, %d, 0, %s, %s, NULL, %d, %d, %d, %d, %d, %d, %d, %s,"
		 " %s, NULL, NULL, %s, 0, 0, 0, %s)",
		 flow, protocol, client, !r->no_client_hello, r->version != NULL, sq(r->highest), sq(r->offered),
		 sq(r->highest), sq(r->version), sq(r->quic_version), sq(r->cipher), sq(r->cipher_class), sq(r->sni),
		 r->resumed, r->psk, ncerts, sq(ncerts ? r->chain[0] : NULL), sq(findings), r->established,
		 r->established, r->established, r->established, r->established * 100, r->established,
		 r->established * 100, sq(r->client_alerts ? r->client_alerts : ""),
		 sq(r->server_alerts ? r->server_alerts : ""), sq(r->outcome),
		 r->intercepted ? r->intercepted : "NULL");
	exec(sql);
	for (int i = 0; i < ncerts; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO tls_chains (flow_id, sender, position, sha256) VALUES"
			 " (%lld, 'server', %d, '%s')", flow, i, r->chain[i]);
		exec(sql);
	}
	return flow;
}

#define CONN(...) tls_conn(&(struct tls_row){ __VA_ARGS__ })
#define CERT(...) tls_cert(&(struct cert_row){ __VA_ARGS__ })

/* Certificate validation (docs/tls.md, "Certificate validation (Table 5)"). Pairs are keyed by
 * (device, interception tag, coalesce(sni, remote_ip)); each takes the best ranked outcome of its
 * connections (the earliest among equals), and "attempts" counts all of them. A connection whose
 * server presented a certificate not the interceptor's (intercepted 0) ranks after server-failure,
 * as "not intercepted"; a deciding connection with intercepted NULL (no certificate seen) is
 * counted as before and marked unconfirmed when it involves the device's answer (ranks 1 to 5).
 *
 *   cam1, self_signed:
 *     a.example     client-alert (unknown_ca, intercepted) at 10, communicates with the real
 *                   certificate (intercepted 0) at 20 -> alert: unknown_ca (2), confirmed
 *     n.example     communicates with the real certificate at 22, no-server-hello at 23
 *                   -> not intercepted (2)
 *     b.example     client-closed at 11 (same address as a.example), client-alert "encrypted" at 12
 *                   -> alert: encrypted (2): an alert beats a close
 *     c.example     client-closed at 13 and 14 -> disconnects and reconnects (2), decided at 13
 *     d.example     client-closed at 15 -> disconnects (1)
 *     f.example     handshake-only at 16 -> accepts the certificate, sends no data
 *     198.51.100.7  (no SNI) server-failure at 17 -> server handshake failure
 *     198.51.100.8  (no SNI) no-server-hello at 18 -> cannot connect
 *     e.example     client = remote (the device was the server): ignored
 *     q.example     QUIC, outcome NULL: ignored
 *   cam1, wrong_hostname: a.example client-alert "fatal:bad_certificate" -> alert: bad_certificate
 *   cam1, untagged: h.example communicates, d.example client-alert: ignored
 *   cam2, self_signed: a.example alert (unknown_ca, intercepted), g.example alert (unknown_ca),
 *     d.example communicates (intercepted), i.example incomplete, 198.51.100.9 no-client-hello
 *   plug1, self_signed: a.example alert (unknown_ca), d.example client-closed
 */
static void build_validation(void)
{
	int cam1 = device("cam1", "camera", "acme"), cam2 = device("cam2", "camera", "acme");
	int plug1 = device("plug1", "plug", "bolt");
	int c = tls_capture(cam1, "setup", NULL, "self_signed");
	CONN(.capture = c, .at = 10, .remote_ip = "203.0.113.10", .sni = "a.example", .version = "TLS1.2",
	     .client_alerts = "fatal:unknown_ca,warning:close_notify", .outcome = "client-alert", .intercepted = "1");
	CONN(.capture = c, .at = 20, .remote_ip = "203.0.113.11", .sni = "a.example", .version = "TLS1.2",
	     .established = 1, .client_alerts = "warning:close_notify", .outcome = "communicates",
	     .intercepted = "0");
	CONN(.capture = c, .at = 22, .sni = "n.example", .version = "TLS1.2", .established = 1,
	     .outcome = "communicates", .intercepted = "0");
	CONN(.capture = c, .at = 23, .sni = "n.example", .outcome = "no-server-hello");
	CONN(.capture = c, .at = 11, .remote_ip = "203.0.113.10", .sni = "b.example", .version = "TLS1.2",
	     .outcome = "client-closed");
	CONN(.capture = c, .at = 12, .remote_ip = "203.0.113.12", .sni = "b.example", .version = "TLS1.2",
	     .client_alerts = "encrypted", .outcome = "client-alert");
	CONN(.capture = c, .at = 13, .sni = "c.example", .version = "TLS1.2", .outcome = "client-closed");
	CONN(.capture = c, .at = 14, .sni = "c.example", .version = "TLS1.2", .outcome = "client-closed");
	CONN(.capture = c, .at = 15, .sni = "d.example", .version = "TLS1.2", .outcome = "client-closed");
	CONN(.capture = c, .at = 16, .sni = "f.example", .version = "TLS1.3", .outcome = "handshake-only");
	CONN(.capture = c, .at = 17, .remote_ip = "198.51.100.7", .server_alerts = "fatal:handshake_failure",
	     .outcome = "server-failure");
	CONN(.capture = c, .at = 18, .remote_ip = "198.51.100.8", .outcome = "no-server-hello");
	CONN(.capture = c, .at = 19, .client = "remote", .remote_ip = "192.168.1.50", .sni = "e.example",
	     .version = "TLS1.2", .client_alerts = "fatal:unknown_ca", .outcome = "client-alert");
	CONN(.capture = c, .at = 21, .protocol = "quic", .sni = "q.example", .quic_version = "QUICv1");
	c = tls_capture(cam1, "interaction", NULL, "wrong_hostname");
	CONN(.capture = c, .at = 30, .sni = "a.example", .version = "TLS1.2", .client_alerts = "fatal:bad_certificate",
	     .outcome = "client-alert");
	c = tls_capture(cam1, "idle", NULL, NULL);
	CONN(.capture = c, .at = 60, .sni = "h.example", .version = "TLS1.2", .established = 1,
	     .outcome = "communicates");
	CONN(.capture = c, .at = 61, .sni = "d.example", .version = "TLS1.2", .client_alerts = "fatal:unknown_ca",
	     .outcome = "client-alert");
	c = tls_capture(cam2, "setup", NULL, "self_signed");
	CONN(.capture = c, .at = 40, .sni = "a.example", .version = "TLS1.2",
	     .client_alerts = "fatal:unknown_ca,warning:close_notify", .outcome = "client-alert", .intercepted = "1");
	CONN(.capture = c, .at = 41, .sni = "g.example", .version = "TLS1.2", .client_alerts = "fatal:unknown_ca",
	     .outcome = "client-alert");
	CONN(.capture = c, .at = 42, .sni = "d.example", .version = "TLS1.2", .established = 1,
	     .outcome = "communicates", .intercepted = "1");
	CONN(.capture = c, .at = 43, .sni = "i.example", .outcome = "incomplete");
	CONN(.capture = c, .at = 44, .remote_ip = "198.51.100.9", .no_client_hello = 1, .outcome = "no-client-hello");
	c = tls_capture(plug1, "setup", NULL, "self_signed");
	CONN(.capture = c, .at = 50, .sni = "a.example", .version = "TLS1.2", .client_alerts = "fatal:unknown_ca",
	     .outcome = "client-alert");
	CONN(.capture = c, .at = 51, .sni = "d.example", .version = "TLS1.2", .outcome = "client-closed");
}

/* The validation database holds certificate-interception captures beside one lifecycle capture
 * (cam1 idle: h.example and d.example, TLS 1.2). The lifecycle exports see only that one; the tls
 * export lists every connection with its capture's tag. */
static void test_interception_apart(void)
{
	char *csv = export_csv("protocols", NULL);
	/* with the interception captures: TLS1.2 by 3 devices in 19 connections, TLS1.3 (f.example)
	 * and QUIC by one, of 3 devices */
	CHECK_LINE(csv, "all,TLS1.2,1,2,0,1");
	CHECK_LINE(csv, "all,TLS1.3,0,0,0,1");
	CHECK_LINE(csv, "all,QUIC,0,0,0,1");
	free(csv);
	csv = export_csv("summary", NULL);
	CHECK(csv && strstr(csv, "\nall,,1,1,1,1,"));
	free(csv);
	csv = export_csv("tls", NULL);
	/* 14 connections of cam1's self_signed capture, 1 wrong_hostname, 2 idle, 5 of cam2, 2 of plug1 */
	size_t tagged = 0, untagged = 0;
	for (const char *p = csv ? strchr(csv, '\n') : NULL; p && p[1]; p = strchr(p + 1, '\n')) {
		const char *end = strchr(p + 1, '\n');
		if (end)
			end[-1] == ',' ? untagged++ : tagged++;
	}
	CHECK_EQ_INT(untagged, 2);
	CHECK_EQ_INT(tagged, 14 + 1 + 5 + 2);
	CHECK(csv && strstr(csv, ",communicates,1700000060.000000,\n"));
	CHECK(csv && strstr(csv, ",1700000030.000000,wrong_hostname\n"));
	free(csv);
}

static void test_validation(void)
{
	char *csv = export_csv("validation", NULL);
	/* per tag, by rank, then by pairs (descending): unknown_ca (cam1 a; cam2 a, g; plug1 a: 3
	 * devices, 4 pairs, 2 of them decided without a certificate) before encrypted; disconnects
	 * (cam1 d, plug1 d) before disconnects and reconnects; not intercepted after the server's
	 * failure */
	CHECK_EQ_STR(csv, "interception,behaviour,devices,servers,unconfirmed\n"
			  "self_signed,communicates normally,1,1,0\n"
			  "self_signed,\"accepts the certificate, sends no data\",1,1,1\n"
			  "self_signed,alert: unknown_ca,3,4,2\n"
			  "self_signed,alert: encrypted,1,1,1\n"
			  "self_signed,disconnects,2,2,2\n"
			  "self_signed,disconnects and reconnects,1,1,1\n"
			  "self_signed,server handshake failure,1,1,1\n"
			  "self_signed,not intercepted,1,1,0\n"
			  "self_signed,cannot connect,1,1,0\n"
			  "self_signed,capture ended in the handshake,1,1,0\n"
			  "self_signed,no handshake seen,1,1,0\n"
			  "wrong_hostname,alert: bad_certificate,1,1,1\n");
	free(csv);

	csv = export_csv("validation-pairs", NULL);
	/* per device and tag, by rank, then server; the deciding connection's outcome, alerts, time and
	 * interception, and every connection of the pair counted */
	CHECK_EQ_STR(csv,
		     "device,category,interception,server,behaviour,outcome,connections,alert_by_device,alert_by_server,"
		     "first_ts,intercepted\n"
		     "cam1,camera,self_signed,f.example,\"accepts the certificate, sends no data\",handshake-only,1,\"\",\"\","
		     "1700000016.000000,unknown\n"
		     "cam1,camera,self_signed,a.example,alert: unknown_ca,client-alert,2,"
		     "\"fatal:unknown_ca,warning:close_notify\",\"\",1700000010.000000,yes\n"
		     "cam1,camera,self_signed,b.example,alert: encrypted,client-alert,2,encrypted,\"\",1700000012.000000,"
		     "unknown\n"
		     "cam1,camera,self_signed,c.example,disconnects and reconnects,client-closed,2,\"\",\"\",1700000013.000000,"
		     "unknown\n"
		     "cam1,camera,self_signed,d.example,disconnects,client-closed,1,\"\",\"\",1700000015.000000,unknown\n"
		     "cam1,camera,self_signed,198.51.100.7,server handshake failure,server-failure,1,\"\","
		     "fatal:handshake_failure,1700000017.000000,unknown\n"
		     "cam1,camera,self_signed,n.example,not intercepted,communicates,2,\"\",\"\",1700000022.000000,no\n"
		     "cam1,camera,self_signed,198.51.100.8,cannot connect,no-server-hello,1,\"\",\"\",1700000018.000000,"
		     "unknown\n"
		     "cam1,camera,wrong_hostname,a.example,alert: bad_certificate,client-alert,1,fatal:bad_certificate,\"\","
		     "1700000030.000000,unknown\n"
		     "cam2,camera,self_signed,d.example,communicates normally,communicates,1,\"\",\"\",1700000042.000000,yes\n"
		     "cam2,camera,self_signed,a.example,alert: unknown_ca,client-alert,1,"
		     "\"fatal:unknown_ca,warning:close_notify\",\"\",1700000040.000000,yes\n"
		     "cam2,camera,self_signed,g.example,alert: unknown_ca,client-alert,1,fatal:unknown_ca,\"\","
		     "1700000041.000000,unknown\n"
		     "cam2,camera,self_signed,i.example,capture ended in the handshake,incomplete,1,\"\",\"\",1700000043.000000,"
		     "unknown\n"
		     "cam2,camera,self_signed,198.51.100.9,no handshake seen,no-client-hello,1,\"\",\"\",1700000044.000000,"
		     "unknown\n"
		     "plug1,plug,self_signed,a.example,alert: unknown_ca,client-alert,1,fatal:unknown_ca,\"\","
		     "1700000050.000000,unknown\n"
		     "plug1,plug,self_signed,d.example,disconnects,client-closed,1,\"\",\"\",1700000051.000000,unknown\n");
	/* the untagged capture, the remote client and QUIC left no pair */
	CHECK(!strstr(csv, "h.example"));
	CHECK(!strstr(csv, "e.example"));
	CHECK(!strstr(csv, "q.example"));
	free(csv);
}

/* Table 3 (docs/tls.md, "Table 3 and Table 4"): devices per negotiated version, DTLS, QUIC and
 * proprietary encryption; in all captures and per firmware tag.
 *
 *   d13 (camera, untagged): TLS1.3 and TLS1.2, both offering TLS1.3 at most
 *   d12 (camera): firmware pre: TLS1.2, and SSLv3 (a downgrade: it offered TLS1.2 at most);
 *                 firmware post: TLS1.3, a ClientHello nobody answered (version NULL, offering
 *                 TLS1.3), and a flow with proprietary encryption
 *   plug (plug, untagged): DTLS, QUIC, and TLS1.2 as the server of a remote client that offered
 *                 TLS1.3 (a version the device negotiated, not one it offered); firmware pre:
 *                 an idle capture with nothing in it
 *   hub (hub): a flow with proprietary encryption and one without
 * Devices in scope: all 4 (every device captured), firmware-pre 2 (d12, plug), firmware-post 1. */
static void build_protocols(void)
{
	int d13 = device("d13", "camera", "acme"), d12 = device("d12", "camera", "acme");
	int plug = device("plug", "plug", "bolt"), hub = device("hub", "hub", "bolt");
	int c = tls_capture(d13, "setup", NULL, NULL);
	CONN(.capture = c, .at = 1, .offered = "TLS1.3,TLS1.2", .highest = "TLS1.3", .version = "TLS1.3",
	     .outcome = "communicates");
	CONN(.capture = c, .at = 2, .offered = "TLS1.3,TLS1.2", .highest = "TLS1.3", .version = "TLS1.2",
	     .outcome = "communicates");
	c = tls_capture(d12, "setup", "pre", NULL);
	CONN(.capture = c, .at = 3, .offered = "TLS1.2", .highest = "TLS1.2", .version = "TLS1.2",
	     .outcome = "communicates");
	CONN(.capture = c, .at = 4, .offered = "TLS1.2", .highest = "TLS1.2", .version = "SSLv3",
	     .outcome = "communicates");
	c = tls_capture(d12, "interaction", "post", NULL);
	CONN(.capture = c, .at = 5, .offered = "TLS1.3,TLS1.2", .highest = "TLS1.3", .version = "TLS1.3",
	     .outcome = "communicates");
	CONN(.capture = c, .at = 6, .offered = "TLS1.3,TLS1.2", .highest = "TLS1.3", .outcome = "no-server-hello");
	tls_flow(c, "udp", "203.0.113.99", 5000, 6000, "device", 7, 1);
	c = tls_capture(plug, "setup", NULL, NULL);
	CONN(.capture = c, .at = 8, .protocol = "dtls", .offered = "DTLS1.2", .highest = "DTLS1.2",
	     .version = "DTLS1.2", .outcome = "communicates");
	CONN(.capture = c, .at = 9, .protocol = "quic", .quic_version = "QUICv1");
	CONN(.capture = c, .at = 10, .client = "remote", .remote_ip = "192.168.1.50", .offered = "TLS1.3,TLS1.2",
	     .highest = "TLS1.3", .version = "TLS1.2", .outcome = "communicates");
	tls_capture(plug, "idle", "pre", NULL);
	c = tls_capture(hub, "setup", NULL, NULL);
	tls_flow(c, "udp", "203.0.113.98", 5000, 6000, "device", 11, 1);
	tls_flow(c, "udp", "203.0.113.97", 5001, 6000, "device", 12, 0);
}

static void test_protocols(void)
{
	char *csv = export_csv("protocols", NULL);
	/* all: TLS1.3 d13, d12 post (2 connections: the unanswered ClientHello is no version);
	 * highest offer TLS1.3: d13 and d12, not the plug (its remote client offered it) */
	CHECK_LINE(csv, "all,TLS1.3,2,2,2,4");
	/* TLS1.2: d13, d12 pre, the plug as a server. devices_highest_offer is left out here: d12 offered
	 * TLS1.2 at most before the update and TLS1.3 after (1 counting each ClientHello's highest, 0
	 * counting each device's highest) */
	CHECK_EQ_INT(count_lines_with(csv, "all,TLS1.2,3,3,"), 1);
	CHECK_LINE(csv, "all,TLS1.1,0,0,0,4");
	CHECK_LINE(csv, "all,TLS1.0,0,0,0,4");
	/* SSLv3 negotiated by d12, which offered TLS1.2: not its highest offer */
	CHECK_LINE(csv, "all,SSLv3,1,1,0,4");
	CHECK_LINE(csv, "all,SSLv2,0,0,0,4");
	/* DTLS and QUIC count as used; offers are TLS ClientHellos only */
	CHECK_LINE(csv, "all,DTLS,1,1,0,4");
	CHECK_LINE(csv, "all,QUIC,1,1,0,4");
	/* proprietary: d12's flow and the hub's, not the hub's other flow */
	CHECK_LINE(csv, "all,proprietary,2,2,0,4");
	/* before the update: d12's two connections; the plug's empty capture is in scope */
	CHECK_LINE(csv, "firmware-pre,TLS1.3,0,0,0,2");
	CHECK_LINE(csv, "firmware-pre,TLS1.2,1,1,1,2");
	CHECK_LINE(csv, "firmware-pre,SSLv3,1,1,0,2");
	CHECK_LINE(csv, "firmware-pre,DTLS,0,0,0,2");
	CHECK_LINE(csv, "firmware-pre,proprietary,0,0,0,2");
	/* after: one TLS1.3 connection (the unanswered one is not a version), offered by both */
	CHECK_LINE(csv, "firmware-post,TLS1.3,1,1,1,1");
	CHECK_LINE(csv, "firmware-post,TLS1.2,0,0,0,1");
	CHECK_LINE(csv, "firmware-post,SSLv3,0,0,0,1");
	CHECK_LINE(csv, "firmware-post,QUIC,0,0,0,1");
	CHECK_LINE(csv, "firmware-post,proprietary,1,1,0,1");
	/* 9 protocols per scope, all first, then pre, then post */
	CHECK_EQ_INT(count_lines_with(csv, "all,"), 9);
	CHECK_EQ_INT(count_lines_with(csv, "firmware-pre,"), 9);
	CHECK_EQ_INT(count_lines_with(csv, "firmware-post,"), 9);
	CHECK(strstr(csv, "\nall,TLS1.3,") && strstr(csv, "\nall,proprietary,") < strstr(csv, "\nfirmware-pre,TLS1.3,") &&
	      strstr(csv, "\nfirmware-pre,proprietary,") < strstr(csv, "\nfirmware-post,TLS1.3,"));
	free(csv);
	/* per device (firmware): d12 used TLS1.2 and SSLv3 before, TLS1.3 and proprietary encryption
	 * after; the plug has no post capture */
	csv = export_csv("firmware", NULL);
	CHECK(csv && strstr(csv, "\nd12,camera,1,1,") &&
	      strstr(csv, ",\"TLS1.2,SSLv3\",\"TLS1.3,proprietary\",\"TLS1.3,proprietary\",\"TLS1.2,SSLv3\"\n"));
	CHECK_EQ_INT(count_lines_with(csv, "plug,"), 0);
	free(csv);
}

/* Table 4 (docs/tls.md, "Table 3 and Table 4"). Certificates:
 *   root-sha1     self-signed CA, SHA-1 signed, 20 years (weak-signature, self-signed, long-validity)
 *   root-private  a maker's self-signed CA (self-signed, long-validity)
 *   inter-sha1    an intermediate CA, SHA-1 signed, 5 years (weak-signature, long-validity)
 *   leaf-ok 398 days, leaf-sha1 SHA-1 signed, leaf-rsa1024 1024-bit RSA, leaf-self self-signed,
 *   leaf-825 825 days, leaf-bad and leaf-private with no findings of their own
 * Connections (device as client unless said):
 *   camA1 (camera): TLS1.2 [leaf-ok, root-sha1] trusted: no issue (the SHA-1 root above the leaf
 *                   is no insecure signature, and a self-signed root of a chain that verifies is
 *                   not self-signed); TLS1.0 [leaf-825]: long-validity
 *   camA2 (camera): TLS1.2 [leaf-sha1, root-sha1]: insecure-signature; TLS1.2 [leaf-rsa1024]:
 *                   insecure-key; TLS1.2 [leaf-bad] expired,untrusted,name-mismatch; and as the
 *                   server of a remote client, [leaf-self] untrusted: ignored
 *   plugB (plug):   TLS1.2 [leaf-self] untrusted: self-signed, untrusted; TLS1.2 [leaf-private,
 *                   inter-sha1, root-private] not-yet-valid,untrusted: insecure-signature (the
 *                   intermediate), self-signed (the private root), not-yet-valid, untrusted;
 *                   TLS1.3 without certificates: not counted
 *   spkC (speaker): TLS1.3 without certificates: no rows at all */
static void build_cert_issues(void)
{
	CERT(.sha256 = "root-sha1", .subject = "CN=Old Root", .issuer = "CN=Old Root", .validity_days = 7300,
	     .sig_alg = "sha1WithRSAEncryption", .key_type = "RSA", .key_bits = 2048, .self_signed = 1, .ca = 1,
	     .findings = "weak-signature,self-signed,long-validity");
	CERT(.sha256 = "root-private", .subject = "CN=Maker CA", .issuer = "CN=Maker CA", .validity_days = 3650,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 4096, .self_signed = 1, .ca = 1,
	     .findings = "self-signed,long-validity");
	CERT(.sha256 = "inter-sha1", .subject = "CN=Maker Sub CA", .issuer = "CN=Maker CA", .validity_days = 1825,
	     .sig_alg = "sha1WithRSAEncryption", .key_type = "RSA", .key_bits = 2048, .ca = 1,
	     .findings = "weak-signature,long-validity");
	CERT(.sha256 = "leaf-ok", .subject = "CN=ok.example", .issuer = "CN=Old Root", .validity_days = 398,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048);
	CERT(.sha256 = "leaf-sha1", .subject = "CN=sha1.example", .issuer = "CN=Old Root", .validity_days = 365,
	     .sig_alg = "sha1WithRSAEncryption", .key_type = "RSA", .key_bits = 2048, .findings = "weak-signature");
	CERT(.sha256 = "leaf-rsa1024", .subject = "CN=weak.example", .issuer = "CN=Some CA", .validity_days = 365,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 1024, .findings = "weak-key");
	CERT(.sha256 = "leaf-self", .subject = "CN=self.example", .issuer = "CN=self.example", .validity_days = 365,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048, .self_signed = 1,
	     .findings = "self-signed");
	CERT(.sha256 = "leaf-825", .subject = "CN=long.example", .issuer = "CN=Some CA", .validity_days = 825,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048, .findings = "long-validity");
	CERT(.sha256 = "leaf-bad", .subject = "CN=bad.example", .issuer = "CN=Some CA", .validity_days = 365,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048);
	CERT(.sha256 = "leaf-private", .subject = "CN=cloud.maker.example", .issuer = "CN=Maker Sub CA",
	     .validity_days = 365, .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048);
	int camA1 = device("camA1", "camera", "acme"), camA2 = device("camA2", "camera", "acme");
	int plugB = device("plugB", "plug", "bolt"), spkC = device("spkC", "speaker", "bolt");
	int c = tls_capture(camA1, "setup", NULL, NULL);
	CONN(.capture = c, .at = 1, .version = "TLS1.2", .chain = { "leaf-ok", "root-sha1" }, .outcome = "communicates");
	CONN(.capture = c, .at = 3, .version = "TLS1.0", .chain = { "leaf-825" }, .outcome = "communicates");
	c = tls_capture(camA2, "setup", NULL, NULL);
	CONN(.capture = c, .at = 2, .version = "TLS1.2", .chain = { "leaf-sha1", "root-sha1" },
	     .outcome = "communicates");
	CONN(.capture = c, .at = 4, .version = "TLS1.2", .chain = { "leaf-rsa1024" }, .outcome = "communicates");
	CONN(.capture = c, .at = 5, .version = "TLS1.2", .chain = { "leaf-bad" },
	     .chain_findings = "expired,untrusted,name-mismatch", .outcome = "client-alert",
	     .client_alerts = "fatal:certificate_expired");
	CONN(.capture = c, .at = 6, .client = "remote", .remote_ip = "192.168.1.50", .version = "TLS1.2",
	     .chain = { "leaf-self" }, .chain_findings = "untrusted", .outcome = "communicates");
	c = tls_capture(plugB, "setup", NULL, NULL);
	CONN(.capture = c, .at = 7, .version = "TLS1.2", .chain = { "leaf-self" }, .chain_findings = "untrusted",
	     .outcome = "communicates");
	CONN(.capture = c, .at = 8, .version = "TLS1.2", .chain = { "leaf-private", "inter-sha1", "root-private" },
	     .chain_findings = "not-yet-valid,untrusted", .outcome = "communicates");
	CONN(.capture = c, .at = 9, .version = "TLS1.3", .outcome = "communicates");
	c = tls_capture(spkC, "setup", NULL, NULL);
	CONN(.capture = c, .at = 10, .version = "TLS1.3", .outcome = "communicates");
}

static void test_cert_issues(void)
{
	char *csv = export_csv("cert-issues", NULL);
	/* devices with the issue, devices of the category that saw certificates, connections with it;
	 * 'all' first, then per version, newest first; the camera's long validity is TLS1.0's */
	CHECK_EQ_STR(csv, "version,issue,category,devices,devices_with_certificates,connections\n"
			  "all,insecure-signature,camera,1,2,1\n"
			  "all,insecure-signature,plug,1,1,1\n"
			  "all,insecure-key,camera,1,2,1\n"
			  "all,insecure-key,plug,0,1,0\n"
			  "all,self-signed,camera,0,2,0\n"
			  "all,self-signed,plug,1,1,2\n"
			  "all,long-validity,camera,1,2,1\n"
			  "all,long-validity,plug,0,1,0\n"
			  "all,expired,camera,1,2,1\n"
			  "all,expired,plug,0,1,0\n"
			  "all,not-yet-valid,camera,0,2,0\n"
			  "all,not-yet-valid,plug,1,1,1\n"
			  "all,untrusted,camera,1,2,1\n"
			  "all,untrusted,plug,1,1,2\n"
			  "all,name-mismatch,camera,1,2,1\n"
			  "all,name-mismatch,plug,0,1,0\n"
			  "TLS1.2,insecure-signature,camera,1,2,1\n"
			  "TLS1.2,insecure-signature,plug,1,1,1\n"
			  "TLS1.2,insecure-key,camera,1,2,1\n"
			  "TLS1.2,insecure-key,plug,0,1,0\n"
			  "TLS1.2,self-signed,camera,0,2,0\n"
			  "TLS1.2,self-signed,plug,1,1,2\n"
			  "TLS1.2,long-validity,camera,0,2,0\n"
			  "TLS1.2,long-validity,plug,0,1,0\n"
			  "TLS1.2,expired,camera,1,2,1\n"
			  "TLS1.2,expired,plug,0,1,0\n"
			  "TLS1.2,not-yet-valid,camera,0,2,0\n"
			  "TLS1.2,not-yet-valid,plug,1,1,1\n"
			  "TLS1.2,untrusted,camera,1,2,1\n"
			  "TLS1.2,untrusted,plug,1,1,2\n"
			  "TLS1.2,name-mismatch,camera,1,2,1\n"
			  "TLS1.2,name-mismatch,plug,0,1,0\n"
			  "TLS1.0,insecure-signature,camera,0,1,0\n"
			  "TLS1.0,insecure-key,camera,0,1,0\n"
			  "TLS1.0,self-signed,camera,0,1,0\n"
			  "TLS1.0,long-validity,camera,1,1,1\n"
			  "TLS1.0,expired,camera,0,1,0\n"
			  "TLS1.0,not-yet-valid,camera,0,1,0\n"
			  "TLS1.0,untrusted,camera,0,1,0\n"
			  "TLS1.0,name-mismatch,camera,0,1,0\n");
	free(csv);
}

/* The per-connection and per-certificate exports.
 *   dev1 (camera) setup: to a.example, [cert-leaf, cert-ca], chain expired,untrusted; and as the
 *                 server of a remote client that refused its certificate [cert-device]
 *         interaction: QUIC (version from quic_version)
 *         idle: TLS1.3 resumed with a PSK (no certificates); TLS1.2 to b.example whose server sent
 *               its certificate twice [cert-dup, cert-dup], chain name-mismatch
 *   dev2 (plug) setup: a.example again [cert-leaf, cert-ca]; a certificate OpenSSL refused */
static void build_tls(void)
{
	CERT(.sha256 = "cert-leaf", .subject = "CN=a.example,O=Acme", .issuer = "CN=Acme CA,O=Acme",
	     .not_before = "2023-01-01T00:00:00Z", .not_after = "2025-04-05T00:00:00Z", .validity_days = 825,
	     .sig_alg = "sha1WithRSAEncryption", .key_type = "RSA", .key_bits = 2048,
	     .findings = "weak-signature,long-validity", .sans = "DNS:a.example,DNS:*.a.example");
	CERT(.sha256 = "cert-ca", .subject = "CN=Acme CA,O=Acme", .issuer = "CN=Acme CA,O=Acme",
	     .not_before = "2020-01-01T00:00:00Z", .not_after = "2040-01-01T00:00:00Z", .validity_days = 7305,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 4096, .self_signed = 1, .ca = 1,
	     .findings = "self-signed,long-validity");
	CERT(.sha256 = "cert-device", .subject = "CN=dev1.local", .issuer = "CN=dev1.local",
	     .not_before = "2024-01-01T00:00:00Z", .not_after = "2025-01-01T00:00:00Z", .validity_days = 366,
	     .sig_alg = "ecdsa-with-SHA256", .key_type = "EC", .key_bits = 256, .self_signed = 1,
	     .findings = "self-signed", .sans = "DNS:dev1.local");
	CERT(.sha256 = "cert-dup", .subject = "CN=b.example", .issuer = "CN=Acme CA,O=Acme",
	     .not_before = "2024-01-01T00:00:00Z", .not_after = "2024-12-31T00:00:00Z", .validity_days = 365,
	     .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048, .sans = "DNS:b.example");
	CERT(.sha256 = "cert-bad", .parse_error = "unsupported algorithm");
	int dev1 = device("dev1", "camera", "acme"), dev2 = device("dev2", "plug", "bolt");
	int c = tls_capture(dev1, "setup", NULL, NULL);
	const char *ecdhe = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", *rsa = "TLS_RSA_WITH_AES_128_CBC_SHA";
	CONN(.capture = c, .at = 1, .device_port = 40001, .sni = "a.example", .offered = "TLS1.2,TLS1.1",
	     .highest = "TLS1.2", .version = "TLS1.2", .cipher = ecdhe, .cipher_class = "forward-secret",
	     .established = 1, .chain = { "cert-leaf", "cert-ca" }, .chain_findings = "expired,untrusted",
	     .client_alerts = "warning:close_notify", .outcome = "communicates");
	CONN(.capture = c, .at = 2, .client = "remote", .remote_ip = "192.168.1.50", .device_port = 8443,
	     .remote_port = 51000, .sni = "dev1.local", .offered = "TLS1.3,TLS1.2", .highest = "TLS1.3",
	     .version = "TLS1.2", .cipher = rsa, .cipher_class = "other", .chain = { "cert-device" },
	     .chain_findings = "untrusted", .client_alerts = "fatal:unknown_ca",
	     .server_alerts = "warning:close_notify", .outcome = "client-alert");
	c = tls_capture(dev1, "interaction", NULL, NULL);
	CONN(.capture = c, .at = 3, .device_port = 40003, .protocol = "quic", .sni = "q.example",
	     .quic_version = "QUICv1");
	c = tls_capture(dev1, "idle", NULL, NULL);
	CONN(.capture = c, .at = 4, .device_port = 40004, .sni = "c.example", .offered = "TLS1.3,TLS1.2",
	     .highest = "TLS1.3", .version = "TLS1.3", .cipher = "TLS_AES_128_GCM_SHA256",
	     .cipher_class = "forward-secret", .established = 1, .resumed = 1, .psk = 1, .client_alerts = "encrypted",
	     .outcome = "communicates");
	CONN(.capture = c, .at = 5, .device_port = 40005, .sni = "b.example", .offered = "TLS1.2", .highest = "TLS1.2",
	     .version = "TLS1.2", .cipher = ecdhe, .cipher_class = "forward-secret", .established = 1,
	     .chain = { "cert-dup", "cert-dup" }, .chain_findings = "name-mismatch", .outcome = "communicates");
	c = tls_capture(dev2, "setup", NULL, NULL);
	CONN(.capture = c, .at = 6, .device_port = 40006, .sni = "a.example", .offered = "TLS1.2,TLS1.1",
	     .highest = "TLS1.2", .version = "TLS1.2", .cipher = ecdhe, .cipher_class = "forward-secret",
	     .established = 1, .chain = { "cert-leaf", "cert-ca" }, .chain_findings = "expired,untrusted",
	     .outcome = "communicates");
	CONN(.capture = c, .at = 7, .device_port = 40007, .remote_ip = "203.0.113.2", .sni = "d.example",
	     .offered = "TLS1.2", .highest = "TLS1.2", .version = "TLS1.2", .cipher = rsa, .cipher_class = "other",
	     .chain = { "cert-bad" }, .chain_findings = "untrusted", .server_alerts = "fatal:decode_error",
	     .outcome = "server-failure");
}

static void test_tls(void)
{
	char *csv = export_csv("tls", NULL);
	/* alerts by who sent them: where the device is the server (client = remote), its own alert is
	 * in server_alerts and the remote client's unknown_ca in client_alerts, so the two swap.
	 * findings: the leaf's own, then the chain's; NULL without a leaf (TLS 1.3, QUIC); a refused
	 * certificate (findings NULL) leaves the chain's alone. QUIC's version is its quic_version */
	CHECK_EQ_STR(csv,
		     "device,phase,device_ip,device_port,remote_ip,remote_port,sni,offered_versions,version,cipher,"
		     "cipher_class,established,resumed,psk,alert_by_device,alert_by_server,leaf_sha256,findings,"
		     "category,protocol,client,outcome,first_ts,interception\n"
		     "dev1,setup,10.0.0.2,40001,203.0.113.1,443,a.example,\"TLS1.2,TLS1.1\",TLS1.2,"
		     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,forward-secret,1,0,0,warning:close_notify,\"\",cert-leaf,"
		     "\"weak-signature,long-validity,expired,untrusted\",camera,tls,device,communicates,1700000001.000000,\n"
		     "dev1,setup,10.0.0.2,8443,192.168.1.50,51000,dev1.local,\"TLS1.3,TLS1.2\",TLS1.2,"
		     "TLS_RSA_WITH_AES_128_CBC_SHA,other,0,0,0,warning:close_notify,fatal:unknown_ca,cert-device,"
		     "\"self-signed,untrusted\",camera,tls,remote,client-alert,1700000002.000000,\n"
		     "dev1,interaction,10.0.0.2,40003,203.0.113.1,443,q.example,,QUICv1,,,0,0,0,\"\",\"\",,,camera,quic,device,,"
		     "1700000003.000000,\n"
		     "dev1,idle,10.0.0.2,40004,203.0.113.1,443,c.example,\"TLS1.3,TLS1.2\",TLS1.3,TLS_AES_128_GCM_SHA256,"
		     "forward-secret,1,1,1,encrypted,\"\",,,camera,tls,device,communicates,1700000004.000000,\n"
		     "dev1,idle,10.0.0.2,40005,203.0.113.1,443,b.example,TLS1.2,TLS1.2,"
		     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,forward-secret,1,0,0,\"\",\"\",cert-dup,name-mismatch,camera,tls,"
		     "device,communicates,1700000005.000000,\n"
		     "dev2,setup,10.0.0.2,40006,203.0.113.1,443,a.example,\"TLS1.2,TLS1.1\",TLS1.2,"
		     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,forward-secret,1,0,0,\"\",\"\",cert-leaf,"
		     "\"weak-signature,long-validity,expired,untrusted\",plug,tls,device,communicates,1700000006.000000,\n"
		     "dev2,setup,10.0.0.2,40007,203.0.113.2,443,d.example,TLS1.2,TLS1.2,TLS_RSA_WITH_AES_128_CBC_SHA,"
		     "other,0,0,0,\"\",fatal:decode_error,cert-bad,untrusted,plug,tls,device,server-failure,"
		     "1700000007.000000,\n");
	free(csv);

	/* Markdown too: the QUIC row's alerts are "" (it had none), its leaf and findings empty (NULL) */
	char *md = export_as("tls", CIOT_EXPORT_MD, NULL);
	CHECK(md && strstr(md, "| 0 | 0 | 0 | \"\" | \"\" |  |  | camera | quic | device |  | 1700000003.000000 |  |\n"));
	free(md);

	/* JSON, like CSV, tells that findings are NULL without a leaf, and the chain's alone for a leaf
	 * without findings of its own */
	char *json = export_as("tls", CIOT_EXPORT_JSON, NULL);
	static const struct {
		const char *sni, *findings;
	} want[] = { { "c.example", "null" }, { "q.example", "null" }, { "d.example", "\"untrusted\"" },
		     { "b.example", "\"name-mismatch\"" } };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char key[64], value[64];
		snprintf(key, sizeof key, "\"sni\": \"%s\"", want[i].sni);
		snprintf(value, sizeof value, "\"findings\": %s,", want[i].findings);
		const char *row = json ? strstr(json, key) : NULL;
		const char *f = row ? strstr(row, "\"findings\": ") : NULL;
		if (!CHECK(f && !strncmp(f, value, strlen(value))))
			fprintf(stderr, "  %s: expected %s, got %.40s\n", want[i].sni, value, f ? f : "(none)");
	}
	free(json);
}

static void test_certificates(void)
{
	char *csv = export_csv("certificates", NULL);
	/* cert-leaf and cert-ca: dev1 and dev2, one connection each */
	CHECK_LINE(csv, "cert-leaf,\"CN=a.example,O=Acme\",\"CN=Acme CA,O=Acme\",2023-01-01T00:00:00Z,"
			"2025-04-05T00:00:00Z,825,sha1WithRSAEncryption,RSA,2048,0,0,\"weak-signature,long-validity\","
			"\"DNS:a.example,DNS:*.a.example\",2,2,,0");
	CHECK_LINE(csv, "cert-ca,\"CN=Acme CA,O=Acme\",\"CN=Acme CA,O=Acme\",2020-01-01T00:00:00Z,2040-01-01T00:00:00Z,"
			"7305,sha256WithRSAEncryption,RSA,4096,1,1,\"self-signed,long-validity\",,2,2,,0");
	/* the device's own certificate, presented to a remote client: one device, one connection */
	CHECK_LINE(csv, "cert-device,CN=dev1.local,CN=dev1.local,2024-01-01T00:00:00Z,2025-01-01T00:00:00Z,366,"
			"ecdsa-with-SHA256,EC,256,1,0,self-signed,DNS:dev1.local,1,1,,0");
	/* a certificate OpenSSL refused: its fields empty, the reason last */
	CHECK_LINE(csv, "cert-bad,,,,,,,,,,,,,1,1,unsupported algorithm,0");
	/* sent twice in one chain: still one connection saw it */
	CHECK_LINE(csv, "cert-dup,CN=b.example,\"CN=Acme CA,O=Acme\",2024-01-01T00:00:00Z,2024-12-31T00:00:00Z,365,"
			"sha256WithRSAEncryption,RSA,2048,0,0,\"\",DNS:b.example,1,1,,0");
	/* each certificate once; leaves before CAs */
	CHECK_EQ_INT(count_lines_with(csv, "cert-"), 5);
	CHECK(strstr(csv, "\ncert-device,") < strstr(csv, "\ncert-ca,"));
	free(csv);
}

/* ---- shaping (ciot-shape score --store) ----
 * One run: two seeds of the shaped trace and the unshaped one, at one window length; costs of two
 * seeds per direction. The exports average over seeds, keep each seed's extremes, and turn bytes
 * per second into GB a month (30 days). */
static void test_shaping(void)
{
	exec("INSERT INTO shaping_runs (id, created_at, tool, captures, device, interval_up, size_up, interval_down,"
	     " size_down, tls, legacy_header, seeds, cover_size_auc, cover_size_auc_low, cover_size_auc_high)"
	     " VALUES (1, 't', 'ciot-shape', 'a.pcap', '10.0.0.2', 'uniform:0,0.6', 'uniform:50,200',"
	     " 'uniform:0,0.6', 'uniform:50,200', 0, 0, 2, 0.5, 0.49, 0.51)");
	exec("INSERT INTO shaping_scores VALUES (1, 'unshaped', 1, 2, 'rate', 24, 3597, 4, 1.0, 1.0, 1.0, 1.0),"
	     " (1, 'shaped', 1, 2, 'rate', 24, 3597, 4, 0.4, 0.3, 0.5, 0.0),"
	     " (1, 'shaped', 2, 2, 'rate', 24, 3597, 4, 0.6, 0.5, 0.7, 0.5),"
	     " (1, 'shaped', 1, 2, 'size', 24, 3597, 4, 0.5, 0.4, 0.6, 0.0),"
	     " (1, 'shaped', 2, 2, 'size', 24, 3597, 4, 0.5, 0.4, 0.6, 0.0)");
	exec("INSERT INTO shaping_costs VALUES"
	     " (1, 1, 100, 50, 1050, 1000, 990, 'from_device', 10, 0, 300, 200, 80000, 3000, 10, 20, 30, 40, 500, 1.5),"
	     " (1, 2, 100, 50, 1070, 1020, 990, 'from_device', 10, 1, 310, 200, 82000, 3000, 12, 22, 32, 60, 700, 2.5),"
	     " (1, 1, 100, 20, 520, 500, 495, 'to_device', 4, 0, 300, 290, 40000, 2000, 5, 6, 7, 8, 100, 0),"
	     " (1, 2, 100, 20, 520, 500, 495, 'to_device', 4, 0, 300, 290, 40000, 2000, 5, 6, 7, 8, 100, 0)");
	char *csv = export_csv("shaping", NULL);
	CHECK_LINE(csv, "1,10.0.0.2,\"uniform:0,0.6\",\"uniform:50,200\",\"uniform:0,0.6\",\"uniform:50,200\",0,0,"
			"unshaped,2.000,rate,1,24,3597,4,1.000,1.000,1.000,1.000,1.000,1.000000,0.500,0.490,0.510");
	CHECK_LINE(csv, "1,10.0.0.2,\"uniform:0,0.6\",\"uniform:50,200\",\"uniform:0,0.6\",\"uniform:50,200\",0,0,"
			"shaped,2.000,rate,2,24,3597,4,0.500,0.400,0.600,0.400,0.600,0.250000,0.500,0.490,0.510");
	/* unshaped before shaped, rate before size */
	const char *u = strstr(csv, "unshaped,2.000,rate"), *r = strstr(csv, "shaped,2.000,rate,2"),
		   *z = strstr(csv, "shaped,2.000,size");
	CHECK(u && r && z && u < r && r < z);
	free(csv);
	csv = export_csv("shaping-cost", NULL);
	/* from the device: (3000/100) B/s original, (80000+82000)/2/100 shaped, overhead 1010 = 2.618 GB a month */
	CHECK_LINE(csv, "1,10.0.0.2,\"uniform:0,0.6\",\"uniform:50,200\",\"uniform:0,0.6\",\"uniform:50,200\",0,"
			"from_device,2,100.000,30.000,810.000,1010.000,990.000,2.618,20,1,11.000,21.000,31.000,60.000,700,2.500");
	CHECK_LINE(csv, "1,10.0.0.2,\"uniform:0,0.6\",\"uniform:50,200\",\"uniform:0,0.6\",\"uniform:50,200\",0,"
			"to_device,2,100.000,20.000,400.000,500.000,495.000,1.296,8,0,5.000,6.000,7.000,8.000,100,0.000");
	free(csv);
}

/* ---- the registry of exports (report/queries.c) and its documentation ----
 * Every export documents each of its columns; its SQL, prepared on a database of the current
 * schema, returns exactly as many columns as it documents and binds exactly the parameters it
 * declares. docs/exports.md is what ciot-report --columns writes. */
static void test_registry(void)
{
	const struct ciot_query *q;
	size_t n = 0;
	for (; (q = ciot_query_get(n)); n++) {
		unsigned before = check_failures;
		CHECK(q->description && *q->description);
		CHECK(ciot_query_find(q->name) == q);
		size_t ncols = ciot_query_count_columns(q);
		CHECK(ncols > 0 && ncols < CIOT_QUERY_MAX_COLUMNS);
		for (size_t i = 0; i < ncols; i++) {
			const struct ciot_column *c = &q->columns[i];
			if (!CHECK(c->doc && *c->doc && !strchr(c->doc, '\n')))
				fprintf(stderr, "  %s.%s: no one-line doc\n", q->name, c->name);
			CHECK(strcmp(ciot_query_kind_name(c->kind), "?") != 0);
			for (size_t j = 0; j < i; j++)
				if (!CHECK(strcmp(c->name, q->columns[j].name) != 0))
					fprintf(stderr, "  %s: column %s twice\n", q->name, c->name);
		}
		sqlite3_stmt *st = NULL;
		if (!CHECK_EQ_INT(sqlite3_prepare_v2(db, q->sql, -1, &st, NULL), SQLITE_OK)) {
			fprintf(stderr, "  %s: %s\n", q->name, sqlite3_errmsg(db));
			continue;
		}
		if (!CHECK_EQ_INT(sqlite3_column_count(st), ncols))
			fprintf(stderr, "  %s: the SQL returns %d columns, the registry documents %zu\n", q->name,
				sqlite3_column_count(st), ncols);
		unsigned bound = 0;
		for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
			const char *name = sqlite3_bind_parameter_name(st, i);
			unsigned flag = 0;
			for (unsigned f = CIOT_QUERY_HOME; f <= CIOT_QUERY_FOLD; f <<= 1)
				if (name && !strcmp(name, ciot_query_param_name((enum ciot_query_param)f, NULL)))
					flag = f;
			if (!CHECK(flag))
				fprintf(stderr, "  %s: binds %s, which the registry does not know\n", q->name, name);
			bound |= flag;
		}
		CHECK_EQ_INT(bound, q->params);
		sqlite3_finalize(st);
		check_case(before, q->name);
	}
	CHECK_EQ_INT(n, 26);
	CHECK(ciot_query_find("no-such-export") == NULL);
}

static char *describe(const char *table, enum ciot_export_format format, enum ciot_rc want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = ciot_export_describe(table, format, out, errbuf);
	fclose(out);
	if (!CHECK_EQ_INT(rc, want))
		fprintf(stderr, "  describe %s: %s\n", table ? table : "(all)", errbuf);
	return text;
}

static void test_describe(void)
{
	/* docs/exports.md is the Markdown document, as written (CIOT_DATA_DIR is the checkout's datasets/) */
	char *md = describe(NULL, CIOT_EXPORT_MD, CIOT_OK);
	FILE *f = fopen(CIOT_DATA_DIR "/../docs/exports.md", "r");
	char *file = NULL;
	size_t cap = 0;
	ssize_t got = f ? getdelim(&file, &cap, 0, f) : -1;
	if (!CHECK(got > 0 && md && !strcmp(file, md)))
		fprintf(stderr, "  docs/exports.md is not ciot-report --columns's output: run\n"
				"  ciot-report --columns > docs/exports.md\n");
	if (f)
		fclose(f);
	free(file);
	/* a section per export, each column a table line with its kind */
	CHECK(md && strstr(md, "\n## pii-kinds\n"));
	CHECK(md && strstr(md, "\n| first_ts | time_us | time of the flow's first packet |\n"));
	CHECK(md && strstr(md, "Binds `:fold`"));
	free(md);

	/* one table for tools: a header and a line per column */
	char *csv = describe("sankey", CIOT_EXPORT_CSV, CIOT_OK);
	CHECK(csv && !strncmp(csv, "export,column,kind,doc\nsankey,source,text,", 42));
	CHECK_EQ_INT(count_lines_with(csv, "sankey,"), ciot_query_count_columns(ciot_query_find("sankey")));
	CHECK_LINE(csv, "sankey,value,share,\"the category's devices' shares to the country summed, / all devices with "
			"traffic to public addresses: the edges add up to 1\"");
	free(csv);
	char *json = describe(NULL, CIOT_EXPORT_JSON, CIOT_OK);
	json_error_t error;
	json_t *all = json ? json_loads(json, 0, &error) : NULL;
	size_t columns = 0;
	for (size_t i = 0; ciot_query_get(i); i++)
		columns += ciot_query_count_columns(ciot_query_get(i));
	CHECK_EQ_INT(json_array_size(all), columns);
	json_decref(all);
	free(json);
	free(describe("no-such-export", CIOT_EXPORT_MD, CIOT_ERR_ARG));
}

/* The reference export (datasets/reference/figures.tsv beside the dataset's figures) on the main
 * database, home CN, with the numbers worked out by hand:
 *   bytes to public addresses per device: cam_big 1000000 (US 100000 overseas), cam_small 3000
 *   (DE 1000, HK 500 overseas), spk_v6 1000 (JP 300): overseas 101800 / 1004000 = 10.139 %, US
 *   100000 / 1004000 = 9.960 %; cameras' normalized overseas share (0.1 + 0.5) / 2 = 30 %
 *   payload shares: cam_big setup text 9600 / 96000; cam_small idle all unencrypted (640 / 640): the
 *   peak is camera idle, 100 %; cameras' encrypted share over all phases (0.9 + 60 / 960) / 2
 * And the data file itself: every row has a source, a location and a definition, the export has a
 * row per line of it, and every measure it names is one the export computes. */
static void test_reference(void)
{
	FILE *f = fopen(CIOT_DATA_DIR "/reference/figures.tsv", "r");
	if (!CHECK(f != NULL))
		return;
	char *line = NULL;
	size_t cap = 0, rows = 0;
	bool header = false;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = 0;
		const char *field[15] = { 0 };
		size_t n = 0;
		for (char *p = line, *tab; n < 15; p = tab + 1) {
			field[n++] = p;
			if (!(tab = strchr(p, '\t')))
				break;
			*tab = 0;
		}
		if (!CHECK_EQ_INT(n, 14))
			fprintf(stderr, "  figures.tsv: %s\n", field[0]);
		if (!header) {
			header = true;
			CHECK_EQ_STR(field[0], "id");
			continue;
		}
		rows++;
		if (!CHECK(n == 14 && *field[1] && *field[2] && *field[5] && *field[6]))
			fprintf(stderr, "  figures.tsv: %s has no source, location, definition or figure\n", field[0]);
		/* a figure ciot does not compute says why */
		if (n == 14 && !*field[9] && !CHECK(strstr(field[13], "not comparable")))
			fprintf(stderr, "  figures.tsv: %s: no ciot measure and no reason\n", field[0]);
	}
	free(line);
	fclose(f);
	CHECK(rows > 100);

	char *csv = export_csv("reference", NULL);
	CHECK_EQ_INT(count_lines_with(csv, "") - 1, rows);
	CHECK(csv && !strstr(csv, "unknown measure"));
	/* ciot_value, ciot_count, ciot_of, difference, comparable follow the reference's unit */
	CHECK(csv && strstr(csv, ",70.000,devices,4.000,4,,-66.000,yes,,"));                 /* jin.devices */
	CHECK(csv && strstr(csv, ",8.000,count,3.000,3,,-5.000,yes,,"));                     /* categories */
	CHECK(csv && strstr(csv, ",0.200,percent,10.139,,,9.939,yes,,"));                    /* overseas share */
	CHECK(csv && strstr(csv, ",0.110,percent,9.960,,,9.850,yes,,"));                     /* US */
	CHECK(csv && strstr(csv, ",0.290,percent,30.000,,,29.710,yes,,"));                   /* cameras */
	CHECK(csv && strstr(csv, ",0.070,percent,,,,,no data,,"));                           /* no doorbell */
	CHECK(csv && strstr(csv, ",27.000,devices,3.000,3,4,-24.000,yes,,"));                /* overseas devices */
	CHECK(csv && strstr(csv, ",18.000,count,4.000,4,,-14.000,yes,,"));                   /* US DE HK JP */
	CHECK(csv && strstr(csv, ",20.000,devices,1.000,1,4,-19.000,yes,,"));                /* Google */
	CHECK(csv && strstr(csv, ",10.000,devices,1.000,1,,-9.000,yes,,"));                  /* firmware */
	/* Table 1, cameras in setup: first vendor.com x2, support aliyuncs.com, third 8.8.8.8 and
	 * pool.ntp.org, over 2 cameras */
	CHECK(csv && strstr(csv, "\njin.table1.setup.first.camera,") &&
	      strstr(strstr(csv, "\njin.table1.setup.first.camera,"), ",3.140,servers-per-device,1.000,,,-2.140,yes,"));
	CHECK(csv && strstr(csv, "\njin.table1.setup.support.camera,") &&
	      strstr(strstr(csv, "\njin.table1.setup.support.camera,"), ",1.960,servers-per-device,0.500,,,-1.460,yes,"));
	CHECK(csv && strstr(csv, ",8.500,percent,100.000,,,91.500,yes,\"camera, idle\","));  /* the peak */
	CHECK(csv && strstr(csv, "\njin.encrypted-camera,") &&
	      strstr(strstr(csv, "\njin.encrypted-camera,"), ",60.000,percent,48.125,,,-11.875,yes,,"));
	/* no TLS: counts of 0 out of 4 devices; in percent 0; no interception capture: no data */
	CHECK(csv && strstr(csv, "\njin.table3.tls1.2,") &&
	      strstr(strstr(csv, "\njin.table3.tls1.2,"), ",58.000,devices,0.000,0,4,-58.000,yes,"));
	CHECK(csv && strstr(csv, "\njin.tls12-share,") &&
	      strstr(strstr(csv, "\njin.tls12-share,"), ",82.000,percent,0.000,0,4,-82.000,yes,"));
	CHECK(csv && strstr(csv, "\njin.validation-devices,") &&
	      strstr(strstr(csv, "\njin.validation-devices,"), ",35.000,devices,,0,,,no data,"));
	CHECK(csv && strstr(csv, "\nparacha.vulnerable,") &&
	      strstr(strstr(csv, "\nparacha.vulnerable,"), ",11.000,devices,,0,0,,no data,"));
	/* a figure ciot does not compute: no, with the reason */
	CHECK(csv && strstr(csv, "\njin.old-protocols-bytes,") &&
	      strstr(strstr(csv, "\njin.old-protocols-bytes,"), ",7.600,percent,,,,,no,,not comparable:"));
	free(csv);
	/* --home moves what is overseas: with US at home, the overseas bytes are CN, DE, HK, JP */
	struct ciot_export_params us = { .home_country = "US" };
	csv = export_csv("reference", &us);
	CHECK(csv && strstr(csv, ",0.200,percent,90.040,,,89.840,yes,,"));
	free(csv);
}

/* HTML: a <table> fragment whose texts are escaped, NULL empty and "" shown as "", the column docs
 * as tooltips; the HTML report's row limit says how many rows it left out. */
static void test_html(void)
{
	char *html = export_as("coverage", CIOT_EXPORT_HTML, NULL);
	CHECK(html && !strncmp(html, "<table>\n<thead><tr><th title=\"", 30));
	CHECK_CONTAINS(html, ">device</th>");
	CHECK_CONTAINS(html, "<th class=\"n\" title=\"");
	CHECK_CONTAINS(html, "</tbody>\n</table>\n");
	free(html);
	exec("UPDATE devices SET name = '<b>&\"x' WHERE name = 'cam_big'");
	html = export_as("coverage", CIOT_EXPORT_HTML, NULL);
	CHECK_CONTAINS(html, "<td>&lt;b&gt;&amp;&quot;x</td>");
	CHECK(!strstr(html, "<b>&"));
	free(html);
	exec("UPDATE devices SET name = 'cam_big' WHERE name = '<b>&\"x'");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_export_rows(db, "coverage", CIOT_EXPORT_HTML, NULL, 1, out, errbuf), CIOT_OK);
	fclose(out);
	CHECK_CONTAINS(text, "The first 1 of ");
	CHECK_CONTAINS(text, "<code>ciot-report DB coverage</code>");
	free(text);
	enum ciot_export_format f;
	CHECK(ciot_export_format_parse("html", &f) && f == CIOT_EXPORT_HTML);
}

/* JSON streams row by row: what it writes is still one valid array with a member per row, and an
 * export without rows is an empty array. */
static void test_json_stream(void)
{
	char *csv = export_csv("destinations", NULL), *json = export_as("destinations", CIOT_EXPORT_JSON, NULL);
	json_error_t error;
	json_t *rows = json ? json_loads(json, 0, &error) : NULL;
	if (!CHECK(json_is_array(rows)))
		fprintf(stderr, "  %s\n", error.text);
	CHECK_EQ_INT(json_array_size(rows), count_lines_with(csv, "") - 1);
	CHECK(json && !strncmp(json, "[\n {\n  \"device\": ", 17));
	CHECK(json && strlen(json) > 6 && !strcmp(json + strlen(json) - 6, "\n }\n]\n"));
	json_decref(rows);
	free(json);
	free(csv);
	json = export_as("validation", CIOT_EXPORT_JSON, NULL);
	CHECK_EQ_STR(json, "[]\n");
	free(json);
}

/* Each TLS test on a database of its own (see above). */
static void test_tls_exports(const char *dir)
{
	static const struct {
		const char *name;
		void (*build)(void), (*test)(void);
	} cases[] = {
		{ "validation.db", build_validation, test_validation },
		{ "interception.db", build_validation, test_interception_apart },
		{ "protocols.db", build_protocols, test_protocols },
		{ "cert-issues.db", build_cert_issues, test_cert_issues },
		{ "tls.db", build_tls, test_tls },
		{ "certificates.db", build_tls, test_certificates },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		if (!CHECK(open_db(dir, cases[i].name)))
			continue;
		cases[i].build();
		cases[i].test();
		close_db();
		check_case(before, cases[i].name);
	}
}

int main(void)
{
	char dir[PATH_MAX];
	testfs_mkdtemp(dir, "exports");
	if (!open_db(dir, "t.db"))
		return 1;
	build();
	test_countries();
	test_sankey();
	test_parties();
	test_organizations();
	test_destinations();
	test_lab_hosts();
	test_coverage();
	build_classes();
	test_encryption();
	test_firmware();
	test_reference();
	test_shaping();
	test_registry();
	test_describe();
	test_json_stream();
	test_html();
	test_silent_steps();
	close_db();
	test_tls_exports(dir);
	testfs_rmtree(dir);
	return check_summary("exports");
}
