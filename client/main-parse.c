/* main-parse: the main channel's server messages, every length checked against the body. */
#include "client/main-parse.h"

#include <string.h>

#include <spice/enums.h>

#include "protocol/wire.h"

static MainParseResult malformed(const char **problem, const char *what)
{
    *problem = what;
    return MAIN_PARSE_MALFORMED;
}

MainParseResult main_parse(uint16_t type, const uint8_t *body, size_t size, MainMessage *out,
                           const char **problem)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    memset(out, 0, sizeof(*out));
    out->type = type;
    *problem = NULL;
    switch (type) {
    case SPICE_MSG_MAIN_INIT: {
        MainInit *i = &out->u.init;
        i->session_id = wire_read_u32(&r);
        i->display_channels_hint = wire_read_u32(&r);
        i->supported_mouse_modes = wire_read_u32(&r);
        i->current_mouse_mode = wire_read_u32(&r);
        i->agent_connected = wire_read_u32(&r);
        i->agent_tokens = wire_read_u32(&r);
        i->multi_media_time = wire_read_u32(&r);
        i->ram_hint = wire_read_u32(&r);
        return wire_reader_ok(&r) ? MAIN_PARSE_OK :
               malformed(problem, "MAIN_INIT is shorter than its 32 bytes");
    }
    case SPICE_MSG_MAIN_MOUSE_MODE:
        out->u.mouse_mode.supported = wire_read_u16(&r);
        out->u.mouse_mode.current = wire_read_u16(&r);
        return wire_reader_ok(&r) ? MAIN_PARSE_OK :
               malformed(problem, "MOUSE_MODE is shorter than its 4 bytes");
    case SPICE_MSG_MAIN_MULTI_MEDIA_TIME:
        out->u.multi_media_time = wire_read_u32(&r);
        return wire_reader_ok(&r) ? MAIN_PARSE_OK :
               malformed(problem, "MULTI_MEDIA_TIME is shorter than its 4 bytes");
    case SPICE_MSG_MAIN_CHANNELS_LIST: {
        uint32_t n = wire_read_u32(&r);
        if (!wire_reader_ok(&r) || (uint64_t)n * 2 > wire_reader_remaining(&r)) {
            return malformed(problem, "CHANNELS_LIST counts more channels than it holds");
        }
        out->u.channels.count = n;
        out->u.channels.pairs = wire_read_span(&r, (size_t)n * 2);
        return MAIN_PARSE_OK;
    }
    case SPICE_MSG_MAIN_NAME: {
        uint32_t n = wire_read_u32(&r);
        const uint8_t *name = wire_reader_ok(&r) ? wire_read_span(&r, n) : NULL;
        /* The name's length counts its NUL; a name without one would run off the body. */
        if (name == NULL || n == 0 || name[n - 1] != '\0' || memchr(name, '\0', n) != name + n - 1) {
            return malformed(problem, "NAME is cut off or not a NUL-terminated string");
        }
        out->u.name.name = (const char *)name;
        out->u.name.length = n - 1;
        return MAIN_PARSE_OK;
    }
    case SPICE_MSG_MAIN_UUID:
        out->u.uuid = wire_read_span(&r, 16);
        return out->u.uuid ? MAIN_PARSE_OK : malformed(problem, "UUID is shorter than 16 bytes");
    case SPICE_MSG_MAIN_AGENT_TOKEN:
    case SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS:
        out->u.tokens = wire_read_u32(&r);
        return wire_reader_ok(&r) ? MAIN_PARSE_OK :
               malformed(problem, "an agent token message is shorter than 4 bytes");
    case SPICE_MSG_MAIN_AGENT_DISCONNECTED:
        out->u.error_code = wire_read_u32(&r);
        return wire_reader_ok(&r) ? MAIN_PARSE_OK :
               malformed(problem, "AGENT_DISCONNECTED is shorter than 4 bytes");
    case SPICE_MSG_MAIN_AGENT_CONNECTED:
        return MAIN_PARSE_OK;
    default:
        return MAIN_PARSE_IGNORED;   /* migration, agent data: not acted on by this client */
    }
}
