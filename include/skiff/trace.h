/*
 * trace.h - tracepoints: one-line macros at the call sites, switched on
 * and off per subsystem from the console (`trace on tcp`). A line goes
 * into the log ring at debug level with the prefix "trace: SYS: " (so
 * `log` and `log -f` show it; the console only with log=debug). Off, a
 * tracepoint costs one load and one predictable branch.
 *
 *   trace(TRACE_IP, "rcv %pI4 ...", ...)       anywhere
 *   trace_tcp_state(tp, new_state)            in tcp_set_state
 */
#ifndef SKIFF_TRACE_H
#define SKIFF_TRACE_H

#include <skiff/types.h>

enum trace_sys {
	TRACE_DRIVERS, /* NIC links, NAPI polls, TX ring full */
	TRACE_IP,      /* IPv4 datagrams in and out */
	TRACE_TCP,     /* TCP state changes */
	TRACE_TIMERS,  /* timer callbacks as they fire */
	TRACE_NR_SYS
};

extern u32 trace_mask; /* bit per enum trace_sys */

#define trace_enabled(sys) unlikely(READ_ONCE(trace_mask) & (1u << (sys)))

#define trace(sys, ...)                                                        \
	do {                                                                   \
		if (trace_enabled(sys))                                        \
			trace_emit(sys, __VA_ARGS__);                          \
	} while (0)

/* "A.B.C.D" arguments for a host-order IPv4 address. */
#define TRACE_IP4(a)                                                           \
	(unsigned)((a) >> 24), (unsigned)((a) >> 16 & 255),                    \
	    (unsigned)((a) >> 8 & 255), (unsigned)((a)&255)

/* A TCP connection changes state (tp: struct tcp_sock *, tcp.h). */
#define trace_tcp_state(tp, new_state)                                         \
	trace(TRACE_TCP, "%u.%u.%u.%u:%u %u.%u.%u.%u:%u %s -> %s",             \
	      TRACE_IP4((tp)->saddr), (unsigned)(tp)->sport,                   \
	      TRACE_IP4((tp)->daddr), (unsigned)(tp)->dport,                   \
	      tcp_state_name((tp)->state), tcp_state_name(new_state))

__printf(2, 3) void trace_emit(enum trace_sys sys, const char *fmt, ...);
const char *trace_sys_name(enum trace_sys sys);

#endif
