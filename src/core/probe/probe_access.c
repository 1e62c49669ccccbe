/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Can the person who ran the doctor open /dev/kfd and the render node?
 * The doctor usually runs as root (sudo), so access(2) would only say what
 * root may do: the answer is computed instead from the node's mode, owner,
 * group and POSIX ACL against the user's groups in the root's /etc/group,
 * the way the kernel's permission check decides.
 */
#include "probe/facts.h"

#include <fcntl.h>
#include <sys/acl.h>
#include <acl/libacl.h>

#include "base/util.h"
#include "root/users.h"

/* ---- the user, from the root's /etc/passwd and /etc/group (users.c) ---- */

/* The accounts of the root, or NULL when they cannot be read (the names are only cosmetic then). */
static int load_accounts(const sysroot *sr, root_users **ret)
{
        int k = root_users_load(sr, USERS_ALL, ret);

        if (k == -ENOMEM)
                return k;
        if (k < 0)
                *ret = NULL;
        return k == -ENOENT ? 0 : k < 0 ? k : 0;
}

static bool has_group(const invoking_user *u, gid_t g)
{
        for (size_t i = 0; i < u->n_groups; i++)
                if (u->groups[i] == g)
                        return true;
        return false;
}

static int add_group(invoking_user *u, gid_t gid, const char *name)
{
        gid_t *g;
        char **n;

        if (has_group(u, gid))
                return 0;
        g = realloc(u->groups, (u->n_groups + 1) * sizeof(gid_t));
        if (!g)
                return -ENOMEM;
        u->groups = g;
        n = realloc(u->group_names, (u->n_groups + 1) * sizeof(char *));
        if (!n)
                return -ENOMEM;
        u->group_names = n;
        u->group_names[u->n_groups] = name ? strdup(name) : NULL;
        if (name && !u->group_names[u->n_groups])
                return -ENOMEM;
        u->groups[u->n_groups++] = gid;
        return 0;
}

void invoking_user_clear(invoking_user *u)
{
        if (!u)
                return;
        free(u->name);
        for (size_t i = 0; u->group_names && i < u->n_groups; i++)
                free(u->group_names[i]);
        free(u->group_names);
        free(u->groups);
        *u = (invoking_user){0};
}

static bool env_uid(const char *var, uid_t *ret)
{
        const char *v = getenv(var);
        uint64_t x;

        if (!v || safe_atou64(v, 10, &x) < 0 || x >= (uid_t)-1)
                return false;
        *ret = (uid_t)x;
        return true;
}

int invoking_user_get(const sysroot *sr, invoking_user *ret)
{
        invoking_user u = {.gid = (gid_t)-1};
        root_users *acc = NULL;
        const root_user *x;
        int k;

        u.from_env = env_uid("SUDO_UID", &u.uid) || env_uid("PKEXEC_UID", &u.uid);
        if (!u.from_env)
                u.uid = getuid();

        k = root_users_load(sr, USERS_ALL, &acc);
        if (k < 0 && k != -ENOENT)
                return k;
        x = root_users_find_uid(acc, u.uid);
        if (x) {
                u.name = strdup(x->name);
                u.gid = x->gid;
                if (!u.name) {
                        k = -ENOMEM;
                        goto fail;
                }
        } else if (!u.from_env && sr->is_host)
                u.gid = getgid(); /* our own account, unknown to the files (e.g. from LDAP) */

        /* The primary group first, then every group that lists the user, in /etc/group order. */
        if (u.gid != (gid_t)-1 && (k = add_group(&u, u.gid, root_users_group_name(acc, u.gid))) < 0)
                goto fail;
        for (size_t i = 0; x && i < x->n_groups; i++)
                if ((k = add_group(&u, x->groups[i], root_users_group_name(acc, x->groups[i]))) < 0)
                        goto fail;
        root_users_free(acc);
        *ret = u;
        return 0;
fail:
        root_users_free(acc);
        invoking_user_clear(&u);
        return k;
}

/* ---- the permission check ---- */

typedef enum access_path {
        ACCESS_ROOT,
        ACCESS_OWNER,
        ACCESS_ACL_USER,
        ACCESS_ACL_GROUP,
        ACCESS_ACL_OTHER,
        ACCESS_GROUP,
        ACCESS_OTHER,
} access_path;

#define WANT_RW (ACL_READ | ACL_WRITE)

