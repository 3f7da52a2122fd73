/* table.c: CREATE TABLE and INSERT made from column tables, and rows bound by column (table.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "table.h"

/* A growing string; `failed` once memory ran out, after which appends do nothing. */
struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void append(struct text *t, const char *a, const char *b)
{
	size_t n = strlen(a) + (b ? strlen(b) : 0);
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *grown = realloc(t->s, cap);
		if (!grown) {
			t->failed = true;
			return;
		}
		t->s = grown;
		t->cap = cap;
	}
	memcpy(t->s + t->len, a, strlen(a));
	t->len += strlen(a);
	if (b) {
		memcpy(t->s + t->len, b, strlen(b));
		t->len += strlen(b);
	}
	t->s[t->len] = 0;
}

static char *finish(struct text *t)
{
	if (t->failed) {
		free(t->s);
		return NULL;
	}
	return t->s;
}

/* Every group: the table's own, then the extra ones that are there. */
static size_t groups(const struct ciot_table *t, const struct ciot_columns *extra, size_t nextra,
		     const struct ciot_columns **out, size_t max)
{
	size_t n = 0;
	out[n++] = &t->columns;
	for (size_t i = 0; i < nextra && n < max; i++)
		out[n++] = &extra[i];
	return n;
}

char *ciot_table_create_sql(const struct ciot_table *t, const struct ciot_columns *extra, size_t nextra)
{
	const struct ciot_columns *g[9];
	size_t ng = groups(t, extra, nextra, g, 9);
	struct text sql = { 0 };
	append(&sql, "CREATE TABLE IF NOT EXISTS ", t->name);
	append(&sql, " (", NULL);
	bool first = true;
	for (size_t k = 0; k < ng; k++)
		for (size_t i = 0; i < g[k]->n; i++) {
			append(&sql, first ? "\n  " : ",\n  ", g[k]->column[i].name);
			append(&sql, " ", g[k]->column[i].type);
			first = false;
		}
	if (t->constraints)
		append(&sql, ",\n  ", t->constraints);
	append(&sql, ");\n", NULL);
	return finish(&sql);
}

