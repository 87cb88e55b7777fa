/* memslot: the guest memory slot table of one QXL device and QXLPHYSICAL -> host pointer translation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <spice/qxl_dev.h>

#include "qxl/qxl-status.h"

/*
 * A QXLPHYSICAL address is split, from the top bit down, into:
 *   slot id    (id_bits)          index of the slot inside the command's group
 *   generation (generation_bits)  must equal the slot's generation when it was added
 *   offset     (the remaining low bits)
 * host address = offset + slot.addr_delta (modulo 2^64, as upstream), and the whole range [host, host + size) must lie inside
 * [slot.virt_start, slot.virt_end) (virt_end is one past the last usable byte, as QEMU passes it;
 * QEMU's host slot uses virt 0..~0 and delta 0, so raw host pointers pass through unchanged).
 *
 * Threads: a table is used by ONE thread only (the QXL worker): add/del/reset arrive from the host
 * through the worker's dispatcher and run in the worker, like every translation. No locking.
 * Ownership: the table owns nothing but itself; it never dereferences the memory it describes.
 */
typedef struct QxlMemslots QxlMemslots;

/* Upper bounds we accept from QXLDevInitInfo (QEMU uses 2 groups x 8 slots, 8+8 bits). */
#define QXL_MEMSLOTS_MAX_GROUPS 256u
#define QXL_MEMSLOTS_MAX_SLOTS 256u
/* At least this many low address bits must remain for the offset. */
#define QXL_MEMSLOTS_MIN_OFFSET_BITS 32u

/*
 * Creates an empty table (all slots inactive). Returns NULL on nonsense parameters: zero or more
 * than QXL_MEMSLOTS_MAX_* groups/slots, id_bits too small to number num_slots, or
 * generation_bits + id_bits > 64 - QXL_MEMSLOTS_MIN_OFFSET_BITS. Caller owns the result.
 */
QxlMemslots *qxl_memslots_new(uint32_t num_groups, uint32_t num_slots, uint8_t generation_bits,
                              uint8_t id_bits);
/* Frees the table. Accepts NULL. */
void qxl_memslots_free(QxlMemslots *m);

uint32_t qxl_memslots_num_groups(const QxlMemslots *m);
uint32_t qxl_memslots_num_slots(const QxlMemslots *m);

/*
 * Activates (or replaces) a slot. Returns false, changing nothing, when group/slot are out of
 * range, the generation does not fit generation_bits, or virt_start > virt_end. The caller logs.
 */
bool qxl_memslots_add(QxlMemslots *m, uint32_t group_id, uint32_t slot_id, uint32_t generation,
                      uint64_t virt_start, uint64_t virt_end, uint64_t addr_delta);
/* Deactivates a slot; out-of-range ids are ignored. */
void qxl_memslots_del(QxlMemslots *m, uint32_t group_id, uint32_t slot_id);
/* Deactivates every slot of every group (spice_qxl_reset_memslots). */
void qxl_memslots_reset(QxlMemslots *m);

/*
 * Translates @addr of @group_id for an object of @size bytes. On QXL_STATUS_OK *host_ptr is the
 * host address and all @size bytes are inside the slot; otherwise *host_ptr is NULL. A host address
 * of 0 is refused (QXL_STATUS_NULL_POINTER) even inside a slot; optional guest pointers are
 * recognised by the caller as the raw QXLPHYSICAL 0 before translating.
 * (The pointer is const because parsing only reads; surfaces that the server renders into are
 * handed out writable by qxl-parse.h, see QxlSurfaceMemory.)
 */
QxlStatus qxl_memslots_translate(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                 uint64_t size, const void **host_ptr);
