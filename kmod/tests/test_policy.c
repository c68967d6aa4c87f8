// SPDX-License-Identifier: GPL-2.0
/*
 * test_policy - unit test of the policy core, on the host (kmod/policy.c).
 *
 * Each TEST walks a table of {name, inputs, expected} cases for one function
 * of policy.h and logs the name of every case that does not match exactly.
 * The same policy.c is compiled into the module.
 *
 * Build this file with kmod/policy.c, -Ikmod and
 * -I<linux>/tools/testing/selftests (for kselftest_harness.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "kselftest_harness.h"

/* dn_split_delta() */

struct dn_split_case {
	const char *name;
	unsigned long local;
	unsigned long remote;
	unsigned int pct;
	long expected;
};

static const struct dn_split_case dn_split_cases[] = {
	/* name, local, remote, pct, expected */
	{ "resident 0, pct 0", 0, 0, 0, 0 },
	{ "resident 0, pct 50", 0, 0, 50, 0 },
	{ "resident 0, pct 100", 0, 0, 100, 0 },
	{ "pct 0 brings all home", 500, 500, 0, -500 },
	{ "pct 0, one remote page (no hysteresis)", 10000, 1, 0, -1 },
	{ "pct 0, nothing remote", 500, 0, 0, 0 },
	{ "pct 50 from all local", 1000, 0, 50, 500 },
	{ "pct 50 balanced", 500, 500, 50, 0 },
	{ "pct 50, one extra local page", 501, 499, 50, 1 },
	{ "pct 25 lowered from 80", 200, 800, 25, -550 },
	{ "pct 25, short 5 < slack 10", 745, 255, 25, 0 },
	{ "pct 25, short 10 == slack 10 (edge, kept)", 740, 260, 25, 0 },
	{ "pct 25, short 11 > slack 10 (edge, home)", 739, 261, 25, -11 },
	{ "pct 50, resident 199, short 1 == slack 1", 99, 100, 50, 0 },
	{ "pct 50, resident 199, short 2 > slack 1", 98, 101, 50, -2 },
	{ "pct 33 rounds want_remote down", 100, 0, 33, 33 },
	{ "pct 1, resident 99: want_remote 0", 99, 0, 1, 0 },
	{ "pct 1, resident 100: want_remote 1", 100, 0, 1, 1 },
	{ "pct 99: want_local 10, above the window", 1000, 0, 99, 990 },
	{ "pct 100 keeps the window", 1000, 0, 100, 992 },
	{ "pct 100 at the window", 8, 992, 100, 0 },
	{ "pct 100, window + 1", 9, 991, 100, 1 },
	{ "pct 100, short 1 < slack 10", 7, 993, 100, 0 },
	{ "pct 100, short 6 > slack 5", 2, 498, 100, -6 },
	{ "pct > 100 treated as 100", 1000, 0, 150, 992 },
	{ "small target, pct 100, all local", 6, 0, 100, 0 },
	{ "small target, pct 100, all remote", 0, 6, 100, -6 },
	{ "small target, pct 50, all local", 6, 0, 50, 0 },
	{ "small target, pct 50, split 3/5", 3, 5, 50, -5 },
	{ "resident 1, pct 100", 1, 0, 100, 0 },
	{ "resident == window, pct 50", 8, 0, 50, 0 },
	{ "resident 40, pct 50", 40, 0, 50, 20 },
#if ULONG_MAX > 0xffffffffUL
	{ "2^40 local, pct 33", 1099511627776UL, 0, 33, 362838837166L },
	{ "2^40 balanced, pct 50", 549755813888UL, 549755813888UL, 50, 0 },
	{ "2^40 remote, pct 10", 0, 1099511627776UL, 10, -989560464999L },
	{ "2^40 remote, pct 0", 0, 1099511627776UL, 0, -1099511627776L },
	{ "2^40, short == slack (edge, kept)", 538760697611UL,
	  560750930165UL, 50, 0 },
	{ "2^40, short == slack + 1 (edge, home)", 538760697610UL,
	  560750930166UL, 50, -10995116278L },
	{ "2^50 + 99 local, pct 99", 1125899906842723UL, 0, 99,
	  1114640907774295L },
#endif
};

TEST(split_delta)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_split_cases); k++) {
		const struct dn_split_case *t = &dn_split_cases[k];
		struct dn_split s = {
			.local = t->local,
			.remote = t->remote,
			.remote_pct = t->pct,
		};

		EXPECT_EQ(t->expected, dn_split_delta(&s))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_clock_visit(), dn_clock_begin(), dn_clock_done() */

struct dn_visit_case {
	const char *name;
	unsigned long want;
	unsigned long selected;
	bool evictable;
	bool young;
	enum dn_verdict verdict;
	unsigned long selected_after;
	unsigned long visited_after;	/* starts at 5 */
	unsigned long cleared_after;	/* starts at 2 */
	bool done_after;
};

static const struct dn_visit_case dn_visit_cases[] = {
	/* name, want, selected, evictable, young,
	 *	verdict, selected, visited, cleared, done
	 */
	{ "not evictable, young", 3, 0, false, true,
		DN_SKIP, 0, 5, 2, false },
	{ "not evictable, old", 3, 0, false, false,
		DN_SKIP, 0, 5, 2, false },
	{ "not evictable, done", 1, 1, false, false,
		DN_SKIP, 1, 5, 2, true },
	{ "young: second chance", 3, 0, true, true,
		DN_KEEP_CLEAR, 0, 6, 3, false },
	{ "old: victim", 3, 0, true, false,
		DN_EVICT, 1, 6, 2, false },
	{ "old: last victim", 3, 2, true, false,
		DN_EVICT, 3, 6, 2, true },
	{ "done, old: keep", 3, 3, true, false,
		DN_KEEP, 3, 6, 2, true },
	{ "done, young: keep, bit left", 3, 3, true, true,
		DN_KEEP, 3, 6, 2, true },
	{ "want 0, old: keep", 0, 0, true, false,
		DN_KEEP, 0, 6, 2, true },
};

TEST(clock_visit)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_visit_cases); k++) {
		const struct dn_visit_case *t = &dn_visit_cases[k];
		struct dn_clock c = { 7, 7, 7, 7 };

		dn_clock_begin(&c, t->want);
		EXPECT_EQ(t->want, c.want) TH_LOG("case '%s'", t->name);
		EXPECT_EQ(0UL, c.selected + c.visited + c.cleared)
			TH_LOG("case '%s': begin did not zero", t->name);
		c.selected = t->selected;
		c.visited = 5;
		c.cleared = 2;

		EXPECT_EQ(t->verdict, dn_clock_visit(&c, t->evictable,
						     t->young))
			TH_LOG("case '%s'", t->name);
		EXPECT_EQ(t->selected_after, c.selected)
			TH_LOG("case '%s': selected", t->name);
		EXPECT_EQ(t->visited_after, c.visited)
			TH_LOG("case '%s': visited", t->name);
		EXPECT_EQ(t->cleared_after, c.cleared)
			TH_LOG("case '%s': cleared", t->name);
		EXPECT_EQ(t->done_after, dn_clock_done(&c))
			TH_LOG("case '%s': done", t->name);
	}
}

