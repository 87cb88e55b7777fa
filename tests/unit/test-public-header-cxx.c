/* test-public-header-cxx: spice.h compiles as C++ (hosts written in C++ include it too). */
#include <spice.h>

/* The declarations must have C linkage, or a C++ host would look for mangled names. */
extern "C" SpiceServer *spice_server_new(void);

int main()
{
    QXLInstance qxl = QXLInstance();
    return qxl.id + (SPICE_SERVER_VERSION == 0x000f01 ? 0 : 1);
}
