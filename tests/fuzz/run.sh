#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fuzz/run.sh TARGET... — build each libFuzzer target (profile,
# envfile, gpubundle) with clang under ASan+UBSan, replay its regression inputs
# (tests/fuzz/regressions/TARGET: crashes found earlier; each must pass),
# then fuzz for RDNA1_FUZZ_SECONDS (default 60) from the seed corpus
# (tests/fuzz/corpus/TARGET, copied: the checked-in corpus is not changed).
# A crash leaves its input in $RDNA1_FUZZ_ARTIFACTS (default: a temp dir,
# printed) to be added to the regressions. Exit 0 when every target passes.
# Environment: CLANG (default clang-14 on Debian 12, clang-19 on 13, else clang), RDNA1_FUZZ_SECONDS.
set -u
cd "$(dirname "$0")/../.."
top=$PWD
secs=${RDNA1_FUZZ_SECONDS:-60}
cc=${CLANG:-$(command -v clang-14 || command -v clang-19 || command -v clang)}
if [ -z "$cc" ]; then
        echo "fuzz: no clang (install clang-14 and libclang-rt-14-dev, on Debian 13 clang-19 and libclang-rt-19-dev)"
        exit 77
fi
work=$(mktemp -d /tmp/rdna1-fuzz.XXXXXX)
artifacts=${RDNA1_FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
trap 'rm -rf "$work/corpus-"* "$work"/fuzz-* "$work"/*.o' EXIT
core=src/core
flags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$core" -I/usr/include/iniparser)
libs=(-liniparser -ljson-c -lzstd -lz)
declare -A sources=(
        [profile]="base/util.c root/sysroot.c base/report.c parse/envfile.c profile/profile.c profile/profile_value.c profile/profile_render.c check/gpu_targets.c probe/probe_pci.c probe/probe_kfd.c probe/rdna1_table.c"
        [gpubundle]="base/util.c parse/gpu_bundle.c"
        [envfile]="base/util.c root/sysroot.c base/report.c parse/envfile.c check/rules_ini.c profile/profile.c profile/profile_value.c profile/profile_check.c check/gpu_targets.c probe/probe_pci.c probe/probe_kfd.c probe/rdna1_table.c"
)
rc=0
for t in "${@:-profile envfile gpubundle}"; do
        for tt in $t; do
                srcs=()
                for s in ${sources[$tt]}; do srcs+=("$core/$s"); done
                echo "fuzz-$tt: building with $cc"
                if ! "$cc" "${flags[@]}" tests/fuzz/fuzz-"$tt".c "${srcs[@]}" "${libs[@]}" -lpci -o "$work/fuzz-$tt" 2>"$work/build-$tt.log"; then
                        cat "$work/build-$tt.log"
                        echo "fuzz-$tt: build failed"
                        rc=1
                        continue
                fi
                export RDNA1_FUZZ_RULES=$top/profiles/rules.ini
                regs=(tests/fuzz/regressions/"$tt"/*)
                if [ -e "${regs[0]}" ]; then
                        if ! "$work/fuzz-$tt" "${regs[@]}" >"$work/regress-$tt.log" 2>&1; then
                                tail -40 "$work/regress-$tt.log"
                                echo "fuzz-$tt: a regression input fails"
                                rc=1
                                continue
                        fi
                        echo "fuzz-$tt: ${#regs[@]} regression input(s) pass"
                fi
                mkdir -p "$work/corpus-$tt"
                cp tests/fuzz/corpus/"$tt"/* "$work/corpus-$tt/"
                if "$work/fuzz-$tt" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                        -artifact_prefix="$artifacts/$tt-" "$work/corpus-$tt" >"$work/fuzz-$tt.log" 2>&1; then
                        grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/fuzz-$tt.log" | tail -2
                        echo "fuzz-$tt: no crash in $secs s"
                else
                        tail -60 "$work/fuzz-$tt.log"
                        echo "fuzz-$tt: CRASH; input(s) in $artifacts (add them to tests/fuzz/regressions/$tt)"
                        rc=1
                fi
        done
done
exit $rc
