/* pii.c: the matching of pii.h. One lexical pass over a buffer finds the candidate positions
 * (digit runs, separators after hex digits, '@' and %40, the word before an assignment); four PCRE2
 * expressions (e-mail, hex, digits, keys), compiled anchored and JIT-compiled once, are tried only
 * there, because one alternation of every pattern tried at every byte ran at 10 MB/s. In each
 * expression the alternatives form a branch-reset group, so the value is group 1 (and group 2 for
 * coordinates), and a (*MARK) names the alternative that matched. Seeds are expanded into their
 * encodings once per device and searched with one Aho-Corasick automaton (aho-corasick.h).
 *
 * Every alternative starts with a boundary: the character before a match may not continue the
 * token (a digit before a phone number, a hex digit before a MAC), unless it is the end of a
 * %XX escape, since URL-encoded JSON is common in query strings. Digit patterns may not be followed
 * by a digit or a decimal part, so numbers inside longer numbers, decimals and dotted version
 * strings are not matched. Percent-escapes of the few separators that matter (@, :, +, the quote)
 * are part of the expressions, so URL-encoded values are found without decoding the payload;
 * values are decoded afterwards, for their hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pcre2.h>

#include "aho-corasick.h"
#include "pii.h"

static const char *const kind_names[CIOT_PII_NKINDS] = {
	"email",      "phone",    "mac",           "uuid", "imei",    "cn-id",       "geo",       "private-ip",
	"wifi-ssid",  "password", "wifi-password", "name", "address", "device-name", "account-id",
};

const char *ciot_pii_kind_name(enum ciot_pii_kind k)
{
	return (unsigned)k < CIOT_PII_NKINDS ? kind_names[k] : "?";
}

const char *ciot_pii_method_name(enum ciot_pii_method m)
{
	return m == CIOT_PII_SEED ? "seed" : "pattern";
}

const char *ciot_pii_encoding_name(enum ciot_pii_encoding e)
{
	static const char *const names[CIOT_PII_NENCODINGS] = { "plain", "lower", "upper",  "url",   "hex",
								 "base64", "md5", "sha1", "sha256" };
	return (unsigned)e < CIOT_PII_NENCODINGS ? names[e] : "?";
}

static const struct {
	const char *field;
	enum ciot_pii_kind kind;
} seed_fields[] = {
	{ "name", CIOT_PII_NAME },
	{ "email", CIOT_PII_EMAIL },
	{ "phone", CIOT_PII_PHONE },
	{ "address", CIOT_PII_ADDRESS },
	{ "device_name", CIOT_PII_DEVICE_NAME },
	{ "wifi_ssid", CIOT_PII_WIFI_SSID },
	{ "wifi_password", CIOT_PII_WIFI_PASSWORD },
	{ "account_id", CIOT_PII_ACCOUNT_ID },
	{ "imei", CIOT_PII_IMEI },
	{ "mac", CIOT_PII_MAC },
	{ NULL, CIOT_PII_NKINDS },
};

bool ciot_pii_seed_field(const char *field, enum ciot_pii_kind *kind)
{
	for (size_t i = 0; seed_fields[i].field; i++)
		if (!strcmp(field, seed_fields[i].field)) {
			*kind = seed_fields[i].kind;
			return true;
		}
	return false;
}

/* ---- the expression ------------------------------------------------------------------------ */

#define HEX "[0-9A-Fa-f]"
#define OCTET "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
/* not preceded by a character of the class, or preceded by a %XX escape */
#define AFTER(cls) "(?:(?<![" cls "])|(?<=%" HEX HEX "))"
/* a number ends: no digit, letter or decimal part follows */
#define NUM_END "(?![0-9A-Za-z]|\\.[0-9])"
#define QUOTE "(?:[\"']|%22|%27)?"
#define SPACES "(?:[ \\t]|%20){0,3}"
#define ASSIGN "(?::|=|%3[Aa]|%3[Dd])"
#define JSON_COLON "(?::|%3[Aa])"
#define JSON_STRING(max) "(?:\"|%22)((?:[^\"\\\\\\x00-\\x1f%]|%(?!22)" HEX HEX "){1," #max "})(?:\"|%22)"
#define FORM_VALUE(max) "=([^&\\s\"#]{1," #max "})"
#define LAT_KEY "(?i:latitude|lat)"
#define LON_KEY "(?i:longitude|long|lng|lon)"
#define LAT_VALUE "(-?[0-9]{1,2}\\.[0-9]{2,12})"
#define LON_VALUE "(-?[0-9]{1,3}\\.[0-9]{2,12})"
#define PAIR_SEP QUOTE SPACES "(?:[,;&]|%2[Cc]|%26)" SPACES QUOTE
#define SSID_KEY "(?i:(?:wifi|wlan|ap)?_?ssid|essid|wifi_?name)"
#define PASSWORD_KEY "(?i:(?:wifi|wlan|ap|user|account|login)?_?(?:password|passphrase|passwd|pass|pwd|psk))"
#define FORM_START "(?<![^?&;_\\s])"

/* The expressions, by the candidates they are tried at (see find_candidates). */
static const char email_expression[] =
	/* RFC 5321's dot-atom, as far as real addresses go */
	"(*MARK:email)" AFTER("A-Za-z0-9._%+_-")
	"([A-Za-z0-9_][A-Za-z0-9._+-]{0,63}(?:@|%40)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}"
	"[A-Za-z]{2,24})(?![A-Za-z0-9-]|\\.[A-Za-z0-9])";

static const char hex_expression[] =
	"(?|(*MARK:uuid)" AFTER("0-9A-Fa-f-") "(" HEX "{8}-" HEX "{4}-" HEX "{4}-" HEX "{4}-" HEX "{12})(?![0-9A-Fa-f-])"
	/* MAC: colon, dash, an escaped colon, Cisco's dotted form */
	"|(*MARK:mac)" AFTER("0-9A-Fa-f:.-") "(" HEX "{2}(?::" HEX "{2}){5}|" HEX "{2}(?:-" HEX "{2}){5}|" HEX
	"{2}(?:%3[Aa]" HEX "{2}){5}|" HEX "{4}\\." HEX "{4}\\." HEX "{4})(?![0-9A-Fa-f:-]|\\." HEX "))";

