import { usePageTitle } from "../components/layout";

export function NotFound() {
  usePageTitle("Halaman tidak ditemukan");
  return (
    <>
      <h1>Halaman tidak ditemukan</h1>
      <p>Alamat yang Anda buka tidak ada. Periksa kembali alamatnya, atau kembali ke beranda.</p>
      <p>
        <a class="button" href="/">
          Ke beranda
        </a>
      </p>
    </>
  );
}
