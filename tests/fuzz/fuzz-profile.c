/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the profile reader (line scan + iniparser on the same
 * bytes). Beyond not crashing, a profile that reads without a critical
 * problem must survive the install round trip: its profile.d script, read
 * back by the audit's parser, gives exactly its settings.
 */
#include <stdint.h>
#include <stdlib.h>

#include "parse/envfile.h"
#include "profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        problem_list pl = {0};
        profile *p = NULL;
        resolved_env e = {0};
        env_file *f = NULL;
        char *script;

        if (size > PROFILE_READ_MAX)
                return 0;
        if (profile_parse("fuzz.ini", (const char *)data, size, &pl, &p) < 0 || !p)
                goto out;
        if (problem_list_has(&pl, SEVERITY_CRITICAL) || !p->name || profile_resolve(p, NULL, NULL, &e, NULL) < 0)
                goto out;
        script = profile_render_shell(p, &e, "fuzz");
        if (!script)
                goto out;
        if (env_file_parse(ENV_FORMAT_SHELL, script, strlen(script), &f) == 0) {
                if (f->n_entries != e.n)
                        abort();
                for (size_t i = 0; i < e.n; i++)
                        if (strcmp(f->entries[i].name, e.items[i].name) != 0 ||
                            strcmp(f->entries[i].value, e.items[i].value) != 0 || !f->entries[i].exported)
                                abort();
        } else
                abort();
        env_file_free(f);
        free(script);
out:
        resolved_env_clear(&e);
        profile_free(p);
        problem_list_clear(&pl);
        return 0;
}