/* dn_clock_select() */

#define DN_T_PAGES	16UL

/*
 * Pages are written as strings, one character per page: young "1" young,
 * "0" old; evictable "1" evictable, "0" not (NULL: all evictable).  Victims
 * are written as their indices in visit order, separated by spaces.
 */
struct dn_select_case {
	const char *name;
	const char *young;
	const char *evictable;
	size_t hand;
	size_t want;
	const char *victims;
	size_t hand_after;
	const char *young_after;
};

static const struct dn_select_case dn_select_cases[] = {
	/* name, young, evictable, hand, want,
	 *	victims, hand, young
	 */
	{ "worked example, one lap", "101100", NULL, 0, 3,
		"1 4 5", 0, "000000" },
	{ "worked example, second lap", "1101", NULL, 1, 2,
		"2 1", 2, "0000" },
	{ "all old", "0000", NULL, 0, 2,
		"0 1", 2, "0000" },
	{ "all old, want all", "0000", NULL, 1, 4,
		"1 2 3 0", 1, "0000" },
	{ "all young: second lap", "1111", NULL, 0, 2,
		"0 1", 2, "0000" },
	{ "all young, want all", "1111", NULL, 0, 4,
		"0 1 2 3", 0, "0000" },
	{ "single young page", "1", NULL, 0, 1,
		"0", 0, "0" },
	{ "want 0: nothing visited", "1010", NULL, 2, 0,
		"", 2, "1010" },
	{ "want > evictable count", "0110", "1101", 0, 10,
		"0 3 1", 0, "0010" },
	{ "non-evictable pages skipped", "000000", "010101", 0, 2,
		"1 3", 4, "000000" },
	{ "non-evictable young bits left", "111111", "101010", 0, 3,
		"0 2 4", 5, "010101" },
	{ "nothing evictable", "10", "00", 1, 1,
		"", 1, "10" },
	{ "hand wraps", "0001", NULL, 3, 2,
		"0 1", 2, "0000" },
	{ "stop on the last page: hand wraps to 0", "100", NULL, 2, 1,
		"2", 0, "100" },
	{ "hand taken mod n", "000", NULL, 4, 1,
		"1", 2, "000" },
	{ "distinct victims over two laps", "010", NULL, 0, 3,
		"0 2 1", 2, "000" },
	{ "distinct victims, second lap from hand", "01010", NULL, 3, 5,
		"4 0 2 3 1", 2, "00000" },
	{ "bits cleared only up to the stop", "110011", NULL, 0, 1,
		"2", 3, "000011" },
	{ "second lap stops early", "11011", NULL, 0, 2,
		"2 0", 1, "00000" },
	{ "n == 0", "", NULL, 0, 3,
		"", 0, "" },
};

/* Parse a string of '0'/'1' into @out; return its length. */
static size_t dn_bits(const char *s, bool *out)
{
	size_t i;

	for (i = 0; s[i]; i++)
		out[i] = s[i] == '1';
	return i;
}

/* Format @nr indices as "a b c" into @buf. */
static void dn_fmt_victims(const unsigned long *v, size_t nr, char *buf,
			   size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < nr && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%lu", i ? " " : "",
				v[i]);
}

TEST(clock_select)
{
	size_t k, i, j;

	for (k = 0; k < ARRAY_SIZE(dn_select_cases); k++) {
		const struct dn_select_case *t = &dn_select_cases[k];
		bool young[DN_T_PAGES], evictable[DN_T_PAGES];
		unsigned long victims[DN_T_PAGES];
		char got[4 * DN_T_PAGES], bits[DN_T_PAGES + 1];
		size_t n, hand, nr;

		n = strlen(t->young);
		ASSERT_GE(DN_T_PAGES, n) TH_LOG("case '%s'", t->name);
		dn_bits(t->young, young);
		for (i = 0; i < n; i++)
			evictable[i] = !t->evictable || t->evictable[i] == '1';
		memset(victims, 0xff, sizeof(victims));
		hand = t->hand;

		nr = dn_clock_select(young, evictable, n, &hand, t->want,
				     victims);

		dn_fmt_victims(victims, nr, got, sizeof(got));
		EXPECT_STREQ(t->victims, got)
			TH_LOG("case '%s': victims", t->name);
		EXPECT_EQ(t->hand_after, hand)
			TH_LOG("case '%s': hand", t->name);
		for (i = 0; i < n; i++)
			bits[i] = young[i] ? '1' : '0';
		bits[n] = '\0';
		EXPECT_STREQ(t->young_after, bits)
			TH_LOG("case '%s': young bits", t->name);

		/* Whatever the table says: few enough, evictable, distinct. */
		EXPECT_GE(t->want, nr) TH_LOG("case '%s'", t->name);
		for (i = 0; i < nr; i++) {
			EXPECT_GT(n, victims[i])
				TH_LOG("case '%s': victim %zu", t->name, i);
			if (victims[i] >= n)
				continue;
			EXPECT_TRUE(evictable[victims[i]])
				TH_LOG("case '%s': victim %zu", t->name, i);
			/* Braces: EXPECT_*() TH_LOG() is two statements. */
			for (j = 0; j < i; j++) {
				EXPECT_NE(victims[j], victims[i])
					TH_LOG("case '%s': victims %zu, %zu",
					       t->name, j, i);
			}
		}
	}
}

/* dn_latency_wait(), dn_latency_added(): the calibrated offset applied */

struct dn_wait_case {
	const char *name;
	u64 latency_ns;
	long long offset_ns;
	u64 wait;	/* dn_latency_wait() */
	u64 added;	/* dn_latency_added() after waiting exactly that */
};

static const struct dn_wait_case dn_wait_cases[] = {
	/* name, latency_ns, offset_ns, wait, added */
	{ "latency 0", 0, 120, 0, 0 },
	{ "latency 0, negative offset", 0, -30, 0, 0 },
	{ "below the offset", 100, 120, 0, 120 },
	{ "at the offset", 120, 120, 0, 120 },
	{ "just above", 121, 120, 1, 121 },
	{ "1 us", 1000, 120, 880, 1000 },
	{ "no offset", 1000, 0, 1000, 1000 },
	{ "negative offset", 1000, -30, 1030, 1000 },
	{ "1 ms", 1000000, 620, 999380, 1000000 },
	{ "negative offset saturates", UINT64_MAX - 10, -30, UINT64_MAX, UINT64_MAX - 30 },
};

