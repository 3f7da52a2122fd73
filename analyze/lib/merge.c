/* merge.c: databases of parts of one analysis made into the database one run over the whole would
 * have written (ciot/store.h, ciot-report merge; docs/scale.md). The parts come from runs over
 * parts of a dataset (ciot-analyze --shard K/N, dataset-part.c) or over files of their own.
 *
 * What a merge must not copy as it is, because it is dataset-wide:
 *   - ids. Devices, captures and flows are numbered as one run with -j 1 numbers them: captures
 *     one file after another in dataset order (a part's meta shard_captures gives each capture's
 *     position; captures of parts without it follow, in the order the parts were given), flows
 *     consecutively within their capture, devices in the order of their first capture. Every
 *     column that refers to one of them (found through the schema's foreign keys, so that an
 *     analyzer's new table needs nothing here) is renumbered with it.
 *   - the order of rows without an id of their own (DNS answers, PII matches, chains): rows are
 *     written in the order the whole run would have written them (by their capture, then as in
 *     their part), since a reader may depend on it (the destinations stage interns a device's
 *     DNS answers in row order).
 *   - what parts share: a device (the same id in two parts is one device, and must be described
 *     alike), a certificate (one row per SHA-256). A capture in two parts is refused.
 *   - meta: what produced the parts must agree (schema, ciot, nDPI, options, data versions; a
 *     difference is refused naming the key), except what is the part's own (when it ran, its
 *     shard). PII value hashes are comparable only under one key: parts whose key was random (no
 *     --pii-key) are refused.
 *   - the stages' tables (destinations, attribution coverage): their evidence crosses captures
 *     (a domain only one brand's devices contact, one party per server, coverage per device), so
 *     they are not copied; the database stays incomplete (meta complete '0') until the caller
 *     runs the destinations stage over it, as ciot-analyze does at the end of a run.
 *
 * How: pass one (ciot_merge_add) reads each part's meta, captures and devices into temporary
 * tables and checks them; pass two (ciot_merge_copy) numbers everything, then ATTACHes each part
 * read-only in turn and copies its rows through per-part id maps; rows without an id go through a
 * staging table and are written in order at the end. One part is attached at a time: SQLite
 * attaches ten databases at most, and a dataset may have thousands of parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "registry.h"
#include "store.h"

#define MERGE_FK_DEPTH 4 /* foreign keys followed from a column to the table that numbers it */

struct ciot_merge {
	sqlite3 *db;
	char **inputs;
	size_t ninputs;
	char shard_of[96]; /* "N of M captures" of the parts made by --shard */
	char last_run_at[64]; /* the latest part's */
};

/* A part's own meta entries, not compared. */
static const char *const own_meta[] = { "complete", "last_run_at", "shard", "shard_captures", "sqlite_version",
					NULL };

static enum ciot_rc exec(sqlite3 *db, const char *sql, const char *what, char *errbuf)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, what);
	return CIOT_OK;
}

/* Runs the statements built with sqlite3_str (freed here; none when it is empty). */
static enum ciot_rc exec_str(sqlite3 *db, sqlite3_str *s, const char *what, char *errbuf)
{
	bool failed = sqlite3_str_errcode(s) != SQLITE_OK;
	char *sql = sqlite3_str_finish(s);
	if (failed)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (!sql)
		return CIOT_OK;
	enum ciot_rc rc = exec(db, sql, what, errbuf);
	sqlite3_free(sql);
	return rc;
}

/* The first column of the first row of `sql` into out ("" when none). */
static enum ciot_rc query_text(sqlite3 *db, const char *sql, char *out, size_t len, char *errbuf)
{
	sqlite3_stmt *st;
	out[0] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "merge");
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(db, errbuf, "merge");
}

static const char temp_schema[] =
	"CREATE TEMP TABLE merge_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TEMP TABLE merge_captures (input INTEGER NOT NULL, old INTEGER NOT NULL, file TEXT NOT NULL,\n"
	"  device TEXT NOT NULL, flows INTEGER NOT NULL, pos INTEGER, new INTEGER, flow_base INTEGER,\n"
	"  PRIMARY KEY (input, old));\n"
	"CREATE INDEX temp.merge_captures_file ON merge_captures(file, device);\n"
	"CREATE TEMP TABLE merge_pos (file TEXT, device TEXT, pos INTEGER, PRIMARY KEY (file, device));\n"
	"CREATE TEMP TABLE merge_devices (name TEXT PRIMARY KEY, input INTEGER NOT NULL, new INTEGER);\n"
	"CREATE TEMP TABLE merge_ids (tbl TEXT NOT NULL, input INTEGER NOT NULL, old INTEGER NOT NULL, new INTEGER,\n"
	"  PRIMARY KEY (tbl, input, old));\n"
	"CREATE TEMP TABLE merge_device_rows AS SELECT * FROM main.devices WHERE 0;\n";

