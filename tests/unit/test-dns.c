/* test-dns.c: the DNS response parser (dns.h) on messages built byte by byte. A table of messages,
 * each with the result and every address line expected in order: one, several and mixed A and AAAA
 * answers, a CNAME chain of three hops with its records out of order, answers that do not hang off
 * the question, valid compression (pointers into rdata, pointer chains of 32 hops) and every way a
 * name can be malformed (forward, self and two-name pointer loops, 33 hops, label types 0b01 and
 * 0b10, a 64-byte label, names of 256 bytes with and without compression), escapes, upper case,
 * CNAME loops and the chain's hop cap, queries and other opcodes, question counts and classes that
 * are ignored, NXDOMAIN, bad rdlengths, skipped record types and classes, the root name. Then the
 * answer-record cap, a real response from the shared corpus checked against what tshark prints for
 * it, every truncation of valid messages (each in a heap block of exactly its length, so the
 * sanitizer build catches any read outside it), and 200,000 seeded random mutations run in a child
 * process, so that a crash is one failed check.
 *
 * Then the text walk (ciot_dns_walk_text) on its own table, each case with the exact sequence of
 * names and TXT strings reported: an mDNS service announcement (PTR to an instance name with a space
 * and capitals, SRV, TXT key=value strings, an A record in the additional section), two questions,
 * every name-bearing RDATA type, compression, raw label bytes and case kept, the root and OPT owners
 * not reported, zero-length TXT strings, RDATA-less UPDATE records, and every kind of damage with
 * the names before it still reported; the longest name, the record cap, every truncation (each a
 * beginning of the whole message's sequence), and mutations alongside and apart from the parser's.
 */
#include <stdlib.h>

#include "addr.h"
#include "bytes.h"
#include "check.h"
#include "dns.h"

#define OK CIOT_DNS_OK
#define NOT_RESPONSE CIOT_DNS_NOT_RESPONSE
#define IGNORED CIOT_DNS_IGNORED
#define MALFORMED CIOT_DNS_MALFORMED

#define RESP 0x8180 /* QR, RD, RA, NOERROR */
#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_TXT 16
#define T_AAAA 28
#define T_RRSIG 46
#define T_ANY 255
#define C_IN 1
#define C_CH 3

/* ---- what the parser reported ----------------------------------------------------------------- */

#define MAX_LINES 80
#define LINE_LEN 2048

/* Each callback as one line, "question > cname > ...: A|AAAA address ttl N", and a count of
 * callbacks that broke what dns.h promises. */
static struct {
	unsigned n, bad;
	char line[MAX_LINES][LINE_LEN];
} got;

static unsigned insane(const struct ciot_dns_address *a)
{
	unsigned bad = 0;
	bad += a->nnames < 1 || a->nnames > CIOT_DNS_MAX_CHAIN + 1;
	for (unsigned i = 0; i < a->nnames && i <= CIOT_DNS_MAX_CHAIN; i++) {
		const char *s = a->names[i];
		if (!s) {
			bad++;
			continue;
		}
		size_t n = strlen(s);
		bad += n == 0 || n >= CIOT_DNS_NAME_MAX;
		for (size_t k = 0; k < n; k++)
			bad += s[k] < '!' || s[k] > '~' || (s[k] >= 'A' && s[k] <= 'Z');
	}
	bad += a->ip_version != 4 && a->ip_version != 6;
	bad += a->ip_version == 4 && !ciot_addr_is_v4(a->addr);
	return bad;
}

static void collect(void *ctx, const struct ciot_dns_address *a)
{
	(void)ctx;
	got.bad += insane(a);
	if (got.n == MAX_LINES || a->nnames < 1 || a->nnames > CIOT_DNS_MAX_CHAIN + 1) {
		got.bad++;
		return;
	}
	char *l = got.line[got.n++];
	size_t o = 0;
	for (unsigned i = 0; i < a->nnames; i++)
		o += (size_t)snprintf(l + o, LINE_LEN - o, "%s%s", i ? " > " : "", a->names[i]);
	char text[CIOT_ADDR_STRLEN];
	ciot_addr_format(a->addr, text);
	snprintf(l + o, LINE_LEN - o, ": %s %s ttl %u", a->ip_version == 4 ? "A" : "AAAA", text, (unsigned)a->ttl);
}

/* Parses a copy of the message in a heap block of exactly its length. */
static enum ciot_dns_result parse(const uint8_t *msg, size_t n)
{
	got.n = got.bad = 0;
	uint8_t *copy = malloc(n ? n : 1);
	if (n)
		memcpy(copy, msg, n);
	enum ciot_dns_result r = ciot_dns_parse_response(copy, n, collect, NULL);
	free(copy);
	return r;
}

/* ---- building messages ------------------------------------------------------------------------ */

static void header(struct bytes *b, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	bytes_u16(b, 0x1234);
	bytes_u16(b, flags);
	bytes_u16(b, qd);
	bytes_u16(b, an);
	bytes_u16(b, ns);
	bytes_u16(b, ar);
}

/* An uncompressed name from dotted text ("" is the root); labels cannot hold a dot here. */
static void name(struct bytes *b, const char *dotted)
{
	const char *p = dotted;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		bytes_u8(b, (uint8_t)n);
		bytes_put(b, p, n);
		p += n + (dot ? 1 : 0);
	}
	bytes_u8(b, 0);
}

static uint16_t name_len(const char *dotted)
{
	struct bytes t = { .be = true };
	name(&t, dotted);
	uint16_t n = (uint16_t)t.n;
	bytes_free(&t);
	return n;
}

static void ptr(struct bytes *b, uint16_t to)
{
	bytes_u16(b, (uint16_t)(0xc000 | to));
}

static void question(struct bytes *b, const char *qname, uint16_t type, uint16_t cls)
{
	name(b, qname);
	bytes_u16(b, type);
	bytes_u16(b, cls);
}

/* A record's fields after its owner name. */
static void rr(struct bytes *b, uint16_t type, uint16_t cls, uint32_t ttl, uint16_t rdlength)
{
	bytes_u16(b, type);
	bytes_u16(b, cls);
	bytes_u32(b, ttl);
	bytes_u16(b, rdlength);
}

static void a(struct bytes *b, uint32_t ttl, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	uint8_t v[4] = { x, y, z, w };
	rr(b, T_A, C_IN, ttl, 4);
	bytes_put(b, v, 4);
}

static void aaaa(struct bytes *b, uint32_t ttl, const char *text)
{
	uint8_t v[16];
	if (!ciot_addr_parse(text, v))
		abort();
	rr(b, T_AAAA, C_IN, ttl, 16);
	bytes_put(b, v, 16);
}

static void cname(struct bytes *b, uint32_t ttl, const char *target)
{
	rr(b, T_CNAME, C_IN, ttl, name_len(target));
	name(b, target);
}

/* The usual start: a response to "www.example.com A IN" (the name at 12, "example.com" at 16) with
 * `an` answers to follow at offset 33. */
static void www(struct bytes *b, uint16_t an)
{
	header(b, RESP, 1, an, 0, 0);
	question(b, "www.example.com", T_A, C_IN);
}

#define Q_NAME 12
#define Q_EXAMPLE_COM 16
#define Q_END 33

/* ---- messages --------------------------------------------------------------------------------- */

#define MSG(fn) static void fn(struct bytes *b)

