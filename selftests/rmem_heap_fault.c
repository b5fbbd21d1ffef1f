// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_fault: allocation failures inside the kernel, on purpose.
 *
 * failslab and fail_page_alloc through the per-task fail-nth interface:
 * for each operation (allocation, mmap, attach, map, partial CPU access
 * and heap figures, probe), fail its 1st, 2nd, ... fault-injectable call until the
 * operation succeeds with no failure injected.  Each injected failure must
 * come back to the caller as an errno with nothing changed (usage back to
 * what it was); an operation that succeeds anyway must give a correct
 * buffer.  Leaks are kmemleak's to find at the end of the boot, oopses the
 * judge's.  Probe failures must unwind so that the module unloads and
 * loads again (where the module can be unloaded: char-device mode).
 */

#include <inttypes.h>
#include <sys/syscall.h>
#include <linux/rmem_heap.h>

#include "rmem_heap_common.h"
#include "importer/rmem_heap_importer.h"
#include "kselftest_harness.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc"
#define MAX_NTH		4000	/* a walk that never ends is a failure */
#define BUF_LEN		(64 * RH_KIB)

/* ------------------------------------------------------------------ */
/* fail-nth                                                             */
/* ------------------------------------------------------------------ */

/*
 * Every fault-injectable call of this task may fail, whatever its gfp
 * flags and order; nothing fails at random (probability stays 0), and a
 * forced failure is not dumped to the console (it is expected).
 */
static int faults_setup(int on)
{
	static const struct { const char *path, *on, *off; } knobs[] = {
		{ FAILSLAB "/ignore-gfp-wait", "N", "Y" },
		{ FAILSLAB "/verbose", "0", "2" },
		{ FAILPAGE "/ignore-gfp-wait", "N", "Y" },
		{ FAILPAGE "/ignore-gfp-highmem", "N", "Y" },
		{ FAILPAGE "/min-order", "0", "1" },
		{ FAILPAGE "/verbose", "0", "2" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		ret = rh_write_file(knobs[i].path, on ? knobs[i].on : knobs[i].off);
		if (ret)
			return ret;
	}
	return 0;
}

struct nth {
	int fd;		/* /proc/thread-self/fail-nth, opened before arming */
};

static int nth_open(struct nth *n)
{
	n->fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	return n->fd < 0 ? -errno : 0;
}

/* Fail the @k-th fault-injectable call from now on. */
static void nth_arm(struct nth *n, int k)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", k);

	if (pwrite(n->fd, buf, (size_t)len, 0) != len)
		abort();
}

/* Disarm; returns how many fault points were left to go (0: injected). */
static int nth_left(struct nth *n)
{
	char buf[16] = "";
	ssize_t r = pread(n->fd, buf, sizeof(buf) - 1, 0);
	int left = r > 0 ? atoi(buf) : -1;

	if (pwrite(n->fd, "0", 1, 0) != 1)
		abort();
	return left;
}

/* Disarm; returns 1 if the failure was injected (the count reached 0). */
static int nth_disarm(struct nth *n)
{
	return nth_left(n) == 0;
}

/* ------------------------------------------------------------------ */
/* the walk                                                             */
/* ------------------------------------------------------------------ */

struct walk {
	int points;		/* fault points reached (failures injected) */
	int steps;		/* of those, operations that failed with an errno */
	int errnos[8];		/* which errnos came back, for the log */
	int nerrnos;
};

static void walk_note(struct walk *w, int err)
{
	int i;

	for (i = 0; i < w->nerrnos; i++)
		if (w->errnos[i] == err)
			return;
	if (w->nerrnos < 8)
		w->errnos[w->nerrnos++] = err;
}

static void walk_log(struct __test_metadata *_metadata, const char *what,
		     const struct walk *w)
{
	char errs[128] = "";
	int i;

	for (i = 0; i < w->nerrnos; i++)
		snprintf(errs + strlen(errs), sizeof(errs) - strlen(errs), "%s%s",
			 i ? ", " : "", strerror(w->errnos[i]));
	TH_LOG("%s: %d failures injected, %d came back as errors (%s); the rest were absorbed",
	       what, w->points, w->steps, w->nerrnos ? errs : "none");
}

