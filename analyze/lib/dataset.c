/* dataset.c: loads the three kinds of input into one model (see dataset.h), and the lifecycle
 * dataset's naming rules: step names to phases, device names to categories, timetables. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "addr.h"
#include "capture-file.h"
#include "dataset.h"
#include "hash.h"
#include "pii.h"

#define MANIFEST_VERSION 1
#define MAX_MANIFEST_BYTES (64u << 20)
#define MAX_TIMETABLE_BYTES (4u << 20)
#define MAX_SCAN_DEPTH 4
#define MAX_BARE_SCAN_DEPTH 32 /* a directory of bare captures: a lab's tree of days and benches */
#define NAMED_SKIPS 5          /* files that are not captures named in the notes; the rest counted */
#define MAX_NOTES 64          /* operator notes on one capture */
#define MAX_NOTE_BYTES 4096

static const char *const phase_names[CIOT_NPHASES] = { "setup", "interaction", "idle", "deletion" };

const char *ciot_phase_name(enum ciot_phase p)
{
	return (unsigned)p < CIOT_NPHASES ? phase_names[p] : "invalid";
}

bool ciot_phase_parse(const char *name, enum ciot_phase *out)
{
	for (int p = 0; p < CIOT_NPHASES; p++)
		if (!strcmp(name, phase_names[p])) {
			*out = (enum ciot_phase)p;
			return true;
		}
	return false;
}

enum ciot_phase ciot_phase_of_step(const char *step)
{
	/* the order of the lifecycle dataset's own scripts: idle, delete, setup, else interaction;
	 * "deletion", ciot's own phase name, is not a substring of "delete" */
	if (strstr(step, "idle"))
		return CIOT_PHASE_IDLE;
	if (strstr(step, "delete") || strstr(step, "deletion"))
		return CIOT_PHASE_DELETION;
	if (strstr(step, "setup"))
		return CIOT_PHASE_SETUP;
	return CIOT_PHASE_INTERACTION;
}

const char *ciot_category_of_device_name(const char *device)
{
	static const struct {
		const char *needle, *category;
	} rules[] = {
		{ "camera", "camera" },   { "doorbell", "doorbell" }, { "humidifier", "humidifier" },
		{ "hub", "hub" },         { "light", "light" },       { "plug", "plug" },
		{ "sensor", "sensor" },   { "speaker", "speaker" },   { "sound", "speaker" },
		{ "clock", "speaker" },
	};
	char lower[CIOT_DATASET_MAX_FIELD];
	size_t i = 0;
	for (; device[i] && i + 1 < sizeof lower; i++)
		lower[i] = (char)tolower((unsigned char)device[i]);
	lower[i] = 0;
	for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++)
		if (strstr(lower, rules[r].needle))
			return rules[r].category;
	return NULL;
}

const char *const ciot_dataset_categories[] = { "camera", "doorbell", "speaker", "plug", "light", "hub",
						"sensor", "humidifier", "other", NULL };

bool ciot_dataset_valid_category(const char *category)
{
	for (const char *const *c = ciot_dataset_categories; *c; c++)
		if (!strcmp(*c, category))
			return true;
	return false;
}

/* "camera, doorbell, ..., other", for messages. */
static const char *category_list(void)
{
	static char list[160];
	if (!list[0])
		for (const char *const *c = ciot_dataset_categories; *c; c++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c == ciot_dataset_categories ? "" : ", ",
				 *c);
	return list;
}

/* ---- the index (dataset.h) ------------------------------------------------------------------- */

/* Whether position pos of the indexed array matches the key. */
typedef bool (*index_eq_fn)(const void *array, size_t pos, const void *key);

static bool index_find(const struct ciot_index *x, uint32_t hash, index_eq_fn eq, const void *array, const void *key,
		       size_t *pos)
{
	if (!x->cap)
		return false;
	for (size_t i = hash & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		const struct ciot_index_slot *sl = &x->slot[i];
		if (!sl->pos1)
			return false;
		if (sl->hash == hash && eq(array, sl->pos1 - 1, key)) {
			*pos = sl->pos1 - 1;
			return true;
		}
	}
}

static bool index_add(struct ciot_index *x, uint32_t hash, size_t pos)
{
	if (pos >= UINT32_MAX)
		return false;
	if (2 * (x->n + 1) > x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		struct ciot_index_slot *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return false;
		for (size_t i = 0; i < x->cap; i++) {
			if (!x->slot[i].pos1)
				continue;
			size_t j = x->slot[i].hash & (cap - 1);
			while (slot[j].pos1)
				j = (j + 1) & (cap - 1);
			slot[j] = x->slot[i];
		}
		free(x->slot);
		x->slot = slot;
		x->cap = cap;
	}
	size_t j = hash & (x->cap - 1);
	while (x->slot[j].pos1)
		j = (j + 1) & (x->cap - 1);
	x->slot[j] = (struct ciot_index_slot){ hash, (uint32_t)pos + 1 };
	x->n++;
	return true;
}

static void index_free(struct ciot_index *x)
{
	free(x->slot);
	memset(x, 0, sizeof *x);
}

/* Grows an array by one element, doubling its capacity: 426k devices are not 426k reallocs. */
static void *grow(void *array, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return array;
	size_t c = *cap ? 2 * *cap : 16;
	void *grown = realloc(array, c * size);
	if (grown)
		*cap = c;
	return grown;
}

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void free_capture(struct ciot_capture *c)
{
	free(c->path);
	free(c->subphase);
	free(c->firmware);
	free(c->interception);
	for (size_t w = 0; w < c->nwindows; w++)
		free(c->windows[w].subphase);
	free(c->windows);
}

static void free_device(struct ciot_device *d)
{
	free(d->id);
	free(d->name);
	free(d->brand);
	free(d->category);
	free(d->app);
	free(d->manifest_json);
	for (size_t i = 0; i < d->nseeds; i++) {
		free(d->seeds[i].field);
		free(d->seeds[i].value);
	}
	free(d->seeds);
}

void ciot_dataset_free(struct ciot_dataset *ds)
{
	for (size_t i = 0; i < ds->ndevices; i++)
		free_device(&ds->devices[i]);
	for (size_t i = 0; i < ds->ncaptures; i++)
		free_capture(&ds->captures[i]);
	free(ds->devices);
	free(ds->captures);
	index_free(&ds->device_index);
	index_free(&ds->capture_index);
	free(ds->name);
	free(ds->kind);
	free(ds->home_country);
	for (size_t i = 0; i < ds->nlab_hosts; i++)
		free(ds->lab_hosts[i]);
	memset(ds, 0, sizeof *ds);
}

static struct ciot_device *add_device(struct ciot_dataset *ds)
{
	struct ciot_device *grown = grow(ds->devices, &ds->devices_cap, ds->ndevices, sizeof *grown);
	if (!grown)
		return NULL;
	ds->devices = grown;
	struct ciot_device *d = &ds->devices[ds->ndevices++];
	memset(d, 0, sizeof *d);
	return d;
}

static struct ciot_capture *add_capture(struct ciot_dataset *ds)
{
	struct ciot_capture *grown = grow(ds->captures, &ds->captures_cap, ds->ncaptures, sizeof *grown);
	if (!grown)
		return NULL;
	ds->captures = grown;
	struct ciot_capture *c = &ds->captures[ds->ncaptures++];
	memset(c, 0, sizeof *c);
	c->start_us = c->end_us = c->expected_packets = -1;
	return c;
}

