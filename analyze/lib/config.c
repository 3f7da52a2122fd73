/* config.c: the settings of a run (config.h), and the core's options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "registry.h"

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v == 0 || v > max)
		return false;
	*out = v;
	return true;
}

static enum ciot_rc set_jobs(void *config, const char *value, char *errbuf)
{
	unsigned long n;
	if (!parse_uint(value, 256, &n))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "-j wants a number from 1 to 256");
	((struct ciot_config *)config)->jobs = (unsigned)n;
	return CIOT_OK;
}

static enum ciot_rc set_max_flows(void *config, const char *value, char *errbuf)
{
	unsigned long n;
	if (!parse_uint(value, 1u << 26, &n) || n < 16)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--max-flows wants a number from 16 to %u", 1u << 26);
	((struct ciot_config *)config)->max_flows = (uint32_t)n;
	return CIOT_OK;
}

static enum ciot_rc set_idle_timeout(void *config, const char *value, char *errbuf)
{
	unsigned long n;
	if (!parse_uint(value, 1ul << 40, &n))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--idle-timeout wants a number of seconds from 1 to 2^40");
	struct ciot_flow_timeouts *t = &((struct ciot_config *)config)->timeouts;
	t->tcp_idle_us = t->udp_idle_us = t->other_idle_us = (int64_t)n * 1000000;
	return CIOT_OK;
}

static enum ciot_rc set_all_flows(void *config, const char *value, char *errbuf)
{
	(void)value;
	(void)errbuf;
	((struct ciot_config *)config)->all_flows = true;
	return CIOT_OK;
}

const struct ciot_option ciot_core_options[] = {
	{ "jobs", 'j', "N", "analyze N files in parallel, or, with fewer files than N,\nshare each file's flows among N workers (default 1;\nthe same results either way)", set_jobs },
	{ "max-flows", 0, "N",
	  "active flows held at most per job (default 131072); beyond it the\n"
	  "least recently active flow is ended early",
	  set_max_flows },
	{ "idle-timeout", 0, "S",
	  "end flows idle for S seconds, whatever their transport (defaults: TCP\n"
	  "600, UDP 180, other 60; closed TCP 30); a large value makes flows\n"
	  "comparable with tools that have no timeout, such as tshark -z conv",
	  set_idle_timeout },
	{ "all-flows", 0, NULL,
	  "the captures are not one device's traffic (a whole network, a\n"
	  "benchmark): keep every flow, oriented from its initiator",
	  set_all_flows },
	{ NULL, 0, NULL, NULL, NULL },
};

struct ciot_config *ciot_config_new(void)
{
	struct ciot_config *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->max_flows = CIOT_FLOW_DEFAULT_MAX;
	c->timeouts.tcp_idle_us = CIOT_FLOW_TCP_IDLE_US;
	c->timeouts.tcp_closed_us = CIOT_FLOW_TCP_CLOSED_US;
	c->timeouts.udp_idle_us = CIOT_FLOW_UDP_IDLE_US;
	c->timeouts.other_idle_us = CIOT_FLOW_OTHER_IDLE_US;
	c->jobs = 1;
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (!an->config_size)
			continue;
		if (!(c->analyzer[k] = calloc(1, an->config_size))) {
			ciot_config_free(c);
			return NULL;
		}
		if (an->config_default)
			an->config_default(c->analyzer[k]);
	}
	return c;
}

void ciot_config_free(struct ciot_config *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < CIOT_MAX_ANALYZERS; k++)
		free(c->analyzer[k]);
	free(c);
}

static const struct ciot_option *find(const struct ciot_option *list, const char *name)
{
	for (; list && list->name; list++)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}

enum ciot_rc ciot_config_set(struct ciot_config *c, const char *name, const char *value, char *errbuf)
{
	const struct ciot_option *o = find(ciot_core_options, name);
	if (o)
		return o->set(c, value, errbuf);
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if ((o = find(ciot_analyzers[k]->options, name)))
			return o->set(c->analyzer[k], value, errbuf);
	return ciot_fail(errbuf, CIOT_ERR_ARG, "unknown option --%s", name);
}

enum ciot_rc ciot_config_check(const struct ciot_config *c, char *errbuf)
{
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		enum ciot_rc rc = an->config_check ? an->config_check(c->analyzer[k], errbuf) : CIOT_OK;
		if (rc)
			return rc;
	}
	return CIOT_OK;
}
