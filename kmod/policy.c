// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node policy core: split accounting, clock victim selection,
 * latency model and local-node pressure.  Plain C shared by the module and
 * its unit test, built for the host (kmod/tests/test_policy.c); see policy.h.
 */
#include "policy.h"

/* remote_pct is a percentage; larger values are treated as this. */
#define DN_PCT_MAX	100

/*
 * dn_split_delta() - how far a target is from its remote_pct split
 *
 * Returns > 0: evict that many local pages; < 0: bring that many remote pages
 * home; 0: balanced (or within the hysteresis).
 *
 *   resident    = local + remote
 *   want_remote = resident * pct / 100 (floor)
 *   want_local  = resident - want_remote, but at least
 *                 min(DN_LOCAL_WINDOW, resident), and at least
 *                 resident - remote_max under a cap (remote_max > 0)
 *   delta       = local - want_local
 *
 * A positive delta is returned as is.  A negative one is returned only when
 * it exceeds one percentage point of resident (resident / 100 pages), so the
 * worker does not bring home the odd page each pass while the fault hook is
 * promoting others.  pct == 0 brings everything home with no hysteresis.
 *
 * Worked example:
 *
 *   pct  local remote | want_remote want_local slack | return
 *    50   1000     0  |     500        500       10  | +500  evict 500
 *    25    200   800  |     250        750       10  | -550  bring 550 home
 *    25    745   255  |     250        750       10  |    0  -5 within slack
 *    25    739   261  |     250        750       10  |  -11  beyond slack
 *   100   1000     0  |    1000     0 -> 8       10  | +992  window kept
 *   100      6     0  |       6     0 -> 6        0  |    0  small target
 *   100      0     6  |       6     0 -> 6        0  |   -6  small target
 *     0    500   500  |        (not computed)        | -500  all home
 *
 * Under a cap of remote_max pages (remote_mib), want_remote is at most
 * remote_max: the pages beyond stay local (dn_split_held()).  A target
 * above its cap is brought back to it with no slack: the cap is a limit.
 *
 *   pct  local remote max | want_remote want_local slack | return
 *    75   1000     0  100 |  750 -> 100     900      10  | +100  to the cap
 *    75    900   100  100 |  750 -> 100     900      10  |    0  at the cap
 *    75    800   200  100 |  750 -> 100     900      10  | -100  above: home
 *    75    890   110  100 |  750 -> 100     900      10  |  -10  no slack
 *    25    750   250  500 |     250        750       10  |    0  cap unused
 *
 * A target smaller than the window is never evicted by this rule, and one
 * whose pages were all moved remote by other means is brought home.
 */
long dn_split_delta(const struct dn_split *s)
{
	unsigned long resident = s->local + s->remote;
	unsigned int pct = s->remote_pct;
	unsigned long want_remote, want_local, min_local, short_by;

	if (!pct)
		return -(long)s->remote;
	if (pct > DN_PCT_MAX)
		pct = DN_PCT_MAX;

	/* resident * pct / 100, split so the product cannot overflow. */
	want_remote = resident / DN_PCT_MAX * pct +
		      resident % DN_PCT_MAX * pct / DN_PCT_MAX;
	want_local = resident - want_remote;
	min_local = resident < DN_LOCAL_WINDOW ? resident : DN_LOCAL_WINDOW;
	if (want_local < min_local)
		want_local = min_local;
	if (s->remote_max && resident - want_local > s->remote_max)
		want_local = resident - s->remote_max;

	if (s->local > want_local)
		return (long)(s->local - want_local);
	short_by = want_local - s->local;
	/* Above a cap (lowered, or pages born remote): home, no slack. */
	if (short_by > resident / DN_PCT_MAX ||
	    (s->remote_max && s->remote > s->remote_max))
		return -(long)short_by;
	return 0;
}

/*
 * dn_exchange_count() - pages to send remote after a trap, @owed
 * promotions owed
 *
 * The seed's fixed-capacity cache: a promotion that takes the target's
 * local pages above their capacity sends pages out until they fit again,
 * whatever the cause of the excess (the promotions themselves, or growth
 * since the last trap), at most DN_EXCHANGE_MAX per trap so that one trap's
 * cost stays bounded; what is left is paid by the next trap.  Nothing is
 * sent without a promotion owed (@owed 0), while remote_pct is being
 * lowered (the background brings pages home then), or within the local
 * window.  @s holds the counts after the promotions.
 *
 * An exchange sends a batch: the excess plus up to DN_EXCHANGE_BATCH - 1
 * pages more, so that the next promotions find local within its capacity
 * and send nothing; the fixed cost of an exchange (the mmap lock, the TLB
 * flush that ends it, the LRU drain) is then paid once per batch.  Local
 * never exceeds its capacity; it is short of it by less than a batch, and
 * by at most half a point of resident (resident / DN_EXCHANGE_EXTRA_DIV
 * pages), within the worker's slack (dn_worker_delta()).
 *
 * Example: pct 50, local 501, remote 499, owed 1 -> 1 + 5 (the batch's
 * extra capped at 1000 / 200); owed 3 -> the same 6; local 500, remote 500
 * -> 0; pct 0 -> 0; pct 50, local 5004, remote 4996, owed 1 -> 4 + 7;
 * local 1000, remote 0, owed 40 -> 16 (DN_EXCHANGE_MAX); pct 100, local
 * 9, remote 991 -> 1 (the window of 8 stays local); pct 50, local 5004,
 * remote 4996, cap 5000 -> 4 (the cap, not 4 + 7); remote 5000, cap 5000
 * -> 0.
 */
