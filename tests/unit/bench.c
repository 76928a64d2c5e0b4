// SPDX-License-Identifier: GPL-2.0
/*
 * Single-thread lock+unlock loops over src/range-lock.c (shims, -O2, no
 * lockdep, statistics on).  "make bench" runs them for time and, under
 * valgrind --tool=callgrind --toggle-collect=bench_<name>_loop, for the
 * instructions spent per lock+unlock pair.
 *
 *   range-lock-bench {file|disk|disk_span|shared_hit|all} [iterations]
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <btrfsx/range-lock.h>

#define SZ_1M	(1ULL << 20)

static struct btrfsx_range_stats __percpu *stats;

/* Uncontended exclusive 4KiB ranges of one inode. */
noinline void bench_file_loop(struct btrfsx_range_domain *d, unsigned long n)
{
	struct btrfsx_range_req req;
	unsigned long i;

	for (i = 0; i < n; i++) {
		u64 off = (i & 63) * 4096;

		btrfsx_range_lock(d, off, off + 4095, BTRFSX_RANGE_EXCL,
				  BTRFSX_RANGE_CLONE, &req);
		btrfsx_range_unlock(&req);
	}
}

/* Uncontended exclusive 1MiB extents inside one 256MiB shard chunk. */
noinline void bench_disk_loop(struct btrfsx_range_domain *d, unsigned long n)
{
	struct btrfsx_range_req req;
	unsigned long i;

	for (i = 0; i < n; i++) {
		u64 off = (i & 1023) * SZ_1M;

		btrfsx_range_lock(d, off, off + SZ_1M - 1, BTRFSX_RANGE_EXCL,
				  BTRFSX_RANGE_DELAYED_REF, &req);
		btrfsx_range_unlock(&req);
	}
}

/* Extents crossing a chunk boundary: two shards, wide_lock path. */
noinline void bench_disk_span_loop(struct btrfsx_range_domain *d,
				   unsigned long n)
{
	struct btrfsx_range_req req;
	unsigned long i;

	for (i = 0; i < n; i++) {
		u64 off = ((i & 63) + 1) * (256 * SZ_1M) - SZ_1M / 2;

		btrfsx_range_lock(d, off, off + SZ_1M - 1, BTRFSX_RANGE_EXCL,
				  BTRFSX_RANGE_RELOCATION, &req);
		btrfsx_range_unlock(&req);
	}
}

/* Shared lock over a range that 16 other shared holders overlap. */
noinline void bench_shared_hit_loop(struct btrfsx_range_domain *d,
				    unsigned long n)
{
	struct btrfsx_range_req req;
	unsigned long i;

	for (i = 0; i < n; i++) {
		btrfsx_range_lock(d, 4096 * (i & 15), 4096 * (i & 15) + 8191,
				  BTRFSX_RANGE_SHARED, BTRFSX_RANGE_DEDUPE,
				  &req);
		btrfsx_range_unlock(&req);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(const char *name, unsigned long n)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req bg[16];
	double t0;
	int i;

	if (!strcmp(name, "file") || !strcmp(name, "shared_hit"))
		btrfsx_range_domain_init_file(&d, 257, stats);
	else if (btrfsx_range_domain_init_disk(&d, BTRFSX_RANGE_DISK_SHIFT,
					       BTRFSX_RANGE_DISK_SHARDS, stats))
		exit(1);
	if (!strcmp(name, "shared_hit")) {
		for (i = 0; i < 16; i++)
			btrfsx_range_trylock(&d, 4096 * i, 4096 * i + 65535,
					     BTRFSX_RANGE_SHARED,
					     BTRFSX_RANGE_OTHER, &bg[i]);
	}

	t0 = now();
	if (!strcmp(name, "file"))
		bench_file_loop(&d, n);
	else if (!strcmp(name, "disk"))
		bench_disk_loop(&d, n);
	else if (!strcmp(name, "disk_span"))
		bench_disk_span_loop(&d, n);
	else
		bench_shared_hit_loop(&d, n);
	printf("%-10s %lu lock+unlock pairs, %.1f ns per pair\n", name, n,
	       (now() - t0) * 1e9 / n);

	if (!strcmp(name, "shared_hit")) {
		for (i = 0; i < 16; i++)
			btrfsx_range_unlock(&bg[i]);
	}
	btrfsx_range_domain_destroy(&d);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000;
	static const char * const all[] = {
		"file", "disk", "disk_span", "shared_hit",
	};
	unsigned int i;

	stats = btrfsx_range_stats_alloc();
	for (i = 0; i < 4; i++) {
		if (!strcmp(which, "all") || !strcmp(which, all[i]))
			run(all[i], n);
	}
	btrfsx_range_stats_free(stats);
	return 0;
}
