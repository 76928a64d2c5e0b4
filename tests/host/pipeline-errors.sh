#!/bin/bash
# Purpose: every refusal of the import pipeline names the problem and the fix.
. "$(dirname "$0")/common.sh"
k61=$(_kver 6.1)
imp=$TOP/scripts/import

_expect_error "missing headers" \
	"no kernel headers for 9.9.9-none.*install linux-headers-9.9.9-none.*Kernels with headers:.*$k61" \
	"$imp" 9.9.9-none "$TMP/out"

mkdir -p "$TMP/nosrc"
_expect_error "missing source" \
	"install the package linux-source-6.1 " \
	env BTRFSX_SRCDIR="$TMP/nosrc" "$imp" "$k61" "$TMP/out"

_expect_error "BTRFSX_KSRC does not exist" "BTRFSX_KSRC=$TMP/nothere does not exist" \
	env BTRFSX_KSRC="$TMP/nothere" "$imp" "$k61" "$TMP/out"

mkdir -p "$TMP/notatree"
_expect_error "BTRFSX_KSRC not a tree" "is not a kernel tree" \
	env BTRFSX_KSRC="$TMP/notatree" "$imp" "$k61" "$TMP/out"

# A kernel tree of another sublevel.
fake=$TMP/linux-6.1.1
mkdir -p "$fake/fs/btrfs" "$fake/include/trace/events"
printf 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 1\nEXTRAVERSION =\n' >"$fake/Makefile"
echo '/* not btrfs */' >"$fake/fs/btrfs/ctree.c"
echo '/* not btrfs */' >"$fake/fs/btrfs/super.c"
echo '/* not btrfs */' >"$fake/include/trace/events/btrfs.h"
_expect_error "version mismatch" \
	"is Linux 6.1.1 but the headers of $k61 are 6\.1\.[0-9]+.*BTRFSX_FORCE=1" \
	env BTRFSX_KSRC="$fake" "$imp" "$k61" "$TMP/out"
# Forced, it gets past the version check and stops at the first patch.
_expect_error "forced mismatch" "patches/common/control-device-dynamic-minor.patch does not apply to Linux 6.1.1" \
	env BTRFSX_KSRC="$fake" BTRFSX_FORCE=1 "$imp" "$k61" "$TMP/out"

# Debian's linux-source of another release than the headers: refused before
# any extraction, in dkms-check's words (one policy: scripts/kernel-source).
if dpkg-query -W linux-source-6.1 >/dev/null 2>&1 && dpkg-query -W "linux-headers-$k61" >/dev/null 2>&1; then
	mkdir -p "$TMP/bin"
	printf '#!/bin/sh\ncase "$*" in *linux-source-*) echo 6.1.1-1 ;; *) exec /usr/bin/dpkg-query "$@" ;; esac\n' >"$TMP/bin/dpkg-query"
	chmod +x "$TMP/bin/dpkg-query"
	_expect_error "older source package" \
		"linux-source-6.1 is 6.1.1 but the headers are 6\.1\.[0-9]+; install linux-source-6.1 of the same release" \
		env PATH="$TMP/bin:$PATH" "$imp" "$k61" "$TMP/out"
fi

# Headers of a series btrfsx has no patches for.
kb=$TMP/kbuild-5.10
mkdir -p "$kb"
printf 'kernelversion:\n\t@echo 5.10.209\n' >"$kb/Makefile"
_expect_error "unsupported series" "is a 5.10 kernel; supported series: 6.1 6.12 7.2" \
	env BTRFSX_KBUILD="$kb" "$imp" 5.10.0-fake "$TMP/out"

_expect_error "unknown KVER spec" "no installed kernel headers of series 4.19" \
	"$TOP/scripts/kernels" 4.19

# The debug-kernel tier (make check-debug) without its source, and
# scripts/dev/vm pointed at a kernel root that is not there.
_expect_error "debug kernel without source" "apt-get install linux-source-6.1" \
	env BTRFSX_SRCDIR="$TMP/nosrc" "$TOP/scripts/dev/debug-kernel" 6.1
_expect_error "vm --kroot missing" "vm: --kroot $TMP/nokroot: no such directory" \
	"$TOP/scripts/dev/vm" --kroot "$TMP/nokroot" --kver 6.1 -- true
mkdir -p "$TMP/kroot/boot"
_expect_error "vm --kroot without that kernel" "$TMP/kroot/boot/vmlinuz-6.1.0-none not found" \
	"$TOP/scripts/dev/vm" --kroot "$TMP/kroot" --kver 6.1.0-none -- true
exit 0
