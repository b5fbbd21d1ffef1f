// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_fuzz: a deterministic, seeded fuzzer over the heap nodes
 * (/dev/dma_heap/<name>), the control device (/dev/rmem_heap) and the
 * dma-bufs they give: random lengths (0, 1, page-1, the region, huge, -1),
 * ioctl numbers (type, number, direction and size field), fd_flags,
 * heap_flags, the fd field, DMA_BUF_IOCTL_SYNC flags, DMA_BUF_SET_NAME
 * strings, mmap offsets, lengths and protections, partial munmap and
 * mprotect, closes and dups, buffers handed between threads.
 *
 *   rmem_heap_fuzz [--seed N] [--ops M] [--threads T] [--heap NAME]
 *                  [--diff-cases K] [--no-diff] [--only OP,OP...]
 *
 * Every thread draws its inputs from its own generator, seeded from N and
 * its index, so the inputs of a run are reproducible from the printed seed
 * (the threads' interleaving is not).  A failure prints the seed, the
 * thread, the operation's index and its input.
 *
 * Checks: every answer is one the ABI allows for that input (e.g. a
 * non-zero fd field, unknown fd_flags or any heap_flags are EINVAL; a
 * successful allocation has the rounded length; a mapping never passes the
 * end of the buffer and reads back what was written); after the run every
 * heap's "used" and "buffers" in sysfs are back to 0.
 *
 * Differential ("differential"): the same seeded DMA_HEAP_IOCTL_ALLOC
 * inputs go to each of our heap nodes and to the kernel's own "system"
 * heap, a node of the kernel's dma-heap framework; for every input the
 * framework decides by itself (ioctl number and size, fd, fd_flags,
 * heap_flags, a length that rounds to 0) and for one-page allocations the
 * answers (success or the errno) must be the same.  Inputs the framework
 * would pass on to the system heap with a large length are not sent to it
 * (the system heap has no limit of its own and would invoke the OOM
 * killer).
 *
 * Output is TAP: one result per heap ("<heap>") and "differential".
 */

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <linux/rmem_heap.h>

#include "rmem_heap_common.h"

#define CTL_NODE	"/dev/" RMEM_HEAP_CONTROL_NODE
#define SYSTEM_NODE	RH_DEVDIR "/system"
#define SLOTS		8
#define MAPS		8
#define MAX_THREADS	16
#define ARG_BYTES	16384	/* the largest _IOC_SIZE is 16383 */
#define SHARED		16

static uint64_t opt_seed;
static uint64_t opt_ops = 200000;
static int opt_threads = 4;
static const char *opt_heap;
static int opt_diff_cases = 2000;
static int opt_no_diff;
static unsigned int opt_only = ~0u;	/* --only: a mask of op_kinds[] */
static long page;

static atomic_long failures;
static uint64_t total_done;	/* operations run over every heap */

/* splitmix64: small, fast and good enough to pick inputs */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static int one_in(uint64_t *s, unsigned int n)
{
	return below(s, n) == 0;
}

static uint64_t page_align(uint64_t len)
{
	return (len + (uint64_t)page - 1) & ~((uint64_t)page - 1);
}

/*
 * An allocation length: the boundaries first, then anything.  The whole
 * region and its large fractions are drawn one time in eight their share:
 * each one that succeeds zeroes and cleans megabytes, and at 1 in 32 they
 * took half of a no-map heap's run on the lab's emulated boards.
 */
static uint64_t pick_len(uint64_t *s, uint64_t region)
{
	uint64_t kind = below(s, 32);

	if ((kind == 4 || kind == 10) && !one_in(s, 8))
		kind = 31;
	switch (kind) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return (uint64_t)page - 1;
	case 3:
		return (uint64_t)page + 1;
	case 4:
		return region;
	case 5:
		return region + 1;
	case 6:
		return UINT64_MAX;
	case 7:
		return UINT64_MAX - (uint64_t)page + 2;	/* rounds to 0 */
	case 8:
		return 1ull << (32 + below(s, 31));
	case 9:
		return rnd(s);
	case 10:
		return region / (1 + below(s, 8));
	default:
		/* most: up to 4 pages, so that a run is many operations */
		return 1 + below(s, 4 * (uint64_t)page);
	}
}

static uint32_t pick_fd_flags(uint64_t *s)
{
	static const uint32_t ok[] = { O_RDWR, O_RDWR | O_CLOEXEC, O_RDONLY,
				       O_WRONLY | O_CLOEXEC, O_RDONLY | O_CLOEXEC };

	if (one_in(s, 12))
		return (uint32_t)rnd(s);
	if (one_in(s, 12))
		return O_RDWR | (1u << below(s, 32));
	return ok[below(s, sizeof(ok) / sizeof(ok[0]))];
}

/* An ioctl number for DMA_HEAP_IOCTL_ALLOC, mostly right. */
static unsigned long pick_alloc_cmd(uint64_t *s)
{
	static const unsigned int sizes[] = { 0, 4, 8, 12, 16, 20, 23, 24, 25, 32,
					      64, 128, 129, 256, 4096, 16383 };
	static const unsigned int dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE,
					     _IOC_READ | _IOC_WRITE };
	unsigned int type = DMA_HEAP_IOC_MAGIC, nr = 0;
	unsigned int dir = _IOC_READ | _IOC_WRITE;
	unsigned int size = sizeof(struct dma_heap_allocation_data);

	if (one_in(s, 3))
		return DMA_HEAP_IOCTL_ALLOC;
	if (one_in(s, 4))
		size = sizes[below(s, sizeof(sizes) / sizeof(sizes[0]))];
	if (one_in(s, 8))
		dir = dirs[below(s, 4)];
	if (one_in(s, 16))
		nr = one_in(s, 2) ? 1 + (unsigned int)below(s, 4) : (unsigned int)below(s, 256);
	if (one_in(s, 16))
		type = one_in(s, 2) ? 'b' : (unsigned int)below(s, 256);
	return _IOC(dir, type, nr, size);
}

static const char *answer(int err)
{
	return err ? strerror(err) : "success";
}

