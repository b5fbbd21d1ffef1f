// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heapctl: list, inspect and exercise rmem-heap heaps from the shell.
 *
 *   rmem-heapctl [--json] list | info HEAP | alloc HEAP SIZE [--hold S]
 *                [--fill BYTE] | buffers [HEAP] | phys FD|PID:FD
 *
 * Figures come from the control device (/dev/rmem_heap, RMEM_HEAP_IOC_INFO)
 * and, where it is absent or closed to the caller, from sysfs
 * (/sys/class/rmem_heap/<heap>/); live buffers from debugfs.  Plain C,
 * libc only.  See rmem-heapctl(8).
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/rmem_heap.h>

#ifndef RMEM_HEAPCTL_VERSION
#define RMEM_HEAPCTL_VERSION "1.0"
#endif

/* The same numbers on every Linux architecture (the unified syscall table). */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define HEAP_DIR	"/dev/dma_heap"
#define CONTROL		"/dev/" RMEM_HEAP_CONTROL_NODE
#define SYSFS		"/sys/class/rmem_heap"
#define UDEV_RULE	"Documentation/udev/60-rmem-heap.rules"
#define MAX_HEAPS	64

/* Exit statuses (rmem-heapctl(8), EXIT STATUS). */
enum {
	EX_OK = 0,
	EX_FAIL = 1,		/* any other error */
	EX_USAGE = 2,		/* bad command line, bad size string */
	EX_NOHEAP = 3,		/* no such heap */
	EX_PERM = 4,		/* permission denied */
	EX_FULL = 5,		/* the heap cannot give that much (ENOMEM) */
	EX_UNAVAIL = 6,		/* not available: control device, debugfs,
				 * bus addresses off */
	EX_NOTOURS = 7,		/* not an rmem-heap heap or buffer */
};

static const char *prog = "rmem-heapctl";
static int json;

/* ---- messages ---------------------------------------------------------- */

static void jstr(const char *s);

/* The symbolic name of the errnos this tool explains (JSON "errno"). */
static const char *errno_name(int err)
{
	static const struct { int e; const char *n; } t[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ ENXIO, "ENXIO" }, { EBADF, "EBADF" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOTTY, "ENOTTY" }, { ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == err)
			return t[i].n;
	return "other";
}

/*
 * An error: the message on stderr; with --json also one object on stdout,
 * {"error": message, "status": code, "errno": name} and what extra adds.
 */
struct jextra {
	const char *key;
	int is_str;
	const char *s;
	uint64_t u;
};

static int fail_x(int code, int err, const struct jextra *extra, int nextra,
		  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, msg);
	if (json) {
		printf("{\"error\":");
		jstr(msg);
		printf(",\"status\":%d", code);
		if (err) {
			printf(",\"errno\":");
			jstr(errno_name(err));
		}
		for (i = 0; i < nextra; i++) {
			printf(",");
			jstr(extra[i].key);
			printf(":");
			if (extra[i].is_str)
				jstr(extra[i].s);
			else
				printf("%" PRIu64, extra[i].u);
		}
		printf("}\n");
	}
	return code;
}

#define fail(code, err, ...) fail_x(code, err, NULL, 0, __VA_ARGS__)

/* ---- JSON output -------------------------------------------------------- */

static void jstr(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

/* A tiny emitter: objects and arrays nest, commas are placed for us. */
static int jfirst[16];
static int jdepth;

static void jsep(void)
{
	if (!jfirst[jdepth])
		putchar(',');
	jfirst[jdepth] = 0;
}

static void jkey(const char *k)
{
	jsep();
	jstr(k);
	putchar(':');
	jfirst[jdepth] = 0;
}

static void jopen(const char *k, char c)
{
	if (k)
		jkey(k);
	else if (jdepth)
		jsep();
	putchar(c);
	jfirst[++jdepth] = 1;
}

static void jclose(char c)
{
	putchar(c);
	jdepth--;
	if (!jdepth)
		putchar('\n');
}

static void jks(const char *k, const char *v)
{
	jkey(k);
	jstr(v);
}

static void jku(const char *k, uint64_t v)
{
	jkey(k);
	printf("%" PRIu64, v);
}

static void jki(const char *k, int64_t v)
{
	jkey(k);
	printf("%" PRId64, v);
}

static void jkb(const char *k, int v)
{
	jkey(k);
	fputs(v ? "true" : "false", stdout);
}

static void jknull(const char *k)
{
	jkey(k);
	fputs("null", stdout);
}

/* ---- sizes ------------------------------------------------------------- */

/* up to PiB: 2^64 is 16384 PiB, and rest * 100 below stays under 2^57 */
static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

/*
 * "64 MiB", "1.5 GiB", "4095 B": the largest unit the value reaches, at most
 * two decimals; "~" in front when that is not the exact value (truncated).
 */
static const char *hsize(uint64_t v, char *buf, size_t len)
{
	unsigned int u = 0;
	uint64_t unit, whole, rest, frac;
	const char *approx;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && v >> (10 * (u + 1)))
		u++;
	unit = 1ull << (10 * u);
	whole = v / unit;
	rest = v % unit;
	if (u == 0)
		frac = 0;
	else
		frac = rest * 100 / unit;
	approx = (rest * 100) % unit ? "~" : "";
	if (!frac)
		snprintf(buf, len, "%s%" PRIu64 " %s", approx, whole, units[u]);
	else if (frac % 10)
		snprintf(buf, len, "%s%" PRIu64 ".%02" PRIu64 " %s", approx, whole, frac, units[u]);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%" PRIu64 " %s", approx, whole, frac / 10,
			 units[u]);
	return buf;
}

