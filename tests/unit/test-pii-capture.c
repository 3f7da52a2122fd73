/* test-pii-capture.c: the PII search end to end through the public pipeline (pii.h, pii-flow.h,
 * analysis.h, store.h): one capture of a device, made here byte by byte (pcapgen.h), is loaded
 * from a manifest that gives the device its IP, its MAC and pii_seeds of every kind, analyzed into
 * a store with the search on, and the pii_view rows are read back with SQL, each expected row
 * written out below (kind, method, encoding, location, direction, value, count, and first_us: the
 * time of the packet that completed the value) and no other.
 *
 * The traffic, one flow each: an HTTP GET with seeds and patterns in its URL (an e-mail address
 * URL-encoded, a phone number, a MAC, a device name form-encoded, coordinates) and headers (a UUID,
 * an account cookie; a Set-Cookie coming back); an HTTP form POST whose values are %XX-escaped,
 * then a GET on the same connection; an HTTP JSON POST split over two TCP segments with the e-mail
 * address cut by the boundary, and segment 1 retransmitted before and after segment 2 (each value
 * is counted once, and the retransmitted bytes are not searched); MQTT CONNECT and PUBLISH (a
 * client id that is the bare MAC, held back at its segment's end until the next one, the MAC in a
 * topic, a phone number in a payload); a DNS lookup of a name holding the bare MAC and its
 * response; an mDNS announcement (the device name in a PTR target, the MAC in a TXT string); a UDP
 * payload of no known protocol with seeds base64-encoded at an offset, hashed (SHA-256, MD5),
 * upper-cased and hex-encoded. What must not match: the same clear strings inside TLS application
 * data records, with the name seed sent nowhere else (the flow is not searched at all), and near
 * misses in UDP and in an HTTP URL (a version string, timestamps, random hex, a bare 12-hex token,
 * an invalid address, a file name with '@', a 15-digit number failing Luhn, a nil UUID, the
 * broadcast MAC, an ID number with a wrong check character).
 *
 * Then the redaction: with values kept every row has a value and a 32-hex keyed hash of it; two runs
 * with one key file and values not kept store no value and the same hashes, a random key other
 * hashes; meta records the search and its key.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "config.h"
#include "pipeline.h"
#include "registry.h"
#include "bytes.h"
#include "check.h"
#include "dataset.h"
#include "pcapgen.h"
#include "pii-flow.h"
#include "store.h"
#include "testdb.h"
#include "testfs.h"

#define DEV "192.168.1.20"
#define DEV_MAC "3c:71:bf:a1:b2:c3" /* normalised, as the value of a MAC match */
#define HTTP_GET "47.100.20.10"
#define HTTP_FORM "47.100.20.11"
#define HTTP_JSON "47.100.20.12"
#define BROKER "47.100.20.13"
#define UDP_PEER "47.100.20.14"
#define TLS_PEER "47.100.20.15"
#define NEAR_UDP "47.100.20.16"
#define NEAR_HTTP "47.100.20.17"
#define RESOLVER "114.114.114.114"
#define MDNS_GROUP "224.0.0.251"

/* The seeds, as the manifest gives them. */
#define NAME "Liu Yang"
#define EMAIL "alice.liu@example.org"
#define PHONE "13812345678"
#define ADDRESS "88 Jianguo Road, Chaoyang, Beijing"
#define DEVICE_NAME "Living Room Lamp"
#define SSID "Liu Family WiFi"
#define WIFI_PASSWORD "p@ss w0rd!"
#define ACCOUNT "uid8842107"
#define IMEI "490154203237518"

static const uint8_t dev_mac[6] = { 0x3c, 0x71, 0xbf, 0xa1, 0xb2, 0xc3 };
static const uint8_t mdns_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

static const char manifest[] =
	"{\n"
	"  \"ciot_manifest\": 1,\n"
	"  \"name\": \"pii capture\",\n"
	"  \"devices\": [\n"
	"    {\"id\": \"lamp\", \"name\": \"Lamp\", \"brand\": \"acme\", \"category\": \"light\",\n"
	"     \"mac\": \"3C:71:BF:A1:B2:C3\", \"ip\": \"" DEV "\",\n"
	"     \"pii_seeds\": {\"name\": \"" NAME "\", \"email\": \"" EMAIL "\", \"phone\": \"" PHONE "\",\n"
	"                   \"address\": \"" ADDRESS "\", \"device_name\": \"" DEVICE_NAME "\",\n"
	"                   \"wifi_ssid\": \"" SSID "\", \"wifi_password\": \"" WIFI_PASSWORD "\",\n"
	"                   \"account_id\": \"" ACCOUNT "\", \"imei\": \"" IMEI "\"}}\n"
	"  ],\n"
	"  \"captures\": [{\"file\": \"lamp.pcap\", \"device\": \"lamp\", \"phase\": \"setup\"}]\n"
	"}\n";

/* ---- the capture ---- */

/* When the packets that complete each value were sent (pcapgen's clock after sending them): a
 * match's first_us. */
static int64_t t_get, t_get_response, t_form, t_ack, t_json2, t_connect, t_publish, t_query, t_response, t_mdns, t_udp;

