#!/usr/bin/env bash
# ksrc.sh OUTDIR - extract from Debian's linux-source-6.1 tarball only the
# files vmo needs (kselftest harness headers, checkpatch.pl and its data
# files) into OUTDIR, dropping the leading "linux-source-6.1/" component.
# Idempotent: does nothing if all files are already there.
set -euo pipefail

TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
FILES=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
)

die() { echo "ksrc.sh: error: $*" >&2; exit 1; }

if [ $# -ne 1 ] || [ -z "$1" ]; then die "usage: $0 OUTDIR"; fi
out=$1

have_all=1
for f in "${FILES[@]}"; do
	[ -s "$out/$f" ] || { have_all=0; break; }
done
[ "$have_all" = 1 ] && exit 0

[ -r "$TARBALL" ] ||
	die "$TARBALL not found (install package linux-source-6.1: scripts/deps.sh)"

# The tarball's top directory (normally linux-source-6.1/).
top=$(tar -tJf "$TARBALL" 2>/dev/null | head -n1 || true)
top=${top%%/*}
[ -n "$top" ] || die "cannot list $TARBALL"

# Extract next to OUTDIR and create OUTDIR only once everything is there,
# so a failed run never leaves a half-populated OUTDIR behind (make treats
# an existing OUTDIR as up to date).
parent=$(dirname "$out")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.ksrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

members=()
for f in "${FILES[@]}"; do members+=("$top/$f"); done
echo "ksrc.sh: extracting ${#FILES[@]} files from $TARBALL into $out" >&2
tar -xJf "$TARBALL" -C "$tmp" --strip-components=1 "${members[@]}" ||
	die "extracting from $TARBALL failed"

for f in "${FILES[@]}"; do
	[ -s "$tmp/$f" ] || die "$f missing from $TARBALL"
	mkdir -p "$out/$(dirname "$f")"
	mv -f "$tmp/$f" "$out/$f"
done
chmod +x "$out/scripts/checkpatch.pl"
