/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The floor of any stat-based integrity check: one fstatat() of every file
 * a package database lists, nothing else. bench/integrity compiles it and
 * times it beside dpkg --verify and the doctor.
 *
 *   stat-floor ROOT < LIST      (LIST: one absolute path a line, as in dpkg's *.list)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        char *line = NULL;
        size_t cap = 0, n = 0, regular = 0;
        ssize_t len;
        int rootfd;

        if (argc != 2) {
                fprintf(stderr, "usage: stat-floor ROOT < LIST\n");
                return 64;
        }
        rootfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                perror(argv[1]);
                return 1;
        }
        while ((len = getline(&line, &cap, stdin)) > 0) {
                struct stat st;

                if (line[len - 1] == '\n')
                        line[len - 1] = 0;
                if (line[0] != '/' || !line[1])
                        continue;
                n++;
                if (fstatat(rootfd, line + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                        regular++;
        }
        free(line);
        close(rootfd);
        printf("%zu paths, %zu regular files\n", n, regular);
        return 0;
}