TEST(latency_wait)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_wait_cases); k++) {
		const struct dn_wait_case *t = &dn_wait_cases[k];
		u64 w = dn_latency_wait(t->latency_ns, t->offset_ns);

		EXPECT_EQ(t->wait, w) TH_LOG("case '%s'", t->name);
		EXPECT_EQ(t->added, dn_latency_added(t->latency_ns, w, t->offset_ns))
			TH_LOG("case '%s'", t->name);
	}
	/* A wait cut short (fatal signal) reports what it paid. */
	EXPECT_EQ(620ULL, dn_latency_added(10000, 500, 120));
	EXPECT_EQ(0ULL, dn_latency_added(10000, 10, -30));
}

/* dn_latency_offset(): medians of the calibration's timings */

TEST(latency_offset)
{
	u64 with[] = { 4150, 4120, 9000, 0 }, without[] = { 30, 20, 25, 0 };
	u64 w1[] = { 3990 }, wo1[] = { 20 };
	u64 w5[] = { 4100, 4100, 4100, 4100, 50000 };
	u64 wo5[] = { 20, 20, 20, 9000, 9000 };

	EXPECT_EQ(125, dn_latency_offset(with, without, 3, 4000));
	/* sorted in place */
	EXPECT_EQ(4120ULL, with[0]);
	EXPECT_EQ(9000ULL, with[2]);
	EXPECT_EQ(20ULL, without[0]);
	EXPECT_EQ(-30, dn_latency_offset(w1, wo1, 1, 4000));
	/* two outliers of five move nothing */
	EXPECT_EQ(80, dn_latency_offset(w5, wo5, 5, 4000));
	EXPECT_EQ(0, dn_latency_offset(w1, wo1, 0, 4000));
}

/* dn_latency_oncpu() */

struct dn_oncpu_case {
	const char *name;
	u64 gap_ns;
	u64 expected;
};

static const struct dn_oncpu_case dn_oncpu_cases[] = {
	/* name, gap_ns, expected */
	{ "no gap", 0, 0 },
	{ "one loop iteration", 60, 60 },
	{ "at the bound", DN_OFFCPU_GAP_NS, DN_OFFCPU_GAP_NS },
	{ "just past the bound", DN_OFFCPU_GAP_NS + 1, 0 },
	{ "a vCPU time slice", 2000000, 0 },
	{ "clock wrapped", UINT64_MAX, 0 },
};

