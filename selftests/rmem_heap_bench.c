// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_bench - informational benchmark for rmem-heap (never pass/fail).
 *
 * Sections, each described where it is measured:
 * 0. Right after probe (bench_after_probe()), first.
 * 1. Allocation + close of 4 KiB to 8 MiB against a memset (bench_alloc()).
 * 2. Our reusable heap against the kernel's CMA heap (bench_paired()).
 * 3. CPU bandwidth through mmap (bench_bw()).
 * 4. What a user waits for (bench_user()).
 * 5. Import cost (bench_import()).
 * 6. Scale (bench_scale()); -s: this section after the first alone.
 *
 * Every section but the first measures in rounds (see struct rounds): each
 * figure is the median of per-round ratios to a reference measured in the
 * same round, and rounds are added until two halves of the rounds agree.
 *
 * -p A,B: only heaps A and B, of any driver, in paired rounds as in 2,
 * back to back and paced ("BENCH ab" lines).  -o S,...: only the sections
 * named (probe, alloc, bw, user, import, scale).  -c NS: the host-speed
 * loop's best time in an earlier boot (see calib()).
 *
 * Prints a table and machine-readable lines starting with "BENCH ".
 * Missing heaps are skipped with a message.  Exit status is 0 unless the
 * process itself cannot run (bad option, no memory).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include "rmem_heap_common.h"
#include "importer/rmem_heap_importer.h"

#define NSIZES	4
#define BW_SIZE	(4 * RH_MIB)
#define PACE_MS	20

static const size_t sizes[NSIZES] = {
	4 * RH_KIB, 64 * RH_KIB, RH_MIB, 8 * RH_MIB,
};
static const char * const size_names[NSIZES] = {
	"4KiB", "64KiB", "1MiB", "8MiB",
};

static int quick;
/* the sections to run (-o, -s): bits of enum section */
enum section { SEC_PROBE, SEC_ALLOC, SEC_BW, SEC_USER, SEC_IMPORT, SEC_SCALE, N_SECTIONS };
static const char * const section_names[N_SECTIONS] = {
	"probe", "alloc", "bw", "user", "import", "scale",
};
static unsigned int sections = (1u << N_SECTIONS) - 1;
static char *ab_heaps;	/* -p A,B */
static volatile uint64_t sink;

