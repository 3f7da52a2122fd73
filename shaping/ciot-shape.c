/* ciot-shape: simulate independent link padding on a device's captures, score how well activity
 * inference does on the unshaped and the shaped traffic, and sweep the shaping parameters.
 *
 *   ciot-shape simulate [options] CAPTURE...   the shaped trace (pcap) and its cost
 *   ciot-shape score [options] CAPTURE...      attackers' AUC on unshaped and shaped traffic
 *   ciot-shape sweep [options] CAPTURE...      overhead against each parameter (the paper's
 *                                              Figures 4 to 6), measured and expected
 *
 * The tool parses options, calls libciot-shape and prints what it returns; docs/shaping.md says
 * what the numbers mean.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciot/addr.h"
#include "ciot/dataset.h"
#include "ciot/shape-score.h"
#include "ciot/shape-store.h"

#define EXIT_USAGE 2
#define EXIT_FAILED 1
#define DEFAULT_QUEUE_LIMIT (64u << 20)
#define SECONDS_PER_MONTH (30.0 * 86400.0)
#define MAX_WINDOWS 8
#define MAX_SEEDS 1000

static const char usage[] =
	"usage: ciot-shape simulate [options] CAPTURE...\n"
	"       ciot-shape score [options] CAPTURE...\n"
	"       ciot-shape sweep [options] CAPTURE...\n"
	"\n"
	"Independent link padding (docs/shaping.md) replayed on a device's captures in virtual time.\n"
	"\n"
	"The device and its traffic:\n"
	"  --device IP            the device's address (default: the private address seen in most\n"
	"                         frames, reported as a guess)\n"
	"Shaping (distributions: constant:V, uniform:LOW,HIGH, normal:MEAN,SD, empirical:FILE):\n"
	"  --interval DIST        seconds between records, both directions (default uniform:0,0.6)\n"
	"  --size DIST            record bytes, header included (default uniform:50,200)\n"
	"  --down-interval DIST   the same for records to the device (default: as --interval)\n"
	"  --down-size DIST       (default: as --size)\n"
	"  --queue-limit BYTES    messages waiting at most per direction (default 64 MiB); a message\n"
	"                         past it is refused and counted\n"
	"  --tls                  count TLS 1.3's 22 bytes per record\n"
	"  --legacy-header        the original library's ASCII header (to show its leak; never ship it)\n"
	"  --seed N               of the virtual random source (default 1)\n"
	"simulate:\n"
	"  -o FILE                write the shaped trace as pcap (must not exist)\n"
	"  --delays FILE          write every message's delay as CSV (must not exist)\n"
	"score:\n"
	"  --timetable FILE       lifecycle timetable: interaction steps active, idle steps idle\n"
	"  --tz OFFSET            the timetable's local time (default +8)\n"
	"  --events FILE          or lines \"START END active|idle NAME\" (ISO 8601 times)\n"
	"  --labels-db FILE       or the capture steps of a ciot analysis database\n"
	"  --shaped FILE          score this shaped capture instead of simulating one\n"
	"  --seeds N              simulate N times (seeds --seed to --seed + N - 1) and average\n"
	"                         (default 1)\n"
	"  --windows LIST         window lengths in seconds (default 2,5,10)\n"
	"  --step S               a window starts every S seconds (default 1; 0: windows do not\n"
	"                         overlap)\n"
	"  --store DB             add the results to a ciot analysis database (the shaping export)\n"
	"sweep:\n"
	"  --figure NAME          4a 4b 5a 5b 5c 6a 6b or all (default all)\n"
	"Output:\n"
	"  --format md|csv        (default md)\n"
	"  -h, --help\n";

enum { OPT_DEVICE = 256, OPT_INTERVAL, OPT_SIZE, OPT_DOWN_INTERVAL, OPT_DOWN_SIZE, OPT_QUEUE, OPT_TLS, OPT_LEGACY,
       OPT_SEED, OPT_TIMETABLE, OPT_TZ, OPT_EVENTS, OPT_LABELS_DB, OPT_SHAPED, OPT_SEEDS, OPT_WINDOWS, OPT_STORE,
       OPT_FIGURE, OPT_FORMAT, OPT_STEP, OPT_DELAYS };

struct args {
	const char *device, *interval, *size, *down_interval, *down_size, *out, *timetable, *tz, *events, *labels_db,
		*shaped, *windows, *store, *figure, *format, *delays;
	double step;
	unsigned long long queue_limit, seed, seeds;
	bool tls, legacy;
	char *const *captures;
	size_t ncaptures;
};

static bool parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (!*text || *end || text[0] == '-' || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "down-interval", required_argument, NULL, OPT_DOWN_INTERVAL },
		{ "down-size", required_argument, NULL, OPT_DOWN_SIZE },
		{ "queue-limit", required_argument, NULL, OPT_QUEUE },
		{ "tls", no_argument, NULL, OPT_TLS },
		{ "legacy-header", no_argument, NULL, OPT_LEGACY },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "timetable", required_argument, NULL, OPT_TIMETABLE },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "labels-db", required_argument, NULL, OPT_LABELS_DB },
		{ "shaped", required_argument, NULL, OPT_SHAPED },
		{ "seeds", required_argument, NULL, OPT_SEEDS },
		{ "windows", required_argument, NULL, OPT_WINDOWS },
		{ "step", required_argument, NULL, OPT_STEP },
		{ "delays", required_argument, NULL, OPT_DELAYS },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "figure", required_argument, NULL, OPT_FIGURE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*a = (struct args){ .interval = "uniform:0,0.6", .size = "uniform:50,200", .tz = "+8", .windows = "2,5,10",
			    .figure = "all", .format = "md", .step = 1, .queue_limit = DEFAULT_QUEUE_LIMIT, .seed = 1, .seeds = 1 };
	int opt;
	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_DEVICE: a->device = optarg; break;
		case OPT_INTERVAL: a->interval = optarg; break;
		case OPT_SIZE: a->size = optarg; break;
		case OPT_DOWN_INTERVAL: a->down_interval = optarg; break;
		case OPT_DOWN_SIZE: a->down_size = optarg; break;
		case OPT_TLS: a->tls = true; break;
		case OPT_LEGACY: a->legacy = true; break;
		case OPT_TIMETABLE: a->timetable = optarg; break;
		case OPT_TZ: a->tz = optarg; break;
		case OPT_EVENTS: a->events = optarg; break;
		case OPT_LABELS_DB: a->labels_db = optarg; break;
		case OPT_SHAPED: a->shaped = optarg; break;
		case OPT_WINDOWS: a->windows = optarg; break;
		case OPT_STEP: {
			char *end;
			a->step = strtod(optarg, &end);
			if (*end || !(a->step >= 0) || a->step > 86400) {
				fprintf(stderr, "ciot-shape: --step \"%s\": seconds (0: windows do not overlap)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_STORE: a->store = optarg; break;
		case OPT_FIGURE: a->figure = optarg; break;
		case OPT_FORMAT: a->format = optarg; break;
		case 'o': a->out = optarg; break;
		case OPT_DELAYS: a->delays = optarg; break;
		case OPT_QUEUE:
		case OPT_SEED:
		case OPT_SEEDS: {
			unsigned long long *v = opt == OPT_QUEUE ? &a->queue_limit : opt == OPT_SEED ? &a->seed : &a->seeds;
			unsigned long long max = opt == OPT_QUEUE ? (1ull << 40) : opt == OPT_SEED ? UINT64_MAX / 4 : MAX_SEEDS;
			if (!parse_count(optarg, max, v) || (opt != OPT_SEED && *v == 0)) {
				fprintf(stderr, "ciot-shape: --%s: \"%s\" is not a count from 1 to %llu\n",
					opt == OPT_QUEUE ? "queue-limit" : opt == OPT_SEED ? "seed" : "seeds", optarg, max);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (strcmp(a->format, "md") && strcmp(a->format, "csv")) {
		fprintf(stderr, "ciot-shape: --format must be md or csv\n");
		return EXIT_USAGE;
	}
	a->captures = argv + optind;
	a->ncaptures = (size_t)(argc - optind);
	if (!a->ncaptures) {
		fprintf(stderr, "ciot-shape: no capture files (see --help)\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* ---- shared by the subcommands ------------------------------------------------------------------ */

