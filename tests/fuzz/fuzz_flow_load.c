/*
 * fuzz_flow_load.c - libFuzzer target for the flow loader and checker: any
 * bytes must give either a flow or errors, never a crash or a leak. A flow
 * that loads is then stepped with inputs cut from the same bytes, so the
 * engine meets every shape of flow the checker lets through.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf("fuzz.yaml", (const char *)data, size, &errs);
    raia_errlist_free(&errs);
    if (!def)
        return 0;
    struct flow_state st;
    struct flow_output out;
    char input[8];
    flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
    for (size_t i = 0; i < size && !out.end; i += 3) {
        size_t n = size - i < 3 ? size - i : 3;
        memcpy(input, data + i, n);
        input[n] = '\0';
        flow_step(def, FLOW_CHANNEL_USSD, &st, input, &out);
    }
    flow_def_unref(def);
    return 0;
}
