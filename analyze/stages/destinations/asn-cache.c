/* asn-cache.c: the binary cache of the AS ranges (asn-cache.h). Layout, all in native byte order:
 * the header below, then n4 struct ciot_range4, n6 struct ciot_range6 and names_len bytes of names,
 * each part starting at a multiple of 8.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asn-cache.h"

#define CACHE_MAGIC "CIOTASN1"
#define BYTE_ORDER_MARK 0x01020304u

struct source {
	uint64_t size;
	int64_t mtime_s, mtime_ns;
};

struct header {
	char magic[8];
	uint32_t byte_order, range4_size, range6_size, reserved;
	struct source v4, v6;
	uint64_t n4, n6, names_len;
};

static size_t padded(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static bool source_of(const char *csv, struct source *s)
{
	struct stat st;
	if (stat(csv, &st) != 0)
		return false;
	memset(s, 0, sizeof *s);
	s->size = (uint64_t)st.st_size;
	s->mtime_s = (int64_t)st.st_mtim.tv_sec;
	s->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
	return true;
}

static bool same_source(const struct source *a, const struct source *b)
{
	return a->size == b->size && a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns;
}

static int u128_cmp(struct ciot_u128 a, struct ciot_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo == b.lo ? 0 : a.lo < b.lo ? -1 : 1;
}

/* What the lookups rely on: names inside the text, ranges well formed, sorted and disjoint. */
static bool table_sound(const struct ciot_asn_table *t)
{
	if (t->names_len == 0 || t->names[t->names_len - 1] != 0)
		return false;
	for (size_t i = 0; i < t->n4; i++) {
		const struct ciot_range4 *r = &t->v4[i];
		if (r->first > r->last || r->name >= t->names_len || (i && r->first <= t->v4[i - 1].last))
			return false;
	}
	for (size_t i = 0; i < t->n6; i++) {
		const struct ciot_range6 *r = &t->v6[i];
		if (u128_cmp(r->first, r->last) > 0 || r->name >= t->names_len ||
		    (i && u128_cmp(r->first, t->v6[i - 1].last) <= 0))
			return false;
	}
	return true;
}

bool ciot_asn_cache_map(const char *path, const char *v4_csv, const char *v6_csv, struct ciot_asn_table *t)
{
	struct source v4, v6;
	if (!source_of(v4_csv, &v4) || !source_of(v6_csv, &v6))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	void *map = MAP_FAILED;
	size_t len = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= sizeof(struct header)) {
		len = (size_t)st.st_size;
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	}
	close(fd);
	if (map == MAP_FAILED)
		return false;
	const struct header *h = map;
	const uint64_t max_rows = (uint64_t)1 << 32; /* far above any real file, and no size overflows */
	bool ok = !memcmp(h->magic, CACHE_MAGIC, 8) && h->byte_order == BYTE_ORDER_MARK &&
		  h->range4_size == sizeof(struct ciot_range4) && h->range6_size == sizeof(struct ciot_range6) &&
		  same_source(&h->v4, &v4) && same_source(&h->v6, &v6) && h->n4 < max_rows && h->n6 < max_rows &&
		  h->names_len < max_rows * 256;
	size_t off4 = padded(sizeof *h), off6 = 0, offn = 0;
	if (ok) {
		off6 = off4 + padded((size_t)h->n4 * sizeof(struct ciot_range4));
		offn = off6 + padded((size_t)h->n6 * sizeof(struct ciot_range6));
		ok = offn + padded((size_t)h->names_len) == len;
	}
	struct ciot_asn_table m = { 0 };
	if (ok) {
		const char *base = map;
		m = (struct ciot_asn_table){ (const struct ciot_range4 *)(const void *)(base + off4), (size_t)h->n4,
					     (const struct ciot_range6 *)(const void *)(base + off6), (size_t)h->n6,
					     base + offn, (size_t)h->names_len, map, len };
		ok = table_sound(&m);
	}
	if (!ok) {
		munmap(map, len);
		return false;
	}
	*t = m;
	return true;
}

void ciot_asn_cache_unmap(struct ciot_asn_table *t)
{
	if (t->map)
		munmap(t->map, t->map_len);
	t->map = NULL;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	static const char zeros[8];
	size_t pad = padded(n) - n;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return pad == 0 || write(fd, zeros, pad) == (ssize_t)pad;
}

bool ciot_asn_cache_write(const char *path, const char *v4_csv, const char *v6_csv, const struct ciot_asn_table *t)
{
	struct header h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, CACHE_MAGIC, 8);
	h.byte_order = BYTE_ORDER_MARK;
	h.range4_size = sizeof(struct ciot_range4);
	h.range6_size = sizeof(struct ciot_range6);
	h.n4 = t->n4;
	h.n6 = t->n6;
	h.names_len = t->names_len;
	if (!source_of(v4_csv, &h.v4) || !source_of(v6_csv, &h.v6) || !table_sound(t))
		return false;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return false;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return false;
	bool ok = write_all(fd, &h, sizeof h) && write_all(fd, t->v4, t->n4 * sizeof *t->v4) &&
		  write_all(fd, t->v6, t->n6 * sizeof *t->v6) && write_all(fd, t->names, t->names_len);
	/* readable by whoever may read the data beside it; fsync: a crash leaves the old file or this */
	ok = ok && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok)
		unlink(tmp);
	return ok;
}