/* The device's trace from every capture; the device named or guessed (and said to be a guess). */
static int load_trace(const struct args *a, struct ciot_trace *t)
{
	char err[CIOT_ERRBUF_SIZE];
	memset(t, 0, sizeof *t);
	if (a->device) {
		if (!ciot_addr_parse(a->device, t->device)) {
			fprintf(stderr, "ciot-shape: --device \"%s\" is not an IP address\n", a->device);
			return EXIT_USAGE;
		}
	} else {
		double share;
		if (ciot_trace_guess_device((const char *const *)a->captures, a->ncaptures, t->device, &share, err)) {
			fprintf(stderr, "ciot-shape: %s\n", err);
			return EXIT_FAILED;
		}
		char text[CIOT_ADDR_STRLEN];
		ciot_addr_format(t->device, text);
		fprintf(stderr, "ciot-shape: warning: device guessed as %s (in %.0f%% of IP packets); name it with --device\n",
			text, share * 100);
	}
	for (size_t i = 0; i < a->ncaptures; i++)
		if (ciot_trace_read(t, a->captures[i], err)) {
			fprintf(stderr, "ciot-shape: %s\n", err);
			ciot_trace_free(t);
			return EXIT_FAILED;
		}
	if (!t->n) {
		fprintf(stderr, "ciot-shape: no packets to or from the device in the captures\n");
		ciot_trace_free(t);
		return EXIT_FAILED;
	}
	return 0;
}

