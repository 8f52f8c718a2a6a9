/*
 * storage_unit_test.c - the parts of storage/ that need no server: the event
 * document encoding and the Redis URL parser. The Redis and PostgreSQL paths
 * are tested against real servers in tests/integration/storage_test.c.
 */
#include <string.h>

#include "person_locks.h"
#include "redis_url.h"
#include "store_event.h"
#include "test_help.h"

/* ev encodes, and to exactly want. */
static int encodes_as(const struct store_event *ev, const char *want)
{
    struct strbuf out = {0};
    int same = store_event_json(ev, &out) == 0 && strcmp(strbuf_cstr(&out), want) == 0;
    strbuf_free(&out);
    return same;
}

static void test_event_json(void)
{
    struct store_event ev = {
        .kind = STORE_EVENT_ANSWER,
        .at_ms = 1764000000123,
        .flow_id = "community-report",
        .flow_version = 1,
        .consent_version = "cr-consent-1",
        .channel = "ussd",
        .operator_name = "operator-a",
        .session_id = "0123456789abcdef0123456789abcdef",
        .pseudonym = "ab",
        .language = "en",
        .started_ms = 1764000000000,
        .ttl_s = 600,
        .question_id = "details",
        .value = "Pump \"broken\"\n",
    };
    struct strbuf out = {0};
    test_cond("answer encodes", store_event_json(&ev, &out) == 0);
    test_cond(
        "answer document",
        strcmp(strbuf_cstr(&out),
               "{\"v\":1,\"kind\":\"answer\",\"at\":1764000000123,"
               "\"flow\":\"community-report\",\"flow_version\":1,"
               "\"consent_version\":\"cr-consent-1\",\"channel\":\"ussd\","
               "\"operator\":\"operator-a\","
               "\"session\":\"0123456789abcdef0123456789abcdef\",\"pseudonym\":\"ab\","
               "\"language\":\"en\",\"started\":1764000000000,\"ttl\":600,\"question\":\"details\","
               "\"code\":null,\"value\":\"Pump \\\"broken\\\"\\n\"}") == 0);

    /* Every field an answer can carry, against the exact document. */
    struct store_event full = ev;
    full.flow_version = 3;
    full.flow_checksum = "0f1e2d3c";
    full.pseudonym = "71f5fad6";
    full.question_id = "water_source";
    full.code = "borehole";
    full.value = "Bore\"hole\x01\t";
    full.attempts = 2;
    test_cond("full answer document",
              encodes_as(&full,
                         "{\"v\":1,\"kind\":\"answer\",\"at\":1764000000123,"
                         "\"flow\":\"community-report\",\"flow_version\":3,"
                         "\"flow_checksum\":\"0f1e2d3c\",\"consent_version\":\"cr-consent-1\","
                         "\"channel\":\"ussd\",\"operator\":\"operator-a\","
                         "\"session\":\"0123456789abcdef0123456789abcdef\","
                         "\"pseudonym\":\"71f5fad6\",\"language\":\"en\","
                         "\"started\":1764000000000,\"ttl\":600,\"question\":\"water_source\","
                         "\"code\":\"borehole\",\"value\":\"Bore\\\"hole\\u0001\\t\","
                         "\"attempts\":2}"));
    struct store_event end = full;
    end.kind = STORE_EVENT_END;
    end.at_ms = 9223372036854775807LL;
    end.ttl_s = 2147483647;
    end.outcome = "completed";
    test_cond("end document, largest numbers",
              encodes_as(&end,
                         "{\"v\":1,\"kind\":\"end\",\"at\":9223372036854775807,"
                         "\"flow\":\"community-report\",\"flow_version\":3,"
                         "\"flow_checksum\":\"0f1e2d3c\",\"consent_version\":\"cr-consent-1\","
                         "\"channel\":\"ussd\",\"operator\":\"operator-a\","
                         "\"session\":\"0123456789abcdef0123456789abcdef\","
                         "\"pseudonym\":\"71f5fad6\",\"language\":\"en\","
                         "\"started\":1764000000000,\"ttl\":2147483647,"
                         "\"outcome\":\"completed\"}"));
    struct store_event erase = {.kind = STORE_EVENT_ERASE, .at_ms = 5, .pseudonym = "71f5fad6"};
    test_cond("erase document", encodes_as(&erase, "{\"v\":1,\"kind\":\"erase\",\"at\":5,"
                                                   "\"pseudonym\":\"71f5fad6\",\"flow\":null}"));
    struct store_event contact = {.kind = STORE_EVENT_CONTACT,
                                  .at_ms = 1764000000123,
                                  .pseudonym = "71f5fad6",
                                  .flow_id = "f",
                                  .operator_name = "operator-a",
                                  .sealed = "v1:abc"};
    test_cond("contact document",
              encodes_as(&contact,
                         "{\"v\":1,\"kind\":\"contact\",\"at\":1764000000123,"
                         "\"pseudonym\":\"71f5fad6\",\"flow\":\"f\",\"operator\":\"operator-a\","
                         "\"sealed\":\"v1:abc\"}"));

    struct store_event refusal = ev;
    refusal.kind = STORE_EVENT_REFUSAL;
    strbuf_reset(&out);
    test_cond("refusal encodes", store_event_json(&refusal, &out) == 0);
    test_cond("refusal carries no pseudonym or session",
              !strstr(strbuf_cstr(&out), "pseudonym") && !strstr(strbuf_cstr(&out), "session"));

    struct store_event receipt = {.kind = STORE_EVENT_RECEIPT,
                                  .at_ms = 1764000000000,
                                  .operator_name = "operator-a",
                                  .message_id = "42",
                                  .state = "delivered",
                                  .final = 1};
    strbuf_reset(&out);
    test_cond("receipt encodes", store_event_json(&receipt, &out) == 0);
    test_cond("receipt document",
              strcmp(strbuf_cstr(&out), "{\"v\":1,\"kind\":\"receipt\",\"at\":1764000000000,"
                                        "\"operator\":\"operator-a\",\"message_id\":\"42\","
                                        "\"state\":\"delivered\",\"final\":true}") == 0);
    receipt.final = 0;
    strbuf_reset(&out);
    test_cond("receipt not final",
              store_event_json(&receipt, &out) == 0 &&
                  strstr(strbuf_cstr(&out), "\"state\":\"delivered\",\"final\":false}") != NULL);
    struct store_event flow = {.kind = STORE_EVENT_FLOW,
                               .at_ms = 1764000000000,
                               .flow_id = "f",
                               .flow_version = 2,
                               .flow_checksum = "ab",
                               .title = "T",
                               .definition = "id: f\n"};
    strbuf_reset(&out);
    test_cond("flow event carries its definition",
              store_event_json(&flow, &out) == 0 &&
                  strstr(strbuf_cstr(&out), "\"definition\":\"id: f\\n\"") != NULL);
    flow.definition = NULL;
    test_cond("flow event without definition refused",
              store_event_json(&flow, &out) == -RAIA_EINVAL);

    struct store_event bad = ev;
    bad.question_id = NULL;
    test_cond("answer without question refused", store_event_json(&bad, &out) == -RAIA_EINVAL);
    bad = ev;
    bad.kind = STORE_EVENT_END;
    test_cond("end without outcome refused", store_event_json(&bad, &out) == -RAIA_EINVAL);
    bad = ev;
    bad.pseudonym = NULL;
    test_cond("session event without pseudonym refused",
              store_event_json(&bad, &out) == -RAIA_EINVAL);
    strbuf_free(&out);
}

