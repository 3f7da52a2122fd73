/* export.c: the exports of export.h. Columns are typed so that every format prints a value the
 * same way: integers exactly, timestamps as seconds with microseconds (exact, from integer
 * microseconds), shares with the precision given, text as is (escaped per format). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ciot/report.h"

enum column_kind { COL_TEXT, COL_INT, COL_TIME_US, COL_REAL3, COL_SHARE };

struct column {
	const char *name;
	enum column_kind kind;
};

#define MAX_COLUMNS 32

struct export_def {
	const char *name;
	const char *description;
	const char *sql;
	struct column columns[MAX_COLUMNS];
};

/* Phases in lifecycle order, as one comma-separated cell. */
#define PHASES_COVERED                                                                                     \
	"rtrim(CASE WHEN sum(c.phase = 'setup') > 0 THEN 'setup,' ELSE '' END ||"                          \
	" CASE WHEN sum(c.phase = 'interaction') > 0 THEN 'interaction,' ELSE '' END ||"                   \
	" CASE WHEN sum(c.phase = 'idle') > 0 THEN 'idle,' ELSE '' END ||"                                 \
	" CASE WHEN sum(c.phase = 'deletion') > 0 THEN 'deletion,' ELSE '' END, ',')"

#define SUMMARY_COLUMNS                                                                                    \
	"count(DISTINCT d.id), count(DISTINCT d.category), count(DISTINCT d.brand), count(*),"             \
	" sum(coalesce(c.last_us - c.first_us, 0)) / 3600e6, sum(c.frames), sum(c.frame_bytes),"           \
	" sum(c.flows), " PHASES_COVERED ", date(min(c.first_us) / 1000000, 'unixepoch'),"                 \
	" date(max(c.last_us) / 1000000, 'unixepoch')"


/* The destination rows the country shares are computed from: every flow to a public address, its
 * bytes both ways, the country with Hong Kong, Macao and Taiwan folded into CN when :fold is 1. */
#define COUNTRY_BASE                                                                                       \
	"base AS (SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,"   \
	" CASE WHEN :fold AND t.country IN ('HK', 'MO', 'TW') THEN 'CN' ELSE t.country END AS country,"    \
	" f.bytes_out + f.bytes_in AS bytes FROM flows f JOIN destinations t ON t.flow_id = f.id"          \
	" JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id"                      \
	" WHERE t.country <> 'local'),"                                                                    \
	" phased AS (SELECT device_id, device, category, phase, country, bytes FROM base"                  \
	" UNION ALL SELECT device_id, device, category, 'all', country, bytes FROM base),"                 \
	/* M_i: bytes of device i to country T; N_i: its bytes to all countries */                         \
	" dev AS (SELECT device_id, device, category, phase, country, sum(bytes) AS m FROM phased"          \
	" GROUP BY device_id, phase, country),"                                                            \
	" dev_total AS (SELECT device_id, phase, sum(m) AS n FROM dev GROUP BY device_id, phase),"         \
	" dev_share AS (SELECT dev.*, dev_total.n AS n, CAST(dev.m AS REAL) / dev_total.n AS share"       \
	" FROM dev JOIN dev_total USING (device_id, phase)),"                                              \
	" dev_list AS (SELECT DISTINCT device_id, category, phase, n FROM dev_share)"

#define PHASE_ORDER(col)                                                                                   \
	"CASE " col " WHEN 'setup' THEN 1 WHEN 'interaction' THEN 2 WHEN 'idle' THEN 3"                     \
	" WHEN 'deletion' THEN 4 ELSE 5 END"

/* overseas: 1 outside the home country, 0 in it, NULL when the country is unknown */
#define OVERSEAS(col) "CASE WHEN " col " = 'unknown' THEN NULL ELSE " col " <> :home END"

/* Per device, per phase (and 'all'), per encryption class: packets, bytes and the device's shares;
 * `firmware` keeps the capture's firmware tag for the before/after comparison. */
#define CLASS_BASE                                                                                         \
	"classes(class, class_group, ord) AS (VALUES ('encrypted', 'encrypted', 1), ('text', 'unencrypted', 2)," \
	" ('compressed', 'unencrypted', 3), ('media', 'unencrypted', 4), ('unknown', 'unknown', 5),"        \
	" ('omitted', 'omitted', 6)),"                                                                     \
	" base AS (SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,"   \
	" c.firmware AS firmware, k.class AS class, k.packets AS packets, k.bytes AS bytes"                \
	" FROM flow_classes k JOIN flows f ON f.id = k.flow_id JOIN captures c ON c.id = f.capture_id"     \
	" JOIN devices d ON d.id = c.device_id),"                                                          \
	" phased AS (SELECT device_id, device, category, phase, class, packets, bytes FROM base"           \
	" UNION ALL SELECT device_id, device, category, 'all', class, packets, bytes FROM base),"          \
	" dev AS (SELECT device_id, device, category, phase, class, sum(packets) AS p, sum(bytes) AS b"     \
	" FROM phased GROUP BY device_id, phase, class),"                                                  \
	" dev_total AS (SELECT device_id, phase, sum(p) AS tp, sum(b) AS tb FROM dev GROUP BY device_id, phase)," \
	" share AS (SELECT dev.*, CAST(p AS REAL) / tp AS ps, CAST(b AS REAL) / tb AS bs"                   \
	" FROM dev JOIN dev_total USING (device_id, phase)),"                                              \
	" cat_k AS (SELECT category, phase, count(DISTINCT device_id) AS k FROM dev GROUP BY category, phase),"   \
	" groups AS (SELECT class_group, min(ord) AS ord FROM classes GROUP BY class_group)"

