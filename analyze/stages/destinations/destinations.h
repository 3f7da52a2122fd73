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
 *
 * What a tool runs (settings, open, build, close) is public: ciot/destinations.h.
 */
#ifndef CIOT_DESTINATIONS_INTERNAL_H
#define CIOT_DESTINATIONS_INTERNAL_H

#include "attribution.h"
#include "ciot/destinations.h"

/* One line for the database's meta: which geolocation data is loaded. */
const char *ciot_destinations_geo_description(const struct ciot_destinations *d);

#endif