TEST(latency_oncpu)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_oncpu_cases); k++) {
		const struct dn_oncpu_case *t = &dn_oncpu_cases[k];

		EXPECT_EQ(t->expected,
			  dn_latency_oncpu(t->gap_ns, DN_OFFCPU_GAP_NS))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_ns_to_cycles(), dn_cycles_to_ns() */

TEST(cycles)
{
	EXPECT_EQ(1000ULL, dn_ns_to_cycles(1000, 999993));
	EXPECT_EQ(5000ULL, dn_ns_to_cycles(5000, 999993));
	EXPECT_EQ(3000ULL, dn_ns_to_cycles(1000, 3000000));
	EXPECT_EQ(1000ULL, dn_cycles_to_ns(3000, 3000000));
	EXPECT_EQ(0ULL, dn_cycles_to_ns(1, 3000000));
	EXPECT_EQ(1ULL, dn_cycles_to_ns(2, 3000000));	/* 0.67 rounds up */
	EXPECT_EQ(0ULL, dn_ns_to_cycles(1000, 0));
	EXPECT_EQ(0ULL, dn_cycles_to_ns(1000, 0));
	EXPECT_EQ(UINT64_MAX, dn_ns_to_cycles(UINT64_MAX / 2, 3000000));
	EXPECT_EQ(UINT64_MAX, dn_cycles_to_ns(UINT64_MAX / 2, 3000000));
	/* 1 ms, the largest latency, at 10 GHz: no saturation */
	EXPECT_EQ(10000000ULL, dn_ns_to_cycles(1000000, 10000000));
	EXPECT_EQ(1000000ULL, dn_cycles_to_ns(10000000, 10000000));
}

/* dn_pressure_evict() */

struct dn_pressure_case {
	const char *name;
	unsigned long free_pages;
	unsigned long high_wmark;
	unsigned long margin;
	unsigned long expected;
};

static const struct dn_pressure_case dn_pressure_cases[] = {
	/* name, free_pages, high_wmark, margin, expected */
	{ "all zero", 0, 0, 0, 0 },
	{ "well above", 1300, 1000, 256, 0 },
	{ "at high + margin (edge)", 1256, 1000, 256, 0 },
	{ "one below high + margin (edge)", 1255, 1000, 256, 1 },
	{ "at high", 1000, 1000, 256, 256 },
	{ "below high", 900, 1000, 256, 356 },
	{ "nothing free", 0, 1000, 256, 1256 },
	{ "no margin, at high", 1000, 1000, 0, 0 },
	{ "no margin, below high", 999, 1000, 0, 1 },
	{ "no watermark, margin only", 10, 0, 64, 54 },
	{ "high + margin saturates", 0, ULONG_MAX, 1, ULONG_MAX },
	{ "high + margin saturates, free max", ULONG_MAX, ULONG_MAX, 1, 0 },
};

TEST(pressure_evict)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_pressure_cases); k++) {
		const struct dn_pressure_case *t = &dn_pressure_cases[k];

		EXPECT_EQ(t->expected, dn_pressure_evict(t->free_pages,
							 t->high_wmark,
							 t->margin))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_exchange_count() */

struct dn_exchange_case {
	const char *name;
	unsigned long local, remote;
	unsigned int pct;
	unsigned long owed, expected;
};

static const struct dn_exchange_case dn_exchange_cases[] = {
	/* name, local, remote, pct, owed, expected */
	{ "pct 50, one promotion: a batch", 501, 499, 50, 1, 1 + 5 },
	{ "pct 50, three owed, off by one", 501, 499, 50, 3, 1 + 5 },
	{ "pct 50, balanced", 500, 500, 50, 1, 0 },
	{ "pct 50, short by less than a batch", 497, 503, 50, 1, 0 },
	{ "pct 50, nothing owed", 600, 400, 50, 0, 0 },
	{ "pct 50, growth since the last trap", 504, 496, 50, 1, 4 + 5 },
	{ "batch extra capped", 5004, 4996, 50, 1, 4 + DN_EXCHANGE_BATCH - 1 },
	{ "batch extra of a small target", 101, 99, 50, 1, 1 + 1 },
	{ "batch capped at DN_EXCHANGE_MAX", 5012, 4988, 50, 1,
	  DN_EXCHANGE_MAX },
	{ "pct 0: never", 1000, 0, 0, 5, 0 },
	{ "pct lowered: never", 200, 800, 25, 5, 0 },
	{ "capped at DN_EXCHANGE_MAX", 1000, 0, 50, 40, DN_EXCHANGE_MAX },
	{ "pct 100 keeps the window", 9, 991, 100, 2, 1 },
	{ "pct 100 at the window", 8, 992, 100, 1, 0 },
	{ "small target", 6, 0, 50, 1, 0 },
};

TEST(exchange_count)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_exchange_cases); k++) {
		const struct dn_exchange_case *t = &dn_exchange_cases[k];
		struct dn_split s = {
			.local = t->local,
			.remote = t->remote,
			.remote_pct = t->pct,
		};

		EXPECT_EQ(t->expected, dn_exchange_count(&s, t->owed))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_exchange_count() under a cap (remote_max) */

struct dn_exchange_cap_case {
	const char *name;
	struct dn_split s;
	unsigned long owed, expected;
};

static const struct dn_exchange_cap_case dn_exchange_cap_cases[] = {
	/* name, { local, remote, pct, remote_max }, owed, expected */
	{ "cap far: the batch as without", { 501, 499, 50, 5000 }, 1, 1 + 5 },
	{ "cap cuts the batch's extra", { 5004, 4996, 50, 5000 }, 1, 4 },
	{ "at the cap: nothing", { 5004, 5000, 50, 5000 }, 1, 0 },
	{ "above the cap: nothing", { 5004, 5100, 50, 5000 }, 1, 0 },
	{ "pct 75 growing at the cap", { 15361, 1024, 75, 1024 }, 1, 0 },
	{ "one page of room after a trap", { 15361, 1023, 75, 1024 }, 1, 1 },
};

TEST(exchange_count_cap)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_exchange_cap_cases); k++) {
		const struct dn_exchange_cap_case *t = &dn_exchange_cap_cases[k];

		EXPECT_EQ(t->expected, dn_exchange_count(&t->s, t->owed))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_split_delta() under a cap: the worked example of policy.c */

struct dn_split_cap_case {
	const char *name;
	struct dn_split s;
	long expected;
};

static const struct dn_split_cap_case dn_split_cap_cases[] = {
	/* name, { local, remote, pct, remote_max }, expected */
	{ "pct 75, cap 100: evict to the cap", { 1000, 0, 75, 100 }, 100 },
	{ "at the cap", { 900, 100, 75, 100 }, 0 },
	{ "above the cap: home", { 800, 200, 75, 100 }, -100 },
	{ "above by 10: home, no slack", { 890, 110, 75, 100 }, -10 },
	{ "above by 1: home", { 899, 101, 75, 100 }, -1 },
	{ "cap not reached", { 750, 250, 25, 500 }, 0 },
	{ "cap not reached, evict", { 1000, 0, 25, 500 }, 250 },
	{ "cap 0: no cap", { 1000, 0, 75, 0 }, 750 },
	{ "pct 0 with a cap: all home", { 500, 500, 0, 100 }, -500 },
	{ "pct 100, cap above the window's share", { 1000, 0, 100, 995 }, 992 },
	{ "cap 1 page", { 1000, 0, 100, 1 }, 1 },
};

TEST(split_delta_cap)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_split_cap_cases); k++) {
		const struct dn_split_cap_case *t = &dn_split_cap_cases[k];

		EXPECT_EQ(t->expected, dn_split_delta(&t->s))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_cap_room() */

struct dn_room_case {
	const char *name;
	unsigned long cap, remote, reserved, want, expected;
};

static const struct dn_room_case dn_room_cases[] = {
	/* name, cap, remote, reserved, want, expected */
	{ "no cap", 0, 5000, 100, 16, 16 },
	{ "no cap, want 0", 0, 0, 0, 0, 0 },
	{ "room for all", 1024, 1000, 0, 16, 16 },
	{ "room for some", 1024, 1020, 0, 16, 4 },
	{ "reserved counts", 1024, 1020, 4, 16, 0 },
	{ "reserved, some left", 1024, 1000, 20, 16, 4 },
	{ "exactly at the cap", 1024, 1024, 0, 1, 0 },
	{ "above the cap", 1024, 1100, 0, 16, 0 },
	{ "want 0", 1024, 0, 0, 0, 0 },
	{ "empty target, cap 1", 1, 0, 0, 16, 1 },
#if ULONG_MAX > 0xffffffffUL
	{ "2^40 cap", 1099511627776UL, 1099511627000UL, 700, 512, 76 },
#endif
};

TEST(cap_room)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_room_cases); k++) {
		const struct dn_room_case *t = &dn_room_cases[k];

		EXPECT_EQ(t->expected, dn_cap_room(t->cap, t->remote,
						   t->reserved, t->want))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_split_held() */

struct dn_held_case {
	const char *name;
	struct dn_split s;
	bool full;
	unsigned long expected;
};

static const struct dn_held_case dn_held_cases[] = {
	/* name, { local, remote, pct, remote_max }, full, expected */
	{ "64 MiB at 75 %, cap 4 MiB", { 15360, 1024, 75, 1024 }, false, 11264 },
	{ "the same, blade full too", { 15360, 1024, 75, 1024 }, true, 11264 },
	{ "below the cap, blade full", { 15360, 512, 75, 1024 }, true, 11392 },
	{ "no cap, blade full", { 900, 100, 75, 0 }, true, 650 },
	{ "no cap, room", { 900, 100, 75, 0 }, false, 0 },
	{ "cap not reached", { 750, 250, 25, 500 }, false, 0 },
	{ "cap reached exactly", { 500, 500, 50, 500 }, false, 0 },
	{ "one page beyond", { 501, 500, 50, 500 }, false, 0 },
	{ "two pages beyond", { 502, 500, 50, 500 }, false, 1 },
	{ "pct 0: nothing wanted", { 1000, 0, 0, 100 }, false, 0 },
	{ "above the cap: held beyond the cap", { 800, 200, 75, 100 }, false, 650 },
	{ "pct 100, window", { 1000, 0, 100, 100 }, false, 892 },
};

TEST(split_held)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_held_cases); k++) {
		const struct dn_held_case *t = &dn_held_cases[k];

		EXPECT_EQ(t->expected, dn_split_held(&t->s, t->full))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_held_refused() */

TEST(held_refused)
{
	EXPECT_EQ(750UL, dn_held_refused(0, 750));
	EXPECT_EQ(10UL, dn_held_refused(750, 760));
	EXPECT_EQ(0UL, dn_held_refused(760, 700)) TH_LOG("pages freed");
	EXPECT_EQ(0UL, dn_held_refused(760, 710)) TH_LOG("below the peak");
	EXPECT_EQ(10UL, dn_held_refused(760, 770)) TH_LOG("beyond the peak");
	EXPECT_EQ(0UL, dn_held_refused(710, 710));
	EXPECT_EQ(0UL, dn_held_refused(0, 0));
}

TEST(worker_delta)
{
	struct dn_split a = { 516, 484, 50, 0 }, b = { 517, 483, 50, 0 };
	struct dn_split c = { 400, 600, 50, 0 }, d = { 500, 500, 50, 0 };
	struct dn_split e = { 1000, 0, 50, 0 };
	struct dn_split f = { 100, 50, 25, 0 }, g = { 100, 5, 0, 0 };
	struct dn_split h = { 95, 55, 25, 0 };
	struct dn_split i = { 890, 110, 75, 100 };

	EXPECT_EQ(-10, dn_worker_delta(&i)) TH_LOG("above a cap: no slack");

	EXPECT_EQ(0, dn_worker_delta(&f)) TH_LOG("short 13: the exchanges'");
	EXPECT_EQ(-18, dn_worker_delta(&h)) TH_LOG("short 18: home");
	EXPECT_EQ(-5, dn_worker_delta(&g)) TH_LOG("pct 0: every page home");
	EXPECT_EQ(0, dn_worker_delta(&a));
	EXPECT_EQ(17, dn_worker_delta(&b));
	EXPECT_EQ(-100, dn_worker_delta(&c));
	EXPECT_EQ(0, dn_worker_delta(&d));
	EXPECT_EQ(500, dn_worker_delta(&e));
}

/* dn_worker_plan() */

struct dn_plan_case {
	const char *name;
	struct dn_plan_in in;
	unsigned long evict, home;
};

static const struct dn_plan_case dn_plan_cases[] = {
	/* { local, remote, pct, remote_max }, pressure, stuck, headroom, batch */
	{ "excess", { { 600, 400, 50, 0 }, 0, 0, 1000, 64 }, 100, 0 },
	{ "pressure above the excess", { { 600, 400, 50, 0 }, 150, 0, 0, 64 }, 150, 0 },
	{ "pressure, split exact", { { 500, 500, 50, 0 }, 20, 0, 0, 64 }, 20, 0 },
	{ "within the slack", { { 510, 490, 50, 0 }, 0, 0, 1000, 64 }, 0, 0 },
	{ "short: home, one batch", { { 400, 600, 50, 0 }, 0, 0, 1000, 64 }, 0, 64 },
	{ "short: home, the headroom", { { 400, 600, 50, 0 }, 0, 0, 30, 64 }, 0, 30 },
	{ "short: no headroom", { { 400, 600, 50, 0 }, 0, 0, 0, 64 }, 0, 0 },
	{ "short: every remote page stuck", { { 400, 600, 50, 0 }, 0, 600, 1000, 64 }, 0, 0 },
	{ "short: some stuck", { { 400, 600, 50, 0 }, 0, 590, 1000, 64 }, 0, 10 },
	{ "pct 0: all home", { { 100, 5, 0, 0 }, 0, 0, 1000, 64 }, 0, 5 },
	{ "pct 100: all out", { { 100, 0, 100, 0 }, 0, 0, 1000, 64 }, 92, 0 },
	{ "empty", { { 0, 0, 50, 0 }, 0, 0, 1000, 64 }, 0, 0 },
	{ "cap: evict to it", { { 600, 400, 50, 450 }, 0, 0, 1000, 64 }, 50, 0 },
	{ "cap wins over pressure", { { 600, 400, 50, 450 }, 150, 0, 0, 64 }, 50, 0 },
	{ "at the cap, pressure", { { 600, 450, 50, 450 }, 150, 0, 0, 64 }, 0, 0 },
	{ "cap lowered: home", { { 600, 400, 50, 300 }, 0, 0, 1000, 64 }, 0, 64 },
	{ "cap lowered: home, batch 200", { { 600, 400, 50, 300 }, 0, 0, 1000, 200 }, 0, 100 },
	{ "cap far", { { 600, 400, 50, 5000 }, 0, 0, 1000, 64 }, 100, 0 },
};

TEST(worker_plan)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_plan_cases); k++) {
		const struct dn_plan_case *t = &dn_plan_cases[k];
		struct dn_plan p;

		dn_worker_plan(&t->in, &p);
		EXPECT_EQ(t->evict, p.evict) TH_LOG("case '%s'", t->name);
		EXPECT_EQ(t->home, p.home) TH_LOG("case '%s'", t->name);
	}
}

