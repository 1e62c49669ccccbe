/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secure Boot state and dkms's signing key, read from the root's efivars:
 * SecureBoot-<global guid> (4 bytes of attributes, then one byte), and
 * MokListRT (shim's mirror of the MOK list: a sequence of
 * EFI_SIGNATURE_LISTs) either as an efivar (attributes first) or from
 * /sys/firmware/efi/mok-variables/MokListRT (payload only). Newer shims
 * split a long list into MokListRT, MokListRT1, MokListRT2, ...
 */
#include "recover/preflight.h"

#include <dirent.h>

#include "base/spawn_cmd.h"
#include "base/util.h"
#include "probe/dkms.h"

#define EFIVARS "/sys/firmware/efi/efivars"
#define MOK_VARIABLES "/sys/firmware/efi/mok-variables"
#define CERT_MAX (64 * 1024)
#define MOKLIST_MAX (1024 * 1024)
#define MOKLIST_PARTS 16

static const char *const sb_table[_SECURE_BOOT_MAX] = {
        [SECURE_BOOT_ABSENT] = "absent",
        [SECURE_BOOT_OFF] = "off",
        [SECURE_BOOT_ON] = "on",
        [SECURE_BOOT_UNKNOWN] = "unknown",
};

const char *secure_boot_to_string(secure_boot s)
{
        return s >= 0 && s < _SECURE_BOOT_MAX ? sb_table[s] : NULL;
}

/* EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072, as stored (mixed endian). */
static const uint8_t cert_x509_guid[16] = {
        0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
        0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72,
};

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int efi_signature_lists_contain_x509(const uint8_t *buf, size_t len, const uint8_t *der, size_t der_len)
{
        size_t off = 0;

        /* typedef struct { EFI_GUID SignatureType; UINT32 SignatureListSize;
         * UINT32 SignatureHeaderSize; UINT32 SignatureSize; header; EFI_SIGNATURE_DATA[]; } */
        while (off < len) {
                const uint8_t *l = buf + off;
                uint32_t list_size, header_size, sig_size;
                size_t p, end;

                if (len - off < 28)
                        return -EBADMSG;
                list_size = le32(l + 16);
                header_size = le32(l + 20);
                sig_size = le32(l + 24);
                if (list_size < 28 || list_size > len - off || header_size > list_size - 28)
                        return -EBADMSG;
                end = off + list_size;
                p = off + 28 + header_size;
                if (sig_size < 16 || (end - p) % sig_size != 0)
                        return -EBADMSG;
                if (memcmp(l, cert_x509_guid, 16) == 0)
                        /* EFI_SIGNATURE_DATA: owner GUID, then the DER certificate. */
                        for (; p < end; p += sig_size)
                                if (sig_size - 16 == der_len && memcmp(buf + p + 16, der, der_len) == 0)
                                        return 1;
                off = end;
        }
        return 0;
}

/* dkms's certificate: mok_certificate= in framework.conf (and its .d), else the default. */
static int dkms_cert_path(const sysroot *sr, char **ret)
{
        _cleanup_free_ char *path = strdup(DKMS_MOK_CERT_DEFAULT);
        char **names = NULL;
        size_t n = 0;
        strv confs = {0};
        int r;

        if (!path)
                return -ENOMEM;
        r = strv_push_dup(&confs, "/etc/dkms/framework.conf");
        if (r >= 0 && sysroot_list_dir(sr, "/etc/dkms/framework.conf.d", 256, &names, &n, NULL) >= 0) {
                for (size_t i = 0; i < n && r >= 0; i++)
                        if (endswith(names[i], ".conf"))
                                r = strv_push(&confs, strdup_printf("/etc/dkms/framework.conf.d/%s", names[i]));
                strv_free_array(names);
        }
        for (size_t i = 0; r >= 0 && i < confs.n; i++) {
                _cleanup_free_ char *buf = NULL;
                dkms_conf_assign *a = NULL;
                size_t len, na = 0;

                if (sysroot_read_file(sr, confs.items[i], 256 * 1024, &buf, &len) < 0)
                        continue;
                if (dkms_conf_parse(buf, len, &a, &na) < 0)
                        continue;
                for (size_t k = 0; k < na; k++)
                        if (streq(a[k].name, "mok_certificate") && a[k].value[0] == '/') {
                                free(path);
                                path = strdup(a[k].value);
                                if (!path)
                                        r = -ENOMEM;
                        }
                dkms_conf_assign_free_array(a, na);
        }
        strv_clear(&confs);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(path);
        return 0;
}

