/* stage.c: the shaping stage in the registry: the tables where ciot-shape records how well
 * activity inference does on a device's unshaped and shaped traffic, and at what cost (its runs,
 * one row of costs per simulated seed, one row of scores per trace, seed, window and attacker).
 * They are created with every database, empty until `ciot-shape score --store` fills them, so that
 * ciot-report's shaping exports work on any database. ciot-shape itself writes the rows
 * (shaping/lib/store.c), through the column names below. */
#include "registry.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS shaping_runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  created_at TEXT NOT NULL,\n"
	"  tool TEXT NOT NULL,\n"
	"  captures TEXT NOT NULL,\n"
	"  device TEXT NOT NULL,\n"
	"  interval_up TEXT NOT NULL, size_up TEXT NOT NULL,\n"
	"  interval_down TEXT NOT NULL, size_down TEXT NOT NULL,\n"
	"  tls INTEGER NOT NULL, legacy_header INTEGER NOT NULL,\n"
	"  shaped_capture TEXT,\n"
	"  seeds INTEGER NOT NULL,\n"
	"  cover_size_auc REAL, cover_size_auc_low REAL, cover_size_auc_high REAL\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS shaping_costs (\n"
	"  run_id INTEGER NOT NULL REFERENCES shaping_runs(id) ON DELETE CASCADE,\n"
	"  seed INTEGER NOT NULL,\n"
	"  observed_s REAL NOT NULL, original_bps REAL NOT NULL, shaped_bps REAL NOT NULL,\n"
	"  overhead_bps REAL NOT NULL, expected_overhead_bps REAL NOT NULL,\n"
	"  direction TEXT NOT NULL,\n"
	"  messages INTEGER NOT NULL, refused INTEGER NOT NULL, records INTEGER NOT NULL,\n"
	"  cover_records INTEGER NOT NULL, wire_bytes INTEGER NOT NULL, original_wire_bytes INTEGER NOT NULL,\n"
	"  delay_p50_ms REAL, delay_p95_ms REAL, delay_p99_ms REAL, delay_max_ms REAL,\n"
	"  queue_peak_bytes INTEGER NOT NULL, drain_s REAL NOT NULL\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS shaping_scores (\n"
	"  run_id INTEGER NOT NULL REFERENCES shaping_runs(id) ON DELETE CASCADE,\n"
	"  trace TEXT NOT NULL CHECK (trace IN ('unshaped', 'shaped')),\n"
	"  seed INTEGER NOT NULL,\n"
	"  window_s REAL NOT NULL,\n"
	"  attacker TEXT NOT NULL,\n"
	"  active_windows INTEGER NOT NULL, idle_windows INTEGER NOT NULL, events INTEGER NOT NULL,\n"
	"  auc REAL NOT NULL, auc_low REAL NOT NULL, auc_high REAL NOT NULL,\n"
	"  tpr_at_1pct_fpr REAL NOT NULL\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS shaping_scores_run ON shaping_scores(run_id);\n"
	"CREATE INDEX IF NOT EXISTS shaping_costs_run ON shaping_costs(run_id);\n";

const struct ciot_stage ciot_stage_shaping = { .name = "shaping", .schema = schema };
