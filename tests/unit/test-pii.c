/* test-pii.c: the PII matcher (pii.c). Every pattern kind found, with the exact kind, method,
 * encoding and normalised value reported (e-mail plain, in a query string, %40-escaped, inside
 * URL-encoded JSON; Chinese mobile and E.164 phone numbers in their spellings; MACs in every
 * spelling and as 12 bare hex digits under MAC keys; UUIDs; a Luhn-valid IMEI; resident ID numbers
 * whose check character the test computes; coordinates under keys, lon first and bare; private
 * IPv4; Wi-Fi SSIDs and passwords under JSON and form keys, URL-decoded); the near misses that must
 * not match (version strings, timestamps, random hex, numbers failing their checks, public and
 * impossible addresses, masked passwords, ...); seeds found in every encoding the header promises
 * (case, percent-encoding, hex, base64 at the three alignments inside longer base64 text, MD5/SHA-1/
 * SHA-256 of e-mail, IMEI and MAC, the digests computed here with OpenSSL), a seed winning over a
 * pattern on the same bytes, leftmost-longest among seeds, the seed errors and field names; the
 * carry protocol (every split of a text into two buffers, with and without a flush call, a stream
 * longer than the carry, chunks of many sizes) reporting each match once with the unsplit value; a
 * NULL seeds object; the check functions directly; and redaction (keyed hash, hint).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check.h"
#include "pii.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct ciot_pii_patterns *patterns;
static struct ciot_pii_scanner *scanner;
static struct ciot_pii_seeds *no_seeds; /* built with no seed: only the trigger words */
static struct ciot_pii_seeds *seeds;    /* the seeds of test_seeds */

/* ---- collecting matches ----------------------------------------------------------------------- */

struct got {
	enum ciot_pii_kind kind;
	enum ciot_pii_method method;
	enum ciot_pii_encoding encoding;
	size_t start, end; /* in stream offsets */
	char value[CIOT_PII_VALUE_MAX + 1];
	size_t value_len;
};

#define MAX_GOT 64

struct sink {
	struct got g[MAX_GOT];
	size_t n;
	size_t base, buf_n; /* the stream offset of the buffer being scanned, and its length */
	size_t last_start;  /* of the last match of this buffer, for the order */
	bool overflow, malformed, unordered;
};

static void collect(void *ctx, const struct ciot_pii_match *m)
{
	struct sink *k = ctx;
	if (m->start >= m->end || m->end > k->buf_n || m->value_len > CIOT_PII_VALUE_MAX || !m->value ||
	    m->value[m->value_len] != '\0')
		k->malformed = true;
	if (m->start < k->last_start)
		k->unordered = true;
	k->last_start = m->start;
	if (k->n == MAX_GOT) {
		k->overflow = true;
		return;
	}
	struct got *g = &k->g[k->n++];
	g->kind = m->kind;
	g->method = m->method;
	g->encoding = m->encoding;
	g->start = k->base + m->start;
	g->end = k->base + m->end;
	g->value_len = m->value_len <= CIOT_PII_VALUE_MAX ? m->value_len : CIOT_PII_VALUE_MAX;
	memcpy(g->value, m->value, g->value_len);
	g->value[g->value_len] = '\0';
}

static int got_order(const void *a, const void *b)
{
	const struct got *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end < y->end) - (x->end > y->end);
}

/* Sorts the matches by position: the order of the reports is checked on its own (k->unordered). */
static void sort_got(struct sink *k)
{
	qsort(k->g, k->n, sizeof k->g[0], got_order);
}

/* Scans text[0, n) as a whole stream. */
static size_t scan(const struct ciot_pii_seeds *s, const char *text, size_t n, struct sink *k)
{
	memset(k, 0, sizeof *k);
	k->buf_n = n;
	size_t dropped = ciot_pii_scan(scanner, s, (const uint8_t *)text, n, 0, true, false, collect, k);
	sort_got(k);
	return dropped;
}

/* ---- expectations ------------------------------------------------------------------------------ */

struct want {
	enum ciot_pii_kind kind;
	enum ciot_pii_method method;
	enum ciot_pii_encoding encoding;
	const char *value; /* NULL ends a list */
	int start, end;    /* -1: not checked */
};

#define PAT(k, e, v) { CIOT_PII_##k, CIOT_PII_PATTERN, CIOT_PII_##e, v, -1, -1 }
#define PAT_AT(k, e, v, s, x) { CIOT_PII_##k, CIOT_PII_PATTERN, CIOT_PII_##e, v, s, x }
#define SEED_AT(k, e, v, s, x) { CIOT_PII_##k, CIOT_PII_SEED, CIOT_PII_##e, v, s, x }

static size_t count_want(const struct want *w)
{
	size_t n = 0;
	while (w[n].value)
		n++;
	return n;
}

static void print_got(const struct sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		fprintf(stderr, "    got %s %s %s \"%s\" [%zu, %zu)\n", ciot_pii_kind_name(k->g[i].kind),
			ciot_pii_method_name(k->g[i].method), ciot_pii_encoding_name(k->g[i].encoding), k->g[i].value,
			k->g[i].start, k->g[i].end);
}

/* Scans text with seeds s and checks the matches are exactly want[] (in order of position). */
static void expect_n(const struct ciot_pii_seeds *s, const char *name, const char *text, size_t n,
		     const struct want *want)
{
	unsigned before = check_failures;
	struct sink k;
	CHECK_EQ_INT(scan(s, text, n, &k), 0);
	CHECK(!k.overflow);
	CHECK(!k.malformed);
	CHECK(!k.unordered);
	size_t nwant = count_want(want);
	if (CHECK_EQ_INT(k.n, nwant)) {
		for (size_t i = 0; i < nwant; i++) {
			const struct got *g = &k.g[i];
			CHECK_EQ_STR(ciot_pii_kind_name(g->kind), ciot_pii_kind_name(want[i].kind));
			CHECK_EQ_STR(ciot_pii_method_name(g->method), ciot_pii_method_name(want[i].method));
			CHECK_EQ_STR(ciot_pii_encoding_name(g->encoding), ciot_pii_encoding_name(want[i].encoding));
			CHECK_EQ_STR(g->value, want[i].value);
			CHECK_EQ_INT(g->value_len, strlen(want[i].value));
			if (want[i].start >= 0) {
				CHECK_EQ_INT(g->start, want[i].start);
				CHECK_EQ_INT(g->end, want[i].end);
			}
		}
	}
	if (check_failures != before)
		print_got(&k);
	check_case(before, name);
}

static void expect(const struct ciot_pii_seeds *s, const char *name, const char *text, const struct want *want)
{
	expect_n(s, name, text, strlen(text), want);
}

static const struct want none[] = { { 0, 0, 0, NULL, 0, 0 } };

/* ---- helpers computed here, independently of pii.c --------------------------------------------- */

/* The Luhn check digit to append to d[0, n). */
static char luhn_digit(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)(d[n - 1 - i] - '0');
		if (i % 2 == 0) { /* the digit left of the check digit is doubled */
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* GB 11643-1999's check character of 17 digits: ISO 7064 MOD 11-2. */
static char cn_id_check(const char *d)
{
	static const unsigned weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	unsigned sum = 0;
	for (size_t i = 0; i < 17; i++)
		sum += weights[i] * (unsigned)(d[i] - '0');
	return "10X98765432"[sum % 11];
}

static size_t base64(const uint8_t *p, size_t n, bool url, char *out)
{
	const char *a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			    : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/* Percent-encoding as RFC 3986 has it (unreserved characters kept), with the given hex case, and
 * a form's '+' for space. */
static void percent(const char *s, bool lower_hex, bool form, char *out)
{
	const char *digits = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("-._~", *c)) {
			out[o++] = (char)*c;
		} else if (*c == ' ' && form) {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = digits[*c >> 4];
			out[o++] = digits[*c & 15];
		}
	}
	out[o] = '\0';
}

