/*
 * fuzz_batch_params.c - libFuzzer target for the writer's reading of
 * stream documents (storage/flat_json.c) into binary arrays
 * (storage/batch_params.c).
 *
 * The input is one document, passed NUL-terminated in an exact-size buffer
 * so ASan sees any read past it. batch_params_add must return 0 or -1 (with
 * a reason); a refused document must leave the arrays as they were; an
 * accepted one must add exactly one well-formed element to every column,
 * as PostgreSQL's array_recv would walk them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_params.h"
#include "byte_order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each column holds the header and exactly rows elements, nothing after. */
static void check_arrays(const struct pg_params *p, int rows)
{
    if (p->n != BATCH_PARAMS_N)
        abort();
    for (int i = 0; i < BATCH_PARAMS_N; i++) {
        const char *at = p->values[i], *end = at + p->lengths[i];
        if (p->lengths[i] < 20 || be32_get(at) != 1 || be32_get(at + 12) != (uint32_t)rows ||
            be32_get(at + 16) != 1 || be32_get(at + 4) > 1)
            abort();
        at += 20;
        for (int r = 0; r < rows; r++) {
            if (end - at < 4)
                abort();
            int32_t len = (int32_t)be32_get(at);
            at += 4;
            if (len < -1 || (len > 0 && end - at < len))
                abort();
            at += len > 0 ? len : 0;
        }
        if (at != end)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *doc = malloc(size + 1);
    if (!doc)
        return 0;
    memcpy(doc, data, size);
    doc[size] = '\0';
    struct batch_params bp = {0};
    batch_params_reset(&bp);
    const char *why = NULL;
    if (batch_params_add(&bp, "1-0", "{\"kind\":\"session\"}", &why) != 0)
        abort();
    size_t before = bp.col[BATCH_PARAMS_N - 1].len;
    int rc = batch_params_add(&bp, "2-0", doc, &why);
    if (rc != 0 && (rc != -1 || !why || bp.rows != 1 || bp.col[BATCH_PARAMS_N - 1].len != before))
        abort();
    struct pg_params p = batch_params_finish(&bp);
    check_arrays(&p, bp.rows);
    batch_params_free(&bp);
    free(doc);
    return 0;
}