/*
 * Parse a size: digits, an optional fraction, an optional unit (B, k/K/KB/
 * KiB, M.., G.., T.., P.., E.., case-insensitive, all powers of 1024), blanks
 * allowed between number and unit.  The result must be a whole number of
 * bytes.  Returns 0 or -EINVAL (format) / -ERANGE (too large).
 */
static int parse_size(const char *s, uint64_t *out)
{
	static const char letters[] = "bkmgtpe";
	uint64_t whole = 0, frac = 0, scale = 1, unit = 1, v;
	const char *p = s, *l;
	int digits = 0, shift;
	char suf[8];
	size_t n;

	while (isdigit((unsigned char)*p)) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
			return -ERANGE;
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (scale >= 1000000000000ull)
				return -EINVAL;	/* more precision than any unit needs */
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
			p++;
			digits++;
		}
	}
	if (!digits)
		return -EINVAL;
	while (*p == ' ')
		p++;
	n = strlen(p);
	if (n >= sizeof(suf))
		return -EINVAL;
	for (n = 0; p[n]; n++)
		suf[n] = (char)tolower((unsigned char)p[n]);
	suf[n] = '\0';
	if (n) {
		l = strchr(letters, suf[0]);
		if (!l)
			return -EINVAL;
		shift = (int)(l - letters) * 10;
		if (suf[0] == 'b' ? n != 1 :
		    !(n == 1 || (n == 2 && suf[1] == 'b') ||
		      (n == 3 && suf[1] == 'i' && suf[2] == 'b')))
			return -EINVAL;
		unit = 1ull << shift;
	}
	if (__builtin_mul_overflow(whole, unit, &v))
		return -ERANGE;
	/*
	 * frac / scale of a unit, exact bytes only: cancel the powers of two
	 * that unit (2^n) and scale (10^k) share; what is left of scale must
	 * divide frac.
	 */
	if (frac) {
		uint64_t f;

		while (unit > 1 && !(scale % 2)) {
			unit /= 2;
			scale /= 2;
		}
		if (frac % scale)
			return -EINVAL;
		if (__builtin_mul_overflow(frac / scale, unit, &f) ||
		    __builtin_add_overflow(v, f, &v))
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/* A non-negative decimal integer (no sign, no blanks); -1 if it is not. */
static long long parse_uint(const char *s, long long max)
{
	long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* ---- heaps ------------------------------------------------------------- */

struct heap {
	char name[RMEM_HEAP_NAME_LEN];
	int ours;		/* an rmem-heap heap */
	int have;		/* figures below are valid */
	const char *source;	/* "ioctl" or "sysfs" */
	char type[16];
	char policy[16];
	uint64_t granule;	/* 0: unknown (sysfs) */
	uint64_t size, used, free, largest_free, pending_zero;
	uint64_t buffers, peak_used, failed;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in /dev/dma_heap, sorted; count or -errno. */
static int heap_names(char names[][RMEM_HEAP_NAME_LEN], int max)
{
	char *ptr[MAX_HEAPS];
	char tmp[MAX_HEAPS][RMEM_HEAP_NAME_LEN];
	struct dirent *de;
	DIR *d;
	int n = 0, i;

	d = opendir(HEAP_DIR);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max && n < MAX_HEAPS) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= RMEM_HEAP_NAME_LEN)
			continue;
		strcpy(tmp[n], de->d_name);
		ptr[n] = tmp[n];
		n++;
	}
	closedir(d);
	qsort(ptr, (size_t)n, sizeof(ptr[0]), cmp_name);
	for (i = 0; i < n; i++)
		strcpy(names[i], ptr[i]);
	return n;
}

/* "a b c" of the heaps there are, for messages. */
static const char *heap_list(char *buf, size_t len)
{
	char names[MAX_HEAPS][RMEM_HEAP_NAME_LEN];
	size_t used = 0;
	int n, i;

	n = heap_names(names, MAX_HEAPS);
	if (n < 0)
		snprintf(buf, len, "none: no %s (%s)", HEAP_DIR, strerror(-n));
	else if (!n)
		snprintf(buf, len, "none");
	else
		buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", names[i]);
	return buf;
}

static int control_fd = -2;	/* -2: not tried yet; <0: -errno of the open */

static int control(void)
{
	if (control_fd == -2) {
		control_fd = open(CONTROL, O_RDWR | O_CLOEXEC);
		if (control_fd < 0 && errno == EACCES)
			control_fd = open(CONTROL, O_RDONLY | O_CLOEXEC);
		if (control_fd < 0)
			control_fd = -errno;
	}
	return control_fd;
}

