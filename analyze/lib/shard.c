/* shard.c: one capture file read by several workers (-j N on fewer files than N), with the same
 * result as one worker's.
 *
 * The calling thread reads the file and does what must see every packet in the file's order: it
 * puts each frame in its lifecycle step, counts it, decodes it, resolves IP fragments, tracks the
 * flow in a flow table of its own (the same table, timeouts and limit one worker keeps, so flows
 * start and end exactly where they would), shows each new flow to the device tracker, and runs
 * nDPI until the flow is classified (nDPI remembers hosts across flows in its module's caches, so
 * one module must see every flow in order). Each flow is given to a worker when it starts (in
 * turn). The decoded packet, its bytes and nDPI's verdict so far go into a bounded ring
 * (RING_BYTES, no allocation per packet), and so does each flow's end, with its reason, its place
 * in the file's order of flow ends and nDPI's final verdict.
 *
 * Every worker reads every entry of the ring and takes those of its flows: packets go through
 * the rest of the pipeline (its flow table, the TCP follower, the analyzers), and a flow ends in
 * its table when the reading thread says so (a managed table: flow.h). Each worker keeps its
 * flows' records, names and analyzers' capture results in a capture result of its own; when the
 * file is read the records are merged in the file's order of flow ends, names re-interned, and
 * each analyzer merges its own capture results (capture_merge, analyzer.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline-internal.h"

#define RING_BYTES (8u << 20) /* the ring: a few thousand frames in flight */
#define RING_ALIGN 64u
#define PUBLISH_EVERY 512u    /* entries between publications of the ring's positions */
#define SPINS 200             /* looks at the ring before sleeping on it */
#define PROGRESS_EVERY 4096u
#define MAX_SHARDS 64u

enum entry_kind { ENTRY_PACKET, ENTRY_FLOW_END, ENTRY_SEGMENT, ENTRY_WRAP, ENTRY_END };

/* One entry of the ring; a packet's bytes follow it, and its pointers point into them. */
struct entry {
	uint32_t size; /* of the whole entry, a multiple of RING_ALIGN */
	uint8_t kind;
	uint8_t shard;   /* the worker whose flow it is */
	uint32_t segment;
	uint64_t frame;
	union {
		struct {
			struct ciot_packet pkt;
			uint8_t family; /* nDPI's verdict on the flow so far */
		} packet;
		struct {
			struct ciot_flow_key key;
			uint8_t reason;
			uint64_t seq;                 /* the flow's place among the file's flow ends */
			struct ciot_dpi_flow dpi;     /* nDPI's final verdict */
			char server_name[96];         /* its name of the server ("" none; nDPI keeps 80) */
		} end;
	} u;
};

#define HEADER_BYTES ((sizeof(struct entry) + RING_ALIGN - 1) / RING_ALIGN * RING_ALIGN)

struct tail {
	_Alignas(64) atomic_uint_fast64_t pos;
};

/* One writer, n readers that each read every entry. Positions grow without wrapping. */
struct ring {
	unsigned char *buf;
	_Alignas(64) atomic_uint_fast64_t head;
	struct tail tail[MAX_SHARDS];
	unsigned nreaders;
	pthread_mutex_t lock;
	pthread_cond_t data, space;
	atomic_int data_sleepers, space_sleepers;
	/* a sleeping thread is woken only when there is a batch for it (WAKE_BYTES of entries, or a
	 * quarter of the ring free), not for every entry: fewer sleeps, fewer wake-ups */
	atomic_uint_fast64_t space_target; /* the writer sleeps until every reader is past it */
	atomic_bool closed;                /* the writer published its last entry */
};

#define WAKE_BYTES (RING_BYTES / 8)
#define SPACE_SLACK (RING_BYTES / 4)

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void wake(struct ring *g, atomic_int *sleepers, pthread_cond_t *cond)
{
	if (atomic_load(sleepers) > 0) {
		pthread_mutex_lock(&g->lock);
		pthread_cond_broadcast(cond);
		pthread_mutex_unlock(&g->lock);
	}
}

