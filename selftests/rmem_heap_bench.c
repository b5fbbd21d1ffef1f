// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_bench - informational benchmark for rmem-heap (never pass/fail).
 *
 * 1. Median latency of DMA_HEAP_IOCTL_ALLOC + close() for 4 KiB, 64 KiB,
 *    1 MiB and 8 MiB on our heaps (one no-map, one reusable), the kernel's
 *    system heap and its CMA heap, each divided by the time of one memset()
 *    of the same size on already-faulted anonymous memory (same process).
 *    Twice: back to back (each allocation right after the previous close,
 *    so our no-map heap has not zeroed freed space yet and takes other
 *    zeroed space or zeroes what it needs itself) and paced (PACE_MS of
 *    busy work before each timed allocation, for every heap alike, in
 *    which our no-map heap zeroes freed space in the background; for our
 *    heaps the pause lasts until zero_pending reads 0; round robin over
 *    the heaps), the pattern of a pipeline that allocates now and then.  The memset(0) row is for reference (glibc zeroes with
 *    DC ZVA as the kernel does; the ratios use the memset of a non-zero
 *    byte).
 * 2. Paired rounds, our reusable heap against the kernel's CMA heap: ROUNDS
 *    rounds, each a block of back-to-back alloc+close on one heap then on
 *    the other (the order alternating); the ratio of the two block medians
 *    per round, then the median, lowest and highest ratio over the rounds.
 *    A TCG guest's speed drifts over seconds; blocks a few milliseconds
 *    apart see the same guest, where whole tables do not.
 * 3. CPU read/write bandwidth through mmap() of cached and uncached buffers
 *    (rmem vs video-uncached, frames vs frames-uncached) relative to
 *    anonymous memory.
 *
 * 0. Right after probe (bench_after_probe() below), first.
 * 4. What a user waits for (bench_user() below).
 * 5. Import cost (bench_import() below).
 * 6. Scale (bench_scale() below); -s: this section alone.
 *
 * -p A,B: only heaps A and B, of any driver, in paired rounds as in 2,
 * back to back and paced ("BENCH ab" lines).
 *
 * Prints a table and machine-readable lines starting with "BENCH ".
 * Missing heaps are skipped with a message.  Exit status is 0 unless the
 * process itself cannot run (bad option, no memory).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <sched.h>
#include <sys/resource.h>

#include "rmem_heap_common.h"
#include "importer/rmem_heap_importer.h"

#define NSIZES	4
#define BW_SIZE	(4 * RH_MIB)
#define BW_REPS	5
#define PACE_MS	20
#define ROUNDS	15

static const size_t sizes[NSIZES] = {
	4 * RH_KIB, 64 * RH_KIB, RH_MIB, 8 * RH_MIB,
};
static const char * const size_names[NSIZES] = {
	"4KiB", "64KiB", "1MiB", "8MiB",
};

static int quick;
static int scale_only;
static char *ab_heaps;	/* -p A,B */
static volatile uint64_t sink;

static void barrier_ptr(void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

static int reps_for(size_t sz)
{
	int r = sz <= 64 * RH_KIB ? 51 : sz <= RH_MIB ? 21 : 9;

	return quick ? r / 3 + 1 : r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static void *anon_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap anonymous");
		exit(1);
	}
	memset(p, 1, len);	/* fault everything in */
	return p;
}

/*
 * Median ns of one memset, of a non-zero byte or (@zero) of 0; small sizes
 * are timed in batches of up to 64.
 */
static uint64_t memset_ns(void *buf, size_t sz, int zero)
{
	size_t batch = sz >= RH_MIB ? 1 : RH_MIB / sz > 64 ? 64 : RH_MIB / sz;
	uint64_t t[64];
	int i, n = reps_for(sz);
	size_t j;

	for (i = 0; i < n; i++) {
		uint64_t t0 = rh_now_ns();

		for (j = 0; j < batch; j++) {
			memset(buf, zero ? 0 : (int)(i + j) % 255 + 1, sz);
			barrier_ptr(buf);
		}
		t[i] = (rh_now_ns() - t0) / batch;
	}
	return median(t, n);
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = rh_now_ns() + ns;

	while (rh_now_ns() < end)
		;
}

/* until @heap has no freed space left to zero (at most a second) */
static void wait_zeroed(const char *heap)
{
	uint64_t pending;
	int i;

	for (i = 0; i < 1000; i++) {
		if (rh_read_u64(heap, "zero_pending", &pending) || !pending)
			break;
		spin_ns(1000000);
	}
}

/*
 * Pause before a paced allocation: for our heaps, as long as freed space is
 * pending to be zeroed; then, for every heap alike, PACE_MS of busy work (a
 * sleeping CPU would measure the guest's wake-up, not the heap).
 */
static void pace(const char *heap)
{
	wait_zeroed(heap);
	spin_ns(PACE_MS * 1000000ull);
}

/* ns of one alloc+close on an open heap, 0 with *err set on failure. */
static uint64_t alloc_close_once(int hfd, size_t sz, int *err)
{
	uint64_t t0 = rh_now_ns();
	int fd, ret;

	ret = rh_alloc(hfd, sz, &fd);
	if (ret) {
		*err = -ret;
		return 0;
	}
	close(fd);
	return rh_now_ns() - t0;
}

/*
 * Median ns of alloc+close of @sz on each of the @nb heaps in @names (NULL:
 * skipped), into lat[] (err[] set on failure).  Back to back: each heap's
 * allocations in one run.  Paced: round robin over the heaps, a pause
 * before each allocation, so that all heaps see the guest in the same state
 * (TCG guests slow down in steps over seconds).  Two warm-up rounds.
 */
static void alloc_close_ns(const char * const *names, int nb, size_t sz,
			   int paced, uint64_t *lat, int *err)
{
	uint64_t t[4][64];
	int hfd[4], h, i, n = reps_for(sz);

	for (h = 0; h < nb; h++) {
		err[h] = 0;
		lat[h] = 0;
		hfd[h] = names[h] ? rh_open_heap(names[h]) : -ENOENT;
		if (names[h] && hfd[h] < 0)
			err[h] = -hfd[h];
	}
	for (h = 0; h < nb; h++) {
		for (i = -2; i < n && !paced && hfd[h] >= 0 && !err[h]; i++) {
			uint64_t ns = alloc_close_once(hfd[h], sz, &err[h]);

			if (i >= 0)
				t[h][i] = ns;
		}
	}
	for (i = -2; i < n && paced; i++) {
		for (h = 0; h < nb; h++) {
			uint64_t ns;

			if (hfd[h] < 0 || err[h])
				continue;
			pace(names[h]);
			ns = alloc_close_once(hfd[h], sz, &err[h]);
			if (i >= 0)
				t[h][i] = ns;
		}
	}
	for (h = 0; h < nb; h++) {
		if (hfd[h] < 0)
			continue;
		close(hfd[h]);
		if (!err[h])
			lat[h] = median(t[h], n);
	}
}

