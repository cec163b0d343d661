//! Chooses the folder the binary embeds as the portal (`DUKCAPIL_WEB_DIST`, read by
//! `src/http/portal.rs`): `web/dist` once `npm run build` has made it, else an empty folder, so
//! that a fresh clone builds without Node and the binary answers "portal belum dibangun".

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?);
    let web = manifest_dir.join("..").join("web");
    let dist = web.join("dist");
    let folder = if dist.join("index.html").is_file() {
        // A directory is scanned recursively: a rebuilt portal (new hashed names) is picked up.
        println!("cargo:rerun-if-changed={}", dist.display());
        dist.canonicalize()?
    } else {
        // Watching a path that does not exist would rerun this script (and rebuild the crate) on
        // every build; `web/` changes when `dist/` appears in it.
        println!("cargo:rerun-if-changed={}", web.display());
        let empty = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("portal-not-built");
        std::fs::create_dir_all(&empty)?;
        empty
    };
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=DUKCAPIL_WEB_DIST={}", folder.display());
    Ok(())
}
