/* ciot-capture: lab capture by lifecycle protocol, and the offline splitter. A thin tool: it parses
 * options, talks to the operator (or runs a script, or reads a control FIFO), keeps the clock and
 * the event loop, and leaves the capture, the files and the manifest to libciot-capture. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "manifest-writer.h"
#include "protocol.h"
#include "session.h"
#include "split.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_BUSY 3
#define TICK_MS 100
#define MAX_LINE CIOT_COMMAND_MAX_TEXT

static const char usage[] =
	"usage: ciot-capture -i IFACE --dataset DIR --device NAME [--category C] (--mac M | --ip A)...\n"
	"                    [--protocol FILE] [--firmware pre|post] [--from STEP]\n"
	"                    [--script FILE | --control FIFO] [capture options]\n"
	"       ciot-capture --split FILE.pcap --timeline FILE --dataset DIR --device NAME [--category C]\n"
	"                    [--mac M | --ip A]... [--brand B] [--home-country CC] [--tz ZONE]\n"
	"                    [--firmware pre|post] [--add-mac]\n"
	"       ciot-capture --remove STEP [--attempt N] --dataset DIR --device NAME\n"
	"       ciot-capture --show-protocol CATEGORY|FILE|all [--markdown]\n"
	"\n"
	"Captures one IoT device's traffic through the steps of its category's lifecycle protocol\n"
	"(guides/protocols/<category>.json; the lab guide is guides/lifecycle.md), one pcap file per\n"
	"step, DIR/<device>/<device>_<step>.pcap, and records every step in DIR/manifest.json, which\n"
	"ciot-analyze reads. A second run for the same device appends (_2, _3 ... file names). One run\n"
	"at a time writes a dataset: a second run while one holds it is refused (exit status 3).\n"
	"\n"
	"Live capture (needs root or CAP_NET_RAW):\n"
	"  -i, --interface IFACE  where to capture: the LAN bridge of the lab's router or access point\n"
	"      --dataset DIR      the dataset folder (created if absent)\n"
	"      --device NAME      device id, e.g. tuya_plug (letters, digits, '_', '-', '.')\n"
	"      --category C       camera, doorbell, speaker, plug, light, hub, sensor, humidifier, other;\n"
	"                         needed when the device is not in the manifest yet\n"
	"      --mac M, --ip A    the device's addresses (repeatable): the capture filter. A MAC is\n"
	"                         better: DHCP may change the IP. When nothing passes the filter in the\n"
	"                         first 5 s while other frames do, a warning lists the MACs they came from\n"
	"      --add-mac          record a --mac that a device already in the manifest does not have as\n"
	"                         another of its MACs (without it such a MAC is refused: mostly a typo)\n"
	"      --brand B          the device's brand as datasets/attribution/brands.tsv spells it (e.g.\n"
	"                         tuya): who is first party. Without it, the id's part before '_'\n"
	"      --home-country CC  the lab's country (ISO 3166, e.g. US): what counts as overseas\n"
	"      --protocol FILE    another protocol, e.g. guides/protocols/interception.json\n"
	"      --firmware pre|post  tags every step of this run (before or after a firmware update)\n"
	"      --from STEP        begin at STEP instead of the first step\n"
	"      --script FILE      run the commands of FILE instead of asking the operator\n"
	"      --control FIFO     take commands from a FIFO (made if absent) instead of the terminal\n"
	"      --snaplen N        bytes kept of each packet (default 262144: all)\n"
	"      --buffer MIB       kernel capture buffer (default 64)\n"
	"      --no-promiscuous   do not put the interface in promiscuous mode\n"
	"  A clock the kernel does not call synchronized (NTP) is warned about and recorded in the run.\n"
	"  At the terminal: Enter starts the offered step and ends the running one; s skips the offered\n"
	"  step; r ends the running step's attempt, sets it aside (kept on disk, listed as discarded, not\n"
	"  analyzed) and offers the step again; n TEXT adds a note; q ends the running step and stops.\n"
	"  Timed steps (idle) end themselves. These commands are also typed at the terminal, and they are\n"
	"  those of --script and --control: start [STEP] [SECONDS] (the step ends itself after SECONDS:\n"
	"  a short idle step for a trial), next [STEP] [SECONDS], end, skip [STEP], redo, note TEXT,\n"
	"  quit; scripts also have wait [SECONDS] (without SECONDS: until the running step ends) and\n"
	"  exec COMMAND. start returns at once. Packets captured while no step runs are counted, not\n"
	"  written. Ctrl-C, SIGTERM, a full disk or a lost interface end the step cleanly and say so,\n"
	"  on screen and in the manifest.\n"
	"\n"
	"Removing an attempt (an interrupted or unwanted step), with no run on the dataset:\n"
	"      --remove STEP      take the device's capture of STEP out of the manifest's captures; the\n"
	"                         entry is kept under a run's \"removed\", the file stays on disk\n"
	"      --attempt N        which of the step's captures, when there are several (1 = the first)\n"
	"\n"
	"Offline splitting:\n"
	"      --split FILE       cut this pcap or pcapng capture into per-step files\n"
	"      --timeline FILE    when each step happened: lines STEP PHASE START END (ISO 8601, e.g.\n"
	"                         2024-04-16T07:28:09.250000Z), or the public lifecycle dataset's\n"
	"                         <device>.txt (step start end duration, local time YYYY-MM-DD_HH:MM:SS)\n"
	"      --tz ZONE          the .txt's time zone: +8 (default), UTC, -05:30 ...\n"
	"\n"
	"Protocols:\n"
	"      --show-protocol C  print a protocol's steps and instructions (a category, a file, or all)\n"
	"      --markdown         as the Markdown of guides/protocols.md\n"
	"\n"
	"  -q, --quiet            no progress line\n"
	"  -h, --help             this help\n"
	"Exit status: 0 done, 1 the capture failed or stopped early (disk full, interface lost),\n"
	"2 usage error (a malformed address, an unknown step, interface or category...), 3 the dataset\n"
	"is in use by another ciot-capture run, 128+N stopped by signal N.\n";

enum {
	OPT_DATASET = 256, OPT_DEVICE, OPT_CATEGORY, OPT_MAC, OPT_IP, OPT_PROTOCOL, OPT_FIRMWARE, OPT_FROM,
	OPT_SCRIPT, OPT_CONTROL, OPT_SNAPLEN, OPT_BUFFER, OPT_NO_PROMISC, OPT_SPLIT, OPT_TIMELINE, OPT_TZ,
	OPT_SHOW, OPT_MARKDOWN, OPT_BRAND, OPT_HOME, OPT_ADD_MAC, OPT_REMOVE, OPT_ATTEMPT,
};

/* What a library result means for the exit status. */
static int exit_status(enum ciot_rc rc)
{
	return rc == CIOT_ERR_ARG ? EXIT_USAGE : rc == CIOT_ERR_BUSY ? EXIT_BUSY : EXIT_FAILED;
}

