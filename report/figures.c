/* figures.c: the registry of figures (ciot/figures.h): each one's name, title, the one line on how
 * it is computed, and its drawer (figure-*.c). The order is the paper's: Figures 1 to 3, then
 * Tables 1 to 5 as charts, then the shaping results. Nothing here draws or queries.
 */
#include <string.h>

#include "figure.h"

static const struct ciot_figure figures[] = {
	{ "sankey", "Figure 1: traffic from device categories to countries",
	  "From the sankey export, lifecycle captures only, all phases: each device weighs the same (its bytes "
	  "to a country / its bytes to all public addresses), a band is the sum of a category's devices' shares "
	  "over all devices, so the bands add up to 100%. --home sets the home country (the manifest's, else "
	  "CN); --fold-greater-china counts HK, MO and TW as CN.",
	  ciot_figure_sankey },
	{ "overseas", "Figure 2: share of traffic sent overseas, by category and phase",
	  "From the countries export, lifecycle captures only: per category and phase the sum of the overseas "
	  "countries' per-device normalized shares (each device weighs the same), and the same over all devices; "
	  "traffic to countries the data does not know is neither (its share is in the tooltip). --home sets the "
	  "home country; --fold-greater-china counts HK, MO and TW as CN.",
	  ciot_figure_overseas },
	{ "encryption", "Figure 3: encrypted, unknown and unencrypted shares of bytes, by category and phase",
	  "From the encryption-heatmap export, lifecycle captures only: per category and phase the mean over its "
	  "devices with traffic of each device's share of frame bytes in the group (unencrypted: text, compressed "
	  "and media); what the three maps leave to 100% is omitted payload too short to judge. Entropy mode and "
	  "thresholds as the analysis ran (ciot-analyze --entropy; docs/encryption.md).",
	  ciot_figure_encryption },
	{ "parties", "Table 1: servers contacted per device, by party, category and phase",
	  "From the parties export, lifecycle captures only: distinct servers (registrable domains, else "
	  "addresses) per device of the category, as first, support or third party, each phase and all; lab hosts "
	  "left out. Parties as the analysis decided them (ciot-analyze --public-services; the coverage export).",
	  ciot_figure_parties },
	{ "organizations", "Table 2: organizations contacted, by number of devices",
	  "From the organizations export, lifecycle captures only: the devices that exchanged traffic with each "
	  "organization (datasets/attribution's canonical name, else the AS's), most devices first; flows, bytes "
	  "and domains in the tooltip; at most the first 60.",
	  ciot_figure_organizations },
	{ "protocols", "Table 3: encryption protocols used by devices",
	  "From the protocols export, lifecycle captures only: devices that negotiated each TLS version, used "
	  "DTLS, QUIC or proprietary encryption, and devices whose highest offered TLS version it was, in all "
	  "captures and before and after a firmware update; protocols no device used are not drawn.",
	  ciot_figure_protocols },
	{ "cert-issues", "Table 4: certificate problems devices' servers presented, by category",
	  "From the cert-issues export over all negotiated versions, lifecycle captures only: per category, the "
	  "devices whose servers presented a chain with each problem out of the devices presented certificates "
	  "(TLS 1.3 encrypts them); chains judged against the trust store the analysis used (--ca-file).",
	  ciot_figure_cert_issues },
	{ "validation", "Table 5: what devices did when the certificate was replaced",
	  "From the validation export, certificate-interception captures only: per test and behaviour, the "
	  "device-server pairs and devices (the behaviour of a pair's best-ranked connection; docs/tls.md).",
	  ciot_figure_validation },
	{ "shaping-auc", "Shaping: how well activity inference does, unshaped and shaped",
	  "From the shaping export (ciot-shape score --store): each attacker's ROC AUC of active against idle "
	  "windows per window length, mean over seeds, with its interval (docs/shaping.md: optimistic); 0.5 is "
	  "chance.",
	  ciot_figure_shaping_auc },
	{ "shaping-cost", "Shaping: what it costs, per direction",
	  "From the shaping-cost export (ciot-shape score --store): the device's bytes per second before and "
	  "after shaping per direction, mean over seeds; overhead, its analytic expectation and delays in the "
	  "tooltip.",
	  ciot_figure_shaping_cost },
};

#define NFIGURES (sizeof figures / sizeof figures[0])

const struct ciot_figure *ciot_figure_get(size_t i)
{
	return i < NFIGURES ? &figures[i] : NULL;
}

const struct ciot_figure *ciot_figure_find(const char *name)
{
	for (size_t i = 0; i < NFIGURES; i++)
		if (!strcmp(figures[i].name, name))
			return &figures[i];
	return NULL;
}

const struct ciot_figure *fig_self(const char *name)
{
	return ciot_figure_find(name);
}
