//! Hostile variations of every vector never panic: each JSON document with each top-level
//! and `credentialSubject` member removed or replaced by every JSON type, and each compact
//! token truncated and with single characters changed. (The fuzz target `vc_jwt` explores
//! further; this runs in every `cargo test`.)

mod common;

use common::{fixed_now, suite_dir, walk};
use kakehashi_crypto_aws_lc::provider;
use kakehashi_vc_jose::{
    HolderBinding, VerifyOptions, check_credential, check_credential_structure, check_open_badge,
    check_presentation, verify_vc_jwt, verify_vp_jwt,
};
use serde_json::{Value, json};

fn exercise_json(value: &Value) {
    let _ = check_credential(value, fixed_now());
    let _ = check_presentation(value);
    if let Ok(view) = check_credential_structure(value) {
        let _ = check_open_badge(&view);
    }
}

fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("https ://x"),
        json!([]),
        json!([null, 1, "x", {}]),
        json!({}),
        json!({"id": 5, "type": [null]}),
    ]
}

fn mutate_members(value: &Value, visit: &mut dyn FnMut(&Value)) {
    let Some(obj) = value.as_object() else {
        return;
    };
    for key in obj.keys() {
        let mut removed = value.clone();
        removed.as_object_mut().map(|o| o.remove(key));
        visit(&removed);
        for replacement in replacements() {
            let mut changed = value.clone();
            changed[key.as_str()] = replacement;
            visit(&changed);
        }
    }
}

#[test]
fn mutated_json_documents_never_panic() {
    let mut documents = 0;
    for suite in [
        "vc-data-model-2",
        "vc-jose-cose",
        "open-badges",
        "kakehashi",
    ] {
        let dir = suite_dir(suite);
        for file in walk(&dir).into_iter().filter(|f| f.ends_with(".json")) {
            let Ok(value) =
                serde_json::from_slice::<Value>(&std::fs::read(dir.join(&file)).unwrap())
            else {
                continue;
            };
            documents += 1;
            exercise_json(&value);
            mutate_members(&value, &mut exercise_json);
            if let Some(subject) = value.get("credentialSubject") {
                mutate_members(subject, &mut |s| {
                    let mut with = value.clone();
                    with["credentialSubject"] = s.clone();
                    exercise_json(&with);
                });
            }
        }
    }
    assert!(documents > 100, "{documents}");
}

#[test]
fn mutated_tokens_never_panic() {
    let dir = suite_dir("vc-jose-cose").join("test-suite-input");
    let keys = common::test_keys();
    let options = VerifyOptions::at(fixed_now()).with_key_resolver(&keys);
    let mut tokens = 0;
    for file in walk(&dir).into_iter().filter(|f| f.ends_with(".txt")) {
        let token = std::fs::read_to_string(dir.join(&file)).unwrap();
        let token = token.trim();
        tokens += 1;
        let step = (token.len() / 64).max(1);
        let run = |t: &str| {
            let _ = verify_vc_jwt(t, &provider(), &options);
            let _ = verify_vp_jwt(t, &provider(), &options, HolderBinding::DangerNotChecked);
        };
        for end in (0..token.len()).step_by(step) {
            if let Some(prefix) = token.get(..end) {
                run(prefix);
            }
        }
        for at in (0..token.len()).step_by(step) {
            for replacement in ['.', '~', 'A', '_', '\u{e9}'] {
                let mut chars: Vec<char> = token.chars().collect();
                if at < chars.len() {
                    chars[at] = replacement;
                }
                run(&chars.into_iter().collect::<String>());
            }
        }
    }
    assert!(tokens >= 10);
}
