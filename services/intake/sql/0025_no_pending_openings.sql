-- The place is no longer handed to dispatch by the HTTP edge (issue 24,
-- decision 3): dispatch asks intake for it (GetPlace) and intake records
-- the opening in the transaction that answers, so no hand-over waits to
-- be settled. A hand-over still pending from before the upgrade (intake
-- stopped between a command and its answer) is kept as the opening it was,
-- on the case's timeline, before the table goes.
INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)
SELECT x.id, 'access', x.state, p.purpose, 'staff', p.staff_id
FROM opening_pending p JOIN cases x ON x.id = p.case_id;

DROP TABLE opening_pending;
