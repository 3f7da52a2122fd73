/* ciot-report-merge.c: `ciot-report merge OUT.db PART.db...`, the databases of parts of one analysis
 * (ciot-analyze --shard K/N, one job each: docs/scale.md) made into the one database a run over the
 * whole dataset would have written. A thin subcommand: the library merges (ciot_merge_*, merge.c
 * says what is renumbered and what must agree) and builds the destinations over the merged rows
 * (ciot_destinations_build, as ciot-analyze does at the end of a run), whose evidence crosses
 * parts: a domain only one brand's devices contact, one party per server, coverage per device.
 *
 * The output is written to a temporary file beside OUT and renamed over it only once complete
 * (never a part: a part named as OUT, however spelled, is refused; nor anything but a regular
 * file), so that a failed or killed
 * merge leaves no database that looks whole. The destinations' options are ciot-analyze's; the way
 * public services count is the parts' own unless given.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ciot/analyze.h"
#include "ciot/store.h"
#include "tool.h"

#define MAX_OPTIONS 32
#define LONG_BASE 256

static void usage(FILE *out, const struct ciot_option_group *g)
{
	fputs("usage: ciot-report merge OUT.db PART.db... [-q] [destinations options]\n"
	      "\n"
	      "Merges databases of parts of one analysis (ciot-analyze --shard K/N, or runs over files of\n"
	      "their own) into OUT.db, the database one run over every part's captures would have written:\n"
	      "devices, captures and flows numbered as that run numbers them, certificates once, and the\n"
	      "destinations (names, parties, the dataset-wide evidence, coverage) built over the whole.\n"
	      "Every part must be complete and made by the same ciot with the same options and data (a\n"
	      "difference is refused, naming the meta key); a capture in two parts is refused. OUT.db is\n"
	      "replaced only once complete. docs/scale.md has recipes for Slurm and GNU parallel.\n"
	      "  -q, --quiet      no summary line\n"
	      "  -h, --help       this text\n",
	      out);
	if (g) {
		fprintf(out, "%s (as ciot-analyze's; --public-services defaults to the parts'):\n", g->title);
		for (const struct ciot_option *o = g->options; o->name; o++)
			fprintf(out, "      --%s%s%s\n", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	}
}

/* The destinations stage's option group, whose setters take struct ciot_destination_options. */
static bool destinations_group(struct ciot_option_group *out)
{
	for (size_t i = 0; ciot_option_group(i, out); i++)
		if (out->stage && !strcmp(out->stage, "destinations"))
			return true;
	return false;
}

/* Whether two paths name one file (OUT and a part, whatever the spelling or link). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Parses the options; -1 to go on, else the exit status. */
static int parse(int argc, char **argv, const struct ciot_option_group *g, struct ciot_destination_options *o,
		 bool *quiet, bool *convention_given)
{
	struct option longs[MAX_OPTIONS + 3];
	size_t n = 0;
	for (const struct ciot_option *opt = g->options; opt->name && n < MAX_OPTIONS; opt++, n++)
		longs[n] = (struct option){ opt->name, opt->arg ? required_argument : no_argument, NULL, LONG_BASE + (int)n };
	longs[n++] = (struct option){ "quiet", no_argument, NULL, 'q' };
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	int c;
	char errbuf[CIOT_ERRBUF_SIZE];
	while ((c = getopt_long(argc, argv, "qh", longs, NULL)) != -1) {
		if (c == 'q')
			*quiet = true;
		else if (c == 'h') {
			usage(stdout, g);
			return 0;
		} else if (c >= LONG_BASE) {
			const struct ciot_option *opt = &g->options[c - LONG_BASE];
			if (opt->set(o, optarg, errbuf)) {
				fprintf(stderr, "ciot-report merge: %s\n", errbuf);
				return 2;
			}
			*convention_given |= !strcmp(opt->name, "public-services");
		} else {
			usage(stderr, g);
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "ciot-report merge: %s\n\n", argc - optind < 1 ? "no OUT.db given" : "no PART.db given");
		usage(stderr, g);
		return 2;
	}
	return -1;
}

/* Adds every part, copies them, and builds the destinations over the whole: the file at tmp is
 * then a complete database. */
static enum ciot_rc merge(const char *tmp, char **parts, size_t nparts, struct ciot_destination_options *o,
			  const struct ciot_option_group *g, bool convention_given, bool quiet, char *errbuf)
{
	struct ciot_merge *m;
	enum ciot_rc rc = ciot_merge_new(&m, tmp, errbuf);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < nparts; i++)
		if ((rc = ciot_merge_add(m, parts[i], errbuf))) {
			char why[CIOT_ERRBUF_SIZE];
			snprintf(why, sizeof why, "%s", errbuf);
			ciot_fail(errbuf, rc, "%s: %s", parts[i], why);
		}
	char convention[32];
	for (const struct ciot_option *opt = g->options; !rc && !convention_given && opt->name; opt++)
		if (!strcmp(opt->name, "public-services") &&
		    ciot_merge_meta(m, "public_services_party", convention, sizeof convention))
			rc = opt->set(o, convention, errbuf);
	struct ciot_destinations *d = NULL;
	if (!rc)
		rc = ciot_destinations_open(&d, o, errbuf);
	if (!rc)
		rc = ciot_merge_copy(m, errbuf);
	struct ciot_destination_stats stats = { 0 };
	if (!rc && (rc = ciot_destinations_build(d, ciot_merge_db(m), &stats, errbuf))) {
		char why[CIOT_ERRBUF_SIZE];
		snprintf(why, sizeof why, "%s", errbuf);
		ciot_fail(errbuf, rc, "destinations: %s", why);
	}
	if (!rc && !quiet)
		fprintf(stderr, "ciot-report merge: %zu parts, %zu devices, %llu flows (%llu to the Internet)\n", nparts,
			stats.ncoverage, (unsigned long long)stats.flows, (unsigned long long)stats.internet_flows);
	ciot_destination_stats_free(&stats);
	ciot_destinations_close(d);
	ciot_merge_free(m);
	return rc;
}

/* The merged file made durable, then put in place. */
static int finish(const char *tmp, const char *out)
{
	int fd = open(tmp, O_RDONLY);
	if (fd < 0 || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, out) != 0) {
		fprintf(stderr, "%s: %s\n", out, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}

int ciot_report_merge(int argc, char **argv)
{
	struct ciot_option_group g;
	if (!destinations_group(&g)) {
		fprintf(stderr, "ciot-report merge: the library has no destinations stage\n");
		return 1;
	}
	struct ciot_destination_options o;
	ciot_destination_default_options(&o);
	bool quiet = false, convention_given = false;
	int status = parse(argc, argv, &g, &o, &quiet, &convention_given);
	if (status >= 0)
		return status;
	const char *out = argv[optind];
	char **parts = argv + optind + 1;
	size_t nparts = (size_t)(argc - optind - 1);
	struct stat st;
	if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: not a regular file: the merged database replaces only a file\n", out);
		return 2;
	}
	for (size_t i = 0; i < nparts; i++)
		if (same_file(out, parts[i])) {
			fprintf(stderr, "%s: is the part %s: the merged database must be a file of its own\n", out, parts[i]);
			return 2;
		}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out);
	int fd = open_output(tmp);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", out, strerror(errno));
		return 1;
	}
	close(fd);
	char errbuf[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = merge(tmp, parts, nparts, &o, &g, convention_given, quiet, errbuf);
	if (rc) {
		fprintf(stderr, "ciot-report merge: %s\n", errbuf);
		unlink(tmp);
		return 1;
	}
	return finish(tmp, out);
}
