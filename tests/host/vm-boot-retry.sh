#!/bin/bash
# Purpose: scripts/dev/vm boots again when the kernel dies before vm-init starts
# (the emulator's fault: an "Oops: int3" of the kernel's code patching under
# multi-threaded TCG), at most three boots in all, keeping each dead boot's
# console; a guest that dies after vm-init started is not booted again.
. "$(dirname "$0")/common.sh"
command -v qemu-system-x86_64 >/dev/null || _skip "no qemu (apt-get install qemu-system-x86)"
k=$(_kver 6.1)
# No init in the initramfs: the kernel panics before any script of ours.
out=$TMP/early
rc=0
VM_APPEND=rdinit=/nonexistent "$TOP/scripts/dev/vm" --kver "$k" --quiet --timeout 120 \
	--out "$out" -- true >"$TMP/early.log" 2>&1 || rc=$?
[ "$rc" = 255 ] || _fail "a kernel that cannot boot: exit $rc, not 255: $(tail -3 "$TMP/early.log")"
n=$(grep -c 'the kernel died while booting, before vm-init' "$TMP/early.log")
[ "$n" = 2 ] || _fail "booted again $n times, not 2: $(cat "$TMP/early.log")"
[ -s "$out/console.boot-1.log" ] && [ -s "$out/console.boot-2.log" ] && [ -s "$out/console.log" ] ||
	_fail "the consoles of the three boots are not all kept: $(ls "$out")"
grep -q 'guest died' "$TMP/early.log" || _fail "no 'guest died' after the third boot"
echo "# $(grep -m1 'booting again' "$TMP/early.log" | cut -c1-150)"
# A guest that dies after vm-init started: one boot, its status 255.
out=$TMP/late
rc=0
"$TOP/scripts/dev/vm" --kver "$k" --quiet --timeout 120 --out "$out" \
	-- 'echo c >/proc/sysrq-trigger; sleep 60' >"$TMP/late.log" 2>&1 || rc=$?
[ "$rc" = 255 ] || _fail "a guest that panics: exit $rc, not 255"
! grep -q 'booting again' "$TMP/late.log" || _fail "a guest that died after vm-init was booted again"
grep -q 'Kernel panic' "$out/console.log" || _fail "the panic is not in the console"
exit 0
