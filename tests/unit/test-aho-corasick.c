/* test-aho-corasick.c: the multi-pattern matcher: every occurrence of every pattern, overlapping
 * ones included, with its offsets and in the promised order (end offset, then longer first, then
 * order of addition), on hand-made cases -- the textbook he/she/his/hers, patterns that are suffixes
 * of others, the same pattern under two ids, NUL bytes, a state with all 256 children -- and on
 * random texts from small alphabets, where the reports must equal those of a naive memcmp search in
 * the same order. Also the argument errors, the size cap, a callback that stops the scan, and
 * several threads scanning one matcher at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aho-corasick.h"
#include "check.h"

struct report {
	uint32_t id;
	size_t start, end;
};

/* The reports of one scan; stop_after > 0 makes the callback return false at that report. */
struct sink {
	struct report *r;
	size_t n, cap, stop_after;
	bool overflow;
};

static bool collect(void *ctx, uint32_t id, size_t start, size_t end)
{
	struct sink *k = ctx;
	if (k->n == k->cap) {
		k->overflow = true;
		return false;
	}
	k->r[k->n++] = (struct report){ id, start, end };
	return !(k->stop_after && k->n == k->stop_after);
}

static struct ciot_ac *matcher(const char *const *pats, const size_t *lens, const uint32_t *ids, size_t n)
{
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_ac *ac = NULL;
	if (!CHECK_EQ_INT(ciot_ac_new(&ac, errbuf), CIOT_OK))
		return NULL;
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(ciot_ac_add(ac, (const uint8_t *)pats[i], lens ? lens[i] : strlen(pats[i]), ids[i], errbuf),
			     CIOT_OK);
	CHECK_EQ_INT(ciot_ac_compile(ac, errbuf), CIOT_OK);
	CHECK_EQ_INT(ciot_ac_patterns(ac), n);
	return ac;
}

