/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "recover/preflight.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "base/spawn_cmd.h"
#include "base/util.h"

#define MOUNTS_MAX (1024 * 1024)
#define PROC_SCAN_MAX 65536
/* dkms's build tree and temporary files beside the backups, when rebuilding. */
#define REBUILD_VAR_MARGIN (64ull * 1024 * 1024)
#define MIB (1024.0 * 1024.0)

static const char *const check_table[_PREFLIGHT_CHECK_MAX] = {
        [PREFLIGHT_ROOT_WRITABLE] = "root-writable",
        [PREFLIGHT_BOOT_MOUNTED] = "boot-mounted",
        [PREFLIGHT_FREE_SPACE] = "free-space",
        [PREFLIGHT_DPKG_LOCK] = "dpkg-lock",
        [PREFLIGHT_DKMS_RUNNING] = "dkms-running",
        [PREFLIGHT_KERNEL_SIDE] = "kernel-side",
};

const char *preflight_check_to_string(preflight_check c)
{
        return c >= 0 && c < _PREFLIGHT_CHECK_MAX ? check_table[c] : NULL;
}

_printf_(4, 5) static int add_failure(preflight_result *r, preflight_check c, const char *kernel,
                                      const char *fmt, ...)
{
        preflight_failure *f;
        va_list ap;
        char *reason;

        va_start(ap, fmt);
        if (vasprintf(&reason, fmt, ap) < 0)
                reason = NULL;
        va_end(ap);
        if (!reason)
                return -ENOMEM;
        f = realloc(r->failures, (r->n_failures + 1) * sizeof(*f));
        if (!f) {
                free(reason);
                return -ENOMEM;
        }
        r->failures = f;
        f[r->n_failures] = (preflight_failure){.check = c, .reason = reason};
        if (kernel && !(f[r->n_failures].kernel = strdup(kernel))) {
                free(reason);
                return -ENOMEM;
        }
        r->n_failures++;
        return 0;
}

_printf_(2, 3) static int add_note(preflight_result *r, const char *fmt, ...)
{
        strv v = {.items = r->notes, .n = r->n_notes, .cap = r->n_notes + 1};
        va_list ap;
        char *s;
        int ret;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        ret = strv_push(&v, s);
        r->notes = v.items;
        r->n_notes = v.n;
        return ret;
}

/* Undo the \040-style octal escapes of /proc/mounts and fstab, in place. */
static void unescape_octal(char *s)
{
        char *w = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else
                        *w++ = *s;
        }
        *w = '\0';
}

/*
 * Find the mount point in a mounts/fstab text (fields: spec, mount point,
 * type, options). The last match wins (later mounts cover earlier ones).
 * Returns 1 and the options (*ret_opts, may be NULL), 0 when absent.
 */
static int mounts_find(const char *text, const char *mountpoint, char **ret_opts)
{
        _cleanup_free_ char *copy = strdup(text), *opts = NULL;
        char *save = NULL;
        bool found = false;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[4] = {0}, *fs = NULL;
                size_t n = 0;

                line += strspn(line, " \t");
                if (*line == '#' || !*line)
                        continue;
                for (char *tok = strtok_r(line, " \t", &fs); tok && n < 4; tok = strtok_r(NULL, " \t", &fs))
                        f[n++] = tok;
                if (n < 2)
                        continue;
                unescape_octal(f[1]);
                /* fstab may spell "/boot/" */
                size_t l = strlen(f[1]);
                while (l > 1 && f[1][l - 1] == '/')
                        f[1][--l] = '\0';
                if (!streq(f[1], mountpoint))
                        continue;
                found = true;
                free(opts);
                opts = strdup(n >= 4 ? f[3] : "defaults");
                if (!opts)
                        return -ENOMEM;
        }
        if (found && ret_opts)
                *ret_opts = TAKE_PTR(opts);
        return found;
}

