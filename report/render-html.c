/* render-html.c: an HTML table, the form the HTML report (html-report.c) shows every export in and
 * `ciot-report DB TABLE -f html` prints: a <table> fragment, not a document, so that it embeds.
 * Column names head it, each with its documentation as a tooltip (the same line docs/exports.md
 * gives); numbers are right-aligned (class "n") as ciot_render_text prints them. Every text goes
 * through the SVG writer's escaper (XML's five specials as entities, control characters dropped,
 * bytes that are not UTF-8 replaced), so a device named "<script>" stays text. A NULL cell is
 * empty and an empty text is "", as in CSV (render-csv.c).
 *
 * The report may stop a long table after a number of rows (struct ciot_render's row_limit, 0 for
 * none) and says how many rows it left out and how to get them all.
 */
#include "render.h"
#include "svg.h"

static enum ciot_rc html_begin(struct ciot_render *r, char *errbuf)
{
	(void)errbuf;
	fputs("<table>\n<thead><tr>", r->out);
	for (size_t i = 0; i < r->ncolumns; i++) {
		fputs(r->columns[i].kind == CIOT_COLUMN_TEXT ? "<th title=\"" : "<th class=\"n\" title=\"", r->out);
		ciot_svg_escape(r->out, r->columns[i].doc, 0);
		fputs("\">", r->out);
		ciot_svg_escape(r->out, r->columns[i].name, 0);
		fputs("</th>", r->out);
	}
	fputs("</tr></thead>\n<tbody>\n", r->out);
	return CIOT_OK;
}

static enum ciot_rc html_row(struct ciot_render *r, const struct ciot_cell *cells, char *errbuf)
{
	(void)errbuf;
	if (r->row_limit && r->rows >= r->row_limit)
		return CIOT_OK; /* counted by the caller, said at the end */
	char buf[64];
	fputs("<tr>", r->out);
	for (size_t i = 0; i < r->ncolumns; i++) {
		const char *text = ciot_render_text(&cells[i], r->columns[i].kind, buf, sizeof buf);
		fputs(r->columns[i].kind == CIOT_COLUMN_TEXT ? "<td>" : "<td class=\"n\">", r->out);
		if (text && !*text)
			fputs("&quot;&quot;", r->out);
		else if (text)
			ciot_svg_escape(r->out, text, 0);
		fputs("</td>", r->out);
	}
	fputs("</tr>\n", r->out);
	return CIOT_OK;
}

static enum ciot_rc html_end(struct ciot_render *r, char *errbuf)
{
	(void)errbuf;
	fputs("</tbody>\n</table>\n", r->out);
	if (r->rows == 0)
		fputs("<p class=\"empty\">No rows.</p>\n", r->out);
	else if (r->row_limit && r->rows > r->row_limit)
		fprintf(r->out, "<p class=\"cut\">The first %zu of %zu rows; the whole table: <code>ciot-report DB %s</code>.</p>\n",
			r->row_limit, r->rows, r->table ? r->table : "TABLE");
	return CIOT_OK;
}

const struct ciot_renderer ciot_render_html = { "html", NULL, CIOT_EXPORT_HTML, html_begin, html_row, html_end };
