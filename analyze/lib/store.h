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
 *
 * Opening, a run's beginning and end, and the read-only open of reports are public (ciot/store.h).
 */
#ifndef CIOT_STORE_INTERNAL_H
#define CIOT_STORE_INTERNAL_H

#include "ciot/store.h"

#define CIOT_SCHEMA_VERSION 9

struct ciot_capture_result;

/* Stores one capture file's results, every name already resolved. */
enum ciot_rc ciot_store_capture(struct ciot_store *s, struct ciot_capture_result *r, char *errbuf);

#endif
