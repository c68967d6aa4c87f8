// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node enrollment selftests (issue 18): who becomes a target.
 *
 * enroll=explicit: an unprivileged process (uid 65534) that binds its
 * memory to the node is not enrolled (no targets/PID), its pages stay on
 * the node and accessible (move_pages(2) places every one: a PROT_NONE
 * page it cannot place on 6.1), its data is intact, and enroll_refused
 * counts it; the same process under enroll=auto is enrolled.  A process
 * root registers is enrolled, and so is its child; dnctl run works.
 * targets_per_user: the limit+1th target_add of a uid fails with EUSERS, a
 * process of that uid enrolling by itself is refused (enroll_limited) and
 * left alone, and a freed slot can be used again.  Bad values: EINVAL.
 * Each case loads the module afresh and restores the defaults after.
 *
 * Needs the normal test machine (memmap= reservation, empty possible
 * node); skips otherwise.  DN_ENROLL_ONLY="case ..." runs only the cases
 * named.
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dn_env.h"
#include "dn_harness.h"
#include "dn_kmsg.h"
#include "dn_mem.h"
#include "dn_module.h"

#define DN_NOBODY		65534
#define DN_ENROLL_PAGES		256
#define DN_DEFAULT_PER_USER	64	/* targets_per_user after load */
#define DN_KID_TIMEOUT_MS	60000

/* What a child found after writing its pages and reading them back. */
struct dn_touch_res {
	pid_t pid;
	int err;	/* errno of a step that failed, or 0 */
	long bad;	/* words not read back as written */
	long on_node;	/* pages move_pages(2) places on the remote node */
	long on_local;	/* pages it places on another node */
	long unplaced;	/* pages it cannot place (PROT_NONE on 6.1) */
};

/*
 * Map DN_ENROLL_PAGES pages bound to @nid (MPOL_BIND), write a pattern,
 * read it back and ask move_pages(2) where each page is.  The mapping
 * stays until the process exits.
 */
static void dn_touch_node(int nid, uint64_t seed, struct dn_touch_res *r)
{
	size_t len = DN_ENROLL_PAGES * DN_PAGE;
	int status[DN_ENROLL_PAGES];
	void *p;
	int i;

	memset(r, 0, sizeof(*r));
	r->pid = getpid();
	p = dn_map_on_node(len, nid);
	if (!p) {
		r->err = errno ? errno : ENOMEM;
		return;
	}
	dn_fill(p, len, seed);
	r->bad = dn_check(p, len, seed);
	if (dn_pages_node(p, len, status)) {
		r->err = errno;
		return;
	}
	for (i = 0; i < DN_ENROLL_PAGES; i++) {
		if (status[i] == nid)
			r->on_node++;
		else if (status[i] >= 0)
			r->on_local++;
		else
			r->unplaced++;
	}
}

/* A child of the test, running as uid and gid DN_NOBODY. */
struct dn_kid {
	pid_t pid;
	int to;		/* the test writes: 'g' go; closed: exit */
	int from;	/* the child writes: 'r' ready, then its results */
};

enum dn_kid_job {
	DN_KID_IDLE,		/* only wait */
	DN_KID_TOUCH,		/* dn_touch_node() */
	DN_KID_TOUCH_FORK,	/* that, then a child of its own does it */
};

static void dn_kid_main(int in, int out, int nid, enum dn_kid_job job)
{
	struct dn_touch_res r = { .pid = getpid() };
	pid_t grandchild = -1;
	ssize_t n;
	char c;

	if (setgid(DN_NOBODY) || setuid(DN_NOBODY))
		_exit(3);
	if (write(out, "r", 1) != 1)
		_exit(4);
	n = read(in, &c, 1);
	if (!n)
		_exit(0);	/* stopped before it was let go */
	if (n != 1 || c != 'g')
		_exit(4);
	if (job != DN_KID_IDLE) {
		dn_touch_node(nid, 0x5eed0000 + getpid(), &r);
		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(5);
	}
	if (job == DN_KID_TOUCH_FORK) {
		grandchild = fork();
		if (!grandchild) {
			dn_touch_node(nid, 0x5eed0000 + getpid(), &r);
			if (write(out, &r, sizeof(r)) != sizeof(r))
				_exit(5);
			while (read(in, &c, 1) > 0)
				;
			_exit(0);
		}
	}
	/* Hold the memory until the test closes its end. */
	while (read(in, &c, 1) > 0)
		;
	if (grandchild > 0)
		waitpid(grandchild, NULL, 0);
	_exit(0);
}

