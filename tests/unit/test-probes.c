/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/acl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "probe/facts.h"

#include "fixture.h"

/* ---- fixture helpers ---- */

static char *root;
static char *host_dir;

static int setup(void **state)
{
        root = fixture_tmpdir("/tmp", "probes");
        host_dir = fixture_tmpdir("/tmp", "probes-host");
        unsetenv("SUDO_UID");
        unsetenv("PKEXEC_UID");
        return 0;
}

static int teardown(void **state)
{
        fixture_rmrf(root);
        fixture_rmrf(host_dir);
        free(root);
        free(host_dir);
        root = host_dir = NULL;
        unsetenv("SUDO_UID");
        unsetenv("PKEXEC_UID");
        return 0;
}

static sysroot *open_root(void)
{
        sysroot *sr = NULL;

        assert_int_equal(sysroot_open(root, &sr), 0);
        return sr;
}

/* A sub-case that cannot run here: visible skip, a failure under CI=true. */
static void prereq_missing(const char *why)
{
        const char *ci = getenv("CI");

        print_message("SKIP: %s\n", why);
        if (ci && streq(ci, "true"))
                fail_msg("prerequisite missing under CI=true: %s", why);
        skip();
}

static const reason *find_reason_error(const report *r, const char *probe, const char *path_sub,
                                       const char *error_sub)
{
        for (size_t i = 0; i < r->n_reasons; i++)
                if (streq(r->reasons[i].probe, probe) && r->reasons[i].path &&
                    strstr(r->reasons[i].path, path_sub) && strstr(r->reasons[i].error, error_sub))
                        return &r->reasons[i];
        return NULL;
}

static const reason *find_reason(const report *r, const char *probe, const char *path_sub)
{
        return find_reason_error(r, probe, path_sub, "");
}

/* ---- KFD properties parser ---- */

typedef struct seen_props {
        char keys[16][65];
        uint64_t values[16];
        size_t n;
} seen_props;

static int collect_cb(const char *key, uint64_t value, void *userdata)
{
        seen_props *s = userdata;

        if (s->n < 16) {
                snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
                s->values[s->n++] = value;
        }
        return 0;
}

static int failing_cb(const char *key, uint64_t value, void *userdata)
{
        return -ECANCELED;
}

static void test_kfd_parse_properties(void **state)
{
        static const char buf[] = "cpu_cores_count 0\n"
                                  "simd_count abc\n"
                                  "vendor_id -1\n"
                                  "device_id 0x10\n"
                                  "location_id 99999999999999999999999\n"
                                  "junk\n"
                                  "domain 1\0 2\n"
                                  "\n"
                                  "hive_id 18446744073709551615\n"
                                  "unique_id 18446744073709551616\n"
                                  "+key 5\n"
                                  "gfx_target_version  100100 \n"
                                  "drm_render_minor 128"; /* no final newline */
        seen_props s = {0};
        int r;

        r = kfd_parse_properties(buf, sizeof(buf) - 1, collect_cb, &s);
        /* simd_count, vendor_id, device_id, location_id, junk, domain(NUL), unique_id, +key */
        assert_int_equal(r, 8);
        assert_int_equal(s.n, 4);
        assert_string_equal(s.keys[0], "cpu_cores_count");
        assert_int_equal(s.values[0], 0);
        assert_string_equal(s.keys[1], "hive_id");
        assert_true(s.values[1] == UINT64_MAX);
        assert_string_equal(s.keys[2], "gfx_target_version");
        assert_int_equal(s.values[2], 100100);
        assert_string_equal(s.keys[3], "drm_render_minor");
        assert_int_equal(s.values[3], 128);

        assert_int_equal(kfd_parse_properties("", 0, collect_cb, &s), 0);
        assert_int_equal(kfd_parse_properties("a 1\n", 4, failing_cb, NULL), -ECANCELED);
}

/* ---- KFD probe ---- */

static void put_node(unsigned id, const char *name, const char *props)
{
        char rel[256];

        snprintf(rel, sizeof(rel), "sys/class/kfd/kfd/topology/nodes/%u/properties", id);
        fixture_put(root, rel, props);
        snprintf(rel, sizeof(rel), "sys/class/kfd/kfd/topology/nodes/%u/name", id);
        fixture_put(root, rel, name);
}

static const char gpu_props_fmt[] = "cpu_cores_count 0\nsimd_count %u\nmem_banks_count 1\n"
                                    "gfx_target_version %u\nvendor_id 4098\ndevice_id %u\n"
                                    "location_id %u\ndomain %u\ndrm_render_minor %u\nhive_id 0\n";

static void put_gpu(unsigned id, const char *name, unsigned gfx, unsigned device, unsigned loc,
                    unsigned domain, unsigned minor)
{
        char props[1024];

        snprintf(props, sizeof(props), gpu_props_fmt, 144, gfx, device, loc, domain, minor);
        put_node(id, name, props);
}

