/* manifest-writer.c: extends a dataset's manifest.json with ciot-capture's devices, steps and runs,
 * atomically, and only with what ciot-analyze's reader accepts. */
#include "manifest-writer.h"

#include "ciot/addr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct ciot_manifest_writer {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char device[CIOT_DATASET_MAX_FIELD];
	json_t *root;
	json_t *device_entry;
};

static const char *const categories[] = { "camera", "doorbell", "speaker", "plug",       "light",
					  "hub",    "sensor",   "humidifier", "other", NULL };

void ciot_json_set_time(json_t *obj, const char *key, int64_t us)
{
	char t[CIOT_ISO_TIME_SIZE];
	ciot_time_format_iso(us, t);
	json_object_set_new(obj, key, json_string(t));
}

void ciot_json_set_count(json_t *obj, const char *key, uint64_t n)
{
	json_object_set_new(obj, key, json_integer((json_int_t)n));
}

void ciot_json_add_note(json_t *obj, int64_t us, const char *text)
{
	json_t *notes = json_object_get(obj, "notes");
	if (!json_is_array(notes)) {
		notes = json_array();
		json_object_set_new(obj, "notes", notes);
	}
	char t[CIOT_ISO_TIME_SIZE], note[4096];
	ciot_time_format_iso(us, t);
	/* notes are printable text: control characters from a terminal or a script become spaces */
	snprintf(note, sizeof note, "%s %s", t, text);
	for (char *p = note; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	json_array_append_new(notes, json_string(note));
}

static enum ciot_rc make_dirs(const char *path, char *errbuf)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: path too long", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return CIOT_OK;
}

static json_t *find_device(json_t *root, const char *id)
{
	json_t *devices = json_object_get(root, "devices"), *d;
	size_t i;
	json_array_foreach(devices, i, d) {
		json_t *v = json_object_get(d, "id");
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return d;
	}
	return NULL;
}

/* Appends the addresses the entry lacks ("mac" or "ip": a string or an array). */
static void merge_addresses(json_t *entry, const char *key, const char *const *add, size_t n)
{
	if (n == 0)
		return;
	json_t *have = json_object_get(entry, key);
	json_t *list = json_array();
	if (json_is_string(have))
		json_array_append(list, have);
	else if (json_is_array(have))
		json_array_extend(list, have);
	for (size_t i = 0; i < n; i++) {
		bool known = false;
		size_t j;
		json_t *v;
		json_array_foreach(list, j, v)
			known |= json_is_string(v) && !strcasecmp(json_string_value(v), add[i]);
		if (!known)
			json_array_append_new(list, json_string(add[i]));
	}
	json_object_set_new(entry, key, list);
}

static enum ciot_rc ensure_device(struct ciot_manifest_writer *w, const struct ciot_manifest_device *dev,
				  const char **category, char *errbuf)
{
	json_t *d = find_device(w->root, dev->id);
	if (!d) {
		if (!dev->category)
			return ciot_fail(errbuf, CIOT_ERR_ARG,
					 "device \"%s\" is not in the manifest yet: its category is needed (--category)",
					 dev->id);
		bool known = false;
		for (const char *const *c = categories; *c; c++)
			known |= !strcmp(*c, dev->category);
		if (!known)
			return ciot_fail(errbuf, CIOT_ERR_ARG,
					 "category \"%s\" is not one of camera, doorbell, speaker, plug, light, hub, "
					 "sensor, humidifier, other",
					 dev->category);
		d = json_object();
		json_object_set_new(d, "id", json_string(dev->id));
		json_object_set_new(d, "name", json_string(dev->id));
		/* without --brand, the public dataset's naming (brand_category) is a guess, and an id
		 * without '_' gives no brand at all: ciot-analyze warns about a brand equal to the id */
		const char *us = strchr(dev->id, '_');
		if (dev->brand)
			json_object_set_new(d, "brand", json_string(dev->brand));
		else
			json_object_set_new(d, "brand", us && us != dev->id ? json_stringn(dev->id, (size_t)(us - dev->id))
									: json_string(dev->id));
		json_object_set_new(d, "category", json_string(dev->category));
		json_array_append_new(json_object_get(w->root, "devices"), d);
	} else {
		json_t *c = json_object_get(d, "category");
		if (dev->category && json_is_string(c) && strcmp(json_string_value(c), dev->category))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "device \"%s\" is a %s in the manifest, not a %s", dev->id,
					 json_string_value(c), dev->category);
	}
	if (dev->brand)
		json_object_set_new(d, "brand", json_string(dev->brand));
	merge_addresses(d, "mac", dev->macs, dev->nmacs);
	merge_addresses(d, "ip", dev->ips, dev->nips);
	w->device_entry = d;
	*category = json_string_value(json_object_get(d, "category"));
	return CIOT_OK;
}

