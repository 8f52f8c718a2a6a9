/**
 * mt_sms.h - one MT SMS as the operator wants it: split into concatenated
 * parts in the bind's alphabet (sms_concat_split_as) and submitted part by
 * part. Used by gateway/outbox.c (broadcasts) and gateway/session.c (replies).
 */
#ifndef RAIA_MT_SMS_H
#define RAIA_MT_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_conn.h"

/**
 * Submit text (UTF-8) through tx. mt carries the addresses and flags (borrowed;
 * its data_coding, esm_class and short_message are overwritten, and the
 * caller wipes it). ref numbers the parts of one long message. cb runs once
 * for each part submitted. Returns 0 with *submitted = parts, or < 0: the
 * text did not split (*submitted 0) or a submit failed (*submitted: the
 * parts before it, whose cb will still run).
 */
int mt_sms_submit(struct smpp_conn *tx, struct smpp_sm *mt, const char *text, uint8_t ref,
                  smpp_conn_submit_cb cb, void *ctx, size_t *submitted);

#endif