static void test_kfd_probe_tree(void **state)
{
        _cleanup_(report_freep) report *r = NULL;
        sysroot *sr;
        kfd_facts *f = NULL;
        const kfd_node *n;

        /* CPU node, RX 5600 XT at 0000:03:00.0, an iGPU at 0000:0c:00.0, and a gfx1030 at 0001:03:00.0. */
        put_node(0, "\n", "cpu_cores_count 16\nsimd_count 0\nmem_banks_count 1\ngfx_target_version 0\n"
                          "vendor_id 0\ndevice_id 0\nlocation_id 0\ndomain 0\ndrm_render_minor 0\n");
        put_gpu(1, "gfx1010\n", 100100, 29471, 3 << 8, 0, 128);
        put_gpu(2, "gfx1036\n", 100306, 5710, 12 << 8, 0, 129);
        put_gpu(10, "gfx1030\n", 100300, 29631, 3 << 8, 1, 130);
        fixture_put(root, "sys/class/kfd/kfd/topology/nodes/1/mem_banks/0/properties",
                    "heap_type 2\nsize_in_bytes 6425673728\nflags 1\nwidth 192\nmem_clk_max 1750\n");
        fixture_put(root, "sys/class/kfd/kfd/topology/nodes/1/mem_banks/1/properties",
                    "heap_type 1\nsize_in_bytes 268435456\nflags 0\n");
        fixture_mkdirs(root, "sys/class/kfd/kfd/topology/nodes/not-a-node");
        fixture_put(root, "sys/class/kfd/kfd/topology/nodes/README", "ignored\n");
        fixture_put(root, "dev/kfd", "");

        r = report_new();
        sr = open_root();
        assert_int_equal(kfd_probe(sr, r, &f), 0);
        assert_true(f->topology_present);
        assert_true(f->dev_kfd_present);
        assert_int_equal(f->n_nodes, 4);
        /* sorted numerically: 0, 1, 2, 10 */
        assert_int_equal(f->nodes[0].id, 0);
        assert_int_equal(f->nodes[3].id, 10);
        assert_int_equal(f->nodes[0].cpu_cores_count, 16);
        assert_int_equal(f->n_malformed, 0);
        assert_int_equal(r->n_reasons, 0);

        n = kfd_find_node_for_pci(f, 0, 3, 0, 0);
        assert_non_null(n);
        assert_int_equal(n->id, 1);
        assert_string_equal(n->name, "gfx1010");
        assert_int_equal(n->gfx_target_version, 100100);
        assert_int_equal(n->vendor_id, 0x1002);
        assert_int_equal(n->device_id, 0x731f);
        assert_true(n->has_render_minor);
        assert_int_equal(n->drm_render_minor, 128);
        assert_int_equal(n->n_mem_banks, 2);
        assert_int_equal(n->mem_banks[0].id, 0);
        assert_int_equal(n->mem_banks[0].heap_type, 2);
        assert_int_equal(n->mem_banks[0].flags, 1);
        assert_true(n->mem_banks[0].size_in_bytes == 6425673728ull);
        assert_int_equal(n->mem_banks[0].width, 192);
        assert_int_equal(n->mem_banks[1].heap_type, 1);

        n = kfd_find_node_for_pci(f, 1, 3, 0, 0);
        assert_non_null(n);
        assert_int_equal(n->id, 10);
        n = kfd_find_node_for_pci(f, 0, 12, 0, 0);
        assert_non_null(n);
        assert_int_equal(n->id, 2);
        /* The CPU node's location_id 0 is not a device at 00:00.0; wrong function: none. */
        assert_null(kfd_find_node_for_pci(f, 0, 0, 0, 0));
        assert_null(kfd_find_node_for_pci(f, 0, 3, 0, 1));
        assert_null(kfd_find_node_for_pci(f, 2, 3, 0, 0));
        assert_null(kfd_find_node_for_pci(NULL, 0, 3, 0, 0));
        f = kfd_facts_free(f);

        /* /dev/kfd as a dangling symlink still counts as present (lstat). */
        {
                char p[4096];

                snprintf(p, sizeof(p), "%s/dev/kfd", root);
                assert_int_equal(unlink(p), 0);
        }
        assert_int_equal(kfd_probe(sr, r, &f), 0);
        assert_false(f->dev_kfd_present);
        f = kfd_facts_free(f);
        fixture_symlink(root, "dev/kfd", "/nowhere");
        assert_int_equal(kfd_probe(sr, r, &f), 0);
        assert_true(f->dev_kfd_present);
        f = kfd_facts_free(f);
        sysroot_free(sr);
}

static void test_kfd_malformed(void **state)
{
        _cleanup_(report_freep) report *r = report_new();
        const reason *x;
        sysroot *sr;
        kfd_facts *f = NULL;

        /* No topology at all: not present, not a reason. */
        sr = open_root();
        assert_int_equal(kfd_probe(sr, r, &f), 0);
        assert_false(f->topology_present);
        assert_false(f->dev_kfd_present);
        assert_int_equal(f->n_nodes, 0);
        assert_int_equal(r->n_reasons, 0);
        f = kfd_facts_free(f);

        put_node(1, "gfx1010\n", "cpu_cores_count 0\nsimd_count 144\ngfx_target_version gfx1010\n"
                                 "vendor_id 4098\nlocation_id 768\ndomain 0\nvendor_id 1\n");
        put_node(2, "junk\n", "gfx_target_version 0x186a4\ncpu_cores_count -1\nhello world\n");
        fixture_put(root, "sys/class/kfd/kfd/topology/nodes/3/name", "no properties\n");
        fixture_put(root, "sys/class/kfd/kfd/topology/nodes/1/mem_banks/0/properties", "flags 1\n"); /* no heap_type */
        fixture_put(root, "sys/class/kfd/kfd/topology/nodes/1/mem_banks/x/properties", "heap_type 2\n");

        assert_int_equal(kfd_probe(sr, r, &f), 0);
        assert_true(f->topology_present);
        assert_int_equal(f->n_nodes, 1);
        assert_int_equal(f->nodes[0].id, 1);
        assert_int_equal(f->nodes[0].gfx_target_version, 0); /* absent */
        assert_int_equal(f->nodes[0].vendor_id, 4098);       /* the first value wins */
        assert_int_equal(f->nodes[0].n_mem_banks, 0);
        assert_int_equal(f->n_malformed, 1 + 3);
        /* Still mapped: a GPU node by simd_count, with location and domain. */
        assert_non_null(kfd_find_node_for_pci(f, 0, 3, 0, 0));

        x = find_reason(r, "kfd", "nodes/1/properties");
        assert_non_null(x);
        assert_string_equal(x->error, "1 malformed line skipped");
        assert_false(x->matters);
        x = find_reason_error(r, "kfd", "nodes/2/properties", "3 malformed lines skipped");
        assert_non_null(x);
        assert_false(x->matters);
        x = find_reason_error(r, "kfd", "nodes/2/properties", "node ignored");
        assert_non_null(x);
        assert_true(x->matters);
        x = find_reason(r, "kfd", "nodes/3/properties");
        assert_non_null(x);
        assert_true(x->matters);
        f = kfd_facts_free(f);
        sysroot_free(sr);
}

static void test_kfd_bounds(void **state)
{
        _cleanup_(report_freep) report *r = report_new();
        sysroot *sr;
        kfd_facts *f = NULL;

        for (unsigned i = 0; i < 70; i++)
                put_gpu(i, "gfx1010\n", 100100, 29471, i << 8, 0, 128 + i);
        for (unsigned b = 0; b < 70; b++) {
                char rel[256];

                snprintf(rel, sizeof(rel), "sys/class/kfd/kfd/topology/nodes/0/mem_banks/%u/properties", b);
                fixture_put(root, rel, "heap_type 2\nflags 0\n");
        }
        sr = open_root();
        assert_int_equal(kfd_probe(sr, r, &f), 0);
        assert_int_equal(f->n_nodes, 64);
        assert_int_equal(f->nodes[63].id, 63);
        assert_int_equal(f->nodes[0].n_mem_banks, 64);
        assert_non_null(find_reason(r, "kfd", "topology/nodes"));
        assert_non_null(find_reason(r, "kfd", "nodes/0/mem_banks"));
        f = kfd_facts_free(f);
        sysroot_free(sr);
}

/* ---- kernel command line ---- */

static cmdline_facts *parse_cmdline(const char *s, size_t len)
{
        cmdline_facts *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(cmdline_parse(f, s, len), 0);
        return f;
}

#define CMDLINE(s) parse_cmdline((s), sizeof(s) - 1)

