/* test-pcap-writer.c: files written by the pcap writer read back frame for frame through ciot's own
 * reader, in both timestamp precisions; existing files are never overwritten; a write that fails
 * half-way leaves the file ending at its last whole record. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "capture-file.h"
#include "check.h"
#include "pcap-writer.h"
#include "testfs.h"

static void fill(uint8_t *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7);
}

static void round_trip(const char *dir, bool nanosecond)
{
	char path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	testfs_path(path, dir, nanosecond ? "ns.pcap" : "us.pcap");
	struct ciot_pcap_writer *w;
	if (!CHECK_EQ_INT(ciot_pcap_writer_open(&w, path, 1, 262144, nanosecond, err), CIOT_OK))
		return;
	static uint8_t frame[70000];
	const int64_t t0 = 1713252489123456789;
	/* sizes around the buffer's edges: records never straddle a write */
	static const uint32_t sizes[] = { 60, 1514, 0, 65535, 69999, 42, 65535, 65535, 65535, 65535, 9000, 14 };
	uint64_t bytes = 0;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		fill(frame, sizes[i], (unsigned)i);
		CHECK_EQ_INT(ciot_pcap_writer_add(w, t0 + (int64_t)i * 1000001, frame, sizes[i], sizes[i] + (i == 5 ? 100 : 0), err),
			     CIOT_OK);
		bytes += sizes[i] + (i == 5 ? 100 : 0);
	}
	struct ciot_pcap_writer_stats st;
	ciot_pcap_writer_stats(w, &st);
	CHECK_EQ_INT(st.packets, sizeof sizes / sizeof sizes[0]);
	CHECK_EQ_INT(st.bytes, bytes);
	CHECK(!st.failed);
	CHECK_EQ_INT(ciot_pcap_writer_close(w, err), CIOT_OK);

	struct ciot_capture_file *f;
	if (!CHECK_EQ_INT(ciot_capture_open(&f, path, err), CIOT_OK))
		return;
	CHECK_EQ_INT(ciot_capture_nanosecond(f), nanosecond);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct ciot_frame fr;
		bool eof = false;
		CHECK_EQ_INT(ciot_capture_next(f, &fr, &eof, err), CIOT_OK);
		if (!CHECK(!eof))
			break;
		int64_t ts_ns = t0 + (int64_t)i * 1000001;
		CHECK_EQ_INT(fr.ts_us, ts_ns / 1000);
		CHECK_EQ_INT(fr.ts_extra_ns, nanosecond ? ts_ns % 1000 : 0);
		CHECK_EQ_INT(fr.caplen, sizes[i]);
		CHECK_EQ_INT(fr.wirelen, sizes[i] + (i == 5 ? 100 : 0));
		CHECK_EQ_INT(fr.linktype, 1);
		fill(frame, sizes[i], (unsigned)i);
		CHECK(memcmp(fr.data, frame, sizes[i]) == 0);
	}
	struct ciot_frame fr;
	bool eof = false;
	CHECK_EQ_INT(ciot_capture_next(f, &fr, &eof, err), CIOT_OK);
	CHECK(eof);
	CHECK(!ciot_capture_truncated(f));
	ciot_capture_close(f);

	/* a file is never overwritten */
	struct stat before;
	stat(path, &before);
	CHECK_EQ_INT(ciot_pcap_writer_open(&w, path, 1, 262144, false, err), CIOT_ERR_IO);
	CHECK_CONTAINS(err, "exists");
	struct stat after;
	stat(path, &after);
	CHECK_EQ_INT(after.st_size, before.st_size);
}

/* In a child: a file size limit makes a write fail half-way, as a full disk does. */
static void fails_midway(void *arg)
{
	const char *path = arg;
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = { 600000, 600000 };
	setrlimit(RLIMIT_FSIZE, &lim);
	struct ciot_pcap_writer *w;
	char err[CIOT_ERRBUF_SIZE];
	if (ciot_pcap_writer_open(&w, path, 1, 262144, false, err))
		exit(3);
	static uint8_t frame[1000];
	uint32_t written = 0;
	enum ciot_rc rc = CIOT_OK;
	while (!rc && written < 100000)
		if (!(rc = ciot_pcap_writer_add(w, 1000000000000 + written, frame, sizeof frame, sizeof frame, err)))
			written++;
	if (!rc)
		rc = ciot_pcap_writer_flush(w, err);
	struct ciot_pcap_writer_stats st;
	ciot_pcap_writer_stats(w, &st);
	/* later records are refused and counted as lost */
	enum ciot_rc again = ciot_pcap_writer_add(w, 1, frame, sizeof frame, sizeof frame, err);
	struct ciot_pcap_writer_stats st2;
	ciot_pcap_writer_stats(w, &st2);
	ciot_pcap_writer_close(w, err);
	/* report through the exit status: 0 when every promise held */
	bool ok = rc != CIOT_OK && st.failed && again != CIOT_OK && st2.lost_packets == st.lost_packets + 1 &&
		  st.packets + st.lost_packets == written + 1 && st.file_bytes == 24 + st.packets * (16 + sizeof frame) &&
		  st.file_bytes <= 600000;
	exit(ok ? 0 : 4);
}

static void test_failed_write(const char *dir)
{
	char path[PATH_MAX], err[CIOT_ERRBUF_SIZE];
	testfs_path(path, dir, "limited.pcap");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		fails_midway(path);
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the file ends at a record boundary and reads cleanly */
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size > 24 && (st.st_size - 24) % 1016 == 0);
	struct ciot_capture_file *f;
	if (!CHECK_EQ_INT(ciot_capture_open(&f, path, err), CIOT_OK))
		return;
	uint64_t frames = 0;
	for (;;) {
		struct ciot_frame fr;
		bool eof = false;
		if (ciot_capture_next(f, &fr, &eof, err) || eof)
			break;
		frames++;
	}
	CHECK_EQ_INT(frames, (uint64_t)(st.st_size - 24) / 1016);
	CHECK(!ciot_capture_truncated(f));
	ciot_capture_close(f);
}

int main(void)
{
	char dir[PATH_MAX];
	testfs_mkdtemp(dir, "pcap-writer");
	round_trip(dir, false);
	round_trip(dir, true);
	test_failed_write(dir);
	testfs_rmtree(dir);
	return check_summary("pcap-writer");
}
