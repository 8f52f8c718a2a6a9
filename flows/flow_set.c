/*
 * flow_set.c - every flow in a directory, and lookups by USSD code, SMS
 * short code + keyword, or id + version. Several versions of one flow may
 * sit side by side: the highest version takes new sessions, older ones stay
 * so that sessions in flight finish on the version they began with. Two
 * different flows claiming the same code is an error: a citizen's dial
 * must reach exactly one flow.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow_def.h"

#define FLOW_SET_MAX 256

struct flow_set {
    struct flow_def *defs[FLOW_SET_MAX];
    size_t n;
};

void flow_set_free(struct flow_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        flow_def_unref(set->defs[i]);
    free(set);
}

size_t flow_set_count(const struct flow_set *set)
{
    return set->n;
}

struct flow_def *flow_set_get(const struct flow_set *set, size_t i)
{
    return i < set->n ? set->defs[i] : NULL;
}

static int is_flow_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
                              (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Reports a clash between def and an earlier flow of the set, if any. */
static void check_clashes(const struct flow_set *set, const struct flow_def *def,
                          struct raia_errlist *errs)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct flow_def *o = set->defs[i];
        if (same(o->id, def->id) && o->version == def->version)
            raia_errlist_add(errs, def->file, 1, 1, "flow '%s' version %d is also in %s", def->id,
                             def->version, o->file);
        else if (!same(o->id, def->id) && same(o->ussd_code, def->ussd_code))
            raia_errlist_add(errs, def->file, 1, 1, "USSD code %s is also used by %s",
                             def->ussd_code, o->file);
        else if (!same(o->id, def->id) && same(o->sms_short_code, def->sms_short_code) &&
                 same(o->sms_keyword, def->sms_keyword))
            raia_errlist_add(errs, def->file, 1, 1, "SMS %s %s is also used by %s",
                             def->sms_short_code, def->sms_keyword, o->file);
    }
}

struct flow_set *flow_set_load_dir(const char *dir, struct raia_errlist *errs)
{
    size_t before = errs->n;
    DIR *d = opendir(dir);
    if (!d) {
        raia_errlist_add(errs, dir, 0, 0, "cannot open flows directory: %s", strerror(errno));
        return NULL;
    }
    /* Sorted, so errors and precedence do not depend on directory order. */
    char *names[FLOW_SET_MAX];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_flow_file(e->d_name))
            continue;
        if (n == FLOW_SET_MAX) {
            raia_errlist_add(errs, dir, 0, 0, "more than %d flow files", FLOW_SET_MAX);
            break;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);

    struct flow_set *set = calloc(1, sizeof *set);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        struct flow_def *def = set ? flow_def_load(path, errs) : NULL;
        if (!def)
            continue;
        check_clashes(set, def, errs);
        set->defs[set->n++] = def;
    }
    if (set && set->n == 0 && errs->n == before)
        raia_errlist_add(errs, dir, 0, 0, "no flow files (*.yaml) in this directory");
    if (!set || errs->n > before) {
        if (!set)
            raia_errlist_add(errs, dir, 0, 0, "out of memory");
        flow_set_free(set);
        return NULL;
    }
    return set;
}

/* The highest version among the flows that match. */
static struct flow_def *newest(const struct flow_set *set,
                               int (*match)(const struct flow_def *, const void *), const void *arg)
{
    struct flow_def *best = NULL;
    for (size_t i = 0; i < set->n; i++)
        if (match(set->defs[i], arg) && (!best || set->defs[i]->version > best->version))
            best = set->defs[i];
    return best;
}

static int match_ussd(const struct flow_def *def, const void *code)
{
    return same(def->ussd_code, code);
}

struct flow_def *flow_set_find_ussd(const struct flow_set *set, const char *service_code)
{
    return newest(set, match_ussd, service_code);
}

struct sms_key {
    const char *short_code;
    char keyword[24];
};

static int match_sms(const struct flow_def *def, const void *arg)
{
    const struct sms_key *k = arg;
    return same(def->sms_short_code, k->short_code) && def->sms_keyword &&
           strcasecmp(def->sms_keyword, k->keyword) == 0;
}

struct flow_def *flow_set_find_sms(const struct flow_set *set, const char *short_code,
                                   const char *keyword)
{
    struct sms_key k = {short_code, ""};
    /* The keyword is the first word of the text. */
    size_t skip = strspn(keyword, " \t\r\n");
    size_t len = strcspn(keyword + skip, " \t\r\n");
    if (len == 0 || len >= sizeof k.keyword)
        return NULL;
    memcpy(k.keyword, keyword + skip, len);
    k.keyword[len] = '\0';
    return newest(set, match_sms, &k);
}

struct flow_def *flow_set_find(const struct flow_set *set, const char *id, int version)
{
    for (size_t i = 0; i < set->n; i++)
        if (same(set->defs[i]->id, id) && set->defs[i]->version == version)
            return set->defs[i];
    return NULL;
}
