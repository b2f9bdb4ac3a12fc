/*
 * net/snmp.h - the stack's MIB counters, named as Linux names them in
 * /proc/net/snmp and /proc/net/netstat (and so as `nstat` prints them):
 * RFC 4293 (IP-MIB: Ip*, Icmp*), RFC 4022 (TCP-MIB: Tcp*), RFC 4113
 * (UDP-MIB: Udp*), and Linux's extensions (TcpExt*, IpExt*). One list below
 * defines the enum and the names.
 *
 * Counting is one macro: SNMP_INC(IpInReceives), SNMP_ADD(IpExtInOctets, n).
 * Counters are per CPU (no shared cache line on the hot path) and the
 * increment is a relaxed atomic add, so a softirq that interrupts process
 * context on the same CPU loses nothing. Readers sum over the CPUs.
 *
 * To add a counter: add X(Name) to SNMP_MIB_LIST inside its group. The
 * list keeps Linux's order, which nstat prints: /proc/net/snmp (Ip, Icmp
 * with IcmpMsg after it, Tcp, Udp) then /proc/net/netstat (TcpExt, IpExt).
 * `netstat -s` groups by the name's prefix (Ip, IpExt, Icmp, Udp, Tcp...).
 */
#ifndef SKIFF_NET_SNMP_H
#define SKIFF_NET_SNMP_H

#include <skiff/platform.h>
#include <skiff/types.h>

#define SNMP_MIB_LIST(X)                                                       \
	/* RFC 4293 ipSystemStatsTable, the Ip: line */                        \
	X(IpInReceives)                                                        \
	X(IpInHdrErrors)                                                       \
	X(IpInAddrErrors)                                                      \
	X(IpForwDatagrams)                                                     \
	X(IpInUnknownProtos)                                                   \
	X(IpInDiscards)                                                        \
	X(IpInDelivers)                                                        \
	X(IpOutRequests)                                                       \
	X(IpOutDiscards)                                                       \
	X(IpOutNoRoutes)                                                       \
	X(IpReasmTimeout)                                                      \
	X(IpReasmReqds)                                                        \
	X(IpReasmOKs)                                                          \
	X(IpReasmFails)                                                        \
	X(IpFragOKs)                                                           \
	X(IpFragFails)                                                         \
	X(IpFragCreates)                                                       \
	/* RFC 4293 icmpStatsTable and Linux's per-type names */               \
	X(IcmpInMsgs)                                                          \
	X(IcmpInErrors)                                                        \
	X(IcmpInCsumErrors)                                                    \
	X(IcmpInDestUnreachs)                                                  \
	X(IcmpInTimeExcds)                                                     \
	X(IcmpInParmProbs)                                                     \
	X(IcmpInSrcQuenchs)                                                    \
	X(IcmpInRedirects)                                                     \
	X(IcmpInEchos)                                                         \
	X(IcmpInEchoReps)                                                      \
	X(IcmpInTimestamps)                                                    \
	X(IcmpInTimestampReps)                                                 \
	X(IcmpOutMsgs)                                                         \
	X(IcmpOutErrors)                                                       \
	X(IcmpOutRateLimitGlobal)                                              \
	X(IcmpOutRateLimitHost)                                                \
	X(IcmpOutDestUnreachs)                                                 \
	X(IcmpOutTimeExcds)                                                    \
	X(IcmpOutParmProbs)                                                    \
	X(IcmpOutEchos)                                                        \
	X(IcmpOutEchoReps)                                                     \
	/* RFC 4022 tcp group, the Tcp: line (CurrEstab is a gauge: +1/-1) */  \
	X(TcpActiveOpens)                                                      \
	X(TcpPassiveOpens)                                                     \
	X(TcpAttemptFails)                                                     \
	X(TcpEstabResets)                                                      \
	X(TcpCurrEstab)                                                        \
	X(TcpInSegs)                                                           \
	X(TcpOutSegs)                                                          \
	X(TcpRetransSegs)                                                      \
	X(TcpInErrs)                                                           \
	X(TcpOutRsts)                                                          \
	X(TcpInCsumErrors)                                                     \
	/* RFC 4113 udp group, the Udp: line */                                \
	X(UdpInDatagrams)                                                      \
	X(UdpNoPorts)                                                          \
	X(UdpInErrors)                                                         \
	X(UdpOutDatagrams)                                                     \
	X(UdpRcvbufErrors)                                                     \
	X(UdpSndbufErrors)                                                     \
	X(UdpInCsumErrors)                                                     \
	X(UdpIgnoredMulti)                                                     \
	/* Linux's TcpExt: line (/proc/net/netstat), in Linux's order */       \
	X(TcpExtSyncookiesSent)                                                \
	X(TcpExtSyncookiesRecv)                                                \
	X(TcpExtSyncookiesFailed)                                              \
	X(TcpExtOfoPruned)                                                     \
	X(TcpExtOutOfWindowIcmps)                                              \
	X(TcpExtTW)                                                            \
	X(TcpExtPAWSEstab)                                                     \
	X(TcpExtDelayedACKs)                                                   \
	X(TcpExtListenOverflows)                                               \
	X(TcpExtListenDrops)                                                   \
	X(TcpExtTCPHPHits)                                                     \
	X(TcpExtTCPPureAcks)                                                   \
	X(TcpExtTCPHPAcks)                                                     \
	X(TcpExtTCPRenoRecovery)                                               \
	X(TcpExtTCPSackRecovery)                                               \
	X(TcpExtTCPSACKReneging)                                               \
	X(TcpExtTCPSACKReorder)                                                \
	X(TcpExtTCPFullUndo)                                                   \
	X(TcpExtTCPPartialUndo)                                                \
	X(TcpExtTCPDSACKUndo)                                                  \
	X(TcpExtTCPLossUndo)                                                   \
	X(TcpExtTCPLostRetransmit)                                             \
	X(TcpExtTCPFastRetrans)                                                \
	X(TcpExtTCPTimeouts)                                                   \
	X(TcpExtTCPLossProbes)                                                 \
	X(TcpExtTCPLossProbeRecovery)                                          \
	X(TcpExtTCPDSACKOldSent)                                               \
	X(TcpExtTCPDSACKOfoSent)                                               \
	X(TcpExtTCPDSACKRecv)                                                  \
	X(TcpExtTCPAbortOnData)                                                \
	X(TcpExtTCPAbortOnClose)                                               \
	X(TcpExtTCPAbortOnTimeout)                                             \
	X(TcpExtTCPAbortOnLinger)                                              \
	X(TcpExtTCPMemoryPressures)                                            \
	X(TcpExtTCPSpuriousRTOs)                                               \
	X(TcpExtTCPTimeWaitOverflow)                                           \
	X(TcpExtTCPReqQFullDoCookies)                                          \
	X(TcpExtTCPOFOQueue)                                                   \
	X(TcpExtTCPOFODrop)                                                    \
	X(TcpExtTCPChallengeACK)                                               \
	X(TcpExtTCPSYNChallenge)                                               \
	X(TcpExtTCPRcvQDrop)                                                   \
	/* Linux's IpExt: line */                                              \
	X(IpExtInNoRoutes)                                                     \
	X(IpExtInTruncatedPkts)                                                \
	X(IpExtInBcastPkts)                                                    \
	X(IpExtOutBcastPkts)                                                   \
	X(IpExtInOctets)                                                       \
	X(IpExtOutOctets)                                                      \
	X(IpExtInCsumErrors)                                                   \
	X(IpExtReasmOverlaps)

