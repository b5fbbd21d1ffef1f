// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_import - our heaps' buffers imported by DMA devices.
 *
 * The lab's test importer module (selftests/importer, /dev/rmem_heap_importer)
 * makes test DMA devices, coherent or not, with 32- or 64-bit DMA masks,
 * and imports dma-bufs into them as a driver would (attach, map, unmap,
 * detach; CPU access with begin/end_cpu_access and vmap).  For each of our
 * heaps in /dev/dma_heap (one fixture variant each) this checks that data
 * written by user space reaches the importer's CPU view and back, that two
 * devices map one buffer at the same time, the sg table an importer gets,
 * what a 32-bit device gets, that a heap whose node is dma-coherent refuses
 * a non-coherent importer (EOPNOTSUPP) and takes a coherent one, and that
 * closing the importer releases what it held.  Output is TAP.
 *
 * The importer must be loaded (the lab always loads it): its absence fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <glob.h>
#include <inttypes.h>

#include "rmem_heap_common.h"
#include "importer/rmem_heap_importer.h"
#include "kselftest_harness.h"

#define BUF_SIZE	RH_MIB
#define FILL_USER	0x5a
#define FILL_KERNEL	0xc3
#define DEV_GLOB	"/sys/bus/platform/devices/rmem-heap-importer.*"