static bool device_eq(const void *array, size_t pos, const void *key)
{
	return !strcmp(((const struct ciot_device *)array)[pos].id, key);
}

/* The first device with this id. Devices are indexed as they get their id (the loaders add a
 * device, then fill it): the index catches up with the array here, up to a device without one.
 * When the index cannot grow (out of memory), the devices past it are searched one by one. */
static bool find_device(struct ciot_dataset *ds, const char *id, size_t *index)
{
	for (; ds->ndevices_indexed < ds->ndevices && ds->devices[ds->ndevices_indexed].id; ds->ndevices_indexed++) {
		const char *d = ds->devices[ds->ndevices_indexed].id;
		size_t first;
		uint32_t h = ciot_fnv1a(d, strlen(d));
		if (!index_find(&ds->device_index, h, device_eq, ds->devices, d, &first) &&
		    !index_add(&ds->device_index, h, ds->ndevices_indexed))
			break;
	}
	if (index_find(&ds->device_index, ciot_fnv1a(id, strlen(id)), device_eq, ds->devices, id, index))
		return true;
	for (size_t i = ds->ndevices_indexed; i < ds->ndevices; i++)
		if (ds->devices[i].id && !strcmp(ds->devices[i].id, id)) {
			*index = i;
			return true;
		}
	return false;
}

/* Device ids end up in file names and reports: letters, digits, '_', '-', '.' only. */
bool ciot_dataset_valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= CIOT_DATASET_MAX_FIELD || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* "a.b.c.d/n" or "v6/n" into the address and the prefix length counted over the 16 bytes (an IPv4
 * prefix is 96 more, the mapped part); false when it is not one. */
static bool parse_prefix(const char *s, uint8_t addr[16], unsigned *bits)
{
	const char *slash = strchr(s, '/');
	char text[64];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof text)
		return false;
	memcpy(text, s, n);
	text[n] = 0;
	if (!ciot_addr_parse(text, addr))
		return false;
	unsigned max = ciot_addr_is_v4(addr) ? 32 : 128;
	*bits = 128;
	if (!slash)
		return true;
	char *end;
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || v > max || !isdigit((unsigned char)slash[1]))
		return false;
	*bits = (unsigned)v + (128 - max);
	return true;
}

bool ciot_dataset_valid_lab_host(const char *s)
{
	uint8_t addr[16];
	unsigned bits;
	if (!s || !*s || strlen(s) >= CIOT_DATASET_MAX_FIELD)
		return false;
	if (parse_prefix(s, addr, &bits))
		return true;
	if (s[0] == '.' || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

bool ciot_lab_host_match(const char *entry, const uint8_t addr[16], const char *name)
{
	uint8_t net[16];
	unsigned bits;
	if (parse_prefix(entry, net, &bits)) {
		if (!addr)
			return false;
		for (unsigned i = 0; i < bits / 8; i++)
			if (addr[i] != net[i])
				return false;
		unsigned rest = bits % 8;
		return !rest || ((addr[bits / 8] ^ net[bits / 8]) & (0xff00u >> rest) & 0xffu) == 0;
	}
	if (!name)
		return false;
	size_t n = strlen(name), e = strlen(entry);
	if (n && name[n - 1] == '.')
		n--;
	if (e > n || strncasecmp(name + (n - e), entry, e))
		return false;
	return e == n || name[n - e - 1] == '.';
}

static bool valid_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= CIOT_DATASET_MAX_FIELD)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int add_mac(struct ciot_device *d, const char *text)
{
	if (d->nmacs >= CIOT_DATASET_MAX_ADDRESSES)
		return -1;
	return ciot_mac_parse(text, d->macs[d->nmacs]) ? (int)d->nmacs++ : -2;
}

static int add_ip(struct ciot_device *d, const char *text)
{
	if (d->nips >= CIOT_DATASET_MAX_ADDRESSES)
		return -1;
	return ciot_addr_parse(text, d->ips[d->nips]) ? (int)d->nips++ : -2;
}

/* ---- manifest ---------------------------------------------------------------------------- */

struct manifest_ctx {
	const char *path;
	char *errbuf;
	size_t first_capture; /* the dataset's first capture from this manifest */
};

static enum ciot_rc bad(struct manifest_ctx *m, const char *where, const char *what)
{
	return ciot_fail(m->errbuf, CIOT_ERR_FORMAT, "%s: %s", where, what);
}

static enum ciot_rc check_keys(struct manifest_ctx *m, json_t *obj, const char *where,
			       const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		(void)value;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(key, *a);
		if (!ok) {
			char what[CIOT_DATASET_MAX_FIELD + 32];
			snprintf(what, sizeof what, "unknown key \"%.*s\"", CIOT_DATASET_MAX_FIELD, key);
			return bad(m, where, what);
		}
	}
	return CIOT_OK;
}

/* An optional string member: NULL when absent; an error when present but not a valid label. */
static enum ciot_rc get_label(struct manifest_ctx *m, json_t *obj, const char *key, const char *where,
			      bool required, char **out)
{
	*out = NULL;
	json_t *v = json_object_get(obj, key);
	char what[128];
	if (!v || json_is_null(v)) {
		if (!required)
			return CIOT_OK;
		snprintf(what, sizeof what, "\"%s\" is required", key);
		return bad(m, where, what);
	}
	if (!json_is_string(v) || !valid_label(json_string_value(v))) {
		snprintf(what, sizeof what, "\"%s\" must be a non-empty string of at most %d printable bytes", key,
			 CIOT_DATASET_MAX_FIELD - 1);
		return bad(m, where, what);
	}
	*out = strdup(json_string_value(v));
	return *out ? CIOT_OK : ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
}

/* "mac"/"ip": a string or an array of strings. */
static enum ciot_rc get_addresses(struct manifest_ctx *m, json_t *obj, const char *key, const char *where,
				  struct ciot_device *d)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return CIOT_OK;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
		char what[160];
		if (!json_is_string(item)) {
			snprintf(what, sizeof what, "\"%s\" must be a string or an array of strings", key);
			return bad(m, where, what);
		}
		int r = !strcmp(key, "mac") ? add_mac(d, json_string_value(item)) : add_ip(d, json_string_value(item));
		if (r == -1) {
			snprintf(what, sizeof what, "more than %d entries in \"%s\"", CIOT_DATASET_MAX_ADDRESSES, key);
			return bad(m, where, what);
		}
		if (r == -2) {
			snprintf(what, sizeof what, "\"%s\": \"%.64s\" is not a valid %s", key, json_string_value(item),
				 !strcmp(key, "mac") ? "MAC address" : "IP address");
			return bad(m, where, what);
		}
	}
	return CIOT_OK;
}