static unsigned permset_bits(acl_entry_t e)
{
        acl_permset_t ps;
        unsigned bits = 0;

        if (acl_get_permset(e, &ps) < 0)
                return 0;
        if (acl_get_perm(ps, ACL_READ) == 1)
                bits |= ACL_READ;
        if (acl_get_perm(ps, ACL_WRITE) == 1)
                bits |= ACL_WRITE;
        if (acl_get_perm(ps, ACL_EXECUTE) == 1)
                bits |= ACL_EXECUTE;
        return bits;
}

static bool entry_qualifier(acl_entry_t e, uint32_t *ret)
{
        void *q = acl_get_qualifier(e);

        if (!q)
                return false;
        *ret = *(uint32_t *)q; /* uid_t and gid_t are 32-bit on Linux */
        acl_free(q);
        return true;
}

/*
 * posix_acl_permission() for owner-less callers: a named-user entry wins;
 * else any matching group entry that grants, masked; a match that does not
 * grant denies; else "other".
 */
static bool acl_decide(acl_t acl, const invoking_user *u, gid_t fgid, access_path *ret_path)
{
        unsigned mask = ACL_READ | ACL_WRITE | ACL_EXECUTE, other = 0;
        bool group_found = false, group_grants = false;
        acl_entry_t e;
        acl_tag_t tag;
        uint32_t q;

        for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
                if (acl_get_tag_type(e, &tag) < 0)
                        continue;
                if (tag == ACL_MASK)
                        mask = permset_bits(e);
                else if (tag == ACL_OTHER)
                        other = permset_bits(e);
        }
        for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY)
                if (acl_get_tag_type(e, &tag) == 0 && tag == ACL_USER && entry_qualifier(e, &q) &&
                    q == u->uid) {
                        *ret_path = ACCESS_ACL_USER;
                        return (permset_bits(e) & mask & WANT_RW) == WANT_RW;
                }
        for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
                bool match;

                if (acl_get_tag_type(e, &tag) < 0)
                        continue;
                if (tag == ACL_GROUP_OBJ)
                        match = has_group(u, fgid);
                else if (tag == ACL_GROUP)
                        match = entry_qualifier(e, &q) && has_group(u, (gid_t)q);
                else
                        continue;
                if (!match)
                        continue;
                group_found = true;
                /* The kernel stops at the first matching entry that grants, then applies the mask. */
                if ((permset_bits(e) & WANT_RW) == WANT_RW) {
                        group_grants = (permset_bits(e) & mask & WANT_RW) == WANT_RW;
                        break;
                }
        }
        if (group_found) {
                *ret_path = ACCESS_ACL_GROUP;
                return group_grants;
        }
        *ret_path = ACCESS_ACL_OTHER;
        return (other & WANT_RW) == WANT_RW;
}

static char *id_label(const char *name, unsigned long id)
{
        return name ? strdup(name) : strdup_printf("%lu", id);
}

static char *groups_label(const invoking_user *u)
{
        char *out = strdup("");

        for (size_t i = 0; out && i < u->n_groups; i++) {
                char *n = u->group_names[i] ? strdup_printf("%s%s%s", out, *out ? ", " : "", u->group_names[i])
                                            : strdup_printf("%s%s%lu", out, *out ? ", " : "",
                                                            (unsigned long)u->groups[i]);
                free(out);
                out = n;
        }
        if (out && !*out) {
                free(out);
                out = strdup("none");
        }
        return out;
}

