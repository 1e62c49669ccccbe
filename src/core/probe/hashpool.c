/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parallel MD5 of package files. Workers take chunks of a path-sorted
 * index with an atomic counter; each keeps the directory fd of its last
 * file, so most opens are one openat() of a single component.
 */
#include "probe/hashpool.h"

#include <fcntl.h>
#include <md5.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "base/util.h"

#define CHUNK 32
#define MAX_THREADS 64
#define READ_BUF (256u * 1024)

unsigned hash_pool_default_threads(void)
{
        cpu_set_t set;
        long n;

        if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
                n = CPU_COUNT(&set);
        else
                n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
                n = 1;
        return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

int md5_fd(int fd, uint8_t ret[16])
{
        _cleanup_free_ uint8_t *buf = malloc(READ_BUF);
        MD5_CTX ctx;
        ssize_t k;

        if (!buf)
                return -ENOMEM;
        MD5Init(&ctx);
        while ((k = loop_read(fd, buf, READ_BUF)) > 0)
                MD5Update(&ctx, buf, (size_t)k);
        if (k < 0)
                return (int)k;
        MD5Final(ret, &ctx);
        return 0;
}

typedef struct pool {
        const sysroot *sr;
        hash_job *jobs;
        size_t *order;
        size_t n;
        const hash_cache *cache;
        atomic_size_t next;
} pool;

typedef struct worker_dir {
        char *path;  /* directory the fd is for */
        int fd;      /* < 0: could not be opened (error kept) */
} worker_dir;

static int dir_for(const pool *p, worker_dir *d, const char *path, size_t dlen)
{
        if (d->path && strlen(d->path) == dlen && memcmp(d->path, path, dlen) == 0)
                return d->fd;
        free(d->path);
        if (d->fd >= 0)
                close(d->fd);
        d->path = strndup(path, dlen);
        if (!d->path) {
                d->fd = -ENOMEM;
                return -ENOMEM;
        }
        d->fd = sysroot_openat(p->sr, dlen ? d->path : "/", O_PATH | O_DIRECTORY);
        return d->fd;
}

static void hash_one(const pool *p, worker_dir *d, hash_job *j)
{
        const char *slash = strrchr(j->path, '/');
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int dfd;

        j->error = 0;
        j->cached = false;
        if (!slash || !slash[1]) {
                j->error = -EINVAL;
                return;
        }
        dfd = dir_for(p, d, j->path, (size_t)(slash - j->path));
        if (dfd < 0) {
                j->error = dfd == -ENOTDIR ? -ENOENT : dfd;
                return;
        }
        /*
         * Cache probe by one fstatat(): a hit means this very inode, size and
         * times were hashed before. A miss opens the file and keys the new
         * digest by the fstat of the fd that is read.
         */
        if (p->cache && fstatat(dfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
                hash_key_from_stat(&st, &j->key);
                if (hash_cache_lookup_ref(p->cache, j->path, &j->key, j->md5, &j->cache_ref)) {
                        j->cached = true;
                        return;
                }
        }
        fd = openat(dfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ELOOP)
                /* a symlink where the package has a file: what it points to, inside the root */
                fd = sysroot_openat(p->sr, j->path, O_RDONLY | O_NONBLOCK);
        else if (fd < 0)
                fd = -errno;
        if (fd < 0) {
                j->error = fd == -ENOTDIR ? -ENOENT : fd;
                return;
        }
        if (fstat(fd, &st) < 0) {
                j->error = -errno;
                return;
        }
        if (!S_ISREG(st.st_mode)) {
                j->error = -EINVAL;
                return;
        }
        hash_key_from_stat(&st, &j->key);
        if (p->cache && hash_cache_lookup_ref(p->cache, j->path, &j->key, j->md5, &j->cache_ref)) {
                j->cached = true;
                return;
        }
        j->error = md5_fd(fd, j->md5);
}

static void *worker(void *arg)
{
        pool *p = arg;
        worker_dir d = {.fd = -EBADF};

        for (;;) {
                size_t start = atomic_fetch_add(&p->next, CHUNK);

                if (start >= p->n)
                        break;
                for (size_t i = start; i < p->n && i < start + CHUNK; i++)
                        hash_one(p, &d, &p->jobs[p->order[i]]);
        }
        free(d.path);
        if (d.fd >= 0)
                close(d.fd);
        return NULL;
}

static int cmp_order(const void *a, const void *b, void *userdata)
{
        const hash_job *jobs = userdata;

        return strcmp(jobs[*(const size_t *)a].path, jobs[*(const size_t *)b].path);
}

int hash_jobs_run(const sysroot *sr, hash_job *jobs, size_t n, const hash_cache *cache, unsigned nthreads)
{
        _cleanup_free_ size_t *order = NULL;
        pthread_t threads[MAX_THREADS];
        unsigned started = 0;
        pool p;

        if (n == 0)
                return 0;
        order = malloc(n * sizeof(*order));
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                order[i] = i;
        qsort_r(order, n, sizeof(*order), cmp_order, jobs);

        p = (pool){.sr = sr, .jobs = jobs, .order = order, .n = n, .cache = cache};
        atomic_init(&p.next, 0);
        if (nthreads == 0)
                nthreads = hash_pool_default_threads();
        if (nthreads > MAX_THREADS)
                nthreads = MAX_THREADS;
        if ((size_t)nthreads > (n + CHUNK - 1) / CHUNK)
                nthreads = (unsigned)((n + CHUNK - 1) / CHUNK);
        for (unsigned i = 1; i < nthreads; i++) {
                if (pthread_create(&threads[started], NULL, worker, &p) != 0)
                        break; /* fewer workers: slower, not wrong */
                started++;
        }
        worker(&p); /* this thread works too */
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        return 0;
}
