/* figure-sankey.c: Figure 1, the Sankey of device categories to countries, from the sankey export
 * (queries.c): its edges are a category's devices' normalized shares to a country, summed and
 * divided by all devices, so that every device weighs the same and the edges add up to 1.
 *
 * Categories on the left in the export's order (by name), countries on the right by their total
 * (largest first, ties by code), so the order is fixed by the data. A node's height is its share of
 * the plot; a node too small for its label still gets a label's room (the band keeps its true
 * height), which is why the figure grows with the number of nodes instead of overprinting. Bands
 * take their category's colour; country nodes are dark for the home country, light for overseas,
 * outlined for unknown.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "figure.h"
#include "svg.h"

#define NODE_W 14.0
#define NODE_GAP 8.0
#define SLOT_MIN 18.0
#define LABEL_CHARS 28

struct node {
	const char *name;
	double value;  /* share of all devices' traffic */
	double bytes;
	int overseas;  /* countries: 1, 0, or -1 for unknown */
	double y, h;   /* its rectangle */
	double offset; /* where the next band starts in it */
};

struct sankey {
	struct fig_table t;
	size_t col[6]; /* source, target, overseas, value, bytes, devices */
	struct node *cats, *countries;
	size_t ncats, ncountries;
};

static size_t node_find(struct node *nodes, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(nodes[i].name, name))
			return i;
	return n;
}

