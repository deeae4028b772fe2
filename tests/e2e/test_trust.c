/* test_trust.c -- who may speak on the bus (security review C1): every
 * endpoint of the five real services refuses a peer without a key, a peer
 * with a key nobody knows, and a known peer that the policy does not allow
 * there (a service's key on another's command endpoint, pelukanctl's key
 * on any command endpoint), while the allowed peer gets through on the
 * same run; a command's claimed actor is ignored; pelukanctl run as
 * another user cannot use the operator's key. */
#include <criterion/criterion.h>
#include <czmq.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/busauth.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

static const char *const s_services[] = {"intake", "notification", "dispatch", "referral", "audit", NULL};

typedef struct {
    char what[96];
    zsock_t *sock;
    bool expect; /* the peer is allowed: it must get an answer */
    bool got;
} s_probe_t;

#define S_MAX_PROBES 160
typedef struct {
    s_probe_t p[S_MAX_PROBES];
    int n;
    pkt_env_t *env;
} s_probes_t;

static const char *s_setting(char *buf, size_t len, const char *service, const char *suffix)
{
    snprintf(buf, len, "PELUKAN_%s_%s", service, suffix);
    for (char *c = buf; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    return buf;
}

/* A socket of `type` to `server`'s endpoint `var`: as peer `as`, as a
 * stranger with a fresh key pair (`as` = "stranger"), or with no key at
 * all (`as` NULL). */
static zsock_t *s_socket(s_probes_t *ps, int type, const char *as, const char *server, const char *var)
{
    if (!as || strcmp(as, "stranger") != 0)
        return pkt_bus_connect(ps->env, type, as, server, var);
    char pub[41], sec[41], name[80];
    cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
    zsock_t *s = zsock_new(type);
    zsock_set_linger(s, 0);
    zsock_set_curve_serverkey(s, pkt_env_get(ps->env, s_setting(name, sizeof name, server, "CURVE_PUBLIC_KEY")));
    zsock_set_curve_publickey(s, pub);
    zsock_set_curve_secretkey(s, sec);
    zsock_connect(s, "%s", pkt_env_get(ps->env, var));
    return s;
}

static s_probe_t *s_add(s_probes_t *ps, int type, const char *as, const char *server, const char *var, bool expect)
{
    cr_assert_lt(ps->n, S_MAX_PROBES);
    s_probe_t *p = &ps->p[ps->n++];
    snprintf(p->what, sizeof p->what, "%s -> %s", as ? as : "no key", var);
    p->sock = s_socket(ps, type, as, server, var);
    p->expect = expect;
    return p;
}

static void s_send_packed(zsock_t *s, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = pk_malloc(len ? len : 1);
    protobuf_c_message_pack(m, buf);
    zmq_send(zsock_resolve(s), buf, len, ZMQ_DONTWAIT);
    free(buf);
}

static void s_ping(zsock_t *s)
{
    Pelukan__V1__CommandRequest req;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 3000, 0);
    Pelukan__V1__Ping ping = PELUKAN__V1__PING__INIT;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
    req.ping = &ping;
    s_send_packed(s, &req.base);
}

/* Waits until every allowed probe has its answer and at least `min_ms`
 * passed (heartbeats come every second): what a refused peer would have
 * got by then, it got. */
static void s_collect(s_probes_t *ps, int min_ms, int max_ms)
{
    double start = pkt_now_ms();
    for (;;) {
        bool waiting = false;
        for (int i = 0; i < ps->n; i++) {
            s_probe_t *p = &ps->p[i];
            while (zsock_events(p->sock) & ZMQ_POLLIN) {
                zmsg_t *m = zmsg_recv(p->sock);
                zmsg_destroy(&m);
                p->got = true;
            }
            waiting |= p->expect && !p->got;
        }
        double spent = pkt_now_ms() - start;
        if ((spent >= min_ms && !waiting) || spent >= max_ms)
            break;
        usleep(20000);
    }
}

/* One archive request as peer `as`; the reply's status, or -1 with no
 * reply within the client timeout. */
