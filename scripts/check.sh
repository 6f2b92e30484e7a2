#!/usr/bin/env bash
# check.sh {host|vm|all} - run the test suites and sum up the results.
#
#   host  every build/bin/*_host_test, natively on this machine
#   vm    two test VM boots: every /bin/*_test but the *_pressure_test ones
#         (scripts/vm-run.sh test, VM_MEM, default 1G; log build/vm/test.log),
#         then only the *_pressure_test ones in a small VM
#         (scripts/vm-run.sh pressure, VM_PRESSURE_MEM, default 256M; log
#         build/vm/pressure.log) - skipped, and said so, when there are
#         none (or VM_TESTS names none)
#   all   host, then vm, then a smoke run of the benchmarks (bench/bench.sh
#         smoke: they run and produce output; no number is judged)
#
# Sums the kselftest "# Totals: pass:N fail:N xfail:N xpass:N skip:N
# error:N" lines: pass+xfail+xpass count as passed, fail+error as failed,
# skip is only reported.  A binary that crashed, timed out, exited non-zero
# without reporting a failure or printed no Totals line counts as 1 failure;
# so does a VM run that did not finish or whose kernel log is not clean
# (an OOM kill in the VM counts as not clean).
# Prints a per-binary summary and ends with the line "N passed, M failed".
# Exit: 0 iff M == 0 and N > 0 (2 on usage error).
#
# Env: HOST_TEST_TIMEOUT=secs (default 300) per host test binary;
#      VMO_BINDIR, VM_OUTDIR and all VM_* variables of scripts/vm-run.sh.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(cd "$here/.." && pwd)
bindir=${VMO_BINDIR:-$root/build/bin}
vmdir=${VM_OUTDIR:-$root/build/vm}
hostlogdir=$(dirname "$vmdir")/host

usage() {
	echo "usage: $0 {host|vm|all}" >&2
	exit 2
}
[ $# -eq 1 ] || usage
case $1 in
host) do_host=1 do_vm=0 ;;
vm) do_host=0 do_vm=1 ;;
all) do_host=1 do_vm=1 ;;
*) usage ;;
esac

PASSED=0
FAILED=0
SUMMARY=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmo-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

note() { SUMMARY+=("$*"); }

# totals FILE -> "passed failed skipped ntotals" summed over all Totals lines.
totals() {
	awk '
	{ sub(/\r$/, "") }
	match($0, /# Totals: pass:[0-9]+ fail:[0-9]+ xfail:[0-9]+ xpass:[0-9]+ skip:[0-9]+ error:[0-9]+/) {
		split(substr($0, RSTART, RLENGTH), a, /[: ]+/)
		p += a[4] + a[8] + a[10]; f += a[6] + a[14]; s += a[12]; n++
	}
	END { printf "%d %d %d %d\n", p, f, s, n }' "$1"
}

# account LABEL RC OUTPUT_FILE - add one binary's results to the sums.
account() {
	local label=$1 rc=$2 out=$3 p f s n why=
	read -r p f s n < <(totals "$out")
	if [ "$n" -eq 0 ]; then
		case $rc in
		124 | 143) why="timed out (rc=$rc), no Totals line" ;;
		137) why="killed by SIGKILL (OOM killer or timeout), no Totals line" ;;
		none) why="did not finish (VM died or timed out), no Totals line" ;;
		*) why="no kselftest Totals line (crashed?), rc=$rc" ;;
		esac
		FAILED=$((FAILED + 1))
		note "FAIL  $label: $why"
	else
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		local status=PASS
		[ "$f" -eq 0 ] || status=FAIL
		case $rc in
		0 | 4) ;; # 4 = KSFT_SKIP
		none) why="did not finish (VM died or timed out)" ;;
		*) [ "$f" -gt 0 ] || why="exited rc=$rc without reporting a failure (crash/timeout?)" ;;
		esac
		if [ -n "$why" ]; then
			FAILED=$((FAILED + 1))
			status=FAIL
		fi
		note "$status  $label: pass $p, fail $f, skip $s${why:+ - $why}"
	fi
	# Name the failing test cases (top-level TAP "not ok" lines).
	local line
	while IFS= read -r line; do
		note "        $line"
	done < <(sed 's/\r$//' "$out" | grep -E '^not ok [0-9]+' | head -n 20 || true)
}

