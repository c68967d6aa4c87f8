// SPDX-License-Identifier: GPL-2.0
/*
 * dn_blackscholes - a self-checking Black-Scholes option pricing workload in
 * the manner of PARSEC's blackscholes (one of the memory blade paper's
 * Figure C workloads), written from the public formula:
 *
 *   d1 = (ln(S / K) + (r + v^2 / 2) T) / (v sqrt(T)),  d2 = d1 - v sqrt(T)
 *   call = S N(d1) - K e^(-rT) N(d2),  put = K e^(-rT) N(-d2) - S N(-d1)
 *
 * with N() the Abramowitz-Stegun 26.2.17 polynomial approximation of the
 * cumulative normal distribution (the one PARSEC uses).
 *
 * OPTIONS options (default 4,000,000; 29 bytes each: five float inputs, a
 * type byte and a double price, about 110 MiB) are generated from SEED
 * (default 1): spot and strike 10..200, rate 0.01..0.10, volatility
 * 0.05..0.65, time 0.1..2 years, call or put.  All are priced ROUNDS times
 * (default 3): round 1 stores the prices, later rounds compare theirs with
 * the stored ones.  Then the check, for every option:
 *  (a) both prices are finite and within the no-arbitrage bounds:
 *      0 <= call <= S, 0 <= put <= K e^(-rT), each to 1e-9 (S + K) for
 *      rounding (deep out-of-the-money prices are differences of two
 *      subnormal numbers and come out as small as -3e-322);
 *  (b) put-call parity, C - P = S - K e^(-rT), holds within 1e-6 of
 *      S + K e^(-rT), using the stored price and a fresh one of the other
 *      type;
 *  (c) every round's price, and a fresh one of the same type, is
 *      bit-identical to the stored price of round 1.
 * Prints one line:
 *
 *   dn_blackscholes: options=N rounds=R checksum=<hex> sum=<d.dddddd>
 *   parity=ok seconds=<s>
 *
 * sum is the sum of the prices rounded to 1e-6, checksum the FNV-1a hash of
 * those rounded prices: both deterministic for given OPTIONS and SEED.
 * seconds is the wall time of the pricing rounds alone (CLOCK_MONOTONIC).
 *
 * Usage: dn_blackscholes [--options 1..100000000] [--rounds 1..1000]
 *                        [--seed 0..2^64-1] [--hold SEC]
 * --hold: after the line is printed, keep the options for SEC seconds
 * (0..1000000; to look at the memory while it is held), then check again.
 * DN_WL_CORRUPT=1 in the environment changes one stored price after the
 * rounds, before the check: a test uses it to prove the check can fail.
 * Exit status: 0 when the check(s) pass, 1 when one fails (or memory is
 * short), 2 on bad usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dn_workload.h"

#define DN_MAX_OPTIONS	100000000ULL
#define DN_MAX_ROUNDS	1000

/* The options, struct-of-arrays as PARSEC lays them out. */
struct dn_options {
	float *spot, *strike, *rate, *vol, *time;
	unsigned char *put;	/* 0: call, 1: put */
	double *price;
};

static void dn_usage(void)
{
	fprintf(stderr,
		"usage: dn_blackscholes [--options 1..%llu] [--rounds 1..%d] [--seed 0..2^64-1] [--hold SEC]\n",
		DN_MAX_OPTIONS, DN_MAX_ROUNDS);
	exit(2);
}

/* Uniform in [lo, hi] on a grid of 2^24 steps, rounded to a float. */
static float dn_uniform(uint64_t *state, double lo, double hi)
{
	return lo + (hi - lo) * (double)(dn_wl_splitmix64(state) >> 40) /
		(double)((1 << 24) - 1);
}

/*
 * N(x), Abramowitz-Stegun 26.2.17: for x >= 0, N(x) = 1 - n(x) P(k), with
 * n the normal density, k = 1 / (1 + 0.2316419 x) and P the polynomial
 * below; absolute error < 7.5e-8.  N(-x) = n(x) P(k) is returned directly
 * rather than as 1 - N(x), so deep out-of-the-money prices keep their
 * precision and N(x) + N(-x) is 1 to one rounding.
 */
static double dn_cndf(double x)
{
	double ax = fabs(x), k = 1.0 / (1.0 + 0.2316419 * ax);
	double poly = k * (0.319381530 + k * (-0.356563782 + k * (1.781477937 +
		      k * (-1.821255978 + k * 1.330274429))));
	double tail = exp(-0.5 * ax * ax) * 0.39894228040143267794 * poly;

	return x < 0 ? tail : 1.0 - tail;
}

/*
 * One price, European, no dividends.  noinline: every caller runs the same
 * machine code, so the rounds and the check get bit-identical results even
 * if the compiler would contract or reorder an inlined copy differently.
 */
static __attribute__((noinline)) double
dn_bs_price(double s, double k, double r, double v, double t, int put)
{
	double den = v * sqrt(t);
	double d1 = (log(s / k) + (r + 0.5 * v * v) * t) / den;
	double d2 = d1 - den;
	double fv = k * exp(-r * t);

	if (put)
		return fv * dn_cndf(-d2) - s * dn_cndf(-d1);
	return s * dn_cndf(d1) - fv * dn_cndf(d2);
}

