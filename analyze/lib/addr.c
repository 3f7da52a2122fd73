/* addr.c: address classes and text forms (RFC 1918, 6598, 4193, 4291, 3927). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool ciot_addr_is_v4(const uint8_t a[16])
{
	return memcmp(a, v4_prefix, 12) == 0;
}

bool ciot_addr_is_private(const uint8_t a[16])
{
	if (ciot_addr_is_v4(a)) {
		const uint8_t *v = a + 12;
		return v[0] == 10 || (v[0] == 172 && (v[1] & 0xf0) == 16) || (v[0] == 192 && v[1] == 168) ||
		       (v[0] == 100 && (v[1] & 0xc0) == 64) || (v[0] == 169 && v[1] == 254) || v[0] == 127;
	}
	static const uint8_t loopback6[16] = { [15] = 1 };
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || !memcmp(a, loopback6, 16);
}

bool ciot_addr_is_group(const uint8_t a[16])
{
	if (ciot_addr_is_v4(a)) {
		const uint8_t *v = a + 12;
		return (v[0] & 0xf0) == 224 || (v[0] == 255 && v[1] == 255 && v[2] == 255 && v[3] == 255) ||
		       v[0] == 0;
	}
	static const uint8_t unspecified6[16];
	return a[0] == 0xff || !memcmp(a, unspecified6, 16);
}

bool ciot_addr_is_local(const uint8_t a[16])
{
	return ciot_addr_is_private(a) || ciot_addr_is_group(a);
}

void ciot_addr_format(const uint8_t a[16], char out[CIOT_ADDR_STRLEN])
{
	if (ciot_addr_is_v4(a))
		inet_ntop(AF_INET, a + 12, out, CIOT_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a, out, CIOT_ADDR_STRLEN);
}

bool ciot_addr_parse(const char *text, uint8_t out[16])
{
	uint8_t v4[4];
	if (inet_pton(AF_INET, text, v4) == 1) {
		memcpy(out, v4_prefix, 12);
		memcpy(out + 12, v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, text, out) == 1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool ciot_mac_parse(const char *text, uint8_t out[6])
{
	size_t len = strlen(text);
	bool separated = len == 17;
	if (!separated && len != 12)
		return false;
	char sep = separated ? text[2] : 0;
	if (separated && sep != ':' && sep != '-')
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = text + (separated ? i * 3 : i * 2);
		int hi = hexval((unsigned char)p[0]), lo = hexval((unsigned char)p[1]);
		if (hi < 0 || lo < 0 || (separated && i < 5 && p[2] != sep))
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void ciot_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
