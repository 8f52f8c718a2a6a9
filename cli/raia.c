/*
 * raia.c - the operator's command line.
 *
 *   raia flows check FILE...          check flow files; `file:line:col: message` per problem
 *   raia flows render FILE [--sms]    print every screen as a phone shows it
 *   raia config check FILE            check a gateway config, its key file and its flows
 *   raia db migrate --config FILE     apply the numbered SQL migrations (idempotent)
 *
 * Exit status: 0 success, 1 problems found or an operation failed, 2 usage.
 * Synchronous by design: nothing here runs inside the gateway's event loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "flow.h"
#include "pg_migrate.h"
#include "pseudonym.h"
#include "strbuf.h"

static int usage(void)
{
    fprintf(stderr, "usage:\n"
                    "  raia flows check FILE...\n"
                    "  raia flows render FILE [--sms]\n"
                    "  raia config check FILE\n"
                    "  raia db migrate --config FILE\n");
    return 2;
}

static void print_errors(const struct raia_errlist *errs)
{
    char line[RAIA_ERR_MSG_MAX + 256];
    for (size_t i = 0; i < errs->n; i++) {
        raia_err_format(&errs->items[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
}

static int flows_check(int argc, char **argv)
{
    if (argc < 1)
        return usage();
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        struct raia_errlist errs = {0};
        struct flow_def *def = flow_def_load(argv[i], &errs);
        if (def) {
            printf("%s: ok (%s version %d)\n", argv[i], flow_def_id(def), flow_def_version(def));
            flow_def_unref(def);
        } else {
            print_errors(&errs);
            bad = 1;
        }
        raia_errlist_free(&errs);
    }
    return bad;
}

static int flows_render(int argc, char **argv)
{
    if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "--sms") != 0))
        return usage();
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load(argv[0], &errs);
    if (!def) {
        print_errors(&errs);
        raia_errlist_free(&errs);
        return 1;
    }
    struct strbuf out = {0};
    int rc = flow_def_render(def, argc == 2 ? FLOW_CHANNEL_SMS : FLOW_CHANNEL_USSD, &out);
    if (rc == 0 && !out.oom)
        fputs(strbuf_cstr(&out), stdout);
    strbuf_free(&out);
    flow_def_unref(def);
    return rc == 0 ? 0 : 1;
}

static struct raia_config *load_config(const char *path)
{
    struct raia_errlist errs = {0};
    struct raia_config *cfg = config_load(path, &errs);
    if (!cfg)
        print_errors(&errs);
    raia_errlist_free(&errs);
    return cfg;
}

static int config_check(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    struct raia_config *cfg = load_config(argv[0]);
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
    struct raia_errlist errs = {0};
    struct flow_set *flows = flow_set_load_dir(cfg->flows.dir, &errs);
    if (!flows) {
        print_errors(&errs);
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
    struct raia_config *cfg = load_config(argv[1]);
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

int main(int argc, char **argv)
{
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