/* /dev/dma_heap/<name>: an fd or -errno */
static int open_node(const char *name)
{
	char path[RH_NAME_LEN + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%.*s", RH_DEVDIR, RH_NAME_LEN - 1, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void fail(const char *heap, int t, uint64_t op, const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	printf("# FAIL %s seed=%llu thread=%d op=%llu: ", heap,
	       (unsigned long long)opt_seed, t, (unsigned long long)op);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	funlockfile(stdout);
	atomic_fetch_add(&failures, 1);
}

/* -------------------------------------------------------------------- */
/* The threaded fuzzer over one heap                                    */

struct buf {
	int fd;			/* -1: empty */
	uint64_t size;		/* the dma-buf's size (rounded) */
	int acc;		/* O_ACCMODE of the fd */
};

struct map {
	char *p;
	size_t len;		/* the mapped length (whole pages) */
	size_t valid;		/* bytes of it inside the buffer */
	int prot;
};

struct fuzz {
	const struct rh_heap *heap;
	int heap_fd;
	int ctl_fd;		/* -1 without the control device */
	pthread_mutex_t lock;	/* shared[] */
	struct buf shared[SHARED];
	int nshared;
	atomic_llong done, allocs, maps, errors;
};

struct worker {
	struct fuzz *f;
	int t;
	uint64_t s;
	uint64_t op;
	uint64_t ops;		/* this thread's share */
	struct buf b[SLOTS];
	struct map m[MAPS];
	unsigned char *arg;	/* ARG_BYTES */
};

#define WFAIL(w, ...) fail((w)->f->heap->name, (w)->t, (w)->op, __VA_ARGS__)

static struct buf *free_slot(struct worker *w)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (w->b[i].fd < 0)
			return &w->b[i];
	return NULL;
}

static struct buf *some_buf(struct worker *w)
{
	struct buf *b = &w->b[below(&w->s, SLOTS)];

	return b->fd >= 0 ? b : NULL;
}

static void put_buf(struct buf *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static void op_close(struct worker *w)
{
	put_buf(&w->b[below(&w->s, SLOTS)]);
}

static void op_alloc(struct worker *w)
{
	struct dma_heap_allocation_data *d = (void *)w->arg;
	unsigned long cmd = pick_alloc_cmd(&w->s);
	uint64_t len = pick_len(&w->s, w->f->heap->size);
	uint32_t fd_flags = pick_fd_flags(&w->s);
	uint64_t heap_flags = one_in(&w->s, 16) ? rnd(&w->s) | 1 : 0;
	uint32_t fdin = one_in(&w->s, 16) ? (uint32_t)rnd(&w->s) | 1 : 0;
	unsigned int size = _IOC_SIZE(cmd);
	int in = (_IOC_DIR(cmd) & _IOC_WRITE) != 0;
	int out = (_IOC_DIR(cmd) & _IOC_READ) != 0;
	struct buf *slot = free_slot(w);
	struct dma_heap_allocation_data eff;
	int ret, err, exact, bad_in;

	/*
	 * A number that cannot return the fd (no read direction, or a size
	 * that ends before the fd field) gets an input that must fail, so no
	 * fd is installed that this thread cannot see (the differential
	 * checks those numbers' successes, single-threaded).
	 */
	if (!out || size < 12 || !in)
		len = 0;
	if (!slot)
		len = 0;

	memset(w->arg, 0, 4096);
	if (one_in(&w->s, 8))
		memset(w->arg + sizeof(*d), (int)below(&w->s, 256), 64);
	d->len = len;
	d->fd = fdin;
	d->fd_flags = fd_flags;
	d->heap_flags = heap_flags;

	/* what the kernel reads: in_size bytes, the rest zero */
	memset(&eff, 0, sizeof(eff));
	if (in)
		memcpy(&eff, w->arg, size < sizeof(eff) ? size : sizeof(eff));
	bad_in = eff.len == 0 || eff.fd || eff.heap_flags ||
		 (eff.fd_flags & ~(uint32_t)(O_ACCMODE | O_CLOEXEC));

	ret = ioctl(w->f->heap_fd, cmd, w->arg);
	err = ret < 0 ? errno : 0;
	atomic_fetch_add(&w->f->allocs, 1);

	/* exact: the framework's own ioctl number (type 'H', number 0) */
	exact = _IOC_TYPE(cmd) == DMA_HEAP_IOC_MAGIC && _IOC_NR(cmd) == 0;
	if (_IOC_NR(cmd) != 0) {
		if (err != EINVAL)
			WFAIL(w, "alloc cmd %#lx: %s, want EINVAL", cmd, answer(err));
		return;
	}
	if (!err) {
		int fd = (int)d->fd;
		off_t end;

		if (bad_in || !out || size < 12) {
			WFAIL(w, "alloc cmd %#lx len %#llx fd %u fd_flags %#x heap_flags %#llx succeeded",
			      cmd, (unsigned long long)eff.len, eff.fd, eff.fd_flags,
			      (unsigned long long)eff.heap_flags);
			return;
		}
		end = lseek(fd, 0, SEEK_END);
		/*
		 * The framework's length is a size_t: a 32-bit kernel in
		 * dma-heap mode allocates the low 32 bits of a larger one.
		 */
		if (end < 0 || ((uint64_t)end != page_align(eff.len) &&
				(sizeof(long) != 4 || (uint64_t)end != page_align((uint32_t)eff.len))))
			WFAIL(w, "alloc len %#llx: dma-buf of %lld bytes",
			      (unsigned long long)eff.len, (long long)end);
		if (!slot || end < 0) {
			close(fd);
			return;
		}
		slot->fd = fd;
		slot->size = (uint64_t)end;
		slot->acc = (int)(eff.fd_flags & O_ACCMODE);
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC) != !(eff.fd_flags & O_CLOEXEC))
			WFAIL(w, "alloc fd_flags %#x: close-on-exec not as asked", eff.fd_flags);
		return;
	}
	atomic_fetch_add(&w->f->errors, 1);
	if (!exact) {
		/* another type: the framework's ABI has no answer but these */
		if (err != ENOTTY && err != EINVAL && err != ENOMEM)
			WFAIL(w, "alloc cmd %#lx: %s", cmd, answer(err));
		return;
	}
	if (bad_in) {
		if (err != EINVAL)
			WFAIL(w, "alloc cmd %#lx len %#llx fd %u fd_flags %#x heap_flags %#llx: %s, want EINVAL",
			      cmd, (unsigned long long)eff.len, eff.fd, eff.fd_flags,
			      (unsigned long long)eff.heap_flags, answer(err));
		return;
	}
	if (err != ENOMEM && err != EINVAL && err != EMFILE)
		WFAIL(w, "alloc len %#llx fd_flags %#x: %s", (unsigned long long)eff.len,
		      eff.fd_flags, answer(err));
}

