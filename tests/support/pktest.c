/* pktest.c -- test support: cluster access, processes, HTTP, deadlines. */
#include "pktest.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pelukan/busauth.h"
#include "pelukan/config.h"
#include "pelukan/util.h"

const char *pkt_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_assert_fail("%s is not set: run the tests through `make test` (tests/run.sh), which starts PostgreSQL",
                       name);
    return v;
}

static char *s_conninfo(const char *db)
{
    return pk_asprintf("host=127.0.0.1 port=%s dbname=%s", pkt_env("PKTEST_PG_PORT"), db);
}

PGconn *pkt_superuser(const char *db)
{
    char *ci = pk_asprintf("host=127.0.0.1 port=%s dbname=%s user=postgres", pkt_env("PKTEST_PG_PORT"), db);
    PGconn *c = PQconnectdb(ci);
    free(ci);
    if (PQstatus(c) != CONNECTION_OK)
        cr_assert_fail("cannot connect to the test cluster: %s", PQerrorMessage(c));
    return c;
}

static void s_ignore_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

void pkt_sql(const char *db, const char *sql)
{
    PGconn *c = pkt_superuser(db);
    PQsetNoticeProcessor(c, s_ignore_notice, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        cr_assert_fail("SQL failed: %s\n%s", PQresultErrorMessage(r), sql);
    PQclear(r);
    PQfinish(c);
}

char *pkt_sql_error(const char *db, const char *sql)
{
    PGconn *c = pkt_superuser(db);
    PQsetNoticeProcessor(c, s_ignore_notice, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    char *err = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? NULL : pk_strdup(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return err;
}

char *pkt_sql_value(const char *db, const char *sql)
{
    PGconn *c = pkt_superuser(db);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        cr_assert_fail("SQL failed: %s\n%s", PQresultErrorMessage(r), sql);
    char *v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? pk_strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    PQfinish(c);
    return v;
}

char *pkt_db_create(const char *name)
{
    char *sql = pk_asprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    pkt_sql("postgres", sql);
    free(sql);
    sql = pk_asprintf("CREATE DATABASE %s TEMPLATE pelukan", name);
    pkt_sql("postgres", sql);
    free(sql);
    return s_conninfo(name);
}

char *pkt_role_create(const char *db, const char *name)
{
    char *sql = pk_asprintf("DROP SCHEMA IF EXISTS %s CASCADE;"
                            "DO $$ BEGIN CREATE ROLE %s LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
                            "CREATE SCHEMA %s AUTHORIZATION %s; ALTER ROLE %s SET search_path = %s, public;",
                            name, name, name, name, name, name);
    pkt_sql(db, sql);
    free(sql);
    char *base = s_conninfo(db);
    char *ci = pk_asprintf("%s user=%s", base, name);
    free(base);
    return ci;
}

/* Ports for the services under test come from 10000-19999: below the
 * kernel's ephemeral range (32768-60999), where outgoing connections take
 * their local ports (one could take a port before its service binds it,
 * or a client could connect to itself), and apart from the PostgreSQL of
 * tests/run.sh (20000-31999). Never the same port twice in a process. */
/* Claims port `p` for this run across every test process running at once
 * (they run in parallel): a file per port under PKTEST_TMP, made only by
 * the first. A port free when probed could otherwise go to two processes
 * before either service binds it ("address already in use"). */
static bool s_claim_port(int p)
{
    char dir[512], path[560];
    snprintf(dir, sizeof dir, "%s/ports", pkt_env("PKTEST_TMP"));
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return true; /* no place to claim in: the probe alone decides */
    snprintf(path, sizeof path, "%s/%d", dir, p);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

int pkt_free_port(void)
{
    static uint8_t given[10000 / 8];
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int attempt = 0; attempt < 1000; attempt++) {
        int p = 10000 + (int)(rand_r(&seed) % 10000);
        if (p == 10080)
            continue; /* Chromium refuses it (ERR_UNSAFE_PORT): a browser test on it fails */
        if (given[(p - 10000) / 8] & (1u << (p % 8)))
            continue;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)p)};
        bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            given[(p - 10000) / 8] |= (uint8_t)(1u << (p % 8));
        if (ok && s_claim_port(p))
            return p;
    }
    cr_assert_fail("cannot find a free port in 10000-19999");
    return -1;
}

