/* env.c: the environments of ciot/shape.h: the system's (monotonic clock, OpenSSL's generator) and
 * the virtual one (time set by the caller, a ChaCha20 keystream from a seed), and uniform numbers
 * drawn from either.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ciot/shape.h"

static int64_t system_now(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void system_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	/* RAND_bytes fails only when the generator cannot be seeded, where nothing random (padding,
	 * cover, the schedule) could be trusted: stopping beats sending guessable bytes */
	while (n > 0) {
		int k = n > (1u << 30) ? 1 << 30 : (int)n;
		if (RAND_bytes(out, k) != 1)
			abort();
		out += k;
		n -= (size_t)k;
	}
}

const struct ciot_shape_env *ciot_shape_env_system(void)
{
	static const struct ciot_shape_env env = { system_now, system_random, NULL };
	return &env;
}

#define KEYSTREAM_BLOCK 4096

struct ciot_shape_virtual {
	struct ciot_shape_env env;
	int64_t now;
	EVP_CIPHER_CTX *cipher;
	uint8_t block[KEYSTREAM_BLOCK];
	size_t used;                  /* bytes of block already handed out */
};

static int64_t virtual_now(void *ctx)
{
	return ((struct ciot_shape_virtual *)ctx)->now;
}

static void virtual_random(void *ctx, uint8_t *out, size_t n)
{
	struct ciot_shape_virtual *v = ctx;
	static const uint8_t zeros[KEYSTREAM_BLOCK];
	while (n > 0) {
		if (v->used == KEYSTREAM_BLOCK) {
			int len = 0;
			/* the keystream is what ChaCha20 adds to zeros; the context cannot fail once set up */
			if (EVP_EncryptUpdate(v->cipher, v->block, &len, zeros, KEYSTREAM_BLOCK) != 1 ||
			    len != KEYSTREAM_BLOCK)
				abort();
			v->used = 0;
		}
		size_t k = KEYSTREAM_BLOCK - v->used < n ? KEYSTREAM_BLOCK - v->used : n;
		memcpy(out, v->block + v->used, k);
		v->used += k;
		out += k;
		n -= k;
	}
}

enum ciot_rc ciot_shape_virtual_new(struct ciot_shape_virtual **out, uint64_t seed, char *errbuf)
{
	*out = NULL;
	struct ciot_shape_virtual *v = calloc(1, sizeof *v);
	if (!v)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	uint8_t key[32] = { 0 }, iv[16] = { 0 };
	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(seed >> (8 * i));
	v->cipher = EVP_CIPHER_CTX_new();
	if (!v->cipher || EVP_EncryptInit_ex(v->cipher, EVP_chacha20(), NULL, key, iv) != 1) {
		ciot_shape_virtual_free(v);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "cannot set up ChaCha20");
	}
	v->used = KEYSTREAM_BLOCK;
	v->env = (struct ciot_shape_env){ virtual_now, virtual_random, v };
	*out = v;
	return CIOT_OK;
}

void ciot_shape_virtual_free(struct ciot_shape_virtual *v)
{
	if (!v)
		return;
	EVP_CIPHER_CTX_free(v->cipher);
	free(v);
}

const struct ciot_shape_env *ciot_shape_virtual_env(struct ciot_shape_virtual *v)
{
	return &v->env;
}

void ciot_shape_virtual_set(struct ciot_shape_virtual *v, int64_t now_ns)
{
	v->now = now_ns;
}

static uint64_t random_u64(const struct ciot_shape_env *env)
{
	uint8_t b[8];
	env->random_bytes(env->ctx, b, sizeof b);
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return x;
}

double ciot_shape_random_unit(const struct ciot_shape_env *env)
{
	return (double)(random_u64(env) >> 11) * 0x1.0p-53;
}

uint64_t ciot_shape_random_below(const struct ciot_shape_env *env, uint64_t n)
{
	if (n <= 1)
		return 0;
	/* rejection: the values past the last whole multiple of n would favour the small ones */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	for (;;) {
		uint64_t x = random_u64(env);
		if (x < limit)
			return x % n;
	}
}
