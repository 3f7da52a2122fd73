/* fuzz-pii.c: libFuzzer target for the PII matcher (analyze/analyzers/pii/pii.c): every input is scanned as
 * one buffer, and again as a stream cut into chunks with the carry protocol of pii.h (the last
 * min(n, CIOT_PII_CARRY) bytes in front of the next chunk, each buffer in a heap block of exactly its
 * length, and a flush call at the end on some inputs), with a seeds object holding a few seeds of
 * every kind of encoding, a MAC among them. Besides the sanitizers' checks it traps when a match
 * breaks a promise of pii.h: not start < end <= n, a value longer than CIOT_PII_VALUE_MAX or not
 * NUL-terminated, a kind, method or encoding out of range, matches of one call out of order.
 * Build and run: tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pii.h"

static struct ciot_pii_patterns *patterns;
static struct ciot_pii_scanner *scanner;
static struct ciot_pii_seeds *seeds;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char errbuf[CIOT_ERRBUF_SIZE];
	static const struct ciot_pii_seed list[] = {
		{ CIOT_PII_NAME, (char *)"John Smith" },
		{ CIOT_PII_EMAIL, (char *)"Jane.Doe@Example.com" },
		{ CIOT_PII_PHONE, (char *)"13912345678" },
		{ CIOT_PII_WIFI_PASSWORD, (char *)"s3cret pass!" },
		{ CIOT_PII_IMEI, (char *)"356938035643809" },
		{ CIOT_PII_MAC, (char *)"A4:5E:60:C2:1B:3D" },
	};
	static const uint8_t macs[][6] = { { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e } };
	if (ciot_pii_patterns_new(&patterns, errbuf) || ciot_pii_scanner_new(&scanner, patterns, errbuf) ||
	    ciot_pii_seeds_new(&seeds, list, sizeof list / sizeof list[0], macs, 1, errbuf))
		abort();
	return 0;
}

struct call {
	size_t n, last_start, total;
};

static void on_match(void *ctx, const struct ciot_pii_match *m)
{
	struct call *c = ctx;
	if (m->start >= m->end || m->end > c->n || m->start < c->last_start)
		__builtin_trap();
	c->last_start = m->start;
	if ((unsigned)m->kind >= CIOT_PII_NKINDS || (m->method != CIOT_PII_PATTERN && m->method != CIOT_PII_SEED) ||
	    (unsigned)m->encoding >= CIOT_PII_NENCODINGS)
		__builtin_trap();
	if (!m->value || m->value_len > CIOT_PII_VALUE_MAX || m->value[m->value_len] != '\0')
		__builtin_trap();
	/* touch every byte of the value, so that one outside its buffer shows under ASan */
	for (size_t i = 0; i < m->value_len; i++)
		c->total += (uint8_t)m->value[i];
}

/* One call, on a heap copy of exactly n bytes. */
static void scan(const struct ciot_pii_seeds *s, const uint8_t *p, size_t n, size_t carried, bool from_start,
		 bool more)
{
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return;
	memcpy(buf, p, n);
	struct call c = { n, 0, 0 };
	(void)ciot_pii_scan(scanner, s, buf, n, carried, from_start, more, on_match, &c);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* whole, with and without seeds */
	scan(seeds, data, size, 0, true, false);
	scan(NULL, data, size, 0, true, false);

	/* a stream of chunks of 1 to 512 bytes, the size and the flush chosen by the first byte */
	size_t chunk = size ? 1 + (size_t)data[0] * 2 + (data[0] & 1) : 1;
	bool flush = size && (data[0] & 0x80);
	uint8_t *work = malloc(CIOT_PII_CARRY + chunk);
	if (!work)
		return 0;
	size_t carried = 0;
	bool from_start = true;
	size_t at = 0;
	do {
		size_t len = size - at < chunk ? size - at : chunk;
		memcpy(work + carried, data + at, len);
		at += len;
		scan(seeds, work, carried + len, carried, from_start, at < size || flush);
		size_t n = carried + len, keep = n < CIOT_PII_CARRY ? n : CIOT_PII_CARRY;
		memmove(work, work + n - keep, keep);
		carried = keep;
		from_start = at <= CIOT_PII_CARRY; /* the carry still holds the whole stream */
	} while (at < size);
	if (flush)
		scan(seeds, work, carried, carried, from_start, false);
	free(work);
	return 0;
}
