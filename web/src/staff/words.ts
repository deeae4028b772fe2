// The codes of the staff API in words, Bahasa Indonesia first, English
// second: nobody at the desk, in the field or at an agency should have to
// read a code. The kinds of violence, the needs and the case's states come
// from /v1/catalog.
import { api, type Catalog } from '../shared/api/client';
import type { StaffLang } from './i18n';

type Words = Record<string, { id: string; en: string }>;
const w = (pairs: Record<string, [string, string]>): Words =>
  Object.fromEntries(Object.entries(pairs).map(([k, [id, en]]) => [k, { id, en }]));

export const WORDS = {
  // The case's states come from /v1/catalog (the life cycle's own list, in
  // its order); only the queue's filter "open" is the app's word.
  state: w({
    open: ['Belum selesai', 'Not finished'], // a filter of the queue, never a case's state
  }),
  visit: w({
    assigned: ['Ditugaskan', 'Assigned'],
    accepted: ['Diterima', 'Accepted'],
    en_route: ['Dalam perjalanan', 'On the way'],
    on_site: ['Di lokasi', 'On site'],
    completed: ['Selesai', 'Completed'],
    declined: ['Ditolak', 'Declined'],
    cancelled: ['Dibatalkan', 'Cancelled'],
  }),
  agency: w({
    uptd_ppa: ['UPTD PPA', 'UPTD PPA'],
    puspaga: ['Puspaga', 'Puspaga'],
    faskes: ['Fasilitas kesehatan', 'Health facility'],
    polres_ppa: ['Unit PPA Polres', 'Police PPA unit'],
    lbh: ['Bantuan hukum (LBH)', 'Legal aid (LBH)'],
  }),
  service: w({
    pengaduan: ['Pengaduan', 'Complaint handling'],
    kesehatan: ['Kesehatan', 'Health care'],
    bantuan_hukum: ['Bantuan hukum', 'Legal aid'],
    penegakan_hukum: ['Penegakan hukum', 'Law enforcement'],
    rehabilitasi_sosial: ['Rehabilitasi sosial', 'Social rehabilitation'],
    reintegrasi_sosial: ['Reintegrasi sosial', 'Social reintegration'],
    pemulangan: ['Pemulangan', 'Return home'],
    pendampingan_tokoh_agama: ['Pendampingan tokoh agama', 'Support by a religious leader'],
  }),
  referral: w({
    sent: ['Terkirim, menunggu jawaban', 'Sent, awaiting an answer'],
    accepted: ['Diterima', 'Accepted'],
    declined: ['Ditolak', 'Declined'],
    in_service: ['Sedang dilayani', 'In service'],
    closed: ['Selesai', 'Closed'],
  }),
  referral_reason: w({
    identification_needs: ['Kebutuhan hasil identifikasi', 'Needs found by the identification'],
    victim_request: ['Permintaan korban', "The victim's request"],
    legal_obligation: ['Kewajiban hukum', 'Legal obligation'],
    continuity_of_care: ['Kelanjutan layanan', 'Continuity of care'],
    other: ['Lainnya', 'Other'],
  }),
  legal_basis: w({
    child_protection: ['Perlindungan anak', 'Child protection'],
    vital_interest: ['Kepentingan vital (keselamatan jiwa)', 'Vital interest (a life at risk)'],
    legal_obligation: ['Kewajiban hukum', 'Legal obligation'],
    court_order: ['Perintah pengadilan', 'Court order'],
  }),
  agency_decline: w({
    out_of_scope: ['Di luar layanan kami', 'Outside our services'],
    no_capacity: ['Tidak ada kapasitas', 'No capacity'],
    not_in_area: ['Di luar wilayah', 'Outside our area'],
    duplicate: ['Duplikat', 'Duplicate'],
    other: ['Lainnya', 'Other'],
  }),
  outcome: w({
    services_completed: ['Layanan tuntas', 'Services completed'],
    victim_withdrew: ['Korban mengundurkan diri', 'The victim withdrew'],
    transferred: ['Dialihkan', 'Transferred'],
    unreachable: ['Tidak dapat dihubungi', 'Unreachable'],
    other: ['Lainnya', 'Other'],
  }),
  next_step: w({
    continue_service: ['Lanjutkan layanan', 'Continue the service'],
    refer_further: ['Rujuk lebih lanjut', 'Refer further'],
    home_visit: ['Kunjungan rumah', 'Home visit'],
    court_process: ['Proses pengadilan', 'Court process'],
    close_case: ['Tutup kasus', 'Close the case'],
  }),
  purpose: w({
    confirmation_call: ['Telepon konfirmasi', 'Confirmation call'],
    verification: ['Verifikasi', 'Verification'],
    case_review: ['Peninjauan kasus', 'Case review'],
    follow_up: ['Tindak lanjut', 'Follow-up'],
    legal_request: ['Permintaan hukum', 'Legal request'],
  }),
  // Why personal data was opened: the staff's purposes and the services' own.
  access: w({
    confirmation_call: ['Telepon konfirmasi', 'Confirmation call'],
    verification: ['Verifikasi', 'Verification'],
    case_review: ['Peninjauan kasus', 'Case review'],
    follow_up: ['Tindak lanjut', 'Follow-up'],
    legal_request: ['Permintaan hukum', 'Legal request'],
    companion_suggestion: ['Mencari pendamping terdekat', 'Finding the nearest companion'],
    companion_dispatch: ['Tempat dikirim ke pendamping', 'The place sent to the companion'],
    companion_visit: ['Pendamping membuka tempat', 'The companion opened the place'],
  }),
  call: w({
    reached: ['Tersambung', 'Reached'],
    not_reached: ['Tidak tersambung', 'Not reached'],
    false_report: ['Laporan palsu', 'False report'],
    unsafe_override: ['Ditelepon di luar waktu aman (dengan alasan)', 'Called outside the safe time (with a reason)'],
  }),
  reject: w({
    false_report: ['Laporan palsu', 'False report'],
    spam: ['Spam', 'Spam'],
    out_of_scope: ['Di luar cakupan layanan', 'Out of scope'],
    other: ['Lainnya', 'Other'],
  }),
  channel: w({
    call: ['Telepon', 'Phone call'],
    sms: ['SMS', 'SMS'],
    whatsapp: ['WhatsApp', 'WhatsApp'],
    in_app: ['Lewat aplikasi saja', 'In the app only'],
  }),
  sex: w({
    F: ['Perempuan', 'Woman'],
    M: ['Laki-laki', 'Man'],
  }),
  language: w({
    id: ['Bahasa Indonesia', 'Indonesian'],
    su: ['Basa Sunda', 'Sundanese'],
    en: ['Bahasa Inggris', 'English'],
  }),
  role: w({
    admin: ['Admin', 'Admin'],
    companion: ['Pendamping', 'Companion'],
    agency: ['Petugas lembaga', 'Agency officer'],
    supervisor: ['Supervisor', 'Supervisor'],
    auditor: ['Auditor', 'Auditor'],
  }),
  guardian: w({
    not_child: ['Bukan anak', 'Not a child'],
    with_parents: ['Bersama orang tua', 'With the parents'],
    with_relative: ['Bersama kerabat', 'With a relative'],
    guardian_is_perpetrator: ['Wali adalah pelaku', 'The guardian is the perpetrator'],
    no_guardian: ['Tanpa wali', 'No guardian'],
    institution: ['Di lembaga', 'In an institution'],
  }),
  visit_decline: w({
    unavailable: ['Tidak tersedia', 'Unavailable'],
    too_far: ['Terlalu jauh', 'Too far'],
    unsafe: ['Tidak aman', 'Unsafe'],
    conflict_of_interest: ['Ada konflik kepentingan', 'Conflict of interest'],
    other: ['Lainnya', 'Other'],
  }),
  // Why a companion asks the office to reach the reporter (issue 22 §3).
  reach: w({
    cannot_find_place: ['Tidak menemukan tempatnya', 'Cannot find the place'],
    arrange_meeting: ['Perlu mengatur waktu bertemu', 'A meeting time to arrange'],
    need_information: ['Perlu keterangan dari pelapor', 'Needs information from the reporter'],
    reporter_absent: ['Tidak ada orang di tempat', 'Nobody at the place'],
    other: ['Alasan lain', 'Another reason'],
  }),
  // Timeline entries of other services ("<service>:<event>") and intake's own kinds.
  step: w({
    state: ['Status', 'State'],
    call: ['Telepon konfirmasi', 'Confirmation call'],
    note: ['Catatan', 'Note'],
    access: ['Data pribadi dibuka', 'Personal data opened'],
    reach_request: ['Pendamping minta pelapor dihubungi', 'The companion asks for the reporter to be reached'],
    reach_done: ['Admin sudah menghubungi pelapor', 'An admin reached the reporter'],
    'dispatch:companion_assigned': ['Pendamping ditugaskan', 'Companion assigned'],
    'dispatch:visit_accepted': ['Pendamping menerima', 'Companion accepted'],
    'dispatch:visit_declined': ['Pendamping menolak', 'Companion declined'],
    'dispatch:companion_en_route': ['Pendamping berangkat', 'Companion left'],
    'dispatch:companion_arrived': ['Pendamping tiba', 'Companion arrived'],
    'dispatch:visit_completed': ['Kunjungan selesai', 'Visit completed'],
    'dispatch:identification_report_submitted': ['Laporan identifikasi masuk', 'Identification report in'],
    'referral:referral_created': ['Dirujuk', 'Referred'],
    'referral:referral_accepted': ['Rujukan diterima', 'Referral accepted'],
    'referral:referral_declined': ['Rujukan ditolak', 'Referral declined'],
    'referral:follow_up_recorded': ['Tindak lanjut dicatat', 'Follow-up recorded'],
    'referral:referral_closed': ['Rujukan selesai', 'Referral closed'],
    'referral:referral_overdue': ['Rujukan terlambat dijawab', 'Referral overdue'],
    'referral:deadline': ['Tenggat kasus', 'Case deadline'],
  }),
};
export type WordList = keyof typeof WORDS;