static bool parse_dist(struct ciot_shape_dist *d, const char *option, const char *text)
{
	char err[CIOT_ERRBUF_SIZE];
	if (ciot_shape_dist_parse(d, text, err)) {
		fprintf(stderr, "ciot-shape: --%s: %s\n", option, err);
		return false;
	}
	return true;
}

static void free_options(struct ciot_sim_options *o)
{
	for (int k = 0; k < 2; k++) {
		ciot_shape_dist_free(&o->params[k].interval);
		ciot_shape_dist_free(&o->params[k].size);
	}
}

static int sim_options(const struct args *a, const struct ciot_trace *t, struct ciot_sim_options *o)
{
	memset(o, 0, sizeof *o);
	const char *texts[2][2] = { { a->interval, a->size },
				    { a->down_interval ? a->down_interval : a->interval, a->down_size ? a->down_size : a->size } };
	for (int k = 0; k < 2; k++) {
		o->params[k].queue_limit = (size_t)a->queue_limit;
		if (!parse_dist(&o->params[k].interval, k ? "down-interval" : "interval", texts[k][0]) ||
		    !parse_dist(&o->params[k].size, k ? "down-size" : "size", texts[k][1])) {
			free_options(o);
			return EXIT_USAGE;
		}
	}
	o->seed = a->seed;
	o->tls_overhead = a->tls ? CIOT_SIM_TLS13_OVERHEAD : 0;
	o->legacy_header = a->legacy;
	/* a documentation address (RFC 5737, RFC 3849) of the device's family */
	ciot_addr_parse(ciot_addr_is_v4(t->device) ? "192.0.2.1" : "2001:db8::1", o->server);
	return 0;
}