static const char digit_expression[] =
	/* a bare pair needs GPS precision (5 decimals, about a metre) to be told from other numbers */
	"(?|(*MARK:geo)" AFTER("0-9A-Za-z.") "(-?[0-9]{1,2}\\.[0-9]{5,12})[ ]?(?:,|%2[Cc])[ ]?(-?[0-9]{1,3}\\.[0-9]{5,12})"
	NUM_END
	"|(*MARK:cn-id)" AFTER("0-9A-Za-z.")
	"([1-8][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])" NUM_END
	/* Chinese mobile numbers by their allocated prefixes, with or without +86 (before the IMEI:
	 * 0086 and 11 digits are 15 digits too) */
	"|(*MARK:phone)" AFTER("0-9A-Za-z.+")
	"((?:(?:\\+|%2[Bb]|00)86(?:[ -]|%20)?)?1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])"
	"(?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4}))" NUM_END
	"|(*MARK:phone)" AFTER("0-9A-Za-z.+") "((?:\\+|%2[Bb])[1-9][0-9]{7,14})" NUM_END
	"|(*MARK:imei)" AFTER("0-9A-Za-z.") "([0-9]{15})" NUM_END
	"|(*MARK:private-ip)" AFTER("0-9A-Za-z.")
	"((?:10\\." OCTET "\\.|172\\.(?:1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.)" OCTET "\\." OCTET ")" NUM_END ")";

static const char key_expression[] =
	/* MAC as 12 bare hex digits: only as the value of a key that says MAC */
	"(?|(*MARK:mackey)" AFTER("A-Za-z0-9") "(?i:[a-z_]{0,16}?(?:mac|bssid|hwaddr|ethaddr)(?:_?addr(?:ess)?|_?str)?)"
	QUOTE SPACES ASSIGN SPACES QUOTE "(" HEX "{12})(?![0-9A-Fa-f])"
	"|(*MARK:geo)" AFTER("A-Za-z0-9") LAT_KEY QUOTE SPACES ASSIGN SPACES QUOTE LAT_VALUE PAIR_SEP LON_KEY QUOTE
	SPACES ASSIGN SPACES QUOTE LON_VALUE "(?![0-9])"
	"|(*MARK:geo-lonlat)" AFTER("A-Za-z0-9") LON_KEY QUOTE SPACES ASSIGN SPACES QUOTE LON_VALUE PAIR_SEP LAT_KEY
	QUOTE SPACES ASSIGN SPACES QUOTE LAT_VALUE "(?![0-9])"
	"|(*MARK:wifi-ssid)" AFTER("A-Za-z0-9") SSID_KEY QUOTE SPACES JSON_COLON SPACES JSON_STRING(96)
	"|(*MARK:wifi-ssid-form)" FORM_START SSID_KEY FORM_VALUE(96)
	"|(*MARK:password)" AFTER("A-Za-z0-9") PASSWORD_KEY QUOTE SPACES JSON_COLON SPACES JSON_STRING(192)
	"|(*MARK:password-form)" FORM_START PASSWORD_KEY FORM_VALUE(192) ")";

/* The words a key the key expression knows contains, lower-cased; a value under a key is only
 * looked for where a word before an assignment (':' or '=') holds one of these. */
static const char *const key_words[] = { "ssid", "wifiname", "wifi_name", "pass", "pwd", "psk", "mac", "hwaddr",
					 "ethaddr", "lat", "lon", "lng", NULL };

enum group { GROUP_EMAIL, GROUP_HEX, GROUP_DIGIT, GROUP_KEY, NGROUPS };

static const char *const expressions[NGROUPS] = { email_expression, hex_expression, digit_expression,
						   key_expression };

/* What each mark means. */
enum alternative { ALT_EMAIL, ALT_UUID, ALT_MAC, ALT_MAC_KEY, ALT_GEO, ALT_GEO_LONLAT, ALT_CN_ID, ALT_IMEI,
		   ALT_PHONE, ALT_PRIVATE_IP, ALT_SSID, ALT_SSID_FORM, ALT_PASSWORD, ALT_PASSWORD_FORM, NALTS };

static const struct {
	const char *mark;
	enum alternative alt;
} marks[] = {
	{ "email", ALT_EMAIL },
	{ "uuid", ALT_UUID },
	{ "mac", ALT_MAC },
	{ "mackey", ALT_MAC_KEY },
	{ "geo", ALT_GEO },
	{ "geo-lonlat", ALT_GEO_LONLAT },
	{ "cn-id", ALT_CN_ID },
	{ "imei", ALT_IMEI },
	{ "phone", ALT_PHONE },
	{ "private-ip", ALT_PRIVATE_IP },
	{ "wifi-ssid", ALT_SSID },
	{ "wifi-ssid-form", ALT_SSID_FORM },
	{ "password", ALT_PASSWORD },
	{ "password-form", ALT_PASSWORD_FORM },
	{ NULL, NALTS },
};

struct ciot_pii_patterns {
	pcre2_code *code[NGROUPS];
};

enum ciot_rc ciot_pii_patterns_new(struct ciot_pii_patterns **out, char *errbuf)
{
	*out = NULL;
	struct ciot_pii_patterns *p = calloc(1, sizeof *p);
	if (!p)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	for (int g = 0; g < NGROUPS; g++) {
		int err;
		PCRE2_SIZE at;
		/* anchored when compiled: PCRE2 10.42's JIT does not run a match anchored only at match time */
		p->code[g] = pcre2_compile((PCRE2_SPTR)expressions[g], PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED, &err, &at,
					   NULL);
		if (!p->code[g]) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(err, msg, sizeof msg);
			ciot_pii_patterns_free(p);
			return ciot_fail(errbuf, CIOT_ERR_ARG, "PII expression %d, offset %zu: %s", g, (size_t)at,
					 (const char *)msg);
		}
		/* without JIT (a platform PCRE2 has no JIT for) matching still works, more slowly */
		(void)pcre2_jit_compile(p->code[g], PCRE2_JIT_COMPLETE);
	}
	*out = p;
	return CIOT_OK;
}

void ciot_pii_patterns_free(struct ciot_pii_patterns *p)
{
	if (!p)
		return;
	for (int g = 0; g < NGROUPS; g++)
		pcre2_code_free(p->code[g]);
	free(p);
}

/* ---- checks ---------------------------------------------------------------------------------- */

