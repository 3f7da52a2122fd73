/* driver.c: a stand-alone main for the libFuzzer targets beside it (fuzz-*.c), for builds without
 * libFuzzer: gcc with AddressSanitizer and UndefinedBehaviorSanitizer, which has no fuzzing engine.
 * ctest links every target with it and runs each over its seed corpus for a few seconds
 * (CMakeLists.txt beside this file), so that CI fuzzes every parser on every change; the long,
 * coverage-guided runs stay with clang's libFuzzer (README.md beside this file).
 *
 * It reads libFuzzer's command line, so the same line works with either build:
 *   fuzz-NAME [-flag=value...] DIR...    runs the empty input and every file of the DIRs (the
 *                                        seeds, in name order), then mutated seeds until
 *                                        -max_total_time or -runs says stop (neither: forever)
 *   fuzz-NAME [-flag=value...] FILE...   runs each file once (a crash replayed)
 * Flags: -max_total_time=S; -runs=N (runs in all, the seeds' among them); -seed=N (0 or none: one
 * from the clock, printed); -max_len=N (the longest mutated input; default the longest seed, at
 * least 4096); -timeout=S (an input running longer is a failure; default 1200); -artifact_prefix=P
 * (the failing input is written to P"crash-input"); -detect_leaks=0|1. libFuzzer's other flags are
 * accepted and ignored.
 *
 * The mutations are blind (no coverage feedback) but structure-aware enough to get past length
 * fields, and deterministic: input number k of a run depends only on the seed, the seed files and
 * -max_len, so that "-seed=S -runs=k" runs the same inputs again. Each input starts from a seed (or,
 * one time in four, from one of the last 64 inputs) and takes 1 to 8 of: a bit flipped; a byte, or
 * a big-endian 16- or 32-bit field, set to an interesting value (0, 0xff, 0x7f, 0x80 and their wide
 * forms) or moved by a small amount; a random byte; the input cut short; a range of random or
 * repeated bytes inserted; a range deleted; a range duplicated, or copied over another place; two
 * seeds spliced, or a range of another seed inserted; a big-endian 8-, 16-, 24- or 32-bit length
 * inserted or written over the input, holding the number of bytes after it (off by one or by its
 * own width at times, or a prefix of them, for a nested length).
 *
 * Every input is handed over in a fresh heap block of exactly its length, so that ASan sees a read
 * past it. The input being run is kept aside and written to the crash file when the run dies: from
 * the sanitizers' death callback (an ASan or LeakSanitizer report; UBSan's, which stops the run
 * under -fno-sanitize-recover or halt_on_error=1), from a signal handler (abort, __builtin_trap's
 * SIGILL, and in a build without ASan SIGSEGV, SIGBUS and SIGFPE), or from a watchdog when one input
 * runs past -timeout. As libFuzzer does, a run that allocated a different number of blocks than it
 * freed is followed by a leak check, so that a leak is pinned to the input that made it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* optional in a target: NULL when it does not define one */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* The sanitizers' interface, present only in a sanitizer build (NULL otherwise). Declared here
 * rather than through <sanitizer/...> so that a build without the sanitizers links too. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
void __sanitizer_print_stack_trace(void) __attribute__((weak));
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *)) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* UBSan's defaults, read by its runtime at start (UBSAN_OPTIONS still overrides them): a report
 * stops the run even where a check recovers, with its stack; and it aborts, because gcc's UBSan is
 * a runtime of its own, which never calls the death callback set through ASan's. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}

#define RING 64                 /* recent inputs kept to mutate again */
#define MAX_STACK 8             /* mutations on one input at most */
#define LEAK_CHECKS_MAX 1000    /* as libFuzzer: leak checks that found nothing before they stop */
#define DEFAULT_MAX_LEN 4096
#define TIMEOUT_EXIT 70         /* libFuzzer's exit status for a timeout */

struct blob {
	uint8_t *p;
	size_t n;
};

struct options {
	long long runs;         /* -1: no limit */
	long long max_total_time; /* seconds, 0: no limit */
	uint64_t seed;
	size_t max_len;         /* 0: from the seeds */
	unsigned timeout;
	const char *artifact_prefix;
	bool detect_leaks;
};

