/* pcap-writer.c: classic pcap output (libpcap's file format, version 2.4, host byte order) with
 * whole-record writes and truncation to the last complete record after a failed write. */
#include "pcap-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define RECORD_HEADER 16u

struct ciot_pcap_writer {
	int fd;
	bool nanosecond;
	bool failed;
	uint8_t *buf;
	size_t used;
	uint64_t committed;      /* bytes of the file known to be written, at a record boundary */
	uint64_t buffered_packets, buffered_bytes;
	struct ciot_pcap_writer_stats stats;
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static enum ciot_rc write_error(struct ciot_pcap_writer *w, int err, char *errbuf)
{
	w->failed = true;
	w->stats.failed = true;
	w->stats.lost_packets += w->buffered_packets;
	w->stats.lost_bytes += w->buffered_bytes;
	w->stats.packets -= w->buffered_packets;
	w->stats.bytes -= w->buffered_bytes;
	w->buffered_packets = w->buffered_bytes = 0;
	w->used = 0;
	/* a partial write may have left half a record: cut back to the last whole one */
	if (ftruncate(w->fd, (off_t)w->committed) != 0 || lseek(w->fd, (off_t)w->committed, SEEK_SET) < 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "write: %s; cutting the file back failed: %s", strerror(err),
				 strerror(errno));
	if (err == ENOSPC || err == EDQUOT)
		return ciot_fail(errbuf, CIOT_ERR_NOSPACE, "write: %s", strerror(err));
	return ciot_fail(errbuf, CIOT_ERR_IO, "write: %s", strerror(err));
}

enum ciot_rc ciot_pcap_writer_flush(struct ciot_pcap_writer *w, char *errbuf)
{
	if (w->failed)
		return ciot_fail(errbuf, CIOT_ERR_IO, "an earlier write failed");
	size_t done = 0;
	while (done < w->used) {
		ssize_t n = write(w->fd, w->buf + done, w->used - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return write_error(w, n < 0 ? errno : ENOSPC, errbuf);
		done += (size_t)n;
	}
	w->committed += w->used;
	w->stats.file_bytes = w->committed;
	w->used = 0;
	w->buffered_packets = w->buffered_bytes = 0;
	return CIOT_OK;
}

enum ciot_rc ciot_pcap_writer_open(struct ciot_pcap_writer **out, const char *path, uint32_t linktype,
				   uint32_t snaplen, bool nanosecond, char *errbuf)
{
	*out = NULL;
	struct ciot_pcap_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->buf = malloc(CIOT_PCAP_WRITER_BUFFER))) {
		free(w);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	w->nanosecond = nanosecond;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		enum ciot_rc rc = ciot_fail(errbuf, errno == ENOSPC ? CIOT_ERR_NOSPACE : CIOT_ERR_IO, "%s: %s", path,
					    strerror(errno));
		free(w->buf);
		free(w);
		return rc;
	}
	uint8_t *h = w->buf;
	put32(h, nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
	put16(h + 4, 2);
	put16(h + 6, 4);
	put32(h + 8, 0);  /* thiszone */
	put32(h + 12, 0); /* sigfigs */
	put32(h + 16, snaplen);
	put32(h + 20, linktype);
	w->used = 24;
	enum ciot_rc rc = ciot_pcap_writer_flush(w, errbuf);
	if (rc) {
		close(w->fd);
		unlink(path);
		free(w->buf);
		free(w);
		return rc;
	}
	*out = w;
	return CIOT_OK;
}

enum ciot_rc ciot_pcap_writer_add(struct ciot_pcap_writer *w, int64_t ts_ns, const uint8_t *data, uint32_t caplen,
				  uint32_t wirelen, char *errbuf)
{
	if (w->failed) {
		w->stats.lost_packets++;
		w->stats.lost_bytes += wirelen;
		return ciot_fail(errbuf, CIOT_ERR_IO, "an earlier write failed");
	}
	if (caplen > CIOT_PCAP_WRITER_BUFFER - RECORD_HEADER || ts_ns < 0 || ts_ns / 1000000000 > UINT32_MAX)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "record cannot be written (length %u)", caplen);
	if (wirelen < caplen)
		wirelen = caplen;
	if (w->used + RECORD_HEADER + caplen > CIOT_PCAP_WRITER_BUFFER) {
		enum ciot_rc rc = ciot_pcap_writer_flush(w, errbuf);
		if (rc) {
			w->stats.lost_packets++;
			w->stats.lost_bytes += wirelen;
			return rc;
		}
	}
	uint8_t *h = w->buf + w->used;
	uint32_t sec = (uint32_t)(ts_ns / 1000000000);
	uint32_t ns = (uint32_t)(ts_ns % 1000000000);
	put32(h, sec);
	put32(h + 4, w->nanosecond ? ns : ns / 1000);
	put32(h + 8, caplen);
	put32(h + 12, wirelen);
	memcpy(h + RECORD_HEADER, data, caplen);
	w->used += RECORD_HEADER + caplen;
	w->buffered_packets++;
	w->buffered_bytes += wirelen;
	w->stats.packets++;
	w->stats.bytes += wirelen;
	return CIOT_OK;
}

enum ciot_rc ciot_pcap_writer_close(struct ciot_pcap_writer *w, char *errbuf)
{
	if (!w)
		return CIOT_OK;
	enum ciot_rc rc = w->failed ? CIOT_OK : ciot_pcap_writer_flush(w, errbuf);
	if (fsync(w->fd) != 0 && !rc && errno != EINVAL)
		rc = ciot_fail(errbuf, errno == ENOSPC ? CIOT_ERR_NOSPACE : CIOT_ERR_IO, "fsync: %s", strerror(errno));
	if (close(w->fd) != 0 && !rc)
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "close: %s", strerror(errno));
	free(w->buf);
	free(w);
	return rc;
}

void ciot_pcap_writer_stats(const struct ciot_pcap_writer *w, struct ciot_pcap_writer_stats *out)
{
	*out = w->stats;
	out->file_bytes = w->committed + w->used;
}
