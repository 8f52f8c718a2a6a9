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
#define CONFIG_MAX_WRITERS 8 /* postgres.writers */

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
    char *sms_charset; /* gsm7 | latin1 | ucs2: MT SMS alphabet (docs/operators.md) */
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
        long long resume_window_s;   /* offer to continue a cut-off USSD session; 0: never */
        long long sms_session_ttl_s; /* an SMS session waits this long for the next reply */
        long long sms_reminder_s;    /* one reminder after this much silence in SMS; 0: none */
        long long turns_per_minute;
    } redis;
    struct {
        char *conninfo;
        long long batch_max;
        long long writers; /* writers side by side, each with its own connection */
    } postgres;
    struct {
        char *key_file, *project, *country_code, *trunk_prefix;
        char *my_data_code;     /* USSD code of the citizen's "my data" menu; "" for none */
        long long min_cell;     /* safe tables: smallest count published (docs/api.md) */
        char *contact_key_file; /* seals the numbers of people who asked to hear back; "": none */
    } privacy;
    struct {                  /* results fed back by SMS (docs/broadcast.md) */
        long long per_second; /* outbox messages (SMS parts) sent per second */
    } broadcast;
    struct {
        char *dir;
    } flows;
    struct {
        char *level;
        enum log_level min_level; /* parsed from level */
    } log;
    struct { /* raia-api, the partner HTTP API (docs/api.md) */
        char *listen, *conninfo;
        long long port, requests_per_minute, page_max, timeout_s, max_request_bytes;
        long long db_connections, token_refresh_s;
    } api;
    struct { /* the gateway's GET /metrics (docs/operations.md); port 0: off */
        char *listen;
        long long port;
    } metrics;
};

/**
 * Load and check path. Returns a new config, or NULL with every problem in
 * errs. Relative paths inside (key_file, flows.dir) are kept as written:
 * they are relative to the working directory, as the shipped examples are.
 */
struct raia_config *config_load(const char *path, struct raia_errlist *errs);
/** config_load, writing every problem to `to` (one `file:line:col: message` a line). */
struct raia_config *config_load_print(const char *path, FILE *to);
/** Parse from memory; name is used in errors (tests and the fuzzer). */
struct raia_config *config_load_buf(const char *name, const char *buf, size_t len,
                                    struct raia_errlist *errs);
/** NULL is a no-op. */
void config_free(struct raia_config *cfg);

#endif
