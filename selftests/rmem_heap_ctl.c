// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_ctl: the control device /dev/rmem_heap and its uAPI
 * (include/uapi/linux/rmem_heap.h), every ioctl on every heap: heap
 * figures against sysfs, partial CPU access brackets and their bounds, the
 * bus address with the module parameter off and on, with and without
 * CAP_SYS_RAWIO, struct sizes, reserved fields, flags and other
 * exporters' dma-bufs.
 *
 * The same source is built for armhf and run on an arm64 kernel with
 * CONFIG_COMPAT (rmem_heap_ctl32): the structs must mean the same to a
 * 32-bit caller.
 */

#include <stddef.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/rmem_heap.h>

#include "kselftest_harness.h"
#include "rmem_heap_common.h"

#define CTL_NODE	"/dev/" RMEM_HEAP_CONTROL_NODE
#define BUS_ADDR_PARAM	"/sys/module/rmem_heap/parameters/bus_addr"
#define RESMEM_DIR	"/proc/device-tree/reserved-memory"

/* The layout the uAPI promises, as a 32- or 64-bit compiler sees it. */
_Static_assert(sizeof(struct rmem_heap_info) == 128, "rmem_heap_info size");
_Static_assert(offsetof(struct rmem_heap_info, flags) == 32, "info.flags");
_Static_assert(offsetof(struct rmem_heap_info, region_size) == 48, "info.region_size");
_Static_assert(offsetof(struct rmem_heap_info, failed) == 104, "info.failed");
_Static_assert(offsetof(struct rmem_heap_info, reserved) == 112, "info.reserved");
_Static_assert(sizeof(struct rmem_heap_cpu_access) == 32, "cpu_access size");
_Static_assert(offsetof(struct rmem_heap_cpu_access, offset) == 8, "cpu_access.offset");
_Static_assert(offsetof(struct rmem_heap_cpu_access, reserved) == 24, "cpu_access.reserved");
_Static_assert(sizeof(struct rmem_heap_bus_addr) == 32, "bus_addr size");
_Static_assert(offsetof(struct rmem_heap_bus_addr, addr) == 8, "bus_addr.addr");
_Static_assert(offsetof(struct rmem_heap_bus_addr, size) == 16, "bus_addr.size");

static int cd_open(void)
{
	return open(CTL_NODE, O_RDWR | O_CLOEXEC);
}

static int cd_ioctl(int ctl, unsigned long cmd, void *arg)
{
	return ioctl(ctl, cmd, arg) < 0 ? -errno : 0;
}

static int cd_info(int ctl, const char *name, struct rmem_heap_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	return cd_ioctl(ctl, RMEM_HEAP_IOC_INFO, info);
}

static int cd_access(int ctl, int fd, uint32_t flags, uint64_t offset,
		      uint64_t length)
{
	struct rmem_heap_cpu_access acc;

	memset(&acc, 0, sizeof(acc));
	acc.fd = fd;
	acc.flags = flags;
	acc.offset = offset;
	acc.length = length;
	return cd_ioctl(ctl, RMEM_HEAP_IOC_CPU_ACCESS, &acc);
}

static int cd_bus_addr(int ctl, int fd, struct rmem_heap_bus_addr *ba)
{
	memset(ba, 0, sizeof(*ba));
	ba->fd = fd;
	return cd_ioctl(ctl, RMEM_HEAP_IOC_BUS_ADDR, ba);
}

/* One buffer of @len from heap @name, or -errno. */
static int alloc_from(const char *name, uint64_t len, int *buf)
{
	int hfd = rh_open_heap(name), ret;

	if (hfd < 0)
		return hfd;
	ret = rh_alloc(hfd, len, buf);
	close(hfd);
	return ret;
}

/* Big-endian cells of a reserved-memory property. */
static uint64_t be_cells(const unsigned char *p, unsigned int cells)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < cells * 4; i++)
		v = v << 8 | p[i];
	return v;
}

static unsigned int dt_cells(const char *name)
{
	unsigned char b[4];
	char path[256];
	int fd;

	snprintf(path, sizeof(path), RESMEM_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, b, 4) != 4)
		b[0] = b[1] = b[2] = b[3] = 0;
	close(fd);
	return (unsigned int)be_cells(b, 1);
}

