/* score.c: how well an activity-inference attacker does on a trace (ciot/shape-score.h).
 *
 * Each labelled stretch of time is cut into windows; each attacker turns a window into one score
 * (higher: more likely activity), and the ROC AUC of the scores of active windows against idle ones
 * says how well it tells them apart: 0.5 is chance, 1.0 is perfect. Attackers that learn anything
 * (the size and timing histograms, the classifier's weights, the rate threshold) learn it with
 * leave-one-event-out validation: the windows of each event (one lifecycle step) are scored by a
 * model trained on the other events only, so an attacker is never tested on the stretch it learned
 * from. The interval around an AUC spans a stratified bootstrap over windows (active and idle
 * resampled apart), Hanley and McNeil's normal interval, and every fold's own AUC (which events the
 * models learned from moves the answer more than which windows were drawn, when events are few).
 * Windows of one event are not independent, so even this can be narrower than the truth:
 * docs/shaping.md gives its coverage measured on traffic that carries no signal.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ciot/shape-score.h"
#include "grow.h"

#define BOOTSTRAP_ROUNDS 1000
#define SIZE_BIN 16          /* bytes */
#define SIZE_BINS 101        /* 0 .. 1599 bytes, then everything larger */
#define GAP_BINS 40          /* quarter decades from 1 microsecond */
#define NFEATURES 8
#define LR_ITERATIONS 50
#define LR_L2 1e-2
#define RATE_QUANTILE 0.99

const char *ciot_attacker_name(enum ciot_attacker a)
{
	static const char *const names[CIOT_NATTACKERS] = { "rate", "size", "timing", "classifier" };
	return (unsigned)a < CIOT_NATTACKERS ? names[a] : "?";
}

/* ---- ROC ---------------------------------------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct ranked {
	double v;
	bool pos;
};

static int by_ranked(const void *a, const void *b)
{
	return by_value(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/* Mann-Whitney: the share of (positive, negative) pairs the scores order right, ties counting half. */
static double auc_of(struct ranked *all, size_t n, size_t npos)
{
	size_t nneg = n - npos;
	if (!npos || !nneg)
		return 0.5;
	qsort(all, n, sizeof *all, by_ranked);
	double rank_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && all[j].v == all[i].v)
			j++;
		double mid = (double)(i + j + 1) / 2.0; /* ranks i+1 .. j share their mean */
		for (size_t k = i; k < j; k++)
			if (all[k].pos)
				rank_sum += mid;
		i = j;
	}
	return (rank_sum - (double)npos * (double)(npos + 1) / 2.0) / ((double)npos * (double)nneg);
}

double ciot_roc_auc(const double *pos, size_t npos, const double *neg, size_t nneg)
{
	struct ranked *all = malloc((npos + nneg + 1) * sizeof *all);
	if (!all)
		return NAN;
	for (size_t i = 0; i < npos; i++)
		all[i] = (struct ranked){ pos[i], true };
	for (size_t i = 0; i < nneg; i++)
		all[npos + i] = (struct ranked){ neg[i], false };
	double auc = auc_of(all, npos + nneg, npos);
	free(all);
	return auc;
}

double ciot_roc_tpr_at(const double *pos, size_t npos, const double *neg, size_t nneg, double fpr)
{
	if (!npos || !nneg)
		return 0;
	double *sorted = malloc(nneg * sizeof *sorted);
	if (!sorted)
		return NAN;
	memcpy(sorted, neg, nneg * sizeof *sorted);
	qsort(sorted, nneg, sizeof *sorted, by_value);
	/* at most floor(fpr * nneg) negatives may score above the threshold: it is the next one's score */
	size_t allowed = (size_t)floor(fpr * (double)nneg + 1e-9);
	double threshold = sorted[nneg - 1 - (allowed < nneg ? allowed : nneg - 1)];
	free(sorted);
	size_t hits = 0;
	for (size_t i = 0; i < npos; i++)
		hits += pos[i] > threshold;
	return (double)hits / (double)npos;
}

