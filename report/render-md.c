/* render-md.c: a Markdown (GitHub) table: a header row of the column names, the alignment row
 * (text to the left, numbers to the right), then one line per row. In a cell a '|' or '\' is
 * escaped with '\' and a line break becomes a space, so every row stays one table line; a NULL
 * cell is empty and an empty text is "", as in CSV (render-csv.c). Numbers as ciot_render_text
 * prints them.
 */
#include "render.h"

static void field(FILE *out, const char *s)
{
	if (!s)
		return;
	if (!*s) {
		fputs("\"\"", out);
		return;
	}
	for (; *s; s++) {
		if (*s == '|' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static enum ciot_rc md_begin(struct ciot_render *r, char *errbuf)
{
	(void)errbuf;
	for (size_t i = 0; i < r->ncolumns; i++) {
		fputs(i ? " | " : "| ", r->out);
		fputs(r->columns[i].name, r->out);
	}
	fputs(" |\n", r->out);
	for (size_t i = 0; i < r->ncolumns; i++)
		fputs(r->columns[i].kind == CIOT_COLUMN_TEXT ? "|---" : "|--:", r->out);
	fputs("|\n", r->out);
	return CIOT_OK;
}

static enum ciot_rc md_row(struct ciot_render *r, const struct ciot_cell *cells, char *errbuf)
{
	(void)errbuf;
	char buf[64];
	for (size_t i = 0; i < r->ncolumns; i++) {
		fputs(i ? " | " : "| ", r->out);
		field(r->out, ciot_render_text(&cells[i], r->columns[i].kind, buf, sizeof buf));
	}
	fputs(" |\n", r->out);
	return CIOT_OK;
}

static enum ciot_rc md_end(struct ciot_render *r, char *errbuf)
{
	(void)r;
	(void)errbuf;
	return CIOT_OK;
}

const struct ciot_renderer ciot_render_md = { "md", "markdown", CIOT_EXPORT_MD, md_begin, md_row, md_end };
