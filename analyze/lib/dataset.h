/* dataset.h: what is to be analyzed: devices, and capture files tagged with device and phase.
 *
 * Three inputs lead to the same model: a ciot manifest (datasets/README.md documents the schema),
 * the public lifecycle dataset's directory layout, and bare capture files with flags. Everything
 * read here is untrusted: every field is checked, and an error names the file and the field.
 *
 * What tools use (phases, the loaders, windows and time formats) is declared in ciot/dataset.h,
 * where a dataset is opaque; the model itself is here, for the library's own files.
 */
#ifndef CIOT_DATASET_INTERNAL_H
#define CIOT_DATASET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/dataset.h"

/* The public dataset's rule for a step name such as "idle_on_remote" or "watch_local". */
enum ciot_phase ciot_phase_of_step(const char *step);
/* The public dataset's rule for a device name such as "xiaodu_plug": NULL when none matches. */
const char *ciot_category_of_device_name(const char *device);

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

struct ciot_capture {
	char *path;
	/* the file's identity, to find it listed twice whatever its spelling (a manifest's only) */
	uint64_t file_dev, file_ino;
	bool file_known;        /* stat found the file: dev and ino are set */
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

/* A hash index of positions in an array the dataset owns (open addressing, grown at half full):
 * devices by id, a manifest's captures by file and device, so that loading 426k devices is linear. */
struct ciot_index {
	struct ciot_index_slot { uint32_t hash, pos1; } *slot; /* pos1: position + 1, 0 for empty */
	size_t cap, n;
};

struct ciot_dataset {
	char *name;
	char *kind;             /* "manifest", "lifecycle" or "files" */
	char *home_country;     /* ISO 3166 code the manifest gives as the lab's country, or NULL */
	/* The lab's own hosts (resolver, gateway, NTP server): addresses, address/prefix or host names
	 * (the name and those below it), characters [A-Za-z0-9._:/-] only; never a party */
	char *lab_hosts[CIOT_DATASET_MAX_LAB_HOSTS];
	size_t nlab_hosts;
	struct ciot_device *devices;
	size_t ndevices, devices_cap;
	struct ciot_capture *captures;
	size_t ncaptures, captures_cap;
	struct ciot_index device_index;  /* devices[0 .. ndevices_indexed) by id */
	size_t ndevices_indexed;
	struct ciot_index capture_index; /* the manifests' captures by file and device */
};

/* The device categories a manifest or --category may name (NULL-terminated), and a check. */
extern const char *const ciot_dataset_categories[];
bool ciot_dataset_valid_category(const char *category);

/* Frees what the dataset holds and zeroes it; the struct itself is the caller's (the library's files
 * and its tests keep one on the stack). A tool's, from ciot_dataset_new, goes with
 * ciot_dataset_delete. */
void ciot_dataset_free(struct ciot_dataset *ds);

#endif
