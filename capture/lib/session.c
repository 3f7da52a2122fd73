/* session.c: live capture with libpcap, step by step through a lifecycle protocol, into one pcap
 * file per step and the dataset's manifest (session.h explains the timing rules). */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "ciot/addr.h"
#include "manifest-writer.h"
#include "pcap-writer.h"

#define DEFAULT_SNAPLEN 262144u
#define DEFAULT_BUFFER_MIB 64u
#define FLUSH_INTERVAL_US 1000000
#define MAX_FILTER 2048
/* The watch on frames the filter leaves out reads their Ethernet headers only, with a small buffer. */
#define WATCH_SNAPLEN 64
#define WATCH_BUFFER_BYTES (2u << 20)
#define WATCH_MAX_MACS 256

enum step_state { STEP_PENDING, STEP_RUNNING, STEP_DONE, STEP_SKIPPED };

/* A step's file while it runs (`current`) and during its grace period (`closing`). */
struct step_file {
	bool open;
	bool discard;            /* a redone attempt: kept on disk, listed under the run's "discarded" */
	int index;
	json_t *entry;           /* its manifest entry */
	struct ciot_pcap_writer *w;
	char file[PATH_MAX];     /* relative to the dataset folder */
	int64_t start_us, end_us, close_at_us;
	unsigned duration_s;
	uint64_t drops_at_start, drops_at_end;
	const char *ended;
};

/* Until the device is seen: who else sends on the interface (session.h, ciot_session_silent_device). */
struct watch {
	pcap_t *pcap;            /* NULL once the device was seen or the warning given */
	uint64_t frames;
	struct {
		uint8_t mac[6];
		uint64_t frames;
	} macs[WATCH_MAX_MACS];
	size_t nmacs;
	bool warned;
};

struct ciot_session {
	pcap_t *pcap;
	int linktype;
	unsigned snaplen;
	char interface[64];
	char filter[MAX_FILTER];
	struct ciot_protocol protocol;
	struct ciot_manifest_writer *m;
	json_t *run;
	const char *firmware;
	struct step_file current, closing;
	enum step_state state[CIOT_PROTOCOL_MAX_STEPS];
	int cursor;              /* the last step started or skipped, -1 before any */
	int64_t last_closed_start_us, last_closed_end_us;
	json_t *last_entry;
	unsigned finished;
	char last_file[PATH_MAX];
	const char *last_ended;
	uint64_t last_packets, last_bytes, last_drops;
	uint64_t total_packets, outside_packets, outside_bytes, late_packets, lost_packets;
	uint64_t last_lost;
	int64_t opened_us;
	struct watch watch;
	int clock_sync;
	char added_macs[CIOT_DATASET_MAX_ADDRESSES * 18 + 1];
	int64_t last_flush_us;
	enum ciot_rc failure;    /* set inside the packet callback */
	char failure_text[CIOT_ERRBUF_SIZE];
	bool gone;
	char reserve_path[PATH_MAX + 32];
	int reserve_fd;
};

static int64_t realtime_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t kernel_drops(struct ciot_session *s)
{
	struct pcap_stat st;
	if (s->gone || pcap_stats(s->pcap, &st) != 0)
		return 0;
	return st.ps_drop;
}

static void release_reserve(struct ciot_session *s)
{
	if (s->reserve_fd >= 0) {
		close(s->reserve_fd);
		unlink(s->reserve_path);
		s->reserve_fd = -1;
	}
}

/* ---- is the device there? -------------------------------------------------------------------- */

static void close_watch(struct ciot_session *s)
{
	if (s->watch.pcap)
		pcap_close(s->watch.pcap);
	s->watch.pcap = NULL;
}

static void on_watched(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct watch *w = (struct watch *)user;
	w->frames++;
	if (h->caplen < 12)
		return;
	const uint8_t *src = bytes + 6;
	for (size_t i = 0; i < w->nmacs; i++) {
		if (!memcmp(w->macs[i].mac, src, 6)) {
			w->macs[i].frames++;
			return;
		}
	}
	/* a full table counts the frame, not its sender: the busiest senders are seen early */
	if (w->nmacs < WATCH_MAX_MACS) {
		memcpy(w->macs[w->nmacs].mac, src, 6);
		w->macs[w->nmacs++].frames = 1;
	}
}

/* A second handle on the interface for what the filter leaves out, while the device is unseen.
 * Best effort: without it there is no warning, and the capture itself is unaffected. */
