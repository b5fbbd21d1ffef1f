// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heapctl_test - rmem-heapctl's --json output, parsed and checked
 * against what the test reads itself: RMEM_HEAP_IOC_INFO on /dev/rmem_heap,
 * /dev/dma_heap and debugfs.  Also the cases that need another user or a
 * capability less: group "other" is refused a heap (the udev hint), a root
 * without CAP_SYS_RAWIO is refused bus addresses.
 *
 * The tool is found on PATH (the lab's guests: /lab), or at $RMEM_HEAPCTL.
 * Its output is parsed by a strict JSON parser below (RFC 8259: one value,
 * nothing after it but blanks; duplicate keys refused).  TAP (kselftest
 * harness).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/rmem_heap.h>

#include "rmem_heap_common.h"
#include "kselftest_harness.h"

#define CONTROL		"/dev/" RMEM_HEAP_CONTROL_NODE
#define BUS_ADDR_PARAM	"/sys/module/rmem_heap/parameters/bus_addr"
#define NOBODY		65534

/* ------------------------------------------------------------------ */
/* a strict JSON parser                                                 */
/* ------------------------------------------------------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	int b;
	int is_u64;		/* a non-negative integer that fits in u64 */
	uint64_t u;
	double d;
	char *s;		/* J_STR */
	int n;			/* J_ARR, J_OBJ: children */
	char **keys;		/* J_OBJ */
	struct jv **items;
};

struct jp {
	const char *p;
	const char *err;
	int depth;
};

static void jfree(struct jv *v)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jfree(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->s);
	free(v);
}

