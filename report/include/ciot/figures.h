/* ciot/figures.h: the figures ciot-report draws from an analysis database, as standalone SVG 1.1
 * (no script, no external reference): the lifecycle paper's Figures 1 to 3 and Tables 1 to 5 as
 * charts, and the shaping scores when ciot-shape stored any. docs/figures.md says what each shows
 * and how it is computed.
 *
 * A figure is a query and a drawer. The query is an export of the registry (ciot/report.h), run
 * through the same typed result set the CSV, JSON and Markdown renderers read, so a figure's
 * numbers are the export's numbers: no SQL is copied. The drawer lays the rows out and writes SVG
 * through one writer (report/svg.h: fixed number format, every database text escaped, a <title>
 * on every mark), so the same database gives the same bytes.
 *
 * Adding a figure means a drawer in report/figure-*.c, its row in the table of figures.c, its
 * section in docs/figures.md, and its golden SVG (tests/golden/figures/).
 */
#ifndef CIOT_FIGURES_H
#define CIOT_FIGURES_H

#include <stddef.h>
#include <stdio.h>

#include "ciot/ciot.h"
#include "ciot/report.h"

struct sqlite3;

/* What draw returns when the database holds no data for the figure (no interception capture for
 * the validation figure, no ciot-shape run for the shaping ones...): nothing was written to out,
 * and errbuf says what is missing. Any other code but CIOT_OK is an error. */
#define CIOT_FIGURE_NO_DATA CIOT_ERR_UNSUPPORTED

struct ciot_figure {
	const char *name;   /* as `ciot-report DB figure NAME` takes it, and the file name of --svg */
	const char *title;  /* the figure's heading */
	const char *method; /* one line: how it is computed, from which export, which options apply */
	/* Draws the figure of db into out as one SVG document; params as for the exports (NULL: the
	 * defaults). CIOT_FIGURE_NO_DATA when there is nothing to draw. */
	enum ciot_rc (*draw)(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
};

/* The registry in the order --help and --svg list it: the i-th figure, NULL past the last. */
const struct ciot_figure *ciot_figure_get(size_t i);
/* The figure named `name`, NULL when there is none. */
const struct ciot_figure *ciot_figure_find(const char *name);

#endif
