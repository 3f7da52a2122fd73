/* ciot-report: exports tables from an analysis database. A thin tool over the report library
 * (ciot/report.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ciot/report.h"
#include "ciot/store.h"
#include "tool.h"

static void usage(FILE *out)
{
	fputs("usage: ciot-report DB TABLE [--format csv|json|md] [-o FILE] [--home CC] [--fold-greater-china]\n"
	      "       ciot-report --columns [TABLE] [--format md|csv|json] [-o FILE]\n"
	      "       ciot-report compare A.db B.db [TABLE...] [--format csv|json|md] [-o FILE] (compare --help)\n"
	      "\n"
	      "Exports TABLE from a database written by ciot-analyze.\n"
	      "  -f, --format F   csv (default; header row), json (an array of objects with the same keys)\n"
	      "                   or md (a Markdown table)\n"
	      "  -o, --output F   write to F (replaced only once complete; mode 0666 less the umask)\n"
	      "                   instead of standard output\n"
	      "      --home CC    the dataset's home country (ISO 3166 code): traffic elsewhere is overseas\n"
	      "                   (default: the manifest's home_country, else CN)\n"
	      "      --fold-greater-china\n"
	      "                   count Hong Kong, Macao and Taiwan as CN, as the lifecycle paper's scripts\n"
	      "                   did (countries, sankey)\n"
	      "      --columns    print the columns of every export (or of TABLE) with their kinds and what\n"
	      "                   they mean: Markdown by default (docs/exports.md), or one CSV or JSON table\n"
	      "  -h, --help       this text\n"
	      "\n"
	      "Tables:\n",
	      out);
	const char *description;
	for (size_t i = 0; ciot_export_name(i, &description); i++)
		fprintf(out, "  %-13s %s\n", ciot_export_name(i, NULL), description);
	fputs("\nTimestamps are Unix time in seconds with microseconds, UTC. In CSV and Markdown an empty field\n"
	      "is NULL (no value), \"\" an empty text (an empty list).\n"
	      "\nCertificate-interception test captures are kept apart from the lifecycle's:\n", out);
	static const struct {
		enum ciot_query_captures captures;
		const char *what;
	} kept[] = {
		{ CIOT_CAPTURES_LIFECYCLE, "left out of" },
		{ CIOT_CAPTURES_TAGGED, "tagged in an interception column of" },
		{ CIOT_CAPTURES_SPLIT, "counted in columns of their own in" },
		{ CIOT_CAPTURES_INTERCEPTION, "the only captures of" },
	};
	const struct ciot_query *q;
	for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++) {
		fprintf(out, "  %s:", kept[k].what);
		for (size_t i = 0; (q = ciot_query_get(i)); i++)
			if (q->captures == kept[k].captures)
				fprintf(out, " %s", q->name);
		fputc('\n', out);
	}
}

/* The temporary file the report is written to before it is renamed over -o's path. mkstemp makes
 * it 0600 whatever the umask, and rename keeps that mode: a report a lab shares through a group
 * folder would be unreadable to the group. It gets what open(..., 0666) would have given, 0666 less
 * the umask (read back by setting it, the only portable way; the tool has one thread). */
int open_output(char *tmp)
{
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "home", required_argument, NULL, 'H' },
		{ "fold-greater-china", no_argument, NULL, 'G' },
		{ "columns", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return ciot_report_compare(argc - 1, argv + 1);
	enum ciot_export_format format = CIOT_EXPORT_CSV;
	bool format_given = false, columns = false;
	const char *output = NULL;
	struct ciot_export_params params = { 0 };
	int opt;
	while ((opt = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!ciot_export_format_parse(optarg, &format)) {
				fprintf(stderr, "ciot-report: --format must be csv, json or md\n");
				return 2;
			}
			format_given = true;
			break;
		case 'o': output = optarg; break;
		case 'H':
			if (strlen(optarg) != 2 || optarg[0] < 'A' || optarg[0] > 'Z' || optarg[1] < 'A' || optarg[1] > 'Z') {
				fprintf(stderr, "ciot-report: --home wants an upper-case ISO 3166 code such as CN\n");
				return 2;
			}
			params.home_country = optarg;
			break;
		case 'G': params.fold_greater_china = true; break;
		case 'C': columns = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (columns ? argc - optind > 1 : argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	const char *db_path = columns ? NULL : argv[optind], *table = argv[optind + (columns ? 0 : 1)];
	char errbuf[CIOT_ERRBUF_SIZE];
	sqlite3 *db = NULL;
	if (db_path && access(db_path, R_OK) != 0) {
		fprintf(stderr, "%s: %s\n", db_path, strerror(errno));
		return 1;
	}
	if (db_path && ciot_store_open_readonly(&db, db_path, errbuf)) {
		fprintf(stderr, "%s: %s\n", db_path, errbuf);
		return 1;
	}
	FILE *out = stdout;
	char tmp[4096] = "";
	if (output) {
		snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", output);
		int fd = open_output(tmp);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			fprintf(stderr, "%s: %s\n", output, strerror(errno));
			sqlite3_close(db);
			return 1;
		}
	}
	enum ciot_rc rc = columns ? ciot_export_describe(table, format_given ? format : CIOT_EXPORT_MD, out, errbuf)
				  : ciot_export(db, table, format, &params, out, errbuf);
	sqlite3_close(db);
	if (output) {
		if (fclose(out) != 0 && !rc)
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
		if (!rc && rename(tmp, output) != 0)
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
		if (rc)
			unlink(tmp);
	} else if (fflush(stdout) != 0 && !rc) {
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "standard output: %s", strerror(errno));
	}
	if (rc) {
		const char *what = output && rc == CIOT_ERR_IO ? output : db_path ? db_path : "ciot-report";
		fprintf(stderr, "%s: %s\n", what, errbuf);
		return rc == CIOT_ERR_ARG ? 2 : 1;
	}
	return 0;
}
