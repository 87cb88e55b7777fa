/* spice-client: the public API of our SPICE client library (session, state, errors, display). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <pixman.h>

/*
 * A session connects to one SPICE server: the main channel first, then every display, cursor and
 * inputs channel the server lists. Everything runs on the thread-default GMainContext of the
 * caller of spice_client_session_connect (non-blocking sockets, g_unix_fd_add); callbacks are
 * called from that context. Errors are values: the session moves to FAILED once and keeps an
 * error code and a message that names the cause and the fix.
 */

typedef enum SpiceClientState {
    SPICE_CLIENT_STATE_NEW = 0,
    SPICE_CLIENT_STATE_CONNECTING,   /* TCP connect / link of the main channel */
    SPICE_CLIENT_STATE_CONNECTED,    /* main channel linked, session id known */
    SPICE_CLIENT_STATE_FAILED,       /* see spice_client_session_get_error */
    SPICE_CLIENT_STATE_CLOSED,       /* closed by spice_client_session_disconnect */
} SpiceClientState;

typedef enum SpiceClientError {
    SPICE_CLIENT_ERROR_NONE = 0,
    SPICE_CLIENT_ERROR_CONNECT,      /* host unknown, connection refused or unreachable */
    SPICE_CLIENT_ERROR_AUTH,         /* the server said PERMISSION_DENIED */
    SPICE_CLIENT_ERROR_PROTOCOL,     /* malformed or unexpected bytes, a link error */
    SPICE_CLIENT_ERROR_TIMEOUT,      /* no answer in time */
    SPICE_CLIENT_ERROR_CLOSED,       /* the server closed the connection */
    SPICE_CLIENT_ERROR_UNSUPPORTED,  /* the server needs something we do not do (SASL) */
    SPICE_CLIENT_ERROR_TLS,          /* certificate not trusted, wrong host, no TLS port, handshake */
} SpiceClientError;

/* "connect", "auth", "protocol", "timeout", "closed", "unsupported", "tls", "none". */
const char *spice_client_error_to_string(SpiceClientError error);

typedef struct SpiceClientSession SpiceClientSession;

typedef enum SpiceClientDisplayEvent {
    SPICE_CLIENT_DISPLAY_SURFACE,    /* a surface was created or destroyed */
    SPICE_CLIENT_DISPLAY_DRAW,       /* something was drawn */
    SPICE_CLIENT_DISPLAY_MARK,       /* the server's MARK: the first full picture is there */
} SpiceClientDisplayEvent;

typedef enum SpiceClientMouseMode {
    SPICE_CLIENT_MOUSE_MODE_SERVER = 1,   /* relative motion; the server draws the pointer */
    SPICE_CLIENT_MOUSE_MODE_CLIENT = 2,   /* absolute positions; the client draws the cursor */
} SpiceClientMouseMode;

typedef struct SpiceClientCallbacks {
    void (*state_changed)(SpiceClientSession *session, SpiceClientState state, void *user);
    void (*display_event)(SpiceClientSession *session, unsigned display_id,
                          SpiceClientDisplayEvent event, void *user);
    /* The cursor's shape, position or visibility changed (see spice_client_session_get_cursor). */
    void (*cursor_changed)(SpiceClientSession *session, void *user);
    /* The server switched the mouse mode (MAIN_INIT or MAIN_MOUSE_MODE). */
    void (*mouse_mode_changed)(SpiceClientSession *session, SpiceClientMouseMode mode, void *user);
} SpiceClientCallbacks;

/* @password may be NULL (an empty ticket is sent, as every client does). Copies its arguments. */
SpiceClientSession *spice_client_session_new(const char *host, uint16_t port, const char *password);
/* Closes every channel; accepts NULL. No callback is called from here. */
void spice_client_session_free(SpiceClientSession *session);
/* @callbacks is copied. */
void spice_client_session_set_callbacks(SpiceClientSession *session,
                                        const SpiceClientCallbacks *callbacks, void *user);
