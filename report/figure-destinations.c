/* figure-destinations.c: the destination figures: overseas shares by category and phase (Figure 2,
 * from the countries export), servers per device by party and phase (Table 1, from parties), and the
 * organizations contacted (Table 2, from organizations). Each reads its export's rows as they come
 * (already sorted by the export) and fills a grouped bar chart (figure-chart.c); nothing is
 * computed here that the export does not hold, only summed across its rows (the overseas share is
 * the sum of the overseas countries' normalized shares).
 */
#include <stdlib.h>
#include <string.h>

#include "figure.h"

static const char *const phases[] = { "setup", "interaction", "idle", "deletion", "all" };
#define NPHASES (sizeof phases / sizeof phases[0])

static size_t phase_index(const char *phase)
{
	for (size_t i = 0; i < NPHASES; i++)
		if (!strcmp(phases[i], phase))
			return i;
	return NPHASES;
}

/* The row labelled `label` (in `group`), the last one when it is there, else a new one. */
static struct fig_hrow *row_for(struct fig_hbar *c, const char *group, const char *label)
{
	if (c->nrows && !strcmp(c->rows[c->nrows - 1].label, label) && !strcmp(c->rows[c->nrows - 1].group, group))
		return &c->rows[c->nrows - 1];
	for (size_t i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].label, label) && !strcmp(c->rows[i].group, group))
			return &c->rows[i];
	return fig_hbar_add(c, group, label);
}

static enum ciot_rc finish(struct fig_hbar *c, struct fig_table *t, enum ciot_rc rc, FILE *out, char *errbuf)
{
	if (!rc)
		rc = fig_hbar_draw(c, out, errbuf);
	fig_hbar_free(c);
	fig_table_free(t);
	return rc;
}

/* ---- Figure 2: overseas share ---- */

static enum ciot_rc overseas_rows(struct fig_hbar *c, const struct fig_table *t, const size_t *col, char *errbuf)
{
	for (size_t r = 0; r < t->nrows; r++) {
		const char *scope = fig_text(t, r, col[0]);
		if (!strcmp(scope, "device"))
			continue;
		size_t ph = phase_index(fig_text(t, r, col[2]));
		if (ph == NPHASES)
			continue;
		const char *label = !strcmp(scope, "all") ? "all devices" : fig_text(t, r, col[1]);
		struct fig_hrow *row = row_for(c, "", label);
		if (!row)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		struct fig_bar *b = &row->bars[ph];
		const struct fig_cell *overseas = fig_at(t, r, col[3]);
		double share = fig_at(t, r, col[4])->r;
		b->has = true;
		if (!overseas->null && overseas->i)
			b->value += share;
		else if (overseas->null)
			b->lo += share; /* the unknown share, for the tooltip only */
		b->hi = fig_at(t, r, col[5])->r; /* devices */
	}
	for (size_t r = 0; r < c->nrows; r++)
		for (size_t ph = 0; ph < NPHASES; ph++) {
			struct fig_bar *b = &c->rows[r].bars[ph];
			char pct[32], unknown[32];
			if (!b->has) {
				snprintf(b->tip, sizeof b->tip, "%s, %s: no traffic to public addresses", c->rows[r].label,
					 phases[ph]);
				continue;
			}
			fig_percent(b->label, b->value);
			snprintf(b->tip, sizeof b->tip, "%s, %s: %s of traffic overseas (normalized, %.0f devices); %s to unknown countries",
				 c->rows[r].label, phases[ph], fig_percent(pct, b->value), b->hi, fig_percent(unknown, b->lo));
			b->lo = b->hi = 0;
		}
	return CIOT_OK;
}

enum ciot_rc ciot_figure_overseas(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("overseas");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = NPHASES, .percent = true,
			      .max = 1, .reference = -1, .axis = "share of the devices' traffic sent overseas (normalized)" };
	memcpy(c.series, phases, sizeof phases);
	c.series[4] = "all phases";
	struct fig_table t;
	static const char *const names[] = { "scope", "name", "phase", "overseas", "normalized_share", "devices" };
	size_t col[6];
	enum ciot_rc rc = fig_table_open(db, "countries", p, names, col, 6, &t, errbuf);
	if (rc)
		return rc;
	if (!rc)
		rc = overseas_rows(&c, &t, col, errbuf);
	if (!rc && c.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no device traffic to public addresses");
	return finish(&c, &t, rc, out, errbuf);
}