static bool opts_has(const char *opts, const char *opt)
{
        size_t l = strlen(opt);

        for (const char *p = opts; p && *p;) {
                size_t n = strcspn(p, ",");

                if (n == l && strncmp(p, opt, l) == 0)
                        return true;
                p += n;
                if (*p == ',')
                        p++;
        }
        return false;
}

static int read_mounts(const sysroot *sr, char **ret)
{
        size_t len;

        return sysroot_read_file(sr, "/proc/mounts", MOUNTS_MAX, ret, &len);
}

/* Run mount(8) on the running system; the output goes into the reason. */
static int run_mount(const char *const *argv, char **ret_why)
{
        spawn_options o = {.argv = argv, .timeout_ms = 60000};
        _cleanup_free_ char *out = NULL, *status = NULL;
        spawn_result res;
        int r;

        r = spawn_capture(&o, 4096, &res, &out);
        if (r < 0)
                return r;
        if (spawn_result_ok(&res))
                return 0;
        status = spawn_result_describe(&res);
        *ret_why = escape_untrusted(strstrip(out), strlen(out), 300);
        if (status && *ret_why) {
                char *s = strdup_printf("%s: %s", status, *ret_why);

                free(*ret_why);
                *ret_why = s;
        }
        return -EIO;
}

static int check_root_writable(const sysroot *sr, const preflight_options *o, preflight_result *r)
{
        _cleanup_free_ char *mounts = NULL, *opts = NULL;
        struct statvfs vfs;
        bool ro;
        int k;

        k = read_mounts(sr, &mounts);
        if (k < 0 && (sr->is_host || k != -ENOENT))
                return add_failure(r, PREFLIGHT_ROOT_WRITABLE, NULL,
                                   "cannot read the root's /proc/mounts (%s): the mounts cannot be checked",
                                   strerror(-k));
        /* A disk mounted at --root DIR (no running system in it): its own mount is what counts. */
        k = k < 0 ? 0 : mounts_find(mounts, "/", &opts);
        if (k < 0)
                return k;
        ro = k > 0 && opts_has(opts, "ro");
        /* The directory we would write to, whatever /proc/mounts claims. */
        if (fstatvfs(sr->dirfd, &vfs) >= 0 && (vfs.f_flag & ST_RDONLY))
                ro = true;
        if (!ro)
                return 0;

        if (!o->remount_rw || o->preview)
                return add_failure(r, PREFLIGHT_ROOT_WRITABLE, NULL,
                                   "the root file system is mounted read-only: run `mount -o remount,rw /` "
                                   "(or pass --remount-rw) and try again");
        if (!sr->is_host)
                return add_failure(r, PREFLIGHT_ROOT_WRITABLE, NULL,
                                   "the root file system is read-only and --remount-rw works only with --root /");

        static const char *const argv[] = {"/bin/mount", "-o", "remount,rw", "/", NULL};
        _cleanup_free_ char *why = NULL;
        k = run_mount(argv, &why);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return add_failure(r, PREFLIGHT_ROOT_WRITABLE, NULL, "`mount -o remount,rw /` failed (%s)",
                                   why ? why : "no output");
        return add_note(r, "remounted / read-write (--remount-rw)");
}

/*
 * /boot and /boot/efi: when the root's fstab names them, they must be
 * mounted and writable for the kernel side. --remount-rw mounts them as the
 * recovery menu's `mount -a` would, for any plan; a plan that does not touch
 * them only notes a mount that fails.
 */
