/* reference-query.h: the reference export (report library, internal; included by queries.c, the
 * registry, after the macros it reuses: CLASS_BASE, VALIDATION_PAIRS, CERT_ISSUES_BASE).
 *
 * The published figures of datasets/reference/figures.tsv (the lifecycle paper's headline numbers,
 * and the US and UK figures it quotes from Ren et al. and Paracha et al.) are built into the query as
 * a VALUES table (reference-gen.c writes reference-figures.h from the file). For each figure whose
 * `ciot` column names a measure, the query computes the same measure on the database, as the export
 * that computes it would (the note of each row names that export), over lifecycle captures, with the
 * home country of --home (or the database's, else CN) for what is overseas:
 *
 *   summary-devices, -categories, -brands, -hours   the summary export's all row
 *   overseas-share      bytes outside the home country / all bytes to public addresses, in percent:
 *                       over all devices the plain share (Sum_T / Sum_all), for a category the mean of
 *                       its devices' shares (the countries export's normalized share)
 *   country-share       the same for one country (subject)
 *   overseas-devices    devices with bytes outside the home country, of the devices captured
 *   overseas-countries  countries outside the home country any device exchanged bytes with
 *   organization-devices  devices with a flow to the organization (subject) or one of its own, named
 *                       "<subject> ..." (Tencent Cloud for Tencent), of the devices captured
 *   servers-per-device  the parties export's servers_per_device for category, phase (scope), party
 *   unencrypted-peak    the highest unencrypted payload share of a category in one of the four
 *                       phases (encryption-heatmap), in percent; detail: which
 *   encrypted-share, unknown-share  a category's share over all phases (encryption-heatmap)
 *   firmware-devices, firmware-overseas-devices, firmware-encrypted-share (a device's, subject, with
 *                       the tag in scope)   as the firmware export
 *   protocol-devices    devices that used any of the protocols (subject, comma-separated), of the
 *                       devices captured (protocols)
 *   dominant-version    the TLS version the most devices negotiated (detail)
 *   tls12-certificate-devices, tls12-no-certificate-devices  of the devices that negotiated TLS1.2 as
 *                       the client, those shown a server certificate, and the others
 *   cert-issue-devices  devices (of a category, or all) shown a chain with any of the issues (subject)
 *                       in the version (scope), of those shown certificates in it (cert-issues)
 *   validation-devices, validation-servers   devices and device-server pairs of a behaviour
 *                       (validation), of those tested; validation-tested-devices, -servers; and
 *                       validation-error-devices: tested devices with no pair that communicates normally
 *
 * A count in percent is 100 n / k. A measure with nothing to apply to (no device of the category, no
 * interception capture, no capture tagged with a firmware) is empty and `comparable` says "no data"; a figure ciot does not compute
 * says "no" and its note why.
 */
#ifndef CIOT_REPORT_REFERENCE_QUERY_H
#define CIOT_REPORT_REFERENCE_QUERY_H

#include "reference-figures.h"

#define REF_KNOWN                                                                                          \
	"'summary-devices', 'summary-categories', 'summary-brands', 'summary-hours', 'overseas-share',"        \
	" 'country-share', 'overseas-devices', 'overseas-countries', 'organization-devices',"                  \
	" 'servers-per-device', 'unencrypted-peak', 'encrypted-share', 'unknown-share', 'firmware-devices',"   \
	" 'firmware-overseas-devices', 'firmware-encrypted-share', 'protocol-devices', 'dominant-version',"    \
	" 'tls12-certificate-devices', 'tls12-no-certificate-devices', 'cert-issue-devices',"                 \
	" 'validation-devices', 'validation-servers', 'validation-tested-devices', 'validation-tested-servers'," \
	" 'validation-error-devices'"

/* any of a comma-separated list */
#define REF_IN_LIST(list, item) "instr(',' || " list " || ',', ',' || " item " || ',') > 0"

