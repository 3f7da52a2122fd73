/* test-link.c: the link (shaping/lib/link.c) over real sockets.
 *
 * In virtual time, read raw from the other end: nothing leaves before its slot, each slot is one
 * record of exactly its size, a late caller loses the slots that passed, close stops at a slot and
 * then shuts the socket down. Ends of the peer's stream, clean and cut (in a header, in a record, in
 * a message, without close_notify), format errors, a message too long for the caller's buffer, a
 * peer gone while this side sends, and sockets a link refuses. Then round trips with tens of
 * thousands of messages of 1 byte to 6 KB: several links at once over socketpairs and TCP on
 * 127.0.0.1, each end with its helper thread and an application thread sending (retrying on
 * CIOT_ERR_NOSPACE) and one receiving, each link reading in its own odd chunk size; one link driven
 * by a hand-written ppoll loop through the event-loop interface; and links inside TLS, with a
 * certificate for the wrong name and one from another CA refused. Every message must arrive intact
 * and in order, cover dropped, and close must drain the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "link-test.h"

static char err[CIOT_ERRBUF_SIZE];
static struct lt_pki pki;

/* Everything the other end can read now (non-blocking); -1 when it reads the end of the stream. */
static ssize_t raw_read(int fd, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t k = recv(fd, buf + n, cap - n, MSG_DONTWAIT);
		if (k == 0)
			return n ? (ssize_t)n : -1;
		if (k < 0)
			break;
		n += (size_t)k;
	}
	return (ssize_t)n;
}

static unsigned record_size(const uint8_t *r)
{
	return (unsigned)(r[2] << 8 | r[3]);
}

/* A record by hand: flags, its size, payload bytes 'a', 'b', ...; the rest zeros. */
static size_t put_record(uint8_t *p, uint8_t flags, unsigned size, unsigned payload)
{
	memset(p, 0, size);
	p[0] = CIOT_SHAPE_VERSION;
	p[1] = flags;
	p[2] = (uint8_t)(size >> 8);
	p[3] = (uint8_t)size;
	p[4] = (uint8_t)(payload >> 8);
	p[5] = (uint8_t)payload;
	for (unsigned k = 0; k < payload; k++)
		p[CIOT_SHAPE_HEADER + k] = (uint8_t)('a' + k % 26);
	return size;
}

/* ---- the schedule, seen from the other end of the socket --------------------------------------- */

