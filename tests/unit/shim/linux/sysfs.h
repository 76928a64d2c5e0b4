/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: attribute helpers of <linux/sysfs.h> for src/fs.c. */
#ifndef SHIM_LINUX_SYSFS_H
#define SHIM_LINUX_SYSFS_H

#include <linux/kernel.h>
#include <linux/kobject.h>

#ifndef PAGE_SIZE
#define PAGE_SIZE	4096UL
#endif

#define __ATTR(_name, _mode, _show, _store) {				\
	.attr = { .name = #_name, .mode = (_mode) },			\
	.show = (_show),						\
	.store = (_store),						\
}

#define ATTRIBUTE_GROUPS(_name)						\
static const struct attribute_group _name##_group = {			\
	.attrs = _name##_attrs,						\
};									\
static const struct attribute_group *_name##_groups[] = {		\
	&_name##_group,							\
	NULL,								\
}

#define sysfs_emit(buf, fmt, ...) \
	scnprintf((buf), PAGE_SIZE, fmt, ##__VA_ARGS__)

#endif