static void print_cost(const struct ciot_sim_result *r, bool csv)
{
	static const char *const names[2] = { "from device", "to device" };
	if (csv) {
		printf("direction,messages,rejected,records,cover_records,wire_bytes,original_wire_bytes,delay_p50_ms,"
		       "delay_p95_ms,delay_p99_ms,delay_max_ms,queue_peak_bytes,drain_s\n");
		for (int k = 0; k < 2; k++) {
			const struct ciot_sim_direction *d = &r->dir[k];
			printf("%s,%llu,%llu,%llu,%llu,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%zu,%.3f\n", names[k],
			       (unsigned long long)d->messages, (unsigned long long)d->rejected,
			       (unsigned long long)d->records, (unsigned long long)d->cover_records,
			       (unsigned long long)d->wire_bytes, (unsigned long long)d->original_wire_bytes, d->delay_ms[0],
			       d->delay_ms[1], d->delay_ms[2], d->delay_ms[3], d->queue_peak_bytes, d->drain_s);
		}
		printf("\nobserved_s,original_Bps,shaped_Bps,overhead_Bps,expected_overhead_Bps,overhead_GB_per_month\n");
		printf("%.3f,%.2f,%.2f,%.2f,%.2f,%.3f\n", r->observed_s, r->original_bps,
		       r->shaped_bps, r->overhead_bps, r->expected_overhead_bps, r->overhead_bps * SECONDS_PER_MONTH / 1e9);
		return;
	}
	printf("| direction | messages | refused | records | cover | delay p50 ms | p95 | p99 | max | queue peak B | drain s |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < 2; k++) {
		const struct ciot_sim_direction *d = &r->dir[k];
		printf("| %s | %llu | %llu | %llu | %llu | %.1f | %.1f | %.1f | %.1f | %zu | %.1f |\n", names[k],
		       (unsigned long long)d->messages, (unsigned long long)d->rejected, (unsigned long long)d->records,
		       (unsigned long long)d->cover_records, d->delay_ms[0], d->delay_ms[1], d->delay_ms[2], d->delay_ms[3],
		       d->queue_peak_bytes, d->drain_s);
	}
	double within = r->expected_overhead_bps ? 100.0 * (r->overhead_bps / r->expected_overhead_bps - 1) : 0;
	printf("\nOver the %.1f s the captures saw: original %.1f B/s, shaped %.1f B/s, overhead %.1f B/s (%.2f GB/month); "
	       "expected %.1f B/s (measured %+.2f%%).\n",
	       r->observed_s, r->original_bps, r->shaped_bps, r->overhead_bps,
	       r->overhead_bps * SECONDS_PER_MONTH / 1e9, r->expected_overhead_bps, within);
}

/* ---- simulate ----------------------------------------------------------------------------------- */

/* Every message's delay, one CSV line each; the file is new (never overwritten) and removed when
 * it could not be written whole. */
static int write_delays(const char *path, const struct ciot_sim_result *r)
{
	FILE *f = fopen(path, "wx");
	if (!f) {
		fprintf(stderr, "ciot-shape: %s: %s\n", path, strerror(errno));
		return EXIT_FAILED;
	}
	fprintf(f, "direction,queued_at,sent_at,delay_ms,bytes\n");
	for (size_t i = 0; i < r->nmessages; i++) {
		const struct ciot_sim_message *m = &r->messages[i];
		fprintf(f, "%s,%lld.%06lld,%lld.%06lld,%.3f,%u\n", m->dir ? "to_device" : "from_device",
			(long long)(m->queued_ns / 1000000000), (long long)(m->queued_ns % 1000000000 / 1000),
			(long long)(m->sent_ns / 1000000000), (long long)(m->sent_ns % 1000000000 / 1000),
			(double)(m->sent_ns - m->queued_ns) / 1e6, m->bytes);
	}
	bool bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "ciot-shape: %s: cannot write\n", path);
		unlink(path);
		return EXIT_FAILED;
	}
	return 0;
}

static int cmd_simulate(const struct args *a)
{
	struct ciot_trace t;
	int status = load_trace(a, &t);
	if (status)
		return status;
	struct ciot_sim_options o;
	if ((status = sim_options(a, &t, &o))) {
		ciot_trace_free(&t);
		return status;
	}
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_sim_result r;
	if (a->delays && access(a->delays, F_OK) == 0) {
		fprintf(stderr, "ciot-shape: %s: exists (never overwritten)\n", a->delays);
		status = EXIT_FAILED;
	} else if (ciot_shape_simulate(&t, &o, a->out, &r, err)) {
		fprintf(stderr, "ciot-shape: %s\n", err);
		status = EXIT_FAILED;
	} else {
		if (a->delays)
			status = write_delays(a->delays, &r);
		print_cost(&r, !strcmp(a->format, "csv"));
		if (r.dir[0].rejected || r.dir[1].rejected)
			fprintf(stderr, "ciot-shape: warning: %llu messages refused by a full queue (--queue-limit)\n",
				(unsigned long long)(r.dir[0].rejected + r.dir[1].rejected));
		ciot_sim_result_free(&r);
	}
	free_options(&o);
	ciot_trace_free(&t);
	return status;
}

/* ---- score -------------------------------------------------------------------------------------- */

