/* test-dataset.c: the dataset inputs (dataset.h), on files written to a mkdtemp() directory. A valid
 * ciot manifest with every field checked (relative capture paths joined to the manifest's folder,
 * absolute ones kept, the device's manifest entry kept without its PII seeds), and a table of
 * manifests that must be rejected, each with the error text checked to name the place and the field
 * (unknown keys, missing or duplicate or ill-formed ids, bad MACs and IPs, phases and firmware
 * outside their sets, captures naming unknown devices, schema versions other than 1, invalid JSON).
 * Timetables: local times converted to UTC exactly (2024-04-16_15:28:09 at +8 is 1713252489 s), a
 * step's end second included, sorting, overlaps rejected, one-second touching steps trimmed, bad
 * times rejected; the lifecycle dataset's rules for step names (phases) and device names
 * (categories); time-zone offsets; the lifecycle layout on a temporary tree of tiny pcap files with
 * step files, an unsplit capture with its timetable, an IP table with a header row, the notes about
 * what was not used, the depth limit, and the errors; bare capture files.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "check.h"
#include "dataset.h"
#include "testfs.h"

static char tmpdir[PATH_MAX];

#define T(s) ((int64_t)(s) * 1000000)

/* A 24-byte classic pcap header: a valid, empty capture. */
static const uint8_t tiny_pcap[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0 };

static bool ip_is(const uint8_t a[16], const char *text)
{
	char s[CIOT_ADDR_STRLEN];
	ciot_addr_format(a, s);
	return CHECK_EQ_STR(s, text);
}

/* ---- manifest --------------------------------------------------------------------------------- */

static const char valid_manifest[] =
	"{\n"
	"  \"ciot_manifest\": 1,\n"
	"  \"name\": \"unit manifest\",\n"
	"  \"description\": \"two devices\",\n"
	"  \"home_country\": \"CN\",\n"
	"  \"licence\": \"CC0\",\n"
	"  \"devices\": [\n"
	"    {\"id\": \"tuya_plug\", \"name\": \"Tuya plug\", \"brand\": \"Tuya\", \"category\": \"plug\",\n"
	"     \"mac\": \"AA-BB-CC-DD-EE-01\", \"ip\": [\"192.168.1.20\", \"fe80::1\"], \"app\": \"Smart Life\",\n"
	"     \"vendor\": {\"domains\": [\"tuya.com\"]}, \"privacy_policy\": {\"organizations\": [\"Alibaba Cloud\"]},\n"
	"     \"pii_seeds\": {\"email\": \"alice@example.org\", \"device_name\": \"Kitchen plug\"},\n"
	"     \"notes\": \"n\"},\n"
	"    {\"id\": \"cam-2.v1\", \"category\": \"camera\", \"mac\": [\"aa:bb:cc:dd:ee:02\", \"AABBCCDDEE03\"],\n"
	"     \"name\": null}\n"
	"  ],\n"
	"  \"captures\": [\n"
	"    {\"file\": \"caps/plug_setup.pcap\", \"device\": \"tuya_plug\", \"phase\": \"setup\", \"subphase\": \"pairing\",\n"
	"     \"firmware\": \"pre\", \"interception\": \"self_signed\", \"notes\": \"x\"},\n"
	"    {\"file\": \"/abs/path/cam.pcapng\", \"device\": \"cam-2.v1\", \"phase\": \"idle\"},\n"
	"    {\"file\": \"cam_del.pcap\", \"device\": \"cam-2.v1\", \"phase\": \"deletion\", \"firmware\": \"post\"},\n"
	"    {\"file\": \"plug_on.pcap\", \"device\": \"tuya_plug\", \"phase\": \"interaction\", \"subphase\": \"on_remote\"}\n"
	"  ]\n"
	"}\n";

static void test_manifest_valid(void)
{
	char path[PATH_MAX], dir[PATH_MAX], expect[2 * PATH_MAX];
	testfs_write_text(path, tmpdir, "manifest-ok/manifest.json", valid_manifest);
	testfs_path(dir, tmpdir, "manifest-ok");
	struct ciot_dataset ds = { 0 };
	char err[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = ciot_dataset_load_manifest(&ds, path, err);
	if (!CHECK_EQ_INT(rc, CIOT_OK)) {
		fprintf(stderr, "  error: %s\n", err);
		ciot_dataset_free(&ds);
		return;
	}
	CHECK_EQ_STR(ds.name, "unit manifest");
	CHECK_EQ_STR(ds.kind, "manifest");
	CHECK_EQ_INT(ds.ndevices, 2);
	CHECK_EQ_INT(ds.ncaptures, 4);
	if (ds.ndevices == 2) {
		const struct ciot_device *d = &ds.devices[0];
		CHECK_EQ_STR(d->id, "tuya_plug");
		CHECK_EQ_STR(d->name, "Tuya plug");
		CHECK_EQ_STR(d->brand, "Tuya");
		CHECK_EQ_STR(d->category, "plug");
		CHECK_EQ_STR(d->app, "Smart Life");
		CHECK_EQ_INT(d->nmacs, 1);
		static const uint8_t mac1[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01 };
		CHECK_EQ_MEM(d->macs[0], mac1, 6);
		CHECK_EQ_INT(d->nips, 2);
		ip_is(d->ips[0], "192.168.1.20");
		ip_is(d->ips[1], "fe80::1");
		/* the entry, sorted and compact, without its PII seeds */
		CHECK_EQ_STR(d->manifest_json,
			     "{\"app\":\"Smart Life\",\"brand\":\"Tuya\",\"category\":\"plug\",\"id\":\"tuya_plug\","
			     "\"ip\":[\"192.168.1.20\",\"fe80::1\"],\"mac\":\"AA-BB-CC-DD-EE-01\",\"name\":\"Tuya plug\","
			     "\"notes\":\"n\",\"privacy_policy\":{\"organizations\":[\"Alibaba Cloud\"]},"
			     "\"vendor\":{\"domains\":[\"tuya.com\"]}}");
		CHECK(d->manifest_json && !strstr(d->manifest_json, "pii_seeds"));
		CHECK(d->manifest_json && !strstr(d->manifest_json, "alice@example.org"));
		CHECK(d->manifest_json && !strstr(d->manifest_json, "Kitchen plug"));

		d = &ds.devices[1];
		CHECK_EQ_STR(d->id, "cam-2.v1");
		CHECK_EQ_STR(d->name, NULL);
		CHECK_EQ_STR(d->brand, NULL);
		CHECK_EQ_STR(d->app, NULL);
		CHECK_EQ_STR(d->category, "camera");
		CHECK_EQ_INT(d->nmacs, 2);
		static const uint8_t mac2[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x02 }, mac3[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x03 };
		CHECK_EQ_MEM(d->macs[0], mac2, 6);
		CHECK_EQ_MEM(d->macs[1], mac3, 6);
		CHECK_EQ_INT(d->nips, 0);
		CHECK_EQ_STR(d->manifest_json,
			     "{\"category\":\"camera\",\"id\":\"cam-2.v1\",\"mac\":[\"aa:bb:cc:dd:ee:02\",\"AABBCCDDEE03\"],"
			     "\"name\":null}");
	}
	if (ds.ncaptures == 4) {
		const struct ciot_capture *c = &ds.captures[0];
		snprintf(expect, sizeof expect, "%s/caps/plug_setup.pcap", dir);
		CHECK_EQ_STR(c->path, expect);
		CHECK_EQ_INT(c->device, 0);
		CHECK_EQ_INT(c->phase, CIOT_PHASE_SETUP);
		CHECK_EQ_STR(c->subphase, "pairing");
		CHECK_EQ_STR(c->firmware, "pre");
		CHECK_EQ_STR(c->interception, "self_signed");
		CHECK(c->windows == NULL);
		CHECK_EQ_INT(c->nwindows, 0);
		c = &ds.captures[1];
		CHECK_EQ_STR(c->path, "/abs/path/cam.pcapng");
		CHECK_EQ_INT(c->device, 1);
		CHECK_EQ_INT(c->phase, CIOT_PHASE_IDLE);
		CHECK_EQ_STR(c->subphase, NULL);
		CHECK_EQ_STR(c->firmware, NULL);
		CHECK_EQ_STR(c->interception, NULL);
		c = &ds.captures[2];
		snprintf(expect, sizeof expect, "%s/cam_del.pcap", dir);
		CHECK_EQ_STR(c->path, expect);
		CHECK_EQ_INT(c->device, 1);
		CHECK_EQ_INT(c->phase, CIOT_PHASE_DELETION);
		CHECK_EQ_STR(c->firmware, "post");
		c = &ds.captures[3];
		CHECK_EQ_INT(c->device, 0);
		CHECK_EQ_INT(c->phase, CIOT_PHASE_INTERACTION);
		CHECK_EQ_STR(c->subphase, "on_remote");
	}
	ciot_dataset_free(&ds);
	CHECK_EQ_INT(ds.ndevices, 0);
	CHECK(ds.devices == NULL);

	/* a manifest given by a relative path: captures relative to the current folder's manifest */
	char cwd[PATH_MAX];
	if (CHECK(getcwd(cwd, sizeof cwd) != NULL) && CHECK(chdir(dir) == 0)) {
		memset(&ds, 0, sizeof ds);
		CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, "manifest.json", err), CIOT_OK);
		if (ds.ncaptures == 4)
			CHECK_EQ_STR(ds.captures[2].path, "cam_del.pcap");
		ciot_dataset_free(&ds);
		CHECK(chdir(cwd) == 0);
	}
}

