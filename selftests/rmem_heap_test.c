// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_test - user-space tests for the rmem-heap DMA-BUF heaps.
 *
 * Heaps are discovered from /sys/class/rmem_heap/<name>.  Per-heap tests use
 * the "heap" fixture whose variants select one kind of heap (type x policy);
 * every heap of that kind is tested in a loop and named in the log.  Tests of
 * the lab topology (twins, broken nodes, threads, unload) use the "lab"
 * fixture.  Output is TAP (kselftest harness).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/rmem_heap.h>
#include <xf86drm.h>
#include <drm/vgem_drm.h>

#include "rmem_heap_common.h"
#include "rmem_heap_vgem.h"
#include "importer/rmem_heap_importer.h"
#include "kselftest_harness.h"

#ifndef SYSLOG_ACTION_READ_ALL
#define SYSLOG_ACTION_READ_ALL		3
#endif
#ifndef SYSLOG_ACTION_SIZE_BUFFER
#define SYSLOG_ACTION_SIZE_BUFFER	10
#endif

#define MODNAME		"rmem_heap"
#define BAD_REGION_SIZE	RH_MIB
#define U0		((uint64_t)0)

static const uint64_t valid_syncs[] = {
	DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
	DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
	DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
	DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
	DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
	DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
};

/* Rejected by dma_buf_ioctl(): no direction, or bits outside the valid mask. */
static const uint64_t invalid_syncs[] = {
	0,					/* START without READ/WRITE */
	DMA_BUF_SYNC_END,			/* END without READ/WRITE */
	1u << 3,
	1u << 4,
	DMA_BUF_SYNC_RW | (1u << 3),
	DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW | (1u << 5),
	DMA_BUF_SYNC_RW | 0x80000000u,
	DMA_BUF_SYNC_RW | (1ull << 32),
	~0ull,
};

/* ------------------------------------------------------------------ */
/* helpers                                                              */
/* ------------------------------------------------------------------ */

static size_t page_sz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static uint64_t page_align(uint64_t v)
{
	uint64_t p = page_sz();

	return (v + p - 1) / p * p;
}

static int count_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Read a numeric sysfs attribute; any failure aborts the test. */
static uint64_t __attr(struct __test_metadata *_metadata, const char *heap,
		       const char *name)
{
	uint64_t v = 0;
	int ret = rh_read_u64(heap, name, &v);

	ASSERT_EQ(0, ret) {
		TH_LOG("%s/%s/%s: %s", RH_SYSFS, heap, name, strerror(-ret));
	}
	return v;
}
#define attr(heap, name) __attr(_metadata, heap, name)

/*
 * Wait (up to 20 s) until the background worker has zeroed all of @heap's
 * freed space: the statistics never zero it themselves, so largest_free
 * reaches the whole region only then.  Returns the bytes still pending.
 */
static uint64_t __wait_zeroed(struct __test_metadata *_metadata, const char *heap)
{
	uint64_t pending = 0;
	int i;

	for (i = 0; i < 2000; i++) {
		pending = __attr(_metadata, heap, "zero_pending");
		if (!pending)
			break;
		usleep(10000);
	}
	return pending;
}
#define wait_zeroed(heap) __wait_zeroed(_metadata, heap)

static int __open_heap(struct __test_metadata *_metadata, const char *name)
{
	int fd = rh_open_heap(name);

	ASSERT_LE(0, fd) {
		TH_LOG("open %s/%s: %s", RH_DEVDIR, name, strerror(-fd));
	}
	return fd;
}
#define open_heap(name) __open_heap(_metadata, name)

/* 64-bit word fill/check (mappings are page aligned, sizes page multiples). */
static void fill_words(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i, n = len / sizeof(*w);

	for (i = 0; i < n; i++)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ull);
}

static size_t check_words(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i, n = len / sizeof(*w);

	for (i = 0; i < n; i++)
		if (w[i] != (seed ^ (i * 0x9e3779b97f4a7c15ull)))
			return i * sizeof(*w);
	return len;
}

/* Offset of the first non-zero byte, or len. */
static size_t find_nonzero(const void *p, size_t len)
{
	const uint64_t *w = p;
	const unsigned char *c = p;
	size_t i, n = len / sizeof(*w);

	for (i = 0; i < n; i++)
		if (w[i])
			break;
	for (i *= sizeof(*w); i < len; i++)
		if (c[i])
			return i;
	return len;
}

static int ensure_debugfs(void)
{
	if (!access(RH_DEBUGFS, R_OK))
		return 0;
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return access(RH_DEBUGFS, R_OK) ? -errno : 0;
}

static void set_unique_name(int fd, const char *tag, char *out, size_t len)
{
	static unsigned int seq;

	snprintf(out, len, "rht%d-%s%u", (int)getpid(), tag, seq++);
	ioctl(fd, DMA_BUF_SET_NAME, out);
}

struct dbg_entry {
	uint64_t offset, size, cleans, invals;
	char heap[RH_NAME_LEN];
};

/*
 * Look up the buffer called @bufname in /sys/kernel/debug/rmem_heap/<heap>.
 * Line: offset(0x hex) size heap cleans invals pid comm name (name is last).
 * Returns 0, -ENOENT if absent, -EPROTO on a malformed line, or -errno.
 */
static int dbg_lookup(const char *heap, const char *bufname, struct dbg_entry *e)
{
	size_t cap = 1 << 20;
	char path[256], *buf, *line, *save = NULL;
	ssize_t n;
	int ret = -ENOENT;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), RH_DEBUGFS "/%s", heap);
	n = rh_read_file(path, buf, cap);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long off, size, cl, in;
		char *end = line + strlen(line), *last;

		if (line[0] == '#')
			continue;
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		last = end;
		while (last > line && !isspace((unsigned char)last[-1]))
			last--;
		if (strcmp(last, bufname))
			continue;
		if (sscanf(line, "%llx %llu %63s %llu %llu", &off, &size, e->heap,
			   &cl, &in) != 5) {
			ret = -EPROTO;
			break;
		}
		e->offset = off;
		e->size = size;
		e->cleans = cl;
		e->invals = in;
		ret = 0;
		break;
	}
	free(buf);
	return ret;
}

static void log_heap(struct __test_metadata *_metadata, const struct rh_heap *h)
{
	TH_LOG("heap %s: %s, %s, %" PRIu64 " bytes", h->name,
	       rh_type_str(h->reusable), rh_policy_str(h->policy), h->size);
}

/* ------------------------------------------------------------------ */
/* per-heap tests, one variant per kind of heap                         */
/* ------------------------------------------------------------------ */

FIXTURE(heap) {
	struct rh_heap heaps[RH_MAX_HEAPS];
	int nheaps;
};

FIXTURE_VARIANT(heap) {
	const char *kind;
	int reusable;		/* -1: any */
	int policy;		/* enum rh_policy */
};

FIXTURE_VARIANT_ADD(heap, nomap_cached) {
	.kind = "no-map cached", .reusable = 0, .policy = RH_CACHED,
};

FIXTURE_VARIANT_ADD(heap, nomap_uncached) {
	.kind = "no-map uncached", .reusable = 0, .policy = RH_UNCACHED,
};

FIXTURE_VARIANT_ADD(heap, reusable_cached) {
	.kind = "reusable cached", .reusable = 1, .policy = RH_CACHED,
};

FIXTURE_VARIANT_ADD(heap, reusable_uncached) {
	.kind = "reusable uncached", .reusable = 1, .policy = RH_UNCACHED,
};

FIXTURE_VARIANT_ADD(heap, coherent) {
	.kind = "coherent", .reusable = -1, .policy = RH_COHERENT,
};

FIXTURE_SETUP(heap)
{
	self->nheaps = rh_discover(self->heaps, RH_MAX_HEAPS);
	ASSERT_LT(0, self->nheaps) {
		TH_LOG("no heaps under %s (%s)", RH_SYSFS,
		       self->nheaps < 0 ? strerror(-self->nheaps) : "empty");
	}
}

FIXTURE_TEARDOWN(heap)
{
}

static int heap_match(const FIXTURE_VARIANT(heap) *v, const struct rh_heap *h)
{
	if (v->reusable >= 0 && v->reusable != h->reusable)
		return 0;
	return v->policy == h->policy;
}

#define for_each_variant_heap(h, done)					\
	for (int _hi = 0; _hi < self->nheaps; _hi++)			\
		if (!heap_match(variant, (h = &self->heaps[_hi])))	\
			continue;					\
		else if (log_heap(_metadata, h), ++(done))

#define skip_if_none(done)						\
	do {								\
		if (!(done))						\
			SKIP(return, "no %s heap in %s", variant->kind,	\
			     RH_SYSFS);					\
	} while (0)

/* One allocation of @len: size rounding, accounting, mapping, data. */
static void odd_size_one(struct __test_metadata *_metadata,
			 const struct rh_heap *h, int hfd, uint64_t len)
{
	uint64_t used0 = attr(h->name, "used"), bufs0 = attr(h->name, "buffers");
	uint64_t rounded = page_align(len);
	unsigned char *p;
	off_t end;
	int fd, ret;

	ret = rh_alloc(hfd, len, &fd);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: alloc %" PRIu64 " bytes: %s", h->name, len,
		       strerror(-ret));
	}
	end = lseek(fd, 0, SEEK_END);
	EXPECT_EQ((off_t)rounded, end) {
		TH_LOG("%s: alloc %" PRIu64 ": dma-buf size %lld", h->name, len,
		       (long long)end);
	}
	EXPECT_LE(used0 + rounded, attr(h->name, "used"));
	EXPECT_EQ(bufs0 + 1, attr(h->name, "buffers"));

	p = mmap(NULL, (size_t)rounded, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) {
		TH_LOG("%s: mmap %" PRIu64 ": %s", h->name, rounded, strerror(errno));
	}
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, p[rounded - 1]);
	p[0] = 0x11;
	p[len - 1] = 0x22;
	p[rounded - 1] = 0x33;
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (len > 1 && len != rounded) {
		EXPECT_EQ(0x22, p[len - 1]);
	}
	EXPECT_EQ(0x33, p[rounded - 1]);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, (size_t)rounded);
	close(fd);
	EXPECT_EQ(used0, attr(h->name, "used"));
	EXPECT_EQ(bufs0, attr(h->name, "buffers"));
}

/* Allocation that must fail; returns errno (0 if it unexpectedly succeeded). */
static int alloc_fails(int hfd, uint64_t len)
{
	int fd, ret = rh_alloc(hfd, len, &fd);

	if (!ret) {
		close(fd);
		return 0;
	}
	return -ret;
}

TEST_F_TIMEOUT(heap, odd_sizes, 120)
{
	const uint64_t page = page_sz();
	const uint64_t sizes[] = {
		1, 4095, 4096, 4097, 3 * 4096 + 1, page - 1, page + 1,
		3 * page + 1, 65535, RH_MIB + 1, 2 * RH_MIB - 1,
	};
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		uint64_t used0 = attr(h->name, "used");
		int hfd = open_heap(h->name), fd, ret, err;
		size_t i;

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			if (sizes[i] <= h->size)
				odd_size_one(_metadata, h, hfd, sizes[i]);

		err = alloc_fails(hfd, 0);
		EXPECT_EQ(EINVAL, err) TH_LOG("%s: len 0", h->name);
		err = alloc_fails(hfd, UINT64_MAX);
		EXPECT_NE(0, err) TH_LOG("%s: len UINT64_MAX succeeded", h->name);
		err = alloc_fails(hfd, h->size + page);
		EXPECT_TRUE(err == ENOMEM || err == EINVAL) {
			TH_LOG("%s: size+page (%" PRIu64 "): %s", h->name,
			       h->size + page, err ? strerror(err) : "succeeded");
		}
		/* 32-bit dma-heap core truncates len to size_t: not ours */
		if (sizeof(long) == 8 || !rh_in_dma_heap_mode(h->name)) {
			err = alloc_fails(hfd, (1ull << 32) + page);
			EXPECT_NE(0, err) TH_LOG("%s: len 4 GiB + page succeeded", h->name);
		}

		/* the whole region on an idle pool */
		EXPECT_EQ(U0, used0) TH_LOG("%s: pool not idle at start", h->name);
		if (!used0 && h->reusable == 0) {
			ret = rh_alloc(hfd, h->size, &fd);
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: whole region (%" PRIu64 "): %s",
				       h->name, h->size, strerror(-ret));
			}
			EXPECT_EQ((off_t)h->size, lseek(fd, 0, SEEK_END));
			EXPECT_EQ(h->size, attr(h->name, "used"));
			EXPECT_EQ(U0, attr(h->name, "free"));
			EXPECT_EQ(U0, attr(h->name, "largest_free"));
			err = alloc_fails(hfd, page);
			EXPECT_EQ(ENOMEM, err) TH_LOG("%s: page alloc on a full pool", h->name);
			close(fd);
			EXPECT_EQ(U0, wait_zeroed(h->name));
			EXPECT_EQ(h->size, attr(h->name, "largest_free"));
		} else if (!used0) {
			uint64_t half = h->size / 2 / page * page;

			ret = rh_alloc(hfd, half, &fd);
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: half region (%" PRIu64 "): %s",
				       h->name, half, strerror(-ret));
			}
			close(fd);
			ret = rh_alloc(hfd, h->size, &fd);
			EXPECT_TRUE(ret == 0 || ret == -ENOMEM) {
				TH_LOG("%s: whole region: %s", h->name, strerror(-ret));
			}
			TH_LOG("%s: whole reusable region: %s", h->name,
			       ret ? strerror(-ret) : "ok");
			if (!ret)
				close(fd);
		}
		EXPECT_EQ(used0, attr(h->name, "used"));
		close(hfd);
	}
	skip_if_none(done);
}

TEST_F_TIMEOUT(heap, exhaustion, 120)
{
	const uint64_t page = page_sz();
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		uint64_t chunk = h->size >= 4 * RH_MIB ? RH_MIB : page;
		uint64_t used0, bufs0, fail0, used, n = 0, nfail = 0, max, i;
		int hfd = open_heap(h->name), ret, fd, *fds;

		while (h->size / chunk > 900)
			chunk *= 2;
		max = h->size / chunk + 2;
		fds = calloc((size_t)max, sizeof(*fds));
		ASSERT_TRUE(fds != NULL);

		used0 = attr(h->name, "used");
		bufs0 = attr(h->name, "buffers");
		fail0 = attr(h->name, "failed");
		for (;;) {
			ret = rh_alloc(hfd, chunk, &fd);
			if (ret) {
				nfail++;
				EXPECT_EQ(-ENOMEM, ret) {
					TH_LOG("%s: errno %s after %" PRIu64
					       " chunks", h->name, strerror(-ret), n);
				}
				break;
			}
			fds[n++] = fd;
			if (n == max) {
				EXPECT_LT(n, max) TH_LOG("%s: over-allocation", h->name);
				break;
			}
		}
		used = attr(h->name, "used");
		TH_LOG("%s: %" PRIu64 " x %" PRIu64 " bytes until ENOMEM, used %"
		       PRIu64, h->name, n, chunk, used);
		EXPECT_EQ(used0 + n * chunk, used);
		EXPECT_EQ(bufs0 + n, attr(h->name, "buffers"));
		EXPECT_EQ(h->size - used, attr(h->name, "free"));
		EXPECT_LE(attr(h->name, "largest_free"), attr(h->name, "free"));
		EXPECT_LE(used, attr(h->name, "peak_used"));
		if (h->reusable == 0) {
			EXPECT_GT(used + chunk, h->size) {
				TH_LOG("%s: ENOMEM with %" PRIu64 " bytes free",
				       h->name, h->size - used);
			}
		} else {
			EXPECT_LE(h->size / 2, used);
		}
		if (used == h->size) {
			ret = alloc_fails(hfd, page);
			nfail++;
			EXPECT_EQ(ENOMEM, ret);
		}
		EXPECT_EQ(fail0 + nfail, attr(h->name, "failed"));

		for (i = 0; i < n; i++)
			close(fds[i]);
		free(fds);
		EXPECT_EQ(used0, attr(h->name, "used"));
		EXPECT_EQ(bufs0, attr(h->name, "buffers"));
		EXPECT_EQ(h->size - used0, attr(h->name, "free"));
		if (!used0) {
			EXPECT_EQ(U0, wait_zeroed(h->name));
			EXPECT_EQ(h->size, attr(h->name, "largest_free"));
		}
		close(hfd);
	}
	skip_if_none(done);
}

