/* capture-file.c: classic pcap (both byte orders, micro- and nanosecond, Kuznetzov's modified
 * format) and pcapng (sections of either byte order, many interfaces with their own link types and
 * timestamp resolutions; EPB, SPB and the obsolete packet block).
 *
 * Files are read through one growable buffer with read(2): a frame's bytes point into the buffer,
 * so there is no copy and no allocation per packet. The buffer grows only for an unusually large
 * pcapng block and never beyond CIOT_CAPTURE_MAX_BLOCK. A file compressed with gzip, xz or zstd is
 * decompressed into the same buffer on the way (decompress.c); offsets in messages are then offsets
 * in the decompressed data, and the message says so. Every count and offset is 64 bits: a lab's
 * unsplit capture passes 4 GiB.
 * References: draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture-file.h"
#include "ciot/cursor.h"
#include "decompress.h"

#define READ_CHUNK (1u << 20)

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34u
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u
#define PCAPNG_OPT_END 0u
#define PCAPNG_OPT_IF_TSRESOL 9u
#define PCAPNG_OPT_IF_TSOFFSET 14u

struct interface {
	uint16_t linktype;
	uint32_t snaplen;
	bool resol_pow2;     /* resolution is 2^-exp rather than 10^-exp */
	uint8_t resol_exp;
	int64_t offset_s;
};

struct ciot_capture_file {
	int fd;
	struct ciot_source *src;
	enum ciot_rc read_rc; /* why fill() failed (a read error, corrupt compressed data) */
	bool source_failed;   /* and that it did: its message names the decompressor already */
	enum ciot_capture_format format;
	bool big_endian;     /* byte order of the current pcap file or pcapng section */
	bool truncated;
	bool at_eof;
	/* classic pcap */
	bool nanosecond;
	uint32_t record_header_len;
	uint16_t pcap_linktype;
	/* pcapng */
	struct interface *interfaces;
	uint32_t ninterfaces;
	int64_t last_ts_us;
	/* buffer */
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t consumed, size;
};

static uint32_t rd32(const struct ciot_capture_file *f, const uint8_t *p)
{
	struct ciot_cursor c = ciot_cursor_make(p, 4);
	return f->big_endian ? ciot_cursor_be32(&c) : ciot_cursor_le32(&c);
}

static uint16_t rd16(const struct ciot_capture_file *f, const uint8_t *p)
{
	struct ciot_cursor c = ciot_cursor_make(p, 2);
	return f->big_endian ? ciot_cursor_be16(&c) : ciot_cursor_le16(&c);
}

/* Makes n bytes available at buf+start. Returns 1 when they are, 0 at end of file (truncated if
 * some but not all were there), or -1 on a read error. */
static int fill(struct ciot_capture_file *f, size_t n, char *errbuf)
{
	while (f->end - f->start < n) {
		if (f->at_eof) {
			if (f->end > f->start)
				f->truncated = true;
			return 0;
		}
		if (f->start > 0) {
			memmove(f->buf, f->buf + f->start, f->end - f->start);
			f->end -= f->start;
			f->start = 0;
		}
		if (f->cap - f->end < READ_CHUNK && f->cap < n + READ_CHUNK) {
			size_t want = n + READ_CHUNK;
			uint8_t *grown = realloc(f->buf, want);
			if (!grown)
				return f->read_rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory"), -1;
			f->buf = grown;
			f->cap = want;
		}
		ssize_t got = ciot_source_read(f->src, f->buf + f->end, f->cap - f->end, &f->read_rc, errbuf);
		if (got < 0) {
			f->source_failed = true;
			return -1;
		}
		if (got == 0)
			f->at_eof = true;
		f->end += (size_t)got;
	}
	return 1;
}

static void consume(struct ciot_capture_file *f, size_t n)
{
	f->start += n;
	f->consumed += n;
}

/* A file that is no capture: one compressed in a format not read here (gzip, xz and zstd are, by
 * decompress.c; what they hold can be compressed again) is named by its compression, with the
 * command that undoes it, rather than by a magic number. At least 24 bytes are there. */
