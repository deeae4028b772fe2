/* edge_assign.c -- an admin's choice of a companion for a verified case:
 * the suggestions (GET /v1/staff/cases/{id}/companions) and the assignment
 * (POST /v1/staff/cases/{id}/assign), both dispatch's. The case's place
 * never passes here: dispatch asks the case owner for it (GetPlace,
 * intake_place.c), which refuses it (409) unless the case's life cycle
 * allows a companion, and records the opening when it answers. */
#include "edge_assign.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_forward.h"
#include "pelukan/util.h"

typedef Pelukan__V1__CommandReply s_reply_t;

/* ---- GET /v1/staff/cases/{id}/companions --------------------------------------- */

static void s_suggested(int rc, const s_reply_t *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    json_t *items = json_array();
    const Pelukan__V1__Suggestions *s =
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_SUGGESTIONS ? reply->suggestions : NULL;
    for (size_t i = 0; s && i < s->n_items; i++) {
        const Pelukan__V1__Suggestion *it = s->items[i];
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:b, s:i, s:b, s:b}", "companion_id", it->companion_id, "first_name",
                      it->first_name, "badge", it->badge, "position_known", it->position_known, "load", (int)it->load,
                      "preference_met", it->preference_met, "covers_kecamatan", it->covers_kecamatan);
        if (it->position_known) {
            json_object_set_new(j, "distance_m", json_integer((json_int_t)llround(it->distance_m)));
            json_object_set_new(j, "eta_minutes", json_integer(it->eta_minutes));
            if (it->position)
                json_object_set_new(j, "position",
                                    json_pack("{s:f, s:f}", "lat", it->position->lat, "lon", it->position->lon));
        }
        json_array_append_new(items, j);
    }
    intake_json(
        c->req, 200,
        json_pack("{s:s, s:b, s:o}", "case_id", c->case_id, "place_known", s && s->place_known, "companions", items));
    edge_call_free(c);
}

void edge_assign_suggest(edge_call_t *c)
{
    const char *sex = pk_http_query(c->req, "prefer_sex"), *lang = pk_http_query(c->req, "prefer_language");
    json_t *errors = json_object();
    if (sex && strcmp(sex, "F") != 0 && strcmp(sex, "M") != 0)
        json_object_set_new(errors, "prefer_sex", json_string("F atau M"));
    if (lang && (strlen(lang) < 2 || strlen(lang) > 8 || strspn(lang, "abcdefghijklmnopqrstuvwxyz") != strlen(lang)))
        json_object_set_new(errors, "prefer_language", json_string("kode bahasa, mis. id atau su"));
    if (intake_invalid(c, errors, "Filter tidak valid"))
        return;
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    Pelukan__V1__SuggestCompanions s = PELUKAN__V1__SUGGEST_COMPANIONS__INIT;
    s.prefer_sex = (char *)(sex ? sex : "");
    s.prefer_language = (char *)(lang ? lang : "");
    intake_forward_send(c, INTAKE_TO_DISPATCH, c->case_id, &s.base, s_suggested);
}

/* ---- POST /v1/staff/cases/{id}/assign ---------------------------------------------- */

static void s_visit_answer(int rc, const s_reply_t *reply, void *arg)
{
    intake_forward_answer(arg, "dispatch", rc, reply, "visit", NULL, INTAKE_SHAPE_VISIT);
}

void edge_assign_send(edge_call_t *c)
{
    static const char *const keys[] = {"companion_id", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    const char *companion = json_string_value(json_object_get(c->body, "companion_id"));
    if (!pk_id_ok(companion))
        json_object_set_new(errors, "companion_id", json_string("id staf pendamping"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    Pelukan__V1__AssignCompanion a = PELUKAN__V1__ASSIGN_COMPANION__INIT;
    char visit_id[PK_ID_HEX_LEN + 1];
    pk_id_new(visit_id);
    a.visit_id = visit_id;
    a.companion_id = (char *)companion;
    intake_forward_send(c, INTAKE_TO_DISPATCH, pk_http_param(c->req, 0), &a.base, s_visit_answer);
}
