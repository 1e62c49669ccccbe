/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner: the inspection's findings → typed actions (plan.h).
 *
 * Findings are matched by id and evidence (path + line, as the inspected
 * system sees them). Environment fixes first (the override is the likeliest
 * cause of crashes), then package files, then unowned files, then the
 * kernel side per kernel. What cannot be done safely is planned as a
 * blocked action that says what to do instead, never guessed.
 */

#include <md5.h>
#include <pwd.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/inspect.h"
#include "recover/debsource.h"
#include "recover/pkgfile.h"
#include "recover/plan.h"
#include "recover/preflight.h"
#include "root/fileops.h"
#include "root/userdrop.h"

#define LINE_MAX_READ (4u * 1024 * 1024)

typedef struct planner {
        inspection *in;
        const plan_options *o;
        plan *p;
        char *passwd;   /* the root's /etc/passwd */
        size_t passwd_len;
        pkgindex pkgs;  /* every packaged path, loaded on first need */
        bool pkgs_loaded;
        secure_boot_state sb; /* the root's Secure Boot state, read on first need */
        bool sb_loaded;
} planner;

#define WALK_MAX_DEPTH 8
#define WALK_MAX_FILES 10000

/* ---- whose file is it ---- */

/*
 * Who acts on path: whoever can rename entries on its way, i.e. the owner
 * of the deepest directory of its chain that root does not own (the passwd
 * home is not consulted: "/home/bob/", a symlinked /home or a home on
 * another mount are all bob's). *ret_uid is 0 when every directory is
 * root's (or ours). The file's own owner is returned too: a user's step refuses a
 * file that is not the user's (executor.c).
 */
static int chain_owner(planner *pl, const char *path, uid_t *ret_uid, uid_t *ret_file_uid)
{
        _cleanup_free_ char *dir = strdup(path);
        struct stat st;
        char *slash;

        if (!dir)
                return -ENOMEM;
        if (sysroot_lstat(pl->in->sr, path, &st) < 0)
                return -ENOENT;
        *ret_file_uid = st.st_uid;
        *ret_uid = 0;
        while ((slash = strrchr(dir, '/')) && slash != dir) {
                *slash = 0;
                /* ours (root, or whoever runs the demo on a copy of their own) needs no drop */
                if (sysroot_lstat(pl->in->sr, dir, &st) >= 0 && S_ISDIR(st.st_mode) && st.st_uid != 0 &&
                    st.st_uid != geteuid()) {
                        *ret_uid = st.st_uid;
                        break;
                }
        }
        return 0;
}

/* The passwd entry of uid: its primary group. */
static bool passwd_gid(planner *pl, uid_t uid, gid_t *ret_gid)
{
        struct passwd *pw;
        bool found = false;
        FILE *f;

        if (!pl->passwd)
                return false;
        f = fmemopen(pl->passwd, pl->passwd_len, "r");
        if (!f)
                return false;
        while ((pw = fgetpwent(f)))
                if (pw->pw_uid == uid) {
                        *ret_gid = pw->pw_gid;
                        found = true;
                        break;
                }
        fclose(f);
        return found;
}

/* The passwd name of uid ("root"), or NULL. */
static char *passwd_name(planner *pl, uid_t uid)
{
        struct passwd *pw;
        char *name = NULL;
        FILE *f;

        if (!pl->passwd)
                return NULL;
        f = fmemopen(pl->passwd, pl->passwd_len, "r");
        if (!f)
                return NULL;
        while ((pw = fgetpwent(f)))
                if (pw->pw_uid == uid) {
                        name = strdup(pw->pw_name);
                        break;
                }
        fclose(f);
        return name;
}

static int block(plan_action *a, const char *fmt, const char *arg);

/*
 * Set a's owner from the file system. Returns 1 when the step is blocked
 * (no such user, or the file is not the directory owner's), 0, < 0 errno.
 */
