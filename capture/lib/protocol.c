/* protocol.c: reads and checks lifecycle protocol files (guides/protocols/), and renders
 * them as the lab guide's Markdown tables. */
#include "protocol.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PROTOCOL_VERSION 1
#define MAX_TEXT 1024

static const char *const controls[] = { "remote", "local", "physical", "voice", "multimodal", NULL };
static const char *const interceptions[] = { "self_signed", "wrong_hostname", "invalid_basic_constraints", NULL };

static const char *one_of(const char *value, const char *const *names)
{
	for (const char *const *n = names; *n; n++)
		if (!strcmp(value, *n))
			return *n;
	return NULL;
}

static bool valid_step_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CIOT_PROTOCOL_MAX_STEP_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Printable text (UTF-8 allowed, control characters not) of 1..max bytes. */
static bool valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static enum ciot_rc check_keys(json_t *obj, const char *const *allowed, const char *where, char *errbuf)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		(void)v;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(key, *a);
		if (!ok)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: unknown key \"%.64s\"", where, key);
	}
	return CIOT_OK;
}

static enum ciot_rc get_text(json_t *obj, const char *key, size_t max, const char *where, char **out, char *errbuf)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v) || !valid_text(json_string_value(v), max))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: \"%s\" must be a string of 1 to %zu printable bytes", where,
				 key, max);
	*out = strdup(json_string_value(v));
	return *out ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
}

static enum ciot_rc load_step(json_t *js, size_t i, struct ciot_protocol_step *s, char *errbuf)
{
	static const char *const keys[] = { "step", "phase", "control", "duration", "optional", "interception",
					    "instructions", NULL };
	char where[32];
	snprintf(where, sizeof where, "steps[%zu]", i);
	if (!json_is_object(js))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: must be an object", where);
	enum ciot_rc rc = check_keys(js, keys, where, errbuf);
	if (rc)
		return rc;
	json_t *v = json_object_get(js, "step");
	if (!json_is_string(v) || !valid_step_name(json_string_value(v)))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT,
				 "%s: \"step\" must be 1 to %d lower-case letters, digits or '_'", where,
				 CIOT_PROTOCOL_MAX_STEP_NAME);
	snprintf(s->name, sizeof s->name, "%s", json_string_value(v));
	v = json_object_get(js, "phase");
	if (!json_is_string(v) || !ciot_phase_parse(json_string_value(v), &s->phase))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s (%s): \"phase\" must be setup, interaction, idle or deletion",
				 where, s->name);
	if ((v = json_object_get(js, "control"))) {
		if (!json_is_string(v) || !(s->control = one_of(json_string_value(v), controls)))
			return ciot_fail(errbuf, CIOT_ERR_FORMAT,
					 "%s (%s): \"control\" must be remote, local, physical, voice or multimodal", where,
					 s->name);
	}
	if ((v = json_object_get(js, "duration"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > CIOT_PROTOCOL_MAX_DURATION)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s (%s): \"duration\" must be 1 to %d seconds", where,
					 s->name, CIOT_PROTOCOL_MAX_DURATION);
		s->duration_s = (unsigned)json_integer_value(v);
	}
	if ((v = json_object_get(js, "optional"))) {
		if (!json_is_boolean(v))
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s (%s): \"optional\" must be true or false", where,
					 s->name);
		s->optional = json_is_true(v);
	}
	if ((v = json_object_get(js, "interception"))) {
		if (!json_is_string(v) || !(s->interception = one_of(json_string_value(v), interceptions)))
			return ciot_fail(errbuf, CIOT_ERR_FORMAT,
					 "%s (%s): \"interception\" must be self_signed, wrong_hostname or "
					 "invalid_basic_constraints",
					 where, s->name);
	}
	return get_text(js, "instructions", CIOT_PROTOCOL_MAX_INSTRUCTIONS, where, &s->instructions, errbuf);
}

