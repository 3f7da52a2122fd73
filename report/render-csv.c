/* render-csv.c: CSV (RFC 4180): a header row of the column names, then one line per row, fields
 * separated by commas and lines by \n. A field holding a comma, a double quote, CR or LF is quoted,
 * its quotes doubled. A NULL cell (no value: unknown, or not applicable) is an empty field; an empty
 * text (a list known to be empty: no alerts, no findings) is "", quoted, so that the two stay apart
 * as they do in JSON (null and ""). It is PostgreSQL's COPY ... CSV convention, which reads them
 * back as NULL and ''. Numbers as ciot_render_text prints them.
 */
#include <string.h>

#include "render.h"

static void field(FILE *out, const char *s)
{
	if (!s)
		return;
	if (*s && !strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static enum ciot_rc csv_begin(struct ciot_render *r, char *errbuf)
{
	(void)errbuf;
	for (size_t i = 0; i < r->ncolumns; i++) {
		if (i)
			fputc(',', r->out);
		fputs(r->columns[i].name, r->out);
	}
	fputc('\n', r->out);
	return CIOT_OK;
}

static enum ciot_rc csv_row(struct ciot_render *r, const struct ciot_cell *cells, char *errbuf)
{
	(void)errbuf;
	char buf[64];
	for (size_t i = 0; i < r->ncolumns; i++) {
		if (i)
			fputc(',', r->out);
		field(r->out, ciot_render_text(&cells[i], r->columns[i].kind, buf, sizeof buf));
	}
	fputc('\n', r->out);
	return CIOT_OK;
}

static enum ciot_rc csv_end(struct ciot_render *r, char *errbuf)
{
	(void)r;
	(void)errbuf;
	return CIOT_OK;
}

const struct ciot_renderer ciot_render_csv = { "csv", NULL, CIOT_EXPORT_CSV, csv_begin, csv_row, csv_end };