static void test_cmdline_parse(void **state)
{
        cmdline_facts *f;

        f = CMDLINE("BOOT_IMAGE=/boot/vmlinuz-6.8.0-48-generic root=UUID=x ro recovery nomodeset dis_ucode_ldr\n");
        assert_true(f->recovery);
        assert_int_equal(f->n_entries, 1);
        assert_int_equal(f->entries[0].kind, DISABLE_NOMODESET);
        assert_string_equal(f->entries[0].text, "nomodeset");
        assert_string_equal(f->entries[0].path, "/proc/cmdline");
        assert_int_equal(f->entries[0].line, 0);
        cmdline_facts_free(f);

        f = CMDLINE("quiet splash\n");
        assert_false(f->recovery);
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);

        f = CMDLINE("amdgpu.modeset=0 amdgpu.modeset=1 amdgpu.modeset=-1 amdgpu.modeset= amdgpu.modeset "
                    "amdgpu.modeset=0x0 amdgpu.modeset=\"0\" \"amdgpu.modeset=0\" amdgpu.modeset=0abc single");
        assert_true(f->recovery);
        assert_int_equal(f->n_entries, 4);
        for (size_t i = 0; i < f->n_entries; i++)
                assert_int_equal(f->entries[i].kind, DISABLE_MODESET0);
        assert_string_equal(f->entries[0].text, "amdgpu.modeset=0");
        assert_string_equal(f->entries[1].text, "amdgpu.modeset=0x0");
        assert_string_equal(f->entries[2].text, "amdgpu.modeset=\"0\"");
        assert_string_equal(f->entries[3].text, "\"amdgpu.modeset=0\"");
        cmdline_facts_free(f);

        f = CMDLINE("modprobe.blacklist=nouveau,amdgpu,radeon modprobe.blacklist=amdgpu_x,xamdgpu "
                    "module_blacklist=amdgpu modprobe.blacklist=\"radeon,amdgpu\"");
        assert_int_equal(f->n_entries, 3);
        assert_int_equal(f->entries[0].kind, DISABLE_CMDLINE_BLACKLIST);
        assert_string_equal(f->entries[0].text, "modprobe.blacklist=nouveau,amdgpu,radeon");
        assert_string_equal(f->entries[1].text, "module_blacklist=amdgpu");
        assert_string_equal(f->entries[2].text, "modprobe.blacklist=\"radeon,amdgpu\"");
        cmdline_facts_free(f);

        /* Inside a quoted value, words are not parameters. */
        f = CMDLINE("dyndbg=\"nomodeset amdgpu.modeset=0 recovery\" quiet");
        assert_false(f->recovery);
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);

        /* An unterminated quote swallows the rest. */
        f = CMDLINE("foo=\"bar nomodeset");
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);

        /* After "--" the arguments belong to init: no kernel setting, but init sees "single". */
        f = CMDLINE("ro -- nomodeset single");
        assert_true(f->recovery);
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);

        /* Near misses. */
        f = CMDLINE("nomodesetx xnomodeset amdgpu.modesetting=0 radeon.modeset=0 recoveryx");
        assert_false(f->recovery);
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);

        /* NUL bytes separate words (a fixture written like /proc/PID/cmdline). */
        f = CMDLINE("ro\0nomodeset\0\0recovery\0");
        assert_true(f->recovery);
        assert_int_equal(f->n_entries, 1);
        assert_string_equal(f->entries[0].text, "nomodeset");
        cmdline_facts_free(f);

        /* Empty and blank. */
        f = CMDLINE("");
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);
        f = CMDLINE(" \t\n\"");
        assert_int_equal(f->n_entries, 0);
        cmdline_facts_free(f);
}

static void test_cmdline_huge(void **state)
{
        size_t big = 100 * 1024, n = 0;
        char *s = malloc(big + 1);
        cmdline_facts *f;

        assert_non_null(s);
        /* A long word list: the parser copes, entries are capped. */
        while (n + 10 < big) {
                memcpy(s + n, "nomodeset ", 10);
                n += 10;
        }
        f = parse_cmdline(s, n);
        assert_true(f->n_entries > 0);
        assert_true(f->n_entries <= 1024);
        cmdline_facts_free(f);

        /* One giant word: stored text is bounded. */
        memset(s, 'a', big);
        memcpy(s, "modprobe.blacklist=amdgpu,", 26);
        f = parse_cmdline(s, big);
        assert_int_equal(f->n_entries, 1);
        assert_true(strlen(f->entries[0].text) <= 512);
        cmdline_facts_free(f);
        free(s);
}

static void test_modprobe_conf_parse(void **state)
{
        static const char conf[] = "# blacklist amdgpu\n"                                   /* 1 */
                                   "blacklist radeon\n"                                     /* 2 */
                                   "blacklist amdgpu\n"                                     /* 3 */
                                   "  blacklist \tamdgpu   # trailing comment\n"            /* 4 */
                                   "install amdgpu /bin/false\n"                            /* 5 */
                                   "install amdgpu /sbin/modprobe --ignore-install amdgpu\n" /* 6 */
                                   "install amdgpu true\n"                                  /* 7 */
                                   "options amdgpu ppfeaturemask=0xffffffff \\\n"           /* 8 */
                                   "        modeset=0\n"                                    /* 9 */
                                   "options amdgpu modeset=1\n"                             /* 10 */
                                   "options amdgpu dc=1 modeset=\"0\"\n"                    /* 11 */
                                   "blacklist amdgpu\0junk\n"                               /* 12 */
                                   "blacklist amdgpu_extra\n"                               /* 13 */
                                   "   # blacklist amdgpu\n"                                /* 14 */
                                   "options amdgpu dcfeaturemask=8 \\\n"                    /* 15 */
                                   "\n"                                                     /* 16 */
                                   "modeset=0\n"                                            /* 17 */
                                   "install amdgpu /usr/bin/false; echo no\n"               /* 18 */
                                   "options amdgpu\n"                                       /* 19 */
                                   "blacklist\n"                                            /* 20 */
                                   "blacklist amdgpu";                                      /* 21, no newline */
        static const struct {
                disable_kind kind;
                unsigned line;
                const char *text;
        } want[] = {
                {DISABLE_MODPROBE_BLACKLIST, 3, "blacklist amdgpu"},
                {DISABLE_MODPROBE_BLACKLIST, 4, "blacklist \tamdgpu   # trailing comment"},
                {DISABLE_MODPROBE_INSTALL, 5, "install amdgpu /bin/false"},
                {DISABLE_MODPROBE_INSTALL, 7, "install amdgpu true"},
                {DISABLE_MODPROBE_MODESET0, 8, "options amdgpu ppfeaturemask=0xffffffff         modeset=0"},
                {DISABLE_MODPROBE_MODESET0, 11, "options amdgpu dc=1 modeset=\"0\""},
                {DISABLE_MODPROBE_BLACKLIST, 12, "blacklist amdgpu"},
                {DISABLE_MODPROBE_INSTALL, 18, "install amdgpu /usr/bin/false; echo no"},
                {DISABLE_MODPROBE_BLACKLIST, 21, "blacklist amdgpu"},
        };
        cmdline_facts *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(modprobe_conf_parse(f, "/etc/modprobe.d/x.conf", conf, sizeof(conf) - 1), 0);
        assert_int_equal(f->n_entries, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                assert_int_equal(f->entries[i].kind, want[i].kind);
                assert_int_equal(f->entries[i].line, want[i].line);
                assert_string_equal(f->entries[i].text, want[i].text);
                assert_string_equal(f->entries[i].path, "/etc/modprobe.d/x.conf");
        }
        assert_false(f->recovery);
        assert_int_equal(modprobe_conf_parse(f, "/x.conf", "", 0), 0);
        assert_int_equal(modprobe_conf_parse(f, "/x.conf", "\\", 1), 0);
        assert_int_equal(f->n_entries, ELEMENTSOF(want));
        cmdline_facts_free(f);

        assert_string_equal(disable_kind_to_string(DISABLE_NOMODESET), "nomodeset");
        assert_null(disable_kind_to_string(_DISABLE_KIND_MAX));
        assert_null(disable_kind_to_string(_DISABLE_KIND_INVALID));
}