#define REF_BASE                                                                                           \
	"ref(ord, id, source, location, region, measure, definition, published, value, unit, ciot, rcat,"      \
	" scope, subject, note) AS (VALUES " CIOT_REFERENCE_VALUES "),"                                        \
	" lc AS (SELECT c.id AS capture_id, c.device_id AS device_id, c.phase AS phase, c.firmware AS firmware" \
	" FROM captures c WHERE c.interception IS NULL),"                                                     \
	" ndev AS (SELECT count(DISTINCT device_id) AS k FROM lc),"                                            \
	" ext AS (SELECT lc.device_id AS device_id, d.category AS category, lc.firmware AS firmware,"          \
	" CASE WHEN :fold AND t.country IN ('HK', 'MO', 'TW') THEN 'CN' ELSE t.country END AS country,"        \
	" f.bytes_out + f.bytes_in AS bytes FROM flows f JOIN lc ON lc.capture_id = f.capture_id"             \
	" JOIN devices d ON d.id = lc.device_id JOIN destinations t ON t.flow_id = f.id"                       \
	" WHERE t.country <> 'local' AND t.party IS NOT 'lab'),"                                               \
	" dev_ext AS (SELECT device_id, category, sum(bytes) AS n, sum(CASE WHEN country NOT IN ('unknown', :home)" \
	" THEN bytes ELSE 0 END) AS m FROM ext GROUP BY device_id),"                                           \
	" srv AS (SELECT d.category AS category, lc.phase AS phase, t.party AS party, t.organization AS organization," \
	" lc.device_id AS device_id, lc.device_id || ' ' || coalesce(t.domain, f.remote_ip) AS pair FROM flows f" \
	" JOIN lc ON lc.capture_id = f.capture_id JOIN devices d ON d.id = lc.device_id"                        \
	" JOIN destinations t ON t.flow_id = f.id WHERE t.party IN ('first', 'support', 'third')"             \
	" OR (t.country <> 'local' AND t.party IS NOT 'lab' AND t.organization IS NOT NULL)),"                 \
	" used AS (SELECT device_id, CASE protocol WHEN 'tls' THEN version WHEN 'dtls' THEN 'DTLS' ELSE 'QUIC' END" \
	" AS proto FROM tls_view WHERE interception IS NULL AND (protocol <> 'tls' OR version IS NOT NULL)"     \
	" UNION SELECT lc.device_id, 'proprietary' FROM flows f JOIN lc ON lc.capture_id = f.capture_id"        \
	" WHERE f.proprietary_encryption),"                                                                    \
	" tls12 AS (SELECT device_id, max(server_certificates > 0) AS cert FROM tls_view WHERE interception IS NULL" \
	" AND version = 'TLS1.2' AND client = 'device' GROUP BY device_id),"                                   \
	" fwdev AS (SELECT device_id FROM lc WHERE firmware IN ('pre', 'post') GROUP BY device_id"             \
	" HAVING count(DISTINCT firmware) = 2),"                                                               \
	" fwenc AS (SELECT d.name AS device, lc.firmware AS firmware, CAST(sum(CASE WHEN x.class = 'encrypted'" \
	" THEN x.bytes ELSE 0 END) AS REAL) / sum(x.bytes) AS e FROM lc JOIN devices d ON d.id = lc.device_id"  \
	" JOIN flows f ON f.capture_id = lc.capture_id JOIN flow_classes x ON x.flow_id = f.id"                \
	" WHERE lc.firmware IN ('pre', 'post') AND lc.device_id IN (SELECT device_id FROM fwdev)"              \
	" GROUP BY d.name, lc.firmware),"                                                                      \
	" vpairs AS (WITH " VALIDATION_PAIRS " SELECT device_id, server, behaviour FROM pairs),"               \
	" cissues AS (WITH " CERT_ISSUES_BASE " SELECT version, issue, category, device_id, hit FROM flagged)," \
	" " CLASS_BASE ","                                                                                     \
	" heat AS (SELECT s.category AS category, s.phase AS phase, cl.class_group AS grp,"                    \
	" coalesce(sum(s.pbs), 0) / k.k AS share FROM share s JOIN classes cl USING (class)"                   \
	" JOIN cat_k k USING (category, phase) GROUP BY s.category, s.phase, cl.class_group),"                 \
	" cells AS (SELECT DISTINCT category, phase FROM cat_k)"

