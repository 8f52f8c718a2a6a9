/*
 * redis_store.c - session state and the answer stream in Redis (see
 * redis_store.h; key layout in docs/storage.md).
 */
#include "redis_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "outbox_store.h"
#include "redis_link.h"
#include "store_event.h"
#include "str_copy.h"
#include "strbuf.h"

#define KEY_MAX 256

/*
 * A turn's writes, applied atomically (no other client runs in between) by
 * one of two scripts. Both first check that the session is still what the
 * turn started from (compare-and-set), then count the turn against the
 * pseudonym's flood limit, then store or delete the session and XADD the
 * events. A turn's result is the number of its events; -1 (having written
 * nothing but the counter) when over the limit; or {session now} (a
 * one-element array, nil when there is none), having written nothing, when
 * the check failed. The check comes first so that a turn retried after a
 * conflict counts once against the limit.
 *
 * turns_script is most turns: no STOP or erasure among the events and no
 * reminder to change. It saves every such turn the gateway made in one pass
 * of its event loop, so that Redis runs one script, not one a turn: each
 * call costs Redis about 19,000 instructions before the script's first line
 * (docs/performance.md), and every key and argument about 1,100 more, so a
 * turn gets only what it uses. KEYS[1] the answer stream, then per turn its
 * session key and, when ARGV[1] > 0, the pseudonym's turn counter for the
 * current minute; ARGV[1] turns allowed per minute (0: no limit), then per
 * turn: the state blob ("" deletes the session), the TTL in seconds, "1" to
 * check that the session is the next argument, "2" to check that there is
 * none, "0" not to check, that expected session, the number of events, the
 * event documents. It returns the turns' results in order.
 *
 * save_script is the rest, one turn a call: KEYS[1] session key, KEYS[2]
 * answer stream, KEYS[3] the turn counter, KEYS[4] the outbox tombstones (a
 * STOP or erase event among the events adds one, outbox_store.h), KEYS[5]
 * the SMS reminder schedule, KEYS[6] this person's reminder job, KEYS[7] the
 * mark of a session already reminded; ARGV[1] state blob, ARGV[2] TTL,
 * ARGV[3] and ARGV[4] the check and the expected session as above, ARGV[5]
 * turns allowed per minute, ARGV[6] when to remind ("": leave the schedule,
 * "-": cancel), ARGV[7] the pseudonym, ARGV[8] the reminder job, ARGV[9] one
 * character per event, '1' for a STOP or an erasure (tombstone_flags),
 * ARGV[10..] event documents. It returns the turn's result.
 */
#define LUA_CHECK_AND_SET                                                                          \
    "local function check_and_set(key, counter, limit, state, ttl, check, expect) "                \
    "  if check ~= '0' then "                                                                      \
    "    local cur = redis.call('GET', key) "                                                      \
    "    if (check == '1' and cur ~= expect) or (check == '2' and cur) then return {cur} end "     \
    "  end "                                                                                       \
    "  if limit > 0 then "                                                                         \
    "    local n = redis.call('INCR', counter) "                                                   \
    "    if n == 1 then redis.call('EXPIRE', counter, 60) end "                                    \
    "    if n > limit then return -1 end "                                                         \
    "  end "                                                                                       \
    "  if state ~= '' then redis.call('SET', key, state, 'EX', ttl) "                              \
    "  else redis.call('DEL', key) end "                                                           \
    "end "

static const char turns_script[] =
    LUA_CHECK_AND_SET "local limit = tonumber(ARGV[1]) "
                      "local step = limit > 0 and 2 or 1 "
                      "local out, a = {}, 2 "
                      "for k = 2, #KEYS, step do "
                      "  local n = tonumber(ARGV[a + 4]) "
                      "  local r = check_and_set(KEYS[k], KEYS[k + 1], limit, ARGV[a], "
                      "                          ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]) "
                      "  if not r then "
                      "    for i = a + 5, a + 4 + n do "
                      "      redis.call('XADD', KEYS[1], '*', 'e', ARGV[i]) "
                      "    end "
                      "    r = n "
                      "  end "
                      "  out[#out + 1] = r "
                      "  a = a + 5 + n "
                      "end "
                      "return out";

static const char save_script[] =
    LUA_CHECK_AND_SET "local r = check_and_set(KEYS[1], KEYS[3], tonumber(ARGV[5]), ARGV[1], "
                      "                        ARGV[2], ARGV[3], ARGV[4]) "
                      "if r then return r end "
                      "for i = 10, #ARGV do "
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

/* At most this many turns in one turns_script call: the script holds Redis
 * for about 2 us a turn, so a call stays well under a millisecond. */