static int heap_dev_exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), RH_DEVDIR "/%s", name);
	return !access(path, F_OK);
}

struct bench_heap {
	const char *label;
	char name[RH_NAME_LEN];
	const char *kind;
};

/* Our heap of the wanted type: the lab name if present, else the first cached one. */
static int pick_ours(struct rh_heap *hs, int n, const char *pref, int reusable,
		     char *out)
{
	struct rh_heap *h = rh_find(hs, n, pref);
	int i;

	if (h && h->reusable == reusable) {
		strcpy(out, h->name);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (hs[i].reusable == reusable && hs[i].policy != RH_UNCACHED) {
			strcpy(out, hs[i].name);
			return 0;
		}
	}
	return -1;
}

static const char * const mode_names[2] = { "back-to-back", "paced" };

/* One table of alloc+close latencies (and its BENCH lines). */
static void print_alloc(const struct bench_heap *bh, const int *have, int nb,
			int paced, const uint64_t *ms, const uint64_t *ms0,
			uint64_t (*lat)[NSIZES], int (*err)[NSIZES])
{
	int i, s;

	if (paced)
		printf("\nalloc+close latency, paced (%d ms of busy work before each, not timed):"
		       " median, and ratio to one memset of the same size\n", PACE_MS);
	else
		printf("\nalloc+close latency, back to back: median, and ratio to one"
		       " memset of the same size\n");
	printf("%-20s %-9s", "heap", "kind");
	for (s = 0; s < NSIZES; s++)
		printf(" %20s", size_names[s]);
	printf("\n%-20s %-9s", "memset (anon)", "-");
	for (s = 0; s < NSIZES; s++)
		printf(" %17.1fus", ms[s] / 1000.0);
	printf("\n%-20s %-9s", "memset 0 (anon)", "-");
	for (s = 0; s < NSIZES; s++)
		printf(" %10.1fus (%.2fx)", ms0[s] / 1000.0,
		       ms[s] ? (double)ms0[s] / (double)ms[s] : 0.0);
	printf("\n");
	for (i = 0; i < nb; i++) {
		if (!have[i])
			continue;
		printf("%-20s %-9s", bh[i].name, bh[i].kind);
		for (s = 0; s < NSIZES; s++) {
			char cell[32];

			if (err[i][s])
				snprintf(cell, sizeof(cell), "fail:%s",
					 strerror(err[i][s]));
			else
				snprintf(cell, sizeof(cell), "%.1fus (%.2fx)",
					 lat[i][s] / 1000.0,
					 ms[s] ? (double)lat[i][s] / (double)ms[s] : 0.0);
			printf(" %20.20s", cell);
		}
		printf("\n");
	}
	printf("\n");
	for (i = 0; i < nb; i++) {
		if (!have[i]) {
			printf("BENCH alloc heap=%s mode=%s skipped=missing\n",
			       bh[i].label, mode_names[paced]);
			continue;
		}
		for (s = 0; s < NSIZES; s++) {
			if (err[i][s]) {
				printf("BENCH alloc heap=%s kind=%s mode=%s size=%zu error=%d\n",
				       bh[i].name, bh[i].kind, mode_names[paced],
				       sizes[s], err[i][s]);
				continue;
			}
			printf("BENCH alloc heap=%s kind=%s mode=%s size=%zu reps=%d median_ns=%"
			       PRIu64 " memset_ns=%" PRIu64 " ratio=%.3f\n",
			       bh[i].name, bh[i].kind, mode_names[paced], sizes[s],
			       reps_for(sizes[s]), lat[i][s], ms[s],
			       ms[s] ? (double)lat[i][s] / (double)ms[s] : 0.0);
		}
	}
}

/*
 * Median ns of @n alloc+close of @sz on @hfd, back to back or (@paced)
 * after PACE_MS of busy work each; 0 on failure.  Unlike pace(), no wait
 * for zero_pending: -p may pair a heap of another driver, which has none.
 */
static uint64_t block_ns(int hfd, size_t sz, int n, int paced, int *err)
{
	uint64_t t[64];
	int i;

	for (i = -1; i < n; i++) {
		uint64_t ns;

		if (paced)
			spin_ns(PACE_MS * 1000000ull);
		ns = alloc_close_once(hfd, sz, err);

		if (*err)
			return 0;
		if (i >= 0)
			t[i] = ns;
	}
	return median(t, n);
}

/*
 * Heap bh[0] against heap bh[1] in paired rounds: our reusable heap
 * against the kernel's CMA heap ("paired" lines), or any two heaps given
 * with -p ("ab" lines, @paced as well as back to back).
 */
static void bench_paired(const struct bench_heap *bh, const char *what, int paced)
{
	double r[ROUNDS], sorted[ROUNDS];
	int hfd[2], s, k, i, err = 0;
	int ab = strcmp(what, "paired") != 0;

	printf("\n%s, paired rounds%s (%d rounds; per round the ratio"
	       " of %s's block median to %s's)\n", ab ? "two heaps" : "reusable vs CMA heap",
	       paced ? ", paced" : "", ROUNDS, bh[0].name, bh[1].name);
	printf("%-8s %10s %10s %10s ratio < 1: %s faster\n", "size", "median", "lowest",
	       "highest", bh[0].name);
	hfd[0] = rh_open_heap(bh[0].name);
	hfd[1] = rh_open_heap(bh[1].name);
	for (s = 0; s < NSIZES && hfd[0] >= 0 && hfd[1] >= 0; s++) {
		int n = reps_for(sizes[s]) / 3 + 1;

		for (k = 0; k < ROUNDS && !err; k++) {
			uint64_t t[2];
			int first = k & 1;

			t[first] = block_ns(hfd[first], sizes[s], n, paced, &err);
			t[!first] = block_ns(hfd[!first], sizes[s], n, paced, &err);
			r[k] = !err && t[1] ? (double)t[0] / (double)t[1] : 0.0;
		}
		if (err) {
			printf("%-8s fail: %s\n", size_names[s], strerror(err));
			printf("BENCH %s size=%zu error=%d\n", what, sizes[s], err);
			err = 0;
			continue;
		}
		for (k = 0; k < ROUNDS; k++) {
			double v = r[k];

			for (i = k; i > 0 && sorted[i - 1] > v; i--)
				sorted[i] = sorted[i - 1];
			sorted[i] = v;
		}
		printf("%-8s %9.2fx %9.2fx %9.2fx\n", size_names[s],
		       sorted[ROUNDS / 2], sorted[0], sorted[ROUNDS - 1]);
		if (ab)
			printf("BENCH ab a=%s b=%s mode=%s", bh[0].name, bh[1].name,
			       mode_names[paced]);
		else
			printf("BENCH paired ours=%s kernel=%s", bh[0].name, bh[1].name);
		printf(" size=%zu rounds=%d block=%d ratio_median=%.3f ratio_min=%.3f"
		       " ratio_max=%.3f\n", sizes[s], ROUNDS, n,
		       sorted[ROUNDS / 2], sorted[0], sorted[ROUNDS - 1]);
	}
	for (i = 0; i < 2; i++)
		if (hfd[i] >= 0)
			close(hfd[i]);
}

