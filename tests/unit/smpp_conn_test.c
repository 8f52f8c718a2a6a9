/*
 * smpp_conn_test.c - unit tests for gateway/smpp_conn.c against a tiny SMSC
 * that runs in the same event loop (evconnlistener on 127.0.0.1, port 0,
 * speaking through the codec in smpp_pdu.c).
 *
 * Covers: the bind, an MO handed up and answered only after ack_mo, a
 * malformed MO answered with the decoder's status, enquire_link both ways,
 * back-to-back and split PDUs, unknown command -> generic_nack, submit ->
 * message_id, the window (exactly `window` submit_sm in flight), link loss
 * (-RAIA_EIO, stale acks dropped, reconnect), response timeout, unbind from
 * the SMSC, graceful stop with and without unbind_resp, a refused bind with
 * its long backoff, a framing error, and smpp_conn_free from a callback.
 * Every wait is bounded; alarm() backs that up so the test cannot hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "smpp_conn.h"
#include "smpp_pdu.h"
#include "test_help.h"

static struct event_base *base;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until cond holds or ms pass. */
#define WAIT_FOR(cond, ms)                                                                         \
    do {                                                                                           \
        uint64_t deadline_ = now_ms() + (ms);                                                      \
        while (!(cond) && now_ms() < deadline_)                                                    \
            event_base_loop(base, EVLOOP_ONCE);                                                    \
    } while (0)
#define RUN_FOR(ms) WAIT_FOR(0, ms)

/* ---- the fake SMSC ---- */

struct rx {
    uint32_t id, status, seq;
};

static struct smsc {
    struct evconnlistener *lis;
    struct bufferevent *peer;
    int port, accepts;
    uint32_t bind_status;
    int withhold, answer_unbind;
    int throttle_next; /* answer this many submit_sm with ESME_RTHROTTLED */
    uint32_t withheld[64];
    int n_withheld;
    struct rx log[512];
    int n_log;
    int submits;
    int next_msg_id;
    struct smpp_bind last_bind;
    struct smpp_sm last_submit;
} smsc;

static int smsc_find(uint32_t id, uint32_t seq)
{
    for (int i = 0; i < smsc.n_log; i++)
        if (smsc.log[i].id == id && smsc.log[i].seq == seq)
            return i;
    return -1;
}

static int smsc_count(uint32_t id)
{
    int n = 0;
    for (int i = 0; i < smsc.n_log; i++)
        n += smsc.log[i].id == id;
    return n;
}

static void smsc_send(const uint8_t *pdu, long n)
{
    if (smsc.peer && n > 0)
        bufferevent_write(smsc.peer, pdu, (size_t)n);
}

static void smsc_header_only(uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t b[16];
    smsc_send(b, smpp_encode_header_only(id, status, seq, b, sizeof b));
}

static void smsc_submit_resp(uint32_t seq)
{
    if (smsc.throttle_next > 0) {
        smsc.throttle_next--;
        smsc_header_only(SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, seq);
        return;
    }
    uint8_t b[128];
    char id[32];
    snprintf(id, sizeof id, "msg-%d", ++smsc.next_msg_id);
    smsc_send(b, smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0, seq, id, b, sizeof b));
}

static void smsc_pdu(const struct smpp_header *h, const uint8_t *pdu)
{
    uint32_t st;
    uint8_t b[128];
    if (smsc.n_log < (int)(sizeof smsc.log / sizeof smsc.log[0]))
        smsc.log[smsc.n_log++] = (struct rx){h->command_id, h->command_status, h->sequence_number};
    switch (h->command_id) {
    case SMPP_BIND_TRANSCEIVER:
        smpp_decode_bind(pdu, h->command_length, &smsc.last_bind, &st);
        smsc_send(b, smpp_encode_bind_resp(SMPP_BIND_TRANSCEIVER_RESP, smsc.bind_status,
                                           h->sequence_number, "fakesmsc", b, sizeof b));
        break;
    case SMPP_SUBMIT_SM:
        smsc.submits++;
        smpp_decode_sm(pdu, h->command_length, &smsc.last_submit, &st);
        if (smsc.withhold)
            smsc.withheld[smsc.n_withheld++] = h->sequence_number;
        else
            smsc_submit_resp(h->sequence_number);
        break;
    case SMPP_ENQUIRE_LINK:
        smsc_header_only(SMPP_ENQUIRE_LINK_RESP, 0, h->sequence_number);
        break;
    case SMPP_UNBIND:
        if (smsc.answer_unbind)
            smsc_header_only(SMPP_UNBIND_RESP, 0, h->sequence_number);
        break;
    default:
        break;
    }
}

