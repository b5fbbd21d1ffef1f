// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: a worst-case model of the CPU caches over a pool's pages.
 *
 * Every write (by the CPU, a device or the zeroing) gives a page a new
 * version; memory and each cache level remember the version they may hold.
 * Where a cacheable alias exists the caches may fill a line at any moment
 * (speculation), so every event first fills the empty levels from the level
 * below.  The rules are those of Documentation/rmem-heap.rst, "CPU caches".
 */

#include <linux/mm.h>
#include <linux/slab.h>

#include "rmem_heap_cmodel.h"

enum rmem_heap_cm_line {
	RMEM_HEAP_CM_NONE,
	RMEM_HEAP_CM_CLEAN,
	RMEM_HEAP_CM_DIRTY,
};

#define RMEM_HEAP_CM_USER	BIT(0)	/* a cacheable user mapping may exist */
#define RMEM_HEAP_CM_OWNED	BIT(1)	/* the pages belong to a buffer */
#define RMEM_HEAP_CM_ZEROED	BIT(2)	/* the last write was a zeroing */
#define RMEM_HEAP_CM_MEM_Z	BIT(3)	/* memory holds zeroes */
#define RMEM_HEAP_CM_INNER_Z	BIT(4)	/* an inner line holds zeroes */
#define RMEM_HEAP_CM_OUTER_Z	BIT(5)	/* an outer line holds zeroes */

/**
 * struct rmem_heap_cm_page - what the caches may hold of one page
 * @mem:       version in memory
 * @latest:    version of the last write
 * @next:      last version handed out (versions are never reused)
 * @inner_ver: version an inner line may hold
 * @outer_ver: version an outer line may hold
 * @inner:     state of the inner lines (enum rmem_heap_cm_line)
 * @outer:     state of the outer lines
 * @kmaps:     cacheable kernel mappings
 * @flags:     RMEM_HEAP_CM_*
 */
struct rmem_heap_cm_page {
	u16 mem;
	u16 latest;
	u16 next;
	u16 inner_ver;
	u16 outer_ver;
	u8 inner;
	u8 outer;
	u8 kmaps;
	u8 flags;
};

static const char * const rmem_heap_cm_events[RMEM_HEAP_CM_NR] = {
	[RMEM_HEAP_CM_MAP_KERNEL] = "map-kernel",
	[RMEM_HEAP_CM_UNMAP_KERNEL] = "unmap-kernel",
	[RMEM_HEAP_CM_MAP_USER] = "map-user",
	[RMEM_HEAP_CM_CPU_READ] = "cpu-read",
	[RMEM_HEAP_CM_CPU_WRITE] = "cpu-write",
	[RMEM_HEAP_CM_CPU_ZERO] = "cpu-zero",
	[RMEM_HEAP_CM_NC_READ] = "nc-read",
	[RMEM_HEAP_CM_NC_WRITE] = "nc-write",
	[RMEM_HEAP_CM_NC_ZERO] = "nc-zero",
	[RMEM_HEAP_CM_CLEAN_INNER] = "clean-inner",
	[RMEM_HEAP_CM_INV_INNER] = "inval-inner",
	[RMEM_HEAP_CM_CLEAN_OUTER] = "clean-outer",
	[RMEM_HEAP_CM_INV_OUTER] = "inval-outer",
	[RMEM_HEAP_CM_DEV_READ] = "device-read",
	[RMEM_HEAP_CM_DEV_WRITE] = "device-write",
	[RMEM_HEAP_CM_SNOOP_READ] = "coherent-device-read",
	[RMEM_HEAP_CM_SNOOP_WRITE] = "coherent-device-write",
	[RMEM_HEAP_CM_ALLOC] = "alloc",
	[RMEM_HEAP_CM_ALLOC_CACHED] = "alloc-cached",
	[RMEM_HEAP_CM_FREE] = "free",
	[RMEM_HEAP_CM_ADOPT] = "adopt",
	[RMEM_HEAP_CM_FORGET] = "forget",
};

