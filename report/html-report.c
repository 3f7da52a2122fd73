/* html-report.c: one self-contained HTML page of an analysis database (ciot_report_html,
 * `ciot-report DB --html FILE`): the dataset, what the analysis had to guess, how it was computed,
 * the lifecycle paper's tables in the paper's own shape, every figure, and every export one click
 * away.
 *
 * Self-contained means a reader can mail the file and open it offline: no script, no stylesheet or
 * font to fetch, no image file; the figures are the SVG documents of figures.c written inline, and
 * the long tables sit in <details> elements, which browsers open without script. Everything shown
 * comes from the registries (the exports of queries.c, the figures of figures.c) through the same
 * result sets as the CSV and the SVG, so the page cannot disagree with them; this file only lays
 * out, pivots two tables into the paper's shape (Table 1: phases x parties by category; Table 5:
 * behaviours by interception test) and writes each part's one line of method with the options
 * recorded in `meta`.
 *
 * Every text from the database is escaped by the SVG writer's escaper (ciot_svg_escape), so a
 * hostile device or server name is text, never markup. The same database gives the same bytes:
 * nothing here reads the clock or the environment.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ciot/figures.h"
#include "ciot/report.h"
#include "figure.h"
#include "render.h"
#include "svg.h"

/* Rows of an export the page shows before it says how to get the rest. */
#define HTML_ROW_LIMIT 500

static const char STYLE[] =
	"body{font-family:'DejaVu Sans',Arial,sans-serif;margin:0 auto;max-width:1200px;padding:0 24px 48px;"
	"color:#222;line-height:1.45}\n"
	"h1{margin-top:24px}h2{border-bottom:2px solid #0072B2;padding-bottom:4px;margin-top:40px}\n"
	"h3{margin-bottom:4px}p.method{color:#444;font-size:0.92em;margin-top:2px}\n"
	"table{border-collapse:collapse;font-size:0.88em;margin:8px 0}\n"
	"th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}th{background:#eef3f8;text-align:left}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"details{margin:6px 0}summary{cursor:pointer;color:#0072B2}\n"
	"div.figure{overflow-x:auto;margin:12px 0}div.figure svg{max-width:100%;height:auto}\n"
	".warn{background:#fff4e5;border-left:4px solid #E69F00;padding:6px 10px;margin:6px 0}\n"
	".ok{background:#eef8f1;border-left:4px solid #009E73;padding:6px 10px;margin:6px 0}\n"
	"nav ul{columns:3;font-size:0.92em}code{background:#f3f3f3;padding:0 3px}\n";

/* ---- small writers ---- */

static void esc(FILE *out, const char *text)
{
	ciot_svg_escape(out, text ? text : "", 0);
}

static void heading(FILE *out, int level, const char *id, const char *text)
{
	fprintf(out, "<h%d id=\"%s\">", level, id);
	esc(out, text);
	fprintf(out, "</h%d>\n", level);
}

/* One line on how a part was computed: the export's description as a sentence, then the options
 * that apply. */
static void method(FILE *out, const char *what, const char *options)
{
	fputs("<p class=\"method\">", out);
	size_t n = strlen(what);
	if (n && what[0] >= 'a' && what[0] <= 'z') {
		fputc(what[0] - 'a' + 'A', out);
		what++;
		n--;
	}
	esc(out, what);
	if (n && what[n - 1] != '.')
		fputc('.', out);
	if (options && *options) {
		fputs(" Options: ", out);
		esc(out, options);
	}
	fputs("</p>\n", out);
}

/* A value of `meta`, owned by the caller; NULL when absent. */
static char *meta(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st;
	char *value = NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		value = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return value;
}

/* The options line of a part: "key value; key value", from meta and the report's parameters. */
struct options {
	char home[64];
	char *public_services, *encryption, *trust, *geo, *rules, *pii;
};

static void options_load(sqlite3 *db, const struct ciot_export_params *p, struct options *o)
{
	char *manifest_home = meta(db, "home_country");
	snprintf(o->home, sizeof o->home, "%s%s", p && p->home_country ? p->home_country
						 : manifest_home      ? manifest_home
								      : "CN",
		 p && p->home_country ? " (--home)" : manifest_home ? " (the manifest's)" : " (default: no home country given)");
	free(manifest_home);
	o->public_services = meta(db, "public_services_party");
	o->encryption = meta(db, "encryption_method");
	o->trust = meta(db, "trust_store");
	o->geo = meta(db, "geo_data");
	o->rules = meta(db, "attribution_rules");
	o->pii = meta(db, "pii_search");
}

static void options_free(struct options *o)
{
	free(o->public_services);
	free(o->encryption);
	free(o->trust);
	free(o->geo);
	free(o->rules);
	free(o->pii);
}

/* ---- tables ---- */

/* An export as an HTML table (render-html.c), at most `limit` rows (0: all). */
static enum ciot_rc table(sqlite3 *db, const char *name, const struct ciot_export_params *p, size_t limit, FILE *out,
			  char *errbuf)
{
	return ciot_export_rows(db, name, CIOT_EXPORT_HTML, p, limit, out, errbuf);
}

/* A part of the page made of one export: its heading, method and table. */
static enum ciot_rc export_part(sqlite3 *db, const struct ciot_export_params *p, FILE *out, const char *id,
				const char *title, const char *export_name, const char *options, size_t limit,
				char *errbuf)
{
	const struct ciot_query *q = ciot_query_find(export_name);
	if (!q)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no export named \"%s\"", export_name);
	heading(out, 3, id, title);
	method(out, q->description, options);
	return table(db, export_name, p, limit, out, errbuf);
}

