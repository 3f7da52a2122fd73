/* test-x509.c: certificate fields, findings and chain judgements (x509.h).
 *
 * Certificates are made at test time with the OpenSSL API: an RSA-2048 CA and leaves it signs (one
 * with SANs DNS:device.example.com and IP:192.0.2.7), an intermediate, an RSA-1024 SHA-1
 * self-signed v1 certificate, EC P-256 and P-192 keys (OpenSSL 3's default provider still makes
 * P-192 keys, so no fallback was needed), Ed25519, DSA-1024 with dsaWithSHA1, ecdsa-with-SHA1,
 * MD5 (the default provider still signs with it), RSA-PSS with SHA-1 and SHA-256, UTCTime and
 * GeneralizedTime dates (1950, 2049/2050, 2060, 9999), the 398-day boundary, a certificate whose
 * issuer equals its subject but that another key signed, hostile names and SANs, odd serials, an
 * unknown signature OID. Every field is checked against an expectation written out by hand.
 *
 * Chains are judged against the test CA in a temporary trust file, and against the system store
 * with a real chain from the corpus (sites.pcapng, frame 494: pandora.com over TLS 1.2 on
 * 2022-03-06, chaining to DigiCert Global Root G2). Then the trust store failing to open, threads
 * sharing one store, the interceptor's certificates (mitmproxy's name, a CA file, a fixed leaf),
 * every truncation of a real certificate, trailing bytes and seeded random
 * mutations, with OpenSSL's error queue checked empty after each failure.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "testfs.h"
#include "x509.h"

/* ---- a real chain: sites.pcapng (shared corpus, ndpi), frame 494, 1646568788.673958 --------------
 * Extracted with `tshark -r sites.pcapng -Y frame.number==494 -T fields -e tls.handshake.certificate`.
 * The server (SNI pandora.com) chose TLS 1.2 in frame 492. `openssl verify -attime 1646568788
 * -untrusted <intermediate>` with Debian's ca-certificates says OK. */
#define PANDORA_TIME INT64_C(1646568788)

static const uint8_t pandora_leaf[1661] = {
	0x30, 0x82, 0x06, 0x79, 0x30, 0x82, 0x05, 0x61, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x10, 0x0f, 0xec, 0xcc, 0x54, 0x64,
	0xb1, 0x9e, 0xc7, 0xa9, 0x57, 0x6b, 0x08, 0xf0, 0x87, 0x17, 0xc2, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x30, 0x60, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55,
	0x53, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x0c, 0x44, 0x69, 0x67, 0x69, 0x43, 0x65, 0x72, 0x74,
	0x20, 0x49, 0x6e, 0x63, 0x31, 0x19, 0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x13, 0x10, 0x77, 0x77, 0x77, 0x2e, 0x64,
	0x69, 0x67, 0x69, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x31, 0x1f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x13, 0x16, 0x47, 0x65, 0x6f, 0x54, 0x72, 0x75, 0x73, 0x74, 0x20, 0x54, 0x4c, 0x53, 0x20, 0x52, 0x53, 0x41, 0x20, 0x43,
	0x41, 0x20, 0x47, 0x31, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x31, 0x30, 0x35, 0x31, 0x32, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
	0x5a, 0x17, 0x0d, 0x32, 0x32, 0x30, 0x36, 0x31, 0x32, 0x32, 0x33, 0x35, 0x39, 0x35, 0x39, 0x5a, 0x30, 0x69, 0x31, 0x0b,
	0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x08,
	0x13, 0x0a, 0x43, 0x61, 0x6c, 0x69, 0x66, 0x6f, 0x72, 0x6e, 0x69, 0x61, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04,
	0x07, 0x13, 0x07, 0x4f, 0x61, 0x6b, 0x6c, 0x61, 0x6e, 0x64, 0x31, 0x1b, 0x30, 0x19, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13,
	0x12, 0x50, 0x61, 0x6e, 0x64, 0x6f, 0x72, 0x61, 0x20, 0x4d, 0x65, 0x64, 0x69, 0x61, 0x2c, 0x20, 0x4c, 0x4c, 0x43, 0x31,
	0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0d, 0x2a, 0x2e, 0x70, 0x61, 0x6e, 0x64, 0x6f, 0x72, 0x61, 0x2e,
	0x63, 0x6f, 0x6d, 0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
	0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xd8, 0xba, 0x06, 0x69,
	0x1d, 0xe2, 0x20, 0xfa, 0xaf, 0x11, 0xe5, 0xd3, 0x6e, 0xfd, 0x39, 0xb8, 0x94, 0xc1, 0xe8, 0xb7, 0xa8, 0xef, 0x17, 0x11,
	0xc5, 0xf5, 0x2e, 0x63, 0x2d, 0x61, 0x6e, 0x0d, 0x8f, 0x5d, 0xc9, 0xb6, 0xa8, 0x9a, 0xd8, 0x44, 0xf0, 0x1e, 0xac, 0x89,
	0xbe, 0xc4, 0x73, 0x1e, 0x89, 0xcf, 0x3d, 0xdc, 0x1e, 0xb2, 0x1d, 0x0c, 0xdb, 0x80, 0xe5, 0x9d, 0x4a, 0x19, 0xe6, 0xd5,
	0xa9, 0x24, 0x86, 0x93, 0xa0, 0xb2, 0xaf, 0x45, 0xd1, 0x07, 0xad, 0x5f, 0x35, 0x0d, 0x91, 0x38, 0xdc, 0x6d, 0x99, 0x42,
	0x2e, 0x67, 0x6a, 0xe6, 0x39, 0x5f, 0xde, 0xf7, 0xed, 0x85, 0x11, 0x32, 0x83, 0x84, 0x1b, 0x37, 0xe0, 0x1d, 0x07, 0x4d,
	0x5c, 0xfe, 0xc9, 0xa6, 0x6d, 0x3f, 0xb3, 0xd0, 0x4f, 0x61, 0x2d, 0x4c, 0xda, 0x4a, 0xfb, 0x11, 0x68, 0x71, 0x60, 0x98,
	0x57, 0x17, 0x33, 0x25, 0xaf, 0x8c, 0xcf, 0x6f, 0x9e, 0x57, 0xe3, 0x58, 0xbf, 0xe5, 0x4f, 0x1f, 0x40, 0x7c, 0x4f, 0x4d,
	0x1f, 0x14, 0x3b, 0x87, 0x73, 0x88, 0xb7, 0xc8, 0x29, 0xac, 0x7c, 0x3c, 0x43, 0x8f, 0x57, 0xdb, 0xab, 0x6e, 0x27, 0xb5,
	0x29, 0x03, 0xaf, 0xe3, 0xab, 0x77, 0x48, 0xea, 0x20, 0x53, 0x3d, 0x92, 0x6a, 0xe4, 0x35, 0x9f, 0x25, 0xf6, 0x55, 0xe7,
	0xd2, 0x66, 0xed, 0x25, 0x8d, 0xac, 0x7d, 0x5e, 0x7a, 0xb3, 0x98, 0x36, 0x45, 0x80, 0x51, 0x63, 0x14, 0xe1, 0xbc, 0x14,
	0xcc, 0x0e, 0xf6, 0x5a, 0x9c, 0x81, 0x82, 0x9d, 0xae, 0x62, 0xd4, 0x1b, 0x0e, 0x4d, 0x36, 0x28, 0xec, 0xaa, 0x36, 0x71,
	0x22, 0x39, 0x52, 0x6a, 0xf7, 0x1d, 0x42, 0x74, 0x54, 0x77, 0x09, 0xb9, 0x42, 0xc7, 0xad, 0x86, 0x30, 0x88, 0x32, 0x38,
	0x32, 0x02, 0x1a, 0x79, 0x86, 0x3f, 0xae, 0xb2, 0xed, 0xc9, 0x4a, 0x23, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x82, 0x03,
	0x24, 0x30, 0x82, 0x03, 0x20, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x94, 0x4f,
	0xd4, 0x5d, 0x8b, 0xe4, 0xa4, 0xe2, 0xa6, 0x80, 0xfe, 0xfd, 0xd8, 0xf9, 0x00, 0xef, 0xa3, 0xbe, 0x02, 0x57, 0x30, 0x1d,
	0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xbf, 0x24, 0xc5, 0x51, 0xdf, 0x32, 0x3e, 0xb1, 0xe4, 0x9d, 0xd8,
	0x55, 0x62, 0x12, 0x63, 0x5f, 0x6c, 0x0e, 0x4e, 0x77, 0x30, 0x25, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x1e, 0x30, 0x1c,
	0x82, 0x0d, 0x2a, 0x2e, 0x70, 0x61, 0x6e, 0x64, 0x6f, 0x72, 0x61, 0x2e, 0x63, 0x6f, 0x6d, 0x82, 0x0b, 0x70, 0x61, 0x6e,
	0x64, 0x6f, 0x72, 0x61, 0x2e, 0x63, 0x6f, 0x6d, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04,
	0x03, 0x02, 0x05, 0xa0, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x16, 0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01,
	0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02, 0x30, 0x3f, 0x06, 0x03, 0x55,
	0x1d, 0x1f, 0x04, 0x38, 0x30, 0x36, 0x30, 0x34, 0xa0, 0x32, 0xa0, 0x30, 0x86, 0x2e, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f,
	0x2f, 0x63, 0x64, 0x70, 0x2e, 0x67, 0x65, 0x6f, 0x74, 0x72, 0x75, 0x73, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x47, 0x65,
	0x6f, 0x54, 0x72, 0x75, 0x73, 0x74, 0x54, 0x4c, 0x53, 0x52, 0x53, 0x41, 0x43, 0x41, 0x47, 0x31, 0x2e, 0x63, 0x72, 0x6c,
	0x30, 0x3e, 0x06, 0x03, 0x55, 0x1d, 0x20, 0x04, 0x37, 0x30, 0x35, 0x30, 0x33, 0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02,
	0x02, 0x30, 0x29, 0x30, 0x27, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x02, 0x01, 0x16, 0x1b, 0x68, 0x74, 0x74,
	0x70, 0x3a, 0x2f, 0x2f, 0x77, 0x77, 0x77, 0x2e, 0x64, 0x69, 0x67, 0x69, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x63, 0x6f, 0x6d,
	0x2f, 0x43, 0x50, 0x53, 0x30, 0x76, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01, 0x04, 0x6a, 0x30, 0x68,
	0x30, 0x26, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x86, 0x1a, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f,
	0x2f, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x2e, 0x67, 0x65, 0x6f, 0x74, 0x72, 0x75, 0x73, 0x74, 0x2e, 0x63, 0x6f, 0x6d,
	0x30, 0x3e, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02, 0x86, 0x32, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f,
	0x2f, 0x63, 0x61, 0x63, 0x65, 0x72, 0x74, 0x73, 0x2e, 0x67, 0x65, 0x6f, 0x74, 0x72, 0x75, 0x73, 0x74, 0x2e, 0x63, 0x6f,
	0x6d, 0x2f, 0x47, 0x65, 0x6f, 0x54, 0x72, 0x75, 0x73, 0x74, 0x54, 0x4c, 0x53, 0x52, 0x53, 0x41, 0x43, 0x41, 0x47, 0x31,
	0x2e, 0x63, 0x72, 0x74, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00, 0x30, 0x82,
	0x01, 0x7f, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02, 0x04, 0x82, 0x01, 0x6f, 0x04, 0x82,
	0x01, 0x6b, 0x01, 0x69, 0x00, 0x76, 0x00, 0x29, 0x79, 0xbe, 0xf0, 0x9e, 0x39, 0x39, 0x21, 0xf0, 0x56, 0x73, 0x9f, 0x63,
	0xa5, 0x77, 0xe5, 0xbe, 0x57, 0x7d, 0x9c, 0x60, 0x0a, 0xf8, 0xf9, 0x4d, 0x5d, 0x26, 0x5c, 0x25, 0x5d, 0xc7, 0x84, 0x00,
	0x00, 0x01, 0x79, 0x62, 0x47, 0xe7, 0x28, 0x00, 0x00, 0x04, 0x03, 0x00, 0x47, 0x30, 0x45, 0x02, 0x21, 0x00, 0xe8, 0x05,
	0xe4, 0xd7, 0x2a, 0x06, 0xb0, 0xb4, 0xe6, 0x57, 0xe4, 0x5d, 0x32, 0xd8, 0x8f, 0x46, 0x11, 0x43, 0xfd, 0x96, 0x63, 0x68,
	0x74, 0xc0, 0x17, 0x61, 0x02, 0x52, 0x73, 0x33, 0xe3, 0x4e, 0x02, 0x20, 0x37, 0xf3, 0x13, 0x6a, 0xac, 0x4b, 0x8c, 0xe1,
	0x0b, 0xa1, 0xc4, 0x92, 0xef, 0x3b, 0x08, 0x5a, 0xcb, 0x18, 0x24, 0x06, 0x1a, 0x1b, 0x04, 0x8e, 0x0b, 0xa7, 0xdb, 0x76,
	0xb1, 0x97, 0x3e, 0xad, 0x00, 0x76, 0x00, 0x22, 0x45, 0x45, 0x07, 0x59, 0x55, 0x24, 0x56, 0x96, 0x3f, 0xa1, 0x2f, 0xf1,
	0xf7, 0x6d, 0x86, 0xe0, 0x23, 0x26, 0x63, 0xad, 0xc0, 0x4b, 0x7f, 0x5d, 0xc6, 0x83, 0x5c, 0x6e, 0xe2, 0x0f, 0x02, 0x00,
	0x00, 0x01, 0x79, 0x62, 0x47, 0xe7, 0x3e, 0x00, 0x00, 0x04, 0x03, 0x00, 0x47, 0x30, 0x45, 0x02, 0x20, 0x06, 0xbe, 0x9a,
	0x51, 0x33, 0x2b, 0x2f, 0xd4, 0xc1, 0xf3, 0x2d, 0x14, 0x2a, 0x08, 0xdb, 0xcf, 0x57, 0xca, 0x3f, 0xfe, 0x63, 0x02, 0xb9,
	0x5b, 0x66, 0xb5, 0x38, 0x5d, 0x15, 0x0f, 0x84, 0x77, 0x02, 0x21, 0x00, 0x96, 0x12, 0x64, 0xb5, 0x2c, 0xc5, 0x75, 0x86,
	0xdf, 0xcb, 0x4d, 0x1b, 0xab, 0x00, 0xfd, 0xb3, 0x0e, 0xe3, 0xe1, 0x2e, 0xad, 0xc7, 0x4e, 0xcc, 0x8b, 0x84, 0x65, 0xd0,
	0x89, 0x72, 0x3a, 0xa4, 0x00, 0x77, 0x00, 0x51, 0xa3, 0xb0, 0xf5, 0xfd, 0x01, 0x79, 0x9c, 0x56, 0x6d, 0xb8, 0x37, 0x78,
	0x8f, 0x0c, 0xa4, 0x7a, 0xcc, 0x1b, 0x27, 0xcb, 0xf7, 0x9e, 0x88, 0x42, 0x9a, 0x0d, 0xfe, 0xd4, 0x8b, 0x05, 0xe5, 0x00,
	0x00, 0x01, 0x79, 0x62, 0x47, 0xe7, 0x63, 0x00, 0x00, 0x04, 0x03, 0x00, 0x48, 0x30, 0x46, 0x02, 0x21, 0x00, 0x8d, 0xf8,
	0xe2, 0x5e, 0xd6, 0xf4, 0x2c, 0x2b, 0x1c, 0x51, 0x66, 0x73, 0x16, 0x56, 0xf8, 0xb8, 0x50, 0xfa, 0x4f, 0xfe, 0xdc, 0x09,
	0xe6, 0x63, 0x5b, 0x20, 0x81, 0x14, 0x4e, 0x8e, 0x6e, 0x91, 0x02, 0x21, 0x00, 0x93, 0x61, 0x9e, 0x49, 0x22, 0x71, 0xd3,
	0x22, 0x85, 0x99, 0xd9, 0xb7, 0x9c, 0xf5, 0x3f, 0xfe, 0x9b, 0xba, 0x86, 0x7f, 0x0e, 0xce, 0x54, 0xed, 0xfb, 0x28, 0x68,
	0xbf, 0x6b, 0x02, 0xb8, 0xf4, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
	0x03, 0x82, 0x01, 0x01, 0x00, 0x39, 0x77, 0x93, 0x38, 0x2e, 0x9c, 0xe2, 0x1e, 0x3f, 0x4a, 0xa4, 0x10, 0x65, 0xe6, 0x22,
	0x04, 0xdd, 0xa5, 0x81, 0x87, 0x05, 0x68, 0x51, 0x60, 0x76, 0xd2, 0xf3, 0xa8, 0xfe, 0x5d, 0xb8, 0x8e, 0x3f, 0xa4, 0x49,
	0x0d, 0x95, 0xdd, 0xd8, 0x51, 0x6e, 0x9d, 0xf7, 0xda, 0xcc, 0x54, 0x3e, 0xec, 0x13, 0x35, 0x31, 0x77, 0xc4, 0xdf, 0x56,
	0xe9, 0xf1, 0x76, 0xe8, 0x83, 0x0f, 0x7b, 0x71, 0x75, 0xb0, 0xb9, 0x2b, 0x74, 0xe8, 0xbf, 0x3a, 0x68, 0x9a, 0x2a, 0xe2,
	0xd0, 0xa3, 0x2f, 0x5d, 0x61, 0xdc, 0x66, 0xbc, 0x90, 0x6c, 0x29, 0xb1, 0x59, 0xac, 0x6c, 0xd6, 0xd2, 0xcf, 0x60, 0x04,
	0x05, 0xa1, 0xfd, 0xbc, 0x3e, 0x6b, 0x80, 0x56, 0xef, 0x94, 0xd9, 0x57, 0xc8, 0x8d, 0xf6, 0xac, 0x9a, 0x35, 0x9e, 0xc3,
	0x6b, 0x5f, 0xd6, 0x71, 0x09, 0x9d, 0xbf, 0xde, 0xd2, 0x83, 0x15, 0xb8, 0xe9, 0x5f, 0x91, 0xeb, 0x3c, 0x73, 0x1a, 0xd2,
	0x50, 0x26, 0x65, 0x33, 0xff, 0xfb, 0xbe, 0xf7, 0xb9, 0xee, 0x71, 0xb6, 0xa4, 0x4b, 0x6e, 0xb4, 0xd1, 0xee, 0xeb, 0xd1,
	0xe1, 0x12, 0xdb, 0xcd, 0x75, 0xa1, 0xc9, 0xf4, 0x37, 0x03, 0xd1, 0xa1, 0xbd, 0xf2, 0x44, 0x21, 0x23, 0x76, 0x4c, 0x81,
	0x3c, 0x1d, 0x19, 0x05, 0x32, 0x82, 0xa4, 0x8a, 0x0b, 0xef, 0x42, 0xbd, 0x52, 0xbf, 0x62, 0x0a, 0x7d, 0xc0, 0x56, 0x7e,
	0x92, 0xfe, 0x46, 0x2a, 0x8f, 0x19, 0xac, 0x0e, 0x8d, 0xab, 0xa2, 0x95, 0x63, 0xac, 0x7d, 0x69, 0xab, 0x43, 0xcc, 0x62,
	0x8e, 0xa0, 0x3e, 0xa1, 0x8e, 0x89, 0x78, 0x1d, 0x12, 0x4d, 0xa0, 0x96, 0xea, 0xaa, 0x61, 0xaf, 0x7c, 0xa6, 0xe2, 0x96,
	0x9b, 0x8d, 0xa6, 0xe9, 0xae, 0xed, 0xc5, 0x75, 0x2c, 0x82, 0x98, 0x2c, 0xef, 0xca, 0x89, 0x72, 0x69, 0x9d, 0x8f, 0x63,
	0x19,
};

