/*
 * uart.h - the 16550 serial console (COM1, 115200 8N1).
 *
 * Output is buffered in a ring and drained by the transmitter-empty
 * interrupt; when the ring is full, or before interrupts work, or while
 * panicking, bytes are written by polling. Input is taken by the receive
 * interrupt into a small ring that the shell reads with uart_getc().
 */
#ifndef SKIFF_UART_H
#define SKIFF_UART_H

#include <skiff/types.h>

void uart_early_init(void); /* polled output only */
void uart_irq_init(void);   /* route IRQ 4, enable RX and TX interrupts */
void uart_write(const char *s, size_t n);
/* The panic path: polled, takes no locks. */
void uart_write_polled(const char *s, size_t n);
int uart_getc(void);   /* next received byte, or -1 */
void uart_flush(void); /* wait until every buffered byte is out */
/* Bytes uart_write takes now without polling the chip ('\n' costs 2). */
size_t uart_tx_room(void);

struct uart_stats {
	u64 tx_bytes, rx_bytes, rx_overruns, tx_polled, irqs;
};
void uart_get_stats(struct uart_stats *s);

#endif