static int s_archive(pkt_env_t *env, const char *as, const Pelukan__V1__ArchiveRequest *req)
{
    zsock_t *d = pkt_bus_connect(env, ZMQ_DEALER, as, "audit", "PELUKAN_AUDIT_ARCHIVE");
    s_send_packed(d, &req->base);
    zsock_set_rcvtimeo(d, pkt_http_timeout_ms());
    zmsg_t *rep = zmsg_recv(d);
    int st = -1;
    if (rep) {
        zframe_t *f = zmsg_first(rep);
        Pelukan__V1__ArchiveReply *r = pelukan__v1__archive_reply__unpack(NULL, zframe_size(f), zframe_data(f));
        st = r ? (int)r->status : -2;
        if (r)
            pelukan__v1__archive_reply__free_unpacked(r, NULL);
        zmsg_destroy(&rep);
    }
    zsock_destroy(&d);
    return st;
}

/* SubmitReports with one well-formed report (its token names no one: a
 * refusal must come before any session is looked at). */
typedef struct {
    Pelukan__V1__SubmitReports all;
    Pelukan__V1__SubmitReport one, *items[1];
    Pelukan__V1__ReportSubmitted codes;
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES], sealed[64];
} s_report_cmd_t;

static void s_report_cmd(s_report_cmd_t *r, Pelukan__V1__CommandRequest *req)
{
    pelukan__v1__submit_reports__init(&r->all);
    pelukan__v1__submit_report__init(&r->one);
    pelukan__v1__report_submitted__init(&r->codes);
    r->codes.reporter_kind = "victim";
    r->one.token_hash = "1111111111111111111111111111111111111111111111111111111111111111";
    r->one.idempotency_key = "forged-1";
    r->one.case_id = "00112233445566778899aabbccddeeff";
    r->one.wrapped_key = (ProtobufCBinaryData){sizeof r->wrapped, r->wrapped};
    r->one.personal_sealed = (ProtobufCBinaryData){sizeof r->sealed, r->sealed};
    r->one.codes = &r->codes;
    r->items[0] = &r->one;
    r->all.n_reports = 1;
    r->all.reports = r->items;
    req->command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_REPORTS;
    req->submit_reports = &r->all;
}

