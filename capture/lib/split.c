/* split.c: one long capture plus a timeline in, per-step pcap files and manifest entries out. */
#include "split.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciot/capture-file.h"
#include "manifest-writer.h"
#include "pcap-writer.h"
#include "timeline.h"

#define MAX_TIMELINE_BYTES (4u << 20)
#define SPLIT_SNAPLEN 262144u

struct step_out {
	char file[PATH_MAX];
	struct ciot_pcap_writer *w;
	struct ciot_pcap_writer_stats stats;
};

/* Step names become file names: a device id's characters, and short. */
static bool safe_name(const char *s) { return strlen(s) <= 64 && ciot_dataset_valid_id(s); }

/* The window holding ts, by binary search over windows sorted by start that do not overlap. */
static long find_window(const struct ciot_window *w, size_t n, int64_t ts)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w[mid].start_us <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && ts < w[lo - 1].end_us ? (long)lo - 1 : -1;
}

enum ciot_rc ciot_split(const struct ciot_split_options *o, struct ciot_split_result *r, char *errbuf)
{
	memset(r, 0, sizeof *r);
	char *text = NULL, detail[CIOT_ERRBUF_SIZE];
	struct ciot_window *win = NULL;
	size_t nwin = 0;
	struct step_out *out = NULL;
	struct ciot_capture_file *cap = NULL;
	struct ciot_manifest_writer *m = NULL;
	enum ciot_timeline_format format;
	enum ciot_rc rc;
	if (!(text = ciot_read_text_file(o->timeline_path, MAX_TIMELINE_BYTES, errbuf, &rc)))
		goto done;
	if ((rc = ciot_timeline_parse(text, o->tz_offset_s, &win, &nwin, &format, detail))) {
		ciot_fail(errbuf, rc, "%s: %s", o->timeline_path, detail);
		goto done;
	}
	r->lifecycle_format = format == CIOT_TIMELINE_LIFECYCLE;
	for (size_t i = 0; i < nwin; i++)
		if (!safe_name(win[i].subphase)) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: step \"%.64s\" cannot be a file name (letters, digits, '_', '-', '.')",
				       o->timeline_path, win[i].subphase);
			goto done;
		}
	if (o->firmware && strcmp(o->firmware, "pre") && strcmp(o->firmware, "post")) {
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "--firmware must be pre or post");
		goto done;
	}
	if ((rc = ciot_capture_open(&cap, o->capture_path, detail))) {
		ciot_fail(errbuf, rc, "%s: %s", o->capture_path, detail);
		goto done;
	}
	/* the manifest is opened only to learn names and the device; it is saved once, at the end */
	struct ciot_manifest_device dev = { .id = o->device, .category = o->category, .nmacs = o->nmacs, .nips = o->nips };
	memcpy(dev.macs, o->macs, sizeof dev.macs);
	memcpy(dev.ips, o->ips, sizeof dev.ips);
	const char *category;
	if ((rc = ciot_manifest_open(&m, o->dataset_dir, &dev, &category, detail))) {
		ciot_fail(errbuf, rc, "%s", detail);
		goto done;
	}
	out = calloc(nwin, sizeof *out);
	if (!out) {
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		goto done;
	}
	struct ciot_frame frame;
	bool eof = false, have = false;
	if ((rc = ciot_capture_next(cap, &frame, &eof, detail))) {
		ciot_fail(errbuf, rc, "%s: %s", o->capture_path, detail);
		goto done;
	}
	have = !eof;
	/* an empty capture gives empty step files of Ethernet frames */
	uint32_t linktype = have ? frame.linktype : 1;
	bool ns = ciot_capture_nanosecond(cap);
	for (size_t i = 0; i < nwin; i++) {
		if ((rc = ciot_manifest_step_file(m, win[i].subphase, out[i].file, sizeof out[i].file, errbuf)))
			goto done;
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", o->dataset_dir, out[i].file);
		if ((rc = ciot_pcap_writer_open(&out[i].w, path, linktype, SPLIT_SNAPLEN, ns, detail))) {
			ciot_fail(errbuf, rc, "%s", detail);
			goto done;
		}
	}
	while (have) {
		r->frames++;
		long k = find_window(win, nwin, frame.ts_us);
		if (frame.linktype != linktype)
			r->other_linktype++;
		else if (k < 0)
			r->outside++;
		else {
			int64_t ts_ns = frame.ts_us * 1000 + frame.ts_extra_ns;
			if ((rc = ciot_pcap_writer_add(out[k].w, ts_ns, frame.data, frame.caplen, frame.wirelen, detail))) {
				ciot_fail(errbuf, rc, "%s: %s", out[k].file, detail);
				goto done;
			}
			r->written++;
		}
		if ((rc = ciot_capture_next(cap, &frame, &eof, detail))) {
			ciot_fail(errbuf, rc, "%s: %s", o->capture_path, detail);
			goto done;
		}
		have = !eof;
	}
	r->truncated = ciot_capture_truncated(cap);
	for (size_t i = 0; i < nwin; i++) {
		ciot_pcap_writer_stats(out[i].w, &out[i].stats);
		rc = ciot_pcap_writer_close(out[i].w, detail);
		out[i].w = NULL;
		if (rc) {
			ciot_fail(errbuf, rc, "%s: %s", out[i].file, detail);
			goto done;
		}
	}
	for (size_t i = 0; i < nwin; i++) {
		json_t *e = ciot_manifest_add_capture(m, out[i].file, win[i].phase, win[i].subphase);
		if (o->firmware)
			json_object_set_new(e, "firmware", json_string(o->firmware));
		ciot_json_set_time(e, "start", win[i].start_us);
		ciot_json_set_time(e, "end", win[i].end_us);
		ciot_json_set_count(e, "packets", out[i].stats.packets);
		ciot_json_set_count(e, "bytes", out[i].stats.bytes);
		json_object_set_new(e, "ended", json_string("split"));
	}
	json_t *run = ciot_manifest_add_run(m);
	json_object_set_new(run, "tool", json_string("ciot-capture " CIOT_VERSION));
	json_object_set_new(run, "device", json_string(o->device));
	json_object_set_new(run, "split", json_string(o->capture_path));
	json_object_set_new(run, "timeline", json_string(o->timeline_path));
	json_object_set_new(run, "timeline_format", json_string(r->lifecycle_format ? "lifecycle" : "ciot"));
	if (r->lifecycle_format)
		json_object_set_new(run, "tz_offset_seconds", json_integer(o->tz_offset_s));
	ciot_json_set_count(run, "packets", r->frames);
	json_object_set_new(run, "outside_steps", json_pack("{s:I}", "packets", (json_int_t)r->outside));
	if (r->other_linktype)
		ciot_json_set_count(run, "other_linktype_packets", r->other_linktype);
	if (r->truncated)
		json_object_set_new(run, "truncated", json_true());
	json_object_set_new(run, "ended", json_string("split"));
	if ((rc = ciot_manifest_save(m, detail))) {
		ciot_fail(errbuf, rc, "%s/manifest.json: %s", o->dataset_dir, detail);
		goto done;
	}
	r->steps = nwin;
done:
	if (rc && out) {
		/* nothing half-done stays behind: the files this run made go */
		for (size_t i = 0; i < nwin; i++) {
			if (!out[i].file[0])
				continue;
			ciot_pcap_writer_close(out[i].w, NULL);
			char path[PATH_MAX * 2];
			snprintf(path, sizeof path, "%s/%s", o->dataset_dir, out[i].file);
			unlink(path);
		}
	}
	free(out);
	ciot_manifest_close(m);
	if (cap)
		ciot_capture_close(cap);
	ciot_windows_free(win, nwin);
	free(text);
	return rc;
}
