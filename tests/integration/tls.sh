#!/usr/bin/env bash
# The TLS audit against tshark and `openssl x509` on real captures of the corpus. For every TLS or
# DTLS connection in which tshark (run in this test) decodes a ServerHello, ciot's tls_connections
# row for the same connection (file, client address and port, server address and port) must have
# the version the ServerHello negotiated and the SNI of the ClientHello; where tshark decodes the
# server's Certificate message, ciot must have the same chain (the SHA-256 of every certificate, in
# order), and its certificates row for the leaf must agree with what openssl reads from the same
# DER bytes: signature algorithm, key type and size, notBefore, notAfter and the validity in days.
# And the other way, ciot reads no ServerHello that tshark does not. These are the inputs of the TLS
# exports (versions, certificate issues, validation outcomes), so they are checked against tools
# that share no code with ciot's parsers. Nothing expected is written here: all of it is measured
# from the captures by tshark and openssl in this run.
source "$(dirname "$0")/lib.sh"
need_corpus
for tool in tshark openssl perl sha256sum; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs tshark and openssl)" >&2; exit 1; }
done

# The captures: of the 137 files of the corpus in which tshark 4.0 decodes a TLS or DTLS ServerHello
# outside QUIC (found once, over all of ndpi/ and tcpdump/, with `tshark -Y '(tls.handshake.type ==
# 2 || dtls.handshake.type == 2) && !quic'`; all are in ndpi/), those where the TLS is inside
# something ciot deliberately does not follow (docs/tls.md, "Following a connection") are left out:
# TLS after a clear-text start (STARTTLS in ftp-start-tls, imap-starttls, pop3_stls, smtp-starttls;
# mysql, pgsql2, nomachine, gnutella), DTLS after STUN in the same UDP flow (stun*, geforcenow), HTTP
# CONNECT, OpenVPN and CAPWAP framing, tunnels (6in4tunnel, vxlan, GTP in
# ja3_lots_of_cipher_suites_2_anon), SOCKS proxies (tls_heur__*). Of the rest, these were chosen to
# cover TLS 1.0, 1.2 and 1.3 (no capture of the corpus negotiates SSLv3 or TLS 1.1), Facebook's TLS
# 1.3 draft 0xfb1a, DTLS 1.0, 1.2, 1.3 and OpenSSL's pre-standard DTLS 0x0100, RSA keys of 1024 to
# 4096 bits and EC keys, SHA-1, SHA-256 and SHA-512 signatures (and the old OID sha1WithRSA), chains
# spread over many TCP segments and DTLS fragments, leaf certificates of 4 to 5 KiB, IPv6, TLS on
# ports 80, 4343 and 5228, captures that start at the server's SYN-ACK or with the server's first
# flight, and the IoT captures (alexa-app, sonos), in about 20 s. A second word is a tshark "decode
# as" the file needs: tls_port_80 is TLS on port 80, which tshark takes for HTTP (ciot recognizes
# TLS by its bytes, not its port).
captures="
KakaoTalk_chat.pcap
alexa-app.pcapng
android.pcap
cloudflare-warp.pcap
discord.pcap
dtls.pcap
dtls2.pcap
dtls_certificate.pcapng
dtls_certificate_fragments.pcap
dtls_old_version.pcapng
http_ipv6.pcap
instagram.pcap
iphone.pcap
long_tls_certificate.pcap
lru_ipv6_caches.pcapng
netflix.pcap
pia.pcap
reddit.pcap
safari.pcap
simple-dnscrypt.pcap
sites.pcapng
sonos.pcapng
teams.pcap
tls-rdn-extract.pcap
tls_1.2_unidirectional_server.pcapng
tls_certificate_too_long.pcap
tls_long_cert.pcap
tls_port_80.pcapng tcp.port==80,tls
tls_verylong_certificate.pcap
tor.pcap
tunnelbear.pcap
waze.pcap
webex.pcap
wechat.pcap
whois.pcapng
"
# Known disagreements, each explained: "file|client|client port|server|server port|field" (field:
# connection, version, sni, chain, certificate, sig_alg, key_type, key_bits, not_before, not_after,
# validity_days). Empty.
known="
"

