/**
 * smpp_conn.h - one ESME bind to one operator's SMSC: a transceiver, or one
 * half (transmitter or receiver) of a pair that share an operator name.
 *
 * Owns the bufferevent, the bind state machine, sequence numbers, the
 * in-flight window, enquire_link and the reconnect timer with backoff.
 * Framing is by command_length; TCP_NODELAY is set on the socket. Incoming
 * deliver_sm are handed up through a callback and answered only when the
 * upper layer calls smpp_conn_ack_mo() (after the turn is stored), so the
 * SMSC redelivers anything raia did not store (research S11).
 * Called by gateway/session.c and gateway/main.c.
 */
#ifndef RAIA_SMPP_CONN_H
#define RAIA_SMPP_CONN_H

#include <stdint.h>

#include "raia_err.h"
#include "smpp_pdu.h"
#include "smpp_text.h"

struct event_base;
struct smpp_conn;

enum smpp_conn_state {
    SMPP_CONN_DISCONNECTED, /* waiting for the reconnect timer */
    SMPP_CONN_CONNECTING,   /* TCP connect in progress */
    SMPP_CONN_BINDING,      /* bind_transceiver sent */
    SMPP_CONN_BOUND,        /* traffic flows */
    SMPP_CONN_UNBINDING,    /* unbind sent, waiting for unbind_resp */
    SMPP_CONN_CLOSED        /* stopped for good */
};

/** Which bind_* this connection sends (SMPP 3.4 §4.1). */
enum smpp_bind_type { SMPP_BIND_TRX = 0, SMPP_BIND_TX, SMPP_BIND_RX };

struct smpp_conn_opts {
    const char *name;          /* this bind's name, for logs; copied */
    const char *operator_name; /* the operator it belongs to (replies go out through a
                                  bind of the same operator); NULL = name; copied */
    enum smpp_bind_type bind_type;
    int addr_ton, addr_npi;    /* bind body: the ESME address range's TON/NPI */
    const char *address_range; /* regular expression of addresses served; NULL = ""; copied */
    const char *host;          /* copied */
    int port;
    const char *system_id, *password, *system_type; /* copied */
    int enquire_link_s;                             /* idle time before an enquire_link */
    int response_timeout_s; /* a request without response after this drops the link */
    int reconnect_min_s, reconnect_max_s;
    int window;              /* most requests outstanding without a response */
    int max_tps;             /* most submit_sm per second; 0 = no cap */
    const char *sms_charset; /* MT SMS alphabet: "gsm7" (NULL), "latin1" or "ucs2" */
};

/** Identifies one received deliver_sm on one TCP connection, for the ack. */
struct smpp_mo_ref {
    uint64_t link; /* connection generation: an ack for an older link is dropped */
    uint32_t seq;
};

/** A deliver_sm that decoded cleanly. mo is borrowed until the callback returns. */
typedef void (*smpp_conn_mo_cb)(void *ctx, struct smpp_conn *c, const struct smpp_sm *mo,
                                struct smpp_mo_ref ref);
/** Called on every state change (for logs, metrics and shutdown). */
typedef void (*smpp_conn_state_cb)(void *ctx, struct smpp_conn *c, enum smpp_conn_state state);
/** Result of one submit: status is the SMSC's command_status, or -RAIA_ETIMEOUT / -RAIA_EIO. */
typedef void (*smpp_conn_submit_cb)(void *ctx, int status, const char *message_id);

struct smpp_conn *smpp_conn_new(struct event_base *base, const struct smpp_conn_opts *opts,
                                smpp_conn_mo_cb on_mo, smpp_conn_state_cb on_state, void *ctx,
                                struct raia_err *err);
/** Start connecting (and keep reconnecting until stopped). */
int smpp_conn_start(struct smpp_conn *c);
/**
 * Send a submit_sm. Returns 0 if it was written or queued (cb, if not NULL,
 * runs once with the outcome, never from inside this call), -RAIA_EIO if not
 * bound or stopping, -RAIA_EINVAL if mt does not encode (a field too long,
 * more than 253 message octets), -RAIA_EFULL if 10000 submits already wait.
 * Sends are paced by max_tps. ESME_RTHROTTLED and ESME_RMSGQFUL pause
 * sending (1 s doubling to 30 s) and the message is sent again; a response
 * timeout or a lost link sends it again on the next link, at most 3 writes
 * and within 60 s, after which cb gets -RAIA_ETIMEOUT or -RAIA_EIO.
 */
int smpp_conn_submit(struct smpp_conn *c, const struct smpp_sm *mt, smpp_conn_submit_cb cb,
                     void *ctx);
/** Answer a deliver_sm with deliver_sm_resp status (0 = stored). */
void smpp_conn_ack_mo(struct smpp_conn *c, struct smpp_mo_ref ref, uint32_t status);
/** Graceful stop: unbind, wait for unbind_resp (bounded), close; no reconnect. */
void smpp_conn_stop(struct smpp_conn *c);
#define SMPP_CONN_STAT_CMDS 24
/** PDUs a bind received and sent, by command id (0: ids SMPP 3.4 does not define). */
struct smpp_conn_stats {
    struct {
        uint32_t id;
        uint64_t in, out;
    } cmds[SMPP_CONN_STAT_CMDS];
    size_t n_cmds;
};
/** Borrowed from c, updated as it works; for /metrics. */
const struct smpp_conn_stats *smpp_conn_stats(const struct smpp_conn *c);

enum smpp_conn_state smpp_conn_get_state(const struct smpp_conn *c);
const char *smpp_conn_name(const struct smpp_conn *c);
const char *smpp_conn_operator(const struct smpp_conn *c);
/**
 * The operator's alphabet for MT SMS (opts.sms_charset), for
 * sms_concat_split_as(); the same on every bind of one operator (config
 * check).
 */
enum smpp_charset smpp_conn_charset(const struct smpp_conn *c);
/** 1 for a transceiver or transmitter bind: smpp_conn_submit() is possible. */
int smpp_conn_can_submit(const struct smpp_conn *c);
/**
 * 1 if the current bind is a rebind (the link was lost and came back), with
 * *bound_at_ms the CLOCK_MONOTONIC time in ms it came up: MO seen before
 * that moment may be redelivered by the SMSC if it never got their resp.
 */
int smpp_conn_rebound_at(const struct smpp_conn *c, uint64_t *bound_at_ms);
/** NULL is a no-op. Must not be called from inside this conn's callbacks. */
void smpp_conn_free(struct smpp_conn *c);

#endif
