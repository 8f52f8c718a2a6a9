/*
 * stream_holds.c - the writers' holds on the answer stream (see
 * stream_holds.h). Every script takes KEYS[1] the stream, KEYS[2] the holds
 * hash, ARGV[1] the group, ARGV[2] the consumer.
 */
#include "stream_holds.h"

#include <stdio.h>

/* Every script may run with Redis at its memory limit (noeviction): the
 * writers must go on draining the stream then, which frees memory, and a
 * hold is a few bytes (docs/storage.md, "Redis keys"). */
#define LUA_ALLOW_OOM "#!lua flags=allow-oom\n"

/* Helpers the scripts share: Redis's clock in ms, the group's last
 * delivered id, stream id order, a hold's id, and the id right after one
 * (a hold set before a read: what the read returns comes after the last
 * delivered entry, which the hold then does not keep in the stream). */
#define LUA_HELPERS                                                                                \
    LUA_ALLOW_OOM                                                                                  \
    "local function now_ms() "                                                                     \
    "  local t = redis.call('TIME') "                                                              \
    "  return string.format('%d', t[1] * 1000 + math.floor(t[2] / 1000)) "                         \
    "end "                                                                                         \
    "local function last_delivered() "                                                             \
    "  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do "                             \
    "    local name, last "                                                                        \
    "    for i = 1, #g, 2 do "                                                                     \
    "      if g[i] == 'name' then name = g[i + 1] end "                                            \
    "      if g[i] == 'last-delivered-id' then last = g[i + 1] end "                               \
    "    end "                                                                                     \
    "    if name == ARGV[1] then return last end "                                                 \
    "  end "                                                                                       \
    "  return '0-0' "                                                                              \
    "end "                                                                                         \
    "local function older(a, b) "                                                                  \
    "  local am, as = string.match(a, '^(%d+)%-(%d+)$') "                                          \
    "  local bm, bs = string.match(b, '^(%d+)%-(%d+)$') "                                          \
    "  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs) "                   \
    "  return am < bm or (am == bm and as < bs) "                                                  \
    "end "                                                                                         \
    "local function hold_id(v) return v and string.match(v, '^(%d+%-%d+) %d+$') end "              \
    "local function after(id) "                                                                    \
    "  local ms, seq = string.match(id, '^(%d+)%-(%d+)$') "                                        \
    "  if #seq > 15 then return string.format('%d-0', tonumber(ms) + 1) end "                      \
    "  return ms .. string.format('-%d', tonumber(seq) + 1) "                                      \
    "end "

static const char mark_script[] = LUA_HELPERS
    "local id = hold_id(redis.call('HGET', KEYS[2], ARGV[2])) or after(last_delivered()) "
    "redis.call('HSET', KEYS[2], ARGV[2], id .. ' ' .. now_ms()) "
    "return id";

/* A hold that does not parse (written by hand) reads as 0-0: the trim then
 * keeps everything rather than guess. */
static const char release_script[] = LUA_HELPERS
    "local keep = ARGV[3] "
    "if keep == '=' then keep = hold_id(redis.call('HGET', KEYS[2], ARGV[2])) end "
    "if keep == '' then redis.call('HDEL', KEYS[2], ARGV[2]) "
    "elseif keep then redis.call('HSET', KEYS[2], ARGV[2], keep .. ' ' .. now_ms()) end "
    "local lowest "
    "for _, v in ipairs(redis.call('HVALS', KEYS[2])) do "
    "  local id = hold_id(v) or '0-0' "
    "  if not lowest or older(id, lowest) then lowest = id end "
    "end "
    "if lowest then return redis.call('XTRIM', KEYS[1], 'MINID', lowest) end "
    "local last = last_delivered() "
    "return redis.call('XTRIM', KEYS[1], 'MINID', last) + redis.call('XDEL', KEYS[1], last)";

