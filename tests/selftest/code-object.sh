#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The self-test kernel's code object as hipcc built it (rdna1-doctor(8), --selftest): one bundle entry
# per RDNA1 target, a gemm_tiled_f32_<name> kernel for every tile
# configuration of gemm_config.h and its implicit-GEMM twin gemm_conv_f32_<name>, plus the split-K
# reduction and im2col, and
# for every kernel no private (scratch) segment, LDS within 64 KiB, a VGPR
# count, wave32.
#   code-object.sh PATH/gemm_tiled.co PATH/gemm_config.h   (no argument: hipcc was not found)
set -u
co=${1:-}
cfg=${2:-}
if [ -z "$co" ]; then
        [ "${CI:-}" = true ] && { echo "FAIL: hipcc not found (CI=true: it is a prerequisite)"; exit 1; }
        echo "SKIP: hipcc not found, the HIP kernel was not built"
        exit 77
fi
# hipcc's own LLVM: 15 with Debian 12's hipcc 5.2, 17 with Debian 13's hipcc 5.7
bundler=$(command -v clang-offload-bundler-17 || command -v clang-offload-bundler-15 || command -v clang-offload-bundler)
readelf=$(command -v llvm-readelf-17 || command -v llvm-readelf-15 || command -v llvm-readelf)
[ -n "$bundler" ] && [ -n "$readelf" ] || { echo "FAIL: clang-offload-bundler/llvm-readelf missing"; exit 1; }
# The bundler runs its own LLVM's llvm-objcopy, looked up in PATH (Debian 13's
# clang-offload-bundler-17: "unable to find 'llvm-objcopy' in path").
PATH=$(dirname "$(readlink -f "$bundler")"):$PATH
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
        names=$(printf '%s\n' "$notes" | awk '$1 == ".name:" { print $2 }')
        want="im2col_nchw_f32 gemm_splitk_reduce_f32"
        for c in $(sed -n 's/^ *X(\([0-9a-z]*\),.*/\1/p' "$cfg"); do
                want="$want gemm_tiled_f32_$c gemm_conv_f32_$c"
        done
        [ "$(echo "$want" | wc -w)" -ge 3 ] || { echo "FAIL: no tile configurations found in $cfg"; fails=$((fails + 1)); }
        for k in $want; do
                printf '%s\n' "$names" | grep -qx -- "$k" || { echo "FAIL: $target: kernel $k missing"; fails=$((fails + 1)); }
        done
        if printf '%s\n' "$notes" | grep '\.private_segment_fixed_size' | grep -qv ': *0$'; then
                echo "FAIL: $target: a kernel uses scratch (private segment)"; fails=$((fails + 1))
        fi
        printf '%s\n' "$notes" | grep '\.group_segment_fixed_size' | awk '{ if ($NF + 0 > 65536) bad = 1 } END { exit bad }' ||
                { echo "FAIL: $target: LDS over 64 KiB"; fails=$((fails + 1)); }
        waves=$(printf '%s\n' "$notes" | grep -c '\.wavefront_size')
        [ "$waves" -eq "$kernels" ] || { echo "FAIL: $target: $waves .wavefront_size for $kernels kernels"; fails=$((fails + 1)); }
        printf '%s\n' "$notes" | grep '\.wavefront_size' | grep -qv ': *32$' &&
                { echo "FAIL: $target: not wave32"; fails=$((fails + 1)); }
        vgprs=$(printf '%s\n' "$notes" | grep -c '\.vgpr_count')
        [ "$vgprs" -eq "$kernels" ] || { echo "FAIL: $target: $vgprs .vgpr_count for $kernels kernels"; fails=$((fails + 1)); }
        # per kernel: VGPRs, LDS, and waves per SIMD32 that many VGPRs allow
        # (1024 per lane in wave32, allocated in 8s, at most 20 waves)
        printf '%s\n' "$notes" | awk -v t="$target" '
                $1 == ".group_segment_fixed_size:" { lds = $2 }
                $1 == ".name:" { name = $2 }
                $1 == ".vgpr_count:" { v = $2 }
                $1 == ".wavefront_size:" {
                        a = int((v + 7) / 8) * 8; w = a ? int(1024 / a) : 20; if (w > 20) w = 20
                        printf "%s: %-26s VGPRs %3d  LDS %5d bytes  waves/SIMD %d\n", t, name, v, lds, w }' 
done
[ "$fails" -eq 0 ] && echo "ok code object"
exit $((fails > 0))
