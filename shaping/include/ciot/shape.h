/* ciot/shape.h: libciot-shape, independent link padding for IoT devices, and its scoring.
 *
 * A device that shapes its traffic sends records of sizes drawn from a distribution X at intervals
 * drawn from a distribution D, whatever its application does: a message waits in a queue and
 * leaves in the payload of the next records (fragmented when larger than one record's room), and a
 * slot with nothing queued sends a cover record. What the wire shows (when, how much) is then
 * independent of what the user does (Datta, Apthorpe and Feamster, IoT S&P 2018; Apthorpe et al.,
 * "Spying on the smart home", 2017). docs/shaping.md has the method, the wire format and the
 * evidence.
 *
 * Three layers, each usable alone:
 *   - the shaper (ciot_shaper): the schedule and the records, with no I/O: a queue, the next
 *     deadline, and a record built at each slot. Time and randomness come from a ciot_shape_env,
 *     so the same code runs on the monotonic clock with a cryptographic generator on a device, and
 *     in virtual time with a seeded generator in simulations and tests;
 *   - the unshaper (ciot_unshaper): the receiving side, a stream parser that takes bytes with any
 *     read boundaries and returns whole messages, dropping cover;
 *   - the link (ciot_shape_link): both over a connected socket, optionally inside TLS, with an
 *     event-loop interface (next deadline, on timer, on readable) or a helper thread.
 *
 * All state is per object: many links per process, each safe to use from several threads.
 * Functions that can fail return an enum ciot_rc and fill a CIOT_ERRBUF_SIZE buffer.
 */
#ifndef CIOT_SHAPE_H
#define CIOT_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"

/* ---- the wire format ---------------------------------------------------------------------------
 *
 *   0        1        2        3        4        5        6
 *   +--------+--------+--------+--------+--------+--------+------------------+------------------+
 *   |version | flags  |  record length  | payload length  | payload          | random padding   |
 *   +--------+--------+--------+--------+--------+--------+------------------+------------------+
 *   |<------------------------------- record length: the sampled size --------------------------->|
 *
 * Every record is exactly its sampled size: the header is inside it, never added to it, and has
 * one length whatever the record carries, so a cover record and a message's last fragment of the
 * same sampled size are the same size on the wire. Lengths are big-endian. flags: DATA (the payload
 * is part of a message; a cover record has none and a payload length of 0), END (the payload ends
 * its message). Padding and cover bytes come from the environment's random source (cryptographic
 * outside simulations). Without TLS the header is in clear: sizes and times hide the user's
 * activity, but whoever reads the bytes can tell cover from data; with TLS (ciot_shape_link) they
 * cannot.
 */
#define CIOT_SHAPE_VERSION 1
#define CIOT_SHAPE_HEADER 6
#define CIOT_SHAPE_FLAG_DATA 0x01
#define CIOT_SHAPE_FLAG_END 0x02
#define CIOT_SHAPE_RECORD_MIN (CIOT_SHAPE_HEADER + 1) /* room for one payload byte */
#define CIOT_SHAPE_RECORD_MAX 16384                   /* one TLS record's plaintext at most */

/* ---- the environment: a clock and a random source ---------------------------------------------- */

struct ciot_shape_env {
	int64_t (*now_ns)(void *ctx);                          /* a monotonic clock */
	void (*random_bytes)(void *ctx, uint8_t *out, size_t n); /* must not fail */
	void *ctx;
};

/* CLOCK_MONOTONIC and OpenSSL's RAND_bytes: what a device uses. */
const struct ciot_shape_env *ciot_shape_env_system(void);

/* A deterministic environment for simulations and tests: virtual time that only moves when set,
 * and a ChaCha20 keystream from a 64-bit seed (the same seed, the same bytes, on any machine). */
struct ciot_shape_virtual;
enum ciot_rc ciot_shape_virtual_new(struct ciot_shape_virtual **v, uint64_t seed, char *errbuf);
void ciot_shape_virtual_free(struct ciot_shape_virtual *v);
const struct ciot_shape_env *ciot_shape_virtual_env(struct ciot_shape_virtual *v);
void ciot_shape_virtual_set(struct ciot_shape_virtual *v, int64_t now_ns);

/* A uniform double in [0, 1) and a uniform integer in [0, n) from an environment's random source. */
double ciot_shape_random_unit(const struct ciot_shape_env *env);
uint64_t ciot_shape_random_below(const struct ciot_shape_env *env, uint64_t n);

/* ---- distributions ------------------------------------------------------------------------------ */

