/* analyzer.c: the TLS audit (docs/tls.md). Every TLS, DTLS and QUIC connection is followed
 * through its flow (tls-connection.h); when the flow ends its certificate chains go into the
 * capture's certificate table, each certificate parsed once per capture; when the capture ends and
 * the device is known, each of the device's server chains is judged against the trust store at the
 * time its connection began, for the name the client asked for, and its leaf is compared with the
 * interceptor's certificates (x509.h; `intercepted`). Stored: tls_connections
 * (one row per connection), certificates (each once, shared across captures) and tls_chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "pipeline.h"
#include "registry.h"
#include "tls-connection.h"
#include "x509.h"

/* A certificate as a capture's TLS connections presented it, stored once per capture. */
struct certificate {
	uint8_t *der;
	size_t len;
	uint32_t quick;               /* ciot_fnv1a of der, to find it again cheaply */
	char sha256[65];
	bool stored;                  /* written to the database by this capture's transaction */
	bool parsed;                  /* info is valid; else error says why OpenSSL refused it */
	struct ciot_x509_info info;
	struct ciot_x509_cert *handle; /* parsed once for judging every chain it is in */
	char error[CIOT_ERRBUF_SIZE];
};

/* The capture's certificates. */
struct tls_capture {
	struct certificate *certs;
	size_t ncerts, certs_cap;
};

/* A TLS, DTLS or QUIC connection of a flow, with its certificates looked at: a flow's result slot
 * holds a pointer to one, or NULL. */
struct tls_record {
	struct ciot_tls_summary *summary;
	/* by role (CIOT_TLS_CLIENT, CIOT_TLS_SERVER): the chain as indexes into the capture's
	 * certificates, summary->side[role].nchain of them */
	uint32_t chain[2][CIOT_TLS_MAX_CHAIN];
	bool audited;                 /* chain[] and the verdict below are filled */
	unsigned chain_findings;      /* the server chain judged at the flow's start for the SNI: expired,
					 not yet valid, untrusted, name mismatch (x509.h) */
	char chain_error[160];        /* OpenSSL's reason when untrusted */
	int intercepted;              /* the server leaf is the interceptor's: 1, 0, -1 unknown */
};

struct config {
	const char *ca_file;
	const char *interceptor_ca;
};

/* What a run (and every worker, read-only) holds. */
struct run {
	struct ciot_x509_trust *trust;
	struct ciot_x509_interceptor *interceptor; /* NULL: the mitmproxy name decides */
};

struct store {
	struct ciot_insert connection, certificate, chain;
};

static enum ciot_rc certificate_index(struct tls_capture *r, const uint8_t *der, size_t len, uint32_t *index,
				      char *errbuf);
static void tls_record_free(struct tls_record *t);