static const char * const dir_names[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE" };

/* ------------------------------------------------------------------ */
/* the importer's ioctls: 0 or -errno                                   */
/* ------------------------------------------------------------------ */

static int rhi(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int dev_create(int ifd, uint32_t flags, uint32_t bits, uint32_t *id)
{
	struct rhi_dev_create c = { .flags = flags, .dma_bits = bits };
	int ret = rhi(ifd, RHI_IOC_DEV_CREATE, &c);

	*id = c.dev_id;
	if (!ret && c.coherent != !!(flags & RHI_DEV_COHERENT))
		return -EPROTO;
	return ret;
}

static int attach(int ifd, uint32_t dev, int buf, uint32_t *att)
{
	struct rhi_attach c = { .dev_id = dev, .fd = buf };
	int ret = rhi(ifd, RHI_IOC_ATTACH, &c);

	*att = c.attach_id;
	return ret;
}

static int map(int ifd, uint32_t att, uint32_t dir, struct rhi_map *m)
{
	memset(m, 0, sizeof(*m));
	m->attach_id = att;
	m->dir = dir;
	return rhi(ifd, RHI_IOC_MAP, m);
}

static int unmap(int ifd, uint32_t att)
{
	struct rhi_id c = { .id = att };

	return rhi(ifd, RHI_IOC_UNMAP, &c);
}

static int detach(int ifd, uint32_t att)
{
	struct rhi_id c = { .id = att };

	return rhi(ifd, RHI_IOC_DETACH, &c);
}

static int cpu_op(int ifd, int buf, uint32_t op, uint64_t off, uint64_t len,
		  uint8_t byte, struct rhi_cpu *out)
{
	struct rhi_cpu c = {
		.fd = buf, .op = op, .offset = off, .length = len, .byte = byte,
	};
	int ret = rhi(ifd, RHI_IOC_CPU, &c);

	if (out)
		*out = c;
	return ret;
}

static int dev_access(int ifd, uint32_t att, uint32_t op, uint64_t off,
		      uint64_t len, uint32_t byte, struct rhi_dev_access *out)
{
	struct rhi_dev_access c = {
		.attach_id = att, .op = op, .offset = off, .length = len,
		.byte = byte,
	};
	int ret = rhi(ifd, RHI_IOC_DEV_ACCESS, &c);

	if (out)
		*out = c;
	return ret;
}

/* Does every device bounce through swiotlb (swiotlb=[<slabs>,]force)? */
static int bounce_forced(void)
{
	char line[1024] = "", *opt, *end;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	opt = strstr(line, "swiotlb=");
	if (!opt)
		return 0;
	end = opt + strcspn(opt, " \n");
	*end = 0;
	return strstr(opt, "force") != NULL;
}

static int count_devices(void)
{
	glob_t g;
	int n;

	if (glob(DEV_GLOB, 0, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

/* Offset of the first byte of p[0..len) that is not @byte, or len. */
static size_t find_not(const unsigned char *p, size_t len, unsigned char byte)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != byte)
			return i;
	return len;
}

/* ------------------------------------------------------------------ */
/* one fixture variant per heap of ours                                 */
/* ------------------------------------------------------------------ */

FIXTURE(imp) {
	int ifd;		/* the importer */
	int hfd;		/* the heap, -1 if absent */
	int coherent;		/* the heap's node is dma-coherent */
	int dev_flags;		/* the flags of a device the heap takes */
	int refuses;		/* bounce forced on a no-map heap: no device */
	struct rh_heap heap;
};

FIXTURE_VARIANT(imp) {
	const char *heap;
};

FIXTURE_VARIANT_ADD(imp, rmem) { .heap = "rmem" };
FIXTURE_VARIANT_ADD(imp, video) { .heap = "video" };
FIXTURE_VARIANT_ADD(imp, video_uncached) { .heap = "video-uncached" };
FIXTURE_VARIANT_ADD(imp, frames) { .heap = "frames" };
FIXTURE_VARIANT_ADD(imp, frames_uncached) { .heap = "frames-uncached" };
FIXTURE_VARIANT_ADD(imp, coherent) { .heap = "coherent" };

FIXTURE_SETUP(imp)
{
	struct rh_heap heaps[RH_MAX_HEAPS];
	char path[256];
	struct rh_heap *h;
	int n;

	self->hfd = -1;
	self->ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ifd) {
		TH_LOG("open %s: %s (is rmem_heap_importer.ko loaded?)",
		       RHI_DEVICE, strerror(errno));
	}
	snprintf(path, sizeof(path), RH_DEVDIR "/%s", variant->heap);
	if (access(path, F_OK))
		return;		/* not on this machine: each test skips */

	n = rh_discover(heaps, RH_MAX_HEAPS);
	h = n > 0 ? rh_find(heaps, n, variant->heap) : NULL;
	ASSERT_TRUE(h != NULL) TH_LOG("%s has no %s/%s", path, RH_SYSFS, variant->heap);
	self->heap = *h;
	self->coherent = h->policy == RH_COHERENT;
	self->dev_flags = self->coherent ? RHI_DEV_COHERENT : 0;
	/* dma_map_resource() cannot bounce: no-map heaps refuse such devices */
	self->refuses = bounce_forced() && h->reusable != 1;
	self->hfd = rh_open_heap(variant->heap);
	ASSERT_LE(0, self->hfd) TH_LOG("open %s: %s", path, strerror(-self->hfd));
	TH_LOG("heap %s: %s, %s, %" PRIu64 " bytes", h->name,
	       rh_type_str(h->reusable), rh_policy_str(h->policy), h->size);
}

FIXTURE_TEARDOWN(imp)
{
	if (self->hfd >= 0)
		close(self->hfd);
	if (self->ifd >= 0)
		close(self->ifd);
}

static void refused(struct __test_metadata *_metadata,
		    FIXTURE_DATA(imp) *self, const FIXTURE_VARIANT(imp) *variant);

/*
 * Every test needs the heap; where the heap must refuse every device (a
 * no-map heap when all devices bounce), the test checks that instead.
 */
#define need_heap()							\
	do {								\
		if (self->hfd < 0)					\
			SKIP(return, "no heap %s in %s", variant->heap,	\
			     RH_DEVDIR);				\
		if (self->refuses) {					\
			refused(_metadata, self, variant);		\
			return;						\
		}							\
	} while (0)

static int __new_buf(struct __test_metadata *_metadata, int hfd,
		     const char *heap, uint64_t len)
{
	int fd = -1, ret = rh_alloc(hfd, len, &fd);

	ASSERT_EQ(0, ret) {
		TH_LOG("%s: alloc %" PRIu64 " bytes: %s", heap, len, strerror(-ret));
	}
	return fd;
}
#define new_buf(len) __new_buf(_metadata, self->hfd, variant->heap, len)

static uint32_t __new_dev(struct __test_metadata *_metadata, int ifd,
			  uint32_t flags, uint32_t bits)
{
	uint32_t id = 0;
	int ret = dev_create(ifd, flags, bits, &id);

	ASSERT_EQ(0, ret) {
		TH_LOG("create a %u-bit %scoherent device: %s", bits,
		       flags & RHI_DEV_COHERENT ? "" : "non-", strerror(-ret));
	}
	return id;
}
#define new_dev(flags, bits) __new_dev(_metadata, self->ifd, flags, bits)

static const char *coh_str(uint32_t flags)
{
	return flags & RHI_DEV_COHERENT ? "coherent" : "non-coherent";
}

/* User space fills the whole buffer through mmap, bracketed by SYNC. */
static void __user_fill(struct __test_metadata *_metadata, int buf, size_t len,
			unsigned char byte)
{
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);

	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(p, byte, len);
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	munmap(p, len);
}
#define user_fill(buf, len, byte) __user_fill(_metadata, buf, len, byte)

/*
 * The round trip through a 64-bit device: user space writes, the device
 * maps the buffer to read it, the kernel's CPU view (vmap) sees the data;
 * the kernel writes, user space reads it back after SYNC_START(read); and
 * a CHECK finds a planted difference where it is.
 */
static void round_trip(struct __test_metadata *_metadata,
		       FIXTURE_DATA(imp) *self,
		       const FIXTURE_VARIANT(imp) *variant, uint32_t flags)
{
	const size_t plant = 777777;
	struct rhi_cpu c;
	struct rhi_map m;
	uint32_t dev, att;
	unsigned char *p;
	size_t bad;
	int buf, ret;

	buf = new_buf(BUF_SIZE);
	user_fill(buf, BUF_SIZE, FILL_USER);
	dev = new_dev(flags, 64);
	ret = attach(self->ifd, dev, buf, &att);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: attach a %s device: %s", variant->heap, coh_str(flags),
		       strerror(-ret));
	}
	ret = map(self->ifd, att, RHI_DIR_TO_DEVICE, &m);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: map TO_DEVICE for a %s device: %s", variant->heap,
		       coh_str(flags), strerror(-ret));
	}
	TH_LOG("%s: %s device: %u segments from %#" PRIx64 ", %" PRIu64 " bytes",
	       variant->heap, coh_str(flags), m.nents, (uint64_t)m.dma_addr,
	       (uint64_t)m.length);
	EXPECT_EQ(BUF_SIZE, m.length);
	EXPECT_EQ(0, unmap(self->ifd, att));

	/* the importer's CPU view holds what user space wrote */
	ret = cpu_op(self->ifd, buf, RHI_CPU_CHECK, 0, BUF_SIZE, FILL_USER, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("%s: the kernel reads 0x%02x at %" PRIu64 ", not 0x%02x (%s)",
		       variant->heap, c.found, (uint64_t)c.bad_offset, FILL_USER,
		       strerror(-ret));
	}

	/* and user space reads what the kernel wrote */
	ret = cpu_op(self->ifd, buf, RHI_CPU_FILL, 0, BUF_SIZE, FILL_KERNEL, NULL);
	ASSERT_EQ(0, ret) TH_LOG("%s: kernel fill: %s", variant->heap, strerror(-ret));
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	bad = find_not(p, BUF_SIZE, FILL_KERNEL);
	EXPECT_EQ((size_t)BUF_SIZE, bad) {
		TH_LOG("%s: user space reads 0x%02x at %zu, not 0x%02x",
		       variant->heap, p[bad], bad, FILL_KERNEL);
	}
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	/* a CHECK reports the first difference and its offset */
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	p[plant] = 0x11;
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	ret = cpu_op(self->ifd, buf, RHI_CPU_CHECK, 0, BUF_SIZE, FILL_KERNEL, &c);
	EXPECT_EQ(-EILSEQ, ret);
	EXPECT_EQ(plant, c.bad_offset);
	EXPECT_EQ(0x11u, c.found);
	EXPECT_EQ(0, cpu_op(self->ifd, buf, RHI_CPU_CHECK, 0, plant, FILL_KERNEL, NULL));
	EXPECT_EQ(0, cpu_op(self->ifd, buf, RHI_CPU_CHECK, plant + 1,
			    BUF_SIZE - plant - 1, FILL_KERNEL, NULL));
	munmap(p, BUF_SIZE);

	EXPECT_EQ(0, detach(self->ifd, att));
	close(buf);
}