static void open_watch(struct ciot_session *s, bool promiscuous)
{
	if (s->linktype != DLT_EN10MB)
		return;
	char perr[PCAP_ERRBUF_SIZE], filter[MAX_FILTER + 8];
	pcap_t *p = pcap_create(s->interface, perr);
	if (!p)
		return;
	pcap_set_snaplen(p, WATCH_SNAPLEN);
	pcap_set_promisc(p, promiscuous);
	pcap_set_immediate_mode(p, 1);
	pcap_set_timeout(p, 100);
	pcap_set_buffer_size(p, (int)WATCH_BUFFER_BYTES);
	struct bpf_program prog;
	snprintf(filter, sizeof filter, "not (%s)", s->filter);
	bool ok = pcap_activate(p) >= 0 && pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok) {
		ok = pcap_setfilter(p, &prog) == 0 && pcap_setnonblock(p, 1, perr) == 0;
		pcap_freecode(&prog);
	}
	if (!ok) {
		pcap_close(p);
		return;
	}
	s->watch.pcap = p;
}

static void read_watch(struct ciot_session *s)
{
	if (s->watch.pcap && s->total_packets > 0) {
		close_watch(s); /* the device is there */
		return;
	}
	for (int rounds = 0; s->watch.pcap && rounds < 100; rounds++)
		if (pcap_dispatch(s->watch.pcap, -1, on_watched, (u_char *)&s->watch) <= 0)
			break;
}

bool ciot_session_silent_device(struct ciot_session *s, int64_t now_us, struct ciot_session_silence *out)
{
	struct watch *w = &s->watch;
	if (!w->pcap || w->warned || s->total_packets > 0 || now_us - s->opened_us < CIOT_SESSION_SILENT_US ||
	    w->frames < CIOT_SESSION_SILENT_MIN_FRAMES)
		return false;
	memset(out, 0, sizeof *out);
	out->seconds = (now_us - s->opened_us) / 1000000;
	out->other_frames = w->frames;
	/* the top few by a selection pass each: the table is small and this runs once */
	bool taken[WATCH_MAX_MACS] = { false };
	while (out->nmacs < CIOT_SESSION_TOP_MACS) {
		size_t best = WATCH_MAX_MACS;
		for (size_t i = 0; i < w->nmacs; i++)
			if (!taken[i] && (best == WATCH_MAX_MACS || w->macs[i].frames > w->macs[best].frames))
				best = i;
		if (best == WATCH_MAX_MACS)
			break;
		taken[best] = true;
		memcpy(out->top[out->nmacs].mac, w->macs[best].mac, 6);
		out->top[out->nmacs++].frames = w->macs[best].frames;
	}
	w->warned = true;
	close_watch(s);
	return true;
}

/* adjtimex(2) with no mode set only reads the kernel's NTP state: no privilege, no daemon asked. */
static int clock_synchronized(void)
{
	struct timex tx = { 0 };
	if (ntp_adjtime(&tx) < 0)
		return -1;
	return (tx.status & STA_UNSYNC) ? 0 : 1;
}

/* ---- packets -------------------------------------------------------------------------------- */

/* A timed step ends at its deadline, whenever the loop notices: packets stamped later are not its. */
static int64_t deadline(const struct step_file *f)
{
	return f->duration_s ? f->start_us + (int64_t)f->duration_s * 1000000 : INT64_MAX;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct ciot_session *s = (struct ciot_session *)user;
	int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	s->total_packets++;
	struct step_file *f = NULL;
	if (s->closing.open && ts >= s->closing.start_us && ts < s->closing.end_us)
		f = &s->closing;
	else if (s->current.open && ts >= s->current.start_us && ts < deadline(&s->current))
		f = &s->current;
	if (!f) {
		/* stamped inside a step whose file is already closed: the grace period was too short */
		if (ts >= s->last_closed_start_us && ts < s->last_closed_end_us)
			s->late_packets++;
		else
			s->outside_packets++;
		s->outside_bytes += h->len;
		return;
	}
	if (!f->w || s->failure)
		return;
	enum ciot_rc rc = ciot_pcap_writer_add(f->w, ts * 1000, bytes, h->caplen, h->len, s->failure_text);
	if (rc) {
		s->failure = rc;
		pcap_breakloop(s->pcap);
	}
}

/* ---- steps ---------------------------------------------------------------------------------- */

