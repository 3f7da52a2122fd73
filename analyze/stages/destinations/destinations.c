/* destinations.c: the destinations table of destinations.h. One device at a time: its DNS answers
 * are loaded sorted by (address, time) so that each flow's name is a bisection; geolocation, AS and
 * attribution lookups are in-memory. The lab's own hosts are set apart before any attribution, and
 * every flow records how its party was decided (a rule, evidence, or no rule: third by default),
 * which the per-device coverage table counts over servers at the end. Evidence, where no rule
 * decides: the leaf certificate's organization and the DNS answer's CNAME chain per flow, then a
 * domain only one brand's devices contact, over the whole dataset (docs/destinations.md). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpsl.h>
#include <sqlite3.h>

#include "addr.h"
#include "ciot/dataset.h"
#include "db.h"
#include "destinations.h"
#include "geo.h"
#include "strpool.h"

#define MAX_MANIFEST_LIST 64 /* vendor organizations/domains, policy organizations read per device */

void ciot_destination_default_options(struct ciot_destination_options *o)
{
	memset(o, 0, sizeof *o);
	const char *geo = getenv("CIOT_GEO_DIR"), *rules = getenv("CIOT_RULES_DIR");
	o->geo_dir = geo && *geo ? geo : CIOT_DATA_DIR "/geo";
	o->rules_dir = rules && *rules ? rules : CIOT_DATA_DIR "/attribution";
	o->convention = CIOT_PUBLIC_THIRD;
}

struct answer {
	uint32_t address; /* both in the pool */
	uint32_t query;
	uint32_t cnames; /* in the pool; 0 when the answer had no CNAME chain */
	int64_t ts;
};

struct ciot_destinations {
	struct ciot_destination_options o;
	struct ciot_geo *geo;
	struct ciot_rules *rules;
	psl_ctx_t *latest_psl;
	const psl_ctx_t *psl;
};

struct builder {
	sqlite3 *db;
	const struct ciot_destinations *d; /* the data and options loaded at open */
	struct ciot_destination_stats *stats;
	sqlite3_stmt *insert, *answers, *flows, *certificate;
	struct ciot_strpool pool; /* one device's DNS names and addresses */
	struct answer *answers_buf;
	size_t nanswers, answers_cap;
	/* the lab's hosts: the options' and the stored manifest's (meta lab_hosts, held by lab_json) */
	const char *lab_hosts[2 * CIOT_DESTINATION_MAX_LAB_HOSTS];
	size_t nlab_hosts;
	json_t *lab_json;
	struct { sqlite3_int64 device_id; const char *gap; } *gaps; /* devices without a usable brand */
	size_t ngaps;
	/* the flows whose TLS connection presented a leaf with a subject, sorted: only those can have
	 * certificate evidence, and the others skip its query */
	sqlite3_int64 *cert_flows;
	size_t ncert_flows;
	char *errbuf;
};

/* What the device's manifest entry says about its vendor and privacy policy. */
struct manifest_lists {
	json_t *root;
	const char *vendor_orgs[MAX_MANIFEST_LIST], *vendor_domains[MAX_MANIFEST_LIST],
		*policy_orgs[MAX_MANIFEST_LIST];
	size_t nvendor_orgs, nvendor_domains, npolicy_orgs;
};

static size_t string_list(json_t *obj, const char *key, const char **out)
{
	json_t *a = json_object_get(obj, key);
	size_t n = 0;
	for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && n < MAX_MANIFEST_LIST; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s && *s)
			out[n++] = s;
	}
	return n;
}

static void manifest_lists_read(struct manifest_lists *m, const char *json)
{
	memset(m, 0, sizeof *m);
	if (!json)
		return;
	m->root = json_loads(json, 0, NULL);
	if (!json_is_object(m->root))
		return;
	json_t *vendor = json_object_get(m->root, "vendor"), *policy = json_object_get(m->root, "privacy_policy");
	m->nvendor_orgs = string_list(vendor, "organizations", m->vendor_orgs);
	m->nvendor_domains = string_list(vendor, "domains", m->vendor_domains);
	m->npolicy_orgs = string_list(policy, "organizations", m->policy_orgs);
}

