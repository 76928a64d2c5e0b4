// SPDX-License-Identifier: GPL-2.0
/*
 * Debug builds only (Kbuild adds this file with BTRFSX_DEBUG): the race
 * matrix's experiment switches, module parameters debug_* (see
 * docs/extent-rule.md), and the extent rule's assertion where data references
 * are queued, with the per-task scopes it reads.
 */

#include <linux/delay.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include "btrfsx/extent-rule.h"
#include "btrfsx/fs.h"

static bool debug_disk_rule = true;
module_param(debug_disk_rule, bool, 0644);
MODULE_PARM_DESC(debug_disk_rule,
		 "debug: enforce the DISK extent rule (default Y)");

static bool debug_upstream_protection = true;
module_param(debug_upstream_protection, bool, 0644);
MODULE_PARM_DESC(debug_upstream_protection,
		 "debug: keep upstream's reflink/relocation protection (6.1: clone locks the source range; 6.12: relocation try-locks i_mmap_lock) (default Y)");

static unsigned int debug_clone_delay_ms;
module_param(debug_clone_delay_ms, uint, 0644);
MODULE_PARM_DESC(debug_clone_delay_ms,
		 "debug: sleep this long between reading a source extent item and queueing its new reference in clone/dedupe (default 0)");

bool btrfsx_rule_enabled(void)
{
	return READ_ONCE(debug_disk_rule);
}

bool btrfsx_upstream_protection(void)
{
	return READ_ONCE(debug_upstream_protection);
}

/*
 * 6.12 and later: whether relocation takes upstream's protection, a trylock
 * of the inode's i_mmap_lock, for this item; remembered for its unlocks.
 */
bool btrfsx_debug_reloc_mmap_lock(struct btrfsx_reloc_leaf *rl)
{
	rl->mmap_lock = btrfsx_upstream_protection();
	return rl->mmap_lock;
}

void btrfsx_debug_clone_delay(void)
{
	unsigned int ms = READ_ONCE(debug_clone_delay_ms);

	if (ms)
		msleep(ms);
}

static bool debug_clone_skip_lock;
module_param(debug_clone_skip_lock, bool, 0644);
MODULE_PARM_DESC(debug_clone_skip_lock,
		 "debug: clone and dedupe do not take the source extent's DISK lock although the rule is on, to show that the assertion catches it (default N)");

bool btrfsx_debug_clone_skip_lock(void)
{
	return READ_ONCE(debug_clone_skip_lock);
}

static unsigned int debug_runner_disk_lock;
module_param(debug_runner_disk_lock, uint, 0644);
MODULE_PARM_DESC(debug_runner_disk_lock,
		 "debug: the delayed-ref runner skips a data ref head whose DISK range it cannot try-lock, 1 exclusive, 2 shared: the design docs/extent-rule.md rejects, to show the commit livelock (default 0)");

bool btrfsx_debug_runner_skip(struct btrfsx_fs *fs, u64 bytenr, u64 len)
{
	unsigned int mode = READ_ONCE(debug_runner_disk_lock);
	struct btrfsx_range_req req;

	if (!mode || !fs)
		return false;
	if (!btrfsx_extent_trylock(fs, bytenr, len,
				   mode == 1 ? BTRFSX_RANGE_EXCL :
					       BTRFSX_RANGE_SHARED,
				   BTRFSX_RANGE_DELAYED_REF, &req))
		return true;
	btrfsx_range_unlock(&req);
	return false;
}

/*
 * Open scopes, by task.  Debug builds only, so one lock for all is enough;
 * the newest scope of a task is found first (hash_add() adds at the head).
 */
static DEFINE_SPINLOCK(scope_lock);
static DEFINE_HASHTABLE(scope_table, 6);

void btrfsx_rule_scope_open(struct btrfsx_rule_scope *scope,
			    struct btrfsx_fs *fs,
			    enum btrfsx_range_caller caller, bool excl)
{
	scope->task = current;
	scope->fs = fs;
	scope->held = NULL;
	scope->bytenr = 0;
	scope->len = 0;
	scope->caller = caller;
	scope->excl = excl;
	spin_lock(&scope_lock);
	hash_add(scope_table, &scope->node, (unsigned long)current);
	spin_unlock(&scope_lock);
}

void btrfsx_rule_scope_close(struct btrfsx_rule_scope *scope)
{
	spin_lock(&scope_lock);
	hash_del(&scope->node);
	spin_unlock(&scope_lock);
}

void btrfsx_assert_data_ref(struct btrfsx_fs *fs, bool add, u64 bytenr,
			    u64 len)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 3);
	struct btrfsx_rule_scope *scope, *found = NULL;

	if (!btrfsx_rule_enabled())
		return;
	spin_lock(&scope_lock);
	hash_for_each_possible(scope_table, scope, node,
			       (unsigned long)current) {
		if (scope->task == current) {
			found = scope;
			break;
		}
	}
	spin_unlock(&scope_lock);
	/* The scope belongs to this task: it cannot go away under us. */
	if (!found || found->fs != fs || !found->len ||
	    bytenr + len <= found->bytenr || found->bytenr + found->len <= bytenr)
		return;
	if (btrfsx_extent_held(fs, found->held, bytenr, len, found->excl))
		return;
	if (__ratelimit(&rs))
		WARN(1, "btrfsx: %s queued %s of data extent [%llu, +%llu) without its %s DISK lock\n",
		     btrfsx_range_caller_name(found->caller), add ? "an ADD" : "a DROP",
		     bytenr, len, found->excl ? "exclusive" : "shared");
}
