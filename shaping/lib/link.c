/* link.c: the link of ciot/shape.h: a shaper for this side's sends and an unshaper for the peer's
 * records over one connected stream socket, optionally inside TLS 1.3, driven by the caller's event
 * loop or by a helper thread.
 *
 * Datta et al.'s Sender slept in a thread and wrote each record with a blocking sendall under its
 * queue lock, so a slow peer stalled the application's send() and the schedule drifted by every
 * write; its state was class-wide (one Sender per process), and close() dropped what was queued.
 * Here the socket is non-blocking. At a slot the record is built under the queue lock into the
 * link's one-record buffer, and written after that lock is released, under the I/O lock only. A
 * record the socket did not take whole is finished when the socket is writable again, before the
 * next slot is served: the shaper skips and counts the slots that pass meanwhile rather than sending
 * them in a burst, so a congested link shows fewer records, never records that follow the load.
 *
 * With TLS each record is one SSL_write (partial writes are off, and a record is at most one TLS
 * record's plaintext), so each is one TLS record of the sampled size plus the AEAD's constant
 * overhead: cover and data look alike. TLS 1.3 only: its record type is encrypted, and with session
 * tickets and the middlebox-compatibility ChangeCipherSpec turned off the handshake is the only part
 * of the stream outside the schedule. The socket is reached through a BIO of our own that sends
 * with MSG_NOSIGNAL, so that a peer gone away is an error code, not a SIGPIPE the library would
 * have to set a process-wide disposition for.
 *
 * Reads go to the unshaper, which takes any boundaries and knows where the peer's stream stands
 * (inside a record, inside a message): EOF in the middle of either is an error, not silence.
 *
 * Locks: `lock` (the queue lock) guards the shaper, the unshaper and the link's state flags, and is
 * never held across a system call. `io` serialises the loop's steps: the socket, the TLS object and
 * the record being written. Where both are taken, io comes first. The state flags are written with
 * both held, so a loop step (holding io) may read them without the queue lock.
 */
#define _GNU_SOURCE /* ppoll, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ciot/cursor.h"
#include "ciot/shape.h"

#define READ_SIZE_DEFAULT 16384
/* Bytes one on_readable takes at most before it returns, so that a peer that floods the link cannot
 * hold this side's slots back; what is left is still readable at the next poll. */
#define READ_BUDGET (256 * 1024)

struct ciot_shape_link {
	pthread_mutex_t lock;   /* the queue lock */
	pthread_mutex_t io;     /* the I/O lock */
	pthread_cond_t changed; /* a message arrived, a side finished, the link failed, the thread ended */
	int fd;
	const struct ciot_shape_env *env;
	struct ciot_shaper *shaper;
	struct ciot_unshaper *unshaper;
	void (*on_record)(void *ctx, const struct ciot_shape_record *rec);
	void *on_record_ctx;

	/* under io */
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	BIO_METHOD *bio_method;
	int bio_errno;            /* the socket's errno behind a TLS failure */
	uint8_t record[CIOT_SHAPE_RECORD_MAX];
	struct ciot_shape_record rec;
	size_t written;           /* bytes of the record on the socket (without TLS) */
	uint8_t *rbuf;
	size_t read_size;

	/* under lock (the flags also with io held) */
	bool ready;               /* the TLS handshake is done (from the start without TLS) */
	bool handshake_write;     /* the handshake waits for the socket to take bytes */
	bool read_write;          /* a TLS read waits for the socket to take bytes */
	bool pending;             /* a record is built and not all written */
	bool stopping;            /* the shaper stopped: the sending side is to be shut down */
	bool shutdown_write;      /* that shutdown waits for the socket */
	bool send_done, peer_eof;
	enum ciot_rc failed;      /* the first error; final */
	char failure[CIOT_ERRBUF_SIZE];
	uint64_t taken;           /* messages handed out by recv */
	uint8_t *held;            /* a message too long for the caller's buffer, kept for the next recv */
	size_t held_len;
	bool holding;
	bool thread_started, thread_running, thread_stop;
	pthread_t thread;
	int wake[2];              /* wakes the helper thread's poll to stop it */
};

/* ---- failure: the first error is kept and returned by everything after ------------------------- */

