/* figures.c: the registry of figures (ciot/figures.h): each one's name, title, the one line on how
 * it is computed, and its drawer (figure-*.c). The order is the paper's: Figures 1 to 3, then
 * Tables 1 to 5 as charts, then the shaping results. Nothing here draws or queries.
 */
#include <string.h>

#include "figure.h"

static const struct ciot_figure figures[] = {
	{ "sankey", "Figure 1: traffic from device categories to countries",
	  "From the sankey export, lifecycle captures only, all phases: each device weighs the same (its bytes "
	  "to a country / its bytes to all public addresses), a band is the sum of a category's devices' shares "
	  "over all devices, so the bands add up to 100%. --home sets the home country (the manifest's, else "
	  "CN); --fold-greater-china counts HK, MO and TW as CN.",
	  ciot_figure_sankey },
};

#define NFIGURES (sizeof figures / sizeof figures[0])

const struct ciot_figure *ciot_figure_get(size_t i)
{
	return i < NFIGURES ? &figures[i] : NULL;
}

const struct ciot_figure *ciot_figure_find(const char *name)
{
	for (size_t i = 0; i < NFIGURES; i++)
		if (!strcmp(figures[i].name, name))
			return &figures[i];
	return NULL;
}

const struct ciot_figure *fig_self(const char *name)
{
	return ciot_figure_find(name);
}