/* ---- windows ------------------------------------------------------------------------------------- */

void ciot_window_set_free(struct ciot_window_set *s)
{
	free(s->w);
	memset(s, 0, sizeof *s);
}

enum ciot_rc ciot_shape_windows(const struct ciot_trace *reference, const struct ciot_labels *labels, double window_s,
				double step_s, struct ciot_window_set *out, char *errbuf)
{
	memset(out, 0, sizeof *out);
	if (!(window_s > 0) || !(step_s > 0) || step_s > window_s)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "windows of %g s every %g s: both must be above 0, the step at most the window",
				 window_s, step_s);
	out->window_s = window_s;
	out->step_s = step_s;
	out->nevents = labels->n;
	int64_t w = (int64_t)llround(window_s * 1e9), step = (int64_t)llround(step_s * 1e9);
	size_t cap = 0;
	for (size_t e = 0; e < labels->n; e++) {
		const struct ciot_label *l = &labels->l[e];
		for (size_t s = 0; s < reference->nspans; s++) {
			int64_t from = l->start_ns > reference->spans[s].start_ns ? l->start_ns : reference->spans[s].start_ns;
			int64_t to = l->end_ns < reference->spans[s].end_ns ? l->end_ns : reference->spans[s].end_ns;
			for (int64_t t = from; t + w <= to; t += step) {
				struct ciot_scored_window *grown =
					ciot_shape_grow(out->w, &cap, out->n + 1, sizeof *grown, 256);
				if (!grown) {
					ciot_window_set_free(out);
					return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
				}
				out->w = grown;
				out->w[out->n++] = (struct ciot_scored_window){ t, e, l->active };
			}
		}
	}
	return CIOT_OK;
}

/* ---- what an attacker sees of a window ----------------------------------------------------------- */

struct window_view {
	const struct ciot_trace_packet *p; /* the window's packets */
	size_t n;
	double seconds;
	double features[NFEATURES];
};

static size_t first_at_or_after(const struct ciot_trace *t, int64_t ts)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->p[mid].ts_ns < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int size_bin(uint32_t wire)
{
	unsigned b = wire / SIZE_BIN;
	return b < SIZE_BINS - 1 ? (int)b : SIZE_BINS - 1;
}

static int gap_bin(int64_t gap_ns)
{
	double decades = log10((double)(gap_ns > 1000 ? gap_ns : 1000) / 1000.0); /* from 1 us */
	int b = (int)(decades * 4);
	return b < 0 ? 0 : b >= GAP_BINS ? GAP_BINS - 1 : b;
}

static void view_of(const struct ciot_trace *t, int64_t start, double seconds, struct window_view *v)
{
	int64_t end = start + (int64_t)llround(seconds * 1e9);
	size_t a = first_at_or_after(t, start), b = first_at_or_after(t, end);
	v->p = t->p + a;
	v->n = b - a;
	v->seconds = seconds;
	double bytes = 0, up = 0, sq = 0, max = 0, lg = 0, lg2 = 0;
	for (size_t i = 0; i < v->n; i++) {
		double s = v->p[i].wire;
		bytes += s;
		sq += s * s;
		max = s > max ? s : max;
		up += v->p[i].dir == CIOT_TRACE_FROM_DEVICE ? s : 0;
		if (i) {
			double g = log10((double)(v->p[i].ts_ns - v->p[i - 1].ts_ns) / 1e9 + 1e-6);
			lg += g;
			lg2 += g * g;
		}
	}
	double n = (double)v->n, gaps = n > 1 ? n - 1 : 0, mean = n ? bytes / n : 0;
	double gmean = gaps ? lg / gaps : log10(seconds);
	double *f = v->features;
	f[0] = log1p(bytes / seconds);
	f[1] = log1p(n / seconds);
	f[2] = mean;
	f[3] = n ? sqrt(fmax(sq / n - mean * mean, 0)) : 0;
	f[4] = max;
	f[5] = gmean;
	f[6] = gaps ? sqrt(fmax(lg2 / gaps - gmean * gmean, 0)) : 0;
	f[7] = bytes ? up / bytes : 0.5;
}

