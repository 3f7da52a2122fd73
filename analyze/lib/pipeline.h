/* analysis.h: the pipeline. For each capture file: read frames, decode, assign each to its
 * lifecycle window, track flows, classify them with nDPI, and when the file ends decide which end
 * is the device and hand the file's whole result to the store in one transaction.
 *
 * Files are independent, so -j N runs N workers, each with its own nDPI module, flow table and
 * fragment table; only the store is shared, behind a mutex.
 */
#ifndef CIOT_ANALYSIS_H
#define CIOT_ANALYSIS_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "capture-file.h"
#include "dataset.h"
#include "decode.h"
#include "device.h"
#include "flow.h"
#include "pii-flow.h"
#include "strpool.h"
#include "tls-connection.h"
#include "x509.h"

/* A certificate as a capture's TLS connections presented it, stored once per capture. */
struct ciot_certificate {
	uint8_t *der;
	size_t len;
	uint32_t quick;               /* ciot_fnv1a of der, to find it again cheaply */
	char sha256[65];
	bool stored;                  /* written to the database by this capture's transaction */
	bool parsed;                  /* info is valid; else error says why OpenSSL refused it */
	struct ciot_x509_info info;
	struct ciot_x509_cert *handle; /* parsed once for judging every chain it is in */
	char error[CIOT_ERRBUF_SIZE];
};

/* A TLS, DTLS or QUIC connection of a flow, with its certificates looked at. */
struct ciot_tls_record {
	struct ciot_tls_summary *summary;
	/* by role (CIOT_TLS_CLIENT, CIOT_TLS_SERVER): the chain as indexes into the capture's
	 * certificates, summary->side[role].nchain of them */
	uint32_t chain[2][CIOT_TLS_MAX_CHAIN];
	bool audited;                 /* chain[] and the verdict below are filled */
	unsigned chain_findings;      /* the server chain judged at the flow's start for the SNI: expired,
					 not yet valid, untrusted, name mismatch (x509.h) */
	char chain_error[160];        /* OpenSSL's reason when untrusted */
};

/* A finished flow, as the initiator saw it; oriented to the device when stored. */
struct ciot_flow_record {
	uint8_t addr[2][16];  /* [0] initiator, [1] responder */
	uint16_t port[2];
	uint8_t proto, ip_version;
	uint8_t end_reason;
	bool dpi_guessed;
	uint16_t master_proto, app_proto, category;
	uint8_t server_name_source;  /* enum ciot_server_name_source */
	uint8_t family;              /* enum ciot_dpi_family, at the flow's end */
	uint32_t server_name;        /* in the capture result's names pool; 0 when none */
	int64_t first_ts, last_ts;
	struct ciot_flow_counters dir[2];
	struct ciot_encryption_counts classes; /* both directions */
	struct ciot_tls_record *tls;           /* NULL unless the flow was TLS, DTLS or QUIC */
	struct ciot_pii_hits pii;              /* personal data found in its clear text */
};

/* An address a DNS response gave a client: the names it hangs off are in the names pool. */
struct ciot_dns_record {
	int64_t ts;
	uint8_t client[16], server[16], addr[16];
	uint32_t query;   /* the question's name */
	uint32_t cnames;  /* the CNAME chain after the question, space-separated; 0 when none */
	uint32_t ttl;
};

/* What one lifecycle step of a capture file produced: the whole file, or one timetable window. */
struct ciot_segment_result {
	enum ciot_phase phase;
	const char *subphase;       /* borrowed from the dataset */
	bool windowed;
	int64_t window_start, window_end;
	uint64_t frames, frame_bytes;
	int64_t first_ts, last_ts;  /* of the segment's frames; 0 when it has none */
	uint64_t decode_counts[CIOT_DECODE_NRESULTS];
	struct ciot_flow_record *flows;
	size_t nflows, flows_cap;
	struct ciot_dns_record *dns;
	size_t ndns, dns_cap;
	uint64_t dns_responses, dns_malformed; /* DNS responses read, and those cut short or invalid */
};

struct ciot_capture_result {
	const struct ciot_capture *capture;
	const struct ciot_device *device;
	struct ciot_segment_result *segments;
	size_t nsegments;
	uint64_t frames_outside_windows;
	bool truncated;
	enum ciot_capture_format format;
	uint64_t file_size;
	struct ciot_device_tracker tracker;
	struct ciot_strpool names; /* host names of the flows and DNS records */
	struct ciot_certificate *certs; /* of the device's TLS connections, each once */
	size_t ncerts, certs_cap;
	bool out_of_memory;
};

struct ciot_analysis_options {
	uint32_t max_flows;                 /* 0: CIOT_FLOW_DEFAULT_MAX */
	struct ciot_flow_timeouts timeouts;
	unsigned jobs;                      /* worker threads, at least 1 */
	bool all_flows;                     /* keep every flow, not only the device's */
	struct ciot_entropy_options entropy; /* the encryption method's step 3 */
	const struct ciot_x509_trust *trust; /* certificate chains are judged against it; NULL: only
						dates and names are judged */
	const struct ciot_pii_setup *pii;    /* the PII search; NULL: none */
};

void ciot_analysis_default_options(struct ciot_analysis_options *o);

/* Counters the tool reads for its progress line while workers run. */
struct ciot_progress {
	atomic_uint_fast64_t bytes_done, frames, files_done;
	uint64_t bytes_total;
	uint64_t files_total;
};

/* Told about every capture as it finishes: rc is CIOT_OK, or the error that kept it out of the
 * database; `message` says more (a warning such as truncation when rc is CIOT_OK). Calls are
 * serialised. */
typedef void (*ciot_analysis_report_fn)(void *ctx, const struct ciot_capture *capture, enum ciot_rc rc,
					const char *message);

struct ciot_store;

/* Analyzes every capture of the dataset into the store. Returns CIOT_OK when every capture was
 * stored, CIOT_ERR_INTERRUPTED when *stop was raised, else the first error; *failed counts the
 * captures that were not stored. */
enum ciot_rc ciot_analyze(struct ciot_store *store, const struct ciot_dataset *ds,
			  const struct ciot_analysis_options *o, struct ciot_progress *progress,
			  volatile sig_atomic_t *stop, ciot_analysis_report_fn report, void *ctx, size_t *failed,
			  char *errbuf);

/* One capture file, without storing: for tests and for the store itself. The caller frees the
 * result with ciot_capture_result_free. */
struct ciot_worker;
enum ciot_rc ciot_worker_new(struct ciot_worker **out, const struct ciot_analysis_options *o, char *errbuf);
void ciot_worker_free(struct ciot_worker *w);
struct ciot_dpi *ciot_worker_dpi(struct ciot_worker *w);
enum ciot_rc ciot_analyze_capture(struct ciot_worker *w, const struct ciot_dataset *ds, const struct ciot_capture *c,
				  struct ciot_capture_result *r, struct ciot_progress *progress,
				  volatile sig_atomic_t *stop, char *errbuf);
void ciot_capture_result_free(struct ciot_capture_result *r);

#endif
