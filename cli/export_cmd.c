/*
 * export_cmd.c - `raia export` (see export_cmd.h and docs/exports.md).
 *
 * The order of work: check the arguments, read the config, find the flow's
 * definition in the `flows` registry and load it (the codebook and the
 * columns come from the exact file that ran), check the privacy settings
 * against it, open one snapshot of the database, refuse if k-anonymity
 * does not hold (before any file is touched), count the sessions, stream
 * the rows into the data file, write the codebooks (and the data package),
 * record the export in audit_log, and only then give every file its final
 * name. Until that last step each file is DIR/.NAME.part: a failure or an
 * interruption at any step leaves no finished-looking file behind, and the
 * next run removes the leftovers and starts again from the beginning.
 */
#include "export_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "export_codebook.h"
#include "export_privacy.h"
#include "export_query.h"
#include "export_table.h"
#include "flow.h"
#include "partner_store.h"
#include "strbuf.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: raia export --config FILE --flow ID [--version V] [--since YYYY-MM-DD]\n"
            "                   [--format csv|jsonl|datapackage|sav|dta] --out DIR [--long]\n"
            "                   [--free-text] [--band STEP=WIDTH]... [--location STEP=LEVEL]...\n"
            "                   [--key-vars A,B,...] [--k N] [--partner NAME]\n");
    return 2;
}

/* A calendar date written YYYY-MM-DD, checked by a round trip through timegm. */
static int valid_date(const char *s)
{
    struct tm tm = {0};
    if (strlen(s) != 10 || strspn(s, "0123456789-") != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    tm.tm_year = (int)strtol(s, NULL, 10) - 1900;
    tm.tm_mon = (int)strtol(s + 5, NULL, 10) - 1;
    tm.tm_mday = (int)strtol(s + 8, NULL, 10);
    int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
    if (timegm(&tm) == (time_t)-1)
        return 0;
    return tm.tm_year == year && tm.tm_mon == mon && tm.tm_mday == mday && year > 0;
}

/* The value of option opt, a whole number 1..max; -1 after a message. */
static int whole_number(const char *opt, const char *v, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > max) {
        fprintf(stderr, "raia export: %s takes a whole number 1-%ld\n", opt, max);
        return -1;
    }
    return (int)n;
}

/* Fills o from argv; 0, or -1 after a message on a bad argument. */
static int parse_args(int argc, char **argv, struct export_opts *o)
{
    *o = (struct export_opts){.format = EXPORT_FORMAT_CSV};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--long") == 0) {
            o->long_form = 1;
            continue;
        }
        if (strcmp(a, "--free-text") == 0) {
            o->free_text = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--config") == 0) {
            o->config = v;
        } else if (strcmp(a, "--flow") == 0) {
            o->flow = v;
        } else if (strcmp(a, "--out") == 0) {
            o->out_dir = v;
        } else if (strcmp(a, "--since") == 0) {
            if (!valid_date(v)) {
                fprintf(stderr, "raia export: --since takes a date, YYYY-MM-DD\n");
                return -1;
            }
            o->since = v;
        } else if (strcmp(a, "--version") == 0) {
            if ((o->version = whole_number(a, v, 1000000)) < 0)
                return -1;
        } else if (strcmp(a, "--format") == 0) {
            size_t f = 0;
            while (f < EXPORT_FORMAT_COUNT && strcmp(v, export_format_name(f)) != 0)
                f++;
            if (f == EXPORT_FORMAT_COUNT)
                return -1;
            o->format = (enum export_format)f;
        } else if (strcmp(a, "--band") == 0 && o->n_bands < EXPORT_BANDS_MAX) {
            o->bands[o->n_bands++] = v;
        } else if (strcmp(a, "--location") == 0 && o->n_locations < EXPORT_LOCATIONS_MAX) {
            o->locations[o->n_locations++] = v;
        } else if (strcmp(a, "--key-vars") == 0 && *v) {
            o->key_vars = v;
        } else if (strcmp(a, "--partner") == 0) {
            o->partner = v;
        } else if (strcmp(a, "--k") == 0) {
            if ((o->k = whole_number(a, v, 1000)) < 0)
                return -1;
        } else {
            return -1;
        }
    }
    if (o->long_form && export_format_is_stat(o->format)) {
        fprintf(stderr, "raia export: sav and dta hold one row per session; --long is for csv "
                        "and jsonl\n");
        return -1;
    }
    return o->config && o->flow && o->out_dir && *o->out_dir ? 0 : -1;
}

