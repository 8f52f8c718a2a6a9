/**
 * session.h - the orchestrator of one citizen turn:
 * MO -> pseudonymize -> load -> flow step -> save (+ answer events) -> MT.
 *
 * The only module that calls both flows/ and storage/ (DESIGN). The next
 * screen is sent, and the deliver_sm acknowledged, only after Redis confirmed
 * the new state and the answer events in one atomic call, so an answer the
 * citizen saw acknowledged is never lost (DESIGN rule 2). The raw phone
 * number lives only in the turn's memory, to address the reply.
 * Called by gateway/main.c from the SMPP MO callback.
 */
#ifndef RAIA_SESSION_H
#define RAIA_SESSION_H

#include <stddef.h>

#include "smpp_conn.h"

struct contact_seal;
struct flow_set;
struct metrics;
struct pg_lookup;
struct pseudonymizer;
struct redis_store;
struct session_router;
struct ussd_profile;

/**
 * All arguments are borrowed and must outlive the router. flows may be
 * replaced later with session_router_set_flows().
 */
struct session_router *session_router_new(struct redis_store *rs, struct pseudonymizer *ps,
                                          const struct flow_set *flows);
/**
 * Use a newly loaded flow set for new sessions. The set it replaces (which
 * must stay alive until the next call) still serves sessions in flight whose
 * flow version the new set no longer has.
 */
void session_router_set_flows(struct session_router *r, const struct flow_set *flows);
/**
 * Make conn (borrowed, outlives r) a route for replies: a reply leaves
 * through the bind its MO came in on, or, when that bind is a receiver,
 * through a transmitting bind of the same operator. profile (copied) is how
 * conn's operator speaks USSD.
 */
void session_router_add_conn(struct session_router *r, struct smpp_conn *conn,
                             const struct ussd_profile *profile);
/**
 * Serve the "my data" menu on USSD code (copied; e.g. "*384*99#"), listing
 * with lookup (borrowed, outlives r). NULL lookup: no menu.
 */
void session_router_set_my_data(struct session_router *r, struct pg_lookup *lookup,
                                const char *code);
/**
 * How long sessions live. A USSD dial of a flow whose session of the same
 * flow the network cut off less than resume_window_s ago offers "continue
 * where you left off / start again" (docs/flows.md), so USSD state lives at
 * least that long (0: never offer). An SMS session's state lives sms_ttl_s
 * (0: the store's TTL).
 */
void session_router_set_lifetimes(struct session_router *r, int resume_window_s, int sms_ttl_s,
                                  int sms_reminder_s);
/**
 * Seal the number of whoever answers "yes" to a flow's contact step with
 * seal (borrowed, outlives r; NULL: no contact is kept), docs/broadcast.md.
 */
void session_router_set_contacts(struct session_router *r, const struct contact_seal *seal);
/** Count turns and outcomes in m (borrowed, outlives r; NULL: nothing counted). */
void session_router_set_metrics(struct session_router *r, struct metrics *m);
/** Sessions whose last state r remembers (one Redis round trip a turn), for metrics. */
size_t session_router_cached(const struct session_router *r);
/**
 * Send one due SMS reminder (from redis_store_take_reminders: the pseudonym,
 * its job and its session now, all borrowed for the call), if the session
 * still waits where the job left it. See docs/flows.md "Sessions".
 */
void session_router_remind(struct session_router *r, const char *pseudonym, const char *job,
                           const char *session);
/** Handle one deliver_sm from conn; mo is copied, ref is acked when the turn is stored. */
void session_router_on_mo(struct session_router *r, struct smpp_conn *conn,
                          const struct smpp_sm *mo, struct smpp_mo_ref ref);
/** Refuse new turns from now on (they get ESME_RX_T_APPN so the SMSC retries elsewhere). */
void session_router_stop(struct session_router *r);
/** Turns started but not yet answered. */
size_t session_router_in_flight(const struct session_router *r);
/** NULL is a no-op. Turns still in flight are abandoned unacknowledged (the SMSC redelivers). */
void session_router_free(struct session_router *r);

#endif
