/**
 * sms_concat.h - long SMS: splitting MT text into concatenated parts and
 * reassembling concatenated MO parts (research M7, M8, M9, M11).
 *
 * Pure functions and one bounded table, no I/O, no clock, no logging: the
 * caller passes the time (now_ms) and decides what to log. The reassembly
 * table stores phone numbers and message text only while parts are pending
 * and wipes both when an entry is freed.
 */
#ifndef RAIA_SMS_CONCAT_H
#define RAIA_SMS_CONCAT_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"
#include "smpp_text.h"

#define SMS_CONCAT_MAX_PARTS 10    /* most parts sms_concat_split() writes */
#define SMS_PART_MAX 160           /* most short_message octets of one part */
#define SMS_CONCAT_MO_MAX_PARTS 16 /* most parts one MO may announce */
#define SMS_CONCAT_MSG_MAX 4096    /* most octets of one reassembled MO */
#define SMS_CONCAT_ADDR_MAX 21     /* an SMPP address, NUL included */

/** sms_concat_add() / sms_concat_mo(): out holds a whole message. */
#define SMS_CONCAT_DONE 1

/** One submit_sm's worth of an MT text. */
struct sms_part {
    uint8_t data_coding; /* SMPP_DC_DEFAULT (GSM 7-bit, unpacked), SMPP_DC_LATIN1 or SMPP_DC_UCS2 */
    uint8_t esm_class;   /* 0x40 (UDHI) when the text has more than one part, else 0 */
    uint8_t short_message[SMS_PART_MAX]; /* UDH (if any) then text */
    size_t sm_length;
};

/**
 * Splits UTF-8 text for MT. GSM 7-bit (one septet per octet, the SMSC packs)
 * when every character has a GSM form, else UCS-2. One part holds 160
 * septets / 70 UCS-2 units; longer text becomes parts of 153 septets / 67
 * units behind the UDH 05 00 03 ref total seq. An extension character (ESC +
 * septet) and a surrogate pair are never cut between parts.
 * parts (borrowed) has room for SMS_CONCAT_MAX_PARTS. Returns the number of
 * parts, -RAIA_EINVAL for invalid UTF-8, -RAIA_EFULL when the text needs
 * more than SMS_CONCAT_MAX_PARTS parts. Empty text gives one empty part.
 */
int sms_concat_split(const char *utf8, size_t len, uint8_t ref,
                     struct sms_part parts[SMS_CONCAT_MAX_PARTS]);

/**
 * As sms_concat_split(), in the operator's preferred alphabet:
 * SMPP_CHARSET_GSM7 is sms_concat_split(); SMPP_CHARSET_LATIN1 sends text
 * whose every character is in ISO-8859-1 as Latin-1 (data_coding 3, one
 * octet a character: 140 in one part, 134 a part behind the UDH), else
 * UCS-2; SMPP_CHARSET_UCS2 always sends UCS-2.
 */
int sms_concat_split_as(const char *utf8, size_t len, uint8_t ref, enum smpp_charset charset,
                        struct sms_part parts[SMS_CONCAT_MAX_PARTS]);

/** What sms_concat_udh() found in a short_message. */
struct sms_udh {
    size_t payload_off; /* first text octet: 0 without UDHI, else UDHL + 1 */
    int has_concat;     /* a concatenation IE (0x00 or 0x08) was found */
    int ref16;          /* it was IEI 0x08 (16-bit reference) */
    uint16_t ref;
    uint8_t total, seq;
};

/**
 * Reads the UDH of sm (borrowed, len octets) when esm_class has UDHI (0x40).
 * Every IE is skipped by its length; the first concatenation IE (0x00 with
 * length 3, 0x08 with length 4) is reported. Returns 0, or -RAIA_EPROTO when
 * UDHL + 1 > len, an IE runs past the UDH, or a concatenation IE has the
 * wrong length. Never reads outside sm[0..len).
 */
int sms_concat_udh(uint8_t esm_class, const uint8_t *sm, size_t len, struct sms_udh *out);

/** How a part names its message. Keys of different kinds never match. */
enum sms_concat_kind { SMS_CONCAT_UDH8, SMS_CONCAT_UDH16, SMS_CONCAT_SAR };

/** One MO part as sms_concat_add() takes it. */
struct sms_concat_part {
    const char *src, *dst; /* borrowed; at most SMS_CONCAT_ADDR_MAX - 1 characters */
    enum sms_concat_kind kind;
    uint16_t ref;
    uint8_t total, seq; /* seq 1..total */
    uint8_t data_coding;
    const uint8_t *data; /* borrowed: the text without UDH */
    size_t len;          /* at most SMPP_PAYLOAD_MAX */
};

/** A whole MO: the parts' text octets in order, in the first part's data_coding. */
struct sms_concat_msg {
    uint8_t data_coding;
    size_t len;
    uint8_t data[SMS_CONCAT_MSG_MAX];
};

struct sms_concat;

/**
 * A reassembly table holding at most max_pending (>= 1) unfinished
 * messages; an entry is dropped timeout_ms after its first part arrived.
 * When the table is full the oldest entry is evicted, so a flood of first
 * parts costs at most max_pending * SMS_CONCAT_MSG_MAX octets. NULL on
 * failure.
 */
struct sms_concat *sms_concat_new(size_t max_pending, uint64_t timeout_ms);

/** Wipes and frees every pending entry, then t. NULL is a no-op. */
void sms_concat_free(struct sms_concat *t);

/**
 * Adds one part, keyed by (src, dst, kind, ref, total). Expired entries are
 * dropped first. Returns SMS_CONCAT_DONE when this part completed a message
 * (then out is filled and the entry is freed; a 1-part "message" completes at
 * once), 0 when the part was stored or was a duplicate (ignored), or
 * -RAIA_EPROTO (total 0, seq 0 or > total: the caller may take the text alone,
 * research M11), -RAIA_EINVAL (address too long), -RAIA_EFULL (more than
 * SMS_CONCAT_MO_MAX_PARTS parts or SMS_CONCAT_MSG_MAX octets: the entry is
 * dropped), -RAIA_ENOMEM.
 */
int sms_concat_add(struct sms_concat *t, const struct sms_concat_part *p, uint64_t now_ms,
                   struct sms_concat_msg *out);

/**
 * Feeds one decoded deliver_sm (borrowed): the concatenation IE of its UDH,
 * else its complete SAR TLVs, else it is a message of its own. The text is
 * short_message or, when has_payload, payload. Returns as sms_concat_add();
 * SMS_CONCAT_DONE for a message of its own (out holds its text without UDH);
 * -RAIA_EPROTO also for a malformed UDH, -RAIA_EINVAL for a length beyond its
 * buffer.
 */
int sms_concat_mo(struct sms_concat *t, const struct smpp_sm *sm, uint64_t now_ms,
                  struct sms_concat_msg *out);

/** Drops (and wipes) entries older than the timeout; returns how many. For the cron. */
size_t sms_concat_expire(struct sms_concat *t, uint64_t now_ms);

/** Unfinished messages held now. */
size_t sms_concat_pending(const struct sms_concat *t);

#endif
