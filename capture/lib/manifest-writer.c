/* manifest-writer.c: extends a dataset's manifest.json with ciot-capture's devices, steps and runs,
 * atomically, and only with what ciot-analyze's reader accepts. */
#include "manifest-writer.h"

#include "ciot/addr.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The dataset's lock file: flock(2)ed by the run that writes the manifest, with its pid inside. */
#define LOCK_FILE ".ciot-capture.lock"

struct ciot_manifest_writer {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char device[CIOT_DATASET_MAX_FIELD];
	struct ciot_manifest_device dev; /* what the caller asked for, applied again under the lock */
	json_t *root;
	json_t *device_entry;
	int lock_fd;
	char added_macs[CIOT_DATASET_MAX_ADDRESSES * 18 + 1];
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

/* The entry's addresses under `key` ("mac" or "ip": a string or an array) as a new array. */
static json_t *address_list(json_t *entry, const char *key)
{
	json_t *have = json_object_get(entry, key);
	json_t *list = json_array();
	if (json_is_string(have))
		json_array_append(list, have);
	else if (json_is_array(have))
		json_array_extend(list, have);
	return list;
}

/* Is `addr` in the list? MACs compare as parsed, so that case and separators do not matter. */
static bool address_known(json_t *list, const char *addr)
{
	uint8_t want[16], got[16];
	bool mac = ciot_mac_parse(addr, want);
	size_t j;
	json_t *v;
	json_array_foreach(list, j, v) {
		const char *t = json_string_value(v);
		if (t && (mac ? ciot_mac_parse(t, got) && !memcmp(want, got, 6) : !strcasecmp(t, addr)))
			return true;
	}
	return false;
}

/* Appends the addresses the entry lacks; those appended are listed in `added` when not NULL. */
static void merge_addresses(json_t *entry, const char *key, const char *const *add, size_t n, char *added,
			    size_t added_len)
{
	if (n == 0)
		return;
	json_t *list = address_list(entry, key);
	for (size_t i = 0; i < n; i++) {
		if (address_known(list, add[i]))
			continue;
		json_array_append_new(list, json_string(add[i]));
		if (added) {
			size_t used = strlen(added);
			snprintf(added + used, added_len - used, "%s%s", used ? ", " : "", add[i]);
		}
	}
	json_object_set_new(entry, key, list);
}

/* A MAC given for a device the manifest already has, and not among its MACs, is most often a typo:
 * it is added only when the caller says so (--add-mac), else refused with the MACs it has. */
static enum ciot_rc check_new_macs(json_t *entry, const struct ciot_manifest_device *dev, char *errbuf)
{
	json_t *list = address_list(entry, "mac");
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; !rc && !dev->add_macs && json_array_size(list) > 0 && i < dev->nmacs; i++) {
		if (address_known(list, dev->macs[i]))
			continue;
		char *have = json_dumps(list, JSON_COMPACT);
		rc = ciot_fail(errbuf, CIOT_ERR_ARG,
			       "device \"%s\" has the MAC%s %s in the manifest, not %s: check --mac, or give --add-mac "
			       "to record %s as another MAC of the device",
			       dev->id, json_array_size(list) > 1 ? "s" : "", have ? have : "", dev->macs[i], dev->macs[i]);
		free(have);
	}
	json_decref(list);
	return rc;
}

static enum ciot_rc ensure_device(struct ciot_manifest_writer *w, const struct ciot_manifest_device *dev,
				  const char **category, char *errbuf)
{
	json_t *d = find_device(w->root, dev->id);
	bool existed = d != NULL;
	if (!d && dev->must_exist)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "device \"%s\" is not in %s", dev->id, w->path);
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
		enum ciot_rc rc = check_new_macs(d, dev, errbuf);
		if (rc)
			return rc;
	}
	if (dev->brand)
		json_object_set_new(d, "brand", json_string(dev->brand));
	w->added_macs[0] = 0;
	merge_addresses(d, "mac", dev->macs, dev->nmacs, existed ? w->added_macs : NULL, sizeof w->added_macs);
	merge_addresses(d, "ip", dev->ips, dev->nips, NULL, 0);
	w->device_entry = d;
	*category = json_string_value(json_object_get(d, "category"));
	return CIOT_OK;
}

/* Reads the manifest (or begins one in memory) and applies the caller's device to it. Called at
 * open, and again under the lock: another run may have saved in between. */
