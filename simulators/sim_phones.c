/*
 * sim_phones.c - the "network side" of each test phone (see sim_phones.h).
 *
 * A phone is created the first time a control client names its msisdn and
 * lives until shutdown; its owner is the client that last acted for it, so
 * the gateway's answers reach the process that is playing that phone. USSD
 * sessions follow SMPP 3.4 §5.3.2.43: the session number sits in the high
 * octet of its_session_info and cycles through 1..255 (the field is 16
 * bits), skipping numbers still open.
 *
 * Long SMS go both ways as a phone network carries them: an MO text that
 * does not fit one part leaves as concatenated deliver_sm parts (UDH, in
 * order or, for SMSREV, reversed), and the gateway's concatenated submit_sm
 * parts are put together before the phone sees one SMS line. Both use
 * sms_concat from raia_smpp: the gateway's codec, not its logic. Each
 * phone keeps its last deliver_sm so REDELIVER can send it again.
 */
#include "sim_phones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "raia_err.h"
#include "sim_control.h"
#include "sim_esme.h"
#include "sim_sm.h"
#include "sim_text.h"
#include "smpp_text.h"
#include "sms_concat.h"

#define MT_PARTS_PENDING 64       /* long MT SMS being put together at once */
#define MT_PARTS_TIMEOUT_MS 60000 /* a missing part gives up after a minute */

struct sim_phone {
    char msisdn[22];          /* as the client wrote it, echoed back in SCREEN / SMS lines */
    char digits[21];          /* without '+': the SMPP address and the lookup key */
    struct sim_client *owner; /* NULL once its client left */
    unsigned session;         /* open USSD session number, 0 when none */
    char code[21];            /* the code dialled: destination_addr of every MO in the session */
    struct smpp_sm *last_mo;  /* the last deliver_sm sent for it, for REDELIVER; owned */
    int conn;                 /* SWITCH: the bind its MO go to (0: the newest receiving one) */
    int last_conn;            /* the bind its last MO went to */
};

/* "+256700000001" or "256700000001": 1..20 digits after an optional '+'. */
static int msisdn_digits(const char *msisdn, char out[21])
{
    const char *d = msisdn[0] == '+' ? msisdn + 1 : msisdn;
    size_t n = strlen(d);
    if (n == 0 || n > 20 || strspn(d, "0123456789") != n)
        return -1;
    memcpy(out, d, n + 1);
    return 0;
}

static struct sim_phone *phone_find(struct sim *s, const char *digits)
{
    for (size_t i = 0; i < s->n_phones; i++)
        if (strcmp(s->phones[i]->digits, digits) == 0)
            return s->phones[i];
    return NULL;
}

/* Finds or creates the phone for msisdn and makes c its owner; NULL with *err set. */
static struct sim_phone *phone_get(struct sim *s, struct sim_client *c, const char *msisdn,
                                   const char **err)
{
    char digits[21];
    if (msisdn_digits(msisdn, digits) < 0) {
        *err = "bad msisdn";
        return NULL;
    }
    struct sim_phone *p = phone_find(s, digits);
    if (!p) {
        if (s->n_phones == s->cap_phones) {
            size_t cap = s->cap_phones ? 2 * s->cap_phones : 16;
            struct sim_phone **v = realloc(s->phones, cap * sizeof *v);
            if (!v) {
                *err = "out of memory";
                return NULL;
            }
            s->phones = v;
            s->cap_phones = cap;
        }
        p = calloc(1, sizeof *p);
        if (!p) {
            *err = "out of memory";
            return NULL;
        }
        memcpy(p->digits, digits, sizeof digits);
        s->phones[s->n_phones++] = p;
    }
    snprintf(p->msisdn, sizeof p->msisdn, "%s", msisdn);
    p->owner = c;
    return p;
}

static int session_in_use(const struct sim *s, unsigned n)
{
    for (size_t i = 0; i < s->n_phones; i++)
        if (s->phones[i]->session == n)
            return 1;
    return 0;
}