#define DEV "{\"id\":\"a_plug\",\"category\":\"plug\"}"
#define CAP "{\"file\":\"a.pcap\",\"device\":\"a_plug\",\"phase\":\"idle\"}"
#define MANIFEST(version, devices, captures) \
	"{\"ciot_manifest\":" version ",\"devices\":[" devices "],\"captures\":[" captures "]}"
#define SEVENTEEN_MACS                                                                                     \
	"\"00:00:00:00:00:01\",\"00:00:00:00:00:02\",\"00:00:00:00:00:03\",\"00:00:00:00:00:04\","           \
	"\"00:00:00:00:00:05\",\"00:00:00:00:00:06\",\"00:00:00:00:00:07\",\"00:00:00:00:00:08\","           \
	"\"00:00:00:00:00:09\",\"00:00:00:00:00:0a\",\"00:00:00:00:00:0b\",\"00:00:00:00:00:0c\","           \
	"\"00:00:00:00:00:0d\",\"00:00:00:00:00:0e\",\"00:00:00:00:00:0f\",\"00:00:00:00:00:10\","           \
	"\"00:00:00:00:00:11\""
#define LONG_256 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Lab hosts: what an entry may be, and what it matches (an address, a prefix, a name and below). */
static void test_lab_hosts(void)
{
	static const char *const valid[] = { "192.0.2.53", "2001:db8::1", "203.0.113.0/24", "2001:db8::/32", "0.0.0.0/0",
					     "ntp.lab.example", "resolver", "lab-gw_1.example" };
	static const char *const invalid[] = { "", "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/x",
					       ".lab.example", "a..b", "dns lab", "lab\"x", "10.0.0.1/-1" };
	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
		if (!CHECK(ciot_dataset_valid_lab_host(valid[i])))
			fprintf(stderr, "  valid: %s\n", valid[i]);
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
		if (!CHECK(!ciot_dataset_valid_lab_host(invalid[i])))
			fprintf(stderr, "  invalid: %s\n", invalid[i]);
	uint8_t a[16], b[16], v6[16];
	ciot_addr_parse("203.0.113.200", a);
	ciot_addr_parse("203.0.114.1", b);
	ciot_addr_parse("2001:db8:1::5", v6);
	CHECK(ciot_lab_host_match("203.0.113.0/24", a, NULL));
	CHECK(!ciot_lab_host_match("203.0.113.0/24", b, NULL));
	CHECK(ciot_lab_host_match("203.0.112.0/23", a, NULL));
	CHECK(!ciot_lab_host_match("203.0.112.0/24", a, NULL));
	CHECK(ciot_lab_host_match("203.0.113.200", a, "x.example"));
	CHECK(!ciot_lab_host_match("203.0.113.0/24", v6, NULL)); /* an IPv4 prefix never matches IPv6 */
	CHECK(ciot_lab_host_match("2001:db8::/32", v6, NULL));
	CHECK(ciot_lab_host_match("lab.example", b, "ntp.LAB.example."));
	CHECK(ciot_lab_host_match("lab.example", b, "lab.example"));
	CHECK(!ciot_lab_host_match("lab.example", b, "notlab.example"));
	CHECK(!ciot_lab_host_match("lab.example", b, NULL));

	/* a manifest's list: read, duplicates once */
	struct ciot_dataset ds = { 0 };
	char dir[PATH_MAX], path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	testfs_mkdtemp(dir, "dataset-lab");
	testfs_write_text(path, dir, "m.json",
			  "{\"ciot_manifest\":1,\"lab_hosts\":[\"192.0.2.53\",\"lab.example\",\"LAB.example\"],"
			  "\"devices\":[],\"captures\":[]}");
	if (CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, path, err), CIOT_OK)) {
		CHECK_EQ_INT(ds.nlab_hosts, 2);
		CHECK_EQ_STR(ds.lab_hosts[1], "lab.example");
	}
	ciot_dataset_free(&ds);
	testfs_rmtree(dir);
}

static void put_pcap(const char *root, const char *rel);