/* ---- the state the failure paths read (signal handlers, the death callback) ----------------- */

static char crash_path[4096];
static char replay_head[8192];  /* "<argv0> -seed=S -runs=" */
static char replay_tail[8192];  /* " <the other arguments>" */
static const uint8_t *volatile current;     /* the input being run (the driver's own copy) */
static volatile size_t current_len;
static const char *volatile current_name;   /* the file it came from, when it is one */
static volatile sig_atomic_t in_run;
static volatile unsigned long long run_number; /* runs started so far, this one included */
static volatile sig_atomic_t failing;       /* the crash file is written once */
static bool replaying;                      /* files given, each run once */

/* ---- async-signal-safe output ------------------------------------------------------------- */

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

static void say(const char *s)
{
	write_all(2, s, strlen(s));
}

static void say_number(unsigned long long v)
{
	char buf[24];
	size_t i = sizeof buf;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	write_all(2, buf + i, sizeof buf - i);
}

/* Writes the input being run to the crash file and says how to run it again. Once. */
static void save_failing_input(const char *what)
{
	if (failing)
		return;
	failing = 1;
	say("\n==driver== ");
	say(what);
	if (!in_run) {
		say(" outside a run of the target\n");
		return;
	}
	int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		write_all(fd, (const void *)current, current_len);
		close(fd);
	}
	say(" on run ");
	say_number(run_number);
	say(fd >= 0 ? "; the input (" : "; could not write the input (");
	say_number(current_len);
	say(" bytes) to ");
	say(crash_path);
	say(current_name ? ", the file " : "");
	say(current_name ? (const char *)current_name : "");
	say("\n==driver== replay it: ");
	say(replay_head);
	say(crash_path);
	if (replaying) {
		say("\n");
		return;
	}
	say("\n==driver== or the whole run up to it: ");
	say(replay_head);
	say("-runs=");
	say_number(run_number);
	say(replay_tail);
	say("\n");
}

static void on_death(void)
{
	save_failing_input("sanitizer report");
}

static void on_signal(int sig)
{
	save_failing_input(sig == SIGILL ? "SIGILL (a trap: a target's check failed)" :
			   sig == SIGABRT ? "SIGABRT (abort, or a UBSan report)" :
			   sig == SIGSEGV ? "SIGSEGV" :
			   sig == SIGBUS ? "SIGBUS" : "SIGFPE");
	if (__sanitizer_print_stack_trace)
		__sanitizer_print_stack_trace();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The watchdog: once a second, a run that has not moved for -timeout seconds is a failure. */
static unsigned timeout_seconds;

static void on_alarm(int sig)
{
	(void)sig;
	static unsigned long long seen;
	static unsigned stuck;
	if (!in_run || run_number != seen) {
		seen = run_number;
		stuck = 0;
		return;
	}
	if (++stuck < timeout_seconds)
		return;
	save_failing_input("timeout (one input ran past -timeout)");
	if (__sanitizer_print_stack_trace)
		__sanitizer_print_stack_trace();
	_exit(TIMEOUT_EXIT);
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGILL, SIGABRT, SIGSEGV, SIGBUS, SIGFPE };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;
		/* a signal a sanitizer handles already keeps its handler and its report; the death
		 * callback writes the input then */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_signal;
			sigemptyset(&sa.sa_mask);
			sigaction(sigs[i], &sa, NULL);
		}
	}
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(on_death);
	if (timeout_seconds) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval tick = { { 1, 0 }, { 1, 0 } };
		setitimer(ITIMER_REAL, &tick, NULL);
	}
}

/* ---- leaks: blocks allocated and freed during a run ------------------------------------------ */

static volatile sig_atomic_t counting;
static unsigned long long mallocs, frees;

static void malloc_hook(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (counting)
		mallocs++;
}

static void free_hook(const volatile void *p)
{
	(void)p;
	if (counting)
		frees++;
}

static bool leak_checks_on;
static unsigned leak_checks_done;

/* ---- the PRNG (xoshiro256**, seeded through splitmix64) ------------------------------------- */