MSG(m_plain) { www(b, 1); ptr(b, Q_NAME); a(b, 300, 93, 184, 216, 34); }
MSG(m_several)
{
	www(b, 3);
	ptr(b, Q_NAME); a(b, 300, 192, 0, 2, 1);
	ptr(b, Q_NAME); a(b, 299, 192, 0, 2, 2);
	ptr(b, Q_NAME); a(b, 298, 192, 0, 2, 3);
}
MSG(m_aaaa)
{
	header(b, RESP, 1, 2, 0, 0);
	question(b, "v6.example.com", T_AAAA, C_IN);
	ptr(b, Q_NAME); aaaa(b, 120, "2001:db8::1");
	ptr(b, Q_NAME); aaaa(b, 120, "2001:db8:0:1::2");
}
/* The version comes from the record type, not from the address's shape. */
MSG(m_aaaa_mapped)
{
	header(b, RESP, 1, 1, 0, 0);
	question(b, "v6.example.com", T_AAAA, C_IN);
	ptr(b, Q_NAME); aaaa(b, 9, "::ffff:192.0.2.7");
}
MSG(m_any_mixed)
{
	header(b, RESP, 1, 2, 0, 0);
	question(b, "both.example.com", T_ANY, C_IN);
	ptr(b, Q_NAME); aaaa(b, 60, "2001:db8::b");
	ptr(b, Q_NAME); a(b, 60, 192, 0, 2, 11);
}
/* a -> b -> c -> d with every record out of order, and the question's own CNAME uncompressed. */
MSG(m_chain_out_of_order)
{
	header(b, RESP, 1, 5, 0, 0);
	question(b, "a.example.com", T_A, C_IN);
	name(b, "d.example.net"); a(b, 60, 192, 0, 2, 1);
	name(b, "c.example.org"); cname(b, 30, "d.example.net");
	name(b, "a.example.com"); cname(b, 10, "b.example.com");
	name(b, "b.example.com"); cname(b, 20, "c.example.org");
	name(b, "d.example.net"); aaaa(b, 61, "2001:db8::d");
}
MSG(m_unrelated)
{
	www(b, 5);
	name(b, "evil.example.org"); a(b, 1, 6, 6, 6, 6);
	ptr(b, Q_NAME); a(b, 300, 192, 0, 2, 80);
	name(b, "evil.example.org"); cname(b, 1, "www.example.com"); /* into the question, not out of it */
	name(b, "other.example.com"); aaaa(b, 1, "2001:db8::bad");
	ptr(b, Q_EXAMPLE_COM); a(b, 1, 6, 6, 6, 7); /* "example.com": a suffix, not the name */
}
/* RFC 1034 forbids other data beside a CNAME, but an address there still hangs off the question. */
MSG(m_address_beside_cname)
{
	header(b, RESP, 1, 3, 0, 0);
	question(b, "a.test", T_A, C_IN);
	ptr(b, Q_NAME); cname(b, 5, "b.test");
	name(b, "b.test"); a(b, 5, 192, 0, 2, 2);
	ptr(b, Q_NAME); a(b, 5, 192, 0, 2, 1);
}
/* A second CNAME for the same owner is not followed. */
MSG(m_two_cnames)
{
	header(b, RESP, 1, 4, 0, 0);
	question(b, "a.test", T_A, C_IN);
	ptr(b, Q_NAME); cname(b, 5, "b.test");
	ptr(b, Q_NAME); cname(b, 5, "c.test");
	name(b, "c.test"); a(b, 5, 192, 0, 2, 3);
	name(b, "b.test"); a(b, 5, 192, 0, 2, 2);
}
/* The CNAME target is "cdn" + a pointer to the question's "example.com"; the A record's owner is a
 * pointer to that target inside the CNAME's rdata (at 45). */
MSG(m_compressed)
{
	www(b, 2);
	ptr(b, Q_NAME); rr(b, T_CNAME, C_IN, 300, 6);
	bytes_u8(b, 3); bytes_put(b, "cdn", 3); ptr(b, Q_EXAMPLE_COM);
	ptr(b, 45); a(b, 30, 192, 0, 2, 45);
}
MSG(m_forward_ptr_question)
{
	header(b, RESP, 1, 0, 0, 0);
	ptr(b, 14);
	bytes_u8(b, 0);
	bytes_u16(b, T_A);
	bytes_u16(b, C_IN);
}
/* The pointer's target (the A record's rdata, 0.0.0.0) would read as the root, but lies ahead. */
MSG(m_forward_ptr_answer) { www(b, 1); ptr(b, 45); a(b, 1, 0, 0, 0, 0); }
MSG(m_ptr_self) { www(b, 1); ptr(b, Q_END); a(b, 1, 192, 0, 2, 1); }
MSG(m_ptr_into_own_label)
{
	www(b, 1);
	bytes_u8(b, 1);
	bytes_u8(b, 'x');
	ptr(b, Q_END); a(b, 1, 192, 0, 2, 1);
}
/* A TXT record's rdata (at 45) holds "w" + a pointer to the second record's owner (at 50), which is
 * a pointer back to 45: the first hop is backwards, the second is not. */
MSG(m_ptr_loop_two)
{
	www(b, 2);
	ptr(b, Q_NAME); rr(b, T_TXT, C_IN, 1, 5);
	bytes_u8(b, 1); bytes_u8(b, 'w'); ptr(b, 50); bytes_u8(b, 0);
	ptr(b, 45); a(b, 1, 192, 0, 2, 1);
}
/* A TXT record's rdata (at 45) holds `chain` pointers, each to the one before it, the first to the
 * question's name; the A record's owner points to the last, so its name takes chain + 1 hops. */
static void ptr_chain(struct bytes *b, unsigned chain)
{
	www(b, 2);
	ptr(b, Q_NAME); rr(b, T_TXT, C_IN, 1, (uint16_t)(2 * chain));
	ptr(b, Q_NAME);
	for (unsigned i = 1; i < chain; i++)
		ptr(b, (uint16_t)(45 + 2 * (i - 1)));
	ptr(b, (uint16_t)(45 + 2 * (chain - 1))); a(b, 1, 192, 0, 2, 32);
}
MSG(m_ptr_32_hops) { ptr_chain(b, CIOT_DNS_MAX_POINTERS - 1); }
MSG(m_ptr_33_hops) { ptr_chain(b, CIOT_DNS_MAX_POINTERS); }
MSG(m_label_type_01)
{
	header(b, RESP, 1, 0, 0, 0);
	bytes_u8(b, 0x41);
	bytes_u8(b, 0);
	bytes_u16(b, T_A);
	bytes_u16(b, C_IN);
}
MSG(m_label_type_10) { www(b, 1); bytes_u8(b, 0x80); bytes_u8(b, 0); a(b, 1, 192, 0, 2, 1); }
MSG(m_query) { header(b, 0x0100, 1, 0, 0, 0); question(b, "www.example.com", T_A, C_IN); }
MSG(m_query_with_answer)
{
	header(b, 0x0100, 1, 1, 0, 0);
	question(b, "www.example.com", T_A, C_IN);
	ptr(b, Q_NAME); a(b, 1, 192, 0, 2, 1);
}
MSG(m_status_response) { header(b, 0x8000 | 2 << 11, 1, 0, 0, 0); question(b, "www.example.com", T_A, C_IN); }
MSG(m_notify_response)
{
	header(b, 0x8000 | 4 << 11, 1, 1, 0, 0);
	question(b, "www.example.com", T_SOA, C_IN);
	ptr(b, Q_NAME); a(b, 1, 192, 0, 2, 1);
}
MSG(m_qdcount0) { header(b, RESP, 0, 1, 0, 0); name(b, "www.example.com"); a(b, 1, 192, 0, 2, 1); }
MSG(m_qdcount2)
{
	header(b, RESP, 2, 1, 0, 0);
	question(b, "www.example.com", T_A, C_IN);
	question(b, "www.example.net", T_A, C_IN);
	ptr(b, Q_NAME); a(b, 1, 192, 0, 2, 1);
}
MSG(m_class_ch) { header(b, RESP, 1, 0, 0, 0); question(b, "version.bind", T_TXT, C_CH); }
MSG(m_class_any)
{
	header(b, RESP, 1, 1, 0, 0);
	question(b, "www.example.com", T_A, 255);
	ptr(b, Q_NAME); a(b, 1, 192, 0, 2, 1);
}
MSG(m_class_mdns_unicast)
{
	header(b, RESP, 1, 1, 0, 0);
	question(b, "www.example.com", T_A, 0x8001);
	ptr(b, Q_NAME); a(b, 1, 192, 0, 2, 1);
}
MSG(m_nxdomain)
{
	header(b, 0x8183, 1, 0, 1, 0);
	question(b, "nope.example.com", T_A, C_IN);
	ptr(b, 17); rr(b, T_SOA, C_IN, 900, 22); /* rdata: two root names and five numbers */
	bytes_u8(b, 0); bytes_u8(b, 0); bytes_fill(b, 0, 20);
}
MSG(m_nxdomain_cname)
{
	header(b, 0x8183, 1, 1, 0, 0);
	question(b, "a.test", T_A, C_IN);
	ptr(b, Q_NAME); cname(b, 5, "gone.test");
}
MSG(m_servfail_with_a)
{
	header(b, 0x8182, 1, 1, 0, 0);
	question(b, "a.test", T_A, C_IN);
	ptr(b, Q_NAME); a(b, 5, 192, 0, 2, 1);
}
MSG(m_a_rdlength5) { www(b, 1); ptr(b, Q_NAME); rr(b, T_A, C_IN, 1, 5); bytes_fill(b, 1, 5); }
MSG(m_a_rdlength3) { www(b, 1); ptr(b, Q_NAME); rr(b, T_A, C_IN, 1, 3); bytes_fill(b, 1, 3); }
MSG(m_aaaa_rdlength4) { www(b, 1); ptr(b, Q_NAME); rr(b, T_AAAA, C_IN, 1, 4); bytes_fill(b, 1, 4); }
MSG(m_rdlength_past_end) { www(b, 1); ptr(b, Q_NAME); rr(b, T_TXT, C_IN, 1, 100); bytes_fill(b, 1, 99); }
MSG(m_cname_trailing)
{
	www(b, 1);
	ptr(b, Q_NAME); rr(b, T_CNAME, C_IN, 1, (uint16_t)(name_len("x.test") + 1));
	name(b, "x.test");
	bytes_u8(b, 0);
}
MSG(m_cname_overrun) { www(b, 1); ptr(b, Q_NAME); rr(b, T_CNAME, C_IN, 1, 3); name(b, "cdn.example.net"); }
/* The answer count says two, the message holds one: the first is still reported. */
MSG(m_answer_missing) { www(b, 2); ptr(b, Q_NAME); a(b, 7, 192, 0, 2, 7); }
MSG(m_header_short) { header(b, RESP, 1, 0, 0, 0); b->n = 11; }
MSG(m_empty) { (void)b; }
MSG(m_header_only) { header(b, RESP, 1, 0, 0, 0); }
MSG(m_question_no_class) { header(b, RESP, 1, 0, 0, 0); name(b, "www.example.com"); bytes_u16(b, T_A); }
/* Labels holding '.', '\', a space, bytes 0, 255 and 127, punctuation that stays, upper case and
 * UTF-8; the A record's owner is the same name spelt in other case. */
