/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a module parameter stays the file's static variable;
 * tests reach it through shim_param_<name>(), which returns its address. */
#ifndef SHIM_LINUX_MODULEPARAM_H
#define SHIM_LINUX_MODULEPARAM_H

#define module_param(name, type, perm)					\
	__typeof__(name) *shim_param_##name(void);			\
	__typeof__(name) *shim_param_##name(void)			\
	{								\
		return &name;						\
	}								\
	extern int shim_param_end_##name

#define MODULE_PARM_DESC(name, desc)	extern int shim_param_desc_##name

#endif
