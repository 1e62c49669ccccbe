/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "recover/kernel_tx.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base/md5io.h"
#include "base/path.h"
#include "base/spawn_cmd.h"
#include "base/util.h"
#include "parse/initramfs.h"
#include "parse/ko_scan.h"
#include "parse/module_sig.h"

#define BUILD_TIMEOUT_MS (60u * 60 * 1000)
#define CMD_TIMEOUT_MS (10u * 60 * 1000)
#define SOURCE_MAX (16u * 1024 * 1024)

typedef struct tx {
        const kernel_tx_options *o;
        kernel_tx_result *res;
        char arch[65];
        char *updates_dir;      /* /lib/modules/K/updates/dkms */
        char *module_dir;       /* /var/lib/dkms/M/V/K/ARCH/module */
        char *initrd;           /* /boot/initrd.img-K */
        char *source_dir;       /* /usr/src/M-V */
        char *links[2];         /* the DKMS tree's /var/lib/dkms/M/kernel-K-ARCH and M/V/source */
        const char *running;    /* the command under way ("dkms build"), for progress lines */
        bool had_initrd;
        strv before;            /* files backed up into the journal */
        strv created;           /* files the step created (rollback removes them) */
        strv patched_ids;       /* build-ids of patched builds: given, and found in the backups */
        strv patched_srcversions;
        char *in_tree_build_id;
} tx;

static void tx_clear(tx *t)
{
        free(t->updates_dir);
        free(t->module_dir);
        free(t->initrd);
        free(t->source_dir);
        free(t->in_tree_build_id);
        free(t->links[0]);
        free(t->links[1]);
        strv_clear(&t->before);
        strv_clear(&t->created);
        strv_clear(&t->patched_ids);
        strv_clear(&t->patched_srcversions);
}

/* Record the first failure; returns -EIO so callers can `return fail(...)`. */
_printf_(2, 3) static int fail(tx *t, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (t->res->error)
                return -EIO;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        t->res->error = s ? s : strdup("out of memory");
        return -EIO;
}

/* ---- commands ---- */

static void on_child(pid_t pid, void *userdata)
{
        tx *t = userdata;

        (void)journal_set_child(t->o->j, t->o->step, pid);
}

static void progress(const tx *t, const char *fmt, ...) _printf_(2, 3);
static void progress(const tx *t, const char *fmt, ...)
{
        _cleanup_free_ char *line = NULL, *full = NULL;
        va_list ap;
        int n;

        if (!t->o->on_progress)
                return;
        va_start(ap, fmt);
        n = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        full = strdup_printf("step %zu: %s", t->o->step + 1, line);
        if (full)
                t->o->on_progress(full, t->o->progress_userdata);
}

static void on_tick(unsigned elapsed_ms, void *userdata)
{
        const tx *t = userdata;

        progress(t, "%s for %s: still running (%u min)", t->running, t->o->kernel, elapsed_ms / 60000u);
}

/* Run argv with its output and status in the journal. Returns 0 when it exited 0. */
static int run_cmd(tx *t, const char *const *argv, unsigned timeout_ms, const char *what)
{
        _cleanup_free_ char *name = NULL, *how = NULL;
        _cleanup_close_ int out = -EBADF;
        spawn_options so = {.argv = argv, .timeout_ms = timeout_ms, .on_start = on_child, .userdata = t,
                            .on_tick = on_tick, .tick_ms = t->o->on_progress ? KERNEL_TX_PROGRESS_MS : 0};
        spawn_result sres;
        int r;

        r = journal_command_output(t->o->j, t->o->step, &out, &name);
        if (r < 0)
                return fail(t, "%s: cannot create its log in the journal (%s)", what, strerror(-r));
        so.output_fd = out;
        t->running = what;
        progress(t, "%s for %s: running (at most %u min)", what, t->o->kernel, (timeout_ms + 59999u) / 60000u);
        r = spawn_run(&so, &sres);
        (void)journal_set_child(t->o->j, t->o->step, 0);
        if (r < 0) {
                (void)journal_record_command(t->o->j, t->o->step, argv, r, name);
                return fail(t, "%s: cannot start %s (%s)", what, argv[0], strerror(-r));
        }
        (void)fsync(out);
        r = journal_record_command(t->o->j, t->o->step, argv, spawn_result_wait_status(&sres), name);
        if (r < 0)
                return fail(t, "%s: cannot record it in the journal (%s)", what, strerror(-r));
        if (spawn_result_ok(&sres))
                return 0;
        how = spawn_result_describe(&sres);
        return fail(t, "%s failed (%s; output in the journal, %s)", what, how ? how : "?", name);
}

