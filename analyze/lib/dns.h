/* dns.h: what ciot reads from DNS messages (RFC 1035, 3596): the names a device looked up, read
 * from the responses it received, and all the text any DNS message carries, for the personal-data
 * detector.
 *
 * Destination naming needs one thing from DNS: which addresses a name resolved to. For a response
 * with one question, every A and AAAA record whose owner is the question's name, or is reached from
 * it through the answer section's CNAME records, is reported with the whole chain of names. Records
 * that do not hang off the question (other names in the answer section, the authority and
 * additional sections) are ignored: they are not what the device asked for, and a spoofed response
 * must not name an address after a name nobody looked up.
 *
 * The personal-data detector needs the opposite: every piece of text in a message, whatever it
 * answers or whether it is an answer at all. A device announcing itself over mDNS puts its owner's
 * choices in names ("Kitchen Plug._hap._tcp.local") and its identifiers in TXT strings
 * ("deviceid=AA:BB:CC:DD:EE:FF"); ciot_dns_walk_text hands over each such name and string exactly
 * as sent, case and all, from queries and responses of any opcode and class alike.
 *
 * Everything is untrusted: labels and names are length-checked, compression pointers may only
 * point backwards and are followed at most CIOT_DNS_MAX_POINTERS times per name, CNAME chains at
 * most CIOT_DNS_MAX_CHAIN hops. ciot_dns_parse_response returns names in presentation form, lower
 * case, without the final dot (the root is "."); a byte outside '!'..'~', and '.' or '\' inside a
 * label, is written as \DDD (as dig). Addresses come in chain order, then message order; answer
 * records of classes other than IN are ignored. A response damaged in its answer section still
 * reports the addresses of the records before the damage, and returns CIOT_DNS_MALFORMED.
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
/* Questions and resource records together: a 64 KB message could otherwise hold about 13,000. */
#define CIOT_DNS_WALK_MAX_RECORDS 4096

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

enum ciot_dns_text_kind {
	CIOT_DNS_TEXT_NAME, /* a domain name: its labels' bytes joined by '.', no final dot */
	CIOT_DNS_TEXT_TXT   /* one character-string of a TXT record, without its length byte */
};

/* `text` holds `len` bytes (1 to 253 for a name, 1 to 255 for a TXT string), not terminated, and
 * is valid only during the call. */
typedef void (*ciot_dns_text_fn)(void *ctx, enum ciot_dns_text_kind kind, const uint8_t *text, size_t len);

/* Calls fn for every domain name in one DNS message (framed as for ciot_dns_parse_response) and
 * every TXT character-string, in message order, through all four sections whatever the header's
 * QR bit, opcode and the records' classes (mDNS's cache-flush and unicast-response bits included).
 *
 * The names are each question's, each record's owner, and those inside the RDATA of CNAME, NS, PTR,
 * DNAME, MX, SRV and SOA records (both of SOA's). An owner is reported once its record's type has
 * been read, and not for OPT (RFC 6891), whose owner is a placeholder rather than a name. Each name
 * is given as sent: labels are not lower-cased or escaped, so one may hold a '.', a space, UTF-8 or
 * a zero byte, and the text differs from the presentation form above. The root, and a zero-length
 * TXT string, carry no text and are not reported. Other RDATA, and RDATA of length zero (RFC 2136's
 * deletions), is skipped.
 *
 * Returns false when the message is truncated or malformed, with the same rules as the rest of
 * this file, when a name-bearing RDATA holds anything after its names and fixed fields, or when it
 * has more than CIOT_DNS_WALK_MAX_RECORDS questions and records (only that many are walked); fn
 * has then been called for everything before the damage, so what a damaged message reports is
 * always a beginning of what the whole one would. fn may be NULL: the message is only checked. */
bool ciot_dns_walk_text(const uint8_t *msg, size_t len, ciot_dns_text_fn fn, void *ctx);

/* DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message behind a 2-byte length. Calls fn (when not
 * NULL) for every whole message from the start of buf, in order, and stops at the first that the
 * buffer does not hold whole. Returns true when buf is exactly a run of whole, non-empty messages
 * (a segment that starts or ends inside one, or carries an empty one, is not). The one framer of
 * DNS over TCP: the DNS analyzer reads answers only from exact segments, the PII search reads
 * every whole message. */
typedef void (*ciot_dns_message_fn)(void *ctx, const uint8_t *msg, size_t len);
bool ciot_dns_tcp_messages(const uint8_t *buf, size_t len, ciot_dns_message_fn fn, void *ctx);

#endif
