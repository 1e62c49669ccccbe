/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "parse/module_sig.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/spawn_cmd.h"
#include "base/util.h"

#define SIG_BLOCK_MAX (64 * 1024)

/* One DER TLV at p (len bytes left): tag, header size and content length. */
static int der_tlv(const uint8_t *p, size_t len, uint8_t *ret_tag, size_t *ret_hdr, size_t *ret_len)
{
        size_t n, l = 0, hdr;

        if (len < 2)
                return -EBADMSG;
        if (p[1] < 0x80) {
                l = p[1];
                hdr = 2;
        } else {
                n = p[1] & 0x7f;
                if (n == 0 || n > 4 || len < 2 + n)
                        return -EBADMSG;
                for (size_t i = 0; i < n; i++)
                        l = l << 8 | p[2 + i];
                hdr = 2 + n;
        }
        if (l > len - hdr)
                return -EBADMSG;
        *ret_tag = p[0];
        *ret_hdr = hdr;
        *ret_len = l;
        return 0;
}

int x509_issuer_serial(const uint8_t *der, size_t len, const uint8_t **ret_issuer, size_t *ret_issuer_len,
                       const uint8_t **ret_serial, size_t *ret_serial_len)
{
        const uint8_t *p = der, *serial;
        size_t hdr, l, left = len, serial_len;
        uint8_t tag;

        /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, sigAlg, issuer, ... } } */
        if (der_tlv(p, left, &tag, &hdr, &l) < 0 || tag != 0x30)
                return -EBADMSG;
        p += hdr;
        left = l;
        if (der_tlv(p, left, &tag, &hdr, &l) < 0 || tag != 0x30)
                return -EBADMSG;
        p += hdr;
        left = l;
        if (der_tlv(p, left, &tag, &hdr, &l) < 0)
                return -EBADMSG;
        if (tag == 0xa0) { /* explicit version */
                p += hdr + l;
                left -= hdr + l;
                if (der_tlv(p, left, &tag, &hdr, &l) < 0)
                        return -EBADMSG;
        }
        if (tag != 0x02)
                return -EBADMSG;
        serial = p;
        serial_len = hdr + l;
        p += hdr + l;
        left -= hdr + l;
        /* signature AlgorithmIdentifier */
        if (der_tlv(p, left, &tag, &hdr, &l) < 0 || tag != 0x30)
                return -EBADMSG;
        p += hdr + l;
        left -= hdr + l;
        /* issuer Name */
        if (der_tlv(p, left, &tag, &hdr, &l) < 0 || tag != 0x30)
                return -EBADMSG;
        *ret_issuer = p;
        *ret_issuer_len = hdr + l;
        *ret_serial = serial;
        *ret_serial_len = serial_len;
        return 0;
}

static bool contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t len)
{
        return len > 0 && hay_len >= len && memmem(hay, hay_len, needle, len) != NULL;
}

int module_signed_by(int fd, const uint8_t *cert, size_t cert_len)
{
        static const char magic[] = MODULE_SIG_STRING;
        const size_t mlen = sizeof(magic) - 1, info_len = 12;
        _cleanup_free_ uint8_t *block = NULL;
        const uint8_t *issuer, *serial;
        size_t issuer_len, serial_len;
        uint8_t tail[64], head[6];
        uint32_t sig_len;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
                return -EBADMSG;
        if (memcmp(head, "\177ELF", 4) != 0)
                return -EMEDIUMTYPE;
        if ((size_t)st.st_size < mlen + info_len)
                return -ENODATA;
        if (pread(fd, tail, mlen + info_len, st.st_size - (off_t)(mlen + info_len)) != (ssize_t)(mlen + info_len))
                return -errno ? -errno : -EIO;
        if (memcmp(tail + info_len, magic, mlen) != 0)
                return -ENODATA;
        if (tail[2] != 2) /* PKEY_ID_PKCS7 */
                return -EBADMSG;
        sig_len = (uint32_t)tail[8] << 24 | (uint32_t)tail[9] << 16 | (uint32_t)tail[10] << 8 | tail[11];
        if (sig_len == 0 || sig_len > SIG_BLOCK_MAX || sig_len > (uint64_t)st.st_size - mlen - info_len)
                return -EBADMSG;
        block = malloc(sig_len);
        if (!block)
                return -ENOMEM;
        if (pread(fd, block, sig_len, st.st_size - (off_t)(mlen + info_len + sig_len)) != (ssize_t)sig_len)
                return -EIO;
        if (x509_issuer_serial(cert, cert_len, &issuer, &issuer_len, &serial, &serial_len) < 0)
                return -EBADMSG;
        return contains(block, sig_len, issuer, issuer_len) && contains(block, sig_len, serial, serial_len);
}

int module_signed_by_path(int fd, const char *host_path, const uint8_t *cert, size_t cert_len)
{
        static const struct {
                const uint8_t magic[6];
                size_t len;
                const char *tool;
        } formats[] = {
                {{0xfd, '7', 'z', 'X', 'Z', 0x00}, 6, "/usr/bin/xz"},
                {{0x28, 0xb5, 0x2f, 0xfd}, 4, "/usr/bin/zstd"},
                {{0x1f, 0x8b}, 2, "/bin/gzip"},
        };
        _cleanup_close_ int out = -EBADF;
        uint8_t head[6] = {0};
        spawn_result res;
        int r;

        r = module_signed_by(fd, cert, cert_len);
        if (r != -EMEDIUMTYPE)
                return r;
        if (pread(fd, head, sizeof(head), 0) < 2)
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                const char *argv[] = {formats[i].tool, "-d", "-c", "-q", host_path, NULL};
                spawn_options o = {.argv = argv, .timeout_ms = 120000};

                if (memcmp(head, formats[i].magic, formats[i].len) != 0)
                        continue;
                /* stdout and stderr share the fd: -q keeps the tool quiet, a failure is its exit status. */
                out = memfd_create("rdna1-doctor-ko", MFD_CLOEXEC);
                if (out < 0)
                        return -errno;
                o.output_fd = out;
                r = spawn_run(&o, &res);
                if (r < 0)
                        return r;
                if (!spawn_result_ok(&res))
                        return -EBADMSG;
                r = module_signed_by(out, cert, cert_len);
                return r == -EMEDIUMTYPE ? -EBADMSG : r;
        }
        return -EMEDIUMTYPE;
}
