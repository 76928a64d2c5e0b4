#!/bin/bash
# Purpose: `make deb` builds btrfsx-dkms_VERSION_all.deb under build/deb/
# without touching the repository, with the DKMS source tree in
# /usr/src/btrfsx-VERSION (no build output, no tests), the dependencies DKMS
# needs, dh_dkms's maintainer scripts, and no lintian error.
. "$(dirname "$0")/common.sh"
for t in dpkg-buildpackage dh dh_dkms fakeroot; do
	command -v "$t" >/dev/null || _skip "$t not installed (scripts/dev/deps deb)"
done
ver=$("$TOP/scripts/package-version")
deb=$TOP/build/deb/btrfsx-dkms_${ver}_all.deb

git_state() { git -C "$TOP" status --porcelain --ignored=no 2>/dev/null; }
before=$(git_state)
make -s -C "$TOP" deb >"$TMP/make.log" 2>&1 || _fail "make deb: $(tail -n 20 "$TMP/make.log")"
[ "$(git_state)" = "$before" ] || _fail "make deb changed the repository: $(diff <(echo "$before") <(git_state))"
[ -f "$deb" ] || _fail "no $deb"
[ -z "$(find "$TOP" -maxdepth 1 -name '*.deb' -o -maxdepth 1 -name '*.changes' -o -maxdepth 1 -name '*.buildinfo')" ] ||
	_fail "build output in the repository root"
! grep -q '^lintian: E: ' "$TMP/make.log" || _fail "lintian errors: $(grep '^lintian: E: ' "$TMP/make.log")"
grep '^lintian: [WI]: ' "$TMP/make.log" | sed 's/^/# /'

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' >"$TMP/files"
s=/usr/src/btrfsx-$ver
for f in "$s/Makefile" "$s/Kbuild" "$s/dkms.conf" "$s/scripts/build" "$s/scripts/import" \
	"$s/scripts/dkms-check" "$s/patches/rename.rules" "$s/patches/6.1/series" \
	"$s/scripts/kernels" "$s/scripts/kernel-source" "$s/scripts/user/btrfsx-scan" \
	"$s/scripts/user/udev/64-btrfsx.rules" \
	"$s/patches/6.12/series" "$s/src/module.c" "$s/include/btrfsx/module.h" \
	/usr/sbin/btrfsx-scan /lib/udev/rules.d/64-btrfsx.rules \
	/usr/share/doc/btrfsx-dkms/copyright; do
	grep -qxF "$f" "$TMP/files" || _fail "$f is not in the package"
done
! grep -E "^$s/(build|tests|debian|\.git)(/|$)" "$TMP/files" || _fail "build output, tests or debian/ in the package"
# The DKMS tree carries the build pipeline, not the developer's machinery
# (scripts/dev/: VMs, deps, demo) nor the packaging (scripts/pkg/).
! grep -E "^$s/scripts/(dev|pkg)(/|$)" "$TMP/files" || _fail "scripts/dev or scripts/pkg in the DKMS tree"
! grep -E "/(vm|vm-init|deps|demo|sid-chroot|debug-kernel|patch-stats|dkms-(deb|install|uninstall|sources))$" \
	"$TMP/files" || _fail "developer or packaging scripts in the package"
# Nothing else: the source tree, the docs, btrfsx-scan, its udev rule, and
# the directories that hold them.
allowed="^((/usr/src/btrfsx-$ver|/usr/share/doc/btrfsx-dkms)(/.*)?|/usr/sbin/btrfsx-scan"
allowed+="|/lib/udev/rules\\.d/64-btrfsx\\.rules|/|/usr|/usr/src|/usr/share|/usr/share/doc"
allowed+="|/usr/sbin|/lib|/lib/udev|/lib/udev/rules\\.d|)$" # "": the root, ./
grep -qvE "$allowed" <<<"/usr/lib/x" || _fail "the outside-files check would pass /usr/lib/x"
outside=$(grep -vE "$allowed" "$TMP/files")
[ -z "$outside" ] || _fail "files outside /usr/src/btrfsx-$ver and the tools: $outside"
# The pipeline runs scripts from /usr/src: they must stay executable.
dpkg-deb -c "$deb" | grep "\./usr/src/btrfsx-$ver/scripts/build$" | grep -q '^-rwxr-xr-x' ||
	_fail "scripts/build is not executable in the package"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/btrfsx-$ver/dkms.conf" |
	cmp -s - "$TOP/dkms.conf" || _fail "the packaged dkms.conf differs from dkms.conf"

deps=$(dpkg-deb -f "$deb" Depends)
for d in dkms make patch xz-utils; do
	grep -qE "(^|, )$d( |,|$)" <<<"$deps" || _fail "Depends lacks $d: $deps"
done
grep -q 'linux-source-6.1' <<<"$(dpkg-deb -f "$deb" Recommends)" || _fail "Recommends lacks linux-source"
[ "$(dpkg-deb -f "$deb" Architecture)" = all ] || _fail "not Architecture: all"
dpkg-deb -e "$deb" "$TMP/ctl"
grep -q "common.postinst" "$TMP/ctl/postinst" || _fail "postinst does not run dkms' common.postinst"
grep -q "dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all" "$TMP/ctl/prerm" || _fail "prerm does not dkms remove"
grep -q '^DKMS_VERSION='"$ver"'$' "$TMP/ctl/postinst" || _fail "postinst has the wrong version"
grep -q 'installed by make install' "$TMP/ctl/preinst" || _fail "preinst does not take over a make install"
grep -q 'interest-noawait /usr/src/linux-source-6.12.tar.xz' "$TMP/ctl/triggers" || _fail "no linux-source trigger"
echo "# $(basename "$deb"): $(wc -l <"$TMP/files") paths, Depends: $deps"
exit 0