#define TURNS_PER_CALL 256

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
    struct script turns, save; /* turns_script and save_script */
    /* A save's request as sent (RESP), its memory reused by the next. */
    struct strbuf cmd;
    /* The turns for the next turns_script call: their keys and arguments
     * (RESP bulk strings) and requests. Sent when the event loop comes round
     * (flush), or at once when TURNS_PER_CALL are waiting. */
    struct strbuf turn_keys, turn_args;
    size_t turn_n_args; /* the keys: turn_n, or twice that with a flood limit */
    struct request *turn_reqs[TURNS_PER_CALL];
    size_t turn_n;
    struct event *flush;
};

/* The turns of one turns_script call, in the order of its results. */
struct turns_call {
    struct redis_store *rs;
    size_t n;
    struct request *reqs[];
};

static int send_turns(struct redis_store *rs);
static void fail_turns(struct redis_store *rs);
static void on_flush(evutil_socket_t fd, short what, void *ctx);
static redisAsyncContext *link_in_order(struct redis_store *rs);

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
    redisAsyncCommand(ac, on_script_loaded, &rs->turns, "SCRIPT LOAD %s", rs->turns.text);
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
    rs->turns.text = turns_script;
    rs->save.text = save_script;
    rs->limited = opts->turns_per_minute > 0;
    snprintf(rs->turns_per_minute, sizeof rs->turns_per_minute, "%d",
             rs->limited ? opts->turns_per_minute : 0);
    rs->flush = event_new(base, -1, 0, on_flush, rs);
    if (!rs->flush) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        free(rs);
        return NULL;
    }
    rs->link = redis_link_new(base, opts->url, "store", on_link_up, rs, err);
    if (!rs->link) {
        event_free(rs->flush);
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
    /* the queued turns' callbacks run as the link closes, like those in flight */
    if (send_turns(rs) < 0)
        fail_turns(rs);
    redis_link_free(rs->link);
    event_free(rs->flush);
    strbuf_free(&rs->cmd);
    strbuf_free(&rs->turn_keys);
    strbuf_free(&rs->turn_args);
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
    redisAsyncContext *ac = link_in_order(rs);
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

int redis_store_append(struct redis_store *rs, const char *event, redis_store_done_cb cb, void *ctx)
{
    redisAsyncContext *ac = link_in_order(rs);
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
    redisAsyncContext *ac = link_in_order(rs);
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
    redisAsyncContext *ac = link_in_order(rs);
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
 * Appends mark ('*' an array, '$' a bulk string) and n, then for a bulk
 * string its bytes: "*<n>\r\n" or "$<n>\r\n<bytes>\r\n", the RESP hiredis's
 * redisFormatSdsCommandArgv writes. Why not redisAsyncCommandArgv: it builds
 * a new string piece by piece for every turn; this is one pass into memory
 * kept from the last save, a quarter of the time. Out of memory: sb->oom.
 */
static void resp_put(struct strbuf *sb, char mark, const char *bytes, size_t n)
{
    if (strbuf_reserve(sb, 1 + STRBUF_LL_SIZE + 2 + (bytes ? n + 2 : 0)) < 0)
        return;
    char *p = sb->data + sb->len;
    *p++ = mark;
    p += strbuf_ll_str(p, (long long)n);
    memcpy(p, "\r\n", 2);
    p += 2;
    if (bytes) {
        memcpy(p, bytes, n);
        memcpy(p + n, "\r\n", 2);
        p += n + 2;
    }
    *p = '\0';
    sb->len = (size_t)(p - sb->data);
}

static void resp_str(struct strbuf *sb, const char *s)
{
    resp_put(sb, '$', s, strlen(s));
}

/* "EVALSHA sha" or, before Redis has it, "EVAL text" */
static void script_call(const struct script *script, struct strbuf *cmd)
{
    resp_str(cmd, script->sha[0] ? "EVALSHA" : "EVAL");
    resp_str(cmd, script->sha[0] ? script->sha : script->text);
}

/* One turn's outcome from its part of a script's answer (see turns_script). */
static void save_result(struct request *req, const redisReply *reply)
{
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
}

/* Someone flushed the script cache: these turns fail, the next ones load it again. */
static void reload_if_noscript(struct redis_store *rs, const redisReply *reply)
{
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        rs->turns.sha[0] = rs->save.sha[0] = '\0';
        on_link_up(rs);
    }
}

static void on_save_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    struct request *req = priv;
    (void)ac;
    reload_if_noscript(req->rs, reply_ptr);
    save_result(req, reply_ptr);
    free(req);
}

static void on_turns_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct turns_call *call = priv;
    (void)ac;
    reload_if_noscript(call->rs, reply);
    int each = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == call->n;
    if (!each)
        log_reply_error("save", reply); /* once for the call, not once a turn */
    for (size_t i = 0; i < call->n; i++) {
        if (each)
            save_result(call->reqs[i], reply->element[i]);
        else
            call->reqs[i]->on_save(call->reqs[i]->ctx, -RAIA_EIO, NULL, 0);
        free(call->reqs[i]);
    }
    free(call);
}