static uint64_t rng[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next64(void)
{
	uint64_t result = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return result;
}

/* A number in [0, n), n > 0. */
static size_t below(size_t n)
{
	return (size_t)(next64() % n);
}

/* ---- mutations -------------------------------------------------------------------------------- */

static struct blob *seeds;
static size_t nseeds;

static void put_be(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

/* Makes room for k bytes at position at (n + k <= cap). */
static void open_gap(uint8_t *b, size_t n, size_t at, size_t k)
{
	memmove(b + at + k, b + at, n - at);
}

enum mutation {
	FLIP_BIT,
	INTERESTING,
	ARITHMETIC,
	RANDOM_BYTE,
	TRUNCATE,
	INSERT_BYTES,
	DELETE_RANGE,
	DUPLICATE_RANGE,
	COPY_RANGE,
	SPLICE,
	INSERT_FROM_SEED,
	LENGTH_FIELD,
	NMUTATIONS
};

/* One mutation of b[0, n) in place, at most cap bytes; returns the new length. */
static size_t mutate(uint8_t *b, size_t n, size_t cap)
{
	static const uint8_t interesting8[] = { 0x00, 0xff, 0x7f, 0x80 };
	static const uint32_t interesting32[] = { 0, 1, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
						  0x7fffffff, 0x80000000u, 0xffffffffu };
	enum mutation m = (enum mutation)below(NMUTATIONS);
	if (n == 0 && m != SPLICE && m != INSERT_FROM_SEED && m != LENGTH_FIELD)
		m = INSERT_BYTES;
	switch (m) {
	case FLIP_BIT:
		b[below(n)] ^= (uint8_t)(1u << below(8));
		return n;
	case INTERESTING: {
		unsigned width = below(3) == 0 ? 1 : below(2) ? 2 : 4;
		if (width == 1 || n < width) {
			b[below(n)] = interesting8[below(sizeof interesting8)];
			return n;
		}
		uint32_t v = interesting32[below(sizeof interesting32 / sizeof interesting32[0])];
		put_be(b + below(n - width + 1), width, width == 2 ? (v & 0xffff) : v);
		return n;
	}
	case ARITHMETIC: {
		unsigned width = below(2) ? 1 : below(2) ? 2 : 4;
		if (n < width)
			width = 1;
		size_t at = below(n - width + 1);
		uint64_t delta = 1 + below(16), v = get_be(b + at, width);
		put_be(b + at, width, below(2) ? v + delta : v - delta);
		return n;
	}
	case RANDOM_BYTE:
		b[below(n)] = (uint8_t)next64();
		return n;
	case TRUNCATE:
		return below(n);
	case INSERT_BYTES: {
		if (n >= cap)
			return n;
		size_t k = 1 + below(cap - n < 32 ? cap - n : 32), at = below(n + 1);
		open_gap(b, n, at, k);
		if (below(2)) {
			memset(b + at, (int)(below(2) ? next64() & 0xff : interesting8[below(sizeof interesting8)]), k);
		} else {
			for (size_t i = 0; i < k; i++)
				b[at + i] = (uint8_t)next64();
		}
		return n + k;
	}
	case DELETE_RANGE: {
		size_t at = below(n), k = 1 + below(n - at < 64 ? n - at : 64);
		memmove(b + at, b + at + k, n - at - k);
		return n - k;
	}
	case DUPLICATE_RANGE: {
		/* a range of the input inserted again somewhere (a repeated record, a message twice) */
		if (n >= cap)
			return n;
		size_t from = below(n), k = 1 + below(n - from), to = below(n + 1);
		if (k > cap - n)
			k = cap - n;
		uint8_t *copy = malloc(k);
		if (!copy)
			return n;
		memcpy(copy, b + from, k);
		open_gap(b, n, to, k);
		memcpy(b + to, copy, k);
		free(copy);
		return n + k;
	}
	case COPY_RANGE: {
		size_t from = below(n), to = below(n), k = 1 + below(n - (from > to ? from : to));
		memmove(b + to, b + from, k);
		return n;
	}
	case SPLICE: {
		/* the input's front and another seed's back */
		const struct blob *o = &seeds[below(nseeds)];
		if (o->n == 0)
			return n;
		size_t keep = below(n + 1), from = below(o->n), k = o->n - from;
		if (k > cap - keep)
			k = cap - keep;
		memcpy(b + keep, o->p + from, k);
		return keep + k;
	}
	case INSERT_FROM_SEED: {
		const struct blob *o = &seeds[below(nseeds)];
		if (o->n == 0 || n >= cap)
			return n;
		size_t from = below(o->n), k = 1 + below(o->n - from), to = below(n + 1);
		if (k > cap - n)
			k = cap - n;
		open_gap(b, n, to, k);
		memcpy(b + to, o->p + from, k);
		return n + k;
	}
	case LENGTH_FIELD: {
		/* a big-endian length (TLS and DTLS records and messages, DNS over TCP, DER, ...) holding
		 * the bytes after it, inserted or written over what is there */
		static const unsigned widths[] = { 1, 2, 2, 3, 4 };
		unsigned width = widths[below(sizeof widths / sizeof widths[0])];
		bool insert = below(2) || n < width;
		if (insert && n + width > cap)
			return n;
		size_t at = insert ? below(n + 1) : below(n - width + 1);
		if (insert) {
			open_gap(b, n, at, width);
			n += width;
		}
		uint64_t after = n - at - width, v;
		switch (below(8)) {
		case 0:
			v = after + 1;
			break;
		case 1:
			v = after ? after - 1 : 0;
			break;
		case 2:
			v = after + width; /* counting itself */
			break;
		case 3:
			v = below(after + 1); /* a nested length: a prefix of what follows */
			break;
		default:
			v = after;
		}
		if (width < 8 && v >> (8 * width))
			v = (1ull << (8 * width)) - 1;
		put_be(b + at, width, v);
		return n;
	}
	case NMUTATIONS:
		break;
	}
	return n;
}

/* ---- running the target ------------------------------------------------------------------------ */

/* Runs one input in a heap block of exactly its length; stops the process on a leak. */
static void run_one(const uint8_t *data, size_t n, const char *name)
{
	uint8_t *copy = malloc(n);
	if (!copy && n) {
		fprintf(stderr, "==driver== out of memory\n");
		exit(1);
	}
	if (n)
		memcpy(copy, data, n);
	current = data;
	current_len = n;
	current_name = name;
	run_number++;
	mallocs = frees = 0;
	in_run = 1;
	counting = 1;
	LLVMFuzzerTestOneInput(copy ? copy : (const uint8_t *)"", n);
	counting = 0;
	free(copy);
	if (leak_checks_on && mallocs != frees) {
		if (__lsan_do_recoverable_leak_check()) {
			save_failing_input("LeakSanitizer report (blocks the run allocated and did not free)");
			_exit(1);
		}
		if (++leak_checks_done >= LEAK_CHECKS_MAX) {
			fprintf(stderr, "INFO: leak checks after runs stop: %u found nothing "
					"(the target keeps memory across runs)\n", leak_checks_done);
			leak_checks_on = false;
		}
	}
	in_run = 0;
}

static struct blob read_file(const char *path)
{
	struct blob b = { NULL, 0 };
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "==driver== cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t cap = 0;
	for (;;) {
		if (b.n == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *p = realloc(b.p, cap);
			if (!p)
				exit(1);
			b.p = p;
		}
		size_t got = fread(b.p + b.n, 1, cap - b.n, f);
		b.n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "==driver== cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	return b;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order (so that a seed gives the same run everywhere). */
static size_t list_dir(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "==driver== cannot open %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	size_t n = 0, cap = 0;
	*names = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *path = malloc(len);
		if (!path)
			exit(1);
		snprintf(path, len, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **p = realloc(*names, cap * sizeof *p);
			if (!p)
				exit(1);
			*names = p;
		}
		(*names)[n++] = path;
	}
	closedir(d);
	if (n)
		qsort(*names, n, sizeof **names, compare_names);
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append(char *buf, size_t cap, const char *s)
{
	size_t len = strlen(buf);
	if (len + 1 < cap)
		snprintf(buf + len, cap - len, "%s", s);
}

static bool flag(const char *arg, const char *name, const char **value)
{
	size_t len = strlen(name);
	if (strncmp(arg, name, len) != 0 || arg[len] != '=')
		return false;
	*value = arg + len + 1;
	return true;
}

static long long number(const char *arg, const char *value)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno || end == value || *end) {
		fprintf(stderr, "==driver== %s: not a number\n", arg);
		exit(1);
	}
	return v;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-flag=value...] DIR...   the seeds of the DIRs, then mutated inputs\n"
		"       %s [-flag=value...] FILE...  each file once\n"
		"flags (libFuzzer's spelling): -max_total_time=S -runs=N -seed=N -max_len=N -timeout=S\n"
		"  -artifact_prefix=P -detect_leaks=0|1; others are ignored\n",
		argv0, argv0);
}

