/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: nothing to generate. */