static enum ciot_rc sticky_locked(const struct ciot_shape_link *l, char *errbuf)
{
	return ciot_fail(errbuf, l->failed, "%s", l->failure);
}

__attribute__((format(printf, 4, 0))) static enum ciot_rc vfail_locked(struct ciot_shape_link *l, char *errbuf,
									 enum ciot_rc rc, const char *fmt, va_list ap)
{
	if (!l->failed) {
		l->failed = rc;
		vsnprintf(l->failure, sizeof l->failure, fmt, ap);
		pthread_cond_broadcast(&l->changed);
	}
	return sticky_locked(l, errbuf);
}

__attribute__((format(printf, 4, 5))) static enum ciot_rc fail_locked(struct ciot_shape_link *l, char *errbuf,
								    enum ciot_rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rc = vfail_locked(l, errbuf, rc, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 4, 5))) static enum ciot_rc fail(struct ciot_shape_link *l, char *errbuf,
							     enum ciot_rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&l->lock);
	rc = vfail_locked(l, errbuf, rc, fmt, ap);
	pthread_mutex_unlock(&l->lock);
	va_end(ap);
	return rc;
}

/* Why a TLS call failed, from the verification result, OpenSSL's error queue or the socket. */
static void tls_reason(struct ciot_shape_link *l, int ssl_error, char *out, size_t cap)
{
	long verify = SSL_get_verify_result(l->ssl);
	unsigned long code = ERR_peek_error();
	if (verify != X509_V_OK)
		snprintf(out, cap, "the server's certificate: %s", X509_verify_cert_error_string(verify));
	else if (code)
		ERR_error_string_n(code, out, cap);
	else if (ssl_error == SSL_ERROR_SYSCALL && l->bio_errno)
		snprintf(out, cap, "%s", strerror(l->bio_errno));
	else if (ssl_error == SSL_ERROR_SYSCALL)
		snprintf(out, cap, "the connection ended");
	else
		snprintf(out, cap, "SSL error %d", ssl_error);
	ERR_clear_error();
}

static enum ciot_rc tls_fail(struct ciot_shape_link *l, char *errbuf, int ssl_error, const char *doing)
{
	char why[256];
	tls_reason(l, ssl_error, why, sizeof why);
	return fail(l, errbuf, CIOT_ERR_IO, "%s: %s", doing, why);
}

/* ---- the socket under TLS: a BIO that sends without SIGPIPE ------------------------------------ */

static int bio_write(BIO *b, const char *p, int n)
{
	struct ciot_shape_link *l = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	for (;;) {
		ssize_t k = send(l->fd, p, (size_t)n, MSG_NOSIGNAL);
		if (k >= 0)
			return (int)k;
		if (errno == EINTR)
			continue;
		l->bio_errno = errno;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_write(b);
		return -1;
	}
}

