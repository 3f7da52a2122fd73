/* store.c: schema and writes of the analysis database (docs/database.md). Prepared statements are
 * made once per database; every capture file is one transaction. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "addr.h"
#include "db.h"
#include "pipeline.h"
#include "dpi.h"
#include "store.h"

/* Each encryption class's packets and bytes are two columns of the flow: one INSERT per flow, not
 * one per class (which cost more than the classification itself). */
#define CLASS_COLUMNS(c) "  " c "_packets INTEGER NOT NULL DEFAULT 0,\n  " c "_bytes INTEGER NOT NULL DEFAULT 0,\n"
#define CLASS_ROWS(c)                                                                                    \
	"  SELECT id AS flow_id, '" c "' AS class, " c "_packets AS packets, " c "_bytes AS bytes FROM flows" \
	" WHERE " c "_packets > 0"

/* Value lists are checked with OR, not IN: SQLite builds a temporary index for an IN list of more
 * than two values on every execution of an INSERT, which doubled the cost of writing a row. */
static const char schema_sql[] =
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
	"  manifest TEXT);\n"
	"CREATE TABLE IF NOT EXISTS captures (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  device_id INTEGER NOT NULL REFERENCES devices(id),\n"
	"  file TEXT NOT NULL,\n"
	"  phase TEXT NOT NULL\n"
	"    CHECK (phase = 'setup' OR phase = 'interaction' OR phase = 'idle' OR phase = 'deletion'),\n"
	"  subphase TEXT,\n"
	"  firmware TEXT CHECK (firmware IN ('pre','post')),\n"
	"  interception TEXT,\n"
	"  window_start_us INTEGER,\n"
	"  window_end_us INTEGER,\n"
	"  first_us INTEGER,\n"
	"  last_us INTEGER,\n"
	"  frames INTEGER NOT NULL,\n"
	"  frame_bytes INTEGER NOT NULL,\n"
	"  ip_packets INTEGER NOT NULL,\n"
	"  skipped_frames INTEGER NOT NULL,\n"
	"  malformed_frames INTEGER NOT NULL,\n"
	"  flows INTEGER NOT NULL,\n"
	"  device_packets INTEGER NOT NULL,\n"
	"  device_bytes INTEGER NOT NULL,\n"
	"  other_flows INTEGER NOT NULL,\n"
	"  other_packets INTEGER NOT NULL,\n"
	"  device_method TEXT NOT NULL,\n"
	"  device_addresses TEXT NOT NULL,\n"
	"  file_format TEXT NOT NULL,\n"
	"  file_size INTEGER NOT NULL,\n"
	"  file_truncated INTEGER NOT NULL,\n"
	"  frames_outside_windows INTEGER NOT NULL,\n"
	"  dns_responses INTEGER NOT NULL,\n"
	"  dns_malformed INTEGER NOT NULL,\n"
	"  names_dropped INTEGER NOT NULL,\n"
	"  pii_dropped INTEGER NOT NULL DEFAULT 0,\n"
	"  analyzed_at TEXT NOT NULL);\n"
	"CREATE INDEX IF NOT EXISTS captures_file ON captures(file, device_id);\n"
	"CREATE TABLE IF NOT EXISTS decode_events (\n"
	"  capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,\n"
	"  reason TEXT NOT NULL,\n"
	"  malformed INTEGER NOT NULL,\n"
	"  frames INTEGER NOT NULL,\n"
	"  PRIMARY KEY (capture_id, reason));\n"
	"CREATE TABLE IF NOT EXISTS flows (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,\n"
	"  transport TEXT NOT NULL,\n"
	"  ip_version INTEGER NOT NULL,\n"
	"  device_ip TEXT NOT NULL,\n"
	"  device_port INTEGER NOT NULL,\n"
	"  remote_ip TEXT NOT NULL,\n"
	"  remote_port INTEGER NOT NULL,\n"
	"  remote_scope TEXT NOT NULL CHECK (remote_scope IN ('local','internet')),\n"
	"  initiator TEXT NOT NULL CHECK (initiator IN ('device','remote')),\n"
	"  first_us INTEGER NOT NULL,\n"
	"  last_us INTEGER NOT NULL,\n"
	"  packets_out INTEGER NOT NULL,\n"
	"  bytes_out INTEGER NOT NULL,\n"
	"  payload_out INTEGER NOT NULL,\n"
	"  packets_in INTEGER NOT NULL,\n"
	"  bytes_in INTEGER NOT NULL,\n"
	"  payload_in INTEGER NOT NULL,\n"
	"  tcp_flags_out INTEGER NOT NULL,\n"
	"  tcp_flags_in INTEGER NOT NULL,\n"
	"  app_proto TEXT NOT NULL,\n"
	"  ndpi_category TEXT NOT NULL,\n"
	"  ndpi_guessed INTEGER NOT NULL,\n"
	"  end_reason TEXT NOT NULL,\n"
	"  server_name TEXT,\n"
	"  server_name_source TEXT\n"
	"    CHECK (server_name_source = 'sni' OR server_name_source = 'quic' OR server_name_source = 'http'),\n"
	"  entropy_encrypted_packets INTEGER NOT NULL DEFAULT 0,\n"
	"  proprietary_encryption INTEGER NOT NULL DEFAULT 0,\n"
	CLASS_COLUMNS("encrypted") CLASS_COLUMNS("text") CLASS_COLUMNS("compressed") CLASS_COLUMNS("media")
	CLASS_COLUMNS("unknown") "  omitted_packets INTEGER NOT NULL DEFAULT 0,\n"
	"  omitted_bytes INTEGER NOT NULL DEFAULT 0,\n"
	"  pii_searched_bytes INTEGER NOT NULL DEFAULT 0);\n"
	"CREATE INDEX IF NOT EXISTS flows_capture ON flows(capture_id);\n"
	/* the class counts one row per flow and class, for queries that group by class */
	"CREATE VIEW IF NOT EXISTS flow_classes AS\n"
	CLASS_ROWS("encrypted") " UNION ALL\n" CLASS_ROWS("text") " UNION ALL\n" CLASS_ROWS("compressed")
	" UNION ALL\n" CLASS_ROWS("media") " UNION ALL\n" CLASS_ROWS("unknown") " UNION ALL\n"
	CLASS_ROWS("omitted") ";\n"
	"CREATE TABLE IF NOT EXISTS dns_answers (\n"
	"  capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,\n"
	"  ts_us INTEGER NOT NULL,\n"
	"  client_ip TEXT NOT NULL,\n"
	"  server_ip TEXT NOT NULL,\n"
	"  query TEXT NOT NULL,\n"
	"  cnames TEXT,\n"
	"  address TEXT NOT NULL,\n"
	"  ttl INTEGER NOT NULL);\n"
	"CREATE INDEX IF NOT EXISTS dns_answers_capture ON dns_answers(capture_id);\n"
	"CREATE TABLE IF NOT EXISTS destinations (\n"
	"  flow_id INTEGER PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE,\n"
	"  name TEXT,\n"
	"  name_source TEXT CHECK (name_source = 'sni' OR name_source = 'quic' OR name_source = 'http'\n"
	"    OR name_source = 'dns' OR name_source = 'dns-later'),\n"
	"  dns_name TEXT,\n"
	"  domain TEXT,\n"
	"  country TEXT NOT NULL,\n"
	"  asn INTEGER,\n"
	"  as_org TEXT,\n"
	"  organization TEXT,\n"
	"  party TEXT\n"
	"    CHECK (party = 'first' OR party = 'support' OR party = 'third' OR party = 'local'),\n"
	"  party_rule TEXT);\n"
	"CREATE TABLE IF NOT EXISTS tls_connections (\n"
	"  flow_id INTEGER PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE,\n"
	"  protocol TEXT NOT NULL CHECK (protocol = 'tls' OR protocol = 'dtls' OR protocol = 'quic'),\n"
	"  client TEXT NOT NULL CHECK (client = 'device' OR client = 'remote'),\n"
	"  client_hello INTEGER NOT NULL,\n"
	"  server_hello INTEGER NOT NULL,\n"
	"  sslv2_hello INTEGER NOT NULL,\n"
	"  client_version TEXT,\n"
	"  offered_versions TEXT,\n"
	"  highest_offered TEXT,\n"
	"  version TEXT,\n"
	"  quic_version TEXT,\n"
	"  cipher TEXT,\n"
	"  cipher_id INTEGER,\n"
	"  cipher_class TEXT,\n"
	"  offered_ciphers TEXT,\n"
	"  offered_cipher_classes TEXT,\n"
	"  sni TEXT,\n"
	"  alpn TEXT,\n"
	"  session_ticket INTEGER NOT NULL,\n"
	"  psk_offered INTEGER NOT NULL,\n"
	"  resumed INTEGER NOT NULL,\n"
	"  psk INTEGER NOT NULL,\n"
	"  hello_retry INTEGER NOT NULL,\n"
	"  certificate_request INTEGER NOT NULL,\n"
	"  server_certificates INTEGER NOT NULL,\n"
	"  client_certificates INTEGER NOT NULL,\n"
	"  leaf_sha256 TEXT,\n"
	"  chain_findings TEXT,\n"
	"  chain_error TEXT,\n"
	"  established INTEGER NOT NULL,\n"
	"  client_finished INTEGER NOT NULL,\n"
	"  server_finished INTEGER NOT NULL,\n"
	"  client_app_records INTEGER NOT NULL,\n"
	"  client_app_bytes INTEGER NOT NULL,\n"
	"  server_app_records INTEGER NOT NULL,\n"
	"  server_app_bytes INTEGER NOT NULL,\n"
	"  client_alerts TEXT NOT NULL,\n"
	"  server_alerts TEXT NOT NULL,\n"
	"  closed_by TEXT CHECK (closed_by = 'client' OR closed_by = 'server'),\n"
	"  close TEXT CHECK (close = 'fin' OR close = 'rst'),\n"
	"  outcome TEXT,\n"
	"  reassembly_gaps INTEGER NOT NULL,\n"
	"  handshake_truncated INTEGER NOT NULL,\n"
	"  handshake_malformed INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS certificates (\n"
	"  sha256 TEXT PRIMARY KEY,\n"
	"  subject TEXT,\n"
	"  issuer TEXT,\n"
	"  serial TEXT,\n"
	"  sans TEXT,\n"
	"  not_before TEXT,\n"
	"  not_after TEXT,\n"
	"  validity_days INTEGER,\n"
	"  sig_alg TEXT,\n"
	"  key_type TEXT,\n"
	"  key_bits INTEGER,\n"
	"  curve TEXT,\n"
	"  ca INTEGER,\n"
	"  self_signed INTEGER,\n"
	"  findings TEXT,\n"
	"  parse_error TEXT,\n"
	"  der BLOB NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS tls_chains (\n"
	"  flow_id INTEGER NOT NULL REFERENCES tls_connections(flow_id) ON DELETE CASCADE,\n"
	"  sender TEXT NOT NULL CHECK (sender = 'server' OR sender = 'client'),\n"
	"  position INTEGER NOT NULL,\n"
	"  sha256 TEXT NOT NULL REFERENCES certificates(sha256),\n"
	"  PRIMARY KEY (flow_id, sender, position));\n"
	"CREATE INDEX IF NOT EXISTS tls_chains_sha256 ON tls_chains(sha256);\n"
	"CREATE TABLE IF NOT EXISTS pii_matches (\n"
	"  flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,\n"
	"  direction TEXT NOT NULL CHECK (direction IN ('out','in')),\n"
	"  kind TEXT NOT NULL,\n"
	"  method TEXT NOT NULL CHECK (method IN ('pattern','seed')),\n"
	"  encoding TEXT NOT NULL,\n"
	"  location TEXT NOT NULL CHECK (location IN ('url','header','body','topic','dns','payload')),\n"
	"  count INTEGER NOT NULL,\n"
	"  first_us INTEGER NOT NULL,\n"
	"  value_hash TEXT NOT NULL,\n"
	"  value_hint TEXT NOT NULL,\n"
	"  value TEXT);\n"
	"CREATE INDEX IF NOT EXISTS pii_matches_flow ON pii_matches(flow_id);\n"
	"CREATE VIEW IF NOT EXISTS flow_view AS\n"
	"  SELECT f.*, d.name AS device, d.category AS category, d.brand AS brand, c.phase AS phase,\n"
	"         c.subphase AS subphase, c.file AS file, c.firmware AS firmware, c.interception AS interception\n"
	"  FROM flows f JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id;\n"
	"CREATE VIEW IF NOT EXISTS destination_view AS\n"
	"  SELECT f.id AS flow_id, d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,\n"
	"         c.subphase AS subphase, c.firmware AS firmware, f.remote_ip AS remote_ip,\n"
	"         f.remote_port AS remote_port, f.transport AS transport, f.app_proto AS app_proto,\n"
	"         f.first_us AS first_us, f.bytes_out + f.bytes_in AS bytes,\n"
	"         f.packets_out + f.packets_in AS packets, t.*\n"
	"  FROM flows f JOIN destinations t ON t.flow_id = f.id JOIN captures c ON c.id = f.capture_id\n"
	"  JOIN devices d ON d.id = c.device_id;\n"
	"CREATE VIEW IF NOT EXISTS tls_view AS\n"
	"  SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,\n"
	"         c.subphase AS subphase, c.firmware AS firmware, c.interception AS interception,\n"
	"         c.file AS file, f.transport AS transport, f.device_ip AS device_ip,\n"
	"         f.device_port AS device_port, f.remote_ip AS remote_ip, f.remote_port AS remote_port,\n"
	"         f.first_us AS first_us, f.last_us AS last_us, f.end_reason AS end_reason, t.*\n"
	"  FROM tls_connections t JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id\n"
	"  JOIN devices d ON d.id = c.device_id;\n"
	"CREATE VIEW IF NOT EXISTS pii_view AS\n"
	"  SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,\n"
	"         c.subphase AS subphase, c.file AS file, f.transport AS transport, f.app_proto AS app_proto,\n"
	"         f.remote_ip AS remote_ip, f.remote_port AS remote_port, f.server_name AS server_name,\n"
	"         p.*\n"
	"  FROM pii_matches p JOIN flows f ON f.id = p.flow_id JOIN captures c ON c.id = f.capture_id\n"
	"  JOIN devices d ON d.id = c.device_id;\n";