static enum ciot_rc add_seed(struct manifest_ctx *m, struct ciot_device *d, const char *field, json_t *v,
			     const char *where)
{
	char what[160];
	if (!json_is_string(v)) {
		snprintf(what, sizeof what, "pii_seeds \"%s\" must be a string or an array of strings", field);
		return bad(m, where, what);
	}
	size_t len = json_string_length(v);
	if (len < CIOT_PII_SEED_MIN || len > CIOT_PII_SEED_MAX) {
		/* a shorter value would match everywhere */
		snprintf(what, sizeof what, "pii_seeds \"%s\" has %zu bytes; a seed needs %d to %d", field, len,
			 CIOT_PII_SEED_MIN, CIOT_PII_SEED_MAX);
		return bad(m, where, what);
	}
	if (strlen(json_string_value(v)) != len) {
		snprintf(what, sizeof what, "pii_seeds \"%s\" holds a NUL character", field);
		return bad(m, where, what);
	}
	if (d->nseeds == CIOT_PII_MAX_SEEDS) {
		snprintf(what, sizeof what, "more than %d pii_seeds values", CIOT_PII_MAX_SEEDS);
		return bad(m, where, what);
	}
	struct ciot_seed *grown = realloc(d->seeds, (d->nseeds + 1) * sizeof *grown);
	if (!grown)
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	d->seeds = grown;
	struct ciot_seed *s = &d->seeds[d->nseeds];
	s->field = strdup(field);
	s->value = strdup(json_string_value(v));
	d->nseeds++;
	if (!s->field || !s->value)
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	return CIOT_OK;
}

/* pii_seeds: each field one of pii.h's, its value a string or an array of strings. */
static enum ciot_rc get_seeds(struct manifest_ctx *m, json_t *seeds, const char *where, struct ciot_device *d)
{
	const char *field;
	json_t *v;
	json_object_foreach(seeds, field, v) {
		enum ciot_pii_kind kind;
		if (!ciot_pii_seed_field(field, &kind)) {
			char what[256];
			snprintf(what, sizeof what,
				 "unknown pii_seeds field \"%.40s\" (known: name, email, phone, address, device_name, "
				 "wifi_ssid, wifi_password, account_id, imei, mac)",
				 field);
			return bad(m, where, what);
		}
		enum ciot_rc rc = CIOT_OK;
		if (json_is_array(v)) {
			size_t i;
			json_t *item;
			json_array_foreach(v, i, item)
				if ((rc = add_seed(m, d, field, item, where)))
					return rc;
		} else if ((rc = add_seed(m, d, field, v, where))) {
			return rc;
		}
	}
	return CIOT_OK;
}

/* "lab_hosts": the lab's resolver, gateway, NTP server... as addresses, address/prefix or names.
 * Each must parse as what it looks like, so that a typo does not silently leave a lab host among
 * the parties; several manifests add up (duplicates are kept once). */
static enum ciot_rc get_lab_hosts(struct manifest_ctx *m, json_t *root, struct ciot_dataset *ds)
{
	json_t *v = json_object_get(root, "lab_hosts");
	if (!v)
		return CIOT_OK;
	if (!json_is_array(v))
		return bad(m, "manifest", "\"lab_hosts\" must be an array of addresses or host names");
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *h = json_string_value(json_array_get(v, i));
		if (!h || !ciot_dataset_valid_lab_host(h))
			return bad(m, "manifest", "\"lab_hosts\" entries are an IP address, ADDRESS/PREFIX or a host name");
		bool known = false;
		for (size_t k = 0; k < ds->nlab_hosts; k++)
			known |= !strcasecmp(ds->lab_hosts[k], h);
		if (known)
			continue;
		if (ds->nlab_hosts == CIOT_DATASET_MAX_LAB_HOSTS) {
			char what[64];
			snprintf(what, sizeof what, "more than %d \"lab_hosts\"", CIOT_DATASET_MAX_LAB_HOSTS);
			return bad(m, "manifest", what);
		}
		if (!(ds->lab_hosts[ds->nlab_hosts] = strdup(h)))
			return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
		ds->nlab_hosts++;
	}
	return CIOT_OK;
}

static enum ciot_rc load_device(struct manifest_ctx *m, struct ciot_dataset *ds, json_t *jd, size_t i)
{
	static const char *const keys[] = { "id", "name", "brand", "category", "mac", "ip", "app", "vendor",
					    "privacy_policy", "pii_seeds", "notes", NULL };
	char where[64];
	snprintf(where, sizeof where, "devices[%zu]", i);
	if (!json_is_object(jd))
		return bad(m, where, "must be an object");
	enum ciot_rc rc = check_keys(m, jd, where, keys);
	if (rc)
		return rc;
	struct ciot_device *d = add_device(ds);
	if (!d)
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	if ((rc = get_label(m, jd, "id", where, true, &d->id)))
		return rc;
	if (!ciot_dataset_valid_id(d->id))
		return bad(m, where, "\"id\" may hold only letters, digits, '_', '-' and '.'");
	size_t other;
	if (find_device(ds, d->id, &other) && other != ds->ndevices - 1)
		return bad(m, where, "\"id\" is used by another device");
	if ((rc = get_label(m, jd, "name", where, false, &d->name)) ||
	    (rc = get_label(m, jd, "brand", where, false, &d->brand)) ||
	    (rc = get_label(m, jd, "category", where, true, &d->category)) ||
	    (rc = get_label(m, jd, "app", where, false, &d->app)) ||
	    (rc = get_addresses(m, jd, "mac", where, d)) || (rc = get_addresses(m, jd, "ip", where, d)))
		return rc;
	if (!ciot_dataset_valid_category(d->category)) {
		char what[256];
		snprintf(what, sizeof what, "\"category\" \"%.32s\" is none of %s", d->category, category_list());
		return bad(m, where, what);
	}
	for (const char *k = "vendor"; k; k = !strcmp(k, "vendor") ? "privacy_policy" : NULL) {
		json_t *v = json_object_get(jd, k);
		if (v && !json_is_object(v)) {
			char what[64];
			snprintf(what, sizeof what, "\"%s\" must be an object", k);
			return bad(m, where, what);
		}
	}
	json_t *seeds = json_object_get(jd, "pii_seeds");
	if (seeds && !json_is_object(seeds))
		return bad(m, where, "\"pii_seeds\" must be an object");
	if (seeds && (rc = get_seeds(m, seeds, where, d)))
		return rc;
	/* keep the device's manifest entry for later analyzers, without its PII seeds: the database
	 * may be shared, the seeds are the researcher's own personal data */
	json_t *copy = json_deep_copy(jd);
	if (!copy)
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	json_object_del(copy, "pii_seeds");
	d->manifest_json = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!d->manifest_json)
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	return CIOT_OK;
}

