/* config.h: the settings of a run (the public ciot_config of ciot/analyze.h): the core's, and one
 * block per analyzer, sized and defaulted by the analyzer itself, changed only through options.
 */
#ifndef CIOT_CONFIG_H
#define CIOT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer.h"
#include "ciot/analyze.h"
#include "flow.h"

struct ciot_config {
	uint32_t max_flows;                 /* 0: CIOT_FLOW_DEFAULT_MAX */
	struct ciot_flow_timeouts timeouts;
	unsigned jobs;                      /* worker threads, at least 1 */
	bool all_flows;                     /* keep every flow, not only the device's */
	void *analyzer[CIOT_MAX_ANALYZERS]; /* each analyzer's settings (config_size bytes) */
};

/* The core's own options (-j, --max-flows, --idle-timeout, --all-flows). */
extern const struct ciot_option ciot_core_options[];

#endif
