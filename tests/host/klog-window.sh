#!/bin/bash
# Purpose: a VM test's kernel log window (tests/vm/lib-reliability.sh
# _klog_after) says so when its start marker has left the ring buffer.
# CI (stop 24) failed 100-corrupt-images on 6.1 with "[RIP: 0033:X]": the
# 128 KiB buffer had wrapped during the test, the window was the whole
# buffer, and it began inside an upstream WARN report that the test expects,
# after that report's "cut here" and Call Trace lines.  Now the guests boot
# with log_buf_len=8M, and a lost marker is a "kernel log lost" line that
# fails the test under both checks (KLOG_BAD, fuzz.py klog-check).
. "$(dirname "$0")/common.sh"
. "$TOP/tests/vm/lib-reliability.sh"

# dmesg as the guest would print it: $LOG.
dmesg() { cat "$LOG"; }
LOG=$TMP/dmesg

# The marker is there: only what follows it, no "lost" line.
cat >"$LOG" <<'EOF'
[  100.000000] BTRFS info (device loop0): first mount of filesystem x
[  101.000000] btrfsx-test: start 100-corrupt-images
[  102.000000] BTRFSX info (device loop0): using free space tree
EOF
win=$(_klog_after "btrfsx-test: start 100-corrupt-images")
[ "$win" = "[  102.000000] BTRFSX info (device loop0): using free space tree" ] ||
	_fail "window after the marker: '$win'"
echo "# marker kept: the window is the one line after it"

# The buffer wrapped: it starts in the tail of a WARN report.
cat >"$LOG" <<'EOF'
[  180.000000]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8
[  180.000001] RIP: 0033:0x7fd256bb3ca7
[  180.000002] RSP: 002b:00007ffd2b5f7e88 EFLAGS: 00000246
[  180.000003]  </TASK>
[  180.000004] ---[ end trace 0000000000000000 ]---
[  183.000000] BTRFSX error (device loop0): open_ctree failed: -22
EOF
win=$(_klog_after "btrfsx-test: start 100-corrupt-images")
tail -1 <<<"$win" | grep -q 'kernel log lost: "btrfsx-test: start 100-corrupt-images"' ||
	_fail "a lost marker is not reported: '$win'"
grep -qE "$KLOG_BAD" <<<"$(tail -1 <<<"$win")" || _fail "KLOG_BAD does not match the lost line"
printf '# nothing allowed\n' >"$TMP/list"
out=$(python3 "$TOP/tests/vm/fuzz/fuzz.py" klog-check "$TMP/list" <<<"$win")
grep -q "kernel log lost" <<<"$out" || _fail "klog-check passes a lost window: '$out'"
echo "# marker lost: both checks fail the window ($(grep -c . <<<"$out") bad events)"

grep -q 'log_buf_len=' "$TOP/scripts/dev/vm" || _fail "scripts/dev/vm boots without log_buf_len"
echo "# scripts/dev/vm: $(grep -o 'log_buf_len=[0-9A-Z]*' "$TOP/scripts/dev/vm" | head -1)"
exit 0
