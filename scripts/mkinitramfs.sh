#!/usr/bin/env bash
# mkinitramfs.sh MODE OUT.cpio.gz - build the test VM's busybox initramfs.
#
# Contents: /bin/busybox + applet symlinks, /vmo.ko (repo root, built by
# `make modules`), every file of build/bin/ as /bin/<name>,
# scripts/vm-init.sh as /init, and /mode containing MODE
# (test|demo|shell|bench).
#
# Environment overrides (for debugging):
#   VMO_KMOD=path    module to install as /vmo.ko   (default: <repo>/vmo.ko)
#   VMO_BINDIR=dir   files to install into /bin     (default: <repo>/build/bin)
#   VM_STRIP=0       do not strip debug info from the copies in the image
set -euo pipefail

die() { echo "mkinitramfs.sh: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 {test|demo|shell|bench} OUT.cpio.gz"
mode=$1
out=$2
case $mode in
test | demo | shell | bench) ;;
*) die "unknown MODE '$mode' (expected test, demo, shell or bench)" ;;
esac

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
kmod=${VMO_KMOD:-$root/vmo.ko}
bindir=${VMO_BINDIR:-$root/build/bin}
init=$root/scripts/vm-init.sh
busybox=/bin/busybox

[ -x "$busybox" ] || die "$busybox not found (package busybox-static: scripts/deps.sh)"
[ -f "$kmod" ] || die "$kmod not found (run: make modules)"
[ -d "$bindir" ] || die "$bindir not found (run: make user)"
[ -f "$init" ] || die "$init not found"
command -v cpio >/dev/null || die "cpio not installed (scripts/deps.sh)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/vmo-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,mnt}
chmod 1777 "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
# Applet symlinks (e.g. bin/sh, sbin/insmod, usr/bin/timeout).
while IFS= read -r applet; do
	[ -n "$applet" ] || continue
	[ "$applet" = bin/busybox ] && continue
	if [ -e "$stage/$applet" ] || [ -L "$stage/$applet" ]; then
		continue
	fi
	mkdir -p "$stage/$(dirname "$applet")"
	ln -s /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)

maybe_strip() { # SRC DST
	if [ "${VM_STRIP:-1}" != 0 ] && command -v strip >/dev/null &&
		strip --strip-debug -o "$2" "$1" 2>/dev/null; then
		chmod --reference="$1" "$2"
	else
		cp "$1" "$2"
	fi
}

maybe_strip "$kmod" "$stage/vmo.ko"
chmod 0644 "$stage/vmo.ko"

n=0
for f in "$bindir"/*; do
	[ -f "$f" ] || continue
	dst=$stage/bin/$(basename "$f")
	rm -f "$dst" # never write through a busybox applet symlink
	maybe_strip "$f" "$dst"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || echo "mkinitramfs.sh: warning: $bindir is empty" >&2

install -m 0755 "$init" "$stage/init"
printf '%s\n' "$mode" >"$stage/mode"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"
printf 'export PS1="vmo# "\n' >"$stage/etc/profile"
# The kernel's built-in initramfs already has /dev/console, but be safe.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

mkdir -p "$(dirname "$out")"
tmpout=$(mktemp "$(dirname "$out")/.initramfs.XXXXXX")
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$tmpout" ||
	{ rm -f "$tmpout"; die "creating the cpio archive failed"; }
chmod 0644 "$tmpout"
mv -f "$tmpout" "$out"