TEST_F_TIMEOUT(heap, zero_after_dirty_free, 120)
{
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		uint64_t bsz = 2 * RH_MIB;
		struct dbg_entry e;
		uint64_t offs[4];
		char names[4][32];
		int hfd = open_heap(h->name), fds[4], i, ret, reused = 0;
		int have_dbg = !ensure_debugfs();

		if (bsz * 8 > h->size)
			bsz = page_align(h->size / 8);
		for (i = 0; i < 4; i++) {
			void *p;

			ret = rh_alloc(hfd, bsz, &fds[i]);
			ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
			set_unique_name(fds[i], "dirty", names[i], sizeof(names[i]));
			offs[i] = UINT64_MAX;
			if (have_dbg && !dbg_lookup(h->name, names[i], &e))
				offs[i] = e.offset;
			p = mmap(NULL, (size_t)bsz, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fds[i], 0);
			ASSERT_TRUE(p != MAP_FAILED);
			rh_sync(fds[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			memset(p, 0xa5, (size_t)bsz);
			rh_sync(fds[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			munmap(p, (size_t)bsz);
		}
		for (i = 0; i < 4; i++)
			close(fds[i]);

		for (i = 0; i < 4; i++) {
			unsigned char *p;
			char name[32];
			size_t bad;
			int j;

			ret = rh_alloc(hfd, bsz, &fds[i]);
			ASSERT_EQ(0, ret) TH_LOG("%s: re-alloc: %s", h->name, strerror(-ret));
			set_unique_name(fds[i], "clean", name, sizeof(name));
			if (have_dbg && !dbg_lookup(h->name, name, &e))
				for (j = 0; j < 4; j++)
					reused += offs[j] == e.offset;
			p = mmap(NULL, (size_t)bsz, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fds[i], 0);
			ASSERT_TRUE(p != MAP_FAILED);
			rh_sync(fds[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			bad = find_nonzero(p, (size_t)bsz);
			EXPECT_EQ((size_t)bsz, bad) {
				TH_LOG("%s: buffer %d not zeroed at %zu: 0x%02x",
				       h->name, i, bad, p[bad]);
			}
			rh_sync(fds[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
			munmap(p, (size_t)bsz);
		}
		for (i = 0; i < 4; i++)
			close(fds[i]);
		TH_LOG("%s: %d of 4 re-allocations reused a dirtied extent%s", h->name,
		       reused, have_dbg ? "" : " (no debugfs)");
		close(hfd);
	}
	skip_if_none(done);
}

/*
 * Allocate all of @h, check that every byte reads zero, then fill it with
 * @fill and free it.  Returns through ASSERT on failure.
 */
static void whole_region_round(struct __test_metadata *_metadata,
			       const struct rh_heap *h, int hfd,
			       const char *what, int fill)
{
	unsigned char *p;
	size_t len = (size_t)h->size, bad;
	int fd, ret;

	ret = rh_alloc(hfd, h->size, &fd);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s: whole-region alloc: %s", h->name, what,
		       strerror(-ret));
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	bad = find_nonzero(p, len);
	EXPECT_EQ(len, bad) {
		TH_LOG("%s: %s: not zero at %zu: 0x%02x", h->name, what, bad,
		       p[bad]);
	}
	memset(p, fill, len);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, len);
	close(fd);
}

/*
 * Freed no-map space is zeroed in the background and an allocation that
 * finds none zeroed yet zeroes it itself: the whole region, dirtied and
 * freed, comes back zeroed at once (allocation zeroes) and after the
 * background zeroing finished (zero_pending back to 0, allocation takes
 * pre-zeroed space); the figures in sysfs never show the pending state.
 */
TEST_F_TIMEOUT(heap, pre_zeroed_free_space, 180)
{
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		uint64_t pending;
		int hfd, i;

		if (h->reusable) {
			/*
			 * CMA pages are zeroed as they are allocated; chunks
			 * freed by the tests before are kept and zeroed in
			 * the background, promptly.
			 */
			EXPECT_EQ(U0, wait_zeroed(h->name));
			continue;
		}
		hfd = open_heap(h->name);
		whole_region_round(_metadata, h, hfd, "first", 0x5a);
		pending = attr(h->name, "zero_pending");
		EXPECT_GE(h->size, pending);
		TH_LOG("%s: %" PRIu64 " bytes pending right after the free",
		       h->name, pending);
		/* nothing zeroed yet, or not all of it: allocation zeroes */
		whole_region_round(_metadata, h, hfd, "at once", 0xa5);

		/* background zeroing alone (reading zero_pending never zeroes) */
		for (i = 0; i < 2000; i++) {
			pending = attr(h->name, "zero_pending");
			if (!pending)
				break;
			usleep(10000);
		}
		EXPECT_EQ(U0, pending) {
			TH_LOG("%s: %" PRIu64 " bytes still pending after 20 s",
			       h->name, pending);
		}
		TH_LOG("%s: background zeroing done after about %d ms",
		       h->name, i * 10);
		EXPECT_EQ(h->size, attr(h->name, "largest_free"));
		EXPECT_EQ(U0, attr(h->name, "used"));
		whole_region_round(_metadata, h, hfd, "pre-zeroed", 0x3c);

		/* the stats never zero: the free space is free, not ready */
		EXPECT_EQ(h->size, attr(h->name, "free"));
		EXPECT_GE(h->size, attr(h->name, "zero_pending"));
		EXPECT_EQ(U0, wait_zeroed(h->name));
		close(hfd);
	}
	skip_if_none(done);
}

static void mmap_must_fail(struct __test_metadata *_metadata, const char *heap,
			   int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	int err = errno;

	EXPECT_TRUE(p == MAP_FAILED) {
		TH_LOG("%s: mmap len %zu offset %lld succeeded", heap, len,
		       (long long)off);
	}
	if (p != MAP_FAILED) {
		munmap(p, len);
		return;
	}
	EXPECT_EQ(EINVAL, err) {
		TH_LOG("%s: mmap len %zu offset %lld: %s", heap, len,
		       (long long)off, strerror(err));
	}
}

TEST_F(heap, mmap_ranges)
{
	const size_t page = page_sz(), npages = 4, len = npages * page;
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, ret;
		uint32_t *p, *q;
		size_t i;

		ret = rh_alloc(hfd, len, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));

		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(p != MAP_FAILED) TH_LOG("%s: mmap whole: %s", h->name, strerror(errno));
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		for (i = 0; i < npages; i++) {
			p[i * page / 4] = 0x5a000000u | (uint32_t)i;
			p[(i + 1) * page / 4 - 1] = 0xa5000000u | (uint32_t)i;
		}
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

		/* pgoff 1: page 1..3 of the buffer */
		q = mmap(NULL, len - page, PROT_READ, MAP_SHARED, fd, (off_t)page);
		ASSERT_TRUE(q != MAP_FAILED) TH_LOG("%s: mmap pgoff 1: %s", h->name, strerror(errno));
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		for (i = 0; i < npages - 1; i++) {
			EXPECT_EQ(0x5a000000u | (uint32_t)(i + 1), q[i * page / 4]);
			EXPECT_EQ(0xa5000000u | (uint32_t)(i + 1),
				  q[(i + 1) * page / 4 - 1]);
		}
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap(q, len - page);

		/* last page alone */
		q = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, (off_t)(len - page));
		ASSERT_TRUE(q != MAP_FAILED) TH_LOG("%s: mmap last page: %s", h->name, strerror(errno));
		EXPECT_EQ(0x5a000000u | (uint32_t)(npages - 1), q[0]);
		munmap(q, page);

		/* past the end */
		mmap_must_fail(_metadata, h->name, fd, len + page, 0);
		mmap_must_fail(_metadata, h->name, fd, len, (off_t)page);
		mmap_must_fail(_metadata, h->name, fd, page, (off_t)len);
		mmap_must_fail(_metadata, h->name, fd, page, (off_t)len * 16);
		q = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, (off_t)1 << 30);
		EXPECT_TRUE(q == MAP_FAILED) TH_LOG("%s: mmap at 1 GiB succeeded", h->name);
		if (q != MAP_FAILED)
			munmap(q, page);

		/* the first mapping still holds the data */
		EXPECT_EQ(0x5a000000u, p[0]);
		munmap(p, len);
		close(fd);
		close(hfd);
	}
	skip_if_none(done);
}

static long minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_minflt;
}

/*
 * Write i + 1 into the first byte of page i of @p (@npages pages of buffer
 * @fd) inside a SYNC write bracket; returns the minor faults it took.
 */
static long write_pages(int fd, volatile uint8_t *p, size_t npages)
{
	const size_t page = page_sz();
	long f0;
	size_t i;

	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	f0 = minor_faults();
	for (i = 0; i < npages; i++)
		p[i * page] = (uint8_t)(i + 1);
	f0 = minor_faults() - f0;
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	return f0;
}

/*
 * A writable mapping is whole and dirty from mmap() on: writing every page
 * takes no page fault (Cortex-A9 and A53 have no hardware dirty bit, so a
 * clean page faults on its first write).  A read-only mapping made
 * writable later still works, through the kernel's own write faults.
 */
TEST_F(heap, mmap_no_faults)
{
	const size_t page = page_sz(), npages = 256, len = npages * page;
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, ret;
		volatile uint8_t *p, *q;
		long faults;
		size_t i;

		ret = rh_alloc(hfd, len, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(p != MAP_FAILED) TH_LOG("%s: mmap: %s", h->name, strerror(errno));
		q = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_TRUE(q != MAP_FAILED) TH_LOG("%s: mmap read-only: %s", h->name, strerror(errno));

		faults = write_pages(fd, p, npages);
		TH_LOG("%s: %ld page faults writing %zu fresh pages", h->name,
		       faults, npages);
		/* a few for the test's own stack and code, never one per page */
		EXPECT_LT(faults, (long)npages / 16);

		ASSERT_EQ(0, mprotect((void *)q, len, PROT_READ | PROT_WRITE)) {
			TH_LOG("%s: mprotect read-write: %s", h->name, strerror(errno));
		}
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		for (i = 0; i < npages; i++) {
			EXPECT_EQ((uint8_t)(i + 1), q[i * page]);
			q[i * page + 1] = 0xa5;
		}
		for (i = 0; i < npages; i++)
			EXPECT_EQ(0xa5, p[i * page + 1]);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		munmap((void *)q, len);
		munmap((void *)p, len);
		close(fd);
		close(hfd);
	}
	skip_if_none(done);
}

#define BLOCK_SZ	(2 * RH_MIB)

/* A debugfs .mapping/ counter ("Y"/"N" for a bool), -1 when missing. */
static long map_counter(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), RH_DEBUGFS "/.mapping/%s", name);
	if (rh_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (buf[0] == 'Y' || buf[0] == 'N')
		return buf[0] == 'Y';
	return strtol(buf, NULL, 10);
}

/* The bus address of buffer @fd, through the control device; -errno. */
static int bus_addr_of(int fd, uint64_t *addr)
{
	struct rmem_heap_bus_addr ba = { .fd = fd };
	int ctl = open("/dev/" RMEM_HEAP_CONTROL_NODE, O_RDWR | O_CLOEXEC);
	int ret;

	if (ctl < 0)
		return -errno;
	ret = rh_write_file("/sys/module/rmem_heap/parameters/bus_addr", "1");
	if (!ret)
		ret = ioctl(ctl, RMEM_HEAP_IOC_BUS_ADDR, &ba) ? -errno : 0;
	rh_write_file("/sys/module/rmem_heap/parameters/bus_addr", "0");
	close(ctl);
	*addr = ba.addr;
	return ret;
}

/*
 * Map @len bytes of @fd at a user address that is @skew bytes past one
 * that agrees with bus address @bus modulo 2 MiB (MAP_FIXED inside a
 * reservation), or MAP_FAILED.
 */
static void *map_skewed(int fd, size_t len, int prot, uint64_t bus, size_t skew)
{
	size_t span = len + 2 * BLOCK_SZ;
	uintptr_t base, at;
	void *r, *p;

	r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	base = (uintptr_t)r;
	at = (base & ~(uintptr_t)(BLOCK_SZ - 1)) + BLOCK_SZ +
	     (uintptr_t)(bus & (BLOCK_SZ - 1)) + skew;
	if (at >= base + BLOCK_SZ)
		at -= BLOCK_SZ;
	p = mmap((void *)at, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		munmap(r, span);
		return MAP_FAILED;
	}
	/* give back the reservation around the mapping */
	if (at > base)
		munmap(r, at - base);
	if (base + span > at + len)
		munmap((void *)(at + len), base + span - (at + len));
	return p;
}

/* Every page of @p (@npages, none in [hole, hole + holelen)) holds i + 1. */
static int pages_hold(volatile const uint8_t *p, size_t npages, size_t hole,
		      size_t holelen)
{
	const size_t page = page_sz();
	size_t i;

	for (i = 0; i < npages; i++)
		if ((i < hole || i >= hole + holelen) &&
		    p[i * page] != (uint8_t)(i + 1))
			return 0;
	return 1;
}

/*
 * Touch the @npages pages of an aligned mapping of @fd with THP disabled
 * for the process: the fault handler fills 2 MiB of PTEs per fault, in
 * each of the @windows blocks mmap() left to the faults.
 * Run in a child; exits 0 when right.
 */
static int blocks_without_thp(int fd, size_t npages, uint64_t bus, long windows)
{
	const size_t page = page_sz(), len = npages * page;
	long w0 = map_counter("pte_faults"), b0 = map_counter("pmds");
	volatile uint8_t *p;
	long f0, f1;

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return 1;
	p = map_skewed(fd, len, PROT_READ | PROT_WRITE, bus, 0);
	if (p == MAP_FAILED)
		return 2;
	f0 = minor_faults();
	if (!pages_hold(p, npages, 0, 0))
		return 3;
	f1 = minor_faults();
	if (map_counter("pmds") != b0)
		return 4;
	/* one per block left to the faults (none without PMD support) */
	if (map_counter("pte_faults") - w0 != windows)
		return 5;
	if (f1 - f0 > (long)(len / BLOCK_SZ) + 4)
		return 6;
	return 0;
}

/*
 * Block mappings.  A mapping whose user address agrees with the buffer's
 * address modulo 2 MiB gets one PMD entry per whole 2 MiB block at its
 * first touch, where the kernel supports huge pfn mappings (debugfs
 * .mapping/pmd); everything else is mapped by mmap() already.  No-map
 * buffers of 2 MiB or more are 2 MiB aligned (every lab region is).
 * Cutting a block (munmap, mprotect), fork and THP disabled for the
 * process keep every page right, at most one fault per 2 MiB.
 */