static void smsc_read(struct bufferevent *bev, void *ctx)
{
    (void)ctx;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        uint8_t pdu[SMPP_PDU_MAX];
        struct smpp_header h;
        if (evbuffer_get_length(in) < SMPP_HEADER_LEN)
            return;
        evbuffer_copyout(in, pdu, SMPP_HEADER_LEN);
        if (smpp_header_parse(pdu, SMPP_HEADER_LEN, &h) < 0)
            abort(); /* the ESME under test never frames badly */
        if (evbuffer_get_length(in) < h.command_length)
            return;
        evbuffer_remove(in, pdu, h.command_length);
        smsc_pdu(&h, pdu);
    }
}

static void smsc_drop(void)
{
    if (smsc.peer)
        bufferevent_free(smsc.peer);
    smsc.peer = NULL;
}

static void smsc_event(struct bufferevent *bev, short what, void *ctx)
{
    (void)bev;
    (void)ctx;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        smsc_drop();
}

static void smsc_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *ctx)
{
    (void)l;
    (void)sa;
    (void)salen;
    (void)ctx;
    smsc_drop();
    smsc.peer = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(smsc.peer, smsc_read, NULL, smsc_event, NULL);
    bufferevent_enable(smsc.peer, EV_READ | EV_WRITE);
    smsc.accepts++;
    smsc.n_log = 0;
}

static void smsc_start(void)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    smsc.lis =
        evconnlistener_new_bind(base, smsc_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                16, (struct sockaddr *)&sin, sizeof sin);
    if (!smsc.lis)
        abort();
    socklen_t len = sizeof sin;
    getsockname(evconnlistener_get_fd(smsc.lis), (struct sockaddr *)&sin, &len);
    smsc.port = ntohs(sin.sin_port);
    smsc.answer_unbind = 1;
}

/* A USSD MO as an SMSC sends it; op_len 2 makes it malformed. */
static void smsc_deliver(uint32_t seq, unsigned op_len)
{
    struct smpp_sm mo;
    memset(&mo, 0, sizeof mo);
    strcpy(mo.service_type, "USSD");
    mo.source_addr_ton = 1;
    mo.source_addr_npi = 1;
    strcpy(mo.source_addr, "256700000001");
    strcpy(mo.destination_addr, "384");
    static const uint8_t text[] = {'*', 0x00, '#'};
    memcpy(mo.short_message, text, sizeof text);
    mo.sm_length = sizeof text;
    mo.ussd_service_op = SMPP_USSD_PSSR_IND;
    mo.its_session_info = 0x0A10;
    uint8_t b[512];
    long n = smpp_encode_sm(SMPP_DELIVER_SM, seq, &mo, b, sizeof b);
    if (op_len == 2) { /* rewrite: ussd_service_op is the first TLV, make its length 2 */
        uint8_t bad[512];
        long body = n - 11;
        memcpy(bad, b, (size_t)body);
        static const uint8_t tlv[] = {0x05, 0x01, 0, 2, 1, 1};
        memcpy(bad + body, tlv, sizeof tlv);
        n = body + (long)sizeof tlv;
        bad[3] = (uint8_t)n;
        smsc_send(bad, n);
        return;
    }
    smsc_send(b, n);
}

/* ---- the ESME's owner ---- */

static struct owner {
    int mo_count;
    struct smpp_sm last_mo;
    struct smpp_mo_ref last_ref;
    enum smpp_conn_state states[64];
    int n_states;
    int free_on_closed;
} own;

static struct result {
    int done, status;
    char message_id[65];
} results[64];

static void on_mo(void *ctx, struct smpp_conn *c, const struct smpp_sm *mo, struct smpp_mo_ref ref)
{
    (void)ctx;
    (void)c;
    own.mo_count++;
    own.last_mo = *mo;
    own.last_ref = ref;
}

static void on_state(void *ctx, struct smpp_conn *c, enum smpp_conn_state state)
{
    (void)ctx;
    if (own.n_states < 64)
        own.states[own.n_states++] = state;
    if (state == SMPP_CONN_CLOSED && own.free_on_closed)
        smpp_conn_free(c); /* deferred by the conn: we are inside its callback */
}