static const char *const all_protocols[] = { "camera", "doorbell", "speaker", "plug", "light", "hub",
					      "sensor", "humidifier", "other", "interception", NULL };

static volatile sig_atomic_t got_signal;
static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	got_signal = sig;
	if (write(signal_pipe[1], "", 1) < 0) {
		/* the pipe is full: a signal is already waiting */
	}
	errno = saved;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void protocol_path(const char *name, char *out, size_t len)
{
	if (strchr(name, '/') || strstr(name, ".json"))
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/protocols/%s.json", CIOT_GUIDES_DIR, name);
}

/* Prints text wrapped at 78 columns with an indent. */
static void wrap(FILE *out, const char *text, int indent)
{
	int col = indent;
	fprintf(out, "%*s", indent, "");
	while (*text) {
		size_t w = strcspn(text, " ");
		if (col > indent && col + (int)w > 78) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
		fprintf(out, "%.*s", (int)w, text);
		col += (int)w;
		text += w;
		if (*text == ' ') {
			text++;
			if (col < 78) {
				fputc(' ', out);
				col++;
			}
		}
	}
	fputc('\n', out);
}

static int show_protocol(const char *name, bool markdown)
{
	int status = 0;
	if (markdown && !strcmp(name, "all"))
		printf("# Lifecycle protocols\n\n"
		       "The steps ciot-capture walks an operator through, per device category. Generated from\n"
		       "`guides/protocols/*.json` by `ciot-capture --show-protocol all --markdown`; edit the JSON\n"
		       "files, not this page (a test checks that the two agree). How to run them:\n"
		       "[lifecycle.md](lifecycle.md). Durations marked \"operator\" end when the operator ends\n"
		       "the step; the others count down and end by themselves.\n\n");
	for (size_t k = 0; all_protocols[k]; k++) {
		const char *one = strcmp(name, "all") ? name : all_protocols[k];
		char path[PATH_MAX], err[CIOT_ERRBUF_SIZE];
		protocol_path(one, path, sizeof path);
		struct ciot_protocol p;
		if (ciot_protocol_load(&p, path, err)) {
			fprintf(stderr, "%s: %s\n", path, err);
			status = EXIT_FAILED;
		} else if (markdown) {
			ciot_protocol_markdown(&p, stdout);
		} else {
			printf("%s (%s): %zu steps\n", p.title, p.category, p.nsteps);
			wrap(stdout, p.description, 2);
			for (size_t i = 0; i < p.nsteps; i++) {
				const struct ciot_protocol_step *s = &p.steps[i];
				char d[32] = "operator-ended";
				if (s->duration_s)
					ciot_protocol_duration_text(s->duration_s, d, sizeof d);
				printf("\n%2zu. %s  [%s%s%s, %s%s%s%s]\n", i + 1, s->name, ciot_phase_name(s->phase),
				       s->control ? ", " : "", s->control ? s->control : "", d, s->optional ? ", optional" : "",
				       s->interception ? ", interception " : "", s->interception ? s->interception : "");
				wrap(stdout, s->instructions, 6);
			}
			printf("\n");
		}
		if (!status)
			ciot_protocol_free(&p);
		if (strcmp(name, "all"))
			break;
	}
	return status;
}

/* ---- the live capture's loop ---------------------------------------------------------------- */

enum input_mode { INPUT_TERMINAL, INPUT_SCRIPT, INPUT_FIFO };

