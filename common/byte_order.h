/**
 * byte_order.h - 32-bit integers in network (big-endian) byte order, as
 * SMPP headers and PostgreSQL's binary formats carry them.
 */
#ifndef RAIA_BYTE_ORDER_H
#define RAIA_BYTE_ORDER_H

#include <stdint.h>

static inline uint32_t be32_get(const void *at)
{
    const uint8_t *p = at;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void be32_put(void *at, uint32_t v)
{
    uint8_t *p = at;
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