static int read_sysfs(const char *heap, const char *attr, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS "/%s/%s", heap, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0 || buf[n - 1] != '\n')
		return -EINVAL;
	buf[n - 1] = '\0';
	return 0;
}

static int read_sysfs_u64(const char *heap, const char *attr, uint64_t *v)
{
	char buf[32], *end;
	int ret;

	ret = read_sysfs(heap, attr, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return (errno || *end || end == buf) ? -EINVAL : 0;
}

static const char *type_name(uint32_t t)
{
	return t == RMEM_HEAP_REGION_NOMAP ? "no-map" :
	       t == RMEM_HEAP_REGION_REUSABLE ? "reusable" : "unknown";
}

static const char *policy_name(uint32_t p)
{
	return p == RMEM_HEAP_POLICY_CACHED ? "cached" :
	       p == RMEM_HEAP_POLICY_UNCACHED ? "uncached" :
	       p == RMEM_HEAP_POLICY_COHERENT ? "coherent" : "unknown";
}

/*
 * What we know of heap name: RMEM_HEAP_IOC_INFO when the control device
 * answers; sysfs when it is absent or closed to us.  Returns 0 (h filled;
 * h->ours says whether it is one of ours) or -errno of a failed ioctl.
 */
static int heap_info(const char *name, struct heap *h)
{
	struct rmem_heap_info info;
	int fd = control(), ret;

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		snprintf(info.name, sizeof(info.name), "%s", name);
		if (!ioctl(fd, RMEM_HEAP_IOC_INFO, &info)) {
			h->ours = h->have = 1;
			h->source = "ioctl";
			snprintf(h->type, sizeof(h->type), "%s", type_name(info.region_type));
			snprintf(h->policy, sizeof(h->policy), "%s", policy_name(info.cache_policy));
			h->granule = info.granule;
			h->size = info.region_size;
			h->used = info.used;
			h->free = info.free;
			h->largest_free = info.largest_free;
			h->pending_zero = info.pending_zero;
			h->buffers = info.buffers;
			h->peak_used = info.peak_used;
			h->failed = info.failed;
			return 0;
		}
		ret = -errno;
		/* not ours: the control device knows every heap of the module */
		if (ret == -ENOENT || ret == -EINVAL || ret == -ENODEV)
			return 0;
		return ret;
	}
	/* no control device (or not ours to open): the class devices */
	if (read_sysfs(name, "type", h->type, sizeof(h->type)))
		return 0;
	h->ours = 1;
	if (read_sysfs(name, "policy", h->policy, sizeof(h->policy)) ||
	    read_sysfs_u64(name, "size", &h->size) ||
	    read_sysfs_u64(name, "used", &h->used) ||
	    read_sysfs_u64(name, "free", &h->free) ||
	    read_sysfs_u64(name, "largest_free", &h->largest_free) ||
	    read_sysfs_u64(name, "zero_pending", &h->pending_zero) ||
	    read_sysfs_u64(name, "buffers", &h->buffers) ||
	    read_sysfs_u64(name, "peak_used", &h->peak_used) ||
	    read_sysfs_u64(name, "failed", &h->failed))
		return 0;	/* ours, but the figures could not be read */
	h->have = 1;
	h->source = "sysfs";
	return 0;
}

static int no_heap(const char *name)
{
	char list[1024];
	struct jextra x = { "heaps", 1, NULL, 0 };

	x.s = heap_list(list, sizeof(list));
	return fail_x(EX_NOHEAP, ENOENT, &x, 1, "no heap \"%s\" in %s (heaps: %s)",
		      name, HEAP_DIR, list);
}

/* The heap's node must exist: 0, or the exit status after the message. */
static int need_heap(const char *name)
{
	char path[256];
	struct stat st;

	if (!*name || strchr(name, '/') || strlen(name) >= RMEM_HEAP_NAME_LEN)
		return no_heap(name);
	snprintf(path, sizeof(path), HEAP_DIR "/%s", name);
	if (stat(path, &st))
		return errno == EACCES ? fail(EX_PERM, EACCES, "%s: %s", path, strerror(EACCES))
				       : no_heap(name);
	return 0;
}

static int info_failed(const char *name, int err)
{
	if (err == EACCES || err == EPERM)
		return fail(EX_PERM, err, "%s: RMEM_HEAP_IOC_INFO on %s: %s", name, CONTROL,
			    strerror(err));
	return fail(EX_FAIL, err, "%s: RMEM_HEAP_IOC_INFO on %s: %s", name, CONTROL,
		    strerror(err));
}

static void json_heap(const struct heap *h)
{
	jks("name", h->name);
	jks("kind", h->ours ? "rmem-heap" : "kernel");
	jkb("rmem", h->ours);
	if (!h->ours)
		return;
	if (!h->have) {
		jknull("source");
		return;
	}
	jks("source", h->source);
	jks("type", h->type);
	jks("policy", h->policy);
	if (h->granule)
		jku("granule", h->granule);
	else
		jknull("granule");
	jku("size", h->size);
	jku("used", h->used);
	jku("free", h->free);
	jku("largest_free", h->largest_free);
	jku("pending_zero", h->pending_zero);
	jku("buffers", h->buffers);
	jku("peak_used", h->peak_used);
	jku("failed", h->failed);
}

