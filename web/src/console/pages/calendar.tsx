// "Kalender Kantor" (supervisors): the days the office is closed, a month at a time, which every
// due time is counted against; closing or reopening a day; and declaring the outage of the link
// to the national data centre, which stops the service clock until it is ended.

import { useEffect, useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../../api/client";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, RadioGroup, TextInput } from "../../components/fields";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { graphql } from "../gql";
import type { HolidayKind, OfficeHolidaysQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import "../admin.css";
import { Alert } from "../../components/alert";

const OfficeHolidays = graphql(`
  query OfficeHolidays($year: Int!) {
    holidays(year: $year) {
      date
      name
      kind
    }
  }
`);

const CurrentOutage = graphql(`
  query CurrentOutage {
    contactInfo {
      outage {
        reason
        since
      }
    }
  }
`);

const AddHoliday = graphql(`
  mutation AddHoliday($date: String!, $name: String!, $kind: HolidayKind) {
    addHoliday(date: $date, name: $name, kind: $kind) {
      date
      name
      kind
    }
  }
`);

const RemoveHoliday = graphql(`
  mutation RemoveHoliday($date: String!) {
    removeHoliday(date: $date)
  }
`);

const DeclareOutage = graphql(`
  mutation DeclareOutage($reason: String!) {
    declareOutage(reason: $reason) {
      reason
      declaredAt
    }
  }
`);

const EndOutage = graphql(`
  mutation EndOutage {
    endOutage {
      endedAt
    }
  }
`);

type Holiday = OfficeHolidaysQuery["holidays"][number];

export const KIND_LABELS: Record<HolidayKind, string> = {
  NATIONAL_HOLIDAY: "Libur nasional",
  CUTI_BERSAMA: "Cuti bersama",
  OFFICE_CLOSURE: "Kantor tutup",
};

const MONTHS = [
  "Januari",
  "Februari",
  "Maret",
  "April",
  "Mei",
  "Juni",
  "Juli",
  "Agustus",
  "September",
  "Oktober",
  "November",
  "Desember",
];
/** Monday first, as Indonesian office calendars are. */
const DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"];

/** Today in the office's zone (WIB), as YYYY-MM-DD: the browser's own zone may differ. */
function officeToday(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Pontianak" }).format(new Date());
}

function iso(year: number, month: number, day: number): string {
  return `${year}-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** "Rabu, 2 Desember 2026" of a YYYY-MM-DD, without time-zone arithmetic. */
function longDate(date: string): string {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
  return `${DAYS[weekday]}, ${day} ${MONTHS[month - 1]} ${year}`;
}

/** The weeks of a month, Monday to Sunday; `null` for the days of the months around it. */
function weeksOf(year: number, month: number): (number | null)[][] {
  const lead = (new Date(Date.UTC(year, month, 1)).getUTCDay() + 6) % 7;
  const length = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const cells: (number | null)[] = [
    ...Array.from({ length: lead }, () => null),
    ...Array.from({ length }, (_, i) => i + 1),
  ];
  while (cells.length % 7) cells.push(null);
  return Array.from({ length: cells.length / 7 }, (_, w) => cells.slice(w * 7, w * 7 + 7));
}

export function OfficeCalendar() {
  usePageTitle("Kalender Kantor");
  return (
    <RequireStaff area="calendar">
      <CalendarPage />
    </RequireStaff>
  );
}

function CalendarPage() {
  const today = officeToday();
  const [view, setView] = useState(() => ({ year: Number(today.slice(0, 4)), month: Number(today.slice(5, 7)) - 1 }));
  // Closed days by year as loaded, and the changes made here over them (date → the day closed, or
  // `null` reopened): the read model the query answers from may lag a moment behind.
  const [fetched, setFetched] = useState<Record<number, Holiday[]>>({});
  const [changes, setChanges] = useState<Map<string, Holiday | null>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (fetched[view.year]) return;
    gql(OfficeHolidays, { year: view.year })
      .then((reply) => setFetched((before) => ({ ...before, [view.year]: reply.holidays })))
      .catch((failure) => setError(messageOf(failure)));
  }, [view.year]);

  const byDate = new Map((fetched[view.year] ?? []).map((h) => [h.date, h]));
  for (const [date, holiday] of changes) {
    if (!date.startsWith(`${view.year}-`)) continue;
    if (holiday) byDate.set(date, holiday);
    else byDate.delete(date);
  }
  const holidays = fetched[view.year] ? [...byDate.values()] : undefined;
  const change = (date: string, holiday: Holiday | null) => setChanges((before) => new Map(before).set(date, holiday));
  const monthPrefix = iso(view.year, view.month, 1).slice(0, 8);
  const inMonth = (holidays ?? [])
    .filter((h) => h.date.startsWith(monthPrefix))
    .sort((a, b) => (a.date < b.date ? -1 : 1));
  const title = `${MONTHS[view.month]} ${view.year}`;

  const move = (step: number) => {
    const index = view.year * 12 + view.month + step;
    setView({ year: Math.floor(index / 12), month: index % 12 });
  };

  const remove = async (holiday: Holiday) => {
    const question = `Hapus ${holiday.name} (${longDate(holiday.date)})? Hari itu kembali menjadi hari kerja dan batas waktu layanan bergeser.`;
    if (!window.confirm(question)) return;
    setListError(null);
    setNotice(null);
    try {
      await gql(RemoveHoliday, { date: holiday.date });
      change(holiday.date, null);
      setNotice(`${longDate(holiday.date)} kembali menjadi hari kerja.`);
    } catch (failure) {
      setListError(messageOf(failure));
    }
  };

  return (
    <>
      <h1>Kalender Kantor</h1>
      <p>
        Hari libur nasional, cuti bersama dan hari kantor tutup tidak dihitung sebagai jam kerja: batas waktu layanan
        bergeser sesuai kalender ini. Hari yang sudah lewat tidak dapat diubah.
      </p>
      <Alert message={error} />
      {notice ? (
        <p class="notice success" role="status">
          {notice}
        </p>
      ) : null}
      <div class="month-nav">
        <button type="button" class="button secondary small" onClick={() => move(-1)}>
          ← Bulan sebelumnya
        </button>
        <h2 class="month-title" aria-live="polite">
          {title}
        </h2>
        <button type="button" class="button secondary small" onClick={() => move(1)}>
          Bulan berikutnya →
        </button>
      </div>
      <table class="month">
        <caption>Hari kerja dan hari tutup kantor, {title}</caption>
        <thead>
          <tr>
            {DAYS.map((day) => (
              <th key={day} scope="col">
                {day}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeksOf(view.year, view.month).map((week) => (
            <tr key={`${view.year}-${view.month}-${week.find((d) => d !== null)}`}>
              {week.map((day, index) => {
                if (day === null) return <td key={`empty-${DAYS[index]}`} class="outside" />;
                const date = iso(view.year, view.month, day);
                const holiday = byDate.get(date);
                const weekend = index >= 5;
                const classes = [
                  "day",
                  holiday ? "closed" : "",
                  weekend ? "weekend" : "",
                  date === today ? "today" : "",
                ];
                return (
                  <td
                    key={date}
                    class={classes.filter(Boolean).join(" ")}
                    data-date={date}
                    aria-current={date === today ? "date" : undefined}
                  >
                    <span class="visually-hidden">{longDate(date)}</span>
                    <span class="day-number" aria-hidden="true">
                      {day}
                    </span>
                    {holiday ? (
                      <span class="day-closed">
                        <strong>{holiday.name}</strong>
                        <span class="small block">{KIND_LABELS[holiday.kind]}</span>
                      </span>
                    ) : weekend ? (
                      <span class="small block muted">Akhir pekan</span>
                    ) : null}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {holidays === undefined && !error ? <p class="loading">Memuat…</p> : null}

      <section aria-labelledby="closed-title">
        <h2 id="closed-title">Hari tutup di bulan {title}</h2>
        <Alert message={listError} />
        {holidays && inMonth.length === 0 ? <p>Tidak ada hari tutup di bulan ini (selain akhir pekan).</p> : null}
        <ul class="closed-list">
          {inMonth.map((holiday) => (
            <li key={holiday.date}>
              <span>
                <strong>{longDate(holiday.date)}</strong>: {holiday.name} ({KIND_LABELS[holiday.kind]})
              </span>
              <button
                type="button"
                class="button secondary small"
                aria-label={`Hapus ${holiday.name}, ${longDate(holiday.date)}`}
                onClick={() => void remove(holiday)}
              >
                Hapus
              </button>
            </li>
          ))}
        </ul>
      </section>

      <div class="two-columns">
        <AddClosedDay
          today={today}
          onAdded={(holiday) => {
            change(holiday.date, holiday);
            setNotice(`${longDate(holiday.date)} dicatat: ${holiday.name} (${KIND_LABELS[holiday.kind]}).`);
            setView({ year: Number(holiday.date.slice(0, 4)), month: Number(holiday.date.slice(5, 7)) - 1 });
          }}
        />
        <Outage />
      </div>
    </>
  );
}

const KIND_OPTIONS = (Object.keys(KIND_LABELS) as HolidayKind[]).map((kind) => ({
  value: kind,
  label: KIND_LABELS[kind],
}));

/** Which field a calendar refusal is about, when it is about one. */
const FIELD_OF_CODE: Record<string, string> = {
  INVALID_DATE: "date",
  HOLIDAY_ALREADY_EXISTS: "date",
  HOLIDAY_IN_PAST: "date",
  HOLIDAY_TOO_FAR_AHEAD: "date",
  INVALID_HOLIDAY_NAME: "name",
};

function AddClosedDay({ today, onAdded }: { today: string; onAdded: (holiday: Holiday) => void }) {
  const [date, setDate] = useState("");
  const [name, setName] = useState("");
  const [kind, setKind] = useState<string>("CUTI_BERSAMA");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const labels = { date: "Tanggal", name: "Nama hari", kind: "Jenis" };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const missing: FieldErrors = {};
    if (!date) missing.date = "Pilih tanggalnya.";
    if (!name.trim()) missing.name = "Tulis nama harinya, misalnya “Cuti bersama Natal”.";
    setErrors(missing);
    setMessage(Object.keys(missing).length ? "Lengkapi isian yang ditandai." : undefined);
    if (Object.keys(missing).length) return;
    setBusy(true);
    try {
      const reply = await gql(AddHoliday, { date, name: name.trim(), kind: kind as HolidayKind });
      onAdded(reply.addHoliday);
      setDate("");
      setName("");
    } catch (failure) {
      const field = failure instanceof ApiError ? FIELD_OF_CODE[failure.code] : undefined;
      if (failure instanceof ApiError && failure.fields.length) setErrors(fieldErrorsOf(failure.fields));
      else if (field) setErrors({ [field]: messageOf(failure) });
      setMessage(field ? undefined : messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">Tambah hari tutup</h2>
      <ErrorSummary message={message} errors={errors} order={["date", "name", "kind"]} labels={labels} />
      <form onSubmit={submit} noValidate>
        <TextInput
          name="date"
          label="Tanggal"
          type="date"
          value={date}
          onValue={setDate}
          error={errors.date}
          hint={`Mulai hari ini (${longDate(today)}).`}
        />
        <TextInput name="name" label="Nama hari" maxLength={100} value={name} onValue={setName} error={errors.name} />
        <RadioGroup
          name="kind"
          label="Jenis"
          options={KIND_OPTIONS}
          value={kind}
          onValue={setKind}
          error={errors.kind}
        />
        <button type="submit" class="button" disabled={busy}>
          {busy ? "Menyimpan…" : "Tambah hari tutup"}
        </button>
      </form>
    </section>
  );
}

function Outage() {
  const [outage, setOutage] = useState<{ reason: string; since: string } | null | undefined>(undefined);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    gql(CurrentOutage)
      .then((reply) => setOutage(reply.contactInfo.outage ?? null))
      .catch((failure) => setError(messageOf(failure)));
  }, []);
  const run = async (work: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const declare = () => {
    if (!reason.trim()) {
      setError("Tulis alasan gangguan; penduduk akan membacanya.");
      return;
    }
    void run(async () => {
      const change = (await gql(DeclareOutage, { reason: reason.trim() })).declareOutage;
      setOutage({ reason: change.reason ?? reason.trim(), since: change.declaredAt ?? new Date().toISOString() });
      setReason("");
    });
  };
  const end = () =>
    run(async () => {
      await gql(EndOutage);
      setOutage(null);
    });
  return (
    <section class="card" aria-labelledby="outage-title">
      <h2 id="outage-title">Gangguan layanan</h2>
      <p class="small">
        Saat jaringan ke data center Dukcapil terputus, nyatakan gangguan: jam layanan berhenti dihitung dan penduduk
        melihat pemberitahuan di halaman Kontak Bantuan.
      </p>
      <Alert message={error} />
      {outage === undefined ? <p class="loading">Memuat…</p> : null}
      {outage ? (
        <>
          <div class="notice warning" role="status">
            <p>
              <strong>Gangguan sedang berlangsung</strong> sejak {formatDateTime(outage.since)}.
            </p>
            <p>Alasan: {outage.reason}</p>
          </div>
          <button type="button" class="button" disabled={busy} onClick={() => void end()}>
            Akhiri gangguan
          </button>
        </>
      ) : null}
      {outage === null ? (
        <>
          <p role="status">Tidak ada gangguan saat ini.</p>
          <div class="field">
            <label for="outage-reason">Alasan gangguan (dibaca penduduk)</label>
            <textarea
              id="outage-reason"
              rows={3}
              maxLength={300}
              value={reason}
              onInput={(event) => setReason(event.currentTarget.value)}
            />
          </div>
          <button type="button" class="button" disabled={busy} onClick={declare}>
            Nyatakan gangguan
          </button>
        </>
      ) : null}
    </section>
  );
}