static void on_submit(void *ctx, int status, const char *message_id)
{
    struct result *r = &results[(intptr_t)ctx];
    r->done++;
    r->status = status;
    snprintf(r->message_id, sizeof r->message_id, "%s", message_id ? message_id : "");
}

static struct smpp_conn *conn_new(int window, int reconnect_max_s, int max_tps)
{
    struct smpp_conn_opts o = {
        .name = "testop",
        .host = "127.0.0.1",
        .port = smsc.port,
        .system_id = "raia",
        .password = "pw",
        .system_type = "USSD",
        .enquire_link_s = 1,
        .response_timeout_s = 2,
        .reconnect_min_s = 1,
        .reconnect_max_s = reconnect_max_s,
        .window = window,
        .max_tps = max_tps,
    };
    struct raia_err err = {0};
    struct smpp_conn *c = smpp_conn_new(base, &o, on_mo, on_state, NULL, &err);
    if (!c)
        fprintf(stderr, "smpp_conn_new: %s\n", err.msg);
    return c;
}

static int submit(struct smpp_conn *c, int slot)
{
    struct smpp_sm mt;
    memset(&mt, 0, sizeof mt);
    strcpy(mt.service_type, "USSD");
    strcpy(mt.source_addr, "384");
    mt.dest_addr_ton = 1;
    mt.dest_addr_npi = 1;
    strcpy(mt.destination_addr, "256700000001");
    memcpy(mt.short_message, "Hi", 2);
    mt.sm_length = 2;
    mt.ussd_service_op = SMPP_USSD_USSR_REQ;
    mt.its_session_info = 0x0A10;
    memset(&results[slot], 0, sizeof results[slot]);
    return smpp_conn_submit(c, &mt, on_submit, (void *)(intptr_t)slot);
}

/* ---- tests ---- */

static void test_opts(void)
{
    struct smpp_conn_opts o = {.name = "x",
                               .host = "127.0.0.1",
                               .port = 0,
                               .system_id = "a",
                               .password = "b",
                               .enquire_link_s = 1,
                               .response_timeout_s = 1,
                               .reconnect_min_s = 1,
                               .reconnect_max_s = 1,
                               .window = 1};
    struct raia_err err = {0};
    test_cond("port 0 refused",
              !smpp_conn_new(base, &o, on_mo, NULL, NULL, &err) && err.code == RAIA_ECONFIG);
    o.port = 2775;
    o.password = "longer_than_8";
    test_cond("long password refused", !smpp_conn_new(base, &o, on_mo, NULL, NULL, &err));
    o.password = "b";
    o.window = 0;
    test_cond("window 0 refused", !smpp_conn_new(base, &o, on_mo, NULL, NULL, &err));
    o.window = 1;
    o.host = "localhost";
    struct smpp_conn *c = smpp_conn_new(base, &o, on_mo, NULL, NULL, &err);
    test_cond("localhost resolves", c != NULL);
    test_cond("name", c && strcmp(smpp_conn_name(c), "x") == 0);
    test_cond("not bound before start", c && smpp_conn_get_state(c) == SMPP_CONN_DISCONNECTED);
    test_cond("submit before bind", c && submit(c, 0) == -RAIA_EIO);
    test_cond("sms_charset defaults to gsm7", c && smpp_conn_charset(c) == SMPP_CHARSET_GSM7);
    smpp_conn_free(c);
    smpp_conn_free(NULL);
    o.sms_charset = "latin1";
    c = smpp_conn_new(base, &o, on_mo, NULL, NULL, &err);
    test_cond("sms_charset latin1", c && smpp_conn_charset(c) == SMPP_CHARSET_LATIN1);
    smpp_conn_free(c);
    o.sms_charset = "latin-1";
    test_cond("unknown sms_charset refused",
              !smpp_conn_new(base, &o, on_mo, NULL, NULL, &err) && err.code == RAIA_ECONFIG);
}