static void hex(const uint8_t *p, size_t n, bool upper, char *out)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void case_of(const char *s, bool upper, char *out)
{
	size_t i = 0;
	for (; s[i]; i++)
		out[i] = upper ? (s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i])
			       : (s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i]);
	out[i] = '\0';
}

/* ---- patterns ---------------------------------------------------------------------------------- */

struct pattern_case {
	const char *name, *text;
	struct want want[4];
};

static const struct pattern_case pattern_cases[] = {
	/* e-mail */
	{ "email plain", "contact: alice@example.com", { PAT_AT(EMAIL, PLAIN, "alice@example.com", 9, 26) } },
	{ "email in a query string, lower-cased", "GET /s?u=bob&email=Bob.Smith@Example.ORG&x=1",
	  { PAT_AT(EMAIL, PLAIN, "bob.smith@example.org", 19, 40) } },
	{ "email %40", "email=carol%40example.com&y=2", { PAT_AT(EMAIL, URL, "carol@example.com", 6, 25) } },
	{ "email %40 upper-case", "email=Carol%40Example.COM", { PAT(EMAIL, URL, "carol@example.com") } },
	{ "email in URL-encoded JSON", "d=%7B%22mail%22%3A%22e%40x.org%22%7D", { PAT_AT(EMAIL, URL, "e@x.org", 21, 30) } },
	{ "email with _ and +", "to=first_last+tag@mail.example.co.uk;",
	  { PAT_AT(EMAIL, PLAIN, "first_last+tag@mail.example.co.uk", 3, 36) } },
	{ "email starting with _", "{\"e\":\"_dev@iot.example.cn\"}", { PAT(EMAIL, PLAIN, "_dev@iot.example.cn") } },
	/* phone */
	{ "cn mobile", "tel=13812345678&", { PAT_AT(PHONE, PLAIN, "+8613812345678", 4, 15) } },
	{ "cn mobile +86", "tel=+8613812345678", { PAT_AT(PHONE, PLAIN, "+8613812345678", 4, 18) } },
	{ "cn mobile 0086", "tel=008613812345678", { PAT_AT(PHONE, PLAIN, "+8613812345678", 4, 19) } },
	{ "cn mobile 0086 spaced", "tel=0086 13812345678", { PAT(PHONE, PLAIN, "+8613812345678") } },
	{ "cn mobile +86 spaced", "tel: +86 138 1234 5678.", { PAT_AT(PHONE, PLAIN, "+8613812345678", 5, 22) } },
	{ "cn mobile dashed", "tel=138-1234-5678", { PAT_AT(PHONE, PLAIN, "+8613812345678", 4, 17) } },
	{ "cn mobile %2B", "phone=%2B8613812345678&", { PAT_AT(PHONE, URL, "+8613812345678", 6, 22) } },
	{ "cn mobile %2b86%20", "phone=%2b86%2013912345678", { PAT(PHONE, URL, "+8613912345678") } },
	{ "E.164", "phone=+14155552671", { PAT_AT(PHONE, PLAIN, "+14155552671", 6, 18) } },
	{ "E.164 %2B", "phone=%2B14155552671", { PAT(PHONE, URL, "+14155552671") } },
	/* MAC */
	{ "mac colon", "mac a4:5e:60:c2:1b:3d", { PAT_AT(MAC, PLAIN, "a4:5e:60:c2:1b:3d", 4, 21) } },
	{ "mac dash", "hw=a4-5e-60-c2-1b-3d;", { PAT_AT(MAC, PLAIN, "a4:5e:60:c2:1b:3d", 3, 20) } },
	{ "mac upper", "\"A4:5E:60:C2:1B:3D\"", { PAT_AT(MAC, PLAIN, "a4:5e:60:c2:1b:3d", 1, 18) } },
	{ "mac %3A", "m=A4%3A5E%3A60%3AC2%3A1B%3A3D&", { PAT_AT(MAC, URL, "a4:5e:60:c2:1b:3d", 2, 29) } },
	{ "mac %3a", "m=a4%3a5e%3a60%3ac2%3a1b%3a3d", { PAT(MAC, URL, "a4:5e:60:c2:1b:3d") } },
	{ "mac cisco dotted", "if a45e.60c2.1b3d up", { PAT_AT(MAC, PLAIN, "a4:5e:60:c2:1b:3d", 3, 17) } },
	{ "mac bare under mac=", "mac=a45e60c21b3d&", { PAT_AT(MAC, PLAIN, "a4:5e:60:c2:1b:3d", 0, 16) } },
	{ "mac bare under deviceMac", "{\"deviceMac\":\"A45E60C21B3D\"}", { PAT_AT(MAC, PLAIN, "a4:5e:60:c2:1b:3d", 2, 26) } },
	{ "mac bare under bssid", "bssid=a45e60c21b3d", { PAT(MAC, PLAIN, "a4:5e:60:c2:1b:3d") } },
	{ "mac bare under macAddress", "{\"macAddress\": \"a45e60c21b3d\"}", { PAT(MAC, PLAIN, "a4:5e:60:c2:1b:3d") } },
	{ "mac bare under MAC_ADDR", "MAC_ADDR=A45E60C21B3D", { PAT(MAC, PLAIN, "a4:5e:60:c2:1b:3d") } },
	/* UUID */
	{ "uuid", "id=123e4567-e89b-12d3-a456-426614174000&",
	  { PAT_AT(UUID, PLAIN, "123e4567-e89b-12d3-a456-426614174000", 3, 39) } },
	{ "uuid upper", "{\"uuid\":\"123E4567-E89B-12D3-A456-426614174000\"}",
	  { PAT(UUID, PLAIN, "123e4567-e89b-12d3-a456-426614174000") } },
	/* IMEI: 49-015420-323751-8, reporting body 49 */
	{ "imei", "imei=490154203237518&", { PAT_AT(IMEI, PLAIN, "490154203237518", 5, 20) } },
	{ "imei body 35", "{\"imei\":\"356938035643809\"}", { PAT(IMEI, PLAIN, "356938035643809") } },
	/* geo */
	{ "geo json", "{\"lat\":31.23041,\"lng\":121.47370}", { PAT_AT(GEO, PLAIN, "31.23041,121.47370", 2, 31) } },
	{ "geo json spaced", "{\"latitude\": 31.23041, \"longitude\": 121.47370}", { PAT(GEO, PLAIN, "31.23041,121.47370") } },
	{ "geo lon first", "{\"lng\":121.47370,\"lat\":31.23041}", { PAT(GEO, PLAIN, "31.23041,121.47370") } },
	{ "geo lon first Lon/Lat", "Lon=121.4737&Lat=31.2304", { PAT(GEO, PLAIN, "31.2304,121.4737") } },
	{ "geo form", "latitude=31.230416&longitude=121.473701", { PAT_AT(GEO, PLAIN, "31.230416,121.473701", 0, 39) } },
	{ "geo bare pair", "at 31.23041,121.47370 now", { PAT_AT(GEO, PLAIN, "31.23041,121.47370", 3, 21) } },
	{ "geo bare pair spaced", "(31.23041, 121.47370)", { PAT(GEO, PLAIN, "31.23041,121.47370") } },
	{ "geo negative", "loc=-33.86785,151.20732", { PAT_AT(GEO, PLAIN, "-33.86785,151.20732", 4, 23) } },
	{ "geo negative both under keys", "{\"lat\":-33.8678,\"lon\":-151.2073}", { PAT(GEO, PLAIN, "-33.8678,-151.2073") } },
	/* private IPv4 */
	{ "ip 10/8", "host=10.1.2.3;", { PAT_AT(PRIVATE_IP, PLAIN, "10.1.2.3", 5, 13) } },
	{ "ip 172.16/12 low", "gw 172.16.5.4", { PAT(PRIVATE_IP, PLAIN, "172.16.5.4") } },
	{ "ip 172.16/12 high", "gw 172.31.255.254", { PAT(PRIVATE_IP, PLAIN, "172.31.255.254") } },
	{ "ip 192.168/16", "{\"ip\":\"192.168.1.100\"}", { PAT_AT(PRIVATE_IP, PLAIN, "192.168.1.100", 7, 20) } },
	/* Wi-Fi SSID and password */
	{ "ssid and password json", "{\"ssid\":\"HomeNet\",\"password\":\"s3cr3t-pw\"}",
	  { PAT(WIFI_SSID, PLAIN, "HomeNet"), PAT(PASSWORD, PLAIN, "s3cr3t-pw") } },
	{ "wifi_ssid json with a space", "{\"wifi_ssid\": \"Cafe Guest\"}", { PAT(WIFI_SSID, PLAIN, "Cafe Guest") } },
	{ "wifiName json", "{\"wifiName\":\"Office\"}", { PAT(WIFI_SSID, PLAIN, "Office") } },
	{ "wifi_password json", "{\"wifi_password\":\"hunter2!\"}", { PAT(PASSWORD, PLAIN, "hunter2!") } },
	{ "passwd json", "{\"passwd\": \"p@ss word\"}", { PAT(PASSWORD, PLAIN, "p@ss word") } },
	{ "ssid form %20, pwd form", "ssid=Home%20Net&pwd=hunter22",
	  { PAT_AT(WIFI_SSID, URL, "Home Net", 0, 15), PAT(PASSWORD, PLAIN, "hunter22") } },
	{ "ssid form +, psk form %21", "?ssid=Home+Net&psk=abc%21def",
	  { PAT(WIFI_SSID, URL, "Home Net"), PAT(PASSWORD, URL, "abc!def") } },
	{ "ssid in URL-encoded JSON", "q=%7B%22ssid%22%3A%22Home%20Net%22%7D", { PAT(WIFI_SSID, URL, "Home Net") } },
};

