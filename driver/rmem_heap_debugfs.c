// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: /sys/kernel/debug/rmem_heap/<heap>, the live buffers of the
 * heap's pool, one per line:
 *   offset size heap cleans invals pid comm name
 * .zeroing/, the zeroing's debug knobs for tests (rmem_heap_zero.c), and
 * .mapping/, how user mappings were filled in (rmem_heap_mmap.c).
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <uapi/linux/dma-buf.h>

#include "rmem_heap.h"

static struct dentry *rmem_heap_debugfs_root;

static int rmem_heap_debugfs_show(struct seq_file *s, void *unused)
{
	struct rmem_heap *heap = s->private;
	struct rmem_heap_pool *pool = heap->pool;
	struct rmem_heap_buffer *buffer;
	char name[DMA_BUF_NAME_LEN];
	char comm[TASK_COMM_LEN];
	char *p;

	seq_puts(s, "# offset size heap cleans invals pid comm name\n");

	mutex_lock(&pool->lock);
	list_for_each_entry(buffer, &pool->buffers, pool_node) {
		rmem_heap_buffer_name(buffer, name, sizeof(name));
		strscpy(comm, buffer->comm, sizeof(comm));
		for (p = comm; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				*p = '_';
		seq_printf(s, "0x%llx %zu %s %ld %ld %d %s %s\n",
			   (unsigned long long)buffer->offset, buffer->size,
			   buffer->heap->name,
			   atomic_long_read(&buffer->cleans),
			   atomic_long_read(&buffer->invals),
			   buffer->pid, comm[0] ? comm : "-", name);
	}
	mutex_unlock(&pool->lock);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rmem_heap_debugfs);

/**
 * rmem_heap_debugfs_init() - create /sys/kernel/debug/rmem_heap
 *
 * Failure is not fatal: debugfs is a debugging aid.
 */
void rmem_heap_debugfs_init(void)
{
	struct dentry *knobs;

	rmem_heap_debugfs_root = debugfs_create_dir("rmem_heap", NULL);
	/* heap names cannot start with a dot: no clash with a heap's file */
	knobs = debugfs_create_dir(".zeroing", rmem_heap_debugfs_root);
	debugfs_create_bool("hold", 0600, knobs, &rmem_heap_zero_hold);
	debugfs_create_u32("delay_ms", 0600, knobs, &rmem_heap_zero_delay_ms);
	debugfs_create_atomic_t("waits", 0400, knobs, &rmem_heap_zero_waits);
	knobs = debugfs_create_dir(".mapping", rmem_heap_debugfs_root);
	debugfs_create_bool("pmd", 0400, knobs, &rmem_heap_map_pmd);
	debugfs_create_atomic_t("pmds", 0400, knobs, &rmem_heap_map_pmds);
	debugfs_create_atomic_t("pte_faults", 0400, knobs,
				&rmem_heap_map_pte_faults);
}

/**
 * rmem_heap_debugfs_exit() - remove /sys/kernel/debug/rmem_heap
 */
void rmem_heap_debugfs_exit(void)
{
	debugfs_remove(rmem_heap_debugfs_root);
	rmem_heap_debugfs_root = NULL;
}

/**
 * rmem_heap_debugfs_add() - create the debugfs file of a heap
 * @heap: the heap
 */
void rmem_heap_debugfs_add(struct rmem_heap *heap)
{
	heap->debugfs = debugfs_create_file(heap->name, 0444,
					    rmem_heap_debugfs_root, heap,
					    &rmem_heap_debugfs_fops);
}

/**
 * rmem_heap_debugfs_del() - remove the debugfs file of a heap
 * @heap: the heap
 *
 * Waits for readers of the file to finish.
 */
void rmem_heap_debugfs_del(struct rmem_heap *heap)
{
	debugfs_remove(heap->debugfs);
	heap->debugfs = NULL;
}