static void unmap_one(struct map *m)
{
	if (m->p)
		munmap(m->p, m->len);
	m->p = NULL;
}

static void op_mmap(struct worker *w)
{
	struct buf *b = some_buf(w);
	struct map *m = &w->m[below(&w->s, MAPS)];
	static const int prots[] = { PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE,
				     PROT_NONE, PROT_READ | PROT_EXEC,
				     PROT_READ | PROT_WRITE | PROT_EXEC };
	uint64_t off, len, pages;
	int prot, flags = MAP_SHARED;
	size_t i;
	char *p;

	if (!b)
		return;
	pages = b->size / (uint64_t)page;
	switch (below(&w->s, 6)) {
	case 0:
		off = 0;
		break;
	case 1:
		off = b->size;
		break;
	case 2:
		off = (pages + 1) * (uint64_t)page;
		break;
	case 3:
		off = (uint64_t)rnd(&w->s) & ~((uint64_t)page - 1) & ((1ull << 40) - 1);
		break;
	default:
		off = below(&w->s, pages) * (uint64_t)page;
	}
	switch (below(&w->s, 6)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = b->size + 1;
		break;
	case 2:
		len = 1;
		break;
	case 3:
		/*
		 * Past the end: by a few pages, or (1 in 16) by far.  A failed
		 * mmap() costs the kernel time in proportion to its length on
		 * 32-bit ARM (0.45 s for 1 GiB on 6.12 zynq under QEMU), and
		 * one in six mappings of a GiB or so took most of the suite.
		 */
		if (one_in(&w->s, 16))
			len = 1ull << (20 + below(&w->s, 20));
		else
			len = b->size + (uint64_t)page * (1 + below(&w->s, 16));
		break;
	default:
		len = b->size - (off < b->size ? off : 0);
		len = 1 + below(&w->s, len ? len : 1);
	}
	prot = one_in(&w->s, 16) ? (int)rnd(&w->s) & 0xff : prots[below(&w->s, 6)];
	if (one_in(&w->s, 8))
		flags = MAP_PRIVATE;
	if (len > ((size_t)-1) / 2)
		len = ((size_t)-1) / 2;
	unmap_one(m);
	p = mmap(NULL, (size_t)len, prot, flags, b->fd, (off_t)off);
	atomic_fetch_add(&w->f->maps, 1);
	if (p == MAP_FAILED) {
		atomic_fetch_add(&w->f->errors, 1);
		return;
	}
	if (len == 0 || off + page_align(len) > b->size) {
		WFAIL(w, "mmap of a %llu-byte buffer at %#llx for %#llx bytes succeeded",
		      (unsigned long long)b->size, (unsigned long long)off,
		      (unsigned long long)len);
		munmap(p, (size_t)len);
		return;
	}
	if (flags == MAP_SHARED && (prot & PROT_WRITE) && b->acc != O_RDWR)
		WFAIL(w, "shared writable mmap of an fd opened with access mode %d", b->acc);
	m->p = p;
	m->len = (size_t)page_align(len);
	m->valid = (size_t)len;
	m->prot = prot;
	if ((prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE) &&
	    flags == MAP_PRIVATE) {
		/* a private copy: written and read back, nothing more */
		p[0] = 0x5a;
		if (p[0] != 0x5a)
			WFAIL(w, "private mapping does not read back");
		return;
	}
	if ((prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE)) {
		unsigned char v = (unsigned char)rnd(&w->s);
		size_t step = (size_t)page;

		if (m->valid > 16 * step)
			step = m->valid / 16;
		for (i = 0; i < m->valid; i += step)
			p[i] = (char)v;
		p[m->valid - 1] = (char)v;
		for (i = 0; i < m->valid; i += step)
			if ((unsigned char)p[i] != v)
				WFAIL(w, "mapping at %#llx: byte %zu reads %#x, wrote %#x",
				      (unsigned long long)off, i, (unsigned char)p[i], v);
	} else if (prot & PROT_READ) {
		volatile char c = p[m->valid - 1];

		(void)c;
	}
}

static void op_munmap(struct worker *w)
{
	struct map *m = &w->m[below(&w->s, MAPS)];
	size_t pages, first;

	if (!m->p)
		return;
	pages = m->len / (size_t)page;
	switch (below(&w->s, 3)) {
	case 0:
		unmap_one(m);
		break;
	case 1:
		/* one page out of the middle: the VMA splits */
		if (pages > 2) {
			first = 1 + (size_t)below(&w->s, pages - 2);
			munmap(m->p + first * (size_t)page, (size_t)page);
			/* keep the first part only */
			munmap(m->p + (first + 1) * (size_t)page, (pages - first - 1) * (size_t)page);
			m->len = first * (size_t)page;
			if (m->valid > m->len)
				m->valid = m->len;
		} else {
			unmap_one(m);
		}
		break;
	default:
		if (mprotect(m->p, m->len, one_in(&w->s, 2) ? PROT_READ : PROT_NONE) == 0)
			m->prot = PROT_NONE; /* do not touch it again */
	}
}

