/* test-compare.c: ciot_compare (report/compare.c) on two hand-made databases whose differences are
 * known: rows on both sides, on one side only, NULL keys and NULL values, an attribute that changed,
 * settings that differ in meta; the same file twice (every export, every row both, nothing changed);
 * databases of different schema versions refused; CSV's one table; the JSON document.
 *
 *   A: cam (camera)  setup: 47.1.1.1 CN vendor.com Acme first 1000 B; 8.8.8.8 US Google third 100 B
 *      plug (plug)   setup: 5.1.1.1 DE (no domain) third 300 B, no encryption classes
 *      meta: no home_country, encryption method "m1"
 *   B: cam (camera)  setup: 47.1.1.1 CN vendor.com Acme first 1500 B; 9.9.9.9 CH Quad9 third 200 B
 *      plug (plug)   setup: 5.1.1.1 DE support 300 B, all of it encrypted (2 packets)
 *      meta: home_country DE, encryption method "m2"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "check.h"
#include "ciot/report.h"
#include "store.h"
#include "testdb.h"
#include "testfs.h"

static long long ts;

static void flow(sqlite3 *db, long long capture_id, const char *remote, long long bytes, const char *country,
		 const char *domain, const char *organization, const char *party, int encrypted_packets)
{
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "INSERT INTO flows (capture_id, transport, ip_version, device_ip, device_port, remote_ip, remote_port,"
		 " remote_scope, initiator, first_us, last_us, packets_out, bytes_out, payload_out, packets_in, bytes_in,"
		 " payload_in, tcp_flags_out, tcp_flags_in, app_proto, ndpi_category, ndpi_guessed, end_reason,"
		 " entropy_encrypted_packets, proprietary_encryption, encrypted_packets, encrypted_bytes,"
		 " encrypted_payload_bytes) VALUES"
		 " (%lld, 'tcp', 4, '10.0.0.2', 40000, '%s', 443, 'internet', 'device', %lld, %lld, 3, %lld, 0, 2, 0, 0,"
		 " 0, 0, 'TLS', 'Web', 0, 'closed', 0, 0, %d, %lld, %lld)",
		 capture_id, remote, ts, ts + 1000, bytes, encrypted_packets, encrypted_packets ? bytes : 0,
		 encrypted_packets ? bytes / 2 : 0);
	ts += 1000000;
	testdb_exec(db, sql);
	long long flow_id = sqlite3_last_insert_rowid(db);
	char dom[300], org[300];
	snprintf(dom, sizeof dom, domain ? "'%s'" : "NULL", domain);
	snprintf(org, sizeof org, organization ? "'%s'" : "NULL", organization);
	snprintf(sql, sizeof sql,
		 "INSERT INTO destinations (flow_id, name, name_source, domain, country, organization, party, party_rule)"
		 " VALUES (%lld, %s, %s, %s, '%s', %s, '%s', 'test')",
		 flow_id, dom, domain ? "'dns'" : "NULL", dom, country, org, party);
	testdb_exec(db, sql);
}

/* Builds database `name` in dir, side 'a' or 'b' as the header says. */
static void build(const char *dir, const char *name, char side, char path[PATH_MAX])
{
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_store *store = NULL;
	testfs_path(path, dir, name);
	if (ciot_store_open(&store, path, errbuf)) {
		fprintf(stderr, "test-compare: %s\n", errbuf);
		exit(1);
	}
	sqlite3 *db = ciot_store_db(store);
	ts = 1700000000000000LL; /* the same times on both sides */
	testdb_exec(db, "INSERT OR REPLACE INTO meta VALUES ('last_run_at', 'now')");
	/* written whole, as a finished run leaves it (an incomplete database is refused) */
	testdb_exec(db, "INSERT OR REPLACE INTO meta VALUES ('complete', '1')");
	long long cam = testdb_device(db, "cam", "camera", "acme", NULL);
	long long plug = testdb_device(db, "plug", "plug", "acme", NULL);
	long long c = testdb_capture(db, cam, "setup"), p = testdb_capture(db, plug, "setup");
	if (side == 'a') {
		testdb_exec(db, "INSERT OR REPLACE INTO meta VALUES ('encryption_method', 'm1')");
		flow(db, c, "47.1.1.1", 1000, "CN", "vendor.com", "Acme", "first", 0);
		flow(db, c, "8.8.8.8", 100, "US", NULL, "Google", "third", 0);
		flow(db, p, "5.1.1.1", 300, "DE", NULL, NULL, "third", 0);
	} else {
		testdb_exec(db, "INSERT OR REPLACE INTO meta VALUES ('encryption_method', 'm2')");
		testdb_exec(db, "INSERT OR REPLACE INTO meta VALUES ('home_country', 'DE')");
		flow(db, c, "47.1.1.1", 1500, "CN", "vendor.com", "Acme", "first", 0);
		flow(db, c, "9.9.9.9", 200, "CH", NULL, "Quad9", "third", 0);
		flow(db, p, "5.1.1.1", 300, "DE", NULL, NULL, "support", 2);
	}
	ciot_store_close(store);
}

