/* store.c: the store core (store.h): the database file, the core tables (meta, devices, captures,
 * decode events, flows) and the one transaction each capture file is written in. The analyzers'
 * tables and their columns in captures and flows come from the registry (analyzer.h); the store
 * knows them only as column groups and callbacks.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "addr.h"
#include "db.h"
#include "pipeline-internal.h"
#include "registry.h"
#include "store.h"

/* Value lists are checked with OR, not IN: SQLite builds a temporary index for an IN list of more
 * than two values on every execution of an INSERT, which doubled the cost of writing a row. */
static const char core_schema[] =
	"CREATE TABLE IF NOT EXISTS meta (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS devices (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  label TEXT,\n"
	"  brand TEXT,\n"
	"  category TEXT NOT NULL,\n"
	"  app TEXT,\n"
	"  macs TEXT NOT NULL,\n"
	"  ips TEXT NOT NULL,\n"
	"  manifest TEXT);\n";

enum capture_column {
	CAP_ID, CAP_DEVICE_ID, CAP_FILE, CAP_PHASE, CAP_SUBPHASE, CAP_FIRMWARE, CAP_INTERCEPTION, CAP_WINDOW_START,
	CAP_WINDOW_END, CAP_STEP_START, CAP_STEP_END, CAP_STEP_ENDED, CAP_FIRST, CAP_LAST, CAP_FRAMES, CAP_FRAME_BYTES, CAP_IP_PACKETS, CAP_SKIPPED, CAP_MALFORMED,
	CAP_FLOWS, CAP_DEVICE_PACKETS, CAP_DEVICE_BYTES, CAP_OTHER_FLOWS, CAP_OTHER_PACKETS, CAP_DEVICE_METHOD,
	CAP_DEVICE_ADDRESSES, CAP_DEVICE_MAC, CAP_FILE_FORMAT, CAP_FILE_SIZE, CAP_FILE_TRUNCATED, CAP_OUTSIDE_WINDOWS,
	CAP_NAMES_DROPPED, CAP_ANALYZED_AT,
};
static const struct ciot_column capture_columns[] = {
	[CAP_ID] = { "id", "INTEGER PRIMARY KEY", true },
	[CAP_DEVICE_ID] = { "device_id", "INTEGER NOT NULL REFERENCES devices(id)", false },
	[CAP_FILE] = { "file", "TEXT NOT NULL", false },
	[CAP_PHASE] = { "phase", "TEXT NOT NULL\n"
		"    CHECK (phase = 'setup' OR phase = 'interaction' OR phase = 'idle' OR phase = 'deletion')", false },
	[CAP_SUBPHASE] = { "subphase", "TEXT", false },
	[CAP_FIRMWARE] = { "firmware", "TEXT CHECK (firmware IN ('pre','post'))", false },
	[CAP_INTERCEPTION] = { "interception", "TEXT", false },
	[CAP_WINDOW_START] = { "window_start_us", "INTEGER", false },
	[CAP_WINDOW_END] = { "window_end_us", "INTEGER", false },
	[CAP_STEP_START] = { "step_start_us", "INTEGER", false },
	[CAP_STEP_END] = { "step_end_us", "INTEGER", false },
	[CAP_STEP_ENDED] = { "step_ended", "TEXT", false },
	[CAP_FIRST] = { "first_us", "INTEGER", false },
	[CAP_LAST] = { "last_us", "INTEGER", false },
	[CAP_FRAMES] = { "frames", "INTEGER NOT NULL", false },
	[CAP_FRAME_BYTES] = { "frame_bytes", "INTEGER NOT NULL", false },
	[CAP_IP_PACKETS] = { "ip_packets", "INTEGER NOT NULL", false },
	[CAP_SKIPPED] = { "skipped_frames", "INTEGER NOT NULL", false },
	[CAP_MALFORMED] = { "malformed_frames", "INTEGER NOT NULL", false },
	[CAP_FLOWS] = { "flows", "INTEGER NOT NULL", false },
	[CAP_DEVICE_PACKETS] = { "device_packets", "INTEGER NOT NULL", false },
	[CAP_DEVICE_BYTES] = { "device_bytes", "INTEGER NOT NULL", false },
	[CAP_OTHER_FLOWS] = { "other_flows", "INTEGER NOT NULL", false },
	[CAP_OTHER_PACKETS] = { "other_packets", "INTEGER NOT NULL", false },
	[CAP_DEVICE_METHOD] = { "device_method", "TEXT NOT NULL", false },
	[CAP_DEVICE_ADDRESSES] = { "device_addresses", "TEXT NOT NULL", false },
	[CAP_DEVICE_MAC] = { "device_mac", "TEXT", false },
	[CAP_FILE_FORMAT] = { "file_format", "TEXT NOT NULL", false },
	[CAP_FILE_SIZE] = { "file_size", "INTEGER NOT NULL", false },
	[CAP_FILE_TRUNCATED] = { "file_truncated", "INTEGER NOT NULL", false },
	[CAP_OUTSIDE_WINDOWS] = { "frames_outside_windows", "INTEGER NOT NULL", false },
	[CAP_NAMES_DROPPED] = { "names_dropped", "INTEGER NOT NULL", false },
	[CAP_ANALYZED_AT] = { "analyzed_at", "TEXT NOT NULL", false },
};
static const struct ciot_table captures_table = { "captures", CIOT_COLUMNS(capture_columns), NULL, NULL };