static char *join_path(const char *dir, const char *file)
{
	if (file[0] == '/' || !dir[0])
		return strdup(file);
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

/* Notes: free text, or (as ciot-capture writes them) an array of texts. */
static enum ciot_rc check_notes(struct manifest_ctx *m, json_t *obj, const char *where)
{
	json_t *v = json_object_get(obj, "notes");
	if (!v)
		return CIOT_OK;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	bool ok = !json_is_array(v) || n <= MAX_NOTES;
	for (size_t i = 0; ok && i < n; i++) {
		json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
		ok = json_is_string(item) && json_string_length(item) <= MAX_NOTE_BYTES;
	}
	if (!ok) {
		char what[128];
		snprintf(what, sizeof what, "\"notes\" must be a string or an array of at most %d strings of at most %d bytes",
			 MAX_NOTES, MAX_NOTE_BYTES);
		return bad(m, where, what);
	}
	return CIOT_OK;
}

/* What ciot-capture records of a step: its times, counts and how it ended. All optional. */
static enum ciot_rc get_capture_record(struct manifest_ctx *m, json_t *jc, const char *where, struct ciot_capture *c)
{
	static const char *const endings[] = { "operator", "timer", "interrupted", "disk_full", "interface_lost",
					       "error", "running", "split", NULL };
	char what[160];
	c->start_us = c->end_us = c->expected_packets = -1;
	const char *times[] = { "start", "end" };
	int64_t *dest[] = { &c->start_us, &c->end_us };
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(jc, times[i]);
		if (v && (!json_is_string(v) || !ciot_time_parse_iso(json_string_value(v), dest[i]))) {
			snprintf(what, sizeof what, "\"%s\" must be an ISO 8601 time such as \"2026-11-22T10:00:00.000000Z\"",
				 times[i]);
			return bad(m, where, what);
		}
	}
	if (c->start_us >= 0 && c->end_us >= 0 && c->end_us < c->start_us)
		return bad(m, where, "\"end\" is before \"start\"");
	const char *counts[] = { "packets", "bytes", "kernel_drops", "lost_packets", "planned_seconds" };
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		json_t *v = json_object_get(jc, counts[i]);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
			snprintf(what, sizeof what, "\"%s\" must be a non-negative integer", counts[i]);
			return bad(m, where, what);
		}
	}
	json_t *packets = json_object_get(jc, "packets");
	if (packets)
		c->expected_packets = json_integer_value(packets);
	json_t *ended = json_object_get(jc, "ended");
	if (ended) {
		bool ok = json_is_string(ended);
		const char *const *e = endings;
		while (ok && *e && strcmp(*e, json_string_value(ended)))
			e++;
		if (!ok || !*e)
			return bad(m, where, "\"ended\" must be operator, timer, interrupted, disk_full, interface_lost, "
					     "error, running or split");
		c->ended = *e;
	}
	return check_notes(m, jc, where);
}

static uint32_t capture_hash(const struct ciot_capture *c)
{
	uint64_t key[3] = { c->file_dev, c->file_ino, c->device };
	return c->file_known ? ciot_fnv1a(key, sizeof key) : ciot_fnv1a(c->path, strlen(c->path)) ^ (uint32_t)c->device;
}

static bool capture_eq(const void *array, size_t pos, const void *key)
{
	const struct ciot_capture *a = &((const struct ciot_capture *)array)[pos], *b = key;
	if (a->device != b->device || a->file_known != b->file_known)
		return false;
	return a->file_known ? a->file_dev == b->file_dev && a->file_ino == b->file_ino : !strcmp(a->path, b->path);
}

/* A file is stored once per device (store.h: its rows replace an earlier analysis's), so a file
 * listed twice for one device would silently lose its first entry: refused, both named. The file
 * is known by its device and inode, whatever path spells it; one that does not exist (yet) by
 * its path. The same file for two devices is two captures (a capture of a shared network). */
static enum ciot_rc check_listed_once(struct manifest_ctx *m, struct ciot_dataset *ds, const char *where)
{
	struct ciot_capture *c = &ds->captures[ds->ncaptures - 1];
	struct stat st;
	c->file_known = stat(c->path, &st) == 0;
	if (c->file_known) {
		c->file_dev = (uint64_t)st.st_dev;
		c->file_ino = (uint64_t)st.st_ino;
	}
	uint32_t h = capture_hash(c);
	size_t earlier;
	if (index_find(&ds->capture_index, h, capture_eq, ds->captures, c, &earlier)) {
		char what[PATH_MAX + 256], first[64] = "an earlier manifest";
		if (earlier >= m->first_capture)
			snprintf(first, sizeof first, "captures[%zu]", earlier - m->first_capture);
		snprintf(what, sizeof what, "\"file\" %s is listed twice for device %s (also as %s); a file is one "
			 "capture of a device: list it once (an unsplit capture's steps come from its timetable)",
			 c->path, ds->devices[c->device].id, first);
		return bad(m, where, what);
	}
	if (!index_add(&ds->capture_index, h, ds->ncaptures - 1))
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	return CIOT_OK;
}

static enum ciot_rc load_capture(struct manifest_ctx *m, struct ciot_dataset *ds, json_t *jc, size_t i,
				 const char *dir)
{
	static const char *const keys[] = { "file", "device", "phase", "subphase", "firmware", "interception",
					    "notes", "start", "end", "packets", "bytes", "kernel_drops", "lost_packets",
					    "planned_seconds", "ended", NULL };
	char where[64];
	snprintf(where, sizeof where, "captures[%zu]", i);
	if (!json_is_object(jc))
		return bad(m, where, "must be an object");
	enum ciot_rc rc = check_keys(m, jc, where, keys);
	if (rc)
		return rc;
	struct ciot_capture *c = add_capture(ds);
	if (!c)
		return ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	char *file = NULL, *device = NULL, *phase = NULL;
	if ((rc = get_label(m, jc, "file", where, true, &file)) ||
	    (rc = get_label(m, jc, "device", where, true, &device)) ||
	    (rc = get_label(m, jc, "phase", where, true, &phase)) ||
	    (rc = get_label(m, jc, "subphase", where, false, &c->subphase)) ||
	    (rc = get_label(m, jc, "firmware", where, false, &c->firmware)) ||
	    (rc = get_label(m, jc, "interception", where, false, &c->interception)))
		goto out;
	if (!find_device(ds, device, &c->device)) {
		rc = bad(m, where, "\"device\" names no device of the manifest");
		goto out;
	}
	if (!ciot_phase_parse(phase, &c->phase)) {
		rc = bad(m, where, "\"phase\" must be setup, interaction, idle or deletion");
		goto out;
	}
	if (c->firmware && strcmp(c->firmware, "pre") && strcmp(c->firmware, "post")) {
		rc = bad(m, where, "\"firmware\" must be \"pre\" or \"post\"");
		goto out;
	}
	if ((rc = get_capture_record(m, jc, where, c)))
		goto out;
	c->path = join_path(dir, file);
	if (!c->path)
		rc = ciot_fail(m->errbuf, CIOT_ERR_NOMEM, "out of memory");
	else
		rc = check_listed_once(m, ds, where);
out:
	free(file);
	free(device);
	free(phase);
	if (rc) {
		/* no half-made capture (without a path) is left in the dataset */
		free_capture(&ds->captures[ds->ncaptures - 1]);
		ds->ncaptures--;
	}
	return rc;
}

