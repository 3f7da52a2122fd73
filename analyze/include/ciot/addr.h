/* ciot/addr.h: what kind of address an IP is, and how to print and parse it; public because the
 * capture library parses the lab's --mac and --ip as the analysis does.
 *
 * Addresses are 16 bytes everywhere in ciot, IPv4 as IPv4-mapped IPv6, so one key type serves both
 * families. "Local" follows the lifecycle paper's notion of traffic that does not leave the home:
 * private (RFC 1918, RFC 6598 shared, ULA), link-local, loopback, multicast, broadcast, unspecified.
 */
#ifndef CIOT_ADDR_H
#define CIOT_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define CIOT_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

bool ciot_addr_is_v4(const uint8_t a[16]);
/* Private, link-local or loopback unicast: an address a device in the lab can have. */
bool ciot_addr_is_private(const uint8_t a[16]);
/* Multicast, limited broadcast or unspecified: not one host's address. */
bool ciot_addr_is_group(const uint8_t a[16]);
/* Does not leave the home network: private or group. */
bool ciot_addr_is_local(const uint8_t a[16]);
void ciot_addr_format(const uint8_t a[16], char out[CIOT_ADDR_STRLEN]);
/* Parses dotted IPv4 or IPv6 text into 16 bytes; false when it is neither. */
bool ciot_addr_parse(const char *text, uint8_t out[16]);
/* Parses a MAC in colon, dash or bare-hex spelling, either case. */
bool ciot_mac_parse(const char *text, uint8_t out[6]);
void ciot_mac_format(const uint8_t mac[6], char out[18]);

#endif
