/* testdb.h: hand-made analysis databases for the tests of what reads them (exports, destinations):
 * the store's own schema, filled with SQL rows whose numbers the tests work out by hand; and the
 * queries the end-to-end tests read a database back with. */
#ifndef CIOT_TEST_DB_H
#define CIOT_TEST_DB_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

/* Runs SQL; a failure ends the test (nothing after it could be trusted). */
static inline void testdb_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "testdb: %s\n  in: %s\n", err, sql);
		exit(1);
	}
}

/* A device row; `manifest` is SQL (a quoted JSON string, or NULL). */
static inline long long testdb_device(sqlite3 *db, const char *name, const char *category, const char *brand,
				      const char *manifest)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "INSERT INTO devices (name, brand, category, macs, ips, manifest) VALUES ('%s', '%s', '%s', '[]', '[]',"
		 " %s)",
		 name, brand, category, manifest ? manifest : "NULL");
	testdb_exec(db, sql);
	return sqlite3_last_insert_rowid(db);
}

/* A capture row of one phase, with nothing in it but what the columns require. */
static inline long long testdb_capture(sqlite3 *db, long long device_id, const char *phase)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "INSERT INTO captures (device_id, file, phase, frames, frame_bytes, ip_packets, skipped_frames,"
		 " malformed_frames, flows, device_packets, device_bytes, other_flows, other_packets, device_method,"
		 " device_addresses, file_format, file_size, file_truncated, frames_outside_windows, dns_responses,"
		 " dns_malformed, names_dropped, analyzed_at) VALUES (%lld, '/lab/%lld-%s.pcap', '%s', 0, 0, 0, 0, 0,"
		 " 0, 0, 0, 0, 0, 'ip', '[]', 'pcap', 0, 0, 0, 0, 0, 0, '2026-11-22T00:00:00Z')",
		 device_id, device_id, phase, phase);
	testdb_exec(db, sql);
	return sqlite3_last_insert_rowid(db);
}

__attribute__((format(printf, 2, 0)))
static inline const char *testdb_vtext(sqlite3 *db, const char *fmt, va_list ap)
{
	static char out[8][2048];
	static unsigned next;
	char *buf = out[next++ % 8];
	char sql[2048];
	vsnprintf(sql, sizeof sql, fmt, ap);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "testdb: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
		return "(error)";
	}
	snprintf(buf, 2048, "(no row)");
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, 2048, "%s",
			 sqlite3_column_type(st, 0) == SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/* The first column of the first row of a query, as text: "NULL" for NULL, "(no row)" for none,
 * "(error)" when the query fails. Eight results stay valid at a time. */
__attribute__((format(printf, 2, 3))) static inline const char *testdb_text(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *text = testdb_vtext(db, fmt, ap);
	va_end(ap);
	return text;
}

/* The same, as an integer (0 for what is not a number). */
__attribute__((format(printf, 2, 3))) static inline long long testdb_int(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *text = testdb_vtext(db, fmt, ap);
	va_end(ap);
	return strtoll(text, NULL, 10);
}

#endif