static const uint8_t pandora_intermediate[1169] = {
	0x30, 0x82, 0x04, 0x8d, 0x30, 0x82, 0x03, 0x75, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x10, 0x0d, 0x07, 0x78, 0x2a, 0x13,
	0x3f, 0xc6, 0xf9, 0xa5, 0x72, 0x96, 0xe1, 0x31, 0xff, 0xd1, 0x79, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x30, 0x61, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55,
	0x53, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x0c, 0x44, 0x69, 0x67, 0x69, 0x43, 0x65, 0x72, 0x74,
	0x20, 0x49, 0x6e, 0x63, 0x31, 0x19, 0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x13, 0x10, 0x77, 0x77, 0x77, 0x2e, 0x64,
	0x69, 0x67, 0x69, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x31, 0x20, 0x30, 0x1e, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x13, 0x17, 0x44, 0x69, 0x67, 0x69, 0x43, 0x65, 0x72, 0x74, 0x20, 0x47, 0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x20, 0x52, 0x6f,
	0x6f, 0x74, 0x20, 0x47, 0x32, 0x30, 0x1e, 0x17, 0x0d, 0x31, 0x37, 0x31, 0x31, 0x30, 0x32, 0x31, 0x32, 0x32, 0x33, 0x33,
	0x37, 0x5a, 0x17, 0x0d, 0x32, 0x37, 0x31, 0x31, 0x30, 0x32, 0x31, 0x32, 0x32, 0x33, 0x33, 0x37, 0x5a, 0x30, 0x60, 0x31,
	0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04,
	0x0a, 0x13, 0x0c, 0x44, 0x69, 0x67, 0x69, 0x43, 0x65, 0x72, 0x74, 0x20, 0x49, 0x6e, 0x63, 0x31, 0x19, 0x30, 0x17, 0x06,
	0x03, 0x55, 0x04, 0x0b, 0x13, 0x10, 0x77, 0x77, 0x77, 0x2e, 0x64, 0x69, 0x67, 0x69, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x63,
	0x6f, 0x6d, 0x31, 0x1f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x16, 0x47, 0x65, 0x6f, 0x54, 0x72, 0x75, 0x73,
	0x74, 0x20, 0x54, 0x4c, 0x53, 0x20, 0x52, 0x53, 0x41, 0x20, 0x43, 0x41, 0x20, 0x47, 0x31, 0x30, 0x82, 0x01, 0x22, 0x30,
	0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30,
	0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xbe, 0x17, 0xe8, 0xec, 0xbe, 0x29, 0x0a, 0xcb, 0xfe, 0xb9, 0x2d, 0x61,
	0x31, 0xfd, 0x33, 0x24, 0x08, 0x32, 0x2e, 0x59, 0xe8, 0x21, 0xd4, 0xd8, 0x30, 0xbe, 0x6e, 0x10, 0xc8, 0x84, 0xa0, 0x3f,
	0xba, 0x14, 0xe5, 0xde, 0xfd, 0x7a, 0x8c, 0x92, 0x1b, 0x7b, 0xce, 0x84, 0x2d, 0xf0, 0xff, 0x78, 0xc4, 0x32, 0xe8, 0xa9,
	0xa0, 0x7d, 0x5f, 0x06, 0xda, 0x7b, 0x9b, 0x4b, 0x53, 0xa6, 0xc6, 0x1b, 0x02, 0x17, 0x21, 0xe1, 0x70, 0x3b, 0xad, 0xfb,
	0x83, 0xeb, 0x08, 0x54, 0x81, 0xa8, 0xde, 0x12, 0xb2, 0xd5, 0xc6, 0x88, 0x96, 0x30, 0xf9, 0x02, 0xfc, 0x39, 0xd4, 0xbd,
	0xb8, 0x22, 0xef, 0x80, 0x49, 0x99, 0xd0, 0x62, 0xb8, 0x61, 0xd0, 0x49, 0xde, 0xcb, 0xc2, 0xcb, 0x97, 0xa5, 0x31, 0x06,
	0x1b, 0xd7, 0xd8, 0x5d, 0xc6, 0xd3, 0x54, 0xde, 0x52, 0x01, 0x36, 0x2a, 0x0d, 0xf6, 0xde, 0xc5, 0xb6, 0x31, 0x4c, 0xcc,
	0x15, 0x25, 0x6a, 0x15, 0x6f, 0xa9, 0x6b, 0x04, 0x48, 0x0c, 0xde, 0x00, 0x41, 0xaa, 0x28, 0x80, 0x8b, 0x2f, 0x34, 0xd3,
	0x1b, 0xb5, 0x36, 0xad, 0x3b, 0x25, 0xd0, 0x88, 0x42, 0x40, 0x6c, 0x36, 0x91, 0x6d, 0x65, 0xb2, 0x19, 0x86, 0xc0, 0xd2,
	0x7f, 0x39, 0x46, 0x58, 0xfe, 0x30, 0x12, 0x60, 0x50, 0xdc, 0xee, 0xbb, 0x73, 0xe6, 0x57, 0x90, 0x5a, 0xf6, 0x0d, 0xca,
	0xd7, 0x04, 0x4b, 0x47, 0x6a, 0x6f, 0x34, 0x1a, 0x9d, 0x92, 0x36, 0x1a, 0x2e, 0xd9, 0x4e, 0x54, 0xed, 0x47, 0xac, 0x0c,
	0xbf, 0xf1, 0x80, 0xb2, 0xba, 0xff, 0x47, 0x7b, 0xe9, 0x39, 0xc4, 0x54, 0xc4, 0x94, 0x54, 0x99, 0x19, 0xf1, 0x57, 0x99,
	0xaf, 0xe2, 0x14, 0x22, 0x5b, 0xe8, 0x2e, 0xbb, 0x63, 0x2d, 0xba, 0xae, 0x81, 0xbd, 0x13, 0xdc, 0xe6, 0x17, 0x5b, 0xe0,
	0x90, 0x53, 0x49, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x82, 0x01, 0x40, 0x30, 0x82, 0x01, 0x3c, 0x30, 0x1d, 0x06,
	0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x94, 0x4f, 0xd4, 0x5d, 0x8b, 0xe4, 0xa4, 0xe2, 0xa6, 0x80, 0xfe, 0xfd,
	0xd8, 0xf9, 0x00, 0xef, 0xa3, 0xbe, 0x02, 0x57, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80,
	0x14, 0x4e, 0x22, 0x54, 0x20, 0x18, 0x95, 0xe6, 0xe3, 0x6e, 0xe6, 0x0f, 0xfa, 0xfa, 0xb9, 0x12, 0xed, 0x06, 0x17, 0x8f,
	0x39, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x86, 0x30, 0x1d, 0x06,
	0x03, 0x55, 0x1d, 0x25, 0x04, 0x16, 0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08,
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02, 0x30, 0x12, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x08,
	0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00, 0x30, 0x34, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01,
	0x04, 0x28, 0x30, 0x26, 0x30, 0x24, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x86, 0x18, 0x68, 0x74,
	0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x6f, 0x63, 0x73, 0x70, 0x2e, 0x64, 0x69, 0x67, 0x69, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x63,
	0x6f, 0x6d, 0x30, 0x42, 0x06, 0x03, 0x55, 0x1d, 0x1f, 0x04, 0x3b, 0x30, 0x39, 0x30, 0x37, 0xa0, 0x35, 0xa0, 0x33, 0x86,
	0x31, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x63, 0x72, 0x6c, 0x33, 0x2e, 0x64, 0x69, 0x67, 0x69, 0x63, 0x65, 0x72,
	0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x44, 0x69, 0x67, 0x69, 0x43, 0x65, 0x72, 0x74, 0x47, 0x6c, 0x6f, 0x62, 0x61, 0x6c,
	0x52, 0x6f, 0x6f, 0x74, 0x47, 0x32, 0x2e, 0x63, 0x72, 0x6c, 0x30, 0x3d, 0x06, 0x03, 0x55, 0x1d, 0x20, 0x04, 0x36, 0x30,
	0x34, 0x30, 0x32, 0x06, 0x04, 0x55, 0x1d, 0x20, 0x00, 0x30, 0x2a, 0x30, 0x28, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05,
	0x07, 0x02, 0x01, 0x16, 0x1c, 0x68, 0x74, 0x74, 0x70, 0x73, 0x3a, 0x2f, 0x2f, 0x77, 0x77, 0x77, 0x2e, 0x64, 0x69, 0x67,
	0x69, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x43, 0x50, 0x53, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
	0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03, 0x82, 0x01, 0x01, 0x00, 0x82, 0x1c, 0x04, 0x3a, 0x82, 0xe9, 0xc5,
	0xa9, 0xc8, 0x65, 0x12, 0x5c, 0x08, 0xe3, 0x01, 0xc6, 0x30, 0xb0, 0xae, 0x22, 0x88, 0x61, 0x7b, 0x2b, 0x07, 0x86, 0xf7,
	0xb8, 0xb5, 0x44, 0x9c, 0xf5, 0x93, 0x06, 0x61, 0x46, 0x8a, 0x3a, 0xa2, 0xb5, 0x35, 0x26, 0xd0, 0x58, 0x9e, 0x3c, 0xc1,
	0x73, 0x8f, 0xbf, 0xb1, 0x79, 0xa7, 0x1c, 0x99, 0x37, 0x9a, 0x53, 0xf2, 0x2f, 0x5c, 0x6e, 0x20, 0x0b, 0x7d, 0xb0, 0xc7,
	0x82, 0xef, 0xeb, 0xeb, 0x79, 0x12, 0x05, 0xe7, 0x01, 0x41, 0x0b, 0x43, 0x02, 0x37, 0x9b, 0x1b, 0x1f, 0x08, 0x4d, 0x37,
	0x52, 0x73, 0x29, 0xb8, 0x9f, 0x35, 0xe3, 0xf9, 0xa3, 0x3a, 0x59, 0x75, 0x01, 0x66, 0x90, 0x2a, 0x3e, 0x9d, 0xe0, 0x62,
	0x29, 0x1e, 0x87, 0xa8, 0x80, 0x3e, 0x2c, 0xc4, 0xcc, 0x08, 0xc3, 0x2e, 0xbf, 0x69, 0x21, 0x18, 0x6b, 0x8f, 0x1e, 0x6b,
	0x43, 0xcd, 0xee, 0x06, 0x98, 0x41, 0x99, 0xb5, 0x82, 0xf2, 0x17, 0xc1, 0x10, 0xa5, 0xae, 0x58, 0x8c, 0xfb, 0x95, 0xea,
	0x4d, 0x82, 0xaf, 0xf3, 0x77, 0x5f, 0x11, 0x69, 0x4f, 0x78, 0x51, 0xa6, 0xdf, 0xf7, 0xba, 0xc5, 0x3f, 0x65, 0xbf, 0x70,
	0x7c, 0xa3, 0xed, 0x5a, 0x9a, 0x33, 0x9d, 0x9e, 0x3f, 0xe3, 0x87, 0x35, 0xa7, 0xda, 0xf3, 0x15, 0xc6, 0x58, 0xad, 0x69,
	0x23, 0xdc, 0x0f, 0xbb, 0x4c, 0xd0, 0x49, 0x13, 0x41, 0xa6, 0x3f, 0x67, 0xe1, 0x5e, 0x13, 0xf5, 0x0f, 0xf5, 0xd5, 0x7c,
	0x85, 0xbf, 0x87, 0x4c, 0x82, 0x24, 0x61, 0x22, 0x57, 0xd1, 0xa5, 0x9b, 0xfb, 0x86, 0x39, 0xad, 0xc3, 0x5c, 0x79, 0x66,
	0x6c, 0x07, 0x31, 0x4b, 0x20, 0x91, 0xad, 0xa1, 0xbe, 0x64, 0x19, 0x00, 0xee, 0x1e, 0x12, 0x78, 0xce, 0x98, 0xf2, 0x5f,
	0xfb, 0x30, 0x14, 0x69, 0x3c, 0x2c, 0xfa, 0x97, 0xc6,
};

