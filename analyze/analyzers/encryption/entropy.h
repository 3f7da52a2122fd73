/* entropy.h: what a payload's bytes alone say about its content: a magic number anchored at its
 * start (compressed or media data), else its byte entropy, judged either by the fixed thresholds
 * the lifecycle paper and Mon(IoT)r publish or against the entropy random bytes of the same length
 * would have. Steps 2 to 4 of the encryption method (docs/encryption.md); step 1, the protocol
 * rules, needs the flow and lives elsewhere.
 *
 * Entropy is Shannon entropy of the byte histogram in log base 256, so 0..1. n bytes can never
 * exceed log256(n): 64 random bytes score about 0.73, so a fixed 0.9 threshold can never call a
 * short packet encrypted. The length-aware mode (the default) compares with what random bytes of
 * that length are expected to score instead.
 */
#ifndef CIOT_ENTROPY_H
#define CIOT_ENTROPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ciot_content_class {
	CIOT_CONTENT_ENCRYPTED,
	CIOT_CONTENT_TEXT,       /* unencrypted: text */
	CIOT_CONTENT_COMPRESSED, /* unencrypted: compressed */
	CIOT_CONTENT_MEDIA,      /* unencrypted: media */
	CIOT_CONTENT_UNKNOWN,
	CIOT_CONTENT_OMITTED,    /* too short to say */
	CIOT_CONTENT_NCLASSES
};
/* "encrypted", "text", "compressed", "media", "unknown", "omitted" */
const char *ciot_content_class_name(enum ciot_content_class c);

enum ciot_entropy_mode {
	CIOT_ENTROPY_LENGTH_AWARE, /* the default: thresholds relative to random bytes of the same length */
	CIOT_ENTROPY_PAPER         /* the published fixed thresholds */
};
const char *ciot_entropy_mode_name(enum ciot_entropy_mode m); /* "length-aware", "paper" */
bool ciot_entropy_mode_parse(const char *name, enum ciot_entropy_mode *out);

struct ciot_entropy_options {
	enum ciot_entropy_mode mode;
	double encrypted_above; /* paper: 0.9 */
	double text_below;      /* paper: 0.4 */
	uint32_t omit_below;    /* payloads shorter than this that no earlier step classified: 20 bytes */
};

/* The defaults of a mode (the paper's numbers, or the length-aware mode's own, documented in
 * entropy.c and docs/encryption.md). */
void ciot_entropy_default_options(struct ciot_entropy_options *o, enum ciot_entropy_mode mode);

/* Shannon entropy of the byte histogram, log base 256; 0 for n == 0. */
double ciot_entropy256(const uint8_t *p, size_t n);

/* The entropy n uniformly random bytes are expected to have (exact, for any n >= 1). */
double ciot_entropy256_expected_random(size_t n);

/* A magic number at the very start of the payload: sets *cls (compressed or media) and *format
 * ("gzip", "png", ...) and returns true; false when none matches. */
bool ciot_magic_match(const uint8_t *p, size_t n, enum ciot_content_class *cls, const char **format);

/* Whether most of a payload follows from a simple rule: a counter of 8-, 16- or 32-bit numbers,
 * a byte or pattern repeated (period up to 64). Such payloads have the byte entropy of random bytes
 * but are not encrypted; ciot_content_classify calls them text where their entropy alone would say
 * encrypted (entropy.c says how they are found and how often random bytes pass). */
bool ciot_structured(const uint8_t *p, size_t n);

/* Steps 2 to 4: magic number, entropy, too short. */
enum ciot_content_class ciot_content_classify(const struct ciot_entropy_options *o, const uint8_t *p, size_t n);

#endif