/* Seconds each link stage may take before the session fails with TIMEOUT (default 10). */
void spice_client_session_set_link_timeout(SpiceClientSession *session, unsigned seconds);
/*
 * Asks every display channel for @compression (a SPICE_IMAGE_COMPRESSION_* value, e.g. LZ or
 * QUIC instead of the server's GLZ default) with
 * PREFERRED_COMPRESSION, when the server advertises DISPLAY_CAP_PREF_COMPRESSION. 0 (the
 * default) sends nothing. Call before connecting.
 */
void spice_client_session_set_preferred_compression(SpiceClientSession *session, uint8_t compression);
/* Starts connecting (returns at once). False if already started. */
bool spice_client_session_connect(SpiceClientSession *session);
void spice_client_session_disconnect(SpiceClientSession *session);

SpiceClientState spice_client_session_get_state(const SpiceClientSession *session);
SpiceClientError spice_client_session_get_error(const SpiceClientSession *session);
/* The failure's message (owned by the session), or NULL when there is none. */
const char *spice_client_session_get_error_message(const SpiceClientSession *session);
uint32_t spice_client_session_get_id(const SpiceClientSession *session);
/* The VM's name from the server's MAIN_NAME (owned by the session), NULL until it came. */
const char *spice_client_session_get_name(const SpiceClientSession *session);

/*
 * The primary surface of display channel @display_id (borrowed: valid until the next return to
 * the main loop), or NULL if there is none yet.
 */
pixman_image_t *spice_client_session_get_primary(SpiceClientSession *session, unsigned display_id);
/* True once display @display_id received a MARK. */
bool spice_client_session_display_marked(const SpiceClientSession *session, unsigned display_id);
/* The first image-decoding problem display @display_id met ("unsupported image type JPEG
 * (105)"), or NULL: pictures drawn after it may be incomplete. Owned by the session. */
const char *spice_client_session_display_problem(const SpiceClientSession *session,
                                                 unsigned display_id);

/* ---- inputs (client/inputs.c, client/keymap.c) ---- */

/*
 * Keys. @scancode: PC set-1 make code; 0x100 set for E0-extended keys (Right Ctrl = 0x11d).
 * Two keys are special, as on a PC keyboard: Pause is 0x146 and goes out as E1 1D 45 E1 9D C5 on
 * press (nothing on release); Print Screen is 0x137 (E0 37). False when there is no inputs
 * channel yet or the code is not a set-1 code (0x01..0x7f, 0x101..0x17f). The session
 * remembers pressed keys so release_all_keys can release them (call it on focus loss or ungrab).
 */
bool spice_client_session_key_press(SpiceClientSession *s, uint32_t scancode);
bool spice_client_session_key_release(SpiceClientSession *s, uint32_t scancode);
void spice_client_session_release_all_keys(SpiceClientSession *s);
/* Lock keys, as SPICE_KEYBOARD_MODIFIER_FLAGS_* (scroll 1, num 2, caps 4). set: tells the server
 * the client keyboard's locks (it toggles the guest's to match; call on focus-in). get: the
 * guest's locks (INPUTS_INIT / KEY_MODIFIERS), 0 before the inputs channel is up. */
bool spice_client_session_set_lock_modifiers(SpiceClientSession *s, uint32_t modifiers);
uint32_t spice_client_session_get_lock_modifiers(const SpiceClientSession *s);
/* Linux evdev KEY_* code -> scancode as above; 0: unknown. */
uint32_t spice_client_keymap_evdev_to_scancode(uint32_t evdev_code);
/* X11 / GDK hardware_keycode (evdev + 8 under evdev/xkb and Wayland) -> scancode; 0: unknown. */
uint32_t spice_client_keymap_x11_keycode_to_scancode(uint32_t keycode);

/* The current mouse mode (SERVER until the main channel says otherwise). */
SpiceClientMouseMode spice_client_session_get_mouse_mode(const SpiceClientSession *s);
/* The mode to ask the server for (default CLIENT, as remote-viewer); asks now when connected and
 * whenever the server offers it. mouse_mode_changed reports the switch. */
