/* figure-data.c: an export's result set held in memory for a figure (figure.h). The export runs
 * through result.c exactly as for CSV or JSON, so the figure's numbers are the export's; this file
 * only keeps the cells (text copied, since SQLite's text lives until the next row) up to
 * FIG_MAX_ROWS rows, and formats the numbers figures print beside their marks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "figure.h"
#include "result.h"

struct loading {
	struct fig_table *t;
};

static enum ciot_rc load_begin(void *ctx, const struct ciot_column *columns, size_t ncolumns, char *errbuf)
{
	(void)columns;
	(void)errbuf;
	struct loading *l = ctx;
	l->t->ncols = ncolumns;
	return CIOT_OK;
}

static enum ciot_rc load_row(void *ctx, const struct ciot_cell *cells, char *errbuf)
{
	struct fig_table *t = ((struct loading *)ctx)->t;
	if (t->nrows >= FIG_MAX_ROWS)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: more than %d rows, too many for a figure", t->q->name,
				 FIG_MAX_ROWS);
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct fig_cell *grown = realloc(t->cells, cap * t->ncols * sizeof *grown + 1);
		if (!grown)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		t->cells = grown;
		t->cap = cap;
	}
	struct fig_cell *row = &t->cells[t->nrows * t->ncols];
	memset(row, 0, t->ncols * sizeof *row);
	t->nrows++; /* counted now, so that fig_table_free frees what a failed copy leaves */
	for (size_t i = 0; i < t->ncols; i++) {
		row[i].null = cells[i].null;
		if (cells[i].null)
			continue;
		switch (t->q->columns[i].kind) {
		case CIOT_COLUMN_INT:
		case CIOT_COLUMN_TIME_US:
			row[i].i = (long long)cells[i].v.integer;
			row[i].r = (double)cells[i].v.integer;
			break;
		case CIOT_COLUMN_REAL3:
		case CIOT_COLUMN_SHARE: row[i].r = cells[i].v.real; break;
		case CIOT_COLUMN_TEXT:
		default:
			row[i].t = strdup(cells[i].v.text ? cells[i].v.text : "");
			if (!row[i].t)
				return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		}
	}
	return CIOT_OK;
}

static enum ciot_rc load_end(void *ctx, char *errbuf)
{
	(void)ctx;
	(void)errbuf;
	return CIOT_OK;
}

static const struct ciot_result_consumer loader = { load_begin, load_row, load_end };

enum ciot_rc fig_table_load(struct sqlite3 *db, const char *name, const struct ciot_export_params *params,
			    struct fig_table *t, char *errbuf)
{
	memset(t, 0, sizeof *t);
	t->q = ciot_query_find(name);
	if (!t->q)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no export named \"%s\"", name);
	struct loading l = { t };
	enum ciot_rc rc = ciot_result_run(db, t->q, params, &loader, &l, errbuf);
	if (rc)
		fig_table_free(t);
	return rc;
}

void fig_table_free(struct fig_table *t)
{
	for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i].t);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

enum ciot_rc fig_columns(const struct fig_table *t, const char *const *names, size_t *idx, size_t n, char *errbuf)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = 0;
		while (i < t->ncols && strcmp(t->q->columns[i].name, names[k]))
			i++;
		if (i == t->ncols)
			return ciot_fail(errbuf, CIOT_ERR_DB, "%s: the export has no column %s", t->q->name, names[k]);
		idx[k] = i;
	}
	return CIOT_OK;
}

enum ciot_rc fig_table_open(struct sqlite3 *db, const char *name, const struct ciot_export_params *params,
			    const char *const *names, size_t *idx, size_t n, struct fig_table *t, char *errbuf)
{
	enum ciot_rc rc = fig_table_load(db, name, params, t, errbuf);
	if (!rc)
		rc = fig_columns(t, names, idx, n, errbuf);
	if (rc)
		fig_table_free(t);
	return rc;
}

const char *fig_bytes(char buf[32], double bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	size_t u = 0;
	if (!isfinite(bytes) || bytes < 0)
		bytes = 0;
	if (bytes < 1000) {
		snprintf(buf, 32, "%.0f B", bytes);
		return buf;
	}
	while (bytes >= 999.95 && u + 1 < sizeof units / sizeof units[0]) {
		bytes /= 1000;
		u++;
	}
	snprintf(buf, 32, "%.1f %s", bytes, units[u]);
	return buf;
}

const char *fig_percent(char buf[32], double share)
{
	if (!isfinite(share))
		share = 0;
	double p = share * 100;
	if (fabs(p) < 0.05)
		p = 0; /* never "-0.0%" */
	snprintf(buf, 32, "%.1f%%", p);
	return buf;
}
