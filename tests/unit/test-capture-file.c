/* test-capture-file.c: the pcap and pcapng reader (capture-file.h) on files written byte by byte in
 * a mkdtemp() directory. Classic pcap in both byte orders with the microsecond, nanosecond (converted
 * to microseconds exactly) and Kuznetzov magics, and the FCS bits of the link-type field; pcapng
 * with two sections of different byte order, interfaces with if_tsresol 10^-9 and 2^-10 and an
 * if_tsoffset, two interfaces of different link types in one section, enhanced, obsolete and simple
 * packet blocks, and unknown blocks skipped; interface numbering restarting with each section.
 * Files that end inside a record yield the packets before it, then eof with
 * ciot_capture_truncated() true. Corrupt files (captured length over 262144, pcapng block lengths
 * that are short, not a multiple of 4, huge or not repeated at the end, bad magics and byte-order
 * magics, unknown versions, out-of-range resolutions, a packet on an undefined interface, a file
 * shorter than 24 bytes, a directory) fail with the right code; and every truncation and every
 * single-byte corruption of a valid pcapng file is read without a crash.
 */
#include <errno.h>

#include "bytes.h"
#include "capture-file.h"
#include "check.h"
#include "testfs.h"

#define LT_ETHERNET 1
#define LT_RAW 101
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_SLL 113

static char tmpdir[PATH_MAX];

/* ---- writing ---------------------------------------------------------------------------------- */

static void pcap_header(struct bytes *b, uint32_t magic, uint16_t major, uint32_t linktype_field)
{
	bytes_u32(b, magic);
	bytes_u16(b, major);
	bytes_u16(b, 4);
	bytes_u32(b, 0);      /* thiszone */
	bytes_u32(b, 0);      /* sigfigs */
	bytes_u32(b, 65535);  /* snaplen */
	bytes_u32(b, linktype_field);
}

static void pcap_record(struct bytes *b, bool kuznetzov, uint32_t sec, uint32_t frac, uint32_t caplen,
			uint32_t wirelen, const void *data, size_t datalen)
{
	bytes_u32(b, sec);
	bytes_u32(b, frac);
	bytes_u32(b, caplen);
	bytes_u32(b, wirelen);
	if (kuznetzov) {
		bytes_u32(b, 3);   /* ifindex */
		bytes_u16(b, 0x0800);
		bytes_u8(b, 0);    /* packet type */
		bytes_u8(b, 0);    /* padding */
	}
	bytes_put(b, data, datalen);
}

static size_t block_begin(struct bytes *b, uint32_t type)
{
	size_t at = b->n;
	bytes_u32(b, type);
	bytes_u32(b, 0); /* total length, set by block_end */
	return at;
}

static void pad4(struct bytes *b)
{
	while (b->n % 4)
		bytes_u8(b, 0);
}

static void block_end(struct bytes *b, size_t at)
{
	pad4(b);
	uint32_t total = (uint32_t)(b->n - at + 4);
	bytes_u32(b, total);
	bytes_set_u32(b, at + 4, total);
}

static void shb(struct bytes *b, uint16_t major)
{
	size_t at = block_begin(b, 0x0a0d0d0a);
	bytes_u32(b, 0x1a2b3c4d);
	bytes_u16(b, major);
	bytes_u16(b, 0);
	bytes_u64(b, UINT64_MAX); /* section length unknown */
	bytes_u16(b, 4);          /* shb_userappl */
	bytes_u16(b, 4);
	bytes_put(b, "unit", 4);
	bytes_u16(b, 0);          /* opt_endofopt */
	bytes_u16(b, 0);
	block_end(b, at);
}

static void option(struct bytes *b, uint16_t code, const void *value, uint16_t len)
{
	bytes_u16(b, code);
	bytes_u16(b, len);
	bytes_put(b, value, len);
	pad4(b);
}

/* tsresol < 0: no if_tsresol option; with_offset: an if_tsoffset option of `offset_s`. */
static void idb(struct bytes *b, uint16_t linktype, uint32_t snaplen, int tsresol, bool with_offset,
		int64_t offset_s)
{
	size_t at = block_begin(b, 1);
	bytes_u16(b, linktype);
	bytes_u16(b, 0);
	bytes_u32(b, snaplen);
	option(b, 2, "wlan0", 5); /* if_name, padded to 8 */
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;
		option(b, 9, &r, 1);
	}
	if (with_offset) {
		struct bytes v = { .be = b->be };
		bytes_u64(&v, (uint64_t)offset_s);
		option(b, 14, v.d, 8);
		bytes_free(&v);
	}
	bytes_u16(b, 0);
	bytes_u16(b, 0);
	block_end(b, at);
}

