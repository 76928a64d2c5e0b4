# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by tests/fstests/guest, and by tests/vm/240-fstests-busy-mount.sh
# which tests it.
#
# release_mounts: unmount every btrfs mounted now, ending the processes that
# hold one (fuser -km), for up to 60 s; returns 1 and names what is still
# mounted after that.  Without it the module of a run cannot be unloaded for
# the next one: generic/298 on 6.1 SIGKILLs a reflink still inside its
# ioctl, the test's own umount found the scratch fs busy, and "rmmod btrfs"
# then failed and the btrfsx run never started.
release_mounts() {
	local m mnt
	for _ in $(seq 60); do
		m=$(awk '$3 == "btrfs" { print $2 }' /proc/mounts)
		[ -n "$m" ] || return 0
		for mnt in $m; do
			fuser -km "$mnt" >/dev/null 2>&1
			umount "$mnt" 2>/dev/null
		done
		sleep 1
	done
	echo "release_mounts: still mounted after 60 s: $m" >&2
	return 1
}
