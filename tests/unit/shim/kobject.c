// SPDX-License-Identifier: GPL-2.0
/* Userspace implementations behind the shim's <linux/kobject.h>. */

#include <stdarg.h>
#include <stdio.h>
#include <linux/bug.h>
#include <linux/kobject.h>

const struct sysfs_ops kobj_sysfs_ops;

int kobject_init_and_add(struct kobject *kobj, const struct kobj_type *ktype,
			 struct kobject *parent, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kobj->name, sizeof(kobj->name), fmt, ap);
	va_end(ap);
	kobj->ktype = ktype;
	kobj->parent = parent;
	kobj->added = true;
	__atomic_store_n(&kobj->refcount, 1, __ATOMIC_RELEASE);
	return 0;
}

void kobject_del(struct kobject *kobj)
{
	WARN_ON(!kobj->added);
	kobj->added = false;
}

void kobject_put(struct kobject *kobj)
{
	if (__atomic_sub_fetch(&kobj->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	kobj->added = false;	/* the kernel deletes it here if need be */
	kobj->ktype->release(kobj);
}
