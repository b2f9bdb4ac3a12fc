/*
 * softirq.h - deferred work run with interrupts on, after the hard
 * interrupt that raised it, or from the idle loop.
 *
 * Each CPU has its own pending mask. do_softirq() runs the pending actions
 * in order (lowest number first), repeating while more get raised, but for
 * at most SOFTIRQ_MAX_RESTART rounds and SOFTIRQ_MAX_NS of time; what is
 * left stays pending for the idle loop, so a packet flood cannot starve the
 * timers or the console.
 */
#ifndef SKIFF_SOFTIRQ_H
#define SKIFF_SOFTIRQ_H

#include <skiff/types.h>

enum softirq_nr {
	HI_SOFTIRQ,
	TIMER_SOFTIRQ,
	NET_TX_SOFTIRQ,
	NET_RX_SOFTIRQ,
	TASKLET_SOFTIRQ,
	TEST_SOFTIRQ, /* self-tests only */
	NR_SOFTIRQ_USED
};

#define SOFTIRQ_MAX_RESTART 10
#define SOFTIRQ_MAX_NS 2000000ULL /* 2 ms, as Linux */

typedef void (*softirq_action_t)(void);

void open_softirq(int nr, softirq_action_t action);
void raise_softirq(int nr);		/* this CPU */
void raise_softirq_on(u32 cpu, int nr); /* another CPU: sets and kicks it */
bool softirq_pending(void);
void do_softirq(void);
const char *softirq_name(int nr);

void local_bh_disable(void);
void local_bh_enable(void);

struct tasklet {
	struct tasklet *next;
	void (*func)(unsigned long data);
	unsigned long data;
	u32 state; /* bit 0: scheduled */
};
void tasklet_init(struct tasklet *t, void (*func)(unsigned long),
		  unsigned long data);
void tasklet_schedule(struct tasklet *t);

void softirq_init(void);

#endif