enum ciot_rc ciot_merge_new(struct ciot_merge **out, const char *path, char *errbuf)
{
	*out = NULL;
	/* the schema, as every run makes it */
	struct ciot_store *store;
	enum ciot_rc rc = ciot_store_open(&store, path, errbuf);
	if (rc)
		return rc;
	ciot_store_close(store);
	struct ciot_merge *m = calloc(1, sizeof *m);
	if (!m)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		rc = ciot_db_fail(m->db, errbuf, "open");
		ciot_merge_free(m);
		return rc;
	}
	/* a new file the caller renames into place once complete: nothing to protect before that */
	if ((rc = exec(m->db, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF",
		       "open", errbuf)) ||
	    (rc = exec(m->db, temp_schema, "merge", errbuf))) {
		ciot_merge_free(m);
		return rc;
	}
	*out = m;
	return CIOT_OK;
}

void ciot_merge_free(struct ciot_merge *m)
{
	if (!m)
		return;
	sqlite3_close(m->db);
	for (size_t i = 0; i < m->ninputs; i++)
		free(m->inputs[i]);
	free(m->inputs);
	free(m);
}

sqlite3 *ciot_merge_db(struct ciot_merge *m)
{
	return m->db;
}

/* A path as a read-only file: URI ('%', '?', '#' and anything unprintable percent-encoded). */
static char *readonly_uri(const char *path)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_str_appendall(s, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
			sqlite3_str_appendf(s, "%%%02X", *p);
		else
			sqlite3_str_appendchar(s, 1, (char)*p);
	}
	sqlite3_str_appendall(s, "?mode=ro");
	return sqlite3_str_finish(s);
}

static enum ciot_rc attach(struct ciot_merge *m, const char *path, char *errbuf)
{
	char *uri = readonly_uri(path);
	sqlite3_stmt *st;
	if (!uri)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_prepare_v2(m->db, "ATTACH ?1 AS src", -1, &st, NULL) != SQLITE_OK)
		rc = ciot_db_fail(m->db, errbuf, "attach");
	else {
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = ciot_db_fail(m->db, errbuf, "attach");
		sqlite3_finalize(st);
	}
	sqlite3_free(uri);
	return rc;
}

/* ---- pass one: each part read and checked ---------------------------------------------------- */

/* The part's meta against the first part's: every entry but the part's own must be there with the
 * same value, and no other. */
static enum ciot_rc check_meta(struct ciot_merge *m, sqlite3_int64 input, char *errbuf)
{
	sqlite3_str *own = sqlite3_str_new(NULL);
	for (size_t i = 0; own_meta[i]; i++)
		sqlite3_str_appendf(own, "%s%Q", i ? "," : "", own_meta[i]);
	char *list = sqlite3_str_finish(own);
	if (!list)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	char *sql = input == 0
		? sqlite3_mprintf("INSERT INTO temp.merge_meta SELECT key, value FROM src.meta WHERE key NOT IN (%s)", list)
		: sqlite3_mprintf("SELECT json_array(key, a, b) FROM (SELECT m.key, m.value AS a, s.value AS b"
				  " FROM temp.merge_meta m LEFT JOIN src.meta s USING (key) WHERE s.value IS NOT m.value"
				  " UNION ALL SELECT s.key, NULL, s.value FROM src.meta s WHERE s.key NOT IN (%s)"
				  " AND s.key NOT IN (SELECT key FROM temp.merge_meta)) ORDER BY 1 LIMIT 1", list);
	sqlite3_free(list);
	if (!sql)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	char diff[1024];
	enum ciot_rc rc = input == 0 ? exec(m->db, sql, "meta", errbuf) : query_text(m->db, sql, diff, sizeof diff, errbuf);
	sqlite3_free(sql);
	char at[64];
	if (!rc && !(rc = query_text(m->db, "SELECT value FROM src.meta WHERE key = 'last_run_at'", at, sizeof at, errbuf)) &&
	    strcmp(at, m->last_run_at) > 0)
		memcpy(m->last_run_at, at, sizeof at);
	if (rc || input == 0)
		return rc;
	if (diff[0]) {
		char key[128], a[400], b[400];
		char *q = sqlite3_mprintf("SELECT json_extract(%Q, '$[0]'), coalesce(json_extract(%Q, '$[1]'), '(none)'),"
					  " coalesce(json_extract(%Q, '$[2]'), '(none)')", diff, diff, diff);
		sqlite3_stmt *st;
		snprintf(key, sizeof key, "?");
		snprintf(a, sizeof a, "?");
		snprintf(b, sizeof b, "?");
		if (q && sqlite3_prepare_v2(m->db, q, -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW) {
				snprintf(key, sizeof key, "%s", (const char *)sqlite3_column_text(st, 0));
				snprintf(a, sizeof a, "%s", (const char *)sqlite3_column_text(st, 1));
				snprintf(b, sizeof b, "%s", (const char *)sqlite3_column_text(st, 2));
			}
			sqlite3_finalize(st);
		}
		sqlite3_free(q);
		return ciot_fail(errbuf, CIOT_ERR_ARG, "meta %s is \"%.120s\" here but \"%.120s\" in %.200s: only parts "
				 "of one analysis merge (the same ciot, options and data)", key, b, a, m->inputs[0]);
	}
	char key[128];
	if ((rc = query_text(m->db, "SELECT value FROM temp.merge_meta WHERE key = 'pii_key'", key, sizeof key, errbuf)))
		return rc;
	if (!strncmp(key, "random", 6))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "meta pii_key: the parts hashed personal data under random keys of "
				 "their own runs, which cannot be compared: analyze every part with the same --pii-key FILE "
				 "(or --no-pii)");
	return CIOT_OK;
}

