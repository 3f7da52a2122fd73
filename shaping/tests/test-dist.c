/* test-dist.c: the shaping distributions (shaping/lib/dist.c, env.c): the text forms and their
 * errors, sampling against the exact clamped means, the virtual environment's determinism, and
 * uniform integers without bias.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "ciot/shape.h"

static const struct ciot_shape_env *env;

static double sample_mean(const struct ciot_shape_dist *d, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++) {
		double v = ciot_shape_dist_sample(d, env);
		CHECK(v >= d->min && v <= d->max);
		sum += v;
	}
	return sum / n;
}

static void test_parse(void)
{
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_shape_dist d;
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, "constant:0.05", err), CIOT_OK);
	CHECK_EQ_INT(d.kind, CIOT_SHAPE_CONSTANT);
	CHECK(d.a == 0.05);
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, "uniform:50,200", err), CIOT_OK);
	CHECK(d.a == 50 && d.b == 200);
	char text[64];
	ciot_shape_dist_format(&d, text, sizeof text);
	CHECK_EQ_STR(text, "uniform:50,200");
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, "normal:120,30", err), CIOT_OK);
	CHECK_EQ_INT(d.kind, CIOT_SHAPE_NORMAL);
	static const char *const bad[] = { "", "uniform", "uniform:5", "uniform:9,5", "normal:1,-1", "poisson:3",
					   "constant:x", "constant:1,2", "uniform:1,nan", "constant:" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		CHECK(ciot_shape_dist_parse(&d, bad[i], err) == CIOT_ERR_ARG);
		CHECK(err[0] != 0);
	}
	/* empirical: a file of numbers with comments and blank lines */
	char path[] = "/tmp/ciot-dist-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# sizes\n100\n\n  300 \n200 # a comment\n", f);
	fclose(f);
	char spec[64];
	snprintf(spec, sizeof spec, "empirical:%s", path);
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, spec, err), CIOT_OK);
	CHECK_EQ_INT(d.nvalues, 3);
	d.min = -INFINITY;
	d.max = INFINITY;
	CHECK(fabs(ciot_shape_dist_mean(&d) - 200) < 1e-9);
	d.max = 250; /* clamping applies to the values too */
	CHECK(fabs(ciot_shape_dist_mean(&d) - (100 + 250 + 200) / 3.0) < 1e-9);
	ciot_shape_dist_free(&d);
	f = fopen(path, "w");
	fputs("100\n12 13\n", f);
	fclose(f);
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, spec, err), CIOT_ERR_FORMAT);
	f = fopen(path, "w");
	fclose(f);
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, spec, err), CIOT_ERR_FORMAT);
	unlink(path);
	CHECK_EQ_INT(ciot_shape_dist_parse(&d, "empirical:/nonexistent/file", err), CIOT_ERR_IO);
}

/* Sample means within 4 standard errors of the exact means, clamped or not. */
static void test_means(void)
{
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_shape_dist d;
	const int n = 200000;
	ciot_shape_dist_parse(&d, "uniform:50,200", err);
	CHECK(fabs(ciot_shape_dist_mean(&d) - 125) < 1e-9);
	CHECK(fabs(sample_mean(&d, n) - 125) < 4 * 43.3 / sqrt(n));
	d.min = 80; /* a third of the mass sits at 80 */
	double exact = (30.0 / 150) * 80 + (200.0 * 200 - 80.0 * 80) / 300;
	CHECK(fabs(ciot_shape_dist_mean(&d) - exact) < 1e-9);
	CHECK(fabs(sample_mean(&d, n) - exact) < 0.5);
	ciot_shape_dist_parse(&d, "normal:100,50", err);
	d.min = 7;
	d.max = 150;
	double m = ciot_shape_dist_mean(&d);
	CHECK(m < 100 && m > 80); /* the upper clamp cuts more than the lower */
	CHECK(fabs(sample_mean(&d, n) - m) < 4 * 50 / sqrt(n));
	ciot_shape_dist_parse(&d, "normal:100,0", err);
	CHECK(ciot_shape_dist_mean(&d) == 100);
	ciot_shape_dist_parse(&d, "constant:1000", err);
	d.max = 600;
	CHECK(ciot_shape_dist_mean(&d) == 600);
	CHECK(ciot_shape_dist_sample(&d, env) == 600);
}

static void test_virtual(void)
{
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_shape_virtual *a, *b, *c;
	CHECK_EQ_INT(ciot_shape_virtual_new(&a, 42, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shape_virtual_new(&b, 42, err), CIOT_OK);
	CHECK_EQ_INT(ciot_shape_virtual_new(&c, 43, err), CIOT_OK);
	uint8_t x[10000], y[10000], z[10000];
	/* the same stream whatever the pieces it is drawn in */
	ciot_shape_virtual_env(a)->random_bytes(a, x, sizeof x);
	for (size_t at = 0; at < sizeof y; at += 7)
		ciot_shape_virtual_env(b)->random_bytes(b, y + at, at + 7 <= sizeof y ? 7 : sizeof y - at);
	ciot_shape_virtual_env(c)->random_bytes(c, z, sizeof z);
	CHECK(memcmp(x, y, sizeof x) == 0);
	CHECK(memcmp(x, z, sizeof x) != 0);
	ciot_shape_virtual_set(a, 123456789);
	CHECK_EQ_INT(ciot_shape_virtual_env(a)->now_ns(a), 123456789);
	ciot_shape_virtual_free(a);
	ciot_shape_virtual_free(b);
	ciot_shape_virtual_free(c);
	/* the system clock is monotonic */
	const struct ciot_shape_env *sys = ciot_shape_env_system();
	int64_t t0 = sys->now_ns(sys->ctx), t1 = sys->now_ns(sys->ctx);
	CHECK(t1 >= t0);
}

/* Uniform integers: every value about as often, also for an n that does not divide 2^64. */
static void test_below(void)
{
	enum { N = 3, DRAWS = 300000 };
	unsigned count[N] = { 0 };
	for (int i = 0; i < DRAWS; i++) {
		uint64_t v = ciot_shape_random_below(env, N);
		CHECK(v < N);
		count[v < N ? v : 0]++;
	}
	double chi2 = 0;
	for (int k = 0; k < N; k++)
		chi2 += pow(count[k] - DRAWS / (double)N, 2) / (DRAWS / (double)N);
	CHECK(chi2 < 13.8); /* 2 degrees of freedom, p = 0.001 */
	CHECK_EQ_INT(ciot_shape_random_below(env, 1), 0);
	double u = ciot_shape_random_unit(env);
	CHECK(u >= 0 && u < 1);
}

int main(void)
{
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_shape_virtual *v;
	if (ciot_shape_virtual_new(&v, 7, err))
		return 1;
	env = ciot_shape_virtual_env(v);
	test_parse();
	test_means();
	test_virtual();
	test_below();
	ciot_shape_virtual_free(v);
	return check_summary("shape-dist");
}
