/* inputs-channel: the inputs channel's messages into the host's keyboard, mouse and tablet. */
#include "inputs-channel.h"

#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "agent.h"
#include "channel-connection.h"
#include "protocol/wire.h"
#include "spice-export.h"

#define INPUTS_MAX_MESSAGE_SIZE 4096u
/* As upstream (SPICE_INPUT_MOTION_ACK_BUNCH): one MOTION_ACK per this many motion messages. */
#define INPUTS_MOTION_ACK_BUNCH 4u
/* As upstream (KEY_MODIFIERS_TTL): re-send the lock state this long after a lock key changed it. */
#define INPUTS_KEY_MODIFIERS_TTL_MS 2000u

#define SCAN_CODE_RELEASE 0x80
#define SCROLL_LOCK_SCAN_CODE 0x46
#define NUM_LOCK_SCAN_CODE 0x45
#define CAPS_LOCK_SCAN_CODE 0x3a

/* The library's state behind each instance's ->st pointer (the host never touches it). */
struct SpiceKbdState {
    SpiceServer *reds;
    uint8_t ext_prefix;                 /* the last 0xE0..0xE2 prefix byte, 0 none */
    bool key_down[0x80];                /* plain scancodes currently pressed */
    bool ext_key_down[0x80];            /* 0xE0-prefixed scancodes currently pressed */
};
struct SpiceMouseState {
    SpiceServer *reds;
};
struct SpiceTabletState {
    SpiceServer *reds;
};

struct InputsChannel {
    SpiceServer *reds;                  /* not owned */
    ChannelConnection *conn;
    uint32_t motion_count;
    uint8_t modifiers;                  /* lock LEDs as we believe the guest has them */
    uint8_t modifiers_pressed;          /* lock keys currently held down */
    EventLoopTimer *modifiers_timer;
    /* The last client position, for the agent's button-only mouse states. */
    uint32_t agent_x;
    uint32_t agent_y;
    uint8_t agent_display_id;
};

/* As upstream: in client mode the guest agent takes the mouse when agent-mouse is on. */
static bool agent_drives_mouse(SpiceServer *reds)
{
    return reds->agent && reds->config.agent_mouse;
}

static InputsChannel *inputs_of(SpiceServer *reds)
{
    return reds->inputs_channel;
}

/* ---- keyboard ---- */

static void kbd_push(SpiceServer *reds, uint8_t scan)
{
    SpiceKbdInstance *kbd = reds->keyboard;
    if (!kbd) {
        return;
    }
    SpiceKbdState *st = kbd->st;
    /* Track pressed keys so a vanishing client cannot leave keys stuck down in the guest. */
    if (scan >= 0xe0 && scan <= 0xe2) {
        st->ext_prefix = scan;
    } else {
        if (st->ext_prefix == 0 || st->ext_prefix == 0xe0) {
            bool *state = st->ext_prefix ? st->ext_key_down : st->key_down;
            state[scan & 0x7f] = !(scan & SCAN_CODE_RELEASE);
        }
        st->ext_prefix = 0;
    }
    const SpiceKbdInterface *sif = (const SpiceKbdInterface *)kbd->base.sif;
    sif->push_scan_freg(kbd, scan);
}

static uint8_t kbd_leds(SpiceServer *reds)
{
    SpiceKbdInstance *kbd = reds->keyboard;
    if (!kbd) {
        return 0;
    }
    const SpiceKbdInterface *sif = (const SpiceKbdInterface *)kbd->base.sif;
    return sif->get_leds ? sif->get_leds(kbd) : 0;
}

static void release_pressed_keys(SpiceServer *reds)
{
    SpiceKbdInstance *kbd = reds->keyboard;
    if (!kbd) {
        return;
    }
    SpiceKbdState *st = kbd->st;
    for (uint8_t i = 0; i < 0x80; i++) {
        if (st->key_down[i]) {
            kbd_push(reds, i | SCAN_CODE_RELEASE);
        }
        if (st->ext_key_down[i]) {
            kbd_push(reds, 0xe0);
            kbd_push(reds, i | SCAN_CODE_RELEASE);
        }
    }
}

static void send_key_modifiers(InputsChannel *inputs, uint8_t modifiers)
{
    if (!inputs->conn) {
        return;
    }
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u16(&w, modifiers);
    channel_connection_send_writer(inputs->conn, SPICE_MSG_INPUTS_KEY_MODIFIERS, &w);
    wire_writer_finish(&w);
}

static void modifiers_timer_fired(void *opaque)
{
    InputsChannel *inputs = opaque;
    send_key_modifiers(inputs, inputs->modifiers);
}

