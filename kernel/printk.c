/*
 * printk.c - leveled, timestamped kernel messages.
 *
 * printk -> format into a line -> log ring (always) -> consoles (when the
 * level is at or above the console level). The ring keeps the last
 * LOG_RING_BYTES of text as records, oldest dropped first; `log` prints it.
 */
#include <skiff/printk.h>
#include <skiff/console.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <stdio.h>
#include <string.h>

#define LOG_RING_BYTES (128 * 1024)
#define LINE_MAX 512

/* One record in the ring: header, then len bytes of text (no NUL). */
struct log_rec {
	u64 seq;
	u64 ts_ns;
	u16 len;
	u8 level;
	u8 pad[5];
};

static struct {
	spinlock_t lock;
	u8 buf[LOG_RING_BYTES];
	u64 head, tail; /* byte offsets, monotonic; tail = oldest record */
	u64 next_seq;
	u64 dropped;
} logring = {.lock = SPIN_LOCK_INIT("printk")};

int console_loglevel = LOG_INFO;

static void ring_copy_in(u64 off, const void *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		logring.buf[(off + i) % LOG_RING_BYTES] = ((const u8 *)src)[i];
}

static void ring_copy_out(void *dst, u64 off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((u8 *)dst)[i] = logring.buf[(off + i) % LOG_RING_BYTES];
}

static void ring_drop_oldest(void)
{
	struct log_rec r;
	ring_copy_out(&r, logring.tail, sizeof(r));
	logring.tail += sizeof(r) + r.len;
	logring.dropped++;
}

static void log_store(int level, u64 ts, const char *text, size_t len)
{
	struct log_rec r = {.seq = logring.next_seq++,
			    .ts_ns = ts,
			    .len = (u16)len,
			    .level = (u8)level};
	size_t need = sizeof(r) + len;
	while (logring.head + need - logring.tail > LOG_RING_BYTES)
		ring_drop_oldest();
	ring_copy_in(logring.head, &r, sizeof(r));
	ring_copy_in(logring.head + sizeof(r), text, len);
	logring.head += need;
}

static size_t format_line(char *line, u64 ts, const char *fmt, va_list ap)
{
	int n = snprintf(line, LINE_MAX, "[%5llu.%06llu] ",
			 (unsigned long long)(ts / 1000000000ULL),
			 (unsigned long long)(ts / 1000 % 1000000));
	int m = vsnprintf(line + n, LINE_MAX - n, fmt, ap);
	size_t len = n + (m < 0 ? 0 : MIN((size_t)m, (size_t)LINE_MAX - n - 1));
	if (len == 0 || line[len - 1] != '\n') {
		if (len >= LINE_MAX - 1)
			len = LINE_MAX - 2;
		line[len++] = '\n';
	}
	line[len] = 0;
	return len;
}

void vprintk(int level, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	u64 ts = ktime_get_ns();
	size_t len = format_line(line, ts, fmt, ap);

	unsigned long flags = spin_lock_irqsave(&logring.lock);
	log_store(level, ts, line, len);
	spin_unlock_irqrestore(&logring.lock, flags);
	if (level >= console_loglevel)
		console_write(line, len);
}

void printk(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}

/*
 * Visit the records with level >= min_level and seq >= from_seq, oldest
 * first; fn gets the text, which ends in '\n'. Returns the seq after the
 * last record that existed when it finished (where a follower resumes).
 */
u64 log_for_each_from(u64 from_seq, int min_level,
		      void (*fn)(void *ctx, const char *text, size_t len,
				 int level),
		      void *ctx)
{
	static char text[LINE_MAX];
	unsigned long flags = spin_lock_irqsave(&logring.lock);
	u64 off = logring.tail;
	while (off < logring.head) {
		struct log_rec r;
		ring_copy_out(&r, off, sizeof(r));
		size_t len = MIN((size_t)r.len, sizeof(text) - 1);
		ring_copy_out(text, off + sizeof(r), len);
		off += sizeof(r) + r.len;
		if (r.level < min_level || r.seq < from_seq)
			continue;
		/* Drop the lock while printing: the console may be slow. */
		spin_unlock_irqrestore(&logring.lock, flags);
		fn(ctx, text, len, r.level);
		flags = spin_lock_irqsave(&logring.lock);
		if (off < logring.tail)
			off = logring.tail; /* overwritten meanwhile */
	}
	u64 next = logring.next_seq;
	spin_unlock_irqrestore(&logring.lock, flags);
	return next;
}

/* The same, for at most the last `last` records (0 = all). */
void log_for_each(int min_level, unsigned last,
		  void (*fn)(void *ctx, const char *text, size_t len,
			     int level),
		  void *ctx)
{
	u64 next = READ_ONCE(logring.next_seq);
	log_for_each_from(last && next > last ? next - last : 0, min_level, fn,
			  ctx);
}

u64 log_next_seq(void)
{
	return READ_ONCE(logring.next_seq);
}