enum tls_connections_column {
	T_FLOW_ID, T_PROTOCOL, T_CLIENT, T_CLIENT_HELLO, T_SERVER_HELLO, T_SSLV2_HELLO, T_CLIENT_VERSION, T_OFFERED_VERSIONS, T_HIGHEST_OFFERED, T_VERSION, T_QUIC_VERSION, T_CIPHER, T_CIPHER_ID, T_CIPHER_CLASS, T_OFFERED_CIPHERS, T_OFFERED_CIPHER_CLASSES, T_SNI, T_ALPN, T_SESSION_TICKET, T_PSK_OFFERED, T_RESUMED, T_PSK, T_HELLO_RETRY, T_CERTIFICATE_REQUEST, T_SERVER_CERTIFICATES, T_CLIENT_CERTIFICATES, T_LEAF_SHA256, T_CHAIN_FINDINGS, T_CHAIN_ERROR, T_INTERCEPTED, T_ESTABLISHED, T_CLIENT_FINISHED, T_SERVER_FINISHED, T_CLIENT_APP_RECORDS, T_CLIENT_APP_BYTES, T_SERVER_APP_RECORDS, T_SERVER_APP_BYTES, T_CLIENT_ALERTS, T_SERVER_ALERTS, T_CLOSED_BY, T_CLOSE, T_OUTCOME, T_REASSEMBLY_GAPS, T_HANDSHAKE_TRUNCATED, T_HANDSHAKE_MALFORMED
};
static const struct ciot_column tls_connections_columns[] = {
	[T_FLOW_ID] = { "flow_id", "INTEGER PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE", false },
	[T_PROTOCOL] = { "protocol", "TEXT NOT NULL CHECK (protocol = 'tls' OR protocol = 'dtls' OR protocol = 'quic')", false },
	[T_CLIENT] = { "client", "TEXT NOT NULL CHECK (client = 'device' OR client = 'remote')", false },
	[T_CLIENT_HELLO] = { "client_hello", "INTEGER NOT NULL", false },
	[T_SERVER_HELLO] = { "server_hello", "INTEGER NOT NULL", false },
	[T_SSLV2_HELLO] = { "sslv2_hello", "INTEGER NOT NULL", false },
	[T_CLIENT_VERSION] = { "client_version", "TEXT", false },
	[T_OFFERED_VERSIONS] = { "offered_versions", "TEXT", false },
	[T_HIGHEST_OFFERED] = { "highest_offered", "TEXT", false },
	[T_VERSION] = { "version", "TEXT", false },
	[T_QUIC_VERSION] = { "quic_version", "TEXT", false },
	[T_CIPHER] = { "cipher", "TEXT", false },
	[T_CIPHER_ID] = { "cipher_id", "INTEGER", false },
	[T_CIPHER_CLASS] = { "cipher_class", "TEXT", false },
	[T_OFFERED_CIPHERS] = { "offered_ciphers", "TEXT", false },
	[T_OFFERED_CIPHER_CLASSES] = { "offered_cipher_classes", "TEXT", false },
	[T_SNI] = { "sni", "TEXT", false },
	[T_ALPN] = { "alpn", "TEXT", false },
	[T_SESSION_TICKET] = { "session_ticket", "INTEGER NOT NULL", false },
	[T_PSK_OFFERED] = { "psk_offered", "INTEGER NOT NULL", false },
	[T_RESUMED] = { "resumed", "INTEGER NOT NULL", false },
	[T_PSK] = { "psk", "INTEGER NOT NULL", false },
	[T_HELLO_RETRY] = { "hello_retry", "INTEGER NOT NULL", false },
	[T_CERTIFICATE_REQUEST] = { "certificate_request", "INTEGER NOT NULL", false },
	[T_SERVER_CERTIFICATES] = { "server_certificates", "INTEGER NOT NULL", false },
	[T_CLIENT_CERTIFICATES] = { "client_certificates", "INTEGER NOT NULL", false },
	[T_LEAF_SHA256] = { "leaf_sha256", "TEXT", false },
	[T_CHAIN_FINDINGS] = { "chain_findings", "TEXT", false },
	[T_CHAIN_ERROR] = { "chain_error", "TEXT", false },
	[T_INTERCEPTED] = { "intercepted", "INTEGER", false },
	[T_ESTABLISHED] = { "established", "INTEGER NOT NULL", false },
	[T_CLIENT_FINISHED] = { "client_finished", "INTEGER NOT NULL", false },
	[T_SERVER_FINISHED] = { "server_finished", "INTEGER NOT NULL", false },
	[T_CLIENT_APP_RECORDS] = { "client_app_records", "INTEGER NOT NULL", false },
	[T_CLIENT_APP_BYTES] = { "client_app_bytes", "INTEGER NOT NULL", false },
	[T_SERVER_APP_RECORDS] = { "server_app_records", "INTEGER NOT NULL", false },
	[T_SERVER_APP_BYTES] = { "server_app_bytes", "INTEGER NOT NULL", false },
	[T_CLIENT_ALERTS] = { "client_alerts", "TEXT NOT NULL", false },
	[T_SERVER_ALERTS] = { "server_alerts", "TEXT NOT NULL", false },
	[T_CLOSED_BY] = { "closed_by", "TEXT CHECK (closed_by = 'client' OR closed_by = 'server')", false },
	[T_CLOSE] = { "close", "TEXT CHECK (close = 'fin' OR close = 'rst')", false },
	[T_OUTCOME] = { "outcome", "TEXT", false },
	[T_REASSEMBLY_GAPS] = { "reassembly_gaps", "INTEGER NOT NULL", false },
	[T_HANDSHAKE_TRUNCATED] = { "handshake_truncated", "INTEGER NOT NULL", false },
	[T_HANDSHAKE_MALFORMED] = { "handshake_malformed", "INTEGER NOT NULL", false },
};
static const struct ciot_table tls_connections_table = { "tls_connections", CIOT_COLUMNS(tls_connections_columns), NULL, NULL };

enum certificates_column {
	C_SHA256, C_SUBJECT, C_ISSUER, C_SERIAL, C_SANS, C_NOT_BEFORE, C_NOT_AFTER, C_VALIDITY_DAYS, C_SIG_ALG, C_KEY_TYPE, C_KEY_BITS, C_CURVE, C_CA, C_SELF_SIGNED, C_FINDINGS, C_PARSE_ERROR, C_DER
};
static const struct ciot_column certificates_columns[] = {
	[C_SHA256] = { "sha256", "TEXT PRIMARY KEY", false },
	[C_SUBJECT] = { "subject", "TEXT", false },
	[C_ISSUER] = { "issuer", "TEXT", false },
	[C_SERIAL] = { "serial", "TEXT", false },
	[C_SANS] = { "sans", "TEXT", false },
	[C_NOT_BEFORE] = { "not_before", "TEXT", false },
	[C_NOT_AFTER] = { "not_after", "TEXT", false },
	[C_VALIDITY_DAYS] = { "validity_days", "INTEGER", false },
	[C_SIG_ALG] = { "sig_alg", "TEXT", false },
	[C_KEY_TYPE] = { "key_type", "TEXT", false },
	[C_KEY_BITS] = { "key_bits", "INTEGER", false },
	[C_CURVE] = { "curve", "TEXT", false },
	[C_CA] = { "ca", "INTEGER", false },
	[C_SELF_SIGNED] = { "self_signed", "INTEGER", false },
	[C_FINDINGS] = { "findings", "TEXT", false },
	[C_PARSE_ERROR] = { "parse_error", "TEXT", false },
	[C_DER] = { "der", "BLOB NOT NULL", false },
};
static const struct ciot_table certificates_table = { "certificates", CIOT_COLUMNS(certificates_columns), NULL, "INSERT OR IGNORE" };

