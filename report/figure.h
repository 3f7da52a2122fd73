/* figure.h: what the figures' drawers share (report library, internal): an export's result set held
 * in memory (a figure must see every row before it can lay one out), and the three charts the
 * figures are made of: grouped horizontal bars, heatmaps, and the header and legend every figure has.
 *
 * A figure reads its export's columns by name (fig_columns), so that a column added to an export
 * moves nothing here. Everything held is bounded: FIG_MAX_ROWS rows of an export, the labels and
 * tooltips in fixed buffers (cut, never overflowed; the SVG writer repairs a cut UTF-8 sequence).
 */
#ifndef CIOT_REPORT_FIGURE_H
#define CIOT_REPORT_FIGURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ciot/figures.h"
#include "ciot/report.h"

/* An export with more rows than this is refused as a figure (no chart of a million bars reads). */
#define FIG_MAX_ROWS 200000
#define FIG_MAX_SERIES 6
#define FIG_LABEL_SIZE 160
#define FIG_TIP_SIZE 600

/* ---- an export in memory ---- */

struct fig_cell {
	bool null;
	long long i; /* int and time columns */
	double r;    /* every number column (ints too) */
	char *t;     /* text columns (owned), NULL for NULL */
};

struct fig_table {
	const struct ciot_query *q;
	size_t ncols, nrows, cap;
	struct fig_cell *cells; /* nrows x ncols */
};

/* Runs the export `name` (ciot/report.h's registry) with params into t. */
enum ciot_rc fig_table_load(struct sqlite3 *db, const char *name, const struct ciot_export_params *params,
			    struct fig_table *t, char *errbuf);
void fig_table_free(struct fig_table *t);
/* The positions of the columns named, in order, into idx; CIOT_ERR_DB when the export has none of
 * one of them (the registry changed under the figure). */
enum ciot_rc fig_columns(const struct fig_table *t, const char *const *names, size_t *idx, size_t n, char *errbuf);
/* fig_table_load and fig_columns at once, the way every reader of an export starts: on any error
 * the table is already freed. */
enum ciot_rc fig_table_open(struct sqlite3 *db, const char *name, const struct ciot_export_params *params,
			    const char *const *names, size_t *idx, size_t n, struct fig_table *t, char *errbuf);
static inline const struct fig_cell *fig_at(const struct fig_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->ncols + col];
}
/* A text cell, "" for NULL. */
static inline const char *fig_text(const struct fig_table *t, size_t row, size_t col)
{
	const struct fig_cell *c = fig_at(t, row, col);
	return c->t ? c->t : "";
}

/* ---- text ---- */

/* A byte count as people read it: 1.2 MB, 532 B (powers of 1000, one decimal). */
const char *fig_bytes(char buf[32], double bytes);
/* A fraction as a percentage with one decimal: "12.5%". */
const char *fig_percent(char buf[32], double share);

/* ---- the header and the legend ---- */

#define FIG_MARGIN 20.0
/* The height the title and the method (wrapped to the width) take. */
double fig_header_height(double width, const char *method);
/* Writes the document's start (ciot_svg_begin) and the header; returns the y below it. */
double fig_begin(FILE *out, double width, double height, const char *title, const char *method);
/* A row of coloured keys, one per name, at y; returns the y below it. colours NULL: the palette's. */
double fig_legend(FILE *out, double x, double y, double width, const char *const *names, const char *const *colours,
		  size_t n);
/* The height fig_legend takes for these names in this width. */
double fig_legend_height(double width, const char *const *names, size_t n);

/* ---- grouped horizontal bars ---- */

struct fig_bar {
	bool has;                 /* false: no bar (and "no data" in the row's tooltip) */
	double value;             /* the bar's length on the axis */
	bool interval;            /* draw a whisker from lo to hi */
	double lo, hi;
	char label[32];           /* printed after the bar */
	char tip[FIG_TIP_SIZE];   /* its <title> */
};

struct fig_hrow {
	char group[FIG_LABEL_SIZE]; /* a heading printed when it changes ("" for none) */
	char label[FIG_LABEL_SIZE];
	struct fig_bar bars[FIG_MAX_SERIES];
};

struct fig_hbar {
	const char *title, *method, *axis; /* axis: what the bars measure */
	const char *series[FIG_MAX_SERIES];
	size_t nseries;
	double max;        /* the axis's end; 0: the largest value (and interval end), rounded up */
	bool percent;      /* the axis in percent (values are fractions) */
	bool integer;      /* counts: ticks at whole numbers */
	double reference;  /* a dashed line at this value (chance, 0.5), or < 0 for none */
	const char *reference_label;
	char note[FIG_TIP_SIZE]; /* a line under the chart, or "" */
	struct fig_hrow *rows;
	size_t nrows, cap;
};

/* A new row at the end (zeroed but for its labels); NULL when out of memory. */
struct fig_hrow *fig_hbar_add(struct fig_hbar *c, const char *group, const char *label);
/* Draws the chart as one SVG document. */
enum ciot_rc fig_hbar_draw(const struct fig_hbar *c, FILE *out, char *errbuf);
void fig_hbar_free(struct fig_hbar *c);

/* ---- heatmaps: panels of rows x columns ---- */

struct fig_hcell {
	bool has;     /* false: drawn empty, hatched grey, "no data" */
	double value; /* 0 to 1: the colour */
	char text[32];
	char tip[FIG_TIP_SIZE];
};

struct fig_heatmap {
	const char *title, *method, *scale; /* scale: what the colour means */
	const char *panels[4];              /* one heatmap each, side by side */
	size_t npanels;
	const char *const *columns;
	size_t ncolumns;
	char (*rows)[FIG_LABEL_SIZE];
	size_t nrows, cap;
	struct fig_hcell *cells; /* [row][panel][column] */
	char note[FIG_TIP_SIZE];
};

/* A new row (its cells empty); returns its index, or (size_t)-1 when out of memory. */
size_t fig_heatmap_add(struct fig_heatmap *h, const char *label);
static inline struct fig_hcell *fig_heatmap_cell(struct fig_heatmap *h, size_t row, size_t panel, size_t col)
{
	return &h->cells[(row * h->npanels + panel) * h->ncolumns + col];
}
enum ciot_rc fig_heatmap_draw(const struct fig_heatmap *h, FILE *out, char *errbuf);
void fig_heatmap_free(struct fig_heatmap *h);

/* The drawers (figure-*.c), listed in figures.c. */
enum ciot_rc ciot_figure_sankey(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_overseas(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_parties(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_organizations(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out,
				       char *errbuf);
enum ciot_rc ciot_figure_encryption(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_protocols(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_cert_issues(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_validation(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_shaping_auc(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf);
enum ciot_rc ciot_figure_shaping_cost(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out,
				      char *errbuf);

/* The registry's row of a drawer (for its title and method). */
const struct ciot_figure *fig_self(const char *name);

#endif
