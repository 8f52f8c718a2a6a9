/**
 * ussd_profile.h - how one operator speaks USSD over SMPP.
 *
 * SMPP 3.4 names the ussd_service_op values but operators use them each a
 * little differently (research U6): which values open, continue or abort a
 * dialogue, what to send to ask for more or to end, and whether the end is
 * marked by the low bit of its_session_info. A profile is chosen per smsc
 * entry in the config (a preset, optionally with overrides) and documented
 * in docs/operators.md. Pure functions: used by gateway/session.c.
 */
#ifndef RAIA_USSD_PROFILE_H
#define RAIA_USSD_PROFILE_H

#include "raia_err.h"

#define USSD_OPS_MAX 4

struct ussd_profile {
    char name[16];
    int mo_begin[USSD_OPS_MAX];    /* ussd_service_op values that open a dialogue; -1 = unused */
    int mo_abort[USSD_OPS_MAX];    /* values by which the network closes or aborts one */
    int mt_continue_op, mt_end_op; /* what the gateway sends to ask for more / to end */
    int end_bit;                   /* the end is also marked by its_session_info bit 0 */
};

/** What an MO means under a profile. */
enum ussd_mo_kind { USSD_MO_BEGIN, USSD_MO_CONTINUE, USSD_MO_ABORT };

/** Fills p with a preset: "smpp34" (default), "tata" or "sixdee". -RAIA_EINVAL if unknown. */
int ussd_profile_preset(const char *name, struct ussd_profile *p);

/**
 * A preset with the config's overrides applied (each -1 = keep the preset):
 * the MT ops, one more MO value that aborts, and the end bit (0/1).
 */
int ussd_profile_from_config(const char *preset, int mt_continue_op, int mt_end_op, int abort_op,
                             int end_bit, struct ussd_profile *p);

/**
 * Classifies an MO by its ussd_service_op (-1 when the TLV is absent) and
 * its_session_info (-1 when absent). Without the op TLV (operators that mark
 * USSD by service_type only) an MO is a begin; the caller then treats text
 * that is not a known service code as a continuation. Unknown ops continue
 * (research U7).
 */
enum ussd_mo_kind ussd_profile_classify(const struct ussd_profile *p, int op, int its_session);

/**
 * The ussd_service_op and its_session_info of a reply: its_session is the
 * value received (-1 if none: then none is sent). end selects the end form.
 */
void ussd_profile_reply(const struct ussd_profile *p, int its_session, int end, int *op_out,
                        int *its_session_out);

#endif
