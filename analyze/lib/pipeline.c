/* pipeline.c: one capture file through the pipeline of pipeline.h, on one worker.
 *
 * A frame is decoded, put in its lifecycle step, counted in its flow, shown to nDPI until the flow
 * is classified, then to every analyzer that is on, in registry order. When a flow ends its core
 * record is written and each analyzer moves its state into its result slot. When the file ends the
 * device is settled, every record learns which end is the device, and the analyzers finish (an
 * analyzer that must know the device, such as one judging the device's certificate chains, does
 * its work then).
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline-internal.h"

/* How often (in frames) a worker publishes progress and looks at the stop flag. */
#define PROGRESS_EVERY 4096u
#define FLOWS_INITIAL 1024u

static struct ciot_flow_core *flow_core(struct ciot_flow *f)
{
	return ciot_flow_slots(f);
}

static void *flow_state(const struct ciot_worker *w, struct ciot_flow *f, size_t k)
{
	return (unsigned char *)ciot_flow_slots(f) + w->analysis->state_offset[k];
}

/* Room for one more record in the current segment; NULL when memory ran out. */
static struct ciot_flow_record *new_record(struct ciot_worker *w)
{
	struct ciot_segment_result *s = &w->result->segments[w->segment];
	size_t size = w->analysis->record_size;
	if (s->nflows == s->flows_cap) {
		size_t cap = s->flows_cap ? s->flows_cap * 2 : FLOWS_INITIAL;
		unsigned char *grown = realloc(s->flows, cap * size);
		if (!grown)
			return NULL;
		s->flows = grown;
		s->flows_cap = cap;
	}
	struct ciot_flow_record *r = (struct ciot_flow_record *)(void *)(s->flows + s->nflows * size);
	memset(r, 0, size);
	s->nflows++;
	return r;
}

/* The core part of a finished flow's record; nDPI's numbers become names here, while the worker's
 * nDPI module that knows them is at hand. */
static void fill_record(struct ciot_worker *w, struct ciot_flow_record *r, struct ciot_flow *f,
			enum ciot_flow_end reason)
{
	struct ciot_capture_result *res = w->result;
	const struct ciot_dpi_flow *dpi = &flow_core(f)->dpi;
	for (int end = 0; end < 2; end++) {
		memcpy(r->addr[end], ciot_flow_addr(f, end), 16);
		r->port[end] = ciot_flow_port(f, end);
		r->dir[end] = f->dir[end];
	}
	r->proto = f->key.proto;
	r->ip_version = f->ip_version;
	r->end_reason = (uint8_t)reason;
	r->device_end = -1;
	r->dpi_guessed = dpi->guessed;
	r->server_name = dpi->server_name;
	r->server_name_source = dpi->server_name_source;
	r->family = (uint8_t)ciot_dpi_family(dpi);
	r->first_ts = f->first_ts;
	r->last_ts = f->last_ts;
	char app[64];
	ciot_dpi_name(w->dpi, dpi, app, sizeof app);
	const char *category = ciot_dpi_category_name(w->dpi, dpi);
	r->app_name = ciot_strpool_intern(&res->proto_names, app, strlen(app));
	r->category_name = ciot_strpool_intern(&res->proto_names, category, strlen(category));
	if (!r->app_name || !r->category_name)
		res->out_of_memory = true;
}

/* A shard's flow ended: its place in the file's order of flow ends (shard.c). */
static void keep_end_key(struct ciot_worker *w)
{
	struct ciot_end_keys *k = &w->keys[w->segment];
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : FLOWS_INITIAL;
		uint64_t *grown = realloc(k->seq, cap * sizeof *grown);
		if (!grown) {
			w->result->out_of_memory = true;
			return;
		}
		k->seq = grown;
		k->cap = cap;
	}
	k->seq[k->n++] = w->end_seq;
}

/* The flow table's end callback: settle nDPI, write the record, let each analyzer finish the flow.
 * Every analyzer's flow_end runs even without a record, to release what its state holds. */