static int bio_read(BIO *b, char *p, int n)
{
	struct ciot_shape_link *l = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	for (;;) {
		ssize_t k = recv(l->fd, p, (size_t)n, 0);
		if (k == 0)
			BIO_set_flags(b, BIO_FLAGS_IN_EOF); /* how OpenSSL tells a cut stream from a pause */
		if (k >= 0)
			return (int)k;
		if (errno == EINTR)
			continue;
		l->bio_errno = errno;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_read(b);
		return -1;
	}
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* nothing is buffered here */
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* ---- opening ----------------------------------------------------------------------------------- */

static enum ciot_rc tls_setup(struct ciot_shape_link *l, const struct ciot_shape_tls *t, char *errbuf)
{
	char why[256];
	ERR_clear_error();
	if (t->server ? !t->cert_file || !t->key_file : !t->ca_file || !t->server_name)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "TLS: a %s", t->server ? "server needs cert_file and key_file"
								       : "client needs ca_file and server_name");
	if (!(l->ssl_ctx = SSL_CTX_new(t->server ? TLS_server_method() : TLS_client_method())))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "TLS: cannot make a context");
	SSL_CTX *ctx = l->ssl_ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	/* records outside the schedule: a ticket the link never resumes with, and the dummy
	 * ChangeCipherSpec kept for middleboxes */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
	SSL_CTX_clear_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE); /* one SSL_write, one whole record */
	if (t->server) {
		if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, t->key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			ERR_error_string_n(ERR_peek_error(), why, sizeof why);
			ERR_clear_error();
			return ciot_fail(errbuf, CIOT_ERR_IO, "TLS: the certificate %s or key %s: %s", t->cert_file,
					 t->key_file, why);
		}
	} else {
		if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
			ERR_error_string_n(ERR_peek_error(), why, sizeof why);
			ERR_clear_error();
			return ciot_fail(errbuf, CIOT_ERR_IO, "TLS: the CA file %s: %s", t->ca_file, why);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (!(l->ssl = SSL_new(ctx)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "TLS: cannot make a connection object");
	if (!t->server) {
		X509_VERIFY_PARAM *param = SSL_get0_param(l->ssl);
		unsigned char ip[16];
		bool is_ip = inet_pton(AF_INET, t->server_name, ip) == 1 || inet_pton(AF_INET6, t->server_name, ip) == 1;
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		/* an address is checked as one (and is no SNI name); a name as a name */
		if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, t->server_name) != 1
			  : X509_VERIFY_PARAM_set1_host(param, t->server_name, 0) != 1 ||
				    SSL_set_tlsext_host_name(l->ssl, t->server_name) != 1) {
			ERR_clear_error();
			return ciot_fail(errbuf, CIOT_ERR_ARG, "TLS: the server name \"%s\" cannot be checked", t->server_name);
		}
	}
	if (!(l->bio_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "ciot-shape socket")) ||
	    !BIO_meth_set_write(l->bio_method, bio_write) || !BIO_meth_set_read(l->bio_method, bio_read) ||
	    !BIO_meth_set_ctrl(l->bio_method, bio_ctrl) || !BIO_meth_set_create(l->bio_method, bio_create))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "TLS: cannot make the socket's BIO");
	BIO *bio = BIO_new(l->bio_method);
	if (!bio)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "TLS: cannot make the socket's BIO");
	BIO_set_data(bio, l);
	SSL_set_bio(l->ssl, bio, bio);
	if (t->server) {
		SSL_set_accept_state(l->ssl);
	} else {
		SSL_set_connect_state(l->ssl);
		l->handshake_write = true; /* the ClientHello goes first */
	}
	return CIOT_OK;
}

/* A connected stream socket, made non-blocking; TCP's Nagle off so that a record leaves at once. */
static enum ciot_rc prepare_socket(int fd, char *errbuf)
{
	int type = 0;
	socklen_t len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "descriptor %d is not a socket: %s", fd, strerror(errno));
	if (type != SOCK_STREAM)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "socket %d is not a stream socket", fd);
	struct sockaddr_storage addr;
	len = sizeof addr;
	if (getpeername(fd, (struct sockaddr *)&addr, &len) != 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "socket %d is not connected: %s", fd, strerror(errno));
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "socket %d: cannot make it non-blocking: %s", fd, strerror(errno));
	if (addr.ss_family == AF_INET || addr.ss_family == AF_INET6) {
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
			return ciot_fail(errbuf, CIOT_ERR_IO, "socket %d: cannot set TCP_NODELAY: %s", fd, strerror(errno));
	}
	return CIOT_OK;
}

enum ciot_rc ciot_shape_link_open(struct ciot_shape_link **out, int fd, const struct ciot_shape_link_config *c,
				  char *errbuf)
{
	*out = NULL;
	if (fd < 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no socket (descriptor %d)", fd);
	struct ciot_shape_link *l = calloc(1, sizeof *l);
	if (!l) {
		close(fd);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	l->fd = fd;
	l->wake[0] = l->wake[1] = -1;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* recv's and close's waits ignore clock steps */
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->io, NULL);
	pthread_cond_init(&l->changed, &attr);
	pthread_condattr_destroy(&attr);
	l->env = c->env ? c->env : ciot_shape_env_system();
	l->on_record = c->on_record;
	l->on_record_ctx = c->on_record_ctx;
	l->read_size = c->read_size ? c->read_size : READ_SIZE_DEFAULT;
	if (l->read_size > INT32_MAX)
		l->read_size = INT32_MAX; /* SSL_read takes an int */
	enum ciot_rc rc = prepare_socket(fd, errbuf);
	if (!rc && c->recv_max_message == 0)
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "recv_max_message is 0: no message could be received");
	if (!rc && !(l->rbuf = malloc(l->read_size)))
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = ciot_shaper_new(&l->shaper, &c->send, l->env, l->env->now_ns(l->env->ctx), errbuf);
	if (!rc)
		rc = ciot_unshaper_new(&l->unshaper, c->recv_max_message, errbuf);
	if (!rc && c->tls)
		rc = tls_setup(l, c->tls, errbuf);
	if (rc) {
		ciot_shape_link_free(l);
		return rc;
	}
	l->ready = !c->tls;
	*out = l;
	return CIOT_OK;
}

