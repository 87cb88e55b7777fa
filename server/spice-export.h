/* spice-export.h: marks the functions libspice-server.so.1 exports (private to server/). */
#ifndef SPICE_EXPORT_H_
#define SPICE_EXPORT_H_

/*
 * The library is built with -fvisibility=hidden, so a function is visible only when its
 * definition carries SPICE_EXPORT, and only when server/spice-server.map names it too.
 * Use it on the definition of every public spice_* function:
 *
 *     SPICE_EXPORT int spice_server_set_port(SpiceServer *s, int port) { ... }
 */
#define SPICE_EXPORT __attribute__((visibility("default")))

#endif /* SPICE_EXPORT_H_ */
