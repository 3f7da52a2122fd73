/* decompress.h: a file's bytes, decompressed when it is gzip, xz or zstd (decompress.c says why and
 * how). Internal: the capture file reader is its only user. */
#ifndef CIOT_DECOMPRESS_H
#define CIOT_DECOMPRESS_H

#include <stdint.h>
#include <sys/types.h>

#include "ciot/ciot.h"

enum ciot_compression { CIOT_COMPRESSION_NONE, CIOT_COMPRESSION_GZIP, CIOT_COMPRESSION_XZ, CIOT_COMPRESSION_ZSTD };

struct ciot_source;

/* Reads the file's first bytes from fd (which stays the caller's to close) to tell its compression
 * by magic; a file in no format it knows is read as it is. */
enum ciot_rc ciot_source_open(struct ciot_source **out, int fd, char *errbuf);

/* Up to len bytes of the (decompressed) data: their number, 0 at the end, or -1 with the reason in
 * errbuf and the result code in *rc (a read error, corrupt or truncated compressed data). */
ssize_t ciot_source_read(struct ciot_source *s, uint8_t *buf, size_t len, enum ciot_rc *rc, char *errbuf);

enum ciot_compression ciot_source_compression(const struct ciot_source *s);
/* "gzip", "xz", "zstd"; NULL for none. */
const char *ciot_compression_name(enum ciot_compression c);
/* Bytes read from the file so far: the compressed bytes for a compressed file. */
uint64_t ciot_source_file_bytes(const struct ciot_source *s);
void ciot_source_close(struct ciot_source *s);

#endif