/* The kinds read back from a document's text: the gateway's tombstones and the writer's gate. */
static void test_doc_kinds(void)
{
    static const char stop[] = "{\"v\":1,\"kind\":\"end\",\"at\":1,\"flow\":\"f\","
                               "\"outcome\":\"stopped\"}";
    static const char done[] = "{\"v\":1,\"kind\":\"end\",\"at\":1,\"flow\":\"f\","
                               "\"outcome\":\"completed\"}";
    static const char erase[] = "{\"v\":1,\"kind\":\"erase\",\"at\":5,\"pseudonym\":\"p\","
                                "\"flow\":null}";
    static const char answer[] = "{\"v\":1,\"kind\":\"answer\",\"at\":1,\"value\":"
                                 "\",\\\"outcome\\\":\\\"stopped\\\"\"}";
    test_cond("a STOP end stops", store_event_doc_stops(stop) && !store_event_doc_erases(stop));
    test_cond("a completed end neither stops nor erases",
              !store_event_doc_stops(done) && !store_event_doc_erases(done));
    test_cond("an erase event erases",
              store_event_doc_erases(erase) && !store_event_doc_stops(erase));
    test_cond("an answer quoting the words does neither",
              !store_event_doc_stops(answer) && !store_event_doc_erases(answer));
    test_cond("a kind that only begins like erase is not one",
              !store_event_doc_erases("{\"v\":1,\"kind\":\"eraser\"}"));
}

