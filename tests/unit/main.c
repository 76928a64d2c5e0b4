// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/range-lock.c, compiled unmodified against the shims in
 * shim/.  Prints TAP; exits non-zero if any case fails.
 *
 * Environment: SEED (model tests; printed), DURATION_MS (per model test),
 * THREADS (model workers), CASES (run the cases whose name contains it; not
 * ONLY, which selects the group in tests/run).
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "tests.h"

extern int test_failed;

static const char *current_test;

/* A case that hangs (deadlock, lost wake-up) fails the run instead. */
static void timeout(int sig)
{
	static const char msg[] = "Bail out! test case timed out: ";

	(void)!write(1, msg, sizeof(msg) - 1);
	(void)!write(1, current_test, strlen(current_test));
	(void)!write(1, "\n", 1);
	_exit(1);
}

static int run(const struct test *t, unsigned int nr, unsigned int *num,
	       const char *only)
{
	const char *ms = getenv("DURATION_MS");
	unsigned int limit = 60 + (ms ? strtoul(ms, NULL, 0) / 1000 : 0);
	int failures = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		long allocs = shim_read_allocs();
		long warnings = shim_read_warnings();
		u64 t0 = now_ns();

		++*num;
		if (only && !strstr(t[i].name, only)) {
			printf("ok %u - %s # SKIP not selected\n", *num, t[i].name);
			continue;
		}
		test_failed = 0;
		test_expect_warnings = 0;
		current_test = t[i].name;
		alarm(limit);
		t[i].fn();
		alarm(0);
		if (shim_read_allocs() != allocs)
			test_fail(__FILE__, __LINE__, "leaked %ld allocations",
				  shim_read_allocs() - allocs);
		if (shim_read_warnings() - warnings != test_expect_warnings)
			test_fail(__FILE__, __LINE__, "%ld warnings, expected %d",
				  shim_read_warnings() - warnings,
				  test_expect_warnings);
		if (shim_lockdep_depth())
			test_fail(__FILE__, __LINE__, "lockdep depth %d at end",
				  shim_lockdep_depth());
		printf("%s %u - %s # %.1f ms\n", test_failed ? "not ok" : "ok",
		       *num, t[i].name, (now_ns() - t0) / 1e6);
		fflush(stdout);
		failures += !!test_failed;
	}
	return failures;
}

int main(void)
{
	const char *only = getenv("CASES");
	unsigned int num = 0;
	int failures = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, timeout);
#ifdef BTRFSX_DEBUG
	/* The debug build differs in src/extent-rule*.c only. */
	printf("1..%u\n", nr_extent_rule_tests);
#else
	printf("1..%u\n", nr_api_tests + nr_model_tests + nr_file_lock_tests +
	       nr_extent_rule_tests);
	failures += run(api_tests, nr_api_tests, &num, only);
	failures += run(model_tests, nr_model_tests, &num, only);
	failures += run(file_lock_tests, nr_file_lock_tests, &num, only);
#endif
	failures += run(extent_rule_tests, nr_extent_rule_tests, &num, only);
	printf("# %d of %u failed\n", failures, num);
	return failures ? 1 : 0;
}
