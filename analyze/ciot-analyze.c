/* ciot-analyze: capture files, a lifecycle dataset or a ciot manifest in, one SQLite database out.
 * A thin tool: it parses options, builds the dataset model and calls libciot's pipeline. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "pipeline.h"
#include "dataset.h"
#include "destinations.h"
#include "dpi.h"
#include "store.h"

#define EXIT_FAILED_CAPTURES 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

static const char usage[] =
	"usage: ciot-analyze [options] -o DB INPUT...\n"
	"\n"
	"Analyzes IoT device traffic into one SQLite database (schema: docs/database.md).\n"
	"Each INPUT is one of:\n"
	"  a ciot manifest (a .json file, or a directory holding manifest.json): devices and captures\n"
	"      tagged with lifecycle phase (schema: datasets/README.md);\n"
	"  a directory in the public lifecycle dataset's layout: <device>/<device>_<step>.pcap files,\n"
	"      or an unsplit <device>.pcap with its <device>.txt timetable;\n"
	"  a pcap or pcapng file, tagged with the options below.\n"
	"\n"
	"Output:\n"
	"  -o, --db FILE         database to write (created if absent; re-analyzed files replace their rows)\n"
	"Bare capture files:\n"
	"      --device NAME     device id (default: the file name without extension)\n"
	"      --category C      camera, doorbell, speaker, plug, light, hub, sensor, humidifier, other\n"
	"                        (default: found in the device name as the lifecycle dataset does, else other)\n"
	"      --brand B         device brand\n"
	"      --phase P         setup, interaction, idle or deletion (default: interaction)\n"
	"      --subphase S      step label, e.g. watch_remote or on_voice\n"
	"      --firmware pre|post   captured before or after a firmware update\n"
	"      --interception TAG    a certificate-interception test capture\n"
	"      --mac MAC         the device's MAC (repeatable); its IPs are learned from its frames\n"
	"      --ip ADDR         the device's IP (repeatable)\n"
	"                        with neither, the one private address present in every unicast flow is\n"
	"                        taken as the device's, and the tool says so\n"
	"      --all-flows       the captures are not one device's traffic (a whole network, a\n"
	"                        benchmark): keep every flow, oriented from its initiator\n"
	"Lifecycle dataset layout:\n"
	"      --ip-table FILE   CSV of \"device,IP\" rows\n"
	"      --tz OFFSET       time zone of the <device>.txt timetables (default +8, China)\n"
	"Destinations (names, countries, organizations, parties; docs/destinations.md):\n"
	"      --geo-dir DIR     geolocation and AS data (default: $CIOT_GEO_DIR, else the checkout's\n"
	"                        datasets/geo, which make setup fills)\n"
	"      --rules-dir DIR   organization and party rules (default: $CIOT_RULES_DIR, else the\n"
	"                        checkout's datasets/attribution)\n"
	"      --public-services third|support|org\n"
	"                        how public DNS resolvers and NTP pools count: third party (default, as\n"
	"                        the lifecycle paper), support party, or by their organization like any\n"
	"                        other server\n"
	"Encryption classes (docs/encryption.md):\n"
	"      --entropy MODE    length-aware (default: thresholds relative to the entropy random bytes\n"
	"                        of the payload's length have) or paper (the published fixed thresholds)\n"
	"      --encrypted-above R   entropy threshold of \"encrypted\" (default 0.95 of random's in\n"
	"                        length-aware mode, 0.9 in paper mode)\n"
	"      --text-below R    entropy threshold of \"text\" (default 0.75 of random's; paper 0.4)\n"
	"      --omit-below N    payloads shorter than N bytes that no rule classified are omitted\n"
	"                        (default 20)\n"
	"TLS audit (docs/tls.md):\n"
	"      --ca-file FILE    judge certificate chains against the CA certificates in this PEM file\n"
	"                        (default: the system trust store, Debian's ca-certificates through\n"
	"                        OpenSSL's default paths); a copy kept with the dataset makes the\n"
	"                        verdicts reproducible\n"
	"Personal data (docs/pii.md):\n"
	"      --no-pii          do not search clear text for personal data\n"
	"      --pii-key FILE    hash found values with a key made from this file (at least 16 bytes), so\n"
	"                        that hashes agree across runs and databases (default: a random key of\n"
	"                        this run only)\n"
	"      --pii-values      store the values found, not only their hash and a hint; the database\n"
	"                        then holds personal data\n"
	"Processing:\n"
	"  -j, --jobs N          analyze N files in parallel (default 1)\n"
	"      --max-flows N     active flows held at most per job (default 131072); beyond it the\n"
	"                        least recently active flow is ended early\n"
	"      --idle-timeout S  end flows idle for S seconds, whatever their transport (defaults: TCP\n"
	"                        600, UDP 180, other 60; closed TCP 30); a large value makes flows\n"
	"                        comparable with tools that have no timeout, such as tshark -z conv\n"
	"  -q, --quiet           no progress line and no notes; errors and warnings still go to stderr\n"
	"  -h, --help            this text\n"
	"  -V, --version         versions of ciot and nDPI\n"
	"\n"
	"Exit status: 0 all captures stored, 1 some capture could not be analyzed (each is named on\n"
	"stderr as \"file: reason\" and left out of the database), 2 usage error, 130 interrupted (files\n"
	"finished before the interruption are in the database, the one in progress is not).\n";

static volatile sig_atomic_t stop_flag;

/* The run's settings live until the process ends, whichever way main returns. */
static struct ciot_config *config;