/* ---- making certificates ------------------------------------------------------------------------ */

/* Everything made here, freed at the end so that the leak checker sees only the library. */
static X509 *made_certs[64];
static EVP_PKEY *made_keys[16];
static size_t n_made_certs, n_made_keys;

static EVP_PKEY *keep_key(EVP_PKEY *k)
{
	if (!k) {
		fprintf(stderr, "key generation failed\n");
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	made_keys[n_made_keys++] = k;
	return k;
}

static EVP_PKEY *dsa_key(unsigned bits)
{
	EVP_PKEY *params = NULL, *key = NULL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
	if (!pctx || EVP_PKEY_paramgen_init(pctx) <= 0 || EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, (int)bits) <= 0 ||
	    EVP_PKEY_paramgen(pctx, &params) <= 0)
		goto done;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
	if (kctx && EVP_PKEY_keygen_init(kctx) > 0)
		EVP_PKEY_keygen(kctx, &key);
	EVP_PKEY_CTX_free(kctx);
done:
	EVP_PKEY_free(params);
	EVP_PKEY_CTX_free(pctx);
	return keep_key(key);
}

/* A name from field/value pairs, most significant first, ending with NULL. */
static X509_NAME *name(const char *field, ...)
{
	X509_NAME *n = X509_NAME_new();
	va_list ap;
	va_start(ap, field);
	for (const char *f = field; f; f = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (!X509_NAME_add_entry_by_txt(n, f, MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0)) {
			fprintf(stderr, "bad name entry %s=%s\n", f, v);
			exit(2);
		}
	}
	va_end(ap);
	return n;
}

struct certspec {
	X509_NAME *subject;   /* taken */
	X509_NAME *issuer;    /* taken; NULL: the subject */
	EVP_PKEY *key;        /* the subject's */
	EVP_PKEY *signer;     /* NULL: key (self-signed) */
	const EVP_MD *md;     /* NULL: SHA-256, or none for Ed25519 */
	bool pss;             /* RSA-PSS padding with md */
	long serial;
	ASN1_INTEGER *serial_int; /* taken; instead of serial */
	const char *not_before, *not_after; /* 13 characters: UTCTime; 15: GeneralizedTime */
	bool v1;              /* version 1, no extensions */
	const char *basic;    /* basicConstraints, e.g. "critical,CA:TRUE" */
	const char *san;      /* subjectAltName in openssl.cnf syntax */
	GENERAL_NAMES *sans;  /* taken; instead of san */
	const char *eku;      /* extendedKeyUsage */
};

static void set_time(ASN1_TIME *t, const char *s)
{
	int ok = strlen(s) == 13 ? ASN1_UTCTIME_set_string(t, s) : ASN1_GENERALIZEDTIME_set_string(t, s);
	if (!ok) {
		fprintf(stderr, "bad time %s\n", s);
		exit(2);
	}
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e || !X509_add_ext(x, e, -1)) {
		fprintf(stderr, "bad extension %s\n", value);
		exit(2);
	}
	X509_EXTENSION_free(e);
}

/* Makes, signs and keeps a certificate; returns NULL only when OpenSSL refuses to sign (MD5 one
 * day, say), the caller then says what it skips. */
static X509 *make_cert(const struct certspec *s, X509 *issuer_cert)
{
	X509 *x = X509_new();
	EVP_PKEY *signer = s->signer ? s->signer : s->key;
	X509_set_version(x, s->v1 ? X509_VERSION_1 : X509_VERSION_3);
	if (s->serial_int)
		X509_set_serialNumber(x, s->serial_int);
	else
		ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial);
	X509_set_subject_name(x, s->subject);
	X509_set_issuer_name(x, s->issuer ? s->issuer : s->subject);
	set_time(X509_getm_notBefore(x), s->not_before);
	set_time(X509_getm_notAfter(x), s->not_after);
	X509_set_pubkey(x, s->key);
	if (!s->v1) {
		if (s->basic)
			add_ext(x, issuer_cert, NID_basic_constraints, s->basic);
		if (s->san)
			add_ext(x, issuer_cert, NID_subject_alt_name, s->san);
		if (s->sans)
			X509_add1_ext_i2d(x, NID_subject_alt_name, s->sans, 0, X509V3_ADD_DEFAULT);
		if (s->eku)
			add_ext(x, issuer_cert, NID_ext_key_usage, s->eku);
	}
	bool eddsa = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519;
	const EVP_MD *md = eddsa ? NULL : s->md ? s->md : EVP_sha256();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool signed_ok = EVP_DigestSignInit(mctx, &pctx, md, NULL, signer) > 0;
	if (signed_ok && s->pss)
		signed_ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
			    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	signed_ok = signed_ok && X509_sign_ctx(x, mctx) > 0;
	EVP_MD_CTX_free(mctx);
	X509_NAME_free(s->subject);
	X509_NAME_free(s->issuer);
	ASN1_INTEGER_free(s->serial_int);
	GENERAL_NAMES_free(s->sans);
	if (!signed_ok) {
		ERR_clear_error();
		X509_free(x);
		return NULL;
	}
	made_certs[n_made_certs++] = x;
	return x;
}

struct der {
	uint8_t *p;
	size_t n;
};

/* The DER in a heap block of exactly its length, so that the sanitizer sees any read past it. */
static struct der der_of(X509 *x)
{
	unsigned char *tmp = NULL;
	int n = i2d_X509(x, &tmp);
	if (n <= 0) {
		fprintf(stderr, "i2d_X509 failed\n");
		exit(2);
	}
	struct der d = { malloc((size_t)n), (size_t)n };
	memcpy(d.p, tmp, (size_t)n);
	OPENSSL_free(tmp);
	return d;
}

static struct der der_copy(const uint8_t *p, size_t n)
{
	struct der d = { malloc(n ? n : 1), n };
	memcpy(d.p, p, n);
	return d;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- checking what the parser says --------------------------------------------------------------- */

struct expect {
	const char *subject, *issuer, *serial, *sans;
	int64_t not_before, not_after, validity_days;
	const char *sig_alg, *key_type;
	int key_bits;
	const char *curve;
	bool ca;
	unsigned findings;
};

static bool printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static void expect_info(const char *what, const struct ciot_x509_info *got, const struct expect *e)
{
	unsigned before = check_failures;
	CHECK_EQ_STR(got->subject, e->subject);
	CHECK_EQ_STR(got->issuer, e->issuer);
	CHECK_EQ_STR(got->serial, e->serial);
	CHECK_EQ_STR(got->sans, e->sans);
	CHECK_EQ_INT(got->not_before, e->not_before);
	CHECK_EQ_INT(got->not_after, e->not_after);
	CHECK_EQ_INT(got->validity_days, e->validity_days);
	CHECK_EQ_STR(got->sig_alg, e->sig_alg);
	CHECK_EQ_STR(got->key_type, e->key_type);
	CHECK_EQ_INT(got->key_bits, e->key_bits);
	CHECK_EQ_STR(got->curve, e->curve);
	CHECK_EQ_INT(got->ca, e->ca);
	CHECK_EQ_INT(got->findings, e->findings);
	check_case(before, what);
}

/* Parses x (a fresh DER copy), checks the fingerprint against one computed here and every other
 * field against e. */
static void expect_cert(const char *what, X509 *x, const struct expect *e)
{
	struct der d = der_of(x);
	struct ciot_x509_info info;
	char err[CIOT_ERRBUF_SIZE] = "";
	unsigned before = check_failures;
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, err), CIOT_OK)) {
		char sha[65];
		sha256_hex(d.p, d.n, sha);
		CHECK_EQ_STR(info.sha256, sha);
		expect_info(what, &info, e);
	} else {
		fprintf(stderr, "  %s: %s\n", what, err);
	}
	check_case(before, what);
	free(d.p);
}

/* ---- dates -------------------------------------------------------------------------------------- */

#define T_1950 INT64_C(-631152000)
#define T_2015 INT64_C(1420070400)
#define T_2016 INT64_C(1451606400)
#define T_2020 INT64_C(1577836800)
#define T_2023_06 INT64_C(1685577600)
#define T_2024 INT64_C(1704067200)
#define T_2024_06 INT64_C(1717200000)
#define T_2025 INT64_C(1735689600)
#define T_2025_02_02 INT64_C(1738454400) /* T_2024 + 398 days */
#define T_2025_06 INT64_C(1748736000)
#define T_2030 INT64_C(1893456000)
#define T_2040 INT64_C(2208988800)
#define T_2049_END INT64_C(2524607999)   /* 2049-12-31 23:59:59, the last UTCTime */
#define T_2050 INT64_C(2524608000)
#define T_2060 INT64_C(2840140800)
#define T_9999_END INT64_C(253402300799) /* 9999-12-31 23:59:59, RFC 5280's "no expiry" */

/* ---- the certificates the tests share ------------------------------------------------------------ */

