/* vv-file: remote-viewer's connection files (.vv, a GKeyFile with a [virt-viewer] group). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a .vv file says (the keys remote-viewer writes for SPICE; oVirt and Proxmox make such
 * files). Strings are g_malloc'd and owned by the VvFile (vv_file_clear frees them); NULL when
 * the key is absent. The file is untrusted input: sizes are capped, ports must be 0..65535,
 * type must be spice, and a key we would have to ignore silently at a cost to security (proxy)
 * is an error instead.
 */
typedef struct VvFile {
    char *host;
    uint16_t port;             /* 0: none */
    uint16_t tls_port;         /* 0: none */
    char *password;
    char *ca;                  /* PEM text (the file's \n escapes already turned into lines) */
    char *host_subject;
    char *title;
    bool fullscreen;
    bool delete_this_file;     /* remote-viewer deletes the file once read */
    uint32_t secure_channels;  /* 1u << SPICE_CHANNEL_*; "all" sets every known channel */
} VvFile;

/* Largest .vv file we read (real ones are a few KiB; an inline CA chain fits easily). */
#define VV_FILE_MAX_BYTES (1024u * 1024u)

/* Parses @size bytes of @data. False with *error (g_malloc'd, naming the key and the fix). */
bool vv_file_parse(const char *data, size_t size, VvFile *out, char **error);
/* Reads and parses the file at @path (at most VV_FILE_MAX_BYTES). */
bool vv_file_load(const char *path, VvFile *out, char **error);
/* Frees the strings (the password is wiped first) and zeroes @vv. */
void vv_file_clear(VvFile *vv);
