// The frame of every page: a skip link, the office's name, the navigation (what a visitor or
// a signed-in resident may open), the page itself and the footer with the office hours.

import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { useLocation } from "preact-iso";
import { resident, signOut } from "../lib/session";

interface NavLink {
  href: string;
  label: string;
}

const PUBLIC_LINKS: NavLink[] = [
  { href: "/", label: "Beranda" },
  { href: "/daftar", label: "Daftar" },
  { href: "/masuk", label: "Masuk" },
  { href: "/kontak", label: "Kontak Bantuan" },
];

const RESIDENT_LINKS: NavLink[] = [
  { href: "/beranda", label: "Beranda" },
  { href: "/layanan", label: "Layanan" },
  { href: "/kontak", label: "Kontak Bantuan" },
];

export function Layout({ children }: { children: ComponentChildren }) {
  const { path, route } = useLocation();
  const signedIn = Boolean(resident.value);
  const links = signedIn ? RESIDENT_LINKS : PUBLIC_LINKS;
  return (
    <>
      <a class="skip-link" href="#isi">
        Langsung ke isi halaman
      </a>
      <header class="site-header">
        <div class="wrap">
          <a class="brand" href={signedIn ? "/beranda" : "/"}>
            <img src="/favicon.svg" width={32} height={32} alt="" />
            <span>
              <strong>Layanan Online</strong>
              <span class="brand-sub">Dukcapil Kapuas Hulu</span>
            </span>
          </a>
          <nav aria-label="Menu utama">
            <ul>
              {links.map((link) => (
                <li key={link.href}>
                  <a href={link.href} aria-current={path === link.href ? "page" : undefined}>
                    {link.label}
                  </a>
                </li>
              ))}
              {signedIn ? (
                <li>
                  <button
                    type="button"
                    class="link-button"
                    onClick={async () => {
                      await signOut().catch(() => {});
                      route("/masuk?keluar=1");
                    }}
                  >
                    Keluar
                  </button>
                </li>
              ) : null}
            </ul>
          </nav>
        </div>
      </header>
      <main id="isi" tabIndex={-1} class="wrap">
        {children}
      </main>
      <footer class="site-footer">
        <div class="wrap">
          <p>Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kapuas Hulu</p>
          <p>Layanan dijawab Senin–Jumat pukul 08.00–16.00 WIB; hari libur dan cuti bersama kantor tutup.</p>
        </div>
      </footer>
    </>
  );
}

/** Sets the document title and moves focus to the page on navigation (screen readers). */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Layanan Online Dukcapil Kapuas Hulu`;
  }, [title]);
}

/** A page that needs a signed-in resident: asks to sign in first. */
export function RequireResident({ children }: { children: ComponentChildren }) {
  const { route, url } = useLocation();
  const who = resident.value;
  useEffect(() => {
    if (who === null) route(`/masuk?lanjut=${encodeURIComponent(url)}`, true);
  }, [who, route, url]);
  if (!who) return <p class="loading">Memuat…</p>;
  return <>{children}</>;
}
