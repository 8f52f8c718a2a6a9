/*
 * sim_record.c - writes the JSON-lines PDU record (see sim_record.h and
 * docs/simulators.md for the fields). Strings are JSON-escaped here; the
 * file is flushed after each line so tests never see half a record.
 */
#include "sim_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim_sm.h"

struct sim_record {
    FILE *f;
};

struct sim_record *sim_record_open(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return NULL;
    struct sim_record *r = malloc(sizeof *r);
    if (!r) {
        fclose(f);
        return NULL;
    }
    r->f = f;
    return r;
}

void sim_record_free(struct sim_record *r)
{
    if (!r)
        return;
    fclose(r->f);
    free(r);
}

/* Writes ,"key":"value" with JSON escapes; bytes >= 0x80 pass through (UTF-8). */
static void put_str(FILE *f, const char *key, const char *v)
{
    fprintf(f, ",\"%s\":\"", key);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void sim_record_pdu(struct sim_record *r, const char *dir, int conn, const struct smpp_header *h,
                    const struct smpp_sm *sm)
{
    if (!r)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(r->f,
            "{\"ts\":%lld.%03ld,\"dir\":\"%s\",\"cmd\":\"%s\",\"seq\":%lu,\"status\":%lu,"
            "\"conn\":%d",
            (long long)ts.tv_sec, ts.tv_nsec / 1000000, dir, smpp_cmd_name(h->command_id),
            (unsigned long)h->sequence_number, (unsigned long)h->command_status, conn);
    if (sm) {
        char text[SIM_SM_TEXT_MAX];
        sim_sm_text(sm, text);
        put_str(r->f, "service_type", sm->service_type);
        put_str(r->f, "source_addr", sm->source_addr);
        put_str(r->f, "destination_addr", sm->destination_addr);
        fprintf(r->f,
                ",\"data_coding\":%u,\"esm_class\":%u,\"ussd_service_op\":%d,"
                "\"its_session_info\":%d",
                sm->data_coding, sm->esm_class, sm->ussd_service_op, sm->its_session_info);
        put_str(r->f, "text", text);
        fputs(",\"sm_hex\":\"", r->f);
        for (size_t i = 0; i < sm->sm_length; i++)
            fprintf(r->f, "%02x", sm->short_message[i]);
        fputc('"', r->f);
    }
    fputs("}\n", r->f);
    fflush(r->f);
}