static const char recover_script[] =
    LUA_HELPERS "local hold = hold_id(redis.call('HGET', KEYS[2], ARGV[2])) "
                "if not hold then return {'', {}} end "
                "local from = ARGV[3] ~= '' and ARGV[3] or hold "
                "local to = ARGV[4] ~= '' and ARGV[4] or last_delivered() "
                "return {to, redis.call('XRANGE', KEYS[1], from, to, 'COUNT', ARGV[5])}";

static const char claim_script[] = LUA_HELPERS
    "local now = tonumber(now_ms()) "
    "local lowest = hold_id(redis.call('HGET', KEYS[2], ARGV[2])) "
    "local function lower_to(id) "
    "  if not lowest or older(id, lowest) then lowest = id end "
    "end "
    "local taken = 0 "
    "local summary = redis.call('XPENDING', KEYS[1], ARGV[1]) "
    "if summary[1] > 0 then "
    "  lower_to(summary[2]) "
    "  taken = taken + summary[1] "
    "  repeat "
    "    local ids = {} "
    "    for _, e in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000)) do "
    "      ids[#ids + 1] = e[1] "
    "    end "
    "    if #ids > 0 then redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) end "
    "  until #ids < 1000 "
    "end "
    "local all = redis.call('HGETALL', KEYS[2]) "
    "for i = 1, #all, 2 do "
    "  local at = tonumber(string.match(all[i + 1], ' (%d+)$') or 0) "
    "  if all[i] ~= ARGV[2] and now - at >= tonumber(ARGV[3]) then "
    "    lower_to(hold_id(all[i + 1]) or '0-0') "
    "    redis.call('HDEL', KEYS[2], all[i]) "
    "    taken = taken + 1 "
    "  end "
    "end "
    "if taken > 0 then redis.call('HSET', KEYS[2], ARGV[2], lowest .. ' ' .. now) end "
    "return taken";

/* XGROUP CREATE is refused at the memory limit even when the group exists
 * (BUSYGROUP comes after the check); in a script it is not, so a writer
 * that starts or reconnects then still drains. */
static const char join_script[] =
    LUA_ALLOW_OOM "return redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')";

static int eval_script(redisAsyncContext *ac, const char *script, const struct stream_names *n,
                       int extra_n, const char *const *extra, redisCallbackFn *cb, void *priv)
{
    const char *argv[10] = {"EVAL", script, "2", n->stream, n->holds, n->group, n->consumer};
    int argc = 7;
    for (int i = 0; i < extra_n; i++)
        argv[argc++] = extra[i];
    return redisAsyncCommandArgv(ac, cb, priv, argc, argv, NULL);
}

int stream_holds_join(redisAsyncContext *ac, const struct stream_names *n, redisCallbackFn *cb,
                      void *priv)
{
    return eval_script(ac, join_script, n, 0, NULL, cb, priv);
}

int stream_holds_mark(redisAsyncContext *ac, const struct stream_names *n, redisCallbackFn *cb,
                      void *priv)
{
    return eval_script(ac, mark_script, n, 0, NULL, cb, priv);
}

int stream_holds_release(redisAsyncContext *ac, const struct stream_names *n, const char *keep,
                         redisCallbackFn *cb, void *priv)
{
    return eval_script(ac, release_script, n, 1, &keep, cb, priv);
}

int stream_holds_recover(redisAsyncContext *ac, const struct stream_names *n, const char *from,
                         const char *to, int count, redisCallbackFn *cb, void *priv)
{
    char count_s[16];
    snprintf(count_s, sizeof count_s, "%d", count);
    const char *extra[] = {from, to, count_s};
    return eval_script(ac, recover_script, n, 3, extra, cb, priv);
}

int stream_holds_claim(redisAsyncContext *ac, const struct stream_names *n, const char *idle_ms,
                       redisCallbackFn *cb, void *priv)
{
    return eval_script(ac, claim_script, n, 1, &idle_ms, cb, priv);
}
