#!/bin/bash
# Purpose: DKMS the way a Debian sid user installs btrfsx: the btrfsx-dkms
# package from `make deb` installs in the sid chroot (scripts/dev/sid-chroot)
# with sid's own apt and dkms, builds and installs btrfsx.ko for the 7.2
# headers there, and `apt purge` leaves nothing behind. The host's DKMS state
# is not touched. Needs root and the chroot (scripts/dev/deps sid); skips until
# patches/7.2/series exists.
. "$(dirname "$0")/common.sh"
[ -z "${BTRFSX_SKIP_DKMS:-}" ] || _skip "BTRFSX_SKIP_DKMS is set"
[ "$(id -u)" -eq 0 ] || _skip "uses the sid chroot: needs root"
read -r k kv < <("$TOP/scripts/dev/sid-chroot" kernels) ||
	_skip "no sid chroot with Linux 7.2 headers (scripts/dev/deps sid)"
series=$(cut -d. -f1,2 <<<"$kv")
[ -f "$TOP/patches/$series/series" ] || _skip "no patch series for Linux $series yet (patches/$series/series)"
for t in dpkg-buildpackage:dpkg-dev dh_dkms:dh-dkms fakeroot:fakeroot flock:util-linux; do
	command -v "${t%%:*}" >/dev/null || _skip "${t%%:*} not installed (apt-get install ${t#*:})"
done
root=${BTRFSX_CACHE:-/var/cache/btrfsx}/sid
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
deb=$TOP/build/deb/btrfsx-dkms_${ver}_all.deb
log=$TOP/build/dkms-sid
rm -rf "$log"
mkdir -p "$log"

sid() { "$TOP/scripts/dev/sid-chroot" run "$TOP" env DEBIAN_FRONTEND=noninteractive "$@"; }
leftovers() {
	compgen -G "$root/usr/src/btrfsx-*" || true
	[ -e "$root/var/lib/dkms/btrfsx" ] && echo "$root/var/lib/dkms/btrfsx"
	compgen -G "$root/lib/modules/*/updates/dkms/btrfsx.ko*" || true
	grep -l btrfsx "$root"/lib/modules/*/modules.dep 2>/dev/null || true
	# shellcheck disable=SC2016 # a dpkg-query format
	sid dpkg-query -W -f '${db:Status-Status}\n' btrfsx-dkms 2>/dev/null |
		grep -vx not-installed | sed 's/^/btrfsx-dkms package: /' || true
}
# One test at a time in the chroot; put it back as found, on failure too.
exec 9<"$root/var/lib/dpkg"
flock -w 1200 9 || _skip "another test held the sid chroot's dpkg for 20 min"
[ -z "$(leftovers)" ] || _skip "btrfsx is already installed in the sid chroot: $(leftovers | head -n1)"
# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	sid apt-get -y -q purge btrfsx-dkms >>"$log/cleanup.log" 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

make -s -C "$TOP" deb >"$log/deb.log" 2>&1 || _fail "make deb: $(tail -n 5 "$log/deb.log")"
echo "# apt-get install ./${deb#"$TOP"/} in sid (kernel $k)"
t0=$(date +%s)
sid apt-get -y -q install "$deb" >"$log/install.log" 2>&1 ||
	_fail "apt-get install in sid: $(tail -n 8 "$log/install.log")"
# The package's postinst builds for the running kernel (the host's, here):
# a sid machine runs its 7.2 kernel, so build for it as its postinst would.
if ! compgen -G "$root/lib/modules/$k/updates/dkms/btrfsx.ko*" >/dev/null; then
	sid dkms install "btrfsx/$ver" -k "$k" >"$log/dkms-install.log" 2>&1 ||
		_fail "dkms install -k $k in sid: $(tail -n 8 "$log/dkms-install.log")$(
			tail -n 12 "$root/var/lib/dkms/btrfsx/$ver/build/make.log" 2>/dev/null)"
fi
ko=$(compgen -G "$root/lib/modules/$k/updates/dkms/btrfsx.ko*" | head -n1)
[ -n "$ko" ] || _fail "no btrfsx.ko in $root/lib/modules/$k/updates/dkms after the install"
magic=$(sid modinfo -F vermagic "${ko#"$root"}") || _fail "modinfo ${ko#"$root"} failed"
[ "${magic%% *}" = "$k" ] || _fail "${ko#"$root"} is built for '${magic%% *}', not $k"
sid dkms status btrfsx | grep -q "$k.*installed" ||
	_fail "dkms status: $(sid dkms status btrfsx)"
echo "# built and installed for $k in $(($(date +%s) - t0)) s: $(sid dkms status btrfsx)"

sid apt-get -y -q purge btrfsx-dkms >"$log/purge.log" 2>&1 ||
	_fail "apt-get purge in sid: $(tail -n 5 "$log/purge.log")"
left=$(leftovers)
[ -z "$left" ] || _fail "left in the sid chroot after apt purge: $left"
echo "# apt purge: nothing left"
exit 0