enum ciot_shape_dist_kind {
	CIOT_SHAPE_CONSTANT,  /* a */
	CIOT_SHAPE_UNIFORM,   /* on [a, b] */
	CIOT_SHAPE_NORMAL,    /* mean a, standard deviation b, clamped to [min, max] */
	CIOT_SHAPE_EMPIRICAL, /* one of `values`, each as likely */
};

struct ciot_shape_dist {
	enum ciot_shape_dist_kind kind;
	double a, b;
	double min, max;   /* every sample is clamped to [min, max] (set by the user of the dist) */
	double *values;    /* empirical: owned, freed by ciot_shape_dist_free */
	size_t nvalues;
};

/* Parses "constant:V", "uniform:LOW,HIGH", "normal:MEAN,SD" or "empirical:FILE" (one number a
 * line, '#' comments). Values are in the caller's unit (seconds for intervals, bytes for sizes);
 * min and max are left at [-inf, +inf] for the caller to set. */
enum ciot_rc ciot_shape_dist_parse(struct ciot_shape_dist *d, const char *text, char *errbuf);
void ciot_shape_dist_free(struct ciot_shape_dist *d);
/* Writes the text form back ("uniform:50,200"); empirical ones as "empirical:N values". */
void ciot_shape_dist_format(const struct ciot_shape_dist *d, char *out, size_t cap);
double ciot_shape_dist_sample(const struct ciot_shape_dist *d, const struct ciot_shape_env *env);
/* The exact mean of the clamped distribution (a normal's clamped tails included), the analytic
 * expectation that measured overheads are compared with. */
double ciot_shape_dist_mean(const struct ciot_shape_dist *d);

/* ---- the shaper: the schedule and the records ----------------------------------------------------- */

struct ciot_shape_params {
	struct ciot_shape_dist interval; /* seconds between record starts (D) */
	struct ciot_shape_dist size;     /* record bytes, header included (X); clamped to
					  * [CIOT_SHAPE_RECORD_MIN, CIOT_SHAPE_RECORD_MAX] */
	size_t queue_limit;              /* bytes of messages waiting at most; a send past it fails */
};

/* What one slot produced, for simulations and for a link's statistics. */
struct ciot_shape_record {
	int64_t slot_ns;      /* the slot's deadline (not when it was noticed) */
	uint32_t size;        /* record bytes, the sampled size */
	uint32_t payload;     /* message bytes in it; 0 for cover */
	bool cover;
	bool message_end;     /* it carried a message's last byte */
	uint64_t message;     /* the message it ended (numbered from 0 in send order), when message_end */
};

struct ciot_shape_stats {
	uint64_t records, cover_records, record_bytes, payload_bytes;
	uint64_t messages_sent, messages_done;
	uint64_t missed_slots;  /* slots skipped because the caller came late (never sent in a burst) */
	size_t queued_bytes, queue_peak_bytes;
};

struct ciot_shaper;

/* A shaper whose first slot is one interval after `start_ns` (the params are copied; an empirical
 * dist's values too). */
enum ciot_rc ciot_shaper_new(struct ciot_shaper **s, const struct ciot_shape_params *p,
			     const struct ciot_shape_env *env, int64_t start_ns, char *errbuf);
void ciot_shaper_free(struct ciot_shaper *s);

/* Queues a message (copied) for the next slots. CIOT_ERR_NOSPACE when the queue would pass its
 * limit (nothing is queued: the caller decides), CIOT_ERR_ARG after close or for an empty message. */
enum ciot_rc ciot_shaper_send(struct ciot_shaper *s, const uint8_t *msg, size_t len, char *errbuf);

/* The deadline of the next slot on the monotonic clock; INT64_MAX once stopped. */
int64_t ciot_shaper_deadline(const struct ciot_shaper *s);

/* At a slot (now >= deadline): builds its record into out (at least CIOT_SHAPE_RECORD_MAX bytes)
 * and moves the deadline on by a new sampled interval, from the slot's deadline, not from now, so
 * that the schedule does not drift. Slots that passed while the caller was late are skipped and
 * counted, never sent in a burst. Returns false, with nothing built, before the deadline or once
 * stopped. */
bool ciot_shaper_slot(struct ciot_shaper *s, int64_t now_ns, uint8_t *out, struct ciot_shape_record *rec);

/* No more sends; the queue drains at the coming slots, cover goes on between them, and the shaper
 * stops at the first slot that finds the queue empty (a slot like any other, so the end of a
 * session does not show). */
