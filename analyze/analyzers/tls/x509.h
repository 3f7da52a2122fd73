/* x509.h: what a certificate says and what is wrong with it, read with OpenSSL 3.
 *
 * A certificate chain as a server presented it (leaf first) is judged against the system trust
 * store (Debian's ca-certificates, through OpenSSL's default paths) at the time of the capture,
 * not the time of the analysis, and against the host name the client asked for.
 */
#ifndef CIOT_X509_H
#define CIOT_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciot/ciot.h"

#define CIOT_X509_TEXT_MAX 512
#define CIOT_X509_SANS_MAX 2048
#define CIOT_X509_MAX_VALIDITY_DAYS 398 /* the CA/Browser Forum's limit, the paper's "13 months" */

enum ciot_x509_finding {
	CIOT_X509_WEAK_SIGNATURE = 1 << 0, /* MD5 or SHA-1 (or MD2, MD4) */
	CIOT_X509_WEAK_KEY = 1 << 1,       /* RSA or DSA below 2048 bits, EC below 224 */
	CIOT_X509_SELF_SIGNED = 1 << 2,    /* issuer = subject and its own key verifies its signature */
	CIOT_X509_LONG_VALIDITY = 1 << 3,  /* more than CIOT_X509_MAX_VALIDITY_DAYS */
	CIOT_X509_EXPIRED = 1 << 4,        /* at the time given */
	CIOT_X509_NOT_YET_VALID = 1 << 5,
	CIOT_X509_UNTRUSTED = 1 << 6,      /* the chain does not verify against the trust store */
	CIOT_X509_NAME_MISMATCH = 1 << 7   /* the host name is not covered by the leaf */
};
/* Comma-separated names of the findings: "weak-signature,self-signed"; "" for none. */
void ciot_x509_findings_text(unsigned findings, char *out, size_t outlen);

struct ciot_x509_info {
	char sha256[65];                      /* of the DER, lower-case hex */
	char subject[CIOT_X509_TEXT_MAX];     /* RFC 2253 form */
	char issuer[CIOT_X509_TEXT_MAX];
	char serial[CIOT_X509_TEXT_MAX];      /* hex */
	char sans[CIOT_X509_SANS_MAX];        /* "DNS:a.example.com,IP:192.0.2.1" */
	int64_t not_before, not_after;        /* Unix seconds (UTCTime and GeneralizedTime both) */
	int64_t validity_days;                /* (not_after - not_before) / 86400, rounded down */
	char sig_alg[64];                     /* "sha256WithRSAEncryption" */
	char key_type[16];                    /* "RSA", "EC", "DSA", "Ed25519", "Ed448", "unknown" */
	int key_bits;                         /* RSA/DSA modulus bits; EC key size as OpenSSL reports
						 it (the group order's bits) */
	char curve[32];                       /* "prime256v1" for EC, else "" */
	bool ca;                              /* basicConstraints CA:TRUE */
	unsigned findings;                    /* the certificate's own: weak signature and key,
						 self-signed, long validity */
};

/* The SHA-256 of any bytes (a certificate's DER, even one that does not parse), lower-case hex. */
enum ciot_rc ciot_x509_sha256(const uint8_t *der, size_t len, char out[65], char *errbuf);

/* Parses one DER certificate; an error says why (not a certificate, trailing bytes, ...). */
enum ciot_rc ciot_x509_parse(const uint8_t *der, size_t len, struct ciot_x509_info *out, char *errbuf);

struct ciot_x509_trust;
/* Loads the system trust store once; thread-safe to use afterwards. `ca_file` NULL: OpenSSL's
 * default paths. */
enum ciot_rc ciot_x509_trust_open(struct ciot_x509_trust **out, const char *ca_file, char *errbuf);
void ciot_x509_trust_close(struct ciot_x509_trust *t);
/* The open interval (lo, hi) around `at` in which no certificate of the store starts or ends its
 * validity: within it a chain's verdict changes only with its own certificates' dates, so that a
 * verdict found at `at` holds for every time of the interval that is also inside the chain's own
 * boundaries. False when that cannot be known (a directory store read lazily, `at` on a boundary). A
 * NULL store: the whole line. */
bool ciot_x509_trust_stable(const struct ciot_x509_trust *t, int64_t at, int64_t *lo, int64_t *hi);
/* What was loaded: "140 CA certificates from /usr/lib/ssl/cert.pem (...)", for the record. */
const char *ciot_x509_trust_description(const struct ciot_x509_trust *t);

/* Judges a presented chain (ders[0] the leaf) at Unix time `at` for host name `host` (NULL or "":
 * no name check): returns the chain's findings and, when untrusted, OpenSSL's reason in `why`.
 * EXPIRED and NOT_YET_VALID are the leaf's own dates; an intermediate or root not valid at `at`
 * makes the chain UNTRUSTED. A NULL trust store checks dates and names only. A chain that could
 * not be judged at all (no memory) is UNTRUSTED with a "could not verify: ..." reason. */
unsigned ciot_x509_judge_chain(const struct ciot_x509_trust *t, const uint8_t *const *ders, const size_t *lens,
			       size_t n, int64_t at, const char *host, char *why, size_t whylen);

/* The same on certificates parsed once (OpenSSL 3 takes tens of microseconds to decode one, more
 * than verifying it), for judging the many connections that present the same chain. A certificate
 * that does not parse is a handle without one: a leaf of that kind makes the chain UNTRUSTED, and
 * an intermediate is left out. NULL only when memory runs out. Not to be shared between threads
 * while judged (OpenSSL caches in the certificate). */
struct ciot_x509_cert;
struct ciot_x509_cert *ciot_x509_cert_new(const uint8_t *der, size_t len);
void ciot_x509_cert_free(struct ciot_x509_cert *c);
/* ciot_x509_parse on a handle already made from the same DER, without decoding it again. */
enum ciot_rc ciot_x509_cert_info(const struct ciot_x509_cert *c, const uint8_t *der, size_t len,
				 struct ciot_x509_info *out, char *errbuf);
unsigned ciot_x509_judge_certs(const struct ciot_x509_trust *t, struct ciot_x509_cert *const *chain, size_t n,
			       int64_t at, const char *host, char *why, size_t whylen);

/* The certificate-interception test's own certificates (docs/tls.md, "Which connections met the
 * interceptor"): a server leaf is the interceptor's when it is one of the certificates of the
 * researcher's PEM file (`--interceptor-ca`), or was issued and signed by one of them; without a
 * file, when its issuer or subject has the common name or organization "mitmproxy" (the CA that
 * mitmproxy makes on its first start). */
struct ciot_x509_interceptor;
/* Loads every certificate of a PEM file; an error when there is none. */
enum ciot_rc ciot_x509_interceptor_open(struct ciot_x509_interceptor **out, const char *pem_file, char *errbuf);
void ciot_x509_interceptor_close(struct ciot_x509_interceptor *i);
/* "2 certificates from FILE", for the record. */
const char *ciot_x509_interceptor_description(const struct ciot_x509_interceptor *i);
/* 1: the leaf is the interceptor's (by `i`, or by the mitmproxy name when `i` is NULL); 0: it is
 * not; -1: cannot tell (the leaf does not parse). Not to be shared between threads while called. */
int ciot_x509_intercepted(const struct ciot_x509_interceptor *i, const struct ciot_x509_cert *leaf);

#endif
