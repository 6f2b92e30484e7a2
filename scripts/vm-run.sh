#!/usr/bin/env bash
# vm-run.sh MODE [extra qemu args...] - boot the vmo test VM under QEMU/TCG.
#
# MODE: test | pressure |     non-interactive: console -> stdout and
#       demo | bench          build/vm/MODE.log, hard timeout, then checks
#                             that the VM printed VMO-DONE and that its
#                             kernel log is clean (scripts/klog-check.sh;
#                             an OOM kill counts as not clean).
#                             test runs every /bin/*_test but the
#                             *_pressure_test ones; pressure runs only those,
#                             in a small VM (VM_PRESSURE_MEM).
#       shell                 interactive console on this terminal, no
#                             timeout (Ctrl-A X quits QEMU).
# The initramfs is built into build/vm/initrd-MODE.cpio.gz from vmo.ko and
# build/bin/* (scripts/mkinitramfs.sh).
#
# Every mode gets a scratch disk for the pager's backing store: a sparse raw
# image build/vm/backing-MODE.img, created empty for each boot and deleted
# after it, attached as virtio-blk (/dev/vda in the guest; cache=unsafe:
# host page cache, guest flushes ignored - the data need not survive the
# VM).  The VM exports VMO_BACKING=/dev/vda to the tests and starts the
# pager with --backing /dev/vda once the pager has that option.
# bench mode gets a second one like it, build/vm/scratch-bench.img
# (/dev/vdb, VM_SCRATCH_SIZE): vmo-bench --scratch, where the native side
# of the scavenge benchmarks keeps page cache and then swaps.
#
# Environment:
#   VM_MEM=1G            guest memory (all modes but pressure and demo)
#   VM_PRESSURE_MEM=256M guest memory of the pressure mode
#   VM_DEMO_MEM=256M     guest memory of the demo mode (it runs twice RAM)
#   VM_SMP=2             guest CPUs
#   VM_TIMEOUT=secs      hard timeout (default: test 900, pressure 900,
#                        demo 600, bench 900)
#   VM_TESTS=a,b         test/pressure mode: only run these test binaries
#   VM_THP=a,b           test/pressure mode: host shmem huge-page settings
#                        to rerun the file, shadow and pressure suites
#                        under (default always,within_size,force; none)
#   VM_TEST_TIMEOUT=secs test/pressure mode: per-binary timeout in the VM
#                        (default 300)
#   VM_ARGS=a,b          bench mode: args for vmo-bench (comma separated)
#   VM_PAGER_ARGS=a,b    extra vmo-pager arguments (comma separated)
#   VM_DISK_SIZE=2G      size of the scratch disk (truncate(1) syntax);
#                        0: no disk (and no virtio modules in the image)
#   VM_SCRATCH_SIZE=2G   bench mode: size of the second scratch disk
#                        (/dev/vdb); 0: none (no native scavenge numbers)
#   VM_KEEP_DISK=1       keep build/vm/backing-MODE.img (and the bench
#                        mode's scratch-bench.img) after the run
#   VM_APPEND="..."      extra kernel command line
#   VM_KERNEL=path       boot this kernel image instead of Debian's; it
#                        must have virtio-blk built in (no virtio modules
#                        go in the image): scripts/check-debug.sh
#   VM_KMEMLEAK=1        after the run: stop the pager, rmmod vmo, and
#                        scan for leaks (the kernel needs kmemleak)
#   VM_FUZZ_SECS, VM_FUZZ_SEED  vmo_fuzz_test's duration and seed
#                        (VMO_FUZZ_SECS, VMO_FUZZ_SEED in the VM)
#   VM_OUTDIR=dir        where initrd, disk and logs go (default build/vm)
#   (VMO_KMOD, VMO_BINDIR, VM_STRIP: see mkinitramfs.sh; KLOG_IGNORE: see
#   klog-check.sh)
# Exit: 0 if the VM ran to VMO-DONE and its kernel log is clean, else 1
# (shell mode: QEMU's exit status).
set -euo pipefail

die() { echo "vm-run.sh: error: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 {test|pressure|demo|shell|bench} [extra qemu args...]"
mode=$1
shift
mem=${VM_MEM:-1G}
case $mode in
test) def_timeout=900 ;;
pressure) def_timeout=900 mem=${VM_PRESSURE_MEM:-256M} ;;
demo) def_timeout=600 mem=${VM_DEMO_MEM:-256M} ;;
bench) def_timeout=900 ;;
shell) def_timeout=0 ;;
*) die "unknown MODE '$mode' (expected test, pressure, demo, shell or bench)" ;;
esac

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(cd "$here/.." && pwd)
outdir=${VM_OUTDIR:-$root/build/vm}
mkdir -p "$outdir"

