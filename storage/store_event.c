/*
 * store_event.c - encodes one store_event as the JSON document that travels
 * through the Redis answer stream to the PostgreSQL writer.
 *
 * Field names are short and stable: the SQL in sql/write_batch.sql reads
 * them, and entries already in a stream must stay readable after an upgrade
 * ("v" is the format version).
 */
#include "store_event.h"

#include <string.h>

#include "raia_err.h"

/* How every document begins, in every version of the format: the kind follows. */
#define DOC_HEAD "{\"v\":1,\"kind\":\""

static const char *const kind_names[] = {
    [STORE_EVENT_SESSION] = "session", [STORE_EVENT_ANSWER] = "answer",
    [STORE_EVENT_END] = "end",         [STORE_EVENT_REFUSAL] = "refusal",
    [STORE_EVENT_FLOW] = "flow",       [STORE_EVENT_RECEIPT] = "receipt",
    [STORE_EVENT_ERASE] = "erase",     [STORE_EVENT_CONTACT] = "contact",
};

/*
 * The document is built with plain appends, no printf: every turn encodes
 * a few of these, and formatting was most of their cost.
 */
static void put_key(struct strbuf *out, const char *key)
{
    strbuf_append(out, ",\"", 2);
    strbuf_puts(out, key);
    strbuf_append(out, "\":", 2);
}

static void put_int(struct strbuf *out, const char *key, long long value)
{
    put_key(out, key);
    strbuf_put_ll(out, value);
}

/* {"v":1,"kind":"<kind>","at":<at_ms> - the head of every document */
static void put_head(struct strbuf *out, const char *kind, int64_t at_ms)
{
    strbuf_puts(out, DOC_HEAD);
    strbuf_puts(out, kind);
    strbuf_puts(out, "\",\"at\":");
    strbuf_put_ll(out, (long long)at_ms);
}

static void put_str(struct strbuf *out, const char *key, const char *value)
{
    put_key(out, key);
    if (value)
        strbuf_json_str(out, value);
    else
        strbuf_puts(out, "null");
}

static int has_common_fields(const struct store_event *ev)
{
    return ev->flow_id && ev->flow_version > 0 && ev->consent_version && ev->channel &&
           ev->operator_name && ev->at_ms > 0;
}

static int has_session_fields(const struct store_event *ev)
{
    return ev->session_id && ev->pseudonym && ev->language && ev->started_ms > 0 && ev->ttl_s > 0;
}

static int is_complete(const struct store_event *ev)
{
    if (ev->kind == STORE_EVENT_FLOW)
        return ev->flow_id && ev->flow_version > 0 && ev->flow_checksum && ev->title &&
               ev->definition && ev->at_ms > 0;
    if (ev->kind == STORE_EVENT_RECEIPT)
        return ev->operator_name && ev->message_id && ev->state && ev->at_ms > 0;
    if (ev->kind == STORE_EVENT_ERASE)
        return ev->pseudonym && ev->at_ms > 0;
    if (ev->kind == STORE_EVENT_CONTACT)
        return ev->pseudonym && ev->flow_id && ev->operator_name && ev->at_ms > 0;
    if ((unsigned)ev->kind > STORE_EVENT_RECEIPT || !has_common_fields(ev))
        return 0;
    switch (ev->kind) {
    case STORE_EVENT_REFUSAL:
        return 1;
    case STORE_EVENT_SESSION:
        return has_session_fields(ev);
    case STORE_EVENT_ANSWER:
        return has_session_fields(ev) && ev->question_id && (ev->code || ev->value);
    case STORE_EVENT_END:
        return has_session_fields(ev) && ev->outcome;
    case STORE_EVENT_FLOW:
    case STORE_EVENT_RECEIPT:
    case STORE_EVENT_ERASE:
    case STORE_EVENT_CONTACT:
        break;
    }
    return 0;
}

/* A flow definition: no person, no session, no channel. */
static int flow_json(const struct store_event *ev, struct strbuf *out)
{
    put_head(out, "flow", ev->at_ms);
    put_str(out, "flow", ev->flow_id);
    put_int(out, "flow_version", ev->flow_version);
    put_str(out, "flow_checksum", ev->flow_checksum);
    put_str(out, "title", ev->title);
    put_str(out, "definition", ev->definition);
    strbuf_puts(out, "}");
    return out->oom ? -RAIA_ENOMEM : 0;
}

