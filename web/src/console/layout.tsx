// The console's frame: the office's name, the signed-in officer, the navigation of what the
// role may open, and the page. Desk screens (1366 × 768 and up) first; it still works narrow.

import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { useLocation } from "preact-iso";
import { type Area, may, ROLE_LABELS, staff, staffSignOut } from "./session";

interface NavItem {
  href: string;
  label: string;
  area?: Area;
}

const NAV: NavItem[] = [
  { href: "/petugas", label: "Beranda" },
  { href: "/petugas/verifikasi", label: "Verifikasi Akun", area: "verification" },
  { href: "/petugas/lupa-kata-sandi", label: "Lupa Kata Sandi", area: "verification" },
  { href: "/petugas/layanan-lama", label: "Layanan Lama", area: "verification" },
  { href: "/petugas/antrean", label: "Antrean Pengajuan", area: "queue" },
  { href: "/petugas/kalender", label: "Kalender Kantor", area: "calendar" },
  { href: "/petugas/pemberitahuan", label: "Pemberitahuan Gagal", area: "notifications" },
  { href: "/petugas/dasbor", label: "Dasbor", area: "dashboard" },
  { href: "/petugas/riwayat", label: "Riwayat", area: "history" },
  { href: "/petugas/akses-dokumen", label: "Akses Dokumen", area: "history" },
  { href: "/petugas/staf", label: "Staf", area: "staffAdmin" },
];

export function ConsoleLayout({ children }: { children: ComponentChildren }) {
  const { path, route } = useLocation();
  const who = staff.value;
  const items = NAV.filter((item) => !item.area || may(item.area, who?.role));
  return (
    <div class="console">
      <a class="skip-link" href="#isi">
        Langsung ke isi halaman
      </a>
      <header class="console-header">
        <a class="brand" href="/petugas">
          <img src="/favicon.svg" width={28} height={28} alt="" />
          <span>
            <strong>Konsol Petugas</strong>
            <span class="brand-sub">Dukcapil Kapuas Hulu</span>
          </span>
        </a>
        {who ? (
          <div class="console-user">
            <span>
              {who.displayName} · {ROLE_LABELS[who.role]}
            </span>
            <button
              type="button"
              class="link-button"
              onClick={async () => {
                await staffSignOut().catch(() => {});
                route("/petugas/masuk");
              }}
            >
              Keluar
            </button>
          </div>
        ) : null}
      </header>
      <div class="console-body">
        {who ? (
          <nav class="console-nav" aria-label="Menu petugas">
            <ul>
              {items.map((item) => (
                <li key={item.href}>
                  <a
                    href={item.href}
                    aria-current={
                      path === item.href || (item.href !== "/petugas" && path.startsWith(`${item.href}/`))
                        ? "page"
                        : undefined
                    }
                  >
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <main id="isi" tabIndex={-1} class="console-main">
          {children}
        </main>
      </div>
    </div>
  );
}

/** A console page for some roles: asks to sign in, or says the role may not open it. */
export function RequireStaff({ area, children }: { area?: Area; children: ComponentChildren }) {
  const { route, url } = useLocation();
  const who = staff.value;
  useEffect(() => {
    if (who === null) route(`/petugas/masuk?lanjut=${encodeURIComponent(url)}`, true);
  }, [who, route, url]);
  if (!who) return <p class="loading">Memuat…</p>;
  if (area && !may(area, who.role)) {
    return (
      <>
        <h1>Tidak ada akses</h1>
        <p>Peran Anda ({ROLE_LABELS[who.role]}) tidak dapat membuka halaman ini.</p>
      </>
    );
  }
  return <>{children}</>;
}