static enum ciot_rc load(struct ciot_manifest_writer *w, const char **category, char *errbuf)
{
	const struct ciot_manifest_device *dev = &w->dev;
	json_decref(w->root);
	w->root = NULL;
	w->device_entry = NULL;
	if (access(w->path, F_OK) == 0) {
		/* extend only a manifest ciot-analyze reads: a broken one is the researcher's to mend */
		struct ciot_dataset *check = ciot_dataset_new();
		char detail[CIOT_ERRBUF_SIZE];
		enum ciot_rc rc = check ? ciot_dataset_load_manifest(check, w->path, detail)
					: ciot_fail(detail, CIOT_ERR_NOMEM, "out of memory");
		ciot_dataset_delete(check);
		if (rc)
			return ciot_fail(errbuf, rc, "%s: %s", w->path, detail);
		json_error_t jerr;
		if (!(w->root = json_load_file(w->path, JSON_REJECT_DUPLICATES, &jerr)))
			return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", w->path, jerr.text);
	} else {
		const char *base = strrchr(w->dir, '/');
		base = base && base[1] ? base + 1 : w->dir;
		w->root = json_pack("{s:i, s:s, s:[], s:[]}", "ciot_manifest", 1, "name", base, "devices", "captures");
		if (!w->root)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "the dataset folder's name is not valid UTF-8");
	}
	if (dev->home_country) {
		const char *h = dev->home_country;
		if (strlen(h) != 2 || h[0] < 'A' || h[0] > 'Z' || h[1] < 'A' || h[1] > 'Z')
			return ciot_fail(errbuf, CIOT_ERR_ARG, "home country \"%s\" is not an ISO 3166 alpha-2 code such as US",
					 h);
		const char *have = json_string_value(json_object_get(w->root, "home_country"));
		if (have && strcmp(have, h))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "the manifest's home country is %s, not %s", have, h);
		json_object_set_new(w->root, "home_country", json_string(h));
	}
	if (!json_object_get(w->root, "runs"))
		json_object_set_new(w->root, "runs", json_array());
	for (size_t i = 0; i < dev->nmacs + dev->nips; i++) {
		uint8_t bin[16];
		const char *a = i < dev->nmacs ? dev->macs[i] : dev->ips[i - dev->nmacs];
		if (i < dev->nmacs ? !ciot_mac_parse(a, bin) : !ciot_addr_parse(a, bin))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\" is not %s address", a,
					 i < dev->nmacs ? "a MAC" : "an IP");
	}
	return ensure_device(w, dev, category, errbuf);
}

enum ciot_rc ciot_manifest_open(struct ciot_manifest_writer **out, const char *dataset_dir,
				const struct ciot_manifest_device *dev, const char **category, char *errbuf)
{
	*out = NULL;
	struct ciot_manifest_writer *w = calloc(1, sizeof *w);
	if (!w)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	w->lock_fd = -1;
	w->dev = *dev;
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
	if ((rc = load(w, category, errbuf)))
		goto fail;
	*out = w;
	return CIOT_OK;
fail:
	ciot_manifest_close(w);
	return rc;
}

/* The pid the lock file names, or "" when it names none. */
static void lock_holder(int fd, char *pid, size_t len)
{
	ssize_t n = pread(fd, pid, len - 1, 0);
	pid[n > 0 ? n : 0] = 0;
	pid[strspn(pid, "0123456789")] = 0;
}

enum ciot_rc ciot_manifest_lock(struct ciot_manifest_writer *w, const char **category, char *errbuf)
{
	if (w->lock_fd >= 0)
		return CIOT_OK;
	char path[PATH_MAX * 2];
	enum ciot_rc rc = make_dirs(w->dir, errbuf);
	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/" LOCK_FILE, w->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return ciot_fail(errbuf, errno == ENOSPC ? CIOT_ERR_NOSPACE : CIOT_ERR_IO, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		char pid[24];
		lock_holder(fd, pid, sizeof pid);
		close(fd);
		if (err != EWOULDBLOCK)
			return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(err));
		return ciot_fail(errbuf, CIOT_ERR_BUSY,
				 "dataset %s is in use by another ciot-capture run (%s%s): one run writes a dataset's "
				 "manifest at a time; wait for it to end, or use another --dataset",
				 w->dir, pid[0] ? "pid " : "pid unknown", pid);
	}
	char pid[24];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	/* the pid is for the message above; the lock is flock's, so a failed write changes nothing */
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
	}
	w->lock_fd = fd;
	snprintf(path, sizeof path, "%s/%s", w->dir, w->device);
	if ((rc = make_dirs(path, errbuf)))
		return rc;
	return load(w, category, errbuf);
}

