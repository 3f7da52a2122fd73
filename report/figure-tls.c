/* figure-tls.c: the TLS audit's figures: the encryption protocols devices use (Table 3, from the
 * protocols export), the certificate problems their servers showed per category (Table 4, from
 * cert-issues, over all negotiated versions) and what devices did when an interceptor replaced the
 * certificate (Table 5, from validation). Counts as the exports give them; a figure whose export has
 * nothing to show (no TLS seen, no certificate presented, no interception test) is skipped with the
 * reason.
 */
#include <string.h>

#include "figure.h"

static enum ciot_rc hbar_finish(struct fig_hbar *c, struct fig_table *t, enum ciot_rc rc, FILE *out, char *errbuf)
{
	if (!rc)
		rc = fig_hbar_draw(c, out, errbuf);
	fig_hbar_free(c);
	fig_table_free(t);
	return rc;
}

/* ---- Table 3: protocols ---- */

static const char *scope_label(const char *scope)
{
	if (!strcmp(scope, "all"))
		return "all captures";
	if (!strcmp(scope, "firmware-pre"))
		return "before the firmware update";
	if (!strcmp(scope, "firmware-post"))
		return "after the firmware update";
	return scope;
}

enum ciot_rc ciot_figure_protocols(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("protocols");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = 2, .reference = -1,
			      .series = { "devices that used it", "devices whose highest offered version it was" },
			      .axis = "devices", .integer = true };
	static const char *const names[] = { "scope", "protocol", "devices", "connections", "devices_highest_offer",
					     "devices_in_scope" };
	size_t col[6];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "protocols", p, names, col, 6, &t, errbuf);
	if (rc)
		return rc;
	long long seen = 0;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		long long used = fig_at(&t, r, col[2])->i, offer = fig_at(&t, r, col[4])->i;
		long long in_scope = fig_at(&t, r, col[5])->i, conns = fig_at(&t, r, col[3])->i;
		if (!used && !offer)
			continue; /* a protocol nobody used is no bar (the export keeps its zero) */
		seen += used + offer;
		const char *scope = scope_label(fig_text(&t, r, col[0])), *proto = fig_text(&t, r, col[1]);
		struct fig_hrow *row = fig_hbar_add(&c, scope, proto);
		if (!row) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		row->bars[0].has = row->bars[1].has = true;
		row->bars[0].value = (double)used;
		row->bars[1].value = (double)offer;
		snprintf(row->bars[0].label, sizeof row->bars[0].label, "%lld of %lld", used, in_scope);
		snprintf(row->bars[1].label, sizeof row->bars[1].label, "%lld", offer);
		snprintf(row->bars[0].tip, sizeof row->bars[0].tip, "%s, %s: used by %lld of %lld devices (%lld connections)",
			 scope, proto, used, in_scope, conns);
		snprintf(row->bars[1].tip, sizeof row->bars[1].tip,
			 "%s, %s: the highest version offered by %lld of %lld devices", scope, proto, offer,
			 in_scope);
	}
	if (!rc && !seen)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no TLS, DTLS, QUIC or proprietary encryption in lifecycle captures");
	return hbar_finish(&c, &t, rc, out, errbuf);
}

/* ---- Table 4: certificate problems ---- */

static const char *const issues[] = { "insecure-signature", "insecure-key", "self-signed", "long-validity",
				      "expired", "not-yet-valid", "untrusted", "name-mismatch" };
static const char *const issue_columns[] = { "weak sig.", "weak key", "self-sig.", "> 398 d", "expired",
					     "not yet", "untrusted", "mismatch" };
#define NISSUES (sizeof issues / sizeof issues[0])

enum ciot_rc ciot_figure_cert_issues(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("cert-issues");
	struct fig_heatmap h = { .title = self->title, .method = self->method, .npanels = 1,
				 .panels = { "devices whose servers presented the problem" }, .columns = issue_columns,
				 .ncolumns = NISSUES, .scale = "share of the category's devices" };
	snprintf(h.note, sizeof h.note, "Columns: insecure signature algorithm, insecure key, self-signed, validity "
		 "over 398 days, expired, not yet valid, untrusted, name mismatch.");
	static const char *const names[] = { "version", "issue", "category", "devices", "devices_with_certificates",
					     "connections" };
	size_t col[6];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "cert-issues", p, names, col, 6, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		if (strcmp(fig_text(&t, r, col[0]), "all"))
			continue;
		const char *issue = fig_text(&t, r, col[1]), *category = fig_text(&t, r, col[2]);
		size_t i = 0, row = 0;
		while (i < NISSUES && strcmp(issues[i], issue))
			i++;
		while (row < h.nrows && strcmp(h.rows[row], category))
			row++;
		if (i == NISSUES)
			continue;
		if (row == h.nrows && (row = fig_heatmap_add(&h, category)) == (size_t)-1) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		struct fig_hcell *cell = fig_heatmap_cell(&h, row, 0, i);
		long long k = fig_at(&t, r, col[3])->i, n = fig_at(&t, r, col[4])->i;
		cell->has = n > 0;
		cell->value = n > 0 ? (double)k / (double)n : 0;
		snprintf(cell->text, sizeof cell->text, "%lld/%lld", k, n);
		snprintf(cell->tip, sizeof cell->tip, "%s, %s: %lld of the %lld devices presented certificates (%lld connections)",
			 category, issue, k, n, fig_at(&t, r, col[5])->i);
	}
	if (!rc && h.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA,
			       "no server presented certificates to a device (TLS 1.3 encrypts them) in lifecycle captures");
	if (!rc)
		rc = fig_heatmap_draw(&h, out, errbuf);
	fig_heatmap_free(&h);
	fig_table_free(&t);
	return rc;
}

/* ---- Table 5: validation ---- */

enum ciot_rc ciot_figure_validation(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("validation");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = 2, .reference = -1,
			      .series = { "device-server pairs", "devices" }, .axis = "pairs and devices", .integer = true };
	static const char *const names[] = { "interception", "behaviour", "devices", "servers", "unconfirmed" };
	size_t col[5];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "validation", p, names, col, 5, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		char group[FIG_LABEL_SIZE];
		snprintf(group, sizeof group, "interception test: %s", fig_text(&t, r, col[0]));
		const char *behaviour = fig_text(&t, r, col[1]);
		struct fig_hrow *row = fig_hbar_add(&c, group, behaviour);
		if (!row) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		long long devices = fig_at(&t, r, col[2])->i, pairs = fig_at(&t, r, col[3])->i;
		long long unconfirmed = fig_at(&t, r, col[4])->i;
		row->bars[0].has = row->bars[1].has = true;
		row->bars[0].value = (double)pairs;
		row->bars[1].value = (double)devices;
		snprintf(row->bars[0].label, sizeof row->bars[0].label, "%lld", pairs);
		snprintf(row->bars[1].label, sizeof row->bars[1].label, "%lld", devices);
		snprintf(row->bars[0].tip, sizeof row->bars[0].tip,
			 "%s, %s: %lld device-server pairs (%lld without the server's certificate seen)", group, behaviour,
			 pairs, unconfirmed);
		snprintf(row->bars[1].tip, sizeof row->bars[1].tip, "%s, %s: %lld devices", group, behaviour, devices);
	}
	if (!rc && c.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no certificate-interception capture with a TLS connection");
	return hbar_finish(&c, &t, rc, out, errbuf);
}
