// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_stress - every heap under load at once, as TAP.
 *
 *   rmem_heap_stress              the stress run (make check, make soak)
 *   rmem_heap_stress hold HEAP WHAT...
 *                                 lab/guest/lifetime.sh's helper: hold a
 *                                 buffer of HEAP, print "ready", wait for a
 *                                 signal (WHAT: fd, mmap, attach)
 *
 * The stress run: RMEM_STRESS_THREADS threads (default 8) allocate, mmap,
 * sync, write a seeded pattern, verify and free buffers of random sizes up
 * to a quarter of their region, each holding up to two buffers, over every
 * heap (the twin pairs share a pool), so that allocations fail with ENOMEM
 * and are retried once the thread has let go of what it holds.  Meanwhile
 * one process passes buffers over a Unix socket (SCM_RIGHTS) to a child
 * that maps, checks and answers them, and another forks children that map
 * buffers (and attach and map them to a test device of
 * /dev/rmem_heap_importer when it is there) and SIGKILLs them.
 *
 * Afterwards every heap's used and buffers are 0 in sysfs, its debugfs
 * file lists no buffer, and every no-map region, once zero_pending is 0,
 * is allocatable as one buffer.
 *
 * RMEM_STRESS_SEED (default: from the clock; printed), RMEM_STRESS_SECONDS
 * (default 20), RMEM_STRESS_THREADS.  Cycles per second per heap are
 * printed as "# rate HEAP CYCLES/S".
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "rmem_heap_common.h"
#include "importer/rmem_heap_importer.h"

#define MAX_THREADS	64
#define HOLD		3		/* buffers a thread keeps at most */
#define RETRIES		200		/* ENOMEM retries of one allocation */

static struct rh_heap heaps[RH_MAX_HEAPS];
static int nheaps;
static uint64_t seed;
static uint64_t deadline_ns;
static long page;

static int tap_n;
static int tap_failed;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

static void tap_skip(const char *name, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why);
	fflush(stdout);
}

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * The pattern: every word of a buffer up to 1 MiB; of a larger one, every
 * word of its first and last 256 KiB and the first 64 bytes of every page
 * in between (every page is written and read, at a pace that lets the
 * threads fill the regions in a few seconds of an emulated CPU).
 */
#define DENSE		(256 * 1024)
#define STRIPE		64

static int in_pattern(size_t off, size_t len)
{
	return len <= 4 * DENSE || off < DENSE || off >= len - DENSE ||
	       off % (size_t)page < STRIPE;
}

static void fill(void *p, size_t len, uint64_t tag)
{
	uint64_t *w = p;
	size_t i, n = len / sizeof(*w);

	for (i = 0; i < n; i++) {
		if (!in_pattern(i * sizeof(*w), len)) {
			/* on to the next page */
			i = (i * sizeof(*w) / (size_t)page + 1) * (size_t)page / sizeof(*w) - 1;
			continue;
		}
		w[i] = tag ^ (i * 0x9e3779b97f4a7c15ull);
	}
}

/* Offset of the first word that differs, or len. */
static size_t check(const void *p, size_t len, uint64_t tag)
{
	const uint64_t *w = p;
	size_t i, n = len / sizeof(*w);

	for (i = 0; i < n; i++) {
		if (!in_pattern(i * sizeof(*w), len)) {
			i = (i * sizeof(*w) / (size_t)page + 1) * (size_t)page / sizeof(*w) - 1;
			continue;
		}
		if (w[i] != (tag ^ (i * 0x9e3779b97f4a7c15ull)))
			return i * sizeof(*w);
	}
	return len;
}

/*
 * Map @fd, write the pattern @tag bracketed by a write sync, check it
 * bracketed by a read sync.  Returns 0 or a message.
 */
static const char *exercise(int fd, size_t len, uint64_t tag, char *msg, size_t mlen)
{
	void *p;
	size_t bad;
	int ret;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(msg, mlen, "mmap %zu: %s", len, strerror(errno));
		return msg;
	}
	ret = rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	if (!ret) {
		fill(p, len, tag);
		ret = rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	}
	if (!ret)
		ret = rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (ret) {
		munmap(p, len);
		snprintf(msg, mlen, "sync: %s", strerror(-ret));
		return msg;
	}
	bad = check(p, len, tag);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, len);
	if (bad != len) {
		snprintf(msg, mlen, "pattern differs at offset %zu of %zu", bad, len);
		return msg;
	}
	return NULL;
}