static uint64_t min_tail(struct ring *g)
{
	uint64_t m = UINT64_MAX;
	for (unsigned i = 0; i < g->nreaders; i++) {
		uint64_t t = atomic_load(&g->tail[i].pos);
		if (t < m)
			m = t;
	}
	return m;
}

/* The writer: waits until `need` bytes from `pos` are free (and, once asleep, a quarter more). */
static void wait_space(struct ring *g, uint64_t pos, size_t need)
{
	for (int i = 0; i < SPINS; i++) {
		if (pos + need - min_tail(g) <= RING_BYTES)
			return;
		cpu_relax();
	}
	uint64_t target = pos + need + SPACE_SLACK - RING_BYTES;
	pthread_mutex_lock(&g->lock);
	atomic_store(&g->space_target, target);
	atomic_fetch_add(&g->space_sleepers, 1);
	while (min_tail(g) < target)
		pthread_cond_wait(&g->space, &g->lock);
	atomic_fetch_sub(&g->space_sleepers, 1);
	pthread_mutex_unlock(&g->lock);
}

/* A reader moved its tail to `pos`: the writer is woken when it sleeps and this was what it waited
 * for (the last reader to pass its target wakes it). */
static void wake_writer(struct ring *g, uint64_t pos)
{
	if (atomic_load(&g->space_sleepers) > 0 && pos >= atomic_load(&g->space_target))
		wake(g, &g->space_sleepers, &g->space);
}

/* A reader: waits until the writer has published past `pos` (once asleep, a batch of entries, or
 * the last); returns the published head. */
static uint64_t wait_data(struct ring *g, uint64_t pos)
{
	uint64_t h;
	for (int i = 0; i < SPINS; i++) {
		if ((h = atomic_load(&g->head)) > pos)
			return h;
		cpu_relax();
	}
	pthread_mutex_lock(&g->lock);
	atomic_fetch_add(&g->data_sleepers, 1);
	while ((h = atomic_load(&g->head)) <= pos || (h - pos < WAKE_BYTES && !atomic_load(&g->closed)))
		pthread_cond_wait(&g->data, &g->lock);
	atomic_fetch_sub(&g->data_sleepers, 1);
	pthread_mutex_unlock(&g->lock);
	return h;
}

/* The reader thread's side of the ring. */
struct writer {
	struct ring *g;
	uint64_t pos;        /* next byte to write */
	uint64_t woken;      /* the head when the readers were last woken */
	unsigned unpublished;
};

/* The head for the readers; sleeping readers woken once a batch is there, or when `force`d (the
 * writer is about to sleep, or is done). */
static void publish_head(struct writer *wr, bool force)
{
	atomic_store(&wr->g->head, wr->pos);
	wr->unpublished = 0;
	if (force || wr->pos - wr->woken >= WAKE_BYTES) {
		wr->woken = wr->pos;
		wake(wr->g, &wr->g->data_sleepers, &wr->g->data);
	}
}

static void publish(struct writer *wr)
{
	publish_head(wr, false);
}

/* Room for an entry of `size` bytes (header included), contiguous in the ring. */
static struct entry *reserve(struct writer *wr, size_t size)
{
	size = (size + RING_ALIGN - 1) / RING_ALIGN * RING_ALIGN;
	size_t off = wr->pos % RING_BYTES;
	if (off + size > RING_BYTES) {
		/* the rest of the ring is skipped: a wrap entry says so */
		size_t rest = RING_BYTES - off;
		if (wr->pos + rest - min_tail(wr->g) > RING_BYTES) {
			publish_head(wr, true);
			wait_space(wr->g, wr->pos, rest);
		}
		struct entry *e = (struct entry *)(void *)(wr->g->buf + off);
		e->size = (uint32_t)rest;
		e->kind = ENTRY_WRAP;
		wr->pos += rest;
		off = 0;
	}
	if (wr->pos + size - min_tail(wr->g) > RING_BYTES) {
		publish_head(wr, true);
		wait_space(wr->g, wr->pos, size);
	}
	struct entry *e = (struct entry *)(void *)(wr->g->buf + off);
	e->size = (uint32_t)size;
	return e;
}

