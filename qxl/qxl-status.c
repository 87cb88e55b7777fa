/* qxl-status: printable names for QxlStatus values, used in the worker's one-line drop logs. */
#include "qxl/qxl-status.h"

const char *qxl_status_to_string(QxlStatus status)
{
    switch (status) {
    case QXL_STATUS_OK: return "ok";
    case QXL_STATUS_BAD_GROUP: return "bad memslot group";
    case QXL_STATUS_BAD_SLOT: return "bad memslot id";
    case QXL_STATUS_SLOT_NOT_ACTIVE: return "memslot not active";
    case QXL_STATUS_BAD_GENERATION: return "wrong memslot generation";
    case QXL_STATUS_OUT_OF_BOUNDS: return "address range outside its memslot";
    case QXL_STATUS_OVERFLOW: return "size arithmetic overflow";
    case QXL_STATUS_NULL_POINTER: return "null pointer";
    case QXL_STATUS_BAD_TYPE: return "unknown type";
    case QXL_STATUS_UNSUPPORTED: return "unsupported";
    case QXL_STATUS_BAD_SURFACE_ID: return "surface id out of range";
    case QXL_STATUS_BAD_RECT: return "invalid rectangle";
    case QXL_STATUS_BAD_FORMAT: return "unknown format";
    case QXL_STATUS_BAD_SIZE: return "inconsistent width/height/stride";
    case QXL_STATUS_TOO_LARGE: return "exceeds a size limit";
    case QXL_STATUS_CHUNK_LOOP: return "data chunk chain loops";
    case QXL_STATUS_TOO_MANY_CHUNKS: return "too many data chunks";
    case QXL_STATUS_DATA_SIZE_MISMATCH: return "data size mismatch";
    case QXL_STATUS_MISSING_PALETTE: return "missing palette";
    case QXL_STATUS_NO_MEMORY: return "out of memory";
    }
    return "unknown status";
}
