/* dist.c: the interval and size distributions of ciot/shape.h: parsing their text form, drawing
 * from them, and their exact means (what a measured overhead is compared with).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ciot/shape.h"
#include "grow.h"

#define EMPIRICAL_MAX 10000000 /* values an empirical file may hold */
#define LINE_MAX_BYTES 256

static bool parse_number(const char *s, const char *end, double *out)
{
	char buf[64];
	size_t n = (size_t)(end - s);
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *stop;
	errno = 0;
	double v = strtod(buf, &stop);
	if (*stop || errno || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static enum ciot_rc read_empirical(struct ciot_shape_dist *d, const char *path, char *errbuf)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", path, strerror(errno));
	char line[LINE_MAX_BYTES];
	size_t cap = 0, lineno = 0;
	enum ciot_rc rc = CIOT_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = line + strspn(line, " \t\r\n"), *e = s + strcspn(s, " \t\r\n");
		if (s == e)
			continue;
		double v;
		const char *rest = e + strspn(e, " \t\r\n");
		if (*rest || !parse_number(s, e, &v)) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s:%zu: not a number", path, lineno);
			break;
		}
		if (d->nvalues == EMPIRICAL_MAX) {
			rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: more than %d values", path, EMPIRICAL_MAX);
			break;
		}
		double *grown = ciot_shape_grow(d->values, &cap, d->nvalues + 1, sizeof *grown, 256);
		if (!grown) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		d->values = grown;
		d->values[d->nvalues++] = v;
	}
	if (!rc && ferror(f))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "%s: read error", path);
	if (!rc && d->nvalues == 0)
		rc = ciot_fail(errbuf, CIOT_ERR_FORMAT, "%s: no values", path);
	fclose(f);
	return rc;
}

enum ciot_rc ciot_shape_dist_parse(struct ciot_shape_dist *d, const char *text, char *errbuf)
{
	memset(d, 0, sizeof *d);
	d->min = -INFINITY;
	d->max = INFINITY;
	const char *colon = strchr(text, ':');
	if (!colon)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\": expected constant:V, uniform:LOW,HIGH, normal:MEAN,SD or empirical:FILE", text);
	size_t kind_len = (size_t)(colon - text);
	const char *args = colon + 1, *comma = strchr(args, ','), *end = args + strlen(args);
	if (kind_len == 9 && !strncmp(text, "empirical", 9)) {
		d->kind = CIOT_SHAPE_EMPIRICAL;
		enum ciot_rc rc = read_empirical(d, args, errbuf);
		if (rc)
			ciot_shape_dist_free(d);
		return rc;
	}
	if (kind_len == 8 && !strncmp(text, "constant", 8)) {
		d->kind = CIOT_SHAPE_CONSTANT;
		if (!parse_number(args, end, &d->a))
			return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\": constant:V takes one number", text);
		d->b = d->a;
		return CIOT_OK;
	}
	bool uniform = kind_len == 7 && !strncmp(text, "uniform", 7);
	bool normal = kind_len == 6 && !strncmp(text, "normal", 6);
	if (!uniform && !normal)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\": unknown distribution (constant, uniform, normal, empirical)", text);
	d->kind = uniform ? CIOT_SHAPE_UNIFORM : CIOT_SHAPE_NORMAL;
	if (!comma || !parse_number(args, comma, &d->a) || !parse_number(comma + 1, end, &d->b))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\": %s takes two numbers", text, uniform ? "uniform:LOW,HIGH" : "normal:MEAN,SD");
	if (uniform && d->b < d->a)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\": LOW above HIGH", text);
	if (normal && d->b < 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\": a negative standard deviation", text);
	return CIOT_OK;
}

void ciot_shape_dist_free(struct ciot_shape_dist *d)
{
	free(d->values);
	d->values = NULL;
	d->nvalues = 0;
}

void ciot_shape_dist_format(const struct ciot_shape_dist *d, char *out, size_t cap)
{
	switch (d->kind) {
	case CIOT_SHAPE_CONSTANT: snprintf(out, cap, "constant:%g", d->a); break;
	case CIOT_SHAPE_UNIFORM: snprintf(out, cap, "uniform:%g,%g", d->a, d->b); break;
	case CIOT_SHAPE_NORMAL: snprintf(out, cap, "normal:%g,%g", d->a, d->b); break;
	case CIOT_SHAPE_EMPIRICAL: snprintf(out, cap, "empirical:%zu values", d->nvalues); break;
	}
}

static double clamp(const struct ciot_shape_dist *d, double v)
{
	return v < d->min ? d->min : v > d->max ? d->max : v;
}

double ciot_shape_dist_sample(const struct ciot_shape_dist *d, const struct ciot_shape_env *env)
{
	double v = d->a;
	switch (d->kind) {
	case CIOT_SHAPE_CONSTANT:
		break;
	case CIOT_SHAPE_UNIFORM:
		v = d->a + (d->b - d->a) * ciot_shape_random_unit(env);
		break;
	case CIOT_SHAPE_NORMAL: {
		/* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1] */
		double u = 1.0 - ciot_shape_random_unit(env), w = ciot_shape_random_unit(env);
		v = d->a + d->b * sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * w);
		break;
	}
	case CIOT_SHAPE_EMPIRICAL:
		v = d->values[ciot_shape_random_below(env, d->nvalues)];
		break;
	}
	return clamp(d, v);
}

static double normal_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

static double normal_pdf(double z)
{
	return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
}

double ciot_shape_dist_mean(const struct ciot_shape_dist *d)
{
	switch (d->kind) {
	case CIOT_SHAPE_CONSTANT:
		return clamp(d, d->a);
	case CIOT_SHAPE_UNIFORM: {
		if (d->b == d->a)
			return clamp(d, d->a);
		/* below min the sample is min, above max it is max, in between itself */
		double w = d->b - d->a, lo = fmax(d->a, fmin(d->min, d->b)), hi = fmin(d->b, fmax(d->max, d->a));
		double below = (lo - d->a) / w, above = (d->b - hi) / w;
		double middle = hi > lo ? (hi * hi - lo * lo) / (2.0 * w) : 0.0;
		return (below > 0 ? below * d->min : 0) + (above > 0 ? above * d->max : 0) + middle;
	}
	case CIOT_SHAPE_NORMAL: {
		if (d->b == 0)
			return clamp(d, d->a);
		double alpha = (d->min - d->a) / d->b, beta = (d->max - d->a) / d->b;
		double p_lo = isfinite(alpha) ? normal_cdf(alpha) : 0.0, p_hi = isfinite(beta) ? normal_cdf(beta) : 1.0;
		double f_lo = isfinite(alpha) ? normal_pdf(alpha) : 0.0, f_hi = isfinite(beta) ? normal_pdf(beta) : 0.0;
		double middle = d->a * (p_hi - p_lo) + d->b * (f_lo - f_hi);
		return (p_lo > 0 ? p_lo * d->min : 0) + (p_hi < 1 ? (1 - p_hi) * d->max : 0) + middle;
	}
	case CIOT_SHAPE_EMPIRICAL: {
		double sum = 0;
		for (size_t i = 0; i < d->nvalues; i++)
			sum += clamp(d, d->values[i]);
		return d->nvalues ? sum / (double)d->nvalues : 0.0;
	}
	}
	return 0.0;
}
