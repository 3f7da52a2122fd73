/* firmware-queries.h: the before-and-after exports of a firmware update (report library, internal;
 * included by queries.c, the registry, where FIRMWARE_QUERIES are two of its rows).
 *
 * A capture tagged `firmware` pre or post (docs/database.md) was made before or after the device's
 * firmware update; the lifecycle paper compares the two for its 10 updating devices (sections 3.1,
 * 3.2, 4.1 and 4.2: overseas traffic, third parties, encrypted share, protocols). These exports do
 * it per device, in one database, for every device with lifecycle captures of both tags:
 *   - firmware: one row per device: captures, servers (as parties counts them: a registrable domain,
 *     else an address) pre and post with those added and removed, servers per party, the overseas
 *     share of bytes (as countries computes it), the byte shares of encrypted, unencrypted and unknown
 *     payload (as encryption-firmware), and the protocols used (as protocols names them);
 *   - firmware-destinations: one row per device and server: added, removed or kept, with its party,
 *     flows and bytes each side.
 * The shares are the device's own over the captures of each tag, whatever their phases. Certificate-
 * interception captures are left out. encryption-firmware (queries.c) has the class groups' packets
 * and bytes in long form; protocols' firmware-pre and firmware-post scopes count devices.
 */
#ifndef CIOT_REPORT_FIRMWARE_QUERIES_H
#define CIOT_REPORT_FIRMWARE_QUERIES_H

/* The lifecycle captures of devices with both tags, and per device, tag and server: party (the
 * server's party as the destinations stage decided it), organizations, countries, flows, bytes. */
#define FW_BASE                                                                                            \
	"fwcap AS (SELECT c.id AS capture_id, c.device_id AS device_id, c.firmware AS firmware FROM captures c" \
	" WHERE c.interception IS NULL AND c.firmware IN ('pre', 'post') AND c.device_id IN (SELECT device_id"  \
	" FROM captures WHERE interception IS NULL AND firmware IN ('pre', 'post') GROUP BY device_id"           \
	" HAVING count(DISTINCT firmware) = 2)),"                                                              \
	" fwsrv AS (SELECT k.device_id AS device_id, k.firmware AS firmware, coalesce(t.domain, f.remote_ip)"   \
	" AS server, max(t.party) AS party, group_concat(DISTINCT t.organization) AS organization,"            \
	" group_concat(DISTINCT t.country) AS country, count(*) AS flows, sum(f.bytes_out + f.bytes_in) AS bytes" \
	" FROM fwcap k JOIN flows f ON f.capture_id = k.capture_id JOIN destinations t ON t.flow_id = f.id"    \
	" WHERE t.party IN ('first', 'support', 'third') GROUP BY k.device_id, k.firmware, 3),"                \
	" fwpair AS (SELECT device_id, server, max(firmware = 'pre') AS pre, max(firmware = 'post') AS post"    \
	" FROM fwsrv GROUP BY device_id, server)"

/* The protocols a device used with a tag, as the protocols export names them, listed in its order
 * where `cond` holds (pre, post, post AND NOT pre...); "" for none. */
#define FW_PROTO(name, cond) "CASE WHEN sum(proto = '" name "' AND (" cond ")) > 0 THEN '" name ",' ELSE '' END"
#define FW_PROTOCOLS(cond)                                                                                 \
	"rtrim(" FW_PROTO("TLS1.3", cond) " || " FW_PROTO("TLS1.2", cond) " || " FW_PROTO("TLS1.1", cond)     \
	" || " FW_PROTO("TLS1.0", cond) " || " FW_PROTO("SSLv3", cond) " || " FW_PROTO("SSLv2", cond) " || "  \
	FW_PROTO("DTLS", cond) " || " FW_PROTO("QUIC", cond) " || " FW_PROTO("proprietary", cond) ", ',')"

#define FW_COUNT(table, cond) "(SELECT count(*) FROM " table " x WHERE x.device_id = d.id AND " cond ")"

/* A class group's byte share with a tag: its bytes / the bytes of every class (omitted too). */
#define FW_SHARE(group) "CAST(sum(CASE WHEN x.class IN (" group ") THEN x.bytes ELSE 0 END) AS REAL) / sum(x.bytes)"

