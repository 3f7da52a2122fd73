/* pii.h: personal data in clear text, found in a buffer of bytes. Two methods, as the lifecycle
 * paper (section 4.4: "text matching and regular expressions") and Ren et al. (Mon(IoT)r) use:
 *
 *   - patterns: PCRE2 expressions, JIT-compiled once and tried where one lexical pass over the
 *     buffer finds something they could match, for e-mail addresses,
 *     phone numbers (Chinese mobile and E.164), MAC addresses in every common spelling, UUIDs,
 *     IMEIs, Chinese resident ID numbers, latitude/longitude pairs, private IPv4 addresses and Wi-Fi
 *     SSIDs and passwords under known keys; each candidate is then checked in C where a check
 *     exists (Luhn for an IMEI, the ISO 7064 check character and the date of an ID number, the range
 *     of a coordinate), so that version strings, timestamps and random hex do not count;
 *   - seeds: the values the researcher typed into the companion app (the manifest's pii_seeds) and
 *     the device's own MAC addresses, each expanded into the encodings devices are known to send:
 *     lower and upper case, URL-encoded, hex, base64 at each of the three byte alignments, and
 *     MD5/SHA-1/SHA-256 digests of identifiers (MAC, IMEI, e-mail), all found in one Aho-Corasick
 *     pass.
 *
 * A seed match wins over a pattern match of the same bytes (it says more: this is the researcher's
 * own data). docs/pii.md gives every expression and rule.
 *
 * Buffers may be the continuation of a stream: the caller passes the tail of what it searched
 * before (the carry) in front of the new bytes, says how many bytes were carried, and whether more
 * may follow. A match is reported once: when it reaches into the new bytes and cannot grow any more
 * (only characters that could continue a value follow it up to the buffer's end, or nothing
 * follows).
 */
#ifndef CIOT_PII_H
#define CIOT_PII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"

enum ciot_pii_kind {
	CIOT_PII_EMAIL,
	CIOT_PII_PHONE,
	CIOT_PII_MAC,
	CIOT_PII_UUID,
	CIOT_PII_IMEI,
	CIOT_PII_CN_ID,
	CIOT_PII_GEO,
	CIOT_PII_PRIVATE_IP,
	CIOT_PII_WIFI_SSID,
	CIOT_PII_PASSWORD,      /* a value under a password key: Wi-Fi or account, the key cannot say */
	CIOT_PII_WIFI_PASSWORD, /* seeds only, from here on */
	CIOT_PII_NAME,
	CIOT_PII_ADDRESS,
	CIOT_PII_DEVICE_NAME,
	CIOT_PII_ACCOUNT_ID,
	CIOT_PII_NKINDS
};
const char *ciot_pii_kind_name(enum ciot_pii_kind k); /* "email", "cn-id", "wifi-ssid", ... */

enum ciot_pii_method { CIOT_PII_PATTERN, CIOT_PII_SEED };
const char *ciot_pii_method_name(enum ciot_pii_method m); /* "pattern", "seed" */

/* How the value was written where it was found. */
enum ciot_pii_encoding {
	CIOT_PII_PLAIN,
	CIOT_PII_LOWER,
	CIOT_PII_UPPER,
	CIOT_PII_URL,    /* percent-encoded (either hex case), or a form's '+' for space */
	CIOT_PII_HEX,    /* the value's bytes as hex digits, either case */
	CIOT_PII_BASE64, /* standard or URL-safe alphabet, at any alignment */
	CIOT_PII_MD5,    /* hex digests of an identifier, either case */
	CIOT_PII_SHA1,
	CIOT_PII_SHA256,
	CIOT_PII_NENCODINGS
};
const char *ciot_pii_encoding_name(enum ciot_pii_encoding e);

/* Seeds: manifest field names and the kinds they are. */
#define CIOT_PII_SEED_MIN 4    /* bytes: shorter values would match everywhere */
#define CIOT_PII_SEED_MAX 256
#define CIOT_PII_MAX_SEEDS 64  /* per device */
/* The kind a pii_seeds field names ("email", "device_name", ...); false for an unknown field. */
bool ciot_pii_seed_field(const char *field, enum ciot_pii_kind *kind);

struct ciot_pii_seed {
	enum ciot_pii_kind kind;
	char *value; /* UTF-8, NUL-terminated */
};