static void test_manifest_rejections(void)
{
	static const struct {
		const char *name, *json;
		enum ciot_rc rc;
		const char *where, *what;
	} cases[] = {
		{ "baseline-is-valid", MANIFEST("1", DEV, CAP), CIOT_OK, NULL, NULL },
		{ "unknown-top-key", "{\"ciot_manifest\":1,\"colour\":\"red\",\"devices\":[" DEV "],\"captures\":[" CAP "]}",
		  CIOT_ERR_FORMAT, "manifest", "unknown key \"colour\"" },
		{ "lab-hosts-not-array", "{\"ciot_manifest\":1,\"lab_hosts\":\"10.0.0.1\",\"devices\":[" DEV "],\"captures\":[" CAP "]}",
		  CIOT_ERR_FORMAT, "manifest", "\"lab_hosts\" must be an array" },
		{ "lab-hosts-bad-prefix", "{\"ciot_manifest\":1,\"lab_hosts\":[\"10.0.0.0/33\"],\"devices\":[" DEV "],\"captures\":[" CAP "]}",
		  CIOT_ERR_FORMAT, "manifest", "\"lab_hosts\" entries" },
		{ "lab-hosts-bad-name", "{\"ciot_manifest\":1,\"lab_hosts\":[\"dns lab\"],\"devices\":[" DEV "],\"captures\":[" CAP "]}",
		  CIOT_ERR_FORMAT, "manifest", "\"lab_hosts\" entries" },
		{ "unknown-device-key", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"serial\":\"x\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "unknown key \"serial\"" },
		{ "unknown-capture-key", MANIFEST("1", DEV, "{\"file\":\"a.pcap\",\"device\":\"a_plug\",\"phsae\":\"idle\"}"),
		  CIOT_ERR_FORMAT, "captures[0]", "unknown key \"phsae\"" },
		{ "missing-id", MANIFEST("1", "{\"category\":\"plug\"}", CAP), CIOT_ERR_FORMAT, "devices[0]",
		  "\"id\" is required" },
		{ "empty-id", MANIFEST("1", "{\"id\":\"\",\"category\":\"plug\"}", CAP), CIOT_ERR_FORMAT, "devices[0]",
		  "\"id\"" },
		{ "id-not-string", MANIFEST("1", "{\"id\":7,\"category\":\"plug\"}", CAP), CIOT_ERR_FORMAT, "devices[0]",
		  "\"id\"" },
		{ "id-with-slash", MANIFEST("1", "{\"id\":\"a/plug\",\"category\":\"plug\"}", CAP), CIOT_ERR_FORMAT,
		  "devices[0]", "\"id\" may hold only" },
		{ "id-dot-dot", MANIFEST("1", "{\"id\":\"..\",\"category\":\"plug\"}", CAP), CIOT_ERR_FORMAT, "devices[0]",
		  "\"id\" may hold only" },
		{ "id-with-space", MANIFEST("1", "{\"id\":\"a plug\",\"category\":\"plug\"}", CAP), CIOT_ERR_FORMAT,
		  "devices[0]", "\"id\" may hold only" },
		{ "duplicate-id", MANIFEST("1", DEV "," DEV, CAP), CIOT_ERR_FORMAT, "devices[1]",
		  "\"id\" is used by another device" },
		{ "missing-category", MANIFEST("1", "{\"id\":\"a_plug\"}", CAP), CIOT_ERR_FORMAT, "devices[0]",
		  "\"category\" is required" },
		{ "bad-mac", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"mac\":\"aa:bb:cc:dd:ee\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"mac\": \"aa:bb:cc:dd:ee\" is not a valid MAC address" },
		{ "bad-mac-in-array",
		  MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"mac\":[\"aa:bb:cc:dd:ee:ff\",\"zz:bb:cc:dd:ee:ff\"]}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"zz:bb:cc:dd:ee:ff\" is not a valid MAC" },
		{ "mac-number", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"mac\":5}", CAP), CIOT_ERR_FORMAT,
		  "devices[0]", "\"mac\" must be a string or an array of strings" },
		{ "seventeen-macs", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"mac\":[" SEVENTEEN_MACS "]}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "more than 16 entries in \"mac\"" },
		{ "bad-ip", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"ip\":\"192.168.1.300\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"ip\": \"192.168.1.300\" is not a valid IP address" },
		{ "bad-ip-in-array", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"ip\":[\"10.0.0.1\",\"fe80::zz\"]}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"ip\": \"fe80::zz\" is not a valid IP address" },
		{ "phase-not-in-the-four", MANIFEST("1", DEV, "{\"file\":\"a.pcap\",\"device\":\"a_plug\",\"phase\":\"teardown\"}"),
		  CIOT_ERR_FORMAT, "captures[0]", "\"phase\" must be setup, interaction, idle or deletion" },
		{ "phase-step-name", MANIFEST("1", DEV, "{\"file\":\"a.pcap\",\"device\":\"a_plug\",\"phase\":\"delete\"}"),
		  CIOT_ERR_FORMAT, "captures[0]", "\"phase\"" },
		{ "missing-phase", MANIFEST("1", DEV, "{\"file\":\"a.pcap\",\"device\":\"a_plug\"}"), CIOT_ERR_FORMAT,
		  "captures[0]", "\"phase\" is required" },
		{ "firmware-not-pre-post",
		  MANIFEST("1", DEV, "{\"file\":\"a.pcap\",\"device\":\"a_plug\",\"phase\":\"idle\",\"firmware\":\"beta\"}"),
		  CIOT_ERR_FORMAT, "captures[0]", "\"firmware\" must be \"pre\" or \"post\"" },
		{ "unknown-device", MANIFEST("1", DEV, "{\"file\":\"a.pcap\",\"device\":\"b_cam\",\"phase\":\"idle\"}"),
		  CIOT_ERR_FORMAT, "captures[0]", "\"device\" names no device" },
		{ "second-capture-unknown-device",
		  MANIFEST("1", DEV, CAP ",{\"file\":\"b.pcap\",\"device\":\"A_PLUG\",\"phase\":\"idle\"}"), CIOT_ERR_FORMAT,
		  "captures[1]", "\"device\"" },
		{ "missing-file", MANIFEST("1", DEV, "{\"device\":\"a_plug\",\"phase\":\"idle\"}"), CIOT_ERR_FORMAT,
		  "captures[0]", "\"file\" is required" },
		{ "version-2", MANIFEST("2", DEV, CAP), CIOT_ERR_FORMAT, "manifest", "\"ciot_manifest\" must be 1" },
		{ "version-string", MANIFEST("\"1\"", DEV, CAP), CIOT_ERR_FORMAT, "manifest", "\"ciot_manifest\"" },
		{ "version-real", MANIFEST("1.0", DEV, CAP), CIOT_ERR_FORMAT, "manifest", "\"ciot_manifest\"" },
		{ "version-missing", "{\"devices\":[" DEV "],\"captures\":[" CAP "]}", CIOT_ERR_FORMAT, "manifest",
		  "\"ciot_manifest\"" },
		{ "invalid-json", "{\"ciot_manifest\":1,\"devices\":[" DEV ",", CIOT_ERR_FORMAT, "line 1", NULL },
		{ "duplicate-json-key", "{\"ciot_manifest\":1,\"ciot_manifest\":1,\"devices\":[" DEV "],\"captures\":[" CAP "]}",
		  CIOT_ERR_FORMAT, "duplicate", NULL },
		{ "not-an-object", "[1,2,3]", CIOT_ERR_FORMAT, "manifest", "must be a JSON object" },
		{ "devices-not-array", "{\"ciot_manifest\":1,\"devices\":{},\"captures\":[]}", CIOT_ERR_FORMAT, "manifest",
		  "\"devices\" and \"captures\" must be arrays" },
		{ "device-not-object", MANIFEST("1", "1", ""), CIOT_ERR_FORMAT, "devices[0]", "must be an object" },
		{ "name-control-character", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"name\":\"a\\u0007b\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"name\" must be a non-empty string" },
		{ "brand-256-bytes", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"brand\":\"" LONG_256 "\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"brand\"" },
		{ "vendor-not-object", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"vendor\":\"Tuya\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"vendor\" must be an object" },
		{ "privacy-policy-not-object",
		  MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"privacy_policy\":[]}", CAP), CIOT_ERR_FORMAT,
		  "devices[0]", "\"privacy_policy\" must be an object" },
		{ "pii-seeds-not-object", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"plug\",\"pii_seeds\":[\"x\"]}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]", "\"pii_seeds\" must be an object" },
		{ "no-devices-no-captures", MANIFEST("1", "", ""), CIOT_OK, NULL, NULL },
		{ "unknown-category", MANIFEST("1", "{\"id\":\"a_plug\",\"category\":\"toaster\"}", CAP),
		  CIOT_ERR_FORMAT, "devices[0]",
		  "\"category\" \"toaster\" is none of camera, doorbell, speaker, plug, light, hub, sensor, humidifier, other" },
		{ "file-listed-twice", MANIFEST("1", DEV, CAP "," CAP), CIOT_ERR_FORMAT, "captures[1]",
		  "a.pcap is listed twice for device a_plug (also as captures[0])" },
		{ "file-listed-twice-spelled-otherwise",
		  MANIFEST("1", DEV, CAP ",{\"file\":\"./a.pcap\",\"device\":\"a_plug\",\"phase\":\"setup\"}"),
		  CIOT_ERR_FORMAT, "captures[1]", "is listed twice for device a_plug (also as captures[0])" },
		{ "one-file-two-devices",
		  MANIFEST("1", DEV ",{\"id\":\"b_cam\",\"category\":\"camera\"}",
			   CAP ",{\"file\":\"a.pcap\",\"device\":\"b_cam\",\"phase\":\"idle\"}"), CIOT_OK, NULL, NULL },
	};
	put_pcap(tmpdir, "manifest-bad/a.pcap"); /* known by its inode, however a manifest spells it */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		char rel[128], path[PATH_MAX];
		snprintf(rel, sizeof rel, "manifest-bad/%s.json", cases[i].name);
		testfs_write_text(path, tmpdir, rel, cases[i].json);
		struct ciot_dataset ds = { 0 };
		char err[CIOT_ERRBUF_SIZE] = "";
		CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, path, err), cases[i].rc);
		if (cases[i].where)
			CHECK_CONTAINS(err, cases[i].where);
		if (cases[i].what)
			CHECK_CONTAINS(err, cases[i].what);
		ciot_dataset_free(&ds);
		check_case(before, cases[i].name);
	}
	/* a manifest that is not there */
	struct ciot_dataset ds = { 0 };
	char path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, tmpdir, "no-such-manifest.json"), err),
		     CIOT_ERR_IO);
	ciot_dataset_free(&ds);
}

