#!/usr/bin/env bash
# mkinitramfs.sh MODE OUT.cpio.gz - build the test VM's busybox initramfs.
#
# Contents: /bin/busybox + applet symlinks, /vmo.ko (repo root, built by
# `make modules`), every file of build/bin/ as /bin/<name>,
# scripts/vm-init.sh as /init, /mode containing MODE
# (test|pressure|demo|shell|bench), and the test kernel's virtio disk
# modules (virtio_pci, virtio_blk and what they depend on, as resolved by
# `modprobe --show-depends`; Debian builds them as modules) in
# /lib/modules/vmo/, decompressed if the kernel ships them as .ko.xz/.zst/
# .gz (busybox insmod cannot load those), with their insmod order in
# /lib/modules/vmo/order.
#
# Environment overrides (for debugging):
#   VMO_KMOD=path    module to install as /vmo.ko   (default: <repo>/vmo.ko)
#   VMO_BINDIR=dir   files to install into /bin     (default: <repo>/build/bin)
#   VMO_KVER=ver     kernel whose virtio modules go in (default: scripts/kver.sh)
#   VMO_VIRTIO_MODS=0  leave the virtio disk modules out
#   VM_STRIP=0       do not strip debug info from the copies in the image
set -euo pipefail

die() { echo "mkinitramfs.sh: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 {test|pressure|demo|shell|bench} OUT.cpio.gz"
mode=$1
out=$2
case $mode in
test | pressure | demo | shell | bench) ;;
*) die "unknown MODE '$mode' (expected test, pressure, demo, shell or bench)" ;;
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

# The virtio disk modules, dependencies first (modprobe --show-depends
# prints "insmod PATH [params]" per module, "builtin NAME" for built-ins).
if [ "${VMO_VIRTIO_MODS:-1}" != 0 ]; then
	kver=${VMO_KVER:-$("$root/scripts/kver.sh")} || die "no test VM kernel (scripts/kver.sh)"
	command -v modprobe >/dev/null || die "modprobe not installed (package kmod: scripts/deps.sh)"
	mdir=$stage/lib/modules/vmo
	mkdir -p "$mdir"
	: >"$mdir/order"
	for m in virtio_pci virtio_blk; do
		deps=$(modprobe --show-depends -S "$kver" "$m" 2>&1) ||
			die "cannot resolve module $m of kernel $kver: $deps (set VMO_VIRTIO_MODS=0 to boot without a disk)"
		while read -r kw path _; do
			[ "$kw" = insmod ] || continue
			name=$(basename "$path")
			name=${name%%.ko*}
			grep -qx "$name" "$mdir/order" && continue
			case $path in
			*.ko) cp "$path" "$mdir/$name.ko" ;;
			*.ko.xz) xz -dc "$path" >"$mdir/$name.ko" ;;
			*.ko.zst) zstd -qdc "$path" >"$mdir/$name.ko" ;;
			*.ko.gz) gzip -dc "$path" >"$mdir/$name.ko" ;;
			*) die "$path: unknown module format" ;;
			esac || die "copying $path failed"
			chmod 0644 "$mdir/$name.ko"
			echo "$name" >>"$mdir/order"
		done <<<"$deps"
	done
fi

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