/*
 * Is [addr, addr + size) inside one reserved-memory node's reg?  The lab's
 * machines translate no bus addresses (no dma-ranges), so a bus address is
 * the physical one there.
 */
static int in_reserved_memory(uint64_t addr, uint64_t size)
{
	unsigned int ac = dt_cells("#address-cells"), sc = dt_cells("#size-cells");
	unsigned char reg[64];
	struct dirent *de;
	int found = 0;
	DIR *d;

	if (!ac || ac > 2 || sc > 2 || !sc)
		return 0;
	d = opendir(RESMEM_DIR);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char path[512];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.' || de->d_name[0] == '#')
			continue;
		snprintf(path, sizeof(path), RESMEM_DIR "/%s/reg", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, reg, sizeof(reg));
		close(fd);
		if (n >= (ssize_t)((ac + sc) * 4)) {
			uint64_t base = be_cells(reg, ac);
			uint64_t len = be_cells(reg + ac * 4, sc);

			found = addr >= base && size <= len &&
				addr - base <= len - size;
		}
	}
	closedir(d);
	return found;
}

/* Drop CAP_SYS_RAWIO from this process's effective set. */
static int drop_rawio(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

FIXTURE(ctl) {
	struct rh_heap heaps[RH_MAX_HEAPS];
	int nheaps;
	int fd;
};

FIXTURE_SETUP(ctl)
{
	self->nheaps = rh_discover(self->heaps, RH_MAX_HEAPS);
	ASSERT_LT(0, self->nheaps) {
		TH_LOG("no heaps under %s", RH_SYSFS);
	}
	self->fd = cd_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s", CTL_NODE, strerror(errno));
	}
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The node is a char device of the misc class. */
TEST_F(ctl, node)
{
	struct stat st;
	char link[256];
	ssize_t n;

	ASSERT_EQ(0, stat(CTL_NODE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	n = readlink("/sys/class/misc/" RMEM_HEAP_CONTROL_NODE "/subsystem", link,
		     sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	EXPECT_NE(NULL, strstr(link, "misc"));
}

/* Every heap's figures agree with sysfs and follow an allocation. */
TEST_F(ctl, info_every_heap)
{
	long page = sysconf(_SC_PAGESIZE);
	int i;

	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		struct rmem_heap_info a, b, c;
		uint64_t len = RH_MIB;
		int buf;

		ASSERT_EQ(0, cd_info(self->fd, h->name, &a)) {
			TH_LOG("%s: info", h->name);
		}
		EXPECT_STREQ(h->name, a.name);
		EXPECT_EQ(h->size, a.region_size);
		EXPECT_EQ((uint32_t)(h->reusable ? RMEM_HEAP_REGION_REUSABLE :
				     RMEM_HEAP_REGION_NOMAP), a.region_type);
		EXPECT_EQ((uint32_t)(h->policy == RH_CACHED ? RMEM_HEAP_POLICY_CACHED :
			  h->policy == RH_UNCACHED ? RMEM_HEAP_POLICY_UNCACHED :
			  RMEM_HEAP_POLICY_COHERENT), a.cache_policy);
		EXPECT_LE((uint32_t)page, a.granule);
		EXPECT_EQ(0u, a.granule & (a.granule - 1));
		EXPECT_LE(a.used, a.region_size);
		EXPECT_EQ(a.region_size - a.used, a.free);
		EXPECT_LE(a.largest_free, a.free);
		EXPECT_LE(a.used, a.peak_used);
		EXPECT_EQ(0u, a.reserved[0] | a.reserved[1]);
		/* reusable: only kept chunks, at most half of the region */
		if (h->reusable)
			EXPECT_LE(a.pending_zero, a.region_size / 2);

		if (len > a.region_size / 2)
			len = a.region_size / 2 & ~((uint64_t)page - 1);
		ASSERT_EQ(0, alloc_from(h->name, len, &buf)) {
			TH_LOG("%s: alloc %llu", h->name, (unsigned long long)len);
		}
		ASSERT_EQ(0, cd_info(self->fd, h->name, &b));
		EXPECT_LE(a.used + len, b.used) {
			TH_LOG("%s: used %llu -> %llu after %llu", h->name,
			       (unsigned long long)a.used,
			       (unsigned long long)b.used,
			       (unsigned long long)len);
		}
		EXPECT_EQ(a.buffers + 1, b.buffers);
		EXPECT_LE(b.used, b.peak_used);
		close(buf);
		ASSERT_EQ(0, cd_info(self->fd, h->name, &c));
		EXPECT_EQ(a.used, c.used);
		EXPECT_EQ(a.buffers, c.buffers);
	}
}

TEST_F(ctl, info_errors)
{
	struct rmem_heap_info info;

	EXPECT_EQ(-ENOENT, cd_info(self->fd, "no-such-heap", &info));
	/* the kernel's own heaps are not ours, whether they exist or not */
	EXPECT_EQ(-ENOENT, cd_info(self->fd, "system", &info));
	EXPECT_EQ(-EINVAL, cd_info(self->fd, "", &info));

	memset(&info, 'a', sizeof(info.name));	/* no NUL */
	memset(&info.flags, 0, sizeof(info) - sizeof(info.name));
	EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, RMEM_HEAP_IOC_INFO, &info));

	ASSERT_EQ(0, cd_info(self->fd, self->heaps[0].name, &info));
	memset(&info, 0, sizeof(info));
	strcpy(info.name, self->heaps[0].name);
	info.flags = 1;
	EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, RMEM_HEAP_IOC_INFO, &info));
	info.flags = 0;
	info.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, RMEM_HEAP_IOC_INFO, &info));
	info.reserved[1] = 0;
	EXPECT_EQ(0, cd_ioctl(self->fd, RMEM_HEAP_IOC_INFO, &info));
	EXPECT_EQ(-EFAULT, cd_ioctl(self->fd, RMEM_HEAP_IOC_INFO, NULL));
}

