// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node selftests of remote-memory semantics (issue #3, contract in
 * Documentation/ABI/testing/sysfs-kernel-mm-disagg_node): remote pages of a
 * target trap on every CPU access, each trap is counted once and promotes
 * the page, and the balancing worker holds the local:remote split.
 *
 * Needs the normal test machine (memmap= reservation, empty possible node)
 * and a module built with the feature (debugfs disagg_node/); skips
 * otherwise.  Each fixture test loads the module with the worker paused
 * (debugfs pause=1) so that counters move only on the test's own traps,
 * and unloads it at the end.  Counts are exact; timings are compared only
 * within one run (QEMU TCG).
 */
#include "kselftest_harness.h"

#include <linux/mempolicy.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "dn_env.h"
#include "dn_harness.h"
#include "dn_kmsg.h"
#include "dn_mem.h"
#include "dn_module.h"

#define MB		(1UL << 20)

/* Pages of the small exact-count tests. */
#define DN_N		256L

/* Seeds of the data patterns: one per mapping, arbitrary. */
#define DN_SEED		0xd15a99ULL
#define DN_SEED2	0x5eed5eedULL

/*
 * Remote pages of [p, p + len) mapped PROT_NONE (trapping), or mapped
 * accessible, from debugfs pte_state: move_pages(2) cannot tell (6.1
 * answers -ENOENT for a PROT_NONE page, 6.12 its node).
 */
static long dn_pte_state(void *p, size_t len, bool want_protected)
{
	char cmd[96], buf[64];
	long prot, acc;

	snprintf(cmd, sizeof(cmd), "%d %p %zu", getpid(), p, len);
	if (dn_write_file(DN_DEBUGFS "/pte_state", cmd) ||
	    dn_read_file(DN_DEBUGFS "/pte_state", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%ld %ld", &prot, &acc) != 2)
		return -1;
	return want_protected ? prot : acc;
}

static long dn_count_protected(void *p, size_t len)
{
	return dn_pte_state(p, len, true);
}

FIXTURE(remote) {
	bool loaded;	/* module loaded by setup: teardown unloads it */
	bool ready;	/* setup completed (the 6.1 harness runs a skipped test's body) */
	int nid;	/* the remote node */
};

/* The worker paused, remote_pct 0, latency 0, THP off; not a target yet. */
static const struct dn_setup dn_remote_setup = {
	.args = "", .debugfs = true, .pause = 1, .remote_pct = 0,
	.latency_ns = 0, .thp_off = true, .target = false,
};

FIXTURE_SETUP(remote)
{
	self->ready = dn_setup_module(_metadata, &dn_remote_setup,
				      &self->loaded, &self->nid);
}

FIXTURE_TEARDOWN(remote)
{
	if (!self->loaded)
		return;
	EXPECT_EQ(0, dn_debugfs_set("pause", 0));
	EXPECT_EQ(0, dn_unload());
}

/*
 * A filled, registered, fully evicted mapping of n pages: the start of most
 * tests.  Checks that the fill landed on node 0 and that the eviction moved
 * every page to the remote node, protected.
 */
static char *dn_evicted_range(struct __test_metadata *_metadata, int nid,
			      long n, uint64_t seed)
{
	size_t len = n * DN_PAGE;
	char *p = dn_map_guarded(len, -1);

	if (!p)
		return NULL;
	dn_fill(p, len, seed);
	EXPECT_EQ(n, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_target_add(getpid()));
	EXPECT_EQ(0, dn_evict(getpid(), p, len));
	EXPECT_EQ(n, dn_evict_moved());
	EXPECT_EQ(n, dn_numa_maps_pages(p, nid));
	EXPECT_EQ(n, dn_count_protected(p, len));
	return p;
}

#define DN_TRACEFS	"/sys/kernel/tracing"

/* Empty the trace buffer (opening it with O_TRUNC does). */
static int dn_trace_clear(void)
{
	int fd = open(DN_TRACEFS "/trace", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Lines of the trace buffer that contain @event. */
static long dn_trace_count(const char *event)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(DN_TRACEFS "/trace", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, event))
			n++;
	fclose(f);
	return n;
}

/*
 * The disagg_node:* tracepoints (what perf stat -e 'disagg_node:*' counts)
 * fire once per trap (dn_fault) and once per eviction batch (dn_evict).
 */
TEST_F(remote, tracepoints_count_events)
{
	size_t len = DN_N * DN_PAGE;
	char *p;

	DN_NEED_SETUP();
	if (access(DN_TRACEFS "/events/disagg_node/enable", W_OK))
		mount("tracefs", DN_TRACEFS, "tracefs", 0, NULL);
	ASSERT_EQ(0, access(DN_TRACEFS "/events/disagg_node/dn_fault/enable", W_OK));
	ASSERT_EQ(0, dn_write_file(DN_TRACEFS "/buffer_size_kb", "4096"));
	ASSERT_EQ(0, dn_trace_clear());
	ASSERT_EQ(0, dn_write_file(DN_TRACEFS "/events/disagg_node/enable", "1"));

	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	dn_touch_read(p, DN_N);
	EXPECT_EQ(0, dn_write_file(DN_TRACEFS "/events/disagg_node/enable", "0"));

	TH_LOG("trace: %ld dn_fault, %ld dn_evict, %ld dn_promote_fail",
	       dn_trace_count("dn_fault:"), dn_trace_count("dn_evict:"),
	       dn_trace_count("dn_promote_fail:"));
	EXPECT_EQ(DN_N, dn_trace_count("dn_fault:"));
	EXPECT_EQ(1, dn_trace_count("dn_evict:"));
	EXPECT_EQ(0, dn_trace_count("dn_promote_fail:"));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
	dn_trace_clear();
}

/* Each evicted page traps exactly once on a read, is promoted, then stops trapping. */
TEST_F(remote, trap_count_evicted)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);

	ASSERT_EQ(0, dn_counters_read(&a));
	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&b));
	EXPECT_EQ(DN_N, b.remote_faults - a.remote_faults);
	EXPECT_EQ(DN_N, b.promotions - a.promotions);
	EXPECT_EQ(0, b.promotion_failures - a.promotion_failures);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_numa_maps_pages(p, self->nid));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));

	/* Local now: neither reads nor writes trap. */
	dn_touch_read(p, DN_N);
	dn_touch_write(p, DN_N, DN_SEED);
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(b.remote_faults, c.remote_faults);
	EXPECT_EQ(b.promotions, c.promotions);
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* A first touch on the remote node (mbind) is protected at once: each page traps exactly once in all. */
TEST_F(remote, trap_count_first_touch)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c, d;
	long long f1, p1;
	char *p;

	DN_NEED_SETUP();
	/* Registered before the first touch, so the hook sees it. */
	ASSERT_EQ(0, dn_target_add(getpid()));
	p = dn_map_guarded(len, self->nid);
	ASSERT_NE(NULL, p);

	/*
	 * The fault that allocates a page on the remote node returns to user
	 * mode with the page protected, and the faulting store is then
	 * retried: read literally, the contract makes that retry the trap
	 * ("its next access traps"), so the fill itself may trap and promote
	 * every page (f1 == N).  If the protection lands only after the
	 * store, the pages stay remote and the read pass traps (f1 == 0).
	 * Either way: each page traps once in all (during the fill or on the
	 * next read), a trap promotes, and a page still remote is protected.
	 */
	ASSERT_EQ(0, dn_counters_read(&a));
	dn_fill(p, len, DN_SEED);
	ASSERT_EQ(0, dn_counters_read(&b));
	f1 = b.remote_faults - a.remote_faults;
	p1 = b.promotions - a.promotions;
	TH_LOG("first touch: %lld of %ld pages trapped during the fill, %lld promoted",
	       f1, DN_N, p1);
	EXPECT_EQ(f1, p1);
	EXPECT_GE(DN_N, f1);
	EXPECT_EQ(DN_N - p1, dn_numa_maps_pages(p, self->nid));
	EXPECT_EQ(DN_N - p1, dn_count_protected(p, len));
	EXPECT_EQ(p1, dn_count_on_node(p, len, 0));

	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(DN_N, c.remote_faults - a.remote_faults);
	EXPECT_EQ(DN_N, c.promotions - a.promotions);
	EXPECT_EQ(0, c.promotion_failures - a.promotion_failures);
	EXPECT_EQ(DN_N, c.hook_protected - a.hook_protected);
	EXPECT_EQ(0, c.reprotected - a.reprotected);
	/* Promotion ignores the task's MPOL_BIND to the remote node. */
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));

	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&d));
	EXPECT_EQ(c.remote_faults, d.remote_faults);
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/*
 * Child of the fork tests: optionally wait for "go" on go_fd, read-touch
 * every page, check the data and, if want_faults >= 0, that its touches
 * moved remote_faults by exactly that much.  Exit status: 0 ok, 1 data
 * wrong, 2 count wrong, 3 no "go".
 */
static void dn_fork_child(char *p, long n, uint64_t seed, int go_fd,
			  long long want_faults)
{
	long long f0, f1;

	if (go_fd >= 0 && dn_recv(go_fd, 30000) != 'g')
		_exit(3);
	f0 = dn_stat("remote_faults");
	dn_touch_read(p, n);
	f1 = dn_stat("remote_faults");
	if (dn_check(p, n * DN_PAGE, seed))
		_exit(1);
	if (want_faults >= 0 && (f0 < 0 || f1 - f0 != want_faults))
		_exit(2);
	_exit(0);
}

