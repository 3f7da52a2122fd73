/* ciot-report: exports tables from an analysis database, and draws its figures as SVG. A thin tool
 * over the report library (ciot/report.h, ciot/figures.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ciot/figures.h"
#include "ciot/report.h"
#include "ciot/store.h"
#include "tool.h"

static void usage(FILE *out)
{
	fputs("usage: ciot-report DB TABLE [--format csv|json|md|html] [-o FILE] [--home CC] [--fold-greater-china]\n"
	      "       ciot-report DB figure NAME [-o FILE.svg] [--home CC] [--fold-greater-china]\n"
	      "       ciot-report DB --svg DIR [--home CC] [--fold-greater-china]\n"
	      "       ciot-report DB --html FILE [--home CC] [--fold-greater-china]\n"
	      "       ciot-report --columns [TABLE] [--format md|csv|json] [-o FILE]\n"
	      "       ciot-report compare A.db B.db [TABLE...] [--format csv|json|md] [-o FILE] (compare --help)\n"
	      "       ciot-report merge OUT.db PART.db... (merge --help)\n"
	      "\n"
	      "Exports TABLE from a database written by ciot-analyze, or draws its figures as standalone SVG\n"
	      "(docs/figures.md): `figure NAME` one figure (exit status 3, and no file, when the database has\n"
	      "no data for it), --svg DIR every figure that has data as DIR/NAME.svg, saying which were\n"
	      "skipped and why.\n"
	      "  -f, --format F   csv (default; header row), json (an array of objects with the same keys),\n"
	      "                   md (a Markdown table) or html (a <table> fragment)\n"
	      "  -o, --output F   write to F instead of standard output: a regular file is replaced only\n"
	      "                   once complete (mode 0666 less the umask; a symlink's target), a device\n"
	      "                   or FIFO written in place; the input database is refused\n"
	      "      --home CC    the dataset's home country (ISO 3166 code): traffic elsewhere is overseas\n"
	      "                   (default: the manifest's home_country, else CN)\n"
	      "      --fold-greater-china\n"
	      "                   count Hong Kong, Macao and Taiwan as CN, as the lifecycle paper's scripts\n"
	      "                   did (countries, sankey)\n"
	      "      --html FILE  write one self-contained HTML page (no script, nothing fetched): the dataset,\n"
	      "                   the coverage warnings, the settings, the paper's tables in its shape, every\n"
	      "                   figure inline and every export (the first 500 rows of each)\n"
	      "      --svg DIR    write every figure with data to DIR/NAME.svg (DIR made if missing; the\n"
	      "                   file of a figure without data is removed)\n"
	      "      --columns    print the columns of every export (or of TABLE) with their kinds and what\n"
	      "                   they mean: Markdown by default (docs/exports.md), or one CSV or JSON table\n"
	      "  -h, --help       this text\n"
	      "\n"
	      "Tables:\n",
	      out);
	const char *description;
	for (size_t i = 0; ciot_export_name(i, &description); i++)
		fprintf(out, "  %-13s %s\n", ciot_export_name(i, NULL), description);
	fputs("\nFigures (SVG):\n", out);
	const struct ciot_figure *fig;
	for (size_t i = 0; (fig = ciot_figure_get(i)); i++)
		fprintf(out, "  %-18s %s\n", fig->name, fig->title);
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

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/';
}

enum ciot_rc output_open(struct output *o, const char *path, const char *const *inputs, size_t ninputs,
			 char *errbuf)
{
	*o = (struct output){ .path = path };
	if (!path[0]) {
		return ciot_fail(errbuf, CIOT_ERR_IO, "-o \"\": an empty path names no file");
	}
	struct stat st, db;
	bool exists = stat(path, &st) == 0;
	if (!exists && errno != ENOENT) {
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(errno));
	}
	for (size_t i = 0; exists && i < ninputs; i++)
		if (inputs[i] && stat(inputs[i], &db) == 0 && st.st_dev == db.st_dev && st.st_ino == db.st_ino)
			return ciot_fail(errbuf, CIOT_ERR_IO, "%s: is the input database %s; write the report elsewhere",
					 path, inputs[i]);
	if (exists && S_ISDIR(st.st_mode)) {
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: is a directory", path);
	}
	o->in_place = exists && (!S_ISREG(st.st_mode) || under(path, "/dev") || under(path, "/proc"));
	if (o->in_place) {
		int fd = open(path, O_WRONLY | O_NOCTTY);
		if (fd < 0 || !(o->out = fdopen(fd, "w"))) {
			int err = errno;
			if (fd >= 0)
				close(fd);
			return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(err));
		}
		return CIOT_OK;
	}
	/* a symlink (or a chain of them) to a regular file: its target is replaced, the link stays */
	if (!(exists && realpath(path, o->target)) &&
	    snprintf(o->target, sizeof o->target, "%s", path) >= (int)sizeof o->target) {
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(ENAMETOOLONG));
	}
	snprintf(o->tmp, sizeof o->tmp, "%s.tmp.XXXXXX", o->target);
	int fd = open_output(o->tmp);
	if (fd < 0 || !(o->out = fdopen(fd, "w"))) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(err));
	}
	return CIOT_OK;
}

