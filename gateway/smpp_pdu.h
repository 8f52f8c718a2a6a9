/**
 * smpp_pdu.h - SMPP 3.4 PDU codec shared by the gateway and the simulators.
 *
 * Framing and the 16-byte header are handled here by hand (network order,
 * length checked before anything is allocated); bodies are packed and
 * unpacked with libsmpp34. A decoder that fails says which ESME status the
 * peer should get (ESME_RINVMSGLEN, ESME_RINVOPTPARSTREAM, ...), so a bad
 * PDU is answered, never crashes, and never drops the bind by itself.
 * Pure functions: no I/O, no logging, no libevent.
 */
#ifndef RAIA_SMPP_PDU_H
#define RAIA_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#define SMPP_HEADER_LEN 16
#define SMPP_PDU_MAX 4096 /* larger command_length values are refused: framing is lost */
#define SMPP_DEFAULT_PORT 2775
#define SMPP_SM_SEND_MAX 253 /* most short_message octets an encoder writes (libsmpp34 limit) */
/* Most message_payload octets (TLV 0x0424) raia takes or sends: ten 160-octet
 * parts' worth; a larger payload is refused with ESME_RINVMSGLEN. */
#define SMPP_PAYLOAD_MAX 1600
#define SMPP_MSG_ID_MAX 65 /* receipted_message_id / message_id, NUL included */

/* command_id values (SMPP 3.4 §5.1.2.1); macros, not an enum: responses set
 * bit 31, which ISO C does not allow in an enumerator. */
#define SMPP_GENERIC_NACK 0x80000000u
#define SMPP_BIND_RECEIVER 0x00000001u
#define SMPP_BIND_RECEIVER_RESP 0x80000001u
#define SMPP_BIND_TRANSMITTER 0x00000002u
#define SMPP_BIND_TRANSMITTER_RESP 0x80000002u
#define SMPP_SUBMIT_SM 0x00000004u
#define SMPP_SUBMIT_SM_RESP 0x80000004u
#define SMPP_DELIVER_SM 0x00000005u
#define SMPP_DELIVER_SM_RESP 0x80000005u
#define SMPP_UNBIND 0x00000006u
#define SMPP_UNBIND_RESP 0x80000006u
#define SMPP_BIND_TRANSCEIVER 0x00000009u
#define SMPP_BIND_TRANSCEIVER_RESP 0x80000009u
#define SMPP_ENQUIRE_LINK 0x00000015u
#define SMPP_ENQUIRE_LINK_RESP 0x80000015u

/* command_status values we send or react to (SMPP 3.4 §5.1.3) */
enum smpp_status {
    SMPP_ESME_ROK = 0x00,
    SMPP_ESME_RINVMSGLEN = 0x01,
    SMPP_ESME_RINVCMDLEN = 0x02,
    SMPP_ESME_RINVCMDID = 0x03,
    SMPP_ESME_RINVBNDSTS = 0x04,
    SMPP_ESME_RALYBND = 0x05,
    SMPP_ESME_RSYSERR = 0x08,
    SMPP_ESME_RINVSRCADR = 0x0A,
    SMPP_ESME_RINVDSTADR = 0x0B,
    SMPP_ESME_RBINDFAIL = 0x0D,
    SMPP_ESME_RINVPASWD = 0x0E,
    SMPP_ESME_RINVSYSID = 0x0F,
    SMPP_ESME_RMSGQFUL = 0x14,
    SMPP_ESME_RINVSERTYP = 0x15,
    SMPP_ESME_RINVESMCLASS = 0x43,
    SMPP_ESME_RINVSYSTYP = 0x53,
    SMPP_ESME_RTHROTTLED = 0x58,
    SMPP_ESME_RX_T_APPN = 0x64,
    SMPP_ESME_RINVOPTPARSTREAM = 0xC0,
    SMPP_ESME_RINVPARLEN = 0xC2,
    SMPP_ESME_RINVOPTPARAMVAL = 0xC4,
    SMPP_ESME_RUNKNOWNERR = 0xFF
};

/* data_coding values used by raia */
#define SMPP_DC_DEFAULT 0x00 /* SMSC default alphabet: GSM 03.38, unpacked */
#define SMPP_DC_LATIN1 0x03
#define SMPP_DC_UCS2 0x08

/* message_state values (TLV 0x0427) in delivery receipts */
enum smpp_msg_state {
    SMPP_MSG_STATE_ENROUTE = 1,
    SMPP_MSG_STATE_DELIVERED = 2,
    SMPP_MSG_STATE_EXPIRED = 3,
    SMPP_MSG_STATE_DELETED = 4,
    SMPP_MSG_STATE_UNDELIVERABLE = 5,
    SMPP_MSG_STATE_ACCEPTED = 6,
    SMPP_MSG_STATE_UNKNOWN = 7,
    SMPP_MSG_STATE_REJECTED = 8
};

/* ussd_service_op values (SMPP 3.4 §5.3.2.44) */
enum smpp_ussd_op {
    SMPP_USSD_PSSD_IND = 0,
    SMPP_USSD_PSSR_IND = 1,
    SMPP_USSD_USSR_REQ = 2,
    SMPP_USSD_USSN_REQ = 3,
    SMPP_USSD_PSSD_RESP = 16,
    SMPP_USSD_PSSR_RESP = 17,
    SMPP_USSD_USSR_CONF = 18,
    SMPP_USSD_USSN_CONF = 19
};

struct smpp_header {
    uint32_t command_length;
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence_number;
};

