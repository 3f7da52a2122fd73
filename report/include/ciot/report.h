/* ciot/report.h: the report library's public interface: the tables ciot-report exports from an
 * analysis database, in CSV, JSON or Markdown. The library reads nothing of libciot but the
 * database it wrote.
 *
 * Each export is a row in one table: a name, what it shows, the SQL that computes it and how each
 * column is typed. Adding an export means adding a row there (report/export.c) and a test.
 */
#ifndef CIOT_REPORT_H
#define CIOT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "ciot/ciot.h"

struct sqlite3;

enum ciot_export_format { CIOT_EXPORT_CSV, CIOT_EXPORT_JSON, CIOT_EXPORT_MD };

bool ciot_export_format_parse(const char *name, enum ciot_export_format *out);

/* The exports' names and one-line descriptions, for --help; returns NULL past the last. */
const char *ciot_export_name(size_t i, const char **description);

/* Settings of the country exports. */
struct ciot_export_params {
	/* The dataset's home country, outside of which traffic is "overseas": NULL takes the manifest's
	 * home_country recorded in the database, else CN (the lifecycle paper's). */
	const char *home_country;
	/* Count Hong Kong, Macao and Taiwan as CN, as the lifecycle paper's scripts did. */
	bool fold_greater_china;
};

/* Writes the export `table` of the database to `out`; params may be NULL for the defaults. */
enum ciot_rc ciot_export(struct sqlite3 *db, const char *table, enum ciot_export_format format,
			 const struct ciot_export_params *params, FILE *out, char *errbuf);

#endif
