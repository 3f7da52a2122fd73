/* figure-chart.c: the charts figures are made of (figure.h): a header (title, and the method
 * wrapped under it), a legend, grouped horizontal bars and heatmaps.
 *
 * Horizontal bars because labels are long (organizations, behaviours, server names) and many: a
 * row per item, read left to right, and the chart grows downwards with the rows instead of
 * squeezing them, so 70 devices or 30 categories stay readable. The label column is as wide as the
 * longest label up to a cap (longer ones are cut, whole in their <title>). Heatmaps put the rows
 * (categories) down and the few fixed columns (phases, issues) across, for the same reason. Axes
 * end at a round number (1, 2, 2.5 or 5 times a power of ten) so that ticks read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "figure.h"
#include "svg.h"

#define TITLE_SIZE 16.0
#define METHOD_SIZE 11.0
#define LABEL_SIZE 12.0
#define LABEL_MAX_CHARS 44
#define GREY "#555555"
#define GRID "#dddddd"
#define EMPTY_FILL "#eeeeee"

/* ---- header and legend ---- */

/* Writes text (when out is set) wrapped at `chars` characters on spaces, a line every `step`
 * pixels from y; returns the number of lines. */
static size_t wrap(const char *text, size_t chars, FILE *out, double x, double y, double step)
{
	size_t lines = 0, len = strlen(text);
	const char *p = text;
	while (p < text + len) {
		size_t rest = strlen(p), take = rest;
		if (rest > chars) {
			take = chars;
			while (take > 0 && p[take] != ' ')
				take--;
			if (take == 0)
				take = chars;
		}
		if (out) {
			char line[CIOT_SVG_TEXT_MAX];
			snprintf(line, sizeof line, "%.*s", (int)(take < sizeof line - 1 ? take : sizeof line - 1), p);
			ciot_svg_text(out, x, y + step * (double)lines, CIOT_SVG_START, METHOD_SIZE, NULL, GREY, 0, line);
		}
		lines++;
		p += take;
		while (*p == ' ')
			p++;
	}
	return lines;
}

static size_t wrap_chars(double width)
{
	double chars = (width - 2 * FIG_MARGIN) / (METHOD_SIZE * 0.55);
	return chars < 20 ? 20 : (size_t)chars;
}

double fig_header_height(double width, const char *method)
{
	return FIG_MARGIN + TITLE_SIZE + 8 + 14.0 * (double)wrap(method, wrap_chars(width), NULL, 0, 0, 0) + 10;
}

double fig_begin(FILE *out, double width, double height, const char *title, const char *method)
{
	ciot_svg_begin(out, width, height, title, method);
	ciot_svg_text(out, FIG_MARGIN, FIG_MARGIN + TITLE_SIZE - 2, CIOT_SVG_START, TITLE_SIZE, "bold", NULL, 0, title);
	double y = FIG_MARGIN + TITLE_SIZE + 8 + METHOD_SIZE;
	size_t lines = wrap(method, wrap_chars(width), out, FIG_MARGIN, y, 14);
	return FIG_MARGIN + TITLE_SIZE + 8 + 14.0 * (double)lines + 10;
}

/* The width a legend key takes: the swatch, a gap, the name, a gap. */
static double key_width(const char *name)
{
	return 16 + ciot_svg_text_width(name, LABEL_SIZE) + 18;
}

double fig_legend_height(double width, const char *const *names, size_t n)
{
	double x = FIG_MARGIN, rows = n ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		if (x > FIG_MARGIN && x + key_width(names[i]) > width - FIG_MARGIN) {
			rows++;
			x = FIG_MARGIN;
		}
		x += key_width(names[i]);
	}
	return rows * 20 + (n ? 6 : 0);
}

