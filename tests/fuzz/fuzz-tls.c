/* fuzz-tls.c: a libFuzzer target for the TLS handshake parsers (analyze/lib/tls.h). The input is
 * read as a stream of handshake messages in both framings (TLS's 4-byte header and DTLS's 12-byte
 * one), and every parser runs on every message body found, on every DTLS fragment, and on the
 * whole input as a body; then as an SSLv2 record. Besides the sanitizers' own checks, it traps
 * when a parser breaks a promise tls.h makes: counts past their arrays, strings not terminated,
 * GREASE kept, a body or a certificate outside the input, a result that is not one of the three.
 * How to build and run it (with libFuzzer, or with driver.c as ctest does): README.md beside this
 * file.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tls.h"

#define REQUIRE(cond)                    \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

static void check_result(enum ciot_tls_result r)
{
	REQUIRE(r == CIOT_TLS_OK || r == CIOT_TLS_TRUNCATED || r == CIOT_TLS_MALFORMED);
}

static void check_client_hello(const struct ciot_tls_client_hello *h)
{
	REQUIRE(h->nciphers <= CIOT_TLS_MAX_CIPHERS);
	REQUIRE(h->nversions <= CIOT_TLS_MAX_VERSIONS);
	REQUIRE(memchr(h->sni, 0, sizeof h->sni) != NULL);
	REQUIRE(memchr(h->alpn, 0, sizeof h->alpn) != NULL);
	REQUIRE(h->session_id_len <= sizeof h->session_id_bytes);
	REQUIRE(h->session_id == (h->session_id_len > 0));
	REQUIRE(!h->ciphers_truncated || h->nciphers == CIOT_TLS_MAX_CIPHERS);
	for (unsigned i = 0; i < h->nciphers; i++) {
		REQUIRE(!ciot_tls_is_grease(h->ciphers[i]));
		REQUIRE(ciot_tls_cipher_class(h->ciphers[i]) != NULL);
	}
	for (unsigned i = 0; i < h->nversions; i++)
		REQUIRE(!ciot_tls_is_grease(h->versions[i]));
	char buf[8];
	uint16_t highest = ciot_tls_highest_version(h->versions, h->nversions);
	const char *name = ciot_tls_version_name(highest, buf, sizeof buf);
	REQUIRE(name != NULL && strlen(name) < sizeof buf);
}

struct chain {
	const uint8_t *lo, *hi;
	unsigned n;
};

static void on_certificate(void *ctx, unsigned index, const uint8_t *der, size_t len)
{
	struct chain *c = ctx;
	REQUIRE(index == c->n && index < CIOT_TLS_MAX_CHAIN);
	REQUIRE(len > 0 && der >= c->lo && der <= c->hi && len <= (size_t)(c->hi - der));
	/* touch every byte, so that ASan sees a certificate reaching outside the input */
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + der[i]);
	(void)sum;
	c->n++;
}

static void every_parser(const uint8_t *body, size_t len)
{
	for (int mode = 0; mode < 2; mode++) {
		struct ciot_tls_client_hello ch;
		enum ciot_tls_result r = ciot_tls_parse_client_hello(body, len, mode, &ch);
		check_result(r);
		REQUIRE(r != CIOT_TLS_TRUNCATED);
		check_client_hello(&ch);

		struct ciot_tls_server_hello sh;
		r = ciot_tls_parse_server_hello(body, len, mode, &sh);
		check_result(r);
		REQUIRE(r != CIOT_TLS_TRUNCATED);
		REQUIRE(sh.session_id_len <= sizeof sh.session_id_bytes);
		REQUIRE(ciot_tls_cipher_class(sh.cipher) != NULL);

		struct chain c = { body, body + len, 0 };
		r = ciot_tls_parse_certificate(body, len, mode, on_certificate, &c, NULL);
		check_result(r);
		REQUIRE(r != CIOT_TLS_TRUNCATED);
		REQUIRE(ciot_tls_parse_certificate(body, len, mode, NULL, NULL, NULL) == r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int dtls = 0; dtls < 2; dtls++) {
		size_t header = dtls ? 12 : 4, o = 0;
		while (o < size) {
			uint8_t type;
			const uint8_t *body;
			size_t body_len, consumed;
			enum ciot_tls_result r = ciot_tls_handshake_next(data + o, size - o, dtls, &type,
									 &body, &body_len, &consumed);
			check_result(r);
			if (consumed == 0) {
				REQUIRE(r != CIOT_TLS_OK && body == NULL && body_len == 0);
				break;
			}
			/* OK, or a DTLS fragment that is all there (TRUNCATED, described) */
			REQUIRE(r == CIOT_TLS_OK || (dtls && r == CIOT_TLS_TRUNCATED));
			REQUIRE(consumed <= size - o && consumed == header + body_len);
			REQUIRE(body == data + o + header);
			every_parser(body, body_len);
			o += consumed;
		}
	}
	every_parser(data, size);

	struct ciot_tls_client_hello ch;
	bool is = ciot_tls_is_sslv2_client_hello(data, size);
	enum ciot_tls_result r = ciot_tls_parse_sslv2_client_hello(data, size, &ch);
	check_result(r);
	check_client_hello(&ch);
	REQUIRE(ch.sslv2);
	/* a recognised hello whose whole record is there is never TRUNCATED */
	if (is && (size_t)((data[0] & 0x7f) << 8 | data[1]) + 2 <= size)
		REQUIRE(r != CIOT_TLS_TRUNCATED);

	if (size >= 2) {
		char buf[8];
		uint16_t v = (uint16_t)(data[0] << 8 | data[1]);
		const char *name = ciot_tls_version_name(v, buf, sizeof buf);
		REQUIRE(name != NULL && strlen(name) < sizeof buf);
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(v);
		REQUIRE(c == NULL || (c->id == v && c->name != NULL));
		REQUIRE(ciot_tls_cipher_class(v) != NULL);
		const char *alert = ciot_tls_alert_name(data[0]);
		REQUIRE(alert == NULL || alert[0] != '\0');
	}
	return 0;
}
