#!/bin/sh
# /init of the vmo test VM (busybox sh, PID 1).  Installed by
# scripts/mkinitramfs.sh; the mode (test|pressure|demo|shell|bench) is in
# /mode.  test runs every /bin/*_test except *_host_test and
# *_pressure_test; pressure runs only /bin/*_pressure_test (scripts/vm-run.sh
# boots it with little memory).
#
# Console protocol (parsed by scripts/vm-run.sh and scripts/check.sh):
#   VMO-INIT: ...                   init messages / errors
#   VMO-TEST-BEGIN <name>           before each /bin/*_test
#   VMO-TEST-END <name> rc=<rc>     after it
#   VMO-PAGER-LOG-BEGIN / -END      the pager's log
#   VMO-DMESG-BEGIN / -END          the kernel log
#   VMO-DONE                        the run finished (printed last)
#
# Kernel command line options read here:
#   vmo.tests=a,b     test/pressure mode: run only these test binaries
#   vmo.timeout=N     test/pressure mode: per-binary timeout in seconds
#                     (default 300)
#   vmo.args=a,b      bench mode: arguments for /bin/vmo-bench (commas->spaces)
#   vmo.scratch=DEV   bench mode: a second scratch disk (DEV, e.g. /dev/vdb)
#                     for the native side of the scavenge benchmarks: wait
#                     for it and pass --scratch DEV to vmo-bench
#   vmo.backing=DEV   a scratch virtio disk is attached (DEV, e.g. /dev/vda):
#                     load the virtio modules, wait for DEV, export
#                     VMO_BACKING=DEV (and VMO_BACKING_SIZE=bytes) and, if
#                     vmo-pager --help lists --backing, start the pager with
#                     --backing DEV (and --backing-size bytes if listed)
#   vmo.pager_args=a,b  extra vmo-pager arguments (commas->spaces)
#
# Environment of the tests: VMO_KO, VMO_PAGER, VMO_PAGER_ARGS (the
# arguments the pager was started with), VMO_BACKING, VMO_BACKING_SIZE.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
export VMO_KO=/vmo.ko
export VMO_PAGER=/bin/vmo-pager

say() { echo "VMO-INIT: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
hostname vmo 2>/dev/null
ip link set lo up 2>/dev/null

MODE=$(cat /mode 2>/dev/null)
CMDLINE=$(cat /proc/cmdline)
PAGER_PID=
PAGER_ARGS=

# cmdline_opt KEY: value of KEY=value on the kernel command line.
cmdline_opt() {
	for w in $CMDLINE; do
		case $w in "$1"=*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}

dump_dmesg() {
	echo "VMO-DMESG-BEGIN"
	dmesg
	echo "VMO-DMESG-END"
}

halt_vm() {
	sync
	poweroff -f
	sleep 5
	echo "VMO-INIT: poweroff failed" # PID 1 exiting panics -> reboot -> qemu exits
	exit 1
}

# proc_state PID: one-letter state of PID, empty if gone.
proc_state() {
	sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null
}

# uptime_cs: time since boot in centiseconds (/proc/uptime).
uptime_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//; s/^$/0/'
}

# wait_block DEV: wait up to 10 s for the block device DEV; 1 if absent.
wait_block() {
	i=0
	while [ ! -b "$1" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -b "$1" ]
}