static void epb(struct bytes *b, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen, uint32_t wirelen)
{
	size_t at = block_begin(b, 6);
	bytes_u32(b, ifid);
	bytes_u32(b, (uint32_t)(ts >> 32));
	bytes_u32(b, (uint32_t)ts);
	bytes_u32(b, caplen);
	bytes_u32(b, wirelen);
	bytes_put(b, data, caplen);
	block_end(b, at);
}

static void opb(struct bytes *b, uint16_t ifid, uint64_t ts, const void *data, uint32_t caplen, uint32_t wirelen)
{
	size_t at = block_begin(b, 2);
	bytes_u16(b, ifid);
	bytes_u16(b, 0); /* drops */
	bytes_u32(b, (uint32_t)(ts >> 32));
	bytes_u32(b, (uint32_t)ts);
	bytes_u32(b, caplen);
	bytes_u32(b, wirelen);
	bytes_put(b, data, caplen);
	block_end(b, at);
}

static void spb(struct bytes *b, uint32_t wirelen, const void *data, size_t datalen)
{
	size_t at = block_begin(b, 3);
	bytes_u32(b, wirelen);
	bytes_put(b, data, datalen);
	block_end(b, at);
}

static void other_block(struct bytes *b, uint32_t type, size_t bodylen)
{
	size_t at = block_begin(b, type);
	bytes_fill(b, 0x5a, bodylen);
	block_end(b, at);
}

static const char *write_bytes(char path[PATH_MAX], const char *name, const struct bytes *b)
{
	return testfs_write(path, tmpdir, name, b->d, b->n);
}

/* ---- reading ---------------------------------------------------------------------------------- */

struct got {
	int64_t ts;
	uint16_t linktype, iface;
	uint32_t caplen, wirelen;
	uint8_t data[16];
};

struct result {
	enum ciot_rc open_rc, rc; /* rc: of the last ciot_capture_next */
	bool eof, truncated;
	enum ciot_capture_format format;
	uint64_t bytes_read, size;
	size_t n;
	struct got f[16];
	char err[CIOT_ERRBUF_SIZE];
};

/* Opens and reads until eof or an error (at most 64 frames), remembering the first 16 frames. */
static void read_all(const char *path, struct result *r)
{
	memset(r, 0, sizeof *r);
	struct ciot_capture_file *cf;
	r->open_rc = ciot_capture_open(&cf, path, r->err);
	if (r->open_rc) {
		CHECK(cf == NULL);
		return;
	}
	r->format = ciot_capture_format_of(cf);
	r->size = ciot_capture_size(cf);
	for (int i = 0; i < 64; i++) {
		struct ciot_frame fr;
		r->rc = ciot_capture_next(cf, &fr, &r->eof, r->err);
		if (r->rc || r->eof)
			break;
		if (r->n < 16) {
			struct got *g = &r->f[r->n];
			g->ts = fr.ts_us;
			g->linktype = fr.linktype;
			g->iface = fr.interface;
			g->caplen = fr.caplen;
			g->wirelen = fr.wirelen;
			memcpy(g->data, fr.data, fr.caplen < 16 ? fr.caplen : 16);
		}
		r->n++;
	}
	if (!r->rc && r->eof) {
		/* eof is stable */
		struct ciot_frame fr;
		bool eof2 = false;
		CHECK_EQ_INT(ciot_capture_next(cf, &fr, &eof2, r->err), CIOT_OK);
		CHECK(eof2);
	}
	r->truncated = ciot_capture_truncated(cf);
	r->bytes_read = ciot_capture_bytes_read(cf);
	ciot_capture_close(cf);
}

#define CHECK_FRAME(g, ts_, linktype_, iface_, caplen_, wirelen_, data_) \
	do { \
		CHECK_EQ_INT((g).ts, (ts_)); \
		CHECK_EQ_INT((g).linktype, (linktype_)); \
		CHECK_EQ_INT((g).iface, (iface_)); \
		CHECK_EQ_INT((g).caplen, (caplen_)); \
		CHECK_EQ_INT((g).wirelen, (wirelen_)); \
		CHECK_EQ_MEM((g).data, (data_), (caplen_) < 16 ? (caplen_) : 16); \
	} while (0)

/* ---- classic pcap ----------------------------------------------------------------------------- */