bool ciot_pii_luhn_ok(const char *digits, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		if (c < '0' || c > '9')
			return false;
		unsigned d = (unsigned)(c - '0');
		if (i % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return n > 0 && sum % 10 == 0;
}

bool ciot_pii_imei_ok(const char *digits, size_t n)
{
	/* the first two digits are the reporting body of the type allocation code (GSMA TS.06);
	 * these are the ones allocated. A random 15-digit number passes Luhn one time in ten and
	 * this one time in six. */
	static const char *const bodies[] = { "01", "10", "30", "33", "35", "44", "45", "49", "50", "51",
					      "52", "53", "54", "86", "91", "98", "99", NULL };
	if (n != 15 || !ciot_pii_luhn_ok(digits, n))
		return false;
	for (size_t i = 0; bodies[i]; i++)
		if (digits[0] == bodies[i][0] && digits[1] == bodies[i][1])
			return true;
	return false;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool ciot_pii_cn_id_ok(const char *id, size_t n)
{
	/* GB 11643-1999: 17 digits, then ISO 7064 MOD 11-2 over them ('X' stands for 10) */
	static const unsigned weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
	if (n != 18)
		return false;
	unsigned sum = 0;
	for (size_t i = 0; i < 17; i++) {
		if (id[i] < '0' || id[i] > '9')
			return false;
		sum += weights[i] * (unsigned)(id[i] - '0');
	}
	char last = id[17] == 'x' ? 'X' : id[17];
	if (last != check[sum % 11])
		return false;
	unsigned year = 0, month = 0, day = 0;
	for (size_t i = 6; i < 10; i++)
		year = year * 10 + (unsigned)(id[i] - '0');
	month = (unsigned)(id[10] - '0') * 10 + (unsigned)(id[11] - '0');
	day = (unsigned)(id[12] - '0') * 10 + (unsigned)(id[13] - '0');
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (year < 1900 || month < 1 || month > 12 || day < 1)
		return false;
	unsigned most = days[month - 1] + (month == 2 && leap(year));
	return day <= most;
}

/* ---- values ---------------------------------------------------------------------------------- */

static int hex_value(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char lower_ascii(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* A value under construction, bounded by CIOT_PII_VALUE_MAX. */
struct value {
	char text[CIOT_PII_VALUE_MAX + 1];
	size_t len;
	bool escaped; /* the raw bytes held a %XX escape or a form's '+' */
};

static void value_put(struct value *v, char c)
{
	if (v->len < CIOT_PII_VALUE_MAX)
		v->text[v->len++] = c;
	v->text[v->len] = '\0';
}

/* Appends raw bytes, decoding %XX escapes (and '+' as a space when `form`). */
static void value_decode(struct value *v, const uint8_t *p, size_t n, bool form)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (p[i] == '%' && i + 2 < n && (hi = hex_value(p[i + 1])) >= 0 && (lo = hex_value(p[i + 2])) >= 0) {
			value_put(v, (char)(hi << 4 | lo));
			v->escaped = true;
			i += 2;
		} else if (p[i] == '+' && form) {
			value_put(v, ' ');
			v->escaped = true;
		} else {
			value_put(v, (char)p[i]);
		}
	}
}

static void value_lower(struct value *v)
{
	for (size_t i = 0; i < v->len; i++)
		v->text[i] = lower_ascii(v->text[i]);
}

/* File names such as "logo@2x.png" look like e-mail addresses. */
static bool file_extension(const char *tld, size_t n)
{
	static const char *const ext[] = { "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "js", "css",
					   "json", "html", "htm", "xml", "txt", "mp3", "mp4", "wav", "gz", "bin",
					   NULL };
	for (size_t i = 0; ext[i]; i++)
		if (strlen(ext[i]) == n && !strncmp(tld, ext[i], n))
			return true;
	return false;
}

static bool email_value(struct value *v, const uint8_t *p, size_t n)
{
	value_decode(v, p, n, false);
	value_lower(v);
	const char *dot = strrchr(v->text, '.');
	const char *at = strchr(v->text, '@');
	if (!dot || !at || at == v->text)
		return false;
	return !file_extension(dot + 1, v->len - (size_t)(dot + 1 - v->text));
}

static bool mac_value(struct value *v, const uint8_t *p, size_t n)
{
	char hex[12];
	size_t k = 0;
	bool letter = false, dotted = false;
	for (size_t i = 0; i < n && k < 12; i++) {
		if (p[i] == '%') {
			i += 2; /* an escaped colon */
			v->escaped = true;
			continue;
		}
		if (p[i] == '.')
			dotted = true;
		if (hex_value(p[i]) < 0)
			continue;
		hex[k++] = lower_ascii((char)p[i]);
		if (hex_value(p[i]) > 9)
			letter = true;
	}
	if (k != 12 || (dotted && !letter))
		return false; /* a dotted triple of decimal digits is a version number */
	bool zero = true, ones = true;
	for (size_t i = 0; i < 12; i++) {
		zero &= hex[i] == '0';
		ones &= hex[i] == 'f';
	}
	if (zero || ones)
		return false; /* no device's address: unset, or broadcast */
	for (size_t i = 0; i < 12; i++) {
		if (i && i % 2 == 0)
			value_put(v, ':');
		value_put(v, hex[i]);
	}
	return true;
}

static bool phone_value(struct value *v, const uint8_t *p, size_t n)
{
	char digits[24];
	size_t k = 0;
	bool plus = false;
	for (size_t i = 0; i < n && k < sizeof digits; i++) {
		if (p[i] == '+') {
			plus = true;
		} else if (p[i] == '%' && i + 2 < n) {
			plus |= p[i + 1] == '2' && (p[i + 2] == 'B' || p[i + 2] == 'b'); /* else %20, a space */
			v->escaped = true;
			i += 2;
		} else if (p[i] >= '0' && p[i] <= '9') {
			digits[k++] = (char)p[i];
		}
	}
	/* one spelling per number: a Chinese mobile number as +86 and its 11 digits */
	size_t from = 0;
	if (!plus && k >= 4 && digits[0] == '0' && digits[1] == '0') {
		plus = true;
		from = 2;
	}
	if (k - from == 11 && digits[from] == '1' && !plus) {
		value_put(v, '+');
		value_put(v, '8');
		value_put(v, '6');
	} else if (k - from == 13 && !plus && digits[from] == '8' && digits[from + 1] == '6') {
		value_put(v, '+');
	} else if (plus) {
		value_put(v, '+');
	}
	for (size_t i = from; i < k; i++)
		value_put(v, digits[i]);
	return true;
}

static bool geo_value(struct value *v, const uint8_t *lat, size_t nlat, const uint8_t *lon, size_t nlon)
{
	char a[32], b[32];
	if (nlat >= sizeof a || nlon >= sizeof b)
		return false;
	memcpy(a, lat, nlat);
	a[nlat] = '\0';
	memcpy(b, lon, nlon);
	b[nlon] = '\0';
	double x = strtod(a, NULL), y = strtod(b, NULL);
	if (x < -90 || x > 90 || y < -180 || y > 180 || (x == 0 && y == 0))
		return false;
	for (size_t i = 0; i < nlat; i++)
		value_put(v, a[i]);
	value_put(v, ',');
	for (size_t i = 0; i < nlon; i++)
		value_put(v, b[i]);
	return true;
}

/* A password key's value: not a mask ("******") or a template placeholder. */
static bool secret_value(const struct value *v)
{
	if (!v->len)
		return false;
	bool same = true;
	for (size_t i = 1; i < v->len; i++)
		same &= v->text[i] == v->text[0];
	return !(same && v->len > 1) && strcmp(v->text, "null") != 0;
}

/* ---- seeds ----------------------------------------------------------------------------------- */

struct variant {
	enum ciot_pii_kind kind;
	enum ciot_pii_encoding encoding;
	size_t seed; /* index into values */
};

struct ciot_pii_seeds {
	struct ciot_ac *ac;
	struct variant *variants;
	size_t nvariants, cap;
	char **values; /* each seed's normalised value */
	size_t nvalues;
	/* every encoded form once, to drop duplicates while building */
	struct {
		uint8_t *bytes;
		size_t len;
	} *forms;
};

static enum ciot_rc add_form(struct ciot_pii_seeds *s, size_t seed, enum ciot_pii_kind kind,
			     enum ciot_pii_encoding enc, const uint8_t *p, size_t n, char *errbuf)
{
	if (n < CIOT_PII_SEED_MIN)
		return CIOT_OK;
	for (size_t i = 0; i < s->nvariants; i++)
		if (s->forms[i].len == n && !memcmp(s->forms[i].bytes, p, n))
			return CIOT_OK; /* the same bytes already stand for a more direct encoding */
	if (s->nvariants == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct variant *v = realloc(s->variants, cap * sizeof *v);
		if (v)
			s->variants = v;
		void *f = v ? realloc(s->forms, cap * sizeof *s->forms) : NULL;
		if (!f)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		s->forms = f;
		s->cap = cap;
	}
	uint8_t *copy = malloc(n);
	if (!copy)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	memcpy(copy, p, n);
	s->forms[s->nvariants].bytes = copy;
	s->forms[s->nvariants].len = n;
	s->variants[s->nvariants] = (struct variant){ kind, enc, seed };
	enum ciot_rc rc = ciot_ac_add(s->ac, p, n, (uint32_t)s->nvariants, errbuf);
	if (rc)
		return rc;
	s->nvariants++;
	return CIOT_OK;
}

/* Room for any encoding of a seed: hex doubles, percent-encoding triples. */
#define FORM_MAX (3 * CIOT_PII_SEED_MAX + 8)

static size_t percent_encode(const uint8_t *p, size_t n, char *out, bool lower_hex, bool form)
{
	static const char upper[] = "0123456789ABCDEF", lower[] = "0123456789abcdef";
	const char *digits = lower_hex ? lower : upper;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				  c == '-' || c == '.' || c == '_' || c == '~';
		if (unreserved) {
			out[o++] = (char)c;
		} else if (c == ' ' && form) {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 15];
		}
	}
	return o;
}