#define FIRMWARE_SQL                                                                                       \
	"WITH " FW_BASE ","                                                                                    \
	" ext AS (SELECT k.device_id AS device_id, k.firmware AS firmware, sum(f.bytes_out + f.bytes_in) AS n,"  \
	" sum(CASE WHEN t.country <> 'unknown' AND (CASE WHEN :fold AND t.country IN ('HK', 'MO', 'TW')"        \
	" THEN 'CN' ELSE t.country END) <> :home THEN f.bytes_out + f.bytes_in ELSE 0 END) AS m FROM fwcap k"   \
	" JOIN flows f ON f.capture_id = k.capture_id JOIN destinations t ON t.flow_id = f.id"                 \
	" WHERE t.country <> 'local' AND t.party IS NOT 'lab' GROUP BY k.device_id, k.firmware),"              \
	" enc AS (SELECT k.device_id AS device_id, k.firmware AS firmware, " FW_SHARE("'encrypted'") " AS e,"   \
	" " FW_SHARE("'text', 'compressed', 'media'") " AS u, " FW_SHARE("'unknown'") " AS x FROM fwcap k"    \
	" JOIN flows f ON f.capture_id = k.capture_id JOIN flow_classes x ON x.flow_id = f.id"                 \
	" GROUP BY k.device_id, k.firmware),"                                                                  \
	" used AS (SELECT v.device_id AS device_id, v.firmware AS firmware, CASE v.protocol WHEN 'tls' THEN"   \
	" v.version WHEN 'dtls' THEN 'DTLS' ELSE 'QUIC' END AS proto FROM tls_view v WHERE v.interception IS NULL" \
	" AND v.firmware IN ('pre', 'post') AND (v.protocol <> 'tls' OR v.version IS NOT NULL)"                \
	" AND v.device_id IN (SELECT device_id FROM fwcap)"                                                    \
	" UNION SELECT k.device_id, k.firmware, 'proprietary' FROM fwcap k JOIN flows f ON f.capture_id = k.capture_id" \
	" WHERE f.proprietary_encryption),"                                                                    \
	" pp AS (SELECT device_id, proto, max(firmware = 'pre') AS pre, max(firmware = 'post') AS post FROM used" \
	" GROUP BY device_id, proto),"                                                                         \
	" plist AS (SELECT device_id, " FW_PROTOCOLS("pre") " AS pre, " FW_PROTOCOLS("post") " AS post, "     \
	FW_PROTOCOLS("post AND NOT pre") " AS added, " FW_PROTOCOLS("pre AND NOT post") " AS dropped"          \
	" FROM pp GROUP BY device_id)"                                                                         \
	" SELECT d.name, d.category, " FW_COUNT("fwcap", "x.firmware = 'pre'") ", "                           \
	FW_COUNT("fwcap", "x.firmware = 'post'") ", " FW_COUNT("fwpair", "x.pre") ", " FW_COUNT("fwpair", "x.post") \
	", " FW_COUNT("fwpair", "x.post AND NOT x.pre") ", " FW_COUNT("fwpair", "x.pre AND NOT x.post") ", "   \
	FW_COUNT("fwsrv", "x.firmware = 'pre' AND x.party = 'first'") ", "                                    \
	FW_COUNT("fwsrv", "x.firmware = 'post' AND x.party = 'first'") ", "                                   \
	FW_COUNT("fwsrv", "x.firmware = 'pre' AND x.party = 'support'") ", "                                  \
	FW_COUNT("fwsrv", "x.firmware = 'post' AND x.party = 'support'") ", "                                 \
	FW_COUNT("fwsrv", "x.firmware = 'pre' AND x.party = 'third'") ", "                                    \
	FW_COUNT("fwsrv", "x.firmware = 'post' AND x.party = 'third'") ","                                    \
	" CAST(xa.m AS REAL) / xa.n, CAST(xb.m AS REAL) / xb.n, ea.e, eb.e, eb.e - ea.e, ea.u, eb.u, eb.u - ea.u," \
	" ea.x, eb.x, coalesce(pl.pre, ''), coalesce(pl.post, ''), coalesce(pl.added, ''), coalesce(pl.dropped, '')" \
	" FROM devices d LEFT JOIN ext xa ON xa.device_id = d.id AND xa.firmware = 'pre'"                      \
	" LEFT JOIN ext xb ON xb.device_id = d.id AND xb.firmware = 'post'"                                    \
	" LEFT JOIN enc ea ON ea.device_id = d.id AND ea.firmware = 'pre'"                                     \
	" LEFT JOIN enc eb ON eb.device_id = d.id AND eb.firmware = 'post'"                                    \
	" LEFT JOIN plist pl ON pl.device_id = d.id WHERE d.id IN (SELECT device_id FROM fwcap) ORDER BY d.name"