# setup_disk DEV: load the virtio disk modules, wait up to 10 s for DEV and
# export VMO_BACKING.  Returns 1 (after saying why) if DEV does not appear.
setup_disk() {
	dev=$1
	t0=$(uptime_cs)
	if [ -f /lib/modules/vmo/order ]; then
		while read -r m; do
			[ -d "/sys/module/$m" ] && continue
			insmod "/lib/modules/vmo/$m.ko" || say "ERROR: insmod $m.ko failed"
		done </lib/modules/vmo/order
	else
		say "no virtio modules in the image (/lib/modules/vmo/order)"
	fi
	t1=$(uptime_cs)
	i=0
	while [ ! -b "$dev" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	t2=$(uptime_cs)
	if [ ! -b "$dev" ]; then
		say "ERROR: backing disk $dev did not appear within 10 s; /proc/partitions:"
		cat /proc/partitions
		return 1
	fi
	name=${dev##*/}
	sectors=$(cat "/sys/class/block/$name/size" 2>/dev/null) || sectors=0
	export VMO_BACKING="$dev"
	export VMO_BACKING_SIZE=$((sectors * 512))
	say "backing disk $dev ready: $((sectors / 2048)) MiB;" \
		"virtio modules $(((t1 - t0) * 10)) ms, device wait $(((t2 - t1) * 10)) ms"
}

pager_attached() {
	grep -Eq '^pager_attached[[:space:]:]+1[[:space:]]*$' /proc/vmo/stats 2>/dev/null
}

start_pager() {
	if [ ! -x /bin/vmo-pager ]; then
		say "ERROR: /bin/vmo-pager missing"
		return 1
	fi
	say "starting: /bin/vmo-pager${PAGER_ARGS:+ $PAGER_ARGS}"
	# shellcheck disable=SC2086
	/bin/vmo-pager $PAGER_ARGS >>/tmp/pager.log 2>&1 </dev/null &
	PAGER_PID=$!
	i=0
	while [ $i -lt 50 ]; do
		pager_attached && { say "pager attached (pid $PAGER_PID)"; return 0; }
		st=$(proc_state "$PAGER_PID")
		if [ -z "$st" ] || [ "$st" = Z ]; then
			wait "$PAGER_PID"
			say "ERROR: vmo-pager exited (rc=$?) before attaching; its log:"
			cat /tmp/pager.log
			PAGER_PID=
			return 1
		fi
		sleep 0.2
		i=$((i + 1))
	done
	say "ERROR: vmo-pager did not attach within 10 s (no 'pager_attached 1' in /proc/vmo/stats); /proc/vmo/stats:"
	cat /proc/vmo/stats 2>&1
	say "pager log so far:"
	cat /tmp/pager.log
	return 1
}

# Stop every vmo-pager (ours, or one a test left running): SIGTERM, wait up
# to 5 s, then SIGKILL.
stop_pager() {
	pids=$(pidof vmo-pager 2>/dev/null)
	[ -n "$PAGER_PID" ] && pids="$pids $PAGER_PID"
	[ -n "${pids# }" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	i=0
	while [ $i -lt 25 ]; do
		alive=
		for p in $pids; do
			st=$(proc_state "$p")
			[ -n "$st" ] && [ "$st" != Z ] && alive="$alive $p"
		done
		[ -z "$alive" ] && break
		sleep 0.2
		i=$((i + 1))
	done
	if [ -n "$alive" ]; then
		say "ERROR: vmo-pager did not exit within 5 s of SIGTERM (pids$alive); killing"
		# shellcheck disable=SC2086
		kill -KILL $alive 2>/dev/null
		sleep 0.2
	fi
	if [ -n "$PAGER_PID" ]; then
		wait "$PAGER_PID"
		say "vmo-pager exited rc=$?"
		PAGER_PID=
	fi
}

# unload_and_scan: everything is closed: the module must unload, and
# kmemleak must find nothing (it reports into the kernel log, which
# klog-check.sh reads).
unload_and_scan() {
	i=0
	while ! rmmod vmo 2>/tmp/rmmod.err; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			say "ERROR: rmmod vmo failed: $(cat /tmp/rmmod.err)"
			print_vmo_proc
			break
		fi
		sleep 0.2
	done
	[ $i -lt 50 ] && say "vmo.ko unloaded"
	kml=/sys/kernel/debug/kmemleak
	if [ ! -w $kml ]; then
		say "ERROR: no $kml (kernel without kmemleak)"
		return
	fi
	# Twice, as Documentation/dev-tools/kmemleak.rst advises: a block
	# seen once may be in flight.
	echo scan >$kml
	sleep 5
	echo scan >$kml
	echo "VMO-KMEMLEAK-BEGIN"
	cat $kml
	echo "VMO-KMEMLEAK-END"
}

print_vmo_proc() {
	for f in /proc/vmo/stats /proc/vmo/objects; do
		echo "---- $f"
		cat "$f" 2>&1
	done
}

# run_one BINARY LABEL: one test binary, framed for check.sh.
run_one() {
	echo "VMO-TEST-BEGIN $2"
	(cd /tmp && timeout "$tmo" "$1")
	rc=$?
	[ $rc -eq 143 ] && say "$2: killed after ${tmo}s timeout"
	echo "VMO-TEST-END $2 rc=$rc"
}

# Suites run again under each host shmem huge-page setting named by
# vmo.thp (comma separated; "none": no reruns), labelled NAME@shmem-SETTING:
# a store must behave the same whatever the host does with huge pages.
THP_SUITES_test="vmo_file_test vmo_shadow_test"
THP_SUITES_pressure="vmo_pressure_test"
SHMEM_ENABLED=/sys/kernel/mm/transparent_hugepage/shmem_enabled

# run_thp_suites: the reruns of this mode's THP suites (see above).
run_thp_suites() {
	settings=$(cmdline_opt vmo.thp | tr ',' ' ') || settings=
	[ -n "$settings" ] && [ "$settings" != none ] || return 0
	if [ ! -w "$SHMEM_ENABLED" ]; then
		say "no $SHMEM_ENABLED: huge-page reruns skipped"
		return 0
	fi
	saved=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$SHMEM_ENABLED")
	eval "suites=\$THP_SUITES_$MODE"
	for setting in $settings; do
		if ! echo "$setting" >"$SHMEM_ENABLED"; then
			say "ERROR: cannot set $SHMEM_ENABLED to $setting"
			continue
		fi
		for name in $suites; do
			[ -x "/bin/$name" ] || continue
			if [ -n "$only" ]; then
				case " $only " in *" $name "*) ;; *) continue ;; esac
			fi
			run_one "/bin/$name" "$name@shmem-$setting"
		done
	done
	echo "$saved" >"$SHMEM_ENABLED"
}

# run_tests: test mode: every /bin/*_test but *_host_test and
# *_pressure_test; pressure mode: only /bin/*_pressure_test; then the
# huge-page reruns (run_thp_suites).
run_tests() {
	only=$(cmdline_opt vmo.tests | tr ',' ' ')
	tmo=$(cmdline_opt vmo.timeout) || tmo=300
	n=0
	for t in /bin/*_test; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
		name=${t##*/}
		case $name in *_host_test) continue ;; esac
		case $MODE:$name in
		pressure:*_pressure_test) ;;
		pressure:* | *:*_pressure_test) continue ;;
		esac
		if [ -n "$only" ]; then
			case " $only " in *" $name "*) ;; *) continue ;; esac
		fi
		n=$((n + 1))
		run_one "$t" "$name"
	done
	[ $n -gt 0 ] || say "ERROR: no test binaries (/bin/*_test) found"
	run_thp_suites
}

