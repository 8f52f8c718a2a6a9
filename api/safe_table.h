/**
 * safe_table.h - cell suppression for the count tables partners receive.
 *
 * A table of counts (one or two variables) with its margins. Primary
 * suppression hides every count from 1 to min_cell - 1 (an empty cell, 0,
 * is published: it describes nobody, as in tau-ARGUS's default). Complementary
 * suppression then hides further cells until no hidden cell can be worked
 * out from what is published:
 *   - every row and column (margins included) holds no hidden cell or at
 *     least two;
 *   - in a two-way table, no hidden cell is the only link between two groups
 *     of hidden cells (a bridge in the graph whose nodes are rows and columns
 *     and whose edges are hidden cells): such a cell is the difference of two
 *     sums of published numbers;
 *   - complementary cells are the smallest counts above zero that do the job,
 *     so every hidden cell is at least 1 and can move by one either way along
 *     a cycle of hidden cells: neither the equations nor the bounds from
 *     non-negativity pin it down.
 * Margins are protected as one-way tables of their own first, and
 * complementary cells are then taken from the interior, so a margin of a
 * two-way table is hidden exactly when the one-way table of that variable
 * hides it (the two tables cannot be played against each other).
 * Pure computation: no I/O, no allocation but the result. Used by
 * api/api_server.c; tests/unit/safe_table_test.c attacks it.
 */
#ifndef RAIA_SAFE_TABLE_H
#define RAIA_SAFE_TABLE_H

#include <stddef.h>

enum safe_cell {
    SAFE_CELL_PUBLISHED = 0,
    SAFE_CELL_PRIMARY,      /* 1 <= count < min_cell */
    SAFE_CELL_COMPLEMENTARY /* hidden so that a primary cell cannot be recovered */
};

/** The smallest min_cell accepted (privacy.min_cell). */
#define SAFE_TABLE_MIN_CELL_FLOOR 3

/**
 * A table with margins. Two-way (cols > 0): an (rows+1) x (cols+1) grid,
 * row-major, whose last column holds the row totals, last row the column
 * totals and last entry the grand total. One-way (cols == 0): rows + 1
 * entries, the last the total.
 */
struct safe_table {
    size_t rows, cols;
    long long *value;     /* owned */
    enum safe_cell *cell; /* owned, same layout */
};

/**
 * Build the table of counts (rows x cols, row-major; cols 0 for one
 * variable, counts then has rows entries) with its margins and suppress.
 * Counts must be >= 0 and min_cell >= SAFE_TABLE_MIN_CELL_FLOOR. Returns a
 * new table (safe_table_free) or NULL (out of memory, bad arguments).
 */
struct safe_table *safe_table_protect(size_t rows, size_t cols, const long long *counts,
                                      long long min_cell);
/** NULL is a no-op. */
void safe_table_free(struct safe_table *t);

/** Index of entry (i, j) of a two-way table; i == rows / j == cols address the margins. */
size_t safe_table_at(const struct safe_table *t, size_t i, size_t j);
/** Number of entries (cells and margins). */
size_t safe_table_size(const struct safe_table *t);
/** Number of hidden entries (cells and margins); 0 for NULL. */
long long safe_table_hidden(const struct safe_table *t);
/** "published", "primary" or "complementary". */
const char *safe_cell_name(enum safe_cell c);

#endif
