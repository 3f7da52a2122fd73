/* command.h: the command language of scripted and remote-controlled captures.
 *
 * One command a line, from a --script file or a --control FIFO ('#' starts a comment):
 *   start [STEP] [SECONDS]   start the next step, or STEP; SECONDS overrides its duration
 *   next [STEP] [SECONDS]    end the running step and start the next one at the same instant
 *   end                      end the running step
 *   skip [STEP]              skip the next step, or STEP
 *   redo                     end the running step's attempt and set it aside; the step is
 *                            offered again (start it again with start)
 *   note TEXT                a note on the running (else the last) step
 *   wait [SECONDS]           keep capturing for SECONDS, or until the running step ends (a timed
 *                            step's countdown); scripts only
 *   exec COMMAND             run a shell command and wait for it, capturing (scripts only)
 *   quit                     end the running step and stop
 */
#ifndef CIOT_COMMAND_H
#define CIOT_COMMAND_H

#include <stdbool.h>

#include "ciot/ciot.h"

#define CIOT_COMMAND_MAX_TEXT 1024

enum ciot_command_kind {
	CIOT_CMD_NONE, /* a blank line or a comment */
	CIOT_CMD_START,
	CIOT_CMD_NEXT,
	CIOT_CMD_END,
	CIOT_CMD_SKIP,
	CIOT_CMD_REDO,
	CIOT_CMD_NOTE,
	CIOT_CMD_WAIT,
	CIOT_CMD_EXEC,
	CIOT_CMD_QUIT,
};

struct ciot_command {
	enum ciot_command_kind kind;
	char text[CIOT_COMMAND_MAX_TEXT]; /* STEP, the note or the shell command; "" when absent */
	unsigned seconds;                 /* start/next: duration override (0: none) */
	double wait_s;                    /* wait: seconds, or -1: until the running step ends */
};

enum ciot_rc ciot_command_parse(const char *line, struct ciot_command *cmd, char *errbuf);
const char *ciot_command_name(enum ciot_command_kind kind);

#endif
