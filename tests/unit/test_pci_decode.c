/*
 * test_pci_decode.c - host tests for drivers/pci_decode.c: BAR decoding
 * from the all-ones sizing probe (32-bit, 64-bit, prefetchable, I/O with
 * and without the upper 16 bits, unimplemented), class and device names,
 * and driver ID matching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/pci.h>

static void test_bar_mem32(void **state)
{
	(void)state;
	struct pci_bar b;
	/* 128 KiB non-prefetchable at 0xfebc0000 (QEMU's e1000 BAR 0). */
	assert_int_equal(pci_bar_decode(&b, 0xfebc0000, 0xfffe0000, 0, 0), 1);
	assert_int_equal(b.type, PCI_BAR_MEM32);
	assert_int_equal(b.addr, 0xfebc0000);
	assert_int_equal(b.size, 128 * 1024);
	assert_false(b.prefetch);
	assert_null(b.virt);
}

static void test_bar_mem32_prefetch(void **state)
{
	(void)state;
	struct pci_bar b;
	/* 16 MiB prefetchable framebuffer: bit 3 set in value and mask. */
	assert_int_equal(pci_bar_decode(&b, 0xc0000008, 0xff000008, 0, 0), 1);
	assert_int_equal(b.type, PCI_BAR_MEM32);
	assert_int_equal(b.addr, 0xc0000000);
	assert_int_equal(b.size, 16 << 20);
	assert_true(b.prefetch);
}

static void test_bar_mem64(void **state)
{
	(void)state;
	struct pci_bar b;
	/* 16 KiB, 64-bit, prefetchable, above 4 GiB (virtio's BAR 4). */
	assert_int_equal(
	    pci_bar_decode(&b, 0x0000000c, 0xffffc00c, 0xe0, 0xffffffff), 2);
	assert_int_equal(b.type, PCI_BAR_MEM64);
	assert_int_equal(b.addr, 0xe000000000ULL);
	assert_int_equal(b.size, 16 * 1024);
	assert_true(b.prefetch);
}

static void test_bar_mem64_huge(void **state)
{
	(void)state;
	struct pci_bar b;
	/* 8 GiB: no writable bit in the low half's address bits. */
	assert_int_equal(
	    pci_bar_decode(&b, 0x0000000c, 0x0000000c, 0x4, 0xfffffffe), 2);
	assert_int_equal(b.size, 8ULL << 30);
	assert_int_equal(b.addr, 0x400000000ULL);
}

static void test_bar_io(void **state)
{
	(void)state;
	struct pci_bar b;
	/* 64 ports at 0xc000; upper 16 bits read back as zero. */
	assert_int_equal(pci_bar_decode(&b, 0x0000c001, 0x0000ffc1, 0, 0), 1);
	assert_int_equal(b.type, PCI_BAR_IO);
	assert_int_equal(b.addr, 0xc000);
	assert_int_equal(b.size, 64);
	/* The same with the upper bits writable. */
	assert_int_equal(pci_bar_decode(&b, 0x0000c001, 0xffffffc1, 0, 0), 1);
	assert_int_equal(b.size, 64);
}

static void test_bar_absent(void **state)
{
	(void)state;
	struct pci_bar b;
	assert_int_equal(pci_bar_decode(&b, 0, 0, 0, 0), 1);
	assert_int_equal(b.type, PCI_BAR_NONE);
	assert_int_equal(b.size, 0);
	/* An I/O BAR whose address bits are all read-only. */
	assert_int_equal(pci_bar_decode(&b, 1, 1, 0, 0), 1);
	assert_int_equal(b.type, PCI_BAR_NONE);
	/* A 64-bit BAR with nothing writable still uses two registers. */
	assert_int_equal(pci_bar_decode(&b, 4, 4, 0, 0), 2);
	assert_int_equal(b.type, PCI_BAR_NONE);
}

static void test_class_names(void **state)
{
	(void)state;
	assert_string_equal(pci_class_name(0x020000), "Ethernet controller");
	assert_string_equal(pci_class_name(0x060400), "PCI bridge");
	assert_string_equal(pci_class_name(0x010601), "SATA controller");
	/* Unknown subclass: the base class name. */
	assert_string_equal(pci_class_name(0x028000), "Network controller");
	assert_string_equal(pci_class_name(0xff0000), "Unassigned class");
}

static void test_device_names(void **state)
{
	(void)state;
	assert_non_null(strstr(pci_device_name(0x8086, 0x100e), "82540EM"));
	assert_non_null(strstr(pci_device_name(0x8086, 0x10d3), "82574L"));
	assert_string_equal(pci_device_name(0x1234, 0x5678), "Device");
}

static void test_id_match(void **state)
{
	(void)state;
	struct pci_device_id exact = {0x8086, 0x100e, 0};
	struct pci_device_id any_dev = {0x1af4, PCI_ANY_ID, 0};
	assert_true(pci_id_match(&exact, 0x8086, 0x100e));
	assert_false(pci_id_match(&exact, 0x8086, 0x10d3));
	assert_true(pci_id_match(&any_dev, 0x1af4, 0x1041));
	assert_false(pci_id_match(&any_dev, 0x8086, 0x1041));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bar_mem32),
	    cmocka_unit_test(test_bar_mem32_prefetch),
	    cmocka_unit_test(test_bar_mem64),
	    cmocka_unit_test(test_bar_mem64_huge),
	    cmocka_unit_test(test_bar_io),
	    cmocka_unit_test(test_bar_absent),
	    cmocka_unit_test(test_class_names),
	    cmocka_unit_test(test_device_names),
	    cmocka_unit_test(test_id_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
