/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Settings to findings: each NAME=VALUE judged with rules.ini, the override
 * per device (scoped by *_VISIBLE_DEVICES in the same chain), evidence with
 * the source chain.
 */
#include "check/envaudit.h"

#include <limits.h>

static const char *const override_var = "HSA_OVERRIDE_GFX_VERSION";

/* ---- findings ---- */

static const struct {
        const char *id;
        const char *title;
        const char *fix;
        bool fixable;
} finding_texts[] = {
        {"env.override-gfx", "HSA_OVERRIDE_GFX_VERSION is set in an environment source",
         "Remove the setting (rdna1-doctor --recover comments the line out); an RDNA1 card then runs as its own "
         "target (gfx1010, gfx1011 or gfx1012), which works only with builds that carry code for it", true},
        {"env.override-invalid", "HSA_OVERRIDE_GFX_VERSION has a value the ROCm runtime refuses",
         "Remove the setting (rdna1-doctor --recover comments the line out) or write it as MAJOR.MINOR.STEP: "
         "with this value no ROCm program started from this environment can use a GPU", true},
        {"env.hang-risk", "Settings known to stall or hang GPU work are set",
         "Remove the settings (rdna1-doctor --recover comments the lines out)", true},
        {"env.build-only", "Build-time variables are set in a runtime environment file",
         "They choose what code is built for (PYTORCH_ROCM_ARCH also for extensions torch compiles at run "
         "time), never which code runs: remove them, or keep them only in a build script", true},
        {"env.ineffective", "Settings in files nothing reads",
         "These files are not read at login: remove them, or move what is needed to a file that is read", false},
        {"runtime.preload", "Libraries are preloaded into processes",
         "Remove the entry (rdna1-doctor --recover comments it out): a preloaded shim runs inside every GPU process", true},
        {"runtime.library-path", "A private ROCm tree is searched before the packaged libraries",
         "Remove the directory from the library path so the packaged ROCm libraries load", true},
};

/*
 * Add a piece of evidence to the finding id (created on first use). why:
 * the rule's reason, added to the fix text once per variable ("Why
 * (NAME): ..."), so a finding that several variables raise explains each.
 */
int envaudit_add_evidence(envaudit *a, const char *id, severity sev, const char *slot, const char *path,
                        unsigned line, const char *detail, const char *var, const char *why)
{
        finding *f = report_find(a->in->report, id, slot);

        if (!f) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(finding_texts); i++)
                        if (streq(finding_texts[i].id, id))
                                break;
                if (i == ELEMENTSOF(finding_texts))
                        return -EINVAL;
                f = report_add_finding(a->in->report, id, sev, slot, finding_texts[i].title, finding_texts[i].fix,
                                       finding_texts[i].fixable);
                if (!f)
                        return -ENOMEM;
        }
        if (sev > f->severity)
                f->severity = sev;
        if (why && var) {
                _cleanup_free_ char *tag = strdup_printf("Why (%s): ", var);
                char *fix;

                if (!tag)
                        return -ENOMEM;
                if (!strstr(f->fix, tag)) {
                        fix = strdup_printf("%s. %s%s", f->fix, tag, why);
                        if (!fix)
                                return -ENOMEM;
                        free(f->fix);
                        f->fix = fix;
                }
        }
        /*
         * The same setting reached twice (two users' chains into one system file) is one piece of
         * evidence; read as a system source once, it is a system file (the system scope comes first).
         */
        for (size_t i = 0; i < f->n_evidence; i++)
                if (streq_ptr(f->evidence[i].path, path) && f->evidence[i].line == line) {
                        if (!a->user)
                                f->evidence[i].user_chain = false;
                        return 0;
                }
        if (finding_add_evidence(f, path, line, detail) < 0)
                return -ENOMEM;
        if (a->user) {
                f->evidence[f->n_evidence - 1].user_chain = true;
                f->evidence[f->n_evidence - 1].chain_uid = a->user->uid;
        }
        return 0;
}

/* "NAME=VALUE (via A:1 → B:2 → C) (only when sourced by hand)" */
static char *setting_detail(const envaudit *a, const env_entry *e, const char *extra)
{
        _cleanup_free_ char *via = NULL;
        char *s;

        if (a->depth > 1) {
                size_t cap = 16;
                for (size_t i = 0; i < a->depth; i++)
                        cap += strlen(a->chain[i].path) + 24;
                via = malloc(cap);
                if (!via)
                        return NULL;
                strcpy(via, " (via ");
                for (size_t i = 0; i < a->depth; i++) {
                        size_t n = strlen(via);
                        if (i + 1 < a->depth)
                                snprintf(via + n, cap - n, "%s:%u → ", a->chain[i].path, a->chain[i].line);
                        else
                                snprintf(via + n, cap - n, "%s)", a->chain[i].path);
                }
        }
        /* A long value is cut so the chain after it still fits the evidence. */
        s = strdup_printf("%s=%.*s%s%s%s%s%s", e->name, VALUE_SHOWN_MAX, e->value,
                          strlen(e->value) > VALUE_SHOWN_MAX ? "…" : "", via ? via : "", extra ? extra : "",
                          a->by_hand ? " (only when sourced by hand: no startup file sources it)" : "",
                          e->exported ? "" : " (not exported)");
        return s;
}