command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not installed (scripts/deps.sh)"
kver=$("$here/kver.sh") || die "no test VM kernel (scripts/deps.sh)"
kernel=${VM_KERNEL:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || die "cannot read $kernel"

disk_size=${VM_DISK_SIZE:-2G}
[[ $disk_size =~ ^[0-9]+[KMGT]?$ ]] ||
	die "bad VM_DISK_SIZE '$disk_size' (e.g. 2G, 512M, 0 for no disk)"
[[ $disk_size =~ ^0+[KMGT]?$ ]] && disk_size=0
for v in VM_TESTS VM_THP VM_ARGS VM_PAGER_ARGS; do
	case ${!v:-} in *[[:space:]]*) die "$v='${!v}' has blanks (use commas)" ;; esac
done

initrd=$outdir/initrd-$mode.cpio.gz
virtio_mods=1
[ "$disk_size" = 0 ] && virtio_mods=0
[ -n "${VM_KERNEL:-}" ] && virtio_mods=0	# built in, or not there at all
VMO_KVER=$kver VMO_VIRTIO_MODS=$virtio_mods "$here/mkinitramfs.sh" "$mode" "$initrd" ||
	die "building $initrd failed"

append="console=ttyS0 panic=-1 quiet"
qemu=(qemu-system-x86_64 -accel "tcg,thread=multi" -cpu max
	-m "$mem" -smp "${VM_SMP:-2}" -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd")

scratch_size=0
if [ "$mode" = bench ]; then
	scratch_size=${VM_SCRATCH_SIZE:-2G}
	[[ $scratch_size =~ ^[0-9]+[KMGT]?$ ]] ||
		die "bad VM_SCRATCH_SIZE '$scratch_size' (e.g. 2G, 0 for none)"
	[[ $scratch_size =~ ^0+[KMGT]?$ ]] && scratch_size=0
fi

# new_disk PATH SIZE: an empty sparse raw image, attached like /dev/vda.
new_disk() {
	rm -f "$1"
	truncate -s "$2" "$1" || die "cannot create $1 ($2)"
	qemu+=(-drive "file=$1,format=raw,if=virtio,cache=unsafe,aio=threads,discard=unmap")
}

disk=
scratch=
[ "${VM_KEEP_DISK:-0}" = 1 ] || trap 'rm -f ${disk:+"$disk"} ${scratch:+"$scratch"}' EXIT
if [ "$disk_size" != 0 ]; then
	disk=$outdir/backing-$mode.img
	new_disk "$disk" "$disk_size"
	append+=" vmo.backing=/dev/vda"
	# The same kind of disk, second on the bus: /dev/vdb.
	if [ "$scratch_size" != 0 ]; then
		scratch=$outdir/scratch-$mode.img
		new_disk "$scratch" "$scratch_size"
		append+=" vmo.scratch=/dev/vdb"
	fi
fi
[ -n "${VM_PAGER_ARGS:-}" ] && append+=" vmo.pager_args=$VM_PAGER_ARGS"

if [ "$mode" = shell ]; then
	[ -n "${VM_APPEND:-}" ] && append+=" $VM_APPEND"
	echo "vm-run.sh: booting $kver (shell, ${mem} RAM${disk:+, disk $disk $disk_size});" \
		"Ctrl-A X quits QEMU" >&2
	set +e
	"${qemu[@]}" -nographic -append "$append" "$@"
	exit $?
fi

append+=" panic_on_warn=0"
[ -n "${VM_TESTS:-}" ] && append+=" vmo.tests=$VM_TESTS"
append+=" vmo.thp=${VM_THP:-always,within_size,force}"
[ "${VM_KMEMLEAK:-0}" = 1 ] && append+=" vmo.kmemleak=1"
[ -n "${VM_FUZZ_SECS:-}" ] && append+=" vmo.fuzz_secs=$VM_FUZZ_SECS"
[ -n "${VM_FUZZ_SEED:-}" ] && append+=" vmo.fuzz_seed=$VM_FUZZ_SEED"
[ -n "${VM_TEST_TIMEOUT:-}" ] && append+=" vmo.timeout=$VM_TEST_TIMEOUT"
[ -n "${VM_ARGS:-}" ] && append+=" vmo.args=$VM_ARGS"
[ -n "${VM_APPEND:-}" ] && append+=" $VM_APPEND"

tmo=${VM_TIMEOUT:-$def_timeout}
if ! [[ $tmo =~ ^[0-9]+$ ]] || [ "$tmo" -eq 0 ]; then
	die "bad VM_TIMEOUT '$tmo' (seconds, > 0)"
fi
log=$outdir/$mode.log
echo "vm-run.sh: booting ${VM_KERNEL:-$kver} ($mode mode, ${mem} RAM${disk:+, disk $disk_size}${scratch:+, scratch disk $scratch_size}," \
	"timeout ${tmo}s), console log: $log" >&2

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
if grep -q 'VMO-INIT: ERROR: backing disk' "$log"; then
	echo "vm-run.sh: FAIL: the scratch disk did not show up in the VM; see $log" >&2
	fail=1
fi
if grep -q 'VMO-INIT: ERROR: rmmod' "$log"; then
	echo "vm-run.sh: FAIL: rmmod vmo failed after the run; see $log" >&2
	fail=1
fi

if [ "$fail" = 0 ]; then
	echo "vm-run.sh: OK: VM reached VMO-DONE, kernel log clean (${elapsed}s)" >&2
fi
exit "$fail"