static const char captures_after[] =
	"CREATE INDEX IF NOT EXISTS captures_file ON captures(file, device_id);\n"
	"CREATE TABLE IF NOT EXISTS decode_events (\n"
	"  capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,\n"
	"  reason TEXT NOT NULL,\n"
	"  malformed INTEGER NOT NULL,\n"
	"  frames INTEGER NOT NULL,\n"
	"  PRIMARY KEY (capture_id, reason));\n";

enum flow_column {
	FLOW_ID, FLOW_CAPTURE_ID, FLOW_TRANSPORT, FLOW_IP_VERSION, FLOW_DEVICE_IP, FLOW_DEVICE_PORT, FLOW_REMOTE_IP,
	FLOW_REMOTE_PORT, FLOW_REMOTE_SCOPE, FLOW_INITIATOR, FLOW_FIRST, FLOW_LAST, FLOW_PACKETS_OUT, FLOW_BYTES_OUT,
	FLOW_PAYLOAD_OUT, FLOW_PACKETS_IN, FLOW_BYTES_IN, FLOW_PAYLOAD_IN, FLOW_TCP_FLAGS_OUT, FLOW_TCP_FLAGS_IN,
	FLOW_APP_PROTO, FLOW_NDPI_CATEGORY, FLOW_NDPI_GUESSED, FLOW_END_REASON, FLOW_SERVER_NAME,
	FLOW_SERVER_NAME_SOURCE,
};
static const struct ciot_column flow_columns[] = {
	[FLOW_ID] = { "id", "INTEGER PRIMARY KEY", true },
	[FLOW_CAPTURE_ID] = { "capture_id", "INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE", false },
	[FLOW_TRANSPORT] = { "transport", "TEXT NOT NULL", false },
	[FLOW_IP_VERSION] = { "ip_version", "INTEGER NOT NULL", false },
	[FLOW_DEVICE_IP] = { "device_ip", "TEXT NOT NULL", false },
	[FLOW_DEVICE_PORT] = { "device_port", "INTEGER NOT NULL", false },
	[FLOW_REMOTE_IP] = { "remote_ip", "TEXT NOT NULL", false },
	[FLOW_REMOTE_PORT] = { "remote_port", "INTEGER NOT NULL", false },
	[FLOW_REMOTE_SCOPE] = { "remote_scope", "TEXT NOT NULL CHECK (remote_scope IN ('local','internet'))", false },
	[FLOW_INITIATOR] = { "initiator", "TEXT NOT NULL CHECK (initiator IN ('device','remote'))", false },
	[FLOW_FIRST] = { "first_us", "INTEGER NOT NULL", false },
	[FLOW_LAST] = { "last_us", "INTEGER NOT NULL", false },
	[FLOW_PACKETS_OUT] = { "packets_out", "INTEGER NOT NULL", false },
	[FLOW_BYTES_OUT] = { "bytes_out", "INTEGER NOT NULL", false },
	[FLOW_PAYLOAD_OUT] = { "payload_out", "INTEGER NOT NULL", false },
	[FLOW_PACKETS_IN] = { "packets_in", "INTEGER NOT NULL", false },
	[FLOW_BYTES_IN] = { "bytes_in", "INTEGER NOT NULL", false },
	[FLOW_PAYLOAD_IN] = { "payload_in", "INTEGER NOT NULL", false },
	[FLOW_TCP_FLAGS_OUT] = { "tcp_flags_out", "INTEGER NOT NULL", false },
	[FLOW_TCP_FLAGS_IN] = { "tcp_flags_in", "INTEGER NOT NULL", false },
	[FLOW_APP_PROTO] = { "app_proto", "TEXT NOT NULL", false },
	[FLOW_NDPI_CATEGORY] = { "ndpi_category", "TEXT NOT NULL", false },
	[FLOW_NDPI_GUESSED] = { "ndpi_guessed", "INTEGER NOT NULL", false },
	[FLOW_END_REASON] = { "end_reason", "TEXT NOT NULL", false },
	[FLOW_SERVER_NAME] = { "server_name", "TEXT", false },
	[FLOW_SERVER_NAME_SOURCE] = { "server_name_source", "TEXT\n"
		"    CHECK (server_name_source = 'sni' OR server_name_source = 'quic' OR server_name_source = 'http')",
		false },
};
static const struct ciot_table flows_table = { "flows", CIOT_COLUMNS(flow_columns), NULL, NULL };

static const char flows_after[] =
	"CREATE INDEX IF NOT EXISTS flows_capture ON flows(capture_id);\n"
	"CREATE VIEW IF NOT EXISTS flow_view AS\n"
	"  SELECT f.*, d.name AS device, d.category AS category, d.brand AS brand, c.phase AS phase,\n"
	"         c.subphase AS subphase, c.file AS file, c.firmware AS firmware, c.interception AS interception\n"
	"  FROM flows f JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id;\n";

