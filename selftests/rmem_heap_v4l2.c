// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_v4l2 - our heaps' buffers imported zero-copy by a real V4L2
 * driver: vivid, the kernel's virtual video test driver, with its
 * dma-contig allocator (vivid.allocators=1: its device attaches and maps
 * the dma-bufs through the DMA API as a hardware driver does; the lab
 * passes the parameter to every guest and this test checks it took).
 *
 * One fixture variant per kind of heap (no-map or reusable, cached or
 * uncached, dma-coherent), found through /sys/class/rmem_heap as the other
 * suites do; every heap of the kind is tested:
 *
 * - capture: vivid's capture device streams V4L2_MEMORY_DMABUF into
 *   buffers of the heap; each dequeued frame, read through mmap of the
 *   dma-buf after DMA_BUF_IOCTL_SYNC(START|READ), must hold vivid's test
 *   pattern: byte for byte the frame vivid captured into its own MMAP
 *   buffers with the same format and controls (the controls make the
 *   frames deterministic, which two reference frames must show).
 * - output: vivid's output device takes buffers user space wrote (QBUF
 *   and DQBUF of V4L2_MEMORY_DMABUF succeed, no error flag) and leaves
 *   their bytes as they were.
 *
 * The dma-coherent heap refuses vivid's device, which does not snoop the
 * CPU caches: QBUF (where vb2 attaches the dma-buf) fails with EOPNOTSUPP
 * and the heap's buffer count comes back to where it was.  Output is TAP.
 *
 * vivid must be there (the lab's kernels have it built in; Debian's loads
 * the module): its absence fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <poll.h>

#include <linux/videodev2.h>

#include "rmem_heap_common.h"
#include "kselftest_harness.h"

#define V4L_CLASS	"/sys/class/video4linux"
#define VIVID_ALLOCATORS "/sys/module/vivid/parameters/allocators"
#define CAP_NAME	"vivid-000-vid-cap"
#define OUT_NAME	"vivid-000-vid-out"
#define NBUFS		3u	/* buffers queued at once */
#define NFRAMES		8	/* frames dequeued and checked per heap */
#define POISON		0xa5	/* what a buffer holds before vivid fills it */
#define WAIT_MS		20000	/* for one frame, on a slow TCG guest */

/* ------------------------------------------------------------------ */
/* vivid's nodes and controls                                          */
/* ------------------------------------------------------------------ */

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, cmd, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* Open /dev/videoN whose sysfs name is @name. Returns fd or -errno. */
static int open_node(const char *name)
{
	struct dirent *de;
	char path[300], buf[64];
	int fd = -ENOENT;
	DIR *d;

	d = opendir(V4L_CLASS);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), V4L_CLASS "/%s/name", de->d_name);
		if (rh_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		buf[strcspn(buf, "\n")] = 0;
		if (strcmp(buf, name))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		break;
	}
	closedir(d);
	return fd;
}