/* ---- list, info --------------------------------------------------------- */

static int cmd_list(void)
{
	char names[MAX_HEAPS][RMEM_HEAP_NAME_LEN];
	struct heap h[MAX_HEAPS];
	char a[32], b[32], c[32], d[32];
	int n, i, ret;

	n = heap_names(names, MAX_HEAPS);
	if (n < 0)
		return fail(n == -ENOENT ? EX_NOHEAP : EX_FAIL, -n,
			    "%s: %s (no dma-heap at all: is the rmem_heap module loaded?)",
			    HEAP_DIR, strerror(-n));
	for (i = 0; i < n; i++) {
		ret = heap_info(names[i], &h[i]);
		if (ret)
			return info_failed(names[i], -ret);
	}
	if (json) {
		jopen(NULL, '{');
		if (control() >= 0)
			jks("control", CONTROL);
		else
			jknull("control");
		jopen("heaps", '[');
		for (i = 0; i < n; i++) {
			jopen(NULL, '{');
			json_heap(&h[i]);
			jclose('}');
		}
		jclose(']');
		jclose('}');
		return EX_OK;
	}
	printf("%-20s %-9s %-9s %-8s %10s %10s %10s %10s\n", "HEAP", "OWNER", "TYPE",
	       "POLICY", "SIZE", "USED", "FREE", "LARGEST");
	for (i = 0; i < n; i++) {
		if (!h[i].ours)
			printf("%-20s %-9s %s\n", h[i].name, "kernel",
			       "(the kernel's own heap: no figures)");
		else if (!h[i].have)
			printf("%-20s %-9s %s\n", h[i].name, "rmem-heap", "(figures unreadable)");
		else
			printf("%-20s %-9s %-9s %-8s %10s %10s %10s %10s\n", h[i].name,
			       "rmem-heap", h[i].type, h[i].policy,
			       hsize(h[i].size, a, sizeof(a)), hsize(h[i].used, b, sizeof(b)),
			       hsize(h[i].free, c, sizeof(c)),
			       hsize(h[i].largest_free, d, sizeof(d)));
	}
	if (control() < 0)
		printf("(figures from %s: %s: %s)\n", SYSFS, CONTROL, strerror(-control()));
	return EX_OK;
}

static int cmd_info(const char *name)
{
	struct heap h;
	char a[32];
	int ret;

	ret = need_heap(name);
	if (ret)
		return ret;
	ret = heap_info(name, &h);
	if (ret)
		return info_failed(name, -ret);
	if (json) {
		jopen(NULL, '{');
		json_heap(&h);
		jclose('}');
		return EX_OK;
	}
	printf("heap:         %s\n", h.name);
	printf("node:         %s/%s\n", HEAP_DIR, h.name);
	if (!h.ours) {
		printf("owner:        the kernel (not an rmem-heap heap: no figures)\n");
		return EX_OK;
	}
	printf("owner:        rmem-heap\n");
	if (!h.have)
		return fail(EX_FAIL, 0, "%s: the heap's figures could not be read", name);
	printf("type:         %s\n", h.type);
	printf("policy:       %s\n", h.policy);
	if (h.granule)
		printf("granule:      %s\n", hsize(h.granule, a, sizeof(a)));
	printf("size:         %s (%" PRIu64 ")\n", hsize(h.size, a, sizeof(a)), h.size);
	printf("used:         %s (%" PRIu64 ")\n", hsize(h.used, a, sizeof(a)), h.used);
	printf("free:         %s (%" PRIu64 ")\n", hsize(h.free, a, sizeof(a)), h.free);
	printf("largest free: %s (%" PRIu64 ")%s\n", hsize(h.largest_free, a, sizeof(a)),
	       h.largest_free, strcmp(h.type, "reusable") ? "" : " (an upper bound)");
	printf("pending zero: %s (%" PRIu64 ")\n", hsize(h.pending_zero, a, sizeof(a)),
	       h.pending_zero);
	printf("buffers:      %" PRIu64 "\n", h.buffers);
	printf("peak used:    %s (%" PRIu64 ")\n", hsize(h.peak_used, a, sizeof(a)), h.peak_used);
	printf("failed:       %" PRIu64 "\n", h.failed);
	printf("source:       %s\n", !strcmp(h.source, "ioctl") ?
	       CONTROL " (RMEM_HEAP_IOC_INFO)" : SYSFS);
	return EX_OK;
}

