/* ciot-report-compare.c: `ciot-report compare A.db B.db [EXPORT...]`, the comparison of two analysis
 * databases (ciot/report.h, docs/compare.md) as a subcommand of the thin tool: options, the files,
 * and a warning on standard error when the two analyses were made with different settings or data,
 * which a CSV table (one table, no room for notes) cannot carry.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciot/report.h"
#include "tool.h"

static void usage(FILE *out)
{
	fputs("usage: ciot-report compare A.db B.db [EXPORT...] [--format csv|json|md] [-o FILE] [--home CC]\n"
	      "                 [--fold-greater-china]\n"
	      "\n"
	      "Compares two databases of ciot-analyze (two labs, two regions, two runs with other options):\n"
	      "each EXPORT of both, rows matched on the export's key columns, with `present` (both, a, b),\n"
	      "a_ and b_ of every other column, diff_ (b - a) of each quantity and `changed` (the columns\n"
	      "that differ). EXPORT `meta` puts the databases' settings and data versions side by side.\n"
	      "Both databases must have this ciot's schema version. docs/compare.md says more.\n"
	      "  -f, --format F   md or json: one document with meta and every EXPORT (without EXPORT: meta,\n"
	      "                   ",
	      out);
	for (size_t i = 0; ciot_compare_default(i); i++)
		fprintf(out, "%s%s", i ? ", " : "", ciot_compare_default(i));
	fputs(");\n"
	      "                   csv (default): one table, so exactly one EXPORT (meta included)\n"
	      "  -o, --output F   write to F instead of standard output, as ciot-report -o writes (an input\n"
	      "                   database is refused)\n"
	      "      --home CC    the home country of both sides' country exports (default: each database's\n"
	      "                   own, else CN)\n"
	      "      --fold-greater-china\n"
	      "                   count Hong Kong, Macao and Taiwan as CN on both sides\n"
	      "  -h, --help       this text\n"
	      "A note on standard error names the settings that differ; the same file twice is allowed (and\n"
	      "noted).\n",
	      out);
}

/* Writes the comparison to `output` (NULL: standard output) through ciot-report's -o writer: an
 * input database is refused as output, a device or FIFO written in place, a file replaced only once
 * complete. */
static int run(struct ciot_compare *c, const char *const *tables, size_t n, enum ciot_export_format format,
	       const struct ciot_export_params *params, const char *output, const char *const inputs[2])
{
	char errbuf[CIOT_ERRBUF_SIZE];
	struct output o;
	FILE *out = stdout;
	if (output) {
		if (output_open(&o, output, inputs, 2, errbuf)) {
			fprintf(stderr, "%s\n", errbuf);
			return 1;
		}
		out = o.out;
	}
	enum ciot_rc rc = ciot_compare_export(c, tables, n, format, params, out, errbuf);
	if (output)
		rc = output_close(&o, rc, errbuf);
	else if (fflush(stdout) != 0 && (!rc || rc == CIOT_ERR_IO))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
	if (rc == CIOT_ERR_IO) {
		/* a write error is the output's, never a database's */
		fprintf(stderr, "%s: %s\n", output ? output : "standard output", errbuf);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "ciot-report compare: %s\n", errbuf);
		return rc == CIOT_ERR_ARG ? 2 : 1;
	}
	return 0;
}

int ciot_report_compare(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "home", required_argument, NULL, 'H' },
		{ "fold-greater-china", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ciot_export_format format = CIOT_EXPORT_CSV;
	const char *output = NULL;
	struct ciot_export_params params = { 0 };
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!ciot_export_format_parse(optarg, &format)) {
				fprintf(stderr, "ciot-report compare: --format must be csv, json or md\n");
				return 2;
			}
			break;
		case 'o': output = optarg; break;
		case 'H':
			if (strlen(optarg) != 2 || optarg[0] < 'A' || optarg[0] > 'Z' || optarg[1] < 'A' || optarg[1] > 'Z') {
				fprintf(stderr, "ciot-report compare: --home wants an upper-case ISO 3166 code such as CN\n");
				return 2;
			}
			params.home_country = optarg;
			break;
		case 'G': params.fold_greater_china = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	const char *a = argv[optind], *b = argv[optind + 1];
	for (int i = 0; i < 2; i++)
		if (access(argv[optind + i], R_OK) != 0) {
			fprintf(stderr, "%s: %s\n", argv[optind + i], strerror(errno));
			return 1;
		}
	size_t ntables = (size_t)(argc - optind - 2);
	if (format == CIOT_EXPORT_CSV && ntables != 1) {
		fprintf(stderr, "ciot-report compare: CSV holds one table: name one export (or meta), or use "
				"--format md or json\n");
		return 2;
	}
	char errbuf[CIOT_ERRBUF_SIZE];
	struct ciot_compare *c = NULL;
	if (ciot_compare_open(&c, a, b, errbuf)) {
		fprintf(stderr, "ciot-report compare: %s\n", errbuf);
		return 1;
	}
	char differ[1024];
	if (ciot_compare_same_file(c))
		fprintf(stderr, "ciot-report compare: %s and %s are the same file: every difference is 0\n", a, b);
	else if (ciot_compare_differences(c, &params, differ, sizeof differ))
		fprintf(stderr, "ciot-report compare: the analyses differ in: %s (EXPORT meta shows them)\n", differ);
	int status = run(c, ntables ? (const char *const *)argv + optind + 2 : NULL, ntables, format, &params, output,
			 (const char *const[2]){ a, b });
	ciot_compare_close(c);
	return status;
}