/* The id of the control named @name, or 0. */
static uint32_t find_ctrl(int fd, const char *name, struct v4l2_queryctrl *out)
{
	struct v4l2_queryctrl q;

	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (!xioctl(fd, VIDIOC_QUERYCTRL, &q)) {
		if (!strcmp((const char *)q.name, name)) {
			*out = q;
			return q.id;
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

/* The index of menu item @item of control @q, or -1. */
static int find_menu(int fd, const struct v4l2_queryctrl *q, const char *item)
{
	struct v4l2_querymenu m;
	int i;

	for (i = q->minimum; i <= q->maximum; i++) {
		memset(&m, 0, sizeof(m));
		m.id = q->id;
		m.index = (uint32_t)i;
		if (!xioctl(fd, VIDIOC_QUERYMENU, &m) && !strcmp((const char *)m.name, item))
			return i;
	}
	return -1;
}

/*
 * Set control @name to @value, or to its menu item @item: vivid's controls
 * are private to the driver (not UAPI), so they are found by name.
 */
static void __set_ctrl(struct __test_metadata *_metadata, int fd, const char *name,
		       const char *item, int value)
{
	struct v4l2_queryctrl q;
	struct v4l2_control c;
	int ret;

	ASSERT_NE(0u, find_ctrl(fd, name, &q)) TH_LOG("vivid has no control \"%s\"", name);
	if (item) {
		value = find_menu(fd, &q, item);
		ASSERT_LE(0, value) TH_LOG("control \"%s\" has no item \"%s\"", name, item);
	}
	memset(&c, 0, sizeof(c));
	c.id = q.id;
	c.value = value;
	ret = xioctl(fd, VIDIOC_S_CTRL, &c);
	ASSERT_EQ(0, ret) {
		TH_LOG("set \"%s\" to %d (%s): %s", name, value, item ? item : "value",
		       strerror(-ret));
	}
}
#define set_ctrl(fd, name, item, value) __set_ctrl(_metadata, fd, name, item, value)

/*
 * Frames that do not change from one to the next: no OSD text (it carries
 * a frame counter and a time), no movement of the pattern, the whole frame
 * filled (not blanked below a percentage), a fixed pattern.  vivid's
 * webcam input (input 0), progressive YUYV at its smallest size.
 */
static void __setup_capture(struct __test_metadata *_metadata, int fd,
			    struct v4l2_format *fmt)
{
	int input = 0, ret;

	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &input));
	set_ctrl(fd, "OSD Text Mode", "None", 0);
	set_ctrl(fd, "Horizontal Movement", "No Movement", 0);
	set_ctrl(fd, "Vertical Movement", "No Movement", 0);
	set_ctrl(fd, "Test Pattern", "75% Colorbar", 0);
	set_ctrl(fd, "Fill Percentage of Frame", NULL, 100);

	memset(fmt, 0, sizeof(*fmt));
	fmt->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt->fmt.pix.width = 320;
	fmt->fmt.pix.height = 180;
	fmt->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt->fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(fd, VIDIOC_S_FMT, fmt);
	ASSERT_EQ(0, ret) TH_LOG("capture S_FMT: %s", strerror(-ret));
	ASSERT_EQ(V4L2_PIX_FMT_YUYV, fmt->fmt.pix.pixelformat);
	ASSERT_EQ((uint32_t)V4L2_FIELD_NONE, fmt->fmt.pix.field);
	ASSERT_LT(0u, fmt->fmt.pix.sizeimage);
}

static int wait_buf(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ret;

	do
		ret = poll(&p, 1, WAIT_MS);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret ? 0 : -ETIMEDOUT;
}

/* Wait for and dequeue one buffer. Returns 0 or -errno. */
static int dqbuf(int fd, uint32_t type, uint32_t memory, struct v4l2_buffer *b)
{
	int ret;

	ret = wait_buf(fd, type == V4L2_BUF_TYPE_VIDEO_CAPTURE ? POLLIN : POLLOUT);
	if (ret)
		return ret;
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->memory = memory;
	return xioctl(fd, VIDIOC_DQBUF, b);
}

static int reqbufs(int fd, uint32_t type, uint32_t memory, uint32_t count)
{
	struct v4l2_requestbuffers r = { .count = count, .type = type, .memory = memory };
	int ret = xioctl(fd, VIDIOC_REQBUFS, &r);

	return ret ? ret : (int)r.count;
}

static int stream(int fd, uint32_t type, int on)
{
	int t = (int)type;

	return xioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &t);
}

/* Offset of the first byte where a and b differ, or len; *ndiff: how many. */
static size_t first_diff(const unsigned char *a, const unsigned char *b, size_t len,
			 size_t *ndiff)
{
	size_t i, first = len;

	*ndiff = 0;
	for (i = 0; i < len; i++) {
		if (a[i] != b[i]) {
			if (first == len)
				first = i;
			(*ndiff)++;
		}
	}
	return first;
}

/*
 * vivid's own frame: two frames captured into vivid's MMAP buffers (its
 * dma-contig allocation), which must be the same (deterministic controls),
 * neither all zeros nor uniform.  Returns a malloc'ed copy of sizeimage bytes.
 */
