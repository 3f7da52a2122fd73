/* test-svg.c: the SVG writer the figures draw with (report/svg.c) and the figures' registry.
 *
 * The writer: every text from a database is escaped (the five XML specials, control characters,
 * bytes that are not UTF-8, U+FFFE), cut text ends in an ellipsis on a character boundary, numbers
 * have one format (two decimals at most, no "-0", no exponent, no NaN), the palette and the ramp are
 * what docs/figures.md says. The figures: on a small database with a hostile category name, every
 * figure either draws (the same bytes twice, the name escaped, a <title> on every mark) or says it
 * has no data and writes nothing; the registry's names are unique and every figure has a method.
 * Well-formedness and rendering of whole figures are checked by tests/integration/figures.sh
 * (xmllint, rsvg-convert) on real databases.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "ciot/figures.h"
#include "ciot/store.h"
#include "svg.h"
#include "testdb.h"
#include "testfs.h"

static char *escaped(const char *text, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ciot_svg_escape(out, text, max);
	fclose(out);
	return buf;
}

static void test_escape(void)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} cases[] = {
		{ "plain", 0, "plain" },
		{ "<script>alert(\"x\")</script>", 0, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" },
		{ "a & b's", 0, "a &amp; b&#39;s" },
		{ "tab\there\x01\x1f\x7f", 0, "tab here   " },
		{ "bad\xff\xfe", 0, "bad\xef\xbf\xbd\xef\xbf\xbd" },                /* not UTF-8 */
		{ "\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd" },                      /* an overlong '/' */
		{ "\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },      /* a surrogate */
		{ "cut\xe4\xb8", 0, "cut\xef\xbf\xbd\xef\xbf\xbd" },                /* a sequence cut short */
		{ "\xef\xbf\xbe", 0, "\xef\xbf\xbd" },                              /* U+FFFE */
		{ "\xe4\xb8\xad\xe5\x9b\xbd ok", 0, "\xe4\xb8\xad\xe5\x9b\xbd ok" }, /* UTF-8 kept */
		{ "abcdef", 4, "abc\xe2\x80\xa6" },
		{ "abcd", 4, "abcd" },
		{ "\xe4\xb8\xad\xe5\x9b\xbd\xe4\xb8\xad\xe5\x9b\xbd", 3, "\xe4\xb8\xad\xe5\x9b\xbd\xe2\x80\xa6" },
		{ "<<<<<", 3, "&lt;&lt;\xe2\x80\xa6" },
		{ "", 0, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = escaped(cases[i].in, cases[i].max);
		CHECK_EQ_STR(got, cases[i].out);
		free(got);
	}
	CHECK_EQ_INT(ciot_svg_chars("\xe4\xb8\xad\xe5\x9b\xbd"), 2);
	CHECK_EQ_INT(ciot_svg_chars("a\xff"), 2);
}

static void test_numbers(void)
{
	static const struct {
		double v;
		const char *out;
	} cases[] = {
		{ 0, "0" },        { 12.5, "12.5" },     { 3, "3" },        { 3.0049, "3" },   { 3.006, "3.01" },
		{ -0.001, "0" },   { -0.25, "-0.25" },   { 100, "100" },    { 0.1, "0.1" },    { 1e20, "1000000000000" },
		{ -1e20, "-1000000000000" }, { 1.0 / 3, "0.33" }, { 2.0 / 3, "0.67" }, { 120.10, "120.1" },
	};
	char buf[CIOT_SVG_NUM_SIZE];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_EQ_STR(ciot_svg_num(buf, cases[i].v), cases[i].out);
	double nan = strtod("nan", NULL), inf = strtod("inf", NULL);
	CHECK_EQ_STR(ciot_svg_num(buf, nan), "0");
	CHECK_EQ_STR(ciot_svg_num(buf, inf), "0");
}

static void test_colours(void)
{
	char buf[8];
	int dark = -1;
	CHECK_EQ_STR(ciot_svg_category_colour(0), "#0072B2");
	CHECK_EQ_STR(ciot_svg_category_colour(8), "#0072B2"); /* cycles */
	CHECK_EQ_STR(ciot_svg_ramp(0, buf, &dark), "#440154");
	CHECK_EQ_INT(dark, 0);
	CHECK_EQ_STR(ciot_svg_ramp(1, buf, &dark), "#fde725");
	CHECK_EQ_INT(dark, 1);
	CHECK_EQ_STR(ciot_svg_ramp(7, buf, NULL), "#fde725"); /* clamped */
	CHECK_EQ_STR(ciot_svg_ramp(-1, buf, NULL), "#440154");
}