/* The next free session number after the last one handed out; 0 if all 255 are open. */
static unsigned session_next(struct sim *s)
{
    for (int tries = 0; tries < 255; tries++) {
        unsigned n = s->last_session % 255 + 1;
        s->last_session = n;
        if (!session_in_use(s, n))
            return n;
    }
    return 0;
}

/* A deliver_sm from phone p; the caller fills in the rest. */
static void mo_init(struct smpp_sm *sm, const struct sim_phone *p, const char *dest)
{
    memset(sm, 0, sizeof *sm);
    sm->source_addr_ton = 1; /* international */
    sm->source_addr_npi = 1; /* E.164 */
    snprintf(sm->source_addr, sizeof sm->source_addr, "%s", p->digits);
    snprintf(sm->destination_addr, sizeof sm->destination_addr, "%s", dest);
    sm->ussd_service_op = -1;
    sm->its_session_info = -1;
}

/* Hands a ready deliver_sm from p to the bound gateway and keeps a copy. */
static const char *mo_deliver(struct sim *s, struct sim_phone *p, const struct smpp_sm *sm)
{
    int conn = p->conn;
    int rc = sim_esme_deliver(s, sm, &conn);
    if (rc == -RAIA_ENOTFOUND)
        return "no bind";
    if (rc < 0)
        return "cannot encode deliver_sm";
    p->last_conn = conn;
    if (!p->last_mo && !(p->last_mo = malloc(sizeof *p->last_mo)))
        return "out of memory";
    memcpy(p->last_mo, sm, sizeof *sm);
    return NULL;
}

/* Encodes text (one part) and sends the deliver_sm. */
static const char *mo_send(struct sim *s, struct sim_phone *p, struct smpp_sm *sm, const char *text)
{
    int rc = smpp_text_set(sm, text);
    if (rc == -RAIA_EINVAL)
        return "bad utf-8";
    if (rc < 0)
        return "text too long";
    return mo_deliver(s, p, sm);
}

/* A USSD deliver_sm in session (its number in the high octet of
 * its_session_info, SMPP 3.4 §5.3.2.43); end sets bit 0, end of session. */
static const char *ussd_send(struct sim *s, struct sim_phone *p, const char *dest, int op,
                             unsigned session, int end, const char *text)
{
    struct smpp_sm sm;
    mo_init(&sm, p, dest);
    memcpy(sm.service_type, "USSD", 5);
    sm.ussd_service_op = op;
    sm.its_session_info = (int)(session << 8) | (end ? 1 : 0);
    return mo_send(s, p, &sm, text);
}

/* The phone of msisdn (c becomes its owner) if it has an open USSD session. */
static struct sim_phone *phone_in_session(struct sim *s, struct sim_client *c, const char *msisdn,
                                          const char **err)
{
    struct sim_phone *p = phone_get(s, c, msisdn, err);
    if (p && p->session == 0) {
        *err = "no session";
        return NULL;
    }
    return p;
}

const char *sim_phones_dial(struct sim *s, struct sim_client *c, const char *msisdn,
                            const char *code)
{
    const char *err = NULL;
    if (strlen(code) == 0 || strlen(code) > 20)
        return "bad code";
    struct sim_phone *p = phone_get(s, c, msisdn, &err);
    if (!p)
        return err;
    p->session = 0; /* a new dial ends whatever was open */
    unsigned n = session_next(s);
    if (n == 0)
        return "too many sessions";
    err = ussd_send(s, p, code, SMPP_USSD_PSSR_IND, n, 0, code);
    if (err)
        return err;
    p->session = n;
    snprintf(p->code, sizeof p->code, "%s", code);
    log_at(LOG_INFO, "sim", "op=dial msisdn=%s code=%s session=%u", p->digits, code, n);
    return NULL;
}

