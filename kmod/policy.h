/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disagg_node policy core: which pages to move, how many, and how long a
 * remote access waits.  Plain C with no kernel headers so that the same
 * policy.c is compiled into the module and into its unit test
 * (kmod/tests/test_policy.c, built for the host).
 * Nothing here knows about page tables, locks or NUMA nodes: the kernel
 * glue feeds it numbers and page states and applies its verdicts.
 */
#ifndef _DN_POLICY_H
#define _DN_POLICY_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* As the kernel defines it (int-ll64.h), so formats agree. */
typedef unsigned long long u64;
#endif

/* Split accounting */

/*
 * Pages a target keeps local at remote_pct=100; the pages it brought home
 * last, never victims (struct dn_recent): an instruction that touches up
 * to this many pages completes.  x86 instructions touch at most six (a
 * string move across page boundaries, from code in anonymous memory).
 */
#define DN_LOCAL_WINDOW		8

/**
 * struct dn_split - one target's resident pages, as counted by the worker
 * @local: resident pages on a local node.
 * @remote: resident pages on the remote node.
 * @remote_pct: share of the resident pages to keep remote, 0..100 (larger
 *	values are treated as 100).
 * @remote_max: the target's cap (remote_mib) in pages: remote pages it may
 *	hold at most, whatever @remote_pct asks; 0: no cap.
 */
struct dn_split {
	unsigned long local;
	unsigned long remote;
	unsigned int remote_pct;
	unsigned long remote_max;
};

long dn_split_delta(const struct dn_split *s);

/* The blade's capacity: caps (remote_mib) */

unsigned long dn_cap_room(unsigned long cap, unsigned long remote,
			  unsigned long reserved, unsigned long want);
unsigned long dn_split_held(const struct dn_split *s, bool full);
unsigned long dn_held_refused(unsigned long peak, unsigned long now);

/*
 * A target's own value of a setting (remote_pct, latency_ns) that is not
 * set: the target follows the global one (dn_setting()).
 */
#define DN_SETTING_GLOBAL	(-1)

unsigned int dn_setting(int own, unsigned int global);
int dn_setting_own(int own, int tenant);

/* A cgroup tenant's local capacity, shared by its members (dn_pool_share()) */

/* Per mille: the unit of a member's local share of its own pages. */
#define DN_POOL_PM		1000
/* A member not yet given a share (struct dn_pool_member's @local_pm). */
#define DN_POOL_NEW		(~0U)
/*
 * A rebalance moves 1/DN_POOL_STEP_DIV of the tenant's local capacity, at
 * most, from the member whose remote pages trapped least to the one whose
 * remote pages trapped most, per remote page, if the second trapped more
 * than DN_POOL_HOT_FACTOR times as often and at least DN_POOL_MIN_FAULTS
 * times since the last rebalance.
 */
#define DN_POOL_STEP_DIV	64
#define DN_POOL_HOT_FACTOR	2
#define DN_POOL_MIN_FAULTS	64

/**
 * struct dn_pool_member - a member of a cgroup tenant, for dn_pool_share()
 * @resident: its resident pages (local + remote).
 * @remote: its remote pages.
 * @faults: its traps since the last rebalance.
 * @local_pm: in: its local share, per mille of @resident, from the last
 *	rebalance, or DN_POOL_NEW; out: the new one.
 * @local: out: the local pages it is given.
 * @remote_pct: out: the remote_pct that holds it there.
 * @remote_max: in: its cap from the last sharing (0: none yet); out: under
 *	the tenant's cap, what of it the member may hold until the next
 *	sharing, in pages, 1 at least; 0 with no cap.
 */
struct dn_pool_member {
	unsigned long resident;
	unsigned long remote;
	unsigned long faults;
	unsigned int local_pm;
	unsigned long local;
	unsigned int remote_pct;
	unsigned long remote_max;
};

void dn_pool_share(struct dn_pool_member *m, unsigned int n,
		   unsigned int pct, unsigned long cap);

/* Enrollment: may a process become a target? (dn_enroll_verdict()) */
enum dn_enroll_verdict {
	DN_ENROLL_OK,
	DN_ENROLL_NOT_RELATED,	/* enroll=explicit, nobody root enrolled */
	DN_ENROLL_OVER_LIMIT,	/* its uid is at targets_per_user */
};

/**
 * struct dn_enroll_req - what the registry knows of a would-be target
 * @by_root: root asked (target_add), not the hook.
 * @explicit: enroll=explicit.
 * @related: its process was a target (exec), or an ancestor is one.
 * @root_uid: its real uid is root's (not limited).
 * @uid_targets: live targets of its uid, its own old one left out.
 * @per_user: targets_per_user; 0: no limit.
 */
struct dn_enroll_req {
	bool by_root;
	bool explicit;
	bool related;
	bool root_uid;
	unsigned int uid_targets;
	unsigned int per_user;
};

enum dn_enroll_verdict dn_enroll_verdict(const struct dn_enroll_req *r);

