//! Server-side captchas: the glyphs come from the offline `captcha` crate, the answer's hash
//! is kept in PostgreSQL so any API instance can check it, and each captcha is checked once.
//!
//! The crate's own layout (glyphs side by side on one line, fixed-phase waves, salt noise) was
//! read by a cheap template-matching OCR two times out of three, so [`render`] composes the
//! crate's glyphs itself: bolder, of varied size and width, rotated, touching or overlapping,
//! sheared and elastically warped as a whole, strung on a line with beads that fill the gaps
//! between letters. `commands/tests/captcha_ocr.rs` measures what that OCR still reads.

use std::f32::consts::TAU;
use std::sync::OnceLock;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use image::ImageEncoder;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::rate_limit::{Limit, RateLimits};

/// How long a captcha may be answered.
pub const CAPTCHA_LIFETIME: Duration = Duration::minutes(5);

/// Characters that cannot be confused with one another.
const CHARS: [char; 24] = [
    '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'h', 'k', 'm', 'n', 'p', 'r', 't', 'w', 'x',
    'y',
];

/// A captcha to show.
#[derive(Debug, Clone)]
pub struct CaptchaChallenge {
    pub id: Uuid,
    /// `data:image/png;base64,…`
    pub image_data_url: String,
    pub expires_at: DateTime<Utc>,
}

/// How fast captchas may be made: each is a stored row and a rendering, and a free supply
/// lets a bot farm them (≈225 a second from one client before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptchaLimits {
    /// Per client address per minute (people behind one NAT address share it).
    pub per_address_per_minute: i64,
    /// For the whole service per minute: bounds the live rows to about this × the lifetime.
    pub per_minute: i64,
}

impl Default for CaptchaLimits {
    fn default() -> Self {
        Self { per_address_per_minute: 30, per_minute: 1200 }
    }
}

/// Creates and checks captchas.
#[derive(Clone)]
pub struct Captchas {
    pool: PgPool,
    rate: RateLimits,
    limits: CaptchaLimits,
}

impl Captchas {
    pub fn new(pool: PgPool, limits: CaptchaLimits) -> Self {
        Self { rate: RateLimits::new(pool.clone()), pool, limits }
    }

    /// Takes one captcha from the address's and the service's allowance.
    async fn admit(&self, client_address: Option<&str>, now: DateTime<Utc>) -> Result<(), Error> {
        let minute = Duration::minutes(1);
        let mut limits = vec![("captchas".to_owned(), self.limits.per_minute)];
        if let Some(address) = client_address {
            limits.insert(0, (format!("captchas:{address}"), self.limits.per_address_per_minute));
        }
        for (key, uses) in limits {
            if let Err(exhausted) =
                self.rate.take(&key, Limit { uses, amount: i64::MAX, window: minute }, 0, now).await?
            {
                tracing::warn!(key = key.split(':').next().unwrap_or_default(), "captcha creation rate-limited");
                return Err(Error::CaptchaRateLimited(exhausted.retry_after.num_seconds().max(1)));
            }
        }
        Ok(())
    }

