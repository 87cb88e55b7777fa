/* guest-ram: a block of "guest memory" registered as one QXL memory slot, with a thread-safe allocator. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/qxl_dev.h>

/*
 * A GuestRam plays the part of a PCI BAR a QXL guest driver manages: the demo allocates command
 * structures, images and cursor shapes in it, and hands the library QXLPHYSICAL addresses made the
 * way the Linux qxl driver makes them: slot id in the top memslot_id_bits, slot generation in the
 * next memslot_gen_bits, and the byte offset from the start of the slot below.
 *
 * Ownership: the GuestRam owns its memory; pointers returned by guest_ram_alloc point into it and
 * stay valid until the matching guest_ram_free or guest_ram_destroy. Allocation happens on the
 * main thread, freeing on the library's worker thread (release_resource): every function except
 * create/destroy takes the internal lock.
 */
typedef struct GuestRam GuestRam;

/* Bits of a QXLPHYSICAL the demo announces in get_init_info (as QEMU does). */
#define GUEST_RAM_SLOT_ID_BITS 8
#define GUEST_RAM_SLOT_GEN_BITS 8

/* Returns NULL when @size bytes cannot be allocated. @slot_id and @generation go into addresses. */
GuestRam *guest_ram_create(size_t size, uint8_t slot_id, uint8_t generation);
/* Accepts NULL. Only once the library can no longer touch the memory (server destroyed). */
void guest_ram_destroy(GuestRam *ram);

/* The whole block: what spice_qxl_add_memslot is told (virt_start .. virt_end). */
uint8_t *guest_ram_base(const GuestRam *ram);
size_t guest_ram_size(const GuestRam *ram);
uint8_t guest_ram_slot_id(const GuestRam *ram);
uint8_t guest_ram_generation(const GuestRam *ram);

/*
 * Reserves @size bytes (16-byte aligned, never at offset 0 so no address is 0) and stores the
 * offset in @offset. Returns NULL when the block is full (the caller retries later, as a guest
 * waits for releases). The memory is zeroed.
 */
void *guest_ram_alloc(GuestRam *ram, size_t size, size_t *offset);
/* Returns a range from guest_ram_alloc; @size must be the size asked for. */
void guest_ram_free(GuestRam *ram, size_t offset, size_t size);
/* Bytes currently allocated. */
size_t guest_ram_used(GuestRam *ram);

/* The QXLPHYSICAL a guest driver would write for byte @offset of this slot. */
QXLPHYSICAL guest_ram_phys(const GuestRam *ram, size_t offset);
/* The host pointer for an address of this slot, or NULL when it is not one (other slot/generation, out of range). */
void *guest_ram_ptr(const GuestRam *ram, QXLPHYSICAL phys);
