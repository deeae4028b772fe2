-- A companion asks the office to reach the reporter (issue 22 §3): she
-- never calls the reporter herself; an admin does, in the reporter's safe
-- hours and by her safe channel. The request waits on the case (a code and
-- when) until an admin records a call; the timeline keeps every request.
ALTER TABLE cases
    ADD COLUMN reach_reason text
        CHECK (reach_reason IN ('cannot_find_place', 'arrange_meeting', 'need_information', 'reporter_absent', 'other')),
    ADD COLUMN reach_requested_at timestamptz;