/* One TCP connection: the next sequence number of each side. */
struct conn {
	const char *client, *server;
	uint16_t cport, sport;
	uint32_t cseq, sseq;
};

static struct conn conn_open(const char *client, uint16_t cport, const char *server, uint16_t sport)
{
	struct conn c = { client, server, cport, sport, 1001, 5001 };
	tcp(client, server, cport, sport, 1000, 0, TCP_SYN, NULL, 0);
	tcp(server, client, sport, cport, 5000, 1001, TCP_SYN_ACK, NULL, 0);
	tcp(client, server, cport, sport, 1001, 5001, TCP_ACK, NULL, 0);
	return c;
}

static void conn_client(struct conn *c, const void *data, size_t n)
{
	tcp(c->client, c->server, c->cport, c->sport, c->cseq, c->sseq, TCP_PSH_ACK, data, n);
	c->cseq += (uint32_t)n;
}

static void conn_server(struct conn *c, const void *data, size_t n)
{
	tcp(c->server, c->client, c->sport, c->cport, c->sseq, c->cseq, TCP_PSH_ACK, data, n);
	c->sseq += (uint32_t)n;
}

static void conn_client_text(struct conn *c, const char *text)
{
	conn_client(c, text, strlen(text));
}

static void conn_server_text(struct conn *c, const char *text)
{
	conn_server(c, text, strlen(text));
}

static void udp_text(const char *src, const char *dst, uint16_t sport, uint16_t dport, const char *text)
{
	struct bytes b = { .be = true };
	bytes_put(&b, text, strlen(text));
	udp(src, dst, sport, dport, &b);
	bytes_free(&b);
}

/* (1) the GET, and its response, both also sent inside TLS records in (8) */
static const char get_request[] =
	"GET /api/v1/report?email=alice.liu%40example.org&phone=" PHONE "&mac=" DEV_MAC
	"&name=Living+Room+Lamp&lat=39.908722&lng=116.397499 HTTP/1.1\r\n"
	"Host: iot.example.com\r\n"
	"X-Device-Id: 6f1c2a4e-9b7d-4c3a-8e21-5d0f7a9b3c64\r\n"
	"Cookie: account=" ACCOUNT "\r\n"
	"User-Agent: lamp-fw/2.1.0\r\n"
	"\r\n";
static const char get_response[] = "HTTP/1.1 200 OK\r\nSet-Cookie: account=" ACCOUNT "; Path=/\r\n"
				   "Content-Length: 0\r\n\r\n";

/* (2) the form body: the seeds' SSID and password %XX-escaped, another SSID by its key only */
static const char form_body[] = "ssid=Liu%20Family%20WiFi&password=p%40ss%20w0rd%21&imei=" IMEI
				"&ap_ssid=Guest%2DNet+2";

/* (3) the JSON body, cut after JSON_CUT bytes: inside the e-mail address */
static const char json_body[] = "{\"email\":\"" EMAIL "\",\"ssid\":\"Office_2.4G\",\"lat\":31.230416,"
				"\"lng\":121.473701,\"id\":\"11010519491231002X\"}";
#define JSON_CUT 18 /* {"email":"alice.li | u@example.org", ... */
static size_t json_repeated; /* segment 1's bytes sent again, twice */

/* (7) the encoded seeds: base64 of "user=alice.liu@example.org;ts=1" (the address at byte 5, so at
 * alignment 2 of base64's 3-byte groups); SHA-256 of "3c:71:bf:a1:b2:c3"; MD5 of the IMEI; the
 * Wi-Fi password's bytes in hex */
#define B64_MESSAGE "user=" EMAIL ";ts=1"
#define B64 "dXNlcj1hbGljZS5saXVAZXhhbXBsZS5vcmc7dHM9MQ=="
#define MAC_SHA256 "cd2fec827797cea1f32c16025acf6b3479a6df662198eeb9ab562dc2ceb90442"
#define IMEI_MD5 "0eaed834a1e6f4b2bf0c024e0013dea1"
#define PASSWORD_HEX "70407373207730726421"
static const char encoded_payload[] = "v=2;blob=" B64 ";mh=" MAC_SHA256 ";ih=" IMEI_MD5
				      ";addr=88 JIANGUO ROAD, CHAOYANG, BEIJING;k=" PASSWORD_HEX ";end\n";

/* (9) near misses: a version string, a 10-digit and a 13-digit timestamp, MD5's empty digest as a
 * random hex token, 12 hex digits under no MAC key, an address with an octet of 256, a file name
 * with '@', a 15-digit number with a valid reporting body whose Luhn digit is wrong; in the UDP
 * payload also an unset UUID, the broadcast MAC and an ID number whose check character is wrong */
static const char near_payload[] = "ver=1.3.8.12345678901 ts=1700000000 tms=1700000000123"
				   " nonce=d41d8cd98f00b204e9800998ecf8427e tok=a1b2c3d4e5f6 ip=10.0.0.256"
				   " img=logo@2x.png sn=861234567890123 uuid=00000000-0000-0000-0000-000000000000"
				   " dst=ff:ff:ff:ff:ff:ff id=110105194912310021\n";
