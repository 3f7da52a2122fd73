/* test-naming.c: how flows get their names, end to end through the public pipeline: a pcap made
 * here (pcapgen.h) is analyzed as one bare capture file of a device known by its IP (dataset.h,
 * analysis.h), the destinations table is built over the store with the installed data
 * (destinations.h), and the captures, dns_answers, flows and destinations tables are read back with
 * SQL.
 *
 * The cases: DNS over TCP is not reassembled, so the two segments of a response split across them
 * are each one malformed response and name nothing, while a segment holding two whole
 * length-prefixed messages gives both their answers; an HTTP Host that is an address
 * ("1.2.3.4:80", "[2001:db8::1]:8080") is no name, and the device's DNS lookup names the flow; a
 * Host is lower-cased and loses its port ("API.Example.NET:8080"), wins over DNS, which is kept
 * beside it; the Host of a connection from the Internet to the device names the device, not the
 * peer, so it is not the flow's server name; every public peer has a country, and a public
 * resolver's address is third party under the default convention.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "pipeline.h"
#include "bytes.h"
#include "check.h"
#include "dataset.h"
#include "destinations.h"
#include "pcapgen.h"
#include "store.h"
#include "testdb.h"
#include "testfs.h"

#define DEV "192.168.1.10"
#define RESOLVER "8.8.8.8"
#define SCANNER "20.30.40.50"

/* A DNS response (id 1, RD RA) to the A question for qname, with n A records of consecutive
 * addresses from `first`, each pointing back at the question's name, TTL 300. */
static void dns_response(struct bytes *m, const char *qname, uint32_t first, unsigned n)
{
	bytes_u16(m, 1);
	bytes_u16(m, 0x8180);
	bytes_u16(m, 1);
	bytes_u16(m, (uint16_t)n);
	bytes_u16(m, 0);
	bytes_u16(m, 0);
	dns_name(m, qname);
	bytes_u16(m, 1); /* A */
	bytes_u16(m, 1); /* IN */
	for (unsigned i = 0; i < n; i++) {
		bytes_u16(m, 0xc00c);
		bytes_u16(m, 1);
		bytes_u16(m, 1);
		bytes_u32(m, 300);
		bytes_u16(m, 4);
		bytes_u32(m, first + i);
	}
}

/* The same behind DNS over TCP's 2-byte length. */
static void dns_tcp_message(struct bytes *out, const char *qname, uint32_t first, unsigned n)
{
	struct bytes m = { .be = true };
	dns_response(&m, qname, first, n);
	bytes_u16(out, (uint16_t)m.n);
	bytes_put(out, m.d, m.n);
	bytes_free(&m);
}

