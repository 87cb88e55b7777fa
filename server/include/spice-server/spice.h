/* spice.h: the public API of libspice-server.so.1, source-compatible with upstream spice-server 0.15.1. */
/*
 * One header holds the whole API that a host (QEMU, our demo VM, Xspice) uses to run a SPICE
 * server. Names, struct layouts, macro values and prototypes match upstream's split headers
 * (spice-core.h, spice-server.h, spice-qxl.h, ...) so hosts build and run against us unchanged;
 * the layouts are pinned by tests/unit/test-abi-struct-sizes.c.
 *
 * Conventions that hold for every function below unless its comment says otherwise:
 * - Ownership: the library never takes ownership of a pointer the host passes in. Strings are
 *   copied before the call returns. Instances (SpiceBaseInstance and the structs that embed
 *   it) stay owned by the host and must live until spice_server_remove_interface() returns;
 *   the library stores a pointer to them and writes only their `st` field.
 * - Threads: the SpiceServer and every instance are driven from one host thread, the thread
 *   that runs the SpiceCoreInterface timers and watches (QEMU's main loop, under its big lock).
 *   QXLInterface callbacks are made from the library's QXL worker thread, one per QXLInstance;
 *   SpiceCoreInterface.channel_event may be made from any library thread.
 * - Errors: functions returning int return 0 on success and -1 on failure unless noted.
 */
#ifndef SPICE_H_
#define SPICE_H_

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* spice-protocol's headers use zero-length arrays and unnamed unions; keep a host that
 * compiles with -pedantic -Werror building even when they are not on a system path. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <spice/macros.h>
#include <spice/enums.h>
#include <spice/qxl_dev.h>
#include <spice/vd_agent.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* Deprecated entry points still work; a host gets a compiler warning when it uses them.
 * The library itself defines SPICE_SERVER_INTERNAL to implement them without warnings. */
#ifdef SPICE_SERVER_INTERNAL
#define SPICE_SERVER_DEPRECATED
#else
#define SPICE_SERVER_DEPRECATED SPICE_GNUC_DEPRECATED
#endif

/* An anonymous union is C11; hosts built as C99 still get the upstream layout. */
#if defined(__GNUC__)
#define SPICE_SERVER_ANON_UNION __extension__ union
#else
#define SPICE_SERVER_ANON_UNION union
#endif

/* 0xMMmmpp: the upstream release whose API and ABI this library provides (0.15.1). */
#define SPICE_SERVER_VERSION 0x000f01

SPICE_BEGIN_DECLS

/* ======================================================================================
 * Interfaces and instances
 *
 * A host describes each device it offers with a static interface (type string, version,
 * callbacks) and an instance that points at it. Every instance struct starts with a
 * SpiceBaseInstance, so the library can be handed any of them as a SpiceBaseInstance *.
 * ====================================================================================== */

typedef struct SpiceBaseInterface SpiceBaseInterface;
typedef struct SpiceBaseInstance SpiceBaseInstance;

struct SpiceBaseInterface {
    const char *type;          /* one of the SPICE_INTERFACE_* strings */
    const char *description;   /* free text, for logs */
    uint32_t major_version;    /* must equal the library's major for that type */
    uint32_t minor_version;    /* must be <= the library's minor for that type */
};

struct SpiceBaseInstance {
    const SpiceBaseInterface *sif;
};

/* --------------------------------------------------------------------------------------
 * Core interface: the host's event loop, lent to the library by spice_server_init().
 * -------------------------------------------------------------------------------------- */

#define SPICE_INTERFACE_CORE "core"
#define SPICE_INTERFACE_CORE_MAJOR 1
#define SPICE_INTERFACE_CORE_MINOR 3

typedef struct SpiceCoreInterface SpiceCoreInterface;

#define SPICE_WATCH_EVENT_READ  (1 << 0)
#define SPICE_WATCH_EVENT_WRITE (1 << 1)

/* Values of channel_event()'s first argument. */
#define SPICE_CHANNEL_EVENT_CONNECTED     1   /* TCP connection accepted */
#define SPICE_CHANNEL_EVENT_INITIALIZED   2   /* channel linked */
#define SPICE_CHANNEL_EVENT_DISCONNECTED  3   /* last event for this info pointer */

/* Bits of SpiceChannelEventInfo.flags. */
#define SPICE_CHANNEL_EVENT_FLAG_TLS      (1 << 0)
#define SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT (1 << 1)   /* laddr_ext/paddr_ext are valid */

typedef struct SpiceWatch SpiceWatch;   /* opaque, made by the host's watch_add */
typedef void (*SpiceWatchFunc)(int fd, int event, void *opaque);

typedef struct SpiceTimer SpiceTimer;   /* opaque, made by the host's timer_add */
typedef void (*SpiceTimerFunc)(void *opaque);

