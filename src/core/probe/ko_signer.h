/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Who signed a kernel module, as modinfo(8) says it: libkmod reads the
 * appended signature (its PKCS#7 through libcrypto) and gives the signer's
 * name, the key id and the hash algorithm. For the diagnostic bundle; the
 * recovery's own signer check is module_sig.h (against a certificate).
 */

#include "root/sysroot.h"

typedef struct ko_signature {
        char *signer;           /* "Debian Secure Boot CA"; NULL when libkmod names none */
        char *key;              /* key id, hex with colons as modinfo prints it */
        char *hash;             /* "sha256" */
} ko_signature;

void ko_signature_clear(ko_signature *s);

/*
 * Read the signature of the module at path inside the root (opened through
 * the root, never by following a link out; compressed modules too, as far
 * as libkmod can decompress them). Returns 1 and fills *ret, 0 when libkmod
 * finds no signature, < 0 errno.
 */
int ko_signature_read(const sysroot *sr, const char *path, ko_signature *ret);
