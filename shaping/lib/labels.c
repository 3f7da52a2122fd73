/* labels.c: when the user was active, from a lifecycle timetable, an events file or a ciot analysis
 * database (ciot/shape-score.h). Every source is untrusted text: each line or row is checked, and an
 * error names the file and the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ciot/dataset.h"
#include "ciot/shape-score.h"
#include "grow.h"

#define LABELS_FILE_MAX (4u << 20)

void ciot_labels_free(struct ciot_labels *l)
{
	free(l->l);
	l->l = NULL;
	l->n = l->cap = 0;
}

static enum ciot_rc add(struct ciot_labels *out, int64_t start_ns, int64_t end_ns, bool active, const char *name,
			char *errbuf)
{
	if (end_ns <= start_ns)
		return CIOT_OK;
	struct ciot_label *grown = ciot_shape_grow(out->l, &out->cap, out->n + 1, sizeof *grown, 16);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	out->l = grown;
	struct ciot_label *l = &out->l[out->n++];
	l->start_ns = start_ns;
	l->end_ns = end_ns;
	l->active = active;
	snprintf(l->name, sizeof l->name, "%s", name);
	return CIOT_OK;
}

enum ciot_rc ciot_labels_timetable(struct ciot_labels *out, const char *path, int tz_offset_s, char *errbuf)
{
	memset(out, 0, sizeof *out);
	enum ciot_rc rc;
	char *text = ciot_read_text_file(path, LABELS_FILE_MAX, errbuf, &rc);
	if (!text)
		return rc;
	struct ciot_window *w = NULL;
	size_t n = 0;
	char detail[CIOT_ERRBUF_SIZE];
	if ((rc = ciot_timetable_parse(text, tz_offset_s, &w, &n, detail)))
		ciot_fail(errbuf, rc, "%s: %s", path, detail);
	for (size_t i = 0; i < n && !rc; i++)
		if (w[i].phase == CIOT_PHASE_INTERACTION || w[i].phase == CIOT_PHASE_IDLE)
			rc = add(out, w[i].start_us * 1000, w[i].end_us * 1000, w[i].phase == CIOT_PHASE_INTERACTION,
				 w[i].subphase, errbuf);
	ciot_windows_free(w, n);
	free(text);
	if (rc)
		ciot_labels_free(out);
	return rc;
}

enum ciot_rc ciot_labels_events(struct ciot_labels *out, const char *path, char *errbuf)
{
	memset(out, 0, sizeof *out);
	enum ciot_rc rc;
	char *text = ciot_read_text_file(path, LABELS_FILE_MAX, errbuf, &rc);
	if (!text)
		return rc;
	rc = CIOT_OK;
	size_t lineno = 0;
	for (char *line = text, *next; line && !rc; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char start[64], end[64], kind[16], name[64], extra[2];
		int k = sscanf(line, "%63s %63s %15s %63s %1s", start, end, kind, name, extra);
		if (k <= 0)
			continue;
		int64_t s_us, e_us;
		bool active = !strcmp(kind, "active");
		if (k != 4 || !ciot_time_parse_iso(start, &s_us) || !ciot_time_parse_iso(end, &e_us) ||
		    (!active && strcmp(kind, "idle")) || e_us <= s_us)
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT,
				       "%s:%zu: expected START END active|idle NAME (ISO 8601 times, END after START)",
				       path, lineno);
		else
			rc = add(out, s_us * 1000, e_us * 1000, active, name, errbuf);
	}
	free(text);
	if (rc)
		ciot_labels_free(out);
	return rc;
}

enum ciot_rc ciot_labels_database(struct ciot_labels *out, const char *db_path, char *errbuf)
{
	memset(out, 0, sizeof *out);
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		enum ciot_rc rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", db_path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return rc;
	}
	static const char sql[] =
		"SELECT phase, coalesce(subphase, phase) || '#' || id, coalesce(window_start_us, first_us),"
		" coalesce(window_end_us, last_us) FROM captures WHERE phase IN ('interaction', 'idle')"
		" AND first_us IS NOT NULL ORDER BY 3";
	sqlite3_stmt *st = NULL;
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: not a ciot analysis database (%s)", db_path, sqlite3_errmsg(db));
	int step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *phase = (const char *)sqlite3_column_text(st, 0), *name = (const char *)sqlite3_column_text(st, 1);
		rc = add(out, sqlite3_column_int64(st, 2) * 1000, sqlite3_column_int64(st, 3) * 1000,
			 phase && !strcmp(phase, "interaction"), name ? name : "?", errbuf);
	}
	if (!rc && step != SQLITE_DONE)
		rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", db_path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc)
		ciot_labels_free(out);
	return rc;
}
