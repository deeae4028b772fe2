/* pktest.h -- test support: the throwaway cluster, free ports, service
 * processes, HTTP requests, deadlines. Used by unit, e2e and bench tests.
 *
 * tests/run.sh starts PostgreSQL and exports PKTEST_* variables; a test
 * that needs them and finds them missing fails saying so. */
#ifndef PKTEST_H
#define PKTEST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* A PKTEST_* variable, or a Criterion failure naming it when missing. */
const char *pkt_env(const char *name);

/* Creates (dropping first) database `name` as a copy of the bootstrapped
 * "pelukan" database: PostGIS and one empty schema per service. Returns
 * its base conninfo (no user). Caller owns return value. */
char *pkt_db_create(const char *name);

/* Connects as the cluster's superuser to database `db`. */
PGconn *pkt_superuser(const char *db);

/* Runs SQL as superuser on `db`; fails the test if it fails. */
void pkt_sql(const char *db, const char *sql);

/* Runs a query returning one value as superuser; caller owns the string. */
char *pkt_sql_value(const char *db, const char *sql);
/* Runs `sql` as the superuser and returns NULL when it succeeds, else the
 * error message (caller frees): for statements that must be refused. */
char *pkt_sql_error(const char *db, const char *sql);

/* Creates role `name` with schema `name` and search_path set, in `db`;
 * returns a conninfo for that role. Caller owns return value. */
char *pkt_role_create(const char *db, const char *name);

/* A TCP port that was free a moment ago. */
int pkt_free_port(void);

/* A service (or any program) started as a child process. */
typedef struct {
    pid_t pid;
    char name[32];
    char log_path[512];
    int http_port;
    int metrics_port; /* GET /metrics (its own listener) */
    /* intake started by pkt_service_start: its edge (services/edge) beside
     * it. http_port is then the edge's (the API), the owner's own is
     * owner_http_port (health); stopping and the log take both. */
    pid_t edge_pid;
    char edge_log_path[512];
    int edge_metrics_port;
    int owner_http_port;
} pkt_proc_t;

/* Environment for services in tests: database, key, SQL dir, free ports
 * for every service's HTTP, PUB, REPLAY and RPC. `extra` is a
 * NULL-terminated list of "NAME=value" that override; may be NULL. */
typedef struct {
    char **vars;
    int count;
} pkt_env_t;

pkt_env_t *pkt_env_new(const char *dbname);
void pkt_env_set(pkt_env_t *env, const char *name, const char *value);
const char *pkt_env_get(const pkt_env_t *env, const char *name);
void pkt_env_destroy(pkt_env_t **env_p);

/* The bus key pair of `peer` ("intake", ..., "ctl") from the keys that
 * tests/run.sh made, for a test that speaks on the bus as that peer.
 * Caller owns return value (pk_bus_keys_destroy). */
typedef struct pk_bus_keys pk_bus_keys_t;
pk_bus_keys_t *pkt_bus_keys(const pkt_env_t *env, const char *peer);
/* A ZeroMQ socket of `type` bound at the endpoint in `endpoint_var`, a
 * CURVE server with the key pair of `as` (standing in for that service). */
typedef struct _zsock_t zsock_t;
zsock_t *pkt_bus_bind(const pkt_env_t *env, int type, const char *as, const char *domain, const char *endpoint_var);
/* A socket of `type` connected to `endpoint_var` as peer `as`, a CURVE
 * client of service `server`; `as` NULL: a plain socket without any key. */
zsock_t *pkt_bus_connect(const pkt_env_t *env, int type, const char *as, const char *server, const char *endpoint_var);

/* Starts build/bin/pelukan-<service> with `env`; stderr and stdout go to a
 * log file. Does not wait. */
pkt_proc_t pkt_service_spawn(const char *service, const pkt_env_t *env);

/* Starts `bin_path` [arg] as service `service` (which names its HTTP port
 * setting in `env`). Does not wait. */
pkt_proc_t pkt_spawn(const char *bin_path, const char *arg, const char *service, const pkt_env_t *env);

/* Waits (up to 120 s) until the process answers GET /healthz with 200;
 * fails the test if it exits first. */
pkt_proc_t pkt_wait_healthy(pkt_proc_t p);

/* Reads one sample of a metric from GET /metrics on the metrics `port` ("name{...labels}" prefix
 * match on `selector`); -1 if absent or unreachable. */
long long pkt_metric(int port, const char *selector);

/* Starts it and waits (up to 120 s) until GET /healthz answers 200;
 * "intake" starts its edge too (pkt_proc_t). */
pkt_proc_t pkt_service_start(const char *service, const pkt_env_t *env);

/* Sends `sig` and waits up to `timeout_ms` for exit; returns the exit
 * status, 128+signal if killed, or -1 on timeout (then SIGKILLs it).
 * intake's edge is stopped first, and its status counts the same. */
int pkt_proc_stop(pkt_proc_t *p, int sig, int timeout_ms);