/* ---- alloc -------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int perm_denied(const char *path, int err)
{
	return fail(EX_PERM, err, "%s: %s (ask the administrator to install the udev rule %s, "
		    "which gives group \"video\" the heaps, and join that group)",
		    path, strerror(err), UDEV_RULE);
}

static int heap_full(const char *name, uint64_t size)
{
	struct jextra x[4] = {
		{ "heap", 1, name, 0 }, { "requested", 0, NULL, size },
	};
	char a[32], b[32], c[32], d[32];
	struct heap h;

	if (heap_info(name, &h) || !h.ours || !h.have)
		return fail_x(EX_FULL, ENOMEM, x, 2, "heap %s cannot allocate %s: out of memory",
			      name, hsize(size, a, sizeof(a)));
	x[2] = (struct jextra){ "largest_free", 0, NULL, h.largest_free };
	x[3] = (struct jextra){ "free", 0, NULL, h.free };
	return fail_x(EX_FULL, ENOMEM, x, 4,
		      "heap %s is full: cannot allocate %s; its largest free extent is %s%s "
		      "(free %s of %s)", name, hsize(size, a, sizeof(a)),
		      hsize(h.largest_free, b, sizeof(b)),
		      strcmp(h.type, "reusable") ? "" : " at most",
		      hsize(h.free, c, sizeof(c)), hsize(h.size, d, sizeof(d)));
}

static int sync_buf(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

static int cmd_alloc(const char *name, const char *size_str, long long hold, int fill)
{
	struct dma_heap_allocation_data data;
	char path[256], a[32], b[32];
	struct sigaction sa;
	uint64_t size, real;
	int hfd, bfd, ret, verified = 1;
	unsigned char *map;
	size_t i;
	off_t end;

	ret = parse_size(size_str, &size);
	if (ret || !size)
		return fail(EX_USAGE, 0, "bad size \"%s\": %s", size_str,
			    ret == -ERANGE ? "too large" :
			    !ret ? "must be at least 1 byte" :
			    "expected a number with an optional unit (4096, 4k, 64M, 1.5GiB) "
			    "making a whole number of bytes");
	if (size > SIZE_MAX)
		return fail(EX_USAGE, 0, "bad size \"%s\": more than this process can map",
			    size_str);
	ret = need_heap(name);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), HEAP_DIR "/%s", name);
	hfd = open(path, O_RDONLY | O_CLOEXEC);
	if (hfd < 0) {
		ret = errno;
		if (ret == EACCES || ret == EPERM)
			return perm_denied(path, ret);
		return fail(ret == ENOENT ? EX_NOHEAP : EX_FAIL, ret, "%s: %s", path,
			    strerror(ret));
	}
	memset(&data, 0, sizeof(data));
	data.len = size;
	data.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &data)) {
		ret = errno;
		close(hfd);
		if (ret == ENOMEM)
			return heap_full(name, size);
		if (ret == EACCES || ret == EPERM)
			return perm_denied(path, ret);
		return fail(EX_FAIL, ret, "heap %s: allocating %s: %s", name,
			    hsize(size, a, sizeof(a)), strerror(ret));
	}
	close(hfd);
	bfd = (int)data.fd;
	end = lseek(bfd, 0, SEEK_END);
	real = end > 0 ? (uint64_t)end : size;
	map = mmap(NULL, (size_t)real, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (map == MAP_FAILED) {
		ret = errno;
		close(bfd);
		return fail(EX_FAIL, ret, "heap %s: mmap of the %s buffer: %s", name,
			    hsize(real, a, sizeof(a)), strerror(ret));
	}
	ret = sync_buf(bfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	if (!ret) {
		memset(map, fill, (size_t)real);
		ret = sync_buf(bfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	}
	if (!ret)
		ret = sync_buf(bfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (!ret) {
		for (i = 0; i < real; i++)
			if (map[i] != fill) {
				verified = 0;
				break;
			}
		ret = sync_buf(bfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	}
	if (ret) {
		munmap(map, (size_t)real);
		close(bfd);
		return fail(EX_FAIL, -ret, "heap %s: DMA_BUF_IOCTL_SYNC: %s", name, strerror(-ret));
	}
	if (!verified) {
		munmap(map, (size_t)real);
		close(bfd);
		return fail(EX_FAIL, 0, "heap %s: byte %zu reads 0x%02x after filling with 0x%02x",
			    name, i, map[i], fill);
	}
	if (json) {
		jopen(NULL, '{');
		jks("heap", name);
		jku("requested", size);
		jku("size", real);
		jki("pid", getpid());
		jki("fd", bfd);
		jku("fill", (uint64_t)fill);
		jkb("verified", verified);
		jki("hold", hold);
		jclose('}');
	} else {
		printf("heap %s: allocated %s (%" PRIu64 " bytes%s%s), fd %d of pid %d\n", name,
		       hsize(real, a, sizeof(a)), real, real != size ? ", asked " : "",
		       real != size ? hsize(size, b, sizeof(b)) : "", bfd, (int)getpid());
		printf("filled with 0x%02x between DMA_BUF_IOCTL_SYNC brackets, read back\n", fill);
		if (hold)
			printf("holding it for %lld s (phys %d:%d shows where it is)\n", hold,
			       (int)getpid(), bfd);
	}
	fflush(stdout);
	if (hold) {
		struct timespec ts = { .tv_sec = (time_t)hold };

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	munmap(map, (size_t)real);
	close(bfd);
	if (!json)
		printf("freed\n");
	return EX_OK;
}

/* ---- buffers ----------------------------------------------------------- */

/* Where debugfs is mounted (first mount), or NULL. */
static const char *debugfs_dir(char *buf, size_t len)
{
	char line[512], dev[128], dir[256], type[64];
	const char *found = NULL;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "debugfs")) {
			snprintf(buf, len, "%s", dir);
			found = buf;
			break;
		}
	fclose(f);
	return found;
}

