/* registry.c: every analyzer and stage, once. Adding an analyzer is its folder and one line here
 * (docs/internals.md). Order matters: packets visit analyzers in this order, and an analyzer that
 * consumes another's per-packet output (the PII search reads the encryption method's spans) comes
 * after it. Their columns in captures and flows follow this order too.
 */
#include "registry.h"

extern const struct ciot_analyzer ciot_analyzer_dns, ciot_analyzer_encryption, ciot_analyzer_pii, ciot_analyzer_tls;
extern const struct ciot_stage ciot_stage_destinations;

const struct ciot_analyzer *const ciot_analyzers[] = {
	&ciot_analyzer_dns,        /* the device's DNS answers, for naming destinations */
	&ciot_analyzer_encryption, /* the encryption class of every payload; provides the spans */
	&ciot_analyzer_pii,        /* personal data in clear text; consumes the spans */
	&ciot_analyzer_tls,        /* TLS, DTLS and QUIC connections and their certificates */
};
const size_t ciot_nanalyzers = sizeof ciot_analyzers / sizeof ciot_analyzers[0];

const struct ciot_stage *const ciot_stages[] = {
	&ciot_stage_destinations, /* names, countries, organizations and parties of the flows' remote ends */
};
const size_t ciot_nstages = sizeof ciot_stages / sizeof ciot_stages[0];