say "mode=$MODE kernel=$(uname -r)" \
	"mem=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)kB"

if backing=$(cmdline_opt vmo.backing) && [ -n "$backing" ]; then
	if setup_disk "$backing" && /bin/vmo-pager --help 2>&1 | grep -q -- --backing; then
		PAGER_ARGS="--backing $backing"
		if /bin/vmo-pager --help 2>&1 | grep -q -- --backing-size; then
			PAGER_ARGS="$PAGER_ARGS --backing-size $VMO_BACKING_SIZE"
		fi
	fi
fi
if extra=$(cmdline_opt vmo.pager_args); then
	PAGER_ARGS="${PAGER_ARGS:+$PAGER_ARGS }$(echo "$extra" | tr ',' ' ')"
fi
export VMO_PAGER_ARGS="$PAGER_ARGS"
if v=$(cmdline_opt vmo.fuzz_secs); then export VMO_FUZZ_SECS="$v"; fi
if v=$(cmdline_opt vmo.fuzz_seed); then export VMO_FUZZ_SEED="$v"; fi

if ! insmod /vmo.ko; then
	say "insmod failed"
	dump_dmesg
	halt_vm
fi
say "vmo.ko loaded"

start_pager

case $MODE in
test | pressure)
	run_tests
	[ "$MODE" = pressure ] && grep -E '^(MemTotal|MemFree|MemAvailable|SwapTotal):' /proc/meminfo
	;;
demo)
	print_vmo_proc
	if [ -x /bin/vmo-demo ]; then
		/bin/vmo-demo
		say "vmo-demo exited rc=$?"
	else
		say "ERROR: /bin/vmo-demo missing"
	fi
	print_vmo_proc
	;;
bench)
	if [ -x /bin/vmo-bench ]; then
		args=$(cmdline_opt vmo.args | tr ',' ' ')
		if scratch=$(cmdline_opt vmo.scratch) && [ -n "$scratch" ]; then
			if wait_block "$scratch"; then
				args="$args --scratch $scratch"
			else
				say "ERROR: scratch disk $scratch did not appear within 10 s"
			fi
		fi
		# shellcheck disable=SC2086
		/bin/vmo-bench $args
		say "vmo-bench exited rc=$?"
	else
		say "no /bin/vmo-bench in the image"
	fi
	;;
shell)
	cat <<BANNER

======================================================================
 vmo test VM - interactive shell
 vmo.ko is loaded (/vmo.ko), vmo-pager is running (pid ${PAGER_PID:-none},
 log /tmp/pager.log, args: ${PAGER_ARGS:-none}).  /proc/vmo/stats,
 /proc/vmo/objects; binaries in /bin; scratch disk: ${VMO_BACKING:-none}.
 Leave with 'exit' (or Ctrl-D): the VM powers off.
 (QEMU: Ctrl-A X kills the VM.)
======================================================================

BANNER
	setsid cttyhack sh -l
	stop_pager
	halt_vm
	;;
*)
	say "ERROR: unknown mode '$MODE'"
	;;
esac

stop_pager
echo "VMO-PAGER-LOG-BEGIN"
cat /tmp/pager.log 2>/dev/null
echo "VMO-PAGER-LOG-END"
if [ "$(cmdline_opt vmo.kmemleak)" = 1 ]; then
	unload_and_scan
fi
dump_dmesg
echo "VMO-DONE"
halt_vm
