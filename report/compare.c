/* compare.c: two analysis databases side by side (ciot/report.h, docs/compare.md): two labs, two
 * regions, or two runs of one dataset with different options. The export's own SQL runs on each
 * database unchanged, so a comparison shows exactly what the two exports show, joined.
 *
 * How: one in-memory connection ATTACHes A and B read-only (file:...?mode=ro URIs). Before an
 * export runs for a side, every table and view of that side gets a TEMP VIEW of the same name
 * pointing at it; unqualified names look in temp first, and a view of an attached database reads its
 * own database's tables, so the registry's SQL (and result.c's look at `meta` for the home country)
 * reads that side and nothing else. Its rows go, typed as the registry's columns say, into a temp
 * table per side; a join of the two then makes the comparison's rows.
 *
 * Keys: an export's rows are matched on its key columns. By default the text columns are keys and
 * the numeric ones values; where that does not name a row (a destination's party or country is what
 * changes between runs, not which server it is), the export's keys are declared below, and its other
 * text columns, and numbers that are labels (an AS number, a 0/1 flag), become attributes: shown
 * from both sides, never subtracted. Rows that still share a key are matched in export order (the
 * n-th with the n-th). Key equality is NULL-aware (IS).
 *
 * Output per export: the key columns, `present` (both, a, b), then for each value column a_<col>,
 * b_<col>, diff_<col> (b - a; empty when either is; time columns as seconds), for each attribute
 * a_<col>, b_<col>, and `changed`: the columns whose values differ as printed (a difference below
 * the printed precision is none, and its diff is 0). Rows of both sides in A's order, then B's own.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ciot/report.h"
#include "ciot/store.h"
#include "render.h"
#include "result.h"

/* The exports whose text columns do not make a key, with their keys and the numeric columns that are
 * labels (attributes) rather than quantities. Exports not listed: text columns are keys. */
static const struct compare_spec {
	const char *name;
	const char *keys;       /* comma-separated */
	const char *attributes; /* numeric columns not to subtract, comma-separated; NULL for none */
} specs[] = {
	{ "summary", "scope,category", NULL },
	{ "flows", "device,phase,subphase,transport,device_ip,device_port,remote_ip,remote_port,first_ts,interception",
	  NULL },
	{ "captures", "device,phase,subphase,firmware,interception,file", "truncated" },
	{ "destinations", "device,category,phase,remote_ip,interception", "asn" },
	{ "countries", "scope,name,phase,country", "overseas" },
	{ "sankey", "source,target", "overseas" },
	{ "organizations", "organization", NULL },
	{ "coverage", "device", NULL },
	{ "lab-hosts", "device,remote_ip", NULL },
	{ "tls", "device,phase,device_ip,device_port,remote_ip,remote_port,first_ts,interception",
	  "established,resumed,psk" },
	{ "certificates", "sha256", "validity_days,key_bits,self_signed,ca" },
	{ "validation-pairs", "device,category,interception,server", NULL },
	{ "pii", "device,category,phase,kind,source,location,direction,protocol,remote_domain,interception", NULL },
	{ "shaping", "device,interval_up,size_up,interval_down,size_down,tls,legacy_header,trace,window_s,attacker",
	  "run" },
	{ "shaping-cost", "device,interval_up,size_up,interval_down,size_down,tls,direction", "run" },
	{ "firmware", "device,category", NULL },
	{ "firmware-destinations", "device,category,server", NULL },
	{ "reference", "id", NULL },
};

static const char *const default_exports[] = { "summary",  "countries",  "parties",    "organizations",
					       "encryption-heatmap", "protocols", "cert-issues", "validation",
					       "pii-kinds" };

const char *ciot_compare_default(size_t i)
{
	return i < sizeof default_exports / sizeof default_exports[0] ? default_exports[i] : NULL;
}

struct ciot_compare {
	sqlite3 *db;
	const char *path[2];
	bool same_file;
};

static enum ciot_rc db_fail(sqlite3 *db, char *errbuf, const char *what)
{
	return ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", what, sqlite3_errmsg(db));
}

static enum ciot_rc exec(sqlite3 *db, const char *sql, char *errbuf)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CIOT_OK : db_fail(db, errbuf, "compare");
}