static void s_upper_name(char *out, size_t len, const char *peer, const char *suffix)
{
    snprintf(out, len, "PELUKAN_%s_%s", peer, suffix);
    for (char *c = out; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
}

pkt_env_t *pkt_env_new(const char *dbname)
{
    pkt_env_t *env = pk_calloc(1, sizeof *env);
    char *ci = s_conninfo(dbname);
    pkt_env_set(env, "PELUKAN_DB_URL", ci);
    free(ci);
    char *key = pk_asprintf("%s/master.key", pkt_env("PKTEST_TMP"));
    pkt_env_set(env, "PELUKAN_MASTER_KEY_FILE", key);
    free(key);
    key = pk_asprintf("%s/audit-signing.key", pkt_env("PKTEST_TMP"));
    pkt_env_set(env, "PELUKAN_AUDIT_SIGNING_KEY_FILE", key);
    free(key);
    for (const char *const *p = pk_bus_peer_names; *p; p++) {
        char name[64];
        char *path = pk_asprintf("%s/keys/%s.pub", pkt_env("PKTEST_TMP"), *p);
        char *text = NULL;
        size_t len = 0;
        if (pk_read_file(path, &text, &len) != 0 || len < PK_CURVE_KEY_Z85_LEN)
            cr_assert_fail("%s is missing: tests/run.sh makes the bus keys", path);
        text[PK_CURVE_KEY_Z85_LEN] = '\0';
        s_upper_name(name, sizeof name, *p, "CURVE_PUBLIC_KEY");
        pkt_env_set(env, name, text);
        free(text);
        free(path);
        path = pk_asprintf("%s/keys/%s.curve", pkt_env("PKTEST_TMP"), *p);
        s_upper_name(name, sizeof name, *p, "CURVE_SECRET_KEY_FILE");
        pkt_env_set(env, name, path);
        free(path);
        if (strcmp(*p, "ctl") != 0) {
            /* The edge seals with intake's master key and derives the same
             * blind indexes: the owner opens what the edge sealed. */
            path = pk_asprintf("%s/keys/%s.master", pkt_env("PKTEST_TMP"), strcmp(*p, "edge") == 0 ? "intake" : *p);
            s_upper_name(name, sizeof name, *p, "MASTER_KEY_FILE");
            pkt_env_set(env, name, path);
            free(path);
        }
    }
    pkt_env_set(env, "PELUKAN_SQL_DIR", pkt_env("PKTEST_ROOT"));
    pkt_env_set(env, "PELUKAN_DB_CONNECT_TIMEOUT_MS", "10000");
    char archive[64];
    snprintf(archive, sizeof archive, "tcp://127.0.0.1:%d", pkt_free_port());
    pkt_env_set(env, "PELUKAN_AUDIT_ARCHIVE", archive);
    for (const char *const *s = pk_service_names; *s; s++) {
        static const char *const kinds[] = {"PUB", "REPLAY", "RPC"};
        char name[64], value[64];
        snprintf(name, sizeof name, "PELUKAN_%s_HTTP_PORT", *s);
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        snprintf(value, sizeof value, "%d", pkt_free_port());
        pkt_env_set(env, name, value);
        snprintf(name, sizeof name, "PELUKAN_%s_METRICS_PORT", *s);
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        snprintf(value, sizeof value, "%d", pkt_free_port());
        pkt_env_set(env, name, value);
        for (size_t k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "PELUKAN_%s_%s", *s, kinds[k]);
            for (char *c = name; *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            snprintf(value, sizeof value, "tcp://127.0.0.1:%d", pkt_free_port());
            pkt_env_set(env, name, value);
        }
    }
    char value[16];
    snprintf(value, sizeof value, "%d", pkt_free_port());
    pkt_env_set(env, "PELUKAN_EDGE_HTTP_PORT", value);
    snprintf(value, sizeof value, "%d", pkt_free_port());
    pkt_env_set(env, "PELUKAN_EDGE_METRICS_PORT", value);
    return env;
}

void pkt_env_set(pkt_env_t *env, const char *name, const char *value)
{
    size_t n = strlen(name);
    for (int i = 0; i < env->count; i++) {
        if (strncmp(env->vars[i], name, n) == 0 && env->vars[i][n] == '=') {
            free(env->vars[i]);
            env->vars[i] = pk_asprintf("%s=%s", name, value);
            return;
        }
    }
    env->vars = pk_realloc(env->vars, (size_t)(env->count + 2) * sizeof *env->vars);
    env->vars[env->count++] = pk_asprintf("%s=%s", name, value);
    env->vars[env->count] = NULL;
}

const char *pkt_env_get(const pkt_env_t *env, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < env->count; i++) {
        if (strncmp(env->vars[i], name, n) == 0 && env->vars[i][n] == '=')
            return env->vars[i] + n + 1;
    }
    return NULL;
}

