/* test-tls.c: the TLS handshake parsers and names (tls.h). First real handshakes from the shared
 * corpus, embedded as captured, each checked against what tshark prints for the same frame: TLS 1.2
 * and Chrome's TLS 1.3 ClientHello (GREASE, supported_versions, ALPN, pre_shared_key), a TLS 1.3
 * ServerHello with a PSK, a HelloRetryRequest, a TLS 1.2 server flight of four segments with a
 * three-certificate chain (each certificate's SHA-256 as tshark's bytes give it), a DTLS exchange
 * with a cookie, an SSLv2-compatible ClientHello. Then tables of hellos built byte by byte for
 * every rule (GREASE, session tickets, PSK shapes, SNI with NULs, 255 and 256 bytes, ALPN bounds
 * and odd bytes, duplicates, caps, bad lengths), the handshake and DTLS fragment framing, SSLv2
 * records, TLS 1.2 and 1.3 Certificate messages (chain cap, damage after the leaf), the names of
 * versions, alerts and cipher suites, the cipher table's order and flags (against the suite names
 * and against OpenSSL's own list when the openssl tool is there), the classes. Then every prefix of
 * every valid message (each in a heap block of exactly its length, so the sanitizer build catches
 * a read past it) and 200,000 seeded random mutations fed to every parser in a child process, so
 * that a crash is one failed check.
 */
#include <openssl/evp.h>
#include <stdlib.h>

#include "bytes.h"
#include "check.h"
#include "tls.h"

#define OK CIOT_TLS_OK
#define TRUNCATED CIOT_TLS_TRUNCATED
#define MALFORMED CIOT_TLS_MALFORMED

/* ---- captured bytes --------------------------------------------------------------------------- */

/* A TLS 1.2 ClientHello: the TCP payload of frame 3 of /work/shared/corpus/ndpi/
 * tls_1.2_unidirectional_client.pcapng (one record). tshark -V prints: version 0x0303, no session id,
 * suites 0xc02b,0xc02c,0xc02f,0xc030, server_name notifications-pa.googleapis.com, an empty
 * session_ticket, ALPN h2,http/1.1, no supported_versions. */
static const char tls12_ch_hex[] =
	"16030100af010000ab03038e45207099ff58927692f4e248d33fa3e238e1cfef86e54ca3c93af61839afdc000008c02b"
	"c02cc02fc0300100007a00000024002200001f6e6f74696669636174696f6e732d70612e676f6f676c65617069732e63"
	"6f6d00170000ff01000100000a00080006001d00170018000b00020100002300000010000e000c02683208687474702f"
	"312e31000500050100000000000d00140012040308040401050308050501080606010201";

/* A TLS 1.3 ClientHello from Chrome: the TCP payload of frame 24 of /work/shared/corpus/ndpi/chrome.pcap.
 * tshark prints: suites 0xfafa (GREASE),0x1303,0x1301,0x1302,0xcca9,0xcca8,0xc02b,0xc02f,0xc02c,
 * 0xc030,0xc013,0xc014,0x009c,0x009d,0x002f,0x0035; supported_versions 0x8a8a (GREASE),0x0304,
 * 0x0303,0x0302,0x0301; server_name www.iit.cnr.it; ALPN h2,http/1.1; a 32-byte session id; an
 * empty session_ticket; GREASE extensions 23130 and 19018; pre_shared_key with one 256-byte
 * identity, last. */
static const char tls13_ch_hex[] =
	"160301027601000272030302aad935c201779a61c55d1788fc836aa2fb425a52d0e942f45e30e5f538414f2045128499"
	"a158206eccf6192c7fdb1aa59ed7af3c698242cc04ff2ed5afca73b30020fafa130313011302cca9cca8c02bc02fc02c"
	"c030c013c014009c009d002f0035010002095a5a000000000013001100000e7777772e6969742e636e722e6974001700"
	"00ff01000100000a000a00085a5a001d00170018000b00020100002300000010000e000c02683208687474702f312e31"
	"000500050100000000000d0012001004030804040105030805050108060601001200000033002b00295a5a000100001d"
	"0020131377b7385b2b5ecd06bd3e5c7ae3fda6440783ee0dc476ad3544d1b979ff2d002d00020101002b000b0a8a8a03"
	"04030303020301001b00030200024469000500030268324a4a0001000029013b01060100332a7372a0335ac04064835c"
	"831fb28019e0065228c866f002680b0d0a65e6d91cc12939086f8f9287d81b7051fbeff4e5444b0a640620dd08419df0"
	"62f64320f40c693e57578be037fa74f17ed7c26f1d007b412367e15eddbc147631b1bf5726afbc84e9b9b174972c63ba"
	"1b2971627ca121f87f385d26da92b6d1cd04b6d686f97df1a29258872b0f2e8bc0c5dab938be46783a96d1f40480a58d"
	"db8daeaa89c505bc673beaaad892c578632e1bc6afe8304cf90a3f3d34bbad3862e3fc0dfa1830b5d7667074ed073611"
	"80c099132748ff8f002578fe06fbc1d0fe2a82d34bbf6b6d945fe03bec39bfdaeea762c01be4c912ca0640ba65534b74"
	"5015d931829e46690031306de96aa2b4c8214460e1d6f30f861da7e31c2e881d5441094276181c23b3b05ac98c756681"
	"1ce47a0c0948130c7d47ca";

/* A TLS 1.3 ServerHello, then ChangeCipherSpec and encrypted records: the TCP payload of frame 3 of
 * /work/shared/corpus/ndpi/tls_1.3_unidirectional_server.pcapng. tshark: version 0x0303, suite
 * 0x1301, supported_versions 0x0304, pre_shared_key selected identity 0, extensions 41,51,43,
 * session id 691ce201...ca7814. */
static const char tls13_sh_hex[] =
	"16030300800200007c0303c57417b3a7267c19e1431447bf571918fc463e2a2992c63d2241054efb49195020691ce201"
	"36f8bc28a70a33e7ef38c01b821e4bab3b8775d4691789deb9ca7814130100003400290002000000330024001d0020cc"
	"4c7a4927e6c3b46de7f9db39ddab59adb5e876213215a1c41bf035b2acca4e002b00020304140303000101170303004a"
	"777cec0ef78baa149b1eec701520aa4c2f683963226baf5aea6efb6f9572dced792351544723fa5e364619f3dcd40e8a"
	"de9d4b8ac1bdca5854c4e305946ffc3a17975ddad27f26284d6c";

/* A HelloRetryRequest and ChangeCipherSpec: the TCP payload of frame 304 of
 * /work/shared/corpus/ndpi/dnscrypt-v2-doh.pcap. tshark: "Hello Retry Request", suite 0x1302,
 * supported_versions 0x0304, extensions 43,51, a 32-byte session id. */
static const char hrr_hex[] =
	"1603030058020000540303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c200018e8a1"
	"13a0aea9c0cd5dc9244dd13b0a6cdb6c6cd4702e865a405515be4271130200000c002b00020304003300020019140303"
	"000101";

/* DTLS, from /work/shared/corpus/ndpi/dtls_session_id_and_coockie_both.pcap (UDP payloads). Frame 2: a
 * HelloVerifyRequest (type 3, a 20-byte cookie). Frame 3: the ClientHello sent again with the
 * cookie; tshark: version 0xfefd, session id 3832002f...6d493e (32 bytes), cookie 1c0efc21...a42a69e
 * (20 bytes), one suite 0xc02c, no extensions, message_seq 1, fragment 0+94 of 94. Frame 4:
 * ServerHello (0xfefd, 0xc02c, 32-byte session id, no extensions), ChangeCipherSpec and an
 * epoch-1 (encrypted) handshake record. */
static const char dtls_hvr_hex[] =
	"16feff00000000000000000023030000170000000000000017feff141c0efc217010049e0680531d364ee05eaa42a69e";
static const char dtls_ch_hex[] =
	"16fefd0000000000000001006a0100005e000100000000005efefd3fc15b397b7c6648012efa02ef69e2fac74534c631"
	"c046fe86fb3fb2ff4bd41d203832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a45e6d493e141c0efc"
	"217010049e0680531d364ee05eaa42a69e0002c02c0100";
static const char dtls_sh_hex[] =
	"16fefd00000000000000010052020000460001000000000046fefd87d32576f1aa0f82fb79365ad8d1e1450175be58a4"
	"dd65721328f1a5462d10d7203832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a45e6d493ec02c0014"
	"fefd000000000000000200010116fefd00010000000000000030618aa4f2e94ab0ce109808fb65e5aa146820da2ba784"
	"0cb58a603f4f42eccfddf52b338f1ccd0ac65f5826b9bc05c7ae";

/* An SSLv2-compatible ClientHello: the TCP payload of frame 4 of /work/shared/corpus/ndpi/google_ssl.pcap.
 * tshark: "SSLv2 Record Layer: Client Hello", length 124, version 0x0301, 33 cipher specs of which
 * 7 are SSL 2.0 kinds (0x0700c0, 0x030080, 0x010080, 0x080080, 0x060040, 0x040080, 0x020080), no
 * session id, a 16-byte challenge. */
static const char sslv2_hex[] =
	"807c01030100630000001000003900003800003500001600001300000a0700c000003300003200002f03008000006600"
	"000500000401008008008000006300006200006100001500001200000906004000006500006400006000001400001100"
	"0008000006040080000003020080447674058ab9c9a5abbb06702cc6cf1f";

/* A small certificate, made once with `openssl req -x509 -newkey ec -pkeyopt
 * ec_paramgen_curve:prime256v1 -nodes -subj /CN=test -days 1 -outform DER` (374 bytes, SHA-256
 * 28647578cfbe68cb...4998aaba1), so that the test needs no openssl at run time. */
static const char test_cert_hex[] =
	"3082017230820119a00302010202142db628dce522b3b308ff23a8f9497bc914d12145300a06082a8648ce3d04030230"
	"0f310d300b06035504030c0474657374301e170d3236313132323130303635385a170d3236313132333130303635385a"
	"300f310d300b06035504030c04746573743059301306072a8648ce3d020106082a8648ce3d030107034200042ede4a74"
	"d48c25ad0d63a395bd0ed64c921cb3114bfb78ee14b97a26429fa9114bfb6a5fa09cc74bbf02d141055e37fa5bb32883"
	"65fa06d66a7849016b52e3c5a3533051301d0603551d0e0416041482beac504fca21cf030727a7a6ac0bd505b1885230"
	"1f0603551d2304183016801482beac504fca21cf030727a7a6ac0bd505b18852300f0603551d130101ff040530030101"
	"ff300a06082a8648ce3d0403020347003044022003ec32b1f080a8ab9fa6a37ca029bd82ae9a58c0296dad1e12ec7eb0"
	"a21b878c02206f9933f65540e9a7ad4e9c1673d22701d8ace4363a18c43336642bf97745be1c";

/* A TLS 1.2 server's first flight in four TCP segments, frames 3 to 6 of /work/shared/corpus/ndpi/
 * tls_1.2_unidirectional_server.pcapng (consecutive sequence numbers, no loss): ServerHello (0x0303,
 * suite 0xc02b, no session id, extensions 23,65281,11,35,16), Certificate, ServerKeyExchange,
 * ServerHelloDone. tshark's tls.handshake.certificate gives three certificates of 1559, 1434 and
 * 1382 bytes; sha256sum of each: 6661cf73...bdf45759 (CN=upload.video.google.com),
 * 23ecb03e...cc2387522 (GTS CA 1C3), 3ee0278d...133918e5 (GTS Root R1). */
static const char tls12_flight_frame3[] =
	"160303004802000044030362c30add1d219524170e9c70e35112f5d71f19ead29ea9a6444f574e4752440100c02b0000"
	"1c00170000ff01000100000b000201000023000000100005000302683216030311270b00112300112000061730820613"
	"308204fba003020102021100aa9bf2d957093f7112efe42b5264036e300d06092a864886f70d01010b05003046310b30"
	"0906035504061302555331223020060355040a1319476f6f676c65205472757374205365727669636573204c4c433113"
	"30110603550403130a47545320434120314333301e170d3232303630363039313735395a170d32323038323930393137"
	"35385a30223120301e0603550403131775706c6f61642e766964656f2e676f6f676c652e636f6d3059301306072a8648"
	"ce3d020106082a8648ce3d030107034200048d9bdc885618a8a637e94fe676e2e0646b35d4d1dd24179c7f2605e1b835"
	"82237192fa0400482b7a4873eae92a6421b2463190b8b12f87db92c9b71108d76634a38203e9308203e5300e0603551d"
	"0f0101ff04040302078030130603551d25040c300a06082b06010505070301300c0603551d130101ff04023000301d06"
	"03551d0e0416041419550791c485f5474a270f4f0066f7f27b2a197c301f0603551d230418301680148a747faf85cdee"
	"95cd3d9cd0e24614f371351d27306a06082b06010505070101045e305c302706082b06010505073001861b687474703a"
	"2f2f6f6373702e706b692e676f6f672f677473316333303106082b060105050730028625687474703a2f2f706b692e67"
	"6f6f672f7265706f2f63657274732f6774733163332e646572308201980603551d110482018f3082018b821775706c6f"
	"61642e766964656f2e676f6f676c652e636f6d82142a2e636c69656e74732e676f6f676c652e636f6d82112a2e646f63"
	"732e676f6f676c652e636f6d82122a2e64726976652e676f6f676c652e636f6d82132a2e67646174612e796f75747562"
	"652e636f6d82102a2e676f6f676c65617069732e636f6d82132a2e70686f746f732e676f6f676c652e636f6d82172a2e"
	"796f75747562652d3372642d70617274792e636f6d821175706c6f61642e676f6f676c652e636f6d82132a2e75706c6f"
	"61642e676f6f676c652e636f6d821275706c6f61642e796f75747562652e636f6d82142a2e75706c6f61642e796f7574"
	"7562652e636f6d821f75706c6f6164732e73746167652e67646174612e796f75747562652e636f6d821562672d63616c"
	"6c2d646f6e6174696f6e2e676f6f67821b62672d63616c6c2d646f6e6174696f6e2d616c7068612e676f6f67821c6267"
	"2d63616c6c2d646f6e6174696f6e2d63616e6172792e676f6f67821962672d63616c6c2d646f6e6174696f6e2d646576"
	"2e676f6f6730210603551d20041a30183008060667810c010201300c060a2b06010401d679020503303c0603551d1f04"
	"3530333031a02fa02d862b687474703a2f2f63726c732e706b692e676f6f672f6774733163332f66564a7862562d4b74"
	"6d6b2e63726c30820105060a2b06010401d6790204020481f60481f300f10076002979bef09e393921f056739f63a577"
	"e5be577d9c600af8f94d5d265c255dc7840000018138857df70000040300473045022052ec10642be4521d2552ebd234"
	"226c674d637313dc1f84dfa86774a7daba0f1f022100ace0f074b74d737de252d8d063c52dce08d8b8bb5ab2521fdda6"
	"8840d40feacc00770051a3b0f5fd01799c566db837788f0ca47acc1b27cbf79e88429a0dfed48b05e50000018138857e"
	"060000040300483046022100aabd55a44d6699e15be83d17547369d7334491c0594050252946c85f162494f0022100f3"
	"5159e70c4cf83f628d68f736191cba1b545b3b9f0692d3ff1391bae030bebf300d06092a864886f70d01010b05000382"
	"0101006d71335033ee1767b4389c8b6f1d7138f1d415bc41660c";