static enum ciot_rc not_a_capture(const uint8_t *h, char *errbuf)
{
	static const struct {
		uint8_t magic[6];
		size_t len;
		const char *name, *command;
	} compressed[] = {
		{ { 0x1f, 0x8b }, 2, "gzip", "gunzip" },
		{ { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, "xz", "unxz" },
		{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstd", "unzstd" },
		{ { 'B', 'Z', 'h' }, 3, "bzip2", "bunzip2" },
		{ { 0x04, 0x22, 0x4d, 0x18 }, 4, "lz4", "unlz4" },
		{ { 'P', 'K', 3, 4 }, 4, "zip", "unzip" },
		{ { '7', 'z', 0xbc, 0xaf, 0x27, 0x1c }, 6, "7-Zip", "7z x" },
	};
	for (size_t i = 0; i < sizeof compressed / sizeof compressed[0]; i++)
		if (!memcmp(h, compressed[i].magic, compressed[i].len))
			return ciot_fail(errbuf, CIOT_ERR_UNSUPPORTED, "compressed with %s: decompress it first (%s)",
					 compressed[i].name, compressed[i].command);
	return ciot_fail(errbuf, CIOT_ERR_FORMAT, "not a pcap or pcapng file (magic 0x%08x)", ciot_be32_at(h, 4, 0));
}

static bool is_pcap_magic(const uint8_t *h)
{
	static const uint32_t magics[] = { PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZNETZOV };
	uint32_t le = ciot_le32_at(h, 4, 0), be = ciot_be32_at(h, 4, 0);
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
		if (le == magics[i] || be == magics[i])
			return true;
	return false;
}

static enum ciot_rc open_pcap(struct ciot_capture_file *f, uint32_t magic_le, char *errbuf)
{
	const uint8_t *h = f->buf + f->start;
	uint32_t magic_be = ciot_be32_at(h, 4, 0);
	uint32_t magic = magic_le;
	f->big_endian = false;
	if (magic_be == PCAP_MAGIC_US || magic_be == PCAP_MAGIC_NS || magic_be == PCAP_MAGIC_KUZNETZOV) {
		f->big_endian = true;
		magic = magic_be;
	}
	f->format = CIOT_CAPTURE_PCAP;
	f->nanosecond = magic == PCAP_MAGIC_NS;
	f->record_header_len = magic == PCAP_MAGIC_KUZNETZOV ? 24 : 16;
	uint16_t major = rd16(f, h + 4);
	if (major != 2)
		return ciot_fail(errbuf, CIOT_ERR_UNSUPPORTED, "pcap version %u is not 2", major);
	/* the upper bits of the link-type field carry FCS information, not the link type */
	f->pcap_linktype = (uint16_t)(rd32(f, h + 20) & 0xffffu);
	consume(f, 24);
	return CIOT_OK;
}

/* A format error in a compressed file is about the data it decompresses to: said, since its offsets
 * are not the file's. The decompressor's own errors ("gzip: corrupt data") name it already. */
static enum ciot_rc in_decompressed(const struct ciot_capture_file *f, enum ciot_rc rc, char *errbuf)
{
	const char *name = ciot_compression_name(ciot_source_compression(f->src));
	if (rc && name && errbuf && !f->source_failed) {
		char detail[CIOT_ERRBUF_SIZE];
		snprintf(detail, sizeof detail, "%s", errbuf);
		ciot_fail(errbuf, rc, "in the %s-decompressed data: %s", name, detail);
	}
	return rc;
}

static enum ciot_rc open_file(struct ciot_capture_file *f, const char *path, char *errbuf)
{
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
	struct stat st;
	if (fstat(f->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return ciot_fail(errbuf, CIOT_ERR_IO, "is a directory");
		f->size = (uint64_t)st.st_size;
	}
	posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return ciot_source_open(&f->src, f->fd, errbuf);
}

/* The first 24 bytes tell pcap from pcapng (and name what is neither). */
static enum ciot_rc open_format(struct ciot_capture_file *f, char *errbuf)
{
	int got = fill(f, 24, errbuf);
	if (got < 0)
		return f->read_rc;
	if (got == 0)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "too short to be a capture file (%zu bytes)",
				 f->end - f->start);
	const uint8_t *h = f->buf + f->start;
	if (ciot_le32_at(h, 4, 0) == PCAPNG_SHB) {
		f->format = CIOT_CAPTURE_PCAPNG;
		/* sections are read by ciot_capture_next like any other block */
		return CIOT_OK;
	}
	if (is_pcap_magic(h))
		return open_pcap(f, ciot_le32_at(h, 4, 0), errbuf);
	return not_a_capture(h, errbuf);
}

enum ciot_rc ciot_capture_probe(const char *path, char *errbuf)
{
	struct ciot_capture_file f = { .fd = -1 };
	enum ciot_rc rc = open_file(&f, path, errbuf);
	uint8_t h[24];
	size_t n = 0;
	while (!rc && n < sizeof h) {
		ssize_t got = ciot_source_read(f.src, h + n, sizeof h - n, &rc, errbuf);
		f.source_failed = got < 0;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (!rc && n < sizeof h)
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "too short to be a capture file (%zu bytes)", n);
	else if (!rc && ciot_le32_at(h, 4, 0) != PCAPNG_SHB && !is_pcap_magic(h))
		rc = not_a_capture(h, errbuf);
	if (rc && f.src)
		rc = in_decompressed(&f, rc, errbuf);
	ciot_source_close(f.src);
	if (f.fd >= 0)
		close(f.fd);
	return rc;
}

enum ciot_rc ciot_capture_open(struct ciot_capture_file **out, const char *path, char *errbuf)
{
	*out = NULL;
	struct ciot_capture_file *f = calloc(1, sizeof *f);
	if (!f)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	f->fd = -1;
	enum ciot_rc rc = open_file(f, path, errbuf);
	if (!rc)
		rc = in_decompressed(f, open_format(f, errbuf), errbuf);
	if (rc) {
		ciot_capture_close(f);
		return rc;
	}
	*out = f;
	return CIOT_OK;
}

static uint32_t clamp_caplen(uint32_t caplen, uint32_t wirelen, struct ciot_frame *frame)
{
	frame->caplen = caplen;
	frame->wirelen = wirelen < caplen ? caplen : wirelen;
	return caplen;
}

static enum ciot_rc next_pcap(struct ciot_capture_file *f, struct ciot_frame *frame, bool *eof,
			      char *errbuf)
{
	int got = fill(f, f->record_header_len, errbuf);
	if (got <= 0) {
		*eof = true;
		return got < 0 ? f->read_rc : CIOT_OK;
	}
	const uint8_t *h = f->buf + f->start;
	uint32_t sec = rd32(f, h), frac = rd32(f, h + 4), caplen = rd32(f, h + 8), wirelen = rd32(f, h + 12);
	if (caplen > CIOT_CAPTURE_MAX_FRAME)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT,
				 "record at offset %llu: captured length %u exceeds %u",
				 (unsigned long long)f->consumed, caplen, CIOT_CAPTURE_MAX_FRAME);
	got = fill(f, f->record_header_len + caplen, errbuf);
	if (got <= 0) {
		*eof = true;
		return got < 0 ? f->read_rc : CIOT_OK;
	}
	frame->ts_us = (int64_t)sec * 1000000 + (f->nanosecond ? frac / 1000 : frac);
	frame->ts_extra_ns = (uint16_t)(f->nanosecond ? frac % 1000 : 0);
	frame->data = f->buf + f->start + f->record_header_len;
	clamp_caplen(caplen, wirelen, frame);
	frame->linktype = f->pcap_linktype;
	frame->interface = 0;
	consume(f, f->record_header_len + caplen);
	return CIOT_OK;
}

/* Converts an interface's raw timestamp to microseconds since the epoch; false when the result
 * does not fit (only a corrupt file gets there). */
static bool interface_time_us(const struct interface *ifc, uint64_t ts, int64_t *out)
{
	unsigned __int128 t = ts;
	if (ifc->resol_pow2) {
		t = t * 1000000u >> ifc->resol_exp;
	} else if (ifc->resol_exp < 6) {
		for (unsigned i = ifc->resol_exp; i < 6; i++)
			t *= 10;
	} else {
		for (unsigned i = 6; i < ifc->resol_exp && t; i++)
			t /= 10;
	}
	int64_t offset_us;
	if (t > INT64_MAX || __builtin_mul_overflow(ifc->offset_s, (int64_t)1000000, &offset_us))
		return false;
	return !__builtin_add_overflow((int64_t)t, offset_us, out);
}

/* A section's byte order is given by its byte-order magic, which must be read before the block's
 * own length can be. */
static enum ciot_rc set_section_byte_order(struct ciot_capture_file *f, const uint8_t *bom, char *errbuf)
{
	uint32_t bom_le = ciot_le32_at(bom, 4, 0);
	uint32_t bom_be = ciot_be32_at(bom, 4, 0);
	if (bom_le == PCAPNG_BYTE_ORDER_MAGIC)
		f->big_endian = false;
	else if (bom_be == PCAPNG_BYTE_ORDER_MAGIC)
		f->big_endian = true;
	else
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "pcapng section header with a bad byte-order magic");
	return CIOT_OK;
}