unsigned long dn_exchange_count(const struct dn_split *s, unsigned long owed)
{
	unsigned long resident = s->local + s->remote, n, extra, keep;
	long delta = dn_split_delta(s);

	if (!owed || delta <= 0)
		return 0;
	extra = resident / DN_EXCHANGE_EXTRA_DIV;
	if (extra > DN_EXCHANGE_BATCH - 1)
		extra = DN_EXCHANGE_BATCH - 1;
	n = (unsigned long)delta + extra;
	/* Never below the local window (delta > 0: local is above it). */
	keep = resident < DN_LOCAL_WINDOW ? resident : DN_LOCAL_WINDOW;
	if (n > s->local - keep)
		n = s->local - keep;
	/* Under a cap, the batch's extra pages too stay within it. */
	n = dn_cap_room(s->remote_max, s->remote, 0, n);
	return n < DN_EXCHANGE_MAX ? n : DN_EXCHANGE_MAX;
}

/*
 * dn_worker_delta() - the pages the worker moves toward the split
 *
 * dn_split_delta(), less a slack of DN_EXCHANGE_MAX pages on either side
 * (but at remote_pct 0, where every remote page comes home): an excess
 * that small is what exchanges in flight settle, or an RSS that wobbles by
 * a few pages (a stdio buffer, pages a system call wrote, born remote);
 * moving it would cost an eviction or a homecoming that the next traps'
 * exchanges undo, and, 5 s later, a recount of an otherwise idle target.
 *
 * Example: pct 50, local 516, remote 484 -> 0 (16 within the slack);
 * local 517, remote 483 -> 17; local 400, remote 600 -> -100; pct 25,
 * local 100, remote 50 (short 13 of 113) -> 0; pct 0, remote 5 -> -5;
 * pct 75, local 890, remote 110, cap 100 -> -10 (above a cap: no slack).
 */
long dn_worker_delta(const struct dn_split *s)
{
	long delta = dn_split_delta(s);

	if (!s->remote_pct || (s->remote_max && s->remote > s->remote_max))
		return delta;
	return delta >= -DN_EXCHANGE_MAX && delta <= DN_EXCHANGE_MAX ? 0 : delta;
}

/*
 * dn_worker_plan() - what the worker does for a target in one pass
 *
 * The split's delta beyond the exchanges' slack (dn_worker_delta()): an
 * excess of local pages is evicted, at least as many as the local node
 * lacks above its watermarks (@pressure: the node must stay above them,
 * or promotions fail); a shortfall brings remote pages home, at most
 * @batch per pass and no more than the local node has to spare, and none
 * when every remote page is one that cannot come home.
 *
 * Example: pct 50, local 600, remote 400 -> evict 100; pressure 150 ->
 * evict 150; local 400, remote 600, headroom 1000, batch 64 -> home 64;
 * headroom 30 -> home 30; headroom 0 -> nothing; remote 600 all stuck ->
 * nothing; local 510, remote 490 -> nothing (the exchanges' slack); local
 * 600, remote 400, cap 450 -> evict 50; the same with pressure 150 -> evict
 * 50 (the cap wins; the local node's pressure is the blade's problem no
 * more than the tenant's); remote 400, cap 300 -> home 100 (a cap lowered
 * below what the target holds).
 */
void dn_worker_plan(const struct dn_plan_in *in, struct dn_plan *p)
{
	long delta = dn_worker_delta(&in->split);
	unsigned long want;

	p->evict = 0;
	p->home = 0;
	if (delta >= 0) {
		p->evict = (unsigned long)delta > in->pressure ?
			   (unsigned long)delta : in->pressure;
		/* Pressure or not, a cap is never passed. */
		p->evict = dn_cap_room(in->split.remote_max, in->split.remote,
				       0, p->evict);
		return;
	}
	if (in->split.remote <= in->stuck)
		return;
	want = (unsigned long)-delta;
	if (want > in->split.remote - in->stuck)
		want = in->split.remote - in->stuck;
	if (want > in->batch)
		want = in->batch;
	p->home = want < in->headroom ? want : in->headroom;
}

/*
 * dn_cap_room() - how many of @want pages an eviction may send remote
 * under a cap of @cap pages (0: no cap): the target holds @remote pages
 * on the node, and @reserved more are on their way there (evictions under
 * way, counted against the cap before they move: dn_target_reserve()).
 *
 * Example: cap 0 -> @want; cap 1024, remote 1000, reserved 0, want 16 ->
 * 16; remote 1020 -> 4; remote 1020, reserved 4 -> 0; remote 1100 (a cap
 * lowered, or pages born remote) -> 0.
 */
unsigned long dn_cap_room(unsigned long cap, unsigned long remote,
			  unsigned long reserved, unsigned long want)
{
	unsigned long used = remote + reserved;

	if (!cap)
		return want;
	if (used >= cap)
		return 0;
	return want < cap - used ? want : cap - used;
}

/*
 * dn_split_held() - pages that remote_pct asks to be remote and that stay
 * local because of the target's cap, or because the blade was full (@full:
 * the last move found no free page on the node, so the target holds as
 * many remote pages as it can now): want_remote (dn_split_delta(), without
 * the cap) beyond the limit.  0 under no cap while the blade has room.
 *
 * Example: pct 75, local 15360, remote 1024, cap 1024 -> want_remote 12288,
 * held 11264; pct 75, local 900, remote 100, cap 0, full -> 650; the same,
 * not full -> 0; pct 25, local 750, remote 250, cap 500 -> 0 (the cap is
 * not reached).
 */
