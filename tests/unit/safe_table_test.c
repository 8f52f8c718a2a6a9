/*
 * safe_table_test.c - api/safe_table.c against hand-computed tables, then
 * an attacker on thousands of random tables.
 *
 * The attacker knows every published cell and margin and which entries are
 * margins. For each hidden entry it tries, in turn:
 *   1. the line equations: a row or column with one unknown gives it away;
 *      repeated until nothing more falls out;
 *   2. all equations at once: the entry is determined when its unit vector
 *      lies in the row space of the equations (Gaussian elimination);
 *   3. bounds: minimise and maximise the entry under the equations and
 *      non-negativity with GLPK's simplex; a range of one value recovers it.
 * Every hidden entry must survive all three. A control run shows the
 * attacker works: on primary suppression alone it recovers cells.
 */
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "safe_table.h"
#include "test_help.h"

#define MAX_ENTRIES 64
#define MAX_EQ 20

/* The attacker's equations: sum of coef * entry = 0 over every entry. */
struct system {
    size_t n_entries, n_eq;
    double a[MAX_EQ][MAX_ENTRIES];
};

static void equations(const struct safe_table *t, struct system *s)
{
    memset(s, 0, sizeof *s);
    s->n_entries = safe_table_size(t);
    if (!t->cols) {
        for (size_t i = 0; i < t->rows; i++)
            s->a[0][i] = 1;
        s->a[0][t->rows] = -1;
        s->n_eq = 1;
        return;
    }
    for (size_t i = 0; i <= t->rows; i++, s->n_eq++) {
        for (size_t j = 0; j < t->cols; j++)
            s->a[s->n_eq][safe_table_at(t, i, j)] = 1;
        s->a[s->n_eq][safe_table_at(t, i, t->cols)] = -1;
    }
    for (size_t j = 0; j <= t->cols; j++, s->n_eq++) {
        for (size_t i = 0; i < t->rows; i++)
            s->a[s->n_eq][safe_table_at(t, i, j)] = 1;
        s->a[s->n_eq][safe_table_at(t, t->rows, j)] = -1;
    }
}

static int is_hidden(const struct safe_table *t, size_t e)
{
    return t->cell[e] != SAFE_CELL_PUBLISHED;
}

/* Attack 1: solve lines with one unknown until none is left. Marks recovered[]. */
static int attack_lines(const struct safe_table *t, const struct system *s, int *recovered)
{
    int known[MAX_ENTRIES], any = 0;
    for (size_t e = 0; e < s->n_entries; e++)
        known[e] = !is_hidden(t, e);
    for (int progress = 1; progress;) {
        progress = 0;
        for (size_t q = 0; q < s->n_eq; q++) {
            size_t unknown = 0, which = 0;
            for (size_t e = 0; e < s->n_entries; e++)
                if (s->a[q][e] != 0 && !known[e])
                    unknown++, which = e;
            if (unknown == 1) {
                known[which] = 1;
                recovered[which] = 1;
                progress = any = 1;
            }
        }
    }
    return any;
}

/* Rank of the rows of m (n_rows x n_cols), destroyed. */
static size_t rank_of(double m[][MAX_ENTRIES], size_t n_rows, size_t n_cols)
{
    size_t rank = 0;
    for (size_t c = 0; c < n_cols && rank < n_rows; c++) {
        size_t p = rank;
        for (size_t r = rank + 1; r < n_rows; r++)
            if (fabs(m[r][c]) > fabs(m[p][c]))
                p = r;
        if (fabs(m[p][c]) < 1e-9)
            continue;
        for (size_t k = 0; k < n_cols; k++) {
            double tmp = m[p][k];
            m[p][k] = m[rank][k];
            m[rank][k] = tmp;
        }
        for (size_t r = 0; r < n_rows; r++) {
            if (r == rank || m[r][c] == 0)
                continue;
            double f = m[r][c] / m[rank][c];
            for (size_t k = 0; k < n_cols; k++)
                m[r][k] -= f * m[rank][k];
        }
        rank++;
    }
    return rank;
}