/* The pseudonym a document names, and the person locks built from it. */
static void test_person_locks(void)
{
    static const char answer[] =
        "{\"v\":1,\"kind\":\"answer\",\"value\":\"\\\"pseudonym\\\":\\\"ff\","
        "\"pseudonym\":\"0a1b\",\"language\":\"en\"}";
    const char *at = NULL;
    size_t n = store_event_doc_pseudonym(answer, &at);
    test_cond("the pseudonym member is found, not the words in a value",
              n == 4 && strncmp(at, "0a1b", 4) == 0);
    test_cond("a flow event names nobody",
              store_event_doc_pseudonym("{\"v\":1,\"kind\":\"flow\",\"flow\":\"f\"}", &at) == 0);

    struct person_locks locks = {{0}};
    struct strbuf out = {0};
    person_locks_param(&locks, &out);
    test_cond("no people, no locks", out.len == 0);
    person_locks_add(&locks, "0a1b", 4, 0);
    person_locks_add(&locks, "0a1b", 4, 1);
    person_locks_add(&locks, "0a1b", 4, 0);
    person_locks_add(&locks, "ffff", 4, 0);
    person_locks_param(&locks, &out);
    int buckets = 0, erased = 0;
    for (size_t b = 0; b < PERSON_LOCK_BUCKETS; b++) {
        buckets += locks.mode[b] != 0;
        erased += locks.mode[b] == 2;
    }
    test_cond("a person erased and stored in one batch is locked once, exclusively",
              buckets == 2 && erased == 1 && strchr(strbuf_cstr(&out), '!') != NULL);
    strbuf_reset(&out);
    person_locks_all(&locks);
    person_locks_param(&locks, &out);
    test_cond("the purge locks every bucket exclusively, in ascending order",
              strncmp(strbuf_cstr(&out), "!0,!1,!2,", 9) == 0 &&
                  strstr(strbuf_cstr(&out), ",!63") != NULL && out.len == 3 * 10 + 4 * 54 - 1);
    strbuf_free(&out);
}

static void test_redis_url(void)
{
    struct redis_url u;
    struct raia_err err = {0};
    test_cond("tcp url", redis_url_parse("redis://127.0.0.1:6390/2", &u, &err) == 0 &&
                             strcmp(u.host, "127.0.0.1") == 0 && u.port == 6390 && u.db == 2 &&
                             !u.unix_socket && !u.password[0]);
    test_cond("default port and db",
              redis_url_parse("redis://cache", &u, &err) == 0 && u.port == 6379 && u.db == 0);
    test_cond("password", redis_url_parse("redis://:s3cret@h:1/0", &u, &err) == 0 &&
                              strcmp(u.password, "s3cret") == 0 && strcmp(u.host, "h") == 0);
    test_cond("unix socket", redis_url_parse("unix:/run/redis.sock?db=3", &u, &err) == 0 &&
                                 u.unix_socket && strcmp(u.host, "/run/redis.sock") == 0 &&
                                 u.db == 3);
    const char *bad[] = {"http://x",      "redis://",      "redis://h:0",    "redis://h:99999",
                         "redis://h:1/x", "unix:relative", "redis://user@h", "unix:/s?db=-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = redis_url_parse(bad[i], &u, &err);
        test_cond(bad[i], rc == -RAIA_ECONFIG && strstr(err.msg, "bad redis url"));
    }
}

int main(void)
{
    test_event_json();
    test_doc_kinds();
    test_person_locks();
    test_redis_url();
    TEST_REPORT();
}
