/* asn-cache.h: the AS ranges of geo.c kept between runs in a binary file beside the CSV files they
 * come from, so that a run maps them instead of parsing 44 MB of text (which was three quarters of
 * ciot-analyze's start-up: 0.4 s before the first packet).
 *
 * The cache is geo.c's own arrays, written as they are in memory after a successful parse of the
 * CSV files (so every check of geo.c applied to them), with a header naming the two source files
 * by size and modification time: a cache that does not match the files it was made from, or that
 * anything else is wrong with, is ignored and the text parsed again. It is a derived file of this
 * machine (native byte order, stated in the header), written atomically (a temporary file renamed
 * over it) when the directory is writable and skipped silently when it is not: a read-only data
 * folder only costs the parse. Nothing in it is trusted for memory safety: its sizes must add up to
 * the file's, every name offset must fall in the names' text, which must end with a NUL, and the
 * ranges must be sorted and disjoint, as the lookups' bisection needs; checking that reads each
 * range once (a few milliseconds).
 */
#ifndef CIOT_ASN_CACHE_H
#define CIOT_ASN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ciot_u128 {
	uint64_t hi, lo;
};

struct ciot_range4 {
	uint32_t first, last, asn, name;
};

struct ciot_range6 {
	struct ciot_u128 first, last;
	uint32_t asn, name;
};

/* The ranges and the names' text; a mapped cache owns them (ciot_asn_cache_unmap), else the caller. */
struct ciot_asn_table {
	const struct ciot_range4 *v4;
	size_t n4;
	const struct ciot_range6 *v6;
	size_t n6;
	const char *names;
	size_t names_len; /* bytes of names, its final NUL included */
	void *map;        /* the mapping when the table comes from the cache, else NULL */
	size_t map_len;
};

/* The table of the cache `path` when it was made from the CSV files v4_csv and v6_csv as they are
 * now and passes every check; false otherwise (no cache, another source, damage), *t untouched. */
bool ciot_asn_cache_map(const char *path, const char *v4_csv, const char *v6_csv, struct ciot_asn_table *t);
void ciot_asn_cache_unmap(struct ciot_asn_table *t);

/* Writes the table as the cache `path` of the two CSV files; best effort: false when it could not
 * (a read-only folder), with nothing left behind. */
bool ciot_asn_cache_write(const char *path, const char *v4_csv, const char *v6_csv, const struct ciot_asn_table *t);

#endif
