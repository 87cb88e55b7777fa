/* qxl-status: the result of every memslot translation and QXL command parse, with a printable name. */
#pragma once

/*
 * Errors are values: each parse or translation returns one of these. Everything except
 * QXL_STATUS_OK means "the guest sent something we will not use"; the caller logs one line with
 * qxl_status_to_string() and drops (and releases) the command.
 */
typedef enum QxlStatus {
    QXL_STATUS_OK = 0,
    QXL_STATUS_BAD_GROUP,          /* memslot group id >= number of groups */
    QXL_STATUS_BAD_SLOT,           /* slot id (top bits of the address) >= number of slots */
    QXL_STATUS_SLOT_NOT_ACTIVE,    /* the slot was never added or was deleted */
    QXL_STATUS_BAD_GENERATION,     /* address generation bits differ from the slot's */
    QXL_STATUS_OUT_OF_BOUNDS,      /* [host, host+size) is not inside the slot */
    QXL_STATUS_OVERFLOW,           /* arithmetic on guest values would wrap */
    QXL_STATUS_NULL_POINTER,       /* a required guest address translated to host address 0 */
    QXL_STATUS_BAD_TYPE,           /* unknown command / draw / cursor / image / clip / brush type */
    QXL_STATUS_UNSUPPORTED,        /* valid but not handled by this server (yet) */
    QXL_STATUS_BAD_SURFACE_ID,     /* surface id >= limits->n_surfaces */
    QXL_STATUS_BAD_RECT,           /* left > right or top > bottom, or a rect outside its image */
    QXL_STATUS_BAD_FORMAT,         /* unknown bitmap / surface format */
    QXL_STATUS_BAD_SIZE,           /* zero or inconsistent width / height / stride */
    QXL_STATUS_TOO_LARGE,          /* exceeds a QxlParseLimits cap */
    QXL_STATUS_CHUNK_LOOP,         /* a QXLDataChunk chain visits the same chunk twice */
    QXL_STATUS_TOO_MANY_CHUNKS,    /* a chunk chain is longer than limits->max_chunks */
    QXL_STATUS_DATA_SIZE_MISMATCH, /* chunk data total differs from what the object needs */
    QXL_STATUS_MISSING_PALETTE,    /* a palette format bitmap without a palette */
    QXL_STATUS_NO_MEMORY,          /* allocating our owned copy failed */
} QxlStatus;

/* A static, human readable name ("out of bounds"); never NULL, also for unknown values. */
const char *qxl_status_to_string(QxlStatus status);