static void test_traffic(struct smpp_conn *c)
{
    /* bind */
    test_cond("start", smpp_conn_start(c) == 0);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_BOUND, 3000);
    test_cond("bound", smpp_conn_get_state(c) == SMPP_CONN_BOUND);
    test_cond("states connecting, binding, bound",
              own.n_states == 3 && own.states[0] == SMPP_CONN_CONNECTING &&
                  own.states[1] == SMPP_CONN_BINDING && own.states[2] == SMPP_CONN_BOUND);
    test_cond("bind system_id", strcmp(smsc.last_bind.system_id, "raia") == 0);
    test_cond("bind password", strcmp(smsc.last_bind.password, "pw") == 0);
    test_cond("bind system_type", strcmp(smsc.last_bind.system_type, "USSD") == 0);
    test_cond("bind version", smsc.last_bind.interface_version == 0x34);
    test_cond("start twice", smpp_conn_start(c) == -RAIA_EINVAL);

    /* MO, answered only after ack_mo */
    smsc_deliver(77, 1);
    WAIT_FOR(own.mo_count == 1, 2000);
    test_cond("MO delivered", own.mo_count == 1);
    test_cond("MO text with '@'", own.last_mo.sm_length == 3 && own.last_mo.short_message[1] == 0);
    test_cond("MO ussd op", own.last_mo.ussd_service_op == SMPP_USSD_PSSR_IND);
    test_cond("MO its_session_info", own.last_mo.its_session_info == 0x0A10);
    test_cond("MO ref seq", own.last_ref.seq == 77);
    RUN_FOR(300);
    test_cond("no deliver_sm_resp before ack", smsc_count(SMPP_DELIVER_SM_RESP) == 0);
    smpp_conn_ack_mo(c, own.last_ref, SMPP_ESME_ROK);
    WAIT_FOR(smsc_find(SMPP_DELIVER_SM_RESP, 77) >= 0, 2000);
    int i = smsc_find(SMPP_DELIVER_SM_RESP, 77);
    test_cond("deliver_sm_resp after ack", i >= 0 && smsc.log[i].status == 0);

    /* malformed MO: answered by the conn with the decoder's status */
    smsc_deliver(78, 2);
    WAIT_FOR(smsc_find(SMPP_DELIVER_SM_RESP, 78) >= 0, 2000);
    i = smsc_find(SMPP_DELIVER_SM_RESP, 78);
    test_cond("bad MO answered RINVPARLEN", i >= 0 && smsc.log[i].status == SMPP_ESME_RINVPARLEN);
    test_cond("bad MO not handed up", own.mo_count == 1);

    /* enquire_link from the SMSC, two PDUs in one write, then one PDU in two writes */
    uint8_t two[32];
    smpp_encode_header_only(SMPP_ENQUIRE_LINK, 0, 5, two, 16);
    smpp_encode_header_only(SMPP_ENQUIRE_LINK, 0, 6, two + 16, 16);
    smsc_send(two, 32);
    WAIT_FOR(smsc_find(SMPP_ENQUIRE_LINK_RESP, 6) >= 0, 2000);
    test_cond("enquire_link back-to-back answered", smsc_find(SMPP_ENQUIRE_LINK_RESP, 5) >= 0 &&
                                                        smsc_find(SMPP_ENQUIRE_LINK_RESP, 6) >= 0);
    smpp_encode_header_only(SMPP_ENQUIRE_LINK, 0, 7, two, 16);
    smsc_send(two, 5);
    RUN_FOR(100);
    smsc_send(two + 5, 11);
    WAIT_FOR(smsc_find(SMPP_ENQUIRE_LINK_RESP, 7) >= 0, 2000);
    test_cond("split enquire_link answered", smsc_find(SMPP_ENQUIRE_LINK_RESP, 7) >= 0);

    /* unknown command: generic_nack with the same seq, link kept */
    smsc_header_only(0x00000099, 0, 9);
    WAIT_FOR(smsc_find(SMPP_GENERIC_NACK, 9) >= 0, 2000);
    i = smsc_find(SMPP_GENERIC_NACK, 9);
    test_cond("unknown command nacked", i >= 0 && smsc.log[i].status == SMPP_ESME_RINVCMDID);
    test_cond("link kept after nack",
              smpp_conn_get_state(c) == SMPP_CONN_BOUND && smsc.accepts == 1);

    /* submit */
    test_cond("submit accepted", submit(c, 0) == 0);
    WAIT_FOR(results[0].done, 2000);
    test_cond("submit cb once", results[0].done == 1);
    test_cond("submit status 0", results[0].status == 0);
    test_cond("submit message_id", strcmp(results[0].message_id, "msg-1") == 0);
    test_cond("submit dest on the wire",
              strcmp(smsc.last_submit.destination_addr, "256700000001") == 0 &&
                  smsc.last_submit.ussd_service_op == SMPP_USSD_USSR_REQ &&
                  smsc.last_submit.its_session_info == 0x0A10);

    /* enquire_link from the ESME when idle */
    int before = smsc_count(SMPP_ENQUIRE_LINK);
    WAIT_FOR(smsc_count(SMPP_ENQUIRE_LINK) > before, 3000);
    test_cond("idle link gets enquire_link", smsc_count(SMPP_ENQUIRE_LINK) > before);
}