enum ciot_rc ciot_insert_prepare(sqlite3 *db, const struct ciot_table *t, const struct ciot_columns *extra,
				 size_t nextra, struct ciot_insert *out, char *errbuf)
{
	memset(out, 0, sizeof *out);
	if (nextra + 1 > sizeof out->base / sizeof out->base[0])
		return ciot_fail(errbuf, CIOT_ERR_ARG, "%s: too many column groups", t->name);
	const struct ciot_columns *g[9];
	size_t ng = groups(t, extra, nextra, g, 9);
	struct text names = { 0 }, params = { 0 };
	int next = 1;
	for (size_t k = 0; k < ng; k++) {
		/* a group's generated columns come first (an id), so its binding index skips them */
		out->base[k] = next;
		for (size_t i = 0; i < g[k]->n; i++) {
			if (g[k]->column[i].generated) {
				out->base[k] = next - (int)i - 1;
				continue;
			}
			append(&names, next > 1 ? ", " : "", g[k]->column[i].name);
			append(&params, next > 1 ? ", :" : ":", g[k]->column[i].name);
			next++;
		}
	}
	struct text sql = { 0 };
	append(&sql, t->insert ? t->insert : "INSERT", " INTO ");
	append(&sql, t->name, " (");
	append(&sql, names.s ? names.s : "", ") VALUES (");
	append(&sql, params.s ? params.s : "", ")");
	free(names.s);
	free(params.s);
	char *text = finish(&sql);
	if (!text || names.failed || params.failed) {
		free(text);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	int prc = sqlite3_prepare_v2(db, text, -1, &out->st, NULL);
	free(text);
	if (prc != SQLITE_OK)
		return ciot_db_fail(db, errbuf, t->name);
	memset(out->bound, 0, sizeof out->bound);
	out->nparams = sqlite3_bind_parameter_count(out->st);
	if (out->nparams > CIOT_INSERT_MAX_PARAMS) {
		ciot_insert_finalize(out);
		return ciot_fail(errbuf, CIOT_ERR_DB, "%s: %d columns, more than the %d an INSERT may bind", t->name,
				 out->nparams, CIOT_INSERT_MAX_PARAMS);
	}
	/* every column binds the parameter named after it */
	for (size_t k = 0; k < ng; k++)
		for (size_t i = 0; i < g[k]->n; i++) {
			if (g[k]->column[i].generated)
				continue;
			const char *p = sqlite3_bind_parameter_name(out->st, out->base[k] + (int)i);
			if (!p || p[0] != ':' || strcmp(p + 1, g[k]->column[i].name)) {
				ciot_insert_finalize(out);
				return ciot_fail(errbuf, CIOT_ERR_DB, "%s: column %s is not bound by its name", t->name,
						 g[k]->column[i].name);
			}
		}
	return CIOT_OK;
}

void ciot_insert_finalize(struct ciot_insert *ins)
{
	sqlite3_finalize(ins->st);
	ins->st = NULL;
}

enum ciot_rc ciot_insert_run(struct ciot_insert *ins, const char *what, char *errbuf)
{
	for (int w = 0; w * 64 < ins->nparams; w++) {
		uint64_t missing = ~ins->bound[w];
		if (ins->nparams - w * 64 < 64)
			missing &= (UINT64_C(1) << (ins->nparams - w * 64)) - 1;
		for (; missing; missing &= missing - 1)
			sqlite3_bind_null(ins->st, w * 64 + __builtin_ctzll(missing) + 1);
		ins->bound[w] = 0;
	}
	int step = sqlite3_step(ins->st);
	sqlite3_reset(ins->st);
	return step == SQLITE_DONE ? CIOT_OK : ciot_db_fail(sqlite3_db_handle(ins->st), errbuf, what);
}

enum ciot_rc ciot_insert_new(sqlite3 *db, const struct ciot_table *t, struct ciot_insert **out, char *errbuf)
{
	*out = NULL;
	struct ciot_insert *ins = calloc(1, sizeof *ins);
	if (!ins)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = ciot_insert_prepare(db, t, NULL, 0, ins, errbuf);
	if (rc) {
		free(ins);
		return rc;
	}
	*out = ins;
	return CIOT_OK;
}

void ciot_insert_free(void *ins)
{
	if (!ins)
		return;
	ciot_insert_finalize(ins);
	free(ins);
}

static inline void mark(const struct ciot_row *r, int column)
{
	int i = r->base + column - 1; /* parameters count from 1 */
	r->bound[i / 64] |= UINT64_C(1) << (i % 64);
}

void ciot_row_int(const struct ciot_row *r, int column, int64_t v)
{
	mark(r, column);
	sqlite3_bind_int64(r->st, r->base + column, v);
}

void ciot_row_real(const struct ciot_row *r, int column, double v)
{
	mark(r, column);
	sqlite3_bind_double(r->st, r->base + column, v);
}

void ciot_row_text(const struct ciot_row *r, int column, const char *v)
{
	mark(r, column);
	ciot_db_bind_text_or_null(r->st, r->base + column, v);
}

void ciot_row_static(const struct ciot_row *r, int column, const char *v)
{
	mark(r, column);
	if (v)
		sqlite3_bind_text(r->st, r->base + column, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(r->st, r->base + column);
}

void ciot_row_blob(const struct ciot_row *r, int column, const void *v, size_t len)
{
	mark(r, column);
	sqlite3_bind_blob(r->st, r->base + column, v, (int)len, SQLITE_STATIC);
}

void ciot_row_null(const struct ciot_row *r, int column)
{
	mark(r, column);
	sqlite3_bind_null(r->st, r->base + column);
}

enum ciot_rc ciot_db_exec(sqlite3 *db, const char *sql, const char *what, char *errbuf)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CIOT_OK : ciot_db_fail(db, errbuf, what);
}