static int load_labels(const struct args *a, struct ciot_labels *l)
{
	int sources = !!a->timetable + !!a->events + !!a->labels_db;
	if (sources != 1) {
		fprintf(stderr, "ciot-shape: score needs one of --timetable, --events, --labels-db\n");
		return EXIT_USAGE;
	}
	char err[CIOT_ERRBUF_SIZE];
	int tz = 0;
	if (a->timetable && !ciot_tz_parse(a->tz, &tz)) {
		fprintf(stderr, "ciot-shape: --tz \"%s\": expected +8, UTC, -05:30 ...\n", a->tz);
		return EXIT_USAGE;
	}
	enum ciot_rc rc = a->timetable ? ciot_labels_timetable(l, a->timetable, tz, err)
			  : a->events  ? ciot_labels_events(l, a->events, err)
				       : ciot_labels_database(l, a->labels_db, err);
	if (rc) {
		fprintf(stderr, "ciot-shape: %s\n", err);
		return EXIT_FAILED;
	}
	return 0;
}

static int parse_windows(const char *text, double *w, size_t *n)
{
	*n = 0;
	for (const char *p = text; *p;) {
		char *end;
		double v = strtod(p, &end);
		if (end == p || !(v > 0) || v > 86400 || *n == MAX_WINDOWS || (*end && *end != ',')) {
			fprintf(stderr, "ciot-shape: --windows \"%s\": a list of up to %d lengths in seconds\n", text, MAX_WINDOWS);
			return EXIT_USAGE;
		}
		w[(*n)++] = v;
		p = *end ? end + 1 : end;
	}
	return *n ? 0 : EXIT_USAGE;
}

/* One row of results: a trace's attacker at a window length, possibly averaged over seeds. */
static void print_score(const char *trace, const struct ciot_score *s, size_t seeds, double auc_min, double auc_max,
			bool csv)
{
	if (csv)
		printf("%s,%g,%s,%zu,%zu,%zu,%.4f,%.4f,%.4f,%.4f,%zu,%.4f,%.4f\n", trace, s->window_s,
		       ciot_attacker_name(s->attacker), s->positives, s->negatives, s->events, s->auc, s->auc_low,
		       s->auc_high, s->tpr_at_1pct, seeds, auc_min, auc_max);
	else
		printf("| %s | %g | %s | %zu / %zu | %.3f | [%.3f, %.3f] | %.3f | %zu | %.3f .. %.3f |\n", trace, s->window_s,
		       ciot_attacker_name(s->attacker), s->positives, s->negatives, s->auc, s->auc_low, s->auc_high,
		       s->tpr_at_1pct, seeds, auc_min, auc_max);
}

static void print_score_header(bool csv)
{
	if (csv)
		printf("trace,window_s,attacker,active_windows,idle_windows,events,auc,auc_low,auc_high,tpr_at_1pct_fpr,"
		       "seeds,auc_min,auc_max\n");
	else
		printf("| trace | window s | attacker | active / idle windows | AUC | 95%% CI | TPR at 1%% FPR | seeds | AUC range |\n"
		       "|---|---:|---|---:|---:|---|---:|---:|---|\n");
}

struct score_run {
	const struct args *a;
	struct ciot_trace *t;
	struct ciot_labels *labels;
	double windows[MAX_WINDOWS];
	size_t nwindows;
	struct ciot_shape_store *store;
	bool csv;
};