/* ---- backups ---- */

static int backup_one(tx *t, const char *path)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strv_contains(&t->before, path))
                return 0;
        fd = sysroot_open_regular(t->o->sr, path);
        if (fd < 0)
                return fail(t, "cannot open %s for its backup (%s)", path, strerror(-fd));
        r = journal_backup_fd(t->o->j, t->o->step, path, fd, NULL);
        if (r < 0)
                return fail(t, "cannot back up %s into the journal (%s)", path, strerror(-r));
        return strv_push_dup(&t->before, path) < 0 ? fail(t, "out of memory") : 0;
}

/* Regular files directly in dir (absent dir: none). */
static int list_files(tx *t, const char *dir, strv *ret)
{
        char **names = NULL;
        size_t n = 0;
        int r;

        r = sysroot_list_dir(t->o->sr, dir, 4096, &names, &n, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return fail(t, "cannot list %s (%s)", dir, strerror(-r));
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, names[i]);
                struct stat st;

                if (!p)
                        r = -ENOMEM;
                else if (sysroot_lstat(t->o->sr, p, &st) >= 0 && S_ISREG(st.st_mode))
                        r = strv_push(ret, TAKE_PTR(p));
        }
        strv_free_array(names);
        return r < 0 ? fail(t, "out of memory") : 0;
}

static int backup_initrd(tx *t)
{
        struct stat st;

        t->had_initrd = sysroot_lstat(t->o->sr, t->initrd, &st) >= 0 && S_ISREG(st.st_mode);
        return t->had_initrd ? backup_one(t, t->initrd) : 0;
}

/*
 * dkms keeps a module's state in links, not files: kernel-K-ARCH says
 * "installed" for that kernel, V/source that the version is added, and
 * `dkms remove` of its last kernel deletes both. They are journaled as
 * links, so a rollback leaves dkms saying what it said before. One that is
 * absent is noted absent now, before any command can make it: a crash
 * between dkms making it and a later record cannot pass it off as older.
 */
static int backup_links(tx *t)
{
        for (size_t i = 0; i < ELEMENTSOF(t->links); i++) {
                _cleanup_free_ char *target = NULL;
                const char *p = t->links[i];
                int r;

                if (strv_contains(&t->before, p) || strv_contains(&t->created, p))
                        continue; /* a resumed step: its first record stands */
                r = sysroot_readlink(t->o->sr, p, &target);
                if (r == -ENOENT) {
                        r = journal_note_absent(t->o->j, t->o->step, p);
                        if (r < 0)
                                return fail(t, "cannot record %s in the journal (%s)", p, strerror(-r));
                        if (strv_push_dup(&t->created, p) < 0)
                                return fail(t, "out of memory");
                        continue;
                }
                if (r == -EINVAL)
                        continue; /* not a link (a source directory): dkms's own, left alone */
                if (r < 0)
                        return fail(t, "cannot read the link %s (%s)", p, strerror(-r));
                r = journal_backup_link(t->o->j, t->o->step, p, target);
                if (r < 0)
                        return fail(t, "cannot record the link %s in the journal (%s)", p, strerror(-r));
                if (strv_push_dup(&t->before, p) < 0)
                        return fail(t, "out of memory");
        }
        return 0;
}

static int backup_all(tx *t)
{
        const char *dirs[] = {t->updates_dir, t->module_dir};
        int r;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(strv_clear) strv files = {0};

                r = list_files(t, dirs[i], &files);
                for (size_t k = 0; r >= 0 && k < files.n; k++)
                        if (!strv_contains(&t->created, files.items[k]))
                                r = backup_one(t, files.items[k]);
                if (r < 0)
                        return r;
        }
        r = backup_links(t);
        return r < 0 ? r : backup_initrd(t);
}