static void alarm_handler(int sig)
{
        static const char msg[] = "test-probes: probe hung (watchdog)\n";

        (void)!write(2, msg, sizeof(msg) - 1);
        _exit(1);
}

static void run_modprobe_d(bool no_openat2)
{
        _cleanup_(report_freep) report *r = report_new();
        cmdline_facts *f = NULL;
        sysroot *sr = open_root();
        const reason *x;

        sysroot_set_no_openat2(sr, no_openat2);
        alarm(20);
        assert_int_equal(cmdline_probe(sr, r, &f), 0);
        alarm(0);

        assert_true(f->cmdline_present);
        assert_true(f->recovery);
        assert_int_equal(f->n_entries, 3);
        assert_int_equal(f->entries[0].kind, DISABLE_NOMODESET);
        /* Files in name order; /etc wins over /lib for blacklist-amdgpu.conf. */
        assert_int_equal(f->entries[1].kind, DISABLE_MODPROBE_BLACKLIST);
        assert_string_equal(f->entries[1].path, "/etc/modprobe.d/blacklist-amdgpu.conf");
        assert_int_equal(f->entries[1].line, 2);
        assert_int_equal(f->entries[2].kind, DISABLE_MODPROBE_MODESET0);
        assert_string_equal(f->entries[2].path, "/lib/modprobe.d/other.conf");
        for (size_t i = 0; i < f->n_entries; i++)
                assert_int_not_equal(f->entries[i].kind, DISABLE_MODPROBE_INSTALL); /* the host file */

        x = find_reason(r, "modprobe.d", "fifo.conf");
        assert_non_null(x);
        assert_string_equal(x->error, "not a regular file");
        assert_false(x->matters);
        x = find_reason(r, "modprobe.d", "loop-a.conf");
        assert_non_null(x);
        assert_string_equal(x->error, "symbolic link loop or link not allowed");
        assert_non_null(find_reason(r, "modprobe.d", "loop-b.conf"));
        x = find_reason(r, "modprobe.d", "shadow.conf");
        assert_non_null(x);
        assert_string_equal(x->error, strerror(ENOENT));
        assert_non_null(find_reason(r, "modprobe.d", "escape.conf"));
        assert_non_null(find_reason(r, "modprobe.d", "dir.conf"));
        assert_null(find_reason(r, "modprobe.d", "masked.conf"));
        assert_null(find_reason(r, "modprobe.d", "notes.txt"));
        for (size_t i = 0; i < r->n_reasons; i++)
                assert_false(r->reasons[i].matters);
        cmdline_facts_free(f);
        sysroot_free(sr);
}

