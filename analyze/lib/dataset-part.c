/* dataset-part.c: one part of a dataset, analyzed by a run of its own (ciot-analyze --shard K/N), so that a
 * dataset too large for one machine becomes N jobs and one merge (ciot-report merge, merge.c).
 *
 * Every capture file is an independent unit of the pipeline: nothing of one capture's analysis
 * depends on another's (flows, DNS answers, TLS, PII are per capture); only the destinations stage
 * looks across captures, and a merge reruns it over the merged database. So a part is a selection
 * of captures: part K of N keeps the dataset's captures whose position (0-based, in the order the
 * inputs were loaded) is K-1 modulo N, deterministic whatever the machine or the time. Devices are
 * all kept: a device is stored with its first capture, so a part's database holds only its own.
 *
 * A part's database records what it is in meta: `shard` ("K/N of M captures") and `shard_captures`,
 * a JSON array of [position, file, device] of its captures, file as the store names it (the real
 * path). The merge numbers devices, captures and flows as one run over the whole dataset would
 * (one file after another, in dataset order) from these positions, whichever -j each part used.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "dataset.h"
#include "db.h"
#include "store.h"

/* The captures the part leaves out are freed by the dataset's own code (a dataset holding only
 * them), so that a field added to a capture is freed here too. The capture index (duplicates by
 * file) holds positions that no longer hold: it is emptied, and no input may be loaded after. */
enum ciot_rc ciot_dataset_shard(struct ciot_dataset *ds, unsigned k, unsigned n, struct ciot_shard *shard,
				char *errbuf)
{
	if (n == 0 || k == 0 || k > n)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--shard K/N wants 1 <= K <= N");
	size_t keep = 0, drop = 0;
	struct ciot_capture *kept = calloc(ds->ncaptures ? ds->ncaptures : 1, sizeof *kept);
	struct ciot_capture *dropped = calloc(ds->ncaptures ? ds->ncaptures : 1, sizeof *dropped);
	if (!kept || !dropped) {
		free(kept);
		free(dropped);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < ds->ncaptures; i++) {
		if (i % n == k - 1)
			kept[keep++] = ds->captures[i];
		else
			dropped[drop++] = ds->captures[i];
	}
	struct ciot_dataset rest = { .captures = dropped, .ncaptures = drop };
	ciot_dataset_free(&rest);
	*shard = (struct ciot_shard){ .k = k, .n = n, .total = ds->ncaptures };
	free(ds->captures);
	ds->captures = kept;
	ds->ncaptures = ds->captures_cap = keep;
	free(ds->capture_index.slot);
	memset(&ds->capture_index, 0, sizeof ds->capture_index);
	return CIOT_OK;
}

/* The part's meta entries (none for a whole dataset), in the run's meta. */
enum ciot_rc ciot_store_record_shard(struct ciot_store *s, const struct ciot_dataset *ds,
				     const struct ciot_shard *shard, char *errbuf)
{
	if (!shard->n)
		return CIOT_OK;
	json_t *list = json_array();
	char file[PATH_MAX];
	for (size_t i = 0; list && i < ds->ncaptures; i++) {
		const struct ciot_capture *c = &ds->captures[i];
		/* the store's name of the file (ciot_store_capture) */
		if (!realpath(c->path, file))
			snprintf(file, sizeof file, "%s", c->path);
		size_t position = (shard->k - 1) + i * shard->n;
		if (json_array_append_new(list, json_pack("[Iss]", (json_int_t)position, file, ds->devices[c->device].id)))
			break;
	}
	char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
	json_decref(list);
	if (!text)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	char what[96];
	snprintf(what, sizeof what, "%u/%u of %zu captures", shard->k, shard->n, shard->total);
	sqlite3 *db = ciot_store_db(s);
	sqlite3_stmt *st;
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES ('shard', ?1), ('shard_captures', ?2)", -1, &st,
			       NULL) != SQLITE_OK)
		rc = ciot_db_fail(db, errbuf, "meta");
	else {
		sqlite3_bind_text(st, 1, what, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = ciot_db_fail(db, errbuf, "meta");
	}
	sqlite3_finalize(st);
	free(text);
	return rc;
}
