/*
 * fuzz_config_load.c - libFuzzer target for the gateway config loader:
 * any bytes must give either a config or errors, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct raia_errlist errs = {0};
    struct raia_config *cfg = config_load_buf("fuzz.yaml", (const char *)data, size, &errs);
    config_free(cfg);
    raia_errlist_free(&errs);
    return 0;
}