static uint8_t scancode_to_lock_flag(uint8_t scan)
{
    switch (scan & ~SCAN_CODE_RELEASE) {
    case CAPS_LOCK_SCAN_CODE:
        return SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK;
    case NUM_LOCK_SCAN_CODE:
        return SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK;
    case SCROLL_LOCK_SCAN_CODE:
        return SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK;
    default:
        return 0;
    }
}

/* A lock key press toggles our idea of the guest's LEDs (the guest confirms via kbd_leds). */
static void track_lock_keys(InputsChannel *inputs, uint8_t scan)
{
    uint8_t flag = scancode_to_lock_flag(scan);
    if (!flag) {
        return;
    }
    if (scan & SCAN_CODE_RELEASE) {
        inputs->modifiers_pressed &= ~flag;
    } else if (!(inputs->modifiers_pressed & flag)) {
        inputs->modifiers ^= flag;
        inputs->modifiers_pressed |= flag;
        event_loop_timer_start(inputs->modifiers_timer, INPUTS_KEY_MODIFIERS_TTL_MS);
    }
}

static void push_scan_tracked(InputsChannel *inputs, uint8_t scan)
{
    kbd_push(inputs->reds, scan);
    track_lock_keys(inputs, scan);
}

/* Make the guest's lock keys match the client's by tapping the ones that differ (as upstream). */
static void sync_lock_keys(InputsChannel *inputs, uint16_t client_modifiers)
{
    static const struct {
        uint8_t flag;
        uint8_t scan;
    } locks[] = {
        { SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK, SCROLL_LOCK_SCAN_CODE },
        { SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK, NUM_LOCK_SCAN_CODE },
        { SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK, CAPS_LOCK_SCAN_CODE },
    };
    if (!inputs->reds->keyboard) {
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(locks); i++) {
        uint8_t flag = locks[i].flag;
        if (inputs->modifiers_pressed & flag) {
            continue;
        }
        if (((client_modifiers & flag) != 0) != ((inputs->modifiers & flag) != 0)) {
            kbd_push(inputs->reds, locks[i].scan);
            kbd_push(inputs->reds, locks[i].scan | SCAN_CODE_RELEASE);
            inputs->modifiers ^= flag;
        }
    }
    event_loop_timer_start(inputs->modifiers_timer, INPUTS_KEY_MODIFIERS_TTL_MS);
}

/* ---- mouse ---- */

/* SPICE button mask (left 1, middle 2, right 4) to the PS/2 order the host expects (left 1, right 2, middle 4). */
static uint32_t buttons_to_local(uint32_t state)
{
    return (state & SPICE_MOUSE_BUTTON_MASK_LEFT) |
           ((state & SPICE_MOUSE_BUTTON_MASK_MIDDLE) << 1) |
           ((state & SPICE_MOUSE_BUTTON_MASK_RIGHT) >> 1);
}

static void on_motion_message(InputsChannel *inputs)
{
    if (++inputs->motion_count % INPUTS_MOTION_ACK_BUNCH == 0) {
        channel_connection_send(inputs->conn, SPICE_MSG_INPUTS_MOUSE_MOTION_ACK, NULL, 0);
    }
}

static bool inputs_too_short(uint16_t type, uint32_t size, uint32_t need)
{
    if (size < need) {
        g_message("inputs channel: message type %u of %u bytes is shorter than %u; closing the "
                  "connection", type, size, need);
        return true;
    }
    return false;
}

