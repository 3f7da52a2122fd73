/* decompress.c: the bytes of a capture file as the reader wants them, decompressed on the way when
 * the file is gzip, xz or zstd. A lab keeps its captures compressed (a day of a camera's traffic is
 * gigabytes, and compresses several times); reading them directly spares a temporary copy as large as
 * the capture, which for a dataset of unsplit day-long captures is the disk ciot runs on.
 *
 * Why the libraries and not the tools in a child process: ciot's reader is its own (read(2) into a
 * buffer, capture-file.c), not libpcap's FILE*, so a decompressor is one function between read(2)
 * and that buffer: no temporary file, no process to spawn, reap and kill on an interrupt, no pipe
 * whose failure arrives as an exit status without its reason, and the fuzz targets reach the
 * decompressing path in process. zlib, liblzma and libzstd are the formats' reference
 * implementations and are on every Debian system already (dpkg and libsystemd link them).
 *
 * Method: the first bytes name the format by magic (never the file name). Compressed bytes are read
 * in IN_CHUNK pieces and decoded into the caller's buffer. Concatenated streams (pigz, `xz -T`,
 * `zstd -T`, `cat a.gz b.gz`) are one file's data, as the tools read them. A stream that ends
 * before its end marker (a cut copy) or fails its checksum is an error with the decoder's reason,
 * not a truncated capture: its last bytes are not known to be right. Memory is bounded: xz's
 * decoder refuses a stream that needs more than MAX_XZ_MEMORY (xz -9 needs 65 MiB), zstd's a
 * window over 2^ZSTD_WINDOW_LOG_MAX (its own default; `zstd --long=31` files are refused).
 */
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"

#define IN_CHUNK (256u << 10)
#define MAX_XZ_MEMORY (256u << 20)
#define ZSTD_WINDOW_LOG_MAX 27
#define HEAD_LEN 6

struct ciot_source {
	int fd;
	enum ciot_compression kind;
	uint8_t head[HEAD_LEN]; /* the first bytes, read to tell the format, handed out first */
	size_t head_len, head_pos;
	uint8_t *in;            /* compressed bytes read and not yet decoded: in[in_pos..in_len) */
	size_t in_len, in_pos;
	bool in_eof;            /* read(2) said end of file */
	bool done;              /* the decoder reached the end of the data */
	bool in_stream;         /* a gzip member or zstd frame begun and not ended */
	uint64_t file_bytes;
	z_stream z;
	bool z_init;
	lzma_stream x;
	bool x_init;
	ZSTD_DStream *zs;
};

static const char *const names[] = { NULL, "gzip", "xz", "zstd" };

const char *ciot_compression_name(enum ciot_compression c)
{
	return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : NULL;
}

/* Bytes of the file: the head first, then read(2). */
static ssize_t raw_read(struct ciot_source *s, uint8_t *buf, size_t len, enum ciot_rc *rc, char *errbuf)
{
	if (s->head_pos < s->head_len) {
		size_t n = s->head_len - s->head_pos;
		if (n > len)
			n = len;
		memcpy(buf, s->head + s->head_pos, n);
		s->head_pos += n;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t got = read(s->fd, buf, len);
		if (got >= 0) {
			s->file_bytes += (uint64_t)got;
			return got;
		}
		if (errno != EINTR) {
			*rc = ciot_fail(errbuf, CIOT_ERR_IO, "read: %s", strerror(errno));
			return -1;
		}
	}
}

/* More compressed input when all of it was decoded; false on a read error. */
static bool refill(struct ciot_source *s, enum ciot_rc *rc, char *errbuf)
{
	if (s->in_pos < s->in_len || s->in_eof)
		return true;
	ssize_t got = raw_read(s, s->in, IN_CHUNK, rc, errbuf);
	if (got < 0)
		return false;
	s->in_len = (size_t)got;
	s->in_pos = 0;
	s->in_eof = got == 0;
	return true;
}

static ssize_t truncated(const struct ciot_source *s, enum ciot_rc *rc, char *errbuf)
{
	*rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: the compressed data ends early (the file is truncated)",
			names[s->kind]);
	return -1;
}

static ssize_t read_gzip(struct ciot_source *s, uint8_t *buf, size_t len, enum ciot_rc *rc, char *errbuf)
{
	uInt want = len > UINT_MAX ? UINT_MAX : (uInt)len;
	s->z.next_out = buf;
	s->z.avail_out = want;
	while (s->z.avail_out == want) {
		if (!refill(s, rc, errbuf))
			return -1;
		if (s->in_pos == s->in_len)
			return s->in_stream ? truncated(s, rc, errbuf) : 0;
		if (!s->in_stream) {
			inflateReset(&s->z); /* the next member of a concatenated file */
			s->in_stream = true;
		}
		s->z.next_in = s->in + s->in_pos;
		s->z.avail_in = (uInt)(s->in_len - s->in_pos);
		int r = inflate(&s->z, Z_NO_FLUSH);
		s->in_pos = s->in_len - s->z.avail_in;
		if (r == Z_STREAM_END)
			s->in_stream = false;
		else if (r == Z_MEM_ERROR)
			return *rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "gzip: out of memory"), -1;
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return *rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "gzip: corrupt data (%s)",
					       s->z.msg ? s->z.msg : "inflate failed"), -1;
	}
	return (ssize_t)(want - s->z.avail_out);
}

static const char *xz_reason(lzma_ret r)
{
	switch (r) {
	case LZMA_MEMLIMIT_ERROR:
		return "needs more than 256 MiB of memory to decompress";
	case LZMA_FORMAT_ERROR:
		return "not xz data";
	case LZMA_OPTIONS_ERROR:
		return "compressed with options this liblzma does not support";
	case LZMA_DATA_ERROR:
		return "corrupt data";
	default:
		return "decoder error";
	}
}