static size_t hex_encode(const uint8_t *p, size_t n, char *out, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	return 2 * n;
}

/* The base64 characters that depend only on the seed's bytes when it sits `align` bytes after a
 * 3-byte boundary of a longer base64-encoded message: the rest also depend on its neighbours. */
static size_t base64_core(const uint8_t *p, size_t n, unsigned align, bool url, char *out)
{
	const char *alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
				   : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t total = align + n, bits = 8 * total;
	size_t first = (8 * align + 5) / 6, last = bits / 6; /* chars [first, last) are the seed's alone */
	size_t o = 0;
	for (size_t k = first; k < last; k++) {
		unsigned v = 0;
		for (size_t b = 6 * k; b < 6 * k + 6; b++) {
			size_t byte = b / 8;
			uint8_t x = byte < align ? 0 : p[byte - align];
			v = v << 1 | ((x >> (7 - b % 8)) & 1);
		}
		out[o++] = alphabet[v];
	}
	return o;
}

static enum ciot_rc add_digests(struct ciot_pii_seeds *s, size_t seed, enum ciot_pii_kind kind, const uint8_t *p,
				size_t n, char *errbuf)
{
	static const struct {
		const char *name;
		enum ciot_pii_encoding enc;
	} digests[] = { { "MD5", CIOT_PII_MD5 }, { "SHA1", CIOT_PII_SHA1 }, { "SHA256", CIOT_PII_SHA256 } };
	for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		if (!EVP_Digest(p, n, md, &mdlen, EVP_get_digestbyname(digests[i].name), NULL))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "OpenSSL has no %s digest", digests[i].name);
		char hex[2 * EVP_MAX_MD_SIZE];
		enum ciot_rc rc;
		for (int upper = 0; upper < 2; upper++)
			if ((rc = add_form(s, seed, kind, digests[i].enc, (uint8_t *)hex, hex_encode(md, mdlen, hex, upper),
					   errbuf)))
				return rc;
	}
	return CIOT_OK;
}

/* Every encoding of one text seed. */
static enum ciot_rc add_text_seed(struct ciot_pii_seeds *s, size_t seed, enum ciot_pii_kind kind, const char *value,
				  char *errbuf)
{
	const uint8_t *p = (const uint8_t *)value;
	size_t n = strlen(value);
	char buf[FORM_MAX];
	enum ciot_rc rc = add_form(s, seed, kind, CIOT_PII_PLAIN, p, n, errbuf);
	for (size_t i = 0; !rc && i < n; i++)
		buf[i] = lower_ascii(value[i]);
	if (!rc)
		rc = add_form(s, seed, kind, CIOT_PII_LOWER, (uint8_t *)buf, n, errbuf);
	for (size_t i = 0; !rc && i < n; i++)
		buf[i] = value[i] >= 'a' && value[i] <= 'z' ? (char)(value[i] - 32) : value[i];
	if (!rc)
		rc = add_form(s, seed, kind, CIOT_PII_UPPER, (uint8_t *)buf, n, errbuf);
	for (int form = 0; form < 2 && !rc; form++)
		for (int lower_hex = 0; lower_hex < 2 && !rc; lower_hex++)
			rc = add_form(s, seed, kind, CIOT_PII_URL, (uint8_t *)buf,
				      percent_encode(p, n, buf, lower_hex, form), errbuf);
	for (int upper = 0; upper < 2 && !rc; upper++)
		rc = add_form(s, seed, kind, CIOT_PII_HEX, (uint8_t *)buf, hex_encode(p, n, buf, upper), errbuf);
	for (int url = 0; url < 2 && !rc; url++)
		for (unsigned align = 0; align < 3 && !rc; align++) {
			size_t len = base64_core(p, n, align, url, buf);
			/* shorter cores are too common in base64 text to mean anything */
			if (len >= 8)
				rc = add_form(s, seed, kind, CIOT_PII_BASE64, (uint8_t *)buf, len, errbuf);
		}
	if (!rc && (kind == CIOT_PII_EMAIL || kind == CIOT_PII_IMEI)) {
		rc = add_digests(s, seed, kind, p, n, errbuf);
		if (!rc && kind == CIOT_PII_EMAIL) {
			for (size_t i = 0; i < n; i++)
				buf[i] = lower_ascii(value[i]);
			rc = add_digests(s, seed, kind, (uint8_t *)buf, n, errbuf);
		}
	}
	return rc;
}

/* A MAC spelled with `sep` between groups of `group` bytes (0: no separator), in either case. */
static size_t mac_spelling(const uint8_t mac[6], char sep, size_t group, bool upper, char out[24])
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 6; i++) {
		if (i && sep && i % group == 0)
			out[o++] = sep;
		out[o++] = digits[mac[i] >> 4];
		out[o++] = digits[mac[i] & 15];
	}
	return o;
}

