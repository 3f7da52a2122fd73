/* fuzz-timetable.c: libFuzzer target for the lifecycle timetable reader (ciot_timetable_parse,
 * analyze/lib/dataset.c): the first byte picks the time zone, the rest is the <device>.txt text.
 * Every window must end no earlier than it starts, none may overlap the next, and every error must be
 * a message. Build and run:
 * tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ciot/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int tz = ((int)data[0] - 128) * 15 * 60; /* -32 h to +32 h by quarter hours, out of range too */
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	struct ciot_window *w = NULL;
	size_t n = 0;
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	if (ciot_timetable_parse(text, tz, &w, &n, errbuf) == CIOT_OK) {
		for (size_t i = 0; i < n; i++)
			/* a step may be empty (a 0 s step whose one second the next step starts in), never
			 * reversed, and the steps are sorted without overlap */
			if (w[i].end_us < w[i].start_us || (i && w[i - 1].end_us > w[i].start_us))
				__builtin_trap();
		ciot_windows_free(w, n);
	} else if (!errbuf[0]) {
		__builtin_trap();
	}
	free(text);
	return 0;
}