/* fork: the child's first access traps and promotes; the parent then sees local pages. */
TEST_F(remote, fork_parent_and_child)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	int status, ret;
	pid_t pid;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, dn_counters_read(&a));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		dn_fork_child(p, DN_N, DN_SEED, -1, DN_N);
	ret = dn_reap(pid, 30000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("child: reap %d, status %#x (1 data, 2 count)", ret, status);
	}
	ASSERT_EQ(0, dn_counters_read(&b));
	EXPECT_EQ(DN_N, b.remote_faults - a.remote_faults);
	EXPECT_EQ(DN_N, b.promotions - a.promotions);

	/* The promotion replaced the shared page in both address spaces. */
	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(b.remote_faults, c.remote_faults);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/*
 * fork: pages a target shares with a non-target by COW are not moved on
 * the target's behalf.  The parent, a target at remote_pct 50 whose ring
 * holds its local pages (a recount before the fork), traps over a private
 * range, and every trap's exchange sends a page remote.  Its child, not a
 * target, holds N pages it shares with the parent, all local at the fork:
 * it finds every one still on node 0, and its data intact, after the
 * parent's traps and a worker pass.
 */
TEST_F_TIMEOUT(remote, fork_cow_pages_stay, 120)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b;
	int status, ret, go[2], i;
	char *shared, *hot;
	pid_t pid;

	DN_NEED_SETUP();
	shared = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, shared);
	dn_fill(shared, len, DN_SEED + 1);
	hot = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, hot);
	ASSERT_EQ(0, dn_set("remote_pct", 50));
	/* A recount: the ring holds every local page, shared ones included. */
	ASSERT_EQ(0, dn_debugfs_set("run_pass", 1));
	ASSERT_EQ(DN_N, dn_count_on_node(shared, len, 0));
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		/* Wait for the parent's traps; touch nothing remote. */
		if (dn_recv(go[0], 60000) != 'g')
			_exit(3);
		if (dn_numa_maps_pages(shared, 0) != DN_N ||
		    dn_numa_maps_pages(shared, self->nid) != 0)
			_exit(1);
		if (dn_check(shared, len, DN_SEED + 1))
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(0, dn_counters_read(&a));
	for (i = 0; i < 4; i++)
		dn_touch_write(hot, DN_N, DN_SEED);
	ASSERT_EQ(0, dn_debugfs_set("run_pass", 1));
	ASSERT_EQ(0, dn_counters_read(&b));
	TH_LOG("cow: parent %lld traps, %lld exchanges, %lld evictions",
	       b.remote_faults - a.remote_faults, b.exchanges - a.exchanges,
	       b.evictions - a.evictions);
	EXPECT_LT(0, b.remote_faults - a.remote_faults);
	EXPECT_LT(0, b.exchanges - a.exchanges);
	EXPECT_EQ(0, dn_send(go[1], 'g'));
	ret = dn_reap(pid, 60000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("child: reap %d, status %#x (1 a shared page moved, 2 data, 3 no go)",
		       ret, status);
	}
	close(go[1]);
	EXPECT_EQ(0, dn_check(shared, len, DN_SEED + 1));
	EXPECT_EQ(0, dn_check(hot, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(shared, len));
	EXPECT_EQ(0, dn_unmap_guarded(hot, len));
}

/*
 * exec with a task_work pending: the command string execve() copies sits
 * in a remote page of a target, so the kernel's copy traps (queueing the
 * trap's task_work) and the exec replaces the address space before the
 * work runs.  The work must not act on the new program as on the old
 * target: the program runs with its argument intact (it says so on a
 * pipe, then waits for its stdin to close and exits 42), is not made a
 * target (it touches nothing remote), and the kernel log stays clean.
 * The target check is made once the shell has run (the work runs before
 * its first instruction) and while it lives, after a worker pass (which
 * reaps a target whose address space is gone).
 */
TEST_F(remote, exec_with_pending_task_work)
{
	static const char cmd[] = "echo r >&9; read x; exit 42";
	int status, ret, go[2], up[2], r;
	long long f0, f1;
	char path[96];
	pid_t pid;

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set("remote_pct", 50));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(up));
	f0 = dn_stat("remote_faults");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "sh", "-c", NULL, NULL };
		char *p = dn_map_guarded(DN_PAGE, -1);

		close(go[1]);
		close(up[0]);
		if (!p || dup2(up[1], 9) != 9)
			_exit(3);
		memcpy(p, cmd, sizeof(cmd));
		if (dn_target_add(getpid()) || dn_evict(getpid(), p, DN_PAGE) ||
		    dn_evict_moved() != 1)
			_exit(4);
		if (dn_recv(go[0], 30000) != 'g' || dup2(go[0], 0))
			_exit(5);
		argv[2] = p;
		execv("/bin/sh", argv);
		_exit(6);
	}
	close(go[0]);
	close(up[1]);
	EXPECT_EQ(0, dn_send(go[1], 'g'));
	/* The shell runs: the old target is gone, and no new one came. */
	r = dn_recv(up[0], 30000);
	EXPECT_EQ('r', r) {
		TH_LOG("the exec'd shell did not report: %d", r);
	}
	EXPECT_EQ(0, dn_run_pass());
	snprintf(path, sizeof(path), DN_SYSFS "/targets/%d", pid);
	EXPECT_NE(0, access(path, F_OK)) {
		TH_LOG("the exec'd program became a target");
	}
	f1 = dn_stat("remote_faults");
	close(go[1]);	/* its read returns: it exits 42 */
	close(up[0]);
	ret = dn_reap(pid, 30000, &status);
	EXPECT_EQ(0, ret);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) {
		TH_LOG("child: status %#x (42: ran its argument; 3-6 setup)", status);
	}
	TH_LOG("exec: %lld traps while the argument was copied", f1 - f0);
	EXPECT_LE(1, f1 - f0);
}

/* Fork a child that runs @fn(@arg) and exits with its value. */
static pid_t dn_spawn(int (*fn)(long), long arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static int dn_sleeper(long unused)
{
	for (;;)
		pause();
	return 0;
}

#define DN_HOLD_MS	6000

/* Hold the mmap lock of process @pid for DN_HOLD_MS (debugfs hold_mmap). */
static int dn_holder(long pid)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%ld %d", pid, DN_HOLD_MS);
	return dn_write_file(DN_DEBUGFS "/hold_mmap", cmd) ? 1 : 0;
}

/* Register process @pid: waits while its mmap lock is held. */
static int dn_registrar(long pid)
{
	return dn_target_add(pid) ? 1 : 0;
}

/*
 * A registration stalled on its own process's mmap lock holds up no one
 * else.  While process A's mmap lock is held for writing (debugfs
 * hold_mmap, DN_HOLD_MS) and a write of A's pid to target_add waits for
 * it: a new target B registers by its first trap and traps on every page
 * of a remote range, the stats files read, and the waiting registration
 * dies at once on SIGKILL; then modprobe -r completes.
 */
TEST_F_TIMEOUT(remote, registration_stall_blocks_no_one, 120)
{
	size_t len = DN_N * DN_PAGE;
	pid_t a, holder, registrar, b, pid;
	long long t0, t_b, t_stats, t_kill;
	int status, ret;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	a = dn_spawn(dn_sleeper, 0);
	ASSERT_LT(0, a);
	holder = dn_spawn(dn_holder, a);
	ASSERT_LT(0, holder);
	ASSERT_TRUE(DN_WAIT_UNTIL(dn_read_ll(DN_DEBUGFS "/hold_mmap") == 1,
				  5000, 10));
	t0 = dn_now_ns();
	registrar = dn_spawn(dn_registrar, a);
	ASSERT_LT(0, registrar);
	/*
	 * Until it waits for A's lock: blocked in its write() to target_add,
	 * in state D (the wait is killable, TASK_KILLABLE).
	 */
	EXPECT_TRUE(DN_WAIT_UNTIL(dn_task_state(registrar) == 'D' &&
				  dn_task_syscall(registrar) == SYS_write,
				  DN_HOLD_MS / 2, 10)) {
		TH_LOG("the registration did not wait for the lock: state %c, system call %ld",
		       dn_task_state(registrar), dn_task_syscall(registrar));
	}

	/* B: a new address space whose first trap registers it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		dn_fork_child(p, DN_N, DN_SEED, -1, DN_N);
	b = pid;
	ret = dn_reap(b, DN_HOLD_MS, &status);
	t_b = dn_now_ns();
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("B: reap %d, status %#x (1 data, 2 count)", ret, status);
	}
	EXPECT_LE(0, dn_stat("local_pages"));
	t_stats = dn_now_ns();
	EXPECT_EQ(0, kill(registrar, SIGKILL));
	ret = dn_reap(registrar, 1000, &status);
	t_kill = dn_now_ns();
	EXPECT_EQ(0, ret) {
		TH_LOG("the registration did not die within 1 s of SIGKILL");
	}
	TH_LOG("stall: B done %lld ms into the hold, stats read at %lld ms, registration killed at %lld ms (hold %d ms)",
	       (t_b - t0) / 1000000, (t_stats - t0) / 1000000,
	       (t_kill - t0) / 1000000, DN_HOLD_MS);
	/* All of it well before the hold ends. */
	EXPECT_GT(DN_HOLD_MS - 1000, (t_kill - t0) / 1000000);
	ret = dn_reap(holder, DN_HOLD_MS + 5000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status));
	kill(a, SIGKILL);
	dn_reap(a, 5000, &status);
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
	/* modprobe -r completes (teardown unloads once more). */
	ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, dn_load(""));
	ASSERT_EQ(0, dn_debugfs_set("pause", 1));
}

