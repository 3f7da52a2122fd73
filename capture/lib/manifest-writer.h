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
#include <stdbool.h>
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
	bool add_macs;        /* a device already in the manifest may gain MACs it lacks (--add-mac) */
	bool must_exist;      /* the device must be in the manifest already (removing a step) */
};

struct ciot_manifest_writer;

/* Opens DIR/manifest.json (read if present, else begun anew) and makes sure the device has an
 * entry: a new entry is made from `dev`; an existing one must have the same category, and gains the
 * IP addresses it lacks, and the MACs it lacks only with dev->add_macs (a MAC it does not know is
 * refused, with the MACs it has: most often a typo); a brand given replaces the entry's. A home
 * country given is set when the manifest has none and must equal the one it has (one lab, one
 * country). Creates nothing and writes nothing: a run whose other arguments turn out wrong leaves
 * no trace. The device's category is returned in *category (owned by the writer; `dev`'s strings
 * must outlive the writer). */
enum ciot_rc ciot_manifest_open(struct ciot_manifest_writer **out, const char *dataset_dir,
				const struct ciot_manifest_device *dev, const char **category, char *errbuf);

/* Takes the dataset's lock (flock on DIR/.ciot-capture.lock, holding this process's pid, released
 * by ciot_manifest_close or the process's end), creates DIR/<device>/ and reads the manifest again
 * under the lock. Two runs that each read the manifest, added their steps and saved would lose one
 * run's entries; with the lock, the second run is refused (CIOT_ERR_BUSY, naming the other run's
 * pid) before it has written anything. Required before ciot_manifest_save. */
enum ciot_rc ciot_manifest_lock(struct ciot_manifest_writer *w, const char **category, char *errbuf);

/* The MACs the device's existing entry gained (with add_macs), comma-separated; "" when none. */
const char *ciot_manifest_added_macs(const struct ciot_manifest_writer *w);

/* A new capture entry (file relative to the dataset folder, device, phase, sub-phase) appended to
 * "captures"; the caller fills in the rest with jansson and saves. Borrowed reference. */
json_t *ciot_manifest_add_capture(struct ciot_manifest_writer *w, const char *file, enum ciot_phase phase,
				  const char *subphase);
/* Removes a capture entry added by this writer (a step that was redone). */
void ciot_manifest_remove_capture(struct ciot_manifest_writer *w, json_t *entry);
/* Takes one of the device's capture entries for `step` out of "captures": the attempt-th of them
 * (1-based, in manifest order), or with attempt 0 the only one (several are refused, each listed
 * with its attempt number, file and how it ended). The entry is kept, stamped "removed" at now_us,
 * under a new run record's "removed", so that the manifest still says what was captured; the file
 * stays on disk. *removed is that entry (borrowed). */
enum ciot_rc ciot_manifest_remove_step(struct ciot_manifest_writer *w, const char *step, unsigned attempt,
				       int64_t now_us, json_t **removed, char *errbuf);
/* A new object appended to "runs". Borrowed reference. */
json_t *ciot_manifest_add_run(struct ciot_manifest_writer *w);

/* A file name for a step that is not yet used, neither on disk nor in the manifest:
 * "<device>/<device>_<step>.pcap", else "..._2.pcap", "..._3.pcap"... Relative to the dataset
 * folder. */
enum ciot_rc ciot_manifest_step_file(struct ciot_manifest_writer *w, const char *step, char *out, size_t len,
				     char *errbuf);

/* Writes the manifest atomically after checking that ciot-analyze would read it. Needs the lock. */
enum ciot_rc ciot_manifest_save(struct ciot_manifest_writer *w, char *errbuf);

const char *ciot_manifest_dir(const struct ciot_manifest_writer *w);
/* Bytes the manifest takes as it is now saved. */
size_t ciot_manifest_size(const struct ciot_manifest_writer *w);
void ciot_manifest_close(struct ciot_manifest_writer *w);

/* Helpers for the entries: an ISO 8601 UTC time, a count, and a note stamped with its time. */
void ciot_json_set_time(json_t *obj, const char *key, int64_t us);
void ciot_json_set_count(json_t *obj, const char *key, uint64_t n);
void ciot_json_add_note(json_t *obj, int64_t us, const char *text);

#endif
