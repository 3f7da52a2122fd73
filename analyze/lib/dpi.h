/* dpi.h: application protocol names from nDPI 4.2, kept only until a flow is classified.
 *
 * nDPI's per-flow state (about 700 bytes plus what its dissectors allocate) lives only while nDPI
 * still looks at the flow: it is freed as soon as the protocol is known and nDPI wants no more
 * packets, or after a packet budget (the one ndpiReader uses), when the flow ends, nDPI is asked
 * for its best guess. One ciot_dpi per thread: nDPI's module is not thread-safe.
 */
#ifndef CIOT_DPI_H
#define CIOT_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "ciot/decode.h"
#include "strpool.h"

/* Packets nDPI is given per flow at most, as in ndpiReader 4.2 (reader_util.c). */
#define CIOT_DPI_MAX_TCP_PACKETS 80
#define CIOT_DPI_MAX_UDP_PACKETS 24

struct ndpi_flow_struct;

/* Where the name of a flow's server came from, when the flow itself says it. */
enum ciot_server_name_source { CIOT_SERVER_NAME_NONE, CIOT_SERVER_NAME_SNI, CIOT_SERVER_NAME_QUIC,
			       CIOT_SERVER_NAME_HTTP };
const char *ciot_server_name_source_name(enum ciot_server_name_source s); /* "sni", "quic", "http" */

struct ciot_dpi_flow {
	struct ndpi_flow_struct *state; /* NULL once classified or given up */
	uint16_t packets;
	uint16_t master_proto, app_proto, category;
	bool done;
	bool guessed; /* the result is nDPI's guess from ports and addresses, not a dissector's */
	/* The server's name the client sent (TLS or DTLS SNI, QUIC's SNI, HTTP Host), interned in the
	 * pool given to ciot_dpi_packet; 0 when none. Taken before nDPI's state is freed. */
	uint32_t server_name;
	uint8_t server_name_source;
	uint8_t family;       /* enum ciot_dpi_family of the result so far, kept with it */
};

struct ciot_dpi;

enum ciot_rc ciot_dpi_new(struct ciot_dpi **out, char *errbuf);
void ciot_dpi_free(struct ciot_dpi *d);

/* Gives a packet of the flow to nDPI while it is still classifying; `names` receives the server
 * name when nDPI is done with the flow. */
void ciot_dpi_packet(struct ciot_dpi *d, struct ciot_dpi_flow *f, const struct ciot_packet *pkt,
		     struct ciot_strpool *names);
/* Settles the flow's result (asking nDPI for a guess if needed) and frees nDPI's state. */
void ciot_dpi_finish(struct ciot_dpi *d, struct ciot_dpi_flow *f, struct ciot_strpool *names);

/* The protocol families the encryption classes have rules for (encryption.h). */
enum ciot_dpi_family {
	CIOT_FAMILY_OTHER,
	CIOT_FAMILY_TLS,
	CIOT_FAMILY_DTLS,
	CIOT_FAMILY_QUIC,
	CIOT_FAMILY_SSH,
	CIOT_FAMILY_HTTP,
	CIOT_FAMILY_DNS,  /* DNS, mDNS, LLMNR: the DNS message format */
	CIOT_FAMILY_RTP,
	CIOT_FAMILY_RTSP,
	CIOT_FAMILY_MQTT,
	CIOT_FAMILY_OTHER_ENCRYPTED /* IPsec, WireGuard, OpenVPN, Tor, Signal: encrypted by design */
};
/* The family of a flow's (current) result: the master protocol's, else the application's. */
static inline enum ciot_dpi_family ciot_dpi_family(const struct ciot_dpi_flow *f)
{
	return (enum ciot_dpi_family)f->family;
}

/* "TLS.Amazon"-style name of a result, as ndpiReader prints it, and its category name. */
void ciot_dpi_name(struct ciot_dpi *d, const struct ciot_dpi_flow *f, char *out, size_t outlen);
const char *ciot_dpi_category_name(struct ciot_dpi *d, const struct ciot_dpi_flow *f);

#endif