static const char tls12_flight_frame4[] =
	"225b2db26085819df53ec256f41ec0383288bde3ac7d637163b3d6bd1eb789d80639165823a34cddeb8b7d48d71750bf"
	"27dc263e72d5d854dc358eb06370ef9b370fa2e93f6b403e144481368780c86b9a58eeb3c77f92e649882245a2846c4a"
	"201bf73235a99a9327f97f33e85b82b5b2353ad1cbac618b8fe60fa334e9de0e7c0134ad5b04e14df2413edab9253a80"
	"2eb1172a346dd569a1500a5c5d97d557d70a896c73cc4cf84d92a2d8fb5e8c2b08818511cf3506f7ee0772ce0a2089e9"
	"b984ddbbaccb6c6ccb76e6d4ff79c5553dc8d1abf1349d04c35e7da1cc0322493cc4f4e71dea2e284b00059a30820596"
	"3082037ea003020102020d0203bc53596b34c718f5015066300d06092a864886f70d01010b05003047310b3009060355"
	"04061302555331223020060355040a1319476f6f676c65205472757374205365727669636573204c4c43311430120603"
	"550403130b47545320526f6f74205231301e170d3230303831333030303034325a170d3237303933303030303034325a"
	"3046310b300906035504061302555331223020060355040a1319476f6f676c6520547275737420536572766963657320"
	"4c4c43311330110603550403130a4754532043412031433330820122300d06092a864886f70d01010105000382010f00"
	"3082010a0282010100f588dfe7628c1e37f83742907f6c87d0fb658225fde8cb6ba4ff6de95a23e299f61ce992039913"
	"7c090a8afa42d65e5624aa7a33841fd1e969bbb974ec574c66689377375553fe39104db734bb5f2577373b1794ea3ce5"
	"9dd5bcc3b443eb2ea747efb0441163d8b44185dd413048931bbfb7f6e0450221e0964217cfd92b6556340726040da8fd"
	"7dca2eefea487c374d3f009f83dfef75842e79575cfc576e1a96fffc8c9aa699be25d97f962c06f7112a028080eb6318"
	"3c504987e58aca5f192b59968100a0fb51dbca770b0bc9964fef7049c75c6d20fd99b4b4e2ca2e77fd2ddc0bb66b130c"
	"8c192b179698b9f08bf6a027bbb6e38d518fbdaec79bb1899d0203010001a38201803082017c300e0603551d0f0101ff"
	"040403020186301d0603551d250416301406082b0601050507030106082b0601050507030230120603551d130101ff04"
	"0830060101ff020100301d0603551d0e041604148a747faf85cdee95cd3d9cd0e24614f371351d27301f0603551d2304"
	"1830168014e4af2b26711a2b4827852f52662ceff08913713e306806082b06010505070101045c305a302606082b0601"
	"0505073001861a687474703a2f2f6f6373702e706b692e676f6f672f6774737231303006082b06010505073002862468"
	"7474703a2f2f706b692e676f6f672f7265706f2f63657274732f67747372312e64657230340603551d1f042d302b3029"
	"a027a0258623687474703a2f2f63726c2e706b692e676f6f672f67747372312f67747372312e63726c30570603551d20"
	"0450304e3038060a2b06010401d679020503302a302806082b06010505070201161c68747470733a2f2f706b692e676f"
	"6f672f7265706f7369746f72792f3008060667810c0102013008060667810c010202300d06092a864886f70d01010b05"
	"000382020100897dac205c0c3cbe9aa857951bb4aefaaba57271b43695fddf4011034cc24614bb1424abf0507122dbad"
	"c46e7fcff16a6fc8831bd8ce895f876c87b8a90ca39ba162949395df5bae66190b02969efcb5e710693e7acb46495f46"
	"e141b1d7984d653400801a3f4f9f6c7f4900815341a4922182821af1a3445b2a5012134dc15336f34208af54fa8e7753"
	"1b6438271709bd58c91b7c392d5bf3ced4ed97db1403bf0953241fc20c04799826f261f15352fd428c1b662b3f15a1bb"
	"fff69be3819a01067189352824dde1bdeb192de148cb3d598351b474c69d7cc6b1865bafcc34c4d3ccd481119500a1f4"
	"122201fab48371af8cb78c7324ac3753c200903f11fe5ced3694";
static const char tls12_flight_frame5[] =
	"103bbd29aee2c73a623b6c63d980bf5971ac6327b94c17a0daf67315bf2ade8ff3a56c32813303d08651719934ba938d"
	"5db55158f7b293e801f659be719bfd4d28cecf6dc716dcf7d1d6469ba7ca6be9770ffda0b61b23831d101ad9090084e0"
	"44d3a27523b33486f620b0a45e101de05246009db10f1f217051f59add06fc55f42b0e3377c34b42c2f17713fc738094"
	"eb1fbb373fce022a66b0731d32a5326c32b08ee0c423ff5b7d4d6570ac2b9b3dcedbe06d8e3280be969f9263bc97bb5d"
	"b9f4e1715e2ae4ef0322b18a653a8fc09365d485cd0f0f5b83591647162d9c243ac880a62614859bf6379bac6ff9c5c3"
	"0651f3e27fc5b110ba51f4dd000566308205623082044aa003020102021077bd0d6cdb36f91aea210fc4f058d30d300d"
	"06092a864886f70d01010b05003057310b300906035504061302424531193017060355040a1310476c6f62616c536967"
	"6e206e762d73613110300e060355040b1307526f6f74204341311b301906035504031312476c6f62616c5369676e2052"
	"6f6f74204341301e170d3230303631393030303034325a170d3238303132383030303034325a3047310b300906035504"
	"061302555331223020060355040a1319476f6f676c65205472757374205365727669636573204c4c4331143012060355"
	"0403130b47545320526f6f7420523130820222300d06092a864886f70d01010105000382020f003082020a0282020100"
	"b611028b1ee3a1779b3bdcbf943eb795a7403ca1fd82f97d32068271f6f68c7ffbe8dbbc6a2e9797a38c4bf92bf6b1f9"
	"ce841db1f9c597deefb9f2a3e9bc12895ea7aa52abf82327cba4b19c63dbd7997ef00a5eeb68a6f4c65a470d4d1033e3"
	"4eb113a3c8186c4becfc0990df9d6429252307a1b4d23d2e60e0cfd20987bbcd48f04dc2c27a888abbbacf5919d6af8f"
	"b007b09e31f182c1c0df2ea66d6c190eb5d87e261a45033db079a49428ad0f7f26e5a808fe96e83c689453ee833a882b"
	"159609b2e07a8c2e75d69ceba756648f964f68ae3d97c2848fc0bc40c00b5cbdf687b3356cac18507f84e04ccd92d320"
	"e933bc5299af32b529b3252ab448f972e1ca64f7e682108de89dc28a88fa38668afc63f901f978fd7b5c77fa7687faec"
	"dfb10e799557b4bd26efd601d1eb160abb8e0bb5c5c58a55abd3acea914b29cc19a432254e2af16544d002ceaace49b4"
	"ea9f7c83b0407be743aba76ca38f7d8981fa4ca5ffd58ec3ce4be0b5d8b38e45cf76c0ed402bfd530fb0a7d53b0db18a"
	"a203de31adcc77ea6f7b3ed6df912212e6befad832fc1063145172de5dd61693bd296833ef3a66ec078a26df13d75765"
	"7827de5e491400a2007f9aa821b6a9b195b0a5b90d1611dac76c483c40e07e0d5acd563cd19705b9cb4bed394b9cc43f"
	"d255136e24b0d671faf4c1bacced1bf5fe8141d800983d3ac8ae7a98371805950203010001a382013830820134300e06"
	"03551d0f0101ff040403020186300f0603551d130101ff040530030101ff301d0603551d0e04160414e4af2b26711a2b"
	"4827852f52662ceff08913713e301f0603551d23041830168014607b661a450d97ca89502f7d04cd34a8fffcfd4b3060"
	"06082b0601050507010104543052302506082b060105050730018619687474703a2f2f6f6373702e706b692e676f6f67"
	"2f67737231302906082b06010505073002861d687474703a2f2f706b692e676f6f672f677372312f677372312e637274"
	"30320603551d1f042b30293027a025a0238621687474703a2f2f63726c2e706b692e676f6f672f677372312f67737231"
	"2e63726c303b0603551d20043430323008060667810c0102013008060667810c010202300d060b2b06010401d6790205"
	"0302300d060b2b06010401d67902050303300d06092a864886f70d01010b0500038201010034a41eb128a3d0b47617a6"
	"317a21e9d1523ec8db74164188b83d351dede4ff93e15c5fabbb";
static const char tls12_flight_frame6[] =
	"ea7ccfdbe40dd18b57f2266f5bbe17466894376f6b7ac8c01837fa2551acec68bfb2c849fd5a9aca0123ac84802b028c"
	"9997eb496a8c75d7c7deb2c9979f5848570e35a1e41ad6fd6f83816fef8ccf97afc0852af0f54e6909912de168b8c12b"
	"73e9d4d9fc22c0371f0b661d49ed02558f67e132d7d326bf70e33df4676d3d7ce53488e332faa76e066a6fbd8b91ee16"
	"4be83ba9b337e7c344a47ed86cd7c746f5929be7d521be66921994556cd429b20dc1665be277494828ed9dd71a337253"
	"b38235cf628bc9248ba5b7390cbb7e2a41bf52cffca296b6c2823f16030300720c00006e03001d20f782f33ab046ec19"
	"97c840acac216bcf16bbcbbcda4792c283e68ab22b15b50b0403004630440220013d44aed153e30e07da08b7811346b3"
	"8aa2c9c9803b3bbf4701306c8136c9bb02203f10d4a94107158ed42e53a55d06d83b42991f33fa400eb70516e31d8649"
	"d8ce16030300040e000000";


/* ---- helpers ---------------------------------------------------------------------------------- */

static void unhex(struct bytes *b, const char *hex)
{
	size_t n = strlen(hex);
	if (n % 2)
		abort();
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		if (sscanf(hex + i, "%2x", &v) != 1)
			abort();
		bytes_u8(b, (uint8_t)v);
	}
}

/* The fragments of the handshake records (type 22) of a TLS byte stream, one after the other: what
 * a caller reassembles before calling ciot_tls_handshake_next. */
static void tls_handshake_bytes(const struct bytes *stream, struct bytes *hs)
{
	size_t o = 0;
	while (stream->n - o >= 5) {
		const uint8_t *r = stream->d + o;
		size_t len = (size_t)r[3] << 8 | r[4];
		if (stream->n - o - 5 < len)
			abort();
		if (r[0] == 22)
			bytes_put(hs, r + 5, len);
		o += 5 + len;
	}
}

/* The same for DTLS records (13-byte headers), epoch 0 only: later epochs are encrypted. */
static void dtls_handshake_bytes(const struct bytes *datagram, struct bytes *hs)
{
	size_t o = 0;
	while (datagram->n - o >= 13) {
		const uint8_t *r = datagram->d + o;
		size_t len = (size_t)r[11] << 8 | r[12];
		if (datagram->n - o - 13 < len)
			abort();
		if (r[0] == 22 && r[3] == 0 && r[4] == 0)
			bytes_put(hs, r + 13, len);
		o += 13 + len;
	}
}

/* A heap copy of exactly n bytes, so that ASan sees any read past them. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		abort();
	if (n)
		memcpy(copy, p, n);
	return copy;
}

/* ciot_tls_handshake_next's outputs, for the checks to read. */
static struct {
	uint8_t type;
	const uint8_t *body;
	size_t body_len, consumed;
} got;

static enum ciot_tls_result next(const uint8_t *p, size_t n, bool dtls)
{
	return ciot_tls_handshake_next(p, n, dtls, &got.type, &got.body, &got.body_len, &got.consumed);
}

static enum ciot_tls_result client_hello(const uint8_t *p, size_t n, bool dtls,
					 struct ciot_tls_client_hello *h)
{
	uint8_t *copy = exact(p, n);
	enum ciot_tls_result r = ciot_tls_parse_client_hello(copy, n, dtls, h);
	free(copy);
	return r;
}

static enum ciot_tls_result server_hello(const uint8_t *p, size_t n, bool dtls,
					 struct ciot_tls_server_hello *h)
{
	uint8_t *copy = exact(p, n);
	enum ciot_tls_result r = ciot_tls_parse_server_hello(copy, n, dtls, h);
	free(copy);
	return r;
}

static enum ciot_tls_result sslv2_hello(const uint8_t *p, size_t n, struct ciot_tls_client_hello *h)
{
	uint8_t *copy = exact(p, n);
	enum ciot_tls_result r = ciot_tls_parse_sslv2_client_hello(copy, n, h);
	free(copy);
	return r;
}

static void hex_list(char *out, size_t cap, const uint16_t *v, unsigned n)
{
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%04x", i ? "," : "", v[i]);
}

/* A ClientHello as one line, so that a table row shows everything expected of it. */
static const char *describe_ch(const struct ciot_tls_client_hello *h)
{
	static char line[8192];
	char ciphers[CIOT_TLS_MAX_CIPHERS * 5 + 1], versions[CIOT_TLS_MAX_VERSIONS * 5 + 1];
	unsigned nciphers = h->nciphers <= CIOT_TLS_MAX_CIPHERS ? h->nciphers : 0;
	unsigned nversions = h->nversions <= CIOT_TLS_MAX_VERSIONS ? h->nversions : 0;
	hex_list(ciphers, sizeof ciphers, h->ciphers, nciphers);
	hex_list(versions, sizeof versions, h->versions, nversions);
	snprintf(line, sizeof line,
		 "v=%04x ciphers=%s versions=%s sni=%s alpn=%s sid=%u ticket=%d psk=%d v2=%d trunc=%d",
		 h->legacy_version, ciphers, versions, h->sni, h->alpn, h->session_id_len, h->session_ticket,
		 h->psk, h->sslv2, h->ciphers_truncated);
	return line;
}

static const char *describe_sh(const struct ciot_tls_server_hello *h)
{
	static char line[256];
	snprintf(line, sizeof line, "v=%04x sel=%04x cipher=%04x sid=%u psk=%d hrr=%d", h->legacy_version,
		 h->selected_version, h->cipher, h->session_id_len, h->psk, h->hello_retry_request);
	return line;
}

