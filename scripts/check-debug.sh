#!/usr/bin/env bash
# check-debug.sh - the whole VM suite (test and pressure boots, with the
# huge-page reruns) on the debug kernel: KASAN, KFENCE, lockdep,
# DEBUG_VM, DEBUG_OBJECTS, kmemleak (scripts/debug-kernel.sh builds it
# once, ~25 min on 2 cores, and caches it outside the clone).  After each
# boot's tests the pager stops, vmo.ko must unload and a kmemleak scan
# must find nothing; any report in the kernel log fails the run
# (scripts/klog-check.sh).  Ends with "N passed, M failed" like check.sh.
#
# The module is built against the debug tree in build/dbg-module (a copy
# of Kbuild, module/ and include/: the normal build's vmo.ko is left
# alone).  Logs: build/vm-debug/{test,pressure}.log.
#
# Env: VM_TIMEOUT (default 3600 s a boot), VM_TEST_TIMEOUT (default
# 1200 s a binary), VM_PRESSURE_MEM (default 512M), and the rest of
# scripts/check.sh's and vm-run.sh's.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(cd "$here/.." && pwd)
die() { echo "check-debug.sh: error: $*" >&2; exit 1; }

start=$SECONDS
dir=$("$here/debug-kernel.sh") || die "no debug kernel"
built=$(((SECONDS - start) / 60))

mdir=$root/build/dbg-module
rm -rf "$mdir"
mkdir -p "$mdir"
cp -r "$root/Kbuild" "$root/module" "$root/include" "$mdir/"
make -s -C "$dir/linux" M="$mdir" modules KBUILD_MODPOST_WARN=1 >"$mdir/build.log" 2>&1 ||
	{ cat "$mdir/build.log" >&2; die "building vmo.ko against $dir/linux failed"; }
# MMU_NOTIFIER and the rest are there: an unresolved symbol is a real miss.
if grep -q 'undefined!' "$mdir/build.log"; then
	cat "$mdir/build.log" >&2
	die "vmo.ko has undefined symbols against the debug kernel"
fi

echo "check-debug.sh: debug kernel $dir/bzImage (ready after $built min)," \
	"module $mdir/vmo.ko" >&2
vmstart=$SECONDS
set +e
# KASAN's shadow (an eighth of RAM) and kmemleak's pool come out of the
# pressure VM's memory: 256 MiB left the pressure tests' set-up itself
# under pressure (pages scavenged before the test's squeeze).
# The pager's headroom looks at MemAvailable, which knows nothing of
# KASAN's quarantine, kmemleak's objects or the watermark boosts that
# the debug kernel's allocations bring: with the default low watermark
# (16 MiB in the pressure VM) the pager's own write-back to a tmpfs file
# met the OOM killer in every round.  An admin gives such a machine
# more headroom; so does this run.
VM_PAGER_ARGS=${VM_PAGER_ARGS:---low-watermark,48,--high-watermark,64} \
VMO_KMOD=$mdir/vmo.ko VM_KERNEL=$dir/bzImage VM_KMEMLEAK=1 \
	VM_OUTDIR=$root/build/vm-debug \
	VM_PRESSURE_MEM=${VM_PRESSURE_MEM:-512M} \
	VM_TIMEOUT=${VM_TIMEOUT:-3600} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-1200} \
	"$here/check.sh" vm
rc=$?
set -e
echo "check-debug.sh: VM runs took $(((SECONDS - vmstart) / 60)) min" >&2
exit "$rc"