struct ciot_store {
	sqlite3 *db;
	sqlite3_stmt *device, *device_id, *delete_captures, *capture, *decode_event, *flow, *dns_answer;
	sqlite3_stmt *tls, *certificate, *chain, *pii;
};

static int schema_version(sqlite3 *db, char *errbuf, enum ciot_rc *rc)
{
	sqlite3_stmt *st;
	*rc = CIOT_OK;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL) != SQLITE_OK) {
		/* no meta table: an empty database, or not ours */
		sqlite3_stmt *any;
		int tables = -1;
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &any, NULL) == SQLITE_OK &&
		    sqlite3_step(any) == SQLITE_ROW)
			tables = sqlite3_column_int(any, 0);
		sqlite3_finalize(any);
		if (tables == 0)
			return 0;
		*rc = tables < 0 ? ciot_db_fail(db, errbuf, "not a database")
				 : ciot_fail(errbuf, CIOT_ERR_FORMAT, "an SQLite database, but not one written by ciot");
		return -1;
	}
	int v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = atoi((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static enum ciot_rc prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *errbuf)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "prepare");
	return CIOT_OK;
}

enum ciot_rc ciot_store_open(struct ciot_store **out, const char *path, char *errbuf)
{
	*out = NULL;
	struct ciot_store *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = ciot_db_fail(s->db, errbuf, "open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	int v = schema_version(s->db, errbuf, &rc);
	if (rc)
		goto fail;
	if (v > 0 && v != CIOT_SCHEMA_VERSION) {
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "database schema version %d; this ciot writes version %d", v,
			       CIOT_SCHEMA_VERSION);
		goto fail;
	}
	char *err = NULL;
	char version_sql[128];
	snprintf(version_sql, sizeof version_sql,
		 "INSERT OR REPLACE INTO meta VALUES ('schema_version', '%d');", CIOT_SCHEMA_VERSION);
	if (sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema_sql, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, version_sql, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
		rc = ciot_fail(errbuf, CIOT_ERR_DB, "creating the schema: %s", err ? err : "?");
		sqlite3_free(err);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if ((rc = prepare(s->db,
			  "INSERT INTO devices (name, label, brand, category, app, macs, ips, manifest)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(name) DO UPDATE SET"
			  " label = ?2, brand = ?3, category = ?4, app = ?5, macs = ?6, ips = ?7, manifest = ?8",
			  &s->device, errbuf)) ||
	    (rc = prepare(s->db, "SELECT id FROM devices WHERE name = ?1", &s->device_id, errbuf)) ||
	    (rc = prepare(s->db, "DELETE FROM captures WHERE file = ?1 AND device_id = ?2", &s->delete_captures,
			  errbuf)) ||
	    (rc = prepare(s->db,
			  "INSERT INTO captures (device_id, file, phase, subphase, firmware, interception,"
			  " window_start_us, window_end_us, first_us, last_us, frames, frame_bytes, ip_packets,"
			  " skipped_frames, malformed_frames, flows, device_packets, device_bytes, other_flows,"
			  " other_packets, device_method, device_addresses, file_format, file_size, file_truncated,"
			  " frames_outside_windows, dns_responses, dns_malformed, names_dropped, pii_dropped, analyzed_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
			  " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)",
			  &s->capture, errbuf)) ||
	    (rc = prepare(s->db, "INSERT INTO decode_events VALUES (?1, ?2, ?3, ?4)", &s->decode_event, errbuf)) ||
	    (rc = prepare(s->db,
			  "INSERT INTO flows (capture_id, transport, ip_version, device_ip, device_port, remote_ip,"
			  " remote_port, remote_scope, initiator, first_us, last_us, packets_out, bytes_out,"
			  " payload_out, packets_in, bytes_in, payload_in, tcp_flags_out, tcp_flags_in, app_proto,"
			  " ndpi_category, ndpi_guessed, end_reason, server_name, server_name_source,"
			  " entropy_encrypted_packets, proprietary_encryption, encrypted_packets, encrypted_bytes,"
			  " text_packets, text_bytes, compressed_packets, compressed_bytes, media_packets, media_bytes,"
			  " unknown_packets, unknown_bytes, omitted_packets, omitted_bytes, pii_searched_bytes) VALUES"
			  " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
			  " ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39,"
			  " ?40)",
			  &s->flow, errbuf)) ||
	    (rc = prepare(s->db, "INSERT INTO dns_answers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &s->dns_answer,
			  errbuf)) ||
	    (rc = prepare(s->db,
			  "INSERT INTO tls_connections VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
			  " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33,"
			  " ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, ?44)",
			  &s->tls, errbuf)) ||
	    (rc = prepare(s->db,
			  "INSERT OR IGNORE INTO certificates VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
			  " ?13, ?14, ?15, ?16, ?17)",
			  &s->certificate, errbuf)) ||
	    (rc = prepare(s->db, "INSERT INTO tls_chains VALUES (?1, ?2, ?3, ?4)", &s->chain, errbuf)) ||
	    (rc = prepare(s->db, "INSERT INTO pii_matches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
			  &s->pii, errbuf)))
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
	sqlite3_finalize(s->device);
	sqlite3_finalize(s->device_id);
	sqlite3_finalize(s->delete_captures);
	sqlite3_finalize(s->capture);
	sqlite3_finalize(s->decode_event);
	sqlite3_finalize(s->flow);
	sqlite3_finalize(s->dns_answer);
	sqlite3_finalize(s->tls);
	sqlite3_finalize(s->certificate);
	sqlite3_finalize(s->chain);
	sqlite3_finalize(s->pii);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *ciot_store_db(struct ciot_store *s)
{
	return s->db;
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
	enum ciot_rc rc;
	int v = schema_version(db, errbuf, &rc);
	if (!rc && v != CIOT_SCHEMA_VERSION)
		rc = v == 0 ? ciot_fail(errbuf, CIOT_ERR_FORMAT, "empty database: nothing was analyzed into it")
			    : ciot_fail(errbuf, CIOT_ERR_FORMAT, "database schema version %d; this ciot reads version %d",
					v, CIOT_SCHEMA_VERSION);
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

/* The version of the encryption method: raised whenever a rule changes what a packet is called. */
#define ENCRYPTION_METHOD_VERSION 1

enum ciot_rc ciot_store_begin_run(struct ciot_store *s, const struct ciot_dataset *ds,
				  const struct ciot_analysis_options *o, char *errbuf)
{
	sqlite3_stmt *st;
	enum ciot_rc rc = prepare(s->db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", &st, errbuf);
	if (rc)
		return rc;
	char now[32];
	iso_now(now);
	char method[256];
	snprintf(method, sizeof method,
		 "ciot encryption method %d: protocol rules, magic numbers at offset 0, entropy (%s mode: encrypted "
		 "above %g, text below %g), omitted below %u bytes",
		 ENCRYPTION_METHOD_VERSION, ciot_entropy_mode_name(o->entropy.mode), o->entropy.encrypted_above,
		 o->entropy.text_below, o->entropy.omit_below);
	const char *pairs[][2] = {
		{ "encryption_method", method },
		{ "ciot_version", CIOT_VERSION },
		{ "ndpi_version", ciot_dpi_version() },
		{ "sqlite_version", sqlite3_libversion() },
		{ "last_run_at", now },
		{ "last_input_kind", ds->kind ? ds->kind : "files" },
		{ "dataset_name", ds->name },
		{ "home_country", ds->home_country },
		{ "trust_store", o->trust ? ciot_x509_trust_description(o->trust) : NULL },
		{ "pii_search", o->pii ? "on" : "off" },
		{ "pii_key", o->pii ? o->pii->key_origin : NULL },
		{ "pii_values", o->pii ? (o->pii->keep_values ? "kept" : "hash and hint only") : NULL },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		if (!pairs[i][1])
			continue;
		sqlite3_bind_text(st, 1, pairs[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pairs[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = ciot_db_fail(s->db, errbuf, "meta");
		sqlite3_reset(st);
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	return rc;
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
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->brand, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->category, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, macs, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, ips, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, d->manifest_json, -1, SQLITE_STATIC);
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

/* ---- TLS ------------------------------------------------------------------------------------- */

static void iso_time(int64_t unix_seconds, char out[32])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)unix_seconds);
}

static enum ciot_rc store_certificate(struct ciot_store *s, const struct ciot_certificate *c, char *errbuf)
{
	sqlite3_stmt *st = s->certificate;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, c->sha256, -1, SQLITE_STATIC);
	if (c->parsed) {
		const struct ciot_x509_info *x = &c->info;
		char before[32], after[32], findings[256];
		iso_time(x->not_before, before);
		iso_time(x->not_after, after);
		ciot_x509_findings_text(x->findings, findings, sizeof findings);
		sqlite3_bind_text(st, 2, x->subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, x->issuer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, x->serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, x->sans, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, before, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, after, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 8, x->validity_days);
		sqlite3_bind_text(st, 9, x->sig_alg, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, x->key_type, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 11, x->key_bits);
		ciot_db_bind_text_or_null(st, 12, x->curve[0] ? x->curve : NULL);
		sqlite3_bind_int(st, 13, x->ca);
		sqlite3_bind_int(st, 14, (x->findings & CIOT_X509_SELF_SIGNED) != 0);
		sqlite3_bind_text(st, 15, findings, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_text(st, 16, c->error, -1, SQLITE_STATIC);
	}
	sqlite3_bind_blob(st, 17, c->der, (int)c->len, SQLITE_STATIC);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(s->db, errbuf, "certificates");
}

static const char *version_or_null(uint16_t v, char *buf, size_t len)
{
	return v ? ciot_tls_version_name(v, buf, len) : NULL;
}

/* "TLS1.3,TLS1.2": the supported_versions offered, else the ClientHello's version. */
static void offered_versions(const struct ciot_tls_client_hello *ch, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = 0;
	if (!ch->nversions) {
		char buf[16];
		snprintf(out, outlen, "%s", ciot_tls_version_name(ch->legacy_version, buf, sizeof buf));
		return;
	}
	for (unsigned i = 0; i < ch->nversions && used < outlen; i++) {
		char buf[16];
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "",
					 ciot_tls_version_name(ch->versions[i], buf, sizeof buf));
	}
}

/* The cipher suites offered, by name, and the classes among them in a fixed order. */
static void offered_ciphers(const struct ciot_tls_client_hello *ch, char *names, size_t nameslen, char *classes,
			    size_t classeslen)
{
	static const char *const order[] = { "insecure", "no-encryption", "anonymous", "psk", "forward-secret",
					     "other", "unknown" };
	bool seen[sizeof order / sizeof order[0]] = { false };
	size_t used = 0;
	names[0] = classes[0] = 0;
	for (unsigned i = 0; i < ch->nciphers; i++) {
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(ch->ciphers[i]);
		char hex[8];
		const char *name = hex;
		if (c)
			name = c->name;
		else
			snprintf(hex, sizeof hex, "0x%04x", ch->ciphers[i]);
		/* the list can be long (up to 256 suites): copied, not printed */
		size_t n = strlen(name);
		if (used + n + 2 <= nameslen) {
			if (i)
				names[used++] = ',';
			memcpy(names + used, name, n);
			used += n;
			names[used] = 0;
		}
		const char *cls = ciot_tls_cipher_class(ch->ciphers[i]);
		for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
			if (strcmp(cls, order[k]) == 0)
				seen[k] = true;
	}
	used = 0;
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		if (seen[k] && used < classeslen)
			used += (size_t)snprintf(classes + used, classeslen - used, "%s%s", used ? "," : "", order[k]);
}

static enum ciot_rc store_tls(struct ciot_store *s, sqlite3_int64 flow_id, const struct ciot_flow_record *f, int dev,
			      struct ciot_capture_result *r, char *errbuf)
{
	const struct ciot_tls_record *t = f->tls;
	const struct ciot_tls_summary *x = t->summary;
	const struct ciot_tls_side *client = &x->side[CIOT_TLS_CLIENT], *server = &x->side[CIOT_TLS_SERVER];
	char client_version[16], version[16], highest[16], quic[16], versions[CIOT_TLS_MAX_VERSIONS * 16];
	char ciphers[CIOT_TLS_MAX_CIPHERS * 64], classes[128], findings[256], client_alerts[256], server_alerts[256];
	sqlite3_stmt *st = s->tls;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, flow_id);
	sqlite3_bind_text(st, 2, ciot_tls_protocol_name(x->protocol), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, x->client_dir == dev ? "device" : "remote", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, client->hello);
	sqlite3_bind_int(st, 5, server->hello);
	sqlite3_bind_int(st, 6, client->hello && x->ch.sslv2);
	if (client->hello) {
		ciot_db_bind_text_or_null(st, 7, version_or_null(x->ch.legacy_version, client_version, sizeof client_version));
		offered_versions(&x->ch, versions, sizeof versions);
		sqlite3_bind_text(st, 8, versions, -1, SQLITE_TRANSIENT);
		uint16_t top = x->ch.nversions ? ciot_tls_highest_version(x->ch.versions, x->ch.nversions)
					       : x->ch.legacy_version;
		ciot_db_bind_text_or_null(st, 9, version_or_null(top, highest, sizeof highest));
		offered_ciphers(&x->ch, ciphers, sizeof ciphers, classes, sizeof classes);
		sqlite3_bind_text(st, 15, ciphers, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 16, classes, -1, SQLITE_TRANSIENT);
		ciot_db_bind_text_or_null(st, 17, x->ch.sni[0] ? x->ch.sni : NULL);
		ciot_db_bind_text_or_null(st, 18, x->ch.alpn[0] ? x->ch.alpn : NULL);
	}
	ciot_db_bind_text_or_null(st, 10, version_or_null(x->version, version, sizeof version));
	if (x->protocol == CIOT_TLS_PROTO_QUIC)
		sqlite3_bind_text(st, 11, ciot_quic_version_name(x->quic_version, quic, sizeof quic), -1, SQLITE_TRANSIENT);
	bool cipher_known = server->hello && !x->sslv2_server;
	unsigned cipher_flags = 0;
	if (cipher_known) {
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(x->sh.cipher);
		char hex[8];
		snprintf(hex, sizeof hex, "0x%04x", x->sh.cipher);
		sqlite3_bind_text(st, 12, c ? c->name : hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 13, x->sh.cipher);
		sqlite3_bind_text(st, 14, ciot_tls_cipher_class(x->sh.cipher), -1, SQLITE_STATIC);
		cipher_flags = c ? c->flags : 0;
	}
	sqlite3_bind_int(st, 19, client->hello && x->ch.session_ticket);
	sqlite3_bind_int(st, 20, client->hello && x->ch.psk);
	sqlite3_bind_int(st, 21, x->resumed);
	sqlite3_bind_int(st, 22, (cipher_flags & CIOT_CIPHER_PSK) || (cipher_known && x->sh.psk));
	sqlite3_bind_int(st, 23, x->hello_retry);
	sqlite3_bind_int(st, 24, x->certificate_request);
	sqlite3_bind_int(st, 25, (int)server->nchain);
	sqlite3_bind_int(st, 26, (int)client->nchain);
	if (server->nchain && t->audited) {
		sqlite3_bind_text(st, 27, r->certs[t->chain[CIOT_TLS_SERVER][0]].sha256, -1, SQLITE_STATIC);
		ciot_x509_findings_text(t->chain_findings, findings, sizeof findings);
		sqlite3_bind_text(st, 28, findings, -1, SQLITE_TRANSIENT);
		ciot_db_bind_text_or_null(st, 29, t->chain_error[0] ? t->chain_error : NULL);
	}
	sqlite3_bind_int(st, 30, x->established);
	sqlite3_bind_int(st, 31, client->finished);
	sqlite3_bind_int(st, 32, server->finished);
	sqlite3_bind_int64(st, 33, client->app_records);
	sqlite3_bind_int64(st, 34, (sqlite3_int64)client->app_bytes);
	sqlite3_bind_int64(st, 35, server->app_records);
	sqlite3_bind_int64(st, 36, (sqlite3_int64)server->app_bytes);
	ciot_tls_alerts_text(client, client_alerts, sizeof client_alerts);
	ciot_tls_alerts_text(server, server_alerts, sizeof server_alerts);
	sqlite3_bind_text(st, 37, client_alerts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 38, server_alerts, -1, SQLITE_TRANSIENT);
	const struct ciot_tls_side *closer = NULL;
	if (client->close != CIOT_TLS_OPEN &&
	    (server->close == CIOT_TLS_OPEN || client->close_packet < server->close_packet))
		closer = client;
	else if (server->close != CIOT_TLS_OPEN)
		closer = server;
	if (closer) {
		sqlite3_bind_text(st, 39, closer == client ? "client" : "server", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 40, closer->close == CIOT_TLS_CLOSED_RST ? "rst" : "fin", -1, SQLITE_STATIC);
	}
	/* QUIC's handshake is encrypted: nothing to tell about it */
	if (x->protocol != CIOT_TLS_PROTO_QUIC)
		sqlite3_bind_text(st, 41, ciot_tls_outcome_name(ciot_tls_outcome_of(x)), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 42, client->gaps + server->gaps);
	sqlite3_bind_int(st, 43, client->handshake_truncated || server->handshake_truncated);
	sqlite3_bind_int(st, 44, client->handshake_malformed || server->handshake_malformed);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return ciot_db_fail(s->db, errbuf, "tls_connections");
	if (!t->audited)
		return CIOT_OK;
	static const char *const senders[2] = { [CIOT_TLS_CLIENT] = "client", [CIOT_TLS_SERVER] = "server" };
	for (int role = 0; role < 2; role++)
		for (unsigned c = 0; c < x->side[role].nchain; c++) {
			struct ciot_certificate *cert = &r->certs[t->chain[role][c]];
			if (!cert->stored) {
				enum ciot_rc rc = store_certificate(s, cert, errbuf);
				if (rc)
					return rc;
				cert->stored = true; /* once per capture: the rest is INSERT OR IGNORE's work */
			}
			st = s->chain;
			sqlite3_bind_int64(st, 1, flow_id);
			sqlite3_bind_text(st, 2, senders[role], -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 3, (int)c);
			sqlite3_bind_text(st, 4, cert->sha256, -1, SQLITE_STATIC);
			step = sqlite3_step(st);
			sqlite3_reset(st);
			if (step != SQLITE_DONE)
				return ciot_db_fail(s->db, errbuf, "tls_chains");
		}
	return CIOT_OK;
}

static enum ciot_rc store_pii(struct ciot_store *s, sqlite3_int64 flow_id, const struct ciot_flow_record *f, int dev,
			      char *errbuf)
{
	sqlite3_stmt *st = s->pii;
	for (size_t i = 0; i < f->pii.n; i++) {
		const struct ciot_pii_hit *h = &f->pii.hit[i];
		sqlite3_bind_int64(st, 1, flow_id);
		sqlite3_bind_text(st, 2, h->dir == dev ? "out" : "in", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ciot_pii_kind_name((enum ciot_pii_kind)h->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ciot_pii_method_name((enum ciot_pii_method)h->method), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ciot_pii_encoding_name((enum ciot_pii_encoding)h->encoding), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, ciot_pii_where_name((enum ciot_pii_where)h->where), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, h->count);
		sqlite3_bind_int64(st, 8, h->first_ts);
		sqlite3_bind_text(st, 9, h->hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, h->hint, -1, SQLITE_STATIC);
		ciot_db_bind_text_or_null(st, 11, h->value);
		int step = sqlite3_step(st);
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			return ciot_db_fail(s->db, errbuf, "pii_matches");
	}
	return CIOT_OK;
}

static enum ciot_rc store_flow(struct ciot_store *s, sqlite3_int64 capture_id, const struct ciot_flow_record *f,
			       int dev, struct ciot_capture_result *r, struct ciot_dpi *dpi, char *errbuf)
{
	const struct ciot_strpool *names = &r->names;
	int rem = 1 - dev;
	char dev_ip[CIOT_ADDR_STRLEN], rem_ip[CIOT_ADDR_STRLEN], proto_buf[16], app[64];
	ciot_addr_format(f->addr[dev], dev_ip);
	ciot_addr_format(f->addr[rem], rem_ip);
	const char *transport = transport_name(f->proto);
	if (!transport) {
		snprintf(proto_buf, sizeof proto_buf, "ip-%u", f->proto);
		transport = proto_buf;
	}
	struct ciot_dpi_flow result = { .master_proto = f->master_proto, .app_proto = f->app_proto,
					.category = f->category };
	ciot_dpi_name(dpi, &result, app, sizeof app);
	sqlite3_stmt *st = s->flow;
	sqlite3_bind_int64(st, 1, capture_id);
	sqlite3_bind_text(st, 2, transport, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, f->ip_version);
	sqlite3_bind_text(st, 4, dev_ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, f->port[dev]);
	sqlite3_bind_text(st, 6, rem_ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 7, f->port[rem]);
	sqlite3_bind_text(st, 8, ciot_addr_is_local(f->addr[rem]) ? "local" : "internet", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, dev == 0 ? "device" : "remote", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, f->first_ts);
	sqlite3_bind_int64(st, 11, f->last_ts);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)f->dir[dev].packets);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)f->dir[dev].bytes);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)f->dir[dev].payload);
	sqlite3_bind_int64(st, 15, (sqlite3_int64)f->dir[rem].packets);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)f->dir[rem].bytes);
	sqlite3_bind_int64(st, 17, (sqlite3_int64)f->dir[rem].payload);
	sqlite3_bind_int(st, 18, f->dir[dev].tcp_flags);
	sqlite3_bind_int(st, 19, f->dir[rem].tcp_flags);
	sqlite3_bind_text(st, 20, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 21, ciot_dpi_category_name(dpi, &result), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 22, f->dpi_guessed);
	sqlite3_bind_text(st, 23, ciot_flow_end_name((enum ciot_flow_end)f->end_reason), -1, SQLITE_STATIC);
	/* the name a client sent names the server: the remote end only when the device was the client */
	const char *server_name = dev == 0 ? ciot_strpool_get(names, f->server_name) : NULL;
	ciot_db_bind_text_or_null(st, 24, server_name);
	ciot_db_bind_text_or_null(st, 25, server_name ? ciot_server_name_source_name(f->server_name_source) : NULL);
	sqlite3_bind_int64(st, 26, f->classes.entropy_encrypted);
	/* encrypted by its bytes alone on no known encrypted protocol: the paper's "Other protocols" */
	sqlite3_bind_int(st, 27, f->classes.entropy_encrypted > 0 &&
				 !ciot_family_is_encrypted((enum ciot_dpi_family)f->family));
	/* the columns follow enum ciot_content_class's order */
	for (int c = 0; c < CIOT_CONTENT_NCLASSES; c++) {
		sqlite3_bind_int64(st, 28 + 2 * c, f->classes.packets[c]);
		sqlite3_bind_int64(st, 29 + 2 * c, (sqlite3_int64)f->classes.bytes[c]);
	}
	sqlite3_bind_int64(st, 40, (sqlite3_int64)f->pii.searched);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return ciot_db_fail(s->db, errbuf, "flows");
	sqlite3_int64 flow_id = sqlite3_last_insert_rowid(s->db);
	enum ciot_rc rc = store_pii(s, flow_id, f, dev, errbuf);
	return !rc && f->tls ? store_tls(s, flow_id, f, dev, r, errbuf) : rc;
}

