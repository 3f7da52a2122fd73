/* analyzer.c: the encryption analyzer (encryption.h, docs/encryption.md): every payload packet's
 * class, counted per flow in the flow's own row (one INSERT per flow, not one per class, which
 * cost more than the classification itself), with the flow_classes view for queries that group by
 * class. It provides the payload's spans to the analyzers after it (the PII search).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encryption.h"
#include "pipeline.h"
#include "registry.h"

/* The version of the encryption method: raised whenever a rule changes what a packet is called.
 * 3: paper mode's SSL rule (a TLS payload of entropy above 0.8 is encrypted, encryption.c).
 * 4: paper mode as the paper's text states it: text below 0.4 at every length (Mon(IoT)r's code
 *    wanted more than 100 bytes, entropy.c), the SSL rule on every TCP segment of port 443
 *    (Wireshark's TLS, encryption.c). */
#define ENCRYPTION_METHOD_VERSION 4

/* Thresholds given on the command line override the mode's, whatever the options' order. */
struct config {
	enum ciot_entropy_mode mode;
	double encrypted_above, text_below; /* <= 0: the mode's */
	long omit_below;                     /* < 0: the mode's */
};

struct run {
	struct ciot_entropy_options entropy;
};

struct worker {
	const struct run *run;
	struct ciot_payload_spans spans;
};

static void config_default(void *p)
{
	struct config *c = p;
	c->mode = CIOT_ENTROPY_LENGTH_AWARE;
	c->encrypted_above = c->text_below = -1;
	c->omit_below = -1;
}

static void resolve(const struct config *c, struct ciot_entropy_options *o)
{
	ciot_entropy_default_options(o, c->mode);
	if (c->encrypted_above > 0)
		o->encrypted_above = c->encrypted_above;
	if (c->text_below > 0)
		o->text_below = c->text_below;
	if (c->omit_below >= 0)
		o->omit_below = (uint32_t)c->omit_below;
}

static enum ciot_rc set_mode(void *p, const char *v, char *errbuf)
{
	return ciot_entropy_mode_parse(v, &((struct config *)p)->mode)
		       ? CIOT_OK
		       : ciot_fail(errbuf, CIOT_ERR_ARG, "--entropy must be length-aware or paper");
}

static enum ciot_rc set_ratio(const char *v, const char *name, double *out, char *errbuf)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !(d > 0 && d <= 1))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--%s wants a number above 0 and at most 1", name);
	*out = d;
	return CIOT_OK;
}

static enum ciot_rc set_encrypted_above(void *p, const char *v, char *errbuf)
{
	return set_ratio(v, "encrypted-above", &((struct config *)p)->encrypted_above, errbuf);
}

static enum ciot_rc set_text_below(void *p, const char *v, char *errbuf)
{
	return set_ratio(v, "text-below", &((struct config *)p)->text_below, errbuf);
}

static enum ciot_rc set_omit_below(void *p, const char *v, char *errbuf)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n > 65535)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--omit-below wants a number of bytes from 0 to 65535");
	((struct config *)p)->omit_below = (long)n;
	return CIOT_OK;
}

static const struct ciot_option options[] = {
	{ "entropy", 0, "MODE",
	  "length-aware (default: thresholds relative to the entropy random bytes\n"
	  "of the payload's length have) or paper (the published fixed thresholds)",
	  set_mode },
	{ "encrypted-above", 0, "R",
	  "entropy threshold of \"encrypted\" (default 0.95 of random's in\n"
	  "length-aware mode, 0.9 in paper mode)",
	  set_encrypted_above },
	{ "text-below", 0, "R", "entropy threshold of \"text\" (default 0.75 of random's; paper 0.4)", set_text_below },
	{ "omit-below", 0, "N",
	  "payloads shorter than N bytes that no rule classified are omitted\n"
	  "(default 20)",
	  set_omit_below },
	{ NULL, 0, NULL, NULL, NULL },
};

static enum ciot_rc config_check(const void *p, char *errbuf)
{
	struct ciot_entropy_options o;
	resolve(p, &o);
	if (o.text_below > o.encrypted_above)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--text-below %g is above --encrypted-above %g", o.text_below,
				 o.encrypted_above);
	return CIOT_OK;
}

static enum ciot_rc run_new(void **out, const void *config, const struct ciot_dataset *ds, char *errbuf)
{
	(void)ds;
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	resolve(config, &r->entropy);
	*out = r;
	return CIOT_OK;
}

static enum ciot_rc meta(const void *run, const void *config, ciot_meta_fn add, void *ctx, char *errbuf)
{
	(void)config;
	const struct ciot_entropy_options *o = &((const struct run *)run)->entropy;
	char method[256];
	snprintf(method, sizeof method,
		 "ciot encryption method %d: protocol rules%s, magic numbers at offset 0, entropy (%s mode: encrypted "
		 "above %g, text below %g), omitted below %u bytes",
		 ENCRYPTION_METHOD_VERSION,
		 o->mode == CIOT_ENTROPY_PAPER ? " (TLS and TCP port 443 payloads of entropy above 0.8 encrypted)" : "",
		 ciot_entropy_mode_name(o->mode), o->encrypted_above, o->text_below, o->omit_below);
	return add(ctx, "encryption_method", method, errbuf);
}

