/* pipeline-internal.h: what the pipeline's own files (analysis.c, pipeline.c, run.c) share. */
#ifndef CIOT_PIPELINE_INTERNAL_H
#define CIOT_PIPELINE_INTERNAL_H

#include "config.h"
#include "registry.h"
#include "dpi.h"
#include "pipeline.h"
#include "stream.h"

/* The core's own state in every flow, before the analyzers' slots. */
struct ciot_flow_core {
	struct ciot_dpi_flow dpi;
	struct ciot_tcp_follower tcp[2]; /* by flow direction */
};

/* A sharded capture's worker: the place in the file's order of each of its flows' ends, by step
 * (shard.c merges the workers' records by it). */
struct ciot_end_keys {
	uint64_t *seq;
	size_t n, cap;
};

struct ciot_worker {
	const struct ciot_analysis *analysis;
	struct ciot_dpi *dpi;
	struct ciot_flow_table *flows;
	struct ciot_fragment_table fragments;
	struct ciot_capture_result *result; /* the capture being read (a shard's own, when sharded) */
	size_t segment;                     /* the step being read */
	uint64_t frame;                     /* the frame being read: its index in the file */
	void *analyzer[CIOT_MAX_ANALYZERS]; /* each analyzer's worker object */
	/* a shard of a capture (shard.c): nDPI's verdict on the packet (the reading thread's), the
	 * place of the flow end being done, its flows' places by step */
	bool sharded;
	uint8_t family;
	uint64_t end_seq;
	struct ciot_end_keys *keys;
	size_t nkeys;
};

struct ciot_analysis {
	const struct ciot_config *config;
	void *run[CIOT_MAX_ANALYZERS];
	bool on[CIOT_MAX_ANALYZERS];
	size_t state_offset[CIOT_MAX_ANALYZERS];  /* in the flow's slots */
	size_t result_offset[CIOT_MAX_ANALYZERS]; /* in a flow record */
	size_t slot_bytes, record_size;
	unsigned needs;
};

/* What the sharded reader (shard.c) shares with the one-worker pipeline (pipeline.c). */
enum ciot_rc ciot_pipeline_begin(struct ciot_worker *w, const struct ciot_dataset *ds, const struct ciot_capture *c,
				 struct ciot_capture_result *r, char *errbuf);
void ciot_pipeline_packet(struct ciot_worker *w, const struct ciot_packet *pkt);
/* A frame of step s counted (frames, bytes, first and last time) and decoded, its IP fragments
 * resolved; the decode result, counted too. */
enum ciot_decode_result ciot_frame_count_decode(struct ciot_segment_result *s, struct ciot_fragment_table *fragments,
					       const struct ciot_frame *fr, struct ciot_packet *pkt);
/* The flow table's end callback (a sharded capture's workers end flows when told). */
void ciot_pipeline_flow_ended(void *worker, struct ciot_flow *f, enum ciot_flow_end reason);
static inline struct ciot_flow_core *ciot_flow_core(struct ciot_flow *f)
{
	return ciot_flow_slots(f);
}
/* After the last frame: the device settled, the records oriented, the analyzers' capture_end. */
enum ciot_rc ciot_pipeline_end(struct ciot_worker *w, struct ciot_capture_result *r, char *errbuf);

#endif