static void test_window(struct smpp_conn *c)
{
    smsc.withhold = 1;
    smsc.n_withheld = 0;
    int base_submits = smsc.submits;
    for (int k = 1; k <= 5; k++)
        test_cond("windowed submit accepted", submit(c, k) == 0);
    RUN_FOR(400);
    test_cond("exactly window (3) in flight", smsc.submits - base_submits == 3);
    test_cond("no cb while withheld", !results[1].done && !results[5].done);
    smsc.withhold = 0;
    for (int k = 0; k < smsc.n_withheld; k++)
        smsc_submit_resp(smsc.withheld[k]);
    smsc.n_withheld = 0;
    WAIT_FOR(results[5].done, 2000);
    int all = 1;
    for (int k = 1; k <= 5; k++)
        all &= results[k].done == 1 && results[k].status == 0;
    test_cond("all five answered after release", all);
    test_cond("five submit_sm sent", smsc.submits - base_submits == 5);
    test_cond("queued ones went out in order", strcmp(results[4].message_id, "msg-5") == 0);
}

static void test_link_loss(struct smpp_conn *c)
{
    smsc.withhold = 1;
    test_cond("in-flight submit", submit(c, 10) == 0);
    smsc_deliver(90, 1);
    WAIT_FOR(own.mo_count == 2 && smsc.n_withheld == 1, 2000);
    struct smpp_mo_ref old = own.last_ref;
    smsc_drop();
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_DISCONNECTED, 2000);
    test_cond("link loss seen", smpp_conn_get_state(c) == SMPP_CONN_DISCONNECTED);
    test_cond("in-flight submit waits for the next link", results[10].done == 0);
    test_cond("submit while down", submit(c, 11) == -RAIA_EIO);
    smsc.withhold = 0;
    smsc.n_withheld = 0;
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_BOUND, 4000);
    test_cond("rebound after loss", smpp_conn_get_state(c) == SMPP_CONN_BOUND && smsc.accepts == 2);
    WAIT_FOR(results[10].done, 2000);
    test_cond("in-flight submit resent on the new link",
              results[10].done == 1 && results[10].status == 0);
    smpp_conn_ack_mo(c, old, SMPP_ESME_ROK); /* old link: dropped */
    RUN_FOR(300);
    test_cond("stale ack dropped", smsc_count(SMPP_DELIVER_SM_RESP) == 0);

    /* response timeout: the link is replaced and the submit sent again on it */
    smsc.withhold = 1;
    int sent_before = smsc.submits;
    test_cond("submit to time out", submit(c, 12) == 0);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_DISCONNECTED, 4000);
    smsc.withhold = 0;
    smsc.n_withheld = 0;
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_BOUND && smsc.accepts == 3, 4000);
    test_cond("rebound after timeout", smsc.accepts == 3);
    WAIT_FOR(results[12].done, 2000);
    test_cond("timed-out submit resent and answered once",
              results[12].done == 1 && results[12].status == 0 && smsc.submits - sent_before == 2);

    /* unbind from the SMSC: unbind_resp, then a new link */
    smsc_header_only(SMPP_UNBIND, 0, 33);
    WAIT_FOR(smsc.accepts == 4 && smpp_conn_get_state(c) == SMPP_CONN_BOUND, 4000);
    test_cond("rebound after unbind", smsc.accepts == 4);

    /* framing error: command_length 8 -> generic_nack RINVCMDLEN, link dropped */
    uint8_t bad[16] = {0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 44};
    smsc_send(bad, 16);
    WAIT_FOR(smsc_find(SMPP_GENERIC_NACK, 44) >= 0, 2000);
    int i = smsc_find(SMPP_GENERIC_NACK, 44);
    test_cond("bad length nacked", i >= 0 && smsc.log[i].status == SMPP_ESME_RINVCMDLEN);
    WAIT_FOR(smsc.accepts == 5 && smpp_conn_get_state(c) == SMPP_CONN_BOUND, 4000);
    test_cond("rebound after framing error", smsc.accepts == 5);
}