/* A comma-separated list's first item, without a "level:" prefix: "fatal:unknown_ca,..." ->
 * "unknown_ca". */
#define FIRST_ALERT(col)                                                                                   \
	"(SELECT CASE WHEN instr(a, ':') THEN substr(a, instr(a, ':') + 1) ELSE a END FROM (SELECT"         \
	" CASE WHEN instr(" col ", ',') THEN substr(" col ", 1, instr(" col ", ',') - 1) ELSE " col " END AS a))"

/* The outcomes of tls-connection.h in their order of precedence: a device-server pair is what the
 * first of them that any of its connections had says. */
#define OUTCOME_RANK(col)                                                                                  \
	"CASE " col " WHEN 'communicates' THEN 1 WHEN 'handshake-only' THEN 2 WHEN 'client-alert' THEN 3"   \
	" WHEN 'client-closed' THEN 4 WHEN 'server-failure' THEN 5 WHEN 'no-server-hello' THEN 6"           \
	" WHEN 'incomplete' THEN 7 ELSE 8 END"

/* One row per device-server pair of the certificate-interception captures, with the connection
 * that decides its outcome (the best ranked, the earliest among equals). */
#define VALIDATION_PAIRS                                                                                   \
	"conn AS (SELECT v.*, coalesce(v.sni, v.remote_ip) AS server, " OUTCOME_RANK("v.outcome") " AS rank" \
	" FROM tls_view v WHERE v.interception IS NOT NULL AND v.client = 'device' AND v.outcome IS NOT NULL)," \
	" ranked AS (SELECT conn.*, row_number() OVER (PARTITION BY device_id, interception, server"         \
	" ORDER BY rank, first_us, flow_id) AS pick, count(*) OVER (PARTITION BY device_id, interception,"  \
	" server) AS attempts, group_concat(remote_ip) OVER (PARTITION BY device_id, interception, server)"  \
	" AS ips FROM conn),"                                                                              \
	" pairs AS (SELECT device_id, device, category, interception, server, attempts, rank, outcome,"     \
	" client_alerts, server_alerts, first_us, CASE rank WHEN 1 THEN 'communicates normally'"             \
	" WHEN 2 THEN 'accepts the certificate, sends no data'"                                             \
	" WHEN 3 THEN 'alert: ' || " FIRST_ALERT("client_alerts")                                            \
	" WHEN 4 THEN CASE WHEN attempts > 1 THEN 'disconnects and reconnects' ELSE 'disconnects' END"      \
	" WHEN 5 THEN 'server handshake failure' WHEN 6 THEN 'cannot connect'"                              \
	" WHEN 7 THEN 'capture ended in the handshake' ELSE 'no handshake seen' END AS behaviour"            \
	" FROM ranked WHERE pick = 1)"

/* The server chain's problems per connection in which the device was the client and certificates
 * were presented (TLS 1.2 and before: TLS 1.3 encrypts them). A weak signature on a self-signed
 * CA certificate above the leaf does not count: nobody verifies a trust anchor's own signature. */
#define CERT_ISSUES_BASE                                                                                   \
	"conn AS (SELECT v.flow_id, v.device_id, v.category, v.version, v.chain_findings,"                  \
	" EXISTS (SELECT 1 FROM tls_chains ch JOIN certificates c USING (sha256) WHERE ch.flow_id = v.flow_id" \
	" AND ch.sender = 'server' AND c.findings LIKE '%weak-signature%'"                                  \
	" AND NOT (c.self_signed AND c.ca AND ch.position > 0)) AS weak_signature,"                         \
	" EXISTS (SELECT 1 FROM tls_chains ch JOIN certificates c USING (sha256) WHERE ch.flow_id = v.flow_id" \
	" AND ch.sender = 'server' AND c.findings LIKE '%weak-key%') AS weak_key,"                          \
	" EXISTS (SELECT 1 FROM tls_chains ch JOIN certificates c USING (sha256) WHERE ch.flow_id = v.flow_id" \
	" AND ch.sender = 'server' AND c.self_signed) AND v.chain_findings LIKE '%untrusted%' AS self_signed," \
	" coalesce((SELECT c.validity_days > 398 FROM certificates c WHERE c.sha256 = v.leaf_sha256), 0)"   \
	" AS long_validity,"                                                                               \
	" v.chain_findings LIKE '%expired%' AS expired, v.chain_findings LIKE '%not-yet-valid%' AS not_yet_valid," \
	" v.chain_findings LIKE '%untrusted%' AS untrusted, v.chain_findings LIKE '%name-mismatch%'"        \
	" AS name_mismatch FROM tls_view v WHERE v.client = 'device' AND v.server_certificates > 0),"       \
	" scoped AS (SELECT 'all' AS version, * FROM conn UNION ALL SELECT version, * FROM conn"            \
	" WHERE version IS NOT NULL),"                                                                     \
	" issues(issue, ord) AS (VALUES ('insecure-signature', 1), ('insecure-key', 2), ('self-signed', 3)," \
	" ('long-validity', 4), ('expired', 5), ('not-yet-valid', 6), ('untrusted', 7), ('name-mismatch', 8))," \
	" flagged AS (SELECT s.version, s.category, s.device_id, i.issue, i.ord, CASE i.issue"               \
	" WHEN 'insecure-signature' THEN s.weak_signature WHEN 'insecure-key' THEN s.weak_key"             \
	" WHEN 'self-signed' THEN s.self_signed WHEN 'long-validity' THEN s.long_validity"                  \
	" WHEN 'expired' THEN s.expired WHEN 'not-yet-valid' THEN s.not_yet_valid"                         \
	" WHEN 'untrusted' THEN s.untrusted ELSE s.name_mismatch END AS hit FROM scoped s CROSS JOIN issues i)"

