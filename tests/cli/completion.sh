#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion offers every option --help lists (run through bash's
# own completion machinery: COMP_WORDS, the function, COMPREPLY), and
# completes the arguments it promises to.
set -u
bin=$1
comp=${RDNA1_TEST_SRCDIR:-$(dirname "$0")/../..}/packaging/bash-completion/rdna1-doctor
fails=0
# shellcheck source=/dev/null
. "$comp"
complete_words() { # WORD... (the last one is being completed)
        COMP_WORDS=(rdna1-doctor "$@")
        COMP_CWORD=$#
        COMPREPLY=()
        _rdna1_doctor
        printf '%s\n' "${COMPREPLY[@]}"
}
offered=$(complete_words --)
[ -n "$offered" ] || { echo "FAIL: nothing offered for --"; fails=$((fails + 1)); }
for opt in $("$bin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -qx -- "$opt" <<<"$offered" || { echo "FAIL: $opt is in --help but not completed"; fails=$((fails + 1)); }
done
complete_words --backend "" | sort | tr '\n' ' ' | grep -qx 'cpu hip ' || { echo "FAIL: --backend values"; fails=$((fails + 1)); }
complete_words --profile "" | grep -qx list || { echo "FAIL: --profile subcommands"; fails=$((fails + 1)); }
complete_words --sy | grep -qx -- --system-only || { echo "FAIL: prefix completion"; fails=$((fails + 1)); }
d=$(mktemp -d /tmp/rdna1-comp.XXXXXX)
mkdir "$d/subdir" && touch "$d/file"
[ "$(complete_words --root "$d/")" = "$d/subdir" ] || { echo "FAIL: --root completes directories only"; fails=$((fails + 1)); }
rm -rf "$d"
[ "$fails" -eq 0 ] && echo "ok completion"
exit $((fails > 0))
