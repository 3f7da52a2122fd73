/* dpi.c: the one file that talks to nDPI (API of libndpi 4.2, Debian 12). */
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "addr.h"
#include "dpi.h"


struct ciot_dpi {
	struct ndpi_detection_module_struct *mod;
};

enum ciot_rc ciot_dpi_new(struct ciot_dpi **out, char *errbuf)
{
	*out = NULL;
	struct ciot_dpi *d = calloc(1, sizeof *d);
	if (!d)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->mod) {
		free(d);
		return ciot_fail(errbuf, CIOT_ERR_DPI, "ndpi_init_detection_module failed");
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	*out = d;
	return CIOT_OK;
}

void ciot_dpi_free(struct ciot_dpi *d)
{
	if (!d)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

const char *ciot_server_name_source_name(enum ciot_server_name_source s)
{
	static const char *const names[] = { [CIOT_SERVER_NAME_NONE] = NULL, [CIOT_SERVER_NAME_SNI] = "sni",
					     [CIOT_SERVER_NAME_QUIC] = "quic", [CIOT_SERVER_NAME_HTTP] = "http" };
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : NULL;
}

static bool is_proto(const struct ciot_dpi_flow *f, uint16_t proto)
{
	return f->master_proto == proto || f->app_proto == proto;
}

/* Copies the name the client gave for the server out of nDPI's state. nDPI keeps it in a fixed
 * buffer and cuts longer names short: a name that fills the buffer may be cut, and a wrong name is
 * worse than none (DNS still names the flow), so it is dropped. An HTTP Host's port and final dot
 * are not part of the name. */
static void take_server_name(struct ciot_dpi_flow *f, struct ciot_strpool *names)
{
	enum ciot_server_name_source source;
	if (is_proto(f, NDPI_PROTOCOL_QUIC))
		source = CIOT_SERVER_NAME_QUIC;
	else if (is_proto(f, NDPI_PROTOCOL_TLS) || is_proto(f, NDPI_PROTOCOL_DTLS))
		source = CIOT_SERVER_NAME_SNI;
	else if (is_proto(f, NDPI_PROTOCOL_HTTP) || is_proto(f, NDPI_PROTOCOL_HTTP_CONNECT) ||
		 is_proto(f, NDPI_PROTOCOL_HTTP_PROXY))
		source = CIOT_SERVER_NAME_HTTP;
	else
		return;
	const char *raw = f->state->host_server_name;
	size_t n = strnlen(raw, sizeof f->state->host_server_name);
	if (n == 0 || n >= sizeof f->state->host_server_name - 1)
		return;
	char name[sizeof f->state->host_server_name];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c <= ' ' || c > '~')
			return; /* not a host name */
		name[len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	name[len] = 0;
	if (source == CIOT_SERVER_NAME_HTTP) {
		/* Host is host[:port]. nDPI 4.2 has already cut it at its first ':', so a bracketed
		 * IPv6 address arrives as "[2001": an address either way, so no name. */
		if (name[0] == '[')
			return;
		char *colon = strchr(name, ':');
		if (colon) {
			len = (size_t)(colon - name);
			name[len] = 0;
		}
	}
	while (len && name[len - 1] == '.')
		name[--len] = 0;
	/* an address is no name: the device's DNS lookup of it, if any, names the flow instead */
	uint8_t addr[16];
	if (!len || ciot_addr_parse(name, addr))
		return;
	f->server_name = ciot_strpool_intern(names, name, len);
	if (f->server_name)
		f->server_name_source = (uint8_t)source;
}

static void release(struct ciot_dpi_flow *f, struct ciot_strpool *names)
{
	if (f->state) {
		if (names)
			take_server_name(f, names);
		ndpi_free_flow(f->state);
		f->state = NULL;
	}
	f->done = true;
}

static enum ciot_dpi_family family_of(uint16_t proto)
{
	static const struct {
		uint16_t proto;
		enum ciot_dpi_family family;
	} families[] = {
		{ NDPI_PROTOCOL_TLS, CIOT_FAMILY_TLS },
		{ NDPI_PROTOCOL_DOH_DOT, CIOT_FAMILY_TLS },
		{ NDPI_PROTOCOL_DTLS, CIOT_FAMILY_DTLS },
		{ NDPI_PROTOCOL_QUIC, CIOT_FAMILY_QUIC },
		{ NDPI_PROTOCOL_SSH, CIOT_FAMILY_SSH },
		{ NDPI_PROTOCOL_HTTP, CIOT_FAMILY_HTTP },
		{ NDPI_PROTOCOL_HTTP_CONNECT, CIOT_FAMILY_HTTP },
		{ NDPI_PROTOCOL_HTTP_PROXY, CIOT_FAMILY_HTTP },
		{ NDPI_PROTOCOL_DNS, CIOT_FAMILY_DNS },
		{ NDPI_PROTOCOL_MDNS, CIOT_FAMILY_DNS },
		{ NDPI_PROTOCOL_LLMNR, CIOT_FAMILY_DNS },
		{ NDPI_PROTOCOL_RTP, CIOT_FAMILY_RTP },
		{ NDPI_PROTOCOL_RTSP, CIOT_FAMILY_RTSP },
		{ NDPI_PROTOCOL_MQTT, CIOT_FAMILY_MQTT },
		{ NDPI_PROTOCOL_IP_IPSEC, CIOT_FAMILY_OTHER_ENCRYPTED },
		{ NDPI_PROTOCOL_WIREGUARD, CIOT_FAMILY_OTHER_ENCRYPTED },
		{ NDPI_PROTOCOL_OPENVPN, CIOT_FAMILY_OTHER_ENCRYPTED },
		{ NDPI_PROTOCOL_TOR, CIOT_FAMILY_OTHER_ENCRYPTED },
		{ NDPI_PROTOCOL_SIGNAL, CIOT_FAMILY_OTHER_ENCRYPTED },
		{ NDPI_PROTOCOL_UNKNOWN, CIOT_FAMILY_OTHER },
	};
	for (size_t i = 0; families[i].proto != NDPI_PROTOCOL_UNKNOWN; i++)
		if (families[i].proto == proto)
			return families[i].family;
	return CIOT_FAMILY_OTHER;
}

/* The family of the flow's result, kept with it so that the per-packet rules read it for free. */
static void set_family(struct ciot_dpi_flow *f)
{
	if (f->guessed) {
		/* a guess from ports is no evidence of the protocol: its rules must not apply (random
		 * bytes on port 443 are not TLS, on 8883 not MQTT) */
		f->family = CIOT_FAMILY_OTHER;
		return;
	}
	enum ciot_dpi_family m = family_of(f->master_proto);
	f->family = (uint8_t)(m != CIOT_FAMILY_OTHER ? m : family_of(f->app_proto));
}

void ciot_dpi_packet(struct ciot_dpi *d, struct ciot_dpi_flow *f, const struct ciot_packet *pkt,
		     struct ciot_strpool *names)
{
	if (f->done)
		return;
	if (!f->state) {
		f->state = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (!f->state) {
			f->done = true; /* no memory for nDPI: the flow stays unknown, never a crash */
			return;
		}
		memset(f->state, 0, SIZEOF_FLOW_STRUCT);
	}
	/* nDPI reads the IP packet up to the captured bytes; its length argument is 16 bits */
	unsigned short len = pkt->l3_len > 0xffff ? 0xffff : (unsigned short)pkt->l3_len;
	ndpi_protocol p = ndpi_detection_process_packet(d->mod, f->state, pkt->l3, len,
							(uint64_t)(pkt->ts_us / 1000));
	f->packets++;
	uint16_t old_master = f->master_proto, old_app = f->app_proto;
	f->master_proto = p.master_protocol;
	f->app_proto = p.app_protocol;
	f->category = (uint16_t)p.category;
	/* a zeroed flow's family is OTHER, which is what an unknown result maps to: search the table
	 * only when the result changes */
	if (f->master_proto != old_master || f->app_proto != old_app)
		set_family(f);
	bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
	if (known && !ndpi_extra_dissection_possible(d->mod, f->state)) {
		release(f, names);
		return;
	}
	unsigned budget = pkt->proto == CIOT_PROTO_TCP   ? CIOT_DPI_MAX_TCP_PACKETS
			  : pkt->proto == CIOT_PROTO_UDP ? CIOT_DPI_MAX_UDP_PACKETS
						    : CIOT_DPI_MAX_UDP_PACKETS;
	if (f->packets >= budget)
		ciot_dpi_finish(d, f, names);
}

void ciot_dpi_finish(struct ciot_dpi *d, struct ciot_dpi_flow *f, struct ciot_strpool *names)
{
	if (f->done)
		return;
	if (f->state && f->app_proto == NDPI_PROTOCOL_UNKNOWN && f->master_proto == NDPI_PROTOCOL_UNKNOWN) {
		uint8_t guessed = 0;
		ndpi_protocol p = ndpi_detection_giveup(d->mod, f->state, 1, &guessed);
		f->master_proto = p.master_protocol;
		f->app_proto = p.app_protocol;
		f->category = (uint16_t)p.category;
		f->guessed = guessed != 0;
		set_family(f);
	}
	release(f, names);
}


void ciot_dpi_name(struct ciot_dpi *d, const struct ciot_dpi_flow *f, char *out, size_t outlen)
{
	ndpi_protocol p = { .master_protocol = f->master_proto, .app_protocol = f->app_proto,
			    .category = (ndpi_protocol_category_t)f->category };
	ndpi_protocol2name(d->mod, p, out, (u_int)outlen);
}

const char *ciot_dpi_category_name(struct ciot_dpi *d, const struct ciot_dpi_flow *f)
{
	return ndpi_category_get_name(d->mod, (ndpi_protocol_category_t)f->category);
}

const char *ciot_dpi_version(void)
{
	return ndpi_revision();
}