static const char * const rmem_heap_cm_rules[RMEM_HEAP_CM_RULE_NR] = {
	[RMEM_HEAP_CM_OK] = "none",
	[RMEM_HEAP_CM_NC_OVER_DIRTY] = "non-cacheable write over lines that may be dirty",
	[RMEM_HEAP_CM_NC_ZERO_ALIAS] = "non-cacheable zeroing while a cacheable alias exists",
	[RMEM_HEAP_CM_HANDOVER_LINES] = "hand-over while caches may hold old lines",
	[RMEM_HEAP_CM_HANDOVER_DATA] = "hand-over of memory that was not zeroed",
	[RMEM_HEAP_CM_DEV_READ_STALE] = "device reads before a clean of the CPU's writes",
	[RMEM_HEAP_CM_DEV_OVER_DIRTY] = "device writes over lines that may be dirty",
	[RMEM_HEAP_CM_CPU_READ_STALE] = "CPU reads lines not invalidated after a device wrote",
	[RMEM_HEAP_CM_NC_READ_STALE] = "non-cacheable read while newer data may sit in the caches",
	[RMEM_HEAP_CM_CLEAN_ORDER] = "outer cache cleaned before the inner caches",
	[RMEM_HEAP_CM_BOOKKEEPING] = "impossible event (mapping count, double alloc or free)",
};

/**
 * rmem_heap_cm_event_name() - name of an event, for reports
 * @event: the event
 *
 * Return: a constant string.
 */
const char *rmem_heap_cm_event_name(enum rmem_heap_cm_event event)
{
	return event < RMEM_HEAP_CM_NR ? rmem_heap_cm_events[event] : "?";
}

/**
 * rmem_heap_cm_rule_name() - what a rule says, for reports
 * @rule: the rule
 *
 * Return: a constant string.
 */
const char *rmem_heap_cm_rule_name(enum rmem_heap_cm_rule rule)
{
	return rule < RMEM_HEAP_CM_RULE_NR ? rmem_heap_cm_rules[rule] : "?";
}

/**
 * rmem_heap_cm_init() - set up the model of a pool
 * @m:        the model
 * @npages:   pages of the pool
 * @outer:    the platform has an outer cache
 * @linear:   the pages always have a cacheable alias (reusable region)
 * @coherent: the pool's device snoops the CPU caches
 *
 * The pages start with nothing in the caches and unknown (unzeroed) data.
 *
 * Return: 0 or -ENOMEM.
 */
int rmem_heap_cm_init(struct rmem_heap_cmodel *m, unsigned long npages,
		      bool outer, bool linear, bool coherent)
{
	spin_lock_init(&m->lock);
	m->npages = npages;
	m->outer = outer;
	m->linear = linear;
	m->coherent = coherent;
	m->pages = kvcalloc(npages, sizeof(*m->pages), GFP_KERNEL);
	return m->pages ? 0 : -ENOMEM;
}

/**
 * rmem_heap_cm_destroy() - free a model
 * @m: the model (may be one whose init failed or never ran, zeroed)
 */
void rmem_heap_cm_destroy(struct rmem_heap_cmodel *m)
{
	kvfree(m->pages);
	m->pages = NULL;
}

static bool rmem_heap_cm_aliased(const struct rmem_heap_cmodel *m,
				 const struct rmem_heap_cm_page *p)
{
	return m->linear || p->kmaps || (p->flags & RMEM_HEAP_CM_USER);
}

static bool rmem_heap_cm_dirty(const struct rmem_heap_cm_page *p)
{
	return p->inner == RMEM_HEAP_CM_DIRTY || p->outer == RMEM_HEAP_CM_DIRTY;
}

/*
 * Does a copy (version @ver, zeroes if @zero) hold the latest data?  Two
 * zeroings write the same bytes, so a line left by an earlier zeroing is
 * current after a later one.
 */
static bool rmem_heap_cm_current(const struct rmem_heap_cm_page *p, u16 ver,
				 bool zero)
{
	return ver == p->latest || (zero && (p->flags & RMEM_HEAP_CM_ZEROED));
}

static bool rmem_heap_cm_mem_current(const struct rmem_heap_cm_page *p)
{
	return rmem_heap_cm_current(p, p->mem, p->flags & RMEM_HEAP_CM_MEM_Z);
}

static bool rmem_heap_cm_inner_current(const struct rmem_heap_cm_page *p)
{
	return p->inner == RMEM_HEAP_CM_NONE ||
	       rmem_heap_cm_current(p, p->inner_ver,
				    p->flags & RMEM_HEAP_CM_INNER_Z);
}

static bool rmem_heap_cm_outer_current(const struct rmem_heap_cm_page *p)
{
	return p->outer == RMEM_HEAP_CM_NONE ||
	       rmem_heap_cm_current(p, p->outer_ver,
				    p->flags & RMEM_HEAP_CM_OUTER_Z);
}