/* Sizes in the ioctl number, directions, numbers and magic. */
TEST_F(ctl, abi_sizes)
{
	struct {
		struct rmem_heap_info info;
		uint64_t tail[3];
	} big;
	unsigned int rw = _IOC_READ | _IOC_WRITE;
	const char *name = self->heaps[0].name;

	memset(&big, 0, sizeof(big));
	strcpy(big.info.name, name);
	/* a newer caller's larger struct: fine while the rest is zero */
	EXPECT_EQ(0, cd_ioctl(self->fd, _IOC(rw, RMEM_HEAP_IOC_MAGIC, 0,
					      sizeof(big)), &big));
	EXPECT_EQ(self->heaps[0].size, big.info.region_size);
	memset(&big.info.flags, 0, sizeof(big.info) - sizeof(big.info.name));
	big.tail[2] = 7;
	EXPECT_EQ(-E2BIG, cd_ioctl(self->fd, _IOC(rw, RMEM_HEAP_IOC_MAGIC, 0,
						   sizeof(big)), &big));
	big.tail[2] = 0;
	/* an older, smaller struct is not a version we know */
	EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, _IOC(rw, RMEM_HEAP_IOC_MAGIC, 0,
						    sizeof(big.info) - 8), &big));
	EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, _IOC(_IOC_WRITE, RMEM_HEAP_IOC_MAGIC, 1,
						    sizeof(struct rmem_heap_cpu_access) - 8),
				     &big));
	EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, _IOC(rw, RMEM_HEAP_IOC_MAGIC, 2,
						    sizeof(struct rmem_heap_bus_addr) - 8),
				     &big));
	/* wrong direction, number or magic */
	EXPECT_EQ(-ENOTTY, cd_ioctl(self->fd, _IOC(_IOC_READ, RMEM_HEAP_IOC_MAGIC, 0,
						    sizeof(big.info)), &big));
	EXPECT_EQ(-ENOTTY, cd_ioctl(self->fd, _IOC(rw, RMEM_HEAP_IOC_MAGIC, 3,
						    sizeof(big.info)), &big));
	EXPECT_EQ(-ENOTTY, cd_ioctl(self->fd, _IOC(rw, RMEM_HEAP_IOC_MAGIC, 0xff,
						    sizeof(big.info)), &big));
	EXPECT_EQ(-ENOTTY, cd_ioctl(self->fd, _IOC(rw, 'H', 0, sizeof(big.info)),
				     &big));
}

