/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the selftests' fixtures share, built on kselftest_harness.h's
 * public macros (ASSERT_*, EXPECT_*, SKIP, TH_LOG): include after it.  The
 * helpers are static inline because the harness header defines functions
 * of its own and is included by one file of each program only; the rest of
 * the library (dn_*.c) does not depend on it.
 */
#ifndef _DN_HARNESS_H
#define _DN_HARNESS_H

#ifndef __KSELFTEST_HARNESS_H
#error "include kselftest_harness.h before dn_harness.h"
#endif

#include <sys/prctl.h>
#include <unistd.h>

#include "dn_kmsg.h"
#include "dn_module.h"

#define DN_NO_DEBUGFS	"no " DN_DEBUGFS ": disagg_node built without remote-memory semantics (issue #3)"

/*
 * First statement of a fixture test: the 6.1 harness runs a test's body
 * after its setup skipped it, so each setup sets self->ready once done.
 */
#define DN_NEED_SETUP() do {		\
	if (!self->ready)		\
		return;			\
} while (0)

/* How a fixture sets the module up (dn_setup_module()); -1: as loaded. */
struct dn_setup {
	const char *args;	/* modprobe parameters */
	bool debugfs;		/* needs the debugfs hooks: SKIP without */
	int pause;		/* debugfs pause: 1 the worker stopped, 0 on */
	int remote_pct;
	int latency_ns;
	bool thp_off;		/* PR_SET_THP_DISABLE for this process */
	bool target;		/* this process registered as a target */
};

/*
 * dn_setup_module() - a fixture's setup: the module loaded afresh, set as
 * @s says.  SKIPs on a machine booted without memmap= (no remote node) and,
 * if @s->debugfs, when the module has no debugfs directory.  *@loaded once
 * the module is loaded (the teardown unloads it), *@nid the remote node.
 * On a failure after the load it unloads the module itself: the harness
 * runs no teardown after a failed setup.
 *
 * Return: true once everything is set; false after a SKIP.
 */
static inline bool dn_setup_module(struct __test_metadata *_metadata,
				   const struct dn_setup *s, bool *loaded,
				   int *nid)
{
	bool ok;

	if (!dn_configured())
		SKIP(return false, "machine booted without memmap=: no remote node");
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, dn_load(s->args)) {
		TH_LOG("modprobe disagg_node %s failed; see dmesg", s->args);
	}
	if (s->debugfs && !dn_debugfs_ready()) {
		dn_unload();
		SKIP(return false, DN_NO_DEBUGFS);
	}
	*loaded = true;
	*nid = dn_read_ll(DN_SYSFS "/node_id");
	ok = *nid > 0 &&
	     (s->pause < 0 || !dn_debugfs_set("pause", s->pause)) &&
	     (s->remote_pct < 0 || !dn_set("remote_pct", s->remote_pct)) &&
	     (s->latency_ns < 0 || !dn_set("latency_ns", s->latency_ns)) &&
	     (!s->thp_off || !prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) &&
	     (!s->target || !dn_target_add(getpid()));
	if (!ok) {
		TH_LOG("setup: node_id %d, or writing pause/remote_pct/latency_ns/target_add, or PR_SET_THP_DISABLE failed",
		       *nid);
		dn_unload();
		*loaded = false;
		ASSERT_TRUE(false);
	}
	return true;
}

/*
 * Load with @args, expect the load to fail with a kernel log line
 * containing @msg, and no residue: module absent, /proc/iomem clean.
 */
static inline void dn_expect_load_fails(struct __test_metadata *_metadata,
					const char *args, const char *msg)
{
	int kfd = dn_kmsg_open();

	ASSERT_LE(0, kfd);
	EXPECT_NE(0, dn_load(args));
	EXPECT_TRUE(dn_kmsg_has(kfd, msg)) {
		TH_LOG("no kernel log line with '%s'", msg);
	}
	close(kfd);
	EXPECT_FALSE(dn_loaded());
	EXPECT_EQ(0, dn_iomem_entries());
	if (dn_loaded())
		dn_unload();
}

#endif /* _DN_HARNESS_H */