/* ---- the attackers' models ----------------------------------------------------------------------- */

struct model {
	double size_llr[SIZE_BINS], gap_llr[GAP_BINS]; /* log(p_active / p_idle) per bin */
	double mean[NFEATURES], sd[NFEATURES], w[NFEATURES + 1];
	double rate_threshold;
};

/* log-likelihood ratios of two histograms, Laplace-smoothed */
static void llr(const double *active, const double *idle, int bins, double *out)
{
	double ta = 0, ti = 0;
	for (int i = 0; i < bins; i++) {
		ta += active[i];
		ti += idle[i];
	}
	for (int i = 0; i < bins; i++)
		out[i] = log((active[i] + 1) / (ta + bins)) - log((idle[i] + 1) / (ti + bins));
}

static void train_histograms(const struct window_view *v, const bool *active, const bool *train, size_t n,
			     struct model *m)
{
	double sizes[2][SIZE_BINS] = { { 0 } }, gaps[2][GAP_BINS] = { { 0 } };
	for (size_t i = 0; i < n; i++) {
		if (!train[i])
			continue;
		int k = active[i];
		for (size_t j = 0; j < v[i].n; j++) {
			sizes[k][size_bin(v[i].p[j].wire)]++;
			if (j)
				gaps[k][gap_bin(v[i].p[j].ts_ns - v[i].p[j - 1].ts_ns)]++;
		}
	}
	llr(sizes[1], sizes[0], SIZE_BINS, m->size_llr);
	llr(gaps[1], gaps[0], GAP_BINS, m->gap_llr);
}

/* Solves the d x d system A x = b in place (Gaussian elimination with partial pivoting); false when
 * A is singular. */
static bool solve(double *A, double *b, int d)
{
	for (int c = 0; c < d; c++) {
		int p = c;
		for (int r = c + 1; r < d; r++)
			if (fabs(A[r * d + c]) > fabs(A[p * d + c]))
				p = r;
		if (fabs(A[p * d + c]) < 1e-12)
			return false;
		for (int k = 0; k < d && p != c; k++) {
			double t = A[c * d + k];
			A[c * d + k] = A[p * d + k];
			A[p * d + k] = t;
		}
		double t = b[c];
		b[c] = b[p];
		b[p] = t;
		for (int r = c + 1; r < d; r++) {
			double f = A[r * d + c] / A[c * d + c];
			for (int k = c; k < d; k++)
				A[r * d + k] -= f * A[c * d + k];
			b[r] -= f * b[c];
		}
	}
	for (int c = d - 1; c >= 0; c--) {
		for (int k = c + 1; k < d; k++)
			b[c] -= A[c * d + k] * b[k];
		b[c] /= A[c * d + c];
	}
	return true;
}

/* Logistic regression on standardized features, the two classes weighted to count alike, with a
 * ridge penalty (it keeps separable training data finite), fitted by Newton's method from zero:
 * deterministic, and a few iterations for eight features. */