static void op_sync(struct worker *w)
{
	struct buf *b = some_buf(w);
	struct dma_buf_sync sync;
	uint64_t flags;
	int ret, err, valid;

	if (!b)
		return;
	switch (below(&w->s, 4)) {
	case 0:
		flags = rnd(&w->s);
		break;
	case 1:
		flags = below(&w->s, 16);
		break;
	default:
		flags = (below(&w->s, 2) ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START) |
			(1 + below(&w->s, 3));
	}
	sync.flags = flags;
	ret = ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &sync);
	err = ret < 0 ? errno : 0;
	valid = !(flags & ~DMA_BUF_SYNC_VALID_FLAGS_MASK) && (flags & DMA_BUF_SYNC_RW);
	if (valid && err)
		WFAIL(w, "DMA_BUF_IOCTL_SYNC %#llx: %s", (unsigned long long)flags, strerror(err));
	if (!valid && err != EINVAL)
		WFAIL(w, "DMA_BUF_IOCTL_SYNC %#llx: %s, want EINVAL", (unsigned long long)flags,
		      err ? strerror(err) : "success");
	/*
	 * A START is closed by its END at once: a buffer freed inside an open
	 * bracket is the known defect open_bracket checks (see there), not
	 * fuzzed again here.
	 */
	if (valid && !err && !(flags & DMA_BUF_SYNC_END)) {
		sync.flags = flags | DMA_BUF_SYNC_END;
		if (ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &sync))
			WFAIL(w, "DMA_BUF_IOCTL_SYNC %#llx: %s", (unsigned long long)sync.flags,
			      strerror(errno));
	}
}

static void op_set_name(struct worker *w)
{
	struct buf *b = some_buf(w);
	char name[64];
	size_t n, i;
	int ret;

	if (!b)
		return;
	n = (size_t)below(&w->s, sizeof(name));
	for (i = 0; i < n; i++)
		name[i] = (char)(one_in(&w->s, 4) ? rnd(&w->s) : 'a' + below(&w->s, 26));
	name[n < sizeof(name) ? n : sizeof(name) - 1] = 0;
	if (one_in(&w->s, 16)) {
		/* an unreadable pointer */
		ret = ioctl(b->fd, DMA_BUF_SET_NAME, (void *)8);
		if (ret == 0)
			WFAIL(w, "DMA_BUF_SET_NAME at address 8 succeeded");
		return;
	}
	ret = ioctl(b->fd, DMA_BUF_SET_NAME, name);
	if (ret && strlen(name) < DMA_BUF_NAME_LEN)
		WFAIL(w, "DMA_BUF_SET_NAME of %zu bytes: %s", strlen(name), strerror(errno));
}

