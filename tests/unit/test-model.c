// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized concurrent model test.
 *
 * Worker threads lock random overlapping ranges of several FILE domains and
 * one DISK domain (shared or exclusive, blocking, trylock or multi-range),
 * and get fatal signals from a killer thread.  Checked:
 *  - mutual exclusion, against a shadow array of per-unit owner counters;
 *  - FIFO and no lost or early wake-ups: a checker thread stops each domain
 *    now and then and recomputes, for every queued request, the earlier
 *    overlapping conflicting requests it must wait for; the request's counter
 *    must equal that number, so no held request has one (nobody barged past
 *    an earlier conflicting request) and no waiter misses a wake-up;
 *  - progress: a watchdog fails the run if any lock call takes too long;
 *  - at the end every range is free, nothing leaked, and the statistics add
 *    up.
 * Each worker's choices come from SEED; the interleaving does not.
 */

#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "tests.h"

#define MAX_DOMS	4
#define MAX_WORKERS	32
#define POOL		8

struct model_cfg {
	const char *name;
	unsigned int nr_files;
	u64 file_units;
	unsigned int disk_shift;
	unsigned int disk_shards;
	u64 disk_units;
	unsigned int max_len;
	unsigned int pct_try;
	unsigned int pct_multi;
	unsigned int pct_excl;
	unsigned int threads;
	unsigned int duration_ms;
};

struct shadow {
	int excl;
	int shared;
};

struct model {
	const struct model_cfg *cfg;
	struct btrfsx_range_stats __percpu *stats;
	struct btrfsx_range_domain doms[MAX_DOMS];
	struct shadow *shadow[MAX_DOMS];
	u64 units[MAX_DOMS];
	unsigned int nr_doms;
	int stop;		/* atomic */
	int stop_killer;	/* atomic */
	int errors;		/* atomic */
	unsigned long checks;
	struct worker *workers;
	unsigned int nr_workers;
	unsigned int finished;	/* atomic: workers that returned */
};

struct worker {
	struct model *m;
	unsigned int id;
	pthread_t thread;
	u64 rng;
	struct task_struct *task;	/* atomic */
	u64 op_start;			/* atomic; 0 outside lock calls */
	unsigned long ops, acquired, try_failed, eintr, multis;
	unsigned long multi_eintr_members;
	struct btrfsx_range_req pool[POOL];
	bool busy[POOL];
};

static u64 rnd(struct worker *w)
{
	/* splitmix64 */
	u64 z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int pct(struct worker *w)
{
	return rnd(w) % 100;
}

static void model_error(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void model_error(struct model *m, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&m->errors, 1, __ATOMIC_SEQ_CST) < 10) {
		char msg[256];

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		test_fail(__FILE__, __LINE__, "%s", msg);
	}
	__atomic_store_n(&m->stop, 1, __ATOMIC_SEQ_CST);
}

static unsigned int dom_index(struct model *m, struct btrfsx_range_domain *d)
{
	return d - m->doms;
}

static void shadow_take(struct model *m, struct btrfsx_range_domain *d,
			u64 start, u64 end, enum btrfsx_range_mode mode)
{
	struct shadow *sh = m->shadow[dom_index(m, d)];
	u64 u;

	for (u = start; u <= end; u++) {
		if (mode == BTRFSX_RANGE_EXCL) {
			int x = __atomic_fetch_add(&sh[u].excl, 1,
						   __ATOMIC_SEQ_CST);
			int s = __atomic_load_n(&sh[u].shared,
						__ATOMIC_SEQ_CST);

			if (x || s)
				model_error(m, "dom %u unit %llu: exclusive with %d excl %d shared",
					    dom_index(m, d), u, x, s);
		} else {
			int x;

			__atomic_fetch_add(&sh[u].shared, 1, __ATOMIC_SEQ_CST);
			x = __atomic_load_n(&sh[u].excl, __ATOMIC_SEQ_CST);
			if (x)
				model_error(m, "dom %u unit %llu: shared with %d excl",
					    dom_index(m, d), u, x);
		}
	}
}