struct runner {
	struct ciot_session *s;
	const struct ciot_protocol *p;
	enum input_mode mode;
	int input_fd;            /* terminal or FIFO; -1 for scripts */
	char line[MAX_LINE];
	size_t line_len;
	bool input_closed;
	/* scripts */
	FILE *script;
	const char *script_path;
	int script_line;
	int64_t wait_until_us;   /* a wait command runs until then */
	pid_t child;             /* an exec command runs */
	char child_command[MAX_LINE];
	bool wait_step;          /* a wait command runs until this step ends */
	int waited_step;
	/* display */
	bool tty;
	bool raw_input;          /* the terminal is read a key at a time and echoed by us (below) */
	bool quiet;
	bool progress_shown;
	char status_text[256];   /* the progress line as last computed */
	int offered;             /* the step last shown to the operator */
	unsigned reported;       /* finished step files reported */
	int64_t last_progress_us;
	bool quit;
	const char *quit_how;
	int status;
};

/* At a terminal, the operator's typing would run into the progress line that is redrawn every
 * second (and the redraw would hide it). So the terminal is switched to reading a key at a time
 * without its own echo, and the progress line ends with what is being typed: "... > n app cra".
 * The terminal's settings come back at exit, however the run ends. */
static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(0, TCSAFLUSH, &saved_termios);
	termios_saved = false;
}

static bool raw_terminal(void)
{
	if (tcgetattr(0, &saved_termios) != 0)
		return false;
	struct termios raw = saved_termios;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSAFLUSH, &raw) != 0)
		return false;
	termios_saved = true;
	atexit(restore_terminal);
	return true;
}

/* The bottom line at a terminal: progress, then what the operator is typing. */
static void draw_status(struct runner *r)
{
	const char *text = r->quiet ? "" : r->status_text;
	bool typing = r->raw_input && r->line_len > 0;
	if (!text[0] && !typing)
		return;
	fprintf(stderr, "\r\033[K%s%s%.*s", text, typing ? (text[0] ? "  > " : "> ") : "", typing ? (int)r->line_len : 0,
		r->line);
	r->progress_shown = true;
}

static void clear_progress(struct runner *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = false;
	}
}

