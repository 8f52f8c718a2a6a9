/**
 * config.h - the gateway's one YAML configuration file as a plain struct.
 *
 * Parsed through declarative field tables (STYLE.md rule 15): every key has a
 * type, bounds and a default; unknown keys are errors; every problem in the
 * file is reported as `file:line:col: key: message`. Every key is documented
 * in docs/configuration.md. Loaded by gateway/main.c and the `raia` CLI.
 */
#ifndef RAIA_CONFIG_H
#define RAIA_CONFIG_H

#include <stddef.h>

#include "log.h"
#include "raia_err.h"

#define CONFIG_MAX_SMSC 16

/** One operator bind (`smsc:` list entry). */
struct config_smsc {
    char *name, *host;
    long long port;
    char *system_id, *password, *system_type;
    char *operator_name; /* binds with the same operator form one route ("" = name) */
    char *bind;          /* transceiver | transmitter | receiver */
    long long addr_ton, addr_npi;
    char *address_range;
    char *ussd_profile; /* smpp34 | tata | sixdee (docs/operators.md) */
    long long ussd_mt_continue_op, ussd_mt_end_op, ussd_abort_op, ussd_end_bit; /* -1 = preset */
    long long enquire_link_s, response_timeout_s, reconnect_min_s, reconnect_max_s, window;
    long long max_tps;
};

struct raia_config {
    char *path; /* the file this came from */
    struct config_smsc smsc[CONFIG_MAX_SMSC];
    size_t n_smsc;
    struct {
        char *url, *prefix;
        long long session_ttl_s;
        long long turns_per_minute;
    } redis;
    struct {
        char *conninfo;
        long long batch_max;
    } postgres;
    struct {
        char *key_file, *project, *country_code, *trunk_prefix;
        char *my_data_code; /* USSD code of the citizen's "my data" menu; "" for none */
    } privacy;
    struct {
        char *dir;
    } flows;
    struct {
        char *level;
        enum log_level min_level; /* parsed from level */
    } log;
};

/**
 * Load and check path. Returns a new config, or NULL with every problem in
 * errs. Relative paths inside (key_file, flows.dir) are kept as written:
 * they are relative to the working directory, as the shipped examples are.
 */
struct raia_config *config_load(const char *path, struct raia_errlist *errs);
/** Parse from memory; name is used in errors (tests and the fuzzer). */
struct raia_config *config_load_buf(const char *name, const char *buf, size_t len,
                                    struct raia_errlist *errs);
/** NULL is a no-op. */
void config_free(struct raia_config *cfg);

#endif