/*
 * What an SMSC should not send an ESME: each gets its own answer (or, for a
 * response, none) and the link stays up.
 */
static void test_foreign(struct smpp_conn *c)
{
    uint8_t b[SMPP_PDU_MAX];
    int accepts = smsc.accepts, i;
    uint8_t body[20] = {0, 0, 0, 20, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 60};
    smsc_send(body, sizeof body); /* enquire_link with 4 octets of body */
    WAIT_FOR(smsc_find(SMPP_ENQUIRE_LINK_RESP, 60) >= 0, 2000);
    i = smsc_find(SMPP_ENQUIRE_LINK_RESP, 60);
    test_cond("enquire_link with a body: RINVCMDLEN",
              i >= 0 && smsc.log[i].status == SMPP_ESME_RINVCMDLEN);

    struct smpp_bind bind = {.system_id = "smsc", .password = "pw", .interface_version = 0x34};
    smsc_send(b, smpp_encode_bind(SMPP_BIND_TRANSCEIVER, 61, &bind, b, sizeof b));
    WAIT_FOR(smsc_find(SMPP_BIND_TRANSCEIVER_RESP, 61) >= 0, 2000);
    i = smsc_find(SMPP_BIND_TRANSCEIVER_RESP, 61);
    test_cond("bind from the SMSC while bound: RALYBND",
              i >= 0 && smsc.log[i].status == SMPP_ESME_RALYBND);

    struct smpp_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.ussd_service_op = sm.its_session_info = -1;
    strcpy(sm.source_addr, "384");
    strcpy(sm.destination_addr, "256700000001");
    smsc_send(b, smpp_encode_sm(SMPP_SUBMIT_SM, 62, &sm, b, sizeof b));
    WAIT_FOR(smsc_find(SMPP_SUBMIT_SM_RESP, 62) >= 0, 2000);
    i = smsc_find(SMPP_SUBMIT_SM_RESP, 62);
    test_cond("submit_sm from the SMSC: RINVCMDID",
              i >= 0 && smsc.log[i].status == SMPP_ESME_RINVCMDID);

    smsc_header_only(0x80000099, 0, 0x6363); /* an unknown response */
    smsc_header_only(SMPP_ENQUIRE_LINK, 0, 64);
    WAIT_FOR(smsc_find(SMPP_ENQUIRE_LINK_RESP, 64) >= 0, 2000);
    int answered_63 = 0;
    for (i = 0; i < smsc.n_log; i++)
        answered_63 |= smsc.log[i].seq == 0x6363;
    test_cond("an unknown response is not answered",
              smsc_find(SMPP_ENQUIRE_LINK_RESP, 64) >= 0 && !answered_63);
    test_cond("link kept through all of it",
              smpp_conn_get_state(c) == SMPP_CONN_BOUND && smsc.accepts == accepts);
}

/* ESME_RTHROTTLED: no callback, a pause, the same message again. */
static void test_throttled(struct smpp_conn *c)
{
    int sent_before = smsc.submits;
    smsc.throttle_next = 2;
    test_cond("submit to be throttled", submit(c, 13) == 0);
    test_cond("second submit behind it", submit(c, 14) == 0);
    RUN_FOR(300);
    test_cond("no callback for a throttled submit", results[13].done == 0);
    WAIT_FOR(results[14].done, 4000);
    test_cond("throttled submits sent again and accepted",
              results[13].done == 1 && results[13].status == 0 && results[14].done == 1 &&
                  results[14].status == 0);
    test_cond("four writes for two messages", smsc.submits - sent_before == 4);
    test_cond("order kept after the pause",
              atoi(results[13].message_id + 4) < atoi(results[14].message_id + 4));
}

/* max_tps 5: sends are spaced 200 ms apart, however many wait. */
static void test_max_tps(void)
{
    struct smpp_conn *c = conn_new(10, 2, 5);
    smpp_conn_start(c);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_BOUND, 3000);
    int sent_before = smsc.submits;
    for (int k = 30; k < 36; k++)
        submit(c, k);
    RUN_FOR(500);
    test_cond("at most 4 sends in the first 500 ms at 5 tps", smsc.submits - sent_before <= 4);
    WAIT_FOR(results[35].done, 4000);
    test_cond("all six sent in the end",
              smsc.submits - sent_before == 6 && results[35].status == 0);
    smpp_conn_free(c);
}