const char *sim_phones_reply(struct sim *s, struct sim_client *c, const char *msisdn,
                             const char *text)
{
    const char *err = NULL;
    struct sim_phone *p = phone_in_session(s, c, msisdn, &err);
    if (!p)
        return err;
    err = ussd_send(s, p, p->code, SMPP_USSD_USSR_CONF, p->session, 0, text);
    if (!err)
        log_at(LOG_INFO, "sim", "op=reply msisdn=%s session=%u", p->digits, p->session);
    return err;
}

const char *sim_phones_sms(struct sim *s, struct sim_client *c, const char *msisdn,
                           const char *shortcode, const char *text, int reverse)
{
    const char *err = NULL;
    if (strlen(shortcode) == 0 || strlen(shortcode) > 20)
        return "bad shortcode";
    struct sim_phone *p = phone_get(s, c, msisdn, &err);
    if (!p)
        return err;
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];
    int n = sms_concat_split(text, strlen(text), (uint8_t)s->mo_ref++, parts);
    if (n == -RAIA_EINVAL)
        return "bad utf-8";
    if (n < 0)
        return "text too long";
    struct smpp_sm *sm = malloc(sizeof *sm); /* ~2 KB: not on the stack of a callback */
    if (!sm)
        return "out of memory";
    for (int i = 0; i < n && !err; i++) {
        const struct sms_part *part = &parts[reverse ? n - 1 - i : i];
        mo_init(sm, p, shortcode);
        sm->data_coding = part->data_coding;
        sm->esm_class = part->esm_class;
        memcpy(sm->short_message, part->short_message, part->sm_length);
        sm->sm_length = part->sm_length;
        err = mo_deliver(s, p, sm);
    }
    free(sm);
    if (!err)
        log_at(LOG_INFO, "sim", "op=sms_mo msisdn=%s to=%s parts=%d reverse=%d", p->digits,
               shortcode, n, reverse);
    return err;
}

const char *sim_phones_redeliver(struct sim *s, const char *msisdn)
{
    /* Not phone_get(): the answers keep going to the client playing the phone. */
    char digits[21];
    if (msisdn_digits(msisdn, digits) < 0)
        return "bad msisdn";
    struct sim_phone *p = phone_find(s, digits);
    const char *err;
    if (!p || !p->last_mo)
        return "nothing to redeliver";
    err = mo_deliver(s, p, p->last_mo);
    if (!err)
        log_at(LOG_INFO, "sim", "op=redeliver msisdn=%s", p->digits);
    return err;
}

const char *sim_phones_switch(struct sim *s, struct sim_client *c, const char *msisdn, int *conn)
{
    const char *err = NULL;
    struct sim_phone *p = phone_get(s, c, msisdn, &err);
    if (!p)
        return err;
    int id = sim_esme_other_receiver(s, p->last_conn);
    if (id < 0)
        return "no other bind";
    p->conn = *conn = id;
    log_at(LOG_INFO, "sim", "op=switch msisdn=%s from=%d to=%d", p->digits, p->last_conn, id);
    return NULL;
}

const char *sim_phones_abort(struct sim *s, struct sim_client *c, const char *msisdn, int op)
{
    const char *err = NULL;
    struct sim_phone *p = phone_in_session(s, c, msisdn, &err);
    if (!p)
        return err;
    err = ussd_send(s, p, p->code, op, p->session, 1, "");
    if (err)
        return err;
    log_at(LOG_INFO, "sim", "op=abort msisdn=%s session=%u op_code=%d", p->digits, p->session, op);
    p->session = 0;
    return NULL;
}

const char *sim_phones_hangup(struct sim *s, struct sim_client *c, const char *msisdn)
{
    const char *err = NULL;
    struct sim_phone *p = phone_get(s, c, msisdn, &err);
    if (!p)
        return err;
    if (p->session)
        log_at(LOG_INFO, "sim", "op=hangup msisdn=%s session=%u", p->digits, p->session);
    p->session = 0;
    return NULL;
}

