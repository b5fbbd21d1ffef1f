// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_highmem - reachability of a region above 4 GiB.
 *
 * Run on the lab's virt-high machine: RAM above 4 GiB, heap "high" in a
 * no-map region there and the virt heaps ("rmem" among them) below.  For
 * each of the two heaps (fixture variants) this finds the heap's region in
 * the device tree it was probed from (the heap's platform device's
 * memory-region), checks it against the heap's sysfs size and the kernel's
 * /proc/iomem, then imports buffers with the test importer
 * (/dev/rmem_heap_importer), whose test devices here take DMA segments of
 * any length (RHI_DEV_LARGE_SEG), as scatter-gather engines do:
 *
 *  - a 64-bit device maps a buffer as one contiguous segment inside the
 *    region, at the region's base plus the buffer's offset (debugfs), and
 *    reads and writes the buffer's memory there;
 *  - a 32-bit device maps a buffer below 4 GiB at the same address; above,
 *    the map fails with EIO and the kernel logs exactly one line, naming
 *    the heap and the reason, and no WARN; the buffer stays usable.
 *
 * The importer and both heaps must be there: their absence fails.  TAP.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <inttypes.h>

#include "rmem_heap_common.h"
#include "importer/rmem_heap_importer.h"
#include "kselftest_harness.h"

#define BUF_SIZE	RH_MIB
#define PAD_SIZE	(64 * RH_KIB)
#define FOUR_GIB	(1ull << 32)
#define FILL_USER	0x3c
#define FILL_DEVICE	0xa5
#define DT_BASE		"/proc/device-tree"
#define HEAP_DT_NODE	RH_SYSFS "/%s/device/of_node"

/* ------------------------------------------------------------------ */
/* the device tree: which region a heap was probed from                 */
/* ------------------------------------------------------------------ */

/* A binary property. Returns its length or -errno. */
static ssize_t dt_prop(const char *path, void *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < len) {
		n = read(fd, (char *)buf + total, len - (size_t)total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		total += n;
	}
	close(fd);
	return total;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One big-endian cell property (#address-cells, phandle). */
static int dt_u32(const char *path, uint32_t *val)
{
	unsigned char b[4];

	if (dt_prop(path, b, sizeof(b)) != (ssize_t)sizeof(b))
		return -EINVAL;
	*val = be32(b);
	return 0;
}

/* @cells (1 or 2) cells at @p as one number. */
static uint64_t dt_num(const unsigned char *p, uint32_t cells)
{
	return cells == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

struct region {
	char node[128];		/* its node under /reserved-memory */
	uint64_t base;
	uint64_t size;
};

/*
 * The region of heap @heap: its index in the heap node's
 * memory-region-names (0 without names: one region, the default name),
 * the memory-region phandle at that index, the /reserved-memory child with
 * that phandle, and the child's reg.  Returns 0 or a message.
 */
static const char *heap_region(const char *heap, struct region *r)
{
	unsigned char phs[64], reg[16];
	char names[512], path[512];
	uint32_t ac, sc, ph, want;
	ssize_t n, nn;
	int idx = 0, i;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), HEAP_DT_NODE "/memory-region-names", heap);
	nn = dt_prop(path, names, sizeof(names) - 1);
	if (nn > 0) {
		names[nn] = '\0';
		for (i = 0; i < nn; i += (int)strlen(names + i) + 1, idx++)
			if (!strcmp(names + i, heap))
				break;
		if (i >= nn)
			return "the heap's name is not in its node's memory-region-names";
	}
	snprintf(path, sizeof(path), HEAP_DT_NODE "/memory-region", heap);
	n = dt_prop(path, phs, sizeof(phs));
	if (n < 4 * (idx + 1))
		return "no memory-region phandle for the heap in its node";
	want = be32(phs + 4 * idx);

	if (dt_u32(DT_BASE "/reserved-memory/#address-cells", &ac) ||
	    dt_u32(DT_BASE "/reserved-memory/#size-cells", &sc) ||
	    ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return "no usable #address-cells/#size-cells in /reserved-memory";
	d = opendir(DT_BASE "/reserved-memory");
	if (!d)
		return "no /reserved-memory";
	r->node[0] = '\0';
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(r->node))
			continue;
		snprintf(path, sizeof(path), DT_BASE "/reserved-memory/%s/phandle", de->d_name);
		if (dt_u32(path, &ph) || ph != want)
			continue;
		strcpy(r->node, de->d_name);
		break;
	}
	closedir(d);
	if (!r->node[0])
		return "no /reserved-memory node has the heap's memory-region phandle";
	snprintf(path, sizeof(path), DT_BASE "/reserved-memory/%s/reg", r->node);
	if (dt_prop(path, reg, sizeof(reg)) < (ssize_t)(4 * (ac + sc)))
		return "the region has no reg";
	r->base = dt_num(reg, ac);
	r->size = dt_num(reg + 4 * ac, sc);
	return NULL;
}