void ciot_shaper_close(struct ciot_shaper *s);
bool ciot_shaper_stopped(const struct ciot_shaper *s);
void ciot_shaper_stats(const struct ciot_shaper *s, struct ciot_shape_stats *out);

/* ---- the unshaper: records back into messages ---------------------------------------------------- */

struct ciot_unshaper;

/* Messages longer than max_message are a protocol error (the sender's queue limit bounds them). */
enum ciot_rc ciot_unshaper_new(struct ciot_unshaper **u, size_t max_message, char *errbuf);
void ciot_unshaper_free(struct ciot_unshaper *u);

/* Takes the next n bytes of the stream (any boundaries). CIOT_ERR_FORMAT on a record that breaks
 * the format (the stream cannot be resynchronised: the link must be dropped). */
enum ciot_rc ciot_unshaper_feed(struct ciot_unshaper *u, const uint8_t *p, size_t n, char *errbuf);

/* The stream ended: CIOT_OK when it ended between records and between messages, CIOT_ERR_FORMAT
 * (saying where) when it was cut inside a record's header, a record or a message. */
enum ciot_rc ciot_unshaper_end(const struct ciot_unshaper *u, char *errbuf);

/* The oldest whole message not yet taken: *msg stays valid until the next call on u. False when
 * none is complete. */
bool ciot_unshaper_next(struct ciot_unshaper *u, const uint8_t **msg, size_t *len);

struct ciot_unshape_stats {
	uint64_t records, cover_records, bytes, messages;
};
void ciot_unshaper_stats(const struct ciot_unshaper *u, struct ciot_unshape_stats *out);

/* ---- the link: both sides over a connected socket ------------------------------------------------
 *
 * A link is a shaper for this side's sends and an unshaper for the peer's records over one stream
 * socket: both directions are shaped when both ends use the library. Each record is written with one
 * send (one SSL_write, so one TLS record, with TLS) at its slot, and a record only partly written is
 * finished before the next slot's record is started; the library never merges or splits records.
 * TCP still may: TCP_NODELAY makes each record leave at once, but on a congested path (a full
 * window, retransmissions) the kernel can carry two records in one segment or one in two, which an
 * observer sees, as it sees any sender's congestion. The records' sizes and slots stay the
 * schedule's.
 *
 * Two locks per link: the queue lock, which ciot_shape_link_send and _recv take and which is never
 * held across a system call, and the I/O lock, which serialises the loop's steps (the record being
 * written, the TLS object). A record is built under the queue lock into the link's buffer and
 * written under the I/O lock alone, so a slow socket never blocks the application's sends.
 */

/* TLS for a link (OpenSSL 3, TLS 1.3 only): with it, cover and data records are indistinguishable on
 * the wire (every record is one TLS record of its size plus a constant overhead: 22 bytes with
 * TLS 1.3's default suites, AES-GCM and ChaCha20-Poly1305). The strings are read while the link is
 * opened, not kept. */
struct ciot_shape_tls {
	bool server;            /* accept the handshake rather than start it */
	const char *cert_file;  /* PEM: the server's certificate chain (server), */
	const char *key_file;   /* its key (server) */
	const char *ca_file;    /* PEM: the CAs a client trusts (client; verification is always on) */
	const char *server_name;/* the name the client checks the certificate against (client) */
};

/* How a link is made. Fields left zero take their defaults, so a caller names only what it sets. */
struct ciot_shape_link_config {
	struct ciot_shape_params send;    /* shapes this side's sends (copied) */
	size_t recv_max_message;          /* the peer's messages are at most this long (its queue_limit) */
	const struct ciot_shape_tls *tls; /* NULL: no TLS (see the wire format) */
	const struct ciot_shape_env *env; /* NULL: ciot_shape_env_system(); must outlive the link */
	size_t read_size;                 /* bytes asked of each read at most (0: 16384); a device short
					   * of memory takes less, tests take odd sizes */
	/* Called after each record's last byte went to the socket (to TLS with TLS), from the thread
	 * that drives the link, with the I/O lock held: it may call _send, _recv and _stats, not the
	 * loop's functions, _close or _free. For logs and tests; NULL: none. */
	void (*on_record)(void *ctx, const struct ciot_shape_record *rec);
	void *on_record_ctx;
};

struct ciot_shape_link;

/* A link over a connected stream socket `fd`; the link owns it from now on, also when this fails
 * (it is closed then). The socket is made non-blocking, and TCP_NODELAY is set on a TCP socket so
 * that a record is not held back to be merged with the next. The first slot is one interval after
 * now. With TLS the handshake runs in the loop, and no record leaves before it is done: the slots
 * that pass meanwhile are skipped (counted in missed_slots). */