static void commit(struct writer *wr, struct entry *e)
{
	wr->pos += e->size;
	if (++wr->unpublished == PUBLISH_EVERY)
		publish(wr);
}

/* A decoded packet into the ring, its bytes behind it and its pointers moved onto them. */
static void put_packet(struct writer *wr, const struct ciot_frame *fr, const struct ciot_packet *pkt, uint64_t frame,
		       unsigned shard, uint8_t family)
{
	struct entry *e = reserve(wr, HEADER_BYTES + fr->caplen);
	unsigned char *data = (unsigned char *)e + HEADER_BYTES;
	memcpy(data, fr->data, fr->caplen);
	e->kind = ENTRY_PACKET;
	e->shard = (uint8_t)shard;
	e->frame = frame;
	e->u.packet.family = family;
	e->u.packet.pkt = *pkt;
	/* every pointer of a decoded packet is into its frame (decode.c) */
#define MOVE(p) ((p) ? data + ((p) - fr->data) : NULL)
	e->u.packet.pkt.mac_src = MOVE(pkt->mac_src);
	e->u.packet.pkt.mac_dst = MOVE(pkt->mac_dst);
	e->u.packet.pkt.l3 = MOVE(pkt->l3);
	e->u.packet.pkt.payload = MOVE(pkt->payload);
#undef MOVE
	commit(wr, e);
}

static void put_mark(struct writer *wr, enum entry_kind kind, uint64_t frame, size_t segment)
{
	struct entry *e = reserve(wr, HEADER_BYTES);
	e->kind = (uint8_t)kind;
	e->frame = frame;
	e->segment = (uint32_t)segment;
	commit(wr, e);
}

/* ---- a worker: every entry of the ring, its own flows through the pipeline ---- */

struct shard {
	struct ciot_worker *w;
	struct ring *g;
	unsigned index;
	pthread_t thread;
};

/* A flow of this worker ends where the reading thread's ended: nDPI's verdict becomes the flow's,
 * then the flow table's end callback writes the record. */
static void end_flow(struct ciot_worker *w, const struct entry *e)
{
	struct ciot_flow *f = ciot_flow_table_find(w->flows, &e->u.end.key);
	if (!f) {
		w->result->out_of_memory = true; /* its start was lost for want of memory */
		return;
	}
	struct ciot_dpi_flow *dpi = &ciot_flow_core(f)->dpi;
	*dpi = e->u.end.dpi;
	dpi->server_name = 0;
	if (e->u.end.server_name[0]) {
		dpi->server_name = ciot_strpool_intern(&w->result->names, e->u.end.server_name,
						       strlen(e->u.end.server_name));
		if (!dpi->server_name)
			dpi->server_name_source = 0;
	}
	w->end_seq = e->u.end.seq;
	ciot_flow_table_end(w->flows, f, (enum ciot_flow_end)e->u.end.reason);
}

static void *shard_main(void *arg)
{
	struct shard *sh = arg;
	struct ring *g = sh->g;
	struct ciot_worker *w = sh->w;
	uint64_t pos = 0;
	unsigned unpublished = 0;
	for (;;) {
		uint64_t head = wait_data(g, pos);
		while (pos < head) {
			const struct entry *e = (const struct entry *)(const void *)(g->buf + pos % RING_BYTES);
			switch ((enum entry_kind)e->kind) {
			case ENTRY_PACKET:
				if (e->shard == sh->index) {
					w->frame = e->frame;
					w->family = e->u.packet.family;
					ciot_pipeline_packet(w, &e->u.packet.pkt);
				}
				break;
			case ENTRY_FLOW_END:
				if (e->shard == sh->index)
					end_flow(w, e);
				break;
			case ENTRY_SEGMENT:
				w->segment = e->segment; /* its flows were ended before */
				break;
			case ENTRY_WRAP:
				break;
			case ENTRY_END:
				atomic_store(&g->tail[sh->index].pos, pos + e->size);
				wake_writer(g, pos + e->size);
				return NULL;
			}
			pos += e->size;
			if (++unpublished == PUBLISH_EVERY) {
				atomic_store(&g->tail[sh->index].pos, pos);
				wake_writer(g, pos);
				unpublished = 0;
			}
		}
		atomic_store(&g->tail[sh->index].pos, pos);
		wake_writer(g, pos);
		unpublished = 0;
	}
}