/* ---- Table 1: servers per device by party and phase ---- */

enum ciot_rc ciot_figure_parties(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out, char *errbuf)
{
	const struct ciot_figure *self = fig_self("parties");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = 3, .reference = -1,
			      .series = { "first party", "support party", "third party" },
			      .axis = "distinct servers per device" };
	static const char *const parties[] = { "first", "support", "third" };
	static const char *const names[] = { "category", "phase", "party", "devices", "servers", "servers_per_device" };
	size_t col[6];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "parties", p, names, col, 6, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows; r++) {
		const char *party = fig_text(&t, r, col[2]), *phase = fig_text(&t, r, col[1]);
		size_t s = 0;
		while (s < 3 && strcmp(parties[s], party))
			s++;
		const char *category = fig_text(&t, r, col[0]), *label = !strcmp(phase, "all") ? "all phases" : phase;
		struct fig_hrow *row = s < 3 ? row_for(&c, category, label) : NULL;
		if (s < 3 && !row)
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		if (!row)
			continue;
		struct fig_bar *b = &row->bars[s];
		b->has = true;
		b->value = fig_at(&t, r, col[5])->r;
		if (b->value != 0)
			snprintf(b->label, sizeof b->label, "%.2f", b->value);
		else
			snprintf(b->label, sizeof b->label, "0");
		snprintf(b->tip, sizeof b->tip, "%s, %s: %.2f %s-party servers per device (%lld servers, %lld devices)",
			 category, label, b->value, party, fig_at(&t, r, col[4])->i, fig_at(&t, r, col[3])->i);
	}
	if (!rc && c.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no lifecycle capture");
	return finish(&c, &t, rc, out, errbuf);
}

/* ---- Table 2: organizations ---- */

/* More rows than this are left out of the chart (the note says how many; the export has them all). */
#define ORGANIZATIONS_MAX 60

enum ciot_rc ciot_figure_organizations(struct sqlite3 *db, const struct ciot_export_params *p, FILE *out,
				       char *errbuf)
{
	const struct ciot_figure *self = fig_self("organizations");
	struct fig_hbar c = { .title = self->title, .method = self->method, .nseries = 1, .reference = -1,
			      .series = { "devices that exchanged traffic with it" }, .axis = "devices", .integer = true };
	static const char *const names[] = { "organization", "devices", "flows", "bytes", "domains" };
	size_t col[5];
	struct fig_table t;
	enum ciot_rc rc = fig_table_open(db, "organizations", p, names, col, 5, &t, errbuf);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < t.nrows && r < ORGANIZATIONS_MAX; r++) {
		struct fig_hrow *row = fig_hbar_add(&c, "", fig_text(&t, r, col[0]));
		if (!row) {
			rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
			break;
		}
		struct fig_bar *b = &row->bars[0];
		long long devices = fig_at(&t, r, col[1])->i;
		char bytes[32];
		b->has = true;
		b->value = (double)devices;
		snprintf(b->label, sizeof b->label, "%lld", devices);
		snprintf(b->tip, sizeof b->tip, "%s: %lld devices, %lld flows, %s; domains: %s", fig_text(&t, r, col[0]), devices,
			 fig_at(&t, r, col[2])->i, fig_bytes(bytes, fig_at(&t, r, col[3])->r), fig_text(&t, r, col[4]));
	}
	if (!rc && t.nrows > ORGANIZATIONS_MAX)
		snprintf(c.note, sizeof c.note, "The first %d of %zu organizations; the organizations export lists all.",
			 ORGANIZATIONS_MAX, t.nrows);
	if (!rc && c.nrows == 0)
		rc = ciot_fail(errbuf, CIOT_FIGURE_NO_DATA, "no device traffic to a public address with an organization");
	return finish(&c, &t, rc, out, errbuf);
}