MSG(m_escapes)
{
	static const uint8_t q[] = { 3, 'a', '.', 'b', 3, 'x', '\\', 'y', 3, 's', ' ', 'p', 3, 0, 0xff, 0x7f,
				     3, '~', '!', '"', 3, 'C', 0xc3, 0xa9, 0 };
	header(b, RESP, 1, 1, 0, 0);
	bytes_put(b, q, sizeof q);
	bytes_u16(b, T_A);
	bytes_u16(b, C_IN);
	uint8_t owner[sizeof q];
	memcpy(owner, q, sizeof q);
	owner[21] = 'c';
	bytes_put(b, owner, sizeof owner);
	a(b, 3, 192, 0, 2, 92);
}
MSG(m_upper_case)
{
	header(b, RESP, 1, 2, 0, 0);
	question(b, "WWW.Example.COM", T_A, C_IN);
	name(b, "www.EXAMPLE.com"); cname(b, 5, "CDN.Example.NET");
	name(b, "cdn.example.net"); a(b, 5, 192, 0, 2, 9);
}
MSG(m_cname_loop)
{
	header(b, RESP, 1, 4, 0, 0);
	question(b, "a.test", T_A, C_IN);
	name(b, "a.test"); cname(b, 5, "b.test");
	name(b, "b.test"); cname(b, 5, "a.test");
	name(b, "b.test"); a(b, 5, 192, 0, 2, 2);
	name(b, "a.test"); a(b, 5, 192, 0, 2, 1);
}
MSG(m_cname_self)
{
	header(b, RESP, 1, 2, 0, 0);
	question(b, "a.test", T_A, C_IN);
	ptr(b, Q_NAME); cname(b, 5, "a.test");
	ptr(b, Q_NAME); a(b, 5, 192, 0, 2, 1);
}
/* n0 -> n1 -> ... -> n9: n8 is CIOT_DNS_MAX_CHAIN hops from the question, n9 one too many. */
MSG(m_chain_cap)
{
	header(b, RESP, 1, 11, 0, 0);
	question(b, "n0.test", T_A, C_IN);
	for (int i = 0; i < 9; i++) {
		char owner[16], target[16];
		snprintf(owner, sizeof owner, "n%d.test", i);
		snprintf(target, sizeof target, "n%d.test", i + 1);
		name(b, owner);
		cname(b, 5, target);
	}
	name(b, "n8.test"); a(b, 5, 192, 0, 2, 8);
	name(b, "n9.test"); a(b, 5, 192, 0, 2, 9);
}
/* Other types are skipped by their rdlength, whatever their rdata holds; other classes too, even
 * where the rdlength would be wrong for IN. */
MSG(m_skipped_records)
{
	www(b, 6);
	ptr(b, Q_NAME); rr(b, T_RRSIG, C_IN, 5, 9); bytes_fill(b, 0xc0, 9);
	ptr(b, Q_NAME); rr(b, T_TXT, C_IN, 5, 0);
	ptr(b, Q_NAME); rr(b, T_A, C_CH, 5, 2); bytes_fill(b, 0xff, 2);
	ptr(b, Q_NAME); rr(b, T_A, 0x8001, 5, 4); bytes_fill(b, 6, 4);
	ptr(b, Q_NAME); rr(b, T_NS, C_IN, 5, 2); ptr(b, Q_EXAMPLE_COM);
	ptr(b, Q_NAME); a(b, 5, 192, 0, 2, 5);
}
/* The authority and additional sections are never read, damaged or not. */
MSG(m_garbage_after_answers)
{
	header(b, RESP, 1, 1, 3, 2);
	question(b, "www.example.com", T_A, C_IN);
	ptr(b, Q_NAME); a(b, 5, 192, 0, 2, 6);
	bytes_fill(b, 0xc0, 7);
}
MSG(m_root) { header(b, RESP, 1, 1, 0, 0); question(b, "", T_NS, C_IN); name(b, ""); a(b, 5, 192, 0, 2, 4); }
/* RFC 2181: a TTL with the top bit set reads as zero. */
MSG(m_ttl_top_bit)
{
	www(b, 2);
	ptr(b, Q_NAME); a(b, 0x80000001u, 192, 0, 2, 1);
	ptr(b, Q_NAME); a(b, 0x7fffffffu, 192, 0, 2, 2);
}

/* ---- the table -------------------------------------------------------------------------------- */

struct dcase {
	const char *name;
	void (*build)(struct bytes *);
	enum ciot_dns_result result;
	const char *want[10]; /* every line reported, in order */
};