pk_bus_keys_t *pkt_bus_keys(const pkt_env_t *env, const char *peer)
{
    char err[256];
    pk_config_t *cfg = pk_config_new_tool("ctl", NULL, env->vars, err, sizeof err);
    if (!cfg)
        cr_assert_fail("test bus keys: %s", err);
    pk_bus_keys_t *keys = pk_bus_keys_load(cfg, peer, err, sizeof err);
    pk_config_destroy(&cfg);
    if (!keys)
        cr_assert_fail("test bus keys of %s: %s", peer, err);
    return keys;
}

zsock_t *pkt_bus_bind(const pkt_env_t *env, int type, const char *as, const char *domain, const char *endpoint_var)
{
    pk_bus_keys_t *keys = pkt_bus_keys(env, as);
    zsock_t *s = zsock_new(type);
    zsock_set_linger(s, 0);
    pk_bus_secure_server(s, keys, domain);
    pk_bus_keys_destroy(&keys); /* the socket keeps its own copy */
    if (zsock_bind(s, "%s", pkt_env_get(env, endpoint_var)) < 0)
        cr_assert_fail("cannot bind %s", pkt_env_get(env, endpoint_var));
    return s;
}

zsock_t *pkt_bus_connect(const pkt_env_t *env, int type, const char *as, const char *server, const char *endpoint_var)
{
    zsock_t *s = zsock_new(type);
    zsock_set_linger(s, 0);
    if (as) {
        pk_bus_keys_t *keys = pkt_bus_keys(env, as);
        pk_bus_secure_client(s, keys, server);
        pk_bus_keys_destroy(&keys);
    }
    zsock_connect(s, "%s", pkt_env_get(env, endpoint_var));
    return s;
}

void pkt_env_destroy(pkt_env_t **env_p)
{
    if (!env_p || !*env_p)
        return;
    for (int i = 0; i < (*env_p)->count; i++)
        free((*env_p)->vars[i]);
    free((*env_p)->vars);
    free(*env_p);
    *env_p = NULL;
}

pkt_proc_t pkt_service_spawn(const char *service, const pkt_env_t *env)
{
    char *bin = pk_asprintf("%s/bin/pelukan-%s", pkt_env("PKTEST_BUILD"), service);
    pkt_proc_t p = pkt_spawn(bin, NULL, service, env);
    free(bin);
    return p;
}