/* A device that must bounce: the no-map heap refuses it with EOPNOTSUPP. */
static void refused(struct __test_metadata *_metadata,
		    FIXTURE_DATA(imp) *self, const FIXTURE_VARIANT(imp) *variant)
{
	uint32_t dev, att;
	int buf, ret;

	buf = new_buf(BUF_SIZE);
	dev = new_dev(self->dev_flags, 64);
	ret = attach(self->ifd, dev, buf, &att);
	EXPECT_EQ(-EOPNOTSUPP, ret) {
		TH_LOG("%s: attach of a device that bounces: %s, want %s",
		       variant->heap, ret ? strerror(-ret) : "attached",
		       strerror(EOPNOTSUPP));
	}
	if (!ret)
		detach(self->ifd, att);
	close(buf);
	TH_LOG("%s: all devices bounce (swiotlb force): refused", variant->heap);
}

/*
 * What the device sees at its DMA addresses: user space's data once the
 * buffer is mapped TO_DEVICE, and what it writes there (FROM_DEVICE) is
 * what user space reads after the unmap and SYNC_START(read).  Where the
 * DMA API bounces (swiotlb=force) that needs the exporter's syncs, uncached
 * heaps included.
 */
TEST_F(imp, device_view)
{
	struct rhi_dev_access c;
	struct rhi_map m;
	uint32_t dev, att;
	unsigned char *p;
	size_t bad;
	int buf, ret;

	need_heap();
	buf = new_buf(BUF_SIZE);
	user_fill(buf, BUF_SIZE, FILL_USER);
	dev = new_dev(self->dev_flags, 64);
	ASSERT_EQ(0, attach(self->ifd, dev, buf, &att));

	ASSERT_EQ(0, map(self->ifd, att, RHI_DIR_TO_DEVICE, &m));
	ret = dev_access(self->ifd, att, RHI_CPU_CHECK, 0, BUF_SIZE, FILL_USER, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("%s: the device reads 0x%02x at %" PRIu64 ", not 0x%02x (%s)",
		       variant->heap, c.found, (uint64_t)c.bad_offset, FILL_USER,
		       strerror(-ret));
	}
	EXPECT_EQ(0, unmap(self->ifd, att));

	ASSERT_EQ(0, map(self->ifd, att, RHI_DIR_FROM_DEVICE, &m));
	ret = dev_access(self->ifd, att, RHI_CPU_FILL, 0, BUF_SIZE, FILL_KERNEL, NULL);
	ASSERT_EQ(0, ret) TH_LOG("%s: device write: %s", variant->heap, strerror(-ret));
	EXPECT_EQ(0, unmap(self->ifd, att));

	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	bad = find_not(p, BUF_SIZE, FILL_KERNEL);
	EXPECT_EQ((size_t)BUF_SIZE, bad) {
		TH_LOG("%s: user space reads 0x%02x at %zu, not the device's 0x%02x",
		       variant->heap, p[bad], bad, FILL_KERNEL);
	}
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(p, BUF_SIZE);
	EXPECT_EQ(0, detach(self->ifd, att));
	close(buf);
}