static void say(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct runner *r, const char *fmt, ...)
{
	clear_progress(r);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void human_bytes(uint64_t b, char *out, size_t len)
{
	if (b < 10000)
		snprintf(out, len, "%llu B", (unsigned long long)b);
	else if (b < 10000000)
		snprintf(out, len, "%.1f kB", b / 1e3);
	else if (b < 10000000000ull)
		snprintf(out, len, "%.1f MB", b / 1e6);
	else
		snprintf(out, len, "%.2f GB", b / 1e9);
}

static void clock_text(int64_t us, char *out, size_t len)
{
	long s = (long)(us / 1000000);
	if (s >= 3600)
		snprintf(out, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, len, "%02ld:%02ld", s / 60, s % 60);
}

static void progress(struct runner *r, int64_t now, bool force)
{
	/* on a terminal the line is redrawn every second; in a log, a line a minute */
	int64_t every = r->tty ? 1000000 : 60000000;
	bool due = force || now - r->last_progress_us >= every;
	if (due && !r->quiet) {
		r->last_progress_us = now;
		struct ciot_session_status st;
		ciot_session_status(r->s, &st);
		char bytes[32], elapsed[32], remaining[48] = "";
		char *line = r->status_text;
		size_t len = sizeof r->status_text;
		if (st.running) {
			human_bytes(st.bytes, bytes, sizeof bytes);
			clock_text(now - st.started_us, elapsed, sizeof elapsed);
			if (st.duration_s) {
				int64_t left = st.started_us + (int64_t)st.duration_s * 1000000 - now;
				char l[32];
				clock_text(left > 0 ? left + 999999 : 0, l, sizeof l);
				snprintf(remaining, sizeof remaining, " / %s left", l);
			}
			snprintf(line, len, "[%s] %s%s  %llu packets  %s  %llu dropped", r->p->steps[st.step].name, elapsed,
				 remaining, (unsigned long long)st.packets, bytes, (unsigned long long)st.drops);
		} else {
			snprintf(line, len, "[between steps] %llu packets not in any step  %llu dropped",
				 (unsigned long long)st.outside_packets, (unsigned long long)st.kernel_drops);
		}
		if (!r->tty)
			fprintf(stderr, "%s\n", line);
	}
	/* a line cleared for a message comes back at once, with what is being typed */
	if (r->tty && (due || !r->progress_shown))
		draw_status(r);
}

/* Shows the offered step and what the operator can do (terminal mode). */
static void offer(struct runner *r)
{
	struct ciot_session_status st;
	ciot_session_status(r->s, &st);
	/* after the last step's "wrote" line: its file closes at the end of the grace period */
	if (r->mode != INPUT_TERMINAL || st.running || st.closing || st.next < 0 || st.next == r->offered)
		return;
	r->offered = st.next;
	const struct ciot_protocol_step *s = &r->p->steps[st.next];
	char d[32] = "you end it";
	if (s->duration_s)
		ciot_protocol_duration_text(s->duration_s, d, sizeof d);
	say(r, "\nStep %d of %zu: %s  [%s%s%s, %s%s]\n", st.next + 1, r->p->nsteps, s->name, ciot_phase_name(s->phase),
	    s->control ? ", " : "", s->control ? s->control : "", d, s->optional ? ", optional" : "");
	clear_progress(r);
	wrap(stderr, s->instructions, 2);
	say(r, "  Enter: start   s: skip   n TEXT: note   q: quit\n");
}

/* One line for every step file that was closed since the last call. */
static void report_finished(struct runner *r)
{
	struct ciot_session_status st;
	ciot_session_status(r->s, &st);
	if (st.finished == r->reported)
		return;
	r->reported = st.finished;
	char bytes[32];
	human_bytes(st.last_bytes, bytes, sizeof bytes);
	say(r, "  %s %s: %llu packets, %s, %llu dropped by the kernel (%s)\n",
	    !strcmp(st.last_ended, "redone") ? "set aside" : "wrote", st.last_file, (unsigned long long)st.last_packets,
	    bytes, (unsigned long long)st.last_drops, st.last_ended);
	if (st.last_lost)
		say(r, "  %llu packets of the step were lost: the disk is full (the file ends at the last whole packet)\n",
		    (unsigned long long)st.last_lost);
}

/* Carries out one command; false when it failed (the message is printed). */
static bool execute(struct runner *r, const struct ciot_command *c, int64_t now)
{
	char err[CIOT_ERRBUF_SIZE] = "";
	enum ciot_rc rc = CIOT_OK;
	int index = -1;
	struct ciot_session_status st;
	ciot_session_status(r->s, &st);
	int offered = st.next; /* what skip without a step skips */
	if (c->text[0] && (c->kind == CIOT_CMD_START || c->kind == CIOT_CMD_NEXT || c->kind == CIOT_CMD_SKIP)) {
		index = ciot_protocol_find(r->p, c->text);
		if (index < 0) {
			say(r, "ciot-capture: no step \"%s\" in the protocol\n", c->text);
			return false;
		}
	}
	switch (c->kind) {
	case CIOT_CMD_NONE: return true;
	case CIOT_CMD_START: rc = ciot_session_start(r->s, index, c->seconds, now, err); break;
	case CIOT_CMD_NEXT:
		rc = ciot_session_end(r->s, "operator", now, err);
		if (!rc)
			rc = ciot_session_start(r->s, index, c->seconds, now, err);
		break;
	case CIOT_CMD_END: rc = ciot_session_end(r->s, "operator", now, err); break;
	case CIOT_CMD_SKIP: rc = ciot_session_skip(r->s, index, now, err); break;
	case CIOT_CMD_REDO: rc = ciot_session_redo(r->s, now, err); break;
	case CIOT_CMD_NOTE: rc = ciot_session_note(r->s, c->text, now, err); break;
	case CIOT_CMD_QUIT:
		r->quit = true;
		r->quit_how = "operator";
		return true;
	case CIOT_CMD_WAIT:
	case CIOT_CMD_EXEC:
		say(r, "ciot-capture: %s is for scripts only\n", ciot_command_name(c->kind));
		return false;
	}
	if (rc) {
		say(r, "ciot-capture: %s: %s\n", ciot_command_name(c->kind), err);
		return false;
	}
	ciot_session_status(r->s, &st);
	if (c->kind == CIOT_CMD_SKIP)
		say(r, "  skipped %s\n", r->p->steps[index >= 0 ? index : offered].name);
	if ((c->kind == CIOT_CMD_START || c->kind == CIOT_CMD_NEXT) && st.running) {
		const struct ciot_protocol_step *s = &r->p->steps[st.step];
		char d[32] = "";
		if (st.duration_s)
			ciot_protocol_duration_text(st.duration_s, d, sizeof d);
		say(r, "  started %s%s%s%s\n", s->name, d[0] ? " (" : "", d,
		    d[0] ? ", ends by itself)" : r->mode == INPUT_TERMINAL ? ": Enter ends it, r redoes it" : "");
	}
	if (c->kind == CIOT_CMD_REDO)
		say(r, "  the attempt is set aside; the step starts again when you start it\n");
	return true;
}

/* A line typed at the terminal: the short keys, or any command of the language. */
static void terminal_line(struct runner *r, const char *line, int64_t now)
{
	struct ciot_session_status st;
	ciot_session_status(r->s, &st);
	struct ciot_command c = { 0 };
	char err[CIOT_ERRBUF_SIZE];
	const char *p = line + strspn(line, " \t");
	if (!*p) {
		c.kind = st.running ? CIOT_CMD_END : CIOT_CMD_START;
	} else if (!strcmp(p, "s")) {
		c.kind = CIOT_CMD_SKIP;
	} else if (!strcmp(p, "r")) {
		c.kind = CIOT_CMD_REDO;
	} else if (!strcmp(p, "q")) {
		c.kind = CIOT_CMD_QUIT;
	} else if (p[0] == 'n' && (p[1] == ' ' || p[1] == 0)) {
		c.kind = CIOT_CMD_NOTE;
		snprintf(c.text, sizeof c.text, "%s", p + 1 + strspn(p + 1, " "));
		if (!c.text[0]) {
			say(r, "  a note needs text: n TEXT\n");
			return;
		}
	} else if (ciot_command_parse(p, &c, err)) {
		say(r, "  %s (Enter, s, r, n TEXT, q)\n", err);
		return;
	}
	if (execute(r, &c, now) && c.kind == CIOT_CMD_NOTE)
		say(r, "  noted\n");
}

static void fifo_line(struct runner *r, const char *line, int64_t now)
{
	struct ciot_command c;
	char err[CIOT_ERRBUF_SIZE];
	if (ciot_command_parse(line, &c, err))
		say(r, "ciot-capture: %s: %s\n", "control", err);
	else
		execute(r, &c, now);
}

/* Reads what the terminal or FIFO has and handles each complete line. */
static void read_input(struct runner *r, int64_t now)
{
	char buf[4096];
	ssize_t n = read(r->input_fd, buf, sizeof buf);
	if (n == 0) {
		if (r->mode == INPUT_TERMINAL) {
			/* the operator's input is gone (a closed pipe): nothing can end the steps any more */
			r->input_closed = true;
			r->quit = true;
			r->quit_how = "operator";
		}
		return;
	}
	if (n < 0)
		return;
	for (ssize_t i = 0; i < n; i++) {
		char k = buf[i];
		if (r->raw_input && k == '\r')
			k = '\n';
		if (r->raw_input && (k == 0x7f || k == '\b')) {
			r->line_len -= r->line_len > 0;
			continue;
		}
		if (r->raw_input && k == 0x15) { /* Ctrl-U: the line is dropped */
			r->line_len = 0;
			continue;
		}
		if (r->raw_input && k == 0x04 && r->line_len == 0) { /* Ctrl-D, as at a cooked terminal */
			r->input_closed = true;
			r->quit = true;
			r->quit_how = "operator";
			return;
		}
		if (r->raw_input && k != '\n' && (unsigned char)k < 0x20)
			continue;
		if (k != '\n') {
			if (r->line_len + 1 < sizeof r->line)
				r->line[r->line_len++] = k;
			continue;
		}
		r->line[r->line_len] = 0;
		r->line_len = 0;
		if (r->raw_input && r->line[0])
			say(r, "> %s\n", r->line); /* what was typed, on a line of its own */
		if (r->mode == INPUT_TERMINAL)
			terminal_line(r, r->line, now);
		else
			fifo_line(r, r->line, now);
	}
	if (r->raw_input) {
		clear_progress(r);
		draw_status(r); /* the echo */
	}
}

static void script_error(struct runner *r, const char *what)
{
	say(r, "%s:%d: %s\n", r->script_path, r->script_line, what);
	r->quit = true;
	r->quit_how = "error";
	r->status = EXIT_FAILED;
}

/* Runs script commands until one has to wait (a wait, an exec, a timed step) or the script ends. */
static void run_script(struct runner *r, int64_t now)
{
	while (!r->quit) {
		if (r->child > 0)
			return;
		if (r->wait_until_us && now < r->wait_until_us)
			return;
		r->wait_until_us = 0;
		if (r->wait_step) {
			struct ciot_session_status st;
			ciot_session_status(r->s, &st);
			if (st.running && st.step == r->waited_step)
				return;
			r->wait_step = false;
		}
		char line[MAX_LINE + 2];
		if (!fgets(line, sizeof line, r->script)) {
			r->quit = true;
			r->quit_how = "operator";
			return;
		}
		r->script_line++;
		if (!strchr(line, '\n') && !feof(r->script)) {
			script_error(r, "line too long");
			return;
		}
		struct ciot_command c;
		char err[CIOT_ERRBUF_SIZE];
		if (ciot_command_parse(line, &c, err)) {
			script_error(r, err);
			return;
		}
		if (c.kind == CIOT_CMD_WAIT) {
			if (c.wait_s < 0) {
				/* until the running step ends: a timed step's countdown */
				struct ciot_session_status st;
				ciot_session_status(r->s, &st);
				r->wait_step = st.running;
				r->waited_step = st.step;
			} else {
				r->wait_until_us = now + (int64_t)(c.wait_s * 1e6);
			}
			continue;
		}
		if (c.kind == CIOT_CMD_EXEC) {
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				script_error(r, "fork failed");
				return;
			}
			if (pid == 0) {
				int null = open("/dev/null", O_RDONLY);
				if (null >= 0)
					dup2(null, 0);
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				execl("/bin/sh", "sh", "-c", c.text, (char *)NULL);
				_exit(127);
			}
			r->child = pid;
			snprintf(r->child_command, sizeof r->child_command, "%s", c.text);
			return;
		}
		if (!execute(r, &c, now)) {
			script_error(r, "the command failed");
			return;
		}
	}
}