/* What tls.h promises of a ClientHello, whatever the bytes: counts within the arrays, strings
 * terminated inside theirs, no GREASE kept, session id within 32. */
static unsigned ch_insane(const struct ciot_tls_client_hello *h)
{
	unsigned bad = 0;
	bad += h->nciphers > CIOT_TLS_MAX_CIPHERS;
	bad += h->nversions > CIOT_TLS_MAX_VERSIONS;
	bad += memchr(h->sni, 0, sizeof h->sni) == NULL;
	bad += memchr(h->alpn, 0, sizeof h->alpn) == NULL;
	bad += h->session_id_len > 32 || h->session_id != (h->session_id_len > 0);
	bad += h->ciphers_truncated && h->nciphers != CIOT_TLS_MAX_CIPHERS;
	for (unsigned i = 0; i < h->nciphers && i < CIOT_TLS_MAX_CIPHERS; i++)
		bad += ciot_tls_is_grease(h->ciphers[i]);
	for (unsigned i = 0; i < h->nversions && i < CIOT_TLS_MAX_VERSIONS; i++)
		bad += ciot_tls_is_grease(h->versions[i]);
	return bad;
}

static unsigned sh_insane(const struct ciot_tls_server_hello *h)
{
	return h->session_id_len > 32;
}

/* ---- building messages ------------------------------------------------------------------------ */

/* Length-prefixed blocks: open writes a zero length and returns where, close patches it. */
static size_t open8(struct bytes *b)
{
	bytes_u8(b, 0);
	return b->n - 1;
}

static void close8(struct bytes *b, size_t at)
{
	b->d[at] = (uint8_t)(b->n - at - 1);
}

static size_t open16(struct bytes *b)
{
	bytes_u16(b, 0);
	return b->n - 2;
}

static void close16(struct bytes *b, size_t at)
{
	bytes_set_u16(b, at, (uint16_t)(b->n - at - 2));
}

static size_t open24(struct bytes *b)
{
	bytes_fill(b, 0, 3);
	return b->n - 3;
}

static void close24(struct bytes *b, size_t at)
{
	size_t n = b->n - at - 3;
	b->d[at] = (uint8_t)(n >> 16);
	b->d[at + 1] = (uint8_t)(n >> 8);
	b->d[at + 2] = (uint8_t)n;
}

/* A ClientHello body up to its compression methods: version 0x0303, a random of 0x11, sid_len bytes
 * of 0x22, for DTLS a cookie of cookie_len bytes of 0x33, the suites, the null compression method. */
static void ch_head_dtls(struct bytes *b, bool dtls, uint8_t sid_len, uint8_t cookie_len,
			 const uint16_t *suites, size_t n)
{
	bytes_u16(b, dtls ? 0xfefd : 0x0303);
	bytes_fill(b, 0x11, 32);
	bytes_u8(b, sid_len);
	bytes_fill(b, 0x22, sid_len);
	if (dtls) {
		bytes_u8(b, cookie_len);
		bytes_fill(b, 0x33, cookie_len);
	}
	bytes_u16(b, (uint16_t)(2 * n));
	for (size_t i = 0; i < n; i++)
		bytes_u16(b, suites[i]);
	bytes_u8(b, 1);
	bytes_u8(b, 0);
}

static const uint16_t two_suites[] = { 0x1301, 0xc02f };

static void ch_head(struct bytes *b)
{
	ch_head_dtls(b, false, 0, 0, two_suites, 2);
}

static void ext_raw(struct bytes *b, uint16_t type, const void *data, size_t len)
{
	bytes_u16(b, type);
	bytes_u16(b, (uint16_t)len);
	bytes_put(b, data, len);
}

/* server_name with one host_name of len bytes (len, so that a NUL can be inside). */
static void ext_sni(struct bytes *b, const char *name, size_t len)
{
	bytes_u16(b, 0);
	size_t ext = open16(b), list = open16(b);
	bytes_u8(b, 0);
	bytes_u16(b, (uint16_t)len);
	bytes_put(b, name, len);
	close16(b, list);
	close16(b, ext);
}

static void ext_alpn(struct bytes *b, const char *const *protocols, size_t n)
{
	bytes_u16(b, 16);
	size_t ext = open16(b), list = open16(b);
	for (size_t i = 0; i < n; i++) {
		bytes_u8(b, (uint8_t)strlen(protocols[i]));
		bytes_put(b, protocols[i], strlen(protocols[i]));
	}
	close16(b, list);
	close16(b, ext);
}

static void ext_versions(struct bytes *b, const uint16_t *v, size_t n)
{
	bytes_u16(b, 43);
	size_t ext = open16(b), list = open8(b);
	for (size_t i = 0; i < n; i++)
		bytes_u16(b, v[i]);
	close8(b, list);
	close16(b, ext);
}

/* pre_shared_key with one identity of 16 bytes and one binder of binder_len bytes. */
static void ext_psk(struct bytes *b, uint8_t binder_len)
{
	bytes_u16(b, 41);
	size_t ext = open16(b), ids = open16(b);
	bytes_u16(b, 16);
	bytes_fill(b, 0x44, 16);
	bytes_u32(b, 0x01020304);
	close16(b, ids);
	size_t binders = open16(b);
	bytes_u8(b, binder_len);
	bytes_fill(b, 0x55, binder_len);
	close16(b, binders);
	close16(b, ext);
}

/* ---- ClientHello cases ------------------------------------------------------------------------ */

#define MSG(fn) static void fn(struct bytes *b)
/* A ClientHello with the two usual suites and the extensions the statements write. */
#define EXTS(...)                         \
	do {                              \
		ch_head(b);               \
		size_t exts_ = open16(b); \
		__VA_ARGS__;              \
		close16(b, exts_);        \
	} while (0)

static const char *const h2_http11[] = { "h2", "http/1.1" };

MSG(c_no_extensions) { ch_head(b); }
MSG(c_empty_extensions) { EXTS((void)0); }
MSG(c_grease)
{
	static const uint16_t suites[] = { 0x0a0a, 0x1301, 0xfafa, 0xc02f, 0x00ff };
	static const uint16_t versions[] = { 0x2a2a, 0x0304, 0x0303, 0xdada };
	ch_head_dtls(b, false, 0, 0, suites, 5);
	size_t exts = open16(b);
	ext_raw(b, 0x3a3a, "", 0);
	ext_versions(b, versions, 4);
	ext_raw(b, 0x4a4a, "\0", 1);
	close16(b, exts);
}
MSG(c_full)
{
	static const uint16_t versions[] = { 0x0304, 0x0303 };
	ch_head_dtls(b, false, 32, 0, two_suites, 2);
	size_t exts = open16(b);
	ext_sni(b, "iot.example.com", 15);
	ext_alpn(b, h2_http11, 2);
	ext_versions(b, versions, 2);
	ext_raw(b, 35, "", 0);
	ext_psk(b, 32);
	close16(b, exts);
}
MSG(c_ticket) { EXTS(ext_raw(b, 35, "0123456789abcdef", 16)); }
MSG(c_ticket_empty) { EXTS(ext_raw(b, 35, "", 0)); }
MSG(c_psk_binder_31) { EXTS(ext_psk(b, 31)); }
MSG(c_psk_empty) { EXTS(ext_raw(b, 41, "", 0)); }
MSG(c_psk_trailing)
{
	EXTS({
		bytes_u16(b, 41);
		size_t ext = open16(b);
		static const uint8_t ids[] = { 0, 7, 0, 1, 'x', 0, 0, 0, 0 };
		bytes_put(b, ids, sizeof ids);
		bytes_u16(b, 33);
		bytes_u8(b, 32);
		bytes_fill(b, 0x55, 32);
		bytes_u8(b, 0);
		close16(b, ext);
	});
}
MSG(c_sni_nul) { EXTS(ext_sni(b, "good.example\0.evil.example", 26)); }
MSG(c_sni_zero_length) { EXTS(ext_sni(b, "", 0)); }
MSG(c_sni_empty_list) { EXTS(ext_raw(b, 0, "\0\0", 2)); }
MSG(c_sni_list_overrun) { EXTS(ext_raw(b, 0, "\0\x09\0\0\x05" "abcd", 9)); }
MSG(c_sni_two_hosts)
{
	EXTS({
		bytes_u16(b, 0);
		size_t ext = open16(b), list = open16(b);
		bytes_u8(b, 0); bytes_u16(b, 5); bytes_put(b, "first", 5);
		bytes_u8(b, 0); bytes_u16(b, 6); bytes_put(b, "second", 6);
		close16(b, list);
		close16(b, ext);
	});
}
MSG(c_sni_other_type_first)
{
	EXTS({
		bytes_u16(b, 0);
		size_t ext = open16(b), list = open16(b);
		bytes_u8(b, 7); bytes_u16(b, 3); bytes_put(b, "\0\0\0", 3);
		bytes_u8(b, 0); bytes_u16(b, 4); bytes_put(b, "host", 4);
		close16(b, list);
		close16(b, ext);
	});
}
MSG(c_sni_high_bytes) { EXTS(ext_sni(b, "caf\xc3\xa9.example\x7f", 14)); }
MSG(c_alpn_odd_bytes)
{
	static const char *const odd[] = { "a,b", "x\x01y", " sp", "h2" };
	EXTS(ext_alpn(b, odd, 4));
}
MSG(c_alpn_zero_length_name)
{
	static const char *const empty[] = { "h2", "" };
	EXTS(ext_alpn(b, empty, 2));
}
MSG(c_alpn_empty_list) { EXTS(ext_raw(b, 16, "\0\0", 2)); }
MSG(c_alpn_name_overrun) { EXTS(ext_raw(b, 16, "\0\x03\x05h2", 5)); }
MSG(c_duplicate_extension) { EXTS({ ext_raw(b, 23, "", 0); ext_raw(b, 23, "", 0); }); }
MSG(c_duplicate_sni) { EXTS({ ext_sni(b, "one", 3); ext_sni(b, "two", 3); }); }
MSG(c_versions_odd) { EXTS(ext_raw(b, 43, "\x03\x03\x04\x03", 4)); }
MSG(c_versions_empty) { EXTS(ext_raw(b, 43, "\x00", 1)); }
MSG(c_versions_trailing) { EXTS(ext_raw(b, 43, "\x02\x03\x04\x00", 4)); }
MSG(c_versions_17)
{
	uint16_t v[17];
	for (int i = 0; i < 17; i++)
		v[i] = (uint16_t)(0x7f00 + i);
	EXTS(ext_versions(b, v, 17));
}
MSG(c_ciphers_odd)
{
	bytes_u16(b, 0x0303);
	bytes_fill(b, 0x11, 32);
	bytes_u8(b, 0);
	bytes_u16(b, 3);
	bytes_fill(b, 0xc0, 3);
	bytes_u8(b, 1);
	bytes_u8(b, 0);
}
MSG(c_ciphers_empty) { ch_head_dtls(b, false, 0, 0, NULL, 0); }
MSG(c_ciphers_only_grease)
{
	static const uint16_t g[] = { 0x0a0a };
	ch_head_dtls(b, false, 0, 0, g, 1);
}
MSG(c_session_id_33) { ch_head_dtls(b, false, 33, 0, two_suites, 2); }
MSG(c_no_compression)
{
	ch_head(b);
	b->d[b->n - 2] = 0;
	b->n--;
}
MSG(c_trailing_after_extensions)
{
	EXTS(ext_sni(b, "kept.example", 12));
	bytes_u8(b, 0);
}
MSG(c_extension_past_end) { EXTS({ ext_sni(b, "kept.example", 12); bytes_u16(b, 23); bytes_u16(b, 1); }); }
MSG(c_extensions_length_one_byte)
{
	ch_head(b);
	bytes_u8(b, 0);
}
MSG(c_sni_then_damage)
{
	static const char *const one[] = { "mqtt" };
	EXTS({ ext_sni(b, "kept.example", 12); ext_alpn(b, one, 1); ext_raw(b, 43, "\x05\x03\x04", 3); });
}
MSG(c_dtls_cookie)
{
	static const uint16_t versions[] = { 0xfefc, 0xfefd };
	ch_head_dtls(b, true, 0, 32, two_suites, 2);
	size_t exts = open16(b);
	ext_sni(b, "coap.example", 12);
	ext_versions(b, versions, 2);
	close16(b, exts);
}
MSG(c_dtls_cookie_overrun)
{
	bytes_u16(b, 0xfefd);
	bytes_fill(b, 0x11, 32);
	bytes_u8(b, 0);
	bytes_u8(b, 200);
	bytes_fill(b, 0x33, 10);
}

struct ch_case {
	const char *name;
	void (*build)(struct bytes *);
	bool dtls;
	enum ciot_tls_result result;
	const char *want; /* describe_ch() of the result */
};

#define NOTHING "versions= sni= alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0"