static void train_classifier(const struct window_view *v, const bool *active, const bool *train, size_t n,
			     struct model *m)
{
	enum { D = NFEATURES + 1 };
	size_t count[2] = { 0, 0 };
	for (int f = 0; f < NFEATURES; f++) {
		double s = 0, s2 = 0, k = 0;
		for (size_t i = 0; i < n; i++)
			if (train[i]) {
				s += v[i].features[f];
				s2 += v[i].features[f] * v[i].features[f];
				k++;
			}
		m->mean[f] = k ? s / k : 0;
		double var = k ? s2 / k - m->mean[f] * m->mean[f] : 0;
		m->sd[f] = var > 1e-12 ? sqrt(var) : 1;
	}
	for (size_t i = 0; i < n; i++)
		if (train[i])
			count[active[i]]++;
	memset(m->w, 0, sizeof m->w);
	if (!count[0] || !count[1])
		return;
	double weight[2] = { 0.5 / (double)count[0], 0.5 / (double)count[1] };
	for (int it = 0; it < LR_ITERATIONS; it++) {
		double H[D * D] = { 0 }, g[D] = { 0 };
		for (size_t i = 0; i < n; i++) {
			if (!train[i])
				continue;
			double x[D], z = 0;
			for (int f = 0; f < NFEATURES; f++)
				x[f] = (v[i].features[f] - m->mean[f]) / m->sd[f];
			x[NFEATURES] = 1;
			for (int f = 0; f < D; f++)
				z += m->w[f] * x[f];
			double p = 1.0 / (1.0 + exp(-z)), w = weight[active[i]];
			for (int f = 0; f < D; f++) {
				g[f] += w * (p - (active[i] ? 1.0 : 0.0)) * x[f];
				for (int k = 0; k < D; k++)
					H[f * D + k] += w * p * (1 - p) * x[f] * x[k];
			}
		}
		for (int f = 0; f < NFEATURES; f++) {
			g[f] += LR_L2 * m->w[f];
			H[f * D + f] += LR_L2;
		}
		if (!solve(H, g, D))
			break;
		double step = 0;
		for (int f = 0; f < D; f++) {
			m->w[f] -= g[f];
			step = fmax(step, fabs(g[f]));
		}
		if (step < 1e-8)
			break;
	}
}

static void train_rate(const struct window_view *v, const bool *active, const bool *train, size_t n, struct model *m)
{
	double *rates = malloc((n + 1) * sizeof *rates);
	size_t k = 0;
	for (size_t i = 0; rates && i < n; i++)
		if (train[i] && !active[i])
			rates[k++] = exp(v[i].features[0]) - 1;
	m->rate_threshold = INFINITY;
	if (k) {
		qsort(rates, k, sizeof *rates, by_value);
		m->rate_threshold = rates[(size_t)floor(RATE_QUANTILE * (double)(k - 1))];
	}
	free(rates);
}

static double score_of(enum ciot_attacker a, const struct model *m, const struct window_view *v)
{
	double s = 0;
	switch (a) {
	case CIOT_ATTACK_RATE:
		return exp(v->features[0]) - 1;
	case CIOT_ATTACK_SIZE:
		for (size_t j = 0; j < v->n; j++)
			s += m->size_llr[size_bin(v->p[j].wire)];
		return v->n ? s / (double)v->n : 0;
	case CIOT_ATTACK_TIMING:
		for (size_t j = 1; j < v->n; j++)
			s += m->gap_llr[gap_bin(v->p[j].ts_ns - v->p[j - 1].ts_ns)];
		return v->n > 1 ? s / (double)(v->n - 1) : 0;
	case CIOT_ATTACK_CLASSIFIER:
		s = m->w[NFEATURES];
		for (int f = 0; f < NFEATURES; f++)
			s += m->w[f] * (v->features[f] - m->mean[f]) / m->sd[f];
		return s;
	default:
		return 0;
	}
}

/* ---- leave one event of each kind out ---------------------------------------------------------------
 *
 * A fold holds out one active event and one idle event, trains on every other event, and scores the
 * two held-out events' windows with that one model: the AUC counts, over every fold, the (active
 * window, idle window) pairs the model orders right. Holding out one event at a time and pooling
 * the scores of all folds instead compares scores of different models, and on traffic that carries
 * no signal it is biased: a fold that holds out an active event trains on fewer active windows and
 * its model leans the other way, which put the AUC of shaped traffic near 0.0, not 0.5, in ciot's
 * first runs on the camera's captures.
 */

struct fold {
	size_t active_event, idle_event;
	double *pos[CIOT_NATTACKERS], *neg[CIOT_NATTACKERS];
	size_t npos, nneg;
	size_t rate_tp, rate_fp;           /* the rate attacker's verdicts at its learned threshold */
};

