/*
 * flows_checker_test.c - each kind of mistake `raia flows check` finds,
 * one broken file each in tests/assets/flows/broken/ with the exact
 * messages expected beside it (NAME.expected: errors as `file:line:col:
 * message`, warnings prefixed `warning: `). A file whose expected lines are
 * all warnings must load; any other must be refused. Every message must
 * match, and no other may appear.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows_help.h"

#define BROKEN "tests/assets/flows/broken"

/* Reads path into buf (NUL-terminated); 0 or -1. */
static int read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

/* The messages of errs (each prefixed with prefix) appended to got, one per line. */
static void collect(const struct raia_errlist *errs, const char *prefix, char *got, size_t size)
{
    for (size_t i = 0; i < errs->n; i++) {
        char line[512];
        size_t used = strlen(got);
        raia_err_format(&errs->items[i], line, sizeof line);
        snprintf(got + used, size - used, "%s%s\n", prefix, line);
    }
}

/* 1 if the two lists hold the same lines, in any order. */
static int same_lines(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    for (const char *p = a; (p = strchr(p, '\n')); p++)
        na++;
    for (const char *p = b; (p = strchr(p, '\n')); p++)
        nb++;
    if (na != nb)
        return 0;
    for (const char *line = a; *line;) {
        const char *end = strchr(line, '\n');
        char want[600];
        snprintf(want, sizeof want, "%.*s\n", (int)(end - line), line);
        if (!strstr(b, want))
            return 0;
        line = end + 1;
    }
    return 1;
}

static void check_one(const char *name)
{
    char path[512], expected_path[512], expected[8192] = "", got[8192] = "";
    snprintf(path, sizeof path, "%s/%s", BROKEN, name);
    snprintf(expected_path, sizeof expected_path, "%s/%.*s.expected", BROKEN,
             (int)(strlen(name) - 5), name);
    test_cond(expected_path, read_all(expected_path, expected, sizeof expected) == 0);
    struct raia_errlist errs = {0}, warns = {0};
    struct flow_def *def = flow_def_load_ex(path, &errs, &warns);
    collect(&warns, "warning: ", got, sizeof got);
    collect(&errs, "", got, sizeof got);
    int only_warnings = errs.n == 0;
    int ok = same_lines(expected, got) && (def != NULL) == only_warnings && expected[0];
    if (!ok)
        printf("  %s\n  expected:\n%s  got:\n%s", path, expected, got);
    test_cond(name, ok);
    flow_def_unref(def);
    raia_errlist_free(&errs);
    raia_errlist_free(&warns);
}

int main(void)
{
    DIR *d = opendir(BROKEN);
    struct dirent *e;
    int n = 0;
    test_cond(BROKEN " opens", d != NULL);
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) {
            check_one(e->d_name);
            n++;
        }
    }
    if (d)
        closedir(d);
    printf("  %d broken flow files\n", n);
    test_cond("every kind of mistake has a file", n >= 25);
    TEST_REPORT();
}
