/* edge_web.h -- the web apps, the deployment's settings for them and the
 * reference data, served by the edge (edge_web.c). */
#ifndef EDGE_WEB_H
#define EDGE_WEB_H

#include "edge.h"

/* The web apps built into `dir`, served at / (web.c). */
typedef struct intake_web intake_web_t;
/* The numbers the reporter's app offers a reporter in danger now; an empty
 * one is not shown. */
typedef struct {
    const char *emergency, *police, *sapa, *sapa_whatsapp, *office;
} intake_help_t;
/* Empty, or 2-15 digits with an optional leading +. */
bool intake_help_number_ok(const char *number);
/* The Play Store app (a Trusted Web Activity of the reporter's app, issue
 * 22 §6): its package name and its signing certificates' SHA-256. */
typedef struct {
    const char *package, *fingerprints;
} intake_android_t;
/* A Java package name ("id.go.tasikmalayakab.pelukan"). */
bool intake_android_package_ok(const char *package);
/* SHA-256 fingerprints as keytool prints them, comma-separated. */
bool intake_cert_fingerprints_ok(const char *list);
intake_web_t *intake_web_new(const char *dir, const char *tile_url, const char *tile_attribution,
                             const intake_help_t *help, const intake_android_t *android, const pk_log_t *log);
void intake_web_destroy(intake_web_t **w_p);
void intake_web_serve(pk_http_req_t *req, void *arg);
/* GET /v1/app-config: the tile server and its attribution. */
void intake_web_config(pk_http_req_t *req, void *arg);
/* GET /.well-known/assetlinks.json: the Play Store app's statement. */
void intake_web_assetlinks(pk_http_req_t *req, void *arg);
/* GET /v1/catalog and GET /v1/regions: anyone, cacheable. */
void intake_reference_catalog(pk_http_req_t *req, void *arg);
void intake_reference_regions(pk_http_req_t *req, void *arg);

#endif