/*
 * A non-coherent device: every heap but the coherent one takes it.  The
 * coherent heap must refuse it, at attach or at map, with EOPNOTSUPP: the
 * device would not snoop the CPU caches the heap's users never clean.
 */
TEST_F(imp, noncoherent_device)
{
	static const uint32_t dirs[] = {
		RHI_DIR_BIDIRECTIONAL, RHI_DIR_TO_DEVICE, RHI_DIR_FROM_DEVICE,
	};
	struct rhi_map m;
	uint32_t dev, att;
	int buf, ret;
	size_t i;

	need_heap();
	if (!self->coherent) {
		round_trip(_metadata, self, variant, 0);
		return;
	}

	buf = new_buf(BUF_SIZE);
	dev = new_dev(0, 64);
	ret = attach(self->ifd, dev, buf, &att);
	if (ret) {
		EXPECT_EQ(-EOPNOTSUPP, ret) {
			TH_LOG("%s: attach of a non-coherent device: %s, want %s",
			       variant->heap, strerror(-ret), strerror(EOPNOTSUPP));
		}
		TH_LOG("%s: attach refused: %s", variant->heap, strerror(-ret));
	} else {
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			ret = map(self->ifd, att, dirs[i], &m);
			EXPECT_EQ(-EOPNOTSUPP, ret) {
				TH_LOG("%s: map %s for a non-coherent device: %s, want %s",
				       variant->heap, dir_names[dirs[i]],
				       ret ? strerror(-ret) : "mapped",
				       strerror(EOPNOTSUPP));
			}
			if (!ret) {
				EXPECT_EQ(0, unmap(self->ifd, att));
			}
		}
		TH_LOG("%s: attached, map refused", variant->heap);
		EXPECT_EQ(0, detach(self->ifd, att));
	}
	close(buf);
}

/* A coherent device: every heap takes it, the coherent one included. */
TEST_F(imp, coherent_device)
{
	need_heap();
	round_trip(_metadata, self, variant, RHI_DEV_COHERENT);
}

/*
 * Two devices attach one buffer and map it at the same time, in both
 * direction pairs, and unmap in both orders; the data stays.  The pairs:
 * two non-coherent devices and a coherent with a non-coherent one, or two
 * coherent ones on the coherent heap (which takes no non-coherent device).
 */
