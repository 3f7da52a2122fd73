/* analysis.c: a prepared run (pipeline.h): each analyzer's run object, and where each analyzer's
 * per-flow state and per-flow result live. The layout is fixed here once, so that the flow table
 * and the records are plain blocks of bytes and the hot path never allocates.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pipeline.h"
#include "pipeline-internal.h"

#define ALIGN 16u

static size_t aligned(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

enum ciot_rc ciot_analysis_new(struct ciot_analysis **out, const struct ciot_config *config,
			       const struct ciot_dataset *ds, char *errbuf)
{
	*out = NULL;
	if (ciot_nanalyzers > CIOT_MAX_ANALYZERS)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "more analyzers registered than CIOT_MAX_ANALYZERS");
	enum ciot_rc rc = ciot_config_check(config, errbuf);
	if (rc)
		return rc;
	struct ciot_analysis *a = calloc(1, sizeof *a);
	if (!a)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	a->config = config;
	/* the core's own flow state first, then each analyzer's that is on */
	size_t state = aligned(sizeof(struct ciot_flow_core));
	size_t record = aligned(sizeof(struct ciot_flow_record));
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (an->run_new && (rc = an->run_new(&a->run[k], config->analyzer[k], ds, errbuf))) {
			ciot_analysis_free(a);
			return rc;
		}
		a->on[k] = !an->run_new || a->run[k];
		a->state_offset[k] = state;
		a->result_offset[k] = record;
		if (a->on[k]) {
			state += aligned(an->flow_state_size);
			a->needs |= an->needs;
		}
		/* a result slot even when off: its columns are bound from a zeroed slot */
		record += aligned(an->flow_result_size);
	}
	a->slot_bytes = state;
	a->record_size = record;
	*out = a;
	return CIOT_OK;
}

void ciot_analysis_free(struct ciot_analysis *a)
{
	if (!a)
		return;
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (a->run[k] && ciot_analyzers[k]->run_free)
			ciot_analyzers[k]->run_free(a->run[k]);
	free(a);
}

void *ciot_analysis_run(const struct ciot_analysis *a, size_t analyzer)
{
	return a->run[analyzer];
}

struct ciot_flow_record *ciot_segment_flow(const struct ciot_capture_result *r, const struct ciot_segment_result *s,
					   size_t i)
{
	return (struct ciot_flow_record *)(void *)(s->flows + i * r->analysis->record_size);
}

void *ciot_flow_result(const struct ciot_capture_result *r, const struct ciot_flow_record *f, size_t analyzer)
{
	return (unsigned char *)f + r->analysis->result_offset[analyzer];
}
