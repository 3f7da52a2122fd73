/* x509.c: what a certificate says and what is wrong with it (x509.h), read with OpenSSL 3's
 * libcrypto, and the judgement of a presented chain against a trust store at the capture's time.
 *
 * Everything a certificate carries is hostile input: names, SANs and serials come from whoever
 * made the certificate and end up in CSV files and on terminals. So every text field is printable
 * ASCII only (OpenSSL's RFC 2253 escapes for names, \XX escapes for SAN values, '?' for anything
 * that slips through), and every field is bounded, with "..." at the end when it was cut.
 *
 * OpenSSL reports failures on a per-thread error queue. Each public function sets a mark on entry
 * and pops back to it on every way out, so one bad certificate neither leaves errors behind that
 * would be blamed on the next one nor erases errors that were there before the call.
 *
 * Decisions:
 * - Long validity is measured in seconds: notAfter - notBefore longer than 398 days of 86400 s.
 *   A certificate valid for 398 days and one hour is flagged although validity_days says 398.
 * - Key bits are EVP_PKEY_get_bits: what `openssl x509 -text` prints. For EC that is the bits of
 *   the group order, equal to the field bits for P-192/224/256/384/521 and the Brainpool curves
 *   (secp160r1, whose order has 161 bits, is the rare exception). RSA-PSS keys are "RSA", SM2 keys
 *   "EC" with curve "SM2"; other key types (X25519 in a certificate, unknown OIDs) are "unknown"
 *   and never weak.
 * - Judging a chain: time errors on the leaf become EXPIRED or NOT_YET_VALID (from the leaf's own
 *   dates against `at`) and do not make the chain UNTRUSTED; any other verification error does,
 *   including an intermediate or root that is expired or not yet valid at `at` (the chain then
 *   does not lead to a root that was valid at the capture's time), and `why` names it with its
 *   depth. A presented intermediate that is not DER is skipped (it cannot help the chain, and
 *   OpenSSL reports what is then missing); an unparsable leaf is UNTRUSTED. At most CHAIN_MAX
 *   certificates after the leaf are used, which bounds the work a hostile chain can cause.
 * - Host names: X509_check_host without partial wildcards ("f*.example.com" does not match), and
 *   with OpenSSL's fallback to the subject's CN when the leaf has no DNS SAN, as the TLS libraries
 *   in devices do. An IP literal is matched against IP SANs only (X509_check_ip_asc). NULL or ""
 *   means no name to check.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "x509.h"

#define CHAIN_MAX 32 /* certificates after the leaf that a judgement uses; real chains have 1-4 */
#define CUT_MARK "..."

/* ---- bounded text ---- */

/* A comma-separated list written into a fixed buffer. Each item is added only when, after it, there
 * is still room for ",..." so that a list that has to be cut can always say so. */
struct list {
	char *buf;
	size_t cap, len;
	bool cut;
};

static void list_init(struct list *l, char *buf, size_t cap)
{
	*l = (struct list){ .buf = buf, .cap = cap };
	if (cap)
		buf[0] = 0;
}

static void list_mark_cut(struct list *l)
{
	if (l->cut || !l->cap)
		return;
	l->cut = true;
	const char *mark = l->len ? "," CUT_MARK : CUT_MARK;
	size_t n = strlen(mark);
	if (l->len + n < l->cap) {
		memcpy(l->buf + l->len, mark, n + 1);
		l->len += n;
	}
}

/* Room for an item of n bytes (with its separator), keeping room for the cut marker. */
static bool list_room(const struct list *l, size_t n)
{
	if (l->cut)
		return false;
	size_t need = (l->len ? 1 : 0) + n + strlen("," CUT_MARK) + 1;
	return l->len <= l->cap && need <= l->cap - l->len;
}

static void list_add(struct list *l, const char *item)
{
	size_t n = strlen(item);
	if (!list_room(l, n)) {
		list_mark_cut(l);
		return;
	}
	if (l->len)
		l->buf[l->len++] = ',';
	memcpy(l->buf + l->len, item, n + 1);
	l->len += n;
}

/* Whether a SAN value's byte must be written as \XX: anything but printable ASCII, and the
 * separator and the escape character themselves, so that the list can be split on commas again. */
static bool san_escaped(unsigned char c)
{
	return c < 0x20 || c > 0x7e || c == ',' || c == '\\';
}

