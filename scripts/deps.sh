#!/usr/bin/env bash
# Install everything vmo needs to build and to run its test VM (Debian 12).
# Idempotent: when every package is already installed this only runs one
# dpkg-query and exits; apt-get (update + install) runs only if something
# is missing.
#
# deps.sh debug  also installs what scripts/debug-kernel.sh builds a
#                kernel with (make check-debug).
set -euo pipefail

PKGS=(
	# test VM: Debian's 6.1 kernel + headers to build vmo.ko against it
	linux-image-amd64 linux-headers-amd64 kmod
	qemu-system-x86 busybox-static cpio gzip xz-utils
	# user space (static binaries) + kselftest harness / checkpatch source
	gcc make libc6-dev liburing-dev linux-source-6.1 binutils perl
	# scripts
	coreutils grep sed
)
if [ "${1:-}" = debug ]; then
	PKGS+=(flex bison bc libelf-dev libssl-dev dwarves)
fi

die() { echo "deps.sh: error: $*" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps.sh: installing: ${missing[*]}" >&2
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
			die "not root and sudo not available; cannot install ${missing[*]}"
		SUDO=(sudo)
	fi
	# retry CMD...: up to 3 attempts (transient mirror/network errors).
	retry() {
		local i
		for i in 1 2 3; do
			"$@" && return 0
			[ "$i" = 3 ] || { echo "deps.sh: '$*' failed, retrying in 5 s" >&2; sleep 5; }
		done
		return 1
	}
	apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q
		-o DPkg::Lock::Timeout=300)
	retry "${apt[@]}" update || die "apt-get update failed"
	retry "${apt[@]}" install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold \
		"${missing[@]}" ||
		die "apt-get install failed for: ${missing[*]}"
	for p in "${missing[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || die "package $p still not installed after apt-get install"
	done
fi

# The test VM needs a 6.1 kernel image *and* its headers (same version).
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
"$here/kver.sh" >/dev/null ||
	die "no usable 6.1 -amd64 kernel (image + headers) after installing packages"
[ -r /usr/src/linux-source-6.1.tar.xz ] ||
	die "/usr/src/linux-source-6.1.tar.xz missing (package linux-source-6.1)"
[ -x /bin/busybox ] || die "/bin/busybox missing (package busybox-static)"
