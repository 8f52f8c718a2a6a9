/*
 * safe_table.c - primary and complementary cell suppression (see
 * safe_table.h for the rules and why they are enough).
 *
 * Called by api/api_server.c for GET /v1/flows/{id}/tables. Tables are
 * small (a few dozen categories a side), so clarity beats speed: the
 * fixpoint loop re-checks every line after each change, and bridges are
 * found by removing one hidden cell at a time and asking whether its row
 * and column are still connected.
 */
#include "safe_table.h"

#include <stdlib.h>
#include <string.h>

/* Working view of a table: entry e lies on row line row_of(e), column line col_of(e). */
struct grid {
    struct safe_table *t;
    size_t nr, nc;       /* lines: rows + 1, cols + 1 */
    unsigned char *seen; /* BFS marks, nr + nc nodes */
    size_t *queue;
};

size_t safe_table_at(const struct safe_table *t, size_t i, size_t j)
{
    return i * (t->cols + 1) + j;
}

size_t safe_table_size(const struct safe_table *t)
{
    return t->cols ? (t->rows + 1) * (t->cols + 1) : t->rows + 1;
}

long long safe_table_hidden(const struct safe_table *t)
{
    long long n = 0;
    for (size_t e = 0; t && e < safe_table_size(t); e++)
        n += t->cell[e] != SAFE_CELL_PUBLISHED;
    return n;
}

const char *safe_cell_name(enum safe_cell c)
{
    return c == SAFE_CELL_PRIMARY         ? "primary"
           : c == SAFE_CELL_COMPLEMENTARY ? "complementary"
                                          : "published";
}

static int hidden(const struct safe_table *t, size_t e)
{
    return t->cell[e] != SAFE_CELL_PUBLISHED;
}

/*
 * The smallest published candidate (entries cand[0..n) of t) with a value
 * above zero whose fit[k] is at least min_fit; ties go to the first.
 * Returns its index or (size_t)-1.
 */
static size_t smallest(const struct safe_table *t, const size_t *cand, size_t n,
                       const unsigned char *fit, unsigned char min_fit)
{
    size_t best = (size_t)-1;
    for (size_t k = 0; k < n; k++) {
        size_t e = cand[k];
        if (hidden(t, e) || t->value[e] <= 0 || (fit && fit[k] < min_fit))
            continue;
        if (best == (size_t)-1 || t->value[e] < t->value[best])
            best = e;
    }
    return best;
}

/*
 * One line (entries line[0..n)) with exactly one hidden entry gets a second
 * one from cand[0..nc), always a count above zero (a hidden zero could not
 * move, and would pin its neighbours). fit[k] says how well candidate k
 * suits its other line: FIT_CLOSES when that line already holds a hidden
 * entry (a cycle closes), FIT_PAIRS when it holds another count above zero
 * that can hide with it later, 0 otherwise; the best fit wins, then the
 * smallest count. Failing that, an entry of the line itself (its margin).
 * Returns 1 when it hid something, 0 when the line was fine, -1 when
 * nothing can be hidden.
 */
enum { FIT_NONE, FIT_PAIRS, FIT_CLOSES };

static int fix_line(struct safe_table *t, const size_t *line, size_t n, const size_t *cand,
                    size_t nc, const unsigned char *fit)
{
    size_t count = 0;
    for (size_t k = 0; k < n; k++)
        count += hidden(t, line[k]) ? 1 : 0;
    if (count != 1)
        return 0;
    size_t e = (size_t)-1;
    for (int f = FIT_CLOSES; fit && f > FIT_NONE && e == (size_t)-1; f--)
        e = smallest(t, cand, nc, fit, (unsigned char)f);
    if (e == (size_t)-1)
        e = smallest(t, cand, nc, NULL, 0);
    if (e == (size_t)-1)
        e = smallest(t, line, n, NULL, 0);
    if (e == (size_t)-1)
        return -1;
    t->cell[e] = SAFE_CELL_COMPLEMENTARY;
    return 1;
}

