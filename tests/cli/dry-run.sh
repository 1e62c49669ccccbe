#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command that changes something takes --dry-run and --yes. On a
# fixture root (a copy of the demo root, state and caches inside it) each
# --dry-run shows what it would do and leaves the tree as it was: names,
# types, modes, owners, link targets, times and contents. Then the same
# commands with --yes do change it.
set -u
bin=$(realpath "$1")
demo=$RDNA1_DOCTOR_DATADIR/demo
fails=0
no() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -d "$demo" ] || { echo "SKIP: no demo root at $demo (built with -Ddemo=false)"; [ "${CI:-}" = true ] && exit 1; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (the fixture keeps its owners)"; [ "${CI:-}" = true ] && exit 1; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
cp -a "$demo" "$root"
tree_hash() {
        (cd "$1" && find . -printf '%p %y %m %U %G %l %T@\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
}
dry() { # WANT-EXIT LOG ARGS...: a dry run that must leave the root as it was
        local want=$1 log=$2 before rc
        shift 2
        before=$(tree_hash "$root")
        "$bin" --root "$root" "$@" >"$tmp/$log" 2>&1
        rc=$?
        [ "$rc" -eq "$want" ] || { no "$*: exit $rc, want $want"; cat "$tmp/$log"; }
        [ "$(tree_hash "$root")" = "$before" ] || no "$*: the root changed"
}

# --recover: the plan
dry 0 recover.log --recover --dry-run
grep -q 'Dry run: nothing was changed' "$tmp/recover.log" || no "--recover --dry-run: no plan"
dry 0 recover-json.log --recover --dry-run --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"] == "rdna1-doctor/plan/1"' \
        "$tmp/recover-json.log" || no "--recover --dry-run --json is not a plan/1 document"

# --profile install: the file it would write; then --yes installs it
dry 0 install.log --profile install diagnostic --dry-run
grep -q '^would install the profile .diagnostic. as /etc/profile.d/rdna1-doctor.sh' "$tmp/install.log" ||
        no "--profile install --dry-run does not say what it would write"
grep -q '^  | ' "$tmp/install.log" || no "--profile install --dry-run does not show the content"
[ -e "$root/etc/profile.d/rdna1-doctor.sh" ] && no "--profile install --dry-run wrote the profile"
dry 0 install-json.log --profile install diagnostic --dry-run --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["dry_run"] is True and d["journal"] is None' \
        "$tmp/install-json.log" || no "--profile install --dry-run --json: $(cat "$tmp/install-json.log")"
"$bin" --root "$root" --profile install diagnostic --yes >"$tmp/install-yes.log" 2>&1 ||
        { no "--profile install --yes: exit $?"; cat "$tmp/install-yes.log"; }
[ -f "$root/etc/profile.d/rdna1-doctor.sh" ] || no "--profile install --yes did not install the profile"

# --bundle: the members, no file
dry 0 bundle.log --bundle "$tmp/b.tar.xz" --dry-run
[ -e "$tmp/b.tar.xz" ] && no "--bundle --dry-run wrote the bundle"
grep -q 'manifest.json' "$tmp/bundle.log" || no "--bundle --dry-run does not list the members"
touch "$tmp/exists.tar.xz"
dry 73 bundle-exists.log --bundle "$tmp/exists.tar.xz" --dry-run

# exec: who would run what; nothing runs
before=$(tree_hash "$root")
"$bin" exec --profile diagnostic --root "$root" --as-root --dry-run -- touch "$tmp/ran" >"$tmp/exec.log" 2>&1 ||
        { no "exec --dry-run: exit $?"; cat "$tmp/exec.log"; }
[ -e "$tmp/ran" ] && no "exec --dry-run ran the command"
grep -q 'command: touch' "$tmp/exec.log" || no "exec --dry-run does not show the command"
[ "$(tree_hash "$root")" = "$before" ] || no "exec --dry-run: the root changed"

# --rollback ID and --recover --resume: a run to undo, and one cut short
"$bin" --root "$root" --recover --yes >"$tmp/rec.log" 2>&1
rc=$?
{ [ "$rc" -eq 0 ] || [ "$rc" -eq 10 ] || [ "$rc" -eq 11 ]; } || { no "--recover --yes: exit $rc"; cat "$tmp/rec.log"; }
id=$("$bin" --root "$root" --history | grep -oE '^[0-9]{8}-[0-9]{6}[^ ]*' | head -1)
[ -n "$id" ] || no "--history lists no run"
dry 0 rollback.log --rollback "$id" --dry-run
grep -q "^Rolling back $id" "$tmp/rollback.log" || no "--rollback --dry-run does not list the steps"
grep -q 'Dry run: nothing was changed' "$tmp/rollback.log" || no "--rollback --dry-run: no closing line"
dry 0 rollback-json.log --rollback "$id" --dry-run --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["dry_run"] is True and d["operation"] == "rollback" and d["steps"]' \
        "$tmp/rollback-json.log" || no "--rollback --dry-run --json: $(cat "$tmp/rollback-json.log")"
"$bin" --root "$root" --rollback "$id" --yes >"$tmp/rb.log" 2>&1 || { no "--rollback --yes: exit $?"; cat "$tmp/rb.log"; }
{ RDNA1_DOCTOR_FAULT=step-intent@2 "$bin" --root "$root" --recover --yes >"$tmp/cut.log" 2>&1; } 2>/dev/null
[ "$?" -eq 137 ] || no "the fault point did not kill the recovery (test-only RDNA1_DOCTOR_FAULT)"
dry 0 resume.log --recover --resume --dry-run
grep -q '^Resuming ' "$tmp/resume.log" || no "--recover --resume --dry-run does not list the steps left"
"$bin" --root "$root" --recover --resume --yes >"$tmp/resume-yes.log" 2>&1
rc=$?
{ [ "$rc" -eq 0 ] || [ "$rc" -eq 10 ] || [ "$rc" -eq 11 ]; } || { no "--recover --resume --yes: exit $rc"; cat "$tmp/resume-yes.log"; }
[ "$fails" -eq 0 ] && echo "ok dry-run"
exit $((fails > 0))