/* Adds prefix + value, escaping the value's bytes (they are IA5String content, i.e. anything). */
static void list_add_escaped(struct list *l, const char *prefix, const unsigned char *v, size_t n)
{
	size_t plen = strlen(prefix), out = plen;
	for (size_t i = 0; i < n; i++)
		out += san_escaped(v[i]) ? 3 : 1;
	if (!list_room(l, out)) {
		list_mark_cut(l);
		return;
	}
	if (l->len)
		l->buf[l->len++] = ',';
	memcpy(l->buf + l->len, prefix, plen);
	l->len += plen;
	for (size_t i = 0; i < n; i++) {
		if (san_escaped(v[i])) {
			snprintf(l->buf + l->len, 4, "\\%02X", v[i]);
			l->len += 3;
		} else {
			l->buf[l->len++] = (char)v[i];
		}
	}
	l->buf[l->len] = 0;
}

/* Copies n bytes of text into out (cap > 0), replacing anything that is not printable ASCII with
 * '?' and ending with "..." when it does not fit. */
static void copy_text(char *out, size_t cap, const char *src, size_t n)
{
	size_t keep = n;
	bool cut = n >= cap;
	if (cut)
		keep = cap > strlen(CUT_MARK) ? cap - 1 - strlen(CUT_MARK) : 0;
	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)src[i];
		out[i] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
	}
	out[keep] = 0;
	if (cut && keep + strlen(CUT_MARK) < cap)
		memcpy(out + keep, CUT_MARK, strlen(CUT_MARK) + 1);
}

/* ---- findings ---- */

static const struct {
	unsigned flag;
	const char *name;
} finding_names[] = {
	{ CIOT_X509_WEAK_SIGNATURE, "weak-signature" }, { CIOT_X509_WEAK_KEY, "weak-key" },
	{ CIOT_X509_SELF_SIGNED, "self-signed" },       { CIOT_X509_LONG_VALIDITY, "long-validity" },
	{ CIOT_X509_EXPIRED, "expired" },               { CIOT_X509_NOT_YET_VALID, "not-yet-valid" },
	{ CIOT_X509_UNTRUSTED, "untrusted" },           { CIOT_X509_NAME_MISMATCH, "name-mismatch" },
};

void ciot_x509_findings_text(unsigned findings, char *out, size_t outlen)
{
	if (!out || !outlen)
		return;
	struct list l;
	list_init(&l, out, outlen);
	for (size_t i = 0; i < sizeof finding_names / sizeof finding_names[0]; i++)
		if (findings & finding_names[i].flag)
			list_add(&l, finding_names[i].name);
}

/* ---- fields of one certificate ---- */

/* The reason of OpenSSL's most recent error, for messages; "" when it gave none. */
static const char *openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "no detail";
}

/* Exactly one DER certificate: d2i_X509 would happily stop before the end of the buffer. */
static X509 *der_cert(const uint8_t *der, size_t len, bool *trailing)
{
	*trailing = false;
	if (!der || !len || len > LONG_MAX)
		return NULL;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		*trailing = true;
		X509_free(x);
		return NULL;
	}
	return x;
}

/* ASN1_TIME_to_tm reads UTCTime (years 1950-2049) and GeneralizedTime alike; timegm then counts
 * in UTC, which is what both forms mean with their "Z" (offsets were folded in by OpenSSL). */
static bool asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm)) /* a NULL time would mean "now" to OpenSSL */
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

static bool cert_times(const X509 *x, int64_t *not_before, int64_t *not_after)
{
	return asn1_time_unix(X509_get0_notBefore(x), not_before) &&
	       asn1_time_unix(X509_get0_notAfter(x), not_after);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* RFC 2253, as `openssl x509 -nameopt RFC2253` prints it: non-ASCII and control characters come out
 * as \XX escapes. A string OpenSSL cannot convert (a BMPString of odd length, a UTF8String that is
 * not UTF-8) would make it give up on the whole name; OpenSSL 3 already refuses such names while
 * decoding (it converts every string to UTF-8 to compare names), but should one get through, the
 * second try prints every value as the bytes it holds. */
static bool name_text(const X509_NAME *name, char *out, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_mem());
	if (!bio)
		return false;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
		(void)BIO_reset(bio);
		unsigned long raw = (XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_UTF8_CONVERT) |
				    ASN1_STRFLGS_IGNORE_TYPE;
		if (X509_NAME_print_ex(bio, name, 0, raw) < 0) {
			BIO_free(bio);
			copy_text(out, cap, "<unprintable>", strlen("<unprintable>"));
			return true;
		}
	}
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	copy_text(out, cap, p ? p : "", n > 0 ? (size_t)n : 0);
	BIO_free(bio);
	return true;
}