/* Index of `s` in names (appending it when absent and there is room); -1 when full. */
static int index_of(const char **names, size_t *n, size_t cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	if (*n == cap)
		return -1;
	names[*n] = s;
	return (int)(*n)++;
}

#define MAX_CATEGORIES 64
static const char *const PHASES[] = { "setup", "interaction", "idle", "deletion", "all" };
static const char *const PHASE_TITLES[] = { "Setup", "Interaction", "Idle", "Deletion", "Total" };
static const char *const PARTIES[] = { "first", "support", "third" };
#define NPHASES (sizeof PHASES / sizeof PHASES[0])
#define NPARTIES (sizeof PARTIES / sizeof PARTIES[0])

static int find_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* Table 1 as the paper prints it: a row per phase and party, a column per category, each cell the
 * average number of servers per device (the parties export's servers_per_device). */
static enum ciot_rc table1(sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	struct fig_table t;
	static const char *const cols[] = { "category", "phase", "party", "servers_per_device", "devices" };
	size_t c[5];
	enum ciot_rc rc = fig_table_open(db, "parties", p, cols, c, 5, &t, errbuf);
	if (rc)
		return rc;
	const char *categories[MAX_CATEGORIES];
	size_t ncat = 0;
	for (size_t r = 0; !rc && r < t.nrows; r++)
		if (find_name(PHASES, NPHASES, fig_text(&t, r, c[1])) >= 0 &&
		    index_of(categories, &ncat, MAX_CATEGORIES, fig_text(&t, r, c[0])) < 0)
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "more than %d categories for Table 1", MAX_CATEGORIES);
	if (rc) {
		fig_table_free(&t);
		return rc;
	}
	if (ncat == 0) {
		fputs("<p class=\"empty\">No device has a capture in a lifecycle phase.</p>\n", out);
		fig_table_free(&t);
		return CIOT_OK;
	}
	fputs("<table>\n<thead><tr><th>Phase</th><th>Party</th>", out);
	for (size_t k = 0; k < ncat; k++) {
		fputs("<th class=\"n\">", out);
		esc(out, categories[k]);
		fputs("</th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	for (size_t ph = 0; ph < NPHASES; ph++)
		for (size_t pa = 0; pa < NPARTIES; pa++) {
			fputs("<tr>", out);
			if (pa == 0)
				fprintf(out, "<th rowspan=\"%zu\">%s</th>", NPARTIES, PHASE_TITLES[ph]);
			fprintf(out, "<td>%c%s party</td>", PARTIES[pa][0] - 'a' + 'A', PARTIES[pa] + 1);
			for (size_t k = 0; k < ncat; k++) {
				const struct fig_cell *v = NULL, *devices = NULL;
				for (size_t r = 0; r < t.nrows && !v; r++)
					if (!strcmp(fig_text(&t, r, c[0]), categories[k]) &&
					    !strcmp(fig_text(&t, r, c[1]), PHASES[ph]) &&
					    !strcmp(fig_text(&t, r, c[2]), PARTIES[pa])) {
						v = fig_at(&t, r, c[3]);
						devices = fig_at(&t, r, c[4]);
					}
				if (v && !v->null)
					fprintf(out, "<td class=\"n\" title=\"over %lld device(s)\">%.2f</td>", devices->i, v->r);
				else
					fputs("<td class=\"n\" title=\"no capture in this phase\">–</td>", out);
			}
			fputs("</tr>\n", out);
		}
	fputs("</tbody>\n</table>\n", out);
	fig_table_free(&t);
	return CIOT_OK;
}

#define MAX_TESTS 32
#define MAX_BEHAVIOURS 64

/* Table 5 over all interception tests: a row per behaviour, a column per test, each cell the
 * devices and device-server pairs of the validation export. */
static enum ciot_rc table5(sqlite3 *db, FILE *out, char *errbuf)
{
	struct fig_table t;
	static const char *const cols[] = { "interception", "behaviour", "devices", "servers" };
	size_t c[4];
	enum ciot_rc rc = fig_table_open(db, "validation", NULL, cols, c, 4, &t, errbuf);
	if (rc)
		return rc;
	const char *tests[MAX_TESTS], *behaviours[MAX_BEHAVIOURS];
	size_t ntests = 0, nbeh = 0;
	for (size_t r = 0; !rc && r < t.nrows; r++)
		if (index_of(tests, &ntests, MAX_TESTS, fig_text(&t, r, c[0])) < 0 ||
		    index_of(behaviours, &nbeh, MAX_BEHAVIOURS, fig_text(&t, r, c[1])) < 0)
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "too many interception tests or behaviours for Table 5");
	if (rc) {
		fig_table_free(&t);
		return rc;
	}
	if (ntests == 0) {
		fputs("<p class=\"empty\">The database holds no certificate-interception capture (a capture tagged "
		      "with an <code>interception</code> test in the manifest, or <code>ciot-analyze --interception "
		      "TEST</code>): nothing to show.</p>\n",
		      out);
		fig_table_free(&t);
		return CIOT_OK;
	}
	fputs("<table>\n<thead><tr><th>Behaviour</th>", out);
	for (size_t k = 0; k < ntests; k++) {
		fputs("<th class=\"n\">", out);
		esc(out, tests[k]);
		fputs(": devices (pairs)</th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	for (size_t b = 0; b < nbeh; b++) {
		fputs("<tr><td>", out);
		esc(out, behaviours[b]);
		fputs("</td>", out);
		for (size_t k = 0; k < ntests; k++) {
			long long devices = 0, pairs = 0;
			for (size_t r = 0; r < t.nrows; r++)
				if (!strcmp(fig_text(&t, r, c[0]), tests[k]) && !strcmp(fig_text(&t, r, c[1]), behaviours[b])) {
					devices = fig_at(&t, r, c[2])->i;
					pairs = fig_at(&t, r, c[3])->i;
				}
			fprintf(out, "<td class=\"n\">%lld (%lld)</td>", devices, pairs);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
	fig_table_free(&t);
	return CIOT_OK;
}

/* ---- the parts ---- */

static enum ciot_rc part_header(sqlite3 *db, FILE *out)
{
	char *name = meta(db, "dataset_name"), *when = meta(db, "last_run_at"), *version = meta(db, "ciot_version");
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>ciot report: ",
	      out);
	esc(out, name ? name : "analysis");
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>ciot report: ", STYLE);
	esc(out, name ? name : "analysis");
	fputs("</h1>\n<p>Analyzed by ciot ", out);
	esc(out, version ? version : "?");
	fputs(", last run ", out);
	esc(out, when ? when : "?");
	fputs(". Every number below is an export of <code>ciot-report</code> (docs/exports.md) or a figure drawn "
	      "from one (docs/figures.md); hover over a column name or a mark for what it holds.</p>\n",
	      out);
	free(name);
	free(when);
	free(version);
	return CIOT_OK;
}

static void part_contents(FILE *out)
{
	static const char *const parts[][2] = {
		{ "dataset", "The dataset" },
		{ "guesses", "What the analysis had to guess" },
		{ "method", "How it was computed" },
		{ "tables", "The lifecycle paper's tables" },
		{ "figures", "Figures" },
		{ "exports", "Every export" },
	};
	fputs("<nav><ul>\n", out);
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		fprintf(out, "<li><a href=\"#%s\">%s</a></li>\n", parts[i][0], parts[i][1]);
	fputs("</ul></nav>\n", out);
}

/* Coverage warnings: devices whose servers' parties are mostly the default, devices that cannot
 * have a first party by brand, and a missing home country. */
static enum ciot_rc part_guesses(sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	heading(out, 2, "guesses", "What the analysis had to guess");
	struct fig_table t;
	static const char *const cols[] = { "device", "servers", "by_default", "default_share", "brand_warning" };
	size_t c[5];
	enum ciot_rc rc = fig_table_open(db, "coverage", p, cols, c, 5, &t, errbuf);
	if (rc)
		return rc;
	size_t warnings = 0;
	char *home = meta(db, "home_country");
	if (!home && !(p && p->home_country)) {
		fputs("<p class=\"warn\">The dataset names no home country: overseas shares count traffic outside CN "
		      "(the lifecycle paper's). Give the manifest's <code>home_country</code> or <code>--home</code>.</p>\n",
		      out);
		warnings++;
	}
	free(home);
	for (size_t r = 0; r < t.nrows; r++) {
		const struct fig_cell *share = fig_at(&t, r, c[3]);
		const char *brand = fig_text(&t, r, c[4]);
		if (!share->null && share->r > 0.5) {
			fputs("<p class=\"warn\">Device <b>", out);
			esc(out, fig_text(&t, r, c[0]));
			fprintf(out, "</b>: %lld of its %lld servers are third party only because no rule or evidence knows "
				     "them.</p>\n",
				fig_at(&t, r, c[2])->i, fig_at(&t, r, c[1])->i);
			warnings++;
		}
		if (*brand) {
			fputs("<p class=\"warn\">Device <b>", out);
			esc(out, fig_text(&t, r, c[0]));
			fputs("</b>: ", out);
			esc(out, brand);
			fputs(".</p>\n", out);
			warnings++;
		}
	}
	if (!warnings)
		fputs("<p class=\"ok\">Every device has a brand the rules know, the dataset names its home country, and "
		      "no device's servers are mostly third party by default.</p>\n",
		      out);
	fig_table_free(&t);
	method(out, "From the coverage export, per device: its servers decided by a rule, by evidence, by nothing.",
	       NULL);
	return table(db, "coverage", p, HTML_ROW_LIMIT, out, errbuf);
}

/* The settings and data versions the analysis recorded in meta, with the report's own. */
static enum ciot_rc part_method(sqlite3 *db, const struct options *o, FILE *out, char *errbuf)
{
	heading(out, 2, "method", "How it was computed");
	fprintf(out, "<p>Home country of the overseas shares: %s. The settings and data of the analysis, as "
		     "<code>ciot-analyze</code> recorded them (docs/database.md, table <code>meta</code>):</p>\n",
		o->home);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &st, NULL) != SQLITE_OK)
		return ciot_fail(errbuf, CIOT_ERR_DB, "meta: %s", sqlite3_errmsg(db));
	fputs("<table>\n<thead><tr><th>setting</th><th>value</th></tr></thead>\n<tbody>\n", out);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fputs("<tr><td>", out);
		esc(out, (const char *)sqlite3_column_text(st, 0));
		fputs("</td><td>", out);
		esc(out, (const char *)sqlite3_column_text(st, 1));
		fputs("</td></tr>\n", out);
	}
	sqlite3_finalize(st);
	fputs("</tbody>\n</table>\n", out);
	return step == SQLITE_DONE ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_DB, "meta: %s", sqlite3_errmsg(db));
}