static void bench_alloc(struct rh_heap *hs, int nh)
{
	static const char * const cma_names[] = {
		"reserved", "linux,cma", "default_cma_region",
	};
	struct bench_heap bh[4];
	uint64_t ms[NSIZES], ms0[NSIZES], lat[4][NSIZES];
	int err[4][NSIZES], have[4] = { 0 };
	const char *names[4];
	void *buf = anon_buf(8 * RH_MIB);
	int i, s, nb = 4, paced;
	size_t k;

	bh[0].label = "ours-no-map";
	bh[0].kind = "no-map";
	have[0] = !pick_ours(hs, nh, "rmem", 0, bh[0].name);
	bh[1].label = "ours-reusable";
	bh[1].kind = "reusable";
	have[1] = !pick_ours(hs, nh, "frames", 1, bh[1].name);
	bh[2].label = "system";
	bh[2].kind = "system";
	strcpy(bh[2].name, "system");
	have[2] = heap_dev_exists("system");
	bh[3].label = "cma";
	bh[3].kind = "cma";
	strcpy(bh[3].name, "-");
	for (k = 0; k < sizeof(cma_names) / sizeof(cma_names[0]); k++) {
		if (heap_dev_exists(cma_names[k])) {
			strcpy(bh[3].name, cma_names[k]);
			have[3] = 1;
			break;
		}
	}
	for (i = 0; i < nb; i++)
		if (!have[i])
			printf("# SKIP %s: no such heap in %s\n", bh[i].label,
			       i < 2 ? RH_SYSFS : RH_DEVDIR);

	for (s = 0; s < NSIZES; s++) {
		ms[s] = memset_ns(buf, sizes[s], 0);
		ms0[s] = memset_ns(buf, sizes[s], 1);
	}
	for (s = 0; s < NSIZES; s++)
		printf("BENCH memset size=%zu reps=%d median_ns=%" PRIu64
		       " zero_median_ns=%" PRIu64 "\n",
		       sizes[s], reps_for(sizes[s]), ms[s], ms0[s]);

	for (i = 0; i < nb; i++)
		names[i] = have[i] ? bh[i].name : NULL;
	for (paced = 0; paced < 2; paced++) {
		for (s = 0; s < NSIZES; s++) {
			uint64_t l[4];
			int e[4];

			alloc_close_ns(names, nb, sizes[s], paced, l, e);
			for (i = 0; i < nb; i++) {
				lat[i][s] = l[i];
				err[i][s] = e[i];
			}
		}
		print_alloc(bh, have, nb, paced, ms, ms0, lat, err);
	}
	munmap(buf, 8 * RH_MIB);
	if (have[1] && have[3]) {
		struct bench_heap pair[2] = { bh[1], bh[3] };

		bench_paired(pair, "paired", 0);
	} else {
		printf("# SKIP paired rounds: needs our reusable heap and a CMA heap\n");
	}
}

static uint64_t read_words(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	size_t i;

	barrier_ptr((void *)p);
	for (i = 0; i < len / sizeof(*w); i++)
		s += w[i];
	return s;
}

struct bw {
	double rd, wr;	/* MB/s */
};

static struct bw measure_bw(void *p, size_t len)
{
	uint64_t tr[BW_REPS], tw[BW_REPS];
	struct bw r;
	int i;

	memset(p, 0, len);	/* warm-up: fault the mapping in */
	sink += read_words(p, len);
	for (i = 0; i < BW_REPS; i++) {
		uint64_t t0 = rh_now_ns();

		memset(p, i + 1, len);
		barrier_ptr(p);
		tw[i] = rh_now_ns() - t0;
		t0 = rh_now_ns();
		sink += read_words(p, len);
		tr[i] = rh_now_ns() - t0;
	}
	r.rd = (double)len / ((double)median(tr, BW_REPS) / 1e9) / 1e6;
	r.wr = (double)len / ((double)median(tw, BW_REPS) / 1e9) / 1e6;
	return r;
}

/* mmap a whole buffer read/write; on failure close @fd and return -errno */
static int map_fd(int fd, size_t len, void **p)
{
	int ret;

	*p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*p != MAP_FAILED)
		return 0;
	ret = -errno;
	close(fd);
	return ret;
}

/*
 * Map @len of @fd at a 2 MiB-aligned user address (MAP_FIXED inside a
 * reservation), where our buffers of 2 MiB or more get PMD entries; 0 or
 * -errno (@fd closed on failure, as map_fd()).
 */
static int map_fd_blocks(int fd, size_t len, void **p)
{
	const size_t block = 2 * RH_MIB, span = len + block;
	uintptr_t at;
	void *r;
	int ret;

	r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		goto fail;
	at = ((uintptr_t)r + block - 1) & ~(uintptr_t)(block - 1);
	*p = mmap((void *)at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		  fd, 0);
	if (*p == MAP_FAILED) {
		ret = -errno;
		munmap(r, span);
		close(fd);
		return ret;
	}
	if (at > (uintptr_t)r)
		munmap(r, at - (uintptr_t)r);
	if ((uintptr_t)r + span > at + len)
		munmap((void *)(at + len), (uintptr_t)r + span - (at + len));
	return 0;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

/* a new buffer of @len from @hfd, mapped; 0 or -errno (nothing left open) */
static int new_mapping(int hfd, size_t len, int *fd, void **p)
{
	int ret = rh_alloc(hfd, len, fd);

	return ret ?: map_fd(*fd, len, p);
}

/* Bandwidth through a mapping of a fresh buffer; returns -errno on failure. */
static int heap_bw(const char *name, size_t len, struct bw *out)
{
	int hfd = rh_open_heap(name), fd, ret;
	void *p;

	if (hfd < 0)
		return hfd;
	ret = new_mapping(hfd, len, &fd, &p);
	close(hfd);
	if (ret)
		return ret;
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	*out = measure_bw(p, len);
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, len);
	close(fd);
	return 0;
}