/*
 * Is [base, base + size) inside one top-level "reserved" range of
 * /proc/iomem (where arm64 lists no-map memory)?  1, 0, or -errno.
 */
static int iomem_reserved(uint64_t base, uint64_t size, char *found, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");
	int ret = 0;

	if (!f)
		return -errno;
	snprintf(found, len, "none");
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char name[64];

		if (isspace((unsigned char)line[0]))
			continue;	/* a child of a top-level range */
		if (sscanf(line, "%llx-%llx : %63[^\n]", &s, &e, name) != 3)
			continue;
		if (s > base || e < base + size - 1)
			continue;
		snprintf(found, len, "%llx-%llx : %s", s, e, name);
		ret = !strcmp(name, "reserved");
		break;
	}
	fclose(f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* the kernel log: records logged while an operation ran               */
/* ------------------------------------------------------------------ */

#define KMSG_MAX	64

struct kmsg {
	int fd;
	int n;
	char text[KMSG_MAX][512];
};

/* Start a window: records logged from now on. 0 or -errno. */
static int kmsg_open(struct kmsg *k)
{
	k->n = 0;
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		close(k->fd);
		return -errno;
	}
	return 0;
}

/* End the window: read its records' messages (the text after ';'). */
static int kmsg_close(struct kmsg *k)
{
	char rec[2048], *msg, *nl;
	int ret = 0;
	ssize_t n;

	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: read on */
		if (n < 0) {
			if (errno != EAGAIN)
				ret = -errno;
			break;
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (k->n < KMSG_MAX)
			snprintf(k->text[k->n], sizeof(k->text[0]), "%s", msg);
		k->n++;
	}
	close(k->fd);
	return ret;
}

/* How many records of the window contain @s. */
static int kmsg_count(const struct kmsg *k, const char *s)
{
	int i, c = 0;

	for (i = 0; i < k->n && i < KMSG_MAX; i++)
		if (strstr(k->text[i], s))
			c++;
	return c;
}

/* ------------------------------------------------------------------ */
/* the importer: 0 or -errno                                            */
/* ------------------------------------------------------------------ */