static EVP_PKEY *ca_key, *leaf_key, *ec_key, *other_ec_key;
static X509 *ca, *leaf, *leaf_bare, *intermediate, *via_intermediate, *expired_intermediate,
	*via_expired_intermediate, *unknown_ca, *unknown_leaf, *weak_selfsigned, *client_only;

static void make_shared(void)
{
	ca_key = keep_key(EVP_RSA_gen(2048));
	leaf_key = keep_key(EVP_RSA_gen(2048));
	ec_key = keep_key(EVP_EC_gen("P-256"));
	other_ec_key = keep_key(EVP_EC_gen("P-256"));
	ca = make_cert(&(struct certspec){ .subject = name("C", "US", "O", "ciot test", "CN", "ciot test CA", NULL),
					   .key = ca_key, .serial = 1, .not_before = "200101000000Z",
					   .not_after = "400101000000Z", .basic = "critical,CA:TRUE" },
		       NULL);
	leaf = make_cert(&(struct certspec){ .subject = name("O", "ciot test", "CN", "device.example.com", NULL),
					     .issuer = X509_NAME_dup(X509_get_subject_name(ca)), .key = leaf_key,
					     .signer = ca_key, .serial = 0x1001, .not_before = "240101000000Z",
					     .not_after = "250101000000Z", .basic = "critical,CA:FALSE",
					     .san = "DNS:device.example.com,IP:192.0.2.7" },
			 ca);
	/* no SAN: the host name check falls back to the CN */
	leaf_bare = make_cert(&(struct certspec){ .subject = name("CN", "bare.example.com", NULL),
						  .issuer = X509_NAME_dup(X509_get_subject_name(ca)), .key = ec_key,
						  .signer = ca_key, .serial = 0x1002, .not_before = "240101000000Z",
						  .not_after = "250101000000Z" },
			      ca);
	intermediate = make_cert(&(struct certspec){ .subject = name("O", "ciot test", "CN", "ciot test issuing CA", NULL),
						     .issuer = X509_NAME_dup(X509_get_subject_name(ca)), .key = ec_key,
						     .signer = ca_key, .serial = 2, .not_before = "200101000000Z",
						     .not_after = "300101000000Z", .basic = "critical,CA:TRUE,pathlen:0" },
				 ca);
	via_intermediate = make_cert(&(struct certspec){ .subject = name("CN", "sub.example.com", NULL),
							 .issuer = X509_NAME_dup(X509_get_subject_name(intermediate)),
							 .key = other_ec_key, .signer = ec_key, .serial = 0x2001,
							 .not_before = "240101000000Z", .not_after = "250101000000Z",
							 .san = "DNS:sub.example.com" },
				     intermediate);
	expired_intermediate = make_cert(&(struct certspec){ .subject = name("CN", "ciot test old CA", NULL),
							     .issuer = X509_NAME_dup(X509_get_subject_name(ca)),
							     .key = other_ec_key, .signer = ca_key, .serial = 3,
							     .not_before = "200101000000Z", .not_after = "230101000000Z",
							     .basic = "critical,CA:TRUE" },
					 ca);
	via_expired_intermediate = make_cert(&(struct certspec){ .subject = name("CN", "old.example.com", NULL),
								 .issuer = X509_NAME_dup(X509_get_subject_name(expired_intermediate)),
								 .key = ec_key, .signer = other_ec_key, .serial = 0x3001,
								 .not_before = "240101000000Z", .not_after = "250101000000Z",
								 .san = "DNS:old.example.com" },
					     expired_intermediate);
	unknown_ca = make_cert(&(struct certspec){ .subject = name("CN", "somebody else's CA", NULL),
						   .key = other_ec_key, .serial = 9, .not_before = "200101000000Z",
						   .not_after = "400101000000Z", .basic = "critical,CA:TRUE" },
			       NULL);
	unknown_leaf = make_cert(&(struct certspec){ .subject = name("CN", "device.example.com", NULL),
						     .issuer = X509_NAME_dup(X509_get_subject_name(unknown_ca)),
						     .key = ec_key, .signer = other_ec_key, .serial = 0x9001,
						     .not_before = "240101000000Z", .not_after = "250101000000Z",
						     .san = "DNS:device.example.com" },
				 unknown_ca);
	weak_selfsigned = make_cert(&(struct certspec){ .subject = name("CN", "old-camera.local", NULL),
							.key = keep_key(EVP_RSA_gen(1024)), .md = EVP_sha1(), .v1 = true,
							.serial = 0x5a, .not_before = "150101000000Z",
							.not_after = "160101000000Z" },
				    NULL);
	client_only = make_cert(&(struct certspec){ .subject = name("CN", "device.example.com", NULL),
						    .issuer = X509_NAME_dup(X509_get_subject_name(ca)), .key = ec_key,
						    .signer = ca_key, .serial = 0x1003, .not_before = "240101000000Z",
						    .not_after = "250101000000Z", .san = "DNS:device.example.com",
						    .eku = "clientAuth" },
				ca);
	if (!ca || !leaf || !leaf_bare || !intermediate || !via_intermediate || !expired_intermediate ||
	    !via_expired_intermediate || !unknown_ca || !unknown_leaf || !weak_selfsigned || !client_only) {
		fprintf(stderr, "could not make the shared certificates\n");
		ERR_print_errors_fp(stderr);
		exit(2);
	}
}

/* ---- findings text ------------------------------------------------------------------------------ */

static void test_findings_text(void)
{
	char buf[256];
	ciot_x509_findings_text(0, buf, sizeof buf);
	CHECK_EQ_STR(buf, "");
	ciot_x509_findings_text(CIOT_X509_WEAK_SIGNATURE | CIOT_X509_SELF_SIGNED, buf, sizeof buf);
	CHECK_EQ_STR(buf, "weak-signature,self-signed");
	ciot_x509_findings_text(0xff, buf, sizeof buf);
	CHECK_EQ_STR(buf, "weak-signature,weak-key,self-signed,long-validity,expired,not-yet-valid,untrusted,"
			  "name-mismatch");
	ciot_x509_findings_text(CIOT_X509_NAME_MISMATCH | 0x100, buf, sizeof buf); /* unknown bits: ignored */
	CHECK_EQ_STR(buf, "name-mismatch");
	/* bounded: "weak-signature" (14) and room for ",..." fit in 19 bytes, "expired" does not */
	ciot_x509_findings_text(CIOT_X509_WEAK_SIGNATURE | CIOT_X509_EXPIRED, buf, 19);
	CHECK_EQ_STR(buf, "weak-signature,...");
	ciot_x509_findings_text(CIOT_X509_WEAK_SIGNATURE | CIOT_X509_EXPIRED, buf, 18);
	CHECK_EQ_STR(buf, "...");
	ciot_x509_findings_text(CIOT_X509_EXPIRED, buf, 3);
	CHECK_EQ_STR(buf, "");
	memcpy(buf, "xyz", 4);
	ciot_x509_findings_text(CIOT_X509_EXPIRED, buf, 0); /* nothing written at all */
	CHECK_EQ_STR(buf, "xyz");
	ciot_x509_findings_text(CIOT_X509_EXPIRED, NULL, 10); /* no crash */
}

/* ---- fields ------------------------------------------------------------------------------------- */

