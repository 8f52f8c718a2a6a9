/*
 * ussd_profile.c - the USSD dialects raia speaks (docs/operators.md). The
 * presets follow research U6: SMPP 3.4 as written, and the two vendor
 * variants that are documented well enough to implement (vumi's Tata and
 * 6D processors).
 */
#include "ussd_profile.h"

#include <stdio.h>
#include <string.h>

#include "smpp_pdu.h"

#define VENDOR_ABORT 0x81 /* 6D and Mica close a dialogue with this vendor value */

static const struct ussd_profile presets[] = {
    /* SMPP 3.4 §5.3.2.44: PSSR indication opens, USSR confirm continues;
     * USSR request asks for more, PSSR response ends. */
    {"smpp34",
     {SMPP_USSD_PSSR_IND, -1, -1, -1},
     {-1, -1, -1, -1},
     SMPP_USSD_USSR_REQ,
     SMPP_USSD_PSSR_RESP,
     1},
    /* Tata (vumi default): PSSR response from the network aborts; every MT
     * is a USSR request, the end marked by its_session_info bit 0 only. */
    {"tata",
     {SMPP_USSD_PSSR_IND, -1, -1, -1},
     {SMPP_USSD_PSSR_RESP, -1, -1, -1},
     SMPP_USSD_USSR_REQ,
     SMPP_USSD_USSR_REQ,
     1},
    /* 6D: vendor 0x81 aborts; the end MT is PSSR response with bit 0 set. */
    {"sixdee",
     {SMPP_USSD_PSSR_IND, -1, -1, -1},
     {VENDOR_ABORT, -1, -1, -1},
     SMPP_USSD_USSR_REQ,
     SMPP_USSD_PSSR_RESP,
     1},
};

int ussd_profile_preset(const char *name, struct ussd_profile *p)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, name) == 0) {
            *p = presets[i];
            return 0;
        }
    }
    return -RAIA_EINVAL;
}

int ussd_profile_from_config(const char *preset, int mt_continue_op, int mt_end_op, int abort_op,
                             int end_bit, struct ussd_profile *p)
{
    if (ussd_profile_preset(preset, p) < 0)
        return -RAIA_EINVAL;
    if (mt_continue_op >= 0)
        p->mt_continue_op = mt_continue_op;
    if (mt_end_op >= 0)
        p->mt_end_op = mt_end_op;
    if (end_bit >= 0)
        p->end_bit = end_bit;
    if (abort_op >= 0) {
        int i = 0;
        while (i < USSD_OPS_MAX - 1 && p->mo_abort[i] >= 0)
            i++;
        p->mo_abort[i] = abort_op;
    }
    return 0;
}

static int listed(const int ops[USSD_OPS_MAX], int op)
{
    for (int i = 0; i < USSD_OPS_MAX; i++)
        if (ops[i] >= 0 && ops[i] == op)
            return 1;
    return 0;
}

enum ussd_mo_kind ussd_profile_classify(const struct ussd_profile *p, int op, int its_session)
{
    if (listed(p->mo_abort, op) || (p->end_bit && its_session >= 0 && (its_session & 1)))
        return USSD_MO_ABORT;
    if (op < 0 || listed(p->mo_begin, op))
        return USSD_MO_BEGIN;
    return USSD_MO_CONTINUE;
}

void ussd_profile_reply(const struct ussd_profile *p, int its_session, int end, int *op_out,
                        int *its_session_out)
{
    *op_out = end ? p->mt_end_op : p->mt_continue_op;
    *its_session_out = its_session;
    if (its_session >= 0 && p->end_bit)
        *its_session_out = end ? (its_session | 1) : (its_session & 0xFFFE);
}