/* How long a run waits for another process's transaction on the same database (another run's
 * capture or destinations): long enough for both runs to land their captures, short enough that a
 * run stuck behind a forgotten shell says so. A report waits less: it only reads. */
#define STORE_BUSY_MS (10 * 60 * 1000)
#define REPORT_BUSY_MS (30 * 1000)

/* The wait, or CIOT_BUSY_TIMEOUT's seconds (tests; a lab that would rather fail fast). */
static int busy_ms(int default_ms)
{
	const char *env = getenv("CIOT_BUSY_TIMEOUT");
	char *end;
	double s = env && *env ? strtod(env, &end) : -1;
	return env && *env && !*end && s >= 0 && s <= 86400 ? (int)(s * 1000) : default_ms;
}

/* The meta entry that says whether the stages' tables (destinations, coverage) cover every stored
 * capture: '0' from the schema's creation and in every capture's transaction, '1' in the
 * destinations stage's (destinations.c). Reports refuse a database where it is '0': killed,
 * crashed or out of disk before the end of its run; a rerun over the same inputs completes it. A
 * database from before the entry has none, and is complete. */
static const char mark_incomplete[] = "INSERT OR REPLACE INTO meta VALUES ('complete', '0')";

struct ciot_store {
	sqlite3 *db;
	sqlite3_stmt *device, *device_id, *delete_captures, *decode_event, *incomplete;
	struct ciot_insert capture, flow;
	void *analyzer[CIOT_MAX_ANALYZERS]; /* each analyzer's prepared INSERTs */
};

static int schema_version(sqlite3 *db, char *errbuf, enum ciot_rc *rc)
{
	sqlite3_stmt *st;
	*rc = CIOT_OK;
	static const char sql[] = "SELECT value FROM meta WHERE key = 'schema_version'";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		/* no meta table: an empty database, or not ours */
		sqlite3_stmt *any;
		int tables = -1;
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &any, NULL) == SQLITE_OK &&
		    sqlite3_step(any) == SQLITE_ROW)
			tables = sqlite3_column_int(any, 0);
		sqlite3_finalize(any);
		if (tables == 0)
			return 0;
		/* tables but no meta a moment before: another run's schema may have been committed
		 * between the two looks; looked for once more */
		if (tables > 0 && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
			goto read;
		int code = sqlite3_errcode(db) & 0xff;
		if (tables < 0 && (code == SQLITE_BUSY || code == SQLITE_LOCKED)) {
			*rc = ciot_fail(errbuf, CIOT_ERR_BUSY, "the database is locked by another process");
			return -1;
		}
		*rc = tables < 0 ? ciot_db_fail(db, errbuf, "not a database")
				 : ciot_fail(errbuf, CIOT_ERR_FORMAT, "an SQLite database, but not one written by ciot");
		return -1;
	}
read:;
	int v = -1, step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		v = atoi((const char *)sqlite3_column_text(st, 0));
	else if (step != SQLITE_DONE)
		*rc = ciot_db_fail(db, errbuf, "meta");
	sqlite3_finalize(st);
	return v;
}

static enum ciot_rc prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *errbuf)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "prepare");
	return CIOT_OK;
}

/* The analyzers' column groups of captures or flows, in registry order. */
static void column_groups(bool flows, struct ciot_columns *out)
{
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		out[k] = flows ? ciot_analyzers[k]->flow_columns : ciot_analyzers[k]->capture_columns;
}

/* Runs CREATE TABLE for a table made of column groups, then what follows it. */
static enum ciot_rc create(sqlite3 *db, const struct ciot_table *t, const struct ciot_columns *extra, size_t nextra,
			   const char *after, char *errbuf)
{
	char *sql = ciot_table_create_sql(t, extra, nextra);
	if (!sql)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = ciot_db_exec(db, sql, t->name, errbuf);
	free(sql);
	return !rc && after ? ciot_db_exec(db, after, t->name, errbuf) : rc;
}

/* Every table: the core's, then each analyzer's and each stage's, whatever is on in this run, so
 * that every database has the same schema. */
static enum ciot_rc create_schema(sqlite3 *db, char *errbuf)
{
	struct ciot_columns groups[CIOT_MAX_ANALYZERS];
	enum ciot_rc rc = ciot_db_exec(db, core_schema, "schema", errbuf);
	column_groups(false, groups);
	if (!rc)
		rc = create(db, &captures_table, groups, ciot_nanalyzers, captures_after, errbuf);
	column_groups(true, groups);
	if (!rc)
		rc = create(db, &flows_table, groups, ciot_nanalyzers, flows_after, errbuf);
	for (size_t k = 0; !rc && k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		for (size_t t = 0; !rc && an->tables && an->tables[t]; t++)
			rc = create(db, an->tables[t], NULL, 0, NULL, errbuf);
		if (!rc && an->schema_after)
			rc = ciot_db_exec(db, an->schema_after, an->name, errbuf);
	}
	for (size_t k = 0; !rc && k < ciot_nstages; k++)
		rc = ciot_db_exec(db, ciot_stages[k]->schema, ciot_stages[k]->name, errbuf);
	return rc;
}

