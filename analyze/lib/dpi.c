/* dpi.c: the one file that talks to nDPI (API of libndpi 4.2, Debian 12). */
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "dpi.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

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

static void release(struct ciot_dpi_flow *f)
{
	if (f->state) {
		ndpi_free_flow(f->state);
		f->state = NULL;
	}
	f->done = true;
}

void ciot_dpi_packet(struct ciot_dpi *d, struct ciot_dpi_flow *f, const struct ciot_packet *pkt)
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
	f->master_proto = p.master_protocol;
	f->app_proto = p.app_protocol;
	f->category = (uint16_t)p.category;
	bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
	if (known && !ndpi_extra_dissection_possible(d->mod, f->state)) {
		release(f);
		return;
	}
	unsigned budget = pkt->proto == PROTO_TCP   ? CIOT_DPI_MAX_TCP_PACKETS
			  : pkt->proto == PROTO_UDP ? CIOT_DPI_MAX_UDP_PACKETS
						    : CIOT_DPI_MAX_UDP_PACKETS;
	if (f->packets >= budget)
		ciot_dpi_finish(d, f);
}

void ciot_dpi_finish(struct ciot_dpi *d, struct ciot_dpi_flow *f)
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
	}
	release(f);
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