/* The step's counts so far; with `final`, also its end and how it ended. */
static void record_step(struct step_file *f, const struct ciot_pcap_writer_stats *st, bool final)
{
	if (final) {
		ciot_json_set_time(f->entry, "end", f->end_us);
		ciot_json_set_count(f->entry, "kernel_drops", f->drops_at_end - f->drops_at_start);
	}
	ciot_json_set_count(f->entry, "packets", st->packets);
	ciot_json_set_count(f->entry, "bytes", st->bytes);
	if (st->lost_packets)
		ciot_json_set_count(f->entry, "lost_packets", st->lost_packets);
	json_object_set_new(f->entry, "ended", json_string(final ? f->ended : "running"));
}

/* Closes a step's file and records it; the manifest is saved by the caller. */
static enum ciot_rc finish(struct ciot_session *s, struct step_file *f, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	struct ciot_pcap_writer_stats st = { 0 };
	if (f->w) {
		ciot_pcap_writer_stats(f->w, &st);
		char detail[CIOT_ERRBUF_SIZE];
		rc = ciot_pcap_writer_close(f->w, detail);
		f->w = NULL;
		if (rc == CIOT_ERR_NOSPACE)
			f->ended = "disk_full";
		if (rc)
			ciot_fail(errbuf, rc, "%s: %s", f->file, detail);
	}
	if (f->discard) {
		json_t *d = json_object();
		json_object_set_new(d, "file", json_string(f->file));
		json_object_set_new(d, "step", json_string(s->protocol.steps[f->index].name));
		ciot_json_set_time(d, "start", f->start_us);
		ciot_json_set_time(d, "end", f->end_us);
		ciot_json_set_count(d, "packets", st.packets);
		ciot_json_set_count(d, "bytes", st.bytes);
		json_t *notes = json_object_get(f->entry, "notes");
		if (notes)
			json_object_set(d, "notes", notes);
		json_array_append_new(json_object_get(s->run, "discarded"), d);
		ciot_manifest_remove_capture(s->m, f->entry);
	} else {
		record_step(f, &st, true);
		s->state[f->index] = STEP_DONE;
		s->last_entry = f->entry;
	}
	s->finished++;
	snprintf(s->last_file, sizeof s->last_file, "%s", f->file);
	s->last_ended = f->discard ? "redone" : f->ended;
	s->last_packets = st.packets;
	s->last_bytes = st.bytes;
	s->last_drops = f->drops_at_end - f->drops_at_start;
	s->last_lost = st.lost_packets;
	s->lost_packets += st.lost_packets;
	s->last_closed_start_us = f->start_us;
	s->last_closed_end_us = f->end_us;
	f->open = false;
	f->entry = NULL;
	return rc;
}

static enum ciot_rc save(struct ciot_session *s, char *errbuf)
{
	char detail[CIOT_ERRBUF_SIZE];
	enum ciot_rc rc = ciot_manifest_save(s->m, detail);
	if (rc)
		ciot_fail(errbuf, rc, "%s/manifest.json: %s", ciot_manifest_dir(s->m), detail);
	return rc;
}

/* Reads everything the kernel holds now. */
static enum ciot_rc drain(struct ciot_session *s, char *errbuf)
{
	for (int rounds = 0; rounds < 1000 && !s->gone; rounds++) {
		int n = pcap_dispatch(s->pcap, -1, on_packet, (u_char *)s);
		if (s->failure)
			return ciot_fail(errbuf, s->failure, "%s", s->failure_text);
		if (n == PCAP_ERROR) {
			s->gone = true;
			return ciot_fail(errbuf, CIOT_ERR_GONE, "%s: %s", s->interface, pcap_geterr(s->pcap));
		}
		if (n <= 0)
			break;
	}
	return CIOT_OK;
}

static enum ciot_rc finish_closing(struct ciot_session *s, char *errbuf)
{
	if (!s->closing.open)
		return CIOT_OK;
	enum ciot_rc rc = finish(s, &s->closing, errbuf);
	enum ciot_rc saved = save(s, rc ? NULL : errbuf);
	return rc ? rc : saved;
}

static void next_cursor(struct ciot_session *s, int index)
{
	if (index > s->cursor)
		s->cursor = index;
}

static int next_step(const struct ciot_session *s)
{
	for (int i = s->cursor + 1; i < (int)s->protocol.nsteps; i++)
		if (s->state[i] == STEP_PENDING)
			return i;
	return -1;
}