pkt_proc_t pkt_spawn(const char *bin_path, const char *arg, const char *service, const pkt_env_t *env)
{
    static int counter;
    pkt_proc_t p = {0};
    snprintf(p.name, sizeof p.name, "%s", service);
    snprintf(p.log_path, sizeof p.log_path, "%s/%s-%d-%d.log", pkt_env("PKTEST_TMP"), service, (int)getpid(),
             ++counter);
    char port_name[64];
    snprintf(port_name, sizeof port_name, "PELUKAN_%s_HTTP_PORT", service);
    for (char *c = port_name; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    const char *port = pkt_env_get(env, port_name);
    p.http_port = port ? atoi(port) : 0;
    if (strcmp(service, "edge") == 0)
        pkt_record_port(p.http_port); /* the API's */
    snprintf(port_name, sizeof port_name, "PELUKAN_%s_METRICS_PORT", service);
    for (char *c = port_name; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    port = pkt_env_get(env, port_name);
    p.metrics_port = port ? atoi(port) : 0;
    char *bin = pk_strdup(bin_path);
    if (access(bin, X_OK) != 0)
        cr_assert_fail("%s is missing: build it with `make`", bin);
    fflush(NULL);
    p.pid = fork();
    if (p.pid == 0) {
        int fd = open(p.log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        /* The child gets exactly the test's environment, plus PATH. */
        char *const argv[] = {bin, (char *)arg, NULL};
        int n = env->count;
        char **envp = calloc((size_t)n + 3, sizeof *envp);
        for (int i = 0; i < n; i++)
            envp[i] = env->vars[i];
        envp[n++] = "PATH=/usr/bin:/bin";
        const char *asan = getenv("ASAN_OPTIONS");
        if (asan)
            envp[n++] = pk_asprintf("ASAN_OPTIONS=%s", asan);
        execve(bin, argv, envp);
        _exit(127);
    }
    free(bin);
    return p;
}

pkt_proc_t pkt_service_start(const char *service, const pkt_env_t *env)
{
    pkt_proc_t p = pkt_wait_healthy(pkt_service_spawn(service, env));
    if (strcmp(service, "intake") != 0)
        return p;
    /* intake's edge, the process its API is served by (services/edge). */
    pkt_proc_t edge = pkt_wait_healthy(pkt_service_spawn("edge", env));
    p.owner_http_port = p.http_port;
    p.http_port = edge.http_port;
    p.edge_pid = edge.pid;
    p.edge_metrics_port = edge.metrics_port;
    snprintf(p.edge_log_path, sizeof p.edge_log_path, "%s", edge.log_path);
    return p;
}

pkt_proc_t pkt_wait_healthy(pkt_proc_t p)
{
    const char *service = p.name;
    double deadline = pkt_now_ms() + 120000;
    while (pkt_now_ms() < deadline) {
        /* Each try short (a listener not yet served is tried again), the
         * whole wait long: a loaded machine starts services slowly. */
        if (pkt_http_timed("GET", p.http_port, "/healthz", NULL, 0, NULL, 5000, NULL) == 200)
            return p;
        int st;
        if (waitpid(p.pid, &st, WNOHANG) == p.pid) {
            char *log = pkt_proc_log(&p);
            cr_assert_fail("pelukan-%s exited during start-up:\n%s", service, log);
        }
        usleep(20 * 1000);
    }
    char *log = pkt_proc_log(&p);
    cr_assert_fail("pelukan-%s did not answer /healthz within 120 s:\n%s", service, log);
    return p;
}

int pkt_proc_wait(pkt_proc_t *p, int timeout_ms)
{
    double deadline = pkt_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (pkt_now_ms() > deadline)
            return -1;
        usleep(5 * 1000);
    }
}

/* Stops one process: its exit status, as pkt_proc_stop says. */
static int s_stop_one(pid_t *pid, int sig, int timeout_ms)
{
    pkt_proc_t one = {.pid = *pid};
    kill(one.pid, sig);
    int rc = pkt_proc_wait(&one, timeout_ms);
    if (rc == -1) {
        kill(one.pid, SIGKILL);
        pkt_proc_wait(&one, 5000);
    }
    *pid = 0;
    return rc;
}

int pkt_proc_stop(pkt_proc_t *p, int sig, int timeout_ms)
{
    /* intake's edge first, as a deployment stops them: its requests in
     * flight still reach the case owner. Both must stop cleanly. */
    int edge_rc = p->edge_pid > 0 ? s_stop_one(&p->edge_pid, sig, timeout_ms) : 0;
    if (p->pid <= 0)
        return -1;
    int rc = s_stop_one(&p->pid, sig, timeout_ms);
    return edge_rc != 0 ? edge_rc : rc;
}

char *pkt_proc_log(const pkt_proc_t *p)
{
    char *text = NULL, *edge = NULL;
    if (pk_read_file(p->log_path, &text, NULL) != 0)
        text = pk_strdup("");
    if (!p->edge_log_path[0] || pk_read_file(p->edge_log_path, &edge, NULL) != 0)
        return text;
    char *both = pk_asprintf("%s%s", text, edge);
    free(text);
    free(edge);
    return both;
}

/* Whether the last pkt_http() call of this thread gave up waiting. */
static __thread bool s_last_timed_out;
/* Response headers of the last pkt_http() call of this thread. */
static __thread char s_last_headers[4096];
static __thread size_t s_last_headers_len;

static size_t s_header_cb(char *data, size_t size, size_t n, void *arg)
{
    (void)arg;
    size_t len = size * n;
    if (s_last_headers_len + len < sizeof s_last_headers) {
        memcpy(s_last_headers + s_last_headers_len, data, len);
        s_last_headers_len += len;
        s_last_headers[s_last_headers_len] = '\0';
    }
    return len;
}

const char *pkt_last_header(const char *name)
{
    static __thread char value[256];
    size_t nl = strlen(name);
    for (const char *line = s_last_headers; line && *line;) {
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            snprintf(value, sizeof value, "%.*s", (int)vl, v);
            return value;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return NULL;
}

static size_t s_write_cb(char *data, size_t size, size_t n, void *arg)
{
    FILE *out = arg;
    return fwrite(data, size, n, out);
}

/* Milliseconds from the environment variable `name`, 60 s when unset or
 * not a positive number: the bound of every wait in the tests. */
static int s_env_ms(const char *name)
{
    const char *v = getenv(name);
    int ms = v && *v ? atoi(v) : 0;
    return ms > 0 ? ms : 60000;
}

int pkt_http_timeout_ms(void)
{
    return s_env_ms("PKTEST_HTTP_TIMEOUT_MS");
}

int pkt_http(const char *method, int port, const char *path, const char *req_body, size_t req_len,
             const char *const *headers, char **body)
{
    int st = pkt_http_timed(method, port, path, req_body, req_len, headers, pkt_http_timeout_ms(), body);
    if (st == 0 && s_last_timed_out)
        cr_log_error("%s %s on port %d: no answer within %d s (PKTEST_HTTP_TIMEOUT_MS)", method, path, port,
                     pkt_http_timeout_ms() / 1000);
    return st;
}

/* ---- the contract check's record ------------------------------------------------ */

/* With PKTEST_HTTP_RECORD set (tests/run.sh sets it), every exchange with
 * intake's API is appended to that file, one JSON object per line, for
 * tools/contract to validate against openapi.yaml after the run. */
static pthread_mutex_t s_record_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_record_ports[64];
static int s_nrecord_ports;

void pkt_record_port(int port)
{
    pthread_mutex_lock(&s_record_lock);
    if (port > 0 && s_nrecord_ports < (int)(sizeof s_record_ports / sizeof s_record_ports[0]))
        s_record_ports[s_nrecord_ports++] = port;
    pthread_mutex_unlock(&s_record_lock);
}

/* Text as a JSON string, or null with "<key>_binary": true when it is
 * not UTF-8 (a test sending garbage on purpose). */
static void s_record_text(json_t *o, const char *key, const char *text, size_t len)
{
    json_t *v = text ? json_stringn(text, len) : json_null();
    if (!v) {
        char flag[64];
        snprintf(flag, sizeof flag, "%s_binary", key);
        json_object_set_new(o, flag, json_true());
        v = json_null();
    }
    json_object_set_new(o, key, v);
}

void pkt_record(const char *method, int port, const char *path, const char *const *headers, const char *req_body,
                size_t req_len, int status, bool timed_out, const char *res_headers, const char *body, size_t body_len)
{
    const char *file = getenv("PKTEST_HTTP_RECORD");
    if (!file || !*file)
        return;
    bool ours = false;
    pthread_mutex_lock(&s_record_lock);
    for (int i = 0; i < s_nrecord_ports && !ours; i++)
        ours = s_record_ports[i] == port;
    pthread_mutex_unlock(&s_record_lock);
    if (!ours)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "method", json_string(method));
    s_record_text(o, "path", path, strlen(path));
    json_t *rq = json_object();
    for (const char *const *h = headers; h && *h; h++) {
        const char *colon = strchr(*h, ':');
        if (!colon)
            continue;
        char name[64];
        size_t n = (size_t)(colon - *h) < sizeof name - 1 ? (size_t)(colon - *h) : sizeof name - 1;
        for (size_t i = 0; i < n; i++)
            name[i] = (char)tolower((unsigned char)(*h)[i]);
        name[n] = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        s_record_text(rq, name, v, strlen(v));
    }
    json_object_set_new(o, "request_headers", rq);
    s_record_text(o, "request_body", req_body, req_body ? req_len : 0);
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "timed_out", json_boolean(timed_out));
    json_t *rs = json_object();
    for (const char *line = res_headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *colon = memchr(line, ':', len);
        if (colon && strncmp(line, "HTTP/", 5) != 0) {
            char name[64];
            size_t n = (size_t)(colon - line) < sizeof name - 1 ? (size_t)(colon - line) : sizeof name - 1;
            for (size_t i = 0; i < n; i++)
                name[i] = (char)tolower((unsigned char)line[i]);
            name[n] = '\0';
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            s_record_text(rs, name, v, len - (size_t)(v - line));
        }
        line = eol ? eol + 2 : NULL;
    }
    json_object_set_new(o, "response_headers", rs);
    s_record_text(o, "response_body", body, body ? body_len : 0);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    pthread_mutex_lock(&s_record_lock);
    int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        size_t n = strlen(text);
        text[n] = '\n';
        (void)!write(fd, text, n + 1);
        close(fd);
    }
    pthread_mutex_unlock(&s_record_lock);
    free(text);
}

