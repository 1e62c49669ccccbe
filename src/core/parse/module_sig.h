/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Who signed a kernel module. A signed module ends in
 *   <PKCS#7 SignedData> struct module_signature "~Module signature appended~\n"
 * (struct module_signature: algo, hash, id_type, signer_len, key_id_len,
 * pad[3], be32 sig_len; id_type 2 = PKCS#7). The PKCS#7 SignerInfo names
 * its certificate by issuer and serial number, so the module was signed by
 * a certificate when that certificate's issuer Name and serialNumber (DER)
 * both occur in the signature block.
 */

#include <stddef.h>
#include <stdint.h>

#define MODULE_SIG_STRING "~Module signature appended~\n"

/*
 * The issuer Name and serialNumber of an X.509 certificate (DER), as
 * pointers into der. Returns 0, or -EBADMSG when it is not a certificate.
 */
int x509_issuer_serial(const uint8_t *der, size_t len, const uint8_t **ret_issuer, size_t *ret_issuer_len,
                       const uint8_t **ret_serial, size_t *ret_serial_len);

/*
 * Does the module open at fd (uncompressed) name the certificate as its
 * signer: its appended PKCS#7 block holds the certificate's issuer and
 * serial number. The signature itself is NOT verified (the kernel does
 * that when it loads the module); this tells "built and signed with this
 * key" from "another key" or "unsigned" for the plan, nothing more.
 * Returns 1 names it, 0 names another key, -ENODATA unsigned,
 * -EMEDIUMTYPE compressed (not checked here), -EBADMSG malformed.
 */
int module_signed_by(int fd, const uint8_t *cert, size_t cert_len);

/*
 * Same for a module that may be compressed (.ko.xz, .ko.zst, .ko.gz, as
 * Ubuntu ships them): the running system's xz/zstd/gzip decompresses it
 * into memory (through spawn_cmd, never a shell) and the result is
 * checked. fd is open on the file (host path for the decompressor).
 * Returns as module_signed_by(), or -EBADMSG when it does not decompress.
 */
int module_signed_by_path(int fd, const char *host_path, const uint8_t *cert, size_t cert_len);
