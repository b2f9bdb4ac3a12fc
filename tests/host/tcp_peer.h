/*
 * tcp_peer.h - a scripted TCP client on the fake device's wire, for tests
 * and fuzzers that talk to a server on the host-built stack
 * (tests/host/tcp_peer.c).
 *
 * The peer lives at one address and MAC, the stack under test at another.
 * tcp_peer_pump() takes every frame the device sent: ARP requests for the
 * peer's address are answered, TCP segments to the peer go to the
 * struct tcp_peer with those ports, everything else is passed to the
 * observer (if set) and dropped. A peer answers as a simple client does:
 * it takes in-order data up to its window, ACKs every segment that
 * carries data, a FIN or is out of order, and keeps what it received in
 * order in in[]. It offers MSS 1460 and no other option, so its window
 * (wnd) is in bytes.
 *
 *	tcp_peer_net(eth0, PEER_IP, peer_mac, OUR_IP, our_mac);
 *	struct tcp_peer p;
 *	tcp_peer_connect(&p, 40000, 80, 1000);
 *	tcp_peer_run(10, 1);                   // handshake, 10 ms of clock
 *	tcp_peer_send_str(&p, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 *	tcp_peer_run(100, 1);
 *	... p.in, p.in_len: the response
 *	tcp_peer_forget(&p);
 */
#ifndef SKIFF_TESTS_TCP_PEER_H
#define SKIFF_TESTS_TCP_PEER_H

#include <skiff/types.h>

struct net_device;

#define TCP_PEER_MAX 64 /* peers known at once */
#define TCP_PEER_MSS 1460

struct tcp_peer {
	u16 sport, dport; /* the peer's port, the server's */
	u32 iss, snd_nxt; /* the peer's sequence space */
	u32 snd_una;	  /* the highest ACK the server sent */
	u32 irs, rcv_nxt; /* the server's sequence space */
	u16 wnd;	  /* the window the peer advertises, in bytes */
	bool established; /* SYN-ACK seen and ACKed */
	bool fin_in;	  /* the server's FIN, in order */
	bool rst_in;	  /* a RST from the server */
	bool silent;	  /* answer nothing (a peer that went away) */
	bool follow;	  /* raise snd_nxt to the server's ACK: someone
			     else (a fuzzer) sends on this connection too */
	u32 segs_in;	  /* segments from the server */
	u32 zero_probes;  /* segments that found the window shut */
	u8 *in;		  /* the server's bytes, in order (malloc'ed) */
	u32 in_len, in_cap;
};

/* Where the peer and the stack are. Sends one ARP reply so the stack
 * knows the peer's MAC. */
void tcp_peer_net(struct net_device *dev, u32 peer_ip, const u8 peer_mac[6],
		  u32 srv_ip, const u8 srv_mac[6]);

/* Start a connection: SYN from sport to dport with ISN iss, window 65535. */
void tcp_peer_connect(struct tcp_peer *p, u16 sport, u16 dport, u32 iss);
/* Data from the peer, in segments of at most TCP_PEER_MSS (ACK|PSH). */
void tcp_peer_send(struct tcp_peer *p, const void *data, u32 len);
void tcp_peer_send_str(struct tcp_peer *p, const char *s);
void tcp_peer_ack(struct tcp_peer *p); /* a pure ACK with the window */
void tcp_peer_fin(struct tcp_peer *p);
void tcp_peer_rst(struct tcp_peer *p);
/* Any segment of this connection, as given. */
void tcp_peer_segment(struct tcp_peer *p, u8 flags, u32 seq, u32 ack,
		      const void *data, u32 len);
/* Drop what was received so far (in_len = 0). */
void tcp_peer_consume(struct tcp_peer *p);
/* Stop tracking p and free its buffer. */
void tcp_peer_forget(struct tcp_peer *p);

/* Every frame the stack sent, not handled by a peer. */
extern void (*tcp_peer_observer)(const u8 *frame, size_t len);
/* Frames sent by the stack that no peer or observer took. */
extern u64 tcp_peer_unmatched;

/* Take the stack's frames (above); the number taken. */
u32 tcp_peer_pump(void);
/* Run apps, softirqs and the peers until nothing moves (bounded). */
void tcp_peer_settle(void);
/* Settle, then move the clock ms forward in steps of step_ms, settling
 * after each (apps see their timeouts at that granularity). */
void tcp_peer_run(u64 ms, u64 step_ms);

#endif