static char *compare(struct ciot_compare *c, const char *table, enum ciot_export_format format,
		     const struct ciot_export_params *params)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	const char *tables[] = { table };
	enum ciot_rc rc = ciot_compare_export(c, table ? tables : NULL, table ? 1 : 0, format, params, out, errbuf);
	fclose(out);
	if (!CHECK_EQ_INT(rc, CIOT_OK))
		fprintf(stderr, "  compare %s: %s\n", table ? table : "(default)", errbuf);
	return text;
}

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
			fprintf(stderr, "  missing line: %s\n  in:\n%s", (line), (csv) ? (csv) : "(null)");        \
	} while (0)

static void test_rows(struct ciot_compare *c)
{
	/* organizations: text keys by default; Acme on both sides (bytes 1000 -> 1500), Google only in A,
	 * Quad9 only in B */
	char *csv = compare(c, "organizations", CIOT_EXPORT_CSV, NULL);
	CHECK(csv && !strncmp(csv, "organization,present,a_devices,b_devices,diff_devices,a_flows,b_flows,diff_flows,"
				   "a_bytes,b_bytes,diff_bytes,a_domains,b_domains,changed\n",
			      strlen("organization,present,a_devices,b_devices,diff_devices,a_flows,b_flows,diff_flows,"
				     "a_bytes,b_bytes,diff_bytes,a_domains,b_domains,changed\n")));
	free(csv);
	/* domains is text, so a key of organizations: declared keys make it an attribute */
	csv = compare(c, "organizations", CIOT_EXPORT_CSV, NULL);
	CHECK_LINE(csv, "Acme,both,1,1,0,1,1,0,1000,1500,500,vendor.com,vendor.com,bytes");
	CHECK_LINE(csv, "Google,a,1,,,1,,,100,,,,,");
	CHECK_LINE(csv, "Quad9,b,,1,,,1,,,200,,,,");
	free(csv);

	/* destinations: declared keys (device, category, phase, remote_ip, interception: NULL on both
	 * sides, matched with IS); the party is an attribute that changed */
	csv = compare(c, "destinations", CIOT_EXPORT_CSV, NULL);
	CHECK(csv && strstr(csv, "\nplug,plug,setup,5.1.1.1,,both,"));
	CHECK(csv && strstr(csv, ",third,support,") && strstr(csv, ",party\n"));
	CHECK(csv && strstr(csv, "\ncam,camera,setup,47.1.1.1,,both,") && strstr(csv, ",1000,1500,500,"));
	CHECK(csv && strstr(csv, "\ncam,camera,setup,8.8.8.8,,a,"));
	CHECK(csv && strstr(csv, "\ncam,camera,setup,9.9.9.9,,b,"));
	free(csv);

	/* NULL values: the plug had no classified traffic in A (shares empty), all encrypted in B: the
	 * diff of an empty value is empty */
	csv = compare(c, "encryption-heatmap", CIOT_EXPORT_CSV, NULL);
	CHECK_LINE(csv, "plug,setup,encrypted,both,,1.000000,,,1.000000,,0,1,1,1,1,0,,1.000000,,"
			"\"byte_share,packet_share,devices,payload_byte_share\"");
	free(csv);

	/* the home country: each database's own (A none: CN; B DE), or --home for both */
	csv = compare(c, "countries", CIOT_EXPORT_CSV, NULL);
	CHECK(csv && strstr(csv, "\ndevice,plug,setup,DE,both,1,0,"));
	free(csv);
	struct ciot_export_params cn = { .home_country = "CN" };
	csv = compare(c, "countries", CIOT_EXPORT_CSV, &cn);
	CHECK(csv && strstr(csv, "\ndevice,plug,setup,DE,both,1,1,"));
	free(csv);
}