enum ciot_rc ciot_dataset_load_manifest(struct ciot_dataset *ds, const char *path, char *errbuf)
{
	struct manifest_ctx m = { path, errbuf, ds->ncaptures };
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > (off_t)MAX_MANIFEST_BYTES)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "manifest larger than %u MiB", MAX_MANIFEST_BYTES >> 20);
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ciot_fail(errbuf, jerr.line < 0 ? CIOT_ERR_IO : CIOT_ERR_FORMAT, "line %d: %s", jerr.line,
				 jerr.text);
	enum ciot_rc rc;
	static const char *const keys[] = { "ciot_manifest", "name", "description", "home_country", "licence",
					    "lab_hosts", "devices", "captures", "runs", NULL };
	if (!json_is_object(root)) {
		rc = bad(&m, "manifest", "must be a JSON object");
		goto out;
	}
	if ((rc = check_keys(&m, root, "manifest", keys)))
		goto out;
	json_t *version = json_object_get(root, "ciot_manifest");
	if (!json_is_integer(version) || json_integer_value(version) != MANIFEST_VERSION) {
		rc = bad(&m, "manifest", "\"ciot_manifest\" must be 1 (the schema version this ciot reads)");
		goto out;
	}
	/* the dataset's name is the first manifest's that gives one (a second manifest's was leaked) */
	char *name = NULL;
	if ((rc = get_label(&m, root, "name", "manifest", false, &name)))
		goto out;
	if (name && !ds->name)
		ds->name = name;
	else
		free(name);
	char *home = NULL;
	if ((rc = get_label(&m, root, "home_country", "manifest", false, &home)))
		goto out;
	if (home && (strlen(home) != 2 || home[0] < 'A' || home[0] > 'Z' || home[1] < 'A' || home[1] > 'Z')) {
		free(home);
		rc = bad(&m, "manifest", "\"home_country\" must be an ISO 3166 alpha-2 code such as \"CN\"");
		goto out;
	}
	if (home && ds->home_country && strcmp(home, ds->home_country)) {
		free(home);
		rc = bad(&m, "manifest", "\"home_country\" differs from an earlier manifest's");
		goto out;
	}
	if (home && !ds->home_country)
		ds->home_country = home;
	else
		free(home);
	if ((rc = get_lab_hosts(&m, root, ds)))
		goto out;
	/* ciot-capture's record of its runs, for the researcher: checked for shape, not read */
	json_t *runs = json_object_get(root, "runs");
	bool runs_ok = !runs || json_is_array(runs);
	for (size_t i = 0; runs_ok && i < json_array_size(runs); i++)
		runs_ok = json_is_object(json_array_get(runs, i));
	if (!runs_ok) {
		rc = bad(&m, "manifest", "\"runs\" must be an array of objects");
		goto out;
	}
	json_t *devices = json_object_get(root, "devices"), *captures = json_object_get(root, "captures");
	if (!json_is_array(devices) || !json_is_array(captures)) {
		rc = bad(&m, "manifest", "\"devices\" and \"captures\" must be arrays");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(devices); i++)
		if ((rc = load_device(&m, ds, json_array_get(devices, i), i)))
			goto out;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0; /* a manifest at the root */
	else if (slash)
		*slash = 0;
	else
		dir[0] = 0;
	for (size_t i = 0; i < json_array_size(captures); i++)
		if ((rc = load_capture(&m, ds, json_array_get(captures, i), i, dir)))
			goto out;
	if (!ds->kind)
		ds->kind = strdup("manifest");
	if (!ds->kind)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
out:
	json_decref(root);
	return rc;
}

/* ---- timetables ---------------------------------------------------------------------------- */

bool ciot_tz_parse(const char *text, int *offset_s)
{
	bool named = !strncmp(text, "UTC", 3) || !strncmp(text, "GMT", 3);
	if (named)
		text += 3;
	if (!*text) {
		*offset_s = 0;
		return named;
	}
	int sign = *text == '-' ? -1 : *text == '+' ? 1 : 0;
	if (!sign)
		return false;
	text++;
	if (!isdigit((unsigned char)*text))
		return false; /* strtol would take a second sign or blanks */
	char *end;
	long hours = strtol(text, &end, 10);
	long minutes = 0;
	if (end == text || hours > 14)
		return false;
	if (*end == ':') {
		char *mend;
		if (!isdigit((unsigned char)end[1]) || !isdigit((unsigned char)end[2]))
			return false;
		minutes = strtol(end + 1, &mend, 10);
		if (mend != end + 3 || minutes < 0 || minutes > 59)
			return false;
		end = mend;
	}
	if (*end)
		return false;
	*offset_s = sign * (int)(hours * 3600 + minutes * 60);
	return true;
}

/* "2024-04-16_15:28:09" local time -> microseconds UTC. Exactly that shape, and a date that
 * exists: timegm would quietly move 30 February to 1 March. */
static bool parse_local_time(const char *s, int tz_offset_s, int64_t *out)
{
	static const char shape[] = "dddd-dd-dd_dd:dd:dd";
	if (strlen(s) != sizeof shape - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	struct tm tm = { 0 };
	sscanf(s, "%4d-%2d-%2d_%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	       &tm.tm_sec);
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	/* second 60 is a leap second's name: it counts as the next second */
	int sec = tm.tm_sec;
	struct tm want = tm;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = 0;
	time_t t = timegm(&tm);
	struct tm back;
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != want.tm_mday || back.tm_mon + 1 != want.tm_mon)
		return false;
	*out = ((int64_t)t + sec - tz_offset_s) * 1000000;
	return true;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool ciot_time_parse_iso(const char *s, int64_t *us)
{
	/* YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM|-HH:MM) */
	int year, mon, day, hour, min, sec;
	if (strlen(s) < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !digits(s + 8, 2, &day) || s[10] != 'T' || !digits(s + 11, 2, &hour) || s[13] != ':' ||
	    !digits(s + 14, 2, &min) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	const char *p = s + 19;
	int64_t frac = 0;
	if (*p == '.') {
		int n = 0;
		for (p++; isdigit((unsigned char)*p); p++, n++) {
			if (n == 6)
				return false;
			frac = frac * 10 + (*p - '0');
		}
		if (n == 0)
			return false;
		for (; n < 6; n++)
			frac *= 10;
	}
	int offset = 0;
	if (*p == 'Z') {
		if (p[1])
			return false;
	} else if (!ciot_tz_parse(p, &offset) || strlen(p) != 6 || p[3] != ':') {
		return false;
	}
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return false;
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day, .tm_hour = hour, .tm_min = min,
			 .tm_sec = sec };
	time_t t = timegm(&tm);
	struct tm back;
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != day || back.tm_mon != mon - 1)
		return false;
	*us = ((int64_t)t - offset) * 1000000 + frac;
	return *us >= 0;
}

void ciot_time_format_iso(int64_t us, char buf[CIOT_ISO_TIME_SIZE])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (us < 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, CIOT_ISO_TIME_SIZE, "invalid");
		return;
	}
	snprintf(buf, CIOT_ISO_TIME_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

static int window_cmp(const void *a, const void *b)
{
	const struct ciot_window *x = a, *y = b;
	return (x->start_us > y->start_us) - (x->start_us < y->start_us);
}

void ciot_windows_sort(struct ciot_window *w, size_t n) { qsort(w, n, sizeof *w, window_cmp); }

enum ciot_rc ciot_windows_append(struct ciot_window **w, size_t *n, const struct ciot_window *win, const char *step,
				 char *errbuf)
{
	struct ciot_window *grown = realloc(*w, (*n + 1) * sizeof **w);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	*w = grown;
	grown[*n] = *win;
	if (!(grown[*n].subphase = strdup(step)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	(*n)++;
	return CIOT_OK;
}

void ciot_windows_free(struct ciot_window *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].subphase);
	free(w);
}

enum ciot_rc ciot_timetable_parse(const char *text, int tz_offset_s, struct ciot_window **out, size_t *n,
				  char *errbuf)
{
	*out = NULL;
	*n = 0;
	struct ciot_window *w = NULL;
	size_t count = 0;
	enum ciot_rc rc = CIOT_OK;
	int lineno = 0;
	const char *line = text;
	while (*line) {
		lineno++;
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[512];
		if (len >= sizeof buf) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: longer than %zu bytes", lineno, sizeof buf - 1);
			goto fail;
		}
		memcpy(buf, line, len);
		buf[len] = 0;
		line = eol ? eol + 1 : line + len;
		char step[CIOT_DATASET_MAX_FIELD], start[64], end[64];
		char *p = buf;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (sscanf(p, "%255s %63s %63s", step, start, end) != 3) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: expected \"step start end [duration]\"", lineno);
			goto fail;
		}
		struct ciot_window win = { 0 };
		if (!parse_local_time(start, tz_offset_s, &win.start_us) ||
		    !parse_local_time(end, tz_offset_s, &win.end_us)) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: times must be YYYY-MM-DD_HH:MM:SS", lineno);
			goto fail;
		}
		/* times have 1 s resolution: the end second is part of the step */
		win.end_us += 1000000;
		if (win.end_us <= win.start_us) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "line %d: step ends before it starts", lineno);
			goto fail;
		}
		win.phase = ciot_phase_of_step(step);
		if ((rc = ciot_windows_append(&w, &count, &win, step, errbuf)))
			goto fail;
	}
	if (count == 0) {
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "no steps in the timetable");
		goto fail;
	}
	ciot_windows_sort(w, count);
	for (size_t i = 0; i + 1 < count; i++) {
		/* a step that ends in the second the next one starts: the next one wins that second */
		if (w[i].end_us > w[i + 1].start_us) {
			if (w[i].end_us - w[i + 1].start_us > 1000000) {
				rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "steps \"%s\" and \"%s\" overlap", w[i].subphase,
					       w[i + 1].subphase);
				goto fail;
			}
			w[i].end_us = w[i + 1].start_us;
		}
	}
	*out = w;
	*n = count;
	return CIOT_OK;
