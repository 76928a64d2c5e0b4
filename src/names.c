// SPDX-License-Identifier: GPL-2.0
/*
 * Compatibility with the stock btrfs names and with btrfs-progs
 * (include/btrfsx/names.h, docs/btrfs-progs.md): the names btrfsx registers
 * under, chosen at load time, the type /proc/mounts shows for its mounts, and
 * the /sys/fs/btrfs/<fsid> links btrfs-progs look for.
 *
 * patches/rename.rules does not touch src/, so the stock names below stay as
 * written.
 */

#define pr_fmt(fmt) "btrfsx: " fmt

#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "btrfsx/names.h"

#define STOCK_NAME	"btrfs"
#define OWN_NAME	"btrfsx"

static bool dropin;
module_param(dropin, bool, 0444);
MODULE_PARM_DESC(dropin,
		 "Register under the stock btrfs names (filesystem type btrfs, /sys/fs/btrfs, /dev/btrfs-control); refused while the stock btrfs module is loaded");

/*
 * Read-only: a second mount of a mounted filesystem finds its superblock
 * among those of the superblock type only, so that type (and its name) must
 * not change while the module is loaded.
 */
static bool progs_compat = true;
module_param(progs_compat, bool, 0444);
MODULE_PARM_DESC(progs_compat,
		 "btrfs-progs compatibility: /proc/mounts shows btrfsx mounts as type btrfs, and /sys/fs/btrfs/<fsid> links to /sys/fs/btrfsx/<fsid> while the stock module is loaded (default on)");

const char *btrfsx_name(void)
{
	return dropin ? STOCK_NAME : OWN_NAME;
}

/* The stock module's /sys/fs/btrfs, or NULL; a reference to put. */
static struct kernfs_node *stock_sysfs_dir(void)
{
	return kernfs_find_and_get(fs_kobj->sd, STOCK_NAME);
}

int btrfsx_names_init(void)
{
	struct kernfs_node *kn;

	if (!dropin)
		return 0;
	/*
	 * The stock module (loadable or built in) makes /sys/fs/btrfs first
	 * thing.  Look it up without get_fs_type("btrfs"), which would load the
	 * stock module, and before kset_create_and_add() would warn about the
	 * duplicate with a stack dump.
	 */
	kn = stock_sysfs_dir();
	if (kn) {
		kernfs_put(kn);
		pr_err("drop-in mode refused: the stock btrfs module is loaded (/sys/fs/%s exists); unmount its filesystems and 'rmmod btrfs' first, or load btrfsx without dropin=1\n",
		       STOCK_NAME);
		return -EBUSY;
	}
	pr_info("drop-in mode: filesystem type %s, /sys/fs/%s, /dev/%s-control\n",
		STOCK_NAME, STOCK_NAME, STOCK_NAME);
	return 0;
}

int btrfsx_register_filesystem(struct file_system_type *fs_type,
			       struct file_system_type *sb_type)
{
	int ret;

	/*
	 * Kernels with the mount API (6.8 on) have a single type: btrfsx adds
	 * @sb_type empty, and it is @fs_type under another name, so it cannot
	 * drift from it when upstream changes the type's flags or operations.
	 * Neither is registered yet, so the copy takes no list or lock state.
	 */
	if (!sb_type->kill_sb)
		*sb_type = *fs_type;
	fs_type->name = btrfsx_name();
	sb_type->name = (dropin || progs_compat) ? STOCK_NAME : OWN_NAME;
	ret = register_filesystem(fs_type);
	if (ret == -EBUSY)
		pr_err("filesystem type %s is already registered%s\n",
		       fs_type->name,
		       dropin ? " (drop-in mode: is the stock btrfs module loaded?)" : "");
	return ret;
}

int btrfsx_misc_register(struct miscdevice *misc)
{
	int ret;

	if (!dropin) {
		misc->name = OWN_NAME "-control";
		misc->minor = MISC_DYNAMIC_MINOR;
		return misc_register(misc);
	}
	misc->name = STOCK_NAME "-control";
	misc->minor = BTRFS_MINOR;
	ret = misc_register(misc);
	if (ret != -EBUSY)
		return ret;
	pr_warn("misc minor %d is taken: /dev/%s-control gets a dynamic minor\n",
		BTRFS_MINOR, STOCK_NAME);
	misc->minor = MISC_DYNAMIC_MINOR;
	return misc_register(misc);
}

/*
 * /sys/fs/btrfs/<fsid> -> ../btrfsx/<fsid> for each mounted filesystem while
 * the stock module is loaded.  btrfs-progs read /sys/fs/btrfs/<fsid>/ (6.2's
 * "filesystem usage" and "device usage" fail without devinfo/<id>/fsid).  The
 * link lives in the stock module's kset directory, so each link holds a
 * reference on the stock module: its kset cannot go away under the link
 * ("rmmod btrfs" says it is in use until the btrfsx filesystem is unmounted).
 */
struct compat_link {
	struct list_head list;
	struct kobject *target;		/* our fsid directory */
	struct kobject *dir;		/* the stock /sys/fs/btrfs */
	struct file_system_type *stock;	/* holds the stock module */
	char name[40];			/* the fsid, as the link is named */
};

static LIST_HEAD(compat_links);
static DEFINE_MUTEX(compat_links_lock);

void btrfsx_sysfs_link_fsid(struct kobject *fsid_kobj)
{
	struct file_system_type *stock;
	struct compat_link *link;
	struct kernfs_node *kn;
	int ret;

	if (dropin || !progs_compat)
		return;
	/* Only when the stock module is loaded; do not load it. */
	kn = stock_sysfs_dir();
	if (!kn)
		return;
	kernfs_put(kn);
	stock = get_fs_type(STOCK_NAME);
	if (!stock)
		return;
	/* Now the stock module cannot unload: its kset stays. */
	kn = stock_sysfs_dir();
	if (!kn)
		goto put_stock;
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		goto put_kn;
	link->target = fsid_kobj;
	link->dir = kn->priv;	/* a sysfs directory's kobject */
	link->stock = stock;
	strscpy(link->name, kobject_name(fsid_kobj), sizeof(link->name));
	/*
	 * No warning when the name exists: the stock module has a filesystem
	 * of the same fsid mounted (a copied device); btrfs-progs then find
	 * that one's sysfs files, as they would on stock btrfs.
	 */
	ret = sysfs_create_link_nowarn(link->dir, fsid_kobj, link->name);
	if (ret) {
		pr_info("no /sys/fs/%s/%s link: %d\n", STOCK_NAME, link->name,
			ret);
		kfree(link);
		goto put_kn;
	}
	kernfs_put(kn);
	mutex_lock(&compat_links_lock);
	list_add(&link->list, &compat_links);
	mutex_unlock(&compat_links_lock);
	return;

put_kn:
	kernfs_put(kn);
put_stock:
	module_put(stock->owner);
}

void btrfsx_sysfs_unlink_fsid(struct kobject *fsid_kobj)
{
	struct compat_link *link, *found = NULL;

	mutex_lock(&compat_links_lock);
	list_for_each_entry(link, &compat_links, list) {
		if (link->target == fsid_kobj) {
			list_del(&link->list);
			found = link;
			break;
		}
	}
	mutex_unlock(&compat_links_lock);
	if (!found)
		return;
	sysfs_remove_link(found->dir, found->name);
	module_put(found->stock->owner);
	kfree(found);
}

void btrfsx_sysfs_relink_fsid(struct kobject *fsid_kobj)
{
	btrfsx_sysfs_unlink_fsid(fsid_kobj);
	btrfsx_sysfs_link_fsid(fsid_kobj);
}
