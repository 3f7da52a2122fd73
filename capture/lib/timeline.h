/* timeline.h: when each step of a long capture happened, for cutting it into per-step files.
 *
 * Two formats, told apart by their times:
 *   ciot's own, one step a line: "STEP PHASE START END", times in ISO 8601 with a zone and up to
 *   microseconds ("2024-04-16T07:28:09.250000Z", "2024-04-16T15:28:09+08:00"); a step covers
 *   [START, END), steps may not overlap;
 *   the public lifecycle dataset's <device>.txt: "step start end duration" in local time with 1 s
 *   resolution ("2024-04-16_15:28:09"), read exactly as ciot-analyze reads it (dataset.h): a step
 *   covers [start, end + 1 s) and its phase follows from its name.
 * Blank lines and lines starting with '#' are ignored.
 */
#ifndef CIOT_TIMELINE_H
#define CIOT_TIMELINE_H

#include <stddef.h>

#include "ciot/ciot.h"
#include "ciot/dataset.h"

enum ciot_timeline_format { CIOT_TIMELINE_CIOT, CIOT_TIMELINE_LIFECYCLE };

/* Windows sorted by start; `tz_offset_s` applies to the lifecycle format only. */
enum ciot_rc ciot_timeline_parse(const char *text, int tz_offset_s, struct ciot_window **out, size_t *n,
				 enum ciot_timeline_format *format, char *errbuf);

#endif