static void op_dup(struct worker *w)
{
	struct buf *b = some_buf(w), *d = free_slot(w);
	int fd;

	if (!b || !d)
		return;
	fd = one_in(&w->s, 2) ? dup(b->fd) : fcntl(b->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return;
	*d = *b;
	d->fd = fd;
}

/* Hand a buffer to the other threads, or take one of theirs. */
static void op_share(struct worker *w)
{
	struct fuzz *f = w->f;
	struct buf *b;

	pthread_mutex_lock(&f->lock);
	if (one_in(&w->s, 2)) {
		b = some_buf(w);
		if (b && f->nshared < SHARED) {
			f->shared[f->nshared++] = *b;
			b->fd = -1;
		}
	} else {
		b = free_slot(w);
		if (b && f->nshared > 0)
			*b = f->shared[--f->nshared];
	}
	pthread_mutex_unlock(&f->lock);
}

/* Anything else on the fds: other ioctls, lseek, poll, read. */
static void op_misc(struct worker *w)
{
	struct buf *b = some_buf(w);
	int fd = b ? b->fd : w->f->heap_fd;
	unsigned long cmd;
	off_t o;
	struct pollfd pfd;

	switch (below(&w->s, 6)) {
	case 0:
		/* the dma-buf's ioctl space, any number, direction and size */
		cmd = _IOC(below(&w->s, 4), 'b', below(&w->s, 8), below(&w->s, 64));
		if (cmd == DMA_BUF_IOCTL_EXPORT_SYNC_FILE || cmd == DMA_BUF_IOCTL_IMPORT_SYNC_FILE ||
		    cmd == DMA_BUF_IOCTL_SYNC)
			return;	/* fds made and taken; brackets: op_sync */
		memset(w->arg, 0, 64);
		if (ioctl(fd, cmd, w->arg) == 0 && cmd != DMA_BUF_IOCTL_SYNC &&
		    cmd != DMA_BUF_SET_NAME_A && cmd != DMA_BUF_SET_NAME_B && b &&
		    _IOC_NR(cmd) != 0 && _IOC_NR(cmd) != 1)
			WFAIL(w, "dma-buf ioctl %#lx succeeded", cmd);
		break;
	case 1:
		o = lseek(fd, (off_t)below(&w->s, 3 * (uint64_t)page), (int)below(&w->s, 5));
		(void)o;
		break;
	case 2:
		pfd.fd = fd;
		pfd.events = (short)rnd(&w->s);
		poll(&pfd, 1, 0);
		break;
	case 3:
		if (read(fd, w->arg, (size_t)below(&w->s, 64)) > 0)
			WFAIL(w, "read() of a %s returned data", b ? "dma-buf" : "heap node");
		break;
	case 4:
		/* the heap node's own ioctl space */
		cmd = _IOC(below(&w->s, 4), below(&w->s, 256), 1 + below(&w->s, 255),
			   below(&w->s, 256));
		if (ioctl(w->f->heap_fd, cmd, w->arg) == 0)
			WFAIL(w, "heap ioctl %#lx succeeded", cmd);
		else if (errno != EINVAL)
			WFAIL(w, "heap ioctl %#lx: %s, want EINVAL", cmd, strerror(errno));
		break;
	default:
		if (b) {
			char path[64];
			char text[512];

			snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", b->fd);
			rh_read_file(path, text, sizeof(text));
		}
	}
}

/* The control device: every ioctl with random sizes, fds and fields. */
static void op_ctl(struct worker *w)
{
	struct fuzz *f = w->f;
	struct buf *b = some_buf(w);
	unsigned int size, nr = (unsigned int)below(&w->s, 4);
	unsigned long cmd;
	int ret;

	if (f->ctl_fd < 0)
		return;
	size = nr == 0 ? sizeof(struct rmem_heap_info) : sizeof(struct rmem_heap_cpu_access);
	if (one_in(&w->s, 4))
		size = (unsigned int)below(&w->s, 300);
	cmd = _IOC(nr == 1 ? _IOC_WRITE : _IOC_READ | _IOC_WRITE, RMEM_HEAP_IOC_MAGIC, nr, size);
	if (one_in(&w->s, 16))
		cmd = _IOC(below(&w->s, 4), RMEM_HEAP_IOC_MAGIC, nr, size);
	memset(w->arg, 0, 512);
	if (nr == 0) {
		struct rmem_heap_info *in = (void *)w->arg;

		const char *name = one_in(&w->s, 8) ? "no-such-heap" : f->heap->name;

		memcpy(in->name, name, strnlen(name, sizeof(in->name) - 1));
		if (one_in(&w->s, 16))
			memset(in->name, 'x', sizeof(in->name));
		if (one_in(&w->s, 16))
			in->flags = (uint32_t)rnd(&w->s);
		if (one_in(&w->s, 16))
			in->reserved[below(&w->s, 2)] = rnd(&w->s);
		if (one_in(&w->s, 16))
			w->arg[sizeof(*in) + below(&w->s, 64)] = 1;
	} else {
		struct rmem_heap_cpu_access *a = (void *)w->arg;
		uint64_t bsize = b ? b->size : 0;

		a->fd = b ? b->fd : (one_in(&w->s, 2) ? f->heap_fd : (int)rnd(&w->s));
		a->flags = one_in(&w->s, 8) ? (uint32_t)rnd(&w->s) :
			   (uint32_t)((below(&w->s, 2) ? RMEM_HEAP_ACCESS_END : 0) |
				      (1 + below(&w->s, 3)));
		a->offset = one_in(&w->s, 8) ? rnd(&w->s) : below(&w->s, bsize + 1);
		a->length = one_in(&w->s, 8) ? rnd(&w->s) : below(&w->s, bsize + 2);
		if (one_in(&w->s, 16))
			a->reserved = rnd(&w->s);
	}
	ret = ioctl(f->ctl_fd, cmd, w->arg);
	if (ret == 0 && nr == 1) {
		/* close the bracket at once, as op_sync does */
		struct rmem_heap_cpu_access *a = (void *)w->arg;

		if (!(a->flags & RMEM_HEAP_ACCESS_END)) {
			a->flags |= RMEM_HEAP_ACCESS_END;
			if (ioctl(f->ctl_fd, cmd, w->arg))
				WFAIL(w, "RMEM_HEAP_IOC_CPU_ACCESS END after START: %s", strerror(errno));
		}
	}
	if (ret == 0 && nr == 0 && cmd == RMEM_HEAP_IOC_INFO) {
		struct rmem_heap_info *in = (void *)w->arg;

		if (in->used > in->region_size || in->free > in->region_size)
			WFAIL(w, "RMEM_HEAP_IOC_INFO %s: used %llu free %llu of %llu", in->name,
			      (unsigned long long)in->used, (unsigned long long)in->free,
			      (unsigned long long)in->region_size);
	}
	if (ret == 0 && nr == 3)
		WFAIL(w, "control ioctl %#lx (unknown number) succeeded", cmd);
}

/* The operations and their shares of 100 draws. */
static const struct {
	const char *name;
	unsigned int upto;
	void (*fn)(struct worker *w);
} op_kinds[] = {
	{ "alloc", 22, op_alloc },
	{ "close", 34, op_close },
	{ "mmap", 48, op_mmap },
	{ "munmap", 56, op_munmap },
	{ "sync", 66, op_sync },
	{ "name", 72, op_set_name },
	{ "dup", 78, op_dup },
	{ "share", 82, op_share },
	{ "misc", 90, op_misc },
	{ "ctl", 100, op_ctl },
};

#define N_KINDS	(sizeof(op_kinds) / sizeof(op_kinds[0]))

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t i;
	int k;

	for (i = 0; i < w->ops; i++) {
		unsigned int pick = (unsigned int)below(&w->s, 100);
		int kind;

		w->op = i;
		for (kind = 0; pick >= op_kinds[kind].upto; kind++)
			;
		if (opt_only & (1u << kind))
			op_kinds[kind].fn(w);
		atomic_fetch_add(&w->f->done, 1);
	}
	for (k = 0; k < MAPS; k++)
		unmap_one(&w->m[k]);
	for (k = 0; k < SLOTS; k++)
		put_buf(&w->b[k]);
	return NULL;
}

/* Wait for "used" and "buffers" of a heap to read 0 (the last fput of a
 * dma-buf may still be on its way); returns 0 or -1. */
static int usage_back_to_zero(const char *name, uint64_t *used, uint64_t *bufs)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		if (rh_read_u64(name, "used", used) || rh_read_u64(name, "buffers", bufs))
			return -1;
		if (!*used && !*bufs)
			return 0;
		usleep(100000);
	}
	return -1;
}

