/* aho-corasick.c: the multi-pattern matcher of aho-corasick.h.
 *
 * Until compiled, a matcher only collects the patterns' bytes. Compiling builds the trie of the
 * patterns and lays it out breadth first, children in byte order, so that the children of any state
 * are consecutive states: a state keeps the number of its first child, the next state's first child
 * ends the range, and labels[c] is the byte on the edge into c. An edge costs one byte, and a state
 * 16 bytes plus its label: 17 bytes (300 patterns of 30 bytes make at most 9000 states, 150 kilobytes),
 * and each pattern 8 more. Finding a byte among a state's children compares 8 labels at once in a
 * 64-bit word (child_of), after bisecting the sorted labels when there are more than 16; past the
 * first level nearly every state has one child. The root, which a scan comes back to after every
 * mismatch, has a dense 256-entry table instead, and a scan at the root passes bytes that start no
 * pattern on that table alone.
 *
 * The trie is built without searching any state's children: in sorted order a pattern shares with
 * its predecessor the longest prefix it shares with any earlier pattern, so it follows the
 * predecessor's path that far and adds the rest, and the one edge it adds to an existing state
 * comes after every edge that state has in byte order.
 *
 * Failure links (the state of the longest proper suffix of a state's string that is also a state)
 * are computed in breadth-first order, which is the states' own order. A scan follows them when a
 * state has no edge for the next byte; each byte moves one level deeper at most, so the scan is
 * linear in the text. Reporting follows dictionary suffix links: a state's `match` is itself if
 * patterns end there, else the nearest state down its failure chain where some do, so reporting
 * costs the matches and nothing else. Patterns ending at one state (the same bytes added again) sit
 * in consecutive entries of `outs`, in the order they were added.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aho-corasick.h"

/* Bytes after the last label that child_of's 8-byte words may read. */
#define LABEL_PAD 8

struct state {
	uint32_t child; /* first child; the children are the states child .. (this state + 1)->child - 1 */
	uint32_t fail;  /* the longest proper suffix of this state's string that is a state; 0 is the root */
	uint32_t match; /* this state if patterns end here, else the first down its failure chain where some do; 0 none */
	uint32_t out;   /* the patterns ending here are outs[out .. (this state + 1)->out) */
};

struct out {
	uint32_t id, len;
};

/* A pattern as added, its bytes at bytes[off .. off + len). */
struct pattern {
	uint32_t off, len, id;
};

struct ciot_ac {
	/* until compiled */
	uint8_t *bytes;
	size_t nbytes, cap_bytes;
	struct pattern *pats;
	size_t npats, cap_pats;
	/* compiled */
	bool compiled;
	uint32_t nstates;
	struct state *states; /* nstates + 1: the last one only ends the previous one's ranges */
	uint8_t *labels;      /* per state, the byte of the edge into it; LABEL_PAD more bytes after */
	struct out *outs;     /* npats */
	uint32_t root[256];   /* the root's children by byte; 0 where none */
};

/* A pattern as compiling sorts them, and the trie node where it ends. */
struct key {
	const uint8_t *p;
	uint32_t len, id, seq, node;
};

/* A trie node while compiling, before the breadth-first layout gives it its state number. */
struct tnode {
	uint32_t first, next, last, state;
	uint8_t byte;
};

