// SPDX-License-Identifier: GPL-2.0
/*
 * judge_warn - a module whose init triggers one WARN_ON() and then loads
 * normally.  The lab loads it to prove that its console judge fails a boot
 * that shows a kernel warning.
 *
 * Parameter "warn" (default true): set warn=0 to load without the warning,
 * as a control run.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static bool warn = true;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "Trigger WARN_ON(1) at load (default: true)");

static int __init judge_warn_init(void)
{
	pr_info("loading, warn=%d\n", warn);
	WARN_ON(warn);
	return 0;
}

static void __exit judge_warn_exit(void)
{
	pr_info("unloaded\n");
}

module_init(judge_warn_init);
module_exit(judge_warn_exit);

MODULE_DESCRIPTION("Lab judge self-test: WARN_ON at module load");
MODULE_LICENSE("GPL");
