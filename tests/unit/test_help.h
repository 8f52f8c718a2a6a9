/*
 * test_help.h - a tiny test harness after Redis's testhelp.h.
 *
 * test_cond("what", expr) prints one line per check; TEST_REPORT() prints the
 * totals as "N passed, N failed" and returns the exit status from main().
 */
#ifndef RAIA_TEST_HELP_H
#define RAIA_TEST_HELP_H

#include <stdio.h>

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

#endif