static void reap_child(struct runner *r, int64_t now)
{
	if (r->child <= 0)
		return;
	int status;
	pid_t got = waitpid(r->child, &status, WNOHANG);
	if (got != r->child)
		return;
	r->child = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char note[MAX_LINE + 64], err[CIOT_ERRBUF_SIZE];
		snprintf(note, sizeof note, "exec \"%.900s\" %s %d", r->child_command,
			 WIFEXITED(status) ? "exited with" : "was killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		say(r, "%s:%d: %s\n", r->script_path, r->script_line, note);
		ciot_session_note(r->s, note, now, err);
	}
}

/* Nothing passed the filter while other frames did: a wrong --mac, most often. */
static void warn_silent(struct runner *r, const struct ciot_session_silence *w)
{
	char macs[CIOT_SESSION_TOP_MACS * 40] = "";
	size_t used = 0;
	for (size_t i = 0; i < w->nmacs; i++) {
		const uint8_t *m = w->top[i].mac;
		used += (size_t)snprintf(macs + used, sizeof macs - used, "%s%02x:%02x:%02x:%02x:%02x:%02x (%llu)",
					 i ? ", " : "", m[0], m[1], m[2], m[3], m[4], m[5],
					 (unsigned long long)w->top[i].frames);
	}
	say(r,
	    "ciot-capture: warning: in %lld s no frame from or to the device (%s), while %llu other frames "
	    "passed; frames came from %s. Check --mac (a device that is off or asleep is silent too)\n",
	    (long long)w->seconds, ciot_session_filter(r->s), (unsigned long long)w->other_frames,
	    w->nmacs ? macs : "no MAC counted");
}

