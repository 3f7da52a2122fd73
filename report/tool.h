/* tool.h: what the files of the ciot-report tool share (not the report library's interface): the
 * compare subcommand (ciot-report-compare.c) and the report file's creation (ciot-report.c). */
#ifndef CIOT_REPORT_TOOL_H
#define CIOT_REPORT_TOOL_H

/* `ciot-report compare ...`: argv[0] is "compare"; returns the exit status. */
int ciot_report_compare(int argc, char **argv);

/* `ciot-report merge OUT.db PART.db...` (ciot-report-merge.c): argv[0] is "merge". */
int ciot_report_merge(int argc, char **argv);

/* Makes the temporary file (mkstemp template `tmp`) a report is written to before it is renamed
 * over -o's path, with mode 0666 less the umask; -1 with errno on failure. */
int open_output(char *tmp);

#endif
