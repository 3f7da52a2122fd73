/* rc.c: names of ciot's result codes and the helper that fills an error buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "ciot/ciot.h"

static const char *const rc_names[] = {
	[CIOT_OK] = "success",
	[CIOT_ERR_NOMEM] = "out of memory",
	[CIOT_ERR_IO] = "input/output error",
	[CIOT_ERR_FORMAT] = "malformed input",
	[CIOT_ERR_UNSUPPORTED] = "unsupported input",
	[CIOT_ERR_ARG] = "invalid argument",
	[CIOT_ERR_DB] = "database error",
	[CIOT_ERR_DEVICE] = "device traffic not identified",
	[CIOT_ERR_INTERRUPTED] = "interrupted",
	[CIOT_ERR_DPI] = "nDPI initialisation failed",
	[CIOT_ERR_NOSPACE] = "no space left on the disk",
	[CIOT_ERR_GONE] = "the capture interface went away",
	[CIOT_ERR_BUSY] = "in use by another process",
	[CIOT_ERR_INCOMPLETE] = "incomplete database",
};

const char *ciot_strerror(enum ciot_rc rc)
{
	if ((unsigned)rc < sizeof rc_names / sizeof rc_names[0] && rc_names[rc])
		return rc_names[rc];
	return "unknown error";
}

enum ciot_rc ciot_fail(char *errbuf, enum ciot_rc rc, const char *fmt, ...)
{
	if (errbuf) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, CIOT_ERRBUF_SIZE, fmt, ap);
		va_end(ap);
	}
	return rc;
}
