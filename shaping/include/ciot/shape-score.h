/* ciot/shape-score.h: what a researcher does with libciot-shape: read a device's traffic from its
 * captures, replay it through the shaper in virtual time, and score how well an activity-inference
 * attacker does on the unshaped and on the shaped trace, and at what cost. docs/shaping.md has the
 * method and how to read the numbers.
 *
 * A trace is one device's packets (time, direction, payload and frame bytes), both directions, in
 * time order. Labels say which stretches of time are user activity (positive) and which are idle
 * (negative); scoring cuts each labelled stretch into windows and asks each attacker to tell them
 * apart, with leave-one-event-out validation (an event is one labelled stretch: one lifecycle step).
 */
#ifndef CIOT_SHAPE_SCORE_H
#define CIOT_SHAPE_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "ciot/shape.h"

/* ---- traces -------------------------------------------------------------------------------------- */

enum ciot_trace_dir { CIOT_TRACE_FROM_DEVICE = 0, CIOT_TRACE_TO_DEVICE = 1 };
enum ciot_trace_kind { CIOT_TRACE_ORIGINAL, CIOT_TRACE_DATA, CIOT_TRACE_COVER };

struct ciot_trace_packet {
	int64_t ts_ns;
	uint32_t payload;   /* transport payload bytes (what an application sent) */
	uint32_t wire;      /* frame bytes on the wire, every header included */
	uint8_t dir;        /* enum ciot_trace_dir */
	uint8_t kind;       /* enum ciot_trace_kind: shaped traces know their cover records */
};

/* A stretch of time the trace saw (one capture file's first to last frame): windows outside every
 * span are not scored, since no traffic there means no capture, not an idle device. */
struct ciot_trace_span {
	int64_t start_ns, end_ns;
};

struct ciot_trace {
	struct ciot_trace_packet *p;
	size_t n, cap;
	struct ciot_trace_span *spans;
	size_t nspans;
	uint8_t device[16];        /* the device's address (IPv4 as IPv4-mapped IPv6) */
	uint64_t frames, not_ip, other_hosts; /* frames read; not decoded as IP; not to or from the device */
};

/* The address seen in most frames among private unicast addresses of the given captures: the
 * device of a lab capture, a guess the caller must report as one (with its share in *share). */
enum ciot_rc ciot_trace_guess_device(const char *const *paths, size_t n, uint8_t device[16], double *share,
				     char *errbuf);

/* Appends the device's packets of a capture file (t->device must be set); sorts by time at the end
 * of each file (files may come in any order). Frames that are not IP are counted, not an error. */
enum ciot_rc ciot_trace_read(struct ciot_trace *t, const char *path, char *errbuf);
enum ciot_rc ciot_trace_append(struct ciot_trace *t, const struct ciot_trace_packet *p, char *errbuf);
enum ciot_rc ciot_trace_add_span(struct ciot_trace *t, int64_t start_ns, int64_t end_ns, char *errbuf);
void ciot_trace_sort(struct ciot_trace *t);
void ciot_trace_free(struct ciot_trace *t);

/* ---- labels -------------------------------------------------------------------------------------- */

struct ciot_label {
	int64_t start_ns, end_ns; /* [start, end) */
	bool active;              /* user activity; else idle */
	char name[64];            /* the step ("speak_local"): one event for leave-one-event-out */
};

struct ciot_labels {
	struct ciot_label *l;
	size_t n, cap;
};

/* A lifecycle timetable (<device>.txt, local times with tz_offset_s): interaction steps are active,
 * idle steps idle, the others (setup, update, deletion) not scored. */
enum ciot_rc ciot_labels_timetable(struct ciot_labels *out, const char *path, int tz_offset_s, char *errbuf);
/* An events file: lines "START END active|idle NAME" with ISO 8601 times; '#' comments. */
enum ciot_rc ciot_labels_events(struct ciot_labels *out, const char *path, char *errbuf);
/* The capture steps of a ciot analysis database: interaction steps active, idle steps idle, each
 * from its first to its last packet (or its window, for a capture split by a timetable). */
enum ciot_rc ciot_labels_database(struct ciot_labels *out, const char *db_path, char *errbuf);
void ciot_labels_free(struct ciot_labels *l);

/* ---- simulation ------------------------------------------------------------------------------------ */

/* What a record costs below it on the wire: Ethernet (14), IP (20, or 40 for IPv6) and TCP with
 * the timestamps option Linux sends (32); and what TLS 1.3 adds (a 5-byte record header, the inner
 * content type, a 16-byte AES-GCM tag). */
#define CIOT_SIM_FRAME_OVERHEAD_V4 66
#define CIOT_SIM_FRAME_OVERHEAD_V6 86
#define CIOT_SIM_TLS13_OVERHEAD 22

struct ciot_sim_options {
	struct ciot_shape_params params[2]; /* by direction: from the device, to the device */
	uint64_t seed;                      /* of the virtual random source (one per direction from it) */
	unsigned tls_overhead;              /* bytes TLS adds to each record (0: no TLS; TLS 1.3 with
					     * AES-GCM: CIOT_SIM_TLS13_OVERHEAD) */
	bool legacy_header;                 /* the original library's ASCII header instead of ciot's: for
					     * showing its leak (docs/shaping.md), never for shipping */
	uint8_t server[16];                 /* the peer's address in the shaped pcap */
};

