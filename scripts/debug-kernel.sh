#!/usr/bin/env bash
# debug-kernel.sh - build (once) the debug test kernel: Debian's
# linux-source-6.1 with KASAN, KFENCE, lockdep, DEBUG_VM, kmemleak and
# DEBUG_OBJECTS, and print the directory holding it.
#
# The tree is cached outside the clone, keyed by the source tarball and
# this script's config fragment, so a later run only prints the path:
#   ${VMO_CACHE:-/var/cache/vmo}/dbg-<key>/linux   the built tree (KDIR)
#   ${VMO_CACHE:-/var/cache/vmo}/dbg-<key>/bzImage its kernel image
# A build that did not finish leaves no "done" stamp and is redone.
# Build time on 2 cores: about 25 minutes (log: <dir>/build.log).
#
# Usage: debug-kernel.sh [--print]   --print: only print the directory
#                                    (exit 1 if it is not built yet)
set -euo pipefail

die() { echo "debug-kernel.sh: error: $*" >&2; exit 1; }

TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
[ -r "$TARBALL" ] || die "$TARBALL not found (scripts/deps.sh installs linux-source-6.1)"

# Everything the debug run needs on top of defconfig + kvm_guest.config.
# MMU_NOTIFIER is hidden: KVM selects it.  VIRTIO_BLK=y so the initramfs
# needs no modules of this kernel.  DEBUG_INFO_NONE keeps the build short,
# as does leaving out graphics, sound, wireless, USB and netfilter.
# No preemption (voluntary), ftrace, kprobes or bpf(): with PREEMPTION
# they select the RCU-tasks flavours (lockdep's irq-flag tracepoints do
# too), whose boot self-test (run with PROVE_RCU, which PROVE_LOCKING
# implies) hung 6.1.192 under TCG in synchronize_rcu_tasks() before any
# initcall.  Debian's kernel is PREEMPT_DYNAMIC: the normal check covers
# preemption.
FRAGMENT='
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KFENCE=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_VM=y
CONFIG_DEBUG_KMEMLEAK=y
CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN=n
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=64000
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_USERFAULTFD=y
CONFIG_PTE_MARKER_UFFD_WP=y
CONFIG_TRANSPARENT_HUGEPAGE=y
CONFIG_READ_ONLY_THP_FOR_FS=y
CONFIG_SHMEM=y
CONFIG_TMPFS=y
CONFIG_MEMCG=y
CONFIG_IO_URING=y
CONFIG_EVENTFD=y
CONFIG_SHRINKER_DEBUG=n
CONFIG_VIRTIO=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_PROC_FS=y
CONFIG_DEBUG_FS=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_MODVERSIONS=n
CONFIG_MODULE_SIG=n
CONFIG_KVM=y
CONFIG_KVM_INTEL=y
CONFIG_DEBUG_INFO_NONE=y
CONFIG_DEBUG_INFO=n
CONFIG_WERROR=n
CONFIG_PREEMPT_DYNAMIC=n
CONFIG_PREEMPT=n
CONFIG_PREEMPT_NONE=n
CONFIG_PREEMPT_VOLUNTARY=y
CONFIG_FTRACE=n
CONFIG_KPROBES=n
CONFIG_BPF_SYSCALL=n
CONFIG_DRM=n
CONFIG_SOUND=n
CONFIG_WLAN=n
CONFIG_WIRELESS=n
CONFIG_CFG80211=n
CONFIG_NETFILTER=n
CONFIG_USB_SUPPORT=n
CONFIG_HID=n
CONFIG_AGP=n
'

cache=${VMO_CACHE:-/var/cache/vmo}
key=$({ sha256sum "$TARBALL" | cut -c1-16; printf '%s' "$FRAGMENT"; } | sha256sum | cut -c1-12)
dir=$cache/dbg-$key
tree=$dir/linux

if [ "${1:-}" = --print ]; then
	[ -f "$dir/done" ] || exit 1
	echo "$dir"
	exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--print]"

# External modules resolve against Module.symvers, which only "make
# modules" writes; the kernel's own exports (vmlinux.symvers) are all a
# module of ours links to.
symvers() {
	[ -f "$tree/Module.symvers" ] || cp "$tree/vmlinux.symvers" "$tree/Module.symvers"
}

if [ -f "$dir/done" ]; then
	symvers
	echo "$dir"
	exit 0
fi

for p in flex bison bc; do
	command -v "$p" >/dev/null || die "$p not installed (scripts/deps.sh)"
done
[ -e /usr/include/libelf.h ] || die "libelf-dev not installed (scripts/deps.sh)"

mkdir -p "$dir"
log=$dir/build.log
echo "debug-kernel.sh: building the debug kernel in $tree (log $log; ~25 min on 2 cores)" >&2
start=$SECONDS
{
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xJf "$TARBALL" -C "$tree" --strip-components=1
	cd "$tree"
	printf '%s\n' "$FRAGMENT" >vmo-debug.config
	make -s defconfig kvm_guest.config
	scripts/kconfig/merge_config.sh -m .config vmo-debug.config
	make -s olddefconfig
} >"$log" 2>&1 || die "configuring failed (see $log)"

# Every "=y" of the fragment must have survived olddefconfig: a dependency
# that silently drops, say, KASAN would make the debug run prove nothing.
missing=
while IFS= read -r l; do
	case $l in CONFIG_*=y) grep -qx "$l" "$tree/.config" || missing+=" $l" ;; esac
done <<<"$FRAGMENT"
[ -z "$missing" ] || die "options not set in the final .config:$missing"

nice -n "${VMO_BUILD_NICE:-10}" make -C "$tree" -j"$(nproc)" bzImage modules_prepare >>"$log" 2>&1 ||
	die "kernel build failed (see $log)"
cp "$tree/arch/x86/boot/bzImage" "$dir/bzImage"
symvers
touch "$dir/done"
echo "debug-kernel.sh: built in $(((SECONDS - start) / 60)) min" >&2
echo "$dir"