static void test_generated_fields(void)
{
	expect_cert("RSA-2048 CA", ca,
		    &(struct expect){ .subject = "CN=ciot test CA,O=ciot test,C=US",
				      .issuer = "CN=ciot test CA,O=ciot test,C=US", .serial = "01", .sans = "",
				      .not_before = T_2020, .not_after = T_2040, .validity_days = 7305,
				      .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048,
				      .curve = "", .ca = true,
				      .findings = CIOT_X509_SELF_SIGNED | CIOT_X509_LONG_VALIDITY });
	expect_cert("RSA-2048 leaf", leaf,
		    &(struct expect){ .subject = "CN=device.example.com,O=ciot test",
				      .issuer = "CN=ciot test CA,O=ciot test,C=US", .serial = "1001",
				      .sans = "DNS:device.example.com,IP:192.0.2.7", .not_before = T_2024,
				      .not_after = T_2025, .validity_days = 366, /* 2024 is a leap year */
				      .sig_alg = "sha256WithRSAEncryption", .key_type = "RSA", .key_bits = 2048,
				      .curve = "", .ca = false, .findings = 0 });
	expect_cert("RSA-1024 SHA-1 self-signed v1", weak_selfsigned,
		    &(struct expect){ .subject = "CN=old-camera.local", .issuer = "CN=old-camera.local",
				      .serial = "5A", .sans = "", .not_before = T_2015, .not_after = T_2016,
				      .validity_days = 365, .sig_alg = "sha1WithRSAEncryption", .key_type = "RSA",
				      .key_bits = 1024, .curve = "", .ca = false,
				      .findings = CIOT_X509_WEAK_SIGNATURE | CIOT_X509_WEAK_KEY | CIOT_X509_SELF_SIGNED });
	expect_cert("EC P-256 leaf under an EC intermediate", via_intermediate,
		    &(struct expect){ .subject = "CN=sub.example.com",
				      .issuer = "CN=ciot test issuing CA,O=ciot test", .serial = "2001",
				      .sans = "DNS:sub.example.com", .not_before = T_2024, .not_after = T_2025,
				      .validity_days = 366, .sig_alg = "ecdsa-with-SHA256", .key_type = "EC",
				      .key_bits = 256, .curve = "prime256v1", .ca = false, .findings = 0 });
	expect_cert("EC intermediate signed by the RSA CA", intermediate,
		    &(struct expect){ .subject = "CN=ciot test issuing CA,O=ciot test",
				      .issuer = "CN=ciot test CA,O=ciot test,C=US", .serial = "02", .sans = "",
				      .not_before = T_2020, .not_after = T_2030, .validity_days = 3653,
				      .sig_alg = "sha256WithRSAEncryption", .key_type = "EC", .key_bits = 256,
				      .curve = "prime256v1", .ca = true, .findings = CIOT_X509_LONG_VALIDITY });

	EVP_PKEY *p192 = keep_key(EVP_EC_gen("P-192"));
	X509 *x = make_cert(&(struct certspec){ .subject = name("CN", "p192.example", NULL), .key = p192,
						 .serial = 0x192, .not_before = "240101000000Z",
						 .not_after = "240401000000Z" },
			    NULL);
	CHECK(x != NULL);
	if (x)
		expect_cert("EC P-192 self-signed", x,
			    &(struct expect){ .subject = "CN=p192.example", .issuer = "CN=p192.example",
					      .serial = "0192", .sans = "", .not_before = T_2024,
					      .not_after = T_2024 + 91 * 86400, .validity_days = 91,
					      .sig_alg = "ecdsa-with-SHA256", .key_type = "EC", .key_bits = 192,
					      .curve = "prime192v1", .ca = false,
					      .findings = CIOT_X509_WEAK_KEY | CIOT_X509_SELF_SIGNED });

	EVP_PKEY *ed = keep_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	x = make_cert(&(struct certspec){ .subject = name("CN", "ed25519.example", NULL), .key = ed, .serial = 0x25519,
					  .not_before = "240101000000Z", .not_after = "250101000000Z",
					  .san = "DNS:ed25519.example" },
		      NULL);
	CHECK(x != NULL);
	if (x)
		expect_cert("Ed25519 self-signed", x,
			    &(struct expect){ .subject = "CN=ed25519.example", .issuer = "CN=ed25519.example",
					      .serial = "025519", .sans = "DNS:ed25519.example", .not_before = T_2024,
					      .not_after = T_2025, .validity_days = 366, .sig_alg = "ED25519",
					      .key_type = "Ed25519", .key_bits = 256, /* OpenSSL's ED25519_BITS */
					      .curve = "", .ca = false, .findings = CIOT_X509_SELF_SIGNED });

	/* GeneralizedTime on both sides, the second one past 2049 where UTCTime cannot go */
	x = make_cert(&(struct certspec){ .subject = name("CN", "gentime.example", NULL), .key = ec_key,
					  .signer = ca_key, .issuer = X509_NAME_dup(X509_get_subject_name(ca)),
					  .serial = 0x60, .not_before = "20200101000000Z", .not_after = "20600101000000Z" },
		      ca);
	expect_cert("GeneralizedTime until 2060", x,
		    &(struct expect){ .subject = "CN=gentime.example", .issuer = "CN=ciot test CA,O=ciot test,C=US",
				      .serial = "60", .sans = "", .not_before = T_2020, .not_after = T_2060,
				      .validity_days = 14610, .sig_alg = "sha256WithRSAEncryption", .key_type = "EC",
				      .key_bits = 256, .curve = "prime256v1", .ca = false,
				      .findings = CIOT_X509_LONG_VALIDITY });
	/* UTCTime's first year (50 is 1950) and GeneralizedTime's last second */
	x = make_cert(&(struct certspec){ .subject = name("CN", "forever.example", NULL), .key = ec_key,
					  .serial = 0x7f, .not_before = "500101000000Z", .not_after = "99991231235959Z" },
		      NULL);
	expect_cert("1950 to 9999", x,
		    &(struct expect){ .subject = "CN=forever.example", .issuer = "CN=forever.example", .serial = "7F",
				      .sans = "", .not_before = T_1950, .not_after = T_9999_END,
				      /* 8050 years with 1952 leap days, less one second */
				      .validity_days = 8050 * 365 + 1952 - 1, .sig_alg = "ecdsa-with-SHA256",
				      .key_type = "EC", .key_bits = 256, .curve = "prime256v1", .ca = false,
				      .findings = CIOT_X509_SELF_SIGNED | CIOT_X509_LONG_VALIDITY });
	/* the last UTCTime second (49 is 2049) and the first GeneralizedTime one */
	x = make_cert(&(struct certspec){ .subject = name("CN", "y2050.example", NULL), .key = ec_key,
					  .serial = 0x80, .not_before = "491231235959Z", .not_after = "20500101000000Z" },
		      NULL);
	expect_cert("2049/2050", x,
		    &(struct expect){ .subject = "CN=y2050.example", .issuer = "CN=y2050.example", .serial = "80",
				      .sans = "", .not_before = T_2049_END, .not_after = T_2050, .validity_days = 0,
				      .sig_alg = "ecdsa-with-SHA256", .key_type = "EC", .key_bits = 256,
				      .curve = "prime256v1", .ca = false, .findings = CIOT_X509_SELF_SIGNED });
	/* not_after before not_before: a negative period, rounded down */
	x = make_cert(&(struct certspec){ .subject = name("CN", "backwards.example", NULL), .key = ec_key,
					  .serial = 1, .not_before = "250101000000Z", .not_after = "241231120000Z" },
		      NULL);
	expect_cert("backwards", x,
		    &(struct expect){ .subject = "CN=backwards.example", .issuer = "CN=backwards.example",
				      .serial = "01", .sans = "", .not_before = T_2025, .not_after = T_2025 - 43200,
				      .validity_days = -1, .sig_alg = "ecdsa-with-SHA256", .key_type = "EC",
				      .key_bits = 256, .curve = "prime256v1", .ca = false,
				      .findings = CIOT_X509_SELF_SIGNED });

	/* ten years: long validity; then the 398-day boundary, in seconds */
	x = make_cert(&(struct certspec){ .subject = name("CN", "tenyears.example", NULL), .key = ec_key,
					  .signer = ca_key, .issuer = X509_NAME_dup(X509_get_subject_name(ca)),
					  .serial = 10, .not_before = "200101000000Z", .not_after = "300101000000Z",
					  .san = "DNS:tenyears.example" },
		      ca);
	expect_cert("ten years", x,
		    &(struct expect){ .subject = "CN=tenyears.example", .issuer = "CN=ciot test CA,O=ciot test,C=US",
				      .serial = "0A", .sans = "DNS:tenyears.example", .not_before = T_2020,
				      .not_after = T_2030, .validity_days = 3653, .sig_alg = "sha256WithRSAEncryption",
				      .key_type = "EC", .key_bits = 256, .curve = "prime256v1", .ca = false,
				      .findings = CIOT_X509_LONG_VALIDITY });
	x = make_cert(&(struct certspec){ .subject = name("CN", "d398.example", NULL), .key = ec_key,
					  .signer = ca_key, .issuer = X509_NAME_dup(X509_get_subject_name(ca)),
					  .serial = 398, .not_before = "240101000000Z", .not_after = "250202000000Z" },
		      ca);
	expect_cert("exactly 398 days", x,
		    &(struct expect){ .subject = "CN=d398.example", .issuer = "CN=ciot test CA,O=ciot test,C=US",
				      .serial = "018E", .sans = "", .not_before = T_2024, .not_after = T_2025_02_02,
				      .validity_days = 398, .sig_alg = "sha256WithRSAEncryption", .key_type = "EC",
				      .key_bits = 256, .curve = "prime256v1", .ca = false, .findings = 0 });
	x = make_cert(&(struct certspec){ .subject = name("CN", "d398.example", NULL), .key = ec_key,
					  .signer = ca_key, .issuer = X509_NAME_dup(X509_get_subject_name(ca)),
					  .serial = 399, .not_before = "240101000000Z", .not_after = "250202000001Z" },
		      ca);
	expect_cert("398 days and one second", x,
		    &(struct expect){ .subject = "CN=d398.example", .issuer = "CN=ciot test CA,O=ciot test,C=US",
				      .serial = "018F", .sans = "", .not_before = T_2024,
				      .not_after = T_2025_02_02 + 1, .validity_days = 398,
				      .sig_alg = "sha256WithRSAEncryption", .key_type = "EC", .key_bits = 256,
				      .curve = "prime256v1", .ca = false, .findings = CIOT_X509_LONG_VALIDITY });

	/* issuer = subject, but the CA's key signed it: its own key does not verify it */
	x = make_cert(&(struct certspec){ .subject = name("CN", "imposter", NULL), .issuer = name("CN", "imposter", NULL),
					  .key = ec_key, .signer = ca_key, .serial = 0x66, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	expect_cert("issuer = subject, signed by another key", x,
		    &(struct expect){ .subject = "CN=imposter", .issuer = "CN=imposter", .serial = "66", .sans = "",
				      .not_before = T_2024, .not_after = T_2025, .validity_days = 366,
				      .sig_alg = "sha256WithRSAEncryption", .key_type = "EC", .key_bits = 256,
				      .curve = "prime256v1", .ca = false, .findings = 0 });
	/* and the same the other way round: a CA-signed certificate's names differ, its own key would
	 * not verify it anyway; one whose own key signed it under a different issuer name is not
	 * self-signed either (the names decide first) */
	x = make_cert(&(struct certspec){ .subject = name("CN", "self", NULL), .issuer = name("CN", "not self", NULL),
					  .key = ec_key, .serial = 0x67, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	expect_cert("own key, other issuer name", x,
		    &(struct expect){ .subject = "CN=self", .issuer = "CN=not self", .serial = "67", .sans = "",
				      .not_before = T_2024, .not_after = T_2025, .validity_days = 366,
				      .sig_alg = "ecdsa-with-SHA256", .key_type = "EC", .key_bits = 256,
				      .curve = "prime256v1", .ca = false, .findings = 0 });

	/* weak signatures */
	x = make_cert(&(struct certspec){ .subject = name("CN", "md5.example", NULL), .key = leaf_key,
					  .signer = ca_key, .md = EVP_md5(),
					  .issuer = X509_NAME_dup(X509_get_subject_name(ca)), .serial = 5,
					  .not_before = "240101000000Z", .not_after = "250101000000Z" },
		      ca);
	if (x)
		expect_cert("MD5 signature", x,
			    &(struct expect){ .subject = "CN=md5.example", .issuer = "CN=ciot test CA,O=ciot test,C=US",
					      .serial = "05", .sans = "", .not_before = T_2024, .not_after = T_2025,
					      .validity_days = 366, .sig_alg = "md5WithRSAEncryption", .key_type = "RSA",
					      .key_bits = 2048, .curve = "", .ca = false,
					      .findings = CIOT_X509_WEAK_SIGNATURE });
	else
		printf("note: OpenSSL refused to sign with MD5; the MD5 case is skipped\n");
	x = make_cert(&(struct certspec){ .subject = name("CN", "ecdsa-sha1.example", NULL), .key = ec_key,
					  .md = EVP_sha1(), .serial = 0x51, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	CHECK(x != NULL);
	if (x)
		expect_cert("ecdsa-with-SHA1", x,
			    &(struct expect){ .subject = "CN=ecdsa-sha1.example", .issuer = "CN=ecdsa-sha1.example",
					      .serial = "51", .sans = "", .not_before = T_2024, .not_after = T_2025,
					      .validity_days = 366, .sig_alg = "ecdsa-with-SHA1", .key_type = "EC",
					      .key_bits = 256, .curve = "prime256v1", .ca = false,
					      .findings = CIOT_X509_WEAK_SIGNATURE | CIOT_X509_SELF_SIGNED });
	EVP_PKEY *dsa = dsa_key(1024);
	x = make_cert(&(struct certspec){ .subject = name("CN", "dsa.example", NULL), .key = dsa, .md = EVP_sha1(),
					  .serial = 0xd5a, .not_before = "240101000000Z", .not_after = "250101000000Z" },
		      NULL);
	CHECK(x != NULL);
	if (x)
		expect_cert("DSA-1024 dsaWithSHA1", x,
			    &(struct expect){ .subject = "CN=dsa.example", .issuer = "CN=dsa.example", .serial = "0D5A",
					      .sans = "", .not_before = T_2024, .not_after = T_2025, .validity_days = 366,
					      .sig_alg = "dsaWithSHA1", .key_type = "DSA", .key_bits = 1024, .curve = "",
					      .ca = false,
					      .findings = CIOT_X509_WEAK_SIGNATURE | CIOT_X509_WEAK_KEY |
							  CIOT_X509_SELF_SIGNED });
	/* RSA-PSS: the digest is inside the algorithm's parameters */
	x = make_cert(&(struct certspec){ .subject = name("CN", "pss-sha1.example", NULL), .key = leaf_key,
					  .md = EVP_sha1(), .pss = true, .serial = 0x1, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	CHECK(x != NULL);
	if (x)
		expect_cert("RSA-PSS with SHA-1", x,
			    &(struct expect){ .subject = "CN=pss-sha1.example", .issuer = "CN=pss-sha1.example",
					      .serial = "01", .sans = "", .not_before = T_2024, .not_after = T_2025,
					      .validity_days = 366, .sig_alg = "rsassaPss", .key_type = "RSA",
					      .key_bits = 2048, .curve = "", .ca = false,
					      .findings = CIOT_X509_WEAK_SIGNATURE | CIOT_X509_SELF_SIGNED });
	x = make_cert(&(struct certspec){ .subject = name("CN", "pss-sha256.example", NULL), .key = leaf_key,
					  .md = EVP_sha256(), .pss = true, .serial = 0x2, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	CHECK(x != NULL);
	if (x)
		expect_cert("RSA-PSS with SHA-256", x,
			    &(struct expect){ .subject = "CN=pss-sha256.example", .issuer = "CN=pss-sha256.example",
					      .serial = "02", .sans = "", .not_before = T_2024, .not_after = T_2025,
					      .validity_days = 366, .sig_alg = "rsassaPss", .key_type = "RSA",
					      .key_bits = 2048, .curve = "", .ca = false, .findings = CIOT_X509_SELF_SIGNED });
}

/* Names that try to break a CSV line or a terminal come out as printable ASCII with escapes. */
static void test_hostile_names(void)
{
	X509_NAME *subject = name("O", "a,b+c\"d", "CN", "evil\n\r\x1b[31m;<x>", NULL);
	/* control characters, DEL and a real non-ASCII name */
	X509_NAME_add_entry_by_txt(subject, "OU", MBSTRING_UTF8, (const unsigned char *)"\x01\x7fok", -1, -1, 0);
	X509_NAME_add_entry_by_txt(subject, "L", MBSTRING_UTF8, (const unsigned char *)"\xe6\x9d\xad\xe5\xb7\x9e", -1,
				   -1, 0);
	X509 *x = make_cert(&(struct certspec){ .subject = subject, .issuer = name("CN", " #lead", NULL),
						 .key = ec_key, .signer = other_ec_key, .serial = 0x99,
						 .not_before = "240101000000Z", .not_after = "250101000000Z" },
			    NULL);
	/* RFC 2253: ',' '+' '"' ';' '<' '>' backslashed, control characters and bytes above 0x7e as
	 * \XX (the UTF-8 of "杭州" included), a leading space or '#' backslashed */
	expect_cert("hostile names", x,
		    &(struct expect){ .subject = "L=\\E6\\9D\\AD\\E5\\B7\\9E,OU=\\01\\7Fok,"
						 "CN=evil\\0A\\0D\\1B[31m\\;\\<x\\>,O=a\\,b\\+c\\\"d",
				      .issuer = "CN=\\ #lead", .serial = "99", .sans = "", .not_before = T_2024,
				      .not_after = T_2025, .validity_days = 366, .sig_alg = "ecdsa-with-SHA256",
				      .key_type = "EC", .key_bits = 256, .curve = "prime256v1", .ca = false,
				      .findings = 0 });

	/* a name longer than the field: cut, with the marker, still within bounds */
	char longcn[64];
	memset(longcn, 'n', sizeof longcn - 1);
	longcn[sizeof longcn - 1] = 0;
	X509_NAME *big = X509_NAME_new();
	for (int i = 0; i < 20; i++)
		X509_NAME_add_entry_by_txt(big, "OU", MBSTRING_UTF8, (const unsigned char *)longcn, -1, -1, 0);
	x = make_cert(&(struct certspec){ .subject = big, .key = ec_key, .serial = 1, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	struct der d = der_of(x);
	struct ciot_x509_info info;
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, NULL), CIOT_OK)) {
		CHECK_EQ_INT(strlen(info.subject), CIOT_X509_TEXT_MAX - 1);
		CHECK_EQ_STR(info.subject + CIOT_X509_TEXT_MAX - 4, "...");
		CHECK(strncmp(info.subject, "OU=nnnn", 7) == 0);
		CHECK_EQ_STR(info.issuer, info.subject);
		CHECK(printable(info.subject, sizeof info.subject));
	}
	free(d.p);

	/* a BMPString of odd length (made by retagging a UTF8String in the DER, since OpenSSL will not
	 * build one): OpenSSL's name canonicalisation refuses it while decoding, or, should it one day
	 * accept it, the name must still print */
	x = make_cert(&(struct certspec){ .subject = name("CN", "odd", NULL), .issuer = name("CN", "x", NULL),
					  .key = ec_key, .serial = 1, .not_before = "240101000000Z",
					  .not_after = "250101000000Z" },
		      NULL);
	d = der_of(x);
	int retagged = 0;
	for (size_t i = 0; i + 5 <= d.n; i++)
		if (memcmp(d.p + i, "\x0c\x03odd", 5) == 0)
			d.p[i] = 0x1e, retagged++;
	CHECK_EQ_INT(retagged, 1);
	enum ciot_rc rc = ciot_x509_parse(d.p, d.n, &info, NULL);
	CHECK(rc == CIOT_ERR_FORMAT || (rc == CIOT_OK && printable(info.subject, sizeof info.subject)));
	CHECK_EQ_INT(ERR_peek_error(), 0);
	/* a UTF8String that is not UTF-8: the same, by overwriting "odd" with 0xff 0xfe 0x01 */
	for (size_t i = 0; i + 5 <= d.n; i++)
		if (memcmp(d.p + i, "\x1e\x03odd", 5) == 0)
			memcpy(d.p + i, "\x0c\x03\xff\xfe\x01", 5);
	rc = ciot_x509_parse(d.p, d.n, &info, NULL);
	CHECK(rc == CIOT_ERR_FORMAT || (rc == CIOT_OK && printable(info.subject, sizeof info.subject)));
	CHECK_EQ_INT(ERR_peek_error(), 0);
	free(d.p);
}

static void add_gen(GENERAL_NAMES *gens, int type, const void *bytes, int len)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	if (type == GEN_DIRNAME) {
		GENERAL_NAME_set0_value(g, type, name("CN", (const char *)bytes, NULL));
	} else {
		ASN1_STRING *s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
		ASN1_STRING_set(s, bytes, len);
		GENERAL_NAME_set0_value(g, type, s);
	}
	sk_GENERAL_NAME_push(gens, g);
}

static void test_sans(void)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	add_gen(gens, GEN_DNS, "a.example", 9);
	add_gen(gens, GEN_DNS, "b,c\\d\n.example", 14); /* the separator, the escape and a newline */
	add_gen(gens, GEN_IPADD, "\xc0\x00\x02\x07", 4);
	add_gen(gens, GEN_IPADD, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	add_gen(gens, GEN_IPADD, "\xc0\x00\x02\x00\xff\xff\xff\x00", 8); /* an address/mask pair */
	add_gen(gens, GEN_EMAIL, "ops@example.com", 15);
	add_gen(gens, GEN_URI, "https://example.com/a b", 23);
	add_gen(gens, GEN_DIRNAME, "ignored", 0);
	add_gen(gens, GEN_DNS, "\xff\x7f.example", 10);
	X509 *x = make_cert(&(struct certspec){ .subject = name("CN", "sans.example", NULL), .key = ec_key,
						 .serial = 0x5a5, .not_before = "240101000000Z",
						 .not_after = "250101000000Z", .sans = gens },
			    NULL);
	expect_cert("SAN kinds and escapes", x,
		    &(struct expect){ .subject = "CN=sans.example", .issuer = "CN=sans.example", .serial = "05A5",
				      .sans = "DNS:a.example,DNS:b\\2Cc\\5Cd\\0A.example,IP:192.0.2.7,IP:2001:db8::1,"
					      "IP:invalid:c0000200ffffff00,email:ops@example.com,"
					      "URI:https://example.com/a b,DNS:\\FF\\7F.example",
				      .not_before = T_2024, .not_after = T_2025, .validity_days = 366,
				      .sig_alg = "ecdsa-with-SHA256", .key_type = "EC", .key_bits = 256,
				      .curve = "prime256v1", .ca = false, .findings = CIOT_X509_SELF_SIGNED });

	/* more SANs than fit: whole entries, then ",..." */
	gens = GENERAL_NAMES_new();
	char dns[64];
	for (int i = 0; i < 100; i++) {
		int n = snprintf(dns, sizeof dns, "host-%03d.a-rather-long-domain-name.example", i);
		add_gen(gens, GEN_DNS, dns, n);
	}
	x = make_cert(&(struct certspec){ .subject = name("CN", "many.example", NULL), .key = ec_key, .serial = 1,
					  .not_before = "240101000000Z", .not_after = "250101000000Z", .sans = gens },
		      NULL);
	struct der d = der_of(x);
	struct ciot_x509_info info;
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, NULL), CIOT_OK)) {
		size_t n = strlen(info.sans);
		/* each entry is "DNS:" + 42 = 46 bytes, 47 with its comma: 43 entries leave room for ",..." */
		CHECK_EQ_INT(n, 43 * 47 - 1 + 4);
		CHECK(n < CIOT_X509_SANS_MAX);
		CHECK_EQ_STR(info.sans + n - 4, ",...");
		CHECK(strncmp(info.sans, "DNS:host-000.a-rather-long-domain-name.example,DNS:host-001.", 60) == 0);
		CHECK_CONTAINS(info.sans, "DNS:host-042.a-rather-long-domain-name.example,...");
	}
	free(d.p);
}

static void test_serials(void)
{
	static const struct {
		const char *hex; /* BN_hex2bn syntax */
		const char *want;
	} cases[] = {
		{ "0", "00" },
		{ "-5", "-05" },
		{ "80", "80" }, /* the DER's leading 00 byte only keeps it positive, as openssl prints it */
		{ "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" },
		{ "0FECCC5464B19EC7A9576B08F08717C2", "0FECCC5464B19EC7A9576B08F08717C2" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		BIGNUM *bn = NULL;
		BN_hex2bn(&bn, cases[i].hex);
		X509 *x = make_cert(&(struct certspec){ .subject = name("CN", "serial.example", NULL), .key = ec_key,
							 .serial_int = BN_to_ASN1_INTEGER(bn, NULL),
							 .not_before = "240101000000Z", .not_after = "250101000000Z" },
				    NULL);
		BN_free(bn);
		struct der d = der_of(x);
		struct ciot_x509_info info;
		if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, NULL), CIOT_OK))
			CHECK_EQ_STR(info.serial, cases[i].want);
		free(d.p);
	}
	/* a serial of 400 bytes (hostile: RFC 5280 allows 20) is cut with the marker */
	unsigned char big[400];
	memset(big, 0xab, sizeof big);
	big[0] = 0x12;
	BIGNUM *bn = BN_bin2bn(big, sizeof big, NULL);
	X509 *x = make_cert(&(struct certspec){ .subject = name("CN", "serial.example", NULL), .key = ec_key,
						 .serial_int = BN_to_ASN1_INTEGER(bn, NULL),
						 .not_before = "240101000000Z", .not_after = "250101000000Z" },
			    NULL);
	BN_free(bn);
	struct der d = der_of(x);
	struct ciot_x509_info info;
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, NULL), CIOT_OK)) {
		CHECK(strlen(info.serial) < CIOT_X509_TEXT_MAX);
		CHECK(strncmp(info.serial, "12ABAB", 6) == 0);
		CHECK_EQ_STR(info.serial + strlen(info.serial) - 3, "...");
		CHECK_EQ_INT(strlen(info.serial), 2 * ((CIOT_X509_TEXT_MAX - 1 - 3) / 2) + 3);
	}
	free(d.p);
}