static int fuzz_heap(const struct rh_heap *h, uint64_t ops, int nthreads, int ctl_fd)
{
	struct worker w[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct fuzz f;
	long before = atomic_load(&failures);
	uint64_t t0, used, bufs;
	double secs;
	int i, k;

	memset(&f, 0, sizeof(f));
	f.heap = h;
	f.ctl_fd = ctl_fd;
	pthread_mutex_init(&f.lock, NULL);
	f.heap_fd = open_node(h->name);
	if (f.heap_fd < 0) {
		printf("# %s: cannot open %s/%s: %s\n", h->name, RH_DEVDIR, h->name,
		       strerror(-f.heap_fd));
		return -1;
	}
	t0 = rh_now_ns();
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].f = &f;
		w[i].t = i;
		w[i].ops = ops / (uint64_t)nthreads + ((uint64_t)i < ops % (uint64_t)nthreads);
		/* thread i's inputs: from the seed and i alone */
		w[i].s = opt_seed * 0x100000001b3ull + (uint64_t)i * 0x9e3779b97f4a7c15ull;
		for (k = 0; k < (int)strlen(h->name); k++)
			w[i].s = w[i].s * 31 + (unsigned char)h->name[k];
		for (k = 0; k < SLOTS; k++)
			w[i].b[k].fd = -1;
		w[i].arg = calloc(1, ARG_BYTES);
		if (!w[i].arg || pthread_create(&tid[i], NULL, worker_main, &w[i])) {
			printf("# %s: cannot start thread %d\n", h->name, i);
			exit(1);
		}
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(tid[i], NULL);
		free(w[i].arg);
	}
	for (i = 0; i < f.nshared; i++)
		put_buf(&f.shared[i]);
	close(f.heap_fd);
	secs = (double)(rh_now_ns() - t0) / 1e9;
	printf("# %s: seed %llu, %lld ops (%lld allocs, %lld mmaps, %lld errors) by %d threads in %.1f s, %.0f ops/s\n",
	       h->name, (unsigned long long)opt_seed, (long long)f.done, (long long)f.allocs,
	       (long long)f.maps, (long long)f.errors, nthreads, secs,
	       secs > 0 ? (double)f.done / secs : 0.0);
	total_done += (uint64_t)f.done;
	if ((uint64_t)f.done != ops) {
		printf("# FAIL %s: %lld operations run, %llu asked\n", h->name,
		       (long long)f.done, (unsigned long long)ops);
		atomic_fetch_add(&failures, 1);
	}
	if (usage_back_to_zero(h->name, &used, &bufs)) {
		printf("# FAIL %s seed=%llu: after the run used %llu bytes, %llu buffers (want 0)\n",
		       h->name, (unsigned long long)opt_seed, (unsigned long long)used,
		       (unsigned long long)bufs);
		atomic_fetch_add(&failures, 1);
	}
	return atomic_load(&failures) == before ? 0 : -1;
}

/* -------------------------------------------------------------------- */
/* A buffer freed inside an open CPU access bracket                     */

/*
 * Found by this fuzzer (seed 1, --heap video --only alloc,close,sync) on
 * 7.3 zcu102: on a cached no-map heap, DMA_BUF_IOCTL_SYNC START|WRITE and a
 * close without the END make the driver's cache model report "non-cacheable
 * write over lines that may be dirty ... event nc-zero" and then "hand-over
 * while caches may hold old lines ... event alloc": the freed buffer is
 * zeroed through a non-cacheable mapping while the CPU may still hold dirty
 * lines of it, which a later eviction writes over the zeroes of the next
 * owner.  The random fuzzing closes every bracket at once; this test keeps
 * the input alive until the driver is fixed.
 *
 * Checks: no "rmem_heap: cache model:" line in the kernel log (the model is
 * built into the lab's debug guests) and every byte of the next buffers
 * reads 0 (which real hardware, not QEMU, can get wrong).
 */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* New kernel log lines containing @what: counted, the first printed. */
static int kmsg_count(int fd, const char *what)
{
	char rec[1024];
	ssize_t n;
	int hits = 0;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, what)) {
			if (!hits)
				printf("# kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			hits++;
		}
	}
	return hits;
}

static int open_bracket(const struct rh_heap *heaps, int n)
{
	int k, round, kmsg = kmsg_open(), bad = 0;

	if (kmsg < 0)
		printf("# no /dev/kmsg (%s): the data is checked, the cache model is not\n",
		       strerror(errno));
	for (k = 0; k < n; k++) {
		int hfd = open_node(heaps[k].name), nonzero = 0, reports;

		if (hfd < 0) {
			printf("# FAIL open_bracket: cannot open %s\n", heaps[k].name);
			bad++;
			continue;
		}
		for (round = 0; round < 4; round++) {
			struct dma_buf_sync sync;
			unsigned char *p = MAP_FAILED;
			int fd, i;

			if (rh_alloc(hfd, (uint64_t)page, &fd))
				break;
			/* rounds 0 and 2: the bare input; 1 and 3: written through a mapping */
			if (round & 1)
				p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
			ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
			if (p != MAP_FAILED) {
				for (i = 0; i < page; i++)
					if (p[i])
						nonzero++;
				memset(p, 0xa5, (size_t)page);
				munmap(p, (size_t)page);
			}
			close(fd);	/* no DMA_BUF_SYNC_END */
			usleep(200000);
		}
		close(hfd);
		reports = kmsg >= 0 ? kmsg_count(kmsg, "rmem_heap: cache model:") : 0;
		if (reports || nonzero) {
			printf("# FAIL open_bracket %s: 4 x (alloc %ld, SYNC START|WRITE, close without END; every other time written through a mapping): %d cache model reports, %d non-zero bytes in new buffers\n",
			       heaps[k].name, page, reports, nonzero);
			bad++;
		}
	}
	if (kmsg >= 0)
		close(kmsg);
	if (bad)
		atomic_fetch_add(&failures, bad);
	return bad ? -1 : 0;
}

/* -------------------------------------------------------------------- */
/* Differential: our nodes against the framework's system heap          */

struct dcase {
	unsigned long cmd;
	int null_arg;
	struct dma_heap_allocation_data d;
};

static void describe(const struct dcase *c, char *out, size_t n)
{
	snprintf(out, n, "cmd %#lx (type %#x nr %u dir %u size %u)%s len %#llx fd %u fd_flags %#x heap_flags %#llx",
		 c->cmd, (unsigned int)_IOC_TYPE(c->cmd), (unsigned int)_IOC_NR(c->cmd),
		 (unsigned int)_IOC_DIR(c->cmd), (unsigned int)_IOC_SIZE(c->cmd),
		 c->null_arg ? " arg NULL" : "", (unsigned long long)c->d.len, c->d.fd,
		 c->d.fd_flags, (unsigned long long)c->d.heap_flags);
}

