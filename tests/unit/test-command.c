/* test-command.c: the scripted-capture command language, line by line. */
#include "check.h"
#include "command.h"

static void ok(const char *line, enum ciot_command_kind kind, const char *text, unsigned seconds, double wait_s)
{
	struct ciot_command c;
	char err[CIOT_ERRBUF_SIZE] = "";
	if (!CHECK_EQ_INT(ciot_command_parse(line, &c, err), CIOT_OK)) {
		fprintf(stderr, "\"%s\": %s\n", line, err);
		return;
	}
	CHECK_EQ_INT(c.kind, kind);
	CHECK_EQ_STR(c.text, text);
	CHECK_EQ_INT(c.seconds, seconds);
	CHECK(c.wait_s == wait_s);
}

static void bad(const char *line, const char *reason)
{
	struct ciot_command c;
	char err[CIOT_ERRBUF_SIZE] = "";
	if (!CHECK(ciot_command_parse(line, &c, err) != CIOT_OK))
		fprintf(stderr, "accepted \"%s\"\n", line);
	CHECK_CONTAINS(err, reason);
}

int main(void)
{
	ok("", CIOT_CMD_NONE, "", 0, 0);
	ok("   # a comment", CIOT_CMD_NONE, "", 0, 0);
	ok("\n", CIOT_CMD_NONE, "", 0, 0);
	ok("start", CIOT_CMD_START, "", 0, 0);
	ok("start\n", CIOT_CMD_START, "", 0, 0);
	ok("start\r\n", CIOT_CMD_START, "", 0, 0);
	ok("  start idle_local", CIOT_CMD_START, "idle_local", 0, 0);
	ok("start idle_local 60", CIOT_CMD_START, "idle_local", 60, 0);
	ok("start 30", CIOT_CMD_START, "", 30, 0);
	ok("start\tsetup\t5", CIOT_CMD_START, "setup", 5, 0);
	ok("next", CIOT_CMD_NEXT, "", 0, 0);
	ok("next watch_local 300", CIOT_CMD_NEXT, "watch_local", 300, 0);
	ok("end", CIOT_CMD_END, "", 0, 0);
	ok("skip", CIOT_CMD_SKIP, "", 0, 0);
	ok("skip update", CIOT_CMD_SKIP, "update", 0, 0);
	ok("redo", CIOT_CMD_REDO, "", 0, 0);
	ok("quit", CIOT_CMD_QUIT, "", 0, 0);
	ok("note the app crashed; restarted it", CIOT_CMD_NOTE, "the app crashed; restarted it", 0, 0);
	ok("exec adb shell input tap 500 900", CIOT_CMD_EXEC, "adb shell input tap 500 900", 0, 0);
	ok("wait 2.5", CIOT_CMD_WAIT, "", 0, 2.5);
	ok("wait 0", CIOT_CMD_WAIT, "", 0, 0);
	ok("start setup 86400", CIOT_CMD_START, "setup", 86400, 0);

	bad("begin", "unknown command");
	bad("Start", "unknown command");
	bad("startsetup", "unknown command");
	bad("end now", "no argument");
	bad("redo twice", "no argument");
	bad("quit 1", "no argument");
	bad("note", "needs text");
	bad("exec   ", "needs text");
	ok("wait", CIOT_CMD_WAIT, "", 0, -1);
	bad("wait soon", "seconds");
	bad("wait -1", "seconds");
	bad("wait 1e9", "seconds");
	bad("wait nan", "seconds");
	bad("wait 3 4", "seconds");
	bad("start setup 0", "seconds");
	bad("start setup 86401", "seconds");
	bad("start setup 5s", "seconds");
	bad("start setup 5 6", "too many");
	bad("start 5 setup", "seconds");
	bad("skip a b", "too many");
	bad("skip 3", "seconds");
	char longline[2000];
	memset(longline, 'a', sizeof longline - 1);
	longline[sizeof longline - 1] = 0;
	memcpy(longline, "note ", 5);
	bad(longline, "longer than");
	CHECK_EQ_STR(ciot_command_name(CIOT_CMD_NEXT), "next");
	return check_summary("command");
}
