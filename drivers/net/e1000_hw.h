/*
 * e1000_hw.h - registers and descriptors of the Intel 8254x family
 * ("PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual", 317453, cited as SDM) and the 82574 ("82574 GbE Controller
 * Family Datasheet", 317694, cited as 82574). Only what drivers/net/e1000.c
 * uses. Register offsets are bytes into BAR 0; all registers are 32 bits.
 */
#ifndef DRIVERS_NET_E1000_HW_H
#define DRIVERS_NET_E1000_HW_H

#include <skiff/types.h>

/* General (SDM 13.4.1-13.4.5; 82574 datasheet chapter 10) */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EECD 0x0010
#define E1000_EERD 0x0014
#define E1000_CTRL_EXT 0x0018
#define E1000_MDIC 0x0020

#define E1000_CTRL_FD (1u << 0)	  /* full duplex */
#define E1000_CTRL_LRST (1u << 3) /* link reset (8254x) */
#define E1000_CTRL_ASDE (1u << 5) /* auto-speed detection */
#define E1000_CTRL_SLU (1u << 6)  /* set link up */
#define E1000_CTRL_ILOS (1u << 7) /* invert loss-of-signal */
#define E1000_CTRL_RST (1u << 26) /* device reset, self-clearing */
#define E1000_CTRL_VME (1u << 30) /* VLAN mode */
#define E1000_CTRL_PHY_RST (1u << 31)

#define E1000_STATUS_FD (1u << 0)
#define E1000_STATUS_LU (1u << 1)  /* link up */
#define E1000_STATUS_SPEED_SHIFT 6 /* bits 7:6: 00 10, 01 100, 1x 1000 */

#define E1000_EECD_AUTO_RD (1u << 9) /* EEPROM auto-read done */

/* EERD (SDM 13.4.4): the 8254x has START bit 0, DONE bit 4, address in
 * bits 15:8; the 82574 (its EERD) DONE bit 1, address bits 15:2.
 * Data is bits 31:16 on both. */
#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE_8254X (1u << 4)
#define E1000_EERD_ADDR_SHIFT_8254X 8
#define E1000_EERD_DONE_82574 (1u << 1)
#define E1000_EERD_ADDR_SHIFT_82574 2
#define E1000_EERD_DATA_SHIFT 16

#define E1000_CTRL_EXT_PBA_CLR (1u << 31) /* 82574: MSI-X PBA clearing */

/* Interrupts (SDM 13.4.17-13.4.21; the 82574 adds EIAC, IAM, IVAR, EITR) */
#define E1000_ICR 0x00c0
#define E1000_ITR 0x00c4
#define E1000_ICS 0x00c8
#define E1000_IMS 0x00d0
#define E1000_IMC 0x00d8
#define E1000_EIAC 0x00dc /* 82574: auto-clear of ICR bits in MSI-X mode */
#define E1000_IAM 0x00e0
#define E1000_IVAR 0x00e4		 /* 82574: cause -> MSI-X vector */
#define E1000_EITR(n) (0x00e8 + 4 * (n)) /* 82574: per-vector ITR */

#define E1000_ICR_TXDW (1u << 0)   /* transmit descriptor written back */
#define E1000_ICR_TXQE (1u << 1)   /* transmit queue empty */
#define E1000_ICR_LSC (1u << 2)	   /* link status change */
#define E1000_ICR_RXSEQ (1u << 3)  /* receive sequence error */
#define E1000_ICR_RXDMT0 (1u << 4) /* receive descriptors below threshold */
#define E1000_ICR_RXO (1u << 6)	   /* receiver overrun */
#define E1000_ICR_RXT0 (1u << 7)   /* receiver timer (a frame arrived) */
#define E1000_ICR_RXQ0 (1u << 20)  /* 82574 MSI-X: queue 0 receive */
#define E1000_ICR_TXQ0 (1u << 22)  /* 82574 MSI-X: queue 0 transmit */
#define E1000_ICR_OTHER (1u << 24) /* 82574 MSI-X: other causes */
#define E1000_ICR_ASSERTED (1u << 31)

