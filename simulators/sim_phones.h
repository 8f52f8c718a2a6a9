/**
 * sim_phones.h - the phones of raia-smsc-sim: which control client speaks
 * for each msisdn, its open USSD session number, and the translation between
 * phone actions and SMPP. Phone actions come from sim_control.c; gateway
 * submit_sm come from sim_esme.c through sim_phones_mt().
 *
 * The action functions return NULL on success or a short static reason for
 * the `ERR` line ("no bind", "no session", ...).
 */
#ifndef RAIA_SIM_PHONES_H
#define RAIA_SIM_PHONES_H

#include "sim_internal.h"
#include "smpp_pdu.h"

/** Start a USSD session: deliver_sm with ussd_service_op 1 and the code as text. */
const char *sim_phones_dial(struct sim *s, struct sim_client *c, const char *msisdn,
                            const char *code);
/** Answer the open session: deliver_sm with ussd_service_op 18. */
const char *sim_phones_reply(struct sim *s, struct sim_client *c, const char *msisdn,
                             const char *text);
/**
 * Plain SMS from msisdn to shortcode (no USSD fields); text that does not
 * fit one part goes as concatenated parts (UDH, esm_class 0x40), in reverse
 * order when reverse is set (SMSREV).
 */
const char *sim_phones_sms(struct sim *s, struct sim_client *c, const char *msisdn,
                           const char *shortcode, const char *text, int reverse);
/**
 * Send the last deliver_sm of msisdn again, with a new sequence number, as
 * an SMSC does that never saw its deliver_sm_resp. The phone keeps its owner.
 */
const char *sim_phones_redeliver(struct sim *s, const char *msisdn);
/**
 * Send the following MO of msisdn (the continuation of its open USSD
 * session, say) on another receiving bind than its last one, as an SMSC
 * does that spreads one dialogue over several binds. *conn gets that
 * bind's number. "no other bind" when there is none.
 */
const char *sim_phones_switch(struct sim *s, struct sim_client *c, const char *msisdn, int *conn);
/**
 * The network ends the open USSD session of msisdn: a deliver_sm with
 * ussd_service_op op, its_session_info with the end bit (bit 0) set and no
 * text. The session is closed on the sim's side.
 */
const char *sim_phones_abort(struct sim *s, struct sim_client *c, const char *msisdn, int op);
/** Forget the open session of msisdn; nothing is sent to the gateway. */
const char *sim_phones_hangup(struct sim *s, struct sim_client *c, const char *msisdn);

/** Route one submit_sm (borrowed) from the gateway to the phone it is for. */
void sim_phones_mt(struct sim *s, const struct smpp_sm *sm);

/** c is going away: its phones lose their owner and their sessions. */
void sim_phones_drop_owner(struct sim *s, const struct sim_client *c);

/** Free every phone (shutdown only). */
void sim_phones_free_all(struct sim *s);

#endif