unsigned long dn_split_held(const struct dn_split *s, bool full)
{
	struct dn_split open = *s;
	unsigned long limit = s->remote_max, want;
	long delta;

	if (full && (!limit || s->remote < limit))
		limit = s->remote;
	if (!limit && !full)
		return 0;
	open.remote_max = 0;
	delta = dn_split_delta(&open);
	if (delta <= 0)
		return 0;
	want = s->remote + (unsigned long)delta;
	return want > limit ? want - limit : 0;
}

/*
 * dn_held_refused() - pages newly refused: the held count (dn_split_held())
 * is @now, the most it has been is @peak; what it goes beyond the peak is
 * counted, and becomes the new peak (the caller keeps it).  A page is
 * counted when it is first held, not at every eviction that keeps it
 * held: a tenant that grows by 1000 pages beyond its cap at pct 75
 * counts 750 refused, however many traps and passes see them.  Against
 * the peak, not the last count: the count wobbles by a few pages as traps
 * and exchanges cross (a full blade was seen 11,706 times in one test run,
 * and counting each rise from the last count counted 13,323 pages where
 * 8,536 were held), so a tenant that frees held pages and grows again is
 * counted again only beyond its earlier peak.
 *
 * Example: peak 0, now 750: 750; peak 750, now 760: 10; peak 760, now 700
 * (pages freed, or a trap in flight): 0, the peak stays 760; peak 760, now
 * 710: 0; now 770: 10.
 */
unsigned long dn_held_refused(unsigned long peak, unsigned long now)
{
	return now > peak ? now - peak : 0;
}

/*
 * dn_setting() - a target's effective value of a setting (remote_pct,
 * latency_ns): its own (@own, 0 or more), or the global one (@global)
 * while it follows it (@own DN_SETTING_GLOBAL; any negative value).  The
 * global value is read at each use, so a target that follows it moves
 * with it; one with its own value does not.
 *
 * Example (global 50): own -1 -> 50; own 25 -> 25; own 0 -> 0 (its own 0,
 * not the global); own 100 -> 100.
 */
unsigned int dn_setting(int own, unsigned int global)
{
	return own < 0 ? global : (unsigned int)own;
}

/*
 * dn_setting_own() - what a target of a cgroup tenant has of its own for
 * dn_setting(): its own value (@own, 0 or more) if it has one, else its
 * tenant's (@tenant, 0 or more), else neither (DN_SETTING_GLOBAL: it
 * follows the global value).  A target outside every tenant has @tenant
 * DN_SETTING_GLOBAL.
 *
 * Example: own 25, tenant 75 -> 25; own -1, tenant 75 -> 75; own -1,
 * tenant -1 -> -1 (the global); own 0, tenant 75 -> 0.
 */
int dn_setting_own(int own, int tenant)
{
	if (own >= 0)
		return own;
	return tenant >= 0 ? tenant : DN_SETTING_GLOBAL;
}

/* Is a's remote set hotter than @factor times b's (traps per remote page)? */
static bool dn_pool_hotter(const struct dn_pool_member *a,
			   const struct dn_pool_member *b, unsigned long factor)
{
	return (u64)a->faults * (b->remote + 1) >
	       (u64)factor * b->faults * (a->remote + 1);
}

/* Give @extra pages of local capacity to the members with room, in order. */
static void dn_pool_fill(struct dn_pool_member *m, unsigned int n,
			 unsigned long extra)
{
	unsigned long give;
	unsigned int i;

	for (i = 0; i < n && extra; i++) {
		give = m[i].resident - m[i].local;
		if (give > extra)
			give = extra;
		m[i].local += give;
		extra -= give;
	}
}

/*
 * dn_pool_caps() - each member's cap until the next sharing, from its part
 * of the tenant's cap (@part, remote pages), so that the members together
 * never hold more than @cap: a member occupies, until its next cap is
 * seen, the most of its remote pages and its last cap (1 page at least:
 * a cap of 0 pages is no cap); one whose part is below that gets its part
 * (it goes home: it holds less and less); one whose part is above it
 * gets what it occupies and as much of the rest of @cap as is left, in
 * order, up to its part.  While a lowered cap leaves the members above
 * it, nothing is left: none grows.
 *
 * Example: cap 1000, parts 500 and 500; last caps 600 and 400, remote
 * 600 and 400 -> 500 (shrinks) and 400 (1000 - 600 occupied: no room
 * yet); next time, remote 500 and 400 -> 500 and 500.
 */
static void dn_pool_caps(struct dn_pool_member *m, unsigned int n,
			 unsigned long cap)
{
	unsigned long used = 0, room, give;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (m[i].remote > m[i].remote_max)
			m[i].remote_max = m[i].remote;
		if (!m[i].remote_max)
			m[i].remote_max = 1;
		used += m[i].remote_max;	/* now: what it occupies */
	}
	room = used < cap ? cap - used : 0;
	for (i = 0; i < n; i++) {
		if (m[i].resident - m[i].local <= m[i].remote_max) {
			m[i].remote_max = m[i].resident - m[i].local;
		} else {
			give = m[i].resident - m[i].local - m[i].remote_max;
			if (give > room)
				give = room;
			m[i].remote_max += give;
			room -= give;
		}
		if (!m[i].remote_max)
			m[i].remote_max = 1;
	}
}

