/* ciot-analyze: capture files, a lifecycle dataset or a ciot manifest in, one SQLite database out.
 * A thin tool: it parses options, builds the dataset model and calls libciot's pipeline.
 *
 * Its getopt table and its --help are made from option tables, so that an option and its help are
 * written once, by whoever applies it: the tool's own below (the output, how bare capture files and
 * the lifecycle layout are read, how the tool behaves), and the library's groups (each stage's, each
 * analyzer's, the core's; ciot_option_group), which the tool lists without naming an analyzer.
 */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ciot/analyze.h"

#define EXIT_FAILED_CAPTURES 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

static const char usage_head[] =
	"usage: ciot-analyze [options] -o DB INPUT...\n"
	"\n"
	"Analyzes IoT device traffic into one SQLite database (schema: docs/database.md).\n"
	"Each INPUT is one of:\n"
	"  a ciot manifest (a .json file, or a directory holding manifest.json): devices and captures\n"
	"      tagged with lifecycle phase (schema: datasets/README.md);\n"
	"  a directory in the public lifecycle dataset's layout: <device>/<device>_<step>.pcap files,\n"
	"      or an unsplit <device>.pcap with its <device>.txt timetable;\n"
	"  a pcap or pcapng file (or one compressed with gzip, xz or zstd), tagged with the options below;\n"
	"  any other directory: every capture file inside, at any depth, as such files.\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"Exit status: 0 all captures stored, 1 some capture could not be analyzed (each is named on\n"
	"stderr as \"file: reason\" and left out of the database), 2 usage error, 130 interrupted (files\n"
	"finished before the interruption are in the database, the one in progress is not).\n";

/* What the command line asks for beyond the run's settings. */
struct tool {
	const char *db_path;
	struct ciot_bare_options bare;
	const char *ip_table;
	int tz;
	bool quiet;
	double progress_interval; /* seconds between progress lines on a log (not a terminal) */
	enum { ACTION_RUN, ACTION_HELP, ACTION_VERSION } action;
	bool list;                /* --list-captures: print the captures, analyze nothing */
	struct ciot_shard shard; /* --shard K/N; n 0: the whole dataset */
	struct ciot_destination_options destinations;
};

/* An option that only keeps its argument. */
#define KEEP(setter, field)                                                     \
	static enum ciot_rc setter(void *tool, const char *value, char *errbuf) \
	{                                                                       \
		(void)errbuf;                                                   \
		((struct tool *)tool)->field = value;                           \
		return CIOT_OK;                                                 \
	}
/* SQLite takes "" for a temporary database and ":memory:" for one in memory, both gone at the end
 * of the run with every result: a run that writes nothing is refused. */
static enum ciot_rc set_db(void *tool, const char *value, char *errbuf)
{
	if (!value[0])
		return ciot_fail(errbuf, CIOT_ERR_ARG, "-o \"\": an empty path names no database file");
	if (!strcmp(value, ":memory:"))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "-o :memory: would keep the results in memory, lost when the run "
				 "ends: name a database file (./:memory: for a file of that name)");
	((struct tool *)tool)->db_path = value;
	return CIOT_OK;
}
KEEP(set_device, bare.device)
KEEP(set_category, bare.category)
KEEP(set_brand, bare.brand)
KEEP(set_subphase, bare.subphase)
KEEP(set_interception, bare.interception)
KEEP(set_ip_table, ip_table)

static enum ciot_rc set_phase(void *tool, const char *value, char *errbuf)
{
	if (!ciot_phase_parse(value, &((struct tool *)tool)->bare.phase))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--phase must be setup, interaction, idle or deletion");
	return CIOT_OK;
}

static enum ciot_rc set_firmware(void *tool, const char *value, char *errbuf)
{
	if (strcmp(value, "pre") && strcmp(value, "post"))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--firmware must be pre or post");
	((struct tool *)tool)->bare.firmware = value;
	return CIOT_OK;
}

static enum ciot_rc add_address(const char **list, size_t *count, const char *value, char *errbuf)
{
	if (*count >= CIOT_DATASET_MAX_ADDRESSES)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "at most %d --mac and %d --ip", CIOT_DATASET_MAX_ADDRESSES,
				 CIOT_DATASET_MAX_ADDRESSES);
	list[(*count)++] = value;
	return CIOT_OK;
}