static enum ciot_rc prepare_all(struct ciot_store *s, char *errbuf)
{
	struct ciot_columns groups[CIOT_MAX_ANALYZERS];
	enum ciot_rc rc;
	column_groups(false, groups);
	if ((rc = ciot_insert_prepare(s->db, &captures_table, groups, ciot_nanalyzers, &s->capture, errbuf)))
		return rc;
	column_groups(true, groups);
	if ((rc = ciot_insert_prepare(s->db, &flows_table, groups, ciot_nanalyzers, &s->flow, errbuf)) ||
	    (rc = prepare(s->db,
			  "INSERT INTO devices (name, label, brand, category, app, macs, ips, manifest)"
			  " VALUES (:name, :label, :brand, :category, :app, :macs, :ips, :manifest) ON CONFLICT(name)"
			  " DO UPDATE SET label = :label, brand = :brand, category = :category, app = :app,"
			  " macs = :macs, ips = :ips, manifest = :manifest",
			  &s->device, errbuf)) ||
	    (rc = prepare(s->db, "SELECT id FROM devices WHERE name = ?1", &s->device_id, errbuf)) ||
	    (rc = prepare(s->db, "DELETE FROM captures WHERE file = ?1 AND device_id = ?2", &s->delete_captures,
			  errbuf)) ||
	    (rc = prepare(s->db, "INSERT INTO decode_events (capture_id, reason, malformed, frames)"
			  " VALUES (?1, ?2, ?3, ?4)", &s->decode_event, errbuf)) ||
	    (rc = prepare(s->db, mark_incomplete, &s->incomplete, errbuf)))
		return rc;
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (an->store_open && (rc = an->store_open(&s->analyzer[k], s->db, errbuf)))
			return rc;
	}
	return CIOT_OK;
}

/* SQLite's memory statistics, which nothing in ciot reads, take a global mutex on every
 * allocation SQLite makes (some per row stored): off, when SQLite is not yet initialized in the
 * process (otherwise sqlite3_config refuses, and nothing changes). */