/* Offset of the first non-zero byte of buffer @fd, @len if none. */
static size_t first_nonzero(int fd, size_t len)
{
	unsigned char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	size_t i;

	if (p == MAP_FAILED)
		return 0;
	rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (i = 0; i < len && !p[i]; i++)
		;
	rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, len);
	return i;
}

static uint64_t used_of(const char *heap)
{
	uint64_t v = UINT64_MAX;

	rh_read_u64(heap, "used", &v);
	return v;
}

FIXTURE(fault) {
	struct rh_heap heaps[RH_MAX_HEAPS];
	int nheaps;
	struct nth nth;
	int ifd;		/* the test importer, -1 if not loaded */
};

FIXTURE_SETUP(fault)
{
	self->ifd = -1;
	self->nth.fd = -1;
	self->nheaps = rh_discover(self->heaps, RH_MAX_HEAPS);
	ASSERT_LT(0, self->nheaps);
	if (access(FAIL_NTH, F_OK))
		SKIP(return, "%s: %s (a kernel without CONFIG_FAULT_INJECTION)", FAIL_NTH,
		     strerror(errno));
	ASSERT_EQ(0, faults_setup(1)) {
		TH_LOG("%s, %s: %s (debugfs mounted, FAILSLAB, FAIL_PAGE_ALLOC?)",
		       FAILSLAB, FAILPAGE, strerror(errno));
	}
	ASSERT_EQ(0, nth_open(&self->nth)) TH_LOG("%s: %s", FAIL_NTH, strerror(errno));
	self->ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
}

/* the module file the probe walk loads */
static const char *ko_path(void)
{
	return getenv("RMEM_HEAP_KO") ?: "/lab/rmem_heap.ko";
}

/*
 * The probe walk unloads and loads the module; whatever stopped it (an
 * assertion, its time limit), the suites after this one need it loaded.
 */
static void reload_if_unloaded(void)
{
	const char *ko = ko_path();
	int fd;

	if (!access("/sys/module/rmem_heap", F_OK))
		return;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		printf("# rmem_heap is not loaded and %s does not load: %s\n", ko,
		       strerror(errno));
	else
		printf("# rmem_heap was left unloaded: loaded it again\n");
	if (fd >= 0)
		close(fd);
}

FIXTURE_TEARDOWN(fault)
{
	if (self->nth.fd < 0 && access(FAIL_NTH, F_OK))
		return;		/* skipped: nothing was set up */
	if (self->nth.fd >= 0) {
		nth_disarm(&self->nth);
		close(self->nth.fd);
	}
	if (self->ifd >= 0)
		close(self->ifd);
	faults_setup(0);
	reload_if_unloaded();
}

/*
 * 6.1's harness runs the test body after a SKIP in FIXTURE_SETUP: each
 * test checks again that there is fault injection to use.
 */
#define need_faults()							\
	do {								\
		if (self->nth.fd < 0)					\
			SKIP(return, "%s: no fault injection in this kernel", \
			     FAIL_NTH);					\
	} while (0)

/* Allocation on every heap: each failure is an errno and costs nothing. */
TEST_F_TIMEOUT(fault, alloc, 600)
{
	need_faults();
	int i;

	for (i = 0; i < self->nheaps; i++) {
		const char *name = self->heaps[i].name;
		int hfd = rh_open_heap(name), k, done = 0;
		uint64_t used0 = used_of(name);
		struct walk w = { 0 };

		ASSERT_LE(0, hfd);
		for (k = 1; k < MAX_NTH && !done; k++) {
			int fd = -1, ret, injected;

			nth_arm(&self->nth, k);
			ret = rh_alloc(hfd, BUF_LEN, &fd);
			injected = nth_disarm(&self->nth);
			w.points += injected;
			if (ret) {
				EXPECT_TRUE(injected) TH_LOG("%s: alloc: %s with nothing injected",
							    name, strerror(-ret));
				walk_note(&w, -ret);
				w.steps++;
				EXPECT_EQ(used0, used_of(name)) TH_LOG("%s: k=%d", name, k);
				continue;
			}
			/* got one, failure injected or not: it must read zero */
			EXPECT_EQ((size_t)BUF_LEN, first_nonzero(fd, BUF_LEN)) {
				TH_LOG("%s: k=%d: a buffer that does not read zero", name, k);
			}
			close(fd);
			done = !injected;
		}
		EXPECT_TRUE(done) TH_LOG("%s: still failing after %d", name, MAX_NTH);
		EXPECT_EQ(used0, used_of(name));
		walk_log(_metadata, name, &w);
		close(hfd);
	}
}