void spice_client_session_request_mouse_mode(SpiceClientSession *s, SpiceClientMouseMode mode);
/* True once the inputs channel is linked (key and mouse calls can succeed). */
bool spice_client_session_inputs_ready(const SpiceClientSession *s);
/* Client mode: absolute position on display @display_id. @buttons_mask: SPICE_MOUSE_BUTTON_MASK_*
 * held now. False when there is no inputs channel or the mode is not CLIENT. */
bool spice_client_session_mouse_position(SpiceClientSession *s, unsigned display_id, int x, int y,
                                         uint32_t buttons_mask);
/* Server mode: relative motion. False when there is no inputs channel or the mode is not SERVER. */
bool spice_client_session_mouse_motion(SpiceClientSession *s, int dx, int dy, uint32_t buttons_mask);
/* @button: SPICE_MOUSE_BUTTON_*; @buttons_mask: the mask AFTER this press/release. */
bool spice_client_session_mouse_button(SpiceClientSession *s, int button, bool pressed,
                                       uint32_t buttons_mask);

/* ---- cursor (client/cursor.c) ---- */

typedef struct SpiceClientCursor {
    bool visible;
    int x, y;             /* the pointer position the server last set (server mode) */
    int hot_x, hot_y;
    pixman_image_t *shape;   /* borrowed a8r8g8b8, NULL = none/default; valid until the next
                              * return to the main loop */
} SpiceClientCursor;

/* False (and @out zeroed) when there is no cursor channel or it has not said INIT yet. */
bool spice_client_session_get_cursor(SpiceClientSession *s, SpiceClientCursor *out);

/* ---- video streams (client/display-stream.c) ---- */

typedef struct SpiceClientStreamStats {
    unsigned display_id;
    uint32_t stream_id;
    uint32_t width, height;       /* of the coded frames */
    uint64_t frames_received, frames_decoded, frames_shown, frames_dropped;
    bool active;                  /* the server has not ended it yet */
    double seconds_shown;         /* from its first shown frame to its last */
    double fps;                   /* frames shown per second over that time (0 below 2 frames) */
} SpiceClientStreamStats;

/* Every MJPEG video stream the server opened so far (oldest first per display): fills up to
 * @max entries of @out (may be NULL when @max is 0) and returns how many there are. */
size_t spice_client_session_stream_stats(const SpiceClientSession *session,
                                         SpiceClientStreamStats *out, size_t max);

/* ---- connection: TLS and unix sockets (client/client-tls.c, session.c) ---- */

/* A session over a unix socket (QEMU's -spice unix=on,addr=PATH); no TLS there. Copies its
 * arguments; @password may be NULL. */
SpiceClientSession *spice_client_session_new_unix(const char *path, const char *password);
/*
 * The server's TLS port (0: none; spice_client_session_new's plain port may then be 0). With
 * both ports, channels start plain and move to TLS when the server answers NEED_SECURED (as
 * spice-gtk does); with no plain port every channel uses TLS. Call before connecting.
 */
void spice_client_session_set_tls_port(SpiceClientSession *session, uint16_t tls_port);
/* Trusted CAs: a PEM file, and/or PEM text (a .vv file's ca=). Neither: the system's CAs.
 * Copied; NULL unsets. A file that cannot be loaded fails the session with TLS at connect. */
void spice_client_session_set_ca_file(SpiceClientSession *session, const char *path);
void spice_client_session_set_ca_pem(SpiceClientSession *session, const char *pem);
/* The certificate's subject must equal @subject ("C=IL,O=Red Hat,CN=host", as remote-viewer's
 * host-subject). NULL (default): the certificate must name the host we connect to. */
void spice_client_session_set_host_subject(SpiceClientSession *session, const char *subject);
/* Channels that use TLS even when a plain port is known: bits 1u << SPICE_CHANNEL_* (a .vv
 * file's secure-channels); needs a TLS port. */
void spice_client_session_set_secure_channels(SpiceClientSession *session, uint32_t channel_mask);