static void test_virtual_schedule(void)
{
	struct ciot_shape_virtual *v;
	CHECK_EQ_INT(ciot_shape_virtual_new(&v, 7, err), CIOT_OK);
	ciot_shape_virtual_set(v, 1000000000);
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct ciot_shape_link_config c;
	lt_config(&c, "constant:0.01", "uniform:50,200", 4096, 4096, 0);
	c.env = ciot_shape_virtual_env(v);
	struct ciot_shape_link *l;
	CHECK_EQ_INT(ciot_shape_link_open(&l, sv[0], &c, err), CIOT_OK);
	lt_config_free(&c);
	static uint8_t buf[1 << 16];
	CHECK_EQ_INT(ciot_shape_link_deadline(l), 1010000000);
	CHECK(ciot_shape_link_wants_read(l));
	CHECK(!ciot_shape_link_wants_write(l));
	CHECK_EQ_INT(ciot_shape_link_fd(l), sv[0]);
	CHECK_EQ_INT(ciot_shape_link_on_timer(l, 1009999999, err), CIOT_OK);
	CHECK_EQ_INT(raw_read(sv[1], buf, sizeof buf), 0); /* nothing before its slot */
	CHECK_EQ_INT(ciot_shape_link_on_timer(l, 1010000000, err), CIOT_OK);
	ssize_t n = raw_read(sv[1], buf, sizeof buf);
	CHECK(n >= 50 && n <= 200);
	CHECK_EQ_INT(record_size(buf), n);
	CHECK_EQ_INT(buf[1], 0); /* cover */
	CHECK_EQ_INT(ciot_shape_link_deadline(l), 1020000000);

	/* a message of 500 bytes leaves in data records, one whole record a slot */
	uint8_t msg[500];
	lt_message(1, 0, msg, sizeof msg);
	CHECK_EQ_INT(ciot_shape_link_send(l, msg, sizeof msg, err), CIOT_OK);
	struct ciot_unshaper *u;
	CHECK_EQ_INT(ciot_unshaper_new(&u, 4096, err), CIOT_OK);
	const uint8_t *m = NULL;
	size_t mlen = 0;
	int slots = 0;
	for (int64_t t = 1020000000; slots < 20 && !ciot_unshaper_next(u, &m, &mlen); t += 10000000, slots++) {
		CHECK_EQ_INT(ciot_shape_link_on_timer(l, t, err), CIOT_OK);
		n = raw_read(sv[1], buf, sizeof buf);
		CHECK(n > 0 && record_size(buf) == (unsigned)n);
		CHECK_EQ_INT(buf[1] & CIOT_SHAPE_FLAG_DATA, CIOT_SHAPE_FLAG_DATA);
		CHECK_EQ_INT(ciot_unshaper_feed(u, buf, n > 0 ? (size_t)n : 0, err), CIOT_OK);
	}
	CHECK(slots >= 3); /* 500 bytes need three records of at most 200 */
	CHECK(m && mlen == sizeof msg && memcmp(m, msg, sizeof msg) == 0);
	ciot_unshaper_free(u);

	/* 35 ms late: one record, the three slots that passed skipped */
	int64_t due = ciot_shape_link_deadline(l);
	struct ciot_shape_stats st;
	struct ciot_unshape_stats ust;
	CHECK_EQ_INT(ciot_shape_link_on_timer(l, due + 35000000, err), CIOT_OK);
	n = raw_read(sv[1], buf, sizeof buf);
	CHECK(n > 0 && record_size(buf) == (unsigned)n);
	ciot_shape_link_stats(l, &st, &ust);
	CHECK_EQ_INT(st.missed_slots, 3);
	CHECK_EQ_INT(ciot_shape_link_deadline(l), due + 40000000);

	/* close: later sends refused; the next slot finds the queue empty, stops, shuts down */
	CHECK_EQ_INT(ciot_shape_link_close(l, 0, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shape_link_send(l, msg, 1, err), CIOT_ERR_ARG);
	CHECK(!ciot_shape_link_send_done(l));
	CHECK_EQ_INT(ciot_shape_link_on_timer(l, due + 40000000, err), CIOT_OK);
	CHECK(ciot_shape_link_send_done(l));
	CHECK_EQ_INT(raw_read(sv[1], buf, sizeof buf), -1);
	CHECK_EQ_INT(ciot_shape_link_deadline(l), INT64_MAX);
	CHECK(!ciot_shape_link_peer_done(l));
	ciot_shape_link_free(l);
	close(sv[1]);
	ciot_shape_virtual_free(v);
}

/* ---- the end of the peer's stream, clean or not ------------------------------------------------ */

/* A link on one end of a socketpair, the test on the other, nothing driven but on_readable. */
static struct ciot_shape_link *raw_pair(int *raw, const struct ciot_shape_env *env)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return NULL;
	struct ciot_shape_link_config c;
	lt_config(&c, "constant:0.01", "constant:100", 4096, 4096, 0);
	c.env = env;
	struct ciot_shape_link *l;
	enum ciot_rc rc = ciot_shape_link_open(&l, sv[0], &c, err);
	lt_config_free(&c);
	*raw = sv[1];
	return rc ? NULL : l;
}

