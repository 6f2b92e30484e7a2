#!/usr/bin/env bash
# vm-run.sh MODE [extra qemu args...] - boot the vmo test VM under QEMU/TCG.
#
# MODE: test | demo | bench   non-interactive: console -> stdout and
#                             build/vm/MODE.log, hard timeout, then checks
#                             that the VM printed VMO-DONE and that its
#                             kernel log is clean (scripts/klog-check.sh).
#       shell                 interactive console on this terminal, no
#                             timeout (Ctrl-A X quits QEMU).
# The initramfs is built into build/vm/initrd-MODE.cpio.gz from vmo.ko and
# build/bin/* (scripts/mkinitramfs.sh).
#
# Environment:
#   VM_MEM=1G            guest memory
#   VM_SMP=2             guest CPUs
#   VM_TIMEOUT=secs      hard timeout (default: test 900, demo 300, bench 900)
#   VM_TESTS=a,b         test mode: only run these test binaries
#   VM_TEST_TIMEOUT=secs test mode: per-binary timeout in the VM (default 300)
#   VM_ARGS=a,b          bench mode: args for vmo-bench (comma separated)
#   VM_APPEND="..."      extra kernel command line
#   VM_OUTDIR=dir        where initrd and logs go (default build/vm)
#   (VMO_KMOD, VMO_BINDIR, VM_STRIP: see mkinitramfs.sh; KLOG_IGNORE: see
#   klog-check.sh)
# Exit: 0 if the VM ran to VMO-DONE and its kernel log is clean, else 1
# (shell mode: QEMU's exit status).
set -euo pipefail

die() { echo "vm-run.sh: error: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 {test|demo|shell|bench} [extra qemu args...]"
mode=$1
shift
case $mode in
test) def_timeout=900 ;;
demo) def_timeout=300 ;;
bench) def_timeout=900 ;;
shell) def_timeout=0 ;;
*) die "unknown MODE '$mode' (expected test, demo, shell or bench)" ;;
esac

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(cd "$here/.." && pwd)
outdir=${VM_OUTDIR:-$root/build/vm}
mkdir -p "$outdir"

command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not installed (scripts/deps.sh)"
kver=$("$here/kver.sh") || die "no test VM kernel (scripts/deps.sh)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "cannot read $kernel"

initrd=$outdir/initrd-$mode.cpio.gz
"$here/mkinitramfs.sh" "$mode" "$initrd" || die "building $initrd failed"

append="console=ttyS0 panic=-1 quiet"
qemu=(qemu-system-x86_64 -accel "tcg,thread=multi" -cpu max
	-m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}" -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd")

if [ "$mode" = shell ]; then
	[ -n "${VM_APPEND:-}" ] && append+=" $VM_APPEND"
	echo "vm-run.sh: booting $kver (shell); Ctrl-A X quits QEMU" >&2
	exec "${qemu[@]}" -nographic -append "$append" "$@"
fi

append+=" panic_on_warn=0"
[ -n "${VM_TESTS:-}" ] && append+=" vmo.tests=$VM_TESTS"
[ -n "${VM_TEST_TIMEOUT:-}" ] && append+=" vmo.timeout=$VM_TEST_TIMEOUT"
[ -n "${VM_ARGS:-}" ] && append+=" vmo.args=$VM_ARGS"
[ -n "${VM_APPEND:-}" ] && append+=" $VM_APPEND"

tmo=${VM_TIMEOUT:-$def_timeout}
if ! [[ $tmo =~ ^[0-9]+$ ]] || [ "$tmo" -eq 0 ]; then
	die "bad VM_TIMEOUT '$tmo' (seconds, > 0)"
fi
log=$outdir/$mode.log
echo "vm-run.sh: booting $kver ($mode mode, timeout ${tmo}s), console log: $log" >&2

start=$SECONDS
set +e
# No stdin, no monitor, no display: QEMU never touches the terminal, works
# without a tty (CI).  --foreground keeps QEMU in our process group so
# Ctrl-C reaches it.
timeout --foreground -k 10 "$tmo" \
	"${qemu[@]}" -display none -monitor none -serial stdio \
	-append "$append" "$@" </dev/null 2>&1 | tee "$log"
st=("${PIPESTATUS[@]}")
set -e
elapsed=$((SECONDS - start))
sed -i 's/\r$//' "$log"

fail=0
case ${st[0]} in
0) ;;
124 | 137)
	echo "vm-run.sh: FAIL: VM timed out after ${tmo}s and was killed (VM_TIMEOUT=$tmo); see $log" >&2
	fail=1
	;;
*) echo "vm-run.sh: warning: qemu exited with status ${st[0]}" >&2 ;;
esac

if ! grep -q 'VMO-DONE$' "$log"; then
	[ "$fail" = 1 ] ||
		echo "vm-run.sh: FAIL: VM did not reach VMO-DONE (crash, panic or early poweroff); see $log" >&2
	grep -E 'VMO-INIT: (insmod failed|ERROR)' "$log" | sed 's/^/    /' >&2 || true
	fail=1
fi

if ! "$here/klog-check.sh" "$log"; then
	echo "vm-run.sh: FAIL: VM kernel log not clean (see VMO-DMESG section of $log)" >&2
	fail=1
fi

if [ "$fail" = 0 ]; then
	echo "vm-run.sh: OK: VM reached VMO-DONE, kernel log clean (${elapsed}s)" >&2
fi
exit "$fail"
