/*
 * test_virtio_net_hdr.c - host tests for drivers/net/virtio_net_hdr.c:
 * the virtio net header of a transmitted frame (virtio 1.2, 5.1.6.2) for
 * each offload state: no checksum, a partial checksum with and without
 * VIRTIO_NET_F_CSUM, a GSO frame with and without HOST_TSO4, and offsets
 * that do not fit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/virtio_net_hdr.h>

#define HEADROOM 64
#define TCP_START 34 /* Ethernet 14 + IPv4 20 */

static u8 buf[HEADROOM + 4096];

/* An skb over buf: len bytes of frame after HEADROOM, a TCP header with
 * data offset tcp_words at TCP_START. */
static struct sk_buff frame(u32 len, u8 summed, u16 gso, u8 tcp_words)
{
	struct sk_buff skb;
	memset(&skb, 0, sizeof(skb));
	memset(buf, 0, sizeof(buf));
	skb.head = buf;
	skb.data = buf + HEADROOM;
	skb.len = len;
	skb.tail = HEADROOM + len;
	skb.end = sizeof(buf);
	skb.ip_summed = summed;
	skb.csum_start = HEADROOM + TCP_START;
	skb.csum_offset = 16;
	skb.gso_size = gso;
	buf[HEADROOM + TCP_START + 12] = (u8)(tcp_words << 4);
	return skb;
}

static void test_no_checksum(void **state)
{
	(void)state;
	struct virtio_net_hdr_mrg_rxbuf h;
	struct sk_buff skb = frame(60, CHECKSUM_NONE, 0, 5);
	memset(&h, 0xaa, sizeof(h));
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM), 0);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(h.csum_start, 0);
	assert_int_equal(h.num_buffers, 0);
}

static void test_partial_offloaded(void **state)
{
	(void)state;
	struct virtio_net_hdr_mrg_rxbuf h;
	struct sk_buff skb = frame(200, CHECKSUM_PARTIAL, 0, 8);
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM), 0);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, TCP_START); /* from the frame */
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(h.gso_size, 0);
}

static void test_partial_without_csum(void **state)
{
	(void)state;
	struct virtio_net_hdr_mrg_rxbuf h;
	struct sk_buff skb = frame(200, CHECKSUM_PARTIAL, 0, 5);
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, 0), VNET_HDR_SW_CSUM);
	assert_int_equal(h.flags, 0);
}

static void test_gso_tcpv4(void **state)
{
	(void)state;
	struct virtio_net_hdr_mrg_rxbuf h;
	struct sk_buff skb = frame(4000, CHECKSUM_PARTIAL, 1448, 8);
	assert_int_equal(
	    vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM | VNET_TX_TSO4), 0);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1448);
	assert_int_equal(h.hdr_len, TCP_START + 32); /* TCP with options */
	assert_int_equal(h.csum_start, TCP_START);
}

static void test_gso_refused(void **state)
{
	(void)state;
	struct virtio_net_hdr_mrg_rxbuf h;
	struct sk_buff skb = frame(4000, CHECKSUM_PARTIAL, 1448, 5);
	/* spec 5.1.3.1: no TSO4, or TSO4 without CSUM: not for this device */
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM), -EINVAL);
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_TSO4), -EINVAL);
	skb.csum_offset = 6; /* a UDP checksum: no TCP segmentation */
	assert_int_equal(
	    vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM | VNET_TX_TSO4), -EINVAL);
	skb = frame(4000, CHECKSUM_NONE, 1448, 5); /* GSO needs a partial sum */
	assert_int_equal(
	    vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM | VNET_TX_TSO4), -EINVAL);
	skb = frame(40, CHECKSUM_PARTIAL, 1448, 15); /* header past the end */
	assert_int_equal(
	    vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM | VNET_TX_TSO4), -EINVAL);
}

static void test_bad_offsets(void **state)
{
	(void)state;
	struct virtio_net_hdr_mrg_rxbuf h;
	struct sk_buff skb = frame(200, CHECKSUM_PARTIAL, 0, 5);
	skb.csum_start = HEADROOM - 2; /* before the frame */
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM), -EINVAL);
	skb = frame(TCP_START + 17, CHECKSUM_PARTIAL, 0, 5); /* field cut */
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM), -EINVAL);
	skb = frame(TCP_START + 18, CHECKSUM_PARTIAL, 0, 5); /* just fits */
	assert_int_equal(vnet_hdr_tx_fill(&h, &skb, VNET_TX_CSUM), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_checksum),
	    cmocka_unit_test(test_partial_offloaded),
	    cmocka_unit_test(test_partial_without_csum),
	    cmocka_unit_test(test_gso_tcpv4),
	    cmocka_unit_test(test_gso_refused),
	    cmocka_unit_test(test_bad_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