Test(trust, every_bus_endpoint_admits_only_its_allowed_peers, .timeout = 300)
{
    free(pkt_db_create("t_trust"));
    s_probes_t ps = {.env = pkt_env_new("t_trust")};
    pkt_proc_t procs[5];
    for (int i = 0; s_services[i]; i++)
        procs[i] = pkt_service_start(s_services[i], ps.env);

    for (int i = 0; s_services[i]; i++) {
        const char *svc = s_services[i];
        char var[80];
        /* Events: the services that consume them, the audit log and
         * pelukanctl may listen; nobody else (security review N10). */
        s_setting(var, sizeof var, svc, "PUB");
        const char *listeners[] = {"intake", "notification", "dispatch", "referral", "audit",
                                   "edge",   "ctl",          "stranger", NULL};
        for (int k = 0; k < 9; k++) {
            s_probe_t *p = s_add(&ps, ZMQ_SUB, listeners[k], svc, var, pk_bus_consumes(listeners[k], svc));
            zsock_set_subscribe(p->sock, "");
        }
        s_setting(var, sizeof var, svc, "REPLAY");
        for (int k = 0; k < 9; k++) {
            s_probe_t *p = s_add(&ps, ZMQ_DEALER, listeners[k], svc, var, pk_bus_consumes(listeners[k], svc));
            Pelukan__V1__ReplayRequest rr = PELUKAN__V1__REPLAY_REQUEST__INIT;
            rr.producer = (char *)svc;
            rr.from_seq = 1;
            rr.max_count = 1;
            s_send_packed(p->sock, &rr.base);
        }
        if (strcmp(svc, "audit") == 0)
            continue; /* audit takes no commands */
        /* Commands: only the peers that send this service commands: the
         * edge to every service (intake's case owner included: the desk's
         * steps, issue 24); to intake's case owner also notification
         * (GetContact) and dispatch (GetPlace), each refused the other's
         * command (test_dispatch). intake's case owner sends none (issue
         * 24, step 3: the edge is its own process and peer). */
        bool to_intake = strcmp(svc, "intake") == 0;
        s_setting(var, sizeof var, svc, "RPC");
        for (const char *const *peer = pk_bus_peer_names; *peer; peer++) {
            bool ok = strcmp(*peer, "edge") == 0 ||
                      (to_intake && (strcmp(*peer, "notification") == 0 || strcmp(*peer, "dispatch") == 0));
            s_ping(s_add(&ps, ZMQ_DEALER, *peer, svc, var, ok)->sock);
        }
        s_ping(s_add(&ps, ZMQ_DEALER, "stranger", svc, var, false)->sock);
        s_ping(s_add(&ps, ZMQ_DEALER, NULL, svc, var, false)->sock);
    }
    /* The audit log's archive: services rebuild from it, auditors read it. */
    const char *readers[] = {"ctl", "dispatch", "stranger", NULL};
    for (int k = 0; k < 4; k++) {
        s_probe_t *p = s_add(&ps, ZMQ_DEALER, readers[k], "audit", "PELUKAN_AUDIT_ARCHIVE", k < 2);
        Pelukan__V1__ArchiveRequest ar = PELUKAN__V1__ARCHIVE_REQUEST__INIT;
        ar.from_gseq = 1;
        ar.max_count = 1;
        s_send_packed(p->sock, &ar.base);
    }

    s_collect(&ps, 2500, 20000);
    int allowed = 0, refused = 0;
    for (int i = 0; i < ps.n; i++) {
        s_probe_t *p = &ps.p[i];
        if (p->expect)
            cr_assert(p->got, "%s: the allowed peer gets through", p->what);
        else
            cr_assert_not(p->got, "%s: refused", p->what);
        p->expect ? allowed++ : refused++;
        zsock_destroy(&p->sock);
    }
    cr_assert_geq(refused, 40, "%d refusals probed", refused);
    /* The archive serves opened entries to the operator, and to a service
     * only its own producers' streams, for a rebuild (security review N10). */
    Pelukan__V1__ArchiveRequest query = PELUKAN__V1__ARCHIVE_REQUEST__INIT, own = query, other = query;
    query.from_gseq = 1;
    query.max_count = 1;
    own.producer = "intake", own.epoch = 1, own.from_seq = 1, own.max_count = 1;
    other.producer = "referral", other.epoch = 1, other.from_seq = 1, other.max_count = 1;
    cr_assert_eq(s_archive(ps.env, "ctl", &query), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_OK, "the operator");
    cr_assert_eq(s_archive(ps.env, "notification", &query), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_FORBIDDEN,
                 "a service's query of the whole log");
    cr_assert_eq(s_archive(ps.env, "dispatch", &own), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_OK,
                 "dispatch rebuilding intake's stream");
    cr_assert_eq(s_archive(ps.env, "dispatch", &other), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_FORBIDDEN,
                 "dispatch asking for referral's, which it does not consume");
    for (int i = 0; s_services[i]; i++) {
        long long n = pkt_metric(procs[i].metrics_port, "pelukan_bus_peers_refused_total");
        cr_assert_geq(n, 1, "%s counts the peers it refused (%lld)", s_services[i], n);
        char *log = pkt_proc_log(&procs[i]);
        cr_assert_not_null(strstr(log, "bus: refused a peer"), "%s logs why", s_services[i]);
        free(log);
    }
    for (int i = 0; s_services[i]; i++)
        cr_assert_eq(pkt_proc_stop(&procs[i], SIGTERM, 15000), 0);
    pkt_env_destroy(&ps.env);
}

/* A peer that is not the HTTP edge cannot act for a person: the actor it
 * writes into its command is replaced by itself. */
/* A reporter's token's hash, as the edge sends it. */
static void s_token_hash(const char *token, char out[65])
{
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    pk_hex(d, sizeof d, out);
}

