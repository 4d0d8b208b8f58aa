//! A corpus of real-shaped files: credentials the way they are really committed in C#, Java,
//! Go, Python, PHP, Terraform, pipeline YAML, NuGet.config, shell and PowerShell, and the
//! encrypted or templated values that are not secrets. Values are fake but correctly shaped,
//! and built at run time from pieces so that this file holds none of them.
//!
//! Each case names its family, the file, and the secret findings it must produce (exactly those,
//! once each). `cargo test --lib secrets::corpus -- --nocapture` prints the recall per family.

use std::collections::BTreeMap;

use crate::sources::rules::testing::*;

/// Deterministic pseudo-random characters from `alphabet`.
fn random(seed: u64, len: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
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
const BASE32_LOWER: &str = "abcdefghijklmnopqrstuvwxyz234567";
const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PUNCTUATED: &str = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%^*-_=+";

/// A legacy Azure DevOps PAT: 52 characters of lowercase base32.
fn legacy_pat(seed: u64) -> String {
    random(seed, 52, BASE32_LOWER)
}

fn aws_key_id(seed: u64) -> String {
    ["AK", "IA", &random(seed, 16, UPPER_DIGITS)].concat()
}

fn aws_secret(seed: u64) -> String {
    random(seed, 40, BASE64)
}

/// An STS session token: the usual prefix, then a few hundred base64 characters.
fn aws_session_token(seed: u64) -> String {
    ["IQoJb3JpZ2lu", "X2VjE", &random(seed, 340, BASE64)].concat()
}

/// A generated password: letters, digits and punctuation (no `%`, `=` or `-`, which mean
/// something else in templates and connection strings).
fn password(seed: u64) -> String {
    let letters = random(seed, 16, PUNCTUATED)
        .replace(['%', '='], "k")
        .replace("-", "Q");
    let digits = random(seed ^ 0x5A5A, 3, "23456789");
    [&letters[..7], &digits[..2], &letters[7..], &digits[2..]].concat()
}

fn storage_key(seed: u64) -> String {
    [random(seed, 86, BASE64).as_str(), "=="].concat()
}

fn base64url(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

struct Case {
    family: &'static str,
    path: &'static str,
    text: String,
    /// The secret findings the file must produce, each once.
    expected: Vec<&'static str>,
}

fn case(family: &'static str, path: &'static str, text: String, expected: &[&'static str]) -> Case {
    Case {
        family,
        path,
        text,
        expected: expected.to_vec(),
    }
}

const PAT: &str = "secrets/azure-devops-pat";
const AWS_ID: &str = "secrets/aws-access-key";
const AWS_SECRET: &str = "secrets/aws-secret-key";
const AWS_SESSION: &str = "secrets/aws-session-token";
const CREDENTIAL: &str = "secrets/hardcoded-credential";
const URL: &str = "secrets/url-password";
const STRIPE: &str = "secrets/stripe-live-key";
const JWT: &str = "secrets/jwt";

fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let pat = legacy_pat;
    let legacy = "legacy Azure DevOps PAT in context";
    cases.extend([
        case(legacy, "scripts/login.sh", format!("#!/bin/sh\nexport AZURE_DEVOPS_EXT_PAT={}\naz devops login --organization https://dev.azure.com/contoso\n", pat(1)), &[PAT]),
        case(legacy, "build/login.ps1", format!("$env:AZURE_DEVOPS_EXT_PAT = \"{}\"\naz devops project list\n", pat(2)), &[PAT]),
        case(legacy, "azure-pipelines.yml", format!("steps:\n- script: ./publish.sh\n  env:\n    SYSTEM_ACCESSTOKEN: {}\n", pat(3)), &[PAT]),
        case(legacy, "src/Client/Connect.cs", format!("var connection = new VssConnection(new Uri(url), new VssBasicCredential(string.Empty, \"{}\"));\n", pat(4)), &[PAT]),
        case(legacy, "NuGet.config", format!("<configuration>\n  <packageSourceCredentials>\n    <contoso>\n      <add key=\"Username\" value=\"build\" />\n      <add key=\"ClearTextPassword\" value=\"{}\" />\n    </contoso>\n  </packageSourceCredentials>\n</configuration>\n", pat(5)), &[PAT]),
        case(legacy, "pipelines/variables.yml", format!("variables:\n- name: AdoPat\n  value: {}\n- name: buildConfiguration\n  value: Release\n", pat(6)), &[PAT]),
        case(legacy, "tools/sync.py", format!("personal_access_token = '{}'\norganization_url = 'https://dev.azure.com/contoso'\n", pat(7)), &[PAT]),
        case(legacy, "tools/Sync.java", format!("    private static final String ADO_TOKEN = \"{}\";\n", pat(8)), &[PAT]),
        case(legacy, "deploy/clone.sh", format!("git clone https://build:{}@dev.azure.com/contoso/app/_git/app\n", pat(9)), &[PAT]),
        case(legacy, "config/ado.yml", format!("ado:\n  organization: contoso\n  pat: {}\n", pat(10)), &[PAT]),
    ]);

    let aws = "AWS secret key as an argument, session tokens";
    let (id, secret) = (aws_key_id(20), aws_secret(21));
    cases.extend([
        case(aws, "src/Storage/S3.cs", format!("var client = new AmazonS3Client(\"{id}\", \"{secret}\", RegionEndpoint.EUWest1);\n"), &[AWS_ID, AWS_SECRET]),
        case(aws, "src/Storage/Creds.cs", format!("var credentials = new BasicAWSCredentials(\"{id}\", \"{}\");\n", aws_secret(22)), &[AWS_ID, AWS_SECRET]),
        case(aws, "src/main/java/S3Config.java", format!("        BasicAWSCredentials awsCreds = new BasicAWSCredentials(\"{id}\", \"{}\");\n", aws_secret(23)), &[AWS_ID, AWS_SECRET]),
        case(aws, "src/main/java/S3v2.java", format!("        AwsBasicCredentials creds = AwsBasicCredentials.create(\"{id}\", \"{}\");\n", aws_secret(24)), &[AWS_ID, AWS_SECRET]),
        case(aws, "storage/s3.go", format!("\tsess := session.Must(session.NewSession(&aws.Config{{\n\t\tCredentials: credentials.NewStaticCredentials(\"{id}\", \"{}\", \"\"),\n\t}}))\n", aws_secret(25)), &[AWS_ID, AWS_SECRET]),
        case(aws, "jobs/upload.py", format!("s3 = boto3.client('s3', aws_access_key_id='{id}', aws_secret_access_key='{}')\n", aws_secret(26)), &[AWS_ID, AWS_SECRET]),
        case(aws, ".aws/credentials", format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {}\naws_session_token = {}\n", aws_secret(27), aws_session_token(28)), &[AWS_ID, AWS_SECRET, AWS_SESSION]),
        case(aws, "scripts/assume.sh", format!("export AWS_SESSION_TOKEN=\"{}\"\n", aws_session_token(29)), &[AWS_SESSION]),
        case(aws, "jobs/sts.py", format!("session = boto3.Session(aws_session_token='{}')\n", aws_session_token(30)), &[AWS_SESSION]),
        case(aws, "fixtures/sts.json", format!("{{\"Credentials\": {{\"SessionToken\": \"{}\", \"Expiration\": \"2026-01-01T00:00:00Z\"}}}}\n", aws_session_token(31)), &[AWS_SESSION]),
    ]);

    let flags = "credentials as command-line flags";
    cases.extend([
        case(flags, "deploy/upload.sh", format!("az storage blob upload-batch --account-name contosoprod --account-key \"{}\" -d web -s dist\n", storage_key(40)), &[CREDENTIAL]),
        case(flags, "deploy/Upload.ps1", format!("$ctx = New-AzStorageContext -StorageAccountName \"contosoprod\" -StorageAccountKey \"{}\"\n", storage_key(41)), &[CREDENTIAL]),
        case(flags, "deploy/push.sh", format!("docker login --username build --password {} registry.contoso.io\n", password(42)), &[CREDENTIAL]),
        case(flags, "azure-pipelines.yml", format!("- script: az login --service-principal -u 0b5e3c1a --password '{}' --tenant contoso.onmicrosoft.com\n", password(43)), &[CREDENTIAL]),
        case(flags, "Makefile", format!("deploy:\n\tmysqldump --user=backup --password={} orders > dump.sql\n", password(44)), &[CREDENTIAL]),
    ]);

    let xml = "XML elements and NuGet ClearTextPassword";
    cases.extend([
        case(xml, "settings.xml", format!("<settings>\n  <servers>\n    <server>\n      <id>contoso</id>\n      <username>deploy</username>\n      <password>{}</password>\n    </server>\n  </servers>\n</settings>\n", password(50)), &[CREDENTIAL]),
        case(xml, "nuget.config", format!("      <add key=\"Username\" value=\"feed\" />\n      <add key=\"ClearTextPassword\" value=\"{}\" />\n", password(51)), &[CREDENTIAL]),
        case(xml, "App.config", format!("  <appSettings>\n    <ApiKey>{}</ApiKey>\n  </appSettings>\n", random(52, 32, ALNUM)), &[CREDENTIAL]),
    ]);

    let php = "PHP define and name/value arguments";
    cases.extend([
        case(
            php,
            "wp-config.php",
            format!(
                "define( 'DB_NAME', 'shop' );\ndefine( 'DB_PASSWORD', '{}' );\n",
                password(60)
            ),
            &[CREDENTIAL],
        ),
        case(
            php,
            "config/app.php",
            format!("define('AUTH_KEY', '{}');\n", random(61, 64, PUNCTUATED)),
            &[CREDENTIAL],
        ),
        case(
            php,
            "src/Env.cs",
            format!(
                "Environment.SetEnvironmentVariable(\"SERVICE_PASSWORD\", \"{}\");\n",
                password(62)
            ),
            &[CREDENTIAL],
        ),
    ]);

    let connection = "connection strings in string literals";
    cases.extend([
        case(connection, "src/Data/Db.cs", format!("    var cs = \"Server=tcp:sql.contoso.net,1433;Database=orders;User ID=app;Password={};Encrypt=true;\";\n", password(70)), &[CREDENTIAL]),
        case(connection, "src/main/java/Db.java", format!("    String url = \"jdbc:sqlserver://sql.contoso.net:1433;databaseName=orders;user=app;password={};\";\n", password(71)), &[CREDENTIAL]),
        case(connection, "appsettings.json", format!("  \"ConnectionStrings\": {{ \"Default\": \"Host=pg.contoso.net;Database=orders;Username=app;Password={}\" }}\n", password(72)), &[CREDENTIAL]),
        case(connection, "src/db.py", format!("conn = pyodbc.connect('DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=sql.contoso.net;DATABASE=orders;UID=app;PWD={}')\n", password(73)), &[CREDENTIAL]),
    ]);

    let dsn = "DSNs without a scheme";
    cases.extend([
        case(dsn, "store/db.go", format!("\tdb, err := sql.Open(\"mysql\", \"orders:{}@tcp(mysql.contoso.net:3306)/orders?parseTime=true\")\n", random(80, 20, ALNUM)), &[URL]),
        case(dsn, "deploy/app.env", format!("DATABASE_DSN=orders:{}@tcp(10.0.3.4:3306)/orders\n", random(81, 20, ALNUM)), &[URL]),
    ]);

    let terraform = "Terraform defaults of sensitive variables";
    cases.extend([
        case(terraform, "infra/variables.tf", format!("variable \"sql_admin_login\" {{\n  type        = string\n  description = \"Administrator login of the SQL server\"\n  default     = \"{}\"\n  sensitive   = true\n}}\n", password(90)), &[CREDENTIAL]),
        case(terraform, "infra/main.tf", format!("variable \"db_password\" {{\n  type    = string\n  default = \"{}\"\n}}\n", password(91)), &[CREDENTIAL]),
    ]);

    let punctuation = "passwords starting with punctuation";
    for (i, lead) in ["!", "*", "&", "-", ".", "@", "~", "="].iter().enumerate() {
        let seed = 100 + i as u64;
        cases.push(case(
            punctuation,
            "src/settings.py",
            format!("DB_PASSWORD = \"{lead}{}\"\n", random(seed, 16, ALNUM)),
            &[CREDENTIAL],
        ));
    }

    let suffix = "names ending in password, secret, token";
    cases.extend([
        case(
            suffix,
            "deploy/backup.sh",
            format!(
                "export PGPASSWORD={}\npg_dump -h pg.contoso.net orders > orders.sql\n",
                password(110)
            ),
            &[CREDENTIAL],
        ),
        case(
            suffix,
            "config/secrets.yml",
            format!(
                "production:\n  secret_key_base: {}\n",
                random(111, 128, "0123456789abcdef")
            ),
            &[CREDENTIAL],
        ),
        case(
            suffix,
            "src/config.ts",
            format!("const githubAccessToken = '{}';\n", random(112, 30, ALNUM)),
            &[CREDENTIAL],
        ),
        case(
            suffix,
            "docker-compose.yml",
            format!(
                "    environment:\n      MYSQL_ROOTPASSWORD: {}\n",
                password(113)
            ),
            &[CREDENTIAL],
        ),
    ]);

    let signed = "provider-signed keys near example hosts";
    let stripe = ["sk_", "live_", &random(120, 24, ALNUM)].concat();
    let jwt = [
        base64url(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#),
        base64url(
            br#"{"iss":"https://login.example.com","sub":"u-4821","aud":"api","exp":1893456000}"#,
        ),
        random(121, 86, ALNUM),
    ]
    .join(".");
    cases.extend([
        case(
            signed,
            "src/billing.py",
            format!(
                "# Live key for https://api.example.com billing\nstripe.api_key = \"{stripe}\"\n"
            ),
            &[STRIPE],
        ),
        case(
            signed,
            "src/notify.rb",
            format!(
                "SUPPORT = 'ops@example.org'\nSTRIPE = '{}'\n",
                ["sk_", "live_", &random(122, 24, ALNUM)].concat()
            ),
            &[STRIPE],
        ),
        case(
            signed,
            "api/orders.http",
            format!("GET https://api.example.com/orders\nAuthorization: Bearer {jwt}\n"),
            &[JWT],
        ),
    ]);

    let single = "one finding per occurrence";
    cases.extend([
        case(
            single,
            "deploy/aws.env",
            format!("AWS_SECRET_ACCESS_KEY={}\n", aws_secret(130)),
            &[AWS_SECRET],
        ),
        case(
            single,
            "src/settings.py",
            format!("aws_secret_access_key = '{}'\n", aws_secret(131)),
            &[AWS_SECRET],
        ),
        case(
            single,
            "src/ado.py",
            format!("token = '{}'\n", pat(132)),
            &[PAT],
        ),
        case(
            single,
            "deploy/app.yml",
            format!(
                "database:\n  url: postgres://orders:{}@pg.contoso.net:5432/orders\n",
                random(133, 20, ALNUM)
            ),
            &[URL],
        ),
    ]);

    // Encrypted values and templates: not secrets.
    let quiet = "not secrets (encrypted, templates)";
    let sops_data = |seed| random(seed, 44, BASE64);
    cases.extend([
        case(quiet, "secrets.enc.yaml", format!(
            "db_password: ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]\napi_token: ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]\nsops:\n    kms: []\n    lastmodified: \"2025-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]\n    version: 3.9.0\n",
            sops_data(140), sops_data(141), sops_data(142), sops_data(143), sops_data(144), sops_data(145), sops_data(146), sops_data(147), sops_data(148)
        ), &[]),
        case(quiet, "secrets.enc.json", format!(
            "{{\n  \"password\": \"ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]\",\n  \"sops\": {{\n    \"mac\": \"ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]\"\n  }}\n}}\n",
            sops_data(150), sops_data(151), sops_data(152), sops_data(153), sops_data(154), sops_data(155)
        ), &[]),
        case(quiet, "group_vars/all/vault.yml", format!(
            "$ANSIBLE_VAULT;1.1;AES256\n{}\n{}\n{}\n",
            random(160, 80, "0123456789abcdef"), random(161, 80, "0123456789abcdef"), random(162, 80, "0123456789abcdef")
        ), &[]),
        case(quiet, "group_vars/web.yml", format!(
            "db_user: app\ndb_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          {}\n          {}\n",
            random(163, 80, "0123456789abcdef"), random(164, 80, "0123456789abcdef")
        ), &[]),
        case(quiet, "deploy/app.yml", "password: ${DB_PASSWORD}\ntoken: \"{{ .Values.apiToken }}\"\nsecret: '%(secret)s'\n".to_string(), &[]),
        case(quiet, "deploy/run.sh", "mysql --user=app --password=\"$DB_PASSWORD\" orders\naz storage blob list --account-key \"$(az storage account keys list -n x --query [0].value -o tsv)\"\ndocker login --password-stdin < token.txt\n".to_string(), &[]),
        case(quiet, "src/auth.c", "    cred->password = git__strdup(password);\n    token = hdr_9fXk2Lq8Zr;\n".to_string(), &[]),
        case(quiet, "src/Pipeline.cs", "    var settings = \"Mode=fast;Retries=3\";\n    Run(\"--password\", password);\n".to_string(), &[]),
        case(quiet, "infra/variables.tf", "variable \"db_password\" {\n  type      = string\n  sensitive = true\n}\nvariable \"region\" {\n  default = \"westeurope\"\n}\n".to_string(), &[]),
    ]);
    cases
}

/// Runs every case; returns, per family, (cases, cases found exactly as expected), and the
/// failures.
fn run() -> (BTreeMap<&'static str, (usize, usize)>, Vec<String>) {
    let mut families: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in corpus() {
        let findings = added_file(case.path, &case.text);
        let mut found: Vec<&str> = codes(&findings)
            .into_iter()
            .filter(|code| code.starts_with("secrets/"))
            .collect();
        found.sort_unstable();
        let mut expected = case.expected.clone();
        expected.sort_unstable();
        let entry = families.entry(case.family).or_default();
        entry.0 += 1;
        let critical = findings
            .iter()
            .filter(|f| f.rule.starts_with("secrets/"))
            .all(|f| f.severity == crate::finding::Severity::Critical);
        if found == expected && critical {
            entry.1 += 1;
        } else {
            let messages: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {:?} {}", f.rule, f.severity, f.message))
                .collect();
            failures.push(format!(
                "[{}] {}: expected {expected:?}, found {messages:#?}",
                case.family, case.path
            ));
        }
    }
    (families, failures)
}

#[test]
fn every_family_of_the_corpus_is_found_once_and_quiet_cases_stay_quiet() {
    let (families, failures) = run();
    for (family, (total, found)) in &families {
        println!("{found:>3}/{total:<3} {family}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
