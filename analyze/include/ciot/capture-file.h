/* ciot/capture-file.h: reads classic pcap and pcapng files, frame by frame, without libpcap; public
 * because the capture library's splitter cuts files with the same reader that analyzes them.
 *
 * ciot reads capture files itself because libpcap refuses a pcapng file whose interfaces have
 * different link types, and because a researcher's truncated capture should still yield its
 * packets. Each frame carries its own link type and a timestamp in microseconds since the epoch.
 * A file compressed with gzip, xz or zstd is read as the capture it holds (told by magic, not name).
 */
#ifndef CIOT_CAPTURE_FILE_H
#define CIOT_CAPTURE_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"

/* A frame larger than this is corrupt (libpcap's MAXIMUM_SNAPLEN). */
#define CIOT_CAPTURE_MAX_FRAME 262144u
/* A pcapng block larger than this is corrupt: no legitimate block needs more. */
#define CIOT_CAPTURE_MAX_BLOCK (16u << 20)
/* pcapng interfaces per section we keep track of. */
#define CIOT_CAPTURE_MAX_INTERFACES 256u

struct ciot_frame {
	int64_t ts_us;          /* microseconds since 1970-01-01 UTC */
	uint16_t ts_extra_ns;   /* nanoseconds beyond ts_us (0-999), from nanosecond pcap files */
	const uint8_t *data;    /* caplen bytes, valid until the next call */
	uint32_t caplen;        /* bytes captured */
	uint32_t wirelen;       /* bytes on the wire (never less than caplen) */
	uint16_t linktype;      /* LINKTYPE_* value */
	uint16_t interface;     /* pcapng interface index; 0 for pcap */
};

enum ciot_capture_format { CIOT_CAPTURE_PCAP, CIOT_CAPTURE_PCAPNG };

struct ciot_capture_file;

enum ciot_rc ciot_capture_open(struct ciot_capture_file **out, const char *path, char *errbuf);
/* Whether the file is a capture (pcap or pcapng, compressed or not) by its first bytes alone: CIOT_OK,
 * or the reason it is not (ciot_capture_open's). */
enum ciot_rc ciot_capture_probe(const char *path, char *errbuf);

/* Returns CIOT_OK with a frame, CIOT_OK with *eof set at the end, or an error (corrupt file). A file
 * that ends inside a record ends cleanly and reports it through ciot_capture_truncated. */
enum ciot_rc ciot_capture_next(struct ciot_capture_file *f, struct ciot_frame *frame, bool *eof,
			       char *errbuf);

bool ciot_capture_truncated(const struct ciot_capture_file *f);
/* True for a classic pcap file with nanosecond timestamps (frames carry ts_extra_ns). */
bool ciot_capture_nanosecond(const struct ciot_capture_file *f);
enum ciot_capture_format ciot_capture_format_of(const struct ciot_capture_file *f);
/* Bytes of the file read so far, which run up to ciot_capture_size (for progress): the capture's own
 * bytes for an uncompressed file, the compressed bytes taken by the decompressor for a compressed
 * one. */
uint64_t ciot_capture_bytes_read(const struct ciot_capture_file *f);
/* Bytes of capture data (decompressed) read so far: what offsets in messages count. */
uint64_t ciot_capture_data_bytes(const struct ciot_capture_file *f);
/* The file's size on disk (compressed, for a compressed file). */
uint64_t ciot_capture_size(const struct ciot_capture_file *f);
/* "gzip", "xz" or "zstd"; NULL for an uncompressed file. */
const char *ciot_capture_compression(const struct ciot_capture_file *f);
void ciot_capture_close(struct ciot_capture_file *f);

#endif
