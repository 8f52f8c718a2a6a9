/*
 * broadcast_cmd.c - `raia broadcast` (see broadcast_cmd.h).
 *
 *   raia broadcast --config FILE --flow ID --message FILE [--from ADDR] [--dry-run]
 *
 * The message is written by the operator from published, suppressed tables
 * (`raia export`, the API's /tables): raia adds no figures of its own. It
 * is checked before anything is queued: UTF-8, not empty, at most
 * MESSAGE_PARTS_MAX SMS parts in the alphabet of every configured operator.
 * The sender address defaults to the flow's SMS short code. Who gets it,
 * and the order of the writes, is storage/outbox_store.c's business.
 */
#include "broadcast_cmd.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "flow.h"
#include "outbox_store.h"
#include "sms_concat.h"

#define MESSAGE_PARTS_MAX 3
#define MESSAGE_FILE_MAX 2048 /* bytes: 3 UCS-2 parts are 201 characters, 3 GSM parts 459 */

static int usage(void)
{
    fprintf(stderr, "usage: raia broadcast --config FILE --flow ID --message FILE [--from ADDR] "
                    "[--dry-run]\n");
    return 2;
}

/* Reads the message file; trailing newlines (an editor's) are not part of it. */
static int read_message(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "raia broadcast: %s: cannot open\n", path);
        return -1;
    }
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    if (n == size) {
        fprintf(stderr, "raia broadcast: %s: longer than %d bytes\n", path, MESSAGE_FILE_MAX);
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (n == 0 || strlen(buf) != n) {
        fprintf(stderr, "raia broadcast: %s: %s\n", path, n ? "contains a NUL byte" : "empty");
        return -1;
    }
    return 0;
}

/* The parts the message needs in charset; prints the problem and returns -1 if it cannot go. */
static int check_parts(const char *path, const char *text, enum smpp_charset charset,
                       const char *who)
{
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];
    int n = sms_concat_split_as(text, strlen(text), 0, charset, parts);
    if (n == -RAIA_EINVAL) {
        fprintf(stderr, "raia broadcast: %s: not valid UTF-8\n", path);
        return -1;
    }
    if (n < 0 || n > MESSAGE_PARTS_MAX) {
        fprintf(stderr, "raia broadcast: %s: needs more than %d SMS parts (for %s); shorten it\n",
                path, MESSAGE_PARTS_MAX, who);
        return -1;
    }
    return 0;
}

static int check_message(const struct raia_config *cfg, const char *path, const char *text)
{
    if (check_parts(path, text, SMPP_CHARSET_GSM7, "gsm7") < 0)
        return -1;
    for (size_t i = 0; i < cfg->n_smsc; i++) {
        enum smpp_charset cs;
        if (smpp_charset_parse(cfg->smsc[i].sms_charset, &cs) == 0 &&
            check_parts(path, text, cs, cfg->smsc[i].name) < 0)
            return -1;
    }
    return 0;
}

/* --from, else the flow's SMS short code; "" and a message when there is neither. */
static int sender_of(const struct raia_config *cfg, const char *flow_id, const char *from,
                     char out[21])
{
    if (from) {
        if (!*from || strlen(from) > 20) {
            fprintf(stderr, "raia broadcast: --from takes 1 to 20 characters\n");
            return -1;
        }
        snprintf(out, 21, "%s", from);
        return 0;
    }
    struct raia_errlist errs = {0};
    struct flow_set *set = flow_set_load_dir(cfg->flows.dir, &errs);
    raia_errlist_free(&errs);
    const char *code = NULL;
    for (size_t i = 0; set && !code && i < flow_set_count(set); i++) {
        const struct flow_def *def = flow_set_get(set, i);
        if (strcmp(flow_def_id(def), flow_id) == 0 && flow_def_sms_short_code(def))
            code = flow_def_sms_short_code(def);
    }
    if (code)
        snprintf(out, 21, "%s", code);
    flow_set_free(set);
    if (!code) {
        fprintf(stderr, "raia broadcast: flow %s has no SMS short code in %s; give --from\n",
                flow_id, cfg->flows.dir);
        return -1;
    }
    return 0;
}

int broadcast_cmd(int argc, char **argv, const char *actor)
{
    const char *config = NULL, *flow = NULL, *message = NULL, *from = NULL;
    int dry_run = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = 1;
        else if (i + 1 < argc && strcmp(argv[i], "--config") == 0)
            config = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--flow") == 0)
            flow = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--message") == 0)
            message = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--from") == 0)
            from = argv[++i];
        else
            return usage();
    }
    if (!config || !flow || !message)
        return usage();
    struct raia_config *cfg = config_load_print(config, stderr);
    if (!cfg)
        return 1;
    char text[MESSAGE_FILE_MAX + 1], sender[21];
    int rc = 1;
    if (read_message(message, text, MESSAGE_FILE_MAX) == 0 &&
        check_message(cfg, message, text) == 0 && sender_of(cfg, flow, from, sender) == 0) {
        struct outbox_request rq = {.redis_url = cfg->redis.url,
                                    .prefix = cfg->redis.prefix,
                                    .conninfo = cfg->postgres.conninfo,
                                    .actor = actor,
                                    .flow_id = flow,
                                    .message = text,
                                    .from = sender,
                                    .dry_run = dry_run};
        struct outbox_result res;
        struct raia_err err = {0};
        if (outbox_broadcast(&rq, &res, &err) < 0)
            fprintf(stderr, "raia broadcast: %s\n", err.msg);
        else if (dry_run || res.recipients == 0)
            printf("%s: %lld recipients (%lld left out: stopped or erased since); nothing queued\n",
                   flow, res.recipients, res.stopped);
        else
            printf("broadcast %lld: %lld messages queued for flow %s (%lld left out: stopped or "
                   "erased since)\n",
                   res.broadcast_id, res.recipients, flow, res.stopped);
        rc = err.code == 0 ? 0 : 1;
    }
    config_free(cfg);
    return rc;
}
