// SPDX-License-Identifier: GPL-2.0
/*
 * dn_tpch - a TPC-H-style LINEITEM table and the answers of TPC-H Q1 and Q6
 * over it, for a sqlite3 workload (the memory blade paper's Figure C runs
 * TPC-H).  TPC-H-style, not TPC-H: money is in integer cents and rates in
 * integer percent, so that sqlite computes every answer exactly in 64-bit
 * integers and its output can be compared byte for byte with ours.
 *
 * Usage:
 *   dn_tpch gen [--rows N] [--seed S] OUT.csv   write ROWS rows to OUT.csv
 *   dn_tpch answers [--rows N] [--seed S]       print what sqlite3 prints
 *                                               for load + q1 + q6
 *   dn_tpch sql load [CSV]                      sqlite3 commands: create the
 *                                               table, import CSV (default
 *                                               lineitem.csv)
 *   dn_tpch sql q1|q6                           the query
 * ROWS: 1..50000000 (default 600000, about 65 MB of CSV; at most 50M keeps
 * Q1's sum_charge below 2^63); SEED: 0..2^64-1 (default 1).  answers
 * regenerates the rows from the same stream, it does not read the CSV.
 *
 *   dn_tpch gen --rows 600000 --seed 1 li.csv
 *   { dn_tpch sql load li.csv; dn_tpch sql q1; dn_tpch sql q6; } |
 *           sqlite3 :memory: | cmp - <(dn_tpch answers --rows 600000 --seed 1)
 *
 * The CSV has no header and ',' between fields (nothing else contains one):
 * l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity (1..50),
 * l_extendedprice_cents (quantity times the part's TPC-H retail price),
 * l_discount_pct (0..10), l_tax_pct (0..8), l_returnflag (R or A when
 * received by 1995-06-17, else N), l_linestatus (O when shipped after
 * 1995-06-17, else F), l_shipdate (order date + 1..121 days, 1992-01-02..
 * 1998-12-01), l_commitdate (order date + 30..90), l_receiptdate (ship date
 * + 1..30), all YYYY-MM-DD, l_shipinstruct, l_shipmode, l_comment.  Orders
 * have 1..7 lines and TPC-H's sparse keys (8 used out of every 32).
 *
 * DN_WL_CORRUPT=1 in the environment of 'answers' adds 1 to the quantity of
 * one row Q1 counts (the first from the middle on): a test uses it to prove
 * the comparison can fail.  Exit status: 0, 1 on an I/O error, 2 on bad
 * usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dn_workload.h"

#define DN_MAX_ROWS	50000000ULL
#define DN_NDAYS	2557	/* 1992-01-01 .. 1998-12-31 */

static const char *const dn_instruct[] = {
	"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN",
};

static const char *const dn_mode[] = {
	"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB",
};

static const char *const dn_word[] = {
	"furiously", "carefully", "quickly", "slyly", "blithely", "final",
	"regular", "express", "ironic", "pending", "bold", "even", "deposits",
	"requests", "packages", "accounts", "ideas", "foxes",
};

static char dn_date[DN_NDAYS][11];	/* day 0 is 1992-01-01 */

static const char dn_load_sql[] =
	".bail on\n"
	"CREATE TABLE lineitem (l_orderkey INTEGER, l_partkey INTEGER,\n"
	"  l_suppkey INTEGER, l_linenumber INTEGER, l_quantity INTEGER,\n"
	"  l_extendedprice_cents INTEGER, l_discount_pct INTEGER,\n"
	"  l_tax_pct INTEGER, l_returnflag TEXT, l_linestatus TEXT,\n"
	"  l_shipdate TEXT, l_commitdate TEXT, l_receiptdate TEXT,\n"
	"  l_shipinstruct TEXT, l_shipmode TEXT, l_comment TEXT);\n"
	".import --csv \"%s\" lineitem\n"
	".mode list\n"
	".headers off\n";

/* Money: _x100_cents is cents times 100 (price times a percentage). */
static const char dn_q1_sql[] =
	"SELECT l_returnflag, l_linestatus,\n"
	"  sum(l_quantity) AS sum_qty,\n"
	"  sum(l_extendedprice_cents) AS sum_base_price_cents,\n"
	"  sum(l_extendedprice_cents * (100 - l_discount_pct))\n"
	"    AS sum_disc_price_x100_cents,\n"
	"  sum(l_extendedprice_cents * (100 - l_discount_pct) * (100 + l_tax_pct))\n"
	"    AS sum_charge_x10000_cents,\n"
	"  sum(l_quantity) * 100 / count(*) AS avg_qty_x100,\n"
	"  sum(l_extendedprice_cents) / count(*) AS avg_price_cents,\n"
	"  sum(l_discount_pct) * 100 / count(*) AS avg_disc_x10000,\n"
	"  count(*) AS count_order\n"
	"FROM lineitem\n"
	"WHERE l_shipdate <= '1998-09-02'\n"
	"GROUP BY l_returnflag, l_linestatus\n"
	"ORDER BY l_returnflag, l_linestatus;\n";

