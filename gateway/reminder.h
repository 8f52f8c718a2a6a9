/**
 * reminder.h - the gateway's clock for SMS reminders: once a second it
 * takes the reminders that are due off the schedule in Redis (one atomic
 * call, so with several gateway instances each reminder is taken once) and
 * hands each to session_router_remind(). The schedule itself is written by
 * the turns (redis_store_write.remind_at_ms). Started by gateway/main.c
 * when redis.sms_reminder_s is set.
 */
#ifndef RAIA_REMINDER_H
#define RAIA_REMINDER_H

struct event_base;
struct redis_store;
struct reminder;
struct session_router;

/** rs and router are borrowed and outlive it. NULL on OOM. */
struct reminder *reminder_new(struct event_base *base, struct redis_store *rs,
                              struct session_router *router);
/** NULL is a no-op. A take in flight is answered into nothing. */
void reminder_free(struct reminder *rm);

#endif