/* Scans text[0..n) and checks the reports are exactly want[0..nwant), in order. */
static void expect(const struct ciot_ac *ac, const char *text, size_t n, const struct report *want, size_t nwant,
		   const char *name)
{
	unsigned before = check_failures;
	struct report got[64];
	struct sink k = { .r = got, .cap = 64 };
	ciot_ac_scan(ac, (const uint8_t *)text, n, collect, &k);
	CHECK(!k.overflow);
	if (CHECK_EQ_INT(k.n, nwant))
		for (size_t i = 0; i < nwant; i++) {
			CHECK_EQ_INT(got[i].id, want[i].id);
			CHECK_EQ_INT(got[i].start, want[i].start);
			CHECK_EQ_INT(got[i].end, want[i].end);
		}
	check_case(before, name);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_textbook(void)
{
	const char *pats[] = { "he", "she", "his", "hers" };
	const uint32_t ids[] = { 1, 2, 3, 4 };
	struct ciot_ac *ac = matcher(pats, NULL, ids, 4);
	/* u s h e r s _ h i s h e
	 * 0 1 2 3 4 5 6 7 8 9 10 11 */
	const struct report want[] = {
		{ 2, 1, 4 }, { 1, 2, 4 }, /* she and he end together: the longer first */
		{ 4, 2, 6 },              /* hers overlaps both */
		{ 3, 7, 10 },             /* his */
		{ 2, 9, 12 }, { 1, 10, 12 }, /* she overlapping his */
	};
	expect(ac, "ushers hishe", 12, want, NELEM(want), "ushers hishe");
	const struct report want2[] = { { 1, 0, 2 }, { 4, 0, 4 }, { 2, 3, 6 }, { 1, 4, 6 }, { 4, 4, 8 } };
	expect(ac, "hershers", 8, want2, NELEM(want2), "hershers");
	expect(ac, "xyz", 3, NULL, 0, "nothing");

	/* a callback that returns false ends the scan there */
	struct report got[8];
	struct sink k = { .r = got, .cap = 8, .stop_after = 2 };
	ciot_ac_scan(ac, (const uint8_t *)"ushers hishe", 12, collect, &k);
	CHECK_EQ_INT(k.n, 2); /* stopped between the two reports at offset 4... */
	k = (struct sink){ .r = got, .cap = 8, .stop_after = 3 };
	ciot_ac_scan(ac, (const uint8_t *)"ushers hishe", 12, collect, &k);
	CHECK_EQ_INT(k.n, 3); /* ...and after hers */
	CHECK_EQ_INT(got[2].id, 4);
	k = (struct sink){ .r = got, .cap = 8, .stop_after = 1 };
	ciot_ac_scan(ac, (const uint8_t *)"ushers hishe", 12, collect, &k);
	CHECK_EQ_INT(k.n, 1);
	CHECK_EQ_INT(got[0].id, 2);
	ciot_ac_free(ac);
}

static void test_suffixes(void)
{
	/* abc is a state of abcx without being a pattern: zabc's dictionary link must pass it to bc */
	const char *pats[] = { "abcd", "bcd", "cd", "d", "zabc", "bc", "abcx" };
	const uint32_t ids[] = { 10, 11, 12, 13, 14, 15, 16 };
	struct ciot_ac *ac = matcher(pats, NULL, ids, NELEM(pats));
	const struct report want[] = {
		{ 15, 2, 4 },
		{ 10, 1, 5 }, { 11, 2, 5 }, { 12, 3, 5 }, { 13, 4, 5 },
		{ 13, 6, 7 },
	};
	expect(ac, "xabcd d", 7, want, NELEM(want), "abcd bcd cd d");
	const struct report want2[] = { { 14, 0, 4 }, { 15, 2, 4 }, { 16, 1, 5 } };
	expect(ac, "zabcx", 5, want2, NELEM(want2), "zabc bc abcx");
	const struct report want3[] = { { 15, 0, 2 }, { 11, 0, 3 }, { 12, 1, 3 }, { 13, 2, 3 } };
	expect(ac, "bcd", 3, want3, NELEM(want3), "bcd alone");
	ciot_ac_free(ac);
}

static void test_duplicates(void)
{
	/* the same bytes under two ids (and one of them again): every addition is reported, in order */
	const char *pats[] = { "key", "ey", "key", "key" };
	const uint32_t ids[] = { 7, 8, 3, 7 };
	struct ciot_ac *ac = matcher(pats, NULL, ids, NELEM(pats));
	const struct report want[] = { { 7, 1, 4 }, { 3, 1, 4 }, { 7, 1, 4 }, { 8, 2, 4 } };
	expect(ac, "akey", 4, want, NELEM(want), "duplicates");
	ciot_ac_free(ac);
}

static void test_nul(void)
{
	const char *pats[] = { "\0\0", "a\0b", "\0", "\xff\x80" };
	const size_t lens[] = { 2, 3, 1, 2 };
	const uint32_t ids[] = { 1, 2, 3, 4 };
	struct ciot_ac *ac = matcher(pats, lens, ids, NELEM(pats));
	const struct report want[] = {
		{ 3, 1, 2 }, { 2, 0, 3 }, { 3, 3, 4 }, { 1, 3, 5 }, { 3, 4, 5 }, { 1, 4, 6 }, { 3, 5, 6 }, { 4, 6, 8 },
	};
	expect(ac, "a\0b\0\0\0\xff\x80", 8, want, NELEM(want), "NUL bytes");
	ciot_ac_free(ac);
}

static void test_empty(void)
{
	const char *pats[] = { "a" };
	const uint32_t ids[] = { 1 };
	struct ciot_ac *ac = matcher(pats, NULL, ids, 1);
	expect(ac, NULL, 0, NULL, 0, "NULL empty text");
	expect(ac, "a", 0, NULL, 0, "empty text");
	ciot_ac_free(ac);

	/* no patterns at all: valid, matches nothing */
	ac = matcher(NULL, NULL, NULL, 0);
	expect(ac, "anything", 8, NULL, 0, "no patterns");
	ciot_ac_free(ac);

	/* not compiled: finds nothing */
	char errbuf[CIOT_ERRBUF_SIZE];
	CHECK_EQ_INT(ciot_ac_new(&ac, errbuf), CIOT_OK);
	CHECK_EQ_INT(ciot_ac_add(ac, (const uint8_t *)"a", 1, 1, errbuf), CIOT_OK);
	expect(ac, "aaa", 3, NULL, 0, "not compiled");
	CHECK_EQ_INT(ciot_ac_patterns(ac), 1);
	ciot_ac_free(ac);
	ciot_ac_free(NULL);
}

static void test_errors(void)
{
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_ac *ac;
	CHECK_EQ_INT(ciot_ac_new(&ac, errbuf), CIOT_OK);
	errbuf[0] = 0;
	CHECK_EQ_INT(ciot_ac_add(ac, (const uint8_t *)"x", 0, 5, errbuf), CIOT_ERR_ARG);
	CHECK_CONTAINS(errbuf, "empty");
	CHECK_EQ_INT(ciot_ac_add(ac, NULL, 0, 5, NULL), CIOT_ERR_ARG);
	CHECK_EQ_INT(ciot_ac_patterns(ac), 0);

	/* the cap: exactly CIOT_AC_MAX_BYTES in all is accepted, one byte more is not */
	uint8_t *big = malloc(CIOT_AC_MAX_BYTES + 1);
	if (!CHECK(big != NULL))
		return;
	memset(big, 'a', CIOT_AC_MAX_BYTES + 1);
	CHECK_EQ_INT(ciot_ac_add(ac, big, CIOT_AC_MAX_BYTES + 1, 6, errbuf), CIOT_ERR_ARG);
	CHECK_EQ_INT(ciot_ac_add(ac, big, SIZE_MAX, 6, errbuf), CIOT_ERR_ARG);
	CHECK_EQ_INT(ciot_ac_add(ac, big, CIOT_AC_MAX_BYTES - 1, 6, errbuf), CIOT_OK);
	CHECK_EQ_INT(ciot_ac_add(ac, big, 2, 7, errbuf), CIOT_ERR_ARG);
	CHECK_CONTAINS(errbuf, "past");
	CHECK_EQ_INT(ciot_ac_add(ac, (const uint8_t *)"b", 1, 8, errbuf), CIOT_OK);
	CHECK_EQ_INT(ciot_ac_add(ac, (const uint8_t *)"c", 1, 9, errbuf), CIOT_ERR_ARG);
	CHECK_EQ_INT(ciot_ac_patterns(ac), 2);
	CHECK_EQ_INT(ciot_ac_compile(ac, errbuf), CIOT_OK);

	/* and the matcher at the cap works: a run of a's one longer than the long pattern, and a b */
	struct report got[4];
	struct sink k = { .r = got, .cap = 4 };
	big[CIOT_AC_MAX_BYTES] = 'b';
	ciot_ac_scan(ac, big, CIOT_AC_MAX_BYTES + 1, collect, &k);
	if (CHECK_EQ_INT(k.n, 3)) {
		CHECK_EQ_INT(got[0].id, 6);
		CHECK_EQ_INT(got[0].start, 0);
		CHECK_EQ_INT(got[1].start, 1);
		CHECK_EQ_INT(got[1].end, CIOT_AC_MAX_BYTES);
		CHECK_EQ_INT(got[2].id, 8);
		CHECK_EQ_INT(got[2].start, CIOT_AC_MAX_BYTES);
	}
	free(big);

	/* compiled: no more patterns, no second compile */
	CHECK_EQ_INT(ciot_ac_add(ac, (const uint8_t *)"d", 1, 10, errbuf), CIOT_ERR_ARG);
	CHECK_CONTAINS(errbuf, "compiled");
	CHECK_EQ_INT(ciot_ac_compile(ac, errbuf), CIOT_ERR_ARG);
	CHECK_EQ_INT(ciot_ac_patterns(ac), 2);
	ciot_ac_free(ac);
}

/* ---- against a naive search ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) /* splitmix64: the same sequence on every run */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

struct patset {
	size_t n;
	uint8_t p[256][8];
	size_t len[256];
	uint32_t id[256];
};

/* The naive search, in the order the matcher promises: by end offset, longer first, then order of
 * addition. */
static size_t naive(const struct patset *ps, const uint8_t *t, size_t n, struct report *out, size_t cap)
{
	size_t nout = 0;
	for (size_t end = 1; end <= n; end++)
		for (size_t len = 8; len >= 1; len--)
			for (size_t i = 0; i < ps->n; i++)
				if (ps->len[i] == len && len <= end && !memcmp(ps->p[i], t + end - len, len) && nout < cap)
					out[nout++] = (struct report){ ps->id[i], end - len, end };
	return nout;
}

static int report_cmp(const void *a, const void *b)
{
	const struct report *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Field by field: a struct report has padding, which memcmp would compare. */
static bool same_reports(const struct report *a, size_t na, const struct report *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].id != b[i].id || a[i].start != b[i].start || a[i].end != b[i].end)
			return false;
	return true;
}