static int check_boot_mounted(const sysroot *sr, const preflight_options *o, preflight_result *r)
{
        static const char *const points[] = {"/boot", "/boot/efi"};
        _cleanup_free_ char *fstab = NULL, *mounts = NULL;
        size_t len;
        int k;

        k = sysroot_read_file(sr, "/etc/fstab", MOUNTS_MAX, &fstab, &len);
        if (k == -ENOENT || (k < 0 && !o->kernel_side))
                return 0; /* nothing separate to mount, or nothing this plan needs */
        if (k < 0)
                return add_failure(r, PREFLIGHT_BOOT_MOUNTED, NULL, "cannot read the root's /etc/fstab (%s)",
                                   strerror(-k));
        for (size_t i = 0; i < ELEMENTSOF(points); i++) {
                _cleanup_free_ char *opts = NULL;
                const char *p = points[i];

                k = mounts_find(fstab, p, NULL);
                if (k <= 0) {
                        if (k < 0)
                                return k;
                        continue;
                }
                free(mounts);
                mounts = NULL;
                k = read_mounts(sr, &mounts);
                if (k < 0 && !o->kernel_side)
                        return 0;
                if (k < 0)
                        return add_failure(r, PREFLIGHT_BOOT_MOUNTED, NULL,
                                           "cannot read the root's /proc/mounts (%s): %s cannot be checked",
                                           strerror(-k), p);
                k = mounts_find(mounts, p, &opts);
                if (k < 0)
                        return k;
                if (k > 0 && !opts_has(opts, "ro"))
                        continue;

                const char *state = k > 0 ? "mounted read-only" : "not mounted";
                if (!o->remount_rw || o->preview) {
                        k = add_failure(r, PREFLIGHT_BOOT_MOUNTED, NULL,
                                        "%s is in the root's fstab but %s: run `mount %s%s` "
                                        "(or pass --remount-rw) and try again",
                                        p, state, k > 0 ? "-o remount,rw " : "", p);
                        if (k < 0)
                                return k;
                        continue;
                }
                if (!sr->is_host) {
                        k = add_failure(r, PREFLIGHT_BOOT_MOUNTED, NULL,
                                        "%s is %s and --remount-rw works only with --root /", p, state);
                        if (k < 0)
                                return k;
                        continue;
                }
                const char *mount_argv[] = {"/bin/mount", p, NULL};
                const char *remount_argv[] = {"/bin/mount", "-o", "remount,rw", p, NULL};
                _cleanup_free_ char *why = NULL;
                k = run_mount(k > 0 ? remount_argv : mount_argv, &why);
                if (k == -ENOMEM)
                        return k;
                if (k < 0 && !o->kernel_side)
                        k = add_note(r, "mounting %s failed (%s); this plan does not need it", p, why ? why : "no output");
                else
                        k = k < 0 ? add_failure(r, PREFLIGHT_BOOT_MOUNTED, NULL, "mounting %s failed (%s)", p,
                                                why ? why : "no output")
                                  : add_note(r, "mounted %s read-write as the root's fstab says (--remount-rw)", p);
                if (k < 0)
                        return k;
        }
        return 0;
}