static enum ciot_rc load(struct ciot_protocol *p, json_t *root, const char *path, char *errbuf)
{
	static const char *const keys[] = { "ciot_protocol", "category", "title", "description", "steps", NULL };
	if (!json_is_object(root))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "must be a JSON object");
	enum ciot_rc rc = check_keys(root, keys, "protocol", errbuf);
	if (rc)
		return rc;
	json_t *v = json_object_get(root, "ciot_protocol");
	if (!json_is_integer(v) || json_integer_value(v) != PROTOCOL_VERSION)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "\"ciot_protocol\" must be %d", PROTOCOL_VERSION);
	if ((rc = get_text(root, "category", 32, "protocol", &p->category, errbuf)) ||
	    (rc = get_text(root, "title", 128, "protocol", &p->title, errbuf)) ||
	    (rc = get_text(root, "description", MAX_TEXT, "protocol", &p->description, errbuf)))
		return rc;
	if (!valid_step_name(p->category))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "\"category\" must be lower-case letters, digits or '_'");
	/* the file name says which category it is for: camera.json holds "camera" */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(p->category);
	if (strncmp(base, p->category, n) || strcmp(base + n, ".json"))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "\"category\" \"%s\" does not match the file name", p->category);
	json_t *steps = json_object_get(root, "steps");
	if (!json_is_array(steps) || json_array_size(steps) == 0 ||
	    json_array_size(steps) > CIOT_PROTOCOL_MAX_STEPS)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "\"steps\" must be an array of 1 to %d steps",
				 CIOT_PROTOCOL_MAX_STEPS);
	p->steps = calloc(json_array_size(steps), sizeof *p->steps);
	if (!p->steps)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(steps); i++) {
		rc = load_step(json_array_get(steps, i), i, &p->steps[i], errbuf);
		p->nsteps = i + 1; /* so that a partly read step is freed */
		if (rc)
			return rc;
		if (ciot_protocol_find(p, p->steps[i].name) != (int)i)
			return ciot_fail(errbuf, CIOT_ERR_FORMAT, "steps[%zu]: step \"%s\" appears twice", i,
					 p->steps[i].name);
	}
	return CIOT_OK;
}

enum ciot_rc ciot_protocol_load(struct ciot_protocol *p, const char *path, char *errbuf)
{
	memset(p, 0, sizeof *p);
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ciot_fail(errbuf, jerr.line < 0 ? CIOT_ERR_IO : CIOT_ERR_FORMAT, "line %d: %s", jerr.line,
				 jerr.text);
	enum ciot_rc rc = load(p, root, path, errbuf);
	json_decref(root);
	if (rc)
		ciot_protocol_free(p);
	return rc;
}

void ciot_protocol_free(struct ciot_protocol *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		free(p->steps[i].instructions);
	free(p->steps);
	free(p->category);
	free(p->title);
	free(p->description);
	memset(p, 0, sizeof *p);
}

int ciot_protocol_find(const struct ciot_protocol *p, const char *step)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (!strcmp(p->steps[i].name, step))
			return (int)i;
	return -1;
}

void ciot_protocol_duration_text(unsigned s, char *buf, size_t len)
{
	if (s == 0)
		snprintf(buf, len, "operator");
	else if (s % 60 == 0)
		snprintf(buf, len, "%u min", s / 60);
	else
		snprintf(buf, len, "%u s", s);
}

void ciot_protocol_markdown(const struct ciot_protocol *p, FILE *out)
{
	bool intercepts = false;
	for (size_t i = 0; i < p->nsteps; i++)
		intercepts |= p->steps[i].interception != NULL;
	fprintf(out, "## %s (`%s`)\n\n%s\n\n", p->title, p->category, p->description);
	fprintf(out, "| # | step | phase | control | duration | optional |%s\n", intercepts ? " interception |" : "");
	fprintf(out, "|--:|---|---|---|--:|---|%s\n", intercepts ? "---|" : "");
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ciot_protocol_step *s = &p->steps[i];
		char d[32];
		ciot_protocol_duration_text(s->duration_s, d, sizeof d);
		fprintf(out, "| %zu | `%s` | %s | %s | %s | %s |", i + 1, s->name, ciot_phase_name(s->phase),
			s->control ? s->control : "", d, s->optional ? "yes" : "");
		if (intercepts)
			fprintf(out, " %s |", s->interception ? s->interception : "(control)");
		fputc('\n', out);
	}
	fputc('\n', out);
	/* instructions are one line each (valid_text refuses line breaks) */
	for (size_t i = 0; i < p->nsteps; i++)
		fprintf(out, "%zu. `%s`: %s\n", i + 1, p->steps[i].name, p->steps[i].instructions);
	fputc('\n', out);
}