TEST_F(heap, mmap_blocks)
{
	const size_t page = page_sz(), len = 3 * BLOCK_SZ, npages = len / page;
	const size_t mid = BLOCK_SZ / page / 2;
	long pmd = map_counter("pmd");
	const struct rh_heap *h;
	int done = 0;

	ASSERT_LE(0, pmd) TH_LOG("%s/.mapping/pmd: %s", RH_DEBUGFS, strerror(errno));
	TH_LOG("PMD entries for pfn mappings: %s", pmd ? "yes" : "no (PTEs only)");
	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, ret, status;
		long b0, w0, f0, f1, blocks;
		volatile uint8_t *p, *q;
		uint64_t bus = 0;
		pid_t pid;
		size_t i;

		ret = rh_alloc(hfd, len, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		ret = bus_addr_of(fd, &bus);
		ASSERT_EQ(0, ret) TH_LOG("%s: bus address: %s", h->name, strerror(-ret));
		TH_LOG("%s: buffer at 0x%llx", h->name, (unsigned long long)bus);
		if (!h->reusable)
			EXPECT_EQ(0u, bus & (BLOCK_SZ - 1));
		/* the whole blocks inside the buffer, at the matching address */
		blocks = (long)((len - ((BLOCK_SZ - (bus & (BLOCK_SZ - 1))) & (BLOCK_SZ - 1))) /
				BLOCK_SZ);

		/* at a user address one page off: all PTEs, from mmap() on */
		b0 = map_counter("pmds");
		p = map_skewed(fd, len, PROT_READ | PROT_WRITE, bus, page);
		ASSERT_TRUE(p != MAP_FAILED) TH_LOG("%s: mmap: %s", h->name, strerror(errno));
		f1 = write_pages(fd, p, npages);
		EXPECT_LT(f1, 8) TH_LOG("%s: %ld faults, skewed mapping", h->name, f1);
		EXPECT_EQ(b0, map_counter("pmds"));
		munmap((void *)p, len);

		/* at the matching address: a PMD entry per block at first touch */
		b0 = map_counter("pmds");
		w0 = map_counter("pte_faults");
		p = map_skewed(fd, len, PROT_READ | PROT_WRITE, bus, 0);
		ASSERT_TRUE(p != MAP_FAILED) TH_LOG("%s: mmap: %s", h->name, strerror(errno));
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		f0 = minor_faults();
		EXPECT_TRUE(pages_hold(p, npages, 0, 0));
		f1 = minor_faults();
		TH_LOG("%s: %ld faults, %ld PMD entries, %ld PTE windows reading %zu pages",
		       h->name, f1 - f0, map_counter("pmds") - b0,
		       map_counter("pte_faults") - w0, npages);
		EXPECT_EQ(pmd ? blocks : 0, map_counter("pmds") - b0);
		EXPECT_EQ(w0, map_counter("pte_faults"));
		EXPECT_LE(f1 - f0, blocks + 4);

		/* fork: the child sees the same pages through the copied entries */
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(pages_hold(p, npages, 0, 0) ? 0 : 1);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("%s: the forked child read wrong data", h->name);
		}

		/* cut the first block and protect half of the second */
		ASSERT_EQ(0, munmap((void *)(p + mid * page), page));
		ASSERT_EQ(0, mprotect((void *)(p + BLOCK_SZ), BLOCK_SZ / 2, PROT_READ));
		EXPECT_TRUE(pages_hold(p, npages, mid, 1));
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		for (i = BLOCK_SZ * 3 / 2 / page; i < 2 * BLOCK_SZ / page; i++)
			p[i * page + 1] = 0x5a;
		p[1] = 0x5a;
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		q = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_TRUE(q != MAP_FAILED);
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		EXPECT_TRUE(pages_hold(q, npages, 0, 0));
		EXPECT_EQ(0x5a, q[1]);
		for (i = BLOCK_SZ * 3 / 2 / page; i < 2 * BLOCK_SZ / page; i++)
			EXPECT_EQ(0x5a, q[i * page + 1]);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap((void *)q, len);
		munmap((void *)p, mid * page);
		munmap((void *)(p + (mid + 1) * page), len - (mid + 1) * page);

		/* read-only block entries made writable */
		p = map_skewed(fd, len, PROT_READ, bus, 0);
		ASSERT_TRUE(p != MAP_FAILED) TH_LOG("%s: mmap: %s", h->name, strerror(errno));
		EXPECT_TRUE(pages_hold(p, npages, 0, 0));
		ASSERT_EQ(0, mprotect((void *)p, len, PROT_READ | PROT_WRITE));
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		for (i = 0; i < npages; i++)
			p[i * page + 2] = 0x77;
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		q = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_TRUE(q != MAP_FAILED);
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		for (i = 0; i < npages && q[i * page + 2] == 0x77; i++)
			;
		EXPECT_EQ(npages, i) TH_LOG("%s: page %zu lost the write made after mprotect()",
					    h->name, i);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap((void *)q, len);
		munmap((void *)p, len);

		/* THP disabled for the process: 2 MiB of PTEs per fault */
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(blocks_without_thp(fd, npages, bus, pmd ? blocks : 0));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("%s: THP disabled: step %d failed", h->name,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		close(fd);
		close(hfd);
	}
	skip_if_none(done);
}

/*
 * A cached buffer that an importer has mapped (a non-coherent device of
 * the test importer, rmem_heap_importer.ko): SYNC_START invalidates and
 * SYNC_END cleans through it.
 */
static void sync_through_importer(struct __test_metadata *_metadata,
				  const struct rh_heap *h, int fd, const char *name)
{
	struct rhi_dev_create dc = { .dma_bits = 64 };
	struct rhi_attach at = { .fd = fd };
	struct rhi_map m = { .dir = RHI_DIR_BIDIRECTIONAL };
	struct rhi_id id = { 0 };
	struct dbg_entry e0, e1, e2;
	int ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, ifd) TH_LOG("%s: %s: %s", h->name, RHI_DEVICE, strerror(errno));
	ASSERT_EQ(0, ioctl(ifd, RHI_IOC_DEV_CREATE, &dc));
	at.dev_id = dc.dev_id;
	ASSERT_EQ(0, ioctl(ifd, RHI_IOC_ATTACH, &at));
	m.attach_id = at.attach_id;
	ASSERT_EQ(0, ioctl(ifd, RHI_IOC_MAP, &m)) TH_LOG("%s: map: %s", h->name, strerror(errno));
	ASSERT_EQ(0, dbg_lookup(h->name, name, &e0));
	ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_EQ(0, dbg_lookup(h->name, name, &e1));
	ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_EQ(0, dbg_lookup(h->name, name, &e2));
	EXPECT_LT(e0.invals, e1.invals) TH_LOG("%s: SYNC_START did not invalidate (mapped)", h->name);
	EXPECT_LT(e1.cleans, e2.cleans) TH_LOG("%s: SYNC_END did not clean (mapped)", h->name);
	id.id = at.attach_id;
	EXPECT_EQ(0, ioctl(ifd, RHI_IOC_UNMAP, &id));
	EXPECT_EQ(0, ioctl(ifd, RHI_IOC_DETACH, &id));
	close(ifd);
}

TEST_F(heap, sync_flags)
{
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, ret, dbg;
		struct dbg_entry e0, e1, e2;
		char name[32];
		size_t i;

		ret = rh_alloc(hfd, 64 * RH_KIB, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		set_unique_name(fd, "sync", name, sizeof(name));

		for (i = 0; i < sizeof(valid_syncs) / sizeof(valid_syncs[0]); i++) {
			ret = rh_sync(fd, valid_syncs[i]);
			EXPECT_EQ(0, ret) {
				TH_LOG("%s: SYNC flags 0x%llx: %s", h->name,
				       (unsigned long long)valid_syncs[i], strerror(-ret));
			}
		}
		for (i = 0; i < sizeof(invalid_syncs) / sizeof(invalid_syncs[0]); i++) {
			ret = rh_sync(fd, invalid_syncs[i]);
			EXPECT_EQ(-EINVAL, ret) {
				TH_LOG("%s: SYNC flags 0x%llx: %s", h->name,
				       (unsigned long long)invalid_syncs[i],
				       ret ? strerror(-ret) : "accepted");
			}
		}

		dbg = ensure_debugfs();
		ASSERT_EQ(0, dbg) TH_LOG("%s: %s", RH_DEBUGFS, strerror(-dbg));
		ret = dbg_lookup(h->name, name, &e0);
		ASSERT_EQ(0, ret) {
			TH_LOG("%s: buffer \"%s\" in %s/%s: %s", h->name, name,
			       RH_DEBUGFS, h->name, strerror(-ret));
		}
		EXPECT_STREQ(h->name, e0.heap);
		EXPECT_EQ(64 * RH_KIB, e0.size);

		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		ASSERT_EQ(0, dbg_lookup(h->name, name, &e1));
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
		ASSERT_EQ(0, dbg_lookup(h->name, name, &e2));
		TH_LOG("%s: cleans/invals %" PRIu64 "/%" PRIu64 " -> START %" PRIu64
		       "/%" PRIu64 " -> END %" PRIu64 "/%" PRIu64, h->name,
		       e0.cleans, e0.invals, e1.cleans, e1.invals, e2.cleans,
		       e2.invals);
		if (h->policy == RH_CACHED) {
			/* no importer has it mapped: nothing to maintain */
			EXPECT_EQ(e0.invals, e1.invals) TH_LOG("%s: SYNC_START invalidated with no importer", h->name);
			EXPECT_EQ(e1.cleans, e2.cleans) TH_LOG("%s: SYNC_END cleaned with no importer", h->name);
			sync_through_importer(_metadata, h, fd, name);
		} else {
			EXPECT_EQ(U0, e2.cleans) TH_LOG("%s: cache op on %s heap", h->name, rh_policy_str(h->policy));
			EXPECT_EQ(U0, e2.invals) TH_LOG("%s: cache op on %s heap", h->name, rh_policy_str(h->policy));
		}
		close(fd);
		ret = dbg_lookup(h->name, name, &e0);
		EXPECT_EQ(-ENOENT, ret) TH_LOG("%s: freed buffer still listed", h->name);
		close(hfd);
	}
	skip_if_none(done);
}

struct alloc_data_smaller {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
};

struct alloc_data_bigger {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
	__u64 garbage1;
	__u64 garbage2;
	__u64 garbage3;
};

static int alloc_expect_einval(int hfd, uint64_t len, uint32_t fd_flags,
			       uint64_t heap_flags, uint32_t fdfield)
{
	struct dma_heap_allocation_data d = {
		.len = len, .fd = fdfield, .fd_flags = fd_flags,
		.heap_flags = heap_flags,
	};

	if (!ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d)) {
		close((int)d.fd);
		return 0;
	}
	return errno;
}

TEST_F(heap, alloc_ioctl_abi)
{
	const size_t page = page_sz();
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fds0 = count_fds(), fd, ret, fl;
		uint64_t bufs0 = attr(h->name, "buffers");
		struct alloc_data_smaller s = {
			.len = RH_MIB, .fd = 0, .fd_flags = O_RDWR | O_CLOEXEC,
		};
		struct alloc_data_bigger b = {
			.len = RH_MIB, .fd = 0, .fd_flags = O_RDWR | O_CLOEXEC,
			.heap_flags = 0, .garbage1 = 0xffffffff,
			.garbage2 = 0x88888888, .garbage3 = 0x11111111,
		};
		struct dma_heap_allocation_data d = { .len = page };
		void *p;

		ret = ioctl(hfd, _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct alloc_data_smaller), &s);
		EXPECT_EQ(0, ret) TH_LOG("%s: smaller struct: %s", h->name, strerror(errno));
		if (!ret) {
			EXPECT_EQ((off_t)RH_MIB, lseek((int)s.fd, 0, SEEK_END));
			close((int)s.fd);
		}
		ret = ioctl(hfd, _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct alloc_data_bigger), &b);
		EXPECT_EQ(0, ret) TH_LOG("%s: bigger struct: %s", h->name, strerror(errno));
		if (!ret) {
			EXPECT_EQ((off_t)RH_MIB, lseek((int)b.fd, 0, SEEK_END));
			close((int)b.fd);
		}

		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | O_CLOEXEC, 1, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | O_CLOEXEC, 0x111111, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | O_CLOEXEC, 1ull << 63, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, ~(uint32_t)(O_RDWR | O_CLOEXEC), 0, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | O_NONBLOCK, 0, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | 0x80000000u, 0, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | O_CLOEXEC, 0, 3));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, page, O_RDWR | O_CLOEXEC, 0, 0x7fffffff));
		/* rounded up to pages it wraps to 0: EINVAL, as the framework says */
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, UINT64_MAX, O_RDWR | O_CLOEXEC, 0, 0));
		EXPECT_EQ(EINVAL, alloc_expect_einval(hfd, UINT64_MAX - page + 2,
						      O_RDWR | O_CLOEXEC, 0, 0));

		/* an unknown command number of the same magic */
		ret = ioctl(hfd, _IOWR(DMA_HEAP_IOC_MAGIC, 0x5, struct dma_heap_allocation_data), &d);
		EXPECT_EQ(-1, ret);
		EXPECT_TRUE(errno == ENOTTY || errno == EINVAL) {
			TH_LOG("%s: unknown ioctl: %s", h->name, strerror(errno));
		}

		/* fd_flags are honoured: read-only, no close-on-exec */
		ret = rh_alloc_flags(hfd, page, O_RDONLY, 0, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: O_RDONLY alloc: %s", h->name, strerror(-ret));
		fl = fcntl(fd, F_GETFD);
		EXPECT_EQ(0, fl & FD_CLOEXEC);
		fl = fcntl(fd, F_GETFL);
		EXPECT_EQ(O_RDONLY, fl & O_ACCMODE);
		p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		EXPECT_TRUE(p == MAP_FAILED) TH_LOG("%s: writable map of a read-only fd", h->name);
		if (p != MAP_FAILED)
			munmap(p, page);
		p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
		EXPECT_TRUE(p != MAP_FAILED);
		if (p != MAP_FAILED)
			munmap(p, page);
		close(fd);
		ret = rh_alloc(hfd, page, &fd);
		ASSERT_EQ(0, ret);
		EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
		close(fd);

		EXPECT_EQ(fds0, count_fds());
		EXPECT_EQ(bufs0, attr(h->name, "buffers"));
		close(hfd);
	}
	skip_if_none(done);
}

static int alloc_at(int hfd, void *arg)
{
	return ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, arg) ? errno : 0;
}

TEST_F(heap, efault_no_leak)
{
	const size_t page = page_sz();
	const struct rh_heap *h;
	int done = 0;

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fds0, err, fd, ret;
		uint64_t bufs0, used0;
		struct dma_heap_allocation_data init = {
			.len = page, .fd_flags = O_RDWR | O_CLOEXEC,
		};
		char *m;

		fds0 = count_fds();
		bufs0 = attr(h->name, "buffers");
		used0 = attr(h->name, "used");

		/* argument in a read-only page: read works, write-back faults */
		m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(m != MAP_FAILED);
		memcpy(m, &init, sizeof(init));
		ASSERT_EQ(0, mprotect(m, page, PROT_READ));
		err = alloc_at(hfd, m);
		EXPECT_EQ(EFAULT, err) TH_LOG("%s: read-only arg: %s", h->name, strerror(err));
		munmap(m, page);
		EXPECT_EQ(fds0, count_fds()) TH_LOG("%s: read-only arg leaked an fd", h->name);
		EXPECT_EQ(bufs0, attr(h->name, "buffers")) TH_LOG("%s: read-only arg leaked a buffer", h->name);
		EXPECT_EQ(used0, attr(h->name, "used"));

		/* argument straddling into an unmapped page */
		m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(m != MAP_FAILED);
		munmap(m + page, page);
		memcpy(m + page - 12, &init, 12);
		err = alloc_at(hfd, m + page - 12);
		EXPECT_EQ(EFAULT, err) TH_LOG("%s: straddling arg: %s", h->name, strerror(err));
		munmap(m, page);

		/* unmapped address and NULL */
		m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(m != MAP_FAILED);
		munmap(m, page);
		err = alloc_at(hfd, m);
		EXPECT_EQ(EFAULT, err) TH_LOG("%s: unmapped arg: %s", h->name, strerror(err));
		err = alloc_at(hfd, NULL);
		EXPECT_EQ(EFAULT, err) TH_LOG("%s: NULL arg: %s", h->name, strerror(err));

		EXPECT_EQ(fds0, count_fds());
		EXPECT_EQ(bufs0, attr(h->name, "buffers"));
		EXPECT_EQ(used0, attr(h->name, "used"));

		ret = rh_alloc(hfd, page, &fd);
		EXPECT_EQ(0, ret) TH_LOG("%s: alloc after faults: %s", h->name, strerror(-ret));
		if (!ret)
			close(fd);
		close(hfd);
	}
	skip_if_none(done);
}