static void no_memstatus(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum ciot_rc ciot_store_open(struct ciot_store **out, const char *path, char *errbuf)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, no_memstatus);
	*out = NULL;
	struct ciot_store *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc;
	/* the connection is used by one thread at a time (run.c holds the store's lock around it),
	 * so it needs no mutex of its own around every call */
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		rc = ciot_db_fail(s->db, errbuf, "open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_ms(STORE_BUSY_MS));
	/* One read transaction, so that both of schema_version's looks see one state: between them
	 * another run creating the schema could commit it, and its tables would seem to be a stranger's
	 * without the meta table looked for a moment before (found by the kill test's two runs). */
	if ((rc = ciot_db_exec(s->db, "BEGIN", "open", errbuf)))
		goto fail;
	int v = schema_version(s->db, errbuf, &rc);
	sqlite3_exec(s->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	if (rc)
		goto fail;
	if (v > 0 && v != CIOT_SCHEMA_VERSION) {
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "database schema version %d; this ciot writes version %d", v,
			       CIOT_SCHEMA_VERSION);
		goto fail;
	}
	char version_sql[128];
	snprintf(version_sql, sizeof version_sql,
		 "INSERT OR REPLACE INTO meta VALUES ('schema_version', '%d');", CIOT_SCHEMA_VERSION);
	if ((rc = ciot_db_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", "open", errbuf)) ||
	    (rc = ciot_db_exec(s->db, "BEGIN IMMEDIATE", "creating the schema", errbuf)))
		goto fail;
	if ((rc = create_schema(s->db, errbuf)) ||
	    (rc = ciot_db_exec(s->db, version_sql, "creating the schema", errbuf)) ||
	    (v == 0 && (rc = ciot_db_exec(s->db, mark_incomplete, "creating the schema", errbuf))) ||
	    (rc = ciot_db_exec(s->db, "COMMIT", "creating the schema", errbuf))) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if ((rc = prepare_all(s, errbuf)))
		goto fail;
	*out = s;
	return CIOT_OK;
fail:
	ciot_store_close(s);
	return rc;
}

void ciot_store_close(struct ciot_store *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (s->analyzer[k] && ciot_analyzers[k]->store_close)
			ciot_analyzers[k]->store_close(s->analyzer[k]);
	sqlite3_finalize(s->device);
	sqlite3_finalize(s->device_id);
	sqlite3_finalize(s->delete_captures);
	sqlite3_finalize(s->decode_event);
	sqlite3_finalize(s->incomplete);
	ciot_insert_finalize(&s->capture);
	ciot_insert_finalize(&s->flow);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *ciot_store_db(struct ciot_store *s)
{
	return s->db;
}

/* Refuses a database whose run did not reach its end (mark_incomplete). */
static enum ciot_rc check_complete(sqlite3 *db, char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'complete'", -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "meta");
	int step = sqlite3_step(st);
	bool incomplete = step == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "0");
	enum ciot_rc rc = step == SQLITE_ROW || step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(db, errbuf, "meta");
	sqlite3_finalize(st);
	if (!rc && incomplete)
		rc = ciot_fail(errbuf, CIOT_ERR_INCOMPLETE,
			       "incomplete database: the ciot-analyze run writing it stopped before its end (killed, "
			       "crashed, a full disk) or is still running, so its captures lack their destinations; "
			       "run ciot-analyze again over the same inputs to complete it");
	return rc;
}

enum ciot_rc ciot_store_open_readonly(sqlite3 **out, const char *path, char *errbuf)
{
	*out = NULL;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		enum ciot_rc rc = ciot_db_fail(db, errbuf, "open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, busy_ms(REPORT_BUSY_MS));
	enum ciot_rc rc;
	int v = schema_version(db, errbuf, &rc);
	if (!rc && v != CIOT_SCHEMA_VERSION)
		rc = v == 0 ? ciot_fail(errbuf, CIOT_ERR_FORMAT, "empty database: nothing was analyzed into it")
			    : ciot_fail(errbuf, CIOT_ERR_FORMAT, "database schema version %d; this ciot reads version %d",
					v, CIOT_SCHEMA_VERSION);
	if (!rc)
		rc = check_complete(db, errbuf);
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return CIOT_OK;
}

static void iso_now(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct meta_ctx {
	sqlite3 *db;
	sqlite3_stmt *st;
};

static enum ciot_rc add_meta(void *ctx, const char *key, const char *value, char *errbuf)
{
	struct meta_ctx *m = ctx;
	if (!value)
		return CIOT_OK;
	sqlite3_bind_text(m->st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->st, 2, value, -1, SQLITE_STATIC);
	int step = sqlite3_step(m->st);
	sqlite3_reset(m->st);
	return step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(m->db, errbuf, "meta");
}

enum ciot_rc ciot_store_begin_run(struct ciot_store *s, const struct ciot_dataset *ds, const struct ciot_analysis *a,
				  char *errbuf)
{
	struct meta_ctx m = { .db = s->db };
	enum ciot_rc rc = prepare(s->db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", &m.st, errbuf);
	if (rc)
		return rc;
	char now[32];
	iso_now(now);
	/* a JSON array; the entries' characters need no escaping (ciot_dataset_valid_lab_host) */
	/* always written, "[]" for none, so that a re-run without them leaves no stale list behind */
	char lab_hosts[CIOT_DATASET_MAX_LAB_HOSTS * (CIOT_DATASET_MAX_FIELD + 3) + 4] = "[]";
	for (size_t i = 0, used = 0; i < ds->nlab_hosts; i++)
		used += (size_t)snprintf(lab_hosts + used, sizeof lab_hosts - used, "%s\"%s\"%s", i ? "," : "[",
					 ds->lab_hosts[i], i + 1 == ds->nlab_hosts ? "]" : "");
	const char *pairs[][2] = {
		{ "ciot_version", CIOT_VERSION },
		{ "ndpi_version", ciot_dpi_version() },
		{ "sqlite_version", sqlite3_libversion() },
		{ "last_run_at", now },
		{ "last_input_kind", ds->kind ? ds->kind : "files" },
		{ "dataset_name", ds->name },
		{ "home_country", ds->home_country },
		{ "lab_hosts", lab_hosts },
	};
	/* one transaction: a commit per entry would cost a disk sync each (about 10 ms apiece here),
	 * most of the start-up before the first packet */
	rc = ciot_db_exec(s->db, "BEGIN IMMEDIATE", "meta", errbuf);
	for (size_t i = 0; !rc && i < sizeof pairs / sizeof pairs[0]; i++)
		rc = add_meta(&m, pairs[i][0], pairs[i][1], errbuf);
	for (size_t k = 0; !rc && k < ciot_nanalyzers; k++)
		if (ciot_analyzers[k]->meta)
			rc = ciot_analyzers[k]->meta(a->run[k], a->config->analyzer[k], add_meta, &m, errbuf);
	sqlite3_finalize(m.st);
	if (!rc)
		rc = ciot_db_exec(s->db, "COMMIT", "meta", errbuf);
	if (rc && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

bool ciot_store_other_dataset(struct ciot_store *s, const struct ciot_dataset *ds, char *recorded, size_t len)
{
	sqlite3_stmt *st;
	if (!ds->name || sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'dataset_name'"
				  " AND EXISTS (SELECT 1 FROM captures)", -1, &st, NULL) != SQLITE_OK)
		return false;
	bool other = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		other = name && strcmp(name, ds->name);
		if (other)
			snprintf(recorded, len, "%s", name);
	}
	sqlite3_finalize(st);
	return other;
}

/* A JSON array of strings; addresses are printable, so no escaping is needed. */
static void json_list(char *out, size_t outlen, const char (*items)[CIOT_ADDR_STRLEN], size_t n)
{
	size_t used = (size_t)snprintf(out, outlen, "[");
	for (size_t i = 0; i < n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s\"%s\"", i ? "," : "", items[i]);
	if (used < outlen)
		snprintf(out + used, outlen - used, "]");
}

static enum ciot_rc store_device(struct ciot_store *s, const struct ciot_device *d, sqlite3_int64 *id,
				 char *errbuf)
{
	char macs[CIOT_DATASET_MAX_ADDRESSES * 24 + 4], ips[CIOT_DATASET_MAX_ADDRESSES * 52 + 4];
	char items[CIOT_DATASET_MAX_ADDRESSES][CIOT_ADDR_STRLEN];
	for (size_t i = 0; i < d->nmacs; i++)
		ciot_mac_format(d->macs[i], items[i]);
	json_list(macs, sizeof macs, (const char(*)[CIOT_ADDR_STRLEN])items, d->nmacs);
	for (size_t i = 0; i < d->nips; i++)
		ciot_addr_format(d->ips[i], items[i]);
	json_list(ips, sizeof ips, (const char(*)[CIOT_ADDR_STRLEN])items, d->nips);
	sqlite3_stmt *st = s->device;
	const char *values[][2] = { { ":name", d->id }, { ":label", d->name }, { ":brand", d->brand },
				    { ":category", d->category }, { ":app", d->app }, { ":macs", macs },
				    { ":ips", ips }, { ":manifest", d->manifest_json } };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, values[i][0]), values[i][1], -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return ciot_db_fail(s->db, errbuf, "devices");
	st = s->device_id;
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? CIOT_OK : ciot_db_fail(s->db, errbuf, "devices");
}

static const char *transport_name(uint8_t proto)
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	case 2: return "igmp";
	case 47: return "gre";
	case 50: return "esp";
	case 132: return "sctp";
	default: return NULL;
	}
}

/* ---- one capture file ------------------------------------------------------------------------ */

static enum ciot_rc store_flow(struct ciot_store *s, const struct ciot_capture_result *r, size_t segment,
			       int64_t capture_id, const struct ciot_flow_record *f, char *errbuf)
{
	int dev = f->device_end, rem = 1 - dev;
	char dev_ip[CIOT_ADDR_STRLEN], rem_ip[CIOT_ADDR_STRLEN], proto_buf[16];
	ciot_addr_format(f->addr[dev], dev_ip);
	ciot_addr_format(f->addr[rem], rem_ip);
	const char *transport = transport_name(f->proto);
	if (!transport) {
		snprintf(proto_buf, sizeof proto_buf, "ip-%u", f->proto);
		transport = proto_buf;
	}
	struct ciot_row row = ciot_insert_row(&s->flow, 0);
	ciot_row_int(&row, FLOW_CAPTURE_ID, capture_id);
	ciot_row_text(&row, FLOW_TRANSPORT, transport);
	ciot_row_int(&row, FLOW_IP_VERSION, f->ip_version);
	ciot_row_text(&row, FLOW_DEVICE_IP, dev_ip);
	ciot_row_int(&row, FLOW_DEVICE_PORT, f->port[dev]);
	ciot_row_text(&row, FLOW_REMOTE_IP, rem_ip);
	ciot_row_int(&row, FLOW_REMOTE_PORT, f->port[rem]);
	ciot_row_static(&row, FLOW_REMOTE_SCOPE, ciot_addr_is_local(f->addr[rem]) ? "local" : "internet");
	ciot_row_static(&row, FLOW_INITIATOR, dev == 0 ? "device" : "remote");
	ciot_row_int(&row, FLOW_FIRST, f->first_ts);
	ciot_row_int(&row, FLOW_LAST, f->last_ts);
	ciot_row_int(&row, FLOW_PACKETS_OUT, (int64_t)f->dir[dev].packets);
	ciot_row_int(&row, FLOW_BYTES_OUT, (int64_t)f->dir[dev].bytes);
	ciot_row_int(&row, FLOW_PAYLOAD_OUT, (int64_t)f->dir[dev].payload);
	ciot_row_int(&row, FLOW_PACKETS_IN, (int64_t)f->dir[rem].packets);
	ciot_row_int(&row, FLOW_BYTES_IN, (int64_t)f->dir[rem].bytes);
	ciot_row_int(&row, FLOW_PAYLOAD_IN, (int64_t)f->dir[rem].payload);
	ciot_row_int(&row, FLOW_TCP_FLAGS_OUT, f->dir[dev].tcp_flags);
	ciot_row_int(&row, FLOW_TCP_FLAGS_IN, f->dir[rem].tcp_flags);
	ciot_row_static(&row, FLOW_APP_PROTO, ciot_strpool_get(&r->proto_names, f->app_name));
	ciot_row_static(&row, FLOW_NDPI_CATEGORY, ciot_strpool_get(&r->proto_names, f->category_name));
	ciot_row_int(&row, FLOW_NDPI_GUESSED, f->dpi_guessed);
	ciot_row_static(&row, FLOW_END_REASON, ciot_flow_end_name((enum ciot_flow_end)f->end_reason));
	/* the name a client sent names the server: the remote end only when the device was the client */
	const char *server_name = dev == 0 ? ciot_strpool_get(&r->names, f->server_name) : NULL;
	ciot_row_static(&row, FLOW_SERVER_NAME, server_name);
	ciot_row_static(&row, FLOW_SERVER_NAME_SOURCE,
			server_name ? ciot_server_name_source_name(f->server_name_source) : NULL);
	struct ciot_core_row core = { .capture = r, .segment = segment, .record = f, .capture_id = capture_id };
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (ciot_analyzers[k]->bind_flow) {
			core.row = ciot_insert_row(&s->flow, 1 + k);
			core.analyzer = k;
			core.result = ciot_flow_result(r, f, k);
			ciot_analyzers[k]->bind_flow(&core);
		}
	enum ciot_rc rc = ciot_insert_run(&s->flow, "flows", errbuf);
	core.flow_id = sqlite3_last_insert_rowid(s->db);
	for (size_t k = 0; !rc && k < ciot_nanalyzers; k++)
		if (r->analysis->on[k] && ciot_analyzers[k]->after_flow) {
			core.analyzer = k;
			core.result = ciot_flow_result(r, f, k);
			rc = ciot_analyzers[k]->after_flow(s->analyzer[k], r->results[k], &core, errbuf);
		}
	return rc;
}

static void bind_capture_row(struct ciot_store *s, const struct ciot_capture_result *r, size_t segment,
			     int64_t device_id, const char *file, const char *addresses)
{
	const struct ciot_segment_result *seg = &r->segments[segment];
	uint64_t skipped = 0, malformed = 0;
	for (int d = 1; d < CIOT_DECODE_NRESULTS; d++) {
		if (ciot_decode_result_is_malformed((enum ciot_decode_result)d))
			malformed += seg->decode_counts[d];
		else
			skipped += seg->decode_counts[d];
	}
	char now[32];
	iso_now(now);
	struct ciot_row row = ciot_insert_row(&s->capture, 0);
	ciot_row_int(&row, CAP_DEVICE_ID, device_id);
	ciot_row_static(&row, CAP_FILE, file);
	ciot_row_static(&row, CAP_PHASE, ciot_phase_name(seg->phase));
	ciot_row_static(&row, CAP_SUBPHASE, seg->subphase);
	ciot_row_static(&row, CAP_FIRMWARE, r->capture->firmware);
	ciot_row_static(&row, CAP_INTERCEPTION, r->capture->interception);
	if (seg->windowed) {
		ciot_row_int(&row, CAP_WINDOW_START, seg->window_start);
		ciot_row_int(&row, CAP_WINDOW_END, seg->window_end);
	}
	/* the manifest's record of the step, as ciot-capture wrote it */
	if (r->capture->start_us >= 0)
		ciot_row_int(&row, CAP_STEP_START, r->capture->start_us);
	if (r->capture->end_us >= 0)
		ciot_row_int(&row, CAP_STEP_END, r->capture->end_us);
	ciot_row_static(&row, CAP_STEP_ENDED, r->capture->ended);
	if (seg->frames) {
		ciot_row_int(&row, CAP_FIRST, seg->first_ts);
		ciot_row_int(&row, CAP_LAST, seg->last_ts);
	}
	ciot_row_int(&row, CAP_FRAMES, (int64_t)seg->frames);
	ciot_row_int(&row, CAP_FRAME_BYTES, (int64_t)seg->frame_bytes);
	ciot_row_int(&row, CAP_IP_PACKETS, (int64_t)seg->decode_counts[CIOT_DECODE_OK]);
	ciot_row_int(&row, CAP_SKIPPED, (int64_t)skipped);
	ciot_row_int(&row, CAP_MALFORMED, (int64_t)malformed);
	ciot_row_int(&row, CAP_FLOWS, (int64_t)seg->device_flows);
	ciot_row_int(&row, CAP_DEVICE_PACKETS, (int64_t)seg->device_packets);
	ciot_row_int(&row, CAP_DEVICE_BYTES, (int64_t)seg->device_bytes);
	ciot_row_int(&row, CAP_OTHER_FLOWS, (int64_t)seg->other_flows);
	ciot_row_int(&row, CAP_OTHER_PACKETS, (int64_t)seg->other_packets);
	ciot_row_static(&row, CAP_DEVICE_METHOD, ciot_device_method_name(r->tracker.method));
	ciot_row_text(&row, CAP_DEVICE_ADDRESSES, addresses);
	if (r->tracker.found_by_mac) {
		char mac[18];
		ciot_mac_format(r->tracker.mac, mac);
		ciot_row_text(&row, CAP_DEVICE_MAC, mac);
	}
	ciot_row_static(&row, CAP_FILE_FORMAT, r->format == CIOT_CAPTURE_PCAPNG ? "pcapng" : "pcap");
	ciot_row_int(&row, CAP_FILE_SIZE, (int64_t)r->file_size);
	ciot_row_int(&row, CAP_FILE_TRUNCATED, r->truncated);
	ciot_row_int(&row, CAP_OUTSIDE_WINDOWS, (int64_t)r->frames_outside_windows);
	/* a file's count, on its first step's row only, so that summing the column counts it once */
	ciot_row_int(&row, CAP_NAMES_DROPPED, segment == 0 ? (int64_t)r->names.refused : 0);
	ciot_row_text(&row, CAP_ANALYZED_AT, now);
	struct ciot_core_row core = { .capture = r, .segment = segment };
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (ciot_analyzers[k]->bind_capture) {
			core.row = ciot_insert_row(&s->capture, 1 + k);
			core.analyzer = k;
			core.result = r->results[k];
			ciot_analyzers[k]->bind_capture(&core);
		}
}

static enum ciot_rc store_decode_events(struct ciot_store *s, const struct ciot_segment_result *seg,
					int64_t capture_id, char *errbuf)
{
	for (int d = 1; d < CIOT_DECODE_NRESULTS; d++) {
		if (!seg->decode_counts[d])
			continue;
		sqlite3_stmt *st = s->decode_event;
		sqlite3_bind_int64(st, 1, capture_id);
		sqlite3_bind_text(st, 2, ciot_decode_result_name((enum ciot_decode_result)d), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, ciot_decode_result_is_malformed((enum ciot_decode_result)d));
		sqlite3_bind_int64(st, 4, (sqlite3_int64)seg->decode_counts[d]);
		int step = sqlite3_step(st);
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			return ciot_db_fail(s->db, errbuf, "decode_events");
	}
	return CIOT_OK;
}

static enum ciot_rc store_segment(struct ciot_store *s, const struct ciot_capture_result *r, size_t segment,
				  int64_t device_id, const char *file, const char *addresses, char *errbuf)
{
	const struct ciot_segment_result *seg = &r->segments[segment];
	bind_capture_row(s, r, segment, device_id, file, addresses);
	enum ciot_rc rc = ciot_insert_run(&s->capture, "captures", errbuf);
	if (rc)
		return rc;
	int64_t capture_id = sqlite3_last_insert_rowid(s->db);
	if ((rc = store_decode_events(s, seg, capture_id, errbuf)))
		return rc;
	for (size_t k = 0; k < seg->nflows; k++) {
		const struct ciot_flow_record *f = ciot_segment_flow(r, seg, k);
		if (f->device_end >= 0 && (rc = store_flow(s, r, segment, capture_id, f, errbuf)))
			return rc;
	}
	struct ciot_core_row core = { .capture = r, .segment = segment, .capture_id = capture_id };
	for (size_t k = 0; !rc && k < ciot_nanalyzers; k++) {
		if (!r->analysis->on[k] || !ciot_analyzers[k]->after_capture)
			continue;
		core.analyzer = k;
		rc = ciot_analyzers[k]->after_capture(s->analyzer[k], r->results[k], &core, errbuf);
	}
	return rc;
}

enum ciot_rc ciot_store_end_run(struct ciot_store *s, char *errbuf)
{
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		enum ciot_rc rc = ciot_analyzers[k]->run_end ? ciot_analyzers[k]->run_end(s->db, errbuf) : CIOT_OK;
		if (rc)
			return rc;
	}
	return CIOT_OK;
}