/* Does a cacheable read (the nearest level holding a line) see the latest? */
static bool rmem_heap_cm_visible_current(const struct rmem_heap_cm_page *p)
{
	if (p->inner != RMEM_HEAP_CM_NONE)
		return rmem_heap_cm_inner_current(p);
	if (p->outer != RMEM_HEAP_CM_NONE)
		return rmem_heap_cm_outer_current(p);
	return rmem_heap_cm_mem_current(p);
}

/* Copy the zero flag of level @from to level @to. */
static void rmem_heap_cm_copy_z(struct rmem_heap_cm_page *p, u8 from, u8 to)
{
	if (p->flags & from)
		p->flags |= to;
	else
		p->flags &= ~to;
}

/* Speculation: through a cacheable alias, empty levels may fill at once. */
static void rmem_heap_cm_fill(const struct rmem_heap_cmodel *m,
			      struct rmem_heap_cm_page *p)
{
	if (!rmem_heap_cm_aliased(m, p))
		return;
	if (m->outer && p->outer == RMEM_HEAP_CM_NONE) {
		p->outer = RMEM_HEAP_CM_CLEAN;
		p->outer_ver = p->mem;
		rmem_heap_cm_copy_z(p, RMEM_HEAP_CM_MEM_Z, RMEM_HEAP_CM_OUTER_Z);
	}
	if (p->inner == RMEM_HEAP_CM_NONE) {
		p->inner = RMEM_HEAP_CM_CLEAN;
		if (p->outer != RMEM_HEAP_CM_NONE) {
			p->inner_ver = p->outer_ver;
			rmem_heap_cm_copy_z(p, RMEM_HEAP_CM_OUTER_Z,
					    RMEM_HEAP_CM_INNER_Z);
		} else {
			p->inner_ver = p->mem;
			rmem_heap_cm_copy_z(p, RMEM_HEAP_CM_MEM_Z,
					    RMEM_HEAP_CM_INNER_Z);
		}
	}
}

static void rmem_heap_cm_set_z(struct rmem_heap_cm_page *p, u8 level,
			       bool zero)
{
	if (zero)
		p->flags |= level | RMEM_HEAP_CM_ZEROED;
	else
		p->flags &= ~(level | RMEM_HEAP_CM_ZEROED);
}

static void rmem_heap_cm_cpu_write(struct rmem_heap_cm_page *p, bool zero)
{
	p->latest = ++p->next;
	p->inner = RMEM_HEAP_CM_DIRTY;
	p->inner_ver = p->latest;
	rmem_heap_cm_set_z(p, RMEM_HEAP_CM_INNER_Z, zero);
}

/* A write that goes straight to memory: the non-cacheable CPU or a device. */
static void rmem_heap_cm_mem_write(struct rmem_heap_cm_page *p, bool zero)
{
	p->latest = ++p->next;
	p->mem = p->latest;
	rmem_heap_cm_set_z(p, RMEM_HEAP_CM_MEM_Z, zero);
}

/*
 * @cached: the owner reads through cacheable mappings only and its devices
 * see memory after the clean each importer map does: dirty lines holding
 * the new zeroes hide the old data from all of them (the kernel's CMA heap
 * relies on the same).
 */
static enum rmem_heap_cm_rule
rmem_heap_cm_handover(const struct rmem_heap_cmodel *m,
		      const struct rmem_heap_cm_page *p, bool cached)
{
	if (p->flags & RMEM_HEAP_CM_OWNED)
		return RMEM_HEAP_CM_BOOKKEEPING;
	if (!(p->flags & RMEM_HEAP_CM_ZEROED))
		return RMEM_HEAP_CM_HANDOVER_DATA;
	/* a coherent pool's devices see dirty lines: only the data counts */
	if (m->coherent || cached)
		return rmem_heap_cm_visible_current(p) ? RMEM_HEAP_CM_OK :
			RMEM_HEAP_CM_HANDOVER_LINES;
	if (rmem_heap_cm_dirty(p) || !rmem_heap_cm_mem_current(p) ||
	    !rmem_heap_cm_inner_current(p) || !rmem_heap_cm_outer_current(p))
		return RMEM_HEAP_CM_HANDOVER_LINES;
	return RMEM_HEAP_CM_OK;
}