static void bench_bw(struct rh_heap *hs, int nh)
{
	static const char * const names[] = {
		"rmem", "video-uncached", "frames", "frames-uncached",
	};
	void *a = anon_buf(BW_SIZE);
	struct bw anon = measure_bw(a, BW_SIZE), b;
	size_t i;

	munmap(a, BW_SIZE);
	printf("\nCPU bandwidth through mmap, %zu KiB buffer, median of %d\n",
	       (size_t)(BW_SIZE / RH_KIB), BW_REPS);
	printf("%-20s %-9s %12s %8s %12s %8s\n", "buffer", "policy", "read MB/s",
	       "vs anon", "write MB/s", "vs anon");
	printf("%-20s %-9s %12.1f %8.2f %12.1f %8.2f\n", "anonymous", "-",
	       anon.rd, 1.0, anon.wr, 1.0);
	printf("BENCH bw heap=anonymous policy=- bytes=%zu read_MBps=%.1f write_MBps=%.1f read_rel=1.000 write_rel=1.000\n",
	       (size_t)BW_SIZE, anon.rd, anon.wr);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct rh_heap *h = rh_find(hs, nh, names[i]);
		int ret;

		if (!h) {
			printf("# SKIP bandwidth %s: no such heap in %s\n",
			       names[i], RH_SYSFS);
			printf("BENCH bw heap=%s skipped=missing\n", names[i]);
			continue;
		}
		ret = heap_bw(h->name, BW_SIZE, &b);
		if (ret) {
			printf("# SKIP bandwidth %s: %s\n", h->name, strerror(-ret));
			printf("BENCH bw heap=%s error=%d\n", h->name, -ret);
			continue;
		}
		printf("%-20s %-9s %12.1f %8.2f %12.1f %8.2f\n", h->name,
		       rh_policy_str(h->policy), b.rd, b.rd / anon.rd, b.wr,
		       b.wr / anon.wr);
		printf("BENCH bw heap=%s policy=%s bytes=%zu read_MBps=%.1f write_MBps=%.1f read_rel=%.3f write_rel=%.3f\n",
		       h->name, rh_policy_str(h->policy), (size_t)BW_SIZE, b.rd,
		       b.wr, b.rd / anon.rd, b.wr / anon.wr);
	}
}

/*
 * 4. What a user waits for, ours beside the kernel's system heap in the
 *    same boot: touching every page of a fresh 32 MiB mapping (mmap
 *    included; at the address mmap() picks, and at a 2 MiB-aligned one,
 *    where PMD entries map our buffers), a video-frame cycle (allocate
 *    8 MiB, mmap, write all of it, munmap, close) and CPU bandwidth over
 *    1 MiB through mmap with DMA_BUF_IOCTL_SYNC brackets around every pass
 *    (no device has the buffer mapped).
 *
 *    The runs go in rounds, each over every heap in turn, so that each of
 *    our runs has a system-heap run of the same figure a moment before it:
 *    a heap's ratio is the median of its per-round ratios, which the
 *    guest's drift (TCG slows down and speeds up in steps over seconds)
 *    moves far less than the medians of the times.  "agree" says whether
 *    the odd rounds and the even rounds give ratios within 10% of each
 *    other (for the system heap itself: times); rounds are added, up to
 *    USER_MAX, while a figure of ours does not.  A frame-cycle run is the
 *    median of a block of FRAME_BLOCK cycles back to back.
 */
#define TOUCH_SIZE	(32 * RH_MIB)
#define FRAME_SIZE	(8 * RH_MIB)
#define SYNC_SIZE	RH_MIB
#define FRAME_BLOCK	5
#define USER_REPS	21
#define USER_MORE	6
#define USER_MAX	63

static const char * const user_heaps[] = {
	"system", "rmem", "video-uncached", "frames", "frames-uncached",
	"coherent",
};

#define N_USER	(sizeof(user_heaps) / sizeof(user_heaps[0]))

struct fig {
	uint64_t med, half[2];	/* ns: all runs, odd runs, even runs */
	double rel, rel_half[2];	/* vs system: all, odd, even rounds */
	int runs;
};

enum { F_TOUCH, F_TOUCH_BLOCKS, F_FRAME, F_SYNC_RD, F_SYNC_WR, N_FIGS };

static const char * const fig_names[N_FIGS] = {
	"touch32M", "touch32M_2M", "frame8M", "sync_read1M", "sync_write1M",
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_dbl(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return v[n / 2];
}

/*
 * The figure of runs @t[0..n) beside the system heap's @sys of the same
 * rounds; @inverse for a bandwidth (its ratio is system time over ours).
 */
static void fig_of(struct fig *f, const uint64_t *t, const uint64_t *sys,
		   int n, int inverse)
{
	uint64_t all[USER_MAX], h[2][USER_MAX];
	double rel[USER_MAX], rh[2][USER_MAX];
	int i, k[2] = { 0, 0 };

	for (i = 0; i < n; i++) {
		int o = i % 2;

		rel[i] = inverse ? (double)sys[i] / (double)t[i] :
				   (double)t[i] / (double)sys[i];
		all[i] = t[i];
		h[o][k[o]] = t[i];
		rh[o][k[o]++] = rel[i];
	}
	f->half[0] = median(h[0], k[0]);
	f->half[1] = median(h[1], k[1]);
	f->med = median(all, n);
	f->rel_half[0] = median_dbl(rh[0], k[0]);
	f->rel_half[1] = median_dbl(rh[1], k[1]);
	f->rel = median_dbl(rel, n);
	f->runs = n;
}

static int within_10pct(double a, double b)
{
	double lo = a < b ? a : b, hi = a < b ? b : a;

	return hi <= lo * 1.1;
}

/* odd and even rounds within 10%: ratios for ours, times for the system heap */
static int fig_agrees(const struct fig *f, int system)
{
	if (system)
		return within_10pct((double)f->half[0], (double)f->half[1]);
	return within_10pct(f->rel_half[0], f->rel_half[1]);
}

/* until none of the user heaps has freed space left to zero */
static void wait_all_zeroed(void)
{
	size_t i;

	for (i = 0; i < N_USER; i++)
		wait_zeroed(user_heaps[i]);
}

/*
 * mmap a fresh buffer (at a 2 MiB-aligned address if @blocks) and write
 * one byte of each page: ns, or -errno.  The clock starts once every heap
 * zeroed what it had to (ours in the background, beside the run).
 */
static int64_t touch_once(int hfd, int blocks)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t t0;
	int fd, ret;
	size_t off;
	void *v;
	char *p;

	ret = rh_alloc(hfd, TOUCH_SIZE, &fd);
	if (ret)
		return ret;
	wait_all_zeroed();
	t0 = rh_now_ns();
	ret = blocks ? map_fd_blocks(fd, TOUCH_SIZE, &v) :
		       map_fd(fd, TOUCH_SIZE, &v);
	if (ret)
		return ret;
	p = v;
	for (off = 0; off < TOUCH_SIZE; off += (size_t)pg)
		p[off] = 1;
	barrier_ptr(p);
	t0 = rh_now_ns() - t0;
	munmap(p, TOUCH_SIZE);
	close(fd);
	return (int64_t)t0;
}