/* Attack 2: is hidden entry x determined by all equations together? */
static int attack_algebra(const struct safe_table *t, const struct system *s, size_t x)
{
    /* Restrict to the hidden entries (the published ones are constants). */
    static double m[MAX_EQ + 1][MAX_ENTRIES];
    size_t cols = 0, col_of_x = 0;
    for (size_t e = 0; e < s->n_entries; e++) {
        if (!is_hidden(t, e))
            continue;
        if (e == x)
            col_of_x = cols;
        for (size_t q = 0; q < s->n_eq; q++)
            m[q][cols] = s->a[q][e];
        cols++;
    }
    size_t r1 = rank_of(m, s->n_eq, cols);
    for (size_t e = 0, c = 0; e < s->n_entries; e++) {
        if (!is_hidden(t, e))
            continue;
        for (size_t q = 0; q < s->n_eq; q++)
            m[q][c] = s->a[q][e];
        m[s->n_eq][c] = c == col_of_x ? 1 : 0;
        c++;
    }
    return rank_of(m, s->n_eq + 1, cols) == r1;
}

/* Attack 3: the range of hidden entry x under the equations and x >= 0 (GLPK). */
static void attack_bounds(const struct safe_table *t, const struct system *s, size_t x, double *lo,
                          double *hi, int *bounded)
{
    glp_prob *lp = glp_create_prob();
    glp_add_rows(lp, (int)s->n_eq);
    glp_add_cols(lp, (int)s->n_entries);
    for (size_t e = 0; e < s->n_entries; e++) {
        if (is_hidden(t, e))
            glp_set_col_bnds(lp, (int)e + 1, GLP_LO, 0, 0);
        else
            glp_set_col_bnds(lp, (int)e + 1, GLP_FX, (double)t->value[e], (double)t->value[e]);
    }
    int ind[MAX_ENTRIES + 1];
    double val[MAX_ENTRIES + 1];
    for (size_t q = 0; q < s->n_eq; q++) {
        int n = 0;
        for (size_t e = 0; e < s->n_entries; e++)
            if (s->a[q][e] != 0) {
                n++;
                ind[n] = (int)e + 1;
                val[n] = s->a[q][e];
            }
        glp_set_mat_row(lp, (int)q + 1, n, ind, val);
        glp_set_row_bnds(lp, (int)q + 1, GLP_FX, 0, 0);
    }
    glp_set_obj_coef(lp, (int)x + 1, 1);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    glp_set_obj_dir(lp, GLP_MIN);
    glp_simplex(lp, &parm);
    *lo = glp_get_obj_val(lp);
    glp_set_obj_dir(lp, GLP_MAX);
    *bounded = glp_simplex(lp, &parm) == 0 && glp_get_status(lp) == GLP_OPT;
    *hi = glp_get_obj_val(lp);
    glp_delete_prob(lp);
}

struct verdict {
    long long hidden, by_lines, by_algebra, by_bounds, wrong_range;
};

/* Runs every attack on every hidden entry of t. */
static void attack(const struct safe_table *t, struct verdict *v)
{
    struct system s;
    equations(t, &s);
    int recovered[MAX_ENTRIES] = {0};
    attack_lines(t, &s, recovered);
    for (size_t e = 0; e < s.n_entries; e++) {
        if (!is_hidden(t, e))
            continue;
        v->hidden++;
        v->by_lines += recovered[e];
        v->by_algebra += attack_algebra(t, &s, e);
        double lo, hi;
        int bounded;
        attack_bounds(t, &s, e, &lo, &hi, &bounded);
        double truth = (double)t->value[e];
        if (lo > truth + 1e-6 || (bounded && hi < truth - 1e-6))
            v->wrong_range++;
        if (bounded && hi - lo < 0.5) {
            v->by_bounds++;
            if (getenv("SAFE_TABLE_DEBUG")) {
                printf("pinned entry %zu of %zux%zu:", e, t->rows, t->cols);
                for (size_t k = 0; k < s.n_entries; k++)
                    printf(" %lld%s", t->value[k], is_hidden(t, k) ? "*" : "");
                printf("\n");
            }
        }
    }
}