/* A signature OID OpenSSL does not know is reported as its dotted text. */
static void test_unknown_signature_oid(void)
{
	struct der d = der_of(leaf);
	/* sha256WithRSAEncryption, 1.2.840.113549.1.1.11, appears twice (inside and outside the
	 * signed part); 1.2.840.113549.1.1.99 is not assigned */
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
	int replaced = 0;
	for (size_t i = 0; i + sizeof oid <= d.n; i++)
		if (memcmp(d.p + i, oid, sizeof oid) == 0) {
			d.p[i + sizeof oid - 1] = 0x63;
			replaced++;
		}
	CHECK_EQ_INT(replaced, 2);
	struct ciot_x509_info info;
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, NULL), CIOT_OK)) {
		CHECK_EQ_STR(info.sig_alg, "1.2.840.113549.1.1.99");
		CHECK_EQ_INT(info.findings, 0);
		CHECK_EQ_STR(info.key_type, "RSA");
	}
	CHECK_EQ_INT(ERR_peek_error(), 0);
	free(d.p);
}

static void test_real_fields(void)
{
	struct ciot_x509_info info;
	char err[CIOT_ERRBUF_SIZE] = "";
	struct der d = der_copy(pandora_leaf, sizeof pandora_leaf);
	/* the expectations are what `openssl x509 -nameopt RFC2253 -serial -dates -fingerprint
	 * -sha256 -text` prints for the same bytes */
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, err), CIOT_OK)) {
		CHECK_EQ_STR(info.sha256, "698b6b3e639199b0c7c816164a4782b8c5e6025e61a8d75adba5b5d948177a58");
		expect_info("pandora.com leaf", &info,
			    &(struct expect){ .subject = "CN=*.pandora.com,O=Pandora Media\\, LLC,L=Oakland,"
							 "ST=California,C=US",
					      .issuer = "CN=GeoTrust TLS RSA CA G1,OU=www.digicert.com,O=DigiCert Inc,C=US",
					      .serial = "0FECCC5464B19EC7A9576B08F08717C2",
					      .sans = "DNS:*.pandora.com,DNS:pandora.com",
					      .not_before = INT64_C(1620777600),  /* 2021-05-12 00:00:00 */
					      .not_after = INT64_C(1655078399),   /* 2022-06-12 23:59:59 */
					      .validity_days = 396, .sig_alg = "sha256WithRSAEncryption",
					      .key_type = "RSA", .key_bits = 2048, .curve = "", .ca = false,
					      .findings = 0 });
	}
	free(d.p);
	d = der_copy(pandora_intermediate, sizeof pandora_intermediate);
	if (CHECK_EQ_INT(ciot_x509_parse(d.p, d.n, &info, err), CIOT_OK)) {
		CHECK_EQ_STR(info.sha256, "c06e307f7cfc1d32fa72a4c033c87b90019af216f0775d64978a2eca6c8a230e");
		expect_info("GeoTrust TLS RSA CA G1", &info,
			    &(struct expect){ .subject = "CN=GeoTrust TLS RSA CA G1,OU=www.digicert.com,O=DigiCert Inc,C=US",
					      .issuer = "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US",
					      .serial = "0D07782A133FC6F9A57296E131FFD179", .sans = "",
					      .not_before = INT64_C(1509625417), /* 2017-11-02 12:23:37 */
					      .not_after = INT64_C(1825158217),  /* 2027-11-02 12:23:37 */
					      .validity_days = 3652, .sig_alg = "sha256WithRSAEncryption",
					      .key_type = "RSA", .key_bits = 2048, .curve = "", .ca = true,
					      .findings = CIOT_X509_LONG_VALIDITY });
	}
	free(d.p);
}

/* ---- trust store and chains ---------------------------------------------------------------------- */

static char tmpdir[PATH_MAX];

static const char *write_pem(const char *rel, X509 *const *certs, size_t n)
{
	static char path[PATH_MAX];
	BIO *bio = BIO_new(BIO_s_mem());
	for (size_t i = 0; i < n; i++)
		PEM_write_bio_X509(bio, certs[i]);
	char *p = NULL;
	long len = BIO_get_mem_data(bio, &p);
	testfs_write(path, tmpdir, rel, p, (size_t)len);
	BIO_free(bio);
	return path;
}

static void test_trust_open(void)
{
	struct ciot_x509_trust *t = (struct ciot_x509_trust *)&t;
	char err[CIOT_ERRBUF_SIZE] = "";
	char path[PATH_MAX];
	CHECK_EQ_INT(ciot_x509_trust_open(&t, testfs_path(path, tmpdir, "missing.pem"), err), CIOT_ERR_IO);
	CHECK(t == NULL);
	CHECK_CONTAINS(err, "missing.pem");
	CHECK_EQ_INT(ERR_peek_error(), 0);
	testfs_write_text(path, tmpdir, "junk.pem", "this is not a certificate\n");
	err[0] = 0;
	CHECK(ciot_x509_trust_open(&t, path, err) != CIOT_OK);
	CHECK(t == NULL);
	CHECK_CONTAINS(err, "junk.pem");
	CHECK_EQ_INT(ERR_peek_error(), 0);
	CHECK_EQ_INT(ciot_x509_trust_open(NULL, NULL, err), CIOT_ERR_ARG);

	/* the default paths, pointed at nothing: a clear refusal instead of every chain untrusted */
	char emptydir[PATH_MAX];
	testfs_path(emptydir, tmpdir, "empty-certs");
	testfs_mkdirs(emptydir);
	setenv("SSL_CERT_FILE", testfs_path(path, tmpdir, "no-bundle.crt"), 1);
	setenv("SSL_CERT_DIR", emptydir, 1);
	err[0] = 0;
	CHECK_EQ_INT(ciot_x509_trust_open(&t, NULL, err), CIOT_ERR_IO);
	CHECK(t == NULL);
	CHECK_CONTAINS(err, "no CA certificates");
	CHECK_CONTAINS(err, "ca-certificates");
	/* a hashed directory alone is enough */
	char hashed[PATH_MAX];
	X509 *root = ca;
	char hashname[32];
	snprintf(hashname, sizeof hashname, "empty-certs/%08lx.0", X509_subject_name_hash(root));
	snprintf(hashed, sizeof hashed, "%s", write_pem(hashname, &root, 1));
	err[0] = 0;
	if (CHECK_EQ_INT(ciot_x509_trust_open(&t, NULL, err), CIOT_OK)) {
		const uint8_t *ders[2];
		size_t lens[2];
		struct der d = der_of(leaf);
		ders[0] = d.p, lens[0] = d.n;
		char why[128];
		CHECK_EQ_INT(ciot_x509_judge_chain(t, ders, lens, 1, T_2024_06, "device.example.com", why, sizeof why), 0);
		/* a directory is read lazily: which certificates it holds, hence when they are valid, is
		 * not known, so no verdict may be reused */
		int64_t lo, hi;
		CHECK(!ciot_x509_trust_stable(t, T_2024_06, &lo, &hi));
		free(d.p);
		ciot_x509_trust_close(t);
	} else {
		fprintf(stderr, "  %s\n", err);
	}
	unlink(hashed);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	ciot_x509_trust_close(NULL);
}