static int run_live(struct ciot_session *s, struct runner *r)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	const char *quit_how = "operator";
	char err[CIOT_ERRBUF_SIZE] = "";
	int64_t now = now_us();
	r->last_progress_us = now;
	offer(r); /* the first step's instructions before any key is read */
	while (!r->quit) {
		struct pollfd fds[3] = {
			{ .fd = ciot_session_fd(s), .events = POLLIN },
			{ .fd = signal_pipe[0], .events = POLLIN },
			{ .fd = r->input_closed ? -1 : r->input_fd, .events = POLLIN },
		};
		poll(fds, 3, TICK_MS);
		now = now_us();
		if (got_signal)
			break;
		enum ciot_rc rc = ciot_session_read(s, err);
		if (!rc)
			rc = ciot_session_tick(s, now, err);
		if (rc) {
			say(r, "ciot-capture: %s\n", err);
			quit_how = rc == CIOT_ERR_GONE ? "interface_lost" : rc == CIOT_ERR_NOSPACE ? "disk_full" : "error";
			r->status = EXIT_FAILED;
			break;
		}
		if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP)))
			read_input(r, now);
		if (r->mode == INPUT_SCRIPT) {
			reap_child(r, now);
			run_script(r, now);
		}
		struct ciot_session_status st;
		ciot_session_status(s, &st);
		if (!st.running && st.next < 0 && r->mode != INPUT_SCRIPT) {
			say(r, "\nEvery step of the protocol is done or skipped.\n");
			break;
		}
		report_finished(r);
		struct ciot_session_silence silence;
		if (ciot_session_silent_device(s, now, &silence))
			warn_silent(r, &silence);
		offer(r);
		progress(r, now, false);
	}
	if (r->quit)
		quit_how = r->quit_how;
	if (got_signal) {
		quit_how = "interrupted";
		r->status = 128 + got_signal;
		say(r, "\nciot-capture: %s: ending the step\n", strsignal(got_signal));
	}
	if (r->child > 0) {
		kill(r->child, SIGTERM);
		waitpid(r->child, NULL, 0);
	}
	report_finished(r);
	if (ciot_session_close(s, quit_how, err)) {
		say(r, "ciot-capture: %s\n", err);
		if (!r->status)
			r->status = EXIT_FAILED;
	}
	report_finished(r);
	struct ciot_session_status st;
	ciot_session_status(s, &st);
	say(r, "ciot-capture: %llu packets captured, %llu outside every step, %llu dropped by the kernel",
	    (unsigned long long)st.total_packets, (unsigned long long)st.outside_packets,
	    (unsigned long long)st.kernel_drops);
	if (st.lost_packets)
		say(r, ", %llu lost to a full disk", (unsigned long long)st.lost_packets);
	say(r, "\n");
	ciot_session_free(s);
	restore_terminal();
	return r->status;
}

/* The command line. */
struct args {
	struct ciot_session_options so;
	const char *script, *control, *split, *timeline, *show, *tz, *remove;
	unsigned attempt;
	bool markdown, quiet;
};

/* --snaplen and --buffer: a number in their range, or a usage error. */
static bool parse_size(int opt, const char *arg, struct ciot_session_options *so)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	bool snap = opt == OPT_SNAPLEN;
	if (*end || !*arg || v < (snap ? 64 : 1) || v > (snap ? 262144 : 4096)) {
		fprintf(stderr, "ciot-capture: --%s must be %s\n", snap ? "snaplen" : "buffer",
			snap ? "64 to 262144 bytes" : "1 to 4096 MiB");
		return false;
	}
	*(snap ? &so->snaplen : &so->buffer_mib) = (unsigned)v;
	return true;
}

