/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: enough of kobjects for src/fs.c.  No sysfs: a kobject
 * keeps its type, parent and a reference count, and kobject_put() of the last
 * reference calls the type's release.  Tests read attributes through
 * kobj->ktype->default_groups, as sysfs would. */
#ifndef SHIM_LINUX_KOBJECT_H
#define SHIM_LINUX_KOBJECT_H

#include <sys/types.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/types.h>

struct kobject;

struct attribute {
	const char *name;
	unsigned short mode;
};

struct attribute_group {
	struct attribute **attrs;
};

struct kobj_attribute {
	struct attribute attr;
	ssize_t (*show)(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf);
	ssize_t (*store)(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count);
};

struct sysfs_ops {
	int unused;
};

extern const struct sysfs_ops kobj_sysfs_ops;

struct kobj_type {
	const struct sysfs_ops *sysfs_ops;
	void (*release)(struct kobject *kobj);
	const struct attribute_group **default_groups;
};

struct kobject {
	char name[32];
	struct kobject *parent;
	const struct kobj_type *ktype;
	int refcount;			/* atomic */
	bool added;
};

int kobject_init_and_add(struct kobject *kobj, const struct kobj_type *ktype,
			 struct kobject *parent, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void kobject_del(struct kobject *kobj);
void kobject_put(struct kobject *kobj);

#endif
