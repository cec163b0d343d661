// The console's first page: what waits for this officer's role, with links straight to it.

import { useEffect, useState } from "preact/hooks";
import { gql } from "../../api/client";
import { usePageTitle } from "../../components/layout";
import { graphql } from "../gql";
import { RequireStaff } from "../layout";
import { may, ROLE_LABELS, staff } from "../session";

const Waiting = graphql(`
  query ConsoleWaiting {
    accountVerificationQueue(first: 1) {
      totalCount
    }
    passwordResetQueue(first: 1) {
      totalCount
    }
    workQueue(first: 1) {
      counts {
        status
        count
      }
    }
    overdue: workQueue(first: 1, filter: { overdue: true }) {
      nodes {
        requestId
      }
    }
  }
`);

export function ConsoleHome() {
  usePageTitle("Konsol Petugas");
  return (
    <RequireStaff>
      <Home />
    </RequireStaff>
  );
}

function Home() {
  const who = staff.value;
  const [counts, setCounts] = useState<{ verification: number; resets: number; open: number; overdue: boolean } | null>(
    null,
  );
  const works = may("queue", who?.role);
  useEffect(() => {
    if (!works) return;
    gql(Waiting)
      .then((reply) =>
        setCounts({
          verification: reply.accountVerificationQueue.totalCount,
          resets: reply.passwordResetQueue.totalCount,
          open: reply.workQueue.counts.reduce((sum, c) => sum + c.count, 0),
          overdue: reply.overdue.nodes.length > 0,
        }),
      )
      .catch(() => setCounts(null));
  }, [works]);
  return (
    <>
      <h1>Selamat bekerja, {who?.displayName}</h1>
      <p>
        Anda masuk sebagai <strong>{who ? ROLE_LABELS[who.role] : ""}</strong>. Menu di samping hanya menampilkan
        halaman yang dapat Anda buka.
      </p>
      {works && counts ? (
        <ul class="tiles">
          <li>
            <a href="/petugas/verifikasi">
              <strong>{counts.verification}</strong> akun menunggu verifikasi
            </a>
          </li>
          <li>
            <a href="/petugas/lupa-kata-sandi">
              <strong>{counts.resets}</strong> permintaan lupa kata sandi
            </a>
          </li>
          <li>
            <a href="/petugas/antrean">
              <strong>{counts.open}</strong> pengajuan terbuka{counts.overdue ? " (ada yang lewat batas waktu)" : ""}
            </a>
          </li>
        </ul>
      ) : null}
      <p>
        Panduan lengkap: <em>Panduan Petugas</em> (docs/PANDUAN_PETUGAS.md).
      </p>
    </>
  );
}