/* vgem card through libdrm, or -1 */
static int gem_close(int vfd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return drmIoctl(vfd, DRM_IOCTL_GEM_CLOSE, &c);
}

TEST_F(heap, vgem_import)
{
	const struct rh_heap *h;
	int done = 0, vfd = rh_open_vgem();

	if (vfd < 0)
		SKIP(return, "no vgem card under /dev/dri (CONFIG_DRM_VGEM)");

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, efd, ret;
		uint64_t bufs0 = attr(h->name, "buffers");
		uint32_t handle = 0, handle2 = 0;
		struct stat st1, st2;
		void *p;

		ret = rh_alloc(hfd, RH_MIB, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		p = mmap(NULL, RH_MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(p != MAP_FAILED);
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill_words(p, RH_MIB, 0x1234);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

		ret = drmPrimeFDToHandle(vfd, fd, &handle);
		if (h->policy == RH_COHERENT) {
			/*
			 * vgem does not snoop the CPU caches, which a
			 * dma-coherent heap's buffers need: refused.
			 */
			EXPECT_NE(0, ret);
			EXPECT_EQ(EOPNOTSUPP, errno) {
				TH_LOG("%s: vgem import: %s, not EOPNOTSUPP", h->name,
				       ret ? strerror(errno) : "accepted");
			}
			if (!ret)
				gem_close(vfd, handle);
			munmap(p, RH_MIB);
			close(fd);
			EXPECT_EQ(bufs0, attr(h->name, "buffers"));
			close(hfd);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("%s: vgem import: %s", h->name, strerror(errno));
		ret = drmPrimeFDToHandle(vfd, fd, &handle2);
		EXPECT_EQ(0, ret);
		EXPECT_EQ(handle, handle2) TH_LOG("%s: second import gave another handle", h->name);

		ret = drmPrimeHandleToFD(vfd, handle, DRM_CLOEXEC | DRM_RDWR, &efd);
		EXPECT_EQ(0, ret) TH_LOG("%s: re-export: %s", h->name, strerror(errno));
		if (!ret) {
			fstat(fd, &st1);
			fstat(efd, &st2);
			EXPECT_EQ(st1.st_ino, st2.st_ino) TH_LOG("%s: re-export is another dma-buf", h->name);
			close(efd);
		}

		/* CPU access still coherent after device mapping */
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		EXPECT_EQ((size_t)RH_MIB, check_words(p, RH_MIB, 0x1234));
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

		EXPECT_EQ(0, gem_close(vfd, handle));
		munmap(p, RH_MIB);
		close(fd);
		EXPECT_EQ(bufs0, attr(h->name, "buffers"));
		close(hfd);
	}
	close(vfd);
	skip_if_none(done);
}

/*
 * Byte pattern for the round-trip tests: changes within a 256-byte run and
 * from one 512-byte block to the next, so a page mapped at the wrong offset
 * does not match either.
 */
static void fill_bytes(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = (unsigned char)(seed + i * 7 + (i >> 9));
}

/*
 * Expect @p to hold fill_bytes(@seed); on a mismatch name the heap, the
 * buffer (@what) and the first byte that differs, with what it held.
 */
static int __expect_bytes(struct __test_metadata *_metadata, const char *heap,
			  const char *what, const void *p, size_t len,
			  unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char want = (unsigned char)(seed + i * 7 + (i >> 9));

		if (c[i] != want) {
			EXPECT_EQ(want, c[i]) {
				TH_LOG("%s: %s: byte %zu of %zu holds 0x%02x, expected 0x%02x",
				       heap, what, i, len, c[i], want);
			}
			return 0;
		}
	}
	return 1;
}
#define expect_bytes(heap, what, p, len, seed) \
	__expect_bytes(_metadata, heap, what, p, len, seed)

/*
 * Item 4 of issue 9, the DRM round trip: import into vgem, export back
 * (drmPrimeHandleToFD), and move data both ways between a mapping of the
 * heap's fd and a mapping of the re-exported fd, each side bracketed with
 * DMA_BUF_IOCTL_SYNC on its own fd.  On 6.1 vgem maps the buffer for its
 * device at import (drm_gem_prime_import_dev()), so the syncs also go
 * through an importer's mapping; 7.x imports without mapping
 * (drm_gem_shmem_prime_import_no_map()).
 */
TEST_F(heap, vgem_round_trip)
{
	const size_t len = 256 * RH_KIB;
	const struct rh_heap *h;
	int done = 0, vfd = rh_open_vgem();

	if (vfd < 0)
		SKIP(return, "no vgem card under /dev/dri (CONFIG_DRM_VGEM)");

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, efd = -1, ret;
		uint64_t bufs0 = attr(h->name, "buffers");
		uint32_t handle = 0;
		unsigned char *pa, *pb;

		ret = rh_alloc(hfd, len, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		ret = drmPrimeFDToHandle(vfd, fd, &handle);
		if (h->policy == RH_COHERENT) {
			/* vgem does not snoop: refused (heap.coherent.vgem_import) */
			EXPECT_NE(0, ret);
			EXPECT_EQ(EOPNOTSUPP, errno) {
				TH_LOG("%s: vgem import: %s, not EOPNOTSUPP", h->name,
				       ret ? strerror(errno) : "accepted");
			}
			if (!ret)
				gem_close(vfd, handle);
			close(fd);
			EXPECT_EQ(bufs0, attr(h->name, "buffers"));
			close(hfd);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("%s: vgem import: %s", h->name, strerror(errno));
		ret = drmPrimeHandleToFD(vfd, handle, DRM_CLOEXEC | DRM_RDWR, &efd);
		ASSERT_EQ(0, ret) TH_LOG("%s: export from vgem: %s", h->name, strerror(errno));

		pa = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(pa != MAP_FAILED) TH_LOG("%s: mmap heap fd: %s", h->name, strerror(errno));
		pb = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, efd, 0);
		ASSERT_TRUE(pb != MAP_FAILED) TH_LOG("%s: mmap vgem fd: %s", h->name, strerror(errno));
		ASSERT_TRUE(pa != pb);

		/* heap fd -> vgem's fd */
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		fill_bytes(pa, len, 0x31);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		ASSERT_EQ(0, rh_sync(efd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		expect_bytes(h->name, "vgem fd's mapping, written through the heap fd's",
			     pb, len, 0x31);
		ASSERT_EQ(0, rh_sync(efd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

		/* vgem's fd -> heap fd */
		ASSERT_EQ(0, rh_sync(efd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		fill_bytes(pb, len, 0xc4);
		ASSERT_EQ(0, rh_sync(efd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		expect_bytes(h->name, "heap fd's mapping, written through the vgem fd's",
			     pa, len, 0xc4);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

		munmap(pa, len);
		munmap(pb, len);
		close(efd);
		close(fd);
		/* vgem's handle keeps the buffer alive */
		EXPECT_EQ(bufs0 + 1, attr(h->name, "buffers"));
		EXPECT_EQ(0, gem_close(vfd, handle));
		EXPECT_EQ(bufs0, attr(h->name, "buffers"));
		close(hfd);
	}
	close(vfd);
	skip_if_none(done);
}

/* ------------------------------------------------------------------ */
/* fences: DMA_BUF_IOCTL_EXPORT_SYNC_FILE / IMPORT_SYNC_FILE            */
/* ------------------------------------------------------------------ */

#ifdef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
/* A sync_file fd of @fd's fences for @flags, or -errno. */
static int export_sync_file(int fd, uint32_t flags)
{
	struct dma_buf_export_sync_file a = { .flags = flags, .fd = -1 };

	if (ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &a) < 0)
		return -errno;
	return a.fd;
}

static int import_sync_file(int fd, uint32_t flags, int sync_fd)
{
	struct dma_buf_import_sync_file a = { .flags = flags, .fd = sync_fd };

	return ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &a) < 0 ? -errno : 0;
}
#endif

/* The events of @events that poll() reports within @ms, or -errno. */
static int poll_events(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, ms);

	if (r < 0)
		return -errno;
	return r ? p.revents : 0;
}

/* Is the sync_file @sfd signalled (poll, no wait)?  1, 0 or -errno. */
static int sync_file_signalled(int sfd)
{
	int ev = poll_events(sfd, POLLIN, 0);

	return ev < 0 ? ev : ev == POLLIN;
}

/*
 * A fence we control: vgem's own buffer with an unsignalled vgem fence
 * (DRM_IOCTL_VGEM_FENCE_ATTACH, write), exported as a dma-buf.  vgem
 * signals it itself after 10 s, so checks of the unsignalled state come
 * right after arming.
 */
struct vgem_fence_src {
	uint32_t handle, fence;
	int dmabuf;
};

static int __arm_vgem_fence(struct __test_metadata *_metadata, int vfd,
			    struct vgem_fence_src *s)
{
	struct drm_mode_create_dumb cd = { .width = 1024, .height = 1, .bpp = 32 };
	struct drm_vgem_fence_attach fa = { .flags = VGEM_FENCE_WRITE };

	ASSERT_EQ(0, drmIoctl(vfd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) {
		TH_LOG("vgem dumb buffer: %s", strerror(errno));
	}
	s->handle = cd.handle;
	fa.handle = cd.handle;
	ASSERT_EQ(0, drmIoctl(vfd, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa)) {
		TH_LOG("vgem fence attach: %s", strerror(errno));
	}
	s->fence = fa.out_fence;
	ASSERT_EQ(0, drmPrimeHandleToFD(vfd, cd.handle, DRM_CLOEXEC | DRM_RDWR, &s->dmabuf)) {
		TH_LOG("vgem export: %s", strerror(errno));
	}
	return 0;
}
#define arm_vgem_fence(vfd, s) __arm_vgem_fence(_metadata, vfd, s)

static int signal_vgem_fence(int vfd, struct vgem_fence_src *s)
{
	struct drm_vgem_fence_signal fs = { .fence = s->fence };

	return drmIoctl(vfd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs) ? -errno : 0;
}

/*
 * Item 7 of issue 9, fences: our buffers carry the dma-buf core's
 * reservation object like any other.  An idle buffer exports signalled
 * sync_files and polls ready; a sync_file imported as a write fence blocks
 * both poll directions and every export, one imported as a read fence only
 * POLLOUT and write exports; once the fence signals, all of them are.
 */
TEST_F_TIMEOUT(heap, sync_file, 60)
{
#ifndef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
	SKIP(return, "<linux/dma-buf.h> of this kernel has no DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
#else
	static const uint32_t dirs[] = {
		DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW,
	};
	const struct rh_heap *h;
	int done = 0, vfd = rh_open_vgem();

	if (vfd < 0)
		SKIP(return, "no vgem card under /dev/dri (CONFIG_DRM_VGEM): no fence to import");

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), a, b, sfd, s1, s2, s3, s4, ret, ev;
		uint64_t bufs0 = attr(h->name, "buffers");
		struct vgem_fence_src src;
		uint64_t t0;
		size_t i;

		ASSERT_EQ(0, rh_alloc(hfd, 64 * RH_KIB, &a));
		ASSERT_EQ(0, rh_alloc(hfd, 64 * RH_KIB, &b));

		/* idle: signalled sync_files, poll ready both ways */
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			sfd = export_sync_file(a, dirs[i]);
			if (sfd == -ENOTTY)
				SKIP(return, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: ENOTTY (kernel without CONFIG_SYNC_FILE)");
			ASSERT_LE(0, sfd) {
				TH_LOG("%s: export sync_file flags %u: %s", h->name,
				       dirs[i], strerror(-sfd));
			}
			EXPECT_EQ(1, sync_file_signalled(sfd)) {
				TH_LOG("%s: idle buffer's sync_file (flags %u) not signalled",
				       h->name, dirs[i]);
			}
			close(sfd);
		}
		ev = poll_events(a, POLLIN | POLLOUT, 0);
		EXPECT_EQ(POLLIN | POLLOUT, ev) TH_LOG("%s: idle buffer polls 0x%x", h->name, ev);

		/* bad flags and fds */
		EXPECT_EQ(-EINVAL, export_sync_file(a, 0));
		EXPECT_EQ(-EINVAL, export_sync_file(a, DMA_BUF_SYNC_RW | (1u << 2)));
		EXPECT_EQ(-EINVAL, import_sync_file(a, DMA_BUF_SYNC_WRITE, -1));
		EXPECT_EQ(-EINVAL, import_sync_file(a, DMA_BUF_SYNC_WRITE, b)) {
			TH_LOG("%s: a dma-buf fd imported as a sync_file", h->name);
		}
		sfd = export_sync_file(b, DMA_BUF_SYNC_WRITE);
		ASSERT_LE(0, sfd);
		EXPECT_EQ(-EINVAL, import_sync_file(a, 0, sfd));

		/* a signalled sync_file from another of our buffers: still idle */
		EXPECT_EQ(0, import_sync_file(a, DMA_BUF_SYNC_WRITE, sfd));
		close(sfd);
		ev = poll_events(a, POLLIN | POLLOUT, 0);
		EXPECT_EQ(POLLIN | POLLOUT, ev) {
			TH_LOG("%s: polls 0x%x after importing a signalled fence", h->name, ev);
		}

		/* an unsignalled fence: write into a, read into b */
		arm_vgem_fence(vfd, &src);
		t0 = rh_now_ns();
		sfd = export_sync_file(src.dmabuf, DMA_BUF_SYNC_READ);
		ASSERT_LE(0, sfd) TH_LOG("vgem buffer's sync_file: %s", strerror(-sfd));
		EXPECT_EQ(0, sync_file_signalled(sfd)) TH_LOG("vgem fence signalled at once");
		ret = import_sync_file(a, DMA_BUF_SYNC_WRITE, sfd);
		ASSERT_EQ(0, ret) TH_LOG("%s: import as write fence: %s", h->name, strerror(-ret));
		ret = import_sync_file(b, DMA_BUF_SYNC_READ, sfd);
		ASSERT_EQ(0, ret) TH_LOG("%s: import as read fence: %s", h->name, strerror(-ret));
		close(sfd);

		ev = poll_events(a, POLLIN, 0);
		EXPECT_EQ(0, ev) TH_LOG("%s: write-fenced buffer polls 0x%x for POLLIN", h->name, ev);
		ev = poll_events(a, POLLOUT, 0);
		EXPECT_EQ(0, ev) TH_LOG("%s: write-fenced buffer polls 0x%x for POLLOUT", h->name, ev);
		ev = poll_events(b, POLLIN, 0);
		EXPECT_EQ(POLLIN, ev) TH_LOG("%s: read-fenced buffer polls 0x%x for POLLIN", h->name, ev);
		ev = poll_events(b, POLLOUT, 0);
		EXPECT_EQ(0, ev) TH_LOG("%s: read-fenced buffer polls 0x%x for POLLOUT", h->name, ev);

		s1 = export_sync_file(a, DMA_BUF_SYNC_READ);
		s2 = export_sync_file(a, DMA_BUF_SYNC_WRITE);
		s3 = export_sync_file(b, DMA_BUF_SYNC_WRITE);
		s4 = export_sync_file(b, DMA_BUF_SYNC_READ);
		ASSERT_LE(0, s1);
		ASSERT_LE(0, s2);
		ASSERT_LE(0, s3);
		ASSERT_LE(0, s4);
		EXPECT_EQ(0, sync_file_signalled(s1)) TH_LOG("%s: read export of a write-fenced buffer signalled", h->name);
		EXPECT_EQ(0, sync_file_signalled(s2)) TH_LOG("%s: write export of a write-fenced buffer signalled", h->name);
		EXPECT_EQ(0, sync_file_signalled(s3)) TH_LOG("%s: write export of a read-fenced buffer signalled", h->name);
		/* a reader waits for writers only */
		EXPECT_EQ(1, sync_file_signalled(s4)) TH_LOG("%s: read export of a read-fenced buffer not signalled", h->name);
		TH_LOG("%s: fence armed %" PRIu64 " ms (vgem signals it itself at 10 s)",
		       h->name, (rh_now_ns() - t0) / 1000000);

		ASSERT_EQ(0, signal_vgem_fence(vfd, &src));
		EXPECT_EQ(POLLIN, poll_events(s1, POLLIN, 5000));
		EXPECT_EQ(POLLIN, poll_events(s2, POLLIN, 5000));
		EXPECT_EQ(POLLIN, poll_events(s3, POLLIN, 5000));
		ev = poll_events(a, POLLIN | POLLOUT, 0);
		EXPECT_EQ(POLLIN | POLLOUT, ev) TH_LOG("%s: polls 0x%x after the signal", h->name, ev);
		ev = poll_events(b, POLLIN | POLLOUT, 0);
		EXPECT_EQ(POLLIN | POLLOUT, ev) TH_LOG("%s: polls 0x%x after the signal", h->name, ev);
		sfd = export_sync_file(a, DMA_BUF_SYNC_RW);
		ASSERT_LE(0, sfd);
		EXPECT_EQ(1, sync_file_signalled(sfd)) TH_LOG("%s: export after the signal not signalled", h->name);
		close(sfd);

		close(s1);
		close(s2);
		close(s3);
		close(s4);
		close(src.dmabuf);
		EXPECT_EQ(0, gem_close(vfd, src.handle));
		close(a);
		close(b);
		EXPECT_EQ(bufs0, attr(h->name, "buffers"));
		close(hfd);
	}
	close(vfd);
	skip_if_none(done);
#endif
}

/* ------------------------------------------------------------------ */
/* read()/write() between a file and a mapped buffer, with O_DIRECT     */
/* ------------------------------------------------------------------ */

/*
 * A block device, because its O_DIRECT pins the user pages
 * (get_user_pages/pin_user_pages under bio_iov_iter_get_pages()); tmpfs
 * accepts O_DIRECT from 6.6 on but copies as buffered I/O does.
 */
#define RAMDISK		"/dev/ram0"
#define DIRECT_OFF	0
#define BUFFERED_OFF	RH_MIB

/*
 * What O_DIRECT from or into a mapping of our buffers gives: both back
 * ends insert the PFNs with remap_pfn_range() (rmem_heap_mmap_pfns()), so
 * the VMA is VM_PFNMAP even where the memory has struct pages (reusable),
 * and check_vma_flags() in mm/gup.c refuses it with -EFAULT.
 */
static int direct_io_errno(const struct rh_heap *h)
{
	(void)h;
	return EFAULT;
}

TEST_F_TIMEOUT(heap, o_direct, 120)
{
	const size_t len = 64 * RH_KIB;
	const struct rh_heap *h;
	unsigned char *anon;
	int done = 0, dfd, bfd;
	ssize_t n;

	dfd = open(RAMDISK, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		SKIP(return, "no %s (CONFIG_BLK_DEV_RAM): no block device to do O_DIRECT on", RAMDISK);
	ASSERT_LE(0, dfd) TH_LOG("open %s O_DIRECT: %s", RAMDISK, strerror(errno));
	bfd = open(RAMDISK, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, bfd) TH_LOG("open %s: %s", RAMDISK, strerror(errno));

	/* control: O_DIRECT works on this device with ordinary memory */
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(anon != MAP_FAILED);
	fill_bytes(anon, len, 0x5d);
	n = pwrite(dfd, anon, len, DIRECT_OFF);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("O_DIRECT write from anonymous memory: %s", n < 0 ? strerror(errno) : "short");
	memset(anon, 0, len);
	n = pread(dfd, anon, len, DIRECT_OFF);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("O_DIRECT read into anonymous memory: %s", n < 0 ? strerror(errno) : "short");
	ASSERT_TRUE(expect_bytes("control", "anonymous memory read back with O_DIRECT", anon, len, 0x5d));

	for_each_variant_heap(h, done) {
		int hfd = open_heap(h->name), fd, ret, want = direct_io_errno(h);
		unsigned char *p;

		ret = rh_alloc(hfd, len, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(p != MAP_FAILED) TH_LOG("%s: mmap: %s", h->name, strerror(errno));
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		fill_bytes(p, len, 0x17);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

		/* O_DIRECT write from the mapping: refused, the device unchanged */
		errno = 0;
		n = pwrite(dfd, p, len, DIRECT_OFF);
		EXPECT_EQ(-1, n) TH_LOG("%s: O_DIRECT write from the mapping gave %zd", h->name, n);
		EXPECT_EQ(want, errno) {
			TH_LOG("%s: O_DIRECT write from the mapping: %s, expected %s",
			       h->name, strerror(errno), strerror(want));
		}
		memset(anon, 0, len);
		ASSERT_EQ((ssize_t)len, pread(dfd, anon, len, DIRECT_OFF));
		expect_bytes(h->name, RAMDISK " after the refused O_DIRECT write", anon, len, 0x5d);

		/* O_DIRECT read into the mapping: refused, the buffer unchanged */
		errno = 0;
		n = pread(dfd, p, len, DIRECT_OFF);
		EXPECT_EQ(-1, n) TH_LOG("%s: O_DIRECT read into the mapping gave %zd", h->name, n);
		EXPECT_EQ(want, errno) {
			TH_LOG("%s: O_DIRECT read into the mapping: %s, expected %s",
			       h->name, strerror(errno), strerror(want));
		}
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		expect_bytes(h->name, "buffer after the refused O_DIRECT read", p, len, 0x17);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

		/* buffered write() from the mapping reaches the device */
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		n = pwrite(bfd, p, len, BUFFERED_OFF);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		EXPECT_EQ((ssize_t)len, n) TH_LOG("%s: write from the mapping: %s", h->name, n < 0 ? strerror(errno) : "short");
		EXPECT_EQ(0, fsync(bfd));
		memset(anon, 0, len);
		ASSERT_EQ((ssize_t)len, pread(dfd, anon, len, BUFFERED_OFF));
		expect_bytes(h->name, RAMDISK " written from the buffer", anon, len, 0x17);

		/* buffered read() into the mapping */
		fill_bytes(anon, len, 0xa9);
		ASSERT_EQ((ssize_t)len, pwrite(dfd, anon, len, BUFFERED_OFF));
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		n = pread(bfd, p, len, BUFFERED_OFF);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		EXPECT_EQ((ssize_t)len, n) TH_LOG("%s: read into the mapping: %s", h->name, n < 0 ? strerror(errno) : "short");
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		expect_bytes(h->name, "buffer read from " RAMDISK, p, len, 0xa9);
		ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

		munmap(p, len);
		close(fd);
		close(hfd);
	}
	munmap(anon, len);
	close(bfd);
	close(dfd);
	skip_if_none(done);
}

/* ------------------------------------------------------------------ */
/* lab topology                                                         */
/* ------------------------------------------------------------------ */

FIXTURE(lab) {
	struct rh_heap heaps[RH_MAX_HEAPS];
	int nheaps;
};

FIXTURE_SETUP(lab)
{
	int i;

	self->nheaps = rh_discover(self->heaps, RH_MAX_HEAPS);
	ASSERT_LT(0, self->nheaps) {
		TH_LOG("no heaps under %s (%s)", RH_SYSFS,
		       self->nheaps < 0 ? strerror(-self->nheaps) : "empty");
	}
	for (i = 0; i < self->nheaps; i++)
		log_heap(_metadata, &self->heaps[i]);
}

FIXTURE_TEARDOWN(lab)
{
}

TEST_F(lab, sysfs_layout)
{
	static const char * const nums[] = {
		"size", "used", "free", "largest_free", "buffers", "peak_used",
		"failed", "zero_pending", "kept", "slabs",
	};
	int i, dbg = ensure_debugfs();

	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		uint64_t v[10];
		char path[256], hdr[4096];
		struct stat st;
		size_t j;
		ssize_t n;
		int ret;

		for (j = 0; j < 10; j++) {
			ret = rh_read_u64(h->name, nums[j], &v[j]);
			EXPECT_EQ(0, ret) {
				TH_LOG("%s/%s: %s", h->name, nums[j],
				       ret == -EINVAL ? "not \"<decimal>\\n\"" : strerror(-ret));
			}
		}
		EXPECT_NE(-1, h->reusable) TH_LOG("%s: bad type", h->name);
		EXPECT_NE(RH_POLICY_UNKNOWN, h->policy) TH_LOG("%s: bad policy", h->name);
		EXPECT_LT(U0, h->size);
		EXPECT_EQ(U0, h->size % page_sz());
		EXPECT_LE(v[1], v[0]);
		EXPECT_EQ(v[0] - v[1], v[2]) TH_LOG("%s: free != size - used", h->name);
		EXPECT_LE(v[3], v[2]);
		EXPECT_LE(v[1], v[5]);
		EXPECT_EQ(0, !v[1] != !v[4]) TH_LOG("%s: used and buffers disagree", h->name);
		EXPECT_LE(v[7], v[0]);
		if (h->reusable) {
			/* only kept chunks wait to be zeroed */
			EXPECT_LE(v[7], v[8]) TH_LOG("%s: zero_pending beyond kept", h->name);
		} else {
			EXPECT_EQ(U0, v[8]) TH_LOG("%s: no-map with kept chunks", h->name);
			EXPECT_EQ(U0, v[9]) TH_LOG("%s: no-map with slabs", h->name);
		}
		/* slabs hold the small buffers and are whole MiBs */
		EXPECT_EQ(U0, v[9] % RH_MIB) TH_LOG("%s: slabs %" PRIu64, h->name, v[9]);
		EXPECT_LE(v[9], v[0]);
		/* at most half of the region (rmem_heap_keep.c) */
		EXPECT_LE(v[8], v[0] / 2);

		snprintf(path, sizeof(path), RH_DEVDIR "/%s", h->name);
		EXPECT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_TRUE(S_ISCHR(st.st_mode));

		EXPECT_EQ(0, dbg) TH_LOG("%s: %s", RH_DEBUGFS, strerror(-dbg));
		if (!dbg) {
			snprintf(path, sizeof(path), RH_DEBUGFS "/%s", h->name);
			n = rh_read_file(path, hdr, sizeof(hdr));
			EXPECT_LT(0, n) TH_LOG("%s: %s", path, n < 0 ? strerror((int)-n) : "empty");
			if (n > 0) {
				EXPECT_EQ('#', hdr[0]);
			}
		}
	}
}

static void twin_check(struct __test_metadata *_metadata, struct rh_heap *heaps,
		       int n, const char *base, int reusable)
{
	char twin_name[RH_NAME_LEN + 16], name[32];
	const uint64_t page = page_sz();
	struct rh_heap *a, *b;
	struct dbg_entry e;
	uint64_t u0, b0, half;
	int fa, fb, fd, ret;

	snprintf(twin_name, sizeof(twin_name), "%s-uncached", base);
	a = rh_find(heaps, n, base);
	b = rh_find(heaps, n, twin_name);
	ASSERT_TRUE(a != NULL) TH_LOG("heap %s missing", base);
	ASSERT_TRUE(b != NULL) TH_LOG("heap %s missing", twin_name);
	TH_LOG("twins %s / %s", a->name, b->name);
	EXPECT_EQ(reusable, a->reusable);
	EXPECT_EQ(reusable, b->reusable);
	EXPECT_NE(RH_UNCACHED, a->policy);
	EXPECT_EQ(RH_UNCACHED, b->policy);
	EXPECT_EQ(a->size, b->size);

	fa = __open_heap(_metadata, a->name);
	fb = __open_heap(_metadata, b->name);

	/* allocation on one is accounted on the other */
	u0 = __attr(_metadata, b->name, "used");
	b0 = __attr(_metadata, b->name, "buffers");
	ASSERT_EQ(0, rh_alloc(fa, RH_MIB, &fd));
	set_unique_name(fd, "twin", name, sizeof(name));
	EXPECT_EQ(u0 + RH_MIB, __attr(_metadata, b->name, "used"));
	EXPECT_EQ(b0 + 1, __attr(_metadata, b->name, "buffers"));
	if (!ensure_debugfs()) {
		ret = dbg_lookup(b->name, name, &e);
		EXPECT_EQ(0, ret) TH_LOG("%s buffer not listed in debugfs of %s", a->name, b->name);
		if (!ret) {
			EXPECT_STREQ(a->name, e.heap);
		}
	}
	close(fd);
	EXPECT_EQ(u0, __attr(_metadata, b->name, "used"));

	u0 = __attr(_metadata, a->name, "used");
	ASSERT_EQ(0, rh_alloc(fb, RH_MIB, &fd));
	EXPECT_EQ(u0 + RH_MIB, __attr(_metadata, a->name, "used"));
	close(fd);
	EXPECT_EQ(u0, __attr(_metadata, a->name, "used"));

	/* one pool: half on each twin cannot exceed the region */
	if (!u0) {
		half = a->size / 2 / page * page;
		ret = rh_alloc(fa, half, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: half region: %s", a->name, strerror(-ret));
		ret = alloc_fails(fb, a->size - half + page);
		EXPECT_EQ(ENOMEM, ret) TH_LOG("%s: pool overcommitted through %s", a->name, b->name);
		close(fd);
	}
	close(fa);
	close(fb);
}

TEST_F(lab, twin_heaps)
{
	const char *others[] = { "rmem", "frames" };
	struct rh_heap *r, *v, *f;
	uint64_t u[2];
	int fd, hfd, i;

	twin_check(_metadata, self->heaps, self->nheaps, "video", 0);
	twin_check(_metadata, self->heaps, self->nheaps, "frames", 1);
	r = rh_find(self->heaps, self->nheaps, "rmem");
	ASSERT_TRUE(r != NULL) TH_LOG("heap rmem (single unnamed region) missing");
	EXPECT_EQ(0, r->reusable);
	EXPECT_EQ(RH_CACHED, r->policy);
	EXPECT_TRUE(rh_find(self->heaps, self->nheaps, "rmem-uncached") == NULL);

	/* pools are independent */
	v = rh_find(self->heaps, self->nheaps, "video");
	f = rh_find(self->heaps, self->nheaps, "frames");
	ASSERT_TRUE(v != NULL);
	ASSERT_TRUE(f != NULL);
	for (i = 0; i < 2; i++)
		u[i] = attr(others[i], "used");
	hfd = open_heap("video");
	ASSERT_EQ(0, rh_alloc(hfd, RH_MIB, &fd));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(u[i], attr(others[i], "used")) {
			TH_LOG("video alloc changed %s", others[i]);
		}
	}
	close(fd);
	close(hfd);
}

struct thr {
	pthread_t tid;
	int idx, iters, nheaps, errors;
	pthread_barrier_t *bar;
	const struct rh_heap *heaps;
	char msg[160];
};

static void thr_err(struct thr *t, const char *heap, const char *what, int err)
{
	if (!t->errors++)
		snprintf(t->msg, sizeof(t->msg), "thread %d heap %s: %s: %s",
			 t->idx, heap, what, strerror(err));
}

static void *thr_fn(void *arg)
{
	struct thr *t = arg;
	const size_t page = page_sz();
	int it;

	pthread_barrier_wait(t->bar);
	for (it = 0; it < t->iters; it++) {
		const struct rh_heap *h = &t->heaps[(t->idx + it) % t->nheaps];
		size_t len = page * (size_t)(1 + (t->idx * 7 + it * 13) % 48);
		uint64_t seed = ((uint64_t)t->idx << 32) | (uint64_t)it;
		int hfd, fd, ret;
		void *p;

		hfd = rh_open_heap(h->name);
		if (hfd < 0) {
			thr_err(t, h->name, "open", -hfd);
			continue;
		}
		ret = rh_alloc(hfd, len, &fd);
		close(hfd);
		if (ret) {
			thr_err(t, h->name, "alloc", -ret);
			continue;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			thr_err(t, h->name, "mmap", errno);
			close(fd);
			continue;
		}
		if (rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW))
			thr_err(t, h->name, "sync start", errno);
		if (find_nonzero(p, len) != len)
			thr_err(t, h->name, "fresh buffer not zeroed", EIO);
		fill_words(p, len, seed);
		if (rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW))
			thr_err(t, h->name, "sync end", errno);
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		if (check_words(p, len, seed) != len)
			thr_err(t, h->name, "data mismatch", EIO);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap(p, len);
		close(fd);
	}
	return NULL;
}

/*
 * The number @fmt scans from the lines of the text file @path: the first
 * one, or (@all) the sum of every line's.  -1 if the file cannot be read
 * or no line matches.
 */
static long long proc_scan(const char *path, const char *fmt, int all)
{
	long long sum = 0, v;
	char line[512];
	int found = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, fmt, &v) != 1)
			continue;
		sum += v;
		found = 1;
		if (!all)
			break;
	}
	fclose(f);
	return found ? sum : -1;
}

/*
 * KiB of the vmalloc area in use, ioremap()/memremap() mappings included
 * (VmallocUsed in /proc/meminfo counts only vmalloc()ed pages).
 */
static long vmalloc_area_kb(void)
{
	long long sum = proc_scan("/proc/vmallocinfo", "%*s %lld", 1);

	return sum < 0 ? -1 : (long)(sum / 1024);
}

/*
 * 32-bit kernels: cached no-map buffers that are mapped and synced must not
 * each keep a kernel mapping, or a member of the heap's group could fill
 * the vmalloc area.  Map and sync 1 MiB buffers from every cached no-map
 * heap, all alive at once, and check that the vmalloc area in use stays
 * bounded (on 64-bit kernels, which keep one mapping per buffer on purpose,
 * by the buffers' own size).
 */
/* other kernel users move the vmalloc area by up to ~16 MiB meanwhile */
#define VMALLOC_SLACK_KB	(32 * 1024)
TEST_F_TIMEOUT(lab, vmalloc_bounded, 120)
{
	enum { MAXBUF = 512 };
	static int fds[MAXBUF];
	const size_t len = 1 << 20;
	long before, after;
	int i, n = 0;

	before = vmalloc_area_kb();
	ASSERT_LE(0, before);
	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		int hfd;

		if (h->reusable != 0 || h->policy != RH_CACHED)
			continue;
		hfd = open_heap(h->name);
		ASSERT_LE(0, hfd);
		while (n < MAXBUF) {
			struct dma_heap_allocation_data d = {
				.len = len, .fd_flags = O_RDWR | O_CLOEXEC,
			};
			struct dma_buf_sync sync = {
				.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
			};
			char *p;

			if (ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d))
				break;
			fds[n++] = d.fd;
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, 0);
			ASSERT_NE(MAP_FAILED, p);
			ASSERT_EQ(0, ioctl(d.fd, DMA_BUF_IOCTL_SYNC, &sync));
			p[0] = 1;
			p[len - 1] = 2;
			sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
			ASSERT_EQ(0, ioctl(d.fd, DMA_BUF_IOCTL_SYNC, &sync));
			ASSERT_EQ(0, munmap(p, len));
		}
		close(hfd);
	}
	after = vmalloc_area_kb();
	TH_LOG("%d MiB of cached no-map buffers mapped and synced: vmalloc area in use %ld -> %ld KiB",
	       n, before, after);
	for (i = 0; i < n; i++)
		close(fds[i]);
	ASSERT_LE(64, n) TH_LOG("too few buffers to tell kept mappings from noise");
	if (sizeof(long) > 4) {
		ASSERT_LT(after - before, (long)n * 1024 + VMALLOC_SLACK_KB);
	} else {
		ASSERT_LT(after - before, VMALLOC_SLACK_KB);
	}
}