static const struct dcase cases[] = {
	{ "plain-a", m_plain, OK, { "www.example.com: A 93.184.216.34 ttl 300" } },
	{ "several-a", m_several, OK,
	  { "www.example.com: A 192.0.2.1 ttl 300", "www.example.com: A 192.0.2.2 ttl 299",
	    "www.example.com: A 192.0.2.3 ttl 298" } },
	{ "aaaa", m_aaaa, OK,
	  { "v6.example.com: AAAA 2001:db8::1 ttl 120",
	    "v6.example.com: AAAA 2001:db8:0:1::2 ttl 120" } },
	{ "aaaa-mapped", m_aaaa_mapped, OK, { "v6.example.com: AAAA 192.0.2.7 ttl 9" } },
	{ "any-mixed", m_any_mixed, OK,
	  { "both.example.com: AAAA 2001:db8::b ttl 60", "both.example.com: A 192.0.2.11 ttl 60" } },
	{ "chain-out-of-order", m_chain_out_of_order, OK,
	  { "a.example.com > b.example.com > c.example.org > d.example.net: A 192.0.2.1 ttl 60",
	    "a.example.com > b.example.com > c.example.org > d.example.net: AAAA 2001:db8::d ttl 61" } },
	{ "unrelated-owners", m_unrelated, OK, { "www.example.com: A 192.0.2.80 ttl 300" } },
	{ "address-beside-cname", m_address_beside_cname, OK,
	  { "a.test: A 192.0.2.1 ttl 5", "a.test > b.test: A 192.0.2.2 ttl 5" } },
	{ "two-cnames-first-followed", m_two_cnames, OK, { "a.test > b.test: A 192.0.2.2 ttl 5" } },
	{ "compressed", m_compressed, OK, { "www.example.com > cdn.example.com: A 192.0.2.45 ttl 30" } },
	{ "forward-pointer-question", m_forward_ptr_question, MALFORMED, { NULL } },
	{ "forward-pointer-answer", m_forward_ptr_answer, MALFORMED, { NULL } },
	{ "pointer-to-itself", m_ptr_self, MALFORMED, { NULL } },
	{ "pointer-into-own-label", m_ptr_into_own_label, MALFORMED, { NULL } },
	{ "pointer-loop-two-names", m_ptr_loop_two, MALFORMED, { NULL } },
	{ "pointers-32-hops", m_ptr_32_hops, OK, { "www.example.com: A 192.0.2.32 ttl 1" } },
	{ "pointers-33-hops", m_ptr_33_hops, MALFORMED, { NULL } },
	{ "label-type-01", m_label_type_01, MALFORMED, { NULL } },
	{ "label-type-10", m_label_type_10, MALFORMED, { NULL } },
	{ "query", m_query, NOT_RESPONSE, { NULL } },
	{ "query-with-answer", m_query_with_answer, NOT_RESPONSE, { NULL } },
	{ "status-response", m_status_response, NOT_RESPONSE, { NULL } },
	{ "notify-response", m_notify_response, NOT_RESPONSE, { NULL } },
	{ "qdcount-0", m_qdcount0, IGNORED, { NULL } },
	{ "qdcount-2", m_qdcount2, IGNORED, { NULL } },
	{ "class-ch", m_class_ch, IGNORED, { NULL } },
	{ "class-any", m_class_any, IGNORED, { NULL } },
	{ "class-mdns-unicast-bit", m_class_mdns_unicast, IGNORED, { NULL } },
	{ "nxdomain", m_nxdomain, OK, { NULL } },
	{ "nxdomain-cname", m_nxdomain_cname, OK, { NULL } },
	{ "servfail-with-a", m_servfail_with_a, OK, { "a.test: A 192.0.2.1 ttl 5" } },
	{ "a-rdlength-5", m_a_rdlength5, MALFORMED, { NULL } },
	{ "a-rdlength-3", m_a_rdlength3, MALFORMED, { NULL } },
	{ "aaaa-rdlength-4", m_aaaa_rdlength4, MALFORMED, { NULL } },
	{ "rdlength-past-end", m_rdlength_past_end, MALFORMED, { NULL } },
	{ "cname-trailing-byte", m_cname_trailing, MALFORMED, { NULL } },
	{ "cname-name-past-rdata", m_cname_overrun, MALFORMED, { NULL } },
	{ "answer-missing", m_answer_missing, MALFORMED, { "www.example.com: A 192.0.2.7 ttl 7" } },
	{ "header-11-bytes", m_header_short, MALFORMED, { NULL } },
	{ "empty", m_empty, MALFORMED, { NULL } },
	{ "header-only", m_header_only, MALFORMED, { NULL } },
	{ "question-without-class", m_question_no_class, MALFORMED, { NULL } },
	{ "escapes", m_escapes, OK,
	  { "a\\046b.x\\092y.s\\032p.\\000\\255\\127.~!\".c\\195\\169: A 192.0.2.92 ttl 3" } },
	{ "upper-case", m_upper_case, OK, { "www.example.com > cdn.example.net: A 192.0.2.9 ttl 5" } },
	{ "cname-loop", m_cname_loop, OK,
	  { "a.test: A 192.0.2.1 ttl 5", "a.test > b.test: A 192.0.2.2 ttl 5" } },
	{ "cname-self", m_cname_self, OK, { "a.test: A 192.0.2.1 ttl 5" } },
	{ "chain-cap", m_chain_cap, OK,
	  { "n0.test > n1.test > n2.test > n3.test > n4.test > n5.test > n6.test > n7.test > n8.test"
	    ": A 192.0.2.8 ttl 5" } },
	{ "skipped-records", m_skipped_records, OK, { "www.example.com: A 192.0.2.5 ttl 5" } },
	{ "garbage-after-answers", m_garbage_after_answers, OK, { "www.example.com: A 192.0.2.6 ttl 5" } },
	{ "root", m_root, OK, { ".: A 192.0.2.4 ttl 5" } },
	{ "ttl-top-bit", m_ttl_top_bit, OK,
	  { "www.example.com: A 192.0.2.1 ttl 0", "www.example.com: A 192.0.2.2 ttl 2147483647" } },
};

#define NCASES (sizeof cases / sizeof cases[0])

static void check_lines(const char *const *want, size_t nwant)
{
	CHECK_EQ_INT(got.bad, 0);
	CHECK_EQ_INT(got.n, nwant);
	for (size_t k = 0; k < nwant && k < got.n; k++)
		CHECK_EQ_STR(got.line[k], want[k]);
}

static size_t count_want(const struct dcase *c)
{
	size_t n = 0;
	while (n < sizeof c->want / sizeof c->want[0] && c->want[n])
		n++;
	return n;
}

static void test_table(void)
{
	bool seen[4] = { false };
	for (size_t i = 0; i < NCASES; i++) {
		const struct dcase *c = &cases[i];
		unsigned before = check_failures;
		struct bytes b = { .be = true };
		c->build(&b);
		enum ciot_dns_result r = parse(b.d, b.n);
		CHECK_EQ_INT(r, c->result);
		check_lines(c->want, count_want(c));
		check_case(before, c->name);
		if ((unsigned)r < 4)
			seen[r] = true;
		bytes_free(&b);
	}
	CHECK(seen[OK] && seen[NOT_RESPONSE] && seen[IGNORED] && seen[MALFORMED]);
	/* no callback needed: the parse still runs */
	struct bytes b = { .be = true };
	m_plain(&b);
	CHECK_EQ_INT(ciot_dns_parse_response(b.d, b.n, NULL, NULL), OK);
	bytes_free(&b);
}

/* ---- lengths: labels of 63 and 64 bytes, names of 255 and 256, with and without compression --- */

/* Appends to `text` and `b` a label of n copies of ch. */
static void label(struct bytes *b, char *text, uint8_t n, char ch)
{
	bytes_u8(b, n);
	bytes_fill(b, (uint8_t)ch, n);
	size_t o = strlen(text);
	if (o)
		text[o++] = '.';
	memset(text + o, ch, n);
	text[o + n] = '\0';
}

static void check_one(const char *what, struct bytes *b, enum ciot_dns_result want, const char *line)
{
	unsigned before = check_failures;
	CHECK_EQ_INT(parse(b->d, b->n), want);
	check_lines(&line, line ? 1 : 0);
	check_case(before, what);
	bytes_free(b);
}

