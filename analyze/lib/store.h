/* store.h: the SQLite database one analysis writes. docs/database.md documents the schema.
 *
 * Each capture file's results go in one transaction that first deletes what an earlier analysis of
 * the same file for the same device wrote, so re-analyzing replaces rows instead of duplicating
 * them, and an interrupted run (a signal, a crash) leaves every file either fully there or absent.
 */
#ifndef CIOT_STORE_H
#define CIOT_STORE_H

#include "ciot/ciot.h"

#define CIOT_SCHEMA_VERSION 5

struct ciot_store;
struct ciot_capture_result;
struct ciot_dpi;
struct ciot_dataset;
struct sqlite3;

/* Opens or creates the database; refuses one written by another schema version. */
enum ciot_rc ciot_store_open(struct ciot_store **out, const char *path, char *errbuf);
void ciot_store_close(struct ciot_store *s);

/* Records what produced the database (versions, input, method settings) in its meta table. */
struct ciot_analysis_options;
enum ciot_rc ciot_store_begin_run(struct ciot_store *s, const struct ciot_dataset *ds,
				  const struct ciot_analysis_options *o, char *errbuf);

/* Stores one capture file's results; `dpi` names nDPI's protocol numbers. Marks the certificates it
 * wrote (ciot_certificate.stored). */
enum ciot_rc ciot_store_capture(struct ciot_store *s, struct ciot_capture_result *r, struct ciot_dpi *dpi,
				char *errbuf);

/* Certificates are shared by connections across captures: those no stored connection presents
 * any more (their captures were re-analyzed or failed) are deleted at the end of a run. */
enum ciot_rc ciot_store_prune_certificates(struct ciot_store *s, char *errbuf);

/* The database handle, for the stages that work on stored results (destinations.h). */
struct sqlite3 *ciot_store_db(struct ciot_store *s);

/* Opens an existing database read-only, for reports; checks its schema version. */
enum ciot_rc ciot_store_open_readonly(struct sqlite3 **out, const char *path, char *errbuf);

#endif