int pkt_http_timed(const char *method, int port, const char *path, const char *req_body, size_t req_len,
                   const char *const *headers, int timeout_ms, char **body)
{
    CURL *c = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct curl_slist *hl = NULL;
    for (const char *const *h = headers; h && *h; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    s_last_headers_len = 0;
    s_last_headers[0] = '\0';
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header_cb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (hl)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (req_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req_body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req_len);
    }
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    s_last_timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    /* A stream that was still open when the time was up has its status. */
    if (rc == CURLE_OK || rc == CURLE_OPERATION_TIMEDOUT)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    fclose(out);
    /* An exchange with no answer within the time is recorded too (status
     * 0): the check skips it, but counts it. One that found nobody
     * listening (a service still starting) is no exchange. */
    if (status > 0 || rc == CURLE_OPERATION_TIMEDOUT)
        pkt_record(method, port, path, headers, req_body, req_len, (int)status, rc == CURLE_OPERATION_TIMEDOUT,
                   s_last_headers, buf, len);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (body)
        *body = buf;
    else
        free(buf);
    return (int)status;
}

int pkt_http_get(int port, const char *path, char **body)
{
    return pkt_http("GET", port, path, NULL, 0, NULL, body);
}

double pkt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int pkt_wait_ms(void)
{
    return s_env_ms("PKTEST_WAIT_MS");
}