static enum ciot_rc set_mac(void *tool, const char *value, char *errbuf)
{
	struct ciot_bare_options *b = &((struct tool *)tool)->bare;
	return add_address(b->macs, &b->nmacs, value, errbuf);
}

static enum ciot_rc set_ip(void *tool, const char *value, char *errbuf)
{
	struct ciot_bare_options *b = &((struct tool *)tool)->bare;
	return add_address(b->ips, &b->nips, value, errbuf);
}

static enum ciot_rc set_tz(void *tool, const char *value, char *errbuf)
{
	if (!ciot_tz_parse(value, &((struct tool *)tool)->tz))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--tz \"%s\": use an offset such as +8, UTC+8 or -05:30", value);
	return CIOT_OK;
}

static enum ciot_rc set_quiet(void *tool, const char *value, char *errbuf)
{
	(void)value;
	(void)errbuf;
	((struct tool *)tool)->quiet = true;
	return CIOT_OK;
}

/* A log gets a line at this interval (at most 10 s by default, so that a stalled run shows within
 * seconds of a look); a shorter one is for tests and impatient eyes, a longer one for long runs. */
#define PROGRESS_INTERVAL_DEFAULT 10.0
#define PROGRESS_INTERVAL_MAX 86400.0

static enum ciot_rc set_progress_interval(void *tool, const char *value, char *errbuf)
{
	char *end;
	double v = strtod(value, &end);
	if (end == value || *end || !(v >= 0.01 && v <= PROGRESS_INTERVAL_MAX))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--progress-interval wants seconds from 0.01 to %.0f",
				 PROGRESS_INTERVAL_MAX);
	((struct tool *)tool)->progress_interval = v;
	return CIOT_OK;
}

static enum ciot_rc set_help(void *tool, const char *value, char *errbuf)
{
	(void)value;
	(void)errbuf;
	((struct tool *)tool)->action = ACTION_HELP;
	return CIOT_OK;
}

static enum ciot_rc set_version(void *tool, const char *value, char *errbuf)
{
	(void)value;
	(void)errbuf;
	((struct tool *)tool)->action = ACTION_VERSION;
	return CIOT_OK;
}

/* K/N, both decimal, 1 <= K <= N; the selection itself is the library's (ciot_dataset_shard). */
static enum ciot_rc set_shard(void *tool, const char *value, char *errbuf)
{
	char *end;
	unsigned long k = strtoul(value, &end, 10), n = 0;
	if (end != value && *end == '/' && end[1] >= '0' && end[1] <= '9')
		n = strtoul(end + 1, &end, 10);
	if (*end || k < 1 || n < k || n > 1000000000UL)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--shard \"%s\": use K/N with 1 <= K <= N, e.g. 3/16", value);
	((struct tool *)tool)->shard = (struct ciot_shard){ .k = (unsigned)k, .n = (unsigned)n };
	return CIOT_OK;
}

static enum ciot_rc set_list(void *tool, const char *value, char *errbuf)
{
	(void)value;
	(void)errbuf;
	((struct tool *)tool)->list = true;
	return CIOT_OK;
}

