/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "demo_copy.h"
#include "demo_root.h"
#include "recover_cmd.h"

int demo_root_for(const char *demo_root, const char *state_dir, bool write, bool need_copy, char **ret)
{
        _cleanup_free_ char *copy = NULL;
        _cleanup_free_ char *esc = NULL;
        int r;

        if (write) {
                r = demo_copy_make(demo_root, state_dir, &copy);
                if (r < 0) {
                        log_error_errno(r, "cannot make a private copy of the demo root");
                        return EXIT_RECOVER_UNKNOWN;
                }
                esc = escape_untrusted(copy, strlen(copy), 0);
                fprintf(stderr, "rdna1-doctor: working on a fresh private copy of the demo: %s\n", esc ? esc : "");
                *ret = TAKE_PTR(copy);
                return 0;
        }
        r = demo_copy_existing(state_dir, &copy);
        if (r >= 0) {
                esc = escape_untrusted(copy, strlen(copy), 0);
                fprintf(stderr, "rdna1-doctor: working on the private copy of the demo: %s\n", esc ? esc : "");
                *ret = TAKE_PTR(copy);
                return 0;
        }
        if (need_copy) {
                fprintf(stderr, "rdna1-doctor: no private copy of the demo yet ('rdna1-doctor --demo --recover' makes one).\n");
                return EXIT_RECOVER_REFUSED;
        }
        *ret = strdup(demo_root);
        return *ret ? 0 : EXIT_RECOVER_UNKNOWN;
}
