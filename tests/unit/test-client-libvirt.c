/* test-client-libvirt: the SPICE graphics of libvirt domain XML (client/libvirt-domain.c). */
#include <string.h>

#include <glib.h>

#include "client/libvirt-domain.h"

static void test_live_xml(void)
{
    /* A running autoport domain as `virsh dumpxml --security-info` prints it. */
    const char *xml =
        "<domain type='kvm' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>vm1</name>\n"
        "  <devices>\n"
        "    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1'/>\n"
        "    <graphics type='spice' port='5901' tlsPort='5902' autoport='yes' listen='0.0.0.0' passwd='pw&amp;1'>\n"
        "      <listen type='address' address='0.0.0.0'/>\n"
        "      <channel name='main' mode='secure'/>\n"
        "    </graphics>\n"
        "    <video><model type='qxl'/></video>\n"
        "  </devices>\n"
        "  <qemu:commandline><qemu:env name='A' value='B'/></qemu:commandline>\n"
        "</domain>\n";
    LibvirtSpiceGraphics g;
    char *error = NULL;
    g_assert_true(libvirt_spice_graphics_parse(xml, &g, &error));
    g_assert_null(error);
    g_assert_cmpint(g.port, ==, 5901);
    g_assert_cmpint(g.tls_port, ==, 5902);
    g_assert_true(g.autoport);
    g_assert_cmpstr(g.listen, ==, "0.0.0.0");
    g_assert_null(g.socket);
    g_assert_cmpstr(g.password, ==, "pw&1");
    libvirt_spice_graphics_clear(&g);
}

static void test_listen_forms(void)
{
    LibvirtSpiceGraphics g;
    char *error = NULL;
    g_assert_true(libvirt_spice_graphics_parse(
        "<domain><devices><graphics type='spice' port='6000'>"
        "<listen type='address' address='::1'/></graphics></devices></domain>", &g, &error));
    g_assert_cmpstr(g.listen, ==, "::1");
    g_assert_cmpint(g.tls_port, ==, -1);
    g_assert_false(g.autoport);
    libvirt_spice_graphics_clear(&g);
    g_assert_true(libvirt_spice_graphics_parse(
        "<domain><devices><graphics type='spice' autoport='no'>"
        "<listen type='socket' socket='/run/libvirt/qemu/vm1.sock'/></graphics></devices></domain>",
        &g, &error));
    g_assert_cmpstr(g.socket, ==, "/run/libvirt/qemu/vm1.sock");
    g_assert_cmpint(g.port, ==, -1);
    libvirt_spice_graphics_clear(&g);
    g_assert_true(libvirt_spice_graphics_parse(
        "<domain><devices><graphics type='spice'><listen type='none'/></graphics></devices></domain>",
        &g, &error));
    g_assert_true(g.listen_none);
    libvirt_spice_graphics_clear(&g);
    /* A stopped autoport domain: port -1. */
    g_assert_true(libvirt_spice_graphics_parse(
        "<domain><devices><graphics type='spice' port='-1' autoport='yes'/></devices></domain>",
        &g, &error));
    g_assert_cmpint(g.port, ==, -1);
    g_assert_true(g.autoport);
    libvirt_spice_graphics_clear(&g);
    /* Only the first spice graphics counts; one outside <devices> does not. */
    g_assert_true(libvirt_spice_graphics_parse(
        "<domain><graphics type='spice' port='1'/><devices>"
        "<graphics type='spice' port='2'/><graphics type='spice' port='3'/></devices></domain>",
        &g, &error));
    g_assert_cmpint(g.port, ==, 2);
    libvirt_spice_graphics_clear(&g);
}

static void test_bad(void)
{
    struct { const char *xml, *word; } cases[] = {
        { "<domain><devices><graphics type='vnc' port='5900'/></devices></domain>", "no SPICE display" },
        { "<domain><devices/></domain>", "no SPICE display" },
        { "<domain><devices><graphics type='spice' port='70000'/></devices></domain>", "outside 1..65535" },
        { "<domain><devices><graphics type='spice' port='59x'/></devices></domain>", "outside 1..65535" },
        { "<domain><devices><graphics type='spice' tlsPort='99999999999999999999'/></devices></domain>", "outside" },
        { "<domain><devices><graphics type='spice' port='5900'></devices></domain>", "malformed" },
        { "not xml at all", "malformed" },
        { "", "malformed" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        LibvirtSpiceGraphics g;
        char *error = NULL;
        g_assert_false(libvirt_spice_graphics_parse(cases[i].xml, &g, &error));
        g_assert_nonnull(error);
        if (strstr(error, cases[i].word) == NULL) {
            g_error("case %zu: message '%s' lacks '%s'", i, error, cases[i].word);
        }
        g_assert_null(g.listen);
        g_free(error);
    }
}

static void test_lookup_errors(void)
{
    /* libvirt's test driver needs no daemon: test:///default has one running domain "test"
     * (without graphics). */
    LibvirtTarget t;
    char *error = NULL;
    g_assert_false(libvirt_domain_lookup("test:///default", "no-such-domain", &t, &error));
    g_assert_nonnull(error);
    g_assert_true(strstr(error, "no domain 'no-such-domain'") != NULL
                  || strstr(error, "without libvirt") != NULL);
    g_free(error);
    g_assert_false(libvirt_domain_lookup("test:///default", "test", &t, &error));
    g_assert_true(strstr(error, "no SPICE display") != NULL || strstr(error, "without libvirt") != NULL);
    g_free(error);
    g_assert_false(libvirt_domain_lookup("bogus+scheme:///x", "vm", &t, &error));
    g_assert_true(strstr(error, "cannot connect to libvirt") != NULL || strstr(error, "without libvirt") != NULL);
    g_free(error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-libvirt/live-xml", test_live_xml);
    g_test_add_func("/client-libvirt/listen-forms", test_listen_forms);
    g_test_add_func("/client-libvirt/bad", test_bad);
    g_test_add_func("/client-libvirt/lookup-errors", test_lookup_errors);
    return g_test_run();
}