static void jws(struct jp *p)
{
	while (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r')
		p->p++;
}

static struct jv *jnew(enum jtype t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string at p->p (on its opening quote); malloc'ed UTF-8, or NULL. */
static char *jstring(struct jp *p)
{
	size_t cap = 16, len = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	p->p++;
	for (;;) {
		unsigned int c = (unsigned char)*p->p++;
		char enc[4];
		int k, ne = 1;

		if (c == '"')
			break;
		if (c < 0x20) {
			p->err = c ? "control character in a string" : "unterminated string";
			free(out);
			return NULL;
		}
		enc[0] = (char)c;
		if (c == '\\') {
			c = (unsigned char)*p->p++;
			switch (c) {
			case '"': case '\\': case '/':
				enc[0] = (char)c; break;
			case 'b': enc[0] = '\b'; break;
			case 'f': enc[0] = '\f'; break;
			case 'n': enc[0] = '\n'; break;
			case 'r': enc[0] = '\r'; break;
			case 't': enc[0] = '\t'; break;
			case 'u':
				c = 0;
				for (k = 0; k < 4; k++) {
					int h = hexval(p->p[k]);

					if (h < 0) {
						p->err = "bad \\u escape";
						free(out);
						return NULL;
					}
					c = c * 16 + (unsigned int)h;
				}
				p->p += 4;
				if (c >= 0xd800 && c <= 0xdfff) {
					p->err = "surrogate \\u escape (not produced by the tool)";
					free(out);
					return NULL;
				}
				if (c < 0x80) {
					enc[0] = (char)c;
				} else if (c < 0x800) {
					enc[0] = (char)(0xc0 | (c >> 6));
					enc[1] = (char)(0x80 | (c & 0x3f));
					ne = 2;
				} else {
					enc[0] = (char)(0xe0 | (c >> 12));
					enc[1] = (char)(0x80 | ((c >> 6) & 0x3f));
					enc[2] = (char)(0x80 | (c & 0x3f));
					ne = 3;
				}
				break;
			default:
				p->err = "bad escape";
				free(out);
				return NULL;
			}
		}
		if (len + (size_t)ne + 1 > cap) {
			char *n2 = realloc(out, cap *= 2);

			if (!n2) {
				free(out);
				return NULL;
			}
			out = n2;
		}
		memcpy(out + len, enc, (size_t)ne);
		len += (size_t)ne;
	}
	out[len] = '\0';
	if (strlen(out) != len) {
		p->err = "NUL in a string";
		free(out);
		return NULL;
	}
	return out;
}

static struct jv *jvalue(struct jp *p);

static int jadd(struct jv *v, char *key, struct jv *item)
{
	char **k2;
	struct jv **i2;

	i2 = realloc(v->items, sizeof(*i2) * (size_t)(v->n + 1));
	if (!i2)
		return -1;
	v->items = i2;
	if (v->type == J_OBJ) {
		k2 = realloc(v->keys, sizeof(*k2) * (size_t)(v->n + 1));
		if (!k2)
			return -1;
		v->keys = k2;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return 0;
}

static struct jv *jcontainer(struct jp *p, char close)
{
	struct jv *v = jnew(close == '}' ? J_OBJ : J_ARR), *item;
	char *key = NULL;
	int i;

	if (!v || ++p->depth > 32) {
		p->err = "nested too deep";
		jfree(v);
		return NULL;
	}
	p->p++;
	jws(p);
	if (*p->p == close) {
		p->p++;
		p->depth--;
		return v;
	}
	for (;;) {
		jws(p);
		if (close == '}') {
			if (*p->p != '"') {
				p->err = "expected a key";
				goto bad;
			}
			key = jstring(p);
			if (!key)
				goto bad;
			for (i = 0; i < v->n; i++)
				if (!strcmp(v->keys[i], key)) {
					p->err = "duplicate key";
					goto bad;
				}
			jws(p);
			if (*p->p++ != ':') {
				p->err = "expected ':'";
				goto bad;
			}
		}
		item = jvalue(p);
		if (!item)
			goto bad;
		if (jadd(v, key, item)) {
			jfree(item);
			goto bad;
		}
		key = NULL;
		jws(p);
		if (*p->p == ',') {
			p->p++;
			continue;
		}
		if (*p->p == close) {
			p->p++;
			p->depth--;
			return v;
		}
		p->err = "expected ',' or the end of the container";
		goto bad;
	}
bad:
	free(key);
	jfree(v);
	return NULL;
}

static struct jv *jnumber(struct jp *p)
{
	const char *s = p->p, *q = s;
	struct jv *v;
	int intonly = 1;

	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (isdigit((unsigned char)*q))
			q++;
	else
		goto bad;
	if (*q == '.') {
		intonly = 0;
		q++;
		if (!isdigit((unsigned char)*q))
			goto bad;
		while (isdigit((unsigned char)*q))
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		intonly = 0;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!isdigit((unsigned char)*q))
			goto bad;
		while (isdigit((unsigned char)*q))
			q++;
	}
	v = jnew(J_NUM);
	if (!v)
		return NULL;
	v->d = strtod(s, NULL);
	if (intonly && *s != '-') {
		const char *c;

		v->is_u64 = 1;
		for (c = s; c < q; c++) {
			uint64_t digit = (uint64_t)(*c - '0');

			if (v->u > UINT64_MAX / 10 ||
			    (v->u == UINT64_MAX / 10 && digit > UINT64_MAX % 10)) {
				v->is_u64 = 0;
				break;
			}
			v->u = v->u * 10 + digit;
		}
	}
	p->p = q;
	return v;
bad:
	p->err = "bad number";
	return NULL;
}

static struct jv *jvalue(struct jp *p)
{
	struct jv *v;

	jws(p);
	switch (*p->p) {
	case '{':
		return jcontainer(p, '}');
	case '[':
		return jcontainer(p, ']');
	case '"':
		v = jnew(J_STR);
		if (v) {
			v->s = jstring(p);
			if (!v->s) {
				jfree(v);
				return NULL;
			}
		}
		return v;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(p->p, "true", 4) || !strncmp(p->p, "false", 5)) {
			v = jnew(J_BOOL);
			if (v)
				v->b = *p->p == 't';
			p->p += *p->p == 't' ? 4 : 5;
			return v;
		}
		if (!strncmp(p->p, "null", 4)) {
			p->p += 4;
			return jnew(J_NULL);
		}
		p->err = "bad literal";
		return NULL;
	default:
		return jnumber(p);
	}
}

/* Parse text as exactly one JSON object; NULL and *err on failure. */
static struct jv *jparse(const char *text, const char **err)
{
	struct jp p = { text, NULL, 0 };
	struct jv *v = jvalue(&p);

	if (v) {
		jws(&p);
		if (*p.p) {
			p.err = "text after the value";
			jfree(v);
			v = NULL;
		} else if (v->type != J_OBJ) {
			p.err = "not an object";
			jfree(v);
			v = NULL;
		}
	}
	*err = p.err ? p.err : "out of memory";
	return v;
}

static struct jv *jget(const struct jv *o, const char *key)
{
	int i;

	if (!o || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	return NULL;
}

/* The u64 at key, or ~0 when it is missing or not a non-negative integer. */
static uint64_t ju(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v && v->type == J_NUM && v->is_u64 ? v->u : UINT64_MAX;
}

/* The string at key, or "(missing)". */
static const char *js(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v && v->type == J_STR ? v->s : "(missing)";
}

static int jb(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v && v->type == J_BOOL ? v->b : -1;
}

/* ------------------------------------------------------------------ */
/* running the tool                                                     */
/* ------------------------------------------------------------------ */

enum as { AS_ROOT, AS_NOBODY, AS_NO_RAWIO };

struct run {
	int status;		/* exit status, or 128 + signal */
	char out[65536];
	char err[4096];
};

static const char *tool(void)
{
	const char *t = getenv("RMEM_HEAPCTL");

	return t && *t ? t : "rmem-heapctl";
}

/* Drop CAP_SYS_RAWIO from every set of this (root) process. */
static int drop_rawio(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0))
		return -1;
	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
	d[CAP_SYS_RAWIO / 32].permitted &= ~(1u << (CAP_SYS_RAWIO % 32));
	d[CAP_SYS_RAWIO / 32].inheritable &= ~(1u << (CAP_SYS_RAWIO % 32));
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* Child side: become who, put stdout/stderr on the pipes, exec the tool. */
static void child(enum as who, int out, int err, char *const argv[])
{
	dup2(out, 1);
	dup2(err, 2);
	if (who == AS_NOBODY &&
	    (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))) {
		dprintf(2, "cannot become uid %d: %s\n", NOBODY, strerror(errno));
		_exit(120);
	}
	if (who == AS_NO_RAWIO && drop_rawio()) {
		dprintf(2, "cannot drop CAP_SYS_RAWIO: %s\n", strerror(errno));
		_exit(121);
	}
	execvp(tool(), argv);
	dprintf(2, "exec %s: %s\n", tool(), strerror(errno));
	_exit(127);
}

