/*
 * libc.c - the system calls newlib expects (built with
 * --disable-newlib-supplied-syscalls), and its malloc lock.
 *
 * There are no files: stdout and stderr go to the console, stdin is
 * empty, everything else fails with the proper errno.
 */
#include <skiff/console.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <asm/cpu.h>
#include <errno.h>
#include <reent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>

#undef errno
extern int errno;

int write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, n);
	return (int)n;
}

int read(int fd, void *buf, size_t n)
{
	return 0; /* end of file */
}

int close(int fd)
{
	errno = EBADF;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	st->st_mode = S_IFCHR;
	return 0;
}

int isatty(int fd)
{
	return fd <= 2;
}

off_t lseek(int fd, off_t off, int whence)
{
	errno = ESPIPE;
	return -1;
}

int open(const char *path, int flags, int mode)
{
	errno = ENOENT;
	return -1;
}

int getpid(void)
{
	return 1;
}

int kill(int pid, int sig)
{
	panic("abort() called (signal %d)", sig);
}

void _exit(int status)
{
	panic("exit(%d) called", status);
}

int gettimeofday(struct timeval *tv, void *tz)
{
	u64 ns = ktime_get_ns();
	tv->tv_sec = (time_t)(boot_epoch_sec + ns / NSEC_PER_SEC);
	tv->tv_usec = (suseconds_t)(ns / 1000 % 1000000);
	return 0;
}

clock_t times(struct tms *t)
{
	errno = ENOSYS;
	return (clock_t)-1;
}

/* malloc may be re-entered by the same CPU (newlib's own calls), so the
 * lock is recursive: a spinlock plus the owner and a depth. */
static DEFINE_SPINLOCK(malloc_lock, "malloc");
static s32 malloc_owner = -1;
static u32 malloc_depth;
static unsigned long malloc_flags;

void __malloc_lock(struct _reent *r)
{
	extern bool percpu_ready;
	unsigned long flags = local_irq_save();
	s32 me = percpu_ready ? (s32)this_cpu()->id : 0;
	if (malloc_owner == me) {
		malloc_depth++;
		return;
	}
	spin_lock(&malloc_lock);
	malloc_owner = me;
	malloc_depth = 1;
	malloc_flags = flags;
}

void __malloc_unlock(struct _reent *r)
{
	if (--malloc_depth)
		return;
	unsigned long flags = malloc_flags;
	malloc_owner = -1;
	spin_unlock(&malloc_lock);
	local_irq_restore(flags);
}