static const struct ch_case ch_cases[] = {
	{ "no-extensions", c_no_extensions, false, OK, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "empty-extensions", c_empty_extensions, false, OK, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "grease", c_grease, false, OK,
	  "v=0303 ciphers=1301,c02f,00ff versions=0304,0303 sni= alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "full", c_full, false, OK,
	  "v=0303 ciphers=1301,c02f versions=0304,0303 sni=iot.example.com alpn=h2,http/1.1 sid=32 ticket=0 "
	  "psk=1 v2=0 trunc=0" },
	{ "ticket-presented", c_ticket, false, OK,
	  "v=0303 ciphers=1301,c02f versions= sni= alpn= sid=0 ticket=1 psk=0 v2=0 trunc=0" },
	{ "ticket-empty", c_ticket_empty, false, OK, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "psk-binder-31", c_psk_binder_31, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "psk-empty", c_psk_empty, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "psk-trailing-byte", c_psk_trailing, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "sni-embedded-nul", c_sni_nul, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "sni-zero-length", c_sni_zero_length, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "sni-empty-list", c_sni_empty_list, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "sni-name-past-list", c_sni_list_overrun, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "sni-two-host-names", c_sni_two_hosts, false, OK,
	  "v=0303 ciphers=1301,c02f versions= sni=first alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "sni-other-type-first", c_sni_other_type_first, false, OK,
	  "v=0303 ciphers=1301,c02f versions= sni=host alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "sni-bytes-kept-as-sent", c_sni_high_bytes, false, OK,
	  "v=0303 ciphers=1301,c02f versions= sni=caf\xc3\xa9.example\x7f alpn= sid=0 ticket=0 psk=0 v2=0 "
	  "trunc=0" },
	{ "alpn-odd-bytes", c_alpn_odd_bytes, false, OK,
	  "v=0303 ciphers=1301,c02f versions= sni= alpn=a?b,x?y,?sp,h2 sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "alpn-zero-length-name", c_alpn_zero_length_name, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f versions= sni= alpn=h2 sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "alpn-empty-list", c_alpn_empty_list, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "alpn-name-past-list", c_alpn_name_overrun, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "duplicate-extension", c_duplicate_extension, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f " NOTHING },
	{ "duplicate-sni-first-kept", c_duplicate_sni, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f versions= sni=one alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "versions-odd-length", c_versions_odd, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "versions-empty", c_versions_empty, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "versions-trailing", c_versions_trailing, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "versions-17-kept-16", c_versions_17, false, OK,
	  "v=0303 ciphers=1301,c02f versions=7f00,7f01,7f02,7f03,7f04,7f05,7f06,7f07,7f08,7f09,7f0a,7f0b,"
	  "7f0c,7f0d,7f0e,7f0f sni= alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "ciphers-odd-length", c_ciphers_odd, false, MALFORMED, "v=0303 ciphers= " NOTHING },
	{ "ciphers-empty", c_ciphers_empty, false, MALFORMED, "v=0303 ciphers= " NOTHING },
	{ "ciphers-only-grease", c_ciphers_only_grease, false, OK, "v=0303 ciphers= " NOTHING },
	{ "session-id-33", c_session_id_33, false, MALFORMED, "v=0303 ciphers= " NOTHING },
	{ "no-compression-method", c_no_compression, false, MALFORMED, "v=0303 ciphers=1301,c02f " NOTHING },
	{ "trailing-after-extensions", c_trailing_after_extensions, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f versions= sni= alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "extension-past-end", c_extension_past_end, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f versions= sni=kept.example alpn= sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "extensions-length-one-byte", c_extensions_length_one_byte, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f " NOTHING },
	{ "damage-after-sni-and-alpn", c_sni_then_damage, false, MALFORMED,
	  "v=0303 ciphers=1301,c02f versions= sni=kept.example alpn=mqtt sid=0 ticket=0 psk=0 v2=0 trunc=0" },
	{ "dtls-cookie", c_dtls_cookie, true, OK,
	  "v=fefd ciphers=1301,c02f versions=fefc,fefd sni=coap.example alpn= sid=0 ticket=0 psk=0 v2=0 "
	  "trunc=0" },
	{ "dtls-cookie-read-as-tls", c_dtls_cookie, false, MALFORMED, "v=fefd ciphers= " NOTHING },
	{ "dtls-cookie-overrun", c_dtls_cookie_overrun, true, MALFORMED, "v=fefd ciphers= " NOTHING },
};

#define NCH (sizeof ch_cases / sizeof ch_cases[0])

static void test_client_hello_table(void)
{
	for (size_t i = 0; i < NCH; i++) {
		const struct ch_case *c = &ch_cases[i];
		unsigned before = check_failures;
		struct bytes b = { .be = true };
		c->build(&b);
		struct ciot_tls_client_hello h;
		CHECK_EQ_INT(client_hello(b.d, b.n, c->dtls, &h), c->result);
		CHECK_EQ_STR(describe_ch(&h), c->want);
		CHECK_EQ_INT(ch_insane(&h), 0);
		check_case(before, c->name);
		bytes_free(&b);
	}
}

/* ---- ServerHello cases ------------------------------------------------------------------------ */

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ServerHello body up to its compression method: version, random (the HRR one when asked), a
 * session id of sid_len bytes, the suite. */
static void sh_head(struct bytes *b, uint16_t version, bool hrr, uint8_t sid_len, uint16_t suite)
{
	bytes_u16(b, version);
	if (hrr)
		bytes_put(b, hrr_random, 32);
	else
		bytes_fill(b, 0x66, 32);
	bytes_u8(b, sid_len);
	bytes_fill(b, 0x77, sid_len);
	bytes_u16(b, suite);
	bytes_u8(b, 0);
}

#define SH(...)                                  \
	do {                                     \
		size_t exts_ = open16(b);        \
		__VA_ARGS__;                     \
		close16(b, exts_);               \
	} while (0)

static const uint8_t v13[] = { 0x03, 0x04 };
static const uint8_t key_share[] = { 0x00, 0x1d, 0x00, 0x04, 1, 2, 3, 4 };

MSG(s_tls12) { sh_head(b, 0x0303, false, 32, 0xc02f); }
MSG(s_tls12_extensions)
{
	sh_head(b, 0x0303, false, 0, 0xc02f);
	SH(ext_raw(b, 65281, "\0", 1); ext_raw(b, 16, "\0\x03\x02h2", 5); ext_raw(b, 35, "", 0));
}
MSG(s_tls13)
{
	sh_head(b, 0x0303, false, 32, 0x1301);
	SH(ext_raw(b, 51, key_share, sizeof key_share); ext_raw(b, 43, v13, 2));
}
MSG(s_tls13_psk)
{
	sh_head(b, 0x0303, false, 32, 0x1302);
	SH(ext_raw(b, 43, v13, 2); ext_raw(b, 41, "\0\0", 2); ext_raw(b, 51, key_share, sizeof key_share));
}
MSG(s_hrr)
{
	sh_head(b, 0x0303, true, 32, 0x1303);
	SH(ext_raw(b, 43, v13, 2); ext_raw(b, 51, "\0\x17", 2); ext_raw(b, 44, "\0\x02\xaa\xbb", 4));
}
MSG(s_hrr_one_bit_off)
{
	s_hrr(b);
	b->d[2 + 31] ^= 1;
}
MSG(s_sv_three_bytes) { sh_head(b, 0x0303, false, 0, 0x1301); SH(ext_raw(b, 43, "\x03\x04\x00", 3)); }
MSG(s_sv_one_byte) { sh_head(b, 0x0303, false, 0, 0x1301); SH(ext_raw(b, 43, "\x03", 1)); }
MSG(s_psk_three_bytes) { sh_head(b, 0x0303, false, 0, 0x1301); SH(ext_raw(b, 41, "\0\0\0", 3)); }
MSG(s_duplicate_sv)
{
	sh_head(b, 0x0303, false, 0, 0x1301);
	SH(ext_raw(b, 43, v13, 2); ext_raw(b, 43, "\x03\x03", 2));
}
MSG(s_session_id_33) { sh_head(b, 0x0303, false, 33, 0x1301); }
MSG(s_no_compression) { sh_head(b, 0x0303, false, 0, 0x1301); b->n--; }
MSG(s_trailing)
{
	sh_head(b, 0x0303, false, 0, 0x1301);
	SH(ext_raw(b, 43, v13, 2));
	bytes_u8(b, 0);
}
MSG(s_short_random) { bytes_u16(b, 0x0303); bytes_fill(b, 0x66, 31); }
MSG(s_dtls) { sh_head(b, 0xfefd, false, 0, 0xc02b); SH(ext_raw(b, 23, "", 0)); }
MSG(s_selected_grease) { sh_head(b, 0x0303, false, 0, 0x1301); SH(ext_raw(b, 43, "\x0a\x0a", 2)); }

struct sh_case {
	const char *name;
	void (*build)(struct bytes *);
	bool dtls;
	enum ciot_tls_result result;
	const char *want; /* describe_sh() */
};

static const struct sh_case sh_cases[] = {
	{ "tls12", s_tls12, false, OK, "v=0303 sel=0000 cipher=c02f sid=32 psk=0 hrr=0" },
	{ "tls12-extensions", s_tls12_extensions, false, OK,
	  "v=0303 sel=0000 cipher=c02f sid=0 psk=0 hrr=0" },
	{ "tls13", s_tls13, false, OK, "v=0303 sel=0304 cipher=1301 sid=32 psk=0 hrr=0" },
	{ "tls13-psk", s_tls13_psk, false, OK, "v=0303 sel=0304 cipher=1302 sid=32 psk=1 hrr=0" },
	{ "hello-retry-request", s_hrr, false, OK, "v=0303 sel=0304 cipher=1303 sid=32 psk=0 hrr=1" },
	{ "hrr-random-one-bit-off", s_hrr_one_bit_off, false, OK,
	  "v=0303 sel=0304 cipher=1303 sid=32 psk=0 hrr=0" },
	{ "supported-versions-3-bytes", s_sv_three_bytes, false, MALFORMED,
	  "v=0303 sel=0304 cipher=1301 sid=0 psk=0 hrr=0" },
	{ "supported-versions-1-byte", s_sv_one_byte, false, MALFORMED,
	  "v=0303 sel=0000 cipher=1301 sid=0 psk=0 hrr=0" },
	{ "psk-3-bytes", s_psk_three_bytes, false, MALFORMED,
	  "v=0303 sel=0000 cipher=1301 sid=0 psk=0 hrr=0" },
	{ "duplicate-supported-versions", s_duplicate_sv, false, MALFORMED,
	  "v=0303 sel=0304 cipher=1301 sid=0 psk=0 hrr=0" },
	{ "session-id-33", s_session_id_33, false, MALFORMED,
	  "v=0303 sel=0000 cipher=0000 sid=0 psk=0 hrr=0" },
	{ "no-compression-method", s_no_compression, false, MALFORMED,
	  "v=0303 sel=0000 cipher=1301 sid=0 psk=0 hrr=0" },
	{ "trailing-byte", s_trailing, false, MALFORMED, "v=0303 sel=0000 cipher=1301 sid=0 psk=0 hrr=0" },
	{ "random-31-bytes", s_short_random, false, MALFORMED,
	  "v=0303 sel=0000 cipher=0000 sid=0 psk=0 hrr=0" },
	{ "dtls", s_dtls, true, OK, "v=fefd sel=0000 cipher=c02b sid=0 psk=0 hrr=0" },
	{ "selected-version-kept-as-sent", s_selected_grease, false, OK,
	  "v=0303 sel=0a0a cipher=1301 sid=0 psk=0 hrr=0" },
};

#define NSH (sizeof sh_cases / sizeof sh_cases[0])

static void test_server_hello_table(void)
{
	for (size_t i = 0; i < NSH; i++) {
		const struct sh_case *c = &sh_cases[i];
		unsigned before = check_failures;
		struct bytes b = { .be = true };
		c->build(&b);
		struct ciot_tls_server_hello h;
		CHECK_EQ_INT(server_hello(b.d, b.n, c->dtls, &h), c->result);
		CHECK_EQ_STR(describe_sh(&h), c->want);
		CHECK_EQ_INT(sh_insane(&h), 0);
		check_case(before, c->name);
		bytes_free(&b);
	}
	/* the session id's bytes are kept */
	struct bytes b = { .be = true };
	s_tls12(&b);
	struct ciot_tls_server_hello h;
	CHECK_EQ_INT(server_hello(b.d, b.n, false, &h), OK);
	uint8_t want[32];
	memset(want, 0x77, sizeof want);
	CHECK_EQ_MEM(h.session_id_bytes, want, 32);
	bytes_free(&b);
}

/* ---- caps: 300 suites, ALPN's bound ----------------------------------------------------------- */

static void test_caps(void)
{
	uint16_t suites[300];
	for (int i = 0; i < 300; i++)
		suites[i] = (uint16_t)(0x0100 + i);
	suites[5] = 0x1a1a; /* GREASE is not counted against the cap */
	struct bytes b = { .be = true };
	ch_head_dtls(&b, false, 0, 0, suites, 300);
	struct ciot_tls_client_hello h;
	CHECK_EQ_INT(client_hello(b.d, b.n, false, &h), OK);
	CHECK_EQ_INT(h.nciphers, CIOT_TLS_MAX_CIPHERS);
	CHECK(h.ciphers_truncated);
	CHECK_EQ_INT(h.ciphers[4], 0x0104);
	CHECK_EQ_INT(h.ciphers[5], 0x0106);
	CHECK_EQ_INT(h.ciphers[255], 0x0100 + 256);
	bytes_free(&b);

	/* exactly 256 (and one GREASE) is not truncated */
	b = (struct bytes){ .be = true };
	ch_head_dtls(&b, false, 0, 0, suites, 257);
	CHECK_EQ_INT(client_hello(b.d, b.n, false, &h), OK);
	CHECK_EQ_INT(h.nciphers, CIOT_TLS_MAX_CIPHERS);
	CHECK(!h.ciphers_truncated);
	bytes_free(&b);

	/* ALPN: eleven names of ten bytes take 120 characters with their commas; a twelfth would
	 * need 131 of the 127 there are, so it and every later one are left out, even a short one */
	static char names[13][11];
	const char *protocols[13];
	char want[2 * CIOT_TLS_ALPN_MAX] = ""; /* room to spare, for the compiler's bound check */
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "proto-%04d", i);
		protocols[i] = names[i];
		if (i < 11)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? "," : "",
				 names[i]);
	}
	protocols[12] = "h2";
	b = (struct bytes){ .be = true };
	ch_head(&b);
	size_t exts = open16(&b);
	ext_alpn(&b, protocols, 13);
	close16(&b, exts);
	CHECK_EQ_INT(client_hello(b.d, b.n, false, &h), OK);
	CHECK_EQ_STR(h.alpn, want);
	CHECK_EQ_INT(strlen(h.alpn), 120);
	bytes_free(&b);

	/* one name of 127 bytes fits exactly; 128 does not fit at all */
	for (int big = 0; big < 2; big++) {
		char name[129];
		memset(name, 'a', sizeof name);
		name[127 + big] = '\0';
		const char *one[] = { name };
		b = (struct bytes){ .be = true };
		ch_head(&b);
		exts = open16(&b);
		ext_alpn(&b, one, 1);
		close16(&b, exts);
		CHECK_EQ_INT(client_hello(b.d, b.n, false, &h), OK);
		CHECK_EQ_INT(strlen(h.alpn), big ? 0 : 127);
		bytes_free(&b);
	}

	/* SNI: 255 bytes are kept, 256 cannot be a host name */
	for (int big = 0; big < 2; big++) {
		char name[257];
		memset(name, 'n', sizeof name);
		name[255 + big] = '\0';
		b = (struct bytes){ .be = true };
		ch_head(&b);
		exts = open16(&b);
		ext_sni(&b, name, strlen(name));
		close16(&b, exts);
		CHECK_EQ_INT(client_hello(b.d, b.n, false, &h), big ? MALFORMED : OK);
		CHECK_EQ_STR(h.sni, big ? "" : name);
		bytes_free(&b);
	}
}

/* ---- real handshakes -------------------------------------------------------------------------- */

/* Parses the single handshake message in hs as a ClientHello (TLS or DTLS framing). */
static enum ciot_tls_result framed_client_hello(const struct bytes *hs, bool dtls,
						  struct ciot_tls_client_hello *h)
{
	enum ciot_tls_result r = next(hs->d, hs->n, dtls);
	CHECK_EQ_INT(r, OK);
	CHECK_EQ_INT(got.type, CIOT_TLS_CLIENT_HELLO);
	CHECK_EQ_INT(got.consumed, hs->n);
	if (r != OK)
		return r;
	return client_hello(got.body, got.body_len, dtls, h);
}

