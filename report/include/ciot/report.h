/* ciot/report.h: the report library's public interface: the tables ciot-report exports from an
 * analysis database, in CSV, JSON or Markdown, and the documentation of their columns. Of libciot
 * the library uses only the result codes of ciot/ciot.h: what it reads is the database ciot-analyze
 * wrote (docs/database.md).
 *
 * Three parts, one file each, so that new output formats and figures never touch the SQL:
 *   - the queries (queries.c): every export is one row of one registry, a struct ciot_query: its
 *     name, what it shows, its SQL, the parameters the SQL binds and its columns, each with a kind
 *     (how it is printed) and a one-line doc (what it means, its unit or convention);
 *   - the typed result set (result.c): runs a query with its parameters and hands its rows, as
 *     typed cells, to a consumer one at a time (nothing is held: a million-row export streams);
 *   - the renderers (render-csv.c, render-json.c, render-md.c): each sees the columns and typed
 *     cells, never SQL.
 * export.c joins them: ciot_export() is a query's result set through a renderer. describe.c writes
 * the registry's column docs through the same renderers (ciot_export_describe, `ciot-report
 * --columns`); docs/exports.md is its output.
 *
 * Adding an export means adding a row to the registry, with a doc for each column and the captures
 * it reads (enum ciot_query_captures), a test
 * (tests/unit/test-exports.c, which also checks every doc and column count), and running
 * `ciot-report --columns > docs/exports.md`.
 */
#ifndef CIOT_REPORT_H
#define CIOT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ciot/ciot.h"

struct sqlite3;

/* ---- the queries ---- */

/* How a column's values are printed, the same way in every format. */
enum ciot_column_kind {
	CIOT_COLUMN_TEXT,    /* text as stored (escaped as the format needs) */
	CIOT_COLUMN_INT,     /* an integer, exactly */
	CIOT_COLUMN_TIME_US, /* integer microseconds since 1970 UTC, printed as seconds: exact, six decimals */
	CIOT_COLUMN_REAL3,   /* a real number, three decimals (JSON: full precision) */
	CIOT_COLUMN_SHARE,   /* a fraction from 0 to 1, six decimals (JSON: full precision) */
};

struct ciot_column {
	const char *name;
	enum ciot_column_kind kind;
	const char *doc; /* one line: what it holds, its unit or convention */
};

/* Parameters a query's SQL may bind, as flags of ciot_query.params. */
enum ciot_query_param {
	CIOT_QUERY_HOME = 1 << 0, /* :home, the home country (ciot_export_params.home_country) */
	CIOT_QUERY_FOLD = 1 << 1, /* :fold, 1 to count HK, MO and TW as CN */
};

/* Which captures an export reads. Certificate-interception test captures (captures.interception
 * set: a mitmproxy between device and servers) are not the device's lifecycle: their TLS versions,
 * certificates, alerts and destinations are the interceptor's doing. Analyzed into the same database,
 * they would change every lifecycle figure without a word, so every export says how it treats them. */
enum ciot_query_captures {
	CIOT_CAPTURES_NONE,         /* reads no capture (ciot-shape's results) */
	CIOT_CAPTURES_ALL,          /* every capture alike: an inventory or a diagnostic (captures, coverage) */
	CIOT_CAPTURES_LIFECYCLE,    /* lifecycle captures only: interception captures are left out */
	CIOT_CAPTURES_TAGGED,       /* every capture, each row with its interception tag (NULL: lifecycle) */
	CIOT_CAPTURES_SPLIT,        /* every capture, interception captures counted in columns of their own */
	CIOT_CAPTURES_INTERCEPTION, /* certificate-interception captures only (validation) */
	CIOT_CAPTURES_BY_MEASURE,   /* rows of figures: the validation figures read interception captures
				     * only, every other figure lifecycle captures only (reference) */
};

#define CIOT_QUERY_MAX_COLUMNS 32

struct ciot_query {
	const char *name;
	const char *description; /* one sentence, for --help */
	const char *sql;
	unsigned params; /* the enum ciot_query_param its SQL binds */
	/* the result's columns in order, ending at the first without a name */
	struct ciot_column columns[CIOT_QUERY_MAX_COLUMNS];
	enum ciot_query_captures captures; /* which captures it reads (last: a row may leave it out, NONE) */
};

/* The registry, in the order --help lists it: the i-th query, NULL past the last. */
const struct ciot_query *ciot_query_get(size_t i);
/* The query named `name`, NULL when there is none. */
const struct ciot_query *ciot_query_find(const char *name);
size_t ciot_query_count_columns(const struct ciot_query *q);
/* A parameter's name in the SQL (":home") and what sets it, for the documentation; NULL for an
 * unknown flag. */
const char *ciot_query_param_name(enum ciot_query_param param, const char **doc);
/* How an export treats certificate-interception captures, one sentence for the documentation and
 * --help. */
const char *ciot_query_captures_doc(enum ciot_query_captures captures);
/* A kind's name as the documentation gives it: text, int, time_us, real3, share. */
const char *ciot_query_kind_name(enum ciot_column_kind kind);

/* ---- the exports ---- */

/* HTML is a <table> fragment (the HTML report's form of a table), not a document. */
enum ciot_export_format { CIOT_EXPORT_CSV, CIOT_EXPORT_JSON, CIOT_EXPORT_MD, CIOT_EXPORT_HTML };

/* "csv", "json", "md" (or "markdown"), "html"; false for anything else. */
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

/* Writes one self-contained HTML page of the database (no script, nothing fetched: the figures
 * inline as SVG): the dataset, the coverage warnings, the settings recorded in meta, the lifecycle
 * paper's tables in its own shape, every figure and every export (html-report.c). */
enum ciot_rc ciot_report_html(struct sqlite3 *db, const struct ciot_export_params *params, FILE *out, char *errbuf);

/* Writes the columns of the export `table` (NULL: of every export) with their kinds and docs: in
 * Markdown a document, one section per export (all of them: docs/exports.md); in CSV and JSON one
 * table of export, column, kind and doc. */
enum ciot_rc ciot_export_describe(const char *table, enum ciot_export_format format, FILE *out, char *errbuf);

/* ---- comparisons (compare.c, docs/compare.md) ---- */

/* Two analysis databases opened side by side, read-only, to compare their exports: the same
 * export of each, rows joined on the export's key columns, with both values and their difference. */
struct ciot_compare;

/* Opens A and B (read-only); refuses two databases of different schema versions, or of a version
 * this ciot does not read. The same file twice is allowed (every difference is then 0). */
enum ciot_rc ciot_compare_open(struct ciot_compare **out, const char *a_path, const char *b_path, char *errbuf);
void ciot_compare_close(struct ciot_compare *c);
/* Whether A and B are one and the same file. */
bool ciot_compare_same_file(const struct ciot_compare *c);
/* The settings and data versions (from each database's meta, and the home country the exports
 * use) in which A and B differ, comma-separated into buf; returns how many. */
size_t ciot_compare_differences(struct ciot_compare *c, const struct ciot_export_params *params, char *buf,
				size_t len);
/* Writes the comparison of the exports `tables` (the name "meta": the two databases' settings side
 * by side). CSV holds one table; Markdown and JSON one document of several (tables NULL: meta and
 * the default set, ciot_compare_default). */
enum ciot_rc ciot_compare_export(struct ciot_compare *c, const char *const *tables, size_t ntables,
				 enum ciot_export_format format, const struct ciot_export_params *params, FILE *out,
				 char *errbuf);
/* The exports compared when none is named, the i-th, NULL past the last. */
const char *ciot_compare_default(size_t i);

#endif