static enum ciot_rc worker_new(void **out, void *run, char *errbuf)
{
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	w->run = run;
	*out = w;
	return CIOT_OK;
}

static void packet(void *worker, void *state, void *capture_result, struct ciot_packet_context *pc)
{
	(void)capture_result;
	struct worker *w = worker;
	enum ciot_class_step step;
	struct ciot_payload_spans *spans = (pc->needs & CIOT_NEEDS_SPANS) ? &w->spans : NULL;
	ciot_encryption_packet(&w->run->entropy, state, pc->dir, pc->family, pc->pkt, pc->tcp, &step, spans);
	pc->spans = spans;
}

static void flow_end(void *worker, void *state, void *result, void *capture_result,
		     const struct ciot_flow_end_context *fe)
{
	(void)worker;
	(void)capture_result;
	(void)fe;
	if (result)
		*(struct ciot_encryption_counts *)result = ((struct ciot_encryption_flow *)state)->counts;
}

/* Each class's packets, frame bytes and transport payload bytes are three columns, in enum
 * ciot_content_class's order. */
#define CLASS_COLUMNS(c)                                                                                    \
	{ c "_packets", "INTEGER NOT NULL DEFAULT 0", false }, { c "_bytes", "INTEGER NOT NULL DEFAULT 0", false }, \
	{ c "_payload_bytes", "INTEGER NOT NULL DEFAULT 0", false }
enum flow_column { COL_ENTROPY_ENCRYPTED, COL_PROPRIETARY, COL_CLASSES };
static const struct ciot_column flow_columns[] = {
	[COL_ENTROPY_ENCRYPTED] = { "entropy_encrypted_packets", "INTEGER NOT NULL DEFAULT 0", false },
	[COL_PROPRIETARY] = { "proprietary_encryption", "INTEGER NOT NULL DEFAULT 0", false },
	CLASS_COLUMNS("encrypted"), CLASS_COLUMNS("text"), CLASS_COLUMNS("compressed"), CLASS_COLUMNS("media"),
	CLASS_COLUMNS("unknown"), CLASS_COLUMNS("omitted"),
};
enum { COLUMNS_PER_CLASS = 3 };
_Static_assert(sizeof flow_columns / sizeof flow_columns[0] == COL_CLASSES + COLUMNS_PER_CLASS * CIOT_CONTENT_NCLASSES,
	       "three columns per content class");

static void bind_flow(const struct ciot_core_row *row)
{
	const struct ciot_encryption_counts *c = row->result;
	ciot_row_int(&row->row, COL_ENTROPY_ENCRYPTED, c->entropy_encrypted);
	/* encrypted by its bytes alone on no known encrypted protocol: the paper's "Other protocols";
	 * not a flow whose TLS records were found (a connection that began before the capture, whose
	 * first segments were judged by their bytes until a record header chain showed up) */
	ciot_row_int(&row->row, COL_PROPRIETARY,
		     c->entropy_encrypted > 0 && !c->tls_records &&
			     !ciot_family_is_encrypted((enum ciot_dpi_family)row->record->family));
	for (int k = 0; k < CIOT_CONTENT_NCLASSES; k++) {
		int col = COL_CLASSES + COLUMNS_PER_CLASS * k;
		ciot_row_int(&row->row, col, c->packets[k]);
		ciot_row_int(&row->row, col + 1, (int64_t)c->bytes[k]);
		ciot_row_int(&row->row, col + 2, (int64_t)c->payload_bytes[k]);
	}
}

#define CLASS_ROWS(c)                                                                                    \
	"  SELECT id AS flow_id, '" c "' AS class, " c "_packets AS packets, " c "_bytes AS bytes, "         \
	c "_payload_bytes AS payload_bytes FROM flows"                                                     \
	" WHERE " c "_packets > 0"

const struct ciot_analyzer ciot_analyzer_encryption = {
	.name = "encryption",
	.config_size = sizeof(struct config),
	.config_default = config_default,
	.options_title = "Encryption classes (docs/encryption.md)",
	.options = options,
	.config_check = config_check,
	.run_new = run_new,
	.run_free = free,
	.meta = meta,
	.worker_new = worker_new,
	.worker_free = free,
	.flow_state_size = sizeof(struct ciot_encryption_flow),
	.flow_result_size = sizeof(struct ciot_encryption_counts),
	.packet = packet,
	.flow_end = flow_end,
	/* the class counts one row per flow and class, for queries that group by class */
	.schema_after = "CREATE VIEW IF NOT EXISTS flow_classes AS\n" CLASS_ROWS("encrypted") " UNION ALL\n"
			CLASS_ROWS("text") " UNION ALL\n" CLASS_ROWS("compressed") " UNION ALL\n" CLASS_ROWS("media")
			" UNION ALL\n" CLASS_ROWS("unknown") " UNION ALL\n" CLASS_ROWS("omitted") ";\n",
	.flow_columns = CIOT_COLUMNS(flow_columns),
	.bind_flow = bind_flow,
};