static void test_real_client_hellos(void)
{
	struct bytes stream = { .be = true }, hs = { .be = true };
	struct ciot_tls_client_hello h;

	unhex(&stream, tls12_ch_hex);
	tls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(hs.n, 175);
	CHECK_EQ_INT(framed_client_hello(&hs, false, &h), OK);
	CHECK_EQ_STR(describe_ch(&h), "v=0303 ciphers=c02b,c02c,c02f,c030 versions= "
				      "sni=notifications-pa.googleapis.com alpn=h2,http/1.1 sid=0 ticket=0 "
				      "psk=0 v2=0 trunc=0");
	CHECK_EQ_INT(ciot_tls_highest_version(h.versions, h.nversions), 0);
	bytes_free(&stream);
	bytes_free(&hs);

	stream = (struct bytes){ .be = true };
	hs = (struct bytes){ .be = true };
	unhex(&stream, tls13_ch_hex);
	tls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(framed_client_hello(&hs, false, &h), OK);
	CHECK_EQ_STR(describe_ch(&h), "v=0303 ciphers=1303,1301,1302,cca9,cca8,c02b,c02f,c02c,c030,c013,"
				      "c014,009c,009d,002f,0035 versions=0304,0303,0302,0301 "
				      "sni=www.iit.cnr.it alpn=h2,http/1.1 sid=32 ticket=0 psk=1 v2=0 "
				      "trunc=0");
	char buf[8];
	uint16_t highest = ciot_tls_highest_version(h.versions, h.nversions);
	CHECK_EQ_STR(ciot_tls_version_name(highest, buf, sizeof buf), "TLS1.3");
	bytes_free(&stream);
	bytes_free(&hs);

	/* DTLS: the HelloVerifyRequest, then the ClientHello with its cookie */
	stream = (struct bytes){ .be = true };
	hs = (struct bytes){ .be = true };
	unhex(&stream, dtls_hvr_hex);
	dtls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(next(hs.d, hs.n, true), OK);
	CHECK_EQ_INT(got.type, 3);
	CHECK_EQ_INT(got.body_len, 23);
	CHECK_EQ_INT(got.consumed, 35);
	bytes_free(&stream);
	bytes_free(&hs);

	stream = (struct bytes){ .be = true };
	hs = (struct bytes){ .be = true };
	unhex(&stream, dtls_ch_hex);
	dtls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(hs.n, 12 + 94);
	CHECK_EQ_INT(framed_client_hello(&hs, true, &h), OK);
	CHECK_EQ_STR(describe_ch(&h),
		     "v=fefd ciphers=c02c versions= sni= alpn= sid=32 ticket=0 psk=0 v2=0 trunc=0");
	struct bytes sid = { .be = true };
	unhex(&sid, "3832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a45e6d493e");
	CHECK_EQ_MEM(h.session_id_bytes, sid.d, 32);
	bytes_free(&sid);
	/* read as TLS, the cookie's length is taken for the suites' */
	CHECK_EQ_INT(client_hello(hs.d + 12, hs.n - 12, false, &h), MALFORMED);
	bytes_free(&stream);
	bytes_free(&hs);
}

static void test_real_server_hellos(void)
{
	struct bytes stream = { .be = true }, hs = { .be = true };
	struct ciot_tls_server_hello h;

	unhex(&stream, tls13_sh_hex);
	tls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(next(hs.d, hs.n, false), OK);
	CHECK_EQ_INT(got.type, CIOT_TLS_SERVER_HELLO);
	CHECK_EQ_INT(got.consumed, hs.n);
	CHECK_EQ_INT(server_hello(got.body, got.body_len, false, &h), OK);
	CHECK_EQ_STR(describe_sh(&h), "v=0303 sel=0304 cipher=1301 sid=32 psk=1 hrr=0");
	struct bytes sid = { .be = true };
	unhex(&sid, "691ce20136f8bc28a70a33e7ef38c01b821e4bab3b8775d4691789deb9ca7814");
	CHECK_EQ_MEM(h.session_id_bytes, sid.d, 32);
	bytes_free(&sid);
	CHECK_EQ_STR(ciot_tls_cipher_class(h.cipher), "forward-secret");
	bytes_free(&stream);
	bytes_free(&hs);

	stream = (struct bytes){ .be = true };
	hs = (struct bytes){ .be = true };
	unhex(&stream, hrr_hex);
	tls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(next(hs.d, hs.n, false), OK);
	CHECK_EQ_INT(got.type, CIOT_TLS_SERVER_HELLO);
	CHECK_EQ_INT(server_hello(got.body, got.body_len, false, &h), OK);
	CHECK_EQ_STR(describe_sh(&h), "v=0303 sel=0304 cipher=1302 sid=32 psk=0 hrr=1");
	bytes_free(&stream);
	bytes_free(&hs);

	stream = (struct bytes){ .be = true };
	hs = (struct bytes){ .be = true };
	unhex(&stream, dtls_sh_hex);
	dtls_handshake_bytes(&stream, &hs);
	CHECK_EQ_INT(next(hs.d, hs.n, true), OK);
	CHECK_EQ_INT(got.type, CIOT_TLS_SERVER_HELLO);
	CHECK_EQ_INT(got.consumed, hs.n);
	CHECK_EQ_INT(server_hello(got.body, got.body_len, true, &h), OK);
	CHECK_EQ_STR(describe_sh(&h), "v=fefd sel=0000 cipher=c02c sid=32 psk=0 hrr=0");
	bytes_free(&stream);
	bytes_free(&hs);
}

/* ---- certificates ----------------------------------------------------------------------------- */

#define MAX_CERTS 40

static struct {
	unsigned n, bad;
	unsigned entries; /* what the parser counted, reported or not */
	const uint8_t *lo, *hi; /* the message's bytes: every certificate must lie inside */
	const uint8_t *der[MAX_CERTS];
	size_t len[MAX_CERTS];
} certs;

static void on_certificate(void *ctx, unsigned index, const uint8_t *der, size_t len)
{
	certs.bad += ctx != &certs;
	certs.bad += index != certs.n || index >= CIOT_TLS_MAX_CHAIN || len == 0;
	certs.bad += der < certs.lo || der > certs.hi || len > (size_t)(certs.hi - der);
	if (certs.n < MAX_CERTS) {
		certs.der[certs.n] = der;
		certs.len[certs.n] = len;
	}
	certs.n++;
}

