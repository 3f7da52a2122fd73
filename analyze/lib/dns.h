/* dns.h: the names a device looked up, read from the DNS responses it received (RFC 1035, 3596).
 *
 * Destination naming needs one thing from DNS: which addresses a name resolved to. For a response
 * with one question, every A and AAAA record whose owner is the question's name, or is reached from
 * it through the answer section's CNAME records, is reported with the whole chain of names. Records
 * that do not hang off the question (other names in the answer section, the authority and
 * additional sections) are ignored: they are not what the device asked for, and a spoofed response
 * must not name an address after a name nobody looked up.
 *
 * Everything is untrusted: labels and names are length-checked, compression pointers may only
 * point backwards and are followed at most CIOT_DNS_MAX_POINTERS times per name, CNAME chains at
 * most CIOT_DNS_MAX_CHAIN hops. Names are returned in presentation form, lower case, without the
 * final dot (the root is "."); a byte outside '!'..'~', and '.' or '\' inside a label, is written as
 * \DDD (as dig). Addresses come in chain order, then message order; answer records of classes
 * other than IN are ignored. A response damaged in its answer section still reports the addresses
 * of the records before the damage, and returns CIOT_DNS_MALFORMED.
 */
#ifndef CIOT_DNS_H
#define CIOT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A presentation name is at most 253 characters, but \DDD escapes can make it up to 4 times
 * longer. */
#define CIOT_DNS_NAME_MAX 1024
#define CIOT_DNS_MAX_POINTERS 32
#define CIOT_DNS_MAX_CHAIN 8

struct ciot_dns_address {
	/* names[0] is the question, each next one the target of the previous one's CNAME; the last
	 * one owns the address record. */
	const char *names[CIOT_DNS_MAX_CHAIN + 1];
	unsigned nnames;
	uint8_t addr[16]; /* an A record's address is IPv4-mapped (::ffff:a.b.c.d) */
	uint8_t ip_version;
	uint32_t ttl;
};

typedef void (*ciot_dns_address_fn)(void *ctx, const struct ciot_dns_address *a);

enum ciot_dns_result {
	CIOT_DNS_OK,           /* a response; fn was called for each address (maybe none) */
	CIOT_DNS_NOT_RESPONSE, /* a query, or not a standard query's response (opcode != 0) */
	CIOT_DNS_IGNORED,      /* a response, but not one question of class IN (so nothing to map) */
	CIOT_DNS_MALFORMED     /* truncated or invalid; fn may have been called for earlier answers */
};

/* Parses one DNS message: a UDP payload, or a DNS-over-TCP message without its 2-byte length
 * prefix. `len` is the number of bytes available at `msg`. */
enum ciot_dns_result ciot_dns_parse_response(const uint8_t *msg, size_t len, ciot_dns_address_fn fn, void *ctx);

/* Whether a DNS message (either direction) carries DNSSEC key material or signatures (a DNSKEY or
 * RRSIG record in any section): the encryption method counts those messages as encrypted. False
 * for a message that cannot be read up to such a record. */
bool ciot_dns_has_dnssec(const uint8_t *msg, size_t len);

#endif
