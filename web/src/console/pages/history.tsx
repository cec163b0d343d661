// "Riwayat" (auditors, admins): every event in the order it was recorded, filtered and paged;
// personal data masked unless one record is asked for (a request number, a NIK, an account),
// and that look is itself written to the audit log. The export for offline checks is a command.

import { useEffect, useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../../api/client";
import { ErrorSummary, type FieldErrors, RadioGroup, TextInput } from "../../components/fields";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { Actor, DateRangeFields, dayEnd, dayStart, FilterSelect } from "../audit";
import { graphql } from "../gql";
import type { EventHistoryFilter, HistoryEventFieldsFragment, RecordHistoryQueryVariables } from "../gql/graphql";
import { RequireStaff } from "../layout";
import "../admin.css";

graphql(`
  fragment HistoryEventFields on HistoryEvent {
    position
    aggregateType
    aggregateId
    sequence
    eventType
    payload
    actorId
    actorRole
    actorName
    actorUsername
    clientAddress
    recordedAt
  }
`);

const EventHistoryPage = graphql(`
  query EventHistoryPage($filter: EventHistoryFilter, $after: String) {
    eventHistory(filter: $filter, first: 50, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...HistoryEventFields
      }
    }
  }
`);

const RecordHistory = graphql(`
  query RecordHistory($requestNumber: String, $accountId: ID) {
    recordHistory(requestNumber: $requestNumber, accountId: $accountId) {
      ...HistoryEventFields
    }
  }
`);

type HistoryEvent = HistoryEventFieldsFragment;

const AGGREGATE_LABELS: Record<string, string> = {
  Account: "Akun penduduk",
  ServiceRequest: "Pengajuan",
  StaffAccount: "Akun petugas",
  LegacyAccount: "Akun layanan lama",
  OfficeCalendar: "Kalender kantor",
  SignIn: "Masuk",
};

/** The server's event types (domain::privacy::EVENT_TYPES) in the office's words. */
const EVENT_LABELS: Record<string, string> = {
  StaffAccountCreated: "Akun petugas dibuat",
  StaffRoleChanged: "Peran petugas diubah",
  StaffPasswordChanged: "Kata sandi petugas diganti",
  StaffAccountDeactivated: "Akun petugas dinonaktifkan",
  StaffSignedIn: "Petugas masuk",
  HolidayAdded: "Hari tutup ditambahkan",
  HolidayRemoved: "Hari tutup dihapus",
  OutageDeclared: "Gangguan dinyatakan",
  OutageEnded: "Gangguan diakhiri",
  AccountRegistered: "Akun penduduk didaftarkan",
  AccountApproved: "Akun penduduk disetujui",
  AccountRejected: "Akun penduduk ditolak",
  ResidentSignedIn: "Penduduk masuk",
  PasswordResetRequested: "Reset kata sandi diminta",
  PasswordResetApproved: "Reset kata sandi disetujui",
  PasswordResetRejected: "Reset kata sandi ditolak",
  PasswordResetCodeRefused: "Kode reset ditolak",
  PasswordChanged: "Kata sandi penduduk diganti",
  LegacyAccessGranted: "Akses layanan lama diberikan",
  LegacyAccountImported: "Akun layanan lama diimpor",
  RequestSubmitted: "Pengajuan dikirim",
  RequestClaimed: "Pengajuan diambil petugas",
  RequestReleased: "Pengajuan dilepaskan",
  RequestReassigned: "Pengajuan dialihkan",
  ReuploadDemanded: "Upload ulang diminta",
  DocumentsReuploaded: "Dokumen diupload ulang",
  RequestCompleted: "Pengajuan selesai",
  ReadyForPickup: "Siap diambil",
  DocumentCollected: "Sudah diambil",
  RequestRejected: "Pengajuan ditolak",
  RequestCancelled: "Pengajuan dibatalkan",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function History() {
  usePageTitle("Riwayat");
  return (
    <RequireStaff area="history">
      <HistoryPage />
    </RequireStaff>
  );
}

function HistoryPage() {
  return (
    <>
      <h1>Riwayat</h1>
      <p>
        Semua kejadian yang tercatat, dalam urutan pencatatannya. Riwayat tidak dapat diubah atau dihapus. Data pribadi
        (NIK, nama, nomor HP, isian formulir) disamarkan, kecuali bila Anda membuka satu catatan.
      </p>
      <EventList />
      <SingleRecord />
      <ExportHelp />
    </>
  );
}

interface Filters {
  aggregateType: string;
  eventType: string;
  actorId: string;
  from: string;
  to: string;
  requestNumber: string;
  nik: string;
}

const EMPTY: Filters = { aggregateType: "", eventType: "", actorId: "", from: "", to: "", requestNumber: "", nik: "" };

const FILTER_LABELS: Record<keyof Filters, string> = {
  aggregateType: "Jenis catatan",
  eventType: "Jenis kejadian",
  actorId: "ID pelaku",
  from: "Dari tanggal",
  to: "Sampai tanggal",
  requestNumber: "Nomor pengajuan",
  nik: "NIK",
};

/** Which filter a refusal is about. */
function fieldOf(code: string): keyof Filters | undefined {
  if (code === "REQUEST_NOT_FOUND") return "requestNumber";
  if (code.startsWith("NIK_")) return "nik";
  if (code === "INVALID_RANGE") return "to";
  if (code === "UNKNOWN_EVENT_TYPE") return "eventType";
  if (code === "INVALID_ID") return "actorId";
  return undefined;
}

function toFilter(f: Filters): EventHistoryFilter {
  return {
    ...(f.aggregateType ? { aggregateType: f.aggregateType } : {}),
    ...(f.eventType ? { eventType: f.eventType } : {}),
    ...(f.actorId.trim() ? { actorId: f.actorId.trim() } : {}),
    ...(f.from ? { from: dayStart(f.from) } : {}),
    ...(f.to ? { to: dayEnd(f.to) } : {}),
    ...(f.requestNumber.trim() ? { requestNumber: f.requestNumber.trim().toUpperCase() } : {}),
    ...(f.nik.trim() ? { nik: f.nik.replace(/\s/g, "") } : {}),
  };
}

function EventList() {
  const [form, setForm] = useState<Filters>(EMPTY);
  // The filter of the events shown (paging continues with it, whatever the form says since).
  const [applied, setApplied] = useState<EventHistoryFilter>({});
  const [events, setEvents] = useState<HistoryEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (name: keyof Filters) => (value: string) => setForm((before) => ({ ...before, [name]: value }));

  const fetchPage = async (filter: EventHistoryFilter, after: string | null) => {
    setBusy(true);
    try {
      const reply = await gql(EventHistoryPage, { filter, after });
      const page = reply.eventHistory;
      setEvents((before) => (after ? [...(before ?? []), ...page.nodes] : page.nodes));
      setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
      setApplied(filter);
      setErrors({});
      setMessage(undefined);
    } catch (failure) {
      const field = failure instanceof ApiError ? fieldOf(failure.code) : undefined;
      setErrors(field ? { [field]: messageOf(failure) } : {});
      setMessage(field ? undefined : messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void fetchPage({}, null);
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems: FieldErrors = {};
    if (form.actorId.trim() && !UUID.test(form.actorId.trim()))
      problems.actorId = "ID pelaku berupa UUID, misalnya 0b7e…-…; salin dari kolom Pelaku.";
    if (form.requestNumber.trim() && form.nik.trim()) problems.nik = "Isi salah satu saja: nomor pengajuan atau NIK.";
    if (form.from && form.to && form.from > form.to) problems.to = "Tanggal akhir harus sesudah tanggal awal.";
    setErrors(problems);
    setMessage(undefined);
    if (Object.keys(problems).length) return;
    void fetchPage(toFilter(form), null);
  };

  const single = Boolean(applied.requestNumber || applied.nik);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Kejadian</h2>
      <ErrorSummary
        message={message}
        errors={errors}
        order={Object.keys(FILTER_LABELS)}
        labels={FILTER_LABELS as Record<string, string>}
      />
      <form class="filter-form" onSubmit={submit} noValidate>
        <div class="filter-grid">
          <FilterSelect
            name="aggregateType"
            label={FILTER_LABELS.aggregateType}
            all="Semua catatan"
            options={AGGREGATE_LABELS}
            value={form.aggregateType}
            onValue={set("aggregateType")}
            error={errors.aggregateType}
          />
          <FilterSelect
            name="eventType"
            label={FILTER_LABELS.eventType}
            all="Semua kejadian"
            options={EVENT_LABELS}
            value={form.eventType}
            onValue={set("eventType")}
            error={errors.eventType}
          />
          <TextInput
            name="actorId"
            label={FILTER_LABELS.actorId}
            optional
            autocomplete="off"
            maxLength={36}
            value={form.actorId}
            onValue={set("actorId")}
            error={errors.actorId}
          />
          <DateRangeFields from={form.from} to={form.to} labels={FILTER_LABELS} errors={errors} set={set} />
        </div>
        <fieldset class="one-record">
          <legend>Satu catatan</legend>
          <p class="notice warning">
            Nomor pengajuan atau NIK memilih <strong>satu catatan</strong>: data pribadinya ditampilkan tanpa
            disamarkan, dan tampilan itu <strong>dicatat di log audit atas nama Anda</strong>. Buka hanya bila ada
            keperluannya.
          </p>
          <div class="filter-grid">
            <TextInput
              name="requestNumber"
              label={FILTER_LABELS.requestNumber}
              hint="Misalnya AK-2026-000123."
              optional
              autocomplete="off"
              autocapitalize="characters"
              maxLength={40}
              value={form.requestNumber}
              onValue={set("requestNumber")}
              error={errors.requestNumber}
            />
            <TextInput
              name="nik"
              label={FILTER_LABELS.nik}
              hint="16 angka."
              optional
              inputMode="numeric"
              autocomplete="off"
              maxLength={20}
              value={form.nik}
              onValue={set("nik")}
              error={errors.nik}
            />
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit" class="button" disabled={busy}>
            Tampilkan
          </button>
          <button
            type="button"
            class="button secondary"
            disabled={busy}
            onClick={() => {
              setForm(EMPTY);
              setErrors({});
              void fetchPage({}, null);
            }}
          >
            Hapus saringan
          </button>
        </div>
      </form>
      <p class="small muted" aria-live="polite">
        {events === null
          ? "Memuat…"
          : `${events.length} kejadian ditampilkan${next ? "; ada lagi" : ""}.${single ? " Data pribadi catatan ini ditampilkan utuh (tercatat di log audit)." : ""}`}
      </p>
      {events ? <EventTable events={events} caption="Kejadian menurut urutan pencatatan" /> : null}
      {next ? (
        <button type="button" class="button secondary" disabled={busy} onClick={() => void fetchPage(applied, next)}>
          {busy ? "Memuat…" : "Muat berikutnya"}
        </button>
      ) : null}
    </section>
  );
}

function SingleRecord() {
  const [kind, setKind] = useState("requestNumber");
  const [value, setValue] = useState("");
  const [events, setEvents] = useState<HistoryEvent[] | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const label = kind === "requestNumber" ? "Nomor pengajuan" : "ID akun penduduk";
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const text = value.trim();
    if (!text || (kind === "accountId" && !UUID.test(text))) {
      setErrors({ record: text ? "ID akun berupa UUID; salin dari kolom Catatan." : `Isi ${label.toLowerCase()}.` });
      setMessage(undefined);
      return;
    }
    setBusy(true);
    try {
      const variables: RecordHistoryQueryVariables =
        kind === "requestNumber" ? { requestNumber: text.toUpperCase() } : { accountId: text };
      setEvents((await gql(RecordHistory, variables)).recordHistory);
      setErrors({});
      setMessage(undefined);
    } catch (failure) {
      const known = failure instanceof ApiError && ["REQUEST_NOT_FOUND", "INVALID_ID"].includes(failure.code);
      setErrors(known ? { record: messageOf(failure) } : {});
      setMessage(known ? undefined : messageOf(failure));
      setEvents(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="record-title">
      <h2 id="record-title">Riwayat satu catatan</h2>
      <p>
        Seluruh perjalanan satu pengajuan atau satu akun penduduk, dari awal, tanpa disamarkan. Setiap tampilan dicatat
        di log audit atas nama Anda.
      </p>
      <ErrorSummary message={message} errors={errors} order={["recordKind", "record"]} labels={{ record: label }} />
      <form class="narrow" onSubmit={submit} noValidate>
        <RadioGroup
          name="recordKind"
          label="Cari menurut"
          options={[
            { value: "requestNumber", label: "Nomor pengajuan" },
            { value: "accountId", label: "ID akun penduduk" },
          ]}
          value={kind}
          onValue={setKind}
        />
        <TextInput
          name="record"
          label={label}
          autocomplete="off"
          maxLength={40}
          value={value}
          onValue={setValue}
          error={errors.record}
        />
        <button type="submit" class="button" disabled={busy}>
          {busy ? "Memuat…" : "Tampilkan riwayat"}
        </button>
      </form>
      {events ? (
        events.length ? (
          <EventTable events={events} caption={`Riwayat ${value.trim()}`} />
        ) : (
          <p>Tidak ada kejadian untuk catatan ini.</p>
        )
      ) : null}
    </section>
  );
}

function EventTable({ events, caption }: { events: HistoryEvent[]; caption: string }) {
  return (
    <table class="data-table events">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">No.</th>
          <th scope="col">Waktu</th>
          <th scope="col">Kejadian</th>
          <th scope="col">Catatan</th>
          <th scope="col">Pelaku</th>
          <th scope="col">Isi</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.position} data-event={event.eventType}>
            <td>{event.position}</td>
            <td>{formatDateTime(event.recordedAt)}</td>
            <td>
              {EVENT_LABELS[event.eventType] ?? event.eventType}
              <code class="small block">{event.eventType}</code>
            </td>
            <td>
              {AGGREGATE_LABELS[event.aggregateType] ?? event.aggregateType}
              <code class="small block">{event.aggregateId}</code>
              <span class="small block">urutan ke-{event.sequence}</span>
            </td>
            <td>
              <Actor id={event.actorId} role={event.actorRole} name={event.actorName} username={event.actorUsername} />
              {event.clientAddress ? <span class="small block">dari {event.clientAddress}</span> : null}
            </td>
            <td>
              <details>
                <summary>Lihat isi</summary>
                <Value value={contentOf(event)} />
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The payload without its wrapper: events are stored tagged by type (`{"RequestSubmitted": {…}}`). */
function contentOf(event: HistoryEvent): unknown {
  const payload = event.payload;
  if (payload && typeof payload === "object" && !Array.isArray(payload)) {
    const keys = Object.keys(payload);
    if (keys.length === 1 && keys[0] === event.eventType) return (payload as Record<string, unknown>)[event.eventType];
  }
  return payload;
}

/** A JSON value as nested key/value lists. */
function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === "") return <span class="muted">—</span>;
  if (Array.isArray(value)) {
    if (!value.length) return <span class="muted">(kosong)</span>;
    return (
      <ol class="payload-list">
        {value.map((item, index) => (
          // A stored event never changes: the position is a stable key.
          <li key={index}>
            <Value value={item} />
          </li>
        ))}
      </ol>
    );
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length) return <span class="muted">(kosong)</span>;
    return (
      <dl class="payload">
        {entries.map(([key, item]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>
              <Value value={item} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  if (typeof value === "boolean") return <>{value ? "ya" : "tidak"}</>;
  return <>{String(value)}</>;
}

function ExportHelp() {
  return (
    <aside class="card export-help" aria-labelledby="export-title">
      <h2 id="export-title">Ekspor riwayat untuk pemeriksaan</h2>
      <p>
        Untuk pemeriksaan di luar konsol, minta admin sistem menjalankan di server (hasilnya berkas JSON Lines, satu
        kejadian per baris, dengan manifest SHA-256 <code>riwayat.jsonl.manifest.json</code> di sebelahnya):
      </p>
      <pre>
        <code>dukcapil export-history --out riwayat.jsonl</code>
      </pre>
      <p>
        Untuk memastikan berkas itu utuh dan sama dengan catatan di server (setiap perbedaan dicetak; hasil bukan nol
        bila ada):
      </p>
      <pre>
        <code>dukcapil verify-history --file riwayat.jsonl</code>
      </pre>
      <p class="small muted">
        Pilihan lain: <code>--from-position N</code>, <code>--to-position M</code>, <code>--aggregate-type T</code>.
        Lihat docs/AUDIT.md.
      </p>
    </aside>
  );
}