static enum ciot_tls_result certificate(const uint8_t *p, size_t n, bool tls13)
{
	memset(&certs, 0, sizeof certs);
	uint8_t *copy = exact(p, n);
	certs.lo = copy;
	certs.hi = copy + n;
	enum ciot_tls_result r = ciot_tls_parse_certificate(copy, n, tls13, on_certificate, &certs, &certs.entries);
	/* the pointers are into the copy: keep what the checks need as offsets */
	for (unsigned i = 0; i < certs.n && i < MAX_CERTS; i++)
		certs.der[i] = p + (certs.der[i] - copy);
	free(copy);
	return r;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;
	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		abort();
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The TLS 1.2 flight's Certificate body, for the other tests to build on. */
static struct bytes flight_certificate;

static void test_real_flight(void)
{
	static const char *const segments[] = { tls12_flight_frame3, tls12_flight_frame4, tls12_flight_frame5,
						tls12_flight_frame6 };
	struct bytes stream = { .be = true }, hs = { .be = true };
	for (size_t i = 0; i < 4; i++)
		unhex(&stream, segments[i]);
	CHECK_EQ_INT(stream.n, 4601);
	tls_handshake_bytes(&stream, &hs);
	static const uint8_t want_types[] = { CIOT_TLS_SERVER_HELLO, CIOT_TLS_CERTIFICATE,
					      CIOT_TLS_SERVER_KEY_EXCHANGE, CIOT_TLS_SERVER_HELLO_DONE };
	size_t o = 0;
	unsigned messages = 0;
	while (o < hs.n) {
		if (!CHECK_EQ_INT(next(hs.d + o, hs.n - o, false), OK))
			break;
		uint8_t type = got.type;
		const uint8_t *body = got.body;
		size_t body_len = got.body_len, consumed = got.consumed;
		CHECK_EQ_INT(consumed, 4 + body_len);
		if (messages < 4)
			CHECK_EQ_INT(type, want_types[messages]);
		if (type == CIOT_TLS_SERVER_HELLO) {
			struct ciot_tls_server_hello h;
			CHECK_EQ_INT(server_hello(body, body_len, false, &h), OK);
			CHECK_EQ_STR(describe_sh(&h), "v=0303 sel=0000 cipher=c02b sid=0 psk=0 hrr=0");
		}
		if (type == CIOT_TLS_CERTIFICATE) {
			bytes_put(&flight_certificate, body, body_len);
			CHECK_EQ_INT(certificate(body, body_len, false), OK);
			CHECK_EQ_INT(certs.bad, 0);
			CHECK_EQ_INT(certs.n, 3);
			static const size_t want_len[] = { 1559, 1434, 1382 };
			static const char *const want_sha[] = {
				"6661cf7367d256adb7f0a1681d32029101185184220cf08c1390ad59bdf45759",
				"23ecb03eec17338c4e33a6b48a41dc3cda12281bbc3ff813c0589d6cc2387522",
				"3ee0278df71fa3c125c4cd487f01d774694e6fc57e0cd94c24efd769133918e5",
			};
			for (unsigned i = 0; i < 3 && i < certs.n; i++) {
				char sha[65];
				CHECK_EQ_INT(certs.len[i], want_len[i]);
				sha256_hex(certs.der[i], certs.len[i], sha);
				CHECK_EQ_STR(sha, want_sha[i]);
			}
			/* the same bytes in TLS 1.3's format do not add up */
			CHECK_EQ_INT(certificate(body, body_len, true), MALFORMED);
		}
		messages++;
		o += consumed;
	}
	CHECK_EQ_INT(messages, 4);
	CHECK_EQ_INT(o, hs.n);
	bytes_free(&stream);
	bytes_free(&hs);
}

/* A TLS 1.3 Certificate body: a context of context_len bytes, then each certificate, the first with
 * an OCSP status_request extension, the others with none. */
static void tls13_certificate(struct bytes *b, uint8_t context_len, const struct bytes *const *ders, size_t n)
{
	bytes_u8(b, context_len);
	bytes_fill(b, 0x99, context_len);
	size_t list = open24(b);
	for (size_t i = 0; i < n; i++) {
		size_t entry = open24(b);
		bytes_put(b, ders[i]->d, ders[i]->n);
		close24(b, entry);
		size_t exts = open16(b);
		if (i == 0)
			ext_raw(b, 5, "\x01\x00\x00\x03\x30\x01\x02", 7);
		close16(b, exts);
	}
	close24(b, list);
}

/* A TLS 1.2 Certificate body of n copies of der. */
static void tls12_certificate(struct bytes *b, const struct bytes *der, size_t n)
{
	size_t list = open24(b);
	for (size_t i = 0; i < n; i++) {
		size_t entry = open24(b);
		bytes_put(b, der->d, der->n);
		close24(b, entry);
	}
	close24(b, list);
}

static void test_certificates(void)
{
	/* the real chain's three certificates, split out of the TLS 1.2 message */
	struct bytes real[3] = { { .be = true }, { .be = true }, { .be = true } };
	CHECK_EQ_INT(certificate(flight_certificate.d, flight_certificate.n, false), OK);
	for (unsigned i = 0; i < 3 && i < certs.n; i++)
		bytes_put(&real[i], certs.der[i], certs.len[i]);
	struct bytes leaf = { .be = true };
	unhex(&leaf, test_cert_hex);
	CHECK_EQ_INT(leaf.n, 374);

	/* TLS 1.3: a made leaf and the real chain, with and without a request context */
	const struct bytes *chain[] = { &leaf, &real[0], &real[1], &real[2] };
	for (int context = 0; context < 2; context++) {
		struct bytes b = { .be = true };
		tls13_certificate(&b, (uint8_t)(context ? 32 : 0), chain, 4);
		CHECK_EQ_INT(certificate(b.d, b.n, true), OK);
		CHECK_EQ_INT(certs.bad, 0);
		CHECK_EQ_INT(certs.n, 4);
		for (unsigned i = 0; i < 4 && i < certs.n; i++) {
			CHECK_EQ_INT(certs.len[i], chain[i]->n);
			CHECK(certs.len[i] == chain[i]->n &&
			      memcmp(certs.der[i], chain[i]->d, chain[i]->n) == 0);
		}
		char sha[65];
		if (certs.n > 0) {
			sha256_hex(certs.der[0], certs.len[0], sha);
			CHECK_EQ_STR(sha, "28647578cfbe68cbf3aa881fc3ede15e6d875c69d0b3a9c182964ca4998aaba1");
		}
		/* read as TLS 1.2 it is malformed */
		CHECK_EQ_INT(certificate(b.d, b.n, false), MALFORMED);
		/* no callback: the message is still checked */
		CHECK_EQ_INT(ciot_tls_parse_certificate(b.d, b.n, true, NULL, NULL, NULL), OK);
		bytes_free(&b);
	}

	/* the chain cap: 20 entries, 16 reported, OK */
	struct bytes b = { .be = true };
	tls12_certificate(&b, &leaf, 20);
	CHECK_EQ_INT(certificate(b.d, b.n, false), OK);
	CHECK_EQ_INT(certs.n, CIOT_TLS_MAX_CHAIN);
	CHECK_EQ_INT(certs.entries, 20);
	CHECK_EQ_INT(certs.bad, 0);
	/* ... and a damaged 20th entry still makes the message malformed */
	b.d[3 + 19 * (3 + leaf.n)] = 0x10;
	CHECK_EQ_INT(certificate(b.d, b.n, false), MALFORMED);
	CHECK_EQ_INT(certs.n, CIOT_TLS_MAX_CHAIN);
	CHECK_EQ_INT(certs.entries, 19);
	bytes_free(&b);

	/* an empty chain (a client without a certificate) */
	static const uint8_t empty12[] = { 0, 0, 0 }, empty13[] = { 0, 0, 0, 0 };
	CHECK_EQ_INT(certificate(empty12, sizeof empty12, false), OK);
	CHECK_EQ_INT(certs.n, 0);
	CHECK_EQ_INT(certificate(empty13, sizeof empty13, true), OK);
	CHECK_EQ_INT(certs.n, 0);
	CHECK_EQ_INT(certificate(empty12, 0, false), MALFORMED);

	/* a zero-length certificate; the list one byte longer than the message; a trailing byte */
	static const uint8_t zero[] = { 0, 0, 3, 0, 0, 0 };
	CHECK_EQ_INT(certificate(zero, sizeof zero, false), MALFORMED);
	b = (struct bytes){ .be = true };
	tls12_certificate(&b, &leaf, 2);
	b.d[2]++;
	CHECK_EQ_INT(certificate(b.d, b.n, false), MALFORMED);
	CHECK_EQ_INT(certs.n, 0);
	b.d[2]--;
	bytes_u8(&b, 0);
	CHECK_EQ_INT(certificate(b.d, b.n, false), MALFORMED);
	bytes_free(&b);

	/* damage after the leaf: the leaf is reported, the message is malformed */
	b = (struct bytes){ .be = true };
	tls12_certificate(&b, &leaf, 2);
	b.d[3 + 3 + leaf.n + 1] = 0x7f; /* the second entry's length, far past the end */
	CHECK_EQ_INT(certificate(b.d, b.n, false), MALFORMED);
	CHECK_EQ_INT(certs.n, 1);
	CHECK_EQ_INT(certs.bad, 0);
	bytes_free(&b);

	/* TLS 1.3: an entry's extensions running past the list */
	b = (struct bytes){ .be = true };
	const struct bytes *one[] = { &leaf };
	tls13_certificate(&b, 0, one, 1);
	b.d[b.n - 7 - 4 - 2] = 0x01; /* the extensions length's high byte */
	CHECK_EQ_INT(certificate(b.d, b.n, true), MALFORMED);
	CHECK_EQ_INT(certs.n, 0);
	bytes_free(&b);

	for (int i = 0; i < 3; i++)
		bytes_free(&real[i]);
	bytes_free(&leaf);
}

/* ---- framing ---------------------------------------------------------------------------------- */

static void test_framing(void)
{
	/* two TLS messages back to back, the second empty (ServerHelloDone) */
	static const uint8_t two[] = { 2, 0, 0, 3, 0xaa, 0xbb, 0xcc, 14, 0, 0, 0 };
	CHECK_EQ_INT(next(two, sizeof two, false), OK);
	CHECK_EQ_INT(got.type, 2);
	CHECK(got.body == two + 4);
	CHECK_EQ_INT(got.body_len, 3);
	CHECK_EQ_INT(got.consumed, 7);
	CHECK_EQ_INT(next(two + 7, 4, false), OK);
	CHECK_EQ_INT(got.type, 14);
	CHECK_EQ_INT(got.body_len, 0);
	CHECK_EQ_INT(got.consumed, 4);
	/* short of the header, short of the body: TRUNCATED and nothing reported */
	for (size_t k = 0; k < 7; k++) {
		CHECK_EQ_INT(next(two, k, false), TRUNCATED);
		CHECK(got.type == 0 && got.body == NULL && got.body_len == 0 && got.consumed == 0);
	}
	CHECK_EQ_INT(next(NULL, 0, false), TRUNCATED);

	/* DTLS: a whole message in one fragment */
	static const uint8_t whole[] = { 1, 0, 0, 2, 0, 5, 0, 0, 0, 0, 0, 2, 0xde, 0xad, 0xff };
	CHECK_EQ_INT(next(whole, sizeof whole, true), OK);
	CHECK_EQ_INT(got.type, 1);
	CHECK(got.body == whole + 12);
	CHECK_EQ_INT(got.body_len, 2);
	CHECK_EQ_INT(got.consumed, 14);
	/* read as TLS, the same bytes claim a 2-byte body: the DTLS fields */
	CHECK_EQ_INT(next(whole, sizeof whole, false), OK);
	CHECK_EQ_INT(got.consumed, 6);

	/* the first fragment of a 100-byte message: TRUNCATED, but the fragment is described, so that
	 * the caller can keep it and skip past it */
	static const uint8_t first[] = { 11, 0, 0, 100, 0, 1, 0, 0, 0, 0, 0, 3, 7, 8, 9, 0x16 };
	CHECK_EQ_INT(next(first, sizeof first, true), TRUNCATED);
	CHECK_EQ_INT(got.type, 11);
	CHECK(got.body == first + 12);
	CHECK_EQ_INT(got.body_len, 3);
	CHECK_EQ_INT(got.consumed, 15);
	/* a later fragment, and the last one */
	static const uint8_t middle[] = { 11, 0, 0, 100, 0, 1, 0, 0, 50, 0, 0, 1, 7 };
	CHECK_EQ_INT(next(middle, sizeof middle, true), TRUNCATED);
	CHECK_EQ_INT(got.consumed, 13);
	static const uint8_t last[] = { 11, 0, 0, 100, 0, 1, 0, 0, 99, 0, 0, 1, 7 };
	CHECK_EQ_INT(next(last, sizeof last, true), TRUNCATED);
	CHECK_EQ_INT(got.consumed, 13);
	/* a fragment whose bytes are not all there: nothing described */
	CHECK_EQ_INT(next(first, 14, true), TRUNCATED);
	CHECK_EQ_INT(got.consumed, 0);
	CHECK(got.body == NULL);
	/* fragments reaching past the message's end */
	static const uint8_t past[] = { 11, 0, 0, 100, 0, 1, 0, 0, 99, 0, 0, 2, 7, 8 };
	CHECK_EQ_INT(next(past, sizeof past, true), MALFORMED);
	static const uint8_t offset_past[] = { 11, 0, 0, 100, 0, 1, 0, 0, 101, 0, 0, 0 };
	CHECK_EQ_INT(next(offset_past, sizeof offset_past, true), MALFORMED);
	static const uint8_t huge[] = { 11, 0, 0, 100, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	CHECK_EQ_INT(next(huge, sizeof huge, true), MALFORMED);
	/* an empty message in DTLS */
	static const uint8_t empty[] = { 14, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0 };
	CHECK_EQ_INT(next(empty, sizeof empty, true), OK);
	CHECK_EQ_INT(got.consumed, 12);
	CHECK_EQ_INT(got.body_len, 0);
	for (size_t k = 0; k < sizeof whole - 1; k++)
		CHECK_EQ_INT(next(whole, k, true), TRUNCATED);
}

/* The DTLS record walker: plaintext headers of each epoch, a record cut by the capture, DTLS 1.3's
 * unified header with and without a length and with a connection ID, bytes that are no record. */
static void test_dtls_records(void)
{
	static const uint8_t datagram[] = {
		/* a handshake record of epoch 0, 3 bytes */
		22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0xa, 0xb, 0xc,
		/* application data of epoch 1, 2 bytes */
		23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 2, 0, 2, 0xd, 0xe,
		/* unified header: 16-bit sequence number, a length of 1, epoch 2 */
		0x2e, 0x12, 0x34, 0, 1, 0xf,
		/* unified header without a length: to the datagram's end */
		0x23, 0x55, 1, 2, 3,
	};
	size_t pos = 0;
	struct ciot_dtls_record r;
	CHECK(ciot_dtls_next_record(datagram, sizeof datagram, &pos, &r));
	CHECK(!r.unified && !r.cut);
	CHECK_EQ_INT(r.type, 22);
	CHECK_EQ_INT(r.epoch, 0);
	CHECK_EQ_INT(r.length, 3);
	CHECK(r.body == datagram + 13);
	CHECK_EQ_INT(pos, 16);
	CHECK(ciot_dtls_next_record(datagram, sizeof datagram, &pos, &r));
	CHECK_EQ_INT(r.type, 23);
	CHECK_EQ_INT(r.epoch, 1);
	CHECK_EQ_INT(r.length, 2);
	CHECK_EQ_INT(pos, 31);
	CHECK(ciot_dtls_next_record(datagram, sizeof datagram, &pos, &r));
	CHECK(r.unified && !r.cut);
	CHECK_EQ_INT(r.type, 23);
	CHECK_EQ_INT(r.epoch, 2);
	CHECK_EQ_INT(r.length, 1);
	CHECK(r.body == datagram + 36);
	CHECK_EQ_INT(pos, 37);
	CHECK(ciot_dtls_next_record(datagram, sizeof datagram, &pos, &r));
	CHECK(r.unified);
	CHECK_EQ_INT(r.length, 3);
	CHECK_EQ_INT(pos, sizeof datagram);
	CHECK(!ciot_dtls_next_record(datagram, sizeof datagram, &pos, &r));
	/* a record whose length runs past the captured bytes: what is there, marked cut */
	pos = 0;
	CHECK(ciot_dtls_next_record(datagram, 14, &pos, &r));
	CHECK(r.cut);
	CHECK_EQ_INT(r.length, 1);
	CHECK_EQ_INT(pos, 14);
	/* short of a header, or not a header: nothing, pos unmoved */
	for (size_t k = 0; k < 13; k++) {
		pos = 0;
		CHECK(!ciot_dtls_next_record(datagram, k, &pos, &r));
		CHECK_EQ_INT(pos, 0);
	}
	static const uint8_t garbage[] = { 22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	pos = 0;
	CHECK(!ciot_dtls_next_record(garbage, sizeof garbage, &pos, &r));
	/* a unified header with a connection ID: its length is not read, the record runs to the end */
	static const uint8_t cid[] = { 0x34, 7, 9, 9, 0, 2, 1 };
	pos = 0;
	CHECK(ciot_dtls_next_record(cid, sizeof cid, &pos, &r));
	CHECK_EQ_INT(r.length, 5);
	CHECK_EQ_INT(pos, sizeof cid);
	/* a unified header cut inside its own fields */
	static const uint8_t short_unified[] = { 0x2c, 0x12, 0x34, 0 };
	pos = 0;
	CHECK(!ciot_dtls_next_record(short_unified, sizeof short_unified, &pos, &r));
	CHECK(!ciot_dtls_next_record(NULL, 0, &pos, &r));
}

/* ---- SSLv2 ------------------------------------------------------------------------------------ */

/* An SSLv2 ClientHello record: two-byte header (three when three_byte), the given version, specs
 * of three bytes each, session id and challenge of the given lengths. */
static void sslv2(struct bytes *b, bool three_byte, uint16_t version, const uint32_t *specs, size_t nspecs,
		  uint16_t sid_len, uint16_t challenge_len)
{
	size_t len = 9 + 3 * nspecs + sid_len + challenge_len;
	if (three_byte) {
		bytes_u16(b, (uint16_t)len);
		bytes_u8(b, 0);
	} else {
		bytes_u16(b, (uint16_t)(0x8000 | len));
	}
	bytes_u8(b, 1);
	bytes_u16(b, version);
	bytes_u16(b, (uint16_t)(3 * nspecs));
	bytes_u16(b, sid_len);
	bytes_u16(b, challenge_len);
	for (size_t i = 0; i < nspecs; i++) {
		bytes_u8(b, (uint8_t)(specs[i] >> 16));
		bytes_u16(b, (uint16_t)specs[i]);
	}
	bytes_fill(b, 0x5a, sid_len);
	bytes_fill(b, 0xc4, challenge_len);
}

static const uint32_t v2_specs[] = { 0x010080, 0x00002f, 0x000a0a, 0x0700c0, 0x000004 };

static void test_sslv2(void)
{
	struct bytes b = { .be = true };
	struct ciot_tls_client_hello h;
	unhex(&b, sslv2_hex);
	CHECK_EQ_INT(b.n, 126);
	CHECK(ciot_tls_is_sslv2_client_hello(b.d, b.n));
	CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), OK);
	CHECK_EQ_STR(describe_ch(&h), "v=0301 ciphers=0039,0038,0035,0016,0013,000a,0033,0032,002f,0066,"
				      "0005,0004,0063,0062,0061,0015,0012,0009,0065,0064,0060,0014,0011,0008,"
				      "0006,0003 versions= sni= alpn= sid=0 ticket=0 psk=0 v2=1 trunc=0");
	CHECK_EQ_INT(ch_insane(&h), 0);
	/* the record, then more bytes (the next record): only the record is read */
	bytes_fill(&b, 0x16, 5);
	CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), OK);
	CHECK_EQ_INT(h.nciphers, 26);
	b.n -= 5;
	/* every prefix is TRUNCATED; detection needs five bytes */
	unsigned bad = 0;
	for (size_t k = 0; k < b.n; k++) {
		bad += sslv2_hello(b.d, k, &h) != TRUNCATED;
		bad += ciot_tls_is_sslv2_client_hello(b.d, k) != (k >= 5);
	}
	CHECK_EQ_INT(bad, 0);
	bytes_free(&b);

	/* SSL 2.0 itself (version 0x0002) resuming a 16-byte session; GREASE and SSL 2.0 kinds out */
	b = (struct bytes){ .be = true };
	sslv2(&b, false, 0x0002, v2_specs, 5, 16, 32);
	CHECK(ciot_tls_is_sslv2_client_hello(b.d, b.n));
	CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), OK);
	CHECK_EQ_STR(describe_ch(&h),
		     "v=0002 ciphers=002f,0004 versions= sni= alpn= sid=16 ticket=0 psk=0 v2=1 trunc=0");
	CHECK_EQ_STR(ciot_tls_version_name(h.legacy_version, NULL, 0), "SSLv2");
	bytes_free(&b);

	/* the cap: 300 TLS suites in three-byte specs, 256 kept */
	static uint32_t many[300];
	for (size_t i = 0; i < 300; i++)
		many[i] = (uint32_t)(0x0100 + i);
	b = (struct bytes){ .be = true };
	sslv2(&b, false, 0x0301, many, 300, 0, 16);
	CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), OK);
	CHECK_EQ_INT(h.nciphers, CIOT_TLS_MAX_CIPHERS);
	CHECK(h.ciphers_truncated);
	CHECK_EQ_INT(h.ciphers[255], 0x01ff);
	bytes_free(&b);

	/* the three-byte header: parsed, but not recognised (it looks like a TLS record) */
	b = (struct bytes){ .be = true };
	sslv2(&b, true, 0x0300, v2_specs, 5, 0, 16);
	CHECK(!ciot_tls_is_sslv2_client_hello(b.d, b.n));
	CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), OK);
	CHECK_EQ_INT(h.legacy_version, 0x0300);
	b.d[2] = 1; /* padding in a clear-text hello */
	CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), MALFORMED);
	bytes_free(&b);

	struct {
		const char *name;
		uint16_t sid, challenge;
		/* 0 none, 1 record one longer (and a byte more), 2 specs length not a multiple of
		 * 3, 3 message type 2, 4 record one shorter */
		int edit;
		enum ciot_tls_result want;
	} cases[] = {
		{ "challenge-15", 0, 15, 0, MALFORMED }, { "challenge-33", 0, 33, 0, MALFORMED },
		{ "challenge-16", 0, 16, 0, OK },        { "session-id-33", 33, 16, 0, MALFORMED },
		{ "trailing-byte", 0, 16, 1, MALFORMED }, { "specs-length-4", 0, 16, 2, MALFORMED },
		{ "message-type-2", 0, 16, 3, MALFORMED }, { "record-short", 0, 16, 4, MALFORMED },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned before = check_failures;
		b = (struct bytes){ .be = true };
		sslv2(&b, false, 0x0301, v2_specs, 5, cases[i].sid, cases[i].challenge);
		switch (cases[i].edit) {
		case 1: bytes_u8(&b, 0); bytes_set_u16(&b, 0, (uint16_t)(0x8000 | (b.n - 2))); break;
		case 2: bytes_set_u16(&b, 5, 4); break;
		case 3: b.d[2] = 2; break;
		case 4: bytes_set_u16(&b, 0, (uint16_t)(0x8000 | (b.n - 3))); break;
		default: break;
		}
		CHECK_EQ_INT(sslv2_hello(b.d, b.n, &h), cases[i].want);
		CHECK_EQ_INT(ch_insane(&h), 0);
		check_case(before, cases[i].name);
		bytes_free(&b);
	}

	/* not SSLv2: TLS records, the wrong message type, an odd version, a record too short */
	b = (struct bytes){ .be = true };
	unhex(&b, tls12_ch_hex);
	CHECK(!ciot_tls_is_sslv2_client_hello(b.d, b.n));
	bytes_free(&b);
	static const uint8_t server_hello_v2[] = { 0x80, 0x20, 4, 0x00, 0x02 };
	static const uint8_t version_0x0102[] = { 0x80, 0x20, 1, 0x01, 0x02 };
	static const uint8_t record_8[] = { 0x80, 0x08, 1, 0x03, 0x01 };
	CHECK(!ciot_tls_is_sslv2_client_hello(server_hello_v2, sizeof server_hello_v2));
	CHECK(!ciot_tls_is_sslv2_client_hello(version_0x0102, sizeof version_0x0102));
	CHECK(!ciot_tls_is_sslv2_client_hello(record_8, sizeof record_8));
	CHECK(!ciot_tls_is_sslv2_client_hello(NULL, 0));
	CHECK_EQ_INT(ciot_tls_parse_sslv2_client_hello(NULL, 0, &h), TRUNCATED);
}