/*
 * An invalidate drops a CPU write that was never cleaned: a caller that
 * starts a write bracket and never ends it (DMA_BUF_IOCTL_SYNC flags are
 * not checked for pairing) loses that write, as with the kernel's heaps.
 * That is the caller's choice, not a rule the driver broke: from now on the
 * data below the dropped line is the latest.
 */
static void rmem_heap_cm_discard(struct rmem_heap_cm_page *p)
{
	bool zero;

	if (p->outer != RMEM_HEAP_CM_NONE) {
		p->latest = p->outer_ver;
		zero = p->flags & RMEM_HEAP_CM_OUTER_Z;
	} else {
		p->latest = p->mem;
		zero = p->flags & RMEM_HEAP_CM_MEM_Z;
	}
	if (zero)
		p->flags |= RMEM_HEAP_CM_ZEROED;
	else
		p->flags &= ~RMEM_HEAP_CM_ZEROED;
}

/* Apply one event to one page; returns the first rule it breaks. */
static enum rmem_heap_cm_rule
rmem_heap_cm_page_event(const struct rmem_heap_cmodel *m,
			struct rmem_heap_cm_page *p,
			enum rmem_heap_cm_event event)
{
	enum rmem_heap_cm_rule rule = RMEM_HEAP_CM_OK;

	rmem_heap_cm_fill(m, p);

	switch (event) {
	case RMEM_HEAP_CM_MAP_KERNEL:
		if (p->kmaps == U8_MAX)
			rule = RMEM_HEAP_CM_BOOKKEEPING;
		else
			p->kmaps++;
		break;
	case RMEM_HEAP_CM_UNMAP_KERNEL:
		if (!p->kmaps)
			rule = RMEM_HEAP_CM_BOOKKEEPING;
		else
			p->kmaps--;
		break;
	case RMEM_HEAP_CM_MAP_USER:
		p->flags |= RMEM_HEAP_CM_USER;
		break;
	case RMEM_HEAP_CM_CPU_READ:
		if (!rmem_heap_cm_visible_current(p))
			rule = RMEM_HEAP_CM_CPU_READ_STALE;
		break;
	case RMEM_HEAP_CM_CPU_WRITE:
	case RMEM_HEAP_CM_CPU_ZERO:
		rmem_heap_cm_cpu_write(p, event == RMEM_HEAP_CM_CPU_ZERO);
		break;
	case RMEM_HEAP_CM_NC_READ:
		if (!rmem_heap_cm_mem_current(p))
			rule = RMEM_HEAP_CM_NC_READ_STALE;
		break;
	case RMEM_HEAP_CM_NC_ZERO:
		if (rmem_heap_cm_aliased(m, p))
			rule = RMEM_HEAP_CM_NC_ZERO_ALIAS;
		fallthrough;
	case RMEM_HEAP_CM_NC_WRITE:
		if (rmem_heap_cm_dirty(p))
			rule = RMEM_HEAP_CM_NC_OVER_DIRTY;
		rmem_heap_cm_mem_write(p, event == RMEM_HEAP_CM_NC_ZERO);
		break;
	case RMEM_HEAP_CM_CLEAN_INNER:
		if (p->inner == RMEM_HEAP_CM_DIRTY) {
			if (m->outer) {
				p->outer = RMEM_HEAP_CM_DIRTY;
				p->outer_ver = p->inner_ver;
				rmem_heap_cm_copy_z(p, RMEM_HEAP_CM_INNER_Z,
						    RMEM_HEAP_CM_OUTER_Z);
			} else {
				p->mem = p->inner_ver;
				rmem_heap_cm_copy_z(p, RMEM_HEAP_CM_INNER_Z,
						    RMEM_HEAP_CM_MEM_Z);
			}
			p->inner = RMEM_HEAP_CM_CLEAN;
		}
		break;
	case RMEM_HEAP_CM_INV_INNER:
		if (p->inner == RMEM_HEAP_CM_DIRTY &&
		    !(p->flags & RMEM_HEAP_CM_INNER_Z))
			rmem_heap_cm_discard(p);
		p->inner = RMEM_HEAP_CM_NONE;
		break;
	case RMEM_HEAP_CM_CLEAN_OUTER:
		if (p->inner == RMEM_HEAP_CM_DIRTY)
			rule = RMEM_HEAP_CM_CLEAN_ORDER;
		if (p->outer == RMEM_HEAP_CM_DIRTY) {
			p->mem = p->outer_ver;
			rmem_heap_cm_copy_z(p, RMEM_HEAP_CM_OUTER_Z,
					    RMEM_HEAP_CM_MEM_Z);
			p->outer = RMEM_HEAP_CM_CLEAN;
		}
		break;
	case RMEM_HEAP_CM_INV_OUTER:
		p->outer = RMEM_HEAP_CM_NONE;
		break;
	case RMEM_HEAP_CM_DEV_READ:
		if (!rmem_heap_cm_mem_current(p))
			rule = RMEM_HEAP_CM_DEV_READ_STALE;
		break;
	case RMEM_HEAP_CM_DEV_WRITE:
		if (rmem_heap_cm_dirty(p))
			rule = RMEM_HEAP_CM_DEV_OVER_DIRTY;
		rmem_heap_cm_mem_write(p, false);
		break;
	case RMEM_HEAP_CM_SNOOP_READ:
		break;
	case RMEM_HEAP_CM_SNOOP_WRITE:
		/* the interconnect invalidates or updates every copy */
		p->inner = RMEM_HEAP_CM_NONE;
		p->outer = RMEM_HEAP_CM_NONE;
		rmem_heap_cm_mem_write(p, false);
		break;
	case RMEM_HEAP_CM_ALLOC:
	case RMEM_HEAP_CM_ALLOC_CACHED:
		rule = rmem_heap_cm_handover(m, p,
					     event == RMEM_HEAP_CM_ALLOC_CACHED);
		p->flags |= RMEM_HEAP_CM_OWNED;
		break;
	case RMEM_HEAP_CM_FREE:
		if (!(p->flags & RMEM_HEAP_CM_OWNED))
			rule = RMEM_HEAP_CM_BOOKKEEPING;
		p->flags &= ~(RMEM_HEAP_CM_OWNED | RMEM_HEAP_CM_USER);
		break;
	case RMEM_HEAP_CM_ADOPT:
		/* the kernel's data, possibly dirty in every level */
		p->mem = ++p->next;
		p->outer = m->outer ? RMEM_HEAP_CM_DIRTY : RMEM_HEAP_CM_NONE;
		p->outer_ver = ++p->next;
		p->inner = RMEM_HEAP_CM_DIRTY;
		p->latest = ++p->next;
		p->inner_ver = p->latest;
		p->flags &= ~(RMEM_HEAP_CM_ZEROED | RMEM_HEAP_CM_MEM_Z |
			      RMEM_HEAP_CM_INNER_Z | RMEM_HEAP_CM_OUTER_Z);
		break;
	case RMEM_HEAP_CM_FORGET:
		p->inner = RMEM_HEAP_CM_NONE;
		p->outer = RMEM_HEAP_CM_NONE;
		p->mem = p->latest;
		p->kmaps = 0;
		p->flags &= RMEM_HEAP_CM_ZEROED;
		if (p->flags)
			p->flags |= RMEM_HEAP_CM_MEM_Z;
		break;
	default:
		rule = RMEM_HEAP_CM_BOOKKEEPING;
		break;
	}