static const struct export_def exports[] = {
	{
		"summary",
		"the dataset as in the lifecycle paper's Table 6: devices, categories, brands, hours, "
		"packets, bytes, phases covered; overall and per category",
		"SELECT 'all', NULL, " SUMMARY_COLUMNS " FROM captures c JOIN devices d ON d.id = c.device_id"
		" HAVING count(*) > 0"
		" UNION ALL SELECT * FROM (SELECT 'category', d.category, " SUMMARY_COLUMNS
		" FROM captures c JOIN devices d ON d.id = c.device_id GROUP BY d.category ORDER BY d.category)",
		{ { "scope", COL_TEXT }, { "category", COL_TEXT }, { "devices", COL_INT }, { "categories", COL_INT },
		  { "brands", COL_INT }, { "captures", COL_INT }, { "hours", COL_REAL3 }, { "packets", COL_INT },
		  { "bytes", COL_INT }, { "flows", COL_INT }, { "phases", COL_TEXT }, { "first_day", COL_TEXT },
		  { "last_day", COL_TEXT } },
	},
	{
		"flows",
		"every flow of the devices, oriented device -> remote",
		"SELECT d.name, d.category, c.phase, c.subphase, f.transport, f.app_proto, f.device_ip,"
		" f.device_port, f.remote_ip, f.remote_port, f.first_us, f.last_us, f.packets_out, f.bytes_out,"
		" f.packets_in, f.bytes_in FROM flows f JOIN captures c ON c.id = f.capture_id"
		" JOIN devices d ON d.id = c.device_id ORDER BY d.name, c.phase, f.first_us, f.id",
		{ { "device", COL_TEXT }, { "category", COL_TEXT }, { "phase", COL_TEXT }, { "subphase", COL_TEXT },
		  { "transport", COL_TEXT }, { "app_proto", COL_TEXT }, { "device_ip", COL_TEXT },
		  { "device_port", COL_INT }, { "remote_ip", COL_TEXT }, { "remote_port", COL_INT },
		  { "first_ts", COL_TIME_US }, { "last_ts", COL_TIME_US }, { "packets_out", COL_INT },
		  { "bytes_out", COL_INT }, { "packets_in", COL_INT }, { "bytes_in", COL_INT } },
	},
	{
		"captures",
		"every capture (or timetable step) analyzed, with what was skipped or malformed",
		"SELECT d.name, d.category, c.phase, c.subphase, c.firmware, c.interception, c.file, c.first_us,"
		" c.last_us, c.frames, c.frame_bytes, c.skipped_frames, c.malformed_frames, c.flows, c.other_flows,"
		" c.device_method, c.device_addresses, c.file_truncated FROM captures c"
		" JOIN devices d ON d.id = c.device_id ORDER BY d.name, c.phase, c.first_us, c.id",
		{ { "device", COL_TEXT }, { "category", COL_TEXT }, { "phase", COL_TEXT }, { "subphase", COL_TEXT },
		  { "firmware", COL_TEXT }, { "interception", COL_TEXT }, { "file", COL_TEXT },
		  { "first_ts", COL_TIME_US }, { "last_ts", COL_TIME_US }, { "packets", COL_INT }, { "bytes", COL_INT },
		  { "skipped_frames", COL_INT }, { "malformed_frames", COL_INT }, { "flows", COL_INT },
		  { "other_flows", COL_INT }, { "device_method", COL_TEXT }, { "device_addresses", COL_TEXT },
		  { "truncated", COL_INT } },
	},
	{
		"destinations",
		"each device's remote servers per phase: names (with where each came from), registrable domain, "
		"country, AS, organization, party and the rule that decided it, bytes and packets",
		"SELECT v.device, v.category, v.phase, v.remote_ip,"
		" group_concat(DISTINCT CASE WHEN v.name IS NULL THEN NULL ELSE v.name || ' (' || v.name_source || ')'"
		" || CASE WHEN v.dns_name IS NOT NULL AND v.dns_name <> v.name THEN ' ' || v.dns_name || ' (dns)'"
		" ELSE '' END END), v.domain, v.country, v.asn, v.as_org, v.organization, v.party, v.party_rule,"
		" count(*), sum(v.bytes), sum(v.packets), min(v.first_us)"
		" FROM destination_view v"
		" GROUP BY v.device_id, v.phase, v.remote_ip, v.domain, v.organization, v.party, v.party_rule"
		" ORDER BY v.device, " PHASE_ORDER("v.phase") ", sum(v.bytes) DESC, v.remote_ip",
		{ { "device", COL_TEXT }, { "category", COL_TEXT }, { "phase", COL_TEXT }, { "remote_ip", COL_TEXT },
		  { "names", COL_TEXT }, { "domain", COL_TEXT }, { "country", COL_TEXT }, { "asn", COL_INT },
		  { "as_org", COL_TEXT }, { "organization", COL_TEXT }, { "party", COL_TEXT }, { "rule", COL_TEXT },
		  { "flows", COL_INT }, { "bytes", COL_INT }, { "packets", COL_INT }, { "first_ts", COL_TIME_US } },
	},
	{
		"countries",
		"bytes to each country per device, category and overall, per phase and in all: the plain share "
		"and the lifecycle paper's per-device normalized share (Figures 1 and 2; docs/destinations.md)",
		"WITH " COUNTRY_BASE ","
		" cat AS (SELECT category, phase, country, sum(m) AS m, sum(share) AS shares FROM dev_share"
		" GROUP BY category, phase, country),"
		" cat_total AS (SELECT category, phase, count(*) AS k, sum(n) AS n FROM dev_list GROUP BY category, phase),"
		" glob AS (SELECT phase, country, sum(m) AS m, sum(share) AS shares FROM dev_share GROUP BY phase, country),"
		" glob_total AS (SELECT phase, count(*) AS k, sum(n) AS n FROM dev_list GROUP BY phase),"
		" result AS ("
		" SELECT 1 AS scope_order, 'all' AS scope, 'all' AS name, g.phase AS phase, g.country AS country, g.m AS m,"
		" CAST(g.m AS REAL) / t.n AS share, g.shares / t.k AS normalized, t.k AS devices"
		" FROM glob g JOIN glob_total t USING (phase)"
		" UNION ALL SELECT 2, 'category', c.category, c.phase, c.country, c.m, CAST(c.m AS REAL) / t.n,"
		" c.shares / t.k, t.k FROM cat c JOIN cat_total t USING (category, phase)"
		" UNION ALL SELECT 3, 'device', device, phase, country, m, share, share, 1 FROM dev_share)"
		" SELECT scope, name, phase, country, " OVERSEAS("country") ", m, share, normalized, devices FROM result"
		" ORDER BY scope_order, name, " PHASE_ORDER("phase") ", normalized DESC, country",
		{ { "scope", COL_TEXT }, { "name", COL_TEXT }, { "phase", COL_TEXT }, { "country", COL_TEXT },
		  { "overseas", COL_INT }, { "bytes", COL_INT }, { "share", COL_SHARE },
		  { "normalized_share", COL_SHARE }, { "devices", COL_INT } },
	},
	{
		"sankey",
		"category -> country edges for a Sankey plot of Figure 1: each device weighs the same (the sum "
		"of a category's normalized shares over all devices), with the bytes behind each edge",
		"WITH " COUNTRY_BASE ","
		" total AS (SELECT count(*) AS k FROM dev_list WHERE phase = 'all')"
		" SELECT category, country, " OVERSEAS("country") ", sum(share) / (SELECT k FROM total), sum(m),"
		" count(*) FROM dev_share WHERE phase = 'all' GROUP BY category, country"
		" ORDER BY category, sum(share) DESC, country",
		{ { "source", COL_TEXT }, { "target", COL_TEXT }, { "overseas", COL_INT }, { "value", COL_SHARE },
		  { "bytes", COL_INT }, { "devices", COL_INT } },
	},
	{
		"parties",
		"average number of distinct servers (registrable domains, else addresses) per device of a "
		"category contacted as first, support and third party, per phase and in all (Table 1)",
		"WITH srv AS (SELECT d.id AS device_id, d.category AS category, c.phase AS phase, t.party AS party,"
		" coalesce(t.domain, f.remote_ip) AS server FROM flows f JOIN destinations t ON t.flow_id = f.id"
		" JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id"
		" WHERE t.party IN ('first', 'support', 'third')),"
		" phased AS (SELECT device_id, category, phase, party, server FROM srv"
		" UNION ALL SELECT device_id, category, 'all', party, server FROM srv),"
		" counts AS (SELECT category, phase, party, count(DISTINCT device_id || ' ' || server) AS servers"
		" FROM phased GROUP BY category, phase, party),"
		" devs AS (SELECT d.category AS category, c.phase AS phase, count(DISTINCT d.id) AS k FROM captures c"
		" JOIN devices d ON d.id = c.device_id GROUP BY d.category, c.phase"
		" UNION ALL SELECT d.category, 'all', count(DISTINCT d.id) FROM captures c"
		" JOIN devices d ON d.id = c.device_id GROUP BY d.category),"
		" parties(party, ord) AS (VALUES ('first', 1), ('support', 2), ('third', 3))"
		" SELECT devs.category, devs.phase, p.party, devs.k, coalesce(counts.servers, 0),"
		" CAST(coalesce(counts.servers, 0) AS REAL) / devs.k FROM devs CROSS JOIN parties p"
		" LEFT JOIN counts ON counts.category = devs.category AND counts.phase = devs.phase"
		" AND counts.party = p.party"
		" ORDER BY devs.category, " PHASE_ORDER("devs.phase") ", p.ord",
		{ { "category", COL_TEXT }, { "phase", COL_TEXT }, { "party", COL_TEXT }, { "devices", COL_INT },
		  { "servers", COL_INT }, { "servers_per_device", COL_REAL3 } },
	},
	{
		"organizations",
		"organizations by the number of devices contacting them (Table 2), with flows, bytes and the "
		"domains seen",
		"SELECT v.organization, count(DISTINCT v.device_id), count(*), sum(v.bytes),"
		" group_concat(DISTINCT v.domain) FROM destination_view v"
		" WHERE v.country <> 'local' AND v.organization IS NOT NULL GROUP BY v.organization"
		" ORDER BY count(DISTINCT v.device_id) DESC, sum(v.bytes) DESC, v.organization",
		{ { "organization", COL_TEXT }, { "devices", COL_INT }, { "flows", COL_INT }, { "bytes", COL_INT },
		  { "domains", COL_TEXT } },
	},
	{
		"encryption",
		"packets and bytes of each encryption class (encrypted; unencrypted: text, compressed, media; "
		"unknown; omitted) per device and phase, with the device's shares; per category the average of "
		"its devices' shares (docs/encryption.md)",
		"WITH " CLASS_BASE ","
		" cat AS (SELECT category, phase, class, sum(p) AS p, sum(b) AS b, sum(ps) AS ps, sum(bs) AS bs"
		" FROM share GROUP BY category, phase, class)"
		" SELECT scope, name, category, phase, class, class_group, p, b, bs, ps, devices FROM ("
		" SELECT 'device' AS scope, s.device AS name, s.category AS category, s.phase AS phase,"
		" s.class AS class, cl.class_group AS class_group, cl.ord AS ord, s.p AS p, s.b AS b, s.bs AS bs,"
		" s.ps AS ps, 1 AS devices FROM share s JOIN classes cl USING (class)"
		" UNION ALL SELECT 'category', c.category, c.category, c.phase, c.class, cl.class_group, cl.ord, c.p,"
		" c.b, c.bs / k.k, c.ps / k.k, k.k FROM cat c JOIN cat_k k USING (category, phase)"
		" JOIN classes cl USING (class))"
		" ORDER BY scope, name, " PHASE_ORDER("phase") ", ord",
		{ { "scope", COL_TEXT }, { "name", COL_TEXT }, { "category", COL_TEXT }, { "phase", COL_TEXT },
		  { "class", COL_TEXT }, { "class_group", COL_TEXT }, { "packets", COL_INT }, { "bytes", COL_INT },
		  { "byte_share", COL_SHARE }, { "packet_share", COL_SHARE }, { "devices", COL_INT } },
	},
	{
		"encryption-heatmap",
		"the lifecycle paper's Figure 3: per category, phase and class group (encrypted, unencrypted, "
		"unknown, omitted), the average of the category's devices' byte and packet shares",
		"WITH " CLASS_BASE ","
		" dev_group AS (SELECT s.device_id, s.category, s.phase, cl.class_group, sum(s.bs) AS bs, sum(s.ps) AS ps"
		" FROM share s JOIN classes cl USING (class) GROUP BY s.device_id, s.phase, cl.class_group)"
		" SELECT k.category, k.phase, g.class_group, coalesce(sum(d.bs), 0) / k.k, coalesce(sum(d.ps), 0) / k.k, k.k"
		" FROM cat_k k CROSS JOIN groups g LEFT JOIN dev_group d ON d.category = k.category AND d.phase = k.phase"
		" AND d.class_group = g.class_group GROUP BY k.category, k.phase, g.class_group"
		" ORDER BY k.category, " PHASE_ORDER("k.phase") ", min(g.ord)",
		{ { "category", COL_TEXT }, { "phase", COL_TEXT }, { "class_group", COL_TEXT },
		  { "byte_share", COL_SHARE }, { "packet_share", COL_SHARE }, { "devices", COL_INT } },
	},
	{
		"encryption-firmware",
		"each device with captures tagged both before and after a firmware update: its byte and packet "
		"shares per class group, pre and post",
		"WITH " CLASS_BASE ","
		" fw AS (SELECT b.device_id, b.device, b.category, b.firmware, cl.class_group, sum(b.packets) AS p,"
		" sum(b.bytes) AS b FROM base b JOIN classes cl USING (class) WHERE b.firmware IS NOT NULL"
		" GROUP BY b.device_id, b.firmware, cl.class_group),"
		" fw_total AS (SELECT device_id, firmware, sum(p) AS tp, sum(b) AS tb FROM fw GROUP BY device_id, firmware),"
		" both_sides AS (SELECT device_id FROM fw_total GROUP BY device_id HAVING count(DISTINCT firmware) = 2)"
		" SELECT fw.device, fw.category, fw.firmware, fw.class_group, fw.p, fw.b, CAST(fw.b AS REAL) / t.tb,"
		" CAST(fw.p AS REAL) / t.tp FROM fw JOIN fw_total t USING (device_id, firmware)"
		" JOIN both_sides USING (device_id) JOIN groups USING (class_group)"
		" ORDER BY fw.device, fw.firmware DESC, groups.ord",
		{ { "device", COL_TEXT }, { "category", COL_TEXT }, { "firmware", COL_TEXT }, { "class_group", COL_TEXT },
		  { "packets", COL_INT }, { "bytes", COL_INT }, { "byte_share", COL_SHARE }, { "packet_share", COL_SHARE } },
	},
	{
		"tls",
		"every TLS, DTLS and QUIC connection of the devices: versions offered and chosen, cipher and its "
		"class, SNI, resumption, PSK, alerts each way, the server's leaf certificate and what is wrong "
		"with it or its chain (docs/tls.md)",
		"SELECT v.device, v.phase, v.device_ip, v.device_port, v.remote_ip, v.remote_port, v.sni,"
		" v.offered_versions, coalesce(v.version, v.quic_version), v.cipher, v.cipher_class, v.established,"
		" v.resumed, v.psk, CASE WHEN v.client = 'device' THEN v.client_alerts ELSE v.server_alerts END,"
		" CASE WHEN v.client = 'device' THEN v.server_alerts ELSE v.client_alerts END, v.leaf_sha256,"
		" CASE WHEN v.leaf_sha256 IS NULL THEN NULL ELSE"
		" trim(coalesce(c.findings, '') || ',' || coalesce(v.chain_findings, ''), ',') END,"
		" v.category, v.protocol, v.client, v.outcome, v.first_us"
		" FROM tls_view v LEFT JOIN certificates c ON c.sha256 = v.leaf_sha256"
		" ORDER BY v.device, " PHASE_ORDER("v.phase") ", v.first_us, v.flow_id",
		{ { "device", COL_TEXT }, { "phase", COL_TEXT }, { "device_ip", COL_TEXT }, { "device_port", COL_INT },
		  { "remote_ip", COL_TEXT }, { "remote_port", COL_INT }, { "sni", COL_TEXT },
		  { "offered_versions", COL_TEXT }, { "version", COL_TEXT }, { "cipher", COL_TEXT },
		  { "cipher_class", COL_TEXT }, { "established", COL_INT }, { "resumed", COL_INT }, { "psk", COL_INT },
		  { "alert_by_device", COL_TEXT }, { "alert_by_server", COL_TEXT }, { "leaf_sha256", COL_TEXT },
		  { "findings", COL_TEXT }, { "category", COL_TEXT }, { "protocol", COL_TEXT }, { "client", COL_TEXT },
		  { "outcome", COL_TEXT }, { "first_ts", COL_TIME_US } },
	},
	{
		"certificates",
		"every certificate presented, once: subject, issuer, validity, signature algorithm, key, the "
		"certificate's own findings, and how many devices and connections saw it",
		"SELECT c.sha256, c.subject, c.issuer, c.not_before, c.not_after, c.validity_days, c.sig_alg,"
		" c.key_type, c.key_bits, c.self_signed, c.ca, c.findings, c.sans,"
		" (SELECT count(DISTINCT v.device_id) FROM tls_chains ch JOIN tls_view v USING (flow_id)"
		" WHERE ch.sha256 = c.sha256), (SELECT count(DISTINCT ch.flow_id) FROM tls_chains ch"
		" WHERE ch.sha256 = c.sha256),"
		" c.parse_error FROM certificates c ORDER BY c.ca, c.subject, c.sha256",
		{ { "sha256", COL_TEXT }, { "subject", COL_TEXT }, { "issuer", COL_TEXT }, { "not_before", COL_TEXT },
		  { "not_after", COL_TEXT }, { "validity_days", COL_INT }, { "sig_alg", COL_TEXT },
		  { "key_type", COL_TEXT }, { "key_bits", COL_INT }, { "self_signed", COL_INT }, { "ca", COL_INT },
		  { "findings", COL_TEXT }, { "sans", COL_TEXT }, { "devices", COL_INT }, { "connections", COL_INT },
		  { "parse_error", COL_TEXT } },
	},
	{
		"protocols",
		"devices using each encryption protocol (Table 3): the TLS versions negotiated, DTLS, QUIC and "
		"proprietary encryption, in all captures and before and after firmware updates, with the "
		"devices whose highest offered version it was",
		"WITH scoped AS (SELECT 'all' AS scope, v.* FROM tls_view v"
		" UNION ALL SELECT 'firmware-' || v.firmware, v.* FROM tls_view v WHERE v.firmware IS NOT NULL),"
		" used AS (SELECT scope, CASE protocol WHEN 'tls' THEN version WHEN 'dtls' THEN 'DTLS' ELSE 'QUIC' END"
		" AS proto, device_id FROM scoped WHERE protocol <> 'tls' OR version IS NOT NULL"
		" UNION ALL SELECT 'all', 'proprietary', d.id FROM flows f JOIN captures c ON c.id = f.capture_id"
		" JOIN devices d ON d.id = c.device_id WHERE f.proprietary_encryption"
		" UNION ALL SELECT 'firmware-' || c.firmware, 'proprietary', d.id FROM flows f"
		" JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id"
		" WHERE f.proprietary_encryption AND c.firmware IS NOT NULL),"
		" offered AS (SELECT scope, highest_offered AS proto, device_id FROM scoped WHERE protocol = 'tls' AND client_hello AND client = 'device'),"
		" protos(proto, ord) AS (VALUES ('TLS1.3', 1), ('TLS1.2', 2), ('TLS1.1', 3), ('TLS1.0', 4),"
		" ('SSLv3', 5), ('SSLv2', 6), ('DTLS', 7), ('QUIC', 8), ('proprietary', 9)),"
		" scopes AS (SELECT 'all' AS scope, count(DISTINCT device_id) AS k FROM captures"
		" UNION ALL SELECT 'firmware-' || firmware, count(DISTINCT device_id) FROM captures"
		" WHERE firmware IS NOT NULL GROUP BY firmware)"
		" SELECT s.scope, p.proto, (SELECT count(DISTINCT u.device_id) FROM used u WHERE u.scope = s.scope"
		" AND u.proto = p.proto), (SELECT count(*) FROM used u WHERE u.scope = s.scope AND u.proto = p.proto),"
		" (SELECT count(DISTINCT o.device_id) FROM offered o WHERE o.scope = s.scope AND o.proto = p.proto),"
		" s.k FROM scopes s CROSS JOIN protos p ORDER BY s.scope <> 'all', s.scope DESC, p.ord",
		{ { "scope", COL_TEXT }, { "protocol", COL_TEXT }, { "devices", COL_INT }, { "connections", COL_INT },
		  { "devices_highest_offer", COL_INT }, { "devices_in_scope", COL_INT } },
	},
	{
		"cert-issues",
		"devices per category whose servers presented certificates with each problem (Table 4): insecure "
		"signature algorithm, insecure key, self-signed, validity over 398 days, expired, not yet valid, "
		"untrusted, name mismatch; over all versions and per negotiated version",
		"WITH " CERT_ISSUES_BASE
		" SELECT f.version, f.issue, f.category, count(DISTINCT CASE WHEN f.hit THEN f.device_id END),"
		" count(DISTINCT f.device_id), sum(f.hit) FROM flagged f GROUP BY f.version, f.issue, f.category"
		" ORDER BY f.version <> 'all', f.version DESC, min(f.ord), f.category",
		{ { "version", COL_TEXT }, { "issue", COL_TEXT }, { "category", COL_TEXT }, { "devices", COL_INT },
		  { "devices_with_certificates", COL_INT }, { "connections", COL_INT } },
	},
	{
		"validation",
		"what devices did after a replaced certificate, in the certificate-interception captures (Table "
		"5): per behaviour the devices and device-server pairs (guides/certificate-interception.md)",
		"WITH " VALIDATION_PAIRS
		" SELECT interception, behaviour, count(DISTINCT device_id), count(*) FROM pairs"
		" GROUP BY interception, behaviour ORDER BY interception, min(rank), count(*) DESC, behaviour",
		{ { "interception", COL_TEXT }, { "behaviour", COL_TEXT }, { "devices", COL_INT }, { "servers", COL_INT } },
	},
	{
		"validation-pairs",
		"each device-server pair of the certificate-interception captures: its behaviour, the outcome "
		"of the connection that decided it, the alerts, and how many connections were tried",
		"WITH " VALIDATION_PAIRS
		" SELECT device, category, interception, server, behaviour, outcome, attempts, client_alerts,"
		" server_alerts, first_us FROM pairs ORDER BY device, interception, rank, server",
		{ { "device", COL_TEXT }, { "category", COL_TEXT }, { "interception", COL_TEXT }, { "server", COL_TEXT },
		  { "behaviour", COL_TEXT }, { "outcome", COL_TEXT }, { "connections", COL_INT },
		  { "alert_by_device", COL_TEXT }, { "alert_by_server", COL_TEXT }, { "first_ts", COL_TIME_US } },
	},
	{
		"pii",
		"personal data found in clear text (section 4.4): per device, phase, kind, how it was found "
		"(pattern or the researcher's seed), where in the message, direction, protocol and remote "
		"domain, the matches, distinct values and flows, and a redacted example (docs/pii.md)",
		"SELECT v.device, v.category, v.phase, v.kind, v.method, v.location, v.direction, v.app_proto,"
		" coalesce(t.domain, t.name, v.remote_ip), sum(v.count), count(DISTINCT v.value_hash),"
		" count(DISTINCT v.flow_id), min(v.value_hint) FROM pii_view v LEFT JOIN destinations t"
		" ON t.flow_id = v.flow_id GROUP BY v.device, v.phase, v.kind, v.method, v.location, v.direction,"
		" v.app_proto, 9 ORDER BY v.device, " PHASE_ORDER("v.phase") ", v.kind, sum(v.count) DESC, 9",
		{ { "device", COL_TEXT }, { "category", COL_TEXT }, { "phase", COL_TEXT }, { "kind", COL_TEXT },
		  { "source", COL_TEXT }, { "location", COL_TEXT }, { "direction", COL_TEXT }, { "protocol", COL_TEXT },
		  { "remote_domain", COL_TEXT }, { "matches", COL_INT }, { "values", COL_INT }, { "flows", COL_INT },
		  { "example", COL_TEXT } },
	},
	{
		"pii-kinds",
		"per device category and kind of personal data: the devices that exposed it in clear text out "
		"of the category's devices, the matches and the distinct values; category 'all' sums every "
		"category",
		"WITH hits AS (SELECT category, device_id, kind, count, value_hash FROM pii_view"
		" UNION ALL SELECT 'all', device_id, kind, count, value_hash FROM pii_view),"
		" devs AS (SELECT d.category AS category, count(DISTINCT d.id) AS n FROM devices d"
		" JOIN captures c ON c.device_id = d.id GROUP BY d.category UNION ALL"
		" SELECT 'all', count(DISTINCT device_id) FROM captures)"
		" SELECT h.category, h.kind, count(DISTINCT h.device_id), devs.n, sum(h.count),"
		" count(DISTINCT h.value_hash) FROM hits h JOIN devs USING (category)"
		" GROUP BY h.category, h.kind ORDER BY h.category = 'all', h.category, sum(h.count) DESC, h.kind",
		{ { "category", COL_TEXT }, { "kind", COL_TEXT }, { "devices", COL_INT }, { "devices_in_category", COL_INT },
		  { "matches", COL_INT }, { "values", COL_INT } },
	},
};