static const char near_request[] = "GET /fw/check?ver=1.3.8.12345678901&ts=1700000000&tms=1700000000123"
				   "&nonce=d41d8cd98f00b204e9800998ecf8427e&tok=a1b2c3d4e5f6&ip=10.0.0.256"
				   "&img=logo%402x.png&sn=861234567890123 HTTP/1.1\r\n"
				   "Host: fw.example.com\r\n\r\n";

static void http_post(struct conn *c, const char *path, const char *type, const char *body)
{
	char head[512];
	snprintf(head, sizeof head,
		 "POST %s HTTP/1.1\r\nHost: iot.example.com\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", path,
		 type, strlen(body));
	struct bytes m = { .be = true };
	bytes_put(&m, head, strlen(head));
	bytes_put(&m, body, strlen(body));
	conn_client(c, m.d, m.n);
	bytes_free(&m);
}

/* An MQTT 3.1.1 packet: its fixed header (remaining length under 128) and the rest. */
static void mqtt_packet(struct bytes *out, uint8_t first, const struct bytes *rest)
{
	bytes_u8(out, first);
	bytes_u8(out, (uint8_t)rest->n);
	bytes_put(out, rest->d, rest->n);
}

static void mqtt_string(struct bytes *b, const char *s)
{
	bytes_u16(b, (uint16_t)strlen(s));
	bytes_put(b, s, strlen(s));
}

static void mqtt_exchange(void)
{
	struct conn c = conn_open(DEV, 41005, BROKER, 1883);
	struct bytes rest = { .be = true }, pkt = { .be = true };
	mqtt_string(&rest, "MQTT");
	bytes_u8(&rest, 4);     /* 3.1.1 */
	bytes_u8(&rest, 0x02);  /* clean session */
	bytes_u16(&rest, 60);   /* keep alive */
	mqtt_string(&rest, "3C71BFA1B2C3"); /* the client id: the bare MAC */
	mqtt_packet(&pkt, 0x10, &rest);
	conn_client(&c, pkt.d, pkt.n);
	t_connect = clock_us;
	static const uint8_t connack[] = { 0x20, 0x02, 0x00, 0x00 };
	conn_server(&c, connack, sizeof connack);
	rest.n = pkt.n = 0;
	mqtt_string(&rest, "home/3c-71-bf-a1-b2-c3/state");
	static const char payload[] = "{\"phone\":\"" PHONE "\",\"on\":true}";
	bytes_put(&rest, payload, sizeof payload - 1);
	mqtt_packet(&pkt, 0x30, &rest); /* PUBLISH, QoS 0 */
	conn_client(&c, pkt.d, pkt.n);
	t_publish = clock_us;
	bytes_free(&rest);
	bytes_free(&pkt);
}

static void dns_header(struct bytes *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	bytes_u16(m, id);
	bytes_u16(m, flags);
	bytes_u16(m, qd);
	bytes_u16(m, an);
	bytes_u16(m, 0);
	bytes_u16(m, 0);
}

static void dns_exchange(void)
{
	static const char qname[] = "esp-3c71bfa1b2c3.lan";
	struct bytes q = { .be = true }, r = { .be = true };
	dns_header(&q, 0x4242, 0x0100, 1, 0);
	dns_name(&q, qname);
	bytes_u16(&q, 1); /* A */
	bytes_u16(&q, 1); /* IN */
	udp(DEV, RESOLVER, 43000, 53, &q);
	t_query = clock_us;
	/* the response: the question again, and an answer whose owner points at it */
	dns_header(&r, 0x4242, 0x8180, 1, 1);
	dns_name(&r, qname);
	bytes_u16(&r, 1);
	bytes_u16(&r, 1);
	bytes_u16(&r, 0xc00c);
	bytes_u16(&r, 1);
	bytes_u16(&r, 1);
	bytes_u32(&r, 60);
	bytes_u16(&r, 4);
	bytes_u32(&r, 0xc0a80101);
	udp(RESOLVER, DEV, 53, 43000, &r);
	t_response = clock_us;
	bytes_free(&q);
	bytes_free(&r);
}

static void mdns_announcement(void)
{
	static const char instance[] = DEVICE_NAME "._hap._tcp.local";
	struct bytes m = { .be = true }, rdata = { .be = true };
	dns_header(&m, 0, 0x8400, 0, 2);
	/* PTR _hap._tcp.local -> the instance */
	dns_name(&m, "_hap._tcp.local");
	bytes_u16(&m, 12);
	bytes_u16(&m, 1);
	bytes_u32(&m, 4500);
	dns_name(&rdata, instance);
	bytes_u16(&m, (uint16_t)rdata.n);
	bytes_put(&m, rdata.d, rdata.n);
	/* TXT of the instance, cache-flush bit set */
	dns_name(&m, instance);
	bytes_u16(&m, 16);
	bytes_u16(&m, 0x8001);
	bytes_u32(&m, 4500);
	static const char *const strings[] = { "id=3C:71:BF:A1:B2:C3", "md=Lamp", "c#=2", NULL };
	rdata.n = 0;
	for (size_t i = 0; strings[i]; i++) {
		bytes_u8(&rdata, (uint8_t)strlen(strings[i]));
		bytes_put(&rdata, strings[i], strlen(strings[i]));
	}
	bytes_u16(&m, (uint16_t)rdata.n);
	bytes_put(&m, rdata.d, rdata.n);
	udp(DEV, MDNS_GROUP, 5353, 5353, &m);
	t_mdns = clock_us;
	bytes_free(&m);
	bytes_free(&rdata);
}