/* Hex bytes as i2a_ASN1_INTEGER (`openssl x509 -serial`) writes them: two digits a byte, upper
 * case, "-" before a negative one, "00" for an empty one. */
static void serial_text(const ASN1_INTEGER *s, char *out, size_t cap)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	size_t len = 0;
	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER)
		out[len++] = '-';
	if (n <= 0) {
		snprintf(out + len, cap - len, "00");
		return;
	}
	size_t room = cap - 1 - len - strlen(CUT_MARK);
	size_t keep = (size_t)n * 2 <= cap - 1 - len ? (size_t)n : room / 2;
	for (size_t i = 0; i < keep; i++, len += 2)
		snprintf(out + len, 3, "%02X", d[i]);
	out[len] = 0;
	if (keep < (size_t)n)
		memcpy(out + len, CUT_MARK, strlen(CUT_MARK) + 1);
}

/* An IP SAN's bytes: an address when it has 4 or 16 of them. Anything else (name constraints put
 * address/mask pairs in this type, a leaf should not) as hex, so that it is visible, not dropped. */
static void list_add_ip(struct list *l, const ASN1_OCTET_STRING *s)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	char text[2 * 32 + 1] = "";
	int af = n == 4 ? AF_INET : n == 16 ? AF_INET6 : 0;
	if (!af || !inet_ntop(af, d, text, sizeof text)) {
		text[0] = 0;
		for (int k = 0; k < n && k < 32; k++)
			snprintf(text + 2 * k, 3, "%02x", d[k]);
		list_add_escaped(l, "IP:invalid:", (const unsigned char *)text, strlen(text));
		return;
	}
	list_add_escaped(l, "IP:", (const unsigned char *)text, strlen(text));
}

static void sans_text(const X509 *x, char *out, size_t cap)
{
	struct list l;
	list_init(&l, out, cap);
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (!gens)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !l.cut; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s;
		switch (g->type) {
		case GEN_DNS:
			s = g->d.dNSName;
			list_add_escaped(&l, "DNS:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			break;
		case GEN_IPADD:
			list_add_ip(&l, g->d.iPAddress);
			break;
		case GEN_EMAIL:
			s = g->d.rfc822Name;
			list_add_escaped(&l, "email:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			break;
		case GEN_URI:
			s = g->d.uniformResourceIdentifier;
			list_add_escaped(&l, "URI:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			break;
		default:
			break; /* otherName, directoryName, registeredID, ...: not asked for */
		}
	}
	GENERAL_NAMES_free(gens);
}

static void sig_alg_text(const X509 *x, char *out, size_t cap)
{
	int nid = X509_get_signature_nid(x);
	const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
	if (ln) {
		copy_text(out, cap, ln, strlen(ln));
		return;
	}
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *oid = NULL;
	X509_get0_signature(NULL, &alg, x);
	if (alg)
		X509_ALGOR_get0(&oid, NULL, NULL, alg);
	char txt[128];
	if (!oid || OBJ_obj2txt(txt, sizeof txt, oid, 1) <= 0)
		snprintf(txt, sizeof txt, "unknown");
	copy_text(out, cap, txt, strlen(txt));
}

/* The digest behind the signature: X509_get_signature_info also looks inside RSA-PSS parameters;
 * the sigid table is the fallback when it cannot (an unknown algorithm). */
static bool weak_signature(X509 *x)
{
	int md = NID_undef, pk = NID_undef;
	if (!X509_get_signature_info(x, &md, NULL, NULL, NULL))
		if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
			md = NID_undef;
	switch (md) {
	case NID_md2:
	case NID_md4:
	case NID_md5:
	case NID_md5_sha1:
	case NID_sha: /* SHA-0, older and weaker than SHA-1 */
	case NID_sha1:
		return true;
	default:
		return false;
	}
}

/* Key type, size and curve, and whether the key is too weak. */
static bool key_fields(X509 *x, struct ciot_x509_info *out)
{
	snprintf(out->key_type, sizeof out->key_type, "unknown");
	EVP_PKEY *pk = X509_get0_pubkey(x); /* owned by x */
	if (!pk)
		return false;
	out->key_bits = EVP_PKEY_get_bits(pk);
	if (out->key_bits < 0)
		out->key_bits = 0;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(out->key_type, sizeof out->key_type, "RSA");
		return out->key_bits < 2048;
	case EVP_PKEY_DSA:
		snprintf(out->key_type, sizeof out->key_type, "DSA");
		return out->key_bits < 2048;
	case EVP_PKEY_EC:
	case EVP_PKEY_SM2: {
		snprintf(out->key_type, sizeof out->key_type, "EC");
		char curve[sizeof out->curve];
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL))
			copy_text(out->curve, sizeof out->curve, curve, strlen(curve));
		return out->key_bits < 224;
	}
	case EVP_PKEY_ED25519:
		snprintf(out->key_type, sizeof out->key_type, "Ed25519");
		return false;
	case EVP_PKEY_ED448:
		snprintf(out->key_type, sizeof out->key_type, "Ed448");
		return false;
	default:
		return false;
	}
}