static enum ciot_rc parse_shb(struct ciot_capture_file *f, const uint8_t *body, char *errbuf)
{
	uint16_t major = rd16(f, body + 4);
	if (major != 1)
		return ciot_fail(errbuf, CIOT_ERR_UNSUPPORTED, "pcapng version %u is not 1", major);
	f->ninterfaces = 0; /* interface ids are per section */
	return CIOT_OK;
}

static enum ciot_rc parse_idb(struct ciot_capture_file *f, const uint8_t *body, size_t blen, char *errbuf)
{
	if (blen < 8)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "pcapng interface block too short");
	if (f->ninterfaces >= CIOT_CAPTURE_MAX_INTERFACES)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "more than %u pcapng interfaces in one section",
				 CIOT_CAPTURE_MAX_INTERFACES);
	if (!f->interfaces) {
		f->interfaces = calloc(CIOT_CAPTURE_MAX_INTERFACES, sizeof *f->interfaces);
		if (!f->interfaces)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	struct interface *ifc = &f->interfaces[f->ninterfaces++];
	ifc->linktype = rd16(f, body);
	ifc->snaplen = rd32(f, body + 4);
	ifc->resol_pow2 = false;
	ifc->resol_exp = 6;
	ifc->offset_s = 0;
	size_t off = 8;
	while (off + 4 <= blen) {
		uint16_t code = rd16(f, body + off), len = rd16(f, body + off + 2);
		off += 4;
		if (code == PCAPNG_OPT_END || len > blen - off)
			break;
		if (code == PCAPNG_OPT_IF_TSRESOL && len >= 1) {
			ifc->resol_pow2 = body[off] & 0x80;
			ifc->resol_exp = body[off] & 0x7f;
			if ((ifc->resol_pow2 && ifc->resol_exp > 63) || (!ifc->resol_pow2 && ifc->resol_exp > 19))
				return ciot_fail(errbuf, CIOT_ERR_FORMAT,
						 "pcapng interface timestamp resolution out of range");
		} else if (code == PCAPNG_OPT_IF_TSOFFSET && len >= 8) {
			uint64_t hi = rd32(f, body + off), lo = rd32(f, body + off + 4);
			ifc->offset_s = f->big_endian ? (int64_t)(hi << 32 | lo) : (int64_t)(lo << 32 | hi);
		}
		off += (len + 3u) & ~3u;
	}
	return CIOT_OK;
}

