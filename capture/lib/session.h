/* session.h: a live lab capture that follows a lifecycle protocol, one pcap file per step.
 *
 * The session owns the libpcap handle, the step files and the manifest. The tool above it owns the
 * clock, the operator and the event loop: it polls ciot_session_fd(), calls ciot_session_read()
 * when packets are ready and ciot_session_tick() at least every 100 ms, and turns the operator's
 * or a script's commands into ciot_session_start/end/skip/redo/note calls, each given the time at
 * which it happened.
 *
 * Every packet belongs to the step whose [start, end) holds its kernel timestamp, not to whatever
 * step is open when the packet is read: a step that ends at T keeps its file open for a short grace
 * period, and packets stamped before T that were still in the kernel's buffer go to it. Packets
 * stamped while no step runs are counted, not written. The manifest is rewritten at every step's
 * start and end, so a killed process leaves a manifest whose unfinished step says "running".
 */
#ifndef CIOT_SESSION_H
#define CIOT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "ciot/ciot.h"
#include "ciot/dataset.h"
#include "protocol.h"

/* How long a step's file stays open after its end for packets still in the kernel's buffer. */
#define CIOT_SESSION_GRACE_US 500000
/* Space set aside at the start so that the manifest can still be written when the disk fills:
 * the manifest's size when the run starts, plus room for what the run adds (its run record, the
 * steps' entries, notes). Sized on what the manifest needs, so that a small disk keeps its room
 * for packets. */
#define CIOT_SESSION_RESERVE_MARGIN (64u << 10)
#define CIOT_SESSION_RESERVE_PER_STEP (4u << 10)
/* A device whose MAC (or IP) is wrong is silent: when nothing passed the filter for this long
 * while at least this many other frames crossed the interface, the session says so once, with the
 * MACs those frames came from (ciot_session_silent_device). */
#define CIOT_SESSION_SILENT_US 5000000
#define CIOT_SESSION_SILENT_MIN_FRAMES 10
#define CIOT_SESSION_TOP_MACS 5

struct ciot_session_options {
	const char *interface;
	const char *dataset_dir;
	const char *device;
	const char *category;       /* NULL: from the manifest's device entry */
	const char *brand;          /* NULL: the manifest's, else guessed from the id */
	const char *home_country;   /* ISO 3166 code of the lab, or NULL */
	const char *macs[CIOT_DATASET_MAX_ADDRESSES];
	size_t nmacs;
	const char *ips[CIOT_DATASET_MAX_ADDRESSES];
	size_t nips;
	const char *protocol_path;  /* NULL: guides/protocols/<category>.json */
	const char *firmware;       /* "pre", "post" or NULL */
	const char *from;           /* the step to begin at (the ones before are not recorded as
	                               skipped: an earlier run may have them), or NULL */
	bool add_macs;              /* a device in the manifest may gain MACs it lacks (--add-mac) */
	unsigned snaplen;           /* 0: 262144 */
	unsigned buffer_mib;        /* kernel buffer; 0: 64 */
	bool no_promiscuous;
};

struct ciot_session;

/* Checks every argument, opens the interface and sets the filter, loads the protocol, then takes
 * the dataset's lock and records the run in the manifest. Needs CAP_NET_RAW. Nothing is created
 * before the arguments, the protocol and the interface are known good: CIOT_ERR_ARG for a wrong
 * one (an interface that does not exist: the message lists those that do), CIOT_ERR_BUSY when
 * another run holds the dataset. */
enum ciot_rc ciot_session_open(struct ciot_session **out, const struct ciot_session_options *o, char *errbuf);

const struct ciot_protocol *ciot_session_protocol(const struct ciot_session *s);
const char *ciot_session_filter(const struct ciot_session *s);
/* A descriptor to poll for readability; packets may also be waiting when it is not readable, so
 * call ciot_session_read() on every turn of the loop. */
int ciot_session_fd(const struct ciot_session *s);

/* Reads what the kernel has. CIOT_ERR_GONE when the interface went away, CIOT_ERR_NOSPACE when the
 * disk is full: the session then has ended the step (ended "interface_lost" or "disk_full") and
 * the caller should close it. */
