/* check.h: the unit tests' assertions. Each CHECK counts one check; a failed one prints file:line,
 * the expression and the values involved, and is counted, and the test goes on so that one run
 * reports every failure. CHECK_SURVIVES runs a piece of a test in a child process, so that a crash
 * counts as one failed check. A test's main ends with `return check_summary("name");`, which prints
 * the totals and returns non-zero when any check failed.
 */
#ifndef CIOT_TEST_CHECK_H
#define CIOT_TEST_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned check_count, check_failures;

static inline bool check_report(bool ok, const char *file, int line)
{
	check_count++;
	if (!ok) {
		check_failures++;
		fprintf(stderr, "%s:%d: check failed: ", file, line);
	}
	return ok;
}

static inline bool check_true(bool ok, const char *expr, const char *file, int line)
{
	if (!check_report(ok, file, line))
		fprintf(stderr, "%s\n", expr);
	return ok;
}

static inline bool check_eq_int(intmax_t actual, intmax_t expected, const char *a, const char *e,
				const char *file, int line)
{
	bool ok = actual == expected;
	if (!check_report(ok, file, line))
		fprintf(stderr, "%s == %s: got %jd (0x%jx), expected %jd (0x%jx)\n", a, e, actual,
			(uintmax_t)actual, expected, (uintmax_t)expected);
	return ok;
}

static inline bool check_eq_str(const char *actual, const char *expected, const char *a, const char *e,
				const char *file, int line)
{
	bool ok = (actual == NULL && expected == NULL) ||
		  (actual != NULL && expected != NULL && strcmp(actual, expected) == 0);
	if (!check_report(ok, file, line))
		fprintf(stderr, "%s == %s: got %s%s%s, expected %s%s%s\n", a, e, actual ? "\"" : "",
			actual ? actual : "NULL", actual ? "\"" : "", expected ? "\"" : "",
			expected ? expected : "NULL", expected ? "\"" : "");
	return ok;
}

static inline bool check_contains(const char *haystack, const char *needle, const char *h, const char *file,
				  int line)
{
	bool ok = haystack != NULL && strstr(haystack, needle) != NULL;
	if (!check_report(ok, file, line))
		fprintf(stderr, "%s contains \"%s\": got %s%s%s\n", h, needle, haystack ? "\"" : "",
			haystack ? haystack : "NULL", haystack ? "\"" : "");
	return ok;
}

static inline bool check_eq_mem(const void *actual, const void *expected, size_t n, const char *a,
				const char *e, const char *file, int line)
{
	bool ok = actual != NULL && expected != NULL && memcmp(actual, expected, n) == 0;
	if (!check_report(ok, file, line)) {
		fprintf(stderr, "%s == %s (%zu bytes):\n  got     ", a, e, n);
		for (size_t i = 0; actual && i < n; i++)
			fprintf(stderr, "%02x", ((const uint8_t *)actual)[i]);
		fprintf(stderr, "%s\n  expected ", actual ? "" : "NULL");
		for (size_t i = 0; expected && i < n; i++)
			fprintf(stderr, "%02x", ((const uint8_t *)expected)[i]);
		fprintf(stderr, "\n");
	}
	return ok;
}

#define CHECK(cond) check_true((cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_INT(actual, expected) \
	check_eq_int((intmax_t)(actual), (intmax_t)(expected), #actual, #expected, __FILE__, __LINE__)
#define CHECK_EQ_STR(actual, expected) check_eq_str((actual), (expected), #actual, #expected, __FILE__, __LINE__)
#define CHECK_CONTAINS(haystack, needle) check_contains((haystack), (needle), #haystack, __FILE__, __LINE__)
#define CHECK_EQ_MEM(actual, expected, n) \
	check_eq_mem((actual), (expected), (n), #actual, #expected, __FILE__, __LINE__)

/* Names the table case a group of checks belongs to, when one of them failed since `before`
 * (check_failures taken at the start of the case). */
static inline void check_case(unsigned before, const char *name)
{
	if (check_failures != before)
		fprintf(stderr, "  ^ in case \"%s\"\n", name);
}

/* Runs fn(arg) in a child process and adds the child's checks to the totals. Returns whether the
 * child finished normally with none of its checks failed; *status_out gets its wait status. */
static inline bool check_run_child(void (*fn)(void *), void *arg, int *status_out)
{
	int fds[2];
	*status_out = -1;
	if (pipe(fds) != 0)
		return false;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		unsigned count = check_count, failures = check_failures;
		fn(arg);
		unsigned delta[2] = { check_count - count, check_failures - failures };
		ssize_t w = write(fds[1], delta, sizeof delta);
		fflush(NULL);
		_exit(w == (ssize_t)sizeof delta ? 0 : 3);
	}
	close(fds[1]);
	unsigned delta[2] = { 0, 0 };
	ssize_t got = read(fds[0], delta, sizeof delta);
	close(fds[0]);
	int status = 0;
	bool reaped = waitpid(pid, &status, 0) == pid;
	*status_out = reaped ? status : -1;
	if (got == (ssize_t)sizeof delta) {
		check_count += delta[0];
		check_failures += delta[1];
	}
	return reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == (ssize_t)sizeof delta &&
	       delta[1] == 0;
}

/* One check that fn(arg), run in a child process, neither crashes (a sanitizer abort in the library
 * is one failed check instead of the end of the whole test) nor fails a check of its own. */
static inline bool check_survives(void (*fn)(void *), void *arg, const char *what, const char *file, int line)
{
	int status;
	bool ok = check_run_child(fn, arg, &status);
	if (!check_report(ok, file, line)) {
		if (status != -1 && WIFSIGNALED(status))
			fprintf(stderr, "%s crashed: killed by signal %d\n", what, WTERMSIG(status));
		else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
			fprintf(stderr, "%s did not finish: exit status %d (see the sanitizer report above)\n", what,
				WEXITSTATUS(status));
		else
			fprintf(stderr, "%s: %s\n", what, status == -1 ? "could not run a child process" : "checks failed");
	}
	return ok;
}

#define CHECK_SURVIVES(fn, arg) check_survives((fn), (arg), #fn, __FILE__, __LINE__)

/* Prints the totals; the value to return from main. */
static inline int check_summary(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
