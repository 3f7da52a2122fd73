/* store.c: ciot-shape's results into a ciot analysis database (ciot/shape-store.h). Rows are bound
 * by column name, so a column added to the shaping stage's tables (analyze/stages/shaping/stage.c)
 * cannot shift the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ciot/addr.h"
#include "ciot/dataset.h"
#include "ciot/shape-store.h"

struct ciot_shape_store {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *cost, *score;
	char path[1024];
};

static enum ciot_rc db_fail(struct ciot_shape_store *s, char *errbuf)
{
	return ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", s->path, sqlite3_errmsg(s->db));
}

static int param(sqlite3_stmt *st, const char *name)
{
	return sqlite3_bind_parameter_index(st, name);
}

static void bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	sqlite3_bind_text(st, param(st, name), v, -1, SQLITE_TRANSIENT);
}

static void bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	sqlite3_bind_int64(st, param(st, name), v);
}

static void bind_real(sqlite3_stmt *st, const char *name, double v)
{
	sqlite3_bind_double(st, param(st, name), v);
}

static enum ciot_rc step_once(struct ciot_shape_store *s, sqlite3_stmt *st, char *errbuf)
{
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r == SQLITE_DONE ? CIOT_OK : db_fail(s, errbuf);
}

static enum ciot_rc write_run(struct ciot_shape_store *s, const struct ciot_shape_store_run *run, char *errbuf)
{
	static const char sql[] =
		"INSERT INTO shaping_runs (created_at, tool, captures, device, interval_up, size_up, interval_down,"
		" size_down, tls, legacy_header, shaped_capture, seeds) VALUES (:created_at, :tool, :captures, :device,"
		" :interval_up, :size_up, :interval_down, :size_down, :tls, :legacy_header, :shaped_capture, :seeds)";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ciot_fail(errbuf, CIOT_ERR_DB, "%s: no shaping tables (a database of ciot schema 6 or later): %s",
				 s->path, sqlite3_errmsg(s->db));
	size_t len = 1;
	for (size_t i = 0; i < run->ncaptures; i++)
		len += strlen(run->captures[i]) + 1;
	char *captures = malloc(len);
	if (!captures) {
		sqlite3_finalize(st);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	captures[0] = 0;
	for (size_t i = 0; i < run->ncaptures; i++) {
		strcat(captures, run->captures[i]);
		if (i + 1 < run->ncaptures)
			strcat(captures, "\n");
	}
	char now[CIOT_ISO_TIME_SIZE], device[CIOT_ADDR_STRLEN];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ciot_time_format_iso((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, now);
	ciot_addr_format(run->device, device);
	bind_text(st, ":created_at", now);
	bind_text(st, ":tool", "ciot-shape " CIOT_VERSION);
	bind_text(st, ":captures", captures);
	bind_text(st, ":device", device);
	bind_text(st, ":interval_up", run->interval);
	bind_text(st, ":size_up", run->size);
	bind_text(st, ":interval_down", run->down_interval);
	bind_text(st, ":size_down", run->down_size);
	bind_int(st, ":tls", run->tls);
	bind_int(st, ":legacy_header", run->legacy_header);
	if (run->shaped_capture)
		bind_text(st, ":shaped_capture", run->shaped_capture);
	bind_int(st, ":seeds", (int64_t)run->seeds);
	enum ciot_rc rc = step_once(s, st, errbuf);
	sqlite3_finalize(st);
	free(captures);
	s->run_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

enum ciot_rc ciot_shape_store_open(struct ciot_shape_store **out, const char *db_path,
				   const struct ciot_shape_store_run *run, char *errbuf)
{
	*out = NULL;
	struct ciot_shape_store *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	snprintf(s->path, sizeof s->path, "%s", db_path);
	/* an existing database only: ciot-shape adds to an analysis, it does not make one */
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		rc = s->db ? db_fail(s, errbuf) : ciot_fail(errbuf, CIOT_ERR_DB, "%s: cannot open", db_path);
	if (!rc)
		rc = write_run(s, run, errbuf);
	static const char cost[] =
		"INSERT INTO shaping_costs (run_id, seed, observed_s, original_bps, shaped_bps, overhead_bps,"
		" expected_overhead_bps, direction, messages, refused, records, cover_records, wire_bytes,"
		" original_wire_bytes, delay_p50_ms, delay_p95_ms, delay_p99_ms, delay_max_ms, queue_peak_bytes, drain_s)"
		" VALUES (:run_id, :seed, :observed_s, :original_bps, :shaped_bps, :overhead_bps, :expected_overhead_bps,"
		" :direction, :messages, :refused, :records, :cover_records, :wire_bytes, :original_wire_bytes,"
		" :delay_p50_ms, :delay_p95_ms, :delay_p99_ms, :delay_max_ms, :queue_peak_bytes, :drain_s)";
	static const char score[] =
		"INSERT INTO shaping_scores (run_id, trace, seed, window_s, attacker, active_windows, idle_windows, events,"
		" auc, auc_low, auc_high, tpr_at_1pct_fpr) VALUES (:run_id, :trace, :seed, :window_s, :attacker,"
		" :active_windows, :idle_windows, :events, :auc, :auc_low, :auc_high, :tpr_at_1pct_fpr)";
	if (!rc && (sqlite3_prepare_v2(s->db, cost, -1, &s->cost, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, score, -1, &s->score, NULL) != SQLITE_OK))
		rc = db_fail(s, errbuf);
	if (rc) {
		char ignored[CIOT_ERRBUF_SIZE];
		ciot_shape_store_close(s, false, ignored);
		return rc;
	}
	*out = s;
	return CIOT_OK;
}

