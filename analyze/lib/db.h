/* db.h: the two SQLite idioms every stage that writes the database uses, so that an error reads
 * the same wherever it happens and NULL is bound one way. */
#ifndef CIOT_DB_H
#define CIOT_DB_H

#include <sqlite3.h>

#include "ciot/ciot.h"

/* "what: SQLite's message", as a CIOT_ERR_DB; a lock another process held past the busy timeout is
 * CIOT_ERR_BUSY and said as such, and a full disk CIOT_ERR_NOSPACE, since SQLite's own words
 * ("database is locked", "database or disk is full") read as if the file were at fault. */
static inline enum ciot_rc ciot_db_fail(sqlite3 *db, char *errbuf, const char *what)
{
	int code = db ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return ciot_fail(errbuf, CIOT_ERR_BUSY, "%s: the database is locked by another process", what);
	if (code == SQLITE_FULL)
		return ciot_fail(errbuf, CIOT_ERR_NOSPACE, "%s: the disk is full", what);
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
