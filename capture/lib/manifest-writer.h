/* manifest-writer.h: adds a device, its captures and a run record to a dataset's manifest.json.
 *
 * ciot-capture's output must be readable by ciot-analyze at any moment, even after a crash, so the
 * manifest is rewritten whole (a temporary file, fsync, rename) every time something changes, and
 * every version is read back with ciot-analyze's own manifest reader before it replaces the last.
 * An existing manifest is extended, never replaced: its devices, captures and runs stay as they
 * were (datasets/README.md documents the schema).
 */
#ifndef CIOT_MANIFEST_WRITER_H
#define CIOT_MANIFEST_WRITER_H

#include <jansson.h>
#include <stddef.h>

#include "ciot/ciot.h"
#include "ciot/dataset.h"

struct ciot_manifest_device {
	const char *id;
	const char *category; /* NULL: the manifest's entry must exist and say it */
	const char *brand;    /* NULL: a new entry guesses it from the id (brand_category) */
	const char *home_country; /* NULL: the manifest's stays (or stays absent) */
	const char *macs[CIOT_DATASET_MAX_ADDRESSES];
	size_t nmacs;
	const char *ips[CIOT_DATASET_MAX_ADDRESSES];
	size_t nips;
};

struct ciot_manifest_writer;

/* Opens DIR/manifest.json (read if present, else begun anew; nothing is written until
 * ciot_manifest_save) and makes sure the device has an entry: a new entry is made from `dev`; an
 * existing one must have the same category, and gains the addresses it lacks; a brand given
 * replaces the entry's. A home country given is set when the manifest has none and must equal the
 * one it has (one lab, one country). Creates DIR/<device>/.
 * The device's category is returned in *category (owned by the writer). */
enum ciot_rc ciot_manifest_open(struct ciot_manifest_writer **out, const char *dataset_dir,
				const struct ciot_manifest_device *dev, const char **category, char *errbuf);

/* A new capture entry (file relative to the dataset folder, device, phase, sub-phase) appended to
 * "captures"; the caller fills in the rest with jansson and saves. Borrowed reference. */
json_t *ciot_manifest_add_capture(struct ciot_manifest_writer *w, const char *file, enum ciot_phase phase,
				  const char *subphase);
/* Removes a capture entry added by this writer (a step that was redone). */
void ciot_manifest_remove_capture(struct ciot_manifest_writer *w, json_t *entry);
/* A new object appended to "runs". Borrowed reference. */
json_t *ciot_manifest_add_run(struct ciot_manifest_writer *w);

/* A file name for a step that is not yet used, neither on disk nor in the manifest:
 * "<device>/<device>_<step>.pcap", else "..._2.pcap", "..._3.pcap"... Relative to the dataset
 * folder. */
enum ciot_rc ciot_manifest_step_file(struct ciot_manifest_writer *w, const char *step, char *out, size_t len,
				     char *errbuf);

/* Writes the manifest atomically after checking that ciot-analyze would read it. */
enum ciot_rc ciot_manifest_save(struct ciot_manifest_writer *w, char *errbuf);

const char *ciot_manifest_dir(const struct ciot_manifest_writer *w);
void ciot_manifest_close(struct ciot_manifest_writer *w);

/* Helpers for the entries: an ISO 8601 UTC time, a count, and a note stamped with its time. */
void ciot_json_set_time(json_t *obj, const char *key, int64_t us);
void ciot_json_set_count(json_t *obj, const char *key, uint64_t n);
void ciot_json_add_note(json_t *obj, int64_t us, const char *text);

#endif