static int answer_cmp(const void *a, const void *b)
{
	const struct answer *x = a, *y = b;
	if (x->address != y->address)
		return x->address < y->address ? -1 : 1;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

static enum ciot_rc load_answers(struct builder *b, sqlite3_int64 device_id)
{
	ciot_strpool_free(&b->pool);
	b->nanswers = 0;
	sqlite3_stmt *st = b->answers;
	sqlite3_bind_int64(st, 1, device_id);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *addr = (const char *)sqlite3_column_text(st, 0);
		const char *query = (const char *)sqlite3_column_text(st, 2);
		if (!addr || !query)
			continue;
		if (b->nanswers == b->answers_cap) {
			size_t cap = b->answers_cap ? b->answers_cap * 2 : 1024;
			struct answer *grown = realloc(b->answers_buf, cap * sizeof *grown);
			if (!grown) {
				sqlite3_reset(st);
				return ciot_fail(b->errbuf, CIOT_ERR_NOMEM, "out of memory");
			}
			b->answers_buf = grown;
			b->answers_cap = cap;
		}
		struct answer *a = &b->answers_buf[b->nanswers];
		a->address = ciot_strpool_intern(&b->pool, addr, strlen(addr));
		a->query = ciot_strpool_intern(&b->pool, query, strlen(query));
		a->ts = sqlite3_column_int64(st, 1);
		const char *cnames = (const char *)sqlite3_column_text(st, 3);
		a->cnames = cnames && *cnames ? ciot_strpool_intern(&b->pool, cnames, strlen(cnames)) : 0;
		if (!a->address || !a->query) {
			/* one device with more distinct names than the pool holds: its other answers
			 * still name flows, and the loss is counted */
			b->stats->dns_answers_dropped++;
			continue;
		}
		b->nanswers++;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return ciot_db_fail(b->db, b->errbuf, "dns_answers");
	/* interned ids are equal exactly when the strings are, so sorting on them groups an address */
	if (b->nanswers)
		qsort(b->answers_buf, b->nanswers, sizeof *b->answers_buf, answer_cmp);
	b->stats->dns_answers += b->nanswers;
	return CIOT_OK;
}

/* The device's lookup that names a flow to `address` starting at `ts`: the last one at or before
 * it, else the first after it (*later), with its CNAME chain (*cnames, NULL when none). NULL when
 * the device never looked the address up. */
static const char *dns_name_for(const struct builder *b, const char *address, int64_t ts, bool *later,
				const char **cnames)
{
	*later = false;
	*cnames = NULL;
	uint32_t id = ciot_strpool_find(&b->pool, address, strlen(address));
	if (!id)
		return NULL;
	size_t lo = 0, hi = b->nanswers;
	while (lo < hi) { /* first answer with address >= id */
		size_t mid = lo + (hi - lo) / 2;
		if (b->answers_buf[mid].address < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t first = lo;
	if (first == b->nanswers || b->answers_buf[first].address != id)
		return NULL;
	hi = first;
	while (hi < b->nanswers && b->answers_buf[hi].address == id)
		hi++;
	/* last answer with ts <= flow start */
	size_t l = first, h = hi;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (b->answers_buf[mid].ts <= ts)
			l = mid + 1;
		else
			h = mid;
	}
	const struct answer *a = &b->answers_buf[l > first ? l - 1 : first];
	*later = l == first;
	if (a->cnames)
		*cnames = ciot_strpool_get(&b->pool, a->cnames);
	return ciot_strpool_get(&b->pool, a->query);
}

/* The registrable domain of a host name (eTLD+1): the longest public suffix of the list's ICANN
 * section, plus one label. Not libpsl's psl_registrable_domain, which also applies the list's
 * private section and so makes every d123.cloudfront.net and bucket.s3.amazonaws.com a domain of
 * its own, and leaves s3.amazonaws.com without one: counts of servers by domain would then count
 * a CDN's every host. NULL for an address, or a name that is itself a public suffix. */
static const char *registrable_domain(const struct builder *b, const char *name)
{
	uint8_t addr[16];
	if (!name || ciot_addr_parse(name, addr) || psl_is_public_suffix2(b->d->psl, name, PSL_TYPE_ICANN))
		return NULL;
	const char *domain = name;
	for (const char *dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
		if (psl_is_public_suffix2(b->d->psl, dot + 1, PSL_TYPE_ICANN))
			return domain;
		domain = dot + 1;
	}
	return NULL; /* not reached: the last label is a suffix by the list's default rule */
}

/* An address of the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) is the IPv4 address it embeds,
 * for a device on an IPv6-only network: locate and attribute that one. */
static void nat64_to_ipv4(uint8_t addr[16])
{
	static const uint8_t prefix[12] = { 0x00, 0x64, 0xff, 0x9b };
	if (memcmp(addr, prefix, sizeof prefix))
		return;
	memset(addr, 0, 10);
	addr[10] = addr[11] = 0xff;
}

/* The lab host entry the remote end matches (by address, flow name or DNS name), or NULL. */
static const char *lab_host_for(const struct builder *b, const uint8_t addr[16], const char *name,
				const char *dns_name)
{
	for (size_t i = 0; i < b->nlab_hosts; i++)
		if (ciot_lab_host_match(b->lab_hosts[i], addr, name) ||
		    (dns_name && ciot_lab_host_match(b->lab_hosts[i], addr, dns_name)))
			return b->lab_hosts[i];
	return NULL;
}

/* The options' lab hosts, then the manifest's as the store recorded them (meta lab_hosts), which
 * the dataset reader checked. */
static enum ciot_rc load_lab_hosts(struct builder *b)
{
	for (size_t i = 0; i < b->d->o.nlab_hosts; i++)
		b->lab_hosts[b->nlab_hosts++] = b->d->o.lab_hosts[i];
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(b->db, "SELECT value FROM meta WHERE key = 'lab_hosts'", -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "meta");
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		b->lab_json = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	for (size_t i = 0; i < json_array_size(b->lab_json) && b->nlab_hosts < sizeof b->lab_hosts / sizeof *b->lab_hosts;
	     i++) {
		const char *h = json_string_value(json_array_get(b->lab_json, i));
		if (h && ciot_dataset_valid_lab_host(h))
			b->lab_hosts[b->nlab_hosts++] = h;
	}
	return CIOT_OK;
}

/* Coverage: per device, its servers (a registrable domain, else an address, as Table 1 counts
 * them) by their best decision: a server decided by a rule for one name and by nothing for another
 * counts as decided by the rule. Lab hosts are counted apart. */
static enum ciot_rc build_coverage(struct builder *b)
{
	static const char sql[] =
		"INSERT INTO attribution_coverage (device_id, servers, by_rule, by_evidence, by_default, lab_hosts)"
		" SELECT d.id, count(s.server), coalesce(sum(s.best = 3), 0), coalesce(sum(s.best = 2), 0),"
		" coalesce(sum(s.best = 1), 0),"
		" (SELECT count(DISTINCT coalesce(t.domain, f.remote_ip)) FROM destinations t"
		"  JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id"
		"  WHERE c.device_id = d.id AND t.party = 'lab')"
		" FROM devices d LEFT JOIN (SELECT c.device_id AS device_id, coalesce(t.domain, f.remote_ip) AS server,"
		"  max(CASE t.decision WHEN 'rule' THEN 3 WHEN 'evidence' THEN 2 ELSE 1 END) AS best"
		"  FROM destinations t JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id"
		"  WHERE t.party IN ('first', 'support', 'third') GROUP BY c.device_id, server) s ON s.device_id = d.id"
		" GROUP BY d.id";
	if (sqlite3_exec(b->db, "DELETE FROM attribution_coverage", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "attribution_coverage");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(b->db,
			       "SELECT d.name, a.servers, a.by_rule, a.by_evidence, a.by_default, a.lab_hosts, a.device_id"
			       " FROM attribution_coverage a JOIN devices d ON d.id = a.device_id ORDER BY d.name",
			       -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "attribution_coverage");
	enum ciot_rc rc = CIOT_OK;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct ciot_destination_stats *s = b->stats;
		struct ciot_device_coverage *grown = realloc(s->coverage, (s->ncoverage + 1) * sizeof *grown);
		if (!grown) {
			rc = ciot_fail(b->errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		s->coverage = grown;
		struct ciot_device_coverage *c = &s->coverage[s->ncoverage];
		memset(c, 0, sizeof *c);
		const char *name = (const char *)sqlite3_column_text(st, 0);
		snprintf(c->device, sizeof c->device, "%s", name ? name : "");
		c->servers = (uint64_t)sqlite3_column_int64(st, 1);
		c->by_rule = (uint64_t)sqlite3_column_int64(st, 2);
		c->by_evidence = (uint64_t)sqlite3_column_int64(st, 3);
		c->by_default = (uint64_t)sqlite3_column_int64(st, 4);
		c->lab_hosts = (uint64_t)sqlite3_column_int64(st, 5);
		sqlite3_int64 id = sqlite3_column_int64(st, 6);
		for (size_t i = 0; i < b->ngaps; i++)
			if (b->gaps[i].device_id == id)
				c->brand_gap = b->gaps[i].gap;
		s->ncoverage++;
	}
	sqlite3_finalize(st);
	/* the brand warnings, stored beside the counts they explain */
	if (!rc && sqlite3_prepare_v2(b->db, "UPDATE attribution_coverage SET brand_warning = ?2 WHERE device_id = ?1",
				      -1, &st, NULL) == SQLITE_OK) {
		for (size_t i = 0; !rc && i < b->ngaps; i++) {
			sqlite3_bind_int64(st, 1, b->gaps[i].device_id);
			sqlite3_bind_text(st, 2, b->gaps[i].gap, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = ciot_db_fail(b->db, b->errbuf, "attribution_coverage");
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	} else if (!rc) {
		rc = ciot_db_fail(b->db, b->errbuf, "attribution_coverage");
	}
	return rc;
}

/* The organization (O=) of an RFC 2253 subject, unescaped into out; false when it has none. */
static bool subject_organization(const char *subject, char *out, size_t cap)
{
	for (const char *p = subject; p && *p;) {
		if ((p[0] == 'O' || p[0] == 'o') && p[1] == '=') {
			size_t n = 0;
			for (p += 2; *p && *p != ',' && *p != '+'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (n + 1 < cap)
					out[n++] = *p;
			}
			while (n && out[n - 1] == ' ')
				n--;
			out[n] = 0;
			return n > 0;
		}
		/* the next attribute: after an unescaped ',' or '+' */
		for (; *p && *p != ',' && *p != '+'; p++)
			if (*p == '\\' && p[1])
				p++;
		while (*p == ',' || *p == '+' || *p == ' ')
			p++;
	}
	return false;
}

/* Evidence for a flow no rule decided, in order: its server's leaf certificate's organization,
 * then the CNAME chain of the DNS answer that named the address (the name nearest the address
 * first), then the vendor's own network (the AS organization is the vendor) and the vendor's own
 * name (the registrable domain holds the brand). *evidence names the kind that decided
 * ("certificate", "cname", "vendor-network", "vendor-name"), NULL when none did. The last kind, a
 * domain only one brand's devices contact, needs the whole dataset: single_brand. */
static int id_cmp(const void *a, const void *b)
{
	sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
	return (x > y) - (x < y);
}

static enum ciot_rc load_cert_flows(struct builder *b)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(b->db,
			       "SELECT DISTINCT t.flow_id FROM tls_connections t JOIN certificates c ON c.sha256 = t.leaf_sha256"
			       " WHERE c.subject IS NOT NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "tls_connections");
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (b->ncert_flows == cap) {
			cap = cap ? cap * 2 : 1024;
			sqlite3_int64 *grown = realloc(b->cert_flows, cap * sizeof *grown);
			if (!grown) {
				sqlite3_finalize(st);
				return ciot_fail(b->errbuf, CIOT_ERR_NOMEM, "out of memory");
			}
			b->cert_flows = grown;
		}
		b->cert_flows[b->ncert_flows++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return ciot_db_fail(b->db, b->errbuf, "tls_connections");
	if (b->ncert_flows)
		qsort(b->cert_flows, b->ncert_flows, sizeof *b->cert_flows, id_cmp);
	return CIOT_OK;
}

static enum ciot_rc decide_by_evidence(struct builder *b, sqlite3_int64 flow_id, const struct ciot_party_device *dev,
				       const struct ciot_party_endpoint *e, const char *cnames,
				       struct ciot_attribution *at, const char **evidence)
{
	*evidence = NULL;
	struct ciot_attribution found = { 0 };
	sqlite3_stmt *st = b->certificate;
	int step = SQLITE_DONE;
	if (b->ncert_flows && bsearch(&flow_id, b->cert_flows, b->ncert_flows, sizeof flow_id, id_cmp))
		sqlite3_bind_int64(st, 1, flow_id);
	else
		st = NULL;
	while (st && (step = sqlite3_step(st)) == SQLITE_ROW) {
		char org[256];
		const char *subject = (const char *)sqlite3_column_text(st, 0);
		if (subject && subject_organization(subject, org, sizeof org) &&
		    ciot_rules_attribute_certificate(b->d->rules, dev, e, org, &found)) {
			*evidence = "certificate";
			break;
		}
	}
	if (st)
		sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return ciot_db_fail(b->db, b->errbuf, "certificates");
	if (!*evidence && cnames) {
		/* "a.example.com b.cdn.net": the last name is the address's owner */
		const char *end = cnames + strlen(cnames);
		while (end > cnames && !*evidence) {
			const char *start = end;
			while (start > cnames && start[-1] != ' ')
				start--;
			char name[256];
			size_t n = (size_t)(end - start);
			if (n && n < sizeof name) {
				memcpy(name, start, n);
				name[n] = 0;
				if (ciot_rules_attribute_cname(b->d->rules, dev, e, name, &found))
					*evidence = "cname";
			}
			end = start > cnames ? start - 1 : cnames;
		}
	}
	if (!*evidence && ciot_rules_attribute_vendor_network(b->d->rules, dev, e, &found))
		*evidence = "vendor-network";
	if (!*evidence && ciot_rules_attribute_vendor_name(b->d->rules, dev, e, &found))
		*evidence = "vendor-name";
	if (*evidence)
		*at = found;
	return CIOT_OK;
}

/* A server is its registrable domain (Table 1 counts them), so a domain is one party to a device:
 * when its flows were decided differently (one flow's certificate names the vendor, another's
 * address has only a CNAME into a CDN, a third no evidence at all: Netflix's nflximg.net), every
 * flow takes the decision of the best decided one: a rule before evidence before the default,
 * and among evidence the order decide_by_evidence tries it in. */
static enum ciot_rc one_party_per_server(struct builder *b)
{
	static const char sql[] =
		"WITH fl AS (SELECT t.flow_id, c.device_id, t.domain, (CASE t.decision WHEN 'rule' THEN 0"
		"  WHEN 'evidence' THEN 10 ELSE 20 END) + (CASE t.evidence WHEN 'certificate' THEN 0 WHEN 'cname'"
		"  THEN 1 WHEN 'vendor-network' THEN 2 WHEN 'vendor-name' THEN 3 ELSE 4 END) AS rank"
		"  FROM destinations t JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id"
		"  WHERE t.domain IS NOT NULL AND t.party IN ('first', 'support', 'third')),"
		" best AS (SELECT device_id, domain, flow_id FROM (SELECT device_id, domain, flow_id,"
		"  row_number() OVER (PARTITION BY device_id, domain ORDER BY rank, flow_id) AS k FROM fl) WHERE k = 1)"
		" UPDATE destinations SET party = b.party, organization = b.organization, party_rule = b.party_rule,"
		"  decision = b.decision, evidence = b.evidence"
		" FROM (SELECT fl.flow_id AS target, d.party, d.organization, d.party_rule, d.decision, d.evidence"
		"  FROM fl JOIN best ON best.device_id = fl.device_id AND best.domain = fl.domain"
		"  JOIN destinations d ON d.flow_id = best.flow_id) AS b"
		" WHERE destinations.flow_id = b.target AND destinations.party <> b.party";
	if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "destinations (one party per server)");
	return CIOT_OK;
}

/* The third evidence, over the whole dataset: a registrable domain that the devices of one brand
 * alone contact, at least two of them, is likely that brand's vendor's: first party to them, a
 * guess, and said as one. Only when the dataset has devices of at least two brands (else every
 * domain would be), and only brands that are given: a device without one, or with its id as
 * brand, makes no domain it contacts single-brand. Two devices, because what one device alone
 * contacts is as often a third party its firmware or app happens to use (an analytics or crash
 * reporting SDK) as its vendor's: on the development set of tests/attribution/labels.tsv, one
 * device per brand, the guess was wrong on 7 of 8 domains (one of them labelled ambiguous); a
 * domain that several devices of a brand share and no other brand contacts is the brand's
 * pattern, not one device's habit. */
static enum ciot_rc single_brand(struct builder *b)
{
	static const char sql[] =
		"WITH dev AS (SELECT id, CASE WHEN brand IS NULL OR brand = '' OR lower(brand) = lower(name) THEN NULL"
		"  ELSE lower(brand) END AS brand FROM devices),"
		" brands AS (SELECT count(DISTINCT brand) AS n FROM dev),"
		" single AS (SELECT t.domain AS domain, min(dev.brand) AS brand, count(DISTINCT dev.id) AS devices"
		"  FROM destinations t"
		"  JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id JOIN dev ON dev.id = c.device_id"
		"  WHERE t.domain IS NOT NULL AND t.party IN ('first', 'support', 'third') GROUP BY t.domain"
		"  HAVING count(DISTINCT dev.brand) = 1 AND sum(dev.brand IS NULL) = 0 AND count(DISTINCT dev.id) >= 2)"
		" UPDATE destinations SET party = 'first', decision = 'evidence', evidence = 'single-brand',"
		"  party_rule = 'guess: only devices of brand ' || (SELECT s.brand FROM single s WHERE s.domain ="
		"  destinations.domain) || ' contact ' || domain || ', ' || (SELECT s.devices FROM single s WHERE"
		"  s.domain = destinations.domain) || ' of them (the dataset has ' || (SELECT n FROM brands) ||"
		"  ' brands)'"
		" WHERE decision = 'default' AND (SELECT n FROM brands) >= 2 AND domain IN (SELECT domain FROM single)";
	if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "destinations (single-brand domains)");
	return CIOT_OK;
}

static void bind_in_place(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static enum ciot_rc build_device(struct builder *b, sqlite3_int64 device_id, const struct ciot_party_device *dev)
{
	enum ciot_rc rc = load_answers(b, device_id);
	if (rc)
		return rc;
	sqlite3_stmt *st = b->flows;
	sqlite3_bind_int64(st, 1, device_id);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 flow_id = sqlite3_column_int64(st, 0);
		const char *remote = (const char *)sqlite3_column_text(st, 1);
		int64_t first_us = sqlite3_column_int64(st, 2);
		const char *server_name = (const char *)sqlite3_column_text(st, 3);
		const char *server_source = (const char *)sqlite3_column_text(st, 4);
		uint8_t addr[16];
		if (!remote || !ciot_addr_parse(remote, addr)) {
			sqlite3_reset(st);
			return ciot_fail(b->errbuf, CIOT_ERR_DB, "flow %lld: remote address \"%s\" is not an address",
					 (long long)flow_id, remote ? remote : "");
		}
		bool later;
		const char *cnames;
		const char *dns_name = dns_name_for(b, remote, first_us, &later, &cnames);
		const char *name = server_name, *source = server_source;
		if (!name && dns_name) {
			name = dns_name;
			source = later ? "dns-later" : "dns";
		}
		const char *domain = registrable_domain(b, name);
		char country[8];
		uint32_t asn = 0;
		const char *as_org = NULL;
		struct ciot_attribution at = { 0 };
		bool local = ciot_addr_is_local(addr);
		const char *lab = lab_host_for(b, addr, name, dns_name);
		const char *decision = local ? "local" : "default", *evidence = NULL;
		b->stats->flows++;
		if (lab) {
			/* located (the country says where the lab's host is) but no party, organization
			 * or overseas share: the lab's infrastructure is not the device's choice */
			b->stats->lab_flows++;
			decision = "lab";
			snprintf(country, sizeof country, "local");
			if (!local) {
				nat64_to_ipv4(addr);
				if (!ciot_geo_country(b->d->geo, addr, country))
					snprintf(country, sizeof country, "unknown");
				if (!ciot_geo_asn(b->d->geo, addr, &asn, &as_org))
					asn = 0;
			}
			snprintf(at.rule, sizeof at.rule, "lab host %s", lab);
		} else if (local) {
			snprintf(country, sizeof country, "local");
			at.organization = NULL;
			snprintf(at.rule, sizeof at.rule, "local address");
		} else {
			b->stats->internet_flows++;
			nat64_to_ipv4(addr);
			if (!ciot_geo_country(b->d->geo, addr, country)) {
				snprintf(country, sizeof country, "unknown");
				b->stats->internet_no_country++;
			}
			if (!ciot_geo_asn(b->d->geo, addr, &asn, &as_org))
				asn = 0;
			struct ciot_party_endpoint e = { .name = name, .domain = domain, .addr = addr, .asn = asn,
							 .as_org = as_org };
			ciot_rules_attribute(b->d->rules, b->d->o.convention, dev, &e, &at);
			if (at.decided)
				decision = "rule";
			else if ((rc = decide_by_evidence(b, flow_id, dev, &e, cnames, &at, &evidence))) {
				sqlite3_reset(st);
				return rc;
			}
			if (evidence)
				decision = "evidence";
			if (server_name)
				b->stats->named_by_flow++;
			else if (dns_name && later)
				b->stats->named_by_later_dns++;
			else if (dns_name)
				b->stats->named_by_dns++;
			else
				b->stats->internet_unnamed++;
		}
		/* every parameter is bound again for every row, and each string stays where it is until
		 * the row is inserted (the flow's row is current, the names are the pool's and the
		 * rules'): bound in place, not copied */
		sqlite3_stmt *ins = b->insert;
		sqlite3_bind_int64(ins, 1, flow_id);
		bind_in_place(ins, 2, name);
		bind_in_place(ins, 3, name ? source : NULL);
		bind_in_place(ins, 4, dns_name);
		bind_in_place(ins, 5, domain);
		sqlite3_bind_text(ins, 6, country, -1, SQLITE_STATIC);
		if (asn)
			sqlite3_bind_int64(ins, 7, asn);
		else
			sqlite3_bind_null(ins, 7);
		bind_in_place(ins, 8, as_org);
		bind_in_place(ins, 9, at.organization);
		sqlite3_bind_text(ins, 10, lab ? "lab" : local ? "local" : ciot_party_name(at.party), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 11, at.rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 12, decision, -1, SQLITE_STATIC);
		bind_in_place(ins, 13, evidence);
		int done = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (done != SQLITE_DONE) {
			sqlite3_reset(st);
			return ciot_db_fail(b->db, b->errbuf, "destinations");
		}
	}
	sqlite3_reset(st);
	return step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(b->db, b->errbuf, "flows");
}

static enum ciot_rc build_all(struct builder *b)
{
	sqlite3_stmt *devices;
	if (sqlite3_prepare_v2(b->db, "SELECT id, name, brand, app, manifest FROM devices ORDER BY id", -1, &devices,
			       NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "devices");
	enum ciot_rc rc = CIOT_OK;
	int step;
	while (!rc && (step = sqlite3_step(devices)) == SQLITE_ROW) {
		struct manifest_lists m;
		manifest_lists_read(&m, (const char *)sqlite3_column_text(devices, 4));
		struct ciot_party_device dev = {
			.id = (const char *)sqlite3_column_text(devices, 1),
			.brand = (const char *)sqlite3_column_text(devices, 2),
			.app = (const char *)sqlite3_column_text(devices, 3),
			.vendor_orgs = m.vendor_orgs, .nvendor_orgs = m.nvendor_orgs,
			.vendor_domains = m.vendor_domains, .nvendor_domains = m.nvendor_domains,
			.policy_orgs = m.policy_orgs, .npolicy_orgs = m.npolicy_orgs,
		};
		const char *gap = ciot_rules_device_gap(b->d->rules, &dev);
		if (gap) {
			void *grown = realloc(b->gaps, (b->ngaps + 1) * sizeof *b->gaps);
			if (!grown) {
				rc = ciot_fail(b->errbuf, CIOT_ERR_NOMEM, "out of memory");
				json_decref(m.root);
				break;
			}
			b->gaps = grown;
			b->gaps[b->ngaps].device_id = sqlite3_column_int64(devices, 0);
			b->gaps[b->ngaps++].gap = gap;
		}
		rc = build_device(b, sqlite3_column_int64(devices, 0), &dev);
		json_decref(m.root);
	}
	if (!rc && step != SQLITE_DONE)
		rc = ciot_db_fail(b->db, b->errbuf, "devices");
	sqlite3_finalize(devices);
	return rc;
}

/* Whether the dataset named its home country: without one, reports take CN, and a lab elsewhere
 * would see its domestic traffic counted as overseas. */
static enum ciot_rc check_home_country(struct builder *b)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(b->db, "SELECT 1 FROM meta WHERE key = 'home_country'", -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "meta");
	b->stats->no_home_country = sqlite3_step(st) != SQLITE_ROW;
	sqlite3_finalize(st);
	return CIOT_OK;
}

static enum ciot_rc record_meta(struct builder *b)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(b->db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return ciot_db_fail(b->db, b->errbuf, "meta");
	char psl_text[256];
	snprintf(psl_text, sizeof psl_text, "libpsl %s, %s", psl_get_version(),
		 b->d->psl == psl_builtin() ? "built-in list" : psl_dist_filename());
	const char *pairs[][2] = {
		{ "geo_data", ciot_geo_description(b->d->geo) },
		{ "attribution_rules", b->d->o.rules_dir },
		{ "public_services_party", ciot_public_convention_name(b->d->o.convention) },
		{ "public_suffix_list", psl_text },
		/* in the transaction that makes the destinations cover every stored capture: the
		 * database is complete (store.c, mark_incomplete) */
		{ "complete", "1" },
	};
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0] && !rc; i++) {
		sqlite3_bind_text(st, 1, pairs[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pairs[i][1], -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = ciot_db_fail(b->db, b->errbuf, "meta");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

enum ciot_rc ciot_destinations_open(struct ciot_destinations **out, const struct ciot_destination_options *o,
				    char *errbuf)
{
	*out = NULL;
	struct ciot_destinations *d = calloc(1, sizeof *d);
	if (!d)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	d->o = *o;
	enum ciot_rc rc;
	if ((rc = ciot_geo_open(&d->geo, o->geo_dir, errbuf)) || (rc = ciot_rules_load(&d->rules, o->rules_dir, errbuf))) {
		ciot_destinations_close(d);
		return rc;
	}
	/* the Debian publicsuffix package's list when present: newer than the one built into libpsl */
	d->latest_psl = psl_latest(NULL);
	d->psl = d->latest_psl ? d->latest_psl : psl_builtin();
	if (!d->psl) {
		ciot_destinations_close(d);
		return ciot_fail(errbuf, CIOT_ERR_IO, "no public suffix list (the publicsuffix package: make setup)");
	}
	*out = d;
	return CIOT_OK;
}

void ciot_destinations_close(struct ciot_destinations *d)
{
	if (!d)
		return;
	psl_free(d->latest_psl);
	ciot_rules_free(d->rules);
	ciot_geo_close(d->geo);
	free(d);
}

const char *ciot_destinations_geo_description(const struct ciot_destinations *d)
{
	return ciot_geo_description(d->geo);
}

enum ciot_rc ciot_destinations_build(struct ciot_destinations *d, sqlite3 *db, struct ciot_destination_stats *stats,
				     char *errbuf)
{
	memset(stats, 0, sizeof *stats);
	stats->dns_names_max_bytes = CIOT_STRPOOL_MAX_BYTES;
	struct builder b = { .db = db, .d = d, .stats = stats, .errbuf = errbuf };
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_prepare_v2(db, "INSERT INTO destinations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", -1,
			       &b.insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT a.address, a.ts_us, a.query, a.cnames FROM dns_answers a JOIN captures c ON c.id = a.capture_id"
			       " WHERE c.device_id = ?1",
			       -1, &b.answers, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT f.id, f.remote_ip, f.first_us, f.server_name, f.server_name_source FROM flows f"
			       " JOIN captures c ON c.id = f.capture_id WHERE c.device_id = ?1",
			       -1, &b.flows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT c.subject FROM tls_connections t JOIN certificates c ON c.sha256 = t.leaf_sha256"
			       " WHERE t.flow_id = ?1 AND c.subject IS NOT NULL ORDER BY c.sha256",
			       -1, &b.certificate, NULL) != SQLITE_OK) {
		rc = ciot_db_fail(db, errbuf, "prepare");
		goto out;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ciot_db_fail(db, errbuf, "begin");
		goto out;
	}
	if (sqlite3_exec(db, "DELETE FROM destinations", NULL, NULL, NULL) != SQLITE_OK)
		rc = ciot_db_fail(db, errbuf, "destinations");
	if (!rc)
		rc = load_lab_hosts(&b);
	if (!rc)
		rc = load_cert_flows(&b);
	if (!rc)
		rc = build_all(&b);
	if (!rc)
		rc = one_party_per_server(&b);
	if (!rc)
		rc = single_brand(&b);
	if (!rc)
		rc = build_coverage(&b);
	if (!rc)
		rc = record_meta(&b);
	if (!rc)
		rc = check_home_country(&b);
	if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = ciot_db_fail(db, errbuf, "commit");
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(b.insert);
	sqlite3_finalize(b.answers);
	sqlite3_finalize(b.flows);
	sqlite3_finalize(b.certificate);
	ciot_strpool_free(&b.pool);
	free(b.answers_buf);
	free(b.gaps);
	free(b.cert_flows);
	json_decref(b.lab_json);
	return rc;
}

void ciot_destination_stats_free(struct ciot_destination_stats *stats)
{
	free(stats->coverage);
	stats->coverage = NULL;
	stats->ncoverage = 0;
}