static void test_modprobe_d_probe(void **state)
{
        char p[4096];
        FILE *h;

        signal(SIGALRM, alarm_handler);
        fixture_put(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz ro recovery nomodeset\n");
        fixture_put(root, "etc/modprobe.d/blacklist-amdgpu.conf", "# keep amdgpu off\nblacklist amdgpu\n");
        fixture_put(root, "etc/modprobe.d/notes.txt", "install amdgpu /bin/false\n");
        fixture_put(root, "etc/modprobe.d/.hidden.conf", "install amdgpu /bin/false\n");
        fixture_mkdirs(root, "etc/modprobe.d/dir.conf");
        snprintf(p, sizeof(p), "%s/etc/modprobe.d/fifo.conf", root);
        assert_int_equal(mkfifo(p, 0644), 0);
        fixture_symlink(root, "etc/modprobe.d/shadow.conf", "/etc/shadow");
        fixture_symlink(root, "etc/modprobe.d/loop-a.conf", "loop-b.conf");
        fixture_symlink(root, "etc/modprobe.d/loop-b.conf", "loop-a.conf");
        fixture_symlink(root, "etc/modprobe.d/masked.conf", "/dev/null");
        /* A file on the host, outside the root, that must never be read. */
        snprintf(p, sizeof(p), "%s/evil.conf", host_dir);
        h = fopen(p, "w");
        assert_non_null(h);
        fputs("install amdgpu /bin/false\n", h);
        fclose(h);
        fixture_symlink(root, "etc/modprobe.d/escape.conf", p);
        fixture_put(root, "lib/modprobe.d/blacklist-amdgpu.conf", "install amdgpu /bin/false\n");
        fixture_put(root, "lib/modprobe.d/masked.conf", "install amdgpu /bin/false\n");
        fixture_put(root, "lib/modprobe.d/other.conf", "options amdgpu modeset=0\n");

        run_modprobe_d(false);
        run_modprobe_d(true);
}

static void test_cmdline_probe_edge(void **state)
{
        _cleanup_(report_freep) report *r = report_new();
        cmdline_facts *f = NULL;
        sysroot *sr = open_root();
        char *big;

        /* No /proc/cmdline, no modprobe.d: nothing, and no reason. */
        assert_int_equal(cmdline_probe(sr, r, &f), 0);
        assert_false(f->cmdline_present);
        assert_int_equal(f->n_entries, 0);
        assert_int_equal(r->n_reasons, 0);
        f = cmdline_facts_free(f);

        /* Too large: a reason, never a crash. */
        big = malloc(200 * 1024 + 1);
        assert_non_null(big);
        memset(big, 'x', 200 * 1024);
        big[200 * 1024] = '\0';
        fixture_put(root, "proc/cmdline", big);
        free(big);
        assert_int_equal(cmdline_probe(sr, r, &f), 0);
        assert_false(f->cmdline_present);
        assert_non_null(find_reason(r, "cmdline", "/proc/cmdline"));
        assert_string_equal(find_reason(r, "cmdline", "/proc/cmdline")->error, "file too large, not read");
        f = cmdline_facts_free(f);

        /* modprobe.d as a symlink loop is a reason too. */
        fixture_mkdirs(root, "etc");
        fixture_symlink(root, "etc/modprobe.d", "modprobe.d");
        assert_int_equal(cmdline_probe(sr, r, &f), 0);
        assert_non_null(find_reason(r, "modprobe.d", "/etc/modprobe.d"));
        f = cmdline_facts_free(f);
        sysroot_free(sr);
}

/* ---- loaded module ---- */

static void test_proc_modules_find(void **state)
{
        static const char mods[] = "amdgpu_x 1 0 - Live 0x0 (O)\n"
                                   "drm 700416 20 amdgpu,drm_ttm_helper, Live 0x0000000000000000\n"
                                   "amdgpu 14356480 12 - Live 0x0000000000000000 (OE)\n";
        char *state_ = NULL, *taint = NULL;
        const char *line;

        assert_int_equal(proc_modules_find(mods, sizeof(mods) - 1, "amdgpu", &state_, &taint), 1);
        assert_string_equal(state_, "Live");
        assert_string_equal(taint, "OE");
        free(state_);
        free(taint);
        state_ = taint = NULL;

        assert_int_equal(proc_modules_find(mods, sizeof(mods) - 1, "drm", &state_, &taint), 1);
        assert_string_equal(state_, "Live");
        assert_null(taint);
        free(state_);
        state_ = NULL;

        assert_int_equal(proc_modules_find(mods, sizeof(mods) - 1, "radeon", &state_, &taint), 0);
        assert_null(state_);
        assert_int_equal(proc_modules_find("", 0, "amdgpu", &state_, &taint), 0);

        /* Malformed: a short line is found without a state; junk taint is dropped; NUL lines skipped. */
        assert_int_equal(proc_modules_find("amdgpu 1 2\n", strlen("amdgpu 1 2\n"), "amdgpu", &state_, &taint), 1);
        assert_null(state_);
        assert_null(taint);
        line = "amdgpu 1 2 - Loading 0x0 (O\n";
        assert_int_equal(proc_modules_find(line, strlen(line), "amdgpu", &state_, &taint), 1);
        assert_string_equal(state_, "Loading");
        assert_null(taint);
        free(state_);
        state_ = NULL;
        assert_int_equal(proc_modules_find("amdgpu\0 1 2 - Live 0x0\n", 23, "amdgpu", &state_, &taint), 0);
        line = "amdgpu 1 2 - Live 0x0 (OE)";
        assert_int_equal(proc_modules_find(line, strlen(line), "amdgpu", NULL, NULL), 1);
}

static size_t make_note(uint8_t *buf, uint32_t namesz, uint32_t descsz, uint32_t type, const char *name,
                        size_t name_pad, uint8_t fill, size_t desc_bytes)
{
        size_t n = 0;

        memcpy(buf + n, &namesz, 4);
        memcpy(buf + n + 4, &descsz, 4);
        memcpy(buf + n + 8, &type, 4);
        n += 12;
        memset(buf + n, 0, name_pad);
        memcpy(buf + n, name, strlen(name));
        n += name_pad;
        for (size_t i = 0; i < desc_bytes; i++)
                buf[n + i] = (uint8_t)(fill + i);
        return n + desc_bytes;
}

static void test_build_id_note(void **state)
{
        uint8_t buf[512], id[64];
        size_t n, id_len = 0;

        n = make_note(buf, 4, 20, 3, "GNU", 4, 0xa0, 20);
        assert_int_equal(n, 36);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), 0);
        assert_int_equal(id_len, 20);
        assert_int_equal(id[0], 0xa0);
        assert_int_equal(id[19], 0xa0 + 19);

        /* Truncated anywhere: refused, and the outputs untouched. */
        id_len = 99;
        for (size_t cut = 1; cut < n; cut++)
                assert_int_equal(build_id_note_parse(buf, cut, id, &id_len), -EBADMSG);
        assert_int_equal(id_len, 99);
        assert_int_equal(build_id_note_parse(buf, 0, id, &id_len), -ENOENT);

        /* Oversized descsz (65), a zero-length id, and sizes that would wrap. */
        n = make_note(buf, 4, 65, 3, "GNU", 4, 0, 68);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), -EBADMSG);
        n = make_note(buf, 4, 0, 3, "GNU", 4, 0, 0);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), -EBADMSG);
        n = make_note(buf, 4, UINT32_MAX, 3, "GNU", 4, 0, 20);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), -EBADMSG);
        n = make_note(buf, UINT32_MAX, 20, 3, "GNU", 4, 0, 20);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), -EBADMSG);
        assert_int_equal(id_len, 99);

        /* Another note first ("Linux", namesz 6 padded to 8), then the build-id. */
        n = make_note(buf, 6, 4, 1, "Linux", 8, 0, 4);
        n += make_note(buf + n, 4, 8, 3, "GNU", 4, 0x10, 8);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), 0);
        assert_int_equal(id_len, 8);
        assert_int_equal(id[0], 0x10);

        /* Right type, wrong name; right name, wrong type: no build-id. */
        n = make_note(buf, 4, 20, 3, "GNX", 4, 0, 20);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), -ENOENT);
        n = make_note(buf, 4, 20, 1, "GNU", 4, 0, 20);
        assert_int_equal(build_id_note_parse(buf, n, id, &id_len), -ENOENT);
        /* Trailing junk after a skipped note. */
        n = make_note(buf, 4, 20, 1, "GNU", 4, 0, 20);
        memset(buf + n, 0xff, 5);
        assert_int_equal(build_id_note_parse(buf, n + 5, id, &id_len), -EBADMSG);
}