static enum ciot_rc store_dns_answer(struct ciot_store *s, sqlite3_int64 capture_id, const struct ciot_dns_record *d,
				     const struct ciot_strpool *names, char *errbuf)
{
	char client[CIOT_ADDR_STRLEN], server[CIOT_ADDR_STRLEN], addr[CIOT_ADDR_STRLEN];
	ciot_addr_format(d->client, client);
	ciot_addr_format(d->server, server);
	ciot_addr_format(d->addr, addr);
	sqlite3_stmt *st = s->dns_answer;
	sqlite3_bind_int64(st, 1, capture_id);
	sqlite3_bind_int64(st, 2, d->ts);
	sqlite3_bind_text(st, 3, client, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, server, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, ciot_strpool_get(names, d->query), -1, SQLITE_STATIC);
	ciot_db_bind_text_or_null(st, 6, ciot_strpool_get(names, d->cnames));
	sqlite3_bind_text(st, 7, addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, d->ttl);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(s->db, errbuf, "dns_answers");
}

static enum ciot_rc store_segment(struct ciot_store *s, struct ciot_capture_result *r,
				  const struct ciot_segment_result *seg, sqlite3_int64 device_id, const char *file,
				  const char *addresses, struct ciot_dpi *dpi, char *errbuf)
{
	uint64_t skipped = 0, malformed = 0;
	for (int d = 1; d < CIOT_DECODE_NRESULTS; d++) {
		if (ciot_decode_result_is_malformed((enum ciot_decode_result)d))
			malformed += seg->decode_counts[d];
		else
			skipped += seg->decode_counts[d];
	}
	uint64_t dev_packets = 0, dev_bytes = 0, other_flows = 0, other_packets = 0, pii_dropped = 0;
	for (size_t i = 0; i < seg->nflows; i++) {
		const struct ciot_flow_record *f = &seg->flows[i];
		uint64_t packets = f->dir[0].packets + f->dir[1].packets;
		if (ciot_device_end(&r->tracker, f->addr[0], f->addr[1]) < 0) {
			other_flows++;
			other_packets += packets;
		} else {
			dev_packets += packets;
			dev_bytes += f->dir[0].bytes + f->dir[1].bytes;
			pii_dropped += f->pii.dropped;
		}
	}
	char now[32];
	iso_now(now);
	sqlite3_stmt *st = s->capture;
	int i = 1;
	sqlite3_bind_int64(st, i++, device_id);
	sqlite3_bind_text(st, i++, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, ciot_phase_name(seg->phase), -1, SQLITE_STATIC);
	ciot_db_bind_text_or_null(st, i++, seg->subphase);
	ciot_db_bind_text_or_null(st, i++, r->capture->firmware);
	ciot_db_bind_text_or_null(st, i++, r->capture->interception);
	if (seg->windowed) {
		sqlite3_bind_int64(st, i++, seg->window_start);
		sqlite3_bind_int64(st, i++, seg->window_end);
	} else {
		sqlite3_bind_null(st, i++);
		sqlite3_bind_null(st, i++);
	}
	if (seg->frames) {
		sqlite3_bind_int64(st, i++, seg->first_ts);
		sqlite3_bind_int64(st, i++, seg->last_ts);
	} else {
		sqlite3_bind_null(st, i++);
		sqlite3_bind_null(st, i++);
	}
	sqlite3_bind_int64(st, i++, (sqlite3_int64)seg->frames);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)seg->frame_bytes);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)seg->decode_counts[CIOT_DECODE_OK]);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)skipped);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)malformed);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)(seg->nflows - other_flows));
	sqlite3_bind_int64(st, i++, (sqlite3_int64)dev_packets);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)dev_bytes);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)other_flows);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)other_packets);
	sqlite3_bind_text(st, i++, ciot_device_method_name(r->tracker.method), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, addresses, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, r->format == CIOT_CAPTURE_PCAPNG ? "pcapng" : "pcap", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->file_size);
	sqlite3_bind_int(st, i++, r->truncated);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->frames_outside_windows);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)seg->dns_responses);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)seg->dns_malformed);
	/* a file's count, on its first step's row only, so that summing the column counts it once */
	sqlite3_bind_int64(st, i++, seg == &r->segments[0] ? (sqlite3_int64)r->names.refused : 0);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)pii_dropped);
	sqlite3_bind_text(st, i++, now, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return ciot_db_fail(s->db, errbuf, "captures");
	sqlite3_int64 capture_id = sqlite3_last_insert_rowid(s->db);
	for (int d = 1; d < CIOT_DECODE_NRESULTS; d++) {
		if (!seg->decode_counts[d])
			continue;
		st = s->decode_event;
		sqlite3_bind_int64(st, 1, capture_id);
		sqlite3_bind_text(st, 2, ciot_decode_result_name((enum ciot_decode_result)d), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, ciot_decode_result_is_malformed((enum ciot_decode_result)d));
		sqlite3_bind_int64(st, 4, (sqlite3_int64)seg->decode_counts[d]);
		step = sqlite3_step(st);
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			return ciot_db_fail(s->db, errbuf, "decode_events");
	}
	for (size_t k = 0; k < seg->nflows; k++) {
		const struct ciot_flow_record *f = &seg->flows[k];
		int dev = ciot_device_end(&r->tracker, f->addr[0], f->addr[1]);
		if (dev < 0)
			continue;
		enum ciot_rc rc = store_flow(s, capture_id, f, dev, r, dpi, errbuf);
		if (rc)
			return rc;
	}
	/* the device's own lookups only: the answers it received */
	for (size_t k = 0; k < seg->ndns; k++) {
		const struct ciot_dns_record *d = &seg->dns[k];
		if (!d->query || ciot_device_end(&r->tracker, d->client, d->server) != 0)
			continue;
		enum ciot_rc rc = store_dns_answer(s, capture_id, d, &r->names, errbuf);
		if (rc)
			return rc;
	}
	return CIOT_OK;
}

enum ciot_rc ciot_store_prune_certificates(struct ciot_store *s, char *errbuf)
{
	if (sqlite3_exec(s->db,
			 "DELETE FROM certificates WHERE NOT EXISTS"
			 " (SELECT 1 FROM tls_chains c WHERE c.sha256 = certificates.sha256)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return ciot_db_fail(s->db, errbuf, "certificates");
	return CIOT_OK;
}

enum ciot_rc ciot_store_capture(struct ciot_store *s, struct ciot_capture_result *r, struct ciot_dpi *dpi,
				char *errbuf)
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
		if ((rc = store_segment(s, r, &r->segments[i], device_id, file, addresses, dpi, errbuf)))
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
