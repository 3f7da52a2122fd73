/* test-labels.c: labels from a lifecycle timetable, an events file and a ciot database
 * (shaping/lib/labels.c), and their errors; and the device's trace and its guessed address from a
 * real capture of the camera (shaping/lib/trace.c), read in place from the shared data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "ciot/addr.h"
#include "ciot/shape-score.h"

static char err[CIOT_ERRBUF_SIZE], dir[] = "/tmp/ciot-labels-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_timetable(void)
{
	const char *p = write_file("t.txt", "# phase start_time end_time duration\n"
					    "setup 2024-04-16_12:33:53 2024-04-16_12:34:44 51\n"
					    "idle_local 2024-04-16_12:34:50 2024-04-16_13:04:59 1800\n"
					    "speak_local 2024-04-16_13:52:10 2024-04-16_13:52:26 16\n");
	struct ciot_labels l;
	CHECK_EQ_INT(ciot_labels_timetable(&l, p, 8 * 3600, err), CIOT_OK);
	CHECK_EQ_INT(l.n, 2); /* setup is not scored */
	CHECK_EQ_STR(l.l[0].name, "idle_local");
	CHECK(!l.l[0].active);
	CHECK(l.l[1].active);
	/* 13:52:10 at +8 is 05:52:10 UTC */
	CHECK_EQ_INT(l.l[1].start_ns, 1713246730LL * 1000000000);
	/* the timetable's end second is part of the step (ciot_timetable_parse) */
	CHECK_EQ_INT(l.l[1].end_ns - l.l[1].start_ns, 17LL * 1000000000);
	ciot_labels_free(&l);
	p = write_file("bad.txt", "speak_local 2024-04-16_13:52:10\n");
	CHECK(ciot_labels_timetable(&l, p, 0, err) != CIOT_OK);
	CHECK_CONTAINS(err, "bad.txt");
}

static void test_events(void)
{
	const char *p = write_file("e.txt", "# start end kind name\n"
					    "2026-01-01T00:00:00Z 2026-01-01T00:10:00Z idle night\n"
					    "\n"
					    "2026-01-01T00:10:00Z 2026-01-01T00:10:30.5Z active door # the door opened\n");
	struct ciot_labels l;
	CHECK_EQ_INT(ciot_labels_events(&l, p, err), CIOT_OK);
	CHECK_EQ_INT(l.n, 2);
	CHECK(l.l[1].active);
	CHECK_EQ_INT(l.l[1].end_ns - l.l[1].start_ns, 30500000000LL);
	ciot_labels_free(&l);
	static const char *const bad[] = {
		"2026-01-01T00:00:00Z 2026-01-01T00:10:00Z busy x\n",       /* kind */
		"2026-01-01T00:10:00Z 2026-01-01T00:00:00Z idle x\n",       /* end before start */
		"2026-01-01 00:00:00 2026-01-01T00:10:00Z idle x\n",        /* time */
		"2026-01-01T00:00:00Z 2026-01-01T00:10:00Z idle\n",         /* name */
		"2026-01-01T00:00:00Z 2026-01-01T00:10:00Z idle x y\n",     /* more */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p = write_file("bad-events.txt", bad[i]);
		CHECK_EQ_INT(ciot_labels_events(&l, p, err), CIOT_ERR_FORMAT);
		CHECK_CONTAINS(err, "bad-events.txt:1");
	}
}

static void test_database(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/a.db", dir);
	sqlite3 *db;
	sqlite3_open(path, &db);
	sqlite3_exec(db,
		     "CREATE TABLE captures (id INTEGER PRIMARY KEY, phase TEXT, subphase TEXT, window_start_us INTEGER,"
		     " window_end_us INTEGER, first_us INTEGER, last_us INTEGER);"
		     "INSERT INTO captures VALUES (1, 'idle', 'idle_local', NULL, NULL, 1000000, 9000000);"
		     "INSERT INTO captures VALUES (2, 'interaction', 'speak', 20000000, 30000000, 21000000, 29000000);"
		     "INSERT INTO captures VALUES (3, 'setup', NULL, NULL, NULL, 1, 2);",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	struct ciot_labels l;
	CHECK_EQ_INT(ciot_labels_database(&l, path, err), CIOT_OK);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.l[0].start_ns, 1000000000);
	CHECK_EQ_INT(l.l[1].start_ns, 20000000000); /* the window, not the first packet */
	CHECK(l.l[1].active);
	CHECK_EQ_STR(l.l[1].name, "speak#2");
	ciot_labels_free(&l);
	write_file("not.db", "not a database");
	snprintf(path, sizeof path, "%s/not.db", dir);
	CHECK(ciot_labels_database(&l, path, err) != CIOT_OK);
	snprintf(path, sizeof path, "%s/missing.db", dir);
	CHECK(ciot_labels_database(&l, path, err) != CIOT_OK);
}

static void test_trace(void)
{
	const char *pcap = getenv("CIOT_CAMERA_PCAP");
	if (!pcap) {
		fprintf(stderr, "test-labels: CIOT_CAMERA_PCAP not set\n");
		CHECK(pcap != NULL);
		return;
	}
	uint8_t device[16], expected[16];
	double share;
	CHECK_EQ_INT(ciot_trace_guess_device(&pcap, 1, device, &share, err), CIOT_OK);
	ciot_addr_parse("192.168.1.165", expected);
	CHECK(memcmp(device, expected, 16) == 0);
	CHECK(share > 0.9);
	struct ciot_trace t = { 0 };
	memcpy(t.device, device, 16);
	CHECK_EQ_INT(ciot_trace_read(&t, pcap, err), CIOT_OK);
	/* tshark -r xiaobai_Y2camera_speak_local.pcap: 1943 frames, all to or from 192.168.1.165 */
	CHECK_EQ_INT(t.frames, 1943);
	CHECK_EQ_INT(t.n + t.other_hosts + t.not_ip, 1943);
	CHECK_EQ_INT(t.nspans, 1);
	CHECK(t.spans[0].end_ns - t.spans[0].start_ns > 15900000000LL);
	for (size_t i = 1; i < t.n; i++)
		CHECK(t.p[i].ts_ns >= t.p[i - 1].ts_ns);
	ciot_trace_free(&t);
	CHECK_EQ_INT(ciot_trace_read(&t, "/nonexistent.pcap", err), CIOT_ERR_IO);
	CHECK_CONTAINS(err, "/nonexistent.pcap");
	ciot_trace_free(&t);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_timetable();
	test_events();
	test_database();
	test_trace();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return check_summary("shape-labels");
}
