/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the btrfsx range lock manager: btrfsx:range_lock_wait,
 * btrfsx:range_lock_acquired and btrfsx:range_lock_released.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM btrfsx

#if !defined(BTRFSX_RANGE_LOCK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define BTRFSX_RANGE_LOCK_TRACE_H

#include <linux/tracepoint.h>
#include <btrfsx/range-lock.h>

TRACE_DEFINE_ENUM(BTRFSX_RANGE_FILE);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_DISK);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_SHARED);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_EXCL);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_CLONE);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_DEDUPE);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_RELOCATION);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_DELAYED_REF);
TRACE_DEFINE_ENUM(BTRFSX_RANGE_OTHER);

#define show_range_class(c)						\
	__print_symbolic(c,						\
			 { BTRFSX_RANGE_FILE, "file" },			\
			 { BTRFSX_RANGE_DISK, "disk" })

#define show_range_mode(m)						\
	__print_symbolic(m,						\
			 { BTRFSX_RANGE_SHARED, "shared" },		\
			 { BTRFSX_RANGE_EXCL, "excl" })

#define show_range_caller(c)						\
	__print_symbolic(c,						\
			 { BTRFSX_RANGE_CLONE, "clone" },		\
			 { BTRFSX_RANGE_DEDUPE, "dedupe" },		\
			 { BTRFSX_RANGE_RELOCATION, "relocation" },	\
			 { BTRFSX_RANGE_DELAYED_REF, "delayed_ref" },	\
			 { BTRFSX_RANGE_OTHER, "other" })

DECLARE_EVENT_CLASS(btrfsx_range_lock_event,
		    TP_PROTO(const struct btrfsx_range_req *req, u64 start,
			     u64 end),
		    TP_ARGS(req, start, end),
		    TP_STRUCT__entry(__field(u64, key)
				     __field(u64, start)
				     __field(u64, end)
				     __field(u8, class)
				     __field(u8, mode)
				     __field(u8, caller)),
		    TP_fast_assign(__entry->key = req->dom->key;
				   __entry->start = start;
				   __entry->end = end;
				   __entry->class = req->dom->class;
				   __entry->mode = req->mode;
				   __entry->caller = req->caller;),
		    TP_printk("class=%s key=%llu start=%llu end=%llu mode=%s caller=%s",
			      show_range_class(__entry->class), __entry->key,
			      __entry->start, __entry->end,
			      show_range_mode(__entry->mode),
			      show_range_caller(__entry->caller))
);

/* A request has been queued behind others and is about to sleep. */
DEFINE_EVENT(btrfsx_range_lock_event, range_lock_wait,
	     TP_PROTO(const struct btrfsx_range_req *req, u64 start, u64 end),
	     TP_ARGS(req, start, end)
);

/* [start, end] of a held request has been released. */
DEFINE_EVENT(btrfsx_range_lock_event, range_lock_released,
	     TP_PROTO(const struct btrfsx_range_req *req, u64 start, u64 end),
	     TP_ARGS(req, start, end)
);

/* A request is held, after waiting wait_ns (0: it did not wait). */
TRACE_EVENT(range_lock_acquired,
	    TP_PROTO(const struct btrfsx_range_req *req, u64 wait_ns),
	    TP_ARGS(req, wait_ns),
	    TP_STRUCT__entry(__field(u64, key)
			     __field(u64, start)
			     __field(u64, end)
			     __field(u64, wait_ns)
			     __field(u8, class)
			     __field(u8, mode)
			     __field(u8, caller)),
	    TP_fast_assign(__entry->key = req->dom->key;
			   __entry->start = req->start;
			   __entry->end = req->end;
			   __entry->wait_ns = wait_ns;
			   __entry->class = req->dom->class;
			   __entry->mode = req->mode;
			   __entry->caller = req->caller;),
	    TP_printk("class=%s key=%llu start=%llu end=%llu mode=%s caller=%s wait_ns=%llu",
		      show_range_class(__entry->class), __entry->key,
		      __entry->start, __entry->end,
		      show_range_mode(__entry->mode),
		      show_range_caller(__entry->caller), __entry->wait_ns)
);

#endif /* BTRFSX_RANGE_LOCK_TRACE_H */

/* Found through the include path: -I<btrfsx>/include. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH btrfsx
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE range-lock-trace
#include <trace/define_trace.h>