static void test_pcap_variants(void)
{
	static const struct {
		const char *name;
		bool be;
		uint32_t magic, linktype_field;
		uint16_t linktype;
		bool ns, kuznetzov;
	} cases[] = {
		{ "le-us", false, 0xa1b2c3d4, 1, LT_ETHERNET, false, false },
		{ "be-us", true, 0xa1b2c3d4, 101, LT_RAW, false, false },
		{ "le-ns", false, 0xa1b23c4d, 228, LT_IPV4, true, false },
		{ "be-ns", true, 0xa1b23c4d, 229, LT_IPV6, true, false },
		{ "le-kuznetzov", false, 0xa1b2cd34, 1, LT_ETHERNET, false, true },
		{ "be-kuznetzov", true, 0xa1b2cd34, 113, LT_SLL, false, true },
		/* FCS length and F bit in the upper bits of the link-type field */
		{ "le-fcs-bits", false, 0xa1b2c3d4, 0x54000071, LT_SLL, false, false },
	};
	static const uint8_t d1[] = { 0xde, 0xad, 0xbe, 0xef }, d2[] = { 1, 2, 3 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes b = { .be = cases[i].be };
		pcap_header(&b, cases[i].magic, 2, cases[i].linktype_field);
		bool ns = cases[i].ns, kz = cases[i].kuznetzov;
		pcap_record(&b, kz, 1713252489, ns ? 123456789 : 123456, 4, 60, d1, 4);
		/* a wire length below the captured length is raised to it */
		pcap_record(&b, kz, 1713252490, ns ? 999999999 : 999999, 3, 2, d2, 3);
		pcap_record(&b, kz, 0, ns ? 999 : 0, 0, 0, NULL, 0);
		char path[PATH_MAX];
		write_bytes(path, cases[i].name, &b);
		struct result r;
		unsigned before = check_failures;
		read_all(path, &r);
		CHECK_EQ_INT(r.open_rc, CIOT_OK);
		CHECK_EQ_INT(r.rc, CIOT_OK);
		CHECK(r.eof);
		CHECK(!r.truncated);
		CHECK_EQ_INT(r.format, CIOT_CAPTURE_PCAP);
		CHECK_EQ_INT(r.n, 3);
		CHECK_FRAME(r.f[0], 1713252489123456LL, cases[i].linktype, 0, 4, 60, d1);
		CHECK_FRAME(r.f[1], 1713252490999999LL, cases[i].linktype, 0, 3, 3, d2);
		CHECK_FRAME(r.f[2], 0, cases[i].linktype, 0, 0, 0, d2);
		CHECK_EQ_INT(r.size, b.n);
		CHECK_EQ_INT(r.bytes_read, b.n);
		check_case(before, cases[i].name);
		bytes_free(&b);
	}
}

static void test_pcap_version(void)
{
	struct bytes b = { .be = false };
	pcap_header(&b, 0xa1b2c3d4, 3, 1);
	char path[PATH_MAX];
	write_bytes(path, "version3.pcap", &b);
	struct result r;
	read_all(path, &r);
	CHECK_EQ_INT(r.open_rc, CIOT_ERR_UNSUPPORTED);
	CHECK_CONTAINS(r.err, "version 3");
	bytes_free(&b);
}

/* ---- pcapng ----------------------------------------------------------------------------------- */