fail:
	ciot_windows_free(w, count);
	return rc;
}

char *ciot_read_text_file(const char *path, size_t max, char *errbuf, enum ciot_rc *rc)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	bool err = ferror(f);
	fclose(f);
	if (!buf) {
		*rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (err || n > max) {
		free(buf);
		*rc = ciot_fail(errbuf, err ? CIOT_ERR_IO : CIOT_ERR_FORMAT, "%s: %s", path,
				err ? "read error" : "too large");
		return NULL;
	}
	if (memchr(buf, 0, n)) {
		free(buf);
		*rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: contains a NUL byte, not a text file", path);
		return NULL;
	}
	buf[n] = 0;
	*rc = CIOT_OK;
	return buf;
}

/* ---- the lifecycle dataset's layout -------------------------------------------------------- */

struct found_file {
	char *path;
	char *dir_device;  /* the directory's name without "_lifecycle" */
	char *stem;        /* file name without extension */
	uint64_t dev, ino;
};

/* A file or folder by identity, so that a symlink loop (a folder linked into itself) or a second
 * link to a capture makes no file count twice. */
struct node {
	uint64_t dev, ino;
};

struct scan {
	struct found_file *files;
	size_t n;
	struct node *dirs; /* the folders entered */
	size_t ndirs, dirs_cap;
	struct ciot_index dir_index;
	bool any_file;     /* every regular file, not only *.pcap and *.pcapng (bare captures) */
	int max_depth;
};

static bool node_eq(const void *array, size_t pos, const void *key)
{
	const struct node *a = &((const struct node *)array)[pos], *b = key;
	return a->dev == b->dev && a->ino == b->ino;
}

static uint32_t node_hash(const struct node *n)
{
	return ciot_fnv1a(n, sizeof *n);
}

/* Whether the folder was entered before (then it is not again); else records it. */
static enum ciot_rc enter_dir(struct scan *s, const struct stat *st, bool *seen, char *errbuf)
{
	struct node n = { (uint64_t)st->st_dev, (uint64_t)st->st_ino };
	size_t at;
	*seen = index_find(&s->dir_index, node_hash(&n), node_eq, s->dirs, &n, &at);
	if (*seen)
		return CIOT_OK;
	struct node *grown = grow(s->dirs, &s->dirs_cap, s->ndirs, sizeof *grown);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->dirs = grown;
	s->dirs[s->ndirs] = n;
	if (!index_add(&s->dir_index, node_hash(&n), s->ndirs))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->ndirs++;
	return CIOT_OK;
}

/* <stem>.pcap or <stem>.pcapng, compressed (.gz, .xz, .zst) or not. */
static bool has_capture_extension(const char *name, size_t *stem_len)
{
	static const char *const compressed[] = { ".gz", ".xz", ".zst" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof compressed / sizeof compressed[0]; i++) {
		size_t m = strlen(compressed[i]);
		if (n > m && !strcmp(name + n - m, compressed[i])) {
			n -= m;
			break;
		}
	}
	char plain[NAME_MAX + 1];
	if (n >= sizeof plain)
		return false;
	memcpy(plain, name, n);
	plain[n] = 0;
	name = plain;
	if (n > 5 && !strcmp(name + n - 5, ".pcap")) {
		*stem_len = n - 5;
		return true;
	}
	if (n > 7 && !strcmp(name + n - 7, ".pcapng")) {
		*stem_len = n - 7;
		return true;
	}
	return false;
}

static enum ciot_rc scan_dir(struct scan *s, const char *dir, int depth, char *errbuf)
{
	DIR *d = opendir(dir);
	if (!d)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", dir, strerror(errno));
	const char *base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	enum ciot_rc rc = CIOT_OK;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = join_path(dir, e->d_name);
		if (!path) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		struct stat st;
		size_t stem_len;
		if (stat(path, &st) != 0) {
			/* a dangling link (an unfetched git-annex or LFS file): not a capture */
			free(path);
			continue;
		}
		bool seen = false;
		if (S_ISDIR(st.st_mode) && depth < s->max_depth && !(rc = enter_dir(s, &st, &seen, errbuf)) && !seen) {
			rc = scan_dir(s, path, depth + 1, errbuf);
			free(path);
			if (rc)
				break;
		} else if (rc) {
			free(path);
			break;
		} else if (S_ISREG(st.st_mode) && (has_capture_extension(e->d_name, &stem_len) || s->any_file)) {
			if (s->any_file)
				stem_len = strlen(e->d_name);
			struct found_file *grown = realloc(s->files, (s->n + 1) * sizeof *grown);
			if (!grown) {
				free(path);
				rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
				break;
			}
			s->files = grown;
			struct found_file *f = &s->files[s->n++];
			f->path = path;
			f->dev = (uint64_t)st.st_dev;
			f->ino = (uint64_t)st.st_ino;
			f->stem = strndup(e->d_name, stem_len);
			size_t blen = strlen(base);
			if (blen > 10 && !strcmp(base + blen - 10, "_lifecycle"))
				blen -= 10;
			f->dir_device = strndup(base, blen);
			if (!f->stem || !f->dir_device) {
				rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
				break;
			}
		} else {
			free(path);
		}
	}
	closedir(d);
	return rc;
}

static int found_cmp(const void *a, const void *b)
{
	return strcmp(((const struct found_file *)a)->path, ((const struct found_file *)b)->path);
}