static enum ciot_rc check_index(struct ciot_session *s, int *index, char *errbuf)
{
	if (*index < 0)
		*index = next_step(s);
	if (*index < 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "every step of the protocol is done");
	if (*index >= (int)s->protocol.nsteps)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no such step");
	return CIOT_OK;
}

enum ciot_rc ciot_session_start(struct ciot_session *s, int index, unsigned duration_s, int64_t now_us,
				char *errbuf)
{
	if (s->current.open)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "step %s is running", s->protocol.steps[s->current.index].name);
	if (s->failure || s->gone)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "the capture has stopped");
	enum ciot_rc rc = check_index(s, &index, errbuf);
	if (rc)
		return rc;
	const struct ciot_protocol_step *p = &s->protocol.steps[index];
	struct step_file *f = &s->current;
	memset(f, 0, sizeof *f);
	f->index = index;
	f->start_us = now_us;
	f->end_us = INT64_MAX;
	f->duration_s = duration_s ? duration_s : p->duration_s;
	f->drops_at_start = kernel_drops(s);
	char detail[CIOT_ERRBUF_SIZE];
	if ((rc = ciot_manifest_step_file(s->m, p->name, f->file, sizeof f->file, errbuf)))
		return rc;
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", ciot_manifest_dir(s->m), f->file);
	if ((rc = ciot_pcap_writer_open(&f->w, path, (uint32_t)s->linktype, s->snaplen, false, detail)))
		return ciot_fail(errbuf, rc, "%s", detail);
	f->entry = ciot_manifest_add_capture(s->m, f->file, p->phase, p->name);
	if (s->firmware)
		json_object_set_new(f->entry, "firmware", json_string(s->firmware));
	if (p->interception)
		json_object_set_new(f->entry, "interception", json_string(p->interception));
	ciot_json_set_time(f->entry, "start", now_us);
	if (f->duration_s)
		ciot_json_set_count(f->entry, "planned_seconds", f->duration_s);
	struct ciot_pcap_writer_stats none = { 0 };
	record_step(f, &none, false);
	f->open = true;
	s->state[index] = STEP_RUNNING;
	next_cursor(s, index);
	return save(s, errbuf);
}

enum ciot_rc ciot_session_end(struct ciot_session *s, const char *how, int64_t now_us, char *errbuf)
{
	if (!s->current.open)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no step is running");
	enum ciot_rc rc = CIOT_OK;
	if (s->closing.open) {
		/* two ends within the grace period: the older step takes what the kernel holds now */
		rc = drain(s, errbuf);
		enum ciot_rc done = finish_closing(s, rc ? NULL : errbuf);
		rc = rc ? rc : done;
	}
	s->closing = s->current;
	s->current.open = false;
	if (now_us >= deadline(&s->closing)) {
		/* the countdown ran out before the end was asked for */
		now_us = deadline(&s->closing);
		how = "timer";
	}
	s->closing.end_us = now_us;
	/* from when the end is seen, not from the end: a timed step's deadline may be past already */
	s->closing.close_at_us = realtime_us() + CIOT_SESSION_GRACE_US;
	s->closing.drops_at_end = kernel_drops(s);
	s->closing.ended = how;
	return rc;
}

enum ciot_rc ciot_session_skip(struct ciot_session *s, int index, int64_t now_us, char *errbuf)
{
	enum ciot_rc rc = check_index(s, &index, errbuf);
	if (rc)
		return rc;
	if (s->state[index] == STEP_RUNNING)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "step %s is running", s->protocol.steps[index].name);
	s->state[index] = STEP_SKIPPED;
	next_cursor(s, index);
	json_t *sk = json_object();
	json_object_set_new(sk, "step", json_string(s->protocol.steps[index].name));
	ciot_json_set_time(sk, "time", now_us);
	json_array_append_new(json_object_get(s->run, "skipped"), sk);
	return save(s, errbuf);
}

enum ciot_rc ciot_session_redo(struct ciot_session *s, int64_t now_us, char *errbuf)
{
	if (!s->current.open)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no step is running");
	int index = s->current.index;
	s->current.discard = true;
	enum ciot_rc rc = ciot_session_end(s, "operator", now_us, errbuf);
	if (rc)
		return rc;
	/* offered again: the operator may have to reset the device before the new attempt */
	s->state[index] = STEP_PENDING;
	if (s->cursor >= index)
		s->cursor = index - 1;
	return CIOT_OK;
}