bool pkt_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    /* A deadline is how long something may honestly take on a loaded
     * machine, never how long it should: at least pkt_wait_ms(). A wait
     * that is met ends at once, so a long deadline costs nothing. */
    if (timeout_ms < pkt_wait_ms())
        timeout_ms = pkt_wait_ms();
    double deadline = pkt_now_ms() + timeout_ms;
    while (pkt_now_ms() < deadline) {
        if (cond(arg))
            return true;
        usleep(5 * 1000);
    }
    return cond(arg);
}

long long pkt_metric(int port, const char *selector)
{
    char *body = NULL;
    if (pkt_http_get(port, "/metrics", &body) != 200) {
        free(body);
        return -1;
    }
    long long v = -1;
    for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, selector, strlen(selector)) == 0) {
            char *sp = strrchr(line, ' ');
            v = sp ? atoll(sp + 1) : -1;
            break;
        }
    }
    free(body);
    return v;
}

/* "env -i PATH=... '<each variable of the test>' .../pelukanctl <args>" */
static char *s_ctl_cmd(const pkt_env_t *env, const char *args, const char *tail)
{
    size_t cap = 256 + strlen(args) + strlen(tail) + strlen(pkt_env("PKTEST_BUILD"));
    for (int i = 0; i < env->count; i++)
        cap += strlen(env->vars[i]) + 3;
    char *cmd = pk_malloc(cap);
    size_t used = (size_t)snprintf(cmd, cap, "exec env -i PATH=/usr/bin:/bin");
    for (int i = 0; i < env->count; i++) {
        cr_assert_null(strchr(env->vars[i], '\''), "a quote in the environment");
        used += (size_t)snprintf(cmd + used, cap - used, " '%s'", env->vars[i]);
    }
    snprintf(cmd + used, cap - used, " %s/bin/pelukanctl %s %s", pkt_env("PKTEST_BUILD"), args, tail);
    return cmd;
}