/* The shaped side: one shaped capture, or the mean over seeds of simulations. */
static int score_shaped(struct score_run *sr, const struct ciot_window_set *ws, size_t wi)
{
	const struct args *a = sr->a;
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_score sum[CIOT_NATTACKERS], one[CIOT_NATTACKERS];
	double lo[CIOT_NATTACKERS], hi[CIOT_NATTACKERS];
	memset(sum, 0, sizeof sum);
	size_t seeds = a->shaped ? 1 : (size_t)a->seeds;
	for (size_t k = 0; k < seeds; k++) {
		struct ciot_sim_options o;
		struct ciot_sim_result r;
		struct ciot_trace shaped = { 0 };
		uint64_t seed = a->seed + k;
		if (a->shaped) {
			memcpy(shaped.device, sr->t->device, 16);
			if (ciot_trace_read(&shaped, a->shaped, err)) {
				fprintf(stderr, "ciot-shape: %s\n", err);
				return EXIT_FAILED;
			}
		} else {
			struct args seeded = *a;
			seeded.seed = seed;
			if (sim_options(&seeded, sr->t, &o))
				return EXIT_USAGE;
			enum ciot_rc rc = ciot_shape_simulate(sr->t, &o, NULL, &r, err);
			free_options(&o);
			if (rc) {
				fprintf(stderr, "ciot-shape: %s\n", err);
				return EXIT_FAILED;
			}
			shaped = r.shaped;
			memset(&r.shaped, 0, sizeof r.shaped);
			rc = wi == 0 && sr->store ? ciot_shape_store_cost(sr->store, seed, &r, err) : CIOT_OK;
			ciot_sim_result_free(&r);
			if (rc) {
				fprintf(stderr, "ciot-shape: %s\n", err);
				ciot_trace_free(&shaped);
				return EXIT_FAILED;
			}
		}
		enum ciot_rc rc = ciot_shape_score(&shaped, ws, seed, one, err);
		ciot_trace_free(&shaped);
		if (rc) {
			fprintf(stderr, "ciot-shape: %s\n", err);
			return EXIT_FAILED;
		}
		for (int i = 0; i < CIOT_NATTACKERS; i++) {
			if (sr->store && ciot_shape_store_score(sr->store, "shaped", seed, &one[i], err)) {
				fprintf(stderr, "ciot-shape: %s\n", err);
				return EXIT_FAILED;
			}
			lo[i] = k ? fmin(lo[i], one[i].auc) : one[i].auc;
			hi[i] = k ? fmax(hi[i], one[i].auc) : one[i].auc;
			if (!k)
				sum[i] = one[i];
			else {
				sum[i].auc += one[i].auc;
				sum[i].auc_low += one[i].auc_low;
				sum[i].auc_high += one[i].auc_high;
				sum[i].tpr_at_1pct += one[i].tpr_at_1pct;
			}
		}
	}
	for (int i = 0; i < CIOT_NATTACKERS; i++) {
		sum[i].auc /= (double)seeds;
		sum[i].auc_low /= (double)seeds;
		sum[i].auc_high /= (double)seeds;
		sum[i].tpr_at_1pct /= (double)seeds;
		print_score("shaped", &sum[i], seeds, lo[i], hi[i], sr->csv);
	}
	return 0;
}

static int score_all(struct score_run *sr)
{
	char err[CIOT_ERRBUF_SIZE];
	print_score_header(sr->csv);
	for (size_t wi = 0; wi < sr->nwindows; wi++) {
		struct ciot_window_set ws;
		struct ciot_score s[CIOT_NATTACKERS];
		double step = sr->a->step > 0 ? fmin(sr->a->step, sr->windows[wi]) : sr->windows[wi];
		if (ciot_shape_windows(sr->t, sr->labels, sr->windows[wi], step, &ws, err) ||
		    ciot_shape_score(sr->t, &ws, sr->a->seed, s, err)) {
			fprintf(stderr, "ciot-shape: %s\n", err);
			ciot_window_set_free(&ws);
			return EXIT_FAILED;
		}
		for (int i = 0; i < CIOT_NATTACKERS; i++) {
			print_score("unshaped", &s[i], 1, s[i].auc, s[i].auc, sr->csv);
			if (sr->store && ciot_shape_store_score(sr->store, "unshaped", sr->a->seed, &s[i], err)) {
				fprintf(stderr, "ciot-shape: %s\n", err);
				ciot_window_set_free(&ws);
				return EXIT_FAILED;
			}
		}
		int status = score_shaped(sr, &ws, wi);
		ciot_window_set_free(&ws);
		if (status)
			return status;
	}
	return 0;
}

/* Can size tell cover from data? On the first seed's simulation. */
static int separability(struct score_run *sr)
{
	if (sr->a->shaped)
		return 0; /* a capture does not say which records are cover */
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_sim_options o;
	struct ciot_sim_result r;
	if (sim_options(sr->a, sr->t, &o))
		return EXIT_USAGE;
	enum ciot_rc rc = ciot_shape_simulate(sr->t, &o, NULL, &r, err);
	free_options(&o);
	double auc = 0, lo = 0, hi = 0;
	if (!rc)
		rc = ciot_shape_cover_separability(&r.shaped, sr->a->seed, &auc, &lo, &hi, err);
	if (!rc && sr->store)
		rc = ciot_shape_store_separability(sr->store, auc, lo, hi, err);
	if (rc) {
		fprintf(stderr, "ciot-shape: %s\n", err);
		ciot_sim_result_free(&r);
		return EXIT_FAILED;
	}
	printf(sr->csv ? "\ncover_vs_data_size_auc,auc_low,auc_high\n%.4f,%.4f,%.4f\n"
		       : "\nRecord size as a test of data against cover: AUC %.3f [%.3f, %.3f] (0.5: indistinguishable).\n",
	       auc, lo, hi);
	if (!sr->csv)
		printf("\n");
	print_cost(&r, sr->csv);
	ciot_sim_result_free(&r);
	return 0;
}

