/* command.c: parses one line of the scripted-capture command language (command.h). */
#include "command.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static const char *const names[] = {
	[CIOT_CMD_NONE] = "", [CIOT_CMD_START] = "start", [CIOT_CMD_NEXT] = "next", [CIOT_CMD_END] = "end",
	[CIOT_CMD_SKIP] = "skip", [CIOT_CMD_REDO] = "redo", [CIOT_CMD_NOTE] = "note", [CIOT_CMD_WAIT] = "wait",
	[CIOT_CMD_EXEC] = "exec", [CIOT_CMD_QUIT] = "quit",
};

const char *ciot_command_name(enum ciot_command_kind kind) { return names[kind]; }

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A whole positive number of seconds, at most a day. */
static bool parse_seconds(const char *s, unsigned *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > CIOT_PROTOCOL_MAX_DURATION)
		return false;
	*out = (unsigned)v;
	return true;
}

enum ciot_rc ciot_command_parse(const char *line, struct ciot_command *cmd, char *errbuf)
{
	memset(cmd, 0, sizeof *cmd);
	size_t len = strcspn(line, "\r\n");
	if (len >= CIOT_COMMAND_MAX_TEXT)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "command longer than %d bytes", CIOT_COMMAND_MAX_TEXT - 1);
	char buf[CIOT_COMMAND_MAX_TEXT];
	memcpy(buf, line, len);
	buf[len] = 0;
	const char *p = skip_space(buf);
	if (!*p || *p == '#')
		return CIOT_OK;
	size_t wlen = strcspn(p, " \t");
	enum ciot_command_kind kind = CIOT_CMD_NONE;
	for (int k = CIOT_CMD_START; k <= CIOT_CMD_QUIT; k++)
		if (strlen(names[k]) == wlen && !strncmp(p, names[k], wlen))
			kind = (enum ciot_command_kind)k;
	if (kind == CIOT_CMD_NONE)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "unknown command \"%.*s\"", (int)(wlen > 32 ? 32 : wlen), p);
	const char *rest = skip_space(p + wlen);
	cmd->kind = kind;
	switch (kind) {
	case CIOT_CMD_NOTE:
	case CIOT_CMD_EXEC:
		if (!*rest)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "%s needs text", names[kind]);
		snprintf(cmd->text, sizeof cmd->text, "%s", rest);
		return CIOT_OK;
	case CIOT_CMD_WAIT: {
		if (!*rest) {
			cmd->wait_s = -1; /* until the running step ends */
			return CIOT_OK;
		}
		char *end;
		cmd->wait_s = strtod(rest, &end);
		if (end == rest || *skip_space(end) || !isfinite(cmd->wait_s) || cmd->wait_s < 0 ||
		    cmd->wait_s > CIOT_PROTOCOL_MAX_DURATION)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "wait needs a number of seconds (0 to %d)",
					 CIOT_PROTOCOL_MAX_DURATION);
		return CIOT_OK;
	}
	case CIOT_CMD_START:
	case CIOT_CMD_NEXT:
	case CIOT_CMD_SKIP: {
		/* [STEP] [SECONDS]: a step name is never all digits */
		char a[CIOT_COMMAND_MAX_TEXT] = "", b[CIOT_COMMAND_MAX_TEXT] = "", c[2] = "";
		int n = sscanf(rest, "%1023s %1023s %1s", a, b, c);
		if (n == 3 || (kind == CIOT_CMD_SKIP && n == 2))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "too many arguments to %s", names[kind]);
		if (n >= 1 && isdigit((unsigned char)a[0])) {
			if (n == 2 || kind == CIOT_CMD_SKIP || !parse_seconds(a, &cmd->seconds))
				return ciot_fail(errbuf, CIOT_ERR_ARG, "%s [STEP] [SECONDS]: seconds are 1 to %d",
						 names[kind], CIOT_PROTOCOL_MAX_DURATION);
			return CIOT_OK;
		}
		if (n >= 1)
			snprintf(cmd->text, sizeof cmd->text, "%s", a);
		if (n == 2 && !parse_seconds(b, &cmd->seconds))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "%s [STEP] [SECONDS]: seconds are 1 to %d", names[kind],
					 CIOT_PROTOCOL_MAX_DURATION);
		return CIOT_OK;
	}
	default:
		if (*rest)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "%s takes no argument", names[kind]);
		return CIOT_OK;
	}
}