/* MokListRT payload: the efivar (minus attributes) or the mok-variables file, parts concatenated. */
static int read_moklist(const sysroot *sr, uint8_t **ret, size_t *ret_len)
{
        _cleanup_free_ uint8_t *all = NULL;
        size_t total = 0;
        bool any = false;

        for (unsigned part = 0; part < MOKLIST_PARTS; part++) {
                _cleanup_free_ char *suffix = part ? strdup_printf("%u", part) : strdup("");
                _cleanup_free_ char *var = NULL, *raw = NULL, *buf = NULL;
                size_t len, skip = 0;
                uint8_t *grown;

                if (!suffix)
                        return -ENOMEM;
                var = strdup_printf(EFIVARS "/MokListRT%s-" EFI_SHIM_LOCK_GUID, suffix);
                raw = strdup_printf(MOK_VARIABLES "/MokListRT%s", suffix);
                if (!var || !raw)
                        return -ENOMEM;
                if (sysroot_read_file(sr, raw, MOKLIST_MAX, &buf, &len) >= 0)
                        skip = 0;
                else if (sysroot_read_file(sr, var, MOKLIST_MAX, &buf, &len) >= 0)
                        skip = 4; /* attributes */
                else
                        break;
                if (len < skip)
                        return -EBADMSG;
                grown = realloc(all, total + (len - skip) + 1);
                if (!grown)
                        return -ENOMEM;
                all = grown;
                memcpy(all + total, buf + skip, len - skip);
                total += len - skip;
                any = true;
        }
        if (!any)
                return -ENOENT;
        *ret = TAKE_PTR(all);
        *ret_len = total;
        return 0;
}

/* Run mokutil (argv[0]) and capture its output; -ENOENT when it is not installed. */
static int mokutil_capture(const char *const *argv, char **ret_out)
{
        spawn_options o = {.argv = argv, .timeout_ms = 30000};
        spawn_result res;

        if (access(argv[0], X_OK) < 0)
                return -ENOENT;
        return spawn_capture(&o, 64 * 1024, &res, ret_out);
}

/* mokutil, only for the running system: "SecureBoot enabled" / "disabled". */
static int mokutil_sb_state(secure_boot *ret)
{
        static const char *const argv[] = {"/usr/bin/mokutil", "--sb-state", NULL};
        _cleanup_free_ char *out = NULL;
        int r;

        r = mokutil_capture(argv, &out);
        if (r < 0)
                return r;
        if (strstr(out, "SecureBoot enabled"))
                *ret = SECURE_BOOT_ON;
        else if (strstr(out, "SecureBoot disabled"))
                *ret = SECURE_BOOT_OFF;
        else if (strstr(out, "not supported"))
                *ret = SECURE_BOOT_ABSENT;
        else
                return -EBADMSG;
        return 0;
}

/* mokutil --test-key CERT: "... is already enrolled" or "... is not enrolled". */
static int mokutil_test_key(const char *cert_path)
{
        const char *argv[] = {"/usr/bin/mokutil", "--test-key", cert_path, NULL};
        _cleanup_free_ char *out = NULL;
        int r;

        r = mokutil_capture(argv, &out);
        if (r < 0)
                return r;
        if (strstr(out, "is already enrolled"))
                return 1;
        if (strstr(out, "is not enrolled"))
                return 0;
        return -EBADMSG;
}

int secure_boot_probe(const sysroot *sr, bool use_mokutil, secure_boot_state *ret)
{
        _cleanup_free_ char *buf = NULL, *cert_path = NULL, *detail = NULL;
        _cleanup_free_ uint8_t *moklist = NULL;
        secure_boot_state s = {.enrolled = -1};
        size_t len, mok_len;
        int r;

        r = sysroot_read_file(sr, EFIVARS "/SecureBoot-" EFI_GLOBAL_GUID, 4096, &buf, &len);
        if (r >= 0 && len == 5)
                s.state = buf[4] == 1 ? SECURE_BOOT_ON : SECURE_BOOT_OFF;
        else if (r == -ENOENT)
                s.state = SECURE_BOOT_ABSENT;
        else
                s.state = SECURE_BOOT_UNKNOWN;
        detail = strdup(r >= 0 && len == 5 ? "efivars" : r == -ENOENT ? "no SecureBoot variable" :
                        r >= 0 ? "SecureBoot variable has an unexpected size" : "SecureBoot variable unreadable");
        if (!detail)
                return -ENOMEM;
        if (s.state == SECURE_BOOT_UNKNOWN && use_mokutil) {
                secure_boot m;

                if (mokutil_sb_state(&m) >= 0) {
                        s.state = m;
                        free(detail);
                        detail = strdup("mokutil --sb-state");
                        if (!detail)
                                return -ENOMEM;
                }
        }

        r = dkms_cert_path(sr, &cert_path);
        if (r < 0)
                return r;
        free(buf);
        buf = NULL;
        if (sysroot_read_file(sr, cert_path, CERT_MAX, &buf, &len) >= 0 && len > 0) {
                s.cert = (uint8_t *)TAKE_PTR(buf);
                s.cert_len = len;
        }

        if (s.cert) {
                r = read_moklist(sr, &moklist, &mok_len);
                if (r >= 0)
                        s.enrolled = efi_signature_lists_contain_x509(moklist, mok_len, s.cert, s.cert_len) > 0;
                else if (r == -ENOMEM)
                        return r;
                else if (use_mokutil) {
                        _cleanup_free_ char *host = sysroot_host_path(sr, cert_path);
                        int m = host ? mokutil_test_key(host) : -ENOMEM;

                        if (m >= 0)
                                s.enrolled = m;
                }
        } else
                s.enrolled = 0;

        s.cert_path = TAKE_PTR(cert_path);
        s.detail = TAKE_PTR(detail);
        *ret = s;
        return 0;
}

void secure_boot_state_clear(secure_boot_state *s)
{
        free(s->cert_path);
        free(s->cert);
        free(s->detail);
        *s = (secure_boot_state){.enrolled = -1};
}
