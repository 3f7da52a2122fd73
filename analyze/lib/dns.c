/* dns.c: the addresses a DNS response maps its question's name to, through the answer section's
 * CNAME chain (RFC 1035 messages and name compression, RFC 2181 TTLs, RFC 3596 AAAA); and, for the
 * personal-data detector, every name and TXT string in a message of any kind.
 *
 * A response is read in two passes so that record order does not matter (servers and middleboxes
 * do put a CNAME after the address it leads to): the first pass reads the question and every
 * answer record through a cursor, validating as it goes, and keeps the IN-class A, AAAA and CNAME
 * records with their names decompressed into fixed buffers; the second walks from the question's
 * name along the kept CNAMEs and reports each address owned by a name on the way.
 *
 * Names are kept in wire form, uncompressed and lower-cased, so that DNS's ASCII-only case
 * insensitivity becomes a plain memcmp; they become presentation text only to be reported. The
 * authority and additional sections are never read for addresses: nothing in them is reported, so
 * damage there costs nothing.
 *
 * The text walk is one pass in message order over every section, through the same name reader with
 * its case left alone: what a person chose to call a device is the thing being looked for, and
 * folding or escaping it would change it. Each name becomes text in place, in the buffer it was
 * read into, and is handed over at once: nothing is kept, and the walk's stack is two names.
 */
#include <string.h>

#include "ciot/cursor.h"
#include "dns.h"

#define DNS_FLAG_QR 0x8000
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_CLASS_IN 1
#define DNS_TYPE_A 1
#define DNS_TYPE_NS 2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA 6
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_SRV 33
#define DNS_TYPE_DNAME 39
#define DNS_TYPE_OPT 41
#define DNS_TYPE_RRSIG 46
#define DNS_TYPE_DNSKEY 48
#define DNS_WIRE_NAME_MAX 255
#define DNS_POINTER_BITS 0xc0

/* How many answer records (IN-class A, AAAA and CNAME: the only ones that can matter) are kept.
 * Later ones are still read and validated, so a malformed one still makes the message malformed,
 * but cannot be reported or followed. A real response rarely has more than a dozen answers; the
 * cap bounds the stack this file uses (about 35 KB). */
#define DNS_MAX_KEPT 64

/* Every wire byte becomes at most 4 characters (a label byte as \DDD, a length byte as '.'). */
_Static_assert(4 * DNS_WIRE_NAME_MAX + 1 <= CIOT_DNS_NAME_MAX, "a presentation name always fits");

/* A name as it would be sent without compression, ending in the root's 0; labels lower-cased except
 * for the text walk. */
struct wire_name {
	size_t len;
	uint8_t b[DNS_WIRE_NAME_MAX];
};

struct kept_record {
	struct wire_name owner;
	struct wire_name target; /* CNAME only */
	uint16_t type;
	uint32_t ttl;
	uint8_t addr[16];
};

struct answers {
	struct wire_name question;
	struct kept_record rec[DNS_MAX_KEPT];
	size_t n;
};

/* ASCII only: DNS compares names without regard to ASCII case (RFC 4343), and only that. */
static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + ('a' - 'A')) : ch;
}

static size_t abs_offset(const struct ciot_cursor *msg, const struct ciot_cursor *c)
{
	return (size_t)(ciot_cursor_ptr(c) - msg->p);
}

/* Reads the name at `c` (a window inside the message `msg`, so that a CNAME's inline labels cannot
 * run past its rdata) and leaves `c` after it: after its first pointer, when it has one. `fold`
 * lower-cases the labels, for names that are to be compared.
 *
 * A pointer must point before the start of the run of labels it ends: that run's start only ever
 * decreases, so no loop is possible, and a well-formed message never needs anything else (a
 * compressor can only point at names it has already written). The hop cap bounds the work a
 * hostile message can ask for beyond that. */
