/* ciot/destinations.h: the destinations stage as a tool runs it: who every flow's remote end is (host
 * name, registrable domain, country, AS, organization, and party to the device), computed over the
 * whole stored database after the captures, because naming crosses capture files. How names,
 * countries and parties are found: docs/destinations.md.
 *
 * Its settings are where its data is and how public services count; a tool changes them through the
 * stage's options (ciot_option_group, ciot/analyze.h), and opens the stage before the analysis so
 * that a missing file is reported before hours of work rather than after.
 */
#ifndef CIOT_DESTINATIONS_H
#define CIOT_DESTINATIONS_H

#include <stdint.h>

#include "ciot/ciot.h"

struct sqlite3;

/* How public DNS resolvers and NTP pools count. */
enum ciot_public_convention {
	CIOT_PUBLIC_THIRD,   /* always third party (the lifecycle paper's convention; the default) */
	CIOT_PUBLIC_SUPPORT, /* always support party (network services the device needs) */
	CIOT_PUBLIC_BY_ORG   /* like any endpoint, by the organization that runs them */
};

#define CIOT_DESTINATION_MAX_LAB_HOSTS 64

struct ciot_destination_options {
	const char *geo_dir;    /* datasets/geo */
	const char *rules_dir;  /* datasets/attribution */
	enum ciot_public_convention convention;
	/* the lab's own hosts (--lab-host), besides the manifest's lab_hosts: never a party */
	const char *lab_hosts[CIOT_DESTINATION_MAX_LAB_HOSTS];
	size_t nlab_hosts;
};

/* Default data locations: $CIOT_GEO_DIR, $CIOT_RULES_DIR, else the checkout's datasets/. */
void ciot_destination_default_options(struct ciot_destination_options *o);

/* How one device's servers (a registrable domain, else an address, as Table 1 counts them) got
 * their party: by a rule, by evidence the capture holds, or by no rule (third party by default). */
struct ciot_device_coverage {
	char device[256];
	uint64_t servers, by_rule, by_evidence, by_default;
	uint64_t lab_hosts;    /* servers that are lab hosts, not counted in servers */
	const char *brand_gap; /* why no server can be first party by the brand, or NULL */
};

struct ciot_destination_stats {
	uint64_t flows, internet_flows;
	uint64_t named_by_flow, named_by_dns, named_by_later_dns;
	uint64_t internet_unnamed, internet_no_country;
	uint64_t dns_answers;
	uint64_t dns_answers_dropped; /* not used: a device's names exceeded dns_names_max_bytes */
	uint64_t dns_names_max_bytes; /* distinct names and addresses held per device at most */
	uint64_t lab_flows;           /* flows to the lab's own hosts */
	bool no_home_country;         /* the dataset names no home country: reports take CN */
	struct ciot_device_coverage *coverage; /* one per device (ciot_destination_stats_free) */
	size_t ncoverage;
};

/* Frees the coverage list a build filled in. */
void ciot_destination_stats_free(struct ciot_destination_stats *stats);

struct ciot_destinations;

/* Loads what naming and attribution need (geolocation data, rules, public suffix list). */
enum ciot_rc ciot_destinations_open(struct ciot_destinations **out, const struct ciot_destination_options *o,
				    char *errbuf);
void ciot_destinations_close(struct ciot_destinations *d);

/* Rebuilds the destinations table of the database (ciot_store_db), whole, in one transaction. */
enum ciot_rc ciot_destinations_build(struct ciot_destinations *d, struct sqlite3 *db,
				     struct ciot_destination_stats *stats, char *errbuf);

#endif
