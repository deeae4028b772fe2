-- Review M7: urgent reports reach the admins as one mail per few minutes
-- with a count, never one mail per report.
UPDATE template SET body =
    '{count} laporan mendesak baru masuk (kecamatan {kecamatan}). Buka konsol admin untuk menindaklanjuti dalam hari ini.'
    WHERE code = 'urgent_report' AND locale = 'id';
UPDATE template SET body =
    '{count} new urgent report(s) arrived (kecamatan {kecamatan}). Open the admin console to act on them today.'
    WHERE code = 'urgent_report' AND locale = 'en';
