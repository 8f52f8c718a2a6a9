/*
 * flow_areas.c - the admin-area list of a location step: a CSV file beside
 * the flow (code,parent,level,name[,name_<lang>...]), read by the loader
 * (flow_load.c) into the step's areas. Every row is checked and each
 * problem reported as `areas.csv:LINE: message`: a duplicate code, an
 * unknown level or parent, a parent at the wrong level, a missing
 * translation, an area with nothing inside it, a list too long to number.
 * flow_def_area_at() lists the areas in file order (exports read it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "flow_def.h"

#define CSV_FIELDS_MAX (4 + FLOW_LANGS_MAX * 2)
#define CSV_FIELD_MAX 256

struct areas_ld {
    const char *file;
    struct raia_errlist *errs;
    const struct flow_def *def;
    struct flow_step_def *s;
    int *lines; /* line of each row, for messages */
    int bad;
};

__attribute__((format(printf, 3, 4))) static void bad_row(struct areas_ld *al, int line,
                                                          const char *fmt, ...)
{
    char msg[RAIA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    raia_errlist_add(al->errs, al->file, line, 0, "%s", msg);
    al->bad++;
}

/*
 * Splits the line at *p (up to end) into fields, with RFC 4180 quoting
 * ("a, b" and "" for a quote). Moves *p to the next line. Returns the number
 * of fields, or -1 for a field too long, too many fields or a bad quote.
 */
static int csv_line(const char **p, const char *end, char fields[][CSV_FIELD_MAX])
{
    const char *s = *p;
    int n = 0, err = 0;
    for (;;) {
        size_t len = 0;
        char *f = n < CSV_FIELDS_MAX ? fields[n] : NULL;
        err |= !f;
        if (s < end && *s == '"') {
            for (s++; s < end && !(*s == '"' && (s + 1 >= end || s[1] != '"')); s++) {
                if (*s == '"')
                    s++;
                if (f && len + 1 < CSV_FIELD_MAX)
                    f[len++] = *s;
                else
                    err = 1;
            }
            err |= s >= end;
            s += s < end;
            err |= s < end && *s != ',' && *s != '\n' && *s != '\r';
        }
        for (; s < end && *s != ',' && *s != '\n'; s++)
            if (*s != '\r') {
                if (f && len + 1 < CSV_FIELD_MAX)
                    f[len++] = *s;
                else
                    err = 1;
            }
        if (f)
            f[len] = '\0';
        n++;
        if (s >= end || *s == '\n') {
            *p = s < end ? s + 1 : end;
            return err ? -1 : n;
        }
        s++; /* the comma */
    }
}

static int valid_code(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < FLOW_ID_MAX &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The areas sorted by code (then line), to find parents and duplicates fast. */
struct area_key {
    const char *code;
    int i;
};

static int cmp_code(const void *a, const void *b)
{
    const struct area_key *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : x->i - y->i;
}

/* The first area with code, by binary search in the sorted index; -1 if none. */
static int find(const struct flow_step_def *s, const struct area_key *sorted, const char *code)
{
    size_t lo = 0, hi = s->n_areas;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(sorted[mid].code, code);
        if (c == 0) {
            while (mid > 0 && strcmp(sorted[mid - 1].code, code) == 0)
                mid--;
            return sorted[mid].i;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int level_of(const struct flow_step_def *s, const char *name)
{
    for (size_t i = 0; i < s->n_levels; i++)
        if (strcmp(s->levels[i], name) == 0)
            return (int)i;
    return -1;
}

/* Column of each flow language's name_<lang>, or -1 (the `name` column serves). */
static int header(struct areas_ld *al, int n, char fields[][CSV_FIELD_MAX], int lang_col[])
{
    static const char *const want[] = {"code", "parent", "level", "name"};
    for (size_t l = 0; l < FLOW_LANGS_MAX; l++)
        lang_col[l] = -1;
    for (int i = 0; i < 4; i++)
        if (i >= n || strcmp(fields[i], want[i]) != 0) {
            bad_row(al, 1, "the first line must be code,parent,level,name (then name_<lang> ...)");
            return -1;
        }
    for (int i = 4; i < n; i++) {
        if (strncmp(fields[i], "name_", 5) != 0) {
            bad_row(al, 1, "column '%s' is not name_<language>", fields[i]);
            return -1;
        }
        int l = flow_def_lang_index(al->def, fields[i] + 5);
        if (fields[i][5] && l >= 0)
            lang_col[l] = i; /* columns of other languages are allowed and unused */
    }
    return 0;
}

/* Reads one data row into a new area (codes and parents are resolved later). */
static void row(struct areas_ld *al, int line, int n, char fields[][CSV_FIELD_MAX],
                const int lang_col[], int *parent_col_empty)
{
    struct flow_step_def *s = al->s;
    struct flow_area *a = &s->areas[s->n_areas];
    memset(a, 0, sizeof *a);
    a->parent = -1;
    if (n < 4) {
        bad_row(al, line, "needs code,parent,level,name");
        return;
    }
    if (!valid_code(fields[0])) {
        bad_row(al, line, "code '%s' must be 1 to 63 of A-Z a-z 0-9 _ . -", fields[0]);
        return;
    }
    a->level = level_of(s, fields[2]);
    if (a->level < 0) {
        char names[FLOW_LEVELS_MAX * FLOW_ID_MAX] = "";
        size_t used = 0;
        for (size_t i = 0; i < s->n_levels; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     s->levels[i]);
        bad_row(al, line, "'%s': unknown level '%s' (levels: %s)", fields[0], fields[2], names);
        return;
    }
    for (size_t l = 0; l < al->def->n_langs; l++) {
        const char *name = lang_col[l] >= 0 && lang_col[l] < n ? fields[lang_col[l]] : fields[3];
        if (!*name) {
            bad_row(al, line, "'%s': no %s%s name", fields[0], lang_col[l] >= 0 ? "name_" : "",
                    lang_col[l] >= 0 ? al->def->langs[l] : "");
            continue;
        }
        if (charset_utf8_chars(name, strlen(name)) < 0) {
            bad_row(al, line, "'%s': name is not valid UTF-8", fields[0]);
            continue;
        }
        if (!(a->name.s[l] = strdup(name)))
            bad_row(al, line, "out of memory");
    }
    if (!(a->code = strdup(fields[0]))) {
        bad_row(al, line, "out of memory");
        for (size_t l = 0; l < FLOW_LANGS_MAX; l++)
            RAIA_FREE(a->name.s[l]);
        return;
    }
    *parent_col_empty = fields[1][0] == '\0';
    al->lines[s->n_areas] = line;
    s->n_areas++;
}

/*
 * Parents: a top-level area has none; any other names an area of the level
 * just above, on an earlier line. Then every area above the finest level
 * must hold at least one area, and at most FLOW_AREA_CHILDREN_MAX.
 */
static void link_parents(struct areas_ld *al, char (*parents)[FLOW_ID_MAX],
                         const struct area_key *sorted)
{
    struct flow_step_def *s = al->s;
    size_t *children = calloc(s->n_areas + 1, sizeof *children);
    if (!children) {
        bad_row(al, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < s->n_areas; i++) {
        struct flow_area *a = &s->areas[i];
        int line = al->lines[i];
        if (a->level == 0) {
            if (parents[i][0])
                bad_row(al, line, "'%s': a %s has no parent", a->code, s->levels[0]);
            else
                children[s->n_areas]++;
            continue;
        }
        int p = parents[i][0] ? find(s, sorted, parents[i]) : -1;
        if (!parents[i][0])
            bad_row(al, line, "'%s': a %s needs its %s as parent", a->code, s->levels[a->level],
                    s->levels[a->level - 1]);
        else if (p < 0 || (size_t)p >= i)
            bad_row(al, line, "'%s': unknown parent '%s' (a parent comes on an earlier line)",
                    a->code, parents[i]);
        else if (s->areas[p].level != a->level - 1)
            bad_row(al, line, "'%s': a %s inside %s '%s': wrong level order (%s is inside %s)",
                    a->code, s->levels[a->level], s->levels[s->areas[p].level], s->areas[p].code,
                    s->levels[a->level], s->levels[a->level - 1]);
        else {
            a->parent = p;
            children[p]++;
        }
    }
    if (children[s->n_areas] == 0)
        bad_row(al, 0, "no %s (an area with an empty parent)", s->levels[0]);
    for (size_t i = 0; i <= s->n_areas; i++) {
        int line = i < s->n_areas ? al->lines[i] : 0;
        const char *code = i < s->n_areas ? s->areas[i].code : "the top level";
        if (children[i] > FLOW_AREA_CHILDREN_MAX)
            bad_row(al, line, "%s holds %zu areas; at most %d can be numbered on a phone", code,
                    children[i], FLOW_AREA_CHILDREN_MAX);
        if (i < s->n_areas && (size_t)s->areas[i].level + 1 < s->n_levels && !children[i])
            bad_row(al, line, "'%s': this %s holds no %s", code, s->levels[s->areas[i].level],
                    s->levels[s->areas[i].level + 1]);
    }
    free(children);
}

int flow_areas__parse(const char *file, const char *buf, size_t len, const struct flow_def *def,
                      struct flow_step_def *s, struct raia_errlist *errs)
{
    struct areas_ld al = {file, errs, def, s, NULL, 0};
    char fields[CSV_FIELDS_MAX][CSV_FIELD_MAX];
    int lang_col[FLOW_LANGS_MAX];
    const char *p = buf, *end = buf + len;
    size_t rows = 1;
    for (size_t i = 0; i < len; i++)
        rows += buf[i] == '\n';
    if (rows > FLOW_AREAS_MAX + 1) {
        bad_row(&al, 0, "more than %d areas", FLOW_AREAS_MAX);
        return al.bad;
    }
    s->areas = calloc(rows, sizeof *s->areas);
    al.lines = calloc(rows, sizeof *al.lines);
    char(*parents)[FLOW_ID_MAX] = calloc(rows, sizeof *parents);
    struct area_key *sorted = calloc(rows, sizeof *sorted);
    if (!s->areas || !al.lines || !parents || !sorted) {
        bad_row(&al, 0, "out of memory");
        goto out;
    }
    int n = csv_line(&p, end, fields);
    if (n < 0 || header(&al, n, fields, lang_col) < 0) {
        if (n < 0)
            bad_row(&al, 1, "not a CSV line (a field over %d bytes or a bad quote)",
                    CSV_FIELD_MAX - 1);
        goto out;
    }
    for (int line = 2; p < end; line++) {
        int empty = 0;
        n = csv_line(&p, end, fields);
        if (n == 1 && fields[0][0] == '\0')
            continue; /* a blank line */
        if (n < 0) {
            bad_row(&al, line, "not a CSV line (a field over %d bytes or a bad quote)",
                    CSV_FIELD_MAX - 1);
            continue;
        }
        size_t before = s->n_areas;
        row(&al, line, n, fields, lang_col, &empty);
        size_t plen = strlen(fields[1]);
        if (s->n_areas > before && !empty && plen >= FLOW_ID_MAX)
            bad_row(&al, line, "'%s': unknown parent (longer than any code)", fields[0]);
        else if (s->n_areas > before && !empty)
            memcpy(parents[before], fields[1], plen + 1);
    }
    for (size_t i = 0; i < s->n_areas; i++) {
        sorted[i].code = s->areas[i].code;
        sorted[i].i = (int)i;
    }
    qsort(sorted, s->n_areas, sizeof *sorted, cmp_code);
    for (size_t i = 1; i < s->n_areas; i++)
        if (strcmp(sorted[i].code, sorted[i - 1].code) == 0)
            bad_row(&al, al.lines[sorted[i].i], "duplicate code '%s' (also on line %d)",
                    sorted[i].code, al.lines[sorted[i - 1].i]);
    if (!al.bad)
        link_parents(&al, parents, sorted);
out:
    free(al.lines);
    free(parents);
    free(sorted);
    return al.bad;
}

const char *flow_def_area_at(const struct flow_def *def, size_t i, size_t a, int *level)
{
    const struct flow_step_def *s = def && i < def->n_steps ? &def->steps[i] : NULL;
    if (!s || s->type != STEP_LOCATION || a >= s->n_areas)
        return NULL;
    if (level)
        *level = s->areas[a].level;
    return s->areas[a].code;
}