/* Start a child; it has changed its uid on return.  0 or -errno. */
static int dn_kid_start(struct dn_kid *k, int nid, enum dn_kid_job job)
{
	int to[2], from[2], fd;

	if (pipe(to) || pipe(from))
		return -errno;
	k->pid = fork();
	if (k->pid < 0)
		return -errno;
	if (!k->pid) {
		/*
		 * Only its own ends: a sibling started earlier must see
		 * EOF when the test closes its pipe.
		 */
		for (fd = 3; fd < 1024; fd++)
			if (fd != to[0] && fd != from[1])
				close(fd);
		dn_kid_main(to[0], from[1], nid, job);
	}
	close(to[0]);
	close(from[1]);
	k->to = to[1];
	k->from = from[0];
	return dn_recv(k->from, DN_KID_TIMEOUT_MS) == 'r' ? 0 : -EIO;
}

/* Let the child touch its memory. */
static int dn_kid_go(struct dn_kid *k)
{
	return dn_send(k->to, 'g');
}

/* The next result the child (or its child) sends; 0 or -errno. */
static int dn_kid_result(struct dn_kid *k, struct dn_touch_res *r)
{
	struct pollfd pfd = { .fd = k->from, .events = POLLIN };

	if (poll(&pfd, 1, DN_KID_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	return read(k->from, r, sizeof(*r)) == sizeof(*r) ? 0 : -EIO;
}

/* Let the child exit and reap it; true if it exited with status 0. */
static bool dn_kid_stop(struct dn_kid *k)
{
	int status = 0, ret;

	if (k->pid <= 0)
		return true;
	close(k->to);
	close(k->from);
	ret = dn_reap(k->pid, DN_KID_TIMEOUT_MS, &status);
	k->pid = -1;
	return dn_exited_ok(ret, status);
}

static bool dn_is_target(pid_t pid)
{
	char path[128];

	snprintf(path, sizeof(path), DN_SYSFS "/targets/%d", (int)pid);
	return !access(path, F_OK);
}

static int dn_set_enroll(const char *mode)
{
	return dn_write_file(DN_SYSFS "/enroll", mode);
}

FIXTURE(enroll) {
	bool loaded;
	bool ready;
	int nid;
	struct dn_kid kid[4];
};

FIXTURE_SETUP(enroll)
{
	/* Traps at remote_pct 0: a target's pages all come home. */
	const struct dn_setup s = {
		.args = "", .debugfs = false, .pause = -1, .remote_pct = 0,
		.latency_ns = 0, .thp_off = true, .target = false,
	};
	int i;

	for (i = 0; i < 4; i++)
		self->kid[i].pid = -1;
	if (!dn_only("DN_ENROLL_ONLY", _metadata->name, NULL))
		SKIP(return, "not in DN_ENROLL_ONLY");
	if (!dn_setup_module(_metadata, &s, &self->loaded, &self->nid))
		return;
	self->ready = true;
}

FIXTURE_TEARDOWN(enroll)
{
	int i;

	for (i = 0; i < 4; i++)
		dn_kid_stop(&self->kid[i]);
	if (!self->loaded)
		return;
	/* The defaults back, although the unload drops them anyway. */
	EXPECT_EQ(0, dn_set_enroll("auto"));
	EXPECT_EQ(0, dn_set("targets_per_user", DN_DEFAULT_PER_USER));
	EXPECT_EQ(0, dn_unload());
}

/*
 * enroll=explicit: a process nobody registered binds its memory to the node
 * and writes it: not a target, every page on the node and accessible, its
 * data intact, each first touch counted in enroll_refused, no trap.
 */
TEST_F(enroll, explicit_unregistered_not_enrolled)
{
	long long refused, faults, protected;
	struct dn_touch_res r;
	struct dn_kid *k = &self->kid[0];

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set_enroll("explicit"));
	ASSERT_TRUE(dn_file_has(DN_SYSFS "/enroll", "explicit"));
	refused = dn_stat("enroll_refused");
	faults = dn_stat("remote_faults");
	protected = dn_stat("hook_protected");
	ASSERT_EQ(0, dn_kid_start(k, self->nid, DN_KID_TOUCH));
	ASSERT_EQ(0, dn_kid_go(k));
	ASSERT_EQ(0, dn_kid_result(k, &r));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(DN_ENROLL_PAGES, r.on_node) {
		TH_LOG("pages: %ld on the node, %ld elsewhere, %ld unplaced (PROT_NONE?)",
		       r.on_node, r.on_local, r.unplaced);
	}
	EXPECT_FALSE(dn_is_target(k->pid));
	EXPECT_EQ(0, dn_stat("targets"));
	EXPECT_LE(refused + DN_ENROLL_PAGES, dn_stat("enroll_refused")) {
		TH_LOG("enroll_refused %lld -> %lld", refused,
		       dn_stat("enroll_refused"));
	}
	EXPECT_EQ(faults, dn_stat("remote_faults"));
	EXPECT_EQ(protected, dn_stat("hook_protected"));
	EXPECT_TRUE(dn_kid_stop(k));
}

/*
 * A target's DN_ENROLL_PAGES pages (remote_pct 0) come home by its traps,
 * or by the worker's homecomings (counted from @home0) before it touches
 * them again (sid and 6.12, in fresh-clone runs: 254 traps of 256 pages):
 * the two together account for every page but the one whose trap
 * registered it, and most of them trapped.
 */
static void dn_expect_homed(struct __test_metadata *_metadata, pid_t pid,
			    long long home0)
{
	long long faults = dn_target_stat(pid, "remote_faults");
	long long home = dn_stat("homecomings") - home0;

	EXPECT_LE(DN_ENROLL_PAGES - 1, faults + home) {
		TH_LOG("target %d: %lld of its traps and %lld homecomings for %d pages",
		       (int)pid, faults, home, DN_ENROLL_PAGES);
	}
	EXPECT_LT(DN_ENROLL_PAGES / 2, faults);	/* its pages did trap */
}

/*
 * enroll=auto (the default): the same process becomes a target by its
 * first touch; its pages trap and come home (remote_pct 0), data intact.
 * A page comes home by its trap, or by the worker's homecoming before the
 * process touches it again (sid, in a fresh-clone run: 254 traps of 256
 * pages): the two together account for every page.
 */
TEST_F(enroll, auto_same_process_enrolled)
{
	long long refused = dn_stat("enroll_refused");
	long long home = dn_stat("homecomings");
	struct dn_touch_res r;
	struct dn_kid *k = &self->kid[0];

	DN_NEED_SETUP();
	ASSERT_TRUE(dn_file_has(DN_SYSFS "/enroll", "auto"));
	ASSERT_EQ(0, dn_kid_start(k, self->nid, DN_KID_TOUCH));
	ASSERT_EQ(0, dn_kid_go(k));
	ASSERT_EQ(0, dn_kid_result(k, &r));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_TRUE(dn_is_target(k->pid));
	EXPECT_EQ(DN_ENROLL_PAGES, r.on_local) {
		TH_LOG("pages: %ld on the node, %ld elsewhere, %ld unplaced",
		       r.on_node, r.on_local, r.unplaced);
	}
	/* The trap that registered it counts in stats/ only. */
	dn_expect_homed(_metadata, k->pid, home);
	EXPECT_EQ(refused, dn_stat("enroll_refused"));
	EXPECT_TRUE(dn_kid_stop(k));
}

/*
 * enroll=explicit: a process root registers (target_add) is enrolled, and
 * so is the child it forks, which takes its settings; none is refused.
 */
TEST_F(enroll, explicit_registered_and_child)
{
	long long refused = dn_stat("enroll_refused");
	long long home = dn_stat("homecomings");
	struct dn_touch_res r, rc;
	struct dn_kid *k = &self->kid[0];
	char path[128];

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set_enroll("explicit"));
	ASSERT_EQ(0, dn_kid_start(k, self->nid, DN_KID_TOUCH_FORK));
	ASSERT_EQ(0, dn_target_add(k->pid));
	snprintf(path, sizeof(path), DN_SYSFS "/targets/%d/latency_ns", k->pid);
	ASSERT_EQ(0, dn_write_file(path, "1000"));
	ASSERT_EQ(0, dn_kid_go(k));
	ASSERT_EQ(0, dn_kid_result(k, &r));
	ASSERT_EQ(0, dn_kid_result(k, &rc));
	EXPECT_NE(r.pid, rc.pid);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, rc.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(0, rc.bad);
	EXPECT_EQ(DN_ENROLL_PAGES, r.on_local);
	EXPECT_EQ(DN_ENROLL_PAGES, rc.on_local) {
		TH_LOG("child: %ld on the node, %ld elsewhere, %ld unplaced",
		       rc.on_node, rc.on_local, rc.unplaced);
	}
	EXPECT_TRUE(dn_is_target(rc.pid));
	EXPECT_EQ(1000, dn_target_stat(rc.pid, "latency_ns"));
	dn_expect_homed(_metadata, rc.pid, home);
	EXPECT_EQ(refused, dn_stat("enroll_refused"));
	EXPECT_TRUE(dn_kid_stop(k));
}

