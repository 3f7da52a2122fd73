/* destinations.h: who every flow's remote end is: its host name, registrable domain, country,
 * autonomous system, organization and party (first, support or third) to the device.
 *
 * This runs after the captures are stored, over the whole database, because naming crosses
 * capture files: a device looks a server up during setup and keeps talking to the address in the
 * idle capture. A flow's name is the one it sent itself (TLS or QUIC SNI, HTTP Host) when there is
 * one, else the device's own DNS lookup of the address that came last before the flow began (so an
 * address reused by several names keeps each name for the flows that followed its lookup); when
 * the device only looked the address up after the flow began (a capture that starts mid-connection)
 * the first later lookup names it, marked 'dns-later'. The DNS name is kept beside the flow's own.
 *
 * The result is the `destinations` table, rebuilt whole in one transaction on every run, so it
 * always agrees with the flows, the geolocation data and the rules recorded in `meta`.
 */
#ifndef CIOT_DESTINATIONS_H
#define CIOT_DESTINATIONS_H

#include <stdint.h>

#include "attribution.h"
#include "ciot/ciot.h"

struct sqlite3;

struct ciot_destination_options {
	const char *geo_dir;    /* datasets/geo */
	const char *rules_dir;  /* datasets/attribution */
	enum ciot_public_convention convention;
};

struct ciot_destination_stats {
	uint64_t flows, internet_flows;
	uint64_t named_by_flow, named_by_dns, named_by_later_dns;
	uint64_t internet_unnamed, internet_no_country;
	uint64_t dns_answers;
	uint64_t dns_answers_dropped; /* not used: a device's names exceeded CIOT_STRPOOL_MAX_BYTES */
};

/* Default data locations: $CIOT_GEO_DIR, $CIOT_RULES_DIR, else the checkout's datasets/. */
void ciot_destination_default_options(struct ciot_destination_options *o);

struct ciot_destinations;

/* Loads what naming and attribution need (geolocation data, rules, public suffix list), so that a
 * missing file is reported before hours of analysis rather than after. */
enum ciot_rc ciot_destinations_open(struct ciot_destinations **out, const struct ciot_destination_options *o,
				    char *errbuf);
void ciot_destinations_close(struct ciot_destinations *d);
/* One line for the tool's -V and for meta: which geolocation data is loaded. */
const char *ciot_destinations_geo_description(const struct ciot_destinations *d);

/* Rebuilds the destinations table of the database. */
enum ciot_rc ciot_destinations_build(struct ciot_destinations *d, struct sqlite3 *db,
				     struct ciot_destination_stats *stats, char *errbuf);

#endif
