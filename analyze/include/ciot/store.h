/* ciot/store.h: the SQLite database an analysis writes and reports read (docs/database.md).
 *
 * ciot-analyze opens it for a run: a run records what produced it, the pipeline stores each capture
 * file in a transaction of its own (ciot/analyze.h), the stages work on the stored rows through the
 * database handle, and the run's end tidies what captures share. ciot-report opens it read-only.
 * Both refuse a database written by another schema version.
 */
#ifndef CIOT_STORE_H
#define CIOT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "ciot/ciot.h"

struct ciot_store;
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

/* Before ciot_store_begin_run records the dataset: whether the database already holds captures of
 * a dataset of another name than ds's (a manifest's name); recorded gets that name. A run adds
 * its captures to what is there, so a wrong -o merges two datasets without this warning. */
bool ciot_store_other_dataset(struct ciot_store *s, const struct ciot_dataset *ds, char *recorded, size_t len);

/* The end of a run: each analyzer tidies what it shares across captures (certificates no stored
 * connection presents any more, after re-analyzed or failed captures). */
enum ciot_rc ciot_store_end_run(struct ciot_store *s, char *errbuf);

/* The database handle, for the stages that work on stored results (ciot/destinations.h). */
struct sqlite3 *ciot_store_db(struct ciot_store *s);

/* Opens an existing database read-only, for reports; checks its schema version. */
enum ciot_rc ciot_store_open_readonly(struct sqlite3 **out, const char *path, char *errbuf);

/* A run over one part of a dataset (ciot_dataset_shard, ciot/dataset.h) records which part in the
 * database's meta (shard, shard_captures), so that a merge numbers its rows as one run over the
 * whole would; nothing for a run over a whole dataset (shard->n 0). After ciot_store_begin_run. */
struct ciot_shard;
enum ciot_rc ciot_store_record_shard(struct ciot_store *s, const struct ciot_dataset *ds,
				     const struct ciot_shard *shard, char *errbuf);

/* Merging the databases of parts of one analysis into the database one run over the whole would
 * have written (merge.c says what is renumbered, checked and left to the stages). `path` is a new,
 * empty file; every part is added (checked: complete, this schema, the same meta), then copied;
 * the result is incomplete until the destinations stage is built over ciot_merge_db, which marks
 * it complete. */
struct ciot_merge;
enum ciot_rc ciot_merge_new(struct ciot_merge **out, const char *path, char *errbuf);
enum ciot_rc ciot_merge_add(struct ciot_merge *m, const char *part, char *errbuf);
enum ciot_rc ciot_merge_copy(struct ciot_merge *m, char *errbuf);
/* The parts' common meta value of `key` (false when they have none). */
bool ciot_merge_meta(struct ciot_merge *m, const char *key, char *value, size_t len);
struct sqlite3 *ciot_merge_db(struct ciot_merge *m);
void ciot_merge_free(struct ciot_merge *m);

#endif
