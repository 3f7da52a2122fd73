/* tool.h: what the files of the ciot-report tool share (not the report library's interface): the
 * compare subcommand (ciot-report-compare.c) and the -o writer every output goes through
 * (ciot-report.c). */
#ifndef CIOT_REPORT_TOOL_H
#define CIOT_REPORT_TOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "ciot/ciot.h"

/* `ciot-report compare ...`: argv[0] is "compare"; returns the exit status. */
int ciot_report_compare(int argc, char **argv);

/* `ciot-report merge OUT.db PART.db...` (ciot-report-merge.c): argv[0] is "merge". */
int ciot_report_merge(int argc, char **argv);

/* Where -o's report goes. A regular file (or a path that does not exist yet) is replaced only once
 * the report is complete: written to a temporary file beside it, then renamed over it, so that a
 * failed export leaves the old file. A symlink to a regular file replaces its target and keeps the
 * link. Anything else is written in place, since renaming over it would replace the node itself: a
 * character device (/dev/null), a FIFO, a socket, and every path under /dev or /proc (/dev/stdout
 * names whatever standard output is, a terminal, a pipe or the file a shell redirected it to). The
 * input database is refused however it is named (a symlink, a hard link): its inode is compared. */
struct output {
	const char *path; /* as given, for messages */
	char target[PATH_MAX]; /* what is replaced: the path, or a symlink's target */
	char tmp[PATH_MAX + 16];
	bool in_place;
	FILE *out;
};

/* Makes the temporary file (mkstemp template `tmp`) an output is written to before it is renamed
 * over its path, with mode 0666 less the umask (what open(2) would give; mkstemp gives 0600); -1
 * with errno on failure. The merged database of ciot-report merge is built in one. */
int open_output(char *tmp);

/* Opens -o's destination: refused when it names one of the inputs (however: its inode is
 * compared), an empty path or a directory; CIOT_ERR_IO with errbuf "path: reason" then. */
enum ciot_rc output_open(struct output *o, const char *path, const char *const *inputs, size_t ninputs,
			 char *errbuf);
/* Closes the report with the run's result rc: renames a complete one over the target, or removes
 * the temporary file; returns rc, or the stream's own error (its reason, without the path). */
enum ciot_rc output_close(struct output *o, enum ciot_rc rc, char *errbuf);

#endif
