#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The self-test kernel's code object as hipcc built it (rdna1-doctor(8), --selftest): one
# bundle entry per RDNA1 target, and for every kernel in it no private
# (scratch) segment, LDS within 64 KiB, a VGPR count, wave32.
#   code-object.sh PATH/gemm_tiled.co   (no argument: hipcc was not found)
set -u
co=${1:-}
if [ -z "$co" ]; then
        [ "${CI:-}" = true ] && { echo "FAIL: hipcc not found (CI=true: it is a prerequisite)"; exit 1; }
        echo "SKIP: hipcc not found, the HIP kernel was not built"
        exit 77
fi
bundler=$(command -v clang-offload-bundler-15 || command -v clang-offload-bundler)
readelf=$(command -v llvm-readelf-15 || command -v llvm-readelf)
[ -n "$bundler" ] && [ -n "$readelf" ] || { echo "FAIL: clang-offload-bundler/llvm-readelf missing"; exit 1; }
tmp=$(mktemp -d /tmp/rdna1-co.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
list=$("$bundler" --list --type=o --input="$co") || { echo "FAIL: cannot list $co"; exit 1; }
for target in gfx1010 gfx1011 gfx1012; do
        id="hipv4-amdgcn-amd-amdhsa--$target"
        printf '%s\n' "$list" | grep -qx -- "$id" || id=
        [ -n "$id" ] || { echo "FAIL: no $target entry in the bundle: $list"; fails=$((fails + 1)); continue; }
        "$bundler" --unbundle --type=o --input="$co" --targets="$id" --output="$tmp/$target.o" ||
                { echo "FAIL: unbundle $id"; fails=$((fails + 1)); continue; }
        notes=$("$readelf" --notes "$tmp/$target.o")
        kernels=$(printf '%s\n' "$notes" | grep -c '\.private_segment_fixed_size')
        [ "$kernels" -ge 2 ] || { echo "FAIL: $target: expected the gemm and im2col kernels, found $kernels"; fails=$((fails + 1)); }
        if printf '%s\n' "$notes" | grep '\.private_segment_fixed_size' | grep -qv ': *0$'; then
                echo "FAIL: $target: a kernel uses scratch (private segment)"; fails=$((fails + 1))
        fi
        printf '%s\n' "$notes" | grep '\.group_segment_fixed_size' | awk '{ if ($NF + 0 > 65536) bad = 1 } END { exit bad }' ||
                { echo "FAIL: $target: LDS over 64 KiB"; fails=$((fails + 1)); }
        waves=$(printf '%s\n' "$notes" | grep -c '\.wavefront_size')
        [ "$waves" -eq "$kernels" ] || { echo "FAIL: $target: $waves .wavefront_size for $kernels kernels"; fails=$((fails + 1)); }
        printf '%s\n' "$notes" | grep '\.wavefront_size' | grep -qv ': *32$' &&
                { echo "FAIL: $target: not wave32"; fails=$((fails + 1)); }
        vgprs=$(printf '%s\n' "$notes" | grep '\.vgpr_count' | awk '{print $NF}' | tr '\n' ' ')
        [ -n "$vgprs" ] || { echo "FAIL: $target: no .vgpr_count"; fails=$((fails + 1)); }
        lds=$(printf '%s\n' "$notes" | grep '\.group_segment_fixed_size' | awk '{print $NF}' | tr '\n' ' ')
        echo "$target: VGPRs $vgprs LDS bytes $lds"
done
[ "$fails" -eq 0 ] && echo "ok code object"
exit $((fails > 0))