struct scoring {
	const struct ciot_window_set *ws;
	struct window_view *v;
	bool *active, *train;
	size_t nevents_of[2];
	size_t *events_of[2];               /* the events of each kind */
	struct fold *folds;
	size_t nfolds;
	struct ciot_shape_virtual *rng;
};

/* The events that have windows, by kind. */
static enum ciot_rc find_events(struct scoring *sc, char *errbuf)
{
	const struct ciot_window_set *ws = sc->ws;
	for (int k = 0; k < 2; k++)
		if (!(sc->events_of[k] = calloc(ws->nevents + 1, sizeof *sc->events_of[k])))
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	for (size_t e = 0; e < ws->nevents; e++) {
		for (size_t i = 0; i < ws->n; i++)
			if (ws->w[i].event == e) {
				int k = ws->w[i].active;
				sc->events_of[k][sc->nevents_of[k]++] = e;
				break;
			}
	}
	if (sc->nevents_of[0] < 2 || sc->nevents_of[1] < 2)
		return ciot_fail(errbuf, CIOT_ERR_ARG,
				 "windows of %.3g s come from %zu active and %zu idle events; leave-one-event-out needs two of each",
				 ws->window_s, sc->nevents_of[1], sc->nevents_of[0]);
	return CIOT_OK;
}

static enum ciot_rc run_fold(struct scoring *sc, struct fold *f, char *errbuf)
{
	const struct ciot_window_set *ws = sc->ws;
	size_t np = 0, nn = 0;
	for (size_t i = 0; i < ws->n; i++) {
		size_t e = ws->w[i].event;
		sc->train[i] = e != f->active_event && e != f->idle_event;
		np += e == f->active_event;
		nn += e == f->idle_event;
	}
	for (int a = 0; a < CIOT_NATTACKERS; a++) {
		f->pos[a] = malloc((np + 1) * sizeof *f->pos[a]);
		f->neg[a] = malloc((nn + 1) * sizeof *f->neg[a]);
		if (!f->pos[a] || !f->neg[a])
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	struct model m;
	train_histograms(sc->v, sc->active, sc->train, ws->n, &m);
	train_classifier(sc->v, sc->active, sc->train, ws->n, &m);
	train_rate(sc->v, sc->active, sc->train, ws->n, &m);
	for (size_t i = 0; i < ws->n; i++) {
		size_t e = ws->w[i].event;
		if (e != f->active_event && e != f->idle_event)
			continue;
		bool pos = e == f->active_event;
		for (int a = 0; a < CIOT_NATTACKERS; a++)
			(pos ? f->pos[a] : f->neg[a])[pos ? f->npos : f->nneg] = score_of((enum ciot_attacker)a, &m, &sc->v[i]);
		bool above = (pos ? f->pos : f->neg)[CIOT_ATTACK_RATE][pos ? f->npos : f->nneg] > m.rate_threshold;
		f->rate_tp += pos && above;
		f->rate_fp += !pos && above;
		*(pos ? &f->npos : &f->nneg) += 1;
	}
	return CIOT_OK;
}

/* A fold's scores for one attacker, sorted once: a bootstrap round is then a count per window and
 * one pass, not a sort. */
struct sorted_fold {
	struct ranked *r;   /* by value */
	size_t *index;      /* r[i]'s position among its kind's windows */
	size_t n, npos, nneg;
};

/* Mann-Whitney over one fold's sorted scores with each window counted `weight` times (NULL: once):
 * pairs ordered right, ties half. */
static double right_pairs(const struct sorted_fold *sf, const unsigned *wpos, const unsigned *wneg)
{
	double right = 0, below = 0;
	for (size_t i = 0; i < sf->n;) {
		size_t j = i;
		double pos = 0, neg = 0;
		for (; j < sf->n && sf->r[j].v == sf->r[i].v; j++) {
			size_t k = sf->index[j];
			double w = sf->r[j].pos ? (wpos ? wpos[k] : 1) : (wneg ? wneg[k] : 1);
			*(sf->r[j].pos ? &pos : &neg) += w;
		}
		right += pos * (below + neg / 2);
		below += neg;
		i = j;
	}
	return right;
}

struct indexed {
	struct ranked r; /* first: by_ranked sorts these too */
	size_t index;
};

static bool sort_fold(const struct fold *f, int a, struct sorted_fold *sf)
{
	sf->n = f->npos + f->nneg;
	sf->npos = f->npos;
	sf->nneg = f->nneg;
	sf->r = malloc((sf->n + 1) * sizeof *sf->r);
	sf->index = malloc((sf->n + 1) * sizeof *sf->index);
	struct indexed *tmp = malloc((sf->n + 1) * sizeof *tmp);
	if (!sf->r || !sf->index || !tmp) {
		free(tmp);
		return false;
	}
	for (size_t i = 0; i < f->npos; i++)
		tmp[i] = (struct indexed){ { f->pos[a][i], true }, i };
	for (size_t i = 0; i < f->nneg; i++)
		tmp[f->npos + i] = (struct indexed){ { f->neg[a][i], false }, i };
	qsort(tmp, sf->n, sizeof *tmp, by_ranked); /* the ranked member comes first */
	for (size_t i = 0; i < sf->n; i++) {
		sf->r[i] = tmp[i].r;
		sf->index[i] = tmp[i].index;
	}
	free(tmp);
	return true;
}

/* The standard error of an AUC from n1 positives and n2 negatives (Hanley and McNeil, Radiology
 * 1982), which needs only the AUC and the counts. */
static double hanley_mcneil_se(double auc, double n1, double n2)
{
	if (n1 < 1 || n2 < 1)
		return 0.5;
	double q1 = auc / (2 - auc), q2 = 2 * auc * auc / (1 + auc);
	double var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n2 - 1) * (q2 - auc * auc)) / (n1 * n2);
	return var > 0 ? sqrt(var) : 0;
}

