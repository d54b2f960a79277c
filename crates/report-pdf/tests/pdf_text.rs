//! Renders reports in both languages and reads the text back with `pdftotext` (poppler-utils).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

use kakehashi_academic::model::Diploma;
use kakehashi_academic::recognition::{Bilingual, Reader, map_qualification};
use kakehashi_academic::report::{
    AuthorisationFinding, CredentialFinding, Lang, RecognitionReport, TrustFinding,
};

const FONT: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";

fn prerequisites() -> bool {
    let ok = Path::new(FONT).exists() && Command::new("pdftotext").arg("-v").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install fonts-ipaexfont-gothic and poppler-utils"
        );
        eprintln!("skipped: install fonts-ipaexfont-gothic and poppler-utils");
    }
    ok
}

fn report() -> RecognitionReport {
    let d: Diploma = serde_json::from_value(serde_json::json!({
        "holder": {"family_name": {"ja": "山田", "ja-Latn": "YAMADA"}, "given_name": {"ja": "花子", "ja-Latn": "HANAKO"}},
        "awarding_body": {
            "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7000012050002"}
        },
        "qualification": {"title": {"ja": "修士(工学)", "en": "Master of Engineering"}, "jp_degree": "修士", "isced_field": "0714"},
        "credits": {"amount": 30.0, "system": "JP-tani"},
        "award_date": "2026-03-25",
        "diploma_number": "修第1234号"
    }))
    .unwrap();
    RecognitionReport::new(
        CredentialFinding {
            format: "jwt_vc_json".into(),
            signature_valid: true,
            key_binding_valid: true,
            status: "valid".into(),
            disclosed: vec!["credentialSubject".into()],
        },
        TrustFinding {
            trusted: true,
            trust_class: Some("qualified-equivalent seal".into()),
            explanation: vec![
                "Seal certificate chains to an accredited e-seal CA in JPlist #3".into(),
            ],
        },
        AuthorisationFinding {
            authorised: true,
            register: "JPlist universities".into(),
            detail: "Corporate Number 7000012050002".into(),
        },
        Bilingual {
            en: "Master of Engineering".into(),
            ja: "修士(工学)".into(),
        },
        Bilingual {
            en: "Morinomiyako National University".into(),
            ja: "国立大学法人杜の都大学".into(),
        },
        map_qualification(&d, Reader::Eu, None).unwrap(),
    )
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("kakehashi-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One file per call: tests run in parallel and two PDFs may have the same length.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("r{n}-{}.pdf", pdf.len()));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn english_and_japanese_reports_are_real_text() {
    if !prerequisites() {
        return;
    }
    let font = std::fs::read(FONT).unwrap();
    let r = report();
    let en = kakehashi_report_pdf::render(&r, Lang::En, font.clone()).unwrap();
    assert!(en.starts_with(b"%PDF-"));
    let text = pdf_text(&en);
    for needle in [
        "Kakehashi recognition report",
        "VERIFIED",
        "EQF 7: advisory",
        "ISCED 2011 767",
        "Tokyo Convention",
        "修士(工学)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let ja = kakehashi_report_pdf::render(&r, Lang::Ja, font).unwrap();
    let text = pdf_text(&ja);
    for needle in [
        "学位承認レポート",
        "検証済み",
        "EQF 7: 参考",
        "判断が必要な事項",
        "国立大学法人杜の都大学",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn a_bad_font_is_a_typed_error() {
    assert!(matches!(
        kakehashi_report_pdf::render(&report(), Lang::En, b"not a font".to_vec()),
        Err(kakehashi_report_pdf::PdfError::Font)
    ));
}

#[test]
fn stored_sections_render_the_same_report() {
    if !prerequisites() {
        return;
    }
    let font = kakehashi_report_pdf::PdfFont::new(std::fs::read(FONT).unwrap()).unwrap();
    let r = report();
    for lang in [Lang::En, Lang::Ja] {
        // As a verifier stores them: JSON `[{"heading", "lines"}]`, read back.
        let stored = serde_json::to_string(&r.sections(lang)).unwrap();
        let sections: Vec<(String, Vec<String>)> = serde_json::from_str(&stored).unwrap();
        let from_sections = kakehashi_report_pdf::render_sections(lang, &sections, &font).unwrap();
        assert!(from_sections.starts_with(b"%PDF-"));
        let direct = kakehashi_report_pdf::render(&r, lang, std::fs::read(FONT).unwrap()).unwrap();
        assert_eq!(pdf_text(&from_sections), pdf_text(&direct));
        // The font handle is reused: a second render from it works too.
        let again = kakehashi_report_pdf::render_sections(lang, &sections, &font).unwrap();
        assert_eq!(pdf_text(&again), pdf_text(&direct));
    }
}