/* fork: the parent's first access traps and promotes; the child then sees local pages. */
TEST_F(remote, fork_parent_touches_first)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	int status, ret, go[2];
	pid_t pid;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, dn_counters_read(&a));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		dn_fork_child(p, DN_N, DN_SEED, go[0], 0);
	}
	close(go[0]);

	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&b)) {
		close(go[1]);
		dn_reap(pid, 0, &status);
	}
	EXPECT_EQ(DN_N, b.remote_faults - a.remote_faults);
	EXPECT_EQ(DN_N, b.promotions - a.promotions);
	EXPECT_EQ(0, dn_send(go[1], 'g'));
	close(go[1]);
	ret = dn_reap(pid, 30000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("child: reap %d, status %#x (1 data, 2 trapped, 3 no go)",
		       ret, status);
	}
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(b.remote_faults, c.remote_faults);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/*
 * A failed promotion leaves the page remote and protected: the retried
 * access traps again.  K injected failures all fall on the first page's
 * retried access: N + K traps, K failures re-protected, N promotions.
 */
TEST_F(remote, failed_promotion_reprotects)
{
	const long k = 8;	/* below the module's DN_FAIL_STREAK */
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, dn_debugfs_set("fail_promote", k));
	EXPECT_EQ(k, dn_read_ll(DN_DEBUGFS "/fail_promote"));

	ASSERT_EQ(0, dn_counters_read(&a));
	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&b));
	TH_LOG("fail_promote=%ld: %lld traps, %lld failures, %lld protected by the hook, %lld promotions",
	       k, b.remote_faults - a.remote_faults,
	       b.promotion_failures - a.promotion_failures,
	       b.hook_protected - a.hook_protected, b.promotions - a.promotions);
	EXPECT_EQ(0, dn_read_ll(DN_DEBUGFS "/fail_promote"));
	EXPECT_EQ(DN_N + k, b.remote_faults - a.remote_faults);
	EXPECT_EQ(k, b.promotion_failures - a.promotion_failures);
	EXPECT_EQ(k, b.hook_protected - a.hook_protected);
	EXPECT_EQ(0, b.reprotected - a.reprotected);
	EXPECT_EQ(DN_N, b.promotions - a.promotions);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));

	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(b.remote_faults, c.remote_faults);
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/*
 * Promotions failing in a row (the local node short of memory) must not
 * make an access trap forever: past DN_FAIL_STREAK (32) failures the page
 * is left mapped so the access completes, and the worker protects it at
 * its next pass.  64 failures: 32 re-protected at once on the first page,
 * then pages 0..31 deferred; the worker finds and protects those 32.
 */
TEST_F(remote, failed_promotion_streak_defers)
{
	const long streak = 32, k = 64;
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	long long d0, d1;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, dn_debugfs_set("fail_promote", k));
	ASSERT_EQ(0, dn_counters_read(&a));
	d0 = dn_stat("reprotect_deferred");
	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&b));
	d1 = dn_stat("reprotect_deferred");
	TH_LOG("fail_promote=%ld: %lld traps, %lld failures, %lld protected by the hook, %lld deferred, %lld promotions",
	       k, b.remote_faults - a.remote_faults,
	       b.promotion_failures - a.promotion_failures,
	       b.hook_protected - a.hook_protected, d1 - d0,
	       b.promotions - a.promotions);
	EXPECT_EQ(DN_N + streak, b.remote_faults - a.remote_faults);
	EXPECT_EQ(k, b.promotion_failures - a.promotion_failures);
	EXPECT_EQ(streak, b.hook_protected - a.hook_protected);
	EXPECT_EQ(0, b.reprotected - a.reprotected);
	EXPECT_EQ(k - streak, d1 - d0);
	EXPECT_EQ(DN_N - (k - streak), b.promotions - a.promotions);
	EXPECT_EQ(k - streak, dn_numa_maps_pages(p, self->nid));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));

	/* One worker pass protects the deferred pages (and, at 0%, brings them home). */
	ASSERT_EQ(0, dn_debugfs_set("run_pass", 1));
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(k - streak, c.reprotected - b.reprotected);
	EXPECT_EQ(k - streak, c.homecomings - b.homecomings);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* mprotect (to read-only and back, or to read-only alone) leaves remote pages trapping. */
TEST_F(remote, mprotect_keeps_trapping)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);

	ASSERT_EQ(0, mprotect(p, len, PROT_READ));
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(DN_N, dn_numa_maps_pages(p, self->nid));
	EXPECT_EQ(DN_N, dn_count_protected(p, len));
	ASSERT_EQ(0, dn_counters_read(&a));
	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&b));
	EXPECT_EQ(DN_N, b.remote_faults - a.remote_faults);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	/* Writable again after the round trip. */
	dn_touch_write(p, DN_N, DN_SEED);

	/* Again, left read-only while the pages are remote. */
	ASSERT_EQ(0, dn_evict(getpid(), p, len));
	EXPECT_EQ(DN_N, dn_evict_moved());
	ASSERT_EQ(0, mprotect(p, len, PROT_READ));
	EXPECT_EQ(DN_N, dn_count_protected(p, len));
	dn_touch_read(p, DN_N);
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(DN_N, c.remote_faults - b.remote_faults);
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE));
	dn_touch_write(p, DN_N, DN_SEED);
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* mremap moving remote pages to a new address keeps them trapping there. */
TEST_F(remote, mremap_keeps_trapping)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	char *p, *hole, *q;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);

	/* A fixed destination between guard pages, so the move really happens. */
	hole = mmap(NULL, len + 2 * DN_PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, hole + DN_PAGE);
	ASSERT_EQ(hole + DN_PAGE, q);
	EXPECT_EQ(DN_N, dn_numa_maps_pages(q, self->nid));
	EXPECT_EQ(DN_N, dn_count_protected(q, len));

	ASSERT_EQ(0, dn_counters_read(&a));
	dn_touch_read(q, DN_N);
	ASSERT_EQ(0, dn_counters_read(&b));
	EXPECT_EQ(DN_N, b.remote_faults - a.remote_faults);
	EXPECT_EQ(DN_N, b.promotions - a.promotions);
	EXPECT_EQ(DN_N, dn_count_on_node(q, len, 0));
	EXPECT_EQ(0, dn_check(q, len, DN_SEED));
	dn_touch_read(q, DN_N);
	ASSERT_EQ(0, dn_counters_read(&c));
	EXPECT_EQ(b.remote_faults, c.remote_faults);
	EXPECT_EQ(0, munmap(hole, len + 2 * DN_PAGE));
	/* The old range's guard pages. */
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* Stress: 4 threads */

#define DN_STRESS_THREADS	4
#define DN_STRESS_PAGES		2048L
#define DN_STRESS_TICK_MS	200
#define DN_STRESS_TICKS		15	/* 3 s */

struct dn_stress {
	pthread_t thread;
	uint64_t *base;		/* this thread's slice */
	size_t words;
	unsigned int id;
	uint64_t seq;		/* sequence number every word of the slice holds */
	long lost;		/* words that did not hold the previous value */
	long passes;
	int *stop;
	long long deadline_ns;	/* a bound even if stop is never set */
};

/* Word i of thread id's slice after pass seq. */
static uint64_t dn_stress_val(unsigned int id, uint64_t seq, size_t i)
{
	return (seq * 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL) ^ id;
}

/* Each pass checks every word still holds the last pass's value, then writes the next. */
static void *dn_stress_thread(void *arg)
{
	struct dn_stress *s = arg;
	size_t i;

	while (!__atomic_load_n(s->stop, __ATOMIC_RELAXED) &&
	       dn_now_ns() < s->deadline_ns) {
		uint64_t next = s->seq + 1;

		for (i = 0; i < s->words; i++) {
			if (s->base[i] != dn_stress_val(s->id, s->seq, i))
				s->lost++;
			s->base[i] = dn_stress_val(s->id, next, i);
		}
		s->seq = next;
		s->passes++;
	}
	return NULL;
}