static size_t rnd_size(uint64_t *s, const struct rh_heap *h)
{
	uint64_t max = h->size / 2 / (uint64_t)page;

	if (max < 1)
		max = 1;
	/* half of them small (up to 64 pages), half up to half the region */
	if (rnd(s) & 1)
		max = max < 64 ? max : 64;
	return (size_t)((1 + rnd(s) % max) * (uint64_t)page);
}

/* ---------------------------------------------------------------- */
/* the threads                                                      */
/* ---------------------------------------------------------------- */

struct held {
	int fd;
	size_t len;
};

struct thr {
	pthread_t tid;
	int idx;
	uint64_t rng;
	uint64_t cycles[RH_MAX_HEAPS];
	uint64_t enomem[RH_MAX_HEAPS];
	uint64_t gave_up;
	int errors;
	char msg[256];
};

static int heap_fds[RH_MAX_HEAPS];

static void drop_all(struct held *hd, int *nh)
{
	while (*nh > 0)
		close(hd[--(*nh)].fd);
}

static void *thr_fn(void *arg)
{
	struct thr *t = arg;
	struct held hd[HOLD];
	char msg[160];
	int nh = 0;

	while (rh_now_ns() < deadline_ns && !t->errors) {
		int hi = (int)(rnd(&t->rng) % (uint64_t)nheaps);
		size_t len = rnd_size(&t->rng, &heaps[hi]);
		const char *err;
		int fd = -1, ret = -ENOMEM, tries;

		for (tries = 0; tries < RETRIES; tries++) {
			ret = rh_alloc(heap_fds[hi], len, &fd);
			if (ret != -ENOMEM)
				break;
			t->enomem[hi]++;
			/* let go of what this thread holds, then retry */
			drop_all(hd, &nh);
			usleep(1000 + rnd(&t->rng) % 4000);
		}
		if (ret == -ENOMEM) {
			t->gave_up++;
			continue;
		}
		if (ret) {
			snprintf(t->msg, sizeof(t->msg), "%s: alloc %zu: %s",
				 heaps[hi].name, len, strerror(-ret));
			t->errors++;
			break;
		}
		err = exercise(fd, len, rnd(&t->rng), msg, sizeof(msg));
		if (err) {
			snprintf(t->msg, sizeof(t->msg), "%s: %s", heaps[hi].name, err);
			t->errors++;
			close(fd);
			break;
		}
		t->cycles[hi]++;
		/* keep it a while, or free it now */
		if (nh == HOLD || (rnd(&t->rng) & 1)) {
			close(fd);
		} else {
			hd[nh].fd = fd;
			hd[nh++].len = len;
		}
	}
	drop_all(hd, &nh);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* fd passing over a Unix socket                                    */
/* ---------------------------------------------------------------- */

/*
 * The channel: a Unix socket (SCM_RIGHTS) where the kernel has them; the
 * lab's kernels have no networking (CONFIG_NET off), so there the fd's
 * number goes down a pipe and the child takes the fd from its parent with
 * pidfd_getfd(2), which also gives it a new reference to the same file.
 */
struct fdmsg {
	uint64_t len;
	uint64_t tag;
	int32_t fdnum;		/* pipe channel: the fd in the parent, or -1 */
	int32_t pad;
};

static int via_unix;
static int parent_pidfd = -1;

static int send_fd(int tx, int fd, struct fdmsg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	m->fdnum = fd;
	if (!via_unix)
		return write(tx, m, sizeof(*m)) == (ssize_t)sizeof(*m) ? 0 : -1;
	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(tx, &mh, 0) == (ssize_t)sizeof(*m) ? 0 : -1;
}

static int recv_fd(int rx, int *fd, struct fdmsg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	if (!via_unix) {
		if (read(rx, m, sizeof(*m)) != (ssize_t)sizeof(*m))
			return -1;
		if (m->fdnum >= 0 && parent_pidfd >= 0) {
			*fd = (int)syscall(SYS_pidfd_getfd, parent_pidfd, m->fdnum, 0);
			if (*fd < 0)
				printf("# fd child: pidfd_getfd: %s\n", strerror(errno));
		}
		return 0;
	}
	n = recvmsg(rx, &mh, MSG_CMSG_CLOEXEC);
	if (n != (ssize_t)sizeof(*m))
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/*
 * The child: for each buffer received, map it, check the parent's pattern,
 * write the complement's pattern, answer.  len 0 ends it.
 */
static int fd_child(int rx, int tx)
{
	struct fdmsg m;
	int fd;

	if (!via_unix) {
		parent_pidfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
		if (parent_pidfd < 0) {
			printf("# fd child: pidfd_open: %s\n", strerror(errno));
			return 7;
		}
	}
	for (;;) {
		void *p;
		size_t bad;

		if (recv_fd(rx, &fd, &m))
			return 2;
		if (!m.len)
			return 0;
		if (fd < 0)
			return 3;
		p = mmap(NULL, m.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			printf("# fd child: mmap: %s\n", strerror(errno));
			return 4;
		}
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		bad = check(p, m.len, m.tag);
		if (bad != m.len) {
			printf("# fd child: pattern differs at %zu of %" PRIu64 "\n", bad, m.len);
			return 5;
		}
		fill(p, m.len, ~m.tag);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		munmap(p, m.len);
		close(fd);
		if (send_fd(tx, -1, &m))
			return 6;
	}
}

/* The parent's side: returns buffers passed, or -1 (message printed). */
static long fd_parent(uint64_t s)
{
	int sv[2], p2c[2], c2p[2], status, fd, ret, tx, rx;
	long passed = 0;
	struct fdmsg m;
	pid_t pid;

	via_unix = !socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	if (!via_unix) {
		printf("# fd passing: no Unix socket (%s): pidfd_getfd(2) instead\n",
		       strerror(errno));
		if (pipe2(p2c, O_CLOEXEC) || pipe2(c2p, O_CLOEXEC)) {
			printf("# fd passing: pipe: %s\n", strerror(errno));
			return -1;
		}
	} else {
		printf("# fd passing: over a Unix socket (SCM_RIGHTS)\n");
	}
	pid = fork();
	if (pid < 0) {
		printf("# fd passing: fork: %s\n", strerror(errno));
		return -1;
	}
	if (!pid) {
		if (via_unix) {
			close(sv[0]);
			_exit(fd_child(sv[1], sv[1]));
		}
		close(p2c[1]);
		close(c2p[0]);
		_exit(fd_child(p2c[0], c2p[1]));
	}
	if (via_unix) {
		close(sv[1]);
		tx = rx = sv[0];
	} else {
		close(p2c[0]);
		close(c2p[1]);
		tx = p2c[1];
		rx = c2p[0];
	}
	while (rh_now_ns() < deadline_ns) {
		int hi = (int)(rnd(&s) % (uint64_t)nheaps);
		size_t len = rnd_size(&s, &heaps[hi]);
		void *p;

		ret = rh_alloc(heap_fds[hi], len, &fd);
		if (ret == -ENOMEM) {
			usleep(2000);
			continue;
		}
		if (ret) {
			printf("# fd passing: %s: alloc %zu: %s\n", heaps[hi].name, len,
			       strerror(-ret));
			passed = -1;
			break;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			printf("# fd passing: mmap: %s\n", strerror(errno));
			close(fd);
			passed = -1;
			break;
		}
		m.len = len;
		m.tag = rnd(&s);
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill(p, len, m.tag);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		if (send_fd(tx, fd, &m) || recv_fd(rx, &ret, &m)) {
			printf("# fd passing: the child did not answer\n");
			munmap(p, len);
			close(fd);
			passed = -1;
			break;
		}
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		if (check(p, len, ~m.tag) != len) {
			printf("# fd passing: %s: the child's pattern is not there\n",
			       heaps[hi].name);
			passed = -1;
		}
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap(p, len);
		close(fd);
		if (passed < 0)
			break;
		passed++;
	}
	memset(&m, 0, sizeof(m));
	send_fd(tx, -1, &m);
	close(tx);
	if (rx != tx)
		close(rx);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# fd passing: the child ended with status 0x%x\n", status);
		return -1;
	}
	return passed;
}

/* ---------------------------------------------------------------- */
/* processes killed with buffers mapped and attached                */
/* ---------------------------------------------------------------- */

/* A test device of the importer (non-coherent where there is one); -errno. */
static int importer_dev(int ifd, uint32_t *dev_id)
{
	struct rhi_dev_create c;

	memset(&c, 0, sizeof(c));
	c.dma_bits = 32;
	if (ioctl(ifd, RHI_IOC_DEV_CREATE, &c)) {
		if (errno != EOPNOTSUPP)
			return -errno;
		memset(&c, 0, sizeof(c));
		c.flags = RHI_DEV_COHERENT;
		c.dma_bits = 32;
		if (ioctl(ifd, RHI_IOC_DEV_CREATE, &c))
			return -errno;
	}
	*dev_id = c.dev_id;
	return 0;
}

/* Attach @fd to the device and map it; -errno. */
static int importer_attach_map(int ifd, uint32_t dev_id, int fd)
{
	struct rhi_attach a;
	struct rhi_map m;

	memset(&a, 0, sizeof(a));
	a.dev_id = dev_id;
	a.fd = fd;
	if (ioctl(ifd, RHI_IOC_ATTACH, &a))
		return -errno;
	memset(&m, 0, sizeof(m));
	m.attach_id = a.attach_id;
	m.dir = RHI_DIR_BIDIRECTIONAL;
	if (ioctl(ifd, RHI_IOC_MAP, &m))
		return -errno;
	return 0;
}

/*
 * The victim: up to three buffers mapped and written, the non-coherent
 * heaps' ones attached and mapped to a test device; one byte on @wr once
 * everything is in place ('A' with attachments, 'M' without), then it
 * sleeps until killed.
 */
static void victim(uint64_t s, int wr, int ifd)
{
	uint32_t dev_id = 0;
	int i, n = 1 + (int)(rnd(&s) % 3), attached = 0;
	char c;

	if (ifd >= 0 && importer_dev(ifd, &dev_id))
		ifd = -1;
	for (i = 0; i < n; i++) {
		int hi = (int)(rnd(&s) % (uint64_t)nheaps);
		size_t len = rnd_size(&s, &heaps[hi]);
		void *p;
		int fd;

		if (rh_alloc(heap_fds[hi], len, &fd))
			continue;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(10);
		fill(p, len, s);
		if (ifd >= 0 && heaps[hi].policy != RH_COHERENT) {
			int ret = importer_attach_map(ifd, dev_id, fd);

			if (ret) {
				printf("# victim: %s: attach/map %zu: %s\n", heaps[hi].name, len,
				       strerror(-ret));
				_exit(11);
			}
			attached++;
		}
		/* the fd stays open in half of them, the mapping in all */
		if (rnd(&s) & 1)
			close(fd);
	}
	c = attached ? 'A' : 'M';
	if (write(wr, &c, 1) != 1)
		_exit(12);
	for (;;)
		pause();
}

/* Returns 0, or -1 (message printed); counts kills. */
static int killer(uint64_t s, long *kills, long *kills_attached)
{
	int have_importer = !access(RHI_DEVICE, R_OK | W_OK);

	while (rh_now_ns() < deadline_ns) {
		int p[2], status, ifd = -1;
		uint64_t vs = rnd(&s);
		pid_t pid;
		char c = 0;

		if (pipe(p))
			return -1;
		if (have_importer) {
			ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
			if (ifd < 0) {
				printf("# killer: %s: %s\n", RHI_DEVICE, strerror(errno));
				return -1;
			}
		}
		pid = fork();
		if (pid < 0)
			return -1;
		if (!pid) {
			close(p[0]);
			victim(vs, p[1], ifd);
		}
		/* only the victim holds the importer's file */
		if (ifd >= 0)
			close(ifd);
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			c = 0;
		close(p[0]);
		/* a moment with everything in place, then SIGKILL */
		usleep(rnd(&s) % 20000);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) != pid)
			return -1;
		if (!c) {
			printf("# killer: the victim failed before it was killed (status 0x%x)\n",
			       status);
			return -1;
		}
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			printf("# killer: victim status 0x%x\n", status);
			return -1;
		}
		(*kills)++;
		if (c == 'A')
			(*kills_attached)++;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* afterwards                                                       */
