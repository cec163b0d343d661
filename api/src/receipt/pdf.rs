//! A one-page A4 PDF: text in DejaVu Sans (embedded as subsets, so a receipt is tens of
//! kilobytes and prints the same everywhere) and a QR code drawn as filled squares.
//!
//! The fonts go in as CID-keyed TrueType (`Type0`, `Identity-H`): the subsetter renumbers the
//! glyphs it keeps and drops the font's own character map, so the page addresses glyphs by
//! their new ids and a `ToUnicode` map keeps the text searchable and copyable.

use pdf_writer::types::{ActionType, AnnotationType, CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};
use subsetter::GlyphRemapper;

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// Why a receipt could not be drawn (a broken vendored font or an impossible QR payload:
/// faults of the build, never of the request).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("font: {0}")]
    Font(String),
    #[error("qr: {0}")]
    Qr(String),
}

/// Which face a run of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// One embedded font and the glyphs a document used from it.
struct Font {
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    resource: &'static [u8],
    postscript: &'static str,
    remapper: GlyphRemapper,
    /// (original glyph id, the character it was used for), indexed by new glyph id.
    used: Vec<(u16, char)>,
}

impl Font {
    fn new(data: &'static [u8], resource: &'static [u8], postscript: &'static str) -> Result<Self, RenderError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| RenderError::Font(e.to_string()))?;
        Ok(Self { data, face, resource, postscript, remapper: GlyphRemapper::new(), used: vec![(0, '\u{fffd}')] })
    }

    fn units(&self) -> f32 {
        f32::from(self.face.units_per_em())
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    fn advance(&self, glyph: u16) -> f32 {
        f32::from(self.face.glyph_hor_advance(ttf_parser::GlyphId(glyph)).unwrap_or(0)) * 1000.0 / self.units()
    }

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size / 1000.0
    }

    /// The text as two-byte new glyph ids, remembering each glyph for the subset.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let old = self.glyph(c);
            let new = self.remapper.remap(old);
            if usize::from(new) == self.used.len() {
                self.used.push((old, c));
            }
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }

    /// Writes the Type0 font, its CID font, descriptor, subset program and `ToUnicode` map.
    fn write(&self, pdf: &mut Pdf, next: &mut Ref, id: Ref) -> Result<(), RenderError> {
        let cid_id = next.bump();
        let descriptor_id = next.bump();
        let file_id = next.bump();
        let cmap_id = next.bump();
        // A subset's name carries a six-letter tag (PDF 32000 §9.6.4); one document, one subset.
        let base = format!("DKCPIL+{}", self.postscript);
        let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

        pdf.type0_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_id)
            .to_unicode(cmap_id);
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor_id)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, self.used.iter().map(|(old, _)| self.advance(*old)));
        cid.finish();

        let scale = 1000.0 / self.units();
        let bbox = self.face.global_bounding_box();
        pdf.font_descriptor(descriptor_id)
            .name(Name(base.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * scale,
                f32::from(bbox.y_min) * scale,
                f32::from(bbox.x_max) * scale,
                f32::from(bbox.y_max) * scale,
            ))
            .italic_angle(0.0)
            .ascent(f32::from(self.face.ascender()) * scale)
            .descent(f32::from(self.face.descender()) * scale)
            .cap_height(f32::from(self.face.capital_height().unwrap_or(self.face.ascender())) * scale)
            .stem_v(if self.resource == b"FB" { 140.0 } else { 80.0 })
            .font_file2(file_id);

        let program = subsetter::subset(self.data, 0, &self.remapper).map_err(|e| RenderError::Font(e.to_string()))?;
        pdf.stream(file_id, &deflate(&program)).filter(Filter::FlateDecode);

        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
        for (new, (_, c)) in self.used.iter().enumerate().skip(1) {
            if let Ok(new) = u16::try_from(new) {
                cmap.pair(new, *c);
            }
        }
        pdf.cmap(cmap_id, &deflate(&cmap.finish())).filter(Filter::FlateDecode);
        Ok(())
    }
}

/// Draws a page: text runs, rules and a QR code, positioned in points from the bottom left.
pub struct Page {
    regular: Font,
    bold: Font,
    content: Content,
    /// Areas a reader can tap to open an address.
    links: Vec<(Rect, String)>,
}

impl Page {
    pub fn new() -> Result<Self, RenderError> {
        Ok(Self {
            regular: Font::new(REGULAR, b"FR", "DejaVuSans")?,
            bold: Font::new(BOLD, b"FB", "DejaVuSans-Bold")?,
            content: Content::new(),
            links: Vec::new(),
        })
    }

    fn font(&mut self, weight: Weight) -> &mut Font {
        match weight {
            Weight::Regular => &mut self.regular,
            Weight::Bold => &mut self.bold,
        }
    }

    /// Width of `text` in points.
    pub fn width(&mut self, text: &str, size: f32, weight: Weight) -> f32 {
        self.font(weight).width(text, size)
    }

    /// One line of text with its baseline at `y`.
    pub fn text(&mut self, x: f32, y: f32, text: &str, size: f32, weight: Weight) {
        let font = self.font(weight);
        let resource = font.resource;
        let encoded = font.encode(text);
        self.content.begin_text();
        self.content.set_font(Name(resource), size);
        self.content.next_line(x, y);
        self.content.show(Str(&encoded));
        self.content.end_text();
    }

