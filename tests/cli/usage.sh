#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Command-line contract that needs no fixture: help, version, usage errors,
# a missing root.
set -u
bin=$1
fails=0
check() { # DESC WANT-EXIT CMD...
        local desc=$1 want=$2
        shift 2
        out=$("$@" 2>&1)
        got=$?
        if [ "$got" -ne "$want" ]; then
                echo "FAIL: $desc: exit $got, want $want; output: $out"
                fails=$((fails + 1))
        fi
}
check "--help" 0 "$bin" --help
check "--version" 0 "$bin" --version
"$bin" --version | grep -qx 'rdna1-doctor [0-9.]*' || { echo "FAIL: --version format"; fails=$((fails + 1)); }
"$bin" --help | grep -q -- '--root DIR' || { echo "FAIL: --help lacks --root"; fails=$((fails + 1)); }
check "unknown option" 64 "$bin" --frobnicate
check "stray argument" 64 "$bin" --check extra
check "bad --time-limit" 64 "$bin" --time-limit abc
check "--demo with --root" 64 "$bin" --demo --root /
check "--root needs an argument" 64 "$bin" --root
check "--safe-mode without --bundle" 64 "$bin" --safe-mode
check "--bundle with --json" 64 "$bin" --bundle /nonexistent/x.tar.xz --json
check "--bundle needs a file" 64 "$bin" --bundle
check "missing root" 3 "$bin" --root /nonexistent/rdna1-doctor-root
"$bin" --root /nonexistent/rdna1-doctor-root 2>&1 | grep -q "cannot inspect '/nonexistent/rdna1-doctor-root'" ||
        { echo "FAIL: missing root message"; fails=$((fails + 1)); }
check "root is a file" 3 "$bin" --root /etc/hostname
empty=$(mktemp -d /tmp/rdna1-empty.XXXXXX)
check "empty directory as root (not mounted?)" 3 "$bin" --root "$empty" --state-dir "$empty"
rm -rf "$empty"
out=$("$bin" --root /nonexistent/x --json 2>/dev/null)
[ -z "$out" ] || { echo "FAIL: JSON printed on failure: $out"; fails=$((fails + 1)); }
# colour only on a terminal, never with NO_COLOR, --no-color or TERM=dumb
if command -v script >/dev/null; then
        # --check: --demo alone opens the TUI on a terminal
        tty_out() { TERM=$1 NO_COLOR=$2 script -qec "$bin --demo --check $3" /dev/null; }
        tty_out xterm "" "" | grep -q $'\033\[' || { echo "FAIL: no colour on a tty"; fails=$((fails + 1)); }
        tty_out xterm 1 "" | grep -q $'\033' && { echo "FAIL: colour despite NO_COLOR"; fails=$((fails + 1)); }
        tty_out xterm "" --no-color | grep -q $'\033' && { echo "FAIL: colour despite --no-color"; fails=$((fails + 1)); }
        tty_out dumb "" "" | grep -q $'\033' && { echo "FAIL: colour on TERM=dumb"; fails=$((fails + 1)); }
fi
"$bin" --demo | grep -q $'\033' && { echo "FAIL: colour on a pipe"; fails=$((fails + 1)); }
# every option --help lists is in the man page
man=${RDNA1_TEST_SRCDIR:-$(dirname "$0")/../..}/man/rdna1-doctor.8
for opt in $("$bin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$man" ||
                { echo "FAIL: $opt is in --help but not in the man page"; fails=$((fails + 1)); }
done
# the demo root answers (the seeds' broken machine: critical)
check "--demo" 2 "$bin" --demo
[ "$fails" -eq 0 ] && echo "ok usage"
exit $((fails > 0))