enum tls_chains_column {
	H_FLOW_ID, H_SENDER, H_POSITION, H_SHA256
};
static const struct ciot_column tls_chains_columns[] = {
	[H_FLOW_ID] = { "flow_id", "INTEGER NOT NULL REFERENCES tls_connections(flow_id) ON DELETE CASCADE", false },
	[H_SENDER] = { "sender", "TEXT NOT NULL CHECK (sender = 'server' OR sender = 'client')", false },
	[H_POSITION] = { "position", "INTEGER NOT NULL", false },
	[H_SHA256] = { "sha256", "TEXT NOT NULL REFERENCES certificates(sha256)", false },
};
static const struct ciot_table tls_chains_table = { "tls_chains", CIOT_COLUMNS(tls_chains_columns), "PRIMARY KEY (flow_id, sender, position)", NULL };

/* The flow's TLS connection, if it had one; QUIC only when nDPI agrees (a long header alone is
 * weak evidence). */
static struct tls_record *tls_ended(struct ciot_capture_result *res, struct tls_capture *r, struct ciot_tls_flow *f,
				    enum ciot_dpi_family family)
{
	struct ciot_tls_summary *summary = ciot_tls_finish(f);
	if (f->failed)
		res->out_of_memory = true;
	if (!summary)
		return NULL;
	if (summary->protocol == CIOT_TLS_PROTO_QUIC && family != CIOT_FAMILY_QUIC) {
		ciot_tls_summary_free(summary);
		return NULL;
	}
	struct tls_record *t = calloc(1, sizeof *t);
	if (!t) {
		ciot_tls_summary_free(summary);
		res->out_of_memory = true;
		return NULL;
	}
	t->summary = summary;
	/* the chains into the capture's certificate table now, so that their bytes are held once */
	for (int role = 0; role < 2; role++) {
		struct ciot_tls_side *side = &summary->side[role];
		for (unsigned c = 0; c < side->nchain; c++) {
			char errbuf[CIOT_ERRBUF_SIZE];
			if (certificate_index(r, side->chain + side->chain_offset[c], side->chain_len[c],
					      &t->chain[role][c], errbuf)) {
				res->out_of_memory = true;
				tls_record_free(t);
				return NULL;
			}
		}
		free(side->chain);
		side->chain = NULL;
	}
	return t;
}

static void tls_record_free(struct tls_record *t)
{
	if (!t)
		return;
	ciot_tls_summary_free(t->summary);
	free(t);
}

/* ---- certificates: each parsed once per capture, each chain judged at its connection's time ---- */

#define CERTS_INITIAL 16u

/* The certificate's index in the capture's table, or -1 when it is not there yet. */
static long certificate_find(const struct tls_capture *r, uint32_t quick, const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < r->ncerts; i++)
		if (r->certs[i].quick == quick && r->certs[i].len == len && memcmp(r->certs[i].der, der, len) == 0)
			return (long)i;
	return -1;
}

/* Room for one more certificate in the capture's table. */
static enum ciot_rc certificate_room(struct tls_capture *r, char *errbuf)
{
	if (r->ncerts < r->certs_cap)
		return CIOT_OK;
	size_t cap = r->certs_cap ? r->certs_cap * 2 : CERTS_INITIAL;
	struct certificate *grown = realloc(r->certs, cap * sizeof *grown);
	if (!grown)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	r->certs = grown;
	r->certs_cap = cap;
	return CIOT_OK;
}

/* The index of the certificate in the capture's table, added (and parsed) when new. */
static enum ciot_rc certificate_index(struct tls_capture *r, const uint8_t *der, size_t len, uint32_t *index,
				      char *errbuf)
{
	uint32_t quick = ciot_fnv1a(der, len); /* a certificate already there is found without SHA-256 */
	long found = certificate_find(r, quick, der, len);
	if (found >= 0) {
		*index = (uint32_t)found;
		return CIOT_OK;
	}
	enum ciot_rc rc = certificate_room(r, errbuf);
	if (rc)
		return rc;
	struct certificate *c = &r->certs[r->ncerts];
	memset(c, 0, sizeof *c);
	rc = ciot_x509_sha256(der, len, c->sha256, errbuf);
	if (rc)
		return rc;
	c->der = malloc(len);
	c->handle = ciot_x509_cert_new(der, len);
	if (!c->der || !c->handle) {
		free(c->der);
		ciot_x509_cert_free(c->handle);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory parsing a certificate");
	}
	memcpy(c->der, der, len);
	c->len = len;
	c->quick = quick;
	rc = ciot_x509_cert_info(c->handle, der, len, &c->info, c->error);
	if (rc == CIOT_ERR_NOMEM) {
		free(c->der);
		ciot_x509_cert_free(c->handle);
		return ciot_fail(errbuf, rc, "%s", c->error);
	}
	c->parsed = rc == CIOT_OK;
	*index = (uint32_t)r->ncerts++;
	return CIOT_OK;
}

/* A certificate of a shard's table into the capture's (a sharded capture, capture_merge): moved,
 * not parsed again; found when another shard's was moved first. */
static enum ciot_rc certificate_move(struct tls_capture *r, struct certificate *cert, uint32_t *index, char *errbuf)
{
	long found = certificate_find(r, cert->quick, cert->der, cert->len);
	if (found >= 0) {
		*index = (uint32_t)found;
		return CIOT_OK;
	}
	enum ciot_rc rc = certificate_room(r, errbuf);
	if (rc)
		return rc;
	r->certs[r->ncerts] = *cert;
	cert->der = NULL;
	cert->handle = NULL;
	*index = (uint32_t)r->ncerts++;
	return CIOT_OK;
}

