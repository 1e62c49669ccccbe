#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-tree.sh DOCTOR HELPER — the build tree works as itself (README
# "Building from the tree"): the built binary and helper run with an empty
# environment and find the build's data and helper; a copy of the binary
# outside the build tree does not look there; `./run` in a fresh copy of
# the tree needs no variable and its self-test passes; a missing or broken
# helper is "not run" (exit 3) naming its path, a helper that starts and
# dies is a crash (exit 21) and what it said keeps its lines. Every
# inspection is of a fixture root (--root) or the demo.
set -u
bin=$(realpath "$1")
helper=$(realpath "$2")
src=${RDNA1_TEST_SRCDIR:?}
build=${bin%/src/cli/rdna1-doctor}
tmp=$(mktemp -d /tmp/rdna1-buildtree.XXXXXX)
# as root the self-test helper runs as nobody: it must reach the tree, as in a clone others may enter
chmod 0711 "$tmp"
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
show() { sed 's/^/    /' "$1" | tail -30; }
clean() { (cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$tmp/home" LANG=C.UTF-8 "$@"); }
mkdir -p "$tmp/home"

[ "$helper" = "$build/src/selftest/rdna1-selftest" ] || fail "the helper $helper is not the build tree's"
python3 "$src/tests/gen-root.py" --cache "$src/tests/.cache/gen" "$src/tests/scenarios/clean.ini" "$tmp/root" >/dev/null ||
        { echo "FAIL: gen-root"; exit 1; }
mkdir "$tmp/state"
fix=(--root "$tmp/root" --state-dir "$tmp/state")

# 1. the build tree's binary, no environment: the demo (data) and the self-test (helper)
clean "$bin" --demo --quiet >"$tmp/demo.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q '^critical' "$tmp/demo.out" || { fail "--demo from the build tree: exit $rc"; show "$tmp/demo.out"; }
clean "$bin" "${fix[@]}" --selftest --backend cpu --quick >"$tmp/st.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q '^Self-test cpu: pass' "$tmp/st.out" ||
        { fail "--selftest from the build tree: exit $rc"; show "$tmp/st.out"; }
clean "$bin" --profile list >"$tmp/profiles.out" 2>&1 || { fail "--profile list from the build tree"; show "$tmp/profiles.out"; }

# 2. the same binary copied out of the build tree uses the install prefix, never the build's paths
cp "$bin" "$tmp/rdna1-doctor"
clean "$tmp/rdna1-doctor" --demo --quiet >"$tmp/copy.out" 2>&1
if grep -qF "$build" "$tmp/copy.out"; then
        fail "a copy outside the build tree looked into the build tree"; show "$tmp/copy.out"
fi

# 3. a missing, a non-executable and a broken helper: not run (3), naming the path and how to get it
missing="$tmp/no-such-dir/rdna1-selftest"
printf 'not a program\n' >"$tmp/not-executable"
printf '\x7fELF garbage' >"$tmp/broken" && chmod 755 "$tmp/broken"
for h in "$missing" "$tmp/not-executable" "$tmp/broken"; do
        clean env RDNA1_SELFTEST_HELPER="$h" "$bin" "${fix[@]}" --selftest --backend cpu --quick >"$tmp/h.out" 2>&1
        rc=$?
        [ "$rc" -eq 3 ] || { fail "helper $h: exit $rc, not 3"; show "$tmp/h.out"; }
        grep -qF "cannot run the helper $h" "$tmp/h.out" || { fail "helper $h: the path is not named"; show "$tmp/h.out"; }
        grep -q 'apt install --reinstall rdna1-doctor' "$tmp/h.out" && grep -q 'ninja -C' "$tmp/h.out" ||
                { fail "helper $h: no way to get it"; show "$tmp/h.out"; }
done
clean env RDNA1_SELFTEST_HELPER="$missing" "$bin" "${fix[@]}" --selftest --backend cpu --quick --json >"$tmp/h.json" 2>/dev/null
python3 - "$tmp/h.json" "$missing" <<'PY' || fail "--json for a missing helper"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "not-run" and d["exit_code"] == 3, d
assert sys.argv[2] in d["reason"], d["reason"]
PY

# 4. a helper that starts, talks and dies: a crash (21); its lines stay lines
printf '#!/bin/sh\necho "first line" >&2\necho "second line" >&2\nkill -9 $$\n' >"$tmp/dies"
chmod 755 "$tmp/dies"
clean env RDNA1_SELFTEST_HELPER="$tmp/dies" "$bin" "${fix[@]}" --selftest --backend cpu --quick >"$tmp/dies.out" 2>&1
rc=$?
[ "$rc" -eq 21 ] || { fail "a helper killed by a signal: exit $rc, not 21"; show "$tmp/dies.out"; }
grep -A2 '^Helper said:$' "$tmp/dies.out" | tr '\n' '|' | grep -qx 'Helper said:|first line|second line|' ||
        { fail "'Helper said:' does not keep the helper's lines"; show "$tmp/dies.out"; }
grep -qF '\x0a' "$tmp/dies.out" && fail "a newline printed as \\x0a"

# 5. ./run in a fresh copy of the tree: no variable, the self-test passes; then the helper removed
mkdir "$tmp/tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$src" && git ls-files -z --cached --others --exclude-standard) |
                (cd "$src" && xargs -0 -r cp --parents -P -t "$tmp/tree" -- 2>/dev/null)
else
        (cd "$src" && tar --exclude='./build*' --exclude='./tests/.cache' -cf - .) | (cd "$tmp/tree" && tar -xf -)
fi
[ -d "$src/tests/.cache/gen" ] && mkdir -p "$tmp/tree/tests/.cache" && cp -a "$src/tests/.cache/gen" "$tmp/tree/tests/.cache/"
clean "$tmp/tree/run" --selftest --backend cpu --quick "${fix[@]}" >"$tmp/run.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q '^Self-test cpu: pass' "$tmp/run.out" ||
        { fail "./run --selftest --backend cpu --quick: exit $rc"; show "$tmp/run.out"; }
clean "$tmp/tree/run" --quiet >"$tmp/run-demo.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q '^critical' "$tmp/run-demo.out" || { fail "./run --quiet (the demo): exit $rc"; show "$tmp/run-demo.out"; }
rm -f "$tmp/tree/build-run/src/selftest/rdna1-selftest"
clean "$tmp/tree/build-run/src/cli/rdna1-doctor" "${fix[@]}" --selftest --backend cpu --quick >"$tmp/gone.out" 2>&1
rc=$?
[ "$rc" -eq 3 ] && grep -qF "cannot run the helper $tmp/tree/build-run/src/selftest/rdna1-selftest" "$tmp/gone.out" ||
        { fail "the build tree's helper removed: exit $rc (want 3 and its path)"; show "$tmp/gone.out"; }

[ "$fails" -eq 0 ] && echo "ok build-tree"
exit $((fails > 0))