files=()
while read -r name _; do
  [ -n "$name" ] || continue
  [ -f "$CIOT_CORPUS/ndpi/$name" ] || { fail "$name is not in the corpus"; continue; }
  files+=("$CIOT_CORPUS/ndpi/$name")
done <<<"$captures"

# ciot: every flow of each capture (--all-flows: some captures hold several clients), oriented from
# its initiator; no idle timeout, so that a connection is one flow as it is one tshark stream
# (in the background, while tshark and openssl work)
db=$work/tls.db
started=$SECONDS
(
  "$CIOT_ANALYZE" -q --all-flows --idle-timeout 1000000000 -j 2 -o "$db" "${files[@]}" 2>"$work/stderr" || exit
  echo "$((SECONDS - started))" >"$work/analyze.seconds"
) &
analyzer=$!

# tshark: per TCP or UDP stream with a ServerHello, the server is the ServerHello's sender. The
# version is the ServerHello's supported_versions extension, else its version field (a DTLS
# HelloVerifyRequest's version is not the negotiated one and is not read); the SNI is the first
# ClientHello's; the chain is the certificates of the server's first Certificate message, leaf first.
# A HelloRetryRequest is a ServerHello on the wire (tshark's handshake type 2) told apart by its
# random, the constant of RFC 8446 section 4.1.3; it negotiates nothing yet and is left out (ciot's
# version stays NULL when the real ServerHello never came: tumblr.pcap has such a connection).
# QUIC is left out: tshark decrypts QUIC's Initial packets (their keys derive from the connection
# id) and shows the TLS handshake inside, while ciot reads only QUIC's version.
# TLS records and TCP segments are reassembled (tshark's defaults, set explicitly here), and TCP
# segments that arrive out of order too (not tshark 4.0's default: without it tshark misses the
# ServerHello of 17 connections of teams.pcap and android.pcap, whose first server segment came
# after a later one).
# conns.txt: file|transport|client|client port|server|server port|version|sni|certificates|conn|
#   client_hello (1 when the client's ClientHello was decoded: then an empty SNI means none was sent)
# chains.txt: conn|position|DER in hex
: >"$work/conns.txt"
: >"$work/chains.txt"
hello_retry_random=cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c
index=0
while read -r name decode; do
  [ -n "$name" ] && [ -f "$CIOT_CORPUS/ndpi/$name" ] || continue
  index=$((index + 1))
  extra=()
  [ -n "$decode" ] && extra=(-d "$decode")
  tshark -r "$CIOT_CORPUS/ndpi/$name" "${extra[@]}" -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
    -o tcp.reassemble_out_of_order:TRUE -Y '(tls.handshake.type || dtls.handshake.type) && !quic' \
    -T fields -E separator='|' -E occurrence=a -E aggregator=',' \
    -e tcp.stream -e udp.stream -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport \
    -e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport \
    -e tls.handshake.type -e tls.handshake.version -e tls.handshake.extensions.supported_version \
    -e tls.handshake.extensions_server_name -e tls.handshake.certificate \
    -e dtls.handshake.type -e dtls.handshake.version -e dtls.handshake.extensions.supported_version \
    -e dtls.handshake.extensions_server_name -e dtls.handshake.certificate \
    -e tls.handshake.random -e dtls.handshake.random >"$work/fields.txt" 2>"$work/tshark.err" ||
    fail "tshark $name: $(grep -v 'Running as user' "$work/tshark.err" | head -3)"
  awk -F'|' -v file="$name" -v fno="$index" -v hrr="$hello_retry_random" -v conns="$work/conns.txt" -v chains="$work/chains.txt" '
      function has(list, v,   a, n, i) { n = split(list, a, ","); for (i = 1; i <= n; i++) if (a[i] == v) return 1; return 0 }
      function first(list) { sub(/,.*/, "", list); return list }
      function key_client(k,   a) { split(k, a, "|"); return a[1] "|" a[2] }
      # the version names of ciot (docs/database.md); an unknown value stays in hex, as tshark prints it
      function vname(v) {
        if (v == "0x0002") return "SSLv2"; if (v == "0x0300") return "SSLv3"; if (v == "0x0301") return "TLS1.0"
        if (v == "0x0302") return "TLS1.1"; if (v == "0x0303") return "TLS1.2"; if (v == "0x0304") return "TLS1.3"
        if (v == "0xfeff") return "DTLS1.0"; if (v == "0xfefd") return "DTLS1.2"; if (v == "0xfefc") return "DTLS1.3"
        return v
      }
      {
        id = ($1 != "" ? "tcp|" $1 : "udp|" $2)
        src = ($3 != "" ? $3 : $4) "|" ($5 != "" ? $5 : $6); dst = ($7 != "" ? $7 : $8) "|" ($9 != "" ? $9 : $10)
        if ($11 != "") { types = $11; ver = $12; sv = $13; sni = $14; cert = $15; random = $21 }
        else { types = $16; ver = $17; sv = $18; sni = $19; cert = $20; random = $22 }
        if (has(types, 1)) {
          if (!(id in client)) client[id] = src
          if (client[id] == src) { hello[id] = 1; if (!(id in name) && sni != "") name[id] = first(sni) }
        }
        if (has(types, 2) && first(random) != hrr) {
          v = vname(sv != "" ? first(sv) : first(ver))
          if (!(id in server)) { server[id] = src; key[id] = dst "|" src; order[++n] = id }
          # a second ServerHello (a DTLS flight sent again) must agree
          if (server[id] == src) { if (!(id in version)) version[id] = v; else if (version[id] != v) version[id] = version[id] "/" v }
        }
        if (has(types, 11) && (id in server) && server[id] == src && !(id in chain) && cert != "") chain[id] = cert
      }
      END {
        for (i = 1; i <= n; i++) {
          id = order[i]; conn = fno "-" i; split(id, t, "|")
          ncerts = (id in chain) ? split(chain[id], c, ",") : 0
          # a ClientHello from the side the ServerHello went to
          ch = (id in hello) && client[id] == key_client(key[id])
          print file "|" t[1] "|" key[id] "|" version[id] "|" name[id] "|" ncerts "|" conn "|" ch >>conns
          for (j = 1; j <= ncerts; j++) print conn "|" j - 1 "|" c[j] >>chains
        }
      }' "$work/fields.txt"