double fig_legend(FILE *out, double x0, double y, double width, const char *const *names, const char *const *colours,
		  size_t n)
{
	double x = x0;
	for (size_t i = 0; i < n; i++) {
		if (x > x0 && x + key_width(names[i]) > width - FIG_MARGIN) {
			y += 20;
			x = x0;
		}
		if (colours) /* given colours may be white or light: outlined */
			ciot_svg_rect_outline(out, x, y, 12, 12, colours[i], "#333333", "%s", names[i]);
		else
			ciot_svg_rect(out, x, y, 12, 12, ciot_svg_category_colour(i), "%s", names[i]);
		ciot_svg_text(out, x + 16, y + 11, CIOT_SVG_START, LABEL_SIZE, NULL, NULL, 0, names[i]);
		x += key_width(names[i]);
	}
	return y + (n ? 26 : 0);
}

/* ---- grouped horizontal bars ---- */

struct fig_hrow *fig_hbar_add(struct fig_hbar *c, const char *group, const char *label)
{
	if (c->nrows == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct fig_hrow *grown = realloc(c->rows, cap * sizeof *grown);
		if (!grown)
			return NULL;
		c->rows = grown;
		c->cap = cap;
	}
	struct fig_hrow *r = &c->rows[c->nrows++];
	memset(r, 0, sizeof *r);
	snprintf(r->group, sizeof r->group, "%s", group ? group : "");
	snprintf(r->label, sizeof r->label, "%s", label ? label : "");
	return r;
}

void fig_hbar_free(struct fig_hbar *c)
{
	free(c->rows);
	c->rows = NULL;
	c->nrows = c->cap = 0;
}

/* The smallest of 1, 2, 2.5, 5 times a power of ten at or above v (1 for nothing). */
static double nice_ceiling(double v)
{
	if (!(v > 0) || !isfinite(v))
		return 1;
	double p = pow(10, floor(log10(v)));
	static const double steps[] = { 1, 2, 2.5, 5, 10 };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i] * p >= v * (1 - 1e-9))
			return steps[i] * p;
	return 10 * p;
}

static double hbar_max(const struct fig_hbar *c)
{
	if (c->max > 0)
		return c->max;
	double m = 0;
	for (size_t r = 0; r < c->nrows; r++)
		for (size_t s = 0; s < c->nseries; s++) {
			const struct fig_bar *b = &c->rows[r].bars[s];
			if (b->has && b->value > m)
				m = b->value;
			if (b->has && b->interval && b->hi > m)
				m = b->hi;
		}
	/* four ticks at a round step: 0, 1, 2, 3, 4 rather than 0, 1.25, 2.5...; whole for counts */
	double step = nice_ceiling(m / 4);
	if (c->integer && step < 1)
		step = 1;
	return 4 * step;
}

/* The geometry of a bar chart, worked out once for the height and again for drawing. */
struct hbar_layout {
	double width, label_w, x0, plot_w, bar_h, row_h, header_h, legend_h, body_h, height, max;
};

static void hbar_layout(const struct fig_hbar *c, struct hbar_layout *l)
{
	double label = 60;
	for (size_t r = 0; r < c->nrows; r++) {
		size_t chars = ciot_svg_chars(c->rows[r].label);
		double w = (double)(chars > LABEL_MAX_CHARS ? LABEL_MAX_CHARS : chars) * LABEL_SIZE * 0.6;
		if (w > label)
			label = w;
	}
	l->label_w = label + 12;
	l->plot_w = 480;
	l->x0 = FIG_MARGIN + l->label_w;
	l->width = l->x0 + l->plot_w + 110 + FIG_MARGIN;
	if (l->width < 720)
		l->width = 720;
	l->bar_h = c->nseries > 1 ? 12 : 16;
	l->row_h = l->bar_h * (double)c->nseries + 8;
	l->header_h = fig_header_height(l->width, c->method);
	l->legend_h = fig_legend_height(l->width, c->series, c->nseries);
	double body = 22; /* the axis's title */
	for (size_t r = 0; r < c->nrows; r++) {
		if (c->rows[r].group[0] && (r == 0 || strcmp(c->rows[r].group, c->rows[r - 1].group)))
			body += 24;
		body += l->row_h;
	}
	l->body_h = body;
	l->height = l->header_h + l->legend_h + body + 34 + (c->note[0] ? 18 : 0) + FIG_MARGIN;
	l->max = hbar_max(c);
}