/* Pages the page allocator has handed out since boot (all zones). */
static long long pgalloc_pages(void)
{
	long long sum = 0, n;
	char name[64];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &n) == 2)
		if (!strncmp(name, "pgalloc_", 8))
			sum += n;
	fclose(f);
	return sum;
}

/*
 * A reusable heap that is full fails without asking the page allocator for
 * the pages the CMA area could not give (dma-direct's fallback would take
 * and free a 4 MiB block of system RAM for nothing, with reclaim).
 */
TEST_F_TIMEOUT(lab, reusable_full_no_fallback, 120)
{
	enum { MAXBUF = 256 };
	static int fds[MAXBUF];
	long long before, after;
	int i, n = 0, hfd = -1;

	for (i = 0; i < self->nheaps; i++)
		if (self->heaps[i].reusable == 1)
			break;
	ASSERT_LT(i, self->nheaps) TH_LOG("no reusable heap of ours");
	hfd = open_heap(self->heaps[i].name);
	ASSERT_LE(0, hfd);
	while (n < MAXBUF && !rh_alloc(hfd, RH_MIB, &fds[n]))
		n++;
	ASSERT_LT(n, MAXBUF);
	before = pgalloc_pages();
	ASSERT_LE(0, before);
	EXPECT_EQ(-ENOMEM, rh_alloc(hfd, 4 * RH_MIB, &fds[n]));
	after = pgalloc_pages();
	TH_LOG("%s full after %d MiB: a 4 MiB allocation took %lld pages from the page allocator",
	       self->heaps[i].name, n, after - before);
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(hfd);
	/* 4 MiB is 1024 pages; allow what other tasks allocate meanwhile */
	EXPECT_GT(256, after - before);
}