static int states_are(const struct safe_table *t, const char *expect)
{
    static const char code[] = {'.', 'P', 'C'};
    if (strlen(expect) != safe_table_size(t))
        return 0;
    for (size_t e = 0; e < safe_table_size(t); e++)
        if (code[t->cell[e]] != expect[e]) {
            printf("  entry %zu: %c, expected %c\n", e, code[t->cell[e]], expect[e]);
            return 0;
        }
    return 1;
}

static void hand_computed(void)
{
    /* One-way: 4 is primary; the smallest other count above zero (12) hides with it. */
    long long a[] = {12, 4, 30, 15};
    struct safe_table *t = safe_table_protect(4, 0, a, 10);
    test_cond("one-way: total 61", t && t->value[4] == 61);
    test_cond("one-way: 4 primary, 12 complementary", t && states_are(t, "CP..."));
    safe_table_free(t);

    long long b[] = {12, 40, 30};
    t = safe_table_protect(3, 0, b, 10);
    test_cond("one-way: nothing under 10, nothing hidden", t && states_are(t, "...."));
    safe_table_free(t);

    /* A zero is published and never chosen to hide a neighbour (it could not move). */
    long long c[] = {0, 5, 20};
    t = safe_table_protect(3, 0, c, 10);
    test_cond("one-way: 0 published, 5 primary, 20 complementary", t && states_are(t, ".PC."));
    safe_table_free(t);

    /*
     *   20 15  3 | 38        20 [15] [3] | 38
     *   12 25 30 | 67   ->   12  25  30  | 67
     *   18 11 40 | 69        18 [11][40] | 69
     *   50 51 73 |174        50  51  73  |174
     * 3 is primary; row 0 takes 15, column 1 takes 11, column 2 takes 40,
     * which closes the rectangle rather than opening row 1 (30).
     */
    long long d[] = {20, 15, 3, 12, 25, 30, 18, 11, 40};
    t = safe_table_protect(3, 3, d, 10);
    test_cond("two-way: margins", t && t->value[safe_table_at(t, 0, 3)] == 38 &&
                                      t->value[safe_table_at(t, 3, 2)] == 73 &&
                                      t->value[safe_table_at(t, 3, 3)] == 174);
    test_cond("two-way: rectangle of 3, 15, 11, 40", t && states_are(t, ".CP."
                                                                        "...."
                                                                        ".CC."
                                                                        "...."));
    safe_table_free(t);

    /*
     *   2  3 |  5       [2] [3] | [5]   row 0 and its total are primary;
     *  20 30 | 50  ->  [20][30] | [50]  the one-way table of the rows hides
     *  22 33 | 55       22  33  |  55   50 with 5, so row 1 hides too.
     */
    long long e[] = {2, 3, 20, 30};
    t = safe_table_protect(2, 2, e, 10);
    test_cond("two-way: small row hidden with its total", t && states_are(t, "PPP"
                                                                             "CCC"
                                                                             "..."));
    long long rows[] = {5, 50};
    struct safe_table *m = safe_table_protect(2, 0, rows, 10);
    test_cond("two-way margins hide exactly what the one-way table hides",
              t && m && m->cell[0] == t->cell[safe_table_at(t, 0, 2)] &&
                  m->cell[1] == t->cell[safe_table_at(t, 1, 2)] &&
                  m->cell[2] == t->cell[safe_table_at(t, 2, 2)]);
    safe_table_free(m);
    safe_table_free(t);

    test_cond("min_cell below 3 refused", safe_table_protect(3, 0, b, 2) == NULL);
    long long neg[] = {1, -1};
    test_cond("negative count refused", safe_table_protect(2, 0, neg, 10) == NULL);
}

/* A count: empty, small or large, so tables have every kind of cell. */
static long long random_count(void)
{
    int r = rand() % 100;
    return r < 15 ? 0 : r < 50 ? 1 + rand() % 9 : 10 + rand() % 50;
}