/* The audit detail: parameters and counts only, never a person. */
static void audit_detail(const struct export_opts *o, const struct flow_def *def, int version,
                         const struct export_stats *st, const struct export_privacy *p,
                         struct strbuf *sb)
{
    strbuf_puts(sb, "{\"flow\":");
    strbuf_json_str(sb, o->flow);
    strbuf_printf(sb,
                  ",\"version\":%d,\"format\":\"%s\",\"layout\":\"%s\",\"rows\":%lld,"
                  "\"sessions\":%lld,\"free_text\":%s,\"k\":%d,\"key_variables\":%zu,"
                  "\"since\":",
                  version, export_format_name(o->format), o->long_form ? "long" : "wide", st->rows,
                  st->sessions, o->free_text ? "true" : "false", p->k, p->n_keys);
    if (o->since)
        strbuf_json_str(sb, o->since);
    else
        strbuf_puts(sb, "null");
    strbuf_printf(sb, ",\"respondent_ids\":\"%s\",\"partner\":", export_respondent_scope(o));
    if (o->partner)
        strbuf_json_str(sb, o->partner);
    else
        strbuf_puts(sb, "null");
    strbuf_puts(sb, ",\"location_levels\":");
    export_privacy_levels_json(def, p, sb);
    strbuf_append(sb, "}", 1);
}

/* Loads the newest registered definition (revs[0]); NULL after printing why. */
static struct flow_def *load_definition(const struct export_opts *o,
                                        const struct export_flow_rev *rev)
{
    char name[128];
    snprintf(name, sizeof name, "flows registry: %s (%.12s)", o->flow, rev->checksum);
    struct raia_errlist errs = {0};
    struct flow_def *def =
        flow_def_load_source(name, rev->definition, strlen(rev->definition), &errs);
    if (!def)
        raia_errlist_print(&errs, stderr, "raia export: ");
    raia_errlist_free(&errs);
    return def;
}

/* Every name an export may write: a rerun removes what an interrupted one left. */
static const char *const all_files[] = {"responses.csv",
                                        "responses.jsonl",
                                        "responses.sav",
                                        "responses.dta",
                                        "answers.csv",
                                        "answers.jsonl",
                                        "codebook.json",
                                        "codebook.md",
                                        "codebook.ddi.xml",
                                        "datapackage.json",
                                        NULL};

/* The rows, inside one snapshot: k-anonymity first, then the count, then the stream. */
static int write_rows(struct export_db *db, const struct export_opts *o, const struct flow_def *def,
                      int version, struct export_privacy *priv, struct export_table **table,
                      struct raia_err *err)
{
    int rc = export_db_begin(db, err);
    if (rc == 0)
        rc = export_privacy_check(db, o, version, def, priv, stderr, err);
    long long n = rc == 0 ? export_db_count(db, o->flow, version, o->since, err) : 0;
    rc = n < 0 ? (int)n : rc;
    if (rc == 0) {
        int removed = export_clean_parts(o->out_dir, all_files);
        if (removed)
            fprintf(stderr, "raia export: removed %d unfinished file%s of an earlier run\n",
                    removed, removed == 1 ? "" : "s");
        *table = export_table_new(def, o, priv, n, err);
        rc = *table ? 0 : -1;
    }
    if (rc == 0) {
        rc = export_db_stream(db, o->flow, version, o->since, export_table_row, *table, err);
        if (rc > 0 || (rc < 0 && err->code == 0))
            *err = *export_table_error(*table);
    }
    if (rc == 0)
        rc = export_table_finish(*table, err);
    if (rc == 0)
        return export_db_end(db, err);
    export_db_abort(db);
    return rc;
}

