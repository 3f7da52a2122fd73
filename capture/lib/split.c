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

/* One split: its inputs, the step files being written, what was counted. */
struct split {
	const struct ciot_split_options *o;
	struct ciot_split_result *r;
	char *text;                        /* the timeline file */
	struct ciot_window *win;
	size_t nwin;
	struct step_out *out;              /* one per window */
	struct ciot_capture_file *cap;
	struct ciot_manifest_writer *m;
	char detail[CIOT_ERRBUF_SIZE];
};

/* The timeline, its steps' names checked (they become file names), and the firmware tag. */
static enum ciot_rc load_timeline(struct split *sp, char *errbuf)
{
	const struct ciot_split_options *o = sp->o;
	enum ciot_timeline_format format;
	enum ciot_rc rc;
	if (!(sp->text = ciot_read_text_file(o->timeline_path, MAX_TIMELINE_BYTES, errbuf, &rc)))
		return rc;
	if ((rc = ciot_timeline_parse(sp->text, o->tz_offset_s, &sp->win, &sp->nwin, &format, sp->detail)))
		return ciot_fail(errbuf, rc, "%s: %s", o->timeline_path, sp->detail);
	sp->r->lifecycle_format = format == CIOT_TIMELINE_LIFECYCLE;
	for (size_t i = 0; i < sp->nwin; i++)
		if (!safe_name(sp->win[i].subphase))
			return ciot_fail(errbuf, CIOT_ERR_FORMAT,
					 "%s: step \"%.64s\" cannot be a file name (letters, digits, '_', '-', '.')",
					 o->timeline_path, sp->win[i].subphase);
	if (o->firmware && strcmp(o->firmware, "pre") && strcmp(o->firmware, "post"))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--firmware must be pre or post");
	return CIOT_OK;
}

/* The manifest (opened only to learn names and the device; saved once, at the end) and one pcap
 * writer per step, of the capture's link type (Ethernet for an empty capture). */
