#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The scan cache never hides a change: a packaged DKMS source file edited
# after a cached check is reported on the next one, and a module replaced
# by a patched build is found again.
set -u
bin=$1
src=${RDNA1_TEST_SRCDIR:?}
tmp=$(mktemp -d /tmp/rdna1-cache.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
ids() { python3 -c 'import json,sys; print(" ".join(f["id"] for f in json.load(sys.stdin)["findings"]))'; }
python3 "$src/tests/gen-root.py" --cache "$src/tests/.cache/gen" "$src/tests/scenarios/dkms-clean.ini" "$tmp/root" >/dev/null ||
        { echo "FAIL: gen-root"; exit 1; }
mkdir "$tmp/st"
first=$("$bin" --root "$tmp/root" --state-dir "$tmp/st" --json | ids)
case " $first " in *" kernel.source-modified "*) echo "FAIL: clean root reported modified"; fails=$((fails + 1)) ;; esac
[ -s "$tmp/st/ko-scan.cache" ] || { echo "FAIL: no cache written"; fails=$((fails + 1)); }
# same size, new content: only ctime/mtime change
f=$(find "$tmp/root/usr/src" -name Makefile | head -1)
sed -i 's/obj-m/obj_m/' "$f"
second=$("$bin" --root "$tmp/root" --state-dir "$tmp/st" --json | ids)
case " $second " in *" kernel.source-modified "*) ;; *) echo "FAIL: edit after a cached check not reported ($second)"; fails=$((fails + 1)) ;; esac
# the patched build of the seed machine copied over the clean installed module
python3 "$src/tests/gen-root.py" --cache "$src/tests/.cache/gen" "$src/tests/scenarios/seed-installed.ini" "$tmp/patched" >/dev/null
k=lib/modules/6.8.0-48-generic/updates/dkms/amdgpu.ko.zst
cp "$tmp/patched/$k" "$tmp/root/$k"
third=$("$bin" --root "$tmp/root" --state-dir "$tmp/st" --json | ids)
case " $third " in *" kernel.patched-installed "*) ;; *) echo "FAIL: replaced module not rescanned ($third)"; fails=$((fails + 1)) ;; esac
[ "$fails" -eq 0 ] && echo "ok cache"
exit $((fails > 0))
