/* analyzer.c: the PII analyzer (pii-flow.h, docs/pii.md): personal data in a flow's clear text,
 * searched where the encryption analyzer's spans say it is clear, stored one row per distinct hit
 * in pii_matches, with the bytes searched on the flow's row and the hits dropped on the step's.
 */
#include <stdlib.h>
#include <string.h>

#include "pii-flow.h"
#include "pipeline.h"
#include "registry.h"

struct config {
	bool off;
	const char *key_file;
	bool keep_values;
};

static enum ciot_rc set_off(void *p, const char *v, char *errbuf)
{
	(void)v;
	(void)errbuf;
	((struct config *)p)->off = true;
	return CIOT_OK;
}

static enum ciot_rc set_key(void *p, const char *v, char *errbuf)
{
	(void)errbuf;
	((struct config *)p)->key_file = v;
	return CIOT_OK;
}

static enum ciot_rc set_values(void *p, const char *v, char *errbuf)
{
	(void)v;
	(void)errbuf;
	((struct config *)p)->keep_values = true;
	return CIOT_OK;
}

static const struct ciot_option options[] = {
	{ "no-pii", 0, NULL, "do not search clear text for personal data", set_off },
	{ "pii-key", 0, "FILE",
	  "hash found values with a key made from this file (at least 16 bytes), so\n"
	  "that hashes agree across runs and databases (default: a random key of\n"
	  "this run only)",
	  set_key },
	{ "pii-values", 0, NULL,
	  "store the values found, not only their hash and a hint; the database\n"
	  "then holds personal data",
	  set_values },
	{ NULL, 0, NULL, NULL, NULL },
};

static enum ciot_rc config_check(const void *p, char *errbuf)
{
	const struct config *c = p;
	if (c->off && (c->key_file || c->keep_values))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--no-pii leaves nothing for --pii-key or --pii-values to do");
	return CIOT_OK;
}

static enum ciot_rc run_new(void **out, const void *config, const struct ciot_dataset *ds, char *errbuf)
{
	const struct config *c = config;
	*out = NULL;
	if (c->off)
		return CIOT_OK;
	struct ciot_pii_setup *setup;
	enum ciot_rc rc = ciot_pii_setup_new(&setup, ds, c->key_file, c->keep_values, errbuf);
	if (!rc)
		*out = setup;
	return rc;
}

static void run_free(void *run)
{
	ciot_pii_setup_free(run);
}

static enum ciot_rc meta(const void *run, const void *config, ciot_meta_fn add, void *ctx, char *errbuf)
{
	(void)config;
	const struct ciot_pii_setup *s = run;
	enum ciot_rc rc = add(ctx, "pii_search", s ? "on" : "off", errbuf);
	if (!rc && s)
		rc = add(ctx, "pii_key", s->key_origin, errbuf);
	if (!rc && s)
		rc = add(ctx, "pii_values", s->keep_values ? "kept" : "hash and hint only", errbuf);
	return rc;
}

static enum ciot_rc worker_new(void **out, void *run, char *errbuf)
{
	return ciot_pii_search_new((struct ciot_pii_search **)out, run, errbuf);
}

static void worker_free(void *w)
{
	ciot_pii_search_free(w);
}

static enum ciot_rc capture_begin(void *worker, struct ciot_capture_result *r, void **out, char *errbuf)
{
	(void)errbuf;
	*out = NULL;
	ciot_pii_search_device(worker, r->capture->device);
	return CIOT_OK;
}

static void packet(void *worker, void *state, void *capture_result, struct ciot_packet_context *pc)
{
	(void)capture_result;
	if (!ciot_pii_packet(worker, state, pc->dir, pc->pkt, pc->tcp, pc->spans))
		pc->capture->out_of_memory = true;
}

static void flow_end(void *worker, void *state, void *result, void *capture_result,
		     const struct ciot_flow_end_context *fe)
{
	(void)capture_result;
	(void)fe;
	struct ciot_pii_hits lost = { 0 };
	ciot_pii_flow_finish(worker, state, result ? result : &lost);
	ciot_pii_hits_free(&lost);
}

static void flow_result_free(void *result)
{
	ciot_pii_hits_free(result);
}

enum capture_column { CAP_PII_DROPPED };
static const struct ciot_column capture_columns[] = {
	[CAP_PII_DROPPED] = { "pii_dropped", "INTEGER NOT NULL DEFAULT 0", false },
};
enum flow_column { FLOW_PII_SEARCHED };
static const struct ciot_column flow_columns[] = {
	[FLOW_PII_SEARCHED] = { "pii_searched_bytes", "INTEGER NOT NULL DEFAULT 0", false },
};

enum match_column { M_FLOW_ID, M_DIRECTION, M_KIND, M_METHOD, M_ENCODING, M_LOCATION, M_COUNT, M_FIRST, M_HASH,
		    M_HINT, M_VALUE };
