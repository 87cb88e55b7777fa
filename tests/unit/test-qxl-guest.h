/* test-qxl-guest: fake guest memory for the qxl tests: one buffer registered as a memslot, a bump allocator. */
#pragma once

#include <string.h>

#include <glib.h>

#include "qxl/memslot.h"

/* Like QEMU: 2 groups x 8 slots, 8 generation bits, 8 id bits; the guest lives in group 1. */
#define FAKE_GROUP 1u
#define FAKE_SLOT 3u
#define FAKE_GENERATION 5u
#define FAKE_SIZE (1u << 20)

typedef struct FakeGuest {
    QxlMemslots *slots;
    uint8_t *mem;      /* FAKE_SIZE bytes, the slot's whole range */
    uint64_t used;     /* bump allocator */
} FakeGuest;

/* The QXLPHYSICAL for an offset into the slot (QEMU style: guest addresses are slot offsets). */
static inline QXLPHYSICAL fake_addr_in(uint32_t slot, uint32_t generation, uint64_t offset)
{
    return ((uint64_t)slot << 56) | ((uint64_t)generation << 48) | offset;
}

static inline QXLPHYSICAL fake_addr(uint64_t offset)
{
    return fake_addr_in(FAKE_SLOT, FAKE_GENERATION, offset);
}

static inline void fake_guest_init(FakeGuest *g)
{
    g->slots = qxl_memslots_new(2, 8, 8, 8);
    g_assert_nonnull(g->slots);
    g->mem = g_malloc0(FAKE_SIZE);
    g->used = 64; /* keep offset 0 unused so no object sits at the slot start by accident */
    uint64_t start = (uint64_t)(uintptr_t)g->mem;
    g_assert_true(qxl_memslots_add(g->slots, FAKE_GROUP, FAKE_SLOT, FAKE_GENERATION, start,
                                   start + FAKE_SIZE, start));
}

static inline void fake_guest_finish(FakeGuest *g)
{
    qxl_memslots_free(g->slots);
    g_free(g->mem);
}

/* Reserves @size zeroed bytes (8-aligned) and returns their offset. */
static inline uint64_t fake_alloc(FakeGuest *g, uint64_t size)
{
    uint64_t off = g->used;
    g->used = (g->used + size + 7) & ~UINT64_C(7);
    g_assert_cmpuint(g->used, <=, FAKE_SIZE);
    return off;
}

static inline void *fake_ptr(FakeGuest *g, uint64_t offset)
{
    return g->mem + offset;
}

/* Copies @size bytes of @obj into new guest memory; returns its offset. */
static inline uint64_t fake_put(FakeGuest *g, const void *obj, uint64_t size)
{
    uint64_t off = fake_alloc(g, size);
    memcpy(fake_ptr(g, off), obj, size);
    return off;
}