/* 82574 IVAR: 4-bit fields, vector in bits 2:0, bit 3 valid. */
#define E1000_IVAR_VALID 0x8
#define E1000_IVAR_RXQ0_SHIFT 0
#define E1000_IVAR_TXQ0_SHIFT 8
#define E1000_IVAR_OTHER_SHIFT 16
#define E1000_IVAR_TX_EVERY_WB                                                 \
	(1u << 31) /* TX interrupt on every write-back                         \
		    */

/* 82574 TARC0: bit 10 enables the transmit queue. */
#define E1000_TARC0 0x3840
#define E1000_TARC_ENABLE (1u << 10)

/* Receive (SDM 13.4.22-13.4.30) */
#define E1000_RCTL 0x0100
#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_SBP (1u << 2) /* store bad packets */
#define E1000_RCTL_UPE (1u << 3) /* unicast promiscuous */
#define E1000_RCTL_MPE (1u << 4) /* multicast promiscuous */
#define E1000_RCTL_LPE (1u << 5) /* long packets */
#define E1000_RCTL_RDMTS_HALF (0u << 8)
#define E1000_RCTL_BAM (1u << 15) /* accept broadcast */
#define E1000_RCTL_BSIZE_2048 (0u << 16)
#define E1000_RCTL_SECRC (1u << 26) /* strip the Ethernet CRC */

#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_RDTR 0x2820 /* receive delay timer */
#define E1000_RADV 0x282c /* receive absolute delay */
#define E1000_RXCSUM 0x5000
#define E1000_RXCSUM_IPOFLD (1u << 8)
#define E1000_RXCSUM_TUOFLD (1u << 9)

#define E1000_MTA 0x5200 /* 128 multicast table entries */
#define E1000_MTA_ENTRIES 128
#define E1000_RAL0 0x5400
#define E1000_RAH0 0x5404
#define E1000_RAH_AV (1u << 31) /* address valid */

/* Transmit (SDM 13.4.33-13.4.44) */
#define E1000_TCTL 0x0400
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3) /* pad short packets */
#define E1000_TCTL_CT_SHIFT 4	 /* collision threshold */
#define E1000_TCTL_COLD_SHIFT 12 /* collision distance */
#define E1000_TCTL_RTLC (1u << 24)
#define E1000_TIPG 0x0410

#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_TIDV 0x3820

/* Statistics, clear on read (SDM 13.7) */
#define E1000_CRCERRS 0x4000
#define E1000_MPC 0x4010  /* missed packets (no room in the FIFO) */
#define E1000_RNBC 0x40a0 /* receive no buffers (ring empty) */
#define E1000_RUC 0x40a4  /* receive undersize */
#define E1000_ROC 0x40ac  /* receive oversize */
#define E1000_GPRC 0x4074 /* good packets received */
#define E1000_GPTC 0x4080 /* good packets transmitted */

/* Legacy receive descriptor (SDM 3.2.3), written back by the NIC. */
struct e1000_rx_desc {
	u64 addr;   /* buffer physical address */
	u16 length; /* bytes written to the buffer */
	u16 csum;   /* packet checksum */
	u8 status;  /* E1000_RXD_STAT_* */
	u8 errors;  /* E1000_RXD_ERR_* (valid with EOP) */
	u16 special;
} __packed;

#define E1000_RXD_STAT_DD (1u << 0)    /* descriptor done */
#define E1000_RXD_STAT_EOP (1u << 1)   /* end of packet */
#define E1000_RXD_STAT_IXSM (1u << 2)  /* ignore checksum indication */
#define E1000_RXD_STAT_TCPCS (1u << 5) /* TCP/UDP checksum calculated */
#define E1000_RXD_STAT_IPCS (1u << 6)  /* IPv4 checksum calculated */

#define E1000_RXD_ERR_CE (1u << 0)   /* CRC or alignment error */
#define E1000_RXD_ERR_SE (1u << 1)   /* symbol error */
#define E1000_RXD_ERR_SEQ (1u << 2)  /* sequence error */
#define E1000_RXD_ERR_CXE (1u << 4)  /* carrier extension error */
#define E1000_RXD_ERR_TCPE (1u << 5) /* TCP/UDP checksum error */
#define E1000_RXD_ERR_IPE (1u << 6)  /* IPv4 checksum error */
#define E1000_RXD_ERR_RXE (1u << 7)  /* RX data error */
#define E1000_RXD_ERR_FRAME                                                    \
	(E1000_RXD_ERR_CE | E1000_RXD_ERR_SE | E1000_RXD_ERR_SEQ |             \
	 E1000_RXD_ERR_CXE | E1000_RXD_ERR_RXE)