enum ciot_rc ciot_session_note(struct ciot_session *s, const char *text, int64_t now_us, char *errbuf)
{
	json_t *target = s->current.open  ? s->current.entry
			 : s->closing.open ? s->closing.entry
			 : s->last_entry   ? s->last_entry
					   : s->run;
	ciot_json_add_note(target, now_us, text);
	return save(s, errbuf);
}

/* Ends every open step at once (a full disk or a lost interface) and saves what is known. */
static enum ciot_rc abort_steps(struct ciot_session *s, const char *how, int64_t now_us, char *errbuf)
{
	release_reserve(s); /* the manifest must still fit on a full disk */
	if (s->closing.open)
		finish(s, &s->closing, NULL);
	if (s->current.open) {
		s->current.end_us = now_us;
		s->current.drops_at_end = kernel_drops(s);
		s->current.ended = how;
		finish(s, &s->current, NULL);
	}
	return save(s, errbuf);
}

enum ciot_rc ciot_session_read(struct ciot_session *s, char *errbuf)
{
	if (s->gone || s->failure)
		return CIOT_OK;
	enum ciot_rc rc = drain(s, errbuf);
	read_watch(s);
	if (rc == CIOT_ERR_GONE || rc == CIOT_ERR_NOSPACE || rc == CIOT_ERR_IO) {
		char detail[CIOT_ERRBUF_SIZE];
		const char *how = rc == CIOT_ERR_GONE ? "interface_lost" : rc == CIOT_ERR_NOSPACE ? "disk_full" : "error";
		if (abort_steps(s, how, realtime_us(), detail))
			snprintf(errbuf + strlen(errbuf), CIOT_ERRBUF_SIZE - strlen(errbuf), "; %s", detail);
	}
	return rc;
}

enum ciot_rc ciot_session_tick(struct ciot_session *s, int64_t now_us, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	if (s->current.open && now_us >= deadline(&s->current) &&
	    (rc = ciot_session_end(s, "timer", deadline(&s->current), errbuf)))
		return rc;
	if (s->closing.open && now_us >= s->closing.close_at_us) {
		if ((rc = ciot_session_read(s, errbuf)))
			return rc;
		if ((rc = finish_closing(s, errbuf)))
			return rc;
	}
	if (now_us - s->last_flush_us >= FLUSH_INTERVAL_US) {
		s->last_flush_us = now_us;
		struct step_file *files[] = { &s->current, &s->closing };
		for (int i = 0; i < 2; i++) {
			if (!files[i]->open || !files[i]->w)
				continue;
			char detail[CIOT_ERRBUF_SIZE];
			rc = ciot_pcap_writer_flush(files[i]->w, detail);
			if (rc) {
				ciot_fail(errbuf, rc, "%s: %s", files[i]->file, detail);
				abort_steps(s, rc == CIOT_ERR_NOSPACE ? "disk_full" : "error", now_us, NULL);
				return rc;
			}
		}
	}
	return CIOT_OK;
}

/* ---- opening and closing -------------------------------------------------------------------- */

static enum ciot_rc build_filter(struct ciot_session *s, const struct ciot_session_options *o, char *errbuf)
{
	size_t used = 0;
	s->filter[0] = 0;
	for (size_t i = 0; i < o->nmacs + o->nips; i++) {
		bool mac = i < o->nmacs;
		const char *a = mac ? o->macs[i] : o->ips[i - o->nmacs];
		uint8_t bin[16];
		char text[64];
		/* the filter is built from the parsed address, never from the operator's text */
		if (mac) {
			if (!ciot_mac_parse(a, bin))
				return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\" is not a MAC address", a);
			snprintf(text, sizeof text, "ether host %02x:%02x:%02x:%02x:%02x:%02x", bin[0], bin[1], bin[2], bin[3],
				 bin[4], bin[5]);
		} else {
			if (!ciot_addr_parse(a, bin))
				return ciot_fail(errbuf, CIOT_ERR_ARG, "\"%s\" is not an IP address", a);
			char addr[CIOT_ADDR_STRLEN];
			ciot_addr_format(bin, addr);
			snprintf(text, sizeof text, "host %s", addr);
		}
		int n = snprintf(s->filter + used, sizeof s->filter - used, "%s%s", i ? " or " : "", text);
		if (n < 0 || (size_t)n >= sizeof s->filter - used)
			return ciot_fail(errbuf, CIOT_ERR_ARG, "too many addresses");
		used += (size_t)n;
	}
	if (!used)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "the device needs a MAC (--mac) or an IP address (--ip)");
	return CIOT_OK;
}

