/* pelukanctl.c -- the command-line tool for auditors and administrators.
 * Configuration comes from the environment, as for the services. */
#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/audit/audit.h"
#include "ctl.h"
#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

extern char **environ;

static const struct {
    const char *group, *name;
    int (*run)(const ctl_t *ctl, int argc, char **argv);
    const char *usage;
    bool bus; /* speaks on the bus as peer "ctl" */
} s_commands[] = {
    {"audit", "verify", ctl_audit_verify,
     "audit verify [--public-key HEX]\n"
     "      recompute the chain and the Merkle tree, check every signed checkpoint;\n"
     "      name the first bad entry (exit 1)",
     false},
    {"audit", "replay", ctl_audit_replay,
     "audit replay [--from GSEQ] [--case ID] [--type TYPE] [--follow] [--json]\n"
     "      print the log, one event per line, from the archive",
     true},
    {"audit", "access", ctl_audit_access,
     "audit access (--case ID | --staff ID) [--json]\n"
     "      who opened which case's personal data, when and why",
     true},
    {"audit", "prove", ctl_audit_prove,
     "audit prove (--case ID [--checkpoint GSEQ] | --from GSEQ --to GSEQ)\n"
     "      print inclusion proofs of a case's entries in a signed checkpoint (the\n"
     "      archive finds them), or a consistency proof between two checkpoints",
     true},
    {"audit", "check-proof", ctl_audit_check_proof,
     "audit check-proof [--public-key HEX] [FILE]\n"
     "      check a proof offline (stdin when no FILE); exit 1 when it does not hold",
     false},
    {"watch", NULL, ctl_watch,
     "watch [--case ID] [--type TYPE] [--json]\n"
     "      the events of every service as they happen, one line each (live; audit replay is the record)",
     true},
    {"bus", "keygen", ctl_bus_keygen,
     "bus keygen DIR NAME...\n"
     "      write a new CURVE key pair for each peer NAME: DIR/NAME.curve (secret, mode 0600) and DIR/NAME.pub",
     false},
    {"staff", "add", ctl_staff_add,
     "staff add --login LOGIN --name NAME --role admin|companion|agency|supervisor|auditor\n"
     "      [--agency CODE] [--email ADDRESS] [--password-stdin]\n"
     "      create a staff account; without --password-stdin a password is made and shown once",
     false},
    {"staff", "list", ctl_staff_list, "staff list\n      logins, roles, agencies, state", false},
    {"staff", "disable", ctl_staff_disable, "staff disable --login LOGIN\n      disable an account, end its sessions",
     false},
};

static int s_usage(void)
{
    fputs("usage: pelukanctl COMMAND [OPTIONS]\n\n", stderr);
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        fprintf(stderr, "  pelukanctl %s\n\n", s_commands[i].usage);
    fputs(
        "audit commands reach the database as the audit role (PELUKAN_DB_URL or PELUKAN_AUDIT_DB_URL), the archive\n"
        "at PELUKAN_AUDIT_ARCHIVE; without --public-key the key is derived from\n"
        "PELUKAN_AUDIT_SIGNING_KEY_FILE. staff commands use the intake role (PELUKAN_INTAKE_DB_URL).\n"
        "On the bus pelukanctl is the peer \"ctl\": its secret key is PELUKAN_CTL_CURVE_SECRET_KEY_FILE, and\n"
        "every peer's public key PELUKAN_<PEER>_CURVE_PUBLIC_KEY. It may read events and the archive, nothing else.\n",
        stderr);
    return CTL_ERROR;
}

int ctl_bus_keygen(const ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    if (argc < 2) {
        fprintf(stderr, "usage: pelukanctl bus keygen DIR NAME...\n");
        return CTL_ERROR;
    }
    for (int i = 1; i < argc; i++) {
        if (pk_bus_keygen(argv[0], argv[i]) != 0) {
            fprintf(stderr, "pelukanctl: cannot write %s/%s.curve (does it exist already?)\n", argv[0], argv[i]);
            return CTL_ERROR;
        }
    }
    return CTL_OK;
}

PGconn *ctl_db(const ctl_t *ctl)
{
    char *ci =
        pk_pg_conninfo(pk_config_str(ctl->cfg, "PELUKAN_DB_URL"), pk_config_own_str(ctl->cfg, "DB_URL"), "audit");
    PGconn *conn = pk_pg_connect(ci, ctl->log, 5000);
    free(ci);
    if (!conn)
        fprintf(stderr, "pelukanctl: cannot connect to the audit database\n");
    return conn;
}

bool ctl_public_key(const ctl_t *ctl, const char *hex, uint8_t pk[32])
{
    if (hex) {
        size_t bin = 0;
        if (sodium_hex2bin(pk, 32, hex, strlen(hex), NULL, &bin, NULL) != 0 || bin != 32) {
            fprintf(stderr, "pelukanctl: --public-key wants 64 hex digits\n");
            return false;
        }
        return true;
    }
    unsigned char *sk = sodium_malloc(64);
    int rc = audit_signing_key_load(pk_config_str(ctl->cfg, "PELUKAN_AUDIT_SIGNING_KEY_FILE"), pk, sk);
    sodium_free(sk);
    if (rc != 0)
        fprintf(stderr, "pelukanctl: give --public-key, or PELUKAN_AUDIT_SIGNING_KEY_FILE as a 32-byte Ed25519 seed\n");
    return rc == 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return s_usage();
    if (pk_crypto_init() != 0)
        return CTL_ERROR;
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++) {
        bool one_word = !s_commands[i].name;
        if (strcmp(argv[1], s_commands[i].group) != 0 ||
            (!one_word && (argc < 3 || strcmp(argv[2], s_commands[i].name) != 0)))
            continue;
        int skip = one_word ? 2 : 3;
        char err[512];
        const pk_config_def_t *const tables[] = {audit_settings, NULL};
        ctl_t ctl = {.cfg = pk_config_new_tool("audit", tables, environ, err, sizeof err)};
        if (!ctl.cfg) {
            fprintf(stderr, "pelukanctl: configuration error: %s\n", err);
            return CTL_ERROR;
        }
        zsys_init(); /* its signal handler ends --follow through zsys_interrupted */
        ctl.log = pk_log_new("pelukanctl", PK_LOG_WARN, PK_LOG_LOGFMT, 2);
        if (s_commands[i].bus && !(ctl.keys = pk_bus_keys_load(ctl.cfg, "ctl", err, sizeof err))) {
            fprintf(stderr, "pelukanctl: configuration error: %s\n", err);
            pk_log_destroy(&ctl.log);
            pk_config_destroy(&ctl.cfg);
            return CTL_ERROR;
        }
        int rc = s_commands[i].run(&ctl, argc - skip, argv + skip);
        pk_bus_keys_destroy(&ctl.keys);
        pk_log_destroy(&ctl.log);
        pk_config_destroy(&ctl.cfg);
        return rc;
    }
    return s_usage();
}
