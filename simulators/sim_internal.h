/*
 * sim_internal.h - the state raia-smsc-sim shares between its files.
 *
 * One struct sim, owned by main() in smsc_sim.c, holds the event_base, both
 * listeners, the bound gateway connections (sim_esme.c), the control
 * clients (sim_control.c), the phones and their USSD sessions
 * (sim_phones.c), the record file (sim_record.c), the script
 * (sim_script.c) and the faults asked for on the control port
 * (sim_faults.c). Private to simulators/.
 */
#ifndef RAIA_SIM_INTERNAL_H
#define RAIA_SIM_INTERNAL_H

#include <stddef.h>

struct event_base;
struct evconnlistener;
struct sim_esme;
struct sim_client;
struct sim_phone;
struct sim_record;
struct sim_script;
struct sms_concat;

/** Command-line options; strings are borrowed from argv. */
struct sim_options {
    const char *bind_addr;
    int port, control_port;
    const char *system_id, *password;
    const char *script_path, *record_path; /* NULL when not given */
};

struct sim {
    struct event_base *base;
    const struct sim_options *opt;
    struct evconnlistener *smpp_lis, *ctl_lis;
    struct sim_esme *esmes;     /* gateway connections, newest first, bound or not */
    int last_conn_id;           /* numbers the gateway connections in the log */
    struct sim_client *clients; /* control clients, and the script's stdout client */
    struct sim_phone **phones;  /* every msisdn seen on the control port */
    size_t n_phones, cap_phones;
    unsigned last_session;       /* USSD session numbers cycle through 1..255 */
    unsigned long next_msg_id;   /* submit_sm_resp message ids: 1, 2, 3, ... */
    struct sim_record *record;   /* NULL without --record */
    struct sim_script *script;   /* NULL without --script */
    struct sms_concat *mt_parts; /* the gateway's long MT SMS being put together */
    unsigned mo_ref;             /* concatenation reference of the next long MO SMS */
    /* Faults on command (sim_faults.c): the next throttle_left submit_sm get
     * ESME_RTHROTTLED, the next noresp_left get no answer at all; with dup
     * set every MO deliver_sm goes out twice. With slow_ms > 0 the answers
     * to the next slow_left submit_sm (-1: all) leave slow_ms late. */
    int throttle_left, noresp_left, dup;
    int slow_ms, slow_left;
};

#endif
