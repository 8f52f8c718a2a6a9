/*
 * config.c - loads config/raia.yaml into struct raia_config.
 *
 * Each section is described by a table of fields (key, type, bounds,
 * default, required); one generic loop applies a table to a YAML mapping, so
 * adding a key is one line and the error messages stay uniform. Called by
 * gateway/main.c at start (before anything binds) and by `raia config check`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smpp_text.h"
#include "ussd_profile.h"
#include "yaml_tree.h"

enum field_type { FIELD_STR, FIELD_INT };

struct config_field {
    const char *key;
    enum field_type type;
    size_t offset; /* into the section's struct */
    long long min, max;
    const char *def_str; /* default for strings; NULL + required=0 means empty */
    long long def_int;
    int required;
};

#define STR(sect, k, field, def, req)                                                              \
    {                                                                                              \
        k, FIELD_STR, offsetof(sect, field), 0, 0, def, 0, req                                     \
    }
#define INT(sect, k, field, lo, hi, def)                                                           \
    {                                                                                              \
        k, FIELD_INT, offsetof(sect, field), lo, hi, NULL, def, 0                                  \
    }

static const struct config_field smsc_fields[] = {
    STR(struct config_smsc, "name", name, NULL, 1),
    STR(struct config_smsc, "host", host, NULL, 1),
    INT(struct config_smsc, "port", port, 1, 65535, 2775),
    STR(struct config_smsc, "system_id", system_id, NULL, 1),
    STR(struct config_smsc, "password", password, NULL, 1),
    STR(struct config_smsc, "system_type", system_type, "", 0),
    STR(struct config_smsc, "operator", operator_name, "", 0),
    STR(struct config_smsc, "bind", bind, "transceiver", 0),
    INT(struct config_smsc, "addr_ton", addr_ton, 0, 6, 0),
    INT(struct config_smsc, "addr_npi", addr_npi, 0, 18, 0),
    STR(struct config_smsc, "address_range", address_range, "", 0),
    STR(struct config_smsc, "ussd_profile", ussd_profile, "smpp34", 0),
    INT(struct config_smsc, "ussd_mt_continue_op", ussd_mt_continue_op, -1, 255, -1),
    INT(struct config_smsc, "ussd_mt_end_op", ussd_mt_end_op, -1, 255, -1),
    INT(struct config_smsc, "ussd_abort_op", ussd_abort_op, -1, 255, -1),
    INT(struct config_smsc, "ussd_end_bit", ussd_end_bit, -1, 1, -1),
    STR(struct config_smsc, "sms_charset", sms_charset, "gsm7", 0),
    INT(struct config_smsc, "enquire_link_s", enquire_link_s, 1, 3600, 30),
    INT(struct config_smsc, "response_timeout_s", response_timeout_s, 1, 600, 30),
    INT(struct config_smsc, "reconnect_min_s", reconnect_min_s, 1, 3600, 1),
    INT(struct config_smsc, "reconnect_max_s", reconnect_max_s, 1, 3600, 60),
    INT(struct config_smsc, "window", window, 1, 256, 10),
    INT(struct config_smsc, "max_tps", max_tps, 0, 100000, 0),
    {0},
};