/* Parses the command line: -1 to go on, else the exit status (--help, a usage error). */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },   { "dataset", required_argument, NULL, OPT_DATASET },
		{ "device", required_argument, NULL, OPT_DEVICE }, { "category", required_argument, NULL, OPT_CATEGORY },
		{ "mac", required_argument, NULL, OPT_MAC },       { "ip", required_argument, NULL, OPT_IP },
		{ "protocol", required_argument, NULL, OPT_PROTOCOL },
		{ "firmware", required_argument, NULL, OPT_FIRMWARE },
		{ "from", required_argument, NULL, OPT_FROM },     { "script", required_argument, NULL, OPT_SCRIPT },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "snaplen", required_argument, NULL, OPT_SNAPLEN }, { "buffer", required_argument, NULL, OPT_BUFFER },
		{ "no-promiscuous", no_argument, NULL, OPT_NO_PROMISC },
		{ "split", required_argument, NULL, OPT_SPLIT },   { "timeline", required_argument, NULL, OPT_TIMELINE },
		{ "tz", required_argument, NULL, OPT_TZ },         { "show-protocol", required_argument, NULL, OPT_SHOW },
		{ "brand", required_argument, NULL, OPT_BRAND },  { "home-country", required_argument, NULL, OPT_HOME },
		{ "markdown", no_argument, NULL, OPT_MARKDOWN },   { "quiet", no_argument, NULL, 'q' },
		{ "add-mac", no_argument, NULL, OPT_ADD_MAC },     { "remove", required_argument, NULL, OPT_REMOVE },
		{ "attempt", required_argument, NULL, OPT_ATTEMPT },
		{ "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
	};
	*a = (struct args){ .tz = "+8" };
	struct ciot_session_options *so = &a->so;
	int opt;
	while ((opt = getopt_long(argc, argv, "i:qh", options, NULL)) != -1) {
		switch (opt) {
		case 'i': so->interface = optarg; break;
		case OPT_DATASET: so->dataset_dir = optarg; break;
		case OPT_DEVICE: so->device = optarg; break;
		case OPT_CATEGORY: so->category = optarg; break;
		case OPT_BRAND: so->brand = optarg; break;
		case OPT_HOME: so->home_country = optarg; break;
		case OPT_MAC:
		case OPT_IP: {
			size_t *n = opt == OPT_MAC ? &so->nmacs : &so->nips;
			if (*n >= CIOT_DATASET_MAX_ADDRESSES) {
				fprintf(stderr, "ciot-capture: at most %d addresses of each kind\n", CIOT_DATASET_MAX_ADDRESSES);
				return EXIT_USAGE;
			}
			(opt == OPT_MAC ? so->macs : so->ips)[(*n)++] = optarg;
			break;
		}
		case OPT_PROTOCOL: so->protocol_path = optarg; break;
		case OPT_FIRMWARE: so->firmware = optarg; break;
		case OPT_FROM: so->from = optarg; break;
		case OPT_ADD_MAC: so->add_macs = true; break;
		case OPT_REMOVE: a->remove = optarg; break;
		case OPT_ATTEMPT: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > 9999) {
				fprintf(stderr, "ciot-capture: --attempt must be 1 to 9999\n");
				return EXIT_USAGE;
			}
			a->attempt = (unsigned)v;
			break;
		}
		case OPT_SCRIPT: a->script = optarg; break;
		case OPT_CONTROL: a->control = optarg; break;
		case OPT_SNAPLEN:
		case OPT_BUFFER:
			if (!parse_size(opt, optarg, so))
				return EXIT_USAGE;
			break;
		case OPT_NO_PROMISC: so->no_promiscuous = true; break;
		case OPT_SPLIT: a->split = optarg; break;
		case OPT_TIMELINE: a->timeline = optarg; break;
		case OPT_TZ: a->tz = optarg; break;
		case OPT_SHOW: a->show = optarg; break;
		case OPT_MARKDOWN: a->markdown = true; break;
		case 'q': a->quiet = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ciot-capture: unexpected argument \"%s\"\n", argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/* --split: a long capture cut into step files by a timeline. */
static int run_split(const struct args *a)
{
	const struct ciot_session_options *so = &a->so;
	if (!a->timeline || so->interface || a->script || a->control || so->from) {
		fprintf(stderr, "ciot-capture: --split needs --timeline, and takes no live-capture options\n");
		return EXIT_USAGE;
	}
	struct ciot_split_options o = { .capture_path = a->split, .timeline_path = a->timeline,
					.dataset_dir = so->dataset_dir, .device = so->device, .category = so->category,
					.brand = so->brand, .home_country = so->home_country,
					.nmacs = so->nmacs, .nips = so->nips, .firmware = so->firmware,
					.add_macs = so->add_macs };
	memcpy(o.macs, so->macs, sizeof o.macs);
	memcpy(o.ips, so->ips, sizeof o.ips);
	if (!ciot_tz_parse(a->tz, &o.tz_offset_s)) {
		fprintf(stderr, "ciot-capture: --tz \"%s\": expected +8, UTC, -05:30 ...\n", a->tz);
		return EXIT_USAGE;
	}
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_split_result res;
	enum ciot_rc rc = ciot_split(&o, &res, err);
	if (rc) {
		fprintf(stderr, "ciot-capture: %s\n", err);
		return exit_status(rc);
	}
	if (res.added_macs[0])
		fprintf(stderr, "ciot-capture: added %s to the MACs of %s in the manifest (--add-mac)\n", res.added_macs,
			so->device);
	fprintf(stderr,
		"ciot-capture: %s: %zu steps (%s timeline), %llu of %llu frames written, %llu outside every step%s",
		a->split, res.steps, res.lifecycle_format ? "lifecycle" : "ciot", (unsigned long long)res.written,
		(unsigned long long)res.frames, (unsigned long long)res.outside, res.truncated ? ", capture truncated" : "");
	if (res.other_linktype)
		fprintf(stderr, ", %llu of another link type not written", (unsigned long long)res.other_linktype);
	fprintf(stderr, "\n");
	return 0;
}

