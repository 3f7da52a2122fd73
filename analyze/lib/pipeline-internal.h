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

struct ciot_analysis {
	const struct ciot_config *config;
	void *run[CIOT_MAX_ANALYZERS];
	bool on[CIOT_MAX_ANALYZERS];
	size_t state_offset[CIOT_MAX_ANALYZERS];  /* in the flow's slots */
	size_t result_offset[CIOT_MAX_ANALYZERS]; /* in a flow record */
	size_t slot_bytes, record_size;
	unsigned needs;
};

#endif
