/* link-test.h: what the link's tests share: a TCP connection over 127.0.0.1, a throwaway CA and
 * server certificate made with the openssl tool in a mkdtemp directory, links' configurations, and
 * messages whose length and bytes follow from (stream seed, index), so a receiver checks each one
 * without the sender telling it anything.
 */
#ifndef CIOT_SHAPE_LINK_TEST_H
#define CIOT_SHAPE_LINK_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ciot/shape.h"

static inline uint64_t lt_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#define LT_MESSAGE_MAX 6000

/* Message i of a stream: mostly small (a sensor reading, a command), some of a few records, a few
 * of several KB. */
static inline size_t lt_message_len(uint64_t stream, uint64_t i)
{
	uint64_t h = lt_mix(stream * 1000003 + i);
	unsigned kind = (unsigned)(h % 10);
	h >>= 8;
	if (kind < 6)
		return 1 + (size_t)(h % 64);
	if (kind < 9)
		return 65 + (size_t)(h % 1436);
	return 1501 + (size_t)(h % (LT_MESSAGE_MAX - 1500));
}

static inline void lt_message(uint64_t stream, uint64_t i, uint8_t *out, size_t len)
{
	uint64_t h = lt_mix(stream ^ (i << 20));
	for (size_t k = 0; k < len; k++) {
		if (k % 8 == 0)
			h = lt_mix(h);
		out[k] = (uint8_t)(h >> (8 * (k % 8)));
	}
}

static inline bool lt_message_ok(uint64_t stream, uint64_t i, const uint8_t *got, size_t len)
{
	static __thread uint8_t want[LT_MESSAGE_MAX];
	if (len != lt_message_len(stream, i))
		return false;
	lt_message(stream, i, want, len);
	return memcmp(want, got, len) == 0;
}

/* After message i, whether the application goes idle for a while (a device between bursts of
 * activity), and for how many ns: the idle times are when cover goes out. */
static inline int64_t lt_pause_after(uint64_t stream, uint64_t i)
{
	uint64_t h = lt_mix(~stream * 7919 + i);
	return h % 25 ? 0 : 5000000 + (int64_t)((h >> 8) % 35000000);
}

static inline int64_t lt_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A listening socket on 127.0.0.1 with a port of the kernel's choice. */
static inline int lt_listen(char port[8])
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0) {
		perror("listen on 127.0.0.1");
		if (s >= 0)
			close(s);
		return -1;
	}
	snprintf(port, 8, "%u", ntohs(a.sin_port));
	return s;
}

/* A link's configuration: the interval and size distributions in their text form. */
static inline bool lt_config(struct ciot_shape_link_config *c, const char *interval, const char *size,
			     size_t queue_limit, size_t recv_max, size_t read_size)
{
	char err[CIOT_ERRBUF_SIZE];
	memset(c, 0, sizeof *c);
	c->send.queue_limit = queue_limit;
	c->recv_max_message = recv_max;
	c->read_size = read_size;
	if (ciot_shape_dist_parse(&c->send.interval, interval, err) || ciot_shape_dist_parse(&c->send.size, size, err)) {
		fprintf(stderr, "%s\n", err);
		return false;
	}
	return true;
}

static inline void lt_config_free(struct ciot_shape_link_config *c)
{
	ciot_shape_dist_free(&c->send.interval);
	ciot_shape_dist_free(&c->send.size);
}

/* A throwaway PKI in a mkdtemp directory: ca.pem signs server.pem (device.test, key server.key);
 * other-ca.pem signs nothing the server shows. */
struct lt_pki {
	char dir[256];
	char ca[300], other_ca[300], cert[300], key[300];
};

static inline bool lt_pki_make(struct lt_pki *p)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(p->dir, sizeof p->dir, "%s/ciot-link-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(p->dir)) {
		perror("mkdtemp");
		return false;
	}
	snprintf(p->ca, sizeof p->ca, "%s/ca.pem", p->dir);
	snprintf(p->other_ca, sizeof p->other_ca, "%s/other-ca.pem", p->dir);
	snprintf(p->cert, sizeof p->cert, "%s/server.pem", p->dir);
	snprintf(p->key, sizeof p->key, "%s/server.key", p->dir);
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && {"
		 " openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem"
		 "  -days 2 -subj '/CN=ciot test CA' &&"
		 " openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key"
		 "  -out other-ca.pem -days 2 -subj '/CN=ciot other CA' &&"
		 " openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr"
		 "  -subj '/CN=device.test' &&"
		 " printf 'subjectAltName=DNS:device.test\\nbasicConstraints=CA:FALSE\\n' > ext.cnf &&"
		 " openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem"
		 "  -days 2 -extfile ext.cnf; } > openssl.log 2>&1 || { cat openssl.log >&2; exit 1; }",
		 p->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not make the test certificates in %s\n", p->dir);
		return false;
	}
	return true;
}

static inline void lt_pki_remove(struct lt_pki *p)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", p->dir);
}

#endif