void ciot_pipeline_flow_ended(void *ctx, struct ciot_flow *f, enum ciot_flow_end reason)
{
	struct ciot_worker *w = ctx;
	struct ciot_capture_result *res = w->result;
	ciot_dpi_finish(w->dpi, &flow_core(f)->dpi, &res->names);
	struct ciot_flow_record *r = new_record(w);
	if (!r)
		res->out_of_memory = true;
	else
		fill_record(w, r, f, reason);
	if (r && w->sharded)
		keep_end_key(w);
	struct ciot_flow_end_context fe = { .capture = res, .record = r,
					    .family = ciot_dpi_family(&flow_core(f)->dpi) };
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (!w->analysis->on[k] || !an->flow_end)
			continue;
		an->flow_end(w->analyzer[k], flow_state(w, f, k), r ? ciot_flow_result(res, r, k) : NULL, res->results[k],
			     &fe);
	}
}

enum ciot_rc ciot_worker_new(struct ciot_worker **out, const struct ciot_analysis *a, char *errbuf)
{
	*out = NULL;
	struct ciot_worker *w = calloc(1, sizeof *w);
	if (!w)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	w->analysis = a;
	enum ciot_rc rc = ciot_dpi_new(&w->dpi, errbuf);
	if (rc) {
		free(w);
		return rc;
	}
	w->flows = ciot_flow_table_new(a->config->max_flows, &a->config->timeouts, a->slot_bytes, ciot_pipeline_flow_ended, w);
	if (!w->flows) {
		ciot_worker_free(w);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	for (size_t k = 0; k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (a->on[k] && an->worker_new && (rc = an->worker_new(&w->analyzer[k], a->run[k], errbuf))) {
			ciot_worker_free(w);
			return rc;
		}
	}
	*out = w;
	return CIOT_OK;
}

void ciot_worker_free(struct ciot_worker *w)
{
	if (!w)
		return;
	ciot_flow_table_free(w->flows);
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (w->analyzer[k] && ciot_analyzers[k]->worker_free)
			ciot_analyzers[k]->worker_free(w->analyzer[k]);
	ciot_dpi_free(w->dpi);
	for (size_t i = 0; i < w->nkeys; i++)
		free(w->keys[i].seq);
	free(w->keys);
	free(w);
}

void ciot_capture_result_free(struct ciot_capture_result *r)
{
	const struct ciot_analysis *a = r->analysis;
	for (size_t i = 0; a && i < r->nsegments; i++) {
		struct ciot_segment_result *s = &r->segments[i];
		for (size_t k = 0; k < ciot_nanalyzers; k++) {
			if (!ciot_analyzers[k]->flow_result_free)
				continue;
			for (size_t f = 0; f < s->nflows; f++)
				ciot_analyzers[k]->flow_result_free(ciot_flow_result(r, ciot_segment_flow(r, s, f), k));
		}
		free(s->flows);
	}
	for (size_t k = 0; a && k < ciot_nanalyzers; k++)
		if (r->results[k] && ciot_analyzers[k]->capture_result_free)
			ciot_analyzers[k]->capture_result_free(r->results[k]);
	free(r->segments);
	ciot_strpool_free(&r->names);
	ciot_strpool_free(&r->proto_names);
	memset(r, 0, sizeof *r);
}

static enum ciot_rc make_segments(const struct ciot_capture *c, struct ciot_capture_result *r, char *errbuf)
{
	r->nsegments = c->nwindows ? c->nwindows : 1;
	r->segments = calloc(r->nsegments, sizeof *r->segments);
	if (!r->segments)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (!c->nwindows) {
		r->segments[0].phase = c->phase;
		r->segments[0].subphase = c->subphase;
		return CIOT_OK;
	}
	for (size_t i = 0; i < c->nwindows; i++) {
		struct ciot_segment_result *s = &r->segments[i];
		s->phase = c->windows[i].phase;
		s->subphase = c->windows[i].subphase;
		s->windowed = true;
		s->window_start = c->windows[i].start_us;
		s->window_end = c->windows[i].end_us;
	}
	return CIOT_OK;
}

/* Flushes the flows of the current segment when a frame is past its window and finds the frame's
 * segment; NULL when the frame falls between windows (or after the last). Windows are sorted and
 * frames come in time order, so this is a forward walk. */
static struct ciot_segment_result *segment_for(struct ciot_worker *w, int64_t ts)
{
	struct ciot_capture_result *r = w->result;
	struct ciot_segment_result *s = &r->segments[w->segment];
	if (!s->windowed)
		return s;
	while (ts >= s->window_end && w->segment + 1 < r->nsegments) {
		ciot_flow_table_flush(w->flows, CIOT_FLOW_END_PHASE);
		s = &r->segments[++w->segment];
	}
	if (ts < s->window_start || ts >= s->window_end)
		return NULL;
	return s;
}

/* A decoded packet: its flow, nDPI until the flow is classified, then every analyzer that is on. */
void ciot_pipeline_packet(struct ciot_worker *w, const struct ciot_packet *pkt)
{
	struct ciot_capture_result *r = w->result;
	int dir;
	bool created;
	struct ciot_flow *f = ciot_flow_table_packet(w->flows, pkt, &dir, &created);
	if (!f) {
		r->out_of_memory = true;
		return;
	}
	struct ciot_flow_core *core = flow_core(f);
	enum ciot_dpi_family family;
	if (w->sharded) {
		/* the reading thread saw it (the device tracker, nDPI): shard.c */
		family = (enum ciot_dpi_family)w->family;
	} else {
		if (created)
			ciot_device_observe(&r->tracker, pkt);
		if (!pkt->later_fragment && !core->dpi.done)
			ciot_dpi_packet(w->dpi, &core->dpi, pkt, &r->names);
		family = ciot_dpi_family(&core->dpi);
	}
	struct ciot_packet_context pc = { .pkt = pkt, .dir = dir, .family = family,
					  .segment = w->segment, .frame = w->frame, .capture = r,
					  .needs = w->analysis->needs };
	if (!pkt->later_fragment)
		pc.tcp = ciot_tcp_follow(&core->tcp[dir], pkt);
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (w->analysis->on[k] && ciot_analyzers[k]->packet)
			ciot_analyzers[k]->packet(w->analyzer[k], flow_state(w, f, k), r->results[k], &pc);
}

enum ciot_decode_result ciot_frame_count_decode(struct ciot_segment_result *s, struct ciot_fragment_table *fragments,
					       const struct ciot_frame *fr, struct ciot_packet *pkt)
{
	s->frames++;
	s->frame_bytes += fr->wirelen;
	if (s->frames == 1 || fr->ts_us < s->first_ts)
		s->first_ts = fr->ts_us;
	if (s->frames == 1 || fr->ts_us > s->last_ts)
		s->last_ts = fr->ts_us;
	enum ciot_decode_result d = ciot_decode(fr, pkt);
	if (d == CIOT_DECODE_OK && !ciot_fragment_resolve(fragments, pkt))
		d = CIOT_DECODE_FRAGMENT_UNMATCHED;
	s->decode_counts[d]++;
	return d;
}

/* One frame: its step (or the count of frames outside every step), its counts, its decoding. */
static void frame(struct ciot_worker *w, const struct ciot_frame *fr)
{
	struct ciot_segment_result *s = segment_for(w, fr->ts_us);
	if (!s) {
		w->result->frames_outside_windows++;
		return;
	}
	struct ciot_packet pkt;
	if (ciot_frame_count_decode(s, &w->fragments, fr, &pkt) == CIOT_DECODE_OK)
		ciot_pipeline_packet(w, &pkt);
}

/* Every frame of the file, with progress published and the stop flag looked at now and then. */
static enum ciot_rc read_frames(struct ciot_worker *w, struct ciot_capture_file *file,
				struct ciot_progress *progress, volatile sig_atomic_t *stop, char *errbuf)
{
	enum ciot_rc rc;
	uint64_t since_progress = 0, reported_bytes = 0;
	for (;;) {
		struct ciot_frame fr;
		bool eof;
		if ((rc = ciot_capture_next(file, &fr, &eof, errbuf)) || eof)
			break;
		if (++since_progress == PROGRESS_EVERY) {
			if (progress) {
				uint64_t done = ciot_capture_bytes_read(file);
				atomic_fetch_add(&progress->bytes_done, done - reported_bytes);
				atomic_fetch_add(&progress->frames, since_progress);
				reported_bytes = done;
			}
			since_progress = 0;
			if (stop && *stop) {
				rc = ciot_fail(errbuf, CIOT_ERR_INTERRUPTED, "interrupted");
				break;
			}
		}
		frame(w, &fr);
		w->frame++;
	}
	if (progress) {
		atomic_fetch_add(&progress->bytes_done, ciot_capture_bytes_read(file) - reported_bytes);
		atomic_fetch_add(&progress->frames, since_progress);
	}
	return rc;
}

/* The device is known: which end of every record it is, and each step's share of it. */
static void orient(struct ciot_capture_result *r)
{
	for (size_t i = 0; i < r->nsegments; i++) {
		struct ciot_segment_result *s = &r->segments[i];
		for (size_t k = 0; k < s->nflows; k++) {
			struct ciot_flow_record *f = ciot_segment_flow(r, s, k);
			f->device_end = (int8_t)ciot_device_end(&r->tracker, f->addr[0], f->addr[1]);
			uint64_t packets = f->dir[0].packets + f->dir[1].packets;
			if (f->device_end < 0) {
				s->other_flows++;
				s->other_packets += packets;
			} else {
				s->device_flows++;
				s->device_packets += packets;
				s->device_bytes += f->dir[0].bytes + f->dir[1].bytes;
			}
		}
	}
}

enum ciot_rc ciot_pipeline_begin(struct ciot_worker *w, const struct ciot_dataset *ds, const struct ciot_capture *c,
				 struct ciot_capture_result *r, char *errbuf)
{
	memset(r, 0, sizeof *r);
	r->analysis = w->analysis;
	r->capture = c;
	r->device = &ds->devices[c->device];
	ciot_device_tracker_init(&r->tracker, r->device, w->analysis->config->all_flows);
	memset(&w->fragments, 0, sizeof w->fragments);
	enum ciot_rc rc = make_segments(c, r, errbuf);
	for (size_t k = 0; !rc && k < ciot_nanalyzers; k++) {
		const struct ciot_analyzer *an = ciot_analyzers[k];
		if (w->analysis->on[k] && an->capture_begin)
			rc = an->capture_begin(w->analyzer[k], r, &r->results[k], errbuf);
	}
	w->result = r;
	w->segment = 0;
	w->frame = 0;
	if (!rc && w->sharded && w->nkeys < r->nsegments) {
		struct ciot_end_keys *grown = realloc(w->keys, r->nsegments * sizeof *grown);
		if (!grown)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		memset(grown + w->nkeys, 0, (r->nsegments - w->nkeys) * sizeof *grown);
		w->keys = grown;
		w->nkeys = r->nsegments;
	}
	for (size_t i = 0; i < w->nkeys; i++)
		w->keys[i].n = 0;
	return rc;
}

enum ciot_rc ciot_pipeline_end(struct ciot_worker *w, struct ciot_capture_result *r, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	if (r->out_of_memory)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory while tracking flows");
	if (!rc)
		rc = ciot_device_resolve(&r->tracker, errbuf);
	if (rc)
		return rc;
	orient(r);
	for (size_t k = 0; k < ciot_nanalyzers; k++)
		if (w->analysis->on[k] && ciot_analyzers[k]->capture_end)
			ciot_analyzers[k]->capture_end(w->analyzer[k], r->results[k], r, k);
	return CIOT_OK;
}

enum ciot_rc ciot_analyze_capture(struct ciot_worker *w, const struct ciot_dataset *ds, const struct ciot_capture *c,
				  struct ciot_capture_result *r, struct ciot_progress *progress,
				  volatile sig_atomic_t *stop, char *errbuf)
{
	struct ciot_capture_file *file = NULL;
	enum ciot_rc rc = ciot_pipeline_begin(w, ds, c, r, errbuf);
	if (!rc && !(rc = ciot_capture_open(&file, c->path, errbuf))) {
		r->format = ciot_capture_format_of(file);
		r->file_size = ciot_capture_size(file);
		rc = read_frames(w, file, progress, stop, errbuf);
		ciot_flow_table_flush(w->flows, CIOT_FLOW_END_CAPTURE);
		r->truncated = ciot_capture_truncated(file);
		ciot_capture_close(file);
	}
	w->result = NULL;
	return rc ? rc : ciot_pipeline_end(w, r, errbuf);
}
