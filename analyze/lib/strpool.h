/* strpool.h: interned strings of one capture file's analysis (host names from DNS, SNI, HTTP).
 *
 * The same few names recur in thousands of packets and flows, so each distinct string is kept once
 * and referred to by a 32-bit id; 0 means "none". The pool is bounded (CIOT_STRPOOL_MAX_BYTES):
 * a hostile capture full of distinct names gets id 0 for what does not fit, and the pool says how
 * many strings it refused, so the loss is reported, never silent.
 */
#ifndef CIOT_STRPOOL_H
#define CIOT_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

#define CIOT_STRPOOL_MAX_BYTES (64u << 20)

struct ciot_strpool {
	char *data;      /* strings, each NUL-terminated; id = offset + 1 */
	size_t len, cap;
	uint32_t *slots; /* open addressing on the string's hash; 0 = empty */
	size_t nslots, count;
	uint64_t refused;
};

/* The id of the string s[0..n) (which must not contain NUL), adding it if new; 0 when the pool is
 * full or memory runs out. A zeroed struct is an empty pool. */
uint32_t ciot_strpool_intern(struct ciot_strpool *p, const char *s, size_t n);
/* The id of s[0..n) if the pool holds it, else 0. */
uint32_t ciot_strpool_find(const struct ciot_strpool *p, const char *s, size_t n);
/* The string of an id, NULL for 0. */
const char *ciot_strpool_get(const struct ciot_strpool *p, uint32_t id);
void ciot_strpool_free(struct ciot_strpool *p);

#endif