/* ---- names ------------------------------------------------------------------------------------ */

static void test_versions(void)
{
	static const struct {
		uint16_t v;
		const char *name;
	} names[] = {
		{ 0x0002, "SSLv2" },  { 0x0300, "SSLv3" },   { 0x0301, "TLS1.0" },  { 0x0302, "TLS1.1" },
		{ 0x0303, "TLS1.2" }, { 0x0304, "TLS1.3" },  { 0xfeff, "DTLS1.0" }, { 0xfefd, "DTLS1.2" },
		{ 0xfefc, "DTLS1.3" }, { 0x7f1c, "0x7f1c" }, { 0x0100, "0x0100" },  { 0x0a0a, "0x0a0a" },
		{ 0x0000, "0x0000" }, { 0xfefe, "0xfefe" },
	};
	char buf[8];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK_EQ_STR(ciot_tls_version_name(names[i].v, buf, sizeof buf), names[i].name);
	char small[4];
	CHECK_EQ_STR(ciot_tls_version_name(0x7f1c, small, sizeof small), "0x7");
	CHECK_EQ_STR(ciot_tls_version_name(0x7f1c, NULL, 0), "unknown");
	CHECK_EQ_STR(ciot_tls_version_name(0x0303, NULL, 0), "TLS1.2");

	static const struct {
		uint16_t v[6];
		unsigned n;
		uint16_t want;
	} highest[] = {
		{ { 0x0301, 0x0303, 0x0302 }, 3, 0x0303 },
		{ { 0x8a8a, 0x0304, 0x0303, 0x0302, 0x0301 }, 5, 0x0304 },
		{ { 0x0303, 0x0304 }, 2, 0x0304 },
		{ { 0 }, 0, 0 },
		{ { 0x2a2a }, 1, 0 },
		{ { 0xfeff, 0xfefd }, 2, 0xfefd },
		{ { 0xfefd, 0xfefc, 0xfeff }, 3, 0xfefc },
		{ { 0x7f1c, 0x0303 }, 2, 0x7f1c },
		{ { 0x7f1c, 0x0304, 0x7f17 }, 3, 0x0304 },
		{ { 0x0002, 0x0300 }, 2, 0x0300 },
		{ { 0x0000, 0x0002 }, 2, 0x0002 },
	};
	for (size_t i = 0; i < sizeof highest / sizeof highest[0]; i++)
		CHECK_EQ_INT(ciot_tls_highest_version(highest[i].v, highest[i].n), highest[i].want);
	CHECK_EQ_INT(ciot_tls_highest_version(NULL, 0), 0);
}

static void test_alerts(void)
{
	static const struct {
		uint8_t v;
		const char *name;
	} alerts[] = {
		{ 0, "close_notify" },
		{ 10, "unexpected_message" },
		{ 20, "bad_record_mac" },
		{ 21, "decryption_failed" },
		{ 22, "record_overflow" },
		{ 30, "decompression_failure" },
		{ 40, "handshake_failure" },
		{ 41, "no_certificate" },
		{ 42, "bad_certificate" },
		{ 43, "unsupported_certificate" },
		{ 44, "certificate_revoked" },
		{ 45, "certificate_expired" },
		{ 46, "certificate_unknown" },
		{ 47, "illegal_parameter" },
		{ 48, "unknown_ca" },
		{ 49, "access_denied" },
		{ 50, "decode_error" },
		{ 51, "decrypt_error" },
		{ 60, "export_restriction" },
		{ 70, "protocol_version" },
		{ 71, "insufficient_security" },
		{ 80, "internal_error" },
		{ 86, "inappropriate_fallback" },
		{ 90, "user_canceled" },
		{ 100, "no_renegotiation" },
		{ 109, "missing_extension" },
		{ 110, "unsupported_extension" },
		{ 111, "certificate_unobtainable" },
		{ 112, "unrecognized_name" },
		{ 113, "bad_certificate_status_response" },
		{ 114, "bad_certificate_hash_value" },
		{ 115, "unknown_psk_identity" },
		{ 116, "certificate_required" },
		{ 117, "general_error" },
		{ 120, "no_application_protocol" },
		{ 121, "ech_required" },
	};
	size_t n = sizeof alerts / sizeof alerts[0];
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_STR(ciot_tls_alert_name(alerts[i].v), alerts[i].name);
	/* every other value is unknown */
	unsigned named = 0;
	for (unsigned v = 0; v < 256; v++)
		named += ciot_tls_alert_name((uint8_t)v) != NULL;
	CHECK_EQ_INT(named, n);
	CHECK(ciot_tls_alert_name(1) == NULL);
	CHECK(ciot_tls_alert_name(255) == NULL);
}

static void test_grease(void)
{
	unsigned n = 0;
	for (unsigned v = 0; v < 65536; v++)
		n += ciot_tls_is_grease((uint16_t)v);
	CHECK_EQ_INT(n, 16);
	CHECK(ciot_tls_is_grease(0x0a0a));
	CHECK(ciot_tls_is_grease(0xfafa));
	CHECK(ciot_tls_is_grease(0x8a8a));
	CHECK(!ciot_tls_is_grease(0x0a1a));
	CHECK(!ciot_tls_is_grease(0x1a0a));
	CHECK(!ciot_tls_is_grease(0xaaab));
	CHECK(!ciot_tls_is_grease(0x0000));
}

/* ---- cipher suites ---------------------------------------------------------------------------- */

#define CIPHER_TABLE_SIZE 361

/* The flags the table should have, worked out again from each name by the rules tls.c states. */
static unsigned flags_from_name(uint16_t id, const char *n)
{
	if (id == 0x00ff || id == 0x5600)
		return 0;
	unsigned f = 0;
	if (strstr(n, "RC4") || strstr(n, "DES") || strstr(n, "EXPORT"))
		f |= CIOT_CIPHER_INSECURE;
	if (strstr(n, "_WITH_NULL_") || !strcmp(n, "TLS_NULL_WITH_NULL_NULL") ||
	    !strcmp(n, "TLS_SHA256_SHA256") || !strcmp(n, "TLS_SHA384_SHA384"))
		f |= CIOT_CIPHER_NO_ENCRYPTION;
	if (strstr(n, "_anon_") || id == 0x0000)
		f |= CIOT_CIPHER_NO_AUTH;
	bool tls13 = (id >= 0x1301 && id <= 0x1307) || id == 0x00c6 || id == 0x00c7 || id == 0xc0b4 ||
		     id == 0xc0b5 || (id >= 0xc103 && id <= 0xc106);
	if (!strncmp(n, "TLS_DHE_", 8) || !strncmp(n, "TLS_ECDHE_", 10) || !strncmp(n, "TLS_PSK_DHE_", 12) ||
	    tls13)
		f |= CIOT_CIPHER_FORWARD_SECRET;
	if (strstr(n, "_PSK_"))
		f |= CIOT_CIPHER_PSK;
	return f;
}

