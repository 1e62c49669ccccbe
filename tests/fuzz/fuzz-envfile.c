/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the static shell env-file parser and `--profile
 * validate` of a shell file (parser + rules.ini judgement). The first byte
 * picks the format the rest is parsed as; shell input is also validated
 * against the shipped rules.ini (RDNA1_FUZZ_RULES, read once).
 */
#include <stdint.h>
#include <stdlib.h>

#include "parse/envfile.h"
#include "profile/profile_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static rules_db *rules;
static judge_set targets;
static judge_target both[] = {{.gfx = "gfx1010", .pci_slot = "0000:03:00.0"}, {.gfx = "gfx1036", .pci_slot = NULL}};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *path = getenv("RDNA1_FUZZ_RULES");

        if (!path || rules_load(path, &rules, NULL) < 0) {
                fprintf(stderr, "fuzz-envfile: set RDNA1_FUZZ_RULES to profiles/rules.ini\n");
                exit(1);
        }
        targets = (judge_set){.items = both, .n = ELEMENTSOF(both)};
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        env_file *f = NULL;
        problem_list pl = {0};
        env_format fmt;
        char *buf;

        if (size < 1 || size > 256 * 1024)
                return 0;
        fmt = (env_format)(data[0] % _ENV_FORMAT_MAX);
        /*
         * Every reader in the tool (sysroot_read_file, home_read_file,
         * read_fd_capped) hands the parsers a NUL-terminated buffer: so
         * does this harness. (Without it the first crash found was a read
         * one past len in a fish `set` with an unterminated quote:
         * regressions/envfile/fish-unterminated-quote.)
         */
        buf = malloc(size);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, size - 1);
        buf[size - 1] = '\0';
        if (env_file_parse(fmt, buf, size - 1, &f) == 0) {
                for (size_t i = 0; i < f->n_entries; i++)
                        if (!f->entries[i].name || !f->entries[i].value || f->entries[i].line == 0)
                                abort();
                env_file_free(f);
        }
        if (fmt == ENV_FORMAT_SHELL) {
                if (envfile_validate("fuzz.sh", buf, size - 1, rules, &targets, &pl) < 0)
                        abort();
                problem_list_clear(&pl);
        }
        free(buf);
        return 0;
}