static void test_dyndbg_parse(void **state)
{
        dyndbg_site s = {0};

        assert_int_equal(dyndbg_parse_line("drivers/gpu/drm/amd/amdgpu/../amdkfd/kfd_crat.c:1093 "
                                           "[amdgpu]kfd_parse_subtype_mem =_ \"Found memory entry in CRAT table "
                                           "with proximity_domain=%d\\012\"",
                                           &s),
                         0);
        assert_string_equal(s.file, "drivers/gpu/drm/amd/amdgpu/../amdkfd/kfd_crat.c");
        assert_int_equal(s.line, 1093);
        assert_string_equal(s.module, "amdgpu");
        assert_string_equal(s.function, "kfd_parse_subtype_mem");
        assert_string_equal(s.format, "Found memory entry in CRAT table with proximity_domain=%d\n");
        dyndbg_site_clear(&s);
        assert_null(s.file);

        /* Newer kernels: "\n" escapes, unescaped quotes, a class suffix, a DKMS path. */
        assert_int_equal(dyndbg_parse_line("/var/lib/dkms/amdgpu/6.16.6/build/amd/amdkfd/kfd_crat.c:1130 "
                                           "[amdgpu]kfd_parse_subtype_mem =p \"KFD: Enabling fine-grained for "
                                           "RDNA1 0x%x\\n\" class:DRM_UT_CORE",
                                           &s),
                         0);
        assert_string_equal(s.file, "/var/lib/dkms/amdgpu/6.16.6/build/amd/amdkfd/kfd_crat.c");
        assert_string_equal(s.format, "KFD: Enabling fine-grained for RDNA1 0x%x\n");
        dyndbg_site_clear(&s);

        assert_int_equal(dyndbg_parse_line("a.c:1 [m]f =_ \"tab\\011q\\042 bs\\\\ dq\\\" t\\t r\\r odd\\q \"x\" end\"",
                                           &s),
                         0);
        assert_string_equal(s.format, "tab\tq\" bs\\ dq\" t\t r\r odd\\q \"x\" end");
        dyndbg_site_clear(&s);

        assert_int_equal(dyndbg_parse_line("a.c:7 [m]f =_ \"\"", &s), 0);
        assert_string_equal(s.format, "");
        dyndbg_site_clear(&s);

        /* Not site lines. */
        assert_int_equal(dyndbg_parse_line("# filename:lineno [module]function flags format", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line(NULL, &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("junk", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:x [m]f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:-1 [m]f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:99999999999 [m]f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line(":1 [m]f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c1 [m]f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 m]f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 [m f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 [m]f _ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 [m]f =_ z", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 [m]f =_ \"unterminated", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 []f =_ \"z\"", &s), -EINVAL);
        assert_int_equal(dyndbg_parse_line("a.c:1 [m] =_ \"z\"", &s), -EINVAL);
        assert_null(s.file);
}

static void write_note(const char *rel, const uint8_t *id, size_t len)
{
        uint8_t buf[128];
        uint32_t namesz = 4, descsz = (uint32_t)len, type = 3;
        size_t n = 0;

        memcpy(buf, &namesz, 4);
        memcpy(buf + 4, &descsz, 4);
        memcpy(buf + 8, &type, 4);
        memcpy(buf + 12, "GNU", 4);
        n = 16;
        memcpy(buf + n, id, len);
        fixture_write(root, rel, buf, n + len, 0644);
}

static void test_module_probe(void **state)
{
        static const char *const wanted[] = {"kfd_parse_subtype_mem", NULL};
        _cleanup_(report_freep) report *r = report_new();
        static const uint8_t id[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        module_facts *m = NULL;
        sysroot *sr = open_root();
        FILE *ctl;
        char p[4096];

        /* No running system: nothing, and no reason. */
        assert_int_equal(module_probe(sr, r, wanted, &m), 0);
        assert_false(m->proc_modules_present);
        assert_false(m->loaded);
        assert_int_equal(r->n_reasons, 0);
        m = module_facts_free(m);

        fixture_put(root, "proc/modules", "drm 700416 20 amdgpu, Live 0x0000000000000000\n"
                                          "amdgpu 14356480 12 - Live 0x0000000000000000 (OE)\n");
        fixture_put(root, "sys/module/amdgpu/initstate", "live\n");
        fixture_put(root, "sys/module/amdgpu/srcversion", "D3580B8CE287C145D0DC895\n");
        fixture_put(root, "sys/module/amdgpu/version", "6.16.6\n");
        fixture_put(root, "sys/module/amdgpu/taint", "OE\n");
        write_note("sys/module/amdgpu/notes/.note.gnu.build-id", id, sizeof(id));
        fixture_mkdirs(root, "proc/dynamic_debug");
        snprintf(p, sizeof(p), "%s/proc/dynamic_debug/control", root);
        ctl = fopen(p, "w");
        assert_non_null(ctl);
        fputs("# filename:lineno [module]function flags format\n", ctl);
        for (int i = 0; i < 30000; i++)
                fprintf(ctl, "fs/ext4/super.c:%d [ext4]ext4_fill_super =_ \"line %d\\012\"\n", i, i);
        fputs("drivers/gpu/drm/amd/amdgpu/../amdkfd/kfd_crat.c:1093 [amdgpu]kfd_parse_subtype_mem =_ "
              "\"Found memory entry in CRAT table with proximity_domain=%d\\012\"\n", ctl);
        fputs("/var/lib/dkms/amdgpu/6.16.6/build/amd/amdkfd/kfd_crat.c:1130 [amdgpu]kfd_parse_subtype_mem =_ "
              "\"KFD: Enabling fine-grained for RDNA1 0x%x\\012\"\n", ctl);
        fputs("drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c:10 [amdgpu]amdgpu_init =_ \"x\\012\"\n", ctl);
        fputs("other/kfd_crat.c:1 [amdkfd_clone]kfd_parse_subtype_mem =_ \"KFD: Enabling\\012\"\n", ctl);
        fputs("junk [amdgpu] line\n", ctl);
        fclose(ctl);

        assert_int_equal(module_probe(sr, r, wanted, &m), 0);
        assert_true(m->proc_modules_present);
        assert_true(m->loaded);
        assert_string_equal(m->state, "Live");
        assert_string_equal(m->taint, "OE");
        assert_string_equal(m->initstate, "live");
        assert_string_equal(m->srcversion, "D3580B8CE287C145D0DC895");
        assert_string_equal(m->version, "6.16.6");
        assert_int_equal(m->build_id_len, 20);
        assert_memory_equal(m->build_id, id, 20);
        assert_true(m->dyndbg_readable);
        assert_int_equal(m->n_sites, 2);
        assert_string_equal(m->sites[1].format, "KFD: Enabling fine-grained for RDNA1 0x%x\n");
        assert_int_equal(m->sites[1].line, 1130);
        assert_int_equal(r->n_reasons, 0);
        m = module_facts_free(m);

        /* NULL function list: nothing kept, still readable. */
        assert_int_equal(module_probe(sr, r, NULL, &m), 0);
        assert_int_equal(m->n_sites, 0);
        assert_true(m->dyndbg_readable);
        m = module_facts_free(m);

        /* Malformed note and a FIFO as the control file: reasons, no hang. */
        fixture_write(root, "sys/module/amdgpu/notes/.note.gnu.build-id", "\x04\0\0\0\xff\0\0\0\x03\0\0\0GNU\0", 16, 0644);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        signal(SIGALRM, alarm_handler);
        alarm(20);
        assert_int_equal(module_probe(sr, r, wanted, &m), 0);
        alarm(0);
        assert_int_equal(m->build_id_len, 0);
        assert_false(m->dyndbg_readable);
        assert_string_equal(find_reason(r, "module", ".note.gnu.build-id")->error, "malformed content");
        assert_string_equal(find_reason(r, "module", "dynamic_debug/control")->error, "not a regular file");
        m = module_facts_free(m);

        /* Not loaded: no build-id or dyndbg reads; an empty sysfs taint overrides. */
        fixture_put(root, "proc/modules", "drm 700416 20 - Live 0x0\n");
        {
                char s[4096];

                snprintf(s, sizeof(s), "%s/sys/module/amdgpu/initstate", root);
                assert_int_equal(unlink(s), 0);
        }
        fixture_put(root, "sys/module/amdgpu/taint", "\n");
        assert_int_equal(module_probe(sr, r, wanted, &m), 0);
        assert_true(m->proc_modules_present);
        assert_false(m->loaded);
        assert_string_equal(m->taint, "");
        m = module_facts_free(m);
        sysroot_free(sr);
}

/* ---- taint ---- */

static void test_taint(void **state)
{
        _cleanup_(report_freep) report *r = report_new();
        taint_facts t = {.present = true, .value = 7};
        sysroot *sr = open_root();
        char *d;

        d = taint_describe(0x3000);
        assert_string_equal(d, "O (out-of-tree module loaded), E (unsigned module loaded)");
        free(d);
        d = taint_describe(1);
        assert_string_equal(d, "P (proprietary module loaded)");
        free(d);
        d = taint_describe((1u << 7) | (1u << 9) | (1u << 19));
        assert_string_equal(d, "D (kernel died (oops)), W (warning), J (fwctl)");
        free(d);
        d = taint_describe((uint64_t)1 << 25);
        assert_string_equal(d, "bit 25 (unknown)");
        free(d);
        d = taint_describe(0);
        assert_string_equal(d, "not tainted");
        free(d);

        assert_int_equal(taint_probe(sr, r, &t), 0);
        assert_false(t.present);
        assert_int_equal(r->n_reasons, 0);

        fixture_put(root, "proc/sys/kernel/tainted", "12288\n");
        assert_int_equal(taint_probe(sr, r, &t), 0);
        assert_true(t.present);
        assert_int_equal(t.value, 12288);

        fixture_put(root, "proc/sys/kernel/tainted", "0x3000\n");
        assert_int_equal(taint_probe(sr, r, &t), 0);
        assert_false(t.present);
        assert_string_equal(find_reason(r, "taint", "tainted")->error, "malformed content");
        fixture_put(root, "proc/sys/kernel/tainted", "-1\n");
        assert_int_equal(taint_probe(sr, r, &t), 0);
        assert_false(t.present);
        sysroot_free(sr);
}

/* ---- who is asking, and may they open the node ---- */

static void access_fixture(void)
{
        fixture_put(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                        "+nis\n"
                                        "broken line\n"
                                        "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
                                        "bob:x:1001:1001::/home/bob:/bin/sh\n"
                                        "carol:x:1002:109::/home/carol:/bin/sh\n");
        fixture_put(root, "etc/group", "root:x:0:\n"
                                       "video:x:44:alice\n"
                                       "render:x:109:bob\n"
                                       "alice:x:1000:\n"
                                       "bob:x:1001:\n"
                                       "kvm:x:104:bob, alice\n"
                                       "notalice:x:200:alicex,xalice\n");
        fixture_put(root, "dev/kfd", "");
}

static void set_node(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
        char p[4096];

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        assert_int_equal(chown(p, uid, gid), 0);
        assert_int_equal(chmod(p, mode), 0);
}

static bool check_rw(sysroot *sr, const invoking_user *u, const char *path, char **ret_why)
{
        node_access a = {0};
        bool ok;

        assert_int_equal(node_access_check(sr, u, path, &a), 0);
        assert_true(a.present);
        assert_string_equal(a.path, path);
        ok = a.can_read_write;
        assert_true(ok == (a.why == NULL));
        if (ret_why)
                *ret_why = a.why ? strdup(a.why) : NULL;
        node_access_clear(&a);
        return ok;
}

static void test_invoking_user(void **state)
{
        invoking_user u = {0};
        sysroot *sr;

        access_fixture();
        sr = open_root();

        setenv("SUDO_UID", "1000", 1);
        assert_int_equal(invoking_user_get(sr, &u), 0);
        assert_int_equal(u.uid, 1000);
        assert_true(u.from_env);
        assert_string_equal(u.name, "alice");
        assert_int_equal(u.gid, 1000);
        /* primary first, then /etc/group order; "alicex" is not "alice" */
        assert_int_equal(u.n_groups, 3);
        assert_int_equal(u.groups[0], 1000);
        assert_string_equal(u.group_names[0], "alice");
        assert_int_equal(u.groups[1], 44);
        assert_string_equal(u.group_names[1], "video");
        assert_int_equal(u.groups[2], 104);
        invoking_user_clear(&u);

        /* Invalid SUDO_UID: PKEXEC_UID next. */
        setenv("SUDO_UID", "alice", 1);
        setenv("PKEXEC_UID", "1001", 1);
        assert_int_equal(invoking_user_get(sr, &u), 0);
        assert_int_equal(u.uid, 1001);
        assert_string_equal(u.name, "bob");
        invoking_user_clear(&u);

        /* Neither valid: ourselves. */
        setenv("SUDO_UID", "-5", 1);
        setenv("PKEXEC_UID", "4294967295", 1);
        assert_int_equal(invoking_user_get(sr, &u), 0);
        assert_false(u.from_env);
        assert_int_equal(u.uid, getuid());
        invoking_user_clear(&u);

        /* A user unknown to the root's files. */
        setenv("SUDO_UID", "4242", 1);
        assert_int_equal(invoking_user_get(sr, &u), 0);
        assert_int_equal(u.uid, 4242);
        assert_null(u.name);
        assert_int_equal(u.n_groups, 0);
        invoking_user_clear(&u);
        sysroot_free(sr);
}

static void test_access_mode(void **state)
{
        invoking_user alice = {0}, bob = {0}, carol = {0}, me = {0};
        node_access a = {0};
        char *why = NULL;
        sysroot *sr;

        if (geteuid() != 0)
                prereq_missing("changing a fixture node's owner needs root");
        access_fixture();
        sr = open_root();
        setenv("SUDO_UID", "1000", 1);
        assert_int_equal(invoking_user_get(sr, &alice), 0);
        setenv("SUDO_UID", "1001", 1);
        assert_int_equal(invoking_user_get(sr, &bob), 0);
        setenv("SUDO_UID", "1002", 1);
        assert_int_equal(invoking_user_get(sr, &carol), 0);
        unsetenv("SUDO_UID");
        assert_int_equal(invoking_user_get(sr, &me), 0);

        set_node("dev/kfd", 0660, 0, 109);
        assert_false(check_rw(sr, &alice, "/dev/kfd", &why));
        assert_string_equal(why, "/dev/kfd is 0660 root:render and alice is not in group render "
                                 "(groups: alice, video, kvm)");
        free(why);
        assert_true(check_rw(sr, &bob, "/dev/kfd", NULL));
        assert_true(check_rw(sr, &carol, "/dev/kfd", NULL)); /* primary group render */
        assert_true(check_rw(sr, &me, "/dev/kfd", NULL));    /* root, not through sudo */

        set_node("dev/kfd", 0640, 0, 109);
        assert_false(check_rw(sr, &bob, "/dev/kfd", &why));
        assert_string_equal(why, "/dev/kfd is 0640 root:render and group render, which bob is in, lacks "
                                 "read-write permission");
        free(why);

        set_node("dev/kfd", 0666, 0, 109);
        assert_true(check_rw(sr, &alice, "/dev/kfd", NULL));
        set_node("dev/kfd", 0604, 0, 109);
        assert_false(check_rw(sr, &alice, "/dev/kfd", NULL));

        /* Owner bits only, even when others may. */
        set_node("dev/kfd", 0466, 1000, 109);
        assert_false(check_rw(sr, &alice, "/dev/kfd", &why));
        assert_string_equal(why, "/dev/kfd is 0466 alice:render and its owner alice lacks read-write permission");
        free(why);
        set_node("dev/kfd", 0600, 1000, 109);
        assert_true(check_rw(sr, &alice, "/dev/kfd", NULL));

        /* A group (and owner) with no name in the files is shown by number. */
        set_node("dev/kfd", 0660, 4000, 4001);
        assert_false(check_rw(sr, &alice, "/dev/kfd", &why));
        assert_string_equal(why, "/dev/kfd is 0660 4000:4001 and alice is not in group 4001 "
                                 "(groups: alice, video, kvm)");
        free(why);

        /* A symlinked node is judged by its target; a missing one is not present. */
        set_node("dev/kfd", 0660, 0, 109);
        fixture_mkdirs(root, "dev/dri");
        fixture_symlink(root, "dev/dri/renderD128", "../kfd");
        assert_true(check_rw(sr, &bob, "/dev/dri/renderD128", NULL));
        assert_int_equal(node_access_check(sr, &alice, "/dev/dri/renderD129", &a), 0);
        assert_false(a.present);
        assert_false(a.can_read_write);
        node_access_clear(&a);

        invoking_user_clear(&alice);
        invoking_user_clear(&bob);
        invoking_user_clear(&carol);
        invoking_user_clear(&me);
        sysroot_free(sr);
}

static bool set_acl(const char *rel, const char *text)
{
        char p[4096];
        acl_t acl;
        int r;

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        acl = acl_from_text(text);
        assert_non_null(acl);
        r = acl_set_file(p, ACL_TYPE_ACCESS, acl);
        acl_free(acl);
        return r == 0;
}

static void test_access_acl(void **state)
{
        invoking_user alice = {0}, bob = {0};
        node_access a = {0};
        char *why = NULL;
        sysroot *sr;

        if (geteuid() != 0)
                prereq_missing("changing a fixture node's owner needs root");
        access_fixture();
        set_node("dev/kfd", 0660, 0, 109);
        if (!set_acl("dev/kfd", "u::rw-,u:1000:rw-,g::rw-,m::rw-,o::---")) {
                char msg[256];

                snprintf(msg, sizeof(msg), "the filesystem under %s refuses POSIX ACLs: %s", root, strerror(errno));
                prereq_missing(msg);
        }
        sr = open_root();
        setenv("SUDO_UID", "1000", 1);
        assert_int_equal(invoking_user_get(sr, &alice), 0);
        setenv("SUDO_UID", "1001", 1);
        assert_int_equal(invoking_user_get(sr, &bob), 0);

        /* Named user entry (logind's uaccess does this). */
        assert_int_equal(node_access_check(sr, &alice, "/dev/kfd", &a), 0);
        assert_true(a.has_acl);
        assert_true(a.can_read_write);
        node_access_clear(&a);
        assert_true(check_rw(sr, &bob, "/dev/kfd", NULL));

        /* The mask limits named entries and the owning group. */
        assert_true(set_acl("dev/kfd", "u::rw-,u:1000:rw-,g::rw-,m::r--,o::rw-"));
        assert_false(check_rw(sr, &alice, "/dev/kfd", &why));
        assert_true(strstr(why, "ACL entry for alice"));
        free(why);
        assert_false(check_rw(sr, &bob, "/dev/kfd", &why));
        assert_true(strstr(why, "ACL entries for bob's groups"));
        free(why);

        /* Named groups: the first matching entry that grants, masked. */
        assert_true(set_acl("dev/kfd", "u::rw-,g::---,g:104:r--,g:44:rw-,m::rw-,o::---"));
        assert_true(check_rw(sr, &alice, "/dev/kfd", NULL));
        /* A matching group entry that does not grant denies, even when "other" would allow. */
        assert_true(set_acl("dev/kfd", "u::rw-,g::---,g:104:r--,m::rw-,o::rw-"));
        assert_false(check_rw(sr, &alice, "/dev/kfd", NULL));
        /* No entry matches: "other". */
        assert_true(set_acl("dev/kfd", "u::rw-,g::---,g:200:rw-,m::rw-,o::rw-"));
        assert_true(check_rw(sr, &alice, "/dev/kfd", NULL));
        assert_true(set_acl("dev/kfd", "u::rw-,g::---,g:200:rw-,m::rw-,o::r--"));
        assert_false(check_rw(sr, &alice, "/dev/kfd", &why));
        assert_true(strstr(why, "its ACL names neither alice"));
        free(why);

        /* A minimal ACL is just the mode. */
        assert_true(set_acl("dev/kfd", "u::rw-,g::rw-,o::---"));
        assert_int_equal(node_access_check(sr, &bob, "/dev/kfd", &a), 0);
        assert_false(a.has_acl);
        assert_true(a.can_read_write);
        node_access_clear(&a);

        invoking_user_clear(&alice);
        invoking_user_clear(&bob);
        sysroot_free(sr);
}

static void test_access_no_passwd(void **state)
{
        invoking_user u = {0};
        char *why = NULL;
        sysroot *sr;

        if (geteuid() != 0)
                prereq_missing("changing a fixture node's owner needs root");
        fixture_put(root, "dev/kfd", "");
        set_node("dev/kfd", 0660, 0, 109);
        sr = open_root();
        setenv("SUDO_UID", "1000", 1);
        assert_int_equal(invoking_user_get(sr, &u), 0);
        assert_null(u.name);
        assert_int_equal(u.n_groups, 0);
        assert_false(check_rw(sr, &u, "/dev/kfd", &why));
        assert_string_equal(why, "/dev/kfd is 0660 0:109 and uid 1000 is not in group 109 (groups: none)");
        free(why);
        invoking_user_clear(&u);
        sysroot_free(sr);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_kfd_parse_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kfd_probe_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kfd_malformed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kfd_bounds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cmdline_parse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cmdline_huge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_modprobe_conf_parse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_modprobe_d_probe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cmdline_probe_edge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_proc_modules_find, setup, teardown),
                cmocka_unit_test_setup_teardown(test_build_id_note, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dyndbg_parse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_module_probe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_taint, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invoking_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_access_mode, setup, teardown),
                cmocka_unit_test_setup_teardown(test_access_acl, setup, teardown),
                cmocka_unit_test_setup_teardown(test_access_no_passwd, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
