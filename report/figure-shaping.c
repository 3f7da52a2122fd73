/* figure-shaping.c: ciot-shape's stored results (docs/shaping.md), when a `ciot-shape score --store`
 * run put any in the database: how well each activity-inference attacker tells active from idle
 * windows on the unshaped and the shaped traffic (ROC AUC with its interval, per window length, from
 * the shaping export), and what the shaping costs per direction (bytes per second before and after,
 * from shaping-cost). The database holds scores, not the traces: rate plots, ROC curves and sweeps
 * are ciot-shape's own output (sweep) and are not drawn here.
 */
#include <string.h>

#include "figure.h"

/* "run 3: 192.168.1.165, up uniform:0,0.6 s / uniform:50,200 B, down ... (TLS)" */
static void run_label(char *buf, size_t len, const struct fig_table *t, size_t r, const size_t *col)
{
	snprintf(buf, len, "run %lld: %s, up %s s / %s B, down %s s / %s B%s", fig_at(t, r, col[0])->i,
		 fig_text(t, r, col[1]), fig_text(t, r, col[2]), fig_text(t, r, col[3]), fig_text(t, r, col[4]),
		 fig_text(t, r, col[5]), fig_at(t, r, col[6])->i ? ", TLS" : "");
}

static struct fig_hrow *row_for(struct fig_hbar *c, const char *group, const char *label)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].label, label) && !strcmp(c->rows[i].group, group))
			return &c->rows[i];
	return fig_hbar_add(c, group, label);
}

static enum ciot_rc hbar_finish(struct fig_hbar *c, struct fig_table *t, enum ciot_rc rc, FILE *out, char *errbuf)
{
	if (!rc)
		rc = fig_hbar_draw(c, out, errbuf);
	fig_hbar_free(c);
	fig_table_free(t);
	return rc;
}

enum ciot_rc ciot_figure_shaping_auc(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("shaping-auc");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = 2, .max = 1, .reference = 0.5,
			      .reference_label = "chance", .series = { "unshaped", "shaped" },
			      .axis = "ROC AUC of active against idle windows (mean over seeds, with its interval)" };
	static const char *const names[] = { "run", "device", "interval_up", "size_up", "interval_down", "size_down",
					     "tls", "trace", "window_s", "attacker", "seeds", "auc", "auc_low", "auc_high",
					     "tpr_at_1pct_fpr" };
	size_t col[15];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "shaping", p, names, col, 15, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		char group[FIG_LABEL_SIZE], label[FIG_LABEL_SIZE];
		run_label(group, sizeof group, &t, r, col);
		snprintf(label, sizeof label, "%g s windows, %s", fig_at(&t, r, col[8])->r, fig_text(&t, r, col[9]));
		struct fig_hrow *row = row_for(&c, group, label);
		if (!row) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		int shaped = !strcmp(fig_text(&t, r, col[7]), "shaped");
		struct fig_bar *b = &row->bars[shaped];
		double auc = fig_at(&t, r, col[11])->r, lo = fig_at(&t, r, col[12])->r, hi = fig_at(&t, r, col[13])->r;
		char tpr[32];
		b->has = true;
		b->value = auc;
		b->interval = !fig_at(&t, r, col[12])->null && !fig_at(&t, r, col[13])->null;
		b->lo = lo;
		b->hi = hi;
		snprintf(b->label, sizeof b->label, "%.3f", auc);
		snprintf(b->tip, sizeof b->tip, "%s, %s, %s: AUC %.3f [%.3f, %.3f], TPR at 1%% FPR %s, %lld seeds",
			 group, label, shaped ? "shaped" : "unshaped", auc, lo, hi,
			 fig_percent(tpr, fig_at(&t, r, col[14])->r), fig_at(&t, r, col[10])->i);
	}
	if (!rc && c.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no ciot-shape score run stored (ciot-shape score --store DB)");
	return hbar_finish(&c, &t, rc, out, errbuf);
}

enum ciot_rc ciot_figure_shaping_cost(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("shaping-cost");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = 2, .reference = -1,
			      .series = { "original", "shaped" }, .axis = "bytes per second on the wire, every header counted" };
	static const char *const names[] = { "run", "device", "interval_up", "size_up", "interval_down", "size_down",
					     "tls", "direction", "original_bps", "shaped_bps", "overhead_bps",
					     "expected_overhead_bps", "delay_p50_ms", "delay_p95_ms", "refused" };
	size_t col[15];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "shaping-cost", p, names, col, 15, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		char group[FIG_LABEL_SIZE];
		run_label(group, sizeof group, &t, r, col);
		const char *dir = fig_text(&t, r, col[7]);
		const char *way = !strcmp(dir, "from_device") ? "from the device" : !strcmp(dir, "to_device") ? "to the device" : dir;
		struct fig_hrow *row = fig_hbar_add(&c, group, way);
		if (!row) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		double original = fig_at(&t, r, col[8])->r, shaped = fig_at(&t, r, col[9])->r;
		row->bars[0].has = row->bars[1].has = true;
		row->bars[0].value = original;
		row->bars[1].value = shaped;
		snprintf(row->bars[0].label, sizeof row->bars[0].label, "%.1f B/s", original);
		snprintf(row->bars[1].label, sizeof row->bars[1].label, "%.1f B/s", shaped);
		snprintf(row->bars[0].tip, sizeof row->bars[0].tip, "%s, %s: %.1f B/s unshaped", group, way, original);
		snprintf(row->bars[1].tip, sizeof row->bars[1].tip,
			 "%s, %s: %.1f B/s shaped; overhead %.1f B/s (expected %.1f), delay p50 %.1f ms, p95 %.1f ms, "
			 "%lld messages refused",
			 group, way, shaped, fig_at(&t, r, col[10])->r, fig_at(&t, r, col[11])->r,
			 fig_at(&t, r, col[12])->r, fig_at(&t, r, col[13])->r, fig_at(&t, r, col[14])->i);
	}
	if (!rc && c.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no ciot-shape score run stored (ciot-shape score --store DB)");
	return hbar_finish(&c, &t, rc, out, errbuf);
}
