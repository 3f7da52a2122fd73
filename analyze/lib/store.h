/* store.h: the SQLite database one analysis writes. docs/database.md documents the schema.
 *
 * Each capture file's results go in one transaction that first deletes what an earlier analysis of
 * the same file for the same device wrote, so re-analyzing replaces rows instead of duplicating
 * them, and an interrupted run (a signal, a crash) leaves every file either fully there or absent.
 *
 * The store core owns the core tables (meta, devices, captures, decode_events, flows) and the
 * transaction; every analyzer's tables, and its columns in captures and flows, are created and
 * filled through the registry (analyzer.h), whether the analyzer is on in this run or not, so that
 * every database has the same schema.
 */
#ifndef CIOT_STORE_H
#define CIOT_STORE_H

#include "ciot/ciot.h"

#define CIOT_SCHEMA_VERSION 5

struct ciot_store;
struct ciot_capture_result;
struct ciot_analysis;
struct ciot_dataset;
struct sqlite3;

/* Opens or creates the database; refuses one written by another schema version. */
enum ciot_rc ciot_store_open(struct ciot_store **out, const char *path, char *errbuf);
void ciot_store_close(struct ciot_store *s);

/* Records what produced the database (versions, input, each analyzer's method and settings) in its
 * meta table. */
enum ciot_rc ciot_store_begin_run(struct ciot_store *s, const struct ciot_dataset *ds, const struct ciot_analysis *a,
				  char *errbuf);

/* Stores one capture file's results, every name already resolved. */
enum ciot_rc ciot_store_capture(struct ciot_store *s, struct ciot_capture_result *r, char *errbuf);

/* The end of a run: each analyzer tidies what it shares across captures (certificates no stored
 * connection presents any more, after re-analyzed or failed captures). */
enum ciot_rc ciot_store_end_run(struct ciot_store *s, char *errbuf);

/* The database handle, for the stages that work on stored results (destinations.h). */
struct sqlite3 *ciot_store_db(struct ciot_store *s);

/* Opens an existing database read-only, for reports; checks its schema version. */
enum ciot_rc ciot_store_open_readonly(struct sqlite3 **out, const char *path, char *errbuf);

#endif