/* Threads rewriting their pages while the worker, knob changes and debugfs evictions move them: no lost write. */
TEST_F_TIMEOUT(remote, stress_concurrent, 90)
{
	static const int pcts[] = { 25, 75, 50 };
	static const int lats[] = { 0, 5000, 20000 };
	size_t len = DN_STRESS_PAGES * DN_PAGE;
	size_t words = len / sizeof(uint64_t) / DN_STRESS_THREADS;
	struct dn_stress st[DN_STRESS_THREADS];
	long lost = 0, bad = 0, passes = 0, knob_errors = 0;
	long evict_calls = 0, evict_errors = 0, evict_moved = 0;
	int created = 0, stop = 0, i, t, ret;
	struct dn_counters a, b;
	uint64_t rnd = 12345;
	long long tick;
	size_t w;
	char *p;

	DN_NEED_SETUP();
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	memset(st, 0, sizeof(st));
	for (t = 0; t < DN_STRESS_THREADS; t++) {
		st[t].base = (uint64_t *)p + t * words;
		st[t].words = words;
		st[t].id = t;
		st[t].stop = &stop;
		st[t].deadline_ns = dn_now_ns() + 30 * 1000000000LL;
		for (w = 0; w < words; w++)
			st[t].base[w] = dn_stress_val(t, 0, w);
	}
	ASSERT_EQ(0, dn_target_add(getpid()));
	ASSERT_EQ(0, dn_counters_read(&a));
	ASSERT_EQ(0, dn_set("remote_pct", 50));
	ASSERT_EQ(0, dn_debugfs_set("pause", 0));

	/* From here to the join: no ASSERT, the threads must be stopped. */
	for (t = 0; t < DN_STRESS_THREADS; t++) {
		ret = pthread_create(&st[t].thread, NULL, dn_stress_thread, &st[t]);
		if (ret) {
			TH_LOG("pthread_create: %s", strerror(ret));
			break;
		}
		created++;
	}
	tick = dn_now_ns();
	for (i = 0; created == DN_STRESS_THREADS && i < DN_STRESS_TICKS; i++) {
		long pages = 1 + dn_lcg(&rnd) % 64;
		long first = dn_lcg(&rnd) % (DN_STRESS_PAGES - pages + 1);
		long long left;

		if (i) {
			knob_errors += !!dn_set("remote_pct", pcts[i % 3]);
			knob_errors += !!dn_set("latency_ns", lats[(i / 3) % 3]);
		}
		evict_calls++;
		if (dn_evict(getpid(), p + first * DN_PAGE, pages * DN_PAGE)) {
			evict_errors++;
		} else {
			long long moved = dn_evict_moved();

			if (moved > 0)
				evict_moved += moved;
		}
		tick += DN_STRESS_TICK_MS * 1000000LL;
		left = tick - dn_now_ns();
		if (left > 0)
			dn_sleep_ms(left / 1000000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (t = 0; t < created; t++)
		pthread_join(st[t].thread, NULL);

	knob_errors += !!dn_debugfs_set("pause", 1);
	knob_errors += !!dn_set("remote_pct", 0);
	knob_errors += !!dn_set("latency_ns", 0);
	ASSERT_EQ(0, dn_counters_read(&b));
	ASSERT_EQ(DN_STRESS_THREADS, created);

	for (t = 0; t < DN_STRESS_THREADS; t++) {
		lost += st[t].lost;
		passes += st[t].passes;
		for (w = 0; w < words; w++)
			if (st[t].base[w] != dn_stress_val(t, st[t].seq, w))
				bad++;
	}
	TH_LOG("stress: %ld passes of %ld pages, %ld lost writes, %ld bad words at the end",
	       passes, DN_STRESS_PAGES / DN_STRESS_THREADS, lost, bad);
	TH_LOG("stress: remote_faults +%lld promotions +%lld failures +%lld evictions +%lld homecomings +%lld injected_delay_ns +%lld",
	       b.remote_faults - a.remote_faults, b.promotions - a.promotions,
	       b.promotion_failures - a.promotion_failures,
	       b.evictions - a.evictions, b.homecomings - a.homecomings,
	       b.injected_delay_ns - a.injected_delay_ns);
	TH_LOG("stress: debugfs evict %ld calls, %ld errors, %ld pages moved",
	       evict_calls, evict_errors, evict_moved);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, knob_errors);
	EXPECT_EQ(0, evict_errors);
	EXPECT_LT(0, b.evictions - a.evictions);
	EXPECT_LT(0, b.remote_faults - a.remote_faults);
	for (t = 0; t < DN_STRESS_THREADS; t++)
		EXPECT_LT(0, st[t].passes);
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* Shared and file mappings */

/*
 * A page of a shared mapping that lands on the remote node where the hook
 * cannot see it (page cache written with write(), then mapped) is found by
 * the worker, protected, counted in skipped_shared (it is never evicted),
 * and from then on traps and is promoted like any other.
 */
TEST_F(remote, shared_mapping_protected_by_worker)
{
	size_t len = DN_N * DN_PAGE;
	unsigned long mask = 1UL << self->nid;
	struct dn_counters a, b;
	char *m, *buf;
	long i;
	int fd;

	DN_NEED_SETUP();
	fd = memfd_create("dn_shared", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	/* The shared policy of the memfd: its page cache on the remote node. */
	ASSERT_EQ(0, syscall(SYS_mbind, m, len, MPOL_BIND, &mask, 64, 0));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	dn_fill(buf, len, DN_SEED);
	ASSERT_EQ((ssize_t)len, pwrite(fd, buf, len, 0));
	ASSERT_EQ(0, dn_target_add(getpid()));

	/* Mapping the page cache allocates nothing: accessible remote pages. */
	dn_touch_read(m, DN_N);
	EXPECT_EQ(DN_N, dn_numa_maps_pages(m, self->nid));
	EXPECT_EQ(DN_N, dn_pte_state(m, len, false));
	EXPECT_EQ(0, dn_count_protected(m, len));

	/* One worker pass protects them. */
	ASSERT_EQ(0, dn_counters_read(&a));
	ASSERT_EQ(0, dn_debugfs_set("run_pass", 1));
	ASSERT_EQ(0, dn_counters_read(&b));
	TH_LOG("shared: %lld re-protected by the worker, skipped_shared %lld, evictions +%lld",
	       b.reprotected - a.reprotected, dn_stat("skipped_shared"),
	       b.evictions - a.evictions);
	EXPECT_EQ(DN_N, b.reprotected - a.reprotected);
	EXPECT_EQ(DN_N, dn_count_protected(m, len));
	EXPECT_EQ(0, dn_pte_state(m, len, false));
	EXPECT_LE(DN_N, dn_stat("skipped_shared"));
	EXPECT_EQ(0, b.homecomings - a.homecomings);

	/* Each page now traps once and comes home. */
	dn_touch_read(m, DN_N);
	ASSERT_EQ(0, dn_counters_read(&a));
	TH_LOG("shared: %lld traps, %lld promotions, %lld failures",
	       a.remote_faults - b.remote_faults, a.promotions - b.promotions,
	       a.promotion_failures - b.promotion_failures);
	EXPECT_EQ(DN_N, a.remote_faults - b.remote_faults - (a.promotion_failures - b.promotion_failures));
	EXPECT_EQ(DN_N, a.promotions - b.promotions);
	EXPECT_EQ(DN_N, dn_count_on_node(m, len, 0));
	for (i = 0; i < DN_N; i++)
		if (memcmp(m + i * DN_PAGE, buf + i * DN_PAGE, DN_PAGE))
			break;
	EXPECT_EQ(DN_N, i);
	free(buf);
	EXPECT_EQ(0, munmap(m, len));
	close(fd);
}

/* Huge pages */

#define DN_THP_FILE	"/sys/kernel/mm/transparent_hugepage/enabled"
#define DN_HUGE		(2UL << 20)

/*
 * A target found with transparent huge pages is handled by the documented
 * rule: huge mappings are left alone and counted in skipped_huge; nothing
 * WARNs (apply_to_existing_page_range() would on a huge PMD), the data
 * stays intact, and the worker still balances the target's small pages.
 */
TEST_F(remote, huge_pages_left_alone)
{
	size_t len = 4 * DN_HUGE;
	unsigned long mask = 1UL << self->nid;
	long long skipped0, skipped1, huge_local;
	char old[64] = "", *raw, *p;

	DN_NEED_SETUP();
	if (dn_read_file(DN_THP_FILE, old, sizeof(old)) < 0)
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_EQ(0, dn_write_file(DN_THP_FILE, "madvise"));
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0));

	raw = mmap(NULL, len + DN_HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	p = (char *)(((unsigned long)raw + DN_HUGE - 1) & ~(DN_HUGE - 1));
	ASSERT_EQ(0, madvise(p, len, MADV_HUGEPAGE));
	ASSERT_EQ(0, syscall(SYS_mbind, p, len, MPOL_BIND, &mask, 64, 0));
	dn_fill(p, len, DN_SEED);
	TH_LOG("huge: %ld of %zu pages on the remote node",
	       dn_numa_maps_pages(p, self->nid), len / DN_PAGE);
	ASSERT_EQ(0, dn_target_add(getpid()));

	skipped0 = dn_stat("skipped_huge");
	ASSERT_EQ(0, dn_set("remote_pct", 50));
	ASSERT_EQ(0, dn_debugfs_set("run_pass", 1));
	skipped1 = dn_stat("skipped_huge");
	TH_LOG("huge: skipped_huge +%lld", skipped1 - skipped0);
	EXPECT_LT(skipped0, skipped1);
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));

	/*
	 * Local huge pages, which eviction would otherwise pick: an explicit
	 * eviction of the range moves nothing, splits nothing (the range is
	 * still mapped by huge PMDs on node 0) and warns nothing.
	 */
	ASSERT_EQ(0, syscall(SYS_mbind, p, len, MPOL_DEFAULT, NULL, 0, 0));
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	dn_fill(p, len, DN_SEED2);
	huge_local = dn_smaps_kb(p, "AnonHugePages:");
	TH_LOG("huge: local range has AnonHugePages %lld kB, %ld pages on node 0",
	       huge_local, dn_numa_maps_pages(p, 0));
	ASSERT_EQ((long long)(len >> 10), huge_local);
	ASSERT_EQ((long)(len / DN_PAGE), dn_numa_maps_pages(p, 0));
	EXPECT_EQ(0, dn_evict(getpid(), p, len));
	EXPECT_EQ(0, dn_evict_moved());
	EXPECT_EQ((long long)(len >> 10), dn_smaps_kb(p, "AnonHugePages:"));
	EXPECT_EQ((long)(len / DN_PAGE), dn_numa_maps_pages(p, 0));
	EXPECT_EQ(0, dn_numa_maps_pages(p, self->nid));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED2));

	EXPECT_EQ(0, munmap(raw, len + DN_HUGE));
	EXPECT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	old[strcspn(old, "]")] = '\0';
	EXPECT_EQ(0, dn_write_file(DN_THP_FILE, strchr(old, '[') ? strchr(old, '[') + 1 : "never"));
}

