/*
 * raia.c - the operator's command line.
 *
 *   raia flows check FILE...          check flow files; `file:line:col: message` per problem
 *   raia flows render FILE [--sms] [--lang CODE]  print every screen as a phone shows it
 *   raia config check FILE            check a gateway config, its key file and its flows
 *   raia db migrate --config FILE     apply the numbered SQL migrations (idempotent)
 *   raia forget --config FILE NUMBER  erase everything stored about one phone number
 *   raia purge --config FILE --older-than DAYSd   apply the retention policy
 *   raia export --config FILE --flow ID ... --out DIR   a flow's data with a codebook
 *   raia partners add|list|revoke --config FILE ...   tokens for raia-api (docs/api.md)
 *   raia broadcast --config FILE --flow ID --message FILE   results to those who asked
 *
 * Exit status: 0 success, 1 problems found or an operation failed, 2 usage.
 * Synchronous by design: nothing here runs inside the gateway's event loop.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broadcast_cmd.h"
#include "config.h"
#include "contact_seal.h"
#include "erase.h"
#include "export_cmd.h"
#include "flow.h"
#include "partners_cmd.h"
#include "pg_migrate.h"
#include "pseudonym.h"
#include "strbuf.h"

static int usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  raia flows check FILE...\n"
            "  raia flows render FILE [--sms] [--lang CODE]\n"
            "  raia config check FILE\n"
            "  raia db migrate --config FILE\n"
            "  raia forget --config FILE NUMBER\n"
            "  raia purge --config FILE --older-than DAYSd\n"
            "  raia partners add|list|revoke --config FILE ...\n"
            "  raia broadcast --config FILE --flow ID --message FILE [--from ADDR] "
            "[--dry-run]\n"
            "  raia export --config FILE --flow ID [--version V] [--since YYYY-MM-DD]\n"
            "      [--format csv|jsonl|datapackage|sav|dta] --out DIR [--long] [--free-text]\n"
            "      [--band STEP=WIDTH]... [--key-vars A,B,...] [--k N]\n");
    return 2;
}

static int flows_check(int argc, char **argv)
{
    if (argc < 1)
        return usage();
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        struct raia_errlist errs = {0}, warns = {0};
        struct flow_def *def = flow_def_load_ex(argv[i], &errs, &warns);
        raia_errlist_print(&warns, stderr, "warning: "); /* warnings do not fail the check */
        raia_errlist_free(&warns);
        if (def) {
            printf("%s: ok (%s version %d)\n", argv[i], flow_def_id(def), flow_def_version(def));
            flow_def_unref(def);
        } else {
            raia_errlist_print(&errs, stderr, "");
            bad = 1;
        }
        raia_errlist_free(&errs);
    }
    return bad;
}

static int flows_render(int argc, char **argv)
{
    int sms = 0;
    const char *lang = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sms") == 0)
            sms = 1;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            lang = argv[++i];
        else
            return usage();
    }
    if (argc < 1)
        return usage();
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load(argv[0], &errs);
    if (!def) {
        raia_errlist_print(&errs, stderr, "");
        raia_errlist_free(&errs);
        return 1;
    }
    /* A flow without a USSD code only ever runs over SMS: show those screens. */
    enum flow_channel channel =
        sms || !flow_def_ussd_code(def) ? FLOW_CHANNEL_SMS : FLOW_CHANNEL_USSD;
    struct strbuf out = {0};
    int rc = flow_def_render(def, channel, lang, &out);
    if (rc == -RAIA_ENOTFOUND)
        fprintf(stderr, "raia flows render: %s has no language '%s'\n", argv[0], lang);
    if (rc == 0 && !out.oom)
        fputs(strbuf_cstr(&out), stdout);
    strbuf_free(&out);
    flow_def_unref(def);
    return rc == 0 ? 0 : 1;
}

static int config_check(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    struct raia_config *cfg = config_load_print(argv[0], stderr);
    if (!cfg)
        return 1;
    int bad = 0;
    struct raia_err err = {0};
    struct pseudonymizer *ps =
        pseudonymizer_new(cfg->privacy.key_file, cfg->privacy.project, cfg->privacy.country_code,
                          cfg->privacy.trunk_prefix, &err);
    if (!ps) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        bad = 1;
    }
    struct contact_seal *seal = NULL;
    if (*cfg->privacy.contact_key_file &&
        !(seal = contact_seal_new(cfg->privacy.contact_key_file, cfg->privacy.project, &err))) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        bad = 1;
    }
    contact_seal_free(seal);
    struct raia_errlist errs = {0};
    struct flow_set *flows = flow_set_load_dir(cfg->flows.dir, &errs);
    if (!flows) {
        raia_errlist_print(&errs, stderr, "");
        bad = 1;
    }
    if (!bad)
        printf("%s: ok (%zu smsc, %zu flows)\n", argv[0], cfg->n_smsc, flow_set_count(flows));
    raia_errlist_free(&errs);
    flow_set_free(flows);
    pseudonymizer_free(ps);
    config_free(cfg);
    return bad;
}