/* dn_recount_due() */

struct dn_recount_case {
	const char *name;
	struct dn_count_view v;
	enum dn_recount expected;
};

static const struct dn_recount_case dn_recount_cases[] = {
	/* resident, remote, pct, counted_pct, moved, ms_since, forced */
	{ "idle, 2^17 pages, an hour", { 131072, 65536, 50, 50, 0, 3600000, false }, DN_RECOUNT_NONE },
	{ "idle, fresh", { 100, 50, 50, 50, 0, 0, false }, DN_RECOUNT_NONE },
	{ "busy, 1 s since", { 131072, 65536, 50, 50, 10000, 1000, false }, DN_RECOUNT_NONE },
	{ "busy, just under DN_RECOUNT_MS", { 100, 50, 50, 50, 1, DN_RECOUNT_MS - 1, false }, DN_RECOUNT_NONE },
	{ "busy, DN_RECOUNT_MS since", { 100, 50, 50, 50, 1, DN_RECOUNT_MS, false }, DN_RECOUNT_REFRESH },
	{ "forced", { 100, 50, 50, 50, 0, 0, true }, DN_RECOUNT_FULL },
	{ "pct lowered", { 100, 50, 25, 50, 0, 0, false }, DN_RECOUNT_REFRESH },
	{ "pct raised", { 100, 50, 75, 50, 0, 0, false }, DN_RECOUNT_REFRESH },
	{ "pct changed and forced", { 100, 50, 75, 50, 0, 0, true }, DN_RECOUNT_FULL },
	{ "pct changed, counts disagree", { 100, 101, 75, 50, 0, 0, false }, DN_RECOUNT_FULL },
	{ "more remote than resident", { 100, 101, 50, 50, 0, 0, false }, DN_RECOUNT_FULL },
	{ "remote == resident", { 100, 100, 50, 50, 0, 0, false }, DN_RECOUNT_NONE },
};