static void test_meta(struct ciot_compare *c)
{
	char differ[256];
	CHECK_EQ_INT(ciot_compare_differences(c, NULL, differ, sizeof differ), 3);
	CHECK_EQ_STR(differ, "encryption_method, home_country, report_home");
	struct ciot_export_params de = { .home_country = "DE" };
	CHECK_EQ_INT(ciot_compare_differences(c, &de, differ, sizeof differ), 2);
	char *csv = compare(c, "meta", CIOT_EXPORT_CSV, NULL);
	CHECK(csv && !strncmp(csv, "item,kind,a,b,same\nfile,file,", 29));
	CHECK_LINE(csv, "encryption_method,option,m1,m2,no");
	CHECK_LINE(csv, "home_country,option,,DE,no");
	CHECK_LINE(csv, "report_home,option,CN,DE,no");
	CHECK_LINE(csv, "schema_version,data,9,9,yes");
	CHECK_LINE(csv, "last_run_at,run,now,now,yes");
	free(csv);

	/* the document: JSON with meta and the default exports, the differences named */
	char *json = compare(c, NULL, CIOT_EXPORT_JSON, NULL);
	json_error_t error;
	json_t *doc = json ? json_loads(json, 0, &error) : NULL;
	if (!CHECK(json_is_object(doc)))
		fprintf(stderr, "  %s\n", json ? error.text : "no output");
	json_t *exports = json_object_get(doc, "exports");
	CHECK(json_is_array(json_object_get(exports, "meta")));
	for (size_t i = 0; ciot_compare_default(i); i++)
		CHECK(json_is_array(json_object_get(exports, ciot_compare_default(i))));
	CHECK_EQ_INT(json_array_size(json_object_get(doc, "differences")), 3);
	CHECK(json_is_false(json_object_get(doc, "same_file")));
	json_decref(doc);
	free(json);
	char *md = compare(c, NULL, CIOT_EXPORT_MD, NULL);
	CHECK(md && strstr(md, "- Settings and data that differ (meta): encryption_method, home_country, report_home\n"));
	CHECK(md && strstr(md, "\n## countries\n\n| scope | name | phase | country | present |"));
	free(md);

	/* CSV is one table; an unknown export is refused */
	char errbuf[CIOT_ERRBUF_SIZE];
	const char *two[] = { "countries", "parties" }, *unknown[] = { "no-such-export" };
	FILE *out = fopen("/dev/null", "w");
	CHECK_EQ_INT(ciot_compare_export(c, two, 2, CIOT_EXPORT_CSV, NULL, out, errbuf), CIOT_ERR_ARG);
	CHECK_CONTAINS(errbuf, "CSV holds one table");
	CHECK_EQ_INT(ciot_compare_export(c, unknown, 1, CIOT_EXPORT_MD, NULL, out, errbuf), CIOT_ERR_ARG);
	fclose(out);
}

/* The same file twice: every export compares, every row is on both sides, nothing changed. */
static void test_same_file(const char *path)
{
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_compare *c = NULL;
	if (!CHECK_EQ_INT(ciot_compare_open(&c, path, path, errbuf), CIOT_OK)) {
		fprintf(stderr, "  %s\n", errbuf);
		return;
	}
	CHECK(ciot_compare_same_file(c));
	const struct ciot_query *q;
	for (size_t i = 0; (q = ciot_query_get(i)); i++) {
		char *json = compare(c, q->name, CIOT_EXPORT_JSON, NULL);
		json_error_t error;
		json_t *doc = json ? json_loads(json, 0, &error) : NULL, *rows = json_object_get(json_object_get(doc, "exports"), q->name);
		if (!CHECK(json_is_array(rows)))
			fprintf(stderr, "  %s: not a JSON array\n", q->name);
		size_t j;
		json_t *row;
		json_array_foreach(rows, j, row)
		{
			if (!CHECK_EQ_STR(json_string_value(json_object_get(row, "present")), "both") ||
			    !CHECK_EQ_STR(json_string_value(json_object_get(row, "changed")), ""))
				fprintf(stderr, "  %s: row %zu\n", q->name, j);
		}
		json_decref(doc);
		free(json);
	}
	ciot_compare_close(c);
}

static void test_refused(const char *dir, const char *a)
{
	char old[PATH_MAX], errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_compare *c = NULL;
	build(dir, "old.db", 'a', old);
	sqlite3 *db = NULL;
	sqlite3_open(old, &db);
	testdb_exec(db, "UPDATE meta SET value = '8' WHERE key = 'schema_version'");
	sqlite3_close(db);
	CHECK_EQ_INT(ciot_compare_open(&c, a, old, errbuf), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(errbuf, "schema version 9");
	CHECK_CONTAINS(errbuf, "version 8");
	CHECK(c == NULL);
	CHECK_EQ_INT(ciot_compare_open(&c, old, old, errbuf), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(errbuf, "this ciot reads version 9");
	char junk[PATH_MAX];
	testfs_write_text(junk, dir, "junk.db", "not a database, not at all, no.\n");
	CHECK(ciot_compare_open(&c, a, junk, errbuf) != CIOT_OK);
	CHECK_CONTAINS(errbuf, "junk.db");
	/* a path with the characters a URI gives a meaning to */
	char odd[PATH_MAX], errbuf2[CIOT_ERRBUF_SIZE];
	build(dir, "odd?name#1%.db", 'b', odd);
	CHECK_EQ_INT(ciot_compare_open(&c, a, odd, errbuf2), CIOT_OK);
	ciot_compare_close(c);
}

int main(void)
{
	char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX], errbuf[CIOT_ERRBUF_SIZE];
	testfs_mkdtemp(dir, "compare");
	build(dir, "a.db", 'a', a);
	build(dir, "b.db", 'b', b);
	struct ciot_compare *c = NULL;
	if (!CHECK_EQ_INT(ciot_compare_open(&c, a, b, errbuf), CIOT_OK)) {
		fprintf(stderr, "  %s\n", errbuf);
		return check_summary("compare");
	}
	CHECK(!ciot_compare_same_file(c));
	test_rows(c);
	test_meta(c);
	ciot_compare_close(c);
	test_same_file(a);
	test_refused(dir, a);
	testfs_rmtree(dir);
	return check_summary("compare");
}
