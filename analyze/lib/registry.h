/* registry.h: the one list of analyzers (the order packets visit them) and of stages (passes over
 * the stored database after every capture), registry.c. */
#ifndef CIOT_REGISTRY_H
#define CIOT_REGISTRY_H

#include <stddef.h>

#include "analyzer.h"

extern const struct ciot_analyzer *const ciot_analyzers[];
extern const size_t ciot_nanalyzers;

/* A pass over the stored database: its tables and views (created with every database, so reports
 * can join on them before it ran), its options. */
struct ciot_stage {
	const char *name;
	const char *schema;
	const char *options_title;
	const struct ciot_option *options;
};
extern const struct ciot_stage *const ciot_stages[];
extern const size_t ciot_nstages;

#endif