/* Describes one channel connection. The library owns it and keeps it at the same address
 * from CONNECTED until DISCONNECTED has been reported, because hosts keep the pointer. */
typedef struct SpiceChannelEventInfo {
    int connection_id;
    int type;           /* SPICE_CHANNEL_* from spice/enums.h */
    int id;
    int flags;          /* SPICE_CHANNEL_EVENT_FLAG_* */
    /* IPv4-sized legacy copies; read the *_ext fields instead. */
    struct sockaddr laddr SPICE_SERVER_DEPRECATED;
    struct sockaddr paddr SPICE_SERVER_DEPRECATED;
    socklen_t llen SPICE_SERVER_DEPRECATED;
    socklen_t plen SPICE_SERVER_DEPRECATED;
    struct sockaddr_storage laddr_ext;   /* local address */
    struct sockaddr_storage paddr_ext;   /* peer address */
    socklen_t llen_ext, plen_ext;
} SpiceChannelEventInfo;

struct SpiceCoreInterface {
    SpiceBaseInterface base;

    /* Timers fire once per timer_start; times are milliseconds. */
    SpiceTimer *(*timer_add)(SpiceTimerFunc func, void *opaque);
    void (*timer_start)(SpiceTimer *timer, uint32_t ms);
    void (*timer_cancel)(SpiceTimer *timer);
    void (*timer_remove)(SpiceTimer *timer);

    /* Watches call func(fd, SPICE_WATCH_EVENT_*, opaque) while fd is ready for the mask. */
    SpiceWatch *(*watch_add)(int fd, int event_mask, SpiceWatchFunc func, void *opaque);
    void (*watch_update_mask)(SpiceWatch *watch, int event_mask);
    void (*watch_remove)(SpiceWatch *watch);

    /* May be NULL. May be called from any library thread. */
    void (*channel_event)(int event, SpiceChannelEventInfo *info);
};

/* ======================================================================================
 * The server object
 * ====================================================================================== */

/* Compatibility levels for migration between server versions. */
typedef enum {
    SPICE_COMPAT_VERSION_0_4 = 0,
    SPICE_COMPAT_VERSION_0_6 = 1,
} spice_compat_version_t;

#define SPICE_COMPAT_VERSION_CURRENT SPICE_COMPAT_VERSION_0_6

/* The newest compat level this library speaks. Any thread. */
spice_compat_version_t spice_get_current_compat_version(void);

typedef struct RedsState SpiceServer;   /* opaque */

/* Allocates a server with default settings (ticketing on, no password, no port).
 * The caller owns it and frees it with spice_server_destroy(). Returns NULL on failure. */
SpiceServer *spice_server_new(void);

/* Starts the server with the host's event loop: opens the listening sockets configured so
 * far. `core` is borrowed and must outlive the server. The calling thread becomes the
 * server's thread (see the conventions above). */
int spice_server_init(SpiceServer *s, SpiceCoreInterface *core);

/* Disconnects every client, stops every worker thread, closes every socket the library
 * opened and frees the server. Instances stay the host's. Accepts NULL. */
void spice_server_destroy(SpiceServer *s);

/* Flags for spice_server_set_addr(). */
#define SPICE_ADDR_FLAG_IPV4_ONLY (1 << 0)
#define SPICE_ADDR_FLAG_IPV6_ONLY (1 << 1)
#define SPICE_ADDR_FLAG_UNIX_ONLY (1 << 2)   /* addr is a unix socket path */

/* Refuses levels newer than SPICE_COMPAT_VERSION_CURRENT. Before spice_server_init(). */
int spice_server_set_compat_version(SpiceServer *s, spice_compat_version_t version);

/* Plain TCP port to listen on (0..65535; 0 means none). Before spice_server_init(). */
int spice_server_set_port(SpiceServer *s, int port);

/* Address to listen on (copied; NULL or "" means any), SPICE_ADDR_FLAG_* in flags. */
void spice_server_set_addr(SpiceServer *s, const char *addr, int flags);

/* Listen on an already-listening socket the host made; the fd stays the host's. */
int spice_server_set_listen_socket_fd(SpiceServer *s, int listen_fd) SPICE_SERVER_DEPRECATED;

/* flag != 0: exit the process when the last client disconnects. */
int spice_server_set_exit_on_disconnect(SpiceServer *s, int flag);

/* Let clients in without a password. */
int spice_server_set_noauth(SpiceServer *s);

/* Turn SASL authentication on (enabled != 0) or off. Fails when SASL is unavailable. */
int spice_server_set_sasl(SpiceServer *s, int enabled);

/* SASL application name (copied). */
int spice_server_set_sasl_appname(SpiceServer *s, const char *appname);

/* Sets the password (copied; NULL clears it) valid for `lifetime` seconds (0: forever).
 * fail_if_connected: refuse while a client is connected; disconnect_if_connected: drop the
 * connected client. Returns -1 when refused. */