/*
 * Free CMA memory in bytes (CmaFree of /proc/meminfo) plus the pages on
 * the per-CPU free lists (/proc/zoneinfo "count:"), or -1.  Pages freed
 * one by one (6.1's cma_release()) go to those lists first, which CmaFree
 * does not count.
 */
static long long cma_free_bytes(void)
{
	long long kib = proc_scan("/proc/meminfo", "CmaFree: %lld kB", 0);
	long long pcp = proc_scan("/proc/zoneinfo", " count: %lld", 1);

	return kib < 0 || pcp < 0 ? -1 : kib * 1024 + pcp * (long long)page_sz();
}

#define KEEP_MS_PARAM	"/sys/module/rmem_heap/parameters/keep_ms"

/* Wait up to @ms for @heap's "kept" to read 0; returns what it reads. */
static uint64_t __wait_unkept(struct __test_metadata *_metadata,
			      const char *heap, unsigned int ms)
{
	uint64_t kept = attr(heap, "kept");

	for (; kept && ms >= 50; ms -= 50) {
		usleep(50000);
		kept = attr(heap, "kept");
	}
	return kept;
}
#define wait_unkept(heap, ms) __wait_unkept(_metadata, heap, ms)

/* The first reusable heap of ours with @policy, or NULL. */
static const struct rh_heap *reusable_heap(const struct rh_heap *heaps, int n,
					   int policy)
{
	int i;

	for (i = 0; i < n; i++)
		if (heaps[i].reusable == 1 && heaps[i].policy == policy)
			return &heaps[i];
	return NULL;
}

/*
 * A freed reusable buffer is kept for the next one of its size: that one
 * reads zero, a whole-region allocation still succeeds at once (also while
 * the timer gives a chunk back), and the chunk goes back to CMA (CmaFree)
 * keep_ms after the last free; with keep_ms 0 nothing is kept.
 */
TEST_F_TIMEOUT(lab, reusable_keep, 120)
{
	char val[32];
	unsigned int ms;
	const struct rh_heap *h = reusable_heap(self->heaps, self->nheaps, RH_CACHED);
	unsigned char *p;
	long long live, back;
	uint64_t chunk;
	size_t bad;
	int i, hfd, fd, ret, fails;

	ASSERT_TRUE(h) TH_LOG("no cached reusable heap of ours");
	ASSERT_LT(0, rh_read_file(KEEP_MS_PARAM, val, sizeof(val)))
		TH_LOG("%s: %s", KEEP_MS_PARAM, strerror(errno));
	ms = (unsigned int)strtoul(val, NULL, 10);
	ASSERT_LT(0u, ms) TH_LOG("keep_ms is 0: the driver's default is on");
	hfd = open_heap(h->name);
	ASSERT_LE(0, hfd);
	ASSERT_EQ(U0, wait_unkept(h->name, ms + 2000)) TH_LOG("%s: kept chunks stay", h->name);

	/* a dirtied 1 MiB buffer is kept, and the next 1 MiB reuses it, zeroed */
	ASSERT_EQ(0, rh_alloc(hfd, RH_MIB, &fd));
	p = mmap(NULL, RH_MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(p, 0x5a, RH_MIB);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(p, RH_MIB);
	close(fd);
	EXPECT_EQ((uint64_t)RH_MIB, attr(h->name, "kept"));
	/* zeroed in the background, and then taken as it is */
	EXPECT_EQ(U0, wait_zeroed(h->name)) TH_LOG("%s: kept chunk never zeroed", h->name);
	ASSERT_EQ(0, rh_alloc(hfd, RH_MIB, &fd));
	EXPECT_EQ(U0, attr(h->name, "kept")) TH_LOG("%s: the kept chunk was not reused", h->name);
	p = mmap(NULL, RH_MIB, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	bad = find_nonzero(p, RH_MIB);
	EXPECT_EQ((size_t)RH_MIB, bad) TH_LOG("%s: reused chunk reads 0x%02x at %zu",
					      h->name, p[bad], bad);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, RH_MIB);
	close(fd);

	/* what is kept never stands in the way of the whole region */
	EXPECT_EQ((uint64_t)RH_MIB, attr(h->name, "kept"));
	ret = rh_alloc(hfd, h->size, &fd);
	EXPECT_EQ(0, ret) TH_LOG("%s: whole region with a kept chunk: %s", h->name,
				 strerror(-ret));
	if (!ret)
		close(fd);

	/*
	 * Given back to CMA once no buffer was freed for keep_ms: free CMA
	 * memory grows by the chunk (an eighth of the region) between a
	 * reading while it is kept and one after; the kernel's own movable
	 * allocations may take CMA pages meanwhile (a few hundred KiB were
	 * seen under make check), so three quarters of it must show.
	 */
	chunk = page_align(h->size / 8);
	ASSERT_EQ(0, rh_alloc(hfd, chunk, &fd));
	close(fd);
	EXPECT_EQ(chunk, attr(h->name, "kept"));
	live = cma_free_bytes();
	EXPECT_EQ(U0, wait_unkept(h->name, ms + 2000)) TH_LOG("%s: kept after %u ms", h->name,
							      ms + 2000);
	back = cma_free_bytes();
	TH_LOG("%s: free CMA and per-CPU pages %lld KiB with %llu KiB kept, %lld KiB after keep_ms (%u)",
	       h->name, live / 1024, (unsigned long long)chunk / 1024, back / 1024, ms);
	EXPECT_LE(live + (long long)(chunk / 4 * 3), back);

	/*
	 * The whole region while the timer gives a chunk back: the room is
	 * there, only not yet back in CMA (an allocation that found the list
	 * empty failed before the release was made to wait for).
	 */
	ASSERT_EQ(0, rh_write_file(KEEP_MS_PARAM, "1"));
	for (i = 0, fails = 0; i < 40; i++) {
		ASSERT_EQ(0, rh_alloc(hfd, RH_MIB, &fd));
		close(fd);
		usleep((useconds_t)(i % 8) * 250);
		ret = rh_alloc(hfd, h->size, &fd);
		if (ret)
			fails++;
		else
			close(fd);
	}
	EXPECT_EQ(0, fails) TH_LOG("%s: %d of 40 whole-region allocations racing keep_ms 1 failed",
				   h->name, fails);

	/* keep_ms 0: nothing kept */
	ASSERT_EQ(0, rh_write_file(KEEP_MS_PARAM, "0"));
	ret = rh_alloc(hfd, RH_MIB, &fd);
	if (!ret)
		close(fd);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(U0, attr(h->name, "kept")) TH_LOG("%s: kept with keep_ms 0", h->name);
	snprintf(val, sizeof(val), "%u", ms);
	EXPECT_EQ(0, rh_write_file(KEEP_MS_PARAM, val));
	close(hfd);
}

/* smallest power of two >= @x */
static uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/*
 * Allocate @len on @hfd, check that it reads zero and lies at an offset
 * of its region aligned to @len rounded up to a power of two, and fill it
 * with @fill.  Returns the dma-buf fd, or -1 (the failure logged).
 */
static int __slab_buffer(struct __test_metadata *_metadata, int hfd,
			 const char *heap, size_t len, int fill)
{
	struct dbg_entry e;
	unsigned char *p;
	char name[64];
	size_t bad;
	int fd, ret;

	ret = rh_alloc(hfd, len, &fd);
	EXPECT_EQ(0, ret) TH_LOG("%s: %zu bytes: %s", heap, len, strerror(-ret));
	if (ret)
		return -1;
	set_unique_name(fd, "slab", name, sizeof(name));
	EXPECT_EQ(0, dbg_lookup(heap, name, &e)) TH_LOG("%s: %s not in debugfs", heap, name);
	EXPECT_EQ(U0, e.offset % pow2_up(len))
		TH_LOG("%s: %zu bytes at offset %#" PRIx64, heap, len, e.offset);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	bad = find_nonzero(p, len);
	EXPECT_EQ(len, bad) TH_LOG("%s: %zu bytes at %#" PRIx64 " read 0x%02x at %zu",
				   heap, len, e.offset, p[bad], bad);
	memset(p, fill, len);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, len);
	return fd;
}
#define slab_buffer(hfd, heap, len, fill) __slab_buffer(_metadata, hfd, heap, len, fill)

/*
 * Buffers of up to 64 KiB of a reusable region are cut from slabs of
 * 1 MiB (rmem_heap_slab.c), by both cache policies of the region: each
 * reads zero whatever the buffer before it there left, lies at an offset
 * aligned to its size rounded up to a power of two (so it never straddles
 * two slabs), and the slabs hold what they cut; once all are freed at
 * most one empty slab stays, and a whole-region allocation takes that
 * back too.
 */
#define SLAB_BUFS	150
#define SLAB_AGAIN	8

TEST_F_TIMEOUT(lab, reusable_slabs, 120)
{
	static const size_t sizes[] = { 4096, 12288, 32768, 65536, 8192 };
	const struct rh_heap *hc = reusable_heap(self->heaps, self->nheaps, RH_CACHED);
	const struct rh_heap *hu = reusable_heap(self->heaps, self->nheaps, RH_UNCACHED);
	int fds[SLAB_BUFS], again[SLAB_AGAIN], hfd[2], i, fd, ret;
	uint64_t small = 0, slabs;

	ASSERT_EQ(0, ensure_debugfs());
	ASSERT_TRUE(hc) TH_LOG("no cached reusable heap of ours");
	ASSERT_GE(hc->size, 8 * RH_MIB) TH_LOG("%s: too small to cut slabs", hc->name);
	ASSERT_EQ((uint64_t)4096, page_sz()) TH_LOG("sizes assume 4 KiB pages");
	hfd[0] = open_heap(hc->name);
	ASSERT_LE(0, hfd[0]);
	/* a twin of the other cache policy cuts from the same slabs */
	if (!hu || hu->size != hc->size)
		hu = hc;
	hfd[1] = hu != hc ? open_heap(hu->name) : hfd[0];
	ASSERT_LE(0, hfd[1]);

	for (i = 0; i < SLAB_BUFS; i++) {
		int h = i % 3 == 2;

		fds[i] = slab_buffer(hfd[h], h ? hu->name : hc->name, sizes[i % 5], 0xa5);
		ASSERT_LE(0, fds[i]) TH_LOG("buffer %d", i);
		small += sizes[i % 5];
	}
	slabs = attr(hc->name, "slabs");
	TH_LOG("%s: %d buffers, %" PRIu64 " KiB, in %" PRIu64 " KiB of slabs",
	       hc->name, SLAB_BUFS, small / RH_KIB, slabs / RH_KIB);
	EXPECT_LE(small, slabs);
	EXPECT_LE(slabs, small * 2 + RH_MIB) TH_LOG("%s: slabs hold far more than they cut",
						  hc->name);

	/* in the holes of every other one freed: aligned, zeroed again */
	for (i = 0; i < SLAB_BUFS; i += 2)
		close(fds[i]);
	for (i = 0; i < SLAB_AGAIN; i++) {
		again[i] = slab_buffer(hfd[i % 2], i % 2 ? hu->name : hc->name, 32 * RH_KIB, 0x3c);
		EXPECT_LE(0, again[i]);
	}
	EXPECT_LE(attr(hc->name, "slabs"), slabs) TH_LOG("%s: new slabs while holes fit",
						       hc->name);
	for (i = 0; i < SLAB_AGAIN; i++)
		if (again[i] >= 0)
			close(again[i]);
	for (i = 1; i < SLAB_BUFS; i += 2)
		close(fds[i]);
	EXPECT_GE(RH_MIB, attr(hc->name, "slabs")) TH_LOG("%s: more than one empty slab",
							  hc->name);

	/* the whole region: the empty slab goes back to CMA first */
	ret = rh_alloc(hfd[0], hc->size, &fd);
	EXPECT_EQ(0, ret) TH_LOG("%s: whole region after slabs: %s", hc->name, strerror(-ret));
	if (!ret)
		close(fd);
	EXPECT_EQ(U0, attr(hc->name, "slabs"));
	if (hfd[1] != hfd[0])
		close(hfd[1]);
	close(hfd[0]);
}

