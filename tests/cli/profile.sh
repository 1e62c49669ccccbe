#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --profile list|show|validate|diff|install on fixture roots under a temp
# dir (never the host): the seed's env file is judged line by line, the
# installed script reads back (audit parser via diff, and sh) as exactly
# the profile, bad profiles are refused without a write, and with several
# GPUs the RDNA1 card is isolated.
set -u
bin=$1
src=${RDNA1_TEST_SRCDIR:-$(dirname "$0")/../..}
fails=0
tmp=$(mktemp -d /tmp/rdna1-profile.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
no() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { # WANT-EXIT CMD... ; output in $out
        local want=$1
        shift
        out=$("$@" 2>&1)
        got=$?
        [ "$got" -eq "$want" ] || no "$*: exit $got, want $want; output: $out"
}
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# An empty root: no GPU, so everything is judged for gfx1010.
root=$tmp/root
mkdir -p "$root/etc/profile.d" "$root/usr"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

# --- validate: seed 002's ~/rocm_rdna1_env.sh, each problem on its line
seed=$src/tests/cli/profile-data/rocm_rdna1_env.sh
run 2 "$bin" --profile validate "$seed" --root "$root"
grep -q "rocm_rdna1_env.sh:4: critical: HSA_OVERRIDE_GFX_VERSION: env.override-gfx on gfx1010" <<<"$out" ||
        no "validate: override not critical on line 4: $out"
grep -q "rocm_rdna1_env.sh:6: warning: MIOPEN_FIND_ENFORCE: env.hang-risk" <<<"$out" ||
        no "validate: MIOPEN_FIND_ENFORCE=3 not reported on line 6"
grep -q "rocm_rdna1_env.sh:10: info: PYTORCH_ROCM_ARCH: env.build-only" <<<"$out" ||
        no "validate: PYTORCH_ROCM_ARCH not reported on line 10"
"$bin" --profile validate "$seed" --root "$root" --json | jq_py '
p = {(x["name"], x["line"]): (x["severity"], x["finding"]) for x in d["problems"]}
assert d["schema"] == "rdna1-doctor/profiles/1" and d["verdict"] == "critical" and d["exit_code"] == 2, d
assert p[("HSA_OVERRIDE_GFX_VERSION", 4)] == ("critical", "env.override-gfx"), p
assert p[("MIOPEN_FIND_ENFORCE", 6)] == ("warning", "env.hang-risk"), p
assert p[("PYTORCH_ROCM_ARCH", 10)] == ("info", "env.build-only"), p
assert d["targets"] == [{"gfx_target": "gfx1010", "pci_slot": None, "assumed": True}], d["targets"]
' || no "validate --json of the seed"
# The same file with the native value is only a warning-free info list.
sed 's/10\.3\.0/10.1.0/; /FIND_ENFORCE/d' "$seed" >"$tmp/fixed.sh"
run 0 "$bin" --profile validate "$tmp/fixed.sh" --root "$root"
# What a profile would refuse is a warning on its line in a shell file: a
# line break in a quoted value, $(...), backticks (validate and install agree).
printf '# refused in a profile\nexport MIOPEN_USER_DB_PATH="/tmp/a\nb"\nexport HIP_VISIBLE_DEVICES=$(echo 0)\nexport ROCR_VISIBLE_DEVICES=`echo 0`\n' >"$tmp/refused.sh"
run 1 "$bin" --profile validate "$tmp/refused.sh" --root "$root"
grep -q "refused.sh:2: warning: MIOPEN_USER_DB_PATH: the value contains a line break: a profile would refuse it" <<<"$out" ||
        no "validate: the line break not warned on line 2: $out"
grep -q "refused.sh:4: warning: HIP_VISIBLE_DEVICES: .*command substitution.*a profile would refuse it" <<<"$out" ||
        no "validate: \$(...) not warned on line 4: $out"
grep -q "refused.sh:5: warning: ROCR_VISIBLE_DEVICES: .*command substitution.*a profile would refuse it" <<<"$out" ||
        no "validate: backticks not warned on line 5: $out"
# and a profile with such a value is refused by validate
printf '[profile]\nname = refused\ndescription = test\ngfx-targets = gfx1010\n\n[env]\nHIP_VISIBLE_DEVICES = $(echo 0)\n' >"$tmp/refused.ini"
run 2 "$bin" --profile validate "$tmp/refused.ini" --root "$root"
grep -q "refused.ini:7: critical: HIP_VISIBLE_DEVICES: the value contains \$( (command substitution)" <<<"$out" ||
        no "validate: the profile's \$(...) is not what refuses it: $out"

# --- the shipped profiles validate clean; list shows them
for p in gfx1010-native miopen-rocm57-conservative diagnostic; do
        run 0 "$bin" --profile validate "$src/profiles/$p.ini" --root "$root"
done
"$bin" --profile list --json | jq_py '
names = sorted(p["name"] for p in d["profiles"])
assert d["schema"] == "rdna1-doctor/profiles/1" and d["command"] == "list", d
assert names == ["diagnostic", "gfx1010-native", "miopen-rocm57-conservative"], names
assert all(p["valid"] for p in d["profiles"]), d
' || no "list --json"

# --- bad profiles: every problem with its line; install refuses without a write
cat >"$tmp/bad.ini" <<'INI'
[profile]
name = bad
description = broken on purpose
gfx-targets = gfx1010
[env]
HSA_OVERRIDE_GFX_VERSION = 10.3.0
MIOPEN_FIND_MODE = $(reboot)
miopen_find_mode = FAST
NOT-A-NAME = 1
SOMETHING_UNKNOWN = 1
[reason]
HSA_OVERRIDE_GFX_VERSION = r
[source]
HSA_OVERRIDE_GFX_VERSION = s
INI
run 2 "$bin" --profile validate "$tmp/bad.ini" --root "$root"
for want in "bad.ini:6: critical: HSA_OVERRIDE_GFX_VERSION: env.override-gfx" \
        "bad.ini:7: critical: MIOPEN_FIND_MODE: the value contains \$(" \
        "bad.ini:8: critical: miopen_find_mode: duplicate key" \
        "bad.ini:9: critical: NOT-A-NAME: not a valid environment variable name" \
        "bad.ini:10: warning: SOMETHING_UNKNOWN: unknown variable"; do
        grep -qF "$want" <<<"$out" || no "bad profile: missing '$want' in: $out"
done
printf '[profile]\nname = x\ngfx-targets = gfx1010\n[env]\nA = \xff\n' >"$tmp/latin1.ini"
run 2 "$bin" --profile validate "$tmp/latin1.ini" --root "$root"
grep -q "not valid UTF-8" <<<"$out" || no "non-UTF-8 profile: $out"
run 12 "$bin" --profile install "$tmp/bad.ini" --root "$root"
[ ! -e "$root/etc/profile.d/rdna1-doctor.sh" ] && [ ! -e "$root/var/lib/rdna1-doctor" ] ||
        no "install of a bad profile wrote something"
# A profile with only an unknown variable is a warning: install refuses that too.
printf '[profile]\nname = w\ndescription = d\ngfx-targets = gfx1010\n[env]\nFOO_UNKNOWN = 1\n[reason]\nFOO_UNKNOWN = r\n[source]\nFOO_UNKNOWN = s\n' >"$tmp/w.ini"
run 1 "$bin" --profile validate "$tmp/w.ini" --root "$root"
run 12 "$bin" --profile install "$tmp/w.ini" --root "$root"
[ ! -e "$root/etc/profile.d/rdna1-doctor.sh" ] || no "install of a warning profile wrote the script"
run 64 "$bin" --profile frobnicate
run 64 "$bin" --profile show
run 64 "$bin" --profile show "Bad Name"
run 3 "$bin" --profile show "$tmp/no-such-file.ini"
run 64 "$bin" --profile show no-such-profile

# --- install: the script, read back by sh and by the audit's parser (diff)
name=miopen-rocm57-conservative
printf 'export HSA_OVERRIDE_GFX_VERSION=10.3.0\nexport MIOPEN_FIND_ENFORCE=3\nexport OTHER=1\n' \
        >"$root/etc/profile.d/rocm-rdna1-57.sh"
cp "$root/etc/profile.d/rocm-rdna1-57.sh" "$tmp/rocm-before.sh"
run 0 "$bin" --profile install "$name" --root "$root"
script=$root/etc/profile.d/rdna1-doctor.sh
[ -f "$script" ] || no "install: no $script"
head -1 "$script" | grep -q "from the profile '$name'" || no "install: header does not name the profile"
cmp -s "$root/etc/profile.d/rocm-rdna1-57.sh" "$tmp/rocm-before.sh" || no "install changed another file without --disable-conflicts"
grep -q "conflicting line kept: /etc/profile.d/rocm-rdna1-57.sh:1" <<<"$out" || no "install did not name the conflicting line: $out"
id=$(sed -n 's/.*(journal \([^;]*\);.*/\1/p' <<<"$out")
[ -n "$id" ] && [ -f "$root/var/lib/rdna1-doctor/journal/$id/plan.json" ] || no "install: no journal run '$id'"
grep -q '"install-profile"' "$root/var/lib/rdna1-doctor/journal/$id/plan.json" || no "journal plan lacks install-profile"
# sh, run inside the temp root with a clean environment, sees exactly the profile
want=$("$bin" --profile show "$name" --root "$root" --json | jq_py '
for e in d["profile"]["env"]: print(e["name"] + "=" + e["value"].replace("${HOME}", "/home/tester"))' | sort)
got=$(cd "$root" && env -i HOME=/home/tester PATH=/usr/bin:/bin sh -c '. ./etc/profile.d/rdna1-doctor.sh; env' |
        grep -v -e '^PWD=' -e '^HOME=' -e '^PATH=' -e '^SHLVL=' -e '^_=' | sort)
[ "$want" = "$got" ] || no "sh reads the installed script differently: want [$want] got [$got]"
# the audit parser (diff) sees the profile's values now (the override elsewhere is still 'extra')
"$bin" --profile diff "$name" --root "$root" --json | jq_py '
v = {x["name"]: x for x in d["variables"]}
for n in ("MIOPEN_FIND_MODE", "MIOPEN_USER_DB_PATH", "MIOPEN_CUSTOM_CACHE_DIR"):
    assert v[n]["status"] == "same" and v[n]["path"] == "/etc/profile.d/rdna1-doctor.sh", v[n]
assert v["HSA_OVERRIDE_GFX_VERSION"]["status"] == "extra" and v["HSA_OVERRIDE_GFX_VERSION"]["finding"] == "env.override-gfx", v
' || no "diff after install"

# --- --disable-conflicts comments out the conflicting lines (and only those), journaled
run 0 "$bin" --profile install "$name" --root "$root" --disable-conflicts
grep -q '^# disabled by rdna1-doctor --profile install: export HSA_OVERRIDE_GFX_VERSION=10.3.0$' \
        "$root/etc/profile.d/rocm-rdna1-57.sh" || no "override line not disabled"
grep -q '^# disabled by rdna1-doctor --profile install: export MIOPEN_FIND_ENFORCE=3$' \
        "$root/etc/profile.d/rocm-rdna1-57.sh" || no "FIND_ENFORCE line not disabled"
grep -q '^export OTHER=1$' "$root/etc/profile.d/rocm-rdna1-57.sh" || no "an unrelated line was disabled"
id2=$(sed -n 's/.*(journal \([^;]*\);.*/\1/p' <<<"$out")
ls "$root/var/lib/rdna1-doctor/journal/$id2/backups/" | grep -q . || no "no backups in journal $id2"
cat "$root"/var/lib/rdna1-doctor/journal/"$id2"/backups/* | grep -q '^export HSA_OVERRIDE_GFX_VERSION=10.3.0$' ||
        no "the journal's backups lack the original line"
run 0 "$bin" --profile diff "$name" --root "$root"
# install --json: one document naming the journal run
id3=$("$bin" --profile install "$name" --root "$root" --json | jq_py '
assert d["schema"] == "rdna1-doctor/profiles/1" and d["command"] == "install", d
assert d["path"] == "/etc/profile.d/rdna1-doctor.sh" and d["journal"] and d["disabled"] == [], d
print(d["journal"])
') || no "install --json"
# --demo: install works on a fresh private copy under --state-dir, never the installed demo
run 0 "$bin" --profile install "$name" --demo --state-dir "$tmp/demo-state"
[ -e "$tmp/demo-state/demo/root/etc/profile.d/rdna1-doctor.sh" ] || no "install --demo did not write the demo's copy"
[ ! -e "$RDNA1_DOCTOR_DATADIR/demo/etc/profile.d/rdna1-doctor.sh" ] || no "install --demo wrote the installed demo"
# --rollback undoes the installs, newest first: the root is as before
for run_id in "$id3" "$id2" "$id"; do
        run 0 "$bin" --rollback "$run_id" --root "$root" --yes
done
[ ! -e "$script" ] || no "rollback left $script"
cmp -s "$root/etc/profile.d/rocm-rdna1-57.sh" "$tmp/rocm-before.sh" || no "rollback did not restore rocm-rdna1-57.sh"

# --- several GPUs: the RDNA1 card is isolated, --device picks another
if python3 "$src/tests/gen-root.py" --standin --no-devnodes "$src/tests/scenarios/igpu.ini" "$tmp/igpu" >"$tmp/gen.log" 2>&1; then
        "$bin" --profile show gfx1010-native --root "$tmp/igpu" --json | jq_py '
e = {x["name"]: x["value"] for x in d["profile"]["env"]}
assert e == {"ROCR_VISIBLE_DEVICES": "0"}, e
assert [t["gfx_target"] for t in d["targets"]] == ["gfx1010"], d["targets"]
' || no "igpu: ROCR_VISIBLE_DEVICES"
        run 2 "$bin" --profile validate "$seed" --root "$tmp/igpu"
        grep -q ":4: critical: HSA_OVERRIDE_GFX_VERSION: env.override-gfx on gfx1010 at 0000:03:00.0 (also on gfx1036)" <<<"$out" ||
                no "igpu validate: $out"
        run 1 "$bin" --profile validate "$seed" --root "$tmp/igpu" --device 0000:10:00.0
        grep -q ":4: warning: HSA_OVERRIDE_GFX_VERSION: env.override-gfx on gfx1036 at 0000:10:00.0" <<<"$out" ||
                no "igpu --device validate: $out"
        run 64 "$bin" --profile validate "$seed" --root "$tmp/igpu" --device 0000:99:00.0
        # the isolating profile is judged for its own GPU only, and installs with the isolation
        run 0 "$bin" --profile validate "$src/profiles/gfx1010-native.ini" --root "$tmp/igpu"
        run 1 "$bin" --profile validate "$src/profiles/gfx1010-native.ini" --root "$tmp/igpu" --device 0000:10:00.0
        mkdir -p "$tmp/igpu/etc/profile.d"
        run 0 "$bin" --profile install gfx1010-native --root "$tmp/igpu"
        got=$(cd "$tmp/igpu" && env -i PATH=/usr/bin:/bin sh -c '. ./etc/profile.d/rdna1-doctor.sh; printf %s "$ROCR_VISIBLE_DEVICES"')
        [ "$got" = 0 ] || no "igpu install: ROCR_VISIBLE_DEVICES is '$got'"
else
        cat "$tmp/gen.log"
        no "gen-root.py igpu failed"
fi

[ "$fails" -eq 0 ] && echo "ok profile"
exit $((fails > 0))
