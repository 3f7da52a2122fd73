/* describe.c: the documentation of the exports, written from the registry (queries.c) by the
 * renderers themselves, so that it cannot drift from what the exports print.
 *
 * In Markdown it is a document: what the column kinds print, then one section per export (its
 * description, the parameters it binds, a table of its columns with kind and doc); docs/exports.md
 * is this document, as `ciot-report --columns > docs/exports.md` writes it. In CSV and JSON it is
 * one table of export, column, kind and doc, for tools. The tables are rows of text cells built
 * here and handed to a renderer, as result.c hands it the rows of a query.
 */
#include <ctype.h>
#include <string.h>

#include "ciot/report.h"
#include "render.h"

static const char intro[] =
	"# The exports of ciot-report\n"
	"\n"
	"<!-- Written by `ciot-report --columns > docs/exports.md` from the registry of exports,\n"
	"     report/queries.c: edit the docs there, then run it again. -->\n"
	"\n"
	"`ciot-report DB TABLE [--format csv|json|md]` writes each of these tables from a database of\n"
	"`ciot-analyze` (docs/database.md). Every column has a kind, which says how every format prints\n"
	"it:\n"
	"\n";

/* Interception captures in the same database as lifecycle ones would change the lifecycle's TLS and
 * destination figures without a word: each export says which it reads ("Captures:" below). */
static const char captures_note[] =
	"\n"
	"Certificate-interception test captures (`captures.interception` set, guides/certificate-\n"
	"interception.md) can share a database with the lifecycle captures, but their certificates,\n"
	"alerts and servers are the interceptor's: every export says under \"Captures\" which it reads.\n"
	"The exports of lifecycle figures (summary, countries, sankey, parties, organizations, the\n"
	"encryption exports, protocols, cert-issues, pii-kinds) leave them out; the per-row exports\n"
	"(flows, destinations, tls, pii) keep them with their tag in an `interception` column;\n"
	"certificates counts their connections apart; validation and validation-pairs read only them.\n";

/* One convention for a missing value in every export and format, the database's own
 * (docs/database.md): NULL is empty, an empty text is "". */
static const char kinds_note[] =
	"\n"
	"An empty cell in CSV or Markdown, `null` in JSON, is a value the database does not have (SQL\n"
	"NULL): unknown or not applicable, such as no name, no country, no ServerHello; \"empty\" in the\n"
	"columns' docs below means this. An empty text is a list known to have nothing in it (a\n"
	"connection's alerts when it had none, a certificate's findings when nothing is wrong with it):\n"
	"`\"\"` in every format, quoted in CSV (`a,\"\",b`; PostgreSQL's `COPY ... CSV` reads the two back as\n"
	"NULL and `''`), `\"\"` in a Markdown cell, `\"\"` in JSON. Only the columns whose docs say `\"\"` can\n"
	"hold one. Bytes are frame bytes as on the wire (the frame's original length), phases are the\n"
	"lifecycle's: setup, interaction, idle, deletion.\n";

static const char *const kind_docs[][3] = {
	{ "text", "as stored; quoted or escaped as the format needs", "a string" },
	{ "int", "an integer, exactly", "an integer" },
	{ "time_us", "Unix time in seconds, UTC, with six decimals: exact, from integer microseconds",
	  "seconds, a number (16 significant digits: exact to the microsecond)" },
	{ "real3", "a real number, three decimals", "a number, full precision" },
	{ "share", "a fraction from 0 to 1, six decimals", "a number, full precision" },
};

#define TABLE_MAX_COLUMNS 4

/* Writes rows of text cells (each row `ncolumns` strings) through a renderer. */
static enum ciot_rc render_table(const struct ciot_renderer *renderer, FILE *out, const struct ciot_column *columns,
				 size_t ncolumns, const char *const *cells, size_t nrows, char *errbuf)
{
	struct ciot_render r = { .out = out, .columns = columns, .ncolumns = ncolumns };
	struct ciot_cell row[TABLE_MAX_COLUMNS];
	if (ncolumns > TABLE_MAX_COLUMNS)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "a table of %zu columns", ncolumns);
	enum ciot_rc rc = renderer->begin(&r, errbuf);
	for (size_t i = 0; !rc && i < nrows; i++, r.rows++) {
		for (size_t j = 0; j < ncolumns; j++) {
			const char *text = cells[i * ncolumns + j];
			row[j] = (struct ciot_cell){ .null = !text, .v.text = text };
		}
		rc = renderer->row(&r, row, errbuf);
	}
	return rc ? rc : renderer->end(&r, errbuf);
}

