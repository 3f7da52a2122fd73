/* protocol.h: a lifecycle collection protocol, the sequence of steps ciot-capture walks an operator
 * through for one device category.
 *
 * Protocols are JSON files in guides/protocols/ (format in guides/protocols/README.md). The lab
 * guide's step tables are generated from the same files (ciot-capture --show-protocol --markdown),
 * so the guide and the tool cannot disagree.
 */
#ifndef CIOT_PROTOCOL_H
#define CIOT_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ciot/ciot.h"
#include "ciot/dataset.h"

#define CIOT_PROTOCOL_MAX_STEPS 64
#define CIOT_PROTOCOL_MAX_STEP_NAME 64
#define CIOT_PROTOCOL_MAX_DURATION 86400
#define CIOT_PROTOCOL_MAX_INSTRUCTIONS 2048

struct ciot_protocol_step {
	char name[CIOT_PROTOCOL_MAX_STEP_NAME + 1]; /* the manifest's sub-phase: [a-z0-9_]+ */
	enum ciot_phase phase;
	const char *control;      /* remote, local, physical, voice, multimodal, or NULL */
	unsigned duration_s;      /* 0: the operator ends the step */
	bool optional;
	const char *interception; /* certificate-interception test tag, or NULL */
	char *instructions;
};

struct ciot_protocol {
	char *category;
	char *title;
	char *description;
	struct ciot_protocol_step *steps;
	size_t nsteps;
};

/* Reads and checks a protocol file; every key, name and length is validated. */
enum ciot_rc ciot_protocol_load(struct ciot_protocol *p, const char *path, char *errbuf);
void ciot_protocol_free(struct ciot_protocol *p);

/* The step's index, or -1. */
int ciot_protocol_find(const struct ciot_protocol *p, const char *step);

/* "30 min", "45 s", or "operator" for 0 (a step the operator ends). */
void ciot_protocol_duration_text(unsigned s, char *buf, size_t len);

/* The protocol as a Markdown section: title, description, a table of the steps, then each step's
 * instructions. */
void ciot_protocol_markdown(const struct ciot_protocol *p, FILE *out);

#endif