enum ciot_rc ciot_manifest_open(struct ciot_manifest_writer **out, const char *dataset_dir,
				const struct ciot_manifest_device *dev, const char **category, char *errbuf)
{
	*out = NULL;
	struct ciot_manifest_writer *w = calloc(1, sizeof *w);
	if (!w)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc;
	if (snprintf(w->dir, sizeof w->dir, "%s", dataset_dir) >= (int)sizeof w->dir ||
	    snprintf(w->path, sizeof w->path, "%s/manifest.json", dataset_dir) >= (int)sizeof w->path ||
	    snprintf(w->device, sizeof w->device, "%s", dev->id) >= (int)sizeof w->device) {
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "path or device name too long");
		goto fail;
	}
	/* the id becomes a folder and file names: the manifest's own rule, checked before any mkdir */
	if (!ciot_dataset_valid_id(dev->id)) {
		rc = ciot_fail(errbuf, CIOT_ERR_ARG,
			       "device \"%s\": only letters, digits, '_', '-' and '.', not starting with '.'", dev->id);
		goto fail;
	}
	char device_dir[PATH_MAX];
	snprintf(device_dir, sizeof device_dir, "%s/%s", dataset_dir, dev->id);
	if ((rc = make_dirs(device_dir, errbuf)))
		goto fail;
	if (access(w->path, F_OK) == 0) {
		/* extend only a manifest ciot-analyze reads: a broken one is the researcher's to mend */
		struct ciot_dataset *check = ciot_dataset_new();
		char detail[CIOT_ERRBUF_SIZE];
		rc = check ? ciot_dataset_load_manifest(check, w->path, detail)
			   : ciot_fail(detail, CIOT_ERR_NOMEM, "out of memory");
		ciot_dataset_delete(check);
		if (rc) {
			ciot_fail(errbuf, rc, "%s: %s", w->path, detail);
			goto fail;
		}
		json_error_t jerr;
		w->root = json_load_file(w->path, JSON_REJECT_DUPLICATES, &jerr);
		if (!w->root) {
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", w->path, jerr.text);
			goto fail;
		}
	} else {
		const char *base = strrchr(dataset_dir, '/');
		base = base && base[1] ? base + 1 : dataset_dir;
		w->root = json_pack("{s:i, s:s, s:[], s:[]}", "ciot_manifest", 1, "name", base, "devices", "captures");
		if (!w->root) {
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "the dataset folder's name is not valid UTF-8");
			goto fail;
		}
	}
	if (dev->home_country) {
		const char *h = dev->home_country;
		if (strlen(h) != 2 || h[0] < 'A' || h[0] > 'Z' || h[1] < 'A' || h[1] > 'Z') {
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "home country \"%s\" is not an ISO 3166 alpha-2 code such as US", h);
			goto fail;
		}
		const char *have = json_string_value(json_object_get(w->root, "home_country"));
		if (have && strcmp(have, h)) {
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "the manifest's home country is %s, not %s", have, h);
			goto fail;
		}
		json_object_set_new(w->root, "home_country", json_string(h));
	}
	if (!json_object_get(w->root, "runs"))
		json_object_set_new(w->root, "runs", json_array());
	for (size_t i = 0; i < dev->nmacs + dev->nips; i++) {
		uint8_t bin[16];
		const char *a = i < dev->nmacs ? dev->macs[i] : dev->ips[i - dev->nmacs];
		if (i < dev->nmacs ? !ciot_mac_parse(a, bin) : !ciot_addr_parse(a, bin)) {
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\" is not %s address", a, i < dev->nmacs ? "a MAC" : "an IP");
			goto fail;
		}
	}
	if ((rc = ensure_device(w, dev, category, errbuf)))
		goto fail;
	*out = w;
	return CIOT_OK;
fail:
	ciot_manifest_close(w);
	return rc;
}