/* A MAC in every spelling, its bytes in base64, and digests of the spellings and the bytes. */
static enum ciot_rc add_mac_seed(struct ciot_pii_seeds *s, size_t seed, const uint8_t mac[6], char *errbuf)
{
	static const struct {
		char sep;
		size_t group;
		enum ciot_pii_encoding enc;
	} spellings[] = { { ':', 1, CIOT_PII_PLAIN }, { '-', 1, CIOT_PII_PLAIN }, { 0, 1, CIOT_PII_HEX },
			  { '.', 2, CIOT_PII_PLAIN } };
	enum ciot_rc rc = CIOT_OK;
	for (size_t f = 0; f < sizeof spellings / sizeof spellings[0] && !rc; f++)
		for (int upper = 0; upper < 2 && !rc; upper++) {
			char text[24], esc[FORM_MAX];
			size_t n = mac_spelling(mac, spellings[f].sep, spellings[f].group, upper, text);
			enum ciot_pii_encoding enc = upper && spellings[f].enc == CIOT_PII_PLAIN ? CIOT_PII_UPPER : spellings[f].enc;
			rc = add_form(s, seed, CIOT_PII_MAC, enc, (uint8_t *)text, n, errbuf);
			for (int lower_hex = 0; lower_hex < 2 && !rc; lower_hex++)
				rc = add_form(s, seed, CIOT_PII_MAC, CIOT_PII_URL, (uint8_t *)esc,
					      percent_encode((uint8_t *)text, n, esc, lower_hex, false), errbuf);
			if (!rc && spellings[f].sep != '.')
				rc = add_digests(s, seed, CIOT_PII_MAC, (uint8_t *)text, n, errbuf);
		}
	char b64[16];
	for (int url = 0; url < 2 && !rc; url++)
		rc = add_form(s, seed, CIOT_PII_MAC, CIOT_PII_BASE64, (uint8_t *)b64, base64_core(mac, 6, 0, url, b64),
			      errbuf);
	if (!rc)
		rc = add_digests(s, seed, CIOT_PII_MAC, mac, 6, errbuf);
	return rc;
}

static bool parse_mac(const char *text, uint8_t mac[6])
{
	int k = 0, hi = -1;
	for (const char *c = text; *c; c++) {
		int h = hex_value((uint8_t)*c);
		if (h < 0) {
			if (hi >= 0)
				return false;
			continue;
		}
		if (hi < 0) {
			hi = h;
		} else {
			if (k == 6)
				return false;
			mac[k++] = (uint8_t)(hi << 4 | h);
			hi = -1;
		}
	}
	return k == 6 && hi < 0;
}

static enum ciot_rc add_value(struct ciot_pii_seeds *s, const char *value, size_t *index, char *errbuf)
{
	char *copy = strdup(value);
	char **v = copy ? realloc(s->values, (s->nvalues + 1) * sizeof *v) : NULL;
	if (!v) {
		free(copy);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	s->values = v;
	s->values[s->nvalues] = copy;
	*index = s->nvalues++;
	return CIOT_OK;
}

enum ciot_rc ciot_pii_seeds_new(struct ciot_pii_seeds **out, const struct ciot_pii_seed *seeds, size_t nseeds,
				const uint8_t (*macs)[6], size_t nmacs, char *errbuf)
{
	*out = NULL;
	struct ciot_pii_seeds *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = ciot_ac_new(&s->ac, errbuf);
	for (size_t i = 0; !rc && i < nseeds; i++) {
		size_t n = strlen(seeds[i].value), index = 0; /* set by add_value; gcc 12 -O3 cannot see it */
		if (n < CIOT_PII_SEED_MIN || n > CIOT_PII_SEED_MAX) {
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "PII seed of %zu bytes: seeds must have %d to %d", n,
				       CIOT_PII_SEED_MIN, CIOT_PII_SEED_MAX);
			break;
		}
		uint8_t mac[6];
		if (seeds[i].kind == CIOT_PII_MAC && !parse_mac(seeds[i].value, mac)) {
			rc = ciot_fail(errbuf, CIOT_ERR_ARG, "PII seed \"mac\" is not a MAC address");
			break;
		}
		if ((rc = add_value(s, seeds[i].value, &index, errbuf)))
			break;
		rc = seeds[i].kind == CIOT_PII_MAC ? add_mac_seed(s, index, mac, errbuf)
						   : add_text_seed(s, index, seeds[i].kind, seeds[i].value, errbuf);
	}
	for (size_t i = 0; !rc && i < nmacs; i++) {
		char text[18];
		size_t index = 0;
		snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", macs[i][0], macs[i][1], macs[i][2],
			 macs[i][3], macs[i][4], macs[i][5]);
		if (!(rc = add_value(s, text, &index, errbuf)))
			rc = add_mac_seed(s, index, macs[i], errbuf);
	}
	if (!rc)
		rc = ciot_ac_compile(s->ac, errbuf);
	/* the forms were only needed to drop duplicates */
	for (size_t i = 0; i < s->nvariants; i++)
		free(s->forms[i].bytes);
	free(s->forms);
	s->forms = NULL;
	if (rc) {
		ciot_pii_seeds_free(s);
		return rc;
	}
	*out = s;
	return CIOT_OK;
}

void ciot_pii_seeds_free(struct ciot_pii_seeds *s)
{
	if (!s)
		return;
	ciot_ac_free(s->ac);
	if (s->forms)
		for (size_t i = 0; i < s->nvariants; i++)
			free(s->forms[i].bytes);
	free(s->forms);
	free(s->variants);
	for (size_t i = 0; i < s->nvalues; i++)
		free(s->values[i]);
	free(s->values);
	free(s);
}

size_t ciot_pii_seeds_patterns(const struct ciot_pii_seeds *s)
{
	return s ? s->nvariants : 0;
}

/* ---- the scan -------------------------------------------------------------------------------- */

/* Seed matches and candidate positions one buffer can hold: far more than a real payload has;
 * beyond, the scanner counts what it dropped. */
#define MAX_SEED_HITS 512
#define MAX_CANDIDATES 4096
#define MAX_FOUND 1024
#define JIT_STACK_MAX (512 * 1024)
#define EMAIL_LOCAL_MAX 64
#define KEY_PREFIX_MAX 24

struct seed_hit {
	size_t start, end;
	uint32_t variant;
};

struct candidate {
	uint32_t pos;
	uint8_t group;
};

/* A pattern match that passed its check, kept until overlaps are settled. */
struct found {
	size_t start, end;
	size_t group1[2], group2[2];
	enum alternative alt;
};

struct ciot_pii_scanner {
	const struct ciot_pii_patterns *patterns;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
	const uint8_t *buf; /* the buffer being scanned, for the trigger callback */
	size_t n;
	struct seed_hit seeds[MAX_SEED_HITS];
	size_t nseeds;
	struct candidate candidates[MAX_CANDIDATES];
	size_t ncandidates;
	struct found found[MAX_FOUND];
	size_t nfound;
	size_t dropped;
	struct value value;
};