    /// A new captcha, within the rate limits of `client_address` and of the service.
    pub async fn create(&self, now: DateTime<Utc>, client_address: Option<&str>) -> Result<CaptchaChallenge, Error> {
        self.admit(client_address, now).await?;
        let (answer, png) = tokio::task::spawn_blocking(render)
            .await?
            .ok_or_else(|| Error::Internal("captcha rendering failed".into()))?;
        let id = Uuid::new_v4();
        let expires_at = now + CAPTCHA_LIFETIME;
        sqlx::query("INSERT INTO captchas (captcha_id, answer_hash, expires_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(answer_hash(&answer))
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        let image_data_url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
        Ok(CaptchaChallenge { id, image_data_url, expires_at })
    }

    /// Checks an answer and uses the captcha up, right or wrong: a captcha is never checked twice.
    pub async fn verify(&self, id: &str, answer: &str, now: DateTime<Utc>) -> Result<(), Error> {
        let Ok(id) = Uuid::parse_str(id.trim()) else {
            return Err(Error::CaptchaInvalid);
        };
        let stored: Option<Vec<u8>> = sqlx::query_scalar(
            "UPDATE captchas SET used_at = $2 WHERE captcha_id = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING answer_hash",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match stored {
            Some(hash) if hash == answer_hash(answer) => Ok(()),
            _ => Err(Error::CaptchaInvalid),
        }
    }

    /// Deletes captchas past their lifetime.
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM captchas WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

/// The stored form of an answer (case and surrounding spaces ignored).
pub fn answer_hash(answer: &str) -> Vec<u8> {
    Sha256::digest(answer.trim().to_lowercase().as_bytes()).to_vec()
}

/// Width and height of a captcha image in pixels.
pub const IMAGE_SIZE: (u32, u32) = (240, 110);
/// Characters in an answer.
pub const ANSWER_LENGTH: usize = 5;

/// One of the crate's glyphs, cropped to its ink and made bolder: darkness 0–1, row by row.
struct Glyph {
    ch: char,
    width: usize,
    height: usize,
    ink: Vec<f32>,
}

impl Glyph {
    /// Darkness at a fractional position (bilinear; 0 outside).
    fn sample(&self, x: f32, y: f32) -> f32 {
        sample(&self.ink, self.width, self.height, x, y)
    }
}

fn sample(ink: &[f32], width: usize, height: usize, x: f32, y: f32) -> f32 {
    if !(x >= 0.0 && y >= 0.0 && x <= (width - 1) as f32 && y <= (height - 1) as f32) {
        return 0.0;
    }
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| ink[y * width + x];
    (at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx) * (1.0 - fy) + (at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx) * fy
}

/// The alphabet's glyphs, rendered once by the `captcha` crate (its font is not public otherwise).
fn glyphs() -> Option<&'static [Glyph]> {
    static GLYPHS: OnceLock<Option<Vec<Glyph>>> = OnceLock::new();
    GLYPHS.get_or_init(|| CHARS.iter().map(|&ch| glyph(ch)).collect()).as_deref()
}

fn glyph(ch: char) -> Option<Glyph> {
    let mut captcha = captcha::Captcha::new();
    captcha.set_chars(&[ch]).add_char();
    let area = captcha.text_area();
    let png = captcha.extract(area).as_png()?;
    let img = image::load_from_memory(&png).ok()?.to_luma8();
    let dark = |x: u32, y: u32| img.get_pixel(x, y).0[0] < 128;
    let (w, h) = img.dimensions();
    let cols: Vec<u32> = (0..w).filter(|&x| (0..h).any(|y| dark(x, y))).collect();
    let rows: Vec<u32> = (0..h).filter(|&y| (0..w).any(|x| dark(x, y))).collect();
    let (x0, x1, y0, y1) = (*cols.first()?, *cols.last()?, *rows.first()?, *rows.last()?);
    // One pixel of padding, then a plus-shaped dilation: the crate's strokes are thin for a
    // small phone screen once warped.
    let (width, height) = ((x1 - x0 + 3) as usize, (y1 - y0 + 3) as usize);
    let src = |x: i64, y: i64| {
        x >= 0 && y >= 0 && x <= i64::from(x1 - x0) && y <= i64::from(y1 - y0) && dark(x0 + x as u32, y0 + y as u32)
    };
    let ink = (0..height as i64)
        .flat_map(|y| (0..width as i64).map(move |x| (x - 1, y - 1)))
        .map(|(x, y)| {
            let on = src(x, y) || src(x - 1, y) || src(x + 1, y) || src(x, y - 1) || src(x, y + 1);
            if on { 1.0 } else { 0.0 }
        })
        .collect();
    Some(Glyph { ch, width, height, ink })
}

/// Darkens a disc (anti-aliased edge).
fn disc(ink: &mut [f32], (w, h): (usize, usize), cx: f32, cy: f32, r: f32) {
    let ys = (cy - r - 1.0).max(0.0) as usize..((cy + r + 2.0).max(0.0) as usize).min(h);
    for y in ys {
        for x in (cx - r - 1.0).max(0.0) as usize..((cx + r + 2.0).max(0.0) as usize).min(w) {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            ink[y * w + x] = ink[y * w + x].max((r - d + 0.5).clamp(0.0, 1.0));
        }
    }
}

/// A new captcha: its answer and a black-and-white PNG of [`IMAGE_SIZE`].
///
/// Each step is aimed at a step of a cheap OCR (binarise, despeckle, cut into five by column
/// projection or equal slices, match each cut against learned templates): sizes, widths and
/// spacing vary so equal slices miss; letters touch, lean and are sheared so columns overlap;
/// the line and its beads join the letters and fill the gaps a projection would cut at, and
/// beads past the ends stretch the text's apparent extent; the elastic warp changes every
/// letter's shape. Random phases everywhere: no two captchas share a distortion.
pub fn render() -> Option<(String, Vec<u8>)> {
    let glyphs = glyphs()?;
    let mut rng = rand::thread_rng();
    let (w, h) = (IMAGE_SIZE.0 as usize, IMAGE_SIZE.1 as usize);
    let picked: Vec<&Glyph> = (0..ANSWER_LENGTH).map(|_| &glyphs[rng.gen_range(0..glyphs.len())]).collect();
    // Per letter: overall scale, extra horizontal scale, advance as a share of the width.
    let sizes: Vec<(f32, f32, f32)> = picked
        .iter()
        .map(|_| (rng.gen_range(1.25..1.5), rng.gen_range(0.85..1.2), rng.gen_range(0.85..1.02)))
        .collect();
    let widths: Vec<f32> = picked.iter().zip(&sizes).map(|(g, (s, sx, _))| g.width as f32 * s * sx).collect();
    let total: f32 = widths.iter().zip(&sizes).map(|(wd, (_, _, adv))| wd * adv).sum::<f32>()
        + widths[ANSWER_LENGTH - 1] * (1.0 - sizes[ANSWER_LENGTH - 1].2);
    let mut ink = vec![0f32; w * h];
    let mut spans = Vec::with_capacity(ANSWER_LENGTH);
    let mut left = (w as f32 - total) / 2.0;
    for ((g, &(scale, scale_x, advance)), &width) in picked.iter().zip(&sizes).zip(&widths) {
        let (sin, cos) = rng.gen_range(-0.25f32..0.25).sin_cos();
        let (cx, cy) = (left + width / 2.0, h as f32 / 2.0 + rng.gen_range(-5.0..5.0));
        let reach = (g.width.max(g.height) as f32) * scale * scale_x.max(1.0) * 0.75 + 2.0;
        for y in (cy - reach).max(0.0) as usize..((cy + reach) as usize).min(h) {
            for x in (cx - reach).max(0.0) as usize..((cx + reach) as usize).min(w) {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let gx = (cos * dx + sin * dy) / (scale * scale_x) + g.width as f32 / 2.0;
                let gy = (cos * dy - sin * dx) / scale + g.height as f32 / 2.0;
                ink[y * w + x] = ink[y * w + x].max(g.sample(gx, gy));
            }
        }
        spans.push((left, left + width));
        left += width * advance;
    }
    // The line, across nearly the whole width.
    let (base, amp, period, phase) = (
        h as f32 / 2.0 + rng.gen_range(-12.0..12.0),
        rng.gen_range(4.0..14.0),
        rng.gen_range(60.0..160.0),
        rng.gen_range(0.0..TAU),
    );
    let line_y = |x: f32| base + amp * (x * TAU / period + phase).sin();
    let half = 1.2;
    for x in rng.gen_range(0..w / 8)..rng.gen_range(7 * w / 8..w) {
        let yc = line_y(x as f32);
        for y in (yc - half).max(0.0) as usize..=((yc + half) as usize).min(h - 1) {
            ink[y * w + x] = ink[y * w + x].max((half - (y as f32 - yc).abs() + 0.5).clamp(0.0, 1.0));
        }
    }
    // Beads: between neighbours, two anywhere along the text, and maybe one past either end.
    let (first, last) = (spans[0].0, spans[ANSWER_LENGTH - 1].1);
    let mut beads: Vec<f32> = spans.windows(2).map(|p| (p[0].1 + p[1].0) / 2.0 + rng.gen_range(-3.0..3.0)).collect();
    beads.extend((0..2).map(|_| rng.gen_range(first..last)));
    if rng.gen_bool(0.6) {
        beads.push(first - rng.gen_range(6.0..25.0));
    }
    if rng.gen_bool(0.6) {
        beads.push(last + rng.gen_range(6.0..25.0));
    }
    for x in beads {
        let r = rng.gen_range(3.5..5.0);
        disc(&mut ink, (w, h), x, line_y(x), r);
    }
    // The whole picture: sheared (either way), its baseline bent, and elastically warped.
    let shear = rng.gen_range(0.2..0.45) * if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
    let (bend, bend_len, bend_phase) = (rng.gen_range(5.0..10.0), rng.gen_range(150.0..300.0), rng.gen_range(0.0..TAU));
    let (warp_x_len, warp_y_len) = (rng.gen_range(45.0..90.0), rng.gen_range(45.0..90.0));
    let (warp_x_phase, warp_y_phase) = (rng.gen_range(0.0..TAU), rng.gen_range(0.0..TAU));
    let warp = 3.0;
    // Horizontal shift per row, vertical shift per column (computed once: debug builds are slow).
    let dx: Vec<f32> = (0..h)
        .map(|y| shear * (y as f32 - h as f32 / 2.0) + warp * (y as f32 * TAU / warp_y_len + warp_y_phase).sin())
        .collect();
    let dy: Vec<f32> = (0..w)
        .map(|x| {
            bend * (x as f32 * TAU / bend_len + bend_phase).sin()
                + warp * (x as f32 * TAU / warp_x_len + warp_x_phase).sin()
        })
        .collect();
    let mut pixels: Vec<u8> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            if sample(&ink, w, h, x as f32 + dx[y], y as f32 + dy[x]) > 0.5 { 0 } else { 255 }
        })
        .collect();
    // A few pixels flipped.
    for _ in 0..w * h / 25 {
        let i = rng.gen_range(0..w * h);
        pixels[i] = 255 - pixels[i];
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(&pixels, IMAGE_SIZE.0, IMAGE_SIZE.1, image::ExtendedColorType::L8)
    .ok()?;
    Some((picked.iter().map(|g| g.ch).collect(), png))
}