static uint64_t file_size(const sysroot *sr, const char *path)
{
        struct stat st;

        return sysroot_stat(sr, path, &st) >= 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* Sum of the regular files directly in dir (the kernel's updates/dkms set). */
static uint64_t dir_size(const sysroot *sr, const char *dir)
{
        char **names = NULL;
        uint64_t sum = 0;
        size_t n = 0;

        if (sysroot_list_dir(sr, dir, 4096, &names, &n, NULL) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, names[i]);

                if (p)
                        sum += file_size(sr, p);
        }
        strv_free_array(names);
        return sum;
}

static int avail_at(const sysroot *sr, const char *path, uint64_t *ret)
{
        _cleanup_close_ int fd = sysroot_openat(sr, path, O_PATH | O_DIRECTORY);
        struct statvfs vfs;

        if (fd < 0)
                return fd;
        if (fstatvfs(fd, &vfs) < 0)
                return -errno;
        *ret = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        return 0;
}

/* The state dir may not exist yet: its nearest existing ancestor's file system. */
static int avail_host(const char *path, uint64_t *ret)
{
        _cleanup_free_ char *p = strdup(path);
        struct statvfs vfs;

        if (!p)
                return -ENOMEM;
        while (statvfs(p, &vfs) < 0) {
                char *slash = strrchr(p, '/');

                if (errno != ENOENT || !slash || slash == p)
                        return -errno;
                *slash = '\0';
        }
        *ret = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        return 0;
}

static int check_space(const sysroot *sr, const preflight_options *o, preflight_result *r)
{
        uint64_t need_boot = 0, need_var = o->file_backup_bytes, avail;
        int k;

        for (size_t i = 0; o->kernel_side && i < r->n_kernels; i++) {
                const preflight_kernel *pk = &r->kernels[i];
                _cleanup_free_ char *initrd = strdup_printf("/boot/initrd.img-%s", pk->kernel);
                _cleanup_free_ char *updates = strdup_printf("/lib/modules/%s/updates/dkms", pk->kernel);
                uint64_t img, mods;

                if (!initrd || !updates)
                        return -ENOMEM;
                img = file_size(sr, initrd);
                mods = dir_size(sr, updates);
                /* update-initramfs writes the new image beside the old one. */
                need_boot += img + img / 4;
                need_var += img + mods;
                if (pk->choice == KERNEL_CHOICE_REBUILD)
                        need_var += 2 * mods + REBUILD_VAR_MARGIN;
        }

        if (need_boot) {
                k = avail_at(sr, "/boot", &avail);
                if (k < 0)
                        return add_failure(r, PREFLIGHT_FREE_SPACE, NULL, "cannot measure free space on /boot (%s)",
                                           strerror(-k));
                if (avail < need_boot)
                        return add_failure(r, PREFLIGHT_FREE_SPACE, NULL,
                                           "/boot has %.1f MiB free, the new initramfs images need %.1f MiB",
                                           avail / MIB, need_boot / MIB);
        }
        k = o->state_dir ? avail_host(o->state_dir, &avail) : avail_at(sr, "/var/lib", &avail);
        if (k < 0)
                return add_failure(r, PREFLIGHT_FREE_SPACE, NULL,
                                   "cannot measure free space for the journal's backups (%s)", strerror(-k));
        if (avail < need_var)
                return add_failure(r, PREFLIGHT_FREE_SPACE, NULL,
                                   "%s has %.1f MiB free, the backups and new files need %.1f MiB",
                                   o->state_dir ? o->state_dir : "/var", avail / MIB, need_var / MIB);
        return 0;
}

/* As dpkg does (lib/dpkg/file.c file_lock): a whole-file F_WRLCK with F_SETLK, no waiting. */
static int lock_one(int dirfd, const char *name, int *ret_fd, int *ret_holder)
{
        _cleanup_close_ int fd = -EBADF;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

        fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0)
                return -errno;
        if (fcntl(fd, F_SETLK, &fl) < 0) {
                int err = errno;

                if (err != EACCES && err != EAGAIN)
                        return -err;
                fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
                *ret_holder = fcntl(fd, F_GETLK, &fl) >= 0 && fl.l_type != F_UNLCK ? fl.l_pid : 0;
                return -EBUSY;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int dpkg_lock_take(const sysroot *sr, int *ret_frontend_fd, int *ret_lock_fd, int *ret_holder)
{
        _cleanup_close_ int dirfd = -EBADF, front = -EBADF, lock = -EBADF;
        int r;

        *ret_holder = 0;
        dirfd = sysroot_openat(sr, "/var/lib/dpkg", O_PATH | O_DIRECTORY);
        if (dirfd < 0)
                return dirfd;
        r = lock_one(dirfd, "lock-frontend", &front, ret_holder);
        if (r < 0)
                return r;
        r = lock_one(dirfd, "lock", &lock, ret_holder);
        if (r < 0)
                return r;
        *ret_frontend_fd = TAKE_FD(front);
        *ret_lock_fd = TAKE_FD(lock);
        return 0;
}

void preflight_dpkg_lock_release(preflight_result *r)
{
        if (r->lock_fd >= 0)
                close(r->lock_fd);
        r->lock_fd = -EBADF;
}

int preflight_dpkg_lock_retake(const sysroot *sr, preflight_result *r)
{
        _cleanup_close_ int dirfd = -EBADF;
        int holder = 0;

        if (r->lock_fd >= 0)
                return 0;
        dirfd = sysroot_openat(sr, "/var/lib/dpkg", O_PATH | O_DIRECTORY);
        if (dirfd < 0)
                return dirfd;
        return lock_one(dirfd, "lock", &r->lock_fd, &holder);
}

int dpkg_lock_probe(const sysroot *sr, int *ret_holder)
{
        _cleanup_close_ int dirfd = -EBADF;

        *ret_holder = 0;
        dirfd = sysroot_openat(sr, "/var/lib/dpkg", O_PATH | O_DIRECTORY);
        if (dirfd == -ENOENT)
                return 0;
        if (dirfd < 0)
                return dirfd;
        for (size_t i = 0; i < 2; i++) {
                _cleanup_close_ int fd = openat(dirfd, i ? "lock" : "lock-frontend", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0)
                        return -errno;
                if (fcntl(fd, F_GETLK, &fl) < 0)
                        return -errno;
                if (fl.l_type != F_UNLCK) {
                        *ret_holder = fl.l_pid;
                        return 1;
                }
        }
        return 0;
}

static bool argv_names_dkms(const char *cmdline, size_t len)
{
        /* argv[0], or argv[1] when a shell runs the script: ".../dkms" or "dkms". */
        const char *a = cmdline;

        for (int i = 0; i < 2 && (size_t)(a - cmdline) < len; i++) {
                const char *base = strrchr(a, '/');

                base = base ? base + 1 : a;
                if (streq(base, "dkms"))
                        return true;
                a += strlen(a) + 1;
        }
        return false;
}

int dkms_running(const sysroot *sr, int *ret_pid)
{
        char **names = NULL;
        size_t n = 0;
        int found = 0, r;

        r = sysroot_list_dir(sr, "/proc", PROC_SCAN_MAX, &names, &n, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (size_t i = 0; i < n && !found; i++) {
                _cleanup_free_ char *comm_path = NULL, *cmd_path = NULL, *comm = NULL, *cmd = NULL;
                size_t len;
                uint64_t pid;

                if (safe_atou64(names[i], 10, &pid) < 0 || pid == 0 || pid > INT32_MAX)
                        continue;
                comm_path = strdup_printf("/proc/%s/comm", names[i]);
                cmd_path = strdup_printf("/proc/%s/cmdline", names[i]);
                if (!comm_path || !cmd_path) {
                        found = -ENOMEM;
                        break;
                }
                if ((sysroot_read_line(sr, comm_path, &comm) >= 0 && streq(comm, "dkms")) ||
                    (sysroot_read_file(sr, cmd_path, 64 * 1024, &cmd, &len) >= 0 && argv_names_dkms(cmd, len))) {
                        if (ret_pid)
                                *ret_pid = (int)pid;
                        found = 1;
                }
        }
        strv_free_array(names);
        return found;
}

const preflight_kernel *preflight_result_kernel(const preflight_result *r, const char *kernel)
{
        for (size_t i = 0; i < r->n_kernels; i++)
                if (streq(r->kernels[i].kernel, kernel))
                        return &r->kernels[i];
        return NULL;
}

static int check_kernels(const sysroot *sr, const preflight_options *o, preflight_result *r)
{
        size_t n = 0;
        int k;

        for (const char *const *p = o->kernels; p && *p; p++)
                n++;
        r->kernels = calloc(n ? n : 1, sizeof(*r->kernels));
        if (!r->kernels)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                preflight_kernel *pk = &r->kernels[r->n_kernels];

                k = preflight_kernel_assess(sr, o->kernels[i], o->in_tree, &r->sb, pk);
                if (k == -EINVAL) {
                        k = add_failure(r, PREFLIGHT_KERNEL_SIDE, NULL, "not a kernel release name");
                        if (k < 0)
                                return k;
                        continue;
                }
                if (k < 0)
                        return k;
                r->n_kernels++;
                if (pk->choice == KERNEL_CHOICE_NONE)
                        k = add_failure(r, PREFLIGHT_KERNEL_SIDE, pk->kernel, "%s", pk->reason);
                else if (pk->choice == KERNEL_CHOICE_IN_TREE && !o->in_tree)
                        k = add_note(r, "%s: %s", pk->kernel, pk->reason);
                if (k < 0)
                        return k;
        }
        return 0;
}

int preflight_run(const sysroot *sr, const preflight_options *o, preflight_result *ret)
{
        preflight_result r = {.lock_frontend_fd = -EBADF, .lock_fd = -EBADF};
        int k, holder = 0, pid = 0;

        /* Mounts first: --remount-rw may change what the later checks see. */
        k = check_root_writable(sr, o, &r);
        if (k >= 0 && (o->kernel_side || (o->remount_rw && !o->preview && sr->is_host)))
                k = check_boot_mounted(sr, o, &r);
        if (k >= 0 && o->kernel_side)
                k = secure_boot_probe(sr, sr->is_host, &r.sb);
        if (k >= 0 && o->kernel_side && !o->mount_checks_only)
                k = check_kernels(sr, o, &r);
        if (k >= 0)
                k = check_space(sr, o, &r);
        if (k >= 0 && !o->mount_checks_only) {
                k = dkms_running(sr, &pid);
                if (k > 0)
                        k = add_failure(&r, PREFLIGHT_DKMS_RUNNING, NULL,
                                        "dkms is already running (pid %d): wait for it to finish", pid);
        }
        if (k >= 0 && !o->mount_checks_only && o->preview) {
                k = dpkg_lock_probe(sr, &holder);
                if (k > 0 && holder)
                        k = add_failure(&r, PREFLIGHT_DPKG_LOCK, NULL, "the dpkg lock is held by process %d (apt or "
                                        "dpkg is running): wait for it to finish", holder);
                else if (k > 0)
                        k = add_failure(&r, PREFLIGHT_DPKG_LOCK, NULL,
                                        "the dpkg lock is held (apt or dpkg is running): wait for it to finish");
                else if (k < 0 && k != -ENOMEM)
                        k = add_failure(&r, PREFLIGHT_DPKG_LOCK, NULL, "cannot test the dpkg lock (%s)", strerror(-k));
        }
        /* The dpkg locks last, and only while nothing else refuses: held until the end. */
        if (k >= 0 && !o->mount_checks_only && !o->preview && r.n_failures == 0) {
                k = dpkg_lock_take(sr, &r.lock_frontend_fd, &r.lock_fd, &holder);
                if (k == -EBUSY)
                        k = holder ? add_failure(&r, PREFLIGHT_DPKG_LOCK, NULL,
                                                 "the dpkg lock is held by process %d (apt or dpkg is running): "
                                                 "wait for it to finish", holder)
                                   : add_failure(&r, PREFLIGHT_DPKG_LOCK, NULL,
                                                 "the dpkg lock is held (apt or dpkg is running): wait for it to finish");
                else if (k < 0 && k != -ENOMEM)
                        k = add_failure(&r, PREFLIGHT_DPKG_LOCK, NULL, "cannot take the dpkg lock (%s)",
                                        strerror(-k));
        }
        if (k < 0) {
                preflight_result_clear(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void preflight_result_clear(preflight_result *r)
{
        for (size_t i = 0; i < r->n_failures; i++) {
                free(r->failures[i].kernel);
                free(r->failures[i].reason);
        }
        free(r->failures);
        for (size_t i = 0; i < r->n_kernels; i++)
                preflight_kernel_clear(&r->kernels[i]);
        free(r->kernels);
        secure_boot_state_clear(&r->sb);
        for (size_t i = 0; i < r->n_notes; i++)
                free(r->notes[i]);
        free(r->notes);
        /* Closing drops dpkg's fcntl locks. */
        if (r->lock_fd >= 0)
                close(r->lock_fd);
        if (r->lock_frontend_fd >= 0)
                close(r->lock_frontend_fd);
        *r = (preflight_result){.lock_frontend_fd = -EBADF, .lock_fd = -EBADF};
}