static const struct ciot_option output_options[] = {
	{ "db", 'o', "FILE", "database to write (created if absent; re-analyzed files replace their rows)", set_db },
	{ "shard", 0, "K/N",
	  "analyze part K of N of the inputs' captures: the K-th, (K+N)-th, ...\n"
	  "in the order listed (--list-captures), into a database of its own;\n"
	  "ciot-report merge makes the parts one database (docs/scale.md)",
	  set_shard },
	{ "list-captures", 0, NULL,
	  "print the capture files to analyze (of the part, with --shard), one a\n"
	  "line, and exit without analyzing (no -o needed)",
	  set_list },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct ciot_option bare_options[] = {
	{ "device", 0, "NAME", "device id (default: the file name without extension)", set_device },
	{ "category", 0, "C",
	  "camera, doorbell, speaker, plug, light, hub, sensor, humidifier, other\n"
	  "(default: found in the device name as the lifecycle dataset does, else other)",
	  set_category },
	{ "brand", 0, "B", "device brand", set_brand },
	{ "phase", 0, "P", "setup, interaction, idle or deletion (default: interaction)", set_phase },
	{ "subphase", 0, "S", "step label, e.g. watch_remote or on_voice", set_subphase },
	{ "firmware", 0, "pre|post", "captured before or after a firmware update", set_firmware },
	{ "interception", 0, "TAG", "a certificate-interception test capture", set_interception },
	{ "mac", 0, "MAC", "the device's MAC (repeatable); its IPs are learned from its frames", set_mac },
	{ "ip", 0, "ADDR",
	  "the device's IP (repeatable)\n"
	  "with neither, the one private address present in every unicast flow is\n"
	  "taken as the device's, and the tool says so",
	  set_ip },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct ciot_option layout_options[] = {
	{ "ip-table", 0, "FILE", "CSV of \"device,IP\" rows", set_ip_table },
	{ "tz", 0, "OFFSET", "time zone of the <device>.txt timetables (default +8, China)", set_tz },
	{ NULL, 0, NULL, NULL, NULL },
};

/* The tool's part of "Processing": listed after the core's options, under their heading (the
 * library's last group). */
static const struct ciot_option processing_options[] = {
	{ "quiet", 'q', NULL, "no progress line and no notes; errors and warnings still go to stderr", set_quiet },
	{ "progress-interval", 0, "SECONDS",
	  "when stderr is not a terminal (a log), a progress line every SECONDS\n"
	  "(default 10): files, packets, MB read and rate; a terminal's line\n"
	  "is redrawn in place",
	  set_progress_interval },
	{ "help", 'h', NULL, "this text", set_help },
	{ "version", 'V', NULL, "versions of ciot and nDPI", set_version },
	{ NULL, 0, NULL, NULL, NULL },
};

/* Where an option takes effect: the tool's own settings, the run's (ciot_config_set), or the
 * destinations stage's. */
enum target { TO_TOOL, TO_RUN, TO_DESTINATIONS };

/* One heading of --help. */
struct section {
	const char *title; /* NULL: its options go on under the heading before */
	const struct ciot_option *options;
	enum target to;
};

#define MAX_SECTIONS 32
#define MAX_OPTIONS 128

/* Every option, in --help order, with its getopt entry: long options are told apart by index. */
static struct {
	struct section sections[MAX_SECTIONS];
	size_t nsections;
	const struct ciot_option *option[MAX_OPTIONS];
	const struct section *section[MAX_OPTIONS];
	struct option getopt[MAX_OPTIONS + 1];
	char shorts[2 * MAX_OPTIONS + 1];
	size_t n;
} table;

#define LONG_BASE 256

static bool add_section(const char *title, const struct ciot_option *options, enum target to)
{
	if (table.nsections == MAX_SECTIONS) {
		fprintf(stderr, "ciot-analyze: more than %d option groups\n", MAX_SECTIONS);
		return false;
	}
	table.sections[table.nsections++] = (struct section){ title, options, to };
	return true;
}

/* The tool's headings, then the library's groups, then the tool's processing options under the last
 * of them. A name given twice would leave one of its two meanings unreachable: refused. */
static bool build_table(void)
{
	if (!add_section("Output", output_options, TO_TOOL) ||
	    !add_section("Bare capture files", bare_options, TO_TOOL) ||
	    !add_section("Lifecycle dataset layout", layout_options, TO_TOOL))
		return false;
	struct ciot_option_group g;
	for (size_t i = 0; ciot_option_group(i, &g); i++) {
		if (g.stage && strcmp(g.stage, "destinations")) {
			fprintf(stderr, "ciot-analyze: the %s stage's options have no settings here\n", g.stage);
			return false;
		}
		if (!add_section(g.title, g.options, g.stage ? TO_DESTINATIONS : TO_RUN))
			return false;
	}
	if (!add_section(NULL, processing_options, TO_TOOL))
		return false;
	size_t nshorts = 0;
	for (size_t s = 0; s < table.nsections; s++)
		for (const struct ciot_option *o = table.sections[s].options; o->name; o++) {
			if (table.n == MAX_OPTIONS) {
				fprintf(stderr, "ciot-analyze: more than %d options\n", MAX_OPTIONS);
				return false;
			}
			for (size_t i = 0; i < table.n; i++)
				if (!strcmp(table.option[i]->name, o->name) ||
				    (o->short_name && table.option[i]->short_name == o->short_name)) {
					fprintf(stderr, "ciot-analyze: option --%s given twice\n", o->name);
					return false;
				}
			table.option[table.n] = o;
			table.section[table.n] = &table.sections[s];
			table.getopt[table.n] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
								 LONG_BASE + (int)table.n };
			if (o->short_name) {
				table.shorts[nshorts++] = o->short_name;
				if (o->arg)
					table.shorts[nshorts++] = ':';
			}
			table.n++;
		}
	return true;
}

/* The help starts at column 24; a label too long for that pushes it to column 28, or to the next
 * line. Its further lines start at column 24. */
static void print_option(FILE *out, const struct ciot_option *o)
{
	char label[160];
	int n = o->short_name ? snprintf(label, sizeof label, "  -%c, --%s", o->short_name, o->name)
			      : snprintf(label, sizeof label, "      --%s", o->name);
	if (o->arg && n < (int)sizeof label)
		n += snprintf(label + n, sizeof label - (size_t)n, " %s", o->arg);
	fputs(label, out);
	if (n <= 26)
		fprintf(out, "%*s", (n <= 22 ? 24 : 28) - n, "");
	else
		fprintf(out, "\n%24s", "");
	for (const char *line = o->help;;) {
		const char *end = strchr(line, '\n');
		if (!end) {
			fprintf(out, "%s\n", line);
			break;
		}
		fprintf(out, "%.*s\n%24s", (int)(end - line), line, "");
		line = end + 1;
	}
}

static void print_help(FILE *out)
{
	fputs(usage_head, out);
	for (size_t s = 0; s < table.nsections; s++) {
		if (table.sections[s].title)
			fprintf(out, "%s:\n", table.sections[s].title);
		for (const struct ciot_option *o = table.sections[s].options; o->name; o++)
			print_option(out, o);
	}
	fputs(usage_tail, out);
}

/* The run's settings live until the process ends, whichever way main returns. */
static struct ciot_config *config;

static void free_config(void)
{
	ciot_config_free(config);
}

static enum ciot_rc apply(struct tool *t, size_t i, const char *value, char *errbuf)
{
	const struct ciot_option *o = table.option[i];
	switch (table.section[i]->to) {
	case TO_RUN: return ciot_config_set(config, o->name, value, errbuf);
	case TO_DESTINATIONS: return o->set(&t->destinations, value, errbuf);
	case TO_TOOL: break;
	}
	return o->set(t, value, errbuf);
}

/* Applies the command line's options in order. Returns -1 to go on with the run, else the exit
 * status (after --help, --version or a usage error). */
static int parse_options(struct tool *t, int argc, char **argv)
{
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	int opt;
	while ((opt = getopt_long(argc, argv, table.shorts, table.getopt, NULL)) != -1) {
		size_t i = 0;
		if (opt >= LONG_BASE)
			i = (size_t)(opt - LONG_BASE);
		else /* a short option, or '?' when getopt has just said what is wrong */
			while (i < table.n && table.option[i]->short_name != opt)
				i++;
		if (i >= table.n) {
			print_help(stderr);
			return EXIT_USAGE;
		}
		if (apply(t, i, optarg, errbuf)) {
			fprintf(stderr, "ciot-analyze: %s\n", errbuf);
			return EXIT_USAGE;
		}
		if (t->action == ACTION_HELP) {
			print_help(stdout);
			return 0;
		}
		if (t->action == ACTION_VERSION) {
			printf("ciot-analyze %s (nDPI %s)\n", CIOT_VERSION, ciot_dpi_version());
			return 0;
		}
	}
	if (ciot_config_check(config, errbuf)) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		return EXIT_USAGE;
	}
	if ((!t->db_path && !t->list) || optind >= argc) {
		fprintf(stderr, "ciot-analyze: %s\n\n", optind < argc ? "-o DB is required" : "no INPUT given");
		print_help(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The progress thread: on a terminal it redraws one line in place four times a second; on a log
 * (stderr a file or a pipe: a batch job, nohup, a CI log) it writes a whole line every
 * --progress-interval seconds, on a fixed schedule from the start (interval k is due at k times
 * the interval, however long a line took), since a log shows nothing of a line redrawn with \r
 * until it ends. */
struct progress_ctx {
	struct ciot_progress *p;
	bool show;
	bool tty;
	double interval;
	bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timespec start;
	bool line_on_screen;
	bool running;
	pthread_t thread;
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

/* One line of a log: what a terminal's line says, without the bar and the carriage return. */
static void log_progress(struct progress_ctx *pc)
{
	double elapsed = seconds_since(&pc->start);
	uint64_t done = atomic_load(&pc->p->bytes_done), frames = atomic_load(&pc->p->frames);
	uint64_t files = atomic_load(&pc->p->files_done), total = pc->p->bytes_total;
	char of[64] = ""; /* the whole, when the files' sizes are known (not for pipes) */
	if (total)
		snprintf(of, sizeof of, " of %.1f MB (%d%%)", (double)total / 1e6,
			 (int)(100.0 * (double)(done < total ? done : total) / (double)total));
	fprintf(stderr, "ciot-analyze: progress: files %llu/%llu, %llu packets, %.1f MB%s, %.1f MB/s, %.1f s\n",
		(unsigned long long)files, (unsigned long long)pc->p->files_total, (unsigned long long)frames,
		(double)done / 1e6, of, elapsed > 0 ? (double)done / 1e6 / elapsed : 0, elapsed);
	fflush(stderr);
}

static void clear_progress(struct progress_ctx *pc)
{
	if (pc->line_on_screen) {
		fprintf(stderr, "\r\033[K");
		pc->line_on_screen = false;
	}
}

/* The wall-clock time `seconds` from now, for pthread_cond_timedwait. */
static struct timespec realtime_in(double seconds)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	if (seconds < 0)
		seconds = 0;
	long long ns = (long long)t.tv_nsec + (long long)(seconds * 1e9);
	t.tv_sec += (time_t)(ns / 1000000000LL);
	t.tv_nsec = (long)(ns % 1000000000LL);
	return t;
}

static void *progress_main(void *arg)
{
	struct progress_ctx *pc = arg;
	double step = pc->tty ? 0.25 : pc->interval, due = step;
	pthread_mutex_lock(&pc->lock);
	while (!pc->done) {
		struct timespec until = realtime_in(due - seconds_since(&pc->start));
		if (pthread_cond_timedwait(&pc->cond, &pc->lock, &until) == 0 || pc->done)
			continue; /* woken early (spuriously, or to stop): the line is not due yet */
		if (seconds_since(&pc->start) < due)
			continue;
		if (pc->tty)
			draw_progress(pc);
		else
			log_progress(pc);
		/* the next slot of the schedule: a line that came late does not push the others back */
		while (due <= seconds_since(&pc->start))
			due += step;
	}
	clear_progress(pc);
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

/* The progress line, from a thread of its own while the workers run: redrawn on a terminal, a line
 * at a time on a log; none with --quiet. */
static void start_progress(struct progress_ctx *pc, struct ciot_progress *p, const struct ciot_dataset *ds,
			   bool quiet, double interval)
{
	*p = (struct ciot_progress){ .files_total = ciot_dataset_ncaptures(ds) };
	for (size_t i = 0; i < p->files_total; i++) {
		struct stat st;
		if (stat(ciot_capture_path(ciot_dataset_capture(ds, i)), &st) == 0)
			p->bytes_total += (uint64_t)st.st_size;
	}
	bool tty = isatty(STDERR_FILENO);
	*pc = (struct progress_ctx){ .p = p, .show = !quiet, .tty = tty, .interval = interval };
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &pc->start);
	pc->running = pc->show && pthread_create(&pc->thread, NULL, progress_main, pc) == 0;
}

static void stop_progress(struct progress_ctx *pc)
{
	if (!pc->running)
		return;
	pthread_mutex_lock(&pc->lock);
	pc->done = true;
	pthread_cond_signal(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	pthread_join(pc->thread, NULL);
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
	fprintf(stderr, "%s: %s\n", ciot_capture_path(capture), message);
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

/* A manifest's captures are files of its dataset: beside it or below. One elsewhere is read all the
 * same (a manifest over a shared corpus, captures on another disk), with a warning naming it,
 * since a manifest from elsewhere could name any file the user can read (/etc/passwd) and have
 * its first bytes printed in a message. The first few are named, the rest counted. */
static void warn_outside(const struct ciot_dataset *ds, const char *manifest, size_t first)
{
	enum { NAMED = 5 };
	char dir[PATH_MAX], file[PATH_MAX];
	if (!realpath(manifest, dir))
		return;
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0; /* the folder; "/" for a manifest at the root */
	size_t n = strlen(dir), outside = 0;
	for (size_t i = first; i < ciot_dataset_ncaptures(ds); i++) {
		const char *path = ciot_capture_path(ciot_dataset_capture(ds, i));
		if (!realpath(path, file))
			continue; /* a file that is not there: its own error, when it is read */
		bool below = !strncmp(file, dir, n) && (file[n] == '/' || (n == 1 && dir[0] == '/'));
		if (below || outside++ >= NAMED)
			continue;
		fprintf(stderr, "%s: warning: captures[%zu]: %s is outside the manifest's folder %s\n", manifest,
			i - first, file, dir);
	}
	if (outside > NAMED)
		fprintf(stderr, "%s: warning: %zu more captures outside the manifest's folder\n", manifest,
			outside - NAMED);
}

/* Loads one INPUT into the dataset: a manifest, a directory (the lifecycle layout, or bare captures)
 * or a bare capture file. */
static enum ciot_rc load_input(struct ciot_dataset *ds, const char *input, const struct tool *t, char *errbuf)
{
	char manifest[4096];
	if (is_dir(input)) {
		snprintf(manifest, sizeof manifest, "%s/manifest.json", input);
		if (access(manifest, F_OK) != 0) {
			char notes[4096] = "";
			enum ciot_rc rc = ciot_dataset_load_directory(ds, input, t->ip_table, t->tz, &t->bare, notes,
								      sizeof notes, errbuf);
			if (!t->quiet && notes[0])
				fputs(notes, stderr);
			return rc;
		}
		input = manifest;
	}
	if (ends_with(input, ".json")) {
		size_t before = ciot_dataset_ncaptures(ds);
		enum ciot_rc rc = ciot_dataset_load_manifest(ds, input, errbuf);
		if (!rc)
			warn_outside(ds, input, before);
		return rc;
	}
	return ciot_dataset_add_file(ds, input, &t->bare, errbuf);
}

/* What the run did, unless told to be quiet. */
static void print_summary(const struct tool *t, const struct ciot_dataset *ds, size_t failed,
			  const struct progress_ctx *pc, const struct ciot_destination_stats *dstats)
{
	size_t n = ciot_dataset_ncaptures(ds);
	fprintf(stderr, "ciot-analyze: %zu of %zu capture files stored in %s; %llu packets read (%.1f MB) in %.1f s\n",
		n - failed, n, t->db_path, (unsigned long long)atomic_load(&pc->p->frames),
		(double)atomic_load(&pc->p->bytes_done) / 1e6, seconds_since(&pc->start));
	if (dstats)
		fprintf(stderr, "ciot-analyze: destinations: %llu flows to the Internet, %llu named by the flow "
			"(SNI, Host), %llu by an earlier DNS answer, %llu by a later one, %llu without a name; %llu "
			"without a country\n",
			(unsigned long long)dstats->internet_flows, (unsigned long long)dstats->named_by_flow,
			(unsigned long long)dstats->named_by_dns, (unsigned long long)dstats->named_by_later_dns,
			(unsigned long long)dstats->internet_unnamed, (unsigned long long)dstats->internet_no_country);
	if (!dstats)
		return;
	if (dstats->lab_flows)
		fprintf(stderr, "ciot-analyze: %llu flows to the lab's own hosts, left out of parties, organizations and "
			"countries\n", (unsigned long long)dstats->lab_flows);
	for (size_t i = 0; i < dstats->ncoverage; i++) {
		const struct ciot_device_coverage *c = &dstats->coverage[i];
		fprintf(stderr, "ciot-analyze: attribution of %s: %llu servers, %llu decided by a rule, %llu by evidence, "
			"%llu by no rule (third party by default)", c->device, (unsigned long long)c->servers,
			(unsigned long long)c->by_rule, (unsigned long long)c->by_evidence,
			(unsigned long long)c->by_default);
		if (c->lab_hosts)
			fprintf(stderr, "; %llu lab hosts", (unsigned long long)c->lab_hosts);
		fprintf(stderr, "\n");
	}
}

/* Where attribution guessed, said whatever --quiet asks: a device no server can be first party to,
 * a dataset without a home country, a device whose servers are mostly third party by default. */
static void print_attribution_warnings(const struct tool *t, const struct ciot_destination_stats *s)
{
	/* a run over a thousand bare files has a thousand brandless devices: the first few are named,
	 * the rest counted, and ciot-report coverage lists them all */
	enum { NAMED = 5 };
	size_t gaps = 0, undecided = 0;
	for (size_t i = 0; i < s->ncoverage; i++) {
		const struct ciot_device_coverage *c = &s->coverage[i];
		if (c->brand_gap && gaps++ < NAMED)
			fprintf(stderr, "%s: warning: device %s %s: none of its servers can be first party by brand\n",
				t->db_path, c->device, c->brand_gap);
		if (c->servers && c->by_default * 2 > c->servers && undecided++ < NAMED)
			fprintf(stderr, "%s: warning: device %s: %llu of its %llu servers are third party only because "
				"no rule or evidence knows them (ciot-report coverage; datasets/attribution)\n",
				t->db_path, c->device, (unsigned long long)c->by_default, (unsigned long long)c->servers);
	}
	if (gaps > NAMED)
		fprintf(stderr, "%s: warning: %zu more devices without a brand the rules know (ciot-report coverage)\n",
			t->db_path, gaps - NAMED);
	if (undecided > NAMED)
		fprintf(stderr, "%s: warning: %zu more devices whose servers are mostly third party by default "
			"(ciot-report coverage)\n", t->db_path, undecided - NAMED);
	/* about what is stored: a run that stored nothing (every capture refused) has no shares to skew */
	if (s->no_home_country && s->ncoverage)
		fprintf(stderr, "%s: warning: the dataset names no home country: reports count traffic outside CN as "
			"overseas (the manifest's home_country, ciot-capture --home-country, or ciot-report --home)\n",
			t->db_path);
}

/* Analyzes the dataset into the database, then runs the destinations stage over what is stored. */
static int run(const struct tool *t, const struct ciot_dataset *ds, struct ciot_analysis *analysis,
	       struct ciot_destinations *destinations)
{
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	struct ciot_store *store;
	enum ciot_rc rc = ciot_store_open(&store, t->db_path, errbuf);
	char other[256];
	if (!rc && ciot_store_other_dataset(store, ds, other, sizeof other))
		fprintf(stderr, "%s: warning: the database holds captures of the dataset \"%s\"; this run adds those "
			"of \"%s\" to them (reports will count both)\n", t->db_path, other, ciot_dataset_name(ds));
	if (!rc)
		rc = ciot_store_begin_run(store, ds, analysis, errbuf);
	if (!rc)
		rc = ciot_store_record_shard(store, ds, &t->shard, errbuf);
	if (rc) {
		fprintf(stderr, "%s: %s\n", t->db_path, errbuf);
		ciot_store_close(store);
		return EXIT_FAILED_CAPTURES;
	}
	struct ciot_progress progress;
	struct progress_ctx pc;
	start_progress(&pc, &progress, ds, t->quiet, t->progress_interval);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct report_ctx rctx = { &pc, t->quiet };
	size_t failed = 0;
	rc = ciot_analyze(store, ds, analysis, &progress, &stop_flag, on_capture, &rctx, &failed, errbuf);
	stop_progress(&pc);
	/* What captures share is tidied first, then the destinations table is made to cover whatever
	 * is stored, also after some captures failed or an interruption (re-analyzed captures lost
	 * their rows with their old flows, and reports join on it): its transaction marks the
	 * database complete, so a run that dies before it leaves one that reports refuse. */
	char derr[CIOT_ERRBUF_SIZE] = "";
	bool prune_failed = ciot_store_end_run(store, derr) != CIOT_OK;
	if (prune_failed)
		fprintf(stderr, "%s: %s\n", t->db_path, derr);
	bool destinations_failed = false;
	struct ciot_destination_stats dstats = { 0 };
	if (ciot_destinations_build(destinations, ciot_store_db(store), &dstats, derr)) {
		fprintf(stderr, "%s: destinations: %s\n", t->db_path, derr);
		destinations_failed = true;
	} else {
		if (dstats.dns_answers_dropped)
			fprintf(stderr, "%s: warning: %llu DNS answers of devices with more than %u MiB of distinct names "
				"were not used to name flows\n", t->db_path, (unsigned long long)dstats.dns_answers_dropped,
				(unsigned)(dstats.dns_names_max_bytes >> 20));
		print_attribution_warnings(t, &dstats);
	}
	ciot_store_close(store);
	if (!t->quiet)
		print_summary(t, ds, failed, &pc, destinations_failed ? NULL : &dstats);
	ciot_destination_stats_free(&dstats);
	if (rc == CIOT_ERR_INTERRUPTED) {
		fprintf(stderr, "ciot-analyze: interrupted; %zu capture files not stored\n", failed);
		return EXIT_INTERRUPTED;
	}
	return failed || destinations_failed || prune_failed ? EXIT_FAILED_CAPTURES : 0;
}

int main(int argc, char **argv)
{
	struct tool t = { .bare.phase = CIOT_PHASE_INTERACTION, .tz = 8 * 3600,
			  .progress_interval = PROGRESS_INTERVAL_DEFAULT };
	config = ciot_config_new();
	atexit(free_config);
	if (!config) {
		fprintf(stderr, "ciot-analyze: out of memory\n");
		return EXIT_FAILED_CAPTURES;
	}
	ciot_destination_default_options(&t.destinations);
	if (!build_table())
		return EXIT_FAILED_CAPTURES;
	int status = parse_options(&t, argc, argv);
	if (status >= 0)
		return status;

	char errbuf[CIOT_ERRBUF_SIZE] = "";
	struct ciot_dataset *ds = ciot_dataset_new();
	if (!ds) {
		fprintf(stderr, "ciot-analyze: out of memory\n");
		return EXIT_FAILED_CAPTURES;
	}
	for (int i = optind; i < argc; i++) {
		enum ciot_rc rc = load_input(ds, argv[i], &t, errbuf);
		if (rc) {
			fprintf(stderr, "%s: %s\n", argv[i], errbuf);
			ciot_dataset_delete(ds);
			return rc == CIOT_ERR_ARG ? EXIT_USAGE : EXIT_FAILED_CAPTURES;
		}
	}
	if (t.shard.n && ciot_dataset_shard(ds, t.shard.k, t.shard.n, &t.shard, errbuf)) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		ciot_dataset_delete(ds);
		return EXIT_FAILED_CAPTURES;
	}
	if (t.list) {
		for (size_t i = 0; i < ciot_dataset_ncaptures(ds); i++)
			printf("%s\n", ciot_capture_path(ciot_dataset_capture(ds, i)));
		ciot_dataset_delete(ds);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EXIT_FAILED_CAPTURES;
	}
	struct ciot_analysis *analysis;
	enum ciot_rc rc = ciot_analysis_new(&analysis, config, ds, errbuf);
	if (rc) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		ciot_dataset_delete(ds);
		return rc == CIOT_ERR_ARG ? EXIT_USAGE : EXIT_FAILED_CAPTURES;
	}
	struct ciot_destinations *destinations;
	if (ciot_destinations_open(&destinations, &t.destinations, errbuf)) {
		fprintf(stderr, "ciot-analyze: %s\n", errbuf);
		status = EXIT_FAILED_CAPTURES;
	} else {
		status = run(&t, ds, analysis, destinations);
		ciot_destinations_close(destinations);
	}
	ciot_analysis_free(analysis);
	ciot_dataset_delete(ds);
	return status;
}
