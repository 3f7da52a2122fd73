/* test-manifest-writer.c: ciot-capture's manifests: created, extended without losing anything,
 * read back by ciot-analyze's reader, refusing what would make them unreadable. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dataset.h" /* the model the manifest reads back into */
#include "manifest-writer.h"
#include "testfs.h"

static struct ciot_manifest_device device(const char *id, const char *category)
{
	struct ciot_manifest_device d = { .id = id, .category = category };
	return d;
}

static void test_create_and_append(const char *dir)
{
	char err[CIOT_ERRBUF_SIZE] = "", path[PATH_MAX];
	struct ciot_manifest_device d = device("acme_plug", "plug");
	d.macs[d.nmacs++] = "02:C1:07:00:00:02";
	struct ciot_manifest_writer *w;
	const char *category = NULL;
	if (!CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK)) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
	CHECK_EQ_STR(category, "plug");
	char file[PATH_MAX];
	CHECK_EQ_INT(ciot_manifest_step_file(w, "setup", file, sizeof file, err), CIOT_OK);
	CHECK_EQ_STR(file, "acme_plug/acme_plug_setup.pcap");
	json_t *c = ciot_manifest_add_capture(w, file, CIOT_PHASE_SETUP, "setup");
	ciot_json_set_time(c, "start", 1713252489250000);
	ciot_json_set_time(c, "end", 1713252500000000);
	ciot_json_set_count(c, "packets", 12);
	json_object_set_new(c, "ended", json_string("operator"));
	ciot_json_add_note(c, 1713252490000000, "pressed\tthe button\ntwice");
	/* the name is taken once the manifest names it, even before the file exists */
	CHECK_EQ_INT(ciot_manifest_step_file(w, "setup", file, sizeof file, err), CIOT_OK);
	CHECK_EQ_STR(file, "acme_plug/acme_plug_setup_2.pcap");
	json_t *run = ciot_manifest_add_run(w);
	json_object_set_new(run, "tool", json_string("test"));
	CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
	ciot_manifest_close(w);

	struct ciot_dataset ds = { 0 };
	if (CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, dir, "manifest.json"), err), CIOT_OK)) {
		CHECK_EQ_INT(ds.ndevices, 1);
		CHECK_EQ_STR(ds.devices[0].brand, "acme");
		CHECK_EQ_STR(ds.devices[0].category, "plug");
		CHECK_EQ_INT(ds.devices[0].nmacs, 1);
		CHECK_EQ_INT(ds.ncaptures, 1);
		CHECK_EQ_INT(ds.captures[0].start_us, 1713252489250000);
		CHECK_EQ_INT(ds.captures[0].end_us, 1713252500000000);
		CHECK_EQ_INT(ds.captures[0].expected_packets, 12);
		CHECK_EQ_STR(ds.captures[0].ended, "operator");
		CHECK_EQ_STR(ds.captures[0].subphase, "setup");
	}
	ciot_dataset_free(&ds);

	/* a second run appends: same device, no category needed, a new address merged */
	struct ciot_manifest_device again = device("acme_plug", NULL);
	again.macs[again.nmacs++] = "02:c1:07:00:00:02"; /* the same MAC, other case */
	again.ips[again.nips++] = "10.77.0.2";
	if (!CHECK_EQ_INT(ciot_manifest_open(&w, dir, &again, &category, err), CIOT_OK))
		return;
	CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
	CHECK_EQ_STR(category, "plug");
	testfs_write_text(path, dir, "acme_plug/acme_plug_idle_local.pcap", "");
	CHECK_EQ_INT(ciot_manifest_step_file(w, "idle_local", file, sizeof file, err), CIOT_OK);
	CHECK_EQ_STR(file, "acme_plug/acme_plug_idle_local_2.pcap");
	ciot_manifest_add_capture(w, file, CIOT_PHASE_IDLE, "idle_local");
	CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
	ciot_manifest_close(w);
	if (CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, dir, "manifest.json"), err), CIOT_OK)) {
		CHECK_EQ_INT(ds.ndevices, 1);
		CHECK_EQ_INT(ds.devices[0].nmacs, 1);
		CHECK_EQ_INT(ds.devices[0].nips, 1);
		CHECK_EQ_INT(ds.ncaptures, 2);
		CHECK_EQ_INT(ds.captures[1].phase, CIOT_PHASE_IDLE);
		CHECK_EQ_INT(ds.captures[1].start_us, -1);
	}
	ciot_dataset_free(&ds);
	char *text = NULL;
	FILE *f = fopen(testfs_path(path, dir, "manifest.json"), "r");
	if (f) {
		text = calloc(1, 1 << 16);
		if (fread(text, 1, (1 << 16) - 1, f)) {
		}
		fclose(f);
	}
	CHECK_CONTAINS(text, "\"2024-04-16T07:28:10.000000Z pressed the button twice\"");
	CHECK_CONTAINS(text, "\"tool\": \"test\"");
	free(text);
}

