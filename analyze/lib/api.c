/* api.c: what the public headers promise beyond the modules' own functions. A tool holds a dataset
 * by pointer, because ciot/dataset.h keeps the model opaque; and it lists the library's options by
 * group (ciot/analyze.h), read here from the registry, so that a tool names no analyzer and no
 * stage to build its getopt table and its --help.
 */
#include <stdlib.h>

#include "config.h"
#include "dataset.h"
#include "registry.h"

struct ciot_dataset *ciot_dataset_new(void)
{
	return calloc(1, sizeof(struct ciot_dataset));
}

void ciot_dataset_delete(struct ciot_dataset *ds)
{
	if (!ds)
		return;
	ciot_dataset_free(ds);
	free(ds);
}

size_t ciot_dataset_ncaptures(const struct ciot_dataset *ds)
{
	return ds->ncaptures;
}

const struct ciot_capture *ciot_dataset_capture(const struct ciot_dataset *ds, size_t i)
{
	return &ds->captures[i];
}

const char *ciot_dataset_name(const struct ciot_dataset *ds)
{
	return ds->name;
}

const char *ciot_capture_path(const struct ciot_capture *c)
{
	return c->path;
}

/* A group without a title of its own goes under its owner's name rather than under the heading
 * before it, where its options would read as someone else's. */
bool ciot_option_group(size_t i, struct ciot_option_group *out)
{
	for (size_t k = 0; k < ciot_nstages; k++) {
		const struct ciot_stage *st = ciot_stages[k];
		if (!st->options || !st->options->name)
			continue;
		if (i-- == 0) {
			*out = (struct ciot_option_group){ st->options_title ? st->options_title : st->name, st->options,
							   st->name };
			return true;
		}
	}
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (!an->options || !an->options->name)
			continue;
		if (i-- == 0) {
			*out = (struct ciot_option_group){ an->options_title ? an->options_title : an->name, an->options,
							   NULL };
			return true;
		}
	}
	if (i == 0) {
		*out = (struct ciot_option_group){ "Processing", ciot_core_options, NULL };
		return true;
	}
	return false;
}