Test(trust, a_command_s_claimed_actor_is_replaced_by_the_authenticated_peer, .timeout = 300)
{
    pkt_intake_t T;
    pkt_intake_start(&T, "t_trust2", NULL);
    pkt_proc_t audit = pkt_service_start("audit", T.env);
    char *reporter = pkt_intake_register(&T, "0812-7000-0001");
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                                 "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 reporter, "trust-1", &j),
                 201);
    char *case_id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);

    /* Notification may ask for a contact, and says it is an admin. */
    pk_bus_keys_t *keys = pkt_bus_keys(T.env, "notification");
    pk_rpc_client_t *rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_INTAKE_RPC"), 0, keys, "intake");
    Pelukan__V1__CommandRequest req;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 3000, 2);
    Pelukan__V1__Actor forged = PELUKAN__V1__ACTOR__INIT;
    forged.kind = PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    forged.id = "forged-admin";
    forged.role = "admin";
    forged.vouched_by = "edge"; /* the one peer that may vouch */
    req.actor = &forged;
    req.case_id = case_id;
    Pelukan__V1__GetContact gc = PELUKAN__V1__GET_CONTACT__INIT;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT;
    req.get_contact = &gc;
    Pelukan__V1__CommandReply *reply = NULL;
    /* Security review N11: a purpose from the list, the template of a
     * reporter's message, and the message's id; anything else is refused
     * and opens nothing. */
    static const char *const refused[][3] = {{"audit_test", "case_update", "0123456789abcdef0123456789abcdef"},
                                             {"notification", "urgent_report", "0123456789abcdef0123456789abcdef"},
                                             {"notification", "case_update", "not-a-message"},
                                             {"notification", "case_update", ""}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        gc.purpose_code = (char *)refused[i][0];
        gc.template_code = (char *)refused[i][1];
        gc.message_id = (char *)refused[i][2];
        pk_rpc_request_init(&req, id, 3000, 2);
        req.actor = &forged;
        req.case_id = case_id;
        req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT;
        req.get_contact = &gc;
        cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
        cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID, "refused: %s %s %s",
                     refused[i][0], refused[i][1], refused[i][2]);
        cr_assert_null(reply->contact);
        pelukan__v1__command_reply__free_unpacked(reply, NULL);
    }
    gc.purpose_code = "notification";
    gc.template_code = "case_update";
    gc.message_id = "00112233445566778899aabbccddeeff";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.case_id = case_id;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT;
    req.get_contact = &gc;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);

    /* The desk's steps are the edge's to ask (issue 24): notification's
     * forged admin may not verify, reject or write a note. */
    Pelukan__V1__CaseStep step = PELUKAN__V1__CASE_STEP__INIT;
    step.step = PELUKAN__V1__CASE_STEP__STEP__STEP_REJECT;
    step.reason_code = "spam";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.case_id = case_id;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CASE_STEP;
    req.case_step = &step;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor erase it, nor run the erasure sweep. */
    Pelukan__V1__EraseCase erase = PELUKAN__V1__ERASE_CASE__INIT;
    erase.step = PELUKAN__V1__ERASE_CASE__STEP__STEP_SWEEP;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ERASE_CASE;
    req.erase_case = &erase;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor list the staff accounts. */
    Pelukan__V1__ManageAccount accounts = PELUKAN__V1__MANAGE_ACCOUNT__INIT;
    accounts.step = PELUKAN__V1__MANAGE_ACCOUNT__STEP__STEP_LIST;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_MANAGE_ACCOUNT;
    req.manage_account = &accounts;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->staff_accounts);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor open the case's personal data. */
    Pelukan__V1__GetCase get = PELUKAN__V1__GET_CASE__INIT;
    get.purpose = "case_review";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.case_id = case_id;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CASE;
    req.get_case = &get;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->case_view);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor read the staff's feed. */
    Pelukan__V1__ReadFeed feed = PELUKAN__V1__READ_FEED__INIT;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_READ_FEED;
    req.read_feed = &feed;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->feed);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor claim a password check, whose answer is the account's hash. */
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    Pelukan__V1__ClaimPassword claim = PELUKAN__V1__CLAIM_PASSWORD__INIT;
    claim.login = "admin1";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD;
    req.claim_password = &claim;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->password_claim);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor set a reporter's safety choices. */
    Pelukan__V1__SetSafety choices = PELUKAN__V1__SET_SAFETY__INIT;
    uint8_t garbage[64] = {0};
    choices.safety_sealed = (ProtobufCBinaryData){sizeof garbage, garbage};
    Pelukan__V1__Actor reporter_actor = forged;
    reporter_actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_REPORTER;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &reporter_actor;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_SAFETY;
    req.set_safety = &choices;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor try a reporter's code. */
    Pelukan__V1__VerifyCode code = PELUKAN__V1__VERIFY_CODE__INIT;
    code.phone_index = code.client_index = code.holder_index = code.code_hash = code.token_hash =
        "0000000000000000000000000000000000000000000000000000000000000000";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_VERIFY_CODE;
    req.verify_code = &code;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->code_verified);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor submit a report. */
    s_report_cmd_t report;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    s_report_cmd(&report, &req);
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->report_receipts);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* ... nor ask whose a reporter's session is (its answer holds her
     * key, wrapped), with the hash of a session that holds. */
    char her_hash[65];
    s_token_hash(reporter, her_hash);
    Pelukan__V1__ResolveSession rs = PELUKAN__V1__RESOLVE_SESSION__INIT;
    rs.token_hash = her_hash;
    rs.reporter = true;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION;
    req.resolve_session = &rs;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "not_for_this_peer");
    cr_assert_null(reply->resolved_session);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    char *state = pkt_sql_value(T.db, "SELECT string_agg(state, ',') FROM intake.cases");
    cr_assert_str_eq(state, "submitted", "nothing changed: %s", state);
    free(state);
    pk_rpc_client_destroy(&rpc);
    pk_bus_keys_destroy(&keys);

    /* Even as the edge, a staff member may not ask whose a reporter's
     * session is (only the edge's SYSTEM actor "sessions" may), nor run
     * the owner's clock's sweep, and an admin may not ask for an erasure
     * (supervisors only). */
    keys = pkt_bus_keys(T.env, "edge");
    rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_INTAKE_RPC"), 0, keys, "intake");
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION;
    req.resolve_session = &rs;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    cr_assert_null(reply->resolved_session);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* As the edge's "sessions", her id and key (wrapped) are answered. */
    Pelukan__V1__Actor sessions = PELUKAN__V1__ACTOR__INIT;
    sessions.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    sessions.id = "sessions";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &sessions;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION;
    req.resolve_session = &rs;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_not_null(reply->resolved_session);
    cr_assert(reply->resolved_session->holds);
    cr_assert_eq(reply->resolved_session->wrapped_key.len, PK_WRAPPED_KEY_BYTES);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ERASE_CASE;
    req.erase_case = &erase;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN);
    cr_assert_str_eq(reply->error_code, "forbidden");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    erase.step = PELUKAN__V1__ERASE_CASE__STEP__STEP_REQUEST;
    erase.reason_code = "other";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.case_id = case_id;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ERASE_CASE;
    req.erase_case = &erase;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden", "an admin asks no erasure");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    char *asked = pkt_sql_value(T.db, "SELECT count(*) FROM intake.erasure_request");
    cr_assert_str_eq(asked, "0");
    free(asked);
    /* A companion opens no personal data of a case, even as the edge
     * would ask it. */
    Pelukan__V1__Actor companion = forged;
    companion.role = "companion";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &companion;
    req.case_id = case_id;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CASE;
    req.get_case = &get;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    cr_assert_null(reply->case_view);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* Nor may a staff member run the owner's clock's purge. */
    Pelukan__V1__Purge purge = PELUKAN__V1__PURGE__INIT;
    purge.keep_s = 90000;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PURGE;
    req.purge = &purge;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* Nor the edge itself, as the SYSTEM actors that once drove them: the
     * purge and the erasure sweep are the case owner's clock's alone
     * (intake_clock.c), so no peer erases on a timer of its own. */
    Pelukan__V1__Actor timer = PELUKAN__V1__ACTOR__INIT;
    timer.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    timer.id = "purge";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &timer;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PURGE;
    req.purge = &purge;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden", "the edge runs no purge");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    timer.id = "erasure";
    erase.step = PELUKAN__V1__ERASE_CASE__STEP__STEP_SWEEP;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &timer;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ERASE_CASE;
    req.erase_case = &erase;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden", "the edge runs no erasure sweep");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* The streams' questions are the edge's own (its SYSTEM actor), not a
     * staff member's: which sessions hold, the feed. */
    char *hash = "0000000000000000000000000000000000000000000000000000000000000000";
    Pelukan__V1__CheckSessions cs = PELUKAN__V1__CHECK_SESSIONS__INIT;
    cs.token_hashes = &hash;
    cs.n_token_hashes = 1;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CHECK_SESSIONS;
    req.check_sessions = &cs;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    cr_assert_null(reply->sessions);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_READ_FEED;
    req.read_feed = &feed;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* A login's claim names its account as the edge's SYSTEM actor "login"
     * only: a staff member claims only her own, another SYSTEM actor
     * nothing; no try is counted against the account named. */
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD;
    req.claim_password = &claim;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID);
    cr_assert_str_eq(reply->error_field, "login");
    cr_assert_null(reply->password_claim);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    Pelukan__V1__Actor streams = PELUKAN__V1__ACTOR__INIT;
    streams.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    streams.id = "streams";
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &streams;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD;
    req.claim_password = &claim;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    cr_assert_null(reply->password_claim);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* A reporter's code is the edge's SYSTEM actor "registration"'s to
     * ask for or try, not a staff member's. */
    Pelukan__V1__RequestCode ask = PELUKAN__V1__REQUEST_CODE__INIT;
    ask.phone_index = ask.client_index = ask.holder_index = ask.code_hash = code.code_hash;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_REQUEST_CODE;
    req.request_code = &ask;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    cr_assert_null(reply->code_requested);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* Nor may a staff member set a reporter's safety choices (only the
     * reporter herself, through the edge). */
    Pelukan__V1__SetSafety safety = PELUKAN__V1__SET_SAFETY__INIT;
    uint8_t sealed[64] = {0};
    safety.safety_sealed = (ProtobufCBinaryData){sizeof sealed, sealed};
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_SAFETY;
    req.set_safety = &safety;
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* A report is the edge's SYSTEM actor "reports"'s to submit, not a
     * staff member's. */
    s_report_cmd_t forged_report;
    pk_rpc_request_init(&req, id, 3000, 2);
    req.actor = &forged;
    s_report_cmd(&forged_report, &req);
    cr_assert_eq(pk_rpc_call(rpc, &req, 3000, 2, &reply), 0);
    cr_assert_str_eq(reply->error_code, "forbidden");
    cr_assert_null(reply->report_receipts);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    char *cases = pkt_sql_value(T.db, "SELECT count(*) FROM intake.cases WHERE id = '00112233445566778899aabbccddeeff'");
    cr_assert_str_eq(cases, "0", "no report was written");
    free(cases);
    char *codes = pkt_sql_value(T.db, "SELECT count(*) FROM intake.otp_request");
    cr_assert_str_eq(codes, "1", "only the reporter's own request was kept: %s", codes);
    free(codes);
    char *tries = pkt_sql_value(T.db, "SELECT failed_logins FROM intake.staff WHERE login = 'admin1'");
    cr_assert_str_eq(tries, "0", "no try was counted against admin1");
    free(tries);
    pk_rpc_client_destroy(&rpc);
    pk_bus_keys_destroy(&keys);

    /* The audit log records the opening as notification's, not the admin's. */
    char args[160], *out;
    snprintf(args, sizeof args, "audit access --case %s --json", case_id);
    out = pkt_ctl_wait(T.env, args, "00112233445566778899aabbccddeeff");
    cr_assert_not_null(strstr(out, "message:00112233445566778899aabbccddeeff:case_update"),
                       "the opening reached the audit log with its message: %s", out);
    cr_assert_null(strstr(out, "forged-admin"), "the claimed actor is not recorded: %s", out);
    cr_assert_not_null(strstr(out, "\"notification\""), "the peer is the actor: %s", out);
    free(out);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    free(case_id);
    free(reporter);
    pkt_intake_stop(&T);
}

