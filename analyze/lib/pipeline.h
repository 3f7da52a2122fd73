/* pipeline.h: the pipeline. For each capture file: read frames, decode, assign each to its
 * lifecycle step, track flows, classify them with nDPI (only until a flow is classified), hand
 * every packet to the analyzers in registry order (analyzer.h), and when the file ends decide
 * which end is the device, let the analyzers finish, and hand the file's whole result to the store
 * in one transaction.
 *
 * Files are independent, so -j N runs N workers, each with its own nDPI module, flow table,
 * fragment table and analyzer workers; only the store is shared, behind a mutex. With fewer
 * files than N, each file is read by N workers at once (shard.c): one thread reads the file,
 * tracks flows and runs nDPI, and N workers each analyze a share of the flows; the result is the
 * same as one worker's.
 *
 * Memory per flow is fixed when an analysis is prepared: the core's state, then each analyzer's
 * slot (flow_state_size), in one block of the flow table's slab; a finished flow's record is the
 * core part, then each analyzer's result slot (flow_result_size).
 *
 * What a tool calls (preparing a run, ciot_analyze, the progress counters) is public:
 * ciot/analyze.h.
 */
#ifndef CIOT_PIPELINE_H
#define CIOT_PIPELINE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ciot/analyze.h"
#include "analyzer.h"
#include "capture-file.h"
#include "dataset.h"
#include "ciot/decode.h"
#include "device.h"
#include "flow.h"
#include "strpool.h"

/* A finished flow, as the initiator saw it; oriented to the device when stored. The analyzers'
 * result slots follow it (ciot_flow_result). */
struct ciot_flow_record {
	uint8_t addr[2][16];  /* [0] initiator, [1] responder */
	uint16_t port[2];
	uint8_t proto, ip_version;
	uint8_t end_reason;
	bool dpi_guessed;
	int8_t device_end;           /* 0 or 1: the device's end; -1: not the device's flow (set at the
					capture's end, when the device is known) */
	uint8_t server_name_source;  /* enum ciot_server_name_source */
	uint8_t family;              /* enum ciot_dpi_family, at the flow's end */
	uint8_t shard;               /* the worker that followed it, in a sharded capture (shard.c) */
	uint32_t server_name;        /* in the capture's names pool; 0 when none */
	uint32_t app_name, category_name; /* nDPI's names, in the capture's protocol names pool */
	int64_t first_ts, last_ts;
	struct ciot_flow_counters dir[2];
};

/* What one lifecycle step of a capture file produced: the whole file, or one timetable window. */
struct ciot_segment_result {
	enum ciot_phase phase;
	const char *subphase;       /* borrowed from the dataset */
	bool windowed;
	int64_t window_start, window_end;
	uint64_t frames, frame_bytes;
	int64_t first_ts, last_ts;  /* of the segment's frames; 0 when it has none */
	uint64_t decode_counts[CIOT_DECODE_NRESULTS];
	unsigned char *flows;       /* nflows records of the analysis's record_size bytes */
	size_t nflows, flows_cap;
	/* the device's share, counted when the device is known */
	uint64_t device_flows, device_packets, device_bytes, other_flows, other_packets;
};

struct ciot_analysis;

struct ciot_capture_result {
	const struct ciot_analysis *analysis;
	const struct ciot_capture *capture;
	const struct ciot_device *device;
	struct ciot_segment_result *segments;
	size_t nsegments;
	uint64_t frames_outside_windows;
	bool truncated;
	enum ciot_capture_format format;
	uint64_t file_size;
	struct ciot_device_tracker tracker;
	struct ciot_strpool names;       /* host names: the flows' and those analyzers record */
	struct ciot_strpool proto_names; /* nDPI's protocol and category names */
	void *results[CIOT_MAX_ANALYZERS]; /* each analyzer's per-capture result, or NULL */
	bool out_of_memory;
};

/* The i-th flow record of a segment, and analyzer k's result slot of a record. */
struct ciot_flow_record *ciot_segment_flow(const struct ciot_capture_result *r, const struct ciot_segment_result *s,
					   size_t i);
void *ciot_flow_result(const struct ciot_capture_result *r, const struct ciot_flow_record *f, size_t analyzer);

/* The analyzer's run object, NULL when it is off. */
void *ciot_analysis_run(const struct ciot_analysis *a, size_t analyzer);

/* One capture file, without storing: for tests. The caller frees the result with
 * ciot_capture_result_free. ciot_analyze_capture_sharded reads one capture file with
 * workers[0] (the reading thread: its nDPI module) and the others (each a share of the flows, on
 * a thread of its own; shard.c); its result is the same as ciot_analyze_capture's. */
struct ciot_worker;
enum ciot_rc ciot_worker_new(struct ciot_worker **out, const struct ciot_analysis *a, char *errbuf);
void ciot_worker_free(struct ciot_worker *w);
enum ciot_rc ciot_analyze_capture(struct ciot_worker *w, const struct ciot_dataset *ds, const struct ciot_capture *c,
				  struct ciot_capture_result *r, struct ciot_progress *progress,
				  volatile sig_atomic_t *stop, char *errbuf);
enum ciot_rc ciot_analyze_capture_sharded(struct ciot_worker *const *workers, size_t nworkers,
					  const struct ciot_dataset *ds, const struct ciot_capture *c,
					  struct ciot_capture_result *r, struct ciot_progress *progress,
					  volatile sig_atomic_t *stop, char *errbuf);
void ciot_capture_result_free(struct ciot_capture_result *r);

#endif