static int set_owner(planner *pl, plan_action *a, const char *path)
{
        _cleanup_free_ char *why = NULL;
        uid_t uid, file_uid;
        int r;

        r = chain_owner(pl, path, &uid, &file_uid);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || uid == 0)
                return 0; /* a system file (a missing one is reported by the step itself) */
        a->in_home = true;
        a->owner_uid = uid;
        if (!passwd_gid(pl, uid, &a->owner_gid))
                why = strdup_printf("%s is in a directory owned by uid %u, which the root's /etc/passwd does not "
                                    "name: the doctor will not act for an unknown user; change it by hand",
                                    path, (unsigned)uid);
        else if (file_uid != uid)
                why = strdup_printf("%s is owned by uid %u but its directory by uid %u: the file is not changed "
                                    "by either; change it by hand", path, (unsigned)file_uid, (unsigned)uid);
        else
                return 0;
        if (!why || block(a, "%s", why) < 0)
                return -ENOMEM;
        return 1;
}

static int set_str(char **field, const char *v)
{
        if (!v)
                return 0;
        *field = strdup(v);
        return *field ? 0 : -ENOMEM;
}

static bool action_exists(const plan *p, action_type t, const char *path, unsigned line, const char *kernel)
{
        for (size_t i = 0; i < p->n_actions; i++) {
                const plan_action *a = &p->actions[i];

                if (a->type == t && streq_ptr(a->path, path) && a->line == line && streq_ptr(a->kernel, kernel))
                        return true;
        }
        return false;
}

static int block(plan_action *a, const char *fmt, const char *arg)
{
        if (a->blocked)
                return 0; /* the first reason stands */
        a->blocked = true;
        a->blocked_reason = strdup_printf(fmt, arg);
        return a->blocked_reason ? 0 : -ENOMEM;
}

/* ---- disable-env-line ---- */

/* Text of line n (1-based) of buf, without the newline; NULL when absent. */
static char *line_of(const char *buf, size_t len, unsigned n)
{
        const char *p = buf, *end = buf + len;

        for (unsigned i = 1; p < end; i++) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;

                if (i == n)
                        return strndup(p, (size_t)(e - p));
                if (!nl)
                        break;
                p = nl + 1;
        }
        return NULL;
}

/*
 * Read the file the step will change the way the executor opens it: the
 * parent through the root (beneath the home, without symlinks, for a home
 * file) and no symlink as the last component, so the plan never quotes a
 * line of the file a link points to (~/.bashrc -> /etc/shadow).
 */
static int read_no_symlink(planner *pl, const plan_action *a, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *base = NULL;
        int r;

        if (a->in_home) {
                user_ids u;

                r = user_ids_load(pl->in->sr, a->owner_uid, &u);
                if (r < 0)
                        return r;
                r = fo_path_in_home(u.home, path) ? fo_open_parent_in_home(pl->in->sr, u.home, path, &dirfd, &base)
                                                  : fo_open_parent_nofollow(pl->in->sr, path, &dirfd, &base);
                user_ids_clear(&u);
        } else
                r = fo_open_parent(pl->in->sr, path, &dirfd, &base);
        if (r < 0)
                return r;
        fd = fo_open_regular(dirfd, base, NULL);
        if (fd < 0)
                return fd;
        return read_fd_capped(fd, LINE_MAX_READ, ret, ret_len);
}

/*
 * A file the audit read only through a user's start-up files (their
 * `source` chain) is changed only when that user owns it, by that user
 * (docs/SECURITY.md, 3): alice's `. /usr/local/bin/wrap.sh` must not make
 * root edit a system script, nor bob's file be changed because alice sources
 * it. A non-root run (the demo on a copy of one's own) acts only on its own
 * files anyway. Returns 1 when blocked, 0, -ENOMEM.
 */
