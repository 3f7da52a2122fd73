/* timeline.c: reads step timelines in ciot's own format, and hands the public dataset's
 * timetables to the reader ciot-analyze uses (dataset.c), so both cut a capture identically. */
#include "timeline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 512

/* The next line of text, without leading blanks, cut to MAX_LINE - 1 bytes; false at the end. *len
 * is the line's whole length, so that a caller can refuse a longer one. */
static bool next_line(const char **text, char buf[MAX_LINE], size_t *len, const char **body)
{
	if (!**text)
		return false;
	const char *line = *text, *eol = strchr(line, '\n');
	*len = eol ? (size_t)(eol - line) : strlen(line);
	snprintf(buf, MAX_LINE, "%.*s", (int)(*len < MAX_LINE ? *len : MAX_LINE - 1), line);
	*text = eol ? eol + 1 : line + *len;
	const char *p = buf;
	while (isspace((unsigned char)*p))
		p++;
	*body = p;
	return true;
}

/* The first line that is not blank or a comment: is its third field a lifecycle-format time? */
static bool lifecycle_format(const char *text)
{
	char buf[MAX_LINE], a[MAX_LINE], b[MAX_LINE];
	size_t len;
	const char *p;
	while (next_line(&text, buf, &len, &p)) {
		if (!*p || *p == '#')
			continue;
		/* "step start end ...": start is YYYY-MM-DD_HH:MM:SS; ciot's "step phase start end" */
		return sscanf(p, "%511s %511s", a, b) == 2 && strlen(b) == 19 && b[10] == '_';
	}
	return false;
}

static enum ciot_rc parse_ciot(const char *text, struct ciot_window **out, size_t *n, char *errbuf)
{
	struct ciot_window *w = NULL;
	size_t count = 0;
	enum ciot_rc rc = CIOT_OK;
	int lineno = 0;
	char buf[MAX_LINE], step[MAX_LINE], phase[MAX_LINE], start[MAX_LINE], end[MAX_LINE], extra[2];
	size_t len;
	const char *p;
	while (next_line(&text, buf, &len, &p)) {
		lineno++;
		if (len >= MAX_LINE) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: longer than %d bytes", lineno, MAX_LINE - 1);
			goto fail;
		}
		if (!*p || *p == '#')
			continue;
		if (sscanf(p, "%511s %511s %511s %511s %1s", step, phase, start, end, extra) != 4) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: expected \"STEP PHASE START END\"", lineno);
			goto fail;
		}
		struct ciot_window win = { 0 };
		if (!ciot_phase_parse(phase, &win.phase)) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: phase \"%.32s\" is not setup, interaction, idle or deletion",
				       lineno, phase);
			goto fail;
		}
		if (!ciot_time_parse_iso(start, &win.start_us) || !ciot_time_parse_iso(end, &win.end_us)) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT,
				       "line %d: times must be ISO 8601 with a zone, e.g. 2024-04-16T07:28:09.250000Z", lineno);
			goto fail;
		}
		if (win.end_us <= win.start_us) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: the step ends before it starts", lineno);
			goto fail;
		}
		if ((rc = ciot_windows_append(&w, &count, &win, step, errbuf)))
			goto fail;
	}
	if (count == 0) {
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "no steps in the timeline");
		goto fail;
	}
	ciot_windows_sort(w, count);
	for (size_t i = 0; i + 1 < count; i++)
		if (w[i].end_us > w[i + 1].start_us) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "steps \"%s\" and \"%s\" overlap", w[i].subphase,
				       w[i + 1].subphase);
			goto fail;
		}
	*out = w;
	*n = count;
	return CIOT_OK;
fail:
	ciot_windows_free(w, count);
	return rc;
}

enum ciot_rc ciot_timeline_parse(const char *text, int tz_offset_s, struct ciot_window **out, size_t *n,
				 enum ciot_timeline_format *format, char *errbuf)
{
	*out = NULL;
	*n = 0;
	if (lifecycle_format(text)) {
		*format = CIOT_TIMELINE_LIFECYCLE;
		return ciot_timetable_parse(text, tz_offset_s, out, n, errbuf);
	}
	*format = CIOT_TIMELINE_CIOT;
	return parse_ciot(text, out, n, errbuf);
}