/* A path as a file: URI, read-only: '%', '?' and '#' (and anything unprintable) percent-encoded. */
static char *readonly_uri(const char *path)
{
	size_t n = strlen(path);
	char *uri = malloc(n * 3 + 32);
	if (!uri)
		return NULL;
	char *p = uri + sprintf(uri, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++)
		p += (*s == '%' || *s == '?' || *s == '#' || *s <= ' ' || *s >= 0x7f) ? sprintf(p, "%%%02X", *s)
										    : sprintf(p, "%c", *s);
	strcpy(p, "?mode=ro");
	return uri;
}

/* The schema version side `name` records; 0 when it has none. */
static int schema_version(sqlite3 *db, const char *side)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT value FROM %s.meta WHERE key = 'schema_version'", side);
	sqlite3_stmt *st = NULL;
	int v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static enum ciot_rc attach(struct ciot_compare *c, int i, char *errbuf)
{
	char *uri = readonly_uri(c->path[i]);
	if (!uri)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	sqlite3_stmt *st = NULL;
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_prepare_v2(c->db, i ? "ATTACH ?1 AS b" : "ATTACH ?1 AS a", -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(c->db, errbuf, c->path[i]);
	else if (sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(c->db, errbuf, c->path[i]);
	sqlite3_finalize(st);
	free(uri);
	/* ATTACH of a file that is not a database succeeds; the first read fails */
	if (!rc && sqlite3_exec(c->db, i ? "SELECT count(*) FROM b.sqlite_schema" : "SELECT count(*) FROM a.sqlite_schema",
				NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(c->db, errbuf, c->path[i]);
	return rc;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

enum ciot_rc ciot_compare_open(struct ciot_compare **out, const char *a_path, const char *b_path, char *errbuf)
{
	*out = NULL;
	struct ciot_compare *c = calloc(1, sizeof *c);
	if (!c)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	c->path[0] = a_path;
	c->path[1] = b_path;
	c->same_file = same_file(a_path, b_path);
	enum ciot_rc rc = CIOT_OK;
	if (sqlite3_open_v2(":memory:", &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) !=
	    SQLITE_OK)
		rc = db_fail(c->db, errbuf, "in-memory database");
	for (int i = 0; !rc && i < 2; i++)
		rc = attach(c, i, errbuf);
	if (!rc) {
		int va = schema_version(c->db, "a"), vb = schema_version(c->db, "b");
		if (va != vb)
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT,
				       "%s has schema version %d, %s version %d: exports of different schemas are not "
				       "comparable (analyze both with this ciot)",
				       a_path, va, b_path, vb);
		else if (va == 0)
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s and %s hold no analysis (no schema version)", a_path,
				       b_path);
	}
	if (!rc) {
		/* the same version: the store says whether this ciot reads it */
		sqlite3 *check = NULL;
		char why[CIOT_ERRBUF_SIZE];
		if (ciot_store_open_readonly(&check, a_path, why))
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "both databases: %s", why);
		sqlite3_close(check);
	}
	if (rc) {
		ciot_compare_close(c);
		return rc;
	}
	*out = c;
	return CIOT_OK;
}

void ciot_compare_close(struct ciot_compare *c)
{
	if (!c)
		return;
	sqlite3_close(c->db);
	free(c);
}

bool ciot_compare_same_file(const struct ciot_compare *c)
{
	return c->same_file;
}

/* Points the unqualified names at one side: a temp view per table and view of `side` (a or b). */
static enum ciot_rc point_at(struct ciot_compare *c, const char *side, char *errbuf)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	enum ciot_rc rc = exec(c->db, "SAVEPOINT point", errbuf);
	/* drop the views made for the other side (temp tables of results stay) */
	while (!rc) {
		if (sqlite3_prepare_v2(c->db, "SELECT name FROM temp.sqlite_schema WHERE type = 'view' LIMIT 1", -1, &st,
				       NULL) != SQLITE_OK)
			return db_fail(c->db, errbuf, "compare");
		bool more = sqlite3_step(st) == SQLITE_ROW;
		if (more)
			snprintf(sql, sizeof sql, "DROP VIEW temp.\"%s\"", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (!more)
			break;
		rc = exec(c->db, sql, errbuf);
	}
	snprintf(sql, sizeof sql,
		 "SELECT name FROM %s.sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%%'"
		 " AND instr(name, '\"') = 0",
		 side);
	if (!rc && sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(c->db, errbuf, "compare");
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char view[512];
		snprintf(view, sizeof view, "CREATE TEMP VIEW \"%s\" AS SELECT * FROM %s.\"%s\"", name, side, name);
		rc = exec(c->db, view, errbuf);
	}
	sqlite3_finalize(st);
	return exec(c->db, rc ? "ROLLBACK TO point" : "RELEASE point", errbuf) ? rc ? rc : CIOT_ERR_DB : rc;
}

/* ---- a growable SQL text ---- */

struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (int pass = 0; pass < 2 && !t->failed; pass++) {
		va_start(ap, fmt);
		int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
		} else if (t->s && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		} else {
			size_t cap = (t->cap + (size_t)n + 1) * 2;
			char *s = realloc(t->s, cap);
			if (!s)
				t->failed = true;
			else
				t->s = s, t->cap = cap;
		}
	}
}