static int status_of(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/*
 * Run the tool with argv (argv[0] included) to its end; 0 or -errno.  Not
 * inlined: 6.12's harness then sees its "child" clobbered (-Wclobbered).
 */
__attribute__((noinline))
static int run_as(struct run *r, enum as who, char *const argv[])
{
	int po[2], pe[2], ws, i;
	size_t no = 0, ne = 0;
	struct pollfd pf[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child(who, po[1], pe[1], argv);
	close(po[1]);
	close(pe[1]);
	pf[0] = (struct pollfd){ .fd = po[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			char *buf = i ? r->err : r->out;
			size_t cap = i ? sizeof(r->err) : sizeof(r->out);
			size_t *len = i ? &ne : &no;
			char sink[256];
			ssize_t k;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			if (*len + 1 < cap)
				k = read(pf[i].fd, buf + *len, cap - 1 - *len);
			else
				k = read(pf[i].fd, sink, sizeof(sink));
			if (k <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
			} else if (*len + 1 < cap) {
				*len += (size_t)k;
			}
		}
	}
	waitpid(pid, &ws, 0);
	r->status = status_of(ws);
	return 0;
}

/*
 * rmem-heapctl ARGS... (NULL-terminated) as who, logged.  A function, not
 * a macro: an argv array in a test body makes 6.12's harness warn that its
 * "child" may be clobbered (-Wclobbered).
 */
__attribute__((noinline, sentinel))
static int run_tool(struct __test_metadata *_metadata, struct run *r, enum as who, ...)
{
	char *argv[16] = { "rmem-heapctl" }, line[512];
	size_t len = 0;
	va_list ap;
	int n = 1, ret;

	va_start(ap, who);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	ret = run_as(r, who, argv);
	line[0] = '\0';
	for (n = 1; argv[n] && len < sizeof(line); n++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", argv[n]);
	TH_LOG("$ rmem-heapctl%s%s -> %d", line, who == AS_NOBODY ? " (as nobody)" :
	       who == AS_NO_RAWIO ? " (without CAP_SYS_RAWIO)" : "", r->status);
	return ret;
}

#define RUN(r, who, ...) run_tool(_metadata, r, who, __VA_ARGS__, NULL)

/* A tool run in the background (alloc --hold): its first line is read. */
struct holder {
	pid_t pid;
	int out;
	char line[1024];
};

static int hold_start(struct holder *h, char *const argv[])
{
	int po[2], pe[2];
	size_t len = 0;

	memset(h, 0, sizeof(*h));
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (!h->pid)
		child(AS_ROOT, po[1], pe[1], argv);
	close(po[1]);
	close(pe[1]);
	close(pe[0]);
	h->out = po[0];
	while (len + 1 < sizeof(h->line)) {
		ssize_t k = read(h->out, h->line + len, 1);

		if (k <= 0)
			return -EIO;
		if (h->line[len++] == '\n')
			break;
	}
	h->line[len] = '\0';
	return 0;
}

/* SIGTERM ends the hold early: the tool frees and exits 0. */
static int hold_stop(struct holder *h)
{
	int ws;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, SIGTERM);
	waitpid(h->pid, &ws, 0);
	close(h->out);
	h->pid = 0;
	return status_of(ws);
}

/* ------------------------------------------------------------------ */
/* what the test knows itself                                           */
/* ------------------------------------------------------------------ */

static int ctl_info(const char *name, struct rmem_heap_info *info)
{
	int fd = open(CONTROL, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	if (ioctl(fd, RMEM_HEAP_IOC_INFO, info))
		ret = -errno;
	close(fd);
	return ret;
}

static const char *type_str(uint32_t t)
{
	return t == RMEM_HEAP_REGION_NOMAP ? "no-map" :
	       t == RMEM_HEAP_REGION_REUSABLE ? "reusable" : "?";
}

static const char *policy_str(uint32_t p)
{
	return p == RMEM_HEAP_POLICY_CACHED ? "cached" :
	       p == RMEM_HEAP_POLICY_UNCACHED ? "uncached" :
	       p == RMEM_HEAP_POLICY_COHERENT ? "coherent" : "?";
}

static int is_ours(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), RH_SYSFS "/%s", name);
	return !access(path, F_OK);
}

static int write_param(const char *val)
{
	return rh_write_file(BUS_ADDR_PARAM, val);
}

/*
 * The heap object h (of list or info) against RMEM_HEAP_IOC_INFO read now.
 * pending_zero moves while the zeroing worker runs: only its bound is
 * checked.  Returns the number of mismatches, each logged.
 */
#define EXPECT_FIELD(_ok, _fmt, ...)					\
	do {								\
		if (!(_ok)) {						\
			TH_LOG("%s: " _fmt, name, ##__VA_ARGS__);	\
			bad++;						\
		}							\
	} while (0)

static int check_heap(struct __test_metadata *_metadata, const struct jv *h,
		      const char *name)
{
	struct rmem_heap_info info;
	int bad = 0, ret;

	EXPECT_FIELD(!strcmp(js(h, "name"), name), "name %s", js(h, "name"));
	if (!is_ours(name)) {
		EXPECT_FIELD(jb(h, "rmem") == 0, "rmem should be false");
		EXPECT_FIELD(!strcmp(js(h, "kind"), "kernel"), "kind %s", js(h, "kind"));
		EXPECT_FIELD(!jget(h, "size"), "a kernel heap has figures");
		EXPECT_FIELD(ctl_info(name, &info) < 0,
			     "RMEM_HEAP_IOC_INFO knows a heap that is not ours");
		return bad;
	}
	ret = ctl_info(name, &info);
	EXPECT_FIELD(!ret, "RMEM_HEAP_IOC_INFO: %s", strerror(-ret));
	if (ret)
		return bad;
	EXPECT_FIELD(jb(h, "rmem") == 1, "rmem should be true");
	EXPECT_FIELD(!strcmp(js(h, "kind"), "rmem-heap"), "kind %s", js(h, "kind"));
	EXPECT_FIELD(!strcmp(js(h, "source"), "ioctl"), "source %s", js(h, "source"));
	EXPECT_FIELD(!strcmp(js(h, "type"), type_str(info.region_type)), "type %s, ioctl %s",
		     js(h, "type"), type_str(info.region_type));
	EXPECT_FIELD(!strcmp(js(h, "policy"), policy_str(info.cache_policy)),
		     "policy %s, ioctl %s", js(h, "policy"), policy_str(info.cache_policy));
#define SAME(key, field)						\
	EXPECT_FIELD(ju(h, key) == (uint64_t)info.field,		\
		     key " %" PRIu64 ", ioctl %" PRIu64, ju(h, key), (uint64_t)info.field)
	SAME("granule", granule);
	SAME("size", region_size);
	SAME("used", used);
	SAME("free", free);
	SAME("largest_free", largest_free);
	SAME("buffers", buffers);
	SAME("peak_used", peak_used);
	SAME("failed", failed);
#undef SAME
	EXPECT_FIELD(ju(h, "pending_zero") <= info.region_size, "pending_zero %" PRIu64,
		     ju(h, "pending_zero"));
	return bad;
}

/* The tool's stdout as one JSON object (logged when it is not one). */
static struct jv *parse_out(struct __test_metadata *_metadata, const struct run *r)
{
	const char *err;
	struct jv *v = jparse(r->out, &err);

	if (!v)
		TH_LOG("not one JSON object (%s): %s", err, r->out);
	return v;
}

/* ------------------------------------------------------------------ */
/* tests                                                                */
/* ------------------------------------------------------------------ */

FIXTURE(ctl) {
	struct run r;
	char heap[RH_NAME_LEN];		/* a no-map cached heap */
	struct rmem_heap_info info;
	char param[8];			/* bus_addr as found */
};

FIXTURE_SETUP(ctl)
{
	struct rh_heap heaps[RH_MAX_HEAPS];
	int n, i;

	n = rh_discover(heaps, RH_MAX_HEAPS);
	ASSERT_GT(n, 0) TH_LOG("no heap in " RH_SYSFS);
	self->heap[0] = '\0';
	for (i = 0; i < n; i++)
		if (heaps[i].reusable == 0 && heaps[i].policy == RH_CACHED) {
			snprintf(self->heap, sizeof(self->heap), "%s", heaps[i].name);
			break;
		}
	ASSERT_NE(self->heap[0], '\0') TH_LOG("no no-map cached heap");
	ASSERT_EQ(0, ctl_info(self->heap, &self->info)) TH_LOG("%s: RMEM_HEAP_IOC_INFO: %s",
							       CONTROL, strerror(errno));
	if (rh_read_file(BUS_ADDR_PARAM, self->param, sizeof(self->param)) < 0)
		self->param[0] = '\0';
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->param[0])
		write_param(self->param);
}

TEST_F(ctl, list_json)
{
	char names[RH_MAX_HEAPS * 2][RH_NAME_LEN];
	struct dirent *de;
	struct jv *o, *heaps;
	int n = 0, i, j;
	DIR *d;

	d = opendir(RH_DEVDIR);
	ASSERT_TRUE(d != NULL);
	while ((de = readdir(d)) && n < RH_MAX_HEAPS * 2)
		if (de->d_name[0] != '.')
			snprintf(names[n++], RH_NAME_LEN, "%.63s", de->d_name);
	closedir(d);

	ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "list"));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	o = parse_out(_metadata, &self->r);
	ASSERT_TRUE(o != NULL);
	EXPECT_STREQ(CONTROL, js(o, "control"));
	heaps = jget(o, "heaps");
	ASSERT_TRUE(heaps != NULL);
	ASSERT_TRUE(heaps->type == J_ARR);
	EXPECT_EQ(n, heaps->n) TH_LOG("%d heaps in %s, %d listed", n, RH_DEVDIR, heaps->n);
	for (i = 0; i < heaps->n; i++) {
		const char *name = js(heaps->items[i], "name");

		for (j = 0; j < n && strcmp(names[j], name); j++)
			;
		EXPECT_LT(j, n) TH_LOG("%s is listed but not in %s", name, RH_DEVDIR);
		if (i)
			EXPECT_LT(strcmp(js(heaps->items[i - 1], "name"), name), 0)
				TH_LOG("not sorted by name, or listed twice: %s", name);
		EXPECT_EQ(0, check_heap(_metadata, heaps->items[i], name));
	}
	jfree(o);
}