    /// `text` centred on the page.
    pub fn centred(&mut self, y: f32, text: &str, size: f32, weight: Weight) {
        let width = self.width(text, size, weight);
        self.text((PAGE_WIDTH - width) / 2.0, y, text, size, weight);
    }

    /// `text` wrapped at word boundaries to `max_width`; returns the baseline below the last line.
    pub fn paragraph(&mut self, x: f32, mut y: f32, text: &str, size: f32, weight: Weight, max_width: f32) -> f32 {
        for line in wrap(text, max_width, |s| self.width(s, size, weight)) {
            self.text(x, y, &line, size, weight);
            y -= size * 1.35;
        }
        y
    }

    /// Makes the area from (`x`, `bottom`) to (`x + width`, `top`) open `url` when tapped.
    pub fn link(&mut self, x: f32, bottom: f32, width: f32, top: f32, url: &str) {
        self.links.push((Rect::new(x, bottom, x + width, top), url.to_owned()));
    }

    /// A horizontal rule.
    pub fn rule(&mut self, x: f32, y: f32, width: f32) {
        self.content.set_line_width(0.6);
        self.content.move_to(x, y);
        self.content.line_to(x + width, y);
        self.content.stroke();
    }

    /// A QR code of `data` (error correction M, four modules of quiet zone) whose top-left
    /// corner is at (`x`, `top`), `size` points wide.
    pub fn qr(&mut self, x: f32, top: f32, size: f32, data: &[u8]) -> Result<(), RenderError> {
        let code = QrCode::with_error_correction_level(data, EcLevel::M).map_err(|e| RenderError::Qr(e.to_string()))?;
        let width = code.width();
        let module = size / (width + 8) as f32;
        self.content.set_fill_gray(0.0);
        for (i, color) in code.to_colors().into_iter().enumerate() {
            if color == Color::Dark {
                let (col, row) = ((i % width) as f32, (i / width) as f32);
                // A hair of overlap so viewers do not draw seams between modules.
                self.content.rect(x + (col + 4.0) * module, top - (row + 5.0) * module, module + 0.05, module + 0.05);
            }
        }
        self.content.fill_nonzero();
        Ok(())
    }

    /// The finished document.
    pub fn finish(self, title: &str) -> Result<Vec<u8>, RenderError> {
        let mut next = Ref::new(1);
        let catalog = next.bump();
        let tree = next.bump();
        let page = next.bump();
        let contents = next.bump();
        let regular = next.bump();
        let bold = next.bump();
        let info = next.bump();
        let links: Vec<Ref> = self.links.iter().map(|_| next.bump()).collect();
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids([page]).count(1);
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(contents);
        p.resources().fonts().pair(Name(b"FR"), regular).pair(Name(b"FB"), bold);
        p.annotations(links.iter().copied());
        p.finish();
        for (id, (rect, url)) in links.iter().zip(&self.links) {
            let mut link = pdf.annotation(*id);
            link.subtype(AnnotationType::Link).rect(*rect).border(0.0, 0.0, 0.0, None);
            link.action().action_type(ActionType::Uri).uri(Str(url.as_bytes()));
        }
        let content = self.content.finish();
        pdf.stream(contents, &deflate(&content)).filter(Filter::FlateDecode);
        self.regular.write(&mut pdf, &mut next, regular)?;
        self.bold.write(&mut pdf, &mut next, bold)?;
        pdf.document_info(info)
            .title(pdf_writer::TextStr(title))
            .producer(pdf_writer::TextStr("Layanan Online Dukcapil"));
        Ok(pdf.finish())
    }
}

/// zlib-compressed, for a `FlateDecode` stream.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Greedy word wrap; a word longer than the line (a URL) is cut where it must be.
fn wrap(text: &str, max_width: f32, mut width: impl FnMut(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if width(&candidate) <= max_width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_owned();
        while width(&rest) > max_width && rest.chars().count() > 1 {
            let mut cut = rest.chars().count() - 1;
            while cut > 1 && width(&rest.chars().take(cut).collect::<String>()) > max_width {
                cut -= 1;
            }
            lines.push(rest.chars().take(cut).collect());
            rest = rest.chars().skip(cut).collect();
        }
        line = rest;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_and_long_words_are_cut() {
        let width = |s: &str| s.chars().count() as f32;
        assert_eq!(wrap("satu dua tiga empat", 9.0, width), vec!["satu dua", "tiga", "empat"]);
        assert_eq!(wrap("abcdefghij", 4.0, width), vec!["abcd", "efgh", "ij"]);
        assert!(wrap("", 4.0, width).is_empty());
    }

    #[test]
    fn a_page_embeds_only_the_glyphs_it_uses() -> Result<(), RenderError> {
        let mut page = Page::new()?;
        page.text(50.0, 800.0, "Bukti Pengajuan 1×24 jam", 12.0, Weight::Bold);
        page.qr(50.0, 700.0, 120.0, b"https://layanan.example/verifikasi/ABCD")?;
        let pdf = page.finish("Bukti")?;
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 30_000, "{} bytes: the fonts were not subset", pdf.len());
        Ok(())
    }
}