#define CFG_REDIS struct raia_config
static const struct config_field redis_fields[] = {
    STR(CFG_REDIS, "url", redis.url, "redis://127.0.0.1:6379/0", 0),
    STR(CFG_REDIS, "prefix", redis.prefix, "raia:", 0),
    INT(CFG_REDIS, "session_ttl_s", redis.session_ttl_s, 30, 30 * 86400, 600),
    INT(CFG_REDIS, "resume_window_s", redis.resume_window_s, 0, 86400, 600),
    INT(CFG_REDIS, "sms_session_ttl_s", redis.sms_session_ttl_s, 30, 30 * 86400, 86400),
    INT(CFG_REDIS, "sms_reminder_s", redis.sms_reminder_s, 0, 7 * 86400, 0),
    INT(CFG_REDIS, "turns_per_minute", redis.turns_per_minute, 0, 100000, 30),
    {0},
};
static const struct config_field postgres_fields[] = {
    STR(struct raia_config, "conninfo", postgres.conninfo, NULL, 1),
    INT(struct raia_config, "batch_max", postgres.batch_max, 1, 10000, 1000),
    INT(struct raia_config, "writers", postgres.writers, 1, CONFIG_MAX_WRITERS, 2),
    {0},
};
static const struct config_field privacy_fields[] = {
    STR(struct raia_config, "key_file", privacy.key_file, NULL, 1),
    STR(struct raia_config, "project", privacy.project, "raia", 0),
    STR(struct raia_config, "country_code", privacy.country_code, "", 0),
    STR(struct raia_config, "trunk_prefix", privacy.trunk_prefix, "0", 0),
    STR(struct raia_config, "my_data_code", privacy.my_data_code, "", 0),
    INT(struct raia_config, "min_cell", privacy.min_cell, 3, 1000000, 10),
    STR(struct raia_config, "contact_key_file", privacy.contact_key_file, "", 0),
    {0},
};
static const struct config_field broadcast_fields[] = {
    INT(struct raia_config, "per_second", broadcast.per_second, 1, 1000, 5),
    {0},
};
static const struct config_field flows_fields[] = {
    STR(struct raia_config, "dir", flows.dir, "config/flows", 0),
    {0},
};
static const struct config_field log_fields[] = {
    STR(struct raia_config, "level", log.level, "info", 0),
    {0},
};
static const struct config_field api_fields[] = {
    STR(struct raia_config, "listen", api.listen, "127.0.0.1", 0),
    INT(struct raia_config, "port", api.port, 1, 65535, 8480),
    STR(struct raia_config, "conninfo", api.conninfo, "", 0),
    INT(struct raia_config, "requests_per_minute", api.requests_per_minute, 1, 1000000, 60),
    INT(struct raia_config, "page_max", api.page_max, 1, 100000, 1000),
    INT(struct raia_config, "timeout_s", api.timeout_s, 1, 3600, 30),
    INT(struct raia_config, "max_request_bytes", api.max_request_bytes, 1024, 1048576, 8192),
    INT(struct raia_config, "db_connections", api.db_connections, 1, 64, 4),
    INT(struct raia_config, "token_refresh_s", api.token_refresh_s, 1, 3600, 5),
    {0},
};

static const struct config_field metrics_fields[] = {
    STR(struct raia_config, "listen", metrics.listen, "127.0.0.1", 0),
    INT(struct raia_config, "port", metrics.port, 0, 65535, 0),
    {0},
};

struct section {
    const char *key;
    const struct config_field *fields;
    int required;
};

static const struct section sections[] = {
    {"redis", redis_fields, 0},
    {"postgres", postgres_fields, 1},
    {"privacy", privacy_fields, 1},
    {"flows", flows_fields, 0},
    {"log", log_fields, 0},
    {"api", api_fields, 0},
    {"metrics", metrics_fields, 0},
    {"broadcast", broadcast_fields, 0},
    {NULL, NULL, 0},
};

static int dup_into(char **slot, const char *s)
{
    free(*slot);
    *slot = strdup(s);
    return *slot ? 0 : -1;
}

/*
 * Applies one field table to a mapping (or to NULL for an absent section,
 * which sets defaults and reports required keys as missing at `at`). Every
 * problem is added to errs; returns the number of problems.
 */
static int apply_fields(const struct config_field *fields, const struct ynode *map, void *base,
                        const char *where, const struct ynode *at, struct raia_errlist *errs)
{
    int bad = 0;
    const char *allowed[32];
    size_t n = 0;
    for (const struct config_field *f = fields; f->key; f++)
        allowed[n++] = f->key;
    allowed[n] = NULL;
    if (map && ynode_expect(map, YNODE_MAP, where, errs) < 0)
        return 1;
    bad += ynode_check_keys(map, allowed, where, errs);

    for (const struct config_field *f = fields; f->key; f++) {
        const struct ynode *v = ynode_get(map, f->key);
        char what[96];
        snprintf(what, sizeof what, "%s.%s", where, f->key);
        if (f->type == FIELD_INT) {
            long long *slot = (long long *)((char *)base + f->offset);
            *slot = f->def_int;
            if (v && ynode_int(v, what, f->min, f->max, slot, errs) < 0)
                bad++;
            continue;
        }
        char **slot = (char **)((char *)base + f->offset);
        const char *s = f->def_str ? f->def_str : "";
        if (v && ynode_str(v, what, &s, errs) < 0) {
            bad++;
            continue;
        }
        if (!v && f->required) {
            raia_errlist_add(errs, at->file, at->line, at->col, "%s: missing (required)", what);
            bad++;
        } else if (v && f->required && !*s) {
            raia_errlist_add(errs, v->file, v->line, v->col, "%s: must not be empty", what);
            bad++;
        }
        if (dup_into(slot, s) < 0) {
            raia_errlist_add(errs, at->file, 0, 0, "out of memory");
            bad++;
        }
    }
    return bad;
}