/*
 * dn_pool_share() - share a cgroup tenant's local capacity among its members
 * @m: the members that follow the tenant's remote_pct
 * @n: how many
 * @pct: the tenant's remote_pct
 * @cap: the tenant's cap (remote_mib) in pages; 0: none
 *
 * The tenant keeps (100 - @pct) % of its members' resident pages local, in
 * all: that is its local capacity, one for all its members, as one
 * process's is its own; under @cap, at least all its pages but @cap.
 * Each member's part is its last share (@local_pm,
 * per mille of its own pages), scaled so that the parts add up to the
 * capacity as the members grow and shrink; a new member starts at
 * (100 - @pct) % of its own.  Then one step (1/DN_POOL_STEP_DIV of the
 * capacity at most) moves from the member whose remote pages trapped least
 * per page to the one whose remote pages trapped most, if that one's
 * trapped DN_POOL_HOT_FACTOR times as often and at least
 * DN_POOL_MIN_FAULTS times: the tenant's hot pages go local whichever
 * member holds them, as they would in one address space.  It settles when
 * the members' remote pages are about as hot, or when the hot member holds
 * all its pages local.  Each member is given the remote_pct, rounded to
 * the nearest, that holds its part; the tenant's split is the sum.  Under
 * @cap, rounded down, so that no member asks beyond its part, and each is
 * given a cap of its own (@remote_max) until the next sharing, so that a
 * member that grows meanwhile stays within its part.  The caps are given
 * so that what the members may hold together never exceeds @cap, at any
 * moment: a member whose part shrank may still hold, or reach, what its
 * last cap let it (it goes home at the next passes), so a member whose
 * part grew is given only the room the others leave now, the rest at a
 * later sharing (dn_pool_caps()).
 *
 * Example: pct 50, members of 1000 and 3000 pages, new -> 500 and 1500
 * local, 50 % each.  The same at 500 pm each, the first trapping 200
 * times on 500 remote pages and the second 10 on 1500 -> the first gets
 * a step of 31 (2000 / 64): 531 local (47 %), the second 1469 (51 %).
 * The second alone trapping -> the step goes the other way.  Both
 * trapping alike -> no step.  A member of 0 pages -> @pct.  Members of
 * 1000 and 3000 pages at pct 50 under a cap of 1000 -> 3000 local in all:
 * 750 and 2250, remote_pct 25 and 25, caps 250 and 750 (none remote yet).
 */
void dn_pool_share(struct dn_pool_member *m, unsigned int n,
		   unsigned int pct, unsigned long cap)
{
	unsigned long total = 0, want, local, sum = 0, step, move, remote;
	struct dn_pool_member *hot = NULL, *cold = NULL;
	unsigned int i;

	if (pct > 100)
		pct = 100;
	for (i = 0; i < n; i++) {
		total += m[i].resident;
		if (m[i].local_pm > DN_POOL_PM)
			m[i].local_pm = DN_POOL_PM - pct * (DN_POOL_PM / 100);
		m[i].local = (u64)m[i].resident * m[i].local_pm / DN_POOL_PM;
		sum += m[i].local;
	}
	if (!total) {
		for (i = 0; i < n; i++) {
			m[i].remote_pct = pct;
			m[i].remote_max = cap ? 1 : 0;
		}
		return;
	}
	want = total / 100 * pct + total % 100 * pct / 100;
	if (cap && want > cap)
		want = cap;
	local = total - want;

	/*
	 * The parts scaled to the capacity, none beyond its member's pages;
	 * what is cut off or rounds away goes to the members with room.
	 */
	for (i = 0; i < n; i++) {
		if (sum)
			m[i].local = (u64)m[i].local * local / sum;
		else
			m[i].local = (u64)m[i].resident * local / total;
		if (m[i].local > m[i].resident)
			m[i].local = m[i].resident;
	}
	sum = 0;
	for (i = 0; i < n; i++)
		sum += m[i].local;
	dn_pool_fill(m, n, local - sum);

	/* One step toward the hot. */
	for (i = 0; i < n; i++) {
		if (m[i].local < m[i].resident &&
		    m[i].faults >= DN_POOL_MIN_FAULTS &&
		    (!hot || dn_pool_hotter(&m[i], hot, 1)))
			hot = &m[i];
		if (m[i].local && (!cold || dn_pool_hotter(cold, &m[i], 1)))
			cold = &m[i];
	}
	if (hot && cold && hot != cold &&
	    dn_pool_hotter(hot, cold, DN_POOL_HOT_FACTOR)) {
		step = local / DN_POOL_STEP_DIV ? local / DN_POOL_STEP_DIV : 1;
		move = hot->resident - hot->local;
		if (move > step)
			move = step;
		if (move > cold->local)
			move = cold->local;
		hot->local += move;
		cold->local -= move;
	}

	for (i = 0; i < n; i++) {
		if (!m[i].resident) {
			m[i].remote_pct = pct;
			continue;
		}
		m[i].local_pm = ((u64)m[i].local * DN_POOL_PM +
				 m[i].resident / 2) / m[i].resident;
		remote = m[i].resident - m[i].local;
		m[i].remote_pct = ((u64)remote * 100 +
				   (cap ? 0 : m[i].resident / 2)) /
				  m[i].resident;
	}
	if (cap)
		dn_pool_caps(m, n, cap);
	else
		for (i = 0; i < n; i++)
			m[i].remote_max = 0;
}

