#!/bin/sh
# Run the HIP kernel source on CPU threads (bench/gemm/emu): no GPU needed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -std=gnu11 -c "$top/src/selftest/conv_cpu.c" -o "$tmp/conv_cpu.o"
gcc -O2 -std=gnu11 -c "$top/src/selftest/sweep.c" -o "$tmp/sweep.o"
gcc -O2 -std=gnu11 -c "$top/src/selftest/gemm_plan.c" -o "$tmp/gemm_plan.o"
g++ -O1 -std=c++20 -pthread -Wno-unknown-pragmas -I"$here/emu" -x c++ "$here/emu/kernel_emu.cc" -x none \
        "$tmp/conv_cpu.o" "$tmp/sweep.o" "$tmp/gemm_plan.o" -lm -o "$tmp/kernel_emu"
"$tmp/kernel_emu"
