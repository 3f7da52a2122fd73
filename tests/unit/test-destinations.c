/* test-destinations.c: how flows get their names, domains, countries and parties
 * (analyze/lib/destinations.c), on a hand-made database and the installed data (geolocation,
 * attribution rules, public suffix list).
 *
 * The cases: an address reused by two names keeps each name for the flows after its own lookup; a
 * flow before any lookup takes the first later one ('dns-later'); a lookup in one capture names a
 * flow in another capture of the same device, never one of another device; the flow's own SNI
 * wins over DNS, which is kept beside it; IPv6 answers; registrable domains under multi-label
 * public suffixes; NAT64 addresses; local peers; the public-services convention; a rebuild
 * replaces every row; lab hosts and coverage; evidence where no rule decides (the leaf
 * certificate's O=, a CNAME chain into a CDN, a domain of one brand's devices alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "destinations.h"
#include "store.h"
#include "testdb.h"
#include "testfs.h"

static sqlite3 *db;

static void exec(const char *sql)
{
	testdb_exec(db, sql);
}

static long long device(const char *name, const char *brand, const char *manifest)
{
	return testdb_device(db, name, "camera", brand, manifest);
}

static long long capture(long long device_id, const char *phase)
{
	return (long long)testdb_capture(db, device_id, phase);
}

static void answer(long long capture_id, long long ts, const char *query, const char *address)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "INSERT INTO dns_answers VALUES (%lld, %lld, '10.0.0.2', '10.0.0.1', '%s', NULL, '%s', 300)", capture_id,
		 ts, query, address);
	exec(sql);
}

/* An answer reached through a CNAME chain ("a.example b.cdn.net"). */
static void answer_cnames(long long capture_id, long long ts, const char *query, const char *cnames,
			  const char *address)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "INSERT INTO dns_answers VALUES (%lld, %lld, '10.0.0.2', '10.0.0.1', '%s', '%s', '%s', 300)", capture_id,
		 ts, query, cnames, address);
	exec(sql);
}

/* A TLS connection of the flow whose server's leaf certificate has this subject. */
static void certificate(long long flow_id, const char *sha256, const char *subject)
{
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "INSERT INTO tls_connections (flow_id, protocol, client, client_hello, server_hello, sslv2_hello,"
		 " session_ticket, psk_offered, resumed, psk, hello_retry, certificate_request, server_certificates,"
		 " client_certificates, leaf_sha256, established, client_finished, server_finished, client_app_records,"
		 " client_app_bytes, server_app_records, server_app_bytes, client_alerts, server_alerts, reassembly_gaps,"
		 " handshake_truncated, handshake_malformed) VALUES (%lld, 'tls', 'device', 1, 1, 0, 0, 0, 0, 0, 0, 0, 1,"
		 " 0, '%s', 1, 1, 1, 0, 0, 0, 0, '', '', 0, 0, 0);"
		 "INSERT OR IGNORE INTO certificates (sha256, subject, der) VALUES ('%s', '%s', x'00')",
		 flow_id, sha256, sha256, subject);
	exec(sql);
}

static long long flow(long long capture_id, long long ts, const char *remote, const char *sni)
{
	char sql[2048], name[300];
	snprintf(name, sizeof name, sni ? "'%s', 'sni'" : "NULL, NULL", sni);
	snprintf(sql, sizeof sql,
		 "INSERT INTO flows (capture_id, transport, ip_version, device_ip, device_port, remote_ip, remote_port,"
		 " remote_scope, initiator, first_us, last_us, packets_out, bytes_out, payload_out, packets_in, bytes_in,"
		 " payload_in, tcp_flags_out, tcp_flags_in, app_proto, ndpi_category, ndpi_guessed, end_reason,"
		 " server_name, server_name_source, entropy_encrypted_packets, proprietary_encryption) VALUES (%lld,"
		 " 'tcp', %d, '10.0.0.2', 40000, '%s', 443, 'internet', 'device', %lld, %lld, 1, 100, 0, 1, 100, 0, 0,"
		 " 0, 'TLS', 'Web', 0, 'closed', %s, 0, 0)",
		 capture_id, strchr(remote, ':') ? 6 : 4, remote, ts, ts + 10, name);
	exec(sql);
	return sqlite3_last_insert_rowid(db);
}