/* A receipt: which operator, which message, what state; nothing about the person. */
static int receipt_json(const struct store_event *ev, struct strbuf *out)
{
    put_head(out, "receipt", ev->at_ms);
    put_str(out, "operator", ev->operator_name);
    put_str(out, "message_id", ev->message_id);
    put_str(out, "state", ev->state);
    put_key(out, "final");
    strbuf_puts(out, ev->final ? "true}" : "false}");
    return out->oom ? -RAIA_ENOMEM : 0;
}

/* An erasure: whose (pseudonym), of which flow (null: all), from when. */
static int erase_json(const struct store_event *ev, struct strbuf *out)
{
    put_head(out, "erase", ev->at_ms);
    put_str(out, "pseudonym", ev->pseudonym);
    put_str(out, "flow", ev->flow_id);
    strbuf_puts(out, "}");
    return out->oom ? -RAIA_ENOMEM : 0;
}

/*
 * A contact: whose, for which flow's results, through which operator, and
 * the number sealed (null: the person said no, and any earlier one goes).
 */
static int contact_json(const struct store_event *ev, struct strbuf *out)
{
    put_head(out, "contact", ev->at_ms);
    put_str(out, "pseudonym", ev->pseudonym);
    put_str(out, "flow", ev->flow_id);
    put_str(out, "operator", ev->operator_name);
    put_str(out, "sealed", ev->sealed);
    strbuf_puts(out, "}");
    return out->oom ? -RAIA_ENOMEM : 0;
}

int store_event_json(const struct store_event *ev, struct strbuf *out)
{
    if (!is_complete(ev))
        return -RAIA_EINVAL;
    if (ev->kind == STORE_EVENT_FLOW)
        return flow_json(ev, out);
    if (ev->kind == STORE_EVENT_RECEIPT)
        return receipt_json(ev, out);
    if (ev->kind == STORE_EVENT_ERASE)
        return erase_json(ev, out);
    if (ev->kind == STORE_EVENT_CONTACT)
        return contact_json(ev, out);
    put_head(out, kind_names[ev->kind], ev->at_ms);
    put_str(out, "flow", ev->flow_id);
    put_int(out, "flow_version", ev->flow_version);
    if (ev->flow_checksum)
        put_str(out, "flow_checksum", ev->flow_checksum);
    put_str(out, "consent_version", ev->consent_version);
    put_str(out, "channel", ev->channel);
    put_str(out, "operator", ev->operator_name);
    if (ev->kind != STORE_EVENT_REFUSAL) {
        put_str(out, "session", ev->session_id);
        put_str(out, "pseudonym", ev->pseudonym);
        put_str(out, "language", ev->language);
        put_int(out, "started", ev->started_ms);
        put_int(out, "ttl", ev->ttl_s);
    }
    if (ev->kind == STORE_EVENT_ANSWER) {
        put_str(out, "question", ev->question_id);
        put_str(out, "code", ev->code);
        put_str(out, "value", ev->value);
        if (ev->attempts > 0)
            put_int(out, "attempts", ev->attempts);
    }
    /* An end has an outcome; so has the answer that completes its session,
     * which carries the end: one stream entry fewer a session
     * (sql/write_batch.sql reads either). */
    if ((ev->kind == STORE_EVENT_ANSWER || ev->kind == STORE_EVENT_END) && ev->outcome)
        put_str(out, "outcome", ev->outcome);
    strbuf_puts(out, "}");
    return out->oom ? -RAIA_ENOMEM : 0;
}

static int doc_kind_is(const char *doc, const char *kind)
{
    size_t h = sizeof DOC_HEAD - 1, k = strlen(kind);
    return strncmp(doc, DOC_HEAD, h) == 0 && strncmp(doc + h, kind, k) == 0 && doc[h + k] == '"';
}

int store_event_doc_erases(const char *doc)
{
    return doc_kind_is(doc, "erase");
}

int store_event_doc_stops(const char *doc)
{
    return doc_kind_is(doc, "end") && strstr(doc, ",\"outcome\":\"stopped\"") != NULL;
}

size_t store_event_doc_pseudonym(const char *doc, const char **at)
{
    static const char key[] = ",\"pseudonym\":\"";
    const char *p = strstr(doc, key);
    if (!p)
        return 0;
    p += sizeof key - 1;
    size_t n = strspn(p, "0123456789abcdef");
    if (n == 0 || p[n] != '"')
        return 0;
    *at = p;
    return n;
}
