/* fuzz-dns.c: libFuzzer target for the DNS parsers (analyze/lib/dns.c): every input is parsed as a
 * UDP message and as DNS-over-TCP, walked for its text both ways, and scanned for DNSSEC records.
 * Build and run: tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

static void on_address(void *ctx, const struct ciot_dns_address *a)
{
	/* touch every name, so that a bad pointer or a missing terminator shows under ASan */
	size_t *total = ctx;
	for (unsigned i = 0; i < a->nnames; i++)
		*total += strlen(a->names[i]);
}

static void on_text(void *ctx, enum ciot_dns_text_kind kind, const uint8_t *text, size_t len)
{
	/* a length outside what dns.h promises is a bug even where ASan sees nothing */
	if (len == 0 || len > (kind == CIOT_DNS_TEXT_NAME ? 253u : 255u))
		__builtin_trap();
	/* touch every byte, so that a text outside the input or the name buffer shows under ASan */
	size_t *total = ctx;
	for (size_t i = 0; i < len; i++)
		*total += text[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total = 0;
	ciot_dns_parse_response(data, size, on_address, &total);
	(void)ciot_dns_walk_text(data, size, on_text, &total);
	if (size >= 2) {
		ciot_dns_parse_response(data + 2, size - 2, on_address, &total);
		(void)ciot_dns_walk_text(data + 2, size - 2, on_text, &total);
	}
	(void)ciot_dns_has_dnssec(data, size);
	return 0;
}