/* One destinations column of a flow as text ("NULL" for NULL). */
static const char *col(long long flow_id, const char *column)
{
	static char out[8][512];
	static unsigned next;
	char *buf = out[next++ % 8];
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT %s FROM destinations WHERE flow_id = %lld", column, flow_id);
	sqlite3_stmt *st;
	snprintf(buf, 512, "(no row)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, 512, "%s",
			 sqlite3_column_type(st, 0) == SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static struct ciot_destinations *open_destinations(enum ciot_public_convention convention)
{
	struct ciot_destination_options o;
	ciot_destination_default_options(&o);
	o.convention = convention;
	struct ciot_destinations *d = NULL;
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	if (ciot_destinations_open(&d, &o, errbuf)) {
		fprintf(stderr, "test-destinations: %s (make setup installs the data)\n", errbuf);
		exit(1);
	}
	return d;
}

int main(void)
{
	struct ciot_destination_options o;
	char dir[PATH_MAX], path[PATH_MAX];
	testfs_mkdtemp(dir, "destinations");
	testfs_path(path, dir, "t.db");
	struct ciot_store *store;
	char errbuf[CIOT_ERRBUF_SIZE];
	if (ciot_store_open(&store, path, errbuf)) {
		fprintf(stderr, "test-destinations: %s\n", errbuf);
		return 1;
	}
	db = ciot_store_db(store);

	long long cam = device("acme_camera", "acme", NULL);
	long long other = device("tuya_plug", "tuya", NULL);
	long long setup = capture(cam, "setup"), idle = capture(cam, "idle"), plug = capture(other, "setup");
	/* 8.8.8.8 is looked up as a.example.com at t=1000 and as b.example.com at t=2000 */
	answer(setup, 1000, "a.example.com", "8.8.8.8");
	answer(setup, 2000, "b.example.com", "8.8.8.8");
	long long before_any = flow(setup, 500, "8.8.8.8", NULL);
	long long after_a = flow(setup, 1500, "8.8.8.8", NULL);
	long long at_b = flow(setup, 2000, "8.8.8.8", NULL);   /* the same microsecond: b's lookup came first */
	long long idle_b = flow(idle, 900000, "8.8.8.8", NULL); /* another capture of the same device */
	long long sni = flow(idle, 900100, "8.8.8.8", "sni.example.org");
	/* the plug never looked 8.8.8.8 up: the camera's lookups are not the plug's */
	long long plug_flow = flow(plug, 3000, "8.8.8.8", NULL);
	/* IPv6, and a domain under a two-label public suffix */
	answer(idle, 5000, "api.tuya.com.cn", "2400:3200::1");
	long long v6 = flow(idle, 6000, "2400:3200::1", NULL);
	answer(idle, 5000, "www.example.co.uk", "114.114.114.114");
	long long couk = flow(idle, 6000, "114.114.114.114", NULL);
	/* ICANN suffixes only: a CDN's hosts share one domain */
	answer(idle, 5000, "d1234.cloudfront.net", "13.32.0.1");
	long long cdn = flow(idle, 6000, "13.32.0.1", NULL);
	answer(idle, 5000, "s3.amazonaws.com", "52.216.0.1");
	long long s3 = flow(idle, 6000, "52.216.0.1", NULL);
	long long lan = flow(idle, 7000, "192.168.1.20", NULL);
	long long nameless = flow(idle, 7000, "223.5.5.5", NULL);
	long long nat64 = flow(idle, 7000, "64:ff9b::808:808", NULL); /* 8.8.8.8 through NAT64 */

	struct ciot_destinations *d = open_destinations(CIOT_PUBLIC_THIRD);
	struct ciot_destination_stats stats;
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);

	CHECK_EQ_STR(col(before_any, "name || ' ' || name_source"), "a.example.com dns-later");
	CHECK_EQ_STR(col(after_a, "name || ' ' || name_source"), "a.example.com dns");
	CHECK_EQ_STR(col(at_b, "name || ' ' || name_source"), "b.example.com dns");
	CHECK_EQ_STR(col(idle_b, "name || ' ' || name_source"), "b.example.com dns");
	CHECK_EQ_STR(col(sni, "name || ' ' || name_source || ' ' || dns_name"), "sni.example.org sni b.example.com");
	CHECK_EQ_STR(col(sni, "domain"), "example.org");
	CHECK_EQ_STR(col(plug_flow, "name"), "NULL");
	CHECK_EQ_STR(col(plug_flow, "dns_name"), "NULL");
	CHECK_EQ_STR(col(v6, "name || ' ' || domain || ' ' || country"), "api.tuya.com.cn tuya.com.cn CN");
	CHECK_EQ_STR(col(couk, "domain"), "example.co.uk");
	CHECK_EQ_STR(col(cdn, "domain"), "cloudfront.net");
	CHECK_EQ_STR(col(s3, "domain"), "amazonaws.com");
	/* 8.8.8.8: DB-IP's country and the ASN data's AS */
	CHECK_EQ_STR(col(after_a, "country || ' ' || asn || ' ' || as_org"), "US 15169 Google LLC");
	CHECK_EQ_STR(col(lan, "country || ' ' || party || ' ' || party_rule"), "local local local address");
	CHECK_EQ_STR(col(lan, "asn"), "NULL");
	/* the address is a public resolver's, whatever name the flow had: the convention decides */
	CHECK_EQ_STR(col(after_a, "party || ' ' || organization || ' ' || party_rule"),
		     "third Google public dns 8.8.8.8 (convention third)");
	/* the public-services convention: 8.8.8.8 without a name is Google's resolver */
	CHECK_EQ_STR(col(plug_flow, "party || ' ' || organization || ' ' || party_rule"),
		     "third Google public dns 8.8.8.8 (convention third)");
	/* NAT64: the embedded IPv4 address is located and attributed */
	CHECK_EQ_STR(col(nat64, "country || ' ' || asn || ' ' || party_rule"),
		     "US 15169 public dns 8.8.8.8 (convention third)");
	/* AliDNS without a name goes by its AS (45102 -> Alibaba Cloud, a cloud: support) */
	CHECK_EQ_STR(col(nameless, "party || ' ' || organization"), "support Alibaba Cloud");
	/* tuya.com.cn has no domain rule (tuya.com is not a suffix of it at a label boundary); only the
	 * acme camera contacts it, but one device's habit is no brand's pattern: third by default */
	CHECK_EQ_STR(col(v6, "party || ' ' || decision || ' ' || coalesce(evidence, '-')"), "third default -");
	CHECK_EQ_INT(stats.flows, 13);
	CHECK_EQ_INT(stats.internet_flows, 12);
	CHECK_EQ_INT(stats.named_by_flow, 1);
	CHECK_EQ_INT(stats.named_by_dns, 7);
	CHECK_EQ_INT(stats.named_by_later_dns, 1);
	CHECK_EQ_INT(stats.internet_unnamed, 3);
	CHECK_EQ_INT(stats.dns_answers, 6);
	ciot_destination_stats_free(&stats);
	ciot_destinations_close(d);

	/* another convention, rebuilt: every row replaced, none added */
	d = open_destinations(CIOT_PUBLIC_SUPPORT);
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK_EQ_STR(col(plug_flow, "party || ' ' || party_rule"), "support public dns 8.8.8.8 (convention support)");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db,
			   "SELECT count(*), (SELECT value FROM meta WHERE key = 'public_services_party')"
			   " FROM destinations",
			   -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_EQ_INT(sqlite3_column_int(st, 0), 13);
	CHECK_EQ_STR((const char *)sqlite3_column_text(st, 1), "support");
	sqlite3_finalize(st);
	ciot_destination_stats_free(&stats);
	ciot_destinations_close(d);

	/* The lab's own hosts, by prefix (--lab-host) and by name (the manifest's, as meta holds it),
	 * and coverage: per device, servers by their best decision, lab hosts apart. */
	long long hub = device("tuya_hub", "tuya", NULL);
	long long hub_setup = capture(hub, "setup");
	long long lab_addr = flow(hub_setup, 100, "203.0.113.53", NULL);
	long long lab_name = flow(hub_setup, 100, "198.51.100.7", "ntp.LAB.example");
	long long not_lab = flow(hub_setup, 100, "198.51.100.8", "notlab.example");
	long long tuya = flow(hub_setup, 100, "47.1.1.1", "a1.tuyaus.com");
	long long unknown1 = flow(hub_setup, 100, "47.1.1.2", "x.unknown-thing.example");
	flow(hub_setup, 100, "47.1.1.3", "y.unknown-thing.example");
	flow(idle, 100, "198.51.100.9", "x.notlab.example"); /* notlab.example: two brands contact it */
	exec("INSERT OR REPLACE INTO meta VALUES ('lab_hosts', '[\"lab.example\"]')");
	ciot_destination_default_options(&o);
	o.lab_hosts[o.nlab_hosts++] = "203.0.113.0/24";
	CHECK_EQ_INT(ciot_destinations_open(&d, &o, errbuf), CIOT_OK);
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK_EQ_STR(col(lab_addr, "party || ' ' || decision || ' ' || party_rule || ' ' || country"),
		     "lab lab lab host 203.0.113.0/24 unknown");
	CHECK_EQ_STR(col(lab_name, "party || ' ' || party_rule"), "lab lab host lab.example");
	CHECK_EQ_STR(col(not_lab, "party || ' ' || decision"), "third default");
	CHECK_EQ_STR(col(tuya, "party || ' ' || decision"), "first rule");
	CHECK_EQ_STR(col(not_lab, "coalesce(evidence, '-')"), "-");
	/* only tuya's hub contacts unknown-thing.example: one device, no guess */
	CHECK_EQ_STR(col(unknown1, "party || ' ' || decision"), "third default");
	CHECK_EQ_INT(stats.lab_flows, 2);
	bool found = false;
	for (size_t i = 0; i < stats.ncoverage; i++) {
		const struct ciot_device_coverage *c = &stats.coverage[i];
		if (!strcmp(c->device, "tuya_hub")) {
			found = true;
			/* a1.tuyaus.com by rule; unknown-thing.example (two names, one server) and
			 * notlab.example by nothing; the two lab hosts apart */
			CHECK_EQ_INT(c->servers, 3);
			CHECK_EQ_INT(c->by_rule, 1);
			CHECK_EQ_INT(c->by_evidence, 0);
			CHECK_EQ_INT(c->by_default, 2);
			CHECK_EQ_INT(c->lab_hosts, 2);
			CHECK(c->brand_gap == NULL);
		} else if (!strcmp(c->device, "acme_camera")) {
			CHECK_CONTAINS(c->brand_gap, "brands.tsv does not know");
		}
	}
	CHECK(found);
	CHECK_EQ_INT(stats.ncoverage, 3);
	CHECK(stats.no_home_country);
	sqlite3_prepare_v2(db,
			   "SELECT servers || ' ' || by_rule || ' ' || by_default || ' ' || lab_hosts FROM attribution_coverage a"
			   " JOIN devices d ON d.id = a.device_id WHERE d.name = 'tuya_hub'",
			   -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_EQ_STR((const char *)sqlite3_column_text(st, 0), "3 1 2 2");
	sqlite3_finalize(st);
	ciot_destination_stats_free(&stats);
	exec("INSERT OR REPLACE INTO meta VALUES ('home_country', 'US')");
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK(!stats.no_home_country);
	ciot_destination_stats_free(&stats);
	ciot_destinations_close(d);

	/* Evidence where no rule decides, in order: the leaf certificate's O=, the CNAME chain, a domain
	 * of one brand's devices alone. */
	long long mi = device("xiaomi_camera", "xiaomi", NULL);
	long long mi_idle = capture(mi, "idle");
	long long by_cert = flow(mi_idle, 100, "47.2.2.1", "api.unknown-maker.example");
	certificate(by_cert, "aa01", "CN=api.unknown-maker.example,O=Xiaomi Inc.,C=CN");
	long long by_cert_support = flow(mi_idle, 100, "47.2.2.2", "iot.white-label.example");
	certificate(by_cert_support, "aa02", "CN=iot.white-label.example,O=Hangzhou Tuya Information Technology Co.\\, "
					     "Ltd,L=Hangzhou,C=CN");
	long long cert_unknown = flow(mi_idle, 100, "47.2.2.3", "cdn.shared-thing.example");
	certificate(cert_unknown, "aa03", "CN=cdn.shared-thing.example,O=Nobody Known Ltd,C=US");
	answer_cnames(mi_idle, 50, "cdn.shared-thing.example", "cdn.shared-thing.example.edgekey.net e1.akamaiedge.net",
		      "47.2.2.3");
	flow(hub_setup, 100, "47.2.2.4", "www.shared-thing.example"); /* a tuya device too: not single-brand */
	/* a CNAME into a third party's domain decides nothing: default */
	answer_cnames(mi_idle, 50, "ads.other-thing.example", "ads.other-thing.example.doubleclick.net", "47.2.2.5");
	long long cname_third = flow(mi_idle, 100, "47.2.2.5", NULL);
	/* a flow to shared-thing.example with no evidence of its own: one server, one party */
	long long same_server = flow(mi_idle, 100, "47.2.2.6", "img.shared-thing.example");
	/* the vendor's own by name: the registrable label holds the brand */
	long long by_name = flow(mi_idle, 100, "47.2.2.7", "api.xiaomi-things.example");
	CHECK_EQ_INT(ciot_destinations_open(&d, &o, errbuf), CIOT_OK);
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK_EQ_STR(col(by_cert, "party || ' ' || decision || ' ' || evidence || ' ' || organization"),
		     "first evidence certificate Xiaomi");
	CHECK_EQ_STR(col(by_cert, "party_rule"), "certificate O=Xiaomi Inc. -> Xiaomi; maker of brand xiaomi");
	CHECK_EQ_STR(col(by_cert_support, "party || ' ' || evidence || ' ' || organization"),
		     "support certificate Tuya");
	CHECK_CONTAINS(col(by_cert_support, "party_rule"), "O=Hangzhou Tuya Information Technology Co., Ltd -> Tuya");
	/* the certificate's organization is unknown: the CNAME chain into Akamai decides */
	CHECK_EQ_STR(col(cert_unknown, "party || ' ' || decision || ' ' || evidence || ' ' || organization"),
		     "support evidence cname Akamai");
	CHECK_EQ_STR(col(cert_unknown, "party_rule"), "cname e1.akamaiedge.net (domain akamaiedge.net) -> Akamai; role cdn");
	CHECK_EQ_STR(col(cname_third, "party || ' ' || decision || ' ' || coalesce(evidence, '-')"), "third default -");
	CHECK_EQ_STR(col(same_server, "party || ' ' || decision || ' ' || evidence || ' ' || organization"),
		     "support evidence cname Akamai");
	CHECK_EQ_STR(col(by_name, "party || ' ' || decision || ' ' || evidence || ' ' || party_rule"),
		     "first evidence vendor-name vendor name: xiaomi-things.example holds brand xiaomi");
	found = false;
	for (size_t i = 0; i < stats.ncoverage; i++)
		if (!strcmp(stats.coverage[i].device, "xiaomi_camera")) {
			found = true;
			/* unknown-maker.example, white-label.example, shared-thing.example and
			 * xiaomi-things.example by evidence; other-thing.example by nothing */
			CHECK_EQ_INT(stats.coverage[i].servers, 5);
			CHECK_EQ_INT(stats.coverage[i].by_evidence, 4);
			CHECK_EQ_INT(stats.coverage[i].by_default, 1);
		}
	CHECK(found);
	ciot_destination_stats_free(&stats);
	ciot_destinations_close(d);

	/* a missing data folder is an error that names it, before any work */
	ciot_destination_default_options(&o);
	o.geo_dir = "/nonexistent/geo";
	CHECK_EQ_INT(ciot_destinations_open(&d, &o, errbuf), CIOT_ERR_IO);
	CHECK_CONTAINS(errbuf, "/nonexistent/geo");
	CHECK(d == NULL);

	ciot_store_close(store);

	/* single-brand needs two given brands and two devices of the brand: a dataset of one brand
	 * (the other device's brand is its id, a guess that counts as none) keeps its unknown domain
	 * third by default */
	testfs_path(path, dir, "one-brand.db");
	CHECK_EQ_INT(ciot_store_open(&store, path, errbuf), CIOT_OK);
	db = ciot_store_db(store);
	long long only = device("acme_cam", "acme", NULL), id_brand = device("plug7", "plug7", NULL);
	long long only_flow = flow(capture(only, "idle"), 100, "47.3.3.1", "api.widget-cloud.example");
	long long id_flow = flow(capture(id_brand, "idle"), 100, "47.3.3.2", "api.plug7-cloud.example");
	d = open_destinations(CIOT_PUBLIC_THIRD);
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK_EQ_STR(col(only_flow, "party || ' ' || decision || ' ' || coalesce(evidence, '-')"), "third default -");
	CHECK_EQ_STR(col(id_flow, "party || ' ' || decision || ' ' || coalesce(evidence, '-')"), "third default -");
	/* a second given brand: widget-cloud.example is acme's alone, but one acme device's */
	long long other_brand = device("tuya_bulb", "tuya", NULL);
	flow(capture(other_brand, "idle"), 100, "47.3.3.3", "api.elsewhere.example");
	ciot_destination_stats_free(&stats);
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK_EQ_STR(col(only_flow, "party || ' ' || decision"), "third default");
	/* a second acme device contacts it too: the brand's pattern, a guess */
	long long second = device("acme_doorbell", "acme", NULL);
	flow(capture(second, "idle"), 100, "47.3.3.4", "cdn.widget-cloud.example");
	ciot_destination_stats_free(&stats);
	CHECK_EQ_INT(ciot_destinations_build(d, db, &stats, errbuf), CIOT_OK);
	CHECK_EQ_STR(col(only_flow, "party || ' ' || evidence || ' ' || party_rule"),
		     "first single-brand guess: only devices of brand acme contact widget-cloud.example, 2 of them "
		     "(the dataset has 2 brands)");
	CHECK_EQ_STR(col(id_flow, "party || ' ' || decision"), "third default");
	ciot_destination_stats_free(&stats);
	ciot_destinations_close(d);
	ciot_store_close(store);
	testfs_rmtree(dir);
	return check_summary("destinations");
}