enum ciot_rc ciot_session_read(struct ciot_session *s, char *errbuf);

/* Timed steps that are due end ("timer"), files past their grace period close, buffers are
 * flushed once a second. */
enum ciot_rc ciot_session_tick(struct ciot_session *s, int64_t now_us, char *errbuf);

/* Starts step `index` (-1: the next one), at now_us. duration_s > 0 overrides the protocol's
 * duration (the step becomes timed); 0 keeps it. */
enum ciot_rc ciot_session_start(struct ciot_session *s, int index, unsigned duration_s, int64_t now_us,
				char *errbuf);
/* Ends the running step at now_us; `how` is the manifest's "ended" value. */
enum ciot_rc ciot_session_end(struct ciot_session *s, const char *how, int64_t now_us, char *errbuf);
/* Marks step `index` (-1: the next one) as skipped. */
enum ciot_rc ciot_session_skip(struct ciot_session *s, int index, int64_t now_us, char *errbuf);
/* Ends the running step's attempt (its file is kept and listed under the run's "discarded", not
 * under "captures") and offers the step again, to be started when the operator is ready. */
enum ciot_rc ciot_session_redo(struct ciot_session *s, int64_t now_us, char *errbuf);
/* A note on the running step, else on the last step, else on the run. */
enum ciot_rc ciot_session_note(struct ciot_session *s, const char *text, int64_t now_us, char *errbuf);

/* Ends the running step with `how`, waits out the grace period reading packets, closes every file,
 * records the run's end and writes the manifest. Only the status may be asked for afterwards. */
enum ciot_rc ciot_session_close(struct ciot_session *s, const char *how, char *errbuf);
void ciot_session_free(struct ciot_session *s);

/* Frames the capture filter left out, while nothing passed it. */
struct ciot_session_silence {
	int64_t seconds;          /* since the session opened */
	uint64_t other_frames;    /* frames on the interface the filter left out */
	size_t nmacs;
	struct {
		uint8_t mac[6];
		uint64_t frames;  /* frames sent from this MAC */
	} top[CIOT_SESSION_TOP_MACS]; /* the senders of most of them, most frames first */
};
/* True once per session: when no frame has passed the filter for CIOT_SESSION_SILENT_US while
 * at least CIOT_SESSION_SILENT_MIN_FRAMES others crossed the interface (Ethernet only). */
bool ciot_session_silent_device(struct ciot_session *s, int64_t now_us, struct ciot_session_silence *out);

/* Whether the kernel says the clock is kept in sync (adjtimex's STA_UNSYNC clear): 1 yes, 0 no,
 * -1 unknown. Recorded in the run as "clock_synchronized". */
int ciot_session_clock_synchronized(const struct ciot_session *s);

/* The MACs the device's manifest entry gained (--add-mac), comma-separated, or "". */
const char *ciot_session_added_macs(const struct ciot_session *s);

struct ciot_session_status {
	bool running;            /* a step is running */
	int step;                /* the running step, or -1 */
	int next;                /* the step offered next, or -1 when the protocol is done */
	int64_t started_us;
	unsigned duration_s;     /* 0: operator-ended */
	uint64_t packets, bytes; /* of the running step */
	uint64_t drops;          /* kernel drops since the step started */
	uint64_t outside_packets;/* captured while no step ran */
	uint64_t total_packets;
	uint64_t kernel_drops;   /* since the session opened */
	uint64_t lost_packets;   /* captured in a step but kept out of its file by a full disk */
	bool closing;            /* a step's file is open for its grace period */
	unsigned finished;       /* step files closed so far (redone attempts included) */
	const char *last_file;   /* the last of them, relative to the dataset folder */
	const char *last_ended;  /* how it ended */
	uint64_t last_packets, last_bytes, last_drops, last_lost;
};
void ciot_session_status(struct ciot_session *s, struct ciot_session_status *st);

/* Where step `index` stands: "pending", "done", "skipped" or "running". */
const char *ciot_session_step_state(const struct ciot_session *s, int index);

#endif