#define NEXPORTS (sizeof exports / sizeof exports[0])

bool ciot_export_format_parse(const char *name, enum ciot_export_format *out)
{
	if (!strcmp(name, "csv"))
		*out = CIOT_EXPORT_CSV;
	else if (!strcmp(name, "json"))
		*out = CIOT_EXPORT_JSON;
	else if (!strcmp(name, "md") || !strcmp(name, "markdown"))
		*out = CIOT_EXPORT_MD;
	else
		return false;
	return true;
}

const char *ciot_export_name(size_t i, const char **description)
{
	if (i >= NEXPORTS)
		return NULL;
	if (description)
		*description = exports[i].description;
	return exports[i].name;
}

static size_t column_count(const struct export_def *e)
{
	size_t n = 0;
	while (n < MAX_COLUMNS && e->columns[n].name)
		n++;
	return n;
}

/* The text form of a cell, shared by CSV and Markdown; NULL for SQL NULL. */
static const char *cell_text(sqlite3_stmt *st, int i, enum column_kind kind, char *buf, size_t len)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	switch (kind) {
	case COL_INT:
		snprintf(buf, len, "%lld", (long long)sqlite3_column_int64(st, i));
		return buf;
	case COL_TIME_US: {
		int64_t us = sqlite3_column_int64(st, i);
		lldiv_t q = lldiv(us, 1000000);
		if (q.rem < 0) {
			q.quot -= 1;
			q.rem += 1000000;
		}
		snprintf(buf, len, "%lld.%06lld", q.quot, q.rem);
		return buf;
	}
	case COL_REAL3:
		snprintf(buf, len, "%.3f", sqlite3_column_double(st, i));
		return buf;
	case COL_SHARE:
		/* six decimals keep a 0.01 % share readable to two significant digits */
		snprintf(buf, len, "%.6f", sqlite3_column_double(st, i));
		return buf;
	case COL_TEXT:
	default:
		return (const char *)sqlite3_column_text(st, i);
	}
}

