/* test-attribution.c: party attribution (attribution.h). The loader on rule files written to a
 * mkdtemp() directory: a valid set, then one broken file at a time -- too few columns, unknown
 * roles and organizations (a typo must not pass), duplicates of every kind of key (case folded,
 * an IPv4 address spelt as IPv4-mapped IPv6), bad AS numbers, kinds and suffixes, parent cycles,
 * control characters, over-long lines, a missing file -- each error naming file:line and the
 * reason. Matching precedence on those fixtures: longest domain suffix at a label boundary, AS
 * number before AS name, an excluded AS number stopping there, the longest AS-name pattern, ties to
 * the earlier line. Then the shipped rules (datasets/attribution) on a table of real cases from the
 * lifecycle paper -- Xiaomi and its ecosystem, Tuya, Alibaba Cloud for an Alibaba speaker and for
 * others, public DNS and NTP under the three conventions, Baidu for a Xiaomi and a Baidu speaker,
 * TUTK, eWeLink, manifest vendors and privacy policies, unknown brands, nothing known -- with every
 * expected party, organization and rule written by hand from the rule files. Last, hostile input:
 * over-long names and AS names, control characters, truncation of the rule at a UTF-8 boundary.
 */
#include <stdlib.h>

#include "addr.h"
#include "attribution.h"
#include "check.h"
#include "testfs.h"

static char tmpdir[PATH_MAX];

/* ---- names ------------------------------------------------------------------------------------ */

static void test_names(void)
{
	CHECK_EQ_STR(ciot_party_name(CIOT_PARTY_FIRST), "first");
	CHECK_EQ_STR(ciot_party_name(CIOT_PARTY_SUPPORT), "support");
	CHECK_EQ_STR(ciot_party_name(CIOT_PARTY_THIRD), "third");
	CHECK_EQ_STR(ciot_party_name((enum ciot_party)7), "invalid");
	static const struct {
		const char *name;
		bool ok;
		enum ciot_public_convention c;
	} cases[] = {
		{ "third", true, CIOT_PUBLIC_THIRD }, { "support", true, CIOT_PUBLIC_SUPPORT },
		{ "org", true, CIOT_PUBLIC_BY_ORG },  { "Third", false, CIOT_PUBLIC_THIRD },
		{ "", false, CIOT_PUBLIC_THIRD },     { "by-org", false, CIOT_PUBLIC_THIRD },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ciot_public_convention c = CIOT_PUBLIC_SUPPORT;
		CHECK_EQ_INT(ciot_public_convention_parse(cases[i].name, &c), cases[i].ok);
		if (cases[i].ok) {
			CHECK_EQ_INT(c, cases[i].c);
			CHECK_EQ_STR(ciot_public_convention_name(c), cases[i].name);
		}
	}
	CHECK_EQ_STR(ciot_public_convention_name((enum ciot_public_convention)9), "invalid");
}

/* ---- the loader, on fixtures -------------------------------------------------------------------- */

enum { ROLES, ORGS, DOMAINS, ASN, BRANDS, PUBLIC, NFILES };
static const char *const file_names[NFILES] = { "roles.tsv", "organizations.tsv", "domains.tsv",
						 "asn.tsv", "brands.tsv", "public-services.tsv" };

static const char *const valid_files[NFILES] = {
	"# roles\n"
	"vendor\t-\tmakes devices\n"
	"cloud\t\tsupport\tclouds, aligned with two tabs\n",

	"# organizations\n"
	"\n"
	"Acme\t\tvendor\t-\tthe maker\n"
	"Acme Cloud\tcloud\tAcme\n"
	"Other\tvendor\t-\n"
	"Deep\tvendor\tAcme Cloud\tparent declared above\n"
	"Early\tvendor\tLate\tparent declared below\n"
	"Late\tvendor\t-\n",

	"acme.example\tAcme\n"
	"cloud.acme.example\tAcme Cloud\tlonger suffix\n"
	"   # an indented comment\n"
	"Other.Example\tother\tfolded to lower case, the organization too\n",

	"as\t64500\tAcme Cloud\n"
	"as\t64501\t-\tno organization for this AS\n"
	"as-name\tAcme\tAcme Cloud\n"
	"as-name\tAcme Travel\t-\tan exception to Acme\n"
	"as-name\txyz\tAcme\tearlier line than abc, same length\n"
	"as-name\tabc\tOther\n",

	"acme\tAcme\t-\t-\n"
	"Deep\tDeep\tOther\tAcme Cloud\ttoken folded to lower case\n",

	"192.0.2.53\tdns\t-\n"
	"2001:db8::53\tdns\tOther\n"
	"time.acme.example\tntp\t-\r\n",
};

/* Writes the valid fixture into tmpdir/rel, with file `which` replaced by `text` (unless NFILES). */
static void write_fixture(char dir[PATH_MAX], const char *rel, int which, const char *text)
{
	testfs_path(dir, tmpdir, rel);
	testfs_mkdirs(dir);
	for (int f = 0; f < NFILES; f++) {
		if (f == which && !text)
			continue; /* a missing file */
		char path[PATH_MAX], name[PATH_MAX];
		snprintf(name, sizeof name, "%s/%s", rel, file_names[f]);
		testfs_write_text(path, tmpdir, name, f == which ? text : valid_files[f]);
	}
}