struct chain {
	const uint8_t *ders[8];
	size_t lens[8];
	struct der owned[8];
	size_t n;
};

static void chain_of(struct chain *c, X509 *const *certs, size_t n)
{
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		c->owned[i] = der_of(certs[i]);
		c->ders[i] = c->owned[i].p;
		c->lens[i] = c->owned[i].n;
	}
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->owned[i].p);
}

/* Judges certs at `at` for host and checks the findings and, when want_why is not NULL, that the
 * reason contains it (and that there is none when the chain is trusted). */
static void expect_judgement(const char *what, const struct ciot_x509_trust *t, X509 *const *certs, size_t n,
			     int64_t at, const char *host, unsigned want, const char *want_why)
{
	unsigned before = check_failures;
	struct chain c;
	chain_of(&c, certs, n);
	char why[256];
	memset(why, 'x', sizeof why);
	CHECK_EQ_INT(ciot_x509_judge_chain(t, c.ders, c.lens, c.n, at, host, why, sizeof why), want);
	if (want_why)
		CHECK_CONTAINS(why, want_why);
	if (!(want & CIOT_X509_UNTRUSTED))
		CHECK_EQ_STR(why, "");
	CHECK(printable(why, sizeof why));
	CHECK_EQ_INT(ERR_peek_error(), 0);
	chain_free(&c);
	check_case(before, what);
}

static void test_judge_local(void)
{
	X509 *root = ca;
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_x509_trust *t = NULL;
	if (!CHECK_EQ_INT(ciot_x509_trust_open(&t, write_pem("ca.pem", &root, 1), err), CIOT_OK)) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	/* the store's one certificate runs from 2020-01-01 to 2040-01-01: the stable interval around a
	 * time between is (2020-01-01, 2040-01-01), around its ends there is none */
	int64_t lo, hi;
	CHECK(ciot_x509_trust_stable(t, T_2024_06, &lo, &hi));
	CHECK_EQ_INT(lo, 1577836800);
	CHECK_EQ_INT(hi, 2208988800);
	CHECK(!ciot_x509_trust_stable(t, 1577836800, &lo, &hi));
	CHECK(ciot_x509_trust_stable(t, 1577836799, &lo, &hi));
	CHECK_EQ_INT(hi, 1577836800);
	CHECK(lo == INT64_MIN);
	CHECK(ciot_x509_trust_stable(NULL, T_2024_06, &lo, &hi) && lo == INT64_MIN && hi == INT64_MAX);
	expect_judgement("leaf+CA", t, (X509 *[]){ leaf, ca }, 2, T_2024_06, "device.example.com", 0, NULL);
	expect_judgement("leaf alone, CA in the store", t, (X509 *[]){ leaf }, 1, T_2024_06, "device.example.com", 0,
			 NULL);
	expect_judgement("no host", t, (X509 *[]){ leaf }, 1, T_2024_06, NULL, 0, NULL);
	expect_judgement("empty host", t, (X509 *[]){ leaf }, 1, T_2024_06, "", 0, NULL);
	expect_judgement("host in upper case", t, (X509 *[]){ leaf }, 1, T_2024_06, "DEVICE.Example.COM", 0, NULL);
	expect_judgement("wrong host", t, (X509 *[]){ leaf, ca }, 2, T_2024_06, "other.example.com",
			 CIOT_X509_NAME_MISMATCH, NULL);
	expect_judgement("IP host in the IP SAN", t, (X509 *[]){ leaf, ca }, 2, T_2024_06, "192.0.2.7", 0, NULL);
	expect_judgement("other IP host", t, (X509 *[]){ leaf, ca }, 2, T_2024_06, "192.0.2.8",
			 CIOT_X509_NAME_MISMATCH, NULL);
	expect_judgement("IPv6 host, no such SAN", t, (X509 *[]){ leaf, ca }, 2, T_2024_06, "2001:db8::7",
			 CIOT_X509_NAME_MISMATCH, NULL);
	expect_judgement("no SAN: CN fallback", t, (X509 *[]){ leaf_bare }, 1, T_2024_06, "bare.example.com", 0, NULL);
	expect_judgement("no SAN: wrong host", t, (X509 *[]){ leaf_bare }, 1, T_2024_06, "bear.example.com",
			 CIOT_X509_NAME_MISMATCH, NULL);
	/* time: the leaf's own dates, and not untrusted for that alone */
	expect_judgement("after notAfter", t, (X509 *[]){ leaf, ca }, 2, T_2025_06, "device.example.com",
			 CIOT_X509_EXPIRED, NULL);
	expect_judgement("after notAfter, wrong host", t, (X509 *[]){ leaf, ca }, 2, T_2025_06, "x.example.com",
			 CIOT_X509_EXPIRED | CIOT_X509_NAME_MISMATCH, NULL);
	expect_judgement("one second after notAfter", t, (X509 *[]){ leaf }, 1, T_2025 + 1, NULL, CIOT_X509_EXPIRED,
			 NULL);
	expect_judgement("at notAfter", t, (X509 *[]){ leaf }, 1, T_2025, NULL, 0, NULL);
	expect_judgement("at notBefore", t, (X509 *[]){ leaf }, 1, T_2024, NULL, 0, NULL);
	expect_judgement("before notBefore", t, (X509 *[]){ leaf, ca }, 2, T_2023_06, "device.example.com",
			 CIOT_X509_NOT_YET_VALID, NULL);
	/* intermediates */
	expect_judgement("via intermediate", t, (X509 *[]){ via_intermediate, intermediate }, 2, T_2024_06,
			 "sub.example.com", 0, NULL);
	expect_judgement("via intermediate, in any order", t, (X509 *[]){ via_intermediate, ca, intermediate }, 3,
			 T_2024_06, "sub.example.com", 0, NULL);
	expect_judgement("intermediate missing", t, (X509 *[]){ via_intermediate }, 1, T_2024_06, "sub.example.com",
			 CIOT_X509_UNTRUSTED, "unable to get local issuer certificate at depth 0");
	expect_judgement("intermediate expired at the time", t,
			 (X509 *[]){ via_expired_intermediate, expired_intermediate }, 2, T_2024_06, "old.example.com",
			 CIOT_X509_UNTRUSTED, "certificate has expired at depth 1");
	expect_judgement("leaf and intermediate both expired", t,
			 (X509 *[]){ via_expired_intermediate, expired_intermediate }, 2, T_2025_06, "old.example.com",
			 CIOT_X509_EXPIRED | CIOT_X509_UNTRUSTED, "certificate has expired at depth 1");
	/* unknown roots */
	expect_judgement("unknown CA presented", t, (X509 *[]){ unknown_leaf, unknown_ca }, 2, T_2024_06,
			 "device.example.com", CIOT_X509_UNTRUSTED, "self-signed certificate in certificate chain");
	expect_judgement("unknown CA not presented", t, (X509 *[]){ unknown_leaf }, 1, T_2024_06,
			 "device.example.com", CIOT_X509_UNTRUSTED, "unable to get local issuer certificate");
	expect_judgement("self-signed leaf", t, (X509 *[]){ weak_selfsigned }, 1, T_2015 + 86400, "old-camera.local",
			 CIOT_X509_UNTRUSTED, "self-signed certificate");
	expect_judgement("self-signed leaf, expired", t, (X509 *[]){ weak_selfsigned }, 1, T_2024_06,
			 "old-camera.local", CIOT_X509_EXPIRED | CIOT_X509_UNTRUSTED, "self-signed certificate");
	/* purpose: TLS server */
	expect_judgement("client-only leaf", t, (X509 *[]){ client_only, ca }, 2, T_2024_06, "device.example.com",
			 CIOT_X509_UNTRUSTED, "unsuitable certificate purpose at depth 0");
	/* a leaf presented with junk: the junk is skipped */
	{
		struct chain c;
		chain_of(&c, (X509 *[]){ leaf, ca }, 2);
		static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
		const uint8_t *ders[3] = { c.ders[0], junk, c.ders[1] };
		size_t lens[3] = { c.lens[0], sizeof junk, c.lens[1] };
		char why[128];
		CHECK_EQ_INT(ciot_x509_judge_chain(t, ders, lens, 3, T_2024_06, "device.example.com", why, sizeof why), 0);
		/* a broken leaf, no chain at all, no room for a reason */
		ders[0] = junk, lens[0] = sizeof junk;
		CHECK_EQ_INT(ciot_x509_judge_chain(t, ders, lens, 3, T_2024_06, "device.example.com", why, sizeof why),
			     CIOT_X509_UNTRUSTED);
		CHECK_EQ_STR(why, "the leaf is not a DER certificate");
		CHECK_EQ_INT(ciot_x509_judge_chain(t, ders, lens, 0, T_2024_06, NULL, why, sizeof why),
			     CIOT_X509_UNTRUSTED);
		CHECK_EQ_STR(why, "no certificate");
		CHECK_EQ_INT(ciot_x509_judge_chain(t, NULL, NULL, 0, T_2024_06, NULL, NULL, 0), CIOT_X509_UNTRUSTED);
		CHECK_EQ_INT(ciot_x509_judge_chain(t, c.ders, c.lens, 1, T_2025_06, NULL, NULL, 0), CIOT_X509_EXPIRED);
		struct chain u;
		chain_of(&u, (X509 *[]){ unknown_leaf }, 1);
		CHECK_EQ_INT(ciot_x509_judge_chain(t, u.ders, u.lens, 1, T_2024_06, NULL, why, 5), CIOT_X509_UNTRUSTED);
		CHECK_EQ_STR(why, "u..."); /* "unable to get local issuer certificate at depth 0", cut */
		chain_free(&u);
		/* no trust store: dates and names only */
		CHECK_EQ_INT(ciot_x509_judge_chain(NULL, c.ders, c.lens, 1, T_2025_06, "other.example", why, sizeof why),
			     CIOT_X509_EXPIRED | CIOT_X509_NAME_MISMATCH);
		CHECK_EQ_STR(why, "");
		CHECK_EQ_INT(ERR_peek_error(), 0);
		chain_free(&c);
	}
	ciot_x509_trust_close(t);

	/* partial chains are off: an intermediate alone in the store is not a root */
	X509 *inter = intermediate;
	if (CHECK_EQ_INT(ciot_x509_trust_open(&t, write_pem("intermediate.pem", &inter, 1), err), CIOT_OK)) {
		expect_judgement("only an intermediate trusted", t, (X509 *[]){ via_intermediate, intermediate }, 2,
				 T_2024_06, "sub.example.com", CIOT_X509_UNTRUSTED, "unable to get");
		ciot_x509_trust_close(t);
	}
}

static const struct ciot_x509_trust *system_trust;

static void judge_pandora(const char *what, size_t n, int64_t at, const char *host, unsigned want,
			  const char *want_why)
{
	unsigned before = check_failures;
	const uint8_t *ders[2] = { pandora_leaf, pandora_intermediate };
	size_t lens[2] = { sizeof pandora_leaf, sizeof pandora_intermediate };
	char why[256];
	CHECK_EQ_INT(ciot_x509_judge_chain(system_trust, ders, lens, n, at, host, why, sizeof why), want);
	if (want_why)
		CHECK_CONTAINS(why, want_why);
	else
		CHECK_EQ_STR(why, "");
	check_case(before, what);
}

static void test_judge_system(void)
{
	/* Debian's ca-certificates holds DigiCert Global Root G2, the chain's root; should a future
	 * ca-certificates drop it, the first case fails with "unable to get local issuer certificate
	 * at depth 1", and the chain must be replaced by a newer one from the corpus. */
	judge_pandora("pandora.com at capture time", 2, PANDORA_TIME, "pandora.com", 0, NULL);
	judge_pandora("wildcard", 2, PANDORA_TIME, "www.pandora.com", 0, NULL);
	judge_pandora("wildcard covers one label only", 2, PANDORA_TIME, "a.b.pandora.com", CIOT_X509_NAME_MISMATCH,
		      NULL);
	judge_pandora("other domain", 2, PANDORA_TIME, "pandora.org", CIOT_X509_NAME_MISMATCH, NULL);
	judge_pandora("2024: leaf expired, intermediate still valid", 2, T_2024, "pandora.com", CIOT_X509_EXPIRED, NULL);
	judge_pandora("2021: leaf not yet valid", 2, T_2020 + 366 * 86400, "pandora.com", CIOT_X509_NOT_YET_VALID,
		      NULL);
	judge_pandora("2029: intermediate expired too", 2, T_2030 - 86400 * 300, "pandora.com",
		      CIOT_X509_EXPIRED | CIOT_X509_UNTRUSTED, "certificate has expired at depth 1");
	judge_pandora("leaf without its intermediate", 1, PANDORA_TIME, "pandora.com", CIOT_X509_UNTRUSTED,
		      "unable to get local issuer certificate at depth 0");
	/* our own test CA means nothing to the system store */
	expect_judgement("test CA against the system store", system_trust, (X509 *[]){ leaf, ca }, 2, T_2024_06,
			 "device.example.com", CIOT_X509_UNTRUSTED, "self-signed certificate in certificate chain");
}

/* ---- threads share one store --------------------------------------------------------------------- */