enum ciot_rc ciot_store_capture(struct ciot_store *s, struct ciot_capture_result *r, char *errbuf)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return ciot_db_fail(s->db, errbuf, "begin");
	sqlite3_int64 device_id = 0;
	enum ciot_rc rc = store_device(s, r->device, &device_id, errbuf);
	if (rc)
		goto fail;
	/* a file is known by its absolute path, so analyses run from different folders agree */
	char file[PATH_MAX];
	if (!realpath(r->capture->path, file))
		snprintf(file, sizeof file, "%s", r->capture->path);
	if (sqlite3_step(s->incomplete) != SQLITE_DONE) {
		sqlite3_reset(s->incomplete);
		rc = ciot_db_fail(s->db, errbuf, "meta");
		goto fail;
	}
	sqlite3_reset(s->incomplete);
	sqlite3_stmt *st = s->delete_captures;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, device_id);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		rc = ciot_db_fail(s->db, errbuf, "delete");
		goto fail;
	}
	char addresses[CIOT_DEVICE_MAX_LEARNED * (CIOT_ADDR_STRLEN + 4) + 4];
	char items[CIOT_DEVICE_MAX_LEARNED][CIOT_ADDR_STRLEN];
	for (unsigned i = 0; i < r->tracker.naddrs; i++)
		ciot_addr_format(r->tracker.addrs[i], items[i]);
	json_list(addresses, sizeof addresses, (const char(*)[CIOT_ADDR_STRLEN])items, r->tracker.naddrs);
	for (size_t i = 0; i < r->nsegments; i++)
		if ((rc = store_segment(s, r, i, device_id, file, addresses, errbuf)))
			goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ciot_db_fail(s->db, errbuf, "commit");
		goto fail;
	}
	return CIOT_OK;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
