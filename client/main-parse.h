/* main-parse: bounds-checked parsing of the main channel's server messages (client side). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * main_parse() reads one main-channel message body (never outside @body/@size) into a
 * MainMessage. Result: MAIN_PARSE_OK (the fields of that type are set), MAIN_PARSE_MALFORMED
 * (too short, a count larger than the body, a name without its terminator: *problem says what,
 * in words, a static string) or MAIN_PARSE_IGNORED (a type the client does not act on:
 * migration, agent data). Pointers in MainMessage point into @body.
 */
typedef enum MainParseResult {
    MAIN_PARSE_OK,
    MAIN_PARSE_MALFORMED,
    MAIN_PARSE_IGNORED,
} MainParseResult;

#define MAIN_INIT_SIZE 32u

typedef struct MainInit {
    uint32_t session_id;
    uint32_t display_channels_hint;
    uint32_t supported_mouse_modes;
    uint32_t current_mouse_mode;
    uint32_t agent_connected;
    uint32_t agent_tokens;
    uint32_t multi_media_time;
    uint32_t ram_hint;
} MainInit;

typedef struct MainMessage {
    uint16_t type;                 /* SPICE_MSG_MAIN_* */
    union {
        MainInit init;                                  /* INIT */
        struct { uint16_t supported, current; } mouse_mode;   /* MOUSE_MODE */
        uint32_t multi_media_time;                      /* MULTI_MEDIA_TIME */
        struct {
            uint32_t count;
            const uint8_t *pairs;  /* count (type u8, id u8) pairs, inside the body */
        } channels;                                     /* CHANNELS_LIST */
        struct {
            const char *name;      /* NUL-terminated inside the body */
            uint32_t length;       /* bytes before the NUL */
        } name;                                         /* NAME */
        const uint8_t *uuid;       /* 16 bytes inside the body; UUID */
        uint32_t tokens;           /* AGENT_TOKEN, AGENT_CONNECTED_TOKENS */
        uint32_t error_code;       /* AGENT_DISCONNECTED */
    } u;
} MainMessage;

MainParseResult main_parse(uint16_t type, const uint8_t *body, size_t size, MainMessage *out,
                           const char **problem);