TEST(recount_due)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_recount_cases); k++) {
		const struct dn_recount_case *t = &dn_recount_cases[k];

		EXPECT_EQ(t->expected, dn_recount_due(&t->v))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_setting_own() */

struct dn_setting_own_case {
	const char *name;
	int own, tenant, expected;
};

static const struct dn_setting_own_case dn_setting_own_cases[] = {
	{ "own wins over the tenant", 25, 75, 25 },
	{ "own 0 is a value", 0, 75, 0 },
	{ "the tenant's", DN_SETTING_GLOBAL, 75, 75 },
	{ "the tenant's 0", DN_SETTING_GLOBAL, 0, 0 },
	{ "neither: the global", DN_SETTING_GLOBAL, DN_SETTING_GLOBAL, DN_SETTING_GLOBAL },
	{ "any negative: the global", -7, -3, DN_SETTING_GLOBAL },
	{ "own, no tenant", 100, DN_SETTING_GLOBAL, 100 },
};

TEST(setting_own)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_setting_own_cases); k++) {
		const struct dn_setting_own_case *t = &dn_setting_own_cases[k];

		EXPECT_EQ(t->expected, dn_setting_own(t->own, t->tenant))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_recount_remote() */

struct dn_recount_remote_case {
	const char *name;
	long walked, counted, raced, expected;
};

static const struct dn_recount_remote_case dn_recount_remote_cases[] = {
	{ "nothing raced: the walk", 1000, 1500, 0, 1000 },
	{ "nothing raced, count low", 1000, 10, 0, 1000 },
	{ "raced, count within: kept", 1000, 990, 20, 990 },
	{ "raced, count at the low end", 1000, 980, 20, 980 },
	{ "raced, count at the high end", 1000, 1020, 20, 1020 },
	{ "raced, count below: low end", 1000, 0, 20, 980 },
	{ "raced, count above: high end", 1000, 5000, 20, 1020 },
	{ "new target, events exact", 9200, 9300, 1700, 9300 },
	{ "negative race treated as none", 50, 60, -5, 50 },
	{ "empty", 0, 0, 0, 0 },
};

TEST(recount_remote)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_recount_remote_cases); k++) {
		const struct dn_recount_remote_case *t =
			&dn_recount_remote_cases[k];

		EXPECT_EQ(t->expected, dn_recount_remote(t->walked,
							 t->counted, t->raced))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_setting() */

struct dn_setting_case {
	const char *name;
	int own;
	unsigned int global;
	unsigned int expected;
};

static const struct dn_setting_case dn_setting_cases[] = {
	/* name, own, global, expected */
	{ "follows the global", DN_SETTING_GLOBAL, 50, 50 },
	{ "follows the global at 0", DN_SETTING_GLOBAL, 0, 0 },
	{ "own 25 under global 50", 25, 50, 25 },
	{ "own 75 under global 50", 75, 50, 75 },
	{ "own 0 is its own, not the global", 0, 50, 0 },
	{ "own 100", 100, 0, 100 },
	{ "any negative follows", -5, 40, 40 },
	{ "own latency 1000000", 1000000, 10000, 1000000 },
	{ "global latency 1000000 followed", DN_SETTING_GLOBAL, 1000000, 1000000 },
};

TEST(setting)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_setting_cases); k++) {
		const struct dn_setting_case *t = &dn_setting_cases[k];

		EXPECT_EQ(t->expected, dn_setting(t->own, t->global))
			TH_LOG("case '%s'", t->name);
	}
}

/* The victim ring and the pick */

TEST(ring_fifo)
{
	unsigned long slot[4], key = 0;
	struct dn_ring r, big;
	unsigned long more[8];
	int i;

	dn_ring_init(&r, slot, 4);
	EXPECT_EQ(0UL, dn_ring_count(&r));
	EXPECT_FALSE(dn_ring_pop(&r, &key));
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(dn_ring_push(&r, 10 + i));
	EXPECT_FALSE(dn_ring_push(&r, 99)) TH_LOG("a full ring refuses");
	EXPECT_EQ(4UL, dn_ring_count(&r));
	EXPECT_TRUE(dn_ring_pop(&r, &key));
	EXPECT_EQ(10UL, key);
	/* Wraps around: the slot freed by the pop is reused. */
	EXPECT_TRUE(dn_ring_push(&r, 14));
	dn_ring_init(&big, more, 8);
	dn_ring_move(&big, &r);
	EXPECT_EQ(0UL, dn_ring_count(&r));
	EXPECT_EQ(4UL, dn_ring_count(&big));
	for (i = 0; i < 4; i++) {
		EXPECT_TRUE(dn_ring_pop(&big, &key));
		EXPECT_EQ((unsigned long)(11 + i), key) TH_LOG("oldest first");
	}
	dn_ring_init(&r, NULL, 0);
	EXPECT_FALSE(dn_ring_push(&r, 1)) TH_LOG("no slots yet");
}

TEST(recent_window)
{
	struct dn_recent r;
	unsigned long k;

	memset(&r, 0, sizeof(r));
	EXPECT_FALSE(dn_recent_has(&r, 0)) TH_LOG("empty: not even key 0");
	for (k = 1; k <= DN_LOCAL_WINDOW + 1; k++)
		dn_recent_add(&r, k);
	EXPECT_FALSE(dn_recent_has(&r, 1)) TH_LOG("the oldest left");
	for (k = 2; k <= DN_LOCAL_WINDOW + 1; k++)
		EXPECT_TRUE(dn_recent_has(&r, k)) TH_LOG("key %lu", k);
	EXPECT_FALSE(dn_recent_has(&r, DN_LOCAL_WINDOW + 2));
}

TEST(ring_capacity)
{
	EXPECT_EQ((unsigned long)DN_RING_MIN, dn_ring_capacity(0));
	EXPECT_EQ((unsigned long)DN_RING_MIN, dn_ring_capacity(DN_RING_MIN / 2));
	EXPECT_EQ((unsigned long)(2 * DN_RING_MIN),
		  dn_ring_capacity(DN_RING_MIN / 2 + 1));
	EXPECT_EQ(8192UL, dn_ring_capacity(3000));
}

struct dn_pick_case {
	const char *name;
	const char *state;	/* per key, in ring order: g(one) o(ld) y(oung) */
	size_t want;
	const char *recent;	/* keys brought home last: never taken */
	const char *victims;	/* expected keys, in pick order */
	const char *left;	/* expected ring after, oldest first */
};

static const struct dn_pick_case dn_pick_cases[] = {
	{ "worked example", "yoyo", 2, "", "13", "02" },
	{ "all old: the oldest", "oooo", 1, "", "0", "123" },
	{ "stale ones dropped", "ggoo", 1, "", "2", "3" },
	{ "all gone: nothing", "gggg", 1, "", "", "" },
	{ "all hot: 8 chances, then the oldest", "yyyyyyyyyy", 1, "", "8", "901234567" },
	{ "one hot page: taken anyway", "y", 1, "", "0", "" },
	{ "want more than live", "goy", 3, "", "12", "" },
	{ "empty ring", "", 1, "", "", "" },
	{ "recent ones stay", "oooo", 4, "02", "13", "02" },
	{ "all recent: nothing, bounded", "oo", 1, "01", "", "01" },
	{ "recent, hot: neither a chance nor taken", "yoy", 1, "0", "1", "20" },
};

