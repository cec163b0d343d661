//! How much of our captcha a cheap OCR reads.
//!
//! The solver is what an attacker writes in an afternoon: binarise (Otsu), vote out salt noise
//! over a square window, drop small specks, cut the text into five by column projection, by the
//! emptiest columns (dynamic programming with plausible widths) or into five equal slices, scale
//! each cut to 16×16 and take the 3 nearest templates learned from captchas with known answers.
//! It is generous to the attacker: it trains on captchas of exactly the kind it is tested on,
//! with their answers, and the reported rate is the best of several pipelines.
//!
//! The old settings (the `captcha` crate's own layout) stay here only as the yardstick: the
//! solver must read most of those, or a low rate for the new ones would mean nothing.

use std::collections::BTreeMap;
use std::time::Instant;

use commands::captcha::{ANSWER_LENGTH, render};

/// Captchas with known answers the solver learns from, and fresh ones it is scored on.
const TRAIN: usize = 400;
const TEST: usize = 100;
const GRID: usize = 16;
const NEIGHBOURS: usize = 3;

const CHARS: [char; 24] = [
    '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'h', 'k', 'm', 'n', 'p', 'r', 't', 'w', 'x',
    'y',
];

/// What `Captchas::create` drew before: the crate's layout, noise 0.2, one horizontal wave.
fn render_old() -> (String, Vec<u8>) {
    let mut captcha = captcha::Captcha::new();
    captcha
        .set_chars(&CHARS)
        .add_chars(5)
        .apply_filter(captcha::filters::Noise::new(0.2))
        .apply_filter(captcha::filters::Wave::new(2.0, 16.0))
        .view(220, 100);
    captcha.as_tuple().unwrap_or_else(|| panic!("old captcha"))
}

fn render_new() -> (String, Vec<u8>) {
    render().unwrap_or_else(|| panic!("new captcha"))
}

/// A black-and-white picture: `true` is ink.
#[derive(Clone)]
struct Bin {
    w: usize,
    h: usize,
    ink: Vec<bool>,
}

impl Bin {
    fn at(&self, x: usize, y: usize) -> bool {
        self.ink[y * self.w + x]
    }

    fn column(&self, x: usize) -> usize {
        (0..self.h).filter(|&y| self.at(x, y)).count()
    }
}

fn otsu(gray: &[u8]) -> u8 {
    let mut hist = [0f64; 256];
    for &g in gray {
        hist[g as usize] += 1.0;
    }
    let total = gray.len() as f64;
    let sum: f64 = hist.iter().enumerate().map(|(i, c)| i as f64 * c).sum();
    let (mut w0, mut sum0, mut best, mut threshold) = (0.0, 0.0, -1.0, 128u8);
    for (t, &count) in hist.iter().enumerate() {
        w0 += count;
        sum0 += t as f64 * count;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum - sum0) / w1);
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            threshold = t as u8;
        }
    }
    threshold
}

fn binarise(png: &[u8]) -> Bin {
    let img = image::load_from_memory(png).unwrap_or_else(|e| panic!("decode: {e}")).to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let gray = img.into_raw();
    let t = otsu(&gray);
    Bin { w, h, ink: gray.iter().map(|&g| g <= t).collect() }
}

/// Ink where at least `need` pixels of the (2r+1)² window are ink (summed-area table).
fn majority(b: &Bin, r: usize, need: usize) -> Bin {
    let (w, h) = (b.w, b.h);
    let mut sat = vec![0usize; (w + 1) * (h + 1)];
    for y in 0..h {
        for x in 0..w {
            sat[(y + 1) * (w + 1) + x + 1] =
                usize::from(b.at(x, y)) + sat[y * (w + 1) + x + 1] + sat[(y + 1) * (w + 1) + x] - sat[y * (w + 1) + x];
        }
    }
    let mut ink = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let (x0, y0, x1, y1) = (x.saturating_sub(r), y.saturating_sub(r), (x + r + 1).min(w), (y + r + 1).min(h));
            let n = sat[y1 * (w + 1) + x1] + sat[y0 * (w + 1) + x0] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0];
            ink[y * w + x] = n >= need;
        }
    }
    Bin { w, h, ink }
}

