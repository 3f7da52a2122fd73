/* pcap-writer.h: writes classic pcap files that stay valid whatever happens to the writer.
 *
 * ciot-capture cannot use libpcap's dumper: stdio hides where a write failed, so after a full disk
 * the file could end inside a record. This writer keeps whole records in its own buffer, writes
 * them with write(2), and after a failed write cuts the file back to the last complete record, so
 * a reader always sees a well-formed file. A file is never overwritten: opening an existing path
 * fails.
 */
#ifndef CIOT_PCAP_WRITER_H
#define CIOT_PCAP_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"

/* Bytes buffered before a write; records are never split across writes. */
#define CIOT_PCAP_WRITER_BUFFER (256u * 1024u)

struct ciot_pcap_writer;

/* Creates `path` (which must not exist) with a pcap header for `linktype`. `nanosecond` selects
 * nanosecond timestamps (magic a1b23c4d). */
enum ciot_rc ciot_pcap_writer_open(struct ciot_pcap_writer **out, const char *path, uint32_t linktype,
				   uint32_t snaplen, bool nanosecond, char *errbuf);

/* Adds one record; `ts_ns` is nanoseconds since the epoch (rounded down to microseconds in a
 * microsecond file). CIOT_ERR_NOSPACE when the disk is full: the file then ends at the last record
 * that reached it, and the writer refuses further records. */
enum ciot_rc ciot_pcap_writer_add(struct ciot_pcap_writer *w, int64_t ts_ns, const uint8_t *data, uint32_t caplen,
				  uint32_t wirelen, char *errbuf);

/* Writes what is buffered. Called at least once a second by a live capture, so that a crash loses
 * at most that second. */
enum ciot_rc ciot_pcap_writer_flush(struct ciot_pcap_writer *w, char *errbuf);

/* Flushes, fsyncs and closes; frees the writer whatever the result. */
enum ciot_rc ciot_pcap_writer_close(struct ciot_pcap_writer *w, char *errbuf);

struct ciot_pcap_writer_stats {
	uint64_t packets;      /* records in the file (or still buffered) */
	uint64_t bytes;        /* their wire length */
	uint64_t file_bytes;   /* size of the file once flushed */
	uint64_t lost_packets; /* records that a full disk kept out of the file */
	uint64_t lost_bytes;
	bool failed;           /* a write failed; the file ends at its last whole record */
};
void ciot_pcap_writer_stats(const struct ciot_pcap_writer *w, struct ciot_pcap_writer_stats *out);

#endif