/* A chain's verdict, kept for the capture's later connections that present the same chain for the
 * same name at a time in (lo, hi): no certificate of the chain or of the trust store starts or ends
 * its validity in between, so OpenSSL would say the same (x509.h, ciot_x509_trust_stable). */
#define VERDICTS_MAX 256u
struct verdict {
	uint32_t chain[CIOT_TLS_MAX_CHAIN];
	unsigned n;
	const char *host;
	int64_t lo, hi;
	unsigned findings;
	char why[sizeof ((struct tls_record *)0)->chain_error];
};

/* Narrows (lo, hi) to the chain's own validity boundaries; false when `at` is on one. */
static bool chain_stable(const struct tls_capture *r, const uint32_t *chain, unsigned n, int64_t at,
			 int64_t *lo, int64_t *hi)
{
	for (unsigned i = 0; i < n; i++) {
		const struct certificate *c = &r->certs[chain[i]];
		if (!c->parsed)
			continue; /* judged without its dates: an unparsed leaf is untrusted at any time */
		int64_t b[2] = { c->info.not_before, c->info.not_after };
		for (int k = 0; k < 2; k++) {
			if (b[k] == at)
				return false;
			if (b[k] < at && b[k] > *lo)
				*lo = b[k];
			if (b[k] > at && b[k] < *hi)
				*hi = b[k];
		}
	}
	return true;
}

static bool same_host(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

/* The device's TLS connections: the server's chain judged against the trust store at the time the
 * connection began, for the name the client asked for. Done once the device is known, so that
 * other hosts' connections cost nothing. */
static void audit_certificates(const struct run *run, struct tls_capture *r, const struct ciot_capture_result *res,
			       size_t self)
{
	const struct ciot_x509_trust *trust = run->trust;
	struct verdict *verdicts = calloc(VERDICTS_MAX, sizeof *verdicts);
	size_t nverdicts = 0;
	for (size_t i = 0; i < res->nsegments; i++) {
		const struct ciot_segment_result *seg = &res->segments[i];
		for (size_t k = 0; k < seg->nflows; k++) {
			const struct ciot_flow_record *f = ciot_segment_flow(res, seg, k);
			struct tls_record *t = *(struct tls_record **)ciot_flow_result(res, f, self);
			if (!t || f->device_end < 0)
				continue;
			const struct ciot_tls_summary *s = t->summary;
			const struct ciot_tls_side *server = &s->side[CIOT_TLS_SERVER];
			t->audited = true;
			t->intercepted = -1;
			if (!server->nchain)
				continue;
			const uint32_t *chain = t->chain[CIOT_TLS_SERVER];
			t->intercepted = ciot_x509_intercepted(run->interceptor, r->certs[chain[0]].handle);
			unsigned n = server->nchain;
			const char *host = s->side[CIOT_TLS_CLIENT].hello ? s->ch.sni : NULL;
			int64_t at = f->first_ts / 1000000;
			const struct verdict *hit = NULL;
			for (size_t v = 0; v < nverdicts && !hit; v++)
				if (verdicts[v].n == n && memcmp(verdicts[v].chain, chain, n * sizeof *chain) == 0 &&
				    same_host(verdicts[v].host, host) && verdicts[v].lo < at && at < verdicts[v].hi)
					hit = &verdicts[v];
			if (hit) {
				t->chain_findings = hit->findings;
				memcpy(t->chain_error, hit->why, sizeof t->chain_error);
				continue;
			}
			struct ciot_x509_cert *certs[CIOT_TLS_MAX_CHAIN];
			for (unsigned c = 0; c < n; c++)
				certs[c] = r->certs[chain[c]].handle;
			t->chain_findings = ciot_x509_judge_certs(trust, certs, n, at, host, t->chain_error,
								  sizeof t->chain_error);
			int64_t lo, hi;
			if (verdicts && nverdicts < VERDICTS_MAX && ciot_x509_trust_stable(trust, at, &lo, &hi) &&
			    chain_stable(r, chain, n, at, &lo, &hi)) {
				struct verdict *v = &verdicts[nverdicts++];
				memcpy(v->chain, chain, n * sizeof *chain);
				v->n = n;
				v->host = host;
				v->lo = lo;
				v->hi = hi;
				v->findings = t->chain_findings;
				memcpy(v->why, t->chain_error, sizeof v->why);
			}
		}
	}
	free(verdicts);
}

static void iso_time(int64_t unix_seconds, char out[32])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)unix_seconds);
}