/* ---- which columns are keys ---- */

enum role { ROLE_KEY, ROLE_VALUE, ROLE_ATTRIBUTE };

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, name, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static const struct compare_spec *find_spec(const char *name)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		if (!strcmp(specs[i].name, name))
			return &specs[i];
	return NULL;
}

static enum role role_of(const struct ciot_query *q, size_t i)
{
	const struct compare_spec *spec = find_spec(q->name);
	const struct ciot_column *col = &q->columns[i];
	if (!spec)
		return col->kind == CIOT_COLUMN_TEXT ? ROLE_KEY : ROLE_VALUE;
	if (listed(spec->keys, col->name))
		return ROLE_KEY;
	if (col->kind == CIOT_COLUMN_TEXT || listed(spec->attributes, col->name))
		return ROLE_ATTRIBUTE;
	return ROLE_VALUE;
}

/* ---- one side's rows into a temp table ---- */

struct loader {
	sqlite3 *db;
	sqlite3_stmt *insert;
	const struct ciot_column *columns;
	size_t ncolumns;
};

static enum ciot_rc load_begin(void *ctx, const struct ciot_column *columns, size_t ncolumns, char *errbuf)
{
	(void)errbuf;
	struct loader *l = ctx;
	l->columns = columns;
	l->ncolumns = ncolumns;
	return CIOT_OK;
}

static enum ciot_rc load_row(void *ctx, const struct ciot_cell *cells, char *errbuf)
{
	struct loader *l = ctx;
	for (size_t i = 0; i < l->ncolumns; i++) {
		int k = (int)i + 1;
		if (cells[i].null) {
			sqlite3_bind_null(l->insert, k);
			continue;
		}
		switch (l->columns[i].kind) {
		case CIOT_COLUMN_INT:
		case CIOT_COLUMN_TIME_US: sqlite3_bind_int64(l->insert, k, cells[i].v.integer); break;
		case CIOT_COLUMN_REAL3:
		case CIOT_COLUMN_SHARE: sqlite3_bind_double(l->insert, k, cells[i].v.real); break;
		case CIOT_COLUMN_TEXT:
		default: sqlite3_bind_text(l->insert, k, cells[i].v.text, -1, SQLITE_TRANSIENT); break;
		}
	}
	int step = sqlite3_step(l->insert);
	sqlite3_reset(l->insert);
	return step == SQLITE_DONE ? CIOT_OK : db_fail(l->db, errbuf, "compare");
}

static enum ciot_rc load_end(void *ctx, char *errbuf)
{
	(void)ctx;
	(void)errbuf;
	return CIOT_OK;
}

static const struct ciot_result_consumer to_table = { load_begin, load_row, load_end };

/* Runs q on side (a or b) into temp.ciot_cmp_<side>: c0..cN-1 as the export's columns, seq its
 * order, dup the row's number among rows of the same key. */
