/* db.h: the two SQLite idioms every stage that writes the database uses, so that an error reads
 * the same wherever it happens and NULL is bound one way. */
#ifndef CIOT_DB_H
#define CIOT_DB_H

#include <sqlite3.h>

#include "ciot/ciot.h"

/* "what: SQLite's message", as a CIOT_ERR_DB. */
static inline enum ciot_rc ciot_db_fail(sqlite3 *db, char *errbuf, const char *what)
{
	return ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
}

/* Binds text (copied), or NULL when v is. */
static inline void ciot_db_bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

#endif