static void test_lengths(void)
{
	static char text[CIOT_DNS_NAME_MAX], line[2 * CIOT_DNS_NAME_MAX + 64];
	static const uint8_t last[] = { 61, 62 }; /* names of 255 and 256 wire bytes */
	for (int big = 0; big < 2; big++) {
		/* a label of 63 or 64 */
		struct bytes b = { .be = true };
		text[0] = '\0';
		header(&b, RESP, 1, 1, 0, 0);
		label(&b, text, (uint8_t)(63 + big), 'x');
		label(&b, text, 4, 't');
		bytes_u8(&b, 0);
		bytes_u16(&b, T_A);
		bytes_u16(&b, C_IN);
		ptr(&b, Q_NAME);
		a(&b, 1, 192, 0, 2, 63);
		snprintf(line, sizeof line, "%s: A 192.0.2.63 ttl 1", text);
		check_one(big ? "label-64" : "label-63", &b, big ? MALFORMED : OK, big ? NULL : line);

		/* a name of 255 or 256 wire bytes */
		b = (struct bytes){ .be = true };
		text[0] = '\0';
		header(&b, RESP, 1, 1, 0, 0);
		label(&b, text, 63, 'a');
		label(&b, text, 63, 'b');
		label(&b, text, 63, 'c');
		label(&b, text, last[big], 'd');
		bytes_u8(&b, 0);
		bytes_u16(&b, T_A);
		bytes_u16(&b, C_IN);
		ptr(&b, Q_NAME);
		a(&b, 1, 192, 0, 2, 255);
		CHECK_EQ_INT(b.n - 12 - 4 - 2 - 14, 255 + big);
		snprintf(line, sizeof line, "%s: A 192.0.2.255 ttl 1", text);
		check_one(big ? "name-256" : "name-255", &b, big ? MALFORMED : OK, big ? NULL : line);

		/* the same lengths reached through a pointer: a label before the question's 193 bytes */
		b = (struct bytes){ .be = true };
		text[0] = '\0';
		header(&b, RESP, 1, 2, 0, 0);
		label(&b, text, 63, 'a');
		label(&b, text, 63, 'b');
		label(&b, text, 63, 'c');
		bytes_u8(&b, 0);
		bytes_u16(&b, T_A);
		bytes_u16(&b, C_IN);
		char longer[CIOT_DNS_NAME_MAX] = "";
		ptr(&b, Q_NAME);
		rr(&b, T_CNAME, C_IN, 1, (uint16_t)(1 + last[big] + 2));
		label(&b, longer, last[big], 'd');
		ptr(&b, Q_NAME);
		snprintf(longer + strlen(longer), sizeof longer - strlen(longer), ".%s", text);
		ptr(&b, 12 + 193 + 4 + 2 + 10);
		a(&b, 1, 192, 0, 2, 1);
		snprintf(line, sizeof line, "%s > %s: A 192.0.2.1 ttl 1", text, longer);
		check_one(big ? "compressed-256" : "compressed-255", &b, big ? MALFORMED : OK, big ? NULL : line);
	}

	/* the longest presentation: 250 bytes of 255, each written \255 */
	struct bytes b = { .be = true };
	header(&b, RESP, 1, 1, 0, 0);
	static const uint8_t lens[] = { 63, 63, 63, 61 };
	size_t o = 0;
	for (size_t i = 0; i < sizeof lens; i++) {
		bytes_u8(&b, lens[i]);
		bytes_fill(&b, 0xff, lens[i]);
		if (i)
			text[o++] = '.';
		for (int k = 0; k < lens[i]; k++, o += 4)
			memcpy(text + o, "\\255", 4);
	}
	text[o] = '\0';
	CHECK_EQ_INT(o, 1003);
	bytes_u8(&b, 0);
	bytes_u16(&b, T_A);
	bytes_u16(&b, C_IN);
	ptr(&b, Q_NAME);
	a(&b, 1, 192, 0, 2, 1);
	snprintf(line, sizeof line, "%s: A 192.0.2.1 ttl 1", text);
	check_one("escaped-255", &b, OK, line);
}

/* ---- the cap on answer records kept ----------------------------------------------------------- */

/* n A records for the question, the last with rdlength `last_len`; optionally `unrelated` A
 * records for another name first. */
static void many(struct bytes *b, unsigned unrelated, unsigned n, uint16_t last_len)
{
	www(b, (uint16_t)(unrelated + n));
	for (unsigned i = 0; i < unrelated; i++) {
		name(b, "other.test");
		a(b, 1, 198, 51, 100, (uint8_t)i);
	}
	for (unsigned i = 0; i < n; i++) {
		ptr(b, Q_NAME);
		uint16_t len = i + 1 == n ? last_len : 4;
		rr(b, T_A, C_IN, 1, len);
		bytes_u8(b, 10);
		bytes_u8(b, 0);
		bytes_u8(b, (uint8_t)(i >> 8));
		bytes_u8(b, (uint8_t)i);
		bytes_fill(b, 0, len > 4 ? len - 4u : 0);
	}
}

static void test_cap(void)
{
	struct bytes b = { .be = true };
	many(&b, 0, 64, 4);
	CHECK_EQ_INT(parse(b.d, b.n), OK);
	CHECK_EQ_INT(got.n, 64);
	CHECK_EQ_STR(got.line[63], "www.example.com: A 10.0.0.63 ttl 1");
	bytes_free(&b);

	b = (struct bytes){ .be = true };
	/* beyond the cap, records are read and validated but not kept */
	many(&b, 0, 70, 4);
	CHECK_EQ_INT(parse(b.d, b.n), OK);
	CHECK_EQ_INT(got.n, 64);
	CHECK_EQ_INT(got.bad, 0);
	CHECK_EQ_STR(got.line[63], "www.example.com: A 10.0.0.63 ttl 1");
	bytes_free(&b);

	b = (struct bytes){ .be = true };
	many(&b, 0, 70, 5);
	CHECK_EQ_INT(parse(b.d, b.n), MALFORMED);
	CHECK_EQ_INT(got.n, 64);
	bytes_free(&b);

	b = (struct bytes){ .be = true };
	/* the documented limit: 64 records of another name first leave no room for the question's */
	many(&b, 64, 1, 4);
	CHECK_EQ_INT(parse(b.d, b.n), OK);
	CHECK_EQ_INT(got.n, 0);
	bytes_free(&b);
	b = (struct bytes){ .be = true };
	many(&b, 63, 1, 4);
	CHECK_EQ_INT(parse(b.d, b.n), OK);
	CHECK_EQ_INT(got.n, 1);
	bytes_free(&b);
}

/* ---- a real response -------------------------------------------------------------------------- */

/* The UDP payload of frame 2 of /work/shared/corpus/ndpi/conncheck.pcap (nDPI's test captures), a
 * response with a two-hop CNAME chain, compressed names pointing into earlier rdata, and two A
 * records. tshark -T fields -e dns.qry.name -e dns.cname -e dns.a -e dns.resp.ttl prints:
 * conn-service-eu-04.allawnos.com, CNAMEs conn-service-eu-04.allawnos.com.akamaized.net and
 * a1947.dscd.akamai.net, A 92.123.101.121 and 92.123.101.153, TTLs 284, 21498, 7, 7. */
static const uint8_t real_response[] = {
	0xea, 0x40, 0x81, 0x80, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x12, 0x63, 0x6f, 0x6e, 0x6e, 0x2d, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63,
	0x65, 0x2d, 0x65, 0x75, 0x2d, 0x30, 0x34, 0x08, 0x61, 0x6c, 0x6c, 0x61,
	0x77, 0x6e, 0x6f, 0x73, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00,
	0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x1c, 0x00,
	0x2f, 0x12, 0x63, 0x6f, 0x6e, 0x6e, 0x2d, 0x73, 0x65, 0x72, 0x76, 0x69,
	0x63, 0x65, 0x2d, 0x65, 0x75, 0x2d, 0x30, 0x34, 0x08, 0x61, 0x6c, 0x6c,
	0x61, 0x77, 0x6e, 0x6f, 0x73, 0x03, 0x63, 0x6f, 0x6d, 0x09, 0x61, 0x6b,
	0x61, 0x6d, 0x61, 0x69, 0x7a, 0x65, 0x64, 0x03, 0x6e, 0x65, 0x74, 0x00,
	0xc0, 0x3d, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x53, 0xfa, 0x00, 0x14,
	0x05, 0x61, 0x31, 0x39, 0x34, 0x37, 0x04, 0x64, 0x73, 0x63, 0x64, 0x06,
	0x61, 0x6b, 0x61, 0x6d, 0x61, 0x69, 0xc0, 0x67, 0xc0, 0x78, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x04, 0x5c, 0x7b, 0x65, 0x79,
	0xc0, 0x78, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x04,
	0x5c, 0x7b, 0x65, 0x99,
};

static const char *const real_want[] = {
	"conn-service-eu-04.allawnos.com > conn-service-eu-04.allawnos.com.akamaized.net > a1947.dscd.akamai.net"
	": A 92.123.101.121 ttl 7",
	"conn-service-eu-04.allawnos.com > conn-service-eu-04.allawnos.com.akamaized.net > a1947.dscd.akamai.net"
	": A 92.123.101.153 ttl 7",
};

static void test_real(void)
{
	CHECK_EQ_INT(sizeof real_response, 172);
	CHECK_EQ_INT(parse(real_response, sizeof real_response), OK);
	check_lines(real_want, 2);
}

/* ---- truncations ------------------------------------------------------------------------------ */

/* Every prefix of a message whose sections end with its last answer: MALFORMED short of the whole,
 * OK for the whole, and every line reported is one the whole message reports. */