static bool self_signed(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	return pk && X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) == 0 &&
	       X509_verify(x, pk) == 1;
}

enum ciot_rc ciot_x509_sha256(const uint8_t *der, size_t len, char out[65], char *errbuf)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	out[0] = 0;
	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "SHA-256 failed (%s)", openssl_reason());
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return CIOT_OK;
}

/* The fields of a parsed certificate; der and len are its encoding (for the SHA-256). */
static enum ciot_rc fields(X509 *x, const uint8_t *der, size_t len, struct ciot_x509_info *out, char *errbuf)
{
	enum ciot_rc rc = ciot_x509_sha256(der, len, out->sha256, errbuf);
	if (rc)
		goto done;
	if (!cert_times(x, &out->not_before, &out->not_after)) {
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "certificate with an invalid notBefore or notAfter time");
		goto done;
	}
	if (!name_text(X509_get_subject_name(x), out->subject, sizeof out->subject) ||
	    !name_text(X509_get_issuer_name(x), out->issuer, sizeof out->issuer)) {
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory printing a certificate name");
		goto done;
	}
	serial_text(X509_get0_serialNumber(x), out->serial, sizeof out->serial);
	sans_text(x, out->sans, sizeof out->sans);
	out->validity_days = floor_div(out->not_after - out->not_before, 86400);
	sig_alg_text(x, out->sig_alg, sizeof out->sig_alg);
	out->ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	if (weak_signature(x))
		out->findings |= CIOT_X509_WEAK_SIGNATURE;
	if (key_fields(x, out))
		out->findings |= CIOT_X509_WEAK_KEY;
	if (self_signed(x))
		out->findings |= CIOT_X509_SELF_SIGNED;
	/* both sides are at most year 9999, far inside int64_t */
	if (out->not_after - out->not_before > (int64_t)CIOT_X509_MAX_VALIDITY_DAYS * 86400)
		out->findings |= CIOT_X509_LONG_VALIDITY;
done:
	return rc;
}

static enum ciot_rc parse(const uint8_t *der, size_t len, struct ciot_x509_info *out, char *errbuf)
{
	bool trailing;
	X509 *x = der_cert(der, len, &trailing);
	if (!x) {
		if (trailing)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "certificate followed by trailing bytes");
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "not a DER certificate (%s)", openssl_reason());
	}
	enum ciot_rc rc = fields(x, der, len, out, errbuf);
	X509_free(x);
	return rc;
}

enum ciot_rc ciot_x509_parse(const uint8_t *der, size_t len, struct ciot_x509_info *out, char *errbuf)
{
	if (!out)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no place for the certificate's fields");
	memset(out, 0, sizeof *out);
	if (!der || !len)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "empty certificate");
	ERR_set_mark();
	enum ciot_rc rc = parse(der, len, out, errbuf);
	ERR_pop_to_mark();
	if (rc != CIOT_OK)
		memset(out, 0, sizeof *out); /* no half-filled record */
	return rc;
}

/* ---- trust store ---- */

struct ciot_x509_trust {
	X509_STORE *store;
	char description[512];
	/* The system's CA file is read at the first chain judged, not at open: decoding its 144
	 * certificates is 227 million instructions (OpenSSL 3's key decoders), 85 % of a run's start-up,
	 * and a capture without a certificate never needs it. NULL once read, or for a store read whole
	 * at open (--ca-file) or a hashed directory (read by OpenSSL as needed). */
	char *lazy_file;
	pthread_mutex_t lazy_lock;
	/* every notBefore and notAfter of the store's certificates, sorted; only when the store was
	 * read whole from a file (a hashed directory is read lazily: its certificates are not known) */
	int64_t *bounds;
	size_t nbounds;
	bool bounds_known;
};

