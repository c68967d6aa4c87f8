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

#endif /* _DN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