int spice_server_set_ticket(SpiceServer *s, const char *passwd, int lifetime,
                            int fail_if_connected, int disconnect_if_connected);

/* TLS port and credentials (paths are copied; key_passwd, dh_key_file and ciphersuite may be
 * NULL). Before spice_server_init(). */
int spice_server_set_tls(SpiceServer *s, int port,
                         const char *ca_cert_file, const char *certs_file,
                         const char *private_key_file, const char *key_passwd,
                         const char *dh_key_file, const char *ciphersuite);

/* Serve a client already connected on `socket` (plain or TLS). On success the library owns
 * the fd and closes it; on failure (-1) it stays the caller's. skip_auth != 0 skips the
 * password check for this client. */
int spice_server_add_client(SpiceServer *s, int socket, int skip_auth);
int spice_server_add_ssl_client(SpiceServer *s, int socket, int skip_auth);

/* Attach a device instance (qxl, keyboard, mouse, tablet, playback, record, char_device,
 * migration). The instance is borrowed until spice_server_remove_interface(); the library
 * sets its `st`. Fails on a version the library cannot serve; unknown types are ignored
 * and return 0. */
int spice_server_add_interface(SpiceServer *s, SpiceBaseInstance *sin);

/* Detach an instance; once this returns the library no longer touches it, so the host may
 * free or reuse it. */
int spice_server_remove_interface(SpiceBaseInstance *sin);

/* Older name of SpiceImageCompression (spice/enums.h) and of its values. */
typedef SpiceImageCompression spice_image_compression_t;
#define SPICE_IMAGE_COMPRESS_INVALID  SPICE_IMAGE_COMPRESSION_INVALID
#define SPICE_IMAGE_COMPRESS_OFF      SPICE_IMAGE_COMPRESSION_OFF
#define SPICE_IMAGE_COMPRESS_AUTO_GLZ SPICE_IMAGE_COMPRESSION_AUTO_GLZ
#define SPICE_IMAGE_COMPRESS_AUTO_LZ  SPICE_IMAGE_COMPRESSION_AUTO_LZ
#define SPICE_IMAGE_COMPRESS_QUIC     SPICE_IMAGE_COMPRESSION_QUIC
#define SPICE_IMAGE_COMPRESS_GLZ      SPICE_IMAGE_COMPRESSION_GLZ
#define SPICE_IMAGE_COMPRESS_LZ       SPICE_IMAGE_COMPRESSION_LZ
#define SPICE_IMAGE_COMPRESS_LZ4      SPICE_IMAGE_COMPRESSION_LZ4

/* Lossless image compression for display channels. */
int spice_server_set_image_compression(SpiceServer *s, SpiceImageCompression comp);
SpiceImageCompression spice_server_get_image_compression(SpiceServer *s);

/* When to add lossy (jpeg) or zlib compression on slow links. */
typedef enum {
    SPICE_WAN_COMPRESSION_INVALID,
    SPICE_WAN_COMPRESSION_AUTO,
    SPICE_WAN_COMPRESSION_ALWAYS,
    SPICE_WAN_COMPRESSION_NEVER,
} spice_wan_compression_t;

int spice_server_set_jpeg_compression(SpiceServer *s, spice_wan_compression_t comp);
int spice_server_set_zlib_glz_compression(SpiceServer *s, spice_wan_compression_t comp);

/* Bits for spice_server_set_channel_security(). */
#define SPICE_CHANNEL_SECURITY_NONE (1 << 0)
#define SPICE_CHANNEL_SECURITY_SSL  (1 << 1)

/* Which transports a channel ("main", "display", ..., or NULL for every channel) accepts. */
int spice_server_set_channel_security(SpiceServer *s, const char *channel, int security);

/* Obsolete; renderers are chosen by the library. */
int spice_server_add_renderer(SpiceServer *s, const char *name) SPICE_SERVER_DEPRECATED;

/* Values for spice_server_set_streaming_video(). */
enum {
    SPICE_STREAM_VIDEO_INVALID,
    SPICE_STREAM_VIDEO_OFF,
    SPICE_STREAM_VIDEO_ALL,
    SPICE_STREAM_VIDEO_FILTER
};

int spice_server_set_streaming_video(SpiceServer *s, int value);

/* Video encoder families named in video codec strings. */
enum {
    SPICE_STREAMING_INVALID,
    SPICE_STREAMING_SPICE,
    SPICE_STREAMING_GSTREAMER
};

/* Preferred video codecs, e.g. "spice:mjpeg;gstreamer:h264" (copied). */
int spice_server_set_video_codecs(SpiceServer *s, const char *video_codecs);

/* Returns the enabled video codecs as a new string (may be NULL) that the caller releases
 * with spice_server_free_video_codecs(). */
