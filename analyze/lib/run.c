/* run.c: the workers over a dataset (ciot_analyze, pipeline.h): each takes the next capture,
 * analyzes it, stores it under the store's lock, and tells the caller what happened to it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "pipeline-internal.h"
#include "store.h"

struct shared {
	struct ciot_store *store;
	const struct ciot_dataset *ds;
	const struct ciot_analysis *a;
	struct ciot_progress *progress;
	volatile sig_atomic_t *stop;
	ciot_analysis_report_fn report;
	void *ctx;
	pthread_mutex_t lock; /* the store and the report callback */
	atomic_size_t next;
	size_t failed;
	enum ciot_rc first_error;
	char first_errbuf[CIOT_ERRBUF_SIZE];
};

static void finish_capture(struct shared *sh, const struct ciot_capture *c, enum ciot_rc rc, const char *msg)
{
	/* called with the lock held */
	if (rc) {
		sh->failed++;
		if (!sh->first_error || sh->first_error == CIOT_ERR_INTERRUPTED) {
			sh->first_error = rc;
			snprintf(sh->first_errbuf, sizeof sh->first_errbuf, "%s: %s", c->path, msg);
		}
	}
	if (sh->report)
		sh->report(sh->ctx, c, rc, msg);
	if (sh->progress)
		atomic_fetch_add(&sh->progress->files_done, 1);
}

/* What a researcher must know about a stored capture: how the device was found when it was
 * guessed, any loss (truncation, frames outside the timetable, traffic of other hosts), and where
 * the file disagrees with what ciot-capture recorded of it. */
static void describe_success(const struct ciot_capture *c, const struct ciot_capture_result *r, char *msg,
			     size_t len)
{
	size_t used = 0;
	msg[0] = 0;
	uint64_t frames = r->frames_outside_windows;
	for (size_t i = 0; i < r->nsegments; i++)
		frames += r->segments[i].frames;
	if (c->expected_packets >= 0 && (uint64_t)c->expected_packets != frames)
		used += (size_t)snprintf(msg + used, len - used,
					 "warning: the manifest says %lld packets, the file holds %llu",
					 (long long)c->expected_packets, (unsigned long long)frames);
	if (c->ended && !strcmp(c->ended, "running") && used < len)
		used += (size_t)snprintf(msg + used, len - used,
					 "%swarning: the capture tool stopped before it could close this step (\"ended\": "
					 "\"running\"); the file holds what reached the disk", used ? "; " : "");
	else if (c->ended && strcmp(c->ended, "operator") && strcmp(c->ended, "timer") && strcmp(c->ended, "split") &&
		 used < len)
		used += (size_t)snprintf(msg + used, len - used, "%snote: the step ended early (%s)", used ? "; " : "",
					 c->ended);
	if (r->tracker.method == CIOT_DEVICE_AUTO) {
		char a[CIOT_ADDR_STRLEN];
		ciot_addr_format(r->tracker.addrs[0], a);
		used += (size_t)snprintf(msg + used, len - used,
					 "note: device address %s picked automatically (the one private address in every "
					 "flow)", a);
	}
	if (r->truncated && used < len)
		used += (size_t)snprintf(msg + used, len - used, "%swarning: the file ends inside a packet record "
					 "(truncated); the packets before it were analyzed", used ? "; " : "");
	if (r->frames_outside_windows && used < len)
		used += (size_t)snprintf(msg + used, len - used, "%snote: %llu frames outside the timetable's steps "
					 "were left out", used ? "; " : "", (unsigned long long)r->frames_outside_windows);
	if (r->tracker.addrs_overflow && used < len)
		snprintf(msg + used, len - used, "%swarning: the device used more than %d addresses; flows of the "
			 "others are not counted as the device's", used ? "; " : "", CIOT_DEVICE_MAX_LEARNED);
}

static void *worker_main(void *arg)
{
	struct shared *sh = arg;
	struct ciot_worker *w = NULL;
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc wrc = ciot_worker_new(&w, sh->a, errbuf);
	for (;;) {
		size_t i = atomic_fetch_add(&sh->next, 1);
		if (i >= sh->ds->ncaptures)
			break;
		const struct ciot_capture *c = &sh->ds->captures[i];
		if (wrc) {
			pthread_mutex_lock(&sh->lock);
			finish_capture(sh, c, wrc, errbuf);
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		if (sh->stop && *sh->stop) {
			pthread_mutex_lock(&sh->lock);
			finish_capture(sh, c, CIOT_ERR_INTERRUPTED, "interrupted before it was read");
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		struct ciot_capture_result r;
		errbuf[0] = 0;
		enum ciot_rc rc = ciot_analyze_capture(w, sh->ds, c, &r, sh->progress, sh->stop, errbuf);
		pthread_mutex_lock(&sh->lock);
		if (!rc)
			rc = ciot_store_capture(sh->store, &r, errbuf);
		char msg[CIOT_ERRBUF_SIZE];
		if (rc)
			snprintf(msg, sizeof msg, "%s", errbuf[0] ? errbuf : ciot_strerror(rc));
		else
			describe_success(c, &r, msg, sizeof msg);
		finish_capture(sh, c, rc, msg);
		pthread_mutex_unlock(&sh->lock);
		ciot_capture_result_free(&r);
	}
	ciot_worker_free(w);
	return NULL;
}

enum ciot_rc ciot_analyze(struct ciot_store *store, const struct ciot_dataset *ds, const struct ciot_analysis *a,
			  struct ciot_progress *progress, volatile sig_atomic_t *stop, ciot_analysis_report_fn report,
			  void *ctx, size_t *failed, char *errbuf)
{
	struct shared sh = { .store = store, .ds = ds, .a = a, .progress = progress, .stop = stop,
			     .report = report, .ctx = ctx };
	pthread_mutex_init(&sh.lock, NULL);
	atomic_init(&sh.next, 0);
	unsigned jobs = a->config->jobs ? a->config->jobs : 1;
	if (jobs > ds->ncaptures)
		jobs = ds->ncaptures ? (unsigned)ds->ncaptures : 1;
	pthread_t *threads = calloc(jobs, sizeof *threads);
	if (!threads)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	unsigned started = 0;
	if (jobs == 1) {
		worker_main(&sh);
	} else {
		for (; started < jobs; started++)
			if (pthread_create(&threads[started], NULL, worker_main, &sh))
				break;
		if (started == 0)
			worker_main(&sh);
		for (unsigned i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
	}
	free(threads);
	pthread_mutex_destroy(&sh.lock);
	*failed = sh.failed;
	if (stop && *stop)
		return ciot_fail(errbuf, CIOT_ERR_INTERRUPTED, "interrupted");
	if (sh.first_error)
		snprintf(errbuf, CIOT_ERRBUF_SIZE, "%s", sh.first_errbuf);
	return sh.first_error;
}
