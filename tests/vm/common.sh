# SPDX-License-Identifier: GPL-2.0
# Helpers for the VM tests (sourced).  Style of fstests: one scenario per
# script, _require_* guards that skip with a reason, _fail that says why.
# Exit status of a test: 0 pass, 1 fail, 77 skip.

set -u
: "${VM_DISKS:?VM tests run inside scripts/dev/vm}"
read -r -a DISKS <<<"$VM_DISKS"
SCRATCH=${SCRATCH:-/tmp/btrfsx-test}
mkdir -p "$SCRATCH"

_fail() { echo "FAIL: $*" >&2; exit 1; }
_skip() { echo "SKIP: $*" >&2; exit 77; }
_note() { echo "# $*"; }

_require_cmd() {
	local c
	for c; do command -v "$c" >/dev/null || _skip "$c not installed"; done
}
_require_disks() {
	[ "${#DISKS[@]}" -ge "$1" ] || _skip "needs $1 scratch disks, have ${#DISKS[@]}"
}

# Run a command that must succeed; on failure show what it said.
_run() {
	local out
	out=$("$@" 2>&1) || _fail "'$*' failed: $out"
}

_mkfs() { # _mkfs [mkfs.btrfs options] DEV...
	_run mkfs.btrfs -f -q "$@"
}

_mount() { # _mount TYPE DEV DIR [OPTIONS]
	mkdir -p "$3"
	_run mount -t "$1" ${4:+-o "$4"} "$2" "$3"
}

_umount() { _run umount "$1"; }

# Fill DIR with a few files of random data (sizes in KiB).
_populate() {
	local dir=$1 i
	mkdir -p "$dir/sub"
	for i in 4 64 1000 3000; do
		head -c "${i}K" /dev/urandom >"$dir/f$i"
	done
	head -c 2M /dev/urandom >"$dir/sub/g"
	seq 1 200000 >"$dir/sub/text"
}

# Checksums of every regular file below DIR, paths relative to DIR.
_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }

_verify() { # _verify DIR SUMFILE
	(cd "$1" && sha256sum --quiet -c "$2") >/dev/null 2>&1 ||
		_fail "checksums differ in $1: $( (cd "$1" && sha256sum --quiet -c "$2") 2>&1 | head -3)"
}

_drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

_btrfs_check() { # unmounted device
	local out
	out=$(btrfs check --readonly "$1" 2>&1) || _fail "btrfs check $1: $out"
}

_fstype() { awk -v m="$1" '$2 == m { print $3 }' /proc/mounts | tail -n1; }

# The btrfsx.ko path scripts/dev/vm loaded (VM_KOS in $VM_OUT/.vm/env; bash
# arrays do not survive the environment, so read the file).
_btrfsx_ko() {
	local VM_KOS=() ko
	# shellcheck source=/dev/null
	[ -n "${VM_OUT:-}" ] && [ -f "$VM_OUT/.vm/env" ] && . "$VM_OUT/.vm/env"
	for ko in "${VM_KOS[@]}"; do
		case $ko in */btrfsx.ko) echo "$ko"; return 0 ;; esac
	done
	return 1
}
_loaded() { grep -q "^$1 " /proc/modules; } # _loaded MODULE
# Load the stock btrfs module. modprobe reads the host's modules.dep over 9p,
# which a depmod running on the host may be rewriting: retry, then load the
# file itself.
_load_stock() {
	local i f
	for i in 1 2 3; do
		modprobe btrfs 2>/dev/null && return 0
		sleep 2
	done
	for f in /lib/modules/"$(uname -r)"/kernel/fs/btrfs/btrfs.ko*; do
		[ -f "$f" ] && insmod "$f" && return 0
	done
	return 1
}