struct ciot_sim_direction {
	uint64_t messages, rejected;        /* queued; refused by a full queue (never silently) */
	uint64_t records, cover_records, record_bytes, wire_bytes, original_wire_bytes;
	double delay_ms[4];                 /* per message, first byte queued to last byte sent: p50,
					     * p95, p99, max */
	size_t queue_peak_bytes;
	double drain_s;                     /* after the last original packet, until the queue emptied */
	double overhead_bps, expected_overhead_bps; /* this direction's, while observed */
};

/* One message through the shaper: when it was queued and when its last byte left. */
struct ciot_sim_message {
	int64_t queued_ns, sent_ns;
	uint32_t bytes;
	uint8_t dir;                        /* enum ciot_trace_dir */
};

struct ciot_sim_result {
	struct ciot_sim_direction dir[2];
	struct ciot_sim_message *messages;  /* every message sent, in the order they finished */
	size_t nmessages, messages_cap;
	int64_t start_ns, end_ns;           /* first original packet to the last slot */
	double observed_s;                  /* seconds the captures saw (their spans): rates are over them */
	double original_bps, shaped_bps;    /* bytes per second on the wire while observed, both directions */
	double overhead_bps, expected_overhead_bps; /* measured; mean record bytes on the wire over mean
						     * interval, per direction, minus the original rate */
	struct ciot_trace shaped;           /* the shaped trace, records marked data or cover */
};

/* Replays the trace's payloads through one shaper per direction in virtual time: each packet with
 * payload is a message queued at its time; slots run from the first packet until both queues have
 * drained and the shapers stopped at a slot. Writes the shaped trace as pcap when pcap_path is not
 * NULL (Ethernet/IPv4/TCP frames between the device and o->server, records as payloads). */
enum ciot_rc ciot_shape_simulate(const struct ciot_trace *in, const struct ciot_sim_options *o, const char *pcap_path,
				 struct ciot_sim_result *r, char *errbuf);
void ciot_sim_result_free(struct ciot_sim_result *r);

/* ---- scoring ------------------------------------------------------------------------------------- */

enum ciot_attacker {
	CIOT_ATTACK_RATE,       /* Apthorpe et al.'s rate peaks: bytes per second, threshold from idle */
	CIOT_ATTACK_SIZE,       /* packet sizes: naive Bayes over a histogram of sizes */
	CIOT_ATTACK_TIMING,     /* inter-arrival times: naive Bayes over log-spaced gaps */
	CIOT_ATTACK_CLASSIFIER, /* logistic regression on eight window features */
	CIOT_NATTACKERS
};
const char *ciot_attacker_name(enum ciot_attacker a);

struct ciot_score {
	enum ciot_attacker attacker;
	double window_s;
	size_t positives, negatives, events;
	double auc, auc_low, auc_high;      /* ROC AUC and its 95% bootstrap interval */
	double tpr_at_1pct;                 /* true-positive rate at 1% false positives */
	double threshold_tpr, threshold_fpr;/* the rate attacker's own operating point: its threshold
					     * learned on idle windows (their 99th percentile) */
};

/* The windows scored: windows of window_s seconds starting every step_s seconds (step_s <=
 * window_s: sliding windows) within each label, from where the reference trace's capture starts
 * within it, keeping only windows the capture covers whole. Sliding windows average over where a
 * window falls, which matters when an event lasts a few windows (the camera's speak steps last 12
 * and 16 s); intervals count them as window_s / step_s times fewer, since they overlap. Scoring an
 * unshaped and a shaped trace on the same windows (those of the unshaped one) compares like with
 * like. */
struct ciot_window_set {
	struct ciot_scored_window {
		int64_t start_ns;
		size_t event;   /* the label it comes from */
		bool active;
	} *w;
	size_t n;
	double window_s, step_s;
	size_t nevents;
};
enum ciot_rc ciot_shape_windows(const struct ciot_trace *reference, const struct ciot_labels *labels, double window_s,
				double step_s, struct ciot_window_set *out, char *errbuf);
void ciot_window_set_free(struct ciot_window_set *s);

/* Scores every attacker on a trace over the windows: out[CIOT_NATTACKERS]. CIOT_ERR_ARG when the
 * windows leave fewer than two events of either kind (leave-one-event-out needs one of each kind
 * left to train on). */
enum ciot_rc ciot_shape_score(const struct ciot_trace *t, const struct ciot_window_set *windows, uint64_t seed,
			      struct ciot_score out[CIOT_NATTACKERS], char *errbuf);

/* Can record size tell cover from data on a shaped trace? The ROC AUC (with its 95% interval) of
 * size as a score for "carries data", over every record: 0.5 means no. */
enum ciot_rc ciot_shape_cover_separability(const struct ciot_trace *shaped, uint64_t seed, double *auc, double *low,
					   double *high, char *errbuf);

/* The ROC AUC of scores for positives against negatives (ties count half), and the true-positive
 * rate at a false-positive rate of at most fpr. Exposed for tests. */
double ciot_roc_auc(const double *pos, size_t npos, const double *neg, size_t nneg);
double ciot_roc_tpr_at(const double *pos, size_t npos, const double *neg, size_t nneg, double fpr);

#endif