static bool found_eq(const void *array, size_t pos, const void *key)
{
	const struct found_file *a = &((const struct found_file *)array)[pos];
	const struct node *b = key;
	return a->dev == b->dev && a->ino == b->ino;
}

/* The files sorted by path, each file once: a second path to one (a link, or a folder reached
 * twice) is dropped, the first in path order kept. */
static enum ciot_rc sort_unique(struct scan *s, char *errbuf)
{
	if (!s->n)
		return CIOT_OK;
	qsort(s->files, s->n, sizeof *s->files, found_cmp);
	struct ciot_index seen = { 0 };
	size_t kept = 0;
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; i < s->n; i++) {
		struct found_file *f = &s->files[i];
		struct node n = { f->dev, f->ino };
		size_t at;
		if (!rc && !index_find(&seen, node_hash(&n), found_eq, s->files, &n, &at)) {
			s->files[kept] = *f;
			if (!index_add(&seen, node_hash(&n), kept))
				rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			kept++;
			continue;
		}
		free(f->path);
		free(f->stem);
		free(f->dir_device);
	}
	s->n = kept;
	index_free(&seen);
	return rc;
}

static void note(char *notes, size_t notes_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(char *notes, size_t notes_len, const char *fmt, ...)
{
	size_t used = strlen(notes);
	if (used + 1 < notes_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(notes + used, notes_len - used, fmt, ap);
		va_end(ap);
	}
}

static enum ciot_rc lifecycle_device(struct ciot_dataset *ds, const char *id, size_t *index, char *notes,
				     size_t notes_len, char *errbuf)
{
	if (find_device(ds, id, index))
		return CIOT_OK;
	if (!ciot_dataset_valid_id(id))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "device name \"%.64s\" has characters other than "
				 "letters, digits, '_', '-' and '.'", id);
	struct ciot_device *d = add_device(ds);
	if (!d)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	const char *category = ciot_category_of_device_name(id);
	if (!category)
		note(notes, notes_len, "device %s: no category in its name, counted as \"other\"\n", id);
	const char *underscore = strchr(id, '_');
	d->id = strdup(id);
	d->name = strdup(id);
	d->brand = underscore ? strndup(id, (size_t)(underscore - id)) : strdup(id);
	d->category = strdup(category ? category : "other");
	*index = ds->ndevices - 1;
	if (!d->id || !d->name || !d->brand || !d->category)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	return CIOT_OK;
}

static enum ciot_rc load_ip_table(struct ciot_dataset *ds, const char *path, char *notes, size_t notes_len,
				  char *errbuf)
{
	enum ciot_rc rc;
	char *text = ciot_read_text_file(path, MAX_TIMETABLE_BYTES, errbuf, &rc);
	if (!text)
		return rc;
	int lineno = 0;
	for (char *save = NULL, *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		lineno++;
		char *comma = strchr(line, ',');
		if (!comma) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: line %d: expected \"device,IP\"", path, lineno);
			break;
		}
		*comma = 0;
		char *dev = line, *ip = comma + 1;
		while (isspace((unsigned char)*dev))
			dev++;
		while (isspace((unsigned char)*ip))
			ip++;
		for (char *e = ip + strlen(ip); e > ip && isspace((unsigned char)e[-1]);)
			*--e = 0;
		for (char *e = dev + strlen(dev); e > dev && isspace((unsigned char)e[-1]);)
			*--e = 0;
		size_t index;
		uint8_t addr[16];
		if (!ciot_addr_parse(ip, addr)) {
			if (lineno == 1)
				continue; /* a header row */
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: line %d: \"%.64s\" is not an IP address", path,
				       lineno, ip);
			break;
		}
		if (!find_device(ds, dev, &index)) {
			note(notes, notes_len, "IP table: device %s has no captures, ignored\n", dev);
			continue;
		}
		if (add_ip(&ds->devices[index], ip) < 0) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: line %d: too many addresses for %s", path, lineno, dev);
			break;
		}
	}
	free(text);
	return rc;
}

static void free_scan(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].stem);
		free(s->files[i].dir_device);
	}
	free(s->files);
	free(s->dirs);
	index_free(&s->dir_index);
}

/* Every capture file below root, each once, sorted by path. */
static enum ciot_rc scan_root(struct scan *s, const char *root, char *errbuf)
{
	struct stat st;
	bool seen;
	enum ciot_rc rc;
	if (stat(root, &st) != 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", root, strerror(errno));
	if ((rc = enter_dir(s, &st, &seen, errbuf)) || (rc = scan_dir(s, root, 0, errbuf)))
		return rc;
	return sort_unique(s, errbuf);
}

static enum ciot_rc load_lifecycle(struct ciot_dataset *ds, const char *root, const char *ip_table, int tz_offset_s,
			       char *notes, size_t notes_len, bool *empty, char *errbuf)
{
	struct scan s = { .max_depth = MAX_SCAN_DEPTH };
	size_t captures_before = ds->ncaptures;
	enum ciot_rc rc = scan_root(&s, root, errbuf);
	if (rc)
		goto out;
	/* split step files first: a device that has them is analyzed from them alone */
	for (size_t i = 0; i < s.n; i++) {
		struct found_file *f = &s.files[i];
		size_t dlen = strlen(f->dir_device);
		if (strncmp(f->stem, f->dir_device, dlen) || f->stem[dlen] != '_' || !f->stem[dlen + 1])
			continue;
		size_t dev;
		if ((rc = lifecycle_device(ds, f->dir_device, &dev, notes, notes_len, errbuf)))
			goto out;
		struct ciot_capture *c = add_capture(ds);
		if (!c) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			goto out;
		}
		c->device = dev;
		c->path = strdup(f->path);
		c->subphase = strdup(f->stem + dlen + 1);
		if (!c->path || !c->subphase) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			goto out;
		}
		c->phase = ciot_phase_of_step(c->subphase);
	}
	/* unsplit captures with their timetable, for devices without step files */
	for (size_t i = 0; i < s.n; i++) {
		struct found_file *f = &s.files[i];
		if (strcmp(f->stem, f->dir_device))
			continue;
		size_t dev;
		if (find_device(ds, f->stem, &dev)) {
			note(notes, notes_len, "%s: not used, the device's step files are\n", f->path);
			continue;
		}
		char *txt = malloc(strlen(f->path) + 8);
		if (!txt) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			goto out;
		}
		/* <device>.txt beside <device>.pcap (or .pcap.gz): the path's folder, the stem */
		strcpy(txt, f->path);
		strcpy(strrchr(txt, '/') ? strrchr(txt, '/') + 1 : txt, f->stem);
		strcat(txt, ".txt");
		struct stat st;
		if (stat(txt, &st) != 0) {
			note(notes, notes_len, "%s: no timetable %s beside it, not used\n", f->path, txt);
			free(txt);
			continue;
		}
		char *text = ciot_read_text_file(txt, MAX_TIMETABLE_BYTES, errbuf, &rc);
		if (!text) {
			free(txt);
			goto out;
		}
		struct ciot_window *w;
		size_t nw;
		char detail[CIOT_ERRBUF_SIZE];
		rc = ciot_timetable_parse(text, tz_offset_s, &w, &nw, detail);
		free(text);
		if (rc) {
			ciot_fail(errbuf, rc, "%s: %s", txt, detail);
			free(txt);
			goto out;
		}
		free(txt);
		if ((rc = lifecycle_device(ds, f->stem, &dev, notes, notes_len, errbuf))) {
			for (size_t k = 0; k < nw; k++)
				free(w[k].subphase);
			free(w);
			goto out;
		}
		struct ciot_capture *c = add_capture(ds);
		if (!c || !(c->path = strdup(f->path))) {
			for (size_t k = 0; k < nw; k++)
				free(w[k].subphase);
			free(w);
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			goto out;
		}
		c->device = dev;
		c->windows = w;
		c->nwindows = nw;
	}
	for (size_t i = 0; i < s.n; i++) {
		struct found_file *f = &s.files[i];
		size_t dev;
		size_t dlen = strlen(f->dir_device);
		bool step = !strncmp(f->stem, f->dir_device, dlen) && f->stem[dlen] == '_' && f->stem[dlen + 1];
		if (!step && strcmp(f->stem, f->dir_device) && !find_device(ds, f->stem, &dev))
			note(notes, notes_len, "%s: not named <device>_<step> inside a <device> folder, not used\n",
			     f->path);
	}
	if ((*empty = ds->ncaptures == captures_before))
		goto out;
	if (ip_table && (rc = load_ip_table(ds, ip_table, notes, notes_len, errbuf)))
		goto out;
	if (!ds->kind)
		ds->kind = strdup("lifecycle");
	if (!ds->kind)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
