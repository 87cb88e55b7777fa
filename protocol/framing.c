/* framing: the per-message header after the link stage (mini 6-byte or full 18-byte form). */
#include "protocol/framing.h"

#include <string.h>

#include <glib.h>
#include <spice/protocol.h>

G_STATIC_ASSERT(sizeof(SpiceMiniDataHeader) == FRAMING_MINI_HEADER_SIZE);
G_STATIC_ASSERT(sizeof(SpiceDataHeader) == FRAMING_FULL_HEADER_SIZE);

size_t framing_header_size(bool mini)
{
    return mini ? FRAMING_MINI_HEADER_SIZE : FRAMING_FULL_HEADER_SIZE;
}

bool framing_parse_header(const uint8_t *buf, size_t len, bool mini, FrameHeader *hdr)
{
    memset(hdr, 0, sizeof(*hdr));
    if (buf == NULL || len < framing_header_size(mini)) {
        return false;
    }
    WireReader r;
    wire_reader_init(&r, buf, len);
    if (!mini) {
        hdr->serial = wire_read_u64(&r);
    }
    hdr->type = wire_read_u16(&r);
    hdr->size = wire_read_u32(&r);
    if (!mini) {
        hdr->sub_list = wire_read_u32(&r);
    }
    return wire_reader_ok(&r);
}

void framing_write_header(WireWriter *w, bool mini, const FrameHeader *hdr)
{
    if (!mini) {
        wire_write_u64(w, hdr->serial);
    }
    wire_write_u16(w, hdr->type);
    wire_write_u32(w, hdr->size);
    if (!mini) {
        wire_write_u32(w, hdr->sub_list);
    }
}
