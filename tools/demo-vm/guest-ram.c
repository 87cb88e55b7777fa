/* guest-ram: a block of "guest memory" registered as one QXL memory slot, with a thread-safe allocator. */
#include "guest-ram.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* The first page is never handed out, so no valid address is 0 (a NULL QXLPHYSICAL). */
#define GUEST_RAM_RESERVED 4096u
#define GUEST_RAM_ALIGN 16u

typedef struct FreeRange {
    size_t offset;
    size_t size;
} FreeRange;

struct GuestRam {
    uint8_t *base;
    size_t size;
    uint8_t slot_id;
    uint8_t generation;
    GMutex lock;
    /* Free ranges sorted by offset, never adjacent (merged on free). Guarded by lock. */
    GArray *free_ranges;
    size_t used;
};

GuestRam *guest_ram_create(size_t size, uint8_t slot_id, uint8_t generation)
{
    if (size <= GUEST_RAM_RESERVED || size > ((uint64_t)1 << (64 - GUEST_RAM_SLOT_ID_BITS - GUEST_RAM_SLOT_GEN_BITS))) {
        return NULL;
    }
    GuestRam *ram = g_new0(GuestRam, 1);
    /* Page-aligned like a BAR, so offsets and host addresses keep the same alignment. */
    if (posix_memalign((void **)&ram->base, 4096, size) != 0) {
        g_free(ram);
        return NULL;
    }
    memset(ram->base, 0, size);
    ram->size = size;
    ram->slot_id = slot_id;
    ram->generation = generation;
    g_mutex_init(&ram->lock);
    ram->free_ranges = g_array_new(FALSE, FALSE, sizeof(FreeRange));
    FreeRange all = { GUEST_RAM_RESERVED, size - GUEST_RAM_RESERVED };
    g_array_append_val(ram->free_ranges, all);
    return ram;
}

void guest_ram_destroy(GuestRam *ram)
{
    if (ram == NULL) {
        return;
    }
    g_array_free(ram->free_ranges, TRUE);
    g_mutex_clear(&ram->lock);
    free(ram->base);
    g_free(ram);
}

uint8_t *guest_ram_base(const GuestRam *ram)
{
    return ram->base;
}

size_t guest_ram_size(const GuestRam *ram)
{
    return ram->size;
}

uint8_t guest_ram_slot_id(const GuestRam *ram)
{
    return ram->slot_id;
}

uint8_t guest_ram_generation(const GuestRam *ram)
{
    return ram->generation;
}

static size_t round_up_alloc(size_t size)
{
    if (size == 0) {
        size = 1;
    }
    if (size > SIZE_MAX - GUEST_RAM_ALIGN) {
        return 0;
    }
    return (size + GUEST_RAM_ALIGN - 1) & ~(size_t)(GUEST_RAM_ALIGN - 1);
}

void *guest_ram_alloc(GuestRam *ram, size_t size, size_t *offset)
{
    size_t need = round_up_alloc(size);
    if (need == 0) {
        return NULL;
    }
    void *ptr = NULL;
    g_mutex_lock(&ram->lock);
    for (guint i = 0; i < ram->free_ranges->len; i++) {
        FreeRange *range = &g_array_index(ram->free_ranges, FreeRange, i);
        if (range->size < need) {
            continue;
        }
        *offset = range->offset;
        range->offset += need;
        range->size -= need;
        if (range->size == 0) {
            g_array_remove_index(ram->free_ranges, i);
        }
        ram->used += need;
        ptr = ram->base + *offset;
        break;
    }
    g_mutex_unlock(&ram->lock);
    if (ptr != NULL) {
        memset(ptr, 0, need);
    }
    return ptr;
}

void guest_ram_free(GuestRam *ram, size_t offset, size_t size)
{
    size_t len = round_up_alloc(size);
    g_mutex_lock(&ram->lock);
    GArray *ranges = ram->free_ranges;
    /* First range that starts after the freed one: the freed range goes just before it. */
    guint pos = 0;
    while (pos < ranges->len && g_array_index(ranges, FreeRange, pos).offset < offset) {
        pos++;
    }
    bool merged = false;
    if (pos > 0) {
        FreeRange *prev = &g_array_index(ranges, FreeRange, pos - 1);
        if (prev->offset + prev->size == offset) {
            prev->size += len;
            merged = true;
            pos--;
        }
    }
    if (!merged) {
        FreeRange range = { offset, len };
        g_array_insert_val(ranges, pos, range);
    }
    if (pos + 1 < ranges->len) {
        FreeRange *cur = &g_array_index(ranges, FreeRange, pos);
        FreeRange *next = &g_array_index(ranges, FreeRange, pos + 1);
        if (cur->offset + cur->size == next->offset) {
            cur->size += next->size;
            g_array_remove_index(ranges, pos + 1);
        }
    }
    ram->used -= len;
    g_mutex_unlock(&ram->lock);
}

size_t guest_ram_used(GuestRam *ram)
{
    g_mutex_lock(&ram->lock);
    size_t used = ram->used;
    g_mutex_unlock(&ram->lock);
    return used;
}

QXLPHYSICAL guest_ram_phys(const GuestRam *ram, size_t offset)
{
    const unsigned gen_shift = 64 - GUEST_RAM_SLOT_ID_BITS - GUEST_RAM_SLOT_GEN_BITS;
    const unsigned id_shift = 64 - GUEST_RAM_SLOT_ID_BITS;
    return ((uint64_t)ram->slot_id << id_shift) | ((uint64_t)ram->generation << gen_shift) | offset;
}

void *guest_ram_ptr(const GuestRam *ram, QXLPHYSICAL phys)
{
    if (phys == 0 || (phys & ~(QXLPHYSICAL)0 << (64 - GUEST_RAM_SLOT_ID_BITS - GUEST_RAM_SLOT_GEN_BITS))
        != guest_ram_phys(ram, 0)) {
        return NULL;
    }
    uint64_t offset = phys - guest_ram_phys(ram, 0);
    if (offset >= ram->size) {
        return NULL;
    }
    return ram->base + offset;
}
