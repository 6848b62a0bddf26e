/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshake upcall: tracepoints, one per lifecycle event of a request
 * (the same events the "monitor" netlink group carries).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM handshake

#if !defined(_HANDSHAKE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HANDSHAKE_TRACE_H

#include <linux/tracepoint.h>
#include <net/net_namespace.h>

DECLARE_EVENT_CLASS(handshake_req_event,
		    TP_PROTO(const struct net *net, u64 cookie, int status),
		    TP_ARGS(net, cookie, status),
		    TP_STRUCT__entry(__field(unsigned int, netns)
				     __field(u64, cookie)
				     __field(int, status)),
		    TP_fast_assign(__entry->netns = net->ns.inum;
				   __entry->cookie = cookie;
				   __entry->status = status;),
		    TP_printk("netns=%u cookie=%llu status=%d",
			      __entry->netns, __entry->cookie, __entry->status)
);

#define DEFINE_HANDSHAKE_EVENT(name)					\
	DEFINE_EVENT(handshake_req_event, name,				\
		     TP_PROTO(const struct net *net, u64 cookie, int status), \
		     TP_ARGS(net, cookie, status))

DEFINE_HANDSHAKE_EVENT(handshake_submit);
DEFINE_HANDSHAKE_EVENT(handshake_accept);
DEFINE_HANDSHAKE_EVENT(handshake_done);
DEFINE_HANDSHAKE_EVENT(handshake_failed);
DEFINE_HANDSHAKE_EVENT(handshake_timeout);
DEFINE_HANDSHAKE_EVENT(handshake_cancel);
DEFINE_HANDSHAKE_EVENT(handshake_claimant_lost);

#endif /* _HANDSHAKE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