/* ---------------------------------------------------------------- */

/* Lines of /sys/kernel/debug/rmem_heap/<heap> other than the header; -errno. */
static int debugfs_buffers(const char *heap)
{
	char path[256], buf[8192], *l;
	ssize_t n;
	int count = 0;

	snprintf(path, sizeof(path), RH_DEBUGFS "/%s", heap);
	n = rh_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (l = buf; *l; ) {
		char *e = strchr(l, '\n');

		if (*l != '#') {
			count++;
			printf("# %s: live buffer: %.*s\n", heap, e ? (int)(e - l) : (int)strlen(l), l);
		}
		if (!e)
			break;
		l = e + 1;
	}
	return count;
}

static uint64_t attr_or(const char *heap, const char *name, uint64_t dflt)
{
	char h[RH_NAME_LEN];
	uint64_t v;

	/* a bounded copy: the name's length is then known to the compiler */
	snprintf(h, sizeof(h), "%.*s", RH_NAME_LEN - 1, heap);
	return rh_read_u64(h, name, &v) ? dflt : v;
}

static void afterwards(void)
{
	int i, dbg;

	if (access(RH_DEBUGFS, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	dbg = !access(RH_DEBUGFS, R_OK);
	for (i = 0; i < nheaps; i++) {
		const struct rh_heap *h = &heaps[i];
		uint64_t used = attr_or(h->name, "used", UINT64_MAX);
		uint64_t bufs = attr_or(h->name, "buffers", UINT64_MAX);

		tap(!used && !bufs, "stress.%s.usage_zero # used %" PRIu64 " buffers %" PRIu64,
		    h->name, used, bufs);
		if (dbg) {
			int n = debugfs_buffers(h->name);

			tap(n == 0, "stress.%s.debugfs_empty # %d live", h->name, n);
		} else {
			tap(0, "stress.%s.debugfs_empty # no %s", h->name, RH_DEBUGFS);
		}
	}
	for (i = 0; i < nheaps; i++) {
		const struct rh_heap *h = &heaps[i];
		uint64_t pending = 1;
		int k, ret, fd;

		if (h->reusable != 0)
			continue;
		for (k = 0; k < 3000; k++) {
			pending = attr_or(h->name, "zero_pending", UINT64_MAX);
			if (!pending)
				break;
			usleep(10000);
		}
		if (pending) {
			tap(0, "stress.%s.whole_region # zero_pending still %" PRIu64 " after 30 s",
			    h->name, pending);
			continue;
		}
		ret = rh_alloc(heap_fds[i], h->size, &fd);
		tap(!ret, "stress.%s.whole_region # %" PRIu64 " bytes as one buffer%s%s",
		    h->name, h->size, ret ? ": " : "", ret ? strerror(-ret) : "");
		if (!ret)
			close(fd);
	}
}

/* ---------------------------------------------------------------- */
/* hold: lab/guest/lifetime.sh's helper                             */
/* ---------------------------------------------------------------- */

static void on_term(int sig)
{
	(void)sig;
}

/*
 * hold HEAP WHAT...: a 1 MiB buffer of HEAP held by each WHAT (fd: its
 * dma-buf fd; mmap: a mapping, the fd closed; attach: a test importer
 * attachment, mapped, and a CPU access through dma_buf_vmap() done
 * before, the fd closed).  Prints "ready", then waits for SIGTERM and
 * lets go of everything (or is killed and the kernel does).
 */
static int hold(int argc, char **argv)
{
	const size_t len = RH_MIB;
	int hfd, i, ifd = -1;
	struct sigaction sa;
	void *maps[8];
	int fds[8], nm = 0, nf = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: rmem_heap_stress hold HEAP fd|mmap|attach...\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	hfd = rh_open_heap(argv[0]);
	if (hfd < 0) {
		fprintf(stderr, "hold: open %s: %s\n", argv[0], strerror(-hfd));
		return 1;
	}
	for (i = 1; i < argc && i < 9; i++) {
		int fd, ret = rh_alloc(hfd, len, &fd);

		if (ret) {
			fprintf(stderr, "hold: alloc: %s\n", strerror(-ret));
			return 1;
		}
		if (!strcmp(argv[i], "fd")) {
			fds[nf++] = fd;
		} else if (!strcmp(argv[i], "mmap")) {
			void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

			if (p == MAP_FAILED) {
				fprintf(stderr, "hold: mmap: %s\n", strerror(errno));
				return 1;
			}
			fill(p, len, 1);
			maps[nm++] = p;
			close(fd);
		} else if (!strcmp(argv[i], "attach")) {
			struct rhi_cpu c;
			uint32_t dev_id;

			if (ifd < 0)
				ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
			if (ifd < 0) {
				fprintf(stderr, "hold: %s: %s\n", RHI_DEVICE, strerror(errno));
				return 1;
			}
			ret = importer_dev(ifd, &dev_id);
			if (!ret)
				ret = importer_attach_map(ifd, dev_id, fd);
			memset(&c, 0, sizeof(c));
			c.fd = fd;
			c.op = RHI_CPU_FILL;
			c.length = len;
			c.byte = 0x5a;
			if (!ret && ioctl(ifd, RHI_IOC_CPU, &c))
				ret = -errno;
			if (ret) {
				fprintf(stderr, "hold: importer: %s\n", strerror(-ret));
				return 1;
			}
			close(fd);
		} else {
			fprintf(stderr, "hold: unknown %s\n", argv[i]);
			return 2;
		}
	}
	close(hfd);
	printf("ready\n");
	fflush(stdout);
	pause();
	for (i = 0; i < nm; i++)
		munmap(maps[i], len);
	for (i = 0; i < nf; i++)
		close(fds[i]);
	if (ifd >= 0)
		close(ifd);
	return 0;
}

/* ---------------------------------------------------------------- */

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : dflt;
}

int main(int argc, char **argv)
{
	static struct thr t[MAX_THREADS];
	uint64_t t0, cycles[RH_MAX_HEAPS] = { 0 }, enomem[RH_MAX_HEAPS] = { 0 };
	long nthreads, seconds, passed, kills = 0, kills_att = 0;
	int i, errors = 0, twin = 0, kret, fstatus, kstatus;
	uint64_t gave_up = 0;
	pid_t fpid, kpid;
	double secs;
	const char *v;

	page = sysconf(_SC_PAGESIZE);
	if (argc > 1 && !strcmp(argv[1], "hold"))
		return hold(argc - 2, argv + 2);
	setvbuf(stdout, NULL, _IOLBF, 0);

	v = getenv("RMEM_STRESS_SEED");
	seed = v && *v ? strtoull(v, NULL, 0) : (rh_now_ns() ^ (uint64_t)getpid() << 32);
	nthreads = env_long("RMEM_STRESS_THREADS", 8);
	seconds = env_long("RMEM_STRESS_SECONDS", 20);
	if (nthreads < 1 || nthreads > MAX_THREADS || seconds < 1) {
		fprintf(stderr, "RMEM_STRESS_THREADS 1..%d, RMEM_STRESS_SECONDS >= 1\n", MAX_THREADS);
		return 2;
	}
	printf("TAP version 13\n");
	printf("# seed %" PRIu64 " (RMEM_STRESS_SEED=%" PRIu64 " reproduces the choices), "
	       "%ld threads, %ld s\n", seed, seed, nthreads, seconds);

	nheaps = rh_discover(heaps, RH_MAX_HEAPS);
	if (nheaps <= 0) {
		printf("1..0 # no heap in %s\n", RH_SYSFS);
		printf("Bail out! no heap\n");
		return 1;
	}
	for (i = 0; i < nheaps; i++) {
		char twin_name[RH_NAME_LEN + 16];

		char nm[RH_NAME_LEN];

		snprintf(nm, sizeof(nm), "%.*s", RH_NAME_LEN - 1, heaps[i].name);
		snprintf(twin_name, sizeof(twin_name), "%s-uncached", nm);
		if (rh_find(heaps, nheaps, twin_name))
			twin++;
		heap_fds[i] = rh_open_heap(nm);
		if (heap_fds[i] < 0) {
			printf("Bail out! open %s: %s\n", heaps[i].name, strerror(-heap_fds[i]));
			return 1;
		}
		printf("# heap %s: %" PRIu64 " bytes, %s, %s, used %" PRIu64 " at start\n",
		       heaps[i].name, heaps[i].size, rh_type_str(heaps[i].reusable),
		       rh_policy_str(heaps[i].policy), attr_or(heaps[i].name, "used", 0));
	}
	/* usage, debugfs per heap, whole region per no-map heap, 6 more */
	for (i = 0, kret = 0; i < nheaps; i++)
		kret += heaps[i].reusable == 0;
	printf("1..%d\n", 6 + 2 * nheaps + kret);
	tap(twin > 0 && nheaps > 2 * twin, "stress.heaps # %d heaps, %d twin pairs", nheaps, twin);

	deadline_ns = rh_now_ns() + (uint64_t)seconds * 1000000000ull;
	t0 = rh_now_ns();
	/* the processes first: fork() before any thread */
	fpid = fork();
	if (!fpid) {
		passed = fd_parent(seed ^ 0xf0f0f0f0ull);
		printf("# fd passing: %ld buffers passed to a child and checked both ways\n", passed);
		_exit(passed > 0 ? 0 : 1);
	}
	kpid = fork();
	if (!kpid) {
		int ret = killer(seed ^ 0x0f0f0f0full, &kills, &kills_att);

		printf("# killed: %ld processes with buffers mapped, %ld of them with attachments\n",
		       kills, kills_att);
		/* 0: ok; 1: failed; 2: no process was killed with attachments */
		_exit(ret || !kills ? 1 : kills_att ? 0 : 2);
	}
	for (i = 0; i < nthreads; i++) {
		t[i].idx = i;
		t[i].rng = seed + (uint64_t)i * 0x1000193;
		if (pthread_create(&t[i].tid, NULL, thr_fn, &t[i])) {
			printf("Bail out! pthread_create\n");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++) {
		int h;

		pthread_join(t[i].tid, NULL);
		if (t[i].errors)
			printf("# thread %d: %s\n", i, t[i].msg);
		errors += t[i].errors;
		gave_up += t[i].gave_up;
		for (h = 0; h < nheaps; h++) {
			cycles[h] += t[i].cycles[h];
			enomem[h] += t[i].enomem[h];
		}
	}
	secs = (double)(rh_now_ns() - t0) / 1e9;
	fstatus = kstatus = -1;
	waitpid(fpid, &fstatus, 0);
	waitpid(kpid, &kstatus, 0);
	secs = secs < 1e-3 ? 1e-3 : secs;

	kret = 0;
	for (i = 0; i < nheaps; i++) {
		printf("# rate %s %.1f cycles/s (%" PRIu64 " cycles, %" PRIu64 " ENOMEM retries)\n",
		       heaps[i].name, (double)cycles[i] / secs, cycles[i], enomem[i]);
		kret += !cycles[i];
	}
	printf("# threads ran %.1f s; %" PRIu64 " allocations gave up after %d ENOMEM\n",
	       secs, gave_up, RETRIES);
	tap(!errors && !kret, "stress.threads # %d errors, %d heaps without a cycle", errors, kret);
	for (i = 0, kret = 0; i < nheaps; i++)
		kret += enomem[i] > 0;
	tap(kret > 0, "stress.near_full # %d heaps ran out of space (ENOMEM) and were retried",
	    kret);
	tap(WIFEXITED(fstatus) && !WEXITSTATUS(fstatus), "stress.fd_passing");
	tap(WIFEXITED(kstatus) && WEXITSTATUS(kstatus) != 1, "stress.kill_mapped");
	if (access(RHI_DEVICE, F_OK))
		tap_skip("stress.kill_attached", "no " RHI_DEVICE " (insmod rmem_heap_importer.ko)");
	else
		tap(WIFEXITED(kstatus) && !WEXITSTATUS(kstatus), "stress.kill_attached");
	afterwards();
	for (i = 0; i < nheaps; i++)
		close(heap_fds[i]);
	printf("# seed %" PRIu64 "\n", seed);
	return tap_failed ? 1 : 0;
}