static void hbar_axis(const struct fig_hbar *c, const struct hbar_layout *l, FILE *out, double top, double bottom)
{
	for (int k = 0; k <= 4; k++) {
		double v = l->max * k / 4, x = l->x0 + l->plot_w * k / 4;
		ciot_svg_line(out, x, top, x, bottom, GRID, 1, 0);
		char buf[32];
		if (c->percent)
			fig_percent(buf, v);
		else
			snprintf(buf, sizeof buf, "%g", v);
		ciot_svg_text(out, x, bottom + 14, CIOT_SVG_MIDDLE, 11, NULL, GREY, 0, buf);
	}
	ciot_svg_line(out, l->x0, top, l->x0, bottom, GREY, 1, 0);
	ciot_svg_text(out, l->x0 + l->plot_w / 2, bottom + 30, CIOT_SVG_MIDDLE, LABEL_SIZE, NULL, NULL, 0, c->axis);
}

/* The reference line (chance...), over the bars. */
static void hbar_reference(const struct fig_hbar *c, const struct hbar_layout *l, FILE *out, double top, double bottom)
{
	if (c->reference >= 0 && c->reference <= l->max) {
		double x = l->x0 + l->plot_w * c->reference / l->max;
		ciot_svg_line(out, x, top, x, bottom, "#000000", 1, 1);
		if (c->reference_label)
			ciot_svg_text(out, x + 3, top + 10, CIOT_SVG_START, 10, NULL, NULL, 0, c->reference_label);
	}
}

static void hbar_bar(const struct hbar_layout *l, FILE *out, const struct fig_bar *b, size_t s, double y)
{
	double scale = l->plot_w / l->max;
	if (!b->has) {
		ciot_svg_rect(out, l->x0 + 1, y + 1, 3, l->bar_h - 2, "#bbbbbb", "%s", b->tip[0] ? b->tip : "no data");
		ciot_svg_text(out, l->x0 + 8, y + l->bar_h - 3, CIOT_SVG_START, 10, NULL, GREY, 0, "no data");
		return;
	}
	double w = b->value * scale;
	ciot_svg_rect(out, l->x0, y + 1, w > l->plot_w ? l->plot_w : w, l->bar_h - 2, ciot_svg_category_colour(s), "%s",
		      b->tip);
	double end = l->x0 + (w > l->plot_w ? l->plot_w : w);
	if (b->interval) {
		double lo = l->x0 + b->lo * scale, hi = l->x0 + b->hi * scale, mid = y + l->bar_h / 2;
		ciot_svg_line(out, lo, mid, hi, mid, "#000000", 1.2, 0);
		ciot_svg_line(out, lo, mid - 3, lo, mid + 3, "#000000", 1.2, 0);
		ciot_svg_line(out, hi, mid - 3, hi, mid + 3, "#000000", 1.2, 0);
		if (hi > end)
			end = hi;
	}
	if (b->label[0])
		ciot_svg_text(out, end + 4, y + l->bar_h - 3, CIOT_SVG_START, 10, NULL, NULL, 0, b->label);
}

