/* fuzz-capture-file.c: libFuzzer target for the capture file reader (analyze/lib/capture-file.c),
 * pcap in both byte orders and resolutions and pcapng with its sections, interfaces and blocks: the
 * input is the file, handed over as a memory file (memfd), read to its end or its first error.
 * Every frame must lie within what the reader says it holds (caplen no more than wirelen).
 * Build and run: tests/fuzz/README.md. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ciot/capture-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-capture", 0);
	if (fd < 0)
		return 0;
	for (size_t done = 0; done < size;) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0) {
			close(fd);
			return 0;
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
			/* touch every byte, so that a frame outside the reader's buffer shows under ASan */
			for (uint32_t i = 0; i < frame.caplen; i++)
				sum += frame.data[i];
		}
		(void)sum;
		(void)ciot_capture_truncated(f);
		(void)ciot_capture_format_of(f);
		if (ciot_capture_bytes_read(f) > size)
			__builtin_trap();
		ciot_capture_close(f);
	}
	close(fd);
	return 0;
}
