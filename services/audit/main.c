/* main.c -- the PELUKAN audit service: the shared main with its definition. */
#include "pelukan/service.h"

int main(int argc, char **argv)
{
    static const pk_service_def_t def = {.name = "audit"};
    return pk_service_main(&def, argc, argv);
}
