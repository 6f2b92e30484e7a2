#!/usr/bin/env bash
# klog-check.sh LOGFILE - fail if a kernel log shows a kernel problem
# (WARN, BUG, Oops, KASAN/KFENCE, lockdep, kmemleak, debugobjects, hung
# task, GPF, stack trace, UBSAN, panic, the OOM killer firing...).
#
# If LOGFILE contains a VMO-DMESG-BEGIN line (a test VM console log from
# scripts/vm-run.sh), only the dmesg section between VMO-DMESG-BEGIN and
# VMO-DMESG-END is checked; otherwise the whole file is (e.g. raw dmesg).
# Module taint messages ("loading out-of-tree module taints kernel",
# "module verification failed") are not problems.
#
# Env: KLOG_IGNORE=ERE   lines matching it are never reported.
# Exit: 0 clean, 1 problems found (offending lines on stderr), 2 usage error.
set -euo pipefail

# Lockdep's reports by name: a debug kernel's boot log says "RCU lockdep
# checking is enabled", which is no problem.
PATTERNS='WARNING:|BUG:|Oops|KASAN|KFENCE|possible circular locking|possible recursive locking|inconsistent lock state|irq lock inversion|suspicious RCU usage|bad unlock balance|held lock freed|lock held when returning|DEBUG_LOCKS_WARN_ON|INFO: lockdep is turned off|ODEBUG:|suspected memory leak|unreferenced object|INFO: task .* blocked|general protection fault|Call Trace:|UBSAN|kernel BUG|Kernel panic|rcu: INFO:|detected stalls|soft lockup|hard LOCKUP|Out of memory|oom-kill|invoked oom-killer|oom_reaper'

if [ $# -ne 1 ]; then
	echo "usage: $0 LOGFILE" >&2
	exit 2
fi
log=$1
if [ ! -r "$log" ]; then
	echo "klog-check.sh: error: cannot read $log" >&2
	exit 2
fi

# Select the dmesg section (or the whole file), strip CRs, number lines.
sect=$(awk '
	{ sub(/\r$/, "") }
	FNR == NR { if ($0 ~ /VMO-DMESG-BEGIN/) has = 1; next }
	!has { print FNR ": " $0; next }
	/VMO-DMESG-BEGIN/ { insect = 1; next }
	/VMO-DMESG-END/ { insect = 0; next }
	insect { print FNR ": " $0 }
' "$log" "$log")

bad=$(printf '%s\n' "$sect" | grep -E -e "$PATTERNS" || true)
if [ -n "$bad" ] && [ -n "${KLOG_IGNORE:-}" ]; then
	bad=$(printf '%s\n' "$bad" | grep -Ev -e "$KLOG_IGNORE" || true)
fi

if [ -n "$bad" ]; then
	n=$(printf '%s\n' "$bad" | wc -l)
	{
		echo "klog-check.sh: kernel log NOT clean: $n suspicious line(s) in $log:"
		printf '%s\n' "$bad" | sed 's/^/    /'
	} >&2
	exit 1
fi
exit 0