static void dn_keys(char *out, const unsigned long *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = '0' + (char)k[i];
	out[n] = '\0';
}

TEST(ring_select)
{
	size_t k, i, n;

	for (k = 0; k < ARRAY_SIZE(dn_pick_cases); k++) {
		const struct dn_pick_case *t = &dn_pick_cases[k];
		enum dn_page_state state[32];
		unsigned long slot[32], victims[32], left[32], key;
		char got[33], rest[33];
		struct dn_recent recent;
		struct dn_ring r;
		size_t nleft = 0;

		dn_ring_init(&r, slot, 32);
		for (i = 0; t->state[i]; i++) {
			state[i] = t->state[i] == 'g' ? DN_PAGE_GONE :
				   t->state[i] == 'y' ? DN_PAGE_YOUNG : DN_PAGE_OLD;
			dn_ring_push(&r, i);
		}
		memset(&recent, 0, sizeof(recent));
		for (i = 0; t->recent[i]; i++)
			dn_recent_add(&recent, t->recent[i] - '0');
		n = dn_ring_select(&r, state, t->want, &recent, victims);
		dn_keys(got, victims, n);
		while (dn_ring_pop(&r, &key))
			left[nleft++] = key;
		dn_keys(rest, left, nleft);
		EXPECT_STREQ(t->victims, got) TH_LOG("case '%s'", t->name);
		EXPECT_STREQ(t->left, rest) TH_LOG("case '%s'", t->name);
	}
}

/* A pick looks at a bounded number of entries, however stale the ring. */
TEST(pick_bounded)
{
	struct dn_pick p;
	unsigned long looked = 0;

	dn_pick_begin(&p, 2);
	while (!dn_pick_done(&p)) {
		EXPECT_EQ((int)DN_PICK_DROP, (int)dn_pick_visit(&p, DN_PAGE_GONE));
		looked++;
		if (looked > 10 * DN_PICK_LOOK)
			break;
	}
	EXPECT_EQ((unsigned long)(2 * DN_PICK_LOOK), looked);
}

TEST(idle_delay)
{
	EXPECT_EQ(10UL, dn_idle_delay_ms(10, 0));
	EXPECT_EQ(20UL, dn_idle_delay_ms(10, 1));
	EXPECT_EQ(40UL, dn_idle_delay_ms(10, 2));
	EXPECT_EQ(80UL, dn_idle_delay_ms(10, 3));
	EXPECT_EQ(80UL, dn_idle_delay_ms(10, 4));
	EXPECT_EQ(80UL, dn_idle_delay_ms(10, 1000000));
	EXPECT_EQ((unsigned long)(8 * 10000), dn_idle_delay_ms(10000, 1000));
}

/* dn_enroll_verdict() */

struct dn_enroll_case {
	const char *name;
	struct dn_enroll_req req;
	enum dn_enroll_verdict expected;
};

static const struct dn_enroll_case dn_enroll_cases[] = {
	/* by_root, explicit, related, root_uid, uid_targets, per_user */
	{ "auto, hook, first of its uid", { false, false, false, false, 0, 64 },
	  DN_ENROLL_OK },
	{ "auto, hook, uid at the limit", { false, false, false, false, 64, 64 },
	  DN_ENROLL_OVER_LIMIT },
	{ "auto, hook, uid below the limit", { false, false, false, false, 63, 64 },
	  DN_ENROLL_OK },
	{ "explicit, hook, unrelated", { false, true, false, false, 0, 64 },
	  DN_ENROLL_NOT_RELATED },
	{ "explicit, hook, unrelated root process", { false, true, false, true, 0, 64 },
	  DN_ENROLL_NOT_RELATED },
	{ "explicit, hook, unrelated, over the limit", { false, true, false, false, 99, 2 },
	  DN_ENROLL_NOT_RELATED },
	{ "explicit, hook, a target's child", { false, true, true, false, 1, 2 },
	  DN_ENROLL_OK },
	{ "explicit, hook, a target's child at the limit", { false, true, true, false, 2, 2 },
	  DN_ENROLL_OVER_LIMIT },
	{ "explicit, target_add", { true, true, false, false, 1, 2 },
	  DN_ENROLL_OK },
	{ "explicit, target_add at the limit", { true, true, false, false, 2, 2 },
	  DN_ENROLL_OVER_LIMIT },
	{ "target_add of root's process", { true, false, false, true, 100, 2 },
	  DN_ENROLL_OK },
	{ "no limit", { false, false, false, false, 100000, 0 },
	  DN_ENROLL_OK },
};

TEST(enroll_verdict)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(dn_enroll_cases); k++) {
		const struct dn_enroll_case *t = &dn_enroll_cases[k];

		EXPECT_EQ(t->expected, dn_enroll_verdict(&t->req))
			TH_LOG("case '%s'", t->name);
	}
}

/* dn_pool_share() */

/* The tenant's split: its members' remote pages, per cent of their pages. */
static double dn_pool_split(const struct dn_pool_member *m, unsigned int n)
{
	unsigned long res = 0, remote = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		res += m[i].resident;
		remote += (m[i].resident * m[i].remote_pct + 50) / 100;
	}
	return res ? 100.0 * remote / res : 0;
}

/* A member of @resident pages, @remote of them remote, share @pm. */
static struct dn_pool_member dn_pm(unsigned long resident,
				   unsigned long remote, unsigned int pm)
{
	return (struct dn_pool_member){ .resident = resident,
					.remote = remote, .local_pm = pm };
}