static void truncations(const char *what, const uint8_t *msg, size_t n)
{
	static char full[MAX_LINES][LINE_LEN];
	unsigned nfull;
	CHECK_EQ_INT(parse(msg, n), OK);
	nfull = got.n;
	memcpy(full, got.line, sizeof full);
	unsigned bad = 0;
	for (size_t k = 0; k < n; k++) {
		enum ciot_dns_result r = parse(msg, k);
		bad += r != MALFORMED || got.bad;
		for (unsigned i = 0; i < got.n; i++) {
			bool known = false;
			for (unsigned j = 0; j < nfull && !known; j++)
				known = strcmp(got.line[i], full[j]) == 0;
			bad += !known;
		}
	}
	if (!CHECK_EQ_INT(bad, 0))
		fprintf(stderr, "  ^ in truncations of \"%s\"\n", what);
}

static void test_truncations(void)
{
	truncations("real", real_response, sizeof real_response);
	/* some prefix of the real response must already report its first address */
	unsigned early = 0;
	for (size_t k = 0; k < sizeof real_response; k++) {
		parse(real_response, k);
		early += got.n;
	}
	CHECK(early > 0);
	static void (*const builds[])(struct bytes *) = { m_plain, m_several, m_aaaa, m_chain_out_of_order,
							    m_compressed, m_escapes, m_chain_cap, m_ptr_32_hops };
	for (size_t i = 0; i < sizeof builds / sizeof builds[0]; i++) {
		struct bytes b = { .be = true };
		builds[i](&b);
		char what[32];
		snprintf(what, sizeof what, "builder %zu", i);
		truncations(what, b.d, b.n);
		bytes_free(&b);
	}
}

/* ---- the text walk ---------------------------------------------------------------------------- */

#define T_PTR 12
#define T_HINFO 13
#define T_MX 15
#define T_SRV 33
#define T_DNAME 39
#define T_OPT 41
#define C_FLUSH 0x8001 /* mDNS: IN with the cache-flush bit */
#define WALK_LINES 24

/* Each callback as one line, "name TEXT" or "txt TEXT", with a byte outside ' '..'~', and '\', as
 * \xHH so that the raw bytes show; their lengths; a count of every callback, stored or not (the
 * record cap's tests make thousands), and of callbacks that broke what dns.h promises. */
static struct {
	unsigned n, bad;
	size_t len[WALK_LINES];
	char line[WALK_LINES][LINE_LEN];
} texts;

static void collect_text(void *ctx, enum ciot_dns_text_kind kind, const uint8_t *text, size_t len)
{
	(void)ctx;
	bool name_kind = kind == CIOT_DNS_TEXT_NAME;
	texts.bad += !text || len == 0 || len > (name_kind ? 253u : 255u) || (!name_kind && kind != CIOT_DNS_TEXT_TXT);
	unsigned sum = 0; /* every byte read, so that a text outside its buffer shows under ASan */
	for (size_t i = 0; text && i < len; i++)
		sum += text[i];
	(void)sum;
	if (texts.n++ >= WALK_LINES || !text || len > 255)
		return;
	char *l = texts.line[texts.n - 1];
	texts.len[texts.n - 1] = len;
	size_t o = (size_t)snprintf(l, LINE_LEN, "%s ", name_kind ? "name" : "txt");
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = text[i];
		if (ch < ' ' || ch > '~' || ch == '\\')
			o += (size_t)snprintf(l + o, LINE_LEN - o, "\\x%02x", ch);
		else
			l[o++] = (char)ch;
	}
	l[o] = '\0';
}

/* Walks a copy of the message in a heap block of exactly its length. */
static bool walk(const uint8_t *msg, size_t n)
{
	texts.n = texts.bad = 0;
	uint8_t *copy = malloc(n ? n : 1);
	if (n)
		memcpy(copy, msg, n);
	bool ok = ciot_dns_walk_text(copy, n, collect_text, NULL);
	free(copy);
	return ok;
}

static void rr_name(struct bytes *b, uint16_t type, const char *target)
{
	rr(b, type, C_IN, 60, name_len(target));
	name(b, target);
}

/* A TXT record of the strings in `s` (NULL-terminated; "" is a zero-length string). */
static void txt(struct bytes *b, uint16_t cls, const char *const *s)
{
	size_t n = 0;
	for (size_t i = 0; s[i]; i++)
		n += 1 + strlen(s[i]);
	rr(b, T_TXT, cls, 4500, (uint16_t)n);
	for (size_t i = 0; s[i]; i++) {
		bytes_u8(b, (uint8_t)strlen(s[i]));
		bytes_put(b, s[i], strlen(s[i]));
	}
}

/* A HomeKit accessory's announcement, compressed as an mDNS responder does: PTR from the service
 * to the instance (a name its owner chose, with a space and capitals), then the instance's SRV and
 * TXT with the cache-flush bit, and the host's A record in the additional section. */
MSG(m_mdns_service)
{
	header(b, 0x8400, 0, 3, 0, 1);
	size_t service = b->n, local = service + 10;
	name(b, "_hap._tcp.local");
	rr(b, T_PTR, C_IN, 4500, 15);
	size_t instance = b->n;
	bytes_u8(b, 12);
	bytes_put(b, "Kitchen Plug", 12);
	ptr(b, (uint16_t)service);
	ptr(b, (uint16_t)instance); rr(b, T_SRV, C_FLUSH, 120, 20);
	bytes_u16(b, 0); bytes_u16(b, 0); bytes_u16(b, 8080);
	size_t host = b->n;
	bytes_u8(b, 11);
	bytes_put(b, "Plug-AABBCC", 11);
	ptr(b, (uint16_t)local);
	static const char *const strings[] = { "deviceid=AA:BB:CC:DD:EE:FF", "md=Plug", NULL };
	ptr(b, (uint16_t)instance); txt(b, C_FLUSH, strings);
	static const uint8_t v4[] = { 192, 168, 1, 23 };
	ptr(b, (uint16_t)host); rr(b, T_A, C_FLUSH, 120, 4); bytes_put(b, v4, 4);
}
/* The second question's name is "api" and a pointer into the first's. */
MSG(m_two_questions)
{
	header(b, 0x0100, 2, 0, 0, 0);
	question(b, "www.Example.com", T_A, C_IN);
	bytes_u8(b, 3);
	bytes_put(b, "api", 3);
	ptr(b, Q_EXAMPLE_COM);
	bytes_u16(b, T_AAAA);
	bytes_u16(b, 0x8001); /* mDNS's unicast-response bit */
}
/* Every type whose RDATA holds names, and two that hold strings or a name but are not walked. */
MSG(m_rdata_names)
{
	header(b, RESP, 1, 6, 1, 0);
	question(b, "example.com", T_ANY, C_IN);
	ptr(b, Q_NAME); rr(b, T_MX, C_IN, 60, (uint16_t)(2 + name_len("mail.example.com")));
	bytes_u16(b, 10); name(b, "mail.example.com");
	ptr(b, Q_NAME); rr_name(b, T_NS, "ns1.example.com");
	name(b, "4.2.0.192.in-addr.arpa"); rr_name(b, T_PTR, "printer.local");
	name(b, "old.example.com"); rr_name(b, T_DNAME, "new.example.net");
	ptr(b, Q_NAME); rr(b, T_HINFO, C_IN, 60, 12);
	bytes_u8(b, 5); bytes_put(b, "ARMv7", 5); bytes_u8(b, 5); bytes_put(b, "Linux", 5);
	ptr(b, Q_NAME); rr_name(b, T_RRSIG, "signer.example.com");
	uint16_t soa = (uint16_t)(name_len("ns1.Example.com") + name_len("hostmaster.example.com") + 20);
	ptr(b, Q_NAME); rr(b, T_SOA, C_IN, 60, soa);
	name(b, "ns1.Example.com"); name(b, "hostmaster.example.com"); bytes_fill(b, 1, 20);
}
/* The CNAME's target is "w" and a pointer to the A record's owner, itself a pointer back to it. */
MSG(m_ptr_loop_cname)
{
	www(b, 2);
	ptr(b, Q_NAME); rr(b, T_CNAME, C_IN, 1, 4);
	size_t at = b->n;
	bytes_u8(b, 1); bytes_u8(b, 'w'); ptr(b, (uint16_t)(at + 4));
	ptr(b, (uint16_t)at); a(b, 1, 192, 0, 2, 1);
}
MSG(m_mx_short) { www(b, 1); ptr(b, Q_NAME); rr(b, T_MX, C_IN, 1, 1); bytes_u8(b, 0); }
/* The rname runs past the RDATA: the mname before it is still reported. */
MSG(m_soa_short)
{
	www(b, 1);
	ptr(b, Q_NAME); rr(b, T_SOA, C_IN, 1, (uint16_t)(name_len("ns.test") + 3));
	name(b, "ns.test"); name(b, "hostmaster.test"); bytes_fill(b, 0, 20);
}
MSG(m_soa_tail_short)
{
	www(b, 1);
	ptr(b, Q_NAME); rr(b, T_SOA, C_IN, 1, 2 + 19);
	name(b, ""); name(b, ""); bytes_fill(b, 0, 19);
}
/* EDNS: the OPT record's owner is the root; one with a name is still not reported. */
MSG(m_opt)
{
	header(b, 0x0100, 1, 0, 0, 2);
	question(b, "example.com", T_A, C_IN);
	name(b, ""); rr(b, T_OPT, 1232, 0, 0);
	name(b, "x"); rr(b, T_OPT, 1232, 0, 0);
}
/* Zero-length strings around one that is not, and a TXT of one empty string (mDNS's "no keys"). */
MSG(m_txt_empty_strings)
{
	static const char *const some[] = { "", "hello", "", NULL }, *const none[] = { "", NULL };
	www(b, 2);
	ptr(b, Q_NAME); txt(b, C_IN, some);
	ptr(b, Q_NAME); txt(b, C_IN, none);
}
/* RFC 2136: an UPDATE deleting a name's CNAME RRset sends it with class ANY and no RDATA. */
MSG(m_update_delete)
{
	header(b, 5 << 11, 1, 0, 1, 0);
	question(b, "example.com", T_SOA, C_IN);
	name(b, "Host.example.com"); rr(b, T_CNAME, 255, 0, 0);
}