/* mmap of a buffer of every heap. */
TEST_F_TIMEOUT(fault, mmap, 600)
{
	need_faults();
	int i;

	for (i = 0; i < self->nheaps; i++) {
		const char *name = self->heaps[i].name;
		int hfd = rh_open_heap(name), buf, k, done = 0;
		struct walk w = { 0 };

		ASSERT_LE(0, hfd);
		ASSERT_EQ(0, rh_alloc(hfd, BUF_LEN, &buf));
		for (k = 1; k < MAX_NTH && !done; k++) {
			unsigned char *p;
			int injected;

			nth_arm(&self->nth, k);
			p = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
			injected = nth_disarm(&self->nth);
			w.points += injected;
			if (p == MAP_FAILED) {
				EXPECT_TRUE(injected);
				walk_note(&w, errno);
				w.steps++;
				continue;
			}
			p[0] = 1;
			p[BUF_LEN - 1] = 2;
			EXPECT_EQ(1, p[0]);
			munmap(p, BUF_LEN);
			done = !injected;
		}
		EXPECT_TRUE(done);
		walk_log(_metadata, name, &w);
		close(buf);
		close(hfd);
	}
}

/* The control device's partial CPU access and heap figures. */
TEST_F_TIMEOUT(fault, control, 600)
{
	need_faults();
	int ctl = open("/dev/" RMEM_HEAP_CONTROL_NODE, O_RDWR | O_CLOEXEC);
	int i;

	ASSERT_LE(0, ctl);
	for (i = 0; i < self->nheaps; i++) {
		const char *name = self->heaps[i].name;
		int hfd = rh_open_heap(name), buf, k, done = 0;
		struct walk w = { 0 };

		ASSERT_LE(0, hfd);
		for (k = 1; k < MAX_NTH && !done; k++) {
			struct rmem_heap_cpu_access acc = {
				.offset = 4096, .length = 8192,
				.flags = RMEM_HEAP_ACCESS_START | RMEM_HEAP_ACCESS_RW,
			};
			struct rmem_heap_info info;
			int ret, injected;

			/* a new buffer each time: its mappings are made on first need */
			ASSERT_EQ(0, rh_alloc(hfd, BUF_LEN, &buf));
			acc.fd = buf;
			memset(&info, 0, sizeof(info));
			strcpy(info.name, name);
			nth_arm(&self->nth, k);
			ret = ioctl(ctl, RMEM_HEAP_IOC_CPU_ACCESS, &acc) ? -errno : 0;
			if (!ret) {
				acc.flags = RMEM_HEAP_ACCESS_END | RMEM_HEAP_ACCESS_RW;
				ret = ioctl(ctl, RMEM_HEAP_IOC_CPU_ACCESS, &acc) ? -errno : 0;
			}
			if (!ret)
				ret = ioctl(ctl, RMEM_HEAP_IOC_INFO, &info) ? -errno : 0;
			injected = nth_disarm(&self->nth);
			w.points += injected;
			close(buf);
			if (ret) {
				EXPECT_TRUE(injected);
				walk_note(&w, -ret);
				w.steps++;
				continue;
			}
			done = !injected;
		}
		EXPECT_TRUE(done);
		walk_log(_metadata, name, &w);
		close(hfd);
	}
	close(ctl);
}