const char *spice_server_get_video_codecs(SpiceServer *s);

/* Releases a string from spice_server_get_video_codecs(). Accepts NULL. */
void spice_server_free_video_codecs(SpiceServer *s, const char *video_codecs);

/* Store-only switches: audio compression, agent mouse mode, clipboard, file transfer. */
int spice_server_set_playback_compression(SpiceServer *s, int enable);
int spice_server_set_agent_mouse(SpiceServer *s, int enable);
int spice_server_set_agent_copypaste(SpiceServer *s, int enable);
int spice_server_set_agent_file_xfer(SpiceServer *s, int enable);

/* Local / peer address of the main channel's connection; *salen is in/out. */
int spice_server_get_sock_info(SpiceServer *s, struct sockaddr *sa, socklen_t *salen)
    SPICE_SERVER_DEPRECATED;
int spice_server_get_peer_info(SpiceServer *s, struct sockaddr *sa, socklen_t *salen)
    SPICE_SERVER_DEPRECATED;

/* 1 when the mouse is in server (relative) mode, 0 in client (absolute) mode. */
int spice_server_is_server_mouse(SpiceServer *s);

/* VM name (copied) and 16-byte UUID (copied), shown by clients. */
void spice_server_set_name(SpiceServer *s, const char *name);
void spice_server_set_uuid(SpiceServer *s, const uint8_t uuid[16]);

/* The VM starts / stops running: QXL workers start / stop fetching commands. */
void spice_server_vm_start(SpiceServer *s);
void spice_server_vm_stop(SpiceServer *s);

/* Number of connected clients. */
int spice_server_get_num_clients(SpiceServer *s) SPICE_SERVER_DEPRECATED;

/* ======================================================================================
 * QXL: a paravirtual display device
 * ====================================================================================== */

/* Size of the client capability bitmap handed to set_client_capabilities. */
#ifndef SPICE_CAPABILITIES_SIZE
#define SPICE_CAPABILITIES_SIZE (sizeof(((QXLRom *)0)->client_capabilities))
#endif

#define SPICE_INTERFACE_QXL "qxl"
#define SPICE_INTERFACE_QXL_MAJOR 3
#define SPICE_INTERFACE_QXL_MINOR 3

typedef struct QXLInterface QXLInterface;
typedef struct QXLInstance QXLInstance;
typedef struct QXLState QXLState;           /* opaque, the library's */
typedef struct QXLWorker QXLWorker;         /* opaque, only in a deprecated callback */
typedef struct QXLDevMemSlot QXLDevMemSlot;
typedef struct QXLDevSurfaceCreate QXLDevSurfaceCreate;

/* Limits the guest device wants, returned by QXLInterface.get_init_info. */
typedef struct QXLDevInitInfo {
    uint32_t num_memslots_groups;
    uint32_t num_memslots;
    uint8_t memslot_gen_bits;
    uint8_t memslot_id_bits;
    uint32_t qxl_ram_size;
    uint8_t internal_groupslot_id;
    uint32_t n_surfaces;
} QXLDevInitInfo;

/* A range of guest memory mapped into the host: guest address = slot base + offset. */
struct QXLDevMemSlot {
    uint32_t slot_group_id;
    uint32_t slot_id;
    uint32_t generation;
    uintptr_t virt_start;     /* host address of the first byte */
    uintptr_t virt_end;       /* host address one past the last byte */
    uint64_t addr_delta;      /* subtracted from guest addresses before adding virt_start */
    uint32_t qxl_ram_size;
};

/* The primary surface's geometry and where its pixels live in guest memory. */
struct QXLDevSurfaceCreate {
    uint32_t width;
    uint32_t height;
    int32_t stride;           /* negative: bottom-up */
    uint32_t format;          /* SPICE_SURFACE_FMT_* */
    uint32_t position;
    uint32_t mouse_mode;
    uint32_t flags;
    uint32_t type;
    uint64_t mem;             /* QXLPHYSICAL of the first pixel */
    uint32_t group_id;
};

/* Callbacks the library makes into the device, from the QXL worker thread. */
struct QXLInterface {
    SpiceBaseInterface base;

    SPICE_SERVER_ANON_UNION {
        /* The worker for this instance exists; spice_qxl_* may be called. */
        void (*attached_worker)(QXLInstance *qin);
        void (*attache_worker)(QXLInstance *qin, QXLWorker *qxl_worker) SPICE_SERVER_DEPRECATED;
    };
    void (*set_compression_level)(QXLInstance *qin, int level);
    void (*set_mm_time)(QXLInstance *qin, uint32_t mm_time) SPICE_SERVER_DEPRECATED;

    void (*get_init_info)(QXLInstance *qin, QXLDevInitInfo *info);