static enum ciot_rc store_certificate(struct store *s, const struct certificate *c, char *errbuf)
{
	struct ciot_row row = ciot_insert_row(&s->certificate, 0);
	ciot_row_static(&row, C_SHA256, c->sha256);
	if (c->parsed) {
		const struct ciot_x509_info *x = &c->info;
		char before[32], after[32], findings[256];
		iso_time(x->not_before, before);
		iso_time(x->not_after, after);
		ciot_x509_findings_text(x->findings, findings, sizeof findings);
		ciot_row_static(&row, C_SUBJECT, x->subject);
		ciot_row_static(&row, C_ISSUER, x->issuer);
		ciot_row_static(&row, C_SERIAL, x->serial);
		ciot_row_static(&row, C_SANS, x->sans);
		ciot_row_text(&row, C_NOT_BEFORE, before);
		ciot_row_text(&row, C_NOT_AFTER, after);
		ciot_row_int(&row, C_VALIDITY_DAYS, x->validity_days);
		ciot_row_static(&row, C_SIG_ALG, x->sig_alg);
		ciot_row_static(&row, C_KEY_TYPE, x->key_type);
		ciot_row_int(&row, C_KEY_BITS, x->key_bits);
		ciot_row_text(&row, C_CURVE, x->curve[0] ? x->curve : NULL);
		ciot_row_int(&row, C_CA, x->ca);
		ciot_row_int(&row, C_SELF_SIGNED, (x->findings & CIOT_X509_SELF_SIGNED) != 0);
		ciot_row_text(&row, C_FINDINGS, findings);
	} else {
		ciot_row_static(&row, C_PARSE_ERROR, c->error);
	}
	ciot_row_blob(&row, C_DER, c->der, c->len);
	return ciot_insert_run(&s->certificate, "certificates", errbuf);
}

static const char *version_or_null(uint16_t v, char *buf, size_t len)
{
	return v ? ciot_tls_version_name(v, buf, len) : NULL;
}

/* "TLS1.3,TLS1.2": the supported_versions offered, else the ClientHello's version. */
static void offered_versions(const struct ciot_tls_client_hello *ch, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = 0;
	if (!ch->nversions) {
		char buf[16];
		snprintf(out, outlen, "%s", ciot_tls_version_name(ch->legacy_version, buf, sizeof buf));
		return;
	}
	for (unsigned i = 0; i < ch->nversions && used < outlen; i++) {
		char buf[16];
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "",
					 ciot_tls_version_name(ch->versions[i], buf, sizeof buf));
	}
}

/* The cipher suites offered, by name, and the classes among them in a fixed order. */
static void offered_ciphers(const struct ciot_tls_client_hello *ch, char *names, size_t nameslen, char *classes,
			    size_t classeslen)
{
	static const char *const order[] = { "insecure", "no-encryption", "anonymous", "psk", "forward-secret",
					     "other", "unknown" };
	bool seen[sizeof order / sizeof order[0]] = { false };
	size_t used = 0;
	names[0] = classes[0] = 0;
	for (unsigned i = 0; i < ch->nciphers; i++) {
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(ch->ciphers[i]);
		char hex[8];
		const char *name = hex;
		if (c)
			name = c->name;
		else
			snprintf(hex, sizeof hex, "0x%04x", ch->ciphers[i]);
		/* the list can be long (up to 256 suites): copied, not printed */
		size_t n = strlen(name);
		if (used + n + 2 <= nameslen) {
			if (i)
				names[used++] = ',';
			memcpy(names + used, name, n);
			used += n;
			names[used] = 0;
		}
		const char *cls = ciot_tls_cipher_class(ch->ciphers[i]);
		for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
			if (strcmp(cls, order[k]) == 0)
				seen[k] = true;
	}
	used = 0;
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		if (seen[k] && used < classeslen)
			used += (size_t)snprintf(classes + used, classeslen - used, "%s%s", used ? "," : "", order[k]);
}