static unsigned char *__reference(struct __test_metadata *_metadata, int fd,
				  const struct v4l2_format *fmt)
{
	const size_t size = fmt->fmt.pix.sizeimage;
	const uint32_t cap = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned char *map[2], *ref, lo = 0xff, hi = 0;
	struct v4l2_buffer b;
	size_t i, bad, ndiff;
	int ret, n;

	n = reqbufs(fd, cap, V4L2_MEMORY_MMAP, 2);
	ASSERT_EQ(2, n) TH_LOG("REQBUFS MMAP: %s", n < 0 ? strerror(-n) : "count");
	for (i = 0; i < 2; i++) {
		memset(&b, 0, sizeof(b));
		b.type = cap;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = (uint32_t)i;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYBUF, &b));
		ASSERT_LE(size, b.length);
		map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, fd, b.m.offset);
		ASSERT_TRUE(map[i] != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QBUF, &b));
	}
	ret = stream(fd, cap, 1);
	ASSERT_EQ(0, ret) TH_LOG("STREAMON (MMAP): %s", strerror(-ret));
	for (i = 0; i < 2; i++) {
		ret = dqbuf(fd, cap, V4L2_MEMORY_MMAP, &b);
		ASSERT_EQ(0, ret) TH_LOG("DQBUF (MMAP): %s", strerror(-ret));
		ASSERT_EQ(i, b.index);
		ASSERT_EQ(0u, b.flags & V4L2_BUF_FLAG_ERROR);
		ASSERT_EQ(size, b.bytesused);
	}
	ASSERT_EQ(0, stream(fd, cap, 0));

	bad = first_diff(map[0], map[1], size, &ndiff);
	ASSERT_EQ(size, bad) {
		TH_LOG("vivid's own frames differ (%zu bytes, first at %zu: 0x%02x then 0x%02x): the controls do not make them deterministic",
		       ndiff, bad, map[0][bad], map[1][bad]);
	}
	for (i = 0; i < size; i++) {
		if (map[0][i] < lo)
			lo = map[0][i];
		if (map[0][i] > hi)
			hi = map[0][i];
	}
	ASSERT_LT(lo, hi) TH_LOG("vivid's own frame is uniform 0x%02x", lo);
	ref = malloc(size);
	ASSERT_TRUE(ref != NULL);
	memcpy(ref, map[0], size);
	munmap(map[0], size);
	munmap(map[1], size);
	ASSERT_EQ(0, reqbufs(fd, cap, V4L2_MEMORY_MMAP, 0));
	TH_LOG("vivid's frame: %ux%u YUYV, %zu bytes, bytes 0x%02x..0x%02x",
	       fmt->fmt.pix.width, fmt->fmt.pix.height, size, lo, hi);
	return ref;
}

/* ------------------------------------------------------------------ */
/* one fixture variant per kind of heap                                 */
/* ------------------------------------------------------------------ */

FIXTURE(v4l2) {
	struct rh_heap heaps[RH_MAX_HEAPS];
	int nheaps;
	int cap;		/* vivid's capture node */
	int out;		/* vivid's output node */
	long page;
};

FIXTURE_VARIANT(v4l2) {
	const char *kind;
	int reusable;
	int policy;
};

FIXTURE_VARIANT_ADD(v4l2, nomap_cached) {
	.kind = "no-map cached", .reusable = 0, .policy = RH_CACHED,
};

FIXTURE_VARIANT_ADD(v4l2, nomap_uncached) {
	.kind = "no-map uncached", .reusable = 0, .policy = RH_UNCACHED,
};

FIXTURE_VARIANT_ADD(v4l2, reusable_cached) {
	.kind = "reusable cached", .reusable = 1, .policy = RH_CACHED,
};

FIXTURE_VARIANT_ADD(v4l2, reusable_uncached) {
	.kind = "reusable uncached", .reusable = 1, .policy = RH_UNCACHED,
};

/* dma-coherent heaps are no-map: the kind is the policy alone */
FIXTURE_VARIANT_ADD(v4l2, coherent) {
	.kind = "coherent", .reusable = -1, .policy = RH_COHERENT,
};