TEST_F(ctl, info_json)
{
	struct rh_heap heaps[RH_MAX_HEAPS];
	struct jv *o;
	int n, i;

	n = rh_discover(heaps, RH_MAX_HEAPS);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "info", heaps[i].name));
		EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
		o = parse_out(_metadata, &self->r);
		ASSERT_TRUE(o != NULL);
		EXPECT_EQ(0, check_heap(_metadata, o, heaps[i].name));
		jfree(o);
	}
	if (!access(RH_DEVDIR "/system", F_OK)) {
		ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "info", "system"));
		EXPECT_EQ(0, self->r.status);
		o = parse_out(_metadata, &self->r);
		ASSERT_TRUE(o != NULL);
		EXPECT_EQ(0, check_heap(_metadata, o, "system"));
		jfree(o);
	}
}

/* An error object: status, errno name, message fragment, exit status. */
static int check_error(struct __test_metadata *_metadata, const struct run *r, int status,
		       const char *err, const char *frag)
{
	struct jv *o = parse_out(_metadata, r);
	int bad = 0;

	if (!o)
		return 1;
	if (r->status != status || ju(o, "status") != (uint64_t)status) {
		TH_LOG("exit %d, \"status\" %" PRIu64 ", expected %d", r->status,
		       ju(o, "status"), status);
		bad++;
	}
	if (err && strcmp(js(o, "errno"), err)) {
		TH_LOG("errno %s, expected %s", js(o, "errno"), err);
		bad++;
	}
	if (!strstr(js(o, "error"), frag)) {
		TH_LOG("error \"%s\" does not say \"%s\"", js(o, "error"), frag);
		bad++;
	}
	jfree(o);
	return bad;
}