static const char dn_q6_sql[] =
	"SELECT coalesce(sum(l_extendedprice_cents * l_discount_pct), 0)\n"
	"    AS revenue_x100_cents\n"
	"FROM lineitem\n"
	"WHERE l_shipdate >= '1994-01-01' AND l_shipdate < '1995-01-01'\n"
	"  AND l_discount_pct BETWEEN 5 AND 7 AND l_quantity < 24;\n";

struct dn_row {
	uint64_t orderkey;
	int64_t price_cents;
	unsigned int partkey, suppkey, linenumber, quantity, discount, tax;
	unsigned int instruct, mode, word[3];
	int shipdate, commitdate, receiptdate;
	char returnflag, linestatus;
};

struct dn_gen {
	uint64_t state, order;
	unsigned int parts, supps, lines_left, linenumber;
	int orderdate;
};

static int dn_current, dn_q1_cut, dn_q6_lo, dn_q6_hi, dn_last_order;

static int dn_usage(void)
{
	fprintf(stderr, "usage: dn_tpch gen [--rows N] [--seed S] OUT.csv\n"
		"       dn_tpch answers [--rows N] [--seed S]\n"
		"       dn_tpch sql load [CSV] | sql q1 | sql q6\n");
	return 2;
}

/* Uniform in [lo, hi] (the modulo bias is far below what matters here). */
static unsigned int dn_rand(struct dn_gen *g, unsigned int lo, unsigned int hi)
{
	return lo + dn_wl_splitmix64(&g->state) % (hi - lo + 1);
}

/* Fill dn_date[]; the day number of each date the generator needs. */
static void dn_dates_init(void)
{
	static const unsigned int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned int y = 1992, m = 0, d = 1;
	int i;

	for (i = 0; i < DN_NDAYS; i++) {
		snprintf(dn_date[i], sizeof(dn_date[i]), "%04u-%02u-%02u",
			 y % 10000, (m + 1) % 100, d % 100);
		if (!strcmp(dn_date[i], "1995-06-17"))
			dn_current = i;
		else if (!strcmp(dn_date[i], "1998-09-02"))
			dn_q1_cut = i;
		else if (!strcmp(dn_date[i], "1994-01-01"))
			dn_q6_lo = i;
		else if (!strcmp(dn_date[i], "1995-01-01"))
			dn_q6_hi = i;
		else if (!strcmp(dn_date[i], "1998-08-02"))
			dn_last_order = i;	/* TPC-H: ENDDATE - 151 days */
		if (++d > mdays[m] + (m == 1 && y % 4 == 0)) {
			d = 1;
			if (++m == 12) {
				m = 0;
				y++;
			}
		}
	}
}

static void dn_gen_init(struct dn_gen *g, uint64_t rows, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->state = seed;
	g->parts = rows / 30 > 1000 ? rows / 30 : 1000;	/* 200000 per SF */
	g->supps = rows / 600 > 100 ? rows / 600 : 100;	/* 10000 per SF */
}

/* The next row of the stream: both gen and answers read it from here. */
static void dn_gen_next(struct dn_gen *g, struct dn_row *r)
{
	unsigned int pk, s = g->supps;

	if (!g->lines_left) {
		g->order++;
		g->lines_left = dn_rand(g, 1, 7);
		g->linenumber = 0;
		g->orderdate = dn_rand(g, 0, dn_last_order);
	}
	g->lines_left--;
	r->orderkey = (g->order - 1) / 8 * 32 + (g->order - 1) % 8 + 1;
	r->linenumber = ++g->linenumber;
	pk = dn_rand(g, 1, g->parts);
	r->partkey = pk;
	r->suppkey = (pk + dn_rand(g, 0, 3) * (s / 4 + (pk - 1) / s)) % s + 1;
	r->quantity = dn_rand(g, 1, 50);
	r->price_cents = (int64_t)r->quantity *
		(90000 + (pk / 10) % 20001 + 100 * (pk % 1000));
	r->discount = dn_rand(g, 0, 10);
	r->tax = dn_rand(g, 0, 8);
	r->shipdate = g->orderdate + dn_rand(g, 1, 121);
	r->commitdate = g->orderdate + dn_rand(g, 30, 90);
	r->receiptdate = r->shipdate + dn_rand(g, 1, 30);
	r->returnflag = r->receiptdate > dn_current ? 'N' :
			dn_rand(g, 0, 1) ? 'R' : 'A';
	r->linestatus = r->shipdate > dn_current ? 'O' : 'F';
	r->instruct = dn_rand(g, 0, 3);
	r->mode = dn_rand(g, 0, 6);
	r->word[0] = dn_rand(g, 0, 17);
	r->word[1] = dn_rand(g, 0, 17);
	r->word[2] = dn_rand(g, 0, 17);
}