/* Entries of row line k (column line k, when col) into buf, its margin last unless interior. */
static size_t line_of(const struct safe_table *t, size_t k, int col, int interior, size_t *buf)
{
    size_t n = (col ? t->rows : t->cols) + (interior ? 0 : 1);
    for (size_t m = 0; m < n; m++)
        buf[m] = col ? safe_table_at(t, m, k) : safe_table_at(t, k, m);
    return n;
}

/*
 * How well interior entry skip suits row line k (column line k, when col)
 * as a complementary cell: FIT_CLOSES when the line holds a hidden entry,
 * FIT_PAIRS when it holds another published count above zero.
 */
static unsigned char line_fit(const struct safe_table *t, size_t k, int col, size_t skip)
{
    size_t n = col ? t->rows + 1 : t->cols + 1;
    unsigned char fit = FIT_NONE;
    for (size_t m = 0; m < n; m++) {
        size_t e = col ? safe_table_at(t, m, k) : safe_table_at(t, k, m);
        if (hidden(t, e))
            return FIT_CLOSES;
        if (e != skip && m + 1 < n && t->value[e] > 0)
            fit = FIT_PAIRS;
    }
    return fit;
}

/*
 * The line rule over every line; the margins first, to their own fixpoint
 * (they are the one-way tables), then rows and columns with complementary
 * cells from the interior. line and cand hold a line each. Returns 1 when
 * it hid something, 0 when every line is fine, -1 when a line cannot be
 * fixed.
 */
static int fix_lines(struct safe_table *t, size_t *line, size_t *cand, unsigned char *fit)
{
    int changed = 0, rc;
    for (int col = 1; col >= 0; col--) { /* the row totals' column, then the column totals' row */
        size_t n = line_of(t, col ? t->cols : t->rows, col, 0, line);
        if ((rc = fix_line(t, line, n, line, n, NULL)) != 0)
            return rc;
    }
    for (int col = 0; col <= 1; col++) {
        for (size_t k = 0; k < (col ? t->cols : t->rows); k++) {
            size_t n = line_of(t, k, col, 0, line), nc = line_of(t, k, col, 1, cand);
            for (size_t m = 0; m < nc; m++)
                fit[m] = line_fit(t, m, !col, cand[m]);
            if ((rc = fix_line(t, line, n, cand, nc, fit)) < 0)
                return rc;
            changed |= rc;
        }
    }
    return changed;
}

/*
 * Marks with mark in g->seen every line node reachable from node start
 * through hidden entries, skipping entry skip. Nodes 0..nr-1 are row lines,
 * nr.. column lines.
 */
static void reach(struct grid *g, size_t start, size_t skip, unsigned char mark)
{
    const struct safe_table *t = g->t;
    size_t head = 0, tail = 0;
    g->seen[start] = mark;
    g->queue[tail++] = start;
    while (head < tail) {
        size_t u = g->queue[head++];
        size_t others = u < g->nr ? g->nc : g->nr;
        for (size_t k = 0; k < others; k++) {
            size_t e = u < g->nr ? safe_table_at(t, u, k) : safe_table_at(t, k, u - g->nr);
            size_t v = u < g->nr ? g->nr + k : k;
            if (e == skip || !hidden(t, e) || g->seen[v])
                continue;
            g->seen[v] = mark;
            g->queue[tail++] = v;
        }
    }
}

/*
 * A published entry above zero whose row and column lie on opposite sides
 * of a bridge (seen marks 1 for one side, 2 for the other): the smallest in
 * the interior, else the smallest margin. (size_t)-1 when there is none.
 */
static size_t crossing(const struct grid *g)
{
    const struct safe_table *t = g->t;
    size_t best[2] = {(size_t)-1, (size_t)-1};
    for (size_t i = 0; i < g->nr; i++) {
        for (size_t j = 0; j < g->nc; j++) {
            size_t e = safe_table_at(t, i, j);
            unsigned char a = g->seen[i], b = g->seen[g->nr + j];
            if (hidden(t, e) || !a || !b || a == b || t->value[e] <= 0)
                continue;
            int tier = (i == t->rows || j == t->cols) ? 1 : 0;
            if (best[tier] == (size_t)-1 || t->value[e] < t->value[best[tier]])
                best[tier] = e;
        }
    }
    return best[0] != (size_t)-1 ? best[0] : best[1];
}