TEST(pool_share)
{
	struct dn_pool_member m[3];
	unsigned long local;
	int round;

	/* New members: each at the tenant's split. */
	memset(m, 0, sizeof(m));
	m[0] = dn_pm(1000, 500, DN_POOL_NEW);
	m[1] = dn_pm(3000, 1500, DN_POOL_NEW);
	dn_pool_share(m, 2, 50, 0);
	EXPECT_EQ(500UL, m[0].local);
	EXPECT_EQ(1500UL, m[1].local);
	EXPECT_EQ(50U, m[0].remote_pct);
	EXPECT_EQ(50U, m[1].remote_pct);
	EXPECT_EQ(500U, m[0].local_pm);

	/* Traps alike per remote page: no step. */
	m[0].faults = 100;
	m[1].faults = 300;
	dn_pool_share(m, 2, 50, 0);
	EXPECT_EQ(500UL, m[0].local);
	EXPECT_EQ(1500UL, m[1].local);

	/* The first's remote pages trap more: a step of 2000 / 64 to it. */
	m[0].faults = 200;
	m[1].faults = 10;
	dn_pool_share(m, 2, 50, 0);
	EXPECT_EQ(531UL, m[0].local);
	EXPECT_EQ(1469UL, m[1].local);
	EXPECT_EQ(47U, m[0].remote_pct);
	EXPECT_EQ(51U, m[1].remote_pct);
	EXPECT_EQ(531U, m[0].local_pm);

	/*
	 * The second alone traps: the step goes back (within a page: the
	 * shares are kept per mille).
	 */
	m[0].remote = 469;
	m[1].remote = 1531;
	m[0].faults = 0;
	m[1].faults = 500;
	dn_pool_share(m, 2, 50, 0);
	EXPECT_GE(1UL, m[0].local - 500);
	EXPECT_EQ(2000UL, m[0].local + m[1].local);

	/* Too few traps to judge: no step. */
	m[0].faults = DN_POOL_MIN_FAULTS - 1;
	m[1].faults = 0;
	dn_pool_share(m, 2, 50, 0);
	EXPECT_GE(1UL, m[0].local - 500);

	/*
	 * A hot member and a cold one: the hot one's traps take all its
	 * pages local, step by step, and the tenant's split holds at every
	 * step, within a point; it stops there (no room to give it).
	 */
	m[0] = dn_pm(8192, 4096, DN_POOL_NEW);
	m[1] = dn_pm(8192, 4096, DN_POOL_NEW);
	dn_pool_share(m, 2, 50, 0);
	for (round = 0; round < 70; round++) {
		m[0].remote = 8192 - m[0].local;
		m[1].remote = 8192 - m[1].local;
		m[0].faults = m[0].remote ? 1000 : 0;
		m[1].faults = 0;
		dn_pool_share(m, 2, 50, 0);
		EXPECT_GE(1.0, (dn_pool_split(m, 2) > 50 ? dn_pool_split(m, 2) - 50 : 50 - dn_pool_split(m, 2)))
			TH_LOG("round %d: %.2f %%", round, dn_pool_split(m, 2));
		EXPECT_EQ(8192UL, m[0].local + m[1].local);
	}
	EXPECT_EQ(8192UL, m[0].local);
	EXPECT_EQ(0U, m[0].remote_pct);
	EXPECT_EQ(100U, m[1].remote_pct);

	/* Members that grow: their shares scale to the capacity. */
	m[0] = dn_pm(2000, 0, 800);
	m[1] = dn_pm(6000, 0, 400);
	dn_pool_share(m, 2, 50, 0);	/* 1600 + 2400 asked, 4000 there */
	EXPECT_EQ(4000UL, m[0].local + m[1].local);
	EXPECT_EQ(1600UL, m[0].local);
	m[1].resident = 14000;		/* 1600 + 5600 asked, 8000 there */
	dn_pool_share(m, 2, 50, 0);
	local = m[0].local + m[1].local;
	EXPECT_EQ(8000UL, local);
	EXPECT_EQ(1778UL, m[0].local);	/* both take more, in proportion */
	EXPECT_EQ(11U, m[0].remote_pct);

	/* A part beyond a member's pages goes to the others. */
	m[0] = dn_pm(100, 0, 1000);
	m[1] = dn_pm(900, 0, 100);
	m[2] = dn_pm(0, 0, DN_POOL_NEW);
	dn_pool_share(m, 3, 0, 0);		/* everything local */
	EXPECT_EQ(100UL, m[0].local);
	EXPECT_EQ(900UL, m[1].local);
	EXPECT_EQ(0U, m[1].remote_pct);
	EXPECT_EQ(0U, m[2].remote_pct);	/* no pages: the tenant's */
	dn_pool_share(m, 3, 100, 0);	/* everything remote */
	EXPECT_EQ(0UL, m[0].local + m[1].local);
	EXPECT_EQ(100U, m[0].remote_pct);
	EXPECT_EQ(100U, m[2].remote_pct);

	/*
	 * Under the tenant's cap: more local, the remote_pct rounded down,
	 * and each member's part of the cap, which add up to it.
	 */
	m[0] = dn_pm(1000, 0, DN_POOL_NEW);
	m[1] = dn_pm(3000, 0, DN_POOL_NEW);
	dn_pool_share(m, 2, 50, 1000);
	EXPECT_EQ(750UL, m[0].local);
	EXPECT_EQ(2250UL, m[1].local);
	EXPECT_EQ(25U, m[0].remote_pct);
	EXPECT_EQ(25U, m[1].remote_pct);
	EXPECT_EQ(250UL, m[0].remote_max);
	EXPECT_EQ(750UL, m[1].remote_max);
	m[0].resident = 1003;		/* 25.1 %: rounded down */
	dn_pool_share(m, 2, 50, 1000);
	EXPECT_GE(1000UL, m[0].remote_max + m[1].remote_max);
	EXPECT_GE(m[0].remote_max, m[0].resident * m[0].remote_pct / 100);
	EXPECT_GE(m[1].remote_max, m[1].resident * m[1].remote_pct / 100);
	dn_pool_share(m, 2, 25, 1000);	/* the cap not reached */
	EXPECT_GE(1000UL, m[0].remote_max + m[1].remote_max);
	dn_pool_share(m, 2, 10, 1000);
	EXPECT_GE(1000UL, m[0].remote_max + m[1].remote_max);
	EXPECT_GE(10.0, dn_pool_split(m, 2));
	dn_pool_share(m, 2, 50, 0);	/* no cap: none given */
	EXPECT_EQ(0UL, m[0].remote_max + m[1].remote_max);

	/*
	 * A part that shrank: its member may still hold its last cap, so
	 * the other's part grows only as that one goes home; what they may
	 * hold together stays within the cap at every sharing.
	 */
	m[0] = dn_pm(1000, 600, 500);
	m[1] = dn_pm(1000, 400, 500);
	m[0].remote_max = 600;
	m[1].remote_max = 400;
	dn_pool_share(m, 2, 50, 1000);
	EXPECT_EQ(500UL, m[0].remote_max);
	EXPECT_EQ(400UL, m[1].remote_max);
	m[0].remote = 500;
	dn_pool_share(m, 2, 50, 1000);
	EXPECT_EQ(500UL, m[0].remote_max);
	EXPECT_EQ(500UL, m[1].remote_max);

	/* A cap lowered below what they hold: none grows; at least 1 page. */
	m[0] = dn_pm(1000, 0, 1000);	/* all local: a part of 0 */
	m[1] = dn_pm(1000, 900, 100);
	m[1].remote_max = 900;
	dn_pool_share(m, 2, 50, 500);
	EXPECT_EQ(1UL, m[0].remote_max);
	EXPECT_EQ(0U, m[0].remote_pct);
	EXPECT_EQ(500UL, m[1].remote_max);
}

TEST_HARNESS_MAIN