/* A TCP handshake from client to server, one HTTP GET with the given Host, and a 200 response. */
static void http_exchange(const char *client, uint16_t cport, const char *server, uint16_t sport, const char *host)
{
	char request[256];
	int n = snprintf(request, sizeof request, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: x\r\n\r\n", host);
	static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	tcp(client, server, cport, sport, 1, 0, TCP_SYN, NULL, 0);
	tcp(server, client, sport, cport, 50, 2, TCP_SYN_ACK, NULL, 0);
	tcp(client, server, cport, sport, 2, 51, TCP_ACK, NULL, 0);
	tcp(client, server, cport, sport, 2, 51, TCP_PSH_ACK, request, (size_t)n);
	tcp(server, client, sport, cport, 51, 60, TCP_PSH_ACK, response, sizeof response - 1);
}

static void build_capture(void)
{
	pcapgen_header();

	/* (a) DNS over TCP: a 979-byte response (59 answers) split over two segments, then one
	 * segment holding two whole messages */
	struct bytes split = { .be = true };
	dns_tcp_message(&split, "split.example.com", 0x09090901, 59); /* 9.9.9.1 .. 9.9.9.59 */
	tcp(DEV, RESOLVER, 40000, 53, 1, 0, TCP_SYN, NULL, 0);
	tcp(RESOLVER, DEV, 53, 40000, 100, 2, TCP_SYN_ACK, NULL, 0);
	tcp(DEV, RESOLVER, 40000, 53, 2, 101, TCP_ACK, NULL, 0);
	tcp(RESOLVER, DEV, 53, 40000, 101, 2, TCP_PSH_ACK, split.d, 500);
	tcp(RESOLVER, DEV, 53, 40000, 601, 2, TCP_PSH_ACK, split.d + 500, split.n - 500);
	struct bytes two = { .be = true };
	dns_tcp_message(&two, "a.example.net", 0x05050505, 1);
	dns_tcp_message(&two, "b.example.net", 0x06060606, 1);
	tcp(RESOLVER, DEV, 53, 40000, (uint32_t)(601 + split.n - 500), 2, TCP_PSH_ACK, two.d, two.n);
	bytes_free(&split);
	bytes_free(&two);

	/* (b) a UDP lookup of cloud.example.org, then HTTP to its address with the address as Host */
	struct bytes cloud = { .be = true };
	dns_response(&cloud, "cloud.example.org", 0x01020304, 1);
	udp(RESOLVER, DEV, 53, 5555, &cloud);
	bytes_free(&cloud);
	http_exchange(DEV, 41000, "1.2.3.4", 80, "1.2.3.4:80");

	/* (c) HTTP from the Internet to the device: the Host is the device's own name */
	http_exchange(SCANNER, 42000, DEV, 8080, "mycam.ddns.example.com");

	/* (d) Host in capitals with a port, to an address DNS named a.example.net; a bracketed IPv6
	 * address as Host, to an address DNS named b.example.net */
	http_exchange(DEV, 44000, "5.5.5.5", 80, "API.Example.NET:8080");
	http_exchange(DEV, 45000, "6.6.6.6", 80, "[2001:db8::1]:8080");
}

/* ---- reading the database ---- */

static sqlite3 *db;

#define sql_text(...) testdb_text(db, __VA_ARGS__)
#define sql_int(...) testdb_int(db, __VA_ARGS__)

/* What each flow of the capture is expected to be named; NULL for SQL NULL. A flow is found by its
 * transport and remote end (oriented to the device). */
static const struct {
	const char *what;
	const char *transport, *remote_ip;
	int remote_port;
	const char *server_name, *server_name_source; /* flows */
	const char *name, *name_source, *dns_name;    /* destinations */
} flows[] = {
	{ "dns over tcp", "tcp", RESOLVER, 53, NULL, NULL, NULL, NULL, NULL },
	{ "dns over udp (the resolver spoke first)", "udp", RESOLVER, 53, NULL, NULL, NULL, NULL, NULL },
	{ "host is an address", "tcp", "1.2.3.4", 80, NULL, NULL, "cloud.example.org", "dns", "cloud.example.org" },
	{ "inbound: host names the device", "tcp", SCANNER, 42000, NULL, NULL, NULL, NULL, NULL },
	{ "host lower-cased, port stripped", "tcp", "5.5.5.5", 80, "api.example.net", "http", "api.example.net", "http",
	  "a.example.net" },
	{ "host is a bracketed address", "tcp", "6.6.6.6", 80, NULL, NULL, "b.example.net", "dns", "b.example.net" },
};
#define NFLOWS (sizeof flows / sizeof flows[0])

/* One column of flow i's rows in flows (f) and destinations (d). */
static const char *flow_column(size_t i, const char *column)
{
	return sql_text("SELECT %s FROM flows f LEFT JOIN destinations d ON d.flow_id = f.id"
			" WHERE f.transport = '%s' AND f.remote_ip = '%s' AND f.remote_port = %d",
			column, flows[i].transport, flows[i].remote_ip, flows[i].remote_port);
}

static const char *or_null(const char *s)
{
	return s ? s : "NULL";
}

static void check_captures(void)
{
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM captures"), 1);
	CHECK_EQ_STR(sql_text("SELECT device_method || ' ' || device_addresses FROM captures"), "ip [\"" DEV "\"]");
	CHECK_EQ_INT(sql_int("SELECT frames FROM captures"), 27);
	CHECK_EQ_INT(sql_int("SELECT flows FROM captures"), (long long)NFLOWS);
	/* DNS over TCP, one count per segment from port 53 that carries data (dns_packet): the two
	 * segments of the split message do not hold whole messages (the first's length prefix says
	 * 979 bytes with 498 present; the second starts inside an answer), so each is one response,
	 * malformed: 2 + 2. The segment of two whole messages is 2 responses, 0 malformed: 4 + 2. The
	 * UDP response is one more, well-formed: 5 responses, 2 malformed. */
	CHECK_EQ_INT(sql_int("SELECT dns_responses FROM captures"), 5);
	CHECK_EQ_INT(sql_int("SELECT dns_malformed FROM captures"), 2);
}

static void check_dns_answers(void)
{
	static const struct {
		const char *query, *address;
	} answers[] = {
		{ "a.example.net", "5.5.5.5" },
		{ "b.example.net", "6.6.6.6" },
		{ "cloud.example.org", "1.2.3.4" },
	};
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
		if (!CHECK_EQ_STR(sql_text("SELECT count(*) FROM dns_answers WHERE query = '%s' AND address = '%s'"
					   " AND client_ip = '" DEV "' AND server_ip = '" RESOLVER "' AND cnames IS NULL"
					   " AND ttl = 300",
					   answers[i].query, answers[i].address),
				  "1"))
			fprintf(stderr, "  ^ for %s -> %s\n", answers[i].query, answers[i].address);
	/* nothing of the split message: neither half was read */
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM dns_answers WHERE query = 'split.example.com'"
			     " OR address LIKE '9.9.9.%%'"),
		     0);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM dns_answers"), 3);
}