static void csv_field(FILE *out, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void md_field(FILE *out, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		if (*s == '|' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static json_t *json_cell(sqlite3_stmt *st, int i, enum column_kind kind)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	switch (kind) {
	case COL_INT:
		return json_integer(sqlite3_column_int64(st, i));
	case COL_TIME_US:
		return json_real((double)sqlite3_column_int64(st, i) / 1e6);
	case COL_REAL3:
	case COL_SHARE:
		return json_real(sqlite3_column_double(st, i));
	case COL_TEXT:
	default:
		return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/* The home country: the caller's, else the one the manifest gave, else the lifecycle paper's. */
static void home_country(sqlite3 *db, const struct ciot_export_params *params, char out[8])
{
	snprintf(out, 8, "CN");
	if (params && params->home_country) {
		snprintf(out, 8, "%s", params->home_country);
		return;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'home_country'", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, 8, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

enum ciot_rc ciot_export(sqlite3 *db, const char *table, enum ciot_export_format format,
			 const struct ciot_export_params *params, FILE *out, char *errbuf)
{
	const struct export_def *e = NULL;
	for (size_t i = 0; i < NEXPORTS; i++)
		if (!strcmp(exports[i].name, table))
			e = &exports[i];
	if (!e)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no export named \"%s\" (see ciot-report --help)", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, e->sql, -1, &st, NULL) != SQLITE_OK)
		return ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", table, sqlite3_errmsg(db));
	char home[8];
	home_country(db, params, home);
	int i_home = sqlite3_bind_parameter_index(st, ":home"), i_fold = sqlite3_bind_parameter_index(st, ":fold");
	if (i_home)
		sqlite3_bind_text(st, i_home, home, -1, SQLITE_TRANSIENT);
	if (i_fold)
		sqlite3_bind_int(st, i_fold, params && params->fold_greater_china);
	size_t ncols = column_count(e);
	if ((size_t)sqlite3_column_count(st) != ncols) {
		sqlite3_finalize(st);
		return ciot_fail(errbuf, CIOT_ERR_DB, "%s: query has %d columns, export declares %zu", table,
				 sqlite3_column_count(st), ncols);
	}
	enum ciot_rc rc = CIOT_OK;
	char buf[64];
	if (format == CIOT_EXPORT_CSV || format == CIOT_EXPORT_MD) {
		for (size_t i = 0; i < ncols; i++) {
			fputs(format == CIOT_EXPORT_MD ? (i ? " | " : "| ") : (i ? "," : ""), out);
			fputs(e->columns[i].name, out);
		}
		fputs(format == CIOT_EXPORT_MD ? " |\n" : "\n", out);
		if (format == CIOT_EXPORT_MD) {
			for (size_t i = 0; i < ncols; i++)
				fputs(e->columns[i].kind == COL_TEXT ? "|---" : "|--:", out);
			fputs("|\n", out);
		}
	}
	json_t *array = format == CIOT_EXPORT_JSON ? json_array() : NULL;
	if (format == CIOT_EXPORT_JSON && !array)
		rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	int step;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (format == CIOT_EXPORT_JSON) {
			json_t *row = json_object();
			if (!row || json_array_append_new(array, row)) {
				rc = ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
				break;
			}
			for (size_t i = 0; i < ncols; i++)
				json_object_set_new(row, e->columns[i].name, json_cell(st, (int)i, e->columns[i].kind));
			continue;
		}
		for (size_t i = 0; i < ncols; i++) {
			const char *text = cell_text(st, (int)i, e->columns[i].kind, buf, sizeof buf);
			if (format == CIOT_EXPORT_CSV) {
				if (i)
					fputc(',', out);
				csv_field(out, text);
			} else {
				fputs(i ? " | " : "| ", out);
				md_field(out, text);
			}
		}
		fputs(format == CIOT_EXPORT_MD ? " |\n" : "\n", out);
	}
	if (!rc && step != SQLITE_DONE)
		rc = ciot_fail(errbuf, CIOT_ERR_DB, "%s: %s", table, sqlite3_errmsg(db));
	if (!rc && array) {
		/* 16 significant digits keep microseconds of a Unix time exact */
		if (json_dumpf(array, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(16)) != 0)
			rc = ciot_fail(errbuf, CIOT_ERR_IO, "writing JSON failed");
		fputc('\n', out);
	}
	json_decref(array);
	sqlite3_finalize(st);
	if (!rc && ferror(out))
		rc = ciot_fail(errbuf, CIOT_ERR_IO, "write error");
	return rc;
}
