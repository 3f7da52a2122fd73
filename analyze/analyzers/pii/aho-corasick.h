/* aho-corasick.h: many byte strings searched for at once (Aho-Corasick), for PII detection.
 *
 * PII detection looks for a device's identifiers -- a few hundred patterns of 4 to 100 bytes, each
 * identifier in the encodings it may travel in -- in every unencrypted payload byte of a capture.
 * One pass over a payload finds every occurrence of every pattern, overlapping ones included, in
 * time proportional to the payload plus the matches however many patterns there are, and without
 * allocating.
 *
 * A matcher is made with ciot_ac_new, given its patterns with ciot_ac_add and built once with
 * ciot_ac_compile. A compiled matcher never changes: any number of threads may scan it at once.
 * Matching is of bytes, case-sensitive, and binary-safe (NUL is an ordinary byte); a caller that
 * wants case-insensitive matching adds each case it cares about as a pattern of its own.
 */
#ifndef CIOT_AHO_CORASICK_H
#define CIOT_AHO_CORASICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"

/* Bytes of all the patterns of one matcher together: it keeps the states (at most one per pattern
 * byte) well inside their 32-bit numbers, and a compiled matcher at 25 bytes a pattern byte at most
 * (26 MB at the cap; adding and compiling take up to some 65 MB for a moment). */
#define CIOT_AC_MAX_BYTES (1u << 20)

struct ciot_ac;

/* An empty matcher, not yet compiled. */
enum ciot_rc ciot_ac_new(struct ciot_ac **out, char *errbuf);

/* Adds pattern[0..len) under the caller's id; only before ciot_ac_compile. The bytes are copied.
 * The same bytes may be added again under another id (or the same one): each addition is reported.
 * CIOT_ERR_ARG for an empty pattern, for one that would take the matcher past CIOT_AC_MAX_BYTES and
 * after compiling. */
enum ciot_rc ciot_ac_add(struct ciot_ac *ac, const uint8_t *pattern, size_t len, uint32_t id, char *errbuf);

/* Builds the automaton; once only (CIOT_ERR_ARG the second time). A matcher without patterns is
 * valid and never matches. On failure the matcher is as it was, and may be compiled again. */
enum ciot_rc ciot_ac_compile(struct ciot_ac *ac, char *errbuf);

/* One occurrence of pattern id at text[start..end). Returning false ends the scan. */
typedef bool (*ciot_ac_match_fn)(void *ctx, uint32_t id, size_t start, size_t end);

/* Calls fn for every occurrence of every pattern in text[0..n), overlapping ones included, in order
 * of end offset; at one end offset, longer patterns first, and a pattern added more than once in
 * the order of its additions. A matcher not compiled finds nothing. */
void ciot_ac_scan(const struct ciot_ac *ac, const uint8_t *text, size_t n, ciot_ac_match_fn fn, void *ctx);

/* How many patterns were added. */
size_t ciot_ac_patterns(const struct ciot_ac *ac);

/* NULL is allowed. */
void ciot_ac_free(struct ciot_ac *ac);

#endif
