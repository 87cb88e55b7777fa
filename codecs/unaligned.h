/* unaligned: loads and stores of 16/32/64-bit values at any address, in the CPU's byte order (private to codecs/). */
#pragma once

#include <stdint.h>
#include <string.h>

/*
 * memcpy of a fixed size compiles to one plain load or store on every target GCC and Clang
 * know, and is defined for any alignment (a pointer cast is not). The codecs' hot loops read
 * pixels and stream words through these.
 */
static inline uint16_t unaligned_load_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t unaligned_load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t unaligned_load_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void unaligned_store_u16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void unaligned_store_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void unaligned_store_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}