/*
 * enroll=explicit: "dnctl run -- sh -c prog" runs prog as a target (sh
 * forks it), with nothing refused.
 */
TEST_F_TIMEOUT(enroll, explicit_dnctl_run_sh, 120)
{
	long long refused = dn_stat("enroll_refused");
	long long faults = dn_stat("remote_faults");

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set_enroll("explicit"));
	EXPECT_EQ(0, dn_sh("%s run --quiet --remote-pct 50 -- sh -c '%s --mb 8; true'",
			   dn_path("bin/dnctl"), dn_path("bin/dn_touch")));
	EXPECT_EQ(refused, dn_stat("enroll_refused"));
	EXPECT_LT(faults + 1024, dn_stat("remote_faults")) {
		TH_LOG("remote_faults %lld -> %lld: dn_touch's 2048 pages born remote should trap",
		       faults, dn_stat("remote_faults"));
	}
}

/*
 * targets_per_user 2: the third target_add of uid 65534 fails with EUSERS
 * and a kernel log line; root is not limited; a process of that uid that
 * enrolls by itself (enroll=auto) is refused, counted in enroll_limited,
 * and left alone; once a target exits, its slot is free again.
 */
TEST_F_TIMEOUT(enroll, per_user_limit, 120)
{
	long long limited, refused;
	struct dn_touch_res r;
	int i, kfd;

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set("targets_per_user", 2));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, dn_kid_start(&self->kid[i], self->nid, DN_KID_IDLE));
	ASSERT_EQ(0, dn_kid_start(&self->kid[3], self->nid, DN_KID_TOUCH));
	kfd = dn_kmsg_open();
	ASSERT_LE(0, kfd);
	EXPECT_EQ(0, dn_target_add(self->kid[0].pid));
	EXPECT_EQ(0, dn_target_add(self->kid[1].pid));
	EXPECT_EQ(-EUSERS, dn_target_add(self->kid[2].pid));
	EXPECT_FALSE(dn_is_target(self->kid[2].pid));
	EXPECT_TRUE(dn_kmsg_has(kfd, "targets_per_user"));
	close(kfd);
	/* Root's processes are not counted. */
	EXPECT_EQ(0, dn_target_add(getpid()));
	EXPECT_EQ(0, dn_write_ll(DN_SYSFS "/target_remove", getpid()));

	limited = dn_stat("enroll_limited");
	refused = dn_stat("enroll_refused");
	ASSERT_EQ(0, dn_kid_go(&self->kid[3]));
	ASSERT_EQ(0, dn_kid_result(&self->kid[3], &r));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_FALSE(dn_is_target(r.pid));
	EXPECT_EQ(DN_ENROLL_PAGES, r.on_node) {
		TH_LOG("pages: %ld on the node, %ld elsewhere, %ld unplaced",
		       r.on_node, r.on_local, r.unplaced);
	}
	EXPECT_LE(limited + DN_ENROLL_PAGES, dn_stat("enroll_limited")) {
		TH_LOG("enroll_limited %lld -> %lld", limited,
		       dn_stat("enroll_limited"));
	}
	EXPECT_EQ(refused, dn_stat("enroll_refused"));

	/* A target that exits frees its slot. */
	EXPECT_TRUE(dn_kid_stop(&self->kid[0]));
	EXPECT_EQ(0, dn_target_add(self->kid[2].pid));
	EXPECT_TRUE(dn_is_target(self->kid[2].pid));
	/* 0: no limit. */
	ASSERT_EQ(0, dn_set("targets_per_user", 0));
	EXPECT_EQ(0, dn_target_add(self->kid[3].pid));
}