/*
 * Does the framework (drivers/dma-buf/dma-heap.c, 6.1 to 7.3) answer @c
 * without calling the heap, or call it with at most 16 pages?  Then it is
 * safe and meaningful to send @c to the system heap.  *@wide: the length
 * is one a size_t cannot hold, where the one deliberate difference lies
 * (Documentation/rmem-heap.rst): a 32-bit kernel's framework allocates
 * its low 32 bits, our char-device node refuses it with ENOMEM.
 */
static int framework_decides(const struct dcase *c, int *wide)
{
	unsigned long cmd = c->cmd, kcmd = DMA_HEAP_IOCTL_ALLOC;
	unsigned int in_size = _IOC_SIZE(cmd);
	struct dma_heap_allocation_data d;
	unsigned long len;

	*wide = 0;
	if (_IOC_NR(cmd) >= 1)
		return 1;			/* EINVAL */
	if ((cmd & kcmd & IOC_IN) == 0)
		in_size = 0;
	if (in_size && c->null_arg)
		return 1;			/* EFAULT */
	memset(&d, 0, sizeof(d));
	memcpy(&d, &c->d, in_size < sizeof(d) ? in_size : sizeof(d));
	if (d.fd || (d.fd_flags & ~(uint32_t)(O_ACCMODE | O_CLOEXEC)) || d.heap_flags)
		return 1;			/* EINVAL */
	len = (unsigned long)d.len;		/* the kernel's size_t */
	len = (len + (unsigned long)page - 1) & ~((unsigned long)page - 1);
	if (!len)
		return 1;			/* EINVAL */
	*wide = d.len > (uint64_t)(unsigned long)-1;
	return len <= 16 * (unsigned long)page;
}

static void diff_pick(uint64_t *s, struct dcase *c, uint64_t region)
{
	uint64_t huge[] = { UINT64_MAX, UINT64_MAX - (uint64_t)page + 2,
			    UINT64_MAX - (uint64_t)page + 1, 1ull << 63, 1ull << 32,
			    (1ull << 32) + (uint64_t)page, (1ull << 32) - 1 };

	memset(c, 0, sizeof(*c));
	c->cmd = pick_alloc_cmd(s);
	switch (below(s, 6)) {
	case 0:
		c->d.len = huge[below(s, sizeof(huge) / sizeof(huge[0]))];
		break;
	case 1:
		c->d.len = 0;
		break;
	case 2:
		c->d.len = region + 1 + below(s, 1ull << 40);
		break;
	default:
		c->d.len = 1 + below(s, 4 * (uint64_t)page);
	}
	c->d.fd_flags = pick_fd_flags(s);
	if (one_in(s, 8))
		c->d.heap_flags = 1ull << below(s, 64);
	if (one_in(s, 8))
		c->d.fd = (uint32_t)rnd(s) | 1;
	c->null_arg = one_in(s, 32);
}

/* Send @c to the node @fd: 0 or an errno; a new fd is closed. */
static int diff_send(int fd, const struct dcase *c)
{
	unsigned char *arg = calloc(1, ARG_BYTES);
	struct dma_heap_allocation_data *d = (void *)arg;
	int lowest, ret, err;

	if (!arg)
		return ENOMEM;
	memcpy(arg, &c->d, sizeof(c->d));
	/* the fd the kernel would install (single-threaded here) */
	lowest = dup(0);
	if (lowest >= 0)
		close(lowest);
	ret = ioctl(fd, c->cmd, c->null_arg ? NULL : arg);
	err = ret < 0 ? errno : 0;
	if (!err) {
		if ((_IOC_DIR(c->cmd) & _IOC_READ) && _IOC_SIZE(c->cmd) >= 12 && !c->null_arg)
			close((int)d->fd);
		else if (lowest >= 0 && fcntl(lowest, F_GETFD) >= 0)
			close(lowest);	/* installed but not returned */
	}
	free(arg);
	return err;
}

/* Fixed inputs first: the framework's boundaries, each one of them. */
static int diff_fixed(struct dcase *c, int i)
{
	struct dma_heap_allocation_data ok = { .len = (uint64_t)page, .fd_flags = O_RDWR | O_CLOEXEC };

	memset(c, 0, sizeof(*c));
	c->cmd = DMA_HEAP_IOCTL_ALLOC;
	c->d = ok;
	switch (i) {
	case 0:
		return 1;					/* one page */
	case 1:
		c->d.len = 0;
		return 1;
	case 2:
		c->d.len = UINT64_MAX;				/* -1 */
		return 1;
	case 3:
		c->d.len = UINT64_MAX - (uint64_t)page + 2;	/* rounds to 0 */
		return 1;
	case 4:
		c->d.fd = 1;
		return 1;
	case 5:
		c->d.fd_flags = O_RDWR | O_NONBLOCK;
		return 1;
	case 6:
		c->d.heap_flags = 1;
		return 1;
	case 7:
		c->cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 1, struct dma_heap_allocation_data);
		return 1;
	case 8:
		c->cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct { char b[16]; });
		return 1;
	case 9:
		c->cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct { char b[200]; });
		return 1;
	case 10:
		c->cmd = _IOWR('X', 0, struct dma_heap_allocation_data);	/* another type */
		return 1;
	case 11:
		c->cmd = _IOR(DMA_HEAP_IOC_MAGIC, 0, struct dma_heap_allocation_data);
		return 1;
	case 12:
		c->null_arg = 1;
		return 1;
	case 13:
		c->d.len = 1ull << 32;				/* 0 in a 32-bit size_t */
		return 1;
	default:
		return 0;
	}
}