    /* Non-blocking: 1 and fills *cmd when a command was fetched, 0 when none is ready. */
    int (*get_command)(QXLInstance *qin, struct QXLCommandExt *cmd);
    /* Arms a wakeup (spice_qxl_wakeup) for the next command; returns 0 when commands are
     * already waiting, so the library should fetch instead of sleeping. */
    int (*req_cmd_notification)(QXLInstance *qin);
    /* Hands a command's resources back to the guest; called exactly once per resource. */
    void (*release_resource)(QXLInstance *qin, struct QXLReleaseInfoExt release_info);
    int (*get_cursor_command)(QXLInstance *qin, struct QXLCommandExt *cmd);
    int (*req_cursor_notification)(QXLInstance *qin);
    void (*notify_update)(QXLInstance *qin, uint32_t update_id);
    int (*flush_resources)(QXLInstance *qin);
    /* Completes a spice_qxl_*_async call with its cookie. */
    void (*async_complete)(QXLInstance *qin, uint64_t cookie);
    void (*update_area_complete)(QXLInstance *qin, uint32_t surface_id,
                                 struct QXLRect *updated_rects,
                                 uint32_t num_updated_rects);
    /* Since 3.2: whether a client is connected, and its display capabilities. */
    void (*set_client_capabilities)(QXLInstance *qin,
                                    uint8_t client_present,
                                    uint8_t caps[SPICE_CAPABILITIES_SIZE]);
    /* Since 3.3: passes a client's monitor layout to the guest; returns 1 when supported.
     * With monitors_config NULL it only reports support. */
    int (*client_monitors_config)(QXLInstance *qin,
                                  VDAgentMonitorsConfig *monitors_config);
};

struct QXLInstance {
    SpiceBaseInstance base;
    int id;                   /* display id, unique per server, >= 0 */
    QXLState *st;             /* the library's; set by spice_server_add_interface() */
};

/*
 * Requests to a QXL instance's worker. The host calls them from its thread (QEMU: vCPU or
 * main thread, under its big lock) after add_interface. The plain versions wait for the
 * worker; the _async versions return at once and the worker later calls
 * QXLInterface.async_complete(qin, cookie) from its thread. Pointers passed in are read
 * before the call returns (async: before async_complete) and stay the host's.
 */

/* New commands are in the ring: the worker should fetch them. */
void spice_qxl_wakeup(QXLInstance *instance);
/* The guest ran out of device memory: release what can be released. */
void spice_qxl_oom(QXLInstance *instance);
/* Obsolete: spice_server_vm_start / spice_server_vm_stop. */
void spice_qxl_start(QXLInstance *instance) SPICE_SERVER_DEPRECATED;
void spice_qxl_stop(QXLInstance *instance) SPICE_SERVER_DEPRECATED;
/* Render `area` of a surface into guest memory now; the up-to num_dirty_rects rectangles
 * that changed are written to dirty_rects (caller's array). */
void spice_qxl_update_area(QXLInstance *instance, uint32_t surface_id,
                           struct QXLRect *area, struct QXLRect *dirty_rects,
                           uint32_t num_dirty_rects, uint32_t clear_dirty_region);
/* Memory slots map guest addresses to host memory; slot is copied. */
void spice_qxl_add_memslot(QXLInstance *instance, QXLDevMemSlot *slot);
void spice_qxl_del_memslot(QXLInstance *instance, uint32_t slot_group_id, uint32_t slot_id);
void spice_qxl_reset_memslots(QXLInstance *instance);
/* Surfaces: destroy all, destroy / create the primary (surface is copied). */
void spice_qxl_destroy_surfaces(QXLInstance *instance);
void spice_qxl_destroy_primary_surface(QXLInstance *instance, uint32_t surface_id);
void spice_qxl_create_primary_surface(QXLInstance *instance, uint32_t surface_id,
                                      QXLDevSurfaceCreate *surface);
/* Forget cached images / the cursor (guest reset). */
void spice_qxl_reset_image_cache(QXLInstance *instance);
void spice_qxl_reset_cursor(QXLInstance *instance);
/* Destroy one off-screen surface once the worker no longer uses it. */
void spice_qxl_destroy_surface_wait(QXLInstance *instance, uint32_t surface_id);
/* After migration: replay `count` commands (array borrowed for the call). */
void spice_qxl_loadvm_commands(QXLInstance *instance, struct QXLCommandExt *ext, uint32_t count);

void spice_qxl_update_area_async(QXLInstance *instance, uint32_t surface_id, QXLRect *qxl_area,
                                 uint32_t clear_dirty_region, uint64_t cookie);
void spice_qxl_add_memslot_async(QXLInstance *instance, QXLDevMemSlot *slot, uint64_t cookie);
void spice_qxl_destroy_surfaces_async(QXLInstance *instance, uint64_t cookie);
void spice_qxl_destroy_primary_surface_async(QXLInstance *instance, uint32_t surface_id,
                                             uint64_t cookie);
