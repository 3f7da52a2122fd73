/* export.c: the exports of ciot/report.h, as glue: ciot_export() finds the query in the registry
 * (queries.c) and the renderer of the format (render.c), and runs the query's typed result set
 * (result.c) through the renderer, row by row. No SQL and no formatting here.
 */
#include <string.h>

#include "ciot/report.h"
#include "render.h"
#include "result.h"

bool ciot_export_format_parse(const char *name, enum ciot_export_format *out)
{
	const struct ciot_renderer *r;
	for (size_t i = 0; (r = ciot_render_get(i)); i++)
		if (!strcmp(name, r->name) || (r->alias && !strcmp(name, r->alias))) {
			*out = r->format;
			return true;
		}
	return false;
}

const char *ciot_export_name(size_t i, const char **description)
{
	const struct ciot_query *q = ciot_query_get(i);
	if (!q)
		return NULL;
	if (description)
		*description = q->description;
	return q->name;
}

/* The result set's consumer that drives a renderer. */
struct rendering {
	const struct ciot_renderer *renderer;
	struct ciot_render render;
};

static enum ciot_rc rendering_begin(void *ctx, const struct ciot_column *columns, size_t ncolumns, char *errbuf)
{
	struct rendering *g = ctx;
	g->render.columns = columns;
	g->render.ncolumns = ncolumns;
	g->render.rows = 0;
	return g->renderer->begin(&g->render, errbuf);
}

static enum ciot_rc rendering_row(void *ctx, const struct ciot_cell *cells, char *errbuf)
{
	struct rendering *g = ctx;
	enum ciot_rc rc = g->renderer->row(&g->render, cells, errbuf);
	g->render.rows++;
	return rc;
}

static enum ciot_rc rendering_end(void *ctx, char *errbuf)
{
	struct rendering *g = ctx;
	return g->renderer->end(&g->render, errbuf);
}

static const struct ciot_result_consumer to_renderer = { rendering_begin, rendering_row, rendering_end };

enum ciot_rc ciot_export(struct sqlite3 *db, const char *table, enum ciot_export_format format,
			 const struct ciot_export_params *params, FILE *out, char *errbuf)
{
	return ciot_export_rows(db, table, format, params, 0, out, errbuf);
}

enum ciot_rc ciot_export_rows(struct sqlite3 *db, const char *table, enum ciot_export_format format,
			      const struct ciot_export_params *params, size_t row_limit, FILE *out, char *errbuf)
{
	const struct ciot_query *q = ciot_query_find(table);
	if (!q)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no export named \"%s\" (see ciot-report --help)", table);
	struct rendering g = { .renderer = ciot_render_find(format),
			       .render = { .out = out, .row_limit = row_limit, .table = q->name } };
	if (!g.renderer)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no renderer for format %d", (int)format);
	enum ciot_rc rc = ciot_result_run(db, q, params, &to_renderer, &g, errbuf);
	if (!rc && ferror(out))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "write error");
	return rc;
}