static int differential(const struct rh_heap *heaps, int n, int cases, char *skip, size_t skiplen)
{
	int sys, i, k, bad = 0, compared = 0, notsent = 0;
	uint64_t used, bufs;

	sys = open(SYSTEM_NODE, O_RDONLY | O_CLOEXEC);
	if (sys < 0) {
		snprintf(skip, skiplen, "no %s (the kernel's system heap): %s", SYSTEM_NODE,
			 strerror(errno));
		return 0;
	}
	for (k = 0; k < n; k++) {
		const struct rh_heap *h = &heaps[k];
		uint64_t s = opt_seed ^ 0xd1ffull;
		int ours = open_node(h->name), diffs = 0;
		int framework = rh_in_dma_heap_mode(h->name);

		if (ours < 0) {
			printf("# FAIL differential: cannot open %s: %s\n", h->name, strerror(-ours));
			bad++;
			atomic_fetch_add(&failures, 1);
			continue;
		}
		for (i = 0; i < cases; i++) {
			struct dcase c;
			char what[256];
			int a, b, wide;

			if (!diff_fixed(&c, i))
				diff_pick(&s, &c, h->size);
			if (!framework_decides(&c, &wide)) {
				notsent++;
				continue;
			}
			a = diff_send(sys, &c);
			b = diff_send(ours, &c);
			wide = wide && !framework;
			if (wide)
				a = ENOMEM;	/* what our node must answer */
			compared++;
			if (a != b && ++diffs > 10) {
				bad++;
				atomic_fetch_add(&failures, 1);
			} else if (a != b) {
				describe(&c, what, sizeof(what));
				printf("# FAIL differential seed=%llu case=%d: %s: %s %s, %s %s\n",
				       (unsigned long long)opt_seed, i, what,
				       wide ? "expected (len beyond size_t)" : "system heap",
				       answer(a), h->name, answer(b));
				bad++;
				atomic_fetch_add(&failures, 1);
			}
		}
		close(ours);
		if (diffs > 10)
			printf("# differential %s: %d more differences not shown\n", h->name, diffs - 10);
		if (usage_back_to_zero(h->name, &used, &bufs)) {
			printf("# FAIL differential %s: used %llu bytes, %llu buffers after it\n",
			       h->name, (unsigned long long)used, (unsigned long long)bufs);
			bad++;
			atomic_fetch_add(&failures, 1);
		}
	}
	close(sys);
	printf("# differential: seed %llu, %d inputs compared over %d heaps, %d not sent (large lengths the system heap would allocate), %d differences\n",
	       (unsigned long long)opt_seed, compared, n, notsent, bad);
	return bad ? -1 : 1;
}

/* "alloc,mmap,close": the operations to run (the others are drawn, not run) */
static unsigned int parse_only(char *list)
{
	unsigned int mask = 0, k;
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < N_KINDS; k++)
			if (!strcmp(tok, op_kinds[k].name))
				break;
		if (k == N_KINDS)
			return 0;
		mask |= 1u << k;
	}
	return mask;
}

static void usage(const char *me)
{
	fprintf(stderr, "usage: %s [--seed N] [--ops M] [--threads T] [--heap NAME] [--diff-cases K] [--no-diff]\n"
		"       [--only alloc,close,mmap,munmap,sync,name,dup,share,misc,ctl]\n",
		me);
	exit(2);
}

int main(int argc, char **argv)
{
	struct rh_heap heaps[RH_MAX_HEAPS], *sel = heaps;
	int n, i, nsel, ctl_fd, num = 0, seeded = 0;
	int ret;
	char skip[160] = "";

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			opt_seed = strtoull(argv[++i], NULL, 0);
			seeded = 1;
		} else if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
			opt_ops = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			opt_threads = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			opt_heap = argv[++i];
		} else if (!strcmp(argv[i], "--diff-cases") && i + 1 < argc) {
			opt_diff_cases = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			opt_only = parse_only(argv[++i]);
			if (!opt_only)
				usage(argv[0]);
		} else if (!strcmp(argv[i], "--no-diff")) {
			opt_no_diff = 1;
		} else {
			usage(argv[0]);
		}
	}
	if (opt_threads < 1 || opt_threads > MAX_THREADS)
		usage(argv[0]);
	if (!seeded)
		opt_seed = rh_now_ns() ^ ((uint64_t)getpid() << 32);
	page = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("TAP version 13\n");
	n = rh_discover(heaps, RH_MAX_HEAPS);
	if (n <= 0) {
		printf("1..0 # SKIP no heap in %s\n", RH_SYSFS);
		return 0;
	}
	nsel = n;
	if (opt_heap) {
		sel = rh_find(heaps, n, opt_heap);
		if (!sel) {
			printf("1..0 # SKIP no heap %s\n", opt_heap);
			return 1;
		}
		nsel = 1;
	}
	printf("# seed %llu: reproduce with rmem_heap_fuzz --seed %llu --ops %llu --threads %d%s%s%s\n",
	       (unsigned long long)opt_seed, (unsigned long long)opt_seed,
	       (unsigned long long)opt_ops, opt_threads, opt_heap ? " --heap " : "",
	       opt_heap ? opt_heap : "", opt_only != ~0u ? " --only ..." : "");
	printf("1..%d\n", nsel + 1 + !opt_no_diff);
	ctl_fd = open(CTL_NODE, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0)
		printf("# no %s (%s): its ioctls are not fuzzed\n", CTL_NODE, strerror(errno));

	for (i = 0; i < nsel; i++) {
		/* the operations are shared out over the heaps */
		uint64_t ops = opt_ops / (uint64_t)nsel + (i < (int)(opt_ops % (uint64_t)nsel));

		ret = fuzz_heap(&sel[i], ops, opt_threads, ctl_fd);
		printf("%s %d %s\n", ret ? "not ok" : "ok", ++num, sel[i].name);
	}
	if (ctl_fd >= 0)
		close(ctl_fd);
	ret = open_bracket(sel, nsel);
	printf("%s %d open_bracket\n", ret ? "not ok" : "ok", ++num);
	if (!opt_no_diff) {
		ret = differential(sel, nsel, opt_diff_cases, skip, sizeof(skip));
		if (ret == 0)
			printf("ok %d differential # SKIP %s\n", ++num, skip);
		else
			printf("%s %d differential\n", ret < 0 ? "not ok" : "ok", ++num);
	}
	printf("# seed %llu: %llu operations over %d heaps by %d threads each, %ld failures\n",
	       (unsigned long long)opt_seed, (unsigned long long)total_done, nsel,
	       opt_threads, (long)atomic_load(&failures));
	return atomic_load(&failures) ? 1 : 0;
}