static enum ciot_rc open_outputs(struct split *sp, uint32_t linktype, char *errbuf)
{
	const struct ciot_split_options *o = sp->o;
	struct ciot_manifest_device dev = { .id = o->device, .category = o->category, .brand = o->brand,
					    .home_country = o->home_country, .nmacs = o->nmacs, .nips = o->nips };
	memcpy(dev.macs, o->macs, sizeof dev.macs);
	memcpy(dev.ips, o->ips, sizeof dev.ips);
	const char *category;
	enum ciot_rc rc;
	dev.add_macs = o->add_macs;
	/* locked before the first file is made: a refused split leaves nothing behind */
	if ((rc = ciot_manifest_open(&sp->m, o->dataset_dir, &dev, &category, sp->detail)) ||
	    (rc = ciot_manifest_lock(sp->m, &category, sp->detail)))
		return ciot_fail(errbuf, rc, "%s", sp->detail);
	snprintf(sp->r->added_macs, sizeof sp->r->added_macs, "%s", ciot_manifest_added_macs(sp->m));
	if (!(sp->out = calloc(sp->nwin, sizeof *sp->out)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	bool ns = ciot_capture_nanosecond(sp->cap);
	for (size_t i = 0; i < sp->nwin; i++) {
		struct step_out *out = &sp->out[i];
		if ((rc = ciot_manifest_step_file(sp->m, sp->win[i].subphase, out->file, sizeof out->file, errbuf)))
			return rc;
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", o->dataset_dir, out->file);
		if ((rc = ciot_pcap_writer_open(&out->w, path, linktype, SPLIT_SNAPLEN, ns, sp->detail)))
			return ciot_fail(errbuf, rc, "%s", sp->detail);
	}
	return CIOT_OK;
}

/* Every frame to the step whose window holds it, from the one already read on. */
static enum ciot_rc copy_frames(struct split *sp, struct ciot_frame *frame, bool have, uint32_t linktype,
				char *errbuf)
{
	struct ciot_split_result *r = sp->r;
	enum ciot_rc rc;
	while (have) {
		r->frames++;
		long k = find_window(sp->win, sp->nwin, frame->ts_us);
		if (frame->linktype != linktype) {
			r->other_linktype++;
		} else if (k < 0) {
			r->outside++;
		} else {
			int64_t ts_ns = frame->ts_us * 1000 + frame->ts_extra_ns;
			if ((rc = ciot_pcap_writer_add(sp->out[k].w, ts_ns, frame->data, frame->caplen, frame->wirelen,
						       sp->detail)))
				return ciot_fail(errbuf, rc, "%s: %s", sp->out[k].file, sp->detail);
			r->written++;
		}
		bool eof;
		if ((rc = ciot_capture_next(sp->cap, frame, &eof, sp->detail)))
			return ciot_fail(errbuf, rc, "%s: %s", sp->o->capture_path, sp->detail);
		have = !eof;
	}
	r->truncated = ciot_capture_truncated(sp->cap);
	for (size_t i = 0; i < sp->nwin; i++) {
		ciot_pcap_writer_stats(sp->out[i].w, &sp->out[i].stats);
		rc = ciot_pcap_writer_close(sp->out[i].w, sp->detail);
		sp->out[i].w = NULL;
		if (rc)
			return ciot_fail(errbuf, rc, "%s: %s", sp->out[i].file, sp->detail);
	}
	return CIOT_OK;
}

/* The step files' entries and the run's, then the manifest saved. */
static enum ciot_rc record_manifest(struct split *sp, char *errbuf)
{
	const struct ciot_split_options *o = sp->o;
	const struct ciot_split_result *r = sp->r;
	for (size_t i = 0; i < sp->nwin; i++) {
		const struct ciot_window *w = &sp->win[i];
		json_t *e = ciot_manifest_add_capture(sp->m, sp->out[i].file, w->phase, w->subphase);
		if (o->firmware)
			json_object_set_new(e, "firmware", json_string(o->firmware));
		ciot_json_set_time(e, "start", w->start_us);
		ciot_json_set_time(e, "end", w->end_us);
		ciot_json_set_count(e, "packets", sp->out[i].stats.packets);
		ciot_json_set_count(e, "bytes", sp->out[i].stats.bytes);
		json_object_set_new(e, "ended", json_string("split"));
	}
	json_t *run = ciot_manifest_add_run(sp->m);
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
	enum ciot_rc rc = ciot_manifest_save(sp->m, sp->detail);
	if (rc)
		return ciot_fail(errbuf, rc, "%s/manifest.json: %s", o->dataset_dir, sp->detail);
	return CIOT_OK;
}

/* Releases a split; after a failure, nothing half-done stays behind: the files it made go. */
static void split_close(struct split *sp, bool failed)
{
	for (size_t i = 0; failed && sp->out && i < sp->nwin; i++) {
		if (!sp->out[i].file[0])
			continue;
		ciot_pcap_writer_close(sp->out[i].w, NULL);
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", sp->o->dataset_dir, sp->out[i].file);
		unlink(path);
	}
	free(sp->out);
	ciot_manifest_close(sp->m);
	if (sp->cap)
		ciot_capture_close(sp->cap);
	ciot_windows_free(sp->win, sp->nwin);
	free(sp->text);
}

enum ciot_rc ciot_split(const struct ciot_split_options *o, struct ciot_split_result *r, char *errbuf)
{
	memset(r, 0, sizeof *r);
	struct split sp = { .o = o, .r = r };
	struct ciot_frame frame;
	bool eof = false;
	enum ciot_rc rc = load_timeline(&sp, errbuf);
	if (!rc && (rc = ciot_capture_open(&sp.cap, o->capture_path, sp.detail)))
		ciot_fail(errbuf, rc, "%s: %s", o->capture_path, sp.detail);
	if (!rc && (rc = ciot_capture_next(sp.cap, &frame, &eof, sp.detail)))
		ciot_fail(errbuf, rc, "%s: %s", o->capture_path, sp.detail);
	/* an empty capture gives empty step files of Ethernet frames */
	uint32_t linktype = !rc && !eof ? frame.linktype : 1;
	if (!rc)
		rc = open_outputs(&sp, linktype, errbuf);
	if (!rc)
		rc = copy_frames(&sp, &frame, !eof, linktype, errbuf);
	if (!rc)
		rc = record_manifest(&sp, errbuf);
	if (!rc)
		r->steps = sp.nwin;
	split_close(&sp, rc != CIOT_OK);
	return rc;
}
