/* test-strpool.c: the interning pool: equal strings share an id, ids survive growth, and a full
 * pool refuses (and counts) instead of growing without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "strpool.h"

int main(void)
{
	struct ciot_strpool p = { 0 };
	CHECK_EQ_INT(ciot_strpool_find(&p, "a", 1), 0);
	CHECK(ciot_strpool_get(&p, 0) == NULL);
	uint32_t a = ciot_strpool_intern(&p, "api.tuya.com", 12);
	uint32_t b = ciot_strpool_intern(&p, "api.tuya.comX", 12); /* only the first n bytes count */
	uint32_t c = ciot_strpool_intern(&p, "api.tuya.co", 11);   /* a prefix is another string */
	CHECK(a != 0);
	CHECK_EQ_INT(b, a);
	CHECK(c != a && c != 0);
	CHECK_EQ_STR(ciot_strpool_get(&p, a), "api.tuya.com");
	CHECK_EQ_STR(ciot_strpool_get(&p, c), "api.tuya.co");
	CHECK_EQ_INT(ciot_strpool_find(&p, "api.tuya.com", 12), a);
	CHECK_EQ_INT(ciot_strpool_find(&p, "api.tuya.c", 10), 0);
	uint32_t empty = ciot_strpool_intern(&p, "", 0);
	CHECK(empty != 0);
	CHECK_EQ_STR(ciot_strpool_get(&p, empty), "");

	/* 100000 names: every id still gives its own string after the table and the arena grew */
	enum { N = 100000 };
	static uint32_t ids[N];
	char name[64];
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(name, sizeof name, "host%u.example.com", i);
		ids[i] = ciot_strpool_intern(&p, name, (size_t)n);
	}
	unsigned bad = 0;
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(name, sizeof name, "host%u.example.com", i);
		const char *s = ciot_strpool_get(&p, ids[i]);
		bad += !s || strcmp(s, name) || ciot_strpool_find(&p, name, (size_t)n) != ids[i];
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(p.count, N + 3); /* a, c and "" before them */
	CHECK_EQ_STR(ciot_strpool_get(&p, a), "api.tuya.com");
	CHECK_EQ_INT(p.refused, 0);
	ciot_strpool_free(&p);

	/* a hostile capture's worth of distinct long names: the pool stops at its cap */
	static char big[65536];
	memset(big, 'x', sizeof big);
	uint64_t accepted = 0;
	for (unsigned i = 0; i < (CIOT_STRPOOL_MAX_BYTES / sizeof big) + 8; i++) {
		snprintf(big, 16, "%08u", i);
		big[8] = 'x';
		accepted += ciot_strpool_intern(&p, big, sizeof big - 1) != 0;
	}
	CHECK(p.len <= CIOT_STRPOOL_MAX_BYTES);
	CHECK(p.refused >= 8);
	CHECK_EQ_INT(accepted + p.refused, (CIOT_STRPOOL_MAX_BYTES / sizeof big) + 8);
	ciot_strpool_free(&p);
	return check_summary("strpool");
}