struct worker {
	const struct ciot_x509_trust *local;
	const struct chain *chain;
	unsigned wrong;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const uint8_t *ders[2] = { pandora_leaf, pandora_intermediate };
	size_t lens[2] = { sizeof pandora_leaf, sizeof pandora_intermediate };
	char why[128];
	for (int i = 0; i < 40; i++) {
		if (ciot_x509_judge_chain(w->local, w->chain->ders, w->chain->lens, 2, T_2024_06, "device.example.com",
					  why, sizeof why) != 0)
			w->wrong++;
		if (ciot_x509_judge_chain(w->local, w->chain->ders, w->chain->lens, 1, T_2025_06, "192.0.2.7", why,
					  sizeof why) != CIOT_X509_EXPIRED)
			w->wrong++;
		if (ciot_x509_judge_chain(system_trust, ders, lens, 2, PANDORA_TIME, "pandora.com", why, sizeof why) != 0)
			w->wrong++;
		if (ciot_x509_judge_chain(system_trust, ders, lens, 1, PANDORA_TIME, "pandora.com", why, sizeof why) !=
		    CIOT_X509_UNTRUSTED)
			w->wrong++;
		struct ciot_x509_info info;
		if (ciot_x509_parse(pandora_leaf, sizeof pandora_leaf, &info, NULL) != CIOT_OK || info.findings != 0)
			w->wrong++;
		if (ciot_x509_parse(pandora_leaf, sizeof pandora_leaf - 1, &info, NULL) == CIOT_OK)
			w->wrong++;
	}
	return NULL;
}

static void test_threads(void)
{
	X509 *root = ca;
	struct ciot_x509_trust *local = NULL;
	if (!CHECK_EQ_INT(ciot_x509_trust_open(&local, write_pem("ca-threads.pem", &root, 1), NULL), CIOT_OK))
		return;
	struct chain c;
	chain_of(&c, (X509 *[]){ leaf, ca }, 2);
	enum { THREADS = 6 };
	pthread_t tid[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .local = local, .chain = &c };
		CHECK_EQ_INT(pthread_create(&tid[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		CHECK_EQ_INT(w[i].wrong, 0);
	}
	chain_free(&c);
	ciot_x509_trust_close(local);
}

/* ---- malformed input ----------------------------------------------------------------------------- */

static void test_malformed(void)
{
	char err[CIOT_ERRBUF_SIZE];
	struct ciot_x509_info info;
	size_t n = sizeof pandora_leaf;
	unsigned accepted = 0, not_format = 0, queue_left = 0, not_zeroed = 0, judged_wrong = 0;
	/* every truncation, each in a block of exactly its length */
	for (size_t len = 0; len < n; len++) {
		struct der d = der_copy(pandora_leaf, len);
		memset(&info, 0x55, sizeof info);
		enum ciot_rc rc = ciot_x509_parse(d.p, len, &info, err);
		accepted += rc == CIOT_OK;
		not_format += rc != CIOT_ERR_FORMAT;
		queue_left += ERR_peek_error() != 0;
		not_zeroed += info.sha256[0] != 0 || info.subject[0] != 0;
		const uint8_t *ders[2] = { d.p, pandora_intermediate };
		size_t lens[2] = { len, sizeof pandora_intermediate };
		judged_wrong += ciot_x509_judge_chain(system_trust, ders, lens, 2, PANDORA_TIME, "pandora.com", err,
						      sizeof err) != CIOT_X509_UNTRUSTED;
		ERR_clear_error();
		free(d.p);
	}
	CHECK_EQ_INT(accepted, 0);
	CHECK_EQ_INT(not_format, 0);
	CHECK_EQ_INT(queue_left, 0);
	CHECK_EQ_INT(not_zeroed, 0);
	CHECK_EQ_INT(judged_wrong, 0);

	/* trailing bytes: one zero, and a whole second certificate */
	struct der d = { malloc(n + 1), n + 1 };
	memcpy(d.p, pandora_leaf, n);
	d.p[n] = 0;
	CHECK_EQ_INT(ciot_x509_parse(d.p, n + 1, &info, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "trailing");
	CHECK_EQ_INT(ERR_peek_error(), 0);
	free(d.p);
	d.p = malloc(n + sizeof pandora_intermediate);
	memcpy(d.p, pandora_leaf, n);
	memcpy(d.p + n, pandora_intermediate, sizeof pandora_intermediate);
	CHECK_EQ_INT(ciot_x509_parse(d.p, n + sizeof pandora_intermediate, &info, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "trailing");
	free(d.p);

	/* nothing, garbage, a NULL errbuf, no place for the result */
	CHECK_EQ_INT(ciot_x509_parse(NULL, 0, &info, err), CIOT_ERR_FORMAT);
	CHECK_EQ_INT(ciot_x509_parse(pandora_leaf, 0, &info, err), CIOT_ERR_FORMAT);
	static const uint8_t garbage[] = { 0x30, 0x82, 0xff, 0xff, 0x01 };
	CHECK_EQ_INT(ciot_x509_parse(garbage, sizeof garbage, &info, NULL), CIOT_ERR_FORMAT);
	err[0] = 0;
	CHECK_EQ_INT(ciot_x509_parse(garbage, sizeof garbage, &info, err), CIOT_ERR_FORMAT);
	CHECK_CONTAINS(err, "not a DER certificate");
	CHECK_EQ_INT(ciot_x509_parse(pandora_leaf, n, NULL, err), CIOT_ERR_ARG);
	CHECK_EQ_INT(ERR_peek_error(), 0);

	/* an error already on the queue before the call is left alone */
	ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
	CHECK_EQ_INT(ciot_x509_parse(garbage, sizeof garbage, &info, NULL), CIOT_ERR_FORMAT);
	CHECK_EQ_INT(ERR_GET_REASON(ERR_peek_error()), X509_R_CERT_ALREADY_IN_HASH_TABLE);
	ERR_clear_error();

	/* seeded random mutations of a real certificate: whatever parses is printable and bounded */
	srand(5);
	unsigned parsed = 0, bad_text = 0;
	for (int i = 0; i < 4000; i++) {
		struct der m = der_copy(pandora_leaf, n);
		int edits = 1 + rand() % 4;
		for (int e = 0; e < edits; e++)
			m.p[(size_t)rand() % n] = (uint8_t)rand();
		if (ciot_x509_parse(m.p, n, &info, NULL) == CIOT_OK) {
			parsed++;
			bad_text += !printable(info.subject, sizeof info.subject) ||
				    !printable(info.issuer, sizeof info.issuer) ||
				    !printable(info.serial, sizeof info.serial) || !printable(info.sans, sizeof info.sans) ||
				    !printable(info.sig_alg, sizeof info.sig_alg) || strlen(info.sha256) != 64;
		}
		if (i % 8 == 0) {
			const uint8_t *ders[2] = { m.p, pandora_intermediate };
			size_t lens[2] = { n, sizeof pandora_intermediate };
			char why[64];
			ciot_x509_judge_chain(system_trust, ders, lens, 2, PANDORA_TIME, "pandora.com", why, sizeof why);
			bad_text += !printable(why, sizeof why);
		}
		free(m.p);
	}
	CHECK(parsed > 0); /* most single-byte edits of a signature or a name still parse */
	CHECK_EQ_INT(bad_text, 0);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* ---- the interceptor's certificates ------------------------------------------------------------ */

static struct ciot_x509_cert *handle_of(X509 *x)
{
	struct der d = der_of(x);
	struct ciot_x509_cert *c = ciot_x509_cert_new(d.p, d.n);
	free(d.p);
	return c;
}

/* A leaf is the interceptor's when it is one of the file's certificates or was signed by one of
 * them; without a file, when its issuer or subject is named "mitmproxy" (CN or O, exactly). */
static void test_interceptor(void)
{
	char err[CIOT_ERRBUF_SIZE] = "";
	/* mitmproxy's CA as it makes it: CN=mitmproxy, O=mitmproxy; a leaf it forges for a server */
	EVP_PKEY *mitm_key = keep_key(EVP_EC_gen("P-256"));
	X509 *mitm_ca = make_cert(&(struct certspec){ .subject = name("CN", "mitmproxy", "O", "mitmproxy", NULL),
						      .key = mitm_key, .serial = 0x77, .not_before = "200101000000Z",
						      .not_after = "400101000000Z", .basic = "critical,CA:TRUE" },
				  NULL);
	X509 *forged = make_cert(&(struct certspec){ .subject = name("CN", "device.example.com", NULL),
						     .issuer = X509_NAME_dup(X509_get_subject_name(mitm_ca)),
						     .key = ec_key, .signer = mitm_key, .serial = 0x7701,
						     .not_before = "240101000000Z", .not_after = "250101000000Z",
						     .san = "DNS:device.example.com" },
				 mitm_ca);
	/* the same names, but signed by another key: an issuer name is not enough with a file */
	X509 *impostor = make_cert(&(struct certspec){ .subject = name("CN", "device.example.com", NULL),
						       .issuer = X509_NAME_dup(X509_get_subject_name(mitm_ca)),
						       .key = ec_key, .signer = other_ec_key, .serial = 0x7702,
						       .not_before = "240101000000Z", .not_after = "250101000000Z" },
				   mitm_ca);
	/* names that only contain the word */
	X509 *lookalike = make_cert(&(struct certspec){ .subject = name("CN", "mitmproxy.example.com", "O",
									"not mitmproxy", NULL),
							.key = ec_key, .serial = 0x7703, .not_before = "240101000000Z",
							.not_after = "250101000000Z" },
				    NULL);
	if (!CHECK(mitm_ca && forged && impostor && lookalike))
		return;
	struct ciot_x509_cert *h_forged = handle_of(forged), *h_impostor = handle_of(impostor),
			      *h_lookalike = handle_of(lookalike), *h_leaf = handle_of(leaf),
			      *h_unknown = handle_of(unknown_leaf), *h_ca = handle_of(mitm_ca),
			      *h_junk = ciot_x509_cert_new((const uint8_t *)"\x30\x00", 2);

	/* by name */
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, h_forged), 1);
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, h_impostor), 1);
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, h_ca), 1);
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, h_lookalike), 0);
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, h_leaf), 0);
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, h_junk), -1);
	CHECK_EQ_INT(ciot_x509_intercepted(NULL, NULL), -1);

	/* by the file: mitmproxy's CA */
	struct ciot_x509_interceptor *i = NULL;
	const char *path = write_pem("mitm-ca.pem", &mitm_ca, 1);
	if (CHECK_EQ_INT(ciot_x509_interceptor_open(&i, path, err), CIOT_OK)) {
		CHECK(strstr(ciot_x509_interceptor_description(i), "1 certificate from ") != NULL);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_forged), 1);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_ca), 1);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_impostor), 0);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_leaf), 0);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_lookalike), 0);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_junk), -1);
		ciot_x509_interceptor_close(i);
	}
	/* by the file: a fixed leaf (wrong_hostname) and a CA not named mitmproxy */
	X509 *two[2] = { unknown_leaf, ca };
	path = write_pem("fixed.pem", two, 2);
	i = NULL;
	if (CHECK_EQ_INT(ciot_x509_interceptor_open(&i, path, err), CIOT_OK)) {
		CHECK(strstr(ciot_x509_interceptor_description(i), "2 certificates from ") != NULL);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_unknown), 1);
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_leaf), 1);      /* signed by the CA of the file */
		CHECK_EQ_INT(ciot_x509_intercepted(i, h_forged), 0);    /* the name does not count */
		ciot_x509_interceptor_close(i);
	}
	/* files that hold no certificate */
	i = NULL;
	CHECK_EQ_INT(ciot_x509_interceptor_open(&i, testfs_path((char[PATH_MAX]){ 0 }, tmpdir, "none.pem"), err),
		     CIOT_ERR_IO);
	CHECK(i == NULL);
	/* file: reason, and the option it came from */
	CHECK(strstr(err, "none.pem: cannot open") != NULL && strstr(err, "--interceptor-ca") != NULL);
	char junk[PATH_MAX];
	testfs_write_text(junk, tmpdir, "junk-ca.pem", "not a certificate\n");
	CHECK_EQ_INT(ciot_x509_interceptor_open(&i, junk, err), CIOT_ERR_FORMAT);
	CHECK(strstr(err, "junk-ca.pem: no PEM certificate") != NULL);
	CHECK(i == NULL);
	CHECK_EQ_INT((long long)ERR_peek_error(), 0);

	ciot_x509_cert_free(h_forged);
	ciot_x509_cert_free(h_impostor);
	ciot_x509_cert_free(h_lookalike);
	ciot_x509_cert_free(h_leaf);
	ciot_x509_cert_free(h_unknown);
	ciot_x509_cert_free(h_ca);
	ciot_x509_cert_free(h_junk);
}

int main(void)
{
	testfs_mkdtemp(tmpdir, "x509");
	make_shared();
	test_findings_text();
	test_generated_fields();
	test_hostile_names();
	test_sans();
	test_serials();
	test_unknown_signature_oid();
	test_real_fields();
	test_trust_open();
	test_judge_local();
	test_interceptor();

	struct ciot_x509_trust *sys = NULL;
	char err[CIOT_ERRBUF_SIZE] = "";
	if (CHECK_EQ_INT(ciot_x509_trust_open(&sys, NULL, err), CIOT_OK)) {
		system_trust = sys;
		test_judge_system();
		test_threads();
		test_malformed();
		ciot_x509_trust_close(sys);
	} else {
		fprintf(stderr, "system trust store: %s\n", err);
	}

	for (size_t i = 0; i < n_made_certs; i++)
		X509_free(made_certs[i]);
	for (size_t i = 0; i < n_made_keys; i++)
		EVP_PKEY_free(made_keys[i]);
	testfs_rmtree(tmpdir);
	return check_summary("test-x509");
}