TEST_F_TIMEOUT(imp, two_devices, 120)
{
	static const uint32_t dirs[][2] = {
		{ RHI_DIR_BIDIRECTIONAL, RHI_DIR_BIDIRECTIONAL },
		{ RHI_DIR_TO_DEVICE, RHI_DIR_FROM_DEVICE },
	};
	const uint32_t pairs[][2] = {
		{ self->dev_flags, self->dev_flags },
		{ RHI_DEV_COHERENT, 0 },
	};
	size_t npairs = self->coherent ? 1 : 2, pi, di;
	struct rhi_map ma, mb;
	struct rhi_cpu c;
	uint32_t a, b;
	int buf, ret, order;

	need_heap();
	buf = new_buf(BUF_SIZE);
	user_fill(buf, BUF_SIZE, FILL_USER);
	for (pi = 0; pi < npairs; pi++) {
		uint32_t da = new_dev(pairs[pi][0], 64), db = new_dev(pairs[pi][1], 64);

		ASSERT_EQ(0, attach(self->ifd, da, buf, &a));
		ASSERT_EQ(0, attach(self->ifd, db, buf, &b));
		for (di = 0; di < 2; di++) {
			for (order = 0; order < 2; order++) {
				ret = map(self->ifd, a, dirs[di][0], &ma);
				ASSERT_EQ(0, ret) {
					TH_LOG("%s: map %s for the first (%s) device: %s",
					       variant->heap, dir_names[dirs[di][0]],
					       coh_str(pairs[pi][0]), strerror(-ret));
				}
				ret = map(self->ifd, b, dirs[di][1], &mb);
				ASSERT_EQ(0, ret) {
					TH_LOG("%s: map %s for the second (%s) device while the first has it: %s",
					       variant->heap, dir_names[dirs[di][1]],
					       coh_str(pairs[pi][1]), strerror(-ret));
				}
				EXPECT_EQ(BUF_SIZE, ma.length);
				EXPECT_EQ(BUF_SIZE, mb.length);
				TH_LOG("%s: %s %s at %#" PRIx64 " + %s %s at %#" PRIx64
				       ", unmapped %s first", variant->heap,
				       coh_str(pairs[pi][0]), dir_names[dirs[di][0]],
				       (uint64_t)ma.dma_addr, coh_str(pairs[pi][1]),
				       dir_names[dirs[di][1]], (uint64_t)mb.dma_addr,
				       order ? "the second" : "the first");
				if (order) {
					EXPECT_EQ(0, unmap(self->ifd, b));
					EXPECT_EQ(0, unmap(self->ifd, a));
				} else {
					EXPECT_EQ(0, unmap(self->ifd, a));
					EXPECT_EQ(0, unmap(self->ifd, b));
				}
			}
		}
		EXPECT_EQ(0, detach(self->ifd, a));
		EXPECT_EQ(0, detach(self->ifd, b));
	}
	ret = cpu_op(self->ifd, buf, RHI_CPU_CHECK, 0, BUF_SIZE, FILL_USER, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("%s: after the mappings the kernel reads 0x%02x at %" PRIu64,
		       variant->heap, c.found, (uint64_t)c.bad_offset);
	}
	close(buf);
}

/* The sg table an importer gets covers the buffer, for a few sizes. */
TEST_F(imp, sg_table)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t sizes[] = { page, BUF_SIZE, BUF_SIZE + 3 * page };
	struct rhi_attach at;
	struct rhi_map m;
	uint32_t dev;
	size_t i;
	int buf, ret;

	need_heap();
	dev = new_dev(self->dev_flags, 64);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf = new_buf(sizes[i]);
		memset(&at, 0, sizeof(at));
		at.dev_id = dev;
		at.fd = buf;
		ret = rhi(self->ifd, RHI_IOC_ATTACH, &at);
		ASSERT_EQ(0, ret) TH_LOG("%s: attach: %s", variant->heap, strerror(-ret));
		EXPECT_EQ(sizes[i], at.size);
		ret = map(self->ifd, at.attach_id, RHI_DIR_BIDIRECTIONAL, &m);
		ASSERT_EQ(0, ret) TH_LOG("%s: map: %s", variant->heap, strerror(-ret));
		TH_LOG("%s: %" PRIu64 " bytes: %u segments, first %#" PRIx64
		       " + %" PRIu64 ", %" PRIu64 " bytes in all", variant->heap,
		       sizes[i], m.nents, (uint64_t)m.dma_addr,
		       (uint64_t)m.first_len, (uint64_t)m.length);
		EXPECT_LE(1u, m.nents);
		EXPECT_EQ(sizes[i], m.length);
		EXPECT_LT(0ull, m.first_len);
		EXPECT_GE(m.length, m.first_len);
		if (m.nents == 1) {
			EXPECT_EQ(m.length, m.first_len);
		}
		EXPECT_EQ(0, unmap(self->ifd, at.attach_id));
		EXPECT_EQ(0, detach(self->ifd, at.attach_id));
		close(buf);
	}
}

/*
 * A device with a 32-bit DMA mask maps a buffer below 4 GiB (where the
 * 64-bit device's address says it is), at the same address; above, the
 * map fails with EIO.
 */