struct buf_line {
	uint64_t offset, size;
	char heap[RMEM_HEAP_NAME_LEN];
	long long cleans, invals;
	int pid;
	char comm[32];
	char name[128];
};

/* One line of a debugfs file: "offset size heap cleans invals pid comm name". */
static int parse_buf_line(const char *line, struct buf_line *b)
{
	int n = 0;

	if (sscanf(line, "%" SCNx64 " %" SCNu64 " %31s %lld %lld %d %31s %n", &b->offset,
		   &b->size, b->heap, &b->cleans, &b->invals, &b->pid, b->comm, &n) < 7 || !n)
		return -EINVAL;
	snprintf(b->name, sizeof(b->name), "%s", line + n);
	b->name[strcspn(b->name, "\n")] = '\0';
	return 0;
}

static int cmd_buffers(const char *only)
{
	char names[MAX_HEAPS][RMEM_HEAP_NAME_LEN];
	char dbg[256], dir[320], path[400], line[512], a[32];
	int n, i, ret, count = 0;
	FILE *files[MAX_HEAPS], *f;
	struct buf_line b;
	struct heap h;

	if (only) {
		ret = need_heap(only);
		if (ret)
			return ret;
		ret = heap_info(only, &h);
		if (ret)
			return info_failed(only, -ret);
		if (!h.ours)
			return fail(EX_NOTOURS, 0, "%s is the kernel's own heap: rmem-heapctl lists "
				    "the buffers of rmem-heap heaps only", only);
	}
	if (!debugfs_dir(dbg, sizeof(dbg)))
		return fail(EX_UNAVAIL, 0, "debugfs is not mounted: the live buffer lists are "
			    "there (mount -t debugfs debugfs /sys/kernel/debug)");
	snprintf(dir, sizeof(dir), "%.255s/rmem_heap", dbg);
	if (access(dir, F_OK))
		return fail(errno == EACCES ? EX_PERM : EX_UNAVAIL, errno,
			    "%s: %s (%s)", dir, strerror(errno), errno == EACCES ?
			    "debugfs is for root" :
			    "is the rmem_heap module loaded, with CONFIG_DEBUG_FS?");
	if (only) {
		snprintf(names[0], sizeof(names[0]), "%s", only);
		n = 1;
	} else {
		n = heap_names(names, MAX_HEAPS);
		if (n < 0)
			n = 0;
	}
	/* open every file first: an error prints nothing but its message */
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%.319s/%.31s", dir, names[i]);
		files[i] = fopen(path, "re");
		if (!files[i] && (errno != ENOENT || only)) {
			ret = errno;
			while (i--)
				if (files[i])
					fclose(files[i]);
			return fail(ret == EACCES ? EX_PERM : EX_FAIL, ret, "%s: %s%s", path,
				    strerror(ret), ret == EACCES ? " (debugfs is for root)" : "");
		}
	}
	if (json) {
		jopen(NULL, '{');
		jks("debugfs", dir);
		jopen("buffers", '[');
	} else {
		printf("%-20s %12s %10s %8s %8s %7s %-16s %s\n", "HEAP", "OFFSET", "SIZE",
		       "CLEANS", "INVALS", "PID", "COMM", "NAME");
	}
	for (i = 0; i < n; i++) {
		f = files[i];
		if (!f)
			continue;	/* a kernel heap: no debugfs file */
		snprintf(path, sizeof(path), "%.319s/%.31s", dir, names[i]);
		while (fgets(line, sizeof(line), f)) {
			if (line[0] == '#')
				continue;
			if (parse_buf_line(line, &b)) {
				fprintf(stderr, "%s: %s: unexpected line: %s", prog, path, line);
				continue;
			}
			/* a region's file lists its twin heap's buffers too */
			if (strcmp(b.heap, names[i]))
				continue;
			count++;
			if (json) {
				jopen(NULL, '{');
				jks("heap", b.heap);
				jku("offset", b.offset);
				jku("size", b.size);
				jki("cleans", b.cleans);
				jki("invals", b.invals);
				jki("pid", b.pid);
				jks("comm", b.comm);
				jks("name", b.name);
				jclose('}');
			} else {
				char off[24];

				snprintf(off, sizeof(off), "0x%" PRIx64, b.offset);
				printf("%-20s %12s %10s %8lld %8lld %7d %-16s %s\n",
				       b.heap, off, hsize(b.size, a, sizeof(a)), b.cleans,
				       b.invals, b.pid, b.comm, b.name);
			}
		}
		fclose(f);
	}
	if (json) {
		jclose(']');
		jku("count", (uint64_t)count);
		jclose('}');
	} else {
		printf("(%d live buffer%s)\n", count, count == 1 ? "" : "s");
	}
	return EX_OK;
}

/* ---- phys -------------------------------------------------------------- */

/* The exporter's name of a dma-buf fd of ours ("exp_name:" of fdinfo). */
static int exporter(int fd, char *buf, size_t len)
{
	char path[64], line[256];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "exp_name:", 9)) {
			char *p = line + 9;

			p += strspn(p, " \t");
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
			found = 1;
			break;
		}
	fclose(f);
	return found ? 0 : -ENOENT;
}

