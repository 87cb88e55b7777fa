/* fuzz-client-main: hostile main-channel messages through the client's main-parse (what session.c acts on). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/main-parse.h"

/*
 * Input: records [type offset u8][length u16 LE][body]; the message type is
 * SPICE_MSG_MAIN_MIGRATE_BEGIN + offset % 20 (every main message and a few past them). Checks
 * what session.c relies on: every pointer handed out lies inside the body, counts fit it,
 * names end in their NUL, and a malformed body always says why.
 */
static bool inside(const void *p, size_t n, const uint8_t *body, size_t size)
{
    const uint8_t *b = p;
    return b >= body && n <= size && (size_t)(b - body) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (size - at >= 3) {
        uint16_t type = (uint16_t)(SPICE_MSG_MAIN_MIGRATE_BEGIN + data[at] % 20);
        size_t len = (size_t)data[at + 1] | (size_t)data[at + 2] << 8;
        at += 3;
        if (len > size - at) {
            len = size - at;
        }
        uint8_t *body = g_malloc(len ? len : 1);
        memcpy(body, data + at, len);
        MainMessage msg;
        const char *problem = NULL;
        MainParseResult r = main_parse(type, body, len, &msg, &problem);
        if (r == MAIN_PARSE_MALFORMED && problem == NULL) {
            abort();
        }
        if (r == MAIN_PARSE_OK) {
            switch (type) {
            case SPICE_MSG_MAIN_CHANNELS_LIST:
                if (msg.u.channels.count && !inside(msg.u.channels.pairs,
                                                    (size_t)msg.u.channels.count * 2, body, len)) {
                    abort();
                }
                break;
            case SPICE_MSG_MAIN_NAME:
                if (!inside(msg.u.name.name, msg.u.name.length + 1, body, len) ||
                    strlen(msg.u.name.name) != msg.u.name.length) {
                    abort();
                }
                break;
            case SPICE_MSG_MAIN_UUID:
                if (!inside(msg.u.uuid, 16, body, len)) {
                    abort();
                }
                break;
            default:
                break;
            }
        }
        g_free(body);
        at += len;
    }
    return 0;
}
