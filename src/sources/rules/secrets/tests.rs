//! The `secrets/*` rules' tests, through the same entry point as a review.

use super::assignments::is_credential_name;
use super::decode_base64url;
use super::judgement::{identifier_words, longest_sequential_run, looks_random, shannon_entropy};
use super::redaction::redact;
use crate::finding::{Finding, Severity};
use crate::sources::rules::RuleOptions;
use crate::sources::rules::testing::*;

/// Joins fixture pieces, so that no source line holds a whole credential.
fn join(parts: &[&str]) -> String {
    parts.concat()
}

/// Deterministic pseudo-random characters from `alphabet`, built at run time.
fn random(seed: u64, len: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            chars[((state >> 33) % chars.len() as u64) as usize]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base64url(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn aws_key_id() -> String {
    join(&["AK", "IA", &random(1, 16, BASE32)])
}

fn github_token() -> String {
    join(&["gh", "p_", &random(2, 36, ALNUM)])
}

fn only(findings: &[Finding], code: &str) -> Vec<(u32, Severity)> {
    of_rule(findings, code)
        .iter()
        .map(|f| (f.line, f.severity))
        .collect()
}

fn assert_one(path: &str, text: &str, code: &str, severity: Severity) -> Finding {
    let findings = added_file(path, text);
    let hits = of_rule(&findings, code);
    assert_eq!(hits.len(), 1, "{code} in {text:?}: {findings:#?}");
    assert_eq!(hits[0].severity, severity, "{text:?}: {}", hits[0].message);
    hits[0].clone()
}

fn assert_none(path: &str, text: &str) {
    let findings = added_file(path, text);
    let secrets: Vec<_> = findings
        .iter()
        .filter(|f| f.rule.starts_with("secrets/"))
        .collect();
    assert!(secrets.is_empty(), "{text:?}: {secrets:#?}");
}

#[test]
fn aws_access_key_ids() {
    let key = aws_key_id();
    let finding = assert_one(
        "config.py",
        &format!("AWS_ACCESS_KEY_ID = \"{key}\"\n"),
        "secrets/aws-access-key",
        Severity::Critical,
    );
    assert!(
        finding.message.contains("(20 characters)"),
        "{}",
        finding.message
    );
    assert!(finding.message.starts_with("AWS access key id `AKIA…"));
    let temporary = join(&["AS", "IA", &random(3, 16, BASE32)]);
    assert_one(
        "a.env",
        &format!("id={temporary}\n"),
        "secrets/aws-access-key",
        Severity::Critical,
    );
    // Documentation's key and obvious fakes are placeholders.
    let documented = join(&["AKIA", "IOSFODNN7", "EXAMPLE"]);
    let finding = assert_one(
        "README.md",
        &format!("key: {documented}\n"),
        "secrets/aws-access-key",
        Severity::Info,
    );
    assert!(finding.message.contains("placeholder"));
    let repeated = join(&["AKIA", &"A".repeat(16)]);
    assert_one(
        "a.txt",
        &format!("{repeated}\n"),
        "secrets/aws-access-key",
        Severity::Info,
    );
    // Too short, glued to other characters, or lowercase: not a key id.
    assert_none("a.txt", &format!("{}\n", &key[..19]));
    assert_none("a.txt", &format!("X{key}\n"));
    assert_none("a.txt", &format!("{key}Q\n"));
    assert_none("a.txt", &format!("{}\n", key.to_ascii_lowercase()));
    assert_none("tz.txt", "ASIA/Tokyo ASIAN markets\n");
}

#[test]
fn aws_secret_access_keys() {
    let secret = random(4, 40, BASE64);
    assert_one(
        "creds",
        &format!("aws_secret_access_key = {secret}\n"),
        "secrets/aws-secret-key",
        Severity::Critical,
    );
    assert_one(
        "a.json",
        &format!("{{\"SecretAccessKey\": \"{secret}\"}}\n"),
        "secrets/aws-secret-key",
        Severity::Critical,
    );
    let documented = join(&["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY", "EXAMPLEKEY"]);
    assert_one(
        "creds",
        &format!("aws_secret_access_key={documented}\n"),
        "secrets/aws-secret-key",
        Severity::Info,
    );
    // A 40-character value not assigned to such a name, or a longer one, is not reported.
    assert_none("a.txt", &format!("checksum = {secret}\n"));
    assert_none("creds", &format!("aws_secret_access_key = {secret}AB\n"));
    assert_none(
        "a.py",
        "aws_secret_access_key = os.environ['AWS_SECRET_ACCESS_KEY']\n",
    );
}

#[test]
fn azure_storage_keys_and_connection_strings() {
    let key = join(&[&random(5, 86, BASE64), "=="]);
    let connection = format!(
        "\"Storage\": \"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={key};EndpointSuffix=core.windows.net\""
    );
    let findings = added_file("appsettings.json", &format!("{connection}\n"));
    assert_eq!(
        only(&findings, "secrets/azure-storage-connection-string"),
        [(1, Severity::Critical)]
    );
    assert!(of_rule(&findings, "secrets/azure-storage-key").is_empty());

    assert_one(
        "main.tf",
        &format!("storage_account_key = \"{key}\"\n"),
        "secrets/azure-storage-key",
        Severity::Critical,
    );
    assert_one(
        "a.yml",
        &format!("primaryKey: {key}\n"),
        "secrets/azure-storage-key",
        Severity::Critical,
    );
    // Integrity hashes and public keys have the same shape but are not secrets.
    assert_none(
        "package-lock.json",
        &format!("\"integrity\": \"sha512-{key}\"\n"),
    );
    assert_none("a.yml", &format!("publicKey: {key}\n"));

    // The emulator's published key is a placeholder.
    let emulator = join(&[
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
        "/K1SZFPTOtr/KBHBeksoGMGw==",
    ]);
    let text = format!("conn = \"AccountName=dev;AccountKey={emulator};\"\n");
    assert_one(
        "a.py",
        &text,
        "secrets/azure-storage-connection-string",
        Severity::Info,
    );
    assert_none("a.py", "conn = \"AccountName=x;AccountKey=<key>;\"\n");
}

#[test]
fn azure_shared_access_keys() {
    let key = join(&[&random(6, 43, BASE64), "="]);
    let text = format!(
        "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={key}\n"
    );
    assert_one(
        "local.settings.json",
        &text,
        "secrets/azure-shared-access-key",
        Severity::Critical,
    );
    assert_none("a.txt", "SharedAccessKey=<your key>\n");
}

#[test]
fn azure_devops_pats() {
    let pat = join(&[
        &random(7, 52, ALNUM),
        "JQQJ99BAAC",
        &random(8, 14, ALNUM),
        "AZ",
        "DO",
        &random(9, 4, ALNUM),
    ]);
    assert_eq!(pat.len(), 84);
    assert_one(
        "azure-pipelines.yml",
        &format!("  pat: {pat}\n"),
        "secrets/azure-devops-pat",
        Severity::Critical,
    );
    // The signature elsewhere, or a token of another length, is not one.
    let shifted = join(&["Q", &pat[..83]]);
    assert_none("a.txt", &format!("{shifted}\n"));
    assert_none("a.txt", &format!("{}\n", &pat[1..]));
    assert_none("a.txt", "AZDO signature\n");
}

#[test]
fn github_tokens() {
    let token = github_token();
    assert_one(
        "deploy.sh",
        &format!("export GH_TOKEN={token}\n"),
        "secrets/github-token",
        Severity::Critical,
    );
    for prefix in ["gho_", "ghu_", "ghs_", "ghr_"] {
        let other = join(&[prefix, &random(10, 36, ALNUM)]);
        assert_one(
            "a.txt",
            &format!("{other}\n"),
            "secrets/github-token",
            Severity::Critical,
        );
    }
    let fine_grained = join(&[
        "github",
        "_pat_",
        &random(11, 22, ALNUM),
        "_",
        &random(12, 59, ALNUM),
    ]);
    assert_one(
        "a.txt",
        &format!("{fine_grained}\n"),
        "secrets/github-token",
        Severity::Critical,
    );
    assert_none("a.txt", &format!("{}\n", &token[..30]));
    assert_none("a.txt", "let prefix = \"ghp_\";\n");
}

#[test]
fn slack_tokens_and_webhooks() {
    let token = join(&[
        "xo",
        "xb-",
        "2215309211",
        "-",
        "4928166012",
        "-",
        &random(13, 24, ALNUM),
    ]);
    assert_one(
        "bot.js",
        &format!("const t = '{token}';\n"),
        "secrets/slack-token",
        Severity::Critical,
    );
    assert_none("README.md", "SLACK_TOKEN=xoxb-your-token-here\n");

    let hook = join(&[
        "https://hooks.",
        "slack.com/services/",
        "T02K8QZ3M",
        "/B04R7ZP2L",
        "/",
        &random(14, 24, ALNUM),
    ]);
    let finding = assert_one(
        "notify.py",
        &format!("URL = \"{hook}\"\n"),
        "secrets/slack-webhook",
        Severity::Critical,
    );
    assert!(!finding.message.contains(&hook[hook.len() - 20..]));
    let documented = join(&[
        "https://hooks.",
        "slack.com/services/",
        "T00000000/B00000000/",
        &"X".repeat(24),
    ]);
    assert_one(
        "README.md",
        &format!("{documented}\n"),
        "secrets/slack-webhook",
        Severity::Info,
    );
    // The endpoint without a webhook path, as in documentation links.
    assert_none(
        "README.md",
        "See https://hooks.slack.com/services/ for details.\n",
    );
}

#[test]
fn stripe_google_openai_and_npm_keys() {
    let stripe = join(&["sk_", "live_", &random(15, 24, ALNUM)]);
    assert_one(
        "pay.rb",
        &format!("Stripe.api_key = '{stripe}'\n"),
        "secrets/stripe-live-key",
        Severity::Critical,
    );
    assert_none(
        "pay.rb",
        &format!(
            "key = '{}'\n",
            join(&["sk_", "test_", &random(15, 24, ALNUM)])
        ),
    );

    let google = join(&["AI", "za", &random(16, 35, "ABCDEFabcdef0123456789_-")]);
    assert_one(
        "maps.html",
        &format!("<script src=\"https://maps.googleapis.com/maps/api/js?key={google}\">\n"),
        "secrets/google-api-key",
        Severity::Critical,
    );
    assert_none("a.txt", &format!("{}\n", &google[..30]));

    let openai = join(&[
        "sk-",
        "proj-",
        &random(17, 20, ALNUM),
        "T3Blb",
        "kFJ",
        &random(18, 20, ALNUM),
    ]);
    assert_one(
        "a.env",
        &format!("OPENAI_API_KEY={openai}\n"),
        "secrets/openai-api-key",
        Severity::Critical,
    );
    // An `sk-` key without the signature is some other service's, or nothing.
    assert_none("a.env", &format!("KEY=sk-{}\n", random(18, 48, ALNUM)));

    let npm = join(&["np", "m_", &random(19, 36, ALNUM)]);
    assert_one(
        ".npmrc",
        &format!("//registry.npmjs.org/:_authToken={npm}\n"),
        "secrets/npm-token",
        Severity::Critical,
    );
    assert_none("a.sh", "echo $npm_config_cache\n");
}

fn pem(kind: &str, body: &[String]) -> String {
    let mut text = format!("-----BEGIN {kind}-----\n");
    for line in body {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!("-----END {kind}-----\n"));
    text
}

#[test]
fn private_key_blocks() {
    let body: Vec<String> = (0..4).map(|i| random(20 + i, 64, BASE64)).collect();
    let kind = join(&["RSA PRIV", "ATE KEY"]);
    let text = pem(&kind, &body);
    let finding = assert_one(
        "deploy/id_rsa",
        &text,
        "secrets/private-key",
        Severity::Critical,
    );
    assert!(
        finding.message.contains("private key (RSA)"),
        "{}",
        finding.message
    );
    assert!(!finding.message.contains(&body[0][..16]));

    let openssh = join(&["OPENSSH PRIV", "ATE KEY"]);
    assert_one(
        "a.txt",
        &pem(&openssh, &body),
        "secrets/private-key",
        Severity::Critical,
    );
    let encrypted = pem(
        &kind,
        &[
            "Proc-Type: 4,ENCRYPTED".to_string(),
            "DEK-Info: AES-128-CBC,0A1B".to_string(),
            String::new(),
            body[0].clone(),
        ],
    );
    assert_one("a.pem", &encrypted, "secrets/private-key", Severity::Major);
    let pkcs8_encrypted = join(&["ENCRYPTED PRIV", "ATE KEY"]);
    assert_one(
        "a.pem",
        &pem(&pkcs8_encrypted, &body),
        "secrets/private-key",
        Severity::Major,
    );
    // Inside a JSON string, as in a cloud service-account file.
    let pkcs8 = join(&["PRIV", "ATE KEY"]);
    let json = format!(
        "  \"private_key\": \"-----BEGIN {pkcs8}-----\\n{}\\n-----END {pkcs8}-----\\n\",\n",
        body[1]
    );
    assert_one("sa.json", &json, "secrets/private-key", Severity::Critical);

    // Public keys and certificates, headers without key data, and elided bodies.
    assert_none("a.pem", &pem("PUBLIC KEY", &body));
    assert_none("a.pem", &pem("CERTIFICATE", &body));
    assert_none(
        "parse.rs",
        &format!("if line == \"-----BEGIN {kind}-----\" {{\n    return Kind::Rsa;\n}}\n"),
    );
    assert_one(
        "README.md",
        &pem(&kind, &["MIIEowIBAAKCAQEA...".to_string()]),
        "secrets/private-key",
        Severity::Info,
    )
    .message
    .contains("placeholder")
    .then_some(())
    .expect("a placeholder message");
}

fn jwt_token(header: &str, claims: &str, seed: u64) -> String {
    [
        base64url(header.as_bytes()),
        base64url(claims.as_bytes()),
        random(seed, 43, ALNUM),
    ]
    .join(".")
}

#[test]
fn json_web_tokens() {
    let token = jwt_token(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"sub":"u-4821","exp":1893456000}"#,
        30,
    );
    let finding = assert_one(
        "api.http",
        &format!("Authorization: Bearer {token}\n"),
        "secrets/jwt",
        Severity::Critical,
    );
    assert!(finding.message.contains("eyJh…"));
    // The jwt.io sample claims, unsigned tokens and non-JSON headers.
    let sample = jwt_token(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#,
        31,
    );
    assert_one(
        "README.md",
        &format!("{sample}\n"),
        "secrets/jwt",
        Severity::Info,
    );
    let unsigned = jwt_token(r#"{"alg":"none"}"#, r#"{"sub":"u-4821"}"#, 32);
    assert_none("a.txt", &format!("{unsigned}\n"));
    let no_alg = jwt_token(r#"{"typ":"JWT","kid":"k1"}"#, r#"{"sub":"u-4821"}"#, 33);
    assert_none("a.txt", &format!("{no_alg}\n"));
}

#[test]
fn passwords_in_urls() {
    let password = random(34, 16, ALNUM);
    assert_one(
        "a.yml",
        &format!("url: postgres://app:{password}@db.contoso.net:5432/app\n"),
        "secrets/url-password",
        Severity::Critical,
    );
    assert_none("a.yml", "url: postgres://app:password@db.contoso.net/app\n");
    assert_none(
        "a.yml",
        &format!("url: postgres://app:{password}@localhost:5432/app\n"),
    );
    assert_none("a.yml", "url: https://user:${PASSWORD}@feed.contoso.net/\n");
    assert_none(
        "a.md",
        &format!("see https://user:{password}@example.com/\n"),
    );
}

#[test]
fn hardcoded_credentials() {
    let value = random(35, 24, ALNUM);
    for (path, line) in [
        ("a.py", format!("password = \"{value}\"")),
        ("a.ts", format!("  clientSecret: '{value}',")),
        ("a.rs", format!("let api_key: &str = \"{value}\";")),
        ("a.go", format!("dbPassword := \"{value}\"")),
        ("a.cs", format!("    Password = \"{value}\";")),
        ("a.json", format!("  \"client_secret\": \"{value}\",")),
        ("a.yml", format!("  password: {value}")),
        (".env", format!("API_KEY={value}")),
        (
            "app.properties",
            format!("spring.datasource.password={value}"),
        ),
        ("a.xml", format!("<add key=\"x\" password=\"{value}\" />")),
    ] {
        let finding = assert_one(
            path,
            &format!("{line}\n"),
            "secrets/hardcoded-credential",
            Severity::Critical,
        );
        assert!(
            !finding.message.contains(&value[6..]),
            "{}",
            finding.message
        );
    }
}

#[test]
fn ordinary_code_near_credential_names_stays_quiet() {
    for (path, line) in [
        ("a.py", "password = os.environ['DB_PASSWORD']"),
        ("a.py", "token = get_token(user, scope)"),
        ("a.rs", "let token: Token = lexer.next_token()?;"),
        ("a.rs", "pub password: String,"),
        ("a.ts", "const apiKey = process.env.API_KEY;"),
        ("a.ts", "if (password === 'hunter2') {"),
        ("a.yml", "password: ${DB_PASSWORD}"),
        ("a.yml", "password: $(DbPassword)"),
        ("a.yml", "token: \"{{ vault_token }}\""),
        ("a.yml", "client_secret: <your-client-secret>"),
        ("a.yml", "password: changeme"),
        ("a.yml", "password: xxxxxxxxxxxx"),
        ("a.yml", "password: '************'"),
        ("a.yml", "secret_name: my_app_secret_name"),
        ("a.yml", "password_file: /run/secrets/db_password.txt"),
        ("a.yml", "token_type: Bearer"),
        ("a.json", "\"password\": \"Mot de passe oublié\""),
        ("a.py", "PASSWORD_FIELD = 'password_confirmation'"),
        ("a.py", "api_key = '1234567890abcdef'"),
        ("a.py", "secret = 'aaaaaaaaaaaaaaaa'"),
        ("a.py", "test_password = 'Xk29dLq8Zp3Wm'"),
        ("a.py", "password_hash = '9f86d081884c7d659a2feaa0c55ad015'"),
        ("a.java", "String token = TokenType.ACCESS_TOKEN.name();"),
        (
            "a.rb",
            "secret = Rails.application.credentials.secret_key_base",
        ),
        (
            "a.ts",
            "const tokenUrl = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';",
        ),
        ("a.py", "password = 'Passw0rd'"),
        ("a.rs", "let secret = \"com.contoso.secret.v1\";"),
        ("a.py", "passwd='geheim$parole'"),
        ("a.py", "refresh_token = '23sdf876234'"),
        // base64 of "not my real password".
        ("README.md", "password: 'bm90IG15IHJlYWwgcGFzc3dvcmQ='"),
        (
            "a.json",
            "\"pattern\":\"arn:([a-z-]+):.*:secret:AmazonLookoutMetrics-.+\"",
        ),
        ("a.py", "    'secret': 'V1SecretVolumeSource',"),
        (
            "a.yml",
            "secret: projects/my-project/secrets/my-secret/versions/1",
        ),
        ("a.py", "REQUEST_TYPE_ID_TOKEN = 'auth-request-type/it'"),
        ("a.py", "    ACCESS_KEY = 'AWSAccessKeyId'"),
    ] {
        assert_none(path, &format!("{line}\n"));
    }
}

#[test]
fn offline_credentials_under_test_directories_are_minor_fixtures() {
    let body: Vec<String> = (0..2).map(|i| random(50 + i, 64, BASE64)).collect();
    let kind = join(&["EC PRIV", "ATE KEY"]);
    let finding = assert_one(
        "tests/data/server.key",
        &pem(&kind, &body),
        "secrets/private-key",
        Severity::Minor,
    );
    assert!(finding.message.contains("fixture"));
    let value = random(52, 24, ALNUM);
    assert_one(
        "spec/login_spec.rb",
        &format!("password = '{value}'\n"),
        "secrets/hardcoded-credential",
        Severity::Minor,
    );
    // A token only a service can issue stays critical.
    assert_one(
        "tests/smoke.py",
        &format!("T = '{}'\n", github_token()),
        "secrets/github-token",
        Severity::Critical,
    );
}

#[test]
fn random_values_pass_the_shape_test() {
    // Random credentials of common alphabets and lengths are recognised almost always.
    for (alphabet, len) in [
        (ALNUM, 16),
        (ALNUM, 24),
        (ALNUM, 40),
        (BASE64, 32),
        ("0123456789abcdef", 32),
    ] {
        let passed = (0..500)
            .filter(|&seed| looks_random(&random(1000 + seed, len, alphabet)))
            .count();
        assert!(
            passed >= 475,
            "{passed}/500 of length {len} from {alphabet}"
        );
    }
    for name in [
        "V1SecretVolumeSource",
        "google_oauth2.Credentials",
        "projects/my-app/secrets/db-key",
        "Jobs[-1].JobId",
    ] {
        assert!(!looks_random(name), "{name}");
    }
}

#[test]
fn documentation_values_and_examples_nearby_are_placeholders() {
    // The sample token of RFC 6749, wherever it appears.
    let rfc = join(&["2YotnFZFEjr1", "zCsicMWpAA"]);
    assert_none("a.py", &format!("access_token = \"{rfc}\"\n"));
    // A line near the value says it is an example.
    let value = random(36, 24, ALNUM);
    assert_none(
        "a.py",
        &format!("# Example response:\n\nclient_secret = \"{value}\"\n"),
    );
    let token = github_token();
    assert_one(
        "a.md",
        &format!("For example:\n\n    GH_TOKEN={token}\n"),
        "secrets/github-token",
        Severity::Info,
    );
    // The output of a session transcript.
    let transcript = format!(
        "    >>> session.fetch_token(url)\n    {{\n        'oauth_token_secret': '{value}',\n    }}\n"
    );
    assert_none("a.py", &transcript);
    // Far enough away, the word no longer counts.
    assert_one(
        "a.py",
        &format!("# example\n\n\n\nclient_secret = \"{value}\"\n"),
        "secrets/hardcoded-credential",
        Severity::Critical,
    );
}

#[test]
fn a_secret_finding_never_contains_the_secret() {
    let secrets = [
        aws_key_id(),
        github_token(),
        join(&["sk_", "live_", &random(40, 30, ALNUM)]),
        random(41, 24, ALNUM),
    ];
    let text = format!(
        "id = \"{}\"\ngh = \"{}\"\nstripe = \"{}\"\npassword = \"{}\"\n",
        secrets[0], secrets[1], secrets[2], secrets[3]
    );
    let findings = added_file("a.py", &text);
    assert_eq!(findings.len(), 4, "{findings:#?}");
    for finding in &findings {
        for secret in &secrets {
            // No run of five or more characters of any secret appears in any message.
            for start in 0..secret.len().saturating_sub(5) {
                let piece = &secret[start..start + 5];
                assert!(
                    !finding.message.contains(piece),
                    "{} leaks {piece}",
                    finding.message
                );
            }
        }
    }
}

#[test]
fn redaction_shows_at_most_a_quarter() {
    assert_eq!(redact("ABCDEFGHIJKLMNOPQRST"), "ABCD… (20 characters)");
    assert_eq!(redact("abcdefgh"), "ab… (8 characters)");
    assert_eq!(redact("abc"), "… (3 characters)");
}

#[test]
fn secrets_off_silences_every_secret_rule() {
    let text = format!(
        "{}\n{}\npassword = \"{}\"\n",
        aws_key_id(),
        github_token(),
        random(42, 24, ALNUM)
    );
    let options = RuleOptions {
        secrets: false,
        ..RuleOptions::default()
    };
    assert!(added_file_with("a.py", &text, &options).is_empty());
    assert_eq!(added_file("a.py", &text).len(), 3);
}

#[test]
fn identifiers_split_into_words() {
    assert_eq!(identifier_words("dbPassword"), ["db", "password"]);
    assert_eq!(identifier_words("AWS_SECRET_KEY"), ["aws", "secret", "key"]);
    assert_eq!(identifier_words("APIKey"), ["api", "key"]);
    assert_eq!(
        identifier_words("spring.datasource.password"),
        ["spring", "datasource", "password"]
    );
    assert!(is_credential_name("clientSecret"));
    assert!(is_credential_name("GITHUB_TOKEN"));
    assert!(!is_credential_name("token_type"));
    assert!(!is_credential_name("public_key"));
    assert!(!is_credential_name("tokenizer"));
}

#[test]
fn entropy_is_measured_in_bits_per_character() {
    assert_eq!(shannon_entropy("aaaa"), 0.0);
    assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    assert_eq!(longest_sequential_run("x123456y"), 6);
    assert_eq!(
        decode_base64url("eyJhIjoxfQ").as_deref(),
        Some(&b"{\"a\":1}"[..])
    );
}