static int check_reached_from(planner *pl, plan_action *a, const evidence *e)
{
        _cleanup_free_ char *owner = NULL, *user = NULL, *why = NULL;
        struct stat st;

        if (!e->user_chain || a->blocked || sysroot_lstat(pl->in->sr, e->path, &st) < 0)
                return 0; /* a system source, blocked already, or gone: the read below says so */
        /* theirs in a directory of theirs (run as them), or root's own file in root's scope */
        if (a->in_home ? a->owner_uid == e->chain_uid : st.st_uid == e->chain_uid && e->chain_uid == 0)
                return 0;
        if (geteuid() != 0 && !a->in_home && st.st_uid == geteuid())
                return 0; /* a non-root run on a copy of its own */
        owner = passwd_name(pl, st.st_uid);
        user = passwd_name(pl, e->chain_uid);
        why = strdup_printf("not changed: owned by %s (uid %u), and only the start-up files of %s (uid %u) source "
                            "it; a file reached that way is changed only when that user owns it. Manual step: as "
                            "%s, comment out line %u of %s if the setting should go for everyone who uses the file, "
                            "or remove the line that sources it from the start-up file of %s (the finding's evidence "
                            "shows the chain)",
                            owner ? owner : "an account the root's /etc/passwd does not name", (unsigned)st.st_uid,
                            user ? user : "a user", (unsigned)e->chain_uid, owner ? owner : "its owner", e->line,
                            e->path, user ? user : "that user");
        if (!why || block(a, "%s", why) < 0)
                return -ENOMEM;
        return 1;
}

static int plan_env_line(planner *pl, const finding *f, const evidence *e)
{
        _cleanup_free_ char *buf = NULL, *text = NULL;
        bool preload = streq(e->path, "/etc/ld.so.preload");
        plan_action *a;
        size_t len;
        int r;

        if (action_exists(pl->p, ACTION_DISABLE_ENV_LINE, e->path, e->line, NULL))
                return 0;
        a = plan_add(pl->p, ACTION_DISABLE_ENV_LINE, f->id);
        if (!a || set_str(&a->path, e->path) < 0 || plan_action_add_touch(a, e->path) < 0)
                return -ENOMEM;
        a->line = e->line;
        r = set_owner(pl, a, e->path);
        if (r >= 0)
                r = check_reached_from(pl, a, e);
        if (r < 0)
                return r;
        if (pl->o && pl->o->system_only && a->in_home && !a->blocked)
                return block(a, "%s is in a user's home; --system-only leaves homes alone", e->path);
        /* ld.so reads every word of ld.so.preload as a library: a '#' line would be one too */
        a->why = strdup_printf("%s: %s line %u %s (%s)", f->id, e->path, e->line,
                               preload ? "preloads a library into every process" : "sets what the finding reports",
                               e->detail ? e->detail : f->title);
        a->undo = strdup(preload ? "the line is removed; rollback puts the journal's backup of the file back"
                                 : "the line is commented out ('# '); rollback puts the journal's backup of the file back");
        if (!a->why || !a->undo)
                return -ENOMEM;
        if (endswith(e->path, ".json"))
                return block(a, "%s is JSON (a Jupyter kernel.json): it has no comments; remove the setting by hand",
                             e->path);
        r = read_no_symlink(pl, a, e->path, &buf, &len);
        if (r == -ELOOP)
                return block(a, "%s is a symbolic link: the file it points to is not changed through it; "
                                "edit the target by hand", e->path);
        if (r < 0)
                return block(a, "cannot read %s now", e->path);
        text = line_of(buf, len, e->line);
        if (!text)
                return block(a, "%s has no such line any more", e->path);
        if (memchr(buf, '\0', len))
                return block(a, "%s holds NUL bytes; edit it by hand", e->path);
        if (endswith(text, "\\"))
                return block(a, "the setting in %s continues on the next line; commenting one line out would "
                                "change the meaning of the next: edit it by hand", e->path);
        a->line_text = TAKE_PTR(text);
        /* what the change does not do by itself */
        if (startswith(e->path, "/etc/systemd/") &&
            plan_add_note(pl->p, "systemd units keep their old environment until 'systemctl daemon-reload' "
                                 "and a restart of the service") < 0)
                return -ENOMEM;
        if (strstr(e->path, "/.config/systemd/user/") &&
            plan_add_note(pl->p, "user services keep their old environment until 'systemctl --user "
                                 "daemon-reload' and a restart of the service") < 0)
                return -ENOMEM;
        return plan_add_note(pl->p, "sessions that are already open keep the old environment: log out and in "
                                    "again (or reboot)");
}