enum snmp_mib {
#define SNMP_MIB_ENUM(name) MIB_##name,
	SNMP_MIB_LIST(SNMP_MIB_ENUM)
#undef SNMP_MIB_ENUM
	    SNMP_MIB_MAX
};

#define SNMP_MAX_CPUS 64   /* as NR_CPUS; this_cpu_id() beyond is folded */
#define SNMP_ICMP_TYPES 64 /* IcmpMsg counters for types 0..63 (all in use) */

struct snmp_mib_cpu {
	u64 v[SNMP_MIB_MAX];
	u64 icmp_in_type[SNMP_ICMP_TYPES];  /* IcmpMsgInTypeN */
	u64 icmp_out_type[SNMP_ICMP_TYPES]; /* IcmpMsgOutTypeN */
} __aligned(64);

extern struct snmp_mib_cpu snmp_mib[SNMP_MAX_CPUS];

static inline struct snmp_mib_cpu *snmp_this_cpu(void)
{
	return &snmp_mib[this_cpu_id() % SNMP_MAX_CPUS];
}

static inline void snmp_add(enum snmp_mib f, u64 n)
{
	__atomic_fetch_add(&snmp_this_cpu()->v[f], n, __ATOMIC_RELAXED);
}

#define SNMP_INC(name) snmp_add(MIB_##name, 1)
#define SNMP_ADD(name, n) snmp_add(MIB_##name, (n))

/* IcmpMsgInType<type> / IcmpMsgOutType<type> (Linux's IcmpMsg: line). */
static inline void snmp_icmp_msg(bool out, u8 type)
{
	struct snmp_mib_cpu *m = snmp_this_cpu();
	if (type >= SNMP_ICMP_TYPES)
		return;
	u64 *slot = out ? &m->icmp_out_type[type] : &m->icmp_in_type[type];
	__atomic_fetch_add(slot, 1, __ATOMIC_RELAXED);
}

/* The sum over CPUs of one counter, and its name ("IpInReceives"). */
u64 snmp_get(enum snmp_mib f);
const char *snmp_name(enum snmp_mib f);
/* Visit every counter, IcmpMsg ones included, in /proc order. */
void snmp_for_each(void (*fn)(void *ctx, const char *name, u64 value),
		   void *ctx);
/* Zero everything (tests). */
void snmp_reset(void);

#endif