enum ciot_rc ciot_shape_link_open(struct ciot_shape_link **l, int fd, const struct ciot_shape_link_config *c,
				  char *errbuf);
/* The same over a new TCP connection to host:port (getaddrinfo; the connect itself blocks). */
enum ciot_rc ciot_shape_link_connect(struct ciot_shape_link **l, const char *host, const char *port,
				     const struct ciot_shape_link_config *c, char *errbuf);

/* Queues a message; CIOT_ERR_NOSPACE when the queue is full (nothing queued: try later), CIOT_ERR_ARG
 * after close, the link's error once it failed. Thread-safe. */
enum ciot_rc ciot_shape_link_send(struct ciot_shape_link *l, const void *msg, size_t len, char *errbuf);
/* Copies the oldest whole message received into buf (cap bytes). *got is false when none is whole
 * yet; CIOT_ERR_ARG when it does not fit (*len says its size; it stays queued). With the helper
 * thread running, waits up to timeout_ms for one (0: does not wait). Messages that arrived whole
 * are handed out before an error: CIOT_ERR_FORMAT when the peer's stream broke the record format or
 * ended inside a record or a message (or, with TLS, without close_notify), CIOT_ERR_IO when the
 * connection failed. */
enum ciot_rc ciot_shape_link_recv(struct ciot_shape_link *l, void *buf, size_t cap, size_t *len, bool *got,
				  int timeout_ms, char *errbuf);
/* The peer shut its sending side down cleanly and every message it sent was taken. */
bool ciot_shape_link_peer_done(const struct ciot_shape_link *l);
/* This side's close finished: the queue drained, the shaper stopped at a slot, and the sending side
 * is shut down (close_notify sent first with TLS). */
bool ciot_shape_link_send_done(const struct ciot_shape_link *l);

/* The event-loop interface, for a device with its own loop: poll the socket for reading while
 * ciot_shape_link_wants_read (not after the peer's end: a socket at its end is always readable) and
 * for writing while ciot_shape_link_wants_write; call on_timer when the absolute deadline (the env's
 * clock, ns; INT64_MAX: none) has passed, on_writable on POLLOUT, on_readable on POLLIN, POLLERR or
 * POLLHUP. Each returns the link's error once it failed (then drop the link: nothing more will move),
 * CIOT_OK otherwise. The loop is finished with the link when send_done and peer_done are both true
 * (or it failed). */
int ciot_shape_link_fd(const struct ciot_shape_link *l);
int64_t ciot_shape_link_deadline(const struct ciot_shape_link *l);
bool ciot_shape_link_wants_read(const struct ciot_shape_link *l);
bool ciot_shape_link_wants_write(const struct ciot_shape_link *l);
enum ciot_rc ciot_shape_link_on_timer(struct ciot_shape_link *l, int64_t now_ns, char *errbuf);
enum ciot_rc ciot_shape_link_on_writable(struct ciot_shape_link *l, char *errbuf);
enum ciot_rc ciot_shape_link_on_readable(struct ciot_shape_link *l, char *errbuf);

/* A helper thread that runs the loop above (ppoll with the deadline), for a device without one; recv
 * and close then wait on it. It sleeps for deadline - now of the env's clock, so it needs the
 * system env or one whose clock runs at the real pace. It ends when both sides are done or the link
 * failed; ciot_shape_link_free joins it. */
enum ciot_rc ciot_shape_link_start_thread(struct ciot_shape_link *l, char *errbuf);

/* Stops sends, drains the queue with cover going on, stops at a slot (ciot_shaper_close), then
 * shuts the sending side down (SSL_shutdown, then shutdown(SHUT_WR)). With the helper thread, waits
 * until then, at most timeout_ms (0: no limit): CIOT_ERR_IO when the time passed first (the link
 * goes on draining; close again to wait more), the link's error when it failed first (what was still
 * queued is not delivered). Without the thread it returns at once and the loop carries the close
 * out (ciot_shape_link_send_done). Messages from the peer can still be received after it. */
enum ciot_rc ciot_shape_link_close(struct ciot_shape_link *l, int timeout_ms, char *errbuf);
/* Stops the helper thread and frees the link, closing its socket: the last call on the link, with no
 * other running. Messages still queued are dropped: close first. */
void ciot_shape_link_free(struct ciot_shape_link *l);
void ciot_shape_link_stats(const struct ciot_shape_link *l, struct ciot_shape_stats *sent,
			   struct ciot_unshape_stats *received);

#endif