out:
	free_scan(&s);
	return rc;
}

enum ciot_rc ciot_dataset_load_lifecycle(struct ciot_dataset *ds, const char *root, const char *ip_table,
					 int tz_offset_s, char *notes, size_t notes_len, char *errbuf)
{
	bool empty = false;
	enum ciot_rc rc = load_lifecycle(ds, root, ip_table, tz_offset_s, notes, notes_len, &empty, errbuf);
	if (!rc && empty)
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "no <device>/<device>_<step>.pcap files found in this directory");
	return rc;
}

/* ---- a directory of bare captures ----------------------------------------------------------- */

/* Every capture below root, by content (pcap or pcapng, compressed or not; any name), in path order,
 * each file once, added as a bare file with o. Files that are not captures are named in the notes
 * (the first NAMED_SKIPS) and counted. */
static enum ciot_rc load_bare_directory(struct ciot_dataset *ds, const char *root, const struct ciot_bare_options *o,
					char *notes, size_t notes_len, char *errbuf)
{
	struct scan s = { .any_file = true, .max_depth = MAX_BARE_SCAN_DEPTH };
	size_t skipped = 0, found = 0;
	enum ciot_rc rc = scan_root(&s, root, errbuf);
	for (size_t i = 0; !rc && i < s.n; i++) {
		char why[CIOT_ERRBUF_SIZE];
		enum ciot_rc probe = ciot_capture_probe(s.files[i].path, why);
		if (probe == CIOT_ERR_NOMEM) {
			rc = ciot_fail(errbuf, probe, "%s", why);
		} else if (probe) {
			if (skipped++ < NAMED_SKIPS)
				note(notes, notes_len, "%s: not a capture, skipped (%s)\n", s.files[i].path, why);
		} else {
			found++;
			rc = ciot_dataset_add_file(ds, s.files[i].path, o, errbuf);
		}
	}
	if (!rc && skipped > NAMED_SKIPS)
		note(notes, notes_len, "%s: %zu more files that are not captures skipped\n", root, skipped - NAMED_SKIPS);
	if (!rc && !found)
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "no capture files found in this directory (neither "
			       "<device>/<device>_<step>.pcap files nor any pcap or pcapng file%s)",
			       skipped ? ", compressed or not, among its files" : "");
	else if (!rc)
		note(notes, notes_len, "%s: read as %zu bare capture files (not in the lifecycle layout)%s\n", root, found,
		     skipped ? "; the files that are not captures skipped" : "");
	free_scan(&s);
	return rc;
}

enum ciot_rc ciot_dataset_load_directory(struct ciot_dataset *ds, const char *root, const char *ip_table,
					 int tz_offset_s, const struct ciot_bare_options *o, char *notes,
					 size_t notes_len, char *errbuf)
{
	bool empty = false;
	char lifecycle_notes[4096] = "";
	enum ciot_rc rc = load_lifecycle(ds, root, ip_table, tz_offset_s, lifecycle_notes, sizeof lifecycle_notes,
					 &empty, errbuf);
	if (rc || !empty) {
		note(notes, notes_len, "%s", lifecycle_notes);
		return rc;
	}
	rc = load_bare_directory(ds, root, o, notes, notes_len, errbuf);
	if (!rc && ip_table)
		rc = load_ip_table(ds, ip_table, notes, notes_len, errbuf);
	return rc;
}

/* ---- bare files ------------------------------------------------------------------------------ */

enum ciot_rc ciot_dataset_add_file(struct ciot_dataset *ds, const char *path, const struct ciot_bare_options *o,
				   char *errbuf)
{
	char stem[CIOT_DATASET_MAX_FIELD];
	const char *id = o->device;
	if (!id) {
		/* without --device, the file's name is the device's */
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		size_t n = strcspn(base, ".");
		if (n >= sizeof stem)
			n = sizeof stem - 1;
		memcpy(stem, base, n);
		stem[n] = 0;
		for (char *p = stem; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
				*p = '_';
		if (!stem[0])
			snprintf(stem, sizeof stem, "device");
		id = stem;
	}
	size_t dev;
	if (!find_device(ds, id, &dev)) {
		if (!ciot_dataset_valid_id(id))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "--device \"%.64s\": use letters, digits, '_', '-' and '.'", id);
		struct ciot_device *d = add_device(ds);
		if (!d)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		if (o->category && !ciot_dataset_valid_category(o->category))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "--category \"%.32s\" is none of %s", o->category,
					 category_list());
		const char *category = o->category ? o->category : ciot_category_of_device_name(id);
		d->id = strdup(id);
		d->name = strdup(id);
		d->brand = o->brand ? strdup(o->brand) : NULL;
		d->category = strdup(category ? category : "other");
		if (!d->id || !d->name || !d->category)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < o->nmacs; i++)
			if (add_mac(d, o->macs[i]) < 0)
				return ciot_fail(errbuf, CIOT_ERR_ARG, "--mac \"%.64s\" is not a MAC address", o->macs[i]);
		for (size_t i = 0; i < o->nips; i++)
			if (add_ip(d, o->ips[i]) < 0)
				return ciot_fail(errbuf, CIOT_ERR_ARG, "--ip \"%.64s\" is not an IP address", o->ips[i]);
		dev = ds->ndevices - 1;
	}
	struct ciot_capture *c = add_capture(ds);
	if (!c)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	c->device = dev;
	c->phase = o->phase;
	c->path = strdup(path);
	c->subphase = dupstr(o->subphase);
	c->firmware = dupstr(o->firmware);
	c->interception = dupstr(o->interception);
	if (!c->path || (o->subphase && !c->subphase) || (o->firmware && !c->firmware) ||
	    (o->interception && !c->interception))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (!ds->kind && !(ds->kind = strdup("files")))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	return CIOT_OK;
}