TEST_F(ctl, errors_json)
{
	static const struct {
		const char *args[4];
		int status;
		const char *err, *frag;
	} cases[] = {
		{ { "info", "no-such-heap" }, 3, "ENOENT", "no heap \"no-such-heap\"" },
		{ { "alloc", "-", "4x" }, 2, NULL, "bad size \"4x\"" },
		{ { "frobnicate" }, 2, NULL, "unknown command" },
	};
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[7] = { "rmem-heapctl", "--json" };

		for (k = 0; k < 4 && cases[i].args[k]; k++)
			argv[2 + k] = strcmp(cases[i].args[k], "-") ?
				      (char *)cases[i].args[k] : self->heap;
		ASSERT_EQ(0, run_as(&self->r, AS_ROOT, argv));
		TH_LOG("$ rmem-heapctl --json %s -> %d", cases[i].args[0], self->r.status);
		EXPECT_EQ(0, check_error(_metadata, &self->r, cases[i].status, cases[i].err,
					 cases[i].frag));
		if (i == 0) {
			/* a missing heap's error lists the heaps there are */
			struct jv *o = parse_out(_metadata, &self->r);

			EXPECT_TRUE(o && strstr(js(o, "heaps"), self->heap))
				TH_LOG("heaps: %s", js(o, "heaps"));
			jfree(o);
		}
	}
}

