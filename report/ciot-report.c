/* ciot-report: exports tables from an analysis database. A thin tool over the report library
 * (ciot/report.h). */
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

#include "ciot/report.h"
#include "ciot/store.h"

static void usage(FILE *out)
{
	fputs("usage: ciot-report DB TABLE [--format csv|json|md] [-o FILE] [--home CC] [--fold-greater-china]\n"
	      "       ciot-report --columns [TABLE] [--format md|csv|json] [-o FILE]\n"
	      "\n"
	      "Exports TABLE from a database written by ciot-analyze.\n"
	      "  -f, --format F   csv (default; header row), json (an array of objects with the same keys)\n"
	      "                   or md (a Markdown table)\n"
	      "  -o, --output F   write to F instead of standard output: a regular file is replaced only\n"
	      "                   once complete (mode 0666 less the umask; a symlink's target), a device\n"
	      "                   or FIFO written in place; the input database is refused\n"
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

/* Where -o's report goes. A regular file (or a path that does not exist yet) is replaced only once
 * the report is complete: written to a temporary file beside it, then renamed over it, so that a
 * failed export leaves the old file. A symlink to a regular file replaces its target and keeps the
 * link. Anything else is written in place, since renaming over it would replace the node itself: a
 * character device (/dev/null), a FIFO, a socket, and every path under /dev or /proc (/dev/stdout
 * names whatever standard output is, a terminal, a pipe or the file a shell redirected it to). The
 * input database is refused however it is named (a symlink, a hard link): its inode is compared. */
struct output {
	const char *path; /* as given, for messages */
	char target[PATH_MAX]; /* what is replaced: the path, or a symlink's target */
	char tmp[PATH_MAX + 16];
	bool in_place;
	FILE *out;
};

/* The temporary file the report is written to before it is renamed over -o's path. mkstemp makes
 * it 0600 whatever the umask, and rename keeps that mode: a report a lab shares through a group
 * folder would be unreadable to the group. It gets what open(..., 0666) would have given, 0666 less
 * the umask (read back by setting it, the only portable way; the tool has one thread). */
static int open_temporary(char *tmp)
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

/* Opens -o's destination; on failure says why on stderr as "path: reason". */
static bool output_open(struct output *o, const char *path, const char *db_path)
{
	*o = (struct output){ .path = path };
	if (!path[0]) {
		fprintf(stderr, "ciot-report: -o \"\": an empty path names no file\n");
		return false;
	}
	struct stat st, db;
	bool exists = stat(path, &st) == 0;
	if (!exists && errno != ENOENT) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return false;
	}
	if (exists && db_path && stat(db_path, &db) == 0 && st.st_dev == db.st_dev && st.st_ino == db.st_ino) {
		fprintf(stderr, "%s: is the input database %s; write the report elsewhere\n", path, db_path);
		return false;
	}
	if (exists && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: is a directory\n", path);
		return false;
	}
	o->in_place = exists && (!S_ISREG(st.st_mode) || under(path, "/dev") || under(path, "/proc"));
	if (o->in_place) {
		int fd = open(path, O_WRONLY | O_NOCTTY);
		if (fd < 0 || !(o->out = fdopen(fd, "w"))) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return false;
		}
		return true;
	}
	/* a symlink (or a chain of them) to a regular file: its target is replaced, the link stays */
	if (!(exists && realpath(path, o->target)) &&
	    snprintf(o->target, sizeof o->target, "%s", path) >= (int)sizeof o->target) {
		fprintf(stderr, "%s: %s\n", path, strerror(ENAMETOOLONG));
		return false;
	}
	snprintf(o->tmp, sizeof o->tmp, "%s.tmp.XXXXXX", o->target);
	int fd = open_temporary(o->tmp);
	if (fd < 0 || !(o->out = fdopen(fd, "w"))) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		return false;
	}
	return true;
}

/* Closes the report: renames a complete one over the target, or removes the temporary file. */
static enum ciot_rc output_close(struct output *o, enum ciot_rc rc, char *errbuf)
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
	struct output o;
	if (output) {
		if (!output_open(&o, output, db_path)) {
			sqlite3_close(db);
			return 1;
		}
		out = o.out;
	}
	enum ciot_rc rc = columns ? ciot_export_describe(table, format_given ? format : CIOT_EXPORT_MD, out, errbuf)
				  : ciot_export(db, table, format, &params, out, errbuf);
	sqlite3_close(db);
	if (output)
		rc = output_close(&o, rc, errbuf);
	else if (fflush(stdout) != 0 && (!rc || rc == CIOT_ERR_IO))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s", strerror(errno));
	if (rc) {
		/* a write error is the output's, never the database's */
		const char *what = rc == CIOT_ERR_IO ? (output ? output : "standard output")
				 : db_path ? db_path : "ciot-report";
		fprintf(stderr, "%s: %s\n", what, errbuf);
		return rc == CIOT_ERR_ARG ? 2 : 1;
	}
	return 0;
}
