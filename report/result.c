/* result.c: the typed result set of result.h. A query's SQL is prepared on the read-only database,
 * the parameters its registry row declares are bound (:home, the home country: the caller's, else
 * the manifest's recorded in meta, else CN; :fold, 0 or 1), and each row read by sqlite3_step is
 * turned into cells by the kinds of the registry's columns: integers and microsecond times with
 * sqlite3_column_int64, shares and reals with sqlite3_column_double, text as SQLite's text. A cell
 * is NULL when SQLite's value is. The row's cells live on the stack and its text in SQLite's
 * statement until the next step: one row at a time, whatever the export's size.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "result.h"

/* The home country: the caller's, else the one the manifest gave, else the lifecycle paper's. */
static void home_country(sqlite3 *db, const struct ciot_export_params *params, char out[8])
{
	snprintf(out, 8, "CN");
	if (params && params->home_country) {
		snprintf(out, 8, "%s", params->home_country);
		return;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'home_country'", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, 8, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Prepares q and binds its parameters; checks the SQL's columns against the registry's. */
static enum ciot_rc prepare(sqlite3 *db, const struct ciot_query *q, const struct ciot_export_params *params,
			    sqlite3_stmt **out, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) != SQLITE_OK)
		return ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", q->name, sqlite3_errmsg(db));
	if (q->params & CIOT_QUERY_HOME) {
		char home[8];
		home_country(db, params, home);
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":home"), home, -1, SQLITE_TRANSIENT);
	}
	if (q->params & CIOT_QUERY_FOLD)
		sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":fold"), params && params->fold_greater_china);
	size_t ncols = ciot_query_count_columns(q);
	if ((size_t)sqlite3_column_count(st) != ncols) {
		enum ciot_rc rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: query has %d columns, export declares %zu",
					    q->name, sqlite3_column_count(st), ncols);
		sqlite3_finalize(st);
		return rc;
	}
	*out = st;
	return CIOT_OK;
}

/* The current row's cells, by the columns' kinds. */
static void read_row(sqlite3_stmt *st, const struct ciot_column *columns, size_t ncols, struct ciot_cell *cells)
{
	for (size_t i = 0; i < ncols; i++) {
		struct ciot_cell *c = &cells[i];
		c->null = sqlite3_column_type(st, (int)i) == SQLITE_NULL;
		if (c->null)
			continue;
		switch (columns[i].kind) {
		case CIOT_COLUMN_INT:
		case CIOT_COLUMN_TIME_US: c->v.integer = sqlite3_column_int64(st, (int)i); break;
		case CIOT_COLUMN_REAL3:
		case CIOT_COLUMN_SHARE: c->v.real = sqlite3_column_double(st, (int)i); break;
		case CIOT_COLUMN_TEXT:
		default: c->v.text = (const char *)sqlite3_column_text(st, (int)i); break;
		}
	}
}

enum ciot_rc ciot_result_run(sqlite3 *db, const struct ciot_query *q, const struct ciot_export_params *params,
			     const struct ciot_result_consumer *consumer, void *ctx, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	enum ciot_rc rc = prepare(db, q, params, &st, errbuf);
	if (rc)
		return rc;
	size_t ncols = ciot_query_count_columns(q);
	struct ciot_cell cells[CIOT_QUERY_MAX_COLUMNS];
	rc = consumer->begin(ctx, q->columns, ncols, errbuf);
	int step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, q->columns, ncols, cells);
		rc = consumer->row(ctx, cells, errbuf);
	}
	if (!rc && step != SQLITE_DONE)
		rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", q->name, sqlite3_errmsg(db));
	if (!rc)
		rc = consumer->end(ctx, errbuf);
	sqlite3_finalize(st);
	return rc;
}