int pkt_ctl(const pkt_env_t *env, const char *args, const char *input, char **out)
{
    static int n;
    char *log = pk_asprintf("%s/ctl-%d-%d.out", pkt_env("PKTEST_TMP"), (int)getpid(), ++n);
    char *tail = pk_asprintf("< %s > %s 2>&1", input ? input : "/dev/null", log);
    char *cmd = s_ctl_cmd(env, args, tail);
    int st = system(cmd);
    if (out && pk_read_file(log, out, NULL) != 0)
        *out = pk_strdup("");
    unlink(log);
    free(cmd);
    free(tail);
    free(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct {
    const pkt_env_t *env;
    const char *args, *needle;
    char *out;
} s_ctl_wait_t;

static bool s_ctl_says(void *arg)
{
    s_ctl_wait_t *w = arg;
    free(w->out);
    w->out = NULL;
    pkt_ctl(w->env, w->args, NULL, &w->out);
    return strstr(w->out, w->needle) != NULL;
}

char *pkt_ctl_wait(const pkt_env_t *env, const char *args, const char *needle)
{
    s_ctl_wait_t w = {env, args, needle, NULL};
    (void)pkt_wait_until(s_ctl_says, &w, 0);
    return w.out;
}

pid_t pkt_ctl_spawn(const pkt_env_t *env, const char *args, const char *out_path)
{
    char *tail = pk_asprintf("< /dev/null > %s 2>&1", out_path);
    char *cmd = s_ctl_cmd(env, args, tail);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    free(cmd);
    free(tail);
    return pid;
}

typedef struct {
    const char *db, *sql;
} s_sql_wait_t;

static bool s_sql_nonzero(void *arg)
{
    const s_sql_wait_t *w = arg;
    char *v = pkt_sql_value(w->db, w->sql);
    bool yes = v && strcmp(v, "0") != 0;
    free(v);
    return yes;
}

bool pkt_sql_wait(const char *db, const char *count_sql, int timeout_ms)
{
    s_sql_wait_t w = {db, count_sql};
    return pkt_wait_until(s_sql_nonzero, &w, timeout_ms);
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double pkt_percentile(double *v, int n, int pct)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp_double);
    int i = (n * pct) / 100;
    return v[i < n ? i : n - 1];
}

int pkt_pipe(const char *cmd, FILE *echo, void (*on_line)(const char *line, void *arg), void *arg)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return 128;
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        if (echo)
            fputs(line, echo);
        if (on_line)
            on_line(line, arg);
    }
    int rc = pclose(p);
    if (echo)
        fflush(echo);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}