/* p grown to hold at least need elements of size bytes (doubling), or NULL; p unchanged if it already does. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 64;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return NULL;
	void *q = realloc(p, n * size);
	if (q)
		*cap = n;
	return q;
}

enum ciot_rc ciot_ac_new(struct ciot_ac **out, char *errbuf)
{
	*out = calloc(1, sizeof **out);
	return *out ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
}

enum ciot_rc ciot_ac_add(struct ciot_ac *ac, const uint8_t *pattern, size_t len, uint32_t id, char *errbuf)
{
	if (ac->compiled)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "pattern %" PRIu32 " added to a matcher already compiled", id);
	if (len == 0 || !pattern)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "pattern %" PRIu32 " is empty", id);
	if (len > CIOT_AC_MAX_BYTES - ac->nbytes)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "pattern %" PRIu32 " (%zu bytes) takes the matcher past %u bytes",
				 id, len, CIOT_AC_MAX_BYTES);
	uint8_t *bytes = grow(ac->bytes, &ac->cap_bytes, ac->nbytes + len, 1);
	if (!bytes)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	ac->bytes = bytes;
	struct pattern *pats = grow(ac->pats, &ac->cap_pats, ac->npats + 1, sizeof *pats);
	if (!pats)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	ac->pats = pats;
	memcpy(ac->bytes + ac->nbytes, pattern, len);
	ac->pats[ac->npats++] = (struct pattern){ .off = (uint32_t)ac->nbytes, .len = (uint32_t)len, .id = id };
	ac->nbytes += len;
	return CIOT_OK;
}

/* Byte order, a prefix before what extends it, and equal patterns in the order they were added. */
static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The child of s (not the root) along byte b, 0 when none. A few labels at a time, 8 to a 64-bit
 * word, where the byte equal to b is the word's first zero byte after xor with b in every byte: a
 * search that branches on each label mispredicts on most, and payload text sends a scan into the
 * first-level states for a good part of its bytes (hex digits, base64 letters). States with more
 * than 16 children bisect down to 16 first. The words may read past the last state's labels into
 * the padding after them; the mask drops whatever lies past hi. */
static inline uint32_t child_of(const struct state *st, const uint8_t *labels, uint32_t s, uint8_t b)
{
	uint32_t lo = st[s].child, hi = st[s + 1].child;
	while (hi - lo > 16) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (labels[mid] > b)
			hi = mid;
		else
			lo = mid;
	}
	const uint64_t ones = 0x0101010101010101u;
	for (; lo < hi; lo += 8) {
		uint64_t w;
		memcpy(&w, labels + lo, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w); /* the first label in the low byte, where borrows start */
#endif
		w ^= ones * b;
		/* the lowest flagged byte is exactly the first zero byte; flags above it may be false */
		uint64_t z = (w - ones) & ~w & (ones << 7);
		if (hi - lo < 8)
			z &= (UINT64_C(1) << (8 * (hi - lo))) - 1;
		if (z)
			return lo + (uint32_t)__builtin_ctzll(z) / 8;
	}
	return 0;
}

/* The state after s on byte b: its edge, else its failure chain's first edge on b. */
static inline uint32_t step(const struct ciot_ac *ac, uint32_t s, uint8_t b)
{
	for (; s; s = ac->states[s].fail) {
		uint32_t c = child_of(ac->states, ac->labels, s, b);
		if (c)
			return c;
	}
	return ac->root[b];
}