/* Fill [off, off + len) through @map inside a WRITE bracket, check it in a READ one. */
static int bracketed_round_trip(int ctl, int buf, unsigned char *map,
				uint64_t off, uint64_t len, unsigned char seed)
{
	uint64_t i;
	int ret;

	ret = cd_access(ctl, buf, RMEM_HEAP_ACCESS_START | RMEM_HEAP_ACCESS_WRITE,
			 off, len);
	if (ret)
		return ret;
	for (i = 0; i < len; i++)
		map[off + i] = (unsigned char)(seed + i * 7);
	ret = cd_access(ctl, buf, RMEM_HEAP_ACCESS_END | RMEM_HEAP_ACCESS_WRITE,
			 off, len);
	if (ret)
		return ret;
	ret = cd_access(ctl, buf, RMEM_HEAP_ACCESS_START | RMEM_HEAP_ACCESS_READ,
			 off, len);
	if (ret)
		return ret;
	for (i = 0; i < len; i++)
		if (map[off + i] != (unsigned char)(seed + i * 7))
			return -EIO;
	return cd_access(ctl, buf, RMEM_HEAP_ACCESS_END | RMEM_HEAP_ACCESS_READ,
			  off, len);
}

/* Partial CPU access brackets on every heap, and their bounds. */
TEST_F(ctl, cpu_access_every_heap)
{
	const uint64_t len = 256 * RH_KIB;
	int i;

	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		const struct { uint64_t off, len; } ranges[] = {
			{ 0, 1 }, { 4095, 2 }, { len - 1, 1 }, { 0, len },
			{ 3 * 4096 + 5, 10000 }, { len - 8192, 8192 },
		};
		struct rmem_heap_cpu_access acc;
		unsigned char *map;
		unsigned int r;
		int buf;

		ASSERT_EQ(0, alloc_from(h->name, len, &buf)) {
			TH_LOG("%s: alloc", h->name);
		}
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
		ASSERT_NE(MAP_FAILED, map);
		for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
			EXPECT_EQ(0, bracketed_round_trip(self->fd, buf, map,
							  ranges[r].off, ranges[r].len,
							  (unsigned char)(r + i))) {
				TH_LOG("%s: range %llu+%llu", h->name,
				       (unsigned long long)ranges[r].off,
				       (unsigned long long)ranges[r].len);
			}
		}
		EXPECT_EQ(0, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_START |
					RMEM_HEAP_ACCESS_RW, 100, 200));
		EXPECT_EQ(0, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_END |
					RMEM_HEAP_ACCESS_RW, 100, 200));

		/* bounds: nothing empty, nothing past the end, no wrap */
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ, 0, 0));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ, len, 1));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ,
					      len - 1, 2));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ, 0,
					      len + 1));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ, 4096,
					      UINT64_MAX));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ,
					      UINT64_MAX, 1));
		/* flags: a direction is needed, nothing undefined */
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_START, 0, 1));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_END, 0, 1));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, RMEM_HEAP_ACCESS_READ | 0x8,
					      0, 1));
		EXPECT_EQ(-EINVAL, cd_access(self->fd, buf, 0x80000001u, 0, 1));
		memset(&acc, 0, sizeof(acc));
		acc.fd = buf;
		acc.flags = RMEM_HEAP_ACCESS_READ;
		acc.length = 1;
		acc.reserved = 1;
		EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, RMEM_HEAP_IOC_CPU_ACCESS, &acc));
		munmap(map, len);
		close(buf);
	}
}

