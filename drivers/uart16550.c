/*
 * uart16550.c - driver for the 16550 UART at COM1 (I/O port 0x3f8).
 *
 * Registers (offset from the base port; DLAB is bit 7 of LCR):
 *   0 RBR/THR (DLL with DLAB)   1 IER (DLM with DLAB)   2 IIR/FCR
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * uart_write -> tx ring -> uart_tx_kick (fills the 16-byte FIFO)
 * IRQ 4 -> uart_irq -> RX bytes into rx ring, THRE refills the FIFO.
 */
#include <skiff/uart.h>
#include <skiff/irq.h>
#include <skiff/spinlock.h>
#include <skiff/printk.h>
#include <asm/cpu.h>

#define COM1 0x3f8
#define UART_IRQ 4

#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_IIR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5

#define IER_RDA 0x01  /* received data available */
#define IER_THRE 0x02 /* transmitter holding register empty */
#define LSR_DR 0x01   /* data ready */
#define LSR_OE 0x02   /* overrun error */
#define LSR_THRE 0x20 /* THR empty: the FIFO can take 16 bytes */
#define FIFO_DEPTH 16

#define TX_RING 16384 /* power of two */
#define RX_RING 1024

static struct {
	spinlock_t lock;
	char tx[TX_RING];
	u32 tx_head, tx_tail; /* head: next free; tail: next to send */
	u8 rx[RX_RING];
	u32 rx_head, rx_tail;
	bool irq_mode; /* interrupts wired: buffer output */
	u8 ier;
	struct uart_stats stats;
} uart = {.lock = SPIN_LOCK_INIT("uart")};

void uart_early_init(void)
{
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x80); /* DLAB on */
	outb(COM1 + REG_DATA, 1);   /* divisor 1: 115200 baud */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03); /* 8N1, DLAB off */
	outb(COM1 + REG_FCR, 0xc7); /* FIFO on, cleared, 14-byte RX trigger */
	outb(COM1 + REG_MCR, 0x0b); /* DTR, RTS, OUT2 (gates the IRQ line) */
}

static void putc_polled(char c)
{
	for (int spins = 0; spins < 100000; spins++)
		if (inb(COM1 + REG_LSR) & LSR_THRE)
			break;
	outb(COM1 + REG_DATA, (u8)c);
}

void uart_write_polled(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			putc_polled('\r');
		putc_polled(s[i]);
	}
}

static u32 tx_used(void)
{
	return uart.tx_head - uart.tx_tail;
}

size_t uart_tx_room(void)
{
	if (!uart.irq_mode)
		return 0;
	return TX_RING - READ_ONCE(uart.tx_head) + READ_ONCE(uart.tx_tail);
}

/* Move up to one FIFO's worth from the ring to the chip. Lock held. */
static void uart_tx_kick(void)
{
	if (!(inb(COM1 + REG_LSR) & LSR_THRE))
		return;
	for (int i = 0; i < FIFO_DEPTH && tx_used(); i++) {
		outb(COM1 + REG_DATA, (u8)uart.tx[uart.tx_tail % TX_RING]);
		uart.tx_tail++;
		uart.stats.tx_bytes++;
	}
	u8 ier = IER_RDA | (tx_used() ? IER_THRE : 0);
	if (ier != uart.ier) {
		uart.ier = ier;
		outb(COM1 + REG_IER, ier);
	}
}

/* Ring full: drain part of it by polling so the writer never drops text. */
static void tx_make_room(void)
{
	while (tx_used() > TX_RING - FIFO_DEPTH * 4) {
		putc_polled(uart.tx[uart.tx_tail % TX_RING]);
		uart.tx_tail++;
		uart.stats.tx_polled++;
	}
}

static void tx_put(char c)
{
	if (tx_used() == TX_RING)
		tx_make_room();
	uart.tx[uart.tx_head % TX_RING] = c;
	uart.tx_head++;
}

void uart_write(const char *s, size_t n)
{
	if (!uart.irq_mode) {
		uart_write_polled(s, n);
		return;
	}
	unsigned long flags = spin_lock_irqsave(&uart.lock);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			tx_put('\r');
		tx_put(s[i]);
	}
	uart_tx_kick();
	spin_unlock_irqrestore(&uart.lock, flags);
}

void uart_flush(void)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&uart.lock);
		tx_make_room();
		uart_tx_kick();
		u32 left = tx_used();
		spin_unlock_irqrestore(&uart.lock, flags);
		if (!left)
			return;
		cpu_relax();
	}
}

static void uart_rx(void)
{
	u8 lsr;
	while ((lsr = inb(COM1 + REG_LSR)) & LSR_DR) {
		u8 c = inb(COM1 + REG_DATA);
		if (lsr & LSR_OE)
			uart.stats.rx_overruns++;
		if (uart.rx_head - uart.rx_tail == RX_RING) {
			uart.stats.rx_overruns++;
			continue;
		}
		uart.rx[uart.rx_head % RX_RING] = c;
		uart.rx_head++;
		uart.stats.rx_bytes++;
	}
}

static void uart_irq(void *arg __unused)
{
	spin_lock(&uart.lock);
	uart.stats.irqs++;
	uart_rx();
	uart_tx_kick();
	spin_unlock(&uart.lock);
}

int uart_getc(void)
{
	int c = -1;
	unsigned long flags = spin_lock_irqsave(&uart.lock);
	if (!uart.irq_mode)
		uart_rx(); /* no interrupt yet: poll */
	if (uart.rx_head != uart.rx_tail) {
		c = uart.rx[uart.rx_tail % RX_RING];
		uart.rx_tail++;
	}
	spin_unlock_irqrestore(&uart.lock, flags);
	return c;
}

void uart_irq_init(void)
{
	if (irq_request_isa(UART_IRQ, uart_irq, NULL, "uart") < 0) {
		pr_warn("uart: no IRQ %d; console stays polled\n", UART_IRQ);
		return;
	}
	unsigned long flags = spin_lock_irqsave(&uart.lock);
	uart.irq_mode = true;
	uart.ier = IER_RDA;
	outb(COM1 + REG_IER, uart.ier);
	uart_rx();
	spin_unlock_irqrestore(&uart.lock, flags);
	pr_info("uart: COM1 0x3f8 115200 8N1, IRQ %d, tx ring %d bytes\n",
		UART_IRQ, TX_RING);
}

void uart_get_stats(struct uart_stats *s)
{
	unsigned long flags = spin_lock_irqsave(&uart.lock);
	*s = uart.stats;
	spin_unlock_irqrestore(&uart.lock, flags);
}
