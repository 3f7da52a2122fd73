/* dataset.h: what is to be analyzed: devices, and capture files tagged with device and phase.
 *
 * Three inputs lead to the same model: a ciot manifest (datasets/README.md documents the schema),
 * the public lifecycle dataset's directory layout, and bare capture files with flags. Everything
 * read here is untrusted: every field is checked, and an error names the file and the field.
 */
#ifndef CIOT_DATASET_H
#define CIOT_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"

/* Limits on what a manifest may hold. */
#define CIOT_DATASET_MAX_ADDRESSES 16  /* MACs or IPs per device */
#define CIOT_DATASET_MAX_FIELD 256     /* bytes in a name, label or tag */

enum ciot_phase { CIOT_PHASE_SETUP, CIOT_PHASE_INTERACTION, CIOT_PHASE_IDLE, CIOT_PHASE_DELETION,
		  CIOT_NPHASES };

const char *ciot_phase_name(enum ciot_phase p);
/* Parses a lifecycle phase name ("setup", "interaction", "idle", "deletion"); false otherwise. */
bool ciot_phase_parse(const char *name, enum ciot_phase *out);
/* The public dataset's rule for a step name such as "idle_on_remote" or "watch_local". */
enum ciot_phase ciot_phase_of_step(const char *step);
/* The public dataset's rule for a device name such as "xiaodu_plug": NULL when none matches. */
const char *ciot_category_of_device_name(const char *device);
/* A device id (also a folder and file-name part): letters, digits, '_', '-', '.', not starting with
 * '.', 1 to 255 bytes. */
bool ciot_dataset_valid_id(const char *s);
/* A text file of at most `max` bytes, NUL-terminated (NULL with *rc and errbuf set otherwise: missing,
 * unreadable, larger, or holding a NUL byte). */
char *ciot_read_text_file(const char *path, size_t max, char *errbuf, enum ciot_rc *rc);

/* A value the researcher typed into the device's companion app (the manifest's pii_seeds), searched
 * for in its traffic; never stored in the database. */
struct ciot_seed {
	char *field; /* "email", "device_name", ... (pii.h lists them) */
	char *value;
};

struct ciot_device {
	char *id;        /* unique, as used in file names: "tuya_plug" */
	char *name;      /* human label */
	char *brand;
	char *category;
	char *app;       /* companion app, may be NULL */
	char *manifest_json; /* the manifest entry without its PII seeds (JSON), or NULL */
	struct ciot_seed *seeds;
	size_t nseeds;
	uint8_t macs[CIOT_DATASET_MAX_ADDRESSES][6];
	size_t nmacs;
	uint8_t ips[CIOT_DATASET_MAX_ADDRESSES][16];
	size_t nips;
};

/* A time window of an unsplit capture that belongs to one step (from a <device>.txt timetable). */
struct ciot_window {
	enum ciot_phase phase;
	char *subphase;
	int64_t start_us, end_us; /* [start, end) in UTC */
};

struct ciot_capture {
	char *path;
	size_t device;          /* index into the dataset's devices */
	enum ciot_phase phase;  /* unused when windows are given */
	char *subphase;         /* may be NULL */
	char *firmware;         /* "pre", "post" or NULL */
	char *interception;     /* certificate-interception test tag or NULL */
	struct ciot_window *windows;
	size_t nwindows;
	/* what ciot-capture recorded (-1 or NULL when the manifest does not say) */
	int64_t start_us, end_us;
	int64_t expected_packets;
	const char *ended;      /* "operator", "timer", "interrupted", ... (static string) */
};

struct ciot_dataset {
	char *name;
	char *kind;             /* "manifest", "lifecycle" or "files" */
	char *home_country;     /* ISO 3166 code the manifest gives as the lab's country, or NULL */
	struct ciot_device *devices;
	size_t ndevices;
	struct ciot_capture *captures;
	size_t ncaptures;
};

void ciot_dataset_free(struct ciot_dataset *ds);

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
