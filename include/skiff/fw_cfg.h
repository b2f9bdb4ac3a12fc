/*
 * fw_cfg.h - QEMU's firmware configuration device (I/O ports 0x510/0x511),
 * for the config line in the file `opt/skiff/cmdline`.
 */
#ifndef SKIFF_FW_CFG_H
#define SKIFF_FW_CFG_H

#include <skiff/types.h>

bool fw_cfg_present(void);
/* Read the named file into buf (at most cap bytes). Returns its size, or
 * -1 if absent; a larger file is cut to cap. */
long fw_cfg_read_file(const char *name, void *buf, size_t cap);

#endif