static int db_migrate(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[0], "--config") != 0)
        return usage();
    struct raia_config *cfg = config_load_print(argv[1], stderr);
    if (!cfg)
        return 1;
    struct raia_err err = {0};
    int rc = pg_migrate(cfg->postgres.conninfo, stdout, &err);
    if (rc < 0)
        fprintf(stderr, "raia db migrate: %s\n", err.msg);
    else
        printf("schema at version %d\n", pg_migrate_latest());
    config_free(cfg);
    return rc < 0 ? 1 : 0;
}

/* The audit log's actor: the person behind sudo, else the current user. */
static const char *actor(void)
{
    const char *sudo = getenv("SUDO_USER");
    if (sudo && *sudo)
        return sudo;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

static struct erase_target erase_target_of(const struct raia_config *cfg)
{
    return (struct erase_target){.redis_url = cfg->redis.url,
                                 .prefix = cfg->redis.prefix,
                                 .conninfo = cfg->postgres.conninfo,
                                 .actor = actor()};
}

/* Prints counts only: the number typed is never echoed (terminal logs, scrollback). */
static int forget(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[0], "--config") != 0)
        return usage();
    struct raia_config *cfg = config_load_print(argv[1], stderr);
    if (!cfg)
        return 1;
    struct raia_err err = {0};
    char e164[E164_MAX], pseud[PSEUDONYM_HEX_LEN + 1];
    int rc = 1;
    struct pseudonymizer *ps =
        pseudonymizer_new(cfg->privacy.key_file, cfg->privacy.project, cfg->privacy.country_code,
                          cfg->privacy.trunk_prefix, &err);
    if (!ps) {
        fprintf(stderr, "raia forget: %s\n", err.msg);
    } else if (pseudonym_normalize(ps, argv[2], 0, e164) < 0 || pseudonym_of(ps, e164, pseud) < 0) {
        fprintf(stderr, "raia forget: not a phone number (digits, optionally + or 00 first)\n");
    } else {
        struct erase_target t = erase_target_of(cfg);
        struct erase_counts n;
        if (erase_person(&t, pseud, &n, &err) < 0) {
            fprintf(stderr, "raia forget: %s\n", err.msg);
        } else {
            printf("erased: %lld sessions, %lld answers, %lld events not yet written, "
                   "%lld session keys (project %s)\n",
                   n.sessions, n.answers, n.stream_entries, n.state_keys, cfg->privacy.project);
            rc = 0;
        }
    }
    pseudonymizer_free(ps);
    config_free(cfg);
    return rc;
}

static int purge(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[0], "--config") != 0 || strcmp(argv[2], "--older-than") != 0)
        return usage();
    char *end;
    long days = strtol(argv[3], &end, 10);
    if (end == argv[3] || strcmp(end, "d") != 0 || days < 1 || days > 36500) {
        fprintf(stderr, "raia purge: --older-than takes days, e.g. 365d (1d to 36500d)\n");
        return 2;
    }
    struct raia_config *cfg = config_load_print(argv[1], stderr);
    if (!cfg)
        return 1;
    struct raia_err err = {0};
    struct erase_target t = erase_target_of(cfg);
    struct erase_counts n;
    int rc = erase_older_than(&t, (int)days, &n, &err);
    if (rc < 0)
        fprintf(stderr, "raia purge: %s\n", err.msg);
    else
        printf("purged: %lld sessions, %lld answers, %lld refusals older than %ld days\n",
               n.sessions, n.answers, n.refusals, days);
    config_free(cfg);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "forget") == 0)
        return forget(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "purge") == 0)
        return purge(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
        return export_cmd(argc - 2, argv + 2, actor());
    if (argc >= 2 && strcmp(argv[1], "partners") == 0)
        return partners_cmd(argc - 2, argv + 2, actor());
    if (argc >= 2 && strcmp(argv[1], "broadcast") == 0)
        return broadcast_cmd(argc - 2, argv + 2, actor());
    if (argc < 3)
        return usage();
    const char *noun = argv[1], *verb = argv[2];
    if (strcmp(noun, "flows") == 0 && strcmp(verb, "check") == 0)
        return flows_check(argc - 3, argv + 3);
    if (strcmp(noun, "flows") == 0 && strcmp(verb, "render") == 0)
        return flows_render(argc - 3, argv + 3);
    if (strcmp(noun, "config") == 0 && strcmp(verb, "check") == 0)
        return config_check(argc - 3, argv + 3);
    if (strcmp(noun, "db") == 0 && strcmp(verb, "migrate") == 0)
        return db_migrate(argc - 3, argv + 3);
    return usage();
}
