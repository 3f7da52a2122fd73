/* test-timeline.c: step timelines in ciot's own format and the public dataset's, and the ISO 8601
 * times they and the manifest use. */
#include <stdlib.h>

#include "check.h"
#include "timeline.h"

static void test_iso(void)
{
	static const struct {
		const char *text;
		int64_t us;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-04-16T07:28:09Z", 1713252489000000 },
		{ "2024-04-16T07:28:09.25Z", 1713252489250000 },
		{ "2024-04-16T07:28:09.000001Z", 1713252489000001 },
		{ "2024-04-16T15:28:09+08:00", 1713252489000000 },
		{ "2024-04-16T02:28:09.5-05:00", 1713252489500000 },
		{ "2024-02-29T00:00:00Z", 1709164800000000 },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int64_t us = -1;
		if (!CHECK(ciot_time_parse_iso(good[i].text, &us)))
			fprintf(stderr, "refused %s\n", good[i].text);
		CHECK_EQ_INT(us, good[i].us);
	}
	static const char *const bad[] = {
		"2024-04-16T07:28:09",         /* no zone: local time is ambiguous */
		"2024-04-16 07:28:09Z",        "2024-04-16T07:28:09.Z",     "2024-04-16T07:28:09.1234567Z",
		"2024-04-16T07:28:60Z",        "2024-04-16T24:00:00Z",      "2023-02-29T00:00:00Z",
		"2024-13-01T00:00:00Z",        "2024-04-16T07:28:09+8",     "2024-04-16T07:28:09+08:00x",
		"2024-04-16T07:28:09Zjunk",    "1969-12-31T23:59:59Z",      "",
		"2024-04-16T07:28:09+0800",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t us;
		if (!CHECK(!ciot_time_parse_iso(bad[i], &us)))
			fprintf(stderr, "accepted %s\n", bad[i]);
	}
	/* what ciot writes, it reads back */
	char buf[CIOT_ISO_TIME_SIZE];
	ciot_time_format_iso(1713252489000001, buf);
	CHECK_EQ_STR(buf, "2024-04-16T07:28:09.000001Z");
	for (int64_t us = 0; us < 4000000000000000; us += 123456789012345) {
		int64_t back = -1;
		ciot_time_format_iso(us, buf);
		CHECK(ciot_time_parse_iso(buf, &back) && back == us);
	}
}

static void test_ciot_format(void)
{
	struct ciot_window *w;
	size_t n;
	enum ciot_timeline_format format;
	char err[CIOT_ERRBUF_SIZE] = "";
	const char *text = "# steps of acme_plug\n"
			   "\n"
			   "on_local interaction 2024-04-16T07:30:00.5Z 2024-04-16T07:31:00Z\n"
			   "   setup setup 2024-04-16T07:28:09.250000Z 2024-04-16T07:30:00.5Z\n"
			   "idle_local idle 2024-04-16T15:31:00+08:00 2024-04-16T08:01:00Z";
	if (!CHECK_EQ_INT(ciot_timeline_parse(text, 0, &w, &n, &format, err), CIOT_OK)) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_EQ_INT(format, CIOT_TIMELINE_CIOT);
	CHECK_EQ_INT(n, 3);
	/* sorted by start; back-to-back windows touch without overlapping */
	CHECK_EQ_STR(w[0].subphase, "setup");
	CHECK_EQ_INT(w[0].phase, CIOT_PHASE_SETUP);
	CHECK_EQ_INT(w[0].start_us, 1713252489250000);
	CHECK_EQ_INT(w[0].end_us, 1713252600500000);
	CHECK_EQ_INT(w[1].start_us, w[0].end_us);
	CHECK_EQ_STR(w[1].subphase, "on_local");
	CHECK_EQ_INT(w[1].phase, CIOT_PHASE_INTERACTION);
	CHECK_EQ_INT(w[2].phase, CIOT_PHASE_IDLE);
	CHECK_EQ_INT(w[2].start_us, 1713252660000000);
	CHECK_EQ_INT(w[2].end_us, 1713254460000000);
	ciot_windows_free(w, n);

	static const struct {
		const char *text, *reason;
	} bad[] = {
		{ "", "no steps" },
		{ "# nothing\n", "no steps" },
		{ "setup setup 2024-04-16T07:28:09Z", "expected" },
		{ "setup setup 2024-04-16T07:28:09Z 2024-04-16T07:29:09Z extra", "expected" },
		{ "setup boot 2024-04-16T07:28:09Z 2024-04-16T07:29:09Z", "phase" },
		{ "setup setup 2024-04-16T07:28:09 2024-04-16T07:29:09Z", "ISO 8601" },
		{ "setup setup 2024-04-16T07:29:09Z 2024-04-16T07:29:09Z", "ends before" },
		{ "a setup 2024-04-16T07:28:09Z 2024-04-16T07:30:00Z\nb idle 2024-04-16T07:29:59.999999Z 2024-04-16T07:31:00Z",
		  "overlap" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		if (!CHECK(ciot_timeline_parse(bad[i].text, 0, &w, &n, &format, err) != CIOT_OK)) {
			fprintf(stderr, "accepted: %s\n", bad[i].text);
			ciot_windows_free(w, n);
		}
		CHECK_CONTAINS(err, bad[i].reason);
	}
}

static void test_lifecycle_format(void)
{
	/* the public dataset's timetable: local time (+8), 1 s resolution, the end second included */
	struct ciot_window *w;
	size_t n;
	enum ciot_timeline_format format;
	char err[CIOT_ERRBUF_SIZE] = "";
	const char *text = "setup 2024-04-16_15:28:09 2024-04-16_15:28:51 42\n"
			   "idle_local 2024-04-16_15:30:00 2024-04-16_16:00:00 1800\n";
	if (!CHECK_EQ_INT(ciot_timeline_parse(text, 8 * 3600, &w, &n, &format, err), CIOT_OK)) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_EQ_INT(format, CIOT_TIMELINE_LIFECYCLE);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(w[0].start_us, 1713252489000000);
	CHECK_EQ_INT(w[0].end_us, 1713252532000000);
	CHECK_EQ_INT(w[1].phase, CIOT_PHASE_IDLE);
	ciot_windows_free(w, n);
	CHECK(ciot_timeline_parse("setup 2024-04-16_15:28:09 2024-04-16T15:28:51Z 42\n", 0, &w, &n, &format, err) !=
	      CIOT_OK);
}

int main(void)
{
	test_iso();
	test_ciot_format();
	test_lifecycle_format();
	return check_summary("timeline");
}