/*
 * The defaults (auto, 64); bad values are refused with EINVAL and a kernel
 * log line and change nothing; only root may write.
 */
TEST_F(enroll, bad_input_einval)
{
	int kfd, status = 0, fd;
	pid_t pid;

	DN_NEED_SETUP();
	EXPECT_TRUE(dn_file_has(DN_SYSFS "/enroll", "auto"));
	EXPECT_EQ(DN_DEFAULT_PER_USER, dn_read_ll(DN_SYSFS "/targets_per_user"));
	kfd = dn_kmsg_open();
	ASSERT_LE(0, kfd);
	EXPECT_EQ(-EINVAL, dn_set_enroll("foo"));
	EXPECT_EQ(-EINVAL, dn_set_enroll("explicitly"));
	EXPECT_EQ(-EINVAL, dn_set_enroll("1"));
	EXPECT_TRUE(dn_kmsg_has(kfd, "use auto or explicit"));
	EXPECT_TRUE(dn_file_has(DN_SYSFS "/enroll", "auto"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/targets_per_user", "abc"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/targets_per_user", "-1"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/targets_per_user", "3x"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/targets_per_user",
					 "4294967296"));
	EXPECT_TRUE(dn_kmsg_has(kfd, "targets_per_user: '3x'"));
	close(kfd);
	EXPECT_EQ(DN_DEFAULT_PER_USER, dn_read_ll(DN_SYSFS "/targets_per_user"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/enroll", "explicit\n"));
	EXPECT_TRUE(dn_file_has(DN_SYSFS "/enroll", "explicit"));

	/* An unprivileged process cannot open them for writing. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(DN_NOBODY) || setuid(DN_NOBODY))
			_exit(3);
		fd = open(DN_SYSFS "/enroll", O_WRONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(1);
		fd = open(DN_SYSFS "/targets_per_user", O_WRONLY);
		_exit(fd < 0 && errno == EACCES ? 0 : 2);
	}
	EXPECT_EQ(0, dn_reap(pid, DN_KID_TIMEOUT_MS, &status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("unprivileged open for writing: wait status %#x", status);
	}
}

TEST_HARNESS_MAIN