/*
 * dn_enroll_verdict() - may a process become a target?
 *
 * Under enroll=explicit only root enrolls, and what comes of what it
 * enrolled: the hook may enroll a process only if it is @related (its own
 * old address space was a target, or an ancestor is one).  In both modes a
 * uid other than root's has at most @per_user live targets (0: no limit);
 * root's own target_add is limited too when the process is a user's.
 *
 * Example (per_user 2): a hook enrollment under explicit of an unrelated
 * process -> NOT_RELATED, whatever the count; the same with related, uid
 * with 1 target -> OK, with 2 -> OVER_LIMIT; target_add of a process of a
 * uid with 2 targets -> OVER_LIMIT; of root's process with 100 -> OK;
 * per_user 0, any count -> OK.
 */
enum dn_enroll_verdict dn_enroll_verdict(const struct dn_enroll_req *r)
{
	if (r->explicit && !r->by_root && !r->related)
		return DN_ENROLL_NOT_RELATED;
	if (r->per_user && !r->root_uid && r->uid_targets >= r->per_user)
		return DN_ENROLL_OVER_LIMIT;
	return DN_ENROLL_OK;
}

/*
 * dn_recount_due() - must the worker walk the target's page tables?
 *
 * Between recounts the worker reads the resident total (O(1)) and the
 * remote count that promotions, exchanges and evictions keep, so a target
 * costs nothing while nothing changes, at any size.  A full recount, which
 * resets the counts from the walk, is due when:
 *   - it is forced (a new target, a debugfs pass, mprotect, an exchange
 *     that found no victim);
 *   - the counts disagree (more remote than resident).
 * A refresh walk, which protects remote pages that a path no hook sees
 * left accessible and refills the ring but keeps the counts, is due when
 * remote_pct changed (the ring must hold the victims of a raise), or when
 * pages moved since the last walk and DN_RECOUNT_MS passed.  It keeps the
 * counts because the walk races with the target's own traps and
 * exchanges, which move pages behind and ahead of it: a count taken from
 * it is off by some of the pages moved meanwhile (hundreds, measured on
 * 7.2 under random access; a target at 25 % set to 60 % under random
 * writes came out 1,700 pages of 9,200 off on 6.1, and held 78 % while
 * counting 60 %), while the events' count is exact.
 *
 * Example: idle (moved 0) at any size and age -> none; moved 10 000,
 * 1 s since -> none; moved 1, 5 s since -> refresh; pct 50 -> 25 ->
 * refresh; forced -> full.
 */
enum dn_recount dn_recount_due(const struct dn_count_view *v)
{
	if (v->forced || v->remote > v->resident)
		return DN_RECOUNT_FULL;
	if (v->remote_pct != v->counted_pct)
		return DN_RECOUNT_REFRESH;
	if (v->moved && v->ms_since >= DN_RECOUNT_MS)
		return DN_RECOUNT_REFRESH;
	return DN_RECOUNT_NONE;
}

/*
 * dn_recount_remote() - a target's remote count after a full recount walk
 * @walked: remote pages the walk found
 * @counted: the events' count at the end of the walk
 * @raced: pages the events moved while the walk ran (either way)
 *
 * The walk races with the target's traps and exchanges: a page moved
 * behind the walk's cursor is counted in its old place, one moved ahead
 * in its new one.  So the truth at the end of the walk lies within
 * @raced of @walked.  The events' count is exact unless pages moved by a
 * path no hook sees (which the walk is there to catch), so it is kept
 * when it lies in that interval; else the nearest end of the interval is
 * the count closest to both.  Measured before this rule: a new target
 * filling its memory while its first walk ran (6.1, host under load) held
 * 81 % by its page tables at a setting of 75 %, the walk having missed
 * the pages its exchanges sent remote behind the cursor.
 *
 * Example: walked 1000, counted 990, raced 20 -> 990 (kept); walked
 * 1000, counted 0, raced 20 -> 980; walked 1000, counted 1500, raced 0
 * -> 1000 (nothing raced: the walk is exact).
 */
long dn_recount_remote(long walked, long counted, long raced)
{
	if (raced < 0)
		raced = 0;
	if (counted < walked - raced)
		return walked - raced;
	if (counted > walked + raced)
		return walked + raced;
	return counted;
}

/*
 * dn_idle_delay_ms() - the worker's next delay after @idle passes in a row
 * that did nothing: the period doubles per idle pass, up to
 * DN_IDLE_BACKOFF_MAX times.  Events (a new target, a setting changed, an
 * exchange that found no candidate) wake the worker at once.
 *
 * Example, period 10: idle 0 -> 10; 1 -> 20; 2 -> 40; 3 and more -> 80.
 */
unsigned long dn_idle_delay_ms(unsigned long period_ms, unsigned int idle)
{
	unsigned long f = 1;

	while (idle-- && f < DN_IDLE_BACKOFF_MAX)
		f *= 2;
	return period_ms * f;
}

