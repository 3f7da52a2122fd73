/* queries.c: the registry of exports: for each, its name, what it shows, the SQL that computes it,
 * the parameters the SQL binds, and its columns, each with a kind (how every renderer prints it)
 * and a one-line doc (what it means, its unit or convention). This is the only file with SQL in the
 * report library; nothing here prints.
 *
 * The SQL reads the database's tables and views as docs/database.md describes them, and works out
 * every share and count in SQL, so each export's numbers can be checked by running its query. The
 * formulas and their conventions: docs/destinations.md (countries, sankey, parties,
 * organizations), docs/encryption.md (the encryption exports), docs/tls.md (the TLS exports),
 * docs/pii.md (pii, pii-kinds). Shared parts of several queries are macros, below.
 *
 * The column docs are the exports' documentation: `ciot-report --columns` prints them and
 * docs/exports.md is that output; tests/unit/test-exports.c checks that every column has one and
 * that each query returns as many columns as it documents.
 */
#include <string.h>

#include "ciot/report.h"

/* A flow (its id) of a lifecycle capture, not of a certificate-interception test: the exports that
 * make the lifecycle's figures leave those out (ciot/report.h, enum ciot_query_captures). */
#define LIFECYCLE_FLOW(id)                                                                                 \
	id " IN (SELECT lf.id FROM flows lf JOIN captures lc ON lc.id = lf.capture_id"                      \
	" WHERE lc.interception IS NULL)"

/* Phases in lifecycle order, as one comma-separated cell. */
#define PHASES_COVERED                                                                                     \
	"rtrim(CASE WHEN sum(c.phase = 'setup') > 0 THEN 'setup,' ELSE '' END ||"                          \
	" CASE WHEN sum(c.phase = 'interaction') > 0 THEN 'interaction,' ELSE '' END ||"                   \
	" CASE WHEN sum(c.phase = 'idle') > 0 THEN 'idle,' ELSE '' END ||"                                 \
	" CASE WHEN sum(c.phase = 'deletion') > 0 THEN 'deletion,' ELSE '' END, ',')"

#define SUMMARY_COLUMNS                                                                                    \
	"count(DISTINCT d.id), count(DISTINCT d.category), count(DISTINCT d.brand), count(*),"             \
	" sum(coalesce(c.step_end_us - c.step_start_us, c.window_end_us - c.window_start_us,"              \
	" c.last_us - c.first_us, 0)) / 3600e6, sum(c.frames), sum(c.frame_bytes),"                        \
	" sum(c.flows), " PHASES_COVERED ", date(min(c.first_us) / 1000000, 'unixepoch'),"                 \
	" date(max(c.last_us) / 1000000, 'unixepoch')"

/* The destination rows the country shares are computed from: every flow to a public address, its
 * bytes both ways, the country with Hong Kong, Macao and Taiwan folded into CN when :fold is 1. */
#define COUNTRY_BASE                                                                                       \
	"base AS (SELECT d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,"   \
	" CASE WHEN :fold AND t.country IN ('HK', 'MO', 'TW') THEN 'CN' ELSE t.country END AS country,"    \
	" f.bytes_out + f.bytes_in AS bytes FROM flows f JOIN destinations t ON t.flow_id = f.id"          \
	" JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id"                      \
	" WHERE t.country <> 'local' AND t.party IS NOT 'lab' AND c.interception IS NULL),"                                          \
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
	" c.firmware AS firmware, k.class AS class, k.packets AS packets, k.bytes AS bytes,"               \
	" k.payload_bytes AS payload_bytes"                                                                \
	" FROM flow_classes k JOIN flows f ON f.id = k.flow_id JOIN captures c ON c.id = f.capture_id"     \
	" JOIN devices d ON d.id = c.device_id WHERE c.interception IS NULL),"                             \
	" phased AS (SELECT device_id, device, category, phase, class, packets, bytes, payload_bytes FROM base" \
	" UNION ALL SELECT device_id, device, category, 'all', class, packets, bytes, payload_bytes FROM base)," \
	" dev AS (SELECT device_id, device, category, phase, class, sum(packets) AS p, sum(bytes) AS b,"    \
	" sum(payload_bytes) AS pb FROM phased GROUP BY device_id, phase, class),"                         \
	" dev_total AS (SELECT device_id, phase, sum(p) AS tp, sum(b) AS tb, sum(pb) AS tpb FROM dev"        \
	" GROUP BY device_id, phase),"                                                                     \
	" share AS (SELECT dev.*, CAST(p AS REAL) / tp AS ps, CAST(b AS REAL) / tb AS bs,"                  \
	" CAST(pb AS REAL) / nullif(tpb, 0) AS pbs"                                                         \
	" FROM dev JOIN dev_total USING (device_id, phase)),"                                              \
	" cat_k AS (SELECT category, phase, count(DISTINCT device_id) AS k FROM dev GROUP BY category, phase),"   \
	" groups AS (SELECT class_group, min(ord) AS ord FROM classes GROUP BY class_group)"

/* A comma-separated list's first item, without a "level:" prefix: "fatal:unknown_ca,..." ->
 * "unknown_ca". */
#define FIRST_ALERT(col)                                                                                   \
	"(SELECT CASE WHEN instr(a, ':') THEN substr(a, instr(a, ':') + 1) ELSE a END FROM (SELECT"         \
	" CASE WHEN instr(" col ", ',') THEN substr(" col ", 1, instr(" col ", ',') - 1) ELSE " col " END AS a))"

/* The outcomes of tls-connection.h in their order of precedence: a device-server pair is what the
 * first of them that any of its connections had says. A connection whose server presented a
 * certificate that was not the interceptor's (`intercepted` 0: passed through, or not redirected)
 * says nothing about the device's validation: it ranks after every outcome that involves the
 * device's answer to a certificate (1 to 5) and before those where no certificate was seen. */
#define OUTCOME_RANK(outcome, intercepted)                                                                 \
	"CASE WHEN " intercepted " = 0 THEN 6 ELSE CASE " outcome " WHEN 'communicates' THEN 1"             \
	" WHEN 'handshake-only' THEN 2 WHEN 'client-alert' THEN 3 WHEN 'client-closed' THEN 4"              \
	" WHEN 'server-failure' THEN 5 WHEN 'no-server-hello' THEN 7 WHEN 'incomplete' THEN 8 ELSE 9 END END"

/* One row per device-server pair of the certificate-interception captures, with the connection
 * that decides its outcome (the best ranked, the earliest among equals). */
#define VALIDATION_PAIRS                                                                                   \
	"conn AS (SELECT v.*, coalesce(v.sni, v.remote_ip) AS server, "                                     \
	OUTCOME_RANK("v.outcome", "v.intercepted") " AS rank"                                               \
	" FROM tls_view v WHERE v.interception IS NOT NULL AND v.client = 'device' AND v.outcome IS NOT NULL)," \
	" ranked AS (SELECT conn.*, row_number() OVER (PARTITION BY device_id, interception, server"         \
	" ORDER BY rank, first_us, flow_id) AS pick, count(*) OVER (PARTITION BY device_id, interception,"  \
	" server) AS attempts, group_concat(remote_ip) OVER (PARTITION BY device_id, interception, server)"  \
	" AS ips FROM conn),"                                                                              \
	" pairs AS (SELECT device_id, device, category, interception, server, attempts, rank, outcome,"     \
	" client_alerts, server_alerts, first_us, CASE intercepted WHEN 1 THEN 'yes' WHEN 0 THEN 'no'"       \
	" ELSE 'unknown' END AS intercepted, CASE rank WHEN 1 THEN 'communicates normally'"                  \
	" WHEN 2 THEN 'accepts the certificate, sends no data'"                                             \
	" WHEN 3 THEN 'alert: ' || " FIRST_ALERT("client_alerts")                                            \
	" WHEN 4 THEN CASE WHEN attempts > 1 THEN 'disconnects and reconnects' ELSE 'disconnects' END"      \
	" WHEN 5 THEN 'server handshake failure' WHEN 6 THEN 'not intercepted' WHEN 7 THEN 'cannot connect'" \
	" WHEN 8 THEN 'capture ended in the handshake' ELSE 'no handshake seen' END AS behaviour"            \
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
	" AS name_mismatch FROM tls_view v WHERE v.client = 'device' AND v.server_certificates > 0"         \
	" AND v.interception IS NULL),"       \
	" scoped AS (SELECT 'all' AS version, * FROM conn UNION ALL SELECT version, * FROM conn"            \
	" WHERE version IS NOT NULL),"                                                                     \
	" issues(issue, ord) AS (VALUES ('insecure-signature', 1), ('insecure-key', 2), ('self-signed', 3)," \
	" ('long-validity', 4), ('expired', 5), ('not-yet-valid', 6), ('untrusted', 7), ('name-mismatch', 8))," \
	" flagged AS (SELECT s.version, s.category, s.device_id, i.issue, i.ord, CASE i.issue"               \
	" WHEN 'insecure-signature' THEN s.weak_signature WHEN 'insecure-key' THEN s.weak_key"             \
	" WHEN 'self-signed' THEN s.self_signed WHEN 'long-validity' THEN s.long_validity"                  \
	" WHEN 'expired' THEN s.expired WHEN 'not-yet-valid' THEN s.not_yet_valid"                         \
	" WHEN 'untrusted' THEN s.untrusted ELSE s.name_mismatch END AS hit FROM scoped s CROSS JOIN issues i)"