static bool inputs_handle_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                                  uint32_t size, void *opaque)
{
    InputsChannel *inputs = opaque;
    SpiceServer *reds = inputs->reds;
    WireReader r;
    wire_reader_init(&r, body, size);

    switch (type) {
    case SPICE_MSGC_INPUTS_KEY_DOWN:
    case SPICE_MSGC_INPUTS_KEY_UP: {
        if (inputs_too_short(type, size, 4)) {
            return false;
        }
        uint32_t code = wire_read_u32(&r);
        /* Up to 4 scancode bytes, low byte first, up to the first zero byte. */
        for (int i = 0; i < 4; i++) {
            uint8_t byte = (code >> (i * 8)) & 0xff;
            if (byte == 0) {
                break;
            }
            push_scan_tracked(inputs, byte);
        }
        return true;
    }
    case SPICE_MSGC_INPUTS_KEY_SCANCODE:
        for (uint32_t i = 0; i < size; i++) {
            push_scan_tracked(inputs, body[i]);
        }
        return true;
    case SPICE_MSGC_INPUTS_KEY_MODIFIERS:
        if (inputs_too_short(type, size, 2)) {
            return false;
        }
        sync_lock_keys(inputs, wire_read_u16(&r));
        return true;
    case SPICE_MSGC_INPUTS_MOUSE_MOTION: {
        if (inputs_too_short(type, size, 10)) {
            return false;
        }
        int32_t dx = wire_read_i32(&r);
        int32_t dy = wire_read_i32(&r);
        uint16_t buttons = wire_read_u16(&r);
        on_motion_message(inputs);
        if (reds->mouse && reds_get_mouse_mode(reds) == SPICE_MOUSE_MODE_SERVER) {
            const SpiceMouseInterface *sif = (const SpiceMouseInterface *)reds->mouse->base.sif;
            sif->motion(reds->mouse, dx, dy, 0, buttons_to_local(buttons));
        }
        return true;
    }
    case SPICE_MSGC_INPUTS_MOUSE_POSITION: {
        if (inputs_too_short(type, size, 11)) {
            return false;
        }
        uint32_t x = wire_read_u32(&r);
        uint32_t y = wire_read_u32(&r);
        uint16_t buttons = wire_read_u16(&r);
        uint8_t display_id = wire_read_u8(&r);
        on_motion_message(inputs);
        if (reds_get_mouse_mode(reds) == SPICE_MOUSE_MODE_CLIENT && agent_drives_mouse(reds)) {
            inputs->agent_x = x;
            inputs->agent_y = y;
            inputs->agent_display_id = display_id;
            agent_send_mouse_state(reds->agent, x, y, buttons, display_id);
        } else if (reds->tablet && reds_get_mouse_mode(reds) == SPICE_MOUSE_MODE_CLIENT) {
            const SpiceTabletInterface *sif = (const SpiceTabletInterface *)reds->tablet->base.sif;
            sif->position(reds->tablet, (int)MIN(x, (uint32_t)INT32_MAX),
                          (int)MIN(y, (uint32_t)INT32_MAX), buttons_to_local(buttons));
        }
        return true;
    }
    case SPICE_MSGC_INPUTS_MOUSE_PRESS:
    case SPICE_MSGC_INPUTS_MOUSE_RELEASE: {
        if (inputs_too_short(type, size, 3)) {
            return false;
        }
        uint8_t button = wire_read_u8(&r);
        uint16_t buttons = wire_read_u16(&r);
        int dz = 0;
        if (type == SPICE_MSGC_INPUTS_MOUSE_PRESS) {
            dz = button == SPICE_MOUSE_BUTTON_UP ? -1 : button == SPICE_MOUSE_BUTTON_DOWN ? 1 : 0;
        }
        if (reds_get_mouse_mode(reds) == SPICE_MOUSE_MODE_CLIENT && agent_drives_mouse(reds)) {
            /* A wheel step is a press and release of the agent's up/down button. */
            uint32_t wheel = dz < 0 ? SPICE_MOUSE_BUTTON_MASK_UP : dz > 0 ? SPICE_MOUSE_BUTTON_MASK_DOWN : 0;
            if (wheel) {
                agent_send_mouse_state(reds->agent, inputs->agent_x, inputs->agent_y,
                                       buttons | wheel, inputs->agent_display_id);
            }
            agent_send_mouse_state(reds->agent, inputs->agent_x, inputs->agent_y, buttons,
                                   inputs->agent_display_id);
        } else if (reds_get_mouse_mode(reds) == SPICE_MOUSE_MODE_CLIENT) {
            if (reds->tablet) {
                const SpiceTabletInterface *sif = (const SpiceTabletInterface *)reds->tablet->base.sif;
                if (type == SPICE_MSGC_INPUTS_MOUSE_PRESS) {
                    sif->wheel(reds->tablet, dz, buttons_to_local(buttons));
                } else {
                    sif->buttons(reds->tablet, buttons_to_local(buttons));
                }
            }
        } else if (reds->mouse) {
            const SpiceMouseInterface *sif = (const SpiceMouseInterface *)reds->mouse->base.sif;
            if (type == SPICE_MSGC_INPUTS_MOUSE_PRESS) {
                sif->motion(reds->mouse, 0, 0, dz, buttons_to_local(buttons));
            } else {
                sif->buttons(reds->mouse, buttons_to_local(buttons));
            }
        }
        return true;
    }
    default:
        return false;
    }
}

static void inputs_on_closed(ChannelConnection *conn, void *opaque)
{
    InputsChannel *inputs = opaque;
    if (inputs->conn == conn) {
        inputs->conn = NULL;
        event_loop_timer_cancel(inputs->modifiers_timer);
        release_pressed_keys(inputs->reds);
    }
}

static const ChannelConnectionCallbacks inputs_callbacks = {
    .handle_message = inputs_handle_message,
    .on_closed = inputs_on_closed,
};