struct wcase {
	const char *name;
	void (*build)(struct bytes *);
	bool ok;
	const char *want[16]; /* every line reported, in order */
};

#define KITCHEN "name Kitchen Plug._hap._tcp.local"

static const struct wcase walk_cases[] = {
	{ "mdns-service", m_mdns_service, true,
	  { "name _hap._tcp.local", KITCHEN, KITCHEN, "name Plug-AABBCC.local", KITCHEN,
	    "txt deviceid=AA:BB:CC:DD:EE:FF", "txt md=Plug", "name Plug-AABBCC.local" } },
	{ "two-questions", m_two_questions, true, { "name www.Example.com", "name api.Example.com" } },
	{ "rdata-names", m_rdata_names, true,
	  { "name example.com", "name example.com", "name mail.example.com", "name example.com", "name ns1.example.com",
	    "name 4.2.0.192.in-addr.arpa", "name printer.local", "name old.example.com", "name new.example.net",
	    "name example.com", "name example.com", "name example.com", "name ns1.Example.com",
	    "name hostmaster.example.com" } },
	{ "compressed", m_compressed, true,
	  { "name www.example.com", "name www.example.com", "name cdn.example.com", "name cdn.example.com" } },
	{ "raw-bytes", m_escapes, true,
	  { "name a.b.x\\x5cy.s p.\\x00\\xff\\x7f.~!\".C\\xc3\\xa9",
	    "name a.b.x\\x5cy.s p.\\x00\\xff\\x7f.~!\".c\\xc3\\xa9" } },
	{ "case-kept", m_upper_case, true,
	  { "name WWW.Example.COM", "name www.EXAMPLE.com", "name CDN.Example.NET", "name cdn.example.net" } },
	{ "root-not-reported", m_root, true, { NULL } },
	{ "opt-owner-not-reported", m_opt, true, { "name example.com" } },
	{ "txt-empty-strings", m_txt_empty_strings, true,
	  { "name www.example.com", "name www.example.com", "txt hello", "name www.example.com" } },
	{ "update-delete-no-rdata", m_update_delete, true, { "name example.com", "name Host.example.com" } },
	{ "skipped-rdata", m_skipped_records, true,
	  { "name www.example.com", "name www.example.com", "name www.example.com", "name www.example.com",
	    "name www.example.com", "name www.example.com", "name example.com", "name www.example.com" } },
	{ "query", m_query, true, { "name www.example.com" } },
	{ "notify", m_notify_response, true, { "name www.example.com", "name www.example.com" } },
	{ "class-ch", m_class_ch, true, { "name version.bind" } },
	{ "forward-pointer", m_forward_ptr_answer, false, { "name www.example.com" } },
	{ "pointer-to-itself", m_ptr_self, false, { "name www.example.com" } },
	{ "pointer-loop-two-names", m_ptr_loop_cname, false, { "name www.example.com", "name www.example.com" } },
	{ "forward-pointer-question", m_forward_ptr_question, false, { NULL } },
	{ "label-type-01", m_label_type_01, false, { NULL } },
	{ "answer-missing", m_answer_missing, false, { "name www.example.com", "name www.example.com" } },
	{ "rdlength-past-end", m_rdlength_past_end, false, { "name www.example.com", "name www.example.com" } },
	{ "cname-name-past-rdata", m_cname_overrun, false, { "name www.example.com", "name www.example.com" } },
	{ "cname-trailing-byte", m_cname_trailing, false,
	  { "name www.example.com", "name www.example.com", "name x.test" } },
	{ "txt-string-past-rdata", m_ptr_loop_two, false,
	  { "name www.example.com", "name www.example.com", "txt w" } },
	{ "mx-rdata-short", m_mx_short, false, { "name www.example.com", "name www.example.com" } },
	{ "soa-rname-past-rdata", m_soa_short, false,
	  { "name www.example.com", "name www.example.com", "name ns.test" } },
	{ "soa-numbers-short", m_soa_tail_short, false, { "name www.example.com", "name www.example.com" } },
	{ "additional-damaged", m_garbage_after_answers, false, { "name www.example.com", "name www.example.com" } },
	{ "header-11-bytes", m_header_short, false, { NULL } },
	{ "empty", m_empty, false, { NULL } },
};

static size_t count_walk_want(const struct wcase *c)
{
	size_t n = 0;
	while (n < sizeof c->want / sizeof c->want[0] && c->want[n])
		n++;
	return n;
}

static void check_texts(const char *const *want, size_t nwant)
{
	CHECK_EQ_INT(texts.bad, 0);
	CHECK_EQ_INT(texts.n, nwant);
	for (size_t k = 0; k < nwant && k < texts.n && k < WALK_LINES; k++)
		CHECK_EQ_STR(texts.line[k], want[k]);
}

/* The real response's names: the question, then each answer's owner and CNAME target. */
static const char *const real_names[] = {
	"name conn-service-eu-04.allawnos.com",
	"name conn-service-eu-04.allawnos.com",
	"name conn-service-eu-04.allawnos.com.akamaized.net",
	"name conn-service-eu-04.allawnos.com.akamaized.net",
	"name a1947.dscd.akamai.net",
	"name a1947.dscd.akamai.net",
	"name a1947.dscd.akamai.net",
};

static void test_walk_table(void)
{
	for (size_t i = 0; i < sizeof walk_cases / sizeof walk_cases[0]; i++) {
		const struct wcase *c = &walk_cases[i];
		unsigned before = check_failures;
		struct bytes b = { .be = true };
		c->build(&b);
		CHECK_EQ_INT(walk(b.d, b.n), c->ok);
		check_texts(c->want, count_walk_want(c));
		check_case(before, c->name);
		bytes_free(&b);
	}
	unsigned before = check_failures;
	CHECK(walk(real_response, sizeof real_response));
	check_texts(real_names, sizeof real_names / sizeof real_names[0]);
	check_case(before, "real");

	/* the walk reads what the address parser does not, and leaves that one as it was */
	struct bytes b = { .be = true };
	m_mdns_service(&b);
	CHECK_EQ_INT(parse(b.d, b.n), IGNORED);
	/* no callback needed: the message is still checked */
	CHECK(ciot_dns_walk_text(b.d, b.n, NULL, NULL));
	bytes_free(&b);
	b = (struct bytes){ .be = true };
	m_ptr_loop_cname(&b);
	CHECK(!ciot_dns_walk_text(b.d, b.n, NULL, NULL));
	bytes_free(&b);
}