/* A TLS record of the given type around n bytes. */
static void tls_record(struct bytes *out, uint8_t type, const void *data, size_t n)
{
	bytes_u8(out, type);
	bytes_u16(out, 0x0303);
	bytes_u16(out, (uint16_t)n);
	bytes_put(out, data, n);
}

/* A hello (ClientHello 1 or ServerHello 2) with one cipher suite and no extensions, in a record. */
static void tls_hello(struct bytes *out, uint8_t type)
{
	struct bytes h = { .be = true };
	bytes_u16(&h, 0x0303);
	bytes_fill(&h, type == 1 ? 0x11 : 0x22, 32); /* random */
	bytes_u8(&h, 0);                              /* session id */
	if (type == 1)
		bytes_u16(&h, 2); /* cipher suites' length */
	bytes_u16(&h, 0x1301);
	if (type == 1)
		bytes_u8(&h, 1); /* compression methods' length */
	bytes_u8(&h, 0);
	bytes_u16(&h, 0); /* extensions */
	struct bytes msg = { .be = true };
	bytes_u8(&msg, type);
	bytes_u8(&msg, 0);
	bytes_u16(&msg, (uint16_t)h.n);
	bytes_put(&msg, h.d, h.n);
	tls_record(out, 22, msg.d, msg.n);
	bytes_free(&h);
	bytes_free(&msg);
}

static void tls_exchange(void)
{
	static const uint8_t ccs = 1;
	struct conn c = conn_open(DEV, 41006, TLS_PEER, 443);
	struct bytes b = { .be = true };
	tls_hello(&b, 1);
	conn_client(&c, b.d, b.n);
	b.n = 0;
	tls_hello(&b, 2);
	tls_record(&b, 20, &ccs, 1);
	conn_server(&c, b.d, b.n);
	/* the client's ChangeCipherSpec, then (1), (2) and the name seed in clear in application data */
	b.n = 0;
	tls_record(&b, 20, &ccs, 1);
	tls_record(&b, 23, get_request, sizeof get_request - 1);
	conn_client(&c, b.d, b.n);
	b.n = 0;
	tls_record(&b, 23, form_body, sizeof form_body - 1);
	static const char owner[] = "{\"owner\":\"" NAME "\"}";
	tls_record(&b, 23, owner, sizeof owner - 1);
	conn_client(&c, b.d, b.n);
	b.n = 0;
	tls_record(&b, 23, get_response, sizeof get_response - 1);
	conn_server(&c, b.d, b.n);
	bytes_free(&b);
}

static void build_capture(void)
{
	pcapgen_header();
	pcapgen_host_mac(DEV, dev_mac);
	pcapgen_host_mac(MDNS_GROUP, mdns_mac);

	/* (1) GET with PII in its URL and headers */
	struct conn c = conn_open(DEV, 41001, HTTP_GET, 80);
	conn_client_text(&c, get_request);
	t_get = clock_us;
	conn_server_text(&c, get_response);
	t_get_response = clock_us;

	/* (2) a form POST, then on the same connection a GET with the SSID in its URL */
	c = conn_open(DEV, 41002, HTTP_FORM, 80);
	http_post(&c, "/api/v1/provision", "application/x-www-form-urlencoded", form_body);
	t_form = clock_us;
	conn_server_text(&c, "HTTP/1.1 204 No Content\r\n\r\n");
	conn_client_text(&c, "GET /api/v1/ack?ssid=Liu+Family+WiFi HTTP/1.1\r\nHost: iot.example.com\r\n\r\n");
	t_ack = clock_us;
	conn_server_text(&c, "HTTP/1.1 204 No Content\r\n\r\n");

	/* (3) a JSON POST over two segments, (4) segment 1 sent again before and after segment 2 */
	c = conn_open(DEV, 41003, HTTP_JSON, 80);
	char head[256];
	snprintf(head, sizeof head,
		 "POST /api/v1/status HTTP/1.1\r\nHost: iot.example.com\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 strlen(json_body));
	struct bytes all = { .be = true };
	bytes_put(&all, head, strlen(head));
	bytes_put(&all, json_body, strlen(json_body));
	size_t segment1 = strlen(head) + JSON_CUT;
	uint32_t seq1 = c.cseq;
	conn_client(&c, all.d, segment1);
	tcp(DEV, HTTP_JSON, 41003, 80, seq1, c.sseq, TCP_PSH_ACK, all.d, segment1);
	conn_client(&c, all.d + segment1, all.n - segment1);
	t_json2 = clock_us;
	tcp(DEV, HTTP_JSON, 41003, 80, seq1, c.sseq, TCP_PSH_ACK, all.d, segment1);
	json_repeated = 2 * segment1;
	conn_server_text(&c, "HTTP/1.1 204 No Content\r\n\r\n");
	bytes_free(&all);

	/* (5) MQTT */
	mqtt_exchange();

	/* (6) DNS and mDNS */
	dns_exchange();
	mdns_announcement();

	/* (7) encoded seeds in a payload of no known protocol */
	udp_text(DEV, UDP_PEER, 40000, 9999, encoded_payload);
	t_udp = clock_us;

	/* (8) (1), (2) and the name seed inside TLS */
	tls_exchange();

	/* (9) near misses, in UDP and in a URL */
	udp_text(DEV, NEAR_UDP, 40001, 9998, near_payload);
	c = conn_open(DEV, 41007, NEAR_HTTP, 80);
	conn_client_text(&c, near_request);
	conn_server_text(&c, "HTTP/1.1 204 No Content\r\n\r\n");
}

/* ---- reading the database ---- */

static sqlite3 *db;

#define sql_text(...) testdb_text(db, __VA_ARGS__)
#define sql_int(...) testdb_int(db, __VA_ARGS__)

/* Every row of pii_view, for the reader of a failure. */
static void dump_rows(void)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT remote_ip, remote_port, kind, method, encoding, location, direction, count,"
			       " coalesce(value, '(null)'), value_hint FROM pii_view ORDER BY remote_ip, kind",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	fprintf(stderr, "  pii_view:\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(stderr, "   ");
		for (int i = 0; i < 10; i++)
			fprintf(stderr, " %s", (const char *)sqlite3_column_text(st, i));
		fprintf(stderr, "\n");
	}
	sqlite3_finalize(st);
}

