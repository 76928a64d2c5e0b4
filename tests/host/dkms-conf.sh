#!/bin/bash
# Purpose: dkms.conf agrees with the tree: its kernel regex takes exactly the
# series in patches/ (as Debian and upstream name releases), its version is
# debian/changelog's, and a kernel without btrfs source is skipped with the
# package to install instead of failing the build.
. "$(dirname "$0")/common.sh"
conf=$TOP/dkms.conf

# dkms.conf as DKMS reads it: sourced by bash with $kernelver set.
conf_for() { # conf_for KVER VAR: VAR's value after sourcing dkms.conf
	# shellcheck disable=SC1090,SC2034 # dkms.conf reads $kernelver
	(kernelver=$1; . "$conf" 2>"$TMP/conf.err" >/dev/null; eval "printf '%s' \"\${$2}\"")
}

ver=$(sed -n 's/^PACKAGE_VERSION="\([0-9][0-9.]*\)"$/\1/p' "$conf")
[ -n "$ver" ] || _fail "no PACKAGE_VERSION=\"x.y.z\" line in dkms.conf"
[ "$(conf_for 6.1.0-56-amd64 PACKAGE_VERSION)" = "$ver" ] || _fail "dkms.conf does not source"
cver=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version 2>/dev/null) ||
	cver=$(sed -n '1s/^btrfsx (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
[ "$cver" = "$ver" ] || _fail "dkms.conf is $ver but debian/changelog $cver"
[ "$(conf_for 6.1.0-56-amd64 'BUILT_MODULE_LOCATION[0]')" = build/6.1.0-56-amd64/ ] ||
	_fail "BUILT_MODULE_LOCATION is not build/<kver>/"
[ "$(conf_for 6.1.0-56-amd64 AUTOINSTALL)" = yes ] || _fail "AUTOINSTALL is not yes"

re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$conf" | head -n1)
[ -n "$re" ] || _fail "no BUILD_EXCLUSIVE_KERNEL"
for k in 6.1.0-56-amd64 6.1.0-0.deb11.17-amd64 6.1.192 6.1.0-56-rt-amd64 \
	6.12.117+deb12-amd64 6.12.57+deb13-cloud-amd64 6.12.1 6.12.0-rc1 \
	7.2.13+deb14-amd64 7.2.0-rc3; do
	[[ $k =~ $re ]] || _fail "BUILD_EXCLUSIVE_KERNEL rejects $k"
done
for k in 6.10.0-1-amd64 6.13.5 6.120.1 5.10.0-30-amd64 16.1.0 6.18.44-fc-v669 6.1 \
	7.1.5 7.20.1 17.2.0; do
	[[ $k =~ $re ]] && _fail "BUILD_EXCLUSIVE_KERNEL accepts $k"
done
# Every supported series (patches/X.Y/series) and only those.
for s in "$TOP"/patches/*/series; do
	s=${s%/series}
	s=${s##*/}
	[[ $s.0-1-amd64 =~ $re ]] || _fail "patches/$s exists but BUILD_EXCLUSIVE_KERNEL rejects $s kernels"
done
for s in 6.{0..20} 5.{4,10,15} 7.{0..9}; do
	[ -f "$TOP/patches/$s/series" ] && continue
	[[ $s.0-1-amd64 =~ $re ]] && _fail "BUILD_EXCLUSIVE_KERNEL accepts $s, which has no patches/$s"
done

# A supported kernel with headers but no source: excluded, with the package.
k61=$(_kver 6.1)
mkdir -p "$TMP/nosrc"
export BTRFSX_SRCDIR=$TMP/nosrc
[ "$(conf_for "$k61" BUILD_EXCLUSIVE_KERNEL)" = '^$' ] || _fail "$k61 without source is not excluded"
grep -q "btrfsx: cannot build for $k61: no btrfs source; install linux-source-6.1$" "$TMP/conf.err" ||
	_fail "no reason given for $k61: $(cat "$TMP/conf.err")"
echo "# $(cat "$TMP/conf.err")"
# With the source, and for kernels outside the range, dkms.conf says nothing.
unset BTRFSX_SRCDIR
[ "$(conf_for "$k61" BUILD_EXCLUSIVE_KERNEL)" = "$re" ] || _fail "$k61 with source is excluded"
[ ! -s "$TMP/conf.err" ] || _fail "dkms.conf printed for $k61: $(cat "$TMP/conf.err")"
conf_for 5.10.0-30-amd64 BUILD_EXCLUSIVE_KERNEL >/dev/null
[ ! -s "$TMP/conf.err" ] || _fail "dkms.conf printed for 5.10: $(cat "$TMP/conf.err")"

# scripts/dkms-check names what to install.
chk=$TOP/scripts/dkms-check
_expect_error "no headers" "install linux-headers-6.1.0-999-amd64" "$chk" 6.1.0-999-amd64
_expect_error "unsupported" "Linux 5.10 is not supported \(btrfsx supports 6.1 6.12 7.2\)" "$chk" 5.10.0-30-amd64
_expect_error "no source" "install linux-source-6.1$" env BTRFSX_SRCDIR="$TMP/nosrc" "$chk" "$k61"
"$chk" "$k61" || _fail "dkms-check refuses $k61"
# Debian's linux-source of another release than the headers (a kernel
# upgraded before its source): skipped until the source catches up.
if dpkg-query -W linux-source-6.1 >/dev/null 2>&1 && dpkg-query -W "linux-headers-$k61" >/dev/null 2>&1; then
	mkdir -p "$TMP/bin"
	printf '#!/bin/sh\ncase "$*" in *linux-source-*) echo 6.1.1-1 ;; *) exec /usr/bin/dpkg-query "$@" ;; esac\n' >"$TMP/bin/dpkg-query"
	chmod +x "$TMP/bin/dpkg-query"
	_expect_error "older source package" "linux-source-6.1 is 6.1.1 but the headers are 6\.1\.[0-9]+; install linux-source-6.1 of the same release" \
		env PATH="$TMP/bin:$PATH" "$chk" "$k61"
	env PATH="$TMP/bin:$PATH" BTRFSX_FORCE=1 "$chk" "$k61" || _fail "BTRFSX_FORCE=1 does not accept the mismatch"
fi
exit 0
