// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node concurrency selftests (issue #6): multi-threaded and
 * multi-process targets whose pages the module evicts and promotes while
 * they use them must not lose a single write.
 *
 * Every case runs with the balancing worker on (debugfs pause=0),
 * remote_pct=50 and latency_ns=0 unless it varies them, THP off, and the
 * test process (and the children it forks) registered as targets.  Lost
 * writes are detected by construction: each thread owns words that no one
 * else writes (the shared-words workload: thread t owns the 8-byte word t of
 * every page of a shared buffer), and each sweep checks that every word it
 * owns still holds what it last wrote before writing the next value.  A
 * final pass checks every byte.  Each case also checks that evictions and
 * promotions did happen in bulk while it ran (it cannot pass on an idle
 * module) and that the kernel log stayed clean.
 *
 * A case runs DN_CONC_SECONDS seconds (default 20); unload_under_load runs
 * DN_CONC_CYCLES load/unload cycles (default 20, more for a long
 * DN_CONC_SECONDS).  Timeouts scale with both, and are multiplied by
 * DN_CONC_TIMEOUT_SCALE (default 1; a slow debug kernel sets it): a
 * timeout known only at run time, which each fixture's setup arms itself
 * (dn_conc_deadline()), kselftest_harness.h's being a compile-time
 * constant.
 * DN_CONC_ONLY="case ..."
 * runs only the cases named (the others skip).  Each case prints one
 * "DN-CONC case=..." line of figures that scripts/soak.sh adds up.
 *
 * Needs the normal test machine (memmap= reservation, empty possible node)
 * with 4 vCPUs for real concurrency (runs with fewer), and the module's
 * debugfs; skips otherwise.
 */
#include "kselftest_harness.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "dn_env.h"
#include "dn_harness.h"
#include "dn_kmsg.h"
#include "dn_mem.h"
#include "dn_module.h"

#define DN_CONC_SECONDS		20	/* default case length */
#define DN_CONC_CYCLES		20	/* default unload cycles */

/* The shared-words workload of issue #6: 4 threads x 16 MiB. */
#define DN_WORDS_PAGES		4096L
#define DN_WORDS_THREADS	4
#define DN_MAX_SWEEPERS		8
#define DN_LOST_LOG		4	/* lost writes described per thread */

/*
 * Pages a case must have seen evicted, and promoted, at the least: a
 * quarter of the pages of the smallest workload, far above noise and far
 * below what any run does (the first balancing pass alone evicts half of
 * the pages; each sweep then promotes the remote half back).
 */
#define DN_MIN_MOVES		512

/* Seeds of the fixed data patterns: arbitrary. */
#define DN_SEED			0xc0c0a5eedULL
#define DN_SEED_CHILD		0x5eedc4f1dULL

/* Length of a timed case, in seconds. */
static long dn_conc_seconds(void)
{
	return dn_env_long("DN_CONC_SECONDS", DN_CONC_SECONDS, 1, 86400);
}

/* DN_CONC_TIMEOUT_SCALE: 1, or more on a slow (debug) kernel. */
static double dn_conc_timeout_scale(void)
{
	const char *v = getenv("DN_CONC_TIMEOUT_SCALE");

	return v && atof(v) >= 1 ? atof(v) : 1.0;
}

/*
 * How long to wait for a target child beyond its run: 60 s for its final
 * verification (every remote page traps once), scaled like the timeouts.
 */
static long dn_conc_reap_ms(long run_seconds)
{
	return (long)((run_seconds + 60) * 1000 * dn_conc_timeout_scale());
}

/* Load/unload cycles of unload_under_load: 20, or more in proportion to a long run. */
static long dn_conc_cycles(void)
{
	long def = DN_CONC_CYCLES * dn_conc_seconds() / DN_CONC_SECONDS;

	if (def < DN_CONC_CYCLES)
		def = DN_CONC_CYCLES;
	return dn_env_long("DN_CONC_CYCLES", def, 1, 100000);
}

/*
 * Timeouts.  A case's, in seconds, is set for 30 s cases and 20 cycles
 * (DN_CONC_CASE_S, DN_CYCLE_CASE_S), scaled to DN_CONC_SECONDS and
 * DN_CONC_CYCLES, times DN_CONC_TIMEOUT_SCALE, and armed by the fixture's
 * setup (dn_deadline_arm(): the test and what it forked are killed, as the
 * harness does at its timeout, and the case fails).  The harness's own
 * timeout (TEST_F_TIMEOUT's, a compile-time constant) is set out of the
 * way: the largest alarm() takes.
 */
#define DN_CONC_CASE_S		150
#define DN_CYCLE_CASE_S		300
#define DN_HARNESS_TIMEOUT_OFF	INT_MAX

static void dn_conc_deadline(const char *name, long base_s)
{
	long secs = dn_conc_seconds(), cycles = dn_conc_cycles();
	double k = 1.0, t;

	if (secs > DN_CONC_SECONDS)
		k = (double)secs / DN_CONC_SECONDS;
	if ((double)cycles / DN_CONC_CYCLES > k)
		k = (double)cycles / DN_CONC_CYCLES;
	k *= dn_conc_timeout_scale();
	t = base_s * k + 0.5;
	dn_deadline_arm(name, t < INT_MAX / 2 ? (unsigned int)t : INT_MAX / 2);
}

/* An 8-byte word's value for owner id after sweep seq: a new one at each sweep. */
static uint64_t dn_word_val(unsigned int id, uint64_t seq, long page)
{
	return ((seq + 1) * 0x9e3779b97f4a7c15ULL) ^
	       ((uint64_t)page * 0xbf58476d1ce4e5b9ULL) ^ ((uint64_t)id << 58);
}

/* The shared-words workload */

/* One write that a thread did not read back: what it read instead. */
struct dn_lost {
	long page;
	uint64_t seq;		/* the thread expected its write of sweep seq */
	uint64_t got;
};

struct dn_words;

struct dn_sweeper {
	pthread_t thread;
	struct dn_words *w;
	unsigned int id;	/* owns word id of every page */
	uint64_t seq;		/* sweeps done: each owned word holds dn_word_val(id, seq, page) */
	long lost;
	long long checked;	/* words read back */
	int nlog;
	struct dn_lost log[DN_LOST_LOG];
};

/*
 * Thread t owns word t of every page of buf; every other word holds the
 * dn_fill() pattern for seed and is never written.
 */
struct dn_words {
	uint64_t *buf;
	long npages;
	int nthreads;
	int created;
	int stop;
	uint64_t seed;
	long *lost_live;	/* if set, also counts lost writes as they happen */
	struct dn_sweeper th[DN_MAX_SWEEPERS];
};

static void dn_words_init(struct dn_words *w, void *buf, long npages,
			  int nthreads, uint64_t seed)
{
	long p;
	int t;

	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->npages = npages;
	w->nthreads = nthreads;
	w->seed = seed;
	dn_fill(buf, npages * DN_PAGE, seed);
	for (t = 0; t < nthreads; t++) {
		w->th[t].w = w;
		w->th[t].id = t;
		for (p = 0; p < npages; p++)
			w->buf[p * DN_PAGE_WORDS + t] = dn_word_val(t, 0, p);
	}
}

static void dn_lost_record(struct dn_sweeper *s, long page, uint64_t got)
{
	s->lost++;
	if (s->w->lost_live)
		__atomic_add_fetch(s->w->lost_live, 1, __ATOMIC_RELAXED);
	if (s->nlog < DN_LOST_LOG)
		s->log[s->nlog++] = (struct dn_lost){ page, s->seq, got };
}

/* Each sweep: every owned word must hold the last value written; write the next. */
static void *dn_sweep_thread(void *arg)
{
	struct dn_sweeper *s = arg;
	struct dn_words *w = s->w;
	volatile uint64_t *x;
	uint64_t got;
	long p;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		for (p = 0; p < w->npages; p++) {
			x = (volatile uint64_t *)w->buf + p * DN_PAGE_WORDS + s->id;
			got = *x;
			if (got != dn_word_val(s->id, s->seq, p))
				dn_lost_record(s, p, got);
			*x = dn_word_val(s->id, s->seq + 1, p);
		}
		/* Read by dn_words_swept() from another thread. */
		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
		s->checked += w->npages;
	}
	return NULL;
}

/* Start the sweepers; returns how many started (all, or an error). */
static int dn_words_start(struct dn_words *w)
{
	int t;

	for (t = 0; t < w->nthreads; t++) {
		if (pthread_create(&w->th[t].thread, NULL, dn_sweep_thread,
				   &w->th[t]))
			break;
		w->created++;
	}
	return w->created;
}

static void dn_words_stop(struct dn_words *w)
{
	int t;

	__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
	for (t = 0; t < w->created; t++)
		pthread_join(w->th[t].thread, NULL);
	w->created = 0;
}

/* Words of the whole buffer that do not hold what they must (threads stopped). */
static long dn_words_verify(struct dn_words *w)
{
	long p, i, bad = 0;
	uint64_t *x;

	for (p = 0; p < w->npages; p++) {
		x = w->buf + p * DN_PAGE_WORDS;
		for (i = 0; i < (long)DN_PAGE_WORDS; i++) {
			uint64_t want = i < w->nthreads ?
				dn_word_val(i, w->th[i].seq, p) :
				dn_pattern(p * DN_PAGE_WORDS + i, w->seed);

			if (x[i] != want)
				bad++;
		}
	}
	return bad;
}

static long dn_words_lost(const struct dn_words *w)
{
	long lost = 0;
	int t;

	for (t = 0; t < w->nthreads; t++)
		lost += w->th[t].lost;
	return lost;
}

/* Bytes read back by the sweeps. */
static long long dn_words_bytes(const struct dn_words *w)
{
	long long n = 0;
	int t;

	for (t = 0; t < w->nthreads; t++)
		n += w->th[t].checked * sizeof(uint64_t);
	return n;
}

/* Has every sweeper done @n sweeps more than @seq[] (its count then)? */
static bool dn_words_swept(const struct dn_words *w, const uint64_t *seq,
			   uint64_t n)
{
	int t;

	for (t = 0; t < w->nthreads; t++)
		if (__atomic_load_n(&w->th[t].seq, __ATOMIC_RELAXED) < seq[t] + n)
			return false;
	return true;
}

static long long dn_words_sweeps(const struct dn_words *w)
{
	long long n = 0;
	int t;

	for (t = 0; t < w->nthreads; t++)
		n += w->th[t].seq;
	return n;
}

