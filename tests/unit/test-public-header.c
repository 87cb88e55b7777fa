/* test-public-header: spice.h stands alone as strict C99 and carries upstream's names and values. */
#include <spice.h> /* first, so anything it forgets to include breaks this build */

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK_INT(expr, expected)                                                         \
    do {                                                                                  \
        long long got_ = (long long)(expr);                                               \
        if (got_ != (long long)(expected)) {                                              \
            fprintf(stderr, "FAIL %s = %lld, upstream has %lld\n", #expr, got_,           \
                    (long long)(expected));                                               \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

#define CHECK_STR(expr, expected)                                                         \
    do {                                                                                  \
        if (strcmp((expr), (expected)) != 0) {                                            \
            fprintf(stderr, "FAIL %s = \"%s\", upstream has \"%s\"\n", #expr, (expr),      \
                    (expected));                                                          \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

/* Every interface a host registers: the type string and version the library checks. */
static void check_interfaces(void)
{
    CHECK_STR(SPICE_INTERFACE_CORE, "core");
    CHECK_INT(SPICE_INTERFACE_CORE_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_CORE_MINOR, 3);
    CHECK_STR(SPICE_INTERFACE_QXL, "qxl");
    CHECK_INT(SPICE_INTERFACE_QXL_MAJOR, 3);
    CHECK_INT(SPICE_INTERFACE_QXL_MINOR, 3);
    CHECK_STR(SPICE_INTERFACE_KEYBOARD, "keyboard");
    CHECK_INT(SPICE_INTERFACE_KEYBOARD_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_KEYBOARD_MINOR, 1);
    CHECK_STR(SPICE_INTERFACE_MOUSE, "mouse");
    CHECK_INT(SPICE_INTERFACE_MOUSE_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_MOUSE_MINOR, 1);
    CHECK_STR(SPICE_INTERFACE_TABLET, "tablet");
    CHECK_INT(SPICE_INTERFACE_TABLET_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_TABLET_MINOR, 1);
    CHECK_STR(SPICE_INTERFACE_PLAYBACK, "playback");
    CHECK_INT(SPICE_INTERFACE_PLAYBACK_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_PLAYBACK_MINOR, 3);
    CHECK_STR(SPICE_INTERFACE_RECORD, "record");
    CHECK_INT(SPICE_INTERFACE_RECORD_MAJOR, 2);
    CHECK_INT(SPICE_INTERFACE_RECORD_MINOR, 3);
    CHECK_STR(SPICE_INTERFACE_CHAR_DEVICE, "char_device");
    CHECK_INT(SPICE_INTERFACE_CHAR_DEVICE_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_CHAR_DEVICE_MINOR, 3);
    CHECK_STR(SPICE_INTERFACE_MIGRATION, "migration");
    CHECK_INT(SPICE_INTERFACE_MIGRATION_MAJOR, 1);
    CHECK_INT(SPICE_INTERFACE_MIGRATION_MINOR, 1);
}

static void check_constants(void)
{
    CHECK_INT(SPICE_SERVER_VERSION, 0x000f01);

    CHECK_INT(SPICE_WATCH_EVENT_READ, 1);
    CHECK_INT(SPICE_WATCH_EVENT_WRITE, 2);
    CHECK_INT(SPICE_CHANNEL_EVENT_CONNECTED, 1);
    CHECK_INT(SPICE_CHANNEL_EVENT_INITIALIZED, 2);
    CHECK_INT(SPICE_CHANNEL_EVENT_DISCONNECTED, 3);
    CHECK_INT(SPICE_CHANNEL_EVENT_FLAG_TLS, 1);
    CHECK_INT(SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT, 2);

    CHECK_INT(SPICE_COMPAT_VERSION_0_4, 0);
    CHECK_INT(SPICE_COMPAT_VERSION_0_6, 1);
    CHECK_INT(SPICE_COMPAT_VERSION_CURRENT, SPICE_COMPAT_VERSION_0_6);

    CHECK_INT(SPICE_ADDR_FLAG_IPV4_ONLY, 1);
    CHECK_INT(SPICE_ADDR_FLAG_IPV6_ONLY, 2);
    CHECK_INT(SPICE_ADDR_FLAG_UNIX_ONLY, 4);

    CHECK_INT(SPICE_IMAGE_COMPRESS_INVALID, 0);
    CHECK_INT(SPICE_IMAGE_COMPRESS_OFF, 1);
    CHECK_INT(SPICE_IMAGE_COMPRESS_AUTO_GLZ, 2);
    CHECK_INT(SPICE_IMAGE_COMPRESS_AUTO_LZ, 3);
    CHECK_INT(SPICE_IMAGE_COMPRESS_QUIC, 4);
    CHECK_INT(SPICE_IMAGE_COMPRESS_GLZ, 5);
    CHECK_INT(SPICE_IMAGE_COMPRESS_LZ, 6);
    CHECK_INT(SPICE_IMAGE_COMPRESS_LZ4, 7);
    CHECK_INT(sizeof(spice_image_compression_t), sizeof(SpiceImageCompression));

    CHECK_INT(SPICE_WAN_COMPRESSION_INVALID, 0);
    CHECK_INT(SPICE_WAN_COMPRESSION_AUTO, 1);
    CHECK_INT(SPICE_WAN_COMPRESSION_ALWAYS, 2);
    CHECK_INT(SPICE_WAN_COMPRESSION_NEVER, 3);

    CHECK_INT(SPICE_CHANNEL_SECURITY_NONE, 1);
    CHECK_INT(SPICE_CHANNEL_SECURITY_SSL, 2);

    CHECK_INT(SPICE_STREAM_VIDEO_INVALID, 0);
    CHECK_INT(SPICE_STREAM_VIDEO_OFF, 1);
    CHECK_INT(SPICE_STREAM_VIDEO_ALL, 2);
    CHECK_INT(SPICE_STREAM_VIDEO_FILTER, 3);
    CHECK_INT(SPICE_STREAMING_INVALID, 0);
    CHECK_INT(SPICE_STREAMING_SPICE, 1);
    CHECK_INT(SPICE_STREAMING_GSTREAMER, 2);

    CHECK_INT(SPICE_CAPABILITIES_SIZE, 58);

    CHECK_INT(SPICE_INTERFACE_AUDIO_FMT_S16, 1);
    CHECK_INT(SPICE_INTERFACE_PLAYBACK_FREQ, 44100);
    CHECK_INT(SPICE_INTERFACE_PLAYBACK_CHAN, 2);
    CHECK_INT(SPICE_INTERFACE_PLAYBACK_FMT, SPICE_INTERFACE_AUDIO_FMT_S16);
    CHECK_INT(SPICE_INTERFACE_RECORD_FREQ, 44100);
    CHECK_INT(SPICE_INTERFACE_RECORD_CHAN, 2);
    CHECK_INT(SPICE_INTERFACE_RECORD_FMT, SPICE_INTERFACE_AUDIO_FMT_S16);

    CHECK_INT(SPICE_CHAR_DEVICE_NOTIFY_WRITABLE, 1);
}

/* A host written for upstream fills these structs by member name, the union one included. */
static void attached(QXLInstance *qin)
{
    (void)qin;
}

static void check_host_style_initializers(void)
{
    static const QXLInterface qxl_if = {
        .base.type = SPICE_INTERFACE_QXL,
        .base.description = "test",
        .base.major_version = SPICE_INTERFACE_QXL_MAJOR,
        .base.minor_version = SPICE_INTERFACE_QXL_MINOR,
        .attached_worker = attached,
    };
    QXLInstance qxl = { .base.sif = &qxl_if.base, .id = 0, .st = NULL };
    SpiceCharDeviceInstance chr = { .subtype = "port", .portname = "org.example.0" };

    CHECK_STR(qxl.base.sif->type, "qxl");
    CHECK_INT(((const QXLInterface *)qxl.base.sif)->attached_worker == attached, 1);
    CHECK_STR(chr.portname, "org.example.0");
}

int main(void)
{
    check_interfaces();
    check_constants();
    check_host_style_initializers();
    if (failures) {
        fprintf(stderr, "test-public-header: %d checks failed\n", failures);
        return 1;
    }
    printf("test-public-header: all checks passed\n");
    return 0;
}