static int cmd_phys(const char *arg)
{
	struct rmem_heap_bus_addr ba;
	long long pid = 0, num;
	char exp[64] = "", a[32];
	const char *colon = strchr(arg, ':');
	int fd, cfd, ret;

	if (colon) {
		char pidstr[32];

		if ((size_t)(colon - arg) >= sizeof(pidstr))
			return fail(EX_USAGE, 0, "bad PID:FD \"%s\"", arg);
		memcpy(pidstr, arg, (size_t)(colon - arg));
		pidstr[colon - arg] = '\0';
		pid = parse_uint(pidstr, INT_MAX);
		num = parse_uint(colon + 1, INT_MAX);
		if (pid <= 0 || num < 0)
			return fail(EX_USAGE, 0, "bad PID:FD \"%s\"", arg);
	} else {
		num = parse_uint(arg, INT_MAX);
		if (num < 0)
			return fail(EX_USAGE, 0, "bad FD \"%s\" (a number, or PID:FD)", arg);
	}
	if (pid) {
		int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);

		if (pfd < 0) {
			ret = errno;
			if (ret == ESRCH)
				return fail(EX_FAIL, ret, "no process %lld", pid);
			if (ret != ENOSYS)
				return fail(EX_FAIL, ret, "pidfd_open(%lld): %s", pid, strerror(ret));
			fd = -1;
		} else {
			fd = (int)syscall(SYS_pidfd_getfd, pfd, (int)num, 0);
			ret = errno;
			close(pfd);
			if (fd < 0 && ret != ENOSYS) {
				if (ret == EBADF)
					return fail(EX_FAIL, ret, "process %lld has no fd %lld", pid,
						    num);
				if (ret == EPERM || ret == EACCES)
					return fail(EX_PERM, ret, "may not take fd %lld of process "
						    "%lld (%s: needs ptrace access: the same user, "
						    "or CAP_SYS_PTRACE)", num, pid, strerror(ret));
				return fail(EX_FAIL, ret, "pidfd_getfd(%lld:%lld): %s", pid, num,
					    strerror(ret));
			}
		}
		if (fd < 0) {
			/* kernels before 5.6: the magic link (dma-bufs may refuse it) */
			char path[64];

			snprintf(path, sizeof(path), "/proc/%lld/fd/%lld", pid, num);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return fail(errno == EACCES ? EX_PERM : EX_FAIL, errno, "%s: %s "
					    "(no pidfd_getfd on this kernel)", path, strerror(errno));
		}
	} else {
		fd = (int)num;
		if (fcntl(fd, F_GETFD) < 0)
			return fail(EX_FAIL, EBADF, "fd %d is not open in rmem-heapctl "
				    "(pass it down, or name another process's as PID:FD)", fd);
	}
	exporter(fd, exp, sizeof(exp));
	cfd = control();
	if (cfd < 0) {
		if (cfd == -EACCES || cfd == -EPERM)
			return fail(EX_PERM, -cfd, "%s: %s (bus addresses need root: "
				    "CAP_SYS_RAWIO)", CONTROL, strerror(-cfd));
		return fail(EX_UNAVAIL, -cfd, "%s: %s (no control device: is the rmem_heap "
			    "module loaded, and new enough?)", CONTROL, strerror(-cfd));
	}
	memset(&ba, 0, sizeof(ba));
	ba.fd = fd;
	if (ioctl(cfd, RMEM_HEAP_IOC_BUS_ADDR, &ba)) {
		ret = errno;
		switch (ret) {
		case EOPNOTSUPP:
			return fail(EX_UNAVAIL, ret, "bus addresses are off: the rmem_heap module "
				    "parameter bus_addr is 0 (load it with bus_addr=1, or as root: "
				    "echo 1 > /sys/module/rmem_heap/parameters/bus_addr)");
		case EPERM:
			return fail(EX_PERM, ret, "bus addresses need CAP_SYS_RAWIO (run as root): "
				    "an address lets one aim a device at memory");
		case EINVAL:
			if (!exp[0])
				return fail(EX_NOTOURS, ret, "%s is not a dma-buf", arg);
			return fail(EX_NOTOURS, ret, "%s is not a buffer of an rmem-heap heap "
				    "(its exporter is %s)", arg, exp);
		case ENOTTY:
			return fail(EX_UNAVAIL, ret, "%s does not know RMEM_HEAP_IOC_BUS_ADDR "
				    "(an older module?)", CONTROL);
		default:
			return fail(EX_FAIL, ret, "RMEM_HEAP_IOC_BUS_ADDR: %s", strerror(ret));
		}
	}
	if (json) {
		char hex[32];

		snprintf(hex, sizeof(hex), "0x%" PRIx64, (uint64_t)ba.addr);
		jopen(NULL, '{');
		if (pid)
			jki("pid", pid);
		jki("fd", num);
		jks("exporter", exp);
		jku("addr", ba.addr);
		jks("addr_hex", hex);
		jku("size", ba.size);
		jclose('}');
	} else {
		printf("%s: bus address %#" PRIx64 ", %s (%" PRIu64 " bytes, contiguous)%s%s\n",
		       arg, (uint64_t)ba.addr, hsize(ba.size, a, sizeof(a)), (uint64_t)ba.size,
		       exp[0] ? ", exporter " : "", exp);
	}
	return EX_OK;
}