enum ciot_rc fig_hbar_draw(const struct fig_hbar *c, FILE *out, char *errbuf)
{
	(void)errbuf;
	struct hbar_layout l;
	hbar_layout(c, &l);
	double y = fig_begin(out, l.width, l.height, c->title, c->method);
	y = fig_legend(out, FIG_MARGIN, y, l.width, c->series, NULL, c->nseries);
	double top = y;
	hbar_axis(c, &l, out, top + 14, top + l.body_h + 4); /* first, so that bars lie over the grid */
	y += 22;
	for (size_t r = 0; r < c->nrows; r++) {
		const struct fig_hrow *row = &c->rows[r];
		if (row->group[0] && (r == 0 || strcmp(row->group, c->rows[r - 1].group))) {
			/* a white band under the heading: it reads as a separator, not across the grid */
			ciot_svg_rect(out, FIG_MARGIN, y + 5, l.x0 + l.plot_w - FIG_MARGIN, 18, "#ffffff", NULL);
			ciot_svg_line(out, FIG_MARGIN, y + 4, l.x0 + l.plot_w, y + 4, GRID, 1, 0);
			ciot_svg_text(out, FIG_MARGIN, y + 18, CIOT_SVG_START, LABEL_SIZE, "bold", NULL,
				      (size_t)((l.width - 2 * FIG_MARGIN) / (LABEL_SIZE * 0.62)), row->group);
			y += 24;
		}
		ciot_svg_text(out, l.x0 - 8, y + l.row_h / 2 + 2, CIOT_SVG_END, LABEL_SIZE, NULL, NULL, LABEL_MAX_CHARS,
			      row->label);
		for (size_t s = 0; s < c->nseries; s++)
			hbar_bar(&l, out, &row->bars[s], s, y + 4 + l.bar_h * (double)s);
		y += l.row_h;
	}
	hbar_reference(c, &l, out, top + 14, top + l.body_h + 4);
	if (c->note[0])
		ciot_svg_text(out, FIG_MARGIN, y + 56, CIOT_SVG_START, 11, NULL, GREY, 0, c->note);
	ciot_svg_end(out);
	return CIOT_OK;
}

/* ---- heatmaps ---- */

#define CELL_W 78.0
#define CELL_H 24.0
#define PANEL_GAP 28.0

size_t fig_heatmap_add(struct fig_heatmap *h, const char *label)
{
	if (h->nrows == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		char(*rows)[FIG_LABEL_SIZE] = realloc(h->rows, cap * sizeof *rows);
		if (!rows)
			return (size_t)-1;
		h->rows = rows;
		struct fig_hcell *cells = realloc(h->cells, cap * h->npanels * h->ncolumns * sizeof *cells);
		if (!cells)
			return (size_t)-1;
		h->cells = cells;
		h->cap = cap;
	}
	size_t r = h->nrows++;
	snprintf(h->rows[r], FIG_LABEL_SIZE, "%s", label ? label : "");
	memset(&h->cells[r * h->npanels * h->ncolumns], 0, h->npanels * h->ncolumns * sizeof *h->cells);
	return r;
}

void fig_heatmap_free(struct fig_heatmap *h)
{
	free(h->rows);
	free(h->cells);
	h->rows = NULL;
	h->cells = NULL;
	h->nrows = h->cap = 0;
}

/* The colour scale: ten steps of the ramp from 0 to 100 %, and the empty cell's key. */
static void heatmap_scale(const struct fig_heatmap *h, FILE *out, double x, double y)
{
	ciot_svg_text(out, x, y + 11, CIOT_SVG_START, LABEL_SIZE, NULL, NULL, 0, h->scale);
	x += ciot_svg_text_width(h->scale, LABEL_SIZE) + 10;
	for (int k = 0; k < 10; k++) {
		char colour[8];
		ciot_svg_ramp((k + 0.5) / 10, colour, NULL);
		ciot_svg_rect(out, x + 18.0 * k, y, 18, 12, colour, "%d%% to %d%%", k * 10, k * 10 + 10);
	}
	ciot_svg_text(out, x, y + 26, CIOT_SVG_MIDDLE, 10, NULL, GREY, 0, "0%");
	ciot_svg_text(out, x + 180, y + 26, CIOT_SVG_MIDDLE, 10, NULL, GREY, 0, "100%");
	x += 200;
	ciot_svg_rect_outline(out, x, y, 18, 12, EMPTY_FILL, "#999999", "no data");
	ciot_svg_text(out, x + 24, y + 11, CIOT_SVG_START, LABEL_SIZE, NULL, NULL, 0, "no data");
}

