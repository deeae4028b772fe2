-- The case's states in words, one list for the staff app and intake (issue
-- 24: the staff app kept its own copy). The codes are the life cycle's
-- (services/intake/intake_case.c; intake refuses to start when a state has
-- no row here). The staff app has no Sundanese: its Indonesian words stand.
INSERT INTO category (kind, code, label_id, label_en, label_su, position) VALUES
    ('case_state', 'submitted', 'Baru', 'New', 'Baru', 1),
    ('case_state', 'verified', 'Terverifikasi', 'Verified', 'Terverifikasi', 2),
    ('case_state', 'assigned', 'Pendamping ditugaskan', 'Companion assigned', 'Pendamping ditugaskan', 3),
    ('case_state', 'en_route', 'Pendamping berangkat', 'Companion on the way', 'Pendamping berangkat', 4),
    ('case_state', 'on_site', 'Pendamping di lokasi', 'Companion on site', 'Pendamping di lokasi', 5),
    ('case_state', 'assessed', 'Sudah diidentifikasi', 'Identified', 'Sudah diidentifikasi', 6),
    ('case_state', 'referred', 'Dirujuk', 'Referred', 'Dirujuk', 7),
    ('case_state', 'accepted', 'Diterima lembaga', 'Accepted by agency', 'Diterima lembaga', 8),
    ('case_state', 'closed', 'Selesai', 'Closed', 'Selesai', 9),
    ('case_state', 'rejected', 'Ditolak', 'Rejected', 'Ditolak', 10),
    ('case_state', 'duplicate', 'Duplikat', 'Duplicate', 'Duplikat', 11),
    ('case_state', 'withdrawn', 'Ditarik pelapor', 'Withdrawn by reporter', 'Ditarik pelapor', 12),
    ('case_state', 'declined', 'Rujukan ditolak', 'Referral declined', 'Rujukan ditolak', 13);