/* Parts made by --shard: of one sharding (the same N and number of captures). */
static enum ciot_rc check_shard(struct ciot_merge *m, char *shard_json, size_t len, char *errbuf)
{
	char shard[96];
	enum ciot_rc rc = query_text(m->db, "SELECT value FROM src.meta WHERE key = 'shard'", shard, sizeof shard, errbuf);
	if (!rc)
		rc = query_text(m->db, "SELECT value FROM src.meta WHERE key = 'shard_captures'", shard_json, len, errbuf);
	if (rc || !shard[0])
		return rc;
	const char *of = strchr(shard, '/');
	of = of ? of + 1 : shard;
	if (!m->shard_of[0])
		snprintf(m->shard_of, sizeof m->shard_of, "%s", of);
	else if (strcmp(m->shard_of, of))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "meta shard is \"%s\", but other parts are shards of %s: parts of one "
				 "sharding merge", shard, m->shard_of);
	return CIOT_OK;
}

/* A capture of the part that an earlier part holds too: refused, naming it and the other part. */
static enum ciot_rc check_duplicates(struct ciot_merge *m, char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->db, "SELECT c.file, d.name, t.input FROM src.captures c JOIN src.devices d ON"
			       " d.id = c.device_id JOIN temp.merge_captures t ON t.file = c.file AND t.device = d.name"
			       " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(m->db, errbuf, "captures");
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_step(st) == SQLITE_ROW) {
		size_t other = (size_t)sqlite3_column_int64(st, 2);
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "capture %.300s of device %.100s is also in %.200s: each capture must "
			       "be in one part only", (const char *)sqlite3_column_text(st, 0),
			       (const char *)sqlite3_column_text(st, 1), other < m->ninputs ? m->inputs[other] : "another part");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Each capture of the part, with its place in the dataset (its shard's, else none). */
static enum ciot_rc add_captures(struct ciot_merge *m, sqlite3_int64 input, bool sharded, char *errbuf)
{
	enum ciot_rc rc = check_duplicates(m, errbuf);
	if (rc)
		return rc;
	/* the shard's positions, indexed: a part may hold thousands of captures */
	char *sql = sqlite3_mprintf(
		"DELETE FROM temp.merge_pos;"
		"INSERT OR IGNORE INTO temp.merge_pos SELECT json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
		"  json_extract(value, '$[0]') FROM json_each(coalesce((SELECT value FROM src.meta"
		"  WHERE key = 'shard_captures'), '[]'));"
		"INSERT INTO temp.merge_captures (input, old, file, device, flows, pos)"
		" SELECT %lld, c.id, c.file, d.name, (SELECT count(*) FROM src.flows f WHERE f.capture_id = c.id), p.pos"
		" FROM src.captures c JOIN src.devices d ON d.id = c.device_id"
		" LEFT JOIN temp.merge_pos p ON p.file = c.file AND p.device = d.name", input);
	if (!sql)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	rc = exec(m->db, sql, "captures", errbuf);
	sqlite3_free(sql);
	if (rc || !sharded)
		return rc;
	char missing[600];
	sql = sqlite3_mprintf("SELECT file FROM temp.merge_captures WHERE input = %lld AND pos IS NULL LIMIT 1", input);
	rc = sql ? query_text(m->db, sql, missing, sizeof missing, errbuf) : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	sqlite3_free(sql);
	if (!rc && missing[0])
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "capture %s is not among the shard's (meta shard_captures): a part "
			       "holds the captures of one ciot-analyze --shard run only", missing);
	return rc;
}

