//! The recognition report as a PDF a registrar can file.
//!
//! The report's sections ([`RecognitionReport::sections`]) are laid out on A4 pages with a
//! CJK-capable font handed in as bytes (the binary loads IPAex Gothic from Debian's
//! `fonts-ipaexfont-gothic` or a configured path), so this crate does no I/O. Text is real
//! text (extractable, searchable), not images: `pdftotext` reads it back in the tests.

#![forbid(unsafe_code)]

use kakehashi_academic::report::{Lang, RecognitionReport};
use krilla::Document;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

/// A4 in PDF points.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.0;
const HEADING: f32 = 13.0;
const TITLE: f32 = 17.0;
const LEADING: f32 = 1.45;

/// Why a PDF could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The font bytes are not a usable TrueType/OpenType font.
    #[error("the font could not be loaded")]
    Font,
    /// The PDF writer refused the document.
    #[error("PDF generation failed: {0}")]
    Write(String),
}

/// A font parsed once and shared by every render: IPAex Gothic is 6 MB, and krilla hashes
/// the whole file when it loads a font, so a server keeps one of these per process.
#[derive(Clone)]
pub struct PdfFont(Font);

impl PdfFont {
    /// Loads a TrueType/OpenType font that covers Latin and Japanese (e.g. IPAex Gothic).
    pub fn new(bytes: Vec<u8>) -> Result<Self, PdfError> {
        Font::new(bytes.into(), 0).map(Self).ok_or(PdfError::Font)
    }
}

impl std::fmt::Debug for PdfFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfFont").finish_non_exhaustive()
    }
}

/// Renders `report` in `lang`. `font` must cover Latin and Japanese (e.g. IPAex Gothic).
pub fn render(report: &RecognitionReport, lang: Lang, font: Vec<u8>) -> Result<Vec<u8>, PdfError> {
    render_sections(lang, &report.sections(lang), &PdfFont::new(font)?)
}

/// Renders a report from its sections in `lang` (what [`RecognitionReport::sections`]
/// returns, as a verifier stores them with its result): the PDF is made when someone
/// downloads it, not at verification time.
pub fn render_sections(
    lang: Lang,
    sections: &[(String, Vec<String>)],
    font: &PdfFont,
) -> Result<Vec<u8>, PdfError> {
    let font = &font.0;
    let title = match lang {
        Lang::En => "Kakehashi recognition report",
        Lang::Ja => "架け橋 学位承認レポート",
    };
    let max_width = PAGE_W - 2.0 * MARGIN;
    // Lay out first (lines with size and y), then draw page by page.
    let mut lines: Vec<(f32, String)> = vec![(TITLE, title.to_owned()), (BODY, String::new())];
    for (heading, body) in sections {
        lines.push((HEADING, heading.clone()));
        for l in body {
            for wrapped in wrap(l, BODY, max_width - 12.0) {
                lines.push((BODY, wrapped));
            }
        }
        lines.push((BODY * 0.6, String::new()));
    }
    let mut document = Document::new();
    let settings =
        || PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()));
    let mut iter = lines.into_iter().peekable();
    let mut page_no = 0u32;
    while iter.peek().is_some() {
        page_no += 1;
        let mut page = document.start_page_with(settings()?);
        let mut surface = page.surface();
        let mut y = MARGIN;
        while let Some((size, _)) = iter.peek() {
            let advance = size * LEADING;
            if y + advance > PAGE_H - MARGIN {
                break;
            }
            let Some((size, text)) = iter.next() else {
                break;
            };
            y += advance;
            if !text.is_empty() {
                let x = if size == BODY { MARGIN + 12.0 } else { MARGIN };
                surface.draw_text(
                    Point::from_xy(x, y),
                    font.clone(),
                    size,
                    &text,
                    false,
                    TextDirection::Auto,
                );
            }
        }
        let footer = format!("{title} — {page_no}");
        surface.draw_text(
            Point::from_xy(MARGIN, PAGE_H - MARGIN / 2.0),
            font.clone(),
            BODY * 0.8,
            &footer,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

/// Estimated advance of one character in ems: full width for CJK and other wide characters,
/// about half for Latin. Conservative, so lines never overflow the margin.
fn char_em(c: char) -> f32 {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6);
    if wide {
        1.0
    } else if c.is_ascii_uppercase() || c == 'm' || c == 'w' {
        0.72
    } else {
        0.56
    }
}

/// Greedy wrapping: breaks at spaces for Latin text and anywhere between wide characters.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut line_w = 0.0f32;
    let mut last_space: Option<usize> = None;
    for c in text.chars() {
        let w = char_em(c) * size;
        if line_w + w > width && !line.is_empty() {
            match last_space {
                Some(i) if char_em(c) < 1.0 => {
                    let rest = line.split_off(i);
                    out.push(line.trim_end().to_owned());
                    line = rest.trim_start().to_owned();
                }
                _ => out.push(std::mem::take(&mut line)),
            }
            line_w = line.chars().map(|c| char_em(c) * size).sum();
            last_space = None;
        }
        if c == ' ' {
            last_space = Some(line.len());
        }
        line.push(c);
        line_w += w;
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_respects_width() {
        let text = "The EQF level is advisory: Japan has no national qualifications framework referenced to the EQF. 日本にはEQFと対応付けられた国家資格枠組みがありません。";
        let lines = wrap(text, 10.0, 200.0);
        assert!(lines.len() > 2);
        for l in &lines {
            let w: f32 = l.chars().map(|c| char_em(c) * 10.0).sum();
            assert!(w <= 200.0 + 10.0, "{l}");
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let orig: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, orig);
    }
}