static double dn_price_one(const struct dn_options *o, size_t i, int put)
{
	return dn_bs_price(o->spot[i], o->strike[i], o->rate[i], o->vol[i],
			   o->time[i], put);
}

/* Price every option; round 0 stores, later rounds count differences. */
static size_t dn_round(struct dn_options *o, size_t n, int round)
{
	size_t i, diff = 0;

	for (i = 0; i < n; i++) {
		double p = dn_price_one(o, i, o->put[i]);

		if (!round)
			o->price[i] = p;
		else if (memcmp(&p, &o->price[i], sizeof(p)))
			diff++;
	}
	return diff;
}

/* Checks (a), (b) and the fresh half of (c); the number of failures. */
static size_t dn_check(const struct dn_options *o, size_t n)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		double s = o->spot[i], k = o->strike[i];
		double fv = k * exp(-(double)o->rate[i] * o->time[i]);
		double eps = 1e-9 * (s + k), stored = o->price[i];
		double fresh = dn_price_one(o, i, o->put[i]);
		double other = dn_price_one(o, i, !o->put[i]);
		double call = o->put[i] ? other : stored;
		double put = o->put[i] ? stored : other;
		int ok = isfinite(call) && isfinite(put) && call >= -eps &&
			 put >= -eps && call <= s + eps && put <= fv + eps &&
			 fabs((call - put) - (s - fv)) <= 1e-6 * (s + fv) &&
			 !memcmp(&fresh, &stored, sizeof(fresh));

		if (!ok && bad++ < 5)
			fprintf(stderr,
				"dn_blackscholes: option %zu (S %.6f K %.6f r %.6f v %.6f T %.6f): call %.9g put %.9g stored %.9g fresh %.9g\n",
				i, s, k, o->rate[i], o->vol[i], o->time[i],
				call, put, stored, fresh);
	}
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "options", required_argument, NULL, 'o' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n = 4000000, rounds = 3, seed = 1, hold = 0, state;
	uint64_t fnv = 0xcbf29ce484222325ULL;
	size_t i, b, diff = 0, bad;
	double t0, t1;
	struct dn_options o;
	int64_t sum = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			n = dn_wl_parse("dn_blackscholes", "options", optarg, 1,
					DN_MAX_OPTIONS);
		else if (c == 'r')
			rounds = dn_wl_parse("dn_blackscholes", "rounds",
					     optarg, 1, DN_MAX_ROUNDS);
		else if (c == 's')
			seed = dn_wl_parse("dn_blackscholes", "seed", optarg,
					   0, UINT64_MAX);
		else if (c == 'H')
			hold = dn_wl_parse("dn_blackscholes", "hold", optarg,
					   0, DN_WL_MAX_HOLD);
		else
			dn_usage();
	}
	if (optind != argc)
		dn_usage();

	o.spot = malloc(n * sizeof(float));
	o.strike = malloc(n * sizeof(float));
	o.rate = malloc(n * sizeof(float));
	o.vol = malloc(n * sizeof(float));
	o.time = malloc(n * sizeof(float));
	o.put = malloc(n);
	o.price = malloc(n * sizeof(double));
	if (!o.spot || !o.strike || !o.rate || !o.vol || !o.time || !o.put ||
	    !o.price) {
		fprintf(stderr, "dn_blackscholes: cannot allocate %" PRIu64 " options\n",
			n);
		return 1;
	}
	state = seed;
	for (i = 0; i < n; i++) {
		o.spot[i] = dn_uniform(&state, 10, 200);
		o.strike[i] = dn_uniform(&state, 10, 200);
		o.rate[i] = dn_uniform(&state, 0.01, 0.10);
		o.vol[i] = dn_uniform(&state, 0.05, 0.65);
		o.time[i] = dn_uniform(&state, 0.1, 2);
		o.put[i] = dn_wl_splitmix64(&state) >> 63;
	}

	t0 = dn_wl_now();
	for (b = 0; b < rounds; b++)
		diff += dn_round(&o, n, b);
	t1 = dn_wl_now();

	if (dn_wl_corrupt() == 1)
		o.price[n / 2] += 0.5;
	bad = dn_check(&o, n);
	if (diff || bad) {
		fprintf(stderr,
			"dn_blackscholes: FAIL: %zu prices differ from round 1, %zu options fail the bounds, parity or recomputation check\n",
			diff, bad);
		return 1;
	}
	for (i = 0; i < n; i++) {
		int64_t micro = llround(o.price[i] * 1e6);

		sum += micro;
		for (b = 0; b < 8; b++) {
			fnv ^= (uint64_t)micro >> (8 * b) & 0xff;
			fnv *= 0x100000001b3ULL;
		}
	}
	printf("dn_blackscholes: options=%" PRIu64 " rounds=%" PRIu64
	       " checksum=%016" PRIx64 " sum=%" PRId64 ".%06" PRId64
	       " parity=ok seconds=%.3f\n", n, rounds, fnv, sum / 1000000,
	       sum % 1000000, t1 - t0);
	if (hold) {
		dn_wl_hold(hold);
		bad = dn_check(&o, n);
		if (bad) {
			fprintf(stderr,
				"dn_blackscholes: FAIL: after the hold, %zu options fail the check\n",
				bad);
			return 1;
		}
	}
	return 0;
}