static void test_refusals(const char *dir)
{
	char err[CIOT_ERRBUF_SIZE] = "", path[PATH_MAX];
	struct ciot_manifest_writer *w = NULL;
	const char *category;
	struct ciot_manifest_device d = device("acme_plug", "camera");
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "is a plug in the manifest");
	d = device("new_device", NULL);
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "--category");
	d = device("new_device", "toaster");
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "not one of");
	static const char *const bad_ids[] = { "../escape", "a/b", "..", "", "sp ace" };
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		d = device(bad_ids[i], "plug");
		CHECK(ciot_manifest_open(&w, dir, &d, &category, err) == CIOT_ERR_ARG);
	}
	d = device("new_device", "plug");
	d.macs[d.nmacs++] = "02:c1:07:00:00:zz";
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "not a MAC");
	d = device("new_device", "plug");
	d.ips[d.nips++] = "10.0.0.300";
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	/* a manifest ciot-analyze cannot read is not extended */
	char broken[PATH_MAX];
	testfs_mkdtemp(broken, "manifest-broken");
	testfs_write_text(path, broken, "manifest.json", "{\"ciot_manifest\": 1, \"devices\": [], \"captures\": [], \"phsae\": 1}");
	d = device("acme_plug", "plug");
	CHECK_EQ_INT(ciot_manifest_open(&w, broken, &d, &category, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "unknown key");
	testfs_rmtree(broken);
	/* nothing unreadable is saved: a capture entry with an invalid phase name never replaces the file */
	d = device("acme_plug", NULL);
	if (CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK)) {
		CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
		json_t *c = ciot_manifest_add_capture(w, "acme_plug/x.pcap", CIOT_PHASE_SETUP, "x");
		json_object_set_new(c, "ended", json_string("exploded"));
		CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_ERR_ARG);
		CHECK_CONTAINS(err, "would not be readable");
		ciot_manifest_close(w);
		struct ciot_dataset ds = { 0 };
		CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, dir, "manifest.json"), err), CIOT_OK);
		CHECK_EQ_INT(ds.ncaptures, 2);
		ciot_dataset_free(&ds);
	}
}