static int explain(const sysroot *sr, const invoking_user *u, const char *path, const struct stat *st,
                   access_path how, char **ret)
{
        _cleanup_free_ char *oname = NULL, *gname = NULL, *owner = NULL, *group = NULL, *who = NULL,
                            *groups = NULL;
        unsigned mode = (unsigned)(st->st_mode & 07777);
        int k;

        {
                root_users *acc = NULL;
                const root_user *o;
                const char *g;

                if ((k = load_accounts(sr, &acc)) < 0)
                        return k;
                o = root_users_find_uid(acc, st->st_uid);
                g = root_users_group_name(acc, st->st_gid);
                oname = o ? strdup(o->name) : NULL;
                gname = g ? strdup(g) : NULL;
                root_users_free(acc);
                if ((o && !oname) || (g && !gname))
                        return -ENOMEM;
        }
        owner = id_label(oname, st->st_uid);
        group = id_label(gname, st->st_gid);
        who = u->name ? strdup(u->name) : strdup_printf("uid %lu", (unsigned long)u->uid);
        groups = groups_label(u);
        if (!owner || !group || !who || !groups)
                return -ENOMEM;

        switch (how) {
        case ACCESS_OWNER:
                *ret = strdup_printf("%s is %04o %s:%s and its owner %s lacks read-write permission", path, mode,
                                     owner, group, who);
                break;
        case ACCESS_ACL_USER:
                *ret = strdup_printf("%s is %04o %s:%s and its ACL entry for %s (after the mask) does not grant "
                                     "read-write", path, mode, owner, group, who);
                break;
        case ACCESS_ACL_GROUP:
                *ret = strdup_printf("%s is %04o %s:%s and its ACL entries for %s's groups (after the mask) do "
                                     "not grant read-write (groups: %s)", path, mode, owner, group, who, groups);
                break;
        case ACCESS_ACL_OTHER:
                *ret = strdup_printf("%s is %04o %s:%s, its ACL names neither %s nor any of their groups, and "
                                     "others lack read-write (groups: %s)", path, mode, owner, group, who, groups);
                break;
        case ACCESS_GROUP:
                *ret = strdup_printf("%s is %04o %s:%s and group %s, which %s is in, lacks read-write permission",
                                     path, mode, owner, group, group, who);
                break;
        default:
                *ret = strdup_printf("%s is %04o %s:%s and %s is not in group %s (groups: %s)", path, mode, owner,
                                     group, who, group, groups);
                break;
        }
        return *ret ? 0 : -ENOMEM;
}

/* The ACL of the file behind fd, read through /proc/self/fd so no path is resolved on the host. */
static acl_t fd_acl(int fd)
{
        char proc[64];
        acl_t acl;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        acl = acl_get_file(proc, ACL_TYPE_ACCESS);
        if (!acl)
                return NULL;
        /* A minimal ACL is only the mode bits again. */
        if (acl_equiv_mode(acl, NULL) == 0) {
                acl_free(acl);
                return NULL;
        }
        return acl;
}

static bool mode_grants(mode_t mode, unsigned shift)
{
        return ((mode >> shift) & 06) == 06;
}

int node_access_check(const sysroot *sr, const invoking_user *u, const char *path,
                      node_access *ret)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *why = NULL, *p = NULL;
        access_path how;
        struct stat st;
        bool ok, has_acl = false;
        acl_t acl;
        int k;

        p = strdup(path);
        if (!p)
                return -ENOMEM;
        /* O_PATH opens nothing for real: a device node's open() is never called. */
        fd = sysroot_openat(sr, path, O_PATH);
        if (fd == -ENOENT) {
                why = strdup_printf("%s does not exist", path);
                if (!why)
                        return -ENOMEM;
                *ret = (node_access){.path = TAKE_PTR(p), .why = TAKE_PTR(why)};
                return 0;
        }
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;

        acl = fd_acl(fd);
        has_acl = acl != NULL;
        if (u->uid == 0) {
                how = ACCESS_ROOT;
                ok = true;
        } else if (st.st_uid == u->uid) {
                how = ACCESS_OWNER;
                ok = mode_grants(st.st_mode, 6);
        } else if (acl && (st.st_mode & S_IRWXG))
                /* Like the kernel: a group class of "---" means the ACL is not consulted. */
                ok = acl_decide(acl, u, st.st_gid, &how);
        else if (has_group(u, st.st_gid)) {
                how = ACCESS_GROUP;
                ok = mode_grants(st.st_mode, 3);
        } else {
                how = ACCESS_OTHER;
                ok = mode_grants(st.st_mode, 0);
        }
        if (acl)
                acl_free(acl);
        if (!ok && (k = explain(sr, u, path, &st, how, &why)) < 0)
                return k;
        *ret = (node_access){
                .path = TAKE_PTR(p),
                .present = true,
                .mode = st.st_mode,
                .uid = st.st_uid,
                .gid = st.st_gid,
                .has_acl = has_acl,
                .can_read_write = ok,
                .why = TAKE_PTR(why),
        };
        return 0;
}

void node_access_clear(node_access *a)
{
        if (!a)
                return;
        free(a->path);
        free(a->why);
        *a = (node_access){0};
}
