#!/usr/bin/env bash
# report.sh VM.json HOST.json - the two benchmark result files as one
# markdown table for the README: one row per benchmark, the VM's numbers
# (vmo through /dev/vmo and vmo-pager under TCG) next to the host's (the
# pager's engine on the host kernel).  Either file may be "-" (absent).
#
# Reads the JSON vmo-bench and host-bench write: an array of objects
# {name, unit, vmo, native, ratio, where, kernel[, note]}, one per line.
set -euo pipefail

die() { echo "report.sh: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 VM.json HOST.json"
for f in "$1" "$2"; do
	[ "$f" = - ] || [ -r "$f" ] || die "cannot read $f"
done

awk -v vmfile="$1" -v hostfile="$2" '
# The value of "key" on this line: a string (unquoted), a number, or "".
function field(line, key,    re, s) {
	re = "\"" key "\": *(\"([^\"\\\\]|\\\\.)*\"|-?[0-9.eE+-]+|null)"
	if (!match(line, re))
		return ""
	s = substr(line, RSTART, RLENGTH)
	sub("^\"" key "\": *", "", s)
	if (s == "null")
		return ""
	if (s ~ /^"/) {
		s = substr(s, 2, length(s) - 2)
		gsub(/\\"/, "\"", s)
		gsub(/\\\\/, "\\", s)
	}
	return s
}

function num(v) {
	if (v == "")
		return "-"
	v += 0
	if (v >= 1000 || v <= -1000)
		return sprintf("%.0f", v)
	if (v >= 10 || v <= -10)
		return sprintf("%.1f", v)
	return sprintf("%.2f", v)
}

function rat(v) {
	if (v == "")
		return "-"
	v += 0
	return sprintf(v < 0.1 ? "%.3f" : "%.2f", v)
}

function cell(w, n,    v, nt, r) {
	if (!((w, n) in seen))
		return "| | | "
	v = vmo[w, n]; nt = nat[w, n]; r = rat(ratio[w, n])
	if (v == "" && nt == "" && note[w, n] != "")
		return "| " note[w, n] " | | "
	return "| " num(v) " | " num(nt) " | " r " "
}

function load(file, w,    line, n) {
	if (file == "-")
		return
	while ((getline line < file) > 0) {
		n = field(line, "name")
		if (n == "")
			continue
		if (!(n in order_idx)) {
			order_idx[n] = ++nrows
			rows[nrows] = n
			units[n] = field(line, "unit")
		}
		seen[w, n] = 1
		vmo[w, n] = field(line, "vmo")
		nat[w, n] = field(line, "native")
		ratio[w, n] = field(line, "ratio")
		note[w, n] = field(line, "note")
		if (kernel[w] == "")
			kernel[w] = field(line, "kernel")
	}
	close(file)
}

BEGIN {
	load(vmfile, "vm")
	load(hostfile, "host")
	if (!nrows) {
		print "report.sh: error: no results in " vmfile " or " hostfile > "/dev/stderr"
		exit 1
	}
	printf "VM: vmo.ko + vmo-pager in the QEMU/TCG test VM (kernel %s). ", \
		kernel["vm"] != "" ? kernel["vm"] : "-"
	printf "Host: the pager engine over userfaultfd on the host kernel (%s). ", \
		kernel["host"] != "" ? kernel["host"] : "-"
	print "ratio = vmo / native, measured in the same run; TCG numbers are emulated, only ratios mean anything."
	print ""
	print "| benchmark | unit | VM vmo | VM native | VM ratio | host vmo | host native | host ratio |"
	print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= nrows; i++) {
		n = rows[i]
		print "| " n " | " units[n] " " cell("vm", n) cell("host", n) "|"
	}
}
'