/* ---- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--json] COMMAND [ARGS]\n"
		"\n"
		"  list                     every heap in " HEAP_DIR ", ours with their figures\n"
		"  info HEAP                one heap's figures (RMEM_HEAP_IOC_INFO)\n"
		"  alloc HEAP SIZE [--hold SECONDS] [--fill BYTE]\n"
		"                           allocate, map, fill (default 0xa5) and read back\n"
		"                           between DMA_BUF_IOCTL_SYNC brackets, hold, free\n"
		"  buffers [HEAP]           the live buffers (debugfs)\n"
		"  phys FD | PID:FD         a buffer's bus address (RMEM_HEAP_IOC_BUS_ADDR)\n"
		"\n"
		"  --json                   print one JSON object (errors too, on stdout)\n"
		"  --help, --version\n"
		"\n"
		"SIZE: 4096, 4k, 64M, 1.5GiB (units are powers of 1024).\n"
		"Exit status: 0 ok, 1 error, 2 usage, 3 no such heap, 4 permission denied,\n"
		"5 heap full, 6 not available, 7 not an rmem-heap heap or buffer.\n"
		"See rmem-heapctl(8).\n", prog);
}

int main(int argc, char **argv)
{
	const char *args[4] = { NULL };
	const char *hold_str = NULL, *fill_str = NULL;
	long long hold = 0, fill = 0xa5;
	int nargs = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EX_OK;
		} else if (!strcmp(a, "--version")) {
			printf("rmem-heapctl %s (control device ABI: <linux/rmem_heap.h>, "
			       "RMEM_HEAP_IOC_INFO %#lx)\n", RMEM_HEAPCTL_VERSION,
			       (unsigned long)RMEM_HEAP_IOC_INFO);
			return EX_OK;
		} else if (!strncmp(a, "--hold", 6) && (!a[6] || a[6] == '=')) {
			val = &hold_str;
		} else if (!strncmp(a, "--fill", 6) && (!a[6] || a[6] == '=')) {
			val = &fill_str;
		} else if (!strcmp(a, "--")) {
			while (++i < argc && nargs < 4)
				args[nargs++] = argv[i];
			if (i < argc)
				nargs++;
			break;
		} else if (a[0] == '-' && a[1] && !isdigit((unsigned char)a[1])) {
			fail(EX_USAGE, 0, "unknown option %s (see --help)", a);
			return EX_USAGE;
		} else if (nargs < 4) {
			args[nargs++] = a;
		} else {
			nargs++;
		}
		if (val) {
			if (a[6] == '=')
				*val = a + 7;
			else if (i + 1 < argc)
				*val = argv[++i];
			else
				return fail(EX_USAGE, 0, "%s needs a value", a);
		}
	}
	if (!nargs) {
		usage(stderr);
		return fail(EX_USAGE, 0, "no command (see --help)");
	}
	if ((hold_str || fill_str) && strcmp(args[0], "alloc"))
		return fail(EX_USAGE, 0, "--hold and --fill belong to alloc");
	if (hold_str) {
		hold = parse_uint(hold_str, INT_MAX);
		if (hold < 0)
			return fail(EX_USAGE, 0, "bad --hold \"%s\": whole seconds", hold_str);
	}
	if (fill_str) {
		char *end;

		errno = 0;
		fill = strtoll(fill_str, &end, 0);
		if (errno || !*fill_str || *end || fill < 0 || fill > 255 ||
		    !isdigit((unsigned char)fill_str[0]))
			return fail(EX_USAGE, 0, "bad --fill \"%s\": a byte, 0 to 255 or 0x00 to "
				    "0xff", fill_str);
	}
#define ARGS(lo, hi, what)						\
	do {								\
		if (nargs < (lo) + 1 || nargs > (hi) + 1)		\
			return fail(EX_USAGE, 0, "usage: %s %s", prog, what); \
	} while (0)
	if (!strcmp(args[0], "list")) {
		ARGS(0, 0, "list");
		return cmd_list();
	}
	if (!strcmp(args[0], "info")) {
		ARGS(1, 1, "info HEAP");
		return cmd_info(args[1]);
	}
	if (!strcmp(args[0], "alloc")) {
		ARGS(2, 2, "alloc HEAP SIZE [--hold SECONDS] [--fill BYTE]");
		return cmd_alloc(args[1], args[2], hold, (int)fill);
	}
	if (!strcmp(args[0], "buffers")) {
		ARGS(0, 1, "buffers [HEAP]");
		return cmd_buffers(args[1]);
	}
	if (!strcmp(args[0], "phys")) {
		ARGS(1, 1, "phys FD|PID:FD");
		return cmd_phys(args[1]);
	}
	return fail(EX_USAGE, 0, "unknown command \"%s\" (see --help)", args[0]);
}
