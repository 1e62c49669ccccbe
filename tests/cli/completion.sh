#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The generated bash completion, --help and the option parser against the
# command table (src/cli/options.c, listed by gen-completion --options):
# --help has a row for every option of the table and names no other; the
# completion offers every option and nothing else; after each command's
# words it offers exactly the options the parser accepts with that command.
# Run through bash's own completion machinery (COMP_WORDS, the function,
# COMPREPLY). The parser is asked with a stray operand at the end, so every
# call stops at a usage error (64) before anything runs.
set -u
bin=$1 comp=$2 gen=$3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# shellcheck source=/dev/null
. "$comp"
complete_words() { # WORD... (the last one is being completed)
        COMP_WORDS=(rdna1-doctor "$@")
        COMP_CWORD=$#
        COMPREPLY=()
        _rdna1_doctor
        printf '%s\n' "${COMPREPLY[@]}"
}
table=$("$gen" --options) || { echo "FAIL: gen-completion --options"; exit 1; }
names=$(cut -d' ' -f1 <<<"$table" | sort)
[ "$(wc -l <<<"$names")" -ge 30 ] || fail "the table lists only: $names"
help=$("$bin" --help)

# --help: a row for every option, and no option the table does not have
for opt in $names; do
        grep -qE -- "^  $opt( |,|$)" <<<"$help" || fail "$opt has no row in --help"
done
for opt in $(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do
        grep -qx -- "$opt" <<<"$names" || fail "--help names $opt, which is not in the table"
done

# the completion: exactly the table's options (and the word exec first)
offered=$(complete_words -- | sort)
[ "$offered" = "$names" ] || fail "completing '--' offers $(diff <(echo "$names") <(echo "$offered") | grep '^[<>]' | tr '\n' ' ')"
complete_words "" | grep -qx exec || fail "'exec' is not offered as the first word"
complete_words --recover "" | grep -qx exec && fail "'exec' offered after --recover"

# each command: offered <=> accepted by the parser
tmp=$(mktemp -d /tmp/rdna1-comp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
value_for() { # OPTION METAVAR: a value the parser takes
        case $2 in
        SECONDS) echo 5 ;;
        *"|"*) echo "${2%%|*}" ;;
        DIR) echo "$tmp" ;;
        *) echo x ;;
        esac
}
modes=("--check" "--recover" "--recover --resume" "--rollback ID" "--history" "--profile list"
       "--profile show NAME" "--profile install NAME" "exec --profile NAME" "--selftest" "--bundle FILE"
       "--list-fault-points")
checked=0
for mode in "${modes[@]}"; do
        read -ra words <<<"$mode"
        offered=$(complete_words "${words[@]}" -- | sort)
        while read -r opt meta; do
                [[ " $mode " == *" $opt "* ]] && continue # the command's own word
                # --selftest makes --profile NAME its option: "--profile list --selftest" is the self-test
                [[ $mode == "--profile "* && $opt == --selftest ]] && continue
                args=("$opt")
                [ -n "$meta" ] && args+=("$(value_for "$opt" "$meta")")
                out=$("$bin" "${words[@]}" "${args[@]}" --root "$tmp" --state-dir "$tmp" stray-operand 2>&1)
                rc=$?
                case $opt in
                --help | --version) [ "$rc" -eq 0 ] || fail "$mode $opt: exit $rc" ;;
                *) [ "$rc" -eq 64 ] || { fail "$mode ${args[*]}: exit $rc, want 64 (stray operand): $out"; continue; } ;;
                esac
                if [[ $out =~ goes\ with|separate\ commands|does\ not\ go\ with|cannot\ be\ combined|replaces ]]; then
                        accepted=no
                else
                        accepted=yes
                fi
                if [[ $'\n'$offered$'\n' == *$'\n'$opt$'\n'* ]]; then
                        [ $accepted = yes ] || fail "after '$mode' the completion offers $opt, the parser refuses it: $out"
                else
                        [ $accepted = no ] || fail "after '$mode' the parser accepts $opt, the completion does not offer it"
                fi
                checked=$((checked + 1))
        done <<<"$table"
done
[ "$checked" -ge 300 ] || fail "only $checked command/option pairs checked"
[ -z "$(ls -A "$tmp")" ] || fail "a usage error left files in the root: $(ls -A "$tmp")"

# arguments
complete_words --selftest --backend "" | sort | tr '\n' ' ' | grep -qx 'cpu hip ' || fail "--backend values"
complete_words --profile "" | sort | tr '\n' ' ' | grep -qx 'diff install list show validate ' ||
        fail "--profile subcommands"
complete_words --sy | grep -qx -- --system-only || fail "prefix completion"
mkdir "$tmp/subdir" && touch "$tmp/file"
[ "$(complete_words --root "$tmp/")" = "$tmp/subdir" ] || fail "--root completes directories only"
[ "$(complete_words --bundle "$tmp/f")" = "$tmp/file" ] || fail "--bundle completes files"
mkdir -p "$tmp/data/profiles" && touch "$tmp/data/profiles/diagnostic.ini" "$tmp/data/profiles/rules.ini"
[ "$(RDNA1_DOCTOR_DATADIR=$tmp/data complete_words --profile install "")" = diagnostic ] ||
        fail "--profile install NAME completes the profiles of the data directory"
[ "$(complete_words exec --profile x -- pytho | grep -c '^python')" -ge 1 ] || fail "exec: the command after --"
[ "$fails" -eq 0 ] && echo "ok completion ($checked command/option pairs)"
exit $((fails > 0))
