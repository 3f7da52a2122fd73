/* attribution.c: who runs a remote endpoint, and which party that is to a device (attribution.h).
 *
 * The rules are six tab-separated files in datasets/attribution (its README.md is their reference):
 * roles, organizations, domain suffixes, AS numbers and AS-name patterns, brand tokens, public
 * services. They are loaded once into tables shaped for the per-flow lookup, which allocates
 * nothing: domain suffixes, organizations, brands and public-service names sit in open-addressing
 * hash tables keyed by lower-case text (a host name's suffixes are tried longest first, one lookup
 * per label boundary), AS numbers and public-service addresses in sorted arrays searched by
 * bisection, and the few dozen AS-name patterns in a list sorted longest first. The loader rejects
 * whatever a typo could turn into a silent mistake -- a wrong column count, an unknown role or
 * organization, a duplicate key, a parent cycle -- and names the file and line.
 *
 * Organizations form companies through their parent column: two organizations with the same top
 * parent are one company. A device's maker, app vendor and ecosystem match every organization of
 * their company (an Alibaba speaker's Alibaba Cloud endpoints are first party); an organization a
 * privacy policy names matches itself and the organizations below it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "attribution.h"

#define MAX_LINE 1024       /* bytes of one line of a rule file, its end not counted */
#define MAX_KEY 200         /* bytes of a key, a pattern or an organization's name */
#define MAX_HOST 253        /* bytes of a DNS name without its final dot */
#define MAX_AS_ORG 255      /* bytes of an AS name searched for patterns */
#define MAX_DEPTH 8         /* parent links from an organization up to its company */
#define MAX_ROWS 1000000    /* rows of one rule file */
#define MAX_COLUMNS 5
#define NONE (-1)

/* ---- names ----------------------------------------------------------------------------------- */

static const char *const party_names[] = { "first", "support", "third" };
static const char *const convention_names[] = { "third", "support", "org" };

const char *ciot_party_name(enum ciot_party p)
{
	return (unsigned)p < sizeof party_names / sizeof party_names[0] ? party_names[p] : "invalid";
}

bool ciot_public_convention_parse(const char *name, enum ciot_public_convention *out)
{
	for (size_t i = 0; name && i < sizeof convention_names / sizeof convention_names[0]; i++)
		if (!strcmp(name, convention_names[i])) {
			*out = (enum ciot_public_convention)i;
			return true;
		}
	return false;
}

const char *ciot_public_convention_name(enum ciot_public_convention c)
{
	return (unsigned)c < sizeof convention_names / sizeof convention_names[0] ? convention_names[c]
										  : "invalid";
}

/* ---- the tables ------------------------------------------------------------------------------ */

struct role {
	char *name;
	bool support;
};

struct org {
	char *name, *key; /* key: the name in lower case */
	int32_t role, parent, top;
	char *parent_name; /* while loading */
	unsigned line;
};

struct domain_rule {
	char *suffix;
	int32_t org;
};

struct as_number {
	uint32_t asn;
	int32_t org; /* NONE: the AS has no organization (an exception) */
	unsigned line;
};

struct as_pattern {
	char *text;  /* as written, for the rule string */
	char *lower; /* what is searched for */
	size_t len;
	int32_t org; /* NONE: an exception to a shorter pattern */
	unsigned line;
};

struct brand {
	char *token;
	int32_t maker, ecosystem, app;
};

enum public_kind { PUBLIC_DNS, PUBLIC_NTP };
static const char *const public_kind_names[] = { "dns", "ntp" };

struct public_service {
	char *key; /* a name suffix or an address, as written */
	enum public_kind kind;
	int32_t org;
};

struct public_addr {
	uint8_t addr[16];
	int32_t service;
	unsigned line;
};

/* Lower-case text -> index; keys are borrowed from the tables. */
struct slot {
	const char *key;
	size_t len;
	int32_t value;
};

struct strmap {
	struct slot *slots;
	size_t cap, count;
};

struct ciot_rules {
	struct role *roles;
	size_t nroles, roles_cap;
	struct org *orgs;
	size_t norgs, orgs_cap;
	struct domain_rule *domains;
	size_t ndomains, domains_cap;
	struct as_number *asns;
	size_t nasns, asns_cap;
	struct as_pattern *patterns;
	size_t npatterns, patterns_cap;
	struct brand *brands;
	size_t nbrands, brands_cap;
	struct public_service *publics;
	size_t npublics, publics_cap;
	struct public_addr *public_addrs;
	size_t npublic_addrs, public_addrs_cap;
	struct strmap org_map, domain_map, brand_map, public_map;
};