/// 8-connected components: (pixels, first column, last column).
fn components(b: &Bin) -> Vec<(Vec<usize>, usize, usize)> {
    let mut seen = vec![false; b.w * b.h];
    let mut out = vec![];
    for start in 0..b.w * b.h {
        if !b.ink[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let (mut stack, mut pixels, mut x0, mut x1) = (vec![start], vec![], usize::MAX, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % b.w, i / b.w);
            pixels.push(i);
            x0 = x0.min(x);
            x1 = x1.max(x);
            for ny in y.saturating_sub(1)..=(y + 1).min(b.h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(b.w - 1) {
                    let j = ny * b.w + nx;
                    if b.ink[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push((pixels, x0, x1));
    }
    out
}

#[derive(Clone, Copy, Debug)]
enum Cut {
    /// Column projection if it finds five runs, else connected components, else `Valleys`.
    Projection,
    /// Four cuts at the emptiest columns, glyph widths kept plausible.
    Valleys,
    /// The text's extent cut into five equal slices.
    Slices,
}

/// One way of running the solver; the attacker tries a few and keeps the best.
#[derive(Clone, Copy, Debug)]
struct Pipeline {
    /// Majority window radius and votes needed (0: no vote).
    radius: usize,
    votes: usize,
    /// Components smaller than this are dropped.
    speck: usize,
    cut: Cut,
    /// Columns with less ink than this do not count as text (thin interference lines).
    min_column: usize,
}

impl Pipeline {
    fn clean(&self, png: &[u8]) -> Bin {
        let mut b = binarise(png);
        if self.votes > 0 {
            b = majority(&b, self.radius, self.votes);
        }
        let mut out = Bin { w: b.w, h: b.h, ink: vec![false; b.w * b.h] };
        for (pixels, _, _) in components(&b) {
            if pixels.len() >= self.speck {
                for i in pixels {
                    out.ink[i] = true;
                }
            }
        }
        out
    }

    fn segment(&self, b: &Bin) -> Vec<(usize, usize)> {
        let cols: Vec<usize> = (0..b.w).map(|x| b.column(x)).collect();
        let text: Vec<usize> = (0..b.w).filter(|&x| cols[x] >= self.min_column).collect();
        let (Some(&left), Some(&right)) = (text.first(), text.last()) else {
            return vec![];
        };
        match self.cut {
            Cut::Slices => slices(left, right),
            Cut::Valleys => valleys(&cols, left, right),
            Cut::Projection => {
                let mut runs = vec![];
                let mut start = None;
                for x in left..=right + 1 {
                    match (x <= right && cols.get(x).is_some_and(|&c| c >= self.min_column), start) {
                        (true, None) => start = Some(x),
                        (false, Some(s)) if x - s >= 3 => {
                            runs.push((s, x - 1));
                            start = None;
                        }
                        (false, Some(_)) => start = None,
                        _ => {}
                    }
                }
                if runs.len() == ANSWER_LENGTH {
                    return runs;
                }
                let mut spans: Vec<(usize, usize)> =
                    components(b).into_iter().filter(|c| c.0.len() >= 40).map(|c| (c.1, c.2)).collect();
                spans.sort();
                let mut merged: Vec<(usize, usize)> = vec![];
                for s in spans {
                    match merged.last_mut() {
                        // Mostly above or below the previous one: the same glyph.
                        Some(last) if last.1 as i64 - s.0 as i64 > ((s.1 - s.0).min(last.1 - last.0) / 2) as i64 => {
                            last.1 = last.1.max(s.1);
                        }
                        _ => merged.push(s),
                    }
                }
                if merged.len() == ANSWER_LENGTH {
                    return merged;
                }
                valleys(&cols, left, right)
            }
        }
    }
}

fn slices(left: usize, right: usize) -> Vec<(usize, usize)> {
    let width = (right - left + 1) as f64 / ANSWER_LENGTH as f64;
    (0..ANSWER_LENGTH)
        .map(|i| (left + (i as f64 * width) as usize, (left + ((i + 1) as f64 * width) as usize).min(right + 1) - 1))
        .collect()
}

/// Cuts after columns c1 < c2 < c3 < c4 minimising their ink plus a penalty for widths far from
/// the average.
fn valleys(cols: &[usize], left: usize, right: usize) -> Vec<(usize, usize)> {
    let avg = (right - left + 1) as f64 / ANSWER_LENGTH as f64;
    let (min_w, max_w) = (6, 60);
    let penalty = |w: usize| 0.02 * (w as f64 - avg).powi(2);
    // best[k][x]: cheapest way for glyph k (0-based) to end at column x.
    let mut best = vec![vec![f64::INFINITY; right + 1]; ANSWER_LENGTH];
    let mut from = vec![vec![0usize; right + 1]; ANSWER_LENGTH];
    for x in left..=right {
        let w = x + 1 - left;
        if (min_w..=max_w).contains(&w) {
            best[0][x] = cols[x] as f64 + penalty(w);
        }
    }
    for k in 1..ANSWER_LENGTH {
        for x in left..=right {
            for w in min_w..=max_w.min(x - left) {
                let prev = x - w;
                let cost = best[k - 1][prev] + if k == ANSWER_LENGTH - 1 { 0.0 } else { cols[x] as f64 } + penalty(w);
                if cost < best[k][x] {
                    best[k][x] = cost;
                    from[k][x] = prev;
                }
            }
        }
    }
    if best[ANSWER_LENGTH - 1][right].is_infinite() {
        return slices(left, right);
    }
    let mut cuts = vec![];
    let mut x = right;
    for k in (0..ANSWER_LENGTH).rev() {
        let start = if k == 0 { left } else { from[k][x] + 1 };
        cuts.push((start, x));
        x = start.saturating_sub(1);
    }
    cuts.reverse();
    cuts
}

/// The glyph in columns x0..=x1, cropped to its ink, averaged onto GRID×GRID, plus its aspect.
fn features(b: &Bin, (x0, x1): (usize, usize)) -> Vec<f32> {
    let mut f = vec![0f32; GRID * GRID + 1];
    let rows: Vec<usize> = (0..b.h).filter(|&y| (x0..=x1).any(|x| b.at(x, y))).collect();
    let (Some(&y0), Some(&y1)) = (rows.first(), rows.last()) else {
        return f;
    };
    let (w, h) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
    let cell = |start: usize, len: f32, i: usize, last: usize| {
        let a = start + (i as f32 * len / GRID as f32) as usize;
        let z = (start + ((i + 1) as f32 * len / GRID as f32).ceil() as usize).max(a + 1).min(last + 1);
        a..z
    };
    for gy in 0..GRID {
        for gx in 0..GRID {
            let (mut n, mut ink) = (0, 0);
            for y in cell(y0, h, gy, y1) {
                for x in cell(x0, w, gx, x1) {
                    n += 1;
                    ink += usize::from(b.at(x, y));
                }
            }
            f[gy * GRID + gx] = if n > 0 { ink as f32 / n as f32 } else { 0.0 };
        }
    }
    f[GRID * GRID] = (w / h).min(3.0);
    f
}

struct Solver {
    pipeline: Pipeline,
    templates: Vec<(Vec<f32>, char)>,
}

impl Solver {
    /// Learns from captchas whose cut gave five glyphs, labelled in order by the answer.
    fn train(pipeline: Pipeline, data: &[(String, Vec<u8>)]) -> Self {
        let mut templates = vec![];
        for (answer, png) in data {
            let b = pipeline.clean(png);
            let cuts = pipeline.segment(&b);
            if cuts.len() == ANSWER_LENGTH {
                templates.extend(cuts.into_iter().zip(answer.chars()).map(|(c, ch)| (features(&b, c), ch)));
            }
        }
        Self { pipeline, templates }
    }

    fn classify(&self, f: &[f32]) -> char {
        let mut nearest: Vec<(f32, char)> = Vec::with_capacity(NEIGHBOURS + 1);
        for (t, ch) in &self.templates {
            // Stop summing once past the current k-th nearest (same answer, far faster unoptimised).
            let bound = if nearest.len() < NEIGHBOURS { f32::INFINITY } else { nearest[NEIGHBOURS - 1].0 };
            let mut d = 0.0;
            for (a, b) in t.iter().zip(f) {
                d += (a - b) * (a - b);
                if d >= bound {
                    break;
                }
            }
            if d < bound {
                let at = nearest.partition_point(|n| n.0 <= d);
                nearest.insert(at, (d, *ch));
                nearest.truncate(NEIGHBOURS);
            }
        }
        // Most votes; ties to the nearer.
        let mut votes: BTreeMap<char, (usize, f32)> = BTreeMap::new();
        for (d, ch) in nearest {
            let v = votes.entry(ch).or_insert((0, f32::INFINITY));
            v.0 += 1;
            v.1 = v.1.min(d);
        }
        votes.into_iter().max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.total_cmp(&a.1.1))).map_or('?', |(ch, _)| ch)
    }

    fn read(&self, png: &[u8]) -> String {
        let b = self.pipeline.clean(png);
        self.pipeline.segment(&b).into_iter().map(|c| self.classify(&features(&b, c))).collect()
    }
}

/// Per pipeline: whole captchas read (of TEST) and characters read.
fn attack(name: &str, generate: fn() -> (String, Vec<u8>)) -> usize {
    let started = Instant::now();
    let train: Vec<_> = (0..TRAIN).map(|_| generate()).collect();
    let test: Vec<_> = (0..TEST).map(|_| generate()).collect();
    let sizes: Vec<usize> = test.iter().map(|(_, png)| png.len()).collect();
    println!(
        "{name}: {TRAIN} training and {TEST} test captchas rendered in {:.1?}; PNG {}–{} bytes, mean {}",
        started.elapsed(),
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0),
        sizes.iter().sum::<usize>() / TEST,
    );
    let mut best = 0;
    for pipeline in PIPELINES {
        let started = Instant::now();
        let solver = Solver::train(pipeline, &train);
        let (mut whole, mut chars) = (0, 0);
        for (answer, png) in &test {
            let read = solver.read(png);
            whole += usize::from(&read == answer);
            chars += read.chars().zip(answer.chars()).filter(|(a, b)| a == b).count();
        }
        println!(
            "  {pipeline:?}: {whole}/{TEST} captchas, {:.0}% of characters ({} templates, {:.1?})",
            100.0 * chars as f64 / (TEST * ANSWER_LENGTH) as f64,
            solver.templates.len(),
            started.elapsed()
        );
        best = best.max(whole);
    }
    println!("  best: {best}/{TEST}");
    best
}

const PIPELINES: [Pipeline; 4] = [
    Pipeline { radius: 1, votes: 6, speck: 20, cut: Cut::Valleys, min_column: 1 },
    Pipeline { radius: 1, votes: 6, speck: 20, cut: Cut::Slices, min_column: 5 },
    Pipeline { radius: 2, votes: 14, speck: 160, cut: Cut::Slices, min_column: 5 },
    Pipeline { radius: 1, votes: 6, speck: 160, cut: Cut::Projection, min_column: 5 },
];

#[test]
fn a_cheap_ocr_reads_the_old_captchas_but_not_the_new_ones() {
    let old = attack("old settings (captcha crate layout)", render_old);
    let new = attack("new settings (captcha::render)", render_new);
    // Measured: old about 70/100; new 5–10/100 here (about 10% with 1,000–2,000 training
    // captchas and 24 pipelines). Bounds leave room for chance over 100 captchas.
    assert!(old >= 50, "the solver must read most old captchas to be a yardstick: {old}/{TEST}");
    assert!(new <= 15, "a cheap OCR reads {new}/{TEST} new captchas");
}

/// `CAPTCHA_SAMPLES=/some/dir` also writes the pictures there, named by answer, to look at.
#[test]
fn new_captchas_are_small_pngs_with_alphabet_answers() {
    let samples = std::env::var_os("CAPTCHA_SAMPLES").map(std::path::PathBuf::from);
    for _ in 0..20 {
        let (answer, png) = render_new();
        if let Some(dir) = &samples {
            std::fs::write(dir.join(format!("{answer}.png")), &png).unwrap_or_else(|e| panic!("sample: {e}"));
        }
        assert_eq!(answer.chars().count(), ANSWER_LENGTH);
        assert!(answer.chars().all(|c| CHARS.contains(&c)), "{answer}");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        assert!(png.len() <= 10_000, "{} bytes", png.len());
        let img = image::load_from_memory(&png).unwrap_or_else(|e| panic!("decode: {e}"));
        assert_eq!((img.width(), img.height()), commands::captcha::IMAGE_SIZE);
    }
}