/* ntexts random texts of up to maxtext bytes from alphabet[0..nalpha), npats random patterns of
 * 1..maxlen bytes (maxlen <= 8) from the same alphabet: the matcher's reports must be the naive
 * search's, as a multiset and in order. */
static void cross_check(const char *name, const uint8_t *alphabet, size_t nalpha, size_t npats, size_t maxlen,
			size_t ntexts, size_t maxtext)
{
	unsigned before = check_failures;
	static struct patset ps;
	ps.n = npats;
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_ac *ac;
	if (!CHECK_EQ_INT(ciot_ac_new(&ac, errbuf), CIOT_OK))
		return;
	for (size_t i = 0; i < npats; i++) {
		ps.len[i] = 1 + rng() % maxlen;
		for (size_t j = 0; j < ps.len[i]; j++)
			ps.p[i][j] = alphabet[rng() % nalpha];
		ps.id[i] = (uint32_t)(rng() % (npats / 2 + 1)); /* ids repeat too */
		CHECK_EQ_INT(ciot_ac_add(ac, ps.p[i], ps.len[i], ps.id[i], errbuf), CIOT_OK);
	}
	CHECK_EQ_INT(ciot_ac_compile(ac, errbuf), CIOT_OK);

	enum { CAP = 1 << 14 };
	static struct report want[CAP], got[CAP];
	static uint8_t text[4096];
	unsigned bad_multiset = 0, bad_order = 0, overflow = 0;
	size_t total = 0;
	for (size_t t = 0; t < ntexts && maxtext <= sizeof text; t++) {
		size_t n = rng() % (maxtext + 1);
		for (size_t i = 0; i < n; i++)
			text[i] = alphabet[rng() % nalpha];
		size_t nwant = naive(&ps, text, n, want, CAP);
		struct sink k = { .r = got, .cap = CAP };
		ciot_ac_scan(ac, text, n, collect, &k);
		overflow += k.overflow || nwant == CAP;
		total += nwant;
		bool same_order = same_reports(got, k.n, want, nwant);
		qsort(got, k.n, sizeof *got, report_cmp);
		qsort(want, nwant, sizeof *want, report_cmp);
		bool same_set = same_reports(got, k.n, want, nwant);
		if ((!same_set || !same_order) && !bad_multiset && !bad_order)
			fprintf(stderr, "%s: text %zu (%zu bytes): %zu reports, naive %zu\n", name, t, n, k.n, nwant);
		bad_multiset += !same_set;
		bad_order += !same_order;
	}
	CHECK_EQ_INT(overflow, 0);
	CHECK_EQ_INT(bad_multiset, 0);
	CHECK_EQ_INT(bad_order, 0);
	CHECK(total > ntexts); /* the texts do match: the comparison is not vacuous */
	ciot_ac_free(ac);
	check_case(before, name);
}