TEST_F(imp, dma32)
{
	struct rhi_map m64, m32;
	uint32_t d64, d32, a64, a32;
	int buf, ret;

	need_heap();
	d64 = new_dev(self->dev_flags, 64);
	d32 = new_dev(self->dev_flags, 32);
	buf = new_buf(BUF_SIZE);
	ASSERT_EQ(0, attach(self->ifd, d64, buf, &a64));
	ASSERT_EQ(0, attach(self->ifd, d32, buf, &a32));
	ret = map(self->ifd, a64, RHI_DIR_BIDIRECTIONAL, &m64);
	ASSERT_EQ(0, ret) TH_LOG("%s: 64-bit map: %s", variant->heap, strerror(-ret));
	EXPECT_EQ(0, unmap(self->ifd, a64));

	ret = map(self->ifd, a32, RHI_DIR_BIDIRECTIONAL, &m32);
	if (m64.dma_addr + m64.length <= (1ull << 32)) {
		TH_LOG("%s: buffer at %#" PRIx64 ": below 4 GiB", variant->heap,
		       (uint64_t)m64.dma_addr);
		EXPECT_EQ(0, ret) {
			TH_LOG("%s: 32-bit map of a buffer at %#" PRIx64 ": %s",
			       variant->heap, (uint64_t)m64.dma_addr, strerror(-ret));
		}
		/* bounce buffers have addresses of their own */
		if (!ret && !bounce_forced()) {
			EXPECT_EQ(m64.dma_addr, m32.dma_addr);
			EXPECT_EQ(m64.length, m32.length);
		}
	} else {
		TH_LOG("%s: buffer at %#" PRIx64 ": above 4 GiB", variant->heap,
		       (uint64_t)m64.dma_addr);
		EXPECT_EQ(-EIO, ret) {
			TH_LOG("%s: 32-bit map of a buffer at %#" PRIx64 ": %s",
			       variant->heap, (uint64_t)m64.dma_addr,
			       ret ? strerror(-ret) : "mapped");
		}
	}
	if (!ret) {
		EXPECT_EQ(0, unmap(self->ifd, a32));
	}
	EXPECT_EQ(0, detach(self->ifd, a64));
	EXPECT_EQ(0, detach(self->ifd, a32));
	close(buf);
}

/*
 * Closing the importer undoes what it made: mapped and attached buffers
 * are released (the heap counts them gone) and its devices unregistered.
 */
TEST_F(imp, close_releases)
{
	uint64_t bufs0, bufs;
	uint32_t d1, d2, a1, a2;
	struct rhi_map m;
	int ifd, buf, devs0, ret;

	need_heap();
	ASSERT_EQ(0, rh_read_u64(variant->heap, "buffers", &bufs0));
	devs0 = count_devices();
	ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ifd);
	d1 = __new_dev(_metadata, ifd, self->dev_flags, 64);
	d2 = __new_dev(_metadata, ifd, self->dev_flags, 32);
	EXPECT_EQ(devs0 + 2, count_devices());
	buf = new_buf(BUF_SIZE);
	ASSERT_EQ(0, attach(ifd, d1, buf, &a1));
	ASSERT_EQ(0, attach(ifd, d2, buf, &a2));
	ret = map(ifd, a1, RHI_DIR_BIDIRECTIONAL, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s: map: %s", variant->heap, strerror(-ret));

	/* the importer alone holds the buffer now */
	close(buf);
	ASSERT_EQ(0, rh_read_u64(variant->heap, "buffers", &bufs));
	EXPECT_EQ(bufs0 + 1, bufs) TH_LOG("%s: the importer holds no buffer", variant->heap);

	close(ifd);
	ASSERT_EQ(0, rh_read_u64(variant->heap, "buffers", &bufs));
	EXPECT_EQ(bufs0, bufs) TH_LOG("%s: buffer still alive after close", variant->heap);
	EXPECT_EQ(devs0, count_devices()) TH_LOG("test devices left after close");
}

/* ------------------------------------------------------------------ */
/* the importer's own ABI                                               */
/* ------------------------------------------------------------------ */

struct too_big {
	struct rhi_dev_create c;
	uint64_t more;
};

/* A buffer of the first of our heaps present. */
static int any_buf(uint64_t len)
{
	/* reusable first: no-map heaps refuse every device that bounces */
	static const char * const names[] = {
		"frames", "frames-uncached", "rmem", "video", "video-uncached",
		"coherent",
	};
	int hfd, fd = -1;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		hfd = rh_open_heap(names[i]);
		if (hfd < 0)
			continue;
		if (rh_alloc(hfd, len, &fd))
			fd = -1;
		close(hfd);
		break;
	}
	return fd;
}

