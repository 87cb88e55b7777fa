/* fuzz-client-config: the client's parsers of untrusted connection settings (.vv files, libvirt
 * domain XML, TLS host subjects). The first byte picks the parser; the rest is its input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "client/client-tls.h"
#include "client/libvirt-domain.h"
#include "client/vv-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t which = data[0] % 3;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char *error = NULL;
    if (which == 0) {
        VvFile vv;
        if (vv_file_parse(body, len, &vv, &error)) {
            /* A parsed file holds what the rules promise. */
            if (vv.host == NULL || (vv.port == 0 && vv.tls_port == 0)) {
                __builtin_trap();
            }
            vv_file_clear(&vv);
        } else if (error == NULL) {
            __builtin_trap();
        }
    } else {
        /* Both take NUL-terminated text. */
        char *text = g_strndup(body, len);
        if (which == 1) {
            LibvirtSpiceGraphics g;
            if (libvirt_spice_graphics_parse(text, &g, &error)) {
                if (g.port == 0 || g.port > 65535 || g.tls_port == 0 || g.tls_port > 65535) {
                    __builtin_trap();
                }
                libvirt_spice_graphics_clear(&g);
            }
        } else {
            char *norm = client_tls_subject_normalize(text, &error);
            g_free(norm);
        }
        g_free(text);
    }
    g_free(error);
    return 0;
}
