/* render-json.c: JSON: an array with one object per row, keys the column names in column order,
 * exactly as jansson writes it with an indent of 1 and 16 significant digits for reals (which keep
 * the microseconds of a Unix time exact). A NULL cell is null; integers are JSON integers; times are
 * seconds as a real (microseconds / 1e6); real3 and share columns keep their full precision (only
 * the text formats round them); text is a string.
 *
 * The rows stream: each is dumped by jansson as the only element of an array, and the element's
 * text (between "[" and "\n]") is written after "[" for the first row and "," for the others; end
 * closes the array. The bytes are those jansson writes for the whole array at once, without ever
 * holding more than one row.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "render.h"

#define DUMP_FLAGS (JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(16))

static json_t *cell_value(const struct ciot_cell *cell, enum ciot_column_kind kind)
{
	if (cell->null)
		return json_null();
	switch (kind) {
	case CIOT_COLUMN_INT: return json_integer(cell->v.integer);
	case CIOT_COLUMN_TIME_US: return json_real((double)cell->v.integer / 1e6);
	case CIOT_COLUMN_REAL3:
	case CIOT_COLUMN_SHARE: return json_real(cell->v.real);
	case CIOT_COLUMN_TEXT:
	default: return json_string(cell->v.text);
	}
}

static enum ciot_rc json_begin(struct ciot_render *r, char *errbuf)
{
	(void)r;
	(void)errbuf;
	return CIOT_OK;
}

static enum ciot_rc json_row(struct ciot_render *r, const struct ciot_cell *cells, char *errbuf)
{
	json_t *array = json_array(), *row = json_object();
	char *text = NULL;
	enum ciot_rc rc = CIOT_OK;
	if (!array || !row || json_array_append(array, row)) {
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		goto done;
	}
	/* a value jansson refuses (text that is not UTF-8) leaves its key out, as it always did */
	for (size_t i = 0; i < r->ncolumns; i++)
		json_object_set_new(row, r->columns[i].name, cell_value(&cells[i], r->columns[i].kind));
	text = json_dumps(array, DUMP_FLAGS);
	size_t n = text ? strlen(text) : 0;
	if (n < 4 || text[0] != '[' || text[n - 2] != '\n' || text[n - 1] != ']') {
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "writing JSON failed");
		goto done;
	}
	fputc(r->rows ? ',' : '[', r->out);
	fwrite(text + 1, 1, n - 3, r->out);
done:
	free(text);
	json_decref(row);
	json_decref(array);
	return rc;
}

static enum ciot_rc json_end(struct ciot_render *r, char *errbuf)
{
	(void)errbuf;
	fputs(r->rows ? "\n]\n" : "[]\n", r->out);
	return CIOT_OK;
}

const struct ciot_renderer ciot_render_json = { "json", NULL, CIOT_EXPORT_JSON, json_begin, json_row, json_end };