/* ---- restore-file ---- */

/* FILE.orig & co. next to the file, verified like any other source. */
static int find_backup_source(planner *pl, const char *path, const char *md5, char **ret, uint64_t *ret_size)
{
        static const char *const suffixes[] = {".orig", ".bak", ".dpkg-old", "~"};

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *cand = strdup_printf("%s%s", path, suffixes[i]);
                _cleanup_free_ char *buf = NULL;
                char got[33];
                size_t len;

                if (!cand)
                        return -ENOMEM;
                if (sysroot_read_file(pl->in->sr, cand, 0, &buf, &len) < 0)
                        continue;
                MD5Data((const uint8_t *)buf, len, got);
                if (streq(got, md5)) {
                        *ret = TAKE_PTR(cand);
                        *ret_size = len;
                        return 1;
                }
        }
        return 0;
}

/* Booted for repair ("recovery", "single", a rescue or emergency target): dpkg's maintainer scripts are not run then. */
static bool recovery_boot(planner *pl)
{
        static const char *const words[] = {"recovery", "single", "s", "S", "1", "systemd.unit=rescue.target",
                                            "systemd.unit=emergency.target", "emergency"};
        _cleanup_free_ char *buf = NULL;
        size_t len;

        if (sysroot_read_file(pl->in->sr, "/proc/cmdline", 64 * 1024, &buf, &len) < 0)
                return false;
        for (char *save = NULL, *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                for (size_t i = 0; i < ELEMENTSOF(words); i++)
                        if (streq(w, words[i]))
                                return true;
        return false;
}

/*
 * A packaged path with no md5sum to check one file against (a symlink, a
 * package shipped without md5sums): the cached .deb of the installed
 * version, reinstalled whole by dpkg, is the way back. One step per
 * package; irreversible (maintainer scripts run), never on a repair boot.
 * Returns 1 when planned (or already), 0 when there is no such .deb.
 */
static int plan_reinstall(planner *pl, const finding *f, const char *path, const pkgfile *pf)
{
        _cleanup_free_ char *deb = NULL, *other_build = NULL;
        uint64_t size = 0;
        plan_action *a;
        int r;

        for (size_t i = 0; i < pl->p->n_actions; i++) {
                a = &pl->p->actions[i];
                if (a->type == ACTION_REINSTALL_PACKAGE && streq_ptr(a->package, pf->package))
                        return plan_action_add_touch(a, path) < 0 ? -ENOMEM : 1;
        }
        r = deb_find_clean_source(pl->in->sr, pf->package, pf->version, pf->arch, NULL, NULL, &deb, &size, NULL);
        if (r <= 0)
                return r;
        if (pf->md5sums_path) {
                r = deb_md5sums_differ(pl->in->sr, deb, pf->md5sums_path, &other_build);
                if (r < 0 && r != -ENOMEM)
                        r = (other_build = strdup_printf("%s: its md5sums cannot be read (%s)", deb, strerror(-r)))
                                    ? 1 : -ENOMEM;
                if (r < 0)
                        return r;
        }
        a = plan_add(pl->p, ACTION_REINSTALL_PACKAGE, f->id);
        if (!a || set_str(&a->package, pf->package) < 0 || set_str(&a->version, pf->version) < 0 ||
            set_str(&a->arch, pf->arch) < 0 || plan_action_add_touch(a, path) < 0)
                return -ENOMEM;
        a->source = SOURCE_DEB;
        a->source_path = TAKE_PTR(deb);
        a->why = strdup_printf("%s: %s differs from package %s %s, which lists no md5sum for it: dpkg reinstalls "
                               "the package from its cached .deb", f->id, path, pf->package, pf->version ?: "");
        a->undo = strdup("none: dpkg runs the package's maintainer scripts (irreversible); the journal keeps a copy "
                         "of each changed file it replaces");
        if (!a->why || !a->undo)
                return -ENOMEM;
        if (other_build) {
                /* the same Version rebuilt elsewhere: which build is the clean one is not ours to guess */
                _cleanup_free_ char *why = strdup_printf("%s: it is another build of %s %s than the installed one; "
                                                         "reinstall the build you trust by hand", other_build,
                                                         a->package, a->version ?: "");

                return !why || block(a, "%s", why) < 0 ? -ENOMEM : 1;
        }
        if (recovery_boot(pl))
                return block(a, "reinstalling %s runs its maintainer scripts, which is not done on a recovery "
                                "boot: run rdna1-doctor --recover again after a normal boot", a->package) < 0 ? -ENOMEM : 1;
        return 1;
}

static int plan_restore(planner *pl, const finding *f, const char *path)
{
        _cleanup_free_ char *rejected = NULL;
        pkgfile pf = {0};
        plan_action *a;
        int r;

        if (action_exists(pl->p, ACTION_RESTORE_FILE, path, 0, NULL))
                return 0;
        r = pkgfile_lookup(pl->in->sr, path, &pf);
        if (r < 0)
                return r;
        if (r == 0)
                return plan_add_note(pl->p, "%s: %s is not a packaged file; nothing to restore it from", f->id, path);
        if (!pf.md5) {
                r = plan_reinstall(pl, f, path, &pf);
                if (r != 0) {
                        pkgfile_clear(&pf);
                        return r < 0 ? r : 0;
                }
        }
        a = plan_add(pl->p, ACTION_RESTORE_FILE, f->id);
        if (!a || set_str(&a->path, path) < 0 || plan_action_add_touch(a, path) < 0 ||
            set_str(&a->package, pf.package) < 0 || set_str(&a->version, pf.version) < 0 ||
            set_str(&a->arch, pf.arch) < 0 || set_str(&a->expected_md5, pf.md5) < 0) {
                pkgfile_clear(&pf);
                return -ENOMEM;
        }
        pkgfile_clear(&pf);
        a->why = strdup_printf("%s: %s differs from package %s %s", f->id, path, a->package,
                               a->version ? a->version : "");
        a->undo = strdup("rollback puts the journal's backup of the modified file back");
        if (!a->why || !a->undo)
                return -ENOMEM;
        if (!a->expected_md5)
                return block(a, "package %s lists no md5sum for the file: 'apt-get install --reinstall' it once online",
                             a->package);
        r = deb_find_clean_source(pl->in->sr, a->package, a->version, a->arch, path, a->expected_md5,
                                  &a->source_path, &a->expected_size, &rejected);
        if (r < 0)
                return r;
        if (r > 0) {
                a->source = SOURCE_DEB;
                return set_str(&a->member, path);
        }
        r = find_backup_source(pl, path, a->expected_md5, &a->source_path, &a->expected_size);
        if (r < 0)
                return r;
        if (r > 0) {
                a->source = SOURCE_BACKUP;
                return 0;
        }
        a->source = SOURCE_NONE;
        a->blocked = true;
        a->blocked_reason = strdup_printf("no clean copy verifies against the md5sums of %s%s%s; run "
                                          "'apt-get install --reinstall %s' once online",
                                          a->package, rejected ? " (" : "", rejected ? rejected : "", a->package);
        if (a->blocked_reason && rejected) {
                /* put the closing parenthesis after the rejection reason */
                free(a->blocked_reason);
                a->blocked_reason = strdup_printf("no clean copy verifies against the md5sums of %s (%s); run "
                                                  "'apt-get install --reinstall %s' once online",
                                                  a->package, rejected, a->package);
        }
        return a->blocked_reason ? 0 : -ENOMEM;
}

/* ---- quarantine ---- */

static int load_pkgs(planner *pl)
{
        int r;

        if (pl->pkgs_loaded)
                return 0;
        r = pkgindex_load(pl->in->sr, &pl->pkgs);
        if (r < 0)
                return r;
        pl->pkgs_loaded = true;
        return 0;
}

static int plan_quarantine_file(planner *pl, const finding *f, const char *path);

/*
 * A directory of unowned files (untarred Tensile libraries): each regular
 * file in it that no package lists, bounded in depth and count.
 */
static int plan_quarantine_dir(planner *pl, const finding *f, const char *dir, unsigned depth, size_t *count)
{
        char **names = NULL;
        size_t n = 0;
        bool truncated = false;
        int r;

        r = sysroot_list_dir(pl->in->sr, dir, WALK_MAX_FILES, &names, &n, &truncated);
        if (r < 0)
                return plan_add_note(pl->p, "%s: cannot list %s (%s)", f->id, dir, strerror(-r));
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, names[i]);
                struct stat st;

                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                if (sysroot_lstat(pl->in->sr, p, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        if (depth + 1 >= WALK_MAX_DEPTH)
                                r = plan_add_note(pl->p, "%s: %s is deeper than %d levels: not walked", f->id, p,
                                                  WALK_MAX_DEPTH);
                        else
                                r = plan_quarantine_dir(pl, f, p, depth + 1, count);
                } else if (S_ISREG(st.st_mode) && !pkgindex_contains(&pl->pkgs, p)) {
                        if (++*count > WALK_MAX_FILES) {
                                r = plan_add_note(pl->p, "%s: more than %d unowned files under %s; the rest is "
                                                         "left for a later run", f->id, WALK_MAX_FILES, dir);
                                break;
                        }
                        r = plan_quarantine_file(pl, f, p);
                }
        }
        if (r >= 0 && truncated)
                r = plan_add_note(pl->p, "%s: %s has more than %d entries; only the first were planned", f->id, dir,
                                  WALK_MAX_FILES);
        strv_free_array(names);
        return r;
}