static void shadow_drop(struct model *m, struct btrfsx_range_domain *d,
			u64 start, u64 end, enum btrfsx_range_mode mode)
{
	struct shadow *sh = m->shadow[dom_index(m, d)];
	u64 u;

	for (u = start; u <= end; u++) {
		if (mode == BTRFSX_RANGE_EXCL)
			__atomic_fetch_sub(&sh[u].excl, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_sub(&sh[u].shared, 1, __ATOMIC_SEQ_CST);
	}
}

static void check_held(struct model *m, struct btrfsx_range_req *req)
{
	if (!btrfsx_range_req_held(req))
		model_error(m, "granted [%llu,%llu] mode %d not held",
			    req->start, req->end, req->mode);
}

static struct btrfsx_range_req *pool_get(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < POOL; i++) {
		if (!w->busy[i]) {
			w->busy[i] = true;
			return &w->pool[i];
		}
	}
	abort();
}

static void pool_put(struct worker *w, struct btrfsx_range_req *req)
{
	w->busy[req - w->pool] = false;
}

static void pick_range(struct worker *w, unsigned int di, u64 *start,
		       u64 *end)
{
	u64 units = w->m->units[di];
	u64 len = pct(w) < 75 ? 1 + rnd(w) % 4 : 1 + rnd(w) % w->m->cfg->max_len;

	*start = rnd(w) % units;
	*end = *start + len - 1;
	if (*end >= units)
		*end = units - 1;
}

static void hold(struct worker *w)
{
	unsigned int p = pct(w);

	if (p < 50)
		return;
	if (p < 90)
		sched_yield();
	else
		sleep_us(rnd(w) % 100);
}

static void op_begin(struct worker *w)
{
	__atomic_store_n(&w->op_start, now_ns(), __ATOMIC_RELEASE);
}

static void op_end(struct worker *w)
{
	__atomic_store_n(&w->op_start, 0, __ATOMIC_RELEASE);
}

static void do_single(struct worker *w, bool trylock)
{
	struct model *m = w->m;
	struct btrfsx_range_req *req = pool_get(w);
	unsigned int di = rnd(w) % m->nr_doms;
	enum btrfsx_range_mode mode = pct(w) < m->cfg->pct_excl ?
		BTRFSX_RANGE_EXCL : BTRFSX_RANGE_SHARED;
	enum btrfsx_range_caller caller = w->id % BTRFSX_RANGE_NR_CALLERS;
	u64 start, end;
	int ret;

	pick_range(w, di, &start, &end);
	op_begin(w);
	if (trylock)
		ret = btrfsx_range_trylock(&m->doms[di], start, end, mode,
					   caller, req) ? 0 : -EAGAIN;
	else
		ret = btrfsx_range_lock(&m->doms[di], start, end, mode,
					caller, req);
	op_end(w);
	if (ret == -EAGAIN) {
		w->try_failed++;
	} else if (ret == -EINTR) {
		w->eintr++;
	} else if (ret) {
		model_error(m, "lock returned %d", ret);
	}
	if (ret) {
		if (btrfsx_range_req_held(req))
			model_error(m, "failed lock %d left the request held",
				    ret);
		pool_put(w, req);
		return;
	}
	w->acquired++;
	shadow_take(m, &m->doms[di], start, end, mode);
	check_held(m, req);
	hold(w);
	shadow_drop(m, &m->doms[di], start, end, mode);
	btrfsx_range_unlock(req);
	pool_put(w, req);
}

