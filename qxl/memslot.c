/* memslot: the guest memory slot table of one QXL device and QXLPHYSICAL -> host translation. */
#include "qxl/memslot.h"

#include <glib.h>

typedef struct QxlMemslot {
    bool active;
    uint32_t generation;
    uint64_t virt_start;
    uint64_t virt_end;   /* exclusive */
    uint64_t addr_delta;
} QxlMemslot;

struct QxlMemslots {
    uint32_t num_groups;
    uint32_t num_slots;
    uint8_t generation_bits;
    uint8_t id_bits;
    uint8_t offset_bits;     /* 64 - id_bits - generation_bits, >= QXL_MEMSLOTS_MIN_OFFSET_BITS */
    QxlMemslot *slots;       /* num_groups * num_slots, group-major */
};

/* (1 << bits) - 1 without the undefined shift by 64. */
static uint64_t low_mask(uint8_t bits)
{
    return bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

QxlMemslots *qxl_memslots_new(uint32_t num_groups, uint32_t num_slots, uint8_t generation_bits,
                              uint8_t id_bits)
{
    if (num_groups == 0 || num_groups > QXL_MEMSLOTS_MAX_GROUPS ||
        num_slots == 0 || num_slots > QXL_MEMSLOTS_MAX_SLOTS) {
        return NULL;
    }
    /* Generations are compared as uint32_t, and the offset needs its minimum width. */
    if (generation_bits > 32 ||
        (uint32_t)generation_bits + id_bits > 64 - QXL_MEMSLOTS_MIN_OFFSET_BITS) {
        return NULL;
    }
    /* Every slot must be addressable by the id bits. */
    if ((uint64_t)num_slots - 1 > low_mask(id_bits)) {
        return NULL;
    }
    QxlMemslots *m = g_new0(QxlMemslots, 1);
    m->num_groups = num_groups;
    m->num_slots = num_slots;
    m->generation_bits = generation_bits;
    m->id_bits = id_bits;
    m->offset_bits = (uint8_t)(64 - generation_bits - id_bits);
    m->slots = g_new0(QxlMemslot, (size_t)num_groups * num_slots);
    return m;
}

void qxl_memslots_free(QxlMemslots *m)
{
    if (!m) {
        return;
    }
    g_free(m->slots);
    g_free(m);
}

uint32_t qxl_memslots_num_groups(const QxlMemslots *m)
{
    return m->num_groups;
}

uint32_t qxl_memslots_num_slots(const QxlMemslots *m)
{
    return m->num_slots;
}

static QxlMemslot *slot_at(const QxlMemslots *m, uint32_t group_id, uint32_t slot_id)
{
    return &m->slots[(size_t)group_id * m->num_slots + slot_id];
}

bool qxl_memslots_add(QxlMemslots *m, uint32_t group_id, uint32_t slot_id, uint32_t generation,
                      uint64_t virt_start, uint64_t virt_end, uint64_t addr_delta)
{
    if (group_id >= m->num_groups || slot_id >= m->num_slots ||
        generation > low_mask(m->generation_bits) || virt_start > virt_end) {
        return false;
    }
    *slot_at(m, group_id, slot_id) = (QxlMemslot) {
        .active = true,
        .generation = generation,
        .virt_start = virt_start,
        .virt_end = virt_end,
        .addr_delta = addr_delta,
    };
    return true;
}

void qxl_memslots_del(QxlMemslots *m, uint32_t group_id, uint32_t slot_id)
{
    if (group_id >= m->num_groups || slot_id >= m->num_slots) {
        return;
    }
    *slot_at(m, group_id, slot_id) = (QxlMemslot) { .active = false };
}

void qxl_memslots_reset(QxlMemslots *m)
{
    for (size_t i = 0; i < (size_t)m->num_groups * m->num_slots; i++) {
        m->slots[i] = (QxlMemslot) { .active = false };
    }
}

QxlStatus qxl_memslots_translate(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                 uint64_t size, const void **host_ptr)
{
    *host_ptr = NULL;
    if (group_id >= m->num_groups) {
        return QXL_STATUS_BAD_GROUP;
    }
    /* id_bits == 0 means every address is in slot 0 (shift by 64 would be undefined). */
    uint64_t slot_id = m->id_bits ? addr >> (64 - m->id_bits) : 0;
    if (slot_id >= m->num_slots) {
        return QXL_STATUS_BAD_SLOT;
    }
    const QxlMemslot *slot = slot_at(m, group_id, (uint32_t)slot_id);
    if (!slot->active) {
        return QXL_STATUS_SLOT_NOT_ACTIVE;
    }
    uint64_t generation = m->generation_bits
                          ? (addr >> m->offset_bits) & low_mask(m->generation_bits) : 0;
    if (generation != slot->generation) {
        return QXL_STATUS_BAD_GENERATION;
    }
    uint64_t offset = addr & low_mask(m->offset_bits);
    /* Modular on purpose: compat mode uses delta = virt_start - guest physical base, which may
     * "wrap"; whatever results is then checked against the slot's range. */
    uint64_t host = offset + slot->addr_delta;
    if (size > UINT64_MAX - host) {
        return QXL_STATUS_OVERFLOW;
    }
    if (host < slot->virt_start || host + size > slot->virt_end) {
        return QXL_STATUS_OUT_OF_BOUNDS;
    }
    if (host == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
#if UINTPTR_MAX < UINT64_MAX
    if (host + size - 1 > UINTPTR_MAX) {
        return QXL_STATUS_OUT_OF_BOUNDS;
    }
#endif
    *host_ptr = (const void *)(uintptr_t)host;
    return QXL_STATUS_OK;
}