/* More than the region: ENOMEM, and the object carries INFO's figures. */
TEST_F(ctl, full_json)
{
	char size[32];
	struct rmem_heap_info after;
	struct jv *o;

	snprintf(size, sizeof(size), "%" PRIu64, (uint64_t)self->info.region_size +
		 self->info.granule);
	ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "alloc", self->heap, size));
	EXPECT_EQ(0, check_error(_metadata, &self->r, 5, "ENOMEM", "is full"));
	ASSERT_EQ(0, ctl_info(self->heap, &after));
	o = parse_out(_metadata, &self->r);
	ASSERT_TRUE(o != NULL);
	EXPECT_STREQ(self->heap, js(o, "heap"));
	EXPECT_EQ(self->info.region_size + self->info.granule, ju(o, "requested"));
	EXPECT_EQ(after.largest_free, ju(o, "largest_free"));
	EXPECT_EQ(after.free, ju(o, "free"));
	EXPECT_EQ(self->info.failed + 1, after.failed)
		TH_LOG("the refused allocation is counted in \"failed\"");
	jfree(o);
}

/*
 * alloc --hold: the object comes before the hold; while it is held INFO,
 * buffers and phys agree about it; SIGTERM frees it.
 */
TEST_F_TIMEOUT(ctl, alloc_hold_buffers_phys, 120)
{
	char *const argv[] = { "rmem-heapctl", "--json", "alloc", self->heap, "1.5M",
			       "--hold", "60", "--fill", "0x3c", NULL };
	uint64_t want = (1536 * RH_KIB + self->info.granule - 1) / self->info.granule *
			self->info.granule;
	struct rmem_heap_info held, after;
	struct jv *o, *bufs, *b = NULL, *p;
	char spec[64];
	struct holder h;
	const char *err;
	int i, count = 0;

	ASSERT_EQ(0, hold_start(&h, argv));
	o = jparse(h.line, &err);
	ASSERT_TRUE(o != NULL) TH_LOG("not one JSON object (%s): %s", err, h.line);
	EXPECT_STREQ(self->heap, js(o, "heap"));
	EXPECT_EQ(1536 * RH_KIB, ju(o, "requested"));
	EXPECT_EQ(want, ju(o, "size"));
	EXPECT_EQ((uint64_t)h.pid, ju(o, "pid"));
	EXPECT_EQ((uint64_t)0x3c, ju(o, "fill"));
	EXPECT_EQ(1, jb(o, "verified"));
	EXPECT_EQ((uint64_t)60, ju(o, "hold"));
	ASSERT_NE(UINT64_MAX, ju(o, "fd"));
	snprintf(spec, sizeof(spec), "%d:%" PRIu64, h.pid, ju(o, "fd"));
	jfree(o);

	ASSERT_EQ(0, ctl_info(self->heap, &held));
	EXPECT_EQ(self->info.used + want, held.used);
	EXPECT_EQ(self->info.buffers + 1, held.buffers);

	/* buffers: exactly one entry of that pid, the right size */
	ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "buffers", self->heap));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	o = parse_out(_metadata, &self->r);
	ASSERT_TRUE(o != NULL);
	bufs = jget(o, "buffers");
	ASSERT_TRUE(bufs != NULL);
	ASSERT_TRUE(bufs->type == J_ARR);
	EXPECT_EQ((uint64_t)bufs->n, ju(o, "count"));
	EXPECT_EQ(held.buffers, (uint64_t)bufs->n)
		TH_LOG("the heap's twin has no buffer here, so its file lists them all");
	for (i = 0; i < bufs->n; i++)
		if (ju(bufs->items[i], "pid") == (uint64_t)h.pid) {
			b = bufs->items[i];
			count++;
		}
	EXPECT_EQ(1, count);
	if (b) {
		EXPECT_EQ(want, ju(b, "size"));
		EXPECT_STREQ(self->heap, js(b, "heap"));
		EXPECT_STREQ("rmem-heapctl", js(b, "comm"));
		EXPECT_GT(self->info.region_size, ju(b, "offset"));
	}

	/* phys: on as root, the size; the address's hex form agrees */
	if (self->param[0]) {
		ASSERT_EQ(0, write_param("1"));
		ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "phys", spec));
		EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
		p = parse_out(_metadata, &self->r);
		ASSERT_TRUE(p != NULL);
		EXPECT_EQ(want, ju(p, "size"));
		EXPECT_NE(UINT64_MAX, ju(p, "addr"));
		EXPECT_EQ(ju(p, "addr"), strtoull(js(p, "addr_hex"), NULL, 16));
		EXPECT_EQ((uint64_t)h.pid, ju(p, "pid"));
		EXPECT_NE(0, js(p, "exporter")[0]) TH_LOG("fdinfo's exp_name of the taken fd");
		EXPECT_NE(0, strcmp(js(p, "exporter"), "(missing)"));
		jfree(p);

		/* root without CAP_SYS_RAWIO: EPERM */
		ASSERT_EQ(0, RUN(&self->r, AS_NO_RAWIO, "--json", "phys", spec));
		EXPECT_EQ(0, check_error(_metadata, &self->r, 4, "EPERM", "CAP_SYS_RAWIO"));

		/* off: EOPNOTSUPP */
		ASSERT_EQ(0, write_param("0"));
		ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "phys", spec));
		EXPECT_EQ(0, check_error(_metadata, &self->r, 6, "EOPNOTSUPP", "bus_addr"));
	} else {
		EXPECT_NE(0, self->param[0]) TH_LOG("no %s", BUS_ADDR_PARAM);
	}
	jfree(o);

	EXPECT_EQ(0, hold_stop(&h));
	ASSERT_EQ(0, ctl_info(self->heap, &after));
	EXPECT_EQ(self->info.used, after.used);
	EXPECT_EQ(self->info.buffers, after.buffers);
}