static void barrier_ptr(void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/*
 * Repetitions in one run of a series (a memset's, a block's): the same with
 * -q, which runs fewer rounds, so that a quick run measures what a full
 * one does (a reusable heap's block mean follows its length).
 */
static int reps_for(size_t sz)
{
	return sz <= 64 * RH_KIB ? 51 : sz <= RH_MIB ? 21 : 9;
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

/* until @heap has no freed space left to zero (at most @ms milliseconds) */
static void wait_zeroed_for(const char *heap, int ms)
{
	uint64_t pending;
	int i;

	for (i = 0; i < ms; i++) {
		if (rh_read_u64(heap, "zero_pending", &pending) || !pending)
			break;
		spin_ns(1000000);
	}
}

static void wait_zeroed(const char *heap)
{
	wait_zeroed_for(heap, 1000);
}

/* A /proc/meminfo line's kB, or 0 where the kernel has none. */
static uint64_t meminfo_kib(const char *name)
{
	char text[4096], *p;

	if (rh_read_file("/proc/meminfo", text, sizeof(text)) < 0)
		return 0;
	p = strstr(text, name);
	if (!p || p[strlen(name)] != ':')
		return 0;
	return strtoull(p + strlen(name) + 1, NULL, 10);
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
 * Rounds, the method of every section but the first.  Each round runs
 * every series of a section once, a reference series (a memset, the
 * system heap, the kernel's CMA heap, an anonymous mapping) a moment
 * before or after the series set against it.  A figure is the median over
 * the rounds of the ratio of a run to its reference's run of the same
 * round: the guest's drift (TCG slows down and speeds up in steps over
 * seconds) moves whole rounds, so it cancels out of the ratios where it
 * moves the medians of the times.  A figure agrees when the two halves
 * of its rounds give ratios within 10% of each other (a reference: times);
 * rounds are added, a few at a time up to a section's maximum, while a
 * ratio does not agree.  The halves are rounds 0, 1, 4, 5, 8, ... and
 * rounds 2, 3, 6, 7, ...: each has as many odd rounds as even ones, so an
 * effect that comes every other round (a timer, the order of a pair, which
 * alternates) is in both, as it is in the median of all rounds.
 */
#define RD_MAX	63

struct fig {
	uint64_t med, half[2];		/* ns: all runs, each half's */
	double rel, rel_half[2];	/* vs the reference: all rounds, each half */
	double lo, hi;			/* the lowest and highest per-round ratio */
	int runs;
};

struct rounds;

/* one run of series @s in round @r: 0 and *ns, or -errno */
typedef int (*rounds_fn)(struct rounds *rd, int s, int r, uint64_t *ns);

/**
 * struct rounds - the series of one section
 * @nser:	how many series
 * @n:		rounds run so far
 * @alternate:	odd rounds run the series in reverse order (two series)
 * @ref:	each series' reference series, -1 for a reference itself
 * @norm:	each series' normaliser, -1 for none: a series run next to it
 *		in every round, which its runs are divided by before the ratio
 * @err:	each series' first error (-errno); it runs no more
 * @t:		ns of each run, t[series][round]
 * @run:	one run
 * @ctx:	the section's own state
 * @again:	rounds run again because the host was slow (see calib())
 * @again_ns:	time those took
 * @speed:	each round's calib() figure, the slower of before and after
 */
struct rounds {
	int nser, n, alternate, again;
	uint64_t again_ns, speed[RD_MAX];
	int *ref, *norm, *err;
	uint64_t (*t)[RD_MAX];
	rounds_fn run;
	void *ctx;
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

/* @t[i] / @tn[i] (@tn NULL: @t[i]) */
static double per(const uint64_t *t, const uint64_t *tn, int i)
{
	return (double)t[i] / (tn ? (double)(tn[i] ?: 1) : 1.0);
}

/*
 * The figure of runs @t[0..n) beside the reference's @ref of the same
 * rounds (NULL: a reference, ratio 1); @inverse for a bandwidth (its ratio
 * is the reference's time over ours).  @tn and @refn, if not NULL, are
 * runs of a third series next to each in the same round, to divide by
 * first (a double ratio, for runs seconds apart).
 */
static void fig_of(struct fig *f, const uint64_t *t, const uint64_t *tn,
		   const uint64_t *ref, const uint64_t *refn, int n, int inverse)
{
	uint64_t all[RD_MAX], h[2][RD_MAX];
	double rel[RD_MAX], rh[2][RD_MAX];
	int i, k[2] = { 0, 0 };

	for (i = 0; i < n; i++) {
		int o = i / 2 % 2;	/* the half of round i */

		double a = per(t, tn, i), b = ref ? per(ref, refn, i) : 1.0;

		rel[i] = !ref ? 1.0 : inverse ? b / (a ?: 1.0) : a / (b ?: 1.0);
		all[i] = t[i];
		h[o][k[o]] = t[i];
		rh[o][k[o]++] = rel[i];
	}
	f->half[0] = median(h[0], k[0]);
	f->half[1] = k[1] ? median(h[1], k[1]) : f->half[0];
	f->med = median(all, n);
	f->rel_half[0] = median_dbl(rh[0], k[0]);
	f->rel_half[1] = k[1] ? median_dbl(rh[1], k[1]) : f->rel_half[0];
	f->rel = median_dbl(rel, n);	/* sorts rel[] */
	f->lo = rel[0];
	f->hi = rel[n - 1];
	f->runs = n;
}

static int within_10pct(double a, double b)
{
	double lo = a < b ? a : b, hi = a < b ? b : a;

	return hi <= lo * 1.1;
}

/* the halves within 10%: ratios, or times for a reference (@ref) */
static int fig_agrees(const struct fig *f, int ref)
{
	if (ref)
		return within_10pct((double)f->half[0], (double)f->half[1]);
	return within_10pct(f->rel_half[0], f->rel_half[1]);
}

/* @nser series, none a reference yet; exits if out of memory */
static void rounds_init(struct rounds *rd, int nser, rounds_fn run, void *ctx)
{
	int s;

	memset(rd, 0, sizeof(*rd));
	rd->nser = nser;
	rd->run = run;
	rd->ctx = ctx;
	rd->ref = calloc((size_t)nser, sizeof(*rd->ref));
	rd->norm = calloc((size_t)nser, sizeof(*rd->norm));
	rd->err = calloc((size_t)nser, sizeof(*rd->err));
	rd->t = calloc((size_t)nser, sizeof(*rd->t));
	if (!rd->ref || !rd->norm || !rd->err || !rd->t) {
		fprintf(stderr, "rmem_heap_bench: out of memory\n");
		exit(1);
	}
	for (s = 0; s < nser; s++)
		rd->ref[s] = rd->norm[s] = -1;
}

static void rounds_free(struct rounds *rd)
{
	free(rd->ref);
	free(rd->norm);
	free(rd->err);
	free(rd->t);
}

/* the first error of series @s or of its reference; 0 if both ran */
static int rounds_err(const struct rounds *rd, int s)
{
	int r = rd->ref[s];

	if (rd->err[s])
		return rd->err[s];
	if (rd->norm[s] >= 0 && rd->err[rd->norm[s]])
		return rd->err[rd->norm[s]];
	if (r < 0)
		return 0;
	return rd->err[r] ?: rd->norm[r] >= 0 ? rd->err[rd->norm[r]] : 0;
}

/* the figure of series @s over the rounds run, against its reference */
static void rounds_fig(const struct rounds *rd, int s, int inverse, struct fig *f)
{
	int r = rd->ref[s];

	fig_of(f, rd->t[s], rd->norm[s] >= 0 ? rd->t[rd->norm[s]] : NULL,
	       r >= 0 ? rd->t[r] : NULL, r >= 0 && rd->norm[r] >= 0 ? rd->t[rd->norm[r]] : NULL,
	       rd->n,
	       inverse);
}

/*
 * The host's speed.  The lab's guests run on a host whose CPUs slow down
 * for seconds at a time (another tenant, the host's own work); TCG then
 * slows memory traffic more than a loop, so ratios between unlike work
 * move with it, and a section that happened to run in such a spell moved
 * its boot's figure by up to a third.  Around every round a fixed loop is
 * timed on both CPUs at once (the other CPU zeroes and runs work items for
 * us); a round is quiet when neither took QUIET_PCT longer than the
 * fastest seen, in this process or (-c) an earlier boot.  Slow rounds are
 * run again, up to QUIET_WAIT_NS per section, then kept and counted.
 */
#define CALIB_ITERS	20000
#define QUIET_PCT	15
#define QUIET_WAIT_NS	(20 * 1000000000ULL)

static uint64_t calib_best = UINT64_MAX;
static int calib_req[2] = { -1, -1 }, calib_resp[2] = { -1, -1 };

/* the best of three runs of the loop, in ns */
static uint64_t calib_loop(void)
{
	uint64_t best = UINT64_MAX, x = sink;
	int k, i;

	for (k = 0; k < 3; k++) {
		uint64_t t0 = rh_now_ns(), t;

		for (i = 0; i < CALIB_ITERS; i++)
			x = x * 6364136223846793005ULL + (uint64_t)i;
		t = rh_now_ns() - t0;
		sink = x;
		if (t < best)
			best = t;
	}
	return best;
}

/* the loop on the other CPU, each time a byte comes down calib_req */
static void *calib_other(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	cpu_set_t set;
	uint64_t v;
	char c;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return NULL;
	while (read(calib_req[0], &c, 1) == 1) {
		v = calib_loop();
		if (write(calib_resp[1], &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

/* a thread on the CPU after @cpu, if there is one, for calib() */
static void calib_start(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th;

	if (n < 2 || pipe(calib_req) || pipe(calib_resp))
		return;
	if (pthread_create(&th, NULL, calib_other, (void *)(intptr_t)((cpu + 1) % n))) {
		close(calib_req[1]);
		calib_req[1] = -1;
		return;
	}
	pthread_detach(th);
	printf("# host speed also timed on CPU %ld\n", (cpu + 1) % n);
}

/* the loop on both CPUs at once: the slower time; also the fastest seen */
static uint64_t calib(void)
{
	uint64_t mine, other = 0;
	int asked = calib_req[1] >= 0 && write(calib_req[1], "c", 1) == 1;

	mine = calib_loop();
	if (asked && read(calib_resp[0], &other, sizeof(other)) != sizeof(other))
		other = 0;
	if (mine < calib_best)
		calib_best = mine;
	if (other && other < calib_best)
		calib_best = other;
	return mine > other ? mine : other;
}

static int round_quiet(const struct rounds *rd, int r)
{
	return rd->speed[r] * 100 <= calib_best * (100 + QUIET_PCT);
}

/* round @r of every series, and the host's speed around it */
static void round_once(struct rounds *rd, int r)
{
	uint64_t before = calib(), after;
	int k;

	for (k = 0; k < rd->nser; k++) {
		int s = rd->alternate && (r & 1) ? rd->nser - 1 - k : k;
		int ret;

		if (rounds_err(rd, s))
			continue;
		ret = rd->run(rd, s, r, &rd->t[s][r]);
		if (ret)
			rd->err[s] = ret;
	}
	after = calib();
	rd->speed[r] = before > after ? before : after;
}

/* rounds @from to @to, then any slow round again while the wait allows */
static void rounds_run(struct rounds *rd, int from, int to)
{
	int r;

	for (r = from; r < to; r++)
		round_once(rd, r);
	rd->n = to;
	while (rd->again_ns < QUIET_WAIT_NS) {
		uint64_t t0 = rh_now_ns();

		for (r = 0; r < rd->n && round_quiet(rd, r); r++)
			;
		if (r == rd->n)
			break;
		round_once(rd, r);
		rd->again++;
		rd->again_ns += rh_now_ns() - t0;
	}
}

/* rounds kept although the host was slow in them */
static int rounds_slow(const struct rounds *rd)
{
	int r, n = 0;

	for (r = 0; r < rd->n; r++)
		n += !round_quiet(rd, r);
	return n;
}

/* whether every ratio (every series with a reference) agrees */
static int rounds_agree(const struct rounds *rd)
{
	struct fig f;
	int s;

	for (s = 0; s < rd->nser; s++) {
		if (rd->ref[s] < 0 || rounds_err(rd, s))
			continue;
		rounds_fig(rd, s, 0, &f);
		if (!fig_agrees(&f, 0))
			return 0;
	}
	return 1;
}

/* @first rounds, then @more at a time up to @max while a ratio disagrees */
static void rounds_go(struct rounds *rd, int first, int more, int max)
{
	if (quick) {
		first = first / 3 | 1;
		max = max / 3 > first ? max / 3 : first;
	}
	rounds_run(rd, 0, first);
	while (!rounds_agree(rd) && rd->n + more <= max)
		rounds_run(rd, rd->n, rd->n + more);
	printf("# %d rounds; %d run again while the host was slow (%.1f s), %d kept slow\n",
	       rd->n, rd->again, rd->again_ns / 1e9, rounds_slow(rd));
	printf("BENCH quiet rounds=%d again=%d again_ms=%" PRIu64 " kept_slow=%d calib_ns=%" PRIu64
	       "\n", rd->n, rd->again, rd->again_ns / 1000000, rounds_slow(rd), calib_best);
}

/*
 * 1. Allocation + close of 4 KiB, 64 KiB, 1 MiB and 8 MiB on our heaps
 *    (one no-map, one reusable), the kernel's system heap and its CMA
 *    heap, against one memset of the same size in the same round.  Back
 *    to back: per round and heap a block of allocations, each right after
 *    the previous close (our no-map heap has not zeroed freed space yet
 *    and takes other zeroed space or zeroes what it needs itself); a
 *    block's mean is the run: a reusable heap alternates chunks kept
 *    zeroed with chunks it must clear, and a median picks either.
 *    Paced: PACED_BLOCK allocations per round and heap, each after
 *    PACE_MS of busy work (for our heaps also until zero_pending reads 0,
 *    the background zeroing a pipeline that allocates now and then leaves
 *    time for), their median the run: one allocation alone is too often
 *    hit by a timer tick or the guest's drift for two runs of the
 *    benchmark to agree; the memset is paced alike.  Either way a block
 *    starts once the other heaps have zeroed what they freed.
 */
#define ALLOC_FIRST	15
#define ALLOC_MORE	6
#define PACED_BLOCK	3
#define PACED_FIRST	15
#define PACED_MAX	33
#define NB		4	/* heaps in the allocation table */
#define NB_SYSTEM	2	/* the kernel's system heap, the reference */

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

/* the names the kernel's CMA heap may have (its CMA area's, in /sys/kernel/mm/cma) */
static const char * const cma_heaps[] = {
	"reserved", "linux,cma", "default_cma_region",
};

/*
 * Allocations in one back-to-back block of @sz; at 8 MiB as many as at
 * 1 MiB: a reusable heap's first few allocations of a block take chunks
 * zeroed while the other heaps ran, and a block of four was mostly
 * those, not the steady cost of the later ones.
 */
static int block_len(size_t sz)
{
	return reps_for(sz < RH_MIB ? sz : RH_MIB) / 3 + 1;
}

/*
 * Mean ns of @n alloc+close of @sz on @hfd back to back (the time per
 * cycle of a pipeline), or median ns of @n after PACE_MS of busy work
 * each (@paced); one more first untimed; 0 on failure.
 * Unlike pace(), no wait for the heap's own zero_pending (callers wait
 * for the other heaps'): -p may pair a heap of another driver, which has
 * none.
 */
static uint64_t block_ns(int hfd, size_t sz, int n, int paced, int *err)
{
	uint64_t t[64], sum = 0;
	int i;

	for (i = -1; i < n; i++) {
		uint64_t ns;

		if (paced)
			spin_ns(PACE_MS * 1000000ull);
		ns = alloc_close_once(hfd, sz, err);

		if (*err)
			return 0;
		if (i >= 0) {
			t[i] = ns;
			sum += ns;
		}
	}
	return paced ? median(t, n) : sum / n;
}

/* the allocation table: per size a memset series, then one per heap */
struct alloc_ctx {
	const struct bench_heap *bh;
	int hfd[NB];		/* -errno: no such heap */
	void *buf;		/* for the memset */
	int paced;
};

/*
 * Until every open heap of @bh[@n] (@hfd >= 0) but the @self-th has
 * nothing left to zero: one heap's background zeroing, on the other CPU,
 * is not charged to the heap measured next (the kernel's heaps have no
 * zero_pending and pass at once).
 */
static void wait_others_zeroed(const struct bench_heap *bh, const int *hfd,
			       int n, int self)
{
	int i;

	for (i = 0; i < n; i++)
		if (i != self && hfd[i] >= 0)
			wait_zeroed(bh[i].name);
}

static int alloc_run(struct rounds *rd, int s, int r, uint64_t *ns)
{
	struct alloc_ctx *c = rd->ctx;
	size_t sz = sizes[s / (NB + 1)];
	int h = s % (NB + 1) - 1, err = 0;

	wait_others_zeroed(c->bh, c->hfd, NB, h);
	if (h < 0) {
		/* batches of small memsets: one of 4 KiB is a microsecond */
		size_t batch = sz >= RH_MIB ? 1 : RH_MIB / sz > 64 ? 64 : RH_MIB / sz, j;
		uint64_t t[64], t0, sum = 0;
		int i, n = c->paced ? PACED_BLOCK : block_len(sz);

		for (i = 0; i < n; i++) {
			if (c->paced)
				spin_ns(PACE_MS * 1000000ull);
			t0 = rh_now_ns();
			for (j = 0; j < batch; j++) {
				memset(c->buf, (int)(r + i + j) % 255 + 1, sz);
				barrier_ptr(c->buf);
			}
			t[i] = (rh_now_ns() - t0) / batch;
			sum += t[i];
		}
		*ns = c->paced ? median(t, n) : sum / n;
		return 0;
	}
	if (c->hfd[h] < 0)
		return c->hfd[h];
	if (c->paced) {
		uint64_t t[PACED_BLOCK];
		int i;

		for (i = 0; i < PACED_BLOCK && !err; i++) {
			pace(c->bh[h].name);
			t[i] = alloc_close_once(c->hfd[h], sz, &err);
		}
		*ns = err ? 0 : median(t, PACED_BLOCK);
	} else {
		*ns = block_ns(c->hfd[h], sz, block_len(sz), 0, &err);
	}
	return -err;
}

/* the series of heap @i (-1: the memset) at size index @s */
static int alloc_series(int s, int i)
{
	return s * (NB + 1) + 1 + i;
}

/*
 * One table of alloc+close latencies (and its BENCH lines): per heap and
 * size the median time, the median per-round ratio to the system heap
 * (the figure whose rounds must agree) and to the memset.
 */
static void print_alloc(const struct rounds *rd, const struct bench_heap *bh,
			int paced, const uint64_t *ms0)
{
	struct fig f, m;
	int i, s;

	if (paced)
		printf("\nalloc+close latency, paced (%d ms of busy work before each, not timed; a run: the median of %d)",
		       PACE_MS, PACED_BLOCK);
	else
		printf("\nalloc+close latency, back to back (a run: the mean of a block)");
	printf(", %d rounds: median, and median per-round ratio to the system heap\n", rd->n);
	printf("%-20s %-9s", "heap", "kind");
	for (s = 0; s < NSIZES; s++)
		printf(" %20s", size_names[s]);
	printf("\n%-20s %-9s", "memset (anon)", "-");
	for (s = 0; s < NSIZES; s++) {
		rounds_fig(rd, alloc_series(s, -1), 0, &m);
		printf(" %18.2fus", m.med / 1000.0);
	}
	printf("\n%-20s %-9s", "memset 0 (anon)", "-");
	for (s = 0; s < NSIZES; s++)
		printf(" %18.2fus", ms0[s] / 1000.0);
	printf("\n");
	for (i = 0; i < NB; i++) {
		printf("%-20s %-9s", bh[i].name, bh[i].kind);
		for (s = 0; s < NSIZES; s++) {
			int ret = rounds_err(rd, alloc_series(s, i));
			char cell[32];

			rounds_fig(rd, alloc_series(s, i), 0, &f);
			if (ret)
				snprintf(cell, sizeof(cell), "fail:%s", strerror(-ret));
			else
				snprintf(cell, sizeof(cell), "%.1fus (%.2fx)", f.med / 1000.0,
					 f.rel);
			printf(" %20.20s", cell);
		}
		printf("\n");
	}
	printf("\n");
	for (i = 0; i < NB; i++) {
		for (s = 0; s < NSIZES; s++) {
			int k = alloc_series(s, i), ret = rounds_err(rd, k);

			if (ret == -ENOENT && rd->err[k]) {
				printf("BENCH alloc heap=%s mode=%s skipped=missing\n",
				       bh[i].label, mode_names[paced]);
				break;
			}
			if (ret) {
				printf("BENCH alloc heap=%s kind=%s mode=%s size=%zu error=%d\n",
				       bh[i].name, bh[i].kind, mode_names[paced],
				       sizes[s], -ret);
				continue;
			}
			rounds_fig(rd, k, 0, &f);
			rounds_fig(rd, alloc_series(s, -1), 0, &m);
			m.rel = 0;
			if (!rounds_err(rd, alloc_series(s, -1))) {
				struct fig vm;

				fig_of(&vm, rd->t[k], NULL, rd->t[alloc_series(s, -1)], NULL,
				       rd->n, 0);
				m.rel = vm.rel;
			}
			printf("BENCH alloc heap=%s kind=%s mode=%s size=%zu reps=%d rounds=%d median_ns=%"
			       PRIu64 " memset_ns=%" PRIu64 " ratio=%.5f rel_system=%.5f rel_a=%.5f"
			       " rel_b=%.5f agree=%d\n",
			       bh[i].name, bh[i].kind, mode_names[paced], sizes[s],
			       paced ? PACED_BLOCK : block_len(sizes[s]), rd->n, f.med, m.med, m.rel,
			       f.rel, f.rel_half[0], f.rel_half[1],
			       fig_agrees(&f, rd->ref[k] < 0));
		}
	}
}

/*
 * 2. Heap bh[0] against heap bh[1] in rounds of two blocks, the order
 *    alternating: our reusable heap against the kernel's CMA heap
 *    ("paired" lines), or any two heaps given with -p ("ab" lines, @paced
 *    as well as back to back).  Blocks a few milliseconds apart see the
 *    same guest, where whole tables do not.
 */
#define PAIRED_FIRST	15
#define PAIRED_MORE	6

struct paired_ctx {
	const struct bench_heap *bh;
	int hfd[2];
	size_t sz;
	int paced;
};

static int paired_run(struct rounds *rd, int s, int r, uint64_t *ns)
{
	struct paired_ctx *c = rd->ctx;
	int err = 0;

	(void)r;
	wait_others_zeroed(c->bh, c->hfd, 2, s);
	*ns = block_ns(c->hfd[s], c->sz, block_len(c->sz), c->paced, &err);
	return -err;
}

static void bench_paired(const struct bench_heap *bh, const char *what, int paced)
{
	struct paired_ctx c = { .bh = bh, .paced = paced };
	uint64_t mig0;
	int s, i, ret, ab = strcmp(what, "paired") != 0;
	struct rounds rd;
	struct fig f, fb;

	printf("\n%s, paired rounds%s (per round the ratio of %s's block %s to %s's;"
	       " rounds until two halves of the rounds agree within 10%%)\n",
	       ab ? "two heaps" : "reusable vs CMA heap", paced ? ", paced" : "",
	       bh[0].name, paced ? "median" : "mean", bh[1].name);
	printf("%-8s %7s %10s %10s %10s %6s ratio < 1: %s faster\n", "size", "rounds",
	       "median", "lowest", "highest", "agree", bh[0].name);
	c.hfd[0] = rh_open_heap(bh[0].name);
	c.hfd[1] = rh_open_heap(bh[1].name);
	for (s = 0; s < NSIZES && c.hfd[0] >= 0 && c.hfd[1] >= 0; s++) {
		c.sz = sizes[s];
		rounds_init(&rd, 2, paired_run, &c);
		rd.alternate = 1;
		rd.ref[0] = 1;
		mig0 = vmstat("pgmigrate_success");
		rounds_go(&rd, PAIRED_FIRST, PAIRED_MORE, paced ? 21 : RD_MAX);
		/* the CMA heaps' cost follows what the page allocator put in their areas */
		printf("# %s %s: %" PRIu64 " pages migrated meanwhile (/proc/vmstat)\n", what,
		       size_names[s], vmstat("pgmigrate_success") - mig0);
		ret = rounds_err(&rd, 0);
		if (ret) {
			printf("%-8s fail: %s\n", size_names[s], strerror(-ret));
			printf("BENCH %s size=%zu error=%d\n", what, sizes[s], -ret);
			rounds_free(&rd);
			continue;
		}
		rounds_fig(&rd, 0, 0, &f);
		rounds_fig(&rd, 1, 0, &fb);
		printf("%-8s %7d %9.2fx %9.2fx %9.2fx %6s\n", size_names[s], rd.n,
		       f.rel, f.lo, f.hi, fig_agrees(&f, 0) ? "yes" : "no");
		if (ab)
			printf("BENCH ab a=%s b=%s mode=%s", bh[0].name, bh[1].name,
			       mode_names[paced]);
		else
			printf("BENCH paired ours=%s kernel=%s", bh[0].name, bh[1].name);
		/* the two medians too: which heap moved when boots differ */
		printf(" size=%zu rounds=%d block=%d ratio_median=%.5f ratio_min=%.5f"
		       " ratio_max=%.5f ratio_a=%.5f ratio_b=%.5f a_ns=%" PRIu64
		       " b_ns=%" PRIu64 " agree=%d\n",
		       sizes[s], rd.n, block_len(sizes[s]), f.rel, f.lo, f.hi,
		       f.rel_half[0], f.rel_half[1], f.med, fb.med, fig_agrees(&f, 0));
		rounds_free(&rd);
	}
	for (i = 0; i < 2; i++)
		if (c.hfd[i] >= 0)
			close(c.hfd[i]);
}

static void bench_alloc(struct rh_heap *hs, int nh)
{
	struct bench_heap bh[NB];
	uint64_t ms0[NSIZES];
	int have[NB] = { 0 };
	struct alloc_ctx c;
	struct rounds rd;
	int i, s, paced;
	size_t k;

	bh[0].label = "ours-no-map";
	bh[0].kind = "no-map";
	have[0] = !pick_ours(hs, nh, "rmem", 0, bh[0].name);
	bh[1].label = "ours-reusable";
	bh[1].kind = "reusable";
	have[1] = !pick_ours(hs, nh, "frames", 1, bh[1].name);
	bh[NB_SYSTEM].label = "system";
	bh[NB_SYSTEM].kind = "system";
	strcpy(bh[NB_SYSTEM].name, "system");
	have[NB_SYSTEM] = heap_dev_exists("system");
	bh[3].label = "cma";
	bh[3].kind = "cma";
	strcpy(bh[3].name, "-");
	for (k = 0; k < sizeof(cma_heaps) / sizeof(cma_heaps[0]); k++) {
		if (heap_dev_exists(cma_heaps[k])) {
			strcpy(bh[3].name, cma_heaps[k]);
			have[3] = 1;
			break;
		}
	}
	for (i = 0; i < NB; i++) {
		if (!have[i])
			printf("# SKIP %s: no such heap in %s\n", bh[i].label,
			       i < 2 ? RH_SYSFS : RH_DEVDIR);
		c.hfd[i] = have[i] ? rh_open_heap(bh[i].name) : -ENOENT;
	}
	c.bh = bh;
	c.buf = anon_buf(8 * RH_MIB);
	for (s = 0; s < NSIZES; s++) {
		uint64_t ms = memset_ns(c.buf, sizes[s], 0);

		ms0[s] = memset_ns(c.buf, sizes[s], 1);
		printf("BENCH memset size=%zu reps=%d median_ns=%" PRIu64
		       " zero_median_ns=%" PRIu64 "\n",
		       sizes[s], reps_for(sizes[s]), ms, ms0[s]);
	}
	for (paced = 0; paced < 2; paced++) {
		c.paced = paced;
		rounds_init(&rd, NSIZES * (NB + 1), alloc_run, &c);
		/* against the system heap; without one, against the memset */
		for (s = 0; s < NSIZES; s++)
			for (i = 0; i < NB; i++)
				if (i != NB_SYSTEM)
					rd.ref[alloc_series(s, i)] =
						alloc_series(s, have[NB_SYSTEM] ? NB_SYSTEM : -1);
		/* one untimed round: TCG translates each path on its first run */
		rounds_run(&rd, 0, 1);
		memset(rd.err, 0, (size_t)rd.nser * sizeof(*rd.err));
		rounds_go(&rd, paced ? PACED_FIRST : ALLOC_FIRST, ALLOC_MORE,
			  paced ? PACED_MAX : RD_MAX);
		print_alloc(&rd, bh, paced, ms0);
		rounds_free(&rd);
	}
	munmap(c.buf, 8 * RH_MIB);
	for (i = 0; i < NB; i++)
		if (c.hfd[i] >= 0)
			close(c.hfd[i]);
	if (have[1] && have[3]) {
		struct bench_heap pair[2] = { bh[1], bh[3] };

		bench_paired(pair, "paired", 0);
	} else {
		printf("# SKIP paired rounds: needs our reusable heap and a CMA heap\n");
	}
}

/*
 * 3. CPU bandwidth through mmap() of cached and uncached buffers (rmem vs
 *    video-uncached, frames vs frames-uncached) against an anonymous
 *    mapping: per round one write pass and one read pass over each, each
 *    timed after an untimed pass of its kind, the heaps' buffers inside
 *    one SYNC_START/SYNC_END bracket for the whole section.
 */
#define BW_FIRST	15
#define BW_MORE		6

static const char * const bw_heaps[] = {
	"rmem", "video-uncached", "frames", "frames-uncached",
};

#define N_BW	(sizeof(bw_heaps) / sizeof(bw_heaps[0]) + 1)

/* the mappings, anonymous first; series 2i writes mapping i, 2i + 1 reads it */
struct bw_ctx {
	void *p[N_BW];
	int fd[N_BW];
};

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

/* one pass over @p: a read (@is_read) or a write of @v */
static void bw_pass(void *p, int is_read, int v)
{
	if (is_read) {
		sink += read_words(p, BW_SIZE);
	} else {
		memset(p, v, BW_SIZE);
		barrier_ptr(p);
	}
}

/*
 * The timed pass comes right after an untimed one over the same buffer:
 * the first pass of a round over a buffer was fast for some buffers and
 * slow for others, depending on which of them TCG's software TLB (whose
 * size follows the guest's past work) still held; a second pass is alike
 * for every buffer (Documentation/rmem-heap.rst, "make bench").
 */
static int bw_run(struct rounds *rd, int s, int r, uint64_t *ns)
{
	struct bw_ctx *c = rd->ctx;
	void *p = c->p[s / 2];
	uint64_t t0;

	if (!p)
		return c->fd[s / 2];
	bw_pass(p, s % 2, r % 255 + 1);
	t0 = rh_now_ns();
	bw_pass(p, s % 2, r % 255 + 1);
	*ns = rh_now_ns() - t0;
	return 0;
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

/* a fresh buffer of heap @name mapped into @c's slot @i, or the slot's -errno */
static void bw_map(struct bw_ctx *c, size_t i, const char *name)
{
	int hfd = rh_open_heap(name), ret;

	c->p[i] = NULL;
	if (hfd < 0) {
		c->fd[i] = hfd;
		return;
	}
	ret = new_mapping(hfd, BW_SIZE, &c->fd[i], &c->p[i]);
	close(hfd);
	if (ret) {
		c->p[i] = NULL;
		c->fd[i] = ret;
		return;
	}
	rh_sync(c->fd[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
}

static void bench_bw(struct rh_heap *hs, int nh)
{
	struct bw_ctx c;
	struct rounds rd;
	struct fig fr, fw, ar, aw;
	size_t i;

	c.p[0] = anon_buf(BW_SIZE);
	c.fd[0] = -1;
	for (i = 1; i < N_BW; i++) {
		struct rh_heap *h = rh_find(hs, nh, bw_heaps[i - 1]);

		if (h) {
			bw_map(&c, i, h->name);
		} else {
			c.p[i] = NULL;
			c.fd[i] = -ENOENT;
		}
		/* fault the mapping in */
		if (c.p[i]) {
			bw_pass(c.p[i], 0, 0);
			bw_pass(c.p[i], 1, 0);
		}
	}
	rounds_init(&rd, 2 * N_BW, bw_run, &c);
	for (i = 2; i < 2 * N_BW; i++)
		rd.ref[i] = (int)(i % 2);
	rounds_go(&rd, BW_FIRST, BW_MORE, RD_MAX);
	rounds_fig(&rd, 0, 0, &aw);
	rounds_fig(&rd, 1, 0, &ar);
	printf("\nCPU bandwidth through mmap, %zu KiB buffer, %d rounds: median, and median ratio to the anonymous mapping's pass of the same round\n",
	       (size_t)(BW_SIZE / RH_KIB), rd.n);
	printf("%-20s %12s %8s %12s %8s %6s\n", "buffer", "read MB/s", "vs anon",
	       "write MB/s", "vs anon", "agree");
	printf("%-20s %12.1f %8.2f %12.1f %8.2f %6s\n", "anonymous",
	       BW_SIZE / (ar.med / 1e9) / 1e6, 1.0, BW_SIZE / (aw.med / 1e9) / 1e6, 1.0,
	       fig_agrees(&ar, 1) && fig_agrees(&aw, 1) ? "yes" : "no");
	printf("BENCH bw heap=anonymous policy=- bytes=%zu rounds=%d read_MBps=%.1f write_MBps=%.1f read_rel=1.000 write_rel=1.000 agree=%d\n",
	       (size_t)BW_SIZE, rd.n, BW_SIZE / (ar.med / 1e9) / 1e6,
	       BW_SIZE / (aw.med / 1e9) / 1e6, fig_agrees(&ar, 1) && fig_agrees(&aw, 1));
	for (i = 1; i < N_BW; i++) {
		struct rh_heap *h = rh_find(hs, nh, bw_heaps[i - 1]);
		int ret = rounds_err(&rd, 2 * (int)i);

		if (c.p[i]) {
			rh_sync(c.fd[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			munmap(c.p[i], BW_SIZE);
			close(c.fd[i]);
		}
		if (ret == -ENOENT && !h) {
			printf("# SKIP bandwidth %s: no such heap in %s\n", bw_heaps[i - 1],
			       RH_SYSFS);
			printf("BENCH bw heap=%s skipped=missing\n", bw_heaps[i - 1]);
			continue;
		}
		if (ret) {
			printf("# SKIP bandwidth %s: %s\n", bw_heaps[i - 1], strerror(-ret));
			printf("BENCH bw heap=%s error=%d\n", bw_heaps[i - 1], -ret);
			continue;
		}
		rounds_fig(&rd, 2 * (int)i, 1, &fw);
		rounds_fig(&rd, 2 * (int)i + 1, 1, &fr);
		printf("%-20s %12.1f %8.2f %12.1f %8.2f %6s\n", h->name,
		       BW_SIZE / (fr.med / 1e9) / 1e6, fr.rel, BW_SIZE / (fw.med / 1e9) / 1e6,
		       fw.rel, fig_agrees(&fr, 0) && fig_agrees(&fw, 0) ? "yes" : "no");
		printf("BENCH bw heap=%s policy=%s bytes=%zu rounds=%d read_MBps=%.1f write_MBps=%.1f read_rel=%.5f write_rel=%.5f agree=%d\n",
		       h->name, rh_policy_str(h->policy), (size_t)BW_SIZE, rd.n,
		       BW_SIZE / (fr.med / 1e9) / 1e6, BW_SIZE / (fw.med / 1e9) / 1e6,
		       fr.rel, fw.rel, fig_agrees(&fr, 0) && fig_agrees(&fw, 0));
	}
	munmap(c.p[0], BW_SIZE);
	rounds_free(&rd);
}

/*
 * 4. What a user waits for, ours beside the kernel's system heap in the
 *    same boot: touching every page of a fresh 32 MiB mapping (mmap
 *    included; at the address mmap() picks, and at a 2 MiB-aligned one,
 *    where PMD entries map our buffers), a video-frame cycle (allocate
 *    8 MiB, mmap, write all of it, munmap, close; a run is the median of a
 *    block of FRAME_BLOCK cycles back to back) and CPU bandwidth over
 *    1 MiB through mmap with DMA_BUF_IOCTL_SYNC brackets around every pass
 *    (no device has the buffer mapped); in rounds, the system heap's run
 *    of each figure first.  Each run starts once every heap zeroed what it
 *    had to (the system heap zeroes inside the allocation, before the
 *    clock starts; ours beside the run, in the background, on another CPU
 *    that this run would share).
 */
#define TOUCH_SIZE	(32 * RH_MIB)
#define FRAME_SIZE	(8 * RH_MIB)
#define SYNC_SIZE	RH_MIB
#define FRAME_BLOCK	5
#define USER_FIRST	21
#define USER_MORE	6

static const char * const user_heaps[] = {
	"system", "rmem", "video-uncached", "frames", "frames-uncached",
	"coherent",
};

#define N_USER	((int)(sizeof(user_heaps) / sizeof(user_heaps[0])))

enum { F_TOUCH, F_TOUCH_BLOCKS, F_FRAME, F_SYNC_RD, F_SYNC_WR, N_FIGS };

static const char * const fig_names[N_FIGS] = {
	"touch32M", "touch32M_2M", "frame8M", "sync_read1M", "sync_write1M",
};

/* until none of the user heaps has freed space left to zero */
static void wait_all_zeroed(void)
{
	int i;

	for (i = 0; i < N_USER; i++)
		wait_zeroed(user_heaps[i]);
}

/*
 * mmap a fresh buffer (at a 2 MiB-aligned address if @blocks) and write
 * one byte of each page: ns, or -errno.  The clock starts once every heap
 * zeroed what it had to.
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

/* one pass over a mapped buffer inside a SYNC bracket: ns, or -errno */
static int64_t sync_pass(int fd, void *p, int r, int write)
{
	uint64_t dir = write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ;
	uint64_t t0 = rh_now_ns();
	int ret;

	ret = rh_sync(fd, DMA_BUF_SYNC_START | dir);
	if (write) {
		memset(p, r % 255 + 1, SYNC_SIZE);
		barrier_ptr(p);
	} else {
		sink += read_words(p, SYNC_SIZE);
	}
	ret = ret ?: rh_sync(fd, DMA_BUF_SYNC_END | dir);
	return ret ?: (int64_t)(rh_now_ns() - t0);
}

/* one heap of bench_user(): the heap open, its SYNC buffer mapped */
struct user_heap {
	int hfd, sfd, err;	/* heap, the SYNC buffer; error (-errno) */
	void *sp;		/* the SYNC buffer's mapping */
};

/* series fig * N_USER + heap */
static int user_run(struct rounds *rd, int s, int r, uint64_t *ns)
{
	struct user_heap *u = (struct user_heap *)rd->ctx + s % N_USER;
	int64_t v;

	if (u->err)
		return u->err;
	switch (s / N_USER) {
	case F_TOUCH:
	case F_TOUCH_BLOCKS:
		v = touch_once(u->hfd, s / N_USER == F_TOUCH_BLOCKS);
		break;
	case F_FRAME:
		wait_all_zeroed();
		v = frame_block(u->hfd, r);
		break;
	default:
		wait_all_zeroed();
		v = sync_pass(u->sfd, u->sp, r, s / N_USER == F_SYNC_WR);
		break;
	}
	if (v < 0)
		return (int)v;
	*ns = (uint64_t)v;
	return 0;
}

/* open the heap and its SYNC buffer, then one untimed run of each figure */
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
	u->err = new_mapping(u->hfd, SYNC_SIZE, &u->sfd, &u->sp);
	if (u->err) {
		u->sfd = -1;
		return;
	}
	memset(u->sp, 0, SYNC_SIZE);
	/* the first touch of a region is cold */
	v = touch_once(u->hfd, 0);
	wait_all_zeroed();
	v = v < 0 ? v : frame_once(u->hfd, 0);
	u->err = v < 0 ? (int)v : 0;
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

static void bench_user(void)
{
	static struct user_heap u[N_USER];
	struct fig f[N_FIGS];
	struct rounds rd;
	int i, k, ret;

	for (i = 0; i < N_USER; i++)
		user_start(user_heaps[i], &u[i]);
	rounds_init(&rd, N_FIGS * N_USER, user_run, u);
	for (k = 0; k < N_FIGS; k++)
		for (i = 1; i < N_USER; i++)
			rd.ref[k * N_USER + i] = k * N_USER;
	rounds_go(&rd, USER_FIRST, USER_MORE, RD_MAX);
	for (i = 0; i < N_USER; i++)
		user_stop(&u[i]);

	printf("\nWhat a user waits for, vs the kernel's system heap in this boot (%d rounds; ratio: median of per-round ratios; agree: two halves of the rounds within 10%%)\n\n",
	       rd.n);
	printf("| heap | touch 32 MiB mapping (ms) | vs system | same, 2 MiB-aligned address (ms) | vs system | frame cycle 8 MiB (ms) | vs system | read 1 MiB with SYNC (MB/s) | vs system | write 1 MiB with SYNC (MB/s) | vs system | agree |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < N_USER; i++) {
		int agree = 1;

		ret = 0;
		for (k = 0; k < N_FIGS && !ret; k++)
			ret = rounds_err(&rd, k * N_USER + i);
		if (ret) {
			printf("| %s | skipped: %s%s | | | | | | | | | | |\n",
			       user_heaps[i], u[i].err ? "" : "the system heap: ",
			       strerror(-ret));
			printf("BENCH user heap=%s error=%d\n", user_heaps[i], -ret);
			continue;
		}
		for (k = 0; k < N_FIGS; k++) {
			rounds_fig(&rd, k * N_USER + i, k >= F_SYNC_RD, &f[k]);
			agree &= fig_agrees(&f[k], !i);
		}
		printf("| %s | %.2f | %.2fx | %.2f | %.2fx | %.2f | %.2fx | %.0f | %.2fx | %.0f | %.2fx | %s |\n",
		       user_heaps[i], f[F_TOUCH].med / 1e6, f[F_TOUCH].rel,
		       f[F_TOUCH_BLOCKS].med / 1e6, f[F_TOUCH_BLOCKS].rel,
		       f[F_FRAME].med / 1e6, f[F_FRAME].rel,
		       SYNC_SIZE / (f[F_SYNC_RD].med / 1e9) / 1e6, f[F_SYNC_RD].rel,
		       SYNC_SIZE / (f[F_SYNC_WR].med / 1e9) / 1e6, f[F_SYNC_WR].rel,
		       agree ? "yes" : "no");
		for (k = 0; k < N_FIGS; k++)
			printf("BENCH user heap=%s fig=%s runs=%d median_ns=%" PRIu64
			       " half_a_ns=%" PRIu64 " half_b_ns=%" PRIu64
			       " rel_system=%.5f rel_a=%.5f rel_b=%.5f agree=%d\n",
			       user_heaps[i], fig_names[k], f[k].runs, f[k].med,
			       f[k].half[0], f[k].half[1], f[k].rel,
			       f[k].rel_half[0], f[k].rel_half[1],
			       fig_agrees(&f[k], !i));
	}
	rounds_free(&rd);
}

/*
 * 5. Import cost: dma_buf_map_attachment() + unmap for a non-coherent
 *    device of the test importer (rmem_heap_importer.ko), beside the system
 *    heap, in rounds: per round and buffer an attachment made anew, its
 *    first map+unmap timed on its own, then the median of IMPORT_BLOCK
 *    more map+unmap pairs of the same attachment ("again": what a second
 *    map reuses), then detached.
 */
#define IMPORT_BLOCK	3
#define IMPORT_FIRST	15
#define IMPORT_MORE	6

static const char * const import_heaps[] = {
	"system", "rmem", "frames", "video-uncached",
};

#define N_IMPORT	((int)(sizeof(import_heaps) / sizeof(import_heaps[0])))
#define N_ISIZES	2

static const size_t import_sizes[N_ISIZES] = { RH_MIB, 8 * RH_MIB };

/* buffer (size, heap) is slot size * N_IMPORT + heap; series 2 * slot (+1: again) */
struct import_ctx {
	int ifd;
	uint32_t dev;
	int fd[N_ISIZES * N_IMPORT];	/* the buffer, or -errno */
	uint32_t attach[N_ISIZES * N_IMPORT];
	int attached[N_ISIZES * N_IMPORT];
	uint32_t nents[N_ISIZES * N_IMPORT];	/* DMA segments of the last map */
};

/* one map + unmap of @attach: ns, or -errno; the map's segments in *nents */
static int64_t import_map_once(int ifd, uint32_t attach, uint32_t *nents)
{
	struct rhi_map m = { .attach_id = attach, .dir = RHI_DIR_BIDIRECTIONAL };
	struct rhi_id id = { .id = attach };
	uint64_t t0 = rh_now_ns();

	if (ioctl(ifd, RHI_IOC_MAP, &m) || ioctl(ifd, RHI_IOC_UNMAP, &id))
		return -errno;
	*nents = m.nents;
	return (int64_t)(rh_now_ns() - t0);
}

static int import_run(struct rounds *rd, int s, int r, uint64_t *ns)
{
	struct import_ctx *c = rd->ctx;
	struct rhi_attach at = { .dev_id = c->dev };
	int b = s / 2, i, ret = 0;
	uint64_t t[IMPORT_BLOCK];
	struct rhi_id id = { 0 };
	int64_t v;

	(void)r;
	if (c->fd[b] < 0)
		return c->fd[b];
	if (!(s % 2)) {
		at.fd = c->fd[b];
		if (ioctl(c->ifd, RHI_IOC_ATTACH, &at))
			return -errno;
		c->attach[b] = at.attach_id;
		c->attached[b] = 1;
		v = import_map_once(c->ifd, c->attach[b], &c->nents[b]);
		if (v < 0)
			return (int)v;
		*ns = (uint64_t)v;
		return 0;
	}
	if (!c->attached[b])
		return -ENOLINK;
	for (i = 0; i < IMPORT_BLOCK && !ret; i++) {
		v = import_map_once(c->ifd, c->attach[b], &c->nents[b]);
		if (v < 0)
			ret = (int)v;
		else
			t[i] = (uint64_t)v;
	}
	id.id = c->attach[b];
	c->attached[b] = 0;
	if (ioctl(c->ifd, RHI_IOC_DETACH, &id) && !ret)
		ret = -errno;
	if (!ret)
		*ns = median(t, IMPORT_BLOCK);
	return ret;
}

static void bench_import(void)
{
	struct rhi_dev_create dc = { .dma_bits = 64 };
	struct import_ctx c = { .ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC) };
	struct fig first, again;
	struct rounds rd;
	int s, h, b, ret;

	if (c.ifd < 0 || ioctl(c.ifd, RHI_IOC_DEV_CREATE, &dc)) {
		printf("\n# SKIP import: %s: %s (load rmem_heap_importer.ko)\n", RHI_DEVICE,
		       strerror(errno));
		printf("BENCH import skipped=no_importer\n");
		if (c.ifd >= 0)
			close(c.ifd);
		return;
	}
	c.dev = dc.dev_id;
	for (s = 0; s < N_ISIZES; s++) {
		for (h = 0; h < N_IMPORT; h++) {
			int hfd = rh_open_heap(import_heaps[h]);

			b = s * N_IMPORT + h;
			c.attached[b] = 0;
			if (hfd < 0) {
				c.fd[b] = hfd;
				continue;
			}
			ret = rh_alloc(hfd, import_sizes[s], &c.fd[b]);
			close(hfd);
			if (ret)
				c.fd[b] = ret;
		}
	}
	rounds_init(&rd, 2 * N_ISIZES * N_IMPORT, import_run, &c);
	for (s = 0; s < N_ISIZES; s++)
		for (h = 1; h < N_IMPORT; h++)
			for (b = 0; b < 2; b++)
				rd.ref[2 * (s * N_IMPORT + h) + b] = 2 * s * N_IMPORT + b;
	rounds_go(&rd, IMPORT_FIRST, IMPORT_MORE, RD_MAX);

	printf("\nImport: map + unmap of one attachment by a non-coherent device, %d rounds (each: a new attachment, its first map, then the median of %d more), vs the system heap in the same round\n\n",
	       rd.n, IMPORT_BLOCK);
	printf("| heap | size | first map+unmap (us) | vs system | map+unmap again (us) | vs system | agree |\n");
	printf("|---|---|---:|---:|---:|---:|---|\n");
	for (h = 0; h < N_IMPORT; h++) {
		for (s = 0; s < N_ISIZES; s++) {
			b = s * N_IMPORT + h;
			ret = rounds_err(&rd, 2 * b) ?: rounds_err(&rd, 2 * b + 1);
			if (ret) {
				printf("| %s | %zu KiB | skipped: %s | | | | |\n", import_heaps[h],
				       (size_t)(import_sizes[s] / RH_KIB), strerror(-ret));
				printf("BENCH import heap=%s size=%zu error=%d\n", import_heaps[h],
				       import_sizes[s], -ret);
				continue;
			}
			rounds_fig(&rd, 2 * b, 0, &first);
			rounds_fig(&rd, 2 * b + 1, 0, &again);
			printf("| %s | %zu KiB | %.1f | %.2fx | %.1f | %.2fx | %s |\n",
			       import_heaps[h], (size_t)(import_sizes[s] / RH_KIB),
			       first.med / 1e3, first.rel, again.med / 1e3, again.rel,
			       fig_agrees(&first, !h) && fig_agrees(&again, !h) ? "yes" : "no");
			printf("BENCH import heap=%s size=%zu segments=%u reps=%d rounds=%d first_ns=%"
			       PRIu64 " median_ns=%" PRIu64 " first_rel_system=%.5f rel_system=%.5f"
			       " rel_a=%.5f rel_b=%.5f agree=%d\n", import_heaps[h],
			       import_sizes[s], c.nents[b], IMPORT_BLOCK, rd.n, first.med, again.med,
			       first.rel, again.rel, again.rel_half[0], again.rel_half[1],
			       fig_agrees(&first, !h) && fig_agrees(&again, !h));
		}
	}
	for (b = 0; b < N_ISIZES * N_IMPORT; b++)
		if (c.fd[b] >= 0)
			close(c.fd[b]);
	rounds_free(&rd);
	close(c.ifd);
}
/*
 * 0. Right after probe (run first: make bench starts the benchmark as soon
 *    as the module is loaded): what the region's first 1 MiB allocations
 *    cost while probe's dirty region is being zeroed in the background,
 *    against one memset of 1 MiB, and how long the background zeroing of
 *    what was pending takes, as ms per GiB.  A heap whose zeroing already
 *    ended when the benchmark started says so.  The system heap and then
 *    another no-map heap of ours (on another region) allocate once first,
 *    so that the time TCG takes to translate kernel paths on their first
 *    run is not counted on the heap measured: rmem on the lab's machines,
 *    scale (1 GiB) on virt-scale, which -s runs too.
 */
#define PROBE_ALLOCS	8

/* the heap measured and the one warmed first, on another region */
static const char * const probe_heaps[][2] = {
	{ "rmem", "video" },		/* the lab's machines */
	{ "scale", "scale-coherent" },	/* virt-scale: 1 GiB regions */
};

static void bench_after_probe(struct rh_heap *hs, int nh)
{
	struct rh_heap *h = NULL, *warm = NULL;
	uint64_t pending0, pending, t[PROBE_ALLOCS], ms, t0, waited, first, med, sys_first;
	uint64_t warm_first;
	void *buf = anon_buf(RH_MIB);
	int hfd, i, n = 0, err = 0;

	for (i = 0; i < (int)(sizeof(probe_heaps) / sizeof(probe_heaps[0])) && !h; i++) {
		h = rh_find(hs, nh, probe_heaps[i][0]);
		warm = rh_find(hs, nh, probe_heaps[i][1]);
	}
	printf("\nRight after probe: 1 MiB alloc+close on %s while probe's dirty region is zeroed\n",
	       h ? h->name : "rmem");
	if (!h || rh_read_u64(h->name, "zero_pending", &pending0)) {
		printf("# SKIP after probe: no heap rmem or scale\n");
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
	       warm ? warm->name : "(none)", warm_first / 1e3,
	       (double)warm_first / (double)ms);
	printf("all pending zeroed %.1f ms after the start (%.0f ms per GiB pending)\n",
	       waited / 1e6, pending0 ? waited / 1e6 * (double)(1ull << 30) / (double)pending0 : 0.0);
	printf("BENCH probe heap=%s pending0=%" PRIu64 " size=%" PRIu64 " allocs=%d first_ns=%" PRIu64
	       " median_ns=%" PRIu64 " memset_ns=%" PRIu64 " first_rel=%.5f median_rel=%.5f zeroed_ns=%" PRIu64
	       " system_first_ns=%" PRIu64 " warm_heap=%s warm_first_ns=%" PRIu64 "\n",
	       h->name, pending0, h->size, n, first, med, ms,
	       (double)first / (double)ms, (double)med / (double)ms, waited, sys_first,
	       warm ? warm->name : "none", warm_first);
}

/*
 * 6. Scale, per heap in rounds: a block of 4 KiB alloc+close on the
 *    empty heap and one of 32 KiB; up to SCALE_BUFS live 4-16 KiB buffers
 *    (as many as fit in 80% of the region), then the 4 KiB block with
 *    them; every other one freed (the holes are smaller than 32 KiB), then
 *    the 32 KiB block: an allocator that walked the holes would show it;
 *    all freed, then one allocation of the whole region.  Every run starts
 *    once the heap zeroed what was freed before it (no-map heaps zero in
 *    the background, on the other CPU).  The ratios set the runs with the
 *    live buffers against the empty heap's of the same round, each first
 *    divided by a block of 4 KiB on the system heap run next to it: the
 *    fill lies between them, a second or more in which the guest's speed
 *    may change.  Then the kernel's CMA heap alike, with the region size
 *    of our first reusable heap (where its area has room), without the
 *    whole region.
 */
#define SCALE_BUFS	10000
#define SCALE_BLOCK	31
#define BIG_BLOCK	9
#define SCALE_FIRST	9
#define SCALE_MORE	4
#define SCALE_MAX	21

/* in the order they run in a round; S_SYS_*: the system heap, to divide by */
enum {
	S_SYS_EMPTY, S_EMPTY, S_BIG_EMPTY, S_FULL, S_SYS_FULL, S_BIG, S_SYS_BIG,
	S_WHOLE, N_SCALE
};

struct scale_ctx {
	const struct rh_heap *h;
	int kernel;		/* the kernel's CMA heap: its area has other users */
	int hfd, sys;		/* the heap, the system heap (-errno: none) */
	int *fds;		/* the live buffers, -1 once freed */
	int n;			/* live buffers made in the last round */
	uint64_t used;		/* their bytes */
};

/* the median of @n alloc+close of @sz: ns, or -errno */
static int block_of(int hfd, size_t sz, int n, uint64_t *ns)
{
	uint64_t t[SCALE_BLOCK];
	int i, err = 0;

	for (i = 0; i < n; i++) {
		t[i] = alloc_close_once(hfd, sz, &err);
		if (err)
			return -err;
	}
	*ns = median(t, n);
	return 0;
}

/* free the live buffers of @parity (0: even, 1: odd, 2: all) */
static void scale_free(struct scale_ctx *c, int parity)
{
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->fds[i] < 0 || (parity < 2 && i % 2 != parity))
			continue;
		close(c->fds[i]);
		c->fds[i] = -1;
	}
	/* a 1 GiB region takes seconds */
	wait_zeroed_for(c->h->name, 20000);
}

static void scale_fill(struct scale_ctx *c)
{
	uint64_t s = 0x5ca1e;

	c->n = 0;
	c->used = 0;
	while (c->n < SCALE_BUFS) {
		size_t sz = (size_t)(1 + (s = s * 6364136223846793005ull + 1) % 4) * 4 * RH_KIB;

		if (c->used + sz > c->h->size / 10 * 8)
			break;
		if (rh_alloc(c->hfd, sz, &c->fds[c->n]))
			break;
		c->used += sz;
		c->n++;
	}
}

static int scale_run(struct rounds *rd, int s, int r, uint64_t *ns)
{
	struct scale_ctx *c = rd->ctx;
	uint64_t t0;
	int fd;

	(void)r;
	switch (s) {
	case S_SYS_EMPTY:
	case S_SYS_FULL:
	case S_SYS_BIG:
		return block_of(c->sys, 4 * RH_KIB, SCALE_BLOCK, ns);
	case S_EMPTY:
		scale_free(c, 2);	/* what a failed run of the last round left */
		return block_of(c->hfd, 4 * RH_KIB, SCALE_BLOCK, ns);
	case S_BIG_EMPTY:
		return block_of(c->hfd, 32 * RH_KIB, BIG_BLOCK, ns);
	case S_FULL:
		scale_fill(c);
		return block_of(c->hfd, 4 * RH_KIB, SCALE_BLOCK, ns);
	case S_BIG:
		scale_free(c, 0);
		return block_of(c->hfd, 32 * RH_KIB, BIG_BLOCK, ns);
	default:
		scale_free(c, 2);
		if (c->kernel)
			return -EOPNOTSUPP;
		t0 = rh_now_ns();
		if (rh_alloc(c->hfd, c->h->size, &fd))
			return -errno;
		close(fd);
		*ns = rh_now_ns() - t0;
		wait_zeroed_for(c->h->name, 20000);
		return 0;
	}
}

static void scale_heap(const struct rh_heap *h, int kernel, int *fds)
{
	/* what CMA did meanwhile: its migrations explain a reusable heap's figures */
	uint64_t mig0 = vmstat("pgmigrate_success"), ok0 = vmstat("cma_alloc_success");
	uint64_t fail0 = vmstat("cma_alloc_fail"), t0 = rh_now_ns();
	struct scale_ctx c = { .h = h, .kernel = kernel, .fds = fds };
	const char *whole = "ok";
	struct fig f[N_SCALE];
	struct rounds rd;
	int ret, k, agree = 1;
	uint64_t ns;

	c.hfd = rh_open_heap(h->name);
	if (c.hfd < 0) {
		printf("| %s | skipped: %s | | | | | | | | |\n", h->name, strerror(-c.hfd));
		printf("BENCH scale heap=%s error=%d\n", h->name, -c.hfd);
		return;
	}
	c.sys = rh_open_heap("system");
	/* untimed: TCG translates each path on its first run */
	block_of(c.hfd, 4 * RH_KIB, SCALE_BLOCK, &ns);
	block_of(c.hfd, 32 * RH_KIB, BIG_BLOCK, &ns);
	rounds_init(&rd, N_SCALE, scale_run, &c);
	rd.ref[S_FULL] = S_EMPTY;
	rd.ref[S_BIG] = S_BIG_EMPTY;
	if (c.sys >= 0) {
		block_of(c.sys, 4 * RH_KIB, SCALE_BLOCK, &ns);
		rd.norm[S_EMPTY] = rd.norm[S_BIG_EMPTY] = S_SYS_EMPTY;
		rd.norm[S_FULL] = S_SYS_FULL;
		rd.norm[S_BIG] = S_SYS_BIG;
	}
	rounds_go(&rd, SCALE_FIRST, SCALE_MORE, SCALE_MAX);
	scale_free(&c, 2);
	close(c.hfd);
	if (c.sys >= 0)
		close(c.sys);
	ret = rounds_err(&rd, S_FULL) ?: rounds_err(&rd, S_BIG);
	if (ret) {
		printf("| %s | skipped: %s | | | | | | | | |\n", h->name, strerror(-ret));
		printf("BENCH scale heap=%s error=%d\n", h->name, -ret);
		rounds_free(&rd);
		return;
	}
	for (k = 0; k < N_SCALE; k++) {
		if (k == S_WHOLE && rd.err[k])
			continue;
		rounds_fig(&rd, k, 0, &f[k]);
		if (rd.ref[k] >= 0)
			agree &= fig_agrees(&f[k], 0);
	}
	if (kernel)
		whole = "- (the kernel's CMA area)";
	else if (rd.err[S_WHOLE])
		whole = strerror(-rd.err[S_WHOLE]);
	printf("| %s | %d (%" PRIu64 " MiB) | %d | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx | %s | %s |\n",
	       h->name, c.n, c.used / RH_MIB, rd.n, f[S_EMPTY].med / 1e3, f[S_FULL].med / 1e3,
	       f[S_FULL].rel, f[S_BIG_EMPTY].med / 1e3, f[S_BIG].med / 1e3, f[S_BIG].rel,
	       whole, agree ? "yes" : "no");
	printf("BENCH scale heap=%s live=%d live_bytes=%" PRIu64 " rounds=%d empty_ns=%" PRIu64
	       " full_ns=%" PRIu64 " ratio=%.5f ratio_a=%.5f ratio_b=%.5f big_empty_ns=%"
	       PRIu64 " big_ns=%" PRIu64 " big_ratio=%.5f big_err=0 whole_ns=%" PRIu64
	       " whole_err=%d agree=%d kernel=%d\n",
	       h->name, c.n, c.used, rd.n, f[S_EMPTY].med, f[S_FULL].med, f[S_FULL].rel,
	       f[S_FULL].rel_half[0], f[S_FULL].rel_half[1], f[S_BIG_EMPTY].med,
	       f[S_BIG].med, f[S_BIG].rel, rd.err[S_WHOLE] ? 0 : f[S_WHOLE].med,
	       kernel ? 0 : -rd.err[S_WHOLE], agree, kernel);
	printf("# scale %s: %.1f s; %" PRIu64 " pages migrated, cma_alloc %" PRIu64
	       " succeeded and %" PRIu64 " failed meanwhile (/proc/vmstat)\n", h->name,
	       (rh_now_ns() - t0) / 1e9, vmstat("pgmigrate_success") - mig0,
	       vmstat("cma_alloc_success") - ok0, vmstat("cma_alloc_fail") - fail0);
	rounds_free(&rd);
}

static void bench_scale(struct rh_heap *hs, int nh)
{
	struct rlimit rl = { SCALE_BUFS + 256, SCALE_BUFS + 256 };
	int *fds, i;
	size_t k;

	printf("\nScale: per round a block of %d 4 KiB alloc+close with up to %d live buffers (4-16 KiB, 80%% of the region) vs on the empty heap, %d of 32 KiB after freeing every other vs on the empty heap (each divided by a block on the system heap next to it), then the whole region after freeing all; rounds until two halves of the rounds agree within 10%%\n\n",
	       SCALE_BLOCK, SCALE_BUFS, BIG_BLOCK);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		printf("# setrlimit(RLIMIT_NOFILE, %d): %s: fewer live buffers\n", SCALE_BUFS + 256,
		       strerror(errno));
	fds = malloc(SCALE_BUFS * sizeof(*fds));
	if (!fds)
		return;
	printf("| heap | live buffers | rounds | 4 KiB empty (us) | with them (us) | ratio | 32 KiB empty (us) | after freeing every other (us) | ratio | whole region after freeing all | agree |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
	for (i = 0; i < nh; i++)
		scale_heap(&hs[i], 0, fds);
	/*
	 * The kernel's CMA heap beside ours, with as many live buffers as our
	 * first reusable heap had: cma_alloc() searches an area's bitmap from
	 * its start, for its heap as for ours.
	 */
	for (i = 0; i < nh && hs[i].reusable != 1; i++)
		;
	for (k = 0; i < nh && k < sizeof(cma_heaps) / sizeof(cma_heaps[0]); k++) {
		struct rh_heap kh = { .reusable = 1, .policy = RH_CACHED, .size = hs[i].size };
		uint64_t cma_free = meminfo_kib("CmaFree") * RH_KIB;

		if (!heap_dev_exists(cma_heaps[k]))
			continue;
		/* CmaFree counts our empty region too: the rest must hold the buffers */
		if (cma_free < kh.size + kh.size / 10 * 8) {
			printf("# SKIP scale %s: %" PRIu64 " MiB free in CMA areas, too little beside %s's %"
			       PRIu64 " MiB\n", cma_heaps[k], cma_free / RH_MIB, hs[i].name,
			       kh.size / RH_MIB);
			break;
		}
		snprintf(kh.name, sizeof(kh.name), "%s", cma_heaps[k]);
		scale_heap(&kh, 1, fds);
		break;
	}
	free(fds);
}
/* how long the section that just ended took (NULL: the clock starts) */
static void section_done(const char *what)
{
	static uint64_t t0;
	uint64_t now = rh_now_ns();

	if (what)
		printf("# section %s: %.1f s\n", what, (now - t0) / 1e9);
	t0 = now;
}

/*
 * The kernel threads that run expedited RCU grace periods (7.x names them
 * rcu_exp_gp_kthread_worker and rcu_exp_par_gp_kthread_worker/N), and their
 * affinity before we moved them, restored at exit.
 */
#define MAX_RCU_EXP	8
static struct {
	pid_t pid;
	cpu_set_t was;
} rcu_exp[MAX_RCU_EXP];
static int n_rcu_exp;

static void rcu_exp_restore(void)
{
	int i;

	for (i = 0; i < n_rcu_exp; i++)
		sched_setaffinity(rcu_exp[i].pid, sizeof(rcu_exp[i].was), &rcu_exp[i].was);
}

/*
 * Each cma_alloc() waits for an expedited RCU grace period
 * (lru_cache_disable()), which runs in a kernel thread that stays on the
 * CPU it last ran on: on our CPU that costs a local wakeup, on the other
 * one two cross-CPU wakeups (Documentation/rmem-heap.rst, "make bench",
 * has the figures).  Which of the two a run got was chance;
 * with the threads on our CPU every run measures the kernel's heap at its
 * best, and our reusable heaps' cma_alloc() calls alike.
 */
static void pin_rcu_exp(int cpu)
{
	char path[64], comm[64];
	struct dirent *de;
	cpu_set_t set;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	while ((de = readdir(d)) && n_rcu_exp < MAX_RCU_EXP) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		ssize_t n;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		n = rh_read_file(path, comm, sizeof(comm));
		if (n <= 0)
			continue;
		comm[strcspn(comm, "\n")] = 0;
		if (strncmp(comm, "rcu_exp_", 8))
			continue;
		if (sched_getaffinity(pid, sizeof(rcu_exp[n_rcu_exp].was),
				      &rcu_exp[n_rcu_exp].was) ||
		    sched_setaffinity(pid, sizeof(set), &set)) {
			printf("# kernel thread %s (pid %d) not moved: %s\n", comm, (int)pid,
			       strerror(errno));
			continue;
		}
		rcu_exp[n_rcu_exp++].pid = pid;
		printf("# kernel thread %s (pid %d) kept on CPU %d\n", comm, (int)pid, cpu);
	}
	closedir(d);
	if (!n_rcu_exp)
		printf("# no rcu_exp_* kernel thread: expedited RCU runs elsewhere on this kernel\n");
	else
		atexit(rcu_exp_restore);
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
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return;
	}
	printf("# pinned to CPU %d\n", cpu);
	pin_rcu_exp(cpu);
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

/* -o: a comma-separated list of section_names[]; 0, or -1 with a message */
static int parse_sections(char *arg)
{
	char *tok, *save = NULL;
	int i;

	sections = 0;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < N_SECTIONS && strcmp(tok, section_names[i]); i++)
			;
		if (i == N_SECTIONS) {
			fprintf(stderr, "-o: no section %s\n", tok);
			return -1;
		}
		sections |= 1u << i;
	}
	if (!sections) {
		fprintf(stderr, "-o: no section named\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rh_heap hs[RH_MAX_HEAPS];
	int opt, nh;

	while ((opt = getopt(argc, argv, "qso:p:c:h")) != -1) {
		switch (opt) {
		case 'c':
			calib_best = strtoull(optarg, NULL, 10) ?: UINT64_MAX;
			break;
		case 'q':
			quick = 1;
			break;
		case 's':
			sections = 1u << SEC_PROBE | 1u << SEC_SCALE;
			break;
		case 'o':
			if (parse_sections(optarg))
				return 2;
			break;
		case 'p':
			ab_heaps = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-q] [-s] [-o S,...] [-p A,B] [-c NS]\n"
				"  -q  fewer rounds (each as in a full run)\n"
				"  -s  after probe and scale alone (a machine with large regions)\n"
				"  -o  these sections alone, in their usual order: probe, alloc, bw,\n"
				"      user, import, scale\n"
				"  -p  heaps A and B (names in %s) alone, in paired rounds\n"
				"  -c  the host-speed loop's best time (BENCH quiet calib_ns) in\n"
				"      an earlier boot: rounds slower than it are run again\n",
				argv[0], RH_DEVDIR);
			return opt == 'h' ? 0 : 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_to_cpu();
	calib_start(sched_getcpu());
	for (opt = 0; opt < 30; opt++)
		calib();
	printf("# host speed: a %d-step loop in %.1f us at best\n", CALIB_ITERS, calib_best / 1e3);
	section_done(NULL);
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
	if (sections & 1u << SEC_PROBE) {
		bench_after_probe(hs, nh);
		section_done("after probe");
	}
	if (sections & 1u << SEC_ALLOC) {
		bench_alloc(hs, nh);
		section_done("allocation");
	}
	if (sections & 1u << SEC_BW) {
		bench_bw(hs, nh);
		section_done("bandwidth");
	}
	if (sections & 1u << SEC_USER) {
		bench_user();
		section_done("what a user waits for");
	}
	if (sections & 1u << SEC_IMPORT) {
		bench_import();
		section_done("import");
	}
	if (sections & 1u << SEC_SCALE) {
		bench_scale(hs, nh);
		section_done("scale");
	}
	printf("# rmem_heap_bench done (informational, no pass/fail)\n");
	return 0;
}