const char *ciot_manifest_added_macs(const struct ciot_manifest_writer *w) { return w->added_macs; }

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

/* "attempt N: FILE (ended E)" for each of the device's entries of `step`, into `out`. */
static size_t list_attempts(json_t *captures, const char *device, const char *step, size_t *last, char *out,
			    size_t len)
{
	size_t found = 0, i, used = 0;
	json_t *c;
	out[0] = 0;
	json_array_foreach(captures, i, c) {
		const char *d = json_string_value(json_object_get(c, "device"));
		const char *sub = json_string_value(json_object_get(c, "subphase"));
		if (!d || !sub || strcmp(d, device) || strcmp(sub, step))
			continue;
		found++;
		*last = i;
		const char *ended = json_string_value(json_object_get(c, "ended"));
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%sattempt %zu: %s (ended %s)", found > 1 ? "; " : "",
						 found, json_string_value(json_object_get(c, "file")), ended ? ended : "?");
	}
	return found;
}

enum ciot_rc ciot_manifest_remove_step(struct ciot_manifest_writer *w, const char *step, unsigned attempt,
				       int64_t now_us, json_t **removed, char *errbuf)
{
	*removed = NULL;
	json_t *captures = json_object_get(w->root, "captures");
	char listed[CIOT_ERRBUF_SIZE / 2];
	size_t last = 0;
	size_t n = list_attempts(captures, w->device, step, &last, listed, sizeof listed);
	if (n == 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "device %s has no capture of step \"%s\" in the manifest",
				 w->device, step);
	if (attempt == 0 && n > 1)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "device %s has %zu captures of step %s (%s): say which with --attempt N",
				 w->device, n, step, listed);
	if (attempt > n)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "device %s has %zu capture%s of step %s, not %u (%s)", w->device, n,
				 n > 1 ? "s" : "", step, attempt, listed);
	size_t seen = 0, i, at = last;
	json_t *c;
	json_array_foreach(captures, i, c) {
		const char *d = json_string_value(json_object_get(c, "device"));
		const char *sub = json_string_value(json_object_get(c, "subphase"));
		if (d && sub && !strcmp(d, w->device) && !strcmp(sub, step) && ++seen == (attempt ? attempt : 1)) {
			at = i;
			break;
		}
	}
	json_t *entry = json_incref(json_array_get(captures, at));
	json_array_remove(captures, at);
	ciot_json_set_time(entry, "removed", now_us);
	json_t *run = ciot_manifest_add_run(w);
	json_object_set_new(run, "tool", json_string("ciot-capture " CIOT_VERSION));
	json_object_set_new(run, "device", json_string(w->device));
	json_object_set_new(run, "command", json_string("remove"));
	json_object_set_new(run, "removed", json_pack("[o]", entry));
	*removed = entry;
	return CIOT_OK;
}

json_t *ciot_manifest_add_run(struct ciot_manifest_writer *w)
{
	json_t *r = json_object();
	json_array_append_new(json_object_get(w->root, "runs"), r);
	return r;
}

static bool file_in_list(json_t *list, const char *file)
{
	json_t *c;
	size_t i;
	json_array_foreach(list, i, c) {
		json_t *f = json_object_get(c, "file");
		if (json_is_string(f) && !strcmp(json_string_value(f), file))
			return true;
	}
	return false;
}

/* Is `file` named by any capture, or any run's discarded or removed attempts? A name once given
 * is never given again, even after its file was deleted. */
static bool file_in_manifest(json_t *root, const char *file)
{
	if (file_in_list(json_object_get(root, "captures"), file))
		return true;
	json_t *r;
	size_t i;
	json_array_foreach(json_object_get(root, "runs"), i, r) {
		if (file_in_list(json_object_get(r, "discarded"), file) || file_in_list(json_object_get(r, "removed"), file))
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
	assert(w->lock_fd >= 0); /* only the run holding the lock writes the manifest */
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

size_t ciot_manifest_size(const struct ciot_manifest_writer *w)
{
	/* as ciot_manifest_save writes it: indented, and a final newline */
	size_t n = json_dumpb(w->root, NULL, 0, JSON_INDENT(2));
	return n + 1;
}

void ciot_manifest_close(struct ciot_manifest_writer *w)
{
	if (!w)
		return;
	if (w->lock_fd >= 0) {
		/* no pid left behind for a later holder's refusals to name */
		if (ftruncate(w->lock_fd, 0) != 0) {
		}
		close(w->lock_fd); /* releases the lock */
	}
	json_decref(w->root);
	free(w);
}