static enum ciot_rc next_pcapng(struct ciot_capture_file *f, struct ciot_frame *frame, bool *eof,
				char *errbuf)
{
	for (;;) {
		int got = fill(f, 12, errbuf);
		if (got <= 0) {
			*eof = true;
			return got < 0 ? f->read_rc : CIOT_OK;
		}
		const uint8_t *h = f->buf + f->start;
		uint32_t type_le = ciot_le32_at(h, 4, 0);
		if (type_le == PCAPNG_SHB) {
			enum ciot_rc rc = set_section_byte_order(f, h + 8, errbuf);
			if (rc)
				return rc;
		}
		uint32_t type = rd32(f, h), total = rd32(f, h + 4);
		if (total < 12 || total % 4 != 0 || total > CIOT_CAPTURE_MAX_BLOCK)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "pcapng block at offset %llu has length %u",
					 (unsigned long long)f->consumed, total);
		got = fill(f, total, errbuf);
		if (got <= 0) {
			*eof = true;
			return got < 0 ? f->read_rc : CIOT_OK;
		}
		h = f->buf + f->start;
		if (rd32(f, h + total - 4) != total)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT,
					 "pcapng block at offset %llu: trailing length does not match",
					 (unsigned long long)f->consumed);
		const uint8_t *body = h + 8;
		size_t blen = total - 12;
		enum ciot_rc rc = CIOT_OK;
		uint32_t ifid = 0, caplen = 0, wirelen = 0;
		uint64_t ts = 0;
		const uint8_t *data = NULL;
		switch (type) {
		case PCAPNG_SHB:
			if (blen < 16)
				rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "pcapng section header too short");
			else
				rc = parse_shb(f, body, errbuf);
			break;
		case PCAPNG_IDB:
			rc = parse_idb(f, body, blen, errbuf);
			break;
		case PCAPNG_EPB:
		case PCAPNG_OPB:
			if (blen < 20) {
				rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "pcapng packet block too short");
				break;
			}
			if (type == PCAPNG_EPB)
				ifid = rd32(f, body);
			else
				ifid = rd16(f, body);
			ts = (uint64_t)rd32(f, body + 4) << 32 | rd32(f, body + 8);
			caplen = rd32(f, body + 12);
			wirelen = rd32(f, body + 16);
			data = body + 20;
			if (caplen > blen - 20)
				rc = ciot_fail(errbuf, CIOT_ERR_FORMAT,
					       "pcapng packet block at offset %llu: captured length %u exceeds the block",
					       (unsigned long long)f->consumed, caplen);
			break;
		case PCAPNG_SPB:
			if (blen < 4) {
				rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "pcapng simple packet block too short");
				break;
			}
			wirelen = rd32(f, body);
			caplen = wirelen < blen - 4 ? wirelen : (uint32_t)(blen - 4);
			data = body + 4;
			ifid = 0;
			break;
		default:
			break; /* name resolution, statistics, custom blocks: nothing ciot needs */
		}
		if (rc)
			return rc;
		if (data) {
			if (ifid >= f->ninterfaces)
				return ciot_fail(errbuf, CIOT_ERR_FORMAT,
						 "pcapng packet block at offset %llu names interface %u of %u",
						 (unsigned long long)f->consumed, ifid, f->ninterfaces);
			const struct interface *ifc = &f->interfaces[ifid];
			if (type == PCAPNG_SPB && ifc->snaplen && caplen > ifc->snaplen)
				caplen = ifc->snaplen;
			if (caplen > CIOT_CAPTURE_MAX_FRAME)
				return ciot_fail(errbuf, CIOT_ERR_FORMAT,
						 "pcapng packet at offset %llu: captured length %u exceeds %u",
						 (unsigned long long)f->consumed, caplen, CIOT_CAPTURE_MAX_FRAME);
			/* a simple packet block has no timestamp: it inherits the previous packet's */
			if (type != PCAPNG_SPB && !interface_time_us(ifc, ts, &f->last_ts_us))
				return ciot_fail(errbuf, CIOT_ERR_FORMAT,
						 "pcapng packet at offset %llu: timestamp out of range",
						 (unsigned long long)f->consumed);
			frame->ts_us = f->last_ts_us;
			frame->ts_extra_ns = 0;
			frame->data = data;
			clamp_caplen(caplen, wirelen, frame);
			frame->linktype = ifc->linktype;
			frame->interface = (uint16_t)ifid;
			consume(f, total);
			return CIOT_OK;
		}
		consume(f, total);
	}
}