enum ciot_rc ciot_ac_compile(struct ciot_ac *ac, char *errbuf)
{
	if (ac->compiled)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "matcher compiled twice");
	/* at most one node per pattern byte, and CIOT_AC_MAX_BYTES keeps them all in 32 bits */
	size_t npats = ac->npats, maxnodes = ac->nbytes + 1, maxlen = 0;
	for (size_t k = 0; k < npats; k++)
		if (ac->pats[k].len > maxlen)
			maxlen = ac->pats[k].len;
	/* everything at once, so that a failure leaves the matcher as it was */
	struct key *keys = calloc(npats ? npats : 1, sizeof *keys);
	struct tnode *tn = calloc(maxnodes, sizeof *tn);
	uint32_t *path = calloc(maxlen + 1, sizeof *path);
	uint32_t *order = calloc(maxnodes, sizeof *order);
	struct state *st = calloc(maxnodes + 1, sizeof *st);
	uint8_t *labels = calloc(maxnodes + LABEL_PAD, 1);
	struct out *outs = calloc(npats ? npats : 1, sizeof *outs);
	if (!keys || !tn || !path || !order || !st || !labels || !outs) {
		free(keys);
		free(tn);
		free(path);
		free(order);
		free(st);
		free(labels);
		free(outs);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory compiling %zu patterns", npats);
	}

	for (size_t k = 0; k < npats; k++)
		keys[k] = (struct key){ .p = ac->bytes + ac->pats[k].off, .len = ac->pats[k].len,
					.id = ac->pats[k].id, .seq = (uint32_t)k };
	qsort(keys, npats, sizeof *keys, key_cmp);

	/* the trie: path[d] is the node of the previous pattern's first d bytes */
	uint32_t nnodes = 1;
	for (size_t k = 0; k < npats; k++) {
		struct key *key = &keys[k];
		uint32_t d = 0;
		if (k) {
			const struct key *prev = &keys[k - 1];
			uint32_t m = prev->len < key->len ? prev->len : key->len;
			while (d < m && prev->p[d] == key->p[d])
				d++;
		}
		for (; d < key->len; d++) {
			uint32_t parent = path[d], t = nnodes++;
			tn[t].byte = key->p[d];
			if (tn[parent].last)
				tn[tn[parent].last].next = t;
			else
				tn[parent].first = t;
			tn[parent].last = t;
			path[d + 1] = t;
		}
		key->node = path[key->len];
	}

	/* breadth-first layout; node 0, the root, is nobody's child, so 0 ends a sibling list */
	uint32_t nq = 1;
	for (uint32_t q = 0; q < nnodes; q++) {
		st[q].child = nq;
		for (uint32_t c = tn[order[q]].first; c; c = tn[c].next) {
			tn[c].state = nq;
			labels[nq] = tn[c].byte;
			order[nq++] = c;
		}
	}
	st[nnodes].child = nnodes;

	/* outputs: count per state, prefix sums in state order, then fill; equal patterns are adjacent
	 * in sorted order, so each state's entries are written in one run */
	for (size_t k = 0; k < npats; k++)
		st[tn[keys[k].node].state].out++;
	uint32_t sum = 0;
	for (uint32_t s = 0; s <= nnodes; s++) {
		uint32_t c = st[s].out;
		st[s].out = sum;
		sum += c;
	}
	for (size_t k = 0, pos = 0; k < npats; k++) {
		if (k == 0 || keys[k].node != keys[k - 1].node)
			pos = st[tn[keys[k].node].state].out;
		outs[pos++] = (struct out){ .id = keys[k].id, .len = keys[k].len };
	}
	free(keys);
	free(tn);
	free(path);
	free(order);

	ac->states = st;
	ac->labels = labels;
	ac->outs = outs;
	ac->nstates = nnodes;
	memset(ac->root, 0, sizeof ac->root);
	for (uint32_t c = st[0].child; c < st[1].child; c++)
		ac->root[labels[c]] = c;
	/* a child's failure link is one step from its parent's, which is shallower and so done already */
	for (uint32_t s = 0; s < nnodes; s++)
		for (uint32_t c = st[s].child; c < st[s + 1].child; c++) {
			uint32_t f = s ? step(ac, st[s].fail, labels[c]) : 0;
			st[c].fail = f;
			st[c].match = st[c].out < st[c + 1].out ? c : st[f].match;
		}

	free(ac->bytes);
	free(ac->pats);
	ac->bytes = NULL;
	ac->pats = NULL;
	ac->nbytes = ac->cap_bytes = ac->cap_pats = 0;
	ac->compiled = true;
	return CIOT_OK;
}

/* Reports the patterns of match state t and of the match states down its failure chain, which end
 * at the same offset and are shorter, so longest first. false when fn stopped the scan. */
static bool report(const struct ciot_ac *ac, uint32_t t, size_t end, ciot_ac_match_fn fn, void *ctx)
{
	const struct state *st = ac->states;
	for (; t; t = st[st[t].fail].match)
		for (uint32_t k = st[t].out; k < st[t + 1].out; k++)
			if (!fn(ctx, ac->outs[k].id, end - ac->outs[k].len, end))
				return false;
	return true;
}

void ciot_ac_scan(const struct ciot_ac *ac, const uint8_t *text, size_t n, ciot_ac_match_fn fn, void *ctx)
{
	if (!ac->compiled)
		return;
	const struct state *st = ac->states;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++) {
		if (s) {
			s = step(ac, s, text[i]);
		} else {
			/* most bytes of ordinary text lead nowhere from the root: pass them on its table alone */
			while (!(s = ac->root[text[i]]))
				if (++i == n)
					return;
		}
		if (st[s].match && !report(ac, st[s].match, i + 1, fn, ctx))
			return;
	}
}

size_t ciot_ac_patterns(const struct ciot_ac *ac)
{
	return ac->npats;
}

void ciot_ac_free(struct ciot_ac *ac)
{
	if (!ac)
		return;
	free(ac->bytes);
	free(ac->pats);
	free(ac->states);
	free(ac->labels);
	free(ac->outs);
	free(ac);
}
