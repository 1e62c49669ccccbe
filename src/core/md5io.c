/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <md5.h>
#include <unistd.h>

#include "md5io.h"

static int write_all(int fd, const uint8_t *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int md5_copy_fd(int fd, int ofd, char ret_md5[33], uint64_t *ret_size)
{
        uint8_t buf[65536];
        uint64_t total = 0;
        MD5_CTX ctx;
        int r;

        MD5Init(&ctx);
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                MD5Update(&ctx, buf, (size_t)n);
                if (ofd >= 0) {
                        r = write_all(ofd, buf, (size_t)n);
                        if (r < 0)
                                return r;
                }
                total += (uint64_t)n;
        }
        MD5End(&ctx, ret_md5);
        if (ret_size)
                *ret_size = total;
        return 0;
}

void md5_buf(const void *p, size_t len, char ret_md5[33])
{
        MD5Data(p, len, ret_md5);
}