/* Files that appeared since the backups: the step made them, rollback removes them. */
static int note_created(tx *t)
{
        const char *dirs[] = {t->updates_dir, t->module_dir};
        int r;

        if (t->o->initramfs_only)
                return 0; /* only the initramfs is this step's; the module directories are not */

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(strv_clear) strv files = {0};

                r = list_files(t, dirs[i], &files);
                for (size_t k = 0; r >= 0 && k < files.n; k++) {
                        const char *p = files.items[k];

                        if (strv_contains(&t->before, p) || strv_contains(&t->created, p))
                                continue;
                        r = journal_note_absent(t->o->j, t->o->step, p);
                        if (r < 0)
                                return fail(t, "cannot record %s in the journal (%s)", p, strerror(-r));
                        if (strv_push_dup(&t->created, p) < 0)
                                return fail(t, "out of memory");
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What is at path now: "" when nothing, a link's md5 of its target, a regular file's of its content. */
static int path_md5(const sysroot *sr, const char *path, char md5[33])
{
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        md5[0] = '\0';
        r = sysroot_readlink(sr, path, &target);
        if (r >= 0) {
                md5_buf(target, strlen(target), md5);
                return 0;
        }
        if (r == -ENOENT)
                return 0;
        fd = sysroot_open_regular(sr, path);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        return md5_copy_fd(fd, -1, md5, NULL);
}

static int record_after_one(tx *t, const char *path)
{
        char md5[33];
        int r;

        r = path_md5(t->o->sr, path, md5);
        if (r < 0)
                return fail(t, "cannot hash %s (%s)", path, strerror(-r));
        r = journal_record_after(t->o->j, t->o->step, path, md5);
        return r < 0 ? fail(t, "cannot record %s in the journal (%s)", path, strerror(-r)) : 0;
}

static int record_after(tx *t)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < t->before.n; i++)
                r = record_after_one(t, t->before.items[i]);
        for (size_t i = 0; r >= 0 && i < t->created.n; i++)
                r = record_after_one(t, t->created.items[i]);
        return r;
}

/* ---- putting a kernel back ---- */

/* Open (creating as needed, 0755 root) the directory path inside the root. */
static int open_dir_p(const sysroot *sr, const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        fd = fcntl(sr->dirfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;

                if (streq(c, "..") || streq(c, "."))
                        return -EINVAL;
                next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (next < 0) {
                        /* A symlinked component (/lib -> usr/lib): resolve it inside the root. */
                        _cleanup_free_ char *upto = NULL;

                        if (errno != ENOTDIR && errno != ELOOP)
                                return -errno;
                        upto = strndup(path, (size_t)(c - copy) + strlen(c));
                        if (!upto)
                                return -ENOMEM;
                        next = sysroot_openat(sr, upto, O_PATH | O_DIRECTORY);
                        if (next < 0)
                                return next;
                }
                close(fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

/* The writable directory that will hold path (made as needed, 0755) and path's last component. */
static int open_parent_dir(tx *t, const char *path, int *ret_dirfd, char **ret_base)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;
        dfd = open_dir_p(t->o->sr, dir);
        if (dfd < 0)
                return dfd;
        /* An O_PATH fd cannot create entries: reopen the directory itself. */
        *ret_dirfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*ret_dirfd < 0)
                return -errno;
        *ret_base = TAKE_PTR(base);
        return 0;
}

/*
 * Put one journaled file back through the one restore path (root/fileops.h
 * fo_restore: a temp file beside it with the backup's content, verified
 * against its hash, the recorded owner, mode and times and the backup's
 * xattrs, fsynced, renamed over whatever is there, the directory fsynced;
 * fault points "temp-written" and "replaced"), or a symlink to its target.
 */
static int put_back(tx *t, const journal_file *f)
{
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dir = -EBADF, in = -EBADF;
        fo_meta meta = {.mode = f->mode, .uid = f->uid, .gid = f->gid, .atime = f->atime, .mtime = f->mtime};
        int r;

        r = open_parent_dir(t, f->path, &dir, &base);
        if (r < 0)
                return r;
        if (f->link_target)
                return fo_restore_link(dir, base, f->link_target);
        in = journal_open_backup(t->o->j, f);
        if (in < 0)
                return in;
        meta.xattr_from_fd = in;
        return fo_restore(dir, base, in, f->md5, &meta);
}

static int remove_file(tx *t, const char *path)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;
        dfd = sysroot_openat(t->o->sr, dir, O_RDONLY | O_DIRECTORY);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
                return -errno;
        return fsync_dirfd(dfd);
}

