/* split.h: cuts one long capture into per-step pcap files by a timeline, and records them in the
 * dataset's manifest exactly as a live ciot-capture run would (ended "split").
 *
 * For labs that captured first and labelled later, and to rebuild the public lifecycle dataset's
 * per-phase files from its unsplit <device>.pcap and <device>.txt. A frame goes to the step whose
 * window holds its timestamp; frames outside every window are counted, not written. Records are
 * copied byte for byte with their timestamps (nanosecond files stay nanosecond). Nothing is added
 * to the manifest unless the whole capture was read: on an error the new files are removed.
 */
#ifndef CIOT_SPLIT_H
#define CIOT_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "ciot/dataset.h"

struct ciot_split_options {
	const char *capture_path;
	const char *timeline_path;
	const char *dataset_dir;
	const char *device;
	const char *category;   /* NULL: the manifest's entry must exist */
	const char *brand;      /* NULL: the manifest's, else guessed from the id */
	const char *home_country; /* ISO 3166 code of the lab, or NULL */
	const char *macs[CIOT_DATASET_MAX_ADDRESSES];
	size_t nmacs;
	const char *ips[CIOT_DATASET_MAX_ADDRESSES];
	size_t nips;
	const char *firmware;   /* "pre", "post" or NULL */
	int tz_offset_s;        /* for lifecycle-format timelines */
	bool add_macs;          /* a device in the manifest may gain MACs it lacks */
};

struct ciot_split_result {
	size_t steps;
	uint64_t frames;          /* read from the capture */
	uint64_t written;         /* written to step files */
	uint64_t outside;         /* in no step's window */
	uint64_t other_linktype;  /* of another link type than the first frame's (pcapng), not written */
	bool truncated;           /* the capture ended inside a record */
	bool lifecycle_format;    /* the timeline was a public-dataset timetable */
	char added_macs[CIOT_DATASET_MAX_ADDRESSES * 18 + 1]; /* MACs the device's entry gained, or "" */
};

enum ciot_rc ciot_split(const struct ciot_split_options *o, struct ciot_split_result *r, char *errbuf);

#endif