/*
 * An SMS for p: one SMS line, once every part of a concatenated message is
 * in (a part is only logged). A malformed UDH shows the text as it came.
 */
static void sms_mt(struct sim *s, struct sim_phone *p, const struct smpp_sm *sm)
{
    if (!s->mt_parts && !(s->mt_parts = sms_concat_new(MT_PARTS_PENDING, MT_PARTS_TIMEOUT_MS))) {
        log_at(LOG_ERROR, "sim", "op=sms_mt err=nomem");
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    size_t tsize = 3 * SMS_CONCAT_MSG_MAX + 1;
    struct sms_concat_msg *msg = malloc(sizeof *msg);
    char *text = malloc(tsize), *esc = malloc(2 * tsize);
    int rc = msg && text && esc ? sms_concat_mo(s->mt_parts, sm, now, msg) : -RAIA_ENOMEM;
    if (rc == SMS_CONCAT_DONE)
        smpp_text_decode(msg->data_coding, msg->data, msg->len, text, tsize);
    else if (rc < 0 && text)
        sim_sm_text(sm, text);
    if (rc == 0) {
        log_at(LOG_INFO, "sim", "op=sms_mt_part msisdn=%s", p->digits);
    } else if (rc == -RAIA_ENOMEM) {
        log_at(LOG_ERROR, "sim", "op=sms_mt err=nomem");
    } else {
        sim_text_escape(text, strlen(text), esc, 2 * tsize);
        log_at(LOG_INFO, "sim", "op=sms_mt msisdn=%s concat=%d", p->digits, rc);
        sim_client_send(p->owner, "SMS %s %s", p->msisdn, esc);
    }
    free(msg);
    free(text);
    free(esc);
}

void sim_phones_mt(struct sim *s, const struct smpp_sm *sm)
{
    const char *d =
        sm->destination_addr[0] == '+' ? sm->destination_addr + 1 : sm->destination_addr;
    struct sim_phone *p = phone_find(s, d);
    if (!p || !p->owner) {
        log_at(LOG_WARN, "sim", "op=mt_unrouted to=%s", sm->destination_addr);
        return;
    }
    char text[SIM_SM_TEXT_MAX];
    char esc[2 * SIM_SM_TEXT_MAX];
    sim_sm_text(sm, text);
    sim_text_escape(text, strlen(text), esc, sizeof esc);
    int ussd = sm->ussd_service_op >= 0 || strcmp(sm->service_type, "USSD") == 0;
    if (!ussd) {
        sms_mt(s, p, sm);
        return;
    }
    int end = sm->ussd_service_op == SMPP_USSD_PSSR_RESP ||
              sm->ussd_service_op == SMPP_USSD_PSSD_RESP ||
              (sm->its_session_info >= 0 && (sm->its_session_info & 1));
    log_at(LOG_INFO, "sim", "op=screen msisdn=%s session=%u end=%d op_code=%d", p->digits,
           p->session, end, sm->ussd_service_op);
    if (end)
        p->session = 0;
    sim_client_send(p->owner, "SCREEN %s %s %s", p->msisdn, end ? "end" : "cont", esc);
}

void sim_phones_drop_owner(struct sim *s, const struct sim_client *c)
{
    for (size_t i = 0; i < s->n_phones; i++) {
        if (s->phones[i]->owner == c) {
            s->phones[i]->owner = NULL;
            s->phones[i]->session = 0;
        }
    }
}

void sim_phones_free_all(struct sim *s)
{
    for (size_t i = 0; i < s->n_phones; i++) {
        free(s->phones[i]->last_mo);
        free(s->phones[i]);
    }
    RAIA_FREE(s->phones);
    sms_concat_free(s->mt_parts);
    s->mt_parts = NULL;
    s->n_phones = s->cap_phones = 0;
}
