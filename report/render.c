/* render.c: the table of renderers (render.h), and what the text formats share: a typed cell's
 * text. Numbers are printed from the typed value, never from SQLite's text, so that every format
 * prints a value the same way: integers exactly, timestamps as seconds with microseconds (exact,
 * from integer microseconds), shares with the precision given, text as is.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "render.h"

static const struct ciot_renderer *const renderers[] = { &ciot_render_csv, &ciot_render_json, &ciot_render_md,
							   &ciot_render_html };

#define NRENDERERS (sizeof renderers / sizeof renderers[0])

const struct ciot_renderer *ciot_render_get(size_t i)
{
	return i < NRENDERERS ? renderers[i] : NULL;
}

const struct ciot_renderer *ciot_render_find(enum ciot_export_format format)
{
	for (size_t i = 0; i < NRENDERERS; i++)
		if (renderers[i]->format == format)
			return renderers[i];
	return NULL;
}

const char *ciot_render_text(const struct ciot_cell *cell, enum ciot_column_kind kind, char *buf, size_t len)
{
	if (cell->null)
		return NULL;
	switch (kind) {
	case CIOT_COLUMN_INT:
		snprintf(buf, len, "%lld", (long long)cell->v.integer);
		return buf;
	case CIOT_COLUMN_TIME_US: {
		lldiv_t q = lldiv(cell->v.integer, 1000000);
		if (q.rem < 0) {
			q.quot -= 1;
			q.rem += 1000000;
		}
		snprintf(buf, len, "%lld.%06lld", q.quot, q.rem);
		return buf;
	}
	case CIOT_COLUMN_REAL3:
		snprintf(buf, len, "%.3f", cell->v.real);
		return buf;
	case CIOT_COLUMN_SHARE:
		/* six decimals keep a 0.01 % share readable to two significant digits */
		snprintf(buf, len, "%.6f", cell->v.real);
		return buf;
	case CIOT_COLUMN_TEXT:
	default:
		return cell->v.text;
	}
}
