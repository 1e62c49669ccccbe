#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `exec --profile NAME -- CMD`: the child prints its environment and
# credentials. Only the kept variables and the profile's reach it; run as
# root with a simulated SUDO_UID (or PKEXEC_UID, DOAS_USER) it runs as that
# user with the groups of the root's /etc/group; exit status passes through,
# 127/126 when CMD cannot start. Needs root (to drop privileges).
set -u
bin=$1
fails=0
if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: exec's privilege drop needs root"
        [ "${CI:-}" = true ] && exit 1
        exit 77
fi
tmp=$(mktemp -d /tmp/rdna1-exec.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
no() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A root whose accounts say who 65534 is: home /home/nobody, also in group 4242.
root=$tmp/root
mkdir -p "$root/etc" "$root/usr"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\nrender:x:4242:nobody\n' >"$root/etc/group"

# The child: credentials and environment as JSON, written by python3 (no shell involved).
probe='import json,os; print(json.dumps({"res_uid": os.getresuid(), "res_gid": os.getresgid(), "groups": sorted(os.getgroups()), "env": dict(os.environ)}))'
clean() { env -i RDNA1_DOCTOR_DATADIR="${RDNA1_DOCTOR_DATADIR:-}" PATH=/usr/bin:/bin HOME=/root USER=root TERM=dumb LANG=C.UTF-8 SECRET=leak LD_PRELOAD= HSA_OVERRIDE_GFX_VERSION=10.3.0 "$@"; }

out=$(clean SUDO_UID=65534 SUDO_GID=65534 "$bin" exec --profile miopen-rocm57-conservative --root "$root" -- python3 -c "$probe")
rc=$?
[ "$rc" -eq 0 ] || no "exec under SUDO_UID: exit $rc: $out"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["res_uid"] == [65534] * 3, d["res_uid"]
assert d["res_gid"] == [65534] * 3, d["res_gid"]
assert d["groups"] == [4242, 65534], d["groups"]
env = d["env"]
want = {"PATH": "/usr/bin:/bin", "HOME": "/home/nobody", "USER": "nobody", "TERM": "dumb", "LANG": "C.UTF-8",
        "MIOPEN_FIND_MODE": "FAST",
        "MIOPEN_USER_DB_PATH": "/home/nobody/.config/miopen-rdna1-doctor/gfx1010-rocm5.7",
        "MIOPEN_CUSTOM_CACHE_DIR": "/home/nobody/.cache/miopen-rdna1-doctor/gfx1010-rocm5.7"}
assert env == want, env
' "$out" || no "exec under SUDO_UID=65534: $out"

# PKEXEC_UID and DOAS_USER name the same user
for v in PKEXEC_UID=65534 DOAS_USER=nobody; do
        out=$(clean "$v" "$bin" exec --profile diagnostic --root "$root" -- python3 -c "$probe")
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["res_uid"] == [65534]*3 and "SECRET" not in d["env"] and "HSA_OVERRIDE_GFX_VERSION" not in d["env"] and d["env"]["AMD_LOG_LEVEL"] == "3", d' "$out" ||
                no "exec under $v: $out"
done

# As root without sudo & co.: refused unless --as-root
out=$(clean "$bin" exec --profile diagnostic --root "$root" -- python3 -c "$probe" 2>&1)
rc=$?
[ "$rc" -eq 126 ] && grep -q -- --as-root <<<"$out" || no "root without --as-root: exit $rc: $out"
out=$(clean "$bin" exec --profile diagnostic --root "$root" --as-root -- python3 -c "$probe")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["res_uid"] == [0]*3 and d["env"]["HOME"] == "/root", d' "$out" ||
        no "--as-root: $out"
# an invoking user the root does not know is refused, not guessed
out=$(clean SUDO_UID=4711 "$bin" exec --profile diagnostic --root "$root" -- true 2>&1)
rc=$?
[ "$rc" -eq 126 ] || no "unknown SUDO_UID: exit $rc: $out"

# exit status: passed through; 127 not found; 126 not executable (no shell fallback)
clean "$bin" exec --profile diagnostic --root "$root" --as-root -- python3 -c 'import sys; sys.exit(42)'
rc=$?
[ "$rc" -eq 42 ] || no "exit status not passed through: $rc"
clean "$bin" exec --profile diagnostic --root "$root" --as-root -- no-such-command-rdna1 2>/dev/null
rc=$?
[ "$rc" -eq 127 ] || no "not found: exit $rc, want 127"
printf 'echo ran\n' >"$tmp/noshebang"
chmod 755 "$tmp/noshebang"
out=$(clean "$bin" exec --profile diagnostic --root "$root" --as-root -- "$tmp/noshebang" 2>&1)
rc=$?
[ "$rc" -eq 126 ] && ! grep -q ran <<<"$out" || no "a script without #! was run (exit $rc): $out"
printf 'data\n' >"$tmp/notexec"
clean "$bin" exec --profile diagnostic --root "$root" --as-root -- "$tmp/notexec" 2>/dev/null
rc=$?
[ "$rc" -eq 126 ] || no "not executable: exit $rc, want 126"
# CMD's own options are not ours
out=$(clean "$bin" exec --profile diagnostic --root "$root" --as-root -- python3 -c 'import sys; print(sys.argv[1:])' --json --root x)
[ "$out" = "['--json', '--root', 'x']" ] || no "CMD's arguments were touched: $out"
# a profile the rules call critical here (the gfx1030 override on gfx1010) never runs anything
sed 's/^AMD_LOG_LEVEL = 3$/AMD_LOG_LEVEL = 3\nHSA_OVERRIDE_GFX_VERSION = 10.3.0/' \
        "$RDNA1_DOCTOR_DATADIR/profiles/diagnostic.ini" >"$tmp/poison.ini"
grep -q HSA_OVERRIDE "$tmp/poison.ini" || no "could not make the poisoned profile"
clean "$bin" exec --profile "$tmp/poison.ini" --root "$root" --as-root -- touch "$tmp/ran" 2>"$tmp/poison.err"
rc=$?
[ "$rc" -eq 126 ] || no "poisoned profile: exit $rc, want 126"
[ ! -e "$tmp/ran" ] || no "poisoned profile: the command ran"
grep -q 'HSA_OVERRIDE_GFX_VERSION' "$tmp/poison.err" || no "poisoned profile: the refusal does not name the variable"
# usage
clean "$bin" exec --profile diagnostic -- 2>/dev/null
[ $? -eq 64 ] || no "exec without a command is not a usage error"
clean "$bin" exec --profile diagnostic true 2>/dev/null
[ $? -eq 64 ] || no "exec without -- is not a usage error"

[ "$fails" -eq 0 ] && echo "ok profile-exec"
exit $((fails > 0))