/* Attach and map through the test importer. */
TEST_F_TIMEOUT(fault, import, 900)
{
	need_faults();
	int i;

	if (self->ifd < 0)
		SKIP(return, "%s: %s (rmem_heap_importer.ko not loaded)", RHI_DEVICE,
		     strerror(errno));
	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		struct rhi_dev_create dc = {
			.flags = h->policy == RH_COHERENT ? RHI_DEV_COHERENT : 0,
			.dma_bits = 64,
		};
		int hfd = rh_open_heap(h->name), buf, k, stage, done;
		uint64_t used0 = used_of(h->name);

		ASSERT_LE(0, hfd);
		ASSERT_EQ(0, ioctl(self->ifd, RHI_IOC_DEV_CREATE, &dc));
		ASSERT_EQ(0, rh_alloc(hfd, BUF_LEN, &buf));

		/*
		 * stage 0: attach, 1: map (attached).  Not vmap: the dma-buf
		 * core WARNs on any exporter's vmap failure (WARN_ON_ONCE in
		 * dma_buf_vmap()), so an injected one would fail the boot
		 * whatever the driver does; vmap under memory pressure is the
		 * import suite's and the stress suite's.
		 */
		for (stage = 0; stage < 2; stage++) {
			static const char * const what[] = { "attach", "map" };
			struct walk w = { 0 };

			for (k = 1, done = 0; k < MAX_NTH && !done; k++) {
				struct rhi_attach at = { .dev_id = dc.dev_id, .fd = buf };
				struct rhi_map m = { 0 };
				struct rhi_id id = { 0 };
				int ret = 0, injected;

				if (stage > 0) {
					ASSERT_EQ(0, ioctl(self->ifd, RHI_IOC_ATTACH, &at));
					m.attach_id = at.attach_id;
				}
				nth_arm(&self->nth, k);
				if (stage == 0)
					ret = ioctl(self->ifd, RHI_IOC_ATTACH, &at) ? -errno : 0;
				else
					ret = ioctl(self->ifd, RHI_IOC_MAP, &m) ? -errno : 0;
				injected = nth_disarm(&self->nth);
				w.points += injected;
				if (ret) {
					EXPECT_TRUE(injected) {
						TH_LOG("%s: %s: %s with nothing injected", h->name,
						       what[stage], strerror(-ret));
					}
					walk_note(&w, -ret);
					w.steps++;
				} else {
					done = !injected;
				}
				if (stage == 1 && !ret) {
					id.id = at.attach_id;
					EXPECT_EQ(0, ioctl(self->ifd, RHI_IOC_UNMAP, &id));
				}
				if (stage > 0 || !ret) {
					id.id = at.attach_id;
					EXPECT_EQ(0, ioctl(self->ifd, RHI_IOC_DETACH, &id));
				}
			}
			EXPECT_TRUE(done) TH_LOG("%s: %s never succeeded", h->name, what[stage]);
			walk_log(_metadata, what[stage], &w);
		}
		close(buf);
		EXPECT_EQ(used0, used_of(h->name));
		close(hfd);
	}
}

static int heap_count(void)
{
	struct rh_heap heaps[RH_MAX_HEAPS];

	return rh_discover(heaps, RH_MAX_HEAPS);
}

/*
 * Probe: the module loaded with one of its fault points failing.  A
 * failed probe leaves the module loaded without heaps (or the load fails);
 * either way it must unload and load again, and the walk ends with the
 * module loaded and every heap back.  Only where the module can be
 * unloaded (char-device mode).  The walk starts after the kernel loader's
 * own points up to parameter parsing, counted by a load that fails there
 * (an invalid bus_addr): they are not the driver's, and 32-bit arm's
 * module_finalize() (6.1 to 7.3) oopses when its unwind-table allocation
 * fails.  What is left (the loader's sysfs setup, init, probe) has a few
 * hundred points and a load takes up to seconds under TCG, so the walk
 * takes every stride-th point, the stride chosen so that it fits
 * RMEM_HEAP_FAULT_PROBE_SECONDS (default 45) and the start from
 * RMEM_HEAP_FAULT_SEED (printed); 0 seconds walks every point (make soak).
 */
