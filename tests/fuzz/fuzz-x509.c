/* fuzz-x509.c: libFuzzer target for the certificate path (x509.h): ciot_x509_parse and
 * ciot_x509_judge_chain against the system trust store, opened once. Build and run (with libFuzzer,
 * or with driver.c as ctest does) as tests/fuzz/README.md says.
 *
 * The input is read as a presented chain: consecutive DER elements, split on their own outer
 * tag-length headers the way a TLS Certificate message holds them one after another (a single
 * certificate is a chain of one; a length running past the end makes the rest one truncated
 * piece). The whole input is parsed once as one certificate, then every piece is parsed in a heap
 * block of exactly its length, so that AddressSanitizer sees any read past a piece, and the pieces
 * are judged as a chain at a time and for a host picked from the input's length.
 *
 * Beyond crashes and leaks, the target aborts when the library breaks a promise of x509.h: a text
 * field not terminated, or not printable ASCII (the fields go to CSV files and terminals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509.h"

#define PIECES_MAX 8

static struct ciot_x509_trust *trust;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[CIOT_ERRBUF_SIZE];
	if (ciot_x509_trust_open(&trust, NULL, err) != CIOT_OK) {
		fprintf(stderr, "fuzz-x509: %s\n", err);
		abort();
	}
	return 0;
}

static void require_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		abort(); /* not terminated */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort(); /* a byte that could break a CSV line or a terminal */
}

static void parse_one(const uint8_t *p, size_t n)
{
	struct ciot_x509_info info;
	char err[CIOT_ERRBUF_SIZE];
	if (ciot_x509_parse(p, n, &info, err) != CIOT_OK) {
		require_text(err, sizeof err);
		return;
	}
	if (strlen(info.sha256) != 64)
		abort();
	require_text(info.subject, sizeof info.subject);
	require_text(info.issuer, sizeof info.issuer);
	require_text(info.serial, sizeof info.serial);
	require_text(info.sans, sizeof info.sans);
	require_text(info.sig_alg, sizeof info.sig_alg);
	require_text(info.key_type, sizeof info.key_type);
	require_text(info.curve, sizeof info.curve);
	char text[128];
	ciot_x509_findings_text(info.findings, text, sizeof text);
	require_text(text, sizeof text);
}

/* The length of the DER element at p (header included), or the rest of the input when its header
 * is broken or its length runs past the end. */
static size_t element_length(const uint8_t *p, size_t left)
{
	if (left < 2)
		return left;
	size_t len = p[1], hdr = 2;
	if (len & 0x80) {
		size_t octets = len & 0x7f;
		if (octets == 0 || octets > 4 || left < 2 + octets)
			return left;
		len = 0;
		for (size_t i = 0; i < octets; i++)
			len = len << 8 | p[2 + i];
		hdr += octets;
	}
	return len > left - hdr ? left : hdr + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_one(data, size);

	uint8_t *pieces[PIECES_MAX];
	size_t lens[PIECES_MAX], n = 0;
	for (size_t off = 0; off < size && n < PIECES_MAX; n++) {
		size_t len = element_length(data + off, size - off);
		pieces[n] = malloc(len);
		if (!pieces[n])
			break;
		memcpy(pieces[n], data + off, len);
		lens[n] = len;
		off += len;
	}
	for (size_t i = 0; i < n; i++)
		if (n > 1)
			parse_one(pieces[i], lens[i]);

	/* the seeds' capture time (sites.pcapng, frame 494) and a later one; a host name, an IP
	 * literal or none */
	static const char *const hosts[] = { "pandora.com", "192.0.2.7", NULL, "www.pandora.com" };
	int64_t at = size % 2 ? INT64_C(1646568788) : INT64_C(1704067200);
	char why[128];
	unsigned findings = ciot_x509_judge_chain(trust, (const uint8_t *const *)pieces, lens, n, at,
						  hosts[size % 4], why, sizeof why);
	require_text(why, sizeof why);
	if (findings & ~0xffu)
		abort();

	for (size_t i = 0; i < n; i++)
		free(pieces[i]);
	return 0;
}