/*
 * first_touch=0: no probe on page allocations.  A page first touched on the
 * remote node is then mapped accessible until the worker's next pass
 * protects it (for targets); from then on it traps like any other.
 */
TEST(first_touch_off_worker_protects)
{
	size_t len = DN_N * DN_PAGE;
	struct dn_counters a, b, c;
	long long nid;
	char *p;

	if (!dn_file_has("/proc/cmdline", "memmap="))
		SKIP(return, "machine booted without memmap=");
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, dn_load("first_touch=0"));
	ASSERT_EQ(0, dn_debugfs_set("pause", 1));
	EXPECT_EQ(0, dn_read_ll("/sys/module/disagg_node/parameters/first_touch"));
	nid = dn_read_ll(DN_SYSFS "/node_id");
	ASSERT_EQ(0, dn_target_add(getpid()));

	p = dn_map_on_node(len, nid);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, dn_counters_read(&a));
	dn_fill(p, len, DN_SEED);
	ASSERT_EQ(0, dn_counters_read(&b));
	EXPECT_EQ(0, b.remote_faults - a.remote_faults);
	EXPECT_EQ(0, b.reprotected - a.reprotected);
	EXPECT_EQ(DN_N, dn_pte_state(p, len, false));

	ASSERT_EQ(0, dn_set("remote_pct", 100));
	ASSERT_EQ(0, dn_debugfs_set("run_pass", 1));
	ASSERT_EQ(0, dn_counters_read(&c));
	TH_LOG("first_touch=0: %lld re-protected by the worker", c.reprotected - b.reprotected);
	/*
	 * At 100% the worker also evicts this process's stack and heap, whose
	 * traps may fail a promotion and be re-protected too: at least N.
	 * The mapping itself is checked exactly.
	 */
	EXPECT_LE(DN_N, c.reprotected - b.reprotected);
	EXPECT_EQ(0, dn_pte_state(p, len, false));
	/*
	 * Every page remote and protected, but for those the same pass
	 * brought home: at 100% a target keeps DN_LOCAL_WINDOW (8) anonymous
	 * pages local, and this one may have fewer elsewhere.
	 */
	EXPECT_EQ(DN_N, dn_count_protected(p, len) + dn_count_on_node(p, len, 0));
	EXPECT_GE(8, dn_count_on_node(p, len, 0));

	/* At 0% every trap brings its page home for good. */
	ASSERT_EQ(0, dn_set("remote_pct", 0));
	dn_touch_read(p, DN_N);
	EXPECT_EQ(0, dn_count_protected(p, len));
	EXPECT_EQ(DN_N, dn_count_on_node(p, len, 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, dn_unload());
}

/* Split */

#define DN_SPLIT_PAGES		2048L
#define DN_SPLIT_RUN_MS		2000
#define DN_SPLIT_SETTLE_PASSES	64
#define DN_SPLIT_TOLERANCE_PCT	5

/* About a quarter of the pages, scattered: touched every round. */
static bool dn_hot(size_t i)
{
	return ((i * 2654435761UL) >> 5) % 4 == 0;
}

/* Read one byte of each hot page. */
static void dn_touch_hot(const void *p, size_t npages)
{
	const volatile char *c = p;
	size_t i;

	for (i = 0; i < npages; i++)
		if (dn_hot(i))
			(void)c[i * DN_PAGE];
}

/* split_holds_pct's fixture: the remote fixture's, one variant per remote_pct. */
FIXTURE(remote_split) {
	bool loaded;
	bool ready;
	int nid;
};

FIXTURE_VARIANT(remote_split) {
	int pct;
};

FIXTURE_VARIANT_ADD(remote_split, pct25) { .pct = 25 };
FIXTURE_VARIANT_ADD(remote_split, pct50) { .pct = 50 };
FIXTURE_VARIANT_ADD(remote_split, pct75) { .pct = 75 };

FIXTURE_SETUP(remote_split)
{
	self->ready = dn_setup_module(_metadata, &dn_remote_setup,
				      &self->loaded, &self->nid);
}

FIXTURE_TEARDOWN(remote_split)
{
	if (!self->loaded)
		return;
	EXPECT_EQ(0, dn_debugfs_set("pause", 0));
	EXPECT_EQ(0, dn_unload());
}

/*
 * With the worker running while the workload reads and writes, the remote
 * share of the workload (the whole process's anonymous memory: remote_pct
 * applies to it) is at remote_pct (the variant's: 25, 50, 75) within 5
 * points once the accesses stop and the balancing passes have nothing
 * left to move.
 */
TEST_F_TIMEOUT(remote_split, split_holds_pct, 90)
{
	size_t len = DN_SPLIT_PAGES * DN_PAGE;
	long long end, rounds = 0;
	int pct = variant->pct, passes;
	long local, remote;
	double share;
	char *p;

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_target_add(getpid()));
	ASSERT_EQ(0, dn_set("remote_pct", pct));
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	dn_fill(p, len, DN_SEED);
	ASSERT_EQ(0, dn_debugfs_set("pause", 0));

	end = dn_now_ns() + DN_SPLIT_RUN_MS * 1000000LL;
	while (dn_now_ns() < end) {
		dn_touch_hot(p, DN_SPLIT_PAGES);
		if (rounds++ % 8 == 0)
			dn_touch_write(p, DN_SPLIT_PAGES, DN_SEED);
	}
	/*
	 * Accesses over: the worker stopped, then passes until one moves
	 * nothing (dn_run_passes_until_still()), the split it holds at rest.
	 */
	ASSERT_EQ(0, dn_debugfs_set("pause", 1));
	passes = dn_run_passes_until_still(DN_SPLIT_SETTLE_PASSES);
	ASSERT_LE(1, passes) {
		TH_LOG("pages still moving after %d passes",
		       DN_SPLIT_SETTLE_PASSES);
	}
	remote = dn_numa_maps_pages(p, self->nid);
	local = dn_numa_maps_pages(p, 0);
	TH_LOG("split remote_pct=%d: mapping %ld remote, %ld local (%.1f%%) after %lld rounds, settled in %d passes",
	       pct, remote, local,
	       local + remote > 0 ? 100.0 * remote / (local + remote) : -1,
	       rounds, passes);
	ASSERT_EQ(0, dn_anon_split(&local, &remote));
	share = local + remote > 0 ? 100.0 * remote / (local + remote) : -1;
	TH_LOG("split remote_pct=%d: process %ld remote, %ld local, share %.1f%%",
	       pct, remote, local, share);
	/* |100 * remote / total - pct| <= tolerance, in integers. */
	EXPECT_GE(DN_SPLIT_TOLERANCE_PCT * (local + remote),
		  labs(100 * remote - pct * (local + remote)));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* Latency */

/*
 * Bounds on the extra mean cost of one trap that latency_ns adds, compared
 * with latency_ns=0 in the same pass.  QEMU TCG emulates guest time: a
 * busy-wait of L ns costs about 1.0-1.4 L of guest time (KERNEL-FACTS:
 * 10 us -> +13 us, 20 us -> +25 us), and the rest of a trap (fault entry,
 * promotion, TLB flush: 57-110 us) drifts by tens of microseconds over a
 * run.  The settings are therefore interleaved in blocks of DN_LAT_BLOCK
 * traps within one pass over the same evicted pages, so that drift hits
 * both alike, each trap is timed alone and the medians compared.  The
 * windows absorb the remaining jitter and still catch a delay that is
 * missing or an order of magnitude off.
 */
#define DN_LAT10_MIN_NS		5000
#define DN_LAT10_MAX_NS		40000
#define DN_LAT50_MIN_NS		35000
#define DN_LAT50_MAX_NS		120000
#define DN_LAT_PAGES		512L
#define DN_LAT_BLOCK		16L
#define DN_LAT_PASSES		3

/*
 * One measurement: evict the range, then read it page by page, latency_ns
 * alternating between 0 and @lat every DN_LAT_BLOCK pages, timing each
 * trap alone into @t0 or @tl (advanced).  Adds the injected delay to @inj;
 * returns the traps counted.
 */