/* ---- timetables ------------------------------------------------------------------------------- */

static void test_timetable_one(void)
{
	struct ciot_window *w;
	size_t n;
	char err[CIOT_ERRBUF_SIZE] = "";
	static const struct {
		int tz;
		int64_t start_s;
	} zones[] = { { 8 * 3600, 1713252489 }, { 0, 1713252489 + 8 * 3600 }, { -(5 * 3600 + 1800), 1713252489 + 8 * 3600 + 5 * 3600 + 1800 } };
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		CHECK_EQ_INT(ciot_timetable_parse("setup 2024-04-16_15:28:09 2024-04-16_15:28:51 42", zones[i].tz, &w, &n, err),
			     CIOT_OK);
		if (CHECK_EQ_INT(n, 1)) {
			CHECK_EQ_INT(w[0].start_us, T(zones[i].start_s));
			CHECK_EQ_INT(w[0].end_us, T(zones[i].start_s + 42 + 1)); /* the end second is included */
			CHECK_EQ_INT(w[0].phase, CIOT_PHASE_SETUP);
			CHECK_EQ_STR(w[0].subphase, "setup");
			free(w[0].subphase);
			free(w);
		}
	}
	/* a step of one second, and a leap second */
	CHECK_EQ_INT(ciot_timetable_parse("idle 2024-04-16_15:28:09 2024-04-16_15:28:09", 28800, &w, &n, err), CIOT_OK);
	if (CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_INT(w[0].end_us - w[0].start_us, T(1));
		free(w[0].subphase);
		free(w);
	}
	CHECK_EQ_INT(ciot_timetable_parse("idle 2016-12-31_23:59:60 2017-01-01_00:00:00", 0, &w, &n, err), CIOT_OK);
	if (CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_INT(w[0].start_us, T(1483228800));
		free(w[0].subphase);
		free(w);
	}
}

static void test_timetable_many(void)
{
	/* out of order, a comment, a blank line, CRLF, leading blanks, no final newline; "setup" ends in
	 * the second "watch_local" starts, so it is trimmed to end there */
	static const char text[] =
		"# step start end duration\n"
		"\n"
		"idle_on_remote 2024-04-16_15:30:00 2024-04-16_15:40:00 600\r\n"
		"   watch_local 2024-04-16_15:28:51 2024-04-16_15:29:10 19\n"
		"setup 2024-04-16_15:28:09 2024-04-16_15:28:51 42";
	struct ciot_window *w;
	size_t n;
	char err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_timetable_parse(text, 28800, &w, &n, err), CIOT_OK);
	if (!CHECK_EQ_INT(n, 3))
		return;
	static const struct {
		const char *step;
		enum ciot_phase phase;
		int64_t start, end;
	} want[] = {
		{ "setup", CIOT_PHASE_SETUP, 1713252489, 1713252531 },
		{ "watch_local", CIOT_PHASE_INTERACTION, 1713252531, 1713252551 },
		{ "idle_on_remote", CIOT_PHASE_IDLE, 1713252600, 1713253201 },
	};
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ_STR(w[i].subphase, want[i].step);
		CHECK_EQ_INT(w[i].phase, want[i].phase);
		CHECK_EQ_INT(w[i].start_us, T(want[i].start));
		CHECK_EQ_INT(w[i].end_us, T(want[i].end));
		free(w[i].subphase);
	}
	free(w);

	/* steps a second apart are not touched */
	CHECK_EQ_INT(ciot_timetable_parse("a 2024-04-16_15:00:00 2024-04-16_15:00:10\n"
					  "b 2024-04-16_15:00:11 2024-04-16_15:00:20\n", 0, &w, &n, err), CIOT_OK);
	if (CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_INT(w[0].end_us, w[1].start_us);
		CHECK_EQ_INT(w[0].end_us - w[0].start_us, T(11));
		free(w[0].subphase);
		free(w[1].subphase);
		free(w);
	}
}