static void test_load_valid(void)
{
	char dir[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	write_fixture(dir, "valid", NFILES, NULL);
	struct ciot_rules *r = (struct ciot_rules *)1;
	enum ciot_rc rc = ciot_rules_load(&r, dir, err);
	if (!CHECK_EQ_INT(rc, CIOT_OK)) {
		fprintf(stderr, "  error: %s\n", err);
		return;
	}
	CHECK(r != NULL);

	/* precedence on the fixture: (device brand, name, asn, as-org) -> (party, organization, rule) */
	static const struct {
		const char *brand, *name;
		uint32_t asn;
		const char *as_org;
		enum ciot_party party;
		const char *organization, *rule;
	} cases[] = {
		{ "acme", "api.acme.example", 0, NULL, CIOT_PARTY_FIRST, "Acme",
		  "domain acme.example -> Acme; maker of brand acme" },
		{ "acme", "acme.example", 0, NULL, CIOT_PARTY_FIRST, "Acme",
		  "domain acme.example -> Acme; maker of brand acme" },
		{ "other", "x.cloud.acme.example", 0, NULL, CIOT_PARTY_SUPPORT, "Acme Cloud",
		  "domain cloud.acme.example -> Acme Cloud; role cloud" },
		{ "other", "notacme.example", 0, NULL, CIOT_PARTY_THIRD, NULL, "no rule for notacme.example" },
		{ "other", "www.other.example", 0, NULL, CIOT_PARTY_THIRD, "Other",
		  "domain other.example -> Other; role vendor" },
		/* the AS number first, even when a pattern would match */
		{ "other", NULL, 64500, "Acme Travel Ltd", CIOT_PARTY_SUPPORT, "Acme Cloud",
		  "asn 64500 -> Acme Cloud; role cloud" },
		/* an AS number ruled "-" stops there: the Acme pattern is not tried */
		{ "other", NULL, 64501, "Acme Ltd", CIOT_PARTY_THIRD, "Acme Ltd", "no rule; as-org \"Acme Ltd\"" },
		{ "other", NULL, 64502, "ACME LTD", CIOT_PARTY_SUPPORT, "Acme Cloud",
		  "as-name Acme -> Acme Cloud; role cloud" },
		/* the longer pattern wins, and it says "no organization" */
		{ "other", NULL, 0, "Acme Travel Ltd", CIOT_PARTY_THIRD, "Acme Travel Ltd",
		  "no rule; as-org \"Acme Travel Ltd\"" },
		/* equal lengths: the earlier line, not the alphabetical order */
		{ "other", NULL, 0, "abc xyz", CIOT_PARTY_THIRD, "Acme", "as-name xyz -> Acme; role vendor" },
		{ "other", NULL, 0, "abc", CIOT_PARTY_THIRD, "Other", "as-name abc -> Other; role vendor" },
		/* a company: Deep's parent is Acme Cloud, whose parent is Acme; Deep's ecosystem is Other */
		{ "deep", "cloud.acme.example", 0, NULL, CIOT_PARTY_FIRST, "Acme Cloud",
		  "domain cloud.acme.example -> Acme Cloud; maker of brand deep" },
		{ "deep", "www.other.example", 0, NULL, CIOT_PARTY_SUPPORT, "Other",
		  "domain other.example -> Other; ecosystem of brand deep" },
		/* public services by suffix and by address (the default convention) */
		{ "acme", "time.acme.example", 0, NULL, CIOT_PARTY_THIRD, "Acme",
		  "public ntp time.acme.example (convention third)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		struct ciot_party_device d = { .id = "dev", .brand = cases[i].brand };
		struct ciot_party_endpoint e = { .name = cases[i].name, .asn = cases[i].asn, .as_org = cases[i].as_org };
		struct ciot_attribution at;
		memset(&at, 0x55, sizeof at);
		ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
		CHECK_EQ_INT(at.party, cases[i].party);
		CHECK_EQ_STR(at.organization, cases[i].organization);
		CHECK_EQ_STR(at.rule, cases[i].rule);
		check_case(before, cases[i].rule);
	}
	uint8_t a4[16], a6[16];
	CHECK(ciot_addr_parse("192.0.2.53", a4));
	CHECK(ciot_addr_parse("2001:db8::53", a6));
	struct ciot_party_device d = { .id = "acme_x" };
	struct ciot_party_endpoint e = { .addr = a4 };
	struct ciot_attribution at;
	ciot_rules_attribute(r, CIOT_PUBLIC_SUPPORT, &d, &e, &at);
	CHECK_EQ_INT(at.party, CIOT_PARTY_SUPPORT);
	CHECK_EQ_STR(at.organization, NULL);
	CHECK_EQ_STR(at.rule, "public dns 192.0.2.53 (convention support)");
	e.addr = a6;
	ciot_rules_attribute(r, CIOT_PUBLIC_BY_ORG, &d, &e, &at);
	CHECK_EQ_INT(at.party, CIOT_PARTY_THIRD);
	CHECK_EQ_STR(at.organization, "Other");
	CHECK_EQ_STR(at.rule, "public dns 2001:db8::53 -> Other; role vendor");
	ciot_rules_free(r);
	ciot_rules_free(NULL);
}

static void test_load_errors(void)
{
	static const struct {
		int file;
		const char *text; /* NULL: the file is missing */
		const char *where, *reason;
	} cases[] = {
		/* malformed lines */
		{ DOMAINS, "acme.example\tAcme\n\nmi.com\n", "domains.tsv:3: ",
		  "1 column, expected suffix, organization, note" },
		{ ORGS, "Acme\tvendor\n", "organizations.tsv:1: ", "2 columns, expected organization, role, parent" },
		{ BRANDS, "acme\tAcme\t-\n", "brands.tsv:1: ", "3 columns, expected brand, maker" },
		{ DOMAINS, "acme.example\t \tAcme\n", "domains.tsv:1: ", "column 2 is blank" },
		{ DOMAINS, "acme.example\tAc\001me\n", "domains.tsv:1: ", "control character" },
		{ DOMAINS, "acme..example\tAcme\n", "domains.tsv:1: ", "not a domain name suffix: \"acme..example\"" },
		{ DOMAINS, ".acme.example\tAcme\n", "domains.tsv:1: ", "not a domain name suffix" },
		{ DOMAINS, "acme example\tAcme\n", "domains.tsv:1: ", "not a domain name suffix" },
		{ DOMAINS, "acme.example\t-\n", "domains.tsv:1: ", "an organization is required here" },
		{ ASN, "as\tAS64500\tAcme\n", "asn.tsv:1: ", "not an AS number (1 to 4294967295): \"AS64500\"" },
		{ ASN, "as\t4294967296\tAcme\n", "asn.tsv:1: ", "not an AS number" },
		{ ASN, "as\t0\tAcme\n", "asn.tsv:1: ", "not an AS number" },
		{ ASN, "asn\t64500\tAcme\n", "asn.tsv:1: ", "kind must be \"as\" or \"as-name\", not \"asn\"" },
		{ PUBLIC, "192.0.2.53\tdoh\t-\n", "public-services.tsv:1: ",
		  "kind must be \"dns\" or \"ntp\", not \"doh\"" },
		{ ROLES, "vendor\tyes\n", "roles.tsv:1: ", "party must be \"support\" or \"-\", not \"yes\"" },
		{ ROLES, "Vendor\t-\n", "roles.tsv:1: ", "a role is lower-case letters" },
		{ ROLES, "# nothing\n", "roles.tsv", "no roles" },
		/* unknown names: a typo cannot pass */
		{ DOMAINS, "acme.example\tAcme\nx.example\tAcmee\n", "domains.tsv:2: ",
		  "unknown organization (not in organizations.tsv): \"Acmee\"" },
		{ ASN, "as-name\tAcme\tAcme Clouds\n", "asn.tsv:1: ",
		  "unknown organization (not in organizations.tsv): \"Acme Clouds\"" },
		{ BRANDS, "acme\tAcme\tOthr\t-\n", "brands.tsv:1: ",
		  "unknown organization (not in organizations.tsv): \"Othr\"" },
		{ BRANDS, "acme\tAcme\t-\tAcmeApp\n", "brands.tsv:1: ",
		  "unknown organization (not in organizations.tsv): \"AcmeApp\"" },
		{ PUBLIC, "9.9.9.9\tdns\tQuad\n", "public-services.tsv:1: ",
		  "unknown organization (not in organizations.tsv): \"Quad\"" },
		{ ORGS, "Acme\tvendor\t-\nAcme Cloud\tcloud\tAcm\n", "organizations.tsv:2: ",
		  "unknown organization (not in organizations.tsv): \"Acm\"" },
		{ ORGS, "Acme\tvendr\t-\n", "organizations.tsv:1: ", "unknown role (not in roles.tsv): \"vendr\"" },
		/* duplicates */
		{ ROLES, "vendor\t-\ncloud\tsupport\nvendor\tsupport\n", "roles.tsv:3: ", "duplicate role \"vendor\"" },
		{ ORGS, "Acme\tvendor\t-\nAcme Cloud\tcloud\t-\nACME\tvendor\t-\n", "organizations.tsv:3: ",
		  "duplicate organization (names are compared ignoring case): \"ACME\"" },
		{ DOMAINS, "acme.example\tAcme\n# c\nACME.example\tAcme Cloud\n", "domains.tsv:3: ",
		  "duplicate domain suffix \"acme.example\"" },
		{ ASN, "as\t64500\tAcme\nas-name\tAcme\tAcme\nas\t64500\tAcme Cloud\n", "asn.tsv:3: ",
		  "duplicate AS 64500 (already on line 1)" },
		{ ASN, "as-name\tAcme Corp\tAcme\nas-name\tACME corp\tAcme Cloud\n", "asn.tsv:2: ",
		  "pattern already on line 1 (ignoring case): \"ACME corp\"" },
		{ BRANDS, "acme\tAcme\t-\t-\nAcme\tOther\t-\t-\n", "brands.tsv:2: ",
		  "duplicate brand (brands are compared ignoring case): \"Acme\"" },
		{ PUBLIC, "192.0.2.53\tdns\t-\n::ffff:192.0.2.53\tdns\t-\n", "public-services.tsv:2: ",
		  "duplicate address (already on line 1) \"::ffff:192.0.2.53\"" },
		{ PUBLIC, "dns.acme.example\tdns\t-\nDNS.acme.example\tntp\t-\n", "public-services.tsv:2: ",
		  "duplicate public-service name \"dns.acme.example\"" },
		/* parents */
		{ ORGS, "Acme\tvendor\tAcme\n", "organizations.tsv:1: ",
		  "an organization cannot be its own parent: \"Acme\"" },
		{ ORGS, "Acme\tvendor\tOther\nAcme Cloud\tcloud\t-\nOther\tvendor\tAcme\n", "organizations.tsv:1: ",
		  "more than 8 parents above, or a cycle through, \"Acme\"" },
		/* a missing file */
		{ BRANDS, NULL, "brands.tsv: cannot open", "datasets/attribution" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		char dir[PATH_MAX], rel[32], err[CIOT_ERRBUF_SIZE] = "";
		snprintf(rel, sizeof rel, "bad-%zu", i);
		write_fixture(dir, rel, cases[i].file, cases[i].text);
		struct ciot_rules *r = (struct ciot_rules *)1;
		enum ciot_rc rc = ciot_rules_load(&r, dir, err);
		CHECK_EQ_INT(rc, cases[i].text ? CIOT_ERR_FORMAT : CIOT_ERR_IO);
		CHECK(r == NULL);
		CHECK_CONTAINS(err, cases[i].where);
		CHECK_CONTAINS(err, cases[i].reason);
		if (rc == CIOT_OK)
			ciot_rules_free(r);
		check_case(before, cases[i].reason);
	}

	/* a line longer than 1024 bytes */
	char *longline = malloc(2100);
	if (CHECK(longline != NULL)) {
		memset(longline, 'a', 2000);
		memcpy(longline + 2000, ".example\tAcme\n", 15);
		char dir[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
		write_fixture(dir, "bad-long", DOMAINS, longline);
		struct ciot_rules *r = NULL;
		CHECK_EQ_INT(ciot_rules_load(&r, dir, err), CIOT_ERR_FORMAT);
		CHECK_CONTAINS(err, "domains.tsv:1: line longer than 1024 bytes");
		free(longline);
	}
	/* the whole path is named */
	char dir[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "", expect[PATH_MAX + 32];
	write_fixture(dir, "bad-path", ASN, "as\tx\tAcme\n");
	struct ciot_rules *r = NULL;
	CHECK_EQ_INT(ciot_rules_load(&r, dir, err), CIOT_ERR_FORMAT);
	snprintf(expect, sizeof expect, "%s/asn.tsv:1: ", dir);
	CHECK_CONTAINS(err, expect);
}

/* ---- the shipped rules ------------------------------------------------------------------------ */

struct row {
	const char *what;
	const char *id, *brand, *app;
	const char *vendor_org, *vendor_domain, *policy_org; /* at most one of each here */
	const char *name, *addr;
	uint32_t asn;
	const char *as_org;
	enum ciot_public_convention convention;
	enum ciot_party party;
	const char *organization, *rule;
};

#define FIRST CIOT_PARTY_FIRST
#define SUPPORT CIOT_PARTY_SUPPORT
#define THIRD CIOT_PARTY_THIRD

static const struct row rows[] = {
	/* Xiaomi, its ecosystem, and the label boundary */
	{ "xiaomi device, MIoT API", "xiaomi_speaker", "xiaomi", .name = "api.io.mi.com", .party = FIRST,
	  .organization = "Xiaomi", .rule = "domain io.mi.com -> Xiaomi; maker of brand xiaomi" },
	{ "brand from the id, upper case", "Xiaomi_camera3", NULL, .name = "account.xiaomi.com", .party = FIRST,
	  .organization = "Xiaomi", .rule = "domain xiaomi.com -> Xiaomi; maker of brand xiaomi" },
	{ "name in upper case with a final dot", "mijia_plug", NULL, .name = "MI.COM.", .party = FIRST,
	  .organization = "Xiaomi", .rule = "domain mi.com -> Xiaomi; maker of brand mijia" },
	{ "xiaobai device, parent ecosystem", "xiaobai_Y2camera", NULL, .name = "de.api.io.mi.com", .party = SUPPORT,
	  .organization = "Xiaomi", .rule = "domain io.mi.com -> Xiaomi; ecosystem of brand xiaobai" },
	{ "xiaobai device, Chuangmi's own cloud", "xiaobai_camera", NULL, .name = "fusion-gateway-cn.imilab.com",
	  .party = FIRST, .organization = "Chuangmi", .rule = "domain imilab.com -> Chuangmi; maker of brand xiaobai" },
	{ "smartmi, Xiaomi ecosystem", "smartmi_humidifier", NULL, .name = "ot.io.mi.com", .party = SUPPORT,
	  .organization = "Xiaomi", .rule = "domain io.mi.com -> Xiaomi; ecosystem of brand smartmi" },
	{ "label boundary: notmi.com is not mi.com", "xiaomi_hub", NULL, .name = "api.notmi.com", .party = THIRD,
	  .organization = NULL, .rule = "no rule for api.notmi.com" },
	{ "xiaobai device, Kingsoft Cloud by AS", "xiaobai_Y2camera", NULL, .addr = "120.92.65.240", .asn = 59019,
	  .as_org = "Beijing Kingsoft Cloud Internet Technology Co., Ltd", .party = SUPPORT, .organization = "Kingsoft Cloud",
	  .rule = "as-name Kingsoft Cloud -> Kingsoft Cloud; role cloud" },

	/* Tuya, Alibaba Cloud */
	{ "tuya plug", "tuya_plug", "Tuya", .name = "a1.tuyacn.com", .party = FIRST, .organization = "Tuya",
	  .rule = "domain tuyacn.com -> Tuya; maker of brand tuya" },
	{ "a white-label plug on Tuya", "gosound_plug", NULL, .name = "m1.tuyacn.com", .party = SUPPORT, .organization = "Tuya",
	  .rule = "domain tuyacn.com -> Tuya; role iot-platform" },
	{ "any device, OSS", "tplink_camera", NULL, .name = "oss-cn-beijing.aliyuncs.com", .party = SUPPORT,
	  .organization = "Alibaba Cloud", .rule = "domain aliyuncs.com -> Alibaba Cloud; role cloud" },
	{ "Tmall Genie, Alibaba Cloud is its maker's", "tianmao_speaker", NULL, .name = "oss-cn-shenzhen.aliyuncs.com",
	  .party = FIRST, .organization = "Alibaba Cloud", .rule = "domain aliyuncs.com -> Alibaba Cloud; maker of brand tianmao" },
	{ "Tmall Genie, no name, AS number", "tianmao_speaker", NULL, .addr = "39.96.0.1", .asn = 37963,
	  .as_org = "Hangzhou Alibaba Advertising Co.,Ltd.", .party = FIRST, .organization = "Alibaba Cloud",
	  .rule = "asn 37963 -> Alibaba Cloud; maker of brand tianmao" },
	{ "no name, AS name only", "konka_camera", NULL, .addr = "39.96.0.1", .as_org = "Hangzhou Alibaba Advertising Co.,Ltd.",
	  .party = SUPPORT, .organization = "Alibaba Cloud", .rule = "as-name Alibaba -> Alibaba Cloud; role cloud" },
	{ "no name, Alibaba (US)", "lenovo_camera", NULL, .as_org = "Alibaba (US) Technology Co., Ltd.", .party = SUPPORT,
	  .organization = "Alibaba Cloud", .rule = "as-name Alibaba -> Alibaba Cloud; role cloud" },
	{ "not Alibaba: the longer exception", "lenovo_camera", NULL, .as_org = "Alibaba Travel Company (LTD)", .party = THIRD,
	  .organization = "Alibaba Travel Company (LTD)", .rule = "no rule; as-org \"Alibaba Travel Company (LTD)\"" },
	{ "Taobao is Alibaba, not its cloud", "konka_camera", NULL, .name = "www.taobao.com", .party = THIRD,
	  .organization = "Alibaba", .rule = "domain taobao.com -> Alibaba; role vendor" },
	{ "AliDNS is Alibaba Cloud's, not public", "yingshi_camera", NULL, .name = "dns.alidns.com", .addr = "223.5.5.5",
	  .asn = 45102, .as_org = "Alibaba (US) Technology Co., Ltd.", .party = SUPPORT, .organization = "Alibaba Cloud",
	  .rule = "domain alidns.com -> Alibaba Cloud; role cloud" },
	{ "AliDNS by address", "yingshi_camera", NULL, .addr = "223.5.5.5", .asn = 45102,
	  .as_org = "Alibaba (US) Technology Co., Ltd.", .party = SUPPORT, .organization = "Alibaba Cloud",
	  .rule = "asn 45102 -> Alibaba Cloud; role cloud" },

	/* public DNS and NTP under the three conventions */
	{ "camera, Google DNS (default)", "qiaoan_camera", NULL, .name = "dns.google", .addr = "8.8.8.8", .asn = 15169,
	  .as_org = "Google LLC", .party = THIRD, .organization = "Google", .rule = "public dns dns.google (convention third)" },
	{ "camera, Google DNS (support)", "qiaoan_camera", NULL, .name = "dns.google", .addr = "8.8.8.8", .asn = 15169,
	  .as_org = "Google LLC", .convention = CIOT_PUBLIC_SUPPORT, .party = SUPPORT, .organization = "Google",
	  .rule = "public dns dns.google (convention support)" },
	{ "camera, Google DNS (by org)", "qiaoan_camera", NULL, .name = "dns.google", .addr = "8.8.8.8", .asn = 15169,
	  .as_org = "Google LLC", .convention = CIOT_PUBLIC_BY_ORG, .party = THIRD, .organization = "Google",
	  .rule = "domain dns.google -> Google; role vendor" },
	{ "dns.google.com", "xiaomi_camera", NULL, .name = "dns.google.com", .party = THIRD, .organization = "Google",
	  .rule = "public dns dns.google.com (convention third)" },
	{ "Google DNS by IPv6 address", "xiaomi_camera", NULL, .addr = "2001:4860:4860::8888", .asn = 15169,
	  .as_org = "Google LLC", .party = THIRD, .organization = "Google",
	  .rule = "public dns 2001:4860:4860::8888 (convention third)" },
	{ "114DNS by address: Greatbit, not the AS", "xiaobai_Y2camera", NULL, .addr = "114.114.114.114", .asn = 21859,
	  .as_org = "Zenlayer Inc", .party = THIRD, .organization = "Greatbit",
	  .rule = "public dns 114.114.114.114 (convention third)" },
	{ "114DNS by org", "xiaobai_Y2camera", NULL, .addr = "114.114.114.114", .asn = 21859, .as_org = "Zenlayer Inc",
	  .convention = CIOT_PUBLIC_BY_ORG, .party = SUPPORT, .organization = "Greatbit",
	  .rule = "public dns 114.114.114.114 -> Greatbit; role dns" },
	{ "the NTP pool", "xiaobai_doorbell", NULL, .name = "1.cn.pool.ntp.org", .addr = "14.215.177.38", .asn = 4134,
	  .as_org = "Chinanet", .party = THIRD, .organization = NULL, .rule = "public ntp ntp.org (convention third)" },
	/* a named endpoint without a domain rule is not its host's: a pool volunteer's server in
	 * China Telecom's network is not China Telecom's */
	{ "the NTP pool by org: a volunteer's network", "xiaobai_doorbell", NULL, .name = "1.cn.pool.ntp.org", .asn = 4134,
	  .as_org = "Chinanet", .convention = CIOT_PUBLIC_BY_ORG, .party = THIRD, .organization = NULL,
	  .rule = "no rule for 1.cn.pool.ntp.org; hosted by as-org \"Chinanet\"" },
	{ "the NTP pool by org, nothing known", "xiaobai_doorbell", NULL, .name = "pool.ntp.org",
	  .convention = CIOT_PUBLIC_BY_ORG, .party = THIRD, .organization = NULL, .rule = "no rule for pool.ntp.org" },
	{ "a vendor's NTP is not the pool", "tplink_camera", NULL, .name = "ntp.aliyun.com", .party = SUPPORT,
	  .organization = "Alibaba Cloud", .rule = "domain aliyun.com -> Alibaba Cloud; role cloud" },
	{ "time.cloudflare.com goes by its org", "tplink_camera", NULL, .name = "time.cloudflare.com", .party = SUPPORT,
	  .organization = "Cloudflare", .rule = "domain cloudflare.com -> Cloudflare; role cdn" },

	/* third parties of the paper */
	{ "weather service", "Lecheng_camera", NULL, .name = "api.weathercn.com", .party = THIRD, .organization = NULL,
	  .rule = "no rule for api.weathercn.com" },
	/* the paper's api.weathercn.com sits in a carrier's data centre: still the weather service's */
	{ "named, hosted by a carrier", "Lecheng_camera", NULL, .name = "api.weathercn.com", .asn = 4837,
	  .as_org = "CHINA UNICOM China169 Backbone", .party = THIRD, .organization = NULL,
	  .rule = "no rule for api.weathercn.com; hosted by as-org \"CHINA UNICOM China169 Backbone\"" },
	{ "unruled AS name", "Lecheng_camera", NULL, .addr = "203.0.113.9", .asn = 64496, .as_org = "Foo Ltd",
	  .party = THIRD, .organization = "Foo Ltd", .rule = "no rule; as-org \"Foo Ltd\"" },
	{ "Baidu for a Xiaomi speaker", "xiaomi_speaker", NULL, .name = "www.baidu.com", .party = THIRD,
	  .organization = "Baidu", .rule = "domain baidu.com -> Baidu; role vendor" },
	{ "Baidu for a xiaodu speaker", "xiaodu_speaker", NULL, .name = "www.baidu.com", .party = FIRST,
	  .organization = "Baidu", .rule = "domain baidu.com -> Baidu; maker of brand xiaodu" },
	{ "Baidu Cloud for a xiaodu: same company", "xiaodu_clock", NULL, .name = "x.bcebos.com", .party = FIRST,
	  .organization = "Baidu Cloud", .rule = "domain bcebos.com -> Baidu Cloud; maker of brand xiaodu" },

	/* support parties of the paper */
	{ "Tencent video streaming", "xiaomi_speaker", NULL, .name = "vv.video.qq.com", .party = SUPPORT,
	  .organization = "Tencent Video", .rule = "domain video.qq.com -> Tencent Video; role media" },
	{ "QQ Music streaming", "xiaomi_speaker", NULL, .name = "stream.qqmusic.qq.com", .party = SUPPORT,
	  .organization = "QQ Music", .rule = "domain qqmusic.qq.com -> QQ Music; role media" },
	{ "Tencent itself", "xiaomi_speaker", NULL, .name = "weixin.qq.com", .party = THIRD, .organization = "Tencent",
	  .rule = "domain qq.com -> Tencent; role service" },
	{ "Tencent Cloud COS", "xiaobai_camera", NULL, .name = "ap-beijing.myqcloud.com", .party = SUPPORT,
	  .organization = "Tencent Cloud", .rule = "domain myqcloud.com -> Tencent Cloud; role cloud" },
	{ "Tencent NTP", "xiaobai_camera", NULL, .name = "time1.cloud.tencent.com", .party = SUPPORT,
	  .organization = "Tencent Cloud", .rule = "domain cloud.tencent.com -> Tencent Cloud; role cloud" },
	{ "TUTK for a xiaobai doorbell", "xiaobai_doorbell", NULL, .name = "all-d-master-tutk.iotcplatform.com",
	  .party = SUPPORT, .organization = "ThroughTek", .rule = "domain iotcplatform.com -> ThroughTek; role iot-platform" },
	{ "Sonoff: eWeLink is its app's", "Sonoff_camera", NULL, .name = "p2ps2.coolkit.cn", .party = FIRST,
	  .organization = "CoolKit", .rule = "domain coolkit.cn -> CoolKit; app vendor of brand sonoff" },
	{ "AWS for a Chinese camera", "xiaobai_camera", NULL, .name = "eu-central-1.compute.amazonaws.com",
	  .party = SUPPORT, .organization = "AWS", .rule = "domain amazonaws.com -> AWS; role cloud" },
	{ "AWS for an Echo", "echo_speaker", NULL, .name = "s3.amazonaws.com", .party = FIRST, .organization = "AWS",
	  .rule = "domain amazonaws.com -> AWS; maker of brand echo" },
	{ "Google Cloud for a Chinese camera", "xiaomi_camera", NULL, .name = "bc.googleusercontent.com",
	  .party = SUPPORT, .organization = "Google Cloud", .rule = "domain googleusercontent.com -> Google Cloud; role cloud" },
	{ "Google Cloud for a Nest", "nest_camera", NULL, .name = "bc.googleusercontent.com", .party = FIRST,
	  .organization = "Google Cloud", .rule = "domain googleusercontent.com -> Google Cloud; maker of brand nest" },
	{ "the longest suffix: storage.googleapis.com", "xiaomi_camera", NULL, .name = "storage.googleapis.com",
	  .party = SUPPORT, .organization = "Google Cloud", .rule = "domain storage.googleapis.com -> Google Cloud; role cloud" },
	{ "googleapis.com is Google's", "xiaomi_camera", NULL, .name = "www.googleapis.com", .party = THIRD,
	  .organization = "Google", .rule = "domain googleapis.com -> Google; role vendor" },
	{ "AS number before AS name: Google Cloud", "xiaomi_camera", NULL, .addr = "34.96.0.1", .asn = 396982,
	  .as_org = "Google LLC", .party = SUPPORT, .organization = "Google Cloud", .rule = "asn 396982 -> Google Cloud; role cloud" },
	{ "Google's other AS by name", "xiaomi_camera", NULL, .asn = 15169, .as_org = "Google LLC", .party = THIRD,
	  .organization = "Google", .rule = "as-name Google -> Google; role vendor" },
	{ "EZVIZ device, Hikvision's cloud: one company", "yingshi_camera", NULL, .name = "apiieu.hik-connect.com",
	  .party = FIRST, .organization = "Hikvision", .rule = "domain hik-connect.com -> Hikvision; maker of brand yingshi" },
	{ "Huawei device, Huawei Cloud", "huawei_sound", NULL, .name = "obs.myhuaweicloud.com", .party = FIRST,
	  .organization = "Huawei Cloud", .rule = "domain myhuaweicloud.com -> Huawei Cloud; maker of brand huawei" },
	{ "Honor ecosystem", "honorxiaotun_camera", NULL, .name = "iot.hihonor.com", .party = SUPPORT,
	  .organization = "Honor", .rule = "domain hihonor.com -> Honor; ecosystem of brand honorxiaotun" },
	{ "Oray plug", "xiangrikui_plug", NULL, .name = "slapi.oray.net", .party = FIRST, .organization = "Oray",
	  .rule = "domain oray.net -> Oray; maker of brand xiangrikui" },
	{ "carrier network by AS", "tuya_plug", NULL, .asn = 4837, .as_org = "CHINA UNICOM China169 Backbone",
	  .party = SUPPORT, .organization = "China Unicom", .rule = "as-name China Unicom -> China Unicom; role network" },
	{ "not China Telecom: the longer exception", "tuya_plug", NULL, .asn = 24545,
	  .as_org = "South China Telecommunications (H.K.) Limited", .party = THIRD,
	  .organization = "South China Telecommunications (H.K.) Limited",
	  .rule = "no rule; as-org \"South China Telecommunications (H.K.) Limited\"" },

	/* the manifest's vendor and privacy policy, the companion app */
	{ "manifest vendor domain, no rule", "acme_cam", "Acme", .vendor_domain = "acme-iot.example",
	  .name = "api.acme-iot.example", .party = FIRST, .organization = NULL,
	  .rule = "no rule for api.acme-iot.example; manifest vendor domain acme-iot.example" },
	/* a vendor domain no rule knows is the vendor's organization's, so that it appears in Table 2 */
	{ "manifest vendor domain, no rule, vendor organization", "acme_cam", "Acme", .vendor_org = "Acme Corp",
	  .vendor_domain = "acme-iot.example", .name = "api.acme-iot.example", .party = FIRST,
	  .organization = "Acme Corp",
	  .rule = "no rule for api.acme-iot.example; manifest vendor domain acme-iot.example -> Acme Corp" },
	{ "manifest vendor domain, no rule, canonical vendor organization", "acme_cam", "Acme", .vendor_org = "TUYA",
	  .vendor_domain = "acme-iot.example", .name = "api.acme-iot.example", .party = FIRST, .organization = "Tuya",
	  .rule = "no rule for api.acme-iot.example; manifest vendor domain acme-iot.example -> Tuya" },
	{ "manifest vendor domain, no rule, the brand's maker", "xiaomi_plug", "xiaomi",
	  .vendor_domain = "mi-iot.example", .name = "a.mi-iot.example", .party = FIRST, .organization = "Xiaomi",
	  .rule = "no rule for a.mi-iot.example; manifest vendor domain mi-iot.example -> Xiaomi" },
	{ "manifest vendor domain over a support role", "acme_plug", "Acme", .vendor_domain = "tuya.com",
	  .name = "a1.tuya.com", .party = FIRST, .organization = "Tuya",
	  .rule = "domain tuya.com -> Tuya; manifest vendor domain tuya.com" },
	{ "manifest vendor domain: label boundary", "acme_plug", "Acme", .vendor_domain = "tuya.com",
	  .name = "a1.nottuya.com", .party = THIRD, .organization = NULL, .rule = "no rule for a1.nottuya.com" },
	{ "manifest vendor organization, any case", "acme_plug", "Acme", .vendor_org = "tuya", .name = "a1.tuyaeu.com",
	  .party = FIRST, .organization = "Tuya", .rule = "domain tuyaeu.com -> Tuya; manifest vendor organization tuya" },
	{ "manifest vendor organization: a raw AS name", "acme_plug", "Acme", .vendor_org = "Foo Cloud Ltd", .asn = 64497,
	  .as_org = "FOO CLOUD LTD", .party = FIRST, .organization = "FOO CLOUD LTD",
	  .rule = "no rule; as-org \"FOO CLOUD LTD\"; manifest vendor organization Foo Cloud Ltd" },
	{ "companion app naming an organization", "acme_cam", "Acme", .app = "TUYA", .name = "a1.tuyaus.com",
	  .party = FIRST, .organization = "Tuya", .rule = "domain tuyaus.com -> Tuya; companion app TUYA" },
	{ "companion app naming nothing", "acme_cam", "Acme", .app = "Smart Life", .name = "www.163.com", .party = THIRD,
	  .organization = "NetEase", .rule = "domain 163.com -> NetEase; role service" },
	{ "privacy policy", "acme_cam", "Acme", .policy_org = "NetEase", .name = "api.163.com", .party = SUPPORT,
	  .organization = "NetEase", .rule = "domain 163.com -> NetEase; privacy policy names NetEase" },
	{ "privacy policy naming the parent covers the child", "acme_cam", NULL, .policy_org = "alibaba",
	  .name = "www.taobao.com", .party = SUPPORT, .organization = "Alibaba",
	  .rule = "domain taobao.com -> Alibaba; privacy policy names alibaba" },
	{ "privacy policy naming the child does not cover the parent", "acme_cam", NULL, .policy_org = "Alibaba Cloud",
	  .name = "www.taobao.com", .party = THIRD, .organization = "Alibaba", .rule = "domain taobao.com -> Alibaba; role vendor" },
	{ "privacy policy naming a raw AS name", "acme_cam", NULL, .policy_org = "Foo Ltd", .asn = 64498, .as_org = "foo ltd",
	  .party = SUPPORT, .organization = "foo ltd", .rule = "no rule; as-org \"foo ltd\"; privacy policy names Foo Ltd" },

	/* unknown brands, nothing known */
	{ "unknown brand and id", "acme_plug", "Acme", .name = "api.io.mi.com", .party = THIRD, .organization = "Xiaomi",
	  .rule = "domain io.mi.com -> Xiaomi; role vendor" },
	{ "a known brand named in the manifest wins over the id", "xiaobai_camera", "Xiaomi", .name = "api.io.mi.com",
	  .party = FIRST, .organization = "Xiaomi", .rule = "domain io.mi.com -> Xiaomi; maker of brand xiaomi" },
	{ "an unknown manifest brand falls back to the id", "xiaobai_camera", "Chuangmi Inc", .name = "api.io.mi.com",
	  .party = SUPPORT, .organization = "Xiaomi", .rule = "domain io.mi.com -> Xiaomi; ecosystem of brand xiaobai" },
	{ "an id without '_' is a token", "tuya", NULL, .name = "a1.tuyacn.com", .party = FIRST, .organization = "Tuya",
	  .rule = "domain tuyacn.com -> Tuya; maker of brand tuya" },
	{ "nothing known", "acme_plug", NULL, .party = THIRD, .organization = NULL, .rule = "no organization" },
	{ "no device at all", NULL, NULL, .name = "oss-cn-beijing.aliyuncs.com", .party = SUPPORT,
	  .organization = "Alibaba Cloud", .rule = "domain aliyuncs.com -> Alibaba Cloud; role cloud" },
};

static void run_row(const struct ciot_rules *r, const struct row *w)
{
	const char *vo[1] = { w->vendor_org }, *vd[1] = { w->vendor_domain }, *po[1] = { w->policy_org };
	struct ciot_party_device d = {
		.id = w->id, .brand = w->brand, .app = w->app,
		.vendor_orgs = vo, .nvendor_orgs = w->vendor_org ? 1 : 0,
		.vendor_domains = vd, .nvendor_domains = w->vendor_domain ? 1 : 0,
		.policy_orgs = po, .npolicy_orgs = w->policy_org ? 1 : 0,
	};
	uint8_t addr[16];
	if (w->addr && !CHECK(ciot_addr_parse(w->addr, addr)))
		return;
	struct ciot_party_endpoint e = { .name = w->name, .addr = w->addr ? addr : NULL, .asn = w->asn,
					 .as_org = w->as_org };
	struct ciot_attribution at;
	memset(&at, 0x55, sizeof at);
	ciot_rules_attribute(r, w->convention, &d, &e, &at);
	CHECK_EQ_STR(ciot_party_name(at.party), ciot_party_name(w->party));
	CHECK_EQ_STR(at.organization, w->organization);
	CHECK_EQ_STR(at.rule, w->rule);
	/* third party because nothing is known: the only case coverage counts as undecided */
	CHECK_EQ_INT(at.decided, !(w->party == THIRD && !strncmp(w->rule, "no ", 3)));
	/* without a rule, the organization is the endpoint's own AS name, not a copy */
	if (!strncmp(w->rule, "no rule;", 8))
		CHECK(at.organization == w->as_org);
}

static void test_shipped(void)
{
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_rules *r = NULL;
	enum ciot_rc rc = ciot_rules_load(&r, CIOT_DATA_DIR "/attribution", err);
	if (!CHECK_EQ_INT(rc, CIOT_OK)) {
		fprintf(stderr, "  error: %s\n", err);
		return;
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		unsigned before = check_failures;
		run_row(r, &rows[i]);
		check_case(before, rows[i].what);
	}

	ciot_rules_free(r);
}

/* The vendor's own, where no rule decided: its network (the AS organization names the vendor as
 * whole words) and its name (the registrable label holds the brand or a vendor domain's label). */
static void test_vendor_own(void)
{
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_rules *r = NULL;
	if (!CHECK_EQ_INT(ciot_rules_load(&r, CIOT_DATA_DIR "/attribution", err), CIOT_OK))
		return;
	const char *orgs[1] = { "LINE" }, *domains[1] = { "steampowered.com" };
	struct ciot_party_device line = { .id = "line_app", .brand = "line", .vendor_orgs = orgs, .nvendor_orgs = 1 };
	struct ciot_attribution at;
	struct ciot_party_endpoint e = { .name = "uts-front.line-apps.com", .domain = "line-apps.com",
					 .as_org = "LINE Corporation" };
	CHECK(ciot_rules_attribute_vendor_network(r, &line, &e, &at));
	CHECK_EQ_STR(ciot_party_name(at.party), "first");
	CHECK_EQ_STR(at.organization, "LINE");
	CHECK_EQ_STR(at.rule, "vendor network: as-org \"LINE Corporation\" is LINE");
	/* whole words only: "LINE" is not in "Airline Services", nor a maker's name inside a word */
	e.as_org = "Airline Services";
	CHECK(!ciot_rules_attribute_vendor_network(r, &line, &e, &at));
	e.as_org = NULL;
	CHECK(!ciot_rules_attribute_vendor_network(r, &line, &e, &at));
	/* the brand's maker from brands.tsv: a Xiaomi device in an AS of Xiaomi's */
	struct ciot_party_device mi = { .id = "xiaomi_speaker", .brand = "xiaomi" };
	e.as_org = "Beijing Xiaomi Mobile Software Co., Ltd";
	CHECK(ciot_rules_attribute_vendor_network(r, &mi, &e, &at));
	CHECK_EQ_STR(at.organization, "Xiaomi");

	/* names: the brand as the label, a hyphen-separated part, or (5 characters and more) an edge */
	CHECK(ciot_rules_attribute_vendor_name(r, &line, &e, &at));
	CHECK_EQ_STR(at.rule, "vendor name: line-apps.com holds brand line");
	CHECK_EQ_STR(at.organization, "LINE");
	e.domain = "microsoftonline.com"; /* "line" at an edge, but too short to mean the brand there */
	CHECK(!ciot_rules_attribute_vendor_name(r, &line, &e, &at));
	e.domain = "linear.example";
	CHECK(!ciot_rules_attribute_vendor_name(r, &line, &e, &at));
	struct ciot_party_device steam = { .id = "steam_client", .brand = "valve", .vendor_domains = domains,
					   .nvendor_domains = 1 };
	e.domain = "steampowered.net";
	CHECK(ciot_rules_attribute_vendor_name(r, &steam, &e, &at));
	CHECK_EQ_STR(at.rule, "vendor name: steampowered.net holds steampowered of manifest vendor domain "
			      "steampowered.com");
	domains[0] = "steam.example";
	e.domain = "steamserver.net";
	CHECK(ciot_rules_attribute_vendor_name(r, &steam, &e, &at));
	e.domain = "getsteam.net";
	CHECK(ciot_rules_attribute_vendor_name(r, &steam, &e, &at));
	e.domain = "upsteamer.net"; /* inside the label, not at an edge */
	CHECK(!ciot_rules_attribute_vendor_name(r, &steam, &e, &at));
	/* a brand that is only the device's id says nothing */
	struct ciot_party_device id_brand = { .id = "plug7", .brand = "plug7" };
	e.domain = "plug7-cloud.example";
	CHECK(!ciot_rules_attribute_vendor_name(r, &id_brand, &e, &at));
	e.domain = NULL;
	CHECK(!ciot_rules_attribute_vendor_name(r, &line, &e, &at));
	ciot_rules_free(r);
}

/* A device no server can be first party to by its brand: ciot-analyze warns about each. */
static void test_device_gap(void)
{
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_rules *r = NULL;
	if (!CHECK_EQ_INT(ciot_rules_load(&r, CIOT_DATA_DIR "/attribution", err), CIOT_OK))
		return;
	const char *domains[1] = { "acme.example" };
	struct ciot_party_device d = { .id = "camera1" };
	CHECK_CONTAINS(ciot_rules_device_gap(r, &d), "no brand");
	d.brand = "Camera1"; /* what ciot-capture --split wrote without --brand */
	CHECK_CONTAINS(ciot_rules_device_gap(r, &d), "its id as brand");
	d.brand = "acme";
	CHECK_CONTAINS(ciot_rules_device_gap(r, &d), "brands.tsv does not know");
	d.vendor_domains = domains;
	d.nvendor_domains = 1;
	CHECK(ciot_rules_device_gap(r, &d) == NULL);
	d = (struct ciot_party_device){ .id = "camera1", .brand = "acme", .app = "Tuya" };
	CHECK(ciot_rules_device_gap(r, &d) == NULL);
	d = (struct ciot_party_device){ .id = "camera1", .brand = "xiaomi" };
	CHECK(ciot_rules_device_gap(r, &d) == NULL);
	ciot_rules_free(r);
}

/* Every brand token of the lifecycle dataset's 77 devices (methods.md; 49 distinct tokens) has a row
 * in the shipped brands.tsv, read here because the library does not expose its tables; the loader
 * has already checked that every maker it names is an organization. */
static void test_dataset_brands(void)
{
	static const char *const tokens[] = {
		"360", "aqara", "bolian", "bull", "cubetoou", "gosound", "greatwall", "honorxiaotun", "honyar", "huawei",
		"huaweidalen", "jd", "jingxun", "konka", "lecheng", "lenovo", "meian", "midea", "mijia", "mingdou",
		"philips", "pisen", "qiaoan", "shuixing", "smartmi", "sonoff", "tenda", "tianmao", "tplink", "tuya",
		"wiz", "xiaobai", "xiaodu", "xiaojingyu", "xiaomao", "xiaomi", "xiaopai", "xiaotun", "xiaovv",
		"yibang", "yingshi", "zte", "haier", "huaweizhengtai", "xiangrikui", "deebot", "duonisi",
		"xiaobaismart", "xiaomitv",
	};
	FILE *f = fopen(CIOT_DATA_DIR "/attribution/brands.tsv", "r");
	if (!CHECK(f != NULL))
		return;
	char line[1100];
	bool seen[sizeof tokens / sizeof tokens[0]] = { false };
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || !tab)
			continue;
		*tab = 0;
		for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
			if (!strcmp(line, tokens[i]))
				seen[i] = true;
	}
	fclose(f);
	for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
		if (!CHECK(seen[i]))
			fprintf(stderr, "  brand token \"%s\" is not in brands.tsv\n", tokens[i]);
}

/* ---- hostile input --------------------------------------------------------------------------- */

static void test_hostile(void)
{
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_rules *r = NULL;
	if (!CHECK_EQ_INT(ciot_rules_load(&r, CIOT_DATA_DIR "/attribution", err), CIOT_OK)) {
		fprintf(stderr, "  error: %s\n", err);
		return;
	}
	struct ciot_party_device d = { .id = "xiaomi_speaker" };
	struct ciot_attribution at;

	/* a name longer than DNS allows keeps its last labels */
	char name[1200];
	size_t n = 0;
	while (n + 4 < 1000) {
		memcpy(name + n, "abc.", 4);
		n += 4;
	}
	memcpy(name + n, "api.io.mi.com", 14);
	struct ciot_party_endpoint e = { .name = name };
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_INT(at.party, CIOT_PARTY_FIRST);
	CHECK_EQ_STR(at.rule, "domain io.mi.com -> Xiaomi; maker of brand xiaomi");
	/* and one label of 1100 bytes matches nothing */
	memset(name, 'x', 1100);
	name[1100] = 0;
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_INT(at.party, CIOT_PARTY_THIRD);
	CHECK_EQ_STR(at.rule, "no organization");
	e.name = "";
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_STR(at.rule, "no organization");
	e.name = ".";
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_STR(at.rule, "no organization");

	/* an AS name with control characters and format directives, and one too long for the rule */
	e = (struct ciot_party_endpoint){ .as_org = "Evil\n%s%n\x1b[31m Ltd" };
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_STR(at.organization, e.as_org);
	CHECK_EQ_STR(at.rule, "no rule; as-org \"Evil?%s%n?[31m Ltd\"");

	char as_org[400];
	/* "no rule; as-org \"" is 17 bytes; then 140 'a's reach 157; the 3-byte character that follows
	 * would end at 160, one past the 159 bytes the rule can hold, so it is left out whole */
	memset(as_org, 'a', 140);
	memcpy(as_org + 140, "\xe4\xb8\xad\xe5\x9b\xbd tail", 11);
	as_org[151] = 0;
	e.as_org = as_org;
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_INT(strlen(at.rule), 157);
	CHECK_EQ_INT(memcmp(at.rule, "no rule; as-org \"aaaa", 21), 0);
	CHECK_EQ_INT(at.rule[156], 'a');
	/* one 'a' fewer: the first character fits exactly, the second does not */
	memmove(as_org + 139, as_org + 140, 12);
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_INT(strlen(at.rule), 159);
	CHECK_EQ_INT(memcmp(at.rule + 156, "\xe4\xb8\xad", 3), 0);
	/* an AS name longer than the patterns look at: the prefix still matches */
	memset(as_org, 'z', 399);
	memcpy(as_org, "Chinanet ", 9);
	as_org[399] = 0;
	e.asn = 64499;
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &d, &e, &at);
	CHECK_EQ_STR(at.organization, "China Telecom");
	CHECK_EQ_STR(at.rule, "as-name Chinanet -> China Telecom; role network");
	/* manifest strings longer than any key match nothing and do no harm */
	char big[600];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = 0;
	const char *list[1] = { big };
	struct ciot_party_device odd = { .id = big, .brand = big, .app = big, .vendor_orgs = list, .nvendor_orgs = 1,
					 .vendor_domains = list, .nvendor_domains = 1, .policy_orgs = list,
					 .npolicy_orgs = 1 };
	e = (struct ciot_party_endpoint){ .name = "www.baidu.com" };
	ciot_rules_attribute(r, CIOT_PUBLIC_THIRD, &odd, &e, &at);
	CHECK_EQ_INT(at.party, CIOT_PARTY_THIRD);
	CHECK_EQ_STR(at.rule, "domain baidu.com -> Baidu; role vendor");
	ciot_rules_free(r);
}

int main(void)
{
	testfs_mkdtemp(tmpdir, "attribution");
	test_names();
	test_load_valid();
	test_load_errors();
	test_shipped();
	test_vendor_own();
	test_device_gap();
	test_dataset_brands();
	test_hostile();
	testfs_rmtree(tmpdir);
	return check_summary("test-attribution");
}
