/*
 * fuzz_flow_load.c - libFuzzer target for the flow loader and checker: any
 * bytes must give either a flow or errors, never a crash or a leak. A flow
 * that loads is then stepped with inputs cut from the same bytes, on USSD
 * and on SMS, with the resume prompt and a redisplay from a state that went
 * through its encoding, so the engine meets every shape of flow the checker
 * lets through. Bytes that begin with "code," are an areas file instead,
 * read by the location step's CSV parser against three levels. Every input
 * is also read as a registry definition (flow_def_load_source), and a flow
 * that loads must load back from its own source with the same checksum.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flow_def.h" /* flow_areas__parse */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_areas(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"en", "sw", "region", "district", "ward"};
    struct flow_def *def = calloc(1, sizeof *def);
    struct raia_errlist errs = {0};
    if (!def)
        return;
    def->refs = 1;
    def->n_langs = 2;
    def->n_steps = 1;
    def->langs[0] = strdup(names[0]);
    def->langs[1] = strdup(names[1]);
    struct flow_step_def *s = &def->steps[0];
    s->type = STEP_LOCATION;
    s->n_levels = 3;
    for (size_t i = 0; i < 3; i++)
        s->levels[i] = strdup(names[2 + i]);
    if (def->langs[0] && def->langs[1] && s->levels[0] && s->levels[1] && s->levels[2])
        flow_areas__parse("fuzz.csv", (const char *)data, size, def, s, &errs);
    raia_errlist_free(&errs);
    flow_def_unref(def);
}

static void play(const struct flow_def *def, enum flow_channel ch, const uint8_t *data, size_t size)
{
    struct flow_state st, back;
    struct flow_output out;
    char input[8], enc[FLOW_STATE_MAX];
    flow_start(def, ch, &st, &out);
    for (size_t i = 0; i < size && !out.end; i += 3) {
        size_t n = size - i < 3 ? size - i : 3;
        memcpy(input, data + i, n);
        input[n] = '\0';
        flow_step(def, ch, &st, input, &out);
        int len = flow_state_encode(&st, enc, sizeof enc);
        if (!out.end && len > 0 && flow_state_decode(enc, (size_t)len, &back) == 0) {
            flow_resume_screen(def, ch, &back, &out);
            flow_redisplay(def, ch, &back, &out);
            out.end = 0;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 5 && memcmp(data, "code,", 5) == 0) {
        fuzz_areas(data, size);
        return 0;
    }
    struct raia_errlist errs = {0}, warns = {0};
    /* The same bytes as a definition from the flows registry: areas files
     * and modules come from the text after "#--- areas:" / "#--- include:". */
    struct flow_def *stored = flow_def_load_source("registry", (const char *)data, size, &errs);
    flow_def_unref(stored);
    raia_errlist_free(&errs);
    struct flow_def *def =
        flow_def_load_buf_ex("fuzz.yaml", (const char *)data, size, &errs, &warns);
    raia_errlist_free(&errs);
    raia_errlist_free(&warns);
    if (!def)
        return 0;
    /* What the registry keeps must load back to exactly the same definition. */
    const char *src = flow_def_source(def);
    struct flow_def *again = flow_def_load_source("registry", src, strlen(src), &errs);
    if (!again || strcmp(flow_def_checksum(again), flow_def_checksum(def)) != 0)
        abort();
    flow_def_unref(again);
    raia_errlist_free(&errs);
    play(def, FLOW_CHANNEL_USSD, data, size);
    play(def, FLOW_CHANNEL_SMS, data, size);
    flow_def_unref(def);
    return 0;
}