enum ciot_rc ciot_pii_scanner_new(struct ciot_pii_scanner **out, const struct ciot_pii_patterns *p, char *errbuf)
{
	*out = NULL;
	struct ciot_pii_scanner *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->patterns = p;
	s->md = pcre2_match_data_create(4, NULL);
	s->mc = pcre2_match_context_create(NULL);
	s->stack = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
	if (!s->md || !s->mc || !s->stack) {
		ciot_pii_scanner_free(s);
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	pcre2_jit_stack_assign(s->mc, NULL, s->stack);
	*out = s;
	return CIOT_OK;
}

void ciot_pii_scanner_free(struct ciot_pii_scanner *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mc);
	pcre2_jit_stack_free(s->stack);
	free(s);
}

/* Characters that can continue a value (an address's domain, a number, a MAC): a match followed by
 * nothing but these up to the buffer's end may still grow, or turn out to be the start of a longer
 * value, once the stream goes on. */
static bool continues_token(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '%' || c == '+' || c == ':' || c == '@' || c == '-';
}

/* Where the run of token characters that ends at `end` starts. */
static size_t token_run_start(const uint8_t *b, size_t end)
{
	while (end > 0 && continues_token(b[end - 1]))
		end--;
	return end;
}

/* Where the buffer stands, for deciding whether a match is reported now. */
struct window {
	size_t n, carried;
	bool from_start, more;
	size_t carry_tail; /* the start of the carry's trailing token run: what the last buffer held back */
	size_t open_tail;  /* the start of this buffer's trailing token run: what may still grow */
};

/* Reported now: a match the last buffer did not report (it ends in the carry's trailing token run,
 * where matches were held back, or in the new bytes) and that cannot grow any more (something other
 * than token characters follows it, or nothing follows), unless it would not fit in the next carry. */
static bool report_now(const struct window *w, size_t start, size_t end)
{
	if (w->carried && start == 0 && !w->from_start)
		return false; /* may be the tail of a longer token cut off by the carry */
	if (end < w->carry_tail)
		return false; /* the last buffer reported it */
	if (w->more && end >= w->open_tail)
		return !(w->n <= CIOT_PII_CARRY || start > w->n - CIOT_PII_CARRY); /* held back if it fits */
	return true;
}

static void add_candidate(struct ciot_pii_scanner *s, size_t pos, enum group g)
{
	if (s->ncandidates == MAX_CANDIDATES) {
		s->dropped++;
		return;
	}
	s->candidates[s->ncandidates++] = (struct candidate){ (uint32_t)pos, (uint8_t)g };
}

static bool is_hex(uint8_t c)
{
	return hex_value(c) >= 0;
}