/*
 * Clock (second chance) victim selection.
 *
 * The hand sweeps the target's pages in a fixed circular order.  A page that
 * cannot be evicted (not present, shared, huge, already remote...) is
 * skipped.  An evictable page that was used since the hand last passed
 * (young) gets a second chance: it is kept and its accessed bit cleared.  An
 * old page is a victim.  The sweep stops once enough victims are chosen; the
 * caller saves the hand so the next sweep resumes where this one stopped.
 * Up to two laps are made: the second lap finds the pages cleared in the
 * first one old, unless they were used again in between.
 *
 * dn_clock_begin() starts a sweep for @want victims.  dn_clock_visit() gives
 * the verdict for one page and counts it: DN_SKIP for a page that is not
 * evictable, DN_KEEP for every evictable page once @want victims are chosen,
 * otherwise DN_KEEP_CLEAR (young, caller clears the bit) or DN_EVICT (old).
 */
void dn_clock_begin(struct dn_clock *c, unsigned long want)
{
	c->want = want;
	c->selected = 0;
	c->visited = 0;
	c->cleared = 0;
}

enum dn_verdict dn_clock_visit(struct dn_clock *c, bool evictable, bool young)
{
	if (!evictable)
		return DN_SKIP;
	c->visited++;
	if (c->selected >= c->want)
		return DN_KEEP;
	if (young) {
		c->cleared++;
		return DN_KEEP_CLEAR;
	}
	c->selected++;
	return DN_EVICT;
}

bool dn_clock_done(const struct dn_clock *c)
{
	return c->selected >= c->want;
}

/*
 * The sweep: the clock above, over up to two laps of a fixed circular
 * order, as the module runs it over a target's page tables and
 * dn_clock_select() over an array.  The caller visits pages in order and
 * applies the verdicts (clears the accessed bit on DN_KEEP_CLEAR); the
 * sweep records the victims by key and passes over, in the second lap,
 * the pages it chose in the first (still old there, they would be chosen
 * twice).
 */
void dn_sweep_begin(struct dn_sweep *s, unsigned long *victims,
		    unsigned long want)
{
	dn_clock_begin(&s->clock, want);
	s->victims = victims;
	s->second_lap = false;
	s->lap1 = 0;
	s->next = 0;
}

void dn_sweep_second_lap(struct dn_sweep *s)
{
	s->second_lap = true;
	s->lap1 = s->clock.selected;
	s->next = 0;
}

enum dn_verdict dn_sweep_visit(struct dn_sweep *s, unsigned long key,
			       bool evictable, bool young)
{
	enum dn_verdict v;

	if (s->second_lap && s->next < s->lap1 && s->victims[s->next] == key) {
		s->next++;
		return DN_SKIP;
	}
	v = dn_clock_visit(&s->clock, evictable, young);
	if (v == DN_EVICT)
		s->victims[s->clock.selected - 1] = key;
	return v;
}

/*
 * dn_clock_select() - the sweep over an array, for tests and simulations
 * @young: accessed bit of each page; cleared where a second chance is given.
 * @evictable: whether each page may be evicted.
 * @n: number of pages.
 * @hand: in: first page to visit (taken mod @n); out: the page after the
 *	last one visited (mod @n).
 * @want: number of victims wanted.
 * @victims: out: indices of the chosen pages in visit order; room for
 *	min(@want, @n) entries.
 *
 * Visits at most 2 * @n pages from *@hand and stops as soon as @want victims
 * are chosen; the same dn_sweep_*() the module runs over page tables.
 *
 * Returns the number of victims, min(@want, number of evictable pages).
 *
 * Example, one lap: young 1 0 1 1 0 0, all evictable, want 3, hand 0.
 *   0 young: clear; 1 old: victim; 2 young: clear; 3 young: clear;
 *   4 old: victim; 5 old: victim -> 3 chosen, stop.
 *   victims 1 4 5, hand 0, young 0 0 0 0 0 0.
 *
 * Example, two laps: young 1 1 0 1, all evictable, want 2, hand 1.
 *   Lap 1: 1 clear; 2 victim; 3 clear; 0 clear.
 *   Lap 2: 1 now old: victim -> 2 chosen, stop.
 *   victims 2 1, hand 2, young 0 0 0 0.
 */
size_t dn_clock_select(bool *young, const bool *evictable, size_t n,
		       size_t *hand, size_t want, unsigned long *victims)
{
	struct dn_sweep s;
	size_t visits, i;

	if (!n)
		return 0;

	dn_sweep_begin(&s, victims, want);
	i = *hand % n;
	for (visits = 0; visits < 2 * n && !dn_clock_done(&s.clock);
	     visits++, i = (i + 1) % n) {
		if (visits == n)
			dn_sweep_second_lap(&s);
		if (dn_sweep_visit(&s, i, evictable[i], young[i]) ==
		    DN_KEEP_CLEAR)
			young[i] = false;
	}
	*hand = i;
	return s.clock.selected;
}

/*
 * The victim ring (see policy.h).  dn_ring_push() refuses when the ring is
 * full: the caller grows it (dn_ring_capacity(), dn_ring_move()) where it
 * may allocate, or leaves the page to the next recount.
 */
void dn_ring_init(struct dn_ring *r, unsigned long *slot, unsigned long cap)
{
	r->slot = slot;
	r->mask = cap ? cap - 1 : 0;
	r->head = 0;
	r->tail = 0;
}

unsigned long dn_ring_count(const struct dn_ring *r)
{
	return r->tail - r->head;
}

bool dn_ring_push(struct dn_ring *r, unsigned long key)
{
	if (!r->slot || dn_ring_count(r) > r->mask)
		return false;
	r->slot[r->tail++ & r->mask] = key;
	return true;
}