static void property(void)
{
    struct verdict v = {0};
    long long tables = 0, primary_missed = 0, values_changed = 0;
    srand(20261126);
    for (int k = 0; k < 3000; k++) {
        size_t rows = 1 + (size_t)(rand() % 6), cols = (size_t)(rand() % 7);
        static const long long thresholds[] = {3, 5, 10};
        long long th = thresholds[rand() % 3], counts[36];
        for (size_t i = 0; i < rows * (cols ? cols : 1); i++)
            counts[i] = random_count();
        struct safe_table *t = safe_table_protect(rows, cols, counts, th);
        if (!t)
            continue;
        tables++;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < (cols ? cols : 1); j++) {
                size_t e = cols ? safe_table_at(t, i, j) : i;
                long long x = counts[i * (cols ? cols : 1) + j];
                values_changed += t->value[e] != x;
                primary_missed += x > 0 && x < th && t->cell[e] == SAFE_CELL_PUBLISHED;
            }
        for (size_t e = 0; e < safe_table_size(t); e++)
            primary_missed +=
                t->value[e] > 0 && t->value[e] < th && t->cell[e] == SAFE_CELL_PUBLISHED;
        attack(t, &v);
        safe_table_free(t);
    }
    printf("property: %lld tables, %lld hidden entries; recovered by lines %lld, by algebra "
           "%lld, by bounds %lld\n",
           tables, v.hidden, v.by_lines, v.by_algebra, v.by_bounds);
    test_cond("every random table protected", tables == 3000);
    test_cond("some entries hidden (the test has teeth)", v.hidden > 1000);
    test_cond("every small count hidden", primary_missed == 0);
    test_cond("counts and margins as given", values_changed == 0);
    test_cond("the true value lies in the attacker's range", v.wrong_range == 0);
    test_cond("no hidden entry recovered from single lines", v.by_lines == 0);
    test_cond("no hidden entry recovered from all equations", v.by_algebra == 0);
    test_cond("no hidden entry pinned by non-negativity bounds", v.by_bounds == 0);
}

/* The attacker on primary suppression alone: it must recover cells. */
static void control(void)
{
    long long d[] = {20, 15, 3, 12, 25, 30, 18, 11, 40};
    struct safe_table *t = safe_table_protect(3, 3, d, 10);
    for (size_t e = 0; t && e < safe_table_size(t); e++)
        if (t->cell[e] == SAFE_CELL_COMPLEMENTARY)
            t->cell[e] = SAFE_CELL_PUBLISHED;
    struct verdict v = {0};
    if (t)
        attack(t, &v);
    test_cond("control: a lone hidden cell is recovered by every attack",
              v.hidden == 1 && v.by_lines == 1 && v.by_algebra == 1 && v.by_bounds == 1);
    safe_table_free(t);

    /*
     * Two rectangles of hidden cells joined by one more, (1,2): every line
     * holds 0 or >= 2 hidden cells, yet (1,2) is the difference between the
     * hidden sums of rows 0-1 and columns 0-1. Only the algebra and the
     * bounds find it; this is why safe_table.c looks for bridges.
     */
    long long z[16];
    for (size_t i = 0; i < 16; i++)
        z[i] = 20;
    t = safe_table_protect(4, 4, z, 10);
    static const size_t pattern[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2},
                                        {2, 2}, {2, 3}, {3, 2}, {3, 3}};
    for (size_t e = 0; t && e < safe_table_size(t); e++)
        t->cell[e] = SAFE_CELL_PUBLISHED;
    for (size_t k = 0; t && k < sizeof pattern / sizeof pattern[0]; k++)
        t->cell[safe_table_at(t, pattern[k][0], pattern[k][1])] = SAFE_CELL_PRIMARY;
    memset(&v, 0, sizeof v);
    if (t)
        attack(t, &v);
    test_cond("control: the line rule alone leaves a bridge that algebra and bounds recover",
              v.hidden == 9 && v.by_lines == 0 && v.by_algebra == 1 && v.by_bounds == 1);
    safe_table_free(t);
}

int main(void)
{
    hand_computed();
    control();
    property();
    TEST_REPORT();
}