/* fds that are not our dma-bufs. */
TEST_F(ctl, foreign_fds)
{
	struct rmem_heap_bus_addr ba;
	int null, sys = -1;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	EXPECT_EQ(-EBADF, cd_access(self->fd, -1, RMEM_HEAP_ACCESS_READ, 0, 1));
	EXPECT_EQ(-EINVAL, cd_access(self->fd, null, RMEM_HEAP_ACCESS_READ, 0, 1));
	/* another exporter's dma-buf: the kernel's system heap */
	if (alloc_from("system", 64 * RH_KIB, &sys) == 0) {
		EXPECT_EQ(-EINVAL, cd_access(self->fd, sys, RMEM_HEAP_ACCESS_READ, 0, 1));
		if (rh_write_file(BUS_ADDR_PARAM, "1") == 0) {
			EXPECT_EQ(-EINVAL, cd_bus_addr(self->fd, sys, &ba));
			EXPECT_EQ(-EINVAL, cd_bus_addr(self->fd, null, &ba));
			EXPECT_EQ(-EBADF, cd_bus_addr(self->fd, -1, &ba));
			rh_write_file(BUS_ADDR_PARAM, "0");
		}
		close(sys);
	} else {
		TH_LOG("no kernel system heap: the other-exporter case uses /dev/null only");
	}
	close(null);
}

/* The bus address: off by default, CAP_SYS_RAWIO only, inside the region. */
TEST_F(ctl, bus_addr)
{
	struct rmem_heap_bus_addr ba, bb;
	char old[8] = "";
	int i;

	ASSERT_LT(0, rh_read_file(BUS_ADDR_PARAM, old, sizeof(old))) {
		TH_LOG("%s: %s", BUS_ADDR_PARAM, strerror(errno));
	}
	ASSERT_EQ(0, rh_write_file(BUS_ADDR_PARAM, "0"));
	for (i = 0; i < self->nheaps; i++) {
		const struct rh_heap *h = &self->heaps[i];
		int a, b, status;
		pid_t pid;

		ASSERT_EQ(0, alloc_from(h->name, 64 * RH_KIB, &a));
		ASSERT_EQ(0, alloc_from(h->name, 128 * RH_KIB, &b));

		ASSERT_EQ(0, rh_write_file(BUS_ADDR_PARAM, "0"));
		EXPECT_EQ(-EOPNOTSUPP, cd_bus_addr(self->fd, a, &ba));
		ASSERT_EQ(0, rh_write_file(BUS_ADDR_PARAM, "1"));

		memset(&ba, 0, sizeof(ba));
		ba.fd = a;
		ba.flags = 1;
		EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, RMEM_HEAP_IOC_BUS_ADDR, &ba));
		ba.flags = 0;
		ba.reserved = 1;
		EXPECT_EQ(-EINVAL, cd_ioctl(self->fd, RMEM_HEAP_IOC_BUS_ADDR, &ba));

		ASSERT_EQ(0, cd_bus_addr(self->fd, a, &ba));
		ASSERT_EQ(0, cd_bus_addr(self->fd, b, &bb));
		EXPECT_EQ(64 * RH_KIB, ba.size);
		EXPECT_EQ(128 * RH_KIB, bb.size);
		EXPECT_EQ(0u, ba.addr & 4095);
		EXPECT_EQ(0u, ba.reserved);
		EXPECT_TRUE(ba.addr + ba.size <= bb.addr || bb.addr + bb.size <= ba.addr);
		EXPECT_TRUE(in_reserved_memory(ba.addr, ba.size)) {
			TH_LOG("%s: 0x%llx+0x%llx in no reserved-memory node", h->name,
			       (unsigned long long)ba.addr, (unsigned long long)ba.size);
		}
		EXPECT_TRUE(in_reserved_memory(bb.addr, bb.size));

		/* without CAP_SYS_RAWIO: EPERM, even with the parameter on */
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct rmem_heap_bus_addr bc;

			if (drop_rawio())
				_exit(2);
			_exit(cd_bus_addr(self->fd, a, &bc) == -EPERM ? 0 : 1);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("%s: child without CAP_SYS_RAWIO exited %d", h->name,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		close(a);
		close(b);
	}
	rh_write_file(BUS_ADDR_PARAM, old[0] == 'Y' ? "1" : "0");
}

TEST_HARNESS_MAIN