/* The inverse of an odd number modulo 2^64 (Newton's iteration). */
static uint64_t dn_inverse(uint64_t a)
{
	uint64_t x = a;
	int i;

	for (i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

/*
 * What a thread read instead of its last write: one of its older writes,
 * a write of another thread or to another page (at any sweep up to this
 * one), the fill pattern of some word, or none of these.
 */
static void dn_lost_describe(const struct dn_words *w, const struct dn_lost *l,
			     unsigned int id, char *buf, size_t len)
{
	uint64_t k, page, word, inv_b = dn_inverse(0xbf58476d1ce4e5b9ULL);
	int t;

	for (k = 1; k <= l->seq; k++) {
		if (l->got == dn_word_val(id, l->seq - k, l->page)) {
			snprintf(buf, len, "its write of %llu sweep(s) before",
				 (unsigned long long)k);
			return;
		}
	}
	/* dn_word_val() solved for the page, for each owner and sweep. */
	for (t = 0; t < w->nthreads; t++) {
		for (k = 0; k <= l->seq + 1; k++) {
			page = (l->got ^ ((k + 1) * 0x9e3779b97f4a7c15ULL) ^
				((uint64_t)t << 58)) * inv_b;
			if (page < (uint64_t)w->npages &&
			    (page != (uint64_t)l->page || t != (int)id)) {
				snprintf(buf, len, "thread %d's write of sweep %llu to page %llu",
					 t, (unsigned long long)k,
					 (unsigned long long)page);
				return;
			}
		}
	}
	word = (l->got ^ w->seed) * dn_inverse(0x9e3779b97f4a7c15ULL);
	if (word < (uint64_t)w->npages * DN_PAGE_WORDS)
		snprintf(buf, len, "the fill pattern of page %llu word %llu",
			 (unsigned long long)(word / DN_PAGE_WORDS),
			 (unsigned long long)(word % DN_PAGE_WORDS));
	else
		snprintf(buf, len, "%#llx, none of the buffer's values",
			 (unsigned long long)l->got);
}

static void dn_words_log_lost(struct __test_metadata *_metadata,
			      const struct dn_words *w, const char *who)
{
	char what[96];
	int t, i;

	for (t = 0; t < w->nthreads; t++) {
		const struct dn_sweeper *s = &w->th[t];

		for (i = 0; i < s->nlog; i++) {
			dn_lost_describe(w, &s->log[i], t, what, sizeof(what));
			TH_LOG("%s: LOST WRITE: thread %d page %ld (of %ld) at sweep %llu read %s",
			       who, t, s->log[i].page, w->npages,
			       (unsigned long long)s->log[i].seq, what);
		}
	}
}

/* The first lost write of the lowest thread that lost one, described; "" if none. */
static void dn_words_first_lost(const struct dn_words *w, char *buf, size_t len)
{
	char what[96];
	int t;

	buf[0] = '\0';
	for (t = 0; t < w->nthreads; t++) {
		if (!w->th[t].nlog)
			continue;
		dn_lost_describe(w, &w->th[t].log[0], t, what, sizeof(what));
		snprintf(buf, len, "thread %d page %ld sweep %llu read %s", t,
			 w->th[t].log[0].page,
			 (unsigned long long)w->th[t].log[0].seq, what);
		return;
	}
}

/* Counters and the per-case report */

struct dn_figures {
	long long bytes;	/* bytes verified: sweeps' read-backs and final checks */
	long lost;		/* writes not read back */
	long bad;		/* bad words (or bytes) in final checks */
	long errors;		/* every other failure: syscalls, children, counts */
};

/* The case's figures on one line (for soak.sh) and its activity checks. */
static void dn_report(struct __test_metadata *_metadata, const char *name,
		      const struct dn_counters *a, const struct dn_counters *b,
		      long long wall_ns, const struct dn_figures *f)
{
	TH_LOG("DN-CONC case=%s seconds=%.1f migrations=%lld traps=%lld promotions=%lld evictions=%lld exchanges=%lld homecomings=%lld promotion_failures=%lld bytes_verified=%lld lost=%ld bad=%ld errors=%ld",
	       name, wall_ns / 1e9, dn_counters_moved(a, b),
	       b->remote_faults - a->remote_faults,
	       b->promotions - a->promotions, b->evictions - a->evictions,
	       b->exchanges - a->exchanges, b->homecomings - a->homecomings,
	       b->promotion_failures - a->promotion_failures,
	       f->bytes, f->lost, f->bad, f->errors);
	EXPECT_EQ(0, f->lost);
	EXPECT_EQ(0, f->bad);
	EXPECT_EQ(0, f->errors);
	/*
	 * Not vacuous: pages went both ways in bulk (to the node by the
	 * worker's evictions and the fault path's exchanges).
	 */
	EXPECT_LE(DN_MIN_MOVES, b->evictions - a->evictions +
				b->exchanges - a->exchanges);
	EXPECT_LE(DN_MIN_MOVES, b->promotions - a->promotions);
	EXPECT_LE(b->promotions - a->promotions,
		  b->remote_faults - a->remote_faults);
}

/* The fixture: module loaded, worker on, remote_pct 50, this process a target */

FIXTURE(conc) {
	bool loaded;	/* module loaded by setup: teardown unloads it */
	bool ready;	/* setup completed (the 6.1 harness runs a skipped test's body) */
	int nid;	/* the remote node */
	int kmsg;	/* /dev/kmsg reader positioned at setup */
	long seconds;	/* case length */
	struct dn_counters before;
	long long t0;
};

/* The worker on, remote_pct 50, latency 0, THP off, this process a target. */
static const struct dn_setup dn_conc_setup = {
	.args = "", .debugfs = true, .pause = 0, .remote_pct = 50,
	.latency_ns = 0, .thp_off = true, .target = true,
};

FIXTURE_SETUP(conc)
{
	self->kmsg = -1;
	if (!dn_only("DN_CONC_ONLY", _metadata->name, NULL))
		SKIP(return, "not in DN_CONC_ONLY");
	dn_conc_deadline(_metadata->name, DN_CONC_CASE_S);
	if (!dn_configured())
		SKIP(return, "machine booted without memmap=: no remote node");
	/* From before the load: a problem in the load counts too. */
	self->kmsg = dn_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	if (!dn_setup_module(_metadata, &dn_conc_setup, &self->loaded,
			     &self->nid))
		return;
	self->seconds = dn_conc_seconds();
	if (dn_counters_read(&self->before)) {
		dn_unload();
		self->loaded = false;
		ASSERT_TRUE(false) {
			TH_LOG("setup: reading stats failed");
		}
	}
	self->t0 = dn_now_ns();
	self->ready = true;
}

FIXTURE_TEARDOWN(conc)
{
	char first[512];
	long n;

	if (self->kmsg >= 0) {
		n = dn_kmsg_problems(self->kmsg, first, sizeof(first));
		EXPECT_EQ(0, n) {
			TH_LOG("%ld kernel log records show a problem; first: %s",
			       n, first);
		}
		close(self->kmsg);
	}
	/* A page-table walk the kernel refused (stats/walk_errors). */
	if (self->loaded && dn_loaded())
		EXPECT_EQ(0, dn_stat("walk_errors"));
	if (self->loaded && dn_loaded())
		EXPECT_EQ(0, dn_unload());
}

/* Counters now, and the case's figures against setup's. */
#define DN_REPORT(name, f) do {						\
	struct dn_counters __after;					\
									\
	ASSERT_EQ(0, dn_counters_read(&__after));			\
	dn_report(_metadata, name, &self->before, &__after,		\
		  dn_now_ns() - self->t0, f);				\
} while (0)

/*
 * The repro of issue #6: 4 threads, each owning one word of every page of
 * a shared 16 MiB buffer, sweep it while the worker holds it at 50 %
 * remote: no lost write, every byte right at the end.
 */
TEST_F_TIMEOUT(conc, threads_shared_words, DN_HARNESS_TIMEOUT_OFF)
{
	size_t len = DN_WORDS_PAGES * DN_PAGE;
	struct dn_figures f = { 0 };
	struct dn_words w;
	long long end;
	char *p;

	DN_NEED_SETUP();
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	dn_words_init(&w, p, DN_WORDS_PAGES, DN_WORDS_THREADS, DN_SEED);
	end = dn_now_ns() + self->seconds * 1000000000LL;
	if (dn_words_start(&w) != DN_WORDS_THREADS)
		f.errors++;
	while (!f.errors && dn_now_ns() < end)
		dn_sleep_ms(100);
	dn_words_stop(&w);

	f.lost = dn_words_lost(&w);
	f.bad = dn_words_verify(&w);
	f.bytes = dn_words_bytes(&w) + len;
	dn_words_log_lost(_metadata, &w, "threads");
	TH_LOG("threads: %lld sweeps of %ld pages by %d threads",
	       dn_words_sweeps(&w), DN_WORDS_PAGES, DN_WORDS_THREADS);
	DN_REPORT("threads_shared_words", &f);
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* Exit status of a reaped child, as text. */
static const char *dn_status_str(int ret, int status, char *buf, size_t len)
{
	if (ret == -ETIMEDOUT)
		snprintf(buf, len, "hung (killed after the timeout)");
	else if (ret)
		snprintf(buf, len, "not reaped (%s)", strerror(-ret));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	return buf;
}

/*
 * The threads of a hung process: state and the top of each kernel stack,
 * to tell a thread stuck in the kernel from a deadlock in user space.
 */
static void dn_dump_tasks(struct __test_metadata *_metadata, pid_t pid)
{
	char path[320], stat[512], stack[1024], *c, *q;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid,
			 de->d_name);
		if (dn_read_file(path, stat, sizeof(stat)) < 0)
			continue;
		c = strrchr(stat, ')');
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid,
			 de->d_name);
		if (dn_read_file(path, stack, sizeof(stack)) < 0)
			stack[0] = '\0';
		for (q = stack; *q; q++)
			if (*q == '\n')
				*q = ' ';
		TH_LOG("hung pid %d, thread %s: state %c, kernel stack: %.600s",
		       (int)pid, de->d_name, c && c[1] ? c[2] : '?', stack);
	}
	closedir(d);
}

/* dn_reap(), and a child still running at the timeout gets its threads logged first. */
static int dn_reap_logged(struct __test_metadata *_metadata, pid_t pid,
			  long timeout_ms, int *status)
{
	int ret = dn_wait_child(pid, timeout_ms, status);

	if (ret != -ETIMEDOUT)
		return ret;
	dn_dump_tasks(_metadata, pid);
	return dn_reap(pid, 0, status);
}