FIXTURE_SETUP(v4l2)
{
	char buf[256];
	ssize_t n;

	self->cap = -1;
	self->out = -1;
	self->page = sysconf(_SC_PAGESIZE);
	self->nheaps = rh_discover(self->heaps, RH_MAX_HEAPS);
	ASSERT_LT(0, self->nheaps) {
		TH_LOG("no heaps under %s (%s)", RH_SYSFS,
		       self->nheaps < 0 ? strerror(-self->nheaps) : "empty");
	}
	/* vivid's first instance allocates with dma-contig */
	n = rh_read_file(VIVID_ALLOCATORS, buf, sizeof(buf));
	ASSERT_LT(0, n) {
		TH_LOG("%s: %s (is vivid there?)", VIVID_ALLOCATORS,
		       n < 0 ? strerror((int)-n) : "empty");
	}
	ASSERT_TRUE(buf[0] == '1' && (buf[1] == ',' || buf[1] == '\n')) {
		TH_LOG("vivid's allocators are \"%.*s\", not dma-contig (1) for instance 0: vivid.allocators=1 not passed",
		       (int)strcspn(buf, "\n"), buf);
	}
	self->cap = open_node(CAP_NAME);
	ASSERT_LE(0, self->cap) TH_LOG("open %s: %s", CAP_NAME, strerror(-self->cap));
	self->out = open_node(OUT_NAME);
	ASSERT_LE(0, self->out) TH_LOG("open %s: %s", OUT_NAME, strerror(-self->out));
}

FIXTURE_TEARDOWN(v4l2)
{
	if (self->cap >= 0)
		close(self->cap);
	if (self->out >= 0)
		close(self->out);
}

static int heap_match(const FIXTURE_VARIANT(v4l2) *v, const struct rh_heap *h)
{
	if (v->reusable >= 0 && v->reusable != h->reusable)
		return 0;
	return v->policy == h->policy;
}

/* A buffer of the heap, page-rounded @size, all @fill; its mapping in *map. */
static int __new_buf(struct __test_metadata *_metadata, const struct rh_heap *h,
		     size_t size, unsigned char fill, unsigned char **map)
{
	int hfd = rh_open_heap(h->name), fd = -1, ret;

	ASSERT_LE(0, hfd) TH_LOG("open heap %s: %s", h->name, strerror(-hfd));
	ret = rh_alloc(hfd, size, &fd);
	close(hfd);
	ASSERT_EQ(0, ret) TH_LOG("%s: alloc %zu bytes: %s", h->name, size, strerror(-ret));
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(*map != MAP_FAILED) TH_LOG("%s: mmap: %s", h->name, strerror(errno));
	ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(*map, fill, size);
	ASSERT_EQ(0, rh_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	return fd;
}
#define new_buf(h, size, fill, map) __new_buf(_metadata, h, size, fill, map)

static uint64_t __heap_buffers(struct __test_metadata *_metadata, const char *heap)
{
	uint64_t v = 0;
	int ret = rh_read_u64(heap, "buffers", &v);

	ASSERT_EQ(0, ret) TH_LOG("%s/%s/buffers: %s", RH_SYSFS, heap, strerror(-ret));
	return v;
}
#define heap_buffers(heap) __heap_buffers(_metadata, heap)

static int qbuf_dmabuf(int fd, uint32_t type, uint32_t index, int buf, size_t len,
		       size_t used)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = type;
	b.memory = V4L2_MEMORY_DMABUF;
	b.index = index;
	b.m.fd = buf;
	b.length = (uint32_t)len;
	b.bytesused = (uint32_t)used;
	return xioctl(fd, VIDIOC_QBUF, &b);
}

/*
 * The dma-coherent heap refuses vivid's non-snooping device: vb2 attaches
 * the dma-buf at QBUF, which fails with the heap's EOPNOTSUPP; nothing of
 * the heap stays allocated once the buffer and the queue are let go.
 */