/* Every row the capture must give, and none else. */
static const struct {
	const char *what, *remote_ip;
	const char *kind, *method, *encoding, *location, *direction, *value;
	int count;
	const int64_t *first_us; /* the time of the packet that completed the value */
} rows[] = {
	/* (1) */
	{ "get: e-mail %40", HTTP_GET, "email", "seed", "url", "url", "out", EMAIL, 1, &t_get },
	{ "get: phone", HTTP_GET, "phone", "seed", "plain", "url", "out", PHONE, 1, &t_get },
	{ "get: mac", HTTP_GET, "mac", "seed", "plain", "url", "out", DEV_MAC, 1, &t_get },
	{ "get: device name with +", HTTP_GET, "device-name", "seed", "url", "url", "out", DEVICE_NAME, 1, &t_get },
	{ "get: lat/lng", HTTP_GET, "geo", "pattern", "plain", "url", "out", "39.908722,116.397499", 1, &t_get },
	{ "get: uuid header", HTTP_GET, "uuid", "pattern", "plain", "header", "out",
	  "6f1c2a4e-9b7d-4c3a-8e21-5d0f7a9b3c64", 1, &t_get },
	{ "get: cookie", HTTP_GET, "account-id", "seed", "plain", "header", "out", ACCOUNT, 1, &t_get },
	{ "get: set-cookie", HTTP_GET, "account-id", "seed", "plain", "header", "in", ACCOUNT, 1, &t_get_response },
	/* (2) */
	{ "form: ssid %20", HTTP_FORM, "wifi-ssid", "seed", "url", "body", "out", SSID, 1, &t_form },
	{ "form: password %40 %20 %21", HTTP_FORM, "wifi-password", "seed", "url", "body", "out", WIFI_PASSWORD, 1,
	  &t_form },
	{ "form: imei", HTTP_FORM, "imei", "seed", "plain", "body", "out", IMEI, 1, &t_form },
	{ "form: ap_ssid by key, decoded", HTTP_FORM, "wifi-ssid", "pattern", "url", "body", "out", "Guest-Net 2", 1,
	  &t_form },
	{ "form: the next request's url", HTTP_FORM, "wifi-ssid", "seed", "url", "url", "out", SSID, 1, &t_ack },
	/* (3) and (4) */
	{ "json: e-mail across segments", HTTP_JSON, "email", "seed", "plain", "body", "out", EMAIL, 1, &t_json2 },
	{ "json: ssid by key", HTTP_JSON, "wifi-ssid", "pattern", "plain", "body", "out", "Office_2.4G", 1, &t_json2 },
	{ "json: lat/lng", HTTP_JSON, "geo", "pattern", "plain", "body", "out", "31.230416,121.473701", 1, &t_json2 },
	{ "json: id number", HTTP_JSON, "cn-id", "pattern", "plain", "body", "out", "11010519491231002X", 1, &t_json2 },
	/* (5) */
	{ "mqtt: client id", BROKER, "mac", "seed", "hex", "body", "out", DEV_MAC, 1, &t_connect },
	{ "mqtt: topic", BROKER, "mac", "seed", "plain", "topic", "out", DEV_MAC, 1, &t_publish },
	{ "mqtt: payload", BROKER, "phone", "seed", "plain", "body", "out", PHONE, 1, &t_publish },
	/* (6): the response has the name in its question and, by pointer, its answer */
	{ "dns: query", RESOLVER, "mac", "seed", "hex", "dns", "out", DEV_MAC, 1, &t_query },
	{ "dns: response", RESOLVER, "mac", "seed", "hex", "dns", "in", DEV_MAC, 2, &t_response },
	{ "mdns: ptr target and txt owner", MDNS_GROUP, "device-name", "seed", "plain", "dns", "out", DEVICE_NAME, 2,
	  &t_mdns },
	{ "mdns: txt id", MDNS_GROUP, "mac", "seed", "upper", "dns", "out", DEV_MAC, 1, &t_mdns },
	/* (7) */
	{ "udp: base64 at alignment 2", UDP_PEER, "email", "seed", "base64", "payload", "out", EMAIL, 1, &t_udp },
	{ "udp: sha256 of the mac", UDP_PEER, "mac", "seed", "sha256", "payload", "out", DEV_MAC, 1, &t_udp },
	{ "udp: md5 of the imei", UDP_PEER, "imei", "seed", "md5", "payload", "out", IMEI, 1, &t_udp },
	{ "udp: address upper-cased", UDP_PEER, "address", "seed", "upper", "payload", "out", ADDRESS, 1, &t_udp },
	{ "udp: password in hex", UDP_PEER, "wifi-password", "seed", "hex", "payload", "out", WIFI_PASSWORD, 1,
	  &t_udp },
};
#define NROWS (sizeof rows / sizeof rows[0])