/** bind_transmitter / bind_receiver / bind_transceiver body. */
struct smpp_bind {
    char system_id[16];
    char password[9];
    char system_type[13];
    uint8_t interface_version; /* 0x34 */
    uint8_t addr_ton, addr_npi;
    char address_range[41];
};

/**
 * submit_sm / deliver_sm body, with the optional parameters raia uses.
 *
 * A struct cleared with memset() and ussd_service_op = its_session_info = -1
 * carries no TLV at all: every other optional parameter has a has_* flag (or
 * an empty string) that is 0 after the memset.
 *
 * message_payload: the decoder moves a payload of up to 254 octets into
 * short_message (has_payload stays 0), so an SMSC that sends MO text that way
 * needs no special case; only a longer one is left in payload[] with
 * sm_length 0. The encoder sends payload[] when has_payload is set, and then
 * sm_length must be 0 (SMPP 3.4 allows one or the other).
 */
struct smpp_sm {
    char service_type[6];
    uint8_t source_addr_ton, source_addr_npi;
    char source_addr[21];
    uint8_t dest_addr_ton, dest_addr_npi;
    char destination_addr[21];
    uint8_t esm_class, protocol_id, priority_flag, registered_delivery, data_coding;
    uint8_t short_message[255]; /* not NUL-terminated: GSM '@' is 0x00 */
    size_t sm_length;
    int ussd_service_op;  /* TLV 0x0501, 0..255, or -1 when absent */
    int its_session_info; /* TLV 0x1383, 0..65535, or -1 when absent */
    /* sar_msg_ref_num 0x020C, sar_total_segments 0x020E, sar_segment_seqnum
     * 0x020F: has_sar is set only when all three came, each with its length */
    int has_sar;
    uint16_t sar_msg_ref_num;
    uint8_t sar_total_segments, sar_segment_seqnum;
    int has_payload; /* TLV 0x0424 message_payload, see above */
    size_t payload_len;
    uint8_t payload[SMPP_PAYLOAD_MAX];
    /* delivery receipts: TLV 0x001E (C-string, "" when absent) and TLV 0x0427 */
    char receipted_message_id[SMPP_MSG_ID_MAX];
    int has_message_state;
    uint8_t message_state; /* enum smpp_msg_state */
};

/**
 * Read the header from the first 16 bytes of buf (n >= 16). Returns 0, or
 * -RAIA_EPROTO if command_length < 16 or > SMPP_PDU_MAX (answer generic_nack
 * ESME_RINVCMDLEN and close: framing is lost).
 */
int smpp_header_parse(const uint8_t *buf, size_t n, struct smpp_header *h);

/** The sequence number after seq: 1..0x7FFFFFFF, wrapping to 1 (research S4). */
uint32_t smpp_seq_next(uint32_t seq);

/** 1 for the SMPP_* command ids above, else 0 (answer generic_nack ESME_RINVCMDID). */
int smpp_cmd_known(uint32_t command_id);
/** "submit_sm", "deliver_sm_resp", ... or "unknown". */
const char *smpp_cmd_name(uint32_t command_id);

/* Encoders write one complete PDU into buf and return its length, or
 * -RAIA_EINVAL (a field does not fit) / -RAIA_EFULL (buf too small). */

long smpp_encode_bind(uint32_t command_id, uint32_t seq, const struct smpp_bind *b, uint8_t *buf,
                      size_t size);
/** bind_*_resp with system_id; for status != 0 the body is omitted. */
long smpp_encode_bind_resp(uint32_t command_id, uint32_t status, uint32_t seq,
                           const char *system_id, uint8_t *buf, size_t size);
/**
 * submit_sm / deliver_sm. TLVs on the wire: ussd_service_op, its_session_info,
 * then sar_msg_ref_num, sar_total_segments, sar_segment_seqnum,
 * message_payload, receipted_message_id, message_state (each when set).
 * -RAIA_EINVAL also for a payload with sm_length > 0 or over
 * SMPP_PAYLOAD_MAX, and for SAR TLVs with UDHI in esm_class.
 */
long smpp_encode_sm(uint32_t command_id, uint32_t seq, const struct smpp_sm *sm, uint8_t *buf,
                    size_t size);
/** submit_sm_resp / deliver_sm_resp; message_id may be NULL or "" (deliver_sm_resp). */
long smpp_encode_sm_resp(uint32_t command_id, uint32_t status, uint32_t seq, const char *message_id,
                         uint8_t *buf, size_t size);
/** A header-only PDU: enquire_link(_resp), unbind(_resp), generic_nack. */
long smpp_encode_header_only(uint32_t command_id, uint32_t status, uint32_t seq, uint8_t *buf,
                             size_t size);

/* Decoders take one complete PDU (len == its command_length). On failure they
 * return -RAIA_EPROTO and set *esme_status to the status to answer with. */

int smpp_decode_bind(const uint8_t *pdu, size_t len, struct smpp_bind *out, uint32_t *esme_status);
/** Accepts the 16-byte and 17-byte (lone NUL) error forms real SMSCs send. */
int smpp_decode_bind_resp(const uint8_t *pdu, size_t len, char system_id[16]);
int smpp_decode_sm(const uint8_t *pdu, size_t len, struct smpp_sm *out, uint32_t *esme_status);
/** Accepts the body-less and lone-NUL forms of an error resp; message_id "" then. */
int smpp_decode_sm_resp(const uint8_t *pdu, size_t len, char message_id[65]);

#endif