/* The count n of a measure, and its denominator k (NULL: none). */
#define REF_N                                                                                              \
	"CASE r.ciot WHEN 'summary-devices' THEN (SELECT k FROM ndev)"                                         \
	" WHEN 'summary-categories' THEN (SELECT count(DISTINCT d.category) FROM lc JOIN devices d ON d.id = lc.device_id)" \
	" WHEN 'summary-brands' THEN (SELECT count(DISTINCT d.brand) FROM lc JOIN devices d ON d.id = lc.device_id)" \
	" WHEN 'overseas-devices' THEN (SELECT count(*) FROM dev_ext WHERE m > 0)"                             \
	" WHEN 'overseas-countries' THEN (SELECT count(DISTINCT country) FROM ext WHERE country NOT IN ('unknown', :home))" \
	" WHEN 'organization-devices' THEN (SELECT count(DISTINCT device_id) FROM srv WHERE organization = r.subject" \
	" OR organization LIKE r.subject || ' %')"                                                            \
	" WHEN 'firmware-devices' THEN (SELECT count(*) FROM fwdev)"                                           \
	" WHEN 'firmware-overseas-devices' THEN (SELECT count(DISTINCT device_id) FROM ext WHERE firmware IN ('pre', 'post')" \
	" AND device_id IN (SELECT device_id FROM fwdev) AND country NOT IN ('unknown', :home))"               \
	" WHEN 'protocol-devices' THEN (SELECT count(DISTINCT device_id) FROM used WHERE " REF_IN_LIST("r.subject", "proto") ")" \
	" WHEN 'tls12-certificate-devices' THEN (SELECT count(*) FROM tls12 WHERE cert)"                       \
	" WHEN 'tls12-no-certificate-devices' THEN (SELECT count(*) FROM tls12 WHERE NOT cert)"                \
	" WHEN 'cert-issue-devices' THEN (SELECT count(DISTINCT device_id) FROM cissues WHERE version = r.scope" \
	" AND (r.rcat = '' OR category = r.rcat) AND hit AND " REF_IN_LIST("r.subject", "issue") ")"           \
	" WHEN 'validation-devices' THEN (SELECT count(DISTINCT device_id) FROM vpairs WHERE behaviour = r.subject)" \
	" WHEN 'validation-servers' THEN (SELECT count(*) FROM vpairs WHERE behaviour = r.subject)"            \
	" WHEN 'validation-tested-devices' THEN (SELECT count(DISTINCT device_id) FROM vpairs)"                \
	" WHEN 'validation-tested-servers' THEN (SELECT count(*) FROM vpairs)"                                 \
	" WHEN 'validation-error-devices' THEN (SELECT count(DISTINCT device_id) FROM vpairs WHERE device_id NOT IN" \
	" (SELECT device_id FROM vpairs WHERE behaviour = 'communicates normally')) END"

#define REF_K                                                                                              \
	"CASE WHEN r.ciot IN ('overseas-devices', 'organization-devices', 'protocol-devices') THEN (SELECT k FROM ndev)" \
	" WHEN r.ciot = 'firmware-overseas-devices' THEN (SELECT count(*) FROM fwdev)"                         \
	" WHEN r.ciot IN ('tls12-certificate-devices', 'tls12-no-certificate-devices') THEN (SELECT count(*) FROM tls12)" \
	" WHEN r.ciot = 'cert-issue-devices' THEN (SELECT count(DISTINCT device_id) FROM cissues WHERE version = r.scope" \
	" AND (r.rcat = '' OR category = r.rcat))"                                                             \
	" WHEN r.ciot IN ('validation-devices', 'validation-error-devices') THEN (SELECT count(DISTINCT device_id) FROM vpairs)" \
	" WHEN r.ciot = 'validation-servers' THEN (SELECT count(*) FROM vpairs) END"

