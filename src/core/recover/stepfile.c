/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A step's file as planned and as executed (stepfile.h).
 */

#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "recover/stepfile.h"
#include "root/fileops.h"

int step_open_parent(const sysroot *sr, const plan_action *a, const user_ids *user, const char *path,
                     int *ret_dirfd, char **ret_base)
{
        if (!a->in_home)
                return fo_open_parent(sr, path, ret_dirfd, ret_base);
        if (!user)
                return -EINVAL;
        return fo_path_in_home(user->home, path) ? fo_open_parent_in_home(sr, user->home, path, ret_dirfd, ret_base)
                                                 : fo_open_parent_nofollow(sr, path, ret_dirfd, ret_base);
}

bool step_file_is_planned(const plan_action *a, const struct stat *st)
{
        const plan_file_id *p = &a->planned;

        return !p->known || (p->dev == (uint64_t)st->st_dev && p->ino == (uint64_t)st->st_ino &&
                             p->size == (uint64_t)st->st_size && p->mtime_sec == (int64_t)st->st_mtim.tv_sec &&
                             p->mtime_nsec == (int64_t)st->st_mtim.tv_nsec);
}

static bool is_file_step(const plan_action *a)
{
        return !a->blocked && !a->kernel_side && a->path &&
               (a->type == ACTION_DISABLE_ENV_LINE || a->type == ACTION_RESTORE_FILE || a->type == ACTION_QUARANTINE);
}

int plan_record_file(const sysroot *sr, plan_action *a)
{
        _cleanup_close_ int dirfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        user_ids user = {0};
        bool have_user = false;
        struct stat st;
        int r;

        if (!is_file_step(a))
                return 0;
        if (a->in_home) {
                if (user_ids_load(sr, a->owner_uid, &user) < 0)
                        return 0;
                have_user = true;
        }
        r = step_open_parent(sr, a, have_user ? &user : NULL, a->path, &dirfd, &base);
        if (have_user)
                user_ids_clear(&user);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return 0;
        a->planned = (plan_file_id){
                .known = true,
                .dev = (uint64_t)st.st_dev,
                .ino = (uint64_t)st.st_ino,
                .size = (uint64_t)st.st_size,
                .mtime_sec = (int64_t)st.st_mtim.tv_sec,
                .mtime_nsec = (int64_t)st.st_mtim.tv_nsec,
        };
        return 0;
}

int plan_record_files(const sysroot *sr, plan *p)
{
        for (size_t i = 0; i < p->n_actions; i++) {
                int r = plan_record_file(sr, &p->actions[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}