static void test_random(void)
{
	const uint8_t abc[] = { 'a', 'b', 'c' };
	cross_check("alphabet abc", abc, 3, 30, 6, 2000, 200);
	const uint8_t high[] = { 0x00, 0x7f, 0x80, 0xff };
	cross_check("alphabet 00 7f 80 ff", high, 4, 40, 8, 500, 300);
	/* many short patterns over a wider alphabet: states with more children than a linear scan takes */
	uint8_t wide[40];
	for (size_t i = 0; i < sizeof wide; i++)
		wide[i] = (uint8_t)(0x41 + 3 * i);
	cross_check("alphabet of 40", wide, 40, 250, 3, 300, 2000);
}

static void test_wide_state(void)
{
	/* "x" followed by every byte value: 256 children of one state, found by bisection */
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_ac *ac;
	CHECK_EQ_INT(ciot_ac_new(&ac, errbuf), CIOT_OK);
	for (unsigned b = 256; b-- > 0;) { /* added in reverse: the matcher sorts */
		uint8_t p[2] = { 'x', (uint8_t)b };
		CHECK_EQ_INT(ciot_ac_add(ac, p, 2, b, errbuf), CIOT_OK);
	}
	CHECK_EQ_INT(ciot_ac_compile(ac, errbuf), CIOT_OK);
	uint8_t text[512];
	for (unsigned b = 0; b < 256; b++) {
		text[2 * b] = 'x';
		text[2 * b + 1] = (uint8_t)b;
	}
	struct report got[300];
	struct sink k = { .r = got, .cap = 300 };
	ciot_ac_scan(ac, text, sizeof text, collect, &k);
	/* each pair once, and "xx" once more across the pairs x,'x' and x,'y' */
	unsigned bad = 0;
	size_t j = 0;
	for (unsigned b = 0; b < 256 && j < k.n; b++, j++) {
		bad += got[j].id != b || got[j].start != 2 * b || got[j].end != 2 * b + 2;
		if (b == 'x') {
			j++;
			bad += j >= k.n || got[j].id != 'x' || got[j].start != 2 * b + 1;
		}
	}
	CHECK_EQ_INT(k.n, 257);
	CHECK_EQ_INT(bad, 0);
	ciot_ac_free(ac);
}

