#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the self-test GEMM kernel with nvcc (through hip_cuda_compat.h), check
# it against the CPU reference, time it against cuBLAS (TF32 off) and, where
# PyTorch is installed, the sweep against cuDNN (TF32 off).
#
#   bench/gemm/run.sh [--quick]
#
# SANITIZE=1 also runs the quick checks (every tile configuration, im2col and
# implicit GEMM, one pass and split-K) under compute-sanitizer (memcheck,
# racecheck, synccheck; the three at once, after the timings, each stopped
# after SANITIZE_TIMEOUT seconds, default 240).
# MATRIX=1 also times every tile configuration x split count on every sweep
# case and square (OUT/matrix.csv; the GEMM, and the implicit GEMM and im2col of
# each convolution), the data the planners' cost models are fitted to.
# OUT=DIR keeps the logs, the CSV, ptxas' resource report and the SASS.
# VARIANTS="bk16 lb1 bk16+lb1 w8x4 group1+nounroll ..." also times square GEMMs for
# experimental edits of the 128x128 configuration, or without the grouped block
# order (group1) or the K loop unrolled by its two stages (nounroll) (see variant()
# below); the shipped kernel is unchanged. (The kernel ablations nofast/nofragdb of
# bench/RESULTS.md were patches of the single-configuration kernel; they no longer
# apply and were removed.)
# Exit status: gemm_bench's (0 all correct, 1 wrong result, 2 CUDA error).
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${OUT:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$out" ] || out=$tmp/out
mkdir -p "$out"

nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
cuobjdump=$(command -v cuobjdump || echo "$(dirname "$nvcc")/cuobjdump")
NVFLAGS=(-O3 -arch=sm_90 -std=c++17 -lineinfo)

build() {       # build TREE BINARY: TREE holds src/selftest and bench/gemm
        gcc -O2 -std=gnu11 -c "$1/src/selftest/conv_cpu.c" -o "$2.conv_cpu.o" &&
        gcc -O2 -std=gnu11 -c "$1/src/selftest/sweep.c" -o "$2.sweep.o" &&
        gcc -O2 -std=gnu11 -c "$1/src/selftest/gemm_plan.c" -o "$2.gemm_plan.o" &&
        "$nvcc" "${NVFLAGS[@]}" -Xptxas -v "$1/bench/gemm/gemm_bench.cu" "$2.conv_cpu.o" \
                "$2.sweep.o" "$2.gemm_plan.o" -lcublas -o "$2" 2>"$2.ptxas" &&
        # one line per kernel: name, registers, spills
        awk "/entry function 'gemm/ { split(\$0, a, \"'\"); k = a[2] }
             /spill stores/ && k { sp = \$5 \" B spill stores\" }
             /Used [0-9]+ registers/ && k { print k \": \" \$5 \" registers, \" sp; k = \"\" }" "$2.ptxas"
}

variant() {     # apply experimental edit(s) $1 (joined by +) to the copy of the tree in $2
        local cfg=$2/src/selftest/gemm_config.h compat=$2/src/selftest/hip_cuda_compat.h v
        local row='X(128x128, 128, 128, 8, 8, 8, 4, 8)'
        grep -qF "$row" "$cfg" || { echo "variant: no '$row' in gemm_config.h"; return 1; }
        for v in ${1//+/ }; do
                case $v in
                base)   ;;
                bk16)   sed -i "s/X(128x128, 128, 128, 8,/X(128x128, 128, 128, 16,/" "$cfg" ;;
                lb1)    sed -i 's/__launch_bounds__(threads, 2)/__launch_bounds__(threads, 1)/' "$compat" ;;
                w8x4)   sed -i "s/X(128x128, \(.*\), 4, 8)/X(128x128, \1, 8, 4)/" "$cfg" ;;
                group1) sed -i 's/^#define GEMM_GROUP_M 8$/#define GEMM_GROUP_M 1/' "$cfg" ;;
                nounroll) sed -i 's/^#define GEMM_UNROLL_MIN_TILE .*/#define GEMM_UNROLL_MIN_TILE (1 << 30)/' "$cfg" ;;
                *)      echo "variant: unknown edit $v"; return 1 ;;
                esac
        done
}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader
"$nvcc" --version | tail -2
echo

echo "== build (the gfx1010 tile configurations, -arch=sm_90)"
build "$top" "$tmp/gemm_bench" || { cat "$tmp/gemm_bench.ptxas"; exit 2; }
cp "$tmp/gemm_bench.ptxas" "$out/ptxas.txt"
[ -x "$cuobjdump" ] && "$cuobjdump" -sass -fun gemm_tiled_f32_128x128 "$tmp/gemm_bench" >"$out/sass.txt" 2>&1
echo

echo "== gemm_bench"
"$tmp/gemm_bench" "$@" --csv "$out/conv_times.csv" ${MATRIX:+--matrix "$out/matrix.csv"} 2>&1 | tee "$out/bench.txt"
rc=$?

if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
        echo
        echo "== PyTorch cuDNN convolution (FP32, TF32 off) beside im2col + gemm_tiled_f32_<plan>"
        PYTHONUNBUFFERED=1 python3 "$here/torch_conv.py" "$out/conv_times.csv" 2>&1 | tee "$out/torch.txt"
else
        echo "== PyTorch with CUDA not available: cuDNN comparison skipped"
fi

if [ -n "${SANITIZE:-}" ]; then
        sanitizer=$(command -v compute-sanitizer || echo "$(dirname "$nvcc")/compute-sanitizer")
        # CPU-bound instrumentation: the three tools run side by side
        for tool in memcheck racecheck synccheck; do
                (
                        timeout "${SANITIZE_TIMEOUT:-240}" "$sanitizer" --tool "$tool" --error-exitcode 3 \
                                "$tmp/gemm_bench" --quick --check-only >"$out/sanitize-$tool.txt" 2>&1
                        echo $? >"$tmp/sanitize-$tool.rc"
                ) &
        done
        wait
        for tool in memcheck racecheck synccheck; do
                echo
                echo "== compute-sanitizer --tool $tool (quick sweep, small GEMMs)"
                echo "exit $(cat "$tmp/sanitize-$tool.rc") ($(grep -cE '^(ok|FAIL)' "$out/sanitize-$tool.txt") checks); $(tail -n 2 "$out/sanitize-$tool.txt" | tr '\n' ' ')"
        done
fi

for v in ${VARIANTS:-}; do
        echo
        echo "== variant $v (square GEMMs only)"
        mkdir -p "$tmp/$v/src/core/base" "$tmp/$v/bench"
        cp "$top/src/core/base/util.h" "$tmp/$v/src/core/base/"
        cp -r "$top/src/selftest" "$tmp/$v/src/" && cp -r "$top/bench/gemm" "$tmp/$v/bench/" &&
                variant "$v" "$tmp/$v" && build "$tmp/$v" "$tmp/$v/gemm_bench" &&
                "$tmp/$v/gemm_bench" --bench-only | grep -E "^(tile|gemm)"
done
exit $rc