static void heatmap_cell(FILE *out, const struct fig_hcell *c, double x, double y)
{
	if (!c->has) {
		ciot_svg_rect_outline(out, x + 1, y + 1, CELL_W - 2, CELL_H - 2, EMPTY_FILL, "#cccccc", "%s",
				      c->tip[0] ? c->tip : "no data");
		ciot_svg_text(out, x + CELL_W / 2, y + CELL_H / 2 + 4, CIOT_SVG_MIDDLE, 11, NULL, "#888888", 0, "–");
		return;
	}
	char colour[8];
	int dark;
	ciot_svg_ramp(c->value, colour, &dark);
	ciot_svg_rect(out, x + 1, y + 1, CELL_W - 2, CELL_H - 2, colour, "%s", c->tip);
	ciot_svg_text(out, x + CELL_W / 2, y + CELL_H / 2 + 4, CIOT_SVG_MIDDLE, 11, NULL, dark ? "#000000" : "#ffffff",
		      0, c->text);
}

enum ciot_rc fig_heatmap_draw(const struct fig_heatmap *h, FILE *out, char *errbuf)
{
	(void)errbuf;
	double label = 60;
	for (size_t r = 0; r < h->nrows; r++) {
		size_t chars = ciot_svg_chars(h->rows[r]);
		double w = (double)(chars > LABEL_MAX_CHARS ? LABEL_MAX_CHARS : chars) * LABEL_SIZE * 0.6;
		if (w > label)
			label = w;
	}
	double x0 = FIG_MARGIN + label + 12, panel_w = CELL_W * (double)h->ncolumns;
	double width = x0 + (panel_w + PANEL_GAP) * (double)h->npanels + FIG_MARGIN;
	if (width < 640)
		width = 640;
	double header = fig_header_height(width, h->method);
	double height = header + 40 + 40 + CELL_H * (double)h->nrows + (h->note[0] ? 20 : 0) + FIG_MARGIN;
	double y = fig_begin(out, width, height, h->title, h->method);
	heatmap_scale(h, out, FIG_MARGIN, y);
	y += 40;
	for (size_t p = 0; p < h->npanels; p++) {
		double px = x0 + (panel_w + PANEL_GAP) * (double)p;
		ciot_svg_text(out, px + panel_w / 2, y + 12, CIOT_SVG_MIDDLE, 13, "bold", NULL, 0, h->panels[p]);
		for (size_t c = 0; c < h->ncolumns; c++)
			ciot_svg_text(out, px + CELL_W * ((double)c + 0.5), y + 32, CIOT_SVG_MIDDLE, 11, NULL, GREY, 12,
				      h->columns[c]);
	}
	y += 40;
	for (size_t r = 0; r < h->nrows; r++) {
		double ry = y + CELL_H * (double)r;
		ciot_svg_text(out, x0 - 8, ry + CELL_H / 2 + 4, CIOT_SVG_END, LABEL_SIZE, NULL, NULL, LABEL_MAX_CHARS,
			      h->rows[r]);
		for (size_t p = 0; p < h->npanels; p++)
			for (size_t c = 0; c < h->ncolumns; c++)
				heatmap_cell(out, &h->cells[(r * h->npanels + p) * h->ncolumns + c],
					     x0 + (panel_w + PANEL_GAP) * (double)p + CELL_W * (double)c, ry);
	}
	if (h->note[0])
		ciot_svg_text(out, FIG_MARGIN, y + CELL_H * (double)h->nrows + 16, CIOT_SVG_START, 11, NULL, GREY, 0,
			      h->note);
	ciot_svg_end(out);
	return CIOT_OK;
}
