#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rdna1-doctor(8) against the binary: every option --help lists, every exit
# code --help names, the files the package installs, examples; and it
# renders without warnings.
set -u
bin=$1
top=${RDNA1_TEST_SRCDIR:-$(dirname "$0")/../..}
man=$top/man/rdna1-doctor.8
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# The page as a reader sees it (troff escapes resolved), one line.
# groff itself, plain text (grotty -c: no SGR escapes, which man-db 2.13 of Debian 13 emits; no bold or
# underline), lines 1000 ens long and no hyphenation (man-db 2.13 ignores MANWIDTH off a terminal).
text=$(groff -k -t -man -Tutf8 -rLL=1000n -rHY=0 -P-cbou "$man" 2>/dev/null | col -b 2>/dev/null | sed 's/‐/-/g; s/−/-/g')
[ -n "$text" ] || { echo "FAIL: man could not render $man"; exit 1; }
for opt in $("$bin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$opt\b" <<<"$text" || fail "$opt is in --help but not in the man page"
done
# exit codes: every number --help names as an exit code is in EXIT STATUS
exits=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<<"$text")
# (the "(exit ...)" parts of the modes' lines and the "Exit codes" paragraph)
for code in $("$bin" --help | tr '\n' ' ' | sed 's/rdna1-doctor([0-9])//g' |
              grep -oE '\(exit [^)]*\)|Exit codes.*$' | grep -oE '\b[0-9]+\b' | sort -un); do
        grep -qE "(^|[^0-9])$code([^0-9]|$)" <<<"$exits" || fail "exit code $code not in EXIT STATUS"
done
for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES EXAMPLES "PACKAGE INTEGRATION"; do
        grep -q "^$section" <<<"$text" || fail "no $section section"
done
for f in /usr/share/rdna1-doctor/signatures/ /usr/share/rdna1-doctor/demo/ /usr/libexec/rdna1-doctor/rdna1-selftest \
         /usr/libexec/rdna1-doctor/verify-boot /etc/kernel/postinst.d/zz-rdna1-doctor \
         /lib/recovery-mode/options/rdna1-doctor /var/lib/rdna1-doctor/verify-pending \
         /usr/share/bash-completion/completions/rdna1-doctor; do
        grep -qF -- "$f" <<<"$(sed -n '/^FILES/,/^EXAMPLES/p' <<<"$text")" || fail "FILES lacks $f"
done
warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$man" 2>&1 >/dev/null)
[ -z "$warn" ] || fail "man --warnings: $warn"
[ "$fails" -eq 0 ] && echo "ok manpage"
exit $((fails > 0))
