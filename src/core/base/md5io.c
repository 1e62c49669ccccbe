/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <md5.h>
#include <unistd.h>

#include "base/md5io.h"
#include "base/util.h"

int md5_copy_fd(int fd, int ofd, char ret_md5[33], uint64_t *ret_size)
{
        return md5_copy_fd_max(fd, ofd, UINT64_MAX, ret_md5, ret_size);
}

int md5_copy_fd_max(int fd, int ofd, uint64_t max, char ret_md5[33], uint64_t *ret_size)
{
        uint8_t buf[65536];
        uint64_t total = 0;
        MD5_CTX ctx;
        ssize_t n;
        int r;

        MD5Init(&ctx);
        while ((n = loop_read(fd, buf, sizeof(buf))) > 0) {
                if ((uint64_t)n > max - total)
                        return -EFBIG; /* nothing past max is read on, nor written */
                MD5Update(&ctx, buf, (size_t)n);
                if (ofd >= 0) {
                        r = loop_write(ofd, buf, (size_t)n);
                        if (r < 0)
                                return r;
                }
                total += (uint64_t)n;
        }
        if (n < 0)
                return (int)n;
        MD5End(&ctx, ret_md5);
        if (ret_size)
                *ret_size = total;
        return 0;
}

void md5_buf(const void *p, size_t len, char ret_md5[33])
{
        MD5Data(p, len, ret_md5);
}