/*
 * Finds one hidden entry that is a bridge and hides a crossing entry to put
 * it on a cycle. Returns 1 when it hid something, 0 when there is no bridge,
 * -1 when a bridge cannot be closed.
 */
static int fix_bridge(struct grid *g)
{
    struct safe_table *t = g->t;
    for (size_t i = 0; i < g->nr; i++) {
        for (size_t j = 0; j < g->nc; j++) {
            size_t e = safe_table_at(t, i, j);
            if (!hidden(t, e))
                continue;
            memset(g->seen, 0, g->nr + g->nc);
            reach(g, i, e, 1);
            if (g->seen[g->nr + j])
                continue; /* on a cycle */
            reach(g, g->nr + j, e, 2);
            size_t c = crossing(g);
            if (c == (size_t)-1)
                return -1;
            t->cell[c] = SAFE_CELL_COMPLEMENTARY;
            return 1;
        }
    }
    return 0;
}

/* Hides everything still published: the last resort when a bridge cannot be closed. */
static void hide_all(struct safe_table *t)
{
    for (size_t e = 0; e < safe_table_size(t); e++)
        if (!hidden(t, e))
            t->cell[e] = SAFE_CELL_COMPLEMENTARY;
}

static int protect_two_way(struct safe_table *t)
{
    size_t n = t->rows > t->cols ? t->rows + 1 : t->cols + 1;
    struct grid g = {t, t->rows + 1, t->cols + 1, NULL, NULL};
    size_t *line = malloc(2 * n * sizeof *line);
    unsigned char *fit = malloc(n);
    g.seen = calloc(g.nr + g.nc, 1);
    g.queue = malloc((g.nr + g.nc) * sizeof *g.queue);
    int rc = line && fit && g.seen && g.queue ? 0 : -1;
    while (rc == 0) {
        int l = fix_lines(t, line, line + n, fit);
        if (l > 0)
            continue;
        int b = l < 0 ? -1 : fix_bridge(&g);
        if (b == 0)
            break;
        if (b < 0)
            hide_all(t);
    }
    free(line);
    free(fit);
    free(g.seen);
    free(g.queue);
    return rc;
}

struct safe_table *safe_table_protect(size_t rows, size_t cols, const long long *counts,
                                      long long min_cell)
{
    if (rows == 0 || min_cell < SAFE_TABLE_MIN_CELL_FLOOR || rows > 100000 || cols > 100000)
        return NULL;
    struct safe_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->rows = rows;
    t->cols = cols;
    size_t size = safe_table_size(t);
    t->value = calloc(size, sizeof *t->value);
    t->cell = calloc(size, sizeof *t->cell);
    if (!t->value || !t->cell) {
        safe_table_free(t);
        return NULL;
    }
    size_t w = cols ? cols : 1;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < w; j++) {
            long long v = counts[i * w + j];
            if (v < 0) {
                safe_table_free(t);
                return NULL;
            }
            if (cols) {
                t->value[safe_table_at(t, i, j)] = v;
                t->value[safe_table_at(t, i, cols)] += v;
                t->value[safe_table_at(t, rows, j)] += v;
                t->value[safe_table_at(t, rows, cols)] += v;
            } else {
                t->value[i] = v;
                t->value[rows] += v;
            }
        }
    }
    for (size_t e = 0; e < size; e++)
        if (t->value[e] > 0 && t->value[e] < min_cell)
            t->cell[e] = SAFE_CELL_PRIMARY;
    if (!cols) {
        size_t *line = malloc(size * sizeof *line);
        if (!line) {
            safe_table_free(t);
            return NULL;
        }
        for (size_t e = 0; e < size; e++)
            line[e] = e;
        if (fix_line(t, line, size, line, size, NULL) < 0)
            hide_all(t);
        free(line);
        return t;
    }
    if (protect_two_way(t) < 0) {
        safe_table_free(t);
        return NULL;
    }
    return t;
}

void safe_table_free(struct safe_table *t)
{
    if (!t)
        return;
    free(t->value);
    free(t->cell);
    free(t);
}