static enum ciot_rc part_tables(sqlite3 *db, const struct ciot_export_params *p, const struct options *o, FILE *out,
				char *errbuf)
{
	char parties[512], tls[512], pii[256];
	snprintf(parties, sizeof parties, "home country %s; public DNS and NTP services: %s; rules %s.", o->home,
		 o->public_services ? o->public_services : "?", o->rules ? o->rules : "?");
	snprintf(tls, sizeof tls, "trust store: %s.", o->trust ? o->trust : "?");
	snprintf(pii, sizeof pii, "PII search: %s.", o->pii ? o->pii : "?");
	heading(out, 2, "tables", "The lifecycle paper's tables");
	heading(out, 3, "table1", "Table 1: servers per device by party, phase and category");
	method(out, "The average number of distinct servers (registrable domains, else addresses) per device of a "
		    "category, over the category's devices with a capture in the phase (silent ones included).",
	       parties);
	enum ciot_rc rc = table1(db, p, out, errbuf);
	if (!rc) {
		fputs("<details><summary>Table 1 as a long table (parties)</summary>\n", out);
		rc = table(db, "parties", p, 0, out, errbuf);
		fputs("</details>\n", out);
	}
	if (!rc)
		rc = export_part(db, p, out, "table2", "Table 2: organizations contacted", "organizations", parties, 20,
				 errbuf);
	if (!rc)
		rc = export_part(db, p, out, "table3", "Table 3: encryption protocols", "protocols", tls, 0, errbuf);
	if (!rc)
		rc = export_part(db, p, out, "table4", "Table 4: certificate problems", "cert-issues", tls, 0, errbuf);
	if (!rc) {
		heading(out, 3, "table5", "Table 5: validation of a replaced certificate, over every interception test");
		method(out, ciot_query_find("validation")->description, tls);
		rc = table5(db, out, errbuf);
	}
	if (!rc)
		rc = export_part(db, p, out, "pii", "Personal data in clear text", "pii-kinds", pii, 0, errbuf);
	if (!rc)
		rc = export_part(db, p, out, "firmware", "Before and after a firmware update", "firmware", parties, 0,
				 errbuf);
	if (!rc)
		rc = export_part(db, p, out, "reference", "Beside the published figures", "reference", parties, 0,
				 errbuf);
	return rc;
}

