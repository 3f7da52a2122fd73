/* result.h: a query's typed result set (report library, internal).
 *
 * ciot_result_run prepares a query of the registry (ciot/report.h), binds the parameters it
 * declares, checks that the SQL returns the columns the registry documents, and hands the result to
 * a consumer: the columns once, then each row as an array of typed cells, one row at a time, then
 * the end. Nothing is kept between rows, so an export of a million flows streams in constant memory.
 * Cells are typed by their column's kind, never by SQLite's storage class: a consumer (a renderer,
 * render.h) sees no SQL and no sqlite3 type.
 */
#ifndef CIOT_REPORT_RESULT_H
#define CIOT_REPORT_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/report.h"

/* One value of a row, read as its column's kind says. */
struct ciot_cell {
	bool null; /* SQL NULL: no value */
	union {
		const char *text; /* CIOT_COLUMN_TEXT: NUL-terminated, valid until the next row */
		int64_t integer;  /* CIOT_COLUMN_INT, and CIOT_COLUMN_TIME_US in microseconds */
		double real;      /* CIOT_COLUMN_REAL3, CIOT_COLUMN_SHARE */
	} v;
};

/* Receives a result set. Each function returns CIOT_OK to go on; anything else stops the run and
 * is returned (with errbuf filled). */
struct ciot_result_consumer {
	enum ciot_rc (*begin)(void *ctx, const struct ciot_column *columns, size_t ncolumns, char *errbuf);
	enum ciot_rc (*row)(void *ctx, const struct ciot_cell *cells, char *errbuf);
	enum ciot_rc (*end)(void *ctx, char *errbuf);
};

/* Runs query q on db with params (NULL for the defaults) into the consumer. begin is called only
 * once the query is prepared and its columns checked; end only after the last row was read. */
enum ciot_rc ciot_result_run(struct sqlite3 *db, const struct ciot_query *q, const struct ciot_export_params *params,
			     const struct ciot_result_consumer *consumer, void *ctx, char *errbuf);

#endif
