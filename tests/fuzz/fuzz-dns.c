/* fuzz-dns.c: libFuzzer target for the DNS response parser (analyze/lib/dns.c): every input is
 * parsed as a UDP message and as DNS-over-TCP, and scanned for DNSSEC records. Build and run:
 * tests/fuzz/README.md. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total = 0;
	ciot_dns_parse_response(data, size, on_address, &total);
	if (size >= 2)
		ciot_dns_parse_response(data + 2, size - 2, on_address, &total);
	(void)ciot_dns_has_dnssec(data, size);
	return 0;
}