/* The operator's key is the operator's: run as another user, pelukanctl
 * cannot use it, and a key file others may read is refused too. */
Test(trust, pelukanctl_refuses_a_key_it_does_not_own_or_others_can_read)
{
    pkt_env_t *env = pkt_env_new("pelukan");
    char *out = NULL;
    struct passwd *nobody = getpwnam("nobody");
    if (geteuid() != 0 || !nobody || access("/usr/sbin/runuser", X_OK) != 0) {
        cr_log_warn("not root (or no user nobody / runuser): the other-user case is not run here");
    } else {
        /* What nobody runs and the key it is refused are copied where
         * nobody can reach them (the checkout may be under a closed home,
         * and the keys' own directory is closed): the refusal seen is then
         * the owner check, not a closed directory on the way. */
        char *dir = pk_asprintf("%s/as-nobody", pkt_env("PKTEST_TMP"));
        char *setup = pk_asprintf("mkdir -p -m 755 '%s' && cp '%s/bin/pelukanctl' '%s/' && cp '%s' '%s/ctl.curve' && "
                                  "chmod 600 '%s/ctl.curve'",
                                  dir, pkt_env("PKTEST_BUILD"), dir,
                                  pkt_env_get(env, "PELUKAN_CTL_CURVE_SECRET_KEY_FILE"), dir, dir);
        cr_assert_eq(system(setup), 0, "%s", setup);
        free(setup);
        char *key = pk_asprintf("%s/ctl.curve", dir);
        char *cmd = pk_asprintf(
            "cd /tmp && runuser -u nobody -- env PELUKAN_CTL_CURVE_SECRET_KEY_FILE='%s' "
            "PELUKAN_CTL_CURVE_PUBLIC_KEY='%s' PELUKAN_AUDIT_CURVE_PUBLIC_KEY='%s' "
            "PELUKAN_INTAKE_CURVE_PUBLIC_KEY='%s' PELUKAN_NOTIFICATION_CURVE_PUBLIC_KEY='%s' "
            "PELUKAN_DISPATCH_CURVE_PUBLIC_KEY='%s' PELUKAN_REFERRAL_CURVE_PUBLIC_KEY='%s' "
            "PELUKAN_EDGE_CURVE_PUBLIC_KEY='%s' "
            "PELUKAN_AUDIT_ARCHIVE='%s' %s/pelukanctl audit replay > %s/nobody.out 2>&1",
            key, pkt_env_get(env, "PELUKAN_CTL_CURVE_PUBLIC_KEY"), pkt_env_get(env, "PELUKAN_AUDIT_CURVE_PUBLIC_KEY"),
            pkt_env_get(env, "PELUKAN_INTAKE_CURVE_PUBLIC_KEY"),
            pkt_env_get(env, "PELUKAN_NOTIFICATION_CURVE_PUBLIC_KEY"),
            pkt_env_get(env, "PELUKAN_DISPATCH_CURVE_PUBLIC_KEY"),
            pkt_env_get(env, "PELUKAN_REFERRAL_CURVE_PUBLIC_KEY"), pkt_env_get(env, "PELUKAN_EDGE_CURVE_PUBLIC_KEY"),
            pkt_env_get(env, "PELUKAN_AUDIT_ARCHIVE"), dir, pkt_env("PKTEST_TMP"));
        int st = system(cmd);
        free(cmd);
        free(key);
        free(dir);
        cr_assert_eq(WEXITSTATUS(st), 2, "pelukanctl as nobody exits 2");
        char *path = pk_asprintf("%s/nobody.out", pkt_env("PKTEST_TMP"));
        cr_assert_eq(pk_read_file(path, &out, NULL), 0);
        free(path);
        cr_assert_not_null(strstr(out, "PELUKAN_CTL_CURVE_SECRET_KEY_FILE="), "%s", out);
        cr_assert_not_null(strstr(out, "not by this user"), "refused as another user's key: %s", out);
        free(out);
    }
    /* A copy of the key, readable by the group. */
    char *copy = pk_asprintf("%s/ctl-open.curve", pkt_env("PKTEST_TMP"));
    char *text = NULL;
    cr_assert_eq(pk_read_file(pkt_env_get(env, "PELUKAN_CTL_CURVE_SECRET_KEY_FILE"), &text, NULL), 0);
    FILE *f = fopen(copy, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    chmod(copy, 0640);
    pkt_env_set(env, "PELUKAN_CTL_CURVE_SECRET_KEY_FILE", copy);
    cr_assert_eq(pkt_ctl(env, "audit replay", NULL, &out), 2);
    cr_assert_not_null(strstr(out, "is open to group or others"), "%s", out);
    free(out);
    free(copy);
    pkt_env_destroy(&env);
}