/* Another exporter's dma-buf (the system heap's) is not ours: EINVAL. */
TEST_F(ctl, phys_not_ours_json)
{
	char *const argv[] = { "rmem-heapctl", "--json", "alloc", "system", "64k", "--hold",
			       "60", NULL };
	struct holder h;
	char spec[64];
	struct jv *o;
	const char *err;
	int p[2];

	ASSERT_NE(0, self->param[0]) TH_LOG("no %s", BUS_ADDR_PARAM);
	ASSERT_EQ(0, write_param("1"));
	if (!access(RH_DEVDIR "/system", F_OK)) {
		ASSERT_EQ(0, hold_start(&h, argv));
		o = jparse(h.line, &err);
		ASSERT_TRUE(o != NULL) TH_LOG("not one JSON object (%s): %s", err, h.line);
		snprintf(spec, sizeof(spec), "%d:%" PRIu64, h.pid, ju(o, "fd"));
		jfree(o);
		ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "phys", spec));
		EXPECT_EQ(0, check_error(_metadata, &self->r, 7, "EINVAL",
					 "not a buffer of an rmem-heap heap (its exporter is system"));
		EXPECT_EQ(0, hold_stop(&h));
	} else {
		/* no dma-heap framework (Debian 12's kernel): a pipe of ours */
		ASSERT_EQ(0, pipe(p));
		snprintf(spec, sizeof(spec), "%d:%d", getpid(), p[0]);
		ASSERT_EQ(0, RUN(&self->r, AS_ROOT, "--json", "phys", spec));
		EXPECT_EQ(0, check_error(_metadata, &self->r, 7, "EINVAL", "is not a dma-buf"));
		close(p[0]);
		close(p[1]);
	}
}