TEST_F_TIMEOUT(fault, probe, 3600)
{
	need_faults();
	const char *ko = ko_path();
	const char *secs = getenv("RMEM_HEAP_FAULT_PROBE_SECONDS");
	const char *seed_s = getenv("RMEM_HEAP_FAULT_SEED");
	uint64_t budget_ns = (secs ? strtoull(secs, NULL, 10) : 45) * 1000000000ull;
	unsigned int seed = seed_s ? (unsigned int)strtoul(seed_s, NULL, 10) : 1;
	int heaps0 = self->nheaps, total, k, walked = 0, fd, ret, n, stride = 1, loader;
	uint64_t t0, load_ns;
	struct walk w = { 0 };

	if (access("/sys/module/rmem_heap/initstate", F_OK))
		SKIP(return, "the driver is built in");
	if (rh_in_dma_heap_mode(self->heaps[0].name))
		SKIP(return, "the heaps are the kernel's dma-heaps: the module is permanent");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", ko, strerror(errno));
	ASSERT_EQ(0, syscall(SYS_delete_module, "rmem_heap", O_NONBLOCK)) {
		TH_LOG("rmmod rmem_heap: %s", strerror(errno));
	}

	/* the loader's points up to parameter parsing: a load that fails there */
	nth_arm(&self->nth, 1000000);
	ret = syscall(SYS_finit_module, fd, "bus_addr=maybe", 0) ? -errno : 0;
	loader = 1000000 - nth_left(&self->nth);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("load with bus_addr=maybe: %s",
				       ret ? strerror(-ret) : "loaded");

	/* a clean load, counting its fault points */
	nth_arm(&self->nth, 1000000);
	t0 = rh_now_ns();
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	load_ns = rh_now_ns() - t0;
	total = 1000000 - nth_left(&self->nth);
	ASSERT_EQ(0, ret) TH_LOG("load: %s", strerror(-ret));
	ASSERT_EQ(heaps0, heap_count());
	ASSERT_LT(loader, total);
	if (budget_ns) {
		/* an unload and a load per point */
		uint64_t fits = budget_ns / (load_ns + load_ns / 2) + 1;

		stride = (int)((uint64_t)(total - loader) / fits) + 1;
	}
	TH_LOG("a load has %d fault points, %d of them the loader's before parameters, and took %" PRIu64
	       " ms: every %d%s from %d (seed %u)", total, loader, load_ns / 1000000, stride,
	       stride == 1 ? "" : "th", loader + 1 + (int)(seed % (unsigned int)stride), seed);

	t0 = rh_now_ns();
	for (k = loader + 1 + (int)(seed % (unsigned int)stride); k <= total; k += stride) {
		int injected;

		if (budget_ns && rh_now_ns() - t0 > 2 * budget_ns)
			break;
		ret = syscall(SYS_delete_module, "rmem_heap", O_NONBLOCK) ? -errno : 0;
		ASSERT_EQ(0, ret) TH_LOG("k=%d: unload: %s", k + 1, strerror(-ret));
		nth_arm(&self->nth, k);
		ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
		injected = nth_disarm(&self->nth);
		w.points += injected;
		walked++;
		if (ret) {
			walk_note(&w, -ret);
			w.steps++;
			/* load the module again for the next unload */
			ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0)) {
				TH_LOG("k=%d: load after a failed load: %s", k, strerror(errno));
			}
			continue;
		}
		n = heap_count();
		if (n != heaps0) {
			w.steps++;
			walk_note(&w, ENODEV);
		}
	}
	/* the walk ends with the module loaded; all heaps must come back */
	ASSERT_EQ(0, syscall(SYS_delete_module, "rmem_heap", O_NONBLOCK));
	ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0));
	EXPECT_EQ(heaps0, heap_count());
	TH_LOG("probe: %d of %d fault points in %" PRIu64 " s", walked, total - loader,
	       (uint64_t)((rh_now_ns() - t0) / 1000000000ull));
	EXPECT_LT(0, w.points) TH_LOG("no failure was injected at all");
	walk_log(_metadata, "load (ENODEV: loaded with a heap missing)", &w);
	close(fd);
}

TEST_HARNESS_MAIN