bool dn_ring_pop(struct dn_ring *r, unsigned long *key)
{
	if (!dn_ring_count(r))
		return false;
	*key = r->slot[r->head++ & r->mask];
	return true;
}

/* Move every entry of @from, oldest first, to @to (as many as fit). */
void dn_ring_move(struct dn_ring *to, struct dn_ring *from)
{
	unsigned long key;

	while (dn_ring_count(to) <= to->mask && dn_ring_pop(from, &key))
		dn_ring_push(to, key);
}

/*
 * dn_ring_capacity() - the capacity for @count entries: the next power of
 * two at least twice @count, at least DN_RING_MIN, so that a ring grown
 * for a target's local pages has room for as many again before the next
 * growth.
 *
 * Example (DN_RING_MIN 1024): 0 -> 1024; 512 -> 1024; 513 -> 2048;
 * 3000 -> 8192.
 */
unsigned long dn_ring_capacity(unsigned long count)
{
	unsigned long cap = DN_RING_MIN;

	while (cap < 2 * count && cap < ~0UL / 4)
		cap *= 2;
	return cap;
}

/*
 * Picking victims from the ring: the seed's fixed-capacity local cache.
 *
 * Entries are looked at oldest first.  A stale one is dropped.  A young one
 * gets a second chance (the caller clears its accessed bit and adds it back
 * at the tail) while the pick has given fewer than DN_PICK_CHANCES per
 * victim wanted; after that the oldest live entry is taken whatever its
 * accessed bit, so a pick always yields a victim while the ring holds a
 * live page: when every local page is hot, a hot page goes remote, and the
 * program pays for it, which is what the emulator exists to show.  A pick
 * looks at DN_PICK_LOOK entries per victim wanted at most (a ring full of
 * stale entries costs a bounded amount per trap; the rest are dropped by
 * later picks).
 */
void dn_pick_begin(struct dn_pick *p, unsigned long want)
{
	p->want = want;
	p->taken = 0;
	p->chances = 0;
	p->looked = 0;
}

enum dn_pick_verdict dn_pick_visit(struct dn_pick *p, enum dn_page_state s)
{
	p->looked++;
	if (s == DN_PAGE_GONE)
		return DN_PICK_DROP;
	if (s == DN_PAGE_YOUNG && p->chances < DN_PICK_CHANCES * p->want) {
		p->chances++;
		return DN_PICK_AGAIN;
	}
	p->taken++;
	return DN_PICK_TAKE;
}

bool dn_pick_done(const struct dn_pick *p)
{
	return p->taken >= p->want || p->looked >= DN_PICK_LOOK * p->want;
}

/*
 * The pages a target brought home last are never victims: an instruction
 * that touches several pages completes even when nearly all of a target's
 * capacity is taken by pages that cannot move (shared after fork()), where
 * two pages would otherwise evict each other at every trap, for ever.  The
 * set holds the last DN_LOCAL_WINDOW keys added (promotions and first
 * touches), whatever else the ring holds (a scan may add a page again).
 *
 * Example (window 8): add 1..9 -> holds 2..9; has(1) false, has(9) true.
 */
void dn_recent_add(struct dn_recent *r, unsigned long key)
{
	r->key[r->next] = key;
	r->next = (r->next + 1) % DN_LOCAL_WINDOW;
	if (r->n < DN_LOCAL_WINDOW)
		r->n++;
}

bool dn_recent_has(const struct dn_recent *r, unsigned long key)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->key[i] == key)
			return true;
	return false;
}

/*
 * dn_ring_select() - a pick over a ring of indices into @state, for tests
 * and simulations; the module runs the same dn_pick_*() over page tables.
 * A young page given a second chance becomes old (its bit is cleared) and
 * goes back at the tail; a taken or dropped one leaves the ring.  An entry
 * in @recent (if not NULL) is looked at, not taken: it goes back at the
 * tail.
 *
 * Returns the number of victims, stored in @victims in pick order.
 *
 * Example: ring 0 1 2 3, state young old young old, want 2:
 *   0 young: again (ring 1 2 3 0); 1 old: take; 2 young: again
 *   (ring 3 0 2); 3 old: take -> victims 1 3, ring 0 2, both now old.
 * Example, all hot: ring 0..9 all young, want 1: 0..7 get their second
 *   chance (8 = DN_PICK_CHANCES), 8 is taken although young.
 */
size_t dn_ring_select(struct dn_ring *r, enum dn_page_state *state,
		      size_t want, const struct dn_recent *recent,
		      unsigned long *victims)
{
	struct dn_pick p;
	unsigned long key;

	dn_pick_begin(&p, want);
	while (!dn_pick_done(&p) && dn_ring_pop(r, &key)) {
		if (recent && dn_recent_has(recent, key)) {
			p.looked++;
			dn_ring_push(r, key);
			continue;
		}
		switch (dn_pick_visit(&p, state[key])) {
		case DN_PICK_DROP:
			break;
		case DN_PICK_AGAIN:
			state[key] = DN_PAGE_OLD;
			dn_ring_push(r, key);
			break;
		case DN_PICK_TAKE:
			victims[p.taken - 1] = key;
			break;
		}
	}
	return p.taken;
}