static void test_timetable_errors(void)
{
	char long_line[700];
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[sizeof long_line - 1] = 0;
	static const struct {
		const char *name, *text, *needle;
	} cases[] = {
		{ "overlap", "a 2024-04-16_15:00:00 2024-04-16_15:00:10\nb 2024-04-16_15:00:05 2024-04-16_15:00:20\n",
		  "steps \"a\" and \"b\" overlap" },
		{ "overlap-2s", "a 2024-04-16_15:00:00 2024-04-16_15:00:10\nb 2024-04-16_15:00:09 2024-04-16_15:00:20\n",
		  "overlap" },
		{ "overlap-contained", "b 2024-04-16_15:00:02 2024-04-16_15:00:03\na 2024-04-16_15:00:00 2024-04-16_15:00:10\n",
		  "overlap" },
		{ "missing-end", "setup 2024-04-16_15:28:09\n", "line 1: expected \"step start end [duration]\"" },
		{ "end-before-start", "setup 2024-04-16_15:28:51 2024-04-16_15:28:09 1", "line 1: step ends before it starts" },
		{ "empty", "", "no steps" },
		{ "comments-only", "# nothing\n\n   \n", "no steps" },
		{ "line-too-long", NULL, "line 2: longer than" },
		{ "error-line-number", "a 2024-04-16_15:00:00 2024-04-16_15:00:10\n\nb 2024-04-16 15:00:11 2024-04-16_15:00:20\n",
		  "line 3: times must be YYYY-MM-DD_HH:MM:SS" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		char text[1024];
		if (cases[i].text)
			snprintf(text, sizeof text, "%s", cases[i].text);
		else
			snprintf(text, sizeof text, "setup 2024-04-16_15:28:09 2024-04-16_15:28:51\n%s\n", long_line);
		struct ciot_window *w = (struct ciot_window *)1;
		size_t n = 99;
		char err[CIOT_ERRBUF_SIZE] = "";
		CHECK_EQ_INT(ciot_timetable_parse(text, 28800, &w, &n, err), CIOT_ERR_FORMAT);
		CHECK(w == NULL);
		CHECK_EQ_INT(n, 0);
		CHECK_CONTAINS(err, cases[i].needle);
		check_case(before, cases[i].name);
	}

	/* times that are not YYYY-MM-DD_HH:MM:SS of a real calendar date and time of day */
	static const char *const bad_times[] = {
		"2024-04-16", "2024-04-16T15:28:09", "2024/04/16_15:28:09", "2024-04-16_15:28", "2024-04-16_15:28:09Z",
		"2024-04-16_15:28:09.5", "2024-13-01_00:00:00", "2024-00-10_00:00:00", "2024-04-00_00:00:00",
		"2024-04-32_00:00:00", "2024-04-16_24:00:00", "2024-04-16_15:60:00", "2024-04-16_15:28:61",
		"1969-12-31_23:59:59", "24-04-16_15:28:09", "tomorrow",
		/* negative fields */
		"2024-04-16_-1:28:09", "2024-04-16_15:-5:09", "2024-04-16_15:28:-9",
		/* days that do not exist in their month */
		"2024-02-30_12:00:00", "2023-02-29_12:00:00", "2024-04-31_12:00:00",
	};
	for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++)
		for (int as_end = 0; as_end < 2; as_end++) {
			char text[256], err[CIOT_ERRBUF_SIZE] = "";
			snprintf(text, sizeof text, "setup %s %s 1", as_end ? "2000-01-01_00:00:00" : bad_times[i],
				 as_end ? bad_times[i] : "2099-01-01_00:00:00");
			struct ciot_window *w = NULL;
			size_t n = 0;
			enum ciot_rc rc = ciot_timetable_parse(text, 0, &w, &n, err);
			if (!CHECK_EQ_INT(rc, CIOT_ERR_FORMAT)) {
				fprintf(stderr, "  accepted the %s time \"%s\"", as_end ? "end" : "start", bad_times[i]);
				if (n)
					fprintf(stderr, " as %lld s", (long long)((as_end ? w[0].end_us - T(1) : w[0].start_us) / 1000000));
				fprintf(stderr, "\n");
			} else {
				CHECK_CONTAINS(err, "times must be YYYY-MM-DD_HH:MM:SS");
			}
			for (size_t k = 0; k < n; k++)
				free(w[k].subphase);
			free(w);
		}
}

/* ---- naming rules ----------------------------------------------------------------------------- */