static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The validity boundaries of a store read whole; false when memory ran out (no reuse then). */
static bool collect_bounds(struct ciot_x509_trust *t)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(t->store);
	int n = sk_X509_OBJECT_num(objs);
	t->bounds = calloc((size_t)(n > 0 ? n : 1) * 2, sizeof *t->bounds);
	if (!t->bounds)
		return false;
	for (int i = 0; i < n; i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		int64_t nb, na;
		if (!x)
			continue;
		if (!cert_times(x, &nb, &na))
			return false;
		t->bounds[t->nbounds++] = nb;
		t->bounds[t->nbounds++] = na;
	}
	qsort(t->bounds, t->nbounds, sizeof *t->bounds, compare_int64);
	return true;
}

/* Reads the lazily read CA file, once, whichever thread judges a chain first. The store is
 * logically constant (its contents are decided at open), so the callers keep their const. A file
 * that loaded at open's check but not now (changed since) leaves the hashed directory instead,
 * said once on stderr: the run's chains are still judged, against the system's other copy. */
static int store_certificates(X509_STORE *store);

static void trust_ready(const struct ciot_x509_trust *ct)
{
	struct ciot_x509_trust *t = (struct ciot_x509_trust *)ct;
	pthread_mutex_lock(&t->lazy_lock);
	if (t->lazy_file) {
		ERR_set_mark();
		if (X509_STORE_load_file(t->store, t->lazy_file) && store_certificates(t->store) > 0) {
			t->bounds_known = collect_bounds(t);
		} else {
			const char *dir = getenv(X509_get_default_cert_dir_env());
			if (!dir)
				dir = X509_get_default_cert_dir();
			fprintf(stderr, "ciot: warning: %s: cannot load its CA certificates now (%s); judging chains "
					"against the hashed certificates of %s\n",
				t->lazy_file, openssl_reason(), dir);
			X509_STORE_load_path(t->store, dir);
		}
		ERR_pop_to_mark();
		free(t->lazy_file);
		t->lazy_file = NULL;
	}
	pthread_mutex_unlock(&t->lazy_lock);
}

bool ciot_x509_trust_stable(const struct ciot_x509_trust *t, int64_t at, int64_t *lo, int64_t *hi)
{
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	if (!t)
		return true;
	trust_ready(t);
	if (!t->bounds_known)
		return false;
	for (size_t i = 0; i < t->nbounds; i++) {
		if (t->bounds[i] == at)
			return false;
		if (t->bounds[i] < at)
			*lo = t->bounds[i];
		else if (t->bounds[i] < *hi)
			*hi = t->bounds[i];
	}
	return true;
}

static int store_certificates(X509_STORE *store)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
	int n = 0;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++)
		if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509)
			n++;
	return n;
}

/* Whether one of the colon-separated directories holds a hashed certificate name ("1a2b3c4d.0"):
 * the only way to see that the lazily searched directory lookup would find anything. */
static bool hashed_dir_has_certificates(const char *dirs)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", dirs);
	char *save = NULL;
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		DIR *dir = opendir(d);
		if (!dir)
			continue;
		struct dirent *e;
		bool found = false;
		while (!found && (e = readdir(dir))) {
			const char *s = e->d_name;
			size_t hex = strspn(s, "0123456789abcdef");
			found = hex == 8 && s[8] == '.' && s[9] && strspn(s + 9, "0123456789") == strlen(s + 9);
		}
		closedir(dir);
		if (found)
			return true;
	}
	return false;
}

/* The certificates of a PEM file, counted by their BEGIN lines without decoding them (the count
 * the store holds once read: Debian's bundle has no duplicate); 0 for an unreadable file or one
 * without a certificate. */
static int pem_certificates(const char *path)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----", trusted[] = "-----BEGIN TRUSTED CERTIFICATE-----";
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[256];
	int n = 0;
	bool line_start = true;
	while (fgets(line, sizeof line, f)) {
		if (line_start && (!strncmp(line, begin, sizeof begin - 1) || !strncmp(line, trusted, sizeof trusted - 1)))
			n++;
		line_start = strchr(line, '\n') != NULL; /* a line longer than the buffer goes on */
	}
	fclose(f);
	return n;
}

