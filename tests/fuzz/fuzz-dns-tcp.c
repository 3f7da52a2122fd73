/* fuzz-dns-tcp.c: libFuzzer target for DNS over TCP framing (ciot_dns_tcp_messages, analyze/lib/dns.c):
 * the input is a TCP segment's payload from port 53; every message the framing hands out must lie
 * inside it, in order and without overlap, and is parsed as a response. Build and run:
 * tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

struct walk {
	const uint8_t *buf, *next;
	size_t len, total;
};

static void on_address(void *ctx, const struct ciot_dns_address *a)
{
	size_t *total = ctx;
	for (unsigned i = 0; i < a->nnames; i++)
		*total += strlen(a->names[i]);
}

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct walk *w = ctx;
	if (msg < w->next || msg + len > w->buf + w->len)
		__builtin_trap();
	w->next = msg + len;
	ciot_dns_parse_response(msg, len, on_address, &w->total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { data, data, size, 0 };
	bool whole = ciot_dns_tcp_messages(data, size, NULL, NULL);
	if (ciot_dns_tcp_messages(data, size, on_message, &w) != whole)
		__builtin_trap();
	return 0;
}