FIXTURE(abi) {
	int ifd;	/* the importer */
	int buf;	/* a buffer of one of our heaps */
};

FIXTURE_SETUP(abi)
{
	self->buf = -1;
	self->ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ifd) {
		TH_LOG("open %s: %s (is rmem_heap_importer.ko loaded?)",
		       RHI_DEVICE, strerror(errno));
	}
	self->buf = any_buf(BUF_SIZE);
	ASSERT_LE(0, self->buf) TH_LOG("no heap of ours to allocate from in %s", RH_DEVDIR);
}

FIXTURE_TEARDOWN(abi)
{
	if (self->buf >= 0)
		close(self->buf);
	if (self->ifd >= 0)
		close(self->ifd);
}

TEST_F(abi, ioctls)
{
	const int ifd = self->ifd, buf = self->buf;
	struct rhi_dev_create dc;
	struct rhi_attach at;
	struct too_big big;
	struct rhi_cpu cpu;
	struct rhi_map m;
	struct rhi_id id;
	uint32_t dev, att, ids[16];
	int nullfd, i;

	/* command numbers, sizes and directions */
	memset(&big, 0, sizeof(big));
	big.c.dma_bits = 64;
	EXPECT_EQ(-EINVAL, rhi(ifd, _IOWR(RHI_IOC_MAGIC, 0x40, struct too_big), &big));
	EXPECT_EQ(-EINVAL, rhi(ifd, _IOWR(RHI_IOC_MAGIC, 0x40, struct rhi_id), &big));
	EXPECT_EQ(-EINVAL, rhi(ifd, _IOR(RHI_IOC_MAGIC, 0x40, struct rhi_dev_create), &big));
	EXPECT_EQ(-EINVAL, rhi(ifd, _IOWR(RHI_IOC_MAGIC, 0x43, struct rhi_id), &big));
	EXPECT_EQ(-ENOTTY, rhi(ifd, _IOWR(RHI_IOC_MAGIC, 0x4f, struct rhi_id), &big));
	EXPECT_EQ(-ENOTTY, rhi(ifd, _IOWR(RHI_IOC_MAGIC, 0x3f, struct rhi_id), &big));
	EXPECT_EQ(-ENOTTY, rhi(ifd, _IOWR('s', 0x40, struct rhi_dev_create), &big));
	EXPECT_EQ(-EFAULT, rhi(ifd, RHI_IOC_DEV_CREATE, NULL));

	/* DEV_CREATE */
	memset(&dc, 0, sizeof(dc));
	dc.dma_bits = 64;
	dc.flags = ~(uint32_t)RHI_DEV_FLAGS;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_DEV_CREATE, &dc));
	dc.flags = 0;
	dc.reserved = 1;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_DEV_CREATE, &dc));
	dc.reserved = 0;
	for (i = 0; i < 4; i++) {
		dc.dma_bits = (uint32_t[]){ 0, 16, 48, 128 }[i];
		EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_DEV_CREATE, &dc));
	}
	dc.dma_bits = 32;
	ASSERT_EQ(0, rhi(ifd, RHI_IOC_DEV_CREATE, &dc));
	EXPECT_EQ(0u, dc.coherent);
	EXPECT_EQ(0xffffffffull, dc.dma_mask);
	dev = dc.dev_id;
	memset(&dc, 0, sizeof(dc));
	dc.dma_bits = 64;
	dc.flags = RHI_DEV_COHERENT;
	ASSERT_EQ(0, rhi(ifd, RHI_IOC_DEV_CREATE, &dc));
	EXPECT_EQ(1u, dc.coherent);
	EXPECT_EQ(0xffffffffull, dc.dma_mask & 0xffffffffull);
	EXPECT_NE(dev, dc.dev_id);
	TH_LOG("64-bit device's mask: %#" PRIx64, (uint64_t)dc.dma_mask);

	/* ATTACH */
	memset(&at, 0, sizeof(at));
	at.dev_id = 0xdead;
	at.fd = buf;
	EXPECT_EQ(-ENOENT, rhi(ifd, RHI_IOC_ATTACH, &at));
	at.dev_id = dev;
	at.reserved = 1;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_ATTACH, &at));
	at.reserved = 0;
	at.fd = -1;
	EXPECT_EQ(-EBADF, rhi(ifd, RHI_IOC_ATTACH, &at));
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nullfd);
	at.fd = nullfd;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_ATTACH, &at));
	at.fd = buf;
	ASSERT_EQ(0, rhi(ifd, RHI_IOC_ATTACH, &at));
	EXPECT_EQ(BUF_SIZE, at.size);
	att = at.attach_id;

	/* MAP, UNMAP, DETACH */
	EXPECT_EQ(-EINVAL, map(ifd, att, 3, &m));
	EXPECT_EQ(-EINVAL, map(ifd, att, 0x80000000u, &m));
	EXPECT_EQ(-ENOENT, map(ifd, 0xdead, RHI_DIR_TO_DEVICE, &m));
	EXPECT_EQ(-ENOENT, map(ifd, dev, RHI_DIR_TO_DEVICE, &m));
	memset(&m, 0, sizeof(m));
	m.attach_id = att;
	m.reserved = 1;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_MAP, &m));
	EXPECT_EQ(-EINVAL, unmap(ifd, att));
	EXPECT_EQ(-EINVAL, dev_access(ifd, att, RHI_CPU_CHECK, 0, 1, 0, NULL));
	ASSERT_EQ(0, map(ifd, att, RHI_DIR_TO_DEVICE, &m));
	EXPECT_EQ(-EBUSY, map(ifd, att, RHI_DIR_TO_DEVICE, &m));

	/* DEV_ACCESS: a mapped attachment, a range inside the mapping */
	EXPECT_EQ(0, dev_access(ifd, att, RHI_CPU_FILL, 0, BUF_SIZE, 0x24, NULL));
	EXPECT_EQ(0, dev_access(ifd, att, RHI_CPU_CHECK, 0, BUF_SIZE, 0x24, NULL));
	EXPECT_EQ(-EINVAL, dev_access(ifd, att, RHI_CPU_CHECK, 1, BUF_SIZE, 0x24, NULL));
	EXPECT_EQ(-EINVAL, dev_access(ifd, att, RHI_CPU_CHECK, UINT64_MAX, 2, 0x24, NULL));
	EXPECT_EQ(-EINVAL, dev_access(ifd, att, 3, 0, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, dev_access(ifd, att, RHI_CPU_FILL, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, dev_access(ifd, att, RHI_CPU_FILL, 0, 1, 0x100, NULL));
	EXPECT_EQ(-ENOENT, dev_access(ifd, 0xdead, RHI_CPU_FILL, 0, 1, 0, NULL));
	EXPECT_EQ(-EBUSY, detach(ifd, att));
	id.id = att;
	id.reserved = 1;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_UNMAP, &id));
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_DETACH, &id));
	EXPECT_EQ(0, unmap(ifd, att));
	EXPECT_EQ(-EINVAL, unmap(ifd, att));
	EXPECT_EQ(0, detach(ifd, att));
	EXPECT_EQ(-ENOENT, detach(ifd, att));
	EXPECT_EQ(-ENOENT, unmap(ifd, att));

	/* CPU */
	EXPECT_EQ(0, cpu_op(ifd, buf, RHI_CPU_FILL, 0, BUF_SIZE, 0x42, NULL));
	EXPECT_EQ(0, cpu_op(ifd, buf, RHI_CPU_CHECK, 0, BUF_SIZE, 0x42, NULL));
	EXPECT_EQ(0, cpu_op(ifd, buf, RHI_CPU_CHECK, BUF_SIZE - 1, 1, 0x42, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, 0, 0, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, 3, 0, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, RHI_CPU_FILL, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, RHI_CPU_FILL, 0, BUF_SIZE + 1, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, RHI_CPU_FILL, BUF_SIZE, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, RHI_CPU_FILL, 1, BUF_SIZE, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, RHI_CPU_FILL, UINT64_MAX, 2, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, buf, RHI_CPU_FILL, 2, UINT64_MAX, 0, NULL));
	EXPECT_EQ(-EBADF, cpu_op(ifd, -1, RHI_CPU_FILL, 0, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, cpu_op(ifd, nullfd, RHI_CPU_FILL, 0, 1, 0, NULL));
	memset(&cpu, 0, sizeof(cpu));
	cpu.fd = buf;
	cpu.op = RHI_CPU_FILL;
	cpu.length = 1;
	cpu.byte = 0x100;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_CPU, &cpu));
	cpu.byte = 0;
	cpu.reserved = 1;
	EXPECT_EQ(-EINVAL, rhi(ifd, RHI_IOC_CPU, &cpu));
	/* nothing changed by the refused ones */
	EXPECT_EQ(0, cpu_op(ifd, buf, RHI_CPU_CHECK, 0, BUF_SIZE, 0x42, NULL));

	/* at most 16 devices a file (two made above) */
	for (i = 0; i < 14; i++) {
		ASSERT_EQ(0, dev_create(ifd, 0, 64, &ids[i]));
	}
	EXPECT_EQ(-ENOSPC, dev_create(ifd, 0, 64, &ids[15]));

	close(nullfd);
}

TEST_HARNESS_MAIN
