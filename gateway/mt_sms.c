/*
 * mt_sms.c - splits and submits one MT SMS (see mt_sms.h). The parts live on
 * the stack and are wiped before returning: they hold the text sent to a
 * person.
 */
#include "mt_sms.h"

#include <string.h>

#include <openssl/crypto.h>

#include "sms_concat.h"

int mt_sms_submit(struct smpp_conn *tx, struct smpp_sm *mt, const char *text, uint8_t ref,
                  smpp_conn_submit_cb cb, void *ctx, size_t *submitted)
{
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];
    *submitted = 0;
    int n = sms_concat_split_as(text, strlen(text), ref, smpp_conn_charset(tx), parts);
    int rc = n < 0 ? n : 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        mt->data_coding = parts[i].data_coding;
        mt->esm_class = parts[i].esm_class;
        memcpy(mt->short_message, parts[i].short_message, parts[i].sm_length);
        mt->sm_length = parts[i].sm_length;
        rc = smpp_conn_submit(tx, mt, cb, ctx);
        if (rc == 0)
            (*submitted)++;
    }
    OPENSSL_cleanse(parts, sizeof parts);
    return rc;
}
