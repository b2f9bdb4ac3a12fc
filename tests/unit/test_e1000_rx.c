/*
 * test_e1000_rx.c - host tests for the receive-descriptor decisions in
 * drivers/net/e1000_hw.h: good frames pass, NIC-flagged errors and bad
 * lengths are dropped, a frame spread over several descriptors is dropped
 * whole and counted once, and the checksum-offload verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../drivers/net/e1000_hw.h"

#define DD E1000_RXD_STAT_DD
#define EOP E1000_RXD_STAT_EOP
#define MAX_LEN 1518

static void test_good_frame(void **state)
{
	(void)state;
	bool disc = false;
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 60, MAX_LEN, &disc),
			 E1000_RX_PASS);
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, MAX_LEN, MAX_LEN, &disc),
			 E1000_RX_PASS);
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 14, MAX_LEN, &disc),
			 E1000_RX_PASS);
	assert_false(disc);
}

static void test_errors(void **state)
{
	(void)state;
	bool disc = false;
	const u8 errs[] = {E1000_RXD_ERR_CE, E1000_RXD_ERR_SE,
			   E1000_RXD_ERR_SEQ, E1000_RXD_ERR_CXE,
			   E1000_RXD_ERR_RXE};
	for (size_t i = 0; i < sizeof(errs); i++)
		assert_int_equal(
		    e1000_rx_verdict(DD | EOP, errs[i], 60, MAX_LEN, &disc),
		    E1000_RX_DROP_ERROR);
	/* Checksum errors are not frame errors: the stack decides. */
	assert_int_equal(
	    e1000_rx_verdict(DD | EOP, E1000_RXD_ERR_TCPE | E1000_RXD_ERR_IPE,
			     60, MAX_LEN, &disc),
	    E1000_RX_PASS);
}

static void test_lengths(void **state)
{
	(void)state;
	bool disc = false;
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 0, MAX_LEN, &disc),
			 E1000_RX_DROP_LENGTH);
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 13, MAX_LEN, &disc),
			 E1000_RX_DROP_LENGTH);
	assert_int_equal(
	    e1000_rx_verdict(DD | EOP, 0, MAX_LEN + 1, MAX_LEN, &disc),
	    E1000_RX_DROP_LENGTH);
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 2048, MAX_LEN, &disc),
			 E1000_RX_DROP_LENGTH);
}

/* 2048 + 2048 + 100 bytes in three descriptors: one drop, counted once,
 * and the next frame passes again. */
static void test_multi_descriptor(void **state)
{
	(void)state;
	bool disc = false;
	assert_int_equal(e1000_rx_verdict(DD, 0, 2048, MAX_LEN, &disc),
			 E1000_RX_DROP_LENGTH);
	assert_true(disc);
	assert_int_equal(e1000_rx_verdict(DD, 0, 2048, MAX_LEN, &disc),
			 E1000_RX_DROP_QUIET);
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 100, MAX_LEN, &disc),
			 E1000_RX_DROP_QUIET);
	assert_false(disc);
	assert_int_equal(e1000_rx_verdict(DD | EOP, 0, 100, MAX_LEN, &disc),
			 E1000_RX_PASS);
}

static void test_csum_verdict(void **state)
{
	(void)state;
	const u8 tcpcs = E1000_RXD_STAT_TCPCS, ipcs = E1000_RXD_STAT_IPCS;
	assert_int_equal(e1000_rx_csum_verdict(DD | EOP | tcpcs | ipcs, 0), 1);
	assert_int_equal(e1000_rx_csum_verdict(DD | EOP | ipcs, 0), 0);
	assert_int_equal(
	    e1000_rx_csum_verdict(DD | EOP | tcpcs | ipcs, E1000_RXD_ERR_TCPE),
	    -1);
	assert_int_equal(
	    e1000_rx_csum_verdict(DD | EOP | ipcs, E1000_RXD_ERR_IPE), -1);
	/* IXSM: the NIC did not look, whatever the other bits say. */
	assert_int_equal(
	    e1000_rx_csum_verdict(DD | EOP | tcpcs | E1000_RXD_STAT_IXSM,
				  E1000_RXD_ERR_TCPE),
	    0);
}

static void test_descriptor_layout(void **state)
{
	(void)state;
	/* SDM 3.2.3 and 3.3.3: both descriptors are 16 bytes. */
	assert_int_equal(sizeof(struct e1000_rx_desc), 16);
	assert_int_equal(sizeof(struct e1000_tx_desc), 16);
	assert_int_equal(offsetof(struct e1000_rx_desc, status), 12);
	assert_int_equal(offsetof(struct e1000_tx_desc, cmd), 11);
	assert_int_equal(offsetof(struct e1000_tx_desc, status), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_frame),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_multi_descriptor),
	    cmocka_unit_test(test_csum_verdict),
	    cmocka_unit_test(test_descriptor_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