static ssize_t read_xz(struct ciot_source *s, uint8_t *buf, size_t len, enum ciot_rc *rc, char *errbuf)
{
	s->x.next_out = buf;
	s->x.avail_out = len;
	while (s->x.avail_out == len && !s->done) {
		if (!refill(s, rc, errbuf))
			return -1;
		s->x.next_in = s->in + s->in_pos;
		s->x.avail_in = s->in_len - s->in_pos;
		lzma_ret r = lzma_code(&s->x, s->in_eof ? LZMA_FINISH : LZMA_RUN);
		s->in_pos = s->in_len - s->x.avail_in;
		if (r == LZMA_STREAM_END)
			s->done = true;
		else if (r == LZMA_BUF_ERROR)
			return truncated(s, rc, errbuf);
		else if (r == LZMA_MEM_ERROR)
			return *rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "xz: out of memory"), -1;
		else if (r != LZMA_OK)
			return *rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "xz: %s", xz_reason(r)), -1;
	}
	return (ssize_t)(len - s->x.avail_out);
}

static ssize_t read_zstd(struct ciot_source *s, uint8_t *buf, size_t len, enum ciot_rc *rc, char *errbuf)
{
	ZSTD_outBuffer out = { buf, len, 0 };
	while (out.pos == 0) {
		if (!refill(s, rc, errbuf))
			return -1;
		if (s->in_pos == s->in_len)
			return s->in_stream ? truncated(s, rc, errbuf) : 0;
		ZSTD_inBuffer in = { s->in, s->in_len, s->in_pos };
		size_t r = ZSTD_decompressStream(s->zs, &out, &in);
		s->in_pos = in.pos;
		if (ZSTD_isError(r))
			return *rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "zstd: %s", ZSTD_getErrorName(r)), -1;
		s->in_stream = r != 0; /* 0: a frame ended (another may follow) */
	}
	return (ssize_t)out.pos;
}

ssize_t ciot_source_read(struct ciot_source *s, uint8_t *buf, size_t len, enum ciot_rc *rc, char *errbuf)
{
	if (!len)
		return 0;
	switch (s->kind) {
	case CIOT_COMPRESSION_GZIP:
		return read_gzip(s, buf, len, rc, errbuf);
	case CIOT_COMPRESSION_XZ:
		return read_xz(s, buf, len, rc, errbuf);
	case CIOT_COMPRESSION_ZSTD:
		return read_zstd(s, buf, len, rc, errbuf);
	default:
		return raw_read(s, buf, len, rc, errbuf);
	}
}

static enum ciot_compression kind_of(const uint8_t *h, size_t n)
{
	static const struct {
		uint8_t magic[HEAD_LEN];
		size_t len;
		enum ciot_compression kind;
	} magics[] = {
		{ { 0x1f, 0x8b }, 2, CIOT_COMPRESSION_GZIP },
		{ { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, CIOT_COMPRESSION_XZ },
		{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, CIOT_COMPRESSION_ZSTD },
	};
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
		if (n >= magics[i].len && !memcmp(h, magics[i].magic, magics[i].len))
			return magics[i].kind;
	return CIOT_COMPRESSION_NONE;
}

static enum ciot_rc start_decoder(struct ciot_source *s, char *errbuf)
{
	switch (s->kind) {
	case CIOT_COMPRESSION_GZIP:
		/* 16 + MAX_WBITS: a gzip header and trailer (the CRC and length are checked) */
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "gzip: out of memory");
		s->z_init = true;
		break;
	case CIOT_COMPRESSION_XZ:
		s->x = (lzma_stream)LZMA_STREAM_INIT;
		if (lzma_stream_decoder(&s->x, MAX_XZ_MEMORY, LZMA_CONCATENATED) != LZMA_OK)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "xz: out of memory");
		s->x_init = true;
		break;
	case CIOT_COMPRESSION_ZSTD:
		s->zs = ZSTD_createDStream();
		if (!s->zs || ZSTD_isError(ZSTD_DCtx_setParameter(s->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "zstd: out of memory");
		s->in_stream = true;
		break;
	default:
		return CIOT_OK;
	}
	s->in = malloc(IN_CHUNK);
	return s->in ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
}

enum ciot_rc ciot_source_open(struct ciot_source **out, int fd, char *errbuf)
{
	*out = NULL;
	struct ciot_source *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->fd = fd;
	enum ciot_rc rc = CIOT_OK;
	/* a pipe may hand the head over in pieces */
	while (s->head_len < HEAD_LEN) {
		ssize_t got = read(fd, s->head + s->head_len, HEAD_LEN - s->head_len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "read: %s", strerror(errno));
			break;
		}
		if (got == 0)
			break;
		s->head_len += (size_t)got;
		s->file_bytes += (uint64_t)got;
	}
	if (!rc) {
		s->kind = kind_of(s->head, s->head_len);
		rc = start_decoder(s, errbuf);
	}
	if (rc) {
		ciot_source_close(s);
		return rc;
	}
	*out = s;
	return CIOT_OK;
}

enum ciot_compression ciot_source_compression(const struct ciot_source *s) { return s->kind; }
uint64_t ciot_source_file_bytes(const struct ciot_source *s) { return s->file_bytes; }

void ciot_source_close(struct ciot_source *s)
{
	if (!s)
		return;
	if (s->z_init)
		inflateEnd(&s->z);
	if (s->x_init)
		lzma_end(&s->x);
	ZSTD_freeDStream(s->zs);
	free(s->in);
	free(s);
}