/* allocate, map, write all, unmap, free: ns, or -errno */
static int64_t frame_once(int hfd, int i)
{
	uint64_t t0 = rh_now_ns();
	int fd, ret;
	void *p;

	ret = new_mapping(hfd, FRAME_SIZE, &fd, &p);
	if (ret)
		return ret;
	memset(p, i % 255 + 1, FRAME_SIZE);
	barrier_ptr(p);
	munmap(p, FRAME_SIZE);
	close(fd);
	return (int64_t)(rh_now_ns() - t0);
}

/* one write pass and one read pass over a mapped buffer, each in a SYNC bracket */
static int sync_pass(int fd, void *p, int i, uint64_t *tr, uint64_t *tw)
{
	uint64_t t0 = rh_now_ns();
	int ret;

	ret = rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(p, i % 255 + 1, SYNC_SIZE);
	barrier_ptr(p);
	ret = ret ?: rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	*tw = rh_now_ns() - t0;
	t0 = rh_now_ns();
	ret = ret ?: rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	sink += read_words(p, SYNC_SIZE);
	ret = ret ?: rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	*tr = rh_now_ns() - t0;
	return ret;
}

/* the median of FRAME_BLOCK frame cycles back to back: ns, or -errno */
static int64_t frame_block(int hfd, int r)
{
	uint64_t t[FRAME_BLOCK];
	int64_t v;
	int i;

	for (i = 0; i < FRAME_BLOCK; i++) {
		v = frame_once(hfd, r * FRAME_BLOCK + i);
		if (v < 0)
			return v;
		t[i] = (uint64_t)v;
	}
	return (int64_t)median(t, FRAME_BLOCK);
}

/* the state of one heap over the rounds of bench_user() */
struct user_heap {
	int hfd, sfd, err;	/* heap, the SYNC buffer; first error (-errno) */
	void *sp;		/* the SYNC buffer's mapping */
	uint64_t t[N_FIGS][USER_MAX];
};

static void user_fail(struct user_heap *u, int64_t v)
{
	if (v < 0 && !u->err)
		u->err = (int)v;
}

/* open the heap and its SYNC buffer, then one untimed round of each figure */
static void user_start(const char *name, struct user_heap *u)
{
	int64_t v;

	u->sfd = -1;
	u->err = 0;
	u->hfd = rh_open_heap(name);
	if (u->hfd < 0) {
		u->err = u->hfd;
		return;
	}
	user_fail(u, new_mapping(u->hfd, SYNC_SIZE, &u->sfd, &u->sp));
	if (u->err)
		return;
	memset(u->sp, 0, SYNC_SIZE);
	/* the first touch of a region is cold */
	v = touch_once(u->hfd, 0);
	wait_all_zeroed();
	user_fail(u, v < 0 ? v : frame_once(u->hfd, 0));
}

static void user_stop(struct user_heap *u)
{
	if (u->sfd >= 0) {
		munmap(u->sp, SYNC_SIZE);
		close(u->sfd);
	}
	if (u->hfd >= 0)
		close(u->hfd);
}

/*
 * Rounds [from, to), each over every heap: a touch, a block of frame
 * cycles (back to back, zeroing included) and a SYNC pass, each once
 * every heap zeroed what the last one freed (the system heap zeroes
 * inside the allocation, before the clock starts; ours beside the run, in
 * the background, on another CPU that this run would share).
 */
static void user_rounds(struct user_heap *u, int from, int to)
{
	size_t i;
	int r;

	for (r = from; r < to; r++) {
		for (i = 0; i < N_USER; i++) {
			int64_t v;

			if (u[i].err)
				continue;
			v = touch_once(u[i].hfd, 0);
			user_fail(&u[i], v);
			u[i].t[F_TOUCH][r] = (uint64_t)v;
		}
		for (i = 0; i < N_USER; i++) {
			int64_t v;

			if (u[i].err)
				continue;
			v = touch_once(u[i].hfd, 1);
			user_fail(&u[i], v);
			u[i].t[F_TOUCH_BLOCKS][r] = (uint64_t)v;
		}
		for (i = 0; i < N_USER; i++) {
			int64_t v;

			if (u[i].err)
				continue;
			wait_all_zeroed();
			v = frame_block(u[i].hfd, r);
			user_fail(&u[i], v);
			u[i].t[F_FRAME][r] = (uint64_t)v;
		}
		for (i = 0; i < N_USER; i++) {
			if (u[i].err)
				continue;
			wait_all_zeroed();
			user_fail(&u[i], sync_pass(u[i].sfd, u[i].sp, r,
						   &u[i].t[F_SYNC_RD][r],
						   &u[i].t[F_SYNC_WR][r]));
		}
	}
}

/* the figures of @n rounds; whether every figure of ours agrees */
static int user_figs(struct user_heap *u, struct fig f[][N_FIGS], int n)
{
	int agree = 1, k;
	size_t i;

	for (i = 0; i < N_USER; i++) {
		if (u[i].err || u[0].err)
			continue;
		for (k = 0; k < N_FIGS; k++) {
			fig_of(&f[i][k], u[i].t[k], u[0].t[k], n, k >= F_SYNC_RD);
			if (i)
				agree &= fig_agrees(&f[i][k], 0);
		}
	}
	return agree;
}

