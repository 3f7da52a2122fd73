/* registry.c: every analyzer and stage, once. Adding an analyzer is its folder and one line in
 * ANALYZERS below (docs/internals.md): the line declares its descriptor, ciot_analyzer_<name>, and
 * lists it. Order matters: packets visit analyzers in this order, and an analyzer that consumes
 * another's per-packet output (the PII search reads the encryption method's spans) comes after it.
 * Their columns in captures and flows follow this order too.
 */
#include "registry.h"

#define ANALYZERS(X)                                                                                   \
	X(dns)        /* the device's DNS answers, for naming destinations */                           \
	X(encryption) /* the encryption class of every payload; provides the spans */                   \
	X(pii)        /* personal data in clear text; consumes the spans */                             \
	X(tls)        /* TLS, DTLS and QUIC connections and their certificates */

#define STAGES(X)                                                                                      \
	X(destinations) /* names, countries, organizations and parties of the remote ends */            \
	X(shaping)      /* ciot-shape's scores and costs of shaped traffic (tables only: ciot-shape fills them) */

#define DECLARE_ANALYZER(name) extern const struct ciot_analyzer ciot_analyzer_##name;
#define LIST_ANALYZER(name) &ciot_analyzer_##name,
#define DECLARE_STAGE(name) extern const struct ciot_stage ciot_stage_##name;
#define LIST_STAGE(name) &ciot_stage_##name,

ANALYZERS(DECLARE_ANALYZER)
STAGES(DECLARE_STAGE)

const struct ciot_analyzer *const ciot_analyzers[] = { ANALYZERS(LIST_ANALYZER) };
const size_t ciot_nanalyzers = sizeof ciot_analyzers / sizeof ciot_analyzers[0];
_Static_assert(sizeof ciot_analyzers / sizeof ciot_analyzers[0] <= CIOT_MAX_ANALYZERS,
	       "raise CIOT_MAX_ANALYZERS (analyzer.h)");

const struct ciot_stage *const ciot_stages[] = { STAGES(LIST_STAGE) };
const size_t ciot_nstages = sizeof ciot_stages / sizeof ciot_stages[0];