static const uint8_t hello[] = "hello", abc[] = "abc", four[] = { 0x45, 0, 0, 4 },
		     eight[] = { 8, 7, 6, 5, 4, 3, 2, 1 }, ten[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

/* The two-section file of test_pcapng, also the seed of the robustness loop. */
static void build_pcapng(struct bytes *b)
{
	b->be = false;
	shb(b, 1);
	idb(b, LT_ETHERNET, 0, 9, false, 0);        /* if 0: nanoseconds */
	idb(b, LT_RAW, 65535, 0x80 | 10, false, 0);  /* if 1: 2^-10 s */
	epb(b, 0, 1713252489123456789ull, hello, 5, 5);
	other_block(b, 0x00000bad, 12);                /* custom block */
	other_block(b, 4, 8);                          /* name resolution */
	epb(b, 1, 1713252489ull * 1024 + 768, four, 4, 1500);
	epb(b, 1, 1713252489ull * 1024 + 1, four, 4, 4);
	spb(b, 3, abc, 3);                             /* on if 0, no timestamp of its own */
	other_block(b, 5, 16);                         /* interface statistics */
	b->be = true;
	shb(b, 1);
	idb(b, LT_IPV4, 6, -1, true, -3600);          /* if 0 again: microseconds, offset -1 h */
	epb(b, 0, 1713252489000001ull, eight, 8, 20);
	opb(b, 0, 1713252490000000ull, eight, 2, 2);
	spb(b, 10, ten, 10);                           /* clamped to the snaplen, 6 */
}

static void test_pcapng(void)
{
	struct bytes b = { 0 };
	build_pcapng(&b);
	char path[PATH_MAX];
	write_bytes(path, "two-sections.pcapng", &b);
	struct result r;
	read_all(path, &r);
	CHECK_EQ_INT(r.open_rc, CIOT_OK);
	CHECK_EQ_INT(r.rc, CIOT_OK);
	CHECK_EQ_STR(r.err[0] ? r.err : NULL, NULL);
	CHECK(r.eof);
	CHECK(!r.truncated);
	CHECK_EQ_INT(r.format, CIOT_CAPTURE_PCAPNG);
	CHECK_EQ_INT(r.n, 7);
	CHECK_FRAME(r.f[0], 1713252489123456LL, LT_ETHERNET, 0, 5, 5, hello);
	CHECK_FRAME(r.f[1], 1713252489750000LL, LT_RAW, 1, 4, 1500, four);
	CHECK_FRAME(r.f[2], 1713252489000976LL, LT_RAW, 1, 4, 4, four); /* 1/1024 s = 976.5625 us */
	CHECK_FRAME(r.f[3], 1713252489000976LL, LT_ETHERNET, 0, 3, 3, abc);
	CHECK_FRAME(r.f[4], 1713248889000001LL, LT_IPV4, 0, 8, 20, eight);
	CHECK_FRAME(r.f[5], 1713248890000000LL, LT_IPV4, 0, 2, 2, eight);
	CHECK_FRAME(r.f[6], 1713248890000000LL, LT_IPV4, 0, 6, 10, ten);
	CHECK_EQ_INT(r.size, b.n);
	CHECK_EQ_INT(r.bytes_read, b.n);
	bytes_free(&b);

	/* interface numbers restart with each section: the second section has only interface 0 */
	struct bytes c = { .be = false };
	shb(&c, 1);
	idb(&c, LT_ETHERNET, 0, -1, false, 0);
	idb(&c, LT_RAW, 0, -1, false, 0);
	epb(&c, 1, 1000000, four, 4, 4);
	c.be = true;
	shb(&c, 1);
	idb(&c, LT_IPV6, 0, -1, false, 0);
	epb(&c, 0, 2000000, four, 4, 4);
	epb(&c, 1, 3000000, four, 4, 4);
	write_bytes(path, "section-interfaces.pcapng", &c);
	read_all(path, &r);
	CHECK_EQ_INT(r.n, 2);
	CHECK_FRAME(r.f[0], 1000000, LT_RAW, 1, 4, 4, four);
	CHECK_FRAME(r.f[1], 2000000, LT_IPV6, 0, 4, 4, four);
	CHECK_EQ_INT(r.rc, CIOT_ERR_FORMAT);
	CHECK_CONTAINS(r.err, "interface 1 of 1");
	bytes_free(&c);

	/* decimal resolutions coarser than microseconds, and milliseconds */
	struct bytes d = { .be = false };
	shb(&d, 1);
	idb(&d, LT_ETHERNET, 0, 0, false, 0); /* seconds */
	idb(&d, LT_ETHERNET, 0, 3, false, 0); /* milliseconds */
	idb(&d, LT_ETHERNET, 0, 0x80 | 0, false, 0); /* 2^0 = seconds */
	epb(&d, 0, 1713252489, four, 4, 4);
	epb(&d, 1, 1713252489123ull, four, 4, 4);
	epb(&d, 2, 1713252489, four, 4, 4);
	write_bytes(path, "resolutions.pcapng", &d);
	read_all(path, &r);
	CHECK_EQ_INT(r.rc, CIOT_OK);
	CHECK_EQ_INT(r.n, 3);
	CHECK_EQ_INT(r.f[0].ts, 1713252489000000LL);
	CHECK_EQ_INT(r.f[1].ts, 1713252489123000LL);
	CHECK_EQ_INT(r.f[2].ts, 1713252489000000LL);
	bytes_free(&d);
}

/* ---- truncated files -------------------------------------------------------------------------- */

static void test_truncated(void)
{
	static const uint8_t d[] = { 1, 2, 3, 4 };
	struct bytes full = { .be = false };
	pcap_header(&full, 0xa1b2c3d4, 2, 1);
	pcap_record(&full, false, 10, 1, 4, 4, d, 4);
	pcap_record(&full, false, 11, 2, 4, 4, d, 4);
	pcap_record(&full, false, 12, 3, 4, 4, d, 4);
	/* cut inside the third record's header, inside its data, and just before it */
	static const struct {
		const char *name;
		size_t cut;
		size_t frames;
		bool truncated;
	} pcap_cases[] = {
		{ "cut-in-header.pcap", 24 + 2 * 20 + 10, 2, true },
		{ "cut-in-data.pcap", 24 + 2 * 20 + 16 + 2, 2, true },
		{ "cut-after-record.pcap", 24 + 2 * 20, 2, false },
		{ "header-only.pcap", 24, 0, false },
		{ "cut-in-first.pcap", 24 + 1, 0, true },
	};
	for (size_t i = 0; i < sizeof pcap_cases / sizeof pcap_cases[0]; i++) {
		char path[PATH_MAX];
		testfs_write(path, tmpdir, pcap_cases[i].name, full.d, pcap_cases[i].cut);
		struct result r;
		unsigned before = check_failures;
		read_all(path, &r);
		CHECK_EQ_INT(r.open_rc, CIOT_OK);
		CHECK_EQ_INT(r.rc, CIOT_OK);
		CHECK(r.eof);
		CHECK_EQ_INT(r.n, pcap_cases[i].frames);
		CHECK_EQ_INT(r.truncated, pcap_cases[i].truncated);
		if (r.n >= 2) {
			CHECK_FRAME(r.f[0], 10000001, LT_ETHERNET, 0, 4, 4, d);
			CHECK_FRAME(r.f[1], 11000002, LT_ETHERNET, 0, 4, 4, d);
		}
		check_case(before, pcap_cases[i].name);
	}
	bytes_free(&full);

	struct bytes ng = { .be = false };
	shb(&ng, 1);
	size_t after_shb = ng.n;
	idb(&ng, LT_ETHERNET, 0, -1, false, 0);
	epb(&ng, 0, 5000000, d, 4, 4);
	size_t before_last = ng.n;
	epb(&ng, 0, 6000000, d, 4, 4);
	const struct {
		const char *name;
		size_t cut;
		size_t frames;
		bool truncated;
	} ng_cases[] = {
		{ "cut-in-block.pcapng", before_last + 20, 1, true },
		{ "cut-in-block-header.pcapng", before_last + 5, 1, true },
		{ "cut-at-block.pcapng", before_last, 1, false },
		{ "shb-only.pcapng", after_shb, 0, false },
	};
	for (size_t i = 0; i < sizeof ng_cases / sizeof ng_cases[0]; i++) {
		size_t cut = ng_cases[i].cut;
		char path[PATH_MAX];
		testfs_write(path, tmpdir, ng_cases[i].name, ng.d, cut);
		struct result r;
		unsigned before = check_failures;
		read_all(path, &r);
		CHECK_EQ_INT(r.open_rc, CIOT_OK);
		CHECK_EQ_INT(r.rc, CIOT_OK);
		CHECK(r.eof);
		CHECK_EQ_INT(r.n, ng_cases[i].frames);
		CHECK_EQ_INT(r.truncated, ng_cases[i].truncated);
		if (r.n)
			CHECK_FRAME(r.f[0], 5000000, LT_ETHERNET, 0, 4, 4, d);
		check_case(before, ng_cases[i].name);
	}
	bytes_free(&ng);
}

/* ---- corrupt files ---------------------------------------------------------------------------- */

enum corrupt {
	PCAP_CAPLEN_OVER, PCAP_CAPLEN_MAX, NG_CAPLEN_OVER, NG_LEN_NOT4, NG_LEN_SHORT, NG_LEN_HUGE, NG_TRAILER,
	NG_CAPLEN_OVER_BLOCK, NG_NO_IDB, NG_BAD_BOM, NG_VERSION, NG_TSRESOL_DEC, NG_TSRESOL_POW2, NG_SHB_SHORT,
	BAD_MAGIC, SHORT_FILE, EMPTY_FILE,
};

static void build_corrupt(struct bytes *b, enum corrupt which)
{
	static const uint8_t d[] = { 1, 2, 3, 4 };
	b->be = false;
	switch (which) {
	case PCAP_CAPLEN_OVER:
	case PCAP_CAPLEN_MAX: {
		uint32_t caplen = which == PCAP_CAPLEN_OVER ? 262145 : 262144;
		pcap_header(b, 0xa1b2c3d4, 2, 1);
		pcap_record(b, false, 1, 0, 4, 4, d, 4);
		pcap_record(b, false, 2, 0, caplen, caplen, NULL, 0);
		bytes_fill(b, 0xaa, caplen);
		return;
	}
	case BAD_MAGIC:
		bytes_put(b, "GIF89a, not a capture file", 26);
		return;
	case SHORT_FILE:
		pcap_header(b, 0xa1b2c3d4, 2, 1);
		b->n = 23;
		return;
	case EMPTY_FILE:
		return;
	default:
		break;
	}
	shb(b, which == NG_VERSION ? 2 : 1);
	if (which == NG_BAD_BOM)
		bytes_set_u32(b, 8, 0x11223344);
	if (which == NG_SHB_SHORT) {
		/* a section header of 24 bytes: no room for its version and section length */
		b->n = 0;
		size_t at = block_begin(b, 0x0a0d0d0a);
		bytes_u32(b, 0x1a2b3c4d);
		bytes_u32(b, 0x00000001);
		bytes_u32(b, 0);
		block_end(b, at);
		return;
	}
	if (which != NG_NO_IDB)
		idb(b, LT_ETHERNET, 0, which == NG_TSRESOL_DEC ? 20 : which == NG_TSRESOL_POW2 ? 0x80 | 64 : 6, false, 0);
	epb(b, 0, 1000000, d, 4, 4);
	size_t at = b->n;
	switch (which) {
	case NG_CAPLEN_OVER: {
		size_t blk = block_begin(b, 6);
		bytes_u32(b, 0);
		bytes_u32(b, 0);
		bytes_u32(b, 2000000);
		bytes_u32(b, 262145);
		bytes_u32(b, 262145);
		bytes_fill(b, 0xaa, 262145);
		block_end(b, blk);
		break;
	}
	case NG_LEN_NOT4:
		other_block(b, 0xbad, 16);
		bytes_set_u32(b, at + 4, 30);
		break;
	case NG_LEN_SHORT:
		other_block(b, 0xbad, 0);
		bytes_set_u32(b, at + 4, 8);
		break;
	case NG_LEN_HUGE:
		other_block(b, 0xbad, 16);
		bytes_set_u32(b, at + 4, 32u << 20);
		break;
	case NG_TRAILER:
		other_block(b, 0xbad, 16);
		bytes_set_u32(b, b->n - 4, 36);
		break;
	case NG_CAPLEN_OVER_BLOCK:
		epb(b, 0, 2000000, d, 4, 4);
		bytes_set_u32(b, at + 8 + 12, 8); /* caplen 8 in a block holding 4 bytes */
		break;
	default:
		break;
	}
}

static void test_corrupt(void)
{
	static const struct {
		const char *name;
		enum corrupt which;
		enum ciot_rc open_rc, rc;
		size_t frames;
		const char *needle;
	} cases[] = {
		{ "pcap-caplen-over", PCAP_CAPLEN_OVER, CIOT_OK, CIOT_ERR_FORMAT, 1, "262145" },
		{ "pcap-caplen-max", PCAP_CAPLEN_MAX, CIOT_OK, CIOT_OK, 2, NULL },
		{ "ng-caplen-over", NG_CAPLEN_OVER, CIOT_OK, CIOT_ERR_FORMAT, 1, "262145" },
		{ "ng-len-not-multiple-of-4", NG_LEN_NOT4, CIOT_OK, CIOT_ERR_FORMAT, 1, "length 30" },
		{ "ng-len-short", NG_LEN_SHORT, CIOT_OK, CIOT_ERR_FORMAT, 1, "length 8" },
		{ "ng-len-huge", NG_LEN_HUGE, CIOT_OK, CIOT_ERR_FORMAT, 1, "length 33554432" },
		{ "ng-trailer-mismatch", NG_TRAILER, CIOT_OK, CIOT_ERR_FORMAT, 1, "trailing length" },
		{ "ng-caplen-over-block", NG_CAPLEN_OVER_BLOCK, CIOT_OK, CIOT_ERR_FORMAT, 1, "exceeds the block" },
		{ "ng-no-idb", NG_NO_IDB, CIOT_OK, CIOT_ERR_FORMAT, 0, "interface 0 of 0" },
		{ "ng-bad-bom", NG_BAD_BOM, CIOT_OK, CIOT_ERR_FORMAT, 0, "byte-order" },
		{ "ng-version-2", NG_VERSION, CIOT_OK, CIOT_ERR_UNSUPPORTED, 0, "version 2" },
		{ "ng-tsresol-dec", NG_TSRESOL_DEC, CIOT_OK, CIOT_ERR_FORMAT, 0, "resolution" },
		{ "ng-tsresol-pow2", NG_TSRESOL_POW2, CIOT_OK, CIOT_ERR_FORMAT, 0, "resolution" },
		{ "ng-shb-short", NG_SHB_SHORT, CIOT_OK, CIOT_ERR_FORMAT, 0, "section header too short" },
		{ "bad-magic", BAD_MAGIC, CIOT_ERR_FORMAT, CIOT_OK, 0, "magic" },
		{ "short-file", SHORT_FILE, CIOT_ERR_FORMAT, CIOT_OK, 0, "too short" },
		{ "empty-file", EMPTY_FILE, CIOT_ERR_FORMAT, CIOT_OK, 0, "0 bytes" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes b = { 0 };
		build_corrupt(&b, cases[i].which);
		char path[PATH_MAX];
		write_bytes(path, cases[i].name, &b);
		static struct result r;
		unsigned before = check_failures;
		read_all(path, &r);
		CHECK_EQ_INT(r.open_rc, cases[i].open_rc);
		if (!r.open_rc) {
			CHECK_EQ_INT(r.rc, cases[i].rc);
			CHECK_EQ_INT(r.n, cases[i].frames);
			CHECK(!r.truncated);
		}
		if (cases[i].needle)
			CHECK_CONTAINS(r.err, cases[i].needle);
		if (cases[i].which == PCAP_CAPLEN_MAX && r.n == 2) {
			CHECK_EQ_INT(r.f[1].caplen, 262144);
			CHECK_EQ_INT(r.f[1].data[0], 0xaa);
		}
		check_case(before, cases[i].name);
		bytes_free(&b);
	}

	/* a directory, and a file that does not exist */
	struct result r;
	read_all(tmpdir, &r);
	CHECK_EQ_INT(r.open_rc, CIOT_ERR_IO);
	CHECK_CONTAINS(r.err, "directory");
	char path[PATH_MAX];
	read_all(testfs_path(path, tmpdir, "does-not-exist.pcap"), &r);
	CHECK_EQ_INT(r.open_rc, CIOT_ERR_IO);
	CHECK_CONTAINS(r.err, strerror(ENOENT));
}

/* ---- robustness: every prefix and every single-byte corruption of the pcapng file -------------- */

/* Whether `cut` falls between two blocks of a well-formed pcapng file. */
static bool at_block_boundary(const struct bytes *b, size_t cut)
{
	bool be = false;
	size_t o = 0;
	while (o + 12 <= b->n) {
		if (o == cut)
			return true;
		const uint8_t *h = b->d + o;
		if (h[0] == 0x0a && h[1] == 0x0d && h[2] == 0x0d && h[3] == 0x0a)
			be = h[8] == 0x1a;
		uint32_t total = be ? (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7]
				    : (uint32_t)h[7] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[5] << 8 | h[4];
		o += total;
	}
	return o == cut;
}

/* Every prefix is a good file that ends early. */
static void read_prefixes(void *arg)
{
	const struct bytes *b = arg;
	char path[PATH_MAX];
	unsigned bad = 0, boundaries = 0;
	for (size_t cut = 0; cut <= b->n; cut++) {
		testfs_write(path, tmpdir, "robust-prefix.pcapng", b->d, cut);
		static struct result r;
		read_all(path, &r);
		if (cut < 24) {
			bad += r.open_rc != CIOT_ERR_FORMAT;
			continue;
		}
		/* a prefix is a good file that ends early: its frames, then eof, truncated unless it ends
		 * between two blocks */
		bool boundary = at_block_boundary(b, cut);
		boundaries += boundary;
		bad += r.open_rc != CIOT_OK || r.n > 7 || r.rc != CIOT_OK || !r.eof || r.truncated == boundary;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(boundaries, 15); /* the blocks of build_pcapng */
}

/* Reads the file with one byte changed, for each offset from `start` on. Before each file it tells
 * the parent which offset it is at, so that after a crash the parent knows which one it was and
 * can go on from the next; a file that reads wrong ends the child with status 4. */
static void read_corruptions_from(const struct bytes *b, size_t start, int progress_fd)
{
	char path[PATH_MAX];
	testfs_path(path, tmpdir, "robust-corrupt.pcapng");
	struct bytes c = { 0 };
	bytes_put(&c, b->d, b->n);
	for (size_t at = start; at < b->n; at++) {
		if (write(progress_fd, &at, sizeof at) != (ssize_t)sizeof at)
			_exit(5);
		c.d[at] ^= 0x01;
		testfs_write(path, tmpdir, "robust-corrupt.pcapng", c.d, c.n);
		c.d[at] ^= 0x01;
		static struct result r;
		unsigned failures = check_failures;
		read_all(path, &r);
		if (check_failures != failures || r.n > 8 || (r.open_rc != CIOT_OK && r.open_rc != CIOT_ERR_FORMAT) ||
		    (r.rc != CIOT_OK && r.rc != CIOT_ERR_FORMAT && r.rc != CIOT_ERR_UNSUPPORTED))
			_exit(4);
	}
	bytes_free(&c);
}

/* No crash (the sanitizer build watches every read and every signed overflow), a known result, never
 * more frames than the file holds. The corrupted files are read in a child process, restarted after
 * a crash from the next offset, so that one crash does not hide the others. */
static void test_robustness(void)
{
	struct bytes b = { 0 };
	build_pcapng(&b);
	CHECK_SURVIVES(read_prefixes, &b);
	char failed[1024] = "";
	unsigned nfailed = 0;
	size_t start = 0;
	while (start < b.n) {
		int fds[2];
		if (!CHECK(pipe(fds) == 0))
			break;
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			read_corruptions_from(&b, start, fds[1]);
			_exit(0);
		}
		close(fds[1]);
		size_t at, last = SIZE_MAX;
		while (read(fds[0], &at, sizeof at) == (ssize_t)sizeof at)
			last = at;
		close(fds[0]);
		int status = 0;
		if (!CHECK(pid > 0 && waitpid(pid, &status, 0) == pid))
			break;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;
		if (last == SIZE_MAX) {
			CHECK(false);
			break;
		}
		nfailed++;
		size_t used = strlen(failed);
		snprintf(failed + used, sizeof failed - used, " %zu", last);
		start = last + 1;
	}
	if (!CHECK_EQ_INT(nfailed, 0))
		fprintf(stderr, "  offsets whose corruption (byte ^ 0x01) crashed or read wrong:%s\n", failed);
	bytes_free(&b);
}

/* Timestamps at the edge of int64: an if_tsoffset or a raw timestamp so large that converting to
 * microseconds overflows. Such a file is corrupt; reading it must not crash (the sanitizer build
 * aborts on signed overflow) and may yield the frame or reject the file. */
struct ts_edge {
	const char *name;
	int tsresol;
	int64_t offset_s;
	uint64_t ts;
};

static void read_ts_edge(void *arg)
{
	const struct ts_edge *e = arg;
	struct bytes b = { .be = false };
	shb(&b, 1);
	idb(&b, LT_ETHERNET, 0, e->tsresol, true, e->offset_s);
	epb(&b, 0, e->ts, four, 4, 4);
	char path[PATH_MAX];
	write_bytes(path, e->name, &b);
	struct result r;
	read_all(path, &r);
	CHECK_EQ_INT(r.open_rc, CIOT_OK);
	CHECK(r.rc == CIOT_OK || r.rc == CIOT_ERR_FORMAT);
	CHECK(r.n <= 1);
	/* a frame that is returned has not wrapped around: a positive offset never moves it back */
	if (r.n == 1 && e->offset_s > 0 && e->tsresol == 6)
		CHECK(r.f[0].ts >= (int64_t)e->ts);
	bytes_free(&b);
}

static void test_timestamp_edges(void)
{
	static const struct ts_edge cases[] = {
		/* 2^56 s: offset_s * 1000000 overflows int64 */
		{ "tsoffset-2p56.pcapng", 6, 72057594037927936LL, 1000000 },
		{ "tsoffset-min.pcapng", 6, INT64_MIN, 1000000 },
		/* a raw timestamp of INT64_MAX microseconds plus a 1 s offset */
		{ "ts-max-plus-offset.pcapng", 6, 1, (uint64_t)INT64_MAX },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		CHECK_SURVIVES(read_ts_edge, (void *)&cases[i]);
		check_case(before, cases[i].name);
	}
	/* an ordinary offset still works: +1 day */
	struct ts_edge ok = { "tsoffset-day.pcapng", 6, 86400, 1000000 };
	struct bytes b = { .be = true };
	shb(&b, 1);
	idb(&b, LT_ETHERNET, 0, ok.tsresol, true, ok.offset_s);
	epb(&b, 0, ok.ts, four, 4, 4);
	char path[PATH_MAX];
	write_bytes(path, ok.name, &b);
	struct result r;
	read_all(path, &r);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.f[0].ts, 86401000000LL);
	bytes_free(&b);
}

int main(void)
{
	testfs_mkdtemp(tmpdir, "capture");
	test_pcap_variants();
	test_pcap_version();
	test_pcapng();
	test_truncated();
	test_corrupt();
	test_timestamp_edges();
	test_robustness();
	testfs_rmtree(tmpdir);
	return check_summary("test-capture-file");
}