static bool read_name_cased(const struct ciot_cursor *msg, struct ciot_cursor *c, struct wire_name *out, bool fold)
{
	if (c->err)
		return false;
	struct ciot_cursor r = *c;
	size_t run_start = abs_offset(msg, c);
	unsigned pointers = 0;
	bool jumped = false;
	out->len = 0;
	for (;;) {
		uint8_t b = ciot_cursor_u8(&r);
		if (r.err)
			return false;
		if ((b & DNS_POINTER_BITS) == DNS_POINTER_BITS) {
			size_t target = (size_t)(b & 0x3f) << 8 | ciot_cursor_u8(&r);
			if (r.err || target >= run_start || ++pointers > CIOT_DNS_MAX_POINTERS)
				return false;
			if (!jumped)
				*c = r;
			jumped = true;
			r = ciot_cursor_make(msg->p, msg->len);
			ciot_cursor_skip(&r, target);
			run_start = target;
			continue;
		}
		/* 0b01 (RFC 6891's extended label types, bit strings) and 0b10 are not names we can
		 * read; neither is used in practice. With both bits clear, a label is at most 63 bytes
		 * by construction. */
		if (b & DNS_POINTER_BITS)
			return false;
		if (out->len + 1 + b > DNS_WIRE_NAME_MAX)
			return false;
		out->b[out->len++] = b;
		if (b == 0)
			break;
		const uint8_t *label = ciot_cursor_take(&r, b);
		if (!label)
			return false;
		for (size_t i = 0; i < b; i++)
			out->b[out->len++] = fold ? lower(label[i]) : label[i];
	}
	if (!jumped)
		*c = r;
	return true;
}

static bool read_name(const struct ciot_cursor *msg, struct ciot_cursor *c, struct wire_name *out)
{
	return read_name_cased(msg, c, out, true);
}