done <<<"$captures"

# the certificates: DER files, their SHA-256, and openssl's reading of each distinct leaf
# (perl-base's pack turns the hex into bytes: perl is part of every Debian system)
mkdir "$work/der"
der=$work/der perl -ne 'chomp; my ($conn, $pos, $hex) = split /\|/;
  open(my $f, ">", "$ENV{der}/$conn.$pos.der") or die; binmode $f; print $f pack("H*", $hex); close $f' "$work/chains.txt"
# chain_sha.txt: conn|position|sha256
(cd "$work/der" && find . -name '*.der' -print0 | xargs -0 -r sha256sum) |
  sed -E 's#^([0-9a-f]{64})  \./(.*)\.([0-9]+)\.der$#\2|\3|\1#' >"$work/chain_sha.txt"
# certs.txt: sha256|sig_alg|key_type|key_bits|not_before|not_after|validity_days (openssl's words)
: >"$work/certs.txt"
declare -A seen=()
while IFS='|' read -r conn pos sha; do
  [ "$pos" = 0 ] && [ -z "${seen[$sha]:-}" ] || continue
  seen[$sha]=1
  der=$work/der/$conn.0.der
  if ! out=$(openssl x509 -inform DER -noout -fingerprint -sha256 -text -dates -dateopt iso_8601 -in "$der" 2>&1); then
    fail "openssl cannot read the leaf certificate $sha (of $conn): $(echo "$out" | head -1)"
    continue
  fi
  line=$(awk '
    /SHA256 Fingerprint=|sha256 Fingerprint=/ { sub(/.*=/, ""); gsub(/:/, ""); fp = tolower($0) }
    /^ *Signature Algorithm:/ && sig == "" { sub(/.*Algorithm: */, ""); sig = $0 }
    /^ *Public Key Algorithm:/ && ka == "" { sub(/.*Algorithm: */, ""); ka = $0 }
    /Public-Key: \([0-9]+ bit\)/ && bits == "" { sub(/.*\(/, ""); sub(/ bit.*/, ""); bits = $0 }
    /^notBefore=/ { sub(/^notBefore=/, ""); nb = $0 } /^notAfter=/ { sub(/^notAfter=/, ""); na = $0 }
    END {
      # openssl names the key algorithm by its OID; ciot by its EVP_PKEY type
      kt = ka == "rsaEncryption" ? "RSA" : ka == "id-ecPublicKey" ? "EC" : ka == "dsaEncryption" ? "DSA" : \
           ka == "ED25519" ? "Ed25519" : ka == "ED448" ? "Ed448" : ""
      sub(/ /, "T", nb); sub(/ /, "T", na)
      print fp "|" sig "|" kt "|" bits "|" nb "|" na
    }' <<<"$out")
  [ "${line%%|*}" = "$sha" ] || fail "openssl's SHA-256 of $conn's leaf (${line%%|*}) is not sha256sum's ($sha)"
  IFS='|' read -r _ _ _ _ nb na <<<"$line"
  days=""
  if [ -n "$nb" ] && [ -n "$na" ]; then
    # floor((notAfter - notBefore) / 86400 s), also when negative
    d=$(($(date -u -d "${na/T/ }" +%s) - $(date -u -d "${nb/T/ }" +%s)))
    days=$(((d - ((d % 86400 + 86400) % 86400)) / 86400))
  fi
  echo "$line|$days" >>"$work/certs.txt"
done <"$work/chain_sha.txt"
echo "tshark and openssl: $(wc -l <"$work/conns.txt") connections, $(wc -l <"$work/certs.txt") distinct leaf certificates in $((SECONDS - started)) s"

status=0
wait "$analyzer" || status=$?
[ "$status" = 0 ] || { cat "$work/stderr" >&2; fail "ciot-analyze exit status $status"; }
echo "ciot-analyze: ${#files[@]} captures in $(cat "$work/analyze.seconds" 2>/dev/null || echo '?') s"

# the comparison, in SQLite
report=$work/report.txt
printf '%s\n' "$known" | grep -v '^ *$' >"$work/known.txt" || true
sqlite3 -batch "$db" >"$report" <<EOF
.separator |
CREATE TEMP TABLE ts (file TEXT, transport TEXT, client TEXT, client_port INTEGER, server TEXT, server_port INTEGER,
  version TEXT, sni TEXT, certificates INTEGER, conn TEXT, client_hello INTEGER);
.import $work/conns.txt ts
CREATE TEMP TABLE ts_chain (conn TEXT, position INTEGER, sha256 TEXT);
.import $work/chain_sha.txt ts_chain
CREATE TEMP TABLE ts_cert (sha256 TEXT, sig_alg TEXT, key_type TEXT, key_bits TEXT, not_before TEXT, not_after TEXT,
  validity_days TEXT);
.import $work/certs.txt ts_cert
CREATE TEMP TABLE known (file TEXT, client TEXT, client_port INTEGER, server TEXT, server_port INTEGER, field TEXT);
.import $work/known.txt known
-- ciot's connections, by role
CREATE TEMP TABLE ciot AS
  SELECT t.*, c.file AS path, f.transport,
    CASE t.client WHEN 'device' THEN f.device_ip ELSE f.remote_ip END AS c_ip,
    CASE t.client WHEN 'device' THEN f.device_port ELSE f.remote_port END AS c_port,
    CASE t.client WHEN 'device' THEN f.remote_ip ELSE f.device_ip END AS s_ip,
    CASE t.client WHEN 'device' THEN f.remote_port ELSE f.device_port END AS s_port
  FROM tls_connections t JOIN flows f ON f.id = t.flow_id JOIN captures c ON c.id = f.capture_id;
CREATE TEMP TABLE pair AS
  SELECT s.*, (SELECT count(*) FROM ciot k WHERE substr(k.path, -length(s.file) - 1) = '/' || s.file
      AND k.transport = s.transport AND k.c_ip = s.client AND k.c_port = s.client_port
      AND k.s_ip = s.server AND k.s_port = s.server_port) AS matches,
    (SELECT k.flow_id FROM ciot k WHERE substr(k.path, -length(s.file) - 1) = '/' || s.file
      AND k.transport = s.transport AND k.c_ip = s.client AND k.c_port = s.client_port
      AND k.s_ip = s.server AND k.s_port = s.server_port) AS flow_id
  FROM ts s;
CREATE TEMP TABLE diff (file TEXT, client TEXT, client_port INTEGER, server TEXT, server_port INTEGER, field TEXT,
  ciot TEXT, tshark TEXT);
-- a connection ciot has no row for (or several): what ciot has of the same addresses, either way
INSERT INTO diff SELECT p.file, p.client, p.client_port, p.server, p.server_port, 'connection',
    p.matches || ' rows; flows: ' || coalesce((SELECT group_concat(f.transport || ' ' || f.device_ip || ':' || f.device_port
      || '->' || f.remote_ip || ':' || f.remote_port || ' tls ' || coalesce((SELECT t.protocol || '/' || t.client
      FROM tls_connections t WHERE t.flow_id = f.id), 'none'), '; ')
      FROM flows f JOIN captures c ON c.id = f.capture_id WHERE substr(c.file, -length(p.file) - 1) = '/' || p.file
      AND ((f.device_ip = p.client AND f.device_port = p.client_port AND f.remote_ip = p.server AND f.remote_port = p.server_port)
        OR (f.device_ip = p.server AND f.device_port = p.server_port AND f.remote_ip = p.client AND f.remote_port = p.client_port))),
      'none'), '1 row'
  FROM pair p WHERE p.matches <> 1;
INSERT INTO diff SELECT p.file, p.client, p.client_port, p.server, p.server_port, 'version', coalesce(t.version, '(none)'), p.version
  FROM pair p JOIN tls_connections t USING (flow_id) WHERE p.matches = 1 AND t.version IS NOT p.version;
INSERT INTO diff SELECT p.file, p.client, p.client_port, p.server, p.server_port, 'sni', coalesce(t.sni, '(none)'),
    coalesce(nullif(p.sni, ''), '(none)')
  FROM pair p JOIN tls_connections t USING (flow_id) WHERE p.matches = 1 AND (p.sni <> '' OR p.client_hello = 1)
    AND t.sni IS NOT nullif(p.sni, '');
-- the other way: a ServerHello ciot read where tshark decodes none (QUIC aside, see above)
INSERT INTO diff SELECT substr(k.path, length(rtrim(k.path, replace(k.path, '/', ''))) + 1), k.c_ip, k.c_port, k.s_ip, k.s_port,
    'connection', k.protocol || ' ' || coalesce(k.version, '(no version)') || ', ' || k.client || ' is the client', 'none'
  FROM ciot k WHERE k.protocol <> 'quic' AND k.server_hello = 1 AND NOT EXISTS (SELECT 1 FROM ts s
    WHERE substr(k.path, -length(s.file) - 1) = '/' || s.file AND k.transport = s.transport AND k.c_ip = s.client
    AND k.c_port = s.client_port AND k.s_ip = s.server AND k.s_port = s.server_port);
-- the chain: its length, then every position's SHA-256
INSERT INTO diff SELECT p.file, p.client, p.client_port, p.server, p.server_port, 'chain',
    coalesce(t.server_certificates, '(none)') || ' certificates: ' || coalesce((SELECT group_concat(substr(sha256, 1, 16), ' ')
      FROM (SELECT sha256 FROM tls_chains WHERE flow_id = p.flow_id AND sender = 'server' ORDER BY position)), ''),
    p.certificates || ' certificates: ' || coalesce((SELECT group_concat(substr(sha256, 1, 16), ' ')
      FROM (SELECT sha256 FROM ts_chain WHERE conn = p.conn ORDER BY position)), '')
  FROM pair p JOIN tls_connections t USING (flow_id) WHERE p.matches = 1 AND (
    coalesce(t.server_certificates, 0) <> p.certificates
    OR t.leaf_sha256 IS NOT (SELECT sha256 FROM ts_chain WHERE conn = p.conn AND position = 0)
    OR (SELECT count(*) FROM tls_chains k WHERE k.flow_id = p.flow_id AND k.sender = 'server') <> p.certificates
    OR (SELECT count(*) FROM ts_chain s WHERE s.conn = p.conn) <> (SELECT count(*) FROM ts_chain s JOIN tls_chains k
      ON k.flow_id = p.flow_id AND k.sender = 'server' AND k.position = s.position AND k.sha256 = s.sha256 WHERE s.conn = p.conn));
-- the leaf's certificates row against openssl's reading, field by field (a connection ciot missed
-- has no values)
CREATE TEMP TABLE leaf AS SELECT p.file, p.client, p.client_port, p.server, p.server_port, s.sha256,
    c.sha256 AS ciot_sha256, c.sig_alg, c.key_type, CAST(c.key_bits AS TEXT) AS key_bits, c.not_before, c.not_after,
    CAST(c.validity_days AS TEXT) AS validity_days,
    o.sig_alg AS o_sig_alg, o.key_type AS o_key_type, o.key_bits AS o_key_bits, o.not_before AS o_not_before,
    o.not_after AS o_not_after, o.validity_days AS o_validity_days, p.matches
  FROM pair p JOIN ts_chain s ON s.conn = p.conn AND s.position = 0 JOIN ts_cert o ON o.sha256 = s.sha256
  LEFT JOIN certificates c ON c.sha256 = s.sha256 AND p.matches = 1;
INSERT INTO diff SELECT file, client, client_port, server, server_port, 'certificate', 'no row', sha256 FROM leaf
  WHERE matches = 1 AND ciot_sha256 IS NULL;
CREATE TEMP TABLE field (file TEXT, client TEXT, client_port INTEGER, server TEXT, server_port INTEGER, field TEXT,
  ciot TEXT, openssl TEXT, ciot_row INTEGER);
INSERT INTO field SELECT file, client, client_port, server, server_port, 'sig_alg', sig_alg, o_sig_alg, ciot_sha256 IS NOT NULL FROM leaf;
INSERT INTO field SELECT file, client, client_port, server, server_port, 'key_type', key_type, o_key_type, ciot_sha256 IS NOT NULL FROM leaf;
INSERT INTO field SELECT file, client, client_port, server, server_port, 'key_bits', key_bits, o_key_bits, ciot_sha256 IS NOT NULL FROM leaf;
INSERT INTO field SELECT file, client, client_port, server, server_port, 'not_before', not_before, o_not_before, ciot_sha256 IS NOT NULL FROM leaf;
INSERT INTO field SELECT file, client, client_port, server, server_port, 'not_after', not_after, o_not_after, ciot_sha256 IS NOT NULL FROM leaf;
INSERT INTO field SELECT file, client, client_port, server, server_port, 'validity_days', validity_days, o_validity_days, ciot_sha256 IS NOT NULL FROM leaf;
-- (openssl names no size for some key types, nor a type ciot's words are not mapped for: not compared)
DELETE FROM field WHERE openssl = '';
INSERT INTO diff SELECT file, client, client_port, server, server_port, field, ciot, openssl FROM field WHERE ciot_row AND ciot IS NOT openssl;

-- the counts: per check, the connections that agree out of those tshark and openssl saw (a missing
-- connection disagrees on all), and how many of the others are known disagreements
CREATE TEMP TABLE checks (file TEXT, client TEXT, client_port INTEGER, server TEXT, server_port INTEGER, name TEXT,
  field TEXT, agree INTEGER);
INSERT INTO checks SELECT file, client, client_port, server, server_port, 'connections with a ServerHello found',
  'connection', matches = 1 FROM pair;
INSERT INTO checks SELECT file, client, client_port, server, server_port, 'versions agree', 'version',
  matches = 1 AND EXISTS (SELECT 1 FROM tls_connections t WHERE t.flow_id = pair.flow_id AND t.version = pair.version) FROM pair;
INSERT INTO checks SELECT file, client, client_port, server, server_port, 'SNIs agree', 'sni',
  matches = 1 AND EXISTS (SELECT 1 FROM tls_connections t WHERE t.flow_id = pair.flow_id AND t.sni = pair.sni) FROM pair WHERE sni <> '';
INSERT INTO checks SELECT file, client, client_port, server, server_port, 'ClientHellos without an SNI agree', 'sni',
  matches = 1 AND EXISTS (SELECT 1 FROM tls_connections t WHERE t.flow_id = pair.flow_id AND t.sni IS NULL) FROM pair
  WHERE sni = '' AND client_hello = 1;
INSERT INTO checks SELECT file, client, client_port, server, server_port,
  CASE WHEN certificates > 0 THEN 'server certificate chains agree' ELSE 'connections without a server Certificate in clear agree' END,
  'chain', matches = 1 AND NOT EXISTS (SELECT 1 FROM diff d WHERE d.field = 'chain' AND d.file = pair.file AND d.client = pair.client
    AND d.client_port = pair.client_port AND d.server = pair.server AND d.server_port = pair.server_port) FROM pair;
INSERT INTO checks SELECT file, client, client_port, server, server_port, field || ' of the leaf agree', field,
  ciot_row AND ciot IS openssl FROM field;
SELECT 'count', name, sum(agree), count(*), sum(NOT agree AND EXISTS (SELECT 1 FROM known k WHERE k.file = c.file
    AND k.client = c.client AND k.client_port = c.client_port AND k.server = c.server AND k.server_port = c.server_port
    AND (k.field IN (c.field, 'connection') OR (k.field = 'certificate' AND c.name LIKE '% of the leaf agree'))))
  FROM checks c GROUP BY name ORDER BY min(rowid);
-- what the inputs cover, so that the test cannot pass on too little
SELECT 'covered', 'connections', count(*) FROM ts;
SELECT 'covered', 'with a chain', count(*) FROM ts WHERE certificates > 0;
SELECT 'covered', 'chains of 3 or more', count(*) FROM ts WHERE certificates >= 3;
SELECT 'covered', 'with an SNI', count(*) FROM ts WHERE sni <> '';
SELECT 'covered', 'distinct leaves', count(*) FROM ts_cert;
SELECT 'covered', 'version ' || version, count(*) FROM ts GROUP BY version;
SELECT 'covered', 'sig_alg ' || sig_alg, count(*) FROM ts_cert GROUP BY sig_alg;
SELECT 'covered', 'key ' || key_type || ' ' || key_bits, count(*) FROM ts_cert GROUP BY key_type, key_bits;
SELECT 'covered', 'IPv6', count(*) FROM ts WHERE client LIKE '%:%';
-- the disagreements, and whether each is a known one
SELECT 'diff', d.*, EXISTS (SELECT 1 FROM known k WHERE k.file = d.file AND k.client = d.client AND k.client_port = d.client_port
    AND k.server = d.server AND k.server_port = d.server_port AND k.field = d.field)
  FROM diff d ORDER BY d.file, d.client_port, d.field;
SELECT 'stale', k.* FROM known k WHERE NOT EXISTS (SELECT 1 FROM diff d WHERE k.file = d.file AND k.client = d.client
    AND k.client_port = d.client_port AND k.server = d.server AND k.server_port = d.server_port AND k.field = d.field);
EOF

while IFS='|' read -r kind a b c d e f g h known; do
  case $kind in
    count) # agree total known
      if [ "$b" = "$c" ]; then pass "$b/$c $a"
      elif [ $((b + d)) = "$c" ]; then pass "$b/$c $a; the other $d: known disagreements (listed below)"
      else fail "$b/$c $a (known disagreements: $d)"; fi ;;
    covered) echo "covered: $b $a" ;;
    diff)
      if [ "$known" = 1 ]; then echo "known disagreement (listed in tls.sh): $a $b port $c -> $d port $e, $f: ciot '$g', tshark/openssl '$h'"
      else fail "$a $b port $c -> $d port $e, $f: ciot '$g', tshark/openssl '$h'"; fi ;;
    stale) fail "the known disagreement $a|$b|$c|$d|$e|$f no longer occurs: remove it from the list" ;;
  esac
