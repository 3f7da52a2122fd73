/* test-protocol.c: the lifecycle protocol files: every file in guides/protocols/ loads and follows
 * the public dataset's naming rules; malformed files are refused with a reason. */
#include <dirent.h>
#include <stdlib.h>

#include "check.h"
#include "dataset.h" /* the public dataset's step names, ciot_phase_of_step */
#include "protocol.h"
#include "testfs.h"

static const char *const categories[] = { "camera", "doorbell", "speaker", "plug", "light", "hub",
					  "sensor", "humidifier", "other", "interception" };

static void test_guides(void)
{
	for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
		char path[PATH_MAX], err[CIOT_ERRBUF_SIZE] = "";
		snprintf(path, sizeof path, "%s/protocols/%s.json", CIOT_GUIDES_DIR, categories[i]);
		struct ciot_protocol p;
		if (!CHECK_EQ_INT(ciot_protocol_load(&p, path, err), CIOT_OK)) {
			fprintf(stderr, "%s: %s\n", path, err);
			continue;
		}
		CHECK_EQ_STR(p.category, categories[i]);
		bool interception = !strcmp(categories[i], "interception");
		bool phases[CIOT_NPHASES] = { false };
		for (size_t k = 0; k < p.nsteps; k++) {
			const struct ciot_protocol_step *s = &p.steps[k];
			phases[s->phase] = true;
			/* the manifest's phase and the public dataset's rule for the step name agree, so that a
			 * ciot-capture dataset and the public one group steps alike */
			if (!CHECK_EQ_INT(s->phase, ciot_phase_of_step(s->name)))
				fprintf(stderr, "%s: step %s\n", categories[i], s->name);
			CHECK(strlen(s->instructions) > 40);
			CHECK(interception || !s->interception);
			if (s->phase == CIOT_PHASE_IDLE && !CHECK(s->duration_s == 900 || s->duration_s == 1800))
				fprintf(stderr, "%s: idle step %s lasts %u s\n", categories[i], s->name, s->duration_s);
		}
		if (!interception) {
			/* the whole lifecycle: every phase, setup first and deletion last */
			for (int ph = 0; ph < CIOT_NPHASES; ph++)
				CHECK(phases[ph]);
			CHECK_EQ_INT(p.steps[0].phase, CIOT_PHASE_SETUP);
			CHECK_EQ_INT(p.steps[p.nsteps - 1].phase, CIOT_PHASE_DELETION);
			CHECK(ciot_protocol_find(&p, "update") >= 0);
		} else {
			CHECK(ciot_protocol_find(&p, "reboot_control") == 0);
			CHECK(p.steps[0].interception == NULL);
			CHECK_EQ_STR(p.steps[ciot_protocol_find(&p, "reboot_self_signed")].interception, "self_signed");
		}
		CHECK_EQ_INT(ciot_protocol_find(&p, "no_such_step"), -1);
		ciot_protocol_free(&p);
	}
}

static enum ciot_rc load_text(const char *dir, const char *name, const char *text, char *err)
{
	char path[PATH_MAX];
	testfs_write_text(path, dir, name, text);
	struct ciot_protocol p;
	enum ciot_rc rc = ciot_protocol_load(&p, path, err);
	if (!rc)
		ciot_protocol_free(&p);
	return rc;
}

#define STEP(extra) "{\"step\":\"setup\",\"phase\":\"setup\",\"instructions\":\"do it\"" extra "}"
#define FILE_OF(steps) "{\"ciot_protocol\":1,\"category\":\"plug\",\"title\":\"t\",\"description\":\"d\",\"steps\":[" steps "]}"

static void test_refused(void)
{
	char dir[PATH_MAX], err[CIOT_ERRBUF_SIZE];
	testfs_mkdtemp(dir, "protocol");
	CHECK_EQ_INT(load_text(dir, "plug.json", FILE_OF(STEP("")), err), CIOT_OK);
	static const struct {
		const char *name, *text, *reason;
	} bad[] = {
		{ "plug.json", "{", "line" },
		{ "plug.json", "[]", "object" },
		{ "camera.json", FILE_OF(STEP("")), "file name" },
		{ "plug.json", "{\"ciot_protocol\":2,\"category\":\"plug\",\"title\":\"t\",\"description\":\"d\",\"steps\":[" STEP("") "]}", "ciot_protocol" },
		{ "plug.json", FILE_OF(""), "steps" },
		{ "plug.json", FILE_OF(STEP(",\"colour\":1")), "unknown key" },
		{ "plug.json", FILE_OF(STEP("") "," STEP("")), "twice" },
		{ "plug.json", FILE_OF("{\"step\":\"Setup\",\"phase\":\"setup\",\"instructions\":\"x\"}"), "lower-case" },
		{ "plug.json", FILE_OF("{\"step\":\"a/b\",\"phase\":\"setup\",\"instructions\":\"x\"}"), "lower-case" },
		{ "plug.json", FILE_OF("{\"step\":\"x\",\"phase\":\"boot\",\"instructions\":\"x\"}"), "phase" },
		{ "plug.json", FILE_OF(STEP(",\"duration\":0")), "duration" },
		{ "plug.json", FILE_OF(STEP(",\"duration\":86401")), "duration" },
		{ "plug.json", FILE_OF(STEP(",\"duration\":1.5")), "duration" },
		{ "plug.json", FILE_OF(STEP(",\"control\":\"telepathy\"")), "control" },
		{ "plug.json", FILE_OF(STEP(",\"optional\":1")), "optional" },
		{ "plug.json", FILE_OF(STEP(",\"interception\":\"mitm\"")), "interception" },
		{ "plug.json", FILE_OF("{\"step\":\"x\",\"phase\":\"setup\",\"instructions\":\"line\\nbreak\"}"), "instructions" },
		{ "plug.json", FILE_OF("{\"step\":\"x\",\"phase\":\"setup\"}"), "instructions" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		if (!CHECK(load_text(dir, bad[i].name, bad[i].text, err) != CIOT_OK))
			fprintf(stderr, "accepted: %s\n", bad[i].text);
		CHECK_CONTAINS(err, bad[i].reason);
	}
	testfs_rmtree(dir);
}

static void test_markdown(void)
{
	char path[PATH_MAX], err[CIOT_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/protocols/interception.json", CIOT_GUIDES_DIR);
	struct ciot_protocol p;
	if (ciot_protocol_load(&p, path, err))
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ciot_protocol_markdown(&p, f);
	fclose(f);
	CHECK_CONTAINS(text, "| 1 | `reboot_control` | interaction |");
	CHECK_CONTAINS(text, "| interception |");
	CHECK_CONTAINS(text, "self_signed |");
	CHECK_CONTAINS(text, "5 min");
	free(text);
	ciot_protocol_free(&p);
}

int main(void)
{
	test_guides();
	test_refused();
	test_markdown();
	return check_summary("protocol");
}
