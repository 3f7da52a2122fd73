/* fuzz-manifest.c: libFuzzer target for the manifest reader (analyze/lib/dataset.c): the input is
 * the manifest's text, handed over as a memory file (memfd), loaded twice into one dataset (the
 * second load meets the first's devices, captures and home country). Every error must be a message.
 * Build and run: tests/fuzz/README.md. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ciot/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-manifest", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64], errbuf[CIOT_ERRBUF_SIZE];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct ciot_dataset *ds = ciot_dataset_new();
	for (int round = 0; ds && round < 2; round++) {
		errbuf[0] = 0;
		if (ciot_dataset_load_manifest(ds, path, errbuf) != CIOT_OK && !errbuf[0])
			__builtin_trap();
		for (size_t i = 0; i < ciot_dataset_ncaptures(ds); i++)
			if (!ciot_capture_path(ciot_dataset_capture(ds, i)))
				__builtin_trap();
	}
	ciot_dataset_delete(ds);
	close(fd);
	return 0;
}