/* Empties the queue of turns (their requests are someone else's now). */
static void clear_queue(struct redis_store *rs)
{
    strbuf_reset(&rs->turn_keys);
    strbuf_reset(&rs->turn_args);
    rs->turn_n = rs->turn_n_args = 0;
}

/*
 * Sends the turns waiting for turns_script in one call: 0, or -1 when it
 * cannot (no link, out of memory), and they stay queued. Never runs a
 * callback, so that a caller of this file's functions never sees one before
 * its call returns.
 */
static int send_turns(struct redis_store *rs)
{
    size_t n = rs->turn_n;
    redisAsyncContext *ac = redis_link_ctx(rs->link);
    if (n == 0)
        return 0;
    struct turns_call *call = ac ? malloc(sizeof *call + n * sizeof *call->reqs) : NULL;
    if (!call)
        return -1;
    call->rs = rs;
    call->n = n;
    memcpy(call->reqs, rs->turn_reqs, n * sizeof *call->reqs);
    struct strbuf *cmd = &rs->cmd;
    strbuf_reset(cmd);
    size_t n_keys = n * (rs->limited ? 2 : 1);
    resp_put(cmd, '*', NULL, 3 + 1 + n_keys + 1 + rs->turn_n_args);
    script_call(&rs->turns, cmd);
    char numkeys[STRBUF_LL_SIZE];
    resp_put(cmd, '$', numkeys, strbuf_ll_str(numkeys, (long long)(1 + n_keys)));
    resp_str(cmd, rs->stream_key);
    strbuf_append(cmd, rs->turn_keys.data, rs->turn_keys.len);
    resp_str(cmd, rs->turns_per_minute);
    strbuf_append(cmd, rs->turn_args.data, rs->turn_args.len);
    if (cmd->oom || rs->turn_keys.oom || rs->turn_args.oom ||
        redisAsyncFormattedCommand(ac, on_turns_reply, call, cmd->data, cmd->len) != REDIS_OK) {
        free(call);
        return -1;
    }
    clear_queue(rs);
    return 0;
}

/* The queued turns fail as a lost connection fails them. A callback may
 * save again: that turn is queued for the next call. */
static void fail_turns(struct redis_store *rs)
{
    struct request *reqs[TURNS_PER_CALL];
    size_t n = rs->turn_n;
    memcpy(reqs, rs->turn_reqs, n * sizeof *reqs);
    clear_queue(rs);
    if (n)
        log_at(LOG_ERROR, "redis", "op=save n=%zu err=\"not sent: no connection or no memory\"", n);
    for (size_t i = 0; i < n; i++) {
        reqs[i]->on_save(reqs[i]->ctx, -RAIA_EIO, NULL, 0);
        free(reqs[i]);
    }
}

/* The event loop came round: send what this pass queued. */
static void on_flush(evutil_socket_t fd, short what, void *ctx)
{
    (void)fd;
    (void)what;
    if (send_turns(ctx) < 0)
        fail_turns(ctx);
}

/* Every other request first sends the turns queued before it, so that Redis
 * sees them in the order they were made, as when each turn was a call. */
static redisAsyncContext *link_in_order(struct redis_store *rs)
{
    send_turns(rs); /* if it fails, on_flush fails them */
    return redis_link_ctx(rs->link);
}

/* The four arguments both scripts take for a turn's session: the state blob,
 * its TTL, the check and the session expected. */
static void put_state_args(const struct redis_store *rs, const struct redis_store_write *w,
                           struct strbuf *args)
{
    char ttl[STRBUF_LL_SIZE];
    resp_put(args, '$', w->blob ? w->blob : "", w->blob ? w->len : 0);
    resp_put(args, '$', ttl, strbuf_ll_str(ttl, w->ttl_s > 0 ? w->ttl_s : rs->ttl_s));
    resp_str(args, w->expect ? "1" : w->expect_absent ? "2" : "0");
    resp_put(args, '$', w->expect ? w->expect : "", w->expect ? w->expect_len : 0);
}