enum ciot_rc ciot_capture_next(struct ciot_capture_file *f, struct ciot_frame *frame, bool *eof,
			       char *errbuf)
{
	*eof = false;
	enum ciot_rc rc = f->format == CIOT_CAPTURE_PCAP ? next_pcap(f, frame, eof, errbuf)
							 : next_pcapng(f, frame, eof, errbuf);
	return rc ? in_decompressed(f, rc, errbuf) : CIOT_OK;
}

bool ciot_capture_truncated(const struct ciot_capture_file *f) { return f->truncated; }
bool ciot_capture_nanosecond(const struct ciot_capture_file *f)
{
	return f->format == CIOT_CAPTURE_PCAP && f->nanosecond;
}
enum ciot_capture_format ciot_capture_format_of(const struct ciot_capture_file *f) { return f->format; }
uint64_t ciot_capture_bytes_read(const struct ciot_capture_file *f)
{
	return ciot_source_compression(f->src) == CIOT_COMPRESSION_NONE ? f->consumed : ciot_source_file_bytes(f->src);
}
uint64_t ciot_capture_data_bytes(const struct ciot_capture_file *f) { return f->consumed; }
const char *ciot_capture_compression(const struct ciot_capture_file *f)
{
	return ciot_compression_name(ciot_source_compression(f->src));
}
uint64_t ciot_capture_size(const struct ciot_capture_file *f) { return f->size; }

void ciot_capture_close(struct ciot_capture_file *f)
{
	if (!f)
		return;
	ciot_source_close(f->src);
	if (f->fd >= 0)
		close(f->fd);
	free(f->interfaces);
	free(f->buf);
	free(f);
}