enum ciot_rc output_close(struct output *o, enum ciot_rc rc, char *errbuf)
{
	/* the stream's own error, when it has one, says more than the export's "write error" */
	if (fclose(o->out) != 0 && (!rc || rc == CIOT_ERR_IO))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
	if (o->in_place)
		return rc;
	if (!rc && rename(o->tmp, o->target) != 0)
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
	if (rc)
		unlink(o->tmp);
	return rc;
}


/* What one output file gets: an export, the columns' docs or a figure. */
struct job {
	enum { JOB_EXPORT, JOB_DESCRIBE, JOB_FIGURE, JOB_HTML } kind;
	sqlite3 *db;
	const char *table;
	enum ciot_export_format format;
	const struct ciot_export_params *params;
	const struct ciot_figure *figure;
	const char *db_path; /* the input database, which -o may not name */
};

static enum ciot_rc job_run(const struct job *j, FILE *out, char *errbuf)
{
	switch (j->kind) {
	case JOB_DESCRIBE: return ciot_export_describe(j->table, j->format, out, errbuf);
	case JOB_FIGURE: return j->figure->draw(j->db, j->params, out, errbuf);
	case JOB_HTML: return ciot_report_html(j->db, j->params, out, errbuf);
	case JOB_EXPORT:
	default: return ciot_export(j->db, j->table, j->format, j->params, out, errbuf);
	}
}

/* Runs the job into `output` (NULL: standard output; struct output says how a path is written).
 * An error of the output is CIOT_ERR_IO with errbuf "path: reason": a write error is the output's,
 * never the database's. */
static enum ciot_rc write_output(const struct job *j, const char *output, char *errbuf)
{
	if (!output) {
		enum ciot_rc rc = job_run(j, stdout, errbuf);
		if (fflush(stdout) != 0 && (!rc || rc == CIOT_ERR_IO))
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "standard output: %s", strerror(errno));
		else if (rc == CIOT_ERR_IO)
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "standard output: write error");
		return rc;
	}
	struct output o;
	enum ciot_rc rc = output_open(&o, output, &j->db_path, 1, errbuf);
	if (rc)
		return rc;
	rc = output_close(&o, job_run(j, o.out, errbuf), errbuf);
	if (rc == CIOT_ERR_IO) {
		char reason[CIOT_ERRBUF_SIZE];
		snprintf(reason, sizeof reason, "%s", errbuf);
		ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", output, reason);
	}
	return rc;
}

/* --svg DIR: every figure with data as DIR/NAME.svg; one line per figure on standard output, the
 * file written or why it was skipped. A figure without data has no file: an older one is removed,
 * so that the folder never shows a figure of another database. */
