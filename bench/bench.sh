#!/usr/bin/env bash
# bench.sh MODE - run the vmo benchmarks (called by `make bench` and
# `make bench-smoke`, after the binaries and the module are built).
#
# MODE: full    host-bench on the host, then vmo-bench in the test VM;
#               results in build/bench/: host.{txt,json,log},
#               vm.{txt,json}, report.md (VM console log: build/vm/bench.log)
#       smoke   the same with tiny sizes into build/bench/smoke/ (VM files
#               there too); checks only that every output was produced
#
# Environment:
#   BENCH_HOST_ARGS="..."  extra host-bench arguments (space separated)
#   BENCH_VM_ARGS="..."    extra vmo-bench arguments (space separated)
#   VM_MEM, VM_SMP, VM_TIMEOUT: see scripts/vm-run.sh (VM_MEM default 2G)
#
# Never judges a number: exits non-zero only when a run failed or did
# not produce its table and JSON.
set -euo pipefail

die() { echo "bench.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 {full|smoke}"
mode=$1
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"
bin=$root/build/bin

case $mode in
full)
	out=$root/build/bench
	vmdir=$root/build/vm
	host_args=()
	vm_args=(--timeout 120)
	vm_timeout=${VM_TIMEOUT:-1200}
	;;
smoke)
	out=$root/build/bench/smoke
	vmdir=$out
	host_args=(--quick)
	vm_args=(--quick --timeout 10)
	vm_timeout=${VM_TIMEOUT:-120}
	;;
*) die "unknown MODE '$mode' (expected full or smoke)" ;;
esac
# shellcheck disable=SC2206
host_args+=(${BENCH_HOST_ARGS:-})
# shellcheck disable=SC2206
vm_args+=(${BENCH_VM_ARGS:-} --json -)

for f in "$bin/host-bench" "$bin/vmo-bench" "$bin/vmo-pager" "$root/vmo.ko"; do
	[ -f "$f" ] || die "$f missing (run: make bench)"
done
for a in "${vm_args[@]}"; do
	case $a in *,*) die "vmo-bench argument '$a' has a comma (the kernel command line carries them comma separated)" ;; esac
done
mkdir -p "$out" "$vmdir"
rm -f "$out"/host.{txt,json,log} "$out"/vm.{txt,json} "$out/report.md"

# between BEGIN END FILE: the lines strictly between the two markers,
# without carriage returns (a serial console's line ends) and without the
# kernel messages ("[   12.345678] ...") the console mixed in.
between() {
	tr -d '\r' <"$3" | sed -n "/^$1\$/,/^$2\$/{/^$1\$/d;/^$2\$/d;p}" |
		grep -Ev '^\[ *[0-9]+\.[0-9]+\] ' || true
}

# has_output NAME TXT JSON: both exist and hold results.
has_output() {
	local ok=1
	if [ ! -s "$2" ] || ! grep -q '^benchmark ' "$2"; then
		echo "bench.sh: FAIL: $1: no result table in $2" >&2
		ok=0
	fi
	if [ ! -s "$3" ] || ! grep -q '"name": ' "$3" ||
		[ "$(head -c1 "$3")" != "[" ] || [ "$(tail -n1 "$3")" != "]" ]; then
		echo "bench.sh: FAIL: $1: no JSON results in $3" >&2
		ok=0
	fi
	[ "$ok" = 1 ]
}

fail=0

# Both runs share this machine's CPUs: anything else busy (another test VM
# above all: two emulated CPUs) skews them, the VM's cross-CPU cases most.
others=$(pgrep -c -f '^qemu-system-x86_64 ' || true)
if [ "${others:-0}" -gt 0 ]; then
	echo "bench.sh: warning: $others other QEMU process(es) running: numbers will be skewed" >&2
fi
echo "bench.sh: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs" >&2

# 1. The pager's engine on the host kernel.
echo "bench.sh: host-bench ${host_args[*]}" >&2
if "$bin/host-bench" "${host_args[@]}" --json "$out/host.json" \
	>"$out/host.log" 2>&1; then
	between BENCH-TABLE-BEGIN BENCH-TABLE-END "$out/host.log" >"$out/host.txt"
else
	echo "bench.sh: FAIL: host-bench failed; its output:" >&2
	sed 's/^/    /' "$out/host.log" >&2
	fail=1
fi
has_output host-bench "$out/host.txt" "$out/host.json" || fail=1

# 2. vmo-bench in the test VM (module loaded, pager running).
echo "bench.sh: vmo-bench ${vm_args[*]} in the test VM" >&2
vm_ok=1
VM_OUTDIR=$vmdir VM_MEM=${VM_MEM:-2G} VM_TIMEOUT=$vm_timeout \
	VM_ARGS=$(IFS=,; echo "${vm_args[*]}") \
	scripts/vm-run.sh bench >/dev/null || vm_ok=0
log=$vmdir/bench.log
if [ -f "$log" ]; then
	between BENCH-TABLE-BEGIN BENCH-TABLE-END "$log" >"$out/vm.txt"
	between BENCH-JSON-BEGIN BENCH-JSON-END "$log" >"$out/vm.json"
	grep -E '^vmo-bench: (error|warning)' "$log" >&2 || true
fi
if [ "$vm_ok" = 0 ]; then
	echo "bench.sh: FAIL: the VM run failed (see $log)" >&2
	fail=1
fi
has_output vmo-bench "$out/vm.txt" "$out/vm.json" || fail=1

# 3. Both as one markdown table.
if [ -s "$out/host.json" ] && [ -s "$out/vm.json" ]; then
	bench/report.sh "$out/vm.json" "$out/host.json" >"$out/report.md" ||
		{ echo "bench.sh: FAIL: report.sh" >&2; fail=1; }
fi

if [ "$mode" = full ]; then
	for f in host.txt vm.txt; do
		[ -s "$out/$f" ] || continue
		echo
		cat "$out/$f"
	done
	echo
fi
if [ "$fail" = 0 ]; then
	echo "bench.sh: OK ($mode): $out/{host,vm}.{txt,json}, $out/report.md; VM console log $log" >&2
fi
exit "$fail"