static void test_stop(struct smpp_conn *c)
{
    smsc.answer_unbind = 1;
    smpp_conn_stop(c);
    test_cond("unbinding", smpp_conn_get_state(c) == SMPP_CONN_UNBINDING);
    test_cond("no submit while stopping", submit(c, 20) == -RAIA_EIO);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_CLOSED, 2000);
    test_cond("closed after unbind_resp", smpp_conn_get_state(c) == SMPP_CONN_CLOSED);
    test_cond("unbind sent", smsc_count(SMPP_UNBIND) == 1);
    test_cond("owner told closed", own.states[own.n_states - 1] == SMPP_CONN_CLOSED);
    RUN_FOR(1500);
    test_cond("no reconnect after stop", smsc.accepts == 5);
}

static void test_stop_without_resp(void)
{
    struct smpp_conn *c = conn_new(3, 2, 0);
    smsc.answer_unbind = 0;
    smpp_conn_start(c);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_BOUND, 3000);
    uint64_t t0 = now_ms();
    smpp_conn_stop(c);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_CLOSED, 7000);
    uint64_t took = now_ms() - t0;
    test_cond("closed after the unbind wait", smpp_conn_get_state(c) == SMPP_CONN_CLOSED);
    test_cond("unbind wait about 5 s", took >= 4900 && took < 6000);
    smpp_conn_free(c);
    smsc.answer_unbind = 1;
}

static void test_bind_refused(void)
{
    struct smpp_conn *c = conn_new(3, 3, 0);
    smsc.bind_status = SMPP_ESME_RINVPASWD;
    int accepts = smsc.accepts;
    own.n_states = 0;
    smpp_conn_start(c);
    WAIT_FOR(own.n_states >= 3, 2000);
    test_cond("refused bind: connecting, binding, disconnected",
              own.n_states == 3 && own.states[1] == SMPP_CONN_BINDING &&
                  own.states[2] == SMPP_CONN_DISCONNECTED);
    RUN_FOR(2000); /* max 3 s minus at most 25 %: nothing before 2.25 s */
    test_cond("long backoff after bad password", smsc.accepts == accepts + 1);
    WAIT_FOR(smsc.accepts == accepts + 2, 2000);
    test_cond("retried after the long backoff", smsc.accepts == accepts + 2);
    smsc.bind_status = 0;
    smpp_conn_stop(c);
    test_cond("stop while not bound closes", smpp_conn_get_state(c) == SMPP_CONN_CLOSED);
    smpp_conn_free(c);
}

static void test_free_in_callback(void)
{
    struct smpp_conn *c = conn_new(3, 2, 0);
    smpp_conn_start(c);
    WAIT_FOR(smpp_conn_get_state(c) == SMPP_CONN_BOUND, 3000);
    test_cond("bound for free test", smpp_conn_get_state(c) == SMPP_CONN_BOUND);
    own.free_on_closed = 1;
    own.n_states = 0;
    smpp_conn_stop(c);
    WAIT_FOR(own.n_states == 2, 2000); /* unbinding, closed; c is freed by now */
    test_cond("freed from its own callback",
              own.n_states == 2 && own.states[1] == SMPP_CONN_CLOSED);
    own.free_on_closed = 0;
    RUN_FOR(300);
}

static void on_tick(evutil_socket_t fd, short what, void *ctx)
{
    (void)fd;
    (void)what;
    (void)ctx;
}

int main(void)
{
    alarm(100); /* backstop: every wait below is bounded anyway */
    log_min_level = LOG_WARN;
    base = event_base_new();
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 50 * 1000};
    event_add(tick, &tv); /* wakes EVLOOP_ONCE even when no conn is running */
    smsc_start();
    test_opts();
    struct smpp_conn *c = conn_new(3, 2, 0);
    test_cond("conn created", c != NULL);
    if (c) {
        test_traffic(c);
        test_foreign(c);
        test_window(c);
        test_link_loss(c);
        test_throttled(c);
        test_stop(c);
        smpp_conn_free(c);
    }
    test_max_tps();
    test_bind_refused();
    test_stop_without_resp();
    test_free_in_callback();
    smsc_drop();
    evconnlistener_free(smsc.lis);
    event_free(tick);
    event_base_free(base);
    TEST_REPORT();
}