static void *grow(void *array, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return array;
	size_t n = *cap ? *cap * 2 : 64;
	if (n > SIZE_MAX / size)
		return NULL;
	void *p = realloc(array, n * size);
	if (p)
		*cap = n;
	return p;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Copies s lower-cased into out (cap bytes with the NUL); false when it does not fit. */
static bool lower_copy(const char *s, char *out, size_t cap, size_t *len)
{
	size_t n = 0;
	for (; s[n]; n++) {
		if (n + 1 >= cap)
			return false;
		out[n] = lower(s[n]);
	}
	out[n] = 0;
	*len = n;
	return true;
}

static bool equal_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

static uint32_t hash_text(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int32_t map_get(const struct strmap *m, const char *key, size_t len)
{
	if (!m->cap)
		return NONE;
	size_t mask = m->cap - 1;
	for (size_t i = hash_text(key, len) & mask;; i = (i + 1) & mask) {
		const struct slot *s = &m->slots[i];
		if (!s->key)
			return NONE;
		if (s->len == len && !memcmp(s->key, key, len))
			return s->value;
	}
}

static void map_insert(struct strmap *m, const char *key, size_t len, int32_t value)
{
	size_t mask = m->cap - 1, i = hash_text(key, len) & mask;
	while (m->slots[i].key)
		i = (i + 1) & mask;
	m->slots[i] = (struct slot){ key, len, value };
	m->count++;
}

/* Adds key (lower case, borrowed) unless present: 0 added, 1 already there (*existing), -1 no memory. */
static int map_put(struct strmap *m, const char *key, int32_t value, int32_t *existing)
{
	size_t len = strlen(key);
	int32_t found = map_get(m, key, len);
	if (found != NONE) {
		*existing = found;
		return 1;
	}
	if ((m->count + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct slot *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return -1;
		struct strmap bigger = { slots, cap, 0 };
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				map_insert(&bigger, m->slots[i].key, m->slots[i].len, m->slots[i].value);
		free(m->slots);
		*m = bigger;
	}
	map_insert(m, key, len, value);
	return 0;
}

void ciot_rules_free(struct ciot_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nroles; i++)
		free(r->roles[i].name);
	for (size_t i = 0; i < r->norgs; i++) {
		free(r->orgs[i].name);
		free(r->orgs[i].key);
		free(r->orgs[i].parent_name);
	}
	for (size_t i = 0; i < r->ndomains; i++)
		free(r->domains[i].suffix);
	for (size_t i = 0; i < r->npatterns; i++) {
		free(r->patterns[i].text);
		free(r->patterns[i].lower);
	}
	for (size_t i = 0; i < r->nbrands; i++)
		free(r->brands[i].token);
	for (size_t i = 0; i < r->npublics; i++)
		free(r->publics[i].key);
	free(r->roles);
	free(r->orgs);
	free(r->domains);
	free(r->asns);
	free(r->patterns);
	free(r->brands);
	free(r->publics);
	free(r->public_addrs);
	free(r->org_map.slots);
	free(r->domain_map.slots);
	free(r->brand_map.slots);
	free(r->public_map.slots);
	free(r);
}

/* ---- reading a rule file --------------------------------------------------------------------- */

struct reader {
	FILE *f;
	char path[PATH_MAX];
	unsigned line;
	char buf[MAX_LINE + 1];
	char *col[MAX_COLUMNS];
	size_t ncol;
	char *errbuf;
};

static enum ciot_rc bad_line(struct reader *rd, const char *what, const char *value)
{
	if (value)
		return ciot_fail(rd->errbuf, CIOT_ERR_FORMAT, "%s:%u: %s \"%.*s\"", rd->path, rd->line, what,
				 MAX_KEY, value);
	return ciot_fail(rd->errbuf, CIOT_ERR_FORMAT, "%s:%u: %s", rd->path, rd->line, what);
}

static enum ciot_rc no_memory(struct reader *rd)
{
	return ciot_fail(rd->errbuf, CIOT_ERR_NOMEM, "%s: out of memory", rd->path);
}

static enum ciot_rc open_reader(struct reader *rd, const char *dir, const char *name, char *errbuf)
{
	memset(rd, 0, sizeof *rd);
	rd->errbuf = errbuf;
	if (!dir)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "attribution rules: no folder given");
	if (snprintf(rd->path, sizeof rd->path, "%s/%s", dir, name) >= (int)sizeof rd->path)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "attribution rules: folder name too long");
	rd->f = fopen(rd->path, "r");
	if (!rd->f)
		return ciot_fail(errbuf, CIOT_ERR_IO,
				 "%s: cannot open (%s); the attribution rules are in datasets/attribution", rd->path,
				 strerror(errno));
	return CIOT_OK;
}

/* The next row of the file, split into at most `max` columns: tab-separated, a run of tabs counting
 * as one, the last column taking the rest of the line (a free-text note). Blank lines and lines
 * whose first visible character is '#' are skipped. *got is false at the end of the file. */
static enum ciot_rc next_row(struct reader *rd, size_t min, size_t max, const char *columns, bool *got)
{
	*got = false;
	for (;;) {
		size_t n = 0;
		int c;
		bool any = false;
		while ((c = getc(rd->f)) != EOF) {
			any = true;
			if (c == '\n')
				break;
			if (n >= MAX_LINE) {
				char what[64];
				snprintf(what, sizeof what, "line longer than %d bytes", MAX_LINE);
				rd->line++;
				return bad_line(rd, what, NULL);
			}
			rd->buf[n++] = (char)c;
		}
		if (ferror(rd->f))
			return ciot_fail(rd->errbuf, CIOT_ERR_IO, "%s: read error", rd->path);
		if (!any)
			return CIOT_OK;
		rd->line++;
		if (rd->line > MAX_ROWS)
			return bad_line(rd, "too many lines", NULL);
		if (n && rd->buf[n - 1] == '\r')
			n--;
		rd->buf[n] = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char b = (unsigned char)rd->buf[i];
			if ((b < 0x20 && b != '\t') || b == 0x7f)
				return bad_line(rd, "control character in line", NULL);
		}
		char *p = rd->buf;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		rd->ncol = 0;
		while (*p) {
			while (*p == '\t')
				p++;
			if (!*p)
				break;
			char *start = p;
			if (rd->ncol + 1 < max)
				while (*p && *p != '\t')
					p++;
			else
				p += strlen(p);
			char *end = p;
			if (*p)
				*p++ = 0;
			while (start < end && start[0] == ' ')
				start++;
			while (end > start && end[-1] == ' ')
				*--end = 0;
			if (start == end) {
				char what[64];
				snprintf(what, sizeof what, "column %zu is blank", rd->ncol + 1);
				return bad_line(rd, what, NULL);
			}
			rd->col[rd->ncol++] = start;
		}
		if (rd->ncol < min) {
			char what[MAX_KEY];
			snprintf(what, sizeof what, "%zu column%s, expected %s", rd->ncol, rd->ncol == 1 ? "" : "s",
				 columns);
			return bad_line(rd, what, NULL);
		}
		*got = true;
		return CIOT_OK;
	}
}

static bool is_none(const char *s)
{
	return !strcmp(s, "-");
}

/* An organization's name or a brand token: printable, at most MAX_KEY bytes, not "-". */
static enum ciot_rc check_key(struct reader *rd, const char *s, const char *what)
{
	char msg[64];
	if (strlen(s) > MAX_KEY) {
		snprintf(msg, sizeof msg, "%s longer than %d bytes:", what, MAX_KEY);
		return bad_line(rd, msg, s);
	}
	if (is_none(s)) {
		snprintf(msg, sizeof msg, "%s cannot be \"-\"", what);
		return bad_line(rd, msg, NULL);
	}
	return CIOT_OK;
}

/* A domain suffix: folded to lower case in place; labels of letters, digits, '-' and '_'. */
static enum ciot_rc check_suffix(struct reader *rd, char *s)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= MAX_HOST && s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..");
	for (size_t i = 0; ok && i < n; i++) {
		s[i] = lower(s[i]);
		char c = s[i];
		ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
	}
	return ok ? CIOT_OK : bad_line(rd, "not a domain name suffix:", s);
}