/*
 * The temp file a restore killed before its rename left beside path (a
 * symlink's is replaced when the link is restored). A restore writes it
 * again anyway; this is for a file that is skipped or already back.
 */
static void remove_stale_temp(tx *t, const journal_file *f)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        _cleanup_close_ int dfd = -EBADF;

        if (f->link_target || path_split(f->path, &dir, &base) < 0)
                return;
        dfd = sysroot_openat(t->o->sr, dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0)
                (void)fo_remove_temp(dfd, base);
}

static const journal_file *journal_find(tx *t, const char *path)
{
        const journal_step *s = journal_get_step(t->o->j, t->o->step);

        for (size_t i = 0; s && i < s->n_files; i++)
                if (streq(s->files[i].path, path))
                        return &s->files[i];
        return NULL;
}

static int depmod(tx *t)
{
        const char *argv[] = {KERNEL_TX_DEPMOD, "-a", t->o->kernel, NULL};

        return run_cmd(t, argv, t->o->cmd_timeout_ms ? t->o->cmd_timeout_ms : CMD_TIMEOUT_MS, "depmod");
}

/* After a failure: the kernel's previous module set and initramfs come back. */
static void restore_kernel(tx *t)
{
        bool ok = true;
        int r;

        (void)note_created(t); /* what the failed command left */
        for (size_t i = 0; i < t->created.n; i++)
                if (remove_file(t, t->created.items[i]) < 0)
                        ok = false;
        for (size_t i = 0; i < t->before.n; i++) {
                const journal_file *f = journal_find(t, t->before.items[i]);

                r = f ? put_back(t, f) : -ENOENT;
                if (r < 0) {
                        ok = false;
                        /* The reason already says what failed; add what could not be put back. */
                        char *s = strdup_printf("%s; %s could not be put back (%s): the journal keeps its backup",
                                                t->res->error ? t->res->error : "failed", t->before.items[i],
                                                strerror(-r));
                        if (s) {
                                free(t->res->error);
                                t->res->error = s;
                        }
                }
        }
        /* modules.dep must describe the modules that are there again. */
        {
                _cleanup_free_ char *saved = TAKE_PTR(t->res->error);

                r = depmod(t);
                free(t->res->error);
                t->res->error = TAKE_PTR(saved);
                if (r < 0)
                        ok = false;
        }
        t->res->restored = ok;
}

/* ---- verification ---- */