/* pthread_sync */

#define DN_SYNC_WORKERS		4
#define DN_SYNC_THREADS		(DN_SYNC_WORKERS + 2)	/* + producer, consumer */
#define DN_SYNC_INCS		2000	/* slot increments per worker per round */
#define DN_SYNC_HOT_EVERY	8	/* and one on the hot counter every 8 */
#define DN_SYNC_SLOTS		64	/* mutex + counter pages, picked at random */
#define DN_SYNC_HOT_INCS	((DN_SYNC_INCS + DN_SYNC_HOT_EVERY - 1) / DN_SYNC_HOT_EVERY)
#define DN_SYNC_ITEMS		2000	/* producer -> consumer items per round */
#define DN_SYNC_RING		8
#define DN_SYNC_STACK		(128 * 1024)
#define DN_SYNC_STACK_WORDS	256	/* checked words on each thread's stack */

/*
 * The synchronisation state, one part per page, in a mapping of its own that
 * the child's evictor thread keeps pushing to the remote node: the futex
 * words of the mutexes and condition variables and the data they protect
 * trap all the time.  The slots, each a mutex and the counter it protects
 * in a page of its own, are cold between uses, so the balancing worker
 * evicts them too.
 */
struct dn_sync {
	struct {
		pthread_mutex_t m;	/* protects go, count, per */
		pthread_cond_t go_cv;
		int go;			/* round the threads may start */
	} __attribute__((aligned(4096))) gate;
	struct {
		long count;
		long per[DN_SYNC_WORKERS];
	} __attribute__((aligned(4096))) cnt;
	struct {
		pthread_mutex_t m;	/* protects head, tail, ring */
		pthread_cond_t not_full, not_empty;
		unsigned long head, tail;
	} __attribute__((aligned(4096))) q;
	struct {
		uint64_t slot[DN_SYNC_RING];
	} __attribute__((aligned(4096))) ring;
	struct {
		pthread_mutex_t m;	/* protects count */
		long count;
	} __attribute__((aligned(4096))) slot[DN_SYNC_SLOTS];
};

/* What the child did, in a shared page the parent reads after reaping it. */
struct dn_sync_res {
	struct dn_sync *sync;	/* its address in the child, for dn_sync_dump() */
	long rounds;
	long long lock_ops;
	long long items;
	long long evict_moved;
	long evict_errors;
	long count_errors;	/* mutex-protected counts not exact */
	long order_errors;	/* items lost, duplicated or out of order */
	long stack_errors;	/* a thread's stack words changed */
	long create_errors;	/* pthread_create/join failed */
};

struct dn_sync_arg {
	struct dn_sync *s;
	int id;			/* 0..WORKERS-1 workers, then producer, consumer */
	int round;
	long stack_bad;		/* checks of its stack words that failed */
	long order_bad;		/* the consumer's items out of order */
	long tally[DN_SYNC_SLOTS];	/* a worker's increments of each slot */
};

