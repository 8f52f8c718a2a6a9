/*
 * redis_store.c - session state and the answer stream in Redis (see
 * redis_store.h; key layout in docs/storage.md).
 */
#include "redis_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "outbox_store.h"
#include "redis_link.h"
#include "store_event.h"
#include "str_copy.h"
#include "strbuf.h"

#define KEY_MAX 256

/*
 * One turn's writes, applied atomically (no other client runs in between) by
 * one of two scripts. Both first check that the session is still what the
 * turn started from (compare-and-set), then count the turn against the
 * pseudonym's flood limit, then store or delete the session and XADD the
 * events. They return the number of events; -1 (having written nothing but
 * the counter) when over the limit; or {session now} (a one-element array,
 * nil when there is none), having written nothing, when the check failed.
 * The check comes first so that a turn retried after a conflict counts once
 * against the limit.
 *
 * turn_script is most turns: no STOP or erasure among the events and no
 * reminder to change. It gets only what it uses, because Redis copies every
 * argument into Lua (about 1,000 instructions each, measured with callgrind):
 * KEYS[1] session key, KEYS[2] answer stream, KEYS[3] the pseudonym's turn
 * counter for the current minute (only when ARGV[5] > 0); ARGV[1] state blob
 * ("" deletes the session), ARGV[2] TTL in seconds, ARGV[3] "1" to check
 * that the session is ARGV[4], "2" to check that there is none, "0" not to
 * check, ARGV[5] turns allowed per minute (0: no limit), ARGV[6..] event
 * documents.
 *
 * save_script is the rest: KEYS[1..3] as above (KEYS[3] always), KEYS[4]
 * the outbox tombstones (a STOP or erase event among the events adds one,
 * outbox_store.h), KEYS[5] the SMS reminder schedule, KEYS[6] this person's
 * reminder job, KEYS[7] the mark of a session already reminded; ARGV[1..5]
 * as above, ARGV[6] when to remind ("": leave the schedule, "-": cancel),
 * ARGV[7] the pseudonym, ARGV[8] the reminder job, ARGV[9] one character per
 * event, '1' for a STOP or an erasure (tombstone_flags), ARGV[10..] event
 * documents.
 */
#define SAVE_CHECK_AND_COUNT                                                                       \
    "if ARGV[3] ~= '0' then "                                                                      \
    "  local cur = redis.call('GET', KEYS[1]) "                                                    \
    "  if (ARGV[3] == '1' and cur ~= ARGV[4]) or (ARGV[3] == '2' and cur) then "                   \
    "    return {cur} "                                                                            \
    "  end "                                                                                       \
    "end "                                                                                         \
    "local limit = tonumber(ARGV[5]) "                                                             \
    "if limit > 0 then "                                                                           \
    "  local n = redis.call('INCR', KEYS[3]) "                                                     \
    "  if n == 1 then redis.call('EXPIRE', KEYS[3], 60) end "                                      \
    "  if n > limit then return -1 end "                                                           \
    "end "                                                                                         \
    "if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "                    \
    "else redis.call('DEL', KEYS[1]) end "

static const char turn_script[] =
    SAVE_CHECK_AND_COUNT "for i = 6, #ARGV do redis.call('XADD', KEYS[2], '*', 'e', ARGV[i]) end "
                         "return #ARGV - 5";

static const char save_script[] =
    SAVE_CHECK_AND_COUNT "for i = 10, #ARGV do "
                         "  redis.call('XADD', KEYS[2], '*', 'e', ARGV[i]) "
                         "  if string.byte(ARGV[9], i - 9) == 49 then "
                         "    local ev = cjson.decode(ARGV[i]) "
                         "    local who = ev.pseudonym "
                         "    if type(ev.flow) == 'string' then who = who .. '/' .. ev.flow end "
                         "    redis.call('ZADD', KEYS[4], string.format('%.0f', ev.at), who) "
                         "  end "
                         "end "
                         "if ARGV[6] == '-' then "
                         "  redis.call('ZREM', KEYS[5], ARGV[7]) redis.call('DEL', KEYS[6]) "
                         "elseif ARGV[6] ~= '' and redis.call('EXISTS', KEYS[7]) == 0 then "
                         "  redis.call('ZADD', KEYS[5], ARGV[6], ARGV[7]) "
                         "  redis.call('SET', KEYS[6], ARGV[8], 'EX', ARGV[2]) "
                         "end "
                         "return #ARGV - 9";