/*
 * Another user: the heap's node is root's alone without the udev rule, so
 * alloc is refused with the rule's name; list still works (sysfs when the
 * control device is closed to that user too).
 */
TEST_F(ctl, other_user_json)
{
	char path[256];
	struct stat st;
	struct jv *o, *heaps;
	int i, found = 0;

	snprintf(path, sizeof(path), RH_DEVDIR "/%s", self->heap);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(0, (int)(st.st_mode & 0006)) TH_LOG("%s is open to everyone", path);
	ASSERT_EQ(0, RUN(&self->r, AS_NOBODY, "--json", "alloc", self->heap, "4k"));
	EXPECT_EQ(0, check_error(_metadata, &self->r, 4, "EACCES", "60-rmem-heap.rules"));
	EXPECT_EQ(0, check_error(_metadata, &self->r, 4, "EACCES", "\"video\""));

	ASSERT_EQ(0, RUN(&self->r, AS_NOBODY, "--json", "list"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	o = parse_out(_metadata, &self->r);
	ASSERT_TRUE(o != NULL);
	heaps = jget(o, "heaps");
	ASSERT_TRUE(heaps != NULL);
	for (i = 0; i < heaps->n; i++) {
		const struct jv *h = heaps->items[i];

		if (strcmp(js(h, "name"), self->heap))
			continue;
		found = 1;
		EXPECT_EQ(self->info.region_size, ju(h, "size"));
		EXPECT_STREQ("no-map", js(h, "type"));
		EXPECT_STREQ("cached", js(h, "policy"));
	}
	EXPECT_EQ(1, found);
	jfree(o);
}

/* The parser itself refuses what is not one JSON object. */
TEST(json_parser)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "{\"a\":1}{}", "[1]", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":\"\\x\"}", "{\"a\":1,\"a\":2}", "{a:1}", "{\"a\":tru}",
		"{\"a\":\"\x01\"}", "{\"a\":-}", "{\"a\":\"\\u12\"}",
	};
	const char *err;
	struct jv *v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = jparse(bad[i], &err);
		EXPECT_TRUE(v == NULL) TH_LOG("accepted: %s", bad[i]);
		jfree(v);
	}
	v = jparse(" {\"a\":[1,{\"b\":null}],\"c\":\"x\\\"\\u00e9\",\"d\":18446744073709551615,"
		   "\"e\":-1.5e3,\"f\":true} \n", &err);
	ASSERT_TRUE(v != NULL) TH_LOG("%s", err);
	EXPECT_EQ(UINT64_MAX, ju(v, "d"));
	EXPECT_STREQ("x\"\xc3\xa9", js(v, "c"));
	EXPECT_EQ(1, jb(v, "f"));
	EXPECT_EQ(2, jget(v, "a")->n);
	EXPECT_EQ(-1500.0, jget(v, "e")->d);
	jfree(v);
}

TEST_HARNESS_MAIN