enum ciot_rc ciot_shape_link_connect(struct ciot_shape_link **out, const char *host, const char *port,
				     const struct ciot_shape_link_config *c, char *errbuf)
{
	*out = NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	int e = getaddrinfo(host, port, &hints, &res);
	if (e)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s port %s: %s", host, port,
				 e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
	int fd = -1, why = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			why = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			why = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "cannot connect to %s port %s: %s", host, port, strerror(why));
	return ciot_shape_link_open(out, fd, c, errbuf);
}

/* ---- the loop's steps (io held) ---------------------------------------------------------------- */

static enum ciot_rc step_handshake(struct ciot_shape_link *l, char *errbuf)
{
	ERR_clear_error();
	int r = SSL_do_handshake(l->ssl);
	bool want_write = false;
	if (r != 1) {
		int e = SSL_get_error(l->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE)
			want_write = true;
		else if (e != SSL_ERROR_WANT_READ)
			return tls_fail(l, errbuf, e, "the TLS handshake");
	}
	pthread_mutex_lock(&l->lock);
	l->ready = r == 1;
	l->handshake_write = want_write;
	pthread_mutex_unlock(&l->lock);
	return CIOT_OK;
}

/* Writes what is left of the current record; *done once it is all out. */
static enum ciot_rc write_record(struct ciot_shape_link *l, bool *done, char *errbuf)
{
	*done = false;
	if (l->ssl) {
		ERR_clear_error();
		int n = SSL_write(l->ssl, l->record, (int)l->rec.size);
		if (n > 0) {
			*done = true; /* partial writes are off: n is the whole record */
			return CIOT_OK;
		}
		int e = SSL_get_error(l->ssl, n);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			return CIOT_OK; /* retried with the same bytes, as OpenSSL requires */
		return tls_fail(l, errbuf, e, "writing a record");
	}
	while (l->written < l->rec.size) {
		ssize_t n = send(l->fd, l->record + l->written, l->rec.size - l->written, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CIOT_OK;
		if (n < 0)
			return fail(l, errbuf, CIOT_ERR_IO, "writing a record: %s", strerror(errno));
		l->written += (size_t)n;
	}
	*done = true;
	return CIOT_OK;
}

/* The sending side's end, at the slot where the shaper stopped: close_notify, then the FIN. */
static enum ciot_rc shut_down(struct ciot_shape_link *l, char *errbuf)
{
	if (l->ssl) {
		ERR_clear_error();
		int r = SSL_shutdown(l->ssl);
		if (r < 0) {
			int e = SSL_get_error(l->ssl, r);
			if (e != SSL_ERROR_WANT_WRITE)
				return tls_fail(l, errbuf, e, "sending close_notify");
			pthread_mutex_lock(&l->lock);
			l->shutdown_write = true;
			pthread_mutex_unlock(&l->lock);
			return CIOT_OK;
		}
	}
	if (shutdown(l->fd, SHUT_WR) != 0)
		return fail(l, errbuf, CIOT_ERR_IO, "shutting the sending side down: %s", strerror(errno));
	pthread_mutex_lock(&l->lock);
	l->shutdown_write = false;
	l->send_done = true;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
	return CIOT_OK;
}

/* Finishes the record being written, then the shutdown if the shaper has stopped. */
static enum ciot_rc flush(struct ciot_shape_link *l, char *errbuf)
{
	if (l->pending) {
		bool done;
		enum ciot_rc rc = write_record(l, &done, errbuf);
		if (rc || !done)
			return rc;
		if (l->on_record)
			l->on_record(l->on_record_ctx, &l->rec);
		pthread_mutex_lock(&l->lock);
		l->pending = false;
		pthread_mutex_unlock(&l->lock);
	}
	if (l->stopping && !l->send_done)
		return shut_down(l, errbuf);
	return CIOT_OK;
}

static enum ciot_rc step_timer(struct ciot_shape_link *l, int64_t now_ns, char *errbuf)
{
	pthread_mutex_lock(&l->lock);
	if (l->ready && !l->pending && !l->stopping) {
		if (ciot_shaper_slot(l->shaper, now_ns, l->record, &l->rec)) {
			l->pending = true;
			l->written = 0;
		} else if (ciot_shaper_stopped(l->shaper)) {
			l->stopping = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return flush(l, errbuf);
}

/* The peer's stream ended: clean only between records and between messages. */
static enum ciot_rc peer_ended(struct ciot_shape_link *l, char *errbuf)
{
	char why[CIOT_ERRBUF_SIZE];
	pthread_mutex_lock(&l->lock);
	enum ciot_rc rc = ciot_unshaper_end(l->unshaper, why);
	pthread_mutex_unlock(&l->lock);
	if (rc)
		return fail(l, errbuf, rc, "the peer's stream: %s", why);
	pthread_mutex_lock(&l->lock);
	l->peer_eof = true;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
	return CIOT_OK;
}

/* One read: *got bytes in rbuf, 0 at the peer's end, -1 when nothing is there now. */
static enum ciot_rc read_some(struct ciot_shape_link *l, ssize_t *got, char *errbuf)
{
	if (l->ssl) {
		ERR_clear_error();
		int n = SSL_read(l->ssl, l->rbuf, (int)l->read_size);
		if (n > 0) {
			*got = n;
			return CIOT_OK;
		}
		int e = SSL_get_error(l->ssl, n);
		bool want_write = e == SSL_ERROR_WANT_WRITE;
		if (l->read_write != want_write) {
			pthread_mutex_lock(&l->lock);
			l->read_write = want_write;
			pthread_mutex_unlock(&l->lock);
		}
		*got = e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
		if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_WANT_READ || want_write)
			return CIOT_OK;
		/* a stream that ends without close_notify may have been cut by anyone on the path */
		if (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return fail(l, errbuf, CIOT_ERR_FORMAT, "the peer's TLS stream ended without close_notify");
		}
		return tls_fail(l, errbuf, e, "reading from the peer");
	}
	for (;;) {
		ssize_t n = recv(l->fd, l->rbuf, l->read_size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		*got = n;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CIOT_OK;
		if (n < 0)
			return fail(l, errbuf, CIOT_ERR_IO, "reading from the peer: %s", strerror(errno));
		return CIOT_OK;
	}
}

static enum ciot_rc step_read(struct ciot_shape_link *l, char *errbuf)
{
	size_t total = 0;
	while (!l->peer_eof) {
		ssize_t n;
		enum ciot_rc rc = read_some(l, &n, errbuf);
		if (rc || n < 0)
			return rc;
		if (n == 0)
			return peer_ended(l, errbuf);
		char why[CIOT_ERRBUF_SIZE];
		struct ciot_unshape_stats before, after;
		pthread_mutex_lock(&l->lock);
		ciot_unshaper_stats(l->unshaper, &before);
		rc = ciot_unshaper_feed(l->unshaper, l->rbuf, (size_t)n, why);
		if (rc) {
			rc = fail_locked(l, errbuf, rc, "the peer's stream: %s", why);
		} else {
			ciot_unshaper_stats(l->unshaper, &after);
			if (after.messages != before.messages)
				pthread_cond_broadcast(&l->changed);
		}
		pthread_mutex_unlock(&l->lock);
		if (rc)
			return rc;
		total += (size_t)n;
		/* bytes TLS has already taken off the socket would not wake the next poll: read them now */
		if (total >= READ_BUDGET && !(l->ssl && SSL_pending(l->ssl) > 0))
			break;
	}
	return CIOT_OK;
}

/* POLLERR or POLLHUP after the peer's end: the connection's error, or its end while this side still
 * has records to send. */
static enum ciot_rc check_hangup(struct ciot_shape_link *l, char *errbuf)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
		return fail(l, errbuf, CIOT_ERR_IO, "the connection failed: %s", strerror(err));
	struct pollfd p = { .fd = l->fd, .events = 0 };
	if (!l->send_done && poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))
		return fail(l, errbuf, CIOT_ERR_IO, "the peer closed the connection before this side was done sending");
	return CIOT_OK;
}

/* ---- the event-loop interface ------------------------------------------------------------------ */

int ciot_shape_link_fd(const struct ciot_shape_link *l)
{
	return l->fd;
}

/* The link's state is read under the queue lock even through a const pointer: the lock is the
 * link's own, never a const object's. */
static pthread_mutex_t *lock_of(const struct ciot_shape_link *l)
{
	return (pthread_mutex_t *)&l->lock;
}

static int64_t deadline_locked(const struct ciot_shape_link *l)
{
	if (l->failed || !l->ready || l->pending || l->stopping)
		return INT64_MAX;
	return ciot_shaper_deadline(l->shaper);
}

static bool wants_read_locked(const struct ciot_shape_link *l)
{
	return !l->failed && !l->peer_eof;
}

static bool wants_write_locked(const struct ciot_shape_link *l)
{
	return !l->failed && (l->pending || l->handshake_write || l->read_write || l->shutdown_write);
}

int64_t ciot_shape_link_deadline(const struct ciot_shape_link *l)
{
	pthread_mutex_lock(lock_of(l));
	int64_t d = deadline_locked(l);
	pthread_mutex_unlock(lock_of(l));
	return d;
}

bool ciot_shape_link_wants_read(const struct ciot_shape_link *l)
{
	pthread_mutex_lock(lock_of(l));
	bool w = wants_read_locked(l);
	pthread_mutex_unlock(lock_of(l));
	return w;
}

bool ciot_shape_link_wants_write(const struct ciot_shape_link *l)
{
	pthread_mutex_lock(lock_of(l));
	bool w = wants_write_locked(l);
	pthread_mutex_unlock(lock_of(l));
	return w;
}

/* The link's error if it failed (under the queue lock: recv can fail it without io). */
static enum ciot_rc failed_already(struct ciot_shape_link *l, char *errbuf)
{
	pthread_mutex_lock(&l->lock);
	enum ciot_rc rc = l->failed ? sticky_locked(l, errbuf) : CIOT_OK;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

enum ciot_rc ciot_shape_link_on_timer(struct ciot_shape_link *l, int64_t now_ns, char *errbuf)
{
	pthread_mutex_lock(&l->io);
	enum ciot_rc rc = failed_already(l, errbuf);
	if (!rc)
		rc = step_timer(l, now_ns, errbuf);
	pthread_mutex_unlock(&l->io);
	return rc;
}

enum ciot_rc ciot_shape_link_on_writable(struct ciot_shape_link *l, char *errbuf)
{
	pthread_mutex_lock(&l->io);
	enum ciot_rc rc = failed_already(l, errbuf);
	if (!rc && !l->ready)
		rc = step_handshake(l, errbuf);
	else if (!rc && l->read_write)
		rc = step_read(l, errbuf);
	if (!rc && l->ready)
		rc = flush(l, errbuf);
	pthread_mutex_unlock(&l->io);
	return rc;
}

enum ciot_rc ciot_shape_link_on_readable(struct ciot_shape_link *l, char *errbuf)
{
	pthread_mutex_lock(&l->io);
	enum ciot_rc rc = failed_already(l, errbuf);
	if (!rc && !l->ready)
		rc = step_handshake(l, errbuf);
	if (!rc && l->ready)
		rc = l->peer_eof ? check_hangup(l, errbuf) : step_read(l, errbuf);
	pthread_mutex_unlock(&l->io);
	return rc;
}

/* ---- the helper thread ------------------------------------------------------------------------- */

static void *run(void *arg)
{
	struct ciot_shape_link *l = arg;
	char err[CIOT_ERRBUF_SIZE];
	for (;;) {
		pthread_mutex_lock(&l->lock);
		bool stop = l->thread_stop || l->failed || (l->send_done && l->peer_eof);
		int64_t deadline = deadline_locked(l);
		short events = (short)((wants_read_locked(l) ? POLLIN : 0) | (wants_write_locked(l) ? POLLOUT : 0));
		pthread_mutex_unlock(&l->lock);
		if (stop)
			break;
		struct timespec ts, *timeout = NULL;
		if (deadline != INT64_MAX) {
			int64_t wait = deadline - l->env->now_ns(l->env->ctx);
			if (wait < 0)
				wait = 0;
			ts.tv_sec = (time_t)(wait / 1000000000);
			ts.tv_nsec = (long)(wait % 1000000000);
			timeout = &ts;
		}
		struct pollfd p[2] = { { .fd = l->fd, .events = events }, { .fd = l->wake[0], .events = POLLIN } };
		if (ppoll(p, 2, timeout, NULL) < 0) {
			if (errno == EINTR)
				continue;
			fail(l, err, CIOT_ERR_IO, "the link's thread: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents) {
			char drain[16];
			while (read(l->wake[0], drain, sizeof drain) > 0)
				;
		}
		enum ciot_rc rc = CIOT_OK;
		int64_t now = l->env->now_ns(l->env->ctx);
		if (now >= deadline)
			rc = ciot_shape_link_on_timer(l, now, err);
		if (!rc && (p[0].revents & POLLOUT))
			rc = ciot_shape_link_on_writable(l, err);
		if (!rc && (p[0].revents & (POLLIN | POLLERR | POLLHUP)))
			rc = ciot_shape_link_on_readable(l, err);
		if (rc)
			break; /* the error is the link's now: recv and close report it */
	}
	pthread_mutex_lock(&l->lock);
	l->thread_running = false;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

enum ciot_rc ciot_shape_link_start_thread(struct ciot_shape_link *l, char *errbuf)
{
	pthread_mutex_lock(&l->lock);
	bool started = l->thread_started;
	pthread_mutex_unlock(&l->lock);
	if (started)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "the link's thread is already started");
	if (pipe2(l->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "the link's thread: pipe: %s", strerror(errno));
	pthread_mutex_lock(&l->lock);
	l->thread_started = l->thread_running = true; /* before it runs, so that a recv right after waits */
	pthread_mutex_unlock(&l->lock);
	/* every signal blocked in the thread (it inherits the mask): the application's handlers run in
	 * its own threads */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&l->thread, NULL, run, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		pthread_mutex_lock(&l->lock);
		l->thread_started = l->thread_running = false;
		pthread_mutex_unlock(&l->lock);
		close(l->wake[0]);
		close(l->wake[1]);
		l->wake[0] = l->wake[1] = -1;
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "cannot start the link's thread: %s", strerror(e));
	}
	return CIOT_OK;
}

/* ---- the application's side -------------------------------------------------------------------- */

enum ciot_rc ciot_shape_link_send(struct ciot_shape_link *l, const void *msg, size_t len, char *errbuf)
{
	pthread_mutex_lock(&l->lock);
	enum ciot_rc rc = l->failed ? sticky_locked(l, errbuf) : ciot_shaper_send(l->shaper, msg, len, errbuf);
	pthread_mutex_unlock(&l->lock);
	return rc;
}

/* An absolute CLOCK_MONOTONIC time ms from now, for the condition variable. */
static struct timespec after_ms(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* Hands out the oldest whole message (queue lock held); false when there is none. */
static bool take_message(struct ciot_shape_link *l, void *buf, size_t cap, size_t *len, bool *got,
			 enum ciot_rc *rc, char *errbuf)
{
	const uint8_t *m;
	size_t n;
	if (l->holding) {
		m = l->held;
		n = l->held_len;
	} else if (!ciot_unshaper_next(l->unshaper, &m, &n)) {
		return false;
	}
	*len = n;
	if (n <= cap) {
		memcpy(buf, m, n);
		*got = true;
		l->holding = false;
		l->taken++;
		return true;
	}
	if (!l->holding) {
		/* the unshaper's copy lasts only until its next call: keep our own */
		uint8_t *kept = realloc(l->held, n);
		if (!kept) {
			*rc = fail_locked(l, errbuf, CIOT_ERR_NOMEM, "out of memory keeping a received message");
			return true;
		}
		memcpy(kept, m, n);
		l->held = kept;
		l->held_len = n;
		l->holding = true;
	}
	*rc = ciot_fail(errbuf, CIOT_ERR_ARG, "a message of %zu bytes does not fit in %zu", n, cap);
	return true;
}

enum ciot_rc ciot_shape_link_recv(struct ciot_shape_link *l, void *buf, size_t cap, size_t *len, bool *got,
				  int timeout_ms, char *errbuf)
{
	*got = false;
	*len = 0;
	struct timespec until = after_ms(timeout_ms > 0 ? timeout_ms : 0);
	enum ciot_rc rc = CIOT_OK;
	bool timed_out = false;
	pthread_mutex_lock(&l->lock);
	for (;;) {
		if (take_message(l, buf, cap, len, got, &rc, errbuf))
			break;
		if (l->failed) {
			rc = sticky_locked(l, errbuf);
			break;
		}
		if (timed_out || l->peer_eof || timeout_ms <= 0 || !l->thread_running)
			break;
		timed_out = pthread_cond_timedwait(&l->changed, &l->lock, &until) == ETIMEDOUT;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

bool ciot_shape_link_peer_done(const struct ciot_shape_link *l)
{
	pthread_mutex_lock(lock_of(l));
	struct ciot_unshape_stats u;
	ciot_unshaper_stats(l->unshaper, &u);
	bool done = l->peer_eof && !l->failed && !l->holding && l->taken == u.messages;
	pthread_mutex_unlock(lock_of(l));
	return done;
}

bool ciot_shape_link_send_done(const struct ciot_shape_link *l)
{
	pthread_mutex_lock(lock_of(l));
	bool done = l->send_done;
	pthread_mutex_unlock(lock_of(l));
	return done;
}

enum ciot_rc ciot_shape_link_close(struct ciot_shape_link *l, int timeout_ms, char *errbuf)
{
	struct timespec until = after_ms(timeout_ms > 0 ? timeout_ms : 0);
	enum ciot_rc rc = CIOT_OK;
	pthread_mutex_lock(&l->lock);
	ciot_shaper_close(l->shaper);
	while (!l->send_done && !l->failed && l->thread_running) {
		int e = timeout_ms > 0 ? pthread_cond_timedwait(&l->changed, &l->lock, &until)
				       : pthread_cond_wait(&l->changed, &l->lock);
		if (e == ETIMEDOUT && !l->send_done && !l->failed) {
			struct ciot_shape_stats s;
			ciot_shaper_stats(l->shaper, &s);
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "close: not done after %d ms (%zu bytes still queued)",
				       timeout_ms, s.queued_bytes);
			break;
		}
	}
	if (!rc && !l->send_done && l->failed)
		rc = sticky_locked(l, errbuf);
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void ciot_shape_link_free(struct ciot_shape_link *l)
{
	if (!l)
		return;
	if (l->thread_started) {
		pthread_mutex_lock(&l->lock);
		l->thread_stop = true;
		pthread_mutex_unlock(&l->lock);
		ssize_t w = write(l->wake[1], "", 1);
		(void)w; /* a full pipe already wakes it */
		pthread_join(l->thread, NULL);
	}
	for (int i = 0; i < 2; i++)
		if (l->wake[i] >= 0)
			close(l->wake[i]);
	SSL_free(l->ssl); /* frees the BIO, which uses the method: the method after it */
	SSL_CTX_free(l->ssl_ctx);
	BIO_meth_free(l->bio_method);
	close(l->fd);
	ciot_shaper_free(l->shaper);
	ciot_unshaper_free(l->unshaper);
	free(l->rbuf);
	free(l->held);
	pthread_cond_destroy(&l->changed);
	pthread_mutex_destroy(&l->io);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void ciot_shape_link_stats(const struct ciot_shape_link *l, struct ciot_shape_stats *sent,
			   struct ciot_unshape_stats *received)
{
	pthread_mutex_lock(lock_of(l));
	ciot_shaper_stats(l->shaper, sent);
	ciot_unshaper_stats(l->unshaper, received);
	pthread_mutex_unlock(lock_of(l));
}