/* A script and its SHA-1 as Redis reported it (SCRIPT LOAD on every
 * connect); "" until then, and saves send the whole script (EVAL). */
struct script {
    const char *text;
    char sha[41];
};

struct redis_store {
    struct redis_link *link;
    char prefix[64];
    /* keys that depend only on the prefix */
    char stream_key[KEY_MAX], remind_key[KEY_MAX], nocontact_key[KEY_MAX];
    int ttl_s;
    char turns_per_minute[16]; /* as the scripts get it; "0": no flood limit */
    int limited;
    struct script turn, save; /* turn_script and save_script */
    /* The last save's request as sent (RESP), its memory reused by the next. */
    char *cmd;
    size_t cmd_cap;
};

/* A request in flight; exactly one of the callbacks is set. */
struct request {
    redis_store_load_cb on_load;
    redis_store_done_cb on_done;
    redis_store_save_cb on_save;
    redis_store_reminders_cb on_reminders;
    void *ctx;
    struct redis_store *rs;
};

static void on_script_loaded(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct script *script = priv;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_STRING && reply->len < sizeof script->sha) {
        memcpy(script->sha, reply->str, reply->len + 1);
        return;
    }
    /* e.g. LOADING after a restart: saves send the whole script until a reload works */
    script->sha[0] = '\0';
    log_at(LOG_WARN, "redis", "op=script_load err=\"%s\"",
           reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "no reply");
}

/* Every (re)connect: the server may be new (a restart empties its script cache). */
static void on_link_up(void *ctx)
{
    struct redis_store *rs = ctx;
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (!ac)
        return;
    redisAsyncCommand(ac, on_script_loaded, &rs->turn, "SCRIPT LOAD %s", rs->turn.text);
    redisAsyncCommand(ac, on_script_loaded, &rs->save, "SCRIPT LOAD %s", rs->save.text);
}

struct redis_store *redis_store_new(struct event_base *base, const struct redis_store_opts *opts,
                                    struct raia_err *err)
{
    if (strlen(opts->prefix) >= sizeof((struct redis_store *)0)->prefix ||
        opts->session_ttl_s < 1) {
        raia_err_set(err, RAIA_EINVAL, "redis prefix too long or ttl below 1 s");
        return NULL;
    }
    struct redis_store *rs = calloc(1, sizeof *rs);
    if (!rs) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    str_copy(rs->prefix, sizeof rs->prefix, opts->prefix);
    snprintf(rs->stream_key, sizeof rs->stream_key, "%sanswers", opts->prefix);
    snprintf(rs->remind_key, sizeof rs->remind_key, "%sremind", opts->prefix);
    snprintf(rs->nocontact_key, sizeof rs->nocontact_key, "%s" OUTBOX_NOCONTACT_KEY, opts->prefix);
    rs->ttl_s = opts->session_ttl_s;
    rs->turn.text = turn_script;
    rs->save.text = save_script;
    rs->limited = opts->turns_per_minute > 0;
    snprintf(rs->turns_per_minute, sizeof rs->turns_per_minute, "%d",
             rs->limited ? opts->turns_per_minute : 0);
    rs->link = redis_link_new(base, opts->url, "store", on_link_up, rs, err);
    if (!rs->link) {
        free(rs);
        return NULL;
    }
    return rs;
}

int redis_store_session_ttl(const struct redis_store *rs)
{
    return rs->ttl_s;
}

void redis_store_free(struct redis_store *rs)
{
    if (!rs)
        return;
    redis_link_free(rs->link);
    free(rs->cmd);
    free(rs);
}

const char *redis_store_stream_key(const struct redis_store *rs)
{
    return rs->stream_key;
}

/* kind: "s" the session, "rl" the turn counter of the current minute */
static void person_key(const struct redis_store *rs, const char *kind, const char *pseudonym,
                       char *key)
{
    /* "<prefix><kind>:<pseudonym>", cut at KEY_MAX as snprintf would cut
     * it; joined by hand, since every turn builds one or two. */
    const char *parts[] = {rs->prefix, kind, ":", pseudonym};
    size_t at = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = strlen(parts[i]);
        n = n < KEY_MAX - 1 - at ? n : KEY_MAX - 1 - at;
        memcpy(key + at, parts[i], n);
        at += n;
    }
    key[at] = '\0';
}