/* The connection's row; the chains and certificates follow in store_chains. */
static enum ciot_rc store_connection(struct store *s, int64_t flow_id, const struct tls_record *t, int dev,
				    const struct tls_capture *r, char *errbuf)
{
	const struct ciot_tls_summary *x = t->summary;
	const struct ciot_tls_side *client = &x->side[CIOT_TLS_CLIENT], *server = &x->side[CIOT_TLS_SERVER];
	char client_version[16], version[16], highest[16], quic[16], versions[CIOT_TLS_MAX_VERSIONS * 16];
	char ciphers[CIOT_TLS_MAX_CIPHERS * 64], classes[128], findings[256], client_alerts[256], server_alerts[256];
	struct ciot_row row = ciot_insert_row(&s->connection, 0);
	ciot_row_int(&row, T_FLOW_ID, flow_id);
	ciot_row_static(&row, T_PROTOCOL, ciot_tls_protocol_name(x->protocol));
	ciot_row_static(&row, T_CLIENT, x->client_dir == dev ? "device" : "remote");
	ciot_row_int(&row, T_CLIENT_HELLO, client->hello);
	ciot_row_int(&row, T_SERVER_HELLO, server->hello);
	ciot_row_int(&row, T_SSLV2_HELLO, client->hello && x->ch.sslv2);
	if (client->hello) {
		ciot_row_text(&row, T_CLIENT_VERSION, version_or_null(x->ch.legacy_version, client_version, sizeof client_version));
		offered_versions(&x->ch, versions, sizeof versions);
		ciot_row_text(&row, T_OFFERED_VERSIONS, versions);
		uint16_t top = x->ch.nversions ? ciot_tls_highest_version(x->ch.versions, x->ch.nversions)
					       : x->ch.legacy_version;
		ciot_row_text(&row, T_HIGHEST_OFFERED, version_or_null(top, highest, sizeof highest));
		/* a ClientHello offers at least one suite: none read means the list was not (a malformed
		 * hello), which is NULL, not the empty list (docs/database.md: '' is a list known empty) */
		if (x->ch.nciphers) {
			offered_ciphers(&x->ch, ciphers, sizeof ciphers, classes, sizeof classes);
			ciot_row_text(&row, T_OFFERED_CIPHERS, ciphers);
			ciot_row_text(&row, T_OFFERED_CIPHER_CLASSES, classes);
		}
		ciot_row_text(&row, T_SNI, x->ch.sni[0] ? x->ch.sni : NULL);
		ciot_row_text(&row, T_ALPN, x->ch.alpn[0] ? x->ch.alpn : NULL);
	}
	ciot_row_text(&row, T_VERSION, version_or_null(x->version, version, sizeof version));
	if (x->protocol == CIOT_TLS_PROTO_QUIC)
		ciot_row_text(&row, T_QUIC_VERSION, ciot_quic_version_name(x->quic_version, quic, sizeof quic));
	bool cipher_known = server->hello && !x->sslv2_server;
	unsigned cipher_flags = 0;
	if (cipher_known) {
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(x->sh.cipher);
		char hex[8];
		snprintf(hex, sizeof hex, "0x%04x", x->sh.cipher);
		ciot_row_text(&row, T_CIPHER, c ? c->name : hex);
		ciot_row_int(&row, T_CIPHER_ID, x->sh.cipher);
		ciot_row_static(&row, T_CIPHER_CLASS, ciot_tls_cipher_class(x->sh.cipher));
		cipher_flags = c ? c->flags : 0;
	}
	ciot_row_int(&row, T_SESSION_TICKET, client->hello && x->ch.session_ticket);
	ciot_row_int(&row, T_PSK_OFFERED, client->hello && x->ch.psk);
	ciot_row_int(&row, T_RESUMED, x->resumed);
	ciot_row_int(&row, T_PSK, (cipher_flags & CIOT_CIPHER_PSK) || (cipher_known && x->sh.psk));
	ciot_row_int(&row, T_HELLO_RETRY, x->hello_retry);
	ciot_row_int(&row, T_CERTIFICATE_REQUEST, x->certificate_request);
	ciot_row_int(&row, T_SERVER_CERTIFICATES, (int)server->nchain);
	ciot_row_int(&row, T_CLIENT_CERTIFICATES, (int)client->nchain);
	if (server->nchain && t->audited) {
		ciot_row_static(&row, T_LEAF_SHA256, r->certs[t->chain[CIOT_TLS_SERVER][0]].sha256);
		ciot_x509_findings_text(t->chain_findings, findings, sizeof findings);
		ciot_row_text(&row, T_CHAIN_FINDINGS, findings);
		ciot_row_text(&row, T_CHAIN_ERROR, t->chain_error[0] ? t->chain_error : NULL);
		if (t->intercepted >= 0)
			ciot_row_int(&row, T_INTERCEPTED, t->intercepted);
	}
	ciot_row_int(&row, T_ESTABLISHED, x->established);
	ciot_row_int(&row, T_CLIENT_FINISHED, client->finished);
	ciot_row_int(&row, T_SERVER_FINISHED, server->finished);
	ciot_row_int(&row, T_CLIENT_APP_RECORDS, client->app_records);
	ciot_row_int(&row, T_CLIENT_APP_BYTES, (int64_t)client->app_bytes);
	ciot_row_int(&row, T_SERVER_APP_RECORDS, server->app_records);
	ciot_row_int(&row, T_SERVER_APP_BYTES, (int64_t)server->app_bytes);
	ciot_tls_alerts_text(client, client_alerts, sizeof client_alerts);
	ciot_tls_alerts_text(server, server_alerts, sizeof server_alerts);
	ciot_row_text(&row, T_CLIENT_ALERTS, client_alerts);
	ciot_row_text(&row, T_SERVER_ALERTS, server_alerts);
	const struct ciot_tls_side *closer = NULL;
	if (client->close != CIOT_TLS_OPEN &&
	    (server->close == CIOT_TLS_OPEN || client->close_packet < server->close_packet))
		closer = client;
	else if (server->close != CIOT_TLS_OPEN)
		closer = server;
	if (closer) {
		ciot_row_static(&row, T_CLOSED_BY, closer == client ? "client" : "server");
		ciot_row_static(&row, T_CLOSE, closer->close == CIOT_TLS_CLOSED_RST ? "rst" : "fin");
	}
	/* QUIC's handshake is encrypted: nothing to tell about it */
	if (x->protocol != CIOT_TLS_PROTO_QUIC)
		ciot_row_static(&row, T_OUTCOME, ciot_tls_outcome_name(ciot_tls_outcome_of(x)));
	ciot_row_int(&row, T_REASSEMBLY_GAPS, client->gaps + server->gaps);
	ciot_row_int(&row, T_HANDSHAKE_TRUNCATED, client->handshake_truncated || server->handshake_truncated);
	ciot_row_int(&row, T_HANDSHAKE_MALFORMED, client->handshake_malformed || server->handshake_malformed);
	return ciot_insert_run(&s->connection, "tls_connections", errbuf);
}

