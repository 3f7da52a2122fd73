/* table.h: a database table described once, as data. Its columns (name and SQL type) make its
 * CREATE TABLE and its INSERT, and rows are bound by column, never by a position counted by hand.
 *
 * A column table is an array indexed by an enum of the owner's (designated initializers keep the
 * two in step); the INSERT names every parameter after its column (":remote_ip"), and when it is
 * prepared each parameter's name is checked against the column the enum says it binds, so a
 * column added, dropped or moved in one place and not the other fails at once, on any database.
 *
 * The two core tables that analyzers widen (captures and flows: one row per capture step and per
 * flow, with a few columns per analyzer, so that a report reads one row and not one per analyzer)
 * are made of several column groups: the core's, then each analyzer's in registry order. A row
 * binder carries the offset of its group.
 */
#ifndef CIOT_TABLE_H
#define CIOT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ciot/ciot.h"

struct ciot_column {
	const char *name;
	const char *type;   /* SQL type and column constraints, e.g. "INTEGER NOT NULL DEFAULT 0" */
	bool generated;     /* filled by SQLite (INTEGER PRIMARY KEY): in CREATE TABLE, not in INSERT */
};

/* A group of columns: an analyzer's in a core table, or a whole table's. */
struct ciot_columns {
	const struct ciot_column *column;
	size_t n;
};
#define CIOT_COLUMNS(array) { (array), sizeof(array) / sizeof((array)[0]) }

struct ciot_table {
	const char *name;
	struct ciot_columns columns;
	const char *constraints; /* table constraints after the columns, or NULL */
	const char *insert;      /* "INSERT" (NULL) or "INSERT OR IGNORE", ... */
};

/* Builds CREATE TABLE IF NOT EXISTS for the table, with `extra` column groups appended (NULL
 * entries skipped), into a string the caller frees; NULL when memory runs out. */
char *ciot_table_create_sql(const struct ciot_table *t, const struct ciot_columns *extra, size_t nextra);

/* A prepared INSERT of a table with its extra groups, and where each group's parameters start.
 * `bound` marks the parameters the row being built has bound: at its run the others are bound
 * NULL, so no value of the previous row stays behind (without the cost of clearing every binding
 * of every row). */
#define CIOT_INSERT_MAX_PARAMS 256
struct ciot_insert {
	sqlite3_stmt *st;
	int base[1 + 8];    /* [0] the table's own columns, [1 + i] extra group i */
	int nparams;
	uint64_t bound[CIOT_INSERT_MAX_PARAMS / 64];
};

/* Prepares the INSERT and checks every parameter's name against its column. */
enum ciot_rc ciot_insert_prepare(sqlite3 *db, const struct ciot_table *t, const struct ciot_columns *extra,
				 size_t nextra, struct ciot_insert *out, char *errbuf);
void ciot_insert_finalize(struct ciot_insert *ins);
/* Runs the INSERT with what was bound (NULL for the rest); `what` names it in an error. */
enum ciot_rc ciot_insert_run(struct ciot_insert *ins, const char *what, char *errbuf);

/* An analyzer's store object when it is one table's INSERT: allocated and prepared, and freed. */
enum ciot_rc ciot_insert_new(sqlite3 *db, const struct ciot_table *t, struct ciot_insert **out, char *errbuf);
void ciot_insert_free(void *ins);

/* Binding one group's columns: `column` is the group's own index (its enum). */
struct ciot_row {
	sqlite3_stmt *st;
	int base;
	uint64_t *bound;
};
static inline struct ciot_row ciot_insert_row(struct ciot_insert *ins, size_t group)
{
	return (struct ciot_row){ ins->st, ins->base[group], ins->bound };
}
void ciot_row_int(const struct ciot_row *r, int column, int64_t v);
void ciot_row_real(const struct ciot_row *r, int column, double v);
void ciot_row_text(const struct ciot_row *r, int column, const char *v);  /* NULL binds NULL; copied */
void ciot_row_static(const struct ciot_row *r, int column, const char *v); /* outlives the INSERT */
void ciot_row_blob(const struct ciot_row *r, int column, const void *v, size_t len);
void ciot_row_null(const struct ciot_row *r, int column);

/* Runs SQL (schema, views, indexes); errors as "what: SQLite's message". */
enum ciot_rc ciot_db_exec(sqlite3 *db, const char *sql, const char *what, char *errbuf);

#endif