/* Each flow: whether it is searched, and its payload bytes that are not (retransmitted). */
static const struct {
	const char *what, *transport, *remote_ip;
	int remote_port;
	const char *app_proto; /* a substring of nDPI's name, or NULL */
	bool searched;
	const size_t *repeated; /* NULL: none */
} flows[] = {
	{ "get", "tcp", HTTP_GET, 80, "HTTP", true, NULL },
	{ "form", "tcp", HTTP_FORM, 80, "HTTP", true, NULL },
	{ "json", "tcp", HTTP_JSON, 80, "HTTP", true, &json_repeated },
	{ "mqtt", "tcp", BROKER, 1883, "MQTT", true, NULL },
	{ "dns", "udp", RESOLVER, 53, "DNS", true, NULL },
	{ "mdns", "udp", MDNS_GROUP, 5353, "MDNS", true, NULL },
	{ "udp", "udp", UDP_PEER, 9999, NULL, true, NULL },
	{ "tls", "tcp", TLS_PEER, 443, "TLS", false, NULL },
	{ "near udp", "udp", NEAR_UDP, 9998, NULL, true, NULL },
	{ "near http", "tcp", NEAR_HTTP, 80, "HTTP", true, NULL },
};
#define NFLOWS (sizeof flows / sizeof flows[0])

static const char *flow_where(size_t i)
{
	static char buf[4][160];
	static unsigned next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof buf[0], "transport = '%s' AND remote_ip = '%s' AND remote_port = %d", flows[i].transport,
		 flows[i].remote_ip, flows[i].remote_port);
	return b;
}

static void check_flows(void)
{
	/* the device was known by its MAC, which its frames carry, and its address was learned */
	CHECK_EQ_STR(sql_text("SELECT device_method || ' ' || device_addresses FROM captures"), "mac [\"" DEV "\"]");
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM flows"), NFLOWS);
	for (size_t i = 0; i < NFLOWS; i++) {
		unsigned before = check_failures;
		const char *w = flow_where(i);
		CHECK_EQ_INT(sql_int("SELECT count(*) FROM flows WHERE %s", w), 1);
		CHECK_EQ_STR(sql_text("SELECT initiator FROM flows WHERE %s", w), "device");
		if (flows[i].app_proto)
			CHECK_CONTAINS(sql_text("SELECT app_proto FROM flows WHERE %s", w), flows[i].app_proto);
		long long payload = sql_int("SELECT payload_out + payload_in FROM flows WHERE %s", w);
		long long searched = sql_int("SELECT pii_searched_bytes FROM flows WHERE %s", w);
		if (flows[i].searched) {
			/* every payload byte, once: retransmitted bytes are not searched again */
			CHECK(payload > 0);
			CHECK_EQ_INT(searched, payload - (flows[i].repeated ? (long long)*flows[i].repeated : 0));
		} else {
			CHECK_EQ_INT(searched, 0);
			CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_view WHERE %s", w), 0);
		}
		check_case(before, flows[i].what);
	}
	/* the TLS records holding (1) and (2) were read as application data: encrypted */
	CHECK_EQ_INT(sql_int("SELECT encrypted_packets FROM flows WHERE remote_ip = '" TLS_PEER "'"), 3);
}