/*
 * dn_latency_wait() - how long the busy-wait runs for one remote access
 *
 * What a trapped access costs above the trap floor (the trap at latency 0)
 * is the wait plus the wait's own cost beyond what it counts (clock reads
 * before the first and after the last, the last step's overshoot): the
 * offset, measured by the calibration (dn_latency_offset()).  The wait is
 * the latency less that offset, so that the access pays the latency; a
 * latency at or below the offset waits 0 and pays the offset.  A negative
 * offset (a wait that counts more than it takes) lengthens the wait.
 * Latency 0 waits 0 whatever the offset.
 *
 * Example (offset 120): 0 -> 0; 100 -> 0; 120 -> 0; 1000 -> 880;
 * offset -30: 1000 -> 1030.
 */
u64 dn_latency_wait(u64 latency_ns, long long offset_ns)
{
	u64 off;

	if (!latency_ns)
		return 0;
	if (offset_ns < 0) {
		off = -(u64)offset_ns;
		return latency_ns + off < latency_ns ? ~0ULL : latency_ns + off;
	}
	off = offset_ns;
	return latency_ns > off ? latency_ns - off : 0;
}

/*
 * dn_latency_added() - the delay one access paid above the trap floor, for
 * stats/injected_delay_ns: what the wait counted plus the offset, 0 at
 * latency 0 (no wait ran), never below 0.
 *
 * Example (offset 120): latency 0 -> 0; latency 1000, waited 880 -> 1000;
 * latency 100, waited 0 -> 120; offset -30, waited 1030 -> 1000.
 */
u64 dn_latency_added(u64 latency_ns, u64 waited_ns, long long offset_ns)
{
	u64 off;

	if (!latency_ns)
		return 0;
	if (offset_ns < 0) {
		off = -(u64)offset_ns;
		return waited_ns > off ? waited_ns - off : 0;
	}
	return waited_ns + (u64)offset_ns;
}

/* Sort helper for dn_latency_offset(): a few dozen values. */
static void dn_sort_u64(u64 *v, size_t n)
{
	size_t i, j;
	u64 x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * dn_latency_offset() - the wait's own cost, from a calibration
 *
 * @with holds @n timings (clock read to clock read around the call) of a
 * wait of @wait_ns, @without @n timings of a wait of 0, which returns at
 * once as a wait at latency 0 does.  The offset is the median of @with
 * less the median of @without less @wait_ns: what a wait adds beyond what
 * it counts.  Medians, so that a timing that an interrupt or a vCPU switch
 * stretched does not move it.  Sorts both arrays.
 *
 * Example (wait 4000): with {4150, 4120, 9000}, without {30, 20, 25} ->
 * 4150 - 25 - 4000 = 125; with {3990}, without {20} -> -30.
 */
long long dn_latency_offset(u64 *with, u64 *without, size_t n, u64 wait_ns)
{
	if (!n)
		return 0;
	dn_sort_u64(with, n);
	dn_sort_u64(without, n);
	return (long long)(with[n / 2] - without[n / 2]) - (long long)wait_ns;
}

/*
 * dn_latency_oncpu() - how much of the gap between two clock reads of the
 * busy-wait loop counts as waited
 *
 * The wait loop reads the clock back to back, a few ns apart.  A gap
 * longer than @max_gap (DN_OFFCPU_GAP_NS, in the clock's units) means the
 * CPU did something else in between: an interrupt, or, in a virtual
 * machine, the host ran another vCPU.  That time was not the waiting
 * thread's, so it does not count, and the access pays its latency in the
 * thread's own CPU time.
 *
 * Example (max 5000): gap 60 -> 60; gap 5000 -> 5000; gap 5001 -> 0;
 * gap 2000000 (a 2 ms vCPU time slice) -> 0.
 */
u64 dn_latency_oncpu(u64 gap, u64 max_gap)
{
	return gap <= max_gap ? gap : 0;
}

/*
 * dn_ns_to_cycles() - @ns in cycles of a clock of @khz kHz (the TSC's),
 * rounded to the nearest; dn_cycles_to_ns() the other way.  Saturate
 * rather than wrap.  @khz 0 (no such clock): 0.
 *
 * Example (999993 kHz): 1000 ns -> 1000 cycles; 5000 ns -> 4999.965 ->
 * 5000; 3000000 kHz (3 GHz): 1000 ns -> 3000 cycles, 3000 cycles ->
 * 1000 ns; 1 cycle -> 0.33 -> 0 ns.
 */
u64 dn_ns_to_cycles(u64 ns, u64 khz)
{
	if (khz && ns > (~0ULL - 500000) / khz)
		return ~0ULL;
	return (ns * khz + 500000) / 1000000;
}

u64 dn_cycles_to_ns(u64 cycles, u64 khz)
{
	if (!khz)
		return 0;
	if (cycles > (~0ULL - khz / 2) / 1000000)
		return ~0ULL;
	return (cycles * 1000000 + khz / 2) / khz;
}

/*
 * dn_pressure_evict() - pages to evict to keep the local node above its high
 * watermark plus @margin, so that promotions by the fault hook succeed.
 *
 * Example: high_wmark 1000, margin 256: free 1300 -> 0; free 1256 -> 0;
 * free 1000 -> 256; free 0 -> 1256.
 */
unsigned long dn_pressure_evict(unsigned long free_pages,
				unsigned long high_wmark, unsigned long margin)
{
	unsigned long goal = high_wmark + margin;

	if (goal < high_wmark)	/* saturate rather than wrap */
		goal = ~0UL;
	if (free_pages >= goal)
		return 0;
	return goal - free_pages;
}
