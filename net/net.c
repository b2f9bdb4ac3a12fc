/*
 * net.c - bring the network stack up, bottom to top: packet buffers,
 * devices and their softirqs, ARP, IPv4 (with reassembly), ICMP, UDP.
 * Drivers register their devices after this (pci_init probes them), and
 * the configuration (ip=, gw=, route=) is applied after that.
 */
#include <skiff/net/icmp.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/sock_internal.h>
#include <skiff/net/net.h>
#include <skiff/net/tcp.h>
#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

void net_init(void)
{
	skb_init();
	net_dev_init();
	arp_init();
	ip_init();
	icmp_init();
	udp_init();
	socket_init();
	tcp_init();
}