done <"$report"
covered() { grep "^covered|$1|" "$report" | cut -d'|' -f3; }
at_least() { # what minimum
  local n; n=$(covered "$1"); n=${n:-0}
  if [ "$n" -ge "$2" ]; then pass "tshark sees $n $1 (at least $2)"; else fail "tshark sees only $n $1 (expected at least $2): the inputs changed?"; fi
}
at_least connections 300
at_least "with a chain" 200
at_least "chains of 3 or more" 50
at_least "with an SNI" 250
at_least "distinct leaves" 80
at_least IPv6 5
for v in TLS1.0 TLS1.2 TLS1.3 DTLS1.0 DTLS1.2; do at_least "version $v" 1; done
for s in sha1WithRSAEncryption sha256WithRSAEncryption ecdsa-with-SHA256; do at_least "sig_alg $s" 1; done
for k in "RSA 1024" "RSA 2048" "RSA 4096" "EC 256"; do at_least "key $k" 1; done
# Alerts in clear: every alert tshark decodes with a level and a description (the corpus has 5, in
# two captures) must be in ciot's alert list of the side that sent it, by its IANA name (RFC 8446
# section 6, the registry's names as the alert names of docs/database.md).
alert_files=(http_ipv6.pcap tls_alert.pcap)
adb=$work/alerts.db
args=()
for f in "${alert_files[@]}"; do args+=("$CIOT_CORPUS/ndpi/$f"); done
"$CIOT_ANALYZE" -q --all-flows --idle-timeout 1000000000 -o "$adb" "${args[@]}" || fail "ciot-analyze (alerts)"
alerts_seen=0 alerts_agree=0
for f in "${alert_files[@]}"; do
  while IFS='|' read -r src4 src6 sport dport level desc; do
    [ -n "$level" ] && [ -n "$desc" ] || continue
    src=${src4:-$src6}
    name=$(awk -v d="$desc" 'BEGIN { split("0 close_notify 10 unexpected_message 20 bad_record_mac 21 decryption_failed 22 record_overflow 30 decompression_failure 40 handshake_failure 41 no_certificate 42 bad_certificate 43 unsupported_certificate 44 certificate_revoked 45 certificate_expired 46 certificate_unknown 47 illegal_parameter 48 unknown_ca 49 access_denied 50 decode_error 51 decrypt_error 60 export_restriction 70 protocol_version 71 insufficient_security 80 internal_error 86 inappropriate_fallback 90 user_canceled 100 no_renegotiation 109 missing_extension 110 unsupported_extension 112 unrecognized_name 113 bad_certificate_status_response 115 unknown_psk_identity 116 certificate_required 120 no_application_protocol", a, " "); for (i = 1; i < length(a); i += 2) if (a[i] == d) print a[i + 1] }')
    [ "$level" = 1 ] && lv=warning || lv=fatal
    alerts_seen=$((alerts_seen + 1))
    # the sender is the client when it is the device end of a device-initiated flow, and so on
    got=$(q "$adb" "SELECT CASE WHEN (device_ip = '$src' AND device_port = $sport) = (client = 'device')
                     THEN client_alerts ELSE server_alerts END FROM tls_view
                     WHERE file LIKE '%/$f' AND ((device_ip = '$src' AND device_port = $sport AND remote_port = $dport)
                       OR (remote_ip = '$src' AND remote_port = $sport AND device_port = $dport))")
    case ",$got," in
      *",$lv:$name,"*) alerts_agree=$((alerts_agree + 1)) ;;
      *) fail "$f: alert $lv:$name from $src port $sport: ciot has '$got'" ;;
    esac
  done < <(tshark -r "$CIOT_CORPUS/ndpi/$f" -Y 'tls.alert_message' -T fields -E separator='|' \
             -e ip.src -e ipv6.src -e tcp.srcport -e tcp.dstport -e tls.alert_message.level -e tls.alert_message.desc 2>/dev/null)
done
[ "$alerts_seen" -ge 5 ] || fail "tshark decodes only $alerts_seen alerts in clear (expected at least 5): the inputs changed?"
expect_eq "alerts in clear that agree (of $alerts_seen)" "$alerts_agree" "$alerts_seen"
finish