/*
 * smsc[i].sms_charset: a known alphabet, and the same as every earlier bind
 * of its operator (a reply may leave through either bind of a pair, so the
 * alphabet is the operator's, not the bind's).
 */
static int check_sms_charset(const struct raia_config *cfg, size_t i, const struct ynode *item,
                             const char *where, struct raia_errlist *errs)
{
    const struct config_smsc *s = &cfg->smsc[i];
    const struct ynode *v = ynode_get(item, "sms_charset");
    const struct ynode *at = v ? v : item;
    enum smpp_charset cs;
    if (smpp_charset_parse(s->sms_charset, &cs) < 0) {
        raia_errlist_add(errs, at->file, at->line, at->col,
                         "%s.sms_charset: '%s' is not gsm7, latin1 or ucs2", where, s->sms_charset);
        return 1;
    }
    const char *op = s->operator_name[0] ? s->operator_name : s->name;
    for (size_t j = 0; j < i; j++) {
        const struct config_smsc *o = &cfg->smsc[j];
        if (strcmp(o->operator_name[0] ? o->operator_name : o->name, op) == 0 &&
            strcmp(o->sms_charset, s->sms_charset) != 0) {
            raia_errlist_add(errs, at->file, at->line, at->col,
                             "%s.sms_charset: '%s' differs from '%s' of %s, a bind of the same "
                             "operator",
                             where, s->sms_charset, o->sms_charset, o->name);
            return 1;
        }
    }
    return 0;
}

static int load_smsc_list(struct raia_config *cfg, const struct ynode *list,
                          const struct ynode *root, struct raia_errlist *errs)
{
    if (!list) {
        raia_errlist_add(errs, root->file, root->line, root->col,
                         "smsc: missing (need at least one operator bind)");
        return 1;
    }
    if (ynode_expect(list, YNODE_SEQ, "smsc", errs) < 0)
        return 1;
    if (list->n == 0 || list->n > CONFIG_MAX_SMSC) {
        raia_errlist_add(errs, list->file, list->line, list->col, "smsc: %zu entries, need 1 to %d",
                         list->n, CONFIG_MAX_SMSC);
        return 1;
    }
    int bad = 0;
    for (size_t i = 0; i < list->n; i++) {
        char where[32];
        snprintf(where, sizeof where, "smsc[%zu]", i);
        struct config_smsc *s = &cfg->smsc[cfg->n_smsc++];
        bad += apply_fields(smsc_fields, list->items[i], s, where, list->items[i], errs);
        if (bad)
            continue;
        if (strcmp(s->bind, "transceiver") != 0 && strcmp(s->bind, "transmitter") != 0 &&
            strcmp(s->bind, "receiver") != 0) {
            const struct ynode *b = ynode_get(list->items[i], "bind");
            raia_errlist_add(errs, b->file, b->line, b->col,
                             "%s.bind: '%s' is not transceiver, transmitter or receiver", where,
                             s->bind);
            bad++;
        }
        struct ussd_profile up;
        if (ussd_profile_preset(s->ussd_profile, &up) < 0) {
            const struct ynode *u = ynode_get(list->items[i], "ussd_profile");
            raia_errlist_add(errs, u->file, u->line, u->col,
                             "%s.ussd_profile: '%s' is not smpp34, tata or sixdee", where,
                             s->ussd_profile);
            bad++;
        }
        bad += check_sms_charset(cfg, i, list->items[i], where, errs);
        if (s->reconnect_min_s > s->reconnect_max_s) {
            raia_errlist_add(errs, list->items[i]->file, list->items[i]->line, list->items[i]->col,
                             "%s: reconnect_min_s > reconnect_max_s", where);
            bad++;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->smsc[j].name, s->name) == 0) {
                const struct ynode *nm = ynode_get(list->items[i], "name");
                raia_errlist_add(errs, nm->file, nm->line, nm->col, "%s.name: '%s' is used twice",
                                 where, s->name);
                bad++;
            }
        }
    }
    return bad;
}