static enum ciot_rc store_chains(struct store *s, int64_t flow_id, const struct tls_record *t, struct tls_capture *r,
				 char *errbuf)
{
	const struct ciot_tls_summary *x = t->summary;
	static const char *const senders[2] = { [CIOT_TLS_CLIENT] = "client", [CIOT_TLS_SERVER] = "server" };
	for (int role = 0; role < 2; role++)
		for (unsigned c = 0; c < x->side[role].nchain; c++) {
			struct certificate *cert = &r->certs[t->chain[role][c]];
			if (!cert->stored) {
				enum ciot_rc rc = store_certificate(s, cert, errbuf);
				if (rc)
					return rc;
				cert->stored = true; /* once per capture: the rest is INSERT OR IGNORE's work */
			}
			struct ciot_row row = ciot_insert_row(&s->chain, 0);
			ciot_row_int(&row, H_FLOW_ID, flow_id);
			ciot_row_static(&row, H_SENDER, senders[role]);
			ciot_row_int(&row, H_POSITION, (int)c);
			ciot_row_static(&row, H_SHA256, cert->sha256);
			enum ciot_rc rc = ciot_insert_run(&s->chain, "tls_chains", errbuf);
			if (rc)
				return rc;
		}
	return CIOT_OK;
}


/* ---- the analyzer ---------------------------------------------------------------------------- */

static enum ciot_rc set_ca_file(void *p, const char *v, char *errbuf)
{
	(void)errbuf;
	((struct config *)p)->ca_file = v;
	return CIOT_OK;
}

static enum ciot_rc set_interceptor_ca(void *p, const char *v, char *errbuf)
{
	(void)errbuf;
	((struct config *)p)->interceptor_ca = v;
	return CIOT_OK;
}

static const struct ciot_option options[] = {
	{ "ca-file", 0, "FILE",
	  "judge certificate chains against the CA certificates in this PEM file\n"
	  "(default: the system trust store, Debian's ca-certificates through\n"
	  "OpenSSL's default paths); a copy kept with the dataset makes the\n"
	  "verdicts reproducible",
	  set_ca_file },
	{ "interceptor-ca", 0, "FILE",
	  "the certificate-interception tests' certificates (PEM): a server leaf\n"
	  "that is one of them or was signed by one is the interceptor's\n"
	  "(tls_connections.intercepted); give the interceptor's CA, and the\n"
	  "presented leaf for a test with a fixed one, never a public CA\n"
	  "(default: an issuer or subject named \"mitmproxy\")",
	  set_interceptor_ca },
	{ NULL, 0, NULL, NULL, NULL },
};

static enum ciot_rc run_new(void **out, const void *config, const struct ciot_dataset *ds, char *errbuf)
{
	(void)ds;
	const struct config *c = config;
	struct run *run = calloc(1, sizeof *run);
	if (!run)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = ciot_x509_trust_open(&run->trust, c->ca_file, errbuf);
	if (rc && c->ca_file) {
		char why[CIOT_ERRBUF_SIZE];
		snprintf(why, sizeof why, "%s", errbuf ? errbuf : "");
		free(run);
		return ciot_fail(errbuf, rc, "%s: %s", c->ca_file, why);
	}
	if (rc) {
		free(run);
		return rc;
	}
	if (c->interceptor_ca && (rc = ciot_x509_interceptor_open(&run->interceptor, c->interceptor_ca, errbuf))) {
		ciot_x509_trust_close(run->trust);
		free(run);
		return rc;
	}
	*out = run;
	return CIOT_OK;
}

static void run_free(void *p)
{
	struct run *run = p;
	if (!run)
		return;
	ciot_x509_trust_close(run->trust);
	ciot_x509_interceptor_close(run->interceptor);
	free(run);
}

static enum ciot_rc meta(const void *p, const void *config, ciot_meta_fn add, void *ctx, char *errbuf)
{
	(void)config;
	const struct run *run = p;
	enum ciot_rc rc = add(ctx, "trust_store", run ? ciot_x509_trust_description(run->trust) : NULL, errbuf);
	if (!rc && run && run->interceptor)
		rc = add(ctx, "interceptor_ca", ciot_x509_interceptor_description(run->interceptor), errbuf);
	return rc;
}

static enum ciot_rc worker_new(void **out, void *run, char *errbuf)
{
	(void)errbuf;
	*out = run; /* the trust store and the interceptor's certificates, read-only */
	return CIOT_OK;
}

static enum ciot_rc capture_begin(void *worker, struct ciot_capture_result *r, void **out, char *errbuf)
{
	(void)worker;
	(void)r;
	*out = calloc(1, sizeof(struct tls_capture));
	return *out ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
}

static void capture_result_free(void *p)
{
	struct tls_capture *r = p;
	for (size_t i = 0; i < r->ncerts; i++) {
		free(r->certs[i].der);
		ciot_x509_cert_free(r->certs[i].handle);
	}
	free(r->certs);
	free(r);
}

static void packet(void *worker, void *state, void *capture_result, struct ciot_packet_context *pc)
{
	(void)worker;
	(void)capture_result;
	ciot_tls_packet(state, pc->dir, pc->pkt);
}

static void flow_end(void *worker, void *state, void *result, void *capture_result,
		     const struct ciot_flow_end_context *fe)
{
	(void)worker;
	struct tls_record *t = tls_ended(fe->capture, capture_result, state, fe->family);
	if (result)
		*(struct tls_record **)result = t;
	else
		tls_record_free(t);
}

static void flow_result_free(void *result)
{
	tls_record_free(*(struct tls_record **)result);
}

/* A sharded capture: the shards' certificates into the capture's table in the order one worker
 * would have added them (the records' order, each chain in the order tls_ended walks it), each
 * record's chain pointed at them. A certificate two shards hold is the capture's once. */
