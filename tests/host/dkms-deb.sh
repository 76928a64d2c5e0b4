#!/bin/bash
# Purpose: the btrfsx-dkms package on this machine: `apt install` builds and
# installs btrfsx for every kernel it can (signed with DKMS's key), and names
# the linux-source-X.Y each other kernel waits for (here the newest series',
# hidden with BTRFSX_SRCDIR); when that source arrives, the package's trigger
# runs `dkms autoinstall` (what a kernel upgrade runs), which builds it; a VM
# of each kernel booted with no --ko finds it through the shared root with
# `modprobe btrfsx` and mounts -t btrfsx; `apt purge` leaves nothing. Needs
# root; takes ~5 min (2 DKMS builds, 2 VMs).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dkms.lib"
_require_dkms_host
deb=$TOP/build/deb/btrfsx-dkms_${DKMS_VER}_all.deb

make -s -C "$TOP" deb >"$DKMS_OUT/deb.log" 2>&1 || _fail "make deb: $(tail -n 5 "$DKMS_OUT/deb.log")"
# With one series only, nothing is hidden: every kernel builds at install,
# and the upgrade path below removes the oldest kernel's build instead.
srcenv=()
_dkms_hide_newest && srcenv=(env "BTRFSX_SRCDIR=$DKMS_SRCDIR")
_dkms_log "apt-get install ./${deb#"$TOP"/} (kernels: ${DKMS_KERNELS[*]}${DKMS_LOSE[*]:+; linux-source-$DKMS_HIDE hidden})"
t0=$(date +%s)
"${srcenv[@]}" "${APT[@]}" install "$deb" >"$DKMS_OUT/install.log" 2>&1 ||
	_fail "apt-get install: $(grep -v '^(Reading' "$DKMS_OUT/install.log" | tail -n 8)$(_dkms_makelog)"
_dkms_log "installed in $(($(date +%s) - t0)) s"
grep -E '^(Building|Loading|It is likely|btrfsx: cannot)' "$DKMS_OUT/install.log" | sed 's/^/#   /'
for k in "${DKMS_KEEP[@]}"; do
	_dkms_installed "$k"
done
_dkms_waits_for_source "$DKMS_OUT/install.log"
dkms status btrfsx 2>/dev/null | sed 's/^/#   /'
[ -x /usr/sbin/btrfsx-scan ] || _fail "the package did not install /usr/sbin/btrfsx-scan"
/usr/sbin/btrfsx-scan --help >/dev/null 2>&1 || _fail "btrfsx-scan --help failed"
grep -q '/usr/sbin/btrfsx-scan' /lib/udev/rules.d/64-btrfsx.rules 2>/dev/null ||
	_fail "the package did not install /lib/udev/rules.d/64-btrfsx.rules"
[ -f /var/lib/dkms/mok.pub ] && _dkms_log "modules signed by '$(modinfo -F signer "$(compgen -G "/lib/modules/${DKMS_KERNELS[0]}/updates/dkms/btrfsx.ko*")")'"

# Upgrade path: a kernel without a build, as a freshly installed kernel or
# one whose linux-source-X.Y comes later is, gets it from `dkms autoinstall`:
# the package's trigger runs it when a linux-source-X.Y arrives, and
# /etc/kernel/postinst.d/dkms when a kernel does.  The hidden source
# arrives; with one series only, the oldest kernel's build is removed first.
if [ ${#DKMS_LOSE[@]} -eq 0 ]; then
	k=${DKMS_KERNELS[0]}
	dkms remove "btrfsx/$DKMS_VER" -k "$k" >"$DKMS_OUT/remove.log" 2>&1 || _fail "dkms remove -k $k: $(tail -n 3 "$DKMS_OUT/remove.log")"
	! compgen -G "/lib/modules/$k/updates/dkms/btrfsx.ko*" >/dev/null || _fail "$k: module still there after dkms remove"
	! grep -q btrfsx "/lib/modules/$k/modules.dep" || _fail "$k: modules.dep still lists btrfsx after dkms remove"
	DKMS_LOSE=("$k") DKMS_HIDE=$(_dkms_series "$k")
	_dkms_log "dkms remove -k $k: gone"
fi
_dkms_log "linux-source-$DKMS_HIDE arrives: its trigger, dkms autoinstall for ${DKMS_LOSE[*]}"
t0=$(date +%s)
dpkg-trigger --no-await "/usr/src/linux-source-$DKMS_HIDE.tar.xz" || _fail "dpkg-trigger failed"
dpkg --triggers-only btrfsx-dkms >"$DKMS_OUT/trigger.log" 2>&1 ||
	_fail "trigger: $(tail -n 5 "$DKMS_OUT/trigger.log")$(_dkms_makelog)"
grep -q 'Processing triggers for btrfsx-dkms' "$DKMS_OUT/trigger.log" || _fail "the trigger did not run"
for k in "${DKMS_KERNELS[@]}"; do
	_dkms_installed "$k"
done
_dkms_log "built and installed for ${DKMS_LOSE[*]} in $(($(date +%s) - t0)) s"

for k in "${DKMS_KERNELS[@]}"; do
	_dkms_log "VM $k, no --ko: modprobe btrfsx, mount -t btrfsx"
	_dkms_vm "$k"
done

_dkms_log "apt-get purge btrfsx-dkms"
"${APT[@]}" purge btrfsx-dkms >"$DKMS_OUT/purge.log" 2>&1 || _fail "apt-get purge: $(tail -n 5 "$DKMS_OUT/purge.log")"
left=$(_dkms_leftovers)
[ -z "$left" ] || _fail "left after apt purge: $left"
exit 0