run_host() {
	local t name rc n=0
	mkdir -p "$hostlogdir"
	for t in "$bindir"/*_host_test; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
		n=$((n + 1))
		name=$(basename "$t")
		echo "==== host test: $name"
		set +e
		(cd "$root" && timeout -k 10 "${HOST_TEST_TIMEOUT:-300}" "$t") \
			</dev/null 2>&1 | tee "$hostlogdir/$name.log"
		rc=${PIPESTATUS[0]}
		set -e
		echo "==== host test: $name rc=$rc"
		account "host/$name" "$rc" "$hostlogdir/$name.log"
	done
	if [ "$n" -eq 0 ]; then
		FAILED=$((FAILED + 1))
		note "FAIL  host: no *_host_test binaries in $bindir (run: make user)"
	fi
}

# vm_selected MODE: names of the build/bin test binaries MODE runs (test:
# all *_test but *_host_test and *_pressure_test; pressure: *_pressure_test),
# narrowed by VM_TESTS if set.
vm_selected() {
	local t name
	for t in "$bindir"/*_test; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
		name=$(basename "$t")
		case $1:$name in
		*:*_host_test) continue ;;
		pressure:*_pressure_test) ;;
		pressure:* | test:*_pressure_test) continue ;;
		esac
		if [ -n "${VM_TESTS:-}" ]; then
			case ",$VM_TESTS," in *",$name,"*) ;; *) continue ;; esac
		fi
		echo "$name"
	done
}

# run_vm MODE LABEL - boot the test VM in MODE (test|pressure) and account
# its results as LABEL/<binary>.
run_vm() {
	local mode=$1 label=$2 log=$vmdir/$1.log vmrc name rc
	rm -f "$log"
	echo "==== VM tests: scripts/vm-run.sh $mode"
	set +e
	"$here/vm-run.sh" "$mode"
	vmrc=$?
	set -e
	if [ ! -f "$log" ]; then
		FAILED=$((FAILED + 1))
		note "FAIL  $label: the VM did not run (no $log; see errors above)"
		return
	fi
	# Split the console log into one file per test binary.
	rm -rf "${tmp:?}/$mode"
	mkdir -p "$tmp/$mode"
	awk -v dir="$tmp/$mode" '
	{ sub(/\r$/, "") }
	/^VMO-TEST-BEGIN / {
		if (cur != "") close(cur)
		cur = dir "/" $2 ".out"; printf "" > cur; print $2 > (dir "/order"); next
	}
	/^VMO-TEST-END / {
		if (cur != "") close(cur)
		rc = $3; sub(/^rc=/, "", rc)
		rcf = dir "/" $2 ".rc"; print rc > rcf; close(rcf); cur = ""; next
	}
	cur != "" { print > cur }
	' "$log"
	if [ -f "$tmp/$mode/order" ]; then
		while IFS= read -r name; do
			rc=none
			[ -f "$tmp/$mode/$name.rc" ] && rc=$(cat "$tmp/$mode/$name.rc")
			account "$label/$name" "$rc" "$tmp/$mode/$name.out"
		done <"$tmp/$mode/order"
	elif [ "$vmrc" -eq 0 ]; then
		FAILED=$((FAILED + 1))
		note "FAIL  $label: no test binaries ran in the VM (see $log)"
	fi
	if [ "$vmrc" -ne 0 ]; then
		FAILED=$((FAILED + 1))
		# The OOM killer's "Out of memory: Killed process" lines reach the
		# console inside the section of the test that was running.
		local oom="" panic
		if grep -Eq 'Out of memory|oom-kill|oom_reaper' "$log"; then
			oom="the OOM killer fired"
			if [ -f "$tmp/$mode/order" ]; then
				while IFS= read -r name; do
					grep -Eq 'Out of memory|oom-kill' "$tmp/$mode/$name.out" &&
						oom+=" during $name"
				done <"$tmp/$mode/order"
			fi
		fi
		panic=$(grep -o 'Kernel panic - not syncing:.*' "$log" | head -n 1 || true)
		if ! grep -q 'VMO-DONE$' "$log"; then
			if grep -q 'VMO-INIT: insmod failed' "$log"; then
				note "FAIL  $label: insmod vmo.ko failed in the VM (see $log)"
			elif [ -n "$panic" ]; then
				note "FAIL  $label: kernel panic: ${panic#Kernel panic - not syncing: }${oom:+; $oom} (see $log)"
			else
				note "FAIL  $label: VM did not finish: timeout, crash or panic${oom:+; $oom} (see $log)"
			fi
		elif grep -q 'VMO-INIT: ERROR: backing disk' "$log"; then
			note "FAIL  $label: the scratch disk (/dev/vda) did not appear in the VM (see $log)"
		elif [ -n "$oom" ]; then
			note "FAIL  $label: $oom (see $log)"
		else
			note "FAIL  $label: VM kernel log not clean (WARNING/BUG/Oops/... in dmesg; see $log)"
		fi
	fi
}

run_vms() {
	local sel
	sel=$(vm_selected test)
	if [ -n "$sel" ] || [ -z "${VM_TESTS:-}" ]; then
		run_vm test vm
	else
		echo "==== VM tests: no test mode binaries in VM_TESTS=$VM_TESTS, test boot skipped"
		note "SKIP  vm: VM_TESTS=$VM_TESTS names no test-mode binary"
	fi
	sel=$(vm_selected pressure)
	if [ -n "$sel" ]; then
		run_vm pressure vm-pressure
	else
		local why="no *_pressure_test binaries in $bindir"
		[ -n "${VM_TESTS:-}" ] && why="VM_TESTS=$VM_TESTS names no *_pressure_test binary"
		echo "==== VM pressure tests: $why, low-memory boot skipped"
		note "SKIP  vm-pressure: $why, low-memory boot skipped"
	fi
}

# The benchmarks with tiny sizes: they run and produce their tables and
# JSON.  No number is judged (speed is for `make bench`).
run_bench_smoke() {
	local log
	log=$(dirname "$vmdir")/bench-smoke.log
	if [ ! -x "$bindir/vmo-bench" ] || [ ! -x "$bindir/host-bench" ]; then
		note "SKIP  bench-smoke: vmo-bench/host-bench not built"
		return
	fi
	echo "==== bench smoke (log $log)"
	if "$root/bench/bench.sh" smoke >"$log" 2>&1; then
		PASSED=$((PASSED + 1))
		note "PASS  bench-smoke"
	else
		FAILED=$((FAILED + 1))
		note "FAIL  bench-smoke: see $log"
	fi
}

[ "$do_host" = 1 ] && run_host
[ "$do_vm" = 1 ] && run_vms
[ "$do_host" = 1 ] && [ "$do_vm" = 1 ] && run_bench_smoke

echo
echo "==== summary"
for l in "${SUMMARY[@]}"; do echo "  $l"; done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