/* ---- devices and override scoping ---- */

bool envaudit_amd_gpu(const gpu_device *g)
{
        return g->vendor_id == 0x1002 && g->gfx_target;
}

/*
 * The device's index as the ROCm runtime counts GPUs: in KFD node order
 * (devices without a node last, by PCI slot). ROCR_VISIBLE_DEVICES indexes
 * that list.
 */
static size_t rocr_index(const inspection *in, const gpu_device *g)
{
        size_t idx = 0;

        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *o = &in->devices[i];
                long ko = o->kfd_node >= 0 ? o->kfd_node : LONG_MAX, kg = g->kfd_node >= 0 ? g->kfd_node : LONG_MAX;

                if (o == g || !envaudit_amd_gpu(o))
                        continue;
                if (ko < kg || (ko == kg && strcmp(o->pci_slot, g->pci_slot) < 0))
                        idx++;
        }
        return idx;
}

/*
 * Does f set a *_VISIBLE_DEVICES that hides the device at index idx? A
 * list of numbers can be judged; UUIDs cannot, and then nothing is hidden.
 */
static bool hides(const env_file *f, size_t idx)
{
        static const char *const vars[] = {"ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES",
                                           "GPU_DEVICE_ORDINAL"};

        for (size_t v = 0; f && v < ELEMENTSOF(vars); v++) {
                const env_entry *e = env_file_get(f, vars[v]);
                _cleanup_free_ char *copy = NULL;
                char *save = NULL;
                bool listed = false, numeric = true;

                if (!e)
                        continue;
                copy = strdup(e->value);
                if (!copy)
                        return false;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        uint64_t n;
                        if (safe_atou64(strstrip(t), 10, &n) < 0) {
                                numeric = false;
                                break;
                        }
                        listed = listed || n == idx;
                }
                if (numeric && !listed)
                        return true;
        }
        return false;
}

/*
 * Is the file being read (the top of its chain) one a login session reads,
 * after pam_env has set /etc/environment and pam_env.conf? Shell startup
 * files, fish, Jupyter kernels (started from a session) and those two files
 * themselves; not systemd units, system.conf or environment.d, which the
 * service manager reads without pam_env.
 */
static bool session_source(const envaudit *a)
{
        const frame *top = &a->chain[0];

        if (a->depth == 0 || !top->file)
                return false;
        switch (top->file->format) {
        case ENV_FORMAT_SHELL:
        case ENV_FORMAT_FISH:
        case ENV_FORMAT_JUPYTER:
        case ENV_FORMAT_PAM_ENV:
                return true;
        case ENV_FORMAT_KEYVALUE:
                return !strstr(top->path, "/environment.d/");
        default:
                return false;
        }
}

/*
 * Is the device at index idx hidden by a *_VISIBLE_DEVICES set in the same
 * chain (the file or a file that sources it), or, for a file a login
 * session reads, in what pam_env gives every session?
 */
static bool scoped_away(const envaudit *a, size_t idx)
{
        for (size_t d = 0; d < a->depth; d++)
                if (hides(a->chain[d].file, idx))
                        return true;
        if (session_source(a))
                for (size_t i = 0; i < ELEMENTSOF(a->session); i++)
                        if (hides(a->session[i], idx))
                                return true;
        return false;
}

static int judge_override(envaudit *a, const char *path, const env_entry *e)
{
        _cleanup_free_ char *detail = setting_detail(a, e, NULL);
        bool any = false;
        int k;

        if (!detail)
                return -ENOMEM;
        for (size_t i = 0; i < a->in->n_devices; i++) {
                const gpu_device *g = &a->in->devices[i];
                rule_verdict v;

                if (!envaudit_amd_gpu(g))
                        continue;
                any = true;
                if (scoped_away(a, rocr_index(a->in, g)))
                        continue;
                if (rules_judge(a->rules, e->name, e->value, g->gfx_target, &v) <= 0)
                        continue;
                k = envaudit_add_evidence(a, v.finding, v.severity, g->pci_slot, path, e->line, detail, v.rule->name, v.reason);
                if (k < 0)
                        return k;
        }
        if (!any) {
                /* No AMD GPU known (offline root, none present): judged without a target. */
                rule_verdict v;

                if (rules_judge(a->rules, e->name, e->value, NULL, &v) > 0)
                        return envaudit_add_evidence(a, v.finding, v.severity, NULL, path, e->line, detail, v.rule->name, v.reason);
        }
        return 0;
}