/* The interfaces libpcap can capture on, comma-separated, for the message about one that is not. */
static void interface_names(char *out, size_t len)
{
	pcap_if_t *all = NULL;
	char perr[PCAP_ERRBUF_SIZE];
	snprintf(out, len, "none found");
	if (pcap_findalldevs(&all, perr) != 0 || !all)
		return;
	size_t used = 0;
	for (pcap_if_t *d = all; d && used < len; d = d->next)
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", d->name);
	pcap_freealldevs(all);
}

static enum ciot_rc open_pcap(struct ciot_session *s, const struct ciot_session_options *o, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	s->pcap = pcap_create(o->interface, perr);
	if (!s->pcap)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", o->interface, perr);
	pcap_set_snaplen(s->pcap, (int)s->snaplen);
	pcap_set_promisc(s->pcap, !o->no_promiscuous);
	pcap_set_immediate_mode(s->pcap, 1);
	pcap_set_timeout(s->pcap, 100);
	pcap_set_buffer_size(s->pcap, (int)((o->buffer_mib ? o->buffer_mib : DEFAULT_BUFFER_MIB) << 20));
	int r = pcap_activate(s->pcap);
	if (r == PCAP_ERROR_NO_SUCH_DEVICE) {
		char names[CIOT_ERRBUF_SIZE / 2];
		interface_names(names, sizeof names);
		return ciot_fail(errbuf, CIOT_ERR_ARG, "no interface \"%s\" (this machine has: %s)", o->interface, names);
	}
	if (r < 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", o->interface,
				 pcap_geterr(s->pcap)[0] ? pcap_geterr(s->pcap) : pcap_statustostr(r));
	s->linktype = pcap_datalink(s->pcap);
	struct bpf_program prog;
	if (pcap_compile(s->pcap, &prog, s->filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "filter \"%s\": %s", s->filter, pcap_geterr(s->pcap));
	r = pcap_setfilter(s->pcap, &prog);
	pcap_freecode(&prog);
	if (r != 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: setting the filter: %s", o->interface, pcap_geterr(s->pcap));
	if (pcap_setnonblock(s->pcap, 1, perr) != 0)
		return ciot_fail(errbuf, CIOT_ERR_IO, "%s: %s", o->interface, perr);
	if (pcap_get_selectable_fd(s->pcap) < 0)
		return ciot_fail(errbuf, CIOT_ERR_UNSUPPORTED, "%s: cannot be polled", o->interface);
	return CIOT_OK;
}

/* --from: the steps before it are neither offered nor recorded as skipped (an earlier run may have
 * done them). */
static enum ciot_rc begin_at(struct ciot_session *s, const char *from, char *errbuf)
{
	if (!from)
		return CIOT_OK;
	int k = ciot_protocol_find(&s->protocol, from);
	if (k >= 0) {
		s->cursor = k - 1;
		return CIOT_OK;
	}
	char steps[CIOT_ERRBUF_SIZE / 2] = "";
	size_t used = 0;
	for (size_t i = 0; i < s->protocol.nsteps && used < sizeof steps; i++)
		used += (size_t)snprintf(steps + used, sizeof steps - used, "%s%s", i ? ", " : "", s->protocol.steps[i].name);
	return ciot_fail(errbuf, CIOT_ERR_ARG, "--from: no step \"%s\" in the %s protocol (%s)", from,
			 s->protocol.category, steps);
}

/* The manifest's room on a full disk (session.h): what it is now, plus what this run can add. */
static enum ciot_rc set_reserve(struct ciot_session *s, const char *dataset_dir, char *errbuf)
{
	off_t bytes = (off_t)ciot_manifest_size(s->m) + CIOT_SESSION_RESERVE_MARGIN +
		      (off_t)s->protocol.nsteps * CIOT_SESSION_RESERVE_PER_STEP;
	snprintf(s->reserve_path, sizeof s->reserve_path, "%s/.ciot-capture.reserve", dataset_dir);
	s->reserve_fd = open(s->reserve_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s->reserve_fd < 0 || (errno = posix_fallocate(s->reserve_fd, 0, bytes)) != 0)
		return ciot_fail(errbuf, errno == ENOSPC ? CIOT_ERR_NOSPACE : CIOT_ERR_IO,
				 "%s: cannot set aside %lld kB for the manifest: %s", dataset_dir,
				 (long long)(bytes + 1023) / 1024, strerror(errno));
	return CIOT_OK;
}

static void record_run(struct ciot_session *s, const struct ciot_session_options *o, const char *protocol_path)
{
	s->run = ciot_manifest_add_run(s->m);
	json_object_set_new(s->run, "tool", json_string("ciot-capture " CIOT_VERSION));
	json_object_set_new(s->run, "device", json_string(o->device));
	json_object_set_new(s->run, "interface", json_string(o->interface));
	json_object_set_new(s->run, "filter", json_string(s->filter));
	json_object_set_new(s->run, "protocol", json_string(protocol_path));
	if (o->firmware)
		json_object_set_new(s->run, "firmware", json_string(o->firmware));
	if (o->from)
		json_object_set_new(s->run, "from", json_string(o->from));
	if (s->added_macs[0])
		json_object_set_new(s->run, "added_macs", json_string(s->added_macs));
	if (s->clock_sync >= 0)
		json_object_set_new(s->run, "clock_synchronized", json_boolean(s->clock_sync));
	ciot_json_set_count(s->run, "snaplen", s->snaplen);
	ciot_json_set_time(s->run, "start", s->opened_us);
	json_object_set_new(s->run, "ended", json_string("running"));
	json_object_set_new(s->run, "skipped", json_array());
	json_object_set_new(s->run, "discarded", json_array());
}

enum ciot_rc ciot_session_open(struct ciot_session **out, const struct ciot_session_options *o, char *errbuf)
{
	*out = NULL;
	struct ciot_session *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	s->reserve_fd = -1;
	s->cursor = -1;
	s->last_closed_start_us = s->last_closed_end_us = -1;
	s->snaplen = o->snaplen ? o->snaplen : DEFAULT_SNAPLEN;
	s->firmware = o->firmware;
	snprintf(s->interface, sizeof s->interface, "%s", o->interface);
	enum ciot_rc rc;
	char detail[CIOT_ERRBUF_SIZE];
	if (o->firmware && strcmp(o->firmware, "pre") && strcmp(o->firmware, "post")) {
		rc = ciot_fail(errbuf, CIOT_ERR_ARG, "--firmware must be pre or post");
		goto fail;
	}
	if ((rc = build_filter(s, o, errbuf)))
		goto fail;
	struct ciot_manifest_device dev = { .id = o->device, .category = o->category, .brand = o->brand,
					    .home_country = o->home_country, .nmacs = o->nmacs, .nips = o->nips,
					    .add_macs = o->add_macs };
	memcpy(dev.macs, o->macs, sizeof dev.macs);
	memcpy(dev.ips, o->ips, sizeof dev.ips);
	const char *category;
	if ((rc = ciot_manifest_open(&s->m, o->dataset_dir, &dev, &category, detail))) {
		ciot_fail(errbuf, rc, "%s", detail);
		goto fail;
	}
	char protocol_path[PATH_MAX];
	if (o->protocol_path)
		snprintf(protocol_path, sizeof protocol_path, "%s", o->protocol_path);
	else
		snprintf(protocol_path, sizeof protocol_path, "%s/protocols/%s.json", CIOT_GUIDES_DIR, category);
	if ((rc = ciot_protocol_load(&s->protocol, protocol_path, detail))) {
		ciot_fail(errbuf, rc, "%s: %s", protocol_path, detail);
		goto fail;
	}
	if ((rc = begin_at(s, o->from, errbuf)) || (rc = open_pcap(s, o, errbuf)))
		goto fail;
	/* every argument is known good: from here on the dataset is written */
	if ((rc = ciot_manifest_lock(s->m, &category, detail))) {
		ciot_fail(errbuf, rc, "%s", detail);
		goto fail;
	}
	snprintf(s->added_macs, sizeof s->added_macs, "%s", ciot_manifest_added_macs(s->m));
	if ((rc = set_reserve(s, o->dataset_dir, errbuf)))
		goto fail;
	open_watch(s, !o->no_promiscuous);
	s->clock_sync = clock_synchronized();
	s->opened_us = s->last_flush_us = realtime_us();
	record_run(s, o, protocol_path);
	if ((rc = save(s, errbuf)))
		goto fail;
	*out = s;
	return CIOT_OK;
fail:
	release_reserve(s);
	close_watch(s);
	if (s->pcap)
		pcap_close(s->pcap);
	ciot_protocol_free(&s->protocol);
	ciot_manifest_close(s->m);
	free(s);
	return rc;
}

enum ciot_rc ciot_session_close(struct ciot_session *s, const char *how, char *errbuf)
{
	enum ciot_rc rc = CIOT_OK;
	int64_t now = realtime_us();
	if (s->current.open && !s->gone && !s->failure)
		rc = ciot_session_end(s, how, now, errbuf);
	/* the grace period: packets stamped before the end may still be in the kernel's buffer */
	while (!rc && s->closing.open && !s->gone && !s->failure && realtime_us() < s->closing.close_at_us) {
		struct pollfd p = { .fd = pcap_get_selectable_fd(s->pcap), .events = POLLIN };
		poll(&p, 1, 50);
		rc = ciot_session_read(s, errbuf);
	}
	if (!rc && !s->gone && !s->failure)
		rc = ciot_session_read(s, errbuf);
	if (!rc && s->closing.open)
		rc = finish_closing(s, errbuf);
	enum ciot_rc last = abort_steps(s, how, now, rc ? NULL : errbuf);
	if (!rc)
		rc = last;
	/* the run ends when the last packet could have been read: after the grace period */
	ciot_json_set_time(s->run, "end", realtime_us());
	const char *ended = s->gone ? "interface_lost" : s->failure == CIOT_ERR_NOSPACE ? "disk_full" : how;
	json_object_set_new(s->run, "ended", json_string(ended));
	ciot_json_set_count(s->run, "packets", s->total_packets);
	json_object_set_new(s->run, "outside_steps",
			    json_pack("{s:I, s:I}", "packets", (json_int_t)s->outside_packets, "bytes",
				      (json_int_t)s->outside_bytes));
	ciot_json_set_count(s->run, "late_packets", s->late_packets);
	struct pcap_stat st;
	if (!s->gone && pcap_stats(s->pcap, &st) == 0)
		ciot_json_set_count(s->run, "kernel_drops", st.ps_drop);
	last = save(s, rc ? NULL : errbuf);
	if (!rc)
		rc = last;
	release_reserve(s);
	return rc;
}

void ciot_session_free(struct ciot_session *s)
{
	if (!s)
		return;
	release_reserve(s);
	close_watch(s);
	pcap_close(s->pcap);
	ciot_protocol_free(&s->protocol);
	ciot_manifest_close(s->m);
	free(s);
}

/* ---- status --------------------------------------------------------------------------------- */

const struct ciot_protocol *ciot_session_protocol(const struct ciot_session *s) { return &s->protocol; }
const char *ciot_session_filter(const struct ciot_session *s) { return s->filter; }
int ciot_session_clock_synchronized(const struct ciot_session *s) { return s->clock_sync; }
const char *ciot_session_added_macs(const struct ciot_session *s) { return s->added_macs; }
int ciot_session_fd(const struct ciot_session *s) { return pcap_get_selectable_fd(s->pcap); }

const char *ciot_session_step_state(const struct ciot_session *s, int index)
{
	static const char *const names[] = { "pending", "running", "done", "skipped" };
	return index >= 0 && index < (int)s->protocol.nsteps ? names[s->state[index]] : "none";
}

void ciot_session_status(struct ciot_session *s, struct ciot_session_status *st)
{
	memset(st, 0, sizeof *st);
	st->step = -1;
	st->next = next_step(s);
	st->outside_packets = s->outside_packets;
	st->total_packets = s->total_packets;
	st->kernel_drops = kernel_drops(s);
	st->finished = s->finished;
	st->last_file = s->last_file[0] ? s->last_file : NULL;
	st->last_ended = s->last_ended;
	st->last_packets = s->last_packets;
	st->last_bytes = s->last_bytes;
	st->last_drops = s->last_drops;
	st->last_lost = s->last_lost;
	st->lost_packets = s->lost_packets;
	st->closing = s->closing.open;
	if (s->current.open) {
		struct ciot_pcap_writer_stats ws;
		ciot_pcap_writer_stats(s->current.w, &ws);
		st->running = true;
		st->step = s->current.index;
		st->started_us = s->current.start_us;
		st->duration_s = s->current.duration_s;
		st->packets = ws.packets;
		st->bytes = ws.bytes;
		st->drops = st->kernel_drops - s->current.drops_at_start;
	}
}