static int plan_quarantine(planner *pl, const finding *f, const char *path)
{
        struct stat st;
        size_t count = 0;
        int r;

        r = load_pkgs(pl);
        if (r < 0)
                return r;
        if (sysroot_lstat(pl->in->sr, path, &st) < 0)
                return plan_add_note(pl->p, "%s: %s is gone", f->id, path);
        if (S_ISDIR(st.st_mode))
                return plan_quarantine_dir(pl, f, path, 0, &count);
        if (!S_ISREG(st.st_mode))
                return plan_add_note(pl->p, "%s: %s is not a regular file; move it by hand", f->id, path);
        if (pkgindex_contains(&pl->pkgs, path))
                return plan_restore(pl, f, path); /* package files are restored, never quarantined */
        return plan_quarantine_file(pl, f, path);
}

static int plan_quarantine_file(planner *pl, const finding *f, const char *path)
{
        plan_action *a;
        int r;

        if (action_exists(pl->p, ACTION_QUARANTINE, path, 0, NULL))
                return 0;
        a = plan_add(pl->p, ACTION_QUARANTINE, f->id);
        if (!a || set_str(&a->path, path) < 0 || plan_action_add_touch(a, path) < 0)
                return -ENOMEM;
        a->why = strdup_printf("%s: %s is not from any package", f->id, path);
        a->undo = strdup("rollback moves the file back from the quarantine (or the journal's backup)");
        if (!a->why || !a->undo)
                return -ENOMEM;
        r = set_owner(pl, a, path);
        if (r != 0)
                return r < 0 ? r : 0;
        if (pl->o && pl->o->system_only && a->in_home)
                return block(a, "%s is in a user's home; --system-only leaves homes alone", path);
        return 0;
}