static int dn_gen(uint64_t rows, uint64_t seed, const char *path)
{
	FILE *f = fopen(path, "w");
	struct dn_gen g;
	struct dn_row r;
	uint64_t i;

	if (!f) {
		fprintf(stderr, "dn_tpch: %s: %s\n", path, strerror(errno));
		return 1;
	}
	dn_gen_init(&g, rows, seed);
	for (i = 0; i < rows; i++) {
		dn_gen_next(&g, &r);
		fprintf(f, "%" PRIu64 ",%u,%u,%u,%u,%" PRId64
			",%u,%u,%c,%c,%s,%s,%s,%s,%s,%s %s %s\n",
			r.orderkey, r.partkey, r.suppkey, r.linenumber,
			r.quantity, r.price_cents, r.discount, r.tax,
			r.returnflag, r.linestatus, dn_date[r.shipdate],
			dn_date[r.commitdate], dn_date[r.receiptdate],
			dn_instruct[r.instruct], dn_mode[r.mode],
			dn_word[r.word[0]], dn_word[r.word[1]],
			dn_word[r.word[2]]);
	}
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "dn_tpch: writing %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* Q1 and Q6 over the stream, printed as sqlite3's list mode prints them. */
static int dn_answers(uint64_t rows, uint64_t seed)
{
	struct {
		int64_t qty, base, disc_price, charge, disc, count;
	} q1[3][2] = { 0 }, *a;
	static const char flags[] = "ANR", status[] = "FO";
	int pending = dn_wl_corrupt() == 1;
	int64_t q6 = 0, p;
	struct dn_gen g;
	struct dn_row r;
	uint64_t i;
	int f, s;

	dn_gen_init(&g, rows, seed);
	for (i = 0; i < rows; i++) {
		dn_gen_next(&g, &r);
		if (r.shipdate <= dn_q1_cut) {
			if (pending && i >= rows / 2) {
				r.quantity++;
				pending = 0;
			}
			a = &q1[strchr(flags, r.returnflag) - flags]
			       [r.linestatus == 'O'];
			p = r.price_cents * (100 - r.discount);
			a->qty += r.quantity;
			a->base += r.price_cents;
			a->disc_price += p;
			a->charge += p * (100 + r.tax);
			a->disc += r.discount;
			a->count++;
		}
		if (r.shipdate >= dn_q6_lo && r.shipdate < dn_q6_hi &&
		    r.discount >= 5 && r.discount <= 7 && r.quantity < 24)
			q6 += r.price_cents * r.discount;
	}
	for (f = 0; f < 3; f++) {
		for (s = 0; s < 2; s++) {
			a = &q1[f][s];
			if (!a->count)
				continue;
			printf("%c|%c|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64
			       "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "\n",
			       flags[f], status[s], a->qty, a->base,
			       a->disc_price, a->charge, a->qty * 100 / a->count,
			       a->base / a->count, a->disc * 100 / a->count,
			       a->count);
		}
	}
	printf("%" PRId64 "\n", q6);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rows", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rows = 600000, seed = 1;
	const char *cmd = argc > 1 ? argv[1] : "";
	int c;

	if (!strcmp(cmd, "sql")) {
		const char *what = argc > 2 ? argv[2] : "";
		const char *csv = argc > 3 ? argv[3] : "lineitem.csv";

		if (!strcmp(what, "load") && argc <= 4) {
			if (!*csv || strpbrk(csv, "\"\\\n\r")) {
				fprintf(stderr,
					"dn_tpch: sql load: the CSV path must be non-empty, without '\"', '\\' or newlines\n");
				return 2;
			}
			printf(dn_load_sql, csv);
		} else if (!strcmp(what, "q1") && argc == 3) {
			fputs(dn_q1_sql, stdout);
		} else if (!strcmp(what, "q6") && argc == 3) {
			fputs(dn_q6_sql, stdout);
		} else {
			return dn_usage();
		}
		return fflush(stdout) ? 1 : 0;
	}
	if (strcmp(cmd, "gen") && strcmp(cmd, "answers"))
		return dn_usage();
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c == 'r')
			rows = dn_wl_parse("dn_tpch", "rows", optarg, 1,
					   DN_MAX_ROWS);
		else if (c == 's')
			seed = dn_wl_parse("dn_tpch", "seed", optarg, 0,
					   UINT64_MAX);
		else
			return dn_usage();
	}
	dn_dates_init();
	if (!strcmp(cmd, "answers"))
		return optind + 1 == argc ? dn_answers(rows, seed) : dn_usage();
	return optind + 2 == argc ? dn_gen(rows, seed, argv[optind + 1]) :
				    dn_usage();
}