/* The part's devices: one described as another part describes the same id is the same device; one
 * described otherwise is refused, naming what differs. */
static enum ciot_rc add_devices(struct ciot_merge *m, sqlite3_int64 input, char *errbuf)
{
	sqlite3_stmt *cols;
	if (sqlite3_prepare_v2(m->db, "SELECT name FROM pragma_table_info('devices') WHERE name NOT IN ('id', 'name')", -1,
			       &cols, NULL) != SQLITE_OK)
		return ciot_db_fail(m->db, errbuf, "devices");
	enum ciot_rc rc = CIOT_OK;
	while (!rc && sqlite3_step(cols) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(cols, 0);
		char *sql = sqlite3_mprintf("SELECT s.name FROM src.devices s JOIN temp.merge_device_rows d ON d.name = s.name"
					    " WHERE s.\"%w\" IS NOT d.\"%w\" LIMIT 1", col, col);
		char name[300];
		rc = sql ? query_text(m->db, sql, name, sizeof name, errbuf) : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		sqlite3_free(sql);
		if (!rc && name[0])
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "device %s: its %s differs from an earlier part's: parts of one "
				       "dataset describe a device alike (the same manifest)", name, col);
	}
	sqlite3_finalize(cols);
	if (rc)
		return rc;
	char *sql = sqlite3_mprintf("INSERT INTO temp.merge_device_rows SELECT * FROM src.devices s"
				    " WHERE s.name NOT IN (SELECT name FROM temp.merge_device_rows);"
				    "INSERT OR IGNORE INTO temp.merge_devices (name, input) SELECT name, %lld FROM src.devices",
				    input);
	rc = sql ? exec(m->db, sql, "devices", errbuf) : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	sqlite3_free(sql);
	return rc;
}

/* A table numbered by an id of its own that the core does not number (devices, captures, flows):
 * its rows are numbered in the order of the parts (shaping runs). */
static bool own_id_table(const char *table)
{
	return strcmp(table, "devices") && strcmp(table, "captures") && strcmp(table, "flows");
}

/* Whether a table's rows are the stages' (rebuilt after the merge): its CREATE in a stage's schema. */
static bool stage_table(const char *table)
{
	char needle[160];
	snprintf(needle, sizeof needle, "CREATE TABLE IF NOT EXISTS %s (", table);
	for (size_t k = 0; k < ciot_nstages; k++)
		if (strstr(ciot_stages[k]->schema, needle))
			return true;
	return false;
}

/* The tables whose INTEGER PRIMARY KEY is an id of their own (not a foreign key), besides the
 * core's three: each part's rows of them are remembered for numbering. */
static const char id_tables_sql[] =
	"SELECT t.name, p.name FROM sqlite_schema t JOIN pragma_table_info(t.name) p ON p.pk = 1"
	" WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND upper(p.type) = 'INTEGER'"
	" AND (SELECT count(*) FROM pragma_table_info(t.name) WHERE pk > 0) = 1"
	" AND NOT EXISTS (SELECT 1 FROM pragma_foreign_key_list(t.name) k WHERE k.\"from\" = p.name)"
	" ORDER BY t.name";

static enum ciot_rc add_ids(struct ciot_merge *m, sqlite3_int64 input, char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->db, id_tables_sql, -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(m->db, errbuf, "merge");
	enum ciot_rc rc = CIOT_OK;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0), *col = (const char *)sqlite3_column_text(st, 1);
		if (!own_id_table(table) || stage_table(table))
			continue;
		sqlite3_str *s = sqlite3_str_new(NULL);
		sqlite3_str_appendf(s, "INSERT INTO temp.merge_ids (tbl, input, old) SELECT %Q, %lld, \"%w\" FROM src.\"%w\"",
				    table, input, col, table);
		rc = exec_str(m->db, s, table, errbuf);
	}
	sqlite3_finalize(st);
	return rc;
}