static void __refused(struct __test_metadata *_metadata, int fd, uint32_t type,
		      const struct rh_heap *h, size_t size, size_t len)
{
	uint64_t bufs0 = heap_buffers(h->name);
	unsigned char *map;
	int buf, ret, n;

	n = reqbufs(fd, type, V4L2_MEMORY_DMABUF, 1);
	ASSERT_LE(1, n) TH_LOG("REQBUFS DMABUF: %s", n < 0 ? strerror(-n) : "0 buffers");
	buf = new_buf(h, len, POISON, &map);
	ret = qbuf_dmabuf(fd, type, 0, buf, len,
			  type == V4L2_BUF_TYPE_VIDEO_OUTPUT ? size : 0);
	EXPECT_EQ(-EOPNOTSUPP, ret) {
		TH_LOG("%s: vivid's %s QBUF of the coherent heap's buffer: %s, want %s",
		       h->name, type == V4L2_BUF_TYPE_VIDEO_CAPTURE ? "capture" : "output",
		       ret ? strerror(-ret) : "queued", strerror(EOPNOTSUPP));
	}
	munmap(map, len);
	close(buf);
	EXPECT_EQ(0, reqbufs(fd, type, V4L2_MEMORY_DMABUF, 0));
	EXPECT_EQ(bufs0, heap_buffers(h->name)) {
		TH_LOG("%s: a refused buffer is still allocated", h->name);
	}
	TH_LOG("%s: refused with %s", h->name, strerror(EOPNOTSUPP));
}
#define refused(fd, type, h, size, len) __refused(_metadata, fd, type, h, size, len)

/*
 * videobuf2's __prepare_dmabuf() of 6.12 and later keeps the reference it
 * took on a plane's dma-buf when the exporter refuses the attach (its error
 * path releases only the planes already attached; 6.1 put it): there the
 * refusal would pin the coherent heap's buffer, and the module, for good.
 * The lab decides it from the target kernel's source and says so here.
 */
static int vb2_keeps_refused(void)
{
	const char *v = getenv("RMEM_HEAP_VB2_KEEPS_REFUSED");

	return v && !strcmp(v, "1");
}

#define skip_if_vb2_keeps_refused()					\
	do {								\
		if (variant->policy == RH_COHERENT && vb2_keeps_refused()) \
			SKIP(return, "this kernel's videobuf2 keeps a dma-buf whose attach failed (__prepare_dmabuf): the refusal would pin the buffer"); \
	} while (0)

/*
 * vivid captures into the heap's buffers: NFRAMES frames through NBUFS
 * buffers, each poisoned before it is queued, each frame read through
 * the dma-buf's mmap after SYNC_START(read) and compared with vivid's own
 * frame.  Nothing is excluded from the comparison: with the OSD off and
 * the pattern still, every byte of the frame is vivid's pattern.
 */