static long long dn_lat_pass(struct __test_metadata *_metadata, char *p,
			     long long lat, long long **t0, long long **tl,
			     long long *inj)
{
	size_t len = DN_LAT_PAGES * DN_PAGE;
	const volatile char *c = (const volatile char *)p;
	struct dn_counters a, b;
	long long start;
	long i;

	EXPECT_EQ(0, dn_evict(getpid(), p, len));
	EXPECT_EQ(DN_LAT_PAGES, dn_evict_moved());
	EXPECT_EQ(0, dn_counters_read(&a));
	for (i = 0; i < DN_LAT_PAGES; i++) {
		bool delayed = (i / DN_LAT_BLOCK) % 2;

		if (i % DN_LAT_BLOCK == 0)
			EXPECT_EQ(0, dn_set("latency_ns", delayed ? lat : 0));
		start = dn_now_ns();
		(void)c[i * DN_PAGE];
		*(delayed ? (*tl)++ : (*t0)++) = dn_now_ns() - start;
	}
	EXPECT_EQ(0, dn_counters_read(&b));
	EXPECT_EQ(DN_LAT_PAGES, b.promotions - a.promotions);
	*inj += b.injected_delay_ns - a.injected_delay_ns;
	return b.remote_faults - a.remote_faults;
}

static int dn_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long dn_median(long long *v, size_t n)
{
	qsort(v, n, sizeof(*v), dn_cmp_ll);
	return v[n / 2];
}

/*
 * latency_ns adds its delay to every trap: the median trap time and
 * injected_delay_ns grow by it.  Medians, since under TCG a trap now and
 * then waits for the other vCPU's time slice.
 */
TEST_F_TIMEOUT(remote, latency_delta, 120)
{
	static const long long lats[] = { 10000, 50000 };
	static const long long lo[] = { DN_LAT10_MIN_NS, DN_LAT50_MIN_NS };
	static const long long hi[] = { DN_LAT10_MAX_NS, DN_LAT50_MAX_NS };
	const long per = DN_LAT_PAGES / 2 * DN_LAT_PASSES;
	size_t len = DN_LAT_PAGES * DN_PAGE;
	long long *t0 = calloc(per, sizeof(*t0)), *tl = calloc(per, sizeof(*tl));
	long long local0, local1;
	int k, r;
	char *p;

	DN_NEED_SETUP();
	ASSERT_NE(NULL, t0);
	ASSERT_NE(NULL, tl);
	p = dn_map_guarded(len, -1);
	ASSERT_NE(NULL, p);
	dn_fill(p, len, DN_SEED);
	ASSERT_EQ(0, dn_target_add(getpid()));

	/* Reference: a read of a local page does not trap. */
	local0 = dn_now_ns();
	dn_touch_read(p, DN_LAT_PAGES);
	local1 = dn_now_ns();

	for (k = 0; k < 2; k++) {
		long long *w0 = t0, *wl = tl, inj = 0, traps = 0, m0, ml;

		for (r = 0; r < DN_LAT_PASSES; r++)
			traps += dn_lat_pass(_metadata, p, lats[k], &w0, &wl, &inj);
		m0 = dn_median(t0, per);
		ml = dn_median(tl, per);
		TH_LOG("latency_ns=%lld: median %lld ns per trap vs %lld ns at 0 (+%lld), injected %lld ns per delayed trap; local read %lld ns",
		       lats[k], ml, m0, ml - m0, inj / per,
		       (local1 - local0) / DN_LAT_PAGES);
		EXPECT_EQ(DN_LAT_PAGES * DN_LAT_PASSES, traps);
		EXPECT_LE(per * lats[k] * 9 / 10, inj);
		EXPECT_LE(lo[k], ml - m0);
		EXPECT_GE(hi[k], ml - m0);
		EXPECT_LT((local1 - local0) / DN_LAT_PAGES, m0);
	}
	ASSERT_EQ(0, dn_set("latency_ns", 0));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
	free(t0);
	free(tl);
}

/* Full remote node */

/* Remote node memory left free by the helper child: eviction fills it. */
#define DN_FULL_HEADROOM	(24 * MB)
#define DN_FULL_TARGET		(64 * MB)
/* Passes that must fill the node: each moves a few batches at least. */
#define DN_FULL_MAX_PASSES	1000

static int dn_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Helper child of remote_full_falls_back: fill fill_len bytes of the remote
 * node with a memfd whose shared policy binds it there (MPOL_BIND by mbind
 * of a mapping of it, never touched).  The data goes in by write() and
 * comes back by pread(): the pages are never mapped, so none of them traps
 * or can be evicted (the module may still make this process a target when
 * it sees the allocations; that is harmless).  Report 'r' when full, wait
 * for 'd', read everything back.
 * Returns the exit status: 0 intact, 1 data wrong, 3 no 'd', 1x setup.
 */
