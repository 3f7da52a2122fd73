/* fuzz-capture-compressed.c: libFuzzer target for the capture file reader behind its decompressors
 * (analyze/lib/decompress.c under analyze/lib/capture-file.c). The first byte picks how the rest is
 * handed over: as it is (mode 0: the seeds are real gzip, xz and zstd captures, so mutations give
 * corrupt, cut and concatenated compressed streams), or compressed here with gzip, xz or zstd
 * (modes 1-3: well-formed streams, so that the capture parser behind the decompressor sees the
 * mutated capture), then cut to a fraction given by the second byte (0: whole). The file is a
 * memory file (memfd), read to its end or its first error. Checks: a frame within what the reader
 * says it holds, no more file bytes read than the file has, no more capture bytes than a whole
 * stream decompresses to.
 * Build and run: tests/fuzz/README.md. */
#define _GNU_SOURCE
#include <lzma.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "ciot/capture-file.h"

static size_t gzip_to(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	size_t len = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
	deflateEnd(&z);
	return len;
}

/* The rest of the input compressed as mode says into out (of cap bytes); its length, 0 on failure. */
static size_t compress_as(unsigned mode, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	switch (mode) {
	case 1:
		return gzip_to(in, n, out, cap);
	case 2:
		return lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, in, n, out, &len, cap) == LZMA_OK ? len : 0;
	default:
		len = ZSTD_compress(out, cap, in, n, 1);
		return ZSTD_isError(len) ? 0 : len;
	}
}

static void read_file(const uint8_t *file, size_t size, size_t data_max)
{
	int fd = memfd_create("fuzz-capture-compressed", 0);
	if (fd < 0)
		return;
	for (size_t done = 0; done < size;) {
		ssize_t w = write(fd, file + done, size - done);
		if (w <= 0) {
			close(fd);
			return;
		}
		done += (size_t)w;
	}
	char path[64], errbuf[CIOT_ERRBUF_SIZE];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct ciot_capture_file *f;
	if (ciot_capture_open(&f, path, errbuf) == CIOT_OK) {
		struct ciot_frame frame;
		bool eof = false;
		unsigned sum = 0;
		while (ciot_capture_next(f, &frame, &eof, errbuf) == CIOT_OK && !eof) {
			if (frame.caplen > frame.wirelen || frame.ts_extra_ns > 999)
				__builtin_trap();
			for (uint32_t i = 0; i < frame.caplen; i++)
				sum += frame.data[i];
		}
		(void)sum;
		if (ciot_capture_bytes_read(f) > size || ciot_capture_data_bytes(f) > data_max)
			__builtin_trap();
		ciot_capture_close(f);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned mode = data[0] % 4, cut = data[1];
	const uint8_t *rest = data + 2;
	size_t n = size - 2;
	if (mode == 0) {
		read_file(rest, n, SIZE_MAX);
		return 0;
	}
	size_t cap = n + n / 2 + 1024;
	uint8_t *out = malloc(cap);
	size_t len = out ? compress_as(mode, rest, n, out, cap) : 0;
	if (len) {
		if (cut)
			len = len * cut / 256;
		read_file(out, len, n);
	}
	free(out);
	return 0;
}
