/* ciot/dataset.h: what is to be analyzed, as the tools see it: lifecycle phases, the three inputs
 * (a ciot manifest, the public lifecycle dataset's layout, bare capture files with flags) loaded
 * into one dataset, and the time and timetable formats ciot-capture writes and ciot-analyze reads.
 *
 * A dataset is opaque here: only the library walks its devices and captures, so their fields can
 * change without touching a tool. What a tool needs of it (how many captures, their paths) has a
 * function. Everything loaded is untrusted: every field is checked, and an error names the file
 * and the field. The manifest's schema: datasets/README.md.
 */
#ifndef CIOT_DATASET_H
#define CIOT_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"

/* Limits on what a manifest may hold. */
#define CIOT_DATASET_MAX_ADDRESSES 16  /* MACs or IPs per device */
#define CIOT_DATASET_MAX_FIELD 256     /* bytes in a name, label or tag */
#define CIOT_DATASET_MAX_LAB_HOSTS 64  /* a manifest's lab_hosts */

enum ciot_phase { CIOT_PHASE_SETUP, CIOT_PHASE_INTERACTION, CIOT_PHASE_IDLE, CIOT_PHASE_DELETION,
		  CIOT_NPHASES };

const char *ciot_phase_name(enum ciot_phase p);
/* Parses a lifecycle phase name ("setup", "interaction", "idle", "deletion"); false otherwise. */
bool ciot_phase_parse(const char *name, enum ciot_phase *out);
/* A device id (also a folder and file-name part): letters, digits, '_', '-', '.', not starting with
 * '.', 1 to 255 bytes. */
bool ciot_dataset_valid_id(const char *s);
/* A lab host (the manifest's lab_hosts, ciot-analyze --lab-host): an IP address, ADDRESS/PREFIX, or a
 * host name (letters, digits, '-', '_', '.'); at most 255 bytes. */
bool ciot_dataset_valid_lab_host(const char *s);
/* Whether a remote end is that lab host: its address (16 bytes) equals the address or lies in the
 * prefix, or its host name (NULL: none) is the name or below it, ignoring case. */
bool ciot_lab_host_match(const char *entry, const uint8_t addr[16], const char *name);
/* A text file of at most `max` bytes, NUL-terminated (NULL with *rc and errbuf set otherwise: missing,
 * unreadable, larger, or holding a NUL byte). */
char *ciot_read_text_file(const char *path, size_t max, char *errbuf, enum ciot_rc *rc);

struct ciot_dataset;
struct ciot_capture;

/* An empty dataset, NULL when memory runs out; ciot_dataset_delete frees it and all it holds. */
struct ciot_dataset *ciot_dataset_new(void);
void ciot_dataset_delete(struct ciot_dataset *ds);
size_t ciot_dataset_ncaptures(const struct ciot_dataset *ds);
/* The manifest's name of the dataset, NULL when no manifest gave one. */
const char *ciot_dataset_name(const struct ciot_dataset *ds);
/* The i-th capture file, i < ciot_dataset_ncaptures. */
const struct ciot_capture *ciot_dataset_capture(const struct ciot_dataset *ds, size_t i);
const char *ciot_capture_path(const struct ciot_capture *c);

/* A ciot manifest (JSON). Relative capture paths are relative to the manifest's directory. */
enum ciot_rc ciot_dataset_load_manifest(struct ciot_dataset *ds, const char *path, char *errbuf);

/* The public lifecycle dataset's layout under `root`. `ip_table` (may be NULL) is a CSV of
 * "device,IP" rows; `tz_offset_s` is the timetables' local time offset from UTC. */
enum ciot_rc ciot_dataset_load_lifecycle(struct ciot_dataset *ds, const char *root, const char *ip_table,
					 int tz_offset_s, char *notes, size_t notes_len, char *errbuf);

/* One bare capture file for a device named on the command line. */
struct ciot_bare_options {
	const char *device, *category, *brand;
	enum ciot_phase phase;
	const char *subphase, *firmware, *interception;
	const char *macs[CIOT_DATASET_MAX_ADDRESSES];
	size_t nmacs;
	const char *ips[CIOT_DATASET_MAX_ADDRESSES];
	size_t nips;
};
enum ciot_rc ciot_dataset_add_file(struct ciot_dataset *ds, const char *path, const struct ciot_bare_options *o,
				   char *errbuf);

/* A directory without a manifest: the lifecycle layout (ciot_dataset_load_lifecycle) when any file
 * under it follows it; otherwise every capture file below it, at any depth, told by its content
 * (pcap or pcapng, gzip, xz or zstd compressed or not, whatever its name), in path order, each file
 * once however many links lead to it, each added as a bare file with `o` (so a device per file name
 * with its addresses found automatically, or --device, --mac, --ip for all), then `ip_table` applied
 * to the devices so named. Files that are not captures are skipped, the first few named in `notes`,
 * the rest counted; a directory without any capture is CIOT_ERR_ARG. */
enum ciot_rc ciot_dataset_load_directory(struct ciot_dataset *ds, const char *root, const char *ip_table,
					 int tz_offset_s, const struct ciot_bare_options *o, char *notes,
					 size_t notes_len, char *errbuf);

/* Part K of N (1 <= K <= N) of the dataset: its captures at positions K-1, K-1+N, ... in load
 * order are kept, the others dropped (dataset-part.c). After every input is loaded. `shard` says which
 * part, for ciot_store_record_shard (ciot/store.h). */
struct ciot_shard {
	unsigned k, n;
	size_t total; /* the dataset's captures before the selection */
};
enum ciot_rc ciot_dataset_shard(struct ciot_dataset *ds, unsigned k, unsigned n, struct ciot_shard *shard,
				char *errbuf);

/* A time window of an unsplit capture that belongs to one step (from a <device>.txt timetable). */
struct ciot_window {
	enum ciot_phase phase;
	char *subphase;
	int64_t start_us, end_us; /* [start, end) in UTC */
};

/* Appends a window named `step` (copied); sorts windows by start; frees them. */
enum ciot_rc ciot_windows_append(struct ciot_window **w, size_t *n, const struct ciot_window *win, const char *step,
				 char *errbuf);
void ciot_windows_sort(struct ciot_window *w, size_t n);
void ciot_windows_free(struct ciot_window *w, size_t n);

/* Timetable lines "phase start end duration", times "YYYY-MM-DD_HH:MM:SS" in local time. */
enum ciot_rc ciot_timetable_parse(const char *text, int tz_offset_s, struct ciot_window **out, size_t *n,
				  char *errbuf);
/* ISO 8601 times with a zone: "2026-11-22T10:00:00Z", "2026-11-22T18:00:00.25+08:00" (up to 6
 * decimals) -> microseconds since the epoch. */
bool ciot_time_parse_iso(const char *text, int64_t *us);
/* The form ciot writes: "2026-11-22T10:00:00.123456Z". */
#define CIOT_ISO_TIME_SIZE 96
void ciot_time_format_iso(int64_t us, char buf[CIOT_ISO_TIME_SIZE]);

/* "+8", "UTC+8", "+08:00", "-05:30", "UTC" -> seconds east of UTC. */
bool ciot_tz_parse(const char *text, int *offset_s);

#endif