static enum ciot_rc load_side(struct ciot_compare *c, const struct ciot_query *q, const char *side,
			      const struct ciot_export_params *params, char *errbuf)
{
	size_t n = ciot_query_count_columns(q);
	struct text sql = { 0 };
	add(&sql, "DROP TABLE IF EXISTS temp.ciot_cmp_raw; CREATE TEMP TABLE ciot_cmp_raw (seq INTEGER PRIMARY KEY");
	for (size_t i = 0; i < n; i++)
		add(&sql, ", c%zu", i);
	add(&sql, ")");
	enum ciot_rc rc = sql.failed ? ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory") : point_at(c, side, errbuf);
	if (!rc)
		rc = exec(c->db, sql.s, errbuf);
	sql.len = 0;
	add(&sql, "INSERT INTO ciot_cmp_raw VALUES (NULL");
	for (size_t i = 0; i < n; i++)
		add(&sql, ", ?%zu", i + 1);
	add(&sql, ")");
	struct loader l = { .db = c->db };
	if (!rc && sqlite3_prepare_v2(c->db, sql.s, -1, &l.insert, NULL) != SQLITE_OK)
		rc = db_fail(c->db, errbuf, "compare");
	if (!rc)
		rc = exec(c->db, "BEGIN", errbuf);
	if (!rc) {
		rc = ciot_result_run(c->db, q, params, &to_table, &l, errbuf);
		if (exec(c->db, rc ? "ROLLBACK" : "COMMIT", errbuf) && !rc)
			rc = CIOT_ERR_DB;
	}
	sqlite3_finalize(l.insert);
	sql.len = 0;
	add(&sql, "DROP TABLE IF EXISTS temp.ciot_cmp_%s; CREATE TEMP TABLE ciot_cmp_%s AS SELECT *, row_number() OVER (",
	    side, side);
	const char *sep = "PARTITION BY ";
	for (size_t i = 0; i < n; i++)
		if (role_of(q, i) == ROLE_KEY) {
			add(&sql, "%sc%zu", sep, i);
			sep = ", ";
		}
	add(&sql, " ORDER BY seq) AS dup FROM ciot_cmp_raw; DROP TABLE ciot_cmp_raw;");
	if (!rc)
		rc = sql.failed ? ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory") : exec(c->db, sql.s, errbuf);
	free(sql.s);
	return rc;
}

/* ---- the joined rows ---- */

/* An export's comparison: its output columns and where each comes from. */
struct plan {
	const struct ciot_query *q;
	size_t n, nkeys;
	enum role role[CIOT_QUERY_MAX_COLUMNS];
	struct ciot_column *columns; /* output */
	size_t ncolumns;
	char *names; /* the output columns' names, one block */
};

static void plan_free(struct plan *p)
{
	free(p->columns);
	free(p->names);
}

static enum ciot_rc plan_make(struct plan *p, const struct ciot_query *q, char *errbuf)
{
	*p = (struct plan){ .q = q, .n = ciot_query_count_columns(q) };
	/* a declared key or attribute the export does not have is this file's mistake: say so */
	const struct compare_spec *spec = find_spec(q->name);
	for (const char *list = spec ? spec->keys : NULL, *next = spec ? spec->attributes : NULL; list;
	     list = next, next = NULL)
		for (const char *s = list; *s;) {
			size_t len = strcspn(s, ","), i = 0;
			while (i < p->n && (strlen(q->columns[i].name) != len || strncmp(q->columns[i].name, s, len)))
				i++;
			if (i == p->n)
				return ciot_fail(errbuf, CIOT_ERR_ARG, "compare: %s has no column %.*s", q->name, (int)len, s);
			s += len + (s[len] == ',');
		}
	size_t names = 0;
	for (size_t i = 0; i < p->n; i++) {
		p->role[i] = role_of(q, i);
		p->nkeys += p->role[i] == ROLE_KEY;
		names += 3 * (strlen(q->columns[i].name) + 8);
	}
	p->columns = calloc(p->n * 3 + 2, sizeof *p->columns);
	p->names = malloc(names + 1);
	if (!p->columns || !p->names) {
		plan_free(p);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	char *name = p->names;
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->role[i] == ROLE_KEY)
			p->columns[k++] = q->columns[i];
	p->columns[k++] = (struct ciot_column){ "present", CIOT_COLUMN_TEXT, "both, a or b" };
	for (size_t i = 0; i < p->n; i++) {
		if (p->role[i] == ROLE_KEY)
			continue;
		const struct ciot_column *col = &q->columns[i];
		static const char *const prefix[] = { "a_", "b_", "diff_" };
		for (int j = 0; j < (p->role[i] == ROLE_VALUE ? 3 : 2); j++) {
			int len = sprintf(name, "%s%s", prefix[j], col->name);
			enum ciot_column_kind kind = col->kind;
			if (j == 2 && kind == CIOT_COLUMN_TIME_US)
				kind = CIOT_COLUMN_SHARE; /* seconds, six decimals */
			p->columns[k++] = (struct ciot_column){ name, kind, col->doc };
			name += len + 1;
		}
	}
	p->columns[k++] = (struct ciot_column){ "changed", CIOT_COLUMN_TEXT,
						"the columns whose values differ as printed, comma-separated" };
	p->ncolumns = k;
	return CIOT_OK;
}