static void bench_user(void)
{
	static struct user_heap u[N_USER];
	static struct fig f[N_USER][N_FIGS];
	int n = quick ? USER_REPS / 3 | 1 : USER_REPS;
	int max = quick ? USER_MAX / 3 : USER_MAX;
	int ret, k;
	size_t i;

	for (i = 0; i < N_USER; i++)
		user_start(user_heaps[i], &u[i]);
	user_rounds(u, 0, n);
	while (!user_figs(u, f, n) && n + USER_MORE <= max) {
		user_rounds(u, n, n + USER_MORE);
		n += USER_MORE;
	}
	for (i = 0; i < N_USER; i++)
		user_stop(&u[i]);

	printf("\nWhat a user waits for, vs the kernel's system heap in this boot (%d rounds; ratio: median of per-round ratios; agree: odd and even rounds within 10%%)\n\n",
	       n);
	printf("| heap | touch 32 MiB mapping (ms) | vs system | same, 2 MiB-aligned address (ms) | vs system | frame cycle 8 MiB (ms) | vs system | read 1 MiB with SYNC (MB/s) | vs system | write 1 MiB with SYNC (MB/s) | vs system | agree |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < N_USER; i++) {
		int agree = 1;

		ret = u[i].err ? u[i].err : u[0].err;
		if (ret) {
			printf("| %s | skipped: %s%s | | | | | | | | | | |\n",
			       user_heaps[i], u[i].err ? "" : "the system heap: ",
			       strerror(-ret));
			printf("BENCH user heap=%s error=%d\n", user_heaps[i], -ret);
			continue;
		}
		for (k = 0; k < N_FIGS; k++)
			agree &= fig_agrees(&f[i][k], !i);
		printf("| %s | %.2f | %.2fx | %.2f | %.2fx | %.2f | %.2fx | %.0f | %.2fx | %.0f | %.2fx | %s |\n",
		       user_heaps[i], f[i][F_TOUCH].med / 1e6, f[i][F_TOUCH].rel,
		       f[i][F_TOUCH_BLOCKS].med / 1e6, f[i][F_TOUCH_BLOCKS].rel,
		       f[i][F_FRAME].med / 1e6, f[i][F_FRAME].rel,
		       SYNC_SIZE / (f[i][F_SYNC_RD].med / 1e9) / 1e6, f[i][F_SYNC_RD].rel,
		       SYNC_SIZE / (f[i][F_SYNC_WR].med / 1e9) / 1e6, f[i][F_SYNC_WR].rel,
		       agree ? "yes" : "no");
		for (k = 0; k < N_FIGS; k++)
			printf("BENCH user heap=%s fig=%s runs=%d median_ns=%" PRIu64
			       " odd_ns=%" PRIu64 " even_ns=%" PRIu64
			       " rel_system=%.3f rel_odd=%.3f rel_even=%.3f agree=%d\n",
			       user_heaps[i], fig_names[k], f[i][k].runs, f[i][k].med,
			       f[i][k].half[0], f[i][k].half[1], f[i][k].rel,
			       f[i][k].rel_half[0], f[i][k].rel_half[1],
			       fig_agrees(&f[i][k], !i));
	}
}

/*
 * 5. Import cost: dma_buf_map_attachment() + unmap for a non-coherent
 *    device of the test importer (rmem_heap_importer.ko), the attachment
 *    made once and mapped again and again, beside the system heap.  The
 *    first map of an attachment is timed on its own.
 */
#define IMPORT_REPS	15

static const size_t import_sizes[] = { RH_MIB, 8 * RH_MIB };

/* ns of the first map and median ns of later map+unmap pairs; 0 or -errno */
static int import_ns(int ifd, uint32_t dev, const char *heap, size_t len,
		     uint64_t *first, uint64_t *again)
{
	struct rhi_attach at = { .dev_id = dev };
	struct rhi_map m = { .dir = RHI_DIR_BIDIRECTIONAL };
	struct rhi_id id = { 0 };
	uint64_t t[IMPORT_REPS], t0;
	int hfd = rh_open_heap(heap), fd, ret, i;

	if (hfd < 0)
		return hfd;
	ret = rh_alloc(hfd, len, &fd);
	close(hfd);
	if (ret)
		return ret;
	at.fd = fd;
	if (ioctl(ifd, RHI_IOC_ATTACH, &at)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	m.attach_id = id.id = at.attach_id;
	for (i = -1; i < IMPORT_REPS && !ret; i++) {
		t0 = rh_now_ns();
		if (ioctl(ifd, RHI_IOC_MAP, &m) || ioctl(ifd, RHI_IOC_UNMAP, &id))
			ret = -errno;
		t0 = rh_now_ns() - t0;
		if (i < 0)
			*first = t0;
		else
			t[i] = t0;
	}
	ioctl(ifd, RHI_IOC_DETACH, &id);
	close(fd);
	if (!ret)
		*again = median(t, IMPORT_REPS);
	return ret;
}

static void bench_import(void)
{
	static const char * const heaps[] = { "system", "rmem", "frames", "video-uncached" };
	struct rhi_dev_create dc = { .dma_bits = 64 };
	int ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC), ret;
	uint64_t first[2], again[2], sys[2] = { 0, 0 };
	size_t i, s;

	printf("\nImport: map + unmap of one attachment by a non-coherent device, median of %d (the first map apart), vs the system heap\n\n",
	       IMPORT_REPS);
	if (ifd < 0 || ioctl(ifd, RHI_IOC_DEV_CREATE, &dc)) {
		printf("# SKIP import: %s: %s (load rmem_heap_importer.ko)\n", RHI_DEVICE,
		       strerror(errno));
		printf("BENCH import skipped=no_importer\n");
		if (ifd >= 0)
			close(ifd);
		return;
	}
	printf("| heap | size | first map+unmap (us) | map+unmap again (us) | vs system |\n");
	printf("|---|---|---:|---:|---:|\n");
	for (i = 0; i < sizeof(heaps) / sizeof(heaps[0]); i++) {
		for (s = 0; s < 2; s++) {
			ret = import_ns(ifd, dc.dev_id, heaps[i], import_sizes[s],
					&first[s], &again[s]);
			if (ret) {
				printf("| %s | %zu KiB | skipped: %s | | |\n", heaps[i],
				       (size_t)(import_sizes[s] / RH_KIB), strerror(-ret));
				printf("BENCH import heap=%s size=%zu error=%d\n", heaps[i],
				       import_sizes[s], -ret);
				continue;
			}
			if (i == 0)
				sys[s] = again[s];
			printf("| %s | %zu KiB | %.1f | %.1f | %.2fx |\n", heaps[i],
			       (size_t)(import_sizes[s] / RH_KIB), first[s] / 1e3, again[s] / 1e3,
			       sys[s] ? (double)again[s] / (double)sys[s] : 0.0);
			printf("BENCH import heap=%s size=%zu reps=%d first_ns=%" PRIu64
			       " median_ns=%" PRIu64 " rel_system=%.3f\n", heaps[i],
			       import_sizes[s], IMPORT_REPS, first[s], again[s],
			       sys[s] ? (double)again[s] / (double)sys[s] : 0.0);
		}
	}
	close(ifd);
}

