/* parse-guest: internal helpers of the QXL parsers that copy guest memory (private to qxl/). */
#pragma once

#include <stdint.h>

#include "qxl/qxl-parse.h"

/*
 * Translates [addr, addr + size) and copies it into @dst (size bytes). With @host_out non-NULL
 * also returns the host address (for release_info). The only way parsers read guest structs.
 */
QxlStatus qxl_guest_read(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr, uint64_t size,
                         void *dst, const void **host_out);

/*
 * Copies the data of a QXLDataChunk chain into @dest, which holds exactly @expected bytes.
 * The first chunk header is at @first_offset bytes inside the object at @first_addr (0 for a
 * plain chunk pointer, offsetof(...chunk) for chunks embedded in QXLCursor / QXLClipRects), so
 * the first chunk is bounds-checked as part of that object. Each link: header copied once, then
 * header + data translated as one range; at most limits->max_chunks links; a link seen before
 * -> QXL_STATUS_CHUNK_LOOP; data total != @expected -> QXL_STATUS_DATA_SIZE_MISMATCH
 * (detected as soon as the total exceeds it, before copying).
 */
QxlStatus qxl_guest_gather_chunks(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL first_addr,
                                  uint64_t first_offset, uint64_t expected,
                                  const QxlParseLimits *limits, uint8_t *dest);

/* Our QxlRect from a guest QXLRect (field copy; validity is checked by the caller). */
QxlRect qxl_rect_from_guest(const QXLRect *r);
