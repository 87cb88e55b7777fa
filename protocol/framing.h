/* framing: the per-message header after the link stage (mini 6-byte or full 18-byte form). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/wire.h"

#define FRAMING_MINI_HEADER_SIZE 6u    /* sizeof(SpiceMiniDataHeader): type u16, size u32 */
#define FRAMING_FULL_HEADER_SIZE 18u   /* sizeof(SpiceDataHeader): serial u64, type, size, sub_list */

/*
 * One message header. With the mini header, serial and sub_list are not on the wire: parsing
 * sets them to 0 and writing ignores them (serials are then implicit: each side counts the
 * messages it sends / receives from 1). @size is the body size that follows the header; the
 * caller checks it against its own maximum before reading the body.
 */
typedef struct FrameHeader {
    uint64_t serial;
    uint16_t type;
    uint32_t size;
    uint32_t sub_list;
} FrameHeader;

/* 6 for mini, 18 for full. */
size_t framing_header_size(bool mini);

/* Parses the header at the start of @buf. False (and @hdr zeroed) if @len < the header size. */
bool framing_parse_header(const uint8_t *buf, size_t len, bool mini, FrameHeader *hdr);

/* Appends the header (6 or 18 bytes). */
void framing_write_header(WireWriter *w, bool mini, const FrameHeader *hdr);