/* ---- kernel side ---- */

/*
 * Rebuild or in-tree for one kernel, decided exactly as the preflight gate
 * will decide it before execution (headers, compiler, dkms, Secure Boot and
 * an enrolled key), so the printed plan is the plan that runs.
 */
static int assess_kernel(planner *pl, const char *kernel, preflight_kernel *ret)
{
        bool in_tree = pl->o && pl->o->in_tree;
        int r;

        if (!pl->sb_loaded) {
                r = secure_boot_probe(pl->in->sr, pl->in->sr->is_host, &pl->sb);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        pl->sb = (secure_boot_state){.state = SECURE_BOOT_UNKNOWN};
                pl->sb_loaded = true;
        }
        return preflight_kernel_assess(pl->in->sr, kernel, in_tree, &pl->sb, ret);
}

static int plan_kernel(planner *pl, const finding *f, const dkms_build *b)
{
        _cleanup_(preflight_kernel_clear) preflight_kernel pk = {0};
        bool in_tree;
        plan_action *a;
        action_type t;
        int r;

        if (!b->kernel)
                return 0;
        r = assess_kernel(pl, b->kernel, &pk);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* a kernel name dkms would not accept either: nothing to plan */
        in_tree = pk.choice != KERNEL_CHOICE_REBUILD;
        if (in_tree && !(pl->o && pl->o->in_tree) && pk.reason &&
            plan_add_note(pl->p, "%s: %s", b->kernel, pk.reason) < 0)
                return -ENOMEM;
        t = in_tree ? ACTION_DKMS_REMOVE : ACTION_DKMS_REBUILD;
        if (action_exists(pl->p, t, NULL, 0, b->kernel))
                return 0;
        a = plan_add(pl->p, t, f->id);
        if (!a || set_str(&a->kernel, b->kernel) < 0 || set_str(&a->dkms_module, b->module) < 0 ||
            set_str(&a->dkms_version, b->version) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < b->n_module_files; i++)
                if (plan_action_add_touch(a, b->module_files[i]) < 0)
                        return -ENOMEM;
        {
                _cleanup_free_ char *updates = strdup_printf("/lib/modules/%s/updates/dkms", b->kernel);

                if (!updates || plan_action_add_touch(a, updates) < 0)
                        return -ENOMEM;
        }
        if (in_tree) {
                a->why = strdup_printf("%s: remove DKMS %s %s from %s so the in-tree amdgpu loads", f->id, b->module,
                                       b->version, b->kernel);
                a->undo = strdup("rollback puts the journal's backup of the kernel's modules back and runs depmod");
        } else {
                a->why = strdup_printf("%s: rebuild DKMS %s %s for %s from the clean source", f->id, b->module,
                                       b->version, b->kernel);
                a->undo = strdup("a failed build restores the kernel's previous modules; rollback does the same");
        }
        if (!a->why || !a->undo)
                return -ENOMEM;
        if (pk.choice == KERNEL_CHOICE_NONE)
                return block(a, "%s", pk.reason ? pk.reason : "neither a rebuild nor the in-tree driver is safe");
        pl->p->reboot_required = true;

        if (action_exists(pl->p, ACTION_UPDATE_INITRAMFS, NULL, 0, b->kernel))
                return 0;
        a = plan_add(pl->p, ACTION_UPDATE_INITRAMFS, f->id);
        if (!a || set_str(&a->kernel, b->kernel) < 0)
                return -ENOMEM;
        {
                _cleanup_free_ char *img = strdup_printf("/boot/initrd.img-%s", b->kernel);

                if (!img || plan_action_add_touch(a, img) < 0)
                        return -ENOMEM;
        }
        a->why = strdup_printf("the initramfs of %s must hold the clean amdgpu (update-initramfs -u -k %s)",
                               b->kernel, b->kernel);
        a->undo = strdup("rollback puts the journal's backup of the initramfs back");
        return a->why && a->undo ? 0 : -ENOMEM;
}