/* A turn for the next turns_script call (see there for its arguments). */
static void queue_turn(struct redis_store *rs, const char *pseudonym,
                       const struct redis_store_write *w, struct request *req)
{
    char key[KEY_MAX], n_events[STRBUF_LL_SIZE];
    person_key(rs, "s", pseudonym, key);
    resp_str(&rs->turn_keys, key);
    if (rs->limited) {
        person_key(rs, "rl", pseudonym, key);
        resp_str(&rs->turn_keys, key);
    }
    struct strbuf *args = &rs->turn_args;
    put_state_args(rs, w, args);
    resp_put(args, '$', n_events, strbuf_ll_str(n_events, (long long)w->n_events));
    for (size_t i = 0; i < w->n_events; i++)
        resp_str(args, w->events[i]);
    rs->turn_n_args += 5 + w->n_events;
    rs->turn_reqs[rs->turn_n++] = req;
    if (rs->turn_n == 1)
        event_active(rs->flush, EV_TIMEOUT, 1);
    if (rs->turn_n == TURNS_PER_CALL)
        send_turns(rs); /* if it fails, on_flush fails them */
}

/* A STOP or an erasure among the events: save_script makes its outbox tombstone. */
static int any_tombstone(const struct redis_store_write *w)
{
    for (size_t i = 0; i < w->n_events; i++)
        if (store_event_doc_stops(w->events[i]) || store_event_doc_erases(w->events[i]))
            return 1;
    return 0;
}

/* flags[i] '1' when event i is a STOP or an erasure: save_script reads only
 * those events (two string.find per event cost Redis about 1.4 us a turn). */
static void tombstone_flags(const struct redis_store_write *w, struct strbuf *flags)
{
    for (size_t i = 0; i < w->n_events; i++)
        strbuf_append(
            flags,
            store_event_doc_stops(w->events[i]) || store_event_doc_erases(w->events[i]) ? "1" : "0",
            1);
}

/* A turn with a STOP, an erasure or a reminder to change: save_script, alone. */
static int save_whole(struct redis_store *rs, const char *pseudonym,
                      const struct redis_store_write *w, const char *remind_at, struct request *req)
{
    redisAsyncContext *ac = link_in_order(rs); /* before rs->cmd is written */
    if (!ac)
        return -RAIA_EIO;
    char key[KEY_MAX], rate_key[KEY_MAX], job_key[KEY_MAX], done_key[KEY_MAX];
    person_key(rs, "s", pseudonym, key);
    person_key(rs, "rl", pseudonym, rate_key);
    person_key(rs, "rjob", pseudonym, job_key);
    person_key(rs, "rdone", w->session_id ? w->session_id : "-", done_key);
    struct strbuf flags = {0};
    tombstone_flags(w, &flags);
    struct strbuf *cmd = &rs->cmd;
    strbuf_reset(cmd);
    resp_put(cmd, '*', NULL, 19 + w->n_events); /* EVALSHA sha 7, 7 keys, 9 arguments */
    script_call(&rs->save, cmd);
    resp_str(cmd, "7");
    const char *keys[] = {key,     rs->stream_key, rate_key, rs->nocontact_key, rs->remind_key,
                          job_key, done_key};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        resp_str(cmd, keys[i]);
    put_state_args(rs, w, cmd);
    resp_str(cmd, rs->turns_per_minute);
    resp_str(cmd, remind_at);
    resp_str(cmd, pseudonym);
    resp_str(cmd, w->remind_job && w->remind_at_ms > 0 ? w->remind_job : "");
    resp_put(cmd, '$', strbuf_cstr(&flags), flags.len);
    for (size_t i = 0; i < w->n_events; i++)
        resp_str(cmd, w->events[i]);
    int oom = cmd->oom || flags.oom;
    strbuf_free(&flags);
    if (oom)
        return -RAIA_ENOMEM;
    return redisAsyncFormattedCommand(ac, on_save_reply, req, cmd->data, cmd->len) == REDIS_OK
               ? 0
               : -RAIA_EIO;
}

int redis_store_save(struct redis_store *rs, const char *pseudonym,
                     const struct redis_store_write *w, redis_store_save_cb cb, void *ctx)
{
    if (!redis_link_ctx(rs->link) || rs->turn_n == TURNS_PER_CALL) /* full: a send failed */
        return -RAIA_EIO;
    if (w->blob && w->len == 0)
        return -RAIA_EINVAL; /* "" means delete to the scripts */
    struct request *req = request_new(NULL, NULL, cb, ctx);
    if (!req)
        return -RAIA_ENOMEM;
    req->rs = rs;
    char remind_at[24] = ""; /* save_script's ARGV[6]: when to remind, "-" to cancel */
    if (w->remind_at_ms > 0 && w->remind_job)
        snprintf(remind_at, sizeof remind_at, "%lld", w->remind_at_ms);
    else if (w->remind_at_ms < 0)
        snprintf(remind_at, sizeof remind_at, "-");
    if (!remind_at[0] && !any_tombstone(w)) {
        queue_turn(rs, pseudonym, w, req);
        return 0;
    }
    int rc = save_whole(rs, pseudonym, w, remind_at, req);
    if (rc < 0)
        free(req);
    return rc;
}
