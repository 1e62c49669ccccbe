/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Judging settings: a profile's [env] or a shell env file's assignments,
 * against profiles/rules.ini and the gfx targets of the root's GPUs.
 */

#include "check/gpu_targets.h"
#include "check/rules_ini.h"
#include "profile/profile.h"

typedef struct judge_target {
        const char *gfx;        /* never NULL */
        const char *pci_slot;   /* NULL for the default target */
} judge_target;

typedef struct judge_set {
        judge_target *items;
        size_t n;
} judge_set;

/*
 * The targets to judge against: the GPU `device` selects (a PCI slot, a gfx
 * target or "rdna1"), else every AMD GPU with a known target, else
 * GPU_TARGET_DEFAULT. Returns 0, -ENODEV when device selects nothing,
 * -ENOMEM. The set points into t.
 */
int judge_set_make(const gpu_targets *t, const char *device, judge_set *ret);
void judge_set_clear(judge_set *s);

/*
 * Judge NAME=VALUE against every target; adds at most one problem per
 * setting (the most severe target's; the others are named in the message).
 * Unknown variables are warnings. Returns 0 or -ENOMEM.
 */
int judge_setting(const rules_db *db, const judge_set *js, const char *path, unsigned line,
                  const char *name, const char *value, problem_list *pl);

/* Validate a parsed profile: its rules verdicts and whether it applies to the targets. */
int profile_validate(const profile *p, const rules_db *db, const judge_set *js, problem_list *pl);

/* Does this buffer look like a profile (.ini name or a [profile] section) rather than a shell file? */
bool profile_buffer_is_ini(const char *path, const char *buf, size_t len);

/* Validate a shell env file (buf, len, as read from path) with the audit's static parser. */
int envfile_validate(const char *path, const char *buf, size_t len, const rules_db *db,
                     const judge_set *js, problem_list *pl);