static void free_config(void)
{
	ciot_config_free(config);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct progress_ctx {
	struct ciot_progress *p;
	bool show;
	bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timespec start;
	bool line_on_screen;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void draw_progress(struct progress_ctx *pc)
{
	double elapsed = seconds_since(&pc->start);
	uint64_t done = atomic_load(&pc->p->bytes_done), frames = atomic_load(&pc->p->frames);
	uint64_t files = atomic_load(&pc->p->files_done);
	double mbps = elapsed > 0 ? (double)done / 1e6 / elapsed : 0;
	char eta[32] = "--:--";
	if (done > 0 && pc->p->bytes_total > done && elapsed > 0.5) {
		double left = (double)(pc->p->bytes_total - done) / ((double)done / elapsed);
		snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
	}
	int pct = pc->p->bytes_total ? (int)(100.0 * (double)done / (double)pc->p->bytes_total) : 0;
	if (pct > 100)
		pct = 100;
	char bar[21];
	for (int i = 0; i < 20; i++)
		bar[i] = i < pct / 5 ? '#' : '.';
	bar[20] = 0;
	fprintf(stderr, "\r[%s] %3d%%  files %llu/%llu  %llu packets  %.1f MB/s  ETA %s  ", bar, pct,
		(unsigned long long)files, (unsigned long long)pc->p->files_total, (unsigned long long)frames, mbps, eta);
	pc->line_on_screen = true;
}

static void clear_progress(struct progress_ctx *pc)
{
	if (pc->line_on_screen) {
		fprintf(stderr, "\r\033[K");
		pc->line_on_screen = false;
	}
}

static void *progress_main(void *arg)
{
	struct progress_ctx *pc = arg;
	pthread_mutex_lock(&pc->lock);
	while (!pc->done) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pc->cond, &pc->lock, &until);
		if (!pc->done)
			draw_progress(pc);
	}
	clear_progress(pc);
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

struct report_ctx {
	struct progress_ctx *progress;
	bool quiet;
};

static void on_capture(void *ctx, const struct ciot_capture *capture, enum ciot_rc rc, const char *message)
{
	struct report_ctx *rc_ctx = ctx;
	if (!message[0] || (rc == CIOT_OK && rc_ctx->quiet && !strstr(message, "warning")))
		return;
	pthread_mutex_lock(&rc_ctx->progress->lock);
	clear_progress(rc_ctx->progress);
	fprintf(stderr, "%s: %s\n", capture->path, message);
	pthread_mutex_unlock(&rc_ctx->progress->lock);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Loads one INPUT into the dataset: a manifest, a lifecycle directory or a bare capture file. */
static enum ciot_rc load_input(struct ciot_dataset *ds, const char *input, const struct ciot_bare_options *bare,
			       const char *ip_table, int tz, bool quiet, char *errbuf)
{
	char manifest[4096];
	if (is_dir(input)) {
		snprintf(manifest, sizeof manifest, "%s/manifest.json", input);
		if (access(manifest, F_OK) != 0) {
			char notes[4096] = "";
			enum ciot_rc rc = ciot_dataset_load_lifecycle(ds, input, ip_table, tz, notes, sizeof notes, errbuf);
			if (!quiet && notes[0])
				fputs(notes, stderr);
			return rc;
		}
		input = manifest;
	}
	if (ends_with(input, ".json"))
		return ciot_dataset_load_manifest(ds, input, errbuf);
	return ciot_dataset_add_file(ds, input, bare, errbuf);
}

int main(int argc, char **argv)
{
	enum { OPT_DEVICE = 256, OPT_CATEGORY, OPT_BRAND, OPT_PHASE, OPT_SUBPHASE, OPT_FIRMWARE, OPT_INTERCEPTION,
	       OPT_MAC, OPT_IP, OPT_IP_TABLE, OPT_TZ, OPT_MAX_FLOWS, OPT_IDLE_TIMEOUT, OPT_ALL_FLOWS, OPT_GEO_DIR,
	       OPT_RULES_DIR, OPT_PUBLIC_SERVICES, OPT_ENTROPY, OPT_ENCRYPTED_ABOVE, OPT_TEXT_BELOW, OPT_OMIT_BELOW,
	       OPT_CA_FILE, OPT_NO_PII, OPT_PII_KEY, OPT_PII_VALUES };
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'o' },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "category", required_argument, NULL, OPT_CATEGORY },
		{ "brand", required_argument, NULL, OPT_BRAND },
		{ "phase", required_argument, NULL, OPT_PHASE },
		{ "subphase", required_argument, NULL, OPT_SUBPHASE },
		{ "firmware", required_argument, NULL, OPT_FIRMWARE },
		{ "interception", required_argument, NULL, OPT_INTERCEPTION },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "ip-table", required_argument, NULL, OPT_IP_TABLE },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "jobs", required_argument, NULL, 'j' },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "all-flows", no_argument, NULL, OPT_ALL_FLOWS },
		{ "geo-dir", required_argument, NULL, OPT_GEO_DIR },
		{ "rules-dir", required_argument, NULL, OPT_RULES_DIR },
		{ "public-services", required_argument, NULL, OPT_PUBLIC_SERVICES },
		{ "entropy", required_argument, NULL, OPT_ENTROPY },
		{ "encrypted-above", required_argument, NULL, OPT_ENCRYPTED_ABOVE },
		{ "text-below", required_argument, NULL, OPT_TEXT_BELOW },
		{ "omit-below", required_argument, NULL, OPT_OMIT_BELOW },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "no-pii", no_argument, NULL, OPT_NO_PII },
		{ "pii-key", required_argument, NULL, OPT_PII_KEY },
		{ "pii-values", no_argument, NULL, OPT_PII_VALUES },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ciot_bare_options bare = { .phase = CIOT_PHASE_INTERACTION };
	config = ciot_config_new();
	atexit(free_config);
	if (!config) {
		fprintf(stderr, "ciot-analyze: out of memory\n");
		return EXIT_FAILED_CAPTURES;
	}
	struct ciot_destination_options dopt;
	ciot_destination_default_options(&dopt);
	const char *db_path = NULL, *ip_table = NULL;
	int tz = 8 * 3600;
	bool quiet = false;
	int opt, index = -1;
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	while ((opt = getopt_long(argc, argv, "o:j:qhV", options, &index)) != -1) {
		const char *name = opt == 'j' ? "jobs" : index >= 0 ? options[index].name : NULL;
		index = -1;
		switch (opt) {
		case 'o': db_path = optarg; break;
		case OPT_DEVICE: bare.device = optarg; break;
		case OPT_CATEGORY: bare.category = optarg; break;
		case OPT_BRAND: bare.brand = optarg; break;
		case OPT_PHASE:
			if (!ciot_phase_parse(optarg, &bare.phase)) {
				fprintf(stderr, "ciot-analyze: --phase must be setup, interaction, idle or deletion\n");
				return EXIT_USAGE;
			}
			break;
		case OPT_SUBPHASE: bare.subphase = optarg; break;
		case OPT_FIRMWARE:
			if (strcmp(optarg, "pre") && strcmp(optarg, "post")) {
				fprintf(stderr, "ciot-analyze: --firmware must be pre or post\n");
				return EXIT_USAGE;
			}
			bare.firmware = optarg;
			break;
		case OPT_INTERCEPTION: bare.interception = optarg; break;
		case OPT_MAC:
		case OPT_IP: {
			size_t *count = opt == OPT_MAC ? &bare.nmacs : &bare.nips;
			const char **list = opt == OPT_MAC ? bare.macs : bare.ips;
			if (*count >= CIOT_DATASET_MAX_ADDRESSES) {
				fprintf(stderr, "ciot-analyze: at most %d --mac and %d --ip\n", CIOT_DATASET_MAX_ADDRESSES,
					CIOT_DATASET_MAX_ADDRESSES);
				return EXIT_USAGE;
			}
			list[(*count)++] = optarg;
			break;
		}
		case OPT_IP_TABLE: ip_table = optarg; break;
		case OPT_TZ:
			if (!ciot_tz_parse(optarg, &tz)) {
				fprintf(stderr, "ciot-analyze: --tz \"%s\": use an offset such as +8, UTC+8 or -05:30\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
		case OPT_MAX_FLOWS:
		case OPT_IDLE_TIMEOUT:
		case OPT_ALL_FLOWS:
		case OPT_ENTROPY:
		case OPT_ENCRYPTED_ABOVE:
		case OPT_TEXT_BELOW:
		case OPT_OMIT_BELOW:
		case OPT_CA_FILE:
		case OPT_NO_PII:
		case OPT_PII_KEY:
		case OPT_PII_VALUES:
			if (ciot_config_set(config, name, optarg, errbuf)) {
				fprintf(stderr, "ciot-analyze: %s\n", errbuf);
				return EXIT_USAGE;
			}
			break;
		case OPT_GEO_DIR: dopt.geo_dir = optarg; break;
		case OPT_RULES_DIR: dopt.rules_dir = optarg; break;
		case OPT_PUBLIC_SERVICES:
			if (!ciot_public_convention_parse(optarg, &dopt.convention)) {
				fprintf(stderr, "ciot-analyze: --public-services must be third, support or org\n");
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("ciot-analyze %s (nDPI %s)\n", CIOT_VERSION, ciot_dpi_version()); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (ciot_config_check(config, errbuf)) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		return EXIT_USAGE;
	}
	if (!db_path || optind >= argc) {
		fprintf(stderr, "ciot-analyze: %s\n\n%s", !db_path ? "-o DB is required" : "no INPUT given", usage);
		return EXIT_USAGE;
	}

	struct ciot_dataset ds = { 0 };
	for (int i = optind; i < argc; i++) {
		enum ciot_rc rc = load_input(&ds, argv[i], &bare, ip_table, tz, quiet, errbuf);
		if (rc) {
			fprintf(stderr, "%s: %s\n", argv[i], errbuf);
			ciot_dataset_free(&ds);
			return rc == CIOT_ERR_ARG ? EXIT_USAGE : EXIT_FAILED_CAPTURES;
		}
	}

	struct ciot_analysis *analysis;
	enum ciot_rc rc = ciot_analysis_new(&analysis, config, &ds, errbuf);
	if (rc) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		ciot_dataset_free(&ds);
		return rc == CIOT_ERR_ARG ? EXIT_USAGE : EXIT_FAILED_CAPTURES;
	}
	struct ciot_destinations *destinations;
	rc = ciot_destinations_open(&destinations, &dopt, errbuf);
	if (rc) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		ciot_analysis_free(analysis);
		ciot_dataset_free(&ds);
		return EXIT_FAILED_CAPTURES;
	}
	struct ciot_store *store;
	rc = ciot_store_open(&store, db_path, errbuf);
	if (!rc)
		rc = ciot_store_begin_run(store, &ds, analysis, errbuf);
	if (rc) {
		fprintf(stderr, "%s: %s\n", db_path, errbuf);
		ciot_store_close(store);
		ciot_destinations_close(destinations);
		ciot_analysis_free(analysis);
		ciot_dataset_free(&ds);
		return EXIT_FAILED_CAPTURES;
	}

	struct ciot_progress progress = { .files_total = ds.ncaptures };
	for (size_t i = 0; i < ds.ncaptures; i++) {
		struct stat st;
		if (stat(ds.captures[i].path, &st) == 0)
			progress.bytes_total += (uint64_t)st.st_size;
	}
	struct progress_ctx pc = { .p = &progress, .show = !quiet && isatty(STDERR_FILENO) };
	pthread_mutex_init(&pc.lock, NULL);
	pthread_cond_init(&pc.cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &pc.start);
	pthread_t progress_thread;
	bool progress_running = pc.show && pthread_create(&progress_thread, NULL, progress_main, &pc) == 0;

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct report_ctx rctx = { &pc, quiet };
	size_t failed = 0;
	rc = ciot_analyze(store, &ds, analysis, &progress, &stop_flag, on_capture, &rctx, &failed, errbuf);

	if (progress_running) {
		pthread_mutex_lock(&pc.lock);
		pc.done = true;
		pthread_cond_signal(&pc.cond);
		pthread_mutex_unlock(&pc.lock);
		pthread_join(progress_thread, NULL);
	}
	/* The destinations table covers whatever is stored, also after some captures failed or an
	 * interruption: re-analyzed captures lost their rows with their old flows, and reports join
	 * on it. */
	bool destinations_failed = false;
	struct ciot_destination_stats dstats;
	char derr[CIOT_ERRBUF_SIZE] = "";
	if (ciot_destinations_build(destinations, ciot_store_db(store), &dstats, derr)) {
		fprintf(stderr, "%s: destinations: %s\n", db_path, derr);
		destinations_failed = true;
	} else if (dstats.dns_answers_dropped) {
		fprintf(stderr, "%s: warning: %llu DNS answers of devices with more than %u MiB of distinct names "
			"were not used to name flows\n", db_path, (unsigned long long)dstats.dns_answers_dropped,
			CIOT_STRPOOL_MAX_BYTES >> 20);
	}
	bool prune_failed = ciot_store_end_run(store, derr) != CIOT_OK;
	if (prune_failed)
		fprintf(stderr, "%s: %s\n", db_path, derr);
	ciot_store_close(store);
	ciot_destinations_close(destinations);
	ciot_analysis_free(analysis);
	if (!quiet) {
		double secs = seconds_since(&pc.start);
		fprintf(stderr, "ciot-analyze: %zu of %zu capture files stored in %s; %llu packets read (%.1f MB) in %.1f s\n",
			ds.ncaptures - failed, ds.ncaptures, db_path, (unsigned long long)atomic_load(&progress.frames),
			(double)atomic_load(&progress.bytes_done) / 1e6, secs);
		if (!destinations_failed)
			fprintf(stderr, "ciot-analyze: destinations: %llu flows to the Internet, %llu named by the flow "
				"(SNI, Host), %llu by an earlier DNS answer, %llu by a later one, %llu without a name; %llu "
				"without a country\n",
				(unsigned long long)dstats.internet_flows, (unsigned long long)dstats.named_by_flow,
				(unsigned long long)dstats.named_by_dns, (unsigned long long)dstats.named_by_later_dns,
				(unsigned long long)dstats.internet_unnamed, (unsigned long long)dstats.internet_no_country);
	}
	ciot_dataset_free(&ds);
	if (rc == CIOT_ERR_INTERRUPTED) {
		fprintf(stderr, "ciot-analyze: interrupted; %zu capture files not stored\n", failed);
		return EXIT_INTERRUPTED;
	}
	return failed || destinations_failed || prune_failed ? EXIT_FAILED_CAPTURES : 0;
}