static const struct ciot_column match_columns[] = {
	[M_FLOW_ID] = { "flow_id", "INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE", false },
	[M_DIRECTION] = { "direction", "TEXT NOT NULL CHECK (direction IN ('out','in'))", false },
	[M_KIND] = { "kind", "TEXT NOT NULL", false },
	[M_METHOD] = { "method", "TEXT NOT NULL CHECK (method IN ('pattern','seed'))", false },
	[M_ENCODING] = { "encoding", "TEXT NOT NULL", false },
	[M_LOCATION] = { "location", "TEXT NOT NULL CHECK (location IN ('url','header','body','topic','dns','payload'))",
			 false },
	[M_COUNT] = { "count", "INTEGER NOT NULL", false },
	[M_FIRST] = { "first_us", "INTEGER NOT NULL", false },
	[M_HASH] = { "value_hash", "TEXT NOT NULL", false },
	[M_HINT] = { "value_hint", "TEXT NOT NULL", false },
	[M_VALUE] = { "value", "TEXT", false },
};
static const struct ciot_table matches_table = { "pii_matches", CIOT_COLUMNS(match_columns), NULL, NULL };
static const struct ciot_table *const tables[] = { &matches_table, NULL };

/* Hits the device's flows of the step could not keep. */
static void bind_capture(const struct ciot_core_row *row)
{
	const struct ciot_capture_result *r = row->capture;
	const struct ciot_segment_result *s = &r->segments[row->segment];
	uint64_t dropped = 0;
	for (size_t i = 0; i < s->nflows; i++) {
		const struct ciot_flow_record *f = ciot_segment_flow(r, s, i);
		if (f->device_end >= 0)
			dropped += ((const struct ciot_pii_hits *)ciot_flow_result(r, f, row->analyzer))->dropped;
	}
	ciot_row_int(&row->row, CAP_PII_DROPPED, (int64_t)dropped);
}

static void bind_flow(const struct ciot_core_row *row)
{
	ciot_row_int(&row->row, FLOW_PII_SEARCHED, (int64_t)((const struct ciot_pii_hits *)row->result)->searched);
}

static enum ciot_rc store_open(void **out, sqlite3 *db, char *errbuf)
{
	return ciot_insert_new(db, &matches_table, (struct ciot_insert **)out, errbuf);
}

static enum ciot_rc after_flow(void *store, void *capture_result, const struct ciot_core_row *row, char *errbuf)
{
	(void)capture_result;
	struct ciot_insert *ins = store;
	const struct ciot_pii_hits *hits = row->result;
	for (size_t i = 0; i < hits->n; i++) {
		const struct ciot_pii_hit *h = &hits->hit[i];
		struct ciot_row m = ciot_insert_row(ins, 0);
		ciot_row_int(&m, M_FLOW_ID, row->flow_id);
		ciot_row_static(&m, M_DIRECTION, h->dir == row->record->device_end ? "out" : "in");
		ciot_row_static(&m, M_KIND, ciot_pii_kind_name((enum ciot_pii_kind)h->kind));
		ciot_row_static(&m, M_METHOD, ciot_pii_method_name((enum ciot_pii_method)h->method));
		ciot_row_static(&m, M_ENCODING, ciot_pii_encoding_name((enum ciot_pii_encoding)h->encoding));
		ciot_row_static(&m, M_LOCATION, ciot_pii_where_name((enum ciot_pii_where)h->where));
		ciot_row_int(&m, M_COUNT, h->count);
		ciot_row_int(&m, M_FIRST, h->first_ts);
		ciot_row_static(&m, M_HASH, h->hash);
		ciot_row_static(&m, M_HINT, h->hint);
		ciot_row_static(&m, M_VALUE, h->value);
		enum ciot_rc rc = ciot_insert_run(ins, "pii_matches", errbuf);
		if (rc)
			return rc;
	}
	return CIOT_OK;
}

const struct ciot_analyzer ciot_analyzer_pii = {
	.name = "pii",
	.consumes = "the encryption analyzer's payload spans",
	.needs = CIOT_NEEDS_SPANS,
	.config_size = sizeof(struct config),
	.options_title = "Personal data (docs/pii.md)",
	.options = options,
	.config_check = config_check,
	.run_new = run_new,
	.run_free = run_free,
	.meta = meta,
	.worker_new = worker_new,
	.worker_free = worker_free,
	.flow_state_size = sizeof(struct ciot_pii_flow),
	.flow_result_size = sizeof(struct ciot_pii_hits),
	.capture_begin = capture_begin,
	.packet = packet,
	.flow_end = flow_end,
	.flow_result_free = flow_result_free,
	.tables = tables,
	.schema_after =
		"CREATE INDEX IF NOT EXISTS pii_matches_flow ON pii_matches(flow_id);\n"
		"CREATE VIEW IF NOT EXISTS pii_view AS\n"
		"  SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,\n"
		"         c.subphase AS subphase, c.file AS file, f.transport AS transport, f.app_proto AS app_proto,\n"
		"         f.remote_ip AS remote_ip, f.remote_port AS remote_port, f.server_name AS server_name,\n"
		"         p.*\n"
		"  FROM pii_matches p JOIN flows f ON f.id = p.flow_id JOIN captures c ON c.id = f.capture_id\n"
		"  JOIN devices d ON d.id = c.device_id;\n",
	.capture_columns = CIOT_COLUMNS(capture_columns),
	.flow_columns = CIOT_COLUMNS(flow_columns),
	.store_open = store_open,
	.store_close = ciot_insert_free,
	.bind_capture = bind_capture,
	.bind_flow = bind_flow,
	.after_flow = after_flow,
};
