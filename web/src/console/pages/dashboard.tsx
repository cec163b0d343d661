// The supervisor's dashboard: pictures of the office's work over a date range — requests in
// and finished per working day, the share finished within the one-working-day promise per
// week, backlog per service, time to finish, overdue now, work per officer — with the numbers
// on hover, as tables, and as a CSV download.

import { useEffect, useMemo, useState } from "preact/hooks";
import { gql, messageOf } from "../../api/client";
import { Alert } from "../../components/alert";
import { usePageTitle } from "../../components/layout";
import { formatDate, formatDateTime } from "../../lib/format";
import { Chart } from "../components/chart";
import { graphql } from "../gql";
import type { DashboardQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";

const Dashboard = graphql(`
  query Dashboard($from: NaiveDate!, $to: NaiveDate!) {
    officeStatistics(from: $from, to: $to) {
      from
      to
      submitted
      finished
      finishedWithinPromise
      withinPromiseShare
      medianWorkingHoursToFinish
      p90WorkingHoursToFinish
      days {
        date
        submitted
        finished
        completed
        readyForPickup
        rejected
        finishedWithinPromise
      }
      weeks {
        week
        startsOn
        finished
        finishedWithinPromise
        withinPromiseShare
      }
      officers {
        staffId
        displayName
        finished
        reuploadDemands
      }
      asOf
      backlog {
        serviceCode
        serviceName
        open
      }
      backlogTotal
      overdueNow
    }
  }
`);

type Statistics = DashboardQuery["officeStatistics"];

/** YYYY-MM-DD of a date in the office's zone (WIB). */
function officeDay(date: Date): string {
  return new Date(date.getTime() + 7 * 3600 * 1000).toISOString().slice(0, 10);
}

const hours = (value: number | null | undefined) =>
  value == null ? "—" : `${value.toLocaleString("id-ID", { maximumFractionDigits: 1 })} jam kerja`;

/** The figures as CSV (one section per table), for a spreadsheet. */
function csvOf(stats: Statistics): string {
  const rows: (string | number | null | undefined)[][] = [
    ["Statistik kantor", stats.from, stats.to],
    ["Masuk", stats.submitted],
    ["Selesai", stats.finished],
    ["Selesai dalam janji 1x24 jam", stats.finishedWithinPromise],
    ["Median jam kerja sampai selesai", stats.medianWorkingHoursToFinish],
    ["P90 jam kerja sampai selesai", stats.p90WorkingHoursToFinish],
    ["Lewat batas waktu sekarang", stats.overdueNow],
    [],
    ["Tanggal", "Masuk", "Selesai", "Selesai (unduh)", "Siap diambil", "Ditolak", "Dalam janji"],
    ...stats.days.map((d) => [
      d.date,
      d.submitted,
      d.finished,
      d.completed,
      d.readyForPickup,
      d.rejected,
      d.finishedWithinPromise,
    ]),
    [],
    ["Minggu", "Mulai", "Selesai", "Dalam janji", "Persentase"],
    ...stats.weeks.map((w) => [w.week, w.startsOn, w.finished, w.finishedWithinPromise, w.withinPromiseShare]),
    [],
    ["Layanan", "Terbuka"],
    ...stats.backlog.map((b) => [b.serviceName, b.open]),
    [],
    ["Petugas", "Selesai", "Permintaan upload ulang"],
    ...stats.officers.map((o) => [o.displayName, o.finished, o.reuploadDemands]),
  ];
  const cell = (value: string | number | null | undefined) => {
    const text = value == null ? "" : String(value);
    return /[",\n;]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${rows.map((row) => row.map(cell).join(",")).join("\r\n")}\r\n`;
}

export function DashboardPage() {
  usePageTitle("Dasbor");
  return (
    <RequireStaff area="dashboard">
      <DashboardView />
    </RequireStaff>
  );
}

function DashboardView() {
  const today = officeDay(new Date());
  const [from, setFrom] = useState(officeDay(new Date(Date.now() - 27 * 86_400_000)));
  const [to, setTo] = useState(today);
  const [stats, setStats] = useState<Statistics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // A range changed again before its figures came: the older answer must not land last.
    let current = true;
    gql(Dashboard, { from, to })
      .then((reply) => {
        if (!current) return;
        setStats(reply.officeStatistics);
        setError(null);
      })
      .catch((failure) => {
        if (current) setError(messageOf(failure));
      });
    return () => {
      current = false;
    };
  }, [from, to]);

  const charts = useMemo(() => {
    if (!stats) return null;
    const dayLabels = stats.days.map((d) => formatDate(`${d.date}T12:00:00+07:00`).replace(/^\w+, /, ""));
    return {
      daily: {
        labels: dayLabels,
        series: [
          { label: "Masuk", values: stats.days.map((d) => d.submitted), color: "#0b4f8a" },
          { label: "Selesai", values: stats.days.map((d) => d.finished), color: "#1d6b35" },
        ],
      },
      weekly: {
        labels: stats.weeks.map((w) => w.week),
        series: [
          {
            label: "Selesai dalam janji",
            values: stats.weeks.map((w) => w.withinPromiseShare ?? null),
            color: "#1d6b35",
            percent: true,
          },
        ],
      },
      backlog: {
        labels: stats.backlog.map((b) => b.serviceName),
        series: [{ label: "Terbuka", values: stats.backlog.map((b) => b.open), color: "#7a4d00" }],
      },
      officers: {
        labels: stats.officers.map((o) => o.displayName),
        series: [
          { label: "Selesai", values: stats.officers.map((o) => o.finished), color: "#1d6b35" },
          { label: "Upload ulang", values: stats.officers.map((o) => o.reuploadDemands), color: "#7a4d00" },
        ],
      },
    };
  }, [stats]);

  const download = () => {
    if (!stats) return;
    const url = URL.createObjectURL(new Blob([csvOf(stats)], { type: "text/csv;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `statistik-dukcapil-${stats.from}-${stats.to}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <>
      <h1>Dasbor</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Dari tanggal
          <input type="date" value={from} max={to} onChange={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          Sampai tanggal
          <input type="date" value={to} min={from} onChange={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="button" class="button secondary" disabled={!stats} onClick={download}>
          Unduh CSV
        </button>
      </form>
      <Alert message={error} />
      {stats && charts ? (
        <>
          <ul class="tiles">
            <li>
              <span class="tile">
                <strong>{stats.submitted}</strong> masuk
              </span>
            </li>
            <li>
              <span class="tile">
                <strong>{stats.finished}</strong> selesai
              </span>
            </li>
            <li>
              <span class="tile">
                <strong>
                  {stats.withinPromiseShare == null ? "—" : `${Math.round(stats.withinPromiseShare * 100)}%`}
                </strong>{" "}
                selesai dalam janji 1×24 jam
              </span>
            </li>
            <li>
              <span class="tile">
                <strong>{hours(stats.medianWorkingHoursToFinish)}</strong> median sampai selesai (p90{" "}
                {hours(stats.p90WorkingHoursToFinish)})
              </span>
            </li>
            <li>
              <span class="tile">
                <strong>{stats.overdueNow}</strong> lewat batas waktu sekarang ({stats.backlogTotal} terbuka)
              </span>
            </li>
          </ul>
          <p class="small muted">Keadaan antrean per {formatDateTime(stats.asOf)}.</p>
          <div class="charts">
            <Chart title="Pengajuan masuk dan selesai per hari kerja" bars {...charts.daily} />
            <Chart title="Selesai dalam janji 1×24 jam, per minggu" {...charts.weekly} />
            <Chart title="Pengajuan terbuka per layanan" bars {...charts.backlog} />
            <Chart title="Pekerjaan per petugas" bars {...charts.officers} />
          </div>
        </>
      ) : null}
    </>
  );
}