void spice_qxl_create_primary_surface_async(QXLInstance *instance, uint32_t surface_id,
                                            QXLDevSurfaceCreate *surface, uint64_t cookie);
void spice_qxl_destroy_surface_async(QXLInstance *instance, uint32_t surface_id,
                                     uint64_t cookie);
/* Render every surface into guest memory (guest suspend, resolution change). */
void spice_qxl_flush_surfaces_async(QXLInstance *instance, uint64_t cookie);
/* The guest's monitor layout is at guest address monitors_config in slot group group_id. */
void spice_qxl_monitors_config_async(QXLInstance *instance, QXLPHYSICAL monitors_config,
                                     int group_id, uint64_t cookie);
/* The guest driver went away: fall back to the primary surface only. */
void spice_qxl_driver_unload(QXLInstance *instance);
/* Obsolete: spice_qxl_set_device_info. */
void spice_qxl_set_max_monitors(QXLInstance *instance,
                                unsigned int max_monitors) SPICE_SERVER_DEPRECATED;
/* Show a dma-buf (fd) as the display; the library takes ownership of fd and closes it
 * (also on failure). fd -1 removes the scanout. */
void spice_qxl_gl_scanout(QXLInstance *qxl,
                          int fd,
                          uint32_t width, uint32_t height,
                          uint32_t stride, uint32_t format,
                          int y_0_top);
/* The rectangle of the scanout changed; async_complete(cookie) follows once clients have it. */
void spice_qxl_gl_draw_async(QXLInstance *qxl,
                             uint32_t x, uint32_t y,
                             uint32_t w, uint32_t h,
                             uint64_t cookie);
/* Which device this instance is and which device display ids its monitors map to:
 * monitor i of this instance is device display id device_display_id_start + i.
 * device_address (copied) looks like "pci/0000/02.0" ("pci/<domain:4 hex>" then one
 * "/<slot:2 hex>.<function:1 hex>" per bridge and finally the device). */
void spice_qxl_set_device_info(QXLInstance *instance,
                               const char *device_address,
                               uint32_t device_display_id_start,
                               uint32_t device_display_id_count);

/* ======================================================================================
 * Input devices. The library calls their callbacks from the server thread.
 * ====================================================================================== */

#define SPICE_INTERFACE_KEYBOARD "keyboard"
#define SPICE_INTERFACE_KEYBOARD_MAJOR 1
#define SPICE_INTERFACE_KEYBOARD_MINOR 1
typedef struct SpiceKbdInterface SpiceKbdInterface;
typedef struct SpiceKbdInstance SpiceKbdInstance;
typedef struct SpiceKbdState SpiceKbdState;   /* opaque, the library's */

struct SpiceKbdInterface {
    SpiceBaseInterface base;

    /* One byte of a PC scancode sequence (the name's typo is upstream's). */
    void (*push_scan_freg)(SpiceKbdInstance *sin, uint8_t frag);
    /* Current lock LEDs as SPICE_KEYBOARD_MODIFIER_FLAGS_*. */
    uint8_t (*get_leds)(SpiceKbdInstance *sin);
};

struct SpiceKbdInstance {
    SpiceBaseInstance base;
    SpiceKbdState *st;
};

/* The guest's lock LEDs changed (SPICE_KEYBOARD_MODIFIER_FLAGS_*): tell the clients. */
int spice_server_kbd_leds(SpiceKbdInstance *sin, int leds);

#define SPICE_INTERFACE_MOUSE "mouse"
#define SPICE_INTERFACE_MOUSE_MAJOR 1
#define SPICE_INTERFACE_MOUSE_MINOR 1
typedef struct SpiceMouseInterface SpiceMouseInterface;
typedef struct SpiceMouseInstance SpiceMouseInstance;
typedef struct SpiceMouseState SpiceMouseState;   /* opaque, the library's */

/* A relative pointer; buttons_state uses PS/2 bit order. */
struct SpiceMouseInterface {
    SpiceBaseInterface base;

    void (*motion)(SpiceMouseInstance *sin, int dx, int dy, int dz,
                   uint32_t buttons_state);
    void (*buttons)(SpiceMouseInstance *sin, uint32_t buttons_state);
};

struct SpiceMouseInstance {
    SpiceBaseInstance base;
    SpiceMouseState *st;
};

#define SPICE_INTERFACE_TABLET "tablet"
#define SPICE_INTERFACE_TABLET_MAJOR 1
#define SPICE_INTERFACE_TABLET_MINOR 1
typedef struct SpiceTabletInterface SpiceTabletInterface;
typedef struct SpiceTabletInstance SpiceTabletInstance;
typedef struct SpiceTabletState SpiceTabletState;   /* opaque, the library's */

/* An absolute pointer; the library reports the primary surface size as the logical size. */
struct SpiceTabletInterface {
    SpiceBaseInterface base;