static int add_lower(strv *v, const char *s)
{
        _cleanup_free_ char *l = strdup(s);

        if (!l)
                return -ENOMEM;
        for (char *p = l; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        if (strv_contains(v, l))
                return 0;
        return strv_push(v, TAKE_PTR(l));
}

static int note_patched(tx *t, const ko_info *info)
{
        _cleanup_free_ char *bid = ko_info_build_id_hex(info);
        int r = 0;

        if (!info->markers_found)
                return 0;
        if (bid)
                r = add_lower(&t->patched_ids, bid);
        if (r >= 0 && info->srcversion)
                r = strv_contains(&t->patched_srcversions, info->srcversion)
                            ? 0 : strv_push_dup(&t->patched_srcversions, info->srcversion);
        return r;
}

static int initrd_collect(const char *name, const ko_info *info, void *userdata)
{
        return note_patched(userdata, info);
}

/*
 * The known patched builds: those the caller names (what the inspection
 * saw) plus every module in the backed-up set, and every amdgpu in the old
 * initramfs, that holds a marker. A new build must be none of them.
 */
static int collect_patched(tx *t)
{
        const kernel_tx_options *o = t->o;
        int r = 0;

        for (const char *const *p = o->patched_build_ids; p && *p && r >= 0; p++)
                r = add_lower(&t->patched_ids, *p);
        for (const char *const *p = o->patched_srcversions; p && *p && r >= 0; p++)
                r = strv_push_dup(&t->patched_srcversions, *p);
        if (r < 0)
                return fail(t, "out of memory");
        if (!o->n_markers)
                return 0;
        for (size_t i = 0; i < t->before.n; i++) {
                _cleanup_close_ int fd = -EBADF;
                ko_info info = {0};

                if (!ko_name_is_module(t->before.items[i]) || streq(t->before.items[i], t->initrd))
                        continue;
                fd = sysroot_open_regular(o->sr, t->before.items[i]);
                if (fd < 0 || ko_scan_fd(fd, o->markers, o->n_markers, &info) < 0)
                        continue; /* unreadable: it cannot be compared, and it is backed up */
                r = note_patched(t, &info);
                ko_info_clear(&info);
                if (r < 0)
                        return fail(t, "out of memory");
        }
        if (t->had_initrd) {
                _cleanup_close_ int fd = sysroot_open_regular(o->sr, t->initrd);

                if (fd >= 0)
                        (void)initramfs_scan_fd(fd, o->markers, o->n_markers, initrd_collect, t);
        }
        return 0;
}

static bool vermagic_is(const char *vermagic, const char *kernel)
{
        size_t l = strlen(kernel);

        return vermagic && strncmp(vermagic, kernel, l) == 0 && (vermagic[l] == ' ' || vermagic[l] == '\0');
}

/*
 * The checks every new module passes. ret_build_id (may be NULL) gets the
 * hex build-id.
 */
static int verify_ko(tx *t, const char *path, char **ret_build_id)
{
        const kernel_tx_options *o = t->o;
        _cleanup_close_ int fd = sysroot_open_regular(o->sr, path);
        _cleanup_free_ char *bid = NULL;
        ko_info info = {0};
        int r;

        if (fd < 0)
                return fail(t, "cannot open the new module %s (%s)", path, strerror(-fd));
        r = ko_scan_fd(fd, o->markers, o->n_markers, &info);
        if (r < 0)
                return fail(t, "cannot read the new module %s (%s)", path, strerror(-r));
        bid = ko_info_build_id_hex(&info);
        if (!info.is_elf)
                r = fail(t, "%s is not a kernel module", path);
        else if (info.markers_found)
                r = fail(t, "%s still holds the patch's marker: the build used a patched source", path);
        else if (bid && strv_contains(&t->patched_ids, bid))
                r = fail(t, "%s has the build-id %s of a known patched build", path, bid);
        else if (info.srcversion && strv_contains(&t->patched_srcversions, info.srcversion))
                r = fail(t, "%s has the srcversion %s of a known patched build", path, info.srcversion);
        else if (!vermagic_is(info.vermagic, o->kernel))
                r = fail(t, "%s was built for another kernel (vermagic \"%s\", expected %s)", path,
                         info.vermagic ? info.vermagic : "none", o->kernel);
        else if (o->sb && o->sb->state == SECURE_BOOT_ON) {
                if (!o->sb->cert)
                        r = fail(t, "Secure Boot is on and there is no enrolled certificate to check %s against", path);
                else {
                        _cleanup_free_ char *host = sysroot_host_path(o->sr, path);
                        int s = host ? module_signed_by_path(fd, host, o->sb->cert, o->sb->cert_len) : -ENOMEM;

                        if (s == -ENODATA)
                                r = fail(t, "%s is not signed, and Secure Boot is on", path);
                        else if (s == -EBADMSG || s == -EMEDIUMTYPE)
                                r = fail(t, "%s: its signature cannot be read, and Secure Boot is on", path);
                        else if (s <= 0)
                                r = fail(t, "%s is not signed by the enrolled key %s", path, o->sb->cert_path);
                }
        }
        ko_info_clear(&info);
        if (r >= 0 && ret_build_id)
                *ret_build_id = TAKE_PTR(bid);
        return r;
}

/* Verify every module file in dir; the one of the DKMS module's own name must be there. */
static int verify_dir(tx *t, const char *dir, const char *what, char **ret_build_id)
{
        _cleanup_(strv_clear) strv files = {0};
        _cleanup_free_ char *main_id = NULL;
        bool found = false;
        int r;

        r = list_files(t, dir, &files);
        if (r < 0)
                return r;
        for (size_t i = 0; i < files.n; i++) {
                char *bid = NULL;

                if (!ko_name_is_module(files.items[i]))
                        continue;
                r = verify_ko(t, files.items[i], &bid);
                if (r < 0)
                        return r;
                if (ko_name_is_module_of(files.items[i], t->o->module) && !found) {
                        found = true;
                        main_id = bid;
                } else
                        free(bid);
        }
        if (!found)
                return fail(t, "%s: no %s.ko in %s", what, t->o->module, dir);
        if (ret_build_id)
                *ret_build_id = TAKE_PTR(main_id);
        return 0;
}

typedef struct initrd_check {
        tx *t;
        const char *want_build_id; /* NULL: any clean one */
        unsigned seen;
} initrd_check;

static int initrd_entry(const char *name, const ko_info *info, void *userdata)
{
        initrd_check *c = userdata;
        tx *t = c->t;
        _cleanup_free_ char *bid = ko_info_build_id_hex(info);
        _cleanup_free_ char *ename = escape_untrusted(name, strlen(name), 200);

        c->seen++;
        if (info->markers_found)
                return fail(t, "the new initramfs %s still holds a patched amdgpu (%s)", t->initrd, ename);
        if (bid && strv_contains(&t->patched_ids, bid))
                return fail(t, "the new initramfs %s holds a known patched amdgpu build (%s)", t->initrd, ename);
        if (c->want_build_id && bid && strcasecmp(bid, c->want_build_id) != 0)
                return fail(t, "the new initramfs %s holds another amdgpu build (%s, build-id %s) than %s",
                            t->initrd, ename, bid, c->want_build_id);
        return 0;
}

static int verify_initrd(tx *t, const char *want_build_id)
{
        _cleanup_close_ int fd = sysroot_open_regular(t->o->sr, t->initrd);
        initrd_check c = {.t = t, .want_build_id = want_build_id};
        int r;

        if (fd < 0)
                return fail(t, "update-initramfs left no %s (%s)", t->initrd, strerror(-fd));
        r = initramfs_scan_fd(fd, t->o->markers, t->o->n_markers, initrd_entry, &c);
        if (r < 0)
                return t->res->error ? r : fail(t, "cannot read the new initramfs %s (%s)", t->initrd, strerror(-r));
        return 0;
}

static int update_initrd(tx *t, const char *want_build_id)
{
        const char *argv[] = {KERNEL_TX_UPDATE_INITRAMFS, "-u", "-k", t->o->kernel, NULL};
        int r;

        if (!t->had_initrd)
                return 0; /* none to update: the kernel boots without one, or it is made elsewhere */
        r = run_cmd(t, argv, t->o->cmd_timeout_ms ? t->o->cmd_timeout_ms : CMD_TIMEOUT_MS, "update-initramfs");
        if (r < 0)
                return r;
        t->res->initramfs_updated = true;
        return verify_initrd(t, want_build_id);
}

/* The source must not carry a known patch any more (restore-file ran before). */
static int check_source(tx *t)
{
        const signature_db *db = t->o->sigs;

        for (size_t i = 0; db && i < db->n; i++) {
                const signature *sig = &db->sigs[i];
                _cleanup_free_ char *path = NULL, *buf = NULL;
                sig_match m;
                size_t len;
                int r;

                if (!sig->file || (sig->module && !streq(sig->module, t->o->module)))
                        continue;
                path = strdup_printf("%s/%s", t->source_dir, sig->file);
                if (!path)
                        return fail(t, "out of memory");
                r = sysroot_read_file(t->o->sr, path, SOURCE_MAX, &buf, &len);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return fail(t, "cannot read %s (%s)", path, strerror(-r));
                r = signature_match_source(db, path, buf, len, &m);
                if (r > 0)
                        return fail(t, "%s still carries the known patch %s (line %u): restore the clean file first",
                                    path, m.sig->id, m.first_line);
        }
        return 0;
}

static int module_build_id(tx *t, const char *path, char **ret)
{
        _cleanup_close_ int fd = sysroot_open_regular(t->o->sr, path);
        ko_info info = {0};
        int r;

        if (fd < 0)
                return fd;
        r = ko_scan_fd(fd, NULL, 0, &info);
        if (r >= 0)
                *ret = ko_info_build_id_hex(&info);
        ko_info_clear(&info);
        return r;
}

/* ---- the two transactions ---- */

static int tx_rebuild(tx *t)
{
        const kernel_tx_options *o = t->o;
        const char *build[] = {KERNEL_TX_DKMS, "build", "-m", o->module, "-v", o->version, "-k", o->kernel,
                               "--force", NULL};
        const char *install[] = {KERNEL_TX_DKMS, "install", "-m", o->module, "-v", o->version, "-k", o->kernel,
                                 "--force", "--no-depmod", NULL};
        _cleanup_free_ char *built_id = NULL, *installed_id = NULL;
        unsigned bt = o->build_timeout_ms ? o->build_timeout_ms : BUILD_TIMEOUT_MS;
        int r;

        r = check_source(t);
        if (r < 0)
                return r;
        r = run_cmd(t, build, bt, "dkms build");
        if (r >= 0)
                r = note_created(t);
        if (r >= 0)
                r = verify_dir(t, t->module_dir, "dkms build", &built_id);
        if (r >= 0)
                r = run_cmd(t, install, bt, "dkms install");
        if (r >= 0)
                r = note_created(t);
        if (r >= 0)
                r = verify_dir(t, t->updates_dir, "dkms install", &installed_id);
        if (r >= 0 && !streq_ptr(built_id, installed_id))
                r = fail(t, "dkms installed another %s build (build-id %s) than it built (%s)", o->module,
                         installed_id ? installed_id : "none", built_id ? built_id : "none");
        if (r >= 0)
                r = depmod(t);
        if (r >= 0)
                r = update_initrd(t, installed_id);
        if (r >= 0)
                t->res->build_id = TAKE_PTR(installed_id);
        return r;
}

static int tx_in_tree(tx *t)
{
        const kernel_tx_options *o = t->o;
        const char *remove[] = {KERNEL_TX_DKMS, "remove", "-m", o->module, "-v", o->version, "-k", o->kernel,
                                "--no-depmod", NULL};
        _cleanup_(strv_clear) strv left = {0};
        preflight_kernel pk;
        int r;

        /* Never a kernel with neither module: look again right before removing. */
        r = preflight_kernel_assess(o->sr, o->kernel, true, NULL, &pk);
        if (r < 0)
                return fail(t, "cannot look for the in-tree module (%s)", strerror(-r));
        if (!pk.in_tree_ko) {
                r = fail(t, "%s", pk.reason);
                preflight_kernel_clear(&pk);
                return r;
        }
        if (module_build_id(t, pk.in_tree_ko, &t->in_tree_build_id) < 0)
                t->in_tree_build_id = NULL; /* unknown: the initramfs check only looks for patched builds */
        preflight_kernel_clear(&pk);

        r = run_cmd(t, remove, o->cmd_timeout_ms ? o->cmd_timeout_ms : CMD_TIMEOUT_MS, "dkms remove");
        if (r < 0)
                return r;
        r = list_files(t, t->updates_dir, &left);
        for (size_t i = 0; r >= 0 && i < left.n; i++)
                if (ko_name_is_module_of(left.items[i], o->module))
                        r = fail(t, "dkms remove left %s in place", left.items[i]);
        if (r >= 0)
                r = depmod(t);
        if (r >= 0)
                r = update_initrd(t, t->in_tree_build_id);
        return r;
}

static int tx_initramfs(tx *t)
{
        return update_initrd(t, NULL);
}

/*
 * A step interrupted earlier (--resume): what it backed up and created is
 * in the journal. When a command had started, every file was backed up
 * before it, so a file the journal does not name was made by the
 * interrupted attempt: put the kernel back as it was (restore_kernel
 * removes those), then start again. When none had, the crash came during
 * the backups: nothing changed, and a file not yet named is the system's
 * own, to be backed up now, never removed.
 */
static int resume_from_journal(tx *t)
{
        const journal_step *s = journal_get_step(t->o->j, t->o->step);
        int r = 0;

        if (!s || s->n_files == 0)
                return 0;
        for (size_t i = 0; i < s->n_files && r >= 0; i++)
                r = strv_push_dup(s->files[i].existed ? &t->before : &t->created, s->files[i].path);
        if (r < 0)
                return fail(t, "out of memory");
        if (s->n_commands == 0 && s->child == 0)
                return 0;
        restore_kernel(t);
        if (!t->res->restored)
                return fail(t, "an interrupted attempt on %s could not be undone", t->o->kernel);
        t->res->restored = false;
        return 0;
}

int kernel_tx_run(const kernel_tx_options *o, kernel_tx_result *ret)
{
        _cleanup_(tx_clear) tx t = {0};
        kernel_tx_result res = {0};
        struct utsname u;
        int r;

        if (!o || !o->sr || !o->j || !o->kernel || !o->module || !o->version || strchr(o->kernel, '/') ||
            strchr(o->module, '/') || strchr(o->version, '/') || o->kernel[0] == '.' || o->version[0] == '.' ||
            o->kernel[0] == '-' || o->module[0] == '-' || o->version[0] == '-')
                return -EINVAL;
        if (!o->sr->is_host)
                return -EPERM; /* kernel-side steps never run against another root from here */
        if (!o->initramfs_only && o->choice != KERNEL_CHOICE_REBUILD && o->choice != KERNEL_CHOICE_IN_TREE)
                return -EINVAL;
        t.o = o;
        t.res = &res;
        if (o->arch)
                snprintf(t.arch, sizeof(t.arch), "%s", o->arch);
        else if (uname(&u) >= 0)
                snprintf(t.arch, sizeof(t.arch), "%s", u.machine);
        else
                return -errno;
        t.updates_dir = strdup_printf("/lib/modules/%s/updates/dkms", o->kernel);
        t.module_dir = strdup_printf("/var/lib/dkms/%s/%s/%s/%s/module", o->module, o->version, o->kernel, t.arch);
        t.initrd = strdup_printf("/boot/initrd.img-%s", o->kernel);
        t.source_dir = strdup_printf("/usr/src/%s-%s", o->module, o->version);
        t.links[0] = strdup_printf("/var/lib/dkms/%s/kernel-%s-%s", o->module, o->kernel, t.arch);
        t.links[1] = strdup_printf("/var/lib/dkms/%s/%s/source", o->module, o->version);
        if (!t.updates_dir || !t.module_dir || !t.initrd || !t.source_dir || !t.links[0] || !t.links[1])
                return -ENOMEM;

        r = resume_from_journal(&t);
        if (r >= 0)
                r = o->initramfs_only ? backup_initrd(&t) : backup_all(&t);
        if (r >= 0)
                r = collect_patched(&t);
        if (r >= 0)
                r = o->initramfs_only ? tx_initramfs(&t)
                    : o->choice == KERNEL_CHOICE_REBUILD ? tx_rebuild(&t) : tx_in_tree(&t);
        if (r >= 0)
                r = note_created(&t);
        if (r >= 0)
                r = record_after(&t);
        if (r >= 0) {
                r = journal_write_verify_flag(o->sr->path, journal_id(o->j));
                if (r < 0)
                        r = fail(&t, "cannot write the verify-pending flag (%s)", strerror(-r));
        }
        if (r < 0) {
                if (!res.error)
                        res.error = strdup(strerror(-r));
                restore_kernel(&t);
        } else
                res.ok = true;
        *ret = res;
        return 0;
}

void kernel_tx_result_clear(kernel_tx_result *r)
{
        free(r->error);
        free(r->build_id);
        *r = (kernel_tx_result){0};
}

int kernel_tx_rollback(const sysroot *sr, journal *j, size_t step, const char *kernel, strv *messages,
                       size_t *ret_skipped)
{
        kernel_tx_options o = {.sr = sr, .j = j, .step = step, .kernel = kernel};
        kernel_tx_result res = {0};
        tx t = {.o = &o, .res = &res};
        const journal_step *s = journal_get_step(j, step);
        size_t skipped = 0;
        int r;

        if (!sr->is_host)
                return -EPERM;
        if (!s)
                return -EINVAL;
        for (size_t k = s->n_files; k > 0; k--) {
                const journal_file *f = &s->files[k - 1];
                char cur[33];

                remove_stale_temp(&t, f);
                r = path_md5(sr, f->path, cur);
                if (r < 0) {
                        skipped++;
                        (void)strv_push(messages, strdup_printf("%s: cannot read it (%s); left as it is", f->path,
                                                                strerror(-r)));
                        continue;
                }
                if (f->existed && streq(cur, f->md5))
                        continue; /* already the old content */
                if (!f->existed && !cur[0])
                        continue; /* already gone */
                if (f->has_after && !streq(cur, f->md5_after)) {
                        skipped++;
                        (void)strv_push(messages, strdup_printf("%s changed since the recovery; left as it is",
                                                                f->path));
                        continue;
                }
                r = f->existed ? put_back(&t, f) : remove_file(&t, f->path);
                if (r < 0) {
                        skipped++;
                        (void)strv_push(messages, strdup_printf("%s could not be put back (%s)", f->path,
                                                                strerror(-r)));
                }
        }
        r = depmod(&t);
        if (r < 0) {
                skipped++;
                (void)strv_push(messages, strdup_printf("%s", res.error ? res.error : "depmod failed"));
        }
        kernel_tx_result_clear(&res);
        *ret_skipped = skipped;
        return 0;
}