static enum ciot_rc describe_kinds(const struct ciot_renderer *md, FILE *out, char *errbuf)
{
	static const struct ciot_column columns[] = {
		{ "kind", CIOT_COLUMN_TEXT, "the kind's name" },
		{ "CSV and Markdown", CIOT_COLUMN_TEXT, "how the text formats print it" },
		{ "JSON", CIOT_COLUMN_TEXT, "what JSON holds" },
	};
	fputs(intro, out);
	enum ciot_rc rc = render_table(md, out, columns, 3, &kind_docs[0][0], sizeof kind_docs / sizeof kind_docs[0],
				       errbuf);
	fputs(kinds_note, out);
	fputs(captures_note, out);
	return rc;
}

/* One export's section of the Markdown document. */
static enum ciot_rc describe_md(const struct ciot_renderer *md, const struct ciot_query *q, FILE *out, char *errbuf)
{
	static const struct ciot_column columns[] = {
		{ "column", CIOT_COLUMN_TEXT, "the column's name" },
		{ "kind", CIOT_COLUMN_TEXT, "how it is printed" },
		{ "meaning", CIOT_COLUMN_TEXT, "what it holds, its unit or convention" },
	};
	fprintf(out, "## %s\n\n%c%s.\n", q->name, toupper((unsigned char)q->description[0]), q->description + 1);
	const char *captures = ciot_query_captures_doc(q->captures);
	if (captures)
		fprintf(out, "\nCaptures: %s.\n", captures);
	for (unsigned p = 1; p <= q->params; p <<= 1) {
		const char *doc, *name = (q->params & p) ? ciot_query_param_name((enum ciot_query_param)p, &doc) : NULL;
		if (name)
			fprintf(out, "\nBinds `%s`: %s.\n", name, doc);
	}
	fputc('\n', out);
	size_t n = ciot_query_count_columns(q);
	const char *cells[CIOT_QUERY_MAX_COLUMNS * 3];
	for (size_t i = 0; i < n; i++) {
		cells[i * 3] = q->columns[i].name;
		cells[i * 3 + 1] = ciot_query_kind_name(q->columns[i].kind);
		cells[i * 3 + 2] = q->columns[i].doc;
	}
	return render_table(md, out, columns, 3, cells, n, errbuf);
}

/* Every column of the exports (or of one) as one table, for CSV and JSON. */
static enum ciot_rc describe_flat(const struct ciot_renderer *renderer, const struct ciot_query *only, FILE *out,
				  char *errbuf)
{
	static const struct ciot_column columns[] = {
		{ "export", CIOT_COLUMN_TEXT, "the export's name" },
		{ "column", CIOT_COLUMN_TEXT, "the column's name" },
		{ "kind", CIOT_COLUMN_TEXT, "how it is printed: text, int, time_us, real3 or share" },
		{ "doc", CIOT_COLUMN_TEXT, "what it holds, its unit or convention" },
	};
	struct ciot_render r = { .out = out, .columns = columns, .ncolumns = 4 };
	enum ciot_rc rc = renderer->begin(&r, errbuf);
	const struct ciot_query *q;
	for (size_t i = 0; !rc && (q = ciot_query_get(i)); i++) {
		if (only && q != only)
			continue;
		size_t n = ciot_query_count_columns(q);
		for (size_t j = 0; !rc && j < n; j++, r.rows++) {
			const struct ciot_column *c = &q->columns[j];
			struct ciot_cell row[4] = { { .v.text = q->name },
						    { .v.text = c->name },
						    { .v.text = ciot_query_kind_name(c->kind) },
						    { .v.text = c->doc } };
			rc = renderer->row(&r, row, errbuf);
		}
	}
	return rc ? rc : renderer->end(&r, errbuf);
}

enum ciot_rc ciot_export_describe(const char *table, enum ciot_export_format format, FILE *out, char *errbuf)
{
	const struct ciot_query *only = NULL;
	if (table && !(only = ciot_query_find(table)))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no export named \"%s\" (see ciot-report --help)", table);
	const struct ciot_renderer *renderer = ciot_render_find(format);
	if (!renderer)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no renderer for format %d", (int)format);
	enum ciot_rc rc = CIOT_OK;
	if (format != CIOT_EXPORT_MD) {
		rc = describe_flat(renderer, only, out, errbuf);
	} else if (only) {
		rc = describe_md(renderer, only, out, errbuf);
	} else {
		rc = describe_kinds(renderer, out, errbuf);
		const struct ciot_query *q;
		for (size_t i = 0; !rc && (q = ciot_query_get(i)); i++) {
			fputc('\n', out);
			rc = describe_md(renderer, q, out, errbuf);
		}
	}
	if (!rc && ferror(out))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "write error");
	return rc;
}