#define FIRMWARE_DESTINATIONS_SQL                                                                          \
	"WITH " FW_BASE                                                                                        \
	" SELECT d.name, d.category, p.server, CASE WHEN NOT p.pre THEN 'added' WHEN NOT p.post THEN 'removed'" \
	" ELSE 'kept' END, a.party, b.party, coalesce(b.organization, a.organization),"                        \
	" coalesce(b.country, a.country), coalesce(a.flows, 0), coalesce(b.flows, 0), coalesce(a.bytes, 0),"   \
	" coalesce(b.bytes, 0) FROM fwpair p JOIN devices d ON d.id = p.device_id"                             \
	" LEFT JOIN fwsrv a ON a.device_id = p.device_id AND a.server = p.server AND a.firmware = 'pre'"       \
	" LEFT JOIN fwsrv b ON b.device_id = p.device_id AND b.server = p.server AND b.firmware = 'post'"      \
	" ORDER BY d.name, CASE WHEN NOT p.pre THEN 2 WHEN NOT p.post THEN 1 ELSE 3 END,"                      \
	" coalesce(b.bytes, 0) + coalesce(a.bytes, 0) DESC, p.server"

#define FW_SHARE_DOC(what, side) "byte share of " what " payload in the " side "-update captures (as encryption-firmware: the group's frame bytes / the bytes of every class)"