/* Swap on access: the exchange, and what the background must catch up */

/* Pages one exchange sends remote at most. */
#define DN_EXCHANGE_MAX		16
/* Pages an exchange sends at once when local is at capacity, at most. */
#define DN_EXCHANGE_BATCH	8
/*
 * A batch's pages beyond the excess: at most resident / this (200: half a
 * point), so that local stays within the worker's slack of its capacity.
 */
#define DN_EXCHANGE_EXTRA_DIV	200
/* A refresh walk, if pages moved since the last walk, at most this often. */
#define DN_RECOUNT_MS		5000
/* Idle passes double the worker's period up to this factor. */
#define DN_IDLE_BACKOFF_MAX	8

unsigned long dn_exchange_count(const struct dn_split *s, unsigned long owed);
long dn_worker_delta(const struct dn_split *s);

/**
 * struct dn_count_view - what the worker knows of a target between recounts
 * @resident: resident pages now (the mm's RSS counters, O(1) to read).
 * @remote: remote pages now, kept by the events that move pages.
 * @remote_pct: the setting now.
 * @counted_pct: the setting at the last recount.
 * @moved: pages moved (traps, exchanges, evictions) since the last recount.
 * @ms_since: milliseconds since the last recount.
 * @forced: a recount was asked for (new target, debugfs pass, mprotect).
 */
struct dn_count_view {
	unsigned long resident;
	unsigned long remote;
	unsigned int remote_pct;
	unsigned int counted_pct;
	unsigned long moved;
	unsigned long ms_since;
	bool forced;
};

/* What dn_recount_due() asks of the worker. */
enum dn_recount {
	DN_RECOUNT_NONE,	/* no walk */
	DN_RECOUNT_REFRESH,	/* walk: protect, refill the ring; counts kept */
	DN_RECOUNT_FULL,	/* walk, and reset the counts from it */
};

enum dn_recount dn_recount_due(const struct dn_count_view *v);
long dn_recount_remote(long walked, long counted, long raced);

/**
 * struct dn_plan - what one worker pass does for one target
 * @evict: pages to send to the remote node.
 * @home: pages to bring home.
 *
 * At most one of the two is non-zero.
 */
struct dn_plan {
	unsigned long evict;
	unsigned long home;
};

/**
 * struct dn_plan_in - what the worker's plan is made from
 * @split: the target's split now (dn_target_split()).
 * @pressure: free pages the local node lacks (dn_pressure_evict()).
 * @stuck: remote pages that cannot come home (shared with a non-target).
 * @headroom: free local pages to spare for pages coming home.
 * @batch: the evict_batch setting, pages brought home per pass at most.
 */
struct dn_plan_in {
	struct dn_split split;
	unsigned long pressure;
	unsigned long stuck;
	unsigned long headroom;
	unsigned long batch;
};

void dn_worker_plan(const struct dn_plan_in *in, struct dn_plan *p);
unsigned long dn_idle_delay_ms(unsigned long period_ms, unsigned int idle);

/*
 * The victim ring: a target's local pages, oldest first.  Promotions add
 * the page they bring home, a recount adds every local page it finds; the
 * fault path's exchange and the worker take victims from the head.  An
 * entry may be stale (the page was freed, or sent remote by another path):
 * the pick drops it when it meets it.
 */

/* Capacity of a new ring; rings grow by doubling. */
#define DN_RING_MIN		1024
/* Young entries a pick re-queues per victim before it takes the oldest. */
#define DN_PICK_CHANCES		8
/* Entries a pick looks at per victim wanted, at most. */
#define DN_PICK_LOOK		64

/**
 * struct dn_ring - a FIFO of keys (user addresses of local pages)
 * @slot: the entries, @mask + 1 of them (a power of two).
 * @mask: capacity - 1.
 * @head: entries ever taken; the oldest is at @head & @mask.
 * @tail: entries ever added; the next goes to @tail & @mask.
 */
struct dn_ring {
	unsigned long *slot;
	unsigned long mask;
	unsigned long head;
	unsigned long tail;
};

void dn_ring_init(struct dn_ring *r, unsigned long *slot, unsigned long cap);
unsigned long dn_ring_count(const struct dn_ring *r);
bool dn_ring_push(struct dn_ring *r, unsigned long key);
bool dn_ring_pop(struct dn_ring *r, unsigned long *key);
void dn_ring_move(struct dn_ring *to, struct dn_ring *from);
unsigned long dn_ring_capacity(unsigned long count);

/**
 * enum dn_page_state - what a ring entry's page is now
 * @DN_PAGE_GONE: no longer a local page of the target (freed, unmapped,
 *	sent remote, not movable): drop the entry.
 * @DN_PAGE_OLD: local, not used since it was last looked at.
 * @DN_PAGE_YOUNG: local, used since (its accessed bit is set).
 */
enum dn_page_state {
	DN_PAGE_GONE,
	DN_PAGE_OLD,
	DN_PAGE_YOUNG,
};