/*
 * 0. Right after probe (run first: make bench starts the benchmark as soon
 *    as the module is loaded): what the region's first 1 MiB allocations
 *    cost while probe's dirty region is being zeroed in the background,
 *    against one memset of 1 MiB, and how long the background zeroing of
 *    what was pending takes, as ms per GiB.  A heap whose zeroing already
 *    ended when the benchmark started says so.  The system heap and then
 *    our heap video allocate once first, so that the time TCG takes to
 *    translate kernel paths on their first run is not counted on rmem.
 */
#define PROBE_ALLOCS	8

static void bench_after_probe(struct rh_heap *hs, int nh)
{
	struct rh_heap *h = rh_find(hs, nh, "rmem"), *warm = rh_find(hs, nh, "video");
	uint64_t pending0, pending, t[PROBE_ALLOCS], ms, t0, waited, first, med, sys_first;
	uint64_t warm_first;
	void *buf = anon_buf(RH_MIB);
	int hfd, i, n = 0, err = 0;

	printf("\nRight after probe: 1 MiB alloc+close on rmem while probe's dirty region is zeroed\n");
	if (!h || rh_read_u64(h->name, "zero_pending", &pending0)) {
		printf("# SKIP after probe: no heap rmem\n");
		printf("BENCH probe skipped=missing\n");
		munmap(buf, RH_MIB);
		return;
	}
	/*
	 * The system heap's first allocation first: under TCG the first run of
	 * any kernel path pays for translating it, shared paths included.
	 */
	hfd = rh_open_heap("system");
	sys_first = hfd >= 0 ? alloc_close_once(hfd, RH_MIB, &err) : 0;
	if (hfd >= 0)
		close(hfd);
	/*
	 * And our driver's own paths, on another no-map heap of it: a board
	 * runs them at full speed the first time, so what is left on rmem is
	 * what probe's dirty region costs.
	 */
	err = 0;
	hfd = warm ? rh_open_heap(warm->name) : -ENOENT;
	warm_first = hfd >= 0 ? alloc_close_once(hfd, RH_MIB, &err) : 0;
	if (hfd >= 0)
		close(hfd);
	err = 0;
	t0 = rh_now_ns();
	hfd = rh_open_heap(h->name);
	for (i = 0; i < PROBE_ALLOCS && hfd >= 0 && !err; i++) {
		t[n] = alloc_close_once(hfd, RH_MIB, &err);
		n += !err;
	}
	if (hfd >= 0)
		close(hfd);
	/* until everything pending (probe's region, these frees) is zeroed */
	while (!rh_read_u64(h->name, "zero_pending", &pending) && pending &&
	       rh_now_ns() - t0 < 10000000000ull)
		spin_ns(200000);
	waited = rh_now_ns() - t0;
	ms = memset_ns(buf, RH_MIB, 0);
	munmap(buf, RH_MIB);
	if (!n) {
		printf("# SKIP after probe: alloc: %s\n", strerror(err));
		printf("BENCH probe error=%d\n", err);
		return;
	}
	first = t[0];
	med = median(t, n);
	printf("pending when the benchmark started: %" PRIu64 " KiB of %" PRIu64 " KiB\n",
	       pending0 / RH_KIB, h->size / RH_KIB);
	printf("first 1 MiB allocation %.1f us (%.2fx a memset of 1 MiB), median of %d %.1f us (%.2fx)\n",
	       first / 1e3, (double)first / (double)ms, n, med / 1e3, (double)med / (double)ms);
	printf("the system heap's first 1 MiB allocation, just before: %.1f us (%.2fx)\n",
	       sys_first / 1e3, (double)sys_first / (double)ms);
	printf("our driver's first 1 MiB allocation, on %s, just before: %.1f us (%.2fx)\n",
	       warm ? warm->name : "(no heap video)", warm_first / 1e3,
	       (double)warm_first / (double)ms);
	printf("all pending zeroed %.1f ms after the start (%.0f ms per GiB pending)\n",
	       waited / 1e6, pending0 ? waited / 1e6 * (double)(1ull << 30) / (double)pending0 : 0.0);
	printf("BENCH probe heap=%s pending0=%" PRIu64 " size=%" PRIu64 " allocs=%d first_ns=%" PRIu64
	       " median_ns=%" PRIu64 " memset_ns=%" PRIu64 " first_rel=%.3f median_rel=%.3f zeroed_ns=%" PRIu64
	       " system_first_ns=%" PRIu64 " warm_heap=%s warm_first_ns=%" PRIu64 "\n",
	       h->name, pending0, h->size, n, first, med, ms,
	       (double)first / (double)ms, (double)med / (double)ms, waited, sys_first,
	       warm ? warm->name : "none", warm_first);
}

/*
 * 6. Scale: up to SCALE_BUFS live 4 KiB..16 KiB buffers (as many as fit in
 *    80% of the region), then the median 4 KiB alloc+close beside the same
 *    on the empty heap; every other buffer freed, then a 32 KiB allocation
 *    (larger than any hole they left); all freed, then one allocation of
 *    the whole region (no-map: once the background zeroing is done); then
 *    the empty heap's figure again.  The ratio sets the live buffers'
 *    figure against the mean of the two empty-heap figures, so that the
 *    guest's drift over the section cancels out.
 */
#define SCALE_BUFS	10000
#define SCALE_REPS	51

static int *scale_fds;

/* median ns of SCALE_REPS 4 KiB alloc+close; 0 with *err on failure */
static uint64_t small_ns(int hfd, int *err)
{
	uint64_t t[SCALE_REPS];
	int i;

	for (i = 0; i < SCALE_REPS; i++) {
		t[i] = alloc_close_once(hfd, 4 * RH_KIB, err);
		if (*err)
			return 0;
	}
	return median(t, SCALE_REPS);
}

