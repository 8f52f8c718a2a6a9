/**
 * store_event.h - the events a session turn hands to storage, and their
 * encoding as the JSON document kept in the Redis answer stream.
 *
 * The gateway fills a struct store_event; storage/ alone decides the bytes
 * (DESIGN: storage/ owns every byte that goes to Redis or PostgreSQL). The
 * pg_writer decodes nothing itself: it passes the JSON to one SQL statement.
 * Never put a raw phone number in any field: `pseudonym` is the HMAC.
 */
#ifndef RAIA_STORE_EVENT_H
#define RAIA_STORE_EVENT_H

#include <stdint.h>

#include "strbuf.h"

enum store_event_kind {
    STORE_EVENT_SESSION, /* consent accepted: the session row is created */
    STORE_EVENT_ANSWER,  /* one answered question */
    STORE_EVENT_END,     /* the session ended with an outcome */
    STORE_EVENT_REFUSAL, /* consent refused: counted, nothing about the person */
    STORE_EVENT_FLOW,    /* a flow definition the gateway runs, for the flows registry */
    STORE_EVENT_RECEIPT, /* a delivery receipt: an MT message's state at the operator */
    STORE_EVENT_ERASE,   /* a citizen erased their answers (to one flow, or all) */
    STORE_EVENT_CONTACT  /* a citizen's answer to "may we text you the results?" */
};

/*
 * SESSION, ANSWER and END events are self-contained: each carries the whole
 * session description, so the writer can create the session row from any of
 * them, whatever order a crashed writer's claimed entries arrive in.
 */
struct store_event {
    enum store_event_kind kind;
    int64_t at_ms; /* when it happened: wall clock, ms since the epoch */
    /* every kind: */
    const char *flow_id;
    int flow_version;
    const char *flow_checksum; /* SHA-256 of the flow file that ran; NULL if unknown */
    const char *consent_version;
    const char *channel;       /* "ussd" | "sms" */
    const char *operator_name; /* smsc name from config */
    /* SESSION, ANSWER, END (never REFUSAL): */
    const char *session_id; /* 32 hex chars */
    const char *pseudonym;  /* 64 hex chars */
    const char *language;
    int64_t started_ms; /* when consent was given */
    int ttl_s;          /* how long the session lives without a turn (its Redis TTL) */
    /* ANSWER: */
    const char *question_id;
    const char *code;  /* choice code or NULL */
    const char *value; /* typed value or choice label, or NULL */
    int attempts; /* tries it took, the valid one included (1: first time); 0: none (derived) */
    /* END: */
    const char *outcome;
    /* FLOW (with flow_id, flow_version, flow_checksum): */
    const char *title;
    const char *definition; /* the flow file's text */
    /* RECEIPT (with operator_name): */
    const char *message_id; /* the operator's id of the MT message */
    const char *state;      /* delivered, expired, undeliverable, ... */
    int final;              /* 1: the state will not change again */
    /* ERASE (with pseudonym, and flow_id: that flow only, NULL: every flow;
     * the sessions of that person that began before at_ms): nothing else. */
    /* CONTACT (with pseudonym, flow_id, operator_name): the number sealed by
     * gateway/contact_seal.c ("v1:..."), or NULL for "no": keep none. */
    const char *sealed;
};

/** Append ev as one JSON object to out. Returns 0, or -RAIA_EINVAL if a required field is missing.
 */
int store_event_json(const struct store_event *ev, struct strbuf *out);

/**
 * What a document store_event_json wrote is, read back from its text (the
 * answer stream holds only text): 1 for an erasure; 1 for a session ended
 * by STOP. Every version of the format starts {"v":1,"kind":"<kind>", so
 * the kind is a prefix, not a search.
 */
int store_event_doc_erases(const char *doc);
int store_event_doc_stops(const char *doc);
/**
 * The pseudonym of a document store_event_json wrote: its length, with *at
 * pointing to it inside doc, or 0 when the document names no person (a
 * flow, a receipt, a refusal). Inside a JSON string every quote is
 * escaped, so the member name cannot be matched inside another member's
 * value.
 */
size_t store_event_doc_pseudonym(const char *doc, const char **at);

#endif