/* the before-and-after exports of a firmware update (firmware, firmware-destinations) */
#include "firmware-queries.h"
/* the published reference figures beside the dataset's (reference) */
#include "reference-query.h"

static const struct ciot_query queries[] = {
	{
		"summary",
		"the dataset as in the lifecycle paper's Table 6: devices, categories, brands, hours, "
		"packets, bytes, phases covered; overall and per category",
		"SELECT 'all', NULL, " SUMMARY_COLUMNS " FROM captures c JOIN devices d ON d.id = c.device_id"
		" WHERE c.interception IS NULL HAVING count(*) > 0"
		" UNION ALL SELECT * FROM (SELECT 'category', d.category, " SUMMARY_COLUMNS
		" FROM captures c JOIN devices d ON d.id = c.device_id WHERE c.interception IS NULL"
		" GROUP BY d.category ORDER BY d.category)",
		0,
		{
			{ "scope", CIOT_COLUMN_TEXT,
			  "all (the whole dataset, first row) or category (one row per device category)" },
			{ "category", CIOT_COLUMN_TEXT, "the device category of a category row; empty on the all row" },
			{ "devices", CIOT_COLUMN_INT, "devices with at least one capture" },
			{ "categories", CIOT_COLUMN_INT, "distinct device categories" },
			{ "brands", CIOT_COLUMN_INT, "distinct brands (the manifest's brand)" },
			{ "captures", CIOT_COLUMN_INT, "capture files, or timetable steps of unsplit captures" },
			{ "hours", CIOT_COLUMN_REAL3,
			  "hours captured: the sum over captures of the step's duration (its start to end in the "
			  "manifest, or its timetable window); a capture without either counts its last frame time "
			  "minus its first" },
			{ "packets", CIOT_COLUMN_INT,
			  "frames of the captures, all of them (not only the devices' flows)" },
			{ "bytes", CIOT_COLUMN_INT, "those frames' bytes as on the wire (original frame lengths)" },
			{ "flows", CIOT_COLUMN_INT, "the devices' flows (rows of the flows export)" },
			{ "phases", CIOT_COLUMN_TEXT,
			  "the phases that have a capture, comma-separated in lifecycle order: setup, interaction, "
			  "idle, deletion" },
			{ "first_day", CIOT_COLUMN_TEXT, "UTC date (YYYY-MM-DD) of the earliest frame" },
			{ "last_day", CIOT_COLUMN_TEXT, "UTC date (YYYY-MM-DD) of the latest frame" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	{
		"flows",
		"every flow of the devices, oriented device -> remote",
		"SELECT d.name, d.category, c.phase, c.subphase, f.transport, f.app_proto, f.device_ip,"
		" f.device_port, f.remote_ip, f.remote_port, f.first_us, f.last_us, f.packets_out, f.bytes_out,"
		" f.packets_in, f.bytes_in, c.interception FROM flows f JOIN captures c ON c.id = f.capture_id"
		" JOIN devices d ON d.id = c.device_id ORDER BY d.name, c.phase, f.first_us, f.id",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT,
			  "the device's id (the manifest's, or taken from the file names)" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "phase", CIOT_COLUMN_TEXT,
			  "the capture's lifecycle phase: setup, interaction, idle or deletion" },
			{ "subphase", CIOT_COLUMN_TEXT,
			  "the capture's step label (watch_remote, on_voice...); empty when none" },
			{ "transport", CIOT_COLUMN_TEXT,
			  "tcp, udp, icmp, icmpv6, or ip-N for another IP protocol number N" },
			{ "app_proto", CIOT_COLUMN_TEXT, "nDPI 4.2's application protocol (TLS.Amazon, DNS...)" },
			{ "device_ip", CIOT_COLUMN_TEXT, "the device's address" },
			{ "device_port", CIOT_COLUMN_INT, "the device's port; 0 for transports without ports" },
			{ "remote_ip", CIOT_COLUMN_TEXT, "the other end's address" },
			{ "remote_port", CIOT_COLUMN_INT, "the other end's port; 0 for transports without ports" },
			{ "first_ts", CIOT_COLUMN_TIME_US, "time of the flow's first packet" },
			{ "last_ts", CIOT_COLUMN_TIME_US, "time of the flow's last packet" },
			{ "packets_out", CIOT_COLUMN_INT, "packets device -> remote" },
			{ "bytes_out", CIOT_COLUMN_INT, "frame bytes (on the wire) device -> remote" },
			{ "packets_in", CIOT_COLUMN_INT, "packets remote -> device" },
			{ "bytes_in", CIOT_COLUMN_INT, "frame bytes (on the wire) remote -> device" },
			{ "interception", CIOT_COLUMN_TEXT,
			  "the certificate-interception test tag of the flow's capture; empty for lifecycle captures" },
		},
		CIOT_CAPTURES_TAGGED,
	},
	{
		"captures",
		"every capture (or timetable step) analyzed, with what was skipped or malformed",
		"SELECT d.name, d.category, c.phase, c.subphase, c.firmware, c.interception, c.file, c.first_us,"
		" c.last_us, c.frames, c.frame_bytes, c.skipped_frames, c.malformed_frames, c.flows, c.other_flows,"
		" c.device_method, c.device_addresses, c.file_truncated, c.step_ended FROM captures c"
		" JOIN devices d ON d.id = c.device_id ORDER BY d.name, c.phase, c.first_us, c.id",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "phase", CIOT_COLUMN_TEXT, "the lifecycle phase: setup, interaction, idle or deletion" },
			{ "subphase", CIOT_COLUMN_TEXT, "the step label; empty when none" },
			{ "firmware", CIOT_COLUMN_TEXT,
			  "pre or post (a firmware update) when the manifest tags it; else empty" },
			{ "interception", CIOT_COLUMN_TEXT,
			  "the certificate-interception test tag (self_signed...); empty for other captures" },
			{ "file", CIOT_COLUMN_TEXT, "the capture file's absolute path" },
			{ "first_ts", CIOT_COLUMN_TIME_US, "time of the step's first frame" },
			{ "last_ts", CIOT_COLUMN_TIME_US, "time of the step's last frame" },
			{ "packets", CIOT_COLUMN_INT, "every frame of the step" },
			{ "bytes", CIOT_COLUMN_INT, "their bytes as on the wire" },
			{ "skipped_frames", CIOT_COLUMN_INT,
			  "frames that are not IP (ARP, STP, unknown link types), not decoded" },
			{ "malformed_frames", CIOT_COLUMN_INT,
			  "frames cut short or invalid; with skipped and decoded frames they sum to packets" },
			{ "flows", CIOT_COLUMN_INT, "the device's flows stored" },
			{ "other_flows", CIOT_COLUMN_INT, "flows without the device at either end (not stored)" },
			{ "device_method", CIOT_COLUMN_TEXT,
			  "how the device was told apart: mac, ip, auto (the one private host in every flow, by its "
			  "MAC when frames carry MACs, else by its address) or none" },
			{ "device_addresses", CIOT_COLUMN_TEXT, "the addresses used to tell it apart, a JSON array" },
			{ "truncated", CIOT_COLUMN_INT,
			  "1 when the file ended inside a record (the packets before it are analyzed), else 0" },
			{ "ended", CIOT_COLUMN_TEXT,
			  "how the step ended, as the manifest records it: operator, timer, interrupted, disk_full, "
			  "interface_lost, error, running (the run was killed) or split; empty when it does not say" },
		},
		CIOT_CAPTURES_ALL,
	},
	{
		"destinations",
		"each device's remote servers per phase: names (with where each came from), registrable domain, "
		"country, AS, organization, party and the rule that decided it, bytes and packets",
		"SELECT v.device, v.category, v.phase, v.remote_ip,"
		" group_concat(DISTINCT CASE WHEN v.name IS NULL THEN NULL ELSE v.name || ' (' || v.name_source || ')'"
		" || CASE WHEN v.dns_name IS NOT NULL AND v.dns_name <> v.name THEN ' ' || v.dns_name || ' (dns)'"
		" ELSE '' END END), v.domain, v.country, v.asn, v.as_org, v.organization, v.party, v.party_rule,"
		" v.decision, v.evidence, count(*), sum(v.bytes), sum(v.packets), min(v.first_us), c.interception"
		" FROM destination_view v JOIN flows f ON f.id = v.flow_id JOIN captures c ON c.id = f.capture_id"
		" GROUP BY v.device_id, v.phase, v.remote_ip, v.domain, v.organization, v.party, v.party_rule,"
		" v.decision, v.evidence, c.interception"
		" ORDER BY v.device, " PHASE_ORDER("v.phase") ", sum(v.bytes) DESC, v.remote_ip",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "phase", CIOT_COLUMN_TEXT, "the lifecycle phase: setup, interaction, idle or deletion" },
			{ "remote_ip", CIOT_COLUMN_TEXT, "the server's address" },
			{ "names", CIOT_COLUMN_TEXT,
			  "the host names of its flows, each with its source: 'name (sni|quic|http|dns|dns-later)'; "
			  "a differing DNS name is added with (dns)" },
			{ "domain", CIOT_COLUMN_TEXT, "the names' registrable domain (eTLD+1); empty without a name" },
			{ "country", CIOT_COLUMN_TEXT,
			  "ISO 3166 alpha-2 code of the address; local for local addresses, unknown when the data "
			  "has none" },
			{ "asn", CIOT_COLUMN_INT, "the AS announcing the address (public addresses)" },
			{ "as_org", CIOT_COLUMN_TEXT, "that AS's organization name" },
			{ "organization", CIOT_COLUMN_TEXT,
			  "the canonical organization by datasets/attribution's rules, else as_org" },
			{ "party", CIOT_COLUMN_TEXT,
			  "first, support or third party to the device; local for local peers; lab for the lab's own "
			  "hosts (the manifest's lab_hosts, --lab-host)" },
			{ "rule", CIOT_COLUMN_TEXT, "the attribution rule that decided organization and party" },
			{ "decision", CIOT_COLUMN_TEXT,
			  "how the party was decided: rule, evidence, default (no rule or evidence: third party by "
			  "default), lab or local" },
			{ "evidence", CIOT_COLUMN_TEXT,
			  "the evidence that decided the party when decision is evidence: certificate (the leaf "
			  "certificate's O=), cname (the DNS answer's CNAME chain into a known cloud) or single-brand "
			  "(a domain only one brand's devices contact: a guess); else empty" },
			{ "flows", CIOT_COLUMN_INT,
			  "the device's flows to the address in the phase, with this domain, organization and party" },
			{ "bytes", CIOT_COLUMN_INT, "their frame bytes, both directions" },
			{ "packets", CIOT_COLUMN_INT, "their packets, both directions" },
			{ "first_ts", CIOT_COLUMN_TIME_US, "time of the first packet of the earliest of them" },
			{ "interception", CIOT_COLUMN_TEXT,
			  "the certificate-interception test tag of the flows' captures; empty for lifecycle captures" },
		},
		CIOT_CAPTURES_TAGGED,
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
		CIOT_QUERY_FOLD | CIOT_QUERY_HOME,
		{
			{ "scope", CIOT_COLUMN_TEXT,
			  "all (every device), category or device: what the row aggregates" },
			{ "name", CIOT_COLUMN_TEXT, "'all', the category, or the device's id" },
			{ "phase", CIOT_COLUMN_TEXT,
			  "setup, interaction, idle or deletion, each on its own flows, or all" },
			{ "country", CIOT_COLUMN_TEXT,
			  "ISO 3166 alpha-2 code (HK, MO and TW as CN with --fold-greater-china), or unknown" },
			{ "overseas", CIOT_COLUMN_INT,
			  "1 outside the home country (--home, else the manifest's, else CN), 0 in it; empty for "
			  "unknown" },
			{ "bytes", CIOT_COLUMN_INT,
			  "frame bytes both directions to the country's public addresses (local traffic never "
			  "counts)" },
			{ "share", CIOT_COLUMN_SHARE, "bytes / the scope's bytes to all countries in the phase" },
			{ "normalized_share", CIOT_COLUMN_SHARE,
			  "the mean over the scope's devices of each device's share (each device weighs the same; "
			  "docs/destinations.md)" },
			{ "devices", CIOT_COLUMN_INT,
			  "devices with traffic to public addresses in the scope and phase (K)" },
		},
		CIOT_CAPTURES_LIFECYCLE,
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
		CIOT_QUERY_FOLD | CIOT_QUERY_HOME,
		{
			{ "source", CIOT_COLUMN_TEXT, "the device category" },
			{ "target", CIOT_COLUMN_TEXT, "the country (ISO 3166 alpha-2, or unknown)" },
			{ "overseas", CIOT_COLUMN_INT, "1 outside the home country, 0 in it; empty for unknown" },
			{ "value", CIOT_COLUMN_SHARE,
			  "the category's devices' shares to the country summed, / all devices with traffic to "
			  "public addresses: the edges add up to 1" },
			{ "bytes", CIOT_COLUMN_INT, "frame bytes both directions behind the edge" },
			{ "devices", CIOT_COLUMN_INT, "devices of the category with traffic to the country" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	{
		"parties",
		"average number of distinct servers (registrable domains, else addresses) per device of a "
		"category contacted as first, support and third party, per phase and in all (Table 1)",
		"WITH srv AS (SELECT d.id AS device_id, d.category AS category, c.phase AS phase, t.party AS party,"
		" coalesce(t.domain, f.remote_ip) AS server FROM flows f JOIN destinations t ON t.flow_id = f.id"
		" JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id"
		" WHERE t.party IN ('first', 'support', 'third') AND c.interception IS NULL),"
		" phased AS (SELECT device_id, category, phase, party, server FROM srv"
		" UNION ALL SELECT device_id, category, 'all', party, server FROM srv),"
		" counts AS (SELECT category, phase, party, count(DISTINCT device_id || ' ' || server) AS servers"
		" FROM phased GROUP BY category, phase, party),"
		" devs AS (SELECT d.category AS category, c.phase AS phase, count(DISTINCT d.id) AS k FROM captures c"
		" JOIN devices d ON d.id = c.device_id WHERE c.interception IS NULL GROUP BY d.category, c.phase"
		" UNION ALL SELECT d.category, 'all', count(DISTINCT d.id) FROM captures c"
		" JOIN devices d ON d.id = c.device_id WHERE c.interception IS NULL GROUP BY d.category),"
		" parties(party, ord) AS (VALUES ('first', 1), ('support', 2), ('third', 3))"
		" SELECT devs.category, devs.phase, p.party, devs.k, coalesce(counts.servers, 0),"
		" CAST(coalesce(counts.servers, 0) AS REAL) / devs.k FROM devs CROSS JOIN parties p"
		" LEFT JOIN counts ON counts.category = devs.category AND counts.phase = devs.phase"
		" AND counts.party = p.party"
		" ORDER BY devs.category, " PHASE_ORDER("devs.phase") ", p.ord",
		0,
		{
			{ "category", CIOT_COLUMN_TEXT, "the device category" },
			{ "phase", CIOT_COLUMN_TEXT, "setup, interaction, idle or deletion, or all" },
			{ "party", CIOT_COLUMN_TEXT, "first, support or third" },
			{ "devices", CIOT_COLUMN_INT,
			  "the category's devices with a capture in the phase, including those that contacted none" },
			{ "servers", CIOT_COLUMN_INT,
			  "distinct (device, server) pairs of the party; a server is a registrable domain, else an "
			  "address" },
			{ "servers_per_device", CIOT_COLUMN_REAL3,
			  "servers / devices: the average number of distinct servers per device" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	{
		"organizations",
		"organizations by the number of devices contacting them (Table 2), with flows, bytes and the "
		"domains seen",
		"SELECT v.organization, count(DISTINCT v.device_id), count(*), sum(v.bytes),"
		" group_concat(DISTINCT v.domain) FROM destination_view v"
		" WHERE v.country <> 'local' AND v.party IS NOT 'lab' AND v.organization IS NOT NULL"
		" AND " LIFECYCLE_FLOW("v.flow_id")
		" GROUP BY v.organization"
		" ORDER BY count(DISTINCT v.device_id) DESC, sum(v.bytes) DESC, v.organization",
		0,
		{
			{ "organization", CIOT_COLUMN_TEXT,
			  "the canonical organization (datasets/attribution), else the AS's organization" },
			{ "devices", CIOT_COLUMN_INT, "devices that exchanged traffic with it" },
			{ "flows", CIOT_COLUMN_INT, "flows to it" },
			{ "bytes", CIOT_COLUMN_INT, "their frame bytes, both directions" },
			{ "domains", CIOT_COLUMN_TEXT, "the registrable domains seen, comma-separated" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	{
		"coverage",
		"per device, how its servers got their party: by a rule, by evidence, or by no rule (third party "
		"by default), with the lab hosts set apart and why no server could be first party by brand",
		"SELECT d.name, d.category, d.brand, a.servers, a.by_rule, a.by_evidence, a.by_default,"
		" CASE WHEN a.servers > 0 THEN CAST(a.by_default AS REAL) / a.servers END, a.lab_hosts, a.brand_warning"
		" FROM attribution_coverage a JOIN devices d ON d.id = a.device_id ORDER BY d.name",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "brand", CIOT_COLUMN_TEXT, "the device's brand as the dataset gives it" },
			{ "servers", CIOT_COLUMN_INT,
			  "distinct servers with a party (a registrable domain, else an address, as in parties)" },
			{ "by_rule", CIOT_COLUMN_INT,
			  "servers whose party a rule decided (brand, manifest, role, privacy policy, public-service "
			  "convention) for at least one of their flows" },
			{ "by_evidence", CIOT_COLUMN_INT,
			  "servers no rule decided whose party evidence in the capture decided (destinations' evidence)" },
			{ "by_default", CIOT_COLUMN_INT,
			  "servers neither decided: third party only because nothing is known of them" },
			{ "default_share", CIOT_COLUMN_SHARE,
			  "by_default / servers; ciot-analyze warns above 0.5; empty without servers" },
			{ "lab_hosts", CIOT_COLUMN_INT, "the lab's own hosts the device talked to, not among the servers" },
			{ "brand_warning", CIOT_COLUMN_TEXT,
			  "why no server can be first party by the device's brand (no brand, the id as brand, a brand "
			  "the rules do not know without a manifest vendor), else empty" },
		},
		CIOT_CAPTURES_ALL,
	},
	{
		"lab-hosts",
		"the lab's own hosts (the manifest's lab_hosts, ciot-analyze --lab-host) each device talked to, "
		"left out of parties, organizations and countries",
		"SELECT v.device, v.remote_ip, group_concat(DISTINCT v.name), v.country, v.as_org, v.party_rule,"
		" count(*), sum(v.bytes), sum(v.packets)"
		" FROM destination_view v WHERE v.party = 'lab'"
		" GROUP BY v.device_id, v.remote_ip, v.party_rule ORDER BY v.device, sum(v.bytes) DESC, v.remote_ip",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "remote_ip", CIOT_COLUMN_TEXT, "the lab host's address" },
			{ "names", CIOT_COLUMN_TEXT, "the host names the device used for it, comma-separated" },
			{ "country", CIOT_COLUMN_TEXT, "where the address is (local for a local address)" },
			{ "as_org", CIOT_COLUMN_TEXT, "the AS's organization name (public addresses)" },
			{ "rule", CIOT_COLUMN_TEXT, "the lab host declaration it matched: 'lab host ENTRY'" },
			{ "flows", CIOT_COLUMN_INT, "the device's flows to it, all phases" },
			{ "bytes", CIOT_COLUMN_INT, "their frame bytes, both directions" },
			{ "packets", CIOT_COLUMN_INT, "their packets, both directions" },
		},
		CIOT_CAPTURES_ALL,
	},
	{
		"encryption",
		"packets and bytes of each encryption class (encrypted; unencrypted: text, compressed, media; "
		"unknown; omitted) per device and phase, with the device's shares; per category the average of "
		"its devices' shares (docs/encryption.md)",
		"WITH " CLASS_BASE ","
		" cat AS (SELECT category, phase, class, sum(p) AS p, sum(b) AS b, sum(ps) AS ps, sum(bs) AS bs,"
		" sum(pb) AS pb, sum(pbs) AS pbs FROM share GROUP BY category, phase, class)"
		" SELECT scope, name, category, phase, class, class_group, p, b, bs, ps, devices, pb, pbs FROM ("
		" SELECT 'device' AS scope, s.device AS name, s.category AS category, s.phase AS phase,"
		" s.class AS class, cl.class_group AS class_group, cl.ord AS ord, s.p AS p, s.b AS b, s.bs AS bs,"
		" s.ps AS ps, 1 AS devices, s.pb AS pb, s.pbs AS pbs FROM share s JOIN classes cl USING (class)"
		" UNION ALL SELECT 'category', c.category, c.category, c.phase, c.class, cl.class_group, cl.ord, c.p,"
		" c.b, c.bs / k.k, c.ps / k.k, k.k, c.pb, c.pbs / k.k FROM cat c"
		" JOIN cat_k k USING (category, phase) JOIN classes cl USING (class))"
		" ORDER BY scope, name, " PHASE_ORDER("phase") ", ord",
		0,
		{
			{ "scope", CIOT_COLUMN_TEXT, "device (one device) or category (the average of its devices)" },
			{ "name", CIOT_COLUMN_TEXT, "the device's id, or the category" },
			{ "category", CIOT_COLUMN_TEXT, "the device category" },
			{ "phase", CIOT_COLUMN_TEXT, "setup, interaction, idle or deletion, or all" },
			{ "class", CIOT_COLUMN_TEXT,
			  "encrypted, text, compressed, media, unknown or omitted (docs/encryption.md)" },
			{ "class_group", CIOT_COLUMN_TEXT,
			  "the paper's group of the class: encrypted, unencrypted (text, compressed, media), "
			  "unknown, omitted" },
			{ "packets", CIOT_COLUMN_INT,
			  "packets with a payload in the class (category: summed over its devices)" },
			{ "bytes", CIOT_COLUMN_INT, "their frame bytes (category: summed)" },
			{ "byte_share", CIOT_COLUMN_SHARE,
			  "class bytes / the device's bytes of every class (omitted too) in the phase (category: the "
			  "mean of its devices' shares)" },
			{ "packet_share", CIOT_COLUMN_SHARE,
			  "class packets / the device's packets of every class in the phase (category: the mean of its "
			  "devices' shares)" },
			{ "devices", CIOT_COLUMN_INT,
			  "1 for a device; for a category its devices with classified traffic in the phase" },
			{ "payload_bytes", CIOT_COLUMN_INT,
			  "the class's transport payload bytes (TCP, UDP or ICMP payload: no header weighs; the "
			  "lifecycle authors' measure; category: summed)" },
			{ "payload_byte_share", CIOT_COLUMN_SHARE,
			  "class payload bytes / the device's payload bytes of every class in the phase (category: "
			  "the mean of its devices' shares)" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	{
		"encryption-heatmap",
		"the lifecycle paper's Figure 3: per category, phase and class group (encrypted, unencrypted, "
		"unknown, omitted), the average of the category's devices' byte and packet shares",
		"WITH " CLASS_BASE ","
		" dev_group AS (SELECT s.device_id, s.category, s.phase, cl.class_group, sum(s.bs) AS bs, sum(s.ps) AS ps,"
		" sum(s.pbs) AS pbs FROM share s JOIN classes cl USING (class) GROUP BY s.device_id, s.phase, cl.class_group),"
		/* every cell with a capture, also one whose devices were all silent (a step with no traffic
		 * is a result: its cell is there, with no share) */
		" cells AS (SELECT DISTINCT d.category AS category, c.phase AS phase FROM captures c"
		" JOIN devices d ON d.id = c.device_id WHERE c.interception IS NULL"
		" UNION SELECT DISTINCT d.category, 'all' FROM captures c"
		" JOIN devices d ON d.id = c.device_id WHERE c.interception IS NULL)"
		" SELECT a.category, a.phase, g.class_group, coalesce(sum(d.bs), 0) / k.k, coalesce(sum(d.ps), 0) / k.k,"
		" coalesce(k.k, 0), (SELECT count(DISTINCT c.device_id) FROM captures c JOIN devices x ON x.id = c.device_id"
		" WHERE x.category = a.category AND (a.phase = 'all' OR c.phase = a.phase) AND c.interception IS NULL),"
		" coalesce(sum(d.pbs), 0) / k.k FROM cells a CROSS JOIN groups g LEFT JOIN cat_k k ON k.category = a.category"
		" AND k.phase = a.phase"
		" LEFT JOIN dev_group d ON d.category = a.category AND d.phase = a.phase"
		" AND d.class_group = g.class_group GROUP BY a.category, a.phase, g.class_group"
		" ORDER BY a.category, " PHASE_ORDER("a.phase") ", min(g.ord)",
		0,
		{
			{ "category", CIOT_COLUMN_TEXT, "the device category" },
			{ "phase", CIOT_COLUMN_TEXT, "setup, interaction, idle or deletion, or all" },
			{ "class_group", CIOT_COLUMN_TEXT, "encrypted, unencrypted, unknown or omitted" },
			{ "byte_share", CIOT_COLUMN_SHARE,
			  "the mean over the category's devices with classified traffic of their share of bytes in "
			  "the group (0 when none had it; empty when no device had traffic)" },
			{ "packet_share", CIOT_COLUMN_SHARE, "the same for packets" },
			{ "devices", CIOT_COLUMN_INT, "the category's devices with classified traffic in the phase" },
			{ "devices_captured", CIOT_COLUMN_INT,
			  "the category's devices with a capture in the phase, silent ones too (a step without "
			  "traffic: its shares are empty when no device had traffic)" },
			{ "payload_byte_share", CIOT_COLUMN_SHARE,
			  "the same as byte_share for transport payload bytes (the lifecycle authors' measure)" },
		},
		CIOT_CAPTURES_LIFECYCLE,
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
		0,
		{
			{ "device", CIOT_COLUMN_TEXT,
			  "the device's id (a device with captures tagged both pre and post)" },
			{ "category", CIOT_COLUMN_TEXT, "the device category" },
			{ "firmware", CIOT_COLUMN_TEXT, "pre or post: before or after the firmware update" },
			{ "class_group", CIOT_COLUMN_TEXT, "encrypted, unencrypted, unknown or omitted" },
			{ "packets", CIOT_COLUMN_INT,
			  "packets with a payload in the group, over the captures of that firmware" },
			{ "bytes", CIOT_COLUMN_INT, "their frame bytes" },
			{ "byte_share", CIOT_COLUMN_SHARE,
			  "the group's bytes / the device's bytes of every group with that firmware" },
			{ "packet_share", CIOT_COLUMN_SHARE,
			  "the group's packets / the device's packets of every group with that firmware" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	FIRMWARE_QUERIES,
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
		" v.category, v.protocol, v.client, v.outcome, v.first_us, v.interception"
		" FROM tls_view v LEFT JOIN certificates c ON c.sha256 = v.leaf_sha256"
		" ORDER BY v.device, " PHASE_ORDER("v.phase") ", v.first_us, v.flow_id",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "phase", CIOT_COLUMN_TEXT, "the lifecycle phase: setup, interaction, idle or deletion" },
			{ "device_ip", CIOT_COLUMN_TEXT, "the device's address" },
			{ "device_port", CIOT_COLUMN_INT, "the device's port" },
			{ "remote_ip", CIOT_COLUMN_TEXT, "the other end's address" },
			{ "remote_port", CIOT_COLUMN_INT, "the other end's port" },
			{ "sni", CIOT_COLUMN_TEXT, "the ClientHello's server name; empty when none" },
			{ "offered_versions", CIOT_COLUMN_TEXT,
			  "the versions the ClientHello offered, comma-separated in its order" },
			{ "version", CIOT_COLUMN_TEXT,
			  "negotiated: SSLv2 ... TLS1.3, DTLS1.0 ... DTLS1.3 or 0x....; QUIC's version for QUIC; "
			  "empty without a ServerHello" },
			{ "cipher", CIOT_COLUMN_TEXT, "the chosen cipher suite's IANA name" },
			{ "cipher_class", CIOT_COLUMN_TEXT,
			  "its IoTLS class: insecure, no-encryption, anonymous, psk, forward-secret, other or "
			  "unknown" },
			{ "established", CIOT_COLUMN_INT,
			  "1 when both sides sent Finished or data went both ways (TLS 1.3: the client sent "
			  "Finished), else 0" },
			{ "resumed", CIOT_COLUMN_INT,
			  "1 when the server resumed a session (session id, ticket, or TLS 1.3 pre_shared_key), "
			  "else 0" },
			{ "psk", CIOT_COLUMN_INT,
			  "1 for a PSK cipher suite or an accepted TLS 1.3 pre_shared_key, else 0" },
			{ "alert_by_device", CIOT_COLUMN_TEXT,
			  "alerts the device sent, in order, comma-separated (up to 4): fatal:unknown_ca, "
			  "warning:close_notify or encrypted; \"\" for none" },
			{ "alert_by_server", CIOT_COLUMN_TEXT, "alerts the remote end sent, the same way; \"\" for none" },
			{ "leaf_sha256", CIOT_COLUMN_TEXT,
			  "SHA-256 of the server's certificate (lower-case hex), the certificates export's key" },
			{ "findings", CIOT_COLUMN_TEXT,
			  "what is wrong with the leaf (weak-signature, weak-key, self-signed, long-validity) and "
			  "its chain (expired, not-yet-valid, untrusted, name-mismatch), comma-separated; \"\" for "
			  "none; empty without a leaf" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "protocol", CIOT_COLUMN_TEXT, "tls, dtls or quic" },
			{ "client", CIOT_COLUMN_TEXT,
			  "who sent the ClientHello: device or remote (without one, the flow's initiator)" },
			{ "outcome", CIOT_COLUMN_TEXT,
			  "communicates (data both ways), handshake-only (the device's Finished, no data), "
			  "client-alert, client-closed (FIN or RST first, no alert), server-failure (the server's "
			  "alert or close), no-server-hello, incomplete (the capture ended in the handshake) or "
			  "no-client-hello (began before the capture), docs/tls.md; empty for QUIC" },
			{ "first_ts", CIOT_COLUMN_TIME_US, "time of the connection's first packet" },
			{ "interception", CIOT_COLUMN_TEXT,
			  "the certificate-interception test tag of the connection's capture (its certificates are "
			  "the interceptor's); empty for lifecycle captures" },
		},
		CIOT_CAPTURES_TAGGED,
	},
	{
		"certificates",
		"every certificate presented, once: subject, issuer, validity, signature algorithm, key, the "
		"certificate's own findings, and how many devices and connections saw it",
		"SELECT c.sha256, c.subject, c.issuer, c.not_before, c.not_after, c.validity_days, c.sig_alg,"
		" c.key_type, c.key_bits, c.self_signed, c.ca, c.findings, c.sans,"
		" (SELECT count(DISTINCT v.device_id) FROM tls_chains ch JOIN tls_view v USING (flow_id)"
		" WHERE ch.sha256 = c.sha256 AND v.interception IS NULL),"
		" (SELECT count(DISTINCT ch.flow_id) FROM tls_chains ch JOIN tls_view v USING (flow_id)"
		" WHERE ch.sha256 = c.sha256 AND v.interception IS NULL),"
		" c.parse_error, (SELECT count(DISTINCT ch.flow_id) FROM tls_chains ch JOIN tls_view v USING (flow_id)"
		" WHERE ch.sha256 = c.sha256 AND v.interception IS NOT NULL)"
		" FROM certificates c ORDER BY c.ca, c.subject, c.sha256",
		0,
		{
			{ "sha256", CIOT_COLUMN_TEXT, "SHA-256 of the certificate's DER, lower-case hex" },
			{ "subject", CIOT_COLUMN_TEXT, "the subject, RFC 2253" },
			{ "issuer", CIOT_COLUMN_TEXT, "the issuer, RFC 2253" },
			{ "not_before", CIOT_COLUMN_TEXT, "start of validity, ISO 8601 UTC" },
			{ "not_after", CIOT_COLUMN_TEXT, "end of validity, ISO 8601 UTC" },
			{ "validity_days", CIOT_COLUMN_INT, "whole days from not_before to not_after" },
			{ "sig_alg", CIOT_COLUMN_TEXT,
			  "the signature algorithm, OpenSSL's name (sha256WithRSAEncryption)" },
			{ "key_type", CIOT_COLUMN_TEXT, "RSA, EC, DSA, Ed25519..." },
			{ "key_bits", CIOT_COLUMN_INT, "the key's size in bits" },
			{ "self_signed", CIOT_COLUMN_INT, "1 when self-signed, else 0" },
			{ "ca", CIOT_COLUMN_INT, "1 for a CA certificate, else 0" },
			{ "findings", CIOT_COLUMN_TEXT,
			  "the certificate's own problems: weak-signature, weak-key, self-signed, long-validity, "
			  "comma-separated; \"\" for none" },
			{ "sans", CIOT_COLUMN_TEXT, "its subject alternative names, DNS:...,IP:...; \"\" for none" },
			{ "devices", CIOT_COLUMN_INT,
			  "devices with a connection of a lifecycle capture whose chains hold it" },
			{ "connections", CIOT_COLUMN_INT,
			  "connections of lifecycle captures whose chains (either side's) hold it" },
			{ "parse_error", CIOT_COLUMN_TEXT,
			  "why OpenSSL refused it (the other fields are then empty); else empty" },
			{ "interception_connections", CIOT_COLUMN_INT,
			  "connections of certificate-interception captures whose chains hold it (an interceptor's "
			  "certificate has only these)" },
		},
		CIOT_CAPTURES_SPLIT,
	},
	{
		"protocols",
		"devices using each encryption protocol (Table 3): the TLS versions negotiated, DTLS, QUIC and "
		"proprietary encryption, in all captures and before and after firmware updates, with the "
		"devices whose highest offered version it was",
		"WITH scoped AS (SELECT 'all' AS scope, v.* FROM tls_view v WHERE v.interception IS NULL"
		" UNION ALL SELECT 'firmware-' || v.firmware, v.* FROM tls_view v WHERE v.firmware IS NOT NULL"
		" AND v.interception IS NULL),"
		" used AS (SELECT scope, CASE protocol WHEN 'tls' THEN version WHEN 'dtls' THEN 'DTLS' ELSE 'QUIC' END"
		" AS proto, device_id FROM scoped WHERE protocol <> 'tls' OR version IS NOT NULL"
		" UNION ALL SELECT 'all', 'proprietary', d.id FROM flows f JOIN captures c ON c.id = f.capture_id"
		" JOIN devices d ON d.id = c.device_id WHERE f.proprietary_encryption AND c.interception IS NULL"
		" UNION ALL SELECT 'firmware-' || c.firmware, 'proprietary', d.id FROM flows f"
		" JOIN captures c ON c.id = f.capture_id JOIN devices d ON d.id = c.device_id"
		" WHERE f.proprietary_encryption AND c.firmware IS NOT NULL AND c.interception IS NULL),"
		" offered AS (SELECT scope, highest_offered AS proto, device_id FROM scoped WHERE protocol = 'tls' AND client_hello AND client = 'device'),"
		" protos(proto, ord) AS (VALUES ('TLS1.3', 1), ('TLS1.2', 2), ('TLS1.1', 3), ('TLS1.0', 4),"
		" ('SSLv3', 5), ('SSLv2', 6), ('DTLS', 7), ('QUIC', 8), ('proprietary', 9)),"
		" scopes AS (SELECT 'all' AS scope, count(DISTINCT device_id) AS k FROM captures"
		" WHERE interception IS NULL UNION ALL SELECT 'firmware-' || firmware, count(DISTINCT device_id)"
		" FROM captures WHERE firmware IS NOT NULL AND interception IS NULL GROUP BY firmware)"
		" SELECT s.scope, p.proto, (SELECT count(DISTINCT u.device_id) FROM used u WHERE u.scope = s.scope"
		" AND u.proto = p.proto), (SELECT count(*) FROM used u WHERE u.scope = s.scope AND u.proto = p.proto),"
		" (SELECT count(DISTINCT o.device_id) FROM offered o WHERE o.scope = s.scope AND o.proto = p.proto),"
		" s.k FROM scopes s CROSS JOIN protos p ORDER BY s.scope <> 'all', s.scope DESC, p.ord",
		0,
		{
			{ "scope", CIOT_COLUMN_TEXT,
			  "all (every capture), or firmware-pre / firmware-post (the captures so tagged)" },
			{ "protocol", CIOT_COLUMN_TEXT,
			  "TLS1.3, TLS1.2, TLS1.1, TLS1.0, SSLv3, SSLv2 (negotiated), DTLS, QUIC, or proprietary "
			  "(encryption on no known protocol)" },
			{ "devices", CIOT_COLUMN_INT, "devices that used it at least once in the scope" },
			{ "connections", CIOT_COLUMN_INT, "its connections (proprietary: flows) in the scope" },
			{ "devices_highest_offer", CIOT_COLUMN_INT,
			  "devices that sent, as the client, a ClientHello whose highest offered version it is" },
			{ "devices_in_scope", CIOT_COLUMN_INT, "devices with a capture in the scope" },
		},
		CIOT_CAPTURES_LIFECYCLE,
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
		0,
		{
			{ "version", CIOT_COLUMN_TEXT,
			  "all, or the negotiated version (TLS1.2...) the connections are limited to" },
			{ "issue", CIOT_COLUMN_TEXT,
			  "insecure-signature, insecure-key, self-signed, long-validity, expired, not-yet-valid, "
			  "untrusted or name-mismatch (docs/tls.md)" },
			{ "category", CIOT_COLUMN_TEXT, "the device category" },
			{ "devices", CIOT_COLUMN_INT,
			  "the category's devices whose servers presented a chain with the issue at least once" },
			{ "devices_with_certificates", CIOT_COLUMN_INT,
			  "the category's devices that, as the client, were presented certificates in this version "
			  "scope" },
			{ "connections", CIOT_COLUMN_INT,
			  "connections, the device the client, whose server chain had the issue" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	{
		"validation",
		"what devices did after a replaced certificate, in the certificate-interception captures (Table "
		"5): per behaviour the devices and device-server pairs (guides/certificate-interception.md)",
		"WITH " VALIDATION_PAIRS
		" SELECT interception, behaviour, count(DISTINCT device_id), count(*),"
		" sum(intercepted = 'unknown' AND rank <= 5) FROM pairs"
		" GROUP BY interception, behaviour ORDER BY interception, min(rank), count(*) DESC, behaviour",
		0,
		{
			{ "interception", CIOT_COLUMN_TEXT, "the certificate-interception test tag" },
			{ "behaviour", CIOT_COLUMN_TEXT,
			  "what the device did, as the paper names it, from the pair's best outcome: communicates "
			  "normally, accepts the certificate, sends no data, alert: <the device's first alert> "
			  "(alert: unknown_ca, alert: encrypted), disconnects and reconnects (closed without an alert, "
			  "more than one attempt), disconnects, server handshake failure, not intercepted (the real "
			  "certificate reached it), cannot connect, capture ended in the handshake, no handshake seen "
			  "(docs/tls.md)" },
			{ "devices", CIOT_COLUMN_INT, "devices with a pair of this behaviour" },
			{ "servers", CIOT_COLUMN_INT,
			  "device-server pairs of this behaviour (a server is the SNI, else the address)" },
			{ "unconfirmed", CIOT_COLUMN_INT,
			  "of these pairs, those whose deciding connection did not show the server's certificate "
			  "(TLS 1.3, resumption): counted as if it met the interceptor's, not known to have; 0 "
			  "for behaviours that involve no certificate" },
		},
		CIOT_CAPTURES_INTERCEPTION,
	},
	{
		"validation-pairs",
		"each device-server pair of the certificate-interception captures: its behaviour, the outcome "
		"of the connection that decided it, the alerts, and how many connections were tried",
		"WITH " VALIDATION_PAIRS
		" SELECT device, category, interception, server, behaviour, outcome, attempts, client_alerts,"
		" server_alerts, first_us, intercepted FROM pairs ORDER BY device, interception, rank, server",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "interception", CIOT_COLUMN_TEXT, "the certificate-interception test tag" },
			{ "server", CIOT_COLUMN_TEXT, "the SNI, else the server's address" },
			{ "behaviour", CIOT_COLUMN_TEXT, "what the device did, as the validation export names it" },
			{ "outcome", CIOT_COLUMN_TEXT,
			  "the outcome of the connection that decided the behaviour (the first in docs/tls.md's "
			  "order)" },
			{ "connections", CIOT_COLUMN_INT,
			  "the pair's connections in the test (the device the client)" },
			{ "alert_by_device", CIOT_COLUMN_TEXT,
			  "alerts the device sent on the deciding connection, level:name comma-separated; \"\" for "
			  "none" },
			{ "alert_by_server", CIOT_COLUMN_TEXT,
			  "alerts the server (or the interceptor) sent on it; \"\" for none" },
			{ "first_ts", CIOT_COLUMN_TIME_US, "time of the deciding connection's first packet" },
			{ "intercepted", CIOT_COLUMN_TEXT,
			  "whether the deciding connection's server presented the interceptor's certificate: yes, "
			  "no (the behaviour is then 'not intercepted'), unknown (no certificate seen: TLS 1.3, "
			  "resumption, no handshake)" },
		},
		CIOT_CAPTURES_INTERCEPTION,
	},
	{
		"pii",
		"personal data found in clear text (section 4.4): per device, phase, kind, how it was found "
		"(pattern or the researcher's seed), where in the message, direction, protocol and remote "
		"domain, the matches, distinct values and flows, and a redacted example (docs/pii.md)",
		"SELECT v.device, v.category, v.phase, v.kind, v.method, v.location, v.direction, v.app_proto,"
		" coalesce(t.domain, t.name, v.remote_ip), sum(v.count), count(DISTINCT v.value_hash),"
		" count(DISTINCT v.flow_id), min(v.value_hint), c.interception FROM pii_view v"
		" JOIN flows f ON f.id = v.flow_id JOIN captures c ON c.id = f.capture_id LEFT JOIN destinations t"
		" ON t.flow_id = v.flow_id GROUP BY v.device, v.phase, v.kind, v.method, v.location, v.direction,"
		" v.app_proto, 9, c.interception ORDER BY v.device, " PHASE_ORDER("v.phase") ", v.kind, sum(v.count) DESC, 9",
		0,
		{
			{ "device", CIOT_COLUMN_TEXT, "the device's id" },
			{ "category", CIOT_COLUMN_TEXT, "the device's category" },
			{ "phase", CIOT_COLUMN_TEXT, "the lifecycle phase: setup, interaction, idle or deletion" },
			{ "kind", CIOT_COLUMN_TEXT,
			  "email, phone, mac, uuid, imei, cn-id, geo, private-ip, wifi-ssid, password, or a seed's "
			  "field: wifi-password, name, address, device-name, account-id (docs/pii.md)" },
			{ "source", CIOT_COLUMN_TEXT,
			  "pattern (found by its form) or seed (a value the researcher gave, or the device's MAC)" },
			{ "location", CIOT_COLUMN_TEXT,
			  "where in the message: url, header, body, topic, dns or payload" },
			{ "direction", CIOT_COLUMN_TEXT, "out (sent by the device) or in" },
			{ "protocol", CIOT_COLUMN_TEXT, "nDPI's application protocol of the flow" },
			{ "remote_domain", CIOT_COLUMN_TEXT,
			  "the remote end's registrable domain, else its host name, else its address" },
			{ "matches", CIOT_COLUMN_INT, "matches found" },
			{ "values", CIOT_COLUMN_INT, "distinct values (by keyed hash)" },
			{ "flows", CIOT_COLUMN_INT, "flows they were found in" },
			{ "example", CIOT_COLUMN_TEXT,
			  "one value redacted (the first in sort order): its first and last character and length, as "
			  "j…n (8)" },
			{ "interception", CIOT_COLUMN_TEXT,
			  "the certificate-interception test tag of the flows' captures; empty for lifecycle captures" },
		},
		CIOT_CAPTURES_TAGGED,
	},
	{
		"pii-kinds",
		"per device category and kind of personal data: the devices that exposed it in clear text out "
		"of the category's devices, the matches and the distinct values; category 'all' sums every "
		"category",
		"WITH lifecycle AS (SELECT * FROM pii_view WHERE " LIFECYCLE_FLOW("flow_id") "),"
		" hits AS (SELECT category, device_id, kind, count, value_hash FROM lifecycle"
		" UNION ALL SELECT 'all', device_id, kind, count, value_hash FROM lifecycle),"
		" devs AS (SELECT d.category AS category, count(DISTINCT d.id) AS n FROM devices d"
		" JOIN captures c ON c.device_id = d.id WHERE c.interception IS NULL GROUP BY d.category UNION ALL"
		" SELECT 'all', count(DISTINCT device_id) FROM captures WHERE interception IS NULL)"
		" SELECT h.category, h.kind, count(DISTINCT h.device_id), devs.n, sum(h.count),"
		" count(DISTINCT h.value_hash) FROM hits h JOIN devs USING (category)"
		" GROUP BY h.category, h.kind ORDER BY h.category = 'all', h.category, sum(h.count) DESC, h.kind",
		0,
		{
			{ "category", CIOT_COLUMN_TEXT, "the device category; all sums every category" },
			{ "kind", CIOT_COLUMN_TEXT, "the kind of personal data (as in the pii export)" },
			{ "devices", CIOT_COLUMN_INT,
			  "devices of the category that sent or received it in clear text" },
			{ "devices_in_category", CIOT_COLUMN_INT, "the category's devices with a capture" },
			{ "matches", CIOT_COLUMN_INT, "matches found" },
			{ "values", CIOT_COLUMN_INT, "distinct values (by keyed hash), over the category's devices" },
		},
		CIOT_CAPTURES_LIFECYCLE,
	},
	REFERENCE_QUERY,
	{
		"shaping",
		"how well activity inference does on unshaped and shaped traffic (ciot-shape score --store): "
		"each attacker's ROC AUC per window length, averaged over the simulated seeds",
		"SELECT r.id, r.device, r.interval_up, r.size_up, r.interval_down, r.size_down, r.tls, r.legacy_header,"
		" s.trace, s.window_s, s.attacker, count(*), max(s.active_windows), max(s.idle_windows), max(s.events),"
		" avg(s.auc), avg(s.auc_low), avg(s.auc_high), min(s.auc), max(s.auc), avg(s.tpr_at_1pct_fpr),"
		" r.cover_size_auc, r.cover_size_auc_low, r.cover_size_auc_high"
		" FROM shaping_scores s JOIN shaping_runs r ON r.id = s.run_id"
		" GROUP BY r.id, s.trace, s.window_s, s.attacker"
		" ORDER BY r.id, s.trace DESC, s.window_s, CASE s.attacker WHEN 'rate' THEN 1 WHEN 'size' THEN 2"
		" WHEN 'timing' THEN 3 ELSE 4 END",
		0,
		{
			{ "run", CIOT_COLUMN_INT, "the ciot-shape run (one score --store): its settings are the next columns" },
			{ "device", CIOT_COLUMN_TEXT, "the device's address in the captures" },
			{ "interval_up", CIOT_COLUMN_TEXT, "seconds between the device's records: constant:V, uniform:LOW,HIGH, normal:MEAN,SD or empirical" },
			{ "size_up", CIOT_COLUMN_TEXT, "bytes of the device's records, ciot's 6-byte header included" },
			{ "interval_down", CIOT_COLUMN_TEXT, "seconds between records to the device" },
			{ "size_down", CIOT_COLUMN_TEXT, "bytes of records to the device" },
			{ "tls", CIOT_COLUMN_INT, "1 when TLS 1.3's 22 bytes per record were counted" },
			{ "legacy_header", CIOT_COLUMN_INT,
			  "1 when the original library's ASCII header was simulated (to show its leak)" },
			{ "trace", CIOT_COLUMN_TEXT, "unshaped (the captures as they are) or shaped" },
			{ "window_s", CIOT_COLUMN_REAL3, "the window's length in seconds" },
			{ "attacker", CIOT_COLUMN_TEXT,
			  "rate (bytes per second, threshold learned on idle), size (naive Bayes over packet sizes), "
			  "timing (naive Bayes over gaps) or classifier (logistic regression on eight features)" },
			{ "seeds", CIOT_COLUMN_INT, "simulations averaged (1 for the unshaped trace)" },
			{ "active_windows", CIOT_COLUMN_INT, "windows of user activity scored (sliding windows overlap)" },
			{ "idle_windows", CIOT_COLUMN_INT, "idle windows scored" },
			{ "events", CIOT_COLUMN_INT, "labelled steps the windows come from: each fold leaves one active and one idle step out" },
			{ "auc", CIOT_COLUMN_REAL3, "ROC AUC of active against idle windows, mean over seeds: 0.5 is chance, 1 perfect" },
			{ "auc_low", CIOT_COLUMN_REAL3, "low end of its interval (mean over seeds; see docs/shaping.md for its coverage)" },
			{ "auc_high", CIOT_COLUMN_REAL3, "high end of its interval" },
			{ "auc_min", CIOT_COLUMN_REAL3, "the lowest AUC of a single seed" },
			{ "auc_max", CIOT_COLUMN_REAL3, "the highest AUC of a single seed" },
			{ "tpr_at_1pct_fpr", CIOT_COLUMN_SHARE, "share of active windows found when 1% of idle windows may be flagged" },
			{ "cover_size_auc", CIOT_COLUMN_REAL3,
			  "ROC AUC of record size for data against cover records (first seed): 0.5 means size cannot tell them apart" },
			{ "cover_size_auc_low", CIOT_COLUMN_REAL3, "its interval's low end" },
			{ "cover_size_auc_high", CIOT_COLUMN_REAL3, "its interval's high end" },
		},
	CIOT_CAPTURES_NONE,
	},
	{
		"shaping-cost",
		"what shaping costs (ciot-shape score --store): overhead and delays per direction, averaged over "
		"the simulated seeds, with the analytic expectation",
		"SELECT r.id, r.device, r.interval_up, r.size_up, r.interval_down, r.size_down, r.tls, c.direction,"
		" count(*), avg(c.observed_s), avg(c.original_wire_bytes / c.observed_s),"
		" avg(c.wire_bytes / c.observed_s), avg(c.overhead_bps), avg(c.expected_overhead_bps),"
		" avg(c.overhead_bps) * 2592000 / 1e9, sum(c.messages), sum(c.refused), avg(c.delay_p50_ms),"
		" avg(c.delay_p95_ms), avg(c.delay_p99_ms), max(c.delay_max_ms), max(c.queue_peak_bytes), max(c.drain_s)"
		" FROM shaping_costs c JOIN shaping_runs r ON r.id = c.run_id GROUP BY r.id, c.direction"
		" ORDER BY r.id, c.direction",
		0,
		{
			{ "run", CIOT_COLUMN_INT, "the ciot-shape run" },
			{ "device", CIOT_COLUMN_TEXT, "the device's address in the captures" },
			{ "interval_up", CIOT_COLUMN_TEXT, "seconds between the device's records" },
			{ "size_up", CIOT_COLUMN_TEXT, "bytes of the device's records" },
			{ "interval_down", CIOT_COLUMN_TEXT, "seconds between records to the device" },
			{ "size_down", CIOT_COLUMN_TEXT, "bytes of records to the device" },
			{ "tls", CIOT_COLUMN_INT, "1 when TLS 1.3's 22 bytes per record were counted" },
			{ "direction", CIOT_COLUMN_TEXT, "from_device or to_device" },
			{ "seeds", CIOT_COLUMN_INT, "simulations averaged" },
			{ "observed_s", CIOT_COLUMN_REAL3, "seconds the captures saw (rates are over them, not over the gaps between captures)" },
			{ "original_bps", CIOT_COLUMN_REAL3, "the unshaped traffic's bytes per second in this direction, every header counted" },
			{ "shaped_bps", CIOT_COLUMN_REAL3,
			  "the shaped traffic's bytes per second while observed (Ethernet, IP, TCP and the record)" },
			{ "overhead_bps", CIOT_COLUMN_REAL3, "shaped minus original bytes per second" },
			{ "expected_overhead_bps", CIOT_COLUMN_REAL3,
			  "mean record bytes on the wire over the mean interval, minus the original rate" },
			{ "overhead_gb_month", CIOT_COLUMN_REAL3, "the overhead over 30 days, in GB (10^9 bytes)" },
			{ "messages", CIOT_COLUMN_INT, "messages queued, summed over seeds" },
			{ "refused", CIOT_COLUMN_INT, "messages a full queue refused, summed over seeds" },
			{ "delay_p50_ms", CIOT_COLUMN_REAL3, "median delay of a message, first byte queued to last byte sent" },
			{ "delay_p95_ms", CIOT_COLUMN_REAL3, "95th percentile of that delay" },
			{ "delay_p99_ms", CIOT_COLUMN_REAL3, "99th percentile of that delay" },
			{ "delay_max_ms", CIOT_COLUMN_REAL3, "the longest delay of any seed" },
			{ "queue_peak_bytes", CIOT_COLUMN_INT, "the most bytes waiting at once, over seeds" },
			{ "drain_s", CIOT_COLUMN_REAL3, "seconds the queue took to empty after the last original packet, over seeds" },
		},
	CIOT_CAPTURES_NONE,
	},
};

#define NQUERIES (sizeof queries / sizeof queries[0])

const struct ciot_query *ciot_query_get(size_t i)
{
	return i < NQUERIES ? &queries[i] : NULL;
}

const struct ciot_query *ciot_query_find(const char *name)
{
	for (size_t i = 0; i < NQUERIES; i++)
		if (!strcmp(queries[i].name, name))
			return &queries[i];
	return NULL;
}

size_t ciot_query_count_columns(const struct ciot_query *q)
{
	size_t n = 0;
	while (n < CIOT_QUERY_MAX_COLUMNS && q->columns[n].name)
		n++;
	return n;
}

const char *ciot_query_param_name(enum ciot_query_param param, const char **doc)
{
	static const struct {
		enum ciot_query_param param;
		const char *name, *doc;
	} params[] = {
		{ CIOT_QUERY_HOME, ":home",
		  "the home country, outside of which traffic is overseas: --home, else the manifest's home_country, "
		  "else CN" },
		{ CIOT_QUERY_FOLD, ":fold", "1 with --fold-greater-china: Hong Kong, Macao and Taiwan count as CN" },
	};
	for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
		if (params[i].param == param) {
			if (doc)
				*doc = params[i].doc;
			return params[i].name;
		}
	return NULL;
}

const char *ciot_query_captures_doc(enum ciot_query_captures captures)
{
	switch (captures) {
	case CIOT_CAPTURES_NONE: return NULL;
	case CIOT_CAPTURES_ALL: return "every capture, certificate-interception tests too";
	case CIOT_CAPTURES_LIFECYCLE:
		return "lifecycle captures only: certificate-interception test captures are left out (the "
		       "validation exports hold them)";
	case CIOT_CAPTURES_TAGGED:
		return "every capture; a row of a certificate-interception test capture has its tag in the "
		       "interception column (empty for lifecycle captures): filter on it to keep them apart";
	case CIOT_CAPTURES_SPLIT:
		return "lifecycle captures in devices and connections, certificate-interception test captures "
		       "in a column of their own";
	case CIOT_CAPTURES_INTERCEPTION: return "certificate-interception test captures only";
	case CIOT_CAPTURES_BY_MEASURE:
		return "the certificate-validation figures certificate-interception test captures only, every "
		       "other figure lifecycle captures only";
	}
	return NULL;
}

const char *ciot_query_kind_name(enum ciot_column_kind kind)
{
	switch (kind) {
	case CIOT_COLUMN_TEXT: return "text";
	case CIOT_COLUMN_INT: return "int";
	case CIOT_COLUMN_TIME_US: return "time_us";
	case CIOT_COLUMN_REAL3: return "real3";
	case CIOT_COLUMN_SHARE: return "share";
	}
	return "?";
}
