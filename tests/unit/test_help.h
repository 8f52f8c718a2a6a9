/*
 * test_help.h - a tiny test harness after Redis's testhelp.h.
 *
 * test_cond("what", expr) prints one line per check; TEST_REPORT() prints the
 * totals as "N passed, N failed" and returns the exit status from main().
 * test_write_file() writes a fixture file (keys, configs) with a given mode.
 */
#ifndef RAIA_TEST_HELP_H
#define RAIA_TEST_HELP_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_passed, test_failed;

#define test_cond(descr, cond)                                                                     \
    do {                                                                                           \
        if (cond) {                                                                                \
            test_passed++;                                                                         \
        } else {                                                                                   \
            test_failed++;                                                                         \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, (descr));                               \
        }                                                                                          \
    } while (0)

#define TEST_REPORT()                                                                              \
    do {                                                                                           \
        printf("%d passed, %d failed\n", test_passed, test_failed);                                \
        return test_failed ? 1 : 0;                                                                \
    } while (0)

/* Writes text to dir/name with exactly mode (key files must be 0600); the
 * path stays valid until the next call. Aborts when it cannot. */
static inline const char *test_write_file(const char *dir, const char *name, const char *text,
                                          mode_t mode)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    fchmod(fd, mode);
    close(fd);
    return path;
}

#endif