/* ---- the reading thread: frames, steps, decoding, fragments, flows, nDPI ---- */

/* The reading thread's state of a flow. */
struct reader_flow {
	struct ciot_dpi_flow dpi;
	uint8_t shard;
};

struct reader {
	struct ciot_capture_result *r;
	struct writer wr;
	unsigned nshards, next_shard;
	size_t segment;
	uint64_t frame, seq;
	struct ciot_fragment_table *fragments;
	struct ciot_flow_table *flows;
	struct ciot_dpi *dpi;
};

/* The reading thread's flow table ended a flow: nDPI settles, and its worker is told. */
static void reader_flow_ended(void *ctx, struct ciot_flow *f, enum ciot_flow_end reason)
{
	struct reader *rd = ctx;
	struct reader_flow *rf = ciot_flow_slots(f);
	ciot_dpi_finish(rd->dpi, &rf->dpi, &rd->r->names);
	struct entry *e = reserve(&rd->wr, HEADER_BYTES);
	e->kind = ENTRY_FLOW_END;
	e->shard = rf->shard;
	e->frame = rd->frame;
	e->u.end.key = f->key;
	e->u.end.reason = (uint8_t)reason;
	e->u.end.seq = rd->seq++;
	e->u.end.dpi = rf->dpi;
	e->u.end.dpi.state = NULL;
	const char *name = ciot_strpool_get(&rd->r->names, rf->dpi.server_name);
	size_t len = name ? strnlen(name, sizeof e->u.end.server_name - 1) : 0;
	memcpy(e->u.end.server_name, name ? name : "", len);
	e->u.end.server_name[len] = 0;
	commit(&rd->wr, e);
}

/* As segment_for (pipeline.c): the flows end here, and the workers are told of the new step. */
static struct ciot_segment_result *reader_segment(struct reader *rd, int64_t ts)
{
	struct ciot_capture_result *r = rd->r;
	struct ciot_segment_result *s = &r->segments[rd->segment];
	if (!s->windowed)
		return s;
	size_t before = rd->segment;
	while (ts >= s->window_end && rd->segment + 1 < r->nsegments) {
		ciot_flow_table_flush(rd->flows, CIOT_FLOW_END_PHASE);
		s = &r->segments[++rd->segment];
	}
	if (rd->segment != before)
		put_mark(&rd->wr, ENTRY_SEGMENT, rd->frame, rd->segment);
	if (ts < s->window_start || ts >= s->window_end)
		return NULL;
	return s;
}

static void reader_packet(struct reader *rd, const struct ciot_frame *fr, const struct ciot_packet *pkt)
{
	struct ciot_capture_result *r = rd->r;
	int dir;
	bool created;
	struct ciot_flow *f = ciot_flow_table_packet(rd->flows, pkt, &dir, &created);
	if (!f) {
		r->out_of_memory = true;
		return;
	}
	struct reader_flow *rf = ciot_flow_slots(f);
	if (created) {
		rf->shard = (uint8_t)(rd->next_shard++ % rd->nshards);
		ciot_device_observe(&r->tracker, pkt);
	}
	if (!pkt->later_fragment && !rf->dpi.done)
		ciot_dpi_packet(rd->dpi, &rf->dpi, pkt, &r->names);
	put_packet(&rd->wr, fr, pkt, rd->frame, rf->shard, (uint8_t)ciot_dpi_family(&rf->dpi));
}

static void reader_frame(struct reader *rd, const struct ciot_frame *fr)
{
	struct ciot_segment_result *s = reader_segment(rd, fr->ts_us);
	if (!s) {
		rd->r->frames_outside_windows++;
		return;
	}
	struct ciot_packet pkt;
	if (ciot_frame_count_decode(s, rd->fragments, fr, &pkt) == CIOT_DECODE_OK)
		reader_packet(rd, fr, &pkt);
}

