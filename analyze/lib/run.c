/* run.c: the workers over a dataset (ciot_analyze, pipeline.h): each takes the next capture,
 * analyzes it, stores it under the store's lock, and tells the caller what happened to it.
 */
#include <pthread.h>
#include <stdarg.h>
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
			/* a long path and message are cut: the message is for reading */
			if (snprintf(sh->first_errbuf, sizeof sh->first_errbuf, "%s: %s", c->path, msg) < 0)
				sh->first_errbuf[0] = 0;
		}
	}
	if (sh->report)
		sh->report(sh->ctx, c, rc, msg);
	if (sh->progress)
		atomic_fetch_add(&sh->progress->files_done, 1);
}

/* Adds one sentence to a capture's message, "; " between sentences. */
static void say(char *msg, size_t len, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void say(char *msg, size_t len, size_t *used, const char *fmt, ...)
{
	if (*used >= len)
		return;
	if (*used)
		*used += (size_t)snprintf(msg + *used, len - *used, "; ");
	if (*used >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	*used += (size_t)vsnprintf(msg + *used, len - *used, fmt, ap);
	va_end(ap);
}

/* The device's addresses, comma-separated. */
static void list_addresses(const struct ciot_device_tracker *t, char *out, size_t len)
{
	size_t used = 0;
	out[0] = 0;
	for (unsigned i = 0; i < t->naddrs && used < len; i++) {
		char a[CIOT_ADDR_STRLEN];
		ciot_addr_format(t->addrs[i], a);
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "", a);
	}
}

/* How the device was told apart, when ciot guessed it: a note for one address, a warning when
 * several addresses were taken as one device's (a new lease mid-capture, or IPv6 beside IPv4). */
static void describe_device(const struct ciot_capture_result *r, char *msg, size_t len, size_t *used)
{
	const struct ciot_device_tracker *t = &r->tracker;
	if (t->method != CIOT_DEVICE_AUTO || !t->naddrs)
		return;
	char addrs[512];
	list_addresses(t, addrs, sizeof addrs);
	if (!t->found_by_mac) {
		say(msg, len, used, "note: device address %s picked automatically (the one private address in every "
		    "flow)", addrs);
		return;
	}
	char mac[18];
	ciot_mac_format(t->mac, mac);
	/* IPv4 beside IPv6 is one interface's ordinary pair; two of one version mean a new lease (or a
	 * new IPv6 address), which a researcher should confirm */
	unsigned v4 = 0;
	for (unsigned i = 0; i < t->naddrs; i++)
		v4 += ciot_addr_is_v4(t->addrs[i]);
	if (v4 <= 1 && t->naddrs - v4 <= 1)
		say(msg, len, used, "note: device address%s %s picked automatically (its MAC %s is the one private "
		    "host in every flow)", t->naddrs > 1 ? "es" : "", addrs, mac);
	else
		say(msg, len, used, "warning: the device was found automatically by its MAC %s (the one private host in "
		    "every flow) and used %u addresses, all counted as its own: %s; give --mac to confirm", mac,
		    t->naddrs, addrs);
	if (t->pairs_overflow)
		say(msg, len, used, "warning: more than %d host addresses were seen before the device could be told "
		    "apart, so some of its addresses may be missing; give its MAC", CIOT_DEVICE_MAX_PAIRS);
}

/* A step without the device's traffic is stored with zero traffic: said, so that a wrong MAC or IP
 * does not pass for a silent device. */
static void describe_silence(const struct ciot_capture_result *r, char *msg, size_t len, size_t *used)
{
	const struct ciot_device_tracker *t = &r->tracker;
	if (t->method == CIOT_DEVICE_NONE)
		return;
	for (size_t i = 0; i < r->nsegments; i++)
		if (r->segments[i].device_flows)
			return;
	char who[64] = "";
	if (t->method == CIOT_DEVICE_BY_MAC) {
		char mac[18];
		ciot_mac_format(r->device->macs[0], mac);
		snprintf(who, sizeof who, " (MAC %s%s)", mac, r->device->nmacs > 1 ? " and its others" : "");
	} else if (t->method == CIOT_DEVICE_BY_IP && t->naddrs) {
		char a[CIOT_ADDR_STRLEN];
		ciot_addr_format(t->addrs[0], a);
		snprintf(who, sizeof who, " (%s%s)", a, t->naddrs > 1 ? " and its others" : "");
	}
	say(msg, len, used, "warning: no IP traffic to or from the device%s; stored as %s with zero traffic (check "
	    "the device's addresses if it was active)", who, r->nsegments > 1 ? "steps" : "a step");
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
		say(msg, len, &used, "warning: the manifest says %lld packets, the file holds %llu",
		    (long long)c->expected_packets, (unsigned long long)frames);
	if (c->ended && !strcmp(c->ended, "running"))
		say(msg, len, &used, "warning: the capture tool stopped before it could close this step (\"ended\": "
		    "\"running\"); the file holds what reached the disk");
	else if (c->ended && strcmp(c->ended, "operator") && strcmp(c->ended, "timer") && strcmp(c->ended, "split"))
		say(msg, len, &used, "note: the step ended early (%s)", c->ended);
	describe_device(r, msg, len, &used);
	describe_silence(r, msg, len, &used);
	if (r->truncated)
		say(msg, len, &used, "warning: the file ends inside a packet record (truncated); the packets before it "
		    "were analyzed");
	if (r->frames_outside_windows)
		say(msg, len, &used, "note: %llu frames outside the timetable's steps were left out",
		    (unsigned long long)r->frames_outside_windows);
	if (r->tracker.addrs_overflow)
		say(msg, len, &used, "warning: the device used more than %d addresses; flows of the others are not "
		    "counted as the device's", CIOT_DEVICE_MAX_LEARNED);
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

/* Fewer captures than jobs: one capture at a time, its flows sharded across every worker
 * (shard.c), so that one large capture uses every core. */
static void sharded_main(struct shared *sh, unsigned jobs)
{
	struct ciot_worker *workers[65] = { 0 };
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc wrc = CIOT_OK;
	/* the reading thread's (its nDPI module), then one a share of the flows */
	if (jobs > 64)
		jobs = 64;
	jobs++;
	for (unsigned i = 0; !wrc && i < jobs; i++)
		wrc = ciot_worker_new(&workers[i], sh->a, errbuf);
	for (size_t i = 0; i < sh->ds->ncaptures; i++) {
		const struct ciot_capture *c = &sh->ds->captures[i];
		if (wrc || (sh->stop && *sh->stop)) {
			finish_capture(sh, c, wrc ? wrc : CIOT_ERR_INTERRUPTED, wrc ? errbuf : "interrupted before it was read");
			continue;
		}
		struct ciot_capture_result r;
		errbuf[0] = 0;
		enum ciot_rc rc = ciot_analyze_capture_sharded(workers, jobs, sh->ds, c, &r, sh->progress, sh->stop, errbuf);
		if (!rc)
			rc = ciot_store_capture(sh->store, &r, errbuf);
		char msg[CIOT_ERRBUF_SIZE];
		if (rc)
			snprintf(msg, sizeof msg, "%s", errbuf[0] ? errbuf : ciot_strerror(rc));
		else
			describe_success(c, &r, msg, sizeof msg);
		finish_capture(sh, c, rc, msg);
		ciot_capture_result_free(&r);
	}
	for (unsigned i = 0; i < jobs; i++)
		ciot_worker_free(workers[i]);
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
	bool sharded = jobs > 1 && ds->ncaptures < jobs;
	if (jobs > ds->ncaptures && !sharded)
		jobs = ds->ncaptures ? (unsigned)ds->ncaptures : 1;
	pthread_t *threads = calloc(jobs, sizeof *threads);
	if (!threads)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	unsigned started = 0;
	if (sharded) {
		sharded_main(&sh, jobs);
	} else if (jobs == 1) {
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