static enum ciot_rc write_figures(struct job *j, const char *dir, char *errbuf)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", dir, strerror(errno));
	size_t written = 0, skipped = 0;
	j->kind = JOB_FIGURE;
	for (size_t i = 0; (j->figure = ciot_figure_get(i)); i++) {
		char path[4096];
		if ((size_t)snprintf(path, sizeof path, "%s/%s.svg", dir, j->figure->name) >= sizeof path)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: path too long", dir);
		enum ciot_rc rc = write_output(j, path, errbuf);
		if (rc == CIOT_FIGURE_NO_DATA) {
			bool removed = unlink(path) == 0;
			printf("skipped %s: %s%s\n", j->figure->name, errbuf, removed ? " (its older file removed)" : "");
			skipped++;
			continue;
		}
		if (rc)
			return rc;
		printf("wrote %s\n", path);
		written++;
	}
	printf("%zu figures written, %zu skipped\n", written, skipped);
	return fflush(stdout) == 0 ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_IO, "standard output: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "home", required_argument, NULL, 'H' },
		{ "fold-greater-china", no_argument, NULL, 'G' },
		{ "columns", no_argument, NULL, 'C' },
		{ "svg", required_argument, NULL, 'S' },
		{ "html", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return ciot_report_compare(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "merge"))
		return ciot_report_merge(argc - 1, argv + 1);
	struct job job = { .kind = JOB_EXPORT, .format = CIOT_EXPORT_CSV };
	bool format_given = false;
	const char *output = NULL, *svg_dir = NULL, *html = NULL;
	struct ciot_export_params params = { 0 };
	int opt;
	while ((opt = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!ciot_export_format_parse(optarg, &job.format)) {
				fprintf(stderr, "ciot-report: --format must be csv, json, md or html\n");
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
		case 'C': job.kind = JOB_DESCRIBE; break;
		case 'S': svg_dir = optarg; break;
		case 'T': html = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nargs = argc - optind;
	if (html && job.kind == JOB_EXPORT && !svg_dir)
		job.kind = JOB_HTML;
	if (nargs == 3 && !strcmp(argv[optind + 1], "figure") && job.kind == JOB_EXPORT && !svg_dir) {
		job.kind = JOB_FIGURE;
		if (!(job.figure = ciot_figure_find(argv[optind + 2]))) {
			fprintf(stderr, "ciot-report: no figure named \"%s\" (see ciot-report --help)\n", argv[optind + 2]);
			return 2;
		}
	}
	bool ok = job.kind == JOB_DESCRIBE ? nargs <= 1 && !svg_dir && !html
		: job.kind == JOB_HTML	 ? nargs == 1 && !output && !format_given
		: job.kind == JOB_FIGURE ? !format_given && !html
		: svg_dir ? nargs == 1 && !output && !format_given
			  : nargs == 2;
	if (!ok) {
		usage(stderr);
		return 2;
	}
	const char *db_path = job.kind == JOB_DESCRIBE ? NULL : argv[optind];
	job.table = job.kind == JOB_DESCRIBE ? argv[optind] : argv[optind + 1];
	if (job.kind == JOB_DESCRIBE && !format_given)
		job.format = CIOT_EXPORT_MD;
	job.params = &params;
	job.db_path = db_path;
	char errbuf[CIOT_ERRBUF_SIZE];
	if (db_path && access(db_path, R_OK) != 0) {
		fprintf(stderr, "%s: %s\n", db_path, strerror(errno));
		return 1;
	}
	if (db_path && ciot_store_open_readonly(&job.db, db_path, errbuf)) {
		fprintf(stderr, "%s: %s\n", db_path, errbuf);
		return 1;
	}
	enum ciot_rc rc = svg_dir ? write_figures(&job, svg_dir, errbuf)
			  : write_output(&job, job.kind == JOB_HTML ? html : output, errbuf);
	sqlite3_close(job.db);
	if (rc == CIOT_FIGURE_NO_DATA && job.kind == JOB_FIGURE) {
		fprintf(stderr, "ciot-report: no figure %s: %s\n", job.figure->name, errbuf);
		return 3;
	}
	if (rc) {
		/* an output's error names the output (errbuf starts with it), any other the database */
		if (rc == CIOT_ERR_IO) {
			fprintf(stderr, "%s\n", errbuf);
			return 1;
		}
		const char *what = db_path ? db_path : "ciot-report";
		fprintf(stderr, "%s: %s\n", what, errbuf);
		return rc == CIOT_ERR_ARG ? 2 : 1;
	}
	return 0;
}
