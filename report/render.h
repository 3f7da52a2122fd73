/* render.h: the renderers that write a typed result set (result.h) out (report library, internal).
 *
 * A renderer is a const struct of three functions registered in one table (render.c): begin, with
 * the columns (names and kinds), once; row, with one row of typed cells, once per row; end, once.
 * It never sees SQL or sqlite3 types, and holds nothing between rows beyond what struct ciot_render
 * carries, so any result set streams through it. Adding a format (SVG, HTML...) means a
 * render-<name>.c with its struct, one line in the table of render.c, an entry in enum
 * ciot_export_format and a test; the queries do not change.
 */
#ifndef CIOT_REPORT_RENDER_H
#define CIOT_REPORT_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "ciot/report.h"
#include "result.h"

/* What a renderer writes with and to; the caller fills out, columns and ncolumns before begin and
 * counts rows after each row call. */
struct ciot_render {
	FILE *out;
	const struct ciot_column *columns;
	size_t ncolumns;
	size_t rows; /* rows written before this call */
	size_t row_limit;  /* a renderer that can may stop writing rows after this many (0: none) */
	const char *table; /* the export's name, for a renderer that names it (NULL: none) */
};

struct ciot_renderer {
	const char *name;  /* as --format takes it */
	const char *alias; /* another name --format takes, or NULL */
	enum ciot_export_format format;
	enum ciot_rc (*begin)(struct ciot_render *r, char *errbuf);
	enum ciot_rc (*row)(struct ciot_render *r, const struct ciot_cell *cells, char *errbuf);
	enum ciot_rc (*end)(struct ciot_render *r, char *errbuf);
};

extern const struct ciot_renderer ciot_render_csv, ciot_render_json, ciot_render_md, ciot_render_html;

/* ciot_export with a row limit a renderer may honour (render-html.c does; 0: none). */
enum ciot_rc ciot_export_rows(struct sqlite3 *db, const char *table, enum ciot_export_format format,
			      const struct ciot_export_params *params, size_t row_limit, FILE *out, char *errbuf);

/* The renderer of a format, NULL for none; the i-th of the table, NULL past the last. */
const struct ciot_renderer *ciot_render_find(enum ciot_export_format format);
const struct ciot_renderer *ciot_render_get(size_t i);

/* A cell as text, the same for every text format: integers exactly, microsecond times as seconds
 * with six decimals (exact: from the integer, never through a double), real3 with three decimals,
 * shares with six, text as is; NULL for a NULL cell. buf (64 bytes are enough) holds numbers. */
const char *ciot_render_text(const struct ciot_cell *cell, enum ciot_column_kind kind, char *buf, size_t len);

#endif