static int plan_kernels(planner *pl, const finding *f)
{
        if (!pl->in->dkms)
                return 0;
        for (size_t i = 0; i < pl->in->dkms->n_builds; i++) {
                const dkms_build *b = &pl->in->dkms->builds[i];
                int r;

                if (!streq_ptr(b->module, "amdgpu") || !b->kernel)
                        continue;
                r = plan_kernel(pl, f, b);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- findings → actions ---- */

static bool is_env_finding(const char *id)
{
        return streq(id, "env.override-gfx") || streq(id, "env.override-invalid") || streq(id, "env.hang-risk") ||
               streq(id, "runtime.preload");
}

static bool is_kernel_module_finding(const char *id)
{
        return streq(id, "kernel.patched-source") || streq(id, "kernel.patched-build") ||
               streq(id, "kernel.patched-installed") || streq(id, "kernel.patched-initramfs") ||
               streq(id, "kernel.patched-loaded");
}

static int plan_finding(planner *pl, const finding *f)
{
        int r = 0;

        if (is_env_finding(f->id)) {
                for (size_t i = 0; r >= 0 && i < f->n_evidence; i++) {
                        const evidence *e = &f->evidence[i];

                        if (e->path && e->line > 0)
                                r = plan_env_line(pl, f, e);
                }
                return r;
        }
        if (streq(f->id, "runtime.modified") || streq(f->id, "kernel.patched-source") ||
            streq(f->id, "kernel.source-modified")) {
                for (size_t i = 0; r >= 0 && i < f->n_evidence; i++) {
                        const evidence *e = &f->evidence[i];

                        if (!e->path)
                                continue;
                        /* a PATCH[] line in /etc/dkms/amdgpu*.conf: not packaged, comment it out */
                        if (startswith(e->path, "/etc/dkms/") && e->line > 0)
                                r = plan_env_line(pl, f, e);
                        else if (startswith(e->path, "/usr/src/") || startswith(e->path, "/opt/") ||
                                 startswith(e->path, "/usr/lib/") || streq(f->id, "runtime.modified"))
                                r = plan_restore(pl, f, e->path);
                }
                if (r >= 0 && is_kernel_module_finding(f->id))
                        r = plan_kernels(pl, f);
                return r;
        }
        if (is_kernel_module_finding(f->id))
                return plan_kernels(pl, f);
        if (streq(f->id, "runtime.unowned") || streq(f->id, "python.startup-hook")) {
                for (size_t i = 0; r >= 0 && i < f->n_evidence; i++)
                        if (f->evidence[i].path)
                                r = plan_quarantine(pl, f, f->evidence[i].path);
                return r;
        }
        if (f->fixable && f->severity != SEVERITY_INFO)
                return plan_add_note(pl->p, "%s: no automatic action; %s", f->id, f->fix ? f->fix : f->title);
        return 0;
}

int plan_build(inspection *in, const plan_options *o, plan **ret)
{
        planner pl = {.in = in, .o = o};
        int r = 0;

        pl.p = plan_new(in->sr->path);
        if (!pl.p)
                return -ENOMEM;
        pl.p->in_tree = o && o->in_tree;
        if (sysroot_read_file(in->sr, "/etc/passwd", 0, &pl.passwd, &pl.passwd_len) < 0)
                pl.passwd = NULL;
        for (size_t i = 0; r >= 0 && i < in->report->n_findings; i++)
                r = plan_finding(&pl, &in->report->findings[i]);
        free(pl.passwd);
        pkgindex_clear(&pl.pkgs);
        secure_boot_state_clear(&pl.sb);
        if (r < 0) {
                plan_free(pl.p);
                return r;
        }
        plan_sort(pl.p);
        r = plan_record_files(in->sr, pl.p);
        if (r < 0) {
                plan_free(pl.p);
                return r;
        }
        *ret = pl.p;
        return 0;
}