static void check_flows(void)
{
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM flows"), (long long)NFLOWS);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM destinations"), (long long)NFLOWS);
	for (size_t i = 0; i < NFLOWS; i++) {
		unsigned before = check_failures;
		CHECK_EQ_STR(flow_column(i, "count(*) || ' ' || count(d.flow_id)"), "1 1");
		CHECK_EQ_STR(flow_column(i, "f.server_name"), or_null(flows[i].server_name));
		CHECK_EQ_STR(flow_column(i, "f.server_name_source"), or_null(flows[i].server_name_source));
		CHECK_EQ_STR(flow_column(i, "d.name"), or_null(flows[i].name));
		CHECK_EQ_STR(flow_column(i, "d.name_source"), or_null(flows[i].name_source));
		CHECK_EQ_STR(flow_column(i, "d.dns_name"), or_null(flows[i].dns_name));
		/* every peer here is a public, allocated address */
		CHECK_EQ_STR(flow_column(i, "f.remote_scope"), "internet");
		const char *country = flow_column(i, "d.country");
		CHECK(strcmp(country, "unknown") != 0 && strcmp(country, "NULL") != 0 && strcmp(country, "(no row)") != 0);
		check_case(before, flows[i].what);
	}
	/* nDPI read all four HTTP requests, so a NULL server name above is the rule's doing */
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM flows WHERE app_proto = 'HTTP'"), 4);
	/* the device is the server of the inbound flow, whichever way it is stored */
	CHECK_EQ_STR(sql_text("SELECT initiator || ' ' || device_port FROM flows WHERE remote_ip = '" SCANNER "'"),
		     "remote 8080");
	/* the registrable domain of the flow's own name */
	CHECK_EQ_STR(sql_text("SELECT d.domain FROM flows f JOIN destinations d ON d.flow_id = f.id"
			      " WHERE f.remote_ip = '5.5.5.5'"),
		     "example.net");
	/* the resolver's address, unnamed, is a public service: third party by the default convention */
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM flows f JOIN destinations d ON d.flow_id = f.id"
			     " WHERE f.remote_ip = '" RESOLVER "' AND d.party = 'third'"
			     " AND d.party_rule = 'public dns 8.8.8.8 (convention third)'"),
		     2);
}

int main(void)
{
	char dir[PATH_MAX], pcap_path[PATH_MAX], db_path[PATH_MAX];
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	testfs_mkdtemp(dir, "naming");
	build_capture();
	testfs_write(pcap_path, dir, "cam.pcap", pcap.d, pcap.n);
	bytes_free(&pcap);

	struct ciot_dataset ds = { 0 };
	struct ciot_bare_options bare = { .device = "cam", .category = "camera", .phase = CIOT_PHASE_SETUP,
					  .ips = { DEV }, .nips = 1 };
	if (!CHECK_EQ_INT(ciot_dataset_add_file(&ds, pcap_path, &bare, errbuf), CIOT_OK)) {
		fprintf(stderr, "test-naming: %s\n", errbuf);
		testfs_rmtree(dir);
		return check_summary("naming");
	}
	struct ciot_destination_options dopt;
	ciot_destination_default_options(&dopt);
	struct ciot_destinations *destinations = NULL;
	if (ciot_destinations_open(&destinations, &dopt, errbuf)) {
		fprintf(stderr, "test-naming: %s (make setup installs the data)\n", errbuf);
		exit(1);
	}
	struct ciot_store *store;
	if (ciot_store_open(&store, testfs_path(db_path, dir, "naming.db"), errbuf)) {
		fprintf(stderr, "test-naming: %s\n", errbuf);
		exit(1);
	}
	db = ciot_store_db(store);
	struct ciot_config *config = ciot_config_new();
	struct ciot_analysis *analysis = NULL;
	if (!config || ciot_analysis_new(&analysis, config, &ds, errbuf)) {
		fprintf(stderr, "test-naming: %s\n", errbuf);
		exit(1);
	}
	CHECK_EQ_INT(ciot_store_begin_run(store, &ds, analysis, errbuf), CIOT_OK);
	size_t failed = 0;
	if (!CHECK_EQ_INT(ciot_analyze(store, &ds, analysis, NULL, NULL, NULL, NULL, &failed, errbuf), CIOT_OK))
		fprintf(stderr, "test-naming: %s\n", errbuf);
	CHECK_EQ_INT(failed, 0);
	struct ciot_destination_stats stats;
	if (!CHECK_EQ_INT(ciot_destinations_build(destinations, db, &stats, errbuf), CIOT_OK))
		fprintf(stderr, "test-naming: %s\n", errbuf);
	/* named by the flow: 5.5.5.5; by DNS: 1.2.3.4 and 6.6.6.6; unnamed: both resolver flows and
	 * the inbound one */
	CHECK_EQ_INT(stats.flows, NFLOWS);
	CHECK_EQ_INT(stats.internet_flows, NFLOWS);
	CHECK_EQ_INT(stats.named_by_flow, 1);
	CHECK_EQ_INT(stats.named_by_dns, 2);
	CHECK_EQ_INT(stats.named_by_later_dns, 0);
	CHECK_EQ_INT(stats.internet_unnamed, 3);
	CHECK_EQ_INT(stats.internet_no_country, 0);
	CHECK_EQ_INT(stats.dns_answers, 3);
	ciot_destination_stats_free(&stats);

	check_captures();
	check_dns_answers();
	check_flows();

	ciot_store_close(store);
	ciot_analysis_free(analysis);
	ciot_config_free(config);
	ciot_destinations_close(destinations);
	ciot_dataset_free(&ds);
	testfs_rmtree(dir);
	return check_summary("naming");
}
