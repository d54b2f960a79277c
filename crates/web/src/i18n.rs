//! English and Japanese: the one table of UI strings, and language negotiation.
//!
//! Templates never hold UI text: they call `tr.t("key")` (or `tr.t1` / `tr.t2` for strings with
//! `{}` placeholders). A test walks every template and checks that each key it uses is in
//! [`STRINGS`] with both languages, so a page cannot ship half-translated.

/// The languages of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    /// Every language, in the order of the switch.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    /// The BCP 47 tag (`lang` attribute, cookie value, `?lang=`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
        }
    }

    /// Parses `en`, `ja` and their regional forms (`en-GB`, `ja-JP`).
    pub fn parse(text: &str) -> Option<Lang> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The language of a request: an explicit `?lang=` wins, then the `lang` cookie, then the
    /// best `Accept-Language` match (by q-value), then English.
    pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept.and_then(from_accept_language))
            .unwrap_or_default()
    }
}

/// The supported language with the highest q-value in an `Accept-Language` header.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for item in header.split(',').take(32) {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, parse_q);
        if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// A q-value in thousandths (`0.8` -> 800); malformed values count as 0.
fn parse_q(text: &str) -> u16 {
    let text = text.trim();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let whole = match int {
        "1" => 1000,
        "0" => 0,
        _ => return 0,
    };
    let mut thousandths = 0u16;
    for (i, c) in frac.chars().take(3).enumerate() {
        let Some(d) = c.to_digit(10) else { return 0 };
        let scale = [100u16, 10, 1][i];
        thousandths += u16::try_from(d).unwrap_or(0) * scale;
    }
    (whole + thousandths).min(1000)
}

/// A translator for one language: what templates call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    /// The language.
    pub fn lang(&self) -> Lang {
        self.0
    }

    /// The string for `key`. An unknown key is a bug caught by the template test; at run time
    /// it shows the key rather than failing the page.
    pub fn t(&self, key: &str) -> &'static str {
        lookup(key).map_or("??", |(en, ja)| match self.0 {
            Lang::En => en,
            Lang::Ja => ja,
        })
    }

    /// True when the table has `key` (for keys built at run time, such as audit actions).
    pub fn has(key: &str) -> bool {
        lookup(key).is_some()
    }

    /// The string for `key` with its `{}` replaced by `a`.
    pub fn t1(&self, key: &str, a: impl std::fmt::Display) -> String {
        self.t(key).replacen("{}", &a.to_string(), 1)
    }

    /// The string for `key` with its two `{}` replaced by `a` and `b`.
    pub fn t2(&self, key: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        self.t(key)
            .replacen("{}", &a.to_string(), 1)
            .replacen("{}", &b.to_string(), 1)
    }

    /// A duration in words: `3 d 4 h`, `5 h 10 min` / `3日4時間`, `5時間10分`.
    pub fn duration(&self, seconds: i64) -> String {
        let s = seconds.abs();
        let (days, hours, minutes) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
        if days > 0 {
            self.t2("duration.days_hours", days, hours)
        } else {
            self.t2("duration.hours_minutes", hours, minutes)
        }
    }
}

fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    STRINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, ja)| (*en, *ja))
}