#define FIRMWARE_QUERIES                                                                                   \
	{                                                                                                      \
		"firmware",                                                                                    \
		"each device with captures tagged both before and after a firmware update: servers added and "   \
		"removed, servers per party, overseas share, encrypted, unencrypted and unknown shares, and "    \
		"the protocols used, pre and post with the differences",                                        \
		FIRMWARE_SQL,                                                                                  \
		CIOT_QUERY_HOME | CIOT_QUERY_FOLD,                                                             \
		{                                                                                              \
			{ "device", CIOT_COLUMN_TEXT, "the device's id (a device with lifecycle captures tagged pre and post)" }, \
			{ "category", CIOT_COLUMN_TEXT, "the device category" },                               \
			{ "captures_pre", CIOT_COLUMN_INT, "its captures tagged pre (before the update)" },    \
			{ "captures_post", CIOT_COLUMN_INT, "its captures tagged post (after the update)" },   \
			{ "servers_pre", CIOT_COLUMN_INT,                                                      \
			  "servers with a party (first, support, third: a registrable domain, else an address, as " \
			  "in parties) it exchanged traffic with before the update" },                         \
			{ "servers_post", CIOT_COLUMN_INT, "the same after the update" },                      \
			{ "servers_added", CIOT_COLUMN_INT, "servers after the update that it did not contact before" }, \
			{ "servers_removed", CIOT_COLUMN_INT, "servers before the update that it no longer contacted" }, \
			{ "first_pre", CIOT_COLUMN_INT, "first-party servers before" },                        \
			{ "first_post", CIOT_COLUMN_INT, "first-party servers after" },                        \
			{ "support_pre", CIOT_COLUMN_INT, "support-party servers before" },                    \
			{ "support_post", CIOT_COLUMN_INT, "support-party servers after" },                    \
			{ "third_pre", CIOT_COLUMN_INT, "third-party servers before" },                        \
			{ "third_post", CIOT_COLUMN_INT, "third-party servers after" },                        \
			{ "overseas_share_pre", CIOT_COLUMN_SHARE,                                             \
			  "bytes to public addresses outside the home country / bytes to every public address, "  \
			  "before (countries' plain share; unknown countries count in the total only; empty "  \
			  "without external traffic)" },                                                      \
			{ "overseas_share_post", CIOT_COLUMN_SHARE, "the same after" },                        \
			{ "encrypted_share_pre", CIOT_COLUMN_SHARE, FW_SHARE_DOC("encrypted", "pre") },        \
			{ "encrypted_share_post", CIOT_COLUMN_SHARE, FW_SHARE_DOC("encrypted", "post") },      \
			{ "encrypted_share_diff", CIOT_COLUMN_SHARE, "encrypted_share_post - encrypted_share_pre" }, \
			{ "unencrypted_share_pre", CIOT_COLUMN_SHARE,                                          \
			  FW_SHARE_DOC("unencrypted (text, compressed, media)", "pre") },                      \
			{ "unencrypted_share_post", CIOT_COLUMN_SHARE, FW_SHARE_DOC("unencrypted", "post") },  \
			{ "unencrypted_share_diff", CIOT_COLUMN_SHARE, "unencrypted_share_post - unencrypted_share_pre" }, \
			{ "unknown_share_pre", CIOT_COLUMN_SHARE, FW_SHARE_DOC("unknown", "pre") },            \
			{ "unknown_share_post", CIOT_COLUMN_SHARE, FW_SHARE_DOC("unknown", "post") },          \
			{ "protocols_pre", CIOT_COLUMN_TEXT,                                                   \
			  "encryption protocols used before, as protocols names them (TLS1.3 ... SSLv2 "       \
			  "negotiated, DTLS, QUIC, proprietary), comma-separated in that order; \"\" for none" }, \
			{ "protocols_post", CIOT_COLUMN_TEXT, "the same after; \"\" for none" },               \
			{ "protocols_added", CIOT_COLUMN_TEXT, "used after and not before; \"\" for none" },   \
			{ "protocols_dropped", CIOT_COLUMN_TEXT, "used before and not after; \"\" for none" }, \
		},                                                                                             \
		CIOT_CAPTURES_LIFECYCLE,                                                                       \
	},                                                                                                     \
	{                                                                                                      \
		"firmware-destinations",                                                                       \
		"each server of a device with captures tagged before and after a firmware update: added, "      \
		"removed or kept, its party, flows and bytes before and after",                                 \
		FIRMWARE_DESTINATIONS_SQL,                                                                     \
		0,                                                                                             \
		{                                                                                              \
			{ "device", CIOT_COLUMN_TEXT, "the device's id (a device with lifecycle captures tagged pre and post)" }, \
			{ "category", CIOT_COLUMN_TEXT, "the device category" },                               \
			{ "server", CIOT_COLUMN_TEXT,                                                          \
			  "a server with a party: its registrable domain, else its address (as parties counts them)" }, \
			{ "change", CIOT_COLUMN_TEXT,                                                          \
			  "added (contacted only after the update), removed (only before) or kept" },          \
			{ "party_pre", CIOT_COLUMN_TEXT, "its party before (first, support, third); empty when not contacted" }, \
			{ "party_post", CIOT_COLUMN_TEXT, "its party after; empty when not contacted" },        \
			{ "organization", CIOT_COLUMN_TEXT,                                                    \
			  "its organizations, comma-separated (after the update's, else before's)" },          \
			{ "countries", CIOT_COLUMN_TEXT, "its addresses' countries, comma-separated (after's, else before's)" }, \
			{ "flows_pre", CIOT_COLUMN_INT, "the device's flows to it before" },                   \
			{ "flows_post", CIOT_COLUMN_INT, "the device's flows to it after" },                   \
			{ "bytes_pre", CIOT_COLUMN_INT, "their frame bytes before, both directions" },         \
			{ "bytes_post", CIOT_COLUMN_INT, "their frame bytes after, both directions" },         \
		},                                                                                             \
		CIOT_CAPTURES_LIFECYCLE,                                                                       \
	}

#endif
