/* ciot/analyze.h: an analysis as a tool runs it, and all that ciot-analyze includes.
 *
 * A run is: settings (ciot_config, changed only through options, so that an option, its --help
 * text and its check are written once, by the part of the library that owns it); a dataset
 * (ciot/dataset.h); a prepared analysis; the database (ciot/store.h), into which ciot_analyze
 * stores every capture file; and the stages over the stored rows (ciot/destinations.h).
 *
 * Files are independent, so the settings' -j N runs N workers; the tool watches them through the
 * progress counters and is told of each capture file as it finishes.
 */
#ifndef CIOT_ANALYZE_H
#define CIOT_ANALYZE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "ciot/dataset.h"
#include "ciot/destinations.h"
#include "ciot/options.h"
#include "ciot/store.h"

/* The settings of a run: the core's, and each analyzer's. */
struct ciot_config;

/* Defaults everywhere; NULL when memory runs out. */
struct ciot_config *ciot_config_new(void);
void ciot_config_free(struct ciot_config *c);
/* Applies the option `name` (long name) of the core or of an analyzer. CIOT_ERR_ARG: unknown
 * option or a value that makes no sense, with the reason in errbuf. */
enum ciot_rc ciot_config_set(struct ciot_config *c, const char *name, const char *value, char *errbuf);
/* Checks what options cannot check alone (two thresholds against each other). */
enum ciot_rc ciot_config_check(const struct ciot_config *c, char *errbuf);

/* The library's options, group i in --help order: each stage's, then each analyzer's (in the order
 * packets visit them), then the core's ("Processing"); groups without options are left out. False
 * past the last. */
bool ciot_option_group(size_t i, struct ciot_option_group *out);

/* A prepared run: the settings, each analyzer's run object (NULL when it is off), and the layout of
 * flows and records. Built once the dataset is loaded; read-only while workers run. */
struct ciot_analysis;
enum ciot_rc ciot_analysis_new(struct ciot_analysis **out, const struct ciot_config *config,
			       const struct ciot_dataset *ds, char *errbuf);
void ciot_analysis_free(struct ciot_analysis *a);

/* Counters the tool reads for its progress line while workers run. */
struct ciot_progress {
	atomic_uint_fast64_t bytes_done, frames, files_done;
	uint64_t bytes_total;
	uint64_t files_total;
};

/* Told about every capture as it finishes: rc is CIOT_OK, or the error that kept it out of the
 * database; `message` says more (a warning such as truncation when rc is CIOT_OK). Calls are
 * serialised. */
typedef void (*ciot_analysis_report_fn)(void *ctx, const struct ciot_capture *capture, enum ciot_rc rc,
					const char *message);

/* Analyzes every capture of the dataset into the store. Returns CIOT_OK when every capture was
 * stored, CIOT_ERR_INTERRUPTED when *stop was raised, else the first error; *failed counts the
 * captures that were not stored. */
enum ciot_rc ciot_analyze(struct ciot_store *store, const struct ciot_dataset *ds, const struct ciot_analysis *a,
			  struct ciot_progress *progress, volatile sig_atomic_t *stop, ciot_analysis_report_fn report,
			  void *ctx, size_t *failed, char *errbuf);

#endif