/* Every figure of the registry, inline; a figure without data says why instead. */
static enum ciot_rc part_figures(sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	heading(out, 2, "figures", "Figures");
	const struct ciot_figure *fig;
	for (size_t i = 0; (fig = ciot_figure_get(i)); i++) {
		char *svg = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&svg, &len);
		if (!mem)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		char why[CIOT_ERRBUF_SIZE] = "";
		enum ciot_rc rc = fig->draw(db, p, mem, why);
		if (fclose(mem) && !rc)
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "figure %s: out of memory", fig->name);
		char id[96];
		snprintf(id, sizeof id, "figure-%s", fig->name);
		if (rc == CIOT_FIGURE_NO_DATA) {
			heading(out, 3, id, fig->title);
			fputs("<p class=\"empty\">Not drawn: ", out);
			esc(out, why);
			fputs(".</p>\n", out);
		} else if (rc) {
			free(svg);
			return ciot_fail(errbuf, rc, "figure %s: %s", fig->name, why);
		} else {
			/* the figure carries its own title and method; the document's XML declaration has
			 * no place inside HTML */
			const char *start = strstr(svg, "<svg");
			fprintf(out, "<div class=\"figure\" id=\"%s\">\n", id);
			fputs(start ? start : svg, out);
			fputs("</div>\n", out);
		}
		free(svg);
	}
	return CIOT_OK;
}