/* ---- threads ---------------------------------------------------------------------------------- */

struct thread_arg {
	const struct ciot_ac *ac;
	const uint8_t *text;
	size_t n, count;
};

static bool count_match(void *ctx, uint32_t id, size_t start, size_t end)
{
	(void)id;
	(void)start;
	(void)end;
	(*(size_t *)ctx)++;
	return true;
}

static void *scan_thread(void *p)
{
	struct thread_arg *a = p;
	for (int i = 0; i < 20; i++)
		ciot_ac_scan(a->ac, a->text, a->n, count_match, &a->count);
	return NULL;
}

static void test_threads(void)
{
	const char *pats[] = { "he", "she", "his", "hers" };
	const uint32_t ids[] = { 1, 2, 3, 4 };
	struct ciot_ac *ac = matcher(pats, NULL, ids, 4);
	static uint8_t text[100000];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = "ushers hi"[i % 9];
	size_t one = 0;
	ciot_ac_scan(ac, text, sizeof text, count_match, &one);
	CHECK(one > 0);
	enum { NT = 4 };
	pthread_t th[NT];
	struct thread_arg args[NT];
	int started = 0;
	for (int t = 0; t < NT; t++) {
		args[t] = (struct thread_arg){ ac, text, sizeof text, 0 };
		started += CHECK_EQ_INT(pthread_create(&th[t], NULL, scan_thread, &args[t]), 0);
	}
	for (int t = 0; t < started; t++) {
		pthread_join(th[t], NULL);
		CHECK_EQ_INT(args[t].count, 20 * one);
	}
	ciot_ac_free(ac);
}

int main(void)
{
	test_textbook();
	test_suffixes();
	test_duplicates();
	test_nul();
	test_empty();
	test_errors();
	test_random();
	test_wide_state();
	test_threads();
	return check_summary("aho-corasick");
}