/* Checks across keys that no single field can check on its own. */
static int check_privacy(const struct raia_config *cfg, const struct ynode *root,
                         struct raia_errlist *errs)
{
    const struct ynode *p = ynode_get(root, "privacy");
    const struct ynode *cc = ynode_get(p, "country_code");
    const char *s = cfg->privacy.country_code;
    size_t n = strlen(s);
    if (cc && (n < 1 || n > 3 || strspn(s, "0123456789") != n || s[0] == '0')) {
        raia_errlist_add(errs, cc->file, cc->line, cc->col,
                         "privacy.country_code: '%s' is not an E.164 country calling code", s);
        return 1;
    }
    const struct ynode *md = ynode_get(p, "my_data_code");
    s = cfg->privacy.my_data_code;
    n = strlen(s);
    if (md && (n < 2 || n > 20 || strspn(s, "*#0123456789") != n || s[n - 1] != '#')) {
        raia_errlist_add(errs, md->file, md->line, md->col,
                         "privacy.my_data_code: '%s' is not a USSD code like *384*99#", s);
        return 1;
    }
    const struct ynode *pr = ynode_get(p, "project");
    s = cfg->privacy.project;
    if (pr && (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(s))) {
        raia_errlist_add(errs, pr->file, pr->line, pr->col,
                         "privacy.project: '%s' must be [a-z0-9-_]+", s);
        return 1;
    }
    return 0;
}

/* Builds the config from a parsed document; path names the source in errors. */
static struct raia_config *config_from_doc(struct ydoc *doc, const char *path,
                                           struct raia_errlist *errs)
{
    size_t errs_before = errs->n;
    struct raia_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup(path))) {
        raia_errlist_add(errs, path, 0, 0, "out of memory");
        free(cfg);
        ydoc_free(doc);
        return NULL;
    }
    const struct ynode *root = doc->root;
    if (!root || root->kind != YNODE_MAP) {
        raia_errlist_add(errs, path, root ? root->line : 1, root ? root->col : 1,
                         "expected a mapping of sections (smsc, redis, postgres, ...)");
    } else {
        static const char *const top[] = {"smsc", "redis", "postgres", "privacy",   "flows",
                                          "log",  "api",   "metrics",  "broadcast", NULL};
        ynode_check_keys(root, top, "the top level", errs);
        load_smsc_list(cfg, ynode_get(root, "smsc"), root, errs);
        for (const struct section *s = sections; s->key; s++) {
            const struct ynode *m = ynode_get(root, s->key);
            if (!m && s->required) {
                raia_errlist_add(errs, path, root->line, root->col, "%s: missing section", s->key);
                continue;
            }
            apply_fields(s->fields, m, cfg, s->key, m ? m : root, errs);
        }
        if (errs->n == errs_before)
            check_privacy(cfg, root, errs);
        if (errs->n == errs_before && log_level_parse(cfg->log.level, &cfg->log.min_level) < 0) {
            const struct ynode *lv = ynode_get(ynode_get(root, "log"), "level");
            raia_errlist_add(errs, path, lv ? lv->line : 0, lv ? lv->col : 0,
                             "log.level: '%s' is not debug, info, warn or error", cfg->log.level);
        }
    }
    ydoc_free(doc);
    if (errs->n != errs_before) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

struct raia_config *config_load_print(const char *path, FILE *to)
{
    struct raia_errlist errs = {0};
    struct raia_config *cfg = config_load(path, &errs);
    if (!cfg)
        raia_errlist_print(&errs, to, "");
    raia_errlist_free(&errs);
    return cfg;
}

struct raia_config *config_load(const char *path, struct raia_errlist *errs)
{
    struct ydoc *doc = ydoc_load_file(path, errs);
    return doc ? config_from_doc(doc, path, errs) : NULL;
}

struct raia_config *config_load_buf(const char *name, const char *buf, size_t len,
                                    struct raia_errlist *errs)
{
    struct ydoc *doc = ydoc_load_buf(name, buf, len, errs);
    return doc ? config_from_doc(doc, name, errs) : NULL;
}

static void free_fields(const struct config_field *fields, void *base)
{
    for (const struct config_field *f = fields; f->key; f++)
        if (f->type == FIELD_STR)
            RAIA_FREE(*(char **)((char *)base + f->offset));
}

void config_free(struct raia_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_smsc; i++)
        free_fields(smsc_fields, &cfg->smsc[i]);
    for (const struct section *s = sections; s->key; s++)
        free_fields(s->fields, cfg);
    free(cfg->path);
    free(cfg);
}