/* A database with one device of a hostile category whose traffic went to two countries. */
static void build(sqlite3 *db)
{
	long long dev = testdb_device(db, "cam&1", "<cat>\"&", "acme", NULL);
	long long cap = testdb_capture(db, dev, "setup");
	static const struct {
		const char *ip, *country, *org;
		long long bytes;
	} flows[] = { { "1.2.3.4", "US", "Org <One>", 3000 }, { "5.6.7.8", "CN", "Two & Co", 1000 } };
	for (size_t i = 0; i < 2; i++) {
		char sql[2048];
		snprintf(sql, sizeof sql,
			 "INSERT INTO flows (capture_id, transport, ip_version, device_ip, device_port, remote_ip, remote_port,"
			 " remote_scope, initiator, first_us, last_us, packets_out, bytes_out, payload_out, packets_in,"
			 " bytes_in, payload_in, tcp_flags_out, tcp_flags_in, app_proto, ndpi_category, ndpi_guessed,"
			 " end_reason, entropy_encrypted_packets, proprietary_encryption) VALUES (%lld, 'tcp', 4, '10.0.0.2',"
			 " 40000, '%s', 443, 'internet', 'device', %zu, %zu, 3, %lld, 0, 2, 0, 0, 0, 0, 'TLS', 'Web', 0,"
			 " 'closed', 0, 0)",
			 cap, flows[i].ip, 1700000000000000 + i, 1700000000001000 + i, flows[i].bytes);
		testdb_exec(db, sql);
		snprintf(sql, sizeof sql,
			 "INSERT INTO destinations (flow_id, name, name_source, domain, country, organization, party,"
			 " party_rule) VALUES (%lld, 'x.example', 'dns', 'example', '%s', '%s', 'third', 'test')",
			 sqlite3_last_insert_rowid(db), flows[i].country, flows[i].org);
		testdb_exec(db, sql);
	}
}

static char *draw(sqlite3 *db, const struct ciot_figure *f, enum ciot_rc *rc)
{
	char *buf = NULL, errbuf[CIOT_ERRBUF_SIZE] = "";
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	*rc = f->draw(db, NULL, out, errbuf);
	fclose(out);
	if (*rc && *rc != CIOT_FIGURE_NO_DATA)
		fprintf(stderr, "  %s: %s\n", f->name, errbuf);
	if (*rc == CIOT_FIGURE_NO_DATA)
		CHECK(errbuf[0] != 0); /* the reason */
	return buf;
}

/* Every mark (rect with a fill but the background, path) has a <title>. */
static bool marks_titled(const char *svg)
{
	for (const char *p = strstr(svg, "<path "); p; p = strstr(p + 1, "<path "))
		if (strncmp(strchr(p, '>'), "><title>", 8))
			return false;
	return true;
}

static void test_figures(const char *dir)
{
	char path[PATH_MAX], errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_store *store;
	testfs_path(path, dir, "f.db");
	if (!CHECK_EQ_INT(ciot_store_open(&store, path, errbuf), CIOT_OK))
		return;
	sqlite3 *db = ciot_store_db(store);
	build(db);
	size_t drawn = 0;
	const struct ciot_figure *f;
	for (size_t i = 0; (f = ciot_figure_get(i)); i++) {
		CHECK(f->method && strlen(f->method) > 20 && f->title && f->draw);
		CHECK(ciot_figure_find(f->name) == f);
		enum ciot_rc rc1, rc2;
		char *a = draw(db, f, &rc1), *b = draw(db, f, &rc2);
		CHECK(rc1 == CIOT_OK || rc1 == CIOT_FIGURE_NO_DATA);
		CHECK_EQ_INT(rc1, rc2);
		CHECK_EQ_STR(a, b); /* the same database, the same bytes */
		if (rc1 == CIOT_OK) {
			drawn++;
			CHECK(!strncmp(a, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44));
			CHECK(!strstr(a, "<cat>") && !strstr(a, "<script") && !strstr(a, "Org <One>"));
			CHECK(!strstr(a, "nan") && !strstr(a, "inf\"") && !strstr(a, "=\"-0\""));
			CHECK(marks_titled(a));
			CHECK(strlen(a) > 20 && !strcmp(a + strlen(a) - 7, "</svg>\n"));
		} else {
			CHECK_EQ_STR(a, ""); /* nothing written */
		}
		free(a);
		free(b);
	}
	/* sankey, overseas, encryption, parties, organizations draw; the TLS and shaping ones have no data */
	CHECK_EQ_INT(drawn, 5);
	CHECK(ciot_figure_find("sankey") && !ciot_figure_find("nope"));
	ciot_store_close(store);
}

int main(void)
{
	char dir[PATH_MAX];
	testfs_mkdtemp(dir, "svg");
	test_escape();
	test_numbers();
	test_colours();
	test_figures(dir);
	testfs_rmtree(dir);
	return check_summary("svg");
}