/* Legacy transmit descriptor (SDM 3.3.3). */
struct e1000_tx_desc {
	u64 addr;   /* buffer physical address */
	u16 length; /* bytes in the buffer */
	u8 cso;	    /* checksum offset */
	u8 cmd;	    /* E1000_TXD_CMD_* */
	u8 status;  /* E1000_TXD_STAT_DD once sent (with RS) */
	u8 css;	    /* checksum start */
	u16 special;
} __packed;

#define E1000_TXD_CMD_EOP (1u << 0)  /* end of packet */
#define E1000_TXD_CMD_IFCS (1u << 1) /* insert FCS */
#define E1000_TXD_CMD_RS (1u << 3)   /* report status (write back DD) */
#define E1000_TXD_STAT_DD (1u << 0)
#define E1000_TXD_STAT_EC (1u << 1) /* excess collisions */
#define E1000_TXD_STAT_LC (1u << 2) /* late collision */

/* ---- TX offloads (SDM 3.3.5-3.3.7) ----------------------------------------
 * A TCP/IP context descriptor says where the checksums go and, with TSE,
 * how to cut a large frame; extended data descriptors then carry the
 * frame. The NIC keeps one checksum context and one TSE context. */

/* TCP/IP context descriptor (SDM 3.3.6): DEXT set, DTYP 0000. */
struct e1000_context_desc {
	u8 ipcss;  /* IP header start: where its checksum starts */
	u8 ipcso;  /* where the IP checksum goes */
	u16 ipcse; /* last byte the IP checksum covers (inclusive) */
	u8 tucss;  /* TCP header start */
	u8 tucso;  /* where the TCP checksum goes */
	u16 tucse; /* last byte it covers; 0: to the end of the frame */
	u32 cmd_and_length; /* PAYLEN (bits 0-19) | DTYP | TUCMD (24-31) */
	u8 status;
	u8 hdr_len; /* TSE: header bytes copied into every segment */
	u16 mss;    /* TSE: payload bytes per segment */
} __packed;

/* Extended TCP/IP data descriptor (SDM 3.3.7): DEXT set, DTYP 0001. */
struct e1000_data_desc {
	u64 addr;
	u32 lower; /* DTALEN (bits 0-19) | DTYP (20-23) | DCMD (24-31) */
	u8 status; /* E1000_TXD_STAT_DD once done (with RS) */
	u8 popts;  /* IXSM / TXSM, read from a packet's first descriptor */
	u16 special;
} __packed;

#define E1000_TXD_DTYP_D (1u << 20)    /* data (else context) */
#define E1000_TXD_DCMD_EOP (1u << 24)  /* end of packet */
#define E1000_TXD_DCMD_IFCS (1u << 25) /* insert FCS */
#define E1000_TXD_DCMD_TSE (1u << 26)  /* TCP segmentation */
#define E1000_TXD_DCMD_RS (1u << 27)   /* report status */
#define E1000_TXD_DCMD_DEXT (1u << 29) /* extended descriptor */
#define E1000_TUCMD_TCP (1u << 24)     /* context: TCP (else UDP) */
#define E1000_TUCMD_IP (1u << 25)      /* context: IPv4 (else IPv6) */
#define E1000_TXD_POPTS_IXSM 0x01      /* insert the IP checksum */
#define E1000_TXD_POPTS_TXSM 0x02      /* insert the TCP/UDP checksum */
#define E1000_TX_DATA_MAX 4096 /* bytes per data descriptor (as Linux) */
#define E1000_TX_PAYLEN_MAX 0xfffffu

/* What one frame asks of the NIC (from skb offsets, e1000.c). */
struct e1000_tx_offload {
	u8 ipcss;   /* IP header offset in the frame */
	u8 tucss;   /* TCP header offset */
	u8 tucso;   /* TCP checksum field offset */
	u8 hdr_len; /* TSE: Ethernet + IP + TCP headers */
	u16 mss;    /* TSE: payload per segment; 0: checksum only */
	u32 paylen; /* TSE: TCP payload bytes of the whole frame */
};