/*
 * HSA_OVERRIDE_GFX_VERSION_<N>: libhsakmt reads it for KFD topology node N
 * only (docs/DOMAIN.md §8), so it is judged for the GPU at that node, with
 * the rules of the global variable. A node that is no AMD GPU here is never
 * overridden; without KFD (an offline root) it is judged without a target.
 */
static int judge_override_node(envaudit *a, const char *path, const env_entry *e, unsigned long node)
{
        _cleanup_free_ char *detail = setting_detail(a, e, NULL);
        bool kfd_known = false;
        rule_verdict v;

        if (!detail)
                return -ENOMEM;
        for (size_t i = 0; i < a->in->n_devices; i++) {
                const gpu_device *g = &a->in->devices[i];

                if (!envaudit_amd_gpu(g) || g->kfd_node < 0)
                        continue;
                kfd_known = true;
                if ((unsigned long)g->kfd_node != node || scoped_away(a, rocr_index(a->in, g)))
                        continue;
                if (rules_judge(a->rules, override_var, e->value, g->gfx_target, &v) <= 0)
                        return 0;
                return envaudit_add_evidence(a, v.finding, v.severity, g->pci_slot, path, e->line, detail, e->name,
                                             v.reason);
        }
        if (kfd_known || rules_judge(a->rules, e->name, e->value, NULL, &v) <= 0)
                return 0;
        return envaudit_add_evidence(a, v.finding, v.severity, NULL, path, e->line, detail, e->name, v.reason);
}

/* The N of HSA_OVERRIDE_GFX_VERSION_<N>: 1 and *ret when name is that form, else 0. */
static int override_node(const char *name, unsigned long *ret)
{
        const char *suffix = startswith(name, override_var);
        uint64_t n;

        if (!suffix || suffix[0] != '_' || !suffix[1] || strspn(suffix + 1, "0123456789") != strlen(suffix + 1) ||
            safe_atou64(suffix + 1, 10, &n) < 0 || n > INT_MAX)
                return 0;
        *ret = (unsigned long)n;
        return 1;
}

/*
 * A script nothing sources: one piece of env.ineffective evidence for the
 * file, at its first setting a rule knows ("... and N more settings").
 */
int envaudit_judge_by_hand(envaudit *a, const char *path, const env_file *f)
{
        _cleanup_free_ char *detail = NULL, *more = NULL;
        const env_entry *first = NULL;
        size_t n = 0;

        for (size_t i = 0; i < f->n_entries; i++)
                if (rules_find(a->rules, f->entries[i].name)) {
                        first = first ? first : &f->entries[i];
                        n++;
                }
        if (!first)
                return 0;
        if (n > 1 && !(more = strdup_printf(" and %zu more setting%s", n - 1, n > 2 ? "s" : "")))
                return -ENOMEM;
        detail = setting_detail(a, first, more);
        if (!detail)
                return -ENOMEM;
        return envaudit_add_evidence(a, "env.ineffective", SEVERITY_INFO, NULL, path, first->line, detail, NULL, NULL);
}

int envaudit_judge_entry(envaudit *a, const char *path, const env_entry *e)
{
        _cleanup_free_ char *detail = NULL;
        rule_verdict v;

        if (a->ineffective) {
                /* Say it is not read; judge it all the same only when a rule knows the variable. */
                if (!rules_find(a->rules, e->name))
                        return 0;
                detail = setting_detail(a, e, a->ineffective_why);
                if (!detail)
                        return -ENOMEM;
                return envaudit_add_evidence(a, "env.ineffective", SEVERITY_INFO, NULL, path, e->line, detail, NULL, NULL);
        }
        if (streq(e->name, override_var))
                return judge_override(a, path, e);
        if (startswith(e->name, override_var)) {
                unsigned long node;

                /* a suffix that is not a node number is never read by the runtime */
                return override_node(e->name, &node) ? judge_override_node(a, path, e, node) : 0;
        }
        if (rules_judge(a->rules, e->name, e->value, a->gfx, &v) <= 0)
                return 0;
        detail = setting_detail(a, e, NULL);
        if (!detail)
                return -ENOMEM;
        return envaudit_add_evidence(a, v.finding, v.severity, NULL, path, e->line, detail, v.rule->name, v.reason);
}
