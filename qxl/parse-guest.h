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

/* ---- shared by parse-draw.c and parse-draw-ops.c ---- */

/* qxl_parse_image into a new owned QxlImage (*out NULL unless OK). */
QxlStatus qxl_parse_owned_image(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                uint32_t cmd_flags, const QxlParseLimits *limits, QxlImage **out);
/* A brush: NONE, SOLID, or PATTERN with its image parsed. *out is cleared first. */
QxlStatus qxl_parse_brush(const QxlMemslots *m, uint32_t group_id, const QXLBrush *qxl,
                          uint32_t cmd_flags, const QxlParseLimits *limits, QxlBrush *out);
/* A QMask: no bitmap, or a 1-bit bitmap / surface image. *out is cleared first. */
QxlStatus qxl_parse_mask(const QxlMemslots *m, uint32_t group_id, const QXLQMask *qxl,
                         uint32_t cmd_flags, const QxlParseLimits *limits, QxlMask *out);
/* A source image and its area (validated inside the image). */
QxlStatus qxl_parse_source(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL src_bitmap,
                           const QXLRect *src_area, uint32_t cmd_flags,
                           const QxlParseLimits *limits, QxlImage **src, QxlRect *area);
/* TRANSPARENT, ALPHA_BLEND, STROKE, TEXT, COMPOSITE (parse-draw-ops.c). */
QxlStatus qxl_parse_draw_op_more(const QxlMemslots *m, uint32_t group_id, const QXLDrawable *qxl,
                                 uint32_t cmd_flags, const QxlParseLimits *limits,
                                 QxlDrawCommand *out);
void qxl_brush_clear(QxlBrush *brush);
void qxl_mask_clear(QxlMask *mask);
void qxl_path_clear(QxlPath *path);