int main(int argc, char **argv)
{
	struct options o = { -1, 0, 0, 0, 1200, "", true };
	char **inputs = calloc((size_t)argc, sizeof *inputs);
	size_t ninputs = 0;
	if (!inputs)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (a[0] != '-' || !a[1]) {
			inputs[ninputs++] = argv[i];
			continue;
		}
		if (a[1] == '-')
			a++; /* --flag=value, as libFuzzer takes it too */
		if (flag(a, "-runs", &v))
			o.runs = number(a, v);
		else if (flag(a, "-max_total_time", &v))
			o.max_total_time = number(a, v);
		else if (flag(a, "-seed", &v))
			o.seed = (uint64_t)number(a, v);
		else if (flag(a, "-max_len", &v))
			o.max_len = (size_t)number(a, v);
		else if (flag(a, "-timeout", &v))
			o.timeout = (unsigned)number(a, v);
		else if (flag(a, "-artifact_prefix", &v))
			o.artifact_prefix = v;
		else if (flag(a, "-detect_leaks", &v))
			o.detect_leaks = number(a, v) != 0;
		else if (flag(a, "-help", &v) || !strcmp(a, "-h") || !strcmp(a, "-help")) {
			usage(argv[0]);
			return 0;
		} else if (strchr(a, '='))
			fprintf(stderr, "INFO: %s: a libFuzzer flag this driver ignores\n", argv[i]);
		else {
			usage(argv[0]);
			return 1;
		}
	}
	if (o.seed == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o.seed = ((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)getpid() << 20) & 0xffffffffu;
		if (!o.seed)
			o.seed = 1;
	}
	uint64_t sm = o.seed;
	for (int i = 0; i < 4; i++)
		rng[i] = splitmix64(&sm);

	/* absolute, so that the replay command printed works from anywhere */
	char cwd[2048] = "";
	if (o.artifact_prefix[0] != '/' && !getcwd(cwd, sizeof cwd))
		cwd[0] = '\0';
	snprintf(crash_path, sizeof crash_path, "%s%s%scrash-input", cwd, cwd[0] ? "/" : "", o.artifact_prefix);
	/* the command that makes the same run again: the same arguments, with the seed and a run count */
	snprintf(replay_head, sizeof replay_head, "%s ", argv[0]);
	char seed_text[48];
	snprintf(seed_text, sizeof seed_text, " -seed=%" PRIu64, o.seed);
	for (int i = 1; i < argc; i++) {
		const char *v;
		const char *a = argv[i][0] == '-' && argv[i][1] == '-' ? argv[i] + 1 : argv[i];
		if (flag(a, "-seed", &v) || flag(a, "-runs", &v) || flag(a, "-max_total_time", &v))
			continue;
		append(replay_tail, sizeof replay_tail, " ");
		append(replay_tail, sizeof replay_tail, argv[i]);
	}
	append(replay_tail, sizeof replay_tail, seed_text);

	timeout_seconds = o.timeout;
	leak_checks_on = o.detect_leaks && __lsan_do_recoverable_leak_check &&
			 __sanitizer_install_malloc_and_free_hooks &&
			 __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	install_handlers();
	double start = now();

	bool replay = ninputs > 0;
	for (size_t i = 0; i < ninputs; i++)
		if (is_dir(inputs[i]))
			replay = false;
	if (replay) {
		replaying = true;
		/* each file once, as libFuzzer does when it is given files */
		for (size_t i = 0; i < ninputs; i++) {
			struct blob b = read_file(inputs[i]);
			fprintf(stderr, "Running: %s\n", inputs[i]);
			run_one(b.p, b.n, inputs[i]);
			fprintf(stderr, "Executed %s (%zu bytes)\n", inputs[i], b.n);
			free(b.p);
		}
		free(inputs);
		return 0;
	}

	fprintf(stderr, "INFO: Seed: %" PRIu64 "\n", o.seed);
	/* the seeds: the empty input, then every file of every directory given */
	size_t seeds_cap = 16, longest = 0;
	seeds = malloc(seeds_cap * sizeof *seeds);
	if (!seeds)
		return 1;
	seeds[nseeds++] = (struct blob){ NULL, 0 };
	run_one(NULL, 0, "(the empty input)");
	for (size_t i = 0; i < ninputs; i++) {
		char **names = NULL;
		size_t nnames = is_dir(inputs[i]) ? list_dir(inputs[i], &names) : 0;
		if (!is_dir(inputs[i])) {
			names = malloc(sizeof *names);
			if (!names)
				return 1;
			names[0] = strdup(inputs[i]);
			nnames = 1;
		}
		fprintf(stderr, "INFO: %zu files found in %s\n", nnames, inputs[i]);
		for (size_t k = 0; k < nnames; k++) {
			struct blob b = read_file(names[k]);
			run_one(b.p, b.n, names[k]);
			if (nseeds == seeds_cap) {
				seeds_cap *= 2;
				struct blob *p = realloc(seeds, seeds_cap * sizeof *p);
				if (!p)
					return 1;
				seeds = p;
			}
			seeds[nseeds++] = b;
			if (b.n > longest)
				longest = b.n;
			free(names[k]);
		}
		free(names);
	}
	size_t max_len = o.max_len ? o.max_len : longest > DEFAULT_MAX_LEN ? longest : DEFAULT_MAX_LEN;
	fprintf(stderr, "INFO: %zu seeds (the empty input among them) ran in %.1f s; mutating, -max_len=%zu\n",
		nseeds, now() - start, max_len);

	/* the mutants: one work buffer, a ring of the last inputs */
	uint8_t *work = malloc(max_len);
	struct blob ring[RING];
	memset(ring, 0, sizeof ring);
	size_t nring = 0;
	if (!work)
		return 1;
	unsigned long long next_report = 1u << 14;
	for (;;) {
		if (o.runs >= 0 && run_number >= (unsigned long long)o.runs)
			break;
		double t = now() - start;
		if (o.max_total_time > 0 && t >= (double)o.max_total_time)
			break;
		const struct blob *from = nring && below(4) == 0 ? &ring[below(nring)] : &seeds[below(nseeds)];
		size_t n = from->n < max_len ? from->n : max_len;
		if (n)
			memcpy(work, from->p, n);
		size_t k = 1;
		while (k < MAX_STACK && below(2))
			k++;
		for (size_t i = 0; i < k; i++)
			n = mutate(work, n, max_len);
		run_one(work, n, NULL);

		/* kept to mutate again, in place of the oldest */
		struct blob *slot = &ring[run_number % RING];
		uint8_t *p = realloc(slot->p, n ? n : 1);
		if (p) {
			slot->p = p;
			if (n)
				memcpy(p, work, n);
			slot->n = n;
			if (nring < RING)
				nring++;
		}
		if (run_number >= next_report) {
			fprintf(stderr, "#%llu\tpulse exec/s: %.0f\n", run_number, (double)run_number / (t > 0 ? t : 1));
			next_report *= 2;
		}
	}
	double elapsed = now() - start;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "Done %llu runs in %.0f second(s)\n", run_number, elapsed);
	fprintf(stderr, "stat::number_of_executed_units: %llu\n", run_number);
	fprintf(stderr, "stat::average_exec_per_sec:     %.0f\n", (double)run_number / (elapsed > 0 ? elapsed : 1));
	fprintf(stderr, "stat::peak_rss_mb:              %ld\n", ru.ru_maxrss / 1024);
	fprintf(stderr, "stat::seed:                     %" PRIu64 "\n", o.seed);

	in_run = 0;
	for (size_t i = 0; i < RING; i++)
		free(ring[i].p);
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i].p);
	free(seeds);
	free(work);
	free(inputs);
	return 0;
}
