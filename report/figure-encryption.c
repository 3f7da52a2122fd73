/* figure-encryption.c: Figure 3, heatmaps of the encrypted, unknown and unencrypted shares of each
 * category's bytes per lifecycle phase, from the encryption-heatmap export (the mean over a
 * category's devices of each device's share; docs/encryption.md). The omitted group (payloads too
 * short to judge) is the rest to 100 % and is in each cell's tooltip, not drawn: the paper draws
 * three maps. A cell without a capture, or whose devices were all silent, is drawn empty and says
 * which.
 */
#include <string.h>

#include "figure.h"

static const char *const columns[] = { "setup", "interaction", "idle", "deletion", "all" };
#define NCOLUMNS (sizeof columns / sizeof columns[0])
static const char *const groups[] = { "encrypted", "unknown", "unencrypted" };
#define NGROUPS (sizeof groups / sizeof groups[0])

static size_t index_of(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return i;
	return n;
}

/* One export row into its cell: the share, its text and tooltip. */
static void fill_cell(struct fig_hcell *cell, const struct fig_table *t, size_t r, const size_t *col,
		      const char *category, const char *phase, const char *group)
{
	const struct fig_cell *share = fig_at(t, r, col[3]);
	long long devices = fig_at(t, r, col[4])->i, captured = fig_at(t, r, col[5])->i;
	if (share->null) {
		snprintf(cell->tip, sizeof cell->tip, "%s, %s: no traffic (%lld devices captured, all silent)", category,
			 phase, captured);
		return;
	}
	char pct[32];
	cell->has = true;
	cell->value = share->r;
	fig_percent(cell->text, share->r);
	snprintf(cell->tip, sizeof cell->tip, "%s, %s, %s: %s of bytes (mean of %lld devices' shares; %lld captured)",
		 category, phase, group, fig_percent(pct, share->r), devices, captured);
}

enum ciot_rc ciot_figure_encryption(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("encryption");
	struct fig_heatmap h = { .title = self->title, .method = self->method, .npanels = NGROUPS,
				 .columns = columns, .ncolumns = NCOLUMNS, .scale = "share of bytes" };
	memcpy(h.panels, groups, sizeof groups);
	static const char *const names[] = { "category", "phase", "class_group", "byte_share", "devices",
					     "devices_captured" };
	size_t col[6];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "encryption-heatmap", p, names, col, 6, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		const char *category = fig_text(&t, r, col[0]), *phase = fig_text(&t, r, col[1]);
		size_t g = index_of(groups, NGROUPS, fig_text(&t, r, col[2])), c = index_of(columns, NCOLUMNS, phase);
		if (g == NGROUPS || c == NCOLUMNS)
			continue;
		size_t row = h.nrows && !strcmp(h.rows[h.nrows - 1], category) ? h.nrows - 1 : fig_heatmap_add(&h, category);
		if (row == (size_t)-1) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		fill_cell(fig_heatmap_cell(&h, row, g, c), &t, r, col, category, phase, groups[g]);
	}
	for (size_t r = 0; !rc && r < h.nrows; r++)
		for (size_t g = 0; g < NGROUPS; g++)
			for (size_t c = 0; c < NCOLUMNS; c++) {
				struct fig_hcell *cell = fig_heatmap_cell(&h, r, g, c);
				if (!cell->has && !cell->tip[0])
					snprintf(cell->tip, sizeof cell->tip, "%s, %s: no capture", h.rows[r], columns[c]);
			}
	if (!rc && h.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no lifecycle capture");
	if (!rc)
		rc = fig_heatmap_draw(&h, out, errbuf);
	fig_heatmap_free(&h);
	fig_table_free(&t);
	return rc;
}