static int dn_fill_node_child(int nid, size_t fill_len, int ready_fd, int cmd_fd)
{
	unsigned long mask = 1UL << nid;
	size_t c, chunks = fill_len / MB;
	uint64_t *ref;
	long bad = 0;
	char *buf;
	void *m;
	int fd;

	buf = malloc(MB);
	ref = malloc(MB);
	if (!buf || !ref)
		return 10;
	memset(buf, 0, MB);
	dn_fill(ref, MB, DN_SEED2);
	fd = memfd_create("dn_fill_remote", 0);
	if (fd < 0 || ftruncate(fd, fill_len))
		return 11;
	m = mmap(NULL, fill_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 12;
	if (syscall(SYS_mbind, m, fill_len, MPOL_BIND, &mask, 64, 0))
		return 13;
	if (munmap(m, fill_len))
		return 14;
	for (c = 0; c < chunks; c++) {
		ref[0] = c;
		if (dn_write_all(fd, (char *)ref, MB))
			return 15;
	}
	if (dn_send(ready_fd, 'r'))
		return 16;
	if (dn_recv(cmd_fd, 90000) != 'd')
		return 3;
	for (c = 0; c < chunks; c++) {
		ref[0] = c;
		if (pread(fd, buf, MB, c * MB) != (ssize_t)MB ||
		    memcmp(buf, ref, MB))
			bad++;
	}
	return bad ? 1 : 0;
}

/*
 * remote_pct=100 with the remote node nearly full: balancing passes
 * (run_pass, the worker paused) evict until one finds the node full and
 * counts it in remote_full; a pass after that, nothing touched, finds it
 * full again and moves at most one batch (evict_batch, 256); nothing is
 * killed, data intact.
 */
TEST_F_TIMEOUT(remote, remote_full_falls_back, 150)
{
	size_t len = DN_FULL_TARGET;
	long long free_kb, full_kb, e1, e2, r1, r2;
	struct dn_counters a, b;
	int ready[2], cmd[2], status, ret, kfd, passes = 0;
	bool filled, alive;
	size_t fill;
	long remote;
	char *p = NULL;
	pid_t pid;

	DN_NEED_SETUP();
	free_kb = dn_node_meminfo_kb(self->nid, "MemFree");
	ASSERT_LT((long long)(DN_FULL_HEADROOM + 64 * MB) / 1024, free_kb);
	fill = (free_kb * 1024 - DN_FULL_HEADROOM) / MB * MB;
	kfd = dn_kmsg_open();
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(cmd));

	/* Forked before this process becomes a target. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(cmd[1]);
		_exit(dn_fill_node_child(self->nid, fill, ready[1], cmd[0]));
	}
	close(ready[1]);
	close(cmd[0]);

	/* From here to the reap: no ASSERT. */
	filled = dn_recv(ready[0], 90000) == 'r';
	EXPECT_TRUE(filled);
	full_kb = dn_node_meminfo_kb(self->nid, "MemFree");
	TH_LOG("remote_full: node %d MemFree %lld kB, helper filled %zu MB, now %lld kB free",
	       self->nid, free_kb, fill / MB, full_kb);
	if (filled) {
		EXPECT_GE((long long)(DN_FULL_HEADROOM + 8 * MB) / 1024, full_kb);
		p = dn_map_guarded(len, -1);
		EXPECT_NE(NULL, p);
	}
	if (p) {
		dn_fill(p, len, DN_SEED);
		EXPECT_EQ(0, dn_target_add(getpid()));
		EXPECT_EQ(0, dn_counters_read(&a));
		EXPECT_EQ(0, dn_set("remote_pct", 100));

		/* Passes until one finds the node full. */
		while (passes < DN_FULL_MAX_PASSES &&
		       dn_stat("remote_full") <= a.remote_full) {
			EXPECT_EQ(0, dn_run_pass());
			passes++;
		}
		/* Full and nothing touched: the next pass stops at its first batch. */
		e1 = dn_stat("evictions");
		r1 = dn_stat("remote_full");
		EXPECT_EQ(0, dn_run_pass());
		e2 = dn_stat("evictions");
		r2 = dn_stat("remote_full");
		EXPECT_EQ(0, dn_counters_read(&b));
		remote = dn_numa_maps_pages(p, self->nid);
		TH_LOG("remote_full: full after %d passes: remote_full +%lld, evictions +%lld (+%lld in the pass after, which found it full %lld times), %ld of %lu target pages remote, node MemFree %lld kB",
		       passes, b.remote_full - a.remote_full,
		       b.evictions - a.evictions, e2 - e1, r2 - r1, remote,
		       len / DN_PAGE, dn_node_meminfo_kb(self->nid, "MemFree"));
		EXPECT_LT(0, b.remote_full - a.remote_full);
		EXPECT_LE(1, r2 - r1);
		EXPECT_LT(0, remote);
		EXPECT_GT((long)(len / DN_PAGE), remote);
		EXPECT_GE(256, e2 - e1);
		alive = waitpid(pid, &status, WNOHANG) == 0;
		EXPECT_TRUE(alive);
		/* Every page, remote ones through a trap. */
		EXPECT_EQ(0, dn_check(p, len, DN_SEED));
		EXPECT_EQ(0, dn_set("remote_pct", 0));
	}
	EXPECT_EQ(0, dn_send(cmd[1], 'd'));
	close(cmd[1]);
	ret = dn_reap(pid, 90000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("helper: reap %d, status %#x (1 data, 3 no 'd', 1x setup)",
		       ret, status);
	}
	close(ready[0]);
	EXPECT_FALSE(dn_kmsg_has(kfd, "Out of memory"));
	EXPECT_FALSE(dn_kmsg_has(kfd, "page allocation failure"));
	close(kfd);
	if (p)
		EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* Local pressure */

/* Node 0 memory the hog leaves free. */
#define DN_HOG_HEADROOM		(64 * MB)
#define DN_HOG_PAGES		2048L

/*
 * Helper child of local_pressure_no_oom: bind to node 0, first-touch len
 * bytes (one word per page), report 'r', wait for 'd', check every page.
 * Returns the exit status: 0 intact, 1 data wrong, 3 no 'd', 1x setup.
 */
static int dn_hog_child(size_t len, int ready_fd, int cmd_fd)
{
	unsigned long mask = 1UL << 0;
	size_t i, n = len / DN_PAGE;
	long bad = 0;
	uint64_t *w;
	char *p;

	if (syscall(SYS_set_mempolicy, MPOL_BIND, &mask, 64))
		return 10;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return 11;
	dn_touch_write(p, n, DN_SEED2);
	if (dn_send(ready_fd, 'r'))
		return 12;
	if (dn_recv(cmd_fd, 120000) != 'd')
		return 3;
	for (i = 0; i < n; i++) {
		w = (uint64_t *)(p + i * DN_PAGE);
		if (w[0] != dn_pattern(i * DN_PAGE_WORDS, DN_SEED2) ||
		    w[DN_PAGE_WORDS - 1])
			bad++;
	}
	return bad ? 1 : 0;
}

/* A target at remote_pct=50 keeps running while another process fills node 0: no OOM kill, data intact. */
TEST_F_TIMEOUT(remote, local_pressure_no_oom, 180)
{
	size_t hog, len = DN_HOG_PAGES * DN_PAGE;
	long long free_kb, low_kb = -1, end, passes = 0;
	int ready[2], cmd[2], status, ret, kfd, r;
	struct dn_counters a, b;
	bool hogging = false;
	pid_t pid;
	char *p;

	DN_NEED_SETUP();
	free_kb = dn_node_meminfo_kb(0, "MemFree");
	ASSERT_LT((long long)(DN_HOG_HEADROOM + 64 * MB) / 1024, free_kb);
	hog = (free_kb * 1024 - DN_HOG_HEADROOM) / MB * MB;
	kfd = dn_kmsg_open();
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(cmd));

	/* Forked before this process becomes a target. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(cmd[1]);
		_exit(dn_hog_child(hog, ready[1], cmd[0]));
	}
	close(ready[1]);
	close(cmd[0]);

	/* From here to the reap: no ASSERT. */
	p = dn_map_guarded(len, -1);
	EXPECT_NE(NULL, p);
	if (p) {
		dn_fill(p, len, DN_SEED);
		EXPECT_EQ(0, dn_target_add(getpid()));
		EXPECT_EQ(0, dn_counters_read(&a));
		EXPECT_EQ(0, dn_set("remote_pct", 50));
		EXPECT_EQ(0, dn_debugfs_set("pause", 0));

		/* Keep using the target while the hog grows, then 2 s more. */
		end = dn_now_ns() + 120 * 1000000000LL;
		while (dn_now_ns() < end) {
			dn_touch_write(p, DN_HOG_PAGES, DN_SEED);
			dn_touch_hot(p, DN_HOG_PAGES);
			passes++;
			if (hogging)
				continue;
			r = dn_recv(ready[0], 0);
			if (r == 'r') {
				hogging = true;
				low_kb = dn_node_meminfo_kb(0, "MemFree");
				end = dn_now_ns() + 2 * 1000000000LL;
			} else if (r != -ETIMEDOUT) {
				break;	/* the hog is gone */
			}
		}
		EXPECT_TRUE(hogging);
		EXPECT_EQ(0, dn_debugfs_set("pause", 1));
		EXPECT_EQ(0, dn_set("remote_pct", 0));
		EXPECT_EQ(0, dn_counters_read(&b));
		TH_LOG("local pressure: hog %zu MB of %lld MB free on node 0, %lld kB free while held; %lld passes",
		       hog / MB, free_kb / 1024, low_kb, passes);
		TH_LOG("local pressure: remote_faults +%lld promotions +%lld failures +%lld evictions +%lld homecomings +%lld",
		       b.remote_faults - a.remote_faults,
		       b.promotions - a.promotions,
		       b.promotion_failures - a.promotion_failures,
		       b.evictions - a.evictions, b.homecomings - a.homecomings);
		EXPECT_LT(0, b.remote_faults - a.remote_faults);
		EXPECT_EQ(0, dn_check(p, len, DN_SEED));
	}
	EXPECT_EQ(0, dn_send(cmd[1], 'd'));
	close(cmd[1]);
	ret = dn_reap(pid, 90000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("hog: reap %d, status %#x (1 data, 3 no 'd', 1x setup; signal 9: killed)",
		       ret, status);
	}
	close(ready[0]);
	EXPECT_FALSE(dn_kmsg_has(kfd, "Out of memory"));
	close(kfd);
	if (p)
		EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* sysfs */

/* A pid with no process: 999999, or lower if pid_max allows it and it exists. */
static pid_t dn_unused_pid(void)
{
	pid_t pid;

	for (pid = 999999; pid > 1; pid--)
		if (kill(pid, 0) && errno == ESRCH)
			return pid;
	return -1;
}

/*
 * The debugfs range files parse "PID ADDR LEN" strictly: page-aligned ADDR
 * and LEN, nothing after LEN but a newline, no number that wraps; a good
 * range is accepted by evict, pte_state and run_pass alike.
 */
TEST_F(remote, debugfs_range_parse_strict)
{
	static const char *const files[] = { "evict", "pte_state" };
	char good[96], bad[12][96];
	char *p;
	int i, k;

	DN_NEED_SETUP();
	p = dn_map_guarded(4 * DN_PAGE, -1);
	ASSERT_NE(NULL, p);
	dn_fill(p, 4 * DN_PAGE, DN_SEED);
	snprintf(good, sizeof(good), "%d %lx %lu", getpid(), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[0], 96, "%d %lx %lu", getpid(), (unsigned long)p + 1, 4 * DN_PAGE);
	snprintf(bad[1], 96, "%d %lx %lu", getpid(), (unsigned long)p, 4 * DN_PAGE - 1);
	snprintf(bad[2], 96, "%d %lx %lu junk", getpid(), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[3], 96, "%d %lx %lux", getpid(), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[4], 96, "%lld %lx %lu", getpid() + (1LL << 32), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[5], 96, "%d %lx 0", getpid(), (unsigned long)p);
	snprintf(bad[6], 96, "%d %lx", getpid(), (unsigned long)p);
	snprintf(bad[7], 96, "%d  %lx %lu", getpid(), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[8], 96, "%d %lx %lu ", getpid(), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[9], 96, "%d fffffffffffff000 8192", getpid());
	snprintf(bad[10], 96, "-%d %lx %lu", getpid(), (unsigned long)p, 4 * DN_PAGE);
	snprintf(bad[11], 96, "%d %lx 18446744073709547520", getpid(), (unsigned long)p);
	for (k = 0; k < 2; k++) {
		char path[64];

		snprintf(path, sizeof(path), DN_DEBUGFS "/%s", files[k]);
		for (i = 0; i < 12; i++)
			EXPECT_EQ(-EINVAL, dn_write_file(path, bad[i]))
				TH_LOG("%s accepted '%s'", files[k], bad[i]);
		EXPECT_EQ(0, dn_write_file(path, good));
	}
	/* evict moved the range: pte_state's last read counts it protected. */
	EXPECT_EQ(4, dn_count_protected(p, 4 * DN_PAGE));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_DEBUGFS "/run_pass", "2"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_DEBUGFS "/run_pass", "x"));
	EXPECT_EQ(0, dn_write_file(DN_DEBUGFS "/run_pass", "1"));
	EXPECT_EQ(0, dn_check(p, 4 * DN_PAGE, DN_SEED));
	EXPECT_EQ(0, dn_unmap_guarded(p, 4 * DN_PAGE));
}

