//! Reading the old portal's export (JSON or CSV) for `import-legacy`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use commands::LegacyService;
use commands::legacy::{ImportOutcome, LegacyRecord};
use domain::CommandMetadata;
use serde::Deserialize;
use uuid::Uuid;

/// Totals of an import run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    pub documents: usize,
    pub skipped: usize,
}

#[derive(Debug, Deserialize)]
struct JsonAccount {
    nik: String,
    name: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    documents: Vec<JsonDocument>,
}

#[derive(Debug, Deserialize)]
struct JsonDocument {
    title: String,
    file: PathBuf,
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    nik: String,
    name: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    document_title: Option<String>,
    #[serde(default)]
    document_file: Option<PathBuf>,
}

/// Imports every account of an export file; one correlation id covers the whole run.
pub async fn import_file(service: &LegacyService, file: &Path) -> anyhow::Result<ImportReport> {
    let base = file.parent().unwrap_or(Path::new("."));
    let accounts = read_export(file)?;
    let metadata = CommandMetadata::system(Uuid::new_v4());
    let mut report = ImportReport::default();
    for (index, account) in accounts.into_iter().enumerate() {
        let mut documents = Vec::with_capacity(account.documents.len());
        for document in account.documents {
            let path = base.join(&document.file);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("record {}: cannot read {}", index + 1, path.display()))?;
            documents.push((document.title, bytes));
        }
        let record = LegacyRecord { nik: account.nik, full_name: account.name, phone: account.phone, documents };
        match service.import(record, &metadata).await.map_err(|e| anyhow::anyhow!("record {}: {e}", index + 1))? {
            ImportOutcome::Imported { documents, .. } => {
                report.imported += 1;
                report.documents += documents;
            }
            ImportOutcome::AlreadyImported => report.skipped += 1,
        }
    }
    Ok(report)
}

fn read_export(file: &Path) -> anyhow::Result<Vec<JsonAccount>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok(serde_json::from_str(&text).context("the JSON export is not in the expected shape")?),
        Some("csv") => {
            let mut accounts: Vec<JsonAccount> = Vec::new();
            for row in csv::Reader::from_reader(text.as_bytes()).deserialize::<CsvRow>() {
                let row = row.context("the CSV export is not in the expected shape")?;
                let position = accounts.iter().position(|a| a.nik.trim() == row.nik.trim());
                let account = match position {
                    Some(i) => &mut accounts[i],
                    None => {
                        accounts.push(JsonAccount {
                            nik: row.nik.clone(),
                            name: row.name,
                            phone: row.phone,
                            documents: vec![],
                        });
                        let last = accounts.len() - 1;
                        &mut accounts[last]
                    }
                };
                if let (Some(title), Some(file)) = (row.document_title, row.document_file) {
                    account.documents.push(JsonDocument { title, file });
                }
            }
            Ok(accounts)
        }
        _ => bail!("the export must be a .json or .csv file"),
    }
}
