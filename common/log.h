/**
 * log.h - leveled key=value logging to stderr.
 *
 * log_at() tests the level before it evaluates its arguments (Redis
 * serverLog), so a disabled debug line costs one comparison. Messages are
 * written as `ts level=warn mod=smpp <message>`; callers write the message as
 * key=value fields. Never pass a raw MSISDN: log the pseudonym (DESIGN rule 1).
 * Used by gateway/, storage/ and the programs; flows/ and codecs never log.
 */
#ifndef RAIA_LOG_H
#define RAIA_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

extern enum log_level log_min_level;

void log_write(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Read a level name (debug|info|warn|error) into *out; returns 0 or -1 for an unknown name. */
int log_level_parse(const char *name, enum log_level *out);

#define log_at(level, module, ...)                                                                 \
    do {                                                                                           \
        if ((level) >= log_min_level)                                                              \
            log_write((level), (module), __VA_ARGS__);                                             \
    } while (0)

#endif