/* What the researcher wrote by hand stays as it was: seeds, vendor, notes, other captures. */
static void test_keeps_hand_written(void)
{
	char dir[PATH_MAX], path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	testfs_mkdtemp(dir, "manifest-hand");
	const char *hand =
		"{\"ciot_manifest\": 1, \"name\": \"lab A\", \"home_country\": \"DE\", \"devices\": [\n"
		" {\"id\": \"other\", \"category\": \"hub\"},\n"
		" {\"id\": \"acme_plug\", \"name\": \"Acme plug\", \"brand\": \"Acme\", \"category\": \"plug\",\n"
		"  \"app\": \"Acme Home\", \"vendor\": {\"domains\": [\"acme.example\"]},\n"
		"  \"pii_seeds\": {\"email\": \"lab@example.org\"}, \"notes\": \"bought 2026\", \"mac\": \"02:00:00:00:00:01\"}],\n"
		" \"captures\": [{\"file\": \"old.pcap\", \"device\": \"other\", \"phase\": \"idle\"}]}\n";
	testfs_write_text(path, dir, "manifest.json", hand);
	struct ciot_manifest_device d = device("acme_plug", "plug");
	d.macs[d.nmacs++] = "02:00:00:00:00:02";
	d.add_macs = true; /* a second MAC for a device the manifest has: only when asked for */
	struct ciot_manifest_writer *w;
	const char *category;
	if (CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK)) {
		CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
		ciot_manifest_add_capture(w, "acme_plug/acme_plug_setup.pcap", CIOT_PHASE_SETUP, "setup");
		CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
		ciot_manifest_close(w);
	}
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	json_t *dev = json_array_get(json_object_get(root, "devices"), 1);
	CHECK_EQ_STR(json_string_value(json_object_get(root, "home_country")), "DE");
	CHECK_EQ_STR(json_string_value(json_object_get(dev, "name")), "Acme plug");
	CHECK_EQ_STR(json_string_value(json_object_get(dev, "brand")), "Acme");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(dev, "pii_seeds"), "email")), "lab@example.org");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(json_object_get(dev, "vendor"), "domains"), 0)),
		     "acme.example");
	CHECK_EQ_INT(json_array_size(json_object_get(dev, "mac")), 2);
	CHECK_EQ_INT(json_array_size(json_object_get(root, "devices")), 2);
	CHECK_EQ_INT(json_array_size(json_object_get(root, "captures")), 2);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(root, "captures"), 0), "file")),
		     "old.pcap");
	json_decref(root);
	testfs_rmtree(dir);
}

/* --brand and --home-country: written, a brand replacing the guessed one, a home country that
 * contradicts the manifest's refused (one lab, one country) and one that is no code refused. */
static void test_brand_and_home(void)
{
	char dir[PATH_MAX], path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
	testfs_mkdtemp(dir, "manifest-brand");
	struct ciot_manifest_device d = device("camera1", "camera");
	struct ciot_manifest_writer *w;
	const char *category;
	/* without --brand, an id without '_' becomes its own brand: the guess ciot-analyze warns about */
	if (CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK)) {
		CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
		CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
		ciot_manifest_close(w);
	}
	struct ciot_dataset ds = { 0 };
	if (CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, dir, "manifest.json"), err), CIOT_OK)) {
		CHECK_EQ_STR(ds.devices[0].brand, "camera1");
		CHECK(ds.home_country == NULL);
	}
	ciot_dataset_free(&ds);
	d.brand = "wyze";
	d.home_country = "US";
	if (CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK)) {
		CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
		CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
		ciot_manifest_close(w);
	}
	memset(&ds, 0, sizeof ds);
	if (CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, dir, "manifest.json"), err), CIOT_OK)) {
		CHECK_EQ_STR(ds.devices[0].brand, "wyze");
		CHECK_EQ_STR(ds.home_country, "US");
	}
	ciot_dataset_free(&ds);
	d.home_country = "DE";
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "home country is US");
	d.home_country = "usa";
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "ISO 3166");
	/* the same country again is no change */
	d.home_country = "US";
	if (CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK))
		ciot_manifest_close(w);
	testfs_rmtree(dir);
}

/* The dataset's lock: a second writer is refused with the holder's pid until the first closes. A
 * MAC the device's entry lacks is refused unless asked for. An attempt is removed from the
 * captures, kept under a run's "removed", and its file name is not given again. */