static void test_peer_end(void)
{
	static const struct {
		const char *name;
		unsigned whole, cover, cut_header, cut_record, cut_message, bad_version;
		enum ciot_rc want;
		const char *why;
	} cases[] = {
		{ "a message, cover, the end", 1, 1, 0, 0, 0, 0, CIOT_OK, NULL },
		{ "the end inside a header", 1, 0, 3, 0, 0, 0, CIOT_ERR_FORMAT, "record header" },
		{ "the end inside a record", 1, 0, 0, 40, 0, 0, CIOT_ERR_FORMAT, "inside a record" },
		{ "the end inside a message", 1, 1, 0, 0, 1, 0, CIOT_ERR_FORMAT, "inside a message" },
		{ "a record of another version", 1, 0, 0, 0, 0, 1, CIOT_ERR_FORMAT, "version" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		int raw;
		struct ciot_shape_link *l = raw_pair(&raw, NULL);
		CHECK(l != NULL);
		if (!l)
			continue;
		uint8_t bytes[1024];
		size_t n = 0;
		if (cases[i].whole)
			n += put_record(bytes + n, CIOT_SHAPE_FLAG_DATA | CIOT_SHAPE_FLAG_END, 40, 26);
		if (cases[i].cover)
			n += put_record(bytes + n, 0, 60, 0);
		if (cases[i].cut_message)
			n += put_record(bytes + n, CIOT_SHAPE_FLAG_DATA, 30, 24);
		if (cases[i].cut_header || cases[i].cut_record) {
			uint8_t r[200];
			put_record(r, 0, 200, 0);
			size_t k = cases[i].cut_header ? cases[i].cut_header : CIOT_SHAPE_HEADER + cases[i].cut_record;
			memcpy(bytes + n, r, k);
			n += k;
		}
		if (cases[i].bad_version) {
			n += put_record(bytes + n, 0, 20, 0);
			bytes[n - 20] = 9;
		}
		CHECK_EQ_INT(write(raw, bytes, n), (ssize_t)n);
		shutdown(raw, SHUT_WR);
		CHECK_EQ_INT(ciot_shape_link_on_readable(l, err), cases[i].want);
		if (cases[i].why)
			CHECK_CONTAINS(err, cases[i].why);
		CHECK(!ciot_shape_link_wants_read(l));
		/* the whole message first, then the error */
		char got_buf[64];
		size_t len;
		bool got;
		CHECK_EQ_INT(ciot_shape_link_recv(l, got_buf, sizeof got_buf, &len, &got, 0, err), CIOT_OK);
		CHECK(got && len == 26 && memcmp(got_buf, "abcdefghijklmnopqrstuvwxyz", 26) == 0);
		CHECK_EQ_INT(ciot_shape_link_recv(l, got_buf, sizeof got_buf, &len, &got, 0, err), cases[i].want);
		CHECK(!got);
		CHECK_EQ_INT(ciot_shape_link_peer_done(l), cases[i].want == CIOT_OK);
		if (cases[i].want) {
			/* the link's error is final: sends and the loop's steps see it too */
			CHECK_EQ_INT(ciot_shape_link_send(l, "x", 1, err), cases[i].want);
			CHECK_EQ_INT(ciot_shape_link_on_timer(l, INT64_MAX - 1, err), cases[i].want);
			CHECK_EQ_INT(ciot_shape_link_close(l, 0, err), cases[i].want);
			CHECK_EQ_INT(ciot_shape_link_deadline(l), INT64_MAX);
		}
		ciot_shape_link_free(l);
		close(raw);
		check_case(before, cases[i].name);
	}
}

/* A message longer than the caller's buffer stays for the next recv; a peer that goes away while
 * this side still sends is an error, not a lost record. */
static void test_recv_and_hangup(void)
{
	struct ciot_shape_virtual *v;
	ciot_shape_virtual_new(&v, 3, err);
	ciot_shape_virtual_set(v, 0);
	int raw;
	struct ciot_shape_link *l = raw_pair(&raw, ciot_shape_virtual_env(v));
	CHECK(l != NULL);
	if (!l)
		return;
	uint8_t bytes[64];
	size_t n = put_record(bytes, CIOT_SHAPE_FLAG_DATA | CIOT_SHAPE_FLAG_END, 40, 26);
	CHECK_EQ_INT(write(raw, bytes, n), (ssize_t)n);
	CHECK_EQ_INT(ciot_shape_link_on_readable(l, err), CIOT_OK);
	char small[10], big[64];
	size_t len;
	bool got;
	CHECK_EQ_INT(ciot_shape_link_recv(l, small, sizeof small, &len, &got, 0, err), CIOT_ERR_ARG);
	CHECK(!got);
	CHECK_EQ_INT(len, 26);
	CHECK_EQ_INT(ciot_shape_link_recv(l, big, sizeof big, &len, &got, 0, err), CIOT_OK);
	CHECK(got && len == 26 && big[25] == 'z');
	CHECK_EQ_INT(ciot_shape_link_recv(l, big, sizeof big, &len, &got, 0, err), CIOT_OK);
	CHECK(!got);

	/* the peer closes its socket; this side's next record finds nobody */
	close(raw);
	CHECK_EQ_INT(ciot_shape_link_send(l, "queued", 6, err), CIOT_OK);
	enum ciot_rc rc = ciot_shape_link_on_readable(l, err);
	if (!rc) {
		ciot_shape_virtual_set(v, ciot_shape_link_deadline(l));
		rc = ciot_shape_link_on_timer(l, ciot_shape_link_deadline(l), err);
	}
	CHECK_EQ_INT(rc, CIOT_ERR_IO);
	CHECK_EQ_INT(ciot_shape_link_send(l, "x", 1, err), CIOT_ERR_IO);
	CHECK_EQ_INT(ciot_shape_link_close(l, 0, err), CIOT_ERR_IO);
	CHECK_EQ_INT(ciot_shape_link_recv(l, big, sizeof big, &len, &got, 0, err), CIOT_ERR_IO);
	ciot_shape_link_free(l);
	ciot_shape_virtual_free(v);
}

static void test_open_refused(void)
{
	struct ciot_shape_link_config c;
	lt_config(&c, "constant:0.01", "constant:100", 4096, 4096, 0);
	struct ciot_shape_link *l = (struct ciot_shape_link *)&c;
	CHECK_EQ_INT(ciot_shape_link_open(&l, -1, &c, err), CIOT_ERR_ARG);
	CHECK(l == NULL);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_EQ_INT(ciot_shape_link_open(&l, fd, &c, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "not a socket");
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* owned, so closed */
	char port[8];
	int s = lt_listen(port);
	CHECK_EQ_INT(ciot_shape_link_open(&l, s, &c, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "not connected");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(ciot_shape_link_open(&l, fd, &c, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "not a stream socket");
	/* a port nobody listens on: the one just closed */
	CHECK_EQ_INT(ciot_shape_link_connect(&l, "127.0.0.1", port, &c, err), CIOT_ERR_IO);
	CHECK_CONTAINS(err, "refused");
	CHECK_EQ_INT(ciot_shape_link_connect(&l, "no-such-host.invalid", port, &c, err), CIOT_ERR_IO);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	c.recv_max_message = 0;
	CHECK_EQ_INT(ciot_shape_link_open(&l, sv[0], &c, err), CIOT_ERR_ARG);
	c.recv_max_message = 4096;
	struct ciot_shape_tls tls = { .server = false };
	c.tls = &tls;
	CHECK_EQ_INT(ciot_shape_link_open(&l, sv[1], &c, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "ca_file");
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	tls = (struct ciot_shape_tls){ .server = true, .cert_file = "/nonexistent.pem", .key_file = pki.key };
	CHECK_EQ_INT(ciot_shape_link_open(&l, sv[0], &c, err), CIOT_ERR_IO);
	CHECK_CONTAINS(err, "/nonexistent.pem");
	tls = (struct ciot_shape_tls){ .ca_file = pki.ca, .server_name = "device.test" };
	CHECK_EQ_INT(ciot_shape_link_open(&l, sv[1], &c, err), CIOT_OK);
	CHECK(ciot_shape_link_wants_write(l)); /* the ClientHello, from the loop */
	CHECK_EQ_INT(ciot_shape_link_deadline(l), INT64_MAX); /* no slot before the handshake */
	CHECK_EQ_INT(ciot_shape_link_start_thread(l, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shape_link_start_thread(l, err), CIOT_ERR_ARG);
	ciot_shape_link_free(l); /* with its thread, mid-handshake */
	lt_config_free(&c);
}

/* ---- round trips ------------------------------------------------------------------------------- */

enum transport { SOCKETPAIR, TCP };

struct pair_spec {
	const char *name;
	enum transport transport;
	bool tls;
	const char *interval, *size;
	size_t read_a, read_b; /* each end's read size */
	int messages;          /* each way */
};

struct end {
	struct ciot_shape_link *l;
	uint64_t out_stream, in_stream;
	int messages;
	int sent, received, bad;
	long nospace;
	uint64_t bytes;
	enum ciot_rc send_rc, recv_rc, close_rc;
	char send_err[CIOT_ERRBUF_SIZE], recv_err[CIOT_ERRBUF_SIZE], close_err[CIOT_ERRBUF_SIZE];
};

#define QUEUE_LIMIT 16384

static bool make_pair(const struct pair_spec *p, struct end *a, struct end *b)
{
	struct ciot_shape_link_config ca, cb;
	if (!lt_config(&ca, p->interval, p->size, QUEUE_LIMIT, QUEUE_LIMIT, p->read_a) ||
	    !lt_config(&cb, p->interval, p->size, QUEUE_LIMIT, QUEUE_LIMIT, p->read_b))
		return false;
	struct ciot_shape_tls client = { .ca_file = pki.ca, .server_name = "device.test" };
	struct ciot_shape_tls server = { .server = true, .cert_file = pki.cert, .key_file = pki.key };
	if (p->tls) {
		ca.tls = &client;
		cb.tls = &server;
	}
	enum ciot_rc rc = CIOT_ERR_IO;
	if (p->transport == SOCKETPAIR) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
			rc = ciot_shape_link_open(&a->l, sv[0], &ca, err);
			if (!rc)
				rc = ciot_shape_link_open(&b->l, sv[1], &cb, err);
			else
				close(sv[1]);
		}
	} else {
		char port[8];
		int s = lt_listen(port);
		if (s >= 0) {
			rc = ciot_shape_link_connect(&a->l, "127.0.0.1", port, &ca, err);
			int fd = rc ? -1 : accept4(s, NULL, NULL, SOCK_CLOEXEC);
			if (!rc)
				rc = ciot_shape_link_open(&b->l, fd, &cb, err);
			close(s);
		}
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", p->name, err);
	lt_config_free(&ca);
	lt_config_free(&cb);
	return rc == CIOT_OK;
}

static void *sender(void *arg)
{
	struct end *e = arg;
	uint8_t *buf = malloc(LT_MESSAGE_MAX);
	for (int i = 0; i < e->messages;) {
		size_t len = lt_message_len(e->out_stream, (uint64_t)i);
		lt_message(e->out_stream, (uint64_t)i, buf, len);
		enum ciot_rc rc = ciot_shape_link_send(e->l, buf, len, e->send_err);
		if (rc == CIOT_ERR_NOSPACE) {
			e->nospace++; /* nothing was queued: the same message again, a little later */
			usleep(200);
			continue;
		}
		if (rc) {
			e->send_rc = rc;
			break;
		}
		e->bytes += len;
		e->sent = ++i;
		int64_t pause = lt_pause_after(e->out_stream, (uint64_t)i);
		if (pause)
			usleep((useconds_t)(pause / 1000));
	}
	e->close_rc = ciot_shape_link_close(e->l, 60000, e->close_err);
	free(buf);
	return NULL;
}

static void *receiver(void *arg)
{
	struct end *e = arg;
	uint8_t *buf = malloc(LT_MESSAGE_MAX);
	int64_t give_up = lt_now_ns() + 90 * 1000000000LL;
	while (!ciot_shape_link_peer_done(e->l) && lt_now_ns() < give_up) {
		size_t len;
		bool got;
		enum ciot_rc rc = ciot_shape_link_recv(e->l, buf, LT_MESSAGE_MAX, &len, &got, 200, e->recv_err);
		if (rc) {
			e->recv_rc = rc;
			break;
		}
		if (got) {
			e->bad += !lt_message_ok(e->in_stream, (uint64_t)e->received, buf, len);
			e->received++;
		}
	}
	free(buf);
	return NULL;
}

struct totals {
	long messages, nospace, records, cover;
	uint64_t bytes;
};

/* What one end did, and what the other end got of it. */
static void check_end(const char *name, const char *side, struct end *e, struct end *peer, struct totals *t)
{
	unsigned before = check_failures;
	CHECK_EQ_INT(e->send_rc, CIOT_OK);
	CHECK_EQ_INT(e->close_rc, CIOT_OK);
	CHECK_EQ_INT(e->recv_rc, CIOT_OK);
	CHECK_EQ_INT(e->sent, e->messages);
	CHECK_EQ_INT(peer->received, e->messages);
	CHECK_EQ_INT(peer->bad, 0);
	CHECK(ciot_shape_link_send_done(e->l));
	CHECK(ciot_shape_link_peer_done(peer->l));
	struct ciot_shape_stats s, ps;
	struct ciot_unshape_stats u, pu;
	ciot_shape_link_stats(e->l, &s, &u);
	ciot_shape_link_stats(peer->l, &ps, &pu);
	CHECK_EQ_INT(s.messages_done, e->messages);
	CHECK_EQ_INT(s.queued_bytes, 0);
	CHECK_EQ_INT(pu.records, s.records);
	CHECK_EQ_INT(pu.cover_records, s.cover_records);
	CHECK(s.cover_records > 0);
	CHECK_EQ_INT(pu.bytes, s.record_bytes);
	CHECK_EQ_INT(pu.messages, e->messages);
	if (check_failures != before)
		fprintf(stderr, "  ^ %s, %s: send %s / close %s / recv %s\n", name, side, e->send_rc ? e->send_err : "ok",
			e->close_rc ? e->close_err : "ok", e->recv_rc ? e->recv_err : "ok");
	t->messages += e->messages;
	t->bytes += e->bytes;
	t->nospace += e->nospace;
	t->records += (long)s.records;
	t->cover += (long)s.cover_records;
}

/* Every pair at once, each end with its helper thread, a sender and a receiver. */
static void run_pairs(const char *what, const struct pair_spec *specs, size_t n)
{
	int64_t start = lt_now_ns();
	struct end *ends = calloc(2 * n, sizeof *ends);
	pthread_t *threads = calloc(4 * n, sizeof *threads);
	bool *made = calloc(n, sizeof *made);
	for (size_t i = 0; i < n; i++) {
		struct end *a = &ends[2 * i], *b = &ends[2 * i + 1];
		a->out_stream = b->in_stream = 100 * i + 1;
		b->out_stream = a->in_stream = 100 * i + 2;
		a->messages = b->messages = specs[i].messages;
		made[i] = make_pair(&specs[i], a, b);
		CHECK(made[i]);
		if (!made[i])
			continue;
		CHECK_EQ_INT(ciot_shape_link_start_thread(a->l, err), CIOT_OK);
		CHECK_EQ_INT(ciot_shape_link_start_thread(b->l, err), CIOT_OK);
	}
	for (size_t i = 0; i < 2 * n; i++) {
		if (!made[i / 2])
			continue;
		pthread_create(&threads[2 * i], NULL, sender, &ends[i]);
		pthread_create(&threads[2 * i + 1], NULL, receiver, &ends[i]);
	}
	for (size_t i = 0; i < 2 * n; i++)
		if (made[i / 2]) {
			pthread_join(threads[2 * i], NULL);
			pthread_join(threads[2 * i + 1], NULL);
		}
	struct totals t = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (!made[i])
			continue;
		check_end(specs[i].name, "a to b", &ends[2 * i], &ends[2 * i + 1], &t);
		check_end(specs[i].name, "b to a", &ends[2 * i + 1], &ends[2 * i], &t);
		ciot_shape_link_free(ends[2 * i].l);
		ciot_shape_link_free(ends[2 * i + 1].l);
	}
	printf("%s: %zu links, %ld messages (%" PRIu64 " bytes) both ways in %ld records (%ld cover), "
	       "%ld sends refused as the queue was full and retried, %.1f s\n",
	       what, n, t.messages, t.bytes, t.records, t.cover, t.nospace, (double)(lt_now_ns() - start) / 1e9);
	CHECK(t.nospace > 0); /* the test did meet a full queue */
	free(ends);
	free(threads);
	free(made);
}

static void test_threads(void)
{
	static const struct pair_spec specs[] = {
		{ "socketpair, 3-byte reads", SOCKETPAIR, false, "uniform:0.0002,0.001", "uniform:200,600", 3, 7, 1500 },
		{ "socketpair", SOCKETPAIR, false, "uniform:0.0002,0.001", "uniform:64,1600", 61, 0, 3000 },
		{ "TCP", TCP, false, "uniform:0.0002,0.001", "uniform:64,1600", 1000, 97, 3000 },
		{ "TCP, large records", TCP, false, "uniform:0.0005,0.002", "normal:4000,3000", 0, 1499, 3000 },
	};
	run_pairs("threads", specs, sizeof specs / sizeof specs[0]);
}

static void test_tls(void)
{
	static const struct pair_spec specs[] = {
		{ "TLS over TCP", TCP, true, "uniform:0.0002,0.001", "uniform:64,1600", 13, 0, 2000 },
		{ "TLS over a socketpair", SOCKETPAIR, true, "uniform:0.0002,0.001", "uniform:64,16384", 0, 777, 2000 },
	};
	run_pairs("TLS", specs, sizeof specs / sizeof specs[0]);
}

/* A client that must refuse the server, and what each end sees. */
static void tls_refused(const char *ca_file, const char *name, const char *why)
{
	struct ciot_shape_link_config ca, cb;
	lt_config(&ca, "constant:0.001", "constant:100", 4096, 4096, 0);
	lt_config(&cb, "constant:0.001", "constant:100", 4096, 4096, 0);
	struct ciot_shape_tls client = { .ca_file = ca_file, .server_name = name };
	struct ciot_shape_tls server = { .server = true, .cert_file = pki.cert, .key_file = pki.key };
	ca.tls = &client;
	cb.tls = &server;
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	struct ciot_shape_link *a = NULL, *b = NULL;
	CHECK_EQ_INT(ciot_shape_link_open(&a, sv[0], &ca, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shape_link_open(&b, sv[1], &cb, err), CIOT_OK);
	lt_config_free(&ca);
	lt_config_free(&cb);
	if (!a || !b)
		return;
	CHECK_EQ_INT(ciot_shape_link_send(a, "secret", 6, err), CIOT_OK);
	ciot_shape_link_start_thread(a, err);
	ciot_shape_link_start_thread(b, err);
	CHECK_EQ_INT(ciot_shape_link_close(a, 10000, err), CIOT_ERR_IO);
	CHECK_CONTAINS(err, why);
	char buf[16];
	size_t len;
	bool got = false;
	enum ciot_rc rc = CIOT_OK;
	for (int i = 0; i < 50 && !rc; i++)
		rc = ciot_shape_link_recv(b, buf, sizeof buf, &len, &got, 200, err);
	CHECK_EQ_INT(rc, CIOT_ERR_IO); /* the server saw the client's alert */
	CHECK(!got);
	ciot_shape_link_free(a);
	ciot_shape_link_free(b);
}

/* The stream cut by someone on the path (a FIN, no close_notify): an error, not a clean end. */
static void tls_cut(void)
{
	struct pair_spec p = { "cut", SOCKETPAIR, true, "constant:0.001", "constant:200", 0, 0, 0 };
	struct end a = { 0 }, b = { 0 };
	if (!make_pair(&p, &a, &b)) {
		CHECK(false);
		return;
	}
	ciot_shape_link_start_thread(a.l, err);
	ciot_shape_link_start_thread(b.l, err);
	CHECK_EQ_INT(ciot_shape_link_send(a.l, "before the cut", 14, err), CIOT_OK);
	char buf[32];
	size_t len;
	bool got = false;
	for (int i = 0; i < 50 && !got; i++)
		CHECK_EQ_INT(ciot_shape_link_recv(b.l, buf, sizeof buf, &len, &got, 200, err), CIOT_OK);
	CHECK(got && len == 14);
	shutdown(ciot_shape_link_fd(a.l), SHUT_WR);
	enum ciot_rc rc = CIOT_OK;
	for (int i = 0; i < 50 && !rc; i++)
		rc = ciot_shape_link_recv(b.l, buf, sizeof buf, &len, &got, 200, err);
	CHECK_EQ_INT(rc, CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "close_notify");
	CHECK(!ciot_shape_link_peer_done(b.l));
	ciot_shape_link_free(a.l);
	ciot_shape_link_free(b.l);
}

/* ---- one link driven by a hand-written loop ---------------------------------------------------- */

struct loop_end {
	struct ciot_shape_link *l;
	uint64_t out_stream, in_stream;
	int next, received, bad;
	long nospace;
	bool closed;
	int64_t idle_until;
};

static void test_poll_loop(void)
{
	enum { MESSAGES = 2500 };
	int64_t start = lt_now_ns();
	struct pair_spec p = { "loop", TCP, false, "uniform:0.0002,0.001", "uniform:64,1600", 5, 333, 0 };
	struct end a = { 0 }, b = { 0 };
	if (!make_pair(&p, &a, &b)) {
		CHECK(false);
		return;
	}
	struct loop_end e[2] = { { .l = a.l, .out_stream = 901, .in_stream = 902 },
				 { .l = b.l, .out_stream = 902, .in_stream = 901 } };
	static uint8_t buf[LT_MESSAGE_MAX];
	enum ciot_rc rc = CIOT_OK;
	int64_t give_up = start + 60 * 1000000000LL;
	while (!rc && lt_now_ns() < give_up) {
		bool done = true;
		for (int k = 0; k < 2; k++)
			done = done && ciot_shape_link_send_done(e[k].l) && ciot_shape_link_peer_done(e[k].l);
		if (done)
			break;
		/* the application: queue what fits, take what came */
		for (int k = 0; k < 2 && !rc; k++) {
			while (e[k].next < MESSAGES && lt_now_ns() >= e[k].idle_until) {
				size_t len = lt_message_len(e[k].out_stream, (uint64_t)e[k].next);
				lt_message(e[k].out_stream, (uint64_t)e[k].next, buf, len);
				rc = ciot_shape_link_send(e[k].l, buf, len, err);
				if (rc == CIOT_ERR_NOSPACE) {
					e[k].nospace++;
					rc = CIOT_OK;
					break;
				}
				if (rc)
					break;
				e[k].next++;
				int64_t pause = lt_pause_after(e[k].out_stream, (uint64_t)e[k].next);
				if (pause)
					e[k].idle_until = lt_now_ns() + pause;
			}
			if (!rc && e[k].next == MESSAGES && !e[k].closed) {
				rc = ciot_shape_link_close(e[k].l, 0, err); /* returns at once: the loop carries it out */
				e[k].closed = true;
			}
			for (bool got = true; got && !rc;) {
				size_t len;
				rc = ciot_shape_link_recv(e[k].l, buf, sizeof buf, &len, &got, 0, err);
				if (got) {
					e[k].bad += !lt_message_ok(e[k].in_stream, (uint64_t)e[k].received, buf, len);
					e[k].received++;
				}
			}
		}
		if (rc)
			break;
		/* the loop: poll both sockets until the nearest deadline */
		struct pollfd pfd[2];
		int64_t deadline = INT64_MAX;
		for (int k = 0; k < 2; k++) {
			if (e[k].next < MESSAGES && e[k].idle_until > lt_now_ns() && e[k].idle_until < deadline)
				deadline = e[k].idle_until;
			pfd[k].fd = ciot_shape_link_fd(e[k].l);
			pfd[k].events = (short)((ciot_shape_link_wants_read(e[k].l) ? POLLIN : 0) |
						(ciot_shape_link_wants_write(e[k].l) ? POLLOUT : 0));
			int64_t d = ciot_shape_link_deadline(e[k].l);
			deadline = d < deadline ? d : deadline;
		}
		int64_t wait = deadline == INT64_MAX ? 100000000 : deadline - lt_now_ns();
		if (wait < 0)
			wait = 0;
		if (wait > 100000000)
			wait = 100000000; /* the application's own work comes round at least this often */
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)wait };
		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR) {
			CHECK(false);
			break;
		}
		int64_t now = lt_now_ns();
		for (int k = 0; k < 2 && !rc; k++) {
			if (now >= ciot_shape_link_deadline(e[k].l))
				rc = ciot_shape_link_on_timer(e[k].l, now, err);
			if (!rc && (pfd[k].revents & POLLOUT))
				rc = ciot_shape_link_on_writable(e[k].l, err);
			if (!rc && (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)))
				rc = ciot_shape_link_on_readable(e[k].l, err);
		}
	}
	CHECK_EQ_INT(rc, CIOT_OK);
	if (rc)
		fprintf(stderr, "the loop: %s\n", err);
	long messages = 0, records = 0, cover = 0, nospace = 0;
	for (int k = 0; k < 2; k++) {
		CHECK_EQ_INT(e[k].received, MESSAGES);
		CHECK_EQ_INT(e[k].bad, 0);
		CHECK(ciot_shape_link_send_done(e[k].l));
		CHECK(ciot_shape_link_peer_done(e[k].l));
		CHECK(!ciot_shape_link_wants_read(e[k].l));
		CHECK(!ciot_shape_link_wants_write(e[k].l));
		CHECK_EQ_INT(ciot_shape_link_deadline(e[k].l), INT64_MAX);
		struct ciot_shape_stats s;
		struct ciot_unshape_stats u;
		ciot_shape_link_stats(e[k].l, &s, &u);
		messages += e[k].received;
		records += (long)s.records;
		cover += (long)s.cover_records;
		nospace += e[k].nospace;
	}
	printf("poll loop: 1 link, %ld messages both ways in %ld records (%ld cover), %ld sends refused as the "
	       "queue was full, %.1f s\n",
	       messages, records, cover, nospace, (double)(lt_now_ns() - start) / 1e9);
	CHECK(cover > 0);
	CHECK(nospace > 0);
	ciot_shape_link_free(a.l);
	ciot_shape_link_free(b.l);
}

int main(void)
{
	if (!lt_pki_make(&pki))
		return 1;
	test_virtual_schedule();
	test_peer_end();
	test_recv_and_hangup();
	test_open_refused();
	test_poll_loop();
	test_threads();
	test_tls();
	tls_refused(pki.ca, "other.test", "certificate");
	tls_refused(pki.other_ca, "device.test", "certificate");
	tls_cut();
	lt_pki_remove(&pki);
	return check_summary("shape-link");
}