static void test_phases(void)
{
	static const struct {
		const char *step;
		enum ciot_phase phase;
	} steps[] = {
		{ "idle_on_remote", CIOT_PHASE_IDLE },  { "delete", CIOT_PHASE_DELETION },
		{ "setup_sensor", CIOT_PHASE_SETUP },   { "watch_local", CIOT_PHASE_INTERACTION },
		{ "update", CIOT_PHASE_INTERACTION },   { "idle", CIOT_PHASE_IDLE },
		{ "setup", CIOT_PHASE_SETUP },          { "deletion", CIOT_PHASE_DELETION },
		{ "delete_app", CIOT_PHASE_DELETION },  { "on_voice", CIOT_PHASE_INTERACTION },
		{ "idle_after_delete", CIOT_PHASE_IDLE }, { "setup_then_delete", CIOT_PHASE_DELETION },
		{ "", CIOT_PHASE_INTERACTION },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (!CHECK_EQ_STR(ciot_phase_name(ciot_phase_of_step(steps[i].step)), ciot_phase_name(steps[i].phase)))
			fprintf(stderr, "  ^ for step \"%s\"\n", steps[i].step);

	static const char *const names[] = { "setup", "interaction", "idle", "deletion" };
	for (int p = 0; p < CIOT_NPHASES; p++) {
		CHECK_EQ_STR(ciot_phase_name((enum ciot_phase)p), names[p]);
		enum ciot_phase out = CIOT_NPHASES;
		CHECK(ciot_phase_parse(names[p], &out));
		CHECK_EQ_INT(out, p);
	}
	CHECK_EQ_STR(ciot_phase_name(CIOT_NPHASES), "invalid");
	enum ciot_phase out;
	static const char *const not_phases[] = { "", "delete", "setup ", "idle_on", "invalid" };
	for (size_t i = 0; i < sizeof not_phases / sizeof not_phases[0]; i++)
		if (!CHECK(!ciot_phase_parse(not_phases[i], &out)))
			fprintf(stderr, "  accepted \"%s\"\n", not_phases[i]);
}

static void test_tz(void)
{
	static const struct {
		const char *text;
		int offset;
	} ok[] = {
		{ "+8", 28800 },      { "UTC+8", 28800 },   { "+08:00", 28800 },  { "-05:30", -19800 },
		{ "UTC", 0 },         { "GMT", 0 },         { "UTC-3", -10800 },  { "GMT+5:45", 20700 },
		{ "+0", 0 },          { "-0", 0 },          { "+14", 50400 },     { "-12", -43200 },
		{ "UTC+08:00", 28800 }, { "+05:30", 19800 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int off = 12345;
		if (CHECK(ciot_tz_parse(ok[i].text, &off)))
			CHECK_EQ_INT(off, ok[i].offset);
		else
			fprintf(stderr, "  rejected \"%s\"\n", ok[i].text);
	}
	static const char *const bad[] = {
		"8", "+15", "-15", "+8:7", "+8:5", "+8:60", "+8:070", "+8:", "UTC+", "+", "-", "+8h", "CET",
		" +8", "+8 ", "utc+8", "UTC8", "+x",
		/* a second sign or a blank after the first sign */
		"+-3", "+-99", "-+8", "+ 8",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int off = 12345;
		if (!CHECK(!ciot_tz_parse(bad[i], &off)))
			fprintf(stderr, "  accepted \"%s\" as %d s\n", bad[i], off);
	}
}

static void test_categories(void)
{
	static const struct {
		const char *device, *category;
	} cases[] = {
		{ "xiaodu_clock", "speaker" },      { "huawei_sound", "speaker" },      { "tplink_doorbell", "doorbell" },
		{ "Xiaomi_camera3", "camera" },     { "deebot_cleaner", NULL },         { "tuya_plug", "plug" },
		{ "x_hub", "hub" },                 { "YEELIGHT_bulb", "light" },       { "govee_humidifier", "humidifier" },
		{ "aqara_sensor", "sensor" },       { "echo_speaker", "speaker" },      { "", NULL },
		{ "ezviz_CAMERA", "camera" },       { "roborock", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (!CHECK_EQ_STR(ciot_category_of_device_name(cases[i].device), cases[i].category))
			fprintf(stderr, "  ^ for \"%s\"\n", cases[i].device);
	/* a name longer than any field: no overrun (the sanitizer build watches) */
	char name[600];
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = 0;
	memcpy(name + 100, "plug", 4);
	CHECK_EQ_STR(ciot_category_of_device_name(name), "plug");
}

/* ---- the lifecycle layout --------------------------------------------------------------------- */

static void put_pcap(const char *root, const char *rel)
{
	char path[PATH_MAX];
	testfs_write(path, root, rel, tiny_pcap, sizeof tiny_pcap);
}

static void put_text(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];
	testfs_write_text(path, root, rel, text);
}

static const char hub_timetable[] =
	"setup 2024-04-16_15:28:09 2024-04-16_15:28:51 42\n"
	"idle_on_remote 2024-04-16_15:30:00 2024-04-16_15:40:00 600\n"
	"watch_local 2024-04-16_15:28:51 2024-04-16_15:29:10 19\n";

static void test_lifecycle(void)
{
	char root[PATH_MAX], table[PATH_MAX];
	testfs_path(root, tmpdir, "lifecycle");
	static const char *const captures[] = {
		"tuya_plug/tuya_plug_setup.pcap",       "tuya_plug/tuya_plug_idle_on_remote.pcap",
		"tuya_plug/tuya_plug_delete.pcap",      "tuya_plug/tuya_plug_watch_local.pcap",
		"tuya_plug/tuya_plug.pcap",             "x_hub/x_hub.pcap",
		"deebot_cleaner/deebot_cleaner_setup.pcap", "tplink_doorbell_lifecycle/tplink_doorbell_setup.pcapng",
		"misc/readme.pcap",                     "nohub/nohub.pcap",
		"deep/a/x_camera/x_camera_setup.pcap",        "deep/a/b/z_camera/z_camera_setup.pcap",
		"deep/a/b/c/y_camera/y_camera_setup.pcap", /* five folders deep: not looked at */
	};
	for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++)
		put_pcap(root, captures[i]);
	put_text(root, "tuya_plug/tuya_plug.txt", hub_timetable);
	put_text(root, "tuya_plug/tuya_plug_notes.txt", "not a capture\n");
	put_text(root, "x_hub/x_hub.txt", hub_timetable);
	put_text(root, ".hidden/.hidden_setup.pcap", "");
	testfs_write_text(table, tmpdir, "ip-table.csv",
			  "device,ip\r\ntuya_plug,192.168.1.20\nx_hub , 192.168.1.30 \n\nghost_plug,1.2.3.4\ntuya_plug,fe80::20\n");

	struct ciot_dataset ds = { 0 };
	char notes[4096] = "", err[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = ciot_dataset_load_lifecycle(&ds, root, table, 8 * 3600, notes, sizeof notes, err);
	if (!CHECK_EQ_INT(rc, CIOT_OK)) {
		fprintf(stderr, "  error: %s\n", err);
		ciot_dataset_free(&ds);
		return;
	}
	CHECK_EQ_STR(ds.kind, "lifecycle");
	static const struct {
		const char *id, *brand, *category;
		const char *ips[2];
	} devices[] = {
		{ "deebot_cleaner", "deebot", "other", { NULL } },
		{ "z_camera", "z", "camera", { NULL } },
		{ "x_camera", "x", "camera", { NULL } },
		{ "tplink_doorbell", "tplink", "doorbell", { NULL } },
		{ "tuya_plug", "tuya", "plug", { "192.168.1.20", "fe80::20" } },
		{ "x_hub", "x", "hub", { "192.168.1.30" } },
	};
	if (CHECK_EQ_INT(ds.ndevices, sizeof devices / sizeof devices[0]))
		for (size_t i = 0; i < ds.ndevices; i++) {
			unsigned before = check_failures;
			const struct ciot_device *d = &ds.devices[i];
			CHECK_EQ_STR(d->id, devices[i].id);
			CHECK_EQ_STR(d->name, devices[i].id);
			CHECK_EQ_STR(d->brand, devices[i].brand);
			CHECK_EQ_STR(d->category, devices[i].category);
			CHECK_EQ_INT(d->nmacs, 0);
			size_t nips = devices[i].ips[1] ? 2 : devices[i].ips[0] ? 1 : 0;
			if (CHECK_EQ_INT(d->nips, nips))
				for (size_t k = 0; k < nips; k++)
					ip_is(d->ips[k], devices[i].ips[k]);
			check_case(before, devices[i].id);
		}
	static const struct {
		const char *rel;
		size_t device;
		enum ciot_phase phase;
		const char *subphase;
	} caps[] = {
		{ "deebot_cleaner/deebot_cleaner_setup.pcap", 0, CIOT_PHASE_SETUP, "setup" },
		{ "deep/a/b/z_camera/z_camera_setup.pcap", 1, CIOT_PHASE_SETUP, "setup" },
		{ "deep/a/x_camera/x_camera_setup.pcap", 2, CIOT_PHASE_SETUP, "setup" },
		{ "tplink_doorbell_lifecycle/tplink_doorbell_setup.pcapng", 3, CIOT_PHASE_SETUP, "setup" },
		{ "tuya_plug/tuya_plug_delete.pcap", 4, CIOT_PHASE_DELETION, "delete" },
		{ "tuya_plug/tuya_plug_idle_on_remote.pcap", 4, CIOT_PHASE_IDLE, "idle_on_remote" },
		{ "tuya_plug/tuya_plug_setup.pcap", 4, CIOT_PHASE_SETUP, "setup" },
		{ "tuya_plug/tuya_plug_watch_local.pcap", 4, CIOT_PHASE_INTERACTION, "watch_local" },
		{ "x_hub/x_hub.pcap", 5, CIOT_PHASE_SETUP, NULL },
	};
	if (CHECK_EQ_INT(ds.ncaptures, sizeof caps / sizeof caps[0]))
		for (size_t i = 0; i < ds.ncaptures; i++) {
			unsigned before = check_failures;
			const struct ciot_capture *c = &ds.captures[i];
			char path[2 * PATH_MAX];
			snprintf(path, sizeof path, "%s/%s", root, caps[i].rel);
			CHECK_EQ_STR(c->path, path);
			CHECK_EQ_INT(c->device, caps[i].device);
			CHECK_EQ_STR(c->subphase, caps[i].subphase);
			CHECK_EQ_STR(c->firmware, NULL);
			if (caps[i].subphase) {
				CHECK_EQ_INT(c->phase, caps[i].phase);
				CHECK_EQ_INT(c->nwindows, 0);
			}
			check_case(before, caps[i].rel);
		}
	if (ds.ncaptures == 9) {
		const struct ciot_capture *hub = &ds.captures[8];
		static const struct {
			const char *step;
			enum ciot_phase phase;
			int64_t start, end;
		} want[] = {
			{ "setup", CIOT_PHASE_SETUP, 1713252489, 1713252531 },
			{ "watch_local", CIOT_PHASE_INTERACTION, 1713252531, 1713252551 },
			{ "idle_on_remote", CIOT_PHASE_IDLE, 1713252600, 1713253201 },
		};
		if (CHECK_EQ_INT(hub->nwindows, 3))
			for (size_t i = 0; i < 3; i++) {
				CHECK_EQ_STR(hub->windows[i].subphase, want[i].step);
				CHECK_EQ_INT(hub->windows[i].phase, want[i].phase);
				CHECK_EQ_INT(hub->windows[i].start_us, T(want[i].start));
				CHECK_EQ_INT(hub->windows[i].end_us, T(want[i].end));
			}
	}
	CHECK_CONTAINS(notes, "device deebot_cleaner: no category in its name, counted as \"other\"");
	CHECK_CONTAINS(notes, "nohub/nohub.pcap: no timetable");
	CHECK_CONTAINS(notes, "tuya_plug/tuya_plug.pcap: not used, the device's step files are");
	CHECK_CONTAINS(notes, "misc/readme.pcap: not named <device>_<step> inside a <device> folder");
	CHECK_CONTAINS(notes, "IP table: device ghost_plug has no captures, ignored");
	CHECK(!strstr(notes, "y_camera"));
	CHECK(!strstr(notes, "hidden"));
	ciot_dataset_free(&ds);

	/* notes are cut at their buffer's size, never overrun */
	char small[16];
	memset(small, 0, sizeof small);
	rc = ciot_dataset_load_lifecycle(&ds, root, NULL, 8 * 3600, small, sizeof small, err);
	CHECK_EQ_INT(rc, CIOT_OK);
	CHECK_EQ_INT(strlen(small), sizeof small - 1);
	ciot_dataset_free(&ds);
}

static void test_lifecycle_errors(void)
{
	char root[PATH_MAX], path[PATH_MAX], notes[1024], err[CIOT_ERRBUF_SIZE];
	struct ciot_dataset ds = { 0 };

	/* no captures at all */
	testfs_path(root, tmpdir, "lifecycle-empty");
	testfs_mkdirs(root);
	put_text(root, "tuya_plug/readme.txt", "nothing\n");
	notes[0] = 0;
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, NULL, 0, notes, sizeof notes, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "no <device>/<device>_<step>.pcap files found");
	ciot_dataset_free(&ds);

	/* a folder that is not there */
	testfs_path(root, tmpdir, "lifecycle-missing");
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, NULL, 0, notes, sizeof notes, err), CIOT_ERR_IO);
	CHECK_CONTAINS(err, strerror(ENOENT));
	ciot_dataset_free(&ds);

	/* a timetable with overlapping steps: the error names the timetable */
	testfs_path(root, tmpdir, "lifecycle-overlap");
	put_pcap(root, "y_hub/y_hub.pcap");
	put_text(root, "y_hub/y_hub.txt",
		 "a 2024-04-16_15:00:00 2024-04-16_15:00:10\nb 2024-04-16_15:00:05 2024-04-16_15:00:20\n");
	notes[0] = 0;
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, NULL, 0, notes, sizeof notes, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "y_hub/y_hub.txt");
	CHECK_CONTAINS(err, "overlap");
	ciot_dataset_free(&ds);

	/* an IP table with a bad address after its first line, and one that is not there */
	testfs_path(root, tmpdir, "lifecycle-iptable");
	put_pcap(root, "tuya_plug/tuya_plug_setup.pcap");
	testfs_write_text(path, tmpdir, "bad-ip-table.csv", "tuya_plug,192.168.1.20\ntuya_plug,192.168.1.256\n");
	notes[0] = 0;
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, path, 0, notes, sizeof notes, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "line 2");
	CHECK_CONTAINS(err, "192.168.1.256");
	ciot_dataset_free(&ds);
	testfs_write_text(path, tmpdir, "no-comma.csv", "tuya_plug 192.168.1.20\n");
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, path, 0, notes, sizeof notes, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "expected \"device,IP\"");
	ciot_dataset_free(&ds);
	testfs_path(path, tmpdir, "no-such-table.csv");
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, path, 0, notes, sizeof notes, err), CIOT_ERR_IO);
	ciot_dataset_free(&ds);

	/* a device folder whose name cannot be an id */
	testfs_path(root, tmpdir, "lifecycle-badname");
	put_pcap(root, "tuya plug/tuya plug_setup.pcap");
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, NULL, 0, notes, sizeof notes, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "tuya plug");
	ciot_dataset_free(&ds);
}