static const char *const near_misses[] = {
	/* version strings */
	"ver=1.3.8.12345678901",
	"fw v10.2.3.4",
	"os=10.0.19041.1",
	"build 1234.5678.9012",
	/* timestamps */
	"ts=1700000000&",
	"ts=1699999999999",
	"ts=1700000000000",
	"t=2023-11-14T22:13:20Z",
	"t=2023-11-14T22:13:20+08:00",
	/* random hex */
	"md5=5d41402abc4b2a76b9719d911017c592",
	"sha1=aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
	"sha256=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
	"token=0123456789ab",
	"machine_id=0123456789ab",
	"id=a45e60c21b3d",
	/* numbers failing their checks */
	"n=490154203237519",  /* the IMEI above, Luhn fails */
	"n=12012345678",      /* 120 is no mobile prefix */
	"n=11012345678",
	"n=13812345678.5",    /* a decimal */
	"n=138123456789",     /* 12 digits */
	/* addresses */
	"ip=10.0.0.256",
	"dns=8.8.8.8",
	"ip=172.32.0.1",
	"ip=192.169.1.1",
	"ip=10.1.2.3.4",
	/* not e-mail */
	"<img src=\"logo@2x.png\">",
	"url(icon@3x.webp)",
	/* MACs no device has */
	"00:00:00:00:00:00",
	"FF:FF:FF:FF:FF:FF",
	"ff-ff-ff-ff-ff-ff",
	"mac=000000000000",
	/* the nil UUID */
	"00000000-0000-0000-0000-000000000000",
	/* coordinates */
	"{\"lat\":91.0,\"lng\":121.47370}",
	"{\"lat\":91.00000,\"lng\":121.47370}",
	"{\"lat\":31.23041,\"lng\":181.00000}",
	"0.00000,0.00000",
	"{\"lat\":0.00,\"lng\":0.00}",
	"31.2304,121.4737",
	"version 1.23041,121.47370.1",
	/* passwords that are no secret */
	"{\"password\":\"******\"}",
	"password=null",
	"{\"password\":\"null\"}",
	"{\"password\":null}",
	"pwd=xxxxxxxx",
	/* an SSID longer than 802.11 allows */
	"{\"ssid\":\"ThisNetworkNameIsLongerThan32Bytes\"}",
	"ssid=ThisNetworkNameIsLongerThan32Bytes",
};

/* ID numbers and IMEIs whose check the test computes. */
static void test_computed(void)
{
	char id[19], text[64];
	/* a valid ID number, check digit computed */
	memcpy(id, "11010519491231002", 17);
	id[17] = cn_id_check(id);
	id[18] = '\0';
	CHECK(ciot_pii_cn_id_ok(id, 18));
	snprintf(text, sizeof text, "idcard=%s&", id);
	const struct want w1[] = { PAT_AT(CN_ID, PLAIN, id, 7, 25), { 0, 0, 0, NULL, 0, 0 } };
	expect(no_seeds, "cn-id", text, w1);

	/* one whose check character is X, written as x too */
	char idx[19] = "";
	for (unsigned seq = 0; seq < 1000; seq++) {
		snprintf(idx, sizeof idx, "44030419900307%03u", seq);
		if (cn_id_check(idx) == 'X') {
			idx[17] = 'X';
			idx[18] = '\0';
			break;
		}
	}
	if (CHECK_EQ_INT(strlen(idx), 18)) {
		snprintf(text, sizeof text, "{\"id\":\"%s\"}", idx);
		const struct want w2[] = { PAT(CN_ID, PLAIN, idx), { 0, 0, 0, NULL, 0, 0 } };
		expect(no_seeds, "cn-id X", text, w2);
		text[7 + 17] = 'x';
		expect(no_seeds, "cn-id x", text, w2); /* reported with the upper-case X */
		CHECK(ciot_pii_cn_id_ok(text + 7, 18));
	}

	/* a wrong check character */
	memcpy(id, "11010519491231002", 17);
	id[17] = cn_id_check(id) == '1' ? '2' : '1';
	snprintf(text, sizeof text, "idcard=%s", id);
	expect(no_seeds, "cn-id wrong check", text, none);
	CHECK(!ciot_pii_cn_id_ok(id, 18));

	/* February 30th, with a right check character */
	memcpy(id, "11010519900230123", 17);
	id[17] = cn_id_check(id);
	snprintf(text, sizeof text, "idcard=%s", id);
	expect(no_seeds, "cn-id Feb 30", text, none);
	CHECK(!ciot_pii_cn_id_ok(id, 18));

	/* an IMEI with a Luhn digit but a reporting body nobody was given (20) */
	char imei[16] = "20015420323751";
	imei[14] = luhn_digit(imei, 14);
	imei[15] = '\0';
	CHECK(ciot_pii_luhn_ok(imei, 15));
	CHECK(!ciot_pii_imei_ok(imei, 15));
	snprintf(text, sizeof text, "imei=%s", imei);
	expect(no_seeds, "imei body 20", text, none);
	/* the same digits under body 86: found */
	memcpy(imei, "86015420323751", 14);
	imei[14] = luhn_digit(imei, 14);
	snprintf(text, sizeof text, "imei=%s", imei);
	const struct want w3[] = { PAT(IMEI, PLAIN, imei), { 0, 0, 0, NULL, 0, 0 } };
	expect(no_seeds, "imei body 86", text, w3);
}