/* A value is at most this long once normalised (longer matches are cut: see docs/pii.md). */
#define CIOT_PII_VALUE_MAX 256

struct ciot_pii_match {
	enum ciot_pii_kind kind;
	enum ciot_pii_method method;
	enum ciot_pii_encoding encoding;
	size_t start, end; /* the matched bytes in the buffer */
	/* The value, normalised so that spellings of one value are one value: a MAC as lower-case
	 * aa:bb:cc:dd:ee:ff, an e-mail address and a UUID in lower case, a phone number as its digits
	 * (with the + of an international number), coordinates as "lat,lon", a URL-encoded value
	 * decoded; a seed match gives the seed as the manifest wrote it. NUL-terminated. */
	const char *value;
	size_t value_len;
};

typedef void (*ciot_pii_match_fn)(void *ctx, const struct ciot_pii_match *m);

/* The compiled expression: built once, then shared read-only by every worker. */
struct ciot_pii_patterns;
enum ciot_rc ciot_pii_patterns_new(struct ciot_pii_patterns **out, char *errbuf);
void ciot_pii_patterns_free(struct ciot_pii_patterns *p);

/* A device's seeds in all their encodings: built once per device, shared read-only. `macs` are
 * the device's MAC addresses from the manifest, which are seeds too. */
struct ciot_pii_seeds;
enum ciot_rc ciot_pii_seeds_new(struct ciot_pii_seeds **out, const struct ciot_pii_seed *seeds, size_t nseeds,
				const uint8_t (*macs)[6], size_t nmacs, char *errbuf);
void ciot_pii_seeds_free(struct ciot_pii_seeds *s);
size_t ciot_pii_seeds_patterns(const struct ciot_pii_seeds *s); /* encoded forms searched for */

/* One worker's matching state (PCRE2 match data, JIT stack, scratch): not shared. */
struct ciot_pii_scanner;
enum ciot_rc ciot_pii_scanner_new(struct ciot_pii_scanner **out, const struct ciot_pii_patterns *p, char *errbuf);
void ciot_pii_scanner_free(struct ciot_pii_scanner *s);

/* A caller that searches a stream keeps the last min(n, CIOT_PII_CARRY) bytes of each buffer and
 * puts them in front of the next one: a match that touches a buffer's end is reported from the next
 * buffer, where it may have grown, as long as it fits in the carry. */
#define CIOT_PII_CARRY 256

/* Searches buf[0, n): its first `carried` bytes were searched before (as the end of an earlier
 * buffer), and `more` says whether the stream may go on after buf. `seeds` may be NULL. Calls fn for
 * each match to report, in order of position. `carried_from_start` says that buf[0] is where the
 * stream began (so a match may start there); otherwise the carry was cut from a longer stream and a
 * match starting at buf[0] may be the tail of something longer, so it is not reported. Returns the
 * number of seed candidates that had to be dropped because one buffer held too many (then counted
 * by the caller). */
size_t ciot_pii_scan(struct ciot_pii_scanner *sc, const struct ciot_pii_seeds *seeds, const uint8_t *buf, size_t n,
		     size_t carried, bool carried_from_start, bool more, ciot_pii_match_fn fn, void *ctx);

/* Redaction: the value's keyed hash (HMAC-SHA-256, the first 16 bytes as 32 hex digits) and a hint
 * made of its first and last characters (whole UTF-8 characters) and its length, "j…n (8)"; values
 * under 6 characters show only their length, "… (4)". */
#define CIOT_PII_KEY_LEN 32
#define CIOT_PII_HASH_HEX 33
#define CIOT_PII_HINT_MAX 32
void ciot_pii_redact(const uint8_t key[CIOT_PII_KEY_LEN], const char *value, size_t len,
		     char hash[CIOT_PII_HASH_HEX], char hint[CIOT_PII_HINT_MAX]);

/* Exposed for the unit tests: the checks behind the patterns. */
bool ciot_pii_luhn_ok(const char *digits, size_t n);
bool ciot_pii_imei_ok(const char *digits, size_t n);   /* 15 digits, Luhn, a known reporting body */
bool ciot_pii_cn_id_ok(const char *id, size_t n);      /* 18 characters, a real date, the check */

#endif