/* SDM 3.3.6: a context for o (TSE when o->mss), RS set so that its slot
 * is written back like the data descriptors' (the cleaner walks them). */
static inline void e1000_tx_ctx_fill(struct e1000_context_desc *c,
				     const struct e1000_tx_offload *o)
{
	u32 cmd = E1000_TXD_DCMD_DEXT | E1000_TXD_DCMD_RS | E1000_TUCMD_TCP |
		  E1000_TUCMD_IP;
	c->ipcss = o->ipcss;
	c->ipcso = (u8)(o->ipcss + 10); /* RFC 791: checksum at byte 10 */
	c->ipcse = (u16)(o->tucss - 1);
	c->tucss = o->tucss;
	c->tucso = o->tucso;
	c->tucse = 0;
	c->status = 0;
	c->hdr_len = o->mss ? o->hdr_len : 0;
	c->mss = o->mss;
	if (o->mss)
		cmd |= E1000_TXD_DCMD_TSE | (o->paylen & E1000_TX_PAYLEN_MAX);
	c->cmd_and_length = cmd;
}

/* SDM 3.3.7: one data descriptor of len bytes; popts on the first of a
 * packet, EOP on its last. */
static inline void e1000_tx_data_fill(struct e1000_data_desc *d, u64 addr,
				      u32 len, bool tse, bool eop, u8 popts)
{
	d->addr = addr;
	d->lower = (len & E1000_TX_PAYLEN_MAX) | E1000_TXD_DTYP_D |
		   E1000_TXD_DCMD_DEXT | E1000_TXD_DCMD_IFCS |
		   E1000_TXD_DCMD_RS | (tse ? E1000_TXD_DCMD_TSE : 0) |
		   (eop ? E1000_TXD_DCMD_EOP : 0);
	d->status = 0;
	d->popts = popts;
	d->special = 0;
}

/* ---- pure decisions on descriptors (tests/unit/test_e1000_rx.c) ------ */

enum e1000_rx_verdict {
	E1000_RX_PASS,	      /* hand it up */
	E1000_RX_DROP_ERROR,  /* the NIC saw a bad frame (CRC, symbol...) */
	E1000_RX_DROP_LENGTH, /* runt, oversize, or spans descriptors */
	E1000_RX_DROP_QUIET,  /* the rest of a frame already counted */
};

/*
 * What to do with one completed receive descriptor. A frame larger than
 * one buffer arrives in several descriptors, only the last with EOP
 * (SDM 3.2.3); with 2 KiB buffers and long packets off that means
 * something oversized got through, so the whole frame is dropped and
 * counted once. *discarding carries "inside such a frame" between calls.
 * `errors` is only valid with EOP.
 */
static inline enum e1000_rx_verdict
e1000_rx_verdict(u8 status, u8 errors, u16 len, u16 max_len, bool *discarding)
{
	if (!(status & E1000_RXD_STAT_EOP)) {
		bool first = !*discarding;
		*discarding = true;
		return first ? E1000_RX_DROP_LENGTH : E1000_RX_DROP_QUIET;
	}
	if (*discarding) {
		*discarding = false;
		return E1000_RX_DROP_QUIET;
	}
	if (errors & E1000_RXD_ERR_FRAME)
		return E1000_RX_DROP_ERROR;
	if (len < 14 || len > max_len) /* 14: an Ethernet header */
		return E1000_RX_DROP_LENGTH;
	return E1000_RX_PASS;
}

/*
 * The NIC's checksum verdict (SDM 3.2.3.1): 1 when it verified a TCP or
 * UDP checksum (and the IPv4 header's, if it looked) and both were good,
 * -1 when it found one bad, 0 when it did not look (IXSM, or not TCP/UDP).
 */
static inline int e1000_rx_csum_verdict(u8 status, u8 errors)
{
	if (status & E1000_RXD_STAT_IXSM)
		return 0;
	if (errors & (E1000_RXD_ERR_TCPE | E1000_RXD_ERR_IPE))
		return -1;
	return (status & E1000_RXD_STAT_TCPCS) ? 1 : 0;
}

#endif