static void test_cipher_table(void)
{
	/* Every value 0..0xffff: the binary search finds each entry at its own id, the entries come in
	 * increasing order (so the table is sorted, strictly: no id twice), and there are as many as
	 * the table has. An unsorted table would lose some entries to the search. */
	unsigned found = 0, bad_id = 0, bad_order = 0, bad_name = 0, bad_flags = 0;
	const struct ciot_tls_cipher *prev = NULL;
	for (unsigned v = 0; v < 65536; v++) {
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup((uint16_t)v);
		if (!c)
			continue;
		found++;
		bad_id += c->id != v;
		bad_order += prev && c <= prev;
		prev = c;
		bad_name += c->name == NULL || (strncmp(c->name, "TLS_", 4) && strncmp(c->name, "SSL_", 4));
		if (c->name && c->flags != flags_from_name(c->id, c->name)) {
			bad_flags++;
			fprintf(stderr, "flags of 0x%04x %s: %u, expected %u\n", c->id, c->name, c->flags,
				flags_from_name(c->id, c->name));
		}
	}
	CHECK_EQ_INT(found, CIPHER_TABLE_SIZE);
	CHECK_EQ_INT(bad_id, 0);
	CHECK_EQ_INT(bad_order, 0);
	CHECK_EQ_INT(bad_name, 0);
	CHECK_EQ_INT(bad_flags, 0);
	/* every table entry is one contiguous array: the first and last bound all the others */
	CHECK(ciot_tls_cipher_lookup(0xfeff) - ciot_tls_cipher_lookup(0x0000) == CIPHER_TABLE_SIZE - 1);

	static const struct {
		uint16_t id;
		const char *name;
	} names[] = {
		{ 0x0000, "TLS_NULL_WITH_NULL_NULL" },
		{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
		{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
		{ 0x1301, "TLS_AES_128_GCM_SHA256" },
		{ 0x1302, "TLS_AES_256_GCM_SHA384" },
		{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
		{ 0x1304, "TLS_AES_128_CCM_SHA256" },
		{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
		{ 0x5600, "TLS_FALLBACK_SCSV" },
		{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
		{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
		{ 0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8" },
		{ 0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256" },
		{ 0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup(names[i].id);
		CHECK_EQ_STR(c ? c->name : NULL, names[i].name);
	}
	/* not in the registry: GREASE, unassigned, pre-standard ChaCha20, old GOST, private use */
	static const uint16_t absent[] = { 0x0a0a, 0x1308, 0x001c, 0xcc13, 0x0080,
					   0xd004, 0xff00, 0xffff, 0x0047 };
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
		CHECK(ciot_tls_cipher_lookup(absent[i]) == NULL);

	/* the families the audit needs, each there at least once */
	static const char *const families[] = {
		"_WITH_NULL_", "EXPORT",   "RC4",  "_DES_", "3DES", "_anon_", "TLS_PSK_WITH", "_DHE_PSK_",
		"_ECDHE_PSK_", "_RSA_PSK_", "CHACHA20", "CAMELLIA", "ARIA", "SEED", "IDEA",   "_CCM",
		"GCM",         "KRB5",     "SRP",
	};
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
		unsigned n = 0;
		for (unsigned v = 0; v < 65536; v++) {
			const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup((uint16_t)v);
			n += c && strstr(c->name, families[f]);
		}
		if (!CHECK(n > 0))
			fprintf(stderr, "  ^ no %s suite\n", families[f]);
	}
}

static void test_cipher_classes(void)
{
	static const struct {
		uint16_t id;
		const char *cls;
	} classes[] = {
		{ 0xc02f, "forward-secret" },  /* ECDHE_RSA AES-GCM */
		{ 0x0004, "insecure" },        /* RSA RC4 */
		{ 0x000a, "insecure" },        /* 3DES */
		{ 0x0009, "insecure" },        /* single DES */
		{ 0x0014, "insecure" },        /* DHE EXPORT: forward secret, but insecure first */
		{ 0x0001, "no-encryption" },   /* RSA NULL */
		{ 0x0000, "no-encryption" },   /* no encryption and no authentication: encryption first */
		{ 0xc0b4, "no-encryption" },   /* TLS 1.3 integrity only */
		{ 0x0018, "insecure" },        /* DH_anon RC4: anonymous and insecure; insecure is worse */
		{ 0x0034, "anonymous" },       /* DH_anon AES */
		{ 0xc018, "anonymous" },       /* ECDH_anon AES */
		{ 0x008c, "psk" },             /* plain PSK */
		{ 0x00aa, "psk" },             /* DHE_PSK: forward secret too, PSK first */
		{ 0xcca8, "forward-secret" },  /* ECDHE ChaCha20 */
		{ 0x002c, "no-encryption" },   /* PSK NULL */
		{ 0x008a, "insecure" },        /* PSK RC4 */
		{ 0x002f, "other" },           /* RSA key transport */
		{ 0xc031, "other" },           /* static ECDH */
		{ 0x0007, "other" },           /* IDEA: not insecure in IoTLS */
		{ 0x1301, "forward-secret" },  /* TLS 1.3 */
		{ 0x1303, "forward-secret" },
		{ 0x0064, "insecure" },        /* EXPORT1024, reserved by IANA for deployed stacks */
		{ 0xfeff, "insecure" },        /* Netscape FIPS 3DES */
		{ 0x00ff, "unknown" },         /* a signalling value, not a suite a connection can use */
		{ 0x5600, "unknown" },
		{ 0x0a0a, "unknown" },         /* GREASE */
		{ 0x1308, "unknown" },         /* unassigned */
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		if (!CHECK_EQ_STR(ciot_tls_cipher_class(classes[i].id), classes[i].cls))
			fprintf(stderr, "  ^ for 0x%04x\n", classes[i].id);
	}
	/* every suite in the table has one of the six classes */
	unsigned bad = 0;
	static const char *const known[] = { "insecure", "no-encryption", "anonymous",
					     "psk",      "forward-secret", "other" };
	for (unsigned v = 0; v < 65536; v++) {
		const char *cls = ciot_tls_cipher_class((uint16_t)v);
		bool in_table = ciot_tls_cipher_lookup((uint16_t)v) && v != 0x00ff && v != 0x5600;
		bool is_known = false;
		for (size_t k = 0; k < 6; k++)
			is_known |= strcmp(cls, known[k]) == 0;
		bad += in_table != is_known || (!in_table && strcmp(cls, "unknown"));
	}
	CHECK_EQ_INT(bad, 0);
}

/* Every suite OpenSSL knows, with its IANA name (-stdname), must be in the table under that name.
 * Skipped, with a note, when there is no openssl tool to ask. */
static void test_ciphers_against_openssl(void)
{
	FILE *f = popen("openssl ciphers -V -stdname 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' 2>/dev/null", "r");
	if (!f) {
		printf("test-tls: openssl not run, its cipher list not compared\n");
		return;
	}
	char line[512];
	unsigned n = 0, missing = 0, misnamed = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned hi, lo;
		char name[128];
		if (sscanf(line, " 0x%2x,0x%2x - %127s", &hi, &lo, name) != 3)
			continue;
		n++;
		const struct ciot_tls_cipher *c = ciot_tls_cipher_lookup((uint16_t)(hi << 8 | lo));
		if (!c) {
			missing++;
			fprintf(stderr, "OpenSSL's 0x%02x%02x %s is not in the table\n", hi, lo, name);
		} else if (strcmp(c->name, name)) {
			misnamed++;
			fprintf(stderr, "OpenSSL names 0x%02x%02x %s, the table %s\n", hi, lo, name, c->name);
		}
	}
	int status = pclose(f);
	if (n == 0 || status != 0) {
		printf("test-tls: openssl not available, its cipher list not compared\n");
		return;
	}
	CHECK(n >= 100);
	CHECK_EQ_INT(missing, 0);
	CHECK_EQ_INT(misnamed, 0);
}

/* ---- truncations ------------------------------------------------------------------------------ */

/* A handshake message of `type` with TLS's or DTLS's header around body. */
static void frame(struct bytes *out, uint8_t type, const uint8_t *body, size_t n, bool dtls)
{
	bytes_u8(out, type);
	bytes_u8(out, (uint8_t)(n >> 16));
	bytes_u16(out, (uint16_t)n);
	if (dtls) {
		bytes_u16(out, 0);
		bytes_fill(out, 0, 3);
		bytes_u8(out, (uint8_t)(n >> 16));
		bytes_u16(out, (uint16_t)n);
	}
	bytes_put(out, body, n);
}

/* Every prefix of one whole message, framed: TRUNCATED with nothing reported, and OK for all of
 * it. Every prefix of its body: the parser for its type answers OK or MALFORMED, never anything
 * else, and keeps its promises; OK only where the body can really end (after a hello's compression
 * methods, when there are no extensions, and at the end). */
static void truncations(const char *what, const uint8_t *msg, size_t n, bool dtls, bool tls13)
{
	unsigned bad = 0, ok_prefixes = 0;
	size_t header = dtls ? 12 : 4;
	for (size_t k = 0; k <= n; k++) {
		uint8_t *copy = exact(msg, k);
		enum ciot_tls_result r = next(copy, k, dtls);
		if (k < n)
			bad += r != TRUNCATED || got.consumed != 0;
		else
			bad += r != OK || got.consumed != n || got.body != copy + header;
		free(copy);
	}
	uint8_t type = msg[0];
	struct ciot_tls_client_hello ch;
	struct ciot_tls_server_hello sh;
	for (size_t k = 0; k < n - header; k++) {
		enum ciot_tls_result r = MALFORMED;
		if (type == CIOT_TLS_CLIENT_HELLO) {
			r = client_hello(msg + header, k, dtls, &ch);
			bad += ch_insane(&ch);
		} else if (type == CIOT_TLS_SERVER_HELLO) {
			r = server_hello(msg + header, k, dtls, &sh);
			bad += sh_insane(&sh);
		} else if (type == CIOT_TLS_CERTIFICATE) {
			r = certificate(msg + header, k, tls13);
			bad += certs.bad;
		}
		bad += r != OK && r != MALFORMED;
		ok_prefixes += r == OK;
	}
	bad += ok_prefixes > (type == CIOT_TLS_CERTIFICATE ? 0u : 1u);
	if (!CHECK_EQ_INT(bad, 0))
		fprintf(stderr, "  ^ in truncations of \"%s\"\n", what);
}

/* The messages of a stream of handshake bytes, each truncated. */
static void truncate_stream(const char *what, const struct bytes *hs, bool dtls, bool tls13)
{
	size_t o = 0;
	unsigned messages = 0;
	while (o < hs->n) {
		if (next(hs->d + o, hs->n - o, dtls) != OK)
			break;
		size_t consumed = got.consumed;
		truncations(what, hs->d + o, consumed, dtls, tls13);
		o += consumed;
		messages++;
	}
	CHECK(messages > 0 && o == hs->n);
}

/* All the valid inputs, as streams of handshake bytes (for the mutations too). */
struct sample {
	struct bytes hs;
	bool dtls, tls13;
	char what[48];
};

#define MAX_SAMPLES 96

static size_t samples(struct sample *s)
{
	size_t n = 0;
	static const struct {
		const char *hex;
		bool dtls;
	} captured[] = { { tls12_ch_hex, false }, { tls13_ch_hex, false }, { tls13_sh_hex, false },
			 { hrr_hex, false },      { dtls_hvr_hex, true },  { dtls_ch_hex, true },
			 { dtls_sh_hex, true } };
	for (size_t i = 0; i < sizeof captured / sizeof captured[0]; i++) {
		struct bytes stream = { .be = true };
		unhex(&stream, captured[i].hex);
		s[n] = (struct sample){ .hs = { .be = true }, .dtls = captured[i].dtls };
		if (captured[i].dtls)
			dtls_handshake_bytes(&stream, &s[n].hs);
		else
			tls_handshake_bytes(&stream, &s[n].hs);
		snprintf(s[n].what, sizeof s[n].what, "captured %zu", i);
		n++;
		bytes_free(&stream);
	}
	static const char *const segments[] = { tls12_flight_frame3, tls12_flight_frame4, tls12_flight_frame5,
						tls12_flight_frame6 };
	struct bytes stream = { .be = true };
	for (size_t i = 0; i < 4; i++)
		unhex(&stream, segments[i]);
	s[n] = (struct sample){ .hs = { .be = true } };
	tls_handshake_bytes(&stream, &s[n].hs);
	snprintf(s[n].what, sizeof s[n].what, "TLS 1.2 flight");
	n++;
	bytes_free(&stream);

	/* a TLS 1.3 Certificate: the made certificate and the flight's chain */
	struct bytes leaf = { .be = true }, body = { .be = true };
	unhex(&leaf, test_cert_hex);
	const struct bytes *one[] = { &leaf, &flight_certificate };
	/* (the flight's whole Certificate body stands in for a second DER blob: the parser does not look
	 * inside) */
	tls13_certificate(&body, 2, one, 2);
	s[n] = (struct sample){ .hs = { .be = true }, .tls13 = true };
	frame(&s[n].hs, CIOT_TLS_CERTIFICATE, body.d, body.n, false);
	snprintf(s[n].what, sizeof s[n].what, "TLS 1.3 certificate");
	n++;
	bytes_free(&body);
	bytes_free(&leaf);

	/* the valid built hellos */
	for (size_t i = 0; i < NCH && n < MAX_SAMPLES; i++) {
		if (ch_cases[i].result != OK)
			continue;
		struct bytes b = { .be = true };
		ch_cases[i].build(&b);
		s[n] = (struct sample){ .hs = { .be = true }, .dtls = ch_cases[i].dtls };
		frame(&s[n].hs, CIOT_TLS_CLIENT_HELLO, b.d, b.n, ch_cases[i].dtls);
		snprintf(s[n].what, sizeof s[n].what, "client hello %s", ch_cases[i].name);
		n++;
		bytes_free(&b);
	}
	for (size_t i = 0; i < NSH && n < MAX_SAMPLES; i++) {
		if (sh_cases[i].result != OK)
			continue;
		struct bytes b = { .be = true };
		sh_cases[i].build(&b);
		s[n] = (struct sample){ .hs = { .be = true }, .dtls = sh_cases[i].dtls };
		frame(&s[n].hs, CIOT_TLS_SERVER_HELLO, b.d, b.n, sh_cases[i].dtls);
		snprintf(s[n].what, sizeof s[n].what, "server hello %s", sh_cases[i].name);
		n++;
		bytes_free(&b);
	}
	return n;
}

static void free_samples(struct sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bytes_free(&s[i].hs);
}

static void test_truncations(void)
{
	static struct sample s[MAX_SAMPLES];
	size_t n = samples(s);
	CHECK(n >= 30);
	for (size_t i = 0; i < n; i++)
		truncate_stream(s[i].what, &s[i].hs, s[i].dtls, s[i].tls13);
	free_samples(s, n);

	/* the SSLv2 record: TRUNCATED for every prefix (in test_sslv2), and here the built ones */
	unsigned bad = 0;
	struct bytes b = { .be = true };
	sslv2(&b, false, 0x0301, v2_specs, 5, 16, 32);
	for (size_t k = 0; k < b.n; k++) {
		struct ciot_tls_client_hello h;
		bad += sslv2_hello(b.d, k, &h) != TRUNCATED;
	}
	bytes_free(&b);
	CHECK_EQ_INT(bad, 0);
}

/* ---- mutations -------------------------------------------------------------------------------- */

#define MUTATIONS 200000

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rng(void)
{
	/* xorshift64*: deterministic, so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 32);
}

static unsigned results[3];

/* Every parser on a body, in every mode; the number of broken promises. */
static unsigned feed_body(const uint8_t *body, size_t n)
{
	unsigned bad = 0;
	for (int mode = 0; mode < 2; mode++) {
		struct ciot_tls_client_hello ch;
		enum ciot_tls_result r = ciot_tls_parse_client_hello(body, n, mode, &ch);
		bad += (r != OK && r != MALFORMED) || ch_insane(&ch);
		results[r == OK ? 0 : 1]++;
		char buf[8];
		uint16_t highest = ciot_tls_highest_version(ch.versions, ch.nversions);
		const char *name = ciot_tls_version_name(highest, buf, sizeof buf);
		bad += name == NULL || strlen(name) >= sizeof buf;
		for (unsigned i = 0; i < ch.nciphers && i < CIOT_TLS_MAX_CIPHERS; i++)
			bad += ciot_tls_cipher_class(ch.ciphers[i]) == NULL;
		struct ciot_tls_server_hello sh;
		r = ciot_tls_parse_server_hello(body, n, mode, &sh);
		bad += (r != OK && r != MALFORMED) || sh_insane(&sh);
		memset(&certs, 0, sizeof certs);
		certs.lo = body;
		certs.hi = body + n;
		r = ciot_tls_parse_certificate(body, n, mode, on_certificate, &certs, NULL);
		bad += (r != OK && r != MALFORMED) || certs.bad;
	}
	return bad;
}

/* What the fuzz target does: the handshake framing in both modes over the whole input, every
 * parser on every message found (and on each DTLS fragment), on the input itself, SSLv2. */
static unsigned feed(const uint8_t *p, size_t n)
{
	unsigned bad = 0;
	for (int dtls = 0; dtls < 2; dtls++) {
		size_t o = 0;
		while (o < n) {
			size_t header = dtls ? 12 : 4;
			enum ciot_tls_result r = next(p + o, n - o, dtls);
			bad += r != OK && r != TRUNCATED && r != MALFORMED;
			if (got.consumed == 0) {
				bad += r == OK || got.body != NULL;
				break;
			}
			size_t consumed = got.consumed;
			bad += consumed > n - o || consumed != header + got.body_len;
			bad += got.body != p + o + header;
			bad += r == MALFORMED;
			bad += feed_body(got.body, got.body_len);
			o += consumed;
		}
	}
	bad += feed_body(p, n);
	struct ciot_tls_client_hello ch;
	bool is = ciot_tls_is_sslv2_client_hello(p, n);
	enum ciot_tls_result r = ciot_tls_parse_sslv2_client_hello(p, n, &ch);
	bad += r > MALFORMED || ch_insane(&ch) || !ch.sslv2;
	bad += is && n >= 2 && r == TRUNCATED && (size_t)((p[0] & 0x7f) << 8 | p[1]) + 2 <= n;
	if (n >= 2) {
		char buf[8];
		uint16_t v = (uint16_t)(p[0] << 8 | p[1]);
		bad += ciot_tls_version_name(v, buf, sizeof buf) == NULL;
		bad += ciot_tls_cipher_class(v) == NULL;
		const char *alert = ciot_tls_alert_name(p[1]);
		bad += alert != NULL && *alert == '\0';
	}
	return bad;
}

static void mutate_all(void *arg)
{
	(void)arg;
	static struct sample s[MAX_SAMPLES];
	size_t ns = samples(s);
	/* and the SSLv2 hello, as captured */
	if (ns < MAX_SAMPLES) {
		s[ns] = (struct sample){ .hs = { .be = true } };
		unhex(&s[ns].hs, sslv2_hex);
		ns++;
	}
	static uint8_t buf[16384];
	unsigned bad = 0;
	for (unsigned it = 0; it < MUTATIONS; it++) {
		const struct bytes *base = &s[it % ns].hs;
		size_t n = base->n;
		if (n > sizeof buf - 64)
			n = sizeof buf - 64;
		memcpy(buf, base->d, n);
		unsigned edits = 1 + rng() % 4;
		for (unsigned e = 0; e < edits && n > 0; e++) {
			size_t at = rng() % n;
			switch (rng() % 7) {
			case 0: buf[at] = (uint8_t)rng(); break;
			case 1: buf[at] ^= (uint8_t)(1u << rng() % 8); break;
			case 2: buf[at] = (uint8_t)(rng() % 4); break;           /* small lengths */
			case 3: buf[at] = (uint8_t)(0xf0 | rng() % 16); break;   /* large lengths */
			case 4: n = at + 1; break;
			case 5:
				for (int k = 0; k < 16; k++)
					buf[n + (size_t)k] = (uint8_t)rng();
				n += 16;
				break;
			case 6: /* a GREASE value or a known extension type over two bytes */
				if (at + 1 < n) {
					static const uint16_t v[] = { 0x0a0a, 0,  16,     35,
								      41,     43, 0x0304, 0xfefd };
					uint16_t x = v[rng() % 8];
					buf[at] = (uint8_t)(x >> 8);
					buf[at + 1] = (uint8_t)x;
				}
				break;
			}
		}
		uint8_t *copy = exact(buf, n);
		bad += feed(copy, n);
		free(copy);
	}
	CHECK_EQ_INT(bad, 0);
	/* the mutations reach both outcomes of the ClientHello parser */
	CHECK(results[0] > 0 && results[1] > 0);
	free_samples(s, ns);
}

static void test_mutations(void)
{
	CHECK_SURVIVES(mutate_all, NULL);
}

int main(void)
{
	test_real_client_hellos();
	test_real_server_hellos();
	test_real_flight();
	test_client_hello_table();
	test_server_hello_table();
	test_caps();
	test_certificates();
	test_framing();
	test_dtls_records();
	test_sslv2();
	test_versions();
	test_alerts();
	test_grease();
	test_cipher_table();
	test_cipher_classes();
	test_ciphers_against_openssl();
	test_truncations();
	test_mutations();
	bytes_free(&flight_certificate);
	return check_summary("test-tls");
}