static bool is_word(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_local_part(uint8_t c)
{
	return is_word(c) || c == '.' || c == '%' || c == '+' || c == '-';
}

/* An '@' (or "%40") at `at`: an address may start at the beginning of the run of local-part
 * characters before it, or right after any %XX escape in that run. */
static void email_candidates(struct ciot_pii_scanner *s, size_t at)
{
	const uint8_t *b = s->buf;
	size_t from = at;
	while (from > 0 && at - from < EMAIL_LOCAL_MAX + 8 && is_local_part(b[from - 1]))
		from--;
	add_candidate(s, from, GROUP_EMAIL);
	for (size_t i = from; i + 3 <= at; i++)
		if (b[i] == '%' && is_hex(b[i + 1]) && is_hex(b[i + 2]))
			add_candidate(s, i + 3, GROUP_EMAIL);
}

/* An assignment (':' or '=', or its escape) at `at`: the word before it, past an optional quote and
 * spaces, is a key the key expression knows when it holds one of the key words; the key may start
 * where its word does ("deviceMac", "wifi_ssid") or at the key word (after '_' or an escape). */
static void key_candidates(struct ciot_pii_scanner *s, size_t at)
{
	const uint8_t *b = s->buf;
	size_t end = at;
	for (int spaces = 0; end > 0 && b[end - 1] == ' ' && spaces < 3; spaces++)
		end--;
	if (end > 0 && (b[end - 1] == '"' || b[end - 1] == '\''))
		end--;
	else if (end >= 3 && b[end - 3] == '%' && b[end - 2] == '2' && (b[end - 1] == '2' || b[end - 1] == '7'))
		end -= 3;
	size_t from = end;
	while (from > 0 && end - from < KEY_PREFIX_MAX + 12 && is_word(b[from - 1]))
		from--;
	if (from == end || end - from > KEY_PREFIX_MAX + 11)
		return;
	char word[KEY_PREFIX_MAX + 13];
	size_t n = end - from;
	for (size_t i = 0; i < n; i++)
		word[i] = lower_ascii((char)b[from + i]);
	word[n] = '\0';
	/* most words before an assignment hold no key word: look only where one could start */
	bool any = false;
	for (size_t i = 0; i + 3 <= n; i++) {
		if (!strchr("spmhelw", word[i]))
			continue;
		for (size_t k = 0; key_words[k]; k++) {
			size_t len = strlen(key_words[k]);
			if (key_words[k][0] == word[i] && i + len <= n && !memcmp(word + i, key_words[k], len)) {
				add_candidate(s, from + i, GROUP_KEY);
				any = true;
				break;
			}
		}
	}
	if (any)
		add_candidate(s, from, GROUP_KEY);
}

static bool on_seed(void *ctx, uint32_t id, size_t start, size_t end)
{
	struct ciot_pii_scanner *s = ctx;
	if (s->nseeds == MAX_SEED_HITS) {
		s->dropped++;
		return true;
	}
	s->seeds[s->nseeds++] = (struct seed_hit){ start, end, id };
	return true;
}

static bool digits_at(const uint8_t *b, size_t n, size_t at, size_t count)
{
	if (at + count > n)
		return false;
	for (size_t i = at; i < at + count; i++)
		if (b[i] < '0' || b[i] > '9')
			return false;
	return true;
}

/* A run of digits [a, e): where a number the digit expression knows could start. Each rule is a
 * necessary condition of one of its alternatives, so nothing it could match is skipped. */
static void digit_candidates(struct ciot_pii_scanner *s, size_t a, size_t e)
{
	const uint8_t *b = s->buf;
	size_t n = s->n, len = e - a;
	uint8_t next = e < n ? b[e] : 0;
	/* after '+' or %2B: an international number, or +86 and a mobile number */
	if (a >= 1 && b[a - 1] == '+')
		add_candidate(s, a - 1, GROUP_DIGIT);
	if (a >= 3 && b[a - 3] == '%' && b[a - 2] == '2' && (b[a - 1] == 'B' || b[a - 1] == 'b'))
		add_candidate(s, a - 3, GROUP_DIGIT);
	bool spaced = next == ' ' || next == '-' || next == '%';
	if (len >= 11 || (len == 3 && b[a] == '1' && spaced) || (len == 4 && !memcmp(b + a, "0086", 4)) ||
	    (len == 2 && b[a] == '8' && b[a + 1] == '6' && spaced))
		add_candidate(s, a, GROUP_DIGIT); /* IMEI, ID number, a mobile number with or without 0086 */
	if (next == '.' &&
	    ((len == 2 && b[a] == '1' && b[a + 1] == '0') || (len == 3 && (!memcmp(b + a, "172", 3) || !memcmp(b + a, "192", 3)))))
		add_candidate(s, a, GROUP_DIGIT); /* a private address */
	if (next == '.' && len <= 2 && digits_at(b, n, e + 1, 5))
		add_candidate(s, a >= 1 && b[a - 1] == '-' ? a - 1 : a, GROUP_DIGIT); /* a coordinate pair */
}

/* A separator at i: a MAC or UUID whose first group ends here. */
static void hex_candidates(struct ciot_pii_scanner *s, size_t i)
{
	const uint8_t *b = s->buf;
	size_t n = s->n;
	uint8_t c = b[i];
	bool two = i >= 2 && is_hex(b[i - 1]) && is_hex(b[i - 2]);
	if (two && (c == ':' || c == '-') && i + 3 < n && b[i + 3] == c)
		add_candidate(s, i - 2, GROUP_HEX);
	else if (two && c == '%' && i + 5 < n && b[i + 1] == '3' && (b[i + 2] == 'A' || b[i + 2] == 'a') && b[i + 5] == '%')
		add_candidate(s, i - 2, GROUP_HEX);
	if (c == '-' && i >= 8 && i + 5 < n && b[i + 5] == '-') {
		bool hex = true;
		for (size_t k = i - 8; k < i && hex; k++)
			hex = is_hex(b[k]);
		if (hex)
			add_candidate(s, i - 8, GROUP_HEX);
	}
	if (c == '.' && i >= 4 && i + 5 < n && b[i + 5] == '.' && is_hex(b[i - 1]) && is_hex(b[i - 2]) &&
	    is_hex(b[i - 3]) && is_hex(b[i - 4]))
		add_candidate(s, i - 4, GROUP_HEX);
}

/* What a byte may start or mark, for the lexical pass. */
enum { LEX_DIGIT = 1, LEX_SEPARATOR = 2, LEX_AT = 4, LEX_ASSIGN = 8 };

static const uint8_t lex[256] = {
	['0'] = LEX_DIGIT, ['1'] = LEX_DIGIT, ['2'] = LEX_DIGIT, ['3'] = LEX_DIGIT, ['4'] = LEX_DIGIT,
	['5'] = LEX_DIGIT, ['6'] = LEX_DIGIT, ['7'] = LEX_DIGIT, ['8'] = LEX_DIGIT, ['9'] = LEX_DIGIT,
	['-'] = LEX_SEPARATOR, ['.'] = LEX_SEPARATOR, [':'] = LEX_SEPARATOR | LEX_ASSIGN, ['%'] = LEX_SEPARATOR,
	['@'] = LEX_AT, ['='] = LEX_ASSIGN,
};

/* One pass over the buffer finds every candidate: digit runs, separators after hex digits, '@' (or
 * %40) for addresses, assignments (or %3A, %3D) for keys. Most bytes of text are none of these. */
static void lexical_candidates(struct ciot_pii_scanner *s)
{
	const uint8_t *b = s->buf;
	size_t n = s->n;
	for (size_t i = 0; i < n;) {
		uint8_t c = b[i], k = lex[c];
		if (!k) {
			i++;
			continue;
		}
		if (k & LEX_DIGIT) {
			size_t e = i + 1;
			while (e < n && (lex[b[e]] & LEX_DIGIT))
				e++;
			digit_candidates(s, i, e);
			i = e;
			continue;
		}
		if (k & LEX_SEPARATOR)
			hex_candidates(s, i);
		if (k & LEX_AT)
			email_candidates(s, i);
		if (k & LEX_ASSIGN)
			key_candidates(s, i);
		if (c == '%' && i + 2 < n) {
			uint8_t h = b[i + 1], l = b[i + 2] | 0x20;
			if (h == '4' && l == '0')
				email_candidates(s, i);
			else if (h == '3' && (l == 'a' || l == 'd'))
				key_candidates(s, i);
		}
		i++;
	}
}

static int by_group_then_position(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_start_then_longest(size_t xs, size_t xe, size_t ys, size_t ye)
{
	if (xs != ys)
		return xs < ys ? -1 : 1;
	if (xe != ye)
		return xe > ye ? -1 : 1;
	return 0;
}

static int seed_order(const void *a, const void *b)
{
	const struct seed_hit *x = a, *y = b;
	int c = by_start_then_longest(x->start, x->end, y->start, y->end);
	return c ? c : (x->variant > y->variant) - (x->variant < y->variant);
}

static int found_order(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	return by_start_then_longest(x->start, x->end, y->start, y->end);
}

/* Leftmost-longest seed matches that do not overlap, kept in seeds[0, return). */
static size_t select_seeds(struct ciot_pii_scanner *s)
{
	qsort(s->seeds, s->nseeds, sizeof s->seeds[0], seed_order);
	size_t kept = 0, last_end = 0;
	for (size_t i = 0; i < s->nseeds; i++) {
		if (kept && s->seeds[i].start < last_end)
			continue;
		s->seeds[kept++] = s->seeds[i];
		last_end = s->seeds[i].end;
	}
	return kept;
}

static bool overlaps_seed(const struct ciot_pii_scanner *s, size_t kept, size_t start, size_t end)
{
	for (size_t i = 0; i < kept; i++)
		if (s->seeds[i].start < end && start < s->seeds[i].end)
			return true;
	return false;
}

static enum alternative alternative_of(PCRE2_SPTR mark)
{
	if (!mark)
		return NALTS;
	for (size_t i = 0; marks[i].mark; i++)
		if (!strcmp((const char *)mark, marks[i].mark))
			return marks[i].alt;
	return NALTS;
}

/* Checks and normalises a pattern match into s->value; false when the check rejects it. */
static bool pattern_value(struct ciot_pii_scanner *s, const struct found *f, enum ciot_pii_kind *kind)
{
	struct value *v = &s->value;
	v->len = 0;
	v->text[0] = '\0';
	v->escaped = false;
	const uint8_t *g1 = s->buf + f->group1[0], *g2 = s->buf + f->group2[0];
	size_t n1 = f->group1[1] - f->group1[0], n2 = f->group2[1] - f->group2[0];
	switch (f->alt) {
	case ALT_EMAIL:
		*kind = CIOT_PII_EMAIL;
		return email_value(v, g1, n1);
	case ALT_UUID:
		*kind = CIOT_PII_UUID;
		value_decode(v, g1, n1, false);
		value_lower(v);
		return strcmp(v->text, "00000000-0000-0000-0000-000000000000") != 0;
	case ALT_MAC:
	case ALT_MAC_KEY:
		*kind = CIOT_PII_MAC;
		return mac_value(v, g1, n1);
	case ALT_GEO:
	case ALT_GEO_LONLAT:
		*kind = CIOT_PII_GEO;
		return f->alt == ALT_GEO ? geo_value(v, g1, n1, g2, n2) : geo_value(v, g2, n2, g1, n1);
	case ALT_CN_ID:
		*kind = CIOT_PII_CN_ID;
		value_decode(v, g1, n1, false);
		if (v->len == 18 && v->text[17] == 'x')
			v->text[17] = 'X';
		return ciot_pii_cn_id_ok(v->text, v->len);
	case ALT_IMEI:
		*kind = CIOT_PII_IMEI;
		value_decode(v, g1, n1, false);
		return ciot_pii_imei_ok(v->text, v->len);
	case ALT_PHONE:
		*kind = CIOT_PII_PHONE;
		return phone_value(v, g1, n1);
	case ALT_PRIVATE_IP:
		*kind = CIOT_PII_PRIVATE_IP;
		value_decode(v, g1, n1, false);
		return true;
	case ALT_SSID:
	case ALT_SSID_FORM:
		*kind = CIOT_PII_WIFI_SSID;
		value_decode(v, g1, n1, f->alt == ALT_SSID_FORM);
		return v->len > 0 && v->len <= 32; /* IEEE 802.11: an SSID is 0 to 32 octets */
	case ALT_PASSWORD:
	case ALT_PASSWORD_FORM:
		*kind = CIOT_PII_PASSWORD;
		value_decode(v, g1, n1, f->alt == ALT_PASSWORD_FORM);
		return secret_value(v);
	default:
		return false;
	}
}

/* Tries each candidate's expression anchored there; keeps what matches and passes its check. */
static void match_candidates(struct ciot_pii_scanner *s)
{
	qsort(s->candidates, s->ncandidates, sizeof s->candidates[0], by_group_then_position);
	s->nfound = 0;
	for (size_t i = 0; i < s->ncandidates; i++) {
		const struct candidate *c = &s->candidates[i];
		if (i && c->group == c[-1].group && c->pos == c[-1].pos)
			continue;
		int rc = pcre2_match(s->patterns->code[c->group], s->buf, s->n, c->pos, 0, s->md, s->mc);
		if (rc < 2)
			continue; /* no match, or a resource limit */
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
		struct found f = { .start = ov[0], .end = ov[1], .group1 = { ov[2], ov[3] } };
		f.alt = alternative_of(pcre2_get_mark(s->md));
		if (rc >= 3 && ov[4] != PCRE2_UNSET) {
			f.group2[0] = ov[4];
			f.group2[1] = ov[5];
		} else {
			f.group2[0] = f.group2[1] = ov[2];
		}
		enum ciot_pii_kind kind;
		if (!pattern_value(s, &f, &kind))
			continue;
		if (s->nfound == MAX_FOUND) {
			s->dropped++;
			continue;
		}
		s->found[s->nfound++] = f;
	}
}

size_t ciot_pii_scan(struct ciot_pii_scanner *sc, const struct ciot_pii_seeds *seeds, const uint8_t *buf, size_t n,
		     size_t carried, bool carried_from_start, bool more, ciot_pii_match_fn fn, void *ctx)
{
	struct window w = { n, carried, carried_from_start, more, carried ? token_run_start(buf, carried) : 0,
			    more ? token_run_start(buf, n) : n };
	sc->buf = buf;
	sc->n = n;
	sc->nseeds = sc->ncandidates = sc->nfound = sc->dropped = 0;
	if (seeds && seeds->nvariants)
		ciot_ac_scan(seeds->ac, buf, n, on_seed, sc);
	lexical_candidates(sc);
	size_t kept = select_seeds(sc);
	match_candidates(sc);
	qsort(sc->found, sc->nfound, sizeof sc->found[0], found_order);
	size_t nfound = 0, last_end = 0;
	for (size_t i = 0; i < sc->nfound; i++) {
		const struct found *f = &sc->found[i];
		if ((i && f->start < last_end) || overlaps_seed(sc, kept, f->start, f->end))
			continue; /* inside an earlier, longer match, or the seed's own bytes */
		last_end = f->end;
		sc->found[nfound++] = *f;
	}
	/* the seed and the pattern matches do not overlap: merged in order of position */
	for (size_t i = 0, j = 0; i < kept || j < nfound;) {
		if (j == nfound || (i < kept && sc->seeds[i].start < sc->found[j].start)) {
			const struct seed_hit *h = &sc->seeds[i++];
			if (!report_now(&w, h->start, h->end))
				continue;
			const struct variant *v = &seeds->variants[h->variant];
			const char *value = seeds->values[v->seed];
			struct ciot_pii_match m = { v->kind, CIOT_PII_SEED, v->encoding, h->start, h->end, value, strlen(value) };
			fn(ctx, &m);
		} else {
			const struct found *f = &sc->found[j++];
			enum ciot_pii_kind kind;
			if (!report_now(&w, f->start, f->end) || !pattern_value(sc, f, &kind))
				continue;
			struct ciot_pii_match m = { kind, CIOT_PII_PATTERN, sc->value.escaped ? CIOT_PII_URL : CIOT_PII_PLAIN,
						    f->start, f->end, sc->value.text, sc->value.len };
			fn(ctx, &m);
		}
	}
	return sc->dropped;
}

/* ---- redaction ------------------------------------------------------------------------------- */

/* The length in bytes of the UTF-8 character that starts at p[0] (1 for a stray byte). */
static size_t utf8_char(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 1;
	if (len > n)
		return 1;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 1;
	return len;
}

void ciot_pii_redact(const uint8_t key[CIOT_PII_KEY_LEN], const char *value, size_t len,
		     char hash[CIOT_PII_HASH_HEX], char hint[CIOT_PII_HINT_MAX])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	if (!HMAC(EVP_sha256(), key, CIOT_PII_KEY_LEN, (const unsigned char *)value, len, mac, &maclen))
		memset(mac, 0, sizeof mac);
	hex_encode(mac, 16, hash, false);
	hash[32] = '\0';
	/* characters, not bytes: a name in Chinese is a few 3-byte characters */
	const unsigned char *p = (const unsigned char *)value;
	size_t chars = 0, last = 0;
	for (size_t i = 0; i < len; chars++) {
		last = i;
		i += utf8_char(p + i, len - i);
	}
	if (chars < 6) {
		snprintf(hint, CIOT_PII_HINT_MAX, "\xe2\x80\xa6 (%zu)", chars);
		return;
	}
	size_t first_len = utf8_char(p, len), last_len = utf8_char(p + last, len - last);
	snprintf(hint, CIOT_PII_HINT_MAX, "%.*s\xe2\x80\xa6%.*s (%zu)", (int)first_len, value, (int)last_len,
		 value + last, chars);
}