enum ciot_rc ciot_merge_add(struct ciot_merge *m, const char *path, char *errbuf)
{
	/* a database of this schema whose run reached its end, said as reports say it */
	sqlite3 *check;
	enum ciot_rc rc = ciot_store_open_readonly(&check, path, errbuf);
	if (rc)
		return rc;
	sqlite3_close(check);
	char **grown = realloc(m->inputs, (m->ninputs + 1) * sizeof *grown);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	m->inputs = grown;
	if (!(m->inputs[m->ninputs] = strdup(path)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	sqlite3_int64 input = (sqlite3_int64)m->ninputs++;
	if ((rc = attach(m, path, errbuf)))
		return rc;
	char shard_json[8];
	if ((rc = exec(m->db, "BEGIN", "merge", errbuf)))
		goto out;
	if (!(rc = check_meta(m, input, errbuf)) && !(rc = check_shard(m, shard_json, sizeof shard_json, errbuf)) &&
	    !(rc = add_captures(m, input, shard_json[0] != 0, errbuf)) && !(rc = add_devices(m, input, errbuf)))
		rc = add_ids(m, input, errbuf);
	sqlite3_exec(m->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
out:
	sqlite3_exec(m->db, "DETACH src", NULL, NULL, NULL);
	return rc;
}

/* ---- pass two: numbering and copying -------------------------------------------------------- */

/* Captures in dataset order (a shard's position, then the parts without one in the order given),
 * each capture's flows from flow_base on; devices by their first capture; other ids by part. */
static const char numbering[] =
	"UPDATE temp.merge_captures SET new = r.n, flow_base = r.base FROM (SELECT input AS i, old AS o,"
	"  row_number() OVER w AS n,"
	"  1 + coalesce(sum(flows) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS base"
	"  FROM temp.merge_captures WINDOW w AS (ORDER BY pos IS NULL, pos, input, old)) r"
	" WHERE input = r.i AND old = r.o;"
	"UPDATE temp.merge_devices SET new = r.n FROM (SELECT name AS nm, row_number() OVER (ORDER BY first IS NULL,"
	"  first, input, name) AS n FROM (SELECT d.name, d.input, (SELECT min(c.new) FROM temp.merge_captures c"
	"  WHERE c.device = d.name) AS first FROM temp.merge_devices d)) r WHERE name = r.nm;"
	"UPDATE temp.merge_ids SET new = r.n FROM (SELECT tbl AS t, input AS i, old AS o,"
	"  row_number() OVER (PARTITION BY tbl ORDER BY input, old) AS n FROM temp.merge_ids) r"
	" WHERE tbl = r.t AND input = r.i AND old = r.o;";

/* One part's id maps, temp.map_<table> (old, new, capture): the new id, and for captures and
 * flows the new capture they belong to (the order of rows that refer to them). */
static enum ciot_rc make_maps(struct ciot_merge *m, sqlite3_int64 input, char *errbuf)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(s,
		"CREATE TEMP TABLE map_devices (old INTEGER PRIMARY KEY, new INTEGER, capture INTEGER);"
		"INSERT INTO map_devices SELECT s.id, d.new, NULL FROM src.devices s JOIN temp.merge_devices d ON d.name = s.name;"
		"CREATE TEMP TABLE map_captures (old INTEGER PRIMARY KEY, new INTEGER, capture INTEGER);"
		"INSERT INTO map_captures SELECT old, new, new FROM temp.merge_captures WHERE input = %lld;"
		"CREATE TEMP TABLE map_flows (old INTEGER PRIMARY KEY, new INTEGER, capture INTEGER);"
		"INSERT INTO map_flows SELECT f.id, c.flow_base + row_number() OVER (PARTITION BY f.capture_id ORDER BY f.id) - 1,"
		"  c.new FROM src.flows f JOIN temp.merge_captures c ON c.input = %lld AND c.old = f.capture_id;",
		input, input);
	enum ciot_rc rc = exec_str(m->db, s, "merge", errbuf);
	sqlite3_stmt *st;
	if (rc || sqlite3_prepare_v2(m->db, "SELECT DISTINCT tbl FROM temp.merge_ids", -1, &st, NULL) != SQLITE_OK)
		return rc ? rc : ciot_db_fail(m->db, errbuf, "merge");
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		s = sqlite3_str_new(NULL);
		sqlite3_str_appendf(s, "CREATE TEMP TABLE \"map_%w\" (old INTEGER PRIMARY KEY, new INTEGER, capture INTEGER);"
				    "INSERT INTO \"map_%w\" SELECT old, new, NULL FROM temp.merge_ids WHERE tbl = %Q AND input = %lld",
				    t, t, t, input);
		rc = exec_str(m->db, s, t, errbuf);
	}
	sqlite3_finalize(st);
	return rc;
}

static enum ciot_rc drop_maps(struct ciot_merge *m, char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->db, "SELECT name FROM temp.sqlite_schema WHERE type = 'table' AND name LIKE 'map\\_%' ESCAPE '\\'",
			       -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(m->db, errbuf, "merge");
	sqlite3_str *s = sqlite3_str_new(NULL);
	while (sqlite3_step(st) == SQLITE_ROW)
		sqlite3_str_appendf(s, "DROP TABLE temp.\"%w\";", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return exec_str(m->db, s, "merge", errbuf);
}

/* The map that renumbers column `col` of `table` into `map` ("" when its values are kept): the
 * table's own id, or the id its foreign key leads to, followed through keys that are themselves
 * foreign (tls_chains.flow_id -> tls_connections.flow_id -> flows.id). */
static enum ciot_rc resolve(sqlite3 *db, const char *table, const char *col, int depth, char *map, size_t len,
			    char *errbuf)
{
	map[0] = 0;
	sqlite3_stmt *st;
	if (depth > MERGE_FK_DEPTH ||
	    sqlite3_prepare_v2(db,
			       "SELECT 1, NULL, NULL FROM pragma_table_info(?1) p WHERE p.name = ?2 AND p.pk = 1 AND"
			       " upper(p.type) = 'INTEGER' AND (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1"
			       " AND NOT EXISTS (SELECT 1 FROM pragma_foreign_key_list(?1) k WHERE k.\"from\" = ?2)"
			       " UNION ALL SELECT 0, k.\"table\", coalesce(k.\"to\", (SELECT name FROM"
			       " pragma_table_info(k.\"table\") WHERE pk = 1)) FROM pragma_foreign_key_list(?1) k"
			       " WHERE k.\"from\" = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return depth > MERGE_FK_DEPTH ? CIOT_OK : ciot_db_fail(db, errbuf, "merge");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, col, -1, SQLITE_TRANSIENT);
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 0))
			snprintf(map, len, "map_%s", table);
		else if (sqlite3_column_text(st, 1) && sqlite3_column_text(st, 2)) {
			char parent[128], to[128];
			snprintf(parent, sizeof parent, "%s", (const char *)sqlite3_column_text(st, 1));
			snprintf(to, sizeof to, "%s", (const char *)sqlite3_column_text(st, 2));
			rc = resolve(db, parent, to, depth + 1, map, len, errbuf);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* A copy of one table from one part: its columns, what each is selected as (renumbered through its
 * map or kept), and the order key of a row (the capture, or the id, it hangs from). */
struct copy {
	sqlite3_str *cols, *exprs;
	char key[1024];
	bool mapped; /* some column is renumbered: rows are the part's own, never another's */
	bool rowid;  /* the table's id is its rowid: rows need no order */
};

static enum ciot_rc plan_columns(sqlite3 *db, const char *table, const char *alias, struct copy *c, char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT name, pk = 1 AND upper(type) = 'INTEGER' AND (SELECT count(*) FROM"
			       " pragma_table_info(?1) WHERE pk > 0) = 1 FROM pragma_table_info(?1) ORDER BY cid",
			       -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "merge");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_TRANSIENT);
	enum ciot_rc rc = CIOT_OK;
	for (int i = 0; !rc && sqlite3_step(st) == SQLITE_ROW; i++) {
		char col[128], map[160];
		snprintf(col, sizeof col, "%s", (const char *)sqlite3_column_text(st, 0));
		c->rowid |= sqlite3_column_int(st, 1) != 0;
		if ((rc = resolve(db, table, col, 0, map, sizeof map, errbuf)))
			break;
		if (c->cols)
			sqlite3_str_appendf(c->cols, "%s\"%w\"", i ? ", " : "", col);
		if (!map[0]) {
			sqlite3_str_appendf(c->exprs, "%s%s.\"%w\"", i ? ", " : "", alias, col);
			continue;
		}
		sqlite3_str_appendf(c->exprs, "%s(SELECT new FROM temp.\"%w\" WHERE old = %s.\"%w\")", i ? ", " : "", map,
				    alias, col);
		if (!c->mapped)
			snprintf(c->key, sizeof c->key, "(SELECT coalesce(capture, new) FROM temp.\"%s\" WHERE old = %s.\"%s\")",
				 map, alias, col);
		c->mapped = true;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The order key of a row that hangs from nothing (a certificate): the first row that refers to it
 * (the first capture that presented it). */
static enum ciot_rc plan_referenced(sqlite3 *db, const char *table, struct copy *c, char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT m.name, k.\"from\", k.\"to\" FROM sqlite_schema m JOIN"
			       " pragma_foreign_key_list(m.name) k WHERE m.type = 'table' AND k.\"table\" = ?1"
			       " AND k.\"to\" IS NOT NULL ORDER BY m.name LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "merge");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_TRANSIENT);
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_step(st) == SQLITE_ROW) {
		char ref[128], from[128], to[128];
		snprintf(ref, sizeof ref, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(to, sizeof to, "%s", (const char *)sqlite3_column_text(st, 2));
		struct copy r = { .exprs = sqlite3_str_new(NULL) };
		rc = plan_columns(db, ref, "r", &r, errbuf);
		sqlite3_free(sqlite3_str_finish(r.exprs));
		if (!rc && r.mapped &&
		    snprintf(c->key, sizeof c->key, "(SELECT min(%s) FROM src.\"%s\" r WHERE r.\"%s\" = s.\"%s\")", r.key,
			     ref, from, to) >= (int)sizeof c->key)
			rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: the names of its keys are too long", table);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Copies one table of the attached part: rows with an id straight into the table, the others into
 * its staging table with their order (key, part, rowid). Devices and rows shared by parts
 * (certificates) are written once. */
static enum ciot_rc copy_table(struct ciot_merge *m, const char *table, sqlite3_int64 input, char *errbuf)
{
	struct copy c = { .cols = sqlite3_str_new(NULL), .exprs = sqlite3_str_new(NULL) };
	snprintf(c.key, sizeof c.key, "0");
	enum ciot_rc rc = plan_columns(m->db, table, "s", &c, errbuf);
	if (!rc && !c.mapped && !c.rowid)
		rc = plan_referenced(m->db, table, &c, errbuf);
	char *cols = sqlite3_str_finish(c.cols), *exprs = sqlite3_str_finish(c.exprs);
	if (!rc && (!cols || !exprs))
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (!rc) {
		bool shared = !c.mapped || !strcmp(table, "devices");
		sqlite3_str *s = sqlite3_str_new(NULL);
		if (c.rowid)
			sqlite3_str_appendf(s, "INSERT %s INTO main.\"%w\" (%s) SELECT %s FROM src.\"%w\" s",
					    shared ? "OR IGNORE" : "", table, cols, exprs, table);
		else
			sqlite3_str_appendf(s, "INSERT INTO temp.\"stage_%w\" SELECT %s, %lld, s.rowid, %s FROM src.\"%w\" s",
					    table, c.key, input, exprs, table);
		rc = exec_str(m->db, s, table, errbuf);
	}
	sqlite3_free(cols);
	sqlite3_free(exprs);
	return rc;
}

/* The tables a merge copies: every table of the schema but meta and the stages'. */
static enum ciot_rc tables(sqlite3 *db, sqlite3_stmt **st, char *errbuf)
{
	if (sqlite3_prepare_v2(db, "SELECT m.name, EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.pk = 1 AND"
			       " upper(p.type) = 'INTEGER' AND (SELECT count(*) FROM pragma_table_info(m.name) q WHERE q.pk > 0) = 1)"
			       " FROM main.sqlite_schema m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
			       " AND m.name <> 'meta' ORDER BY m.name", -1, st, NULL) != SQLITE_OK)
		return ciot_db_fail(db, errbuf, "merge");
	return CIOT_OK;
}

/* Staging tables for the tables whose rows have no id (created), or their rows written in order
 * and the staging dropped (flush). */
static enum ciot_rc staging(struct ciot_merge *m, bool flush, char *errbuf)
{
	sqlite3_stmt *st;
	sqlite3_str *drops = sqlite3_str_new(NULL); /* after the listing: no DROP while it reads */
	enum ciot_rc rc = tables(m->db, &st, errbuf);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_int(st, 1) || stage_table(t))
			continue;
		sqlite3_str *s = sqlite3_str_new(NULL);
		if (!flush)
			sqlite3_str_appendf(s, "CREATE TEMP TABLE \"stage_%w\" AS SELECT 0 AS merge_key, 0 AS merge_input,"
					    " 0 AS merge_ord, * FROM main.\"%w\" WHERE 0", t, t);
		else {
			sqlite3_str *cols = sqlite3_str_new(NULL);
			sqlite3_stmt *c;
			if (sqlite3_prepare_v2(m->db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &c, NULL) == SQLITE_OK) {
				sqlite3_bind_text(c, 1, t, -1, SQLITE_TRANSIENT);
				for (int i = 0; sqlite3_step(c) == SQLITE_ROW; i++)
					sqlite3_str_appendf(cols, "%s\"%w\"", i ? ", " : "", (const char *)sqlite3_column_text(c, 0));
				sqlite3_finalize(c);
			}
			char *list = sqlite3_str_finish(cols);
			/* rows shared by parts (no column renumbered: certificates) once, the first in order */
			sqlite3_str_appendf(s, "INSERT OR IGNORE INTO main.\"%w\" (%s) SELECT %s FROM temp.\"stage_%w\""
					    " ORDER BY merge_key, merge_input, merge_ord", t, list ? list : "", list ? list : "", t);
			sqlite3_str_appendf(drops, "DROP TABLE temp.\"stage_%w\";", t);
			sqlite3_free(list);
		}
		rc = exec_str(m->db, s, t, errbuf);
	}
	sqlite3_finalize(st);
	enum ciot_rc drop = exec_str(m->db, drops, "merge", errbuf);
	return rc ? rc : drop;
}

static enum ciot_rc copy_part(struct ciot_merge *m, sqlite3_int64 input, char *errbuf)
{
	enum ciot_rc rc = attach(m, m->inputs[(size_t)input], errbuf);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	if (!(rc = exec(m->db, "BEGIN", "merge", errbuf))) {
		if (!(rc = make_maps(m, input, errbuf)) && !(rc = tables(m->db, &st, errbuf)))
			while (!rc && sqlite3_step(st) == SQLITE_ROW) {
				const char *t = (const char *)sqlite3_column_text(st, 0);
				if (!stage_table(t))
					rc = copy_table(m, t, input, errbuf);
			}
		sqlite3_finalize(st);
		if (!rc)
			rc = drop_maps(m, errbuf);
		sqlite3_exec(m->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	}
	sqlite3_exec(m->db, "DETACH src", NULL, NULL, NULL);
	if (rc) {
		char why[CIOT_ERRBUF_SIZE];
		snprintf(why, sizeof why, "%s", errbuf);
		return ciot_fail(errbuf, rc, "%s: %s", m->inputs[(size_t)input], why);
	}
	return CIOT_OK;
}

/* The parts' common meta, when the last of them ran, how many parts, and "not complete" until the
 * stages have run over the merged rows. */
static enum ciot_rc write_meta(struct ciot_merge *m, char *errbuf)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(s, "INSERT OR REPLACE INTO main.meta SELECT key, value FROM temp.merge_meta;"
			       "INSERT OR REPLACE INTO main.meta VALUES ('sqlite_version', %Q), ('merged_parts', '%lld'),"
			       " ('complete', '0');", sqlite3_libversion(), (sqlite3_int64)m->ninputs);
	if (m->last_run_at[0])
		sqlite3_str_appendf(s, "INSERT OR REPLACE INTO main.meta VALUES ('last_run_at', %Q);", m->last_run_at);
	return exec_str(m->db, s, "meta", errbuf);
}

/* SQLite attaches no database inside a transaction: each part is copied in one of its own. The file
 * is new and renamed into place only once complete, so nothing needs the whole in one. */
enum ciot_rc ciot_merge_copy(struct ciot_merge *m, char *errbuf)
{
	if (!m->ninputs)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no database to merge");
	enum ciot_rc rc = exec(m->db, numbering, "merge", errbuf);
	if (!rc)
		rc = staging(m, false, errbuf);
	for (size_t i = 0; !rc && i < m->ninputs; i++)
		rc = copy_part(m, (sqlite3_int64)i, errbuf);
	if (!rc && !(rc = exec(m->db, "BEGIN", "merge", errbuf))) {
		if (!(rc = staging(m, true, errbuf)))
			rc = write_meta(m, errbuf);
		sqlite3_exec(m->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	}
	return rc;
}

bool ciot_merge_meta(struct ciot_merge *m, const char *key, char *value, size_t len)
{
	char *sql = sqlite3_mprintf("SELECT value FROM temp.merge_meta WHERE key = %Q", key);
	char errbuf[CIOT_ERRBUF_SIZE];
	bool found = sql && query_text(m->db, sql, value, len, errbuf) == CIOT_OK && value[0];
	sqlite3_free(sql);
	return found;
}