/* An attacker's AUC with its interval (see hanley_mcneil_se and the file's top), and its TPR at 1%
 * FPR (per fold, weighted by the fold's active windows). The bootstrap resamples each fold's active
 * and idle windows apart. */
static enum ciot_rc summarize(struct scoring *sc, int a, struct ciot_score *out, char *errbuf)
{
	size_t np = 0, nn = 0, most = 0;
	double tpr = 0;
	for (size_t k = 0; k < sc->nfolds; k++) {
		struct fold *f = &sc->folds[k];
		np += f->npos;
		nn += f->nneg;
		most = f->npos > most ? f->npos : most;
		most = f->nneg > most ? f->nneg : most;
		tpr += ciot_roc_tpr_at(f->pos[a], f->npos, f->neg[a], f->nneg, 0.01) * (double)f->npos;
	}
	/* every window is in as many folds as there are events of the other kind: count it once */
	out->positives = np / sc->nevents_of[0];
	out->negatives = nn / sc->nevents_of[1];
	out->tpr_at_1pct = np ? tpr / (double)np : 0;
	struct sorted_fold *sf = calloc(sc->nfolds, sizeof *sf);
	unsigned *wpos = calloc(most + 1, sizeof *wpos), *wneg = calloc(most + 1, sizeof *wneg);
	double *aucs = malloc(BOOTSTRAP_ROUNDS * sizeof *aucs);
	enum ciot_rc rc = sf && wpos && wneg && aucs ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	double right = 0, pairs = 0;
	for (size_t k = 0; !rc && k < sc->nfolds; k++) {
		if (!sort_fold(&sc->folds[k], a, &sf[k]))
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		else {
			right += right_pairs(&sf[k], NULL, NULL);
			pairs += (double)sf[k].npos * (double)sf[k].nneg;
		}
	}
	out->auc = pairs ? right / pairs : 0.5;
	/* each fold's own AUC: how much the answer depends on which events the model learned from */
	double fold_low = out->auc, fold_high = out->auc;
	for (size_t k = 0; !rc && k < sc->nfolds; k++) {
		double p = (double)sf[k].npos * (double)sf[k].nneg;
		if (p > 0) {
			double auc = right_pairs(&sf[k], NULL, NULL) / p;
			fold_low = fmin(fold_low, auc);
			fold_high = fmax(fold_high, auc);
		}
	}
	const struct ciot_shape_env *env = ciot_shape_virtual_env(sc->rng);
	for (int r = 0; !rc && r < BOOTSTRAP_ROUNDS; r++) {
		double rr = 0;
		for (size_t k = 0; k < sc->nfolds; k++) {
			memset(wpos, 0, sf[k].npos * sizeof *wpos);
			memset(wneg, 0, sf[k].nneg * sizeof *wneg);
			for (size_t i = 0; i < sf[k].npos; i++)
				wpos[ciot_shape_random_below(env, sf[k].npos)]++;
			for (size_t i = 0; i < sf[k].nneg; i++)
				wneg[ciot_shape_random_below(env, sf[k].nneg)]++;
			rr += right_pairs(&sf[k], wpos, wneg);
		}
		aucs[r] = pairs ? rr / pairs : 0.5;
	}
	if (!rc) {
		qsort(aucs, BOOTSTRAP_ROUNDS, sizeof *aucs, by_value);
		/* a bootstrap over two active windows can only recombine those two: with few windows of
		 * either kind the normal interval of Hanley and McNeil's variance is the honest one, so
		 * the interval is the wider of the two */
		double overlap = sc->ws->window_s / sc->ws->step_s;
		double half = 1.96 * hanley_mcneil_se(out->auc, (double)out->positives / overlap,
						      (double)out->negatives / overlap);
		out->auc_low = fmax(0, fmin(fmin(aucs[(size_t)(0.025 * BOOTSTRAP_ROUNDS)], out->auc - half), fold_low));
		out->auc_high = fmin(1, fmax(fmax(aucs[(size_t)(0.975 * BOOTSTRAP_ROUNDS) - 1], out->auc + half), fold_high));
	}
	for (size_t k = 0; sf && k < sc->nfolds; k++) {
		free(sf[k].r);
		free(sf[k].index);
	}
	free(sf);
	free(wpos);
	free(wneg);
	free(aucs);
	return rc;
}