static void check_rows(void)
{
	unsigned before_all = check_failures;
	for (size_t i = 0; i < NROWS; i++) {
		unsigned before = check_failures;
		char where[512], expected[32];
		snprintf(where, sizeof where,
			 "remote_ip = '%s' AND kind = '%s' AND method = '%s' AND encoding = '%s' AND location = '%s'"
			 " AND direction = '%s' AND value = '%s'",
			 rows[i].remote_ip, rows[i].kind, rows[i].method, rows[i].encoding, rows[i].location,
			 rows[i].direction, rows[i].value);
		snprintf(expected, sizeof expected, "1 %d", rows[i].count);
		/* one row, and its count */
		CHECK_EQ_STR(sql_text("SELECT count(*) || ' ' || sum(count) FROM pii_view WHERE %s", where), expected);
		CHECK_EQ_INT(sql_int("SELECT first_us FROM pii_view WHERE %s", where), *rows[i].first_us);
		check_case(before, rows[i].what);
	}
	/* nothing else: per flow, then in all */
	for (size_t f = 0; f < NFLOWS; f++) {
		long long expected = 0;
		for (size_t i = 0; i < NROWS; i++)
			expected += !strcmp(rows[i].remote_ip, flows[f].remote_ip);
		unsigned before = check_failures;
		CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_view WHERE %s", flow_where(f)), expected);
		check_case(before, flows[f].what);
	}
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_matches"), NROWS);
	if (check_failures != before_all)
		dump_rows();
}

/* With values kept: every row has its value, and its hash is the keyed hash of that value. */
static void check_kept_values(const struct ciot_pii_setup *setup)
{
	CHECK_EQ_STR(sql_text("SELECT value FROM meta WHERE key = 'pii_search'"), "on");
	CHECK_EQ_STR(sql_text("SELECT value FROM meta WHERE key = 'pii_values'"), "kept");
	CHECK_EQ_STR(sql_text("SELECT value FROM meta WHERE key = 'pii_key'"), "random, this run only");
	CHECK_EQ_INT(sql_int("SELECT pii_dropped FROM captures"), 0);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_matches WHERE value IS NULL"), 0);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_matches WHERE length(value_hash) != 32"
			     " OR value_hash GLOB '*[^0-9a-f]*'"),
		     0);
	/* one value, one hash, whatever the flow, location or encoding */
	CHECK_EQ_INT(sql_int("SELECT count(DISTINCT value_hash) FROM pii_matches WHERE kind = 'email'"), 1);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_matches WHERE kind = 'email'"), 3);
	CHECK_EQ_INT(sql_int("SELECT count(DISTINCT value_hash) FROM pii_matches WHERE kind = 'mac'"), 1);
	CHECK_EQ_INT(sql_int("SELECT count(DISTINCT value_hash) FROM pii_matches"),
		     sql_int("SELECT count(DISTINCT value) FROM pii_matches"));
	char hash[CIOT_PII_HASH_HEX], hint[CIOT_PII_HINT_MAX];
	ciot_pii_redact(setup->key, EMAIL, strlen(EMAIL), hash, hint);
	CHECK_EQ_STR(sql_text("SELECT DISTINCT value_hash FROM pii_matches WHERE kind = 'email'"), hash);
	CHECK_EQ_STR(sql_text("SELECT DISTINCT value_hint FROM pii_matches WHERE kind = 'email'"), hint);
	CHECK_EQ_STR(hint, "a\xe2\x80\xa6g (21)");
}

static struct ciot_config *configs[3];
static size_t nconfigs;

/* Runs the pipeline over the dataset into dir/name with the PII analyzer set through its options;
 * returns the open store, and the prepared run in *out (its PII setup holds the key). */
static struct ciot_store *analyze_into(const char *dir, const char *name, const struct ciot_dataset *ds,
				       const char *key_file, bool keep, char *path, struct ciot_analysis **out)
{
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	struct ciot_store *store;
	struct ciot_config *config = ciot_config_new();
	if (!config || ciot_store_open(&store, testfs_path(path, dir, name), errbuf) ||
	    (key_file && ciot_config_set(config, "pii-key", key_file, errbuf)) ||
	    (keep && ciot_config_set(config, "pii-values", NULL, errbuf)) || ciot_analysis_new(out, config, ds, errbuf)) {
		fprintf(stderr, "test-pii-capture: %s\n", errbuf);
		exit(1);
	}
	CHECK_EQ_INT(ciot_store_begin_run(store, ds, *out, errbuf), CIOT_OK);
	size_t failed = 0;
	if (!CHECK_EQ_INT(ciot_analyze(store, ds, *out, NULL, NULL, NULL, NULL, &failed, errbuf), CIOT_OK))
		fprintf(stderr, "test-pii-capture: %s\n", errbuf);
	CHECK_EQ_INT(failed, 0);
	configs[nconfigs++] = config; /* freed after the runs that point into it */
	return store;
}

/* The PII analyzer's setup in a prepared run. */
static const struct ciot_pii_setup *setup_of(const struct ciot_analysis *a)
{
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (!strcmp(ciot_analyzers[k]->name, "pii"))
			return ciot_analysis_run(a, k);
	return NULL;
}

/* The constants of (7) are what they say they are. */
static void check_encodings(void)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_Digest(DEV_MAC, strlen(DEV_MAC), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	CHECK_EQ_STR(hex, MAC_SHA256);
	EVP_Digest(IMEI, strlen(IMEI), md, &n, EVP_md5(), NULL);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	CHECK_EQ_STR(hex, IMEI_MD5);
	unsigned char b64[64];
	EVP_EncodeBlock(b64, (const unsigned char *)B64_MESSAGE, (int)strlen(B64_MESSAGE));
	CHECK_EQ_STR((const char *)b64, B64);
	for (size_t i = 0; i < strlen(WIFI_PASSWORD); i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)WIFI_PASSWORD[i]);
	CHECK_EQ_STR(hex, PASSWORD_HEX);
}