json_t *ciot_manifest_add_capture(struct ciot_manifest_writer *w, const char *file, enum ciot_phase phase,
				  const char *subphase)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "file", file, "device", w->device, "phase",
			      ciot_phase_name(phase), "subphase", subphase);
	json_array_append_new(json_object_get(w->root, "captures"), c);
	return c;
}

void ciot_manifest_remove_capture(struct ciot_manifest_writer *w, json_t *entry)
{
	json_t *captures = json_object_get(w->root, "captures"), *c;
	size_t i;
	json_array_foreach(captures, i, c) if (c == entry) {
		json_array_remove(captures, i);
		return;
	}
}

json_t *ciot_manifest_add_run(struct ciot_manifest_writer *w)
{
	json_t *r = json_object();
	json_array_append_new(json_object_get(w->root, "runs"), r);
	return r;
}

/* Is `file` named by any capture, or any run's discarded attempts? */
static bool file_in_manifest(json_t *root, const char *file)
{
	json_t *c, *r, *d;
	size_t i, j;
	json_array_foreach(json_object_get(root, "captures"), i, c) {
		json_t *f = json_object_get(c, "file");
		if (json_is_string(f) && !strcmp(json_string_value(f), file))
			return true;
	}
	json_array_foreach(json_object_get(root, "runs"), i, r) json_array_foreach(json_object_get(r, "discarded"), j, d)
	{
		json_t *f = json_object_get(d, "file");
		if (json_is_string(f) && !strcmp(json_string_value(f), file))
			return true;
	}
	return false;
}

enum ciot_rc ciot_manifest_step_file(struct ciot_manifest_writer *w, const char *step, char *out, size_t len,
				     char *errbuf)
{
	for (unsigned n = 1; n < 10000; n++) {
		char suffix[16] = "";
		if (n > 1)
			snprintf(suffix, sizeof suffix, "_%u", n);
		if (snprintf(out, len, "%s/%s_%s%s.pcap", w->device, w->device, step, suffix) >= (int)len)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "file name too long");
		char full[PATH_MAX * 2];
		snprintf(full, sizeof full, "%s/%s", w->dir, out);
		if (access(full, F_OK) != 0 && errno == ENOENT && !file_in_manifest(w->root, out))
			return CIOT_OK;
	}
	return ciot_fail(errbuf, CIOT_ERR_ARG, "no free file name for step %s", step);
}

static enum ciot_rc write_all(int fd, const char *text, size_t n, char *errbuf)
{
	while (n > 0) {
		ssize_t got = write(fd, text, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			int err = got < 0 ? errno : ENOSPC;
			return ciot_fail(errbuf, err == ENOSPC || err == EDQUOT ? CIOT_ERR_NOSPACE : CIOT_ERR_IO, "write: %s",
					 strerror(err));
		}
		text += got;
		n -= (size_t)got;
	}
	return CIOT_OK;
}

enum ciot_rc ciot_manifest_save(struct ciot_manifest_writer *w, char *errbuf)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof tmp, "%s/.manifest.json.tmp", w->dir);
	char *text = json_dumps(w->root, JSON_INDENT(2));
	if (!text)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = CIOT_OK;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = ciot_fail(errbuf, errno == ENOSPC ? CIOT_ERR_NOSPACE : CIOT_ERR_IO, "%s: %s", tmp, strerror(errno));
		free(text);
		return rc;
	}
	rc = write_all(fd, text, strlen(text), errbuf);
	if (!rc)
		rc = write_all(fd, "\n", 1, errbuf);
	free(text);
	if (!rc && fsync(fd) != 0)
		rc = ciot_fail(errbuf, errno == ENOSPC ? CIOT_ERR_NOSPACE : CIOT_ERR_IO, "fsync: %s", strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "close: %s", strerror(errno));
	if (!rc) {
		struct ciot_dataset *check = ciot_dataset_new();
		char detail[CIOT_ERRBUF_SIZE];
		if (!check)
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		else if (ciot_dataset_load_manifest(check, tmp, detail))
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "the new manifest would not be readable: %s", detail);
		ciot_dataset_delete(check);
	}
	if (!rc && rename(tmp, w->path) != 0)
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", w->path, strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return CIOT_OK;
}

const char *ciot_manifest_dir(const struct ciot_manifest_writer *w) { return w->dir; }

void ciot_manifest_close(struct ciot_manifest_writer *w)
{
	if (!w)
		return;
	json_decref(w->root);
	free(w);
}