static bool name_equal(const struct wire_name *a, const struct wire_name *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* Presentation form. The root is written "." rather than "": a name that is empty reads like a
 * missing one, and "." is what dig prints. */
static void present(const struct wire_name *n, char out[CIOT_DNS_NAME_MAX])
{
	size_t o = 0, i = 0;
	while (i < n->len && n->b[i] != 0) {
		size_t llen = n->b[i++];
		if (o)
			out[o++] = '.';
		for (size_t k = 0; k < llen; k++) {
			uint8_t ch = n->b[i++];
			if (ch < '!' || ch > '~' || ch == '.' || ch == '\\') {
				out[o++] = '\\';
				out[o++] = (char)('0' + ch / 100);
				out[o++] = (char)('0' + ch / 10 % 10);
				out[o++] = (char)('0' + ch % 10);
			} else {
				out[o++] = (char)ch;
			}
		}
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
}

/* Reads the answer section into `a`. False when it is malformed; what was kept before the damage
 * is still in `a`. */
static bool read_answers(const struct ciot_cursor *msg, struct ciot_cursor *c, unsigned ancount,
			 struct answers *a)
{
	for (unsigned i = 0; i < ancount; i++) {
		struct kept_record spare; /* past the cap: read and validated, then dropped */
		struct kept_record *r = a->n < DNS_MAX_KEPT ? &a->rec[a->n] : &spare;
		if (!read_name(msg, c, &r->owner))
			return false;
		uint16_t type = ciot_cursor_be16(c);
		uint16_t cls = ciot_cursor_be16(c);
		uint32_t ttl = ciot_cursor_be32(c);
		uint16_t rdlength = ciot_cursor_be16(c);
		struct ciot_cursor rd = ciot_cursor_sub(c, rdlength);
		if (c->err)
			return false;
		/* Other classes' A records mean something else (CHAOS addresses), and other types are
		 * not on the way from a name to an address. */
		bool wanted = type == DNS_TYPE_A || type == DNS_TYPE_AAAA || type == DNS_TYPE_CNAME;
		if (cls != DNS_CLASS_IN || !wanted)
			continue;
		r->type = type;
		/* RFC 2181 section 8: a TTL with the top bit set is to be read as zero. */
		r->ttl = ttl & 0x80000000u ? 0 : ttl;
		if (type == DNS_TYPE_A) {
			const uint8_t *v4 = rdlength == 4 ? ciot_cursor_take(&rd, 4) : NULL;
			if (!v4)
				return false;
			memset(r->addr, 0, 10);
			r->addr[10] = 0xff;
			r->addr[11] = 0xff;
			memcpy(r->addr + 12, v4, 4);
		} else if (type == DNS_TYPE_AAAA) {
			const uint8_t *v6 = rdlength == 16 ? ciot_cursor_take(&rd, 16) : NULL;
			if (!v6)
				return false;
			memcpy(r->addr, v6, 16);
		} else if (!read_name(msg, &rd, &r->target) || ciot_cursor_left(&rd) != 0) {
			return false;
		}
		if (r != &spare)
			a->n++;
	}
	return true;
}

/* Reports every kept address owned by a name on the chain from the question. A name with more than
 * one CNAME (which RFC 1034 forbids) follows the first in message order; a CNAME back to a name
 * already on the chain ends it, as does the hop cap. */
static void walk(const struct answers *a, ciot_dns_address_fn fn, void *ctx)
{
	char text[CIOT_DNS_MAX_CHAIN + 1][CIOT_DNS_NAME_MAX];
	const struct wire_name *chain[CIOT_DNS_MAX_CHAIN + 1];
	struct ciot_dns_address out;
	memset(&out, 0, sizeof out);
	chain[0] = &a->question;
	present(chain[0], text[0]);
	out.names[0] = text[0];
	out.nnames = 1;
	for (;;) {
		const struct wire_name *here = chain[out.nnames - 1];
		const struct wire_name *next = NULL;
		for (size_t i = 0; i < a->n; i++) {
			const struct kept_record *r = &a->rec[i];
			if (!name_equal(&r->owner, here))
				continue;
			if (r->type == DNS_TYPE_CNAME) {
				if (!next)
					next = &r->target;
				continue;
			}
			memcpy(out.addr, r->addr, 16);
			out.ip_version = r->type == DNS_TYPE_A ? 4 : 6;
			out.ttl = r->ttl;
			if (fn)
				fn(ctx, &out);
		}
		if (!next || out.nnames == CIOT_DNS_MAX_CHAIN + 1)
			return;
		for (unsigned k = 0; k < out.nnames; k++)
			if (name_equal(chain[k], next))
				return;
		chain[out.nnames] = next;
		present(next, text[out.nnames]);
		out.names[out.nnames] = text[out.nnames];
		out.nnames++;
	}
}

enum ciot_dns_result ciot_dns_parse_response(const uint8_t *msg, size_t len, ciot_dns_address_fn fn, void *ctx)
{
	struct ciot_cursor whole = ciot_cursor_make(msg, len);
	struct ciot_cursor c = whole;
	ciot_cursor_skip(&c, 2); /* ID */
	uint16_t flags = ciot_cursor_be16(&c);
	uint16_t qdcount = ciot_cursor_be16(&c);
	uint16_t ancount = ciot_cursor_be16(&c);
	ciot_cursor_skip(&c, 4); /* NSCOUNT, ARCOUNT: those sections are not read */
	if (c.err)
		return CIOT_DNS_MALFORMED;
	if (!(flags & DNS_FLAG_QR) || DNS_OPCODE(flags) != 0)
		return CIOT_DNS_NOT_RESPONSE;
	if (qdcount != 1)
		return CIOT_DNS_IGNORED;

	struct answers a;
	a.n = 0;
	if (!read_name(&whole, &c, &a.question))
		return CIOT_DNS_MALFORMED;
	ciot_cursor_skip(&c, 2); /* QTYPE: an A record answers an ANY or HTTPS question too */
	uint16_t qclass = ciot_cursor_be16(&c);
	if (c.err)
		return CIOT_DNS_MALFORMED;
	if (qclass != DNS_CLASS_IN)
		return CIOT_DNS_IGNORED;

	/* Records read before any damage are still reported: a response cut by a short snaplen still
	 * says where its first answers pointed. */
	bool ok = read_answers(&whole, &c, ancount, &a);
	walk(&a, fn, ctx);
	return ok ? CIOT_DNS_OK : CIOT_DNS_MALFORMED;
}

bool ciot_dns_has_dnssec(const uint8_t *msg, size_t len)
{
	struct ciot_cursor whole = ciot_cursor_make(msg, len);
	struct ciot_cursor c = whole;
	ciot_cursor_skip(&c, 4); /* ID, flags */
	uint32_t qdcount = ciot_cursor_be16(&c), records = 0;
	for (int i = 0; i < 3; i++)
		records += ciot_cursor_be16(&c);
	struct wire_name name;
	for (uint32_t i = 0; i < qdcount && !c.err; i++) {
		if (!read_name(&whole, &c, &name))
			return false;
		ciot_cursor_skip(&c, 4);
	}
	for (uint32_t i = 0; i < records && !c.err; i++) {
		if (!read_name(&whole, &c, &name))
			return false;
		uint16_t type = ciot_cursor_be16(&c);
		ciot_cursor_skip(&c, 6); /* class, TTL */
		uint16_t rdlength = ciot_cursor_be16(&c);
		if (c.err)
			return false;
		if (type == DNS_TYPE_DNSKEY || type == DNS_TYPE_RRSIG)
			return true;
		ciot_cursor_skip(&c, rdlength);
	}
	return false;
}

/* ---- the text walk ---------------------------------------------------------------------------- */

/* The wire form is already the text shifted by one byte, with a length byte where each dot goes:
 * overwriting those in place saves a second name-sized buffer. The root, a lone 0, is no text. */
static void report_name(struct wire_name *n, ciot_dns_text_fn fn, void *ctx)
{
	if (n->len < 2 || !fn)
		return;
	for (size_t i = n->b[0] + 1u; n->b[i] != 0;) {
		size_t llen = n->b[i];
		n->b[i] = '.';
		i += llen + 1;
	}
	fn(ctx, CIOT_DNS_TEXT_NAME, n->b + 1, n->len - 2);
}

/* A TXT record's character-strings must fill its RDATA exactly: one running past it is damage, as
 * a name running past a CNAME's is. */
static bool walk_txt(struct ciot_cursor *rd, ciot_dns_text_fn fn, void *ctx)
{
	while (ciot_cursor_left(rd) > 0) {
		uint8_t n = ciot_cursor_u8(rd);
		const uint8_t *s = ciot_cursor_take(rd, n);
		if (!s)
			return false;
		if (n && fn)
			fn(ctx, CIOT_DNS_TEXT_TXT, s, n);
	}
	return true;
}

/* The names in one record's RDATA, which they must fill exactly with the type's fixed fields, like
 * a CNAME's target in read_answers: a record that does not is not what its type says it is. */
static bool walk_rdata(const struct ciot_cursor *msg, struct ciot_cursor *rd, uint16_t type, ciot_dns_text_fn fn,
		       void *ctx)
{
	/* RFC 2136 deletes a whole RRset, or all of a name's, with a record of no RDATA whatever its
	 * type; a message of any opcode is walked, so that is no damage. */
	if (ciot_cursor_left(rd) == 0)
		return true;
	size_t before = 0, after = 0;
	unsigned names = 1;
	switch (type) {
	case DNS_TYPE_TXT:
		return walk_txt(rd, fn, ctx);
	case DNS_TYPE_CNAME:
	case DNS_TYPE_NS:
	case DNS_TYPE_PTR:
	case DNS_TYPE_DNAME:
		break;
	case DNS_TYPE_MX:
		before = 2; /* preference */
		break;
	case DNS_TYPE_SRV:
		before = 6; /* priority, weight, port */
		break;
	case DNS_TYPE_SOA:
		names = 2;  /* mname, rname */
		after = 20; /* serial, refresh, retry, expire, minimum */
		break;
	default:
		return true;
	}
	ciot_cursor_skip(rd, before);
	struct wire_name name;
	for (unsigned i = 0; i < names; i++) {
		if (!read_name_cased(msg, rd, &name, false))
			return false;
		report_name(&name, fn, ctx);
	}
	ciot_cursor_skip(rd, after);
	return !rd->err && ciot_cursor_left(rd) == 0;
}

bool ciot_dns_walk_text(const uint8_t *msg, size_t len, ciot_dns_text_fn fn, void *ctx)
{
	struct ciot_cursor whole = ciot_cursor_make(msg, len);
	struct ciot_cursor c = whole;
	ciot_cursor_skip(&c, 4); /* ID, flags: queries, responses and every opcode carry names alike */
	uint32_t qdcount = ciot_cursor_be16(&c), records = 0;
	for (int i = 0; i < 3; i++)
		records += ciot_cursor_be16(&c);
	if (c.err)
		return false;
	struct wire_name name;
	uint32_t walked = 0;
	for (uint32_t i = 0; i < qdcount; i++) {
		if (walked++ == CIOT_DNS_WALK_MAX_RECORDS || !read_name_cased(&whole, &c, &name, false))
			return false;
		report_name(&name, fn, ctx);
		if (!ciot_cursor_skip(&c, 4)) /* QTYPE, QCLASS */
			return false;
	}
	for (uint32_t i = 0; i < records; i++) {
		if (walked++ == CIOT_DNS_WALK_MAX_RECORDS || !read_name_cased(&whole, &c, &name, false))
			return false;
		uint16_t type = ciot_cursor_be16(&c);
		if (c.err)
			return false;
		if (type != DNS_TYPE_OPT)
			report_name(&name, fn, ctx);
		ciot_cursor_skip(&c, 6); /* class, whose top bit mDNS borrows, and TTL: neither matters here */
		uint16_t rdlength = ciot_cursor_be16(&c);
		struct ciot_cursor rd = ciot_cursor_sub(&c, rdlength);
		if (c.err || !walk_rdata(&whole, &rd, type, fn, ctx))
			return false;
	}
	return true;
}

bool ciot_dns_tcp_messages(const uint8_t *buf, size_t len, ciot_dns_message_fn fn, void *ctx)
{
	struct ciot_cursor c = ciot_cursor_make(buf, len);
	bool exact = true;
	while (ciot_cursor_left(&c) >= 2) {
		size_t n = ciot_cursor_be16(&c);
		const uint8_t *msg = ciot_cursor_take(&c, n);
		if (!msg)
			return false;
		if (n == 0)
			exact = false;
		if (fn)
			fn(ctx, msg, n);
	}
	return exact && ciot_cursor_left(&c) == 0;
}