static enum ciot_rc trust_load(struct ciot_x509_trust *t, const char *ca_file, char *errbuf)
{
	X509_STORE *store = t->store;
	if (ca_file) {
		if (!X509_STORE_load_file(store, ca_file))
			return ciot_fail(errbuf, CIOT_ERR_IO, "cannot load CA certificates from %s (%s)", ca_file,
					 openssl_reason());
		int n = store_certificates(store);
		if (n == 0)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "no CA certificate in %s", ca_file);
		snprintf(t->description, sizeof t->description, "%d CA certificates from %s", n, ca_file);
		t->bounds_known = collect_bounds(t);
		return CIOT_OK;
	}
	/* The default file (Debian: /usr/lib/ssl/cert.pem -> /etc/ssl/certs/ca-certificates.crt), else
	 * the hashed directory. Not X509_STORE_set_default_paths: in OpenSSL 3 it also adds the
	 * directory as an OSSL_STORE URI, which lists the whole directory on every issuer lookup (that
	 * was most of the analysis's time on a capture with thousands of TLS connections). The
	 * directory is read through the "hash dir" lookup, which opens only the files named by an
	 * issuer's hash. */
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	if (!file)
		file = X509_get_default_cert_file();
	if (!dir)
		dir = X509_get_default_cert_dir();
	int n = pem_certificates(file);
	if (n > 0) {
		snprintf(t->description, sizeof t->description, "%d CA certificates from %s", n, file);
		t->lazy_file = strdup(file);
		if (!t->lazy_file)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory for the trust store");
		return CIOT_OK;
	}
	ERR_clear_error();
	if (!hashed_dir_has_certificates(dir) || !X509_STORE_load_path(store, dir))
		return ciot_fail(errbuf, CIOT_ERR_IO,
				 "no CA certificates in the system trust store (%s, %s): install ca-certificates "
				 "or set SSL_CERT_FILE",
				 file, dir);
	snprintf(t->description, sizeof t->description, "the hashed CA certificates of %s", dir);
	return CIOT_OK;
}

enum ciot_rc ciot_x509_trust_open(struct ciot_x509_trust **out, const char *ca_file, char *errbuf)
{
	if (!out)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no place for the trust store");
	*out = NULL;
	struct ciot_x509_trust *t = calloc(1, sizeof *t);
	if (!t)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory for the trust store");
	ERR_set_mark();
	enum ciot_rc rc = CIOT_OK;
	pthread_mutex_init(&t->lazy_lock, NULL);
	t->store = X509_STORE_new();
	if (!t->store)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory for the trust store");
	else
		rc = trust_load(t, ca_file, errbuf);
	ERR_pop_to_mark();
	if (rc != CIOT_OK) {
		ciot_x509_trust_close(t);
		return rc;
	}
	*out = t;
	return CIOT_OK;
}

const char *ciot_x509_trust_description(const struct ciot_x509_trust *t)
{
	return t->description;
}

void ciot_x509_trust_close(struct ciot_x509_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	free(t->bounds);
	free(t->lazy_file);
	pthread_mutex_destroy(&t->lazy_lock);
	free(t);
}

/* ---- judging a chain ---- */

/* What the verify callback saw: the first error that makes the chain untrusted. */
struct verdict {
	int error, depth; /* error 0: none */
};

static int verdict_index = -1;
static CRYPTO_ONCE verdict_once = CRYPTO_ONCE_STATIC_INIT;

static void verdict_index_init(void)
{
	verdict_index = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* Lets the leaf's own time errors pass (they are EXPIRED and NOT_YET_VALID, judged from its dates)
 * and stops at anything else, remembering it. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return ok;
	int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
	if (depth == 0 && (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	struct verdict *v = X509_STORE_CTX_get_ex_data(ctx, verdict_index);
	if (v && !v->error) {
		v->error = err;
		v->depth = depth;
	}
	return 0;
}

static void set_why(char *why, size_t whylen, const char *text, int depth)
{
	if (!why || !whylen)
		return;
	char buf[256] = ""; /* gcc 12 -O3 cannot see that both branches write it */
	if (depth >= 0)
		snprintf(buf, sizeof buf, "%s at depth %d", text, depth);
	else
		snprintf(buf, sizeof buf, "%s", text);
	copy_text(why, whylen, buf, strlen(buf));
}

/* Whether the chain leads to a trusted root at `at`, apart from the leaf's own dates. */
static bool chain_trusted(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, int64_t at, char *why,
			  size_t whylen)
{
	if (CRYPTO_THREAD_run_once(&verdict_once, verdict_index_init) != 1 || verdict_index < 0) {
		set_why(why, whylen, "could not verify: OpenSSL initialisation failed", -1);
		return false;
	}
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		X509_STORE_CTX_free(ctx);
		set_why(why, whylen, "could not verify: out of memory", -1);
		return false;
	}
	struct verdict v = { 0, -1 };
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)at);
	X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	X509_STORE_CTX_set_ex_data(ctx, verdict_index, &v);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	int ret = X509_verify_cert(ctx);
	bool trusted = ret == 1 && v.error == 0;
	if (!trusted) {
		int err = v.error ? v.error : X509_STORE_CTX_get_error(ctx);
		int depth = v.error ? v.depth : X509_STORE_CTX_get_error_depth(ctx);
		if (err == X509_V_OK)
			set_why(why, whylen, "verification failed", -1);
		else
			set_why(why, whylen, X509_verify_cert_error_string(err), depth);
	}
	X509_STORE_CTX_free(ctx);
	return trusted;
}