static enum ciot_rc part_exports(sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	heading(out, 2, "exports", "Every export");
	fprintf(out, "<p>Each export as <code>ciot-report DB TABLE</code> writes it (at most %d rows here).</p>\n",
		HTML_ROW_LIMIT);
	const struct ciot_query *q;
	for (size_t i = 0; (q = ciot_query_get(i)); i++) {
		fputs("<details><summary><b>", out);
		esc(out, q->name);
		fputs("</b>: ", out);
		esc(out, q->description);
		fputs("</summary>\n", out);
		enum ciot_rc rc = table(db, q->name, p, HTML_ROW_LIMIT, out, errbuf);
		if (rc)
			return rc;
		fputs("</details>\n", out);
	}
	return CIOT_OK;
}

enum ciot_rc ciot_report_html(struct sqlite3 *db, const struct ciot_export_params *params, FILE *out, char *errbuf)
{
	struct options o = { 0 };
	options_load(db, params, &o);
	enum ciot_rc rc = part_header(db, out);
	if (!rc) {
		part_contents(out);
		heading(out, 2, "dataset", "The dataset");
		method(out, ciot_query_find("summary")->description, NULL);
		rc = table(db, "summary", params, 0, out, errbuf);
	}
	if (!rc)
		rc = part_guesses(db, params, out, errbuf);
	if (!rc)
		rc = part_method(db, &o, out, errbuf);
	if (!rc)
		rc = part_tables(db, params, &o, out, errbuf);
	if (!rc)
		rc = part_figures(db, params, out, errbuf);
	if (!rc)
		rc = part_exports(db, params, out, errbuf);
	if (!rc)
		fputs("</body>\n</html>\n", out);
	if (!rc && ferror(out))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "write error");
	options_free(&o);
	return rc;
}