static int by_value(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The nodes of both sides from the edges. */
static enum ciot_rc sankey_nodes(struct sankey *s, char *errbuf)
{
	s->cats = calloc(s->t.nrows + 1, sizeof *s->cats);
	s->countries = calloc(s->t.nrows + 1, sizeof *s->countries);
	if (!s->cats || !s->countries)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	for (size_t r = 0; r < s->t.nrows; r++) {
		const char *cat = fig_text(&s->t, r, s->col[0]), *country = fig_text(&s->t, r, s->col[1]);
		double v = fig_at(&s->t, r, s->col[3])->r, bytes = fig_at(&s->t, r, s->col[4])->r;
		size_t i = node_find(s->cats, s->ncats, cat);
		if (i == s->ncats)
			s->cats[s->ncats++].name = cat;
		s->cats[i].value += v;
		s->cats[i].bytes += bytes;
		size_t j = node_find(s->countries, s->ncountries, country);
		if (j == s->ncountries) {
			const struct fig_cell *o = fig_at(&s->t, r, s->col[2]);
			s->countries[s->ncountries].name = country;
			s->countries[s->ncountries++].overseas = o->null ? -1 : (int)o->i;
		}
		s->countries[j].value += v;
		s->countries[j].bytes += bytes;
	}
	qsort(s->countries, s->ncountries, sizeof *s->countries, by_value);
	return CIOT_OK;
}

/* Places a column's nodes from top: each its true height, in a slot at least SLOT_MIN high. */
static double place(struct node *nodes, size_t n, double top, double scale)
{
	double y = top;
	for (size_t i = 0; i < n; i++) {
		nodes[i].h = nodes[i].value * scale;
		if (nodes[i].h < 1)
			nodes[i].h = 1;
		nodes[i].y = y;
		nodes[i].offset = y;
		y += (nodes[i].h > SLOT_MIN ? nodes[i].h : SLOT_MIN) + NODE_GAP;
	}
	return y;
}

static const char *country_fill(int overseas)
{
	return overseas > 0 ? "#9a9a9a" : overseas == 0 ? "#333333" : "#ffffff";
}

static void draw_nodes(FILE *out, const struct sankey *s, double lx, double rx)
{
	char pct[32], bytes[32];
	for (size_t i = 0; i < s->ncats; i++) {
		const struct node *n = &s->cats[i];
		ciot_svg_rect(out, lx, n->y, NODE_W, n->h, ciot_svg_category_colour(i), "%s: %s of the devices' traffic (%s)",
			      n->name, fig_percent(pct, n->value), fig_bytes(bytes, n->bytes));
		/* the share apart from the name, so that a name cut to the column never cuts the share */
		ciot_svg_text(out, lx - 6, n->y + 10, CIOT_SVG_END, 12, NULL, NULL, 0, pct);
		ciot_svg_text(out, lx - 10 - ciot_svg_text_width(pct, 12), n->y + 10, CIOT_SVG_END, 12, NULL, NULL,
			      LABEL_CHARS, n->name);
	}
	for (size_t i = 0; i < s->ncountries; i++) {
		const struct node *n = &s->countries[i];
		const char *where = n->overseas > 0 ? "overseas" : n->overseas == 0 ? "home" : "country unknown";
		ciot_svg_rect_outline(out, rx, n->y, NODE_W, n->h, country_fill(n->overseas), "#333333",
				      "%s (%s): %s of the devices' traffic (%s)", n->name, where, fig_percent(pct, n->value),
				      fig_bytes(bytes, n->bytes));
		ciot_svg_text(out, rx + NODE_W + 6, n->y + 10, CIOT_SVG_START, 12, NULL, NULL, LABEL_CHARS, n->name);
		ciot_svg_text(out, rx + NODE_W + 10 + ciot_svg_text_width(n->name, 12) * (ciot_svg_chars(n->name) > LABEL_CHARS
			      ? (double)LABEL_CHARS / (double)ciot_svg_chars(n->name) : 1), n->y + 10, CIOT_SVG_START, 12,
			      NULL, NULL, 0, pct);
	}
}

/* The bands, in the export's order: down each category, and down each country in category order. */
static void draw_bands(FILE *out, struct sankey *s, double lx, double rx, double scale)
{
	double x1 = lx + NODE_W, x2 = rx, xm = (x1 + x2) / 2;
	for (size_t r = 0; r < s->t.nrows; r++) {
		size_t i = node_find(s->cats, s->ncats, fig_text(&s->t, r, s->col[0]));
		size_t j = node_find(s->countries, s->ncountries, fig_text(&s->t, r, s->col[1]));
		double h = fig_at(&s->t, r, s->col[3])->r * scale;
		double ya = s->cats[i].offset, yb = s->countries[j].offset;
		s->cats[i].offset += h;
		s->countries[j].offset += h;
		char d[512], n[8][CIOT_SVG_NUM_SIZE];
		snprintf(d, sizeof d, "M%s %s C%s %s %s %s %s %s L%s %s C%s %s %s %s %s %s Z", ciot_svg_num(n[0], x1),
			 ciot_svg_num(n[1], ya), ciot_svg_num(n[2], xm), n[1], n[2], ciot_svg_num(n[3], yb),
			 ciot_svg_num(n[4], x2), n[3], n[4], ciot_svg_num(n[5], yb + h), n[2], n[5], n[2],
			 ciot_svg_num(n[6], ya + h), n[0], n[6]);
		char pct[32], bytes[32];
		ciot_svg_path(out, d, ciot_svg_category_colour(i), 0.55, "%s to %s: %s of the devices' traffic (%s, %lld devices)",
			      s->cats[i].name, s->countries[j].name, fig_percent(pct, fig_at(&s->t, r, s->col[3])->r),
			      fig_bytes(bytes, fig_at(&s->t, r, s->col[4])->r), fig_at(&s->t, r, s->col[5])->i);
	}
}

static enum ciot_rc sankey_draw(struct sankey *s, FILE *out, char *errbuf)
{
	enum ciot_rc rc = sankey_nodes(s, errbuf);
	if (rc)
		return rc;
	const struct ciot_figure *self = fig_self("sankey");
	size_t most = s->ncats > s->ncountries ? s->ncats : s->ncountries;
	double scale = 24.0 * (double)most;
	if (scale < 360)
		scale = 360;
	double label = (LABEL_CHARS + 7) * 12 * 0.6, width = 2 * FIG_MARGIN + 2 * label + 2 * NODE_W + 420;
	static const char *const keys[] = { "home country", "overseas", "unknown" };
	static const char *const key_colours[] = { "#333333", "#9a9a9a", "#ffffff" };
	double header = fig_header_height(width, self->method), legend = fig_legend_height(width, keys, 3);
	double top = header + legend + 10;
	double left_end = place(s->cats, s->ncats, top, scale), right_end = place(s->countries, s->ncountries, top, scale);
	double height = (left_end > right_end ? left_end : right_end) + FIG_MARGIN;
	fig_begin(out, width, height, self->title, self->method);
	fig_legend(out, FIG_MARGIN, header, width, keys, key_colours, 3);
	double lx = FIG_MARGIN + label, rx = width - FIG_MARGIN - label - NODE_W;
	draw_bands(out, s, lx, rx, scale);
	draw_nodes(out, s, lx, rx);
	ciot_svg_end(out);
	return CIOT_OK;
}

enum ciot_rc ciot_figure_sankey(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	struct sankey s = { 0 };
	static const char *const names[] = { "source", "target", "overseas", "value", "bytes", "devices" };
	enum ciot_rc rc = fig_table_open(db, "sankey", p, names, s.col, 6, &s.t, errbuf);
	if (rc)
		return rc;
	if (s.t.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no device traffic to public addresses");
	if (!rc)
		rc = sankey_draw(&s, out, errbuf);
	free(s.cats);
	free(s.countries);
	fig_table_free(&s.t);
	return rc;
}
