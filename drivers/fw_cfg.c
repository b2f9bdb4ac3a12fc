/*
 * fw_cfg.c - QEMU fw_cfg over the legacy I/O ports (docs/specs/fw_cfg.rst
 * in QEMU): write a 16-bit selector to 0x510, read bytes from 0x511. The
 * signature item reads "QEMU"; item 0x19 is the file directory, big-endian.
 */
#include <skiff/fw_cfg.h>
#include <asm/cpu.h>
#include <string.h>

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019

static void select_item(u16 key)
{
	outw(FW_CFG_PORT_SEL, key);
}

static void read_bytes(void *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((u8 *)buf)[i] = inb(FW_CFG_PORT_DATA);
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

bool fw_cfg_present(void)
{
	char sig[4];
	select_item(FW_CFG_SIGNATURE);
	read_bytes(sig, 4);
	return memcmp(sig, "QEMU", 4) == 0;
}

long fw_cfg_read_file(const char *name, void *buf, size_t cap)
{
	if (!fw_cfg_present())
		return -1;
	u8 count_be[4];
	select_item(FW_CFG_FILE_DIR);
	read_bytes(count_be, 4);
	u32 count = be32(count_be);
	for (u32 i = 0; i < count && i < 4096; i++) {
		/* u32 size, u16 select, u16 reserved, char name[56] */
		u8 ent[64];
		read_bytes(ent, sizeof(ent));
		ent[63] = 0;
		if (strcmp((const char *)ent + 8, name) != 0)
			continue;
		u32 size = be32(ent);
		select_item((u16)(ent[4] << 8 | ent[5]));
		size_t n = MIN((size_t)size, cap);
		read_bytes(buf, n);
		return (long)n;
	}
	return -1;
}