static uint64_t dn_item(int round, unsigned long i)
{
	return ((uint64_t)round << 40) ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* Wait on the gate's condition variable for this round's start. */
static void dn_sync_wait_go(struct dn_sync *s, int round)
{
	pthread_mutex_lock(&s->gate.m);
	while (s->gate.go != round)
		pthread_cond_wait(&s->gate.go_cv, &s->gate.m);
	pthread_mutex_unlock(&s->gate.m);
}

static long dn_stack_check(const volatile uint64_t *v, uint64_t key)
{
	long i, bad = 0;

	for (i = 0; i < DN_SYNC_STACK_WORDS; i++)
		if (v[i] != (key ^ (i * 0xbf58476d1ce4e5b9ULL)))
			bad++;
	return bad;
}

/* A worker, the producer or the consumer; its stack words are checked as it goes. */
static void *dn_sync_thread(void *arg)
{
	struct dn_sync_arg *a = arg;
	struct dn_sync *s = a->s;
	volatile uint64_t mine[DN_SYNC_STACK_WORDS];
	uint64_t key = dn_item(a->round, a->id + 1);
	unsigned long i;
	long j;

	for (j = 0; j < DN_SYNC_STACK_WORDS; j++)
		mine[j] = key ^ (j * 0xbf58476d1ce4e5b9ULL);
	dn_sync_wait_go(s, a->round);
	if (a->id < DN_SYNC_WORKERS) {
		uint64_t rnd = key;

		for (i = 0; i < DN_SYNC_INCS; i++) {
			j = dn_lcg(&rnd) % DN_SYNC_SLOTS;
			pthread_mutex_lock(&s->slot[j].m);
			s->slot[j].count++;
			pthread_mutex_unlock(&s->slot[j].m);
			a->tally[j]++;
			if (i % DN_SYNC_HOT_EVERY == 0) {
				pthread_mutex_lock(&s->gate.m);
				s->cnt.count++;
				s->cnt.per[a->id]++;
				pthread_mutex_unlock(&s->gate.m);
			}
			if (i % 256 == 255)
				a->stack_bad += !!dn_stack_check(mine, key);
		}
	} else if (a->id == DN_SYNC_WORKERS) {	/* producer */
		for (i = 0; i < DN_SYNC_ITEMS; i++) {
			pthread_mutex_lock(&s->q.m);
			while (s->q.tail - s->q.head == DN_SYNC_RING)
				pthread_cond_wait(&s->q.not_full, &s->q.m);
			s->ring.slot[s->q.tail % DN_SYNC_RING] = dn_item(a->round, i);
			s->q.tail++;
			pthread_cond_signal(&s->q.not_empty);
			pthread_mutex_unlock(&s->q.m);
		}
	} else {				/* consumer: items in order, exactly */
		for (i = 0; i < DN_SYNC_ITEMS; i++) {
			uint64_t v;

			pthread_mutex_lock(&s->q.m);
			while (s->q.tail == s->q.head)
				pthread_cond_wait(&s->q.not_empty, &s->q.m);
			v = s->ring.slot[s->q.head % DN_SYNC_RING];
			s->q.head++;
			pthread_cond_signal(&s->q.not_full);
			pthread_mutex_unlock(&s->q.m);
			if (v != dn_item(a->round, i))
				a->order_bad++;
		}
	}
	a->stack_bad += !!dn_stack_check(mine, key);
	return (void *)(long)a->id;
}

struct dn_evictor {
	pthread_t thread;
	void *range[2];
	size_t len[2];
	int stop;
	long long moved;
	long errors;
	long calls;
};

/* Push the ranges to the remote node every few milliseconds (debugfs evict). */
static void *dn_evictor_thread(void *arg)
{
	struct dn_evictor *e = arg;
	long long m;
	int i;

	while (!__atomic_load_n(&e->stop, __ATOMIC_RELAXED)) {
		for (i = 0; i < 2; i++) {
			if (!e->range[i])
				continue;
			e->calls++;
			if (dn_evict(getpid(), e->range[i], e->len[i])) {
				e->errors++;
				continue;
			}
			m = dn_evict_moved();
			if (m > 0)
				e->moved += m;
		}
		dn_sleep_ms(2);
	}
	return NULL;
}

/*
 * The child of pthread_sync: rounds of 4 workers (random slots, and the
 * hot counter), a producer and a consumer, created with their stacks in an
 * evicted mapping and joined, until the deadline.  Exit status 0 if every
 * count was exact, 1 if not, 1x setup.
 */
static int dn_sync_child(struct dn_sync_res *r, long long end)
{
	size_t stacks_len = DN_SYNC_THREADS * DN_SYNC_STACK;
	struct dn_sync_arg args[DN_SYNC_THREADS];
	pthread_t th[DN_SYNC_THREADS];
	pthread_attr_t attr;
	struct dn_evictor ev;
	pthread_condattr_t ca;
	struct dn_sync *s;
	char *stacks;
	void *ret;
	int i, n, round;

	s = dn_map_guarded(sizeof(*s), -1);
	stacks = dn_map_guarded(stacks_len, -1);
	if (!s || !stacks)
		return 10;
	r->sync = s;
	if (dn_target_add(getpid()))
		return 11;
	for (i = 0; i < DN_SYNC_SLOTS; i++)
		if (pthread_mutex_init(&s->slot[i].m, NULL))
			return 12;
	if (pthread_mutex_init(&s->gate.m, NULL) ||
	    pthread_mutex_init(&s->q.m, NULL) || pthread_condattr_init(&ca) ||
	    pthread_cond_init(&s->gate.go_cv, &ca) ||
	    pthread_cond_init(&s->q.not_full, &ca) ||
	    pthread_cond_init(&s->q.not_empty, &ca))
		return 12;

	memset(&ev, 0, sizeof(ev));
	ev.range[0] = s;
	ev.len[0] = sizeof(*s);
	ev.range[1] = stacks;
	ev.len[1] = stacks_len;
	if (pthread_create(&ev.thread, NULL, dn_evictor_thread, &ev))
		return 13;

	for (round = 1; dn_now_ns() < end; round++) {
		pthread_mutex_lock(&s->gate.m);
		s->cnt.count = 0;
		memset(s->cnt.per, 0, sizeof(s->cnt.per));
		pthread_mutex_unlock(&s->gate.m);
		for (i = 0; i < DN_SYNC_SLOTS; i++)
			s->slot[i].count = 0;
		s->q.head = 0;
		s->q.tail = 0;
		for (n = 0; n < DN_SYNC_THREADS; n++) {
			memset(&args[n], 0, sizeof(args[n]));
			args[n].s = s;
			args[n].id = n;
			args[n].round = round;
			if (pthread_attr_init(&attr) ||
			    pthread_attr_setstack(&attr, stacks + n * DN_SYNC_STACK,
						  DN_SYNC_STACK) ||
			    pthread_create(&th[n], &attr, dn_sync_thread, &args[n])) {
				r->create_errors++;
				break;
			}
			pthread_attr_destroy(&attr);
		}
		pthread_mutex_lock(&s->gate.m);
		s->gate.go = round;
		pthread_cond_broadcast(&s->gate.go_cv);
		pthread_mutex_unlock(&s->gate.m);
		for (i = 0; i < n; i++) {
			if (pthread_join(th[i], &ret) || (long)ret != i)
				r->create_errors++;
			r->stack_errors += args[i].stack_bad;
			r->order_errors += args[i].order_bad;
		}
		if (n < DN_SYNC_THREADS)
			break;
		pthread_mutex_lock(&s->gate.m);
		if (s->cnt.count != DN_SYNC_WORKERS * DN_SYNC_HOT_INCS)
			r->count_errors++;
		for (i = 0; i < DN_SYNC_WORKERS; i++)
			if (s->cnt.per[i] != DN_SYNC_HOT_INCS)
				r->count_errors++;
		pthread_mutex_unlock(&s->gate.m);
		for (i = 0; i < DN_SYNC_SLOTS; i++) {
			long want = 0;

			for (n = 0; n < DN_SYNC_WORKERS; n++)
				want += args[n].tally[i];
			pthread_mutex_lock(&s->slot[i].m);
			if (s->slot[i].count != want)
				r->count_errors++;
			pthread_mutex_unlock(&s->slot[i].m);
		}
		if (s->q.head != DN_SYNC_ITEMS || s->q.tail != DN_SYNC_ITEMS)
			r->order_errors++;
		r->rounds++;
		r->lock_ops += DN_SYNC_WORKERS * (DN_SYNC_INCS + DN_SYNC_HOT_INCS) +
			       2 * DN_SYNC_ITEMS;
		r->items += DN_SYNC_ITEMS;
	}
	__atomic_store_n(&ev.stop, 1, __ATOMIC_RELAXED);
	pthread_join(ev.thread, NULL);
	r->evict_moved = ev.moved;
	r->evict_errors = ev.errors;
	return r->count_errors || r->order_errors || r->stack_errors ||
	       r->create_errors || r->evict_errors || !r->rounds;
}

/*
 * The synchronisation state of a hung pthread_sync child, read from its
 * memory: a mutex still locked, by a thread that is gone or waits
 * elsewhere, is a lost unlock; a ring whose indices disagree with the
 * waiters is a lost update.
 */
static void dn_sync_dump(struct __test_metadata *_metadata, pid_t pid,
			 struct dn_sync *addr)
{
	static struct dn_sync s;
	struct iovec local = { &s, sizeof(s) }, remote = { addr, sizeof(s) };
	int i;

	if (!addr || process_vm_readv(pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(s)) {
		TH_LOG("pthread_sync: cannot read the hung child's memory");
		return;
	}
	TH_LOG("pthread_sync: gate mutex lock %d owner %d, go %d, hot count %ld; queue mutex lock %d owner %d, head %lu tail %lu",
	       s.gate.m.__data.__lock, s.gate.m.__data.__owner, s.gate.go,
	       s.cnt.count, s.q.m.__data.__lock, s.q.m.__data.__owner,
	       s.q.head, s.q.tail);
	for (i = 0; i < DN_SYNC_SLOTS; i++)
		if (s.slot[i].m.__data.__lock)
			TH_LOG("pthread_sync: slot %d mutex lock %d owner %d, count %ld",
			       i, s.slot[i].m.__data.__lock,
			       s.slot[i].m.__data.__owner, s.slot[i].count);
}

/*
 * Threads synchronising with mutexes, condition variables and
 * pthread_join, their stacks and futex words evicted over and over (4
 * workers increment counters under 64 per-page mutexes and one hot mutex,
 * a producer and a consumer pass items through a ring with two condition
 * variables, all created and joined each round): every count exact, items
 * in order, stacks intact, and no glibc abort (the futex error of issue #6
 * kills the child with SIGABRT) or hang.
 */
TEST_F_TIMEOUT(conc, pthread_sync, DN_HARNESS_TIMEOUT_OFF)
{
	struct dn_figures f = { 0 };
	struct dn_sync_res *r;
	int status, ret;
	char why[80];
	pid_t pid;

	DN_NEED_SETUP();
	r = mmap(NULL, DN_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(dn_sync_child(r, dn_now_ns() + self->seconds * 1000000000LL));

	ret = dn_reap_logged(_metadata, pid, dn_conc_reap_ms(self->seconds),
			     &status);
	if (ret == -ETIMEDOUT)
		dn_sync_dump(_metadata, pid, r->sync);
	if (!dn_exited_ok(ret, status)) {
		f.errors++;
		TH_LOG("pthread_sync: child %s (SIGABRT: a glibc abort such as the futex error; exit 1 counts, 1x setup)",
		       dn_status_str(ret, status, why, sizeof(why)));
	}
	TH_LOG("pthread_sync: %ld rounds of %d threads created and joined, %lld lock ops, %lld items, evictor moved %lld pages",
	       r->rounds, DN_SYNC_THREADS, r->lock_ops, r->items, r->evict_moved);
	TH_LOG("pthread_sync: count errors %ld, order errors %ld, stack errors %ld, create/join errors %ld, evict errors %ld",
	       r->count_errors, r->order_errors, r->stack_errors,
	       r->create_errors, r->evict_errors);
	f.lost = r->count_errors + r->order_errors + r->stack_errors;
	f.bytes = r->lock_ops * sizeof(long) + r->items * sizeof(uint64_t) +
		  r->rounds * DN_SYNC_THREADS * DN_SYNC_STACK_WORDS * sizeof(uint64_t);
	if (!r->rounds)
		f.errors++;
	DN_REPORT("pthread_sync", &f);
	EXPECT_EQ(0, munmap(r, DN_PAGE));
}

/* fork_cow */

#define DN_COW_THREADS		2	/* per process: parent words 0-1, child 2-3 */
#define DN_COW_ROUND_MS		1000
#define DN_COW_MIN_FORKS	2	/* however long a round takes */

struct dn_cow_res {
	long child_lost;
	long child_bad;		/* includes the parent's words as the child saw them */
	long long child_checked;
	long long child_bytes;
	char first_lost[192];	/* the child's first lost write, described */
};

/*
 * Words of each page that must not have changed: those of the other
 * process (owners in [other, other + n)), which hold owner's value of
 * sweep seq[owner - other], and the fixed pattern of the rest.
 */
static long dn_cow_check_others(const uint64_t *buf, long npages, int mine,
				const uint64_t *other_seq, int other, int n,
				uint64_t seed)
{
	long p, i, bad = 0;
	const uint64_t *x;

	for (p = 0; p < npages; p++) {
		x = buf + p * DN_PAGE_WORDS;
		for (i = 0; i < (long)DN_PAGE_WORDS; i++) {
			uint64_t want;

			if (i >= mine && i < mine + n)
				continue;	/* checked by their owners */
			if (i >= other && i < other + n)
				want = dn_word_val(i, other_seq[i - other], p);
			else
				want = dn_pattern(p * DN_PAGE_WORDS + i, seed);
			if (x[i] != want)
				bad++;
		}
	}
	return bad;
}

/*
 * One side of a fork_cow round: threads owning words [first, first + n)
 * sweep from sweep seq[] for DN_COW_ROUND_MS.
 */
static int dn_cow_sweep(struct dn_words *w, int first, int n, uint64_t *seq)
{
	int t, created = 0;

	w->stop = 0;
	for (t = 0; t < n; t++) {
		w->th[first + t].seq = seq[t];
		if (pthread_create(&w->th[first + t].thread, NULL,
				   dn_sweep_thread, &w->th[first + t]))
			break;
		created++;
	}
	dn_sleep_ms(DN_COW_ROUND_MS);
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
	for (t = 0; t < created; t++) {
		pthread_join(w->th[first + t].thread, NULL);
		seq[t] = w->th[first + t].seq;
	}
	return created == n ? 0 : -1;
}

/* Words owned by threads [first, first + n) that do not hold sweep seq[]. */
static long dn_words_verify_own(const struct dn_words *w, int first, int n,
				const uint64_t *seq)
{
	long p, bad = 0;
	int t;

	for (p = 0; p < w->npages; p++)
		for (t = 0; t < n; t++)
			if (w->buf[p * DN_PAGE_WORDS + first + t] !=
			    dn_word_val(first + t, seq[t], p))
				bad++;
	return bad;
}

/*
 * The child of a fork_cow round: its threads own words 2-3, which start
 * at their initial value (the parent never writes them); the parent's
 * words must keep their at-fork value pseq[].  Exit status 0 ok, 1 data,
 * 1x setup.
 */
static int dn_cow_child(struct dn_words *w, struct dn_cow_res *r,
			const uint64_t *pseq)
{
	uint64_t cseq[DN_COW_THREADS] = { 0 };
	int t;

	if (dn_target_add(getpid()))
		return 10;
	if (dn_cow_sweep(w, DN_COW_THREADS, DN_COW_THREADS, cseq))
		return 11;
	for (t = DN_COW_THREADS; t < 2 * DN_COW_THREADS; t++) {
		r->child_lost += w->th[t].lost;
		r->child_checked += w->th[t].checked;
	}
	r->child_bad = dn_words_verify_own(w, DN_COW_THREADS, DN_COW_THREADS, cseq) +
		       dn_cow_check_others(w->buf, w->npages, DN_COW_THREADS,
					   pseq, 0, DN_COW_THREADS, w->seed);
	r->child_bytes = w->npages * DN_PAGE;
	dn_words_first_lost(w, r->first_lost, sizeof(r->first_lost));
	return r->child_lost || r->child_bad;
}

/*
 * fork() of a target whose pages are half remote, then parent and child
 * both write their own words of the pages they share copy-on-write, each
 * with 2 threads, for a round of 1 s; repeated for the case's length, at
 * least DN_COW_MIN_FORKS times (a round takes ~5 s on the stock kernels,
 * much longer on the debug kernel, where each trap's exchange and its
 * TLB flush IPIs are slow).  Each side reads back its own writes, and
 * never sees the other side's: the parent's words keep their at-fork value
 * in the child, the child's their initial value in the parent.
 */
TEST_F_TIMEOUT(conc, fork_cow, DN_HARNESS_TIMEOUT_OFF)
{
	size_t len = DN_WORDS_PAGES * DN_PAGE;
	uint64_t pseq[DN_COW_THREADS] = { 0 }, cseq0[DN_COW_THREADS] = { 0 };
	struct dn_figures f = { 0 };
	struct dn_cow_res *r;
	struct dn_words w;
	int status, ret, t;
	long forks = 0, idle = 0;
	long long end;
	char why[80];
	pid_t pid;
	char *p;

	DN_NEED_SETUP();
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	r = mmap(NULL, DN_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	/* 4 owners: the parent's threads own words 0-1, the child's 2-3. */
	dn_words_init(&w, p, DN_WORDS_PAGES, 2 * DN_COW_THREADS, DN_SEED);
	end = dn_now_ns() + self->seconds * 1000000000LL;

	while (!f.errors && (forks < DN_COW_MIN_FORKS || dn_now_ns() < end)) {
		memset(r, 0, sizeof(*r));
		pid = fork();
		if (pid < 0) {
			f.errors++;
			break;
		}
		if (pid == 0)
			_exit(dn_cow_child(&w, r, pseq));
		forks++;
		if (dn_cow_sweep(&w, 0, DN_COW_THREADS, pseq))
			f.errors++;
		ret = dn_reap_logged(_metadata, pid, dn_conc_reap_ms(0), &status);
		if (!r->child_checked)
			idle++;
		if (!dn_exited_ok(ret, status)) {
			f.errors++;
			TH_LOG("fork_cow: round %ld: child %s (1 data, 1x setup); it lost %ld writes, found %ld bad words; first lost: %s",
			       forks, dn_status_str(ret, status, why, sizeof(why)),
			       r->child_lost, r->child_bad,
			       r->first_lost[0] ? r->first_lost : "none");
		}
		f.lost += r->child_lost;
		f.bad += r->child_bad;
		f.bytes += r->child_checked * sizeof(uint64_t) + r->child_bytes;
		/* The child's words, as the parent sees them, never moved. */
		f.bad += dn_cow_check_others(w.buf, w.npages, 0, cseq0,
					     DN_COW_THREADS, DN_COW_THREADS,
					     w.seed);
		f.bytes += len;
	}
	for (t = 0; t < DN_COW_THREADS; t++) {
		f.lost += w.th[t].lost;
		f.bytes += w.th[t].checked * sizeof(uint64_t);
	}
	f.bad += dn_words_verify_own(&w, 0, DN_COW_THREADS, pseq);
	dn_words_log_lost(_metadata, &w, "fork_cow parent");
	TH_LOG("fork_cow: %ld forks of a %ld-page target, %d threads on each side",
	       forks, DN_WORDS_PAGES, DN_COW_THREADS);
	DN_REPORT("fork_cow", &f);
	EXPECT_LE(DN_COW_MIN_FORKS, forks);
	EXPECT_EQ(0, idle);	/* every child wrote and read back its words */
	EXPECT_EQ(0, munmap(r, DN_PAGE));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* vma_churn */

#define DN_CHURN_CHUNKS		64
#define DN_CHURN_CHUNK_PAGES	32L
#define DN_CHURN_CHUNK		(DN_CHURN_CHUNK_PAGES * DN_PAGE)
#define DN_CHURN_THREADS	2
#define DN_STABLE_PAGES		2048L
#define DN_STABLE_THREADS	2

enum dn_churn_op {
	DN_OP_REFILL,		/* check, then write a new pattern */
	DN_OP_MPROTECT,		/* read-only, check, read-write (shared lock) */
	DN_OP_DONTNEED,		/* madvise(MADV_DONTNEED): reads back zero */
	DN_OP_REMAP,		/* munmap + mmap at the same place: zero, refilled */
	DN_OP_MREMAP,		/* mremap away, check, mremap back, check */
	DN_OP_EVICT,		/* debugfs evict, then check (traps) */
	DN_OP_READ,		/* the reader thread's check (shared lock) */
	DN_NR_OPS
};

static const char * const dn_op_name[DN_NR_OPS] = {
	"refill", "mprotect", "dontneed", "munmap+mmap", "mremap", "evict",
	"read",
};

/* One chunk of the churned range and what it must hold. */
struct dn_chunk {
	pthread_rwlock_t lock;	/* write: being changed; read: content fixed */
	bool zero;		/* all zero, else the dn_fill() pattern of seed */
	bool dead;		/* lost to a failed remap: never touched again */
	uint64_t seed;
};

struct dn_churn {
	char *base;
	struct dn_chunk chunk[DN_CHURN_CHUNKS];
	int stop;
	/* Added to atomically by the threads. */
	long ops[DN_NR_OPS];
	long long max_ns[DN_NR_OPS];	/* longest op of each kind, lock wait included */
	long bad;		/* words that did not hold what they must */
	long errors;		/* failed syscalls, debugfs writes */
	long long bytes;
	long long evicted;
};

struct dn_churner {
	pthread_t thread;
	struct dn_churn *c;
	int id;
	char *scratch;		/* PROT_NONE chunk-sized place for mremap */
	uint64_t rnd;
	unsigned long n;	/* ops done: a churner takes the kinds in turn */
};

#define DN_ADD(p, v)	__atomic_add_fetch(p, v, __ATOMIC_RELAXED)

static void dn_max(long long *p, long long v)
{
	long long cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > cur && !__atomic_compare_exchange_n(p, &cur, v, false,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

/* Check a chunk's content at addr against what it must hold. */
static void dn_chunk_check(struct dn_churn *c, const struct dn_chunk *k,
			   const char *addr)
{
	const uint64_t *w = (const uint64_t *)addr;
	long i, bad = 0;

	if (k->zero) {
		for (i = 0; i < (long)(DN_CHURN_CHUNK / sizeof(*w)); i++)
			bad += w[i] != 0;
	} else {
		bad = dn_check(addr, DN_CHURN_CHUNK, k->seed);
	}
	DN_ADD(&c->bad, bad);
	DN_ADD(&c->bytes, DN_CHURN_CHUNK);
}

static void dn_chunk_fill(struct dn_chunk *k, char *addr, uint64_t seed)
{
	k->zero = false;
	k->seed = seed;
	dn_fill(addr, DN_CHURN_CHUNK, seed);
}

/* The changes that need the chunk to themselves; caller holds its lock for writing. */
static void dn_churn_exclusive(struct dn_churner *ch, struct dn_chunk *k,
			       char *addr, enum dn_churn_op op, uint64_t seed)
{
	struct dn_churn *c = ch->c;
	void *q;

	switch (op) {
	case DN_OP_REFILL:
		dn_chunk_check(c, k, addr);
		dn_chunk_fill(k, addr, seed);
		break;
	case DN_OP_DONTNEED:
		if (madvise(addr, DN_CHURN_CHUNK, MADV_DONTNEED)) {
			DN_ADD(&c->errors, 1);
			break;
		}
		k->zero = true;
		dn_chunk_check(c, k, addr);
		break;
	case DN_OP_REMAP:
		if (munmap(addr, DN_CHURN_CHUNK)) {
			DN_ADD(&c->errors, 1);
			break;
		}
		q = mmap(addr, DN_CHURN_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (q != addr) {
			k->dead = true;
			DN_ADD(&c->errors, 1);
			__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		k->zero = true;
		dn_chunk_check(c, k, addr);
		dn_chunk_fill(k, addr, seed);
		break;
	case DN_OP_MREMAP:
		q = mremap(addr, DN_CHURN_CHUNK, DN_CHURN_CHUNK,
			   MREMAP_MAYMOVE | MREMAP_FIXED, ch->scratch);
		if (q != ch->scratch) {
			DN_ADD(&c->errors, 1);	/* the chunk stays where it was */
			break;
		}
		dn_chunk_check(c, k, ch->scratch);
		q = mremap(ch->scratch, DN_CHURN_CHUNK, DN_CHURN_CHUNK,
			   MREMAP_MAYMOVE | MREMAP_FIXED, addr);
		if (q != addr) {
			k->dead = true;
			DN_ADD(&c->errors, 1);
			__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		if (mmap(ch->scratch, DN_CHURN_CHUNK, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0) != ch->scratch)
			DN_ADD(&c->errors, 1);
		dn_chunk_check(c, k, addr);
		break;
	case DN_OP_EVICT:
		if (dn_evict(getpid(), addr, DN_CHURN_CHUNK))
			DN_ADD(&c->errors, 1);
		dn_chunk_check(c, k, addr);
		break;
	default:
		break;
	}
}

/* Churners change random chunks; the reader (id < 0) only checks them. */
static void *dn_churn_thread(void *arg)
{
	struct dn_churner *ch = arg;
	struct dn_churn *c = ch->c;
	enum dn_churn_op op;
	uint64_t fills = 0;
	struct dn_chunk *k;
	long long t0;
	char *addr;
	long i;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		t0 = dn_now_ns();
		i = dn_lcg(&ch->rnd) % DN_CHURN_CHUNKS;
		op = ch->id < 0 ? DN_OP_READ : (ch->n++ + 3 * ch->id) % DN_OP_READ;
		k = &c->chunk[i];
		addr = c->base + i * DN_CHURN_CHUNK;
		if (op == DN_OP_READ || op == DN_OP_MPROTECT) {
			pthread_rwlock_rdlock(&k->lock);
			if (k->dead) {
				pthread_rwlock_unlock(&k->lock);
				continue;
			}
			if (op == DN_OP_MPROTECT &&
			    mprotect(addr, DN_CHURN_CHUNK, PROT_READ))
				DN_ADD(&c->errors, 1);
			dn_chunk_check(c, k, addr);
			if (op == DN_OP_MPROTECT &&
			    mprotect(addr, DN_CHURN_CHUNK, PROT_READ | PROT_WRITE))
				DN_ADD(&c->errors, 1);
		} else {
			pthread_rwlock_wrlock(&k->lock);
			if (k->dead) {
				pthread_rwlock_unlock(&k->lock);
				continue;
			}
			fills++;
			dn_churn_exclusive(ch, k, addr, op,
					   ((uint64_t)(ch->id + 1) << 48) ^ fills);
		}
		pthread_rwlock_unlock(&k->lock);
		DN_ADD(&c->ops[op], 1);
		dn_max(&c->max_ns[op], dn_now_ns() - t0);
	}
	return NULL;
}

/* Evicts random runs of chunks without their locks, racing the churn. */
static void *dn_churn_evictor(void *arg)
{
	struct dn_churner *ch = arg;
	struct dn_churn *c = ch->c;
	long i, n;
	long long m;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		n = 1 + dn_lcg(&ch->rnd) % 8;
		i = dn_lcg(&ch->rnd) % (DN_CHURN_CHUNKS - n + 1);
		if (dn_evict(getpid(), c->base + i * DN_CHURN_CHUNK,
			     n * DN_CHURN_CHUNK)) {
			DN_ADD(&c->errors, 1);
		} else {
			m = dn_evict_moved();
			if (m > 0)
				DN_ADD(&c->evicted, m);
		}
		dn_sleep_ms(1);
	}
	return NULL;
}

/*
 * mprotect() toggling, madvise(MADV_DONTNEED), munmap + mmap and mremap()
 * of 128 KiB chunks, by 2 threads taking these in turn, while the worker,
 * an unlocked evictor and a reader move them to and from the remote node,
 * beside an 8 MiB range that 2 threads sweep (shared words): every chunk
 * holds exactly its last pattern, or zero after DONTNEED or a fresh mmap,
 * and the swept range loses no write.
 */
TEST_F_TIMEOUT(conc, vma_churn, DN_HARNESS_TIMEOUT_OFF)
{
	size_t len = DN_STABLE_PAGES * DN_PAGE;
	size_t clen = DN_CHURN_CHUNKS * DN_CHURN_CHUNK;
	struct dn_churner ch[DN_CHURN_THREADS + 2];
	struct dn_figures f = { 0 };
	struct dn_churn *c;
	int i, n = 0, started = 0;
	struct dn_words w;
	long long end;
	char *p;

	DN_NEED_SETUP();
	c = calloc(1, sizeof(*c));
	ASSERT_NE(NULL, c);
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	c->base = dn_map_guarded(clen, -1);
	ASSERT_NE(NULL, c->base);
	dn_words_init(&w, p, DN_STABLE_PAGES, DN_STABLE_THREADS, DN_SEED);
	for (i = 0; i < DN_CHURN_CHUNKS; i++) {
		ASSERT_EQ(0, pthread_rwlock_init(&c->chunk[i].lock, NULL));
		dn_chunk_fill(&c->chunk[i], c->base + i * DN_CHURN_CHUNK,
			      DN_SEED_CHILD + i);
	}
	memset(ch, 0, sizeof(ch));
	for (i = 0; i < DN_CHURN_THREADS + 2; i++) {
		ch[i].c = c;
		ch[i].id = i < DN_CHURN_THREADS ? i : -1;
		ch[i].rnd = 1000 + i;
		ch[i].scratch = dn_map_guarded(DN_CHURN_CHUNK, -1);
		ASSERT_NE(NULL, ch[i].scratch);
		ASSERT_EQ(0, mprotect(ch[i].scratch, DN_CHURN_CHUNK, PROT_NONE));
	}

	/* From here to the joins: no ASSERT, the threads must be stopped. */
	end = dn_now_ns() + self->seconds * 1000000000LL;
	if (dn_words_start(&w) != DN_STABLE_THREADS)
		f.errors++;
	for (i = 0; !f.errors && i < DN_CHURN_THREADS + 2; i++) {
		/* churners, the reader, the evictor */
		if (pthread_create(&ch[i].thread, NULL,
				   i == DN_CHURN_THREADS + 1 ? dn_churn_evictor :
				   dn_churn_thread, &ch[i])) {
			f.errors++;
			break;
		}
		started++;
	}
	while (!f.errors && dn_now_ns() < end &&
	       !__atomic_load_n(&c->stop, __ATOMIC_RELAXED))
		dn_sleep_ms(100);
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < started; i++)
		pthread_join(ch[i].thread, NULL);
	dn_words_stop(&w);

	for (i = 0; i < DN_CHURN_CHUNKS; i++) {
		if (c->chunk[i].dead) {
			n++;
			continue;
		}
		dn_chunk_check(c, &c->chunk[i], c->base + i * DN_CHURN_CHUNK);
	}
	f.lost = dn_words_lost(&w);
	f.bad = dn_words_verify(&w) + c->bad;
	f.bytes = dn_words_bytes(&w) + len + c->bytes;
	f.errors += c->errors + n;
	dn_words_log_lost(_metadata, &w, "vma_churn");
	for (i = 0; i < DN_NR_OPS; i++)
		TH_LOG("vma_churn: %-12s %6ld, the longest %.3f s",
		       dn_op_name[i], c->ops[i], c->max_ns[i] / 1e9);
	TH_LOG("vma_churn: evictor moved %lld pages; %ld bad chunk words, %ld errors, %d chunks lost to a failed remap",
	       c->evicted, c->bad, c->errors, n);
	DN_REPORT("vma_churn", &f);
	for (i = 0; i < DN_NR_OPS; i++)
		EXPECT_LT(0, c->ops[i]);
	EXPECT_EQ(0, dn_unmap_guarded(c->base, clen));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
	free(c);
}

/* Children running the shared-words workload */

/* What one child did, in shared memory: the parent reads it after reaping. */
struct dn_child_res {
	long lost;		/* counted as they happen: survives a SIGKILL */
	long bad;
	long long bytes;
	long long sweeps;
	long off_node;		/* pages not on node 0 after the unload */
	long lost_loaded;	/* of lost, those before 'u' (module unloaded) */
	char first_lost[192];	/* the first lost write, described */
};

/* Sweeps of each thread over its words after the unload. */
#define DN_SWEEPS_AFTER		2

/*
 * A target running the shared-words workload (nthreads x npages) for
 * run_ms, or, given cmd_fd, until each of its threads has swept its words
 * DN_SWEEPS_AFTER times after the parent sends 'u' (module unloaded), with
 * run_ms as a bound.  Sends 'r' on ready_fd, if given, once its threads
 * run.  Then it checks every byte and, after 'u', that every page is on
 * node 0 and none on nid.  Exit status 0 ok, 1 data, 2 placement, 1x setup
 * or protocol (15: the sweeps after 'u' did not end in time).
 */
static int dn_words_child(struct dn_child_res *r, long npages, int nthreads,
			  long run_ms, int ready_fd, int cmd_fd, int nid)
{
	size_t len = npages * DN_PAGE;
	uint64_t seq_u[DN_MAX_SWEEPERS];
	struct dn_words w;
	bool unloaded = false, swept = false;
	long long end;
	char *p;
	int cmd, t;

	p = dn_map_guarded(len, -1);
	if (!p)
		return 10;
	dn_words_init(&w, p, npages, nthreads, DN_SEED ^ getpid());
	w.lost_live = &r->lost;
	if (dn_target_add(getpid()))
		return 11;
	if (dn_words_start(&w) != nthreads) {
		dn_words_stop(&w);
		return 12;
	}
	if (ready_fd >= 0 && dn_send(ready_fd, 'r')) {
		dn_words_stop(&w);
		return 13;
	}
	end = dn_now_ns() + run_ms * 1000000LL;
	while (dn_now_ns() < end) {
		if (unloaded) {
			swept = dn_words_swept(&w, seq_u, DN_SWEEPS_AFTER);
			if (swept)
				break;
			dn_sleep_ms(10);
			continue;
		}
		if (cmd_fd < 0) {
			dn_sleep_ms(50);	/* the run's length */
			continue;
		}
		cmd = dn_recv(cmd_fd, 50);
		if (cmd == 'u') {
			r->lost_loaded = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
			for (t = 0; t < nthreads; t++)
				seq_u[t] = __atomic_load_n(&w.th[t].seq,
							   __ATOMIC_RELAXED);
			unloaded = true;
		} else if (cmd != -ETIMEDOUT) {
			break;
		}
	}
	dn_words_stop(&w);
	r->bad = dn_words_verify(&w);
	r->bytes = dn_words_bytes(&w) + len;
	r->sweeps = dn_words_sweeps(&w);
	dn_words_first_lost(&w, r->first_lost, sizeof(r->first_lost));
	if (cmd_fd >= 0 && !unloaded)
		return 14;
	if (unloaded && !swept)
		return 15;
	if (r->lost || r->bad)
		return 1;
	if (unloaded) {
		r->off_node = npages - dn_count_on_node(p, len, 0) +
			      dn_numa_maps_pages(p, nid);
		if (r->off_node)
			return 2;
	}
	return 0;
}

#define DN_MT_TARGETS		3
#define DN_MT_PAGES		2048L

/*
 * Reap target child @k of case @name (a dn_words_child() of DN_MT_PAGES),
 * log what it found, and add its figures to @f.
 */
static void dn_mt_reap(struct __test_metadata *_metadata, const char *name,
		       int k, pid_t pid, const struct dn_child_res *r,
		       long seconds, struct dn_figures *f)
{
	char why[80];
	int status, ret;

	ret = dn_reap_logged(_metadata, pid, dn_conc_reap_ms(seconds), &status);
	if (!dn_exited_ok(ret, status))
		f->errors++;
	TH_LOG("%s: target %d: %s, %lld sweeps of %ld pages, %ld lost writes, %ld bad words%s%s",
	       name, k, dn_status_str(ret, status, why, sizeof(why)),
	       r->sweeps, DN_MT_PAGES, r->lost, r->bad,
	       r->first_lost[0] ? "; first lost: " : "", r->first_lost);
	f->lost += r->lost;
	f->bad += r->bad;
	f->bytes += r->bytes;
}

/*
 * Three target processes at once, each with 4 threads sweeping their own
 * 8 MiB (shared words): no process loses a write.
 */
TEST_F_TIMEOUT(conc, multi_target, DN_HARNESS_TIMEOUT_OFF)
{
	struct dn_figures f = { 0 };
	pid_t pid[DN_MT_TARGETS];
	struct dn_child_res *r;
	int i, n;

	DN_NEED_SETUP();
	r = mmap(NULL, DN_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	for (n = 0; n < DN_MT_TARGETS; n++) {
		pid[n] = fork();
		if (pid[n] < 0) {
			f.errors++;
			break;
		}
		if (pid[n] == 0)
			_exit(dn_words_child(&r[n], DN_MT_PAGES, DN_WORDS_THREADS,
					     self->seconds * 1000, -1, -1,
					     self->nid));
	}
	for (i = 0; i < n; i++)
		dn_mt_reap(_metadata, "multi_target", i, pid[i], &r[i],
			   self->seconds, &f);
	DN_REPORT("multi_target", &f);
	EXPECT_EQ(DN_MT_TARGETS, n);
	EXPECT_EQ(0, munmap(r, DN_PAGE));
}

/*
 * remote_pct cycled through 25/75/50/0/100 and latency_ns through
 * 0/1000/20000 every 200 ms under the shared-words load: every write
 * accepted and read back, no lost write.
 */
TEST_F_TIMEOUT(conc, knobs_under_load, DN_HARNESS_TIMEOUT_OFF)
{
	static const int pcts[] = { 25, 75, 50, 0, 100 };
	static const int lats[] = { 0, 1000, 20000 };
	size_t len = DN_WORDS_PAGES * DN_PAGE;
	struct dn_figures f = { 0 };
	long knob_errors = 0, changes = 0;
	struct dn_words w;
	long long end;
	char *p;
	int i;

	DN_NEED_SETUP();
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	dn_words_init(&w, p, DN_WORDS_PAGES, DN_WORDS_THREADS, DN_SEED);
	end = dn_now_ns() + self->seconds * 1000000000LL;
	if (dn_words_start(&w) != DN_WORDS_THREADS)
		f.errors++;
	for (i = 0; !f.errors && dn_now_ns() < end; i++) {
		int pct = pcts[i % 5], lat = lats[i % 3];

		knob_errors += dn_set("remote_pct", pct) != 0;
		knob_errors += dn_set("latency_ns", lat) != 0;
		knob_errors += dn_read_ll(DN_SYSFS "/remote_pct") != pct;
		knob_errors += dn_read_ll(DN_SYSFS "/latency_ns") != lat;
		changes++;
		dn_sleep_ms(200);
	}
	dn_words_stop(&w);
	knob_errors += dn_set("remote_pct", 50) != 0;
	knob_errors += dn_set("latency_ns", 0) != 0;

	f.lost = dn_words_lost(&w);
	f.bad = dn_words_verify(&w);
	f.bytes = dn_words_bytes(&w) + len;
	f.errors += knob_errors;
	dn_words_log_lost(_metadata, &w, "knobs");
	TH_LOG("knobs: %ld changes of remote_pct and latency_ns, %ld failed or not read back; %lld sweeps",
	       changes, knob_errors, dn_words_sweeps(&w));
	DN_REPORT("knobs_under_load", &f);
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* tenant_settings_under_load */

#define DN_TS_TARGETS		2

/* Write @val to targets/@pid/@name and read it back: 0, or 1. */
static int dn_ts_set(pid_t pid, const char *name, const char *val,
		     long long want)
{
	char path[96];

	snprintf(path, sizeof(path), DN_SYSFS "/targets/%d/%s", (int)pid, name);
	return dn_write_file(path, val) != 0 ||
	       dn_read_ll("%s", path) != want;
}

/*
 * Fork DN_TS_TARGETS targets of dn_words_child() (DN_MT_PAGES pages,
 * DN_WORDS_THREADS threads, for @seconds and 2 more), each moved into the
 * cgroup whose cgroup.procs is @procs unless NULL, and wait for each one's
 * 'r'; their results land in @r, their pipes in @fds, failures in @f.
 * Return: how many were forked.
 */
static int dn_ts_start(struct dn_child_res *r, int fds[][2], pid_t *pid,
		       long seconds, int nid, const char *procs,
		       struct dn_figures *f)
{
	int n, k;

	for (n = 0; n < DN_TS_TARGETS; n++) {
		if (pipe(fds[n])) {
			f->errors++;
			break;
		}
		pid[n] = fork();
		if (pid[n] < 0) {
			f->errors++;
			break;
		}
		if (pid[n] == 0)
			_exit(dn_words_child(&r[n], DN_MT_PAGES, DN_WORDS_THREADS,
					     seconds * 1000 + 2000,
					     fds[n][1], -1, nid));
		close(fds[n][1]);
		if (procs)
			f->errors += dn_write_ll(procs, pid[n]) != 0;
	}
	for (k = 0; k < n; k++)
		if (dn_recv(fds[k][0], 30000) != 'r')
			f->errors++;
	return n;
}

/*
 * Two target processes, each with 4 threads sweeping their own shared
 * words, while the parent changes each one's own remote_pct and
 * latency_ns every 100 ms (25/90/default/0/75 and 0/1000/default/20000
 * for one; the other in another phase) and the global remote_pct between
 * 30 and 60 every 500 ms: every write accepted and read back (a target
 * following the global value reads the global one), no lost write, no bad
 * word.
 */
TEST_F_TIMEOUT(conc, tenant_settings_under_load, DN_HARNESS_TIMEOUT_OFF)
{
	static const char * const pcts[] = { "25", "90", "default", "0", "75" };
	static const char * const lats[] = { "0", "1000", "default", "20000" };
	int fds[DN_TS_TARGETS][2], i, k, n, glob = 30;
	long set_errors = 0, changes = 0;
	struct dn_figures f = { 0 };
	pid_t pid[DN_TS_TARGETS];
	struct dn_child_res *r;
	long long end;

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set("remote_pct", glob));
	ASSERT_EQ(0, dn_set("latency_ns", 0));
	r = mmap(NULL, DN_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	n = dn_ts_start(r, fds, pid, self->seconds, self->nid, NULL, &f);
	end = dn_now_ns() + self->seconds * 1000000000LL;
	for (i = 0; !f.errors && dn_now_ns() < end; i++) {
		if (i % 5 == 4) {
			glob = glob == 30 ? 60 : 30;
			set_errors += dn_set("remote_pct", glob) != 0;
		}
		for (k = 0; k < n; k++) {
			const char *pv = pcts[(i + 2 * k) % 5];
			const char *lv = lats[(i + k) % 4];

			set_errors += dn_ts_set(pid[k], "remote_pct", pv,
						strcmp(pv, "default") ? atoll(pv) : glob);
			set_errors += dn_ts_set(pid[k], "latency_ns", lv,
						strcmp(lv, "default") ? atoll(lv) : 0);
			changes += 2;
		}
		dn_sleep_ms(100);
	}
	for (k = 0; k < n; k++) {
		close(fds[k][0]);
		dn_mt_reap(_metadata, "tenant_settings", k, pid[k], &r[k],
			   self->seconds, &f);
	}
	set_errors += dn_set("remote_pct", 50) != 0;
	f.errors += set_errors;
	TH_LOG("tenant_settings: %ld changes of a target's own remote_pct or latency_ns, %ld failed or not read back",
	       changes, set_errors);
	DN_REPORT("tenant_settings_under_load", &f);
	EXPECT_EQ(DN_TS_TARGETS, n);
	EXPECT_LT(0, changes);
	EXPECT_EQ(0, munmap(r, DN_PAGE));
}

/* cgroup_tenant_under_load */

#define DN_CT_NAME	"/dn-conc-tenant"
#define DN_CT_DIR	"/sys/fs/cgroup" DN_CT_NAME

/* Write @val to tenants/ID/@name of the test's tenant (@dir); 0, or 1. */
static int dn_ct_set(const char *dir, const char *name, const char *val)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return dn_write_file(path, val) != 0;
}

/*
 * Two target processes, each with 4 threads sweeping their own shared
 * words, in one cgroup tenant, while the parent changes the tenant's
 * remote_pct (25/90/default/0/75) and its cap, remote_mib (0/1/4/2),
 * every 100 ms, and the worker shares the tenant's local capacity and its
 * cap among the two (their remote_pct and their own caps rewritten every
 * 500 ms, and at each change, while their threads trap): every write
 * accepted, no lost write, no bad word.
 */
TEST_F_TIMEOUT(conc, cgroup_tenant_under_load, DN_HARNESS_TIMEOUT_OFF)
{
	static const char * const pcts[] = { "25", "90", "default", "0", "75" };
	static const char * const mibs[] = { "0", "1", "4", "2" };
	int fds[DN_TS_TARGETS][2], i, k, n;
	long set_errors = 0, changes = 0;
	struct dn_figures f = { 0 };
	pid_t pid[DN_TS_TARGETS];
	char dir[256] = "";
	struct dn_child_res *r;
	long long end;

	DN_NEED_SETUP();
	if (!dn_cgroup_ready(DN_CT_DIR))
		SKIP(return, "no cgroup v2 hierarchy at /sys/fs/cgroup (and it is not empty to mount one)");
	ASSERT_EQ(0, dn_set("remote_pct", 50));
	r = mmap(NULL, DN_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	n = dn_ts_start(r, fds, pid, self->seconds, self->nid,
			DN_CT_DIR "/cgroup.procs", &f);
	f.errors += dn_write_file(DN_SYSFS "/tenant_add", DN_CT_NAME) != 0;
	if (dn_tenant_dir(DN_CT_NAME, dir, sizeof(dir)))
		f.errors++;
	end = dn_now_ns() + self->seconds * 1000000000LL;
	for (i = 0; !f.errors && dn_now_ns() < end; i++) {
		set_errors += dn_ct_set(dir, "remote_pct", pcts[i % 5]);
		set_errors += dn_ct_set(dir, "remote_mib", mibs[i % 4]);
		changes += 2;
		dn_sleep_ms(100);
	}
	for (k = 0; k < n; k++) {
		close(fds[k][0]);
		dn_mt_reap(_metadata, "cgroup_tenant", k, pid[k], &r[k],
			   self->seconds, &f);
	}
	set_errors += dn_write_file(DN_SYSFS "/tenant_remove",
				    DN_CT_NAME) != 0;
	f.errors += set_errors;
	TH_LOG("cgroup_tenant: %ld changes of the tenant's remote_pct or remote_mib, %ld failed",
	       changes, set_errors);
	DN_REPORT("cgroup_tenant_under_load", &f);
	EXPECT_EQ(DN_TS_TARGETS, n);
	EXPECT_LT(0, changes);
	EXPECT_EQ(0, munmap(r, DN_PAGE));
	rmdir(DN_CT_DIR);
}

/* kill_mid_migration */

#define DN_KILL_SLOTS		2	/* targets alive at a time */
#define DN_KILL_PAGES		1024L
#define DN_KILL_MAX		1024	/* kills recorded */

/*
 * Targets (4 threads sweeping shared words) killed with SIGKILL at random
 * moments, 50-550 ms into their life, while their pages are evicted and
 * promoted, two alive at a time: each dies at once (no hang), none of them
 * had lost a write by then, the module's targets are freed, a new target
 * then works exactly, and the module unloads cleanly.
 */
TEST_F_TIMEOUT(conc, kill_mid_migration, DN_HARNESS_TIMEOUT_OFF)
{
	struct dn_figures f = { 0 };
	struct dn_counters a, b;
	struct dn_child_res *r;
	pid_t slot[DN_KILL_SLOTS] = { 0 };
	long long end, targets0;
	uint64_t rnd = 777;
	long kills = 0, hangs = 0;
	int i, s, status, ret;
	char why[80];
	pid_t pid;

	DN_NEED_SETUP();
	r = mmap(NULL, (DN_KILL_MAX + 1) * sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	targets0 = dn_stat("targets");
	ASSERT_LE(1, targets0);
	end = dn_now_ns() + self->seconds * 1000000000LL;

	for (i = 0; dn_now_ns() < end && i < DN_KILL_MAX && !hangs; i++) {
		for (s = 0; s < DN_KILL_SLOTS; s++) {
			if (slot[s])
				continue;
			pid = fork();
			if (pid < 0) {
				f.errors++;
				break;
			}
			if (pid == 0)
				_exit(dn_words_child(&r[i], DN_KILL_PAGES,
						     DN_WORDS_THREADS, 3600 * 1000,
						     -1, -1, self->nid));
			slot[s] = pid;
		}
		if (f.errors)
			break;
		dn_sleep_ms(50 + dn_lcg(&rnd) % 500);
		s = dn_lcg(&rnd) % DN_KILL_SLOTS;
		kill(slot[s], SIGKILL);
		ret = dn_reap_logged(_metadata, slot[s], 20000, &status);
		slot[s] = 0;
		kills++;
		if (ret == -ETIMEDOUT)
			hangs++;
		if (ret || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			f.errors++;
			TH_LOG("kill: target %ld: %s", kills,
			       dn_status_str(ret, status, why, sizeof(why)));
		}
	}
	for (s = 0; s < DN_KILL_SLOTS; s++) {
		if (!slot[s])
			continue;
		kill(slot[s], SIGKILL);
		if (dn_reap(slot[s], 20000, &status) == -ETIMEDOUT)
			hangs++;
	}
	for (s = 0; s <= i && s < DN_KILL_MAX; s++)
		f.lost += r[s].lost;

	/* The module is still healthy: every dead target freed ... */
	DN_WAIT_UNTIL(dn_stat("targets") == targets0, 5000, 50);
	EXPECT_EQ(targets0, dn_stat("targets"));
	/* ... and a new target works exactly. */
	ASSERT_EQ(0, dn_counters_read(&a));
	memset(&r[DN_KILL_MAX], 0, sizeof(*r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(dn_words_child(&r[DN_KILL_MAX], DN_KILL_PAGES,
				     DN_WORDS_THREADS, 3000, -1, -1, self->nid));
	ret = dn_reap_logged(_metadata, pid, 60000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("new target after the kills: %s",
		       dn_status_str(ret, status, why, sizeof(why)));
	}
	ASSERT_EQ(0, dn_counters_read(&b));
	/* Pages went remote: by its exchanges, or by the worker. */
	EXPECT_LT(0, b.evictions - a.evictions + b.exchanges - a.exchanges);
	EXPECT_LT(0, b.remote_faults - a.remote_faults);
	f.lost += r[DN_KILL_MAX].lost;
	f.bad += r[DN_KILL_MAX].bad;
	f.bytes += r[DN_KILL_MAX].bytes;

	TH_LOG("kill: %ld targets killed, %ld did not die within 20 s; the new target: %lld sweeps, evictions +%lld, exchanges +%lld, traps +%lld",
	       kills, hangs, r[DN_KILL_MAX].sweeps, b.evictions - a.evictions,
	       b.exchanges - a.exchanges, b.remote_faults - a.remote_faults);
	DN_REPORT("kill_mid_migration", &f);
	EXPECT_LT(10, kills);
	EXPECT_EQ(0, hangs);
	/* ... and unloads. */
	EXPECT_EQ(0, dn_unload());
	EXPECT_FALSE(dn_loaded());
	EXPECT_EQ(0, munmap(r, (DN_KILL_MAX + 1) * sizeof(*r)));
}

/* unload_under_load: a fixture that loads the module in each cycle */

#define DN_CYCLE_PAGES		2048L
#define DN_CYCLE_LOAD_S		10	/* to reach the load (scaled) */

FIXTURE(cycle) {
	bool ready;
	int kmsg;
};

FIXTURE_SETUP(cycle)
{
	self->kmsg = -1;
	if (!dn_only("DN_CONC_ONLY", _metadata->name, NULL))
		SKIP(return, "not in DN_CONC_ONLY");
	dn_conc_deadline(_metadata->name, DN_CYCLE_CASE_S);
	if (!dn_configured())
		SKIP(return, "machine booted without memmap=: no remote node");
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	self->kmsg = dn_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->ready = true;
}

FIXTURE_TEARDOWN(cycle)
{
	char first[512];
	long n;

	if (dn_loaded())
		EXPECT_EQ(0, dn_unload());
	if (self->kmsg >= 0) {
		n = dn_kmsg_problems(self->kmsg, first, sizeof(first));
		EXPECT_EQ(0, n) {
			TH_LOG("%ld kernel log records show a problem; first: %s",
			       n, first);
		}
		close(self->kmsg);
	}
}

/*
 * One cycle: load, a target child sweeps shared words (4 threads x 8 MiB),
 * and once a quarter of its pages went remote and were trapped on, modprobe -r
 * while it runs; then the child sweeps twice more, checks every byte and
 * that every page is on node 0.  Adds the
 * cycle's counters (read just before the unload) to *sum.  0 or the
 * reason it failed.
 */
static const char *dn_unload_cycle(struct __test_metadata *_metadata,
				   struct dn_child_res *r,
				   struct dn_counters *sum, long long *unload_ns)
{
	int ready[2], cmd[2], status, ret, nid;
	const char *err = NULL;
	long wait_s;
	struct dn_counters b;
	static char why[512];
	char st[80];
	long long t;
	pid_t pid;

	if (dn_load(""))
		return "modprobe failed";
	nid = dn_read_ll(DN_SYSFS "/node_id");
	if (nid <= 0 || dn_set("remote_pct", 50) || dn_set("latency_ns", 0) ||
	    dn_debugfs_set("pause", 0))
		return "setting node_id/remote_pct/latency_ns/pause failed";
	if (pipe(ready))
		return "pipe";
	if (pipe(cmd)) {
		close(ready[0]);
		close(ready[1]);
		return "pipe";
	}
	memset(r, 0, sizeof(*r));
	pid = fork();
	if (pid < 0)
		return "fork";
	if (pid == 0) {
		close(ready[0]);
		close(cmd[1]);
		_exit(dn_words_child(r, DN_CYCLE_PAGES, DN_WORDS_THREADS,
				     60000, ready[1], cmd[0], nid));
	}
	close(ready[1]);
	close(cmd[0]);
	if (dn_recv(ready[0], 30000) != 'r') {
		err = "the child did not start";
		goto out;
	}
	/*
	 * Until the load is under way, for at most DN_CYCLE_LOAD_S (scaled):
	 * the worker has started it (the child's pages start local: the
	 * worker, at nice 19 on four busy vCPUs, makes them remote), and a
	 * quarter of the child's pages have gone remote (by the worker's
	 * evictions and the traps' exchanges, which soon do most of it) and
	 * been trapped on.
	 */
	wait_s = DN_CYCLE_LOAD_S * dn_conc_timeout_scale();
	if (!DN_WAIT_UNTIL(!dn_counters_read(&b) && b.evictions > 0 &&
			   b.evictions + b.exchanges >= DN_CYCLE_PAGES / 4 &&
			   b.remote_faults >= DN_CYCLE_PAGES / 4,
			   wait_s * 1000, 10)) {
		snprintf(why, sizeof(why), "no load in %ld s: evictions %lld, exchanges %lld, traps %lld (want evictions, %ld pages out and as many traps)",
			 wait_s, b.evictions, b.exchanges, b.remote_faults,
			 DN_CYCLE_PAGES / 4);
		err = why;
		goto out;
	}
	sum->remote_faults += b.remote_faults;
	sum->promotions += b.promotions;
	sum->promotion_failures += b.promotion_failures;
	sum->evictions += b.evictions;
	sum->exchanges += b.exchanges;
	sum->homecomings += b.homecomings;
	t = dn_now_ns();
	ret = dn_unload();
	*unload_ns = dn_now_ns() - t;
	if (ret || dn_loaded()) {
		err = "modprobe -r failed";
		goto out;
	}
	if (dn_send(cmd[1], 'u'))
		err = "the child went away";
out:
	close(cmd[1]);	/* without 'u', the child stops: exit 14 */
	ret = dn_reap_logged(_metadata, pid, 60000, &status);
	close(ready[0]);
	if (!err && !dn_exited_ok(ret, status)) {
		snprintf(why, sizeof(why), "child %s (1 data, 2 not on node 0, 1x setup); %ld lost writes (%ld before the unload), %ld bad words, %ld pages off node 0; first lost: %s",
			 dn_status_str(ret, status, st, sizeof(st)), r->lost,
			 r->lost_loaded, r->bad, r->off_node,
			 r->first_lost[0] ? r->first_lost : "none");
		err = why;
	}
	return err;
}

/*
 * >= 20 cycles of load, shared-words load on a target child, modprobe -r
 * while it runs: each unload succeeds, and the child then finds every byte
 * right and every page on node 0.
 */
TEST_F_TIMEOUT(cycle, unload_under_load, DN_HARNESS_TIMEOUT_OFF)
{
	long cycles = dn_conc_cycles(), c, done = 0;
	struct dn_counters zero = { 0 }, sum = { 0 };
	long long unload_ns, unload_max = 0, t0;
	struct dn_figures f = { 0 };
	struct dn_child_res *r;
	const char *err;

	if (!self->ready)
		return;
	ASSERT_EQ(0, dn_load(""));
	if (!dn_debugfs_ready()) {
		dn_unload();
		SKIP(return, DN_NO_DEBUGFS);
	}
	ASSERT_EQ(0, dn_unload());
	r = mmap(NULL, DN_PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	t0 = dn_now_ns();
	for (c = 0; c < cycles; c++) {
		unload_ns = 0;
		err = dn_unload_cycle(_metadata, r, &sum, &unload_ns);
		f.lost += r->lost;
		f.bad += r->bad;
		f.bytes += r->bytes;
		if (unload_ns > unload_max)
			unload_max = unload_ns;
		if (err) {
			f.errors++;
			TH_LOG("unload cycle %ld: %s", c + 1, err);
			if (dn_loaded() && dn_unload())
				break;	/* cannot go on */
			continue;
		}
		done++;
	}
	TH_LOG("unload: %ld of %ld cycles clean, longest modprobe -r %.2f s, %lld sweeps in the last one",
	       done, cycles, unload_max / 1e9, r->sweeps);
	dn_report(_metadata, "unload_under_load", &zero, &sum,
		  dn_now_ns() - t0, &f);
	EXPECT_EQ(cycles, done);
	EXPECT_EQ(0, munmap(r, DN_PAGE));
}

TEST_HARNESS_MAIN