/* Rows, codebooks, audit, final names: everything after the definition is known. */
static int run(struct export_db *db, const struct export_opts *o, const struct flow_def *def,
               const struct export_flow_rev *revs, size_t n_revs, int version, const char *actor)
{
    struct export_privacy priv;
    char msg[256];
    if (export_privacy_resolve(def, o, &priv, msg, sizeof msg) < 0) {
        fprintf(stderr, "raia export: %s\n", msg);
        return 2;
    }
    struct raia_err err = {0};
    struct export_table *t = NULL;
    int rc = write_rows(db, o, def, version, &priv, &t, &err);
    if (rc == 1) { /* refused: the reasons are printed, nothing was written */
        export_table_free(t);
        return 1;
    }
    char created[32];
    time_t now = time(NULL);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    struct export_doc doc = {def, revs, n_revs, version, o, t, &priv, created};
    if (rc == 0)
        rc = export_codebook_write(&doc, &err);
    struct strbuf detail = {0};
    if (rc == 0) {
        audit_detail(o, def, version, export_table_stats(t), &priv, &detail);
        rc = detail.oom ? raia_err_set(&err, RAIA_ENOMEM, "out of memory")
                        : export_db_audit(db, actor, strbuf_cstr(&detail), &err);
    }
    const char *files[] = {t ? export_table_file(t) : NULL,
                           "codebook.json",
                           "codebook.md",
                           "codebook.ddi.xml",
                           o->format == EXPORT_FORMAT_DATAPACKAGE ? "datapackage.json" : NULL,
                           NULL};
    if (rc == 0)
        rc = export_commit_files(o->out_dir, files, &err);
    if (rc == 0) {
        struct strbuf report = {0};
        export_privacy_describe(def, o, &priv, "raia export: ", &report);
        fputs(strbuf_cstr(&report), stderr);
        strbuf_free(&report);
        const struct export_stats *st = export_table_stats(t);
        printf("exported %s version %d: %lld rows, %lld sessions to %s/%s\n", o->flow, version,
               st->rows, st->sessions, o->out_dir, export_table_file(t));
    } else {
        if (o->out_dir && access(o->out_dir, F_OK) == 0)
            export_clean_parts(o->out_dir, all_files);
        fprintf(stderr, "raia export: %s\n", err.msg[0] ? err.msg : raia_strerror(rc));
    }
    strbuf_free(&detail);
    export_table_free(t);
    return rc == 0 ? 0 : 1;
}

/*
 * --partner NAME: the export is for that partner, within its token's scope:
 * only its flows, and respondent ids as raia-api gives it (or the pseudonym
 * itself if its scope allows). -1 after a message.
 */
static int partner_scope(const struct raia_config *cfg, struct export_opts *o)
{
    struct partner_scope ps;
    struct raia_err err = {0};
    int rc = partner_store_scope(cfg->postgres.conninfo, o->partner, o->flow, &ps, &err);
    if (rc == -RAIA_ENOTFOUND)
        fprintf(stderr, "raia export: no partner '%s' with an active token\n", o->partner);
    else if (rc < 0)
        fprintf(stderr, "raia export: %s\n", err.msg);
    else if (!ps.has_flow)
        fprintf(stderr, "raia export: partner '%s' is not scoped to flow '%s'\n", o->partner,
                o->flow);
    if (rc < 0 || !ps.has_flow)
        return -1;
    o->stable_pseudonym = ps.stable_pseudonym;
    for (size_t i = 0; i < sizeof o->partner_key; i++)
        sscanf(ps.respondent_key_hex + 2 * i, "%2hhx", &o->partner_key[i]);
    OPENSSL_cleanse(ps.respondent_key_hex, sizeof ps.respondent_key_hex);
    return 0;
}

int export_cmd(int argc, char **argv, const char *actor)
{
    struct export_opts o;
    if (parse_args(argc, argv, &o) < 0)
        return usage();
    struct raia_config *cfg = config_load_print(o.config, stderr);
    if (!cfg)
        return 1;
    struct raia_err err = {0};
    if (o.partner && partner_scope(cfg, &o) < 0) {
        config_free(cfg);
        return 1;
    }
    struct export_db *db = export_db_open(cfg->postgres.conninfo, &err);
    if (!db) {
        fprintf(stderr, "raia export: %s\n", err.msg);
        config_free(cfg);
        return 1;
    }
    struct export_flow_rev *revs = NULL;
    int version = 0, rc = 1;
    int n = export_db_flow(db, o.flow, o.version, &version, &revs, &err);
    if (n < 0) {
        fprintf(stderr, "raia export: %s\n", err.msg);
    } else if (n == 0) {
        fprintf(stderr, "raia export: no flow '%s'%s in the flows registry\n", o.flow,
                o.version ? " at that version" : "");
    } else {
        struct flow_def *def = load_definition(&o, &revs[0]);
        if (def)
            rc = run(db, &o, def, revs, (size_t)n, version, actor);
        flow_def_unref(def);
    }
    export_flow_revs_free(revs, n > 0 ? (size_t)n : 0);
    export_db_close(db);
    config_free(cfg);
    return rc;
}