/* An organization named in a rule: "-" gives NONE when allowed, else it must be in organizations.tsv. */
static enum ciot_rc find_org(struct reader *rd, const struct ciot_rules *r, const char *name, bool none_ok,
			     int32_t *out)
{
	*out = NONE;
	if (is_none(name))
		return none_ok ? CIOT_OK : bad_line(rd, "an organization is required here, not \"-\"", NULL);
	char key[MAX_KEY + 1];
	size_t len;
	if (lower_copy(name, key, sizeof key, &len))
		*out = map_get(&r->org_map, key, len);
	if (*out == NONE)
		return bad_line(rd, "unknown organization (not in organizations.tsv):", name);
	return CIOT_OK;
}

/* ---- the files ------------------------------------------------------------------------------- */

static enum ciot_rc load_roles(struct ciot_rules *r, struct reader *rd)
{
	enum ciot_rc rc;
	bool got;
	while (!(rc = next_row(rd, 2, 3, "role, party (support or -), meaning", &got)) && got) {
		const char *name = rd->col[0], *party = rd->col[1];
		bool ok = strlen(name) <= 32;
		for (const char *p = name; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
		if (!ok)
			return bad_line(rd, "a role is lower-case letters, digits and '-':", name);
		if (strcmp(party, "support") && !is_none(party))
			return bad_line(rd, "party must be \"support\" or \"-\", not", party);
		for (size_t i = 0; i < r->nroles; i++)
			if (!strcmp(r->roles[i].name, name))
				return bad_line(rd, "duplicate role", name);
		struct role *grown = grow(r->roles, &r->roles_cap, r->nroles, sizeof *grown);
		if (!grown)
			return no_memory(rd);
		r->roles = grown;
		if (!(r->roles[r->nroles].name = strdup(name)))
			return no_memory(rd);
		r->roles[r->nroles++].support = !is_none(party);
	}
	if (!rc && !r->nroles)
		return bad_line(rd, "no roles", NULL);
	return rc;
}

/* Two passes: the organizations first, then their parents, which may come later in the file. */
static enum ciot_rc load_orgs(struct ciot_rules *r, struct reader *rd)
{
	enum ciot_rc rc;
	bool got;
	while (!(rc = next_row(rd, 3, 4, "organization, role, parent (or -), note", &got)) && got) {
		const char *name = rd->col[0], *role = rd->col[1];
		if ((rc = check_key(rd, name, "an organization's name")))
			return rc;
		int32_t role_index = NONE;
		for (size_t i = 0; i < r->nroles; i++)
			if (!strcmp(r->roles[i].name, role))
				role_index = (int32_t)i;
		if (role_index == NONE)
			return bad_line(rd, "unknown role (not in roles.tsv):", role);
		struct org *grown = grow(r->orgs, &r->orgs_cap, r->norgs, sizeof *grown);
		if (!grown)
			return no_memory(rd);
		r->orgs = grown;
		struct org *o = &r->orgs[r->norgs];
		*o = (struct org){ strdup(name), strdup(name), role_index, NONE, (int32_t)r->norgs, strdup(rd->col[2]),
				   rd->line };
		if (!o->name || !o->key || !o->parent_name) {
			free(o->name);
			free(o->key);
			free(o->parent_name);
			return no_memory(rd);
		}
		for (char *k = o->key; *k; k++)
			*k = lower(*k);
		int32_t existing;
		int put = map_put(&r->org_map, o->key, (int32_t)r->norgs++, &existing);
		if (put < 0)
			return no_memory(rd);
		if (put > 0)
			return bad_line(rd, "duplicate organization (names are compared ignoring case):", name);
	}
	if (rc)
		return rc;
	if (!r->norgs)
		return bad_line(rd, "no organizations", NULL);
	for (size_t i = 0; i < r->norgs; i++) {
		struct org *o = &r->orgs[i];
		rd->line = o->line;
		if (!is_none(o->parent_name) && (rc = find_org(rd, r, o->parent_name, false, &o->parent)))
			return rc;
		if (o->parent == (int32_t)i)
			return bad_line(rd, "an organization cannot be its own parent:", o->name);
		free(o->parent_name);
		o->parent_name = NULL;
	}
	for (size_t i = 0; i < r->norgs; i++) {
		int32_t top = (int32_t)i;
		for (int depth = 0; r->orgs[top].parent != NONE && depth < MAX_DEPTH; depth++)
			top = r->orgs[top].parent;
		if (r->orgs[top].parent != NONE) {
			rd->line = r->orgs[i].line;
			return bad_line(rd, "more than 8 parents above, or a cycle through,", r->orgs[i].name);
		}
		r->orgs[i].top = top;
	}
	return CIOT_OK;
}

static enum ciot_rc load_domains(struct ciot_rules *r, struct reader *rd)
{
	enum ciot_rc rc;
	bool got;
	while (!(rc = next_row(rd, 2, 3, "suffix, organization, note", &got)) && got) {
		if ((rc = check_suffix(rd, rd->col[0])))
			return rc;
		int32_t org;
		if ((rc = find_org(rd, r, rd->col[1], false, &org)))
			return rc;
		struct domain_rule *grown = grow(r->domains, &r->domains_cap, r->ndomains, sizeof *grown);
		if (!grown)
			return no_memory(rd);
		r->domains = grown;
		char *suffix = strdup(rd->col[0]);
		if (!suffix)
			return no_memory(rd);
		r->domains[r->ndomains] = (struct domain_rule){ suffix, org };
		int32_t existing;
		int put = map_put(&r->domain_map, suffix, (int32_t)r->ndomains++, &existing);
		if (put < 0)
			return no_memory(rd);
		if (put > 0)
			return bad_line(rd, "duplicate domain suffix", suffix);
	}
	return rc;
}

static bool parse_asn(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t n = 0;
	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 10)
			return false;
		v = v * 10 + (uint64_t)(s[n] - '0');
	}
	if (n == 0 || v == 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int compare_asn(const void *a, const void *b)
{
	const struct as_number *x = a, *y = b;
	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Longest first; among patterns of one length, the earlier line first. */
static int compare_pattern(const void *a, const void *b)
{
	const struct as_pattern *x = a, *y = b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static enum ciot_rc load_asn(struct ciot_rules *r, struct reader *rd)
{
	enum ciot_rc rc;
	bool got;
	struct strmap seen = { 0 }; /* lower-case patterns, for duplicates */
	while (!(rc = next_row(rd, 3, 4, "kind (as or as-name), key, organization (or -), note", &got)) && got) {
		const char *kind = rd->col[0], *key = rd->col[1];
		int32_t org;
		if ((rc = find_org(rd, r, rd->col[2], true, &org)))
			break;
		if (!strcmp(kind, "as")) {
			uint32_t asn;
			if (!parse_asn(key, &asn)) {
				rc = bad_line(rd, "not an AS number (1 to 4294967295):", key);
				break;
			}
			struct as_number *grown = grow(r->asns, &r->asns_cap, r->nasns, sizeof *grown);
			if (!grown) {
				rc = no_memory(rd);
				break;
			}
			r->asns = grown;
			r->asns[r->nasns++] = (struct as_number){ asn, org, rd->line };
		} else if (!strcmp(kind, "as-name")) {
			if ((rc = check_key(rd, key, "a pattern")))
				break;
			struct as_pattern *grown = grow(r->patterns, &r->patterns_cap, r->npatterns, sizeof *grown);
			if (!grown) {
				rc = no_memory(rd);
				break;
			}
			r->patterns = grown;
			struct as_pattern *p = &r->patterns[r->npatterns];
			*p = (struct as_pattern){ strdup(key), strdup(key), strlen(key), org, rd->line };
			if (!p->text || !p->lower) {
				free(p->text);
				free(p->lower);
				rc = no_memory(rd);
				break;
			}
			r->npatterns++;
			for (char *c = p->lower; *c; c++)
				*c = lower(*c);
			int32_t existing;
			int put = map_put(&seen, p->lower, (int32_t)rd->line, &existing);
			if (put < 0) {
				rc = no_memory(rd);
				break;
			}
			if (put > 0) {
				char what[96];
				snprintf(what, sizeof what, "pattern already on line %" PRId32 " (ignoring case):",
					 existing);
				rc = bad_line(rd, what, key);
				break;
			}
		} else {
			rc = bad_line(rd, "kind must be \"as\" or \"as-name\", not", kind);
			break;
		}
	}
	free(seen.slots);
	if (rc)
		return rc;
	if (r->nasns)
		qsort(r->asns, r->nasns, sizeof *r->asns, compare_asn);
	for (size_t i = 1; i < r->nasns; i++)
		if (r->asns[i].asn == r->asns[i - 1].asn) {
			rd->line = r->asns[i].line;
			char what[96];
			snprintf(what, sizeof what, "duplicate AS %" PRIu32 " (already on line %u)", r->asns[i].asn,
				 r->asns[i - 1].line);
			return bad_line(rd, what, NULL);
		}
	if (r->npatterns)
		qsort(r->patterns, r->npatterns, sizeof *r->patterns, compare_pattern);
	return CIOT_OK;
}

static enum ciot_rc load_brands(struct ciot_rules *r, struct reader *rd)
{
	enum ciot_rc rc;
	bool got;
	while (!(rc = next_row(rd, 4, 5, "brand, maker, ecosystem (or -), app vendor (or -), note", &got)) && got) {
		if ((rc = check_key(rd, rd->col[0], "a brand")))
			return rc;
		struct brand b = { 0 };
		if ((rc = find_org(rd, r, rd->col[1], false, &b.maker)) ||
		    (rc = find_org(rd, r, rd->col[2], true, &b.ecosystem)) ||
		    (rc = find_org(rd, r, rd->col[3], true, &b.app)))
			return rc;
		struct brand *grown = grow(r->brands, &r->brands_cap, r->nbrands, sizeof *grown);
		if (!grown)
			return no_memory(rd);
		r->brands = grown;
		if (!(b.token = strdup(rd->col[0])))
			return no_memory(rd);
		for (char *c = b.token; *c; c++)
			*c = lower(*c);
		r->brands[r->nbrands] = b;
		int32_t existing;
		int put = map_put(&r->brand_map, b.token, (int32_t)r->nbrands++, &existing);
		if (put < 0)
			return no_memory(rd);
		if (put > 0)
			return bad_line(rd, "duplicate brand (brands are compared ignoring case):", rd->col[0]);
	}
	return rc;
}

static int compare_public_addr(const void *a, const void *b)
{
	const struct public_addr *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

static enum ciot_rc load_publics(struct ciot_rules *r, struct reader *rd)
{
	enum ciot_rc rc;
	bool got;
	while (!(rc = next_row(rd, 3, 4, "key (name suffix or address), kind (dns or ntp), organization (or -), note",
			       &got)) && got) {
		char *key = rd->col[0];
		struct public_service s = { 0 };
		if (!strcmp(rd->col[1], "dns"))
			s.kind = PUBLIC_DNS;
		else if (!strcmp(rd->col[1], "ntp"))
			s.kind = PUBLIC_NTP;
		else
			return bad_line(rd, "kind must be \"dns\" or \"ntp\", not", rd->col[1]);
		if ((rc = find_org(rd, r, rd->col[2], true, &s.org)))
			return rc;
		uint8_t addr[16];
		bool is_addr = ciot_addr_parse(key, addr);
		if (!is_addr && (rc = check_suffix(rd, key)))
			return rc;
		struct public_service *grown = grow(r->publics, &r->publics_cap, r->npublics, sizeof *grown);
		if (!grown)
			return no_memory(rd);
		r->publics = grown;
		if (!(s.key = strdup(key)))
			return no_memory(rd);
		int32_t index = (int32_t)r->npublics;
		r->publics[r->npublics++] = s;
		if (is_addr) {
			struct public_addr *a =
				grow(r->public_addrs, &r->public_addrs_cap, r->npublic_addrs, sizeof *a);
			if (!a)
				return no_memory(rd);
			r->public_addrs = a;
			a = &r->public_addrs[r->npublic_addrs++];
			memcpy(a->addr, addr, 16);
			a->service = index;
			a->line = rd->line;
		} else {
			int32_t existing;
			int put = map_put(&r->public_map, s.key, index, &existing);
			if (put < 0)
				return no_memory(rd);
			if (put > 0)
				return bad_line(rd, "duplicate public-service name", key);
		}
	}
	if (rc)
		return rc;
	if (r->npublic_addrs)
		qsort(r->public_addrs, r->npublic_addrs, sizeof *r->public_addrs, compare_public_addr);
	for (size_t i = 1; i < r->npublic_addrs; i++)
		if (!memcmp(r->public_addrs[i].addr, r->public_addrs[i - 1].addr, 16)) {
			rd->line = r->public_addrs[i].line;
			char what[64];
			snprintf(what, sizeof what, "duplicate address (already on line %u)",
				 r->public_addrs[i - 1].line);
			return bad_line(rd, what, r->publics[r->public_addrs[i].service].key);
		}
	return CIOT_OK;
}

enum ciot_rc ciot_rules_load(struct ciot_rules **out, const char *dir, char *errbuf)
{
	static const struct {
		const char *name;
		enum ciot_rc (*load)(struct ciot_rules *, struct reader *);
	} files[] = {
		{ "roles.tsv", load_roles },
		{ "organizations.tsv", load_orgs },
		{ "domains.tsv", load_domains },
		{ "asn.tsv", load_asn },
		{ "brands.tsv", load_brands },
		{ "public-services.tsv", load_publics },
	};
	*out = NULL;
	struct ciot_rules *r = calloc(1, sizeof *r);
	if (!r)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "attribution rules: out of memory");
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; !rc && i < sizeof files / sizeof files[0]; i++) {
		struct reader *rd = malloc(sizeof *rd);
		if (!rd) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "attribution rules: out of memory");
			break;
		}
		rc = open_reader(rd, dir, files[i].name, errbuf);
		if (!rc)
			rc = files[i].load(r, rd);
		if (rd->f)
			fclose(rd->f);
		free(rd);
	}
	if (rc) {
		ciot_rules_free(r);
		return rc;
	}
	*out = r;
	return CIOT_OK;
}