static enum ciot_rc capture_merge(struct ciot_capture_result *r, struct ciot_capture_result *const *shards,
				  size_t nshards, size_t self, char *errbuf)
{
	struct tls_capture *to = r->results[self];
	uint32_t *map[64] = { 0 };
	if (nshards > sizeof map / sizeof map[0])
		return ciot_fail(errbuf, CIOT_ERR_ARG, "too many shards");
	enum ciot_rc rc = CIOT_OK;
	for (size_t i = 0; !rc && i < nshards; i++) {
		const struct tls_capture *from = shards[i]->results[self];
		if (from->ncerts && !(map[i] = malloc(from->ncerts * sizeof *map[i])))
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		for (size_t k = 0; map[i] && k < from->ncerts; k++)
			map[i][k] = UINT32_MAX;
	}
	for (size_t si = 0; !rc && si < r->nsegments; si++) {
		const struct ciot_segment_result *s = &r->segments[si];
		for (size_t fi = 0; !rc && fi < s->nflows; fi++) {
			const struct ciot_flow_record *f = ciot_segment_flow(r, s, fi);
			struct tls_record *t = *(struct tls_record **)ciot_flow_result(r, f, self);
			if (!t)
				continue;
			struct tls_capture *from = shards[f->shard]->results[self];
			for (int role = 0; !rc && role < 2; role++)
				for (unsigned c = 0; !rc && c < t->summary->side[role].nchain; c++) {
					uint32_t old = t->chain[role][c];
					if (map[f->shard][old] == UINT32_MAX) {
						struct certificate *cert = &from->certs[old];
						rc = certificate_move(to, cert, &map[f->shard][old], errbuf);
					}
					t->chain[role][c] = map[f->shard][old];
				}
		}
	}
	for (size_t i = 0; i < nshards; i++)
		free(map[i]);
	return rc;
}

static void capture_end(void *worker, void *capture_result, struct ciot_capture_result *r, size_t self)
{
	audit_certificates(worker, capture_result, r, self);
}

static const struct ciot_table *const tables[] = { &tls_connections_table, &certificates_table, &tls_chains_table,
						   NULL };

static enum ciot_rc store_open(void **out, sqlite3 *db, char *errbuf)
{
	struct store *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc;
	if ((rc = ciot_insert_prepare(db, &tls_connections_table, NULL, 0, &s->connection, errbuf)) ||
	    (rc = ciot_insert_prepare(db, &certificates_table, NULL, 0, &s->certificate, errbuf)) ||
	    (rc = ciot_insert_prepare(db, &tls_chains_table, NULL, 0, &s->chain, errbuf))) {
		ciot_insert_finalize(&s->connection);
		ciot_insert_finalize(&s->certificate);
		free(s);
		return rc;
	}
	*out = s;
	return CIOT_OK;
}

static void store_close(void *p)
{
	struct store *s = p;
	ciot_insert_finalize(&s->connection);
	ciot_insert_finalize(&s->certificate);
	ciot_insert_finalize(&s->chain);
	free(s);
}

static enum ciot_rc after_flow(void *store, void *capture_result, const struct ciot_core_row *row, char *errbuf)
{
	const struct tls_record *t = *(struct tls_record *const *)row->result;
	if (!t)
		return CIOT_OK;
	enum ciot_rc rc = store_connection(store, row->flow_id, t, row->record->device_end, capture_result, errbuf);
	if (!rc && t->audited)
		rc = store_chains(store, row->flow_id, t, capture_result, errbuf);
	return rc;
}

/* Certificates are shared by connections across captures: those no stored connection presents
 * any more (their captures were re-analyzed or failed) go at the end of a run. */
static enum ciot_rc run_end(sqlite3 *db, char *errbuf)
{
	return ciot_db_exec(db,
			    "DELETE FROM certificates WHERE NOT EXISTS"
			    " (SELECT 1 FROM tls_chains c WHERE c.sha256 = certificates.sha256)",
			    "certificates", errbuf);
}

const struct ciot_analyzer ciot_analyzer_tls = {
	.name = "tls",
	.config_size = sizeof(struct config),
	.options_title = "TLS audit (docs/tls.md)",
	.options = options,
	.run_new = run_new,
	.run_free = run_free,
	.meta = meta,
	.worker_new = worker_new,
	.flow_state_size = sizeof(struct ciot_tls_flow),
	.flow_result_size = sizeof(struct tls_record *),
	.capture_begin = capture_begin,
	.packet = packet,
	.flow_end = flow_end,
	.capture_end = capture_end,
	.capture_merge = capture_merge,
	.flow_result_free = flow_result_free,
	.capture_result_free = capture_result_free,
	.tables = tables,
	.schema_after =
		"CREATE INDEX IF NOT EXISTS tls_chains_sha256 ON tls_chains(sha256);\n"
		"CREATE VIEW IF NOT EXISTS tls_view AS\n"
		"  SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,\n"
		"         c.subphase AS subphase, c.firmware AS firmware, c.interception AS interception,\n"
		"         c.file AS file, f.transport AS transport, f.device_ip AS device_ip,\n"
		"         f.device_port AS device_port, f.remote_ip AS remote_ip, f.remote_port AS remote_port,\n"
		"         f.first_us AS first_us, f.last_us AS last_us, f.end_reason AS end_reason, t.*\n"
		"  FROM tls_connections t JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id\n"
		"  JOIN devices d ON d.id = c.device_id;\n",
	.store_open = store_open,
	.store_close = store_close,
	.after_flow = after_flow,
	.run_end = run_end,
};