static int cmd_score(const struct args *a)
{
	struct score_run sr = { .a = a, .csv = !strcmp(a->format, "csv") };
	int status = parse_windows(a->windows, sr.windows, &sr.nwindows);
	if (status)
		return status;
	struct ciot_labels labels = { 0 };
	struct ciot_trace t;
	if ((status = load_labels(a, &labels)))
		return status;
	if ((status = load_trace(a, &t))) {
		ciot_labels_free(&labels);
		return status;
	}
	sr.t = &t;
	sr.labels = &labels;
	char err[CIOT_ERRBUF_SIZE];
	if (a->store) {
		struct ciot_shape_store_run run = { .captures = (const char *const *)a->captures, .ncaptures = a->ncaptures,
						    .device = t.device, .interval = a->interval, .size = a->size,
						    .down_interval = a->down_interval ? a->down_interval : a->interval,
						    .down_size = a->down_size ? a->down_size : a->size, .tls = a->tls,
						    .legacy_header = a->legacy, .shaped_capture = a->shaped,
						    .seeds = a->shaped ? 1 : (size_t)a->seeds };
		if (ciot_shape_store_open(&sr.store, a->store, &run, err)) {
			fprintf(stderr, "ciot-shape: %s\n", err);
			status = EXIT_FAILED;
		}
	}
	if (!status)
		status = score_all(&sr);
	if (!status)
		status = separability(&sr);
	if (sr.store && ciot_shape_store_close(sr.store, status == 0, err)) {
		fprintf(stderr, "ciot-shape: %s\n", err);
		status = EXIT_FAILED;
	}
	ciot_trace_free(&t);
	ciot_labels_free(&labels);
	return status;
}

/* ---- sweep -------------------------------------------------------------------------------------- */

/* One point of a figure: the shaping it runs, and the value on its x axis. */
struct point {
	const char *figure, *parameter;
	double x;
	char interval[48], size[48];
};

/* The paper's Figures 4 to 6 (Datta et al., section 5.3), on this trace: the sleep monitor's
 * uniform delays and sizes, the camera's constant ones. */
static size_t sweep_points(const char *figure, struct point *p, size_t cap)
{
	size_t n = 0;
#define ADD(fig, param, xv, ...)                                                                          \
	do {                                                                                              \
		if (n < cap && (!strcmp(figure, "all") || !strcmp(figure, fig))) {                        \
			p[n] = (struct point){ fig, param, xv, "", "" };                                    \
			snprintf(p[n].interval, sizeof p[n].interval, __VA_ARGS__);                       \
			n++;                                                                              \
		}                                                                                         \
	} while (0)
	for (int i = 0; i <= 5; i++) {
		double d = 0.1 * i;
		ADD("4a", "d_low", d, "uniform:%g,0.6", d);
	}
	for (int i = 1; i <= 6; i++) {
		double d = 0.2 * i;
		ADD("4b", "d_high", d, "uniform:0,%g", d);
	}
	for (int i = 0; i <= 6; i++) {
		double s = 20 + 25 * i;
		ADD("5a", "s_low", s, "uniform:0,0.6");
	}
	for (int i = 0; i <= 6; i++) {
		double s = 100 + 100 * i;
		ADD("5b", "s_high", s, "uniform:0,0.6");
	}
	for (int i = 0; i <= 4; i++) {
		double s = 100 + 50 * i;
		ADD("5c", "uniform_mean", s, "uniform:0,0.6");
		ADD("5c", "normal_mean", s, "uniform:0,0.6");
	}
	for (int i = 0; i <= 5; i++) {
		double d = 0.02 + 0.02 * i;
		ADD("6a", "d", d, "constant:%g", d);
	}
	for (int i = 0; i <= 5; i++) {
		double s = 120 + 60 * i;
		ADD("6b", "x", s, "constant:0.05");
	}
#undef ADD
	for (size_t i = 0; i < n; i++) {
		const char *param = p[i].parameter;
		double x = p[i].x;
		if (!strcmp(param, "s_low"))
			snprintf(p[i].size, sizeof p[i].size, "uniform:%g,200", x);
		else if (!strcmp(param, "s_high"))
			snprintf(p[i].size, sizeof p[i].size, "uniform:50,%g", x);
		else if (!strcmp(param, "uniform_mean"))
			snprintf(p[i].size, sizeof p[i].size, "uniform:%g,%g", x - 50, x + 50);
		else if (!strcmp(param, "normal_mean")) /* the uniform's standard deviation: 100 / sqrt(12) */
			snprintf(p[i].size, sizeof p[i].size, "normal:%g,28.87", x);
		else if (!strcmp(param, "x"))
			snprintf(p[i].size, sizeof p[i].size, "constant:%g", x);
		else if (!strcmp(param, "d"))
			snprintf(p[i].size, sizeof p[i].size, "constant:120");
		else
			snprintf(p[i].size, sizeof p[i].size, "uniform:50,200");
	}
	return n;
}