/*
 * One frame cycle on @hfd: allocate @len, check that it reads zero, fill
 * it with @fill and free it.  Returns the offset of the first nonzero
 * byte (@len if none), or (size_t)-1 when the buffer could not be had.
 */
static size_t frame_cycle(int hfd, size_t len, int fill)
{
	unsigned char *p;
	size_t bad;
	int fd;

	if (rh_alloc(hfd, len, &fd))
		return (size_t)-1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return (size_t)-1;
	}
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	bad = find_nonzero(p, len);
	memset(p, fill, len);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, len);
	close(fd);
	return bad;
}

/*
 * A chunk kept by a heap of one cache policy is taken by a heap of the
 * other on the same region (lab: frames and frames-uncached) once it is
 * zeroed, rather than new pages: it is maintained for its new policy, not
 * zeroed again, and reads zero; the cache model of the debug lab kernels
 * checks that the uncached buffer's zeroes are in memory.
 */
TEST_F_TIMEOUT(lab, reusable_other_policy, 120)
{
	const struct rh_heap *c = reusable_heap(self->heaps, self->nheaps, RH_CACHED);
	const struct rh_heap *u = reusable_heap(self->heaps, self->nheaps, RH_UNCACHED);
	char keep_ms[32];
	int k, hfd[2], fd;
	unsigned char *p;
	size_t bad;

	ASSERT_TRUE(c && u) TH_LOG("no cached and uncached reusable heaps of ours");
	hfd[0] = open_heap(c->name);
	hfd[1] = open_heap(u->name);
	ASSERT_EQ(U0, wait_unkept(c->name, 5000)) TH_LOG("%s: kept chunks stay", c->name);
	/* nothing goes back on its own until the rounds are done */
	ASSERT_LT(0, rh_read_file(KEEP_MS_PARAM, keep_ms, sizeof(keep_ms)));
	ASSERT_EQ(0, rh_write_file(KEEP_MS_PARAM, "60000"));

	for (k = 0; k < 4; k++) {
		const struct rh_heap *from = k % 2 ? u : c, *to = k % 2 ? c : u;

		bad = frame_cycle(hfd[k % 2], RH_MIB, 0x5a + k);
		EXPECT_EQ((size_t)RH_MIB, bad) TH_LOG("%s: round %d reads nonzero at %zu",
						      from->name, k, bad);
		EXPECT_EQ((uint64_t)RH_MIB, attr(to->name, "kept"))
			TH_LOG("%s and %s: not one region", c->name, u->name);
		EXPECT_EQ(U0, wait_zeroed(from->name)) TH_LOG("%s: never zeroed", from->name);

		fd = -1;
		EXPECT_EQ(0, rh_alloc(hfd[!(k % 2)], RH_MIB, &fd));
		if (fd < 0)
			break;
		EXPECT_EQ(U0, attr(to->name, "kept"))
			TH_LOG("%s: did not take the chunk %s kept", to->name, from->name);
		p = mmap(NULL, RH_MIB, PROT_READ, MAP_SHARED, fd, 0);
		EXPECT_TRUE(p != MAP_FAILED);
		if (p != MAP_FAILED) {
			rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			bad = find_nonzero(p, RH_MIB);
			EXPECT_EQ((size_t)RH_MIB, bad)
				TH_LOG("%s: taken from %s, reads 0x%02x at %zu",
				       to->name, from->name, p[bad], bad);
			rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
			munmap(p, RH_MIB);
		}
		close(fd);
		EXPECT_EQ(U0, wait_zeroed(to->name)) TH_LOG("%s: never zeroed", to->name);
	}
	/* a free under the old keep_ms sets the timer back to it */
	EXPECT_EQ(0, rh_write_file(KEEP_MS_PARAM, keep_ms));
	if (!rh_alloc(hfd[0], 4 * RH_KIB, &fd))
		close(fd);
	close(hfd[0]);
	close(hfd[1]);
}

/*
 * Frame cycles on every reusable heap: allocate, read, dirty and free a
 * buffer, again and again, as fast as possible and with pauses.  Each new
 * buffer reads zero, whether its chunk was zeroed in the background, is
 * zeroed by the allocation or is new; two chunks take turns, so at most
 * two of the size are kept, also when they are half of the region.  A
 * small buffer freed beside them is kept too (its own allowance), a
 * 256 KiB one is not, nor one of 64 KiB or less (cut from a slab).
 */
TEST_F_TIMEOUT(lab, reusable_turns, 120)
{
	char keep_ms[32];
	int i, k, fd, done = 0;

	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		int hfd, bad_cycles = 0;
		uint64_t kept, kept0, most = 0;
		size_t bad, quarter;

		if (h->reusable != 1)
			continue;
		done++;
		hfd = open_heap(h->name);
		ASSERT_LE(0, hfd);
		/* what earlier tests left kept may go back meanwhile */
		kept0 = attr(h->name, "kept");
		for (k = 0; k < 40; k++) {
			bad = frame_cycle(hfd, RH_MIB, 0xa5);
			ASSERT_NE((size_t)-1, bad) TH_LOG("%s: cycle %d: no buffer", h->name, k);
			if (bad != RH_MIB && !bad_cycles++)
				TH_LOG("%s: cycle %d reads nonzero at %zu", h->name, k, bad);
			kept = attr(h->name, "kept");
			most = kept > most ? kept : most;
			/* every fourth cycle waits: the background work goes first */
			if (k % 4 == 3)
				usleep(20000);
		}
		TH_LOG("%s: 40 cycles of 1 MiB, at most %" PRIu64 " KiB kept (%" PRIu64 " before)",
		       h->name, most / RH_KIB, kept0 / RH_KIB);
		EXPECT_EQ(0, bad_cycles) TH_LOG("%s: %d of 40 new buffers not zero", h->name, bad_cycles);
		EXPECT_LE(most, kept0 + 2 * RH_MIB);

		/*
		 * Frames of a quarter of the region, back to back: the second
		 * chunk of the size may take the kept bytes to half of the
		 * region, so two still take turns; never a third.
		 */
		quarter = h->size / 4 / page_sz() * page_sz();
		EXPECT_EQ(U0, wait_unkept(h->name, 3000)) TH_LOG("%s: kept chunks stay", h->name);
		/* nothing goes back on its own until the checks below are done */
		ASSERT_LT(0, rh_read_file(KEEP_MS_PARAM, keep_ms, sizeof(keep_ms)));
		ASSERT_EQ(0, rh_write_file(KEEP_MS_PARAM, "60000"));
		for (k = 0, most = 0, bad_cycles = 0; k < 8; k++) {
			bad = frame_cycle(hfd, quarter, 0x3c);
			if (bad == (size_t)-1)
				break;
			if (bad != quarter)
				bad_cycles++;
			kept = attr(h->name, "kept");
			most = kept > most ? kept : most;
		}
		EXPECT_EQ(8, k) TH_LOG("%s: cycle %d: no buffer", h->name, k);
		TH_LOG("%s: 8 cycles of %zu KiB, at most %" PRIu64 " KiB kept", h->name,
		       quarter / RH_KIB, most / RH_KIB);
		EXPECT_EQ(0, bad_cycles) TH_LOG("%s: %d of 8 new buffers not zero", h->name, bad_cycles);
		EXPECT_EQ(2 * quarter, most);

		/*
		 * Small buffers beside the two frames: kept and reused (128
		 * KiB: up to 64 KiB they are cut from slabs, never kept).
		 */
		for (k = 0; k < 3; k++) {
			fd = -1;
			EXPECT_EQ(0, rh_alloc(hfd, 128 * RH_KIB, &fd));
			if (fd >= 0)
				close(fd);
			EXPECT_EQ(2 * quarter + 128 * RH_KIB, attr(h->name, "kept"))
				TH_LOG("%s: 128 KiB freed beside two kept frames, round %d",
				       h->name, k);
		}
		/* one cut from a slab is not, nor one the background zeroes */
		for (k = 0; k < 2; k++) {
			size_t len = k ? 256 * RH_KIB : 4 * RH_KIB;

			fd = -1;
			EXPECT_EQ(0, rh_alloc(hfd, len, &fd));
			if (fd >= 0)
				close(fd);
			EXPECT_EQ(2 * quarter + 128 * RH_KIB, attr(h->name, "kept"))
				TH_LOG("%s: a %zu KiB buffer kept beyond half the region",
				       h->name, len / RH_KIB);
		}
		/* a free under the old keep_ms sets the timer back to it */
		EXPECT_EQ(0, rh_write_file(KEEP_MS_PARAM, keep_ms));
		if (!rh_alloc(hfd, 128 * RH_KIB, &fd))
			close(fd);
		close(hfd);
	}
	ASSERT_LT(0, done) TH_LOG("no reusable heap of ours");
}

TEST_F_TIMEOUT(lab, four_threads, 120)
{
	uint64_t used0[RH_MAX_HEAPS], bufs0[RH_MAX_HEAPS];
	pthread_barrier_t bar;
	struct thr t[4];
	int i, total = 0;

	for (i = 0; i < self->nheaps; i++) {
		used0[i] = attr(self->heaps[i].name, "used");
		bufs0[i] = attr(self->heaps[i].name, "buffers");
	}
	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 4));
	for (i = 0; i < 4; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].idx = i;
		t[i].iters = 40;
		t[i].nheaps = self->nheaps;
		t[i].heaps = self->heaps;
		t[i].bar = &bar;
		ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, thr_fn, &t[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i].tid, NULL);
		if (t[i].errors)
			TH_LOG("%d errors, first: %s", t[i].errors, t[i].msg);
		total += t[i].errors;
	}
	pthread_barrier_destroy(&bar);
	EXPECT_EQ(0, total);
	for (i = 0; i < self->nheaps; i++) {
		EXPECT_EQ(used0[i], attr(self->heaps[i].name, "used")) TH_LOG("%s", self->heaps[i].name);
		EXPECT_EQ(bufs0[i], attr(self->heaps[i].name, "buffers")) TH_LOG("%s", self->heaps[i].name);
	}
}

struct bad_node {
	const char *node;
	const char *phrase;
};

TEST_F(lab, broken_bindings)
{
	static const struct bad_node bad[] = {
		{ "rmem-heap-bad-missing", "no memory-region" },
		{ "rmem-heap-bad-compat", "is not a shared-dma-pool" },
		{ "rmem-heap-bad-dup", "duplicate heap name \"dup\"" },
	};
	char *log, *line, *save = NULL, **lines = NULL;
	int len, n, nlines = 0, i, j;
	struct dirent *de;
	DIR *d;

	len = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	ASSERT_LT(0, len) TH_LOG("klogctl(SIZE_BUFFER): %s", strerror(errno));
	log = malloc((size_t)len + 1);
	ASSERT_TRUE(log != NULL);
	n = klogctl(SYSLOG_ACTION_READ_ALL, log, len);
	ASSERT_LE(0, n) TH_LOG("klogctl(READ_ALL): %s", strerror(errno));
	log[n] = '\0';
	lines = calloc((size_t)n / 2 + 2, sizeof(*lines));
	ASSERT_TRUE(lines != NULL);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		lines[nlines++] = line;
	TH_LOG("%d kernel log lines", nlines);

	/*
	 * Exactly one line naming the node carries the reason (the driver
	 * core's "probe of ... failed with error" line does not).  Every line
	 * naming the node is logged for the record.  A second module load in
	 * the same boot would legitimately double the count: the lab loads
	 * rmem_heap once before this test.
	 */
	for (i = 0; i < 3; i++) {
		int with_reason = 0, mention = 0;

		for (j = 0; j < nlines; j++) {
			if (!strstr(lines[j], bad[i].node))
				continue;
			mention++;
			TH_LOG("log: %s", lines[j]);
			if (strstr(lines[j], bad[i].phrase))
				with_reason++;
		}
		EXPECT_EQ(1, with_reason) {
			TH_LOG("%s: %d line(s) naming it with \"%s\", want exactly 1",
			       bad[i].node, with_reason, bad[i].phrase);
		}
		EXPECT_LT(0, mention) TH_LOG("%s never mentioned in the kernel log", bad[i].node);
	}

	/* nothing came from the broken nodes */
	EXPECT_TRUE(rh_find(self->heaps, self->nheaps, "dup") == NULL);
	EXPECT_TRUE(rh_find(self->heaps, self->nheaps, "dup-uncached") == NULL);
	EXPECT_EQ(-1, access(RH_DEVDIR "/dup", F_OK));
	for (i = 0; i < self->nheaps; i++) {
		EXPECT_NE(BAD_REGION_SIZE, self->heaps[i].size) {
			TH_LOG("heap %s has the size of a broken node's region",
			       self->heaps[i].name);
		}
	}
	d = opendir("/sys/bus/platform/devices");
	if (d) {
		while ((de = readdir(d))) {
			char p[512];

			for (i = 0; i < 3; i++) {
				if (!strstr(de->d_name, bad[i].node))
					continue;
				snprintf(p, sizeof(p), "/sys/bus/platform/devices/%s/driver",
					 de->d_name);
				EXPECT_NE(0, access(p, F_OK)) TH_LOG("%s is bound", de->d_name);
				TH_LOG("platform device %s unbound", de->d_name);
			}
		}
		closedir(d);
	}

	/* the good heaps still work */
	for (i = 0; i < self->nheaps; i++) {
		int hfd = open_heap(self->heaps[i].name), fd, ret;

		ret = rh_alloc(hfd, page_sz(), &fd);
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", self->heaps[i].name, strerror(-ret));
		if (!ret)
			close(fd);
		close(hfd);
	}
	free(lines);
	free(log);
}

static long try_unload(void)
{
	return syscall(__NR_delete_module, MODNAME, O_NONBLOCK);
}

static int unload_refused(struct __test_metadata *_metadata, const char *what)
{
	long r = try_unload();
	int err = errno;

	if (!r) {
		TH_LOG("%s: rmem_heap was unloaded with a live buffer", what);
		return 0;
	}
	EXPECT_TRUE(err == EBUSY || err == EAGAIN || err == EWOULDBLOCK) {
		TH_LOG("%s: delete_module: %s", what, strerror(err));
	}
	TH_LOG("%s: delete_module refused: %s", what, strerror(err));
	return 1;
}