static int rhi(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A device that takes segments of any length: one for a contiguous buffer. */
static int dev_create(int ifd, uint32_t bits, uint32_t *id)
{
	struct rhi_dev_create c = { .flags = RHI_DEV_LARGE_SEG, .dma_bits = bits };
	int ret = rhi(ifd, RHI_IOC_DEV_CREATE, &c);

	*id = c.dev_id;
	if (!ret && c.dma_mask != (bits == 32 ? 0xffffffffull : UINT64_MAX))
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

static int map(int ifd, uint32_t att, struct rhi_map *m)
{
	memset(m, 0, sizeof(*m));
	m->attach_id = att;
	m->dir = RHI_DIR_BIDIRECTIONAL;
	return rhi(ifd, RHI_IOC_MAP, m);
}

static int by_id(int ifd, unsigned long cmd, uint32_t att)
{
	struct rhi_id c = { .id = att };

	return rhi(ifd, cmd, &c);
}

static int dev_access(int ifd, uint32_t att, uint32_t op, uint32_t byte,
		      struct rhi_dev_access *out)
{
	memset(out, 0, sizeof(*out));
	out->attach_id = att;
	out->op = op;
	out->length = BUF_SIZE;
	out->byte = byte;
	return rhi(ifd, RHI_IOC_DEV_ACCESS, out);
}

/* ------------------------------------------------------------------ */
/* the heap's debugfs: a buffer's offset in the region                  */
/* ------------------------------------------------------------------ */

/* Offset of the buffer named @bufname. 0, -ENOENT or -errno. */
static int dbg_offset(const char *heap, const char *bufname, uint64_t *off)
{
	static char text[1 << 16];
	char path[256], *line, *save = NULL, *last;
	unsigned long long o;
	ssize_t n;

	snprintf(path, sizeof(path), RH_DEBUGFS "/%s", heap);
	n = rh_read_file(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		last = strrchr(line, ' ');
		if (!last || strcmp(last + 1, bufname))
			continue;
		if (sscanf(line, "%llx", &o) != 1)
			return -EPROTO;
		*off = o;
		return 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* one variant per heap: above and below 4 GiB                          */
/* ------------------------------------------------------------------ */

FIXTURE(highmem) {
	int ifd;		/* the importer */
	int hfd;		/* the heap */
	uint64_t heap_size;	/* its sysfs size */
	struct region r;
};

FIXTURE_VARIANT(highmem) {
	const char *heap;
	int above;		/* 1: the region lies above 4 GiB */
};

FIXTURE_VARIANT_ADD(highmem, high) { .heap = "high", .above = 1 };
FIXTURE_VARIANT_ADD(highmem, low) { .heap = "rmem", .above = 0 };

FIXTURE_SETUP(highmem)
{
	const char *why;

	self->hfd = -1;
	self->ifd = open(RHI_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ifd) {
		TH_LOG("open %s: %s (is rmem_heap_importer.ko loaded?)",
		       RHI_DEVICE, strerror(errno));
	}
	self->hfd = rh_open_heap(variant->heap);
	ASSERT_LE(0, self->hfd) {
		TH_LOG("open %s/%s: %s", RH_DEVDIR, variant->heap, strerror(-self->hfd));
	}
	ASSERT_EQ(0, rh_read_u64(variant->heap, "size", &self->heap_size));
	why = heap_region(variant->heap, &self->r);
	ASSERT_TRUE(why == NULL) TH_LOG("heap %s: %s", variant->heap, why);
	TH_LOG("heap %s: region %s at %#" PRIx64 ", %" PRIu64 " bytes", variant->heap,
	       self->r.node, self->r.base, self->r.size);
	/* the machine must be what this suite tests */
	if (variant->above) {
		ASSERT_LE(FOUR_GIB, self->r.base) TH_LOG("heap %s: not above 4 GiB", variant->heap);
	} else {
		ASSERT_GE(FOUR_GIB, self->r.base + self->r.size) {
			TH_LOG("heap %s: not below 4 GiB", variant->heap);
		}
	}
}

FIXTURE_TEARDOWN(highmem)
{
	if (self->hfd >= 0)
		close(self->hfd);
	if (self->ifd >= 0)
		close(self->ifd);
}

/* A named buffer after a small one (so that its offset is not 0). */
static int __new_buf(struct __test_metadata *_metadata, int hfd, const char *heap,
		     int *pad, char *name, size_t len)
{
	static unsigned int seq;
	int fd = -1, ret;

	ret = rh_alloc(hfd, PAD_SIZE, pad);
	ASSERT_EQ(0, ret) TH_LOG("%s: alloc %" PRIu64 ": %s", heap, PAD_SIZE, strerror(-ret));
	ret = rh_alloc(hfd, BUF_SIZE, &fd);
	ASSERT_EQ(0, ret) TH_LOG("%s: alloc %" PRIu64 ": %s", heap, BUF_SIZE, strerror(-ret));
	snprintf(name, len, "highmem%d-%u", (int)getpid(), seq++);
	ASSERT_EQ(0, ioctl(fd, DMA_BUF_SET_NAME, name)) {
		TH_LOG("DMA_BUF_SET_NAME: %s", strerror(errno));
	}
	return fd;
}
#define new_buf(pad, name) \
	__new_buf(_metadata, self->hfd, variant->heap, pad, name, sizeof(name))

static uint32_t __new_dev(struct __test_metadata *_metadata, int ifd, uint32_t bits)
{
	uint32_t id = 0;
	int ret = dev_create(ifd, bits, &id);

	ASSERT_EQ(0, ret) TH_LOG("create a %u-bit device: %s", bits, strerror(-ret));
	return id;
}
#define new_dev(bits) __new_dev(_metadata, self->ifd, bits)

/* The mapping is one segment: the buffer's place in the region. */
static void __check_map(struct __test_metadata *_metadata, FIXTURE_DATA(highmem) *self,
			const char *heap, const struct rhi_map *m, uint64_t off,
			unsigned int bits)
{
	const uint64_t end = self->r.base + self->r.size;

	TH_LOG("%s: %u-bit device: %u segment(s) at %#" PRIx64 ", %" PRIu64
	       " bytes; region %#" PRIx64 "..%#" PRIx64 ", buffer at offset %#" PRIx64,
	       heap, bits, m->nents, (uint64_t)m->dma_addr, (uint64_t)m->length,
	       self->r.base, end, off);
	EXPECT_EQ(1u, m->nents);
	EXPECT_EQ(BUF_SIZE, m->length);
	EXPECT_EQ(BUF_SIZE, m->first_len);
	EXPECT_LE(self->r.base, m->dma_addr);
	EXPECT_GE(end, m->dma_addr + m->length);
	/* no IOMMU and no DMA offset on virt: the bus address is the CPU's */
	EXPECT_EQ(self->r.base + off, m->dma_addr);
}
#define check_map(m, off, bits) __check_map(_metadata, self, variant->heap, m, off, bits)

/*
 * The region the heap came from: its size is the heap's, and the kernel
 * lists it in /proc/iomem as no-map ("reserved") memory, where the device
 * tree says (above or below 4 GiB as the variant wants: the setup).
 */
TEST_F(highmem, region)
{
	char found[160];
	int ret;

	EXPECT_EQ(self->r.size, self->heap_size) {
		TH_LOG("%s: sysfs size %" PRIu64 ", region %s %" PRIu64, variant->heap,
		       self->heap_size, self->r.node, self->r.size);
	}
	ret = iomem_reserved(self->r.base, self->r.size, found, sizeof(found));
	TH_LOG("%s: /proc/iomem: %s", variant->heap, found);
	EXPECT_EQ(1, ret) {
		TH_LOG("%s: %#" PRIx64 "+%#" PRIx64 " is not in a reserved range of /proc/iomem (%s)",
		       variant->heap, self->r.base, self->r.size,
		       ret < 0 ? strerror(-ret) : found);
	}
}

/*
 * A 64-bit device maps the buffer as one segment inside the region, where
 * debugfs says the buffer is, and what it reads and writes there is the
 * buffer user space sees.
 */
TEST_F(highmem, dev64)
{
	struct rhi_dev_access c;
	struct rhi_map m;
	uint32_t dev, att;
	unsigned char *p;
	uint64_t off = 0;
	char name[64];
	int buf, pad, ret;
	size_t i;

	buf = new_buf(&pad, name);
	ret = dbg_offset(variant->heap, name, &off);
	ASSERT_EQ(0, ret) TH_LOG("%s: debugfs entry of %s: %s", variant->heap, name, strerror(-ret));
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(p, FILL_USER, BUF_SIZE);
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	dev = new_dev(64);
	ASSERT_EQ(0, attach(self->ifd, dev, buf, &att));
	ret = map(self->ifd, att, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s: 64-bit map: %s", variant->heap, strerror(-ret));
	check_map(&m, off, 64);
	if (variant->above) {
		EXPECT_LE(FOUR_GIB, m.dma_addr);
	}

	/* the device reads user space's data at its address, and writes there */
	ret = dev_access(self->ifd, att, RHI_CPU_CHECK, FILL_USER, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("%s: the device reads 0x%02x at %" PRIu64 ", not 0x%02x (%s)",
		       variant->heap, c.found, (uint64_t)c.bad_offset, FILL_USER,
		       strerror(-ret));
	}
	ret = dev_access(self->ifd, att, RHI_CPU_FILL, FILL_DEVICE, &c);
	ASSERT_EQ(0, ret) TH_LOG("%s: device write: %s", variant->heap, strerror(-ret));
	EXPECT_EQ(0, by_id(self->ifd, RHI_IOC_UNMAP, att));
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	for (i = 0; i < BUF_SIZE && p[i] == FILL_DEVICE; i++)
		;
	EXPECT_EQ((size_t)BUF_SIZE, i) {
		TH_LOG("%s: user space reads 0x%02x at %zu, not the device's 0x%02x",
		       variant->heap, p[i], i, FILL_DEVICE);
	}
	ASSERT_EQ(0, rh_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(p, BUF_SIZE);
	EXPECT_EQ(0, by_id(self->ifd, RHI_IOC_DETACH, att));
	close(buf);
	close(pad);
}

/*
 * A 32-bit device: below 4 GiB it maps the buffer where the 64-bit one
 * does and the kernel says nothing of ours; above, the map fails with EIO
 * and the kernel logs one line naming the heap and the reason, no WARN,
 * and the buffer still maps for a 64-bit device.
 */
TEST_F(highmem, dev32)
{
	char name[64], heap_phrase[96];
	uint32_t d32, d64, a32, a64;
	struct rhi_map m32, m64;
	uint64_t off = 0;
	struct kmsg k;
	int buf, pad, ret, i;

	buf = new_buf(&pad, name);
	ret = dbg_offset(variant->heap, name, &off);
	ASSERT_EQ(0, ret) TH_LOG("%s: debugfs entry of %s: %s", variant->heap, name, strerror(-ret));
	d32 = new_dev(32);
	d64 = new_dev(64);

	ASSERT_EQ(0, kmsg_open(&k)) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ret = attach(self->ifd, d32, buf, &a32);
	if (!ret) {
		ret = map(self->ifd, a32, &m32);
		if (!ret)
			by_id(self->ifd, RHI_IOC_UNMAP, a32);
		EXPECT_EQ(0, by_id(self->ifd, RHI_IOC_DETACH, a32));
	} else {
		TH_LOG("%s: 32-bit attach: %s", variant->heap, strerror(-ret));
	}
	ASSERT_EQ(0, kmsg_close(&k));
	for (i = 0; i < k.n && i < KMSG_MAX; i++)
		TH_LOG("kernel: %s", k.text[i]);

	/* nothing like a WARN, whatever the outcome */
	EXPECT_EQ(0, kmsg_count(&k, "WARNING:"));
	EXPECT_EQ(0, kmsg_count(&k, "cut here"));
	EXPECT_EQ(0, kmsg_count(&k, "DMA-API"));
	if (variant->above) {
		EXPECT_EQ(-EIO, ret) {
			TH_LOG("%s: 32-bit map of a buffer above 4 GiB: %s, want %s",
			       variant->heap, ret ? strerror(-ret) : "mapped", strerror(EIO));
		}
		/* one line of ours (the importer's device name has "rmem" too) */
		snprintf(heap_phrase, sizeof(heap_phrase), "heap %s:", variant->heap);
		EXPECT_EQ(1, kmsg_count(&k, "rmem")) {
			TH_LOG("%s: %d kernel log line(s) about it, want exactly 1",
			       variant->heap, kmsg_count(&k, "rmem"));
		}
		EXPECT_EQ(1, kmsg_count(&k, heap_phrase)) {
			TH_LOG("%s: no single line names \"%s\"", variant->heap, heap_phrase);
		}
		EXPECT_EQ(1, kmsg_count(&k, "beyond DMA reach")) {
			TH_LOG("%s: no single line gives the reason", variant->heap);
		}
	} else {
		EXPECT_EQ(0, ret) TH_LOG("%s: 32-bit map: %s", variant->heap, strerror(-ret));
		if (!ret)
			check_map(&m32, off, 32);
		EXPECT_EQ(0, kmsg_count(&k, "rmem"));
	}

	/* the 64-bit device maps it all the same, afterwards */
	ASSERT_EQ(0, attach(self->ifd, d64, buf, &a64));
	ret = map(self->ifd, a64, &m64);
	EXPECT_EQ(0, ret) TH_LOG("%s: 64-bit map: %s", variant->heap, strerror(-ret));
	if (!ret) {
		check_map(&m64, off, 64);
		EXPECT_EQ(0, by_id(self->ifd, RHI_IOC_UNMAP, a64));
	}
	EXPECT_EQ(0, by_id(self->ifd, RHI_IOC_DETACH, a64));
	close(buf);
	close(pad);
}

TEST_HARNESS_MAIN