/* Files of a dataset that are dangling symbolic links (a git-annex or Git LFS checkout whose
 * content was not fetched): stat() fails on them, so they are not regular files and must not become
 * captures. Several device folders, each with one real file and one dangling link, so that the
 * result does not depend on the order readdir returns them in. */
static void test_lifecycle_dangling(void)
{
	char root[PATH_MAX], link_path[PATH_MAX], rel[128];
	testfs_path(root, tmpdir, "lifecycle-dangling");
	enum { NDEV = 16 };
	for (int i = 0; i < NDEV; i++) {
		snprintf(rel, sizeof rel, "ghost%d_cam/ghost%d_cam_idle.pcap", i, i);
		put_pcap(root, rel);
		snprintf(rel, sizeof rel, "ghost%d_cam/ghost%d_cam_setup.pcap", i, i);
		testfs_path(link_path, root, rel);
		if (!CHECK(symlink("../annex/objects/missing.pcap", link_path) == 0))
			return;
	}
	struct ciot_dataset ds = { 0 };
	char notes[4096] = "", err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, NULL, 0, notes, sizeof notes, err), CIOT_OK);
	CHECK_EQ_INT(ds.ndevices, NDEV);
	unsigned dangling = 0;
	for (size_t i = 0; i < ds.ncaptures; i++) {
		struct stat st;
		if (stat(ds.captures[i].path, &st) != 0) {
			dangling++;
			fprintf(stderr, "  a dangling link became a capture: %s\n", ds.captures[i].path);
		}
	}
	CHECK_EQ_INT(dangling, 0);
	CHECK_EQ_INT(ds.ncaptures, NDEV);
	ciot_dataset_free(&ds);
}

