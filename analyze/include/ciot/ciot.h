/* ciot.h: the result codes and versions every public header of libciot shares.
 *
 * The library does the work (read, decode, flow, analyze, store) and never prints or exits; the
 * tools parse options, call these functions and report what they return. include/ciot/ is all that
 * tools and other libraries include; the library's internals stay in its own folders:
 *   ciot.h           result codes, the error buffer, versions
 *   options.h        options as data, and their groups under --help headings
 *   analyze.h        a run: settings, option groups, ciot_analyze, progress (includes the next three)
 *   dataset.h        lifecycle phases, the inputs loaded into a dataset, time formats, timetables
 *   store.h          the database: opened for a run, or read-only for reports
 *   destinations.h   the stage that names and attributes every flow's remote end
 *   addr.h           IP and MAC addresses: kinds, parsing, printing
 *   capture-file.h   the pcap and pcapng reader
 * (the report library's ciot/report.h is report/include/ciot/). Every function that can fail
 * returns an enum ciot_rc and, where a caller needs to say more than the code, fills a
 * caller-provided message buffer of CIOT_ERRBUF_SIZE bytes.
 */
#ifndef CIOT_CIOT_H
#define CIOT_CIOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIOT_VERSION "0.1.0"
/* The version of nDPI the library runs, which names every flow's application protocol. */
const char *ciot_dpi_version(void);
#define CIOT_ERRBUF_SIZE 512

enum ciot_rc {
	CIOT_OK = 0,
	CIOT_ERR_NOMEM,       /* an allocation failed */
	CIOT_ERR_IO,          /* a file could not be opened, read or written */
	CIOT_ERR_FORMAT,      /* input is not in the format it claims, or is corrupt */
	CIOT_ERR_UNSUPPORTED, /* valid input ciot cannot handle (a link type, a version) */
	CIOT_ERR_ARG,         /* a caller or a manifest gave a value that makes no sense */
	CIOT_ERR_DB,          /* SQLite refused an operation */
	CIOT_ERR_DEVICE,      /* the device's own traffic could not be told apart */
	CIOT_ERR_INTERRUPTED, /* stopped by a signal before finishing */
	CIOT_ERR_DPI,         /* nDPI could not be initialised */
	CIOT_ERR_NOSPACE,     /* the disk (or the user's quota) is full */
	CIOT_ERR_GONE,        /* a capture interface went away */
	CIOT_ERR_BUSY,        /* another process holds what this one needs (a dataset's lock) */
	CIOT_ERR_INCOMPLETE,  /* a database whose analysis did not reach its end (store.h) */
};

const char *ciot_strerror(enum ciot_rc rc);

/* Writes printf-style text into a CIOT_ERRBUF_SIZE buffer (NULL is allowed) and returns rc. */
enum ciot_rc ciot_fail(char *errbuf, enum ciot_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