int main(void)
{
	char dir[PATH_MAX], path[PATH_MAX], key_path[PATH_MAX], db_a[PATH_MAX], db_b[PATH_MAX], db_c[PATH_MAX];
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	testfs_mkdtemp(dir, "pii-capture");
	check_encodings();
	build_capture();
	testfs_write(path, dir, "lamp.pcap", pcap.d, pcap.n);
	bytes_free(&pcap);
	testfs_write_text(path, dir, "manifest.json", manifest);
	static const char key[] = "a lab's PII key, 32 bytes or more, kept outside the database";
	testfs_write_text(key_path, dir, "pii.key", key);

	struct ciot_dataset ds = { 0 };
	if (!CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, path, errbuf), CIOT_OK)) {
		fprintf(stderr, "test-pii-capture: %s\n", errbuf);
		testfs_rmtree(dir);
		return check_summary("pii-capture");
	}
	CHECK_EQ_INT(ds.ndevices, 1);
	CHECK_EQ_INT(ds.devices[0].nseeds, 9);

	/* A: a random key, values kept */
	struct ciot_analysis *run_a, *run_b, *run_c;
	struct ciot_store *a = analyze_into(dir, "a.db", &ds, NULL, true, db_a, &run_a);
	const struct ciot_pii_setup *kept = setup_of(run_a);
	db = ciot_store_db(a);
	check_flows();
	check_rows();
	check_kept_values(kept);

	/* B and C: one key file, values not kept */
	struct ciot_store *b = analyze_into(dir, "b.db", &ds, key_path, false, db_b, &run_b);
	struct ciot_store *c = analyze_into(dir, "c.db", &ds, key_path, false, db_c, &run_c);
	const struct ciot_pii_setup *b_setup = setup_of(run_b), *c_setup = setup_of(run_c);
	db = ciot_store_db(b);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_matches"), NROWS);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pii_matches WHERE value IS NOT NULL"), 0);
	CHECK_EQ_STR(sql_text("SELECT value FROM meta WHERE key = 'pii_values'"), "hash and hint only");
	CHECK_CONTAINS(sql_text("SELECT value FROM meta WHERE key = 'pii_key'"), "key file, id ");
	CHECK_EQ_STR(sql_text("SELECT DISTINCT value_hint FROM pii_matches WHERE kind = 'email'"),
		     "a\xe2\x80\xa6g (21)");
	/* row by row against C (same key) and A (a random one) */
	char sql[PATH_MAX + 64];
	snprintf(sql, sizeof sql, "ATTACH DATABASE '%s' AS c", db_c);
	CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof sql, "ATTACH DATABASE '%s' AS a", db_a);
	CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	static const char same_row[] =
		"x.remote_ip = y.remote_ip AND x.remote_port = y.remote_port AND x.kind = y.kind"
		" AND x.method = y.method AND x.encoding = y.encoding AND x.location = y.location"
		" AND x.direction = y.direction";
	CHECK_EQ_STR(sql_text("SELECT value FROM c.meta WHERE key = 'pii_key'"),
		     sql_text("SELECT value FROM main.meta WHERE key = 'pii_key'"));
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM main.pii_view x JOIN c.pii_view y ON %s"
			     " WHERE x.value_hash = y.value_hash AND x.value_hint = y.value_hint AND x.count = y.count",
			     same_row),
		     NROWS);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM main.pii_view x JOIN a.pii_view y ON %s", same_row), NROWS);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM main.pii_view x JOIN a.pii_view y ON %s"
			     " WHERE x.value_hash = y.value_hash",
			     same_row),
		     0);
	/* the key is the SHA-256 of the key file, and the hash HMAC-SHA-256 under it */
	uint8_t file_key[EVP_MAX_MD_SIZE];
	unsigned file_key_len = 0;
	EVP_Digest(key, strlen(key), file_key, &file_key_len, EVP_sha256(), NULL);
	CHECK_EQ_INT(file_key_len, CIOT_PII_KEY_LEN);
	CHECK_EQ_MEM(b_setup->key, file_key, CIOT_PII_KEY_LEN);
	CHECK_EQ_MEM(c_setup->key, file_key, CIOT_PII_KEY_LEN);
	char hash[CIOT_PII_HASH_HEX], hint[CIOT_PII_HINT_MAX];
	ciot_pii_redact(file_key, IMEI, strlen(IMEI), hash, hint);
	CHECK_EQ_STR(sql_text("SELECT DISTINCT value_hash FROM pii_matches WHERE kind = 'imei'"), hash);

	ciot_store_close(c);
	ciot_store_close(b);
	ciot_store_close(a);
	ciot_analysis_free(run_c);
	ciot_analysis_free(run_b);
	ciot_analysis_free(run_a);
	for (size_t i = 0; i < nconfigs; i++)
		ciot_config_free(configs[i]);
	ciot_dataset_free(&ds);
	testfs_rmtree(dir);
	return check_summary("pii-capture");
}