static enum ciot_rc read_all(struct reader *rd, struct ciot_capture_file *file, struct ciot_progress *progress,
			     volatile sig_atomic_t *stop, char *errbuf)
{
	enum ciot_rc rc;
	uint64_t since_progress = 0, reported_bytes = 0;
	for (;; rd->frame++) {
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
		if (fr.caplen > RING_BYTES / 4) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "frame %llu: %u bytes captured, more than %u",
				       (unsigned long long)rd->frame + 1, fr.caplen, RING_BYTES / 4);
			break;
		}
		reader_frame(rd, &fr);
	}
	if (progress) {
		atomic_fetch_add(&progress->bytes_done, ciot_capture_bytes_read(file) - reported_bytes);
		atomic_fetch_add(&progress->frames, since_progress);
	}
	return rc;
}

/* ---- the merge: the shards' results into the capture's, in one worker's order ---- */

static uint32_t reintern(struct ciot_strpool *to, const struct ciot_strpool *from, uint32_t id, bool *oom)
{
	if (!id)
		return 0;
	const char *s = ciot_strpool_get(from, id);
	uint32_t n = ciot_strpool_intern(to, s, strlen(s));
	if (!n)
		*oom = true;
	return n;
}

static enum ciot_rc merge_segment(struct ciot_capture_result *r, size_t si, struct ciot_worker *const *workers,
				  struct ciot_capture_result *shards, size_t n, char *errbuf)
{
	size_t size = r->analysis->record_size, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (workers[i]->keys[si].n != shards[i].segments[si].nflows)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory while tracking flows");
		total += shards[i].segments[si].nflows;
	}
	struct ciot_segment_result *s = &r->segments[si];
	if (!total)
		return CIOT_OK;
	s->flows = malloc(total * size);
	if (!s->flows)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->flows_cap = total;
	size_t at[MAX_SHARDS] = { 0 };
	bool oom = false;
	for (size_t k = 0; k < total; k++) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (at[i] < shards[i].segments[si].nflows &&
			    (best == n || workers[i]->keys[si].seq[at[i]] < workers[best]->keys[si].seq[at[best]]))
				best = i;
		struct ciot_capture_result *from = &shards[best];
		struct ciot_flow_record *f = (struct ciot_flow_record *)(void *)(s->flows + k * size);
		memcpy(f, from->segments[si].flows + at[best] * size, size);
		at[best]++;
		f->shard = (uint8_t)best;
		f->server_name = reintern(&r->names, &from->names, f->server_name, &oom);
		f->app_name = reintern(&r->proto_names, &from->proto_names, f->app_name, &oom);
		f->category_name = reintern(&r->proto_names, &from->proto_names, f->category_name, &oom);
	}
	s->nflows = total;
	for (size_t i = 0; i < n; i++)
		shards[i].segments[si].nflows = 0; /* what the records own is r's now */
	if (oom)
		r->out_of_memory = true;
	return CIOT_OK;
}

static enum ciot_rc merge(struct ciot_capture_result *r, struct ciot_worker *const *workers,
			  struct ciot_capture_result *shards, size_t n, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; i < n; i++)
		if (shards[i].out_of_memory)
			r->out_of_memory = true;
	for (size_t si = 0; !rc && si < r->nsegments; si++)
		rc = merge_segment(r, si, workers, shards, n, errbuf);
	struct ciot_capture_result *ptrs[MAX_SHARDS];
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &shards[i];
	for (size_t k = 0; !rc && k < ciot_nanalyzers; k++)
		if (r->analysis->on[k] && ciot_analyzers[k]->capture_merge)
			rc = ciot_analyzers[k]->capture_merge(r, ptrs, n, k, errbuf);
	return rc;
}