static void test_patterns(void)
{
	for (size_t i = 0; i < NELEM(pattern_cases); i++)
		expect(no_seeds, pattern_cases[i].name, pattern_cases[i].text, pattern_cases[i].want);
	for (size_t i = 0; i < NELEM(near_misses); i++)
		expect(no_seeds, near_misses[i], near_misses[i], none);
	test_computed();

	/* several kinds in one payload, reported in order of position */
	const struct want several[] = {
		PAT(EMAIL, URL, "a.b@example.com"),
		PAT(PHONE, PLAIN, "+8613812345678"),
		PAT(MAC, PLAIN, "a4:5e:60:c2:1b:3d"),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	expect(no_seeds, "several kinds", "u=a.b%40example.com&tel=13812345678&mac=A4:5E:60:C2:1B:3D", several);

	/* a NUL byte in the payload does not end it */
	const struct want after_nul[] = { PAT_AT(EMAIL, PLAIN, "x@example.com", 4, 17), { 0, 0, 0, NULL, 0, 0 } };
	expect_n(no_seeds, "after a NUL", "a\0b x@example.com", 17, after_nul);

	/* names */
	CHECK_EQ_STR(ciot_pii_kind_name(CIOT_PII_EMAIL), "email");
	CHECK_EQ_STR(ciot_pii_kind_name(CIOT_PII_CN_ID), "cn-id");
	CHECK_EQ_STR(ciot_pii_kind_name(CIOT_PII_WIFI_SSID), "wifi-ssid");
	CHECK_EQ_STR(ciot_pii_kind_name(CIOT_PII_ACCOUNT_ID), "account-id");
	CHECK_EQ_STR(ciot_pii_kind_name(CIOT_PII_NKINDS), "?");
	CHECK_EQ_STR(ciot_pii_method_name(CIOT_PII_PATTERN), "pattern");
	CHECK_EQ_STR(ciot_pii_method_name(CIOT_PII_SEED), "seed");
	CHECK_EQ_STR(ciot_pii_encoding_name(CIOT_PII_BASE64), "base64");
	CHECK_EQ_STR(ciot_pii_encoding_name(CIOT_PII_SHA256), "sha256");
	CHECK_EQ_STR(ciot_pii_encoding_name(CIOT_PII_NENCODINGS), "?");
}

/* The header allows seeds == NULL: the patterns alone. Run in a child: it may crash. */
static void null_seeds(void *arg)
{
	(void)arg;
	const struct want w[] = {
		PAT(EMAIL, PLAIN, "alice@example.com"),
		PAT(PHONE, PLAIN, "+8613812345678"),
		PAT(WIFI_SSID, PLAIN, "HomeNet"),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	expect(NULL, "seeds NULL", "alice@example.com 13812345678 {\"ssid\":\"HomeNet\"}", w);
}

/* ---- seeds ------------------------------------------------------------------------------------- */

static const struct {
	const char *field, *value;
} seed_defs[] = {
	{ "name", "John Smith" },
	{ "email", "Jane.Doe@Example.com" },
	{ "phone", "13912345678" },
	{ "address", "1 Infinite Loop, Cupertino" },
	/* 客厅摄像头 ("living-room camera"): its base64 has '+' and '/', its escapes hex letters */
	{ "device_name", "\xe5\xae\xa2\xe5\x8e\x85\xe6\x91\x84\xe5\x83\x8f\xe5\xa4\xb4" },
	{ "wifi_ssid", "HomeNet-5G" },
	{ "wifi_password", "s3cret pass!" },
	{ "account_id", "user-829301" },
	{ "imei", "356938035643809" },
	{ "mac", "A4:5E:60:C2:1B:3D" },
};

static const uint8_t manifest_macs[][6] = { { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e } };
static const uint8_t seed_mac[6] = { 0xa4, 0x5e, 0x60, 0xc2, 0x1b, 0x3d };

static void build_seeds(void)
{
	struct ciot_pii_seed s[NELEM(seed_defs)];
	for (size_t i = 0; i < NELEM(seed_defs); i++) {
		CHECK(ciot_pii_seed_field(seed_defs[i].field, &s[i].kind));
		s[i].value = (char *)seed_defs[i].value;
	}
	char errbuf[CIOT_ERRBUF_SIZE];
	CHECK_EQ_INT(ciot_pii_seeds_new(&seeds, s, NELEM(s), manifest_macs, NELEM(manifest_macs), errbuf), CIOT_OK);
	CHECK(ciot_pii_seeds_patterns(seeds) > 100);
}

/* Scans "k=<form>&z" and checks the one match is the seed's, over exactly the form's bytes
 * (or, for base64, inside the encoded text between `from` and `to`). */
static void expect_seed(const char *what, enum ciot_pii_kind kind, const char *value, enum ciot_pii_encoding enc,
			const char *form, bool inside)
{
	unsigned before = check_failures;
	char text[1200];
	snprintf(text, sizeof text, "k=%s&z", form);
	size_t from = 2, to = 2 + strlen(form);
	struct sink k;
	CHECK_EQ_INT(scan(seeds, text, strlen(text), &k), 0);
	CHECK(!k.malformed);
	if (CHECK_EQ_INT(k.n, 1)) {
		CHECK_EQ_STR(ciot_pii_method_name(k.g[0].method), "seed");
		CHECK_EQ_STR(ciot_pii_kind_name(k.g[0].kind), ciot_pii_kind_name(kind));
		CHECK_EQ_STR(ciot_pii_encoding_name(k.g[0].encoding), ciot_pii_encoding_name(enc));
		CHECK_EQ_STR(k.g[0].value, value);
		if (inside) {
			CHECK(k.g[0].start >= from && k.g[0].end <= to && k.g[0].end - k.g[0].start >= 8);
		} else {
			CHECK_EQ_INT(k.g[0].start, from);
			CHECK_EQ_INT(k.g[0].end, to);
		}
	}
	if (check_failures != before) {
		fprintf(stderr, "  text: %s\n", text);
		print_got(&k);
	}
	check_case(before, what);
}

/* How many of the base64 texts expect_base64 made differ between the two alphabets: some must. */
static unsigned base64_alphabets_differ;

/* The seed (prefix + value + suffix) in base64, standard and URL-safe, for prefixes of 0 to
 * max_prefix bytes. */
static void expect_base64(const char *what, enum ciot_pii_kind kind, const char *value, const uint8_t *p, size_t n,
			  unsigned max_prefix)
{
	static const uint8_t prefix[] = { 0x7b, 0x22, 0x6e };  /* {"n */
	static const uint8_t suffix[] = { 0x22, 0x7d, 0x0a, 0x00, 0xff }; /* "}\n.. */
	for (unsigned pre = 0; pre <= max_prefix; pre++)
		for (int url = 0; url < 2; url++) {
			uint8_t msg[300];
			memcpy(msg, prefix, pre);
			memcpy(msg + pre, p, n);
			memcpy(msg + pre + n, suffix, sizeof suffix);
			char b64[420], standard[420], name[128];
			base64(msg, pre + n + sizeof suffix, url, b64);
			base64(msg, pre + n + sizeof suffix, false, standard);
			/* the suffix's 0xff makes a '/' in every text: count the seed's own characters */
			base64_alphabets_differ += url && strncmp(b64, standard, (pre + n) * 4 / 3) != 0;
			snprintf(name, sizeof name, "%s base64%s after %u bytes", what, url ? " url-safe" : "", pre);
			expect_seed(name, kind, value, CIOT_PII_BASE64, b64, true);
		}
}

static void expect_digests(const char *what, enum ciot_pii_kind kind, const char *value, const uint8_t *p, size_t n)
{
	static const struct {
		const char *name;
		enum ciot_pii_encoding enc;
	} algs[] = { { "MD5", CIOT_PII_MD5 }, { "SHA1", CIOT_PII_SHA1 }, { "SHA256", CIOT_PII_SHA256 } };
	for (size_t a = 0; a < NELEM(algs); a++) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		const EVP_MD *type = a == 0 ? EVP_md5() : a == 1 ? EVP_sha1() : EVP_sha256();
		if (!CHECK(EVP_Digest(p, n, md, &mdlen, type, NULL)))
			continue;
		for (int upper = 0; upper < 2; upper++) {
			char h[2 * EVP_MAX_MD_SIZE + 1], name[128];
			hex(md, mdlen, upper, h);
			snprintf(name, sizeof name, "%s %s %s", what, algs[a].name, upper ? "upper" : "lower");
			expect_seed(name, kind, value, algs[a].enc, h, false);
		}
	}
}

/* Every encoding of a text seed. Where two encodings are the same bytes ("13912345678" in lower
 * case), the more direct one is reported: plain, lower, upper, url in that order. */
static void test_text_seed(const char *field, const char *value)
{
	enum ciot_pii_kind kind = CIOT_PII_NKINDS;
	CHECK(ciot_pii_seed_field(field, &kind));
	char lower[300], upper[300], form[800], name[128];
	case_of(value, false, lower);
	case_of(value, true, upper);
	snprintf(name, sizeof name, "%s plain", field);
	expect_seed(name, kind, value, CIOT_PII_PLAIN, value, false);
	snprintf(name, sizeof name, "%s lower", field);
	expect_seed(name, kind, value, strcmp(lower, value) ? CIOT_PII_LOWER : CIOT_PII_PLAIN, lower, false);
	snprintf(name, sizeof name, "%s upper", field);
	expect_seed(name, kind, value,
		    !strcmp(upper, value) ? CIOT_PII_PLAIN : !strcmp(upper, lower) ? CIOT_PII_LOWER : CIOT_PII_UPPER,
		    upper, false);
	for (int lower_hex = 0; lower_hex < 2; lower_hex++)
		for (int plus = 0; plus < 2; plus++) {
			percent(value, lower_hex, plus, form);
			snprintf(name, sizeof name, "%s url%s%s", field, lower_hex ? " lower-hex" : "", plus ? " +" : "");
			expect_seed(name, kind, value, strcmp(form, value) ? CIOT_PII_URL : CIOT_PII_PLAIN, form, false);
		}
	for (int up = 0; up < 2; up++) {
		hex((const uint8_t *)value, strlen(value), up, form);
		snprintf(name, sizeof name, "%s hex%s", field, up ? " upper" : "");
		expect_seed(name, kind, value, CIOT_PII_HEX, form, false);
	}
	expect_base64(field, kind, value, (const uint8_t *)value, strlen(value), 2);
	if (kind == CIOT_PII_EMAIL || kind == CIOT_PII_IMEI)
		expect_digests(field, kind, value, (const uint8_t *)value, strlen(value));
	if (kind == CIOT_PII_EMAIL) {
		snprintf(name, sizeof name, "%s lower-cased", field);
		expect_digests(name, kind, value, (const uint8_t *)lower, strlen(lower));
	}
}

/* Every spelling of a MAC seed (value: as the manifest gave it). */
static void test_mac_seed(const char *what, const char *value, const uint8_t mac[6])
{
	char text[64], esc[128], name[128];
	static const struct {
		char sep;
		size_t group; /* bytes between separators */
		const char *name;
		enum ciot_pii_encoding lower, upper;
	} spellings[] = {
		{ ':', 1, "colon", CIOT_PII_PLAIN, CIOT_PII_UPPER },
		{ '-', 1, "dash", CIOT_PII_PLAIN, CIOT_PII_UPPER },
		{ 0, 6, "bare", CIOT_PII_HEX, CIOT_PII_HEX },
		{ '.', 2, "dotted", CIOT_PII_PLAIN, CIOT_PII_UPPER },
	};
	for (size_t f = 0; f < NELEM(spellings); f++)
		for (int up = 0; up < 2; up++) {
			size_t o = 0;
			for (size_t i = 0; i < 6; i++) {
				if (i && i % spellings[f].group == 0)
					text[o++] = spellings[f].sep;
				hex(mac + i, 1, up, text + o);
				o += 2;
			}
			text[o] = '\0';
			snprintf(name, sizeof name, "%s %s %s", what, spellings[f].name, up ? "upper" : "lower");
			expect_seed(name, CIOT_PII_MAC, value, up ? spellings[f].upper : spellings[f].lower, text, false);
			if (f == 0)
				for (int lower_hex = 0; lower_hex < 2; lower_hex++) {
					percent(text, lower_hex, false, esc);
					snprintf(name, sizeof name, "%s colon %s %%3%s", what, up ? "upper" : "lower",
						 lower_hex ? "a" : "A");
					expect_seed(name, CIOT_PII_MAC, value, CIOT_PII_URL, esc, false);
				}
			if (f != 3) {
				snprintf(name, sizeof name, "%s %s %s", what, spellings[f].name, up ? "upper" : "lower");
				expect_digests(name, CIOT_PII_MAC, value, (const uint8_t *)text, strlen(text));
			}
		}
	/* the 6 bytes: base64 at a 3-byte boundary, and digests */
	snprintf(name, sizeof name, "%s bytes", what);
	static const uint8_t three[3] = { 1, 2, 3 };
	for (int pre = 0; pre < 2; pre++)
		for (int url = 0; url < 2; url++) {
			uint8_t msg[12];
			char b64[32], nm[160];
			memcpy(msg, three, pre ? 3 : 0);
			memcpy(msg + (pre ? 3 : 0), mac, 6);
			base64(msg, pre ? 9 : 6, url, b64);
			snprintf(nm, sizeof nm, "%s base64%s%s", name, url ? " url-safe" : "", pre ? " after 3 bytes" : "");
			expect_seed(nm, CIOT_PII_MAC, value, CIOT_PII_BASE64, b64, true);
		}
	expect_digests(name, CIOT_PII_MAC, value, mac, 6);
}

static void test_seeds(void)
{
	for (size_t i = 0; i + 1 < NELEM(seed_defs); i++)
		test_text_seed(seed_defs[i].field, seed_defs[i].value);
	CHECK(base64_alphabets_differ >= 2); /* the device name's, after 1 and 2 bytes */
	test_mac_seed("mac seed", "A4:5E:60:C2:1B:3D", seed_mac);
	test_mac_seed("manifest mac", "00:1a:2b:3c:4d:5e", manifest_macs[0]);

	/* a seed wins over the pattern on its bytes; a pattern elsewhere is still reported */
	const struct want w1[] = {
		SEED_AT(EMAIL, PLAIN, "Jane.Doe@Example.com", 5, 25),
		PAT_AT(EMAIL, PLAIN, "bob@example.org", 30, 45),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	expect(seeds, "seed email over pattern", "from Jane.Doe@Example.com and bob@example.org", w1);
	const struct want w2[] = {
		PAT_AT(PHONE, PLAIN, "+8613812345678", 4, 15),
		SEED_AT(PHONE, PLAIN, "13912345678", 20, 31),
		SEED_AT(MAC, PLAIN, "A4:5E:60:C2:1B:3D", 36, 53),
		SEED_AT(IMEI, PLAIN, "356938035643809", 59, 74),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	expect(seeds, "seed phone, mac, imei over patterns",
	       "tel=13812345678&alt=13912345678&mac=a4:5e:60:c2:1b:3d&imei=356938035643809", w2);
	const struct want w3[] = {
		SEED_AT(EMAIL, URL, "Jane.Doe@Example.com", 6, 28),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	expect(seeds, "seed email %40 over pattern", "email=Jane.Doe%40Example.com", w3);
	const struct want w4[] = {
		SEED_AT(WIFI_SSID, PLAIN, "HomeNet-5G", 9, 19),
		SEED_AT(WIFI_PASSWORD, PLAIN, "s3cret pass!", 33, 45),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	expect(seeds, "seed ssid and password over the key patterns",
	       "{\"ssid\":\"HomeNet-5G\",\"password\":\"s3cret pass!\"}", w4);

	/* leftmost-longest among seeds */
	struct ciot_pii_seed two[] = { { CIOT_PII_NAME, (char *)"John" }, { CIOT_PII_NAME, (char *)"John Smith" } };
	struct ciot_pii_seeds *s2 = NULL;
	char errbuf[CIOT_ERRBUF_SIZE];
	if (CHECK_EQ_INT(ciot_pii_seeds_new(&s2, two, 2, NULL, 0, errbuf), CIOT_OK)) {
		const struct want l1[] = { SEED_AT(NAME, PLAIN, "John Smith", 3, 13), { 0, 0, 0, NULL, 0, 0 } };
		expect(s2, "leftmost-longest", "hi John Smith!", l1);
		const struct want l2[] = { SEED_AT(NAME, PLAIN, "John", 3, 7), { 0, 0, 0, NULL, 0, 0 } };
		expect(s2, "the shorter alone", "hi John Doe", l2);
		const struct want l3[] = {
			SEED_AT(NAME, UPPER, "John", 0, 4),
			SEED_AT(NAME, LOWER, "John Smith", 5, 15),
			{ 0, 0, 0, NULL, 0, 0 },
		};
		expect(s2, "two, cases", "JOHN john smith", l3);
	}
	ciot_pii_seeds_free(s2);

	/* errors */
	struct ciot_pii_seeds *bad = (struct ciot_pii_seeds *)&bad;
	struct ciot_pii_seed shorty[] = { { CIOT_PII_NAME, (char *)"Abc" } };
	errbuf[0] = '\0';
	CHECK_EQ_INT(ciot_pii_seeds_new(&bad, shorty, 1, NULL, 0, errbuf), CIOT_ERR_ARG);
	CHECK(bad == NULL);
	CHECK(errbuf[0] != '\0');
	struct ciot_pii_seed four[] = { { CIOT_PII_NAME, (char *)"Abcd" } };
	CHECK_EQ_INT(ciot_pii_seeds_new(&bad, four, 1, NULL, 0, errbuf), CIOT_OK); /* CIOT_PII_SEED_MIN bytes */
	ciot_pii_seeds_free(bad);
	char longer[CIOT_PII_SEED_MAX + 2];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	struct ciot_pii_seed toolong[] = { { CIOT_PII_ADDRESS, longer } };
	CHECK_EQ_INT(ciot_pii_seeds_new(&bad, toolong, 1, NULL, 0, errbuf), CIOT_ERR_ARG);
	CHECK(bad == NULL);
	static const char *const bad_macs[] = { "not a mac", "a4:5e:60:c2:1b", "a4:5e:60:c2:1b:3d:01", "a4:5e:60:c2:1b:3" };
	for (size_t i = 0; i < NELEM(bad_macs); i++) {
		struct ciot_pii_seed m[] = { { CIOT_PII_MAC, (char *)bad_macs[i] } };
		errbuf[0] = '\0';
		CHECK_EQ_INT(ciot_pii_seeds_new(&bad, m, 1, NULL, 0, errbuf), CIOT_ERR_ARG);
		CHECK_CONTAINS(errbuf, "mac");
		CHECK(bad == NULL);
	}
	struct ciot_pii_seed good_mac[] = { { CIOT_PII_MAC, (char *)"a45e60c21b3d" } };
	CHECK_EQ_INT(ciot_pii_seeds_new(&bad, good_mac, 1, NULL, 0, errbuf), CIOT_OK);
	ciot_pii_seeds_free(bad);
	CHECK_EQ_INT(ciot_pii_seeds_patterns(NULL), 0);
	ciot_pii_seeds_free(NULL);

	/* field names */
	static const struct {
		const char *field;
		enum ciot_pii_kind kind;
	} fields[] = {
		{ "name", CIOT_PII_NAME },
		{ "email", CIOT_PII_EMAIL },
		{ "phone", CIOT_PII_PHONE },
		{ "address", CIOT_PII_ADDRESS },
		{ "device_name", CIOT_PII_DEVICE_NAME },
		{ "wifi_ssid", CIOT_PII_WIFI_SSID },
		{ "wifi_password", CIOT_PII_WIFI_PASSWORD },
		{ "account_id", CIOT_PII_ACCOUNT_ID },
		{ "imei", CIOT_PII_IMEI },
		{ "mac", CIOT_PII_MAC },
	};
	for (size_t i = 0; i < NELEM(fields); i++) {
		enum ciot_pii_kind kind = CIOT_PII_NKINDS;
		CHECK(ciot_pii_seed_field(fields[i].field, &kind));
		CHECK_EQ_INT(kind, fields[i].kind);
	}
	enum ciot_pii_kind kind = CIOT_PII_NKINDS;
	CHECK(!ciot_pii_seed_field("favourite_colour", &kind));
	CHECK(!ciot_pii_seed_field("", &kind));
	CHECK(!ciot_pii_seed_field("Email", &kind));
	CHECK_EQ_INT(kind, CIOT_PII_NKINDS);
}

/* ---- the carry protocol -------------------------------------------------------------------------- */

/* Feeds text[0, n) to the scanner as a stream reader does: in pieces cut at cuts[0, ncuts), each
 * behind the carry (the last min(n, CIOT_PII_CARRY) bytes of the buffer before), more=true on all
 * but the last piece; with `flush` the last piece too says more=true and a final call with only
 * the carry (n == carried) and more=false follows. Matches in stream offsets. */
static size_t scan_stream(const struct ciot_pii_seeds *s, const char *text, size_t n, const size_t *cuts,
			  size_t ncuts, bool flush, struct sink *k)
{
	memset(k, 0, sizeof *k);
	uint8_t *buf = malloc(CIOT_PII_CARRY + n + 1);
	if (!buf)
		return 0;
	size_t carried = 0, dropped = 0;
	bool from_start = true;
	for (size_t p = 0; p <= ncuts; p++) {
		size_t a = p ? cuts[p - 1] : 0, b = p < ncuts ? cuts[p] : n;
		bool more = p < ncuts || flush;
		memmove(buf + carried, text + a, b - a); /* the carry is already at buf[0, carried) */
		size_t len = carried + b - a;
		k->base = a - carried;
		k->buf_n = len;
		k->last_start = 0;
		dropped += ciot_pii_scan(scanner, s, buf, len, carried, from_start, more, collect, k);
		size_t keep = len < CIOT_PII_CARRY ? len : CIOT_PII_CARRY;
		memmove(buf, buf + len - keep, keep);
		carried = keep;
		from_start = b <= CIOT_PII_CARRY; /* the carry still holds the whole stream */
	}
	if (flush) {
		k->base = n - carried;
		k->buf_n = carried;
		k->last_start = 0;
		dropped += ciot_pii_scan(scanner, s, buf, carried, carried, from_start, false, collect, k);
	}
	free(buf);
	sort_got(k);
	return dropped;
}

static bool same_matches(const struct sink *a, const struct sink *b)
{
	if (a->n != b->n || a->overflow || b->overflow)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct got *x = &a->g[i], *y = &b->g[i];
		if (x->kind != y->kind || x->method != y->method || x->encoding != y->encoding || x->start != y->start ||
		    x->end != y->end || strcmp(x->value, y->value))
			return false;
	}
	return true;
}

static unsigned stream_reports;

static bool has_match(const struct sink *k, const struct got *x)
{
	for (size_t i = 0; i < k->n; i++)
		if (x->kind == k->g[i].kind && x->method == k->g[i].method && x->encoding == k->g[i].encoding &&
		    x->start == k->g[i].start && x->end == k->g[i].end && !strcmp(x->value, k->g[i].value))
			return true;
	return false;
}

/* What the pieces reported that the whole did not, and what they missed. */
static void print_diff(const struct sink *whole, const struct sink *pieces)
{
	for (int side = 0; side < 2; side++) {
		const struct sink *a = side ? whole : pieces, *b = side ? pieces : whole;
		for (size_t i = 0; i < a->n; i++)
			if (!has_match(b, &a->g[i]))
				fprintf(stderr, "    %s %s %s %s \"%s\" [%zu, %zu)\n", side ? "missing" : "extra",
					ciot_pii_kind_name(a->g[i].kind), ciot_pii_method_name(a->g[i].method),
					ciot_pii_encoding_name(a->g[i].encoding), a->g[i].value, a->g[i].start, a->g[i].end);
	}
	if (pieces->n != whole->n)
		fprintf(stderr, "    %zu matches instead of %zu\n", pieces->n, whole->n);
}

/* One check: the pieces give the matches of the whole. */
static void expect_stream(const struct ciot_pii_seeds *s, const char *name, const char *text, size_t n,
			  const struct sink *whole, const size_t *cuts, size_t ncuts, bool flush)
{
	struct sink k;
	CHECK_EQ_INT(scan_stream(s, text, n, cuts, ncuts, flush, &k), 0);
	bool ok = !k.malformed && !k.unordered;
	CHECK(ok);
	if (!CHECK(same_matches(&k, whole)) && stream_reports++ < 40) {
		fprintf(stderr, "  ^ %s, %zu pieces, first cut at %zu%s:\n", name, ncuts + 1, ncuts ? cuts[0] : n,
			flush ? ", flushed" : "");
		print_diff(whole, &k);
	}
}

/* The text scanned in pieces gives what it gives whole (which is want[], unless NULL). */
static void test_stream_text(const struct ciot_pii_seeds *s, const char *name, const char *text,
			     const struct want *want)
{
	size_t n = strlen(text);
	struct sink whole;
	unsigned before = check_failures;
	if (want)
		expect(s, name, text, want); /* the matches of the whole, as they should be */
	scan(s, text, n, &whole);
	/* one cut, at every byte */
	for (size_t cut = 0; cut <= n; cut++)
		for (int flush = 0; flush < 2; flush++)
			expect_stream(s, name, text, n, &whole, &cut, 1, flush);
	/* pieces of every size from 1 to 64, and around the carry's size */
	static size_t cuts[4096];
	static const size_t sizes[] = { 100, 200, 255, 256, 257, 300 };
	for (size_t i = 0; i < 64 + NELEM(sizes); i++) {
		size_t size = i < 64 ? i + 1 : sizes[i - 64], ncuts = 0;
		for (size_t c = size; c < n && ncuts < NELEM(cuts); c += size)
			cuts[ncuts++] = c;
		for (int flush = 0; flush < 2; flush++)
			expect_stream(s, name, text, n, &whole, cuts, ncuts, flush);
	}
	check_case(before, name);
}

static void test_carry(void)
{
	/* an e-mail, a phone number and seeds (name, MAC), and some more, all under 256 bytes */
	static const char text[] =
		"POST /bind?user=jane.doe%40mail.example.com&tel=13812345678 HTTP/1.1\r\nX-Owner: John Smith\r\n\r\n"
		"{\"ssid\":\"HomeNet\",\"mac\":\"A4-5E-60-C2-1B-3D\",\"lat\":31.23041,\"lng\":121.47370,\"ip\":\"192.168.1.10\"}";
	const struct want want[] = {
		PAT(EMAIL, URL, "jane.doe@mail.example.com"),
		PAT(PHONE, PLAIN, "+8613812345678"),
		SEED_AT(NAME, PLAIN, "John Smith", 79, 89),
		PAT(WIFI_SSID, PLAIN, "HomeNet"),
		SEED_AT(MAC, UPPER, "A4:5E:60:C2:1B:3D", 118, 135),
		PAT(GEO, PLAIN, "31.23041,121.47370"),
		PAT(PRIVATE_IP, PLAIN, "192.168.1.10"),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	test_stream_text(seeds, "carry, short stream", text, want);

	/* the same after more than CIOT_PII_CARRY bytes of padding: carries cut from a longer stream */
	char longer[1024];
	size_t o = 0;
	while (o < CIOT_PII_CARRY + 60) {
		memcpy(longer + o, "pad=k&", 6);
		o += 6;
	}
	memcpy(longer + o, text, sizeof text);
	struct want shifted[NELEM(want)];
	memcpy(shifted, want, sizeof want);
	for (size_t i = 0; shifted[i].value; i++)
		if (shifted[i].start >= 0) {
			shifted[i].start += (int)o;
			shifted[i].end += (int)o;
		}
	test_stream_text(seeds, "carry, long stream", longer, shifted);

	/* matches at the very start and at the very end of the stream, a plain e-mail last */
	const struct want ends[] = {
		PAT_AT(PHONE, PLAIN, "+8613812345678", 0, 14),
		PAT(MAC, PLAIN, "a4:5e:60:c2:1b:00"),
		PAT_AT(EMAIL, PLAIN, "bob@example.org", 40, 55),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	test_stream_text(seeds, "carry, edges", "+8613812345678 mac=a4:5e:60:c2:1b:00 to=bob@example.org", ends);

	/* near misses that only the byte after a match tells apart, and a sentence's full stop */
	const struct want decimals[] = {
		PAT_AT(EMAIL, PLAIN, "a.b@mail.example.org", 38, 58),
		{ 0, 0, 0, NULL, 0, 0 },
	};
	test_stream_text(seeds, "carry, decimals", "v=13812345678.5&ip=192.168.1.1.5 mail a.b@mail.example.org.", decimals);

	/* every pattern case and near miss, split everywhere */
	for (size_t i = 0; i < NELEM(pattern_cases); i++)
		test_stream_text(no_seeds, pattern_cases[i].name, pattern_cases[i].text, NULL);
	for (size_t i = 0; i < NELEM(near_misses); i++)
		test_stream_text(no_seeds, near_misses[i], near_misses[i], NULL);
}

/* ---- checks and redaction --------------------------------------------------------------------- */

static void test_checks(void)
{
	CHECK(ciot_pii_luhn_ok("79927398713", 11));
	CHECK(!ciot_pii_luhn_ok("79927398710", 11));
	CHECK(ciot_pii_luhn_ok("0", 1));
	CHECK(!ciot_pii_luhn_ok("", 0));
	CHECK(!ciot_pii_luhn_ok("7992739871a", 11));
	CHECK(ciot_pii_luhn_ok("490154203237518", 15));
	CHECK(ciot_pii_imei_ok("490154203237518", 15));
	CHECK(ciot_pii_imei_ok("356938035643809", 15));
	CHECK(!ciot_pii_imei_ok("490154203237519", 15));
	CHECK(!ciot_pii_imei_ok("49015420323751", 14));
	CHECK(!ciot_pii_imei_ok("4901542032375180", 16));
	char imei[16];
	for (unsigned body = 0; body < 100; body++) {
		static const unsigned listed[] = { 1, 10, 30, 33, 35, 44, 45, 49, 50, 51, 52, 53, 54, 86, 91, 98, 99 };
		bool known = false;
		for (size_t i = 0; i < NELEM(listed); i++)
			known |= listed[i] == body;
		snprintf(imei, sizeof imei, "%02u015420323751", body);
		imei[14] = luhn_digit(imei, 14);
		imei[15] = '\0';
		if (!CHECK_EQ_INT(ciot_pii_imei_ok(imei, 15), known))
			fprintf(stderr, "  ^ reporting body %02u\n", body);
	}

	char id[19];
	memcpy(id, "11010519491231002", 17);
	id[17] = cn_id_check(id);
	CHECK(ciot_pii_cn_id_ok(id, 18));
	CHECK(!ciot_pii_cn_id_ok(id, 17));
	static const struct {
		const char *date;
		bool ok;
	} dates[] = {
		{ "20000229", true },  { "19000229", false }, { "19960229", true }, { "19970229", false },
		{ "19900230", false }, { "19901231", true },  { "19901301", false }, { "19900001", false },
		{ "19900100", false }, { "19900431", false }, { "18991231", false }, { "20991231", true },
	};
	for (size_t i = 0; i < NELEM(dates); i++) {
		snprintf(id, sizeof id, "110105%s123", dates[i].date);
		id[17] = cn_id_check(id);
		id[18] = '\0';
		if (!CHECK_EQ_INT(ciot_pii_cn_id_ok(id, 18), dates[i].ok))
			fprintf(stderr, "  ^ %s\n", id);
		char wrong = id[17] == '0' ? '1' : '0';
		id[17] = wrong;
		CHECK(!ciot_pii_cn_id_ok(id, 18));
	}
	memcpy(id, "1101051949123100a", 17);
	id[17] = '1';
	CHECK(!ciot_pii_cn_id_ok(id, 18));
}

static void test_redact(void)
{
	uint8_t key[CIOT_PII_KEY_LEN], key2[CIOT_PII_KEY_LEN];
	for (size_t i = 0; i < CIOT_PII_KEY_LEN; i++) {
		key[i] = (uint8_t)(i * 7 + 1);
		key2[i] = (uint8_t)(i * 7 + 2);
	}
	char hash[CIOT_PII_HASH_HEX], hash2[CIOT_PII_HASH_HEX], hint[CIOT_PII_HINT_MAX];
	const char *v = "jonathan";
	ciot_pii_redact(key, v, strlen(v), hash, hint);
	CHECK_EQ_INT(strlen(hash), 32);
	CHECK_EQ_INT(strspn(hash, "0123456789abcdef"), 32);
	CHECK_EQ_STR(hint, "j\xe2\x80\xa6n (8)");
	/* the first 16 bytes of HMAC-SHA-256 */
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char expected[65];
	if (CHECK(HMAC(EVP_sha256(), key, sizeof key, (const uint8_t *)v, strlen(v), md, &mdlen) != NULL)) {
		hex(md, 16, false, expected);
		CHECK_EQ_STR(hash, expected);
	}
	ciot_pii_redact(key, v, strlen(v), hash2, hint);
	CHECK_EQ_STR(hash2, hash);
	ciot_pii_redact(key2, v, strlen(v), hash2, hint);
	CHECK(strcmp(hash2, hash) != 0);
	ciot_pii_redact(key, "jonathaN", 8, hash2, hint);
	CHECK(strcmp(hash2, hash) != 0);
	CHECK_EQ_STR(hint, "j\xe2\x80\xa6N (8)");
	/* the length given, not the terminator, counts */
	ciot_pii_redact(key, "jonathan and more", 8, hash2, hint);
	CHECK_EQ_STR(hash2, hash);

	static const struct {
		const char *value, *hint;
	} hints[] = {
		{ "abcd", "\xe2\x80\xa6 (4)" },
		{ "abcde", "\xe2\x80\xa6 (5)" },
		{ "abcdef", "a\xe2\x80\xa6" "f (6)" },
		{ "a", "\xe2\x80\xa6 (1)" },
		{ "", "\xe2\x80\xa6 (0)" },
		{ "John Smith", "J\xe2\x80\xa6h (10)" },
		/* characters, not bytes: 6 Chinese characters of 3 bytes */
		{ "\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c\xe5\xb0\x8f\xe5\xa7\x90",
		  "\xe6\xac\xa7\xe2\x80\xa6\xe5\xa7\x90 (6)" },
		/* 3 of them: only the length */
		{ "\xe5\xbc\xa0\xe4\xb8\x89\xe4\xb8\xb0", "\xe2\x80\xa6 (3)" },
		/* a 4-byte character last */
		{ "hello \xf0\x9f\x98\x80", "h\xe2\x80\xa6\xf0\x9f\x98\x80 (7)" },
		/* a stray byte counts as one character */
		{ "abcdef\xff", "a\xe2\x80\xa6\xff (7)" },
	};
	for (size_t i = 0; i < NELEM(hints); i++) {
		ciot_pii_redact(key, hints[i].value, strlen(hints[i].value), hash, hint);
		CHECK_EQ_STR(hint, hints[i].hint);
		CHECK_EQ_INT(strlen(hash), 32);
	}
}

int main(void)
{
	char errbuf[CIOT_ERRBUF_SIZE];
	if (!CHECK_EQ_INT(ciot_pii_patterns_new(&patterns, errbuf), CIOT_OK) ||
	    !CHECK_EQ_INT(ciot_pii_scanner_new(&scanner, patterns, errbuf), CIOT_OK) ||
	    !CHECK_EQ_INT(ciot_pii_seeds_new(&no_seeds, NULL, 0, NULL, 0, errbuf), CIOT_OK))
		return check_summary("pii");
	build_seeds();
	test_patterns();
	CHECK_SURVIVES(null_seeds, NULL);
	if (seeds) {
		test_seeds();
		test_carry();
	}
	test_checks();
	test_redact();
	ciot_pii_seeds_free(seeds);
	ciot_pii_seeds_free(no_seeds);
	ciot_pii_scanner_free(scanner);
	ciot_pii_patterns_free(patterns);
	ciot_pii_scanner_free(NULL);
	ciot_pii_patterns_free(NULL);
	return check_summary("pii");
}