/* Keep last: a broken driver may really go away here. */
TEST_F(lab, unload_with_live_buffers)
{
	const size_t len = 64 * RH_KIB;
	uint64_t ref0, ref1;
	int i, hfd, fd, ret, vfd;
	void *p;

	if (access("/sys/module/" MODNAME, F_OK))
		SKIP(return, "/sys/module/%s missing", MODNAME);
	if (access("/sys/module/" MODNAME "/refcnt", F_OK))
		SKIP(return, "%s is built in", MODNAME);

	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		char path[256], buf[32];

		snprintf(path, sizeof(path), "%s: buffer alive", h->name);
		hfd = open_heap(h->name);
		rh_read_file("/sys/module/" MODNAME "/refcnt", buf, sizeof(buf));
		ref0 = strtoull(buf, NULL, 10);
		ret = rh_alloc(hfd, len, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: alloc: %s", h->name, strerror(-ret));
		rh_read_file("/sys/module/" MODNAME "/refcnt", buf, sizeof(buf));
		ref1 = strtoull(buf, NULL, 10);
		EXPECT_LE(ref0 + 1, ref1) TH_LOG("%s: buffer holds no module reference", h->name);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(p != MAP_FAILED);
		fill_words(p, len, 0xfeed);
		close(hfd);

		ASSERT_TRUE(unload_refused(_metadata, path));

		/* only the mapping holds the buffer now */
		close(fd);
		snprintf(path, sizeof(path), "%s: only a mapping", h->name);
		ASSERT_TRUE(unload_refused(_metadata, path));
		EXPECT_EQ(len, check_words(p, len, 0xfeed));
		munmap(p, len);

		/* the heap still works */
		hfd = open_heap(h->name);
		ret = rh_alloc(hfd, len, &fd);
		EXPECT_EQ(0, ret) TH_LOG("%s: alloc after refused unload: %s", h->name, strerror(-ret));
		if (!ret)
			close(fd);
		close(hfd);
	}

	/* only an importer holds the buffer */
	vfd = rh_open_vgem();
	if (vfd >= 0) {
		uint32_t handle;

		/* vgem does not snoop: a heap that is not dma-coherent */
		for (i = 0; i < self->nheaps; i++)
			if (self->heaps[i].policy != RH_COHERENT)
				break;
		ASSERT_LT(i, self->nheaps);
		hfd = open_heap(self->heaps[i].name);
		ASSERT_EQ(0, rh_alloc(hfd, len, &fd));
		close(hfd);
		ASSERT_EQ(0, drmPrimeFDToHandle(vfd, fd, &handle));
		close(fd);
		ASSERT_TRUE(unload_refused(_metadata, "vgem holds the buffer"));
		gem_close(vfd, handle);
		close(vfd);
	}
}

/* ------------------------------------------------------------------ */
/* the zeroing worker under fire (debugfs knobs in .zeroing/)           */
/* ------------------------------------------------------------------ */

#define ZK_DIR		RH_DEBUGFS "/.zeroing"

static int zk_write(const char *knob, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), ZK_DIR "/%s", knob);
	return rh_write_file(path, val);
}

static uint64_t zk_waits(void)
{
	char buf[32];

	if (rh_read_file(ZK_DIR "/waits", buf, sizeof(buf)) <= 0)
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

/* Map @fd (@len bytes) and return the offset of its first non-zero byte. */
static size_t buf_first_nonzero(int fd, size_t len)
{
	unsigned char *p;
	size_t bad;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 0;
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	bad = find_nonzero(p, len);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, len);
	return bad;
}

FIXTURE(zeroing) {
	struct rh_heap heaps[RH_MAX_HEAPS];
	int nheaps;
};

FIXTURE_SETUP(zeroing)
{
	self->nheaps = rh_discover(self->heaps, RH_MAX_HEAPS);
	ASSERT_LT(0, self->nheaps);
	ASSERT_EQ(0, access(ZK_DIR "/hold", W_OK)) {
		TH_LOG("%s/hold: %s (debugfs mounted?)", ZK_DIR, strerror(errno));
	}
}

FIXTURE_TEARDOWN(zeroing)
{
	zk_write("delay_ms", "0");
	zk_write("hold", "0");
}

/* An idle no-map heap, its free space all zeroed; NULL at the end. */
static const struct rh_heap *next_idle_nomap(struct __test_metadata *_metadata,
					     FIXTURE_DATA(zeroing) *self, int *i)
{
	while (*i < self->nheaps) {
		const struct rh_heap *h = &self->heaps[(*i)++];

		if (h->reusable != 0)
			continue;
		if (__attr(_metadata, h->name, "used")) {
			TH_LOG("%s: not idle, left out", h->name);
			continue;
		}
		EXPECT_EQ(U0, __wait_zeroed(_metadata, h->name));
		return h;
	}
	return NULL;
}

/*
 * With the worker held, freed space stays dirty however often the
 * statistics are read, and an allocation zeroes only what it needs: one
 * chunk for the first MiB, one more for a page after it.
 */
TEST_F_TIMEOUT(zeroing, held, 120)
{
	const struct rh_heap *h;
	int i = 0, n = 0;

	while ((h = next_idle_nomap(_metadata, self, &i))) {
		uint64_t pending;
		int hfd = open_heap(h->name), a, b, r;

		ASSERT_EQ(0, zk_write("hold", "1"));
		whole_region_round(_metadata, h, hfd, "held", 0x77);
		for (r = 0; r < 5; r++) {
			EXPECT_EQ(h->size, attr(h->name, "zero_pending"));
			EXPECT_EQ(U0, attr(h->name, "largest_free"));
			EXPECT_EQ(h->size, attr(h->name, "free"));
			usleep(50000);
		}

		ASSERT_EQ(0, rh_alloc(hfd, RH_MIB, &a));
		EXPECT_EQ((size_t)RH_MIB, buf_first_nonzero(a, RH_MIB));
		pending = attr(h->name, "zero_pending");
		EXPECT_EQ(h->size - RH_MIB, pending) {
			TH_LOG("%s: a 1 MiB allocation zeroed %" PRIu64 " bytes",
			       h->name, h->size - pending);
		}
		ASSERT_EQ(0, rh_alloc(hfd, page_sz(), &b));
		EXPECT_EQ(page_sz(), buf_first_nonzero(b, page_sz()));
		EXPECT_EQ(h->size - 2 * RH_MIB, attr(h->name, "zero_pending"));
		close(a);
		close(b);

		ASSERT_EQ(0, zk_write("hold", "0"));
		EXPECT_EQ(U0, wait_zeroed(h->name));
		EXPECT_EQ(h->size, attr(h->name, "largest_free"));
		close(hfd);
		n++;
	}
	if (!n)
		SKIP(return, "no idle no-map heap");
}

struct zalloc_arg {
	const char *heap;
	uint64_t len;
	int ret, fd;
	uint64_t ns;
};

static void *zalloc_thread(void *p)
{
	struct zalloc_arg *a = p;
	uint64_t t0 = rh_now_ns();
	int hfd = rh_open_heap(a->heap);

	a->fd = -1;
	a->ret = hfd < 0 ? hfd : rh_alloc(hfd, a->len, &a->fd);
	a->ns = rh_now_ns() - t0;
	if (hfd >= 0)
		close(hfd);
	return NULL;
}

/*
 * The one dirty chunk is being zeroed (slowly) by one allocation when a
 * second one arrives: the second waits for it instead of failing, and
 * exactly one of the two gets the space, zeroed.
 */
TEST_F_TIMEOUT(zeroing, wait_for_others, 120)
{
	const struct rh_heap *h;
	int i = 0, n = 0;

	while ((h = next_idle_nomap(_metadata, self, &i))) {
		struct zalloc_arg a = { .heap = h->name, .len = RH_MIB };
		struct zalloc_arg b = { .heap = h->name, .len = page_sz() };
		int hfd = open_heap(h->name), y, z, won = 0;
		uint64_t waits0;
		pthread_t ta;

		ASSERT_EQ(0, rh_alloc(hfd, h->size - RH_MIB, &y));
		ASSERT_EQ(0, rh_alloc(hfd, RH_MIB, &z));
		ASSERT_EQ(0, zk_write("hold", "1"));
		close(z);
		EXPECT_EQ(RH_MIB, attr(h->name, "zero_pending"));
		ASSERT_EQ(0, zk_write("delay_ms", "500"));
		waits0 = zk_waits();

		ASSERT_EQ(0, pthread_create(&ta, NULL, zalloc_thread, &a));
		usleep(150000);
		zalloc_thread(&b);
		pthread_join(ta, NULL);

		EXPECT_LT(waits0, zk_waits()) TH_LOG("%s: nobody waited", h->name);
		EXPECT_LE(250000000ull, b.ns) {
			TH_LOG("%s: the second allocation returned after %" PRIu64 " ms",
			       h->name, b.ns / 1000000);
		}
		won = !a.ret + !b.ret;
		EXPECT_EQ(1, won) {
			TH_LOG("%s: 1 MiB: %s, a page: %s", h->name,
			       a.ret ? strerror(-a.ret) : "got it",
			       b.ret ? strerror(-b.ret) : "got it");
		}
		EXPECT_TRUE(a.ret == 0 || a.ret == -ENOMEM);
		EXPECT_TRUE(b.ret == 0 || b.ret == -ENOMEM);
		if (!a.ret) {
			EXPECT_EQ((size_t)RH_MIB, buf_first_nonzero(a.fd, RH_MIB));
			close(a.fd);
		}
		if (!b.ret) {
			EXPECT_EQ(page_sz(), buf_first_nonzero(b.fd, page_sz()));
			close(b.fd);
		}
		close(y);
		ASSERT_EQ(0, zk_write("delay_ms", "0"));
		ASSERT_EQ(0, zk_write("hold", "0"));
		EXPECT_EQ(U0, wait_zeroed(h->name));
		EXPECT_EQ(U0, attr(h->name, "used"));
		close(hfd);
		n++;
	}
	if (!n)
		SKIP(return, "no idle no-map heap");
}

/*
 * A region freed as 64 KiB buffers, every other one first, is dirty in
 * 64 KiB extents that the list holds out of address order.  The chunks an
 * allocation zeroes itself (its budget, in list order) then never touch,
 * so a 1 MiB allocation must wait for the background work rather than
 * fail on an empty heap; the worker is slowed so that its share is spent
 * first.  Found by an A/B benchmark of back-to-back 1 MiB allocations
 * after 64 KiB ones.
 */
TEST_F_TIMEOUT(zeroing, small_dirty_extents, 180)
{
	const size_t small = 64 * RH_KIB;
	struct rlimit rl = { 4096, 4096 };
	const struct rh_heap *h;
	int i = 0;

	/* one heap is enough; each 64 KiB of it is a buffer and an fd */
	while ((h = next_idle_nomap(_metadata, self, &i)) && h->size > 128 * RH_MIB)
		;
	if (!h)
		SKIP(return, "no idle no-map heap of 128 MiB or less");
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl)) TH_LOG("setrlimit: %s", strerror(errno));
	{
		size_t n = h->size / small, nb, k;
		int hfd = open_heap(h->name), *fds = calloc(n, sizeof(int)), fd, ret;

		ASSERT_TRUE(fds != NULL);
		for (nb = 0; nb < n; nb++)
			if (rh_alloc(hfd, small, &fds[nb]))
				break;
		ASSERT_EQ(n, nb) TH_LOG("%s: %zu of %zu 64 KiB buffers", h->name, nb, n);
		ASSERT_EQ(0, zk_write("hold", "1"));
		for (k = 0; k < nb; k += 2)
			close(fds[k]);
		for (k = 1; k < nb; k += 2)
			close(fds[k]);
		ASSERT_EQ(0, zk_write("delay_ms", "2"));
		ASSERT_EQ(0, zk_write("hold", "0"));
		ret = rh_alloc(hfd, RH_MIB, &fd);
		EXPECT_EQ(0, ret) {
			TH_LOG("%s: 1 MiB on an empty heap dirty in 64 KiB extents: %s",
			       h->name, strerror(-ret));
		}
		if (!ret) {
			EXPECT_EQ((size_t)RH_MIB, buf_first_nonzero(fd, RH_MIB));
			close(fd);
		}
		ASSERT_EQ(0, zk_write("delay_ms", "0"));
		EXPECT_EQ(U0, wait_zeroed(h->name));
		EXPECT_EQ(U0, attr(h->name, "used"));
		EXPECT_EQ(h->size, attr(h->name, "largest_free"));
		free(fds);
		close(hfd);
	}
}

/*
 * An allocation that has a whole region to zero itself (slowly) ends
 * soon after SIGKILL, not after the region; nothing is lost.
 */
TEST_F_TIMEOUT(zeroing, fatal_signal, 120)
{
	const struct rh_heap *h;
	int i = 0, n = 0;

	while ((h = next_idle_nomap(_metadata, self, &i))) {
		int hfd = open_heap(h->name), status;
		uint64_t t0, ms;
		pid_t pid;

		ASSERT_EQ(0, zk_write("hold", "1"));
		whole_region_round(_metadata, h, hfd, "dirty", 0x99);
		ASSERT_EQ(0, zk_write("delay_ms", "200"));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd;

			rh_alloc(hfd, h->size, &fd);
			_exit(3);
		}
		usleep(500000);
		t0 = rh_now_ns();
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ms = (rh_now_ns() - t0) / 1000000;
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		EXPECT_GT(2000ull, ms) {
			TH_LOG("%s: the killed allocation ended %" PRIu64 " ms later",
			       h->name, ms);
		}
		EXPECT_LT(U0, attr(h->name, "zero_pending"));
		ASSERT_EQ(0, zk_write("delay_ms", "0"));
		ASSERT_EQ(0, zk_write("hold", "0"));
		EXPECT_EQ(U0, wait_zeroed(h->name));
		EXPECT_EQ(U0, attr(h->name, "used"));
		EXPECT_EQ(U0, attr(h->name, "buffers"));
		whole_region_round(_metadata, h, hfd, "after the kill", 0);
		close(hfd);
		n++;
	}
	if (!n)
		SKIP(return, "no idle no-map heap");
}

struct zrace_arg {
	const char *heap;
	unsigned int seed;
	int iters, bad, failed;
};

static void *zrace_thread(void *p)
{
	struct zrace_arg *a = p;
	int hfd = rh_open_heap(a->heap), it;

	if (hfd < 0) {
		a->failed = a->iters;
		return NULL;
	}
	for (it = 0; it < a->iters; it++) {
		uint64_t len = ((uint64_t)(rand_r(&a->seed) % 64) + 1) * 4096;
		unsigned char *m;
		int fd;

		if (rh_alloc(hfd, len, &fd)) {
			a->failed++;
			continue;
		}
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			a->bad++;
			close(fd);
			continue;
		}
		rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		if (find_nonzero(m, len) != len)
			a->bad++;
		memset(m, 0xa0 + (it & 15), len);
		rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		munmap(m, len);
		close(fd);
	}
	close(hfd);
	return NULL;
}

/*
 * Four threads allocate, check, dirty and free buffers of up to 256 KiB
 * while the worker zeroes what they free: every byte they are given
 * reads zero.
 */
TEST_F_TIMEOUT(zeroing, race, 300)
{
	const struct rh_heap *h;
	int i = 0, n = 0;

	while ((h = next_idle_nomap(_metadata, self, &i))) {
		struct zrace_arg args[4];
		pthread_t t[4];
		int k, bad = 0, failed = 0;

		for (k = 0; k < 4; k++) {
			args[k] = (struct zrace_arg){ .heap = h->name, .seed = 1234 + k,
						       .iters = 25 };
			ASSERT_EQ(0, pthread_create(&t[k], NULL, zrace_thread, &args[k]));
		}
		for (k = 0; k < 4; k++) {
			pthread_join(t[k], NULL);
			bad += args[k].bad;
			failed += args[k].failed;
		}
		EXPECT_EQ(0, bad) TH_LOG("%s: %d buffers not zero", h->name, bad);
		EXPECT_EQ(0, failed) TH_LOG("%s: %d allocations failed", h->name, failed);
		EXPECT_EQ(U0, attr(h->name, "used"));
		EXPECT_EQ(U0, wait_zeroed(h->name));
		n++;
	}
	if (!n)
		SKIP(return, "no idle no-map heap");
}

TEST_HARNESS_MAIN
