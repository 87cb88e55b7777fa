/* parse-misc: release_info of commands we only release, and QXLMonitorsConfig. */
#include "qxl/parse-guest.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

QxlStatus qxl_parse_release_info(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                 QXLReleaseInfo **release_info)
{
    const void *host;
    QxlStatus st = qxl_memslots_translate(m, group_id, addr, sizeof(QXLReleaseInfo), &host);
    /* Handed back to the host in QXLReleaseInfoExt.info, which is not const. */
    *release_info = (QXLReleaseInfo *)host;
    return st;
}

void qxl_monitors_config_clear(QxlMonitorsConfig *config)
{
    if (!config) {
        return;
    }
    g_free(config->heads);
    memset(config, 0, sizeof(*config));
}

QxlStatus qxl_parse_monitors_config(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                    const QxlParseLimits *limits, QxlMonitorsConfig *out)
{
    memset(out, 0, sizeof(*out));
    QXLMonitorsConfig header;
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(header), &header, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (header.count > limits->max_monitors) {
        return QXL_STATUS_TOO_LARGE;
    }
    out->max_allowed = header.max_allowed;
    if (header.count == 0) {
        return QXL_STATUS_OK;
    }
    /* Header and heads as one range; copy it all at once and keep the heads. */
    size_t heads_size = (size_t)header.count * sizeof(QXLHead);
    uint8_t *raw = g_try_malloc(sizeof(header) + heads_size);
    QXLHead *heads = g_try_malloc(heads_size);
    if (!raw || !heads) {
        g_free(raw);
        g_free(heads);
        return QXL_STATUS_NO_MEMORY;
    }
    st = qxl_guest_read(m, group_id, addr, sizeof(header) + heads_size, raw, NULL);
    if (st == QXL_STATUS_OK) {
        memcpy(heads, raw + sizeof(header), heads_size);
        out->count = header.count;
        out->heads = heads;
    } else {
        g_free(heads);
    }
    g_free(raw);
    return st;
}