/* The join: [keys] [present] [a, b of every other column] [part, seq]. */
static char *join_sql(const struct plan *p)
{
	struct text t = { 0 }, on = { 0 };
	add(&on, "a.dup = b.dup");
	for (size_t i = 0; i < p->n; i++)
		if (p->role[i] == ROLE_KEY)
			add(&on, " AND a.c%zu IS b.c%zu", i, i);
	for (int part = 1; part <= 2; part++) {
		const char *side = part == 1 ? "a" : "b";
		add(&t, part == 1 ? "SELECT " : " UNION ALL SELECT ");
		for (size_t i = 0; i < p->n; i++)
			if (p->role[i] == ROLE_KEY)
				add(&t, "%s.c%zu, ", side, i);
		add(&t, part == 1 ? "CASE WHEN b.seq IS NULL THEN 'a' ELSE 'both' END" : "'b'");
		for (size_t i = 0; i < p->n; i++)
			if (p->role[i] != ROLE_KEY)
				{
				if (part == 1)
					add(&t, ", a.c%zu, b.c%zu", i, i);
				else
					add(&t, ", NULL, b.c%zu", i);
			}
		add(&t, ", %d, %s.seq", part, side);
		if (part == 1)
			add(&t, " FROM ciot_cmp_a a LEFT JOIN ciot_cmp_b b ON %s", on.failed ? "" : on.s);
		else
			add(&t, " FROM ciot_cmp_b b WHERE NOT EXISTS (SELECT 1 FROM ciot_cmp_a a WHERE %s)",
			    on.failed ? "" : on.s);
	}
	add(&t, " ORDER BY %zu, %zu", p->nkeys + 2 + 2 * (p->n - p->nkeys), p->nkeys + 3 + 2 * (p->n - p->nkeys));
	free(on.s);
	if (t.failed || on.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

static void read_cell(sqlite3_stmt *st, int i, enum ciot_column_kind kind, struct ciot_cell *c)
{
	c->null = sqlite3_column_type(st, i) == SQLITE_NULL;
	if (c->null)
		return;
	switch (kind) {
	case CIOT_COLUMN_INT:
	case CIOT_COLUMN_TIME_US: c->v.integer = sqlite3_column_int64(st, i); break;
	case CIOT_COLUMN_REAL3:
	case CIOT_COLUMN_SHARE: c->v.real = sqlite3_column_double(st, i); break;
	case CIOT_COLUMN_TEXT:
	default: c->v.text = (const char *)sqlite3_column_text(st, i); break;
	}
}

/* b - a; a difference the text formats would print as zero is zero (no "-0.000000"). */
static void diff_cell(const struct ciot_cell *a, const struct ciot_cell *b, enum ciot_column_kind kind,
		      struct ciot_cell *d)
{
	d->null = a->null || b->null;
	if (d->null)
		return;
	switch (kind) {
	case CIOT_COLUMN_INT: d->v.integer = b->v.integer - a->v.integer; break;
	case CIOT_COLUMN_TIME_US: d->v.real = (double)(b->v.integer - a->v.integer) / 1e6; break;
	case CIOT_COLUMN_REAL3:
	case CIOT_COLUMN_SHARE:
		d->v.real = b->v.real - a->v.real;
		if (fabs(d->v.real) < (kind == CIOT_COLUMN_SHARE ? 5e-7 : 5e-4))
			d->v.real = 0;
		break;
	case CIOT_COLUMN_TEXT:
	default: d->null = true; break;
	}
}

static bool printed_same(const struct ciot_cell *a, const struct ciot_cell *b, enum ciot_column_kind kind)
{
	char ba[64], bb[64];
	const char *ta = ciot_render_text(a, kind, ba, sizeof ba), *tb = ciot_render_text(b, kind, bb, sizeof bb);
	return ta && tb ? !strcmp(ta, tb) : ta == tb;
}

/* Renders the joined rows of one export. */
static enum ciot_rc render_join(struct ciot_compare *c, const struct plan *p, const struct ciot_renderer *renderer,
				FILE *out, char *errbuf)
{
	char *sql = join_sql(p);
	struct ciot_cell *cells = calloc(p->ncolumns, sizeof *cells);
	char *changed = malloc(p->n * 64 + 1);
	sqlite3_stmt *st = NULL;
	enum ciot_rc rc = CIOT_OK;
	if (!sql || !cells || !changed)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	else if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(c->db, errbuf, p->q->name);
	struct ciot_render r = { .out = out, .columns = p->columns, .ncolumns = p->ncolumns };
	if (!rc)
		rc = renderer->begin(&r, errbuf);
	int step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int in = 0;
		size_t k = 0;
		for (size_t i = 0; i < p->n; i++)
			if (p->role[i] == ROLE_KEY)
				read_cell(st, in++, p->q->columns[i].kind, &cells[k++]);
		struct ciot_cell *present = &cells[k++];
		read_cell(st, in++, CIOT_COLUMN_TEXT, present);
		bool both = !strcmp(present->v.text, "both");
		changed[0] = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (p->role[i] == ROLE_KEY)
				continue;
			enum ciot_column_kind kind = p->q->columns[i].kind;
			struct ciot_cell *a = &cells[k++], *b = &cells[k++];
			read_cell(st, in++, kind, a);
			read_cell(st, in++, kind, b);
			if (p->role[i] == ROLE_VALUE)
				diff_cell(a, b, kind, &cells[k++]);
			if (both && !printed_same(a, b, kind))
				snprintf(changed + strlen(changed), 64, "%s%.60s", *changed ? "," : "", p->q->columns[i].name);
		}
		cells[k] = (struct ciot_cell){ .null = !both, .v.text = changed };
		rc = renderer->row(&r, cells, errbuf);
		r.rows++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(c->db, errbuf, p->q->name);
	if (!rc)
		rc = renderer->end(&r, errbuf);
	sqlite3_finalize(st);
	free(sql);
	free(cells);
	free(changed);
	return rc;
}

/* One export compared: run on A, on B, joined, rendered. */
static enum ciot_rc compare_export(struct ciot_compare *c, const struct ciot_query *q,
				   const struct ciot_renderer *renderer, const struct ciot_export_params *params,
				   FILE *out, char *errbuf)
{
	struct plan p;
	enum ciot_rc rc = plan_make(&p, q, errbuf);
	if (rc)
		return rc;
	for (int i = 0; !rc && i < 2; i++) {
		rc = load_side(c, q, i ? "b" : "a", params, errbuf);
		if (rc) {
			char why[CIOT_ERRBUF_SIZE];
			snprintf(why, sizeof why, "%s", errbuf);
			ciot_fail(errbuf, rc, "%s: %s", c->path[i], why);
		}
	}
	if (!rc)
		rc = render_join(c, &p, renderer, out, errbuf);
	plan_free(&p);
	return rc;
}

/* ---- the two databases' settings ---- */

/* What a meta key is, for the comparison: a setting of the analysis (option), the version of code or
 * data it used (data), or a fact of the run (run). */
static const char *meta_kind(const char *key)
{
	static const char *const options[] = { "home_country", "lab_hosts",  "encryption_method", "public_services_party",
					       "attribution_rules", "trust_store", "interceptor_ca",  "pii_search",
					       "pii_key",     "pii_values" };
	static const char *const data[] = { "geo_data",      "public_suffix_list", "ndpi_version",
					    "sqlite_version", "ciot_version",       "schema_version" };
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
		if (!strcmp(key, options[i]))
			return "option";
	for (size_t i = 0; i < sizeof data / sizeof data[0]; i++)
		if (!strcmp(key, data[i]))
			return "data";
	return "run";
}

/* The home country a side's exports use: --home, else the database's, else CN (result.c). */
static const char *report_home(const struct ciot_export_params *params, const char *recorded)
{
	return params && params->home_country ? params->home_country : recorded ? recorded : "CN";
}

/* Hands each meta row (item, kind, a, b, same) to fn; stops at the first non-zero return. */
static enum ciot_rc each_meta(struct ciot_compare *c, const struct ciot_export_params *params,
			      enum ciot_rc (*fn)(void *ctx, const char *const row[5], char *errbuf), void *ctx, char *errbuf)
{
	const char *row[5] = { "file", "file", c->path[0], c->path[1], c->same_file ? "yes" : "no" };
	enum ciot_rc rc = fn(ctx, row, errbuf);
	static const char sql[] =
		"WITH k AS (SELECT key FROM a.meta UNION SELECT key FROM b.meta)"
		" SELECT k.key, (SELECT value FROM a.meta WHERE key = k.key), (SELECT value FROM b.meta WHERE key = k.key)"
		" FROM k ORDER BY k.key";
	sqlite3_stmt *st = NULL;
	if (!rc && sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(c->db, errbuf, "meta");
	/* settings first, then data versions, then the runs' facts; the home country the exports use
	 * comes with the settings */
	static const char *const order[] = { "option", "data", "run" };
	for (size_t o = 0; !rc && o < 3; o++) {
		while (!rc && sqlite3_step(st) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 0);
			if (strcmp(meta_kind(key), order[o]))
				continue;
			const char *a = (const char *)sqlite3_column_text(st, 1), *b = (const char *)sqlite3_column_text(st, 2);
			bool same = a && b ? !strcmp(a, b) : a == b;
			const char *meta_row[5] = { key, order[o], a, b, same ? "yes" : "no" };
			rc = fn(ctx, meta_row, errbuf);
		}
		sqlite3_reset(st);
		if (!rc && o == 0) {
			/* the home country of the exports (countries, sankey): --home applies to both sides */
			char ha[8] = "", hb[8] = "";
			sqlite3_stmt *h = NULL;
			if (sqlite3_prepare_v2(c->db,
					       "SELECT (SELECT value FROM a.meta WHERE key = 'home_country'),"
					       " (SELECT value FROM b.meta WHERE key = 'home_country')",
					       -1, &h, NULL) == SQLITE_OK &&
			    sqlite3_step(h) == SQLITE_ROW) {
				snprintf(ha, sizeof ha, "%s", report_home(params, (const char *)sqlite3_column_text(h, 0)));
				snprintf(hb, sizeof hb, "%s", report_home(params, (const char *)sqlite3_column_text(h, 1)));
			}
			sqlite3_finalize(h);
			const char *home_row[5] = { "report_home", "option", ha, hb, strcmp(ha, hb) ? "no" : "yes" };
			rc = fn(ctx, home_row, errbuf);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

struct differences {
	char *buf;
	size_t len, count;
};

static enum ciot_rc note_difference(void *ctx, const char *const row[5], char *errbuf)
{
	(void)errbuf;
	struct differences *d = ctx;
	if (!strcmp(row[4], "yes") || !strcmp(row[1], "run") || !strcmp(row[1], "file"))
		return CIOT_OK;
	if (d->len) {
		size_t used = strlen(d->buf);
		snprintf(d->buf + used, d->len - used, "%s%s", d->count ? ", " : "", row[0]);
	}
	d->count++;
	return CIOT_OK;
}

size_t ciot_compare_differences(struct ciot_compare *c, const struct ciot_export_params *params, char *buf,
				size_t len)
{
	struct differences d = { buf, len, 0 };
	if (len)
		buf[0] = 0;
	char errbuf[CIOT_ERRBUF_SIZE];
	each_meta(c, params, note_difference, &d, errbuf);
	return d.count;
}

struct meta_render {
	const struct ciot_renderer *renderer;
	struct ciot_render r;
};

static enum ciot_rc render_meta_row(void *ctx, const char *const row[5], char *errbuf)
{
	struct meta_render *m = ctx;
	struct ciot_cell cells[5];
	for (int i = 0; i < 5; i++)
		cells[i] = (struct ciot_cell){ .null = !row[i], .v.text = row[i] };
	enum ciot_rc rc = m->renderer->row(&m->r, cells, errbuf);
	m->r.rows++;
	return rc;
}

static const struct ciot_column meta_columns[] = {
	{ "item", CIOT_COLUMN_TEXT, "file, report_home, or a key of the databases' meta table" },
	{ "kind", CIOT_COLUMN_TEXT,
	  "file; option (a setting of the analysis or the report); data (a version of code or data); run" },
	{ "a", CIOT_COLUMN_TEXT, "A's value; empty when A has none" },
	{ "b", CIOT_COLUMN_TEXT, "B's value" },
	{ "same", CIOT_COLUMN_TEXT, "yes or no" },
};

static enum ciot_rc compare_meta(struct ciot_compare *c, const struct ciot_renderer *renderer,
				 const struct ciot_export_params *params, FILE *out, char *errbuf)
{
	struct meta_render m = { renderer, { .out = out, .columns = meta_columns, .ncolumns = 5 } };
	enum ciot_rc rc = renderer->begin(&m.r, errbuf);
	if (!rc)
		rc = each_meta(c, params, render_meta_row, &m, errbuf);
	return rc ? rc : renderer->end(&m.r, errbuf);
}

/* ---- the document ---- */

static void json_text(FILE *out, const char *s)
{
	json_t *j = json_string(s);
	char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(text ? text : "null", out);
	free(text);
	json_decref(j);
}

static void document_head(struct ciot_compare *c, enum ciot_export_format format,
			  const struct ciot_export_params *params, FILE *out)
{
	char differ[1024];
	size_t n = ciot_compare_differences(c, params, differ, sizeof differ);
	if (format == CIOT_EXPORT_MD) {
		fprintf(out, "# ciot compare\n\n- A: `%s`\n- B: `%s`\n", c->path[0], c->path[1]);
		if (c->same_file)
			fputs("- A and B are the same file: every difference is 0.\n", out);
		if (n)
			fprintf(out, "- Settings and data that differ (meta): %s\n", differ);
		else
			fputs("- Settings and data: the same in both (meta)\n", out);
		fputs("\nEach table: the export's key columns, `present` (both, a, b), a_ and b_ of every other "
		      "column, diff_ (b - a) of each quantity, and `changed` (docs/compare.md).\n",
		      out);
		return;
	}
	fputs("{\n \"a\": ", out);
	json_text(out, c->path[0]);
	fputs(",\n \"b\": ", out);
	json_text(out, c->path[1]);
	fprintf(out, ",\n \"same_file\": %s,\n \"differences\": [", c->same_file ? "true" : "false");
	for (char *p = n ? differ : NULL, *end; p; p = end ? end + 2 : NULL) {
		end = strstr(p, ", ");
		if (end)
			*end = 0;
		fputs(p == differ ? "" : ", ", out);
		json_text(out, p);
	}
	fputs("],\n \"exports\": {", out);
}

enum ciot_rc ciot_compare_export(struct ciot_compare *c, const char *const *tables, size_t ntables,
				 enum ciot_export_format format, const struct ciot_export_params *params, FILE *out,
				 char *errbuf)
{
	const struct ciot_renderer *renderer = ciot_render_find(format);
	if (!renderer)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no renderer for format %d", (int)format);
	const char *defaults[1 + sizeof default_exports / sizeof default_exports[0]] = { "meta" };
	if (!tables) {
		for (size_t i = 0; ciot_compare_default(i); i++)
			defaults[i + 1] = ciot_compare_default(i);
		tables = defaults;
		ntables = sizeof defaults / sizeof defaults[0];
	}
	if (format == CIOT_EXPORT_CSV && ntables != 1)
		return ciot_fail(errbuf, CIOT_ERR_ARG,
				 "CSV holds one table: name one export (or meta), or use --format md or json");
	for (size_t i = 0; i < ntables; i++)
		if (strcmp(tables[i], "meta") && !ciot_query_find(tables[i]))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "no export named \"%s\" (see ciot-report --help)",
					 tables[i]);
	bool document = format != CIOT_EXPORT_CSV;
	if (document)
		document_head(c, format, params, out);
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; !rc && i < ntables; i++) {
		if (format == CIOT_EXPORT_MD)
			fprintf(out, "\n## %s\n\n", tables[i]);
		else if (format == CIOT_EXPORT_JSON)
			fprintf(out, "%s\n \"%s\": ", i ? "," : "", tables[i]);
		rc = !strcmp(tables[i], "meta")
			     ? compare_meta(c, renderer, params, out, errbuf)
			     : compare_export(c, ciot_query_find(tables[i]), renderer, params, out, errbuf);
	}
	if (!rc && format == CIOT_EXPORT_JSON)
		fputs("}\n}\n", out);
	if (!rc && ferror(out))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "write error");
	return rc;
}