// Words from the code lists (kinds of violence, needs), filled once.
const fromCatalog: Record<string, Words> = {};
let catalogLoad: Promise<void> | null = null;
export function loadCatalogWords(): Promise<void> {
  catalogLoad ??= api<Catalog>('GET', '/v1/catalog')
    .then((r) => {
      for (const [list, entries] of Object.entries(r.data))
        fromCatalog[list] = Object.fromEntries(entries.map((e) => [e.code, { id: e.label_id, en: e.label_en }]));
    })
    .catch(() => undefined);
  return catalogLoad;
}

// The codes of a code list from /v1/catalog, in its order (empty until loaded).
export const catalogCodes = (list: 'violence_form' | 'need'): string[] => Object.keys(fromCatalog[list] ?? {});

// The words of a list: the app's own, else the catalogue's; the states are
// the catalogue's, beside the app's filter word "open".
const listWords = (list: string): Words | undefined =>
  list in WORDS && list !== 'state' ? WORDS[list as WordList] : fromCatalog[list === 'state' ? 'case_state' : list];

// A code in words; the code itself when it has none (never an empty cell).
export function word(list: WordList | 'violence_form' | 'need' | 'relation' | 'place_type' | 'age_band', code: string | null | undefined, lang: StaffLang): string {
  if (!code) return '—';
  const own = list === 'state' ? WORDS.state[code] : undefined;
  return (own ?? listWords(list)?.[code])?.[lang] ?? code;
}
export const codes = (list: WordList): string[] =>
  list === 'state' ? [...Object.keys(WORDS.state), ...Object.keys(fromCatalog.case_state ?? {})] : Object.keys(listWords(list) ?? {});

// Kecamatan names from /v1/regions, for filters and rows; desa names too.
type Kecamatan = { code: string; name: string; desa?: { code: string; name: string }[] };
let regions: Promise<Kecamatan[]> | null = null;
function regionList(): Promise<Kecamatan[]> {
  regions ??= api<{ kecamatan: Kecamatan[] }>('GET', '/v1/regions')
    .then((r) => r.data.kecamatan)
    .catch(() => []);
  return regions;
}
export const kecamatanList = (): Promise<{ code: string; name: string }[]> =>
  regionList().then((k) => k.map(({ code, name }) => ({ code, name })));
export const desaName = (code: string | null | undefined): Promise<string | null> =>
  code ? regionList().then((k) => k.flatMap((x) => x.desa ?? []).find((d) => d.code === code)?.name ?? code) : Promise.resolve(null);

export const when = (iso: string | number, lang: StaffLang) =>
  new Date(iso).toLocaleString(lang === 'id' ? 'id-ID' : 'en-GB', { timeZone: 'Asia/Jakarta', dateStyle: 'medium', timeStyle: 'short' });