    void (*set_logical_size)(SpiceTabletInstance *tablet, int width, int height);
    void (*position)(SpiceTabletInstance *tablet, int x, int y, uint32_t buttons_state);
    void (*wheel)(SpiceTabletInstance *tablet, int wheel_moution, uint32_t buttons_state);
    void (*buttons)(SpiceTabletInstance *tablet, uint32_t buttons_state);
};

struct SpiceTabletInstance {
    SpiceBaseInstance base;
    SpiceTabletState *st;
};

/* ======================================================================================
 * Audio. Samples are interleaved signed 16-bit stereo frames, one uint32_t per frame.
 * ====================================================================================== */

#define SPICE_INTERFACE_PLAYBACK "playback"
#define SPICE_INTERFACE_PLAYBACK_MAJOR 1
#define SPICE_INTERFACE_PLAYBACK_MINOR 3
typedef struct SpicePlaybackInterface SpicePlaybackInterface;
typedef struct SpicePlaybackInstance SpicePlaybackInstance;
typedef struct SpicePlaybackState SpicePlaybackState;   /* opaque, the library's */

enum {
    SPICE_INTERFACE_AUDIO_FMT_S16 = 1,
};

#define SPICE_INTERFACE_PLAYBACK_FREQ  44100
#define SPICE_INTERFACE_PLAYBACK_CHAN  2
#define SPICE_INTERFACE_PLAYBACK_FMT   SPICE_INTERFACE_AUDIO_FMT_S16

struct SpicePlaybackInterface {
    SpiceBaseInterface base;
};

struct SpicePlaybackInstance {
    SpiceBaseInstance base;
    SpicePlaybackState *st;
};

/* The guest starts / stops playing. */
void spice_server_playback_start(SpicePlaybackInstance *sin);
void spice_server_playback_stop(SpicePlaybackInstance *sin);
/* Lends a library buffer of *num_samples frames to fill, or NULL and 0 when no client
 * listens. The buffer stays the library's; give it back with put_samples. */
void spice_server_playback_get_buffer(SpicePlaybackInstance *sin,
                                      uint32_t **samples, uint32_t *num_samples);
/* Queues a buffer obtained from get_buffer, now filled. */
void spice_server_playback_put_samples(SpicePlaybackInstance *sin,
                                       uint32_t *samples);
/* Per-channel volume (nchannels values, copied) and mute, forwarded to clients. */
void spice_server_playback_set_volume(SpicePlaybackInstance *sin,
                                      uint8_t nchannels, uint16_t *volume);
void spice_server_playback_set_mute(SpicePlaybackInstance *sin, uint8_t mute);

#define SPICE_INTERFACE_RECORD "record"
#define SPICE_INTERFACE_RECORD_MAJOR 2
#define SPICE_INTERFACE_RECORD_MINOR 3
typedef struct SpiceRecordInterface SpiceRecordInterface;
typedef struct SpiceRecordInstance SpiceRecordInstance;
typedef struct SpiceRecordState SpiceRecordState;   /* opaque, the library's */

#define SPICE_INTERFACE_RECORD_FREQ  44100
#define SPICE_INTERFACE_RECORD_CHAN  2
#define SPICE_INTERFACE_RECORD_FMT   SPICE_INTERFACE_AUDIO_FMT_S16

struct SpiceRecordInterface {
    SpiceBaseInterface base;
};

struct SpiceRecordInstance {
    SpiceBaseInstance base;
    SpiceRecordState *st;
};

/* The guest starts / stops capturing. */
void spice_server_record_start(SpiceRecordInstance *sin);
void spice_server_record_stop(SpiceRecordInstance *sin);
/* Copies up to bufsize captured frames into the caller's buffer; returns how many. */
uint32_t spice_server_record_get_samples(SpiceRecordInstance *sin,
                                         uint32_t *samples, uint32_t bufsize);
void spice_server_record_set_volume(SpiceRecordInstance *sin,
                                    uint8_t nchannels, uint16_t *volume);
void spice_server_record_set_mute(SpiceRecordInstance *sin, uint8_t mute);

/* The sample rate the library prefers. May be called with NULL before add_interface. */
uint32_t spice_server_get_best_playback_rate(SpicePlaybackInstance *sin);
/* The rate the host will use (after add_interface). */
void spice_server_set_playback_rate(SpicePlaybackInstance *sin, uint32_t frequency);
uint32_t spice_server_get_best_record_rate(SpiceRecordInstance *sin);
void spice_server_set_record_rate(SpiceRecordInstance *sin, uint32_t frequency);

/* ======================================================================================
 * Character devices: byte streams between a guest port and a client channel
 * (vdagent, usbredir, named ports).
 * ====================================================================================== */