static struct request *request_new(redis_store_load_cb on_load, redis_store_done_cb on_done,
                                   redis_store_save_cb on_save, void *ctx)
{
    struct request *req = malloc(sizeof *req);
    if (req)
        *req = (struct request){
            .on_load = on_load, .on_done = on_done, .on_save = on_save, .ctx = ctx};
    return req;
}

static void log_reply_error(const char *op, const redisReply *reply)
{
    log_at(LOG_ERROR, "redis", "op=%s err=\"%s\"", op,
           reply ? (reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply")
                 : "connection lost");
}

static void on_load_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct request *req = priv;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_STRING) {
        req->on_load(req->ctx, 0, reply->str, reply->len);
    } else if (reply && reply->type == REDIS_REPLY_NIL) {
        req->on_load(req->ctx, -RAIA_ENOTFOUND, NULL, 0);
    } else {
        log_reply_error("load", reply);
        req->on_load(req->ctx, -RAIA_EIO, NULL, 0);
    }
    free(req);
}

int redis_store_load(struct redis_store *rs, const char *pseudonym, redis_store_load_cb cb,
                     void *ctx)
{
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (!ac)
        return -RAIA_EIO;
    struct request *req = request_new(cb, NULL, NULL, ctx);
    if (!req)
        return -RAIA_ENOMEM;
    char key[KEY_MAX];
    person_key(rs, "s", pseudonym, key);
    if (redisAsyncCommand(ac, on_load_reply, req, "GET %s", key) != REDIS_OK) {
        free(req);
        return -RAIA_EIO;
    }
    return 0;
}

/* XADD's answer: the new entry's id; anything else failed. */
static void on_append_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct request *req = priv;
    (void)ac;
    int status = 0;
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        log_reply_error("append", reply);
        status = -RAIA_EIO;
    }
    req->on_done(req->ctx, status);
    free(req);
}

/* A save script's answer (see turn_script); anything else failed. */
static void on_save_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct request *req = priv;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        /* Someone flushed the script cache: this turn fails, the next ones load it again. */
        req->rs->turn.sha[0] = req->rs->save.sha[0] = '\0';
        on_link_up(req->rs);
    }
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        req->on_save(req->ctx, reply->integer < 0 ? -RAIA_EFULL : 0, NULL, 0);
    } else if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
               reply->element[0]->type == REDIS_REPLY_STRING) {
        req->on_save(req->ctx, -RAIA_ESTALE, reply->element[0]->str, reply->element[0]->len);
    } else if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
               reply->element[0]->type == REDIS_REPLY_NIL) {
        req->on_save(req->ctx, -RAIA_ESTALE, NULL, 0);
    } else {
        log_reply_error("save", reply);
        req->on_save(req->ctx, -RAIA_EIO, NULL, 0);
    }
    free(req);
}

int redis_store_append(struct redis_store *rs, const char *event, redis_store_done_cb cb, void *ctx)
{
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (!ac)
        return -RAIA_EIO;
    struct request *req = request_new(NULL, cb, NULL, ctx);
    if (!req)
        return -RAIA_ENOMEM;
    if (redisAsyncCommand(ac, on_append_reply, req, "XADD %s * e %s", rs->stream_key, event) !=
        REDIS_OK) {
        free(req);
        return -RAIA_EIO;
    }
    return 0;
}

/*
 * Takes due reminders off the schedule in one atomic call, with each one's
 * job and the session it belongs to: KEYS[1] the schedule; ARGV[1] now,
 * ARGV[2] the key prefix. Returns {pseudonym, job, session, ...}; a job
 * whose key expired is dropped. The job and session keys are built here
 * from the prefix (the store runs on one Redis, not a cluster).
 */
static const char take_script[] =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 16) "
    "local out = {} "
    "for _, p in ipairs(due) do "
    "  redis.call('ZREM', KEYS[1], p) "
    "  local job = redis.call('GET', ARGV[2] .. 'rjob:' .. p) "
    "  redis.call('DEL', ARGV[2] .. 'rjob:' .. p) "
    "  if job then "
    "    table.insert(out, p) table.insert(out, job) "
    "    table.insert(out, redis.call('GET', ARGV[2] .. 's:' .. p)) "
    "  end "
    "end "
    "return out";