enum ciot_rc ciot_shape_store_cost(struct ciot_shape_store *s, uint64_t seed, const struct ciot_sim_result *r,
				   char *errbuf)
{
	static const char *const names[2] = { "from_device", "to_device" };
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *st = s->cost;
		const struct ciot_sim_direction *d = &r->dir[k];
		bind_int(st, ":run_id", s->run_id);
		bind_int(st, ":seed", (int64_t)seed);
		bind_real(st, ":observed_s", r->observed_s);
		bind_real(st, ":original_bps", r->original_bps);
		bind_real(st, ":shaped_bps", r->shaped_bps);
		bind_real(st, ":overhead_bps", r->overhead_bps);
		bind_real(st, ":expected_overhead_bps", r->expected_overhead_bps);
		bind_text(st, ":direction", names[k]);
		bind_int(st, ":messages", (int64_t)d->messages);
		bind_int(st, ":refused", (int64_t)d->rejected);
		bind_int(st, ":records", (int64_t)d->records);
		bind_int(st, ":cover_records", (int64_t)d->cover_records);
		bind_int(st, ":wire_bytes", (int64_t)d->wire_bytes);
		bind_int(st, ":original_wire_bytes", (int64_t)d->original_wire_bytes);
		if (d->messages > d->rejected) {
			bind_real(st, ":delay_p50_ms", d->delay_ms[0]);
			bind_real(st, ":delay_p95_ms", d->delay_ms[1]);
			bind_real(st, ":delay_p99_ms", d->delay_ms[2]);
			bind_real(st, ":delay_max_ms", d->delay_ms[3]);
		}
		bind_int(st, ":queue_peak_bytes", (int64_t)d->queue_peak_bytes);
		bind_real(st, ":drain_s", d->drain_s);
		enum ciot_rc rc = step_once(s, st, errbuf);
		if (rc)
			return rc;
	}
	return CIOT_OK;
}

enum ciot_rc ciot_shape_store_score(struct ciot_shape_store *s, const char *trace, uint64_t seed,
				    const struct ciot_score *score, char *errbuf)
{
	sqlite3_stmt *st = s->score;
	bind_int(st, ":run_id", s->run_id);
	bind_text(st, ":trace", trace);
	bind_int(st, ":seed", (int64_t)seed);
	bind_real(st, ":window_s", score->window_s);
	bind_text(st, ":attacker", ciot_attacker_name(score->attacker));
	bind_int(st, ":active_windows", (int64_t)score->positives);
	bind_int(st, ":idle_windows", (int64_t)score->negatives);
	bind_int(st, ":events", (int64_t)score->events);
	bind_real(st, ":auc", score->auc);
	bind_real(st, ":auc_low", score->auc_low);
	bind_real(st, ":auc_high", score->auc_high);
	bind_real(st, ":tpr_at_1pct_fpr", score->tpr_at_1pct);
	return step_once(s, st, errbuf);
}

enum ciot_rc ciot_shape_store_separability(struct ciot_shape_store *s, double auc, double low, double high,
					   char *errbuf)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE shaping_runs SET cover_size_auc = :auc, cover_size_auc_low = :low,"
			       " cover_size_auc_high = :high WHERE id = :id",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, errbuf);
	bind_real(st, ":auc", auc);
	bind_real(st, ":low", low);
	bind_real(st, ":high", high);
	bind_int(st, ":id", s->run_id);
	enum ciot_rc rc = step_once(s, st, errbuf);
	sqlite3_finalize(st);
	return rc;
}

enum ciot_rc ciot_shape_store_close(struct ciot_shape_store *s, bool keep, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	sqlite3_finalize(s->cost);
	sqlite3_finalize(s->score);
	if (s->db && sqlite3_exec(s->db, keep ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK && keep)
		rc = db_fail(s, errbuf);
	sqlite3_close(s->db);
	free(s);
	return rc;
}
