/* testdb.h: hand-made analysis databases for the tests of what reads them (exports, destinations):
 * the store's own schema, filled with SQL rows whose numbers the tests work out by hand. */
#ifndef CIOT_TEST_DB_H
#define CIOT_TEST_DB_H

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

#endif