static void on_reminders_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct request *req = priv;
    (void)ac;
    enum { MAX = 16 };
    const char *p[MAX], *j[MAX], *s[MAX];
    size_t n = 0;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 2 < reply->elements && n < MAX; i += 3) {
            if (reply->element[i]->type != REDIS_REPLY_STRING ||
                reply->element[i + 1]->type != REDIS_REPLY_STRING)
                continue;
            p[n] = reply->element[i]->str;
            j[n] = reply->element[i + 1]->str;
            s[n] = reply->element[i + 2]->type == REDIS_REPLY_STRING ? reply->element[i + 2]->str
                                                                     : NULL;
            n++;
        }
    } else {
        log_reply_error("take_reminders", reply);
    }
    req->on_reminders(req->ctx, n, p, j, s);
    free(req);
}

int redis_store_take_reminders(struct redis_store *rs, long long now_ms,
                               redis_store_reminders_cb cb, void *ctx)
{
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (!ac)
        return -RAIA_EIO;
    struct request *req = request_new(NULL, NULL, NULL, ctx);
    if (!req)
        return -RAIA_ENOMEM;
    req->on_reminders = cb;
    char now[24];
    snprintf(now, sizeof now, "%lld", now_ms);
    if (redisAsyncCommand(ac, on_reminders_reply, req, "EVAL %s 1 %s %s %s", take_script,
                          rs->remind_key, now, rs->prefix) != REDIS_OK) {
        free(req);
        return -RAIA_EIO;
    }
    return 0;
}

int redis_store_reminded(struct redis_store *rs, const char *session_id, int ttl_s)
{
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (!ac)
        return -RAIA_EIO;
    char key[KEY_MAX];
    person_key(rs, "rdone", session_id, key);
    return redisAsyncCommand(ac, NULL, NULL, "SET %s 1 EX %d", key, ttl_s > 0 ? ttl_s : 1) ==
                   REDIS_OK
               ? 0
               : -RAIA_EIO;
}

/*
 * argv as one RESP request, "*<argc>\r\n" and then "$<len>\r\n<bytes>\r\n"
 * per argument (the bytes hiredis's redisFormatSdsCommandArgv writes), in
 * rs->cmd. Why not redisAsyncCommandArgv: it builds a new string piece by
 * piece for every turn; this is one pass into memory kept from the last
 * save, a quarter of the time. Returns the length, or 0 when out of memory.
 */
static size_t resp_format(struct redis_store *rs, size_t argc, const char **argv,
                          const size_t *argvlen)
{
    enum { HEAD = 1 + STRBUF_LL_SIZE + 2 }; /* '*' or '$', a count with its NUL, CRLF */
    size_t need = HEAD;
    for (size_t i = 0; i < argc; i++)
        need += HEAD + argvlen[i] + 2;
    if (need > rs->cmd_cap) {
        char *cmd = realloc(rs->cmd, need);
        if (!cmd)
            return 0;
        rs->cmd = cmd;
        rs->cmd_cap = need;
    }
    char *p = rs->cmd;
    *p++ = '*';
    p += strbuf_ll_str(p, (long long)argc);
    memcpy(p, "\r\n", 2);
    p += 2;
    for (size_t i = 0; i < argc; i++) {
        *p++ = '$';
        p += strbuf_ll_str(p, (long long)argvlen[i]);
        memcpy(p, "\r\n", 2);
        memcpy(p + 2, argv[i], argvlen[i]);
        p += 2 + argvlen[i];
        memcpy(p, "\r\n", 2);
        p += 2;
    }
    return (size_t)(p - rs->cmd);
}

/*
 * flags[i] '1' when event i is a STOP or an erasure, which the script turns
 * into an outbox tombstone, '0' otherwise: it reads only those events (two
 * string.find per event cost Redis about 1.4 us on every turn). Returns
 * whether there is one.
 */
static int tombstone_flags(const struct redis_store_write *w, char *flags)
{
    int any = 0;
    for (size_t i = 0; i < w->n_events; i++) {
        int stone = store_event_doc_stops(w->events[i]) || store_event_doc_erases(w->events[i]);
        flags[i] = stone ? '1' : '0';
        any |= stone;
    }
    flags[w->n_events] = '\0';
    return any;
}

/* "EVALSHA sha" or, before Redis has it, "EVAL text" */
static void script_call(const struct script *script, const char **argv)
{
    argv[0] = script->sha[0] ? "EVALSHA" : "EVAL";
    argv[1] = script->sha[0] ? script->sha : script->text;
}

