/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixture kernel module for tests/gen-root.py.
 *
 * Not a working driver: a relocatable ELF object shaped like what kbuild
 * links into a .ko, so that the real tools (modinfo, depmod, readelf,
 * libkmod) and rdna1-doctor read it the way they read a real module:
 *
 *   .modinfo                   "tag=value" strings (MODULE_INFO)
 *   __ksymtab_strings          names of exported symbols (depmod: provides)
 *   undefined symbols          imports (depmod: depends)
 *   __versions                 CRCs of the imports (modversions)
 *   __dyndbg                   struct _ddebug per pr_debug() site
 *   .gnu.linkonce.this_module  struct module (name at offset 24)
 *   .note.gnu.build-id         added by `ld -r --build-id=sha1`
 *
 * Everything that varies per module comes from fixture-params.h, which the
 * generator writes next to a copy of this file:
 *   FIXTURE_MODNAME              "amdgpu"
 *   FIXTURE_MODINFO(X)           X(tag, "value") ...
 *   FIXTURE_EXPORTS(X)           X(symbol) ...
 *   FIXTURE_IMPORTS(X)           X(symbol, crc) ...
 *   FIXTURE_DYNDBG(X)            X(function, file, format, line) ...
 *   FIXTURE_VARIANT              a number that only changes the bytes
 */
#include "fixture-params.h"

#define __used          __attribute__((used))
#define __section(s)    __attribute__((section(s)))
#define ___PASTE(a, b)  a##b
#define __PASTE(a, b)   ___PASTE(a, b)
#define __UNIQUE_ID(p)  __PASTE(__PASTE(__UNIQUE_ID_, p), __COUNTER__)

#define MODULE_INFO(tag, info) \
        static const char __UNIQUE_ID(tag)[] __used __section(".modinfo") \
                __attribute__((aligned(1))) = #tag "=" info;

/* Same layout as include/linux/dynamic_debug.h (without the jump label). */
struct _ddebug {
        const char *modname;
        const char *function;
        const char *filename;
        const char *format;
        unsigned int lineno:18;
        unsigned int class_id:6;
        unsigned int flags:8;
} __attribute__((aligned(8)));

#define DDEBUG_SITE(fn, file, fmt, line) \
        static struct _ddebug __UNIQUE_ID(ddebug) __used __section("__dyndbg") \
                __attribute__((aligned(8))) = { FIXTURE_MODNAME, fn, file, fmt, line, 63, 0 };

#define KSYM_EXPORT(sym) \
        int sym(void); \
        int sym(void) { return __COUNTER__ + FIXTURE_VARIANT; } \
        static const char __PASTE(__kstrtab_, sym)[] __used __section("__ksymtab_strings") \
                __attribute__((aligned(1))) = #sym;

struct modversion_info {
        unsigned long crc;
        char name[64 - sizeof(unsigned long)];
};

#define KSYM_IMPORT_DECL(sym, crc) extern int sym(void);
#define KSYM_IMPORT_CALL(sym, crc) + sym()
#define KSYM_IMPORT_CRC(sym, crc) \
        static const struct modversion_info __PASTE(__fixture_modversion_, sym) __used \
                __section("__versions") __attribute__((aligned(8))) = { crc, #sym };

FIXTURE_MODINFO(MODULE_INFO)
FIXTURE_EXPORTS(KSYM_EXPORT)
FIXTURE_IMPORTS(KSYM_IMPORT_DECL)
FIXTURE_IMPORTS(KSYM_IMPORT_CRC)
FIXTURE_DYNDBG(DDEBUG_SITE)

/* struct module: state (4) + padding (4) + list_head (16), then name[56]. */
struct fixture_this_module {
        char head[24];
        char name[56];
        char rest[936];
};

struct fixture_this_module __this_module __used __section(".gnu.linkonce.this_module") = {
        .name = FIXTURE_MODNAME,
};

int init_module(void);
int init_module(void)
{
        return 0 FIXTURE_IMPORTS(KSYM_IMPORT_CALL);
}

void cleanup_module(void);
void cleanup_module(void)
{
}

#ifdef FIXTURE_RDNA1_SEED
/*
 * The only trace of seed 004's kernel patch that survives compilation: its
 * pr_debug() format string (in the __dyndbg site above and here).
 */
static const char rdna1_seed_fmt[] __used = "KFD: Enabling fine-grained for RDNA1 0x%x\n";
#endif