enum ciot_rc ciot_analyze_capture_sharded(struct ciot_worker *const *all, size_t nall, const struct ciot_dataset *ds,
					  const struct ciot_capture *c, struct ciot_capture_result *r,
					  struct ciot_progress *progress, volatile sig_atomic_t *stop, char *errbuf)
{
	if (nall < 3)
		return ciot_analyze_capture(all[0], ds, c, r, progress, stop, errbuf);
	struct ciot_worker *const *workers = all + 1;
	size_t n = nall - 1 > MAX_SHARDS ? MAX_SHARDS : nall - 1;
	const struct ciot_analysis *a = all[0]->analysis;
	struct ciot_capture_result *shards = calloc(n, sizeof *shards);
	struct ring *g = calloc(1, sizeof *g);
	struct shard *sh = calloc(n, sizeof *sh);
	struct reader rd = { .r = r, .nshards = (unsigned)n, .dpi = all[0]->dpi };
	rd.fragments = calloc(1, sizeof *rd.fragments);
	rd.flows = ciot_flow_table_new(a->config->max_flows, &a->config->timeouts, sizeof(struct reader_flow),
				       reader_flow_ended, &rd);
	enum ciot_rc rc = CIOT_OK;
	if (!shards || !g || !rd.fragments || !rd.flows || !sh || !(g->buf = malloc(RING_BYTES))) {
		memset(r, 0, sizeof *r);
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		goto out;
	}
	rd.wr.g = g;
	g->nreaders = (unsigned)n;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->data, NULL);
	pthread_cond_init(&g->space, NULL);
	/* the capture's own result (its analyzers' results receive the merge), then each worker's */
	all[0]->sharded = false;
	rc = ciot_pipeline_begin(all[0], ds, c, r, errbuf);
	for (size_t i = 0; !rc && i < n; i++) {
		workers[i]->sharded = true;
		ciot_flow_table_set_managed(workers[i]->flows, true);
		rc = ciot_pipeline_begin(workers[i], ds, c, &shards[i], errbuf);
	}
	struct ciot_capture_file *file = NULL;
	if (!rc)
		rc = ciot_capture_open(&file, c->path, errbuf);
	if (!rc) {
		r->format = ciot_capture_format_of(file);
		r->file_size = ciot_capture_size(file);
		size_t started = 0;
		for (; started < n; started++) {
			sh[started] = (struct shard){ .w = workers[started], .g = g, .index = (unsigned)started };
			if (pthread_create(&sh[started].thread, NULL, shard_main, &sh[started]))
				break;
		}
		if (started < n) {
			g->nreaders = (unsigned)started; /* nothing is read: the END below lets them go */
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "could not start %zu threads", n);
		}
		if (!rc)
			rc = read_all(&rd, file, progress, stop, errbuf);
		ciot_flow_table_flush(rd.flows, CIOT_FLOW_END_CAPTURE);
		put_mark(&rd.wr, ENTRY_END, UINT64_MAX, rd.segment);
		atomic_store(&g->closed, true);
		publish_head(&rd.wr, true);
		for (size_t i = 0; i < started; i++)
			pthread_join(sh[i].thread, NULL);
		r->truncated = ciot_capture_truncated(file);
		ciot_capture_close(file);
	}
	if (!rc)
		rc = merge(r, workers, shards, n, errbuf);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->data);
	pthread_cond_destroy(&g->space);
out:
	for (size_t i = 0; shards && i < n; i++) {
		/* a worker holds flows still only when the read failed */
		if (workers[i]->result == &shards[i])
			ciot_flow_table_flush(workers[i]->flows, CIOT_FLOW_END_CAPTURE);
		if (shards[i].analysis)
			ciot_capture_result_free(&shards[i]);
		workers[i]->sharded = false;
		workers[i]->result = NULL;
		ciot_flow_table_set_managed(workers[i]->flows, false);
	}
	all[0]->result = NULL;
	ciot_flow_table_free(rd.flows);
	free(rd.fragments);
	free(shards);
	free(sh);
	if (g)
		free(g->buf);
	free(g);
	return rc ? rc : ciot_pipeline_end(all[0], r, errbuf);
}