/* Measures that are not counts: their value. */
#define REF_REAL                                                                                           \
	"CASE r.ciot WHEN 'summary-hours' THEN (SELECT sum(coalesce(c.step_end_us - c.step_start_us,"          \
	" c.window_end_us - c.window_start_us, c.last_us - c.first_us, 0)) / 3600e6 FROM captures c"            \
	" WHERE c.interception IS NULL)"                                                                       \
	" WHEN 'overseas-share' THEN 100.0 * CASE WHEN r.rcat = '' THEN (SELECT CAST(sum(m) AS REAL) / sum(n) FROM dev_ext)" \
	" ELSE (SELECT avg(CAST(m AS REAL) / n) FROM dev_ext WHERE category = r.rcat) END"                     \
	" WHEN 'country-share' THEN 100.0 * (SELECT CAST(sum(CASE WHEN country = r.subject THEN bytes ELSE 0 END) AS REAL)" \
	" / sum(bytes) FROM ext WHERE r.rcat = '' OR category = r.rcat)"                                       \
	" WHEN 'servers-per-device' THEN (SELECT CAST(count(DISTINCT pair) AS REAL) FROM srv WHERE category = r.rcat" \
	" AND (r.scope = 'all' OR phase = r.scope) AND party = r.subject) / nullif((SELECT count(DISTINCT lc.device_id)" \
	" FROM lc JOIN devices d ON d.id = lc.device_id WHERE d.category = r.rcat AND (r.scope = 'all' OR lc.phase = r.scope)), 0)" \
	" WHEN 'unencrypted-peak' THEN 100.0 * (SELECT coalesce(max(h.share), 0) FROM cells x LEFT JOIN heat h"  \
	" ON h.category = x.category AND h.phase = x.phase AND h.grp = 'unencrypted' WHERE x.phase <> 'all'"    \
	" HAVING count(*) > 0)"                                                                                \
	" WHEN 'encrypted-share' THEN 100.0 * (SELECT coalesce(h.share, 0) FROM cells x LEFT JOIN heat h"       \
	" ON h.category = x.category AND h.phase = x.phase AND h.grp = 'encrypted' WHERE x.category = r.rcat AND x.phase = 'all')" \
	" WHEN 'unknown-share' THEN 100.0 * (SELECT coalesce(h.share, 0) FROM cells x LEFT JOIN heat h"         \
	" ON h.category = x.category AND h.phase = x.phase AND h.grp = 'unknown' WHERE x.category = r.rcat AND x.phase = 'all')" \
	" WHEN 'firmware-encrypted-share' THEN 100.0 * (SELECT e FROM fwenc WHERE device = r.subject AND firmware = r.scope) END"

#define REF_DETAIL                                                                                         \
	"CASE r.ciot WHEN 'unencrypted-peak' THEN (SELECT h.category || ', ' || h.phase FROM heat h"           \
	" WHERE h.grp = 'unencrypted' AND h.phase <> 'all' AND h.share > 0 ORDER BY h.share DESC, h.category, h.phase LIMIT 1)" \
	" WHEN 'dominant-version' THEN (SELECT proto || ': ' || count(DISTINCT device_id) || ' of ' || (SELECT k FROM ndev)" \
	" || ' devices' FROM used WHERE proto LIKE 'TLS%' OR proto LIKE 'SSL%' GROUP BY proto"                  \
	" ORDER BY count(DISTINCT device_id) DESC, proto DESC LIMIT 1) END"