/* Names of 255 and 256 wire bytes: the longest text is 253 bytes. */
static void test_walk_lengths(void)
{
	static const uint8_t last[] = { 61, 62 };
	for (int big = 0; big < 2; big++) {
		struct bytes b = { .be = true };
		char text[CIOT_DNS_NAME_MAX] = "name ";
		header(&b, 0x0100, 1, 0, 0, 0);
		label(&b, text + 5, 63, 'A');
		label(&b, text + 5, 63, 'b');
		label(&b, text + 5, 63, 'C');
		label(&b, text + 5, last[big], 'd');
		bytes_u8(&b, 0);
		bytes_u16(&b, T_A);
		bytes_u16(&b, C_IN);
		unsigned before = check_failures;
		CHECK_EQ_INT(walk(b.d, b.n), !big);
		CHECK_EQ_INT(texts.bad, 0);
		CHECK_EQ_INT(texts.n, !big);
		if (!big && texts.n == 1) {
			CHECK_EQ_INT(texts.len[0], 253);
			CHECK_EQ_STR(texts.line[0], text);
		}
		check_case(before, big ? "walk-name-256" : "walk-name-255");
		bytes_free(&b);
	}
}

/* CIOT_DNS_WALK_MAX_RECORDS questions and records together are walked, one more is not: all
 * questions (each a pointer to the first's name), or one question and then records. */
static void many_walked(struct bytes *b, unsigned questions, unsigned records)
{
	header(b, 0x0100, (uint16_t)questions, (uint16_t)records, 0, 0);
	question(b, "a.test", T_A, C_IN);
	for (unsigned i = 1; i < questions; i++) {
		ptr(b, Q_NAME);
		bytes_u16(b, T_A);
		bytes_u16(b, C_IN);
	}
	for (unsigned i = 0; i < records; i++) {
		ptr(b, Q_NAME);
		rr(b, T_TXT, C_IN, 1, 0);
	}
}

static void test_walk_cap(void)
{
	static const unsigned shapes[][2] = {
		{ CIOT_DNS_WALK_MAX_RECORDS, 0 },
		{ CIOT_DNS_WALK_MAX_RECORDS + 1, 0 },
		{ 1, CIOT_DNS_WALK_MAX_RECORDS - 1 },
		{ 1, CIOT_DNS_WALK_MAX_RECORDS },
	};
	for (size_t i = 0; i < 4; i++) {
		struct bytes b = { .be = true };
		many_walked(&b, shapes[i][0], shapes[i][1]);
		bool over = shapes[i][0] + shapes[i][1] > CIOT_DNS_WALK_MAX_RECORDS;
		unsigned before = check_failures;
		CHECK_EQ_INT(walk(b.d, b.n), !over);
		CHECK_EQ_INT(texts.n, CIOT_DNS_WALK_MAX_RECORDS);
		CHECK_EQ_INT(texts.bad, 0);
		CHECK_EQ_STR(texts.line[WALK_LINES - 1], "name a.test");
		check_case(before, "walk-cap");
		bytes_free(&b);
	}
}

/* Every prefix of a whole message is damaged, and reports a beginning of what the whole reports. */
static void walk_truncations(const char *what, const uint8_t *msg, size_t n)
{
	static char full[WALK_LINES][LINE_LEN];
	CHECK(walk(msg, n));
	unsigned nfull = texts.n;
	CHECK(nfull <= WALK_LINES);
	memcpy(full, texts.line, sizeof full);
	unsigned bad = 0;
	for (size_t k = 0; k < n; k++) {
		bad += walk(msg, k) || texts.bad || texts.n > nfull;
		for (unsigned i = 0; i < texts.n && i < nfull; i++)
			bad += strcmp(texts.line[i], full[i]) != 0;
	}
	if (!CHECK_EQ_INT(bad, 0))
		fprintf(stderr, "  ^ in walk truncations of \"%s\"\n", what);
}

static void test_walk_truncations(void)
{
	walk_truncations("real", real_response, sizeof real_response);
	static void (*const builds[])(struct bytes *) = { m_mdns_service, m_two_questions, m_rdata_names,
							    m_compressed, m_escapes, m_opt, m_txt_empty_strings,
							    m_update_delete };
	for (size_t i = 0; i < sizeof builds / sizeof builds[0]; i++) {
		struct bytes b = { .be = true };
		builds[i](&b);
		char what[32];
		snprintf(what, sizeof what, "walk builder %zu", i);
		walk_truncations(what, b.d, b.n);
		bytes_free(&b);
	}
}

/* ---- mutations -------------------------------------------------------------------------------- */

#define MUTATIONS 200000

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rng(void)
{
	/* xorshift64*: deterministic, so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 32);
}

#define MUTATION_BUF 512

/* One to four random edits of the message in buf[0..n) (a byte, a bit, a pointer, a small value, a
 * cut, 16 random bytes added); returns its new length. */
static size_t mutate(uint8_t buf[MUTATION_BUF], size_t n)
{
	unsigned edits = 1 + rng() % 4;
	for (unsigned e = 0; e < edits; e++) {
		size_t at = rng() % n;
		switch (rng() % 6) {
		case 0: buf[at] = (uint8_t)rng(); break;
		case 1: buf[at] ^= (uint8_t)(1u << rng() % 8); break;
		case 2: buf[at] = (uint8_t)(0xc0 | rng() % 2); buf[(at + 1) % n] = (uint8_t)(rng() % n); break;
		case 3: buf[at] = (uint8_t)(rng() % 70); break;
		case 4: n = at + 1; break;
		case 5:
			if (n < MUTATION_BUF - 16) {
				for (int k = 0; k < 16; k++)
					buf[n + (size_t)k] = (uint8_t)rng();
				n += 16;
			}
			break;
		}
	}
	return n;
}

/* Both the address parser and the text walk on every mutation of these three. */
static void mutate_all(void *arg)
{
	(void)arg;
	struct bytes bases[3] = { { .be = true }, { .be = true }, { .be = true } };
	bytes_put(&bases[0], real_response, sizeof real_response);
	m_chain_out_of_order(&bases[1]);
	m_compressed(&bases[2]);
	uint8_t buf[MUTATION_BUF];
	unsigned bad = 0, results[4] = { 0 }, walked[2] = { 0 };
	for (unsigned it = 0; it < MUTATIONS; it++) {
		const struct bytes *base = &bases[it % 3];
		memcpy(buf, base->d, base->n);
		size_t n = mutate(buf, base->n);
		enum ciot_dns_result r = parse(buf, n);
		bad += (unsigned)r > MALFORMED || got.bad;
		results[(unsigned)r & 3]++;
		walked[walk(buf, n)]++;
		bad += texts.bad;
	}
	CHECK_EQ_INT(bad, 0);
	/* the mutations reach every result but NOT_RESPONSE only by chance; OK and MALFORMED surely */
	CHECK(results[OK] > 0 && results[MALFORMED] > 0);
	CHECK(walked[true] > 0 && walked[false] > 0);
	for (int i = 0; i < 3; i++)
		bytes_free(&bases[i]);
}

/* The text walk alone on mutations of the messages that reach its RDATA types and sections. */
static void mutate_walk(void *arg)
{
	(void)arg;
	static void (*const builds[])(struct bytes *) = { m_mdns_service, m_rdata_names, m_two_questions, m_opt };
	enum { NBASES = sizeof builds / sizeof builds[0] };
	struct bytes bases[NBASES];
	for (size_t i = 0; i < NBASES; i++) {
		bases[i] = (struct bytes){ .be = true };
		builds[i](&bases[i]);
	}
	uint8_t buf[MUTATION_BUF];
	unsigned bad = 0, walked[2] = { 0 };
	for (unsigned it = 0; it < MUTATIONS / 2; it++) {
		const struct bytes *base = &bases[it % NBASES];
		memcpy(buf, base->d, base->n);
		walked[walk(buf, mutate(buf, base->n))]++;
		bad += texts.bad;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(walked[true] > 0 && walked[false] > 0);
	for (size_t i = 0; i < NBASES; i++)
		bytes_free(&bases[i]);
}

static void test_mutations(void)
{
	CHECK_SURVIVES(mutate_all, NULL);
	CHECK_SURVIVES(mutate_walk, NULL);
}

int main(void)
{
	test_table();
	test_lengths();
	test_cap();
	test_real();
	test_truncations();
	test_walk_table();
	test_walk_lengths();
	test_walk_cap();
	test_walk_truncations();
	test_mutations();
	return check_summary("test-dns");
}