#define SPICE_INTERFACE_CHAR_DEVICE "char_device"
#define SPICE_INTERFACE_CHAR_DEVICE_MAJOR 1
#define SPICE_INTERFACE_CHAR_DEVICE_MINOR 3
typedef struct SpiceCharDeviceInterface SpiceCharDeviceInterface;
typedef struct SpiceCharDeviceInstance SpiceCharDeviceInstance;
typedef struct SpiceCharDeviceState SpiceCharDeviceState;   /* opaque, the library's */

typedef enum {
    /* The host calls spice_server_char_device_wakeup when the guest can take writes again. */
    SPICE_CHAR_DEVICE_NOTIFY_WRITABLE = 1 << 0,
} spice_char_device_flags;

/* Callbacks are made from the server thread and must not block. */
struct SpiceCharDeviceInterface {
    SpiceBaseInterface base;

    /* connected 1: the library uses the device; 0: it stopped using it. */
    void (*state)(SpiceCharDeviceInstance *sin, int connected);
    /* To the guest: returns how many bytes of buf it took (0..len), < 0 on error. */
    int (*write)(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len);
    /* From the guest: returns how many bytes it put in buf (0 when none), < 0 on error. */
    int (*read)(SpiceCharDeviceInstance *sin, uint8_t *buf, int len);
    /* Port events (SPICE_PORT_EVENT_*) from the client. */
    void (*event)(SpiceCharDeviceInstance *sin, uint8_t event);
    spice_char_device_flags flags;
};

struct SpiceCharDeviceInstance {
    SpiceBaseInstance base;
    const char *subtype;      /* "vdagent", "usbredir", "smartcard" or "port" */
    SpiceCharDeviceState *st;
    const char *portname;     /* for subtype "port" */
};

/* The guest has data (or room): the library reads until read() returns 0, before returning. */
void spice_server_char_device_wakeup(SpiceCharDeviceInstance *sin);
/* A guest port opened / closed / sent a break (SPICE_PORT_EVENT_*). */
void spice_server_port_event(SpiceCharDeviceInstance *sin, uint8_t event);
/* NULL-terminated static list of the subtypes the library serves (not "port", which is
 * always served). Must not be freed or written. */
const char **spice_server_char_device_recognized_subtypes(void);

/* ======================================================================================
 * Migration of connected clients to another server
 * ====================================================================================== */

#define SPICE_INTERFACE_MIGRATION "migration"
#define SPICE_INTERFACE_MIGRATION_MAJOR 1
#define SPICE_INTERFACE_MIGRATION_MINOR 1
typedef struct SpiceMigrateInterface SpiceMigrateInterface;
typedef struct SpiceMigrateInstance SpiceMigrateInstance;
typedef struct SpiceMigrateState SpiceMigrateState;   /* opaque, the library's */

struct SpiceMigrateInterface {
    SpiceBaseInterface base;
    void (*migrate_connect_complete)(SpiceMigrateInstance *sin);
    void (*migrate_end_complete)(SpiceMigrateInstance *sin);
};

struct SpiceMigrateInstance {
    SpiceBaseInstance base;
    SpiceMigrateState *st;
};

/* Switch-host migration (obsolete): where clients go, then tell them to go. */
int spice_server_migrate_info(SpiceServer *s, const char *dest,
                              int port, int secure_port,
                              const char *cert_subject) SPICE_SERVER_DEPRECATED;
int spice_server_migrate_switch(SpiceServer *s) SPICE_SERVER_DEPRECATED;

/* Seamless migration: clients connect to dest (strings copied); the migration instance's
 * migrate_connect_complete reports when they did. */
int spice_server_migrate_connect(SpiceServer *s, const char *dest,
                                 int port, int secure_port,
                                 const char *cert_subject);
/* The VM's state transfer starts. */
int spice_server_migrate_start(SpiceServer *s);
/* The transfer ended (completed != 0: the target runs the VM now). */
int spice_server_migrate_end(SpiceServer *s, int completed);

/* Allow seamless migration (store-only, before spice_server_init). */
void spice_server_set_seamless_migration(SpiceServer *s, int enable);

/* ======================================================================================
 * Replay of a recorded QXL command stream (debug tool support)
 * ====================================================================================== */

typedef struct SpiceReplay SpiceReplay;   /* opaque */

/* Reads a recording from `file` (borrowed, must stay open). Returns NULL on failure. */
SpiceReplay *spice_replay_new(FILE *file, int nsurfaces);
/* The next recorded command for `instance`, or NULL at the end; free it with
 * spice_replay_free_cmd. */
QXLCommandExt *spice_replay_next_cmd(SpiceReplay *replay, QXLInstance *instance);
void spice_replay_free_cmd(SpiceReplay *replay, QXLCommandExt *cmd);
/* Frees the replay (not its file). Accepts NULL. */
void spice_replay_free(SpiceReplay *replay);

SPICE_END_DECLS

#endif /* SPICE_H_ */
