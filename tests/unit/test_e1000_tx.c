/*
 * test_e1000_tx.c - host tests for the transmit offload descriptors in
 * drivers/net/e1000_hw.h (SDM 3.3.6 context, 3.3.7 extended data): the
 * fields and command bits of a checksum-only context and of a TCP
 * segmentation context, and the data descriptors' length, type, command
 * and checksum options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../drivers/net/e1000_hw.h"

_Static_assert(sizeof(struct e1000_context_desc) == 16, "context size");
_Static_assert(sizeof(struct e1000_data_desc) == 16, "data size");

static const struct e1000_tx_offload csum_only = {
    .ipcss = 14, .tucss = 34, .tucso = 50};

static void test_context_checksum(void **state)
{
	(void)state;
	struct e1000_context_desc c;
	memset(&c, 0xff, sizeof(c));
	e1000_tx_ctx_fill(&c, &csum_only);
	assert_int_equal(c.ipcss, 14);
	assert_int_equal(c.ipcso, 24); /* IP checksum at byte 10 */
	assert_int_equal(c.ipcse, 33); /* inclusive end of the IP header */
	assert_int_equal(c.tucss, 34);
	assert_int_equal(c.tucso, 50);
	assert_int_equal(c.tucse, 0); /* to the end of the frame */
	assert_int_equal(c.mss, 0);
	assert_int_equal(c.hdr_len, 0);
	assert_int_equal(c.status, 0);
	/* DEXT, RS, TCP, IP; DTYP 0 (context); no TSE, no PAYLEN */
	assert_int_equal(c.cmd_and_length,
			 E1000_TXD_DCMD_DEXT | E1000_TXD_DCMD_RS |
			     E1000_TUCMD_TCP | E1000_TUCMD_IP);
}

static void test_context_tso(void **state)
{
	(void)state;
	struct e1000_context_desc c;
	struct e1000_tx_offload o = csum_only;
	o.hdr_len = 66;
	o.mss = 1448;
	o.paylen = 63712;
	e1000_tx_ctx_fill(&c, &o);
	assert_int_equal(c.hdr_len, 66);
	assert_int_equal(c.mss, 1448);
	assert_int_equal(c.cmd_and_length & E1000_TX_PAYLEN_MAX, 63712);
	assert_true(c.cmd_and_length & E1000_TXD_DCMD_TSE);
	assert_false(c.cmd_and_length & E1000_TXD_DTYP_D);
	assert_true(c.cmd_and_length & E1000_TXD_DCMD_DEXT);
}

static void test_data_descriptors(void **state)
{
	(void)state;
	struct e1000_data_desc d;
	memset(&d, 0xff, sizeof(d));
	e1000_tx_data_fill(&d, 0x123456789a, 4096, true, false,
			   E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	assert_int_equal(d.addr, 0x123456789a);
	assert_int_equal(d.lower & E1000_TX_PAYLEN_MAX, 4096);
	assert_true(d.lower & E1000_TXD_DTYP_D);
	assert_true(d.lower & E1000_TXD_DCMD_DEXT);
	assert_true(d.lower & E1000_TXD_DCMD_IFCS);
	assert_true(d.lower & E1000_TXD_DCMD_RS);
	assert_true(d.lower & E1000_TXD_DCMD_TSE);
	assert_false(d.lower & E1000_TXD_DCMD_EOP);
	assert_int_equal(d.popts, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.special, 0);
	e1000_tx_data_fill(&d, 0x1000, 100, false, true, 0);
	assert_true(d.lower & E1000_TXD_DCMD_EOP);
	assert_false(d.lower & E1000_TXD_DCMD_TSE);
	assert_int_equal(d.lower & E1000_TX_PAYLEN_MAX, 100);
	assert_int_equal(d.popts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_context_checksum),
	    cmocka_unit_test(test_context_tso),
	    cmocka_unit_test(test_data_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