static void scoring_free(struct scoring *sc)
{
	free(sc->v);
	free(sc->active);
	free(sc->train);
	for (int k = 0; k < 2; k++)
		free(sc->events_of[k]);
	for (size_t k = 0; sc->folds && k < sc->nfolds; k++)
		for (int a = 0; a < CIOT_NATTACKERS; a++) {
			free(sc->folds[k].pos[a]);
			free(sc->folds[k].neg[a]);
		}
	free(sc->folds);
	ciot_shape_virtual_free(sc->rng);
}

static enum ciot_rc score_folds(struct scoring *sc, const struct ciot_trace *t, struct ciot_score out[CIOT_NATTACKERS],
				char *errbuf)
{
	const struct ciot_window_set *ws = sc->ws;
	for (size_t i = 0; i < ws->n; i++) {
		view_of(t, ws->w[i].start_ns, ws->window_s, &sc->v[i]);
		sc->active[i] = ws->w[i].active;
	}
	sc->nfolds = sc->nevents_of[1] * sc->nevents_of[0];
	if (!(sc->folds = calloc(sc->nfolds, sizeof *sc->folds)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = CIOT_OK;
	for (size_t k = 0; !rc && k < sc->nfolds; k++) {
		sc->folds[k].active_event = sc->events_of[1][k / sc->nevents_of[0]];
		sc->folds[k].idle_event = sc->events_of[0][k % sc->nevents_of[0]];
		rc = run_fold(sc, &sc->folds[k], errbuf);
	}
	size_t tp = 0, fp = 0, np = 0, nn = 0;
	for (size_t k = 0; k < sc->nfolds; k++) {
		struct fold *f = &sc->folds[k];
		tp += f->rate_tp;
		fp += f->rate_fp;
		np += f->npos;
		nn += f->nneg;
	}
	for (int a = 0; !rc && a < CIOT_NATTACKERS; a++) {
		out[a].attacker = (enum ciot_attacker)a;
		out[a].window_s = ws->window_s;
		out[a].events = sc->nevents_of[0] + sc->nevents_of[1];
		rc = summarize(sc, a, &out[a], errbuf);
	}
	out[CIOT_ATTACK_RATE].threshold_tpr = np ? (double)tp / (double)np : 0;
	out[CIOT_ATTACK_RATE].threshold_fpr = nn ? (double)fp / (double)nn : 0;
	return rc;
}

enum ciot_rc ciot_shape_score(const struct ciot_trace *t, const struct ciot_window_set *ws, uint64_t seed,
			      struct ciot_score out[CIOT_NATTACKERS], char *errbuf)
{
	memset(out, 0, CIOT_NATTACKERS * sizeof *out);
	size_t n = ws->n;
	struct scoring sc = { .ws = ws };
	enum ciot_rc rc = find_events(&sc, errbuf);
	if (!rc) {
		sc.v = calloc(n + 1, sizeof *sc.v);
		sc.active = calloc(n + 1, sizeof *sc.active);
		sc.train = calloc(n + 1, sizeof *sc.train);
		if (!sc.v || !sc.active || !sc.train)
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = ciot_shape_virtual_new(&sc.rng, seed, errbuf);
	if (!rc)
		rc = score_folds(&sc, t, out, errbuf);
	scoring_free(&sc);
	return rc;
}

/* ---- cover against data ---------------------------------------------------------------------------- */

enum ciot_rc ciot_shape_cover_separability(const struct ciot_trace *shaped, uint64_t seed, double *auc, double *low,
					   double *high, char *errbuf)
{
	size_t n = shaped->n, np = 0, nn = 0;
	double *pos = malloc((n + 1) * sizeof *pos), *neg = malloc((n + 1) * sizeof *neg);
	struct ranked *buf = malloc((n + 1) * sizeof *buf);
	struct ciot_shape_virtual *rng = NULL;
	enum ciot_rc rc = pos && neg && buf ? CIOT_OK : ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < n; i++) {
		if (shaped->p[i].kind == CIOT_TRACE_DATA)
			pos[np++] = shaped->p[i].wire;
		else if (shaped->p[i].kind == CIOT_TRACE_COVER)
			neg[nn++] = shaped->p[i].wire;
	}
	if (!rc && (!np || !nn))
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "the shaped trace needs both data and cover records (%zu and %zu)", np, nn);
	if (!rc)
		rc = ciot_shape_virtual_new(&rng, seed, errbuf);
	if (!rc) {
		*auc = ciot_roc_auc(pos, np, neg, nn);
		const struct ciot_shape_env *env = ciot_shape_virtual_env(rng);
		double aucs[200];
		/* fewer rounds than for windows: records number in the tens of thousands */
		for (int r = 0; r < 200; r++) {
			for (size_t i = 0; i < np; i++)
				buf[i] = (struct ranked){ pos[ciot_shape_random_below(env, np)], true };
			for (size_t i = 0; i < nn; i++)
				buf[np + i] = (struct ranked){ neg[ciot_shape_random_below(env, nn)], false };
			aucs[r] = auc_of(buf, np + nn, np);
		}
		qsort(aucs, 200, sizeof *aucs, by_value);
		*low = aucs[5];
		*high = aucs[194];
	}
	ciot_shape_virtual_free(rng);
	free(pos);
	free(neg);
	free(buf);
	return rc;
}
