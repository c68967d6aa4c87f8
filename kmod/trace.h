/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disagg_node tracepoints: usable as perf stat -e 'disagg_node:*'.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM disagg_node

#if !defined(_DN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DN_TRACE_H

#include <linux/tracepoint.h>

/*
 * A trapped access to a remote page; delay_ns: the latency it pays before
 * the thread returns to user mode.
 */
TRACE_EVENT(dn_fault,
	    TP_PROTO(pid_t pid, unsigned long addr, int nid, u64 delay_ns),
	    TP_ARGS(pid, addr, nid, delay_ns),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, addr)
			     __field(int, nid)
			     __field(u64, delay_ns)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->addr = addr;
			   __entry->nid = nid;
			   __entry->delay_ns = delay_ns;),
	    TP_printk("pid=%d addr=0x%lx nid=%d delay_ns=%llu", __entry->pid,
		      __entry->addr, __entry->nid, __entry->delay_ns)
);

/* A trapped remote page that could not be promoted: it is protected again. */
TRACE_EVENT(dn_promote_fail,
	    TP_PROTO(pid_t pid, unsigned long addr),
	    TP_ARGS(pid, addr),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, addr)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->addr = addr;),
	    TP_printk("pid=%d addr=0x%lx", __entry->pid, __entry->addr)
);

/* One eviction (or homecoming, to_nid local) batch of a target. */
TRACE_EVENT(dn_evict,
	    TP_PROTO(pid_t pid, int to_nid, unsigned long nr_pages, unsigned long nr_failed),
	    TP_ARGS(pid, to_nid, nr_pages, nr_failed),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(int, to_nid)
			     __field(unsigned long, nr_pages)
			     __field(unsigned long, nr_failed)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->to_nid = to_nid;
			   __entry->nr_pages = nr_pages;
			   __entry->nr_failed = nr_failed;),
	    TP_printk("pid=%d to_nid=%d nr_pages=%lu nr_failed=%lu",
		      __entry->pid, __entry->to_nid, __entry->nr_pages,
		      __entry->nr_failed)
);

/* One exchange: pages sent remote for pages a trap brought home. */
TRACE_EVENT(dn_exchange,
	    TP_PROTO(pid_t pid, unsigned long owed, unsigned long nr_pages,
		     unsigned long nr_missed),
	    TP_ARGS(pid, owed, nr_pages, nr_missed),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, owed)
			     __field(unsigned long, nr_pages)
			     __field(unsigned long, nr_missed)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->owed = owed;
			   __entry->nr_pages = nr_pages;
			   __entry->nr_missed = nr_missed;),
	    TP_printk("pid=%d owed=%lu nr_pages=%lu nr_missed=%lu",
		      __entry->pid, __entry->owed, __entry->nr_pages,
		      __entry->nr_missed)
);

/*
 * A target's split as the worker sees it at a pass that looked at it:
 * recounted (a page-table walk) or kept by events.
 */
TRACE_EVENT(dn_split,
	    TP_PROTO(pid_t pid, unsigned long local, unsigned long remote,
		     unsigned int remote_pct, bool recounted),
	    TP_ARGS(pid, local, remote, remote_pct, recounted),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, local)
			     __field(unsigned long, remote)
			     __field(unsigned int, remote_pct)
			     __field(bool, recounted)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->local = local;
			   __entry->remote = remote;
			   __entry->remote_pct = remote_pct;
			   __entry->recounted = recounted;),
	    TP_printk("pid=%d local=%lu remote=%lu remote_pct=%u recounted=%d",
		      __entry->pid, __entry->local, __entry->remote,
		      __entry->remote_pct, __entry->recounted)
);

#endif /* _DN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