/* Bad values of the worker knobs and target files are refused with the documented errors. */
TEST_F(remote, sysfs_bad_input)
{
	char buf[32];
	pid_t nopid;

	DN_NEED_SETUP();
	/* Defaults from the contract. */
	EXPECT_EQ(10, dn_read_ll(DN_SYSFS "/scan_period_ms"));
	EXPECT_EQ(256, dn_read_ll(DN_SYSFS "/evict_batch"));

	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/scan_period_ms", "0"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/scan_period_ms", "10001"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/scan_period_ms", "x"));
	EXPECT_EQ(10, dn_read_ll(DN_SYSFS "/scan_period_ms"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/scan_period_ms", "1"));
	EXPECT_EQ(1, dn_read_ll(DN_SYSFS "/scan_period_ms"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/scan_period_ms", "10000\n"));
	EXPECT_EQ(10000, dn_read_ll(DN_SYSFS "/scan_period_ms"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/scan_period_ms", "10"));
	EXPECT_EQ(10, dn_read_ll(DN_SYSFS "/scan_period_ms"));

	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/evict_batch", "0"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/evict_batch", "4097"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/evict_batch", "x"));
	EXPECT_EQ(256, dn_read_ll(DN_SYSFS "/evict_batch"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/evict_batch", "1"));
	EXPECT_EQ(1, dn_read_ll(DN_SYSFS "/evict_batch"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/evict_batch", "4096"));
	EXPECT_EQ(4096, dn_read_ll(DN_SYSFS "/evict_batch"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/evict_batch", "256"));
	EXPECT_EQ(256, dn_read_ll(DN_SYSFS "/evict_batch"));

	EXPECT_EQ(0, dn_set("remote_pct", 75));
	EXPECT_EQ(75, dn_read_ll(DN_SYSFS "/remote_pct"));
	EXPECT_EQ(0, dn_set("latency_ns", 5000));
	EXPECT_EQ(5000, dn_read_ll(DN_SYSFS "/latency_ns"));
	EXPECT_EQ(0, dn_set("remote_pct", 0));
	EXPECT_EQ(0, dn_set("latency_ns", 0));

	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/target_add", "abc"));
	nopid = dn_unused_pid();
	ASSERT_LT(1, nopid);
	snprintf(buf, sizeof(buf), "%d", (int)nopid);
	EXPECT_EQ(-ESRCH, dn_write_file(DN_SYSFS "/target_add", buf));
	/* pid 2 is kthreadd: a kernel thread has no address space. */
	if (dn_file_has("/proc/2/comm", "kthreadd"))
		EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/target_add", "2"));
	EXPECT_EQ(0, dn_stat("targets"));

	/* The harness process is not a target; neither is this one yet. */
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/target_remove", "abc"));
	EXPECT_EQ(-ENOENT, dn_write_ll(DN_SYSFS "/target_remove", getppid()));
	EXPECT_EQ(-ENOENT, dn_write_ll(DN_SYSFS "/target_remove", getpid()));

	/* target_add is idempotent; target_remove undoes it once. */
	EXPECT_EQ(0, dn_target_add(getpid()));
	EXPECT_EQ(0, dn_target_add(getpid()));
	EXPECT_EQ(1, dn_stat("targets"));
	EXPECT_EQ(0, dn_write_ll(DN_SYSFS "/target_remove", getpid()));
	EXPECT_EQ(0, dn_stat("targets"));
	EXPECT_EQ(-ENOENT, dn_write_ll(DN_SYSFS "/target_remove", getpid()));
}

/* targets/PID/ counts this process's traps, promotions and evictions exactly. */
TEST_F(remote, per_target_counters)
{
	size_t len = DN_N * DN_PAGE;
	pid_t me = getpid();
	char path[128];
	char *p;

	DN_NEED_SETUP();
	p = dn_evicted_range(_metadata, self->nid, DN_N, DN_SEED);
	ASSERT_NE(NULL, p);
	dn_touch_read(p, DN_N);
	dn_touch_read(p, DN_N);

	EXPECT_EQ(DN_N, dn_target_stat(me, "remote_faults"));
	EXPECT_EQ(DN_N, dn_target_stat(me, "promotions"));
	EXPECT_EQ(0, dn_target_stat(me, "promotion_failures"));
	EXPECT_EQ(DN_N, dn_target_stat(me, "evictions"));
	EXPECT_EQ(0, dn_target_stat(me, "injected_delay_ns"));
	/*
	 * Every page came home and remote_pct is 0: nothing of this process
	 * is remote, and its local pages include the range.
	 */
	EXPECT_EQ(0, dn_target_stat(me, "remote_pages"));
	EXPECT_LE(DN_N, dn_target_stat(me, "local_pages"));
	EXPECT_EQ(1, dn_stat("targets"));
	EXPECT_EQ(0, dn_check(p, len, DN_SEED));

	EXPECT_EQ(0, dn_write_ll(DN_SYSFS "/target_remove", me));
	snprintf(path, sizeof(path), DN_SYSFS "/targets/%d", (int)me);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_EQ(0, dn_stat("targets"));
	EXPECT_EQ(0, dn_unmap_guarded(p, len));
}

/* Unload under load */

#define DN_BUSY_PAGES		1024L

/* Passes of the child over its pages after the unload. */
#define DN_BUSY_AFTER		4

/*
 * Child of unload_under_load: a target that rewrites every word of its
 * pages each pass, checking the previous pass's value, until
 * DN_BUSY_AFTER passes after 'u' (module unloaded).  Then every page must
 * be on node 0.
 * Returns the exit status: 0 ok, 1 data wrong, 2 pages not all on node 0,
 * 1x setup or protocol.
 */
static int dn_busy_child(int ready_fd, int cmd_fd)
{
	size_t i, words = DN_BUSY_PAGES * DN_PAGE_WORDS;
	size_t len = DN_BUSY_PAGES * DN_PAGE;
	long long end;
	uint64_t seq = 0, after = 0, *w;
	long lost = 0;
	int r;

	w = dn_map_guarded(len, -1);
	if (!w)
		return 10;
	for (i = 0; i < words; i++)
		w[i] = dn_stress_val(0, 0, i);
	if (dn_target_add(getpid()))
		return 11;
	if (dn_send(ready_fd, 'r'))
		return 12;
	end = dn_now_ns() + 30 * 1000000000LL;
	while (dn_now_ns() < end) {
		for (i = 0; i < words; i++) {
			if (w[i] != dn_stress_val(0, seq, i))
				lost++;
			w[i] = dn_stress_val(0, seq + 1, i);
		}
		seq++;
		if (after) {
			if (seq >= after)
				break;
			continue;
		}
		r = dn_recv(cmd_fd, 0);
		if (r == 'u')
			after = seq + DN_BUSY_AFTER;
		else if (r != -ETIMEDOUT)
			return 13;
	}
	if (!after || seq < after)
		return 14;
	for (i = 0; i < words; i++)
		if (w[i] != dn_stress_val(0, seq, i))
			lost++;
	if (lost)
		return 1;
	if (dn_count_on_node(w, len, 0) != DN_BUSY_PAGES)
		return 2;
	return 0;
}

/*
 * Unload while a target is rewriting its pages with the worker running
 * (once a quarter of its pages went remote and were trapped on): unload
 * succeeds, data intact, all pages home.
 */
TEST(unload_under_load)
{
	int ready[2], cmd[2], status, ret;
	struct dn_counters b;
	bool ok;
	pid_t pid;

	if (!dn_configured())
		SKIP(return, "machine booted without memmap=: no remote node");
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, dn_load(""));
	if (!dn_debugfs_ready()) {
		dn_unload();
		SKIP(return, DN_NO_DEBUGFS);
	}
	ok = !dn_set("remote_pct", 50) && !dn_set("latency_ns", 0) &&
	     !dn_debugfs_set("pause", 0) && !pipe(ready) && !pipe(cmd);
	if (!ok)
		dn_unload();
	ASSERT_TRUE(ok);

	pid = fork();
	if (pid < 0)
		dn_unload();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(cmd[1]);
		_exit(dn_busy_child(ready[1], cmd[0]));
	}
	close(ready[1]);
	close(cmd[0]);

	/* From here to the reap: no ASSERT. */
	EXPECT_EQ('r', dn_recv(ready[0], 20000));
	/*
	 * The load under way: the worker started it (the child's pages start
	 * local), a quarter of its pages went remote (evictions, and the
	 * traps' exchanges) and were trapped on.
	 */
	DN_WAIT_UNTIL(!dn_counters_read(&b) && b.evictions > 0 &&
		      b.evictions + b.exchanges >= DN_BUSY_PAGES / 4 &&
		      b.remote_faults >= DN_BUSY_PAGES / 4, 30000, 10);
	EXPECT_EQ(0, dn_counters_read(&b));
	TH_LOG("unload under load: before unload remote_faults %lld promotions %lld evictions %lld exchanges %lld",
	       b.remote_faults, b.promotions, b.evictions, b.exchanges);
	EXPECT_LT(0, b.evictions);
	EXPECT_LE(DN_BUSY_PAGES / 4, b.evictions + b.exchanges);
	EXPECT_LE(DN_BUSY_PAGES / 4, b.remote_faults);

	EXPECT_EQ(0, dn_unload());
	EXPECT_FALSE(dn_loaded());
	EXPECT_EQ(0, dn_send(cmd[1], 'u'));
	close(cmd[1]);
	ret = dn_reap(pid, 30000, &status);
	EXPECT_TRUE(dn_exited_ok(ret, status)) {
		TH_LOG("child: reap %d, status %#x (1 data, 2 not on node 0, 1x setup)",
		       ret, status);
	}
	close(ready[0]);
	if (dn_loaded())
		dn_unload();
}

TEST_HARNESS_MAIN