/* A symlink loop (a device folder linked into itself, and into its parent) and a second link to a
 * capture: every file counted once, under the first of its paths. */
static void test_lifecycle_loop(void)
{
	char root[PATH_MAX], link_path[PATH_MAX];
	testfs_path(root, tmpdir, "lifecycle-loop");
	put_pcap(root, "loop_cam/loop_cam_idle.pcap");
	put_pcap(root, "loop_cam/loop_cam_setup.pcap");
	CHECK(symlink(".", testfs_path(link_path, root, "loop_cam/again")) == 0);
	CHECK(symlink("..", testfs_path(link_path, root, "loop_cam/up")) == 0);
	CHECK(symlink("loop_cam_idle.pcap", testfs_path(link_path, root, "loop_cam/loop_cam_idle2.pcap")) == 0);
	struct ciot_dataset ds = { 0 };
	char notes[4096] = "", err[CIOT_ERRBUF_SIZE] = "";
	CHECK_EQ_INT(ciot_dataset_load_lifecycle(&ds, root, NULL, 0, notes, sizeof notes, err), CIOT_OK);
	CHECK_EQ_INT(ds.ndevices, 1);
	if (CHECK_EQ_INT(ds.ncaptures, 2)) {
		CHECK_CONTAINS(ds.captures[0].path, "lifecycle-loop/loop_cam/loop_cam_idle.pcap");
		CHECK_CONTAINS(ds.captures[1].path, "lifecycle-loop/loop_cam/loop_cam_setup.pcap");
	}
	ciot_dataset_free(&ds);
}

/* Device lookup is a hash: a manifest of 100,000 devices and as many captures loads in seconds
 * (a linear search took minutes at 426k); the bound is generous for a sanitizer build on a busy
 * machine. */
static void test_large_manifest(void)
{
	enum { N = 100000 };
	size_t cap = (size_t)N * 160 + 256, used = 0;
	char *json = malloc(cap);
	if (!CHECK(json != NULL))
		return;
	used += (size_t)snprintf(json + used, cap - used, "{\"ciot_manifest\":1,\"devices\":[");
	for (int i = 0; i < N; i++)
		used += (size_t)snprintf(json + used, cap - used, "%s{\"id\":\"dev%d\",\"category\":\"plug\"}",
					 i ? "," : "", i);
	used += (size_t)snprintf(json + used, cap - used, "],\"captures\":[");
	for (int i = 0; i < N; i++)
		used += (size_t)snprintf(json + used, cap - used,
					 "%s{\"file\":\"c%d.pcap\",\"device\":\"dev%d\",\"phase\":\"idle\"}",
					 i ? "," : "", i, N - 1 - i);
	snprintf(json + used, cap - used, "]}");
	char path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	testfs_write_text(path, tmpdir, "large.json", json);
	free(json);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct ciot_dataset ds = { 0 };
	CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, path, err), CIOT_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  %d devices and %d captures loaded in %.2f s\n", N, N, seconds);
	CHECK(seconds < 30);
	if (CHECK_EQ_INT(ds.ncaptures, N))
		CHECK_EQ_STR(ds.devices[ds.captures[N - 1].device].id, "dev0");
	ciot_dataset_free(&ds);
}

/* ---- bare files ------------------------------------------------------------------------------- */

static void test_add_file(void)
{
	struct ciot_dataset ds = { 0 };
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_bare_options o = { .phase = CIOT_PHASE_IDLE };
	/* the device is named after the file */
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "/data/Tuya Plug.v2.pcap", &o, err), CIOT_OK);
	CHECK_EQ_STR(ds.kind, "files");
	if (CHECK_EQ_INT(ds.ndevices, 1)) {
		CHECK_EQ_STR(ds.devices[0].id, "Tuya_Plug");
		CHECK_EQ_STR(ds.devices[0].category, "plug");
	}
	/* a second file of a named device with addresses */
	struct ciot_bare_options p = { .device = "cam1", .category = "camera", .brand = "ezviz",
				       .phase = CIOT_PHASE_SETUP, .subphase = "pairing", .firmware = "pre",
				       .macs = { "aa:bb:cc:dd:ee:ff" }, .nmacs = 1, .ips = { "10.0.0.5" }, .nips = 1 };
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "cam1_setup.pcap", &p, err), CIOT_OK);
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "cam1_idle.pcap", &p, err), CIOT_OK);
	if (CHECK_EQ_INT(ds.ndevices, 2) && CHECK_EQ_INT(ds.ncaptures, 3)) {
		CHECK_EQ_STR(ds.devices[1].brand, "ezviz");
		CHECK_EQ_INT(ds.devices[1].nmacs, 1);
		CHECK_EQ_INT(ds.devices[1].nips, 1);
		ip_is(ds.devices[1].ips[0], "10.0.0.5");
		CHECK_EQ_INT(ds.captures[2].device, 1);
		CHECK_EQ_INT(ds.captures[2].phase, CIOT_PHASE_SETUP);
		CHECK_EQ_STR(ds.captures[2].subphase, "pairing");
		CHECK_EQ_STR(ds.captures[2].firmware, "pre");
		CHECK_EQ_STR(ds.captures[0].path, "/data/Tuya Plug.v2.pcap");
	}
	ciot_dataset_free(&ds);
	struct ciot_bare_options bad = { .device = "cam2", .macs = { "aa:bb:cc:dd:ee" }, .nmacs = 1 };
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "x.pcap", &bad, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "--mac \"aa:bb:cc:dd:ee\"");
	ciot_dataset_free(&ds);
	struct ciot_bare_options bad_ip = { .device = "cam2", .ips = { "10.0.0" }, .nips = 1 };
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "x.pcap", &bad_ip, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "--ip \"10.0.0\"");
	ciot_dataset_free(&ds);
	struct ciot_bare_options toaster = { .device = "t", .category = "toaster" };
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "x.pcap", &toaster, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "--category \"toaster\" is none of camera, doorbell");
	ciot_dataset_free(&ds);
	struct ciot_bare_options bad_id = { .device = "../etc" };
	CHECK_EQ_INT(ciot_dataset_add_file(&ds, "x.pcap", &bad_id, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "--device");
	ciot_dataset_free(&ds);
}

int main(void)
{
	test_lab_hosts();
	testfs_mkdtemp(tmpdir, "dataset");
	test_manifest_valid();
	test_manifest_rejections();
	test_timetable_one();
	test_timetable_many();
	test_timetable_errors();
	test_phases();
	test_tz();
	test_categories();
	test_lifecycle();
	test_lifecycle_errors();
	test_lifecycle_dangling();
	test_lifecycle_loop();
	test_large_manifest();
	test_add_file();
	testfs_rmtree(tmpdir);
	return check_summary("test-dataset");
}
