/* strpool.c: the interning pool of strpool.h (FNV-1a hash, linear probing, grows at half full). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "strpool.h"

static bool grow_slots(struct ciot_strpool *p)
{
	size_t n = p->nslots ? p->nslots * 2 : 256;
	uint32_t *slots = calloc(n, sizeof *slots);
	if (!slots)
		return false;
	for (size_t i = 0; i < p->nslots; i++) {
		uint32_t id = p->slots[i];
		if (!id)
			continue;
		const char *s = p->data + id - 1;
		size_t j = ciot_fnv1a(s, strlen(s)) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = id;
	}
	free(p->slots);
	p->slots = slots;
	p->nslots = n;
	return true;
}

/* The slot holding s[0..n), or the empty slot where it would go. */
static size_t slot_of(const struct ciot_strpool *p, const char *s, size_t n)
{
	size_t j = ciot_fnv1a(s, n) & (p->nslots - 1);
	for (; p->slots[j]; j = (j + 1) & (p->nslots - 1)) {
		const char *t = p->data + p->slots[j] - 1;
		if (!strncmp(t, s, n) && t[n] == 0)
			break;
	}
	return j;
}

uint32_t ciot_strpool_find(const struct ciot_strpool *p, const char *s, size_t n)
{
	return p->nslots ? p->slots[slot_of(p, s, n)] : 0;
}

uint32_t ciot_strpool_intern(struct ciot_strpool *p, const char *s, size_t n)
{
	if ((p->count + 1) * 2 > p->nslots && !grow_slots(p)) {
		p->refused++;
		return 0;
	}
	size_t j = slot_of(p, s, n);
	if (p->slots[j])
		return p->slots[j];
	if (n + 1 > CIOT_STRPOOL_MAX_BYTES - p->len) {
		p->refused++;
		return 0;
	}
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + n + 1)
			cap *= 2;
		char *data = realloc(p->data, cap);
		if (!data) {
			p->refused++;
			return 0;
		}
		p->data = data;
		p->cap = cap;
	}
	uint32_t id = (uint32_t)p->len + 1;
	memcpy(p->data + p->len, s, n);
	p->data[p->len + n] = 0;
	p->len += n + 1;
	p->slots[j] = id;
	p->count++;
	return id;
}

const char *ciot_strpool_get(const struct ciot_strpool *p, uint32_t id)
{
	return id && id <= p->len ? p->data + id - 1 : NULL;
}

void ciot_strpool_free(struct ciot_strpool *p)
{
	free(p->data);
	free(p->slots);
	memset(p, 0, sizeof *p);
}