/* --remove: one attempt out of the manifest's captures, under the dataset's lock. */
static int run_remove(const struct args *a)
{
	const struct ciot_session_options *so = &a->so;
	if (so->interface || a->split || a->script || a->control || so->from || so->nmacs || so->nips || so->category ||
	    so->brand || so->home_country || so->firmware || so->add_macs || so->protocol_path) {
		fprintf(stderr, "ciot-capture: --remove takes only --dataset, --device and --attempt\n");
		return EXIT_USAGE;
	}
	struct ciot_manifest_device dev = { .id = so->device, .must_exist = true };
	struct ciot_manifest_writer *w = NULL;
	const char *category;
	char err[CIOT_ERRBUF_SIZE] = "";
	json_t *entry = NULL;
	enum ciot_rc rc = ciot_manifest_open(&w, so->dataset_dir, &dev, &category, err);
	if (!rc)
		rc = ciot_manifest_lock(w, &category, err);
	if (!rc)
		rc = ciot_manifest_remove_step(w, a->remove, a->attempt, now_us(), &entry, err);
	if (!rc)
		rc = ciot_manifest_save(w, err);
	if (rc) {
		fprintf(stderr, "ciot-capture: %s\n", err);
		ciot_manifest_close(w);
		return exit_status(rc);
	}
	const char *ended = json_string_value(json_object_get(entry, "ended"));
	fprintf(stderr,
		"ciot-capture: removed %s (%s, ended %s, %lld packets) from %s/manifest.json; the file stays on disk, "
		"and the manifest keeps the entry under the last run's \"removed\"\n",
		json_string_value(json_object_get(entry, "file")), a->remove, ended ? ended : "unknown",
		(long long)json_integer_value(json_object_get(entry, "packets")), so->dataset_dir);
	ciot_manifest_close(w);
	return 0;
}

/* Where commands come from: a script, a control FIFO, or the terminal. 0, or the exit status. */
static int open_input(struct runner *r, const struct args *a)
{
	if (a->script && !(r->script = fopen(a->script, "r"))) {
		fprintf(stderr, "%s: %s\n", a->script, strerror(errno));
		return EXIT_USAGE;
	}
	if (a->control) {
		struct stat st;
		if (stat(a->control, &st) != 0 && mkfifo(a->control, 0600) != 0) {
			fprintf(stderr, "%s: %s\n", a->control, strerror(errno));
			return EXIT_USAGE;
		}
		/* read-write, so that the FIFO never reports end of file when a writer closes it */
		r->input_fd = open(a->control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (r->input_fd < 0 || fstat(r->input_fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
			fprintf(stderr, "%s: %s\n", a->control, r->input_fd < 0 ? strerror(errno) : "not a FIFO");
			return EXIT_USAGE;
		}
	} else if (!a->script) {
		r->input_fd = 0;
	}
	return 0;
}

/* A live capture on an interface, step by step through the protocol. */
static int run_capture(const struct args *a)
{
	const struct ciot_session_options *so = &a->so;
	if (!so->interface) {
		fprintf(stderr, "ciot-capture: -i IFACE is required (or --split FILE; see --help)\n");
		return EXIT_USAGE;
	}
	if (a->script && a->control) {
		fprintf(stderr, "ciot-capture: --script and --control exclude each other\n");
		return EXIT_USAGE;
	}
	struct runner r = { .mode = a->script ? INPUT_SCRIPT : a->control ? INPUT_FIFO : INPUT_TERMINAL,
			    .input_fd = -1, .offered = -1, .quiet = a->quiet, .tty = isatty(2),
			    .script_path = a->script };
	int status = open_input(&r, a);
	if (status)
		return status;
	if (pipe(signal_pipe) != 0 || fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
		perror("ciot-capture: pipe");
		return EXIT_FAILED;
	}
	char err[CIOT_ERRBUF_SIZE] = "";
	struct ciot_session *s;
	enum ciot_rc rc = ciot_session_open(&s, so, err);
	if (rc) {
		fprintf(stderr, "ciot-capture: %s\n", err);
		return exit_status(rc);
	}
	r.s = s;
	r.p = ciot_session_protocol(s);
	fprintf(stderr, "ciot-capture: %s on %s (filter: %s), protocol %s (%zu steps), into %s\n", so->device,
		so->interface, ciot_session_filter(s), r.p->title, r.p->nsteps, so->dataset_dir);
	if (ciot_session_added_macs(s)[0])
		fprintf(stderr, "ciot-capture: added %s to the MACs of %s in the manifest (--add-mac)\n",
			ciot_session_added_macs(s), so->device);
	if (ciot_session_clock_synchronized(s) == 0)
		fprintf(stderr, "ciot-capture: warning: the kernel says the clock is not synchronized (NTP): step times "
				"may not agree with other machines' (guides/lifecycle.md, section 3.3)\n");
	r.raw_input = r.mode == INPUT_TERMINAL && r.tty && isatty(0) && raw_terminal();
	return run_live(s, &r);
}

int main(int argc, char **argv)
{
	struct args a;
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	if (a.show)
		return show_protocol(a.show, a.markdown);
	if (!a.so.dataset_dir || !a.so.device) {
		fprintf(stderr, "ciot-capture: --dataset and --device are required (see --help)\n");
		return EXIT_USAGE;
	}
	if (a.remove)
		return run_remove(&a);
	if (a.attempt) {
		fprintf(stderr, "ciot-capture: --attempt goes with --remove\n");
		return EXIT_USAGE;
	}
	return a.split ? run_split(&a) : run_capture(&a);
}