static void test_lock_macs_and_remove(void)
{
	char dir[PATH_MAX], path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "", want[64], file[PATH_MAX];
	testfs_mkdtemp(dir, "manifest-lock");
	struct ciot_manifest_device d = device("acme_plug", "plug");
	d.macs[d.nmacs++] = "02:00:00:00:00:01";
	struct ciot_manifest_writer *w, *other;
	const char *category;
	if (!CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK))
		return;
	CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
	const char *ended[] = { "interrupted", "operator" };
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(ciot_manifest_step_file(w, "setup", file, sizeof file, err), CIOT_OK);
		json_t *c = ciot_manifest_add_capture(w, file, CIOT_PHASE_SETUP, "setup");
		json_object_set_new(c, "ended", json_string(ended[i]));
	}
	CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
	if (CHECK_EQ_INT(ciot_manifest_open(&other, dir, &d, &category, err), CIOT_OK)) {
		CHECK_EQ_INT(ciot_manifest_lock(other, &category, err), CIOT_ERR_BUSY);
		snprintf(want, sizeof want, "(pid %ld)", (long)getpid());
		CHECK_CONTAINS(err, want);
		CHECK_CONTAINS(err, "is in use by another ciot-capture run");
		ciot_manifest_close(other);
	}
	ciot_manifest_close(w); /* releases the lock */
	d.macs[0] = "02:00:00:00:00:09";
	CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "--add-mac");
	CHECK_CONTAINS(err, "02:00:00:00:00:01");
	d.add_macs = true;
	if (CHECK_EQ_INT(ciot_manifest_open(&w, dir, &d, &category, err), CIOT_OK)) {
		CHECK_EQ_STR(ciot_manifest_added_macs(w), "02:00:00:00:00:09");
		ciot_manifest_close(w);
	}
	struct ciot_manifest_device only = device("acme_plug", NULL);
	if (!CHECK_EQ_INT(ciot_manifest_open(&w, dir, &only, &category, err), CIOT_OK))
		return;
	CHECK_EQ_INT(ciot_manifest_lock(w, &category, err), CIOT_OK);
	json_t *removed;
	CHECK_EQ_INT(ciot_manifest_remove_step(w, "setup", 0, 1713252489250000, &removed, err), CIOT_ERR_ARG);
	CHECK_CONTAINS(err, "attempt 1: acme_plug/acme_plug_setup.pcap (ended interrupted); attempt 2:");
	CHECK_EQ_INT(ciot_manifest_remove_step(w, "setup", 3, 1713252489250000, &removed, err), CIOT_ERR_ARG);
	CHECK_EQ_INT(ciot_manifest_remove_step(w, "idle_local", 0, 1713252489250000, &removed, err), CIOT_ERR_ARG);
	if (CHECK_EQ_INT(ciot_manifest_remove_step(w, "setup", 1, 1713252489250000, &removed, err), CIOT_OK))
		CHECK_EQ_STR(json_string_value(json_object_get(removed, "file")), "acme_plug/acme_plug_setup.pcap");
	CHECK_EQ_INT(ciot_manifest_save(w, err), CIOT_OK);
	CHECK_EQ_INT(ciot_manifest_step_file(w, "setup", file, sizeof file, err), CIOT_OK);
	CHECK_EQ_STR(file, "acme_plug/acme_plug_setup_3.pcap");
	ciot_manifest_close(w);
	struct ciot_dataset ds = { 0 };
	if (CHECK_EQ_INT(ciot_dataset_load_manifest(&ds, testfs_path(path, dir, "manifest.json"), err), CIOT_OK)) {
		CHECK_EQ_INT(ds.ncaptures, 1);
		CHECK_EQ_STR(ds.captures[0].ended, "operator");
	}
	ciot_dataset_free(&ds);
	testfs_rmtree(dir);
}

int main(void)
{
	test_lock_macs_and_remove();
	test_brand_and_home();
	test_keeps_hand_written();
	char dir[PATH_MAX];
	testfs_mkdtemp(dir, "manifest-writer");
	test_create_and_append(dir);
	test_refusals(dir);
	testfs_rmtree(dir);
	return check_summary("manifest-writer");
}