static void inputs_link(LinkedPeer *peer, void *opaque)
{
    InputsChannel *inputs = opaque;
    if (inputs->conn) {
        channel_connection_close(inputs->conn);     /* one inputs connection at a time */
    }
    ChannelConnectionConfig config = {
        .name = "inputs",
        .max_message_size = INPUTS_MAX_MESSAGE_SIZE,
    };
    ChannelConnection *conn = channel_connection_new(reds_get_event_loop(inputs->reds), peer,
                                                     &config, &inputs_callbacks, inputs);
    if (!conn) {
        return;
    }
    inputs->conn = conn;
    inputs->motion_count = 0;
    inputs->modifiers_pressed = 0;
    uint8_t leds = kbd_leds(inputs->reds);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u16(&w, leds);
    channel_connection_send_writer(conn, SPICE_MSG_INPUTS_INIT, &w);
    wire_writer_finish(&w);
}

static void inputs_session_end(void *opaque)
{
    InputsChannel *inputs = opaque;
    if (inputs->conn) {
        channel_connection_close(inputs->conn);
    }
}

InputsChannel *inputs_channel_new(SpiceServer *reds)
{
    InputsChannel *inputs = g_new0(InputsChannel, 1);
    inputs->reds = reds;
    inputs->modifiers_timer = event_loop_timer_add(reds_get_event_loop(reds), modifiers_timer_fired,
                                                   inputs);
    uint32_t caps = 1u << SPICE_INPUTS_CAP_KEY_SCANCODE;
    reds_register_channel(reds, SPICE_CHANNEL_INPUTS, 0, &caps, 1, inputs_link, inputs);
    reds_set_channel_session_end(reds, SPICE_CHANNEL_INPUTS, 0, inputs_session_end);
    return inputs;
}

void inputs_channel_destroy(InputsChannel *inputs)
{
    if (!inputs) {
        return;
    }
    if (inputs->conn) {
        channel_connection_close(inputs->conn);
    }
    reds_unregister_channel(inputs->reds, SPICE_CHANNEL_INPUTS, 0);
    event_loop_timer_remove(inputs->modifiers_timer);
    g_free(inputs);
}

/* ---- instances ---- */

int inputs_channel_set_keyboard(SpiceServer *reds, SpiceKbdInstance *kbd)
{
    if (reds->keyboard) {
        g_warning("spice: a keyboard is already attached; the second one is refused");
        return -1;
    }
    SpiceKbdState *st = g_new0(SpiceKbdState, 1);
    st->reds = reds;
    kbd->st = st;
    reds->keyboard = kbd;
    if (inputs_of(reds)) {
        inputs_of(reds)->modifiers = kbd_leds(reds);
    }
    return 0;
}

int inputs_channel_set_mouse(SpiceServer *reds, SpiceMouseInstance *mouse)
{
    if (reds->mouse) {
        g_warning("spice: a mouse is already attached; the second one is refused");
        return -1;
    }
    SpiceMouseState *st = g_new0(SpiceMouseState, 1);
    st->reds = reds;
    mouse->st = st;
    reds->mouse = mouse;
    return 0;
}

int inputs_channel_set_tablet(SpiceServer *reds, SpiceTabletInstance *tablet)
{
    if (reds->tablet) {
        g_warning("spice: a tablet is already attached; the second one is refused");
        return -1;
    }
    SpiceTabletState *st = g_new0(SpiceTabletState, 1);
    st->reds = reds;
    tablet->st = st;
    reds->tablet = tablet;
    reds_on_tablet_changed(reds);
    return 0;
}

void inputs_channel_detach_tablet(SpiceServer *reds, SpiceTabletInstance *tablet)
{
    if (reds->tablet != tablet) {
        return;
    }
    g_free(tablet->st);
    tablet->st = NULL;
    reds->tablet = NULL;
    reds_on_tablet_changed(reds);
}

SpiceServer *inputs_channel_server_of_keyboard(SpiceKbdInstance *kbd)
{
    return kbd && kbd->st ? kbd->st->reds : NULL;
}

SpiceServer *inputs_channel_server_of_tablet(SpiceTabletInstance *tablet)
{
    return tablet && tablet->st ? tablet->st->reds : NULL;
}

SPICE_EXPORT int spice_server_kbd_leds(SpiceKbdInstance *sin, int leds)
{
    SpiceServer *reds = inputs_channel_server_of_keyboard(sin);
    if (!reds || !reds->inputs_channel) {
        return 0;
    }
    InputsChannel *inputs = reds->inputs_channel;
    inputs->modifiers = (uint8_t)leds;
    send_key_modifiers(inputs, (uint8_t)leds);
    return 0;
}