/* ---- matching -------------------------------------------------------------------------------- */

/* The host name lower-cased into buf, without a final dot; names longer than a DNS name keep their
 * last labels that fit. Returns its length, 0 when there is none. */
static size_t host_key(const char *name, char buf[MAX_HOST + 1])
{
	if (!name)
		return 0;
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	const char *start = name;
	if (n > MAX_HOST) {
		start = name + (n - MAX_HOST);
		const char *dot = memchr(start, '.', MAX_HOST);
		if (!dot)
			return 0;
		start = dot + 1;
		n = (size_t)(name + n - start);
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = lower(start[i]);
	buf[n] = 0;
	return n;
}

/* The longest suffix of the name (at a label boundary) in the map; NONE when none. */
static int32_t longest_suffix(const struct strmap *m, const char *name, size_t n, const char **suffix)
{
	for (size_t i = 0; i < n;) {
		int32_t v = map_get(m, name + i, n - i);
		if (v != NONE) {
			*suffix = name + i;
			return v;
		}
		const char *dot = memchr(name + i, '.', n - i);
		if (!dot)
			break;
		i = (size_t)(dot - name) + 1;
	}
	return NONE;
}

/* Whether the lower-case name is the suffix v (any case) or below it. */
static bool below_domain(const char *name, size_t n, const char *v)
{
	size_t vn = strlen(v);
	if (vn && v[vn - 1] == '.')
		vn--;
	if (!vn || vn > n)
		return false;
	const char *tail = name + (n - vn);
	for (size_t i = 0; i < vn; i++)
		if (tail[i] != lower(v[i]))
			return false;
	return vn == n || tail[-1] == '.';
}

static int32_t org_named(const struct ciot_rules *r, const char *name)
{
	char key[MAX_KEY + 1];
	size_t len;
	if (!name || !lower_copy(name, key, sizeof key, &len))
		return NONE;
	return map_get(&r->org_map, key, len);
}

static bool same_company(const struct ciot_rules *r, int32_t a, int32_t b)
{
	return a != NONE && b != NONE && r->orgs[a].top == r->orgs[b].top;
}

static bool at_or_below(const struct ciot_rules *r, int32_t above, int32_t org)
{
	for (int depth = 0; above != NONE && org != NONE && depth <= MAX_DEPTH; depth++, org = r->orgs[org].parent)
		if (org == above)
			return true;
	return false;
}

/* The brand's row: the manifest's brand, else the device id before its first '_'. */
static const struct brand *device_brand(const struct ciot_rules *r, const struct ciot_party_device *d)
{
	char key[MAX_KEY + 1];
	size_t len;
	if (d->brand && lower_copy(d->brand, key, sizeof key, &len)) {
		int32_t b = map_get(&r->brand_map, key, len);
		if (b != NONE)
			return &r->brands[b];
	}
	if (d->id) {
		const char *underscore = strchr(d->id, '_');
		len = underscore ? (size_t)(underscore - d->id) : strlen(d->id);
		if (len && len <= MAX_KEY) {
			for (size_t i = 0; i < len; i++)
				key[i] = lower(d->id[i]);
			int32_t b = map_get(&r->brand_map, key, len);
			if (b != NONE)
				return &r->brands[b];
		}
	}
	return NULL;
}

static int32_t as_number_org(const struct ciot_rules *r, uint32_t asn, bool *found)
{
	size_t lo = 0, hi = r->nasns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->asns[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < r->nasns && r->asns[lo].asn == asn;
	return *found ? r->asns[lo].org : NONE;
}

static const struct as_pattern *as_name_pattern(const struct ciot_rules *r, const char *as_org)
{
	char name[MAX_AS_ORG + 1];
	size_t n = 0;
	for (; as_org[n] && n < MAX_AS_ORG; n++)
		name[n] = lower(as_org[n]);
	name[n] = 0;
	for (size_t i = 0; i < r->npatterns; i++)
		if (r->patterns[i].len <= n && strstr(name, r->patterns[i].lower))
			return &r->patterns[i];
	return NULL;
}

static int32_t public_by_addr(const struct ciot_rules *r, const uint8_t *addr)
{
	size_t lo = 0, hi = r->npublic_addrs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(r->public_addrs[mid].addr, addr, 16);
		if (!c)
			return r->public_addrs[mid].service;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

/* The rule string: bounded, control characters replaced, never cut inside a UTF-8 sequence. */
struct text {
	char *buf;
	size_t len;
	bool full;
};

static void put(struct text *t, const char *s)
{
	for (; s && *s && !t->full; s++) {
		if (t->len + 1 >= CIOT_ATTRIBUTION_RULE_MAX) {
			t->full = true;
			break;
		}
		unsigned char c = (unsigned char)*s;
		t->buf[t->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	t->buf[t->len] = 0;
}

static void put_number(struct text *t, uint32_t v)
{
	char digits[16];
	snprintf(digits, sizeof digits, "%" PRIu32, v);
	put(t, digits);
}

static void finish(struct text *t)
{
	if (!t->full || !t->len)
		return;
	size_t end = t->len, start = end;
	while (start > 0 && ((unsigned char)t->buf[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0)
		return;
	unsigned char lead = (unsigned char)t->buf[start - 1];
	size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (end - (start - 1) < want)
		t->len = start - 1;
	t->buf[t->len] = 0;
}

enum org_source { SOURCE_NONE, SOURCE_DOMAIN, SOURCE_PUBLIC, SOURCE_ASN, SOURCE_AS_NAME };

/* What the rules say of an endpoint before its party is decided: the public service it is, and
 * its organization with the rule that named it. */
struct lookup {
	char name[MAX_HOST + 1];
	size_t n;                          /* the name's length; 0: known by its address alone */
	int32_t pub;                       /* a public service, or NONE */
	enum org_source source;
	int32_t org;                       /* or NONE */
	const char *suffix;                /* SOURCE_DOMAIN: the rule's domain */
	const struct as_pattern *pattern;  /* SOURCE_AS_NAME: the rule's pattern */
};

/* The organization: domain rules, then the public service's own, then AS number, then AS name. */
static void look_up(const struct ciot_rules *r, const struct ciot_party_endpoint *e, struct lookup *l)
{
	l->n = host_key(e->name, l->name);
	l->pub = NONE;
	l->source = SOURCE_NONE;
	l->org = NONE;
	l->suffix = NULL;
	l->pattern = NULL;
	if (l->n) {
		const char *suffix;
		l->pub = longest_suffix(&r->public_map, l->name, l->n, &suffix);
	}
	if (l->pub == NONE && e->addr)
		l->pub = public_by_addr(r, e->addr);
	if (l->n) {
		int32_t rule = longest_suffix(&r->domain_map, l->name, l->n, &l->suffix);
		if (rule != NONE) {
			l->org = r->domains[rule].org;
			l->source = SOURCE_DOMAIN;
		}
	}
	if (l->source == SOURCE_NONE && l->pub != NONE && r->publics[l->pub].org != NONE) {
		l->org = r->publics[l->pub].org;
		l->source = SOURCE_PUBLIC;
	}
	/* AS rules only for an endpoint known by its address alone. A name says whose service it is;
	 * the AS only says who hosts it: api.weathercn.com in a carrier's data centre is the weather
	 * service's (third party), not the carrier's (which would make it support). */
	bool as_decided = false; /* an AS rule matched, possibly saying "no organization" */
	if (l->source == SOURCE_NONE && !l->n && e->asn) {
		l->org = as_number_org(r, e->asn, &as_decided);
		if (l->org != NONE)
			l->source = SOURCE_ASN;
	}
	if (l->source == SOURCE_NONE && !l->n && !as_decided && e->as_org &&
	    (l->pattern = as_name_pattern(r, e->as_org))) {
		l->org = l->pattern->org;
		if (l->org != NONE)
			l->source = SOURCE_AS_NAME;
	}
}

static void put_public(struct text *t, const struct ciot_rules *r, int32_t pub)
{
	put(t, "public ");
	put(t, public_kind_names[r->publics[pub].kind]);
	put(t, " ");
	put(t, r->publics[pub].key);
}

/* The rule that named the organization, or why none did. */
static void put_source(struct text *t, const struct ciot_rules *r, const struct ciot_party_endpoint *e,
		       const struct lookup *l)
{
	switch (l->source) {
	case SOURCE_DOMAIN:
		put(t, "domain ");
		put(t, l->suffix);
		break;
	case SOURCE_PUBLIC:
		put_public(t, r, l->pub);
		break;
	case SOURCE_ASN:
		put(t, "asn ");
		put_number(t, e->asn);
		break;
	case SOURCE_AS_NAME:
		put(t, "as-name ");
		put(t, l->pattern->text);
		break;
	case SOURCE_NONE:
		if (l->n) {
			put(t, "no rule for ");
			put(t, l->name);
			if (e->as_org) {
				put(t, "; hosted by as-org \"");
				put(t, e->as_org);
				put(t, "\"");
			}
		} else if (e->as_org) {
			put(t, "no rule; as-org \"");
			put(t, e->as_org);
			put(t, "\"");
		} else {
			put(t, "no organization");
		}
		break;
	}
	if (l->org != NONE) {
		put(t, " -> ");
		put(t, r->orgs[l->org].name);
	}
}

static const char VENDOR_DOMAIN[] = "manifest vendor domain ";

static bool has_words(const char *text, const char *words);

/* The vendor's organization: the manifest's first vendor organization (canonical when the rules
 * know it), else the brand's maker; NULL when neither is known. */
static const char *vendor_organization(const struct ciot_rules *r, const struct ciot_party_device *d)
{
	for (size_t i = 0; i < d->nvendor_orgs; i++) {
		if (!d->vendor_orgs[i])
			continue;
		int32_t org = org_named(r, d->vendor_orgs[i]);
		return org != NONE ? r->orgs[org].name : d->vendor_orgs[i];
	}
	const struct brand *b = device_brand(r, d);
	return b && b->maker != NONE ? r->orgs[b->maker].name : NULL;
}

/* The party of an organization to a device, and why (*why and *what, NULL when nothing said). */
static enum ciot_party decide_party(const struct ciot_rules *r, const struct ciot_party_device *d,
				    const struct ciot_party_endpoint *e, const struct lookup *l, const char **why,
				    const char **what)
{
	int32_t org = l->org;
	*why = *what = NULL;
	/* (1) first party: the maker, the app's vendor, the manifest's vendor */
	const struct brand *b = device_brand(r, d);
	int32_t app_org = org_named(r, d->app);
	if (b && same_company(r, b->maker, org))
		*why = "maker of brand ", *what = b->token;
	else if (b && same_company(r, b->app, org))
		*why = "app vendor of brand ", *what = b->token;
	else if (same_company(r, app_org, org))
		*why = "companion app ", *what = d->app;
	for (size_t i = 0; !*why && i < d->nvendor_orgs; i++) {
		const char *v = d->vendor_orgs[i];
		if (v && (same_company(r, org_named(r, v), org) || (e->as_org && equal_nocase(v, e->as_org))))
			*why = "manifest vendor organization ", *what = v;
	}
	for (size_t i = 0; !*why && l->n && i < d->nvendor_domains; i++)
		if (d->vendor_domains[i] && below_domain(l->name, l->n, d->vendor_domains[i]))
			*why = VENDOR_DOMAIN, *what = d->vendor_domains[i];
	if (*why)
		return CIOT_PARTY_FIRST;

	/* (2) support party: the brand's ecosystem, a support role, the privacy policy */
	if (b && same_company(r, b->ecosystem, org))
		*why = "ecosystem of brand ", *what = b->token;
	else if (org != NONE && r->roles[r->orgs[org].role].support)
		*why = "role ", *what = r->roles[r->orgs[org].role].name;
	for (size_t i = 0; !*why && i < d->npolicy_orgs; i++) {
		const char *p = d->policy_orgs[i];
		if (p && (at_or_below(r, org_named(r, p), org) || (e->as_org && equal_nocase(p, e->as_org))))
			*why = "privacy policy names ", *what = p;
	}
	if (*why)
		return CIOT_PARTY_SUPPORT;

	/* (3) third party: say the role that did not make it support */
	if (org != NONE)
		*why = "role ", *what = r->roles[r->orgs[org].role].name;
	return CIOT_PARTY_THIRD;
}

void ciot_rules_attribute(const struct ciot_rules *r, enum ciot_public_convention convention,
			  const struct ciot_party_device *d, const struct ciot_party_endpoint *e,
			  struct ciot_attribution *out)
{
	static const struct ciot_party_device no_device = { 0 };
	if (!d)
		d = &no_device;
	struct text t = { out->rule, 0, false };
	out->rule[0] = 0;
	struct lookup l;
	look_up(r, e, &l);
	out->organization = l.org != NONE ? r->orgs[l.org].name : l.n ? NULL : e->as_org;

	if (l.pub != NONE && convention != CIOT_PUBLIC_BY_ORG) {
		bool support = convention == CIOT_PUBLIC_SUPPORT;
		out->party = support ? CIOT_PARTY_SUPPORT : CIOT_PARTY_THIRD;
		out->decided = true; /* by the convention, a rule like the others */
		put_public(&t, r, l.pub);
		put(&t, support ? " (convention support)" : " (convention third)");
		finish(&t);
		return;
	}
	put_source(&t, r, e, &l);
	const char *why, *what;
	out->party = decide_party(r, d, e, &l, &why, &what);
	out->decided = why != NULL;
	if (why) {
		put(&t, "; ");
		put(&t, why);
		put(&t, what);
	}
	/* A vendor domain no rule knows is the vendor's: its organization is the manifest vendor's
	 * (else the brand's maker), so that the vendor appears among the organizations (Table 2). */
	if (why == VENDOR_DOMAIN && l.org == NONE) {
		const char *vendor = vendor_organization(r, d);
		if (vendor) {
			out->organization = vendor;
			put(&t, " -> ");
			put(&t, vendor);
		}
	}
	finish(&t);
}

/* ---- evidence -------------------------------------------------------------------------------- */

#define MAX_WORDS 16 /* words of a certificate's organization tried as a name */

/* The organization a certificate's O= names: the rules' name as written, else the longest run of
 * its words that is one (legal forms and a leading place name fall away: "Xiaomi Inc." and
 * "Hangzhou Tuya Information Technology Co., Ltd" name Xiaomi and Tuya). A word keeps its letters
 * up to a trailing '.', ',' or ".com" ("Amazon.com, Inc." is Amazon). */
static int32_t org_in_text(const struct ciot_rules *r, const char *text)
{
	int32_t org = org_named(r, text);
	if (org != NONE)
		return org;
	char buf[MAX_KEY + 1];
	size_t len;
	if (!lower_copy(text, buf, sizeof buf, &len))
		return NONE;
	const char *word[MAX_WORDS];
	size_t wlen[MAX_WORDS], nwords = 0;
	for (size_t i = 0; i < len && nwords < MAX_WORDS;) {
		while (i < len && (buf[i] == ' ' || buf[i] == ','))
			i++;
		size_t start = i;
		while (i < len && buf[i] != ' ' && buf[i] != ',')
			i++;
		size_t n = i - start;
		if (n > 4 && !memcmp(buf + start + n - 4, ".com", 4))
			n -= 4;
		while (n && buf[start + n - 1] == '.')
			n--;
		if (n) {
			word[nwords] = buf + start;
			wlen[nwords++] = n;
		}
	}
	/* runs of words, longest first, starting at the first word or the second */
	for (size_t first = 0; first < 2 && first < nwords; first++)
		for (size_t count = nwords - first; count > 0; count--) {
			char key[MAX_KEY + 1];
			size_t k = 0;
			bool fits = true;
			for (size_t w = first; w < first + count && fits; w++) {
				if (k + wlen[w] + 1 >= sizeof key) {
					fits = false;
					break;
				}
				if (w > first)
					key[k++] = ' ';
				memcpy(key + k, word[w], wlen[w]);
				k += wlen[w];
			}
			if (!fits)
				continue;
			key[k] = 0;
			org = map_get(&r->org_map, key, k);
			if (org != NONE)
				return org;
		}
	return NONE;
}

bool ciot_rules_attribute_certificate(const struct ciot_rules *r, const struct ciot_party_device *d,
				      const struct ciot_party_endpoint *e, const char *subject_org,
				      struct ciot_attribution *out)
{
	static const struct ciot_party_device no_device = { 0 };
	if (!d)
		d = &no_device;
	if (!subject_org || !*subject_org)
		return false;
	struct text t = { out->rule, 0, false };
	out->rule[0] = 0;
	struct lookup l;
	look_up(r, e, &l);
	l.org = org_in_text(r, subject_org);
	put(&t, "certificate O=");
	put(&t, subject_org);
	if (l.org == NONE) {
		/* not in the rules, but the manifest's vendor by name ("Netflix, Inc." for Netflix): first
		 * party */
		for (size_t i = 0; i < d->nvendor_orgs; i++)
			if (d->vendor_orgs[i] && has_words(subject_org, d->vendor_orgs[i])) {
				out->party = CIOT_PARTY_FIRST;
				out->organization = d->vendor_orgs[i];
				out->decided = true;
				put(&t, "; manifest vendor organization ");
				put(&t, d->vendor_orgs[i]);
				finish(&t);
				return true;
			}
		out->rule[0] = 0;
		return false;
	}
	put(&t, " -> ");
	put(&t, r->orgs[l.org].name);
	const char *why, *what;
	out->party = decide_party(r, d, e, &l, &why, &what);
	out->organization = r->orgs[l.org].name;
	out->decided = true;
	if (why) {
		put(&t, "; ");
		put(&t, why);
		put(&t, what);
	}
	finish(&t);
	return true;
}

bool ciot_rules_attribute_cname(const struct ciot_rules *r, const struct ciot_party_device *d,
				const struct ciot_party_endpoint *e, const char *cname, struct ciot_attribution *out)
{
	static const struct ciot_party_device no_device = { 0 };
	if (!d)
		d = &no_device;
	char name[MAX_HOST + 1];
	size_t n = host_key(cname, name);
	const char *suffix = NULL;
	int32_t rule = n ? longest_suffix(&r->domain_map, name, n, &suffix) : NONE;
	if (rule == NONE || r->domains[rule].org == NONE)
		return false;
	struct lookup l;
	look_up(r, e, &l);
	l.org = r->domains[rule].org;
	const char *why, *what;
	enum ciot_party party = decide_party(r, d, e, &l, &why, &what);
	if (party == CIOT_PARTY_THIRD)
		return false; /* a CNAME into a third party's domain says nothing of the server's party */
	struct text t = { out->rule, 0, false };
	out->rule[0] = 0;
	put(&t, "cname ");
	put(&t, name);
	put(&t, " (domain ");
	put(&t, suffix);
	put(&t, ") -> ");
	put(&t, r->orgs[l.org].name);
	if (why) {
		put(&t, "; ");
		put(&t, why);
		put(&t, what);
	}
	finish(&t);
	out->party = party;
	out->organization = r->orgs[l.org].name;
	out->decided = true;
	return true;
}

const char *ciot_rules_device_gap(const struct ciot_rules *r, const struct ciot_party_device *d)
{
	if (!d->brand || !*d->brand)
		return "has no brand";
	if (d->id && equal_nocase(d->brand, d->id))
		return "has its id as brand (a guess: give the brand, e.g. ciot-capture --brand)";
	if (!device_brand(r, d) && !d->nvendor_orgs && !d->nvendor_domains && org_named(r, d->app) == NONE)
		return "has a brand that datasets/attribution/brands.tsv does not know, and the manifest names no "
		       "vendor";
	return NULL;
}

/* ---- the vendor's own, by its network or its name ---- */

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether `words` (one or more words) occurs in `text` at word boundaries, case-insensitively:
 * "Valve" in "Valve Corporation", not in "Valvetronic"; "LINE" in "LINE Corporation". */
static bool has_words(const char *text, const char *words)
{
	size_t n = strlen(words);
	if (n < 3)
		return false;
	for (const char *p = text; *p; p++) {
		if (p > text && is_word_char(p[-1]))
			continue;
		size_t i = 0;
		while (i < n && p[i] && lower(p[i]) == lower(words[i]))
			i++;
		if (i == n && !is_word_char(p[n]))
			return true;
	}
	return false;
}

/* The shortest token a registrable label may begin or end with and still be taken for it:
 * "steamserver" holds "steam" and "cdninstagram" "instagram", but "microsoftonline" does not hold
 * "line" (which a label must equal, or a hyphen-separated part of it: "line-apps"). */
#define TOKEN_AT_EDGE_MIN 5

/* Whether the label (n bytes, lower case) is `token`, has it as a hyphen-separated part, or
 * begins or ends with it when it is long enough to mean it. */
static bool label_holds(const char *label, size_t n, const char *token)
{
	size_t t = strlen(token);
	if (t < 2 || t > n)
		return false;
	for (size_t at = 0; at + t <= n; at++) {
		bool start = at == 0 || label[at - 1] == '-', end = at + t == n || label[at + t] == '-';
		bool edge = (at == 0 || at + t == n) && t >= TOKEN_AT_EDGE_MIN;
		if ((start && end) || edge) {
			size_t i = 0;
			while (i < t && label[at + i] == lower(token[i]))
				i++;
			if (i == t)
				return true;
		}
	}
	return false;
}

/* The first label of a registrable domain ("redditmedia" of "redditmedia.com"), its length. */
static size_t registrable_label(const char *domain, const char **label)
{
	*label = domain;
	const char *dot = strchr(domain, '.');
	return dot ? (size_t)(dot - domain) : strlen(domain);
}

static void decide_vendor_own(const struct ciot_rules *r, const struct ciot_party_device *d, struct text *t,
			      struct ciot_attribution *out)
{
	out->party = CIOT_PARTY_FIRST;
	out->organization = vendor_organization(r, d);
	out->decided = true;
	finish(t);
}

bool ciot_rules_attribute_vendor_network(const struct ciot_rules *r, const struct ciot_party_device *d,
					 const struct ciot_party_endpoint *e, struct ciot_attribution *out)
{
	if (!d || !e->as_org || !*e->as_org)
		return false;
	struct text t = { out->rule, 0, false };
	out->rule[0] = 0;
	const struct brand *b = device_brand(r, d);
	const char *names[2] = { b && b->maker != NONE ? r->orgs[b->maker].name : NULL,
				 b && b->app != NONE ? r->orgs[b->app].name : NULL };
	const char *named = NULL;
	for (size_t i = 0; !named && i < 2; i++)
		if (names[i] && has_words(e->as_org, names[i]))
			named = names[i];
	for (size_t i = 0; !named && i < d->nvendor_orgs; i++)
		if (d->vendor_orgs[i] && has_words(e->as_org, d->vendor_orgs[i]))
			named = d->vendor_orgs[i];
	if (!named)
		return false;
	put(&t, "vendor network: as-org \"");
	put(&t, e->as_org);
	put(&t, "\" is ");
	put(&t, named);
	decide_vendor_own(r, d, &t, out);
	return true;
}

bool ciot_rules_attribute_vendor_name(const struct ciot_rules *r, const struct ciot_party_device *d,
				      const struct ciot_party_endpoint *e, struct ciot_attribution *out)
{
	if (!d || !e->domain)
		return false;
	const char *label;
	size_t n = registrable_label(e->domain, &label);
	struct text t = { out->rule, 0, false };
	out->rule[0] = 0;
	/* the brand, unless it is only the device's id; the first label of each vendor domain */
	if (d->brand && !(d->id && equal_nocase(d->brand, d->id)) && label_holds(label, n, d->brand)) {
		put(&t, "vendor name: ");
		put(&t, e->domain);
		put(&t, " holds brand ");
		put(&t, d->brand);
		decide_vendor_own(r, d, &t, out);
		return true;
	}
	for (size_t i = 0; i < d->nvendor_domains; i++) {
		if (!d->vendor_domains[i])
			continue;
		const char *vendor_label;
		size_t vn = registrable_label(d->vendor_domains[i], &vendor_label);
		char token[MAX_KEY + 1];
		if (vn == 0 || vn > MAX_KEY)
			continue;
		for (size_t k = 0; k < vn; k++)
			token[k] = lower(vendor_label[k]);
		token[vn] = 0;
		if (label_holds(label, n, token)) {
			put(&t, "vendor name: ");
			put(&t, e->domain);
			put(&t, " holds ");
			put(&t, token);
			put(&t, " of manifest vendor domain ");
			put(&t, d->vendor_domains[i]);
			decide_vendor_own(r, d, &t, out);
			return true;
		}
	}
	return false;
}
