#!/usr/bin/env bash
# Print the version string (e.g. 6.1.0-56-amd64) of the newest installed
# Debian 6.1 "-amd64" kernel that has both /boot/vmlinuz-$V and
# /lib/modules/$V/build (headers).  Exit 1 if there is none.
set -euo pipefail

best=
while IFS= read -r v; do
	[ -n "$v" ] || continue
	if [ -r "/boot/vmlinuz-$v" ] && [ -e "/lib/modules/$v/build/Makefile" ]; then
		best=$v
	fi
done < <(
	for f in /boot/vmlinuz-6.1.*-amd64; do
		[ -e "$f" ] && echo "${f#/boot/vmlinuz-}"
	done | sort -V
)

if [ -z "$best" ]; then
	echo "kver.sh: error: no Debian 6.1 -amd64 kernel with both /boot/vmlinuz-<V> and" \
		"/lib/modules/<V>/build found; run scripts/deps.sh" \
		"(packages linux-image-amd64 linux-headers-amd64)" >&2
	exit 1
fi
echo "$best"