static bool name_matches(X509 *leaf, const char *host)
{
	unsigned char addr[16];
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_check_ip_asc(leaf, host, 0) == 1;
	return X509_check_host(leaf, host, strlen(host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

/* Judges a parsed chain: leaf NULL means the leaf did not parse. */
static unsigned judge(const struct ciot_x509_trust *t, X509 *leaf, X509 *const *rest, size_t nrest, int64_t at,
		      const char *host, char *why, size_t whylen)
{
	if (!leaf) {
		set_why(why, whylen, "the leaf is not a DER certificate", -1);
		return CIOT_X509_UNTRUSTED;
	}
	unsigned findings = 0;
	int64_t not_before, not_after;
	if (cert_times(leaf, &not_before, &not_after)) {
		if (at > not_after)
			findings |= CIOT_X509_EXPIRED;
		else if (at < not_before)
			findings |= CIOT_X509_NOT_YET_VALID;
	}
	if (host && *host && !name_matches(leaf, host))
		findings |= CIOT_X509_NAME_MISMATCH;
	if (t) {
		/* the stack borrows the certificates: freed with sk_X509_free, not pop_free */
		STACK_OF(X509) *untrusted = sk_X509_new_null();
		if (!untrusted) {
			set_why(why, whylen, "could not verify: out of memory", -1);
			return findings | CIOT_X509_UNTRUSTED;
		}
		for (size_t i = 0; i < nrest && i < CHAIN_MAX; i++)
			if (rest[i])
				sk_X509_push(untrusted, rest[i]);
		trust_ready(t);
		if (!chain_trusted(t->store, leaf, untrusted, at, why, whylen))
			findings |= CIOT_X509_UNTRUSTED;
		sk_X509_free(untrusted);
	}
	return findings;
}

struct ciot_x509_cert {
	X509 *x;
};

struct ciot_x509_cert *ciot_x509_cert_new(const uint8_t *der, size_t len)
{
	struct ciot_x509_cert *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	bool trailing;
	ERR_set_mark();
	c->x = der && len ? der_cert(der, len, &trailing) : NULL;
	ERR_pop_to_mark();
	return c;
}

void ciot_x509_cert_free(struct ciot_x509_cert *c)
{
	if (!c)
		return;
	X509_free(c->x);
	free(c);
}

enum ciot_rc ciot_x509_cert_info(const struct ciot_x509_cert *c, const uint8_t *der, size_t len,
				 struct ciot_x509_info *out, char *errbuf)
{
	if (!c || !c->x)
		return ciot_x509_parse(der, len, out, errbuf); /* says why it is not a certificate */
	memset(out, 0, sizeof *out);
	ERR_set_mark();
	enum ciot_rc rc = fields(c->x, der, len, out, errbuf);
	ERR_pop_to_mark();
	if (rc != CIOT_OK)
		memset(out, 0, sizeof *out);
	return rc;
}

unsigned ciot_x509_judge_certs(const struct ciot_x509_trust *t, struct ciot_x509_cert *const *chain, size_t n,
			       int64_t at, const char *host, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = 0;
	if (!n || !chain) {
		set_why(why, whylen, "no certificate", -1);
		return CIOT_X509_UNTRUSTED;
	}
	X509 *rest[CHAIN_MAX];
	size_t nrest = 0;
	for (size_t i = 1; i < n && nrest < CHAIN_MAX; i++)
		rest[nrest++] = chain[i] ? chain[i]->x : NULL;
	ERR_set_mark();
	unsigned findings = judge(t, chain[0] ? chain[0]->x : NULL, rest, nrest, at, host, why, whylen);
	ERR_pop_to_mark();
	return findings;
}

/* A NULL trust store judges dates and names only. */
unsigned ciot_x509_judge_chain(const struct ciot_x509_trust *t, const uint8_t *const *ders, const size_t *lens,
			       size_t n, int64_t at, const char *host, char *why, size_t whylen)
{
	if (n > CHAIN_MAX + 1)
		n = CHAIN_MAX + 1;
	struct ciot_x509_cert *certs[CHAIN_MAX + 1];
	bool nomem = false;
	for (size_t i = 0; i < n; i++) {
		certs[i] = ders && lens ? ciot_x509_cert_new(ders[i], lens[i]) : NULL;
		nomem |= certs[i] == NULL && ders && lens;
	}
	unsigned findings;
	if (nomem) {
		if (why && whylen)
			snprintf(why, whylen, "could not verify: out of memory");
		findings = CIOT_X509_UNTRUSTED;
	} else {
		findings = ciot_x509_judge_certs(t, certs, n, at, host, why, whylen);
	}
	for (size_t i = 0; i < n; i++)
		ciot_x509_cert_free(certs[i]);
	return findings;
}

/* ---- the interceptor's certificates ----------------------------------------------------------- */

#define INTERCEPTOR_MAX 64 /* certificates read from the researcher's file */

struct ciot_x509_interceptor {
	X509 *certs[INTERCEPTOR_MAX];
	size_t n;
	char description[PATH_MAX + 64];
};

void ciot_x509_interceptor_close(struct ciot_x509_interceptor *i)
{
	if (!i)
		return;
	for (size_t k = 0; k < i->n; k++)
		X509_free(i->certs[k]);
	free(i);
}

enum ciot_rc ciot_x509_interceptor_open(struct ciot_x509_interceptor **out, const char *pem_file, char *errbuf)
{
	*out = NULL;
	struct ciot_x509_interceptor *i = calloc(1, sizeof *i);
	if (!i)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory for the interceptor's certificates");
	FILE *f = fopen(pem_file, "r");
	if (!f) {
		free(i);
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: cannot open the interceptor's certificates (--interceptor-ca): %s",
				 pem_file, strerror(errno));
	}
	ERR_set_mark();
	X509 *x;
	while (i->n < INTERCEPTOR_MAX && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		i->certs[i->n++] = x;
	ERR_pop_to_mark();
	fclose(f);
	if (!i->n) {
		ciot_x509_interceptor_close(i);
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: no PEM certificate (--interceptor-ca)", pem_file);
	}
	snprintf(i->description, sizeof i->description, "%zu certificate%s from %s", i->n, i->n == 1 ? "" : "s",
		 pem_file);
	*out = i;
	return CIOT_OK;
}

const char *ciot_x509_interceptor_description(const struct ciot_x509_interceptor *i)
{
	return i ? i->description : NULL;
}

/* The name has a CN or O entry that is exactly "mitmproxy". */
static bool mitmproxy_name(const X509_NAME *name)
{
	static const int nids[] = { NID_commonName, NID_organizationName };
	for (size_t k = 0; k < sizeof nids / sizeof nids[0]; k++)
		for (int at = -1; (at = X509_NAME_get_index_by_NID(name, nids[k], at)) >= 0;) {
			const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
			if (v && ASN1_STRING_length(v) == 9 && memcmp(ASN1_STRING_get0_data(v), "mitmproxy", 9) == 0)
				return true;
		}
	return false;
}

int ciot_x509_intercepted(const struct ciot_x509_interceptor *i, const struct ciot_x509_cert *leaf)
{
	if (!leaf || !leaf->x)
		return -1;
	X509 *x = leaf->x;
	if (!i)
		return mitmproxy_name(X509_get_issuer_name(x)) || mitmproxy_name(X509_get_subject_name(x));
	int found = 0;
	ERR_set_mark();
	for (size_t k = 0; k < i->n && !found; k++) {
		X509 *ca = i->certs[k];
		if (X509_cmp(ca, x) == 0)
			found = 1;
		else if (X509_check_issued(ca, x) == X509_V_OK) {
			EVP_PKEY *key = X509_get0_pubkey(ca);
			found = key && X509_verify(x, key) == 1;
		}
	}
	ERR_pop_to_mark();
	return found;
}