/* A /proc/vmstat counter, or 0 where the kernel has none. */
static uint64_t vmstat(const char *name)
{
	static char text[16384];
	size_t n = strlen(name);
	char *p = text;

	if (rh_read_file("/proc/vmstat", text, sizeof(text)) < 0)
		return 0;
	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static void scale_heap(const struct rh_heap *h)
{
	/* what CMA did meanwhile: its migrations explain a reusable heap's figures */
	uint64_t mig0 = vmstat("pgmigrate_success"), ok0 = vmstat("cma_alloc_success");
	uint64_t fail0 = vmstat("cma_alloc_fail");
	uint64_t empty, full, big = 0, whole = 0, again, base, used = 0, pending, t0;
	int hfd = rh_open_heap(h->name), n = 0, i, err = 0, big_err = 0, whole_err = 0, fd;
	uint64_t s = 0x5ca1e;

	if (hfd < 0) {
		printf("| %s | skipped: %s | | | | | | |\n", h->name, strerror(-hfd));
		return;
	}
	empty = small_ns(hfd, &err);
	while (!err && n < SCALE_BUFS) {
		size_t sz = (size_t)(1 + (s = s * 6364136223846793005ull + 1) % 4) * 4 * RH_KIB;

		if (used + sz > h->size / 10 * 8)
			break;
		if (rh_alloc(hfd, sz, &scale_fds[n]))
			break;
		used += sz;
		n++;
	}
	full = err ? 0 : small_ns(hfd, &err);
	for (i = 0; i < n; i += 2) {
		close(scale_fds[i]);
		scale_fds[i] = -1;
	}
	t0 = rh_now_ns();
	if (rh_alloc(hfd, 32 * RH_KIB, &fd))
		big_err = errno;
	else
		close(fd);
	big = rh_now_ns() - t0;
	for (i = 1; i < n; i += 2)
		close(scale_fds[i]);
	for (i = 0; i < 20000 && !rh_read_u64(h->name, "zero_pending", &pending) && pending; i++)
		spin_ns(1000000);
	t0 = rh_now_ns();
	if (rh_alloc(hfd, h->size, &fd))
		whole_err = errno;
	else
		close(fd);
	whole = rh_now_ns() - t0;
	/* empty again: what the live buffers left behind, beside what they cost */
	again = err ? 0 : small_ns(hfd, &err);
	close(hfd);
	if (err) {
		printf("| %s | skipped: %s | | | | | | |\n", h->name, strerror(err));
		return;
	}
	/*
	 * A TCG guest's speed drifts over seconds: the live buffers' figure is
	 * set against the empty heap measured before and after them.
	 */
	base = (empty + again) / 2;
	printf("| %s | %d (%" PRIu64 " MiB) | %.1f | %.1f | %.2fx | %s | %s | %.1f |\n", h->name, n,
	       used / RH_MIB, empty / 1e3, full / 1e3, (double)full / (double)base,
	       big_err ? strerror(big_err) : "ok", whole_err ? strerror(whole_err) : "ok",
	       again / 1e3);
	printf("BENCH scale heap=%s live=%d live_bytes=%" PRIu64 " empty_ns=%" PRIu64 " full_ns=%" PRIu64
	       " ratio=%.3f big_ns=%" PRIu64 " big_err=%d whole_ns=%" PRIu64 " whole_err=%d"
	       " again_ns=%" PRIu64 "\n",
	       h->name, n, used, empty, full, (double)full / (double)base, big, big_err, whole,
	       whole_err, again);
	printf("# scale %s: %" PRIu64 " pages migrated, cma_alloc %" PRIu64 " succeeded and %"
	       PRIu64 " failed meanwhile (/proc/vmstat)\n", h->name,
	       vmstat("pgmigrate_success") - mig0, vmstat("cma_alloc_success") - ok0,
	       vmstat("cma_alloc_fail") - fail0);
}

static void bench_scale(struct rh_heap *hs, int nh)
{
	struct rlimit rl = { SCALE_BUFS + 256, SCALE_BUFS + 256 };
	int i;

	printf("\nScale: 4 KiB alloc+close with up to %d live buffers (4-16 KiB, 80%% of the region) vs on the empty heap (the mean of before and after them), median of %d\n\n",
	       SCALE_BUFS, SCALE_REPS);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		printf("# setrlimit(RLIMIT_NOFILE, %d): %s: fewer live buffers\n", SCALE_BUFS + 256,
		       strerror(errno));
	scale_fds = calloc(SCALE_BUFS, sizeof(*scale_fds));
	if (!scale_fds)
		return;
	printf("| heap | live buffers | empty (us) | with them (us) | ratio | 32 KiB after freeing every other | whole region after freeing all | empty again (us) |\n");
	printf("|---|---|---:|---:|---:|---|---|---:|\n");
	for (i = 0; i < nh; i++)
		scale_heap(&hs[i]);
	free(scale_fds);
}

/*
 * Stay on the CPU we started on: a migration costs a TCG guest a cold
 * software TLB, which would show up as allocation latency.
 */
static void pin_to_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
	else
		printf("# pinned to CPU %d\n", cpu);
}

/*
 * -p A,B: two heaps of any driver in paired rounds, back to back and paced,
 * e.g. this driver against an older build of it loaded beside it under
 * another name (Documentation/rmem-heap.rst, "make bench").
 */
static int bench_ab(char *arg)
{
	struct bench_heap pair[2] = { { .label = "a" }, { .label = "b" } };
	char *comma = strchr(arg, ',');
	int i;

	if (!comma || comma == arg || !comma[1] || comma - arg >= RH_NAME_LEN ||
	    strlen(comma + 1) >= RH_NAME_LEN) {
		fprintf(stderr, "-p A,B: two heap names\n");
		return 2;
	}
	*comma = 0;
	snprintf(pair[0].name, sizeof(pair[0].name), "%s", arg);
	snprintf(pair[1].name, sizeof(pair[1].name), "%s", comma + 1);
	for (i = 0; i < 2; i++) {
		if (!heap_dev_exists(pair[i].name)) {
			fprintf(stderr, "no heap %s in %s\n", pair[i].name, RH_DEVDIR);
			return 1;
		}
	}
	bench_paired(pair, "ab", 0);
	bench_paired(pair, "ab", 1);
	return 0;
}

int main(int argc, char **argv)
{
	struct rh_heap hs[RH_MAX_HEAPS];
	int opt, nh;

	while ((opt = getopt(argc, argv, "qsp:h")) != -1) {
		switch (opt) {
		case 'q':
			quick = 1;
			break;
		case 's':
			scale_only = 1;
			break;
		case 'p':
			ab_heaps = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-q] [-s] [-p A,B]\n  -q  fewer repetitions\n"
				"  -s  the scale figures alone (a machine with large regions)\n"
				"  -p  heaps A and B (names in %s) alone, in paired rounds\n",
				argv[0], RH_DEVDIR);
			return opt == 'h' ? 0 : 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_to_cpu();
	if (ab_heaps)
		return bench_ab(ab_heaps);
	nh = rh_discover(hs, RH_MAX_HEAPS);
	if (nh < 0) {
		printf("# no %s (%s): our heaps are skipped\n", RH_SYSFS,
		       strerror(-nh));
		nh = 0;
	}
	printf("# rmem_heap_bench: %d heap(s) in %s, page %ld, %s\n", nh, RH_SYSFS,
	       sysconf(_SC_PAGESIZE), quick ? "quick" : "full");
	if (!scale_only) {
		bench_after_probe(hs, nh);
		bench_alloc(hs, nh);
		bench_bw(hs, nh);
		bench_user();
		bench_import();
	}
	bench_scale(hs, nh);
	printf("# rmem_heap_bench done (informational, no pass/fail)\n");
	return 0;
}
