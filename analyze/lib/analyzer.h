/* analyzer.h: what an analyzer is, to the pipeline and the store. The recipe for writing one is
 * in docs/internals.md.
 *
 * An analyzer is one `const struct ciot_analyzer` in its own folder (analyzers/<name>/), listed
 * once in registry.c. It owns:
 *   - its options (each with its --help text) and its settings, checked before a run starts;
 *   - a run object (what every worker shares: compiled patterns, a trust store) and one worker
 *     object per thread (scratch space);
 *   - per-flow state, a slot of flow_state_size bytes in every flow, zeroed when the flow starts;
 *     and per-flow results, a slot of flow_result_size bytes in every finished flow's record,
 *     filled when the flow ends and kept until the capture is stored;
 *   - per-capture results (records that belong to no flow, such as DNS answers, or that flows
 *     share, such as certificates), made at capture_begin and handed to the capture's result;
 *   - its tables (made from column tables, table.h), the columns it adds to the two core tables
 *     that one row per capture step and per flow serve (captures, flows), and how it fills them;
 *   - its meta entries (what method and settings produced its numbers).
 * The pipeline, the flow table and the store core know analyzers only through this struct.
 *
 * Callbacks are optional (NULL: nothing to do). Every callback of a capture runs on the worker's
 * thread; store callbacks run under the store's lock. An analyzer whose run_new leaves *run NULL is
 * off for the run (--no-pii): it gets no packets, stores no rows of its own, and its columns in the
 * core tables keep their defaults.
 */
#ifndef CIOT_ANALYZER_H
#define CIOT_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ciot/ciot.h"
#include "ciot/decode.h"
#include "dpi.h"
#include "ciot/options.h"
#include "stream.h"
#include "table.h"

struct ciot_dataset;
struct ciot_capture;
struct ciot_capture_result;
struct ciot_segment_result;
struct ciot_flow_record;
struct ciot_strpool;
struct ciot_payload_spans;

/* What analyzers produce for those after them in the registry, so that the pipeline asks for it
 * only when an analyzer that is on needs it. */
enum {
	CIOT_NEEDS_SPANS = 1u << 0, /* the payload's protocol spans (encryption.h), for the PII search */
};

/* One packet of a flow, as analyzers see it, in registry order. */
struct ciot_packet_context {
	const struct ciot_packet *pkt;
	int dir;                          /* 0: sent by the flow's initiator */
	enum ciot_dpi_family family;      /* nDPI's view of the flow so far */
	struct ciot_tcp_position tcp;     /* TCP: where its payload falls in its direction (stream.h) */
	size_t segment;                   /* the capture step it belongs to (ciot_capture_result) */
	uint64_t frame;                   /* the frame's index in its capture file */
	struct ciot_capture_result *capture;
	unsigned needs;                   /* CIOT_NEEDS_* asked for by the analyzers that are on */
	struct ciot_payload_spans *spans; /* set by the analyzer that provides them, when asked */
};

/* A flow that ended, for flow_end. */
struct ciot_flow_end_context {
	struct ciot_capture_result *capture;
	const struct ciot_flow_record *record; /* the core part, already filled */
	enum ciot_dpi_family family;           /* nDPI's, at the flow's end */
};

/* A row being written to one of the two core tables: the analyzer binds its own column group. */
struct ciot_core_row {
	struct ciot_row row;                      /* bind with the analyzer's column enum */
	const struct ciot_capture_result *capture;
	size_t segment;                           /* captures: the step; flows: the flow's step */
	const struct ciot_flow_record *record;    /* flows only: the flow (its device_end set) */
	const void *result;                       /* flows only: this analyzer's result slot */
	int64_t flow_id;                          /* flows only, in after_flow: the row's id */
	int64_t capture_id;                       /* the capture step's row id, once written */
	size_t analyzer;                          /* the analyzer's index in the registry */
};

typedef enum ciot_rc (*ciot_meta_fn)(void *ctx, const char *key, const char *value, char *errbuf);

struct ciot_analyzer {
	const char *name;
	const char *consumes; /* what it reads of analyzers before it in the registry (documentation) */
	unsigned needs;       /* CIOT_NEEDS_* */

	/* settings: config_size bytes, set to defaults, changed by its options, checked */
	size_t config_size;
	void (*config_default)(void *config);
	const char *options_title;         /* their heading in --help */
	const struct ciot_option *options; /* ends with an entry whose name is NULL */
	enum ciot_rc (*config_check)(const void *config, char *errbuf);

	/* a run, shared read-only by the workers */
	enum ciot_rc (*run_new)(void **run, const void *config, const struct ciot_dataset *ds, char *errbuf);
	void (*run_free)(void *run);
	enum ciot_rc (*meta)(const void *run, const void *config, ciot_meta_fn add, void *ctx, char *errbuf);

	/* one worker a thread */
	enum ciot_rc (*worker_new)(void **worker, void *run, char *errbuf);
	void (*worker_free)(void *worker);

	/* a capture file */
	size_t flow_state_size, flow_result_size;
	/* returns the capture's result object of this analyzer (NULL: none), owned by the capture */
	enum ciot_rc (*capture_begin)(void *worker, struct ciot_capture_result *r, void **capture_result,
				      char *errbuf);
	void (*packet)(void *worker, void *flow_state, void *capture_result, struct ciot_packet_context *pc);
	/* the flow ended: state -> result; must release whatever the state holds */
	void (*flow_end)(void *worker, void *flow_state, void *flow_result, void *capture_result,
			 const struct ciot_flow_end_context *fe);
	/* the device is known (every record's device_end is set) */
	void (*capture_end)(void *worker, void *capture_result, struct ciot_capture_result *r, size_t self);
	/* a sharded capture (shard.c): each worker read its share of the flows into a capture result
	 * of its own (shards[i]); every flow record is now in r, in the order one worker would have
	 * ended them, each with the shard it came from (ciot_flow_record.shard). Moves what the
	 * shards' capture results hold into r->results[self] (made by capture_begin), in the order one
	 * worker would have made it (by pc->frame for what packets add), so that the result is the
	 * same as one worker's. An analyzer whose capture result is NULL or holds only what no order
	 * changes needs none. */
	enum ciot_rc (*capture_merge)(struct ciot_capture_result *r, struct ciot_capture_result *const *shards,
				      size_t nshards, size_t self, char *errbuf);
	void (*flow_result_free)(void *flow_result);
	void (*capture_result_free)(void *capture_result);

	/* storing: its own tables, created in order, then schema_after (indexes, views) */
	const struct ciot_table *const *tables;
	const char *schema_after;
	struct ciot_columns capture_columns, flow_columns; /* added to the core tables */
	enum ciot_rc (*store_open)(void **store, sqlite3 *db, char *errbuf); /* its INSERTs */
	void (*store_close)(void *store);
	void (*bind_capture)(const struct ciot_core_row *row);
	void (*bind_flow)(const struct ciot_core_row *row);
	/* rows of its own tables, after the core row they hang off was written */
	enum ciot_rc (*after_capture)(void *store, void *capture_result, const struct ciot_core_row *row,
				      char *errbuf);
	enum ciot_rc (*after_flow)(void *store, void *capture_result, const struct ciot_core_row *row, char *errbuf);
	/* the end of a run, after every capture (deleting rows nothing refers to any more) */
	enum ciot_rc (*run_end)(sqlite3 *db, char *errbuf);
};

#define CIOT_MAX_ANALYZERS 8

#endif
