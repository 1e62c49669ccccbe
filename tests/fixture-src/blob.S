/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Size padding for fixture modules (gen-root.py --module-size): pseudo-random,
 * half-compressible bytes, so compressed modules stay realistically large.
 */
        .section .rodata.fixture_blob, "a"
        .balign 64
        .globl fixture_blob
fixture_blob:
        .incbin FIXTURE_BLOB
        .size fixture_blob, . - fixture_blob
        .section .note.GNU-stack, "", @progbits