static void do_multi(struct worker *w)
{
	struct model *m = w->m;
	struct btrfsx_range_req *reqs[3];
	unsigned int nr = 0, want = 2 + rnd(w) % 2, tries, i;
	int ret;

	for (tries = 0; nr < want && tries < 8; tries++) {
		unsigned int di = rnd(w) % m->nr_doms;
		u64 start, end;
		bool clash = false;

		pick_range(w, di, &start, &end);
		for (i = 0; i < nr; i++) {
			if (reqs[i]->dom == &m->doms[di] &&
			    start <= reqs[i]->end && reqs[i]->start <= end)
				clash = true;
		}
		if (clash)
			continue;
		reqs[nr] = pool_get(w);
		btrfsx_range_req_init(reqs[nr++], &m->doms[di], start, end,
				      pct(w) < m->cfg->pct_excl ?
				      BTRFSX_RANGE_EXCL : BTRFSX_RANGE_SHARED,
				      w->id % BTRFSX_RANGE_NR_CALLERS);
	}
	w->multis++;
	op_begin(w);
	ret = btrfsx_range_lock_multi(reqs, nr);
	op_end(w);
	if (ret == -EINTR) {
		w->eintr++;
		w->multi_eintr_members += nr;
	} else if (ret) {
		model_error(m, "lock_multi returned %d", ret);
	} else {
		w->acquired += nr;
		for (i = 0; i < nr; i++) {
			shadow_take(m, reqs[i]->dom, reqs[i]->start,
				    reqs[i]->end, reqs[i]->mode);
			check_held(m, reqs[i]);
		}
		hold(w);
		for (i = 0; i < nr; i++)
			shadow_drop(m, reqs[i]->dom, reqs[i]->start,
				    reqs[i]->end, reqs[i]->mode);
		btrfsx_range_unlock_multi(reqs, nr);
	}
	for (i = 0; i < nr; i++) {
		if (btrfsx_range_req_held(reqs[i]))
			model_error(m, "request still held after multi");
		pool_put(w, reqs[i]);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct model *m = w->m;

	__atomic_store_n(&w->task, current, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		unsigned int p = pct(w);

		if (p < m->cfg->pct_multi)
			do_multi(w);
		else if (p < m->cfg->pct_multi + m->cfg->pct_try)
			do_single(w, true);
		else
			do_single(w, false);
		w->ops++;
		shim_clear_kill(current);
		if (shim_lockdep_depth())
			model_error(m, "worker %u holds %d lockdep maps between ops",
				    w->id, shim_lockdep_depth());
	}
	__atomic_fetch_add(&m->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *killer_main(void *arg)
{
	struct model *m = arg;
	struct worker *workers = m->workers;
	unsigned int nr = m->nr_workers;
	u64 x = 12345;

	while (!__atomic_load_n(&m->stop_killer, __ATOMIC_ACQUIRE)) {
		struct task_struct *task;

		sleep_us(2000);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		task = __atomic_load_n(&workers[(x >> 33) % nr].task,
				       __ATOMIC_ACQUIRE);
		if (task)
			shim_kill(task);
	}
	return NULL;
}

static void *checker_main(void *arg)
{
	struct model *m = arg;
	unsigned int i;

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < m->nr_doms; i++) {
			int errors = check_domain(&m->doms[i]);

			if (errors)
				model_error(m, "domain %u inconsistent (%d problems)",
					    i, errors);
		}
		m->checks++;
		sleep_us(300);
	}
	return NULL;
}

static u64 env_u64(const char *name, u64 def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static void run_model(const struct model_cfg *cfg, unsigned int salt)
{
	static struct worker workers[MAX_WORKERS];
	struct model *m = calloc(1, sizeof(*m));
	u64 seed = env_u64("SEED", now_ns() ^ (u64)getpid() << 20);
	unsigned int threads = env_u64("THREADS", cfg->threads);
	u64 duration = env_u64("DURATION_MS", cfg->duration_ms) * 1000000ULL;
	u64 watchdog = env_u64("WATCHDOG_MS", 20000) * 1000000ULL;
	struct btrfsx_range_cpu_stats sum;
	unsigned long acquired = 0, try_failed = 0, eintr = 0, ops = 0;
	unsigned long multis = 0, slack = 0;
	unsigned long long st_acq = 0, st_fail = 0, st_cont = 0;
	pthread_t killer, checker;
	unsigned int i, j, c;
	u64 deadline, u;

	if (threads < 1 || threads > MAX_WORKERS)
		threads = cfg->threads;
	printf("# %s: SEED=%llu THREADS=%u DURATION_MS=%llu\n", cfg->name,
	       (unsigned long long)seed, threads,
	       (unsigned long long)(duration / 1000000));
	m->cfg = cfg;
	m->stats = btrfsx_range_stats_alloc();
	for (i = 0; i < cfg->nr_files; i++) {
		btrfsx_range_domain_init_file(&m->doms[i], 100 - i, m->stats);
		m->units[i] = cfg->file_units;
	}
	CHECK_EQ(btrfsx_range_domain_init_disk(&m->doms[i], cfg->disk_shift,
					       cfg->disk_shards, m->stats), 0);
	m->units[i] = cfg->disk_units;
	m->nr_doms = i + 1;
	for (i = 0; i < m->nr_doms; i++)
		m->shadow[i] = calloc(m->units[i], sizeof(struct shadow));

	memset(workers, 0, sizeof(workers));
	for (i = 0; i < threads; i++) {
		workers[i].m = m;
		workers[i].id = i;
		workers[i].rng = seed * 0x100000001b3ULL + salt * 7919 + i;
	}
	for (i = 0; i < threads; i++)
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	m->workers = workers;
	m->nr_workers = threads;
	pthread_create(&killer, NULL, killer_main, m);
	pthread_create(&checker, NULL, checker_main, m);

	/* Until every worker is back: stop them at the deadline, watch them. */
	deadline = now_ns() + duration;
	while (__atomic_load_n(&m->finished, __ATOMIC_ACQUIRE) < threads) {
		sleep_us(20000);
		if (now_ns() >= deadline &&
		    !__atomic_load_n(&m->stop_killer, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&m->stop_killer, 1, __ATOMIC_RELEASE);
			pthread_join(killer, NULL);
			__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
		}
		for (i = 0; i < threads; i++) {
			u64 t = __atomic_load_n(&workers[i].op_start,
						__ATOMIC_ACQUIRE);

			if (!t || now_ns() - t < watchdog)
				continue;
			printf("# watchdog: worker %u stuck in a lock call for %llu ms (lost wake-up or deadlock)\n",
			       i, (unsigned long long)((now_ns() - t) / 1000000));
			for (j = 0; j < m->nr_doms; j++) {
				printf("# domain %u:\n", j);
				dump_domain(&m->doms[j]);
			}
			printf("Bail out! watchdog, SEED=%llu\n",
			       (unsigned long long)seed);
			fflush(stdout);
			_exit(1);
		}
	}
	if (!__atomic_load_n(&m->stop_killer, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&m->stop_killer, 1, __ATOMIC_RELEASE);
		pthread_join(killer, NULL);
	}
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < threads; i++)
		pthread_join(workers[i].thread, NULL);
	pthread_join(checker, NULL);

	for (i = 0; i < m->nr_doms; i++) {
		CHECK_EQ(check_domain(&m->doms[i]), 0);
		CHECK(domain_empty(&m->doms[i]));
		for (u = 0; u < m->units[i]; u++) {
			if (m->shadow[i][u].excl || m->shadow[i][u].shared) {
				test_fail(__FILE__, __LINE__, "shadow unit %llu of domain %u not free",
					  u, i);
				break;
			}
		}
	}
	for (i = 0; i < threads; i++) {
		acquired += workers[i].acquired;
		try_failed += workers[i].try_failed;
		eintr += workers[i].eintr;
		ops += workers[i].ops;
		multis += workers[i].multis;
		slack += workers[i].multi_eintr_members;
	}
	for (c = 0; c < BTRFSX_RANGE_NR_CLASSES; c++) {
		for (j = 0; j < BTRFSX_RANGE_NR_CALLERS; j++) {
			btrfsx_range_stats_sum(m->stats, c, j, &sum);
			st_acq += sum.acquired;
			st_fail += sum.trylock_failed;
			st_cont += sum.contended;
		}
	}
	/* A multi-lock killed midway counted the groups it had been granted. */
	CHECK(st_acq >= acquired && st_acq <= acquired + slack);
	CHECK_EQ(st_fail, try_failed);
	CHECK(st_cont <= st_acq);
	printf("# %lu ops: %lu acquired (%llu contended), %lu trylock failed, %lu -EINTR, %lu multi, %lu checks\n",
	       ops, acquired, st_cont, try_failed, eintr, multis,
	       m->checks);
	if (m->errors)
		printf("# reproduce the choices with SEED=%llu\n",
		       (unsigned long long)seed);
	CHECK(ops > threads);

	for (i = 0; i < m->nr_doms; i++) {
		btrfsx_range_domain_destroy(&m->doms[i]);
		free(m->shadow[i]);
	}
	btrfsx_range_stats_free(m->stats);
	free(m);
}

static const struct model_cfg mixed = {
	.name = "model: FILE+DISK, multi, kills",
	.nr_files = 3, .file_units = 64,
	.disk_shift = 3, .disk_shards = 4, .disk_units = 128,
	.max_len = 24, .pct_try = 20, .pct_multi = 20,
	.pct_excl = 45, .threads = 6, .duration_ms = 4000,
};

static const struct model_cfg hot = {
	.name = "model: hot spot, tiny ranges, DISK spans every shard",
	.nr_files = 1, .file_units = 12,
	.disk_shift = 0, .disk_shards = 8, .disk_units = 20,
	.max_len = 12, .pct_try = 25, .pct_multi = 15,
	.pct_excl = 50, .threads = 8, .duration_ms = 3000,
};

static void test_model_mixed(void)
{
	run_model(&mixed, 1);
}

static void test_model_hot(void)
{
	run_model(&hot, 2);
}

const struct test model_tests[] = {
	{ "model: FILE+DISK, multi, kills", test_model_mixed },
	{ "model: hot spot, tiny ranges, DISK spans every shard", test_model_hot },
};

const unsigned int nr_model_tests = ARRAY_SIZE(model_tests);