/// Every UI string: key, English, Japanese.
pub const STRINGS: &[(&str, &str, &str)] = &[
    // Layout
    ("site.name", "Kakehashi", "かけはし"),
    (
        "site.tagline",
        "EU–Japan verifiable academic credentials",
        "日EU 検証可能な学位証明",
    ),
    ("nav.skip", "Skip to main content", "本文へスキップ"),
    ("nav.label", "Main navigation", "メインナビゲーション"),
    ("nav.home", "Home", "ホーム"),
    ("nav.graduates", "Graduates", "卒業生"),
    ("nav.add", "Add a graduate", "卒業生を追加"),
    ("nav.import", "Import CSV", "CSV 取り込み"),
    ("nav.audit", "Audit trail", "監査ログ"),
    ("nav.registry", "Trust registry", "トラストレジストリ"),
    ("nav.signout", "Sign out", "サインアウト"),
    ("nav.signed_in_as", "Signed in as", "サインイン中:"),
    ("lang.label", "Language", "言語"),
    (
        "footer.text",
        "Kakehashi pilot. The universities and people shown are fictional.",
        "かけはしパイロット。表示される大学と人物は架空のものです。",
    ),
    // Home
    ("home.title", "Kakehashi node", "かけはしノード"),
    (
        "home.intro",
        "This node serves the portals below. Choose the one for your role.",
        "このノードは次のポータルを提供しています。役割に合ったものを選んでください。",
    ),
    ("home.registrar", "Registrar portal", "教務ポータル"),
    (
        "home.registrar.desc",
        "For university registrars: graduates, CSV import and the audit trail.",
        "大学の教務担当者向け:卒業生の管理、CSV 取り込み、監査ログ。",
    ),
    (
        "home.registry.desc",
        "The trusted lists this node relies on and its recognition policy.",
        "このノードが利用するトラストリストと承認ポリシー。",
    ),
    (
        "home.none",
        "No portal is enabled on this node.",
        "このノードで有効なポータルはありません。",
    ),
    // Sign-in
    (
        "signin.title",
        "Sign in to the registrar portal",
        "教務ポータルにサインイン",
    ),
    ("signin.username", "Username", "ユーザー名"),
    ("signin.password", "Password", "パスワード"),
    ("signin.submit", "Sign in", "サインイン"),
    (
        "signin.failed",
        "The username or password is not correct.",
        "ユーザー名またはパスワードが正しくありません。",
    ),
    (
        "signin.expired",
        "Please sign in to continue. Sessions end after 8 hours or when you sign out.",
        "続けるにはサインインしてください。セッションは 8 時間後またはサインアウト時に終了します。",
    ),
    (
        "signin.signed_out",
        "You have signed out.",
        "サインアウトしました。",
    ),
    (
        "signin.hint",
        "Registrar accounts are created by the operator of this node.",
        "教務アカウントはこのノードの管理者が作成します。",
    ),
    // Graduates list
    ("graduates.title", "Graduates", "卒業生"),
    (
        "graduates.caption",
        "Graduates of {}, in order of diploma number",
        "{} の卒業生(学位記番号順)",
    ),
    (
        "graduates.empty",
        "No graduates yet. Add one, or import a CSV file.",
        "卒業生はまだ登録されていません。追加するか、CSV ファイルを取り込んでください。",
    ),
    ("graduates.name", "Name", "氏名"),
    ("graduates.qualification", "Qualification", "学位"),
    ("graduates.next", "Next page", "次のページ"),
    ("graduates.first", "First page", "最初のページ"),
    ("graduates.pages", "Pages", "ページ"),
    // Diploma fields (form labels, detail page, CSV columns)
    (
        "field.family_name_latn",
        "Family name (as in passport)",
        "姓(パスポート表記)",
    ),
    (
        "field.given_name_latn",
        "Given name (as in passport)",
        "名(パスポート表記)",
    ),
    ("field.family_name_ja", "Family name (kanji)", "姓(漢字)"),
    ("field.given_name_ja", "Given name (kanji)", "名(漢字)"),
    ("field.family_name_kana", "Family name (kana)", "姓(カナ)"),
    ("field.given_name_kana", "Given name (kana)", "名(カナ)"),
    ("field.birth_date", "Date of birth", "生年月日"),
    (
        "field.title_en",
        "Qualification title in English",
        "学位名(英語)",
    ),
    (
        "field.title_ja",
        "Qualification title in Japanese",
        "学位名(日本語)",
    ),
    (
        "field.degree",
        "Japanese degree type (学士, 修士, 博士…)",
        "学位の種類(学士、修士、博士など)",
    ),
    (
        "field.field_en",
        "Field of study in English",
        "専攻分野(英語)",
    ),
    (
        "field.field_ja",
        "Field of study in Japanese",
        "専攻分野(日本語)",
    ),
    (
        "field.isced_field",
        "ISCED-F 2013 field code (e.g. 0714)",
        "ISCED-F 2013 分野コード(例:0714)",
    ),
    ("field.eqf_level", "EQF level (1–8)", "EQF レベル(1〜8)"),
    ("field.credits", "Credits", "単位数"),
    ("field.credit_system", "Credit system", "単位制度"),
    ("field.award_date", "Award date", "学位授与日"),
    ("field.diploma_number", "Diploma number", "学位記番号"),
    ("field.awarding_body", "Awarding body", "授与機関"),
    ("field.legal_identifier", "Legal identifier", "法人識別子"),
    ("field.qualification", "Qualification", "学位"),
    ("field.field", "Field of study", "専攻分野"),
    ("field.name", "Name", "氏名"),
    ("field.name_ja", "Name in Japanese", "氏名(漢字)"),
    ("field.name_kana", "Name in kana", "氏名(カナ)"),
    ("field.degree_short", "Japanese degree type", "学位の種類"),
    ("credit.ects", "ECTS", "ECTS"),
    ("credit.tani", "Japanese credits (単位)", "単位"),
    ("form.required", "required", "必須"),
    (
        "form.errors_title",
        "The graduate was not added. Please correct the fields marked below.",
        "卒業生は追加されていません。下記の項目を修正してください。",
    ),
    (
        "form.err.required",
        "This field is required.",
        "この項目は必須です。",
    ),
    (
        "form.err.title",
        "Give the qualification title in English or in Japanese.",
        "学位名を英語または日本語で入力してください。",
    ),
    (
        "form.err.date",
        "Enter a real date as YYYY-MM-DD.",
        "YYYY-MM-DD 形式の正しい日付を入力してください。",
    ),
    (
        "form.err.duplicate",
        "A graduate with this diploma number already exists.",
        "この学位記番号の卒業生はすでに登録されています。",
    ),
    // Add a graduate
    ("add.title", "Add a graduate", "卒業生を追加"),
    (
        "add.intro",
        "The diploma is recorded for {}. Fields marked “required” must be filled in.",
        "{} の学位記として記録します。「必須」の項目を入力してください。",
    ),
    ("add.section.holder", "Graduate", "卒業生"),
    ("add.section.award", "Award", "学位"),
    ("add.submit", "Add graduate", "卒業生を追加"),
    ("add.done", "Graduate added.", "卒業生を追加しました。"),
    // CSV import
    (
        "import.title",
        "Import graduates from a CSV file",
        "CSV ファイルから卒業生を取り込む",
    ),
    (
        "import.intro",
        "One graduate per row, with a header row naming the columns. UTF-8 (with or without BOM) and Shift_JIS files are accepted. Importing the same file or the same diploma again never adds it twice.",
        "1 行に 1 人の卒業生を記載し、1 行目に列名を書きます。UTF-8(BOM の有無を問わず)と Shift_JIS のファイルに対応しています。同じファイルや同じ学位記を再度取り込んでも二重に登録されません。",
    ),
    ("import.required_columns", "Required columns", "必須の列"),
    ("import.optional_columns", "Optional columns", "任意の列"),
    ("import.file", "CSV file", "CSV ファイル"),
    ("import.submit", "Import", "取り込む"),
    ("import.result", "Import result", "取り込み結果"),
    ("import.added", "Graduates added", "追加した卒業生"),
    (
        "import.already",
        "Already registered (not added again)",
        "登録済み(再登録なし)",
    ),
    (
        "import.rows_with_errors",
        "Rows not imported",
        "取り込まれなかった行",
    ),
    (
        "import.errors",
        "These rows were not imported. Correct them in the file and import it again; rows already imported will not be added twice.",
        "次の行は取り込まれていません。ファイルを修正して再度取り込んでください。取り込み済みの行は二重に登録されません。",
    ),
    ("import.line", "Line", "行"),
    ("import.column", "Column", "列"),
    ("import.problem", "Problem", "問題"),
    (
        "import.no_errors",
        "Every row was read.",
        "すべての行を読み込みました。",
    ),
    (
        "import.repeat",
        "This exact file was imported before; nothing was added twice.",
        "このファイルは以前に取り込まれています。二重登録はありません。",
    ),
    (
        "import.file_error",
        "The file could not be read, so nothing was imported:",
        "ファイルを読み込めなかったため、何も取り込まれていません:",
    ),
    (
        "import.no_file",
        "Choose a CSV file to import.",
        "取り込む CSV ファイルを選択してください。",
    ),
    ("import.encoding", "Encoding", "文字コード"),
    // Graduate detail
    ("graduate.title", "Graduate", "卒業生"),
    ("graduate.record_id", "Record id", "レコード ID"),
    ("graduate.updated", "Last updated", "最終更新"),
    ("graduate.actions", "Credential actions", "証明書の操作"),
    (
        "graduate.no_actions",
        "No credential actions are available on this node yet. Issuing a credential offer (QR code or link) and revoking or suspending a credential will appear here once the issuer service is enabled.",
        "このノードではまだ証明書の操作はできません。発行者サービスが有効になると、クレデンシャルオファーの発行(QR コードまたはリンク)や失効・一時停止がここに表示されます。",
    ),
    ("graduate.back", "Back to the graduates", "卒業生一覧に戻る"),
    // Audit trail
    ("audit.title", "Audit trail", "監査ログ"),
    (
        "audit.intro",
        "Sign-ins, sign-outs, added graduates, imports, credential offers and status changes at {}, oldest first. Entries are append-only: they cannot be changed or deleted.",
        "{} でのサインイン、サインアウト、卒業生の追加、取り込み、証明書のオファーと状態変更の記録です(古い順)。記録は追記のみで、変更や削除はできません。",
    ),
    ("audit.sequence", "No.", "番号"),
    ("audit.at", "Time (UTC)", "日時(UTC)"),
    ("audit.actor", "Who", "実行者"),
    ("audit.action", "What", "操作"),
    ("audit.target", "Record", "対象"),
    ("audit.details", "Details", "詳細"),
    ("audit.empty", "No entries yet.", "記録はまだありません。"),
    ("audit.next", "Later entries", "以降の記録"),
    ("audit.first", "First entries", "最初の記録"),
    ("audit.action.portal.sign_in", "Signed in", "サインイン"),
    (
        "audit.action.portal.sign_in_refused",
        "Sign-in refused (wrong password)",
        "サインイン拒否(パスワード誤り)",
    ),
    ("audit.action.portal.sign_out", "Signed out", "サインアウト"),
    (
        "audit.action.graduate.add",
        "Graduate added",
        "卒業生を追加",
    ),
    (
        "audit.action.graduate.import",
        "CSV file imported",
        "CSV ファイルを取り込み",
    ),
    ("audit.action.other", "Other action", "その他の操作"),
    // Issuance from the registrar portal (registrar/issuance.rs)
    (
        "audit.action.portal.offer_created",
        "Credential offer created",
        "証明書のオファーを作成",
    ),
    (
        "audit.action.portal.credential_revoke",
        "Credential revoked",
        "証明書を失効",
    ),
    (
        "audit.action.portal.credential_suspend",
        "Credential suspended",
        "証明書を一時停止",
    ),
    (
        "audit.action.portal.credential_reinstate",
        "Credential reinstated",
        "証明書の一時停止を解除",
    ),
    ("issue.action", "Issue a credential", "証明書を発行"),
    (
        "issue.action.hint",
        "Create a credential offer (QR code and link) and manage the credentials already issued.",
        "証明書のオファー(QR コードとリンク)を作成し、発行済みの証明書を管理します。",
    ),
    ("issue.title", "Credentials", "証明書"),
    ("issue.new", "New credential offer", "新しい証明書オファー"),
    (
        "issue.new.intro",
        "The student scans the QR code (or opens the link) with a wallet and types the transaction code shown with it. The offer works once and expires after a few minutes, so create it when the student is ready.",
        "学生がウォレットで QR コードを読み取る(またはリンクを開く)と、一緒に表示される確認コードの入力を求められます。オファーは一度だけ使え、数分で期限切れになるため、学生の準備ができてから作成してください。",
    ),
    ("issue.issuer", "Issuer: {}.", "発行者:{}。"),
    (
        "issue.profile.eu",
        "Format: EU diploma, SD-JWT VC.",
        "形式:EU 学位証明(SD-JWT VC)。",
    ),
    (
        "issue.profile.jp",
        "Format: Japanese diploma, Open Badges 3.0.",
        "形式:日本の学位証明(Open Badges 3.0)。",
    ),
    (
        "issue.new.submit",
        "Create credential offer",
        "証明書オファーを作成",
    ),
    ("issue.list", "Offers and credentials", "オファーと証明書"),
    (
        "issue.list.empty",
        "Nothing has been offered or issued to this graduate yet.",
        "この卒業生へのオファーや発行はまだありません。",
    ),
    ("issue.col.kind", "Kind", "種類"),
    ("issue.col.state", "State", "状態"),
    ("issue.col.at", "Created (UTC)", "作成日時(UTC)"),
    ("issue.col.id", "Id", "ID"),
    ("issue.col.actions", "Actions", "操作"),
    ("issue.kind.offer", "Offer", "オファー"),
    ("issue.kind.credential", "Credential", "証明書"),
    (
        "issue.state.offered",
        "Offered, waiting for the student",
        "提示済み(学生の受け取り待ち)",
    ),
    ("issue.state.expired", "Offer expired", "期限切れ"),
    ("issue.state.issued", "Issued, valid", "発行済み(有効)"),
    (
        "issue.state.issued_no_status",
        "Issued (cannot be revoked)",
        "発行済み(失効不可)",
    ),
    ("issue.state.suspended", "Suspended", "一時停止中"),
    ("issue.state.revoked", "Revoked", "失効"),
    ("issue.expires_at", "until {} UTC", "{} UTC まで"),
    (
        "issue.copies",
        "{} copies in the student's wallet (one per key); actions apply to all of them.",
        "学生のウォレット内に {} 部(鍵ごとに 1 部)。操作はすべてに適用されます。",
    ),
    ("issue.suspend", "Suspend", "一時停止"),
    ("issue.reinstate", "Reinstate", "停止を解除"),
    ("issue.revoke", "Revoke…", "失効…"),
    (
        "issue.done.revoke",
        "The credential is revoked. Verifiers see it in the status list from now on.",
        "証明書を失効させました。検証者にはステータスリストで通知されます。",
    ),
    (
        "issue.done.suspend",
        "The credential is suspended. Verifiers refuse it until you reinstate it.",
        "証明書を一時停止しました。解除するまで検証者は受け付けません。",
    ),
    (
        "issue.done.reinstate",
        "The suspension is lifted. The credential is valid again.",
        "一時停止を解除しました。証明書は再び有効です。",
    ),
    ("offer.title", "Credential offer", "証明書オファー"),
    ("offer.back", "Back to the credentials", "証明書一覧に戻る"),
    (
        "offer.ready",
        "The offer is ready. It can be used once, until {} UTC (in {}).",
        "オファーの準備ができました。一度だけ、{} UTC まで(残り {})使えます。",
    ),
    ("offer.minutes", "{} min", "{} 分"),
    ("offer.tx_code", "Transaction code", "確認コード"),
    (
        "offer.tx_code.hint",
        "Shown only once. Give it to the student yourself or through another channel, never together with the QR code or the link.",
        "このコードは一度だけ表示されます。QR コードやリンクとは別に、直接または別の手段で学生に伝えてください。",
    ),
    ("offer.qr", "QR code", "QR コード"),
    (
        "offer.qr.hint",
        "The student scans it with their wallet app.",
        "学生がウォレットアプリで読み取ります。",
    ),
    (
        "offer.qr.label",
        "QR code of the credential offer",
        "証明書オファーの QR コード",
    ),
    ("offer.links", "Links", "リンク"),
    (
        "offer.web_wallet.hint",
        "On the student's own device: the Kakehashi web wallet opens the offer directly.",
        "学生自身の端末で:かけはしウェブウォレットでオファーを直接開きます。",
    ),
    (
        "offer.web_wallet",
        "Open in the web wallet",
        "ウェブウォレットで開く",
    ),
    (
        "offer.web_wallet.url",
        "Web wallet link",
        "ウェブウォレットのリンク",
    ),
    (
        "offer.app.hint",
        "Or with a wallet app installed on the same device:",
        "または、同じ端末にインストールされたウォレットアプリで:",
    ),
    (
        "offer.app",
        "Open in a wallet app",
        "ウォレットアプリで開く",
    ),
    (
        "offer.link",
        "Offer link (openid-credential-offer)",
        "オファーのリンク(openid-credential-offer)",
    ),
    (
        "offer.once",
        "Leaving this page does not cancel the offer. The transaction code cannot be shown again: if it is lost, create a new offer.",
        "このページを離れてもオファーは取り消されません。確認コードは再表示できないため、紛失した場合は新しいオファーを作成してください。",
    ),
    (
        "offer.done",
        "Done, back to the credentials",
        "完了(証明書一覧に戻る)",
    ),
    (
        "revoke.title",
        "Revoke this credential?",
        "この証明書を失効させますか?",
    ),
    (
        "revoke.final",
        "Revocation is final: verifiers will refuse this credential and it cannot be reinstated.",
        "失効は取り消せません。検証者はこの証明書を受け付けなくなり、元に戻すことはできません。",
    ),
    (
        "revoke.suspend_instead",
        "If the credential may become valid again (for example during an investigation), suspend it instead.",
        "再び有効にする可能性がある場合(調査中など)は、失効ではなく一時停止を選んでください。",
    ),
    ("revoke.submit", "Revoke permanently", "完全に失効させる"),
    ("revoke.cancel", "Cancel", "キャンセル"),
    // Trust registry
    ("registry.title", "Trust registry", "トラストレジストリ"),
    (
        "registry.intro",
        "The trusted lists this node loaded and verified, the lists it refused, and the recognition policy it applies to credentials.",
        "このノードが読み込んで検証したトラストリスト、拒否したリスト、そして証明書に適用する承認ポリシーです。",
    ),
    (
        "registry.no_lists",
        "No trusted lists are loaded on this node yet, so no credential can be checked against a trusted list. Lists appear here once the operator configures them.",
        "このノードにはまだトラストリストが読み込まれていないため、トラストリストに基づく証明書の確認はできません。管理者がリストを設定すると、ここに表示されます。",
    ),
    (
        "registry.checked_at",
        "Lists verified at {} (UTC).",
        "リストの検証日時:{}(UTC)。",
    ),
    ("registry.lists", "Loaded lists", "読み込み済みのリスト"),
    (
        "registry.list_heading",
        "{} list, sequence {}",
        "{} のリスト(シーケンス {})",
    ),
    (
        "registry.lotl",
        "List of trusted lists",
        "トラストリストのリスト",
    ),
    ("registry.operator", "Operator", "運営者"),
    ("registry.territory", "Territory", "地域"),
    ("registry.sequence", "Sequence number", "シーケンス番号"),
    ("registry.issued", "Issued", "発行日時"),
    ("registry.next_update", "Next update", "次回更新"),
    ("registry.freshness", "Freshness", "鮮度"),
    ("registry.fresh", "Fresh: {} left", "有効:残り {}"),
    (
        "registry.stale",
        "Stale: next update was due {} ago",
        "期限切れ:次回更新予定から {} 経過",
    ),
    (
        "registry.no_next_update",
        "No next update (closed list)",
        "次回更新なし(終了したリスト)",
    ),
    ("registry.signer", "Signed by", "署名者"),
    (
        "registry.signer_sha256",
        "Signer certificate SHA-256",
        "署名者証明書の SHA-256",
    ),
    ("registry.anchoring", "Anchoring", "信頼の起点"),
    (
        "registry.anchoring.pinned",
        "Signer pinned in this node's configuration",
        "署名者はこのノードの設定で固定",
    ),
    (
        "registry.anchoring.lotl",
        "Signer listed in the {} list of lists, sequence {}",
        "署名者は {} のリストのリスト(シーケンス {})に掲載",
    ),
    (
        "registry.anchoring.unanchored",
        "Not anchored: never used for trust decisions",
        "起点なし:信頼判断には使用しません",
    ),
    ("registry.services", "Services", "サービス"),
    ("registry.provider", "Provider", "事業者"),
    ("registry.service", "Service", "サービス"),
    ("registry.type", "Type", "種別"),
    ("registry.status", "Status", "ステータス"),
    (
        "registry.status_start",
        "Status since (UTC)",
        "ステータス開始(UTC)",
    ),
    (
        "registry.no_services",
        "No services: a list of lists points to other lists.",
        "サービスなし:リストのリストは他のリストを指します。",
    ),
    (
        "registry.failures",
        "Lists not trusted",
        "信頼されていないリスト",
    ),
    (
        "registry.failures_intro",
        "These lists were pointed to but could not be fetched or verified. Nothing on them is trusted.",
        "次のリストは指定されていましたが、取得または検証できませんでした。記載内容は一切信頼されません。",
    ),
    (
        "registry.failures_none",
        "Every list pointed to was loaded and verified.",
        "指定されたリストはすべて読み込まれ、検証されました。",
    ),
    ("registry.location", "Location", "取得先"),
    ("registry.reason", "Reason", "理由"),
    ("registry.policy", "Recognition policy", "承認ポリシー"),
    (
        "registry.policy_none",
        "No recognition policy is configured on this node.",
        "このノードには承認ポリシーが設定されていません。",
    ),
    ("registry.policy_name", "Policy", "ポリシー"),
    (
        "registry.verifier_scheme",
        "Applied by a verifier under",
        "適用する検証者の制度",
    ),
    ("registry.rule", "Rule", "ルール"),
    ("registry.scheme", "Scheme", "制度"),
    (
        "registry.statuses",
        "Accepted statuses",
        "受け入れるステータス",
    ),
    ("registry.requires", "Certificate must have", "証明書の要件"),
    ("registry.grants", "Grants", "付与される区分"),
    (
        "registry.req.additional_information",
        "Additional service information",
        "追加サービス情報",
    ),
    (
        "registry.req.qualifiers",
        "Qualifiers on the list",
        "リスト上の修飾子",
    ),
    (
        "registry.req.qc_statements",
        "QC statements",
        "QC ステートメント",
    ),
    (
        "registry.req.policies_any",
        "One of the certificate policies",
        "次のいずれかの証明書ポリシー",
    ),
    (
        "registry.req.key_usage_any",
        "One of the key usages",
        "次のいずれかの鍵用途",
    ),
    (
        "registry.req.authorised_university",
        "organizationIdentifier of a university authorised on the JPlist",
        "JPlist で認可された大学の organizationIdentifier",
    ),
    ("registry.recognition", "Recognition", "承認の根拠"),
    ("registry.recognition.legal", "Legal", "法的承認"),
    (
        "registry.recognition.pilot",
        "Pilot only (no legal act yet)",
        "パイロットのみ(法的根拠なし)",
    ),
    ("registry.basis", "Basis", "根拠"),
    ("registry.none", "none", "なし"),
    // Student web wallet
    ("home.wallet", "Student wallet", "学生ウォレット"),
    (
        "home.wallet.desc",
        "For students: receive your diploma, keep it, and share only what a verifier asks for.",
        "学生向け:学位記を受け取って保管し、検証者が求める項目だけを提示します。",
    ),
    ("home.verifier", "Verifier portal", "検証ポータル"),
    (
        "home.verifier.desc",
        "For admissions offices and employers: ask for a diploma and read the verified result and recognition report.",
        "入試担当部署・採用担当者向け:学位記の提示を求め、検証結果と承認レポートを確認します。",
    ),
    ("wallet.nav.credentials", "My credentials", "マイ証明書"),
    (
        "wallet.nav.receive",
        "Receive a credential",
        "証明書を受け取る",
    ),
    (
        "wallet.nav.present",
        "Answer a request",
        "提示リクエストに応じる",
    ),
    ("wallet.nav.history", "Sharing history", "提示履歴"),
    ("wallet.organisation", "Student wallet", "学生ウォレット"),
    (
        "wallet.signin.title",
        "Sign in to your wallet",
        "ウォレットにサインイン",
    ),
    (
        "wallet.signin.intro",
        "Your wallet keeps the diplomas your university issued to you. Only you can open it.",
        "ウォレットには大学から発行された学位記が保管されます。開けるのはあなただけです。",
    ),
    (
        "wallet.signin.username",
        "Student account",
        "学生アカウント",
    ),
    (
        "wallet.signin.hint",
        "Your student account was given to you by your university.",
        "学生アカウントは大学から通知されています。",
    ),
    (
        "wallet.signin.needed",
        "Please sign in to continue. You will come back to where you were.",
        "続けるにはサインインしてください。サインイン後、元のページに戻ります。",
    ),
    ("wallet.credentials.title", "My credentials", "マイ証明書"),
    (
        "wallet.credentials.received",
        "Received and verified: {} credential(s) added to your wallet.",
        "受け取り、検証しました:{} 件の証明書をウォレットに追加しました。",
    ),
    (
        "wallet.credentials.empty",
        "Your wallet is empty. When your registrar gives you an offer link or QR code, open it here with \"Receive a credential\".",
        "ウォレットは空です。教務から受け取りリンクまたは QR コードを受け取ったら、「証明書を受け取る」から開いてください。",
    ),
    ("wallet.credential.issuer", "Issued by", "発行者"),
    (
        "wallet.credential.issuer_id",
        "Issuer identifier",
        "発行者識別子",
    ),
    ("wallet.credential.format", "Format", "形式"),
    ("wallet.credential.received", "Received", "受領日時"),
    (
        "wallet.credential.back",
        "All my credentials",
        "マイ証明書一覧",
    ),
    ("wallet.credential.claims", "What it says", "記載内容"),
    (
        "wallet.credential.private",
        "Nothing here is shared until you approve a verifier's request, and then only the items you see on the consent screen.",
        "検証者のリクエストを承認するまで何も共有されません。承認した場合も、同意画面に表示された項目だけが共有されます。",
    ),
    ("wallet.credential.unnamed", "Credential", "証明書"),
    (
        "wallet.credential.copies",
        "{} copies of the same credential, each bound to its own key.",
        "同じ証明書の複製 {} 部(それぞれ別の鍵に結び付け)。",
    ),
    (
        "wallet.format.sd_jwt",
        "SD-JWT VC (you can share single items)",
        "SD-JWT VC(項目ごとに提示可能)",
    ),
    (
        "wallet.format.vc_jwt",
        "W3C VC / Open Badges 3.0 (shared as a whole)",
        "W3C VC / Open Badges 3.0(全体を提示)",
    ),
    ("wallet.format.other", "Other format", "その他の形式"),
    (
        "wallet.error.no_match",
        "None of your credentials has what this verifier asks for.",
        "このリクエストに応えられる証明書がウォレットにありません。",
    ),
    (
        "wallet.error.untrusted_request",
        "This request could not be verified (its signature or its sender did not check out), so it was not opened.",
        "このリクエストは検証できなかった(署名または送信元が確認できない)ため、開きませんでした。",
    ),
    (
        "wallet.error.invalid_offer",
        "This is not a valid credential offer link. Check that you copied all of it.",
        "有効な受け取りリンクではありません。リンク全体をコピーしたか確認してください。",
    ),
    (
        "wallet.error.tx_code",
        "The transaction code is missing or wrong. Type the code your registrar gave you.",
        "確認コードがないか、正しくありません。教務から通知されたコードを入力してください。",
    ),
    (
        "wallet.error.authorization_required",
        "This offer needs you to sign in at the university first. Ask your registrar for a link with a transaction code.",
        "この受け取りには大学でのサインインが必要です。確認コード付きのリンクを教務に依頼してください。",
    ),
    (
        "wallet.error.issuer",
        "The university's service refused the request. The offer may have been used already or expired.",
        "大学のサービスがリクエストを拒否しました。受け取りリンクが使用済みか期限切れの可能性があります。",
    ),
    (
        "wallet.error.rejected",
        "The credential sent by the issuer did not pass verification, so nothing was stored.",
        "発行者から届いた証明書が検証に合格しなかったため、何も保存していません。",
    ),
    (
        "wallet.error.deferred",
        "The university has not approved this diploma yet. Try again later.",
        "大学がまだこの学位記を承認していません。後でもう一度お試しください。",
    ),
    (
        "wallet.error.verifier",
        "The verifier did not accept the answer.",
        "検証者が回答を受け付けませんでした。",
    ),
    (
        "wallet.error.consent_expired",
        "The request expired before you answered. Ask the verifier for a new one.",
        "回答前にリクエストの有効期限が切れました。検証者に新しいリクエストを依頼してください。",
    ),
    (
        "wallet.error.consent_gone",
        "This consent screen was already answered or has expired. Open the verifier's request again.",
        "この同意画面は回答済みか期限切れです。検証者のリクエストをもう一度開いてください。",
    ),
    ("wallet.error.not_found", "Not found.", "見つかりません。"),
    (
        "wallet.error.invalid_input",
        "Something in the link or form is not valid.",
        "リンクまたはフォームの内容が正しくありません。",
    ),
    (
        "wallet.error.network",
        "The other service could not be reached. Check the link and try again.",
        "相手のサービスに接続できませんでした。リンクを確認してもう一度お試しください。",
    ),
    (
        "wallet.error.internal",
        "The wallet could not complete this. The problem was logged.",
        "ウォレットで処理を完了できませんでした。問題は記録されました。",
    ),
    (
        "wallet.receive.title",
        "Receive a credential",
        "証明書を受け取る",
    ),
    (
        "wallet.receive.intro",
        "Open the link your registrar gave you, or paste it here. The wallet checks the university's signature before it keeps anything.",
        "教務から受け取ったリンクを開くか、ここに貼り付けてください。ウォレットは大学の署名を確認してから保存します。",
    ),
    ("wallet.receive.offer", "Offer link", "受け取りリンク"),
    (
        "wallet.receive.offer_hint",
        "It starts with openid-credential-offer://",
        "openid-credential-offer:// で始まるリンクです",
    ),
    ("wallet.receive.tx_code", "Transaction code", "確認コード"),
    (
        "wallet.receive.optional",
        "if you were given one",
        "通知された場合",
    ),
    ("wallet.receive.tx_length", "{} characters.", "{} 文字。"),
    (
        "wallet.receive.tx_hint",
        "The registrar gives it to you separately from the link, so that a stolen link alone is useless.",
        "リンクとは別に教務から通知されます。リンクだけが盗まれても使えないようにするためです。",
    ),
    ("wallet.receive.submit", "Receive", "受け取る"),
    (
        "wallet.receive.empty",
        "Paste the offer link first.",
        "まず受け取りリンクを貼り付けてください。",
    ),
    (
        "wallet.present.title",
        "Answer a verifier's request",
        "検証者のリクエストに応じる",
    ),
    (
        "wallet.present.intro",
        "A verifier (an admissions office, an employer) asks you for a credential. Open their link or paste it here; you will see exactly what they ask for before anything is sent.",
        "検証者(入試担当部署、採用担当者など)が証明書の提示を求めています。リンクを開くか、ここに貼り付けてください。送信前に、求められている内容を正確に確認できます。",
    ),
    ("wallet.present.link", "Request link", "リクエストリンク"),
    (
        "wallet.present.link_hint",
        "It starts with openid4vp://",
        "openid4vp:// で始まるリンクです",
    ),
    (
        "wallet.present.submit",
        "Open the request",
        "リクエストを開く",
    ),
    (
        "wallet.consent.title",
        "Share your credential?",
        "証明書を提示しますか?",
    ),
    (
        "wallet.consent.heading",
        "{} asks to see",
        "{} が次の提示を求めています",
    ),
    ("wallet.consent.who", "Who asks", "依頼者"),
    ("wallet.consent.verifier", "Verifier", "検証者"),
    (
        "wallet.consent.trusted",
        "certificate verified",
        "証明書を確認済み",
    ),
    (
        "wallet.consent.not_evaluated",
        "name as stated in its certificate",
        "証明書の記載による名称",
    ),
    (
        "wallet.consent.not_evaluated_hint",
        "The request is signed by this certificate, but the wallet has no list to confirm who holds it. Share only if you expected this request.",
        "リクエストはこの証明書で署名されていますが、ウォレットには保有者を確認するリストがありません。心当たりのあるリクエストの場合のみ提示してください。",
    ),
    ("wallet.consent.client_id", "Identifier", "識別子"),
    (
        "wallet.consent.certificate",
        "Certificate for",
        "証明書の対象",
    ),
    (
        "wallet.consent.destination",
        "Your answer goes to",
        "回答の送信先",
    ),
    (
        "wallet.consent.encrypted",
        "encrypted to the verifier",
        "検証者宛てに暗号化",
    ),
    (
        "wallet.consent.not_encrypted",
        "not encrypted (protected by HTTPS only)",
        "暗号化なし(HTTPS のみで保護)",
    ),
    (
        "wallet.consent.what",
        "Exactly what will be shared",
        "共有される項目(これがすべてです)",
    ),
    (
        "wallet.consent.whole_credential",
        "This credential's format cannot share single items: the verifier receives the whole credential, including items not listed here (for example your date of birth).",
        "この証明書の形式は項目ごとの提示ができません。ここに表示されていない項目(生年月日など)を含む証明書全体が検証者に渡ります。",
    ),
    (
        "wallet.consent.expires",
        "This request expires {} minute(s) after it was opened.",
        "このリクエストは開いてから {} 分で期限切れになります。",
    ),
    ("wallet.consent.accept", "Share with {}", "{} に提示する"),
    ("wallet.consent.decline", "Decline", "断る"),
    ("wallet.outcome.title", "Your answer", "あなたの回答"),
    (
        "wallet.outcome.shared",
        "Shared with {}. It is recorded in your sharing history.",
        "{} に提示しました。提示履歴に記録されています。",
    ),
    (
        "wallet.outcome.declined",
        "You declined. {} was told that you refused; nothing was shared.",
        "お断りしました。{} には拒否したことが伝えられ、何も共有されていません。",
    ),
    ("wallet.outcome.continue", "Continue to {}", "{} に戻る"),
    (
        "wallet.outcome.back_to_verifier",
        "You can go back to the verifier's screen now.",
        "検証者の画面に戻ってください。",
    ),
    ("wallet.history.title", "Sharing history", "提示履歴"),
    (
        "wallet.history.intro",
        "Every time you shared a credential: when, with whom and which items.",
        "証明書を提示した記録:日時、相手、提示した項目。",
    ),
    (
        "wallet.history.empty",
        "You have not shared anything yet.",
        "まだ何も提示していません。",
    ),
    ("wallet.history.shared", "Items shared", "提示した項目"),
    (
        "wallet.history.deleted",
        "(a credential since deleted)",
        "(削除済みの証明書)",
    ),
    // Claim names (when the issuer's metadata has no label)
    ("claim.family_name", "Family name", "姓"),
    ("claim.given_name", "Given name", "名"),
    ("claim.birth_date", "Date of birth", "生年月日"),
    ("claim.holder", "Graduate", "学位取得者"),
    ("claim.diploma", "Diploma", "学位記"),
    ("claim.awarding_body", "Awarding body", "授与機関"),
    ("claim.legal_name", "Name", "名称"),
    ("claim.country", "Country", "国"),
    ("claim.legal_identifier", "Legal identifier", "法人識別子"),
    ("claim.school_code", "School code", "学校コード"),
    ("claim.erasmus_code", "Erasmus code", "エラスムスコード"),
    ("claim.qualification", "Qualification", "学位・資格"),
    ("claim.title", "Title", "学位名"),
    ("claim.jp_degree", "Japanese degree", "学位の種類"),
    ("claim.eqf_level", "EQF level", "EQF レベル"),
    ("claim.isced_field", "Field (ISCED-F)", "分野(ISCED-F)"),
    ("claim.field", "Field", "分野"),
    ("claim.credits", "Credits", "単位"),
    ("claim.value", "Value", "値"),
    ("claim.scheme", "Scheme", "種別"),
    ("claim.amount", "Amount", "数"),
    ("claim.system", "System", "制度"),
    ("claim.award_date", "Date of award", "授与日"),
    ("claim.diploma_number", "Diploma number", "学位記番号"),
    ("claim.thesis_title", "Thesis title", "論文題目"),
    ("claim.achievement", "Achievement", "達成事項"),
    ("claim.name", "Name", "名称"),
    ("claim.description", "Description", "説明"),
    ("claim.achievementType", "Kind", "種類"),
    ("claim.identifier", "Identifier", "識別子"),
    // Verifier portal
    ("verifier.nav.new", "New request", "新しいリクエスト"),
    (
        "verifier.index.title",
        "Ask for a diploma",
        "学位記の提示を求める",
    ),
    (
        "verifier.index.intro",
        "Choose who asks and what for. The student answers in their wallet and sees exactly what you asked for; you see the result here.",
        "依頼者と目的を選んでください。学生はウォレットで求められた内容を正確に確認して回答し、結果はこの画面に表示されます。",
    ),
    (
        "verifier.index.none",
        "No verifier is configured on this node.",
        "このノードには検証者が設定されていません。",
    ),
    (
        "verifier.index.submit",
        "Create the request",
        "リクエストを作成",
    ),
    (
        "verifier.choose.missing",
        "Choose a request first.",
        "まずリクエストを選んでください。",
    ),
    ("verifier.verifier", "Verifier", "検証者"),
    ("verifier.template", "Request", "リクエスト"),
    (
        "verifier.waiting.title",
        "Waiting for the student",
        "学生の回答を待っています",
    ),
    ("verifier.waiting.expires", "Expires", "有効期限"),
    (
        "verifier.waiting.expired",
        "This request has expired without an answer. Create a new one.",
        "回答がないまま期限切れになりました。新しいリクエストを作成してください。",
    ),
    (
        "verifier.waiting.scan",
        "Show this QR code to the student: they scan it with their wallet. This page updates by itself.",
        "この QR コードを学生に見せてください。学生はウォレットで読み取ります。このページは自動で更新されます。",
    ),
    (
        "verifier.waiting.fetched",
        "The student's wallet has opened the request and is asking them for consent…",
        "学生のウォレットがリクエストを開き、同意を確認しています…",
    ),
    (
        "verifier.waiting.qr_alt",
        "QR code of the presentation request",
        "提示リクエストの QR コード",
    ),
    (
        "verifier.waiting.same_device",
        "Open in the web wallet on this device",
        "この端末のウェブウォレットで開く",
    ),
    (
        "verifier.waiting.native",
        "Open in a wallet app on this device",
        "この端末のウォレットアプリで開く",
    ),
    ("verifier.waiting.link", "Request link", "リクエストリンク"),
    ("verifier.waiting.check", "Check again", "もう一度確認"),
    (
        "verifier.waiting.private",
        "Only this browser can see the result of this request.",
        "このリクエストの結果を見られるのはこのブラウザだけです。",
    ),
    ("verifier.result.title", "Verification result", "検証結果"),
    (
        "verifier.result.valid",
        "VALID: the diploma is authentic, unrevoked and from a trusted issuer.",
        "有効:学位記は真正で、失効しておらず、信頼できる発行者によるものです。",
    ),
    (
        "verifier.result.invalid",
        "NOT VALID: do not rely on this presentation.",
        "無効:この提示を根拠にしないでください。",
    ),
    (
        "verifier.result.declined",
        "The student declined the request. Nothing was shared.",
        "学生はリクエストを断りました。何も共有されていません。",
    ),
    ("verifier.result.at", "Checked at (UTC)", "確認日時(UTC)"),
    (
        "verifier.result.pdf",
        "Download the report (PDF)",
        "レポートをダウンロード(PDF)",
    ),
    ("verifier.result.credential", "Diploma", "学位記"),
    ("verifier.result.credential_valid", "valid", "有効"),
    ("verifier.result.credential_invalid", "not valid", "無効"),
    ("verifier.result.issuer", "Issuer", "発行者"),
    ("verifier.result.issued_at", "issued", "発行"),
    (
        "verifier.result.failed_check",
        "Failed check:",
        "不合格の確認項目:",
    ),
    (
        "verifier.result.claims",
        "What the student shared",
        "学生が提示した項目",
    ),
    (
        "verifier.result.report",
        "Recognition report",
        "承認レポート",
    ),
    (
        "verifier.trust.title",
        "Why the issuer is trusted",
        "発行者を信頼する根拠",
    ),
    ("verifier.trust.class", "Trust class", "信頼区分"),
    ("verifier.trust.recognition", "Recognition", "承認の種類"),
    ("verifier.trust.legal", "legally recognised", "法的に承認"),
    (
        "verifier.trust.pilot",
        "pilot recognition only (no legal act yet)",
        "パイロットでの承認のみ(法的根拠なし)",
    ),
    ("verifier.trust.list", "Trusted list", "トラストリスト"),
    (
        "verifier.trust.provider",
        "Trust service provider",
        "トラストサービス提供者",
    ),
    (
        "verifier.trust.service",
        "Service (status)",
        "サービス(ステータス)",
    ),
    ("verifier.trust.rule", "Policy rule", "ポリシールール"),
    (
        "verifier.trust.organisation",
        "Issuer organisation",
        "発行組織",
    ),
    (
        "trust.class.qualified-equivalent-seal",
        "qualified-equivalent electronic seal",
        "適格相当の e シール",
    ),
    (
        "trust.class.advanced-equivalent-seal",
        "advanced-equivalent electronic seal",
        "先進相当の e シール",
    ),
    (
        "trust.class.qualified-equivalent-signature",
        "qualified-equivalent electronic signature",
        "適格相当の電子署名",
    ),
    (
        "trust.class.time-stamp",
        "trusted time-stamp",
        "信頼できるタイムスタンプ",
    ),
    (
        "trust.class.high-assurance-attestation",
        "high-assurance attestation",
        "高保証の属性証明",
    ),
    // Durations
    ("duration.days_hours", "{} d {} h", "{} 日 {} 時間"),
    ("duration.hours_minutes", "{} h {} min", "{} 時間 {} 分"),
    // Errors
    (
        "error.400",
        "The request could not be understood",
        "リクエストを処理できません",
    ),
    (
        "error.400.body",
        "Something in the request was missing or malformed. Go back and try again.",
        "リクエストに不足または誤りがあります。戻ってもう一度お試しください。",
    ),
    ("error.403", "Request refused", "リクエストが拒否されました"),
    (
        "error.403.body",
        "The form was out of date or was not sent from this site, so nothing was changed. Go back, reload the page and try again.",
        "フォームが古いか、このサイトから送信されていないため、何も変更されていません。戻ってページを再読み込みし、もう一度お試しください。",
    ),
    ("error.404", "Page not found", "ページが見つかりません"),
    (
        "error.404.body",
        "There is nothing at this address.",
        "このアドレスには何もありません。",
    ),
    ("error.413", "File too large", "ファイルが大きすぎます"),
    (
        "error.413.body",
        "The upload is larger than this node accepts. Split the file and try again.",
        "アップロードがこのノードの上限を超えています。ファイルを分割してもう一度お試しください。",
    ),
    ("error.500", "Internal error", "内部エラー"),
    (
        "error.500.body",
        "The server could not complete the request. The problem was logged for the operator.",
        "サーバーはリクエストを完了できませんでした。問題は管理者向けに記録されました。",
    ),
    (
        "error.503",
        "Temporarily unavailable",
        "一時的に利用できません",
    ),
    (
        "error.503.body",
        "The database cannot be reached right now. Please try again in a moment.",
        "現在データベースに接続できません。しばらくしてからもう一度お試しください。",
    ),
    ("error.home", "Go to the home page", "ホームページへ"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order() {
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
        assert_eq!(Lang::negotiate(Some("ja"), Some("en"), None), Lang::Ja);
        assert_eq!(Lang::negotiate(Some("xx"), Some("ja"), None), Lang::Ja);
        assert_eq!(
            Lang::negotiate(None, None, Some("fr-FR, ja;q=0.9, en;q=0.8")),
            Lang::Ja
        );
        assert_eq!(
            Lang::negotiate(None, None, Some("ja;q=0.5, en-GB;q=0.7")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, None, Some("ja;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None, None, Some("ja-JP")), Lang::Ja);
    }

    #[test]
    fn table_has_unique_keys_and_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for (k, en, ja) in STRINGS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(
                !en.is_empty() && !ja.is_empty(),
                "{k} is missing a language"
            );
            assert_eq!(
                en.matches("{}").count(),
                ja.matches("{}").count(),
                "{k}: placeholders differ"
            );
        }
    }

    /// Every `t("…")`, `t1("…"` and `t2("…"` in a template names a key of the table.
    #[test]
    fn templates_use_known_keys() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut stack = vec![root];
        let mut checked = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in ["t(\"", "t1(\"", "t2(\""] {
                    for (i, _) in text.match_indices(marker) {
                        let rest = &text[i + marker.len()..];
                        let key = &rest[..rest.find('"').unwrap()];
                        assert!(
                            lookup(key).is_some(),
                            "{}: unknown key {key}",
                            path.display()
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50, "only {checked} keys found");
    }

    #[test]
    fn durations() {
        assert_eq!(Tr(Lang::En).duration(3 * 86_400 + 4 * 3600 + 5), "3 d 4 h");
        assert_eq!(Tr(Lang::Ja).duration(5 * 3600 + 600), "5 時間 10 分");
    }
}