static void capture_into(struct __test_metadata *_metadata, int fd,
			 const struct rh_heap *h, const unsigned char *ref,
			 size_t size, size_t len)
{
	const uint32_t cap = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned char *map[NBUFS];
	int buf[NBUFS], ret, n;
	uint64_t bufs0 = heap_buffers(h->name);
	struct v4l2_buffer b;
	size_t i, bad, ndiff;
	uint32_t seq = 0;

	n = reqbufs(fd, cap, V4L2_MEMORY_DMABUF, NBUFS);
	ASSERT_EQ((int)NBUFS, n) TH_LOG("REQBUFS DMABUF: %s", n < 0 ? strerror(-n) : "count");
	for (i = 0; i < NBUFS; i++) {
		buf[i] = new_buf(h, len, POISON, &map[i]);
		ret = qbuf_dmabuf(fd, cap, (uint32_t)i, buf[i], len, 0);
		ASSERT_EQ(0, ret) TH_LOG("%s: QBUF buffer %zu: %s", h->name, i, strerror(-ret));
	}
	ret = stream(fd, cap, 1);
	ASSERT_EQ(0, ret) TH_LOG("%s: STREAMON: %s", h->name, strerror(-ret));

	for (n = 0; n < NFRAMES; n++) {
		ret = dqbuf(fd, cap, V4L2_MEMORY_DMABUF, &b);
		ASSERT_EQ(0, ret) TH_LOG("%s: DQBUF frame %d: %s", h->name, n, strerror(-ret));
		ASSERT_GT(NBUFS, b.index);
		i = b.index;
		EXPECT_EQ(buf[i], b.m.fd);
		EXPECT_EQ(0u, b.flags & V4L2_BUF_FLAG_ERROR) {
			TH_LOG("%s: frame %u in buffer %zu flagged ERROR", h->name, b.sequence, i);
		}
		EXPECT_EQ(size, b.bytesused);
		if (n) {
			EXPECT_LT(seq, b.sequence);
		}
		seq = b.sequence;

		ASSERT_EQ(0, rh_sync(buf[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		bad = first_diff(ref, map[i], size, &ndiff);
		EXPECT_EQ(size, bad) {
			TH_LOG("%s: frame %u in buffer %zu (fd %d): byte %zu is 0x%02x, vivid's pattern has 0x%02x (%zu of %zu bytes differ%s)",
			       h->name, b.sequence, i, buf[i], bad, map[i][bad], ref[bad],
			       ndiff, size, map[i][bad] == POISON ? "; poison: not written" : "");
		}
		ASSERT_EQ(0, rh_sync(buf[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

		/* poisoned again: the next frame in it must be written anew */
		ASSERT_EQ(0, rh_sync(buf[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		memset(map[i], POISON, len);
		ASSERT_EQ(0, rh_sync(buf[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		if (n + NBUFS < NFRAMES) {
			ret = qbuf_dmabuf(fd, cap, (uint32_t)i, buf[i], len, 0);
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: QBUF buffer %zu again: %s", h->name, i, strerror(-ret));
			}
		}
	}
	EXPECT_EQ(0, stream(fd, cap, 0));
	EXPECT_EQ(0, reqbufs(fd, cap, V4L2_MEMORY_DMABUF, 0));
	for (i = 0; i < NBUFS; i++) {
		munmap(map[i], len);
		close(buf[i]);
	}
	EXPECT_EQ(bufs0, heap_buffers(h->name)) {
		TH_LOG("%s: buffers still allocated after the queue let them go", h->name);
	}
	TH_LOG("%s: %d frames captured zero-copy, last sequence %u", h->name, NFRAMES, seq);
}

TEST_F_TIMEOUT(v4l2, capture, 300)
{
	struct v4l2_format fmt;
	unsigned char *ref;
	const struct rh_heap *h;
	size_t size, len;
	int i, done = 0;

	skip_if_vb2_keeps_refused();
	__setup_capture(_metadata, self->cap, &fmt);
	size = fmt.fmt.pix.sizeimage;
	len = (size + (size_t)self->page - 1) & ~((size_t)self->page - 1);
	ref = __reference(_metadata, self->cap, &fmt);

	for (i = 0; i < self->nheaps; i++) {
		h = &self->heaps[i];
		if (!heap_match(variant, h))
			continue;
		TH_LOG("heap %s: %s, %s", h->name, rh_type_str(h->reusable),
		       rh_policy_str(h->policy));
		done++;
		if (h->policy == RH_COHERENT)
			refused(self->cap, V4L2_BUF_TYPE_VIDEO_CAPTURE, h, size, len);
		else
			capture_into(_metadata, self->cap, h, ref, size, len);
	}
	free(ref);
	if (!done)
		SKIP(return, "no %s heap under %s", variant->kind, RH_SYSFS);
}

/*
 * vivid's output device takes the heap's buffers as user space wrote
 * them: QBUF with the frame's bytesused, STREAMON, DQBUF of the buffers
 * in the order queued (vivid's output thread consumes one a frame period
 * and holds the last one queued, as a display holds the frame it shows,
 * until STREAMOFF), no error flag, and the bytes are still what user
 * space wrote.
 */
TEST_F_TIMEOUT(v4l2, output, 300)
{
	const uint32_t type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	struct v4l2_format fmt;
	const struct rh_heap *h;
	int i, done = 0, ret;
	size_t size, len;

	skip_if_vb2_keeps_refused();
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = type;
	ASSERT_EQ(0, xioctl(self->out, VIDIOC_G_FMT, &fmt));
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	ret = xioctl(self->out, VIDIOC_S_FMT, &fmt);
	ASSERT_EQ(0, ret) TH_LOG("output S_FMT: %s", strerror(-ret));
	ASSERT_EQ(V4L2_PIX_FMT_YUYV, fmt.fmt.pix.pixelformat);
	size = fmt.fmt.pix.sizeimage;
	ASSERT_LT(0u, size);
	len = (size + (size_t)self->page - 1) & ~((size_t)self->page - 1);
	TH_LOG("vivid's output: %ux%u YUYV, %zu bytes", fmt.fmt.pix.width,
	       fmt.fmt.pix.height, size);

	for (i = 0; i < self->nheaps; i++) {
		uint64_t bufs0;
		unsigned char *map[NBUFS];
		int buf[NBUFS], n;
		struct v4l2_buffer b;
		size_t j, k;

		h = &self->heaps[i];
		if (!heap_match(variant, h))
			continue;
		TH_LOG("heap %s: %s, %s", h->name, rh_type_str(h->reusable),
		       rh_policy_str(h->policy));
		done++;
		if (h->policy == RH_COHERENT) {
			refused(self->out, type, h, size, len);
			continue;
		}
		bufs0 = heap_buffers(h->name);
		n = reqbufs(self->out, type, V4L2_MEMORY_DMABUF, NBUFS);
		ASSERT_EQ((int)NBUFS, n) {
			TH_LOG("REQBUFS DMABUF (output): %s", n < 0 ? strerror(-n) : "count");
		}
		for (j = 0; j < NBUFS; j++) {
			buf[j] = new_buf(h, len, 0, &map[j]);
			/* a frame of its own in each: bytes that depend on place and buffer */
			ASSERT_EQ(0, rh_sync(buf[j], DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
			for (k = 0; k < size; k++)
				map[j][k] = (unsigned char)(k * 7 + j * 31 + 1);
			ASSERT_EQ(0, rh_sync(buf[j], DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
			ret = qbuf_dmabuf(self->out, type, (uint32_t)j, buf[j], len, size);
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: output QBUF buffer %zu: %s", h->name, j, strerror(-ret));
			}
		}
		ret = stream(self->out, type, 1);
		ASSERT_EQ(0, ret) TH_LOG("%s: output STREAMON: %s", h->name, strerror(-ret));
		for (j = 0; j + 1 < NBUFS; j++) {
			ret = dqbuf(self->out, type, V4L2_MEMORY_DMABUF, &b);
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: output DQBUF %zu: %s", h->name, j, strerror(-ret));
			}
			ASSERT_EQ(j, b.index);
			EXPECT_EQ(buf[b.index], b.m.fd);
			EXPECT_EQ(0u, b.flags & V4L2_BUF_FLAG_ERROR) {
				TH_LOG("%s: output buffer %u flagged ERROR", h->name, b.index);
			}
		}
		EXPECT_EQ(0, stream(self->out, type, 0));
		EXPECT_EQ(0, reqbufs(self->out, type, V4L2_MEMORY_DMABUF, 0));
		for (j = 0; j < NBUFS; j++) {
			ASSERT_EQ(0, rh_sync(buf[j], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
			for (k = 0; k < size; k++)
				if (map[j][k] != (unsigned char)(k * 7 + j * 31 + 1))
					break;
			EXPECT_EQ(size, k) {
				TH_LOG("%s: output buffer %zu: byte %zu is 0x%02x after vivid had it, user space wrote 0x%02x",
				       h->name, j, k, map[j][k],
				       (unsigned char)(k * 7 + j * 31 + 1));
			}
			ASSERT_EQ(0, rh_sync(buf[j], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
			munmap(map[j], len);
			close(buf[j]);
		}
		EXPECT_EQ(bufs0, heap_buffers(h->name)) {
			TH_LOG("%s: buffers still allocated after the output queue let them go",
			       h->name);
		}
		TH_LOG("%s: %u buffers written by user space went through vivid's output",
		       h->name, NBUFS);
	}
	if (!done)
		SKIP(return, "no %s heap under %s", variant->kind, RH_SYSFS);
}

TEST_HARNESS_MAIN
