/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Children that run as a user of the inspected root (userdrop.h). */

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "base/util.h"
#include "root/userdrop.h"

void user_ids_clear(user_ids *u)
{
        free(u->groups);
        free(u->name);
        free(u->home);
        *u = (user_ids){0};
}

int user_ids_load(const sysroot *sr, uid_t uid, user_ids *ret)
{
        _cleanup_free_ char *pw_buf = NULL, *gr_buf = NULL;
        user_ids u = {.uid = uid};
        size_t len;
        struct passwd *pw;
        struct group *gr;
        FILE *f;
        int r;

        r = sysroot_read_file(sr, "/etc/passwd", 0, &pw_buf, &len);
        if (r < 0)
                return r;
        f = fmemopen(pw_buf, len, "r");
        if (!f)
                return -errno;
        while ((pw = fgetpwent(f)))
                if (pw->pw_uid == uid) {
                        u.gid = pw->pw_gid;
                        u.name = strdup(pw->pw_name);
                        u.home = strdup(pw->pw_dir);
                        break;
                }
        fclose(f);
        if (!u.name) {
                user_ids_clear(&u);
                return -ESRCH;
        }
        if (!u.home) {
                user_ids_clear(&u);
                return -ENOMEM;
        }
        if (sysroot_read_file(sr, "/etc/group", 0, &gr_buf, &len) >= 0 && (f = fmemopen(gr_buf, len, "r"))) {
                while ((gr = fgetgrent(f))) {
                        bool member = gr->gr_gid == u.gid;

                        for (char **m = gr->gr_mem; !member && m && *m; m++)
                                member = streq(*m, u.name);
                        if (member) {
                                gid_t *n = realloc(u.groups, (u.n_groups + 1) * sizeof(gid_t));

                                if (!n) {
                                        fclose(f);
                                        user_ids_clear(&u);
                                        return -ENOMEM;
                                }
                                u.groups = n;
                                u.groups[u.n_groups++] = gr->gr_gid;
                        }
                }
                fclose(f);
        }
        *ret = u;
        return 0;
}

static int drop(const user_ids *u)
{
        gid_t primary = u->gid;

        if (setgroups(u->n_groups ? u->n_groups : 1, u->n_groups ? u->groups : &primary) < 0)
                return -errno;
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return -errno;
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        /* no way back */
        if (u->uid != 0 && (setuid(0) == 0 || geteuid() == 0))
                return -EPERM;
        return 0;
}

int run_as_user(const user_ids *u, user_fn fn, void *userdata, void (*on_child)(pid_t pid, void *ud), void *ud)
{
        pid_t parent = getpid(), pid;
        int status;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int r;

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(100 + ESRCH);
                r = drop(u);
                if (r >= 0)
                        r = fn(userdata);
                _exit(r >= 0 ? 0 : 100 + (-r > 150 ? 150 : -r));
        }
        if (on_child)
                on_child(pid, ud);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status))
                return -ECHILD;
        if (WEXITSTATUS(status) == 0)
                return 0;
        return WEXITSTATUS(status) >= 100 ? -(WEXITSTATUS(status) - 100) : -EIO;
}