/* Waits up to `timeout_ms` for the process to exit by itself. */
int pkt_proc_wait(pkt_proc_t *p, int timeout_ms);

/* Whole log of a process (intake's: then its edge's); caller owns return
 * value. */
char *pkt_proc_log(const pkt_proc_t *p);

/* HTTP request to 127.0.0.1:port; returns the status and the body in
 * *body (caller frees) when body is not NULL. The client waits
 * pkt_http_timeout_ms() (60 s, or PKTEST_HTTP_TIMEOUT_MS): far above the
 * slowest honest answer on a loaded machine. Without an answer by then it
 * returns 0 and logs "no answer within N s"; compare a status only after
 * that (0 is never a status the server sent). */
int pkt_http(const char *method, int port, const char *path, const char *req_body, size_t req_len,
             const char *const *headers, char **body);
/* The same, giving up after `timeout_ms`: for streams (Server-Sent
 * Events), the status and what arrived until then. */
int pkt_http_timed(const char *method, int port, const char *path, const char *req_body, size_t req_len,
                   const char *const *headers, int timeout_ms, char **body);
int pkt_http_get(int port, const char *path, char **body);
int pkt_http_timeout_ms(void);

/* A live stream (Server-Sent Events) read in the background, so that a
 * test waits for what arrives instead of for a time. */
typedef struct pkt_stream pkt_stream_t;
/* Opens GET `path` with `headers` (NULL-terminated, may be NULL). Does not
 * wait. Caller owns return value (pkt_stream_close). */
pkt_stream_t *pkt_stream_open(int port, const char *path, const char *const *headers);
/* Waits up to `timeout_ms` for the response's status; 0 if none came. */
int pkt_stream_status(pkt_stream_t *s, int timeout_ms);
/* Waits until `needle` has arrived `count` times, the stream has ended, or
 * `timeout_ms` passed; returns how many times it has arrived. */
int pkt_stream_wait(pkt_stream_t *s, const char *needle, int count, int timeout_ms);
/* Waits up to `timeout_ms` for the server to end the stream. */
bool pkt_stream_ended(pkt_stream_t *s, int timeout_ms);
/* What arrived so far. Caller owns return value. */
char *pkt_stream_body(pkt_stream_t *s);
/* Times `needle` has arrived so far. */
int pkt_stream_count(pkt_stream_t *s, const char *needle);
/* Closes the stream (the client hangs up), records the exchange for the
 * contract check, and frees it; sets *s_p to NULL. */
void pkt_stream_close(pkt_stream_t **s_p);

/* Appends one exchange to the contract check's record (PKTEST_HTTP_RECORD)
 * when `port` is one of intake's; status 0: no answer. */
void pkt_record(const char *method, int port, const char *path, const char *const *headers, const char *req_body,
                size_t req_len, int status, bool timed_out, const char *res_headers, const char *body, size_t body_len);

/* Runs `cmd` in a shell: each line of its output is copied to `echo` (NULL:
 * nowhere) and handed to `on_line` (NULL: none). Its exit status, 128 when
 * it did not exit or could not start. */
int pkt_pipe(const char *cmd, FILE *echo, void (*on_line)(const char *line, void *arg), void *arg);
/* Exchanges with this port are recorded for the contract check (see
 * PKTEST_HTTP_RECORD); pkt_spawn calls it for every intake it starts. */
void pkt_record_port(int port);

/* A header of the last response this thread received, or NULL. */
const char *pkt_last_header(const char *name);

/* Polls `cond(arg)` every few milliseconds until true or the deadline:
 * `timeout_ms`, but never less than pkt_wait_ms(). For outcomes that must
 * come; an absence is checked after a wait for something that did. */
bool pkt_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);
/* The least any wait for an outcome gets: 60 s, or PKTEST_WAIT_MS. */
int pkt_wait_ms(void);

/* Polls `count_sql` (one value) in database `db` until it is not "0", or
 * `timeout_ms`; true when it got there. */
bool pkt_sql_wait(const char *db, const char *count_sql, int timeout_ms);

/* The `pct` percentile of `n` values (sorts them in place). */
double pkt_percentile(double *v, int n, int pct);

/* Monotonic milliseconds. */
double pkt_now_ms(void);

/* Runs `pelukanctl <args>` with exactly the test's environment and
 * `input` (a file) as stdin; returns its exit status and, when `out` is
 * given, its output (caller frees). */
int pkt_ctl(const pkt_env_t *env, const char *args, const char *input, char **out);
/* Runs `pelukanctl <args>` until its output holds `needle` (the events it
 * reads arrive over the bus), for as long as pkt_wait_until waits. The last
 * output (caller frees); the caller asserts on it. */
char *pkt_ctl_wait(const pkt_env_t *env, const char *args, const char *needle);
/* Starts `pelukanctl <args>` the same way in the background, its output
 * going to `out_path`; returns its pid (it is pelukanctl itself: kill it
 * when done). */
pid_t pkt_ctl_spawn(const pkt_env_t *env, const char *args, const char *out_path);

#endif