static int cmd_sweep(const struct args *a)
{
	struct point points[64];
	size_t n = sweep_points(a->figure, points, sizeof points / sizeof points[0]);
	if (!n) {
		fprintf(stderr, "ciot-shape: --figure \"%s\": one of 4a 4b 5a 5b 5c 6a 6b all\n", a->figure);
		return EXIT_USAGE;
	}
	struct ciot_trace t;
	int status = load_trace(a, &t);
	if (status)
		return status;
	bool csv = !strcmp(a->format, "csv");
	/* the paper shaped only what the device sends: its figures are the from-device columns */
	printf(csv ? "figure,parameter,value,interval,size,original_Bps,up_overhead_Bps,up_expected_Bps,overhead_Bps,"
		     "expected_overhead_Bps,delay_p95_ms\n"
		   : "| figure | parameter | value | interval | size | original B/s | from device: overhead B/s | expected | "
		     "both directions: overhead B/s | expected | delay p95 ms |\n"
		     "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n && !status; i++) {
		struct args pa = *a;
		pa.interval = pa.down_interval = points[i].interval;
		pa.size = pa.down_size = points[i].size;
		struct ciot_sim_options o;
		if ((status = sim_options(&pa, &t, &o)))
			break;
		char err[CIOT_ERRBUF_SIZE];
		struct ciot_sim_result r;
		if (ciot_shape_simulate(&t, &o, NULL, &r, err)) {
			fprintf(stderr, "ciot-shape: %s\n", err);
			status = EXIT_FAILED;
		} else {
			double p95 = fmax(r.dir[0].delay_ms[1], r.dir[1].delay_ms[1]);
			/* the distributions' text holds commas: quoted in CSV (RFC 4180) */
			printf(csv ? "%s,%s,%g,\"%s\",\"%s\",%.2f,%.2f,%.2f,%.2f,%.2f,%.1f\n"
				   : "| %s | %s | %g | %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
			       points[i].figure, points[i].parameter, points[i].x, points[i].interval, points[i].size,
			       r.original_bps, r.dir[0].overhead_bps, r.dir[0].expected_overhead_bps, r.overhead_bps,
			       r.expected_overhead_bps, p95);
			ciot_sim_result_free(&r);
		}
		free_options(&o);
	}
	ciot_trace_free(&t);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *cmd = argv[1];
	int (*run)(const struct args *) = !strcmp(cmd, "simulate") ? cmd_simulate
					  : !strcmp(cmd, "score")   ? cmd_score
					  : !strcmp(cmd, "sweep")   ? cmd_sweep
								    : NULL;
	if (!run) {
		fprintf(stderr, "ciot-shape: unknown command \"%s\" (simulate, score, sweep)\n", cmd);
		return EXIT_USAGE;
	}
	struct args a;
	int status = parse_args(argc - 1, argv + 1, &a);
	if (status >= 0)
		return status;
	return run(&a);
}