#define REFERENCE_SQL                                                                                      \
	"WITH " REF_BASE ","                                                                                   \
	" m AS (SELECT r.*, " REF_N " AS n, " REF_K " AS k, " REF_REAL " AS real, " REF_DETAIL " AS detail"     \
	" FROM ref r),"                                                                                        \
	" v AS (SELECT m.*, CASE WHEN ciot IN ('summary-hours', 'overseas-share', 'country-share',"            \
	" 'servers-per-device', 'unencrypted-peak', 'encrypted-share', 'unknown-share', 'firmware-encrypted-share')" \
	" THEN real WHEN k = 0 THEN NULL"                                                                       \
	" WHEN n = 0 AND ciot IN ('firmware-devices', 'validation-tested-devices', 'validation-tested-servers') THEN NULL" \
	" WHEN unit = 'percent' THEN 100.0 * n / k ELSE n END AS mine FROM m)"   \
	" SELECT id, source, location, region, measure, definition, published, value, unit, mine, n, k,"       \
	"" \
	" mine - value, CASE WHEN ciot = '' THEN 'no' WHEN ciot NOT IN (" REF_KNOWN ") THEN 'unknown measure'"  \
	" WHEN mine IS NULL AND detail IS NULL THEN 'no data' ELSE 'yes' END, detail, nullif(note, '') FROM v ORDER BY ord"

#define REFERENCE_QUERY                                                                                    \
	{                                                                                                      \
		"reference",                                                                                   \
		"published reference figures (the lifecycle paper's headline numbers and the US and UK figures "  \
		"it quotes from Ren et al. and Paracha et al.; datasets/reference/figures.tsv) with the "       \
		"dataset's own figure beside each where ciot computes the same measure (docs/compare.md)",      \
		REFERENCE_SQL,                                                                                 \
		CIOT_QUERY_HOME | CIOT_QUERY_FOLD,                                                             \
		{                                                                                              \
			{ "id", CIOT_COLUMN_TEXT, "the figure's id in datasets/reference/figures.tsv" },       \
			{ "source", CIOT_COLUMN_TEXT, "the paper (for a quoted figure, where it is quoted)" }, \
			{ "location", CIOT_COLUMN_TEXT, "section, table or figure of the paper" },             \
			{ "region", CIOT_COLUMN_TEXT, "where the paper's devices were: CN, US, UK" },          \
			{ "measure", CIOT_COLUMN_TEXT, "what is measured, short" },                            \
			{ "definition", CIOT_COLUMN_TEXT, "the measure as the paper defines it" },             \
			{ "published", CIOT_COLUMN_TEXT, "the figure as the paper states it" },                \
			{ "reference_value", CIOT_COLUMN_REAL3,                                                \
			  "the figure as a number in unit; empty for a statement without one" },               \
			{ "unit", CIOT_COLUMN_TEXT,                                                            \
			  "percent, devices, servers, servers-per-device, count, hours, version or kinds" },  \
			{ "ciot_value", CIOT_COLUMN_REAL3,                                                     \
			  "the dataset's figure for the same measure, in the same unit; empty when not "      \
			  "comparable or when the dataset has nothing it applies to" },                        \
			{ "ciot_count", CIOT_COLUMN_INT,                                                       \
			  "for a count of devices, servers or countries: the count; else empty" },             \
			{ "ciot_of", CIOT_COLUMN_INT,                                                          \
			  "what the count is out of (devices captured, tested, using TLS1.2...); empty when "  \
			  "it is out of nothing" },                                                            \
			{ "difference", CIOT_COLUMN_REAL3, "ciot_value - reference_value" },                   \
			{ "comparable", CIOT_COLUMN_TEXT,                                                      \
			  "yes; no data (ciot computes it, the dataset has nothing it applies to: no device " \
			  "of the category, no interception capture); no (ciot computes nothing comparable: " \
			  "note says why)" },                                                                  \
			{ "detail", CIOT_COLUMN_TEXT,                                                          \
			  "what the figure is made of where one value does not say it (the peak's category "  \
			  "and phase, the dominant version); else empty" },                                    \
			{ "note", CIOT_COLUMN_TEXT, "how ciot computes its figure, what differs, or why it is not comparable" }, \
		},                                                                                             \
		CIOT_CAPTURES_BY_MEASURE,                                                                       \
	}

#endif
