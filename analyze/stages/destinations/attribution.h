/* attribution.h: who runs a remote endpoint, and which party that is to a device.
 *
 * Ren et al.'s three steps, as the lifecycle paper applies them (its section 2): (1) the endpoint
 * belongs to the device's manufacturer or to its companion app's vendor: first party; (2) it belongs
 * to a provider of cloud, storage, CDN or network services, to the parent ecosystem the brand builds
 * on, or to an organization the device's privacy policy names: support party; (3) anything else:
 * third party. Public DNS resolvers and NTP pools are decided by a convention of their own (the
 * lifecycle paper counts them as third parties).
 *
 * A named endpoint's organization comes from its name (domain rules) only: the AS says who hosts
 * a service, not whose it is. AS rules decide for endpoints known by their address alone.
 *
 * The knowledge is data, not code: datasets/attribution/ holds the organizations and their roles,
 * the domain and AS rules that map an endpoint to an organization (domain rules first, the longest
 * matching suffix of the host name wins; AS rules for addresses without a name), the brand ->
 * maker table, and the public services. Adding a vendor or a provider is a line in one of those
 * files; datasets/attribution/README.md describes them. Every decision names the rule that made it.
 */
#ifndef CIOT_ATTRIBUTION_H
#define CIOT_ATTRIBUTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "ciot/destinations.h"

enum ciot_party { CIOT_PARTY_FIRST, CIOT_PARTY_SUPPORT, CIOT_PARTY_THIRD };
const char *ciot_party_name(enum ciot_party p); /* "first", "support", "third" */

/* How public DNS resolvers and NTP pools count: enum ciot_public_convention, a setting of the
 * destinations stage (ciot/destinations.h). "third", "support", "org"; false for another name. */
bool ciot_public_convention_parse(const char *name, enum ciot_public_convention *out);
const char *ciot_public_convention_name(enum ciot_public_convention c);

/* What is known of the device: its identity, and what its manifest says (may all be empty). */
struct ciot_party_device {
	const char *id, *brand, *app;
	const char *const *vendor_orgs;   /* manifest devices[].vendor.organizations */
	size_t nvendor_orgs;
	const char *const *vendor_domains; /* manifest devices[].vendor.domains */
	size_t nvendor_domains;
	const char *const *policy_orgs;   /* manifest devices[].privacy_policy.organizations */
	size_t npolicy_orgs;
};

/* A public remote endpoint. */
struct ciot_party_endpoint {
	const char *name;      /* host name the device used for it, lower case; NULL when none */
	const char *domain;    /* its registrable domain (eTLD+1); NULL when none */
	const uint8_t *addr;   /* 16 bytes, IPv4-mapped for IPv4 */
	uint32_t asn;          /* 0 when unknown */
	const char *as_org;    /* the AS organization's name from the ASN data; NULL when unknown */
};

#define CIOT_ATTRIBUTION_RULE_MAX 160

struct ciot_attribution {
	enum ciot_party party;
	/* The canonical organization (from the rules), else the AS organization's name as the ASN data
	 * spells it, else NULL. Valid while the rules and the endpoint are. */
	const char *organization;
	/* Which rule decided, readable and stable enough to group by, e.g.
	 * "domain io.mi.com -> Xiaomi; ecosystem of brand xiaobai" or "asn 37963 -> Alibaba Cloud; role cloud". */
	char rule[CIOT_ATTRIBUTION_RULE_MAX];
	/* Whether a rule decided the party. False: no rule knows the endpoint's organization, and it
	 * is third party only by default (step 3 applied to nothing known): the guesses that coverage
	 * counts and that evidence may settle. */
	bool decided;
};

struct ciot_rules;

/* Loads every rule file of `dir` (datasets/attribution); an error names the file and line. */
enum ciot_rc ciot_rules_load(struct ciot_rules **out, const char *dir, char *errbuf);
void ciot_rules_free(struct ciot_rules *r);

/* Why no server can be first party to the device by its brand, or NULL when one can: the device
 * has no brand, its brand is its id (a guess a manifest writer made), or brands.tsv does not know
 * the brand and the manifest names neither a vendor nor a companion app the rules know. */
const char *ciot_rules_device_gap(const struct ciot_rules *r, const struct ciot_party_device *d);

/* Decides the endpoint's organization and party for the device. */
void ciot_rules_attribute(const struct ciot_rules *r, enum ciot_public_convention convention,
			  const struct ciot_party_device *d, const struct ciot_party_endpoint *e,
			  struct ciot_attribution *out);

/* Evidence, for an endpoint no rule decided (ciot_rules_attribute left it undecided). Each fills
 * *out and returns true when the evidence decides; else returns false and leaves the party alone.
 *
 * The organization (O=) of the subject of the server's leaf certificate: an organization of the
 * rules (by its name, or the longest run of the O's words that is one, so that legal forms fall
 * away), whose party is then decided as for a rule; or the manifest's vendor organization by name
 * (first party). */
bool ciot_rules_attribute_certificate(const struct ciot_rules *r, const struct ciot_party_device *d,
				      const struct ciot_party_endpoint *e, const char *subject_org,
				      struct ciot_attribution *out);

/* A name of the CNAME chain that led the device to the address: when a domain rule knows it and
 * its organization is first or support party to the device (a cloud's or a CDN's domain, the
 * maker's own). A CNAME into a third party's domain decides nothing. */
bool ciot_rules_attribute_cname(const struct ciot_rules *r, const struct ciot_party_device *d,
				const struct ciot_party_endpoint *e, const char *cname, struct ciot_attribution *out);

/* The vendor's own: the endpoint's AS organization names the device's maker, its app's vendor
 * or a manifest vendor organization as whole words ("LINE Corporation" for a LINE app): the vendor
 * runs the network the server is in, and no rule knows that network as a cloud or a carrier
 * (those are rules, decided before any evidence). First party. */
bool ciot_rules_attribute_vendor_network(const struct ciot_rules *r, const struct ciot_party_device *d,
					 const struct ciot_party_endpoint *e, struct ciot_attribution *out);

/* The vendor's own: the first label of the endpoint's registrable domain holds the device's brand
 * or the first label of a manifest vendor domain: it equals it, has it as a hyphen-separated part
 * ("line-apps"), or, for a token of 5 characters or more, begins or ends with it ("steamserver",
 * "cdninstagram", "getdropbox"). First party. */
bool ciot_rules_attribute_vendor_name(const struct ciot_rules *r, const struct ciot_party_device *d,
				      const struct ciot_party_endpoint *e, struct ciot_attribution *out);

#endif
