#!/bin/bash
# Purpose: `make install` installs through DKMS for the kernels it can build
# for and names the package each other kernel needs (here: the 6.12 source
# hidden with BTRFSX_SRCDIR); a second run rebuilds nothing; `make
# uninstall` leaves nothing, and so does a second one. Needs root; ~2 min
# (one DKMS build).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dkms.lib"
_require_dkms_host

# Kernels of the newest series lose their source (BTRFSX_SRCDIR without its
# linux-source-X.Y), the others keep it.
_dkms_hide_newest ||
	_skip "needs kernels of two series, the newest without a full source tree in /lib/modules/KVER/source (have ${DKMS_KERNELS[*]})"

# No source at all: an error naming the packages, and nothing touched.
mkdir -p "$DKMS_OUT/empty"
BTRFSX_SRCDIR=$DKMS_OUT/empty make -s -C "$TOP" install >"$DKMS_OUT/install0.log" 2>&1 &&
	_fail "make install without any source succeeded"
for k in "${DKMS_KERNELS[@]}"; do
	grep -qF "btrfsx: cannot build for $k: no btrfs source; install linux-source-$(_dkms_series "$k")" \
		"$DKMS_OUT/install0.log" || _fail "make install without any source: $(cat "$DKMS_OUT/install0.log")"
done
grep -q 'no installed kernel btrfsx can be built for' "$DKMS_OUT/install0.log" || _fail "no final error"
left=$(_dkms_leftovers)
[ -z "$left" ] || _fail "make install without any source left: $left"
sed 's/^/#   /' "$DKMS_OUT/install0.log"

_dkms_log "make install BTRFSX_SRCDIR=${DKMS_SRCDIR#"$TOP"/} (linux-source-$DKMS_HIDE hidden)"
t0=$(date +%s)
BTRFSX_SRCDIR=$DKMS_SRCDIR make -s -C "$TOP" install >"$DKMS_OUT/install1.log" 2>&1
rc=$?
sed 's/^/#   /' "$DKMS_OUT/install1.log"
[ $rc -eq 0 ] || _fail "make install failed (exit $rc) although ${DKMS_KEEP[*]} can be built"
_dkms_log "make install: $(($(date +%s) - t0)) s"
for k in "${DKMS_KEEP[@]}"; do
	_dkms_installed "$k"
done
_dkms_waits_for_source "$DKMS_OUT/install1.log"
[ -d "/usr/src/btrfsx-$DKMS_VER" ] || _fail "no /usr/src/btrfsx-$DKMS_VER"
diff -r <("$TOP/scripts/pkg/dkms-sources" "$TMP/src" && cd "$TMP/src" && find . | sort) \
	<(cd "/usr/src/btrfsx-$DKMS_VER" && find . | sort) >/dev/null || _fail "/usr/src/btrfsx-$DKMS_VER is not the source set"

# Idempotent: nothing to build the second time.
t0=$(date +%s)
BTRFSX_SRCDIR=$DKMS_SRCDIR make -s -C "$TOP" install >"$DKMS_OUT/install2.log" 2>&1 ||
	_fail "second make install: $(tail -n 5 "$DKMS_OUT/install2.log")"
for k in "${DKMS_KEEP[@]}"; do
	grep -qF "btrfsx: $k: already installed" "$DKMS_OUT/install2.log" || _fail "second make install rebuilt $k"
done
[ $(($(date +%s) - t0)) -lt 60 ] || _fail "second make install took $(($(date +%s) - t0)) s"
_dkms_log "second make install: nothing to do ($(($(date +%s) - t0)) s)"

make -s -C "$TOP" uninstall >"$DKMS_OUT/uninstall.log" 2>&1 || _fail "make uninstall: $(tail -n 5 "$DKMS_OUT/uninstall.log")"
sed 's/^/#   /' "$DKMS_OUT/uninstall.log"
left=$(_dkms_leftovers)
[ -z "$left" ] || _fail "left after make uninstall: $left"
make -s -C "$TOP" uninstall >"$DKMS_OUT/uninstall2.log" 2>&1 || _fail "second make uninstall failed"
grep -q 'nothing to uninstall' "$DKMS_OUT/uninstall2.log" || _fail "second make uninstall: $(cat "$DKMS_OUT/uninstall2.log")"

# The package installed over a make install takes its place (preinst), so
# that purging it leaves nothing. Sources added to DKMS stand for it here:
# dpkg --unpack runs the preinst without the builds of a configure.
make -s -C "$TOP" deb >"$DKMS_OUT/deb.log" 2>&1 || _fail "make deb: $(tail -n 5 "$DKMS_OUT/deb.log")"
"$TOP/scripts/pkg/dkms-sources" /usr/src/btrfsx-0.0.1
sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.0.1"/' /usr/src/btrfsx-0.0.1/dkms.conf
dkms add btrfsx/0.0.1 >/dev/null 2>&1 || _fail "dkms add btrfsx/0.0.1"
dpkg --unpack "$TOP/build/deb/btrfsx-dkms_${DKMS_VER}_all.deb" >"$DKMS_OUT/unpack.log" 2>&1 ||
	_fail "dpkg --unpack: $(tail -n 5 "$DKMS_OUT/unpack.log")"
grep -q 'removing btrfsx 0.0.1 installed by make install' "$DKMS_OUT/unpack.log" || _fail "preinst did not say it took over"
[ -e /usr/src/btrfsx-0.0.1 ] || [ -e /var/lib/dkms/btrfsx/0.0.1 ] && _fail "btrfsx 0.0.1 still there after the package's preinst"
dpkg --purge btrfsx-dkms >"$DKMS_OUT/purge.log" 2>&1 || _fail "dpkg --purge: $(tail -n 5 "$DKMS_OUT/purge.log")"
left=$(_dkms_leftovers)
[ -z "$left" ] || _fail "left after the package replaced make install and was purged: $left"
_dkms_log "the package replaces a make install and leaves nothing when purged"
exit 0