int redis_store_save(struct redis_store *rs, const char *pseudonym,
                     const struct redis_store_write *w, redis_store_save_cb cb, void *ctx)
{
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (!ac)
        return -RAIA_EIO;
    if (w->blob && w->len == 0)
        return -RAIA_EINVAL; /* "" means delete to the scripts */
    /* the most: EVALSHA, sha, numkeys, 7 keys, 9 arguments */
    enum { HEAD_MAX = 19, STACK_ARGS = 64 };
    size_t argc_max = HEAD_MAX + w->n_events;
    /* A turn's few events fit on the stack: no allocation for them on the hot path. */
    const char *argv_stack[STACK_ARGS];
    size_t argvlen_stack[STACK_ARGS];
    int on_heap = argc_max > STACK_ARGS;
    const char **argv = on_heap ? calloc(argc_max, sizeof *argv) : argv_stack;
    size_t *argvlen = on_heap ? calloc(argc_max, sizeof *argvlen) : argvlen_stack;
    char flags_stack[STACK_ARGS];
    char *flags = on_heap ? malloc(w->n_events + 1) : flags_stack;
    struct request *req = request_new(NULL, NULL, cb, ctx);
    if (req)
        req->rs = rs;
    char key[KEY_MAX], rate_key[KEY_MAX], ttl[STRBUF_LL_SIZE];
    char job_key[KEY_MAX], done_key[KEY_MAX], remind_at[24] = "";
    int rc = -RAIA_ENOMEM;
    if (argv && argvlen && flags && req) {
        int tombstones = tombstone_flags(w, flags);
        if (w->remind_at_ms > 0 && w->remind_job)
            snprintf(remind_at, sizeof remind_at, "%lld", w->remind_at_ms);
        else if (w->remind_at_ms < 0)
            snprintf(remind_at, sizeof remind_at, "-");
        int whole = tombstones || remind_at[0]; /* save_script, else turn_script */
        person_key(rs, "s", pseudonym, key);
        strbuf_ll_str(ttl, w->ttl_s > 0 ? w->ttl_s : rs->ttl_s);
        script_call(whole ? &rs->save : &rs->turn, argv);
        argv[2] = whole ? "7" : rs->limited ? "3" : "2";
        size_t argc = 3;
        argv[argc++] = key;
        argv[argc++] = rs->stream_key;
        if (whole || rs->limited) {
            person_key(rs, "rl", pseudonym, rate_key);
            argv[argc++] = rate_key;
        }
        if (whole) {
            person_key(rs, "rjob", pseudonym, job_key);
            person_key(rs, "rdone", w->session_id ? w->session_id : "-", done_key);
            argv[argc++] = rs->nocontact_key;
            argv[argc++] = rs->remind_key;
            argv[argc++] = job_key;
            argv[argc++] = done_key;
        }
        argv[argc++] = w->blob ? w->blob : "";
        size_t blob_at = argc - 1;
        argv[argc++] = ttl;
        argv[argc++] = w->expect ? "1" : w->expect_absent ? "2" : "0";
        argv[argc++] = w->expect ? w->expect : "";
        size_t expect_at = argc - 1;
        argv[argc++] = rs->turns_per_minute;
        if (whole) {
            argv[argc++] = remind_at;
            argv[argc++] = pseudonym;
            argv[argc++] = w->remind_job && w->remind_at_ms > 0 ? w->remind_job : "";
            argv[argc++] = flags;
        }
        for (size_t i = 0; i < argc; i++)
            argvlen[i] = strlen(argv[i]);
        for (size_t i = 0; i < w->n_events; i++) {
            argv[argc] = w->events[i];
            argvlen[argc++] = strlen(w->events[i]);
        }
        if (w->blob)
            argvlen[blob_at] = w->len;
        if (w->expect)
            argvlen[expect_at] = w->expect_len;
        size_t n = resp_format(rs, argc, argv, argvlen);
        rc = n == 0 ? -RAIA_ENOMEM
             : redisAsyncFormattedCommand(ac, on_save_reply, req, rs->cmd, n) == REDIS_OK
                 ? 0
                 : -RAIA_EIO;
    }
    if (rc < 0)
        free(req);
    if (on_heap) {
        free(argv);
        free(argvlen);
        free(flags);
    }
    return rc;
}
