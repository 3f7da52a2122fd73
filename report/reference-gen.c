/* reference-gen.c: a build step, not a tool. Turns datasets/reference/figures.tsv (the published
 * reference figures, docs/compare.md) into reference-figures.h: the rows as one SQL VALUES list in
 * a C string, which the reference export's query (reference-query.h) reads as a table. So the data
 * file stays the one place the figures are written, and a malformed row fails the build with its
 * line number instead of an export that quietly leaves it out.
 *
 * Checked per row: 14 tab-separated fields, a unique id, a source, a location, a definition, a
 * value that is empty or a number, a known unit. '#' lines and the header line are skipped.
 * Usage: reference-gen figures.tsv out.h
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS 14
#define MAX_ROWS 1024

enum { ID, SOURCE, LOCATION, REGION, MEASURE, DEFINITION, PUBLISHED, VALUE, UNIT, CIOT };

static const char *const header[FIELDS] = { "id",     "source", "location", "region",   "measure",
					    "definition", "published", "value", "unit", "ciot",
					    "category", "scope", "subject", "note" };
static const char *const units[] = { "percent", "devices", "servers", "servers-per-device", "count",
				     "hours",   "version", "kinds" };

/* Writes s as SQL text inside a C string literal: ' doubled for SQL, \ and " escaped for C. */
static void sql_text(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", out);
		else if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

static int fail(const char *path, int line, const char *what)
{
	fprintf(stderr, "%s:%d: %s\n", path, line, what);
	return 1;
}

/* Splits line at tabs into f; returns the number of fields. */
static int split(char *line, char *f[FIELDS + 1])
{
	int n = 0;
	for (char *p = line;; p++) {
		if (n <= FIELDS)
			f[n] = p;
		n++;
		p = strchr(p, '\t');
		if (!p)
			return n;
		*p = 0;
	}
}

static int check(const char *path, int line, char **f, char ids[][128], int nrows)
{
	if (!*f[ID] || strlen(f[ID]) >= 128)
		return fail(path, line, "no id, or an id over 127 characters");
	for (int i = 0; i < nrows; i++)
		if (!strcmp(ids[i], f[ID]))
			return fail(path, line, "this id is on an earlier line");
	if (!*f[SOURCE] || !*f[LOCATION] || !*f[DEFINITION] || !*f[PUBLISHED])
		return fail(path, line, "every row needs a source, a location, a definition and the published figure");
	char *end;
	if (*f[VALUE] && (strtod(f[VALUE], &end), *end))
		return fail(path, line, "value is not a number");
	size_t u = 0;
	while (u < sizeof units / sizeof units[0] && strcmp(units[u], f[UNIT]))
		u++;
	if (u == sizeof units / sizeof units[0])
		return fail(path, line, "unknown unit");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: reference-gen figures.tsv out.h\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "r"), *out = NULL;
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	static char ids[MAX_ROWS][128];
	char *line = NULL, *f[FIELDS + 1];
	size_t cap = 0;
	int lineno = 0, nrows = 0, status = 0, seen_header = 0;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	if (!(out = fopen(tmp, "w"))) {
		perror(tmp);
		return 1;
	}
	fprintf(out, "/* reference-figures.h: written by reference-gen from %s; edit that file. */\n"
		     "#define CIOT_REFERENCE_VALUES \\\n",
		argv[1]);
	while (!status && getline(&line, &cap, in) > 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		int n = split(line, f);
		if (n != FIELDS) {
			status = fail(argv[1], lineno, "not 14 tab-separated fields");
			break;
		}
		if (!seen_header) {
			for (int i = 0; i < FIELDS; i++)
				if (strcmp(f[i], header[i]))
					status = fail(argv[1], lineno, "the header line is not the 14 column names");
			seen_header = 1;
			continue;
		}
		if (nrows == MAX_ROWS)
			status = fail(argv[1], lineno, "more than 1024 rows");
		if (status || (status = check(argv[1], lineno, f, ids, nrows)))
			break;
		snprintf(ids[nrows], sizeof ids[nrows], "%s", f[ID]);
		fprintf(out, "\t\"%s(%d", nrows ? ", " : "", nrows + 1);
		nrows++;
		for (int i = 0; i < FIELDS; i++) {
			fputs(", ", out);
			if (i == VALUE)
				fputs(*f[i] ? f[i] : "NULL", out);
			else
				sql_text(out, f[i]);
		}
		fputs(")\" \\\n", out);
	}
	if (!status && !nrows)
		status = fail(argv[1], lineno, "no rows");
	fprintf(out, "\t\"\"\n#define CIOT_REFERENCE_ROWS %d\n", nrows);
	free(line);
	fclose(in);
	if (fclose(out) != 0 || status) {
		remove(tmp);
		return status ? status : 1;
	}
	if (rename(tmp, argv[2]) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