/**
 * enum dn_pick_verdict - what to do with the entry just looked at
 * @DN_PICK_DROP: stale: forget it.
 * @DN_PICK_AGAIN: a second chance: clear its accessed bit, add it back at
 *	the tail.
 * @DN_PICK_TAKE: a victim: send it remote.
 */
enum dn_pick_verdict {
	DN_PICK_DROP,
	DN_PICK_AGAIN,
	DN_PICK_TAKE,
};

/**
 * struct dn_pick - one pick of victims from a ring
 * @want: victims asked for.
 * @taken: victims chosen so far.
 * @chances: second chances given so far.
 * @looked: entries looked at so far.
 */
struct dn_pick {
	unsigned long want;
	unsigned long taken;
	unsigned long chances;
	unsigned long looked;
};

/**
 * struct dn_recent - the last DN_LOCAL_WINDOW pages a target brought home
 * @key: their keys (user addresses); a pick never takes them.
 * @next: where the next one goes.
 * @n: how many are held.
 */
struct dn_recent {
	unsigned long key[DN_LOCAL_WINDOW];
	unsigned int next;
	unsigned int n;
};

void dn_recent_add(struct dn_recent *r, unsigned long key);
bool dn_recent_has(const struct dn_recent *r, unsigned long key);

void dn_pick_begin(struct dn_pick *p, unsigned long want);
enum dn_pick_verdict dn_pick_visit(struct dn_pick *p, enum dn_page_state s);
bool dn_pick_done(const struct dn_pick *p);
size_t dn_ring_select(struct dn_ring *r, enum dn_page_state *state,
		      size_t want, const struct dn_recent *recent,
		      unsigned long *victims);

/* Clock (second chance) victim selection */

/**
 * struct dn_clock - state of one victim-selection sweep
 * @want: number of victims asked for.
 * @selected: victims chosen so far (DN_EVICT verdicts).
 * @visited: evictable pages visited.
 * @cleared: young pages given a second chance (DN_KEEP_CLEAR verdicts).
 */
struct dn_clock {
	unsigned long want;
	unsigned long selected;
	unsigned long visited;
	unsigned long cleared;
};

/**
 * enum dn_verdict - what to do with the page just visited
 * @DN_SKIP: not evictable; leave it alone and do not count it.
 * @DN_KEEP: evictable, but enough victims are chosen already.
 * @DN_KEEP_CLEAR: recently used; keep it and clear its accessed bit so a
 *	later visit sees it old unless it is used again (second chance).
 * @DN_EVICT: not used since the last visit; move it to the remote node.
 */
enum dn_verdict {
	DN_SKIP,
	DN_KEEP,
	DN_KEEP_CLEAR,
	DN_EVICT,
};

void dn_clock_begin(struct dn_clock *c, unsigned long want);
enum dn_verdict dn_clock_visit(struct dn_clock *c, bool evictable, bool young);
bool dn_clock_done(const struct dn_clock *c);
/**
 * struct dn_sweep - a clock sweep of up to two laps in a fixed order
 * @clock: the verdicts so far.
 * @victims: keys (addresses, or indices) of the victims, in visit order.
 * @second_lap: the sweep is in its second lap.
 * @lap1: victims chosen in the first lap.
 * @next: the first-lap victim the second lap meets next: both laps visit
 *	in the same order, so one index into @victims recognises them.
 */
struct dn_sweep {
	struct dn_clock clock;
	unsigned long *victims;
	bool second_lap;
	unsigned long lap1;
	unsigned long next;
};

void dn_sweep_begin(struct dn_sweep *s, unsigned long *victims,
		    unsigned long want);
void dn_sweep_second_lap(struct dn_sweep *s);
enum dn_verdict dn_sweep_visit(struct dn_sweep *s, unsigned long key,
			       bool evictable, bool young);
size_t dn_clock_select(bool *young, const bool *evictable, size_t n,
		       size_t *hand, size_t want, unsigned long *victims);

/* Latency model */

/* A longer gap between two clock reads of the wait loop is not waited. */
#define DN_OFFCPU_GAP_NS	5000

/* Clock reads per wait timed by the calibration, and the wait timed. */
#define DN_CAL_RUNS		31
#define DN_CAL_WAIT_NS		4000

u64 dn_latency_wait(u64 latency_ns, long long offset_ns);
u64 dn_latency_added(u64 latency_ns, u64 waited_ns, long long offset_ns);
long long dn_latency_offset(u64 *with, u64 *without, size_t n, u64 wait_ns);
u64 dn_latency_oncpu(u64 gap, u64 max_gap);
u64 dn_ns_to_cycles(u64 ns, u64 khz);
u64 dn_cycles_to_ns(u64 cycles, u64 khz);

/* Local-node pressure: keep the local node above its high watermark */
unsigned long dn_pressure_evict(unsigned long free_pages,
				unsigned long high_wmark, unsigned long margin);

#endif /* _DN_POLICY_H */