	rmem_heap_cm_fill(m, p);
	return rule;
}

/**
 * rmem_heap_cm_event() - apply an event to pages of a pool and check it
 * @m:     the model
 * @first: first page (index within the pool)
 * @count: number of pages
 * @event: what happened
 * @bad:   set to the first page that broke a rule (if one did)
 *
 * The event is applied to every page even after a rule is broken, so that
 * the model goes on tracking what the caches may hold.
 *
 * Return: the first rule broken, or RMEM_HEAP_CM_OK.
 */
enum rmem_heap_cm_rule rmem_heap_cm_event(struct rmem_heap_cmodel *m,
					  unsigned long first,
					  unsigned long count,
					  enum rmem_heap_cm_event event,
					  unsigned long *bad)
{
	enum rmem_heap_cm_rule rule = RMEM_HEAP_CM_OK, r;
	unsigned long i;

	if (!m->pages)
		return RMEM_HEAP_CM_OK;
	if (first >= m->npages || count > m->npages - first) {
		*bad = first;
		return RMEM_HEAP_CM_BOOKKEEPING;
	}

	spin_lock(&m->lock);
	for (i = first; i < first + count; i++) {
		r = rmem_heap_cm_page_event(m, &m->pages[i], event);
		if (r && !rule) {
			rule = r;
			*bad = i;
		}
	}
	spin_unlock(&m->lock);
	return rule;
}
